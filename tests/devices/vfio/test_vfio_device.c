// SPDX-License-Identifier: Apache-2.0
/* tests/devices/vfio/test_vfio_device.c: VFIO PCI devices on the fake host. */
#include <criterion/criterion.h>
#include <errno.h>
#include <linux/vfio.h>
#include <stdint.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "devices/vfio/vfio_device.h"
#include "support/fake_vfio.h"
#include "vmm/gmem.h"

/*
 * The e1000e of tests/support/fake_vfio.h (8086:10d3 in group 1, as the
 * nested stack's L2 showed it), opened by BDF or sysfs path into a
 * container; every error path is checked for what it leaves open.
 */
#define KiB (1ULL << 10)
#define BDF FAKE_E1000E_BDF

static struct fake_vfio fv;
static struct gmem mem;
static struct vfio_container *vc;
static struct vfio_device *dev;
static struct fake_device *fd0;
static char why[256];
static int efd[2] = { -1, -1 }; /* INTx tests: trigger, unmask */

static void setup(void)
{
	struct gmem_region layout[] = { { .start = gpa(0), .size = 1 << 20 } };

	fake_vfio_init(&fv);
	fd0 = fake_vfio_device(&fv, BDF);
	cr_assert_eq(gmem_create(&mem, layout, 1), 0);
	cr_assert_eq(
		vfio_container_create(&fv.sys, &mem, &vc, why, sizeof(why)), 0);
	dev = NULL;
	why[0] = '\0';
}

static void teardown(void)
{
	vfio_device_close(dev);
	vfio_container_destroy(vc);
	cr_expect_eq(fake_vfio_open_fds(&fv), 0);
	cr_expect_eq(fake_vfio_live_mmaps(&fv), 0);
	gmem_destroy(&mem);
	fake_vfio_fini(&fv);
	for (int i = 0; i < 2; i++)
		if (efd[i] >= 0)
			close(efd[i]);
}

TestSuite(vfio_device, .init = setup, .fini = teardown);

static void open_dev(const char *name)
{
	cr_assert_eq(
		vfio_device_open(&fv.sys, vc, name, &dev, why, sizeof(why)), 0,
		"%s", why);
}

/* Open must fail with (err), a reason containing (what), and leave only
 * the container open. */
static void expect_open_fails(const char *name, int err, const char *what)
{
	struct vfio_device *d = NULL;

	why[0] = '\0';
	cr_assert_eq(vfio_device_open(&fv.sys, vc, name, &d, why, sizeof(why)),
		     err, "%s: %s", name, why);
	cr_assert_null(d);
	if (what)
		cr_assert(strstr(why, what), "'%s' lacks '%s'", why, what);
	cr_assert_eq(fake_vfio_open_fds(&fv), 1, "%s", name);
	cr_assert_eq(fake_vfio_live_mmaps(&fv), 0);
	cr_assert_null(vfio_container_limits(vc));
}

static const struct vfio_device_desc *desc(void)
{
	return vfio_device_desc(dev);
}

/* ---- open and what it finds ---- */

Test(vfio_device, open_by_bdf_finds_everything)
{
	const struct vfio_region *r;

	open_dev(BDF);
	cr_assert_str_eq(desc()->name, BDF);
	cr_assert_eq(desc()->group, FAKE_E1000E_GROUP);
	cr_assert_eq(desc()->flags,
		     VFIO_DEVICE_FLAGS_PCI | VFIO_DEVICE_FLAGS_RESET);
	cr_assert_eq(desc()->nr_regions, 9);
	cr_assert_eq(desc()->nr_irqs, 5);
	/* container, group, device */
	cr_assert_eq(fake_vfio_open_fds(&fv), 3);
	cr_assert_eq(fd0->open_fds, 1);

	r = &desc()->regions[VFIO_PCI_BAR0_REGION_INDEX];
	cr_assert_eq(r->size, 128 * KiB);
	cr_assert_eq(r->offset, 0);
	cr_assert_eq(r->flags, VFIO_REGION_INFO_FLAG_READ |
				       VFIO_REGION_INFO_FLAG_WRITE |
				       VFIO_REGION_INFO_FLAG_MMAP);
	cr_assert_not(r->sparse);
	cr_assert_not(r->msix_mappable);
	cr_assert_eq(r->nr_areas, 1);
	cr_assert_eq(r->areas[0].offset, 0);
	cr_assert_eq(r->areas[0].size, 128 * KiB);

	r = &desc()->regions[VFIO_PCI_BAR3_REGION_INDEX];
	cr_assert_eq(r->size, 16 * KiB);
	cr_assert_eq(r->offset, 3ull << 40);
	cr_assert(r->flags & VFIO_REGION_INFO_FLAG_CAPS);
	cr_assert(r->msix_mappable);
	cr_assert_eq(r->nr_areas, 1);

	r = &desc()->regions[VFIO_PCI_CONFIG_REGION_INDEX];
	cr_assert_eq(r->size, 4096);
	cr_assert_eq(r->offset, 7ull << 40);
	cr_assert_eq(r->nr_areas, 0);
	cr_assert_eq(desc()->regions[VFIO_PCI_BAR1_REGION_INDEX].size, 0);
	cr_assert_eq(desc()->regions[VFIO_PCI_ROM_REGION_INDEX].flags, 0);
	cr_assert_eq(desc()->regions[VFIO_PCI_VGA_REGION_INDEX].size, 0);

	cr_assert_eq(desc()->irqs[VFIO_PCI_MSIX_IRQ_INDEX].count, 5);
	cr_assert_eq(desc()->irqs[VFIO_PCI_MSIX_IRQ_INDEX].flags,
		     VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_NORESIZE);
	cr_assert_eq(desc()->irqs[VFIO_PCI_INTX_IRQ_INDEX].count, 1);
	cr_assert_eq(desc()->irqs[VFIO_PCI_INTX_IRQ_INDEX].flags,
		     VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_MASKABLE |
			     VFIO_IRQ_INFO_AUTOMASKED);
	cr_assert_eq(desc()->irqs[VFIO_PCI_ERR_IRQ_INDEX].count, 1);

	cr_assert_eq(desc()->pcie_cap, 0xe0);
	cr_assert(desc()->msix.present);
	cr_assert_eq(desc()->msix.cap, 0xa0);
	cr_assert_eq(desc()->msix.table_size, 5);
	cr_assert_eq(desc()->msix.table_bar, 3);
	cr_assert_eq(desc()->msix.table_offset, 0);
	cr_assert_eq(desc()->msix.pba_bar, 3);
	cr_assert_eq(desc()->msix.pba_offset, 0x2000);
}

Test(vfio_device, reset_at_open_and_at_close)
{
	open_dev(BDF);
	cr_assert_eq(fd0->resets, 1);
	cr_assert_eq(vfio_device_reset(dev), 0);
	cr_assert_eq(fd0->resets, 2);
	vfio_device_close(dev);
	dev = NULL;
	cr_assert_eq(fd0->resets, 3);
	cr_assert_eq(fd0->open_fds, 0);
	/* The group went with its last device. */
	cr_assert_eq(fake_vfio_open_fds(&fv), 1);
	cr_assert_null(fake_vfio_container_of(&fv, FAKE_E1000E_GROUP));
}

Test(vfio_device, no_reset_when_the_device_cannot)
{
	fd0->flags = VFIO_DEVICE_FLAGS_PCI;
	open_dev(BDF);
	cr_assert_eq(vfio_device_reset(dev), -ENOTSUP);
	vfio_device_close(dev);
	dev = NULL;
	cr_assert_eq(fd0->resets, 0);
	cr_assert_eq(fv.ioctl_calls[VFIO_DEVICE_RESET & 0xff], 0);
}

Test(vfio_device, reset_failing_at_open_is_not_fatal)
{
	fake_vfio_fail(&fv, FAKE_IOCTL, VFIO_DEVICE_RESET, 1, -EAGAIN);
	open_dev(BDF);
	cr_assert_eq(fd0->resets, 0);
}

Test(vfio_device, open_by_sysfs_paths)
{
	open_dev("/sys/bus/pci/devices/0000:00:01.0/");
	cr_assert_str_eq(desc()->name, BDF);
	vfio_device_close(dev);
	dev = NULL;
	open_dev("/sys/devices/pci0000:00/0000:00:01.0");
	cr_assert_str_eq(desc()->name, BDF);
	cr_assert_eq(desc()->group, FAKE_E1000E_GROUP);
}

Test(vfio_device, two_devices_of_one_group_share_it)
{
	struct vfio_device *d2 = NULL;

	fake_vfio_add_device(&fv, "0000:00:01.1", FAKE_E1000E_GROUP);
	open_dev(BDF);
	cr_assert_eq(vfio_device_open(&fv.sys, vc, "0000:00:01.1", &d2, why,
				      sizeof(why)),
		     0, "%s", why);
	cr_assert_eq(fake_vfio_open_fds(&fv), 4);
	vfio_device_close(d2);
	cr_assert_eq(fake_vfio_open_fds(&fv), 3);
}

Test(vfio_device, bad_names)
{
	expect_open_fails("eth0", -EINVAL, "not a PCI address");
	expect_open_fails("00:01.0", -EINVAL, NULL);
	expect_open_fails("0000:00:01.8", -EINVAL, NULL);
	expect_open_fails("0000:00:1.0", -EINVAL, NULL);
	expect_open_fails("0000:00:01.0x", -EINVAL, NULL);
	expect_open_fails("/sys/bus/pci/devices/", -EINVAL, NULL);
	expect_open_fails("", -EINVAL, NULL);
}

Test(vfio_device, missing_device)
{
	expect_open_fails("0000:00:05.0", -ENOENT,
			  "no PCI device 0000:00:05.0");
}

Test(vfio_device, device_without_iommu_group)
{
	fd0->has_group = false;
	expect_open_fails(BDF, -ENOENT, "has no IOMMU group");
}

Test(vfio_device, group_not_viable_names_the_group)
{
	fake_vfio_add_device(&fv, "0000:00:02.0", 2);
	fake_vfio_add_device(&fv, "0000:00:02.1", 2);
	fake_vfio_add_group(&fv, 2, false);
	expect_open_fails("0000:00:02.0", -EBUSY,
			  "/sys/kernel/iommu_groups/2/devices");
	cr_assert(strstr(why, "not viable"), "%s", why);
}

Test(vfio_device, group_of_another_container)
{
	fake_vfio_add_device(&fv, "0000:00:02.0", 2);
	open_dev(BDF);
	cr_assert_eq(vfio_device_open(&fv.sys, vc, "0000:00:02.0",
				      &(struct vfio_device *){ NULL }, why,
				      sizeof(why)),
		     -EBUSY);
	cr_assert_eq(fake_vfio_open_fds(&fv), 3);
}

Test(vfio_device, not_pci)
{
	fd0->flags = VFIO_DEVICE_FLAGS_PLATFORM;
	expect_open_fails(BDF, -ENODEV, "not a PCI device");
	cr_assert_eq(fd0->open_fds, 0);
}

Test(vfio_device, every_failing_call_of_open_leaves_nothing)
{
	unsigned long total, fails = 0;

	/* How many calls a good open makes. */
	total = fv.calls[FAKE_ANY];
	open_dev(BDF);
	total = fv.calls[FAKE_ANY] - total;
	vfio_device_close(dev);
	dev = NULL;
	cr_assert_gt(total, 20);
	for (unsigned long n = 1; n <= total; n++) {
		struct vfio_device *d = NULL;
		int ret;

		fake_vfio_fail(&fv, FAKE_ANY, 0, n, -EIO);
		ret = vfio_device_open(&fv.sys, vc, BDF, &d, why, sizeof(why));
		if (ret == 0) {
			/* Only the reset at open may fail and be let go. */
			cr_assert_eq(fv.fail_nth, 0, "call %lu", n);
			cr_assert_eq(n, total, "call %lu", n);
			vfio_device_close(d);
		} else {
			cr_assert_eq(ret, -EIO, "call %lu: %s", n, why);
			fails++;
		}
		cr_assert_eq(fake_vfio_open_fds(&fv), 1, "call %lu", n);
		cr_assert_eq(fd0->open_fds, 0, "call %lu", n);
		cr_assert_null(fake_vfio_container_of(&fv, FAKE_E1000E_GROUP),
			       "call %lu", n);
	}
	cr_assert_eq(fails, total - 1);
}

/* ---- regions ---- */

Test(vfio_device, sparse_areas)
{
	const struct vfio_bar_map *m;
	const struct vfio_region *r;
	uint32_t v = 0;

	fd0->nr_sparse[0] = 3;
	fd0->sparse[0][0] = (struct vfio_region_sparse_mmap_area){ 0, 0x4000 };
	fd0->sparse[0][1] = (struct vfio_region_sparse_mmap_area){ 0x8000, 0 };
	fd0->sparse[0][2] =
		(struct vfio_region_sparse_mmap_area){ 0x8000, 0x18000 };
	open_dev(BDF);
	r = &desc()->regions[0];
	cr_assert(r->sparse);
	cr_assert_eq(r->nr_areas, 2);
	cr_assert_eq(r->areas[1].offset, 0x8000);
	cr_assert_eq(r->areas[1].size, 0x18000);
	cr_assert_eq(vfio_device_map_bar(dev, 0, &m), 2);
	cr_assert_eq(fake_vfio_live_mmaps(&fv), 2);
	cr_assert_eq(m[1].offset, 0x8000);
	cr_assert_eq(m[1].size, 0x18000);
	/* Real memory, the same the region's pread sees. */
	((volatile uint32_t *)m[1].host)[2] = 0xdeadbeef;
	cr_assert_eq(vfio_device_region_read(dev, 0, 0x8008, &v, 4), 0);
	cr_assert_eq(v, 0xdeadbeef);
	v = 0x12345678;
	cr_assert_eq(vfio_device_region_write(dev, 0, 0x10, &v, 4), 0);
	cr_assert_eq(((volatile uint32_t *)m[0].host)[4], 0x12345678);
	vfio_device_close(dev);
	dev = NULL;
	cr_assert_eq(fake_vfio_live_mmaps(&fv), 0);
}

Test(vfio_device, sparse_area_outside_the_region_is_refused)
{
	fd0->nr_sparse[0] = 1;
	fd0->sparse[0][0] =
		(struct vfio_region_sparse_mmap_area){ 0x10000, 0x20000 };
	expect_open_fails(BDF, -EPROTO, "region 0");
}

Test(vfio_device, sparse_area_wrapping_is_refused)
{
	fd0->nr_sparse[0] = 1;
	fd0->sparse[0][0] =
		(struct vfio_region_sparse_mmap_area){ 0x1000,
						       UINT64_MAX - 0x800 };
	expect_open_fails(BDF, -EPROTO, NULL);
}

Test(vfio_device, map_bar_whole_and_once)
{
	const struct vfio_bar_map *m, *m2;

	open_dev(BDF);
	cr_assert_eq(vfio_device_map_bar(dev, 3, &m), 1);
	cr_assert_eq(m[0].offset, 0);
	cr_assert_eq(m[0].size, 16 * KiB);
	cr_assert_eq(vfio_device_map_bar(dev, 3, &m2), 1);
	cr_assert_eq(m2, m);
	cr_assert_eq(fake_vfio_live_mmaps(&fv), 1);
	/* Writes through the map reach the device's BAR. */
	((volatile uint8_t *)m[0].host)[0x2000] = 0x5a;
	cr_assert_eq(fd0->bars[3 * FAKE_BAR_SLOT + 0x2000], 0x5a);
	/* A BAR that is not there, and what is not a BAR. */
	cr_assert_eq(vfio_device_map_bar(dev, 1, &m), 0);
	cr_assert_eq(vfio_device_map_bar(dev, 7, &m), -EINVAL);
	cr_assert_eq(vfio_device_map_bar(dev, 6, &m), -EINVAL);
}

Test(vfio_device, map_bar_failure_unmaps_what_it_mapped)
{
	const struct vfio_bar_map *m;

	fd0->nr_sparse[0] = 2;
	fd0->sparse[0][0] = (struct vfio_region_sparse_mmap_area){ 0, 0x4000 };
	fd0->sparse[0][1] =
		(struct vfio_region_sparse_mmap_area){ 0x8000, 0x8000 };
	open_dev(BDF);
	fake_vfio_fail(&fv, FAKE_MMAP, 0, 2, -ENOMEM);
	cr_assert_eq(vfio_device_map_bar(dev, 0, &m), -ENOMEM);
	cr_assert_eq(fake_vfio_live_mmaps(&fv), 0);
	cr_assert_eq(vfio_device_map_bar(dev, 0, &m), 2);
	cr_assert_eq(fake_vfio_live_mmaps(&fv), 2);
}

Test(vfio_device, config_space_reads_and_writes)
{
	uint8_t id[4];
	uint16_t cmd = 0x0006, back = 0;
	uint32_t v;

	open_dev(BDF);
	cr_assert_eq(vfio_device_config_read(dev, 0, id, 4), 0);
	cr_assert_eq(id[0], 0x86);
	cr_assert_eq(id[1], 0x80);
	cr_assert_eq(id[2], 0xd3);
	cr_assert_eq(id[3], 0x10);
	cr_assert_eq(vfio_device_config_write(dev, 0x04, &cmd, 2), 0);
	cr_assert_eq(vfio_device_config_read(dev, 0x04, &back, 2), 0);
	cr_assert_eq(back, 0x0006);
	cr_assert_eq(fd0->config[4], 0x06);
	/* The last dword of extended config space, and past it. */
	cr_assert_eq(vfio_device_config_read(dev, 4092, &v, 4), 0);
	cr_assert_eq(vfio_device_config_read(dev, 4093, &v, 4), -EINVAL);
	cr_assert_eq(vfio_device_config_read(dev, UINT64_MAX - 1, &v, 4),
		     -EINVAL);
	cr_assert_eq(vfio_device_config_write(dev, 4096, &v, 1), -EINVAL);
	cr_assert_eq(vfio_device_region_read(dev, 99, 0, &v, 4), -EINVAL);
	/* ROM: not readable here. */
	cr_assert_eq(vfio_device_region_read(dev, 6, 0, &v, 4), -EINVAL);
	fake_vfio_fail(&fv, FAKE_PREAD, 0, 1, -EIO);
	cr_assert_eq(vfio_device_config_read(dev, 0, &v, 4), -EIO);
}

/* ---- the MSI-X capability, on sane and insane lists ---- */

Test(vfio_device, msix_found_when_the_list_loops_after_it)
{
	fd0->config[0xa1] = 0xc8; /* MSI-X -> PM: a loop */
	open_dev(BDF);
	cr_assert(desc()->msix.present);
	cr_assert_eq(desc()->pcie_cap, 0xe0);
}

Test(vfio_device, msix_not_found_when_the_list_loops_before_it)
{
	fd0->config[0xe1] = 0xd0; /* PCIe -> MSI: a loop */
	open_dev(BDF);
	cr_assert_not(desc()->msix.present);
	cr_assert_eq(desc()->msix.cap, 0);
	cr_assert_eq(desc()->pcie_cap, 0xe0);
}

Test(vfio_device, msix_self_loop)
{
	fd0->config[0x34] = 0xa0;
	fd0->config[0xa1] = 0xa0;
	open_dev(BDF);
	cr_assert(desc()->msix.present);
	cr_assert_eq(desc()->pcie_cap, 0);
}

Test(vfio_device, capability_pointers_out_of_range)
{
	fd0->config[0x34] = 0x10; /* into the header */
	open_dev(BDF);
	cr_assert_not(desc()->msix.present);
	vfio_device_close(dev);
	dev = NULL;
	fd0->config[0x34] = 0xfc; /* a header at the very end... */
	fd0->config[0xfc] = 0x11; /* ...claiming MSI-X, cut short */
	fd0->config[0xfd] = 0x00;
	open_dev(BDF);
	cr_assert_not(desc()->msix.present);
	vfio_device_close(dev);
	dev = NULL;
	fd0->config[0x34] = 0xc8;
	fd0->config[0x06] = 0; /* no capability list at all */
	open_dev(BDF);
	cr_assert_not(desc()->msix.present);
	cr_assert_eq(desc()->pcie_cap, 0);
}

Test(vfio_device, msix_table_outside_its_bar_is_ignored)
{
	fd0->config[0xa4] = 0xf3; /* table at 0x3ff0, 5 * 16 bytes */
	fd0->config[0xa5] = 0x3f;
	open_dev(BDF);
	cr_assert_not(desc()->msix.present);
	cr_assert_eq(desc()->msix.cap, 0xa0);
}

Test(vfio_device, msix_in_a_missing_bar_is_ignored)
{
	fd0->config[0xa8] = 0x07; /* PBA in BIR 7: no such BAR */
	open_dev(BDF);
	cr_assert_not(desc()->msix.present);
}

/* ---- MSI-X vectors: SET_IRQS byte for byte ---- */

static void le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

Test(vfio_device, set_msix_layout)
{
	const int32_t fds[3] = { 10, 11, -1 };
	uint8_t want[32];

	open_dev(BDF);
	cr_assert_eq(vfio_device_set_msix(dev, 1, 3, fds), 0);
	cr_assert_eq(fd0->nr_irq_sets, 1);
	le32(want + 0, 32); /* argsz: 20 + 3 * 4 */
	le32(want + 4, VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER);
	le32(want + 8, VFIO_PCI_MSIX_IRQ_INDEX);
	le32(want + 12, 1); /* start */
	le32(want + 16, 3); /* count */
	le32(want + 20, 10);
	le32(want + 24, 11);
	le32(want + 28, 0xffffffffu);
	cr_assert_eq(fd0->irq_sets[0].len, sizeof(want));
	cr_assert_arr_eq(fd0->irq_sets[0].bytes, want, sizeof(want));
	cr_assert_eq(fd0->msix_enabled, 4);
}

Test(vfio_device, disable_msix_layout)
{
	const int32_t fds[5] = { 3, 4, 5, 6, 7 };
	uint8_t want[20];

	open_dev(BDF);
	cr_assert_eq(vfio_device_set_msix(dev, 0, 5, fds), 0);
	cr_assert_eq(vfio_device_disable_msix(dev), 0);
	le32(want + 0, 20);
	le32(want + 4, VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER);
	le32(want + 8, VFIO_PCI_MSIX_IRQ_INDEX);
	le32(want + 12, 0);
	le32(want + 16, 0);
	cr_assert_eq(fd0->nr_irq_sets, 2);
	cr_assert_eq(fd0->irq_sets[1].len, sizeof(want));
	cr_assert_arr_eq(fd0->irq_sets[1].bytes, want, sizeof(want));
	cr_assert_eq(fd0->msix_enabled, 0);
}

Test(vfio_device, set_msix_checks_the_range)
{
	const int32_t fds[6] = { 1, 2, 3, 4, 5, 6 };

	open_dev(BDF);
	cr_assert_eq(vfio_device_set_msix(dev, 0, 6, fds), -EINVAL);
	cr_assert_eq(vfio_device_set_msix(dev, 5, 1, fds), -EINVAL);
	cr_assert_eq(vfio_device_set_msix(dev, 2, 0, fds), -EINVAL);
	cr_assert_eq(vfio_device_set_msix(dev, UINT32_MAX, 2, fds), -EINVAL);
	cr_assert_eq(fd0->nr_irq_sets, 0); /* the kernel never asked */
}

Test(vfio_device, set_msix_cannot_grow_once_enabled)
{
	const int32_t fds[5] = { 1, 2, 3, 4, 5 };

	open_dev(BDF);
	cr_assert_eq(vfio_device_set_msix(dev, 0, 2, fds), 0);
	cr_assert_eq(vfio_device_set_msix(dev, 1, 1, fds), 0);
	/* 6.1 (NORESIZE): vector 4 does not exist until re-enabled. */
	cr_assert_eq(vfio_device_set_msix(dev, 4, 1, fds), -EINVAL);
	cr_assert_eq(vfio_device_disable_msix(dev), 0);
	cr_assert_eq(vfio_device_set_msix(dev, 0, 5, fds), 0);
	cr_assert_eq(fd0->msix_enabled, 5);
}

/* ---- INTx: SET_IRQS byte for byte, and the kernel's rules ---- */

/* The bytes of a SET_IRQS on INTx with one eventfd (fd) for (action),
 * or with none (fd < 0: DATA_NONE | ACTION_TRIGGER, count 0). */
static size_t intx_bytes(uint8_t *want, uint32_t action, int fd)
{
	le32(want + 0, fd < 0 ? 20 : 24);
	le32(want + 4,
	     (fd < 0 ? VFIO_IRQ_SET_DATA_NONE : VFIO_IRQ_SET_DATA_EVENTFD) |
		     action);
	le32(want + 8, VFIO_PCI_INTX_IRQ_INDEX);
	le32(want + 12, 0); /* start */
	le32(want + 16, fd < 0 ? 0 : 1); /* count */
	if (fd < 0)
		return 20;
	le32(want + 20, (uint32_t)fd);
	return 24;
}

/* SET_IRQS (i) was (intx_bytes(action, fd)) and the fake answered (ret). */
static void expect_intx_set(unsigned int i, uint32_t action, int fd, int ret)
{
	uint8_t want[24];
	size_t len = intx_bytes(want, action, fd);

	cr_assert_lt(i, fd0->nr_irq_sets, "SET_IRQS %u missing", i);
	cr_assert_eq(fd0->irq_sets[i].len, len, "SET_IRQS %u", i);
	cr_assert_arr_eq(fd0->irq_sets[i].bytes, want, len, "SET_IRQS %u", i);
	cr_assert_eq(fd0->irq_sets[i].ret, ret, "SET_IRQS %u answered %d", i,
		     fd0->irq_sets[i].ret);
}

/* INTx's two eventfds, as vfio_pci makes them. */
static void make_efds(void)
{
	for (int i = 0; i < 2; i++) {
		efd[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		cr_assert_geq(efd[i], 0);
	}
}

static void expect_intx_off(void)
{
	cr_assert_eq(fd0->irq_type, FAKE_IRQ_NONE);
	cr_assert_eq(fd0->intx_trigger, -1);
	cr_assert_eq(fd0->intx_unmask, -1);
}

Test(vfio_device, set_intx_layout)
{
	make_efds();
	open_dev(BDF);
	cr_assert_eq(vfio_device_set_intx(dev, efd[0], efd[1]), 0);
	cr_assert_eq(fd0->nr_irq_sets, 2);
	expect_intx_set(0, VFIO_IRQ_SET_ACTION_TRIGGER, efd[0], 0);
	expect_intx_set(1, VFIO_IRQ_SET_ACTION_UNMASK, efd[1], 0);
	cr_assert_eq(fd0->irq_type, FAKE_IRQ_INTX);
	cr_assert_eq(fd0->intx_trigger, efd[0]);
	cr_assert_eq(fd0->intx_unmask, efd[1]);
	cr_assert_eq(vfio_device_disable_intx(dev), 0);
	cr_assert_eq(fd0->nr_irq_sets, 3);
	expect_intx_set(2, VFIO_IRQ_SET_ACTION_TRIGGER, -1, 0);
	expect_intx_off();
	/* Off already: the kernel refuses (vfio_pci_set_intx_trigger()). */
	cr_assert_eq(vfio_device_disable_intx(dev), -EINVAL);
	/* And on again, as after MSI-X. */
	cr_assert_eq(vfio_device_set_intx(dev, efd[0], efd[1]), 0);
	cr_assert_eq(fd0->intx_unmask, efd[1]);
}

Test(vfio_device, set_intx_without_intx)
{
	make_efds();
	fake_vfio_set_intx_pin(fd0, 0);
	open_dev(BDF);
	cr_assert_eq(desc()->irqs[VFIO_PCI_INTX_IRQ_INDEX].count, 0);
	cr_assert_eq(vfio_device_set_intx(dev, efd[0], efd[1]), -ENOTSUP);
	cr_assert_eq(fd0->nr_irq_sets, 0, "the kernel never asked");
	expect_intx_off();
}

Test(vfio_device, set_intx_takes_eventfds_only)
{
	int p[2];

	make_efds();
	open_dev(BDF);
	cr_assert_eq(vfio_device_set_intx(dev, -1, efd[1]), -EINVAL);
	cr_assert_eq(vfio_device_set_intx(dev, efd[0], -1), -EINVAL);
	cr_assert_eq(fd0->nr_irq_sets, 0);
	/* A trigger that is no eventfd: refused, nothing to undo. */
	cr_assert_eq(pipe(p), 0);
	cr_assert_eq(vfio_device_set_intx(dev, p[0], efd[1]), -EINVAL);
	cr_assert_eq(fd0->nr_irq_sets, 1);
	expect_intx_set(0, VFIO_IRQ_SET_ACTION_TRIGGER, p[0], -EINVAL);
	expect_intx_off();
	/* An unmask fd that is none: INTx, on by then, goes off again. */
	cr_assert_eq(vfio_device_set_intx(dev, efd[0], p[1]), -EINVAL);
	cr_assert_eq(fd0->nr_irq_sets, 4);
	expect_intx_set(1, VFIO_IRQ_SET_ACTION_TRIGGER, efd[0], 0);
	expect_intx_set(2, VFIO_IRQ_SET_ACTION_UNMASK, p[1], -EINVAL);
	expect_intx_set(3, VFIO_IRQ_SET_ACTION_TRIGGER, -1, 0);
	expect_intx_off();
	close(p[0]);
	close(p[1]);
}

Test(vfio_device, set_intx_rolls_back_a_failed_unmask)
{
	make_efds();
	open_dev(BDF);
	fake_vfio_fail(&fv, FAKE_IOCTL, VFIO_DEVICE_SET_IRQS, 2, -ENOMEM);
	cr_assert_eq(vfio_device_set_intx(dev, efd[0], efd[1]), -ENOMEM);
	/* The failed UNMASK never reached the device; the undo did. */
	cr_assert_eq(fd0->nr_irq_sets, 2);
	expect_intx_set(0, VFIO_IRQ_SET_ACTION_TRIGGER, efd[0], 0);
	expect_intx_set(1, VFIO_IRQ_SET_ACTION_TRIGGER, -1, 0);
	expect_intx_off();
	/* Nothing is left to refuse the next try. */
	cr_assert_eq(vfio_device_set_intx(dev, efd[0], efd[1]), 0);
	cr_assert_eq(fd0->irq_type, FAKE_IRQ_INTX);
	/* A failed trigger: nothing on, nothing to undo. */
	cr_assert_eq(vfio_device_disable_intx(dev), 0);
	fake_vfio_fail(&fv, FAKE_IOCTL, VFIO_DEVICE_SET_IRQS, 1, -EBUSY);
	cr_assert_eq(vfio_device_set_intx(dev, efd[0], efd[1]), -EBUSY);
	cr_assert_eq(fd0->nr_irq_sets, 5);
	expect_intx_off();
}

Test(vfio_device, intx_and_msix_exclude_each_other)
{
	const int32_t fds[5] = { 3, 4, 5, 6, 7 };

	make_efds();
	open_dev(BDF);
	cr_assert_eq(vfio_device_set_msix(dev, 0, 5, fds), 0);
	/* INTx while MSI-X is on: the kernel refuses the trigger, so
	 * there is nothing to roll back. */
	cr_assert_eq(vfio_device_set_intx(dev, efd[0], efd[1]), -EINVAL);
	cr_assert_eq(fd0->nr_irq_sets, 2);
	expect_intx_set(1, VFIO_IRQ_SET_ACTION_TRIGGER, efd[0], -EINVAL);
	cr_assert_eq(fd0->irq_type, FAKE_IRQ_MSIX);
	cr_assert_eq(fd0->msix_enabled, 5);
	cr_assert_eq(vfio_device_disable_intx(dev), -EINVAL);
	cr_assert_eq(fd0->msix_enabled, 5);
	/* And MSI-X while INTx is on (vfio_pci_set_msi_trigger()). */
	cr_assert_eq(vfio_device_disable_msix(dev), 0);
	cr_assert_eq(vfio_device_set_intx(dev, efd[0], efd[1]), 0);
	cr_assert_eq(vfio_device_set_msix(dev, 0, 5, fds), -EINVAL);
	cr_assert_eq(fd0->msix_enabled, 0);
	cr_assert_eq(vfio_device_disable_msix(dev), -EINVAL, "not on");
	cr_assert_eq(fd0->irq_type, FAKE_IRQ_INTX);
	cr_assert_eq(fd0->intx_trigger, efd[0]);
	cr_assert_eq(vfio_device_disable_intx(dev), 0);
	cr_assert_eq(vfio_device_set_msix(dev, 0, 5, fds), 0);
	cr_assert_eq(fd0->irq_type, FAKE_IRQ_MSIX);
}

Test(vfio_device, close_turns_intx_off)
{
	make_efds();
	open_dev(BDF);
	cr_assert_eq(vfio_device_set_intx(dev, efd[0], efd[1]), 0);
	vfio_device_close(dev);
	dev = NULL;
	/* vfio_pci_core_disable(): the kernel lets the eventfds go. */
	expect_intx_off();
}
