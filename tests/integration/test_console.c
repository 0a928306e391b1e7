// SPDX-License-Identifier: Apache-2.0
/* tests/integration/test_console.c: a terminal on stdin: raw while the guest
 * runs, typed bytes reach it, and the settings come back on every exit path. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "run.h"

#define ECHO_GUEST GUEST_DIR "/echo"
#define SPIN_GUEST GUEST_DIR "/spin"

struct console_run {
	pid_t pid;		/* ignis */
	int master;		/* the terminal's master side */
	int slave;		/* its slave side, ignis's stdin */
	int out;		/* ignis's stdout, a pipe */
	char buf[4096];		/* stdout so far */
	size_t len;		/* bytes in buf */
};

TestSuite(console, .init = run_need_kvm, .timeout = 60);

static void console_start(struct console_run *c, const char *kernel)
{
	int pipefd[2];

	memset(c, 0, sizeof(*c));
	c->master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	cr_assert_geq(c->master, 0);
	cr_assert_eq(grantpt(c->master), 0);
	cr_assert_eq(unlockpt(c->master), 0);
	c->slave = open(ptsname(c->master), O_RDWR | O_NOCTTY | O_CLOEXEC);
	cr_assert_geq(c->slave, 0);
	cr_assert_eq(pipe2(pipefd, O_CLOEXEC), 0);
	c->pid = fork();
	cr_assert_geq(c->pid, 0);
	if (c->pid == 0) {
		setenv("IGNIS_CHECK_FDS", "1", 1);
		dup2(c->slave, STDIN_FILENO);
		dup2(pipefd[1], STDOUT_FILENO);
		execl(IGNIS_BIN, IGNIS_BIN, "--kernel", kernel, "--memory",
		      "64M", (char *)NULL);
		_exit(127);
	}
	close(pipefd[1]);
	c->out = pipefd[0];
}

/* Reads ignis's stdout until it holds (needle); false after 20 s. */
static bool console_wait(struct console_run *c, const char *needle)
{
	for (int waited = 0; waited < 20000; waited += 100) {
		struct pollfd p = { .fd = c->out, .events = POLLIN };
		ssize_t n;

		c->buf[c->len] = '\0';
		if (strstr(c->buf, needle))
			return true;
		if (poll(&p, 1, 100) <= 0)
			continue;
		n = read(c->out, c->buf + c->len, sizeof(c->buf) - 1 - c->len);
		if (n <= 0)
			return false;
		c->len += (size_t)n;
	}
	return false;
}

static int console_finish(struct console_run *c)
{
	int status = -1;

	for (int i = 0; i < 200; i++) {
		if (waitpid(c->pid, &status, WNOHANG) == c->pid)
			break;
		usleep(50000);
	}
	if (waitpid(c->pid, &status, WNOHANG) == 0) {
		kill(c->pid, SIGKILL);
		waitpid(c->pid, &status, 0);
		cr_assert_fail("ignis did not exit");
	}
	console_wait(c, "\x01");	/* drain what is left */
	close(c->out);
	return status;
}

static void assert_same_termios(const struct termios *a,
				const struct termios *b)
{
	cr_assert_eq(a->c_iflag, b->c_iflag);
	cr_assert_eq(a->c_oflag, b->c_oflag);
	cr_assert_eq(a->c_cflag, b->c_cflag);
	cr_assert_eq(a->c_lflag, b->c_lflag);
	cr_assert_eq(memcmp(a->c_cc, b->c_cc, sizeof(a->c_cc)), 0);
}

Test(console, typed_bytes_reach_the_guest_and_the_terminal_is_restored)
{
	struct console_run c;
	struct termios before, during, after;
	int status;

	console_start(&c, ECHO_GUEST);
	cr_assert_eq(tcgetattr(c.slave, &before), 0);
	cr_assert(before.c_lflag & ICANON, "a new pty starts canonical");
	cr_assert(console_wait(&c, "echo: ready\n"), "stdout: %s", c.buf);
	cr_assert_eq(tcgetattr(c.slave, &during), 0);
	cr_assert_not(during.c_lflag & (ICANON | ECHO),
		      "raw mode while the guest runs");
	cr_assert(during.c_lflag & ISIG, "^C still stops the VM");
	/* No newline: in raw mode each byte goes through at once. */
	cr_assert_eq(write(c.master, "ignis", 5), 5);
	cr_assert(console_wait(&c, "ignis"), "stdout: %s", c.buf);
	cr_assert_eq(write(c.master, "q", 1), 1);
	status = console_finish(&c);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		  "status 0x%x", status);
	cr_assert(strstr(c.buf, "echo: ready\nignis\necho: bye\n"),
		  "stdout: %s", c.buf);
	cr_assert_eq(tcgetattr(c.slave, &after), 0);
	assert_same_termios(&before, &after);
	close(c.slave);
	close(c.master);
}

Test(console, terminal_is_restored_after_sigterm)
{
	struct console_run c;
	struct termios before, after;
	int status;

	console_start(&c, SPIN_GUEST);
	cr_assert_eq(tcgetattr(c.slave, &before), 0);
	cr_assert(console_wait(&c, "spin"), "stdout: %s", c.buf);
	cr_assert_eq(kill(c.pid, SIGTERM), 0);
	status = console_finish(&c);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		  "status 0x%x", status);
	cr_assert_eq(tcgetattr(c.slave, &after), 0);
	assert_same_termios(&before, &after);
	close(c.slave);
	close(c.master);
}
