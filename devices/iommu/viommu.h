/* SPDX-License-Identifier: Apache-2.0 */
/* devices/iommu/viommu.h: the virtio-iommu device (virtio 1.2, 5.13). */
#ifndef IGNIS_VIOMMU_H
#define IGNIS_VIOMMU_H

#include "devices/iommu/viommu_core.h"
#include "devices/virtio/device.h"
#include "vmm/gmem.h"

/*
 * Creates a virtio-iommu over guest RAM (mem) serving the endpoints and
 * regions of (cfg) (see viommu_create()), whose QueueNotify for requestq
 * and eventq arrives on eventfds (kick_fds)[0..1] (not owned). Requests
 * are answered on the device's worker thread ("virtio-iommu") from
 * DRIVER_OK to reset, with adaptive polling as virtio-blk's, its window
 * bounded by (poll_ns) (0: the worker sleeps at once and only kicks wake
 * it). Returns 0 or -errno. Main thread.
 */
int viommu_dev_create(const struct gmem *mem, const int *kick_fds,
		      const struct viommu_config *cfg, uint64_t poll_ns,
		      struct vdev **out);

/*
 * How the emulated device that is endpoint (endpoint) of iommu (d)
 * reaches guest memory once it negotiated VIRTIO_F_ACCESS_PLATFORM (see
 * viommu_dma.h); NULL for an unknown endpoint. Lives as long as (d).
 * (device_fd) wakes that device's thread (viommu_dma_view()).
 */
const struct vq_dma *viommu_dev_dma(struct vdev *d, uint32_t endpoint,
				    int device_fd);

/* Stops the worker if it runs and frees (d). Accepts NULL. After
 * vmmio_destroy() of its transport. */
void viommu_dev_destroy(struct vdev *d);

#endif
