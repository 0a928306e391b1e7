/* SPDX-License-Identifier: Apache-2.0 */
/* tests/guest/lib/blk_phases.h: what the block bench reads, shared by its guest and host sides. */
#ifndef IGNIS_BLK_PHASES_H
#define IGNIS_BLK_PHASES_H

#include <stdint.h>

/*
 * tests/guest/blk_bench (in a VM) and benches/blk_host (on the host) must
 * read the same blocks in the same order: both take the phases, the
 * random sequence and the block choice from here. Header-only and
 * freestanding, for the guest's build as well as the host's.
 */
#define BLK_BLOCK	4096ULL	/* bytes; the unit of offsets */
#define BLK_MAX_DEPTH	32	/* most requests one phase keeps in flight */

struct blk_phase {
	const char *name;	/* "lat", "rand", "seq" */
	unsigned int depth;	/* requests outstanding */
	uint32_t len;		/* bytes per request */
	int random;		/* random offsets, else sequential */
	uint64_t count;		/* requests */
};

/* The three phases with their default counts (~1-3 s each on ignis). */
#define BLK_PHASES_DEFAULT {						\
	{ "lat", 1, 4096, 1, 60000 },					\
	{ "rand", BLK_MAX_DEPTH, 4096, 1, 1000000 },			\
	{ "seq", 8, 128 * 1024, 0, 60000 },				\
}

/* xorshift64 (Marsaglia): the random offsets, and the image's filler. */
static inline uint64_t blk_xorshift64(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*s = x;
	return x;
}

/* The first block of the next request of phase (p) on a disk of (nblocks)
 * blocks: random and aligned, or the next in order (wrapping). */
static inline uint64_t blk_next_block(const struct blk_phase *p, uint64_t *rng,
				      uint64_t *next, uint64_t nblocks)
{
	uint64_t per = p->len / BLK_BLOCK, b;

	if (p->random)
		return blk_xorshift64(rng) % (nblocks - per + 1);
	b = *next;
	*next += per;
	if (*next + per > nblocks)
		*next = 0;
	return b;
}

#endif
