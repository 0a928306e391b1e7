// SPDX-License-Identifier: Apache-2.0
/* devices/iommu/mapstore.c: one domain's IOVA mappings, a B+tree. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "devices/iommu/mapstore_priv.h"

/*
 * Why a B+tree and not a binary tree (AVL, red-black): at a million
 * mappings the store no longer fits in the caches, and a lookup costs
 * what its cache misses cost, about 150 ns each on our hosts. A balanced
 * binary tree of a million nodes is 20 to 28 levels deep and the lower
 * ten or so miss (glibc's tsearch() red-black tree: 1.2 us per random
 * lookup); here a million mappings make a tree of height 5 whose upper
 * levels stay cached, and a random lookup costs about 270 ns, one leaf
 * from memory and an inner node from L2/L3 (benches/bench_mapstore.c).
 * Nodes are all 512 bytes, taken from blocks and recycled through free
 * lists, so map and unmap do not call malloc once the store has grown.
 *
 * The tree: every leaf at depth height - 1, holding 7 to 15 mappings
 * sorted by iova (the root leaf 1 to 15). An inner node holds 16 to 32
 * children (the root 2 to 32) and key[i], the lowest iova in child
 * i + 1's subtree, exactly: a descent for address x takes the child
 * after the keys <= x, so the mapping that may hold x, the last one
 * starting at or before x, is always in the leaf reached (or there is
 * none). Mappings never overlap, so iova order is also order of last.
 *
 * No recursion; every walk keeps its path in a struct ms_path of
 * MS_MAX_HEIGHT levels, a few hundred bytes of stack. With at least 16
 * children per inner node and 7 mappings per leaf, 24 levels would hold
 * more than 2^64 mappings, more than an address space has bytes.
 */

/* ---- nodes ---- */

/*
 * Makes sure (pool) has (need) spare nodes, so that an insertion cannot
 * fail halfway through its splits. 0 or -ENOMEM (no mapping changed).
 *
 * Leaves and inner nodes come from blocks of their own: the inner nodes
 * of a million mappings (a twentieth of the nodes) then share a few
 * hundred pages, which the TLB and the caches keep, instead of one page
 * each among the leaves.
 */
static int reserve(struct mapstore *ms, struct ms_pool *pool, size_t need)
{
	struct ms_chunk *c;
	size_t nr, i;

	if (pool->nr_spare >= need)
		return 0;
	/* Blocks double with the store (few mallocs for a million mappings)
	 * but start small (a domain with one mapping costs 2.5 KiB). */
	nr = pool->nr_nodes;
	if (nr < MS_CHUNK_MIN)
		nr = MS_CHUNK_MIN;
	if (nr > MS_CHUNK_MAX)
		nr = MS_CHUNK_MAX;
	if (nr < need - pool->nr_spare)
		nr = need - pool->nr_spare;
	c = aligned_alloc(_Alignof(struct ms_chunk),
			  sizeof(*c) + nr * sizeof(struct ms_node));
	if (!c)
		return -ENOMEM;
	c->nr = nr;
	c->next = ms->chunks;
	ms->chunks = c;
	for (i = nr; i-- > 0;) {
		c->node[i].next_spare = pool->spare;
		pool->spare = &c->node[i];
	}
	pool->nr_spare += nr;
	pool->nr_nodes += nr;
	return 0;
}

/* A spare node; reserve() made sure there is one. */
static struct ms_node *node_get(struct ms_pool *pool)
{
	struct ms_node *nd = pool->spare;

	pool->spare = nd->next_spare;
	pool->nr_spare--;
	nd->n = 0;
	return nd;
}

static void node_put(struct ms_pool *pool, struct ms_node *nd)
{
	nd->next_spare = pool->spare;
	pool->spare = nd;
	pool->nr_spare++;
}

/* ---- search ---- */

/*
 * The searches inside a node are branchless binary searches (the compiler
 * turns the ternaries into conditional moves): which way a search goes
 * is a coin toss that the branch predictor loses half the time. Lookups
 * in a store of 1 000 mappings took 48 ns with branches, 37 without.
 */

/* How many of an inner node's keys are <= x: the child to descend to. */
static inline unsigned int inner_rank(const struct ms_node *nd, uint64_t x)
{
	unsigned int base = 0, len = nd->n - 1;

	while (len > 1) {
		unsigned int half = len / 2;

		base = nd->key[base + half] <= x ? base + half : base;
		len -= half;
	}
	return base + (nd->key[base] <= x);
}

/* How many of a leaf's mappings start at or before x. */
static inline unsigned int leaf_rank(const struct ms_node *nd, uint64_t x)
{
	unsigned int base = 0, len = nd->n;

	while (len > 1) {
		unsigned int half = len / 2;

		base = nd->m[base + half].iova <= x ? base + half : base;
		len -= half;
	}
	return base + (nd->m[base].iova <= x);
}

/*
 * Asks for all of a node's cache lines at once. A search in a node that
 * is not in the cache otherwise waits for one line after the other, as
 * each probe says where the next goes: four round trips to memory in a
 * leaf of a large store instead of one.
 */
static inline void prefetch_node(const struct ms_node *nd)
{
	const char *p = (const char *)nd;

	for (unsigned int i = 0; i < sizeof(*nd); i += 64)
		__builtin_prefetch(p + i);
}

/* Walks from the root (the store is not empty) to the leaf where x is or
 * would be, recording the path; returns that leaf. */
static struct ms_node *descend(const struct mapstore *ms, uint64_t x,
			       struct ms_path *p)
{
	struct ms_node *nd = ms->root;
	unsigned int l, leaf = ms->height - 1;

	for (l = 0; l < leaf; l++) {
		p->node[l] = nd;
		p->idx[l] = inner_rank(nd, x);
		nd = nd->child[p->idx[l]];
		prefetch_node(nd);
	}
	p->node[leaf] = nd;
	p->idx[leaf] = leaf_rank(nd, x);
	return nd;
}

/* The lowest iova of the leaf after the path's leaf, into (*key), read
 * from the separator above it; false when the path's leaf is the last. */
static bool next_leaf_min(const struct mapstore *ms, const struct ms_path *p,
			  uint64_t *key)
{
	unsigned int l;

	for (l = ms->height - 1; l-- > 0;) {
		if (p->idx[l] + 1 < p->node[l]->n) {
			*key = p->node[l]->key[p->idx[l]];
			return true;
		}
	}
	return false;
}

const struct ms_mapping *ms_lookup(const struct mapstore *ms, uint64_t iova)
{
	const struct ms_node *nd = ms->root;
	const struct ms_mapping *m;
	unsigned int l, pos;

	if (!nd)
		return NULL;
	for (l = 1; l < ms->height; l++) {
		nd = nd->child[inner_rank(nd, iova)];
		prefetch_node(nd);
	}
	pos = leaf_rank(nd, iova);
	if (!pos)
		return NULL;
	m = &nd->m[pos - 1];
	return iova <= m->last ? m : NULL;
}

/* ---- insertion ---- */

/* Inserts (sep, right) after child[c] of inner node nd, which has room. */
static void inner_insert(struct ms_node *nd, unsigned int c, uint64_t sep,
			 struct ms_node *right)
{
	memmove(&nd->key[c + 1], &nd->key[c],
		(nd->n - 1 - c) * sizeof(nd->key[0]));
	memmove(&nd->child[c + 2], &nd->child[c + 1],
		(nd->n - 1 - c) * sizeof(nd->child[0]));
	nd->key[c] = sep;
	nd->child[c + 1] = right;
	nd->n++;
}

/*
 * Splits the full inner node nd while inserting (*sep, *right) after its
 * child[c]: nd keeps the lower children, a new node (returned in *right)
 * the upper ones, and the key between them goes up (returned in *sep).
 */
static void inner_split(struct mapstore *ms, struct ms_node *nd, unsigned int c,
			uint64_t *sep, struct ms_node **right)
{
	uint64_t key[MS_INNER_MAX];
	struct ms_node *child[MS_INNER_MAX + 1];
	struct ms_node *r = node_get(&ms->inner);
	const unsigned int nl = (MS_INNER_MAX + 2) / 2; /* children kept */
	const unsigned int nr = MS_INNER_MAX + 1 - nl;

	memcpy(key, nd->key, c * sizeof(key[0]));
	key[c] = *sep;
	memcpy(&key[c + 1], &nd->key[c],
	       (MS_INNER_MAX - 1 - c) * sizeof(key[0]));
	memcpy(child, nd->child, (c + 1) * sizeof(child[0]));
	child[c + 1] = *right;
	memcpy(&child[c + 2], &nd->child[c + 1],
	       (MS_INNER_MAX - 1 - c) * sizeof(child[0]));

	memcpy(nd->key, key, (nl - 1) * sizeof(key[0]));
	memcpy(nd->child, child, nl * sizeof(child[0]));
	nd->n = nl;
	memcpy(r->key, &key[nl], (nr - 1) * sizeof(key[0]));
	memcpy(r->child, &child[nl], nr * sizeof(child[0]));
	r->n = nr;
	*sep = key[nl - 1];
	*right = r;
}

/*
 * Inserts (m) at position pos of the path's full leaf by splitting it,
 * then the new leaf into the parents, splitting those that are full, up
 * to a new root if need be. reserve() provided the nodes.
 */
static void leaf_split_insert(struct mapstore *ms, struct ms_path *p,
			      const struct ms_mapping *m)
{
	struct ms_mapping all[MS_LEAF_MAX + 1];
	unsigned int l = ms->height - 1, pos = p->idx[l], nl;
	struct ms_node *leaf = p->node[l], *right = node_get(&ms->leaves);
	struct ms_node *root;
	uint64_t sep;

	memcpy(all, leaf->m, pos * sizeof(all[0]));
	all[pos] = *m;
	memcpy(&all[pos + 1], &leaf->m[pos],
	       (MS_LEAF_MAX - pos) * sizeof(all[0]));
	/* Guests map ascending or descending runs (Linux's IOVA allocator
	 * goes top-down): leave the side that will not grow fuller than
	 * half, as far as the minimum on the other side allows. */
	if (pos == MS_LEAF_MAX)
		nl = MS_LEAF_MAX + 1 - MS_LEAF_MIN;
	else if (pos == 0)
		nl = MS_LEAF_MIN;
	else
		nl = (MS_LEAF_MAX + 1) / 2;
	memcpy(leaf->m, all, nl * sizeof(all[0]));
	leaf->n = nl;
	memcpy(right->m, &all[nl], (MS_LEAF_MAX + 1 - nl) * sizeof(all[0]));
	right->n = MS_LEAF_MAX + 1 - nl;
	sep = right->m[0].iova;

	while (l-- > 0) {
		struct ms_node *nd = p->node[l];

		if (nd->n < MS_INNER_MAX) {
			inner_insert(nd, p->idx[l], sep, right);
			return;
		}
		inner_split(ms, nd, p->idx[l], &sep, &right);
	}
	root = node_get(&ms->inner);
	root->n = 2;
	root->key[0] = sep;
	root->child[0] = ms->root;
	root->child[1] = right;
	ms->root = root;
	ms->height++;
}

int ms_map(struct mapstore *ms, uint64_t iova, uint64_t last, uint64_t gpa,
	   uint32_t flags)
{
	const struct ms_mapping m = {
		.iova = iova,
		.last = last,
		.gpa = gpa,
		.flags = flags,
	};
	struct ms_path p;
	struct ms_node *leaf;
	unsigned int pos;
	uint64_t next;

	if (last < iova || gpa + (last - iova) < gpa)
		return -EINVAL;
	if (!ms->root) {
		if (ms->count >= ms->limit || reserve(ms, &ms->leaves, 1))
			return -ENOMEM;
		ms->root = node_get(&ms->leaves);
		ms->height = 1;
		ms->root->m[0] = m;
		ms->root->n = 1;
		ms->count = 1;
		return 0;
	}

	leaf = descend(ms, iova, &p);
	pos = p.idx[ms->height - 1];
	/* The one mapping starting at or before iova is leaf->m[pos - 1];
	 * the one after it is leaf->m[pos] or the next leaf's first. */
	if (pos && leaf->m[pos - 1].last >= iova)
		return -EEXIST;
	if (pos < leaf->n ? leaf->m[pos].iova <= last :
			    next_leaf_min(ms, &p, &next) && next <= last)
		return -EEXIST;
	if (ms->count >= ms->limit)
		return -ENOMEM;

	if (leaf->n < MS_LEAF_MAX) {
		memmove(&leaf->m[pos + 1], &leaf->m[pos],
			(leaf->n - pos) * sizeof(leaf->m[0]));
		leaf->m[pos] = m;
		leaf->n++;
		ms->count++;
		return 0;
	}
	/* A new leaf, a split at every inner level and a new root, at
	 * worst; a taller tree than MS_MAX_HEIGHT cannot be reached (see the
	 * top), but the path arrays must not overflow if it ever were. */
	if (ms->height >= MS_MAX_HEIGHT || reserve(ms, &ms->leaves, 1) ||
	    reserve(ms, &ms->inner, ms->height))
		return -ENOMEM;
	leaf_split_insert(ms, &p, &m);
	ms->count++;
	return 0;
}

/* ---- removal ---- */

/* Removes key[k] and child[k + 1] of inner node nd. */
static void inner_remove(struct ms_node *nd, unsigned int k)
{
	memmove(&nd->key[k], &nd->key[k + 1],
		(nd->n - 2 - k) * sizeof(nd->key[0]));
	memmove(&nd->child[k + 1], &nd->child[k + 2],
		(nd->n - 2 - k) * sizeof(nd->child[0]));
	nd->n--;
}

/* Moves one mapping or child from (from), the left or right sibling of
 * nd under parent key k, to nd, keeping the separator key[k] exact. */
static void borrow(struct ms_node *parent, unsigned int k, struct ms_node *nd,
		   struct ms_node *from, bool from_left, bool leaf)
{
	if (leaf && from_left) {
		memmove(&nd->m[1], &nd->m[0], nd->n * sizeof(nd->m[0]));
		nd->m[0] = from->m[from->n - 1];
		parent->key[k] = nd->m[0].iova;
	} else if (leaf) {
		nd->m[nd->n] = from->m[0];
		memmove(&from->m[0], &from->m[1],
			(from->n - 1) * sizeof(from->m[0]));
		parent->key[k] = from->m[0].iova;
	} else if (from_left) {
		/* The child moved is the lowest of nd's subtree now: its
		 * lowest iova was the parent's separator. */
		memmove(&nd->key[1], &nd->key[0],
			(nd->n - 1) * sizeof(nd->key[0]));
		memmove(&nd->child[1], &nd->child[0],
			nd->n * sizeof(nd->child[0]));
		nd->child[0] = from->child[from->n - 1];
		nd->key[0] = parent->key[k];
		parent->key[k] = from->key[from->n - 2];
	} else {
		nd->child[nd->n] = from->child[0];
		nd->key[nd->n - 1] = parent->key[k];
		parent->key[k] = from->key[0];
		memmove(&from->key[0], &from->key[1],
			(from->n - 2) * sizeof(from->key[0]));
		memmove(&from->child[0], &from->child[1],
			(from->n - 1) * sizeof(from->child[0]));
	}
	nd->n++;
	from->n--;
}

/* Appends (right), the sibling after (left) under parent key k, to left,
 * and frees it. */
static void merge(struct mapstore *ms, struct ms_node *parent, unsigned int k,
		  struct ms_node *left, struct ms_node *right, bool leaf)
{
	if (leaf) {
		memcpy(&left->m[left->n], right->m,
		       right->n * sizeof(right->m[0]));
	} else {
		left->key[left->n - 1] = parent->key[k];
		memcpy(&left->key[left->n], right->key,
		       (right->n - 1) * sizeof(right->key[0]));
		memcpy(&left->child[left->n], right->child,
		       right->n * sizeof(right->child[0]));
	}
	left->n += right->n;
	inner_remove(parent, k);
	node_put(leaf ? &ms->leaves : &ms->inner, right);
}

/* Restores the minimum occupancy from level l of the path up: borrow
 * from a sibling that can spare one, else merge with it, which takes a
 * child from the parent and may leave it underfull in turn. */
static void rebalance(struct mapstore *ms, const struct ms_path *p,
		      unsigned int l)
{
	struct ms_node *root;

	for (; l > 0; l--) {
		struct ms_node *nd = p->node[l], *parent = p->node[l - 1];
		unsigned int c = p->idx[l - 1];
		bool leaf = l == ms->height - 1;
		unsigned int min = leaf ? MS_LEAF_MIN : MS_INNER_MIN;
		struct ms_node *left = c ? parent->child[c - 1] : NULL;
		struct ms_node *right =
			c + 1 < parent->n ? parent->child[c + 1] : NULL;

		if (nd->n >= min)
			return;
		if (left && left->n > min) {
			borrow(parent, c - 1, nd, left, true, leaf);
			return;
		}
		if (right && right->n > min) {
			borrow(parent, c, nd, right, false, leaf);
			return;
		}
		if (left)
			merge(ms, parent, c - 1, left, nd, leaf);
		else
			merge(ms, parent, c, nd, right, leaf);
	}
	root = ms->root;
	if (ms->height > 1 && root->n == 1) {
		ms->root = root->child[0];
		ms->height--;
		node_put(&ms->inner, root);
	}
}

/* Removes the mapping at the path's leaf position. Returns true when the
 * tree changed shape (the path is stale), false when the path still
 * holds and its position names the mapping that followed. */
static bool erase(struct mapstore *ms, struct ms_path *p)
{
	unsigned int l = ms->height - 1, pos = p->idx[l], k;
	struct ms_node *leaf = p->node[l];

	memmove(&leaf->m[pos], &leaf->m[pos + 1],
		(leaf->n - pos - 1) * sizeof(leaf->m[0]));
	leaf->n--;
	ms->count--;
	if (!l) {
		if (leaf->n)
			return false;
		node_put(&ms->leaves, leaf);
		ms->root = NULL;
		ms->height = 0;
		return true;
	}
	/* The leaf's lowest iova changed: so does the separator naming it,
	 * in the lowest ancestor where the path did not go leftmost. A leaf
	 * other than the root has kept MS_LEAF_MIN - 1 >= 1 mappings. */
	if (!pos) {
		for (k = l; k-- > 0;) {
			if (p->idx[k]) {
				p->node[k]->key[p->idx[k] - 1] =
					leaf->m[0].iova;
				break;
			}
		}
	}
	if (leaf->n >= MS_LEAF_MIN)
		return false;
	rebalance(ms, p, l);
	return true;
}

long ms_unmap(struct mapstore *ms, uint64_t iova, uint64_t last,
	      void (*fn)(void *ctx, const struct ms_mapping *m), void *ctx)
{
	struct ms_path p, q;
	struct ms_node *leaf;
	unsigned int l, pos, end;
	uint64_t next;
	long removed = 0;

	if (last < iova)
		return -EINVAL;
	if (!ms->root)
		return 0;

	/*
	 * 5.13.6.6: "If a mapping affected by the range is not covered in
	 * its entirety by the range (the UNMAP request would split the
	 * mapping), then the device SHOULD set the request status to
	 * VIRTIO_IOMMU_S_RANGE, and SHOULD NOT remove any mapping." Only
	 * two mappings can be split: the one holding iova and the one
	 * holding last. Check both before removing anything.
	 */
	leaf = descend(ms, iova, &p);
	l = ms->height - 1;
	pos = p.idx[l];
	if (pos) {
		const struct ms_mapping *m = &leaf->m[pos - 1];

		if (m->iova < iova && m->last >= iova)
			return -ERANGE;
		if (m->iova == iova)
			pos--;
	}
	p.idx[l] = pos; /* the first mapping starting in the range, if any */
	/* The one holding last starts at or before it: mostly in this leaf,
	 * the range ending before the next leaf begins. */
	for (end = pos; end < leaf->n && leaf->m[end].iova <= last; end++)
		;
	if (end < leaf->n || !next_leaf_min(ms, &p, &next) || next > last) {
		if (end > pos && leaf->m[end - 1].last > last)
			return -ERANGE;
	} else {
		struct ms_node *lf = descend(ms, last, &q);

		/* next <= last: some mapping starts at or before last. */
		if (lf->m[q.idx[l] - 1].last > last)
			return -ERANGE;
	}

	/* Every mapping starting in [iova, last] now ends in it too. */
	for (;;) {
		l = ms->height - 1;
		leaf = p.node[l];
		pos = p.idx[l];
		if (pos == leaf->n) {
			if (!next_leaf_min(ms, &p, &next) || next > last)
				break;
			descend(ms, next, &p);
			p.idx[l]--; /* rank counts the mapping at next */
			continue;
		}
		if (leaf->m[pos].iova > last)
			break;
		if (fn)
			fn(ctx, &leaf->m[pos]);
		removed++;
		if (erase(ms, &p)) {
			if (!ms->root)
				break;
			/* Mappings from iova on are gone: the next starts
			 * after the rank of iova. */
			descend(ms, iova, &p);
		}
	}
	return removed;
}

/* ---- whole store ---- */

int ms_init(struct mapstore *ms, size_t limit)
{
	if (!limit)
		return -EINVAL;
	memset(ms, 0, sizeof(*ms));
	ms->limit = limit;
	return 0;
}

void ms_destroy(struct mapstore *ms)
{
	struct ms_chunk *c, *next;

	if (!ms)
		return;
	for (c = ms->chunks; c; c = next) {
		next = c->next;
		free(c);
	}
	memset(ms, 0, sizeof(*ms));
}

/* Goes to the leftmost leaf under the path's node at level l. */
static struct ms_node *leftmost(const struct mapstore *ms, struct ms_path *p,
				unsigned int l)
{
	struct ms_node *nd = p->node[l];

	for (; l + 1 < ms->height; l++) {
		p->idx[l] = 0;
		nd = nd->child[0];
		p->node[l + 1] = nd;
	}
	return nd;
}

/* The leaf after the path's leaf, the path moved to it; NULL at the end. */
static struct ms_node *next_leaf(const struct mapstore *ms, struct ms_path *p)
{
	unsigned int l;

	for (l = ms->height - 1; l-- > 0;) {
		if (p->idx[l] + 1 < p->node[l]->n) {
			p->idx[l]++;
			p->node[l + 1] = p->node[l]->child[p->idx[l]];
			return leftmost(ms, p, l + 1);
		}
	}
	return NULL;
}

int ms_for_each(const struct mapstore *ms,
		int (*fn)(void *ctx, const struct ms_mapping *m), void *ctx)
{
	struct ms_path p;
	struct ms_node *nd;
	unsigned int i;
	int r;

	if (!ms->root)
		return 0;
	p.node[0] = ms->root;
	for (nd = leftmost(ms, &p, 0); nd; nd = next_leaf(ms, &p)) {
		for (i = 0; i < nd->n; i++) {
			r = fn(ctx, &nd->m[i]);
			if (r)
				return r;
		}
	}
	return 0;
}
