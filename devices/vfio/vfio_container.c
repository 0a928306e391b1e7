// SPDX-License-Identifier: Apache-2.0
/* devices/vfio/vfio_container.c: a VFIO type1v2 container, a DMA backend. */
#include "devices/vfio/vfio_container.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/vfio.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devices/vfio/vfio_info.h"
#include "vmm/log.h"

#define VFIO_CONTAINER_PATH "/dev/vfio/vfio"
#define VFIO_MAX_IOVA_RANGES 1024 /* more is a kernel we do not know */

struct vfio_container {
	const struct vfio_sys *sys; /* the kernel's calls */
	const struct gmem *mem; /* GPA -> host address */
	int fd; /* /dev/vfio/vfio */
	int group_fd; /* /dev/vfio/<group>, -1: none */
	unsigned int group; /* its number */
	unsigned int group_users; /* devices using it */
	struct vfio_iommu_limits limits; /* read at the group's join */
	struct vfio_container_metrics metrics; /* counters */
	_Atomic uint64_t bytes_mapped; /* mapped now */
};

int vfio_container_create(const struct vfio_sys *sys, const struct gmem *mem,
			  struct vfio_container **out, char *why, size_t len)
{
	struct vfio_container *c;
	int ret;

	c = calloc(1, sizeof(*c));
	if (!c) {
		snprintf(why, len, "out of memory");
		return -ENOMEM;
	}
	c->sys = sys;
	c->mem = mem;
	c->group_fd = -1;
	c->fd = vfio_sys_open(sys, VFIO_CONTAINER_PATH, O_RDWR);
	if (c->fd < 0) {
		ret = c->fd;
		snprintf(why, len, "cannot open %s: %s%s", VFIO_CONTAINER_PATH,
			 strerror(-ret),
			 ret == -ENOENT ? " (is the vfio module loaded?)" : "");
		goto err_free;
	}
	ret = vfio_sys_ioctl(sys, c->fd, VFIO_GET_API_VERSION, 0);
	if (ret != VFIO_API_VERSION) {
		snprintf(why, len, "VFIO API version %d, ignis speaks %d", ret,
			 VFIO_API_VERSION);
		ret = ret < 0 ? ret : -EPROTO;
		goto err_close;
	}
	/* 1 when there, 0 when not (vfio_container_ioctl_check_extension()). */
	ret = vfio_sys_ioctl(sys, c->fd, VFIO_CHECK_EXTENSION,
			     VFIO_TYPE1v2_IOMMU);
	if (ret <= 0) {
		snprintf(why, len, "the kernel has no VFIO type1v2 IOMMU");
		ret = ret < 0 ? ret : -ENOTSUP;
		goto err_close;
	}
	*out = c;
	return 0;

err_close:
	vfio_sys_close(sys, c->fd);
err_free:
	free(c);
	return ret;
}

static void forget_group(struct vfio_container *c)
{
	if (c->group_fd >= 0)
		vfio_sys_close(c->sys, c->group_fd);
	c->group_fd = -1;
	c->group_users = 0;
	free(c->limits.ranges);
	memset(&c->limits, 0, sizeof(c->limits));
	/* Without a group the container has no IOMMU left: the kernel
	 * released every mapping with it. */
	atomic_store(&c->bytes_mapped, 0);
}

void vfio_container_destroy(struct vfio_container *c)
{
	if (!c)
		return;
	forget_group(c);
	vfio_sys_close(c->sys, c->fd);
	free(c);
}

/* The usable IOVA ranges of a type1 info's capability chain. */
static int parse_ranges(struct vfio_container *c, const void *buf, size_t len,
			uint32_t first)
{
	struct vfio_iommu_type1_info_cap_iova_range cap;
	const unsigned char *p = buf;
	struct vfio_range *r;
	size_t room;
	int off;

	off = vfio_info_find_cap(buf, len, first,
				 VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE,
				 sizeof(cap));
	if (off <= 0)
		return off; /* none: every IOVA is usable */
	/*
	 * Copied out: Linux 6.1 packs capabilities end to end with no
	 * padding (vfio_info_cap_add()), so after the 12-byte DMA_AVAIL
	 * this one sits at an offset that is not 8-aligned.
	 */
	memcpy(&cap, p + off, sizeof(cap));
	room = (len - (size_t)off - sizeof(cap)) /
	       sizeof(struct vfio_iova_range);
	if (cap.nr_iovas > room || cap.nr_iovas > VFIO_MAX_IOVA_RANGES)
		return -EPROTO;
	if (!cap.nr_iovas)
		return 0;
	r = calloc(cap.nr_iovas, sizeof(*r));
	if (!r)
		return -ENOMEM;
	for (uint32_t i = 0; i < cap.nr_iovas; i++) {
		struct vfio_iova_range k; /* the kernel's: end inclusive */

		memcpy(&k, p + off + sizeof(cap) + i * sizeof(k), sizeof(k));
		/* Sorted and disjoint, as type1's iova_list is: the holes
		 * are computed from that. */
		if (k.start > k.end || (i && k.start <= r[i - 1].last)) {
			free(r);
			return -EPROTO;
		}
		r[i] = (struct vfio_range){ k.start, k.end };
	}
	c->limits.ranges = r;
	c->limits.nr_ranges = cap.nr_iovas;
	return 0;
}

static int read_limits(struct vfio_container *c)
{
	struct vfio_iommu_type1_info tmpl = { .argsz = sizeof(tmpl) };
	const struct vfio_iommu_type1_info *info;
	void *buf;
	size_t len;
	int off, ret;

	ret = vfio_info_get(c->sys, c->fd, VFIO_IOMMU_GET_INFO, &tmpl,
			    sizeof(tmpl), &buf, &len);
	if (ret)
		return ret;
	info = buf;
	ret = -EPROTO;
	if (!(info->flags & VFIO_IOMMU_INFO_PGSIZES) || !info->iova_pgsizes)
		goto out;
	c->limits.pgsizes = info->iova_pgsizes;
	ret = 0;
	if (!(info->flags & VFIO_IOMMU_INFO_CAPS) || !info->cap_offset)
		goto out;
	ret = parse_ranges(c, buf, len, info->cap_offset);
	if (ret)
		goto out;
	off = vfio_info_find_cap(
		buf, len, info->cap_offset, VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL,
		sizeof(struct vfio_iommu_type1_info_dma_avail));
	if (off < 0) {
		ret = off;
		goto out;
	}
	if (off) {
		struct vfio_iommu_type1_info_dma_avail a;

		memcpy(&a, (const unsigned char *)buf + off, sizeof(a));
		c->limits.has_dma_avail = true;
		c->limits.dma_avail = a.avail;
	}
out:
	if (ret) {
		free(c->limits.ranges);
		memset(&c->limits, 0, sizeof(c->limits));
	}
	free(buf);
	return ret;
}

int vfio_container_add_group(struct vfio_container *c, unsigned int group,
			     char *why, size_t len)
{
	struct vfio_group_status status = { .argsz = sizeof(status) };
	char path[32];
	int ret;

	if (c->group_fd >= 0) {
		if (c->group == group) {
			c->group_users++;
			return 0;
		}
		snprintf(why, len,
			 "the container already holds group %u: "
			 "each group gets its own",
			 c->group);
		return -EBUSY;
	}
	snprintf(path, sizeof(path), "/dev/vfio/%u", group);
	c->group_fd = vfio_sys_open(c->sys, path, O_RDWR);
	if (c->group_fd < 0) {
		ret = c->group_fd;
		snprintf(why, len, "cannot open %s: %s%s", path, strerror(-ret),
			 ret == -ENOENT ?
				 " (is the device bound to vfio-pci?)" :
				 "");
		goto err;
	}
	c->group = group;
	ret = vfio_sys_ioctl_ptr(c->sys, c->group_fd, VFIO_GROUP_GET_STATUS,
				 &status);
	if (ret < 0) {
		snprintf(why, len, "group %u: GET_STATUS: %s", group,
			 strerror(-ret));
		goto err;
	}
	/* Viable: no device of the group is bound to a host driver
	 * (vfio_group_ioctl_get_status(): the group's DMA is not owned). */
	if (!(status.flags & VFIO_GROUP_FLAGS_VIABLE)) {
		snprintf(why, len,
			 "group %u is not viable: every device in "
			 "/sys/kernel/iommu_groups/%u/devices must be bound to "
			 "vfio-pci or to no driver",
			 group, group);
		ret = -EBUSY;
		goto err;
	}
	ret = vfio_sys_ioctl_ptr(c->sys, c->group_fd, VFIO_GROUP_SET_CONTAINER,
				 &c->fd);
	if (ret < 0) {
		snprintf(why, len, "group %u: SET_CONTAINER: %s", group,
			 strerror(-ret));
		goto err;
	}
	/* Only once a group is in may the container pick its IOMMU
	 * (vfio_ioctl_set_iommu(): -EINVAL with an empty group list). */
	ret = vfio_sys_ioctl(c->sys, c->fd, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU);
	if (ret < 0) {
		snprintf(why, len, "group %u: SET_IOMMU(type1v2): %s", group,
			 strerror(-ret));
		goto err;
	}
	ret = read_limits(c);
	if (ret < 0) {
		snprintf(why, len, "group %u: IOMMU_GET_INFO: %s", group,
			 strerror(-ret));
		goto err;
	}
	c->group_users = 1;
	return 0;

err:
	/* Closing the group takes it out of the container again, and the
	 * container's IOMMU with it (vfio_group_fops_release()). */
	forget_group(c);
	return ret;
}

void vfio_container_put_group(struct vfio_container *c)
{
	if (c->group_fd < 0 || !c->group_users)
		return;
	if (--c->group_users == 0)
		forget_group(c);
}

int vfio_container_group_fd(const struct vfio_container *c)
{
	return c->group_fd;
}

const struct vfio_iommu_limits *
vfio_container_limits(const struct vfio_container *c)
{
	return c->group_fd >= 0 ? &c->limits : NULL;
}

int vfio_container_holes(const struct vfio_container *c, uint64_t start,
			 uint64_t last, struct vfio_range *out,
			 unsigned int max)
{
	const struct vfio_iommu_limits *l = vfio_container_limits(c);
	unsigned int n = 0;
	uint64_t next = start; /* first byte not yet classified */
	bool done = false;

	if (!l)
		return -ENODEV;
	if (start > last || !l->nr_ranges)
		return 0;
	for (unsigned int i = 0; i < l->nr_ranges && !done; i++) {
		const struct vfio_range *r = &l->ranges[i];

		if (r->last < next)
			continue;
		if (r->start > last)
			break;
		if (r->start > next) {
			if (n == max)
				return -E2BIG;
			out[n++] = (struct vfio_range){ next, r->start - 1 };
		}
		if (r->last >= last)
			done = true;
		else
			next = r->last + 1;
	}
	if (!done) {
		if (n == max)
			return -E2BIG;
		out[n++] = (struct vfio_range){ next, last };
	}
	return (int)n;
}

static bool iova_usable(const struct vfio_iommu_limits *l, uint64_t start,
			uint64_t last)
{
	if (!l->nr_ranges)
		return true;
	for (unsigned int i = 0; i < l->nr_ranges; i++) {
		if (start >= l->ranges[i].start && last <= l->ranges[i].last)
			return true;
	}
	return false;
}

static int container_map(void *ctx, iova_t iova, gpa_t gpa, uint64_t size,
			 uint32_t flags)
{
	struct vfio_container *c = ctx;
	struct vfio_iommu_type1_dma_map map = { .argsz = sizeof(map) };
	void *host;
	int ret;

	/* Only RAM is ours to map: device memory (peer-to-peer) is not. */
	host = (flags & DMA_BACKEND_F_MMIO) || !c->mem ?
		       NULL :
		       gmem_ptr(c->mem, gpa, size);
	if (!size || !host) {
		ret = size ? -EFAULT : -EINVAL;
		goto err;
	}
	if (c->group_fd < 0) {
		ret = -ENODEV;
		goto err;
	}
	if (flags & DMA_BACKEND_F_READ)
		map.flags |= VFIO_DMA_MAP_FLAG_READ;
	if (flags & DMA_BACKEND_F_WRITE)
		map.flags |= VFIO_DMA_MAP_FLAG_WRITE;
	map.vaddr = (uint64_t)(uintptr_t)host;
	map.iova = iova.v;
	map.size = size;
	ret = vfio_sys_ioctl_ptr(c->sys, c->fd, VFIO_IOMMU_MAP_DMA, &map);
	if (ret < 0)
		goto err;
	metric_inc(&c->metrics.map_count);
	atomic_fetch_add_explicit(&c->bytes_mapped, size, memory_order_relaxed);
	return 0;

err:
	metric_inc(&c->metrics.map_fails);
	return ret;
}

static int container_unmap(void *ctx, iova_t iova, uint64_t size)
{
	struct vfio_container *c = ctx;
	struct vfio_iommu_type1_dma_unmap unmap = { .argsz = sizeof(unmap) };
	int ret;

	if (c->group_fd < 0) {
		ret = -ENODEV;
		goto err;
	}
	unmap.iova = iova.v;
	unmap.size = size;
	ret = vfio_sys_ioctl_ptr(c->sys, c->fd, VFIO_IOMMU_UNMAP_DMA, &unmap);
	if (ret < 0)
		goto err;
	/*
	 * type1v2 refuses (-EINVAL) a range that cuts a mapping in two and
	 * answers success with size 0 when nothing was mapped there
	 * (vfio_dma_do_unmap()); (unmap.size) is what went.
	 */
	atomic_fetch_sub_explicit(&c->bytes_mapped, unmap.size,
				  memory_order_relaxed);
	if (unmap.size != size) {
		ret = unmap.size ? -EIO : -ENOENT;
		goto err;
	}
	metric_inc(&c->metrics.unmap_count);
	return 0;

err:
	metric_inc(&c->metrics.unmap_fails);
	return ret;
}

const struct dma_backend_ops vfio_container_dma_ops = {
	.map = container_map,
	.unmap = container_unmap,
};

int vfio_container_map_ram(struct vfio_container *c)
{
	const struct gmem *m = c->mem;
	unsigned int i;
	int ret = 0;

	if (c->group_fd < 0 || !m)
		return -ENODEV;
	for (i = 0; i < m->nr_regions; i++) {
		const struct gmem_region *r = &m->regions[i];

		if (!iova_usable(&c->limits, r->start.v,
				 r->start.v + r->size - 1)) {
			log_error(
				"vfio: guest RAM [%#llx, %#llx] overlaps an "
				"IOVA range the host IOMMU reserves",
				(unsigned long long)r->start.v,
				(unsigned long long)(r->start.v + r->size - 1));
			ret = -EINVAL;
			goto err_unmap;
		}
		ret = container_map(c, iova(r->start.v), r->start, r->size,
				    DMA_BACKEND_F_READ | DMA_BACKEND_F_WRITE);
		if (ret)
			goto err_unmap;
	}
	return 0;

err_unmap:
	while (i--)
		container_unmap(c, iova(m->regions[i].start.v),
				m->regions[i].size);
	return ret;
}

void vfio_container_get_stats(const struct vfio_container *c,
			      struct vfio_container_stats *out)
{
	out->maps = atomic_load_explicit(&c->metrics.map_count.count,
					 memory_order_relaxed);
	out->unmaps = atomic_load_explicit(&c->metrics.unmap_count.count,
					   memory_order_relaxed);
	out->failures = atomic_load_explicit(&c->metrics.map_fails.count,
					     memory_order_relaxed) +
			atomic_load_explicit(&c->metrics.unmap_fails.count,
					     memory_order_relaxed);
	out->bytes_mapped =
		atomic_load_explicit(&c->bytes_mapped, memory_order_relaxed);
}

struct vfio_container_metrics *vfio_container_metrics(struct vfio_container *c)
{
	return &c->metrics;
}
