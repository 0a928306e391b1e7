// SPDX-License-Identifier: Apache-2.0
/* vmm/main.c: the ignis binary: parse, build, run, clean up; the only exit(). */
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "builder.h"
#include "jail/jail.h"
#include "log.h"
#include "vcpu.h"

#define EXIT_USAGE 2

/*
 * Blocks the signals that the VMM thread takes through a signalfd, and the
 * vCPU kick, before any thread exists, so that every thread inherits the
 * mask. Returns the signalfd or -1.
 */
static int signals_init(void)
{
	sigset_t set;

	signal(SIGPIPE, SIG_IGN);	/* a closed stdout must not kill us */
	if (vcpu_signals_init())
		return -1;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, VCPU_KICK_SIGNAL);
	if (pthread_sigmask(SIG_BLOCK, &set, NULL))
		return -1;
	sigdelset(&set, VCPU_KICK_SIGNAL);
	return signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}

#define FD_TRACK_MAX 1024

/*
 * With IGNIS_CHECK_FDS set (the tests set it), fd_snapshot() records which
 * descriptors the process inherited and fd_leaks() reports every other one
 * still open at exit: each is a leak. fd_leaks() returns the count.
 */
static bool fd_inherited[FD_TRACK_MAX];

static void fd_snapshot(void)
{
	for (int fd = 0; fd < FD_TRACK_MAX; fd++)
		fd_inherited[fd] = fcntl(fd, F_GETFD) >= 0;
}

static int fd_leaks(void)
{
	int leaks = 0;

	for (int fd = 0; fd < FD_TRACK_MAX; fd++) {
		char link[64], target[256] = "?";
		ssize_t n;

		if (fd_inherited[fd] || fcntl(fd, F_GETFD) < 0)
			continue;
		snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
		n = readlink(link, target, sizeof(target) - 1);
		if (n > 0)
			target[n] = '\0';
		log_error("fd %d (%s) is still open at exit", fd, target);
		leaks++;
	}
	return leaks;
}

int main(int argc, char **argv)
{
	struct vm_config cfg;
	struct vm vm;
	int sig_fd, ret;

	bool check_fds = getenv("IGNIS_CHECK_FDS") != NULL;

	if (check_fds)
		fd_snapshot();
	if (getenv("IGNIS_LOG"))
		log_set_level((enum log_level)atoi(getenv("IGNIS_LOG")));
	if (config_init(&cfg)) {
		log_error("out of memory");
		return EXIT_FAILURE;
	}
	ret = cli_parse(argc, argv, builder_cli_groups, &cfg);
	if (ret != CLI_RUN) {
		config_free(&cfg);
		return ret == CLI_DONE ? EXIT_SUCCESS : EXIT_USAGE;
	}
	if (!cfg.kernel_path) {
		log_error("--kernel is required (try --help)");
		config_free(&cfg);
		return EXIT_USAGE;
	}
	sig_fd = signals_init();
	if (sig_fd < 0) {
		log_error("cannot set up signal handling");
		config_free(&cfg);
		return EXIT_FAILURE;
	}
	ret = builder_build(&vm, &cfg);
	if (!ret)
		ret = jail_thread_enter(JAIL_VMM);
	if (!ret)
		ret = vm_run(&vm, sig_fd);
	else
		ret = EXIT_FAILURE;
	builder_destroy(&vm);
	close(sig_fd);
	config_free(&cfg);
	if (check_fds && fd_leaks())
		ret = EXIT_FAILURE;
	return ret;
}
