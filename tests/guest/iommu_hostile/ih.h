/* SPDX-License-Identifier: Apache-2.0 */
/* tests/guest/iommu_hostile/ih.h: the hostile virtio-iommu guest's parts. */
#ifndef IGNIS_GUEST_IOMMU_HOSTILE_H
#define IGNIS_GUEST_IOMMU_HOSTILE_H

#include <stdint.h>

#include "rt.h"
#include "vio.h"

/*
 * A guest that sends the virtio-iommu (virtio 1.2/1.3, 5.13) every
 * request a driver must not send, one check at a time, booted with
 * --rng --iommu: the rng in slot 0 is endpoint 0, the iommu is slot 1.
 * Each check asserts the exact status (and used length) ignis answers,
 * its choices where the spec leaves one open being those of
 * devices/iommu/viommu_req.c and viommu_ops.c, then proves the device
 * still answers a good request (a PROBE of endpoint 0). A check that
 * breaks a queue on purpose (ring.c, an eventq buffer in dma.c) proves
 * instead that the device says DEVICE_NEEDS_RESET and works again after
 * a reset. dma.c drives the rng behind the iommu (ACCESS_PLATFORM) into
 * places its mappings forbid; flood.c maps up to the per-domain limit.
 * One line per check: "iommu_hostile: NAME ok" or "iommu_hostile: NAME
 * FAILED WHY [0xV]"; the guest runs with --memory 64M.
 */

#define IH_SLOT 1 /* the iommu's virtio-mmio slot */
#define IH_ID_IOMMU 23 /* virtio device id (5.13.1) */
#define IH_QSIZE 256 /* requestq entries: the device's maximum */
#define IH_EQSIZE 8 /* eventq entries */

/* Feature bits (5.13.3). */
#define F_INPUT_RANGE (1ULL << 0)
#define F_DOMAIN_RANGE (1ULL << 1)
#define F_MAP_UNMAP (1ULL << 2)
#define F_PROBE (1ULL << 4)
#define F_MMIO (1ULL << 5)
#define F_BYPASS_CONFIG (1ULL << 6)
/* What a good driver takes of what ignis offers. */
#define F_ALL                                                     \
	(F_INPUT_RANGE | F_DOMAIN_RANGE | F_MAP_UNMAP | F_PROBE | \
	 F_BYPASS_CONFIG | VIO_F_INDIRECT_DESC)

/* Request types (5.13.6). */
#define T_ATTACH 1
#define T_DETACH 2
#define T_MAP 3
#define T_UNMAP 4
#define T_PROBE 5

/* Statuses (5.13.6). */
#define S_OK 0
#define S_IOERR 1
#define S_UNSUPP 2
#define S_DEVERR 3
#define S_INVAL 4
#define S_RANGE 5
#define S_NOENT 6
#define S_FAULT 7
#define S_NOMEM 8
#define S_NONE 0xff /* what a tail holds before the answer */

#define ATTACH_F_BYPASS 1u /* 5.13.6.3 (1.3) */
#define MAP_F_READ 1u /* 5.13.6.5 */
#define MAP_F_WRITE 2u
#define MAP_F_MMIO 4u
#define MAP_F_RW (MAP_F_READ | MAP_F_WRITE)

#define EP 0 /* the rng's endpoint id */
#define PARK 0xfffffff0u /* fresh_domain()'s way station */
#define PROBE_SIZE 512 /* ignis's probe_size (vmm/builder.c) */
#define PAGE 4096ULL /* the granule: page_size_mask ~0xfff */
#define IOVA 0x100000000ULL /* above the 4 GiB reserved hole */
#define MSI_START 0xfee00000ULL /* x86's MSI window, reserved */
#define MSI_END 0xfeefffffULL
#define HOLE_START 0xc0000000ULL /* the MMIO hole, reserved too */

/*
 * The device-readable parts of the requests (5.13.6), little-endian as
 * x86 is; the 4-byte tail goes in writable descriptors. Our own copy of
 * the spec's layout (as tests/guest/virtio_iommu/iommu.h), not the
 * VMM's: the guest tests the device against the spec.
 */
struct req_attach { /* ATTACH and DETACH */
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

#define EVT_LEN 24 /* struct virtio_iommu_fault */

extern struct vio_dev ih_dev; /* the iommu */
extern struct vio_queue ih_eq; /* its eventq while up */
extern struct vio_ring ih_eq_ring; /* eventq's rings */
extern uint8_t ih_events[IH_EQSIZE][EVT_LEN]; /* eventq's buffers */
extern struct vio_queue ih_rq; /* its requestq while up */
extern struct vio_ring ih_rq_ring; /* requestq's rings */
extern uint64_t ih_pa; /* a page of RAM to map to */

static inline void ih_fence(void)
{
	__asm__ volatile("mfence" ::: "memory");
}

/* The check running now fails with (what) [and (v)]; the first failure
 * is the one printed. */
void fail(const char *what);
void fail_hex(const char *what, uint64_t v);
int failed(void);

/*
 * Reset, then 3.1.1 with (features) & offered | VERSION_1, requestq of
 * (qsize) entries, eventq with IH_EQSIZE fault buffers, DRIVER_OK.
 * 0 or -1 (quiet).
 */
int ih_up(uint64_t features, uint16_t qsize);
/* ih_up() posting only (nr_evt) eventq buffers, ih_events[0..]. */
int ih_up_eq(uint64_t features, uint16_t qsize, unsigned int nr_evt);

/*
 * Waits up to (tsc) ticks for the next fault report on the eventq: 0
 * with its bytes in (ev) and the used length in (*len), its buffer
 * posted again; -1 if none came (or a bad id, after fail()).
 */
int ih_event(uint8_t *ev, uint32_t *len, uint64_t tsc);

/*
 * Sends the chain of (n) buffers (vio_add() at head 0) and waits for its
 * used entry: 0 with the used length in (*used), or -1 after fail()
 * (timeout or another id: the queue is then unusable until ih_up()).
 */
int ih_chain(const struct vio_buf *b, unsigned int n, uint32_t *used);

/*
 * (rdlen) readable bytes at (rd) and a 4-byte tail preset to S_NONE and
 * reserved 0xff: the answer must be status (want), used length 4 and the
 * tail's reserved bytes zeroed (5.13.6.2 SHOULD). 0, or -1 after fail().
 */
int expect(const void *rd, uint32_t rdlen, uint8_t want);
/* expect(), failing the check with (what) instead of a status report:
 * a step that sets up what the check needs. */
int must(const void *rd, uint32_t rdlen, uint8_t want, const char *what);

/* Request builders. */
struct req_attach attach_req(uint32_t domain, uint32_t endpoint);
struct req_attach detach_req(uint32_t domain, uint32_t endpoint);
/* [iova, iova + len) -> pa, read-write, in (domain). */
struct req_map map_req(uint32_t domain, uint64_t iova, uint64_t len,
		       uint64_t pa);
struct req_unmap unmap_req(uint32_t domain, uint64_t iova, uint64_t len);
struct req_probe probe_req(uint32_t endpoint);

/* Moves endpoint 0 to (domain), a new empty one (not PARK): the domain
 * it left dies with its mappings (5.13.6.4). 0 or -1 after fail(). */
int fresh_domain(uint32_t domain);

/*
 * PROBE of endpoint 0 into (n) writable buffers of (lens) bytes carved
 * one after the other from a probe buffer preset to 0xa5; returns the
 * buffer and the used length in (*used), NULL after fail().
 */
uint8_t *probe_into(const struct req_probe *r, uint32_t rdlen,
		    const uint32_t *lens, unsigned int n, uint32_t *used);
/* Whether properties (p) hold ignis's x86 list (three RESV_MEM, then
 * zeros up to PROBE_SIZE): NULL or what is wrong. */
const char *probe_list_bad(const uint8_t *p);

/* One check: its name, its body, and whether it breaks the queue on
 * purpose (then the runner expects DEVICE_NEEDS_RESET and re-inits). */
struct ih_check {
	const char *name;
	void (*fn)(void);
	int breaks;
};

/* Runs (n) checks; each prints its line. */
void ih_run(const struct ih_check *c, unsigned int n);

/* The check lists, by file. */
void short_checks(void); /* short.c: short buffers, lengths, types */
void param_checks(void); /* param.c: reserved, flags, ranges, ids */
void feature_checks(void); /* param.c: features not negotiated */
void ring_checks(void); /* ring.c: requestq abuse */
void dma_checks(void); /* dma.c: the rng's DMA, faults */
void evt_checks(void); /* evt.c: hostile eventq buffers */
void flood_checks(void); /* flood.c: a million MAPs */

#endif
