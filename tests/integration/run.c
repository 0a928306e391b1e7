// SPDX-License-Identifier: Apache-2.0
/* tests/integration/run.c: run the ignis binary as a child, with a deadline. */
#include "run.h"
#include "guest_output.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef IGNIS_BIN
#error "IGNIS_BIN must name the ignis binary"
#endif

double run_now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int append(char **buf, size_t *len, const char *data, size_t n)
{
	char *nb = realloc(*buf, *len + n + 1);

	if (!nb)
		return -ENOMEM;
	memcpy(nb + *len, data, n);
	*len += n;
	nb[*len] = '\0';
	*buf = nb;
	return 0;
}

/* Child side of run_start(): only async-signal-safe calls until execv().
 * Signal state survives exec, so the test runner's is reset first. */
static _Noreturn void exec_child(int null_fd, int out_fd, int err_fd,
				 const char *const argv[])
{
	sigset_t none;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGPIPE, SIG_DFL);
	if (dup2(null_fd, 0) < 0 || dup2(out_fd, 1) < 0 || dup2(err_fd, 2) < 0)
		_exit(126);
	execv(IGNIS_BIN, (char *const *)argv);
	_exit(127);
}

int run_start(struct run_proc *p, const char *const args[])
{
	int out[2], err[2], null_fd, ret = -ENOMEM;
	const char *argv[64];
	unsigned int i;

	memset(p, 0, sizeof(*p));
	argv[0] = IGNIS_BIN;
	for (i = 0; args[i]; i++) {
		if (i + 2 >= sizeof(argv) / sizeof(argv[0]))
			return -E2BIG;
		argv[i + 1] = args[i];
	}
	argv[i + 1] = NULL;
	p->res.out = calloc(1, 1);
	p->res.err = calloc(1, 1);
	if (!p->res.out || !p->res.err)
		goto err_free;
	if (pipe2(out, O_CLOEXEC)) {
		ret = -errno;
		goto err_free;
	}
	if (pipe2(err, O_CLOEXEC)) {
		ret = -errno;
		goto err_close_out;
	}
	null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (null_fd < 0) {
		ret = -errno;
		goto err_close_err;
	}
	/* ignis then fails if it leaves any descriptor open (vmm/main.c). */
	setenv("IGNIS_CHECK_FDS", "1", 1);
	p->t0 = run_now_s();
	p->pid = fork();
	if (p->pid < 0) {
		ret = -errno;
		goto err_close_null;
	}
	if (!p->pid)
		exec_child(null_fd, out[1], err[1], argv);
	close(null_fd);
	close(out[1]);
	close(err[1]);
	p->out_fd = out[0];
	p->err_fd = err[0];
	return 0;

err_close_null:
	close(null_fd);
err_close_err:
	close(err[0]);
	close(err[1]);
err_close_out:
	close(out[0]);
	close(out[1]);
err_free:
	free(p->res.out);
	free(p->res.err);
	return ret;
}

/* Polls both pipes once for up to (ms); returns false when both are at
 * EOF. */
static bool pump(struct run_proc *p, int ms)
{
	struct pollfd pfd[2] = {
		{ .fd = p->out_fd, .events = POLLIN },
		{ .fd = p->err_fd, .events = POLLIN },
	};
	char buf[4096];
	unsigned int i;

	if (p->out_fd < 0 && p->err_fd < 0)
		return false;
	if (poll(pfd, 2, ms) <= 0)
		return true;
	for (i = 0; i < 2; i++) {
		int *fd = i ? &p->err_fd : &p->out_fd;
		char **b = i ? &p->res.err : &p->res.out;
		size_t *len = i ? &p->res.err_len : &p->res.out_len;
		ssize_t n;

		if (*fd < 0 || !(pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		n = read(*fd, buf, sizeof(buf));
		if (n > 0 && !append(b, len, buf, (size_t)n))
			continue;
		if (n < 0 && errno == EINTR)
			continue;
		close(*fd);
		*fd = -1;
	}
	return true;
}

static int ms_left(double deadline)
{
	double left = deadline - run_now_s();

	return left <= 0 ? 0 : (int)(left * 1000) + 1;
}

bool run_wait_stdout(struct run_proc *p, const char *needle, int timeout_ms)
{
	double deadline = run_now_s() + timeout_ms / 1000.0;

	while (!strstr(p->res.out, needle)) {
		if (!ms_left(deadline) || !pump(p, ms_left(deadline)))
			return strstr(p->res.out, needle) != NULL;
	}
	return true;
}

void run_reset_clock(struct run_proc *p)
{
	p->t0 = run_now_s();
}

void run_finish(struct run_proc *p, int timeout_ms, struct run_result *r)
{
	double deadline = run_now_s() + timeout_ms / 1000.0;
	int status = 0;
	pid_t w = 0;

	/* Output first (EOF comes when ignis exits), then the status; a
	 * grandchild holding the pipes is cut off by the deadline too. */
	while (ms_left(deadline) &&
	       pump(p, ms_left(deadline) < 100 ? ms_left(deadline) : 100))
		;
	while (!w && ms_left(deadline)) {
		w = waitpid(p->pid, &status, WNOHANG);
		if (!w)
			usleep(1000);
	}
	if (!w) {
		kill(p->pid, SIGKILL);
		p->res.timed_out = true;
		waitpid(p->pid, &status, 0);
	}
	p->res.elapsed_s = run_now_s() - p->t0;
	if (p->out_fd >= 0)
		close(p->out_fd);
	if (p->err_fd >= 0)
		close(p->err_fd);
	p->res.status = status;
	*r = p->res;
	memset(p, 0, sizeof(*p));
}

int run_ignis(const char *const args[], struct run_result *r)
{
	struct run_proc p;
	int ret = run_start(&p, args);

	if (ret)
		return ret;
	run_finish(&p, RUN_TIMEOUT_MS, r);
	return 0;
}

void run_result_free(struct run_result *r)
{
	free(r->out);
	free(r->err);
	memset(r, 0, sizeof(*r));
}

unsigned int run_count_lines(const char *s)
{
	size_t i, len = strlen(s);
	unsigned int n = 0;

	for (i = 0; i < len; i++)
		if (s[i] == '\n')
			n++;
	if (len && s[len - 1] != '\n')
		n++;
	return n;
}

void run_need_kvm(void)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		cr_skip_test("cannot open /dev/kvm: %s", strerror(errno));
	close(fd);
}

void run_boot(struct run_result *r, const char *const args[])
{
	cr_assert_eq(run_ignis(args, r), 0, "cannot start " IGNIS_BIN);
	run_expect_exit0(r);
}

void run_expect_exit0(const struct run_result *r)
{
	cr_assert(!r->timed_out,
		  "ignis still running after %d ms\nstdout:\n%s\nstderr:\n%s",
		  RUN_TIMEOUT_MS, r->out, r->err);
	cr_assert(WIFEXITED(r->status),
		  "ignis killed by signal %d\nstderr:\n%s", WTERMSIG(r->status),
		  r->err);
	cr_assert_eq(WEXITSTATUS(r->status), 0,
		     "ignis exited %d\nstdout:\n%s\nstderr:\n%s",
		     WEXITSTATUS(r->status), r->out, r->err);
}

void run_expect_line(const struct run_result *r, const char *line)
{
	cr_expect(guest_has_line(r->out, line),
		  "no line \"%s\" in the guest's output:\n%s\nstderr:\n%s",
		  line, r->out, r->err);
}
