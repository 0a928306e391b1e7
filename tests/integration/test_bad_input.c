// SPDX-License-Identifier: Apache-2.0
/* tests/integration/test_bad_input.c: bad arguments and files fail cleanly. */
#include <criterion/criterion.h>
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "run.h"
#include "support/tmpfile.h"

#define HELLO		GUEST_DIR "/hello"
#define BZIMAGE		GUEST_DIR "/bootinfo64.bzImage"
#define MISSING		"/nonexistent/ignis-test-file"

/* Exit statuses from ignis's contract. */
#define EXIT_ERROR	1
#define EXIT_USAGE	2

TestSuite(bad_input, .timeout = 60);

/*
 * Runs ignis with (args) and expects exit status (code), no signal, and
 * exactly one non-empty line "ignis: <message>" on stderr.
 */
static void expect_error(int code, const char *const args[])
{
	const size_t prefix = strlen("ignis: ");
	struct run_result r;

	cr_assert_eq(run_ignis(args, &r), 0, "cannot start " IGNIS_BIN);
	cr_assert(!r.timed_out, "ignis still running after %d ms\nstderr:\n%s",
		  RUN_TIMEOUT_MS, r.err);
	cr_assert(WIFEXITED(r.status), "ignis killed by signal %d\nstderr:\n%s",
		  WTERMSIG(r.status), r.err);
	cr_expect_eq(WEXITSTATUS(r.status), code,
		     "exit status %d, want %d\nstderr:\n%s\nstdout:\n%s",
		     WEXITSTATUS(r.status), code, r.err, r.out);
	cr_expect_eq(run_count_lines(r.err), 1,
		     "want one line on stderr, got:\n%s", r.err);
	cr_expect(r.err_len > prefix + 1 &&
		  !strncmp(r.err, "ignis: ", prefix) &&
		  r.err[prefix] != '\n' && r.err[r.err_len - 1] == '\n',
		  "stderr is not one \"ignis: <message>\" line:\n%s", r.err);
	run_result_free(&r);
}

static unsigned char *read_whole(const char *path, size_t *len)
{
	unsigned char *buf = NULL;
	FILE *f = fopen(path, "rb");
	long n;

	cr_assert_not_null(f, "cannot open %s", path);
	if (!fseek(f, 0, SEEK_END) && (n = ftell(f)) > 0 &&
	    !fseek(f, 0, SEEK_SET)) {
		buf = malloc((size_t)n);
		if (buf && fread(buf, 1, (size_t)n, f) == (size_t)n)
			*len = (size_t)n;
		else
			free(buf), buf = NULL;
	}
	fclose(f);
	cr_assert_not_null(buf, "cannot read %s", path);
	return buf;
}

/* Expects (code) for --kernel (data, len) written to a file, plus (extra)
 * arguments (NULL-terminated, up to 4). */
static void expect_kernel_error(int code, const void *data, size_t len,
				const char *const extra[])
{
	const char *args[8] = { "--kernel" };
	char *path = tmpfile_with(data, len);
	unsigned int i;

	cr_assert_not_null(path, "cannot write a scratch kernel");
	args[1] = path;
	for (i = 0; extra && extra[i] && i < 4; i++)
		args[2 + i] = extra[i];
	expect_error(code, args);
	unlink(path);
	free(path);
}

Test(bad_input, no_arguments)
{
	const char *const args[] = { NULL };

	expect_error(EXIT_USAGE, args);
}

Test(bad_input, unknown_flag)
{
	const char *const args[] = { "--kernel", HELLO, "--frobnicate", NULL };

	expect_error(EXIT_USAGE, args);
}

Test(bad_input, missing_kernel_flag)
{
	const char *const args[] = { "--memory", "64M", NULL };

	expect_error(EXIT_USAGE, args);
}

Test(bad_input, missing_option_value)
{
	const char *const args[] = { "--kernel", HELLO, "--memory", NULL };

	expect_error(EXIT_USAGE, args);
}

Test(bad_input, memory_zero)
{
	const char *const args[] = { "--kernel", HELLO, "--memory", "0", NULL };

	expect_error(EXIT_USAGE, args);
}

Test(bad_input, memory_bad_suffix)
{
	const char *const args[] = { "--kernel", HELLO, "--memory", "12Q",
				     NULL };

	expect_error(EXIT_USAGE, args);
}

Test(bad_input, memory_negative)
{
	const char *const args[] = { "--kernel", HELLO, "--memory", "-5M",
				     NULL };

	expect_error(EXIT_USAGE, args);
}

Test(bad_input, memory_overflows_u64)
{
	const char *const args[] = { "--kernel", HELLO, "--memory",
				     "99999999999999999999", NULL };

	expect_error(EXIT_USAGE, args);
}

/* Well-formed, but more than this (or any test) host has. */
Test(bad_input, memory_beyond_host)
{
	const char *const args[] = { "--kernel", HELLO, "--memory", "64T",
				     NULL };

	expect_error(EXIT_ERROR, args);
}

Test(bad_input, cpus_zero)
{
	const char *const args[] = { "--kernel", HELLO, "--cpus", "0", NULL };

	expect_error(EXIT_USAGE, args);
}

Test(bad_input, cpus_not_a_number)
{
	const char *const args[] = { "--kernel", HELLO, "--cpus", "abc", NULL };

	expect_error(EXIT_USAGE, args);
}

/* Above what any x86 machine can have (254 xAPIC IDs): a usage error. */
Test(bad_input, cpus_above_architecture_limit)
{
	const char *const args[] = { "--kernel", HELLO, "--cpus", "9999",
				     NULL };

	expect_error(EXIT_USAGE, args);
}

/* Possible on x86, but more than this host's KVM or the MP table allow
 * (the MP table fits 37): a runtime error, found when the VM is built. */
Test(bad_input, cpus_above_host_limit)
{
	const char *const args[] = { "--kernel", HELLO, "--cpus", "200",
				     NULL };

	expect_error(EXIT_ERROR, args);
}

Test(bad_input, kernel_missing)
{
	const char *const args[] = { "--kernel", MISSING, NULL };

	expect_error(EXIT_ERROR, args);
}

Test(bad_input, kernel_is_directory)
{
	const char *const args[] = { "--kernel", GUEST_DIR, NULL };

	expect_error(EXIT_ERROR, args);
}

Test(bad_input, kernel_empty)
{
	expect_kernel_error(EXIT_ERROR, "", 0, NULL);
}

Test(bad_input, kernel_text_file)
{
	static const char text[] = "#!/bin/sh\necho this is not a kernel\n";

	expect_kernel_error(EXIT_ERROR, text, sizeof(text) - 1, NULL);
}

Test(bad_input, kernel_truncated_elf)
{
	size_t len;
	unsigned char *elf = read_whole(HELLO, &len);

	expect_kernel_error(EXIT_ERROR, elf, 40, NULL);
	free(elf);
}

Test(bad_input, kernel_for_other_machine)
{
	size_t len;
	unsigned char *elf = read_whole(HELLO, &len);
	Elf64_Half machine = EM_AARCH64;

	memcpy(elf + offsetof(Elf64_Ehdr, e_machine), &machine,
	       sizeof(machine));
	expect_kernel_error(EXIT_ERROR, elf, len, NULL);
	free(elf);
}

/* hello with its data segment grown (as bss) past the end of 64 MiB. */
Test(bad_input, kernel_larger_than_memory)
{
	const char *const extra[] = { "--memory", "64M", NULL };
	size_t len;
	unsigned char *elf = read_whole(HELLO, &len);
	Elf64_Ehdr eh;
	Elf64_Phdr ph;
	long last = -1;
	unsigned int i;

	memcpy(&eh, elf, sizeof(eh));
	for (i = 0; i < eh.e_phnum; i++) {
		memcpy(&ph, elf + eh.e_phoff + i * sizeof(ph), sizeof(ph));
		if (ph.p_type == PT_LOAD)
			last = (long)i;
	}
	cr_assert_geq(last, 0, "hello has no PT_LOAD");
	memcpy(&ph, elf + eh.e_phoff + (size_t)last * sizeof(ph), sizeof(ph));
	ph.p_memsz = 256ULL << 20;
	memcpy(elf + eh.e_phoff + (size_t)last * sizeof(ph), &ph, sizeof(ph));
	expect_kernel_error(EXIT_ERROR, elf, len, extra);
	free(elf);
}

Test(bad_input, initrd_missing)
{
	const char *const args[] = { "--kernel", HELLO, "--initrd", MISSING,
				     NULL };

	expect_error(EXIT_ERROR, args);
}

/* A sparse 100 MiB initrd for a 64 MiB guest. */
Test(bad_input, initrd_larger_than_memory)
{
	char path[] = "/tmp/ignis-test-initrd-XXXXXX";
	const char *const args[] = { "--kernel", HELLO, "--memory", "64M",
				     "--initrd", path, NULL };
	int fd = mkstemp(path);

	cr_assert_geq(fd, 0, "mkstemp");
	cr_assert_eq(ftruncate(fd, 100 << 20), 0, "ftruncate");
	close(fd);
	expect_error(EXIT_ERROR, args);
	unlink(path);
}

Test(bad_input, disk_missing)
{
	const char *const args[] = { "--kernel", HELLO, "--disk",
				     "path=" MISSING, NULL };

	expect_error(EXIT_ERROR, args);
}

Test(bad_input, disk_is_directory)
{
	const char *const args[] = { "--kernel", HELLO, "--disk",
				     "path=" GUEST_DIR ",readonly=on", NULL };

	expect_error(EXIT_ERROR, args);
}

Test(bad_input, disk_empty_image)
{
	char *img = tmpfile_with("", 0);
	char disk[256];
	const char *const args[] = { "--kernel", HELLO, "--disk", disk, NULL };

	cr_assert_not_null(img);
	snprintf(disk, sizeof(disk), "path=%s", img);
	expect_error(EXIT_ERROR, args);
	unlink(img);
	free(img);
}

Test(bad_input, disk_bad_items)
{
	const char *const no_path[] = { "--kernel", HELLO, "--disk",
					"readonly=on", NULL };
	const char *const bad_switch[] = { "--kernel", HELLO, "--disk",
					   "path=/x,readonly=maybe", NULL };

	expect_error(EXIT_USAGE, no_path);
	expect_error(EXIT_USAGE, bad_switch);
}

/* More devices than virtio-mmio slots. */
Test(bad_input, too_many_devices)
{
	static const char sector[512];
	char *img = tmpfile_with(sector, sizeof(sector));
	char disk[256];
	const char *args[24] = { "--kernel", HELLO, "--rng" };
	unsigned int n = 3;

	cr_assert_not_null(img);
	snprintf(disk, sizeof(disk), "path=%s,readonly=on", img);
	for (unsigned int i = 0; i < 8; i++) {
		args[n++] = "--disk";
		args[n++] = disk;
	}
	args[n] = NULL;
	expect_error(EXIT_ERROR, args);
	unlink(img);
	free(img);
}

Test(bad_input, net_tap_name_too_long)
{
	const char *const args[] = { "--kernel", HELLO, "--net",
				     "tap=abcdefghijklmnopq", NULL };

	expect_error(EXIT_USAGE, args);
}

/* Longer than a PVH kernel's 2048-byte command line. */
Test(bad_input, cmdline_too_long_pvh)
{
	static char cmdline[5001];
	const char *const args[] = { "--kernel", HELLO, "--cmdline", cmdline,
				     NULL };

	memset(cmdline, 'a', sizeof(cmdline) - 1);
	expect_error(EXIT_ERROR, args);
}

/* One byte over the bzImage's cmdline_size (2047). */
Test(bad_input, cmdline_too_long_bzimage)
{
	static char cmdline[2049];
	const char *const args[] = { "--kernel", BZIMAGE, "--cmdline", cmdline,
				     NULL };

	memset(cmdline, 'a', sizeof(cmdline) - 1);
	expect_error(EXIT_ERROR, args);
}

Test(bad_input, help_prints_usage)
{
	const char *const args[] = { "--help", NULL };
	struct run_result r;

	cr_assert_eq(run_ignis(args, &r), 0);
	cr_assert(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0,
		  "--help: status %#x\nstderr:\n%s", r.status, r.err);
	cr_expect(strcasestr(r.out, "usage") && strstr(r.out, "--kernel"),
		  "no usage on stdout:\n%s", r.out);
	run_result_free(&r);
}

Test(bad_input, version_prints_version)
{
	const char *const args[] = { "--version", NULL };
	struct run_result r;

	cr_assert_eq(run_ignis(args, &r), 0);
	cr_assert(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0,
		  "--version: status %#x\nstderr:\n%s", r.status, r.err);
	cr_expect_not_null(strstr(r.out, IGNIS_VERSION), "stdout:\n%s", r.out);
	run_result_free(&r);
}

/* --iommu with nothing to put behind it: no device, or each exempt. */
Test(bad_input, iommu_without_endpoints)
{
	const char *const alone[] = { "--kernel", GUEST_DIR "/virtio_rng",
				      "--iommu", NULL };
	const char *const exempt[] = { "--kernel", GUEST_DIR "/virtio_rng",
				       "--rng=iommu=off", "--iommu", NULL };

	expect_error(EXIT_ERROR, alone);
	expect_error(EXIT_ERROR, exempt);
}

/* --config-file FILE (a Firecracker-format file): what is wrong with the
 * file is bad usage, one line, exit 2; (text) is written to a scratch
 * file, followed by (extra) arguments (NULL-terminated, up to 4). */
static void expect_config_error(int code, const char *text,
				const char *const extra[])
{
	const char *args[8] = { "--config-file" };
	char *path = tmpfile_with(text, strlen(text));
	unsigned int i;

	cr_assert_not_null(path, "cannot write a scratch config file");
	args[1] = path;
	for (i = 0; extra && extra[i] && i < 4; i++)
		args[2 + i] = extra[i];
	expect_error(code, args);
	unlink(path);
	free(path);
}

#define CONFIG_OK							\
	"{\"boot-source\": {\"kernel_image_path\": \"" HELLO "\"}, "	\
	"\"drives\": []}"

Test(bad_input, config_file_missing)
{
	const char *const args[] = { "--config-file", MISSING, NULL };

	expect_error(EXIT_USAGE, args);
}

Test(bad_input, config_file_is_directory)
{
	const char *const args[] = { "--config-file", GUEST_DIR, NULL };

	expect_error(EXIT_USAGE, args);
}

Test(bad_input, config_file_malformed_json)
{
	expect_config_error(EXIT_USAGE, "{\"boot-source\": {", NULL);
	expect_config_error(EXIT_USAGE, "", NULL);
	expect_config_error(EXIT_USAGE, "[]", NULL);
	expect_config_error(EXIT_USAGE, CONFIG_OK "garbage", NULL);
}

Test(bad_input, config_file_unknown_field)
{
	expect_config_error(EXIT_USAGE,
			    "{\"boot-source\": {\"kernel_image_path\": \""
			    HELLO "\", \"kernel_args\": \"x\"}, "
			    "\"drives\": []}", NULL);
	expect_config_error(EXIT_USAGE,
			    "{\"boot-source\": {\"kernel_image_path\": \""
			    HELLO "\"}, \"drives\": [], \"machine_config\": "
			    "{}}", NULL);
}

Test(bad_input, config_file_bad_values)
{
	/* missing required, wrong type, out of range, duplicate key */
	expect_config_error(EXIT_USAGE, "{\"drives\": []}", NULL);
	expect_config_error(EXIT_USAGE,
			    "{\"boot-source\": {\"kernel_image_path\": 1}, "
			    "\"drives\": []}", NULL);
	expect_config_error(EXIT_USAGE,
			    "{\"boot-source\": {\"kernel_image_path\": \""
			    HELLO "\"}, \"drives\": [], \"machine-config\": "
			    "{\"vcpu_count\": 0, \"mem_size_mib\": 64}}", NULL);
	expect_config_error(EXIT_USAGE,
			    "{\"boot-source\": {\"kernel_image_path\": \""
			    HELLO "\"}, \"drives\": [], \"drives\": []}", NULL);
}

/* Firecracker's, but not ignis's yet: refused, not ignored. */
Test(bad_input, config_file_unsupported)
{
	expect_config_error(EXIT_USAGE,
			    "{\"boot-source\": {\"kernel_image_path\": \""
			    HELLO "\"}, \"drives\": [], \"balloon\": "
			    "{\"amount_mib\": 0, \"deflate_on_oom\": false}}",
			    NULL);
}

/* The file or the flags, not both, in either order. */
Test(bad_input, config_file_with_flags)
{
	const char *const after[] = { "--memory", "64M", NULL };
	const char *const device_after[] = { "--rng", NULL };
	char *path = tmpfile_with(CONFIG_OK, strlen(CONFIG_OK));
	const char *const before[] = { "--kernel", HELLO, "--config-file",
				       path, NULL };

	cr_assert_not_null(path);
	expect_config_error(EXIT_USAGE, CONFIG_OK, after);
	expect_config_error(EXIT_USAGE, CONFIG_OK, device_after);
	expect_error(EXIT_USAGE, before);
	unlink(path);
	free(path);
}

/* A well-formed file naming a kernel that is not there: found when the VM
 * is built, as for --kernel. */
Test(bad_input, config_file_kernel_missing)
{
	expect_config_error(EXIT_ERROR,
			    "{\"boot-source\": {\"kernel_image_path\": \""
			    MISSING "\"}, \"drives\": []}", NULL);
}

/* The logger's and metrics' flags: a bad value is a usage error, a file
 * that does not open stops ignis before it builds anything. */
Test(bad_input, log_level_unknown)
{
	const char *const args[] = { "--kernel", HELLO, "--level", "Loud",
				     NULL };

	expect_error(EXIT_USAGE, args);
}

Test(bad_input, metrics_period_zero)
{
	const char *const args[] = { "--kernel", HELLO, "--metrics-path",
				     "/tmp/m", "--metrics-period-ms", "0",
				     NULL };

	expect_error(EXIT_USAGE, args);
}

Test(bad_input, log_path_unopenable)
{
	const char *const args[] = { "--kernel", HELLO, "--log-path",
				     "/nonexistent/ignis.log", NULL };

	expect_error(EXIT_FAILURE, args);
}

Test(bad_input, metrics_path_unopenable)
{
	const char *const args[] = { "--kernel", HELLO, "--metrics-path",
				     "/nonexistent/ignis.metrics", NULL };

	expect_error(EXIT_FAILURE, args);
}
