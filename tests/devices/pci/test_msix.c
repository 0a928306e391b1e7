// SPDX-License-Identifier: Apache-2.0
/* tests/devices/pci/test_msix.c: MSI-X table, PBA, masks and callbacks. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "devices/pci/msix.h"

/* Layouts from PCI Local Bus 3.0 6.8.2, by offset. */
#define NR 5 /* vectors in most tests */
#define ADDR_LO(v) ((v)*16 + 0)
#define ADDR_HI(v) ((v)*16 + 4)
#define DATA(v) ((v)*16 + 8)
#define VCTRL(v) ((v)*16 + 12)
#define MAX_EVENTS 64

/* One callback, route() or send(). */
struct event {
	bool is_send; /* send(), else route() */
	unsigned int vector; /* which */
	bool on; /* route(): on */
	uint64_t addr; /* message */
	uint32_t data; /* message */
};

static struct msix *m;
static struct event events[MAX_EVENTS];
static unsigned int nr_events;
static int route_err, send_err;

static int rec_route(void *ctx, unsigned int vector, bool on, uint64_t addr,
		     uint32_t data)
{
	cr_assert_eq(ctx, &events);
	cr_assert_lt(nr_events, MAX_EVENTS);
	events[nr_events++] = (struct event){ false, vector, on, addr, data };
	return route_err;
}

static int rec_send(void *ctx, unsigned int vector, uint64_t addr,
		    uint32_t data)
{
	cr_assert_lt(nr_events, MAX_EVENTS);
	events[nr_events++] = (struct event){ true, vector, true, addr, data };
	return send_err;
}

static const struct msix_ops ops = {
	.route = rec_route,
	.send = rec_send,
};

static void setup(void)
{
	nr_events = 0;
	route_err = send_err = 0;
	cr_assert_eq(msix_create(NR, &ops, &events, &m), 0);
}

static void teardown(void)
{
	msix_destroy(m);
}

TestSuite(msix, .init = setup, .fini = teardown);

static void twr(uint64_t off, uint32_t v)
{
	msix_table_access(m, off, (uint8_t *)&v, 4, true);
}

static uint32_t trd(uint64_t off)
{
	uint32_t v = 0x5a5a5a5a;

	msix_table_access(m, off, (uint8_t *)&v, 4, false);
	return v;
}

static uint64_t pba(void)
{
	uint64_t v = 0x5a5a5a5a5a5a5a5aULL;

	msix_pba_access(m, 0, (uint8_t *)&v, 8, false);
	return v;
}

/* Vector (v)'s message, masked. */
static void program(unsigned int v, uint64_t addr, uint32_t data)
{
	twr(ADDR_LO(v), (uint32_t)addr);
	twr(ADDR_HI(v), (uint32_t)(addr >> 32));
	twr(DATA(v), data);
}

static void expect(unsigned int i, bool is_send, unsigned int vector, bool on,
		   uint64_t addr, uint32_t data)
{
	const struct event *e = &events[i];

	cr_assert_lt(i, nr_events, "event %u missing (%u)", i, nr_events);
	cr_assert_eq(e->is_send, is_send, "event %u: %s", i,
		     e->is_send ? "send" : "route");
	cr_assert_eq(e->vector, vector, "event %u vector %u", i, e->vector);
	cr_assert_eq(e->on, on, "event %u on", i);
	cr_assert_eq(e->addr, addr, "event %u addr %#lx", i,
		     (unsigned long)e->addr);
	cr_assert_eq(e->data, data, "event %u data %#x", i, e->data);
}

Test(msix, capability_bytes)
{
	uint8_t cap[MSIX_CAP_LEN];

	cr_assert_eq(msix_cap_bytes(m, 2, 0x3000, 3, 0x2008, cap), 0);
	cr_assert_eq(cap[0], 0x11, "MSI-X capability ID");
	cr_assert_eq(cap[1], 0, "next: the owner's list sets it");
	cr_assert_eq(cap[2] | cap[3] << 8, NR - 1, "table size N - 1");
	cr_assert_eq(cap[4] | cap[5] << 8 | cap[6] << 16 |
			     (uint32_t)cap[7] << 24,
		     0x3002, "table offset | BIR");
	cr_assert_eq(cap[8] | cap[9] << 8 | cap[10] << 16 |
			     (uint32_t)cap[11] << 24,
		     0x200b, "PBA offset | BIR");
	msix_ctrl_write(m, 0xc000);
	cr_assert_eq(msix_cap_bytes(m, 0, 0, 0, 0x800, cap), 0);
	cr_assert_eq(cap[3], 0xc0, "enable and function mask as now");
	cr_assert_eq(msix_cap_bytes(m, 6, 0, 0, 0, cap), -EINVAL);
	cr_assert_eq(msix_cap_bytes(m, 0, 0, 7, 0, cap), -EINVAL);
	cr_assert_eq(msix_cap_bytes(m, 0, 4, 0, 0, cap), -EINVAL);
	cr_assert_eq(msix_cap_bytes(m, 0, 0, 0, 0x801, cap), -EINVAL);
}

/* After reset: every vector masked, messages 0, nothing pending,
 * disabled; only Function Mask and Enable take. */
Test(msix, reset_state_and_control)
{
	for (unsigned int v = 0; v < NR; v++) {
		cr_assert_eq(trd(ADDR_LO(v)), 0);
		cr_assert_eq(trd(ADDR_HI(v)), 0);
		cr_assert_eq(trd(DATA(v)), 0);
		cr_assert_eq(trd(VCTRL(v)), 1, "masked after reset");
	}
	cr_assert_eq(pba(), 0);
	cr_assert_eq(msix_ctrl_read(m), NR - 1);
	msix_ctrl_write(m, 0xffff);
	cr_assert_eq(msix_ctrl_read(m), 0xc000 | (NR - 1));
	msix_ctrl_write(m, 0x0000);
	cr_assert_eq(msix_ctrl_read(m), NR - 1);
	cr_assert_eq(nr_events, 0, "all masked: no route changes");
}

/* Dwords and aligned qwords read back; address bits 1-0 and Vector
 * Control's reserved bits stay 0. */
Test(msix, table_reads_back)
{
	uint64_t q;

	twr(ADDR_LO(1), 0xfee01003);
	twr(ADDR_HI(1), 0x1);
	twr(DATA(1), 0x4041);
	twr(VCTRL(1), 0xfffffffe);
	cr_assert_eq(trd(ADDR_LO(1)), 0xfee01000);
	cr_assert_eq(trd(ADDR_HI(1)), 1);
	cr_assert_eq(trd(DATA(1)), 0x4041);
	cr_assert_eq(trd(VCTRL(1)), 0, "unmasked, reserved bits 0");
	q = 0x00000002fee02000ULL;
	msix_table_access(m, ADDR_LO(2), (uint8_t *)&q, 8, true);
	q = 0x0000000100000051ULL; /* data 0x51, masked */
	msix_table_access(m, DATA(2), (uint8_t *)&q, 8, true);
	msix_table_access(m, ADDR_LO(2), (uint8_t *)&q, 8, false);
	cr_assert_eq(q, 0x00000002fee02000ULL);
	msix_table_access(m, DATA(2), (uint8_t *)&q, 8, false);
	cr_assert_eq(q, 0x0000000100000051ULL);
	cr_assert_eq(trd(DATA(2)), 0x51);
	/* Vector 1 went on only if enabled: it is not, so no route. */
	cr_assert_eq(nr_events, 0);
}

/* Any other shape is ignored: reads give 0, writes change nothing, and
 * nothing is touched past (len). */
Test(msix, odd_accesses_are_ignored)
{
	static const uint64_t offs[] = { 0,
					 1,
					 2,
					 3,
					 4,
					 6,
					 8,
					 12,
					 76,
					 78,
					 79,
					 80,
					 81,
					 84,
					 88,
					 4096,
					 UINT64_MAX - 3,
					 UINT64_MAX };
	uint8_t before[NR * 16], after[NR * 16], buf[24];

	for (unsigned int v = 0; v < NR; v++)
		program(v, 0xfee00000 + v, 0x30 + v);
	for (unsigned int i = 0; i < NR * 4; i++) {
		uint32_t x = trd(4 * i);

		memcpy(before + 4 * i, &x, 4);
	}
	for (unsigned int i = 0; i < sizeof(offs) / sizeof(offs[0]); i++)
		for (uint32_t len = 0; len <= 16; len++) {
			bool ok = (len == 4 || len == 8) && !(offs[i] % len) &&
				  offs[i] < NR * 16 && len <= NR * 16 - offs[i];

			memset(buf, 0x5a, sizeof(buf));
			msix_table_access(m, offs[i], buf, len, false);
			for (uint32_t k = len; k < sizeof(buf); k++)
				cr_assert_eq(buf[k], 0x5a);
			for (uint32_t k = 0; !ok && k < len; k++)
				cr_assert_eq(buf[k], 0);
			if (ok)
				continue;
			memset(buf, 0xff, sizeof(buf));
			msix_table_access(m, offs[i], buf, len, true);
			memset(buf, 0x5a, sizeof(buf));
			msix_pba_access(m, offs[i], buf, len, false);
			for (uint32_t k = len; k < sizeof(buf); k++)
				cr_assert_eq(buf[k], 0x5a);
			msix_pba_access(m, offs[i], buf, len, true);
		}
	for (unsigned int i = 0; i < NR * 4; i++) {
		uint32_t x = trd(4 * i);

		memcpy(after + 4 * i, &x, 4);
	}
	cr_assert_eq(memcmp(before, after, sizeof(before)), 0);
	cr_assert_eq(nr_events, 0);
	cr_assert_eq(pba(), 0);
}

/* Route changes in order: on when enabled, unmasked and not function
 * masked; a new message while on; off for each kind of mask. */
Test(msix, route_sequence)
{
	program(0, 0xfee00000, 0x41);
	program(3, 0xfee01000, 0x43);
	msix_ctrl_write(m, 0x8000);
	cr_assert_eq(nr_events, 0, "enabled, but every vector masked");
	twr(VCTRL(0), 0);
	expect(0, false, 0, true, 0xfee00000, 0x41);
	twr(DATA(0), 0x42);
	expect(1, false, 0, true, 0xfee00000, 0x42);
	twr(DATA(0), 0x42); /* no change, no call */
	cr_assert_eq(nr_events, 2);
	twr(VCTRL(3), 0);
	expect(2, false, 3, true, 0xfee01000, 0x43);
	msix_ctrl_write(m, 0xc000); /* function mask */
	cr_assert_eq(nr_events, 5);
	expect(3, false, 0, false, 0, 0);
	expect(4, false, 3, false, 0, 0);
	msix_ctrl_write(m, 0x8000);
	expect(5, false, 0, true, 0xfee00000, 0x42);
	expect(6, false, 3, true, 0xfee01000, 0x43);
	twr(VCTRL(3), 1);
	expect(7, false, 3, false, 0, 0);
	twr(DATA(3), 0x99); /* while off: no call */
	cr_assert_eq(nr_events, 8);
	msix_ctrl_write(m, 0x0000); /* disabled */
	expect(8, false, 0, false, 0, 0);
	cr_assert_eq(nr_events, 9);
}

/* An event is sent when on, pending when masked (delivered and cleared
 * on unmask, after the route), dropped when disabled. */
Test(msix, pending_bits)
{
	uint32_t v32;

	program(1, 0xfee00000, 0x51);
	program(2, 0xfee00000, 0x52);
	cr_assert_eq(msix_fire(m, 1), 0);
	cr_assert_eq(nr_events, 0, "disabled: dropped");
	cr_assert_eq(pba(), 0, "and not pending");
	msix_ctrl_write(m, 0x8000);
	cr_assert_eq(msix_fire(m, 1), 0);
	cr_assert_eq(msix_fire(m, 2), 0);
	cr_assert_eq(msix_fire(m, 2), 0);
	cr_assert_eq(nr_events, 0, "masked: not sent");
	cr_assert_eq(pba(), 0x6, "vectors 1 and 2 pending");
	v32 = 0;
	msix_pba_access(m, 0, (uint8_t *)&v32, 4, false);
	cr_assert_eq(v32, 0x6, "a dword read too");
	v32 = 0;
	msix_pba_access(m, 0, (uint8_t *)&v32, 4, true);
	cr_assert_eq(pba(), 0x6, "read-only");
	twr(VCTRL(2), 0);
	expect(0, false, 2, true, 0xfee00000, 0x52);
	expect(1, true, 2, true, 0xfee00000, 0x52);
	cr_assert_eq(nr_events, 2, "once, however often it fired");
	cr_assert_eq(pba(), 0x2);
	cr_assert_eq(msix_fire(m, 2), 0);
	expect(2, true, 2, true, 0xfee00000, 0x52);
	cr_assert_eq(pba(), 0x2, "sent at once, not pending");
	/* The function mask holds vector 2 back; clearing it delivers. */
	msix_ctrl_write(m, 0xc000);
	expect(3, false, 2, false, 0, 0);
	cr_assert_eq(msix_fire(m, 2), 0);
	cr_assert_eq(pba(), 0x6);
	msix_ctrl_write(m, 0x8000);
	expect(4, false, 2, true, 0xfee00000, 0x52);
	expect(5, true, 2, true, 0xfee00000, 0x52);
	cr_assert_eq(pba(), 0x2);
	cr_assert_eq(nr_events, 6);
	cr_assert_eq(msix_fire(m, NR), -EINVAL);
	cr_assert_eq(msix_errors(m), 0);
}

/* A failed send leaves the bit pending and counts; a failed route is
 * counted and reported again at the next change. */
Test(msix, callback_failures)
{
	program(0, 0xfee00000, 0x61);
	msix_ctrl_write(m, 0x8000);
	route_err = -EIO;
	twr(VCTRL(0), 0);
	expect(0, false, 0, true, 0xfee00000, 0x61);
	cr_assert_eq(msix_errors(m), 1);
	route_err = 0;
	twr(DATA(0), 0x61); /* same message, but the last report failed */
	expect(1, false, 0, true, 0xfee00000, 0x61);
	send_err = -EAGAIN;
	cr_assert_eq(msix_fire(m, 0), -EAGAIN);
	expect(2, true, 0, true, 0xfee00000, 0x61);
	cr_assert_eq(pba(), 1, "still pending");
	cr_assert_eq(msix_errors(m), 2);
	send_err = 0;
	twr(VCTRL(0), 1);
	twr(VCTRL(0), 0); /* unmask: delivered now */
	expect(3, false, 0, false, 0, 0);
	expect(4, false, 0, true, 0xfee00000, 0x61);
	expect(5, true, 0, true, 0xfee00000, 0x61);
	cr_assert_eq(pba(), 0);
}

/* 2048 vectors: the last entry and the last pending bit. */
Test(msix, largest_table)
{
	struct msix *big;
	uint64_t q = 0;
	uint32_t v = 0;

	cr_assert_eq(msix_create(2048, &ops, &events, &big), 0);
	cr_assert_eq(msix_ctrl_read(big), 0x7ff);
	msix_ctrl_write(big, 0x8000);
	cr_assert_eq(msix_fire(big, 2047), 0);
	msix_pba_access(big, 248, (uint8_t *)&q, 8, false);
	cr_assert_eq(q, 1ULL << 63);
	msix_pba_access(big, 256, (uint8_t *)&q, 8, false);
	cr_assert_eq(q, 0, "past the PBA");
	msix_table_access(big, 2047 * 16 + 8, (uint8_t *)&(uint32_t){ 0x77 }, 4,
			  true);
	msix_table_access(big, 2047 * 16 + 12, (uint8_t *)&v, 4, true);
	expect(0, false, 2047, true, 0, 0x77);
	expect(1, true, 2047, true, 0, 0x77);
	msix_table_access(big, 2048 * 16, (uint8_t *)&v, 4, false);
	cr_assert_eq(v, 0);
	msix_destroy(big);
}

Test(msix, create_refuses)
{
	static const struct msix_ops no_send = { .route = rec_route };
	struct msix *x;

	cr_assert_eq(msix_create(0, &ops, NULL, &x), -EINVAL);
	cr_assert_eq(msix_create(2049, &ops, NULL, &x), -EINVAL);
	cr_assert_eq(msix_create(1, &no_send, NULL, &x), -EINVAL);
	cr_assert_eq(msix_create(1, NULL, NULL, &x), -EINVAL);
	msix_destroy(NULL);
}
