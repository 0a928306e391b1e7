// SPDX-License-Identifier: Apache-2.0
/* benches/api_launch.c: times ignis's launch paths for api_bench.sh. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/*
 * Usage (one figure per call; each run prints one line of numbers, which
 * api_bench.sh turns into percentiles):
 *
 *   api_launch ready IGNIS DIR RUNS
 *	exec of `ignis --api-sock DIR/api.sock` to the first complete answer
 *	to GET / (polled with connect() + GET / every 50 us): "ms"
 *   api_launch api IGNIS DIR KERNEL RUNS
 *	the same ignis, configured (boot-source, 64 MiB, 1 vCPU); from
 *	sending PUT /actions InstanceStart to its first byte on stdout (the
 *	guest's serial), and to the 204: "serial_ms answer_ms"
 *   api_launch cli IGNIS KERNEL RUNS
 *	fork + exec of `ignis --kernel KERNEL --memory 64M` to its first
 *	byte on stdout: "ms"
 *   api_launch launch IGNIS DIR KERNEL RUNS PAR
 *	RUNS VMs as above, PAR at once, each until it exits at the guest's
 *	reset (output checked): per VM "wall_ms maxrss_kib", and at the end
 *	"total_s S"
 *
 * Times are CLOCK_MONOTONIC; t0 is taken just before fork(). Exit status
 * 1 on any failure (a guest that printed nothing, ignis exiting non-zero).
 */

#define HELLO_LINE "Hello from an ignis guest!"
#define POLL_NS 50000L /* between two connect() tries */
#define WAIT_MS 10000 /* any one wait; beyond it the run fails */
#define PAR_MAX 16

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void fail(const char *what)
{
	fprintf(stderr, "api_launch: %s: %s\n", what,
		errno ? strerror(errno) : "failed");
	exit(1);
}

/* Forks and execs (argv) with stdin from /dev/null, stdout to (out_fd),
 * stderr to /dev/null. Returns the pid. */
static pid_t spawn(char *const argv[], int out_fd)
{
	pid_t pid = fork();

	if (pid < 0)
		fail("fork");
	if (!pid) {
		int null_fd = open("/dev/null", O_RDWR);

		if (null_fd < 0 || dup2(null_fd, 0) < 0 ||
		    dup2(out_fd, 1) < 0 || dup2(null_fd, 2) < 0)
			_exit(126);
		execv(argv[0], argv);
		_exit(127);
	}
	return pid;
}

/* Waits for (fd) to be readable, at most WAIT_MS. */
static void wait_readable(int fd, const char *what)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int n;

	do
		n = poll(&p, 1, WAIT_MS);
	while (n < 0 && errno == EINTR);
	if (n <= 0) {
		errno = n ? errno : ETIMEDOUT;
		fail(what);
	}
}

/* Reads one HTTP response from (fd) (headers and Content-Length body);
 * returns its status, or -1 on EOF or error before it is complete. */
static int read_response(int fd)
{
	char buf[4096], *end, *cl;
	size_t len = 0, need;
	ssize_t n;

	for (;;) {
		buf[len] = '\0';
		end = strstr(buf, "\r\n\r\n");
		if (end) {
			cl = strcasestr(buf, "\r\nContent-Length:");
			need = (size_t)(end + 4 - buf);
			if (cl && cl < end)
				need += strtoul(cl + 17, NULL, 10);
			if (need >= sizeof(buf))
				return -1;
			if (len >= need)
				return atoi(buf + 9);
		}
		if (len == sizeof(buf) - 1)
			return -1;
		wait_readable(fd, "API answer");
		n = read(fd, buf + len, sizeof(buf) - 1 - len);
		if (n <= 0)
			return -1;
		len += (size_t)n;
	}
}

static void send_all(int fd, const char *s, size_t len)
{
	while (len) {
		ssize_t n = send(fd, s, len, MSG_NOSIGNAL);

		if (n <= 0)
			fail("send");
		s += n;
		len -= (size_t)n;
	}
}

/* Sends one request on a keep-alive connection, not waiting. */
static void send_request(int fd, const char *method, const char *path,
			 const char *body)
{
	char head[512];
	int n;

	n = snprintf(head, sizeof(head),
		     "%s %s HTTP/1.1\r\nHost: localhost\r\n"
		     "Content-Type: application/json\r\n"
		     "Content-Length: %zu\r\n\r\n",
		     method, path, body ? strlen(body) : 0);
	send_all(fd, head, (size_t)n);
	if (body)
		send_all(fd, body, strlen(body));
}

/* Sends one request and returns the status of its answer. */
static int request(int fd, const char *method, const char *path,
		   const char *body)
{
	send_request(fd, method, path, body);
	return read_response(fd);
}

static int connect_to(const char *sock)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		fail("socket");
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Polls (sock) with connect() + GET / every POLL_NS until a 200; returns
 * the connection (kept alive), at most WAIT_MS. */
static int wait_api(const char *sock, double t0)
{
	const struct timespec gap = { 0, POLL_NS };

	for (;;) {
		int fd = connect_to(sock);

		if (fd >= 0) {
			if (request(fd, "GET", "/", NULL) == 200)
				return fd;
			close(fd);
		}
		if (now_ms() - t0 > WAIT_MS) {
			errno = ETIMEDOUT;
			fail("the API socket never answered");
		}
		nanosleep(&gap, NULL);
	}
}

/* Waits for (pid) to exit 0 (after SIGTERM if (sig)); returns its peak
 * RSS in KiB. */
static long reap(pid_t pid, int sig)
{
	struct rusage ru;
	int status;

	if (sig)
		kill(pid, sig);
	if (wait4(pid, &status, 0, &ru) != pid)
		fail("wait4");
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		errno = 0;
		fprintf(stderr, "api_launch: ignis: wait status 0x%x\n",
			status);
		exit(1);
	}
	return ru.ru_maxrss;
}

static void bench_ready(char *ignis, const char *dir, int runs)
{
	char sock[108];
	char *argv[] = { ignis, "--api-sock", sock, NULL };
	int null_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);

	snprintf(sock, sizeof(sock), "%s/api.sock", dir);
	for (int i = 0; i < runs; i++) {
		double t0 = now_ms();
		pid_t pid = spawn(argv, null_fd);
		int fd = wait_api(sock, t0);

		printf("%.3f\n", now_ms() - t0);
		close(fd);
		reap(pid, SIGTERM);
	}
	close(null_fd);
}

static void bench_api(char *ignis, const char *dir, const char *kernel,
		      int runs)
{
	char sock[108], body[512];
	char *argv[] = { ignis, "--api-sock", sock, NULL };
	int pipefd[2];

	snprintf(sock, sizeof(sock), "%s/api.sock", dir);
	snprintf(body, sizeof(body),
		 "{\"kernel_image_path\": \"%s\", "
		 "\"boot_args\": \"console=ttyS0\"}",
		 kernel);
	for (int i = 0; i < runs; i++) {
		double t0, t_serial, t_answer = 0;
		struct pollfd p[2];
		pid_t pid;
		int fd;

		if (pipe2(pipefd, O_CLOEXEC) < 0)
			fail("pipe");
		pid = spawn(argv, pipefd[1]);
		close(pipefd[1]);
		fd = wait_api(sock, now_ms());
		if (request(fd, "PUT", "/boot-source", body) != 204 ||
		    request(fd, "PUT", "/machine-config",
			    "{\"vcpu_count\": 1, \"mem_size_mib\": 64}") !=
			    204) {
			errno = 0;
			fail("configuring over the API");
		}
		t0 = now_ms();
		send_request(fd, "PUT", "/actions",
			     "{\"action_type\": \"InstanceStart\"}");
		/* The serial byte and the 204 may come in either order. */
		p[0] = (struct pollfd){ .fd = pipefd[0], .events = POLLIN };
		p[1] = (struct pollfd){ .fd = fd, .events = POLLIN };
		if (poll(p, 2, WAIT_MS) <= 0)
			fail("InstanceStart: nothing came");
		if (p[0].revents) {
			t_serial = now_ms();
		} else {
			if (read_response(fd) != 204) {
				errno = 0;
				fail("InstanceStart refused");
			}
			t_answer = now_ms();
			wait_readable(pipefd[0], "the guest's serial");
			t_serial = now_ms();
		}
		if (!t_answer) {
			if (read_response(fd) != 204) {
				errno = 0;
				fail("InstanceStart refused");
			}
			t_answer = now_ms();
		}
		printf("%.3f %.3f\n", t_serial - t0, t_answer - t0);
		/* Drain the guest's output until ignis exits at its reset. */
		{
			char buf[512];

			while (read(pipefd[0], buf, sizeof(buf)) > 0)
				;
		}
		close(pipefd[0]);
		close(fd);
		reap(pid, 0);
	}
}

static void bench_cli(char *ignis, char *kernel, int runs)
{
	char *argv[] = { ignis, "--kernel", kernel, "--memory",
			 "64M", "--cpus",   "1",    NULL };
	int pipefd[2];

	for (int i = 0; i < runs; i++) {
		char buf[512];
		double t0;
		pid_t pid;

		if (pipe2(pipefd, O_CLOEXEC) < 0)
			fail("pipe");
		t0 = now_ms();
		pid = spawn(argv, pipefd[1]);
		close(pipefd[1]);
		wait_readable(pipefd[0], "the guest's serial");
		printf("%.3f\n", now_ms() - t0);
		while (read(pipefd[0], buf, sizeof(buf)) > 0)
			;
		close(pipefd[0]);
		reap(pid, 0);
	}
}

/* One VM of the launch loop, in flight. */
struct slot {
	pid_t pid; /* its ignis; 0: free */
	double t0; /* when it was forked */
	int out_fd; /* its stdout, a file in DIR */
};

/* Checks a finished VM's output file: the guest said hello. */
static void check_output(int fd)
{
	char buf[256];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	buf[n > 0 ? n : 0] = '\0';
	if (!strstr(buf, HELLO_LINE)) {
		errno = 0;
		fail("a guest printed nothing");
	}
}

static void bench_launch(char *ignis, const char *dir, char *kernel, int runs,
			 int par)
{
	char *argv[] = { ignis, "--kernel", kernel, "--memory",
			 "64M", "--cpus",   "1",    NULL };
	struct slot s[PAR_MAX] = { 0 };
	int started = 0, done = 0;
	double t_start;

	for (int i = 0; i < par; i++) {
		char path[256];

		snprintf(path, sizeof(path), "%s/out.%d", dir, i);
		s[i].out_fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC,
				   0600);
		if (s[i].out_fd < 0)
			fail(path);
		unlink(path);
	}
	t_start = now_ms();
	while (done < runs) {
		struct rusage ru;
		int status, i;
		pid_t pid;

		for (i = 0; i < par && started < runs; i++) {
			if (s[i].pid)
				continue;
			if (ftruncate(s[i].out_fd, 0) < 0 ||
			    lseek(s[i].out_fd, 0, SEEK_SET) < 0)
				fail("truncating an output file");
			s[i].t0 = now_ms();
			s[i].pid = spawn(argv, s[i].out_fd);
			started++;
		}
		pid = wait4(-1, &status, 0, &ru);
		if (pid < 0)
			fail("wait4");
		for (i = 0; i < par && s[i].pid != pid; i++)
			;
		if (i == par)
			continue;
		if (!WIFEXITED(status) || WEXITSTATUS(status)) {
			fprintf(stderr, "api_launch: ignis: wait status 0x%x\n",
				status);
			exit(1);
		}
		check_output(s[i].out_fd);
		printf("%.3f %ld\n", now_ms() - s[i].t0, ru.ru_maxrss);
		s[i].pid = 0;
		done++;
	}
	printf("total_s %.6f\n", (now_ms() - t_start) / 1e3);
}

static int count(const char *s, int max)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (*end || v < 1 || v > max) {
		fprintf(stderr, "api_launch: not a count from 1 to %d: %s\n",
			max, s);
		exit(2);
	}
	return (int)v;
}

int main(int argc, char **argv)
{
	/* Lines reach the script as they come. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 5 && !strcmp(argv[1], "ready"))
		bench_ready(argv[2], argv[3], count(argv[4], 100000));
	else if (argc == 6 && !strcmp(argv[1], "api"))
		bench_api(argv[2], argv[3], argv[4], count(argv[5], 100000));
	else if (argc == 5 && !strcmp(argv[1], "cli"))
		bench_cli(argv[2], argv[3], count(argv[4], 100000));
	else if (argc == 7 && !strcmp(argv[1], "launch"))
		bench_launch(argv[2], argv[3], argv[4], count(argv[5], 100000),
			     count(argv[6], PAR_MAX));
	else {
		fprintf(stderr,
			"usage: api_launch ready IGNIS DIR RUNS\n"
			"       api_launch api IGNIS DIR KERNEL RUNS\n"
			"       api_launch cli IGNIS KERNEL RUNS\n"
			"       api_launch launch IGNIS DIR KERNEL RUNS PAR\n");
		return 2;
	}
	return 0;
}
