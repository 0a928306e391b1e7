// SPDX-License-Identifier: Apache-2.0
/* tests/vmm/test_cli.c: the option parser over module-owned tables. */
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "support/tmpfile.h"
#include "vmm/builder.h"
#include "vmm/cli.h"
#include "vmm/config.h"

static struct vm_config cfg;
static int disk_count;
static char last_disk[64];

/* A module the parser has never heard of: a repeatable flag and a switch,
 * declared the way a device would declare its own. */
static int set_disk(struct vm_config *c, const char *v, char *why,
		    size_t len)
{
	if (!strcmp(v, "bad")) {
		snprintf(why, len, "no such disk");
		return -ENOENT;
	}
	disk_count++;
	snprintf(last_disk, sizeof(last_disk), "%s", v);
	return 0;
}

static int quiet;

static int set_quiet(struct vm_config *c, const char *v, char *why,
		     size_t len)
{
	quiet = 1;
	return 0;
}

static const struct cli_option disk_options[] = {
	{ "disk", "PATH", "a disk", true, set_disk },
	{ "quiet", NULL, "a switch", false, set_quiet },
};
static const struct cli_group disk_group = { "Disks", disk_options, 2 };
static const struct cli_group *const groups[] = {
	&config_cli_group, &disk_group, NULL,
};

static void setup(void)
{
	cr_redirect_stderr();
	cr_redirect_stdout();
	cr_assert_eq(config_init(&cfg), 0);
	disk_count = 0;
	quiet = 0;
}

static void teardown(void)
{
	config_free(&cfg);
}

TestSuite(cli, .init = setup, .fini = teardown);

#define PARSE(...)                                                        \
	({                                                                \
		char *argv[] = { "ignis", __VA_ARGS__ };                   \
		cli_parse(sizeof(argv) / sizeof(argv[0]), argv, groups,   \
			  &cfg);                                          \
	})

Test(cli, defaults)
{
	cr_assert_eq(PARSE("--kernel", "k"), CLI_RUN);
	cr_assert_str_eq(cfg.kernel_path, "k");
	cr_assert_null(cfg.initrd_path);
	cr_assert_str_eq(cfg.cmdline, "console=ttyS0");
	cr_assert_eq(cfg.nr_cpus, 1);
	cr_assert_eq(cfg.mem_size, 128ULL << 20);
}

Test(cli, every_machine_option_both_spellings)
{
	cr_assert_eq(PARSE("--kernel=k", "--initrd", "i", "--cmdline=a=b c",
			   "--cpus", "4", "--memory=1G"),
		     CLI_RUN);
	cr_assert_str_eq(cfg.kernel_path, "k");
	cr_assert_str_eq(cfg.initrd_path, "i");
	cr_assert_str_eq(cfg.cmdline, "a=b c");
	cr_assert_eq(cfg.nr_cpus, 4);
	cr_assert_eq(cfg.mem_size, 1ULL << 30);
}

Test(cli, empty_cmdline_is_allowed)
{
	cr_assert_eq(PARSE("--cmdline", ""), CLI_RUN);
	cr_assert_str_eq(cfg.cmdline, "");
}

Test(cli, module_options_without_touching_the_parser)
{
	cr_assert_eq(PARSE("--disk", "a", "--quiet", "--disk=b"), CLI_RUN);
	cr_assert_eq(disk_count, 2);
	cr_assert_str_eq(last_disk, "b");
	cr_assert_eq(quiet, 1);
}

Test(cli, module_error_is_reported)
{
	cr_assert_eq(PARSE("--disk", "bad"), -EINVAL);
	fflush(stderr);
	cr_assert_stderr_eq_str("ignis: --disk bad: no such disk\n");
}

Test(cli, bad_usage)
{
	cr_assert_eq(PARSE("--nope"), -EINVAL);
	cr_assert_eq(PARSE("--kernel"), -EINVAL);
	cr_assert_eq(PARSE("--kernel", "a", "--kernel", "b"), -EINVAL);
	cr_assert_eq(PARSE("--quiet=1"), -EINVAL);
	cr_assert_eq(PARSE("kernel"), -EINVAL);
	cr_assert_eq(PARSE("-"), -EINVAL);
	cr_assert_eq(PARSE("--"), -EINVAL);
	cr_assert_eq(PARSE("--cpus", "0"), -EINVAL);
	cr_assert_eq(PARSE("--cpus", "255"), -EINVAL);
	cr_assert_eq(PARSE("--cpus", "two"), -EINVAL);
	cr_assert_eq(PARSE("--memory", "0"), -EINVAL);
	cr_assert_eq(PARSE("--memory", "1M"), -EINVAL);
	cr_assert_eq(PARSE("--memory", "12Q"), -EINVAL);
	cr_assert_eq(PARSE("--memory", "4097K"), -EINVAL);
	cr_assert_eq(PARSE("--kernel="), -EINVAL);
}

Test(cli, unknown_option_message)
{
	cr_assert_eq(PARSE("--frobnicate=3"), -EINVAL);
	fflush(stderr);
	cr_assert_stderr_eq_str(
		"ignis: unknown option '--frobnicate' (try --help)\n");
}

Test(cli, help_lists_every_group)
{
	char buf[4096] = "";

	cr_assert_eq(PARSE("--help"), CLI_DONE);
	fflush(stdout);
	fread(buf, 1, sizeof(buf) - 1, cr_get_redirected_stdout());
	cr_assert(strstr(buf, "--kernel PATH"));
	cr_assert(strstr(buf, "--memory SIZE"));
	cr_assert(strstr(buf, "--disk PATH"));
	cr_assert(strstr(buf, "--quiet "));
	cr_assert(strstr(buf, "Disks:"));
}

Test(cli, version)
{
	cr_assert_eq(PARSE("-V"), CLI_DONE);
	fflush(stdout);
	cr_assert_stdout_eq_str("ignis " IGNIS_VERSION "\n");
}

Test(cli, builder_lists_the_machine_group)
{
	cr_assert_eq(builder_cli_groups[0], &config_cli_group);
}

/* --- --vfio (issue 8) ---------------------------------------------- */

#define SYSFS "/sys/bus/pci/devices/"

/* Through the real groups, as ignis parses its arguments. */
#define PARSE_ALL(...)                                          \
	({                                                      \
		char *argv[] = { "ignis", __VA_ARGS__ };        \
		cli_parse(sizeof(argv) / sizeof(argv[0]), argv, \
			  builder_cli_groups, &cfg);            \
	})

/* What config_vfio_path_parse() makes of (in): 0 and the path in (out),
 * or the error and its reason in (out). */
static int vfio_name(const char *in, char *out, size_t size)
{
	char path[CONFIG_VFIO_PATH_SIZE], why[160] = "";
	int err =
		config_vfio_path_parse(in, strlen(in), path, why, sizeof(why));

	snprintf(out, size, "%s", err ? why : path);
	return err;
}

/* Everything the test wrote to stderr so far. */
static const char *stderr_text(void)
{
	static char buf[8192];
	size_t n;

	fflush(stderr);
	n = fread(buf, 1, sizeof(buf) - 1, cr_get_redirected_stderr());
	buf[n] = '\0';
	return buf;
}

Test(cli, vfio_names_become_the_sysfs_directory)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "0000:00:01.0", SYSFS "0000:00:01.0" },
		{ "00:1f.7", SYSFS "0000:00:1f.7" }, /* domain 0000 */
		{ "FFFF:Ab:1F.0", SYSFS "ffff:ab:1f.0" }, /* sysfs's case */
		{ "0001:ff:00.3", SYSFS "0001:ff:00.3" },
		{ SYSFS "0000:01:00.0", SYSFS "0000:01:00.0" },
		{ SYSFS "0000:01:00.1///", SYSFS "0000:01:00.1" },
		{ "/sys/devices/pci0000:00/0000:00:03.0",
		  SYSFS "0000:00:03.0" },
		{ "/sys/devices/pci0000:00/0000:00:1c.0/0000:02:00.0/",
		  SYSFS "0000:02:00.0" }, /* behind a bridge */
	};
	char out[160];

	for (unsigned int i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cr_expect_eq(vfio_name(cases[i].in, out, sizeof(out)), 0,
			     "%s: %s", cases[i].in, out);
		cr_expect_str_eq(out, cases[i].out, "%s", cases[i].in);
	}
	cr_expect_eq(strlen(SYSFS "0000:00:00.0") + 1, CONFIG_VFIO_PATH_SIZE);
}

Test(cli, vfio_bad_names)
{
	static const struct {
		const char *in, *why;
	} cases[] = {
		{ "0000:00:20.0", "device 20 out of range (at most 1f)" },
		{ "00:00.8", "function 8 out of range (at most 7)" },
		{ "00:00.f", "function f out of range" },
		{ "0000:00:01.0x", "expected a PCI address" }, /* junk */
		{ "0000:00:01.0 ", "expected a PCI address" },
		{ "0000:00:01.0/", "expected a PCI address" },
		{ "", "expected a PCI address" },
		{ "0:0:1.0", "expected a PCI address" }, /* widths */
		{ "0000:0:01.0", "expected a PCI address" },
		{ "0000:00:01", "expected a PCI address" },
		{ "0000:00:01.", "expected a PCI address" },
		{ "0000-00:01.0", "expected a PCI address" },
		{ "0000:00:01:0", "expected a PCI address" },
		{ "000g:00:01.0", "expected a PCI address" }, /* hex */
		{ "+0:00:01.0", "expected a PCI address" },
		{ "eth0", "expected a PCI address" },
		{ "sys/bus/pci/devices/0000:00:01.0",
		  "expected a PCI address" },
		{ SYSFS, "expected a PCI address" },
		{ "/", "expected a PCI address" },
		{ "/sys/bus/pci/drivers/vfio-pci/0000:00:01.0",
		  "expected a PCI address" },
		{ SYSFS "00:01.0", "does not end in a PCI function's name" },
		{ SYSFS "0000:00:01.0x", "does not end in a PCI function's" },
		{ SYSFS "0000:00:20.0", "device 20 out of range" },
		{ SYSFS "0000:00:01.0/driver", "no PCI function's directory" },
		{ SYSFS "/0000:00:01.0", "empty, '.' or '..' component" },
		{ "/sys/devices/0000:00:01.0", "no PCI function's directory" },
		{ "/sys/devices/pci0000:00/../0000:00:01.0", "'..' component" },
		{ "/sys/devices/pci0000:00/./0000:00:01.0", "'.' or" },
		{ "/sys/devices/pci0000:00//0000:00:01.0", "empty, '.'" },
		{ "/sys/devices/pci0000:00/0000:00:01.0/net",
		  "does not end in a PCI function's name" },
	};
	char out[160];

	for (unsigned int i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cr_expect_eq(vfio_name(cases[i].in, out, sizeof(out)), -EINVAL,
			     "accepted '%s' as %s", cases[i].in, out);
		cr_expect(strstr(out, cases[i].why), "'%s': '%s' lacks '%s'",
			  cases[i].in, out, cases[i].why);
	}
	/* A NUL inside the given length is not part of any name. */
	cr_expect_eq(config_vfio_path_parse("00:01.0\0", 8,
					    (char[CONFIG_VFIO_PATH_SIZE]){ 0 },
					    out, sizeof(out)),
		     -EINVAL);
}

Test(cli, vfio_items)
{
	cr_assert_eq(PARSE_ALL("--kernel", "k", "--vfio", "0000:00:01.0",
			       "--vfio=" SYSFS
			       "0000:01:00.0/,id=nic0,iommu=off",
			       "--vfio", "02:00.1,iommu=on,id=Gpu_1"),
		     CLI_RUN);
	cr_assert_eq(cfg.nr_vfio, 3);
	cr_expect_str_eq(cfg.vfio[0].path, SYSFS "0000:00:01.0");
	cr_expect_null(cfg.vfio[0].vfio_id, "no id= is no id");
	cr_expect(cfg.vfio[0].iommu, "behind --iommu unless said otherwise");
	cr_expect_str_eq(cfg.vfio[1].path, SYSFS "0000:01:00.0");
	cr_expect_str_eq(cfg.vfio[1].vfio_id, "nic0");
	cr_expect_not(cfg.vfio[1].iommu);
	cr_expect_str_eq(cfg.vfio[2].path, SYSFS "0000:02:00.1");
	cr_expect_str_eq(cfg.vfio[2].vfio_id, "Gpu_1");
	cr_expect(cfg.vfio[2].iommu);
	cr_expect_not(config_is_default(&cfg));
	cr_expect_str_empty(stderr_text());
}

Test(cli, vfio_refusals)
{
	static const struct {
		const char *arg, *why;
	} cases[] = {
		{ "0000:00:20.0",
		  "--vfio 0000:00:20.0: device 20 out of range" },
		{ "00:00.8", "--vfio 00:00.8: function 8 out of range" },
		{ "0000:00:01.0x", "--vfio 0000:00:01.0x: expected a PCI" },
		{ "", "--vfio : expected a PCI address" },
		{ "0000:00:01.0,", "expected PATH|BDF[,id=ID][,iommu=off]" },
		{ "0000:00:01.0,,id=a", "expected PATH|BDF" },
		{ "0000:00:01.0,id=a,id=b", "unknown or repeated item 'id'" },
		{ "0000:00:01.0,iommu=off,iommu=on", "repeated item 'iommu'" },
		{ "0000:00:01.0,iommu=no", "unknown or repeated item 'iommu'" },
		{ "0000:00:01.0,colour=red",
		  "unknown or repeated item 'colour'" },
		{ "0000:00:01.0,path=/x", "unknown or repeated item 'path'" },
		{ "0000:00:01.0,id", "expected PATH|BDF" },
		{ "0000:00:01.0,id=", "expected PATH|BDF" },
		{ "0000:00:01.0,id=bad-id", "id is 1 to 64 characters" },
		{ "0000:00:01.0,id=0123456789012345678901234567890123456789"
		  "012345678901234567890123"
		  "4", /* 65 */
		  "id is 1 to 64 characters" },
		{ "id=nic0,0000:00:01.0", "expected a PCI address" },
	};
	const char *err;

	for (unsigned int i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		config_free(&cfg);
		cr_assert_eq(config_init(&cfg), 0);
		cr_expect_eq(PARSE_ALL("--vfio", (char *)cases[i].arg), -EINVAL,
			     "accepted %s", cases[i].arg);
		cr_expect_eq(cfg.nr_vfio, 0, "%s", cases[i].arg);
	}
	err = stderr_text();
	for (unsigned int i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		cr_expect(strstr(err, cases[i].why), "no '%s' in:\n%s",
			  cases[i].why, err);
}

Test(cli, vfio_exact_message)
{
	cr_assert_eq(PARSE_ALL("--vfio", "0000:00:20.0"), -EINVAL);
	cr_assert_str_eq(stderr_text(), "ignis: --vfio 0000:00:20.0: device "
					"20 out of range (at most 1f)\n");
}

/* The 64-character id is the longest. */
Test(cli, vfio_longest_id)
{
	char arg[96];

	snprintf(arg, sizeof(arg), "00:01.0,id=%064d", 7);
	cr_assert_eq(PARSE_ALL("--vfio", arg), CLI_RUN, "%s", stderr_text());
	cr_expect_eq(strlen(cfg.vfio[0].vfio_id), CONFIG_VFIO_ID_MAX);
}

Test(cli, vfio_limit)
{
	cr_assert_eq(PARSE_ALL("--vfio", "00:01.0", "--vfio", "00:02.0",
			       "--vfio", "00:03.0", "--vfio", "00:04.0",
			       "--vfio", "00:05.0"),
		     -EINVAL);
	cr_expect_eq(cfg.nr_vfio, CONFIG_MAX_VFIO);
	cr_expect(strstr(stderr_text(), "--vfio 00:05.0: at most 4 VFIO "
					"devices"));
}

/* One function once, however it is written; one id once. */
Test(cli, vfio_duplicates)
{
	cr_assert_eq(PARSE_ALL("--vfio", "00:01.0", "--vfio",
			       "/sys/devices/pci0000:00/0000:00:01.0/"),
		     -EINVAL);
	cr_expect_eq(cfg.nr_vfio, 1);
	cr_expect(strstr(stderr_text(), ": " SYSFS "0000:00:01.0 is already "
					"passed through"));
	config_free(&cfg);
	cr_assert_eq(config_init(&cfg), 0);
	cr_assert_eq(
		PARSE_ALL("--vfio", "00:01.0,id=a", "--vfio", "00:02.0,id=a"),
		-EINVAL);
	cr_expect_eq(cfg.nr_vfio, 1);
	cr_expect(strstr(stderr_text(), "id 'a' is already in use"));
	config_free(&cfg);
	cr_assert_eq(config_init(&cfg), 0);
	cr_expect_eq(PARSE_ALL("--vfio", "00:01.0", "--vfio", "00:01.1",
			       "--vfio", "0001:00:01.0"),
		     CLI_RUN, "other functions, other domains");
}

/* The file or the flags: --vfio neither after nor before --config-file. */
Test(cli, vfio_and_config_file)
{
	static const char text[] =
		"{\"boot-source\": {\"kernel_image_path\": \"k\"}, "
		"\"drives\": []}";
	char *path = tmpfile_with(text, strlen(text));

	cr_assert_not_null(path);
	cr_expect_eq(PARSE_ALL("--config-file", path, "--vfio", "00:01.0"),
		     -EINVAL);
	cr_expect_eq(cfg.nr_vfio, 0);
	config_free(&cfg);
	cr_assert_eq(config_init(&cfg), 0);
	cr_expect_eq(PARSE_ALL("--vfio", "00:01.0", "--config-file", path),
		     -EINVAL);
	cr_expect_null(cfg.kernel_path, "the file was not applied");
	cr_expect(strstr(stderr_text(),
			 "--vfio 00:01.0: give either --config-file or the "
			 "machine and device flags, not both"));
	unlink(path);
	free(path);
}

Test(cli, vfio_help_and_group)
{
	char buf[16384] = "";
	bool listed = false;

	for (unsigned int g = 0; builder_cli_groups[g]; g++)
		listed |= builder_cli_groups[g] == &config_vfio_cli_group;
	cr_expect(listed, "the builder does not list --vfio's group");
	cr_assert_eq(PARSE_ALL("--help"), CLI_DONE);
	fflush(stdout);
	fread(buf, 1, sizeof(buf) - 1, cr_get_redirected_stdout());
	cr_expect(strstr(buf, "VFIO passthrough:\n"));
	cr_expect(strstr(buf, "--vfio PATH|BDF[,id=ID][,iommu=off]"));
	cr_expect(strstr(buf, "bound to vfio-pci"));
	cr_expect(strstr(buf, "without --iommu"));
	cr_expect(strstr(buf, "pinned"));
}

/* config_copy() gives the copy its own strings; config_free() frees
 * them (ASan tells). */
Test(cli, vfio_copy_is_deep)
{
	struct vm_config c;

	cr_assert_eq(PARSE_ALL("--vfio", "00:01.0,id=a,iommu=off", "--vfio",
			       "00:02.0"),
		     CLI_RUN);
	cr_assert_eq(config_copy(&c, &cfg), 0);
	cr_assert_eq(c.nr_vfio, 2);
	cr_expect_str_eq(c.vfio[0].path, cfg.vfio[0].path);
	cr_expect_neq(c.vfio[0].path, cfg.vfio[0].path);
	cr_expect_str_eq(c.vfio[0].vfio_id, "a");
	cr_expect_neq(c.vfio[0].vfio_id, cfg.vfio[0].vfio_id);
	cr_expect_not(c.vfio[0].iommu);
	cr_expect_null(c.vfio[1].vfio_id);
	config_free(&c);
}
