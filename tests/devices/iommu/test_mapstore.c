// SPDX-License-Identifier: Apache-2.0
/* tests/devices/iommu/test_mapstore.c: the virtio-iommu mapping store. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "devices/iommu/mapstore.h"

#define PAGE 0x1000ULL
#define TOP UINT64_MAX
#define RW (MS_F_READ | MS_F_WRITE)

static struct mapstore ms;

static void setup(void)
{
	cr_assert_eq(ms_init(&ms, SIZE_MAX), 0);
}

static void teardown(void)
{
	ms_destroy(&ms);
}

TestSuite(ms, .init = setup, .fini = teardown);

/* Every invariant, after every change. */
#define CHECK()                                                         \
	do {                                                            \
		const char *err_ = ms_check(&ms);                       \
		cr_assert_null(err_, "ms_check: %s", err_ ? err_ : ""); \
	} while (0)

static void expect_at(uint64_t addr, uint64_t iova, uint64_t last, uint64_t gpa)
{
	const struct ms_mapping *m = ms_lookup(&ms, addr);

	cr_assert_not_null(m, "no mapping at %#lx", (unsigned long)addr);
	cr_assert_eq(m->iova, iova);
	cr_assert_eq(m->last, last);
	cr_assert_eq(m->gpa, gpa);
}

static void expect_none(uint64_t addr)
{
	cr_assert_null(ms_lookup(&ms, addr), "a mapping at %#lx",
		       (unsigned long)addr);
}

/* Collects what ms_unmap() and ms_for_each() hand over. */
struct seen {
	struct ms_mapping m[64]; /* the first ones, in order */
	size_t n; /* how many were handed over */
	size_t stop_at; /* for_each: stop after this many */
	uint64_t prev; /* iova of the previous one */
	bool unordered; /* one came before the previous */
};

/* Field by field: the padding after flags holds whatever it holds. */
static bool same(const struct ms_mapping *a, const struct ms_mapping *b)
{
	return a->iova == b->iova && a->last == b->last && a->gpa == b->gpa &&
	       a->flags == b->flags;
}

static void seen_add(struct seen *s, const struct ms_mapping *m)
{
	if (s->n && m->iova <= s->prev)
		s->unordered = true;
	s->prev = m->iova;
	if (s->n < 64)
		s->m[s->n] = *m;
	s->n++;
}

static void on_unmap(void *ctx, const struct ms_mapping *m)
{
	seen_add(ctx, m);
}

static int on_each(void *ctx, const struct ms_mapping *m)
{
	struct seen *s = ctx;

	seen_add(s, m);
	return s->stop_at && s->n == s->stop_at ? 7 : 0;
}

/* ---- set-up and arguments ---- */

Test(ms, init_rejects_zero_limit)
{
	struct mapstore s;

	cr_assert_eq(ms_init(&s, 0), -EINVAL);
	ms_destroy(NULL);
}

Test(ms, empty_store)
{
	struct seen s = { 0 };

	cr_assert_eq(ms_count(&ms), 0);
	expect_none(0);
	expect_none(TOP);
	cr_assert_eq(ms_unmap(&ms, 0, TOP, on_unmap, &s), 0);
	cr_assert_eq(ms_for_each(&ms, on_each, &s), 0);
	cr_assert_eq(s.n, 0);
	CHECK();
}

Test(ms, map_rejects_bad_ranges)
{
	cr_assert_eq(ms_map(&ms, 0x2000, 0x1fff, 0, RW), -EINVAL);
	/* gpa + (last - iova) wraps */
	cr_assert_eq(ms_map(&ms, 0, 1, TOP, RW), -EINVAL);
	cr_assert_eq(ms_map(&ms, 0, TOP, 1, RW), -EINVAL);
	cr_assert_eq(ms_count(&ms), 0);
	/* ... ending exactly at the top does not */
	cr_assert_eq(ms_map(&ms, 0, PAGE - 1, TOP - PAGE + 1, RW), 0);
	cr_assert_eq(ms_map(&ms, PAGE, PAGE, TOP, RW), 0);
	cr_assert_eq(ms_unmap(&ms, 1, 0, NULL, NULL), -EINVAL);
	cr_assert_eq(ms_count(&ms), 2);
	CHECK();
}

/* ---- map, lookup ---- */

Test(ms, whole_address_space)
{
	struct seen s = { 0 };

	cr_assert_eq(ms_map(&ms, 0, TOP, 0, RW), 0);
	expect_at(0, 0, TOP, 0);
	expect_at(TOP, 0, TOP, 0);
	expect_at(1ULL << 63, 0, TOP, 0);
	cr_assert_eq(ms_map(&ms, 0, 0, 0, RW), -EEXIST);
	cr_assert_eq(ms_map(&ms, TOP, TOP, 0, RW), -EEXIST);
	cr_assert_eq(ms_unmap(&ms, 0, TOP - 1, NULL, NULL), -ERANGE);
	cr_assert_eq(ms_unmap(&ms, 1, TOP, NULL, NULL), -ERANGE);
	cr_assert_eq(ms_unmap(&ms, 5, 5, NULL, NULL), -ERANGE);
	cr_assert_eq(ms_count(&ms), 1);
	cr_assert_eq(ms_unmap(&ms, 0, TOP, on_unmap, &s), 1);
	cr_assert_eq(s.n, 1);
	cr_assert_eq(s.m[0].last, TOP);
	cr_assert_eq(ms_count(&ms), 0);
	CHECK();
}

Test(ms, one_byte_mappings)
{
	cr_assert_eq(ms_map(&ms, 5, 5, 0x500, MS_F_READ), 0);
	expect_none(4);
	expect_at(5, 5, 5, 0x500);
	expect_none(6);
	cr_assert_eq(ms_lookup(&ms, 5)->flags, MS_F_READ);
	cr_assert_eq(ms_map(&ms, 5, 5, 0, RW), -EEXIST);
	cr_assert_eq(ms_map(&ms, 4, 6, 0, RW), -EEXIST);
	cr_assert_eq(ms_map(&ms, 0, 5, 0, RW), -EEXIST);
	cr_assert_eq(ms_map(&ms, 5, TOP, 0, RW), -EEXIST);
	/* neighbours on both sides, touching */
	cr_assert_eq(ms_map(&ms, 6, 6, 0x600, RW), 0);
	cr_assert_eq(ms_map(&ms, 4, 4, 0x400, RW), 0);
	expect_at(4, 4, 4, 0x400);
	expect_at(6, 6, 6, 0x600);
	/* the extreme bytes */
	cr_assert_eq(ms_map(&ms, 0, 0, 0, RW), 0);
	cr_assert_eq(ms_map(&ms, TOP, TOP, 0, RW), 0);
	expect_at(0, 0, 0, 0);
	expect_at(TOP, TOP, TOP, 0);
	expect_none(TOP - 1);
	expect_none(1);
	cr_assert_eq(ms_count(&ms), 5);
	CHECK();
	cr_assert_eq(ms_unmap(&ms, 5, 5, NULL, NULL), 1);
	expect_none(5);
	cr_assert_eq(ms_unmap(&ms, TOP, TOP, NULL, NULL), 1);
	cr_assert_eq(ms_unmap(&ms, 0, 0, NULL, NULL), 1);
	cr_assert_eq(ms_count(&ms), 2);
	CHECK();
}

Test(ms, overlaps_are_refused_and_change_nothing)
{
	const uint64_t a = 0x10000, b = 0x1ffff; /* [a, b]: 16 pages */
	const uint64_t bad[][2] = {
		{ a, b }, /* the same */
		{ a + PAGE, b - PAGE }, /* inside */
		{ a - PAGE, b + PAGE }, /* around */
		{ a - PAGE, a }, /* its first byte */
		{ b, b + PAGE }, /* its last byte */
		{ 0, TOP }, /* everything */
		{ b, b },
		{ a, a },
	};

	cr_assert_eq(ms_map(&ms, a, b, 0x100000, RW), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_assert_eq(ms_map(&ms, bad[i][0], bad[i][1], 0, RW), -EEXIST,
			     "case %zu", i);
		cr_assert_eq(ms_count(&ms), 1);
		CHECK();
	}
	expect_at(a, a, b, 0x100000);
	cr_assert_eq(ms_map(&ms, a - PAGE, a - 1, 0, RW), 0);
	cr_assert_eq(ms_map(&ms, b + 1, b + PAGE, 0, RW), 0);
	expect_at(a - 1, a - PAGE, a - 1, 0);
	expect_at(b, a, b, 0x100000);
	expect_at(b + 1, b + 1, b + PAGE, 0);
	CHECK();
}

/* Overlap detection when the neighbour is in another leaf: many pages,
 * every other one mapped, then each gap tried with a range one byte too
 * wide on either side. */
Test(ms, overlaps_across_leaves)
{
	for (uint64_t i = 0; i < 2000; i++)
		cr_assert_eq(ms_map(&ms, 2 * i * PAGE, (2 * i + 1) * PAGE - 1,
				    i * PAGE, RW),
			     0);
	CHECK();
	for (uint64_t i = 0; i + 1 < 2000; i++) {
		uint64_t lo = (2 * i + 1) * PAGE, hi = (2 * i + 2) * PAGE - 1;

		cr_assert_eq(ms_map(&ms, lo - 1, hi, 0, RW), -EEXIST);
		cr_assert_eq(ms_map(&ms, lo, hi + 1, 0, RW), -EEXIST);
	}
	cr_assert_eq(ms_count(&ms), 2000);
	for (uint64_t i = 0; i + 1 < 2000; i++)
		cr_assert_eq(ms_map(&ms, (2 * i + 1) * PAGE,
				    (2 * i + 2) * PAGE - 1, 0, RW),
			     0);
	cr_assert_eq(ms_count(&ms), 3999);
	CHECK();
}

/* ---- unmap: virtio 1.2, 5.13.6.6 ---- */

/* The spec's own cases, in its words: a mapping is removed only whole,
 * and a range may cover several mappings and the holes between them. */
Test(ms, unmap_spec_cases)
{
	/* map(0, 4); map(5, 9); unmap(0, 9): both go */
	cr_assert_eq(ms_map(&ms, 0, 4, 0, RW), 0);
	cr_assert_eq(ms_map(&ms, 5, 9, 0, RW), 0);
	cr_assert_eq(ms_unmap(&ms, 0, 9, NULL, NULL), 2);
	cr_assert_eq(ms_count(&ms), 0);
	/* map(0, 9); unmap(0, 4): would split it, RANGE, it stays */
	cr_assert_eq(ms_map(&ms, 0, 9, 0, RW), 0);
	cr_assert_eq(ms_unmap(&ms, 0, 4, NULL, NULL), -ERANGE);
	cr_assert_eq(ms_count(&ms), 1);
	cr_assert_eq(ms_unmap(&ms, 0, 9, NULL, NULL), 1);
	/* map(0, 4); map(10, 14); unmap(0, 14): both go, the hole too */
	cr_assert_eq(ms_map(&ms, 0, 4, 0, RW), 0);
	cr_assert_eq(ms_map(&ms, 10, 14, 0, RW), 0);
	cr_assert_eq(ms_unmap(&ms, 0, 14, NULL, NULL), 2);
	/* map(0, 4); unmap(0, 9): it goes; unmap(5, 9) of nothing: fine */
	cr_assert_eq(ms_map(&ms, 0, 4, 0, RW), 0);
	cr_assert_eq(ms_unmap(&ms, 5, 9, NULL, NULL), 0);
	cr_assert_eq(ms_unmap(&ms, 0, 9, NULL, NULL), 1);
	cr_assert_eq(ms_count(&ms), 0);
	CHECK();
}

Test(ms, unmap_that_would_split_removes_nothing)
{
	struct seen s = { 0 };
	const uint64_t bad[][2] = {
		{ 0x3000, 0x3fff }, /* inside the middle one */
		{ 0x2000, 0x3fff }, /* its head */
		{ 0x3000, 0x5fff }, /* its tail */
		{ 0x0000, 0x3fff }, /* the first whole, the middle cut */
		{ 0x3000, 0x9fff }, /* the middle cut, the last whole */
		{ 0x1000, 0x8fff }, /* the first and last cut */
		{ 0x5fff, 0x5fff }, /* its last byte */
		{ 0x2000, 0x2000 }, /* its first byte */
	};

	cr_assert_eq(ms_map(&ms, 0x0000, 0x1fff, 0, RW), 0);
	cr_assert_eq(ms_map(&ms, 0x2000, 0x5fff, 0, RW), 0);
	cr_assert_eq(ms_map(&ms, 0x8000, 0x9fff, 0, RW), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_assert_eq(ms_unmap(&ms, bad[i][0], bad[i][1], on_unmap, &s),
			     -ERANGE, "case %zu", i);
		cr_assert_eq(ms_count(&ms), 3, "case %zu", i);
		cr_assert_eq(s.n, 0, "case %zu: fn called", i);
	}
	/* holes only: nothing to do, no error */
	cr_assert_eq(ms_unmap(&ms, 0x6000, 0x7fff, NULL, NULL), 0);
	cr_assert_eq(ms_unmap(&ms, 0xa000, TOP, NULL, NULL), 0);
	/* covering exactly, or with holes around */
	cr_assert_eq(ms_unmap(&ms, 0x2000, 0x7fff, on_unmap, &s), 1);
	cr_assert_eq(s.m[0].iova, 0x2000);
	cr_assert_eq(ms_unmap(&ms, 0, TOP, on_unmap, &s), 2);
	cr_assert_eq(s.n, 3);
	cr_assert_eq(s.m[1].iova, 0x0000);
	cr_assert_eq(s.m[2].iova, 0x8000);
	CHECK();
}

/* Ranges reaching 0 and UINT64_MAX, and splits far from where the range
 * starts (another leaf, another subtree). */
Test(ms, unmap_edges_of_the_space)
{
	cr_assert_eq(ms_map(&ms, 0, PAGE - 1, 0, RW), 0);
	cr_assert_eq(ms_map(&ms, TOP - PAGE + 1, TOP, 0, RW), 0);
	cr_assert_eq(ms_unmap(&ms, 0, PAGE - 2, NULL, NULL), -ERANGE);
	cr_assert_eq(ms_unmap(&ms, TOP - PAGE + 2, TOP, NULL, NULL), -ERANGE);
	cr_assert_eq(ms_unmap(&ms, 1, TOP - 1, NULL, NULL), -ERANGE);
	cr_assert_eq(ms_unmap(&ms, PAGE, TOP - PAGE, NULL, NULL), 0);
	cr_assert_eq(ms_unmap(&ms, TOP - PAGE + 1, TOP, NULL, NULL), 1);
	cr_assert_eq(ms_unmap(&ms, 0, PAGE - 1, NULL, NULL), 1);
	cr_assert_eq(ms_count(&ms), 0);
	CHECK();
}

Test(ms, unmap_split_far_from_the_start)
{
	const uint64_t n = 5000;

	for (uint64_t i = 0; i < n; i++)
		cr_assert_eq(ms_map(&ms, i * PAGE, (i + 1) * PAGE - 1, 0, RW),
			     0);
	/* a two-page mapping at the end, the range cutting it in half */
	cr_assert_eq(ms_map(&ms, n * PAGE, (n + 2) * PAGE - 1, 0, RW), 0);
	cr_assert_eq(ms_unmap(&ms, 0, (n + 1) * PAGE - 1, NULL, NULL), -ERANGE);
	/* ... and one cut at the start, the range ending far away */
	cr_assert_eq(ms_unmap(&ms, 1, (n + 2) * PAGE - 1, NULL, NULL), -ERANGE);
	cr_assert_eq(ms_count(&ms), n + 1);
	CHECK();
	/* half of them, across many leaves and subtrees */
	cr_assert_eq(
		ms_unmap(&ms, n / 4 * PAGE, 3 * n / 4 * PAGE - 1, NULL, NULL),
		(long)n / 2);
	cr_assert_eq(ms_count(&ms), n / 2 + 1);
	CHECK();
	expect_none(n / 2 * PAGE);
	expect_at(n / 4 * PAGE - 1, (n / 4 - 1) * PAGE, n / 4 * PAGE - 1, 0);
	expect_at(3 * n / 4 * PAGE, 3 * n / 4 * PAGE,
		  (3 * n / 4 + 1) * PAGE - 1, 0);
}

Test(ms, unmap_everything_in_order)
{
	struct seen s = { 0 };
	const uint64_t n = 10000;

	for (uint64_t i = 0; i < n; i++)
		cr_assert_eq(ms_map(&ms, 3 * i * PAGE, (3 * i + 1) * PAGE - 1,
				    i, RW),
			     0);
	cr_assert_eq(ms_unmap(&ms, 0, TOP, on_unmap, &s), (long)n);
	cr_assert_eq(s.n, n);
	cr_assert(!s.unordered, "unmap callbacks out of IOVA order");
	cr_assert_eq(s.m[0].iova, 0);
	cr_assert_eq(s.m[63].iova, 3 * 63 * PAGE);
	cr_assert_eq(ms_count(&ms), 0);
	cr_assert_null(ms.root);
	CHECK();
}

/* ---- limit, memory ---- */

Test(ms, limit)
{
	struct mapstore s;

	cr_assert_eq(ms_init(&s, 3), 0);
	for (uint64_t i = 0; i < 3; i++)
		cr_assert_eq(ms_map(&s, i * PAGE, i * PAGE, 0, RW), 0);
	cr_assert_eq(ms_map(&s, 9 * PAGE, 9 * PAGE, 0, RW), -ENOMEM);
	/* overlap is reported first */
	cr_assert_eq(ms_map(&s, 0, 0, 0, RW), -EEXIST);
	cr_assert_eq(ms_count(&s), 3);
	cr_assert_null(ms_lookup(&s, 9 * PAGE));
	cr_assert_eq(ms_unmap(&s, PAGE, PAGE, NULL, NULL), 1);
	cr_assert_eq(ms_map(&s, 9 * PAGE, 9 * PAGE, 0, RW), 0);
	cr_assert_null(ms_check(&s));
	ms_destroy(&s);
	/* destroyed, it may be initialised again */
	cr_assert_eq(ms_init(&s, 1), 0);
	cr_assert_eq(ms_map(&s, 0, 0, 0, RW), 0);
	cr_assert_eq(ms_map(&s, 1, 1, 0, RW), -ENOMEM);
	ms_destroy(&s);
}

/* Nodes freed by unmaps are used again: the same mappings again cost no
 * allocation. */
Test(ms, nodes_are_recycled)
{
	size_t nodes;

	for (uint64_t i = 0; i < 3000; i++)
		cr_assert_eq(ms_map(&ms, i * PAGE, i * PAGE, 0, RW), 0);
	cr_assert_eq(ms_unmap(&ms, 0, TOP, NULL, NULL), 3000);
	nodes = ms.leaves.nr_nodes + ms.inner.nr_nodes;
	cr_assert_eq(ms.leaves.nr_spare + ms.inner.nr_spare, nodes);
	for (uint64_t i = 0; i < 3000; i++)
		cr_assert_eq(ms_map(&ms, i * PAGE, i * PAGE, 0, RW), 0);
	cr_assert_eq(ms.leaves.nr_nodes + ms.inner.nr_nodes, nodes);
	CHECK();
}

/* When malloc fails, the map fails with -ENOMEM and the store is as it
 * was. The address-space limit makes malloc fail; ASan reserves terabytes
 * of shadow, so this runs only without it. */
Test(ms, allocation_failure_changes_nothing)
{
#if defined(__SANITIZE_ADDRESS__)
	cr_skip_test("RLIMIT_AS and ASan do not mix");
#else
	struct rlimit old, lim;
	unsigned long vm_pages = 0;
	uint64_t i;
	size_t before;
	FILE *f = fopen("/proc/self/statm", "r");
	int r = 0;

	cr_assert_not_null(f);
	cr_assert_eq(fscanf(f, "%lu", &vm_pages), 1);
	fclose(f);
	cr_assert_eq(getrlimit(RLIMIT_AS, &old), 0);
	lim = old;
	lim.rlim_cur = vm_pages * (rlim_t)sysconf(_SC_PAGESIZE) + (16 << 20);
	cr_assert_eq(setrlimit(RLIMIT_AS, &lim), 0);
	for (i = 0; i < 100000000; i++) {
		before = ms_count(&ms);
		r = ms_map(&ms, i * PAGE, i * PAGE, i, RW);
		if (r)
			break;
	}
	cr_assert_eq(setrlimit(RLIMIT_AS, &old), 0);
	cr_assert_eq(r, -ENOMEM);
	cr_assert_gt(i, 10000, "failed after %lu maps", (unsigned long)i);
	cr_assert_eq(ms_count(&ms), before);
	cr_assert_eq(ms_count(&ms), i);
	expect_none(i * PAGE);
	expect_at((i - 1) * PAGE, (i - 1) * PAGE, (i - 1) * PAGE, i - 1);
	CHECK();
	cr_assert_eq(ms_map(&ms, i * PAGE, i * PAGE, i, RW), 0);
	CHECK();
#endif
}

/* ---- for_each ---- */

Test(ms, for_each_order_and_stop)
{
	struct seen s = { 0 };

	/* inserted out of order, from the top down */
	for (uint64_t i = 1000; i-- > 0;)
		cr_assert_eq(ms_map(&ms, i * 2 * PAGE, i * 2 * PAGE + 7, i, RW),
			     0);
	cr_assert_eq(ms_for_each(&ms, on_each, &s), 0);
	cr_assert_eq(s.n, 1000);
	cr_assert(!s.unordered);
	for (size_t i = 0; i < 64; i++)
		cr_assert_eq(s.m[i].gpa, i);
	memset(&s, 0, sizeof(s));
	s.stop_at = 40;
	cr_assert_eq(ms_for_each(&ms, on_each, &s), 7);
	cr_assert_eq(s.n, 40);
	cr_assert_eq(s.m[39].gpa, 39);
}

/* ---- a million mappings ---- */

static uint64_t rng_state;

/* splitmix64: a fixed seed, the same sequence on every run. */
static uint64_t rnd(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void shuffle(uint32_t *a, size_t n)
{
	for (size_t i = n; i > 1; i--) {
		size_t j = rnd() % i;
		uint32_t t = a[i - 1];

		a[i - 1] = a[j];
		a[j] = t;
	}
}

struct expect_one {
	uint64_t iova; /* the mapping the callback must get */
	int calls; /* how many it got */
};

static void on_unmap_one(void *ctx, const struct ms_mapping *m)
{
	struct expect_one *e = ctx;

	e->calls += m->iova == e->iova && m->gpa == e->iova / 2;
}

Test(ms, a_million_mappings, .timeout = 60)
{
	const uint32_t n = 1000000;
	uint32_t *order = malloc(n * sizeof(*order));

	cr_assert_not_null(order);
	rng_state = 1;
	for (uint32_t i = 0; i < n; i++)
		order[i] = i;
	shuffle(order, n);
	/* page i at 2i pages: the pages between are holes */
	for (uint32_t i = 0; i < n; i++) {
		uint64_t iova = 2 * order[i] * PAGE;

		cr_assert_eq(ms_map(&ms, iova, iova + PAGE - 1, iova / 2, RW),
			     0);
	}
	cr_assert_eq(ms_count(&ms), n);
	CHECK();
	for (uint32_t i = 0; i < n; i++) {
		uint64_t iova = 2 * (uint64_t)i * PAGE;

		expect_at(iova + (rnd() & (PAGE - 1)), iova, iova + PAGE - 1,
			  iova / 2);
		cr_assert_null(
			ms_lookup(&ms, iova + PAGE + (rnd() & (PAGE - 1))));
	}
	shuffle(order, n);
	for (uint32_t i = 0; i < n; i++) {
		struct expect_one e = { .iova = 2 * order[i] * PAGE };

		/* the hole after it too: ranges need not be exact */
		cr_assert_eq(ms_unmap(&ms, e.iova, e.iova + 2 * PAGE - 1,
				      on_unmap_one, &e),
			     1);
		cr_assert_eq(e.calls, 1);
		if (i == n / 2)
			CHECK();
	}
	cr_assert_eq(ms_count(&ms), 0);
	cr_assert_null(ms.root);
	CHECK();
	free(order);
}

/* ---- against a reference model ---- */

/*
 * The model: a sorted array, every operation a linear scan, obviously
 * right. Addresses come from two windows, at the bottom and the top of
 * the address space, in pages and sometimes in bytes, so that ranges
 * touch 0 and UINT64_MAX, overlap partly, abut, and split.
 */
#define REF_MAX 8192
#define SLOTS 4096 /* pages per window */

static struct ms_mapping ref[REF_MAX];
static size_t nref;

static int ref_map(uint64_t iova, uint64_t last, uint64_t gpa, uint32_t flags)
{
	size_t i;

	if (last < iova || gpa + (last - iova) < gpa)
		return -EINVAL;
	for (i = 0; i < nref && ref[i].iova < iova; i++)
		;
	if (i > 0 && ref[i - 1].last >= iova)
		return -EEXIST;
	if (i < nref && ref[i].iova <= last)
		return -EEXIST;
	cr_assert_lt(nref, REF_MAX);
	memmove(&ref[i + 1], &ref[i], (nref - i) * sizeof(ref[0]));
	ref[i] = (struct ms_mapping){ iova, last, gpa, flags };
	nref++;
	return 0;
}

static long ref_unmap(uint64_t iova, uint64_t last, struct seen *s)
{
	size_t i, j = 0, removed = 0;

	if (last < iova)
		return -EINVAL;
	for (i = 0; i < nref; i++) {
		bool touches = ref[i].iova <= last && ref[i].last >= iova;
		bool inside = ref[i].iova >= iova && ref[i].last <= last;

		if (touches && !inside)
			return -ERANGE;
	}
	for (i = 0; i < nref; i++) {
		if (ref[i].iova >= iova && ref[i].last <= last) {
			seen_add(s, &ref[i]);
			removed++;
		} else {
			ref[j++] = ref[i];
		}
	}
	nref = j;
	return (long)removed;
}

static const struct ms_mapping *ref_lookup(uint64_t a)
{
	for (size_t i = 0; i < nref; i++) {
		if (ref[i].iova <= a && a <= ref[i].last)
			return &ref[i];
	}
	return NULL;
}

/* Slot s's first byte: the bottom window for s < SLOTS, else the top
 * one, whose last slot ends at UINT64_MAX; slot 2 * SLOTS "is" 2^64. */
static uint64_t slot_addr(uint64_t s)
{
	return s < SLOTS ? s * PAGE : 0 - (2 * SLOTS - s) * PAGE;
}

static void random_range(uint64_t *iova, uint64_t *last, unsigned int span)
{
	uint64_t base = rnd() % 2 ? SLOTS : 0;
	uint64_t s = rnd() % SLOTS, n = 1 + rnd() % span;

	if (s + n > SLOTS)
		n = SLOTS - s;
	*iova = slot_addr(base + s);
	/* the bottom window's end is not the top window's start */
	*last = (base ? slot_addr(base + s + n) : (s + n) * PAGE) - 1;
	if (rnd() % 4 == 0) {
		/* bytes: from anywhere in the slot, 1 byte to 3 pages */
		*iova += rnd() % PAGE;
		*last = *iova + rnd() % (3 * PAGE);
		if (*last < *iova)
			*last = TOP;
	}
}

static void compare_lookup(uint64_t a)
{
	const struct ms_mapping *m = ms_lookup(&ms, a), *r = ref_lookup(a);

	if (!r) {
		cr_assert_null(m, "lookup %#lx: found, model has none",
			       (unsigned long)a);
		return;
	}
	cr_assert_not_null(m, "lookup %#lx: missing", (unsigned long)a);
	cr_assert(same(m, r), "lookup %#lx differs", (unsigned long)a);
}

static void compare_all(void)
{
	static struct seen s;

	memset(&s, 0, sizeof(s));
	cr_assert_eq(ms_for_each(&ms, on_each, &s), 0);
	cr_assert_eq(s.n, nref);
	cr_assert(!s.unordered);
	for (size_t i = 0; i < nref && i < 64; i++)
		cr_assert(same(&s.m[i], &ref[i]), "for_each #%zu differs", i);
	for (size_t i = 0; i < nref; i++) {
		compare_lookup(ref[i].iova);
		compare_lookup(ref[i].last);
		compare_lookup(ref[i].iova + (ref[i].last - ref[i].iova) / 2);
		compare_lookup(ref[i].iova - 1);
		compare_lookup(ref[i].last + 1);
	}
}

Test(ms, differential_against_a_model, .timeout = 120)
{
	const unsigned int ops = 100000;
	unsigned int maps_ok = 0, eexist = 0, erange = 0, removed = 0;
	size_t most = 0;
	unsigned int tallest = 0;

	rng_state = 42;
	nref = 0;
	for (unsigned int op = 0; op < ops; op++) {
		/* phases of 10000: mostly maps, then mostly unmaps */
		bool growing = (op / 10000) % 2 == 0;
		unsigned int dice = rnd() % 100;
		uint64_t iova, last;

		if (dice < (growing ? 80u : 30u)) {
			uint64_t gpa = rnd() >> 12;
			uint32_t flags = rnd() % 8;
			int want, got;

			random_range(&iova, &last, 4);
			if (rnd() % 64 == 0)
				gpa = TOP - rnd() % (4 * PAGE); /* may wrap */
			want = ref_map(iova, last, gpa, flags);
			got = ms_map(&ms, iova, last, gpa, flags);
			cr_assert_eq(got, want, "op %u: map [%#lx, %#lx]", op,
				     (unsigned long)iova, (unsigned long)last);
			maps_ok += !got;
			eexist += got == -EEXIST;
		} else {
			struct seen want = { 0 }, got = { 0 };
			long rw, rg;
			unsigned int how = rnd() % 100;

			if (how < 40 && nref) {
				/* exactly one */
				const struct ms_mapping *m = &ref[rnd() % nref];

				iova = m->iova;
				last = m->last;
			} else if (how < 55 && nref) {
				/* from one's start to a later one's end */
				size_t a = rnd() % nref, b = a + rnd() % 8;

				if (b >= nref)
					b = nref - 1;
				iova = ref[a].iova;
				last = ref[b].last;
			} else if (how < 56 && rnd() % 32 == 0) {
				/* everything, now and then */
				iova = 0;
				last = TOP;
			} else {
				random_range(&iova, &last, 64);
			}
			rw = ref_unmap(iova, last, &want);
			rg = ms_unmap(&ms, iova, last, on_unmap, &got);
			cr_assert_eq(rg, rw, "op %u: unmap [%#lx, %#lx]", op,
				     (unsigned long)iova, (unsigned long)last);
			cr_assert_eq(got.n, want.n);
			cr_assert(!got.unordered);
			for (size_t i = 0; i < want.n && i < 64; i++)
				cr_assert(same(&got.m[i], &want.m[i]),
					  "op %u: unmap #%zu differs", op, i);
			erange += rg == -ERANGE;
			removed += rg > 0 ? (unsigned int)rg : 0;
		}
		cr_assert_eq(ms_count(&ms), nref, "op %u: count", op);
		CHECK();
		for (int k = 0; k < 4; k++) {
			uint64_t a, b;

			random_range(&a, &b, 1);
			compare_lookup(a);
			compare_lookup(b);
		}
		if (nref > most)
			most = nref;
		if (ms.height > tallest)
			tallest = ms.height;
		if (op % 2000 == 0)
			compare_all();
	}
	compare_all();
	/* the run did what it is meant to exercise */
	cr_log_info("model run: %zu live at most, height %u, %u maps, "
		    "%u EEXIST, %u ERANGE, %u removed",
		    most, tallest, maps_ok, eexist, erange, removed);
	cr_assert_gt(most, 1000, "only %zu live mappings at most", most);
	cr_assert_geq(tallest, 3, "inner nodes never split or merged");
	cr_assert_gt(maps_ok, 10000);
	cr_assert_gt(eexist, 1000);
	cr_assert_gt(erange, 1000);
	cr_assert_gt(removed, 10000);
}
