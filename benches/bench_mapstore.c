// SPDX-License-Identifier: Apache-2.0
/* benches/bench_mapstore.c: the virtio-iommu mapping store, ns per op. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <x86intrin.h>

#include "benches/bench_timer.h"
#include "devices/iommu/mapstore.h"

/*
 * At 1, 1 000 and 1 000 000 live mappings (4 KiB pages at every other
 * page, the pages between them holes, mapped in random order): MAP of a
 * random hole then UNMAP of it (the store stays at its size), and lookups
 * of random addresses inside random mappings. Random addresses are the
 * hard case: at a million mappings every operation goes to a leaf that
 * is not in any cache; the "_local" rows draw them from a window of 256
 * mappings that moves along, as an IOVA allocator hands them out. Each
 * UNMAP follows the MAP of the same page, so it finds that path cached.
 * Addresses are drawn before the timed loops.
 *
 * Every operation is timed on its own with the TSC (rdtsc fenced with
 * lfence on both sides, so the operation can neither start before the
 * first read nor finish after the second), minus the median cost of an
 * empty timed region, and converted to ns with the TSC's rate measured
 * against CLOCK_MONOTONIC. clock_gettime() would cost 15-25 ns a call
 * here, as much as a lookup. p50 and p99 of each set of samples, and the
 * mean of all of them. On our AMD hosts the TSC moves in steps of 26
 * ticks (10 ns), so the percentiles come in 10 ns steps; the mean, over
 * samples that start at random phases of a step, is finer.
 */

#define PAGE 4096ULL
#define ITERS 200000 /* timed operations of each kind and size */

static void die(const char *what)
{
	fprintf(stderr, "bench_mapstore: %s\n", what);
	exit(1);
}

static void run(struct mapstore *ms, size_t live, bool local, uint64_t *addr,
		uint64_t *t_map, uint64_t *t_unmap, uint64_t *t_lookup)
{
	const char *sfx = local ? "_local" : "";
	volatile uint64_t sink = 0;
	char name[32];

	/* MAP then UNMAP of a hole: the page after a mapping (those are at
	 * 2i pages), so the store keeps its size. */
	for (size_t i = 0; i < ITERS; i++)
		addr[i] = (2 * pick(live, i, local) + 1) * PAGE;
	for (size_t i = 0; i < ITERS; i++) {
		uint64_t a = addr[i], t0, t1, t2;
		long r;

		t0 = tsc();
		if (ms_map(ms, a, a + PAGE - 1, a, MS_F_READ | MS_F_WRITE))
			die("map failed");
		t1 = tsc();
		r = ms_unmap(ms, a, a + PAGE - 1, NULL, NULL);
		t2 = tsc();
		if (r != 1)
			die("unmap failed");
		t_map[i] = t1 - t0;
		t_unmap[i] = t2 - t1;
	}

	/* Lookups of a random byte of a mapping. */
	for (size_t i = 0; i < ITERS; i++)
		addr[i] = 2 * pick(live, i, local) * PAGE + rnd() % PAGE;
	for (size_t i = 0; i < ITERS; i++) {
		const struct ms_mapping *m;
		uint64_t t0 = tsc();

		m = ms_lookup(ms, addr[i]);
		t_lookup[i] = tsc() - t0;
		if (!m)
			die("lookup missed");
		sink += m->gpa;
	}

	snprintf(name, sizeof(name), "map_%zu%s", live, sfx);
	report(name, t_map, ITERS);
	snprintf(name, sizeof(name), "unmap_%zu%s", live, sfx);
	report(name, t_unmap, ITERS);
	snprintf(name, sizeof(name), "lookup_%zu%s", live, sfx);
	report(name, t_lookup, ITERS);
}

/* A store of (live) mappings, one page each at every other page, mapped
 * in random order, then both patterns on it. */
static void bench(size_t live, uint64_t *addr, uint64_t *t_map,
		  uint64_t *t_unmap, uint64_t *t_lookup)
{
	struct mapstore ms;
	uint32_t *order = malloc(live * sizeof(*order));

	if (!order || ms_init(&ms, live + 1))
		die("set-up failed");
	shuffled(order, live);
	for (size_t i = 0; i < live; i++) {
		uint64_t iova = 2 * order[i] * PAGE;

		if (ms_map(&ms, iova, iova + PAGE - 1, iova, MS_F_READ))
			die("populating failed");
	}
	free(order);

	run(&ms, live, false, addr, t_map, t_unmap, t_lookup);
	if (live > 256)
		run(&ms, live, true, addr, t_map, t_unmap, t_lookup);
	if (live >= 1000) {
		size_t nodes = ms.leaves.nr_nodes + ms.inner.nr_nodes;

		printf("# %zu live: %zu leaves, %zu inner nodes, %.1f bytes "
		       "per mapping\n",
		       live, ms.leaves.nr_nodes, ms.inner.nr_nodes,
		       (double)nodes * 512 / (double)live);
	}
	ms_destroy(&ms);
}

int main(void)
{
	static const size_t sizes[] = { 1, 1000, 1000000 };
	uint64_t *addr = malloc(ITERS * sizeof(*addr));
	uint64_t *t_map = malloc(ITERS * sizeof(*t_map));
	uint64_t *t_unmap = malloc(ITERS * sizeof(*t_unmap));
	uint64_t *t_lookup = malloc(ITERS * sizeof(*t_lookup));

	if (!addr || !t_map || !t_unmap || !t_lookup)
		die("out of memory");
	calibrate();
	printf("# TSC %.3f GHz, empty timed region %lu ticks (subtracted)\n",
	       tsc_per_ns, (unsigned long)tsc_overhead);
	printf("%-22s %8s %8s %8s %10s\n", "name", "p50 ns", "p99 ns",
	       "mean ns", "iterations");
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		bench(sizes[i], addr, t_map, t_unmap, t_lookup);
	free(addr);
	free(t_map);
	free(t_unmap);
	free(t_lookup);
	return 0;
}
