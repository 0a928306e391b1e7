/* SPDX-License-Identifier: Apache-2.0 */
/* tests/guest/iommu_dma/viommu.h: a polling virtio-iommu driver (5.13). */
#ifndef IGNIS_GUEST_VIOMMU_H
#define IGNIS_GUEST_VIOMMU_H

#include <stdint.h>

#include "vio.h"

/*
 * Written from the virtio 1.2 text alone (5.13, 2.7, 4.2), as a second
 * reading of the spec beside ignis's device: nothing here comes from
 * devices/iommu or tests/guest/virtio_iommu.
 * Hence its own layouts, not the other guests' lib/viommu_wire.h.
 */

#define VIOMMU_DEVICE_ID	23

/* Feature bits (5.13.3). */
#define VIOMMU_F_INPUT_RANGE	(1ULL << 0)
#define VIOMMU_F_DOMAIN_RANGE	(1ULL << 1)
#define VIOMMU_F_MAP_UNMAP	(1ULL << 2)
#define VIOMMU_F_BYPASS		(1ULL << 3)
#define VIOMMU_F_PROBE		(1ULL << 4)
#define VIOMMU_F_MMIO		(1ULL << 5)
#define VIOMMU_F_BYPASS_CONFIG	(1ULL << 6)

/* MAP flags (5.13.6.5). */
#define VIOMMU_MAP_F_READ	(1u << 0)
#define VIOMMU_MAP_F_WRITE	(1u << 1)

/* RESV_MEM subtypes (5.13.6.8.1). */
#define VIOMMU_RESV_T_RESERVED	0
#define VIOMMU_RESV_T_MSI	1

/* Fault reasons and flags (5.13.6.9). */
#define VIOMMU_FAULT_R_UNKNOWN	0
#define VIOMMU_FAULT_R_DOMAIN	1
#define VIOMMU_FAULT_R_MAPPING	2
#define VIOMMU_FAULT_F_READ	(1u << 0)
#define VIOMMU_FAULT_F_WRITE	(1u << 1)
#define VIOMMU_FAULT_F_ADDRESS	(1u << 8)

/* Event buffers kept posted on the eventq. */
#define VIOMMU_NR_EVENTS	4
/* Bytes per event buffer: room for a longer fault format than today's. */
#define VIOMMU_EVENT_LEN	64

/* One RESV_MEM property of an endpoint (inclusive range). */
struct viommu_resv {
	uint64_t start;		/* first reserved IOVA */
	uint64_t end;		/* last reserved IOVA */
	uint8_t subtype;	/* VIOMMU_RESV_T_* */
};

/* struct virtio_iommu_fault (5.13.6.9), as the device writes it. */
struct viommu_fault {
	uint8_t reason;		/* VIOMMU_FAULT_R_* */
	uint8_t reserved[3];	/* zero, or the report is to be ignored */
	uint32_t flags;		/* VIOMMU_FAULT_F_* */
	uint32_t endpoint;	/* who faulted */
	uint32_t reserved1;	/* ignored */
	uint64_t address;	/* valid with VIOMMU_FAULT_F_ADDRESS */
};
_Static_assert(sizeof(struct viommu_fault) == 24, "virtio_iommu_fault");

/* The device, its two queues and its configuration. */
struct viommu {
	struct vio_dev dev;		/* transport; name prefixes lines */
	struct vio_queue req;		/* requestq (0) */
	struct vio_queue evt;		/* eventq (1) */
	uint64_t page_size_mask;	/* config: supported page sizes */
	uint64_t input_start;		/* config: first IOVA (or 0) */
	uint64_t input_end;		/* config: last IOVA (or ~0) */
	uint32_t domain_start;		/* config: first domain (or 0) */
	uint32_t domain_end;		/* config: last domain id (or ~0) */
	uint32_t probe_size;		/* config: PROBE properties bytes */
	uint8_t bypass;			/* config: bypass at init */
	uint64_t kicks;			/* requestq notifications sent */
	uint64_t kicks_saved;		/* ... and skipped (NO_NOTIFY) */
};

/*
 * Sets the device at (base) up: features (MAP_UNMAP, PROBE and
 * BYPASS_CONFIG required, the ranges taken if offered), configuration,
 * both queues, DRIVER_OK, then VIOMMU_NR_EVENTS buffers on the eventq.
 * 0, or -1 after printing why.
 */
int viommu_init(struct viommu *v, uint64_t base, const char *name);

/*
 * PROBE (endpoint): stores up to (max) RESV_MEM properties in (out) and
 * returns how many there were (all of them, even past max), or -1 after
 * printing why.
 */
int viommu_probe(struct viommu *v, uint32_t endpoint, struct viommu_resv *out,
		 unsigned int max);

/* ATTACH (endpoint) to (domain), not a bypass domain. 0 or -1. */
int viommu_attach(struct viommu *v, uint32_t domain, uint32_t endpoint);

/* MAP [iova, iova + size) to (gpa) in (domain) with VIOMMU_MAP_F_*
 * (flags). 0 or -1 after printing the status. */
int viommu_map(struct viommu *v, uint32_t domain, uint64_t iova, uint64_t gpa,
	       uint64_t size, uint32_t flags);

/* UNMAP [iova, iova + size) in (domain). 0 or -1. */
int viommu_unmap(struct viommu *v, uint32_t domain, uint64_t iova,
		 uint64_t size);

/*
 * MAP or UNMAP, quietly, for the timing loop: the device's status
 * (VIRTIO_IOMMU_S_*, 0 is OK), or -1 if the request came back unwritten
 * or not at all. No interrupt acknowledge: the driver polls.
 */
int viommu_map_quiet(struct viommu *v, uint32_t domain, uint64_t iova,
		     uint64_t gpa, uint64_t size, uint32_t flags);
int viommu_unmap_quiet(struct viommu *v, uint32_t domain, uint64_t iova,
		       uint64_t size);

/*
 * Waits up to (tsc) ticks for the next event on the eventq and copies it
 * to (*f), then gives its buffer back to the device. 1 with an event, 0
 * when none came, -1 for a malformed one (printed, buffer given back).
 */
int viommu_next_event(struct viommu *v, uint64_t tsc, struct viommu_fault *f);

/*
 * Makes the chain just added to (q) known to (d), unless the device said
 * in the used ring that it needs no notification (2.7.10, no EVENT_IDX).
 * Adds 1 to (*sent) or (*saved), either may be NULL.
 */
void viommu_kick(const struct vio_dev *d, struct vio_queue *q, uint64_t *sent,
		 uint64_t *saved);

/* 64-bit configuration field at (off), read under the generation
 * counter (2.5.1: 64-bit fields are not read atomically). */
uint64_t viommu_config64(const struct vio_dev *d, uint32_t off);

#endif
