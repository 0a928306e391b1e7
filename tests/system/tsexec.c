// SPDX-License-Identifier: Apache-2.0
/* tests/system/tsexec.c: run a VMM, timestamp its console lines, bound its run. */

/*
 * Usage: tsexec -t SECS -o LOG [-m MARKER] -- PROG [ARGS...]
 *
 * Runs PROG with its stdout on a pipe and writes every line it prints to LOG
 * as "SECONDS TEXT", SECONDS counted on CLOCK_MONOTONIC from just before the
 * fork (so the figure includes exec and the VMM's own start-up). PROG's stdin
 * and stderr are tsexec's. After SECS seconds PROG gets SIGTERM, two seconds
 * later SIGKILL. At the end tsexec prints one line on stdout:
 *
 *   TSEXEC rc=N timeout=0|1 first=S marker=S wall=S
 *
 * rc is PROG's exit status (128+signal if a signal ended it), first the time
 * of its first output byte, marker that of the first line containing MARKER,
 * wall that of its exit; -1 where it never happened. tsexec exits with rc, or
 * 124 on a timeout, or 125 on its own errors. It is linked statically so the
 * system tests can drop it into a busybox initramfs.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define TSEXEC_LINE_MAX 4096 /* longer lines are cut into pieces */
#define TSEXEC_KILL_GRACE 2.0 /* seconds between SIGTERM and SIGKILL */

/* What one run produced, in seconds since the start; -1 when it never happened. */
struct tsexec_result {
	double first; /* first byte on PROG's stdout */
	double marker; /* first line containing the marker */
	double wall; /* PROG's exit */
	int rc; /* exit status, 128+signal if killed */
	bool timed_out; /* the deadline passed and we signalled PROG */
};

static double tsexec_now(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) +
	       (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

/* Writes one finished line (without its newline) to the log. */
static void tsexec_emit(FILE *log, double ts, char *line, size_t len,
			const char *marker, struct tsexec_result *res)
{
	/* Console lines end in \r\n; the \r is noise in a log. */
	while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == '\0'))
		len--;
	line[len] = '\0';
	if (marker && res->marker < 0 && strstr(line, marker))
		res->marker = ts;
	fprintf(log, "%9.3f %s\n", ts, line);
}

static void tsexec_usage(void)
{
	fprintf(stderr,
		"usage: tsexec -t SECS -o LOG [-m MARKER] -- PROG [ARGS...]\n");
}

int main(int argc, char **argv)
{
	struct tsexec_result res = { .first = -1, .marker = -1, .wall = -1 };
	const char *log_path = NULL, *marker = NULL;
	char line[TSEXEC_LINE_MAX + 1];
	double limit = 0, killed_at = -1;
	struct timespec t0;
	size_t len = 0;
	bool eof = false;
	int opt, pfd[2], status = 0;
	FILE *log;
	pid_t pid;

	while ((opt = getopt(argc, argv, "+t:o:m:")) != -1) {
		switch (opt) {
		case 't':
			limit = strtod(optarg, NULL);
			break;
		case 'o':
			log_path = optarg;
			break;
		case 'm':
			marker = optarg;
			break;
		default:
			tsexec_usage();
			return 125;
		}
	}
	if (optind >= argc || !log_path || limit <= 0) {
		tsexec_usage();
		return 125;
	}
	log = fopen(log_path, "w");
	if (!log) {
		perror("tsexec: log");
		return 125;
	}
	if (pipe2(pfd, O_CLOEXEC) < 0) {
		perror("tsexec: pipe");
		return 125;
	}

	clock_gettime(CLOCK_MONOTONIC, &t0);
	pid = fork();
	if (pid < 0) {
		perror("tsexec: fork");
		return 125;
	}
	if (pid == 0) {
		if (dup2(pfd[1], STDOUT_FILENO) < 0)
			_exit(125);
		execvp(argv[optind], &argv[optind]);
		perror("tsexec: exec");
		_exit(127);
	}
	close(pfd[1]);

	/* Read until PROG's stdout closes; the deadline bounds every wait. */
	while (!eof) {
		double now = tsexec_now(&t0);
		double until =
			killed_at >= 0 ? killed_at + TSEXEC_KILL_GRACE : limit;
		struct pollfd p = { .fd = pfd[0], .events = POLLIN };
		char buf[4096];
		ssize_t n;
		int ret;

		if (now >= until) {
			if (killed_at < 0) {
				res.timed_out = true;
				kill(pid, SIGTERM);
				killed_at = now;
			} else {
				/* It ignored SIGTERM: no more waiting. */
				kill(pid, SIGKILL);
				break;
			}
			continue;
		}
		ret = poll(&p, 1, (int)((until - now) * 1000) + 1);
		if (ret < 0 && errno == EINTR)
			continue;
		if (ret <= 0)
			continue;
		n = read(pfd[0], buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			eof = true;
			break;
		}
		now = tsexec_now(&t0);
		if (res.first < 0)
			res.first = now;
		for (ssize_t i = 0; i < n; i++) {
			if (buf[i] == '\n' || len == TSEXEC_LINE_MAX) {
				tsexec_emit(log, now, line, len, marker, &res);
				len = 0;
				if (buf[i] == '\n')
					continue;
			}
			line[len++] = buf[i];
		}
		fflush(log);
	}
	if (len > 0)
		tsexec_emit(log, tsexec_now(&t0), line, len, marker, &res);
	close(pfd[0]);

	/*
	 * Stdout closed: PROG is exiting (or killed). Reap it, still bounded:
	 * a VMM that closed stdout but hangs is killed too.
	 */
	for (;;) {
		pid_t w = waitpid(pid, &status, WNOHANG);
		double now = tsexec_now(&t0);

		if (w == pid)
			break;
		if (w < 0 && errno != EINTR) {
			perror("tsexec: waitpid");
			return 125;
		}
		if (now >= limit + TSEXEC_KILL_GRACE) {
			res.timed_out = true;
			kill(pid, SIGKILL);
		} else if (now >= limit && killed_at < 0) {
			res.timed_out = true;
			kill(pid, SIGTERM);
			killed_at = now;
		}
		usleep(10000);
	}
	res.wall = tsexec_now(&t0);
	if (WIFEXITED(status))
		res.rc = WEXITSTATUS(status);
	else
		res.rc = 128 + WTERMSIG(status);
	fclose(log);

	printf("TSEXEC rc=%d timeout=%d first=%.3f marker=%.3f wall=%.3f\n",
	       res.rc, res.timed_out ? 1 : 0, res.first, res.marker, res.wall);
	return res.timed_out ? 124 : res.rc;
}
