/* SPDX-License-Identifier: Apache-2.0 */
/* devices/iommu/viommu_proto.h: virtio-iommu wire format (5.13). */
#ifndef IGNIS_VIOMMU_PROTO_H
#define IGNIS_VIOMMU_PROTO_H

#include <stdint.h>

/*
 * Everything the guest reads or writes, as the spec lays it out: fields
 * are little-endian in guest memory (the device is modern-only), and
 * every struct is checked against the spec's size so that a padding
 * surprise cannot shift a field.
 */

#define VIOMMU_DEVICE_ID	23	/* 5.13.1 */
#define VIOMMU_QUEUE_REQUEST	0	/* requestq (5.13.2) */
#define VIOMMU_QUEUE_EVENT	1	/* eventq (5.13.2) */

/* Feature bits (5.13.3). */
#define VIRTIO_IOMMU_F_INPUT_RANGE	0	/* input_range is valid */
#define VIRTIO_IOMMU_F_DOMAIN_RANGE	1	/* domain_range is valid */
#define VIRTIO_IOMMU_F_MAP_UNMAP	2	/* MAP and UNMAP requests */
#define VIRTIO_IOMMU_F_BYPASS		3	/* legacy; never offered */
#define VIRTIO_IOMMU_F_PROBE		4	/* PROBE request */
#define VIRTIO_IOMMU_F_MMIO		5	/* VIRTIO_IOMMU_MAP_F_MMIO */
#define VIRTIO_IOMMU_F_BYPASS_CONFIG	6	/* bypass field, ATTACH_F_BYPASS */

/* Request types (5.13.6). */
#define VIRTIO_IOMMU_T_ATTACH	1
#define VIRTIO_IOMMU_T_DETACH	2
#define VIRTIO_IOMMU_T_MAP	3
#define VIRTIO_IOMMU_T_UNMAP	4
#define VIRTIO_IOMMU_T_PROBE	5

/* Status codes (5.13.6). */
#define VIRTIO_IOMMU_S_OK	0	/* all good */
#define VIRTIO_IOMMU_S_IOERR	1	/* virtio communication error */
#define VIRTIO_IOMMU_S_UNSUPP	2	/* unsupported request */
#define VIRTIO_IOMMU_S_DEVERR	3	/* internal device error */
#define VIRTIO_IOMMU_S_INVAL	4	/* invalid parameters */
#define VIRTIO_IOMMU_S_RANGE	5	/* out-of-range parameters */
#define VIRTIO_IOMMU_S_NOENT	6	/* entry not found */
#define VIRTIO_IOMMU_S_FAULT	7	/* bad address */
#define VIRTIO_IOMMU_S_NOMEM	8	/* insufficient resources */

#define VIRTIO_IOMMU_ATTACH_F_BYPASS	(1u << 0)	/* 5.13.6.3, 1.3 */

#define VIRTIO_IOMMU_MAP_F_READ		(1u << 0)	/* 5.13.6.5 */
#define VIRTIO_IOMMU_MAP_F_WRITE	(1u << 1)
#define VIRTIO_IOMMU_MAP_F_MMIO		(1u << 2)

/* PROBE properties (5.13.6.8). Type 0 ends the list. */
#define VIRTIO_IOMMU_PROBE_T_NONE	0
#define VIRTIO_IOMMU_PROBE_T_RESV_MEM	1
#define VIRTIO_IOMMU_PROBE_T_MASK	0xfffu	/* low 12 bits: type */

#define VIRTIO_IOMMU_RESV_MEM_T_RESERVED	0	/* 5.13.6.8.1 */
#define VIRTIO_IOMMU_RESV_MEM_T_MSI		1

/* Fault reports on the event queue (5.13.6.9). */
#define VIRTIO_IOMMU_FAULT_R_UNKNOWN	0
#define VIRTIO_IOMMU_FAULT_R_DOMAIN	1
#define VIRTIO_IOMMU_FAULT_R_MAPPING	2
#define VIRTIO_IOMMU_FAULT_F_READ	(1u << 0)
#define VIRTIO_IOMMU_FAULT_F_WRITE	(1u << 1)
#define VIRTIO_IOMMU_FAULT_F_ADDRESS	(1u << 8)

/* Device configuration (5.13.4). */
struct virtio_iommu_config {
	uint64_t page_size_mask;	/* bit n: 2^n-byte pages mappable */
	uint64_t input_start;		/* input_range.start */
	uint64_t input_end;		/* input_range.end (inclusive) */
	uint32_t domain_start;		/* domain_range.start */
	uint32_t domain_end;		/* domain_range.end (inclusive) */
	uint32_t probe_size;		/* bytes of PROBE properties */
	uint8_t bypass;			/* 1.3: unattached endpoints bypass */
	uint8_t reserved[3];		/* zero */
};
_Static_assert(sizeof(struct virtio_iommu_config) == 40, "config is 40 B");

/* First in every request (device-readable). */
struct virtio_iommu_req_head {
	uint8_t type;			/* VIRTIO_IOMMU_T_* */
	uint8_t reserved[3];		/* ignored by the device (MUST) */
};
_Static_assert(sizeof(struct virtio_iommu_req_head) == 4, "head is 4 B");

/* Last in every request (device-writable). */
struct virtio_iommu_req_tail {
	uint8_t status;			/* VIRTIO_IOMMU_S_* */
	uint8_t reserved[3];		/* zero */
};
_Static_assert(sizeof(struct virtio_iommu_req_tail) == 4, "tail is 4 B");

struct virtio_iommu_req_attach {
	struct virtio_iommu_req_head head;
	uint32_t domain;		/* created if it does not exist */
	uint32_t endpoint;		/* platform-defined id */
	uint32_t flags;			/* VIRTIO_IOMMU_ATTACH_F_* (1.3) */
	uint8_t reserved[4];		/* must be zero: else INVAL */
	struct virtio_iommu_req_tail tail;
};
_Static_assert(sizeof(struct virtio_iommu_req_attach) == 24, "attach 24 B");

struct virtio_iommu_req_detach {
	struct virtio_iommu_req_head head;
	uint32_t domain;		/* the endpoint's domain */
	uint32_t endpoint;
	uint8_t reserved[8];		/* ignored (MUST) */
	struct virtio_iommu_req_tail tail;
};
_Static_assert(sizeof(struct virtio_iommu_req_detach) == 24, "detach 24 B");

struct virtio_iommu_req_map {
	struct virtio_iommu_req_head head;
	uint32_t domain;
	uint64_t virt_start;		/* first IOVA */
	uint64_t virt_end;		/* last IOVA (inclusive) */
	uint64_t phys_start;		/* where virt_start goes (GPA) */
	uint32_t flags;			/* VIRTIO_IOMMU_MAP_F_* */
	struct virtio_iommu_req_tail tail;
};
_Static_assert(sizeof(struct virtio_iommu_req_map) == 40, "map 40 B");

struct virtio_iommu_req_unmap {
	struct virtio_iommu_req_head head;
	uint32_t domain;
	uint64_t virt_start;		/* first IOVA of the range */
	uint64_t virt_end;		/* last IOVA (inclusive) */
	uint8_t reserved[4];		/* non-zero: INVAL (we choose) */
	struct virtio_iommu_req_tail tail;
};
_Static_assert(sizeof(struct virtio_iommu_req_unmap) == 32, "unmap 32 B");

/* The device-readable part of PROBE; probe_size bytes of properties and
 * the tail follow in the device-writable part. */
struct virtio_iommu_req_probe {
	struct virtio_iommu_req_head head;
	uint32_t endpoint;
	uint8_t reserved[64];		/* ignored (MUST) */
};
_Static_assert(sizeof(struct virtio_iommu_req_probe) == 72, "probe 72 B");

struct virtio_iommu_probe_property {
	uint16_t type;			/* low 12 bits type, 4 reserved */
	uint16_t length;		/* bytes after this header */
};
_Static_assert(sizeof(struct virtio_iommu_probe_property) == 4, "prop 4 B");

struct virtio_iommu_probe_resv_mem {
	struct virtio_iommu_probe_property head;	/* T_RESV_MEM, 20 */
	uint8_t subtype;		/* VIRTIO_IOMMU_RESV_MEM_T_* */
	uint8_t reserved[3];		/* zero */
	uint64_t start;			/* first reserved IOVA */
	uint64_t end;			/* last reserved IOVA (inclusive) */
};
_Static_assert(sizeof(struct virtio_iommu_probe_resv_mem) == 24, "resv 24 B");

struct virtio_iommu_fault {
	uint8_t reason;			/* VIRTIO_IOMMU_FAULT_R_* */
	uint8_t reserved[3];		/* zero */
	uint32_t flags;			/* VIRTIO_IOMMU_FAULT_F_* */
	uint32_t endpoint;		/* who faulted */
	uint32_t reserved1;		/* zero */
	uint64_t address;		/* with FAULT_F_ADDRESS */
};
_Static_assert(sizeof(struct virtio_iommu_fault) == 24, "fault 24 B");

#endif
