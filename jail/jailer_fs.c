// SPDX-License-Identifier: Apache-2.0
/*
 * jail/jailer_fs.c: the jail's root, <base>/<exec name>/<id>/root, as
 * Firecracker's jailer lays it out: the exec file's copy, the device nodes
 * a VM needs, and (ignis's addition) the --bind files at their own
 * absolute paths. Made on the host before the fork; mounted and entered
 * by the child in its own mount namespace, so that no mount is ever seen
 * outside and removal afterwards is plain unlink/rmdir.
 */
#include "jailer.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

/* The host's device nodes the jail gets, owned by the jail's uid/gid. */
static const struct {
	const char *path;
	bool required;	/* a host without tun cannot give a VM a tap anyway */
} jail_devs[] = {
	{ "/dev/kvm", true },
	{ "/dev/net/tun", false },
	{ "/dev/urandom", false },
};

static int join(char *out, const char *a, const char *b)
{
	if ((size_t)snprintf(out, PATH_MAX, "%s%s", a, b) >= PATH_MAX)
		return jailer_err(ENAMETOOLONG, "path %s%s", a, b);
	return 0;
}

/* mkdir that accepts an existing directory. */
static int mkdir_ok(const char *path, mode_t mode)
{
	if (mkdir(path, mode) && errno != EEXIST)
		return jailer_err(errno, "cannot create %s", path);
	return 0;
}

/* Creates every directory of root + (path)'s parents. */
static int mkdir_parents(const char *root, const char *path)
{
	char buf[PATH_MAX];
	int ret = join(buf, root, path);
	char *p = buf + strlen(root) + 1;

	if (ret)
		return ret;
	while ((p = strchr(p, '/'))) {
		*p = '\0';
		ret = mkdir_ok(buf, 0755);
		*p++ = '/';
		if (ret)
			return ret;
	}
	return 0;
}

/* The exec file's copy: a copy, not a link, so that the jail neither
 * shares the host's inode nor needs the same file system (Firecracker
 * copies too). */
static int copy_exec(const char *src, const char *dst)
{
	int in = open(src, O_RDONLY | O_CLOEXEC), out = -1, ret = 0;
	struct stat st;
	ssize_t n;

	if (in < 0)
		return jailer_err(errno, "cannot open exec file %s", src);
	if (fstat(in, &st)) {
		ret = jailer_err(errno, "exec file %s", src);
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		ret = jailer_err(0, "exec file %s is not a regular file", src);
		goto out;
	}
	out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0755);
	if (out < 0) {
		ret = jailer_err(errno, "cannot create %s", dst);
		goto out;
	}
	do
		n = sendfile(out, in, NULL, 1 << 20);
	while (n > 0);
	if (n < 0 || fchmod(out, 0755))
		ret = jailer_err(errno, "cannot copy %s to %s", src, dst);
	close(out);
out:
	close(in);
	return ret;
}

static int make_dev(const char *root, const struct jailer_opts *o,
		    const char *host, bool required)
{
	char path[PATH_MAX];
	struct stat st;
	int ret;

	if (stat(host, &st) || !S_ISCHR(st.st_mode))
		return required ? jailer_err(0, "no device %s", host) : 0;
	ret = join(path, root, host);
	if (ret)
		return ret;
	/* Two --vfio devices share /dev/vfio/vfio. */
	if ((mknod(path, S_IFCHR | 0600, st.st_rdev) && errno != EEXIST) ||
	    chown(path, o->uid, o->gid))
		return jailer_err(errno, "cannot create %s", path);
	return 0;
}

/* An empty file (or directory) for a --bind to be mounted on. */
static int bind_placeholder(const char *root, const char *src)
{
	char path[PATH_MAX];
	struct stat st;
	int ret, fd;

	if (stat(src, &st))
		return jailer_err(errno, "cannot bind %s", src);
	ret = mkdir_parents(root, src);
	if (!ret)
		ret = join(path, root, src);
	if (ret)
		return ret;
	if (S_ISDIR(st.st_mode))
		return mkdir_ok(path, 0755);
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return jailer_err(errno, "cannot create %s", path);
	close(fd);
	return 0;
}

/* <base> and <base>/<exec name> may be shared with other jails: made if
 * missing (and then removed if empty at the end). */
static int make_shared_dir(struct jailer_fs *fs, const char *path)
{
	if (!mkdir(path, 0755)) {
		snprintf(fs->made[fs->n_made++], PATH_MAX, "%s", path);
		return 0;
	}
	return mkdir_ok(path, 0755);
}

/*
 * The BDF of a --vfio value "PATH|BDF[,...]": the last component of a
 * path, or the value itself; "BB:DD.F" gets domain 0000, as ignis reads
 * it (vmm/config_vfio.c checks the rest once inside).
 */
static int vfio_bdf(const char *value, char *bdf, size_t size)
{
	size_t n = strcspn(value, ",");
	const char *p = value;

	while (n && value[n - 1] == '/')
		n--;
	for (size_t i = 0; i < n; i++)
		if (value[i] == '/')
			p = value + i + 1;
	n -= (size_t)(p - value);
	if (!n || n > 16 || memchr(p, '.', n) == NULL || p[0] == '.')
		return jailer_err(0, "--vfio %s: not a PCI function", value);
	if (snprintf(bdf, size, "%s%.*s", n <= 7 ? "0000:" : "", (int)n, p) >=
	    (int)size)
		return jailer_err(0, "--vfio %s: not a PCI function", value);
	return 0;
}

/*
 * A passed-through function: ignis inside finds its IOMMU group by
 * reading the link /sys/bus/pci/devices/<BDF>/iommu_group, so the jail
 * gets that link alone (a copy, in a plain directory: no sysfs), and the
 * VFIO nodes it opens, /dev/vfio/vfio and /dev/vfio/<group>.
 */
static int vfio_expose(const char *root, const struct jailer_opts *o,
		       const char *value)
{
	char bdf[24], host[PATH_MAX], path[PATH_MAX], target[PATH_MAX];
	char node[32];
	const char *group;
	ssize_t n;
	int ret;

	ret = vfio_bdf(value, bdf, sizeof(bdf));
	if (ret)
		return ret;
	snprintf(host, sizeof(host), "/sys/bus/pci/devices/%s/iommu_group",
		 bdf);
	n = readlink(host, target, sizeof(target) - 1);
	if (n < 0)
		return jailer_err(errno, "--vfio %s: no IOMMU group (%s)",
				  value, host);
	target[n] = '\0';
	group = strrchr(target, '/');
	group = group ? group + 1 : target;
	ret = mkdir_parents(root, host);
	if (!ret)
		ret = join(path, root, host);
	if (ret)
		return ret;
	if (symlink(target, path) && errno != EEXIST)
		return jailer_err(errno, "cannot create %s", path);
	if (strlen(group) > 16 || strchr(group, '.'))
		return jailer_err(0, "--vfio %s: odd IOMMU group %s", value,
				  target);
	snprintf(node, sizeof(node), "/dev/vfio/%s", group);
	ret = mkdir_parents(root, node);
	if (!ret)
		ret = make_dev(root, o, "/dev/vfio/vfio", true);
	if (!ret)
		ret = make_dev(root, o, node, true);
	return ret;
}

static int fill_root(struct jailer_fs *fs, const struct jailer_opts *o)
{
	char path[PATH_MAX], name[NAME_MAX + 2];
	int ret;

	if (chown(fs->root, o->uid, o->gid))	/* ignis's API socket, logs */
		return jailer_err(errno, "cannot chown %s", fs->root);
	snprintf(name, sizeof(name), "/%s", fs->exec_name);
	ret = join(path, fs->root, name);
	if (!ret)
		ret = copy_exec(o->exec_file, path);
	for (size_t i = 0; !ret && i < sizeof(jail_devs) / sizeof(jail_devs[0]); i++) {
		ret = mkdir_parents(fs->root, jail_devs[i].path);
		if (!ret)
			ret = make_dev(fs->root, o, jail_devs[i].path,
				       jail_devs[i].required);
	}
	if (!ret)
		ret = join(path, fs->root, "/proc");
	if (!ret)
		ret = mkdir_ok(path, 0555);
	for (unsigned int i = 0; !ret && i < o->n_binds; i++)
		ret = bind_placeholder(fs->root, o->binds[i]);
	/* ignis's own --vfio arguments name what it will open. */
	for (size_t i = 0; !ret && o->args[i]; i++) {
		if (!strncmp(o->args[i], "--vfio=", 7))
			ret = vfio_expose(fs->root, o, o->args[i] + 7);
		else if (!strcmp(o->args[i], "--vfio") && o->args[i + 1])
			ret = vfio_expose(fs->root, o, o->args[++i]);
	}
	return ret;
}

int jailer_fs_create(struct jailer_fs *fs, const struct jailer_opts *o)
{
	const char *slash = strrchr(o->exec_file, '/');
	char dir[PATH_MAX];
	int ret;

	memset(fs, 0, sizeof(*fs));
	snprintf(fs->exec_name, sizeof(fs->exec_name), "%s",
		 slash ? slash + 1 : o->exec_file);
	if (!fs->exec_name[0] || !strcmp(fs->exec_name, ".") ||
	    !strcmp(fs->exec_name, ".."))
		return jailer_err(0, "bad exec file name %s", o->exec_file);
	if (access(o->exec_file, X_OK))
		return jailer_err(errno, "exec file %s", o->exec_file);
	if ((size_t)snprintf(dir, sizeof(dir), "%s/%s", o->base,
			     fs->exec_name) >= sizeof(dir) ||
	    (size_t)snprintf(fs->id_dir, sizeof(fs->id_dir), "%s/%s", dir,
			     o->id) >= sizeof(fs->id_dir))
		return jailer_err(ENAMETOOLONG, "chroot base dir %s", o->base);
	ret = make_shared_dir(fs, o->base);
	if (!ret)
		ret = make_shared_dir(fs, dir);
	if (ret)
		return ret;
	/* One jail per id: an existing directory is another jail's. */
	if (mkdir(fs->id_dir, 0755))
		return jailer_err(errno, "cannot create jail %s", fs->id_dir);
	fs->id_dir_made = true;
	ret = join(fs->root, fs->id_dir, "/root");
	if (ret)
		return ret;
	if (mkdir(fs->root, 0755))
		return jailer_err(errno, "cannot create %s", fs->root);
	return fill_root(fs, o);
}

int jailer_fs_mount(const struct jailer_fs *fs, const struct jailer_opts *o)
{
	char path[PATH_MAX];
	int ret;

	/* Our mounts must not propagate back to the host's namespace. */
	if (mount(NULL, "/", NULL, MS_SLAVE | MS_REC, NULL))
		return jailer_err(errno, "cannot make / a slave mount");
	/* pivot_root wants a mount point; the remount drops nodev/noexec
	 * that a bind of, say, /tmp would inherit (the device nodes and the
	 * exec file must work), and adds nosuid. */
	if (mount(fs->root, fs->root, NULL, MS_BIND, NULL) ||
	    mount(NULL, fs->root, NULL, MS_REMOUNT | MS_BIND | MS_NOSUID, NULL))
		return jailer_err(errno, "cannot bind-mount %s", fs->root);
	for (unsigned int i = 0; i < o->n_binds; i++) {
		ret = join(path, fs->root, o->binds[i]);
		if (ret)
			return ret;
		if (mount(o->binds[i], path, NULL, MS_BIND, NULL))
			return jailer_err(errno, "cannot bind-mount %s",
					  o->binds[i]);
	}
	return 0;
}

/*
 * When / is the initial ramfs, which pivot_root(2) refuses (EINVAL: a
 * host booted from an initramfs, as our nested system tests are): the
 * jail's root moved over / in our own mount namespace and chroot into
 * it, as switch_root does. The old root stays underneath, reachable only
 * by leaving the chroot, which takes CAP_SYS_CHROOT: gone with the uid
 * drop that follows.
 */
static int enter_on_rootfs(const struct jailer_fs *fs)
{
	if (mount(".", "/", NULL, MS_MOVE, NULL) || chroot(".") || chdir("/"))
		return jailer_err(errno, "cannot move the jail %s over / "
				  "(the host's root is its initramfs)",
				  fs->root);
	return 0;
}

int jailer_fs_enter(const struct jailer_fs *fs)
{
	int ret;

	/* pivot_root(".", "."): the old root ends up on top of the new one
	 * and is detached at once (pivot_root(2), NOTES). */
	if (chdir(fs->root))
		return jailer_err(errno, "cannot enter %s", fs->root);
	if (syscall(SYS_pivot_root, ".", ".")) {
		if (errno != EINVAL)
			return jailer_err(errno, "cannot pivot_root into %s",
					  fs->root);
		ret = enter_on_rootfs(fs);
		if (ret)
			return ret;
	} else if (umount2(".", MNT_DETACH) || chdir("/")) {
		return jailer_err(errno, "cannot detach the old root");
	}
	/* A /proc of the new PID namespace: it shows the jail only. */
	if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC,
		  NULL))
		return jailer_err(errno, "cannot mount /proc");
	return 0;
}

static int rm_entry(const char *path, const struct stat *st, int type,
		    struct FTW *ftw)
{
	if (remove(path) && errno != ENOENT)
		jailer_err(errno, "cannot remove %s", path);
	return 0;
}

void jailer_fs_destroy(struct jailer_fs *fs)
{
	/* FTW_PHYS and FTW_MOUNT: never follow a link or cross into another
	 * file system, whatever the jail left behind. */
	if (fs->id_dir_made)
		nftw(fs->id_dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
	fs->id_dir_made = false;
	while (fs->n_made)
		rmdir(fs->made[--fs->n_made]);	/* kept if another jail's */
}
