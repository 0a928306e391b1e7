// SPDX-License-Identifier: Apache-2.0
/* tests/vmm/test_bus.c: range registration and dispatch. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "vmm/bus.h"

struct probe {
	uint64_t off;		/* last offset seen */
	uint32_t len;		/* last length */
	bool is_write;		/* last direction */
	int calls;		/* accesses */
};

static void probe_access(void *ctx, uint64_t off, uint8_t *data,
			 uint32_t len, bool is_write)
{
	struct probe *p = ctx;

	p->off = off;
	p->len = len;
	p->is_write = is_write;
	p->calls++;
	if (!is_write)
		memset(data, 0x5a, len);
}

Test(bus, dispatch_by_offset)
{
	struct bus bus = { 0 };
	struct probe a = { 0 }, b = { 0 };
	uint8_t data[4] = { 0 };

	cr_assert_eq(bus_add(&bus, &(struct bus_range){ 0x3f8, 8, probe_access,
							&a, "a" }), 0);
	cr_assert_eq(bus_add(&bus, &(struct bus_range){ 0x60, 5, probe_access,
							&b, "b" }), 0);
	cr_assert_eq(bus_access(&bus, 0x3fd, data, 1, false), 0);
	cr_assert_eq(a.off, 5);
	cr_assert_eq(data[0], 0x5a);
	cr_assert_eq(bus_access(&bus, 0x64, data, 1, true), 0);
	cr_assert_eq(b.off, 4);
	cr_assert(b.is_write);
	cr_assert_eq(a.calls + b.calls, 2);
	bus_destroy(&bus);
}

Test(bus, unclaimed_reads_all_ones)
{
	struct bus bus = { 0 };
	struct probe a = { 0 };
	uint8_t data[4] = { 0 };

	cr_assert_eq(bus_add(&bus, &(struct bus_range){ 0x100, 4, probe_access,
							&a, "a" }), 0);
	cr_assert_eq(bus_access(&bus, 0x80, data, 4, false), -ENOENT);
	cr_assert_eq(data[0] & data[1] & data[2] & data[3], 0xff);
	/* An access straddling the end of a range belongs to nobody. */
	cr_assert_eq(bus_access(&bus, 0x102, data, 4, true), -ENOENT);
	cr_assert_eq(a.calls, 0);
	bus_destroy(&bus);
}

Test(bus, rejects_overlaps_and_bad_ranges)
{
	struct bus bus = { 0 };
	struct probe a = { 0 };

	cr_assert_eq(bus_add(&bus, &(struct bus_range){ 0x100, 0x10,
							probe_access, &a, "a" }), 0);
	cr_assert_eq(bus_add(&bus, &(struct bus_range){ 0x10f, 1,
							probe_access, &a, "a" }),
		     -EEXIST);
	cr_assert_eq(bus_add(&bus, &(struct bus_range){ 0xf0, 0x11,
							probe_access, &a, "a" }),
		     -EEXIST);
	cr_assert_eq(bus_add(&bus, &(struct bus_range){ 0x200, 0,
							probe_access, &a, "a" }),
		     -EINVAL);
	cr_assert_eq(bus_add(&bus, &(struct bus_range){ UINT64_MAX, 2,
							probe_access, &a, "a" }),
		     -EINVAL);
	cr_assert_eq(bus_add(&bus, &(struct bus_range){ 0xf0, 0x10,
							probe_access, &a, "a" }), 0);
	cr_assert_eq(bus.nr, 2);
	cr_assert_null(bus_find(&bus, UINT64_MAX, 2));
	bus_destroy(&bus);
}

Test(bus, many_ranges_stay_sorted)
{
	struct bus bus = { 0 };
	struct probe p[64] = { 0 };
	uint8_t d;

	/* Insert in a scrambled order; every range must still be found. */
	for (unsigned int i = 0; i < 64; i++) {
		unsigned int k = (i * 37) % 64;

		cr_assert_eq(bus_add(&bus, &(struct bus_range){
			0x1000 + k * 0x10, 0x10, probe_access, &p[k], "p" }), 0);
	}
	for (unsigned int k = 0; k < 64; k++) {
		cr_assert_eq(bus_access(&bus, 0x1000 + k * 0x10 + 3, &d, 1,
					false), 0);
		cr_assert_eq(p[k].calls, 1);
		cr_assert_eq(p[k].off, 3);
	}
	bus_destroy(&bus);
}
