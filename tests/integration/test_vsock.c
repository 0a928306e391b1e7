// SPDX-License-Identifier: Apache-2.0
/* tests/integration/test_vsock.c: the virtio_vsock guest through ignis's Unix-socket backend, the test as the host. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "metrics_text.h"
#include "run.h"
#include "support/tmpfile.h"

#define VIRTIO_VSOCK	GUEST_DIR "/virtio_vsock"
#define HELLO		GUEST_DIR "/hello"
#define WAIT_MS		30000		/* bound on any one step */
#define XFER		(96 * 1024)	/* the guest's phase 2, each way */
#define ECHO		(48 * 1024)	/* what the host has echoed */
#define GUEST_PORT	1234		/* the guest listens there */
#define HOST_PORT	5000		/* the guest connects there */

TestSuite(vsock, .init = run_need_kvm, .timeout = 180);

static char dir[32], uds[48], uds_5000[56];

/* A scratch directory for the sockets, the host listening on
 * <uds>_5000 before ignis starts (the guest connects at once). */
static int host_setup(void)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd;

	snprintf(dir, sizeof(dir), "/tmp/ignis-vsock-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(uds, sizeof(uds), "%s/v.sock", dir);
	snprintf(uds_5000, sizeof(uds_5000), "%s_%d", uds, HOST_PORT);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_assert_geq(fd, 0);
	memcpy(a.sun_path, uds_5000, strlen(uds_5000) + 1);
	cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	cr_assert_eq(listen(fd, 4), 0);
	return fd;
}

static void host_cleanup(int listener)
{
	struct stat st;

	close(listener);
	unlink(uds_5000);
	cr_expect_neq(stat(uds, &st), 0, "ignis removes its socket at exit");
	unlink(uds);
	rmdir(dir);
}

static uint8_t pattern(uint32_t i, uint8_t salt)
{
	return (uint8_t)(i + (i >> 8) * 17 + (i >> 16) * 5 + salt);
}

static bool ready(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, ms) == 1;
}

static int host_connect(void)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	cr_assert_geq(fd, 0);
	memcpy(a.sun_path, uds, strlen(uds) + 1);
	cr_assert_eq(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0,
		     "connect %s: %s", uds, strerror(errno));
	return fd;
}

static void write_all(int fd, const void *p, size_t n)
{
	cr_assert_eq(write(fd, p, n), (ssize_t)n, "write: %s",
		     strerror(errno));
}

static void read_all(int fd, void *p, size_t n)
{
	uint8_t *b = p;

	while (n) {
		ssize_t r;

		cr_assert(ready(fd, WAIT_MS), "read timed out");
		r = read(fd, b, n);
		cr_assert_gt(r, 0, "read: %zd (%s)", r, strerror(errno));
		b += r;
		n -= (size_t)r;
	}
}

/* ignis hung up on the host: EOF, or ECONNRESET when it went with bytes
 * the host wrote still unread. */
static void expect_closed(int fd)
{
	ssize_t r;
	char c;

	cr_assert(ready(fd, WAIT_MS), "ignis kept the socket open");
	r = read(fd, &c, 1);
	cr_assert(r == 0 || (r < 0 && errno == ECONNRESET),
		  "got %zd (%s), want the socket closed", r, strerror(errno));
}

/* Writes (line) on a new connection; ignis must hang up, never "OK". */
static void expect_refused(const char *line)
{
	int fd = host_connect();

	write_all(fd, line, strlen(line));
	expect_closed(fd);
	close(fd);
}

/* Phase 2: the guest's 96 KiB up to EOF (its SHUTDOWN(SEND)), 96 KiB
 * back, then the host hangs up. */
static void serve_guest_connection(int listener)
{
	static uint8_t buf[XFER + 1];
	size_t got = 0;
	ssize_t r;
	int a;

	cr_assert(ready(listener, WAIT_MS), "the guest never connected");
	a = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
	cr_assert_geq(a, 0);
	do {
		cr_assert(ready(a, WAIT_MS), "stalled at %zu bytes", got);
		r = read(a, buf + got, sizeof(buf) - got);
		cr_assert_geq(r, 0, "read: %s", strerror(errno));
		got += (size_t)r;
	} while (r > 0 && got < sizeof(buf));
	cr_assert_eq(got, XFER, "the guest sent %zu bytes", got);
	for (uint32_t i = 0; i < XFER; i++)
		cr_assert_eq(buf[i], pattern(i, 3), "byte %u", i);
	for (uint32_t i = 0; i < XFER; i++)
		buf[i] = pattern(i, 101);
	write_all(a, buf, XFER);
	close(a);
}

/* Phase 3: CONNECT with the first bytes in the same write, "OK <port>",
 * the rest, the echo back, then hang up. */
static void echo_through_guest(void)
{
	static uint8_t msg[ECHO], back[ECHO];
	char line[40], head[64];
	unsigned long port;
	size_t n = 0;
	int fd = host_connect();

	for (uint32_t i = 0; i < ECHO; i++)
		msg[i] = pattern(i, 55);
	n = (size_t)snprintf(head, sizeof(head), "CONNECT %d\n", GUEST_PORT);
	memcpy(head + n, msg, 20);
	write_all(fd, head, n + 20);
	for (n = 0; n == 0 || line[n - 1] != '\n'; n++) {
		cr_assert_lt(n, sizeof(line) - 1, "no end of line");
		read_all(fd, line + n, 1);
	}
	line[n] = '\0';
	cr_assert_eq(sscanf(line, "OK %lu\n", &port), 1, "got '%s'", line);
	cr_expect_geq(port, 1ul << 30, "a host-side port of Firecracker's");
	write_all(fd, msg + 20, ECHO - 20);
	read_all(fd, back, ECHO);
	cr_expect_eq(memcmp(back, msg, ECHO), 0, "the echo differs");
	close(fd);
}

/* The host's side of the guest's three phases, with bad input of all
 * kinds before the good connection if (bad) is set. */
static void drive(struct run_proc *p, int listener, bool bad)
{
	serve_guest_connection(listener);
	cr_assert(run_wait_stdout(p, "virtio_vsock: listening on port 1234",
				  WAIT_MS),
		  "the guest is not listening\n%s", p->res.out);
	if (bad) {
		char longest[64];
		int fd;

		memset(longest, 'x', 40);
		longest[40] = '\0';
		expect_refused("GARBAGE\n");
		expect_refused("CONNECT\n");
		expect_refused("CONNECT -5\n");
		expect_refused(longest);
		/* Nobody listens on that guest port: the guest RSTs. */
		expect_refused("CONNECT 4321\n");
		/* A host that never says anything is let go (~2 s). */
		fd = host_connect();
		expect_closed(fd);
		close(fd);
	}
	echo_through_guest();
}

static void expect_guest_done(const struct run_result *r, unsigned int cid,
			      bool bad)
{
	char line[64];

	run_expect_exit0(r);
	snprintf(line, sizeof(line), "virtio_vsock: cid %u", cid);
	run_expect_line(r, line);
	run_expect_line(r, "virtio_vsock: features 0000000130000001");
	run_expect_line(r, "virtio_vsock: refused by host port 9999");
	run_expect_line(r, "virtio_vsock: connected to host port 5000");
	run_expect_line(r, "virtio_vsock: sent bytes 98304");
	run_expect_line(r, "virtio_vsock: received bytes 98304");
	run_expect_line(r, "virtio_vsock: echoed bytes 49152");
	run_expect_line(r, bad ? "virtio_vsock: refused requests 1" :
				 "virtio_vsock: refused requests 0");
	run_expect_line(r, "virtio_vsock: errors 0");
	run_expect_line(r, "virtio_vsock: status 0x0f");
}

Test(vsock, guest_and_host_connections)
{
	int listener = host_setup();
	char vsock[80];
	const char *const args[] = { "--kernel", VIRTIO_VSOCK, "--memory",
				     "64M", "--vsock", vsock, NULL };
	struct run_result r;
	struct run_proc p;

	snprintf(vsock, sizeof(vsock), "cid=3,uds=%s", uds);
	cr_assert_eq(run_start(&p, args), 0);
	drive(&p, listener, true);
	run_finish(&p, WAIT_MS, &r);
	expect_guest_done(&r, 3, true);
	run_result_free(&r);
	host_cleanup(listener);
}

/* Firecracker's config file: its "vsock" section is the same device. */
Test(vsock, from_a_config_file)
{
	int listener = host_setup();
	char text[768], metrics[64], *path, *m;
	const char *args[] = { "--config-file", NULL, NULL };
	struct run_result r;
	struct run_proc p;
	int n;

	snprintf(metrics, sizeof(metrics), "%s/metrics", dir);

	n = snprintf(text, sizeof(text),
		     "{\"boot-source\": {\"kernel_image_path\": \"%s\"},\n"
		     " \"drives\": [],\n"
		     " \"machine-config\": {\"vcpu_count\": 1, "
		     "\"mem_size_mib\": 64},\n"
		     " \"vsock\": {\"vsock_id\": \"vsock0\", \"guest_cid\": 7, "
		     "\"uds_path\": \"%s\"},\n"
		     " \"metrics\": {\"metrics_path\": \"%s\"}}\n",
		     VIRTIO_VSOCK, uds, metrics);
	cr_assert(n > 0 && (size_t)n < sizeof(text));
	path = tmpfile_with(text, (size_t)n);
	cr_assert_not_null(path);
	args[1] = path;
	cr_assert_eq(run_start(&p, args), 0);
	drive(&p, listener, false);
	run_finish(&p, WAIT_MS, &r);
	expect_guest_done(&r, 7, false);
	/* The metrics count both directions' payload and connections. */
	m = metrics_text_read(metrics);
	cr_expect_geq(metrics_text_sum(m, "vsock", "rx_bytes_count"),
		      XFER + ECHO, "%s", m);
	cr_expect_geq(metrics_text_sum(m, "vsock", "tx_bytes_count"),
		      XFER + ECHO, "%s", m);
	cr_expect_geq(metrics_text_sum(m, "vsock", "conns_added"), 2, "%s", m);
	cr_expect_eq(metrics_text_sum(m, "vsock", "conns_added"),
		     metrics_text_sum(m, "vsock", "conns_removed"), "%s", m);
	free(m);
	unlink(metrics);
	run_result_free(&r);
	unlink(path);
	free(path);
	host_cleanup(listener);
}

/* A file where uds_path should be: refused as Firecracker refuses it, the
 * file left alone, no guest run. */
Test(vsock, existing_uds_path_is_refused)
{
	char vsock[80];
	const char *const args[] = { "--kernel", HELLO, "--vsock", vsock,
				     NULL };
	struct run_result r;
	struct stat st;
	int fd;

	snprintf(dir, sizeof(dir), "/tmp/ignis-vsock-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(uds, sizeof(uds), "%s/v.sock", dir);
	fd = open(uds, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
	cr_assert_geq(fd, 0);
	close(fd);
	snprintf(vsock, sizeof(vsock), "cid=3,uds=%s", uds);
	cr_assert_eq(run_ignis(args, &r), 0);
	cr_expect(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 1,
		  "status %d\nstderr:\n%s", r.status, r.err);
	cr_expect_not_null(strstr(r.err, "exists"), "stderr:\n%s", r.err);
	cr_expect_null(strstr(r.out, "Hello"), "the guest never ran");
	cr_expect_eq(stat(uds, &st), 0);
	cr_expect(S_ISREG(st.st_mode), "the file is left alone");
	run_result_free(&r);
	unlink(uds);
	rmdir(dir);
}
