/* SPDX-License-Identifier: Apache-2.0 */
/* tests/guest/lib/viommu_wire.h: the virtio-iommu's wire format (5.13). */
#ifndef IGNIS_GUEST_VIOMMU_WIRE_H
#define IGNIS_GUEST_VIOMMU_WIRE_H

#include <stdint.h>

/*
 * What virtio 1.2/1.3 section 5.13 says a driver and the device exchange:
 * ids, feature bits, configuration offsets, requests, statuses, property
 * and fault layouts; nothing about how a guest drives the device. The
 * test guests' own copy, written from the spec and not taken from the
 * VMM's headers, so that they test the device against the spec.
 * Little-endian, as x86 is. tests/guest/iommu_dma keeps a copy of its
 * own on purpose: it is an independent second reading of the spec.
 */

#define VIOMMU_DEVICE_ID	23	/* 5.13.1 */

/* Feature bits (5.13.3). */
#define VIOMMU_F_INPUT_RANGE	(1ULL << 0)
#define VIOMMU_F_DOMAIN_RANGE	(1ULL << 1)
#define VIOMMU_F_MAP_UNMAP	(1ULL << 2)
#define VIOMMU_F_BYPASS		(1ULL << 3)
#define VIOMMU_F_PROBE		(1ULL << 4)
#define VIOMMU_F_MMIO		(1ULL << 5)
#define VIOMMU_F_BYPASS_CONFIG	(1ULL << 6)

/* Offsets in struct virtio_iommu_config (5.13.4). */
#define VIOMMU_CFG_PAGE_SIZE_MASK	0	/* u64 */
#define VIOMMU_CFG_INPUT_START		8	/* u64 */
#define VIOMMU_CFG_INPUT_END		16	/* u64 */
#define VIOMMU_CFG_DOMAIN_START		24	/* u32 */
#define VIOMMU_CFG_DOMAIN_END		28	/* u32 */
#define VIOMMU_CFG_PROBE_SIZE		32	/* u32 */
#define VIOMMU_CFG_BYPASS		36	/* u8, then 7 reserved */

/* Request types (5.13.6). */
#define VIOMMU_T_ATTACH		1
#define VIOMMU_T_DETACH		2
#define VIOMMU_T_MAP		3
#define VIOMMU_T_UNMAP		4
#define VIOMMU_T_PROBE		5

/* Statuses (5.13.6). */
#define VIOMMU_S_OK		0
#define VIOMMU_S_IOERR		1
#define VIOMMU_S_UNSUPP		2
#define VIOMMU_S_DEVERR		3
#define VIOMMU_S_INVAL		4
#define VIOMMU_S_RANGE		5
#define VIOMMU_S_NOENT		6
#define VIOMMU_S_FAULT		7
#define VIOMMU_S_NOMEM		8

#define VIOMMU_ATTACH_F_BYPASS	(1u << 0)	/* 5.13.6.3 (1.3) */

/* MAP flags (5.13.6.5). */
#define VIOMMU_MAP_F_READ	(1u << 0)
#define VIOMMU_MAP_F_WRITE	(1u << 1)
#define VIOMMU_MAP_F_MMIO	(1u << 2)

/* PROBE properties (5.13.6.7, 5.13.6.8): a 4-byte header (type, length
 * of what follows), then the property. */
#define VIOMMU_PROBE_T_NONE	0
#define VIOMMU_PROBE_T_RESV_MEM	1
#define VIOMMU_RESV_MEM_LEN	20	/* RESV_MEM after its header */
#define VIOMMU_RESV_T_RESERVED	0	/* RESV_MEM subtypes */
#define VIOMMU_RESV_T_MSI	1

/* Fault reports on the eventq (5.13.6.9). */
#define VIOMMU_FAULT_LEN	24	/* struct virtio_iommu_fault */
#define VIOMMU_FAULT_R_UNKNOWN	0
#define VIOMMU_FAULT_R_DOMAIN	1
#define VIOMMU_FAULT_R_MAPPING	2
#define VIOMMU_FAULT_F_READ	(1u << 0)
#define VIOMMU_FAULT_F_WRITE	(1u << 1)
#define VIOMMU_FAULT_F_ADDRESS	(1u << 8)

/*
 * The device-readable parts of the requests (5.13.6); the 4-byte tail
 * (struct viommu_req_tail) goes in writable descriptors after them, and
 * PROBE's properties before its tail.
 */
struct viommu_req_attach {	/* ATTACH and DETACH */
	uint8_t type, reserved[3];
	uint32_t domain, endpoint, flags;
	uint8_t reserved2[4];
};

struct viommu_req_map {
	uint8_t type, reserved[3];
	uint32_t domain;
	uint64_t virt_start, virt_end, phys_start;
	uint32_t flags;
} __attribute__((packed));

struct viommu_req_unmap {
	uint8_t type, reserved[3];
	uint32_t domain;
	uint64_t virt_start, virt_end;
	uint8_t reserved2[4];
} __attribute__((packed));

struct viommu_req_probe {
	uint8_t type, reserved[3];
	uint32_t endpoint;
	uint8_t reserved2[64];
};

struct viommu_req_tail {
	uint8_t status, reserved[3];
};

_Static_assert(sizeof(struct viommu_req_attach) == 20, "attach less tail");
_Static_assert(sizeof(struct viommu_req_map) == 36, "map less tail");
_Static_assert(sizeof(struct viommu_req_unmap) == 28, "unmap less tail");
_Static_assert(sizeof(struct viommu_req_probe) == 72, "probe readable part");
_Static_assert(sizeof(struct viommu_req_tail) == 4, "tail");

#endif
