// SPDX-License-Identifier: Apache-2.0
/*
 * jail/jailer.c: ignis-jailer, which wraps one ignis process the way
 * Firecracker's jailer wraps Firecracker. In order: close inherited fds,
 * build the jail's root (jailer_fs.c) and cgroup (jailer_cgroup.c), then
 * fork into a new PID namespace; the child joins the cgroup, takes new
 * mount/IPC/UTS namespaces (and the given network one), pivot_roots into
 * the root, sets rlimits, drops to the given uid/gid with no environment
 * and execs the copied ignis as PID 1. The parent forwards SIGTERM/SIGINT,
 * waits, removes what it made and exits with the child's status.
 */
#include "jailer.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <inttypes.h>
#include <linux/close_range.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static const char usage[] =
	"usage: ignis-jailer --id ID --exec-file PATH --uid N --gid N\n"
	"       [--chroot-base-dir DIR] [--netns PATH] [--cgroup FILE=VALUE]...\n"
	"       [--resource-limit no-file=N|fsize=N|memlock=N]... [--bind PATH]...\n"
	"       -- [ignis arguments]\n";

int jailer_err(int err, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (err)
		fprintf(stderr, "ignis-jailer: %s: %s\n", msg, strerror(err));
	else
		fprintf(stderr, "ignis-jailer: %s\n", msg);
	return err ? -err : -EINVAL;
}

/* ---- the command line ---- */

/* Firecracker's rule: 1 to 64 of [A-Za-z0-9-]; it names directories. */
static bool id_is_valid(const char *id)
{
	size_t n = strlen(id);

	return n >= 1 && n <= 64 &&
	       strspn(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			  "0123456789-") == n;
}

static int parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	char *end;

	errno = 0;
	if (*s < '0' || *s > '9')
		return -EINVAL;
	*out = strtoull(s, &end, 10);
	if (errno || *end || *out > max)
		return -EINVAL;
	return 0;
}

static int parse_id(const char *s, const char *what, uint32_t *out)
{
	uint64_t v;

	/* (uid_t)-1 means "unchanged" to setuid(): not a uid. */
	if (parse_u64(s, UINT32_MAX - 1, &v))
		return jailer_err(0, "bad %s: %s", what, s);
	*out = (uint32_t)v;
	return 0;
}

/* FILE=VALUE, FILE a plain cgroup file name such as pids.max. */
static int check_cgroup(const char *s)
{
	size_t n = strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_.");

	if (!n || s[0] == '.' || s[n] != '=' || !memchr(s, '.', n) ||
	    !s[n + 1] || strchr(s, '\n') || n > NAME_MAX)
		return jailer_err(0, "bad --cgroup %s (want FILE=VALUE)", s);
	return 0;
}

static int parse_rlimit(struct jailer_opts *o, const char *s)
{
	uint64_t v;

	if (!strncmp(s, "no-file=", 8) && !parse_u64(s + 8, UINT32_MAX, &v)) {
		o->nofile = v;
		return 0;
	}
	if (!strncmp(s, "fsize=", 6) && !parse_u64(s + 6, INT64_MAX, &v)) {
		o->fsize = v;
		return 0;
	}
	/* ignis's: VFIO pins what a passed-through device may reach and
	 * counts it against RLIMIT_MEMLOCK, which an unprivileged uid
	 * cannot exceed: all guest RAM without --iommu. */
	if (!strncmp(s, "memlock=", 8) && !parse_u64(s + 8, INT64_MAX, &v)) {
		o->memlock = v;
		return 0;
	}
	return jailer_err(0, "bad --resource-limit %s "
			  "(want no-file=N, fsize=N or memlock=N)", s);
}

/* Absolute, and no ".." to climb out of the root with. */
static int check_bind(const char *s)
{
	const char *p = s;

	if (s[0] != '/' || !s[1] || strlen(s) >= PATH_MAX / 2)
		return jailer_err(0, "bad --bind %s (want an absolute path)", s);
	while ((p = strstr(p, "/..")))
		if (p[3] == '/' || !p[3])
			return jailer_err(0, "bad --bind %s (\"..\")", s);
		else
			p += 3;
	return 0;
}

static int add_list(const char **list, unsigned int *n, const char *s,
		    const char *what)
{
	if (*n >= JAILER_MAX_LIST)
		return jailer_err(0, "more than %d %s", JAILER_MAX_LIST, what);
	list[(*n)++] = s;
	return 0;
}

enum { OPT_ID = 256, OPT_EXEC, OPT_UID, OPT_GID, OPT_BASE, OPT_NETNS,
       OPT_CGROUP, OPT_RLIMIT, OPT_BIND, OPT_HELP };

static const struct option long_opts[] = {
	{ "id", required_argument, NULL, OPT_ID },
	{ "exec-file", required_argument, NULL, OPT_EXEC },
	{ "uid", required_argument, NULL, OPT_UID },
	{ "gid", required_argument, NULL, OPT_GID },
	{ "chroot-base-dir", required_argument, NULL, OPT_BASE },
	{ "netns", required_argument, NULL, OPT_NETNS },
	{ "cgroup", required_argument, NULL, OPT_CGROUP },
	{ "resource-limit", required_argument, NULL, OPT_RLIMIT },
	{ "bind", required_argument, NULL, OPT_BIND },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

static int parse_opt(struct jailer_opts *o, int c, const char *arg,
		     bool *have_ids)
{
	switch (c) {
	case OPT_ID:
		o->id = arg;
		return id_is_valid(arg) ? 0 : jailer_err(0, "bad --id %s "
			"(1 to 64 of A-Z, a-z, 0-9, -)", arg);
	case OPT_EXEC:
		o->exec_file = arg;
		return 0;
	case OPT_UID:
		have_ids[0] = true;
		return parse_id(arg, "--uid", &o->uid);
	case OPT_GID:
		have_ids[1] = true;
		return parse_id(arg, "--gid", &o->gid);
	case OPT_BASE:
		o->base = arg;
		return arg[0] == '/' ? 0 :
		       jailer_err(0, "--chroot-base-dir must be absolute");
	case OPT_NETNS:
		o->netns = arg;
		return 0;
	case OPT_CGROUP:
		return check_cgroup(arg) ? -EINVAL :
		       add_list(o->cgroups, &o->n_cgroups, arg, "--cgroup");
	case OPT_RLIMIT:
		return parse_rlimit(o, arg);
	case OPT_BIND:
		return check_bind(arg) ? -EINVAL :
		       add_list(o->binds, &o->n_binds, arg, "--bind");
	default:
		return jailer_err(0, "bad usage (ignis-jailer --help)");
	}
}

/* Returns 0, 1 for --help, or -EINVAL (message printed). */
static int parse_args(struct jailer_opts *o, int argc, char **argv)
{
	bool have_ids[2] = { false, false };
	int c, ret;

	memset(o, 0, sizeof(*o));
	o->base = JAILER_BASE_DEFAULT;
	o->nofile = JAILER_NOFILE_DEFAULT;
	o->fsize = RLIM_INFINITY;
	o->memlock = RLIM_INFINITY;
	opterr = 0;	/* one line of ours instead of getopt's */
	/* "+": stop at the first non-option; ignis's own come after "--". */
	while ((c = getopt_long(argc, argv, "+", long_opts, NULL)) != -1) {
		if (c == OPT_HELP)
			return 1;
		ret = parse_opt(o, c, optarg, have_ids);
		if (ret)
			return ret;
	}
	if (!o->id || !o->exec_file || !have_ids[0] || !have_ids[1])
		return jailer_err(0, "--id, --exec-file, --uid and --gid "
				  "are required");
	o->args = argv + optind;
	return 0;
}

/* ---- the jail ---- */

static volatile sig_atomic_t child_pid, stop_sig;

/* The jail's PID 1 is ignis: pass the stop on. */
static void forward_signal(int sig)
{
	stop_sig = sig;
	if (child_pid > 0)
		kill(child_pid, sig);
}

static int signals_init(void)
{
	struct sigaction sa = { .sa_handler = forward_signal };

	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGTERM, &sa, NULL) || sigaction(SIGINT, &sa, NULL))
		return jailer_err(errno, "sigaction");
	return 0;
}

static int set_rlimits(const struct jailer_opts *o)
{
	struct rlimit nofile = { o->nofile, o->nofile };
	struct rlimit fsize = { o->fsize, o->fsize };
	struct rlimit memlock = { o->memlock, o->memlock };

	if (setrlimit(RLIMIT_NOFILE, &nofile))
		return jailer_err(errno, "cannot set no-file to %" PRIu64,
				  (uint64_t)o->nofile);
	if (o->fsize != RLIM_INFINITY && setrlimit(RLIMIT_FSIZE, &fsize))
		return jailer_err(errno, "cannot set fsize to %" PRIu64,
				  (uint64_t)o->fsize);
	if (o->memlock != RLIM_INFINITY && setrlimit(RLIMIT_MEMLOCK, &memlock))
		return jailer_err(errno, "cannot set memlock to %" PRIu64,
				  (uint64_t)o->memlock);
	return 0;
}

static int drop_ids(const struct jailer_opts *o)
{
	if (setgroups(0, NULL) || setgid(o->gid) || setuid(o->uid))
		return jailer_err(errno, "cannot drop to uid %u gid %u",
				  (unsigned int)o->uid, (unsigned int)o->gid);
	return 0;
}

/* The exec: "/<exec name>" in the root, ignis's arguments, no
 * environment. Returns only on failure. */
static int exec_jailed(const struct jailer_opts *o, const struct jailer_fs *fs)
{
	char *const envp[] = { NULL };
	char path[NAME_MAX + 2];
	const char **argv;
	size_t n = 0;

	while (o->args[n])
		n++;
	argv = calloc(n + 2, sizeof(*argv));
	if (!argv)
		return jailer_err(ENOMEM, "exec");
	snprintf(path, sizeof(path), "/%s", fs->exec_name);
	argv[0] = path;
	memcpy(argv + 1, o->args, n * sizeof(*argv));
	execve(path, (char *const *)argv, envp);
	free(argv);
	return jailer_err(errno, "cannot exec %s in the jail", path);
}

/*
 * The child, PID 1 of the new PID namespace. SIGTERM/SIGINT stay blocked
 * through the exec: one forwarded before ignis reads its signalfd waits,
 * pending, instead of being dropped (a PID 1 ignores signals it has no
 * handler for).
 */
static _Noreturn void child_run(const struct jailer_opts *o,
				const struct jailer_fs *fs, int procs_fd,
				int netns_fd)
{
	sigset_t stop;

	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	sigprocmask(SIG_BLOCK, &stop, NULL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	/* "0": the writer itself, before anything else runs. */
	if (write(procs_fd, "0", 1) != 1) {
		jailer_err(errno, "cannot join the cgroup");
		_exit(1);
	}
	if (unshare(CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS)) {
		jailer_err(errno, "unshare");
		_exit(1);
	}
	if (jailer_fs_mount(fs, o))
		_exit(1);
	if (netns_fd >= 0 && setns(netns_fd, CLONE_NEWNET)) {
		jailer_err(errno, "cannot join network namespace %s", o->netns);
		_exit(1);
	}
	if (jailer_fs_enter(fs))
		_exit(1);
	if (close_range(3, ~0U, 0)) {
		jailer_err(errno, "close_range");
		_exit(1);
	}
	if (set_rlimits(o) || drop_ids(o))
		_exit(1);
	exec_jailed(o, fs);
	_exit(1);
}

static int wait_child(pid_t pid)
{
	int status;

	child_pid = pid;
	if (stop_sig)		/* a stop that came before the fork */
		kill(pid, stop_sig);
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			jailer_err(errno, "waitpid");
			return 1;
		}
	}
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

/*
 * The new PID namespace is the clone's; the mount namespace is the
 * child's own unshare, so that pivot_root moves nothing but the child.
 */
static int jail_run(const struct jailer_opts *o)
{
	struct jailer_cgroup cg = { .made = false };
	struct jailer_fs fs;
	int procs_fd = -1, netns_fd = -1, status = 1;
	pid_t pid;

	if (jailer_fs_create(&fs, o) || jailer_cgroup_create(&cg, o))
		goto out;
	procs_fd = jailer_cgroup_procs_open(&cg);
	if (procs_fd < 0)
		goto out;
	if (o->netns) {
		netns_fd = open(o->netns, O_RDONLY | O_CLOEXEC);
		if (netns_fd < 0) {
			jailer_err(errno, "cannot open --netns %s", o->netns);
			goto out;
		}
	}
	/* A fork into a new PID namespace. Not unshare(CLONE_NEWPID) and
	 * fork(): after that unshare the parent could make no more threads
	 * (a sanitizer's runtime does, at exit). */
	pid = (pid_t)syscall(SYS_clone, CLONE_NEWPID | SIGCHLD, NULL, NULL,
			     NULL, NULL);
	if (pid < 0) {
		jailer_err(errno, "clone(CLONE_NEWPID)");
		goto out;
	}
	if (!pid)
		child_run(o, &fs, procs_fd, netns_fd);
	close(procs_fd);
	procs_fd = -1;
	status = wait_child(pid);
out:
	if (netns_fd >= 0)
		close(netns_fd);
	if (procs_fd >= 0)
		close(procs_fd);
	jailer_cgroup_destroy(&cg);
	jailer_fs_destroy(&fs);
	return status;
}

int main(int argc, char **argv)
{
	struct jailer_opts o;
	int ret;

	/* Nothing the caller left open reaches the jail. */
	if (close_range(3, ~0U, 0))
		return jailer_err(errno, "close_range"), 1;
	umask(022);
	ret = parse_args(&o, argc, argv);
	if (ret == 1) {
		fputs(usage, stdout);
		return 0;
	}
	if (ret)
		return 1;
	if (geteuid())
		return jailer_err(EPERM, "must run as root"), 1;
	if (signals_init())
		return 1;
	return jail_run(&o);
}
