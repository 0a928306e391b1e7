// SPDX-License-Identifier: Apache-2.0
/* tests/api/test_fc_config.c: Firecracker's JSON bodies into a vm_config. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/fc_api_priv.h"
#include "api/fc_config.h"
#include "support/tmpfile.h"

static struct vm_config cfg;
static char why[256];

static void setup(void)
{
	cr_assert_eq(config_init(&cfg), 0);
	why[0] = '\0';
}

static void teardown(void)
{
	config_free(&cfg);
}

TestSuite(fc_config, .init = setup, .fini = teardown);

static json_t *parse(const char *text)
{
	json_t *v = NULL;
	char err[256];

	cr_assert_eq(fc_json_parse(text, strlen(text), &v, err, sizeof(err)), 0,
		     "test body does not parse: %s\n%s", err, text);
	return v;
}

static json_t *body_;
static int ret_;

/* Applies (text) with (fn) (and its one extra argument (arg)) and yields
 * its result; the reason is in why. */
#define APPLY(fn, text)                                                 \
	(body_ = parse(text), ret_ = fn(&cfg, body_, why, sizeof(why)), \
	 json_decref(body_), ret_)
#define APPLY_ARG(fn, text, arg)                                             \
	(body_ = parse(text), ret_ = fn(&cfg, body_, arg, why, sizeof(why)), \
	 json_decref(body_), ret_)

static bool str_eq(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

/* Every field of two configs, strings by value. */
static bool cfg_equal(const struct vm_config *a, const struct vm_config *b)
{
	if (!str_eq(a->kernel_path, b->kernel_path) ||
	    !str_eq(a->initrd_path, b->initrd_path) ||
	    !str_eq(a->cmdline, b->cmdline) || a->nr_cpus != b->nr_cpus ||
	    a->mem_size != b->mem_size || a->rng != b->rng ||
	    a->rng_iommu != b->rng_iommu || a->iommu != b->iommu ||
	    a->iommu_poll_us != b->iommu_poll_us ||
	    a->nr_disks != b->nr_disks || a->nr_nets != b->nr_nets ||
	    a->no_cmdline_devices != b->no_cmdline_devices ||
	    a->from_file != b->from_file ||
	    !str_eq(a->log.path, b->log.path) ||
	    !str_eq(a->log.module, b->log.module) ||
	    a->log.level != b->log.level ||
	    a->log.show_level != b->log.show_level ||
	    a->log.show_origin != b->log.show_origin ||
	    !str_eq(a->metrics.path, b->metrics.path) ||
	    !str_eq(a->vsock.uds_path, b->vsock.uds_path) ||
	    !str_eq(a->vsock.vsock_id, b->vsock.vsock_id) ||
	    a->vsock.cid != b->vsock.cid || a->vsock.iommu != b->vsock.iommu ||
	    a->metrics.period_ms != b->metrics.period_ms)
		return false;
	for (unsigned int i = 0; i < a->nr_disks; i++) {
		const struct disk_config *x = &a->disks[i], *y = &b->disks[i];

		if (!str_eq(x->path, y->path) || !str_eq(x->id, y->id) ||
		    !str_eq(x->drive_id, y->drive_id) ||
		    !str_eq(x->partuuid, y->partuuid) ||
		    x->read_only != y->read_only || x->root != y->root ||
		    x->direct != y->direct || x->iommu != y->iommu)
			return false;
	}
	for (unsigned int i = 0; i < a->nr_nets; i++) {
		const struct net_config *x = &a->nets[i], *y = &b->nets[i];

		if (!str_eq(x->tap, y->tap) ||
		    !str_eq(x->iface_id, y->iface_id) ||
		    x->has_mac != y->has_mac || x->iommu != y->iommu ||
		    (x->has_mac && memcmp(x->mac, y->mac, 6)))
			return false;
	}
	if (a->nr_vfio != b->nr_vfio)
		return false;
	for (unsigned int i = 0; i < a->nr_vfio; i++) {
		const struct vfio_config *x = &a->vfio[i], *y = &b->vfio[i];

		if (!str_eq(x->path, y->path) ||
		    !str_eq(x->vfio_id, y->vfio_id) || x->iommu != y->iommu)
			return false;
	}
	return true;
}

/* Expects (ret) to be (err) with a reason mentioning (needle), and cfg to
 * be exactly (*before). */
static void expect_refused(int ret, int err, const char *needle,
			   const struct vm_config *before)
{
	cr_expect_eq(ret, err, "got %d (%s), want %d", ret, why, err);
	cr_expect(strstr(why, needle), "reason \"%s\" lacks \"%s\"", why,
		  needle);
	if (before)
		cr_expect(cfg_equal(&cfg, before), "config changed on error");
}

/* A snapshot of cfg to compare with after a refused change. */
static struct vm_config snap(void)
{
	struct vm_config c;

	cr_assert_eq(config_copy(&c, &cfg), 0);
	return c;
}

/* --- JSON ---------------------------------------------------------- */

Test(fc_config, json_parse_refuses_bad_json)
{
	static const char *const bad[] = {
		"{",
		"[1]",
		"\"x\"",
		"{\"a\": 1,}",
		"{\"a\": 1, \"a\": 2}",
		"{\"a\": \"x\\u0000y\"}",
		"",
	};
	json_t *v = NULL;

	for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_expect_eq(fc_json_parse(bad[i], strlen(bad[i]), &v, why,
					   sizeof(why)),
			     -EINVAL, "accepted %s", bad[i]);
		cr_expect(why[0], "no reason for %s", bad[i]);
	}
	cr_expect_eq(fc_json_parse("{}", 2, &v, why, sizeof(why)), 0);
	json_decref(v);
}

Test(fc_config, copy_is_deep_and_equal)
{
	struct vm_config c;

	cr_assert_eq(
		APPLY_ARG(fc_drive_apply,
			  "{\"drive_id\": \"d\", \"path_on_host\": \"/x\", "
			  "\"is_root_device\": true, \"partuuid\": \"ab-01\"}",
			  NULL),
		0, "%s", why);
	cr_assert_eq(APPLY(fc_vsock_apply,
			   "{\"vsock_id\": \"v\", \"guest_cid\": 3, "
			   "\"uds_path\": \"u\"}"),
		     0, "%s", why);
	cr_assert_eq(APPLY_ARG(fc_vfio_apply,
			       "{\"vfio_id\": \"f\", \"path\": \"00:01.0\"}",
			       NULL),
		     0, "%s", why);
	cr_assert_eq(config_copy(&c, &cfg), 0);
	cr_expect(cfg_equal(&c, &cfg));
	cr_expect_neq(c.disks[0].path, cfg.disks[0].path);
	cr_expect_neq(c.vfio[0].path, cfg.vfio[0].path);
	cr_expect_neq(c.vfio[0].vfio_id, cfg.vfio[0].vfio_id);
	cr_expect_neq(c.vsock.uds_path, cfg.vsock.uds_path);
	cr_expect_neq(c.vsock.vsock_id, cfg.vsock.vsock_id);
	cr_expect_neq(c.cmdline, cfg.cmdline);
	config_free(&c);
}

/* --- boot-source ---------------------------------------------------- */

/* docs/getting-started.md */
Test(fc_config, boot_source_getting_started)
{
	cr_assert_eq(
		APPLY(fc_boot_source_apply,
		      "{\"kernel_image_path\": \"./vmlinux.bin\", "
		      "\"boot_args\": \"console=ttyS0 reboot=k panic=1\"}"),
		0, "%s", why);
	cr_expect_str_eq(cfg.kernel_path, "./vmlinux.bin");
	cr_expect_str_eq(cfg.cmdline, "console=ttyS0 reboot=k panic=1");
	cr_expect_null(cfg.initrd_path);
}

/* No boot_args (or null): Firecracker's default command line. */
Test(fc_config, boot_source_defaults_and_nulls)
{
	cr_assert_eq(APPLY(fc_boot_source_apply,
			   "{\"kernel_image_path\": \"k\", \"initrd_path\": "
			   "\"i\"}"),
		     0, "%s", why);
	cr_expect_str_eq(cfg.cmdline, FC_DEFAULT_BOOT_ARGS);
	cr_expect_str_eq(cfg.initrd_path, "i");
	/* A second PUT replaces the whole source: no initrd now. */
	cr_assert_eq(APPLY(fc_boot_source_apply,
			   "{\"kernel_image_path\": \"k2\", \"initrd_path\": "
			   "null, \"boot_args\": null}"),
		     0, "%s", why);
	cr_expect_str_eq(cfg.kernel_path, "k2");
	cr_expect_null(cfg.initrd_path);
	cr_expect_str_eq(cfg.cmdline, FC_DEFAULT_BOOT_ARGS);
	cr_assert_eq(
		APPLY(fc_boot_source_apply,
		      "{\"kernel_image_path\": \"k\", \"boot_args\": \"\"}"),
		0, "%s", why);
	cr_expect_str_eq(cfg.cmdline, "");
}

Test(fc_config, boot_source_refusals)
{
	struct vm_config before = snap();

	expect_refused(APPLY(fc_boot_source_apply, "{\"boot_args\": \"x\"}"),
		       -EINVAL, "missing field 'kernel_image_path'", &before);
	expect_refused(
		APPLY(fc_boot_source_apply, "{\"kernel_image_path\": null}"),
		-EINVAL, "kernel_image_path", &before);
	expect_refused(
		APPLY(fc_boot_source_apply, "{\"kernel_image_path\": 5}"),
		-EINVAL, "kernel_image_path: expected a string", &before);
	expect_refused(APPLY(fc_boot_source_apply,
			     "{\"kernel_image_path\": \"k\", \"foo\": 1}"),
		       -EINVAL, "unknown field 'foo'", &before);
	expect_refused(
		APPLY(fc_boot_source_apply, "{\"kernel_image_path\": \"\"}"),
		-EINVAL, "kernel_image_path: must not be empty", &before);
	expect_refused(APPLY(fc_boot_source_apply,
			     "{\"kernel_image_path\": \"k\", \"boot_args\": "
			     "\"a\\nroot=/dev/sda\"}"),
		       -EINVAL, "boot_args", &before);
	expect_refused(APPLY(fc_boot_source_apply,
			     "{\"kernel_image_path\": \"k\", \"initrd_path\": "
			     "false}"),
		       -EINVAL, "initrd_path: expected a string", &before);
	config_free(&before);
}

/* --- machine-config ------------------------------------------------- */

Test(fc_config, machine_config_put)
{
	cr_assert_eq(APPLY_ARG(fc_machine_config_apply,
			       "{\"vcpu_count\": 2, \"mem_size_mib\": 1024}",
			       false),
		     0, "%s", why);
	cr_expect_eq(cfg.nr_cpus, 2);
	cr_expect_eq(cfg.mem_size, 1024ULL << 20);
	/* tests/framework/vm_config.json's, and nulls. */
	cr_assert_eq(APPLY_ARG(fc_machine_config_apply,
			       "{\"vcpu_count\": 4, \"mem_size_mib\": 256, "
			       "\"smt\": false, \"track_dirty_pages\": false, "
			       "\"huge_pages\": \"None\", \"cpu_template\": "
			       "\"None\"}",
			       false),
		     0, "%s", why);
	cr_expect_eq(cfg.nr_cpus, 4);
	cr_expect_eq(cfg.mem_size, 256ULL << 20);
	cr_assert_eq(
		APPLY_ARG(fc_machine_config_apply,
			  "{\"vcpu_count\": 1, \"mem_size_mib\": 2, \"smt\": "
			  "null, \"track_dirty_pages\": null, \"huge_pages\": "
			  "null, \"cpu_template\": null}",
			  false),
		0, "%s", why);
	cr_expect_eq(cfg.mem_size, 2ULL << 20);
	cr_assert_eq(APPLY_ARG(fc_machine_config_apply,
			       "{\"vcpu_count\": 254, \"mem_size_mib\": 64}",
			       false),
		     0, "%s", why);
	cr_expect_eq(cfg.nr_cpus, 254);
}

Test(fc_config, machine_config_refusals)
{
	static const struct {
		const char *body, *needle;
		int err;
	} cases[] = {
		{ "{\"mem_size_mib\": 64}", "missing field 'vcpu_count'",
		  -EINVAL },
		{ "{\"vcpu_count\": 1}", "missing field 'mem_size_mib'",
		  -EINVAL },
		{ "{\"vcpu_count\": 0, \"mem_size_mib\": 64}",
		  "vcpu_count: "
		  "expected an integer from 1 to 254",
		  -EINVAL },
		{ "{\"vcpu_count\": 255, \"mem_size_mib\": 64}", "vcpu_count",
		  -EINVAL },
		{ "{\"vcpu_count\": -1, \"mem_size_mib\": 64}", "vcpu_count",
		  -EINVAL },
		{ "{\"vcpu_count\": 1.0, \"mem_size_mib\": 64}", "vcpu_count",
		  -EINVAL },
		{ "{\"vcpu_count\": \"2\", \"mem_size_mib\": 64}",
		  "vcpu_count: expected a non-negative integer", -EINVAL },
		{ "{\"vcpu_count\": 1, \"mem_size_mib\": 0}", "mem_size_mib",
		  -EINVAL },
		{ "{\"vcpu_count\": 1, \"mem_size_mib\": 1}", "mem_size_mib",
		  -EINVAL },
		{ "{\"vcpu_count\": 1, \"mem_size_mib\": 9223372036854775807}",
		  "mem_size_mib", -EINVAL },
		{ "{\"vcpu_count\": 1, \"mem_size_mib\": 64, \"smt\": 1}",
		  "smt: expected true or false", -EINVAL },
		{ "{\"vcpu_count\": 1, \"mem_size_mib\": 64, \"smt\": true}",
		  "smt: true is not supported by ignis yet", -ENOTSUP },
		{ "{\"vcpu_count\": 1, \"mem_size_mib\": 64, "
		  "\"track_dirty_pages\": true}",
		  "track_dirty_pages", -ENOTSUP },
		{ "{\"vcpu_count\": 1, \"mem_size_mib\": 64, \"huge_pages\": "
		  "\"2M\"}",
		  "huge_pages: \"2M\" is not supported", -ENOTSUP },
		{ "{\"vcpu_count\": 1, \"mem_size_mib\": 64, \"huge_pages\": "
		  "\"1G\"}",
		  "huge_pages: expected one of", -EINVAL },
		{ "{\"vcpu_count\": 1, \"mem_size_mib\": 64, \"cpu_template\": "
		  "\"T2\"}",
		  "cpu_template: \"T2\" is not supported", -ENOTSUP },
		{ "{\"vcpu_count\": 1, \"mem_size_mib\": 64, \"cpu_template\": "
		  "\"none\"}",
		  "cpu_template: expected one of", -EINVAL },
		{ "{\"vcpu_count\": 1, \"mem_size_mib\": 64, \"gdb_socket_path\":"
		  " \"/x\"}",
		  "unknown field 'gdb_socket_path'", -EINVAL },
	};
	struct vm_config before = snap();

	for (unsigned int i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_refused(APPLY_ARG(fc_machine_config_apply, cases[i].body,
					 false),
			       cases[i].err, cases[i].needle, &before);
	config_free(&before);
}

/* PATCH: any field, at least one; the others stay. */
Test(fc_config, machine_config_patch)
{
	struct vm_config before;

	cr_assert_eq(
		APPLY_ARG(fc_machine_config_apply, "{\"vcpu_count\": 3}", true),
		0, "%s", why);
	cr_expect_eq(cfg.nr_cpus, 3);
	cr_expect_eq(cfg.mem_size, CONFIG_DEFAULT_MEM_SIZE);
	before = snap();
	expect_refused(APPLY_ARG(fc_machine_config_apply, "{}", true), -EINVAL,
		       "at least one", &before);
	expect_refused(
		APPLY_ARG(fc_machine_config_apply, "{\"smt\": null}", true),
		-EINVAL, "at least one", &before);
	config_free(&before);
}

/* --- drives --------------------------------------------------------- */

#define ROOTFS                                                             \
	"{\"drive_id\": \"rootfs\", \"path_on_host\": \"./rootfs.ext4\", " \
	"\"is_root_device\": true, \"is_read_only\": false}"

/* docs/getting-started.md's PUT /drives/rootfs. */
Test(fc_config, drive_getting_started)
{
	cr_assert_eq(APPLY_ARG(fc_drive_apply, ROOTFS, "rootfs"), 0, "%s", why);
	cr_assert_eq(cfg.nr_disks, 1);
	cr_expect_str_eq(cfg.disks[0].path, "./rootfs.ext4");
	cr_expect_str_eq(cfg.disks[0].drive_id, "rootfs");
	cr_expect_null(cfg.disks[0].id, "GET_ID stays derived from the file");
	cr_expect(cfg.disks[0].root);
	cr_expect_not(cfg.disks[0].read_only);
	cr_expect(cfg.disks[0].iommu);
}

/* tests/framework/vm_config.json's drive, every optional field null or
 * given, and docs/api_requests/block-caching.md's Writeback. */
Test(fc_config, drive_all_fields)
{
	cr_assert_eq(
		APPLY_ARG(fc_drive_apply,
			  "{\"drive_id\": \"rootfs\", \"partuuid\": null, "
			  "\"is_root_device\": true, \"cache_type\": "
			  "\"Unsafe\", \"is_read_only\": false, "
			  "\"path_on_host\": \"bionic.rootfs.ext4\", "
			  "\"io_engine\": \"Sync\", \"rate_limiter\": null, "
			  "\"socket\": null}",
			  NULL),
		0, "%s", why);
	cr_assert_eq(
		APPLY_ARG(fc_drive_apply,
			  "{\"drive_id\": \"dummy\", \"path_on_host\": \"d\", "
			  "\"is_root_device\": false, \"is_read_only\": true, "
			  "\"cache_type\": \"Writeback\", \"io_engine\": "
			  "\"Async\", \"iommu\": false}",
			  "dummy"),
		0, "%s", why);
	cr_assert_eq(cfg.nr_disks, 2);
	cr_expect(cfg.disks[1].read_only);
	cr_expect_not(cfg.disks[1].iommu);
	cr_expect_not(cfg.disks[1].root);
}

/* A rate limiter that limits nothing is no rate limiter. */
Test(fc_config, drive_rate_limiter)
{
	struct vm_config before;

	cr_assert_eq(APPLY_ARG(fc_drive_apply,
			       "{\"drive_id\": \"a\", \"path_on_host\": \"a\", "
			       "\"is_root_device\": false, \"rate_limiter\": "
			       "{\"bandwidth\": null, \"ops\": null}}",
			       NULL),
		     0, "%s", why);
	cr_assert_eq(
		APPLY_ARG(fc_drive_apply,
			  "{\"drive_id\": \"b\", \"path_on_host\": \"b\", "
			  "\"is_root_device\": false, \"rate_limiter\": "
			  "{\"bandwidth\": {\"size\": 0, \"refill_time\": 100},"
			  " \"ops\": {\"size\": 10, \"refill_time\": 0, "
			  "\"one_time_burst\": null}}}",
			  NULL),
		0, "%s", why);
	before = snap();
	expect_refused(
		APPLY_ARG(fc_drive_apply,
			  "{\"drive_id\": \"c\", \"path_on_host\": \"c\", "
			  "\"is_root_device\": false, \"rate_limiter\": "
			  "{\"ops\": {\"size\": 100, \"refill_time\": "
			  "1000}}}",
			  NULL),
		-ENOTSUP,
		"rate_limiter: rate limiters are not "
		"supported by ignis yet",
		&before);
	expect_refused(
		APPLY_ARG(fc_drive_apply,
			  "{\"drive_id\": \"c\", \"path_on_host\": \"c\", "
			  "\"is_root_device\": false, \"rate_limiter\": "
			  "{\"bandwidth\": {\"refill_time\": 1000}}}",
			  NULL),
		-EINVAL, "rate_limiter.bandwidth: missing field 'size'",
		&before);
	expect_refused(
		APPLY_ARG(fc_drive_apply,
			  "{\"drive_id\": \"c\", \"path_on_host\": \"c\", "
			  "\"is_root_device\": false, \"rate_limiter\": "
			  "{\"bandwidth\": {\"size\": -1, \"refill_time\": "
			  "1}}}",
			  NULL),
		-EINVAL, "rate_limiter.bandwidth.size", &before);
	expect_refused(
		APPLY_ARG(fc_drive_apply,
			  "{\"drive_id\": \"c\", \"path_on_host\": \"c\", "
			  "\"is_root_device\": false, \"rate_limiter\": "
			  "{\"burst\": 1}}",
			  NULL),
		-EINVAL, "rate_limiter: unknown field 'burst'", &before);
	config_free(&before);
}

Test(fc_config, drive_refusals)
{
	static const struct {
		const char *body, *needle;
		int err;
	} cases[] = {
		{ "{\"path_on_host\": \"a\", \"is_root_device\": false}",
		  "missing field 'drive_id'", -EINVAL },
		{ "{\"drive_id\": \"a\", \"path_on_host\": \"a\"}",
		  "missing field 'is_root_device'", -EINVAL },
		{ "{\"drive_id\": \"a\", \"is_root_device\": false}",
		  "missing field 'path_on_host'", -EINVAL },
		{ "{\"drive_id\": \"a\", \"path_on_host\": \"\", "
		  "\"is_root_device\": false}",
		  "path_on_host", -EINVAL },
		{ "{\"drive_id\": \"a\", \"path_on_host\": \"a\", "
		  "\"is_root_device\": \"yes\"}",
		  "is_root_device: expected "
		  "true or false",
		  -EINVAL },
		{ "{\"drive_id\": \"a\", \"path_on_host\": \"a\", "
		  "\"is_root_device\": false, \"cache_type\": \"None\"}",
		  "cache_type: expected one of \"Unsafe\", \"Writeback\"",
		  -EINVAL },
		{ "{\"drive_id\": \"a\", \"path_on_host\": \"a\", "
		  "\"is_root_device\": false, \"io_engine\": \"sync\"}",
		  "io_engine", -EINVAL },
		{ "{\"drive_id\": \"a\", \"socket\": \"/s\", "
		  "\"is_root_device\": false}",
		  "socket: vhost-user drives are "
		  "not supported by ignis yet",
		  -ENOTSUP },
		{ "{\"drive_id\": \"a\", \"socket\": \"/s\", \"path_on_host\": "
		  "\"a\", \"is_root_device\": false}",
		  "either path_on_host or "
		  "socket",
		  -EINVAL },
		{ "{\"drive_id\": \"a\", \"path_on_host\": \"a\", "
		  "\"is_root_device\": true, \"partuuid\": \"x y\"}",
		  "partuuid", -EINVAL },
		{ "{\"drive_id\": \"a\", \"path_on_host\": \"a\", "
		  "\"is_root_device\": false, \"readonly\": true}",
		  "unknown field 'readonly'", -EINVAL },
		{ "{\"drive_id\": \"a\", \"path_on_host\": \"a\", "
		  "\"is_root_device\": false, \"iommu\": \"off\"}",
		  "iommu: expected true or false", -EINVAL },
	};
	struct vm_config before = snap();

	for (unsigned int i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_refused(APPLY_ARG(fc_drive_apply, cases[i].body, NULL),
			       cases[i].err, cases[i].needle, &before);
	config_free(&before);
}

/* Firecracker's ids: [A-Za-z0-9_]; ours at most 64 of them. */
Test(fc_config, drive_ids)
{
	static const char *const bad[] = {
		"",
		"a-b",
		"a b",
		"x.y",
		"r\\u00e9sum\\u00e9",
		"12345678901234567890123456789012345678901234567890123456789012345",
	};
	struct vm_config before = snap();
	char body[256];

	for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(body, sizeof(body),
			 "{\"drive_id\": \"%s\", "
			 "\"path_on_host\": \"a\", \"is_root_device\": false}",
			 bad[i]);
		expect_refused(APPLY_ARG(fc_drive_apply, body, NULL), -EINVAL,
			       "drive_id: expected 1 to 64 characters",
			       &before);
	}
	/* The id in the URL must be the body's. */
	expect_refused(APPLY_ARG(fc_drive_apply, ROOTFS, "root"), -EINVAL,
		       "does not match", &before);
	cr_expect_eq(
		APPLY_ARG(fc_drive_apply,
			  "{\"drive_id\": \"Disk_1\", \"path_on_host\": \"a\", "
			  "\"is_root_device\": false}",
			  "Disk_1"),
		0, "%s", why);
	cr_expect_eq(
		APPLY_ARG(fc_drive_apply,
			  "{\"drive_id\": \"1234567890123456789012345678901234"
			  "567890123456789012345678901234\", \"path_on_host\":"
			  " \"a\", \"is_root_device\": false}",
			  NULL),
		0, "64 characters are allowed: %s", why);
	config_free(&before);
}

static void add_drive(const char *id, bool root, bool ro)
{
	char body[256];

	snprintf(body, sizeof(body),
		 "{\"drive_id\": \"%s\", \"path_on_host\":"
		 " \"/img/%s\", \"is_root_device\": %s, \"is_read_only\": %s}",
		 id, id, root ? "true" : "false", ro ? "true" : "false");
	cr_assert_eq(APPLY_ARG(fc_drive_apply, body, id), 0, "%s: %s", id, why);
}

static void expect_order(const char *const ids[], unsigned int n)
{
	cr_assert_eq(cfg.nr_disks, n);
	for (unsigned int i = 0; i < n; i++)
		cr_expect_str_eq(cfg.disks[i].drive_id, ids[i], "disk %u", i);
}

/* The root drive goes first (vda) whenever it comes; at most one. */
Test(fc_config, drive_root_first_and_single)
{
	static const char *const order[] = { "root", "data1", "data2" };
	struct vm_config before;

	add_drive("data1", false, false);
	add_drive("data2", false, false);
	add_drive("root", true, true);
	expect_order(order, 3);
	cr_expect(cfg.disks[0].root && cfg.disks[0].read_only);
	before = snap();
	expect_refused(APPLY_ARG(fc_drive_apply,
				 "{\"drive_id\": \"other\", \"path_on_host\": "
				 "\"o\", \"is_root_device\": true}",
				 NULL),
		       -EINVAL, "a root drive is already configured ('root')",
		       &before);
	/* ... and data1 cannot become a second root either. */
	expect_refused(APPLY_ARG(fc_drive_apply,
				 "{\"drive_id\": \"data1\", \"path_on_host\": "
				 "\"o\", \"is_root_device\": true}",
				 NULL),
		       -EINVAL, "already configured", &before);
	config_free(&before);
	/* The root itself may be updated in place. */
	add_drive("root", true, false);
	expect_order(order, 3);
	cr_expect_not(cfg.disks[0].read_only);
}

/* Same id: replaced in place (Firecracker's update), a root so made is
 * swapped to the front. */
Test(fc_config, drive_same_id_replaces)
{
	static const char *const kept[] = { "a", "b", "c" };
	static const char *const swapped[] = { "c", "b", "a" };

	add_drive("a", false, false);
	add_drive("b", false, false);
	add_drive("c", false, false);
	add_drive("b", false, true);
	expect_order(kept, 3);
	cr_expect(cfg.disks[1].read_only);
	add_drive("c", true, false);
	expect_order(swapped, 3);
	cr_expect(cfg.disks[0].root);
	/* The root made plain again stays where it is, no longer root. */
	add_drive("c", false, false);
	expect_order(swapped, 3);
	cr_expect_not(cfg.disks[0].root);
}

Test(fc_config, drive_limit)
{
	struct vm_config before;
	char id[8];

	for (int i = 0; i < CONFIG_MAX_DISKS; i++) {
		snprintf(id, sizeof(id), "d%d", i);
		add_drive(id, false, false);
	}
	before = snap();
	expect_refused(
		APPLY_ARG(fc_drive_apply,
			  "{\"drive_id\": \"one_more\", \"path_on_host\": "
			  "\"o\", \"is_root_device\": false}",
			  NULL),
		-E2BIG, "at most 8 drives", &before);
	config_free(&before);
	add_drive("d3", false, true); /* replacing still works */
}

/* What reaches the kernel's command line for the root drive. */
Test(fc_config, drive_root_args)
{
	char buf[256] = "console=ttyS0";

	cr_expect_eq(config_root_args_append(&cfg, buf, sizeof(buf)), 0);
	cr_expect_str_eq(buf, "console=ttyS0", "no root drive: nothing");
	add_drive("rootfs", true, true);
	cr_expect_eq(config_root_args_append(&cfg, buf, sizeof(buf)), 0);
	cr_expect_str_eq(buf, "console=ttyS0 root=/dev/vda ro");
	cr_assert_eq(
		APPLY_ARG(fc_drive_apply,
			  "{\"drive_id\": \"rootfs\", \"path_on_host\": \"r\", "
			  "\"is_root_device\": true, \"partuuid\": "
			  "\"0eaa91a0-01\"}",
			  NULL),
		0, "%s", why);
	buf[0] = '\0';
	cr_expect_eq(config_root_args_append(&cfg, buf, sizeof(buf)), 0);
	cr_expect_str_eq(buf, "root=PARTUUID=0eaa91a0-01 rw");
	strcpy(buf, "0123456789");
	cr_expect_eq(config_root_args_append(&cfg, buf, 20), -E2BIG);
	cr_expect_str_eq(buf, "0123456789");
}

/* --- network-interfaces --------------------------------------------- */

/* docs/getting-started.md's PUT /network-interfaces/net1. */
Test(fc_config, net_getting_started)
{
	static const uint8_t mac[6] = { 0x06, 0x00, 0xac, 0x10, 0x00, 0x02 };

	cr_assert_eq(APPLY_ARG(fc_net_apply,
			       "{\"iface_id\": \"net1\", \"guest_mac\": "
			       "\"06:00:AC:10:00:02\", \"host_dev_name\": "
			       "\"tap0\"}",
			       "net1"),
		     0, "%s", why);
	cr_assert_eq(cfg.nr_nets, 1);
	cr_expect_str_eq(cfg.nets[0].tap, "tap0");
	cr_expect_str_eq(cfg.nets[0].iface_id, "net1");
	cr_expect(cfg.nets[0].has_mac);
	cr_expect_arr_eq(cfg.nets[0].mac, mac, 6);
	cr_expect(cfg.nets[0].iommu);
	/* tests/framework/vm_config_network.json's, with nulls. */
	cr_assert_eq(
		APPLY_ARG(fc_net_apply,
			  "{\"iface_id\": \"eth1\", \"host_dev_name\": "
			  "\"tap1\", \"guest_mac\": null, \"rx_rate_limiter\":"
			  " null, \"tx_rate_limiter\": null, \"mtu\": null, "
			  "\"iommu\": false}",
			  NULL),
		0, "%s", why);
	cr_expect_not(cfg.nets[1].has_mac);
	cr_expect_not(cfg.nets[1].iommu);
}

static void add_net(const char *id, const char *tap, const char *mac)
{
	char body[256];

	snprintf(body, sizeof(body),
		 "{\"iface_id\": \"%s\", \"host_dev_name\":"
		 " \"%s\", \"guest_mac\": \"%s\"}",
		 id, tap, mac);
	cr_assert_eq(APPLY_ARG(fc_net_apply, body, NULL), 0, "%s: %s", id, why);
}

Test(fc_config, net_refusals)
{
	static const struct {
		const char *body, *needle;
		int err;
	} cases[] = {
		{ "{\"host_dev_name\": \"tap9\"}", "missing field 'iface_id'",
		  -EINVAL },
		{ "{\"iface_id\": \"n\"}", "missing field 'host_dev_name'",
		  -EINVAL },
		{ "{\"iface_id\": \"n-1\", \"host_dev_name\": \"tap9\"}",
		  "iface_id: expected 1 to 64", -EINVAL },
		{ "{\"iface_id\": \"n\", \"host_dev_name\": "
		  "\"abcdefghijklmnopq\"}",
		  "host_dev_name", -EINVAL },
		{ "{\"iface_id\": \"n\", \"host_dev_name\": \"a/b\"}",
		  "host_dev_name", -EINVAL },
		{ "{\"iface_id\": \"n\", \"host_dev_name\": \"tap9\", "
		  "\"guest_mac\": \"06:00:ac:10:00\"}",
		  "guest_mac: expected a "
		  "unicast MAC",
		  -EINVAL },
		{ "{\"iface_id\": \"n\", \"host_dev_name\": \"tap9\", "
		  "\"guest_mac\": \"07:00:ac:10:00:02\"}",
		  "guest_mac", -EINVAL },
		{ "{\"iface_id\": \"n\", \"host_dev_name\": \"tap9\", "
		  "\"guest_mac\": \"00:00:00:00:00:00\"}",
		  "guest_mac", -EINVAL },
		{ "{\"iface_id\": \"n\", \"host_dev_name\": \"tap9\", "
		  "\"guest_mac\": \"+6:00:ac:10:00:02\"}",
		  "guest_mac", -EINVAL },
		/* eth0 has it */
		{ "{\"iface_id\": \"n\", \"host_dev_name\": \"tap9\", "
		  "\"guest_mac\": \"06:00:00:00:00:01\"}",
		  "guest_mac: the MAC "
		  "address is already in use",
		  -EINVAL },
		{ "{\"iface_id\": \"n\", \"host_dev_name\": \"tap0\"}",
		  "host_dev_name: 'tap0' is already in use", -EINVAL },
		{ "{\"iface_id\": \"n\", \"host_dev_name\": \"tap9\", \"mtu\": "
		  "1500}",
		  "mtu: not supported by ignis yet", -ENOTSUP },
		{ "{\"iface_id\": \"n\", \"host_dev_name\": \"tap9\", "
		  "\"tx_rate_limiter\": {\"bandwidth\": {\"size\": 1, "
		  "\"refill_time\": 1}}}",
		  "tx_rate_limiter: rate limiters are "
		  "not supported",
		  -ENOTSUP },
		{ "{\"iface_id\": \"n\", \"host_dev_name\": \"tap9\", "
		  "\"allow_mmds_requests\": true}",
		  "unknown field", -EINVAL },
	};
	struct vm_config before;

	add_net("eth0", "tap0", "06:00:00:00:00:01");
	before = snap();
	for (unsigned int i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_refused(APPLY_ARG(fc_net_apply, cases[i].body, NULL),
			       cases[i].err, cases[i].needle, &before);
	expect_refused(APPLY_ARG(fc_net_apply,
				 "{\"iface_id\": \"a\", \"host_dev_name\": "
				 "\"tap9\"}",
				 "b"),
		       -EINVAL, "does not match", &before);
	config_free(&before);
}

/* Same iface_id: Firecracker swap-removes the old one and pushes the new
 * one; its own MAC and tap are no conflict. */
Test(fc_config, net_same_id_replaces)
{
	add_net("a", "tapa", "06:00:00:00:00:0a");
	add_net("b", "tapb", "06:00:00:00:00:0b");
	add_net("c", "tapc", "06:00:00:00:00:0c");
	add_net("a", "tapa", "06:00:00:00:00:0a");
	cr_assert_eq(cfg.nr_nets, 3);
	cr_expect_str_eq(cfg.nets[0].iface_id, "c");
	cr_expect_str_eq(cfg.nets[1].iface_id, "b");
	cr_expect_str_eq(cfg.nets[2].iface_id, "a");
}

/* --- entropy, vsock, logger, metrics, iommu --------------------------- */

Test(fc_config, entropy)
{
	struct vm_config before = snap();

	/* docs/entropy.md's body limits: refused whole. */
	expect_refused(APPLY(fc_entropy_apply,
			     "{\"rate_limiter\": {\"bandwidth\": {\"size\": "
			     "1000, \"one_time_burst\": 0, \"refill_time\": "
			     "100}}}"),
		       -ENOTSUP, "rate_limiter", &before);
	expect_refused(APPLY(fc_entropy_apply, "{\"rate\": 1}"), -EINVAL,
		       "unknown field 'rate'", &before);
	config_free(&before);
	cr_assert_eq(APPLY(fc_entropy_apply, "{}"), 0, "%s", why);
	cr_expect(cfg.rng && cfg.rng_iommu);
	cr_assert_eq(APPLY(fc_entropy_apply,
			   "{\"rate_limiter\": null, \"iommu\": false}"),
		     0, "%s", why);
	cr_expect(cfg.rng);
	cr_expect_not(cfg.rng_iommu);
}

/* docs/vsock.md's PUT /vsock: the device, whole. */
Test(fc_config, vsock)
{
	struct vm_config before;

	cr_assert_eq(APPLY(fc_vsock_apply, "{\"vsock_id\": \"1\", "
					   "\"guest_cid\": 3, \"uds_path\": "
					   "\"./v.sock\"}"),
		     0, "%s", why);
	cr_expect_str_eq(cfg.vsock.uds_path, "./v.sock");
	cr_expect_eq(cfg.vsock.cid, 3);
	cr_expect_str_eq(cfg.vsock.vsock_id, "1");
	cr_expect(cfg.vsock.iommu, "behind --iommu unless said otherwise");
	/* A second PUT replaces it all: no vsock_id left behind. */
	cr_assert_eq(APPLY(fc_vsock_apply, "{\"guest_cid\": 4294967294, "
					   "\"uds_path\": \"/run/v.sock\", "
					   "\"vsock_id\": null, \"iommu\": "
					   "false}"),
		     0, "%s", why);
	cr_expect_str_eq(cfg.vsock.uds_path, "/run/v.sock");
	cr_expect_eq(cfg.vsock.cid, 4294967294u);
	cr_expect_null(cfg.vsock.vsock_id);
	cr_expect_not(cfg.vsock.iommu);
	before = snap();
	/* 0-2 and 0xffffffff are reserved (virtio 1.2, 5.10.4). */
	expect_refused(
		APPLY(fc_vsock_apply, "{\"vsock_id\": \"1\", \"guest_cid\": 2, "
				      "\"uds_path\": \"./v.sock\"}"),
		-EINVAL, "guest_cid: expected an integer from 3 to 4294967294",
		&before);
	expect_refused(APPLY(fc_vsock_apply, "{\"guest_cid\": 4294967295, "
					     "\"uds_path\": \"v\"}"),
		       -EINVAL, "guest_cid", &before);
	expect_refused(APPLY(fc_vsock_apply, "{\"guest_cid\": -3, "
					     "\"uds_path\": \"v\"}"),
		       -EINVAL, "guest_cid", &before);
	expect_refused(APPLY(fc_vsock_apply, "{\"guest_cid\": 3}"), -EINVAL,
		       "missing field 'uds_path'", &before);
	expect_refused(APPLY(fc_vsock_apply, "{\"uds_path\": \"v\"}"),
		       -EINVAL, "missing field 'guest_cid'", &before);
	expect_refused(APPLY(fc_vsock_apply, "{\"guest_cid\": 3, "
					     "\"uds_path\": \"\"}"),
		       -EINVAL, "uds_path: must be 1 to 96 bytes", &before);
	expect_refused(APPLY(fc_vsock_apply,
			     "{\"guest_cid\": 3, \"uds_path\": \""
			     "/01234567890123456789012345678901234567890123"
			     "45678901234567890123456789012345678901234567890"
			     "12345\"}"),
		       -EINVAL, "uds_path: must be 1 to 96 bytes", &before);
	expect_refused(APPLY(fc_vsock_apply, "{\"guest_cid\": 3, "
					     "\"uds_path\": 5}"),
		       -EINVAL, "uds_path", &before);
	expect_refused(APPLY(fc_vsock_apply,
			     "{\"guest_cid\": 3, \"uds_path\": \"v\", "
			     "\"port\": 1}"),
		       -EINVAL, "unknown field 'port'", &before);
	config_free(&before);
}

/* docs/getting-started.md's PUT /logger, docs/metrics.md's PUT /metrics:
 * into the configuration (the files are opened by the API, not here). */
Test(fc_config, logger_and_metrics)
{
	struct vm_config before;

	cr_assert_eq(APPLY(fc_logger_apply,
			   "{\"log_path\": \"./fc.log\", \"level\": "
			   "\"Debug\", \"show_level\": true, "
			   "\"show_log_origin\": true}"),
		     0, "%s", why);
	cr_expect_str_eq(cfg.log.path, "./fc.log");
	cr_expect_eq(cfg.log.level, LOG_DEBUG);
	cr_expect(cfg.log.show_level && cfg.log.show_origin);
	cr_expect_null(cfg.log.module);
	/* Case-insensitive, "Warning" too; absent booleans are false, an
	 * absent path is stderr. */
	cr_assert_eq(APPLY(fc_logger_apply,
			   "{\"level\": \"warning\", \"module\": "
			   "\"devices/virtio\", \"log_path\": null}"),
		     0, "%s", why);
	cr_expect_eq(cfg.log.level, LOG_WARN);
	cr_expect_null(cfg.log.path);
	cr_expect_str_eq(cfg.log.module, "devices/virtio");
	cr_expect_not(cfg.log.show_level || cfg.log.show_origin);
	cr_assert_eq(APPLY(fc_logger_apply, "{\"level\": \"Off\"}"), 0, "%s",
		     why);
	cr_expect_eq(cfg.log.level, LOG_OFF);
	cr_assert_eq(APPLY(fc_metrics_apply, "{\"metrics_path\": \"./m.fifo\"}"),
		     0, "%s", why);
	cr_expect_str_eq(cfg.metrics.path, "./m.fifo");
	cr_expect_eq(cfg.metrics.period_ms, METRICS_DEFAULT_PERIOD_MS);

	before = snap();
	expect_refused(APPLY(fc_logger_apply, "{\"level\": \"loud\"}"), -EINVAL,
		       "level: expected one of", &before);
	expect_refused(APPLY(fc_logger_apply, "{\"show_level\": 1}"), -EINVAL,
		       "show_level", &before);
	expect_refused(APPLY(fc_logger_apply, "{\"colour\": true}"), -EINVAL,
		       "unknown field 'colour'", &before);
	expect_refused(APPLY(fc_metrics_apply, "{}"), -EINVAL,
		       "missing field 'metrics_path'", &before);
	expect_refused(APPLY(fc_metrics_apply, "{\"metrics_path\": \"\"}"),
		       -EINVAL, "metrics_path: must not be empty", &before);
	expect_refused(APPLY(fc_logger_apply, "{\"log_path\": \"\"}"), -EINVAL,
		       "log_path: must not be empty", &before);
	expect_refused(APPLY(fc_metrics_apply,
			     "{\"metrics_path\": \"m\", \"emit_id\": true}"),
		       -ENOTSUP, "emit_id", &before);
	expect_refused(APPLY(fc_metrics_apply,
			     "{\"metrics_path\": \"m\", \"properties\": "
			     "{\"a\": \"b\"}}"),
		       -ENOTSUP, "properties", &before);
	config_free(&before);
}

Test(fc_config, iommu_extension)
{
	struct vm_config before;

	cr_assert_eq(APPLY(fc_iommu_apply, "{}"), 0, "%s", why);
	cr_expect(cfg.iommu);
	cr_expect_eq(cfg.iommu_poll_us, CONFIG_IOMMU_POLL_US);
	cr_assert_eq(APPLY(fc_iommu_apply, "{\"enabled\": true, \"poll_us\": "
					   "0}"),
		     0, "%s", why);
	cr_expect_eq(cfg.iommu_poll_us, 0);
	before = snap();
	expect_refused(APPLY(fc_iommu_apply, "{\"poll_us\": 10001}"), -EINVAL,
		       "poll_us: expected an integer from 0 to 10000", &before);
	expect_refused(APPLY(fc_iommu_apply, "{\"on\": true}"), -EINVAL,
		       "unknown field 'on'", &before);
	config_free(&before);
	cr_assert_eq(APPLY(fc_iommu_apply, "{\"enabled\": false}"), 0);
	cr_expect_not(cfg.iommu);
}

/* --- whole files ---------------------------------------------------- */

/* tests/framework/vm_config.json, with a network interface and entropy. */
static const char full_file[] =
	"{\n"
	"  \"boot-source\": {\n"
	"    \"kernel_image_path\": \"vmlinux.bin\",\n"
	"    \"boot_args\": \"console=ttyS0 reboot=k panic=1\",\n"
	"    \"initrd_path\": null\n"
	"  },\n"
	"  \"drives\": [\n"
	"    {\n"
	"      \"drive_id\": \"rootfs\",\n"
	"      \"partuuid\": null,\n"
	"      \"is_root_device\": true,\n"
	"      \"cache_type\": \"Unsafe\",\n"
	"      \"is_read_only\": false,\n"
	"      \"path_on_host\": \"bionic.rootfs.ext4\",\n"
	"      \"io_engine\": \"Sync\",\n"
	"      \"rate_limiter\": null,\n"
	"      \"socket\": null\n"
	"    }\n"
	"  ],\n"
	"  \"machine-config\": {\n"
	"    \"vcpu_count\": 2,\n"
	"    \"mem_size_mib\": 1024,\n"
	"    \"smt\": false,\n"
	"    \"track_dirty_pages\": false,\n"
	"    \"huge_pages\": \"None\"\n"
	"  },\n"
	"  \"cpu-config\": null,\n"
	"  \"balloon\": null,\n"
	"  \"network-interfaces\": [\n"
	"    {\n"
	"      \"iface_id\": \"eth0\",\n"
	"      \"host_dev_name\": \"tap0\",\n"
	"      \"guest_mac\": \"06:00:c0:a8:00:02\",\n"
	"      \"rx_rate_limiter\": null,\n"
	"      \"tx_rate_limiter\": null\n"
	"    }\n"
	"  ],\n"
	"  \"vsock\": null,\n"
	"  \"logger\": null,\n"
	"  \"metrics\": null,\n"
	"  \"mmds-config\": null,\n"
	"  \"entropy\": {},\n"
	"  \"pmem\": [],\n"
	"  \"memory-hotplug\": null\n"
	"}\n";

Test(fc_config, whole_file)
{
	cr_assert_eq(APPLY(fc_config_apply, full_file), 0, "%s", why);
	cr_expect_str_eq(cfg.kernel_path, "vmlinux.bin");
	cr_expect_str_eq(cfg.cmdline, "console=ttyS0 reboot=k panic=1");
	cr_expect_eq(cfg.nr_cpus, 2);
	cr_expect_eq(cfg.mem_size, 1024ULL << 20);
	cr_expect_eq(cfg.nr_disks, 1);
	cr_expect(cfg.disks[0].root);
	cr_expect_eq(cfg.nr_nets, 1);
	cr_expect(cfg.rng);
	cr_expect_not(cfg.iommu);
	cr_expect_null(cfg.vsock.uds_path, "\"vsock\": null is none");
}

/* The file's "vsock" is PUT /vsock's body. */
Test(fc_config, whole_file_vsock)
{
	cr_assert_eq(APPLY(fc_config_apply,
			   "{\"boot-source\": {\"kernel_image_path\": \"k\"}, "
			   "\"drives\": [], \"vsock\": {\"vsock_id\": \"vsock0\", "
			   "\"guest_cid\": 52, \"uds_path\": \"/tmp/v.sock\"}}"),
		     0, "%s", why);
	cr_expect_eq(cfg.vsock.cid, 52);
	cr_expect_str_eq(cfg.vsock.uds_path, "/tmp/v.sock");
	cr_expect_str_eq(cfg.vsock.vsock_id, "vsock0");
}

Test(fc_config, whole_file_minimal_and_extension)
{
	cr_assert_eq(APPLY(fc_config_apply,
			   "{\"boot-source\": {\"kernel_image_path\": \"k\"}, "
			   "\"drives\": [], \"network-interfaces\": null, "
			   "\"iommu\": {\"poll_us\": 7}}"),
		     0, "%s", why);
	cr_expect_eq(cfg.nr_cpus, 1);
	cr_expect_eq(cfg.mem_size, CONFIG_DEFAULT_MEM_SIZE);
	cr_expect(cfg.iommu);
	cr_expect_eq(cfg.iommu_poll_us, 7);
}

Test(fc_config, whole_file_refusals)
{
	static const struct {
		const char *body, *needle;
		int err;
	} cases[] = {
		{ "{\"drives\": []}", "missing field 'boot-source'", -EINVAL },
		{ "{\"boot-source\": {\"kernel_image_path\": \"k\"}}",
		  "missing field 'drives'", -EINVAL },
		{ "{\"boot-source\": {\"kernel_image_path\": \"k\"}, "
		  "\"drives\": null}",
		  "missing field 'drives'", -EINVAL },
		{ "{\"boot-source\": {\"kernel_image_path\": \"k\"}, "
		  "\"drives\": [], \"machine_config\": {}}",
		  "unknown field 'machine_config'", -EINVAL },
		{ "{\"boot-source\": [], \"drives\": []}",
		  "boot-source: expected an object", -EINVAL },
		{ "{\"boot-source\": {\"kernel_image_path\": \"k\"}, "
		  "\"drives\": [], \"machine-config\": {\"vcpu_count\": 0, "
		  "\"mem_size_mib\": 64}}",
		  "machine-config.vcpu_count", -EINVAL },
		{ "{\"boot-source\": {\"kernel_image_path\": \"k\"}, "
		  "\"drives\": [], \"balloon\": {\"amount_mib\": 0, "
		  "\"deflate_on_oom\": false}}",
		  "balloon: not supported by "
		  "ignis yet",
		  -ENOTSUP },
		{ "{\"boot-source\": {\"kernel_image_path\": \"k\"}, "
		  "\"drives\": [], \"mmds-config\": {\"network_interfaces\": "
		  "[]}}",
		  "mmds-config", -ENOTSUP },
		{ "{\"boot-source\": {\"kernel_image_path\": \"k\"}, "
		  "\"drives\": [], \"cpu-config\": \"/t.json\"}",
		  "cpu-config", -ENOTSUP },
		{ "{\"boot-source\": {\"kernel_image_path\": \"k\"}, "
		  "\"drives\": [], \"pmem\": [{}]}",
		  "pmem", -ENOTSUP },
		{ "{\"boot-source\": {\"kernel_image_path\": \"k\"}, "
		  "\"drives\": [], \"memory-hotplug\": {}}",
		  "memory-hotplug", -ENOTSUP },
		{ "{\"boot-source\": {\"kernel_image_path\": \"k\"}, "
		  "\"drives\": [], \"vsock\": {\"guest_cid\": 1, \"uds_path\": "
		  "\"v\"}}",
		  "vsock.guest_cid: expected an integer from 3", -EINVAL },
		{ "{\"boot-source\": {\"kernel_image_path\": \"k\"}, "
		  "\"drives\": [], \"logger\": {\"level\": \"Loud\"}}",
		  "logger.level: expected one of", -EINVAL },
		{ "{\"boot-source\": {\"kernel_image_path\": \"k\"}, "
		  "\"drives\": [], \"metrics\": {\"path\": \"m\"}}",
		  "metrics: unknown field 'path'", -EINVAL },
		{ "{\"boot-source\": {\"kernel_image_path\": \"k\"}, "
		  "\"drives\": [], \"entropy\": {\"x\": 1}}",
		  "entropy: unknown field 'x'", -EINVAL },
		{ "{\"boot-source\": {\"kernel_image_path\": \"k\"}, "
		  "\"drives\": [], \"iommu\": {\"poll_us\": -1}}",
		  "iommu.poll_us", -EINVAL },
		{ "{\"boot-source\": {\"kernel_image_path\": \"k\"}, "
		  "\"drives\": [], \"network-interfaces\": [{\"iface_id\": "
		  "\"a\", \"host_dev_name\": \"t\"}, {\"iface_id\": \"b\"}]}",
		  "network-interfaces[1]: missing field 'host_dev_name'",
		  -EINVAL },
	};
	struct vm_config before = snap();

	for (unsigned int i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_refused(APPLY(fc_config_apply, cases[i].body),
			       cases[i].err, cases[i].needle, &before);
	config_free(&before);
}

/* A file that fails in its second drive leaves nothing behind: not the
 * machine-config, boot source or first drive that came before. */
Test(fc_config, whole_file_nothing_half_applied)
{
	struct vm_config before = snap();

	expect_refused(APPLY(fc_config_apply,
			     "{\"machine-config\": {\"vcpu_count\": 4, "
			     "\"mem_size_mib\": 512}, \"boot-source\": "
			     "{\"kernel_image_path\": \"k\"}, \"drives\": ["
			     "{\"drive_id\": \"a\", \"path_on_host\": \"a\", "
			     "\"is_root_device\": true}, {\"drive_id\": \"b\", "
			     "\"path_on_host\": \"b\", \"is_root_device\": "
			     "true}], \"entropy\": {}}"),
		       -EINVAL,
		       "drives[1].is_root_device: a root drive is "
		       "already configured ('a')",
		       &before);
	cr_expect_null(cfg.kernel_path);
	cr_expect_eq(cfg.nr_disks, 0);
	config_free(&before);
}

/* Two drives with one id in one file: the second replaces the first, as
 * PUT /drives/{id} twice would. */
Test(fc_config, whole_file_duplicate_drive_ids)
{
	cr_assert_eq(
		APPLY(fc_config_apply,
		      "{\"boot-source\": {\"kernel_image_path\": \"k\"}, "
		      "\"drives\": [{\"drive_id\": \"a\", \"path_on_host\":"
		      " \"first\", \"is_root_device\": false}, "
		      "{\"drive_id\": \"a\", \"path_on_host\": \"second\","
		      " \"is_root_device\": false}]}"),
		0, "%s", why);
	cr_assert_eq(cfg.nr_disks, 1);
	cr_expect_str_eq(cfg.disks[0].path, "second");
}

Test(fc_config, file_load)
{
	char *path = tmpfile_with(full_file, strlen(full_file));
	struct vm_config before;

	cr_assert_not_null(path);
	cr_assert_eq(fc_config_file_load(path, &cfg, why, sizeof(why)), 0, "%s",
		     why);
	cr_expect_eq(cfg.nr_cpus, 2);
	unlink(path);
	free(path);
	before = snap();
	expect_refused(fc_config_file_load("/nonexistent/x.json", &cfg, why,
					   sizeof(why)),
		       -ENOENT, "No such file", &before);
	expect_refused(fc_config_file_load("/tmp", &cfg, why, sizeof(why)),
		       -EISDIR, "directory", &before);
	path = tmpfile_with("{\"boot-source\": {", 17);
	cr_assert_not_null(path);
	expect_refused(fc_config_file_load(path, &cfg, why, sizeof(why)),
		       -EINVAL, "line 1 column", &before);
	unlink(path);
	free(path);
	path = tmpfile_with("[]", 2);
	cr_assert_not_null(path);
	expect_refused(fc_config_file_load(path, &cfg, why, sizeof(why)),
		       -EINVAL, "expected a JSON object", &before);
	unlink(path);
	free(path);
	config_free(&before);
}

/* --- vfio (ignis's extension, issue 8) ------------------------------ */

#define SYSFS "/sys/bus/pci/devices/"

static void add_vfio(const char *id, const char *path)
{
	char body[256];

	snprintf(body, sizeof(body), "{\"vfio_id\": \"%s\", \"path\": \"%s\"}",
		 id, path);
	cr_assert_eq(APPLY_ARG(fc_vfio_apply, body, id), 0, "%s: %s", id, why);
}

Test(fc_config, vfio_put)
{
	cr_assert_eq(APPLY_ARG(fc_vfio_apply,
			       "{\"vfio_id\": \"nic0\", \"path\": "
			       "\"0000:00:01.0\", \"iommu\": true}",
			       "nic0"),
		     0, "%s", why);
	cr_assert_eq(cfg.nr_vfio, 1);
	cr_expect_str_eq(cfg.vfio[0].vfio_id, "nic0");
	cr_expect_str_eq(cfg.vfio[0].path, SYSFS "0000:00:01.0");
	cr_expect(cfg.vfio[0].iommu);
	/* A sysfs path is kept canonical; iommu defaults to true, null is
	 * absent, false exempts. */
	cr_assert_eq(
		APPLY_ARG(fc_vfio_apply,
			  "{\"vfio_id\": \"gpu\", \"path\": \"/sys/devices/"
			  "pci0000:00/0000:00:1c.0/0000:03:00.0/\", "
			  "\"iommu\": null}",
			  "gpu"),
		0, "%s", why);
	cr_assert_eq(APPLY_ARG(fc_vfio_apply,
			       "{\"vfio_id\": \"x\", \"path\": \"0A:1F.7\", "
			       "\"iommu\": false}",
			       NULL),
		     0, "%s", why);
	cr_assert_eq(cfg.nr_vfio, 3);
	cr_expect_str_eq(cfg.vfio[1].path, SYSFS "0000:03:00.0");
	cr_expect(cfg.vfio[1].iommu);
	cr_expect_str_eq(cfg.vfio[2].path, SYSFS "0000:0a:1f.7");
	cr_expect_not(cfg.vfio[2].iommu);
}

/* A known vfio_id is replaced in its place, and may keep its function;
 * at the limit only a replacement is taken. */
Test(fc_config, vfio_same_id_replaces_and_limit)
{
	struct vm_config before;

	add_vfio("a", "00:01.0");
	add_vfio("b", "00:02.0");
	add_vfio("c", "00:03.0");
	add_vfio("a", "00:04.0");
	add_vfio("b", SYSFS "0000:00:02.0");
	cr_assert_eq(cfg.nr_vfio, 3);
	cr_expect_str_eq(cfg.vfio[0].vfio_id, "a");
	cr_expect_str_eq(cfg.vfio[0].path, SYSFS "0000:00:04.0");
	cr_expect_str_eq(cfg.vfio[1].vfio_id, "b");
	cr_expect_str_eq(cfg.vfio[2].vfio_id, "c");
	/* a let 00:01.0 go: another id may take it. */
	add_vfio("d", "00:01.0");
	cr_assert_eq(cfg.nr_vfio, CONFIG_MAX_VFIO);
	before = snap();
	expect_refused(APPLY_ARG(fc_vfio_apply,
				 "{\"vfio_id\": \"e\", \"path\": \"00:05.0\"}",
				 NULL),
		       -E2BIG, "at most 4 VFIO devices", &before);
	config_free(&before);
	add_vfio("c", "00:05.0");
	cr_expect_str_eq(cfg.vfio[2].path, SYSFS "0000:00:05.0");
}

Test(fc_config, vfio_refusals)
{
	static const struct {
		const char *body, *needle;
	} cases[] = {
		{ "{\"path\": \"00:02.0\"}", "missing field 'vfio_id'" },
		{ "{\"vfio_id\": \"n\"}", "missing field 'path'" },
		{ "{\"vfio_id\": \"n\", \"path\": null}",
		  "missing field 'path'" },
		{ "{\"vfio_id\": \"n\", \"path\": \"00:02.0\", \"bdf\": 1}",
		  "unknown field 'bdf'" },
		{ "{\"vfio_id\": \"n\", \"path\": 2}",
		  "path: expected a string" },
		{ "{\"vfio_id\": \"n\", \"path\": \"00:02.0\", \"iommu\": "
		  "\"off\"}",
		  "iommu: expected" },
		{ "{\"vfio_id\": \"n-1\", \"path\": \"00:02.0\"}",
		  "vfio_id: expected 1 to 64" },
		{ "{\"vfio_id\": \"\", \"path\": \"00:02.0\"}",
		  "vfio_id: expected 1 to 64" },
		{ "{\"vfio_id\": \"n\", \"path\": \"0000:00:20.0\"}",
		  "path: device 20 out of range (at most 1f)" },
		{ "{\"vfio_id\": \"n\", \"path\": \"00:00.8\"}",
		  "path: function 8 out of range" },
		{ "{\"vfio_id\": \"n\", \"path\": \"\"}",
		  "path: expected a PCI address" },
		{ "{\"vfio_id\": \"n\", \"path\": \"0000:00:02.0 \"}",
		  "path: expected a PCI address" },
		{ "{\"vfio_id\": \"n\", \"path\": \"/dev/vfio/12\"}",
		  "path: expected a PCI address" },
		{ "{\"vfio_id\": \"n\", \"path\": \"" SYSFS "00:02.0\"}",
		  "path: the path does not end in a PCI function's name" },
		/* nic0 has it, however it is written */
		{ "{\"vfio_id\": \"n\", \"path\": \"/sys/devices/pci0000:00/"
		  "0000:00:01.0\"}",
		  "path: " SYSFS "0000:00:01.0 is already passed through "
		  "('nic0')" },
	};
	struct vm_config before;

	add_vfio("nic0", "00:01.0");
	before = snap();
	for (unsigned int i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_refused(APPLY_ARG(fc_vfio_apply, cases[i].body, NULL),
			       -EINVAL, cases[i].needle, &before);
	expect_refused(APPLY_ARG(fc_vfio_apply,
				 "{\"vfio_id\": \"a\", \"path\": \"00:02.0\"}",
				 "b"),
		       -EINVAL,
		       "vfio_id: the id from the path does not match the id "
		       "from the body",
		       &before);
	config_free(&before);
}

Test(fc_config, whole_file_vfio)
{
	cr_assert_eq(
		APPLY(fc_config_apply,
		      "{\"boot-source\": {\"kernel_image_path\": \"k\"}, "
		      "\"drives\": [], \"iommu\": {}, \"vfio\": ["
		      "{\"vfio_id\": \"nic0\", \"path\": \"0000:00:01.0\", "
		      "\"iommu\": true}, "
		      "{\"vfio_id\": \"nic1\", \"path\": \"" SYSFS
		      "0000:00:02.0\", \"iommu\": false}, "
		      "{\"vfio_id\": \"nic0\", \"path\": \"00:03.0\"}]}"),
		0, "%s", why);
	cr_assert_eq(cfg.nr_vfio, 2, "the third replaces the first");
	cr_expect_str_eq(cfg.vfio[0].path, SYSFS "0000:00:03.0");
	cr_expect(cfg.vfio[0].iommu);
	cr_expect_str_eq(cfg.vfio[1].vfio_id, "nic1");
	cr_expect_not(cfg.vfio[1].iommu);
	cr_expect(cfg.iommu);
	config_free(&cfg);
	cr_assert_eq(config_init(&cfg), 0);
	cr_assert_eq(APPLY(fc_config_apply,
			   "{\"boot-source\": {\"kernel_image_path\": \"k\"}, "
			   "\"drives\": [], \"vfio\": null}"),
		     0, "%s", why);
	cr_expect_eq(cfg.nr_vfio, 0);
}

Test(fc_config, whole_file_vfio_refusals)
{
	static const struct {
		const char *vfio, *needle;
		int err;
	} cases[] = {
		{ "{}", "vfio: expected an array", -EINVAL },
		{ "[{\"vfio_id\": \"a\", \"path\": \"00:01.0\"}, "
		  "{\"vfio_id\": \"b\", \"path\": \"00:20.0\"}]",
		  "vfio[1].path: device 20 out of range", -EINVAL },
		{ "[{\"vfio_id\": \"a\", \"path\": \"00:01.0\"}, "
		  "{\"vfio_id\": \"b\", \"path\": \"0000:00:01.0\"}]",
		  "vfio[1].path: " SYSFS "0000:00:01.0 is already passed "
		  "through ('a')",
		  -EINVAL },
		{ "[{\"vfio_id\": \"a\", \"path\": \"00:01.0\", \"x\": 1}]",
		  "vfio[0]: unknown field 'x'", -EINVAL },
		{ "[1]", "vfio[0]: expected an object", -EINVAL },
		{ "[{\"vfio_id\": \"a\", \"path\": \"00:01.0\"}, "
		  "{\"vfio_id\": \"b\", \"path\": \"00:02.0\"}, "
		  "{\"vfio_id\": \"c\", \"path\": \"00:03.0\"}, "
		  "{\"vfio_id\": \"d\", \"path\": \"00:04.0\"}, "
		  "{\"vfio_id\": \"e\", \"path\": \"00:05.0\"}]",
		  "vfio[4]: at most 4 VFIO devices", -E2BIG },
	};
	struct vm_config before = snap();

	for (unsigned int i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char text[1024];

		snprintf(text, sizeof(text),
			 "{\"boot-source\": {\"kernel_image_path\": \"k\"}, "
			 "\"drives\": [], \"vfio\": %s}",
			 cases[i].vfio);
		expect_refused(APPLY(fc_config_apply, text), cases[i].err,
			       cases[i].needle, &before);
	}
	config_free(&before);
}

/* The vfio section of GET /vm/config's text (parsed; caller decrefs). */
static json_t *vm_config_vfio(json_t **root)
{
	char *text = fc_api_vm_config(&cfg);
	json_t *a;

	cr_assert_not_null(text);
	*root = parse(text);
	free(text);
	a = json_object_get(*root, "vfio");
	cr_assert(json_is_array(a), "no \"vfio\" array");
	return a;
}

/* GET /vm/config shows "vfio" as the other device arrays ([] when none),
 * and is a config file that gives back the same functions. */
Test(fc_config, vm_config_vfio_round_trip)
{
	struct vm_config back;
	json_t *root, *a;
	char *text;

	cr_assert_eq(
		APPLY(fc_boot_source_apply, "{\"kernel_image_path\": \"k\"}"),
		0, "%s", why);
	a = vm_config_vfio(&root);
	cr_expect_eq(json_array_size(a), 0);
	json_decref(root);
	add_vfio("nic0", "/sys/devices/pci0000:00/0000:00:1c.0/0000:01:00.0");
	cr_assert_eq(APPLY_ARG(fc_vfio_apply,
			       "{\"vfio_id\": \"nic1\", \"path\": \"01:00.1\", "
			       "\"iommu\": false}",
			       NULL),
		     0, "%s", why);
	a = vm_config_vfio(&root);
	cr_assert_eq(json_array_size(a), 2);
	cr_expect_str_eq(json_string_value(
				 json_object_get(json_array_get(a, 0), "path")),
			 SYSFS "0000:01:00.0");
	cr_expect_str_eq(json_string_value(json_object_get(json_array_get(a, 1),
							   "vfio_id")),
			 "nic1");
	cr_expect(
		json_is_false(json_object_get(json_array_get(a, 1), "iommu")));
	json_decref(root);

	text = fc_api_vm_config(&cfg);
	cr_assert_not_null(text);
	cr_expect(strstr(text,
			 ",\"vfio\":[{\"vfio_id\":\"nic0\",\"path\":\"" SYSFS
			 "0000:01:00.0\",\"iommu\":true},"),
		  "%s", text);
	cr_assert_eq(config_init(&back), 0);
	root = parse(text);
	cr_assert_eq(fc_config_apply(&back, root, why, sizeof(why)), 0, "%s",
		     why);
	json_decref(root);
	free(text);
	cr_expect_eq(back.nr_vfio, 2);
	cr_expect(cfg_equal(&back, &cfg), "GET /vm/config is another VM");
	config_free(&back);
}

/* A --vfio without id= is shown named by its place, as a --disk is. */
Test(fc_config, vm_config_vfio_from_the_cli)
{
	json_t *root, *a;

	cfg.vfio[0] = (struct vfio_config){
		.path = strdup(SYSFS "0000:00:05.0"),
		.iommu = true,
	};
	cfg.nr_vfio = 1;
	cr_assert_not_null(cfg.vfio[0].path);
	a = vm_config_vfio(&root);
	cr_assert_eq(json_array_size(a), 1);
	cr_expect_str_eq(json_string_value(json_object_get(json_array_get(a, 0),
							   "vfio_id")),
			 "vfio0");
	json_decref(root);
	/* It holds its function against an API body. */
	expect_refused(
		APPLY_ARG(fc_vfio_apply,
			  "{\"vfio_id\": \"n\", \"path\": \"00:05.0\"}", NULL),
		-EINVAL, SYSFS "0000:00:05.0 is already passed through", NULL);
}

/* PUT /vfio/{id} through the router (fc_api_handle(), no socket): the
 * path's id, Firecracker's 400s, and pre-boot only. */
static int route(struct fc_api *api, const char *method, const char *path,
		 const char *body, char **resp)
{
	int status = 0;

	fc_api_handle(api, method, path, body, body ? strlen(body) : 0, &status,
		      resp);
	return status;
}

/* (method) (path) (body) answers (status) with (needle) in its body
 * (NULL: no body). */
static void expect_route(struct fc_api *api, const char *method,
			 const char *path, const char *body, int status,
			 const char *needle)
{
	char *resp = NULL;
	int got = route(api, method, path, body, &resp);

	cr_expect_eq(got, status, "%s %s: %d %s", method, path, got,
		     resp ? resp : "");
	if (needle)
		cr_expect(resp && strstr(resp, needle), "%s %s: %s lacks %s",
			  method, path, resp ? resp : "(none)", needle);
	else
		cr_expect_null(resp, "%s %s: %s", method, path, resp);
	free(resp);
}

Test(fc_config, vfio_route)
{
	struct fc_api api = { .cfg = &cfg };
	struct vm_config before;

	expect_route(&api, "PUT", "/vfio/nic0",
		     "{\"vfio_id\": \"nic0\", \"path\": \"0000:00:01.0\", "
		     "\"iommu\": true}",
		     204, NULL);
	cr_assert_eq(cfg.nr_vfio, 1);
	expect_route(&api, "PUT", "/vfio/nic0/",
		     "{\"vfio_id\": \"nic0\", \"path\": \"00:02.0\"}", 204,
		     NULL);
	cr_expect_str_eq(cfg.vfio[0].path, SYSFS "0000:00:02.0",
			 "replaced in place");
	expect_route(&api, "GET", "/vm/config", NULL, 200,
		     ",\"vfio\":[{\"vfio_id\":\"nic0\",\"path\":\"" SYSFS
		     "0000:00:02.0\",\"iommu\":true}]}");
	before = snap();
	expect_route(&api, "PUT", "/vfio/nic1",
		     "{\"vfio_id\": \"nic0\", \"path\": \"00:03.0\"}", 400,
		     "{\"fault_message\":\"vfio_id: the id from the path does "
		     "not match the id from the body\"}");
	expect_route(&api, "PUT", "/vfio", "{\"vfio_id\": \"a\"}", 400,
		     "The ID cannot be empty.");
	expect_route(&api, "PUT", "/vfio/a-b",
		     "{\"vfio_id\": \"a-b\", \"path\": \"00:03.0\"}", 400,
		     "alphanumeric characters and underscores");
	expect_route(&api, "PUT", "/vfio/a/b",
		     "{\"vfio_id\": \"a\", \"path\": \"00:03.0\"}", 400,
		     "Invalid request method and/or path: PUT vfio.");
	expect_route(&api, "PUT", "/vfio/a",
		     "{\"vfio_id\": \"a\", \"path\": \"00:03.0\", \"bar\": 0}",
		     400, "unknown field 'bar'");
	expect_route(&api, "PUT", "/vfio/a",
		     "{\"vfio_id\": \"a\", \"path\": \"0000:00:20.0\"}", 400,
		     "path: device 20 out of range");
	expect_route(&api, "PATCH", "/vfio/a",
		     "{\"vfio_id\": \"a\", \"path\": \"00:03.0\"}", 400,
		     "Invalid request method and/or path: PATCH vfio.");
	cr_expect(cfg_equal(&cfg, &before), "a refusal changed the config");
	/* After InstanceStart: a good body is refused as Firecracker
	 * refuses its pre-boot-only resources; a bad one keeps its own
	 * reason. */
	api.running = true;
	expect_route(&api, "PUT", "/vfio/a",
		     "{\"vfio_id\": \"a\", \"path\": \"00:03.0\"}", 400,
		     FC_MSG_POST_BOOT);
	expect_route(&api, "PUT", "/vfio/nic0",
		     "{\"vfio_id\": \"nic0\", \"path\": \"00:04.0\"}", 400,
		     FC_MSG_POST_BOOT);
	expect_route(&api, "PUT", "/vfio/a",
		     "{\"vfio_id\": \"a\", \"path\": \"00:00.8\"}", 400,
		     "path: function 8 out of range");
	cr_expect(cfg_equal(&cfg, &before), "changed after InstanceStart");
	config_free(&before);
}
