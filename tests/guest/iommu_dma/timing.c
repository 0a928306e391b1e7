// SPDX-License-Identifier: Apache-2.0
/* tests/guest/iommu_dma/timing.c: MAP/UNMAP round trips, timed by rdtsc. */
#include "iommu_dma.h"

#include "rt.h"

static uint64_t map_ticks[MAX_PAIRS], unmap_ticks[MAX_PAIRS];
/* The page the timed mappings point at: never touched by a device. */
static uint8_t time_page[PAGE] __attribute__((aligned(4096)));

/* Shell sort: a few thousand entries, no recursion, no libc. */
static void sort(uint64_t *v, unsigned int n)
{
	static const unsigned int gaps[] = { 701, 301, 132, 57, 23, 10, 4, 1 };

	for (unsigned int g = 0; g < sizeof(gaps) / sizeof(gaps[0]); g++) {
		unsigned int gap = gaps[g];

		for (unsigned int i = gap; i < n; i++) {
			uint64_t x = v[i];
			unsigned int j = i;

			for (; j >= gap && v[j - gap] > x; j -= gap)
				v[j] = v[j - gap];
			v[j] = x;
		}
	}
}

/* " WHAT status N", or " WHAT no answer" for (st) < 0. */
static void put_status(const char *what, int st)
{
	rt_puts(what);
	if (st < 0) {
		rt_puts(" no answer");
		return;
	}
	rt_puts(" status ");
	rt_put_dec((uint64_t)st);
}

/* "iommu_dma: NAME ticks p50 A p90 B p99 C" over (n) sorted samples. */
static void print_percentiles(const char *name, uint64_t *v, unsigned int n)
{
	sort(v, n);
	rt_puts(DMA_NAME ": ");
	rt_puts(name);
	rt_puts(" ticks p50 ");
	rt_put_dec(v[n * 50 / 100]);
	rt_puts(" p90 ");
	rt_put_dec(v[n * 90 / 100]);
	rt_puts(" p99 ");
	rt_put_dec(v[n * 99 / 100]);
	rt_puts(" max ");
	rt_put_dec(v[n - 1]);
	rt_putc('\n');
}

int dma_time_map_unmap(struct dma_state *s)
{
	struct viommu *v = &s->iommu;
	unsigned int n = (unsigned int)s->pairs, bad = 0;
	uint64_t kicks = v->kicks, saved = v->kicks_saved;
	uint64_t t_start, t_end;

	if (n < 100 || n > MAX_PAIRS) {
		rt_puts(DMA_NAME ": timing: pairs must be 100..4096\n");
		return -1;
	}
	/* The host stamps these two lines as they arrive (see the test). */
	rt_puts(DMA_NAME ": timing go\n");
	t_start = rt_rdtsc();
	for (unsigned int i = 0; i < n; i++) {
		uint64_t t0, t1, t2;
		int m, u;

		/*
		 * As Linux's viommu_sync_req() does: add the request, kick,
		 * spin on the used ring until it is back; nothing else in
		 * flight.
		 */
		t0 = rt_rdtsc();
		m = viommu_map_quiet(v, DOMAIN, IOVA_TIME,
				     (uint64_t)(uintptr_t)time_page, PAGE,
				     VIOMMU_MAP_F_READ | VIOMMU_MAP_F_WRITE);
		t1 = rt_rdtsc();
		u = viommu_unmap_quiet(v, DOMAIN, IOVA_TIME, PAGE);
		t2 = rt_rdtsc();
		map_ticks[i] = t1 - t0;
		unmap_ticks[i] = t2 - t1;
		if (m || u) {
			if (!bad++) {
				rt_puts(DMA_NAME ": timing: pair ");
				rt_put_dec(i);
				put_status(" map", m);
				put_status(" unmap", u);
				rt_putc('\n');
			}
			if (m < 0 || u < 0)
				break;
		}
	}
	t_end = rt_rdtsc();
	rt_puts(DMA_NAME ": timing end\n");
	vio_ack_irq(&v->dev);
	rt_puts(DMA_NAME ": loop pairs ");
	rt_put_dec(n);
	rt_puts(" ticks ");
	rt_put_dec(t_end - t_start);
	rt_puts(" kicks ");
	rt_put_dec(v->kicks - kicks);
	rt_puts(" saved ");
	rt_put_dec(v->kicks_saved - saved);
	rt_putc('\n');
	if (bad) {
		rt_puts(DMA_NAME ": timing: failed pairs ");
		rt_put_dec(bad);
		rt_putc('\n');
		return -1;
	}
	print_percentiles("map", map_ticks, n);
	print_percentiles("unmap", unmap_ticks, n);
	return 0;
}
