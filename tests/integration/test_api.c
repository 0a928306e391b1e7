// SPDX-License-Identifier: Apache-2.0
/* tests/integration/test_api.c: the Firecracker API over --api-sock, with curl as the client. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "blk_image.h"
#include "run.h"
#include "support/tmpfile.h"

#define SPIN GUEST_DIR "/spin"
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

/* PUT /entropy (docs/entropy.md) gives the guest its virtio-rng; and GET
 * /vm/config is a config file that boots the same VM. */
Test(api, entropy_device_and_vm_config)
{
	struct run_result r;
	struct reply cfg;
	struct api a;
	char *path;

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

	path = tmpfile_with(cfg.body, strlen(cfg.body));
	cr_assert_not_null(path);
	{
		const char *const args[] = { "--config-file", path, NULL };

		run_boot(&r, args);
	}
	run_expect_line(&r, "virtio_rng: random ok");
	run_result_free(&r);
	unlink(path);
	free(path);
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
	expect(&a, "PUT", "/actions", "{\"action_type\": \"InstanceStart\"}",
	       400, POST_BOOT);
	/* A bad body still gets its own reason after boot. */
	expect(&a, "PUT", "/machine-config",
	       "{\"vcpu_count\": true, \"mem_size_mib\": 64}", 400,
	       "vcpu_count");
	expect(&a, "PATCH", "/drives/d",
	       "{\"drive_id\": \"d\", \"path_on_host\": \"/dev/null\"}", 400,
	       "no such drive");
	expect(&a, "PUT", "/actions", "{\"action_type\": \"SendCtrlAltDel\"}",
	       400, "not supported by ignis yet");
	expect(&a, "PATCH", "/vm", "{\"state\": \"Paused\"}", 400,
	       "not supported by ignis yet");
	expect(&a, "GET", "/machine-config", NULL, 200, "\"vcpu_count\":1");
	expect(&a, "GET", "/vm/config", NULL, 200, SPIN);
	expect(&a, "GET", "/", NULL, 200, "\"state\":\"Running\"");
	api_finish(&a, SIGTERM, &r);
	cr_expect_str_eq(r.out, "spin: spinning\n");
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
	expect(&a, "PUT", "/actions", "{\"action_type\": \"FlushMetrics\"}",
	       400, PRE_BOOT);
	/* What ignis has nothing behind yet says so. */
	expect(&a, "PUT", "/vsock",
	       "{\"guest_cid\": 3, \"uds_path\": \"./v.sock\"}", 400,
	       "not supported by ignis yet");
	expect(&a, "PUT", "/logger", "{\"log_path\": \"log\"}", 400,
	       "not supported by ignis yet");
	expect(&a, "PUT", "/metrics", "{\"metrics_path\": \"m\"}", 400,
	       "not supported by ignis yet");
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

	expect_usage(no_api, "--no-api needs --config-file");
	expect_usage(both, "--config-file");
	expect_usage(none, "--kernel is required");
	expect_usage(payload, "--http-api-max-payload-size");
}

/* --no-api with --config-file boots as without it. */
Test(api, no_api_with_config_file)
{
	static const char text[] =
		"{\"boot-source\": {\"kernel_image_path\": \"" VIRTIO_RNG
		"\", \"boot_args\": \"console=ttyS0\"}, \"drives\": [], "
		"\"entropy\": {}}";
	char *path = tmpfile_with(text, sizeof(text) - 1);
	const char *const args[] = { "--no-api", "--config-file", path, NULL };
	struct run_result r;

	cr_assert_not_null(path);
	run_boot(&r, args);
	run_expect_line(&r, "virtio_rng: random ok");
	run_result_free(&r);
	unlink(path);
	free(path);
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
