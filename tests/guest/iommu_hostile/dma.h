/* SPDX-License-Identifier: Apache-2.0 */
/* tests/guest/iommu_hostile/dma.h: what dma.c and evt.c share. */
#ifndef IGNIS_GUEST_IOMMU_HOSTILE_DMA_H
#define IGNIS_GUEST_IOMMU_HOSTILE_DMA_H

#include "ih.h"

#define DOM 50 /* these checks' domain */
#define RNG_QSIZE 16
#define F_ACCESS_PLATFORM (1ULL << 33) /* 6.1 */
#define EVT_TSC 3000000000ULL /* ~1 s: a report that never came */
#define QUIET_TSC 300000000ULL /* ~0.1 s of nothing */
#define HIGH_IOVA 0x8000000000ULL /* 512 GiB: outside RAM */
#define RAM_END 0x4000000ULL /* --memory 64M */

extern struct vio_dev rng; /* slot 0, endpoint 0 */
extern struct vio_queue rng_q; /* its requestq while up */
extern uint8_t buf[2 * PAGE]; /* RAM the rng may be let at */
extern uint8_t buf2[PAGE];

/* One rng request: (len) writable bytes at bus address (addr). 0 with
 * the used length in (*used), or -1 after fail(). */
int rng_read(uint64_t addr, uint32_t len, uint32_t *used);
/*
 * What every DMA check starts from: a fresh iommu (posting (nr_evt)
 * eventq buffers) with endpoint 0 unattached and bypassing, the rng up
 * with ACCESS_PLATFORM, then endpoint 0 in DOM, empty, and (buf, buf2)
 * cleared. 0 or -1 after fail().
 */
int start(unsigned int nr_evt);
/* start() with the iommu's features (features) instead of F_ALL. */
int start_with(uint64_t features, unsigned int nr_evt);
/* The next report must be (reason) for a write at (addr) by endpoint 0,
 * whole, its reserved fields zero; fails the check otherwise. */
void expect_fault(uint8_t reason, uint64_t addr);
/* No report comes within ~0.1 s. */
void expect_no_fault(void);
/* start(), then the MAP (m): 0 or -1 after fail(). */
int start_mapped(const struct viommu_req_map *m);
/* DETACHes endpoint 0 (attached to DOM) and proves the rng works 1:1. */
void rng_still_works(void);
/* rng_still_works() after a check that took endpoint 0 out of DOM:
 * attaches it to a fresh DOM first, for the DETACH; nothing if the check
 * failed already. */
void rng_still_works_reattached(void);
/* A DMA at (addr, len) that must not happen: used 0, buf and buf2
 * untouched, one report of (reason) at (at) (denied(): at addr). */
void denied_at(uint64_t addr, uint32_t len, uint8_t reason, uint64_t at);
void denied(uint64_t addr, uint32_t len, uint8_t reason);

#endif
