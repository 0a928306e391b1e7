// SPDX-License-Identifier: Apache-2.0
/* devices/iommu/mapstore_check.c: the mapping store's invariants, for tests. */
#include "devices/iommu/mapstore_priv.h"

/* The lowest iova under nd, at level l. */
static uint64_t subtree_min(const struct mapstore *ms, const struct ms_node *nd,
			    unsigned int l)
{
	for (; l + 1 < ms->height; l++)
		nd = nd->child[0];
	return nd->m[0].iova;
}

/* Checks node nd at level l on its own: occupancy, and its separators. */
static const char *check_node(const struct mapstore *ms,
			      const struct ms_node *nd, unsigned int l)
{
	bool leaf = l == ms->height - 1;
	unsigned int i, min;

	if (leaf) {
		min = l ? MS_LEAF_MIN : 1;
		if (nd->n < min || nd->n > MS_LEAF_MAX)
			return "leaf occupancy out of bounds";
		return NULL;
	}
	min = l ? MS_INNER_MIN : 2;
	if (nd->n < min || nd->n > MS_INNER_MAX)
		return "inner occupancy out of bounds";
	for (i = 0; i + 1 < nd->n; i++) {
		if (nd->key[i] != subtree_min(ms, nd->child[i + 1], l + 1))
			return "separator is not its subtree's lowest iova";
	}
	return NULL;
}

/* Checks that (pool) has (in_use) nodes in the tree beside its spares. */
static const char *check_pool(const struct ms_pool *pool, size_t in_use)
{
	const struct ms_node *s;
	size_t spare = 0;

	for (s = pool->spare; s && spare <= pool->nr_spare; s = s->next_spare)
		spare++;
	if (spare != pool->nr_spare)
		return "spare list length differs from nr_spare";
	if (in_use + spare != pool->nr_nodes)
		return "tree and spare nodes differ from those allocated";
	return NULL;
}

const char *ms_check(const struct mapstore *ms)
{
	struct ms_path p;
	const struct ms_node *nd;
	size_t count = 0, leaves = 0, inner = 0;
	uint64_t prev_last = 0;
	bool first = true;
	const char *err;
	unsigned int i, l;

	if (!ms->root) {
		if (ms->height || ms->count)
			return "empty tree with a height or a count";
		err = check_pool(&ms->leaves, 0);
		return err ? err : check_pool(&ms->inner, 0);
	}
	if (!ms->height || ms->height > MS_MAX_HEIGHT)
		return "height out of bounds";
	if (ms->count > ms->limit)
		return "count above the limit";
	/* A walk over the leaves in order; every node is checked when the
	 * path first steps onto it, so exactly once. */
	p.node[0] = ms->root;
	l = 0;
	for (;;) {
		for (; l < ms->height; l++) {
			err = check_node(ms, p.node[l], l);
			if (err)
				return err;
			if (l + 1 == ms->height)
				break;
			inner++;
			p.idx[l] = 0;
			p.node[l + 1] = p.node[l]->child[0];
		}
		nd = p.node[ms->height - 1];
		leaves++;
		for (i = 0; i < nd->n; i++) {
			const struct ms_mapping *m = &nd->m[i];

			if (m->last < m->iova)
				return "mapping with last < iova";
			if (m->gpa + (m->last - m->iova) < m->gpa)
				return "mapping whose gpa range wraps";
			if (!first && m->iova <= prev_last)
				return "mappings out of order or overlapping";
			prev_last = m->last;
			first = false;
		}
		count += nd->n;
		/* Up to the lowest node with a child left, onto that child. */
		for (l = ms->height - 1; l-- > 0;) {
			if (p.idx[l] + 1 < p.node[l]->n)
				break;
		}
		if (l == (unsigned int)-1)
			break;
		p.idx[l]++;
		p.node[l + 1] = p.node[l]->child[p.idx[l]];
		l++;
	}
	if (count != ms->count)
		return "count differs from the mappings in the leaves";
	err = check_pool(&ms->leaves, leaves);
	return err ? err : check_pool(&ms->inner, inner);
}
