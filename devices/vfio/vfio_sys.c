// SPDX-License-Identifier: Apache-2.0
/* devices/vfio/vfio_sys.c: the host's kernel behind struct vfio_sys_ops. */
#include "devices/vfio/vfio_sys.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

/*
 * Thin wrappers: errno becomes the return value, nothing more. The
 * *at() and p*() forms are the syscalls the seccomp policies name
 * (openat, readlinkat, pread64, pwrite64), on every architecture.
 */

static int host_open(void *ctx, const char *path, int flags)
{
	int fd = openat(AT_FDCWD, path, flags | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

static int host_close(void *ctx, int fd)
{
	return close(fd) ? -errno : 0;
}

static int host_ioctl(void *ctx, int fd, unsigned long request,
		      unsigned long arg)
{
	int ret = ioctl(fd, request, arg);

	return ret < 0 ? -errno : ret;
}

static ssize_t host_pread(void *ctx, int fd, void *buf, size_t len,
			  uint64_t offset)
{
	ssize_t n;

	if (offset > INT64_MAX)
		return -EINVAL;
	n = pread(fd, buf, len, (off_t)offset);
	return n < 0 ? -errno : n;
}

static ssize_t host_pwrite(void *ctx, int fd, const void *buf, size_t len,
			   uint64_t offset)
{
	ssize_t n;

	if (offset > INT64_MAX)
		return -EINVAL;
	n = pwrite(fd, buf, len, (off_t)offset);
	return n < 0 ? -errno : n;
}

static int host_mmap(void *ctx, int fd, size_t len, int prot, uint64_t offset,
		     void **out)
{
	void *p;

	if (offset > INT64_MAX)
		return -EINVAL;
	p = mmap(NULL, len, prot, MAP_SHARED, fd, (off_t)offset);
	if (p == MAP_FAILED)
		return -errno;
	*out = p;
	return 0;
}

static int host_munmap(void *ctx, void *addr, size_t len)
{
	return munmap(addr, len) ? -errno : 0;
}

static ssize_t host_readlink(void *ctx, const char *path, char *buf, size_t len)
{
	ssize_t n;

	if (!len)
		return -EINVAL;
	n = readlinkat(AT_FDCWD, path, buf, len - 1);
	if (n < 0)
		return -errno;
	if ((size_t)n == len - 1)
		return -ENAMETOOLONG; /* cut, perhaps: never half a name */
	buf[n] = '\0';
	return n;
}

static const struct vfio_sys_ops host_ops = {
	.open = host_open,
	.close = host_close,
	.ioctl = host_ioctl,
	.pread = host_pread,
	.pwrite = host_pwrite,
	.mmap = host_mmap,
	.munmap = host_munmap,
	.readlink = host_readlink,
};

const struct vfio_sys vfio_sys_host = { &host_ops, NULL };
