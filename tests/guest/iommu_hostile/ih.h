/* SPDX-License-Identifier: Apache-2.0 */
/* tests/guest/iommu_hostile/ih.h: the hostile virtio-iommu guest's parts. */
#ifndef IGNIS_GUEST_IOMMU_HOSTILE_H
#define IGNIS_GUEST_IOMMU_HOSTILE_H

#include <stdint.h>

#include "check.h"
#include "rt.h"
#include "vio.h"
#include "viommu_wire.h"

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
#define IH_QSIZE 256 /* requestq entries: the device's maximum */
#define IH_EQSIZE 8 /* eventq entries */

/* What a good driver takes of what ignis offers. */
#define F_ALL                                                                \
	(VIOMMU_F_INPUT_RANGE | VIOMMU_F_DOMAIN_RANGE | VIOMMU_F_MAP_UNMAP | \
	 VIOMMU_F_PROBE | VIOMMU_F_BYPASS_CONFIG | VIO_F_INDIRECT_DESC)
#define MAP_F_RW (VIOMMU_MAP_F_READ | VIOMMU_MAP_F_WRITE)
#define S_NONE 0xff /* what a tail holds before the answer */

#define EP 0 /* the rng's endpoint id */
#define PARK 0xfffffff0u /* fresh_domain()'s way station */
#define PROBE_SIZE 512 /* ignis's probe_size (vmm/builder.c) */
#define PAGE 4096ULL /* the granule: page_size_mask ~0xfff */
#define IOVA 0x100000000ULL /* above the 4 GiB reserved hole */
#define MSI_START 0xfee00000ULL /* x86's MSI window, reserved */
#define MSI_END 0xfeefffffULL
#define HOLE_START 0xc0000000ULL /* the MMIO hole, reserved too */

extern struct vio_dev ih_dev; /* the iommu */
extern struct vio_queue ih_eq; /* its eventq while up */
extern struct vio_ring ih_eq_ring; /* eventq's rings */
extern uint8_t ih_events[IH_EQSIZE][VIOMMU_FAULT_LEN]; /* eventq's buffers */
extern struct vio_queue ih_rq; /* its requestq while up */
extern struct vio_ring ih_rq_ring; /* requestq's rings */
extern uint64_t ih_pa; /* a page of RAM to map to */

static inline void ih_fence(void)
{
	__asm__ volatile("mfence" ::: "memory");
}

/* Whether (n) bytes at (p) all hold (v). */
static inline int all_are(const uint8_t *p, uint32_t n, uint8_t v)
{
	for (uint32_t i = 0; i < n; i++) {
		if (p[i] != v)
			return 0;
	}
	return 1;
}

/* Little-endian fields at (p), which may be unaligned. */
static inline uint64_t get64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline uint32_t get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/*
 * Reset, then 3.1.1 with (features) & offered | VERSION_1, requestq of
 * (qsize) entries, eventq with IH_EQSIZE fault buffers, DRIVER_OK.
 * 0 or -1 (quiet).
 */
int ih_up(uint64_t features, uint16_t qsize);
/* ih_up() posting only (nr_evt) eventq buffers, ih_events[0..]. */
int ih_up_eq(uint64_t features, uint16_t qsize, unsigned int nr_evt);
/* ih_up() of IH_QSIZE entries with (features) in the middle of a check:
 * 0, or -1 after failing it with (what). */
int ih_reinit(uint64_t features, const char *what);

/* Writes the bypass byte of the configuration space, byte-wide as
 * 4.2.2.2 wants for an 8-bit field; the device applies it later. */
void ih_bypass_write(uint8_t v);
/* The bypass byte as the device shows it now. */
uint8_t ih_bypass_read(void);

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
struct viommu_req_attach attach_req(uint32_t domain, uint32_t endpoint);
struct viommu_req_attach detach_req(uint32_t domain, uint32_t endpoint);
/* [iova, iova + len) -> pa, read-write, in (domain). */
struct viommu_req_map map_req(uint32_t domain, uint64_t iova, uint64_t len,
			      uint64_t pa);
struct viommu_req_unmap unmap_req(uint32_t domain, uint64_t iova, uint64_t len);
struct viommu_req_probe probe_req(uint32_t endpoint);

/* Moves endpoint 0 to (domain), a new empty one (not PARK): the domain
 * it left dies with its mappings (5.13.6.4). 0 or -1 after fail(). */
int fresh_domain(uint32_t domain);

/*
 * PROBE of endpoint 0 into (n) writable buffers of (lens) bytes carved
 * one after the other from a probe buffer preset to 0xa5; returns the
 * buffer and the used length in (*used), NULL after fail().
 */
uint8_t *probe_into(const struct viommu_req_probe *r, uint32_t rdlen,
		    const uint32_t *lens, unsigned int n, uint32_t *used);
/* Whether properties (p) hold ignis's x86 list (three RESV_MEM, then
 * zeros up to PROBE_SIZE): NULL or what is wrong. */
const char *probe_list_bad(const uint8_t *p);
/* A PROBE's answer (p, used) from probe_into(): OK after PROBE_SIZE
 * bytes of ignis's list, used length PROBE_SIZE + 4; fails the check
 * with (what) and the status, or with what is wrong in the list. */
void expect_probe_list(const uint8_t *p, uint32_t used, const char *what);

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
