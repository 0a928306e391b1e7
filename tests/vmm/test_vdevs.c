// SPDX-License-Identifier: Apache-2.0
/* tests/vmm/test_vdevs.c: how virtio-mmio devices are announced to Linux. */
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "vmm/cli.h"
#include "vmm/config.h"
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

/* Behind the iommu, and the iommu itself: ACPI only (FACTS.md). */
Test(vdevs, cmdline_leaves_out_the_iommu_and_its_endpoints)
{
	struct vdevs v = { .nr = 3 };
	char buf[256] = "quiet";

	for (unsigned int i = 0; i < 3; i++) {
		v.slots[i].base = 0xd0000000 + i * 0x1000;
		v.slots[i].gsi = 16 + i;
	}
	v.slots[0].translated = true;
	v.slots[2].is_iommu = true;
	cr_assert_eq(vdevs_cmdline_append(&v, buf, sizeof(buf)), 0);
	cr_assert_str_eq(buf, "quiet virtio_mmio.device=4K@0xd0001000:17");
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

/* --disk / --net / --rng through the real parser and vdevs_cli_group. */
static int parse(struct vm_config *cfg, const char *a, const char *b)
{
	static const struct cli_group *const groups[] = {
		&vdevs_cli_group, NULL,
	};
	char *const argv[] = { "ignis", (char *)a, (char *)b, NULL };

	return cli_parse(b ? 3 : 2, argv, groups, cfg);
}

Test(vdevs_cli, disk_items)
{
	struct vm_config cfg;

	cr_assert_eq(config_init(&cfg), 0);
	cr_assert_eq(parse(&cfg, "--disk=path=/a.img",
			   "--disk=path=/b.img,readonly=on,direct=on,id=vol-b,"
			   "iommu=off"),
		     CLI_RUN);
	cr_assert_eq(cfg.nr_disks, 2);
	cr_assert_str_eq(cfg.disks[0].path, "/a.img");
	cr_assert_not(cfg.disks[0].read_only);
	cr_assert_null(cfg.disks[0].id);
	cr_assert(cfg.disks[0].iommu, "behind --iommu unless said otherwise");
	cr_assert_not(cfg.disks[1].iommu);
	cr_assert_str_eq(cfg.disks[1].path, "/b.img");
	cr_assert(cfg.disks[1].read_only);
	cr_assert(cfg.disks[1].direct);
	cr_assert_str_eq(cfg.disks[1].id, "vol-b");
	config_free(&cfg);
}

Test(vdevs_cli, disk_refusals, .init = cr_redirect_stderr)
{
	static const char *const bad[] = {
		"--disk=readonly=on",			/* no path */
		"--disk=/a.img",			/* not key=value */
		"--disk=path=/a.img,readonly=yes",	/* on|off only */
		"--disk=path=/a.img,iommu=no",		/* on|off only */
		"--disk=path=/a.img,colour=red",	/* unknown item */
		"--disk=path=/a.img,path=/b.img",	/* twice */
		"--disk=path=/a.img,",			/* trailing comma */
		"--disk=path=",				/* empty value */
		"--disk=path=/a,id=123456789012345678901",	/* id > 20 */
	};

	for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct vm_config cfg;

		cr_assert_eq(config_init(&cfg), 0);
		cr_assert_eq(parse(&cfg, bad[i], NULL), -EINVAL, "%s", bad[i]);
		cr_assert_eq(cfg.nr_disks, 0, "%s", bad[i]);
		config_free(&cfg);
	}
}

Test(vdevs_cli, net_items_and_refusals, .init = cr_redirect_stderr)
{
	static const char *const bad[] = {
		"--net=mac=06:00:00:00:00:01",		/* no tap */
		"--net=tap=a-very-long-tap-name",	/* > 15 */
		"--net=tap=../x",			/* '/' */
		"--net=tap=..",				/* dev_valid_name() */
		"--net=tap=eth0:1",			/* an alias, not a tap */
		"--net=tap=t0,mac=0g:00:00:00:00:01",	/* not hex */
		"--net=tap=t0,mac=01:00:00:00:00:01",	/* multicast */
		"--net=tap=t0,mac=00:00:00:00:00:00",	/* zero */
		"--net=tap=t0,mac=06:00:00:00:00",	/* short */
		"--net=tap=t0,mac=06:00:00:00:00:01x",	/* trailing */
		"--net=tap=t0,tap=t1",
		"--net=tap=t0,iommu=0",			/* on|off only */
	};
	struct vm_config cfg;

	cr_assert_eq(config_init(&cfg), 0);
	cr_assert_eq(parse(&cfg, "--net=tap=tap0,mac=06:00:AC:10:00:02",
			   "--net=tap=tap1,iommu=off"), CLI_RUN);
	cr_assert_eq(cfg.nr_nets, 2);
	cr_assert_str_eq(cfg.nets[0].tap, "tap0");
	cr_assert(cfg.nets[0].has_mac);
	cr_assert_eq(cfg.nets[0].mac[2], 0xac);
	cr_assert_eq(cfg.nets[0].mac[5], 0x02);
	cr_assert_not(cfg.nets[1].has_mac);
	cr_assert(cfg.nets[0].iommu);
	cr_assert_not(cfg.nets[1].iommu);
	config_free(&cfg);
	for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_assert_eq(config_init(&cfg), 0);
		cr_assert_eq(parse(&cfg, bad[i], NULL), -EINVAL, "%s", bad[i]);
		cr_assert_eq(cfg.nr_nets, 0, "%s", bad[i]);
		config_free(&cfg);
	}
}

/* --rng is a switch that may carry iommu=off (--rng=iommu=off only: a
 * word after a bare --rng is the next option). */
Test(vdevs_cli, rng_items_and_refusals, .init = cr_redirect_stderr)
{
	static const char *const bad[] = {
		"--rng=", "--rng=iommu", "--rng=iommu=maybe", "--rng=colour=red",
		"--rng=iommu=off,",
	};
	struct vm_config cfg;

	cr_assert_eq(config_init(&cfg), 0);
	cr_assert_eq(parse(&cfg, "--rng", NULL), CLI_RUN);
	cr_assert(cfg.rng && cfg.rng_iommu);
	config_free(&cfg);
	cr_assert_eq(config_init(&cfg), 0);
	cr_assert_eq(parse(&cfg, "--rng=iommu=off", NULL), CLI_RUN);
	cr_assert(cfg.rng);
	cr_assert_not(cfg.rng_iommu);
	config_free(&cfg);
	cr_assert_eq(config_init(&cfg), 0);
	cr_assert_eq(parse(&cfg, "--rng", "iommu=off"), -EINVAL,
		     "not a value of --rng: an argument of its own");
	config_free(&cfg);
	for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_assert_eq(config_init(&cfg), 0);
		cr_assert_eq(parse(&cfg, bad[i], NULL), -EINVAL, "%s", bad[i]);
		cr_assert_not(cfg.rng, "%s", bad[i]);
		config_free(&cfg);
	}
}

/* --vsock: at most one, cid and uds required; CIDs 0-2 and 2^32 - 1 are
 * reserved (virtio 1.2, 5.10.4); uds leaves room for "_<port>". */
Test(vdevs_cli, vsock_items_and_refusals, .init = cr_redirect_stderr)
{
	static const char *const bad[] = {
		"--vsock=cid=3",			/* no uds */
		"--vsock=uds=/v.sock",			/* no cid */
		"--vsock=cid=2,uds=/v.sock",		/* the host's */
		"--vsock=cid=0,uds=/v.sock",
		"--vsock=cid=4294967295,uds=/v.sock",	/* reserved */
		"--vsock=cid=4294967296,uds=/v.sock",	/* 32 bits */
		"--vsock=cid=three,uds=/v.sock",
		"--vsock=cid=3,uds=/v.sock,iommu=no",	/* on|off only */
		"--vsock=cid=3,cid=4,uds=/v.sock",	/* twice */
		"--vsock=cid=3,uds=/a,uds=/b",
		"--vsock=cid=3,uds=/v.sock,port=52",	/* unknown */
		"--vsock=cid=3,uds=",			/* empty */
		"--vsock=cid=3,uds=/v.sock,",		/* trailing comma */
	};
	char longest[160], too_long[160];
	struct vm_config cfg;

	cr_assert_eq(config_init(&cfg), 0);
	cr_assert_eq(parse(&cfg, "--vsock=cid=3,uds=./v.sock", NULL), CLI_RUN);
	cr_assert_str_eq(cfg.vsock.uds_path, "./v.sock");
	cr_assert_eq(cfg.vsock.cid, 3);
	cr_assert(cfg.vsock.iommu, "behind --iommu unless said otherwise");
	cr_assert_null(cfg.vsock.vsock_id);
	config_free(&cfg);
	/* The longest uds and the largest CID. */
	snprintf(longest, sizeof(longest), "--vsock=iommu=off,cid=4294967294,"
		 "uds=/%095d", 0);
	cr_assert_eq(config_init(&cfg), 0);
	cr_assert_eq(parse(&cfg, longest, NULL), CLI_RUN);
	cr_assert_eq(strlen(cfg.vsock.uds_path), 96);
	cr_assert_eq(cfg.vsock.cid, 4294967294u);
	cr_assert_not(cfg.vsock.iommu);
	config_free(&cfg);
	cr_assert_eq(config_init(&cfg), 0);
	cr_assert_eq(parse(&cfg, "--vsock=cid=3,uds=/a",
			   "--vsock=cid=4,uds=/b"),
		     -EINVAL, "one vsock device");
	config_free(&cfg);
	snprintf(too_long, sizeof(too_long), "--vsock=cid=3,uds=/%096d", 0);
	for (unsigned int i = 0; i <= sizeof(bad) / sizeof(bad[0]); i++) {
		const char *arg = i < sizeof(bad) / sizeof(bad[0]) ? bad[i] :
								      too_long;

		cr_assert_eq(config_init(&cfg), 0);
		cr_assert_eq(parse(&cfg, arg, NULL), -EINVAL, "%s", arg);
		cr_assert_null(cfg.vsock.uds_path, "%s", arg);
		config_free(&cfg);
	}
}
