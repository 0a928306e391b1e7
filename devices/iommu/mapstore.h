/* SPDX-License-Identifier: Apache-2.0 */
/* devices/iommu/mapstore.h: one domain's IOVA mappings, an interval store. */
#ifndef IGNIS_MAPSTORE_H
#define IGNIS_MAPSTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The mappings of one virtio-iommu domain (virtio 1.2, 5.13.6.5-6): closed
 * IOVA intervals [iova, last] that never overlap, each translating to
 * guest-physical gpa + (addr - iova) with its permission flags. Map, unmap
 * and lookup are O(log n); a limit on live mappings bounds what one guest
 * can make the host allocate. Pure code, one thread at a time (the
 * iommu's worker); readers on other threads go through the translation
 * layer's own scheme, not this store.
 *
 * Inside, a B+tree (mapstore.c says why): 512-byte nodes, a leaf holding
 * up to 15 mappings, carved from blocks of nodes and recycled through a
 * free list, so most calls allocate nothing. Host memory: 34 bytes per
 * mapping in full leaves, 54 measured for a million mapped in random
 * order (blocks' slack included), at most about 80 (every leaf at its
 * minimum of 7, every inner node at 16 children), plus nodes freed by
 * unmaps, which the store keeps for later maps until ms_destroy(): at
 * most what its largest number of live mappings needed, itself bounded
 * by the limit. A limit of 1M mappings thus bounds a domain to ~80 MiB.
 */

/* Mapping flags: the values of virtio_iommu_req_map.flags (5.13.6.5). */
#define MS_F_READ	(1u << 0)
#define MS_F_WRITE	(1u << 1)
#define MS_F_MMIO	(1u << 2)

struct ms_mapping {
	uint64_t iova;		/* first byte */
	uint64_t last;		/* last byte (inclusive): iova <= last */
	uint64_t gpa;		/* where iova translates to */
	uint32_t flags;		/* MS_F_* */
};

struct ms_node;
struct ms_chunk;

/* The nodes of one kind (leaf or inner) a store has. */
struct ms_pool {
	struct ms_node *spare;	/* free nodes, linked through their start */
	size_t nr_spare;	/* nodes on (spare) */
	size_t nr_nodes;	/* nodes of this kind, in use or spare */
};

/* One domain's store. Zeroed then ms_init(); opaque but for ms_*(). */
struct mapstore {
	struct ms_node *root;	/* the B+tree; NULL when empty */
	unsigned int height;	/* levels, the leaves' included; 0: empty */
	size_t count;		/* live mappings */
	size_t limit;		/* most live mappings allowed */
	struct ms_pool leaves;	/* leaf nodes */
	struct ms_pool inner;	/* inner nodes, in blocks of their own */
	struct ms_chunk *chunks; /* every block of nodes, for ms_destroy() */
};

/* An empty store taking at most (limit) mappings (> 0). 0 or -EINVAL.
 * Allocates nothing. */
int ms_init(struct mapstore *ms, size_t limit);

/* Frees every mapping and node. The store may be ms_init()ed again. */
void ms_destroy(struct mapstore *ms);

/*
 * Adds [iova, last] -> gpa with (flags). Returns 0; -EINVAL when
 * last < iova or gpa + (last - iova) wraps; -EEXIST when it overlaps a
 * mapping already there (nothing changed); -ENOMEM at the limit or when
 * memory runs out (nothing changed). The checks come in that order.
 * [0, UINT64_MAX] is a valid mapping.
 */
int ms_map(struct mapstore *ms, uint64_t iova, uint64_t last, uint64_t gpa,
	   uint32_t flags);

/*
 * Removes every mapping wholly inside [iova, last], calling (fn)(ctx, m)
 * for each, in IOVA order, before it goes (fn may be NULL; it must not
 * change the store). The virtio-iommu rule (5.13.6.6): a mapping is only
 * ever removed whole, so when [iova, last] would split one (it covers
 * part of a mapping), nothing is removed, (fn) is not called and -ERANGE
 * is returned. A range that holds no mapping is not an error.
 * Returns the number removed, -EINVAL when last < iova, or -ERANGE.
 * Never allocates, so never fails for want of memory.
 */
long ms_unmap(struct mapstore *ms, uint64_t iova, uint64_t last,
	      void (*fn)(void *ctx, const struct ms_mapping *m), void *ctx);

/* The mapping that contains (iova), or NULL. Valid until the next change
 * to the store. */
const struct ms_mapping *ms_lookup(const struct mapstore *ms, uint64_t iova);

/*
 * Calls (fn)(ctx, m) for every mapping in IOVA order (a domain's replay
 * when an endpoint attaches); stops at and returns the first non-zero
 * value (fn) returns, else 0. (fn) must not change the store.
 */
int ms_for_each(const struct mapstore *ms,
		int (*fn)(void *ctx, const struct ms_mapping *m), void *ctx);

/*
 * For tests: checks every invariant of the store (order, no overlap,
 * node occupancy, separator keys, equal depth of leaves, count, spare
 * nodes). Returns NULL when they hold, else a static string naming the
 * first that does not. O(n); reads only.
 */
const char *ms_check(const struct mapstore *ms);

/* Live mappings. */
static inline size_t ms_count(const struct mapstore *ms)
{
	return ms->count;
}

#endif
