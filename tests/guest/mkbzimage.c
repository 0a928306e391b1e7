// SPDX-License-Identifier: Apache-2.0
/* tests/guest/mkbzimage.c: wraps a 64-bit-entry test guest in a bzImage. */

/*
 * Usage: mkbzimage GUEST.elf OUT.bzImage
 *
 * Builds what Documentation/arch/x86/boot.rst calls a bzImage: a boot
 * sector plus setup sectors carrying the setup header, followed by the
 * protected-mode kernel, here the guest's PT_LOAD segments laid out flat
 * from 1 MiB. The guest must be linked at 1 MiB with its 64-bit entry at
 * +0x200 and its 32-bit entry at +0 (tests/guest/rt/entry.S), as Linux is.
 * The real-mode entry only parks the CPU: the image is for loaders that
 * use the 32- or 64-bit protocol, as VMMs do.
 */
#include <elf.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SETUP_SECTS		4	/* Linux's historic default */
#define SECTOR			512
#define LOAD_ADDR		0x100000u	/* protected-mode kernel */
#define ENTRY64_OFFSET		0x200u	/* startup_64 - startup_32 */
#define MAX_IMAGE		(16u << 20)

/* Setup header offsets (boot.rst, "The Real-Mode Kernel Header"). */
#define HDR_SETUP_SECTS		0x1f1	/* u8 */
#define HDR_SYSSIZE		0x1f4	/* u32: 16-byte paragraphs */
#define HDR_VID_MODE		0x1fa	/* u16 */
#define HDR_BOOT_FLAG		0x1fe	/* u16: 0xaa55 */
#define HDR_JUMP		0x200	/* 2 bytes: real-mode entry */
#define HDR_HEADER		0x202	/* u32: "HdrS" */
#define HDR_VERSION		0x206	/* u16 */
#define HDR_LOADFLAGS		0x211	/* u8 */
#define HDR_SETUP_MOVE_SIZE	0x212	/* u16 */
#define HDR_CODE32_START	0x214	/* u32 */
#define HDR_INITRD_ADDR_MAX	0x22c	/* u32 */
#define HDR_KERNEL_ALIGNMENT	0x230	/* u32 */
#define HDR_RELOCATABLE		0x234	/* u8 */
#define HDR_MIN_ALIGNMENT	0x235	/* u8: log2 */
#define HDR_XLOADFLAGS		0x236	/* u16 */
#define HDR_CMDLINE_SIZE	0x238	/* u32 */
#define HDR_PREF_ADDRESS	0x258	/* u64 */
#define HDR_INIT_SIZE		0x260	/* u32 */
#define HDR_PARK		0x280	/* where the real-mode entry jumps */

#define BOOT_VERSION		0x020c	/* 2.12: first with xloadflags */
#define LOADED_HIGH		0x01	/* loadflags: kernel at 1 MiB */
#define XLF_KERNEL_64		0x01	/* xloadflags: has startup_64 */
#define CMDLINE_SIZE		2047	/* Linux's COMMAND_LINE_SIZE - 1 */
#define INITRD_ADDR_MAX		0x7fffffffu

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)v);
	put16(p + 2, (uint16_t)(v >> 16));
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

static uint8_t *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) || !(buf = malloc((size_t)n + 1))) {
		fclose(f);
		return NULL;
	}
	if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		fclose(f);
		return NULL;
	}
	fclose(f);
	*len = (size_t)n;
	return buf;
}

/* Lays the PT_LOAD segments of (elf) out flat from LOAD_ADDR into (*out);
 * (*file_len) is the payload size, (*mem_len) what it occupies with bss.
 * Returns NULL on success or a reason. */
static const char *flatten(const uint8_t *elf, size_t len, uint8_t **out,
			   uint32_t *file_len, uint32_t *mem_len)
{
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)elf;
	uint64_t fend = 0, mend = 0;
	uint8_t *img;
	unsigned int i;

	if (len < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) ||
	    eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_machine != EM_X86_64)
		return "not an x86_64 ELF64 file";
	if (eh->e_phentsize != sizeof(Elf64_Phdr) ||
	    eh->e_phoff > len ||
	    (len - eh->e_phoff) / sizeof(Elf64_Phdr) < eh->e_phnum)
		return "bad program headers";
	if (eh->e_entry != LOAD_ADDR + ENTRY64_OFFSET)
		return "entry is not startup_64 at 1 MiB + 0x200";
	img = calloc(1, MAX_IMAGE);
	if (!img)
		return "out of memory";
	for (i = 0; i < eh->e_phnum; i++) {
		const Elf64_Phdr *ph =
			(const Elf64_Phdr *)(elf + eh->e_phoff) + i;

		if (ph->p_type != PT_LOAD)
			continue;
		if (ph->p_paddr < LOAD_ADDR || ph->p_filesz > ph->p_memsz ||
		    ph->p_memsz > MAX_IMAGE ||
		    ph->p_paddr - LOAD_ADDR > MAX_IMAGE - ph->p_memsz ||
		    ph->p_offset > len || len - ph->p_offset < ph->p_filesz) {
			free(img);
			return "PT_LOAD outside [1 MiB, 17 MiB) or the file";
		}
		memcpy(img + (ph->p_paddr - LOAD_ADDR), elf + ph->p_offset,
		       ph->p_filesz);
		if (ph->p_paddr - LOAD_ADDR + ph->p_filesz > fend)
			fend = ph->p_paddr - LOAD_ADDR + ph->p_filesz;
		if (ph->p_paddr - LOAD_ADDR + ph->p_memsz > mend)
			mend = ph->p_paddr - LOAD_ADDR + ph->p_memsz;
	}
	if (fend <= ENTRY64_OFFSET) {
		free(img);
		return "no code at startup_64";
	}
	*out = img;
	*file_len = (uint32_t)fend;
	*mem_len = (uint32_t)mend;
	return NULL;
}

static void fill_header(uint8_t *setup, uint32_t file_len, uint32_t mem_len)
{
	setup[HDR_SETUP_SECTS] = SETUP_SECTS;
	put32(setup + HDR_SYSSIZE, (file_len + 15) / 16);
	put16(setup + HDR_VID_MODE, 0xffff);		/* "normal" */
	put16(setup + HDR_BOOT_FLAG, 0xaa55);
	/* jmp rel8 to the park loop: hlt; jmp .-1 */
	setup[HDR_JUMP] = 0xeb;
	setup[HDR_JUMP + 1] = HDR_PARK - (HDR_JUMP + 2);
	setup[HDR_PARK] = 0xf4;
	setup[HDR_PARK + 1] = 0xeb;
	setup[HDR_PARK + 2] = 0xfd;
	memcpy(setup + HDR_HEADER, "HdrS", 4);
	put16(setup + HDR_VERSION, BOOT_VERSION);
	setup[HDR_LOADFLAGS] = LOADED_HIGH;
	put16(setup + HDR_SETUP_MOVE_SIZE, 0x8000);
	put32(setup + HDR_CODE32_START, LOAD_ADDR);
	put32(setup + HDR_INITRD_ADDR_MAX, INITRD_ADDR_MAX);
	/*
	 * Not relocatable: the guest is linked at 1 MiB and has no
	 * relocation code. A 1 MiB alignment keeps a loader that aligns
	 * the preferred address anyway at 1 MiB.
	 */
	put32(setup + HDR_KERNEL_ALIGNMENT, LOAD_ADDR);
	setup[HDR_RELOCATABLE] = 0;
	setup[HDR_MIN_ALIGNMENT] = 20;
	put16(setup + HDR_XLOADFLAGS, XLF_KERNEL_64);
	put32(setup + HDR_CMDLINE_SIZE, CMDLINE_SIZE);
	put64(setup + HDR_PREF_ADDRESS, LOAD_ADDR);
	/* The guest needs its whole image (bss included), page-rounded. */
	put32(setup + HDR_INIT_SIZE, (mem_len + 4095) & ~4095u);
}

static int fail(const char *path, const char *why)
{
	fprintf(stderr, "mkbzimage: %s: %s\n", path, why);
	return 1;
}

int main(int argc, char **argv)
{
	uint8_t setup[(1 + SETUP_SECTS) * SECTOR] = { 0 };
	uint32_t file_len, mem_len;
	const char *why;
	uint8_t *elf, *img;
	size_t len;
	FILE *out;

	if (argc != 3) {
		fprintf(stderr, "usage: mkbzimage GUEST.elf OUT.bzImage\n");
		return 2;
	}
	elf = read_file(argv[1], &len);
	if (!elf)
		return fail(argv[1], strerror(errno));
	why = flatten(elf, len, &img, &file_len, &mem_len);
	free(elf);
	if (why)
		return fail(argv[1], why);
	fill_header(setup, file_len, mem_len);
	out = fopen(argv[2], "wb");
	if (!out || fwrite(setup, 1, sizeof(setup), out) != sizeof(setup) ||
	    fwrite(img, 1, file_len, out) != file_len) {
		why = strerror(errno);
		if (out)
			fclose(out);
		free(img);
		return fail(argv[2], why);
	}
	free(img);
	if (fclose(out))
		return fail(argv[2], strerror(errno));
	return 0;
}
