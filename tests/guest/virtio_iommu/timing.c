// SPDX-License-Identifier: Apache-2.0
/*
 * tests/guest/virtio_iommu/timing.c: how long the virtio-iommu takes to
 * answer MAP and UNMAP, one request at a time.
 *
 * TIMING_N pairs, each a MAP of one 4 KiB page at a new IOVA then its
 * UNMAP, each request timed with the TSC from making it available to
 * seeing its used entry (what Linux's driver waits for each). The guest
 * runs at CPL3 and cannot learn its TSC rate, so it prints ticks; the
 * host converts them (tests/integration/test_iommu.c asks KVM for a
 * vCPU's TSC rate), and the lines "timing go" and "timing end" around the
 * loop, which the host stamps as they arrive, give a cross-check, as in
 * benches/blk_bench.sh. Percentiles come from sorted samples: 2 x 20000
 * 32-bit ticks, a request slower than 2^32 ticks counting as 2^32 - 1.
 */
#include "iommu.h"
#include "rt.h"

#define TIMING_N	20000	/* MAP/UNMAP pairs timed */
#define IOVA_TIMED	0x200000000ULL	/* the first pair's IOVA */

static uint32_t map_ticks[TIMING_N], unmap_ticks[TIMING_N];

/* Heapsort: no libc here, and 20000 entries want n log n. */
static void sift(uint32_t *a, unsigned int root, unsigned int n)
{
	for (;;) {
		unsigned int c = 2 * root + 1;
		uint32_t t;

		if (c >= n)
			return;
		if (c + 1 < n && a[c + 1] > a[c])
			c++;
		if (a[root] >= a[c])
			return;
		t = a[root];
		a[root] = a[c];
		a[c] = t;
		root = c;
	}
}

static void sort(uint32_t *a, unsigned int n)
{
	for (unsigned int i = n / 2; i-- > 0;)
		sift(a, i, n);
	for (unsigned int end = n; end-- > 1;) {
		uint32_t t = a[0];

		a[0] = a[end];
		a[end] = t;
		sift(a, 0, end);
	}
}

/* "virtio_iommu: NAME ticks p50 X p90 Y p99 Z" over (n) samples. */
static void say_percentiles(const char *name, uint32_t *a, unsigned int n)
{
	sort(a, n);
	rt_puts("virtio_iommu: ");
	rt_puts(name);
	rt_puts(" ticks p50 ");
	rt_put_dec(a[n / 2]);
	rt_puts(" p90 ");
	rt_put_dec(a[(uint64_t)n * 90 / 100]);
	rt_puts(" p99 ");
	rt_put_dec(a[(uint64_t)n * 99 / 100]);
	rt_putc('\n');
}

static uint32_t clamp32(uint64_t v)
{
	return v > 0xffffffffu ? 0xffffffffu : (uint32_t)v;
}

void iommu_timing(uint64_t pa)
{
	unsigned int bad = 0, done = 0, kicks0 = iommu_kicks;
	uint64_t t0, t1;

	vio_say(&iommu_dev, "timing go");
	t0 = rt_rdtsc();
	for (; done < TIMING_N; done++) {
		uint64_t iova = IOVA_TIMED + (uint64_t)done * 4096;
		struct req_map m = iommu_map_req(iova, 4096, pa);
		struct req_unmap u = iommu_unmap_req(iova, 4096);
		uint64_t ticks;
		uint32_t used;
		int st;

		st = iommu_request(&m, sizeof(m), &used, &ticks);
		if (st < 0)
			break;
		bad += st != S_OK || used != sizeof(struct tail);
		map_ticks[done] = clamp32(ticks);
		st = iommu_request(&u, sizeof(u), &used, &ticks);
		if (st < 0)
			break;
		bad += st != S_OK || used != sizeof(struct tail);
		unmap_ticks[done] = clamp32(ticks);
	}
	t1 = rt_rdtsc();
	vio_say(&iommu_dev, "timing end");
	rt_puts("virtio_iommu: loop pairs ");
	rt_put_dec(done);
	rt_puts(" ticks ");
	rt_put_dec(t1 - t0);
	rt_puts(" kicks ");
	rt_put_dec(iommu_kicks - kicks0);
	rt_putc('\n');
	if (done < TIMING_N)
		iommu_failed("timing", "stopped after pairs", done);
	else if (bad)
		iommu_failed("timing", "requests not OK", bad);
	else
		iommu_ok("timing");
	if (!done)
		return;
	say_percentiles("map", map_ticks, done);
	say_percentiles("unmap", unmap_ticks, done);
}
