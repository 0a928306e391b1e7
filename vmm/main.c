// SPDX-License-Identifier: Apache-2.0
/* vmm/main.c: the ignis binary: parse, build, run, clean up; the only exit(). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "api/fc_api.h"
#include "arch.h"
#include "builder.h"
#include "devices/virtio/blk.h"
#include "jail/jail.h"
#include "log.h"
#include "metrics.h"
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

/* What InstanceStart builds: the VM from the configuration the API made. */
struct start_ctx {
	struct vm *vm;			/* built here */
	const struct vm_config *cfg;	/* from */
	bool built;			/* builder_build() succeeded */
};

/* The builder, as the CLI runs it; a failure is cleaned up at once, so
 * that a corrected configuration can be started again. */
static int start_vm(void *ctx, char *why, size_t len)
{
	struct start_ctx *s = ctx;
	int err = builder_build(s->vm, s->cfg);

	if (err) {
		/* The builder logged its line on stderr. */
		snprintf(why, len, "%s (ignis's stderr has the details)",
			 strerror(-err));
		builder_destroy(s->vm);
		return err;
	}
	s->built = true;
	return 0;
}

static void pause_vm(void *ctx, bool pause)
{
	struct start_ctx *s = ctx;

	if (pause)
		vm_pause(s->vm);
	else
		vm_resume(s->vm);
}

static int ctrl_alt_del(void *ctx, char *why, size_t len)
{
	struct start_ctx *s = ctx;

	return arch_send_ctrl_alt_del(s->vm, why, len);
}

static int update_drive(void *ctx, unsigned int index, const char *path,
			char *why, size_t len)
{
	struct start_ctx *s = ctx;
	struct vdev *d = builder_disk(s->vm, index);

	if (!d) {
		snprintf(why, len, "no such disk");
		return -ENODEV;
	}
	return blk_update_image(d, path, why, len);
}

static void api_poll(void *api)
{
	fc_api_serve(api);
}

static void metrics_poll(void *unused)
{
	metrics_on_timer();
}

/*
 * Firecracker's "Not started" state: answers the API until InstanceStart
 * built the VM (true) or SIGINT/SIGTERM came (false).
 */
static bool api_wait_start(struct fc_api *api, int sig_fd, int *status)
{
	while (!fc_api_is_running(api)) {
		/* PUT /metrics may start the timer: looked up each time. */
		struct pollfd fds[3] = {
			{ .fd = sig_fd, .events = POLLIN },
			{ .fd = fc_api_fd(api), .events = POLLIN },
			{ .fd = metrics_timer_fd(), .events = POLLIN },
		};

		if (poll(fds, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			log_error("poll: %s", strerror(errno));
			*status = EXIT_FAILURE;
			return false;
		}
		if (fds[0].revents & POLLIN) {
			struct signalfd_siginfo si;

			if (read(sig_fd, &si, sizeof(si)) == sizeof(si)) {
				log_info("%s: stopping",
					 strsignal((int)si.ssi_signo));
				*status = EXIT_SUCCESS;
				return false;
			}
		}
		if (fds[1].revents & POLLIN)
			fc_api_serve(api);
		if (fds[2].revents & POLLIN)
			metrics_on_timer();
	}
	return true;
}

int main(int argc, char **argv)
{
	const struct fc_api_options *api_opts = fc_api_options();
	struct fc_api *api = NULL;
	struct vm_config cfg;
	struct vm vm = { .stop_fd = -1 };
	struct start_ctx start = { .vm = &vm, .cfg = &cfg };
	char why[256];
	int sig_fd, ret;

	bool check_fds = getenv("IGNIS_CHECK_FDS") != NULL;

	if (check_fds)
		fd_snapshot();
	if (config_init(&cfg)) {
		log_error("out of memory");
		return EXIT_FAILURE;
	}
	ret = cli_parse(argc, argv, builder_cli_groups, &cfg);
	if (ret != CLI_RUN) {
		config_free(&cfg);
		return ret == CLI_DONE ? EXIT_SUCCESS : EXIT_USAGE;
	}
	if (fc_api_options_check(&cfg, why, sizeof(why))) {
		log_error("%s", why);
		config_free(&cfg);
		return EXIT_USAGE;
	}
	/* The logger and metrics first, so that what follows is logged. */
	if (config_logging_apply(&cfg, why, sizeof(why))) {
		log_error("%s", why);
		config_free(&cfg);
		return EXIT_FAILURE;
	}
	/* Without a kernel, --api-sock waits for one over the API. */
	if (!cfg.kernel_path && !api_opts->sock_path) {
		log_error("--kernel is required (try --help)");
		config_free(&cfg);
		return EXIT_USAGE;
	}
	sig_fd = signals_init();
	if (sig_fd < 0 || jail_init()) {
		log_error("cannot set up signal handling");
		config_free(&cfg);
		return EXIT_FAILURE;
	}
	if (api_opts->sock_path) {
		/* First: orchestrators poll the socket from exec on. */
		const struct fc_api_hooks hooks = {
			.start = start_vm,
			.pause = pause_vm,
			.ctrl_alt_del = ctrl_alt_del,
			.update_drive = update_drive,
			.ctx = &start,
		};

		ret = fc_api_create(api_opts, &cfg, cfg.kernel_path != NULL,
				    &hooks, &api, why, sizeof(why));
		if (ret) {
			log_error("--api-sock %s: %s", api_opts->sock_path,
				  why);
			close(sig_fd);
			config_free(&cfg);
			return EXIT_FAILURE;
		}
	}
	ret = EXIT_SUCCESS;
	if (cfg.kernel_path) {
		/* Built from the command line or the config file. */
		if (start_vm(&start, why, sizeof(why)))
			ret = EXIT_FAILURE;
	} else {
		/* Built by InstanceStart, or stopped before it (ret). */
		api_wait_start(api, sig_fd, &ret);
	}
	if (start.built) {
		if (api)
			vm_add_poll_source(&vm, fc_api_fd(api), api_poll, api);
		if (metrics_configured())
			vm_add_poll_source(&vm, metrics_timer_fd(), metrics_poll,
					   NULL);
		ret = vm_run(&vm, sig_fd);
	}
	/* Firecracker writes a last line at exit: what happened since the
	 * last flush is not lost. */
	metrics_flush();
	/* The socket goes first: clients see the VM gone, not a socket that
	 * answers nothing. */
	fc_api_destroy(api);
	if (start.built)
		builder_destroy(&vm);
	close(sig_fd);
	config_free(&cfg);
	metrics_close();
	log_close();
	if (check_fds && fd_leaks())
		ret = EXIT_FAILURE;
	return ret;
}
