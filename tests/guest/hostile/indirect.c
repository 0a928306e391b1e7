// SPDX-License-Identifier: Apache-2.0
/*
 * tests/guest/hostile/indirect.c: attacks on indirect descriptor tables
 * (virtio 1.2, 2.7.5.3) through virtio-blk, and the per-chain buffer bound
 * (GUARDS row 13).
 */
#include "hostile.h"

static struct blk_hdr hdr;
static uint8_t st_byte;
static uint8_t data[4096] __attribute__((aligned(4096)));
static struct vio_desc tbl[VIO_QMAX] __attribute__((aligned(16)));
static struct vio_desc tbl2[3] __attribute__((aligned(16)));

static int fresh(uint64_t features, uint16_t size)
{
	if (up(&blk, features, size)) {
		fail("setup");
		return -1;
	}
	return 0;
}

/* A valid read of sector 0 as an indirect table at tbl. */
static void good_table(void)
{
	hdr = (struct blk_hdr){ T_IN, 0, 0 };
	st_byte = 0xff;
	tbl[0] = (struct vio_desc){ (uintptr_t)&hdr, sizeof(hdr),
				    VIO_DESC_F_NEXT, 1 };
	tbl[1] = (struct vio_desc){ (uintptr_t)data, 512,
				    VIO_DESC_F_WRITE | VIO_DESC_F_NEXT, 2 };
	tbl[2] = (struct vio_desc){ (uintptr_t)&st_byte, 1, VIO_DESC_F_WRITE,
				    0 };
}

/* desc 0 -> the table (addr, len) with (flags) added to INDIRECT. */
static void indirect(uint64_t addr, uint32_t len, uint16_t flags)
{
	setd(&blk, 0, addr, len, VIO_DESC_F_INDIRECT | flags, 1);
	setd(&blk, 1, (uintptr_t)&st_byte, 1, VIO_DESC_F_WRITE, 0);
	post(&blk, 0);
}

/* Negotiates INDIRECT_DESC, builds a good table, lets (fn) spoil it. */
static void bad_indirect(void (*spoil)(void), uint64_t addr, uint32_t len,
			 uint16_t flags)
{
	if (fresh(VIO_F_INDIRECT_DESC, QSIZE))
		return;
	if (!(blk.d.features & VIO_F_INDIRECT_DESC)) {
		fail("INDIRECT_DESC not offered");
		return;
	}
	good_table();
	if (spoil)
		spoil();
	indirect(addr, len, flags);
	expect_needs_reset(&blk);
}

static void indirect_read(struct hdev *h)
{
	uint32_t id, len;

	if (fresh(VIO_F_INDIRECT_DESC, QSIZE))
		return;
	good_table();
	indirect((uintptr_t)tbl, 3 * sizeof(tbl[0]), 0);
	if (vio_wait(&blk.q, &id, &len) || len != 513 ||
	    st_byte != S_OK || data[0] != pattern(0) ||
	    data[511] != pattern(511))
		fail_hex("indirect read, used len", len);
	expect_live(&blk);
}

static void spoil_nested(void)
{
	tbl2[0] = tbl[1];
	tbl2[1] = tbl[2];
	tbl2[0].next = 1;
	tbl[1] = (struct vio_desc){ (uintptr_t)tbl2, 2 * sizeof(tbl2[0]),
				    VIO_DESC_F_INDIRECT, 0 };
}

/* 2.7.5.3.1: "MUST NOT set the VIRTQ_DESC_F_INDIRECT flag within an
 * indirect descriptor (ie. only one table per descriptor)". */
static void indirect_in_indirect(struct hdev *h)
{
	bad_indirect(spoil_nested, (uintptr_t)tbl, 2 * sizeof(tbl[0]), 0);
}

static void indirect_len_24(struct hdev *h)
{
	bad_indirect(0, (uintptr_t)tbl, 24, 0);
}

static void indirect_len_0(struct hdev *h)
{
	bad_indirect(0, (uintptr_t)tbl, 0, 0);
}

static void indirect_len_huge(struct hdev *h)
{
	bad_indirect(0, (uintptr_t)tbl, 0xfffffff0, 0);
}

/* A table longer than the queue (2.7.5.3.1, "no longer than Queue Size"). */
static void indirect_longer_than_queue(struct hdev *h)
{
	bad_indirect(0, (uintptr_t)tbl, (QSIZE + 1) * sizeof(tbl[0]), 0);
}

/* "MUST NOT set both VIRTQ_DESC_F_INDIRECT and VIRTQ_DESC_F_NEXT". */
static void indirect_with_next(struct hdev *h)
{
	bad_indirect(0, (uintptr_t)tbl, 3 * sizeof(tbl[0]), VIO_DESC_F_NEXT);
}

static void indirect_outside_ram(struct hdev *h)
{
	bad_indirect(0, ram_end + 0x100000, 3 * sizeof(tbl[0]), 0);
}

static void indirect_in_mmio(struct hdev *h)
{
	bad_indirect(0, blk.d.base, 3 * sizeof(tbl[0]), 0);
}

static void spoil_loop(void)
{
	tbl[2] = (struct vio_desc){ (uintptr_t)data + 512, 512,
				    VIO_DESC_F_WRITE | VIO_DESC_F_NEXT, 1 };
}

static void indirect_loop(struct hdev *h)
{
	bad_indirect(spoil_loop, (uintptr_t)tbl, 3 * sizeof(tbl[0]), 0);
}

static void spoil_next(void)
{
	tbl[2].flags |= VIO_DESC_F_NEXT;
	tbl[2].next = 3;
}

/* next must stay inside the table (2.7.5.3.2: len / 16 entries). */
static void indirect_next_out_of_table(struct hdev *h)
{
	bad_indirect(spoil_next, (uintptr_t)tbl, 3 * sizeof(tbl[0]), 0);
}

static void spoil_flag(void)
{
	tbl[1].flags |= 0x10;
}

static void indirect_unknown_flag(struct hdev *h)
{
	bad_indirect(spoil_flag, (uintptr_t)tbl, 3 * sizeof(tbl[0]), 0);
}

/*
 * GUARDS 13: buffers per chain are bounded (VQ_MAX_CHAIN, 256, which the
 * queue size bounds too). A header then a full 256-entry table: 257
 * buffers is refused, 256 works.
 */
static void chain_bufs(unsigned int nr_tbl, int want_ok)
{
	uint64_t mem = scratch;
	uint32_t id, len;

	if (fresh(VIO_F_INDIRECT_DESC, VIO_QMAX))
		return;
	hdr = (struct blk_hdr){ T_IN, 0, 0 };
	st_byte = 0xff;
	for (unsigned int i = 0; i + 1 < nr_tbl; i++)
		tbl[i] = (struct vio_desc){ mem + 512 * i, 512,
					    VIO_DESC_F_WRITE | VIO_DESC_F_NEXT,
					    (uint16_t)(i + 1) };
	tbl[nr_tbl - 1] = (struct vio_desc){ (uintptr_t)&st_byte, 1,
					     VIO_DESC_F_WRITE, 0 };
	setd(&blk, 0, (uintptr_t)&hdr, sizeof(hdr), VIO_DESC_F_NEXT, 1);
	setd(&blk, 1, (uintptr_t)tbl, nr_tbl * sizeof(tbl[0]),
	     VIO_DESC_F_INDIRECT, 0);
	post(&blk, 0);
	if (!want_ok) {
		expect_needs_reset(&blk);
		return;
	}
	if (vio_wait(&blk.q, &id, &len) || st_byte != S_OK ||
	    len != 512 * (nr_tbl - 1) + 1)
		fail_hex("256-buffer read, used len", len);
	for (uint64_t i = 0; i < 512 * (nr_tbl - 1) && !failed(); i++)
		if (((uint8_t *)(uintptr_t)mem)[i] != disk_byte(i))
			fail_hex("256-buffer read differs at", i);
	expect_live(&blk);
}

static void chain_256_bufs(struct hdev *h)
{
	chain_bufs(VIO_QMAX - 1, 1);
}

static void chain_257_bufs(struct hdev *h)
{
	chain_bufs(VIO_QMAX, 0);
}

void indirect_attacks(void)
{
	run("blk_indirect_read", &blk, indirect_read);
	run("blk_indirect_in_indirect", &blk, indirect_in_indirect);
	run("blk_indirect_len_24", &blk, indirect_len_24);
	run("blk_indirect_len_0", &blk, indirect_len_0);
	run("blk_indirect_len_huge", &blk, indirect_len_huge);
	run("blk_indirect_longer_than_queue", &blk, indirect_longer_than_queue);
	run("blk_indirect_with_next", &blk, indirect_with_next);
	run("blk_indirect_outside_ram", &blk, indirect_outside_ram);
	run("blk_indirect_in_mmio", &blk, indirect_in_mmio);
	run("blk_indirect_loop", &blk, indirect_loop);
	run("blk_indirect_next_out_of_table", &blk, indirect_next_out_of_table);
	run("blk_indirect_unknown_flag", &blk, indirect_unknown_flag);
	run("blk_chain_256_bufs", &blk, chain_256_bufs);
	run("blk_chain_257_bufs", &blk, chain_257_bufs);
}
