// SPDX-License-Identifier: Apache-2.0
/* tests/vmm/test_gmem.c: guest memory layout and the checked accessor. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#include "vmm/gmem.h"

#define MiB (1ULL << 20)
#define GiB (1ULL << 30)

static struct gmem mem;

/* RAM split around a hole, like x86_64's: [0, 3G) and [4G, 4G + 16M).
 * The memfd is sparse, so this costs nothing until touched. */
static void split_setup(void)
{
	struct gmem_region layout[] = {
		{ .start = gpa(0), .size = 3 * GiB },
		{ .start = gpa(4 * GiB), .size = 16 * MiB },
	};

	cr_assert_eq(gmem_create(&mem, layout, 2), 0);
}

static void teardown(void)
{
	gmem_destroy(&mem);
}

TestSuite(gmem, .init = split_setup, .fini = teardown);

Test(gmem, regions_share_one_mapping)
{
	cr_assert_eq(mem.nr_regions, 2);
	cr_assert_eq(mem.size, 3 * GiB + 16 * MiB);
	cr_assert_eq(mem.regions[0].host, mem.base);
	cr_assert_eq((char *)mem.regions[1].host, (char *)mem.base + 3 * GiB);
	cr_assert_eq(mem.regions[1].offset, 3 * GiB);
	cr_assert_eq(gmem_end(&mem), 4 * GiB + 16 * MiB);
	cr_assert_geq(mem.fd, 0);
}

Test(gmem, ptr_inside_each_region)
{
	cr_assert_eq(gmem_ptr(&mem, gpa(0), 1), mem.base);
	cr_assert_eq(gmem_ptr(&mem, gpa(3 * GiB - 8), 8),
		     (char *)mem.base + 3 * GiB - 8);
	cr_assert_eq(gmem_ptr(&mem, gpa(4 * GiB), 16 * MiB),
		     (char *)mem.base + 3 * GiB);
}

Test(gmem, ptr_refuses_the_hole_and_beyond)
{
	cr_assert_null(gmem_ptr(&mem, gpa(3 * GiB), 1));
	cr_assert_null(gmem_ptr(&mem, gpa(4 * GiB - 1), 1));
	cr_assert_null(gmem_ptr(&mem, gpa(4 * GiB + 16 * MiB), 1));
	cr_assert_null(gmem_ptr(&mem, gpa(UINT64_MAX), 1));
}

Test(gmem, ptr_refuses_ranges_that_straddle_a_region_end)
{
	/* CVE-2019-18960: a buffer must not run past its region. */
	cr_assert_null(gmem_ptr(&mem, gpa(3 * GiB - 8), 9));
	cr_assert_null(gmem_ptr(&mem, gpa(4 * GiB + 16 * MiB - 4), 8));
	cr_assert_null(gmem_ptr(&mem, gpa(0), 3 * GiB + 1));
}

Test(gmem, ptr_is_overflow_safe)
{
	cr_assert_null(gmem_ptr(&mem, gpa(16), UINT64_MAX));
	cr_assert_null(gmem_ptr(&mem, gpa(4 * GiB + 4096), UINT64_MAX - 100));
	cr_assert_null(gmem_ptr(&mem, gpa(UINT64_MAX - 1), 4));
}

Test(gmem, read_write_round_trip_and_refusal)
{
	const char msg[] = "ignis";
	char back[sizeof(msg)] = { 0 };

	cr_assert_eq(gmem_write(&mem, gpa(4 * GiB + 100), msg, sizeof(msg)), 0);
	cr_assert_eq(gmem_read(&mem, back, gpa(4 * GiB + 100), sizeof(back)), 0);
	cr_assert_str_eq(back, msg);
	cr_assert_eq(gmem_write(&mem, gpa(3 * GiB - 2), msg, sizeof(msg)),
		     -EFAULT);
	cr_assert_eq(gmem_read(&mem, back, gpa(5 * GiB), 1), -EFAULT);
}

Test(gmem, memfd_shares_the_pages)
{
	/* Another mapping of the fd (a device thread, VFIO) sees the same
	 * bytes: nothing is copied. */
	char *other = mmap(NULL, 4096, PROT_READ, MAP_SHARED, mem.fd,
			   (off_t)(3 * GiB));

	cr_assert_neq(other, MAP_FAILED);
	cr_assert_eq(gmem_write(&mem, gpa(4 * GiB), "x", 1), 0);
	cr_assert_eq(other[0], 'x');
	munmap(other, 4096);
}

Test(gmem, region_of)
{
	cr_assert_eq(gmem_region_of(&mem, gpa(4 * GiB + 5)), &mem.regions[1]);
	cr_assert_eq(gmem_region_of(&mem, gpa(5)), &mem.regions[0]);
	cr_assert_null(gmem_region_of(&mem, gpa(3 * GiB)));
}

Test(gmem_layout, rejects_bad_layouts)
{
	struct gmem m;
	struct gmem_region unaligned[] = { { .start = gpa(0), .size = 100 } };
	struct gmem_region overlap[] = {
		{ .start = gpa(0), .size = 2 * MiB },
		{ .start = gpa(1 * MiB), .size = 2 * MiB },
	};
	struct gmem_region wrap[] = {
		{ .start = gpa(UINT64_MAX - 4095), .size = 8192 },
	};
	struct gmem_region empty[] = { { .start = gpa(0), .size = 0 } };

	cr_assert_eq(gmem_create(&m, unaligned, 1), -EINVAL);
	cr_assert_eq(gmem_create(&m, overlap, 2), -EINVAL);
	cr_assert_eq(gmem_create(&m, wrap, 1), -EINVAL);
	cr_assert_eq(gmem_create(&m, empty, 1), -EINVAL);
	cr_assert_eq(gmem_create(&m, empty, 0), -EINVAL);
	/* A failed create leaves something gmem_destroy accepts. */
	gmem_destroy(&m);
	gmem_destroy(NULL);
}

Test(gmem_types, gpa_and_iova_are_distinct_types)
{
	/* Not assignable to each other: a compile-time property. Check the
	 * run-time representation is the plain address. */
	gpa_t g = gpa(0x1234);
	iova_t i = iova(0x1234);

	cr_assert_eq(g.v, i.v);
	cr_assert_eq(sizeof(gpa_t), sizeof(uint64_t));
	cr_assert_eq(_Generic(g, gpa_t: 1, iova_t: 2), 1);
	cr_assert_eq(_Generic(i, gpa_t: 1, iova_t: 2), 2);
}
