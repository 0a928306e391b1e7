// SPDX-License-Identifier: Apache-2.0
/* tests/devices/legacy/test_ioapic.c: the I/O APIC's registers and MSIs. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "devices/legacy/ioapic.h"

#define REGSEL		0x00
#define IOWIN		0x10
#define REG_ID		0x00
#define REG_VER		0x01
#define REG_ARB		0x02
#define REG_RTE(pin)	(0x10 + 2 * (pin))

#define RTE_MASK	(1U << 16)
#define RTE_LEVEL	(1U << 15)
#define RTE_REMOTE_IRR	(1U << 14)
#define RTE_DELIVS	(1U << 12)
#define RTE_LOGICAL	(1U << 11)
#define MAX_MSIS	16

/* One message the device sent. */
struct msi {
	uint64_t addr;	/* MSI address */
	uint32_t data;	/* MSI data */
};

/* One set_route call. */
struct route {
	unsigned int pin;	/* pin */
	uint64_t addr;		/* MSI address */
	uint32_t data;		/* MSI data */
	bool masked;		/* mask bit */
};

static struct ioapic *io;
static struct msi msis[MAX_MSIS];
static unsigned int nr_msis;
static struct route routes[MAX_MSIS];
static unsigned int nr_routes;
static int msi_err;
static uint32_t resampled;	/* pins whose eoi() says resampled */
static unsigned int eoi_pins[MAX_MSIS], nr_eois;

static int record_msi(void *ctx, uint64_t addr, uint32_t data)
{
	cr_assert_eq(ctx, &msis);
	if (msi_err)
		return msi_err;
	cr_assert_lt(nr_msis, MAX_MSIS);
	msis[nr_msis++] = (struct msi){ addr, data };
	return 0;
}

static int record_route(void *ctx, unsigned int pin, uint64_t addr,
			uint32_t data, bool masked)
{
	cr_assert_lt(nr_routes, MAX_MSIS);
	routes[nr_routes++] = (struct route){ pin, addr, data, masked };
	return 0;
}

static bool record_eoi(void *ctx, unsigned int pin)
{
	cr_assert_eq(ctx, &msis);
	cr_assert_lt(nr_eois, MAX_MSIS);
	eoi_pins[nr_eois++] = pin;
	return resampled & 1U << pin;
}

static const struct ioapic_ops test_ops = {
	.send_msi = record_msi,
	.set_route = record_route,
	.eoi = record_eoi,
};

static void setup(void)
{
	nr_msis = nr_routes = nr_eois = 0;
	msi_err = 0;
	resampled = 0;
	cr_assert_eq(ioapic_create(&test_ops, &msis, &io), 0);
}

static void teardown(void)
{
	ioapic_destroy(io);
}

static void mmio_write(uint64_t off, uint32_t v)
{
	ioapic_access(io, off, (uint8_t *)&v, sizeof(v), true);
}

static uint32_t mmio_read(uint64_t off)
{
	uint32_t v = 0xdeadbeef;

	ioapic_access(io, off, (uint8_t *)&v, sizeof(v), false);
	return v;
}

static uint32_t rd(uint32_t reg)
{
	mmio_write(REGSEL, reg);
	return mmio_read(IOWIN);
}

static void wr(uint32_t reg, uint32_t v)
{
	mmio_write(REGSEL, reg);
	mmio_write(IOWIN, v);
}

/* Programs (pin) as Linux does: high half (destination) first. */
static void program(unsigned int pin, uint8_t dest, uint32_t low)
{
	wr(REG_RTE(pin) + 1, (uint32_t)dest << 24);
	wr(REG_RTE(pin), low);
}

TestSuite(ioapic, .init = setup, .fini = teardown);

Test(ioapic, create_needs_send_msi)
{
	static const struct ioapic_ops none = { 0 };
	struct ioapic *x = NULL;

	cr_expect_eq(ioapic_create(&none, NULL, &x), -EINVAL);
	cr_expect_eq(ioapic_create(NULL, NULL, &x), -EINVAL);
	cr_expect_null(x);
	ioapic_destroy(NULL);
}

Test(ioapic, regsel_reads_back)
{
	mmio_write(REGSEL, 0x12);
	cr_expect_eq(mmio_read(REGSEL), 0x12);
	/* Only bits 0-7 select a register. */
	mmio_write(REGSEL, 0xabcd0001);
	cr_expect_eq(mmio_read(REGSEL), 0x01);
}

Test(ioapic, version_register)
{
	uint32_t v = rd(REG_VER);

	cr_expect_eq(v & 0xff, 0x11, "version %#x", v);
	cr_expect_eq((v >> 16) & 0xff, 23, "max redirection entry %u",
		     (v >> 16) & 0xff);
	wr(REG_VER, 0);
	cr_expect_eq(rd(REG_VER), v, "VER is read-only");
}

Test(ioapic, id_and_arbitration)
{
	cr_expect_eq(rd(REG_ID), 0);
	wr(REG_ID, 0xff000000);
	cr_expect_eq(rd(REG_ID), 0x0f000000, "only bits 24-27 are the ID");
	cr_expect_eq(rd(REG_ARB), 0x0f000000);
	wr(REG_ARB, 0);
	cr_expect_eq(rd(REG_ARB), 0x0f000000, "ARB is read-only");
}

Test(ioapic, masked_at_reset)
{
	unsigned int pin;

	for (pin = 0; pin < IOAPIC_NR_PINS; pin++) {
		cr_expect_eq(rd(REG_RTE(pin)), RTE_MASK, "pin %u", pin);
		cr_expect_eq(rd(REG_RTE(pin) + 1), 0, "pin %u", pin);
		ioapic_set_irq(io, pin, true);
		ioapic_set_irq(io, pin, false);
	}
	cr_expect_eq(nr_msis, 0);
	cr_expect_eq(nr_routes, 0);
}

Test(ioapic, edge_delivers_one_msi)
{
	program(4, 0, 0x30);
	cr_assert_eq(ioapic_set_irq(io, 4, true), 0);
	cr_assert_eq(nr_msis, 1);
	cr_expect_eq(msis[0].addr, 0xfee00000);
	cr_expect_eq(msis[0].data, 0x30);
	/* Holding the line is not another edge. */
	ioapic_set_irq(io, 4, true);
	cr_expect_eq(nr_msis, 1);
	ioapic_set_irq(io, 4, false);
	ioapic_set_irq(io, 4, true);
	cr_expect_eq(nr_msis, 2);
	/* Edge pins have no remote IRR; EOI does nothing. */
	cr_expect_eq(rd(REG_RTE(4)) & RTE_REMOTE_IRR, 0);
	ioapic_eoi(io, 0x30);
	cr_expect_eq(nr_msis, 2);
}

Test(ioapic, physical_and_logical_destinations)
{
	/* Physical, APIC 3, fixed. */
	program(1, 3, 0x41);
	ioapic_set_irq(io, 1, true);
	/* Logical, set 0x0f, lowest priority (delivery mode 1). */
	program(2, 0x0f, RTE_LOGICAL | 1 << 8 | 0x42);
	ioapic_set_irq(io, 2, true);
	/* NMI (mode 4) to APIC 0xff: the vector is not used, passed on. */
	program(3, 0xff, 4 << 8);
	ioapic_set_irq(io, 3, true);
	cr_assert_eq(nr_msis, 3);
	cr_expect_eq(msis[0].addr, 0xfee03000);
	cr_expect_eq(msis[0].data, 0x41);
	cr_expect_eq(msis[1].addr, 0xfee0f004);
	cr_expect_eq(msis[1].data, 0x142);
	cr_expect_eq(msis[2].addr, 0xfeeff000);
	cr_expect_eq(msis[2].data, 0x400);
}

Test(ioapic, masked_pin_delivers_nothing)
{
	program(5, 0, RTE_MASK | 0x35);
	ioapic_set_irq(io, 5, true);
	ioapic_set_irq(io, 5, false);
	cr_expect_eq(nr_msis, 0);
	/* An edge seen while masked is lost, not held. */
	ioapic_set_irq(io, 5, true);
	program(5, 0, 0x35);
	cr_expect_eq(nr_msis, 0);
}

Test(ioapic, level_remote_irr_until_eoi)
{
	uint32_t want_data = 0x50 | RTE_LEVEL | 1U << 14;

	program(9, 1, RTE_LEVEL | 0x50);
	ioapic_set_irq(io, 9, true);
	cr_assert_eq(nr_msis, 1);
	cr_expect_eq(msis[0].addr, 0xfee01000);
	cr_expect_eq(msis[0].data, want_data, "data %#x", msis[0].data);
	cr_expect_neq(rd(REG_RTE(9)) & RTE_REMOTE_IRR, 0);
	/* Still asserted, but waiting for its EOI: nothing more. */
	ioapic_set_irq(io, 9, false);
	ioapic_set_irq(io, 9, true);
	cr_expect_eq(nr_msis, 1);
	/* Another vector's EOI does not count. */
	ioapic_eoi(io, 0x51);
	cr_expect_eq(nr_msis, 1);
	cr_expect_neq(rd(REG_RTE(9)) & RTE_REMOTE_IRR, 0);
	/* EOI while still asserted: delivered again. */
	ioapic_eoi(io, 0x50);
	cr_assert_eq(nr_msis, 2);
	cr_expect_eq(msis[1].data, want_data);
	cr_expect_neq(rd(REG_RTE(9)) & RTE_REMOTE_IRR, 0);
	/* Deasserted, then EOI: remote IRR clears, nothing sent. */
	ioapic_set_irq(io, 9, false);
	ioapic_eoi(io, 0x50);
	cr_expect_eq(nr_msis, 2);
	cr_expect_eq(rd(REG_RTE(9)) & RTE_REMOTE_IRR, 0);
	/* The next assertion is delivered at once. */
	ioapic_set_irq(io, 9, true);
	cr_expect_eq(nr_msis, 3);
}

/* A resampled line (a VFIO function's INTx): the EOI lowers it and tells
 * its source, which raises it again if it still asserts; a pin that is
 * not resampled keeps its line, and an edge pin hears of no EOI. */
Test(ioapic, eoi_lowers_a_resampled_line)
{
	resampled = 1U << 10;
	program(10, 0, RTE_LEVEL | 0x60);
	program(11, 0, RTE_LEVEL | 0x60);
	program(5, 0, 0x60);
	ioapic_set_irq(io, 10, true);
	ioapic_set_irq(io, 11, true);
	cr_assert_eq(nr_msis, 2);
	ioapic_eoi(io, 0x60);
	/* Both level pins heard of it, in pin order; the edge pin not. */
	cr_assert_eq(nr_eois, 2);
	cr_expect_eq(eoi_pins[0], 10);
	cr_expect_eq(eoi_pins[1], 11);
	/* Pin 11 is still up: delivered again; pin 10 was lowered. */
	cr_assert_eq(nr_msis, 3);
	cr_expect_eq(rd(REG_RTE(10)) & RTE_REMOTE_IRR, 0);
	cr_expect_neq(rd(REG_RTE(11)) & RTE_REMOTE_IRR, 0);
	/* The source asserts again after its resample: delivered at once. */
	ioapic_set_irq(io, 10, true);
	cr_assert_eq(nr_msis, 4);
	cr_expect_neq(rd(REG_RTE(10)) & RTE_REMOTE_IRR, 0);
	/* Masked when it asserts: held until unmasked, as any level line. */
	ioapic_eoi(io, 0x60);
	program(10, 0, RTE_MASK | RTE_LEVEL | 0x60);
	ioapic_set_irq(io, 10, true);
	nr_msis = 0;
	program(10, 0, RTE_LEVEL | 0x60);
	cr_expect_eq(nr_msis, 1);
}

/* Linux masks a level pin before its EOI (threaded handlers,
 * disable_irq(), affinity moves): the route KVM finds the EOI's vector
 * in must stay until the EOI, or the EOI never comes and the pin is
 * dead. Then the mask reaches the route, and the unmask delivers. */
Test(ioapic, a_level_pin_keeps_its_route_until_its_eoi)
{
	resampled = 1U << 10;
	program(10, 0, RTE_LEVEL | 0x60);
	ioapic_set_irq(io, 10, true);
	cr_assert_eq(nr_msis, 1);
	nr_routes = 0;
	program(10, 0, RTE_MASK | RTE_LEVEL | 0x60);
	cr_expect_eq(nr_routes, 0, "the route changed before the EOI");
	cr_expect_neq(rd(REG_RTE(10)) & RTE_MASK, 0, "the mask reads back");
	ioapic_eoi(io, 0x60);
	cr_assert_eq(nr_routes, 1);
	cr_expect(routes[0].pin == 10 && routes[0].masked);
	cr_expect_eq(nr_eois, 1, "the source heard of the EOI");
	cr_expect_eq(rd(REG_RTE(10)) & RTE_REMOTE_IRR, 0);
	/* The source asserts again while masked; the unmask delivers it. */
	ioapic_set_irq(io, 10, true);
	cr_expect_eq(nr_msis, 1);
	program(10, 0, RTE_LEVEL | 0x60);
	cr_expect_eq(nr_msis, 2);
	cr_expect_eq(nr_routes, 2);
	cr_expect_not(routes[1].masked);
}

Test(ioapic, level_held_while_masked_fires_on_unmask)
{
	program(10, 0, RTE_MASK | RTE_LEVEL | 0x60);
	ioapic_set_irq(io, 10, true);
	cr_expect_eq(nr_msis, 0);
	program(10, 0, RTE_LEVEL | 0x60);
	cr_expect_eq(nr_msis, 1);
	cr_expect_neq(rd(REG_RTE(10)) & RTE_REMOTE_IRR, 0);
}

Test(ioapic, failed_send_keeps_remote_irr_clear)
{
	program(11, 0, RTE_LEVEL | 0x61);
	msi_err = -EIO;
	cr_expect_eq(ioapic_set_irq(io, 11, true), -EIO);
	cr_expect_eq(rd(REG_RTE(11)) & RTE_REMOTE_IRR, 0);
	cr_expect_eq(ioapic_errors(io), 1);
	/* Retried at the next chance. */
	msi_err = 0;
	ioapic_set_irq(io, 11, true);
	cr_expect_eq(nr_msis, 1);
}

Test(ioapic, read_only_bits_stay)
{
	/* Write every bit of both halves: remote IRR, delivery status and
	 * the reserved bits 17-55 must read back 0. */
	wr(REG_RTE(6), 0xffffffff);
	wr(REG_RTE(6) + 1, 0xffffffff);
	cr_expect_eq(rd(REG_RTE(6)), 0x1afff, "low %#x", rd(REG_RTE(6)));
	cr_expect_eq(rd(REG_RTE(6) + 1), 0xff000000);
	/* Level, asserted, delivered: remote IRR survives a write of 0
	 * to it, and delivery status never shows. */
	program(7, 0, RTE_LEVEL | 0x70);
	ioapic_set_irq(io, 7, true);
	wr(REG_RTE(7), RTE_LEVEL | 0x70);
	cr_expect_eq(rd(REG_RTE(7)), RTE_LEVEL | RTE_REMOTE_IRR | 0x70);
	cr_expect_eq(rd(REG_RTE(7)) & RTE_DELIVS, 0);
	cr_expect_eq(nr_msis, 1);
}

Test(ioapic, unsupported_modes_and_vectors_dropped)
{
	program(12, 0, 7 << 8 | 0x30);	/* ExtINT: no PIC */
	ioapic_set_irq(io, 12, true);
	program(13, 0, 3 << 8 | 0x30);	/* reserved */
	ioapic_set_irq(io, 13, true);
	program(14, 0, 0x02);		/* fixed, vector 2: illegal */
	ioapic_set_irq(io, 14, true);
	cr_expect_eq(nr_msis, 0);
	cr_expect_eq(ioapic_errors(io), 3);
}

Test(ioapic, routes_follow_the_table)
{
	program(4, 2, RTE_MASK | 0x30);
	/* The high half changed the address, the low half the data. */
	cr_assert_eq(nr_routes, 2);
	cr_expect_eq(routes[1].pin, 4);
	cr_expect_eq(routes[1].addr, 0xfee02000);
	cr_expect_eq(routes[1].data, 0x30);
	cr_expect(routes[1].masked);
	/* Unmasking is reported; rewriting the same value is not. */
	wr(REG_RTE(4), 0x30);
	wr(REG_RTE(4), 0x30);
	cr_assert_eq(nr_routes, 3);
	cr_expect(!routes[2].masked);
	wr(REG_RTE(4), RTE_LEVEL | 0x30);
	cr_assert_eq(nr_routes, 4);
	cr_expect_eq(routes[3].data, 0x30 | RTE_LEVEL | 1U << 14);
}

Test(ioapic, out_of_range_is_harmless)
{
	static const uint32_t lens[] = { 1, 2, 3, 8 };
	uint8_t buf[8];
	unsigned int i;

	program(4, 0, 0x30);
	/* Pins past the table. */
	cr_expect_eq(ioapic_set_irq(io, IOAPIC_NR_PINS, true), -EINVAL);
	cr_expect_eq(ioapic_set_irq(io, ~0U, true), -EINVAL);
	/* Registers past the table: reads 0, writes dropped. */
	wr(0x40, 0xffffffff);
	wr(0xff, 0xffffffff);
	wr(0x03, 0xffffffff);
	cr_expect_eq(rd(0x40), 0);
	cr_expect_eq(rd(0xff), 0);
	cr_expect_eq(rd(0x03), 0);
	/* Other offsets and widths: read as zeros, writes dropped. */
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		memset(buf, 0xff, sizeof(buf));
		ioapic_access(io, IOWIN, buf, lens[i], true);
		ioapic_access(io, REGSEL, buf, lens[i], true);
		ioapic_access(io, IOWIN, buf, lens[i], false);
		for (unsigned int j = 0; j < lens[i]; j++)
			cr_expect_eq(buf[j], 0, "len %u byte %u", lens[i], j);
	}
	memset(buf, 0xff, sizeof(buf));
	ioapic_access(io, 0x04, buf, 4, true);
	ioapic_access(io, 0x14, buf, 4, true);
	ioapic_access(io, IOAPIC_MMIO_SIZE - 4, buf, 4, true);
	ioapic_access(io, IOAPIC_MMIO_SIZE - 4, buf, 4, false);
	cr_expect_eq(buf[0] | buf[1] | buf[2] | buf[3], 0);
	ioapic_access(io, UINT64_MAX, buf, 4, false);
	/* Pin 4 is untouched by all of it. */
	cr_expect_eq(rd(REG_RTE(4)), 0x30);
	cr_expect_eq(rd(REG_RTE(4) + 1), 0);
	ioapic_set_irq(io, 4, true);
	cr_expect_eq(nr_msis, 1);
}
