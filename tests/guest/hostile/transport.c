// SPDX-License-Identifier: Apache-2.0
/*
 * tests/guest/hostile/transport.c: attacks on the virtio-mmio register file
 * and status machine (virtio 1.2, 3.1.1, 4.2.2), GUARDS rows 1, 5 and 12.
 */
#include "hostile.h"

static uint8_t rnd[64] __attribute__((aligned(64)));
static struct blk_hdr hdr;
static uint8_t st_byte;
static uint8_t data[512] __attribute__((aligned(512)));

static uint8_t rd8(uint64_t a)
{
	return *(volatile uint8_t *)(uintptr_t)a;
}

static uint16_t rd16(uint64_t a)
{
	return *(volatile uint16_t *)(uintptr_t)a;
}

static uint32_t rd32(uint64_t a)
{
	return *(volatile uint32_t *)(uintptr_t)a;
}

static uint64_t rd64(uint64_t a)
{
	return *(volatile uint64_t *)(uintptr_t)a;
}

static void wr8(uint64_t a, uint8_t v)
{
	*(volatile uint8_t *)(uintptr_t)a = v;
}

static void wr16(uint64_t a, uint16_t v)
{
	*(volatile uint16_t *)(uintptr_t)a = v;
}

static void wr64(uint64_t a, uint64_t v)
{
	*(volatile uint64_t *)(uintptr_t)a = v;
}

/* One harmless request on descriptor 0 of (h): a 64-byte rng read, or a
 * one-sector blk read (descriptors 0-2). Does not notify. */
static void put_request(struct hdev *h)
{
	if (h->id == ID_RNG) {
		setd(h, 0, (uintptr_t)rnd, sizeof(rnd), VIO_DESC_F_WRITE, 0);
	} else {
		hdr = (struct blk_hdr){ T_IN, 0, 0 };
		setd(h, 0, (uintptr_t)&hdr, sizeof(hdr), VIO_DESC_F_NEXT, 1);
		setd(h, 1, (uintptr_t)data, sizeof(data),
		     VIO_DESC_F_WRITE | VIO_DESC_F_NEXT, 2);
		setd(h, 2, (uintptr_t)&st_byte, 1, VIO_DESC_F_WRITE, 0);
	}
	h->q.r->avail.ring[h->q.avail_idx % h->q.size] = 0;
	fence();
	h->q.avail_idx++;
	*(volatile uint16_t *)&h->q.r->avail.idx = h->q.avail_idx;
	fence();
}

/* 3.1.1: status bits are set one at a time, in order; anything else is
 * refused and Status keeps its value. */
static void status_skip_step(struct hdev *h)
{
	uint32_t st;

	set_status(h, 0);
	if ((st = set_status(h, VIO_S_DRIVER)) != 0)
		fail_hex("DRIVER before ACKNOWLEDGE taken, status", st);
	set_status(h, VIO_S_ACKNOWLEDGE);
	if ((st = set_status(h, 0x0b)) != VIO_S_ACKNOWLEDGE)
		fail_hex("two bits at once taken, status", st);
	if ((st = set_status(h, 0x100 | 0x03)) != VIO_S_ACKNOWLEDGE)
		fail_hex("bit 8 taken, status", st);
}

static void driver_ok_without_features_ok(struct hdev *h)
{
	uint32_t st, id, len;

	set_status(h, 0);
	set_status(h, VIO_S_ACKNOWLEDGE);
	set_status(h, 0x03);
	vio_write32(&h->d, VIO_R_DRV_FEATURES_SEL, 1);
	vio_write32(&h->d, VIO_R_DRV_FEATURES, 1); /* VERSION_1 */
	/* Queue registers before FEATURES_OK are not taken (CVE-2026-5747). */
	queue_raw(h, 8, (uintptr_t)h->ring->desc, (uintptr_t)&h->ring->avail,
		  (uintptr_t)&h->ring->used, 1);
	if (vio_read32(&h->d, VIO_R_QUEUE_READY))
		fail("QueueReady taken before FEATURES_OK");
	if ((st = set_status(h, 0x07)) != 0x03)
		fail_hex("DRIVER_OK without FEATURES_OK taken, status", st);
	memset(h->ring, 0, sizeof(*h->ring));
	h->q = (struct vio_queue){ h->ring, 8, 0, 0, 0 };
	put_request(h);
	vio_notify(&h->d, &h->q);
	if (!vio_wait_tsc(&h->q, SHORT_TSC, &id, &len))
		fail("a device that is not live served a request");
}

static void features_ok_without_version_1(struct hdev *h)
{
	uint32_t st;

	set_status(h, 0);
	set_status(h, VIO_S_ACKNOWLEDGE);
	set_status(h, 0x03);
	vio_write32(&h->d, VIO_R_DRV_FEATURES_SEL, 0);
	vio_write32(&h->d, VIO_R_DRV_FEATURES, 0);
	vio_write32(&h->d, VIO_R_DRV_FEATURES_SEL, 1);
	vio_write32(&h->d, VIO_R_DRV_FEATURES, 0);
	/* 6.1: a modern device refuses a driver without VERSION_1. */
	if ((st = set_status(h, 0x0b)) & VIO_S_FEATURES_OK)
		fail_hex("FEATURES_OK without VERSION_1, status", st);
}

/* 2.2.1: accepting what was not offered fails FEATURES_OK. */
static void features_not_offered(struct hdev *h)
{
	uint32_t off, bit = 0, st;

	set_status(h, 0);
	set_status(h, VIO_S_ACKNOWLEDGE);
	set_status(h, 0x03);
	vio_write32(&h->d, VIO_R_DEV_FEATURES_SEL, 0);
	off = vio_read32(&h->d, VIO_R_DEV_FEATURES);
	while (bit < 32 && (off & (1u << bit)))
		bit++;
	vio_write32(&h->d, VIO_R_DRV_FEATURES_SEL, 0);
	vio_write32(&h->d, VIO_R_DRV_FEATURES, off | 1u << (bit & 31));
	vio_write32(&h->d, VIO_R_DRV_FEATURES_SEL, 1);
	vio_write32(&h->d, VIO_R_DRV_FEATURES, 1);
	if ((st = set_status(h, 0x0b)) & VIO_S_FEATURES_OK)
		fail_hex("unoffered feature accepted, status", st);
}

static void features_above_63(struct hdev *h)
{
	uint32_t st;

	set_status(h, 0);
	set_status(h, VIO_S_ACKNOWLEDGE);
	set_status(h, 0x03);
	vio_write32(&h->d, VIO_R_DEV_FEATURES_SEL, 2);
	if (vio_read32(&h->d, VIO_R_DEV_FEATURES))
		fail("features above 63 offered");
	vio_write32(&h->d, VIO_R_DEV_FEATURES_SEL, 0xffffffff);
	if (vio_read32(&h->d, VIO_R_DEV_FEATURES))
		fail("features at select 0xffffffff offered");
	vio_write32(&h->d, VIO_R_DRV_FEATURES_SEL, 1);
	vio_write32(&h->d, VIO_R_DRV_FEATURES, 1);
	vio_write32(&h->d, VIO_R_DRV_FEATURES_SEL, 0xffffffff);
	vio_write32(&h->d, VIO_R_DRV_FEATURES, 0x80000000);
	if ((st = set_status(h, 0x0b)) & VIO_S_FEATURES_OK)
		fail_hex("feature bit above 63 accepted, status", st);
}

/* 2.2.1: "the device MUST NOT accept changes" after FEATURES_OK. blk
 * without INDIRECT_DESC; a late write of it must not let an indirect
 * descriptor through (2.7.5.3.1). */
static void features_after_features_ok(struct hdev *h)
{
	static struct vio_desc tbl[3] __attribute__((aligned(16)));

	if (to_features_ok(h, 0)) {
		fail("setup");
		return;
	}
	vio_write32(&h->d, VIO_R_DRV_FEATURES_SEL, 0);
	vio_write32(&h->d, VIO_R_DRV_FEATURES, (uint32_t)VIO_F_INDIRECT_DESC);
	if (vio_queue_setup(&h->d, &h->q, 0, QSIZE, h->ring) ||
	    set_status(h, 0x0f) != 0x0f) {
		fail("setup");
		return;
	}
	hdr = (struct blk_hdr){ T_IN, 0, 0 };
	tbl[0] = (struct vio_desc){ (uintptr_t)&hdr, sizeof(hdr),
				    VIO_DESC_F_NEXT, 1 };
	tbl[1] = (struct vio_desc){ (uintptr_t)data, sizeof(data),
				    VIO_DESC_F_WRITE | VIO_DESC_F_NEXT, 2 };
	tbl[2] = (struct vio_desc){ (uintptr_t)&st_byte, 1, VIO_DESC_F_WRITE,
				    0 };
	setd(h, 0, (uintptr_t)tbl, sizeof(tbl), VIO_DESC_F_INDIRECT, 0);
	post(h, 0);
	expect_needs_reset(h);
}

/* Bits only ever grow (3.1.1), and NEEDS_RESET is the device's. */
static void status_clear_bit(struct hdev *h)
{
	uint32_t st;

	if (to_features_ok(h, 0)) {
		fail("setup");
		return;
	}
	if ((st = set_status(h, 0x03)) != 0x0b)
		fail_hex("FEATURES_OK cleared, status", st);
	if (vio_queue_setup(&h->d, &h->q, 0, QSIZE, h->ring) ||
	    set_status(h, 0x0f) != 0x0f) {
		fail("setup");
		return;
	}
	if ((st = set_status(h, 0x0b)) != 0x0f)
		fail_hex("DRIVER_OK cleared, status", st);
	if ((st = set_status(h, 0x4f)) != 0x0f)
		fail_hex("driver set NEEDS_RESET, status", st);
	if ((st = set_status(h, 0x40)) != 0x0f)
		fail_hex("driver wrote NEEDS_RESET alone, status", st);
	/* A second DRIVER_OK is no second activation. */
	if ((st = set_status(h, 0x0f)) != 0x0f)
		fail_hex("second DRIVER_OK, status", st);
	good(h);
	expect_live(h);
}

/* FAILED on a live device (3.1.1 step 8); a reset brings it back. */
static void failed_then_reset(struct hdev *h)
{
	uint32_t st;

	if (up(h, 0, QSIZE)) {
		fail("setup");
		return;
	}
	if (!((st = set_status(h, 0x8f)) & VIO_S_FAILED))
		fail_hex("FAILED not shown, status", st);
}

/* QueueNum invalid (2.7: a power of two up to QueueNumMax): the device
 * refuses the queue at DRIVER_OK with NEEDS_RESET, or QueueReady. */
static void bad_size(struct hdev *h, uint32_t size)
{
	uint32_t ready;

	if (to_features_ok(h, 0)) {
		fail("setup");
		return;
	}
	memset(h->ring, 0, sizeof(*h->ring));
	queue_raw(h, size, (uintptr_t)h->ring->desc, (uintptr_t)&h->ring->avail,
		  (uintptr_t)&h->ring->used, 1);
	ready = vio_read32(&h->d, VIO_R_QUEUE_READY);
	set_status(h, 0x0f);
	if (ready)
		expect_needs_reset(h);
}

static void queue_size_0(struct hdev *h)
{
	bad_size(h, 0);
}

static void queue_size_3(struct hdev *h)
{
	bad_size(h, 3);
}

static void queue_size_over_max(struct hdev *h)
{
	bad_size(h, 2 * vio_read32(&h->d, VIO_R_QUEUE_NUM_MAX));
}

static void queue_size_65536(struct hdev *h)
{
	bad_size(h, 0x10000);
}

/* Rings where the driver may not put them: refused at DRIVER_OK. */
static void bad_rings(struct hdev *h, uint64_t desc, uint64_t avail,
		      uint64_t used)
{
	if (to_features_ok(h, 0)) {
		fail("setup");
		return;
	}
	queue_raw(h, QSIZE, desc, avail, used, 1);
	set_status(h, 0x0f);
	expect_needs_reset(h);
}

#define RING_DESC ((uintptr_t)h->ring->desc)
#define RING_AVAIL ((uintptr_t)&h->ring->avail)
#define RING_USED ((uintptr_t)&h->ring->used)

static void ring_desc_misaligned(struct hdev *h)
{
	bad_rings(h, RING_DESC + 8, RING_AVAIL, RING_USED);
}

static void ring_avail_odd(struct hdev *h)
{
	bad_rings(h, RING_DESC, RING_AVAIL + 1, RING_USED);
}

static void ring_used_misaligned(struct hdev *h)
{
	bad_rings(h, RING_DESC, RING_AVAIL, RING_USED + 2);
}

static void ring_outside_ram(struct hdev *h)
{
	bad_rings(h, ram_end + 0x100000, RING_AVAIL, RING_USED);
}

static void ring_spans_ram_end(struct hdev *h)
{
	bad_rings(h, RING_DESC, RING_AVAIL, ram_end - 64);
}

static void ring_in_mmio(struct hdev *h)
{
	bad_rings(h, RING_DESC, RING_AVAIL, h->d.base);
}

static void ring_wraps(struct hdev *h)
{
	bad_rings(h, RING_DESC, 0xfffffffffffffff0ULL, RING_USED);
}

/*
 * QueueReady never written: "Writing one (0x1) to this register notifies
 * the device that it can execute requests from this virtual queue"
 * (4.2.2), so until then it must not: either the request is not served,
 * or the device refuses DRIVER_OK.
 */
static void queue_not_ready(struct hdev *h)
{
	uint32_t id, len;

	if (to_features_ok(h, 0)) {
		fail("setup");
		return;
	}
	memset(h->ring, 0, sizeof(*h->ring));
	queue_raw(h, 8, RING_DESC, RING_AVAIL, RING_USED, 0);
	set_status(h, 0x0f);
	h->q = (struct vio_queue){ h->ring, 8, 0, 0, 0 };
	put_request(h);
	vio_notify(&h->d, &h->q);
	if (!vio_wait_tsc(&h->q, SHORT_TSC, &id, &len) &&
	    !(vio_read32(&h->d, VIO_R_STATUS) & VIO_S_NEEDS_RESET))
		fail("served a queue that was never made ready");
}

/* CVE-2026-5747: queue registers after DRIVER_OK change nothing. */
static void queue_regs_after_driver_ok(struct hdev *h)
{
	if (up(h, 0, QSIZE)) {
		fail("setup");
		return;
	}
	queue_raw(h, 0, h->d.base, 0xfffffffffffffff0ULL, ram_end, 0);
	vio_write32(&h->d, VIO_R_QUEUE_NUM, 3);
	vio_write32(&h->d, VIO_R_QUEUE_NUM, 0xffff);
	if (vio_read32(&h->d, VIO_R_QUEUE_READY) != 1)
		fail("QueueReady changed after DRIVER_OK");
	expect_live(h);
	good(h);
	good(h);
}

/* GUARDS 5: QueueSel is unsigned and range-checked. */
static void queue_sel_out_of_range(struct hdev *h)
{
	static const uint32_t sel[] = { 1,	15,	    16,
					0x8000, 0x80000000, 0xffffffff };

	if (to_features_ok(h, 0)) {
		fail("setup");
		return;
	}
	for (unsigned int i = 0; i < sizeof(sel) / sizeof(sel[0]); i++) {
		vio_write32(&h->d, VIO_R_QUEUE_SEL, sel[i]);
		if (vio_read32(&h->d, VIO_R_QUEUE_NUM_MAX))
			fail_hex("QueueNumMax of a missing queue", sel[i]);
		vio_write32(&h->d, VIO_R_QUEUE_NUM, 8);
		vio_write32(&h->d, VIO_R_QUEUE_DESC_LO, 0x1000);
		vio_write32(&h->d, VIO_R_QUEUE_READY, 1);
		if (vio_read32(&h->d, VIO_R_QUEUE_READY))
			fail_hex("QueueReady of a missing queue", sel[i]);
	}
	if (vio_queue_setup(&h->d, &h->q, 0, QSIZE, h->ring) ||
	    set_status(h, 0x0f) != 0x0f) {
		fail("queue 0 after the others");
		return;
	}
	good(h);
}

/* 3.1.1 / 2.9: no notification before DRIVER_OK; the device must not act
 * on one (its queue is not even configured yet). */
static void notify_before_driver_ok(struct hdev *h)
{
	uint32_t id, len;

	if (to_features_ok(h, 0) ||
	    vio_queue_setup(&h->d, &h->q, 0, QSIZE, h->ring)) {
		fail("setup");
		return;
	}
	put_request(h);
	vio_notify(&h->d, &h->q);
	vio_write32(&h->d, VIO_R_QUEUE_NOTIFY, 0);
	if (!vio_wait_tsc(&h->q, SHORT_TSC, &id, &len))
		fail("served before DRIVER_OK");
	if (set_status(h, 0x0f) != 0x0f) {
		fail("DRIVER_OK refused after early notify");
		return;
	}
	vio_notify(&h->d, &h->q);
	if (vio_wait(&h->q, &id, &len))
		fail("request not served after DRIVER_OK");
	else if (!vio_wait_tsc(&h->q, SHORT_TSC, &id, &len))
		fail("request served twice");
	expect_live(h);
}

/* GUARDS 5 (CVE-2011-2512): QueueNotify of a queue that does not exist,
 * and at widths other than 32 bits (4.2.2: drivers use 32-bit accesses). */
static void notify_bad_queue(struct hdev *h)
{
	static const uint32_t v[] = { 1,       16,	   0xffff,
				      0x10000, 0x80000000, 0xffffffff };

	if (up(h, 0, QSIZE)) {
		fail("setup");
		return;
	}
	for (unsigned int i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		vio_write32(&h->d, VIO_R_QUEUE_NOTIFY, v[i]);
	wr16(h->d.base + VIO_R_QUEUE_NOTIFY, 0);
	wr8(h->d.base + VIO_R_QUEUE_NOTIFY, 0);
	wr64(h->d.base + VIO_R_QUEUE_NOTIFY, 0);
	expect_live(h);
	good(h);
}

/* Device configuration (4.2.2.2): naturally aligned 1/2/4-byte accesses
 * inside its size; anything else reads zeros and writes nothing. */
static void config_space(struct hdev *h)
{
	uint64_t cfg = h->d.base + VIO_R_CONFIG;
	uint32_t lo, gen;

	if (up(h, 0, QSIZE)) {
		fail("setup");
		return;
	}
	lo = rd32(cfg);
	gen = vio_read32(&h->d, VIO_R_CONFIG_GEN);
	if (h->id == ID_BLK && lo != (uint32_t)capacity)
		fail_hex("capacity low word", lo);
	if (h->id == ID_RNG && lo)
		fail_hex("rng has no config, read", lo);
	if (rd8(cfg) != (uint8_t)lo || rd16(cfg) != (uint16_t)lo)
		fail("narrow config read");
	if (rd16(cfg + 1) || rd32(cfg + 2) || rd32(cfg + 6))
		fail("misaligned config read not zero");
	if (rd32(cfg + 0x100) || rd32(cfg + 0xefc) || rd8(cfg + 0xeff))
		fail("config read beyond its size not zero");
	if (rd64(cfg))
		fail("8-byte config read not zero");
	vio_write32(&h->d, VIO_R_CONFIG, 0xdeadbeef);
	wr8(cfg + 1, 0xee);
	wr16(cfg + 2, 0xeeee);
	wr64(cfg, 0xeeeeeeeeeeeeeeeeULL);
	vio_write32(&h->d, VIO_R_CONFIG + 0xefc, 0xdeadbeef);
	if (rd32(cfg) != lo)
		fail_hex("config changed by the driver, now", rd32(cfg));
	if (vio_read32(&h->d, VIO_R_CONFIG_GEN) != gen)
		fail("ConfigGeneration moved");
	expect_live(h);
}

/* Registers (4.2.2): 32-bit aligned only; read-only ones keep their
 * values, write-only ones read zero. */
static void registers(struct hdev *h)
{
	uint64_t b = h->d.base;
	uint32_t st;

	if (up(h, 0, QSIZE)) {
		fail("setup");
		return;
	}
	if (rd8(b + VIO_R_MAGIC) || rd16(b + VIO_R_MAGIC) || rd32(b + VIO_R_MAGIC + 2) ||
	    rd64(b + VIO_R_MAGIC))
		fail("narrow, wide or misaligned register read not zero");
	wr8(b + VIO_R_STATUS, 0);
	wr16(b + VIO_R_STATUS, 0);
	wr64(b + VIO_R_STATUS, 0);
	if ((st = vio_read32(&h->d, VIO_R_STATUS)) != 0x0f)
		fail_hex("narrow or wide Status write taken, status", st);
	vio_write32(&h->d, VIO_R_MAGIC, 0);
	vio_write32(&h->d, VIO_R_VERSION, 1);
	vio_write32(&h->d, VIO_R_DEVICE_ID, 0);
	vio_write32(&h->d, VIO_R_QUEUE_NUM_MAX, 0);
	vio_write32(&h->d, VIO_R_INT_STATUS, 0xffffffff);
	vio_write32(&h->d, VIO_R_CONFIG_GEN, 0x1234);
	vio_write32(&h->d, VIO_R_SHM_LEN_LO - 4, 0); /* SHMSel */
	vio_write32(&h->d, 0x0c0, 0xffffffff); /* reserved */
	vio_write32(&h->d, VIO_R_INT_ACK, 0xffffffff);
	if (vio_read32(&h->d, VIO_R_MAGIC) != VIO_MAGIC ||
	    vio_read32(&h->d, VIO_R_VERSION) != 2 ||
	    vio_read32(&h->d, VIO_R_DEVICE_ID) != h->id ||
	    vio_read32(&h->d, VIO_R_QUEUE_NUM_MAX) == 0)
		fail("read-only register changed");
	if (vio_read32(&h->d, VIO_R_QUEUE_NOTIFY) || vio_read32(&h->d, VIO_R_INT_ACK) ||
	    vio_read32(&h->d, VIO_R_QUEUE_NUM) || vio_read32(&h->d, 0x0c0))
		fail("write-only or reserved register not zero");
	/* 4.2.2: "Reading from a non-existent region ... results in a
	 * length of -1". */
	if (vio_read32(&h->d, VIO_R_SHM_LEN_LO) != 0xffffffff)
		fail("SHMLen of no region");
	expect_live(h);
	good(h);
}

/* An access that straddles the end of the device's window: half to it,
 * half to the next slot. Neither device may mind. */
static void access_across_window(struct hdev *h)
{
	if (up(h, 0, QSIZE)) {
		fail("setup");
		return;
	}
	(void)rd32(blk.d.base + 0xffe);
	wr16(blk.d.base + 0xfff, 0);
	(void)rd64(blk.d.base + 0xffc);
	expect_live(&blk);
	expect_live(&rng);
	good(&blk);
	good(&rng);
}

/* Many resets and activations: no thread, ring or fd may leak (the
 * host checks fds at exit). */
static void reinit_storm(struct hdev *h)
{
	for (unsigned int i = 0; i < 32 && !failed(); i++)
		if (up(&rng, 0, QSIZE) || rng_good())
			fail_hex("rng cycle", i);
	for (unsigned int i = 0; i < 16 && !failed(); i++)
		if (up(&blk, 0, QSIZE) || blk_good())
			fail_hex("blk cycle", i);
	/* A reset from every state before DRIVER_OK, too. */
	for (unsigned int n = 1; n <= 3 && !failed(); n++) {
		static const uint32_t path[] = { 0x01, 0x03, 0x0b };

		set_status(&rng, 0);
		vio_write32(&rng.d, VIO_R_DRV_FEATURES_SEL, 1);
		vio_write32(&rng.d, VIO_R_DRV_FEATURES, 1);
		for (unsigned int i = 0; i < n; i++)
			set_status(&rng, path[i]);
		if (set_status(&rng, 0) != 0)
			fail_hex("reset refused after steps", n);
	}
}

void transport_attacks(void)
{
	run_both("status_skip_step", status_skip_step);
	run_both("driver_ok_without_features_ok",
		 driver_ok_without_features_ok);
	run_both("features_ok_without_version_1",
		 features_ok_without_version_1);
	run_both("features_not_offered", features_not_offered);
	run_both("features_above_63", features_above_63);
	run("blk_features_after_features_ok", &blk, features_after_features_ok);
	run_both("status_clear_bit", status_clear_bit);
	run_both("failed_then_reset", failed_then_reset);
	run_both("queue_size_0", queue_size_0);
	run_both("queue_size_3", queue_size_3);
	run_both("queue_size_over_max", queue_size_over_max);
	run_both("queue_size_65536", queue_size_65536);
	run_both("ring_desc_misaligned", ring_desc_misaligned);
	run_both("ring_avail_odd", ring_avail_odd);
	run_both("ring_used_misaligned", ring_used_misaligned);
	run_both("ring_outside_ram", ring_outside_ram);
	run_both("ring_spans_ram_end", ring_spans_ram_end);
	run_both("ring_in_mmio", ring_in_mmio);
	run_both("ring_wraps", ring_wraps);
	run_both("queue_not_ready", queue_not_ready);
	run_both("queue_regs_after_driver_ok", queue_regs_after_driver_ok);
	run_both("queue_sel_out_of_range", queue_sel_out_of_range);
	run_both("notify_before_driver_ok", notify_before_driver_ok);
	run_both("notify_bad_queue", notify_bad_queue);
	run_both("config_space", config_space);
	run_both("registers", registers);
	run("access_across_window", &blk, access_across_window);
	run("reinit_storm", 0, reinit_storm);
}
