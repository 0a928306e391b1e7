// SPDX-License-Identifier: Apache-2.0
/* tests/integration/test_api.c: the Firecracker API over --api-sock, with curl as the client. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "blk_image.h"
#include "metrics_text.h"
#include "run.h"
#include "support/tmpfile.h"

#define SPIN GUEST_DIR "/spin"
#define FLOOD GUEST_DIR "/flood"
#define VIRTIO_RNG GUEST_DIR "/virtio_rng"
#define VIRTIO_BLK GUEST_DIR "/virtio_blk"
#define IMG_SIZE	BLK_IMAGE_SIZE
#define POST_BOOT \
	"The requested operation is not supported after starting the microVM."
#define PRE_BOOT \
	"The requested operation is not supported before starting the microVM."

TestSuite(api, .init = run_need_kvm, .timeout = 90);
/* Requests that build nothing: no /dev/kvm needed. */
TestSuite(api_requests, .timeout = 90);

/* One ignis with an API socket in a directory of its own. */
struct api {
	struct run_proc p; /* the ignis process */
	char dir[64]; /* its scratch directory */
	char sock[96]; /* the socket in it */
};

/* What a request got back. */
struct reply {
	int status; /* HTTP status; 0: no answer */
	char body[8192]; /* the body, NUL-terminated */
};

/*
 * Runs curl (method) http://localhost(path) over the socket, with (body)
 * as the request body unless NULL, into (r). Firecracker's docs use
 * exactly this client.
 */
static void call(const struct api *a, const char *method, const char *path,
		 const char *body, struct reply *r)
{
	char url[256], *nl;
	const char *argv[20];
	int pipefd[2], n = 0, status;
	size_t len = 0;
	ssize_t got;
	pid_t pid;

	snprintf(url, sizeof(url), "http://localhost%s", path);
	argv[n++] = "curl";
	argv[n++] = "-sS";
	argv[n++] = "--max-time";
	argv[n++] = "10";
	argv[n++] = "--unix-socket";
	argv[n++] = a->sock;
	argv[n++] = "-X";
	argv[n++] = method;
	if (body) {
		argv[n++] = "-H";
		argv[n++] = "Content-Type: application/json";
		argv[n++] = "--data-binary";
		argv[n++] = body;
	}
	argv[n++] = "-w";
	argv[n++] = "\n%{http_code}";
	argv[n++] = url;
	argv[n] = NULL;
	cr_assert_eq(pipe2(pipefd, O_CLOEXEC), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (!pid) {
		int null_fd = open("/dev/null", O_WRONLY);

		if (dup2(pipefd[1], 1) < 0 || null_fd < 0 ||
		    dup2(null_fd, 2) < 0)
			_exit(126);
		execvp("curl", (char *const *)argv);
		_exit(127);
	}
	close(pipefd[1]);
	while (len < sizeof(r->body) - 1 &&
	       (got = read(pipefd[0], r->body + len,
			   sizeof(r->body) - 1 - len)) > 0)
		len += (size_t)got;
	close(pipefd[0]);
	r->body[len] = '\0';
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) != 127,
		  "curl did not run");
	/* The status is the last line (-w); the body is what precedes it. */
	nl = strrchr(r->body, '\n');
	r->status = nl ? atoi(nl + 1) : 0;
	if (nl)
		*nl = '\0';
}

/* (method) (path) must answer (status) with a body containing (text)
 * (NULL: anything; "" for 204: no body at all). */
static void expect(const struct api *a, const char *method, const char *path,
		   const char *body, int status, const char *text)
{
	struct reply r;

	call(a, method, path, body, &r);
	cr_expect_eq(r.status, status, "%s %s %s: got %d %s", method, path,
		     body ? body : "", r.status, r.body);
	if (text && !text[0])
		cr_expect_str_empty(r.body, "%s %s: a body: %s", method, path,
				    r.body);
	else if (text)
		cr_expect(strstr(r.body, text), "%s %s: '%s' not in %s", method,
			  path, text, r.body);
	if (status == 400)
		cr_expect(strstr(r.body, "{\"fault_message\":"),
			  "%s %s: no fault_message: %s", method, path, r.body);
}

/* Starts ignis --api-sock (and (extra) arguments) and waits until the
 * socket answers GET / (as the Go SDK polls it), at most 5 s. */
static void api_start_with(struct api *a, const char *const extra[])
{
	const char *args[16] = { "--api-sock", a->sock };
	unsigned int n = 2;
	struct reply r = { 0 };

	strcpy(a->dir, "/tmp/ignis-api-XXXXXX");
	cr_assert_not_null(mkdtemp(a->dir));
	snprintf(a->sock, sizeof(a->sock), "%s/api.sock", a->dir);
	for (unsigned int i = 0; extra && extra[i]; i++)
		args[n++] = extra[i];
	args[n] = NULL;
	cr_assert_eq(run_start(&a->p, args), 0, "cannot start " IGNIS_BIN);
	for (int i = 0; i < 500 && r.status != 200; i++) {
		if (access(a->sock, F_OK) == 0)
			call(a, "GET", "/", NULL, &r);
		if (r.status != 200)
			usleep(10000);
	}
	cr_assert_eq(r.status, 200, "the API socket never answered");
}

static void api_start(struct api *a)
{
	api_start_with(a, NULL);
}

/* Waits for ignis to exit on its own (or after (sig), if not 0): exit
 * status 0, and the socket removed. */
static void api_finish(struct api *a, int sig, struct run_result *r)
{
	if (sig) {
		run_reset_clock(&a->p);
		cr_assert_eq(kill(a->p.pid, sig), 0);
	}
	run_finish(&a->p, RUN_TIMEOUT_MS, r);
	run_expect_exit0(r);
	cr_expect(access(a->sock, F_OK) < 0 && errno == ENOENT,
		  "the socket %s is still there", a->sock);
	unlink(a->sock);
	rmdir(a->dir);
}

/* Firecracker's getting-started sequence (docs/getting-started.md):
 * boot source, machine config, root drive, InstanceStart; the guest reads
 * its disk and writes sectors 8-15; ignis exits at the guest's reset. */
Test(api, getting_started_with_a_drive)
{
	static uint8_t orig[IMG_SIZE];
	char *img = blk_image_make(orig), body[512], line[64];
	struct run_result r;
	struct api a;

	api_start(&a);
	snprintf(body, sizeof(body),
		 "{\"kernel_image_path\": \"%s\", "
		 "\"boot_args\": \"console=ttyS0 reboot=k panic=1\"}",
		 VIRTIO_BLK);
	expect(&a, "PUT", "/boot-source", body, 204, "");
	expect(&a, "PUT", "/machine-config",
	       "{\"vcpu_count\": 1, \"mem_size_mib\": 64}", 204, "");
	snprintf(body, sizeof(body),
		 "{\"drive_id\": \"rootfs\", \"path_on_host\": \"%s\", "
		 "\"is_root_device\": true, \"is_read_only\": false}",
		 img);
	expect(&a, "PUT", "/drives/rootfs", body, 204, "");
	expect(&a, "GET", "/", NULL, 200, "\"state\":\"Not started\"");
	expect(&a, "GET", "/machine-config", NULL, 200,
	       "{\"vcpu_count\":1,\"mem_size_mib\":64,\"smt\":false,"
	       "\"track_dirty_pages\":false");
	expect(&a, "GET", "/vm/config", NULL, 200, "\"drive_id\":\"rootfs\"");
	expect(&a, "PUT", "/actions", "{\"action_type\": \"InstanceStart\"}",
	       204, "");
	api_finish(&a, 0, &r);
	run_expect_line(&r, "virtio_blk: capacity 2048");
	blk_image_fnv_line(orig, IMG_SIZE, line, sizeof(line));
	run_expect_line(&r, line);
	run_expect_line(&r, "virtio_blk: write ok");
	run_expect_line(&r, "virtio_blk: status 0x0f");
	run_result_free(&r);
	unlink(img);
	free(img);
}

/* Boots (text) as a --config-file, with (flag) too unless NULL, and
 * expects the virtio_rng guest it names to get random bytes. */
static void boot_rng_from_file(const char *text, const char *flag)
{
	char *path = tmpfile_with(text, strlen(text));
	const char *const args[] = { "--config-file", path, flag, NULL };
	struct run_result r;

	cr_assert_not_null(path);
	run_boot(&r, args);
	run_expect_line(&r, "virtio_rng: random ok");
	run_result_free(&r);
	unlink(path);
	free(path);
}

/* PUT /entropy (docs/entropy.md) gives the guest its virtio-rng; and GET
 * /vm/config is a config file that boots the same VM. */
Test(api, entropy_device_and_vm_config)
{
	struct run_result r;
	struct reply cfg;
	struct api a;

	api_start(&a);
	expect(&a, "PUT", "/boot-source",
	       "{\"kernel_image_path\": \"" VIRTIO_RNG "\", "
	       "\"boot_args\": \"console=ttyS0\"}",
	       204, "");
	expect(&a, "PUT", "/entropy", "{}", 204, "");
	call(&a, "GET", "/vm/config", NULL, &cfg);
	cr_assert_eq(cfg.status, 200, "%s", cfg.body);
	expect(&a, "PUT", "/actions", "{\"action_type\": \"InstanceStart\"}",
	       204, "");
	api_finish(&a, 0, &r);
	run_expect_line(&r, "virtio_rng: random ok");
	run_expect_line(&r, "virtio_rng: status 0x0f");
	run_result_free(&r);

	boot_rng_from_file(cfg.body, NULL);
}

/* A guest that stays up: "Running", then Firecracker's post-boot matrix,
 * then SIGTERM. */
Test(api, running_and_post_boot)
{
	struct run_result r;
	struct api a;

	api_start(&a);
	expect(&a, "PUT", "/boot-source",
	       "{\"kernel_image_path\": \"" SPIN "\", "
	       "\"boot_args\": \"console=ttyS0\"}",
	       204, "");
	expect(&a, "PUT", "/actions", "{\"action_type\": \"InstanceStart\"}",
	       204, "");
	cr_assert(run_wait_stdout(&a.p, "spin: spinning", RUN_TIMEOUT_MS));
	expect(&a, "GET", "/", NULL, 200, "\"state\":\"Running\"");
	expect(&a, "PUT", "/boot-source",
	       "{\"kernel_image_path\": \"" SPIN "\"}", 400, POST_BOOT);
	expect(&a, "PUT", "/machine-config",
	       "{\"vcpu_count\": 2, \"mem_size_mib\": 64}", 400, POST_BOOT);
	expect(&a, "PUT", "/drives/d",
	       "{\"drive_id\": \"d\", \"path_on_host\": \"/dev/null\", "
	       "\"is_root_device\": false}",
	       400, POST_BOOT);
	expect(&a, "PUT", "/entropy", "{}", 400, POST_BOOT);
	expect(&a, "PUT", "/vfio/nic0",
	       "{\"vfio_id\": \"nic0\", \"path\": \"0000:00:01.0\"}", 400,
	       POST_BOOT);
	expect(&a, "PUT", "/actions", "{\"action_type\": \"InstanceStart\"}",
	       400, POST_BOOT);
	/* A bad body still gets its own reason after boot. */
	expect(&a, "PUT", "/machine-config",
	       "{\"vcpu_count\": true, \"mem_size_mib\": 64}", 400,
	       "vcpu_count");
	expect(&a, "PATCH", "/drives/d",
	       "{\"drive_id\": \"d\", \"path_on_host\": \"/dev/null\"}", 400,
	       "no such drive");
	/* The keys wait in the i8042 for a guest that never reads them:
	 * the second chord finds no room. */
	expect(&a, "PUT", "/actions", "{\"action_type\": \"SendCtrlAltDel\"}",
	       204, "");
	expect(&a, "PUT", "/actions", "{\"action_type\": \"SendCtrlAltDel\"}",
	       400, "not reading its keyboard");
	expect(&a, "PATCH", "/vm", "{\"state\": \"Pausing\"}", 400, "state");
	expect(&a, "PUT", "/logger", "{\"level\": \"Info\"}", 400, POST_BOOT);
	expect(&a, "PUT", "/metrics", "{\"metrics_path\": \"m\"}", 400,
	       POST_BOOT);
	expect(&a, "GET", "/machine-config", NULL, 200, "\"vcpu_count\":1");
	expect(&a, "GET", "/vm/config", NULL, 200, SPIN);
	expect(&a, "GET", "/", NULL, 200, "\"state\":\"Running\"");
	api_finish(&a, SIGTERM, &r);
	cr_expect_str_eq(r.out, "spin: spinning\n");
	run_result_free(&r);
}

/* PATCH /drives/{id} on a running VM (Kata's and firecracker-containerd's
 * placeholder drive): the new image is taken, the old one let go; a path
 * that does not open, or a rate limiter that would limit, changes
 * nothing. */
Test(api, patch_drive_of_running_vm)
{
	static uint8_t orig[IMG_SIZE];
	char *first = blk_image_make(orig), *second = blk_image_make(orig);
	char body[512];
	struct run_result r;
	struct api a;
	int fd;

	api_start(&a);
	expect(&a, "PUT", "/boot-source",
	       "{\"kernel_image_path\": \"" SPIN "\"}", 204, "");
	snprintf(body, sizeof(body),
		 "{\"drive_id\": \"scratch\", \"path_on_host\": \"%s\", "
		 "\"is_root_device\": false, \"is_read_only\": false}",
		 first);
	expect(&a, "PUT", "/drives/scratch", body, 204, "");
	expect(&a, "PUT", "/actions", "{\"action_type\": \"InstanceStart\"}",
	       204, "");
	cr_assert(run_wait_stdout(&a.p, "spin: spinning", RUN_TIMEOUT_MS));
	expect(&a, "PATCH", "/drives/scratch",
	       "{\"drive_id\": \"scratch\", \"path_on_host\": "
	       "\"/nonexistent/img\"}",
	       400, "/nonexistent/img: No such file or directory");
	expect(&a, "PATCH", "/drives/scratch",
	       "{\"drive_id\": \"scratch\", \"rate_limiter\": {\"bandwidth\": "
	       "{\"size\": 1000, \"refill_time\": 100}}}",
	       400, "rate_limiter");
	expect(&a, "GET", "/vm/config", NULL, 200, first);
	snprintf(body, sizeof(body),
		 "{\"drive_id\": \"scratch\", \"path_on_host\": \"%s\"}",
		 second);
	expect(&a, "PATCH", "/drives/scratch", body, 204, "");
	expect(&a, "GET", "/vm/config", NULL, 200, second);
	/* The first image is free for another VM; the second is held. */
	fd = open(first, O_RDWR);
	cr_assert_geq(fd, 0);
	cr_expect_eq(flock(fd, LOCK_EX | LOCK_NB), 0);
	close(fd);
	fd = open(second, O_RDWR);
	cr_assert_geq(fd, 0);
	cr_expect_neq(flock(fd, LOCK_EX | LOCK_NB), 0);
	close(fd);
	expect(&a, "PATCH", "/drives/scratch",
	       "{\"drive_id\": \"scratch\", \"rate_limiter\": null}", 204, "");
	api_finish(&a, SIGTERM, &r);
	run_result_free(&r);
	unlink(first);
	unlink(second);
	free(first);
	free(second);
}

/* Reads (a)'s stdout for (ms) and returns how much it has collected. */
static size_t stdout_after(struct api *a, int ms)
{
	/* A needle no guest prints: run_wait_stdout() reads until the
	 * time is up. */
	run_wait_stdout(&a->p, "\x01never\x01", ms);
	return a->p.res.out_len;
}

/* PATCH /vm parks the vCPUs: a guest that writes without end writes
 * nothing while paused, and again once resumed; SIGTERM stops a paused
 * VM. */
Test(api, pause_and_resume)
{
	struct run_result r;
	struct api a;
	size_t before, paused;

	api_start(&a);
	expect(&a, "PUT", "/boot-source",
	       "{\"kernel_image_path\": \"" FLOOD "\"}", 204, "");
	expect(&a, "PUT", "/actions", "{\"action_type\": \"InstanceStart\"}",
	       204, "");
	cr_assert(run_wait_stdout(&a.p, "flood: the quick", RUN_TIMEOUT_MS));
	expect(&a, "PATCH", "/vm", "{\"state\": \"Paused\"}", 204, "");
	expect(&a, "GET", "/", NULL, 200, "\"state\":\"Paused\"");
	/* Whatever was written before the 204 is in the pipe: drain it,
	 * then nothing more may come. */
	before = stdout_after(&a, 200);
	paused = stdout_after(&a, 500);
	cr_expect_eq(paused, before, "%zu bytes written while paused",
		     paused - before);
	expect(&a, "PATCH", "/vm", "{\"state\": \"Paused\"}", 204, "");
	expect(&a, "PATCH", "/vm", "{\"state\": \"Resumed\"}", 204, "");
	expect(&a, "GET", "/", NULL, 200, "\"state\":\"Running\"");
	for (int i = 0; i < 50 && a.p.res.out_len == paused; i++)
		stdout_after(&a, 100);
	cr_expect_gt(a.p.res.out_len, paused, "nothing written once resumed");
	expect(&a, "PATCH", "/vm", "{\"state\": \"Paused\"}", 204, "");
	api_finish(&a, SIGTERM, &r);
	run_result_free(&r);
}

/* PUT /logger and PUT /metrics (docs/logger.md, docs/metrics.md): the log
 * in Firecracker's line format, metrics flushed on request and at exit,
 * with the guest's entropy requests counted. */
Test(api, logger_and_metrics)
{
	char body[256], log_path[128], metrics_path[128], *text;
	struct run_result r;
	struct api a;

	api_start(&a);
	snprintf(log_path, sizeof(log_path), "%s/log", a.dir);
	snprintf(metrics_path, sizeof(metrics_path), "%s/metrics", a.dir);
	snprintf(body, sizeof(body),
		 "{\"log_path\": \"%s\", \"level\": \"Info\", "
		 "\"show_level\": true, \"show_log_origin\": true}",
		 log_path);
	expect(&a, "PUT", "/logger", body, 204, "");
	snprintf(body, sizeof(body), "{\"metrics_path\": \"%s\"}",
		 metrics_path);
	expect(&a, "PUT", "/metrics", body, 204, "");
	expect(&a, "PUT", "/metrics", body, 400, "configured already");
	expect(&a, "GET", "/vm/config", NULL, 200, "\"level\":\"Info\"");
	expect(&a, "PUT", "/actions", "{\"action_type\": \"FlushMetrics\"}",
	       204, "");
	text = metrics_text_read(metrics_path);
	cr_expect_eq(run_count_lines(text), 1, "one line per flush: %s", text);
	cr_expect(strstr(text, "{\"utc_timestamp_ms\":"), "%s", text);
	cr_expect(strstr(text, "\"logger\":{\"missed_log_count\":0"), "%s",
		  text);
	free(text);
	expect(&a, "PUT", "/boot-source",
	       "{\"kernel_image_path\": \"" VIRTIO_RNG "\", "
	       "\"boot_args\": \"console=ttyS0\"}",
	       204, "");
	expect(&a, "PUT", "/entropy", "{}", 204, "");
	expect(&a, "PUT", "/actions", "{\"action_type\": \"InstanceStart\"}",
	       204, "");
	api_finish(&a, 0, &r);
	run_expect_line(&r, "virtio_rng: random ok");
	/* The last line, written at exit, has the guest's requests. */
	text = metrics_text_read(metrics_path);
	cr_expect_eq(run_count_lines(text), 2, "%s", text);
	cr_expect_gt(metrics_text_sum(text, "entropy", "entropy_event_count"), 0,
		     "%s", text);
	cr_expect_gt(metrics_text_sum(text, "entropy", "entropy_bytes"), 0, "%s",
		     text);
	cr_expect_gt(metrics_text_sum(text, "vcpu", "exit_io_out"), 0, "%s", text);
	cr_expect_gt(metrics_text_sum(text, "vcpu", "exit_mmio_write"), 0, "%s",
		     text);
	free(text);
	/* "<UTC time> [ignis:<thread>:<LEVEL>:<file>:<line>] <message>". */
	text = metrics_text_read(log_path);
	cr_expect(strstr(text, " [ignis:fc_vcpu 0:INFO:arch/x86_64/arch.c:"),
		  "log: %s", text);
	cr_expect(strstr(text, "] guest reset via the i8042\n"), "log: %s",
		  text);
	/* Each request, as Firecracker logs them; a fault with its reason. */
	cr_expect(strstr(text, "[ignis:ignis:INFO:api/fc_api.c:"), "log: %s",
		  text);
	cr_expect(strstr(text, "] API PUT /actions: 204\n"), "log: %s", text);
	cr_expect(strstr(text, "] API PUT /metrics: 400 {\"fault_message\":"),
		  "log: %s", text);
	cr_expect(text[4] == '-' && text[10] == 'T' && text[19] == '.',
		  "not an ISO time: %s", text);
	free(text);
	unlink(log_path);
	unlink(metrics_path);
	rmdir(a.dir);
	run_result_free(&r);
}

/* A start that fails in the builder is a 400 with a reason; the
 * configuration can be corrected and started again. */
Test(api, failed_start_then_start)
{
	struct run_result r;
	struct api a;

	api_start(&a);
	expect(&a, "PUT", "/boot-source",
	       "{\"kernel_image_path\": \"" VIRTIO_RNG "\", "
	       "\"boot_args\": \"console=ttyS0\"}",
	       204, "");
	expect(&a, "PUT", "/entropy", "{}", 204, "");
	/* 64 TiB: more than this host has. */
	expect(&a, "PUT", "/machine-config",
	       "{\"vcpu_count\": 1, \"mem_size_mib\": 67108864}", 204, "");
	expect(&a, "PUT", "/actions", "{\"action_type\": \"InstanceStart\"}",
	       400, "Start microvm error: ");
	expect(&a, "GET", "/", NULL, 200, "\"state\":\"Not started\"");
	expect(&a, "PATCH", "/machine-config", "{\"mem_size_mib\": 64}", 204,
	       "");
	expect(&a, "PUT", "/actions", "{\"action_type\": \"InstanceStart\"}",
	       204, "");
	api_finish(&a, 0, &r);
	run_expect_line(&r, "virtio_rng: random ok");
	cr_expect(strstr(r.err, "more than the host has"), "stderr: %s", r.err);
	run_result_free(&r);
}

/* Bad requests get 400 and a fault_message naming what is wrong, nothing
 * is half-applied, and the server keeps serving. */
Test(api_requests, bad_requests)
{
	struct run_result r;
	struct api a;

	api_start(&a);
	expect(&a, "PUT", "/machine-config", "{\"vcpu_count\": 2,", 400,
	       "An error occurred when deserializing the json body");
	expect(&a, "PUT", "/machine-config",
	       "{\"vcpu_count\": 2, \"mem_size_mib\": 64, \"vcpus\": 1}", 400,
	       "vcpus");
	expect(&a, "PUT", "/machine-config",
	       "{\"vcpu_count\": \"2\", \"mem_size_mib\": 64}", 400,
	       "vcpu_count");
	expect(&a, "PUT", "/machine-config", "{\"vcpu_count\": 2}", 400,
	       "mem_size_mib");
	/* Nothing of a refused body is applied. */
	expect(&a, "PUT", "/machine-config",
	       "{\"vcpu_count\": 4, \"mem_size_mib\": 1}", 400, "mem_size_mib");
	expect(&a, "GET", "/machine-config", NULL, 200,
	       "{\"vcpu_count\":1,\"mem_size_mib\":128,");
	expect(&a, "PUT", "/drives/rootfs",
	       "{\"drive_id\": \"other\", \"path_on_host\": \"/x\", "
	       "\"is_root_device\": true}",
	       400, "the id from the path does not match");
	expect(&a, "PUT", "/drives/bad-id",
	       "{\"drive_id\": \"bad-id\", \"path_on_host\": \"/x\", "
	       "\"is_root_device\": true}",
	       400, "alphanumeric characters and underscores");
	expect(&a, "PUT", "/drives", "{}", 400, "The ID cannot be empty.");
	expect(&a, "PUT", "/network-interfaces/eth0",
	       "{\"iface_id\": \"eth1\", \"host_dev_name\": \"tap0\"}", 400,
	       "does not match");
	expect(&a, "PUT", "/nonsense", "{}", 400,
	       "Invalid request method and/or path: PUT nonsense.");
	expect(&a, "DELETE", "/machine-config", NULL, 400,
	       "Invalid request method and/or path: DELETE machine-config.");
	expect(&a, "GET", "/actions", NULL, 400,
	       "Invalid request method and/or path: GET actions.");
	expect(&a, "PUT", "/boot-source", "", 400, "Empty PUT request.");
	expect(&a, "GET", "/", "{}", 400, "GET request cannot have a body.");
	expect(&a, "PUT", "/actions", "{\"action_type\": \"Reboot\"}", 400,
	       "action_type");
	expect(&a, "PUT", "/actions", "{\"action_type\": \"InstanceStart\"}",
	       400, "boot source");
	expect(&a, "PUT", "/boot-source",
	       "{\"kernel_image_path\": \"/nonexistent/vmlinux\"}", 204, "");
	expect(&a, "PUT", "/actions", "{\"action_type\": \"InstanceStart\"}",
	       400, "kernel_image_path: /nonexistent/vmlinux");
	/* Pre-boot, Firecracker refuses what only changes a running VM. */
	expect(&a, "PATCH", "/drives/rootfs",
	       "{\"drive_id\": \"rootfs\", \"path_on_host\": \"/x\"}", 400,
	       PRE_BOOT);
	expect(&a, "PUT", "/actions", "{\"action_type\": \"SendCtrlAltDel\"}",
	       400, PRE_BOOT);
	expect(&a, "PATCH", "/vm", "{\"state\": \"Paused\"}", 400, PRE_BOOT);
	/* A logger or metrics file that cannot be opened changes nothing. */
	expect(&a, "PUT", "/logger",
	       "{\"log_path\": \"/nonexistent/log\", \"level\": \"Debug\"}",
	       400, "/nonexistent/log: No such file or directory");
	expect(&a, "PUT", "/logger", "{\"level\": \"Loud\"}", 400, "level");
	expect(&a, "PUT", "/metrics", "{\"metrics_path\": \"/nonexistent/m\"}",
	       400, "/nonexistent/m: No such file or directory");
	expect(&a, "PUT", "/metrics", "{}", 400, "metrics_path");
	expect(&a, "GET", "/vm/config", NULL, 200,
	       "\"logger\":{\"log_path\":null,\"level\":\"Warn\"");
	expect(&a, "GET", "/vm/config", NULL, 200, "\"metrics\":null");
	/* What ignis has nothing behind yet says so. */
	expect(&a, "PUT", "/balloon", "{}", 400, "not supported by ignis yet");
	expect(&a, "PUT", "/snapshot/create", "{}", 400,
	       "not supported by ignis yet");
	expect(&a, "GET", "/version", NULL, 200, "{\"firecracker_version\":");
	expect(&a, "GET", "/", NULL, 200, "\"state\":\"Not started\"");
	api_finish(&a, SIGTERM, &r);
	run_result_free(&r);
}

/* Pre-boot edits, with bodies from Firecracker's docs, read back with
 * GET /machine-config and GET /vm/config (nothing is opened before
 * InstanceStart, so no tap or image is needed). */
Test(api_requests, preboot_edits)
{
	struct run_result r;
	struct api a;

	api_start(&a);
	expect(&a, "PUT", "/machine-config",
	       "{\"vcpu_count\": 2, \"mem_size_mib\": 1024, \"smt\": false, "
	       "\"track_dirty_pages\": false, \"huge_pages\": \"None\"}",
	       204, "");
	expect(&a, "PATCH", "/machine-config", "{\"vcpu_count\": 3}", 204, "");
	expect(&a, "GET", "/machine-config", NULL, 200,
	       "{\"vcpu_count\":3,\"mem_size_mib\":1024,");
	expect(&a, "PATCH", "/machine-config", "{}", 400, "at least one");
	expect(&a, "PUT", "/network-interfaces/net1",
	       "{\"iface_id\": \"net1\", \"guest_mac\": \"06:00:AC:10:00:02\", "
	       "\"host_dev_name\": \"tap0\"}",
	       204, "");
	expect(&a, "PUT", "/drives/rootfs",
	       "{\"drive_id\": \"rootfs\", \"path_on_host\": \"/a.ext4\", "
	       "\"is_root_device\": true, \"is_read_only\": false}",
	       204, "");
	/* The same id again replaces the drive. */
	expect(&a, "PUT", "/drives/rootfs",
	       "{\"drive_id\": \"rootfs\", \"path_on_host\": \"/b.ext4\", "
	       "\"is_root_device\": true, \"is_read_only\": true}",
	       204, "");
	expect(&a, "GET", "/vm/config", NULL, 200,
	       "\"host_dev_name\":\"tap0\"");
	expect(&a, "GET", "/vm/config", NULL, 200,
	       "\"drives\":[{\"drive_id\":\"rootfs\",\"path_on_host\":"
	       "\"/b.ext4\"");
	/* docs/vsock.md's body. */
	expect(&a, "PUT", "/vsock",
	       "{\"guest_cid\": 3, \"uds_path\": \"./v.sock\"}", 204, "");
	expect(&a, "PUT", "/vsock", "{\"guest_cid\": 2, \"uds_path\": \"v\"}",
	       400, "guest_cid");
	expect(&a, "GET", "/vm/config", NULL, 200,
	       "\"vsock\":{\"guest_cid\":3,\"uds_path\":\"./v.sock\"");
	/* ignis's VFIO extension: parsed and kept, nothing opened yet. */
	expect(&a, "GET", "/vm/config", NULL, 200, ",\"vfio\":[]}");
	expect(&a, "PUT", "/vfio/nic0",
	       "{\"vfio_id\": \"nic0\", \"path\": \"0000:00:01.0\", "
	       "\"iommu\": true}",
	       204, "");
	expect(&a, "PUT", "/vfio/nic0",
	       "{\"vfio_id\": \"nic1\", \"path\": \"0000:00:01.0\"}", 400,
	       "does not match");
	expect(&a, "PUT", "/vfio/nic1",
	       "{\"vfio_id\": \"nic1\", \"path\": \"0000:00:20.0\"}", 400,
	       "path: device 20 out of range");
	expect(&a, "GET", "/vm/config", NULL, 200,
	       "\"vfio\":[{\"vfio_id\":\"nic0\",\"path\":"
	       "\"/sys/bus/pci/devices/0000:00:01.0\",\"iommu\":true}]");
	api_finish(&a, SIGTERM, &r);
	run_result_free(&r);
}

/* SIGTERM before InstanceStart: exit 0, socket removed. */
Test(api_requests, sigterm_before_start)
{
	struct run_result r;
	struct api a;

	api_start(&a);
	api_finish(&a, SIGTERM, &r);
	cr_expect_str_empty(r.out);
	run_result_free(&r);
}

/* --http-api-max-payload-size bounds a body. */
Test(api_requests, max_payload_size)
{
	const char *const extra[] = { "--http-api-max-payload-size", "64",
				      NULL };
	struct run_result r;
	struct api a;

	api_start_with(&a, extra);
	expect(&a, "PUT", "/machine-config",
	       "{\"vcpu_count\": 1, \"mem_size_mib\": 64}", 204, "");
	expect(&a, "PUT", "/boot-source",
	       "{\"kernel_image_path\": \"/a/long/path/to/a/kernel/image\", "
	       "\"boot_args\": \"console=ttyS0\"}",
	       400, NULL);
	expect(&a, "GET", "/", NULL, 200, "Not started");
	api_finish(&a, SIGINT, &r);
	run_result_free(&r);
}

static void expect_usage(const char *const args[], const char *msg)
{
	struct run_result r;

	cr_assert_eq(run_ignis(args, &r), 0);
	cr_expect(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 2,
		  "exit status %d", r.status);
	cr_expect(strstr(r.err, msg), "stderr: %s", r.err);
	run_result_free(&r);
}

Test(api_requests, cli)
{
	const char *const no_api[] = { "--no-api", NULL };
	const char *const both[] = { "--no-api",      "--api-sock",   "/tmp/x",
				     "--config-file", "/nonexistent", NULL };
	const char *const none[] = { NULL };
	const char *const payload[] = { "--api-sock", "/tmp/x",
					"--http-api-max-payload-size", "0",
					NULL };
	const char *const vfio[] = { "--kernel", "k", "--vfio", "0000:00:20.0",
				     NULL };

	expect_usage(no_api, "--no-api needs --config-file");
	expect_usage(both, "--config-file");
	expect_usage(none, "--kernel is required");
	expect_usage(payload, "--http-api-max-payload-size");
	/* Parsing only: whether a good one exists is the builder's. */
	expect_usage(vfio, "ignis: --vfio 0000:00:20.0: device 20 out of "
			   "range (at most 1f)\n");
}

/* --no-api with --config-file boots as without it. */
Test(api, no_api_with_config_file)
{
	static const char text[] =
		"{\"boot-source\": {\"kernel_image_path\": \"" VIRTIO_RNG
		"\", \"boot_args\": \"console=ttyS0\"}, \"drives\": [], "
		"\"entropy\": {}}";

	boot_rng_from_file(text, "--no-api");
}

/* --kernel with --api-sock: the VM boots at once and the API is served
 * while it runs. */
Test(api, api_with_kernel_flag)
{
	const char *const extra[] = { "--kernel", SPIN, NULL };
	struct run_result r;
	struct api a;

	api_start_with(&a, extra);
	cr_assert(run_wait_stdout(&a.p, "spin: spinning", RUN_TIMEOUT_MS));
	expect(&a, "GET", "/", NULL, 200, "\"state\":\"Running\"");
	expect(&a, "GET", "/vm/config", NULL, 200, SPIN);
	expect(&a, "PUT", "/actions", "{\"action_type\": \"InstanceStart\"}",
	       400, POST_BOOT);
	api_finish(&a, SIGINT, &r);
	run_result_free(&r);
}

/* --- concurrency, from raw clients ------------------------------------- */

#define RAW_WAIT_MS 5000 /* bound of every wait on an answer */
#define RAW_CLIENTS 8 /* parallel clients in many_clients */
#define RAW_ROUNDS 50 /* GET / + PUT /machine-config, per client */
#define API_MAX_CONNS 10 /* Firecracker's, and ignis's default */
/* The API's per-request deadline (10 s, docs/API.md) and a margin. */
#define STALL_WAIT_MS 20000

/* A keep-alive connection to ignis's socket, read one answer at a time;
 * no Criterion assertion inside, so that threads may use it. */
struct raw {
	int fd; /* the connection; -1: none */
	size_t len; /* bytes in buf */
	char buf[16384]; /* what arrived, NUL-terminated */
};

/* Connects (c) to (a)'s socket: 0 or -errno. */
static int raw_connect(const struct api *a, struct raw *c)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	c->len = 0;
	c->buf[0] = '\0';
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return -errno;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", a->sock);
	if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = -errno;

		close(c->fd);
		c->fd = -1;
		return e;
	}
	return 0;
}

static void raw_close(struct raw *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

/* Sends (len) bytes of (s): 0 or -errno. */
static int raw_send(struct raw *c, const char *s, size_t len)
{
	while (len) {
		ssize_t n = send(c->fd, s, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n ? -errno : -EIO;
		s += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Reads more into (c) within (ms): bytes read, 0 at EOF (or reset),
 * -ETIMEDOUT, -ENOBUFS when full, or -errno. */
static ssize_t raw_fill(struct raw *c, int ms)
{
	struct pollfd p = { .fd = c->fd, .events = POLLIN };
	ssize_t n;
	int k;

	if (c->len >= sizeof(c->buf) - 1)
		return -ENOBUFS;
	do
		k = poll(&p, 1, ms);
	while (k < 0 && errno == EINTR);
	if (k <= 0)
		return k ? -errno : -ETIMEDOUT;
	n = recv(c->fd, c->buf + c->len, sizeof(c->buf) - 1 - c->len, 0);
	if (n < 0)
		return errno == ECONNRESET ? 0 : -errno;
	c->len += (size_t)n;
	c->buf[c->len] = '\0';
	return n;
}

/* The next answer's status, its body in (body) (NUL-terminated, at most
 * (cap) bytes; NULL: dropped), or -1 if none comes within RAW_WAIT_MS. */
static int raw_answer(struct raw *c, char *body, size_t cap)
{
	size_t head, len = 0, total;
	char *end, *cl;
	int status;

	while (!(end = strstr(c->buf, "\r\n\r\n")))
		if (raw_fill(c, RAW_WAIT_MS) <= 0)
			return -1;
	head = (size_t)(end - c->buf) + 4;
	cl = strcasestr(c->buf, "\r\nContent-Length:");
	if (cl && cl < end)
		len = strtoul(cl + strlen("\r\nContent-Length:"), NULL, 10);
	total = head + len;
	if (total >= sizeof(c->buf))
		return -1;
	while (c->len < total)
		if (raw_fill(c, RAW_WAIT_MS) <= 0)
			return -1;
	if (sscanf(c->buf, "HTTP/1.%*d %d", &status) != 1)
		return -1;
	if (body && cap) {
		len = len < cap - 1 ? len : cap - 1;
		memcpy(body, c->buf + head, len);
		body[len] = '\0';
	}
	memmove(c->buf, c->buf + total, c->len - total + 1);
	c->len -= total;
	return status;
}

/* One request on (c) (keep-alive): the answer's status, as raw_answer(). */
static int raw_request(struct raw *c, const char *method, const char *path,
		       const char *body, char *out, size_t cap)
{
	char head[256];
	size_t blen = body ? strlen(body) : 0;
	int n;

	if (out && cap)
		out[0] = '\0';
	n = snprintf(head, sizeof(head),
		     "%s %s HTTP/1.1\r\nHost: localhost\r\n"
		     "Content-Type: application/json\r\n"
		     "Content-Length: %zu\r\n\r\n",
		     method, path, blen);
	if (raw_send(c, head, (size_t)n) || (blen && raw_send(c, body, blen)))
		return -1;
	return raw_answer(c, out, cap);
}

/* Whether the server closes (c) within (ms), whatever it sends first. */
static bool raw_closed_by_server(struct raw *c, int ms)
{
	for (;;) {
		ssize_t n;

		if (c->len > sizeof(c->buf) / 2) {
			c->len = 0;
			c->buf[0] = '\0';
		}
		n = raw_fill(c, ms);
		if (!n)
			return true;
		if (n < 0)
			return false;
	}
}

/* One of many_clients's clients and what it saw. */
struct raw_job {
	const struct api *a; /* the ignis to talk to */
	unsigned int idx; /* the client's number: its values */
	int err; /* 0, or the first failure (-errno, or the status) */
	unsigned int answered; /* requests answered as expected */
	char what[160]; /* the first failure, in words */
};

/* The machine config client (idx) writes in round (i): a pair that tells
 * a whole write from a mix of two. */
static unsigned int job_vcpus(unsigned int idx)
{
	return idx + 1;
}

static unsigned int job_mem_mib(unsigned int idx, unsigned int i)
{
	return 64 + idx * 1000 + i;
}

static void *raw_job_run(void *arg)
{
	struct raw_job *j = arg;
	char body[256], out[512];
	struct raw c;
	int s;

	j->err = raw_connect(j->a, &c);
	if (j->err) {
		snprintf(j->what, sizeof(j->what), "connect: %s",
			 strerror(-j->err));
		return NULL;
	}
	for (unsigned int i = 0; i < RAW_ROUNDS; i++) {
		s = raw_request(&c, "GET", "/", NULL, out, sizeof(out));
		if (s != 200 || !strstr(out, "\"state\":\"Not started\"")) {
			j->err = s ? s : -1;
			snprintf(j->what, sizeof(j->what),
				 "round %u: GET /: %d %.100s", i, s, out);
			break;
		}
		j->answered++;
		snprintf(body, sizeof(body),
			 "{\"vcpu_count\": %u, \"mem_size_mib\": %u}",
			 job_vcpus(j->idx), job_mem_mib(j->idx, i));
		s = raw_request(&c, "PUT", "/machine-config", body, out,
				sizeof(out));
		if (s != 204) {
			j->err = s ? s : -1;
			snprintf(j->what, sizeof(j->what),
				 "round %u: PUT /machine-config: %d %.100s", i,
				 s, out);
			break;
		}
		j->answered++;
	}
	raw_close(&c);
	return NULL;
}

/* Eight clients at once, each with 50 GET / and 50 PUT /machine-config on
 * a keep-alive connection: every request is answered, and the machine
 * config left is one that a client wrote, whole. */
Test(api_requests, many_clients)
{
	static struct raw_job jobs[RAW_CLIENTS];
	pthread_t th[RAW_CLIENTS];
	unsigned int vcpus, mem, idx;
	struct run_result r;
	struct reply cfg;
	struct api a;

	api_start(&a);
	for (unsigned int i = 0; i < RAW_CLIENTS; i++) {
		jobs[i] = (struct raw_job){ .a = &a, .idx = i };
		cr_assert_eq(
			pthread_create(&th[i], NULL, raw_job_run, &jobs[i]), 0);
	}
	for (unsigned int i = 0; i < RAW_CLIENTS; i++) {
		pthread_join(th[i], NULL);
		cr_expect_eq(jobs[i].err, 0, "client %u: %s", i, jobs[i].what);
		cr_expect_eq(jobs[i].answered, 2 * RAW_ROUNDS,
			     "client %u: %u answered", i, jobs[i].answered);
	}
	call(&a, "GET", "/machine-config", NULL, &cfg);
	cr_assert_eq(cfg.status, 200, "%s", cfg.body);
	cr_assert_eq(sscanf(cfg.body, "{\"vcpu_count\":%u,\"mem_size_mib\":%u",
			    &vcpus, &mem),
		     2, "%s", cfg.body);
	idx = vcpus - 1;
	cr_expect(vcpus >= 1 && vcpus <= RAW_CLIENTS &&
			  mem >= job_mem_mib(idx, 0) &&
			  mem < job_mem_mib(idx, RAW_ROUNDS),
		  "not a value any client wrote: %s", cfg.body);
	api_finish(&a, SIGTERM, &r);
	run_result_free(&r);
}

/* A client that sends half a request head and stalls delays nobody: other
 * clients are served meanwhile; at the request deadline ignis closes it,
 * nothing of it applied, and goes on serving. */
Test(api_requests, stalled_client)
{
	static const char half[] = "PUT /machine-config HTTP/1.1\r\nHost: loc";
	struct raw stalled, other;
	struct run_result r;
	struct api a;

	api_start(&a);
	cr_assert_eq(raw_connect(&a, &stalled), 0);
	cr_assert_eq(raw_send(&stalled, half, sizeof(half) - 1), 0);
	for (unsigned int i = 0; i < 4; i++) {
		cr_assert_eq(raw_connect(&a, &other), 0);
		for (unsigned int k = 0; k < 10; k++) {
			cr_expect_eq(
				raw_request(&other, "GET", "/", NULL, NULL, 0),
				200, "client %u, request %u", i, k);
			cr_expect_eq(
				raw_request(&other, "PATCH", "/machine-config",
					    "{\"vcpu_count\": 2}", NULL, 0),
				204, "client %u, request %u", i, k);
		}
		raw_close(&other);
	}
	expect(&a, "GET", "/machine-config", NULL, 200,
	       "{\"vcpu_count\":2,\"mem_size_mib\":128,");
	/* The deadline (10 s) passes: a 408 perhaps, then the door. */
	cr_expect(raw_closed_by_server(&stalled, STALL_WAIT_MS),
		  "the stalled client was not closed: %s", stalled.buf);
	raw_close(&stalled);
	expect(&a, "GET", "/", NULL, 200, "\"state\":\"Not started\"");
	expect(&a, "GET", "/machine-config", NULL, 200,
	       "{\"vcpu_count\":2,\"mem_size_mib\":128,");
	api_finish(&a, SIGTERM, &r);
	run_result_free(&r);
}

/* A client that announces a 1000-byte body and goes away after 10 bytes
 * changes nothing, and the server keeps serving. */
Test(api_requests, client_gone_mid_body)
{
	static const char head[] = "PUT /machine-config HTTP/1.1\r\n"
				   "Host: localhost\r\n"
				   "Content-Type: application/json\r\n"
				   "Content-Length: 1000\r\n\r\n"
				   "{\"vcpu_cou";
	struct run_result r;
	struct raw c;
	struct api a;

	api_start(&a);
	for (unsigned int i = 0; i < 3; i++) {
		cr_assert_eq(raw_connect(&a, &c), 0);
		cr_assert_eq(raw_send(&c, head, sizeof(head) - 1), 0);
		raw_close(&c);
		expect(&a, "GET", "/", NULL, 200, "\"state\":\"Not started\"");
	}
	/* Half-closed instead: the server sees EOF mid-body, and must not
	 * take what came for a request either. */
	cr_assert_eq(raw_connect(&a, &c), 0);
	cr_assert_eq(raw_send(&c, head, sizeof(head) - 1), 0);
	cr_assert_eq(shutdown(c.fd, SHUT_WR), 0);
	cr_expect(raw_closed_by_server(&c, RAW_WAIT_MS),
		  "the server kept a client that sent EOF mid-body");
	cr_expect(!strstr(c.buf, "HTTP/1.1 2"), "answered: %s", c.buf);
	raw_close(&c);
	expect(&a, "GET", "/machine-config", NULL, 200,
	       "{\"vcpu_count\":1,\"mem_size_mib\":128,");
	expect(&a, "PUT", "/machine-config",
	       "{\"vcpu_count\": 2, \"mem_size_mib\": 64}", 204, "");
	expect(&a, "GET", "/machine-config", NULL, 200,
	       "{\"vcpu_count\":2,\"mem_size_mib\":64,");
	api_finish(&a, SIGTERM, &r);
	run_result_free(&r);
}

/* Ten connections held open are served; the eleventh gets 503 and is
 * closed; the ten still work, and once they close others get in. */
Test(api_requests, connection_limit)
{
	static struct raw held[API_MAX_CONNS + 1];
	struct run_result r;
	struct api a;
	char out[512];

	api_start(&a);
	/* Each answered before the next connects: all ten are counted (and
	 * curl's connection from api_start() is gone) before the 11th. */
	for (unsigned int i = 0; i < API_MAX_CONNS; i++) {
		cr_assert_eq(raw_connect(&a, &held[i]), 0);
		cr_assert_eq(raw_request(&held[i], "GET", "/", NULL, out,
					 sizeof(out)),
			     200, "connection %u: %s", i, out);
	}
	cr_assert_eq(raw_connect(&a, &held[API_MAX_CONNS]), 0);
	cr_expect_eq(raw_answer(&held[API_MAX_CONNS], out, sizeof(out)), 503,
		     "the 11th connection: %s", held[API_MAX_CONNS].buf);
	cr_expect(raw_closed_by_server(&held[API_MAX_CONNS], RAW_WAIT_MS),
		  "the 11th connection stays open");
	raw_close(&held[API_MAX_CONNS]);
	for (unsigned int i = 0; i < API_MAX_CONNS; i++)
		cr_expect_eq(raw_request(&held[i], "GET", "/machine-config",
					 NULL, out, sizeof(out)),
			     200, "connection %u: %s", i, out);
	for (unsigned int i = 0; i < API_MAX_CONNS; i++)
		raw_close(&held[i]);
	/* Closed connections free their slots (bounded wait: the server
	 * notices the closes in its own time). */
	{
		struct reply rep = { 0 };

		for (int i = 0; i < 500 && rep.status != 200; i++) {
			call(&a, "GET", "/", NULL, &rep);
			if (rep.status != 200)
				usleep(10000);
		}
		cr_expect_eq(rep.status, 200, "%s", rep.body);
	}
	api_finish(&a, SIGTERM, &r);
	run_result_free(&r);
}
