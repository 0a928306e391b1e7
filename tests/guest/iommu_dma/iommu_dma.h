/* SPDX-License-Identifier: Apache-2.0 */
/* tests/guest/iommu_dma/iommu_dma.h: what the guest's files share. */
#ifndef IGNIS_GUEST_IOMMU_DMA_H
#define IGNIS_GUEST_IOMMU_DMA_H

#include <stdint.h>

#include "vio.h"
#include "viommu.h"

#define DMA_NAME	"iommu_dma"

/* ignis's contract: slot n is endpoint n; the iommu sits after both. */
#define SLOT_BLK	0
#define SLOT_RNG	1
#define SLOT_IOMMU	2
#define EP_BLK		0
#define EP_RNG		1
#define DOMAIN		1	/* one domain for both endpoints */

#define PAGE		4096ULL
#define DMA_CHUNK	(16 * 1024)	/* bytes a blk request reads */

/*
 * Bus addresses outside RAM (128 MiB at 0) and outside every reserved
 * region the PROBE reports ([3 GiB, 4 GiB) and the MSI window), inside a
 * 48-bit input range; checked against both before use.
 */
#define IOVA_BLK	0x8000000000ULL		/* 512 GiB: blk data */
#define IOVA_RNG	0x8000100000ULL		/* rng buffer */
#define IOVA_RNG_RING	0x8000200000ULL		/* rng's rings */
#define DMA_RING_SPAN	(2 * PAGE)		/* a struct vio_ring */
#define IOVA_TIME	0x9000000000ULL		/* the timed page */

#define MAX_PAIRS	4096	/* most MAP/UNMAP pairs timed */

/* What the steps share. */
struct dma_state {
	struct viommu iommu;	/* the virtio-iommu (slot 2) */
	uint64_t seed;		/* the image's pattern (pattern.h) */
	uint64_t image_size;	/* the image's bytes, DMA_CHUNK multiple */
	uint64_t pairs;		/* MAP/UNMAP round trips to time */
};

/* "iommu_dma: WHAT", "... WHAT 0xHEX", "... WHAT DEC". */
void dma_say(const char *what);
void dma_say_hex(const char *what, uint64_t v);
void dma_say_dec(const char *what, uint64_t v);

/*
 * blk_rng.c. Each step returns 0, or -1 after printing why. Order: after
 * the RAM mapping, dma_map_windows() maps the blk buffer at IOVA_BLK, the
 * rng buffer at IOVA_RNG and rng's rings at IOVA_RNG_RING; the devices
 * are set up after that (rng's rings by bus address, blk's 1:1).
 */
int dma_map_windows(struct dma_state *s);
/* blk and rng with ACCESS_PLATFORM; capacity must match image_size. */
int dma_step_blk(struct dma_state *s);
int dma_step_rng_init(struct dma_state *s);
/* The whole image through IOVA_BLK, byte for byte; prints its FNV-1a. */
int dma_step_read(struct dma_state *s);
/* RNG_LEN bytes through IOVA_RNG: some, not all zero, none past len. */
int dma_step_rng(struct dma_state *s);
/* No event on the eventq after correct traffic. */
int dma_step_quiet(struct dma_state *s);
/* UNMAP IOVA_BLK, read into it: unwritten, and a MAPPING fault event. */
int dma_step_fault(struct dma_state *s);
/* MAP IOVA_BLK again (if unmapped) and read the first and last chunk. */
int dma_step_remap(struct dma_state *s);
/* IOVA_BLK mapped READ only: a blk read into it faults; then RW again. */
int dma_step_readonly(struct dma_state *s);
/* Resets blk and rng, if set up (before the iommu's reset). */
void dma_reset_devices(void);

/*
 * timing.c: times (s->pairs) MAP/UNMAP round trips of one page at
 * IOVA_TIME in DOMAIN, one request at a time, and prints the loop's ticks
 * and the p50/p90/p99 of each kind. 0, or -1 after printing why.
 */
int dma_time_map_unmap(struct dma_state *s);

#endif
