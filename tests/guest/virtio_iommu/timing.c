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
 *
 * Then the yardstick (iommu_exit_baseline()): reads of the iommu's Magic
 * register, each a bare MMIO exit to ignis's vCPU thread and back, timed
 * the same way in the same run, so that a request's round trip can be
 * read as a number of exits on whatever host this runs on. In bench mode
 * every series also prints its 101 percentiles for benches/iommu_bench.sh
 * to plot.
 */
#include "iommu.h"
#include "rt.h"

#define TIMING_N	20000	/* MAP/UNMAP pairs timed */
#define IOVA_TIMED	0x200000000ULL	/* the first pair's IOVA */
/* MMIO reads timed: in bench mode as many as pairs; otherwise few, as
 * an exit costs ~25 us on PVM hosts and the tests want a short run. */
#define EXIT_N_BENCH	20000
#define EXIT_N_TEST	1000

static uint32_t map_ticks[TIMING_N], unmap_ticks[TIMING_N];
static uint32_t exit_ticks[EXIT_N_BENCH];

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

/* The (q)th percentile of the (n) sorted samples at (a): the 100th is
 * the largest. */
static uint32_t percentile(const uint32_t *a, unsigned int n, unsigned int q)
{
	uint64_t i = (uint64_t)n * q / 100;

	return a[i < n ? i : n - 1];
}

/*
 * "virtio_iommu: NAME ticks p50 X p90 Y p99 Z" over the (n) samples at
 * (a), which it sorts; with (bench) also "virtio_iommu: NAME ticks
 * q0-100 T0 T1 ... T100", every percentile, the smallest to the largest
 * sample (one line: ~700 bytes, each a port exit).
 */
static void say_distribution(const char *name, uint32_t *a, unsigned int n,
			     int bench)
{
	sort(a, n);
	rt_puts("virtio_iommu: ");
	rt_puts(name);
	rt_puts(" ticks p50 ");
	rt_put_dec(percentile(a, n, 50));
	rt_puts(" p90 ");
	rt_put_dec(percentile(a, n, 90));
	rt_puts(" p99 ");
	rt_put_dec(percentile(a, n, 99));
	rt_putc('\n');
	if (!bench)
		return;
	rt_puts("virtio_iommu: ");
	rt_puts(name);
	rt_puts(" ticks q0-100");
	for (unsigned int q = 0; q <= 100; q++) {
		rt_putc(' ');
		rt_put_dec(percentile(a, n, q));
	}
	rt_putc('\n');
}

static uint32_t clamp32(uint64_t v)
{
	return v > 0xffffffffu ? 0xffffffffu : (uint32_t)v;
}

void iommu_timing(uint64_t pa, int bench)
{
	unsigned int bad = 0, done = 0, kicks0 = iommu_kicks;
	uint64_t t0, t1;

	vio_say(&iommu_dev, "timing go");
	t0 = rt_rdtsc();
	for (; done < TIMING_N; done++) {
		uint64_t iova = IOVA_TIMED + (uint64_t)done * 4096;
		struct viommu_req_map m = iommu_map_req(iova, 4096, pa);
		struct viommu_req_unmap u = iommu_unmap_req(iova, 4096);
		uint64_t ticks;
		uint32_t used;
		int st;

		st = iommu_request(&m, sizeof(m), &used, &ticks);
		if (st < 0)
			break;
		bad += st != VIOMMU_S_OK ||
		       used != sizeof(struct viommu_req_tail);
		map_ticks[done] = clamp32(ticks);
		st = iommu_request(&u, sizeof(u), &used, &ticks);
		if (st < 0)
			break;
		bad += st != VIOMMU_S_OK ||
		       used != sizeof(struct viommu_req_tail);
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
	say_distribution("map", map_ticks, done, bench);
	say_distribution("unmap", unmap_ticks, done, bench);
}

void iommu_exit_baseline(int bench)
{
	const unsigned int n = bench ? EXIT_N_BENCH : EXIT_N_TEST;
	const uint64_t magic = iommu_dev.base + VIO_R_MAGIC;
	unsigned int bad = 0;

	/* Magic: the cheapest register ignis has (a constant under the
	 * transport's lock), so what is timed is the exit itself. The read
	 * traps, and the exit drains the pipeline: neither rdtsc moves
	 * across it. */
	for (unsigned int i = 0; i < n; i++) {
		uint64_t t0 = rt_rdtsc();
		uint32_t v = rt_mmio_read32(magic);
		uint64_t t1 = rt_rdtsc();

		bad += v != VIO_MAGIC;
		exit_ticks[i] = clamp32(t1 - t0);
	}
	if (bad)
		iommu_failed("mmio_exit", "reads not magic", bad);
	else
		iommu_ok("mmio_exit");
	say_distribution("mmio_exit", exit_ticks, n, bench);
}
