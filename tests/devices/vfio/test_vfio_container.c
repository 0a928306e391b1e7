// SPDX-License-Identifier: Apache-2.0
/* tests/devices/vfio/test_vfio_container.c: type1v2 containers as backends. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/vfio.h>
#include <stdint.h>
#include <string.h>

#include "devices/vfio/vfio_container.h"
#include "support/fake_vfio.h"
#include "vmm/gmem.h"

/*
 * The container over the fake host (tests/support/fake_vfio.h), which
 * keeps type1's rules; guest RAM split around the 32-bit hole as
 * x86_64's is. test_vfio_host.c runs the host's own VFIO.
 */
#define KiB (1ULL << 10)
#define MiB (1ULL << 20)
#define GiB (1ULL << 30)
#define G1 FAKE_E1000E_GROUP
#define RW (DMA_BACKEND_F_READ | DMA_BACKEND_F_WRITE)

static struct fake_vfio fv;
static struct gmem mem;
static struct vfio_container *vc;
static char why[256];

static void setup(void)
{
	struct gmem_region layout[] = {
		{ .start = gpa(0), .size = 3 * GiB },
		{ .start = gpa(4 * GiB), .size = 16 * MiB },
	};

	fake_vfio_init(&fv);
	cr_assert_eq(gmem_create(&mem, layout, 2), 0);
	vc = NULL;
	why[0] = '\0';
}

static void teardown(void)
{
	vfio_container_destroy(vc);
	/* Whatever a test did, nothing of the fake's is left open. */
	cr_expect_eq(fake_vfio_open_fds(&fv), 0);
	gmem_destroy(&mem);
	fake_vfio_fini(&fv);
}

TestSuite(vfio_container, .init = setup, .fini = teardown);

static void create(void)
{
	cr_assert_eq(
		vfio_container_create(&fv.sys, &mem, &vc, why, sizeof(why)), 0,
		"%s", why);
}

static void create_joined(void)
{
	create();
	cr_assert_eq(vfio_container_add_group(vc, G1, why, sizeof(why)), 0,
		     "%s", why);
}

static int map(uint64_t iova_v, uint64_t gpa_v, uint64_t size, uint32_t fl)
{
	return vfio_container_dma_ops.map(vc, iova(iova_v), gpa(gpa_v), size,
					  fl);
}

static int unmap(uint64_t iova_v, uint64_t size)
{
	return vfio_container_dma_ops.unmap(vc, iova(iova_v), size);
}

static struct fake_container *kc(void)
{
	return fake_vfio_container_of(&fv, G1);
}

static struct vfio_container_stats stats(void)
{
	struct vfio_container_stats s;

	vfio_container_get_stats(vc, &s);
	return s;
}

/* ---- open and close ---- */

Test(vfio_container, create_checks_api_and_type1v2)
{
	create();
	cr_assert_eq(fake_vfio_open_fds(&fv), 1);
	cr_assert_eq(fv.ioctl_calls[VFIO_GET_API_VERSION & 0xff], 1);
	cr_assert_eq(fv.ioctl_calls[VFIO_CHECK_EXTENSION & 0xff], 1);
	cr_assert_null(vfio_container_limits(vc));
	cr_assert_eq(vfio_container_group_fd(vc), -1);
	vfio_container_destroy(vc);
	vc = NULL;
	cr_assert_eq(fake_vfio_open_fds(&fv), 0);
}

Test(vfio_container, create_without_vfio_says_so)
{
	fv.no_vfio = true;
	cr_assert_eq(
		vfio_container_create(&fv.sys, &mem, &vc, why, sizeof(why)),
		-ENOENT);
	cr_assert_null(vc);
	cr_assert(strstr(why, "/dev/vfio/vfio"), "%s", why);
}

Test(vfio_container, create_refuses_another_api)
{
	fv.api_version = 1;
	cr_assert_eq(
		vfio_container_create(&fv.sys, &mem, &vc, why, sizeof(why)),
		-EPROTO);
	cr_assert_eq(fake_vfio_open_fds(&fv), 0);
}

Test(vfio_container, create_refuses_no_type1v2)
{
	fv.has_type1v2 = false;
	cr_assert_eq(
		vfio_container_create(&fv.sys, &mem, &vc, why, sizeof(why)),
		-ENOTSUP);
	cr_assert_eq(fake_vfio_open_fds(&fv), 0);
}

Test(vfio_container, every_failure_in_create_leaves_nothing)
{
	for (unsigned long n = 1; n <= 3; n++) {
		fake_vfio_fail(&fv, FAKE_ANY, 0, n, -EIO);
		cr_assert_eq(vfio_container_create(&fv.sys, &mem, &vc, why,
						   sizeof(why)),
			     -EIO, "call %lu", n);
		cr_assert_eq(fake_vfio_open_fds(&fv), 0, "call %lu", n);
	}
}

Test(vfio_container, group_joins_and_sets_type1v2)
{
	const struct vfio_iommu_limits *l;

	create_joined();
	cr_assert_eq(fake_vfio_open_fds(&fv), 2);
	cr_assert(kc() && kc()->iommu_set);
	cr_assert_geq(vfio_container_group_fd(vc), FAKE_FD_BASE);
	l = vfio_container_limits(vc);
	cr_assert_not_null(l);
	cr_assert_eq(l->pgsizes, fv.pgsizes);
	cr_assert(l->has_dma_avail);
	cr_assert_eq(l->dma_avail, 65535);
	cr_assert_eq(l->nr_ranges, 2);
	cr_assert_eq(l->ranges[0].start, 0);
	cr_assert_eq(l->ranges[0].last, 0xfedfffffull);
	cr_assert_eq(l->ranges[1].start, 0xfef00000ull);
	cr_assert_eq(l->ranges[1].last, (1ull << 39) - 1);
	vfio_container_put_group(vc);
	cr_assert_eq(fake_vfio_open_fds(&fv), 1);
	cr_assert_null(vfio_container_limits(vc));
}

Test(vfio_container, group_users_are_counted)
{
	create_joined();
	cr_assert_eq(vfio_container_add_group(vc, G1, why, sizeof(why)), 0);
	vfio_container_put_group(vc);
	cr_assert_eq(fake_vfio_open_fds(&fv), 2);
	vfio_container_put_group(vc);
	cr_assert_eq(fake_vfio_open_fds(&fv), 1);
	vfio_container_put_group(vc); /* one too many: harmless */
	cr_assert_eq(fake_vfio_open_fds(&fv), 1);
}

Test(vfio_container, one_group_per_container)
{
	fake_vfio_add_group(&fv, 2, true);
	create_joined();
	cr_assert_eq(vfio_container_add_group(vc, 2, why, sizeof(why)), -EBUSY);
	cr_assert(strstr(why, "already holds group 1"), "%s", why);
	cr_assert_eq(fake_vfio_open_fds(&fv), 2);
}

Test(vfio_container, group_not_viable_is_named)
{
	fake_vfio_add_group(&fv, G1, false);
	create();
	cr_assert_eq(vfio_container_add_group(vc, G1, why, sizeof(why)),
		     -EBUSY);
	cr_assert(strstr(why, "/sys/kernel/iommu_groups/1/devices"), "%s", why);
	cr_assert_eq(fake_vfio_open_fds(&fv), 1);
	cr_assert_null(kc());
}

Test(vfio_container, missing_group)
{
	create();
	cr_assert_eq(vfio_container_add_group(vc, 9, why, sizeof(why)),
		     -ENOENT);
	cr_assert(strstr(why, "/dev/vfio/9"), "%s", why);
	cr_assert_eq(fake_vfio_open_fds(&fv), 1);
}

Test(vfio_container, every_failure_in_join_leaves_nothing)
{
	static const unsigned long reqs[] = {
		VFIO_GROUP_GET_STATUS,
		VFIO_GROUP_SET_CONTAINER,
		VFIO_SET_IOMMU,
		VFIO_IOMMU_GET_INFO,
	};

	create();
	for (size_t i = 0; i < sizeof(reqs) / sizeof(reqs[0]); i++) {
		fake_vfio_fail(&fv, FAKE_IOCTL, reqs[i], 1, -EIO);
		cr_assert_eq(vfio_container_add_group(vc, G1, why, sizeof(why)),
			     -EIO, "ioctl %zu", i);
		cr_assert_eq(fake_vfio_open_fds(&fv), 1, "ioctl %zu", i);
		cr_assert_null(kc());
		cr_assert_eq(vfio_container_group_fd(vc), -1);
	}
	fake_vfio_fail(&fv, FAKE_OPEN, 0, 1, -EACCES);
	cr_assert_eq(vfio_container_add_group(vc, G1, why, sizeof(why)),
		     -EACCES);
	/* And then it works. */
	cr_assert_eq(vfio_container_add_group(vc, G1, why, sizeof(why)), 0);
}

/* ---- map and unmap through dma_backend_ops ---- */

Test(vfio_container, map_and_unmap)
{
	const struct fake_mapping *m;

	create_joined();
	cr_assert_eq(map(0x10000, 0x20000, 0x3000, RW), 0);
	cr_assert_eq(kc()->nr_maps, 1);
	m = &kc()->maps[0];
	cr_assert_eq(m->iova, 0x10000);
	cr_assert_eq(m->size, 0x3000);
	cr_assert_eq(m->vaddr,
		     (uint64_t)(uintptr_t)gmem_ptr(&mem, gpa(0x20000), 1));
	cr_assert_eq(m->flags,
		     VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE);
	cr_assert_eq(stats().maps, 1);
	cr_assert_eq(stats().bytes_mapped, 0x3000);
	cr_assert_eq(kc()->pinned, 0x3000);
	cr_assert_eq(unmap(0x10000, 0x3000), 0);
	cr_assert_eq(kc()->nr_maps, 0);
	cr_assert_eq(stats().unmaps, 1);
	cr_assert_eq(stats().bytes_mapped, 0);
	cr_assert_eq(stats().failures, 0);
}

Test(vfio_container, map_flags_pass_through)
{
	create_joined();
	cr_assert_eq(map(0x10000, 0x10000, 0x1000, DMA_BACKEND_F_READ), 0);
	cr_assert_eq(map(0x20000, 0x20000, 0x1000, DMA_BACKEND_F_WRITE), 0);
	cr_assert_eq(kc()->maps[0].flags, VFIO_DMA_MAP_FLAG_READ);
	cr_assert_eq(kc()->maps[1].flags, VFIO_DMA_MAP_FLAG_WRITE);
	/* No permission at all: type1 refuses it. */
	cr_assert_eq(map(0x30000, 0x30000, 0x1000, 0), -EINVAL);
}

Test(vfio_container, map_high_region)
{
	create_joined();
	cr_assert_eq(map(0x200000, 4 * GiB + 2 * MiB, 2 * MiB, RW), 0);
	cr_assert_eq(kc()->maps[0].vaddr,
		     (uint64_t)(uintptr_t)mem.regions[1].host + 2 * MiB);
}

Test(vfio_container, map_of_non_ram_is_efault)
{
	unsigned long before;

	create_joined();
	before = fv.ioctl_calls[VFIO_IOMMU_MAP_DMA & 0xff];
	cr_assert_eq(map(0x10000, 3 * GiB, 0x1000, RW), -EFAULT);
	cr_assert_eq(map(0x10000, 3 * GiB - 0x1000, 0x2000, RW), -EFAULT);
	cr_assert_eq(map(0x10000, 4 * GiB + 16 * MiB, 0x1000, RW), -EFAULT);
	cr_assert_eq(map(0x10000, UINT64_MAX - 0xfff, 0x1000, RW), -EFAULT);
	cr_assert_eq(map(0x10000, 0, 0x1000, RW | DMA_BACKEND_F_MMIO), -EFAULT);
	/* The kernel was never asked. */
	cr_assert_eq(fv.ioctl_calls[VFIO_IOMMU_MAP_DMA & 0xff], before);
	cr_assert_eq(kc()->nr_maps, 0);
	cr_assert_eq(stats().failures, 5);
	cr_assert_eq(vfio_container_metrics(vc)->map_fails.count, 5);
}

Test(vfio_container, map_over_a_mapping_is_eexist)
{
	create_joined();
	cr_assert_eq(map(0x10000, 0x10000, 0x4000, RW), 0);
	cr_assert_eq(map(0x13000, 0x50000, 0x2000, RW), -EEXIST);
	cr_assert_eq(map(0xf000, 0x50000, 0x2000, RW), -EEXIST);
	cr_assert_eq(kc()->nr_maps, 1);
	cr_assert_eq(stats().bytes_mapped, 0x4000);
}

Test(vfio_container, dma_entry_limit_is_enospc_and_recovers)
{
	fv.dma_entry_limit = 3;
	create_joined();
	cr_assert_eq(vfio_container_limits(vc)->dma_avail, 3);
	for (uint64_t i = 0; i < 3; i++)
		cr_assert_eq(map(i * 0x1000, i * 0x1000, 0x1000, RW), 0);
	cr_assert_eq(map(0x10000, 0x10000, 0x1000, RW), -ENOSPC);
	cr_assert_eq(kc()->nr_maps, 3);
	/* Rollback-friendly: an unmap gives the entry back. */
	cr_assert_eq(unmap(0x1000, 0x1000), 0);
	cr_assert_eq(map(0x10000, 0x10000, 0x1000, RW), 0);
	cr_assert_eq(stats().bytes_mapped, 3 * 0x1000);
}

Test(vfio_container, memlock_limit_is_enomem)
{
	fv.memlock_limit = 1 * MiB;
	create_joined();
	cr_assert_eq(map(0, 0, 1 * MiB, RW), 0);
	cr_assert_eq(map(1 * MiB, 1 * MiB, 0x1000, RW), -ENOMEM);
	cr_assert_eq(stats().bytes_mapped, 1 * MiB);
}

Test(vfio_container, map_into_the_iova_hole_is_refused)
{
	create_joined();
	cr_assert_eq(map(0xfee00000ull, 0x10000, 0x1000, RW), -EINVAL);
	cr_assert_eq(map(0xfedff000ull, 0x10000, 0x2000, RW), -EINVAL);
	cr_assert_eq(map(1ull << 39, 0x10000, 0x1000, RW), -EINVAL);
	cr_assert_eq(map(0xfef00000ull, 0x10000, 0x1000, RW), 0);
}

Test(vfio_container, unaligned_is_einval)
{
	create_joined();
	cr_assert_eq(map(0x10800, 0x10000, 0x1000, RW), -EINVAL);
	cr_assert_eq(map(0x10000, 0x10000, 0x800, RW), -EINVAL);
	cr_assert_eq(map(0x10000, 0x10000, 0, RW), -EINVAL);
}

Test(vfio_container, unmap_must_cover_whole_mappings)
{
	create_joined();
	cr_assert_eq(map(0x10000, 0x10000, 0x4000, RW), 0);
	/* type1v2: a range that cuts a mapping is refused, nothing goes. */
	cr_assert_eq(unmap(0x10000, 0x1000), -EINVAL);
	cr_assert_eq(unmap(0x11000, 0x3000), -EINVAL);
	cr_assert_eq(unmap(0xf000, 0x2000), -EINVAL);
	cr_assert_eq(kc()->nr_maps, 1);
	cr_assert_eq(stats().bytes_mapped, 0x4000);
	cr_assert_eq(stats().failures, 3);
	cr_assert_eq(unmap(0x10000, 0x4000), 0);
}

Test(vfio_container, unmap_of_nothing_is_enoent)
{
	create_joined();
	cr_assert_eq(unmap(0x10000, 0x1000), -ENOENT);
	cr_assert_eq(stats().bytes_mapped, 0);
	cr_assert_eq(vfio_container_metrics(vc)->unmap_fails.count, 1);
}

Test(vfio_container, unmap_of_more_than_one_mapping_is_eio)
{
	create_joined();
	cr_assert_eq(map(0x10000, 0x10000, 0x1000, RW), 0);
	cr_assert_eq(map(0x12000, 0x12000, 0x1000, RW), 0);
	/* The kernel unmaps both (0x2000 bytes) and says so; we asked for
	 * 0x3000: not what dma_backend.h promises, reported. */
	cr_assert_eq(unmap(0x10000, 0x3000), -EIO);
	cr_assert_eq(kc()->nr_maps, 0);
	cr_assert_eq(stats().bytes_mapped, 0);
}

Test(vfio_container, map_without_group_is_enodev)
{
	create();
	cr_assert_eq(map(0x10000, 0x10000, 0x1000, RW), -ENODEV);
	cr_assert_eq(unmap(0x10000, 0x1000), -ENODEV);
	cr_assert_eq(vfio_container_map_ram(vc), -ENODEV);
}

Test(vfio_container, group_leaving_drops_mappings)
{
	create_joined();
	cr_assert_eq(map(0x10000, 0x10000, 0x1000, RW), 0);
	vfio_container_put_group(vc);
	cr_assert_eq(stats().bytes_mapped, 0);
	cr_assert_eq(map(0x10000, 0x10000, 0x1000, RW), -ENODEV);
}

Test(vfio_container, ioctl_errors_pass_through)
{
	create_joined();
	fake_vfio_fail(&fv, FAKE_IOCTL, VFIO_IOMMU_MAP_DMA, 1, -EFAULT);
	cr_assert_eq(map(0x10000, 0x10000, 0x1000, RW), -EFAULT);
	fake_vfio_fail(&fv, FAKE_IOCTL, VFIO_IOMMU_MAP_DMA, 1, -ENOMEM);
	cr_assert_eq(map(0x10000, 0x10000, 0x1000, RW), -ENOMEM);
	cr_assert_eq(map(0x10000, 0x10000, 0x1000, RW), 0);
	fake_vfio_fail(&fv, FAKE_IOCTL, VFIO_IOMMU_UNMAP_DMA, 1, -EBUSY);
	cr_assert_eq(unmap(0x10000, 0x1000), -EBUSY);
	cr_assert_eq(stats().bytes_mapped, 0x1000); /* still there */
	cr_assert_eq(stats().failures, 3);
	cr_assert_eq(unmap(0x10000, 0x1000), 0);
}

/* ---- all of RAM, no virtio-iommu ---- */

Test(vfio_container, map_ram_maps_both_regions)
{
	create_joined();
	cr_assert_eq(vfio_container_map_ram(vc), 0);
	cr_assert_eq(kc()->nr_maps, 2);
	cr_assert_eq(kc()->maps[0].iova, 0);
	cr_assert_eq(kc()->maps[0].size, 3 * GiB);
	cr_assert_eq(kc()->maps[0].vaddr, (uint64_t)(uintptr_t)mem.base);
	cr_assert_eq(kc()->maps[1].iova, 4 * GiB);
	cr_assert_eq(kc()->maps[1].size, 16 * MiB);
	cr_assert_eq(kc()->maps[1].vaddr,
		     (uint64_t)(uintptr_t)mem.base + 3 * GiB);
	cr_assert_eq(kc()->maps[1].flags,
		     VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE);
	cr_assert_eq(stats().bytes_mapped, 3 * GiB + 16 * MiB);
	cr_assert_eq(kc()->pinned, 3 * GiB + 16 * MiB);
}

Test(vfio_container, map_ram_rolls_back)
{
	create_joined();
	fake_vfio_fail(&fv, FAKE_IOCTL, VFIO_IOMMU_MAP_DMA, 2, -ENOMEM);
	cr_assert_eq(vfio_container_map_ram(vc), -ENOMEM);
	cr_assert_eq(kc()->nr_maps, 0);
	cr_assert_eq(stats().bytes_mapped, 0);
}

Test(vfio_container, map_ram_refuses_reserved_iovas)
{
	struct gmem big;
	struct gmem_region layout[] = {
		{ .start = gpa(0), .size = 0xff000000ull },
	};

	cr_assert_eq(gmem_create(&big, layout, 1), 0);
	cr_assert_eq(
		vfio_container_create(&fv.sys, &big, &vc, why, sizeof(why)), 0);
	cr_assert_eq(vfio_container_add_group(vc, G1, why, sizeof(why)), 0);
	cr_assert_eq(vfio_container_map_ram(vc), -EINVAL);
	cr_assert_eq(kc()->nr_maps, 0);
	vfio_container_destroy(vc);
	vc = NULL;
	gmem_destroy(&big);
}

/* ---- IOVA ranges and the capability chain ---- */

Test(vfio_container, holes_between_ranges)
{
	struct vfio_range h[4];

	fv.nr_ranges = 3;
	fv.ranges[0] = (struct vfio_iova_range){ 0x1000, 0xfedfffffull };
	fv.ranges[1] = (struct vfio_iova_range){ 0xfef00000ull, 0xffffffffull };
	fv.ranges[2] =
		(struct vfio_iova_range){ 0x100000000ull, (1ull << 48) - 1 };
	create_joined();
	cr_assert_eq(vfio_container_limits(vc)->nr_ranges, 3);
	cr_assert_eq(vfio_container_holes(vc, 0, UINT64_MAX, h, 4), 3);
	cr_assert_eq(h[0].start, 0);
	cr_assert_eq(h[0].last, 0xfff);
	cr_assert_eq(h[1].start, 0xfee00000ull);
	cr_assert_eq(h[1].last, 0xfeefffffull);
	cr_assert_eq(h[2].start, 1ull << 48);
	cr_assert_eq(h[2].last, UINT64_MAX);
	/* Inside a window. */
	cr_assert_eq(
		vfio_container_holes(vc, 0xfe000000ull, 0xfeffffffull, h, 4),
		1);
	cr_assert_eq(h[0].start, 0xfee00000ull);
	cr_assert_eq(h[0].last, 0xfeefffffull);
	cr_assert_eq(vfio_container_holes(vc, 0x2000, 0x3000, h, 4), 0);
	cr_assert_eq(vfio_container_holes(vc, 0, UINT64_MAX, h, 2), -E2BIG);
}

Test(vfio_container, no_range_cap_means_every_iova)
{
	struct vfio_range h[1];

	fv.nr_ranges = 0;
	create_joined();
	cr_assert_eq(vfio_container_limits(vc)->nr_ranges, 0);
	cr_assert_eq(vfio_container_holes(vc, 0, UINT64_MAX, h, 1), 0);
	cr_assert_eq(map(0xfee00000ull, 0x10000, 0x1000, RW), 0);
}

Test(vfio_container, info_is_asked_again_with_room_for_caps)
{
	create_joined();
	/* 24 bytes first; the kernel asks for room for its caps. */
	cr_assert_eq(fv.ioctl_calls[VFIO_IOMMU_GET_INFO & 0xff], 2);
}

/* A chain for fake_vfio's info_caps: bytes from offset 24 of the info. */
static uint8_t chain[256];

static void put_cap(size_t at, uint16_t id, uint32_t next)
{
	struct vfio_info_cap_header h = { id, 1, next };

	memcpy(chain + at - sizeof(struct vfio_iommu_type1_info), &h,
	       sizeof(h));
}

static void put_u32(size_t at, uint32_t v)
{
	memcpy(chain + at - sizeof(struct vfio_iommu_type1_info), &v,
	       sizeof(v));
}

static void put_range(size_t at, uint64_t start, uint64_t end)
{
	struct vfio_iova_range r = { start, end };

	memcpy(chain + at - sizeof(struct vfio_iommu_type1_info), &r,
	       sizeof(r));
}

static void use_chain(size_t len)
{
	fv.info_caps = chain;
	fv.info_caps_len = len;
	fv.info_cap_offset = sizeof(struct vfio_iommu_type1_info);
}

static void expect_join_fails(int err)
{
	create();
	cr_assert_eq(vfio_container_add_group(vc, G1, why, sizeof(why)), err,
		     "%s", why);
	cr_assert_eq(fake_vfio_open_fds(&fv), 1);
	cr_assert_null(vfio_container_limits(vc));
}

Test(vfio_container, own_chain_is_parsed)
{
	/* IOVA ranges first, then DMA-avail at an odd offset. */
	memset(chain, 0, sizeof(chain));
	put_cap(24, VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE, 24 + 16 + 16);
	put_u32(32, 1);
	put_range(40, 0x100000, 0x1fffff);
	put_cap(56, VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL, 0);
	put_u32(64, 77);
	use_chain(56 + 12 - 24);
	create_joined();
	cr_assert_eq(vfio_container_limits(vc)->nr_ranges, 1);
	cr_assert_eq(vfio_container_limits(vc)->ranges[0].start, 0x100000);
	cr_assert_eq(vfio_container_limits(vc)->ranges[0].last, 0x1fffff);
	cr_assert_eq(vfio_container_limits(vc)->dma_avail, 77);
}

Test(vfio_container, chain_pointing_at_itself_is_refused)
{
	memset(chain, 0, sizeof(chain));
	put_cap(24, VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION, 24);
	use_chain(64);
	expect_join_fails(-EPROTO);
}

Test(vfio_container, chain_pointing_backwards_is_refused)
{
	memset(chain, 0, sizeof(chain));
	put_cap(24, VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION, 56);
	put_cap(56, VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL, 24); /* a loop */
	use_chain(64);
	expect_join_fails(-EPROTO);
}

Test(vfio_container, chain_pointing_into_the_header_is_refused)
{
	memset(chain, 0, sizeof(chain));
	put_cap(24, VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION, 8);
	use_chain(64);
	expect_join_fails(-EPROTO);
}

Test(vfio_container, chain_pointing_out_of_the_buffer_is_refused)
{
	memset(chain, 0, sizeof(chain));
	put_cap(24, VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION, 4000);
	use_chain(64);
	expect_join_fails(-EPROTO);
}

Test(vfio_container, cap_cut_short_is_refused)
{
	memset(chain, 0, sizeof(chain));
	/* The last header is 4 bytes from the end: no room for it. */
	put_cap(24, VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION, 60);
	use_chain(40);
	expect_join_fails(-EPROTO);
}

Test(vfio_container, range_count_beyond_the_buffer_is_refused)
{
	memset(chain, 0, sizeof(chain));
	put_cap(24, VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE, 0);
	put_u32(32, 1000);
	put_range(40, 0, 0xfff);
	use_chain(32);
	expect_join_fails(-EPROTO);
}

Test(vfio_container, unsorted_ranges_are_refused)
{
	memset(chain, 0, sizeof(chain));
	put_cap(24, VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE, 0);
	put_u32(32, 2);
	put_range(40, 0x10000, 0x1ffff);
	put_range(56, 0x0, 0xffff);
	use_chain(48);
	expect_join_fails(-EPROTO);
}

Test(vfio_container, inverted_range_is_refused)
{
	memset(chain, 0, sizeof(chain));
	put_cap(24, VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE, 0);
	put_u32(32, 1);
	put_range(40, 0x10000, 0xffff);
	use_chain(32);
	expect_join_fails(-EPROTO);
}

Test(vfio_container, cap_offset_out_of_the_buffer_is_refused)
{
	memset(chain, 0, sizeof(chain));
	use_chain(16);
	fv.info_cap_offset = 1u << 20;
	expect_join_fails(-EPROTO);
}

/* ---- vfio_sys_host's wrappers, which need no VFIO ---- */

Test(vfio_sys_host, errors_are_negative_errno)
{
	char buf[64];

	cr_expect_eq(
		vfio_sys_ioctl(&vfio_sys_host, -1, VFIO_GET_API_VERSION, 0),
		-EBADF);
	cr_expect_eq(vfio_sys_open(&vfio_sys_host, "/nonexistent/vfio", O_RDWR),
		     -ENOENT);
	cr_expect_eq(vfio_sys_host.ops->readlink(NULL, "/nonexistent", buf,
						 sizeof(buf)),
		     -ENOENT);
}
