/* SPDX-License-Identifier: Apache-2.0 */
/* benches/bench_timer.h: per-operation timing with the TSC, and the address
 * choices, shared by the iommu benches. */
#ifndef IGNIS_BENCH_TIMER_H
#define IGNIS_BENCH_TIMER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <x86intrin.h>

/*
 * Every operation is timed on its own: rdtsc fenced with lfence on both
 * sides, minus the median cost of an empty timed region (calibrate()),
 * converted with the TSC's rate measured against CLOCK_MONOTONIC.
 * clock_gettime() would cost 15-25 ns a call here. report() prints p50,
 * p99 and the mean of a set of samples.
 */

static inline uint64_t tsc(void)
{
	uint64_t t;

	_mm_lfence();
	t = __rdtsc();
	_mm_lfence();
	return t;
}

static inline double now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e9 + t.tv_nsec;
}

static inline int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}


static double tsc_per_ns; /* TSC ticks per ns */
static uint64_t tsc_overhead; /* ticks of an empty timed region */

static inline void calibrate(void)
{
	static uint64_t s[100000];
	double t0 = now_ns(), t1;
	uint64_t c0 = tsc(), c1;

	while (now_ns() - t0 < 200e6)
		;
	c1 = tsc();
	t1 = now_ns();
	tsc_per_ns = (double)(c1 - c0) / (t1 - t0);
	for (size_t i = 0; i < sizeof(s) / sizeof(s[0]); i++) {
		uint64_t a = tsc();

		s[i] = tsc() - a;
	}
	qsort(s, sizeof(s) / sizeof(s[0]), sizeof(s[0]), cmp_u64);
	tsc_overhead = s[sizeof(s) / sizeof(s[0]) / 2];
}

/* Prints one row from (n) samples in TSC ticks, sorting them. */
static inline void report(const char *name, uint64_t *s, size_t n)
{
	double sum = 0;

	for (size_t i = 0; i < n; i++) {
		s[i] = s[i] > tsc_overhead ? s[i] - tsc_overhead : 0;
		sum += (double)s[i];
	}
	qsort(s, n, sizeof(s[0]), cmp_u64);
	printf("%-22s %8.1f %8.1f %8.1f %10zu\n", name, s[n / 2] / tsc_per_ns,
	       s[n * 99 / 100] / tsc_per_ns, sum / n / tsc_per_ns, n);
}

/* splitmix64, from a seed a bench may set before its first draw. */
static uint64_t rng_state = 1;

static inline uint64_t rnd(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* order[0..n) = a random permutation of 0..n-1 (Fisher-Yates). */
static inline void shuffled(uint32_t *order, size_t n)
{
	for (size_t i = 0; i < n; i++)
		order[i] = (uint32_t)i;
	for (size_t i = n; i > 1; i--) {
		size_t j = rnd() % i;
		uint32_t t = order[i - 1];

		order[i - 1] = order[j];
		order[j] = t;
	}
}

/* The index of the mapping the i-th operation goes near: anywhere, or in
 * a window of 256 mappings that moves by one every 4 operations, as an
 * IOVA allocator hands out addresses near those it handed out last. */
static inline uint64_t pick(size_t live, size_t i, bool local)
{
	if (!local || live <= 256)
		return rnd() % live;
	return (i / 4 + rnd() % 256) % live;
}

#endif
