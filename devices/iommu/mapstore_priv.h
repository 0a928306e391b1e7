/* SPDX-License-Identifier: Apache-2.0 */
/* devices/iommu/mapstore_priv.h: the mapping store's B+tree, for mapstore*.c only. */
#ifndef IGNIS_MAPSTORE_PRIV_H
#define IGNIS_MAPSTORE_PRIV_H

#include <stdalign.h>

#include "devices/iommu/mapstore.h"

/* The tree's shape: see the comment at the top of mapstore.c. */
#define MS_LEAF_MAX 15 /* mappings in a leaf */
#define MS_LEAF_MIN 7 /* ... in a leaf other than the root */
#define MS_INNER_MAX 32 /* children of an inner node */
#define MS_INNER_MIN 16 /* ... of an inner node other than the root */
#define MS_MAX_HEIGHT 24 /* levels, leaves included; see above */
#define MS_CHUNK_MIN 4 /* nodes in the first block */
#define MS_CHUNK_MAX 512 /* nodes in a block, at most (256 KiB) */

/* A merge of an underfull node with a sibling at its minimum must fit. */
_Static_assert(MS_LEAF_MIN * 2 - 1 <= MS_LEAF_MAX, "leaf merge");
_Static_assert(MS_INNER_MIN * 2 - 1 <= MS_INNER_MAX, "inner merge");
/* A split must leave both halves at their minimum or above. */
_Static_assert(MS_LEAF_MAX + 1 >= 2 * MS_LEAF_MIN, "leaf split");
_Static_assert(MS_INNER_MAX + 1 >= 2 * MS_INNER_MIN, "inner split");

struct ms_node {
	_Alignas(64) uint32_t n; /* mappings (leaf) or children (inner) */
	union {
		struct ms_mapping m[MS_LEAF_MAX]; /* leaf, by iova */
		struct {
			/* key[i]: the lowest iova under child[i + 1] */
			uint64_t key[MS_INNER_MAX - 1];
			struct ms_node *child[MS_INNER_MAX]; /* by iova */
		};
		struct ms_node *next_spare; /* on the spare list */
	};
};
_Static_assert(sizeof(struct ms_node) == 512, "one node, 8 cache lines");

/* A block of nodes of one kind. The header takes a node's place so that
 * every node is 512-byte aligned: none straddles two pages. */
struct ms_chunk {
	struct ms_chunk *next; /* the store's next block */
	size_t nr; /* nodes in node[] */
	_Alignas(512) struct ms_node node[]; /* one kind */
};

/* A walk from the root: node[l] at level l (0: root, height - 1: leaf)
 * and idx[l], the child taken there or, in the leaf, the number of
 * mappings starting at or before the address sought. */
struct ms_path {
	struct ms_node *node[MS_MAX_HEIGHT]; /* nodes walked */
	unsigned int idx[MS_MAX_HEIGHT]; /* position in each */
};

#endif
