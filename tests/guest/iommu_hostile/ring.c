// SPDX-License-Identifier: Apache-2.0
/*
 * tests/guest/iommu_hostile/ring.c: abuse of the iommu's request queue
 * itself (virtio 1.2, 2.7): buffers outside RAM or in device registers,
 * descriptor loops, bad indirect tables, an avail index out of reach.
 * ignis's policy (devices/virtio/queue.h, GUARDS checklist): the queue is
 * broken, the device says DEVICE_NEEDS_RESET with a configuration change
 * notification, the VMM lives; ih_run() checks all that, then resets the
 * device and proves it works again. reset_forgets checks 5.13.5.
 */
#include "ih.h"

#define DOM 30 /* these checks' domain */

static struct viommu_req_map req;
static struct viommu_req_tail tl;
static struct vio_desc table[4] __attribute__((aligned(16)));

static void setd(uint16_t i, uint64_t addr, uint32_t len, uint16_t flags,
		 uint16_t next)
{
	struct vio_desc *d = &ih_rq_ring.desc[i];

	d->addr = addr;
	d->len = len;
	d->flags = flags;
	d->next = next;
}

/* Makes chain (head) available and notifies the request queue. */
static void post(uint16_t head)
{
	struct vio_queue *q = &ih_rq;

	q->r->avail.ring[q->avail_idx % q->size] = head;
	/* Descriptors and ring entry before the index (2.7.13). */
	ih_fence();
	q->avail_idx++;
	*(volatile uint16_t *)&q->r->avail.idx = q->avail_idx;
	ih_fence();
	vio_notify(&ih_dev, q);
}

/* req, a fresh MAP, readable in descriptor 0, chained to (next). */
static void map_at_head(uint16_t next)
{
	req = map_req(DOM, IOVA, PAGE, ih_pa);
	setd(0, (uintptr_t)&req, sizeof(req), VIO_DESC_F_NEXT, next);
}

/* A MAP through an indirect table of two entries, the request and its
 * tail, the tail's entry with (tail_flags); descriptor 0 names the table
 * as (len) bytes and is posted. */
static void post_indirect_map(uint16_t tail_flags, uint32_t len)
{
	req = map_req(DOM, IOVA, PAGE, ih_pa);
	table[0] = (struct vio_desc){ (uintptr_t)&req, sizeof(req),
				      VIO_DESC_F_NEXT, 1 };
	table[1] =
		(struct vio_desc){ (uintptr_t)&tl, sizeof(tl), tail_flags, 0 };
	setd(0, (uintptr_t)table, len, VIO_DESC_F_INDIRECT, 0);
	post(0);
}

/* A MAP whose readable part is at (addr, len). */
static void bad_readable(uint64_t addr, uint32_t len)
{
	req = map_req(DOM, IOVA, PAGE, ih_pa);
	setd(0, addr, len, VIO_DESC_F_NEXT, 1);
	setd(1, (uintptr_t)&tl, sizeof(tl), VIO_DESC_F_WRITE, 0);
	post(0);
}

/* Far beyond the 64 MiB of RAM (below 4 GiB: MMIO hole; above: none). */
static void desc_outside_ram(void)
{
	bad_readable(0x40000000000ULL, sizeof(req));
}

/* Starts in RAM, runs past its end. */
static void desc_spans_ram_end(void)
{
	bad_readable(0x4000000ULL - 16, sizeof(req));
}

/* addr + len wraps the 64-bit space. */
static void desc_wraps(void)
{
	bad_readable(~0ULL - 15, sizeof(req));
}

/* The iommu's own registers as the tail: DMA into a device (GUARDS
 * row 12) is refused, never emulated. */
static void desc_in_own_mmio(void)
{
	map_at_head(1);
	setd(1, VIO_SLOT_BASE(IH_SLOT) + 0x70, 4, VIO_DESC_F_WRITE, 0);
	post(0);
}

/* 0 -> 1 -> 2 -> 1: a loop of writable buffers. */
static void desc_loop(void)
{
	map_at_head(1);
	setd(1, (uintptr_t)&tl, sizeof(tl), VIO_DESC_F_WRITE | VIO_DESC_F_NEXT,
	     2);
	setd(2, (uintptr_t)&tl, sizeof(tl), VIO_DESC_F_WRITE | VIO_DESC_F_NEXT,
	     1);
	post(0);
}

static void desc_self_loop(void)
{
	map_at_head(0);
	post(0);
}

static void next_out_of_range(void)
{
	map_at_head(IH_QSIZE);
	post(0);
}

static void head_out_of_range(void)
{
	post(IH_QSIZE);
}

/* GUARDS row 4: avail->idx more than the queue size ahead. */
static void avail_idx_jump(void)
{
	ih_rq.avail_idx += IH_QSIZE;
	bad_readable((uintptr_t)&req, sizeof(req));
}

/* An indirect table whose second entry points back at the first. */
static void indirect_loop(void)
{
	post_indirect_map(VIO_DESC_F_WRITE | VIO_DESC_F_NEXT,
			  2 * sizeof(table[0]));
}

static void indirect_outside_ram(void)
{
	setd(0, 0x40000000000ULL, 2 * sizeof(table[0]), VIO_DESC_F_INDIRECT, 0);
	post(0);
}

/* A table length that is not a whole number of descriptors. */
static void indirect_len_24(void)
{
	post_indirect_map(VIO_DESC_F_WRITE, 24);
}

/*
 * 2.7.4.2: "The driver MUST place any device-writable descriptor
 * elements after any device-readable descriptor elements." The queue
 * refuses such a chain (GUARDS checklist) before the iommu sees it, so
 * viommu_req.c's own answer to it (used length 0) is never reached.
 */
static void readable_after_writable(void)
{
	map_at_head(1);
	setd(1, (uintptr_t)&tl, sizeof(tl), VIO_DESC_F_WRITE | VIO_DESC_F_NEXT,
	     2);
	setd(2, (uintptr_t)&req, 4, 0, 0);
	post(0);
}

/*
 * A reset while the queue is full of MAPs the device is working through:
 * the reset waits for the worker (devices/iommu/viommu.c), forgets every
 * domain, and the device comes back empty. Under ASan this is where a
 * use after free would show.
 */
static struct viommu_req_map many[IH_QSIZE / 2];
static struct viommu_req_tail many_tl[IH_QSIZE / 2];

static void reset_in_flight(void)
{
	struct viommu_req_map m = map_req(DOM, IOVA, PAGE, ih_pa);
	struct vio_queue *q = &ih_rq;

	if (fresh_domain(DOM))
		return;
	for (uint16_t i = 0; i < IH_QSIZE / 2; i++) {
		many[i] = map_req(DOM, IOVA + i * PAGE, PAGE, ih_pa);
		setd(2 * i, (uintptr_t)&many[i], sizeof(many[i]),
		     VIO_DESC_F_NEXT, 2 * i + 1);
		setd(2 * i + 1, (uintptr_t)&many_tl[i], sizeof(many_tl[i]),
		     VIO_DESC_F_WRITE, 0);
		q->r->avail.ring[q->avail_idx++ % q->size] = 2 * i;
	}
	ih_fence();
	*(volatile uint16_t *)&q->r->avail.idx = q->avail_idx;
	ih_fence();
	vio_notify(&ih_dev, q);
	vio_reset(&ih_dev);
	if (vio_status(&ih_dev) != 0) {
		fail_hex("reset, status", vio_status(&ih_dev));
		return;
	}
	if (ih_up(F_ALL, IH_QSIZE)) {
		fail_hex("re-init, status", vio_status(&ih_dev));
		return;
	}
	/* Whatever was done before the reset is gone with the domain. */
	expect(&m, sizeof(m), VIOMMU_S_NOENT);
}

/*
 * GUARDS rows 5 and 11: queue numbers are unsigned and checked against
 * the device's two queues. QueueNotify of a queue that does not exist is
 * dropped; QueueSel of one selects nothing (QueueNumMax reads 0) and the
 * queue registers then change nothing. The device stays live.
 */
static void notify_bad_queue(void)
{
	static const uint32_t bad[] = { 2, 3, 0xffff, 0x10000, 0xffffffffu };

	for (unsigned int i = 0; i < 5; i++)
		vio_write32(&ih_dev, VIO_R_QUEUE_NOTIFY, bad[i]);
}

static void queue_sel_out_of_range(void)
{
	static const uint32_t bad[] = { 2, 0x100, 0xffffffffu };
	uint32_t v;

	for (unsigned int i = 0; i < 3 && !failed(); i++) {
		vio_write32(&ih_dev, VIO_R_QUEUE_SEL, bad[i]);
		v = vio_read32(&ih_dev, VIO_R_QUEUE_NUM_MAX);
		if (v != 0)
			fail_hex("QueueNumMax of a missing queue", v);
		vio_write32(&ih_dev, VIO_R_QUEUE_NUM, 16);
		vio_write32(&ih_dev, VIO_R_QUEUE_READY, 1);
		if (vio_read32(&ih_dev, VIO_R_QUEUE_READY))
			fail("QueueReady of a missing queue reads 1");
	}
	vio_write32(&ih_dev, VIO_R_QUEUE_SEL, 0);
}

/* Kicks of the eventq, many: it holds buffers for fault reports, and a
 * kick must not make the device take them. */
static void eventq_kicks(void)
{
	for (unsigned int i = 0; i < 1000; i++)
		vio_write32(&ih_dev, VIO_R_QUEUE_NOTIFY, 1);
}

/* An indirect descriptor when INDIRECT_DESC was not negotiated. */
static void indirect_not_negotiated(void)
{
	if (ih_reinit(F_ALL & ~VIO_F_INDIRECT_DESC,
		      "setup without INDIRECT_DESC"))
		return;
	post_indirect_map(VIO_DESC_F_WRITE, 2 * sizeof(table[0]));
}

/* 5.13.5: "When the device is reset, endpoints are not attached to any
 * domain": a domain made before a reset is gone after it. */
static void reset_forgets(void)
{
	struct viommu_req_map m = map_req(DOM, IOVA, PAGE, ih_pa);

	if (fresh_domain(DOM) ||
	    must(&m, sizeof(m), VIOMMU_S_OK, "MAP, status"))
		return;
	if (ih_up(F_ALL, IH_QSIZE)) {
		fail_hex("re-init, status", vio_status(&ih_dev));
		return;
	}
	expect(&m, sizeof(m), VIOMMU_S_NOENT);
}

static const struct ih_check checks[] = {
	{ "ring_desc_outside_ram", desc_outside_ram, 1 },
	{ "ring_desc_spans_ram_end", desc_spans_ram_end, 1 },
	{ "ring_desc_wraps", desc_wraps, 1 },
	{ "ring_desc_in_own_mmio", desc_in_own_mmio, 1 },
	{ "ring_desc_loop", desc_loop, 1 },
	{ "ring_desc_self_loop", desc_self_loop, 1 },
	{ "ring_next_out_of_range", next_out_of_range, 1 },
	{ "ring_head_out_of_range", head_out_of_range, 1 },
	{ "ring_avail_idx_jump", avail_idx_jump, 1 },
	{ "ring_indirect_loop", indirect_loop, 1 },
	{ "ring_indirect_outside_ram", indirect_outside_ram, 1 },
	{ "ring_indirect_len_24", indirect_len_24, 1 },
	{ "ring_readable_after_writable", readable_after_writable, 1 },
	{ "ring_indirect_not_negotiated", indirect_not_negotiated, 1 },
	{ "notify_bad_queue", notify_bad_queue, 0 },
	{ "queue_sel_out_of_range", queue_sel_out_of_range, 0 },
	{ "eventq_kicks", eventq_kicks, 0 },
	{ "reset_forgets", reset_forgets, 0 },
	{ "reset_in_flight", reset_in_flight, 0 },
};

void ring_checks(void)
{
	ih_run(checks, sizeof(checks) / sizeof(checks[0]));
}
