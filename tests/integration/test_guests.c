// SPDX-License-Identifier: Apache-2.0
/* tests/integration/test_guests.c: boot each test guest, check what it saw. */
#include <criterion/criterion.h>
#include <errno.h>
#include <linux/kvm.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "guest_output.h"
#include "run.h"
#include "support/tmpfile.h"

#define HELLO		GUEST_DIR "/hello"
#define BOOTINFO	GUEST_DIR "/bootinfo"
#define BOOTINFO64	GUEST_DIR "/bootinfo64"
#define BZIMAGE		GUEST_DIR "/bootinfo64.bzImage"
#define SMP		GUEST_DIR "/smp"
#define TRIPLE		GUEST_DIR "/triple"
#define BADIO		GUEST_DIR "/badio"

#define HELLO_LINE	"Hello from an ignis guest!\n"
#define EBDA		0x9fc00ULL	/* RAM ends, MP table starts */
#define HIMEM		0x100000ULL	/* RAM resumes */
#define HOLE_START	0xc0000000ULL	/* 32-bit MMIO hole */
#define HOLE_END	0x100000000ULL
#define MIB		(1ULL << 20)
#define MAX_RANGES	32

/* The initrd the tests hand over: a header, then a byte pattern. */
#define INITRD_SIZE	4219

TestSuite(boot, .init = run_need_kvm, .timeout = 60);


/*
 * The guest's RAM (type 1, merged) must be exactly (want), the "ram" sum
 * must match, and [EBDA, HIMEM) (MP table, legacy area) must be reserved.
 */
static void expect_ram(const struct run_result *r,
		       const struct guest_range *want, unsigned int n)
{
	struct guest_range got[MAX_RANGES];
	uint64_t total = 0, covered = EBDA;
	unsigned int i, m;

	m = guest_ranges(r->out, 1, got, MAX_RANGES);
	cr_expect_eq(m, n, "%u RAM ranges, want %u:\n%s", m, n, r->out);
	for (i = 0; i < n; i++) {
		total += want[i].size;
		if (i >= m)
			continue;
		cr_expect(got[i].start == want[i].start &&
			  got[i].size == want[i].size,
			  "RAM range %u is [%#" PRIx64 ", %#" PRIx64
			  "), want [%#" PRIx64 ", %#" PRIx64 ")\n%s", i,
			  got[i].start, got[i].start + got[i].size,
			  want[i].start, want[i].start + want[i].size, r->out);
	}
	cr_expect_eq(guest_ram(r->out), total,
		     "RAM total %#" PRIx64 ", want %#" PRIx64 "\n%s",
		     guest_ram(r->out), total, r->out);
	m = guest_ranges(r->out, 2, got, MAX_RANGES);
	for (i = 0; i < m; i++)
		if (got[i].start <= covered &&
		    got[i].start + got[i].size > covered)
			covered = got[i].start + got[i].size;
	cr_expect_geq(covered, HIMEM,
		      "[%#llx, %#llx) is not all reserved (up to %#" PRIx64
		      ")\n%s", EBDA, HIMEM, covered, r->out);
}

/* RAM for (mem) bytes below the hole: [0, EBDA) + [HIMEM, mem). */
static void expect_ram_low(const struct run_result *r, uint64_t mem)
{
	const struct guest_range want[] = {
		{ 0, EBDA, 1 },
		{ HIMEM, mem - HIMEM, 1 },
	};

	expect_ram(r, want, 2);
}

static void initrd_data(unsigned char *data)
{
	static const char head[] = "IGNIS-INITRD-v1\n";
	unsigned int i;

	memcpy(data, head, sizeof(head) - 1);
	for (i = sizeof(head) - 1; i < INITRD_SIZE; i++)
		data[i] = (unsigned char)(i * 7 + 3);
}

/* Writes the test initrd to a temporary file; returns its path. */
static char *make_initrd(unsigned char *data)
{
	char *path;

	initrd_data(data);
	path = tmpfile_with(data, INITRD_SIZE);
	cr_assert_not_null(path, "cannot write the initrd");
	return path;
}

/* The initrd must arrive whole: size, first bytes, inside RAM, not on top
 * of the kernel image. */
static void expect_initrd(const struct run_result *r, uint64_t mem)
{
	unsigned char data[INITRD_SIZE];
	struct guest_initrd got;
	char head[40];
	unsigned int i;

	initrd_data(data);
	for (i = 0; i < 16; i++)
		snprintf(head + 2 * i, 3, "%02x", data[i]);
	cr_assert(guest_initrd(r->out, &got), "no initrd line:\n%s", r->out);
	cr_expect_eq(got.size, INITRD_SIZE, "initrd size %" PRIu64 "\n%s",
		     got.size, r->out);
	cr_expect_str_eq(got.head, head, "initrd starts with %s\n%s",
			 got.head, r->out);
	cr_expect(got.addr >= HIMEM && got.addr + got.size <= mem,
		  "initrd at [%#" PRIx64 ", %#" PRIx64 ") is outside RAM\n%s",
		  got.addr, got.addr + got.size, r->out);
	cr_expect_null(strstr(r->out, "initrd overlaps image"), "%s", r->out);
}

Test(boot, hello_prints_and_resets)
{
	const char *const args[] = { "--kernel", HELLO, NULL };
	struct run_result r;

	run_boot(&r, args);
	cr_expect_str_eq(r.out, HELLO_LINE, "stdout:\n%s", r.out);
	run_result_free(&r);
}

Test(boot, options_accept_equals_form)
{
	const char *const args[] = { "--kernel=" HELLO, "--memory=64M",
				     "--cpus=2", "--cmdline=quiet", NULL };
	struct run_result r;

	run_boot(&r, args);
	cr_expect_str_eq(r.out, HELLO_LINE, "stdout:\n%s", r.out);
	run_result_free(&r);
}

/* Secondary vCPUs never get a SIPI here: ignis must still stop them. */
Test(boot, reset_ends_idle_secondary_vcpus)
{
	const char *const args[] = { "--kernel", HELLO, "--cpus", "4", NULL };
	struct run_result r;

	run_boot(&r, args);
	cr_expect_str_eq(r.out, HELLO_LINE, "stdout:\n%s", r.out);
	run_result_free(&r);
}

/* Whether this host's KVM emulates the TSC-deadline timer: then ignis must
 * announce it (no PIT: Linux's only tick). */
static bool kvm_has_tsc_deadline(void)
{
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	int ret;

	cr_assert_geq(kvm, 0);
	ret = ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_TSC_DEADLINE_TIMER);
	close(kvm);
	return ret > 0;
}

Test(boot, cpuid_as_the_guest_sees_it)
{
	const char *const args[] = { "--kernel", BOOTINFO, NULL };
	struct run_result r;

	run_boot(&r, args);
	if (kvm_has_tsc_deadline())
		run_expect_line(&r, "cpuid apic 0 hypervisor 1 tsc-deadline 1");
	else
		run_expect_line(&r, "cpuid apic 0 hypervisor 1 tsc-deadline 0");
	run_result_free(&r);
}

Test(boot, pvh_defaults)
{
	const char *const args[] = { "--kernel", BOOTINFO, NULL };
	struct run_result r;

	run_boot(&r, args);
	run_expect_line(&r, "entry pvh");
	run_expect_line(&r, "magic 336ec578 version 1");
	run_expect_line(&r, "cmdline console=ttyS0");
	expect_ram_low(&r, 128 * MIB);
	run_expect_line(&r, "modules 0");
	run_expect_line(&r, "initrd none");
	/* ACPI tables in the BIOS area (arch/x86_64/layout.h). */
	run_expect_line(&r, "rsdp e0000");
	run_result_free(&r);
}

Test(boot, pvh_cmdline_memory_initrd)
{
	unsigned char data[INITRD_SIZE];
	char *initrd = make_initrd(data);
	const char *const args[] = {
		"--kernel", BOOTINFO, "--memory", "64M", "--initrd", initrd,
		"--cmdline", "console=ttyS0 ignis.test=\"a b\" quiet", NULL
	};
	struct run_result r;

	run_boot(&r, args);
	unlink(initrd);
	free(initrd);
	run_expect_line(&r, "entry pvh");
	run_expect_line(&r, "cmdline console=ttyS0 ignis.test=\"a b\" quiet");
	expect_ram_low(&r, 64 * MIB);
	run_expect_line(&r, "modules 1");
	expect_initrd(&r, 64 * MIB);
	run_result_free(&r);
}

/* Each virtio device is announced on the command line after the user's
 * words (Firecracker's form), unless --no-cmdline-devices. */
Test(boot, cmdline_announces_devices_unless_told_not_to)
{
	const char *const args[] = { "--kernel", BOOTINFO, "--memory", "64M",
				     "--rng", "--cmdline", "quiet", NULL };
	const char *const acpi_only[] = { "--kernel", BOOTINFO, "--memory",
					  "64M", "--rng", "--cmdline", "quiet",
					  "--no-cmdline-devices", NULL };
	struct run_result r;

	run_boot(&r, args);
	run_expect_line(&r,
			"cmdline quiet virtio_mmio.device=4K@0xd0000000:16");
	run_result_free(&r);
	run_boot(&r, acpi_only);
	run_expect_line(&r, "cmdline quiet");
	run_result_free(&r);
}

Test(boot, pvh_memory_split_by_hole)
{
	const char *const args[] = { "--kernel", BOOTINFO, "--memory", "4G",
				     NULL };
	const struct guest_range want[] = {
		{ 0, EBDA, 1 },
		{ HIMEM, HOLE_START - HIMEM, 1 },
		{ HOLE_END, (4ULL << 30) - HOLE_START, 1 },
	};
	struct run_result r;

	run_boot(&r, args);
	expect_ram(&r, want, 3);
	run_result_free(&r);
}

Test(boot, pvh_memory_plain_bytes)
{
	const char *const args[] = { "--kernel", BOOTINFO, "--memory",
				     "33554432", NULL };
	struct run_result r;

	run_boot(&r, args);
	expect_ram_low(&r, 32 * MIB);
	run_result_free(&r);
}

/* The Linux 64-bit boot protocol, for (kernel) (plain ELF or bzImage). */
static void boot_linux64(const char *kernel, bool bzimage)
{
	unsigned char data[INITRD_SIZE];
	char *initrd = make_initrd(data);
	const char *const args[] = {
		"--kernel", kernel, "--memory", "96M", "--initrd", initrd,
		"--cmdline", "console=ttyS0 root=/dev/vda rw", NULL
	};
	struct run_result r;

	run_boot(&r, args);
	unlink(initrd);
	free(initrd);
	run_expect_line(&r, "entry linux64");
	/* A bzImage's setup header reaches the guest in its zero page. */
	if (bzimage)
		run_expect_line(&r, "hdr boot_flag aa55 header 53726448 version "
				"020c loader ff");
	run_expect_line(&r, "cmdline console=ttyS0 root=/dev/vda rw");
	expect_ram_low(&r, 96 * MIB);
	expect_initrd(&r, 96 * MIB);
	/* boot_params.acpi_rsdp_addr names a valid RSDP. */
	run_expect_line(&r, "rsdp e0000 RSD PTR checksums-ok");
	run_result_free(&r);
}

Test(boot, linux64_plain_elf)
{
	boot_linux64(BOOTINFO64, false);
}

Test(boot, linux64_bzimage)
{
	boot_linux64(BZIMAGE, true);
}

Test(boot, linux64_defaults)
{
	const char *const args[] = { "--kernel", BZIMAGE, NULL };
	struct run_result r;

	run_boot(&r, args);
	run_expect_line(&r, "entry linux64");
	run_expect_line(&r, "cmdline console=ttyS0");
	expect_ram_low(&r, 128 * MIB);
	run_expect_line(&r, "initrd none");
	run_result_free(&r);
}

/* mkbzimage sets cmdline_size 2047: a 2047-byte line must pass whole. */
Test(boot, bzimage_cmdline_at_limit)
{
	char cmdline[2048], line[2100];
	const char *const args[] = { "--kernel", BZIMAGE, "--cmdline", cmdline,
				     NULL };
	struct run_result r;

	memset(cmdline, 'x', sizeof(cmdline) - 1);
	memcpy(cmdline, "console=ttyS0 pad=", 18);
	cmdline[sizeof(cmdline) - 1] = '\0';
	snprintf(line, sizeof(line), "cmdline %s", cmdline);
	run_boot(&r, args);
	run_expect_line(&r, line);
	run_result_free(&r);
}

static void boot_smp(unsigned int cpus)
{
	char n[12], line[32];
	const char *const args[] = { "--kernel", SMP, "--cpus", n, NULL };
	struct run_result r;
	unsigned int i;

	snprintf(n, sizeof(n), "%u", cpus);
	run_boot(&r, args);
	run_expect_line(&r, "smp: mp table at 9fc00");
	run_expect_line(&r, "lapic fee00000");
	snprintf(line, sizeof(line), "cpus %u", cpus);
	run_expect_line(&r, line);
	run_expect_line(&r, "cpu 0 bsp");
	for (i = 1; i < cpus; i++) {
		snprintf(line, sizeof(line), "cpu %u", i);
		run_expect_line(&r, line);
		/* INIT/SIPI through the in-kernel LAPIC reached the AP. */
		snprintf(line, sizeof(line), "ap %u up", i);
		run_expect_line(&r, line);
	}
	run_result_free(&r);
}

Test(boot, smp_one_cpu)
{
	boot_smp(1);
}

Test(boot, smp_two_cpus)
{
	boot_smp(2);
}

Test(boot, smp_four_cpus)
{
	boot_smp(4);
}

Test(boot, triple_fault_exits_zero)
{
	const char *const args[] = { "--kernel", TRIPLE, NULL };
	struct run_result r;

	run_boot(&r, args);
	cr_expect_str_eq(r.out, "triple: faulting now\n", "stdout:\n%s", r.out);
	run_result_free(&r);
}

Test(boot, unhandled_io_and_mmio_survive)
{
	const char *const args[] = { "--kernel", BADIO, NULL };
	struct run_result r;

	run_boot(&r, args);
	run_expect_line(&r, "badio: start");
	/* rep outsb: one exit carrying many bytes, all of them printed. */
	run_expect_line(&r, "badio: string out ok");
	run_expect_line(&r, "survived");
	run_result_free(&r);
}
