/* SPDX-License-Identifier: Apache-2.0 */
/*
 * jail/jailer.h: ignis-jailer's parts (the binary of jail/jailer.c, not
 * linked into ignis): the jail's root directory (jailer_fs.c) and its
 * cgroup (jailer_cgroup.c). Functions return 0 or -errno and print their
 * own one-line "ignis-jailer: ..." message on failure.
 */
#ifndef IGNIS_JAILER_H
#define IGNIS_JAILER_H

#include <limits.h>
#include <stdbool.h>
#include <sys/resource.h>
#include <sys/types.h>

#define JAILER_MAX_LIST		32	/* --cgroup, --bind: each at most */
#define JAILER_BASE_DEFAULT	"/srv/jailer"
#define JAILER_NOFILE_DEFAULT	2048	/* Firecracker's no-file default */

/* The command line, validated. */
struct jailer_opts {
	const char *id;
	const char *exec_file;
	const char *base;			/* --chroot-base-dir */
	const char *netns;			/* --netns, or NULL */
	uid_t uid;
	gid_t gid;
	const char *cgroups[JAILER_MAX_LIST];	/* "FILE=VALUE" */
	unsigned int n_cgroups;
	const char *binds[JAILER_MAX_LIST];	/* absolute paths */
	unsigned int n_binds;
	rlim_t nofile;
	rlim_t fsize;				/* RLIM_INFINITY: unchanged */
	rlim_t memlock;				/* RLIM_INFINITY: unchanged */
	char *const *args;			/* ignis's, after "--" */
};

/* What the jailer made on the host, so that it can unmake it. */
struct jailer_fs {
	char id_dir[PATH_MAX];		/* <base>/<exec name>/<id> */
	char root[PATH_MAX];		/* <id_dir>/root */
	char exec_name[NAME_MAX + 1];	/* basename(exec file) */
	char made[2][PATH_MAX];		/* <base>, <base>/<exec name>, if new */
	unsigned int n_made;
	bool id_dir_made;
};

struct jailer_cgroup {
	char dir[PATH_MAX];		/* <cgroup2 mount>/ignis/<id> */
	bool made;
};

/* Prints "ignis-jailer: (fmt)...[: strerror(err)]" as one line on stderr
 * (err 0: no strerror). Returns -err, or -EINVAL for err 0. */
int jailer_err(int err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Creates <base>/<exec name>/<id>/root (refusing an existing <id>) and
 * fills it: the exec file's copy, dev/kvm, dev/net/tun, dev/urandom, the
 * --bind placeholders, an empty proc/. */
int jailer_fs_create(struct jailer_fs *fs, const struct jailer_opts *o);

/* Child side, in its own mount namespace: the root bind-mounted onto
 * itself, the --bind files onto their placeholders. */
int jailer_fs_mount(const struct jailer_fs *fs, const struct jailer_opts *o);

/* Child side: pivot_root into the root, the old root detached, a fresh
 * /proc. */
int jailer_fs_enter(const struct jailer_fs *fs);

/* Removes everything jailer_fs_create() made (after the jail's mount
 * namespace is gone, what is left are plain files). */
void jailer_fs_destroy(struct jailer_fs *fs);

/* Creates the jail's cgroup with the --cgroup values. Returns 0 or -errno. */
int jailer_cgroup_create(struct jailer_cgroup *cg, const struct jailer_opts *o);

/* Opens the cgroup's cgroup.procs for the child to join (O_CLOEXEC). */
int jailer_cgroup_procs_open(const struct jailer_cgroup *cg);

/* Removes the cgroup once its processes are gone. */
void jailer_cgroup_destroy(struct jailer_cgroup *cg);

#endif
