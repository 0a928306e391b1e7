/* SPDX-License-Identifier: Apache-2.0 */
/* tests/guest/virtio_iommu/iommu.h: what the checks and the timing share. */
#ifndef IGNIS_GUEST_IOMMU_H
#define IGNIS_GUEST_IOMMU_H

#include <stdint.h>

#include "vio.h"

/* Request types (5.13.6). */
#define T_ATTACH	1
#define T_DETACH	2
#define T_MAP		3
#define T_UNMAP		4
#define T_PROBE		5

/* Statuses (5.13.6). */
#define S_OK		0
#define S_IOERR		1
#define S_INVAL		4
#define S_RANGE		5
#define S_NOENT		6
#define S_NONE		0xff	/* what the tail holds before the answer */

#define MAP_F_RW	3	/* VIRTIO_IOMMU_MAP_F_READ | _WRITE */
#define DOMAIN		1	/* the one domain the guest uses */

/*
 * The device-readable parts of the requests (5.13.6), little-endian as
 * x86 is; the 4-byte tail (struct tail) goes in its own writable
 * descriptor. Our own copy of the spec's layout, not the VMM's header:
 * the guest tests the device against the spec.
 */
struct req_attach {		/* ATTACH and DETACH */
	uint8_t type, reserved[3];
	uint32_t domain, endpoint, flags;
	uint8_t reserved2[4];
};

struct req_map {
	uint8_t type, reserved[3];
	uint32_t domain;
	uint64_t virt_start, virt_end, phys_start;
	uint32_t flags;
} __attribute__((packed));

struct req_unmap {
	uint8_t type, reserved[3];
	uint32_t domain;
	uint64_t virt_start, virt_end;
	uint8_t reserved2[4];
} __attribute__((packed));

struct req_probe {
	uint8_t type, reserved[3];
	uint32_t endpoint;
	uint8_t reserved2[64];
};

struct tail {
	uint8_t status, reserved[3];
};

_Static_assert(sizeof(struct req_attach) == 20, "attach: 24 B less tail");
_Static_assert(sizeof(struct req_map) == 36, "map: 40 B less tail");
_Static_assert(sizeof(struct req_unmap) == 28, "unmap: 32 B less tail");
_Static_assert(sizeof(struct req_probe) == 72, "probe readable part");

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
struct req_map iommu_map_req(uint64_t iova, uint64_t len, uint64_t pa);

/* An UNMAP of [iova, iova + len) in DOMAIN. */
struct req_unmap iommu_unmap_req(uint64_t iova, uint64_t len);

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
