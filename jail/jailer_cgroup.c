// SPDX-License-Identifier: Apache-2.0
/*
 * jail/jailer_cgroup.c: the jail's cgroup v2, <mount>/ignis/<id>, with the
 * --cgroup FILE=VALUE limits (cpu.max, memory.max, pids.max, ...). The
 * shared parent "ignis" stays (other jails may be using it), as
 * Firecracker's jailer leaves its "firecracker" parent.
 */
#include "jailer.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define CGROUP_PARENT	"ignis"

/*
 * The cgroup v2 mount point from /proc/self/mountinfo: /sys/fs/cgroup on a
 * systemd host, /sys/fs/cgroup/unified on a hybrid one. Fields: ... mount
 * point (5th) ... " - " fstype.
 */
static int cgroup2_mount(char *out, size_t len)
{
	char line[4096], mnt[PATH_MAX];
	FILE *f = fopen("/proc/self/mountinfo", "re");
	int ret = -ENOENT;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		const char *sep = strstr(line, " - ");

		if (!sep || strncmp(sep + 3, "cgroup2 ", 8))
			continue;
		if (sscanf(line, "%*s %*s %*s %*s %4095s", mnt) != 1)
			continue;
		if ((size_t)snprintf(out, len, "%s", mnt) < len)
			ret = 0;
		break;
	}
	fclose(f);
	return ret;
}

/* (out) = a + b + c, or -ENAMETOOLONG. */
static int cat3(char out[PATH_MAX], const char *a, const char *b,
		const char *c)
{
	if ((size_t)snprintf(out, PATH_MAX, "%s%s%s", a, b, c) >= PATH_MAX)
		return jailer_err(ENAMETOOLONG, "cgroup path %s%s%s", a, b, c);
	return 0;
}

static int write_file(const char *path, const char *value)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;
	int ret = 0;

	if (fd < 0)
		return -errno;
	n = write(fd, value, strlen(value));
	if (n < 0)
		ret = -errno;
	else if ((size_t)n != strlen(value))
		ret = -EIO;
	close(fd);
	return ret;
}

/*
 * A controller's files live in a cgroup only if its parent enabled the
 * controller for its children: "+pids" in the mount's and in ignis/'s
 * cgroup.subtree_control. (cgroup.* files need no controller.)
 */
static int enable_controller(const char *mnt, const char *file)
{
	char ctrl[64], path[PATH_MAX], val[70];
	size_t n = strcspn(file, ".");
	const char *dirs[] = { "", "/" CGROUP_PARENT };
	int ret;

	if (n >= sizeof(ctrl) || !strncmp(file, "cgroup.", 7))
		return 0;
	memcpy(ctrl, file, n);
	ctrl[n] = '\0';
	snprintf(val, sizeof(val), "+%s", ctrl);
	for (unsigned int i = 0; i < 2; i++) {
		ret = cat3(path, mnt, dirs[i], "/cgroup.subtree_control");
		if (ret)
			return ret;
		ret = write_file(path, val);
		if (ret)
			return jailer_err(-ret, "cannot enable the %s "
					  "controller in %s", ctrl, path);
	}
	return 0;
}

/* One --cgroup FILE=VALUE. FILE was checked to be a plain name. */
static int set_value(const struct jailer_cgroup *cg, const char *mnt,
		     const char *arg)
{
	const char *eq = strchr(arg, '=');
	char file[NAME_MAX + 1], path[PATH_MAX];
	size_t n = (size_t)(eq - arg);
	int ret;

	memcpy(file, arg, n);
	file[n] = '\0';
	ret = enable_controller(mnt, file);
	if (ret)
		return ret;
	ret = cat3(path, cg->dir, "/", file);
	if (ret)
		return ret;
	ret = write_file(path, eq + 1);
	if (ret)
		return jailer_err(-ret, "cgroup: cannot write %s to %s",
				  eq + 1, path);
	return 0;
}

int jailer_cgroup_create(struct jailer_cgroup *cg, const struct jailer_opts *o)
{
	char mnt[PATH_MAX], parent[PATH_MAX];
	int ret;

	memset(cg, 0, sizeof(*cg));
	ret = cgroup2_mount(mnt, sizeof(mnt));
	if (ret)
		return jailer_err(-ret, "no cgroup v2 hierarchy mounted");
	ret = cat3(parent, mnt, "/" CGROUP_PARENT, "");
	if (ret)
		return ret;
	if (mkdir(parent, 0755) && errno != EEXIST)
		return jailer_err(errno, "cannot create cgroup %s", parent);
	ret = cat3(cg->dir, parent, "/", o->id);
	if (ret)
		return ret;
	if (mkdir(cg->dir, 0755))
		return jailer_err(errno, "cannot create cgroup %s", cg->dir);
	cg->made = true;
	for (unsigned int i = 0; i < o->n_cgroups; i++) {
		ret = set_value(cg, mnt, o->cgroups[i]);
		if (ret)
			return ret;
	}
	return 0;
}

int jailer_cgroup_procs_open(const struct jailer_cgroup *cg)
{
	char path[PATH_MAX];
	int fd;

	if (cat3(path, cg->dir, "/cgroup.procs", ""))
		return -ENAMETOOLONG;
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return jailer_err(errno, "cannot open %s", path);
	return fd;
}

void jailer_cgroup_destroy(struct jailer_cgroup *cg)
{
	const struct timespec ms10 = { .tv_nsec = 10 * 1000 * 1000 };

	if (!cg->made)
		return;
	/* The jail's processes are reaped, but the cgroup may still count
	 * them for a moment (EBUSY): retry for up to a second. */
	for (int i = 0; rmdir(cg->dir) && errno != ENOENT; i++) {
		if (errno != EBUSY || i == 100) {
			jailer_err(errno, "cannot remove cgroup %s", cg->dir);
			break;
		}
		nanosleep(&ms10, NULL);
	}
	cg->made = false;
}
