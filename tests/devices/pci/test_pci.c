// SPDX-License-Identifier: Apache-2.0
/* tests/devices/pci/test_pci.c: bus 0's config space, BARs and dispatch. */
#include <criterion/criterion.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "devices/pci/pci.h"

/* Register offsets and values are from the PCI 3.0 specification, not
 * from pci.h's names, so that a wrong constant there cannot hide. */
#define W32_BASE 0xc0000000ULL
#define W32_SIZE 0x10000000ULL
#define W64_BASE 0x1000000000ULL
#define W64_SIZE 0x1000000000ULL
#define UNMAPPED UINT64_MAX
#define MAX_MOVES 64
#define SLOT 3 /* where the test device goes */

/* One bar_moved() call. */
struct move {
	unsigned int bar; /* which */
	uint64_t was, now; /* from, to */
};

/* What a test device saw. */
struct rec {
	unsigned int nr_moves; /* bar_moved() calls */
	struct move moves[MAX_MOVES]; /* in order */
	unsigned int nr_access; /* bar_access() calls */
	unsigned int bar; /* the last one's BAR */
	uint64_t off; /* its offset */
	uint32_t len; /* its length */
	bool is_write; /* its direction */
	uint64_t val; /* what it wrote */
	unsigned int nr_cfg; /* config hook calls */
};

static struct pci_bus *bus;
static struct pci_dev *dev;
static struct rec rec;

static void rec_moved(void *ctx, unsigned int bar, uint64_t was, uint64_t now)
{
	struct rec *r = ctx;

	if (r->nr_moves < MAX_MOVES) /* the hostile test makes many */
		r->moves[r->nr_moves] = (struct move){ bar, was, now };
	r->nr_moves++;
}

/* Reads return 0xB0 + BAR, then the offset's low bytes. */
static void rec_access(void *ctx, unsigned int bar, uint64_t off, uint8_t *data,
		       uint32_t len, bool is_write)
{
	struct rec *r = ctx;

	r->nr_access++;
	r->bar = bar;
	r->off = off;
	r->len = len;
	r->is_write = is_write;
	if (is_write) {
		r->val = 0;
		memcpy(&r->val, data, len);
		return;
	}
	for (uint32_t i = 0; i < len; i++)
		data[i] = (uint8_t)(i ? off + i : 0xb0 + bar);
}

static const struct pci_dev_ops rec_ops = {
	.bar_access = rec_access,
	.bar_moved = rec_moved,
};

static const struct pci_dev_config nic = {
	.vendor_id = 0x8086,
	.device_id = 0x10d3, /* an 82574L, as e1000e drives */
	.class_code = 0x020000,
	.revision = 3,
	.subsys_vendor_id = 0x1af4,
	.subsys_id = 0x1100,
};

static void setup(void)
{
	const struct pci_bus_config cfg = {
		.mmio32_base = W32_BASE,
		.mmio32_size = W32_SIZE,
		.mmio64_base = W64_BASE,
		.mmio64_size = W64_SIZE,
	};

	memset(&rec, 0, sizeof(rec));
	cr_assert_eq(pci_bus_create(&cfg, &bus), 0);
	cr_assert_eq(pci_dev_create(&nic, &rec_ops, &rec, &dev), 0);
}

static void teardown(void)
{
	pci_bus_destroy(bus);
	pci_dev_destroy(dev);
}

TestSuite(pci, .init = setup, .fini = teardown, .timeout = 60);

static uint32_t cf8_addr(unsigned int b, unsigned int d, unsigned int f,
			 uint32_t reg)
{
	return 0x80000000u | b << 16 | d << 11 | f << 8 | (reg & 0xfc);
}

/* Mechanism #1 as Linux's pci_conf1_read() does it: the address, then
 * (len) bytes at 0xCFC + (reg & 3). */
static uint32_t cf8_read(unsigned int d, uint32_t reg, uint32_t len)
{
	uint32_t a = cf8_addr(0, d, 0, reg), v = 0;

	pci_cf8_access(bus, 0, (uint8_t *)&a, 4, true);
	pci_cf8_access(bus, 4 + (reg & 3), (uint8_t *)&v, len, false);
	return v;
}

static void cf8_write(unsigned int d, uint32_t reg, uint32_t len, uint32_t v)
{
	uint32_t a = cf8_addr(0, d, 0, reg);

	pci_cf8_access(bus, 0, (uint8_t *)&a, 4, true);
	pci_cf8_access(bus, 4 + (reg & 3), (uint8_t *)&v, len, true);
}

static uint64_t ecam_off(unsigned int d, unsigned int f, uint32_t reg)
{
	return (uint64_t)d << 15 | f << 12 | reg;
}

static uint32_t ecam_read(unsigned int d, uint32_t reg, uint32_t len)
{
	uint32_t v = 0;

	pci_ecam_access(bus, ecam_off(d, 0, reg), (uint8_t *)&v, len, false);
	return v;
}

static void ecam_write(unsigned int d, uint32_t reg, uint32_t len, uint32_t v)
{
	pci_ecam_access(bus, ecam_off(d, 0, reg), (uint8_t *)&v, len, true);
}

static uint64_t mmio_read(uint64_t addr, uint32_t len)
{
	uint64_t v = 0;

	if (addr >= W64_BASE)
		pci_mmio64_access(bus, addr - W64_BASE, (uint8_t *)&v, len,
				  false);
	else
		pci_mmio32_access(bus, addr - W32_BASE, (uint8_t *)&v, len,
				  false);
	return v;
}

/* The device in SLOT with BAR0 (32-bit, 64 KiB), BAR2 (64-bit
 * prefetchable, 16 KiB) and a 64 KiB ROM, BARs assigned, decode off. */
static void add_nic(void)
{
	unsigned int slot;

	cr_assert_eq(pci_dev_set_bar(dev, 0, 0x10000, 0), 0);
	cr_assert_eq(pci_dev_set_bar(dev, 2, 0x4000, 0x0c), 0);
	cr_assert_eq(pci_dev_set_bar(dev, 6, 0x10000, 0), 0);
	cr_assert_eq(pci_bus_add_dev(bus, dev, SLOT, &slot), 0);
	cr_assert_eq(slot, SLOT);
	cr_assert_eq(pci_bus_assign_bars(bus), 0);
}

static uint64_t bar64(unsigned int d, unsigned int bar)
{
	return (ecam_read(d, 0x10 + 4 * bar, 4) & ~0xfULL) |
	       (uint64_t)ecam_read(d, 0x14 + 4 * bar, 4) << 32;
}

static void expect_move(unsigned int i, unsigned int bar, uint64_t was,
			uint64_t now)
{
	cr_assert(i < MAX_MOVES && rec.nr_moves > i, "move %u missing", i);
	cr_assert_eq(rec.moves[i].bar, bar, "move %u: BAR %u", i,
		     rec.moves[i].bar);
	cr_assert_eq(rec.moves[i].was, was, "move %u from %#lx", i,
		     (unsigned long)rec.moves[i].was);
	cr_assert_eq(rec.moves[i].now, now, "move %u to %#lx", i,
		     (unsigned long)rec.moves[i].now);
}

/* What Linux checks before it uses mechanism #1 (pci_check_type1(),
 * pci_sanity_check() in arch/x86/pci/direct.c): 0x80000000 reads back
 * from 0xCF8, and some devfn on bus 0 has class 0x0600 at 0x0A. */
Test(pci, host_bridge_passes_linux_checks)
{
	uint32_t a = 0x80000000u, got = 0;
	unsigned int found = 256;

	pci_cf8_access(bus, 0, (uint8_t *)&a, 4, true);
	pci_cf8_access(bus, 0, (uint8_t *)&got, 4, false);
	cr_assert_eq(got, 0x80000000u);
	a = 0x7bcdef03u; /* anything reads back, reserved bits included */
	pci_cf8_access(bus, 0, (uint8_t *)&a, 4, true);
	pci_cf8_access(bus, 0, (uint8_t *)&got, 4, false);
	cr_assert_eq(got, 0x7bcdef03u);
	for (unsigned int devfn = 0; devfn < 256 && found == 256; devfn++) {
		uint32_t x = 0;

		a = cf8_addr(0, devfn >> 3, devfn & 7, 0x0a);
		pci_cf8_access(bus, 0, (uint8_t *)&a, 4, true);
		pci_cf8_access(bus, 4 + 2, (uint8_t *)&x, 2, false);
		if (x == 0x0600)
			found = devfn;
	}
	cr_assert_eq(found, 0, "the host bridge at 00:00.0");
	cr_assert_eq(cf8_read(0, 0x00, 4), 0x0d578086);
	cr_assert_eq(cf8_read(0, 0x08, 4) >> 8, 0x060000);
	cr_assert_eq(cf8_read(0, 0x0e, 1), 0, "header type 0");
	cr_assert_eq(cf8_read(0, 0x10, 4), 0, "no BARs");
	/* A byte at 0xCFB (Linux writes one there first) is not the
	 * address register, and the mechanism #2 probe finds nothing. */
	a = 0x7bcdef03u;
	pci_cf8_access(bus, 0, (uint8_t *)&a, 4, true);
	a = 0x01;
	pci_cf8_access(bus, 3, (uint8_t *)&a, 1, true);
	pci_cf8_access(bus, 0, (uint8_t *)&got, 4, false);
	cr_assert_eq(got, 0x7bcdef03u);
	got = 0;
	pci_cf8_access(bus, 0, (uint8_t *)&got, 1, false);
	cr_assert_eq(got, 0xff);
}

Test(pci, absent_functions_read_ones)
{
	uint32_t a, v;

	add_nic();
	cr_assert_eq(cf8_read(5, 0, 4), 0xffffffff, "empty slot");
	cr_assert_eq(ecam_read(5, 0, 4), 0xffffffff);
	cr_assert_eq(ecam_read(31, 0xffc, 4), 0xffffffff);
	cr_assert_eq(ecam_read(5, 0, 2), 0xffff);
	cr_assert_eq(ecam_read(5, 0, 1), 0xff);
	/* Function 1 of a present device, and bus 1. */
	v = 0;
	pci_ecam_access(bus, ecam_off(SLOT, 1, 0), (uint8_t *)&v, 4, false);
	cr_assert_eq(v, 0xffffffff);
	a = cf8_addr(0, SLOT, 1, 0);
	pci_cf8_access(bus, 0, (uint8_t *)&a, 4, true);
	pci_cf8_access(bus, 4, (uint8_t *)&v, 4, false);
	cr_assert_eq(v, 0xffffffff);
	a = cf8_addr(1, SLOT, 0, 0);
	pci_cf8_access(bus, 0, (uint8_t *)&a, 4, true);
	pci_cf8_access(bus, 4, (uint8_t *)&v, 4, false);
	cr_assert_eq(v, 0xffffffff);
	/* Without the enable bit CONFIG_DATA reaches nothing. */
	a = cf8_addr(0, SLOT, 0, 0) & ~0x80000000u;
	pci_cf8_access(bus, 0, (uint8_t *)&a, 4, true);
	pci_cf8_access(bus, 4, (uint8_t *)&v, 4, false);
	cr_assert_eq(v, 0xffffffff);
	v = 0x55;
	pci_cf8_access(bus, 4 + 0x3c % 4, (uint8_t *)&v, 1, true);
	/* Writes to absent functions are dropped; the device is intact. */
	a = cf8_addr(0, SLOT, 1, 0x3c);
	pci_cf8_access(bus, 0, (uint8_t *)&a, 4, true);
	pci_cf8_access(bus, 4, (uint8_t *)&v, 1, true);
	cr_assert_eq(ecam_read(SLOT, 0x3c, 1), 0, "interrupt line untouched");
	cr_assert_eq(ecam_read(SLOT, 0, 4), 0x10d38086);
}

/* Every register, in every size, the same through both mechanisms; a
 * write through one is seen through the other. */
Test(pci, cf8_and_ecam_agree)
{
	uint32_t off;

	add_nic();
	cr_assert_eq(pci_dev_add_cap(dev, 0x09, 8, &off), 0);
	cr_assert_eq(
		pci_dev_cfg_set(dev, off + 4, 4, 0xdeadbeef, 0xffff0000, 0), 0);
	for (unsigned int d = 0; d < 8; d++)
		for (uint32_t reg = 0; reg < 256; reg++)
			for (uint32_t len = 1; len <= 4; len *= 2) {
				if (reg % len)
					continue;
				cr_assert_eq(cf8_read(d, reg, len),
					     ecam_read(d, reg, len),
					     "%02x.0 reg %#x len %u", d, reg,
					     len);
			}
	cr_assert_eq(ecam_read(SLOT, 0x00, 4), 0x10d38086);
	cr_assert_eq(ecam_read(SLOT, 0x08, 4), 0x02000003, "class, rev");
	cr_assert_eq(ecam_read(SLOT, 0x2c, 4), 0x11001af4, "subsystem");
	cr_assert_eq(ecam_read(SLOT, 0x3d, 1), 0, "no INTx pin");
	cf8_write(SLOT, 0x3c, 1, 0x0b);
	cr_assert_eq(ecam_read(SLOT, 0x3c, 1), 0x0b);
	ecam_write(SLOT, off + 4, 4, 0x12345678);
	cr_assert_eq(cf8_read(SLOT, off + 4, 4), 0x1234beef, "masked write");
	cr_assert_eq(cf8_read(SLOT, off + 6, 2), 0x1234);
	/* CF8's extended register bits (27-24) reach offsets >= 0x100. */
	cr_assert_eq(pci_dev_cfg_set(dev, 0x104, 4, 0xcafe0001, 0, 0), 0);
	{
		uint32_t a = cf8_addr(0, SLOT, 0, 0x04) | 1u << 24, v = 0;

		pci_cf8_access(bus, 0, (uint8_t *)&a, 4, true);
		pci_cf8_access(bus, 4, (uint8_t *)&v, 4, false);
		cr_assert_eq(v, 0xcafe0001);
	}
	cr_assert_eq(ecam_read(SLOT, 0x104, 4), 0xcafe0001);
	cr_assert_eq(cf8_read(SLOT, 0x04, 4) & 0xffff, 0, "command");
}

/* PCI 3.0 6.2.5.1: all ones written, ~(size - 1) | flags read back. */
Test(pci, bar_sizing)
{
	cr_assert_eq(pci_dev_set_bar(dev, 0, 0x1000, 0), 0);
	cr_assert_eq(pci_dev_set_bar(dev, 1, 0x100000, 0x08), 0);
	cr_assert_eq(pci_dev_set_bar(dev, 2, 0x4000, 0x04), 0);
	cr_assert_eq(pci_dev_set_bar(dev, 4, 0x200000000ULL, 0x0c), 0);
	cr_assert_eq(pci_dev_set_bar(dev, 6, 0x10000, 0), 0);
	cr_assert_eq(pci_bus_add_dev(bus, dev, SLOT, NULL), 0);
	cr_assert_eq(ecam_read(SLOT, 0x14, 4), 0x08, "prefetchable flag");
	cr_assert_eq(ecam_read(SLOT, 0x18, 4), 0x04, "64-bit flag");
	for (unsigned int b = 0; b < 6; b++)
		ecam_write(SLOT, 0x10 + 4 * b, 4, 0xffffffff);
	ecam_write(SLOT, 0x30, 4, 0xffffffff);
	cr_assert_eq(ecam_read(SLOT, 0x10, 4), 0xfffff000);
	cr_assert_eq(ecam_read(SLOT, 0x14, 4), 0xfff00008);
	cr_assert_eq(ecam_read(SLOT, 0x18, 4), 0xffffc004);
	cr_assert_eq(ecam_read(SLOT, 0x1c, 4), 0xffffffff, "upper half");
	cr_assert_eq(ecam_read(SLOT, 0x20, 4), 0x0000000c, "8 GiB: low 0");
	cr_assert_eq(ecam_read(SLOT, 0x24, 4), 0xfffffffe);
	cr_assert_eq(ecam_read(SLOT, 0x30, 4), 0xffff0001, "ROM and enable");
	/* Restored, they hold addresses again; sizing moved nothing as
	 * decode was off. */
	ecam_write(SLOT, 0x10, 4, 0xc0001000);
	cr_assert_eq(ecam_read(SLOT, 0x10, 4), 0xc0001000);
	cr_assert_eq(rec.nr_moves, 0);
	/* A device without a ROM reads 0 there whatever is written; so do
	 * unused BARs. */
	cr_assert_eq(ecam_read(0, 0x30, 4), 0);
	ecam_write(0, 0x30, 4, 0xffffffff);
	ecam_write(0, 0x10, 4, 0xffffffff);
	cr_assert_eq(ecam_read(0, 0x30, 4), 0);
	cr_assert_eq(ecam_read(0, 0x10, 4), 0);
}

/* Every BAR naturally aligned inside its window; the 64-bit prefetchable
 * one above 4 GiB; nothing mapped while decode is off. */
Test(pci, assign_bars)
{
	uint64_t b0, b2, rom;

	add_nic();
	b0 = ecam_read(SLOT, 0x10, 4) & ~0xfULL;
	b2 = bar64(SLOT, 2);
	rom = ecam_read(SLOT, 0x30, 4) & ~0x7ffULL;
	cr_assert(b0 >= W32_BASE && b0 + 0x10000 <= W32_BASE + W32_SIZE);
	cr_assert_eq(b0 % 0x10000, 0);
	cr_assert(b2 >= W64_BASE && b2 + 0x4000 <= W64_BASE + W64_SIZE,
		  "64-bit prefetchable above 4 GiB: %#lx", (unsigned long)b2);
	cr_assert_eq(b2 % 0x4000, 0);
	cr_assert(rom >= W32_BASE && rom + 0x10000 <= W32_BASE + W32_SIZE);
	cr_assert_eq(rom % 0x10000, 0);
	cr_assert(rom + 0x10000 <= b0 || b0 + 0x10000 <= rom, "disjoint");
	cr_assert_eq(ecam_read(SLOT, 0x30, 4) & 1, 0, "ROM not enabled");
	cr_assert_eq(ecam_read(SLOT, 0x18, 4) & 0xf, 0x0c, "flags kept");
	cr_assert_eq(rec.nr_moves, 0);
	for (unsigned int b = 0; b < 7; b++)
		cr_assert_eq(pci_dev_bar_addr(dev, b), UNMAPPED);
}

/* Without a 64-bit window, or with too small a 32-bit one. */
Test(pci, assign_bars_fallback_and_nospc)
{
	const struct pci_bus_config small = {
		.mmio32_base = W32_BASE,
		.mmio32_size = 0x20000,
	};
	struct pci_bus *b2;
	struct pci_dev *d2;
	uint32_t lo, hi;

	cr_assert_eq(pci_bus_create(&small, &b2), 0);
	cr_assert_eq(pci_dev_create(&nic, &rec_ops, &rec, &d2), 0);
	cr_assert_eq(pci_dev_set_bar(d2, 0, 0x4000, 0x0c), 0);
	cr_assert_eq(pci_bus_add_dev(b2, d2, -1, NULL), 0);
	cr_assert_eq(pci_bus_assign_bars(b2), 0);
	pci_dev_cfg_read(d2, 0x10, (uint8_t *)&lo, 4);
	pci_dev_cfg_read(d2, 0x14, (uint8_t *)&hi, 4);
	cr_assert_eq(hi, 0, "in the 32-bit window");
	cr_assert_eq(lo & ~0xfu, W32_BASE);
	cr_assert_eq(pci_dev_set_bar(d2, 2, 0x40000, 0), 0);
	cr_assert_eq(pci_bus_assign_bars(b2), -ENOSPC);
	pci_bus_destroy(b2);
	pci_dev_destroy(d2);
}

/* Decode on, a BAR rewritten, moved out of the windows, decode off: each
 * change once, in BAR order, with the right old and new addresses. */
Test(pci, bar_moves_call_the_hook)
{
	uint64_t b0, b2, rom, nb0 = W32_BASE + 0x800000;

	add_nic();
	b0 = ecam_read(SLOT, 0x10, 4) & ~0xfULL;
	b2 = bar64(SLOT, 2);
	rom = ecam_read(SLOT, 0x30, 4) & ~0x7ffULL;
	cf8_write(SLOT, 0x04, 2, 0x0006); /* memory, bus master */
	cr_assert_eq(rec.nr_moves, 2, "BAR0 and BAR2; the ROM is disabled");
	expect_move(0, 0, UNMAPPED, b0);
	expect_move(1, 2, UNMAPPED, b2);
	cr_assert_eq(pci_dev_bar_addr(dev, 0), b0);
	cr_assert_eq(pci_dev_bar_addr(dev, 2), b2);
	cf8_write(SLOT, 0x04, 2, 0x0006); /* no change, no call */
	cr_assert_eq(rec.nr_moves, 2);
	/* Moved while decoding. */
	ecam_write(SLOT, 0x10, 4, (uint32_t)nb0);
	expect_move(2, 0, b0, nb0);
	/* The ROM decodes once enabled. */
	ecam_write(SLOT, 0x30, 4, (uint32_t)rom | 1);
	expect_move(3, 6, UNMAPPED, rom);
	/* A 64-bit BAR moved half by half: through a transient place. */
	ecam_write(SLOT, 0x18, 4, 0x10000);
	expect_move(4, 2, b2, (b2 & ~0xffffffffULL) | 0x10000);
	ecam_write(SLOT, 0x1c, 4, 0x11);
	expect_move(5, 2, (b2 & ~0xffffffffULL) | 0x10000, 0x1100010000ULL);
	/* Outside every window: no longer decoded. */
	ecam_write(SLOT, 0x10, 4, 0xfee00000);
	expect_move(6, 0, nb0, UNMAPPED);
	cr_assert_eq(pci_dev_bar_addr(dev, 0), UNMAPPED);
	ecam_write(SLOT, 0x10, 4, (uint32_t)b0);
	expect_move(7, 0, UNMAPPED, b0);
	/* Sizing with decode on unmaps (~(size - 1) is not in a window),
	 * restoring maps back. */
	ecam_write(SLOT, 0x10, 4, 0xffffffff);
	expect_move(8, 0, b0, UNMAPPED);
	ecam_write(SLOT, 0x10, 4, (uint32_t)b0);
	expect_move(9, 0, UNMAPPED, b0);
	/* Decode off: everything goes, in BAR order. */
	ecam_write(SLOT, 0x04, 2, 0x0004);
	cr_assert_eq(rec.nr_moves, 13);
	expect_move(10, 0, b0, UNMAPPED);
	expect_move(11, 2, 0x1100010000ULL, UNMAPPED);
	expect_move(12, 6, rom, UNMAPPED);
	cr_assert_eq(ecam_read(SLOT, 0x04, 2), 0x0004, "bus master stays");
	/* Address 0 is unassigned, never decoded. */
	ecam_write(SLOT, 0x10, 4, 0);
	ecam_write(SLOT, 0x04, 2, 0x0002);
	cr_assert_eq(pci_dev_bar_addr(dev, 0), UNMAPPED);
}

/* Trapped accesses reach the BAR that decodes them, at the moved address
 * and not the old one. */
Test(pci, mmio_dispatch_follows_moves)
{
	uint64_t b0, b2, nb0 = W32_BASE + 0x800000, v;
	uint8_t buf[8];

	add_nic();
	b0 = ecam_read(SLOT, 0x10, 4) & ~0xfULL;
	b2 = bar64(SLOT, 2);
	cr_assert_eq(mmio_read(b0, 4), 0xffffffff, "decode off: nothing");
	cr_assert_eq(rec.nr_access, 0);
	ecam_write(SLOT, 0x04, 2, 0x0002);
	v = mmio_read(b0 + 0x10, 4);
	cr_assert_eq(rec.nr_access, 1);
	cr_assert(rec.bar == 0 && rec.off == 0x10 && rec.len == 4);
	cr_assert_eq(v, 0x131211b0);
	memcpy(buf, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
	pci_mmio64_access(bus, b2 + 0x3ff8 - W64_BASE, buf, 8, true);
	cr_assert(rec.bar == 2 && rec.off == 0x3ff8 && rec.len == 8 &&
		  rec.is_write);
	cr_assert_eq(rec.val, 0x0807060504030201ULL);
	/* Straddling the BAR's end: nobody's. */
	cr_assert_eq(mmio_read(b0 + 0xfffe, 4), 0xffffffff);
	cr_assert_eq(mmio_read(b2 + 0x3ffc, 8), UINT64_MAX);
	cr_assert_eq(rec.nr_access, 2);
	/* Moved: the new place answers, the old one does not. */
	ecam_write(SLOT, 0x10, 4, (uint32_t)nb0);
	cr_assert_eq(mmio_read(b0 + 0x10, 4), 0xffffffff);
	cr_assert_eq(rec.nr_access, 2);
	cr_assert_eq(mmio_read(nb0 + 0x20, 2), 0x21b0);
	cr_assert(rec.bar == 0 && rec.off == 0x20 && rec.len == 2);
	cr_assert_eq(rec.nr_access, 3);
	/* The ROM, once enabled. */
	v = ecam_read(SLOT, 0x30, 4);
	ecam_write(SLOT, 0x30, 4, (uint32_t)v | 1);
	cr_assert_eq(mmio_read((v & ~0x7ffULL) + 4, 1), 0xb6);
	cr_assert_eq(rec.bar, 6);
	/* Decode off: the windows answer ones again. */
	ecam_write(SLOT, 0x04, 2, 0);
	cr_assert_eq(mmio_read(nb0 + 0x20, 4), 0xffffffff);
	cr_assert_eq(rec.nr_access, 4);
}

/* Capabilities chain from 0x34, dword aligned; their headers are read
 * only; a body takes what its mask allows. */
Test(pci, capability_chain)
{
	uint32_t o1, o2, o3, o4;
	unsigned int n = 0;

	cr_assert_eq(pci_bus_add_dev(bus, dev, SLOT, NULL), 0);
	cr_assert_eq(ecam_read(SLOT, 0x06, 2) & 0x10, 0, "no list yet");
	cr_assert_eq(pci_dev_add_cap(dev, 0x01, 8, &o1), 0);
	cr_assert_eq(pci_dev_add_cap(dev, 0x11, 12, &o2), 0);
	cr_assert_eq(pci_dev_add_cap(dev, 0x09, 6, &o3), 0);
	cr_assert_eq(o1, 0x40);
	cr_assert_eq(o2, 0x48);
	cr_assert_eq(o3, 0x54);
	cr_assert_eq(ecam_read(SLOT, 0x06, 2) & 0x10, 0x10, "Capabilities");
	for (uint32_t p = ecam_read(SLOT, 0x34, 1); p; n++) {
		static const uint8_t ids[] = { 0x01, 0x11, 0x09 };

		cr_assert_lt(n, 3);
		cr_assert_eq(p % 4, 0);
		cr_assert_eq(ecam_read(SLOT, p, 1), ids[n]);
		p = ecam_read(SLOT, p + 1, 1);
	}
	cr_assert_eq(n, 3);
	ecam_write(SLOT, o2, 2, 0xffff);
	cr_assert_eq(ecam_read(SLOT, o2, 2), 0x5411, "header read-only");
	cr_assert_eq(pci_dev_cfg_set(dev, o2 + 2, 2, 0x0007, 0xc000, 0), 0);
	ecam_write(SLOT, o2 + 2, 2, 0xffff);
	cr_assert_eq(ecam_read(SLOT, o2 + 2, 2), 0xc007);
	ecam_write(SLOT, o2, 4, 0);
	cr_assert_eq(ecam_read(SLOT, o2, 4), 0x00075411);
	/* Up to 0x100 and no further. */
	cr_assert_eq(pci_dev_add_cap(dev, 0x10, 0x100 - 0x5c, &o4), 0);
	cr_assert_eq(o4, 0x5c);
	cr_assert_eq(pci_dev_add_cap(dev, 0x05, 2, &o4), -ENOSPC);
	cr_assert_eq(pci_dev_add_cap(dev, 0x05, 1, &o4), -EINVAL);
	cr_assert_eq(pci_dev_add_cap(dev, 0x05, 193, &o4), -EINVAL);
}

/* Status error bits: a 1 clears, a 0 keeps. */
Test(pci, status_write_one_to_clear)
{
	cr_assert_eq(pci_bus_add_dev(bus, dev, SLOT, NULL), 0);
	cr_assert_eq(pci_dev_cfg_set(dev, 0x06, 2, 0x3000, 0, 0x3000), 0);
	ecam_write(SLOT, 0x06, 2, 0);
	cr_assert_eq(ecam_read(SLOT, 0x06, 2), 0x3000);
	ecam_write(SLOT, 0x06, 2, 0x1000);
	cr_assert_eq(ecam_read(SLOT, 0x06, 2), 0x2000);
	cr_assert_eq(pci_dev_cfg_set(dev, 0x06, 2, 0, 0x1, 0x1), -EINVAL);
}

/* A device that owns 0x40-0x7f (as VFIO passes registers through) and
 * leaves the rest, BARs included, to the default emulation. */
static void own_read(void *ctx, struct pci_dev *d, uint32_t off, uint8_t *data,
		     uint32_t len)
{
	struct rec *r = ctx;

	r->nr_cfg++;
	if (off >= 0x40 && off < 0x80)
		memset(data, 0xa5, len);
	else
		pci_dev_cfg_read(d, off, data, len);
}

static void own_write(void *ctx, struct pci_dev *d, uint32_t off,
		      const uint8_t *data, uint32_t len)
{
	struct rec *r = ctx;

	r->nr_cfg++;
	if (off >= 0x40 && off < 0x80)
		r->val = data[0];
	else
		pci_dev_cfg_write(d, off, data, len);
}

Test(pci, config_hooks_come_first)
{
	static const struct pci_dev_ops own_ops = {
		.cfg_read = own_read,
		.cfg_write = own_write,
		.bar_moved = rec_moved,
	};
	struct pci_dev *d2;
	uint64_t b0;

	cr_assert_eq(pci_dev_create(&nic, &own_ops, &rec, &d2), 0);
	cr_assert_eq(pci_dev_set_bar(d2, 0, 0x1000, 0), 0);
	cr_assert_eq(pci_bus_add_dev(bus, d2, -1, NULL), 0);
	cr_assert_eq(pci_bus_assign_bars(bus), 0);
	cr_assert_eq(cf8_read(1, 0x44, 4), 0xa5a5a5a5, "the hook's");
	cr_assert_eq(ecam_read(1, 0x00, 4), 0x10d38086, "the default's");
	ecam_write(1, 0x50, 1, 0x77);
	cr_assert_eq(rec.val, 0x77);
	b0 = ecam_read(1, 0x10, 4);
	ecam_write(1, 0x04, 2, 0x0002);
	expect_move(0, 0, UNMAPPED, b0);
	cr_assert_eq(rec.nr_cfg, 5);
	/* No bar_access: its BAR reads ones and takes no writes. */
	cr_assert_eq(mmio_read(b0, 4), 0xffffffff);
	pci_bus_destroy(bus);
	bus = NULL;
	pci_dev_destroy(d2);
}

Test(pci, refuses_bad_arguments)
{
	struct pci_dev_config bad = nic;
	struct pci_bus_config bc = { .mmio32_base = W32_BASE,
				     .mmio32_size = W32_SIZE };
	struct pci_dev *devs[32], *d2;
	struct pci_bus *b2;
	unsigned int slot;

	bad.vendor_id = 0xffff;
	cr_assert_eq(pci_dev_create(&bad, &rec_ops, NULL, &d2), -EINVAL);
	cr_assert_eq(pci_dev_create(&nic, NULL, NULL, &d2), -EINVAL);
	bc.mmio32_size = 0;
	cr_assert_eq(pci_bus_create(&bc, &b2), -EINVAL);
	bc = (struct pci_bus_config){ .mmio32_base = 0xf0000000,
				      .mmio32_size = 0x20000000 };
	cr_assert_eq(pci_bus_create(&bc, &b2), -EINVAL, "past 4 GiB");
	bc = (struct pci_bus_config){ .mmio32_base = W32_BASE,
				      .mmio32_size = W32_SIZE,
				      .mmio64_base = W32_BASE + 0x1000,
				      .mmio64_size = 0x1000 };
	cr_assert_eq(pci_bus_create(&bc, &b2), -EINVAL, "overlap");
	bc.mmio64_base = UINT64_MAX - 0xfff;
	cr_assert_eq(pci_bus_create(&bc, &b2), -EINVAL, "wraps");
	/* BARs. */
	cr_assert_eq(pci_dev_set_bar(dev, 0, 0x1800, 0), -EINVAL);
	cr_assert_eq(pci_dev_set_bar(dev, 0, 8, 0), -EINVAL);
	cr_assert_eq(pci_dev_set_bar(dev, 0, 0x100000000ULL, 0), -EINVAL);
	cr_assert_eq(pci_dev_set_bar(dev, 5, 0x1000, 0x04), -EINVAL);
	cr_assert_eq(pci_dev_set_bar(dev, 0, 0x1000, 0x01), -EINVAL, "I/O");
	cr_assert_eq(pci_dev_set_bar(dev, 7, 0x1000, 0), -EINVAL);
	cr_assert_eq(pci_dev_set_bar(dev, 6, 0x400, 0), -EINVAL, "ROM 1K");
	cr_assert_eq(pci_dev_set_bar(dev, 6, 0x1000, 0x08), -EINVAL);
	cr_assert_eq(pci_dev_set_bar(dev, 1, 0x1000, 0x04), 0);
	cr_assert_eq(pci_dev_set_bar(dev, 2, 0x1000, 0), -EBUSY, "upper");
	cr_assert_eq(pci_dev_set_bar(dev, 0, 0x1000, 0x04), -EBUSY);
	cr_assert_eq(pci_dev_set_bar(dev, 1, 0x1000, 0), -EBUSY);
	/* Registers the core owns. */
	cr_assert_eq(pci_dev_cfg_set(dev, 0x04, 2, 6, 0, 0), -EINVAL);
	cr_assert_eq(pci_dev_cfg_set(dev, 0x14, 4, 0, 0, 0), -EINVAL);
	cr_assert_eq(pci_dev_cfg_set(dev, 0x30, 1, 0, 0, 0), -EINVAL);
	cr_assert_eq(pci_dev_cfg_set(dev, 0x41, 2, 0, 0, 0), -EINVAL);
	cr_assert_eq(pci_dev_cfg_set(dev, 0xffe, 4, 0, 0, 0), -EINVAL);
	cr_assert_eq(pci_dev_cfg_set(dev, 0x1000, 1, 0, 0, 0), -EINVAL);
	cr_assert_eq(pci_dev_cfg_set(dev, 0xffc, 4, 0, 0, 0), 0);
	/* Slots. */
	cr_assert_eq(pci_bus_add_dev(bus, dev, 0, NULL), -EINVAL, "host's");
	cr_assert_eq(pci_bus_add_dev(bus, dev, 32, NULL), -EINVAL);
	cr_assert_eq(pci_bus_add_dev(bus, dev, 7, &slot), 0);
	cr_assert_eq(pci_bus_add_dev(bus, dev, 8, NULL), -EBUSY, "twice");
	for (unsigned int i = 0; i < 32; i++)
		cr_assert_eq(pci_dev_create(&nic, &rec_ops, NULL, &devs[i]), 0);
	cr_assert_eq(pci_bus_add_dev(bus, devs[0], 7, NULL), -EBUSY);
	cr_assert_eq(pci_bus_add_dev(bus, devs[0], -1, &slot), 0);
	cr_assert_eq(slot, 1, "the lowest free");
	for (unsigned int i = 1; i < 30; i++)
		cr_assert_eq(pci_bus_add_dev(bus, devs[i], -1, NULL), 0);
	cr_assert_eq(pci_bus_add_dev(bus, devs[30], -1, NULL), -ENOSPC);
	pci_bus_destroy(bus);
	bus = NULL;
	for (unsigned int i = 0; i < 32; i++)
		pci_dev_destroy(devs[i]);
}

/* Whether (buf) past (len) still holds the canary. */
static void expect_canary(const uint8_t *buf, uint32_t len, size_t size)
{
	for (size_t i = len; i < size; i++)
		cr_assert_eq(buf[i], 0x5a, "byte %zu past len %u", i, len);
}

/*
 * Every CF8 port, ECAM offset pattern and window offset with every length
 * 0-16 and both directions, and every CONFIG_ADDRESS a seeded generator
 * gives: nothing crashes (ASan runs this too), nothing is written past
 * (len), a refused read is all ones, and what must not change does not.
 */
Test(pci, hostile_accesses)
{
	static const uint64_t far[] = { PCI_ECAM_SIZE, PCI_ECAM_SIZE + 1,
					UINT32_MAX, UINT64_MAX - 3,
					UINT64_MAX };
	uint8_t buf[24];
	uint32_t seed = 12345, a;
	uint64_t b0;

	add_nic();
	b0 = ecam_read(SLOT, 0x10, 4) & ~0xfULL;
	ecam_write(SLOT, 0x04, 2, 0x0002);
	for (uint64_t off = 0; off < 16; off++)
		for (uint32_t len = 0; len <= 16; len++)
			for (int w = 0; w < 2; w++) {
				memset(buf, 0x5a, sizeof(buf));
				memset(buf, w ? 0xff : 0x5a, len);
				pci_cf8_access(bus, off, buf, len, w);
				expect_canary(buf, len, sizeof(buf));
			}
	/* Misaligned, oversized, empty or far ECAM accesses. */
	for (uint64_t off = 0; off < PCI_ECAM_SIZE; off += 0x3f1)
		for (uint32_t len = 0; len <= 16; len++) {
			bool ok = (len == 1 || len == 2 || len == 4) &&
				  !(off % len);

			memset(buf, 0x5a, sizeof(buf));
			pci_ecam_access(bus, off, buf, len, false);
			expect_canary(buf, len, sizeof(buf));
			for (uint32_t i = 0; !ok && i < len; i++)
				cr_assert_eq(buf[i], 0xff, "off %#lx len %u",
					     (unsigned long)off, len);
		}
	for (unsigned int i = 0; i < sizeof(far) / sizeof(far[0]); i++)
		for (uint32_t len = 0; len <= 16; len++) {
			memset(buf, 0x5a, sizeof(buf));
			pci_ecam_access(bus, far[i], buf, len, false);
			for (uint32_t k = 0; k < len; k++)
				cr_assert_eq(buf[k], 0xff);
			expect_canary(buf, len, sizeof(buf));
			pci_ecam_access(bus, far[i], buf, len, true);
			pci_mmio32_access(bus, far[i], buf, len, false);
			expect_canary(buf, len, sizeof(buf));
			pci_mmio64_access(bus, far[i], buf, len, true);
			pci_mmio32_access(bus, b0 - W32_BASE, buf, len, false);
			expect_canary(buf, len, sizeof(buf));
		}
	/* Random addresses latched, every data port and length, reads and
	 * writes of ones to whatever they name (our device included). */
	for (unsigned int i = 0; i < 200000; i++) {
		seed = seed * 1103515245u + 12345u;
		a = seed ^ (seed >> 7 << 20);
		pci_cf8_access(bus, 0, (uint8_t *)&a, 4, true);
		memset(buf, 0x5a, sizeof(buf));
		pci_cf8_access(bus, 4 + (seed >> 3) % 4, buf, 1u << (seed % 3),
			       (seed >> 9) & 1);
		expect_canary(buf, 1u << (seed % 3), sizeof(buf));
	}
	/* Every dword of our device's and the host's config space written
	 * with ones, then zeros: identity and the chain survive. */
	for (uint32_t reg = 0; reg < 0x1000; reg += 4) {
		ecam_write(SLOT, reg, 4, 0xffffffff);
		ecam_write(0, reg, 4, 0xffffffff);
		ecam_write(SLOT, reg, 4, 0);
		ecam_write(0, reg, 4, 0);
	}
	cr_assert_eq(ecam_read(0, 0x00, 4), 0x0d578086);
	cr_assert_eq(ecam_read(0, 0x08, 4) >> 8, 0x060000);
	cr_assert_eq(ecam_read(SLOT, 0x00, 4), 0x10d38086);
	cr_assert_eq(ecam_read(SLOT, 0x18, 4) & 0xf, 0x0c, "BAR flags");
	/* pci_dev_cfg_read/write take out-of-range parts safely too. */
	memset(buf, 0x5a, sizeof(buf));
	pci_dev_cfg_read(dev, 0xffe, buf, 4);
	cr_assert_eq(buf[2], 0xff);
	cr_assert_eq(buf[3], 0xff);
	expect_canary(buf, 4, sizeof(buf));
	pci_dev_cfg_read(dev, UINT32_MAX, buf, 8);
	cr_assert_eq(buf[7], 0xff);
	pci_dev_cfg_write(dev, UINT32_MAX - 1, buf, 8);
	cr_assert_eq(pci_dev_bar_addr(dev, 99), UNMAPPED);
}

/* One vCPU moves BAR0 back and forth while two others trap accesses and
 * read config space: the hook sees a consistent sequence, and afterwards
 * only the final place answers. */
static _Atomic int stop;
static _Atomic unsigned long hits; /* reads the device answered */
static uint64_t places[2];

static void chain_moved(void *ctx, unsigned int bar, uint64_t was, uint64_t now)
{
	uint64_t *last = ctx;

	/* Serialised by the device: each move starts where the last one
	 * ended. Not cr_assert: this may run off the main thread. */
	if (bar == 0) {
		if (was != *last)
			abort();
		*last = now;
	}
}

static void chain_access(void *ctx, unsigned int bar, uint64_t off,
			 uint8_t *data, uint32_t len, bool is_write)
{
	if (!is_write)
		memset(data, 0x11, len);
}

static void *reader(void *arg)
{
	while (!stop) {
		for (unsigned int i = 0; i < 2; i++) {
			uint32_t v = 0;

			pci_mmio32_access(bus, places[i] - W32_BASE,
					  (uint8_t *)&v, 4, false);
			hits += v == 0x11111111;
			/* Not cr_assert: this is not the test's thread. */
			if (v != 0x11111111 && v != 0xffffffff)
				abort();
		}
		if (ecam_read(SLOT, 0, 4) != 0x10d38086)
			abort();
	}
	return NULL;
}

Test(pci, moves_race_accesses)
{
	static const struct pci_dev_ops chain_ops = {
		.bar_access = chain_access,
		.bar_moved = chain_moved,
	};
	static uint64_t last = UNMAPPED;
	struct pci_dev *d2;
	pthread_t t[2];
	unsigned int i;

	cr_assert_eq(pci_dev_create(&nic, &chain_ops, &last, &d2), 0);
	cr_assert_eq(pci_dev_set_bar(d2, 0, 0x1000, 0), 0);
	cr_assert_eq(pci_bus_add_dev(bus, d2, SLOT, NULL), 0);
	places[0] = W32_BASE + 0x100000;
	places[1] = W32_BASE + 0x200000;
	ecam_write(SLOT, 0x10, 4, (uint32_t)places[0]);
	ecam_write(SLOT, 0x04, 2, 0x0002);
	for (i = 0; i < 2; i++)
		cr_assert_eq(pthread_create(&t[i], NULL, reader, NULL), 0);
	/* At least 20000 moves, and on until the readers got through often
	 * (they may start late); decode off and on now and then. */
	for (i = 0; i < 20000 || (hits < 10000 && i < 20000000); i++) {
		ecam_write(SLOT, 0x10, 4, (uint32_t)places[(i + 1) % 2]);
		if (i % 64 == 0) {
			ecam_write(SLOT, 0x04, 2, 0);
			ecam_write(SLOT, 0x04, 2, 0x0002);
		}
	}
	ecam_write(SLOT, 0x10, 4, (uint32_t)places[0]);
	stop = 1;
	for (i = 0; i < 2; i++)
		cr_assert_eq(pthread_join(t[i], NULL), 0);
	cr_assert_geq(hits, 10000, "the readers reached the device");
	cr_assert_eq(last, places[0], "the hook's chain ends where BAR0 is");
	cr_assert_eq(pci_dev_bar_addr(d2, 0), places[0]);
	cr_assert_eq(mmio_read(places[0], 4), 0x11111111);
	cr_assert_eq(mmio_read(places[1], 4), 0xffffffff);
	pci_bus_destroy(bus);
	bus = NULL;
	pci_dev_destroy(d2);
}
