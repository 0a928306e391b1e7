// SPDX-License-Identifier: Apache-2.0
/*
 * tests/guest/hostile/ring.c: attacks on split virtqueues (virtio 1.2, 2.7)
 * against both devices: loops, bad indices, bad flags, buffers outside RAM,
 * lengths that overflow; GUARDS rows 2, 4, 10, 12, 13 and the chain
 * checklist. Policy (devices/virtio/queue.h): every violation marks the
 * queue broken and the device DEVICE_NEEDS_RESET.
 */
#include "hostile.h"

static struct blk_hdr hdr;
static uint8_t buf[4096] __attribute__((aligned(4096)));
static uint8_t st_byte;

/* Descriptor (i) starting a chain on (h): a blk read header, or a 64-byte
 * rng buffer. (flags) are added; the chain continues at (next) if
 * VIO_DESC_F_NEXT is among them. */
static void lead(struct hdev *h, uint16_t i, uint16_t flags, uint16_t next)
{
	if (h->id == ID_BLK) {
		hdr = (struct blk_hdr){ T_IN, 0, 0 };
		setd(h, i, (uintptr_t)&hdr, sizeof(hdr), flags, next);
	} else {
		setd(h, i, (uintptr_t)buf, 64, VIO_DESC_F_WRITE | flags, next);
	}
}

static int fresh(struct hdev *h, uint64_t features, uint16_t size)
{
	if (up(h, features, size)) {
		fail("setup");
		return -1;
	}
	return 0;
}

/* lead -> one buffer (addr, len) -> end: the buffer is the attack. */
static void bad_buffer(struct hdev *h, uint64_t addr, uint32_t len)
{
	if (fresh(h, 0, QSIZE))
		return;
	lead(h, 0, VIO_DESC_F_NEXT, 1);
	setd(h, 1, addr, len, VIO_DESC_F_WRITE, 0);
	post(h, 0);
	expect_needs_reset(h);
}

static void desc_self_loop(struct hdev *h)
{
	if (fresh(h, 0, QSIZE))
		return;
	lead(h, 0, VIO_DESC_F_NEXT, 0);
	post(h, 0);
	expect_needs_reset(h);
}

static void desc_loop(struct hdev *h)
{
	if (fresh(h, 0, QSIZE))
		return;
	/* 0 -> 1 -> 2 -> 1: a loop of writable buffers (a blk loop back to
	 * its readable header would be caught as readable-after-writable). */
	lead(h, 0, VIO_DESC_F_NEXT, 1);
	setd(h, 1, (uintptr_t)buf + 512, 512,
	     VIO_DESC_F_WRITE | VIO_DESC_F_NEXT, 2);
	setd(h, 2, (uintptr_t)buf + 1024, 512,
	     VIO_DESC_F_WRITE | VIO_DESC_F_NEXT, 1);
	post(h, 0);
	expect_needs_reset(h);
}

/* 2.7.5.3.1: "A driver MUST NOT create a descriptor chain longer than the
 * Queue Size of the device": every descriptor of an 8-entry table, and a
 * ninth hop back to the first. */
static void chain_longer_than_queue(struct hdev *h)
{
	if (fresh(h, 0, 8))
		return;
	lead(h, 0, VIO_DESC_F_NEXT, 1);
	for (uint16_t i = 1; i < 8; i++)
		setd(h, i, (uintptr_t)buf + 512 * (i % 8), 512,
		     VIO_DESC_F_WRITE | VIO_DESC_F_NEXT, (i + 1) % 8);
	post(h, 0);
	expect_needs_reset(h);
}

static void next_out_of_range(struct hdev *h)
{
	if (fresh(h, 0, QSIZE))
		return;
	lead(h, 0, VIO_DESC_F_NEXT, QSIZE);
	post(h, 0);
	expect_needs_reset(h);
}

static void next_ffff(struct hdev *h)
{
	if (fresh(h, 0, QSIZE))
		return;
	lead(h, 0, VIO_DESC_F_NEXT, 0xffff);
	post(h, 0);
	expect_needs_reset(h);
}

static void head_out_of_range(struct hdev *h)
{
	if (fresh(h, 0, QSIZE))
		return;
	lead(h, 0, 0, 0);
	post(h, QSIZE);
	expect_needs_reset(h);
}

static void head_ffff(struct hdev *h)
{
	if (fresh(h, 0, QSIZE))
		return;
	lead(h, 0, 0, 0);
	post(h, 0xffff);
	expect_needs_reset(h);
}

/* GUARDS 4: avail->idx more than the queue size ahead of the device. */
static void avail_idx_jump(struct hdev *h)
{
	if (fresh(h, 0, QSIZE))
		return;
	lead(h, 0, 0, 0);
	h->q.avail_idx += QSIZE;
	post(h, 0); /* QSIZE + 1 new entries */
	expect_needs_reset(h);
}

static void avail_idx_backwards(struct hdev *h)
{
	if (fresh(h, 0, QSIZE) || good(h))
		return;
	*(volatile uint16_t *)&h->ring->avail.idx = 0xffff;
	fence();
	vio_notify(&h->d, &h->q);
	expect_needs_reset(h);
}

/* Exactly a full ring at once is legal: all served, no error. */
static void avail_full_ring(struct hdev *h)
{
	uint8_t *mem = (uint8_t *)(uintptr_t)scratch;
	uint32_t id, len;

	if (fresh(h, 0, QSIZE))
		return;
	for (uint16_t i = 0; i < QSIZE; i++) {
		if (h->id == ID_BLK) {
			/* One descriptor cannot make a request: the device
			 * answers each with used len 0 (no status byte). */
			setd(h, i, (uintptr_t)&hdr, sizeof(hdr), 0, 0);
		} else {
			setd(h, i, (uintptr_t)mem + 64 * i, 64,
			     VIO_DESC_F_WRITE, 0);
		}
		h->ring->avail.ring[i] = i;
	}
	hdr = (struct blk_hdr){ T_IN, 0, 0 };
	fence();
	h->q.avail_idx = QSIZE;
	*(volatile uint16_t *)&h->ring->avail.idx = QSIZE;
	fence();
	vio_notify(&h->d, &h->q);
	for (uint16_t i = 0; i < QSIZE && !failed(); i++) {
		if (vio_wait(&h->q, &id, &len))
			fail_hex("entries served", i);
		else if (len != (h->id == ID_BLK ? 0 : 64u))
			fail_hex("used len", len);
	}
	expect_live(h);
}

static void unknown_flag_8(struct hdev *h)
{
	if (fresh(h, 0, QSIZE))
		return;
	lead(h, 0, 0x8, 0);
	post(h, 0);
	expect_needs_reset(h);
}

static void unknown_flag_8000(struct hdev *h)
{
	if (fresh(h, 0, QSIZE))
		return;
	lead(h, 0, 0x8000, 0);
	post(h, 0);
	expect_needs_reset(h);
}

/* 2.7.4.2: "The driver MUST place any device-writable descriptor elements
 * after any device-readable descriptor elements." */
static void readable_after_writable(struct hdev *h)
{
	if (fresh(h, 0, QSIZE))
		return;
	lead(h, 0, VIO_DESC_F_NEXT, 1);
	setd(h, 1, (uintptr_t)buf + 512, 512,
	     VIO_DESC_F_WRITE | VIO_DESC_F_NEXT, 2);
	setd(h, 2, (uintptr_t)&st_byte, 1, 0, 0);
	post(h, 0);
	expect_needs_reset(h);
}

/* 2.7.5.3.1: "The driver MUST NOT set the VIRTQ_DESC_F_INDIRECT flag
 * unless the VIRTIO_F_INDIRECT_DESC feature was negotiated." */
static void indirect_not_negotiated(struct hdev *h)
{
	static struct vio_desc tbl[1] __attribute__((aligned(16)));

	if (fresh(h, 0, QSIZE))
		return;
	tbl[0] = (struct vio_desc){ (uintptr_t)buf + 512, 512, VIO_DESC_F_WRITE,
				    0 };
	lead(h, 0, VIO_DESC_F_NEXT, 1);
	setd(h, 1, (uintptr_t)tbl, sizeof(tbl), VIO_DESC_F_INDIRECT, 0);
	post(h, 0);
	expect_needs_reset(h);
}

/* GUARDS 2 / 12: every buffer inside one RAM region, never MMIO. */
static void buf_outside_ram(struct hdev *h)
{
	bad_buffer(h, ram_end + 0x100000, 512);
}

static void buf_spans_ram_end(struct hdev *h)
{
	bad_buffer(h, ram_end - 256, 512);
}

static void buf_above_4g(struct hdev *h)
{
	bad_buffer(h, 0x100000000ULL, 512);
}

static void buf_wraps(struct hdev *h)
{
	bad_buffer(h, 0xfffffffffffff000ULL, 0x2000);
}

static void buf_in_own_mmio(struct hdev *h)
{
	bad_buffer(h, h->d.base, 256);
}

static void buf_in_other_mmio(struct hdev *h)
{
	bad_buffer(h, other(h)->d.base, 256);
}

static void buf_in_ioapic(struct hdev *h)
{
	bad_buffer(h, IOAPIC_BASE, 64);
}

static void buf_len_ffffffff(struct hdev *h)
{
	bad_buffer(h, scratch, 0xffffffff);
}

/*
 * 2.7.5: "The total length of the buffers in a chain MUST NOT exceed
 * 2^32" (used.len is 32-bit): buffers that each fit in RAM, overlapping,
 * summing past 4 GiB.
 */
static void chain_total_over_4g(struct hdev *h)
{
	uint64_t base = scratch + 0x1000000, per = ram_end - base;
	uint64_t n = 0xffffffffULL / per + 2;

	if (n + 1 > VIO_QMAX) {
		fail("RAM too small for this attack");
		return;
	}
	if (fresh(h, 0, VIO_QMAX))
		return;
	lead(h, 0, VIO_DESC_F_NEXT, 1);
	for (uint16_t i = 1; i <= n; i++)
		setd(h, i, base, (uint32_t)per,
		     VIO_DESC_F_WRITE | (i < n ? VIO_DESC_F_NEXT : 0), i + 1);
	post(h, 0);
	expect_needs_reset(h);
}

/* Zero-length descriptors are skipped, never translated (queue.h
 * policy): one at a wild address does not break the chain. */
static void zero_len_wild_addr(struct hdev *h)
{
	uint32_t id, len;

	if (fresh(h, 0, QSIZE))
		return;
	st_byte = 0xff;
	lead(h, 0, VIO_DESC_F_NEXT, 1);
	setd(h, 1, 0xdead000000000000ULL, 0, VIO_DESC_F_WRITE | VIO_DESC_F_NEXT,
	     2);
	if (h->id == ID_BLK) {
		setd(h, 2, (uintptr_t)buf, 512,
		     VIO_DESC_F_WRITE | VIO_DESC_F_NEXT, 3);
		setd(h, 3, (uintptr_t)&st_byte, 1, VIO_DESC_F_WRITE, 0);
	} else {
		setd(h, 2, (uintptr_t)buf + 64, 64, VIO_DESC_F_WRITE, 0);
	}
	post(h, 0);
	if (vio_wait(&h->q, &id, &len)) {
		fail("not served");
		return;
	}
	if (len != (h->id == ID_BLK ? 513u : 128u))
		fail_hex("used len", len);
	if (h->id == ID_BLK && st_byte != S_OK)
		fail_hex("blk status", st_byte);
	expect_live(h);
}

/* A chain of nothing but a zero-length buffer: completed, used len 0. */
static void zero_len_only(struct hdev *h)
{
	uint32_t id, len;

	if (fresh(h, 0, QSIZE))
		return;
	setd(h, 0, (uintptr_t)buf, 0, VIO_DESC_F_WRITE, 0);
	post(h, 0);
	if (vio_wait(&h->q, &id, &len))
		fail("not completed");
	else if (len)
		fail_hex("used len", len);
	expect_live(h);
}

/* The same head twice in the avail ring (a driver reusing a chain in
 * flight): served twice or refused, but the device must stay sane. */
static void duplicate_head(struct hdev *h)
{
	uint32_t id, len;
	uint16_t n = h->id == ID_BLK ? 64 : QSIZE;

	if (fresh(h, 0, QSIZE))
		return;
	if (h->id == ID_BLK) {
		hdr = (struct blk_hdr){ T_IN, 0, 0 };
		setd(h, 0, (uintptr_t)&hdr, sizeof(hdr), VIO_DESC_F_NEXT, 1);
		setd(h, 1, (uintptr_t)buf, 512,
		     VIO_DESC_F_WRITE | VIO_DESC_F_NEXT, 2);
		setd(h, 2, (uintptr_t)&st_byte, 1, VIO_DESC_F_WRITE, 0);
	} else {
		setd(h, 0, (uintptr_t)buf, 64, VIO_DESC_F_WRITE, 0);
	}
	for (uint16_t i = 0; i < n; i++)
		h->ring->avail.ring[i] = 0;
	fence();
	h->q.avail_idx = n;
	*(volatile uint16_t *)&h->ring->avail.idx = n;
	fence();
	vio_notify(&h->d, &h->q);
	for (uint16_t i = 0; i < n; i++) {
		if (vio_read32(&h->d, VIO_R_STATUS) & VIO_S_NEEDS_RESET)
			return;
		if (vio_wait(&h->q, &id, &len)) {
			if (!(vio_read32(&h->d, VIO_R_STATUS) & VIO_S_NEEDS_RESET))
				fail_hex("neither served nor refused, at", i);
			return;
		}
	}
}

/* The used ring on top of the descriptor table: the device scribbles on
 * the driver's descriptors, which is the driver's problem; the device
 * may serve or refuse but must survive. */
static void ring_overlap(struct hdev *h)
{
	uint64_t t0;

	if (to_features_ok(h, 0)) {
		fail("setup");
		return;
	}
	memset(h->ring, 0, sizeof(*h->ring));
	queue_raw(h, 8, (uintptr_t)h->ring->desc, (uintptr_t)&h->ring->avail,
		  (uintptr_t)h->ring->desc, 1);
	if (set_status(h, 0x0f) != 0x0f) {
		fail("setup");
		return;
	}
	h->q = (struct vio_queue){ h->ring, 8, 0, 0, 0 };
	lead(h, 0, 0, 0);
	post(h, 0);
	t0 = rt_rdtsc();
	while (rt_rdtsc() - t0 < SHORT_TSC)
		__asm__ volatile("pause");
}

/* Queue size 1 is a power of two: legal, and must work. */
static void queue_size_1(struct hdev *h)
{
	uint32_t id, len;

	if (fresh(h, 0, 1))
		return;
	for (unsigned int i = 0; i < 3 && !failed(); i++) {
		setd(h, 0, (uintptr_t)buf, 64, VIO_DESC_F_WRITE, 0);
		post(h, 0);
		if (vio_wait(&h->q, &id, &len) || len != 64)
			fail_hex("read", i);
	}
	expect_live(h);
}

void ring_attacks(void)
{
	run_both("desc_self_loop", desc_self_loop);
	run_both("desc_loop", desc_loop);
	run_both("chain_longer_than_queue", chain_longer_than_queue);
	run_both("next_out_of_range", next_out_of_range);
	run_both("next_ffff", next_ffff);
	run_both("head_out_of_range", head_out_of_range);
	run_both("head_ffff", head_ffff);
	run_both("avail_idx_jump", avail_idx_jump);
	run_both("avail_idx_backwards", avail_idx_backwards);
	run_both("avail_full_ring", avail_full_ring);
	run_both("unknown_flag_8", unknown_flag_8);
	run_both("unknown_flag_8000", unknown_flag_8000);
	run_both("readable_after_writable", readable_after_writable);
	run_both("indirect_not_negotiated", indirect_not_negotiated);
	run_both("buf_outside_ram", buf_outside_ram);
	run_both("buf_spans_ram_end", buf_spans_ram_end);
	run_both("buf_above_4g", buf_above_4g);
	run_both("buf_wraps", buf_wraps);
	run_both("buf_in_own_mmio", buf_in_own_mmio);
	run_both("buf_in_other_mmio", buf_in_other_mmio);
	run_both("buf_in_ioapic", buf_in_ioapic);
	run_both("buf_len_ffffffff", buf_len_ffffffff);
	run_both("chain_total_over_4g", chain_total_over_4g);
	run_both("zero_len_wild_addr", zero_len_wild_addr);
	run_both("zero_len_only", zero_len_only);
	run_both("duplicate_head", duplicate_head);
	run_both("ring_overlap", ring_overlap);
	run("rng_queue_size_1", &rng, queue_size_1);
}
