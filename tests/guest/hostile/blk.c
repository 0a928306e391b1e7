// SPDX-License-Identifier: Apache-2.0
/*
 * tests/guest/hostile/blk.c: attacks on virtio-blk requests (virtio 1.2,
 * 5.2.6), resets with requests in flight, and the checks that the disk
 * holds what it should.
 */
#include "hostile.h"

#define LEGIT_SECTOR 100 /* the one sector the guest really writes */
#define POISON 0xee /* bytes that must never reach the disk */
#define INFLIGHT 64 /* requests in flight at a reset */
#define INFLIGHT_LEN 16384 /* bytes each */

static struct blk_hdr hdr, hdr2;
static uint8_t st_byte;
static uint8_t data[4096] __attribute__((aligned(4096)));
static int legit_done; /* LEGIT_SECTOR was rewritten */

static uint8_t legit_byte(unsigned int i)
{
	return (uint8_t)(0x5a ^ i);
}

uint8_t disk_byte(uint64_t off)
{
	if (legit_done && off / 512 == LEGIT_SECTOR)
		return legit_byte(off % 512);
	return pattern(off);
}

static int fresh(uint64_t features, uint16_t size)
{
	if (up(&blk, features, size)) {
		fail("setup");
		return -1;
	}
	return 0;
}

/*
 * One request from (b)[n] on a fresh queue; checks used len (want_len)
 * and, unless (want_st) < 0, the status byte. Leaves st_byte as written.
 */
static void request(const struct vio_buf *b, unsigned int n, int want_st,
		    uint32_t want_len)
{
	uint32_t used;

	if (blk_chain(b, n, &used))
		return;
	if (used != want_len)
		fail_hex("used len", used);
	if (want_st >= 0 && st_byte != want_st)
		fail_hex("status", st_byte);
	expect_live(&blk);
}

/* The usual three buffers: header, (len) data bytes (flags), status. */
static void rw(uint32_t type, uint64_t sector, uint32_t len, uint16_t flags,
	       int want_st, uint32_t want_len)
{
	struct vio_buf b[3] = {
		{ &hdr, sizeof(hdr), 0 },
		{ data, len, flags },
		{ &st_byte, 1, VIO_DESC_F_WRITE },
	};

	if (fresh(0, QSIZE))
		return;
	hdr = (struct blk_hdr){ type, 0, sector };
	st_byte = 0xff;
	memset(data, POISON, sizeof(data));
	request(b, 3, want_st, want_len);
}

/* No status byte to write: completed with used len 0 (blk_req.h). */
static void header_only(struct hdev *h)
{
	struct vio_buf b[1] = { { &hdr, sizeof(hdr), 0 } };

	if (fresh(0, QSIZE))
		return;
	hdr = (struct blk_hdr){ T_IN, 0, 0 };
	request(b, 1, -1, 0);
}

static void all_readable(struct hdev *h)
{
	struct vio_buf b[2] = { { &hdr, sizeof(hdr), 0 }, { &st_byte, 1, 0 } };

	if (fresh(0, QSIZE))
		return;
	hdr = (struct blk_hdr){ T_IN, 0, 0 };
	st_byte = 0xff;
	request(b, 2, 0xff, 0);
}

/* Status in a readable buffer after writable data: a ring violation. */
static void status_readable(struct hdev *h)
{
	struct vio_buf b[3] = {
		{ &hdr, sizeof(hdr), 0 },
		{ data, 512, VIO_DESC_F_WRITE },
		{ &st_byte, 1, 0 },
	};

	if (fresh(0, QSIZE))
		return;
	hdr = (struct blk_hdr){ T_IN, 0, 0 };
	vio_add(&blk.q, 0, b, 3);
	vio_notify(&blk.d, &blk.q);
	expect_needs_reset(&blk);
}

/* 5.2.6.1 / blk_req.h: out of range is IOERR, used len 1. */
static void sector_past_capacity(struct hdev *h)
{
	rw(T_IN, capacity, 512, VIO_DESC_F_WRITE, S_IOERR, 1);
}

static void read_crosses_end(struct hdev *h)
{
	rw(T_IN, capacity - 1, 1024, VIO_DESC_F_WRITE, S_IOERR, 1);
}

static void sector_overflow(struct hdev *h)
{
	rw(T_IN, 0xffffffffffffffffULL, 512, VIO_DESC_F_WRITE, S_IOERR, 1);
	if (!failed())
		rw(T_IN, 0x0080000000000000ULL, 512, VIO_DESC_F_WRITE, S_IOERR,
		   1);
}

static void write_past_capacity(struct hdev *h)
{
	rw(T_OUT, capacity, 512, 0, S_IOERR, 1);
	if (!failed())
		rw(T_OUT, capacity - 1, 1024, 0, S_IOERR, 1);
}

/* Data in the wrong direction: IOERR, and the buffer left alone. */
static void read_into_readable(struct hdev *h)
{
	rw(T_IN, 0, 512, 0, S_IOERR, 1);
	if (!failed() && (data[0] != POISON || data[511] != POISON))
		fail("read landed in a device-readable buffer");
}

static void write_from_writable(struct hdev *h)
{
	rw(T_OUT, 0, 512, VIO_DESC_F_WRITE, S_IOERR, 1);
}

static void short_header(struct hdev *h)
{
	struct vio_buf b[3] = {
		{ &hdr, 8, 0 },
		{ data, 512, VIO_DESC_F_WRITE },
		{ &st_byte, 1, VIO_DESC_F_WRITE },
	};

	if (fresh(0, QSIZE))
		return;
	hdr = (struct blk_hdr){ T_IN, 0, 0 };
	st_byte = 0xff;
	request(b, 3, S_IOERR, 1);
}

/* The header split across two buffers is legal (2.6.4 framing). */
static void header_split(struct hdev *h)
{
	struct vio_buf b[4] = {
		{ &hdr, 8, 0 },
		{ &hdr2, 8, 0 },
		{ data, 512, VIO_DESC_F_WRITE },
		{ &st_byte, 1, VIO_DESC_F_WRITE },
	};

	if (fresh(0, QSIZE))
		return;
	hdr = (struct blk_hdr){ T_IN, 0, 0 };
	hdr2 = (struct blk_hdr){ 0, 0, 0 }; /* its first 8: sector 0 */
	st_byte = 0xff;
	request(b, 4, S_OK, 513);
	if (!failed() && data[5] != pattern(5))
		fail("split-header read returned wrong data");
}

static void unknown_type(struct hdev *h)
{
	rw(0x12345678, 0, 512, VIO_DESC_F_WRITE, S_UNSUPP, 1);
}

/* Discard and flush when not negotiated: UNSUPP (5.2.6.2). */
static void not_negotiated(struct hdev *h)
{
	rw(T_DISCARD, 0, 16, 0, S_UNSUPP, 1);
	if (!failed())
		rw(T_FLUSH, 0, 0, 0, S_UNSUPP, 1);
}

static void len_not_sector_multiple(struct hdev *h)
{
	rw(T_IN, 0, 100, VIO_DESC_F_WRITE, S_IOERR, 1);
}

/* GET_ID into 4 KiB: 20 bytes written (GUARDS 10), the rest untouched. */
static void get_id_huge(struct hdev *h)
{
	rw(T_GET_ID, 0, sizeof(data), VIO_DESC_F_WRITE, S_OK, 21);
	for (unsigned int i = 20; i < sizeof(data) && !failed(); i++)
		if (data[i] != POISON)
			fail_hex("GET_ID wrote past 20 bytes, at", i);
}

/* 5.2.6.2: "the device MUST set the status byte to VIRTIO_BLK_S_UNSUPP
 * for discard commands if the unmap flag is set". */
static void discard_bad(struct hdev *h)
{
	static struct {
		uint64_t sector;
		uint32_t num;
		uint32_t flags;
	} seg;
	struct vio_buf b[3] = {
		{ &hdr, sizeof(hdr), 0 },
		{ &seg, sizeof(seg), 0 },
		{ &st_byte, 1, VIO_DESC_F_WRITE },
	};
	static const uint32_t flags[] = { 1, 0x80000000, 0 };

	if (fresh(F_BLK_DISCARD, QSIZE))
		return;
	for (unsigned int i = 0; i < 3 && !failed(); i++) {
		int want = S_UNSUPP;

		hdr = (struct blk_hdr){ T_DISCARD, 0, 0 };
		seg.sector = i == 2 ? capacity - 4 : 0;
		seg.num = 8;
		seg.flags = flags[i];
		if (i == 2 && (blk.d.features & F_BLK_DISCARD))
			want = S_IOERR; /* past the end */
		st_byte = 0xff;
		request(b, 3, want, 1);
	}
}

/* Flush with data: IOERR (blk_req.h). */
static void flush_with_data(struct hdev *h)
{
	struct vio_buf b[3] = {
		{ &hdr, sizeof(hdr), 0 },
		{ data, 512, VIO_DESC_F_WRITE },
		{ &st_byte, 1, VIO_DESC_F_WRITE },
	};

	if (fresh(F_BLK_FLUSH, QSIZE))
		return;
	hdr = (struct blk_hdr){ T_FLUSH, 0, 0 };
	st_byte = 0xff;
	request(b, 3, (blk.d.features & F_BLK_FLUSH) ? S_IOERR : S_UNSUPP, 1);
}

/*
 * A full 256-entry ring of reads at once, each an indirect table, more
 * than the device keeps in flight (BLK_MAX_INFLIGHT): every one served.
 */
static void full_ring(struct hdev *h)
{
	uint8_t *mem = (uint8_t *)(uintptr_t)scratch;
	struct vio_desc *t = (struct vio_desc *)(mem + 0x100000);
	struct blk_hdr *hd = (struct blk_hdr *)(mem + 0x110000);
	uint8_t *st = mem + 0x120000;
	uint16_t seen[VIO_QMAX];
	uint32_t id, len;

	if (fresh(VIO_F_INDIRECT_DESC, VIO_QMAX))
		return;
	for (unsigned int i = 0; i < VIO_QMAX; i++) {
		hd[i] = (struct blk_hdr){ T_IN, 0, i % capacity };
		st[i] = 0xff;
		t[3 * i] = (struct vio_desc){ (uintptr_t)&hd[i], sizeof(hd[i]),
					      VIO_DESC_F_NEXT, 1 };
		t[3 * i + 1] =
			(struct vio_desc){ (uintptr_t)mem + 512 * i, 512,
					   VIO_DESC_F_WRITE | VIO_DESC_F_NEXT,
					   2 };
		t[3 * i + 2] = (struct vio_desc){ (uintptr_t)&st[i], 1,
						  VIO_DESC_F_WRITE, 0 };
		setd(&blk, (uint16_t)i, (uintptr_t)&t[3 * i], 48,
		     VIO_DESC_F_INDIRECT, 0);
		blk.ring->avail.ring[i] = (uint16_t)i;
		seen[i] = 0;
	}
	fence();
	blk.q.avail_idx = VIO_QMAX;
	*(volatile uint16_t *)&blk.ring->avail.idx = VIO_QMAX;
	fence();
	vio_notify(&blk.d, &blk.q);
	for (unsigned int i = 0; i < VIO_QMAX && !failed(); i++) {
		if (vio_wait(&blk.q, &id, &len))
			fail_hex("requests served", i);
		else if (id >= VIO_QMAX || seen[id]++ || len != 513)
			fail_hex("bad used entry, id", id);
	}
	for (unsigned int i = 0; i < VIO_QMAX && !failed(); i++)
		if (st[i] != S_OK ||
		    mem[512 * i + 7] != disk_byte(512 * (i % capacity) + 7))
			fail_hex("request result", i);
	expect_live(&blk);
}

/*
 * GUARDS 3 (CVE-2016-5403): a driver that makes its heads available again
 * while the device still holds them (write-through writes are slow). The
 * device refuses (NEEDS_RESET, never more chains in flight than the
 * queue size, nor a ring index more than a queue ahead) or, if it had
 * finished them, serves them again; either way it stays sane. The writes
 * carry the disk's own bytes.
 */
static void reuse_heads_in_flight(struct hdev *h)
{
	uint8_t *mem = (uint8_t *)(uintptr_t)scratch;
	struct vio_desc *t = (struct vio_desc *)(mem + 0x100000);
	struct blk_hdr *hd = (struct blk_hdr *)(mem + 0x110000);
	uint8_t *st = mem + 0x120000;
	volatile uint16_t *aidx = &blk.ring->avail.idx;
	unsigned int want = 4 * 16;
	uint32_t id, len;

	if (fresh(VIO_F_INDIRECT_DESC, 16))
		return;
	for (uint64_t i = 0; i < 16 * 4096; i++)
		mem[i] = disk_byte(i);
	for (unsigned int i = 0; i < 16; i++) {
		hd[i] = (struct blk_hdr){ T_OUT, 0, 8 * i };
		t[3 * i] = (struct vio_desc){ (uintptr_t)&hd[i], sizeof(hd[i]),
					      VIO_DESC_F_NEXT, 1 };
		t[3 * i + 1] = (struct vio_desc){ (uintptr_t)mem + 4096 * i,
						  4096, VIO_DESC_F_NEXT, 2 };
		t[3 * i + 2] = (struct vio_desc){ (uintptr_t)&st[i], 1,
						  VIO_DESC_F_WRITE, 0 };
		setd(&blk, (uint16_t)i, (uintptr_t)&t[3 * i], 48,
		     VIO_DESC_F_INDIRECT, 0);
		blk.ring->avail.ring[i] = (uint16_t)i;
	}
	for (unsigned int round = 1; round <= 4; round++) {
		fence();
		*aidx = (uint16_t)(16 * round);
		fence();
		vio_notify(&blk.d, &blk.q);
		for (unsigned int spin = 0; spin < 2000; spin++)
			__asm__ volatile("pause");
	}
	blk.q.avail_idx = (uint16_t)want;
	for (unsigned int i = 0; i < want; i++) {
		if (vio_read32(&blk.d, VIO_R_STATUS) & VIO_S_NEEDS_RESET)
			return;
		if (vio_wait(&blk.q, &id, &len)) {
			if (!(vio_read32(&blk.d, VIO_R_STATUS) & VIO_S_NEEDS_RESET))
				fail_hex("neither served nor refused, at", i);
			return;
		}
	}
}

/*
 * Reset (status 0) with INFLIGHT requests just posted, then at once a new
 * device: it must start clean (no stale used entries from before) and
 * work. (type) T_IN reads or T_OUT writes of the disk's own bytes, so
 * the disk is unchanged whichever of them lands.
 */
static void reset_in_flight(uint32_t type)
{
	uint8_t *mem = (uint8_t *)(uintptr_t)scratch;
	uint64_t sectors = capacity < 2048 ? capacity : 2048;
	uint64_t per = sectors / INFLIGHT;
	uint32_t id, len;

	if (fresh(0, VIO_QMAX))
		return;
	for (uint64_t i = 0; type == T_OUT && i < per * INFLIGHT * 512; i++)
		mem[i] = disk_byte(i);
	for (unsigned int i = 0; i < INFLIGHT; i++) {
		struct blk_hdr *hd = (struct blk_hdr *)(mem + 0x200000) + i;
		uint8_t *st = mem + 0x210000 + i;
		struct vio_buf b[3] = {
			{ hd, sizeof(*hd), 0 },
			{ mem + per * 512 * i, (uint32_t)per * 512,
			  type == T_IN ? VIO_DESC_F_WRITE : 0 },
			{ st, 1, VIO_DESC_F_WRITE },
		};

		*hd = (struct blk_hdr){ type, 0, per * i };
		vio_add(&blk.q, (uint16_t)(3 * i), b, 3);
	}
	vio_notify(&blk.d, &blk.q);
	if (set_status(&blk, 0) != 0) {
		fail("reset with requests in flight refused");
		return;
	}
	if (fresh(0, QSIZE))
		return;
	if (!vio_wait_tsc(&blk.q, SHORT_TSC, &id, &len))
		fail_hex("stale used entry after reset, id", id);
	blk_good();
}

static void reset_in_flight_reads(struct hdev *h)
{
	reset_in_flight(T_IN);
}

static void reset_in_flight_writes(struct hdev *h)
{
	reset_in_flight(T_OUT);
}

static void rng_reset_in_flight(struct hdev *h)
{
	uint8_t *mem = (uint8_t *)(uintptr_t)scratch;
	uint32_t id, len;

	if (up(&rng, 0, VIO_QMAX)) {
		fail("setup");
		return;
	}
	for (unsigned int i = 0; i < INFLIGHT; i++) {
		struct vio_buf b = { mem + 65536 * i, 65536, VIO_DESC_F_WRITE };

		vio_add(&rng.q, (uint16_t)i, &b, 1);
	}
	vio_notify(&rng.d, &rng.q);
	if (set_status(&rng, 0) != 0) {
		fail("reset with requests in flight refused");
		return;
	}
	if (up(&rng, 0, QSIZE)) {
		fail("re-init");
		return;
	}
	if (!vio_wait_tsc(&rng.q, SHORT_TSC, &id, &len))
		fail_hex("stale used entry after reset, id", id);
	rng_good();
}

/* The one legitimate write; the host expects it in the image. */
static void write_legit(struct hdev *h)
{
	for (unsigned int i = 0; i < 512; i++)
		data[i] = legit_byte(i);
	{
		struct vio_buf b[3] = {
			{ &hdr, sizeof(hdr), 0 },
			{ data, 512, 0 },
			{ &st_byte, 1, VIO_DESC_F_WRITE },
		};

		if (fresh(0, QSIZE))
			return;
		hdr = (struct blk_hdr){ T_OUT, 0, LEGIT_SECTOR };
		st_byte = 0xff;
		request(b, 3, S_OK, 1);
	}
	if (failed())
		return;
	legit_done = 1;
	rw(T_IN, LEGIT_SECTOR, 512, VIO_DESC_F_WRITE, S_OK, 513);
	for (unsigned int i = 0; i < 512 && !failed(); i++)
		if (data[i] != legit_byte(i))
			fail_hex("read back differs at", i);
}

/* Every byte of the disk is what it should be after all of the above. */
static void disk_intact(struct hdev *h)
{
	uint8_t *mem = (uint8_t *)(uintptr_t)scratch;
	uint64_t left = capacity, s = 0;

	if (fresh(0, QSIZE))
		return;
	while (left && !failed()) {
		uint32_t n = left > 2048 ? 2048 : (uint32_t)left;
		struct vio_buf b[3] = {
			{ &hdr, sizeof(hdr), 0 },
			{ mem, n * 512, VIO_DESC_F_WRITE },
			{ &st_byte, 1, VIO_DESC_F_WRITE },
		};

		hdr = (struct blk_hdr){ T_IN, 0, s };
		st_byte = 0xff;
		request(b, 3, S_OK, n * 512 + 1);
		for (uint64_t i = 0; i < n * 512ULL && !failed(); i++)
			if (mem[i] != disk_byte(s * 512 + i))
				fail_hex("disk differs at byte", s * 512 + i);
		s += n;
		left -= n;
	}
}

void blk_attacks(void)
{
	run("blk_header_only", &blk, header_only);
	run("blk_all_readable", &blk, all_readable);
	run("blk_status_readable", &blk, status_readable);
	run("blk_sector_past_capacity", &blk, sector_past_capacity);
	run("blk_read_crosses_end", &blk, read_crosses_end);
	run("blk_sector_overflow", &blk, sector_overflow);
	run("blk_write_past_capacity", &blk, write_past_capacity);
	run("blk_read_into_readable", &blk, read_into_readable);
	run("blk_write_from_writable", &blk, write_from_writable);
	run("blk_short_header", &blk, short_header);
	run("blk_header_split", &blk, header_split);
	run("blk_unknown_type", &blk, unknown_type);
	run("blk_not_negotiated", &blk, not_negotiated);
	run("blk_len_not_sector_multiple", &blk, len_not_sector_multiple);
	run("blk_get_id_huge", &blk, get_id_huge);
	run("blk_discard_bad", &blk, discard_bad);
	run("blk_flush_with_data", &blk, flush_with_data);
	run("blk_full_ring", &blk, full_ring);
	run("blk_reuse_heads_in_flight", &blk, reuse_heads_in_flight);
	run("blk_reset_in_flight_reads", &blk, reset_in_flight_reads);
	run("blk_reset_in_flight_writes", &blk, reset_in_flight_writes);
	run("rng_reset_in_flight", &rng, rng_reset_in_flight);
	run("blk_write_legit", &blk, write_legit);
	run("blk_disk_intact", &blk, disk_intact);
}
