/* SPDX-License-Identifier: Apache-2.0 */
/* devices/iommu/dma_backend.h: the map/unmap contract of DMA backends. */
#ifndef IGNIS_DMA_BACKEND_H
#define IGNIS_DMA_BACKEND_H

#include <stdint.h>

#include "vmm/gmem.h"

/*
 * What the virtio-iommu asks of an endpoint whose DMA it does not
 * translate itself (a VFIO device: the host IOMMU does, once told), as
 * Cloud Hypervisor's ExternalDmaMapping: "make this IOVA range reach
 * this guest range", "forget it". Emulated devices have no backend; the
 * translation layer asks viommu_translate() instead.
 *
 * The iommu calls these on its own thread, one call at a time per
 * endpoint, and keeps the backend equal to what the endpoint may reach:
 *  - its domain's mappings while attached (replayed on ATTACH, then one
 *    call per MAP and per mapping an UNMAP removes);
 *  - guest RAM, identity-mapped, while the endpoint is in bypass mode
 *    (config bypass, or a bypass domain), so VFIO DMA works before the
 *    guest's driver is up;
 *  - nothing while unattached and not bypassing.
 * It never maps a range twice nor unmaps what it did not map, and a
 * range it unmaps is always exactly one it mapped: a backend may keep a
 * table keyed by iova, as VFIO's type1 does. When a call fails the
 * iommu undoes what it had done for the same request (rollback) and
 * answers the guest with an error status.
 */

#define DMA_BACKEND_F_READ	(1u << 0)	/* the endpoint may read */
#define DMA_BACKEND_F_WRITE	(1u << 1)	/* the endpoint may write */
#define DMA_BACKEND_F_MMIO	(1u << 2)	/* the target is device MMIO */

struct dma_backend_ops {
	/*
	 * Makes the endpoint's DMA to IOVAs [iova, iova + size) reach
	 * guest-physical [gpa, gpa + size) with (flags) DMA_BACKEND_F_*.
	 * (size) > 0, neither range wraps. 0, or -errno with nothing mapped:
	 * -EFAULT when (gpa) is not memory the backend can map (answered
	 * VIRTIO_IOMMU_S_FAULT), -ENOMEM/-ENOSPC when it ran out (S_NOMEM),
	 * anything else S_DEVERR.
	 */
	int (*map)(void *ctx, iova_t iova, gpa_t gpa, uint64_t size,
		   uint32_t flags);
	/*
	 * Removes the mapping made by map() at (iova) of (size) bytes.
	 * 0 or -errno (the mapping is then assumed to still be there).
	 */
	int (*unmap)(void *ctx, iova_t iova, uint64_t size);
};

#endif
