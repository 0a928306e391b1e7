// SPDX-License-Identifier: Apache-2.0
/* tests/vmm/test_cli.c: the option parser over module-owned tables. */
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <errno.h>
#include <string.h>

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
