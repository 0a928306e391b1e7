// SPDX-License-Identifier: Apache-2.0
/* tests/vmm/test_pcidevs.c: a passed-through device's IOMMU holes as PROBE's reserved regions. */
#include <criterion/criterion.h>
#include <errno.h>

#include "devices/iommu/viommu_core.h"
#include "devices/vfio/vfio_container.h"
#include "vmm/pcidevs.h"

#define R VIRTIO_IOMMU_RESV_MEM_T_RESERVED
#define MSI VIRTIO_IOMMU_RESV_MEM_T_MSI
#define IN48 ((UINT64_C(1) << 48) - 1)

/* What arch_iommu_reserved() gives on x86: the hole, the MSI window. */
static const struct viommu_resv x86[] = {
	{ 0xc0000000, 0xfedfffff, R },
	{ 0xfee00000, 0xfeefffff, MSI },
	{ 0xfef00000, 0xffffffff, R },
};

static void expect(const struct viommu_resv *got, int n,
		   const struct viommu_resv *want, int nr_want)
{
	cr_assert_eq(n, nr_want, "%d regions, want %d", n, nr_want);
	for (int i = 0; i < n; i++) {
		cr_expect_eq(got[i].start, want[i].start, "region %d start", i);
		cr_expect_eq(got[i].last, want[i].last, "region %d last", i);
		cr_expect_eq(got[i].subtype, R, "region %d subtype", i);
	}
}

/* VT-d in our nested stack: the MSI window and everything above 39
 * bits. The first is the iommu's own already; the second is clipped to
 * the 48-bit input range. */
Test(pcidevs, vtd_holes_less_the_global_regions)
{
	const struct vfio_range holes[] = {
		{ 0xfee00000, 0xfeefffff },
		{ UINT64_C(1) << 39, UINT64_MAX },
	};
	const struct viommu_resv want[] = {
		{ UINT64_C(1) << 39, IN48, R },
	};
	struct viommu_resv out[8];
	int n = pcidevs_holes_resv(holes, 2, x86, 3, IN48, out, 8);

	expect(out, n, want, 1);
}

/* A hole across a global region keeps what lies below and above it. */
Test(pcidevs, a_hole_split_by_global_regions)
{
	const struct vfio_range holes[] = { { 0xb0000000, 0x100000fff } };
	const struct viommu_resv want[] = {
		{ 0xb0000000, 0xbfffffff, R },
		{ 0x100000000, 0x100000fff, R },
	};
	struct viommu_resv out[8];
	int n = pcidevs_holes_resv(holes, 1, x86, 3, IN48, out, 8);

	expect(out, n, want, 2);
}

/* One global region inside a hole, another overlapping its end: three
 * cuts, each piece checked against every region. */
Test(pcidevs, several_cuts_in_one_hole)
{
	const struct viommu_resv global[] = {
		{ 0x2000, 0x2fff, R },
		{ 0x5000, 0x9fff, R },
		{ 0x0, 0x0fff, MSI },
	};
	const struct vfio_range holes[] = { { 0x0, 0x7fff } };
	const struct viommu_resv want[] = {
		{ 0x1000, 0x1fff, R },
		{ 0x3000, 0x4fff, R },
	};
	struct viommu_resv out[8];
	int n = pcidevs_holes_resv(holes, 1, global, 3, IN48, out, 8);

	expect(out, n, want, 2);
}

Test(pcidevs, holes_above_the_input_range_vanish)
{
	const struct vfio_range holes[] = { { UINT64_C(1) << 50, UINT64_MAX } };
	struct viommu_resv out[1];

	cr_expect_eq(pcidevs_holes_resv(holes, 1, x86, 3, IN48, out, 1), 0);
}

Test(pcidevs, more_than_max_is_refused)
{
	const struct vfio_range holes[] = {
		{ 0x1000, 0x1fff }, { 0x3000, 0x3fff }, { 0x5000, 0x5fff },
	};
	struct viommu_resv out[3];

	cr_expect_eq(pcidevs_holes_resv(holes, 3, x86, 3, IN48, out, 2),
		     -E2BIG);
	cr_expect_eq(pcidevs_holes_resv(holes, 3, x86, 3, IN48, out, 3), 3);
}
