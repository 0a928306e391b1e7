// SPDX-License-Identifier: Apache-2.0
/*
 * tests/integration/test_jailer.c: ignis-jailer (run.c's IGNIS_BIN here)
 * around a static ignis, checked from outside: the jail's root, its
 * namespaces, cgroup, uid/gid and rlimits while a guest runs, and that
 * nothing is left once it exits. Needs root, /dev/kvm and cgroup v2.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "run.h"

#define HELLO		GUEST_DIR "/hello"
#define SPIN		GUEST_DIR "/spin"
#define HELLO_LINE	"Hello from an ignis guest!\n"
#define JAIL_ID_STR	"65534"		/* nobody, nogroup */
#define JAIL_ID		65534
#define NOFILE		"128"
/* Above the guest's RAM: ignis's memfd counts as a file (ftruncate). */
#define FSIZE		"1073741824"
#define MEMLOCK		"4194304"	/* what VFIO may pin: below the usual
				 * 8 MiB hard limit, which only
				 * CAP_SYS_RESOURCE may raise */
#define PIDS_MAX	"64"
#define MEMORY_MAX	"536870912"

static char cgroup_mnt[PATH_MAX];	/* the cgroup v2 mount */
static char base[PATH_MAX];		/* this test's --chroot-base-dir */
static char id[32];
static const char *exec_name;		/* basename(IGNIS_STATIC) */

static bool cgroup2_mount(char *out, size_t len)
{
	char line[4096], mnt[PATH_MAX];
	FILE *f = fopen("/proc/self/mountinfo", "re");
	bool found = false;

	while (f && !found && fgets(line, sizeof(line), f)) {
		const char *sep = strstr(line, " - ");

		found = sep && !strncmp(sep + 3, "cgroup2 ", 8) &&
			sscanf(line, "%*s %*s %*s %*s %4095s", mnt) == 1 &&
			(size_t)snprintf(out, len, "%s", mnt) < len;
	}
	if (f)
		fclose(f);
	return found;
}

static void jail_init(void)
{
	static unsigned int n;

	if (geteuid())
		cr_skip_test("the jailer needs root");
	run_need_kvm();
	if (!cgroup2_mount(cgroup_mnt, sizeof(cgroup_mnt)))
		cr_skip_test("no cgroup v2 hierarchy mounted");
	if (access(cgroup_mnt, W_OK))	/* a container's read-only one */
		cr_skip_test("%s: %s", cgroup_mnt, strerror(errno));
	snprintf(base, sizeof(base), "/tmp/ignis-jailer-XXXXXX");
	cr_assert_not_null(mkdtemp(base));
	snprintf(id, sizeof(id), "jt-%d-%u", (int)getpid(), n++);
	exec_name = strrchr(IGNIS_STATIC, '/') + 1;
}

/* The base dir must be empty again: the jailer removed all it made. */
static void jail_fini(void)
{
	cr_expect_eq(rmdir(base), 0, "%s not empty after the jailer: %s",
		     base, strerror(errno));
}

TestSuite(jailer, .init = jail_init, .fini = jail_fini, .timeout = 60);

/* (out) = a + b. */
static void path_of(char *out, const char *a, const char *b)
{
	cr_assert_lt((size_t)snprintf(out, PATH_MAX, "%s%s", a, b), PATH_MAX);
}

static void id_dir(char *out)
{
	char d[PATH_MAX];

	path_of(d, base, "/");
	path_of(out, d, exec_name);
	path_of(d, out, "/");
	path_of(out, d, id);
}

static void cgroup_dir(char *out)
{
	cr_assert_lt((size_t)snprintf(out, PATH_MAX, "%s/ignis/%s", cgroup_mnt,
				      id), PATH_MAX);
}

static bool exists(const char *path)
{
	struct stat st;

	return !lstat(path, &st);
}

/* Reads all of (path) into (buf); returns its length or -1. */
static ssize_t read_text(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n, got = 0;

	if (fd < 0)
		return -1;
	while ((size_t)got < len - 1 &&
	       (n = read(fd, buf + got, len - 1 - (size_t)got)) > 0)
		got += n;
	close(fd);
	buf[got] = '\0';
	return got;
}

static void expect_file(const char *dir, const char *name, const char *want)
{
	char path[PATH_MAX], buf[256];

	cr_assert_lt((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name),
		     sizeof(path));
	cr_expect_geq(read_text(path, buf, sizeof(buf)), 0, "%s", path);
	cr_expect_str_eq(strtok(buf, "\n"), want, "%s", path);
}

/* A cgroup v2 controller the mount's root offers. */
static bool has_controller(const char *name)
{
	char path[PATH_MAX], buf[512], *tok, *save;

	path_of(path, cgroup_mnt, "/cgroup.controllers");
	if (read_text(path, buf, sizeof(buf)) < 0)
		return false;
	for (tok = strtok_r(buf, " \n", &save); tok;
	     tok = strtok_r(NULL, " \n", &save))
		if (!strcmp(tok, name))
			return true;
	return false;
}

/* A process in a network namespace of its own, for --netns. */
static pid_t netns_holder(void)
{
	int p[2];
	pid_t pid;
	char c;

	cr_assert_eq(pipe(p), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (!pid) {
		/* Gone with the test, even one that fails before it kills
		 * it: a holder left behind keeps the runner's pipes open. */
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() == 1 ||
		    unshare(CLONE_NEWNET) || write(p[1], "x", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	close(p[1]);
	cr_assert_eq(read(p[0], &c, 1), 1, "unshare(CLONE_NEWNET) failed");
	close(p[0]);
	return pid;
}

static void ns_link(pid_t pid, const char *ns, char *out, size_t len)
{
	char path[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)pid, ns);
	n = readlink(path, out, len - 1);
	cr_assert_gt(n, 0, "%s: %s", path, strerror(errno));
	out[n] = '\0';
}

static void expect_namespaces(pid_t pid, pid_t netns_pid)
{
	static const char *const own[] = { "mnt", "pid", "ipc", "uts" };
	char mine[64], theirs[64];

	for (unsigned int i = 0; i < 4; i++) {
		ns_link(getpid(), own[i], mine, sizeof(mine));
		ns_link(pid, own[i], theirs, sizeof(theirs));
		cr_expect_str_neq(mine, theirs, "ignis shares our %s namespace",
				  own[i]);
	}
	ns_link(netns_pid, "net", mine, sizeof(mine));
	ns_link(pid, "net", theirs, sizeof(theirs));
	cr_expect_str_eq(mine, theirs, "ignis is not in the --netns one");
}

/* /proc/PID/status: the uid/gid it dropped to, no groups, PID 1 inside. */
static void expect_status(pid_t pid)
{
	char path[64], buf[4096], want[64];

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	cr_assert_gt(read_text(path, buf, sizeof(buf)), 0);
	cr_expect_not_null(strstr(buf, "\nUid:\t" JAIL_ID_STR "\t" JAIL_ID_STR
				  "\t" JAIL_ID_STR "\t" JAIL_ID_STR "\n"),
			   "%s", buf);
	cr_expect_not_null(strstr(buf, "\nGid:\t" JAIL_ID_STR "\t" JAIL_ID_STR
				  "\t" JAIL_ID_STR "\t" JAIL_ID_STR "\n"),
			   "%s", buf);
	/* no supplementary groups (some kernels end the line with a space) */
	cr_expect(strstr(buf, "\nGroups:\t\n") || strstr(buf, "\nGroups:\t \n"),
		  "%s", buf);
	snprintf(want, sizeof(want), "\nNSpid:\t%d\t1\n", (int)pid);
	cr_expect_not_null(strstr(buf, want), "%s", buf);
}

static void expect_limits(pid_t pid)
{
	char path[64], buf[4096], *line;
	unsigned long long soft = 0, hard = 0;

	snprintf(path, sizeof(path), "/proc/%d/limits", (int)pid);
	cr_assert_gt(read_text(path, buf, sizeof(buf)), 0);
	cr_expect_not_null(strstr(buf, "Max open files            " NOFILE
				  "                  " NOFILE), "%s", buf);
	cr_expect_not_null(strstr(buf, "Max file size             " FSIZE
				  "           " FSIZE), "%s", buf);
	line = strstr(buf, "Max locked memory");
	cr_assert_not_null(line, "%s", buf);
	cr_expect_eq(sscanf(line, "Max locked memory %llu %llu", &soft, &hard),
		     2, "%s", line);
	cr_expect(soft == strtoull(MEMLOCK, NULL, 10) && hard == soft,
		  "memlock %llu/%llu", soft, hard);
}

/* The directory's entries are exactly (want) (NULL-terminated). */
static void expect_entries(const char *dir, const char *const want[])
{
	unsigned int n = 0, found = 0;
	struct dirent *e;
	DIR *d = opendir(dir);

	cr_assert_not_null(d, "%s: %s", dir, strerror(errno));
	while (want[n])
		n++;
	while ((e = readdir(d))) {
		bool known = false;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		for (unsigned int i = 0; i < n; i++)
			known |= !strcmp(e->d_name, want[i]);
		cr_expect(known, "%s holds %s", dir, e->d_name);
		found += known;
	}
	closedir(d);
	cr_expect_eq(found, n, "%s holds %u of its %u entries", dir, found, n);
}

/* /proc/PID/root is the jail's root, and holds only what it should. */
static void expect_root(pid_t pid)
{
	char root[PATH_MAX], proc_root[64], dir[PATH_MAX], top[PATH_MAX];
	const char *const dev[] = { "kvm", "net", "urandom", NULL };
	const char *top_want[] = { exec_name, "dev", "proc", top, NULL };
	struct stat a, b;

	id_dir(dir);
	path_of(root, dir, "/root");
	snprintf(proc_root, sizeof(proc_root), "/proc/%d/root", (int)pid);
	cr_assert_eq(stat(proc_root, &a), 0);
	cr_assert_eq(stat(root, &b), 0);
	cr_expect(a.st_dev == b.st_dev && a.st_ino == b.st_ino,
		  "ignis's root is not %s", root);
	/* The --bind file's first path component, e.g. "tmp". */
	snprintf(top, sizeof(top), "%s", GUEST_DIR + 1);
	top[strcspn(top, "/")] = '\0';
	expect_entries(proc_root, top_want);
	path_of(dir, proc_root, "/dev");
	expect_entries(dir, dev);
	cr_expect_eq(stat(dir, &a), 0);
	path_of(dir, proc_root, "/dev/kvm");
	cr_expect(!stat(dir, &a) && S_ISCHR(a.st_mode) && a.st_uid == JAIL_ID &&
		  a.st_gid == JAIL_ID, "%s", dir);
}

/* The one process in the jail's cgroup: ignis. */
static pid_t jail_pid(const char *cg)
{
	char path[PATH_MAX], buf[256];
	int pid = 0, next = 0;

	path_of(path, cg, "/cgroup.procs");
	cr_assert_gt(read_text(path, buf, sizeof(buf)), 0, "%s is empty",
		     path);
	cr_assert_eq(sscanf(buf, "%d\n%d", &pid, &next), 1,
		     "%s holds more than ignis:\n%s", path, buf);
	return pid;
}

static void expect_gone(void)
{
	char path[PATH_MAX];

	id_dir(path);
	cr_expect(!exists(path), "%s left behind", path);
	cgroup_dir(path);
	cr_expect(!exists(path), "%s left behind", path);
}

static void expect_one_error(const struct run_result *r)
{
	cr_expect(!r->timed_out && WIFEXITED(r->status) &&
		  WEXITSTATUS(r->status) == 1, "status %#x", r->status);
	cr_expect_eq(run_count_lines(r->err), 1, "stderr:\n%s", r->err);
	cr_expect_eq(strncmp(r->err, "ignis-jailer: ", 14), 0, "stderr:\n%s",
		     r->err);
}

Test(jailer, hello_boots_in_the_jail)
{
	const char *const args[] = {
		"--id", id, "--exec-file", IGNIS_STATIC, "--uid", JAIL_ID_STR,
		"--gid", JAIL_ID_STR, "--chroot-base-dir", base,
		"--bind", HELLO, "--", "--kernel", HELLO, NULL,
	};
	struct run_result r;

	run_boot(&r, args);
	cr_expect_str_eq(r.out, HELLO_LINE, "stdout:\n%s\nstderr:\n%s", r.out,
			 r.err);
	run_result_free(&r);
	expect_gone();
}

/* A running jail from outside, then SIGTERM: exit 0, nothing left. */
Test(jailer, jail_checked_from_outside)
{
	bool limits = has_controller("pids") && has_controller("memory");
	char netns[64], cg[PATH_MAX];
	const char *args[40] = {
		"--id", id, "--exec-file", IGNIS_STATIC, "--uid", JAIL_ID_STR,
		"--gid", JAIL_ID_STR, "--chroot-base-dir", base,
		"--netns", netns, "--bind", SPIN,
		"--resource-limit", "no-file=" NOFILE,
		"--resource-limit", "fsize=" FSIZE,
		"--resource-limit", "memlock=" MEMLOCK,
		/* a cgroup file that needs no controller */
		"--cgroup", "cgroup.max.descendants=0",
	};
	unsigned int n = 0;
	pid_t holder = netns_holder(), pid;
	struct run_result r;
	struct run_proc p;

	snprintf(netns, sizeof(netns), "/proc/%d/ns/net", (int)holder);
	while (args[n])
		n++;
	if (limits) {
		args[n++] = "--cgroup";
		args[n++] = "pids.max=" PIDS_MAX;
		args[n++] = "--cgroup";
		args[n++] = "memory.max=" MEMORY_MAX;
	} else {
		cr_log_info("no pids/memory controllers in %s: their limits "
			    "are not checked", cgroup_mnt);
	}
	args[n++] = "--";
	args[n++] = "--kernel";
	args[n++] = SPIN;
	args[n++] = "--memory";
	args[n++] = "64M";
	args[n] = NULL;
	cr_assert_eq(run_start(&p, args), 0);
	cr_assert(run_wait_stdout(&p, "spin: spinning", RUN_TIMEOUT_MS),
		  "stdout:\n%s\nstderr:\n%s", p.res.out, p.res.err);

	cgroup_dir(cg);
	pid = jail_pid(cg);
	expect_status(pid);
	expect_namespaces(pid, holder);
	expect_root(pid);
	expect_limits(pid);
	expect_file(cg, "cgroup.max.descendants", "0");
	if (limits) {
		expect_file(cg, "pids.max", PIDS_MAX);
		expect_file(cg, "memory.max", MEMORY_MAX);
	}

	kill(p.pid, SIGTERM);
	run_finish(&p, RUN_TIMEOUT_MS, &r);
	kill(holder, SIGKILL);
	waitpid(holder, NULL, 0);
	run_expect_exit0(&r);
	run_result_free(&r);
	expect_gone();
}

static void run_bad(const char *jail_id, const char *exec_file)
{
	const char *const args[] = {
		"--id", jail_id, "--exec-file", exec_file, "--uid",
		JAIL_ID_STR, "--gid", JAIL_ID_STR, "--chroot-base-dir", base,
		"--", "--kernel", HELLO, NULL,
	};
	struct run_result r;

	cr_assert_eq(run_ignis(args, &r), 0);
	expect_one_error(&r);
	run_result_free(&r);
}

Test(jailer, bad_id_refused)
{
	run_bad("a/b", IGNIS_STATIC);
	run_bad("", IGNIS_STATIC);
	run_bad("x123456789x123456789x123456789x123456789x123456789x123456789"
		"x1234", IGNIS_STATIC);
}

Test(jailer, missing_exec_file_refused)
{
	run_bad(id, "/nonexistent/ignis");
}

/* --vfio: the jail gets the device's IOMMU group link and VFIO nodes;
 * this host has no IOMMU, so a PCI function without a group is refused
 * before anything runs, and the jail made so far is removed. */
Test(jailer, vfio_without_iommu_group_refused)
{
	const char *const args[] = {
		"--id", id, "--exec-file", IGNIS_STATIC, "--uid",
		JAIL_ID_STR, "--gid", JAIL_ID_STR, "--chroot-base-dir", base,
		"--", "--kernel", HELLO, "--vfio", "0000:00:00.0", NULL,
	};
	struct run_result r;

	if (!access("/sys/bus/pci/devices/0000:00:00.0/iommu_group", F_OK))
		cr_skip_test("this host has an IOMMU: 00:00.0 has a group");
	cr_assert_eq(run_ignis(args, &r), 0);
	expect_one_error(&r);
	cr_expect(strstr(r.err, "no IOMMU group"), "%s", r.err);
	run_result_free(&r);
	expect_gone();
}

/* Another jail's directory is neither used nor removed. */
Test(jailer, existing_id_refused)
{
	char dir[PATH_MAX], parent[PATH_MAX];

	id_dir(dir);
	path_of(parent, dir, "");
	*strrchr(parent, '/') = '\0';
	cr_assert_eq(mkdir(parent, 0755), 0);
	cr_assert_eq(mkdir(dir, 0755), 0);
	run_bad(id, IGNIS_STATIC);
	cr_expect(exists(dir), "the existing %s was removed", dir);
	cgroup_dir(parent);
	cr_expect(!exists(parent), "cgroup %s made", parent);
	rmdir(dir);
	*strrchr(dir, '/') = '\0';
	rmdir(dir);
}
