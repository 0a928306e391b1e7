// SPDX-License-Identifier: Apache-2.0
/* tests/jail/test_jail.c: each class's seccomp filter, from inside a child that entered it. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "jail/jail.h"

/* Runs (body) in a child that entered (cls)'s jail; returns its wait
 * status, its stderr in (err). */
static int in_jail(enum jail_class cls, void (*body)(void), char *err,
		   size_t len)
{
	int pipefd[2], status;
	ssize_t n;
	pid_t pid;

	cr_assert_eq(pipe2(pipefd, O_CLOEXEC), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (!pid) {
		dup2(pipefd[1], STDERR_FILENO);
		if (jail_init() || jail_thread_enter(cls))
			_exit(99);
		body();
		_exit(0);
	}
	close(pipefd[1]);
	n = read(pipefd[0], err, len - 1);
	err[n > 0 ? n : 0] = '\0';
	close(pipefd[0]);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	return status;
}

/* An ioctl no class has: syscalls that some classes allow are refused
 * by their arguments too, and the line names the request. */
#define FORBIDDEN_REQUEST 0x1234abcdUL

static void forbidden(void)
{
	syscall(SYS_ioctl, -1, FORBIDDEN_REQUEST, 0);
}

/* What every class does all the time. */
static void allowed(void)
{
	char buf[64];
	void *p = malloc(1 << 20);	/* mmap, no PROT_EXEC */

	free(p);
	snprintf(buf, sizeof(buf), "still here\n");
	if (write(STDERR_FILENO, buf, strlen(buf)) < 0)
		_exit(98);
}

/* Every class dies on a forbidden syscall with Firecracker's status and
 * one line naming the thread, the class, the syscall and its request. */
Test(jail, forbidden_syscall_ends_the_process_with_148)
{
	char err[256], want[96];

	for (int cls = 0; cls < JAIL_CLASS_COUNT; cls++) {
		int status = in_jail(cls, forbidden, err, sizeof(err));

		cr_expect(WIFEXITED(status) &&
				  WEXITSTATUS(status) == JAIL_EXIT_SECCOMP,
			  "%s: status %#x", jail_class_name(cls), status);
		snprintf(want, sizeof(want),
			 "(%s) made syscall %d (second argument 0x%lx),",
			 jail_class_name(cls), SYS_ioctl, FORBIDDEN_REQUEST);
		cr_expect(strstr(err, want), "%s: %s", jail_class_name(cls),
			  err);
	}
}

Test(jail, allowed_syscalls_run)
{
	char err[256];

	for (int cls = 0; cls < JAIL_CLASS_COUNT; cls++) {
		int status = in_jail(cls, allowed, err, sizeof(err));

		cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0,
			  "%s: status %#x: %s", jail_class_name(cls), status,
			  err);
		cr_expect_str_eq(err, "still here\n");
	}
}

/* Arguments matter: mmap with PROT_EXEC is refused to every class, an
 * ioctl the class does not make is refused to the vCPU. */
static void exec_mapping(void)
{
	mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS,
	     -1, 0);
}

static void other_ioctl(void)
{
	ioctl(0, FIONREAD, &(int){ 0 });
}

static void entropy(void)
{
	char b[16];

	if (getrandom(b, sizeof(b), 0) != sizeof(b))
		_exit(97);
}

Test(jail, arguments_are_checked)
{
	char err[256];
	int status;

	for (int cls = 0; cls < JAIL_CLASS_COUNT; cls++) {
		status = in_jail(cls, exec_mapping, err, sizeof(err));
		cr_expect(WIFEXITED(status) &&
				  WEXITSTATUS(status) == JAIL_EXIT_SECCOMP,
			  "%s: PROT_EXEC allowed", jail_class_name(cls));
	}
	status = in_jail(JAIL_VCPU, other_ioctl, err, sizeof(err));
	cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == JAIL_EXIT_SECCOMP);
	status = in_jail(JAIL_RNG, entropy, err, sizeof(err));
	cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0, "%s", err);
	status = in_jail(JAIL_BLK, entropy, err, sizeof(err));
	cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == JAIL_EXIT_SECCOMP);
}

/* A jailed thread shows its filter in /proc, what the integration tests
 * read for every thread of a running ignis. */
Test(jail, proc_shows_the_filter)
{
	int pipefd[2];
	char path[64], buf[4096];
	FILE *f;
	pid_t pid;
	int status;
	bool seen = false;

	cr_assert_eq(pipe2(pipefd, O_CLOEXEC), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (!pid) {
		char c;

		close(pipefd[1]);
		if (jail_init() || jail_thread_enter(JAIL_API))
			_exit(99);
		/* The API class reads: wait for the parent to look. */
		_exit(read(pipefd[0], &c, 1) == 0 ? 0 : 1);
	}
	close(pipefd[0]);
	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	for (int i = 0; i < 500 && !seen; i++) {
		f = fopen(path, "r");
		cr_assert_not_null(f);
		while (fgets(buf, sizeof(buf), f))
			seen |= !strcmp(buf, "Seccomp:\t2\n");
		fclose(f);
		if (!seen)
			usleep(2000);
	}
	close(pipefd[1]);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_expect(seen, "no filter in %s", path);
	cr_expect(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}
