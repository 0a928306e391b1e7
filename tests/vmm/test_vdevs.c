// SPDX-License-Identifier: Apache-2.0
/* tests/vmm/test_vdevs.c: how virtio-mmio devices are announced to Linux. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "vmm/vdevs.h"

Test(vdevs, cmdline_announces_every_device)
{
	struct vdevs v = { .nr = 2 };
	char buf[256] = "console=ttyS0";

	v.slots[0].base = 0xd0000000;
	v.slots[0].gsi = 16;
	v.slots[1].base = 0xd0001000;
	v.slots[1].gsi = 17;
	cr_assert_eq(vdevs_cmdline_append(&v, buf, sizeof(buf)), 0);
	cr_assert_str_eq(buf, "console=ttyS0 virtio_mmio.device=4K@0xd0000000:16"
			      " virtio_mmio.device=4K@0xd0001000:17");
}

Test(vdevs, cmdline_without_devices_is_unchanged)
{
	struct vdevs v = { .nr = 0 };
	char buf[32] = "quiet";

	cr_assert_eq(vdevs_cmdline_append(&v, buf, sizeof(buf)), 0);
	cr_assert_str_eq(buf, "quiet");
}

Test(vdevs, cmdline_that_does_not_fit_is_refused)
{
	struct vdevs v = { .nr = 1 };
	char buf[24] = "console=ttyS0";

	v.slots[0].base = 0xd0000000;
	v.slots[0].gsi = 16;
	cr_assert_eq(vdevs_cmdline_append(&v, buf, sizeof(buf)), -E2BIG);
}
