/* SPDX-License-Identifier: Apache-2.0 */
/* devices/vfio/vfio_sys.h: the kernel calls VFIO needs, as an ops table. */
#ifndef IGNIS_VFIO_SYS_H
#define IGNIS_VFIO_SYS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * Every call the VFIO code makes to the kernel goes through this table,
 * and through nothing else: the host's (vfio_sys_host) in ignis, an
 * in-memory VFIO host in the tests (tests/support/fake_vfio.h), because
 * the machines the unit tests run on have no IOMMU to give. Both sides
 * speak the kernel's ABI (include/uapi/linux/vfio.h) byte for byte, so
 * the code above is the code that runs on real hardware.
 *
 * Each call returns what the syscall returns on success (an fd, a
 * count, an ioctl's value) and -errno on failure; errno is never the
 * result. (ctx) is the implementation's: NULL for the host.
 */
struct vfio_sys_ops {
	/* open(2) of (path) with O_CLOEXEC added: /dev/vfio/vfio and
	 * /dev/vfio/<group>. An fd or -errno. */
	int (*open)(void *ctx, const char *path, int flags);
	/* close(2). 0 or -errno (the fd is gone either way). */
	int (*close)(void *ctx, int fd);
	/* ioctl(2) with the kernel's unsigned long argument: a value
	 * (VFIO_CHECK_EXTENSION) or a pointer to the request's struct. */
	int (*ioctl)(void *ctx, int fd, unsigned long request,
		     unsigned long arg);
	/* pread(2)/pwrite(2) of a device region (offset: region offset +
	 * offset inside). Bytes moved or -errno. */
	ssize_t (*pread)(void *ctx, int fd, void *buf, size_t len,
			 uint64_t offset);
	ssize_t (*pwrite)(void *ctx, int fd, const void *buf, size_t len,
			  uint64_t offset);
	/* mmap(2) of (len) bytes of (fd) at (offset), shared, with (prot);
	 * the address in (*out). 0 or -errno. */
	int (*mmap)(void *ctx, int fd, size_t len, int prot, uint64_t offset,
		    void **out);
	/* munmap(2). 0 or -errno. */
	int (*munmap)(void *ctx, void *addr, size_t len);
	/* readlink(2) of (path) (sysfs: a device's iommu_group link) into
	 * (buf) of (len), NUL-terminated. Length, or -errno:
	 * -ENAMETOOLONG when the target may not have fitted. */
	ssize_t (*readlink)(void *ctx, const char *path, char *buf, size_t len);
};

/* An implementation and its context, passed to every VFIO object. */
struct vfio_sys {
	const struct vfio_sys_ops *ops; /* the calls */
	void *ctx; /* their first argument */
};

/* The host's kernel: thin wrappers over the syscalls. */
extern const struct vfio_sys vfio_sys_host;

static inline int vfio_sys_open(const struct vfio_sys *s, const char *path,
				int flags)
{
	return s->ops->open(s->ctx, path, flags);
}

static inline int vfio_sys_close(const struct vfio_sys *s, int fd)
{
	return s->ops->close(s->ctx, fd);
}

static inline int vfio_sys_ioctl(const struct vfio_sys *s, int fd,
				 unsigned long request, unsigned long arg)
{
	return s->ops->ioctl(s->ctx, fd, request, arg);
}

/* ioctl() with a pointer to the request's struct. */
static inline int vfio_sys_ioctl_ptr(const struct vfio_sys *s, int fd,
				     unsigned long request, void *arg)
{
	return s->ops->ioctl(s->ctx, fd, request, (unsigned long)arg);
}

#endif
