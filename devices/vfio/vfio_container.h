/* SPDX-License-Identifier: Apache-2.0 */
/* devices/vfio/vfio_container.h: a VFIO type1v2 container, a DMA backend. */
#ifndef IGNIS_VFIO_CONTAINER_H
#define IGNIS_VFIO_CONTAINER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "devices/iommu/dma_backend.h"
#include "devices/vfio/vfio_sys.h"
#include "vmm/gmem.h"
#include "vmm/metrics.h"

/*
 * One legacy container (/dev/vfio/vfio) with the type1v2 IOMMU, holding
 * exactly one VFIO group: type1 gives a container one IOMMU domain, and
 * ignis gives every virtio-iommu endpoint its own (Cloud Hypervisor's
 * per-device container; kvmtool's global one is what not to do), so two
 * groups never share one. The container is the endpoint's DMA backend
 * (vfio_container_dma_ops, ctx = the container): guest-physical
 * addresses become host addresses through (mem), and the kernel pins
 * and maps them.
 *
 * Life: vfio_container_create() (VMM thread), then a group joins
 * through vfio_device_open() (vfio_device.h), which enables the IOMMU
 * and reads its limits; then either vfio_container_map_ram() (no
 * virtio-iommu: all of RAM, identity, pinned) or the virtio-iommu's
 * calls of vfio_container_dma_ops on its own thread. Both before the
 * thread's jail: the MAP/UNMAP ioctls are all the iommu thread needs.
 *
 * iommufd (/dev/iommu with the VFIO cdevs of Linux 6.6+, /dev/vfio/devices)
 * would slot in as a second implementation of the same dma_backend_ops
 * (IOMMU_IOAS_MAP/UNMAP on an IOAS per endpoint, the device bound with
 * VFIO_DEVICE_BIND_IOMMUFD and attached to a HWPT); vfio_device.h's
 * region, IRQ and config calls stay as they are. Not built: ignis's
 * hosts run 6.1, whose iommufd has no VFIO cdevs.
 */

/* A range of IOVAs [start, last] (type1's end is inclusive too). */
struct vfio_range {
	uint64_t start; /* first byte */
	uint64_t last; /* last byte */
};

/* What the kernel told of its IOMMU when the group joined. */
struct vfio_iommu_limits {
	uint64_t pgsizes; /* iova_pgsizes: lowest bit = the
			   * granule of every map and unmap */
	bool has_dma_avail; /* the kernel reported dma_avail */
	uint32_t dma_avail; /* mappings that could still be made
			     * (dma_entry_limit: 65535 by
			     * default) */
	unsigned int nr_ranges; /* entries in ranges[]; 0: the
				 * kernel named none, all IOVAs */
	struct vfio_range *ranges; /* usable IOVAs, sorted, disjoint */
};

/*
 * The container's counters, for the "vfio" metrics: the iommu thread
 * adds, the VMM flushes (vmm/metrics.h).
 */
#define VFIO_CONTAINER_METRICS(X) \
	X(map_count) X(unmap_count) X(map_fails) X(unmap_fails)
METRICS_STRUCT(vfio_container_metrics, VFIO_CONTAINER_METRICS);

/* A copy of the counters and of what is mapped now. */
struct vfio_container_stats {
	uint64_t maps; /* MAP_DMA that succeeded */
	uint64_t unmaps; /* UNMAP_DMA that succeeded */
	uint64_t failures; /* either that failed */
	uint64_t bytes_mapped; /* mapped (and pinned) now: what the
				* kernel adds to locked_vm */
};

struct vfio_container;

/*
 * Opens a container with (sys): checks VFIO_GET_API_VERSION and that
 * type1v2 is there. Guest addresses are translated through (mem) (NULL:
 * nothing can be mapped); (sys) and (mem) must outlive the container.
 * 0, or -errno with the reason in (why): -ENOENT (no /dev/vfio/vfio: no
 * VFIO in this kernel), -EPROTO (another API version), -ENOTSUP (no
 * type1v2). VMM thread.
 */
int vfio_container_create(const struct vfio_sys *sys, const struct gmem *mem,
			  struct vfio_container **out, char *why, size_t len);

/* Closes the group and the container (the kernel then unmaps and unpins
 * everything). NULL ok. After every device of it is closed. */
void vfio_container_destroy(struct vfio_container *c);

/*
 * Joins IOMMU group (group) to (c), or counts one more user when it is
 * already (c)'s: opens /dev/vfio/<group>, checks it is viable, sets the
 * container, enables type1v2, reads its limits. 0 or -errno with the
 * reason in (why); nothing changed on error. -EBUSY: another group holds
 * (c), or (group) is not viable. Called by vfio_device_open().
 */
int vfio_container_add_group(struct vfio_container *c, unsigned int group,
			     char *why, size_t len);

/* One user of the group fewer; the last one closes the group, which
 * empties the container: the kernel drops every mapping. */
void vfio_container_put_group(struct vfio_container *c);

/* The group's fd (VFIO_GROUP_GET_DEVICE_FD), -1 without a group. */
int vfio_container_group_fd(const struct vfio_container *c);

/* The IOMMU's limits, valid while a group is in (c) (else NULL). The lead
 * announces the holes between ranges as reserved regions in PROBE. */
const struct vfio_iommu_limits *
vfio_container_limits(const struct vfio_container *c);

/*
 * Writes the parts of [start, last] outside the usable IOVA ranges into
 * (out) (at most (max)), sorted. Returns how many, -E2BIG when more than
 * (max), -ENODEV without a group.
 */
int vfio_container_holes(const struct vfio_container *c, uint64_t start,
			 uint64_t last, struct vfio_range *out,
			 unsigned int max);

/*
 * No virtio-iommu: maps all of guest RAM, identity (IOVA = GPA), readable
 * and writable, one MAP_DMA per region. 0 or -errno, with nothing mapped
 * on error (-EINVAL when RAM overlaps a reserved IOVA range, which is
 * logged). VMM thread, after a group joined.
 */
int vfio_container_map_ram(struct vfio_container *c);

/* Copies the counters into (out). Any thread. */
void vfio_container_get_stats(const struct vfio_container *c,
			      struct vfio_container_stats *out);

/* The counters themselves, for the VMM's metrics registry. */
struct vfio_container_metrics *vfio_container_metrics(struct vfio_container *c);

/*
 * The container as an endpoint's DMA backend (ctx: the container), as
 * dma_backend.h asks: map: -EFAULT when the guest range is not RAM (or
 * DMA_BACKEND_F_MMIO: device memory is not mapped), -ENOSPC when type1's
 * dma_entry_limit is reached, -ENOMEM past RLIMIT_MEMLOCK, -EINVAL for
 * an IOVA outside the usable ranges, a size or address not aligned to
 * the granule or no permission, -ENODEV without a group. unmap: the
 * kernel must answer exactly (size) unmapped: -ENOENT when it unmapped
 * nothing, -EIO for another size. The iommu thread, one call at a time.
 */
extern const struct dma_backend_ops vfio_container_dma_ops;

#endif
