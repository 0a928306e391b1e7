// SPDX-License-Identifier: Apache-2.0
/* tests/fuzz/fuzz_boot.c: any kernel image, initrd and command line into guest RAM. */
#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "arch/x86_64/boot.h"
#include "arch/x86_64/bootparam.h"
#include "arch/x86_64/image.h"
#include "arch/x86_64/layout.h"
#include "fuzz.h"
#include "fuzz_input.h"
#include "fuzz_ram.h"

/*
 * The input: guest RAM's shape (a low region of 1 to 2 MiB from address 0,
 * maybe a second one above it), the command line's length, the initrd's
 * size (or a path that does not open), an RSDP address, then the kernel
 * file: an ELF (PVH or plain vmlinux), a bzImage, or anything. It goes
 * through x86_boot_load(), the pure loader arch_boot_load() calls, with
 * the files as memfds (/proc/self/fd/N) and RAM filled with a canary.
 *
 * Invariants (boot.h, image.h):
 *  - a refusal is one of the documented -errnos, with a message; success
 *    has none;
 *  - nothing is written outside RAM (the regions are separate heap
 *    allocations: AddressSanitizer), and inside RAM only the boot
 *    structures below 1 MiB (GDT, hvm_start_info, boot_params, page
 *    tables, command line; in [EBDA, 1 MiB) only the reset vector's 8
 *    bytes), the kernel's range and the initrd: every other byte still
 *    holds the canary, even after a refusal (a partial load may then
 *    remain above 1 MiB);
 *  - on success: the entry point lies inside RAM and inside the kernel's
 *    range [kernel_start, kernel_end), which starts at or above 1 MiB
 *    (and ends below 1 GiB for the 64-bit protocol); what the image says
 *    to load is there byte for byte (ELF PT_LOADs and their bss, a
 *    bzImage's protected-mode code at its load address); the initrd is
 *    page-aligned above the kernel, in RAM, whole; the command line is
 *    at 0x20000; boot_params or hvm_start_info say all that.
 */

#define CANARY 0xa5
#define LOW_MIN (1ull << 20)
#define STEP (64ull << 10)

struct harness {
	int kernel_fd, initrd_fd;
	char kernel_path[32], initrd_path[32];
	struct fuzz_ram ram;
	struct gmem_region layout[2];
	unsigned int nr;
	char cmdline[4096];
	uint8_t canary[4096];
};

static struct harness h;

static void files_init(void)
{
	if (h.kernel_fd)
		return;
	h.kernel_fd = memfd_create("fuzz-kernel", MFD_CLOEXEC);
	h.initrd_fd = memfd_create("fuzz-initrd", MFD_CLOEXEC);
	FUZZ_CHECK(h.kernel_fd > 0 && h.initrd_fd > 0, "memfd_create");
	snprintf(h.kernel_path, sizeof(h.kernel_path), "/proc/self/fd/%d",
		 h.kernel_fd);
	snprintf(h.initrd_path, sizeof(h.initrd_path), "/proc/self/fd/%d",
		 h.initrd_fd);
	memset(h.canary, CANARY, sizeof(h.canary));
}

/* A file of exactly (len) bytes of (data); NULL: zeros (sparse). */
static void file_set(int fd, const void *data, size_t len)
{
	FUZZ_CHECK(!ftruncate(fd, 0) && !ftruncate(fd, (off_t)len),
		   "ftruncate");
	if (data && len)
		FUZZ_CHECK(pwrite(fd, data, len, 0) == (ssize_t)len, "pwrite");
}

static bool in_ram(uint64_t addr, uint64_t len)
{
	return gmem_ptr(&h.ram.mem, gpa(addr), len) != NULL;
}

/* ---- what the loader may write ---- */

struct span {
	uint64_t start, end; /* [start, end) */
};

static bool in_spans(uint64_t a, const struct span *s, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		if (a >= s[i].start && a < s[i].end)
			return true;
	return false;
}

/* Every byte that lost the canary lies in one of (ok)[0..n-1]. */
static void check_canary(const struct span *ok, unsigned int n)
{
	for (unsigned int r = 0; r < h.nr; r++) {
		const uint8_t *p = h.ram.buf[r];
		uint64_t base = h.layout[r].start.v, size = h.layout[r].size;

		for (uint64_t off = 0; off < size; off += sizeof(h.canary)) {
			uint64_t chunk = size - off < sizeof(h.canary) ?
						 size - off :
						 sizeof(h.canary);

			if (!memcmp(p + off, h.canary, chunk))
				continue;
			for (uint64_t i = off; i < off + chunk; i++)
				FUZZ_CHECK(p[i] == CANARY ||
						   in_spans(base + i, ok, n),
					   "the loader wrote guest byte %#llx",
					   (unsigned long long)(base + i));
		}
	}
}

/* ---- what a loaded image must look like ---- */

static void check_elf(const uint8_t *k, size_t len,
		      const struct x86_boot_state *st)
{
	Elf64_Ehdr eh;
	Elf64_Phdr ph[64];
	unsigned int n;

	memcpy(&eh, k, sizeof(eh));
	n = eh.e_phnum < 64 ? eh.e_phnum : 64;
	for (unsigned int i = 0; i < n; i++)
		memcpy(&ph[i], k + eh.e_phoff + i * sizeof(ph[0]),
		       sizeof(ph[0]));
	bool entry_loaded = false;

	if (st->protocol == X86_BOOT_LINUX64)
		FUZZ_CHECK(st->regs.rip == eh.e_entry, "rip is not e_entry");
	for (unsigned int i = 0; i < n; i++)
		entry_loaded |= ph[i].p_type == PT_LOAD &&
				st->regs.rip - ph[i].p_paddr < ph[i].p_memsz;
	/* elf.c: "ELF entry point lies outside its loaded segments". */
	FUZZ_CHECK(entry_loaded || eh.e_phnum > 64,
		   "entry %#llx in no PT_LOAD segment",
		   (unsigned long long)st->regs.rip);
	for (unsigned int i = 0; i < n; i++) {
		const Elf64_Phdr *p = &ph[i];
		const uint8_t *ram;
		bool alone = true;

		if (p->p_type != PT_LOAD || !p->p_memsz)
			continue;
		/* A later segment over this one wins: compare lone ones. */
		for (unsigned int j = 0; j < n; j++)
			if (j != i && ph[j].p_type == PT_LOAD &&
			    ph[j].p_memsz &&
			    ph[j].p_paddr < p->p_paddr + p->p_memsz &&
			    p->p_paddr < ph[j].p_paddr + ph[j].p_memsz)
				alone = false;
		FUZZ_CHECK(p->p_paddr >= st->kernel_start &&
				   p->p_paddr + p->p_memsz <= st->kernel_end &&
				   in_ram(p->p_paddr, p->p_memsz),
			   "PT_LOAD %u outside the kernel's range or RAM", i);
		if (!alone)
			continue;
		ram = gmem_ptr(&h.ram.mem, gpa(p->p_paddr), p->p_memsz);
		FUZZ_CHECK(!memcmp(ram, k + p->p_offset, p->p_filesz),
			   "PT_LOAD %u not copied", i);
		for (uint64_t b = p->p_filesz; b < p->p_memsz; b++)
			FUZZ_CHECK(!ram[b], "PT_LOAD %u: bss byte %llu", i,
				   (unsigned long long)b);
	}
}

static void check_bzimage(const uint8_t *k, size_t len,
			  const struct x86_boot_state *st)
{
	uint8_t sects = k[BP_SETUP_HDR_OFFSET];
	uint64_t pm_off = ((sects ? sects : BP_DEFAULT_SETUP_SECTS) + 1ull) *
			  BP_SECTOR_SIZE;

	FUZZ_CHECK(st->protocol == X86_BOOT_LINUX64, "bzImage by PVH");
	FUZZ_CHECK(pm_off < len &&
			   st->kernel_start + (len - pm_off) <= st->kernel_end,
		   "the protected-mode code outgrows the kernel's range");
	FUZZ_CHECK(!memcmp(gmem_ptr(&h.ram.mem, gpa(st->kernel_start),
				    len - pm_off),
			   k + pm_off, len - pm_off),
		   "protected-mode code not copied");
	/* boot.rst: "the 64-bit entry point ... at the load address plus
	 * 0x200". */
	FUZZ_CHECK(st->regs.rip == st->kernel_start + BP_ENTRY64_OFFSET,
		   "rip %#llx, load address %#llx",
		   (unsigned long long)st->regs.rip,
		   (unsigned long long)st->kernel_start);
}

static void check_loaded(const uint8_t *k, size_t len, const char *cmdline,
			 uint64_t initrd_size, const struct x86_boot_state *st)
{
	const struct bp_boot_params *bp =
		gmem_ptr(&h.ram.mem, gpa(X86_ZERO_PAGE_START), sizeof(*bp));
	const char *cl = gmem_ptr(&h.ram.mem, gpa(X86_CMDLINE_START),
				  strlen(cmdline) + 1);

	/* The entry point: in RAM, in what was loaded. */
	FUZZ_CHECK(in_ram(st->regs.rip, 1) &&
			   st->regs.rip >= st->kernel_start &&
			   st->regs.rip < st->kernel_end,
		   "entry %#llx outside the kernel [%#llx, %#llx) or RAM",
		   (unsigned long long)st->regs.rip,
		   (unsigned long long)st->kernel_start,
		   (unsigned long long)st->kernel_end);
	FUZZ_CHECK(st->kernel_start >= X86_HIMEM_START &&
			   st->kernel_start < st->kernel_end &&
			   in_ram(st->kernel_start, 1) &&
			   in_ram(st->kernel_end - 1, 1),
		   "kernel range [%#llx, %#llx)",
		   (unsigned long long)st->kernel_start,
		   (unsigned long long)st->kernel_end);
	if (st->protocol == X86_BOOT_LINUX64)
		FUZZ_CHECK(st->kernel_end <= X86_IDENTITY_MAP_END,
			   "64-bit kernel above the identity map");
	FUZZ_CHECK(cl && !strcmp(cl, cmdline), "command line");
	if (initrd_size) {
		const uint8_t *rd = gmem_ptr(&h.ram.mem, gpa(st->initrd_start),
					     initrd_size);

		FUZZ_CHECK(st->initrd_size == initrd_size && rd &&
				   st->initrd_start % 4096 == 0 &&
				   st->initrd_start >= st->kernel_end,
			   "initrd at %#llx+%llu, kernel ends %#llx",
			   (unsigned long long)st->initrd_start,
			   (unsigned long long)st->initrd_size,
			   (unsigned long long)st->kernel_end);
		for (uint64_t i = 0; i < initrd_size; i++)
			FUZZ_CHECK(!rd[i], "initrd byte %llu",
				   (unsigned long long)i);
	}
	if (st->protocol == X86_BOOT_PVH) {
		const struct pvh_start_info *si = gmem_ptr(
			&h.ram.mem, gpa(X86_PVH_INFO_START), sizeof(*si));

		FUZZ_CHECK(st->regs.rbx == X86_PVH_INFO_START &&
				   si->magic == PVH_START_MAGIC &&
				   si->cmdline_paddr == X86_CMDLINE_START &&
				   si->nr_modules == (initrd_size ? 1 : 0),
			   "hvm_start_info");
	} else {
		FUZZ_CHECK(st->regs.rsi == X86_ZERO_PAGE_START &&
				   bp->hdr.cmd_line_ptr == X86_CMDLINE_START &&
				   bp->hdr.ramdisk_image == st->initrd_start &&
				   bp->hdr.ramdisk_size == initrd_size &&
				   bp->hdr.boot_flag == BP_BOOT_FLAG &&
				   bp->e820_entries >= 3,
			   "boot_params");
	}
	if (x86_elf_is(k, len))
		check_elf(k, len, st);
	else
		check_bzimage(k, len, st);
}

/* ---- one input ---- */

static void ram_setup(struct fz *in)
{
	uint8_t low = fz_u8(in), hi = fz_u8(in);
	uint16_t gap = fz_u16(in);

	h.layout[0] = (struct gmem_region){
		.start = { 0 },
		.size = LOW_MIN + STEP * (1 + low % 16),
	};
	h.nr = 1;
	if (hi & 1) {
		/* Above the first, anywhere up to ~4 TiB: a PVH kernel may
		 * load there, a 64-bit one may not. */
		h.layout[1] = (struct gmem_region){
			.start = { h.layout[0].size +
				   STEP * gap * (hi & 2 ? 1024 : 1) },
			.size = STEP * (1 + (hi >> 2) % 16),
		};
		h.nr = 2;
	}
	fuzz_ram_init(&h.ram, h.layout, h.nr, CANARY);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz in = fz_make(data, size);
	uint16_t cmd_len, rd_units;
	uint8_t rd_kind, rsdp;
	struct x86_boot_state st;
	struct x86_boot_in bi;
	const char *msg = NULL;
	uint64_t initrd_size;
	int ret;

	files_init();
	ram_setup(&in);
	cmd_len = fz_u16(&in) % 3000;
	rd_kind = fz_u8(&in);
	rd_units = fz_u16(&in);
	rsdp = fz_u8(&in);
	memset(h.cmdline, 'x', cmd_len);
	h.cmdline[cmd_len] = '\0';
	/* An initrd of 1 byte to 1 MiB, sparse zeros, or none. */
	initrd_size = rd_kind & 1 ? 1 + rd_units * 16ull : 0;
	file_set(h.initrd_fd, NULL, initrd_size);
	file_set(h.kernel_fd, in.p, fz_left(&in));
	bi = (struct x86_boot_in){
		.kernel_path = h.kernel_path,
		.initrd_path = rd_kind & 1 ?
				       (rd_kind & 2 ? "/nonexistent/initrd" :
						      h.initrd_path) :
				       NULL,
		.cmdline = h.cmdline,
		.nr_cpus = 1,
		.rsdp_addr = rsdp & 1 ? X86_ACPI_START : 0,
	};
	if (bi.initrd_path && rd_kind & 2)
		initrd_size = 0;
	ret = x86_boot_load(&h.ram.mem, &bi, &st, &msg);
	FUZZ_TRACE("%zu-byte kernel, %llu-byte initrd, %u-byte cmdline: %d %s",
		   fz_left(&in), (unsigned long long)initrd_size, cmd_len, ret,
		   msg ? msg : "");
	FUZZ_CHECK(ret == 0 || ret == -ENOENT || ret == -EACCES ||
			   ret == -EINVAL || ret == -EFBIG || ret == -ENOEXEC ||
			   ret == -ENOMEM || ret == -E2BIG,
		   "x86_boot_load: %d (%s)", ret, msg ? msg : "");
	FUZZ_CHECK(!ret == !msg, "return %d with message %s", ret,
		   msg ? msg : "(none)");

	struct span ok[] = {
		{ X86_BOOT_GDT_START, X86_BOOT_GDT_START + 5 * 8 },
		{ X86_PVH_INFO_START, X86_ZERO_PAGE_START + 4096 },
		{ X86_PML4_START, X86_PDE_START + 4096 },
		{ X86_CMDLINE_START, X86_CMDLINE_START + cmd_len + 1u },
		{ X86_RESET_VECTOR, X86_RESET_VECTOR + 8 },
		/* After a refusal, anything from 1 MiB up (a partial load);
		 * after success, the kernel and the initrd only. */
		{ ret ? X86_HIMEM_START : st.kernel_start,
		  ret ? UINT64_MAX : st.kernel_end },
		{ ret ? 0 : st.initrd_start,
		  ret ? 0 : st.initrd_start + st.initrd_size },
	};

	check_canary(ok, sizeof(ok) / sizeof(ok[0]));
	if (!ret)
		check_loaded(in.p, fz_left(&in), h.cmdline, initrd_size, &st);
	fuzz_ram_free(&h.ram);
	return 0;
}
