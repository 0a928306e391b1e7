// SPDX-License-Identifier: Apache-2.0
/* tests/system/vsockcat.c: both ends of a virtio-vsock stream test: AF_VSOCK in the guest, ignis's Unix sockets on the host. */

/*
 * Usage: vsockcat [-t TAG] [-s SECS] MODE ARGS...
 *
 *   cid                         the guest's CID (/dev/vsock's ioctl)
 *   listen PORT BYTES           guest: accept one AF_VSOCK connection
 *   connect CID PORT BYTES      guest: connect to CID:PORT
 *   connect CID PORT refused    guest: the connect must fail (RST)
 *   uds-connect PATH PORT BYTES host: connect to ignis's uds_path, write
 *                               "CONNECT PORT\n", read "OK <hostport>\n"
 *   uds-connect PATH PORT refused
 *                               host: the socket must close with no "OK"
 *   uds-listen PATH BYTES       host: accept one connection on PATH (the
 *                               "<uds_path>_<port>" a guest connects to)
 *
 * One exchange, the same whoever carries it: the side that connected (the
 * initiator) sends BYTES of pattern "up", the side that accepted reads
 * them all and checks each byte, then sends BYTES of pattern "down" and
 * shuts its write side (SHUT_WR); the initiator reads and checks them,
 * then must read EOF, and closes; the acceptor then reads EOF too. Only
 * one side sends at a time, so neither blocks on a peer that is blocked
 * on it. The patterns depend on the offset alone, so a lost, doubled or
 * reordered piece shows as the first bad offset.
 *
 * Prints one line "TAG_ready ..." once a listener listens (listen,
 * uds-listen), and at the end one line
 *     TAG=ok|fail key=value ... why=free text
 * with the byte counts, each phase's time (CLOCK_MONOTONIC, from the
 * connection: connected_s, the first byte in first_s, all in in_s, all
 * out out_s, EOF eof_s) and the rates up_mibs and down_mibs (MiB/s; on
 * the host they are the outer guest's clock). Exit 0 for ok, 1 for fail,
 * 2 for bad usage. SECS (default 60) bounds the whole run: SIGALRM makes
 * the blocked call return EINTR, reported as a timeout in its phase.
 * Static, for the busybox initramfs of both guests.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <linux/vm_sockets.h>

#define VC_CHUNK (64 * 1024) /* each read or write */
#define VC_SEED_UP 0x7570u /* initiator -> acceptor */
#define VC_SEED_DOWN 0x646fu /* acceptor -> initiator */

/* Set by SIGALRM: every wait from then on ends. */
static volatile sig_atomic_t vc_timed_out;

struct vc_run {
	const char *tag;
	double t0; /* the connection's start */
	uint64_t in, out; /* bytes */
	double connected, first, in_done, out_done, eof; /* s after t0; -1 */
	long bad_at; /* first byte not the pattern; -1 */
	unsigned int bad_got, bad_want;
	bool eof_seen;
	char peer[64]; /* who connected or was connected to */
	char why[200]; /* empty when all went well */
};

static double vc_clock(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double vc_since(const struct vc_run *r)
{
	return vc_clock() - r->t0;
}

/* splitmix64: the pattern's 8 bytes at offset (i & ~7) of stream (seed). */
static uint64_t vc_word(uint32_t seed, uint64_t i)
{
	uint64_t z = ((uint64_t)seed << 40 ^ (i >> 3)) + 0x9e3779b97f4a7c15ull;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint8_t vc_byte(uint32_t seed, uint64_t i)
{
	return (uint8_t)(vc_word(seed, i) >> ((i & 7) * 8));
}

static void vc_fill(uint8_t *buf, size_t n, uint32_t seed, uint64_t off)
{
	for (size_t k = 0; k < n; k++)
		buf[k] = vc_byte(seed, off + k);
}

static void vc_fail(struct vc_run *r, const char *phase, int err)
{
	if (r->why[0])
		return;
	snprintf(r->why, sizeof(r->why), "%s: %s", phase,
		 err == EINTR ? "timed out (the -s bound)" : strerror(err));
}

/* Sends (n) bytes of pattern (seed) on (fd); false on a failure (noted). */
static bool vc_send(struct vc_run *r, int fd, uint64_t n, uint32_t seed)
{
	static uint8_t buf[VC_CHUNK];

	while (r->out < n) {
		size_t k =
			n - r->out < VC_CHUNK ? (size_t)(n - r->out) : VC_CHUNK;
		ssize_t w;

		vc_fill(buf, k, seed, r->out);
		w = vc_timed_out ? (errno = EINTR, -1) :
				   send(fd, buf, k, MSG_NOSIGNAL);
		if (w < 0) {
			vc_fail(r, "send", errno);
			return false;
		}
		r->out += (uint64_t)w;
		/* A short send: the rest is generated again from r->out. */
	}
	r->out_done = vc_since(r);
	return true;
}

/* Reads (n) bytes and checks them against pattern (seed). */
static bool vc_recv(struct vc_run *r, int fd, uint64_t n, uint32_t seed)
{
	static uint8_t buf[VC_CHUNK];

	while (r->in < n) {
		size_t k =
			n - r->in < VC_CHUNK ? (size_t)(n - r->in) : VC_CHUNK;
		ssize_t got = vc_timed_out ? (errno = EINTR, -1) :
					     recv(fd, buf, k, 0);

		if (got < 0) {
			vc_fail(r, "recv", errno);
			return false;
		}
		if (got == 0) {
			snprintf(r->why, sizeof(r->why),
				 "EOF after %" PRIu64 " of %" PRIu64 " bytes",
				 r->in, n);
			return false;
		}
		if (r->first < 0)
			r->first = vc_since(r);
		for (ssize_t j = 0; j < got && r->bad_at < 0; j++) {
			uint8_t want = vc_byte(seed, r->in + (uint64_t)j);

			if (buf[j] != want) {
				r->bad_at = (long)(r->in + (uint64_t)j);
				r->bad_got = buf[j];
				r->bad_want = want;
			}
		}
		r->in += (uint64_t)got;
	}
	r->in_done = vc_since(r);
	if (r->bad_at >= 0) {
		snprintf(r->why, sizeof(r->why),
			 "byte %ld is 0x%02x, the pattern has 0x%02x",
			 r->bad_at, r->bad_got, r->bad_want);
		return false;
	}
	return true;
}

/* After the data: the peer must close its side, with nothing more. */
static bool vc_eof(struct vc_run *r, int fd)
{
	uint8_t b[256];
	ssize_t got =
		vc_timed_out ? (errno = EINTR, -1) : recv(fd, b, sizeof(b), 0);

	if (got < 0) {
		vc_fail(r, "waiting for EOF", errno);
		return false;
	}
	if (got > 0) {
		snprintf(r->why, sizeof(r->why),
			 "%zd bytes more than the %" PRIu64 " expected", got,
			 r->in);
		return false;
	}
	r->eof_seen = true;
	r->eof = vc_since(r);
	return true;
}

/* The initiator's part once connected: up, then down, then EOF. */
static void vc_initiate(struct vc_run *r, int fd, uint64_t n)
{
	if (vc_send(r, fd, n, VC_SEED_UP) && vc_recv(r, fd, n, VC_SEED_DOWN))
		vc_eof(r, fd);
}

/* The acceptor's part: up, then down, SHUT_WR, then EOF. */
static void vc_accept(struct vc_run *r, int fd, uint64_t n)
{
	if (!vc_recv(r, fd, n, VC_SEED_UP) || !vc_send(r, fd, n, VC_SEED_DOWN))
		return;
	if (shutdown(fd, SHUT_WR)) {
		vc_fail(r, "shutdown(SHUT_WR)", errno);
		return;
	}
	vc_eof(r, fd);
}

static double vc_mibs(uint64_t n, double from, double to)
{
	return from >= 0 && to > from ? (double)n / 1048576.0 / (to - from) :
					-1;
}

/* The result line; the rates as this side saw them (see the top). */
static int vc_report(const struct vc_run *r, bool initiator, uint64_t n)
{
	double up, down;

	if (initiator) {
		/* Up: from connected until the acceptor's first byte back
		 * (it answers only once it has all); down: the rest. */
		up = vc_mibs(n, r->connected, r->first);
		down = vc_mibs(n, r->first, r->in_done);
	} else {
		/* Up: from the connection until all came in; down: until
		 * the initiator, having read it all, closed. */
		up = vc_mibs(n, 0, r->in_done);
		down = vc_mibs(n, r->in_done, r->eof);
	}
	printf("%s=%s peer=%s bytes=%" PRIu64 " in=%" PRIu64 " out=%" PRIu64
	       " eof=%d connected_s=%.3f first_s=%.3f in_s=%.3f out_s=%.3f"
	       " eof_s=%.3f up_mibs=%.2f down_mibs=%.2f why=%s\n",
	       r->tag, r->why[0] ? "fail" : "ok", r->peer[0] ? r->peer : "-", n,
	       r->in, r->out, r->eof_seen ? 1 : 0, r->connected, r->first,
	       r->in_done, r->out_done, r->eof, up, down,
	       r->why[0] ? r->why : "-");
	fflush(stdout);
	return r->why[0] ? 1 : 0;
}

static bool vc_number(const char *s, uint64_t max, uint64_t *v)
{
	char *end;
	unsigned long long x;

	errno = 0;
	x = strtoull(s, &end, 10);
	if (errno || end == s || *end || x > max)
		return false;
	*v = x;
	return true;
}

static int vc_cid(const char *tag)
{
	unsigned int cid = 0;
	int fd = open("/dev/vsock", O_RDONLY | O_CLOEXEC);

	if (fd < 0 || ioctl(fd, IOCTL_VM_SOCKETS_GET_LOCAL_CID, &cid) < 0) {
		printf("%s=fail why=/dev/vsock: %s\n", tag, strerror(errno));
		return 1;
	}
	close(fd);
	printf("%s=%u\n", tag, cid);
	return 0;
}

static int vc_vsock_listen(struct vc_run *r, uint32_t port, uint64_t n)
{
	struct sockaddr_vm a = { .svm_family = AF_VSOCK,
				 .svm_cid = VMADDR_CID_ANY,
				 .svm_port = port };
	socklen_t alen = sizeof(a);
	int lfd, fd;

	lfd = socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&a, sizeof(a)) ||
	    listen(lfd, 1)) {
		vc_fail(r, "socket/bind/listen", errno);
		return vc_report(r, false, n);
	}
	printf("%s_ready port=%u\n", r->tag, port);
	fflush(stdout);
	fd = accept4(lfd, (struct sockaddr *)&a, &alen, SOCK_CLOEXEC);
	r->t0 = vc_clock();
	r->connected = 0;
	if (fd < 0) {
		vc_fail(r, "accept", errno);
		return vc_report(r, false, n);
	}
	snprintf(r->peer, sizeof(r->peer), "%u:%u", a.svm_cid, a.svm_port);
	vc_accept(r, fd, n);
	close(fd);
	close(lfd);
	return vc_report(r, false, n);
}

static int vc_vsock_connect(struct vc_run *r, uint32_t cid, uint32_t port,
			    uint64_t n, bool refused)
{
	struct sockaddr_vm a = { .svm_family = AF_VSOCK,
				 .svm_cid = cid,
				 .svm_port = port };
	int fd = socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0);

	r->t0 = vc_clock();
	snprintf(r->peer, sizeof(r->peer), "%u:%u", cid, port);
	if (fd < 0) {
		vc_fail(r, "socket", errno);
		return vc_report(r, true, n);
	}
	if (connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		int err = errno;

		r->connected = vc_since(r);
		if (refused && err != EINTR) {
			/* What a refusal is: Linux's RST answer. */
			printf("%s=%s errno=%s after_s=%.3f why=%s\n", r->tag,
			       err == ECONNRESET ? "ok" : "fail",
			       strerrorname_np(err), r->connected,
			       err == ECONNRESET ? "-" : "want ECONNRESET");
			fflush(stdout);
			return err == ECONNRESET ? 0 : 1;
		}
		vc_fail(r, "connect", err);
		return vc_report(r, true, n);
	}
	r->connected = vc_since(r);
	if (refused) {
		printf("%s=fail why=connected although nobody listens\n",
		       r->tag);
		close(fd);
		return 1;
	}
	vc_initiate(r, fd, n);
	close(fd);
	return vc_report(r, true, n);
}

static bool vc_unix_addr(struct sockaddr_un *a, const char *path)
{
	if (strlen(path) >= sizeof(a->sun_path))
		return false;
	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	strcpy(a->sun_path, path);
	return true;
}

/* Reads ignis's answer line, one byte at a time (nothing of the data
 * after it is taken): its text in (line); false on EOF or an error. */
static bool vc_line(struct vc_run *r, int fd, char *line, size_t size)
{
	size_t len = 0;

	for (;;) {
		char c;
		ssize_t got =
			vc_timed_out ? (errno = EINTR, -1) : recv(fd, &c, 1, 0);

		if (got < 0) {
			vc_fail(r, "reading the OK line", errno);
			line[len] = '\0';
			return false;
		}
		if (got == 0) {
			snprintf(r->why, sizeof(r->why),
				 "closed after %zu bytes of its answer line",
				 len);
			line[len] = '\0';
			return false;
		}
		if (c == '\n' || len + 1 == size) {
			line[len] = '\0';
			return true;
		}
		line[len++] = c;
	}
}

static int vc_uds_connect(struct vc_run *r, const char *path, uint32_t port,
			  uint64_t n, bool refused)
{
	struct sockaddr_un a;
	char req[32], line[64];
	unsigned long hostport;
	char *end;
	int fd, len;

	if (!vc_unix_addr(&a, path)) {
		fprintf(stderr, "vsockcat: path too long\n");
		return 2;
	}
	r->t0 = vc_clock();
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		vc_fail(r, "connect to uds_path", errno);
		return vc_report(r, true, n);
	}
	len = snprintf(req, sizeof(req), "CONNECT %u\n", port);
	if (send(fd, req, (size_t)len, MSG_NOSIGNAL) != len) {
		vc_fail(r, "sending the CONNECT line", errno);
		return vc_report(r, true, n);
	}
	if (!vc_line(r, fd, line, sizeof(line))) {
		r->connected = vc_since(r);
		/* Closed, by EOF or (unread bytes left at ignis's end)
		 * ECONNRESET, with nothing of an answer. */
		if (refused && !line[0] &&
		    (strncmp(r->why, "closed", 6) == 0 ||
		     strstr(r->why, strerror(ECONNRESET)))) {
			printf("%s=ok closed_s=%.3f why=%s\n", r->tag,
			       r->connected, r->why);
			fflush(stdout);
			return 0;
		}
		if (refused) {
			printf("%s=fail closed_s=%.3f why=%s, '%s' read\n",
			       r->tag, r->connected, r->why, line);
			fflush(stdout);
			return 1;
		}
		return vc_report(r, true, n);
	}
	r->connected = vc_since(r);
	if (refused) {
		printf("%s=fail why=answered '%s' although nobody listens\n",
		       r->tag, line);
		fflush(stdout);
		return 1;
	}
	hostport = strncmp(line, "OK ", 3) ? 0 : strtoul(line + 3, &end, 10);
	if (!hostport || *end) {
		snprintf(r->why, sizeof(r->why),
			 "answer line '%.40s', want OK <port>", line);
		return vc_report(r, true, n);
	}
	snprintf(r->peer, sizeof(r->peer), "ok-port-%lu", hostport);
	vc_initiate(r, fd, n);
	close(fd);
	return vc_report(r, true, n);
}

static int vc_uds_listen(struct vc_run *r, const char *path, uint64_t n)
{
	struct sockaddr_un a;
	int lfd, fd;

	if (!vc_unix_addr(&a, path)) {
		fprintf(stderr, "vsockcat: path too long\n");
		return 2;
	}
	unlink(path);
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&a, sizeof(a)) ||
	    listen(lfd, 1)) {
		vc_fail(r, "socket/bind/listen", errno);
		unlink(path);
		return vc_report(r, false, n);
	}
	printf("%s_ready path=%s\n", r->tag, path);
	fflush(stdout);
	fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	r->t0 = vc_clock();
	r->connected = 0;
	unlink(path); /* one connection: nobody else may come */
	if (fd < 0) {
		vc_fail(r, "accept", errno);
		return vc_report(r, false, n);
	}
	snprintf(r->peer, sizeof(r->peer), "unix");
	vc_accept(r, fd, n);
	close(fd);
	close(lfd);
	return vc_report(r, false, n);
}

/* Interrupts the blocked call (no SA_RESTART); again every second, for a
 * call entered just after the flag was checked. */
static void vc_alarm(int sig)
{
	(void)sig;
	vc_timed_out = 1;
	alarm(1);
}

static void vc_usage(void)
{
	fprintf(stderr,
		"usage: vsockcat [-t TAG] [-s SECS] cid\n"
		"       vsockcat [-t TAG] [-s SECS] listen PORT BYTES\n"
		"       vsockcat [-t TAG] [-s SECS] connect CID PORT BYTES|refused\n"
		"       vsockcat [-t TAG] [-s SECS] uds-connect PATH PORT BYTES|refused\n"
		"       vsockcat [-t TAG] [-s SECS] uds-listen PATH BYTES\n");
}

int main(int argc, char **argv)
{
	struct vc_run r = { .tag = "vsockcat",
			    .connected = -1,
			    .first = -1,
			    .in_done = -1,
			    .out_done = -1,
			    .eof = -1,
			    .bad_at = -1 };
	struct sigaction sa = { .sa_handler = vc_alarm }; /* no SA_RESTART */
	uint64_t secs = 60, port = 0, cid = 0, n = 0;
	const char *mode, *last;
	bool refused = false;
	int opt, nargs;

	while ((opt = getopt(argc, argv, "+t:s:")) != -1) {
		switch (opt) {
		case 't':
			r.tag = optarg;
			break;
		case 's':
			if (!vc_number(optarg, 3600, &secs) || !secs) {
				vc_usage();
				return 2;
			}
			break;
		default:
			vc_usage();
			return 2;
		}
	}
	if (optind >= argc) {
		vc_usage();
		return 2;
	}
	mode = argv[optind];
	nargs = argc - optind - 1;
	last = nargs ? argv[argc - 1] : "";
	if (strcmp(mode, "connect") == 0 || strcmp(mode, "uds-connect") == 0)
		refused = strcmp(last, "refused") == 0;
	/* BYTES, last but in cid and the refusals. */
	if (strcmp(mode, "cid") && !refused &&
	    (!nargs || !vc_number(last, UINT64_MAX / 2, &n))) {
		vc_usage();
		return 2;
	}
	sigaction(SIGALRM, &sa, NULL);
	alarm((unsigned int)secs);
	setvbuf(stdout, NULL, _IOLBF, 0);

	if (strcmp(mode, "cid") == 0 && nargs == 0)
		return vc_cid(r.tag);
	if (strcmp(mode, "listen") == 0 && nargs == 2 &&
	    vc_number(argv[optind + 1], UINT32_MAX, &port))
		return vc_vsock_listen(&r, (uint32_t)port, n);
	if (strcmp(mode, "connect") == 0 && nargs == 3 &&
	    vc_number(argv[optind + 1], UINT32_MAX, &cid) &&
	    vc_number(argv[optind + 2], UINT32_MAX, &port))
		return vc_vsock_connect(&r, (uint32_t)cid, (uint32_t)port, n,
					refused);
	if (strcmp(mode, "uds-connect") == 0 && nargs == 3 &&
	    vc_number(argv[optind + 2], UINT32_MAX, &port))
		return vc_uds_connect(&r, argv[optind + 1], (uint32_t)port, n,
				      refused);
	if (strcmp(mode, "uds-listen") == 0 && nargs == 2)
		return vc_uds_listen(&r, argv[optind + 1], n);
	vc_usage();
	return 2;
}
