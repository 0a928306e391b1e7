/* SPDX-License-Identifier: Apache-2.0 */
/* vmm/gmem.h: guest memory: one memfd, mapped once, split into RAM regions. */
#ifndef IGNIS_GMEM_H
#define IGNIS_GMEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Guest-physical and bus (IOVA) addresses are distinct types so that one
 * cannot be dereferenced on the host nor passed where the other is expected.
 */
typedef struct { uint64_t v; } gpa_t;
typedef struct { uint64_t v; } iova_t;

static inline gpa_t gpa(uint64_t v) { return (gpa_t){ v }; }
static inline iova_t iova(uint64_t v) { return (iova_t){ v }; }

#define GMEM_MAX_REGIONS 4

/* One contiguous range of guest RAM and where it lives on the host. */
struct gmem_region {
	gpa_t start;		/* first guest-physical byte */
	uint64_t size;		/* bytes, a multiple of the host page size */
	uint64_t offset;	/* offset in the memfd (and in the one mapping) */
	void *host;		/* host address of start */
};

/* Guest RAM. Shared read-only by every thread after gmem_create(). */
struct gmem {
	int fd;			/* memfd backing all of RAM */
	void *base;		/* the one host mapping of the whole memfd */
	uint64_t size;		/* total RAM bytes */
	unsigned int nr_regions;	/* entries used in regions[] */
	struct gmem_region regions[GMEM_MAX_REGIONS];	/* sorted by start */
};

/*
 * Creates guest RAM of the (nr) regions described by (layout): only their
 * start and size are read; they must be sorted, page-aligned and disjoint.
 * Returns 0 or -errno. The memory reads as zeros.
 */
int gmem_create(struct gmem *mem, const struct gmem_region *layout,
		unsigned int nr);

/* Unmaps and closes (mem); accepts a zeroed or already destroyed gmem. */
void gmem_destroy(struct gmem *mem);

/*
 * Returns the host address of guest range [addr, addr + len) only when the
 * whole range lies inside one RAM region, else NULL. Overflow-safe; a zero
 * (len) is checked as one byte.
 */
void *gmem_ptr(const struct gmem *mem, gpa_t addr, uint64_t len);

/* Copies between guest RAM and a host buffer: 0 or -EFAULT (nothing done). */
int gmem_read(const struct gmem *mem, void *dst, gpa_t src, uint64_t len);
int gmem_write(const struct gmem *mem, gpa_t dst, const void *src,
	       uint64_t len);

/* The region holding (addr), or NULL. */
const struct gmem_region *gmem_region_of(const struct gmem *mem, gpa_t addr);

/* Last guest-physical byte + 1 of RAM (the top of the highest region). */
uint64_t gmem_end(const struct gmem *mem);

#endif
