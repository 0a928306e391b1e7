// SPDX-License-Identifier: Apache-2.0
/*
 * tests/guest/hostile/hostile.c: the hostile-guest test (issue 4): the
 * runner, a silent good driver for both devices, and guest_main().
 * transport.c attacks the register file, ring.c the virtqueues of both
 * devices, indirect.c indirect tables, blk.c virtio-blk requests.
 * Booted with --disk path=IMG --rng: blk in slot 0, rng in slot 1.
 */
#include "hostile.h"

#include "pvh.h"

/* Memory above the image that no attack aims at; ram_end must allow it. */
#define SCRATCH_BASE 0x1000000ULL /* 16 MiB */
#define SCRATCH_END 0x2000000ULL /* 32 MiB */

static struct vio_ring blk_ring, rng_ring;
struct hdev blk = { .ring = &blk_ring, .id = ID_BLK, .tag = "blk" };
struct hdev rng = { .ring = &rng_ring, .id = ID_RNG, .tag = "rng" };
uint64_t ram_end, scratch, capacity;

static struct blk_hdr good_hdr;
static uint8_t good_status;
static uint8_t good_buf[4096] __attribute__((aligned(4096)));
static uint8_t good_rnd[64] __attribute__((aligned(64)));

struct hdev *other(struct hdev *h)
{
	return h == &blk ? &rng : &blk;
}

uint32_t set_status(struct hdev *h, uint32_t v)
{
	vio_write32(&h->d, VIO_R_STATUS, v);
	return vio_read32(&h->d, VIO_R_STATUS);
}

int to_features_ok(struct hdev *h, uint64_t features)
{
	return vio_negotiate_quiet(&h->d, features, 0);
}

int up(struct hdev *h, uint64_t features, uint16_t size)
{
	if (to_features_ok(h, features) ||
	    vio_queue_setup(&h->d, &h->q, 0, size, h->ring))
		return -1;
	return set_status(h, 0x0f) == 0x0f ? 0 : -1;
}

void queue_raw(struct hdev *h, uint32_t size, uint64_t desc, uint64_t avail,
	       uint64_t used, uint32_t ready)
{
	struct vio_dev *d = &h->d;

	vio_write32(d, VIO_R_QUEUE_SEL, 0);
	vio_write32(d, VIO_R_QUEUE_NUM, size);
	vio_write32(d, VIO_R_QUEUE_DESC_LO, (uint32_t)desc);
	vio_write32(d, VIO_R_QUEUE_DESC_LO + 4, (uint32_t)(desc >> 32));
	vio_write32(d, VIO_R_QUEUE_DRIVER_LO, (uint32_t)avail);
	vio_write32(d, VIO_R_QUEUE_DRIVER_LO + 4, (uint32_t)(avail >> 32));
	vio_write32(d, VIO_R_QUEUE_DEVICE_LO, (uint32_t)used);
	vio_write32(d, VIO_R_QUEUE_DEVICE_LO + 4, (uint32_t)(used >> 32));
	vio_write32(d, VIO_R_QUEUE_READY, ready);
}

void setd(struct hdev *h, uint16_t i, uint64_t addr, uint32_t len,
	  uint16_t flags, uint16_t next)
{
	struct vio_desc *d = &h->ring->desc[i % VIO_QMAX];

	d->addr = addr;
	d->len = len;
	d->flags = flags;
	d->next = next;
}

void post(struct hdev *h, uint16_t head)
{
	struct vio_queue *q = &h->q;

	q->r->avail.ring[q->avail_idx % q->size] = head;
	/* Descriptors and ring entry before the index (2.7.13). */
	fence();
	q->avail_idx++;
	*(volatile uint16_t *)&q->r->avail.idx = q->avail_idx;
	fence();
	vio_notify(&h->d, q);
}

void expect_needs_reset(struct hdev *h)
{
	uint64_t t0 = rt_rdtsc();
	uint32_t st;

	while (!((st = vio_read32(&h->d, VIO_R_STATUS)) & VIO_S_NEEDS_RESET)) {
		if (rt_rdtsc() - t0 > VIO_POLL_TSC) {
			fail_hex("no DEVICE_NEEDS_RESET, status", st);
			return;
		}
		for (unsigned int i = 0; i < 1000; i++)
			__asm__ volatile("pause");
	}
	/* 2.1.2: "If DRIVER_OK is set, after it sets DEVICE_NEEDS_RESET,
	 * the device MUST send a device configuration change notification". */
	st = vio_read32(&h->d, VIO_R_INT_STATUS);
	if ((vio_read32(&h->d, VIO_R_STATUS) & VIO_S_DRIVER_OK) &&
	    !(st & VIO_INT_CONFIG))
		fail_hex("no config interrupt, InterruptStatus", st);
}

void expect_live(struct hdev *h)
{
	uint32_t st = vio_read32(&h->d, VIO_R_STATUS);

	if (st != 0x0f)
		fail_hex("device not live, status", st);
}

int blk_chain(const struct vio_buf *b, unsigned int n, uint32_t *used)
{
	uint32_t id;

	vio_add(&blk.q, 0, b, n);
	vio_notify(&blk.d, &blk.q);
	if (vio_wait(&blk.q, &id, used)) {
		fail("blk request timed out");
		return -1;
	}
	vio_ack_irq(&blk.d);
	if (id != 0) {
		fail_hex("blk used id", id);
		return -1;
	}
	return 0;
}

int blk_good(void)
{
	struct vio_buf b[3] = {
		{ &good_hdr, sizeof(good_hdr), 0 },
		{ good_buf, sizeof(good_buf), VIO_DESC_F_WRITE },
		{ &good_status, 1, VIO_DESC_F_WRITE },
	};
	uint32_t used;

	good_hdr = (struct blk_hdr){ T_IN, 0, 0 };
	good_status = 0xff;
	memset(good_buf, 0, sizeof(good_buf));
	if (blk_chain(b, 3, &used))
		return -1;
	if (good_status != S_OK || used != sizeof(good_buf) + 1) {
		fail_hex("blk good read, status", good_status);
		return -1;
	}
	for (unsigned int i = 0; i < sizeof(good_buf); i++) {
		if (good_buf[i] != pattern(i)) {
			fail_hex("blk good read differs at", i);
			return -1;
		}
	}
	return 0;
}

int rng_good(void)
{
	const struct vio_buf b = { good_rnd, sizeof(good_rnd),
				   VIO_DESC_F_WRITE };
	uint32_t id, len;
	uint8_t any = 0;

	memset(good_rnd, 0, sizeof(good_rnd));
	vio_add(&rng.q, 0, &b, 1);
	vio_notify(&rng.d, &rng.q);
	if (vio_wait(&rng.q, &id, &len)) {
		fail("rng good read timed out");
		return -1;
	}
	vio_ack_irq(&rng.d);
	for (unsigned int i = 0; i < sizeof(good_rnd); i++)
		any |= good_rnd[i];
	if (id != 0 || len != sizeof(good_rnd) || !any) {
		fail_hex("rng good read, used len", len);
		return -1;
	}
	return 0;
}

int good(struct hdev *h)
{
	return h == &blk ? blk_good() : rng_good();
}

/* The device works again after a reset (3.1.1 from the start). */
static void recover(struct hdev *h)
{
	if (up(h, 0, QSIZE)) {
		fail_hex("re-init after reset failed, status",
			 vio_read32(&h->d, VIO_R_STATUS));
		return;
	}
	good(h);
}

void run(const char *name, struct hdev *victim, void (*fn)(struct hdev *h))
{
	check_start();
	fn(victim);
	if (victim) {
		/* The other device kept working without a reset... */
		if (good(other(victim)))
			recover(other(victim));
		/* ...and the victim works after one. */
		recover(victim);
	} else {
		recover(&blk);
		recover(&rng);
	}
	check_end("hostile", name);
}

void run_both(const char *name, void (*fn)(struct hdev *h))
{
	static char buf[64];
	struct hdev *hs[2] = { &blk, &rng };

	for (unsigned int i = 0; i < 2; i++) {
		unsigned int n = 0;

		for (const char *s = hs[i]->tag; *s; s++)
			buf[n++] = *s;
		buf[n++] = '_';
		for (const char *s = name; *s && n < sizeof(buf) - 1; s++)
			buf[n++] = *s;
		buf[n] = '\0';
		run(buf, hs[i], fn);
	}
}

/* The end of the RAM range holding 1 MiB, from the PVH memory map. */
static int find_ram(unsigned int proto, uint64_t info)
{
	const struct hvm_start_info *si = pvh_start_info(proto, info);
	const struct hvm_memmap_entry *e;
	uint32_t n;

	if (!si || si->magic != HVM_START_MAGIC || !(e = pvh_memmap(si, &n)))
		return -1;
	for (uint32_t i = 0; i < n; i++)
		if (e[i].type == PVH_MEMMAP_RAM && e[i].addr <= 0x100000 &&
		    e[i].addr + e[i].size > 0x100000)
			ram_end = e[i].addr + e[i].size;
	return ram_end ? 0 : -1;
}

static void baseline(struct hdev *h)
{
}

void guest_main(unsigned int proto, uint64_t info)
{
	rt_puts("hostile: start\n");
	if (find_ram(proto, info) || ram_end < 2 * SCRATCH_END ||
	    ram_end > (1ULL << 30) ||
	    (uint64_t)(uintptr_t)rt_image_end > SCRATCH_BASE) {
		rt_puts("hostile: setup FAILED memory map (want 64M-1G)\n");
		return;
	}
	scratch = SCRATCH_BASE;
	if (vio_probe(&blk.d, VIO_SLOT_BASE(0), ID_BLK, "hostile-blk") ||
	    vio_probe(&rng.d, VIO_SLOT_BASE(1), ID_RNG, "hostile-rng") ||
	    up(&blk, 0, QSIZE) || up(&rng, 0, QSIZE)) {
		rt_puts("hostile: setup FAILED devices\n");
		return;
	}
	capacity = vio_config32(&blk.d, 0) | (uint64_t)vio_config32(&blk.d, 4)
						     << 32;
	if (capacity < 256) {
		rt_puts("hostile: setup FAILED disk under 128 KiB\n");
		return;
	}
	run("baseline", 0, baseline);
	transport_attacks();
	ring_attacks();
	indirect_attacks();
	blk_attacks();
	check_summary("hostile");
	vio_reset(&blk.d);
	vio_reset(&rng.d);
}
