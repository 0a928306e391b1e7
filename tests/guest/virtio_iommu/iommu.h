/* SPDX-License-Identifier: Apache-2.0 */
/* tests/guest/virtio_iommu/iommu.h: what the checks and the timing share. */
#ifndef IGNIS_GUEST_IOMMU_H
#define IGNIS_GUEST_IOMMU_H

#include <stdint.h>

#include "vio.h"
#include "viommu_wire.h"

#define MAP_F_RW	(VIOMMU_MAP_F_READ | VIOMMU_MAP_F_WRITE)
#define S_NONE		0xff	/* what the tail holds before the answer */
#define DOMAIN		1	/* the one domain the guest uses */

extern struct vio_dev iommu_dev;	/* the device, once set up */
extern unsigned int iommu_kicks;	/* QueueNotify writes to requestq */

/*
 * Sends the (rdlen) device-readable bytes at (rd) and a 4-byte tail, and
 * waits for the answer. Returns the tail's status with the used length
 * in (*used) and, if (ticks), the TSC ticks from making the request
 * available to seeing its used entry; -1 when the device did not answer
 * (the request queue is then given up: later calls return -1 at once).
 */
int iommu_request(const void *rd, uint32_t rdlen, uint32_t *used,
		  uint64_t *ticks);

/* A MAP of [iova, iova + len) to (pa), read-write, in DOMAIN. */
struct viommu_req_map iommu_map_req(uint64_t iova, uint64_t len, uint64_t pa);

/* An UNMAP of [iova, iova + len) in DOMAIN. */
struct viommu_req_unmap iommu_unmap_req(uint64_t iova, uint64_t len);

/* "virtio_iommu: NAME ok", counted. */
void iommu_ok(const char *name);

/* "virtio_iommu: NAME FAILED WHY 0xV", counted. */
void iommu_failed(const char *name, const char *why, uint64_t v);

/*
 * The timing loop (timing.c): MAP/UNMAP pairs of one page at (pa), each
 * at a new IOVA, one request at a time; prints the loop's line, the
 * "timing" check and the MAP and UNMAP percentiles, with (bench) every
 * percentile too. DOMAIN must be attached.
 */
void iommu_timing(uint64_t pa, int bench);

/*
 * The yardstick (timing.c): reads of the iommu's Magic register, each
 * timed with the TSC: 1000, or 20000 with (bench). Prints the
 * "mmio_exit" check and the "mmio_exit" percentiles as iommu_timing()
 * does. After setup.
 */
void iommu_exit_baseline(int bench);

#endif
