// SPDX-License-Identifier: Apache-2.0
/*
 * tests/guest/iommu_hostile/flood.c: a guest that maps until the device
 * says no. FLOOD_N MAPs of distinct 4 KiB pages into one domain, the
 * per-domain limit ignis sets (vmm/builder.c: max_mappings 1 << 20), all
 * OK; the next MAP gets NOMEM ("Insufficient resources", 5.13.6); one
 * UNMAP of the whole range removes them all (OK); a MAP works again.
 *
 * The flood keeps the request queue full: every chain is one indirect
 * descriptor (a table of the request and its tail), so all IH_QSIZE
 * entries are requests in flight, and each answer is refilled at once.
 * The iommu polls its queue while requests keep coming, so kicks are sent
 * only when the device asks for them (VIRTQ_USED_F_NO_NOTIFY clear; a
 * second, shorter flood negotiates EVENT_IDX and follows avail_event).
 * The guest prints the flood's ticks and kicks between "flood go" and
 * "flood end" lines, which the host stamps as they come
 * (tests/integration/test_iommu_hostile.c).
 */
#include "ih.h"

#define FLOOD_N (1u << 20) /* ignis's per-domain limit */
#define DOM 40 /* the flooded domain */
#define USED_F_NO_NOTIFY 1
#define EVT_IDX_N 200000 /* flood_event_idx's MAPs */

/* need_kick() reads avail_event as struct vio_ring's field. */
_Static_assert(IH_QSIZE == VIO_QMAX, "requestq fills struct vio_ring");

/* Per queue entry: the indirect table, the request and its tail. */
static struct vio_desc tables[IH_QSIZE][2] __attribute__((aligned(16)));
static struct viommu_req_map reqs[IH_QSIZE];
static struct viommu_req_tail tails[IH_QSIZE];

static unsigned int kicks;
static uint32_t flood_dom; /* the domain being flooded */
static uint16_t published; /* avail->idx at the last publish() */

/* Page (k) of the flood at IOVA + k pages, all to one page of RAM. */
static void fill(uint16_t slot, uint32_t k)
{
	reqs[slot] = map_req(flood_dom, IOVA + (uint64_t)k * PAGE, PAGE, ih_pa);
	tails[slot] = (struct viommu_req_tail){ S_NONE, { 0xff, 0xff, 0xff } };
	ih_rq_ring.avail.ring[ih_rq.avail_idx % IH_QSIZE] = slot;
	ih_rq.avail_idx++;
}

/* Whether the device asked for a kick for entries old..new-1: with
 * EVENT_IDX its avail_event, after the used ring (2.7.10; Linux
 * vring_need_event(); the queue is VIO_QMAX long, so that is the
 * struct's field), else VIRTQ_USED_F_NO_NOTIFY clear. */
static int need_kick(uint16_t old, uint16_t new)
{
	uint16_t event;

	if (ih_dev.features & VIO_F_EVENT_IDX) {
		event = *(volatile uint16_t *)&ih_rq_ring.used.avail_event;
		return (uint16_t)(new - event - 1) < (uint16_t)(new - old);
	}
	return !(*(volatile uint16_t *)&ih_rq_ring.used.flags &
		 USED_F_NO_NOTIFY);
}

/* avail->idx after the entries (2.7.13), then a kick if asked for. */
static void publish(void)
{
	ih_fence();
	*(volatile uint16_t *)&ih_rq_ring.avail.idx = ih_rq.avail_idx;
	/* Pairs with the device's barrier between re-enabling kicks and
	 * its last look at avail->idx (devices/virtio/queue.c). */
	ih_fence();
	if (need_kick(published, ih_rq.avail_idx)) {
		vio_notify(&ih_dev, &ih_rq);
		kicks++;
	}
	published = ih_rq.avail_idx;
}

/*
 * (n) MAPs of pages IOVA.. in (dom), all answered OK, the queue kept
 * full. Prints the "flood go" and "flood end" lines around it when
 * (say). 0, or -1 after fail().
 */
static int flood_run(uint32_t dom, uint32_t n, int say)
{
	uint32_t issued = 0, done = 0;
	uint64_t t0, t_last;

	flood_dom = dom;
	kicks = 0;
	published = ih_rq.avail_idx;
	for (uint16_t i = 0; i < IH_QSIZE; i++) {
		tables[i][0] =
			(struct vio_desc){ (uintptr_t)&reqs[i], sizeof(reqs[i]),
					   VIO_DESC_F_NEXT, 1 };
		tables[i][1] = (struct vio_desc){ (uintptr_t)&tails[i],
						  sizeof(tails[i]),
						  VIO_DESC_F_WRITE, 0 };
		ih_rq_ring.desc[i] =
			(struct vio_desc){ (uintptr_t)tables[i],
					   sizeof(tables[i]),
					   VIO_DESC_F_INDIRECT, 0 };
	}
	if (say)
		rt_puts("iommu_hostile: flood go\n");
	t0 = t_last = rt_rdtsc();
	for (; issued < IH_QSIZE && issued < n; issued++)
		fill((uint16_t)issued, issued);
	publish();
	while (done < n) {
		volatile uint16_t *idx = &ih_rq_ring.used.idx;
		int refilled = 0;

		if (*idx == ih_rq.used_seen) {
			if (rt_rdtsc() - t_last > VIO_POLL_TSC) {
				fail_hex("stalled after MAPs", done);
				return -1;
			}
			__asm__ volatile("pause" ::: "memory");
			continue;
		}
		__asm__ volatile("lfence" ::: "memory");
		while (*idx != ih_rq.used_seen) {
			uint16_t at = ih_rq.used_seen % IH_QSIZE;
			uint32_t id = ih_rq_ring.used.ring[at].id;
			uint32_t len = ih_rq_ring.used.ring[at].len;

			ih_rq.used_seen++;
			if (id >= IH_QSIZE ||
			    len != sizeof(struct viommu_req_tail)) {
				fail_hex("used entry, len", len);
				return -1;
			}
			if (tails[id].status != VIOMMU_S_OK) {
				fail_hex("MAP refused, status",
					 tails[id].status);
				return -1;
			}
			done++;
			if (issued < n) {
				fill((uint16_t)id, issued++);
				refilled = 1;
			}
		}
		if (refilled)
			publish();
		t_last = rt_rdtsc();
	}
	if (!say)
		return 0;
	rt_puts("iommu_hostile: flood end\n");
	rt_puts("iommu_hostile: flood maps ");
	rt_put_dec(done);
	rt_puts(" ticks ");
	rt_put_dec(rt_rdtsc() - t0);
	rt_puts(" kicks ");
	rt_put_dec(kicks);
	rt_putc('\n');
	return 0;
}

/* FLOOD_N MAPs, all answered OK. */
static void flood(void)
{
	if (!fresh_domain(DOM))
		flood_run(DOM, FLOOD_N, 1);
}

/* One past the limit: NOMEM, and nothing changed. */
static void flood_limit(void)
{
	struct viommu_req_map past =
		map_req(DOM, IOVA + (uint64_t)FLOOD_N * PAGE, PAGE, ih_pa);
	struct viommu_req_map dup =
		map_req(DOM, IOVA + 12345 * PAGE, PAGE, ih_pa);

	if (expect(&past, sizeof(past), VIOMMU_S_NOMEM))
		return;
	/* The store still checks overlap before its limit. */
	expect(&dup, sizeof(dup), VIOMMU_S_INVAL);
}

/* One UNMAP over the whole flooded range removes every mapping: OK, and
 * then both ends and the middle map again. */
static void flood_unmap(void)
{
	struct viommu_req_unmap all =
		unmap_req(DOM, IOVA, (uint64_t)FLOOD_N * PAGE);
	struct viommu_req_map first = map_req(DOM, IOVA, PAGE, ih_pa);
	struct viommu_req_map mid =
		map_req(DOM, IOVA + 777777 * PAGE, PAGE, ih_pa);
	struct viommu_req_map past =
		map_req(DOM, IOVA + (uint64_t)FLOOD_N * PAGE, PAGE, ih_pa);

	if (expect(&all, sizeof(all), VIOMMU_S_OK) ||
	    expect(&first, sizeof(first), VIOMMU_S_OK) ||
	    expect(&mid, sizeof(mid), VIOMMU_S_OK))
		return;
	expect(&past, sizeof(past), VIOMMU_S_OK);
}

/* The same with EVENT_IDX (2.7.10): kicks only where avail_event asks,
 * so a device that forgot to move it would stall the flood. */
static void flood_event_idx(void)
{
	struct viommu_req_unmap all =
		unmap_req(DOM + 1, IOVA, (uint64_t)EVT_IDX_N * PAGE);

	if (ih_reinit(F_ALL | VIO_F_EVENT_IDX, "setup with EVENT_IDX"))
		return;
	if (!(ih_dev.features & VIO_F_EVENT_IDX)) {
		fail("EVENT_IDX not offered");
		return;
	}
	if (fresh_domain(DOM + 1) || flood_run(DOM + 1, EVT_IDX_N, 0))
		return;
	expect(&all, sizeof(all), VIOMMU_S_OK);
}

static const struct ih_check checks[] = {
	{ "flood", flood, 0 },
	{ "flood_limit", flood_limit, 0 },
	{ "flood_unmap", flood_unmap, 0 },
	{ "flood_event_idx", flood_event_idx, 0 },
};

void flood_checks(void)
{
	ih_run(checks, sizeof(checks) / sizeof(checks[0]));
}
