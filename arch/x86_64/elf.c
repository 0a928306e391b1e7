// SPDX-License-Identifier: Apache-2.0
/* arch/x86_64/elf.c: validate and load an ELF64 kernel; find its PVH entry. */
#include "arch/x86_64/image.h"

#include <elf.h>
#include <errno.h>
#include <string.h>

#include "arch/x86_64/layout.h"

/* Result of scanning the notes for XEN_ELFNOTE_PHYS32_ENTRY. */
struct elf_pvh {
	bool found;		/* the note is there */
	uint64_t entry;		/* its value */
};

bool x86_elf_is(const void *buf, size_t len)
{
	return len >= SELFMAG && !memcmp(buf, ELFMAG, SELFMAG);
}

/* Whether [off, off + size) lies inside a file of (len) bytes. */
static bool elf_range_in_file(uint64_t off, uint64_t size, size_t len)
{
	return off <= len && size <= len - off;
}

static int elf_check_ehdr(const Elf64_Ehdr *eh, size_t len,
			  const char **err_msg)
{
	if (eh->e_ident[EI_CLASS] != ELFCLASS64) {
		*err_msg = "kernel: not a 64-bit ELF file";
		return -ENOEXEC;
	}
	if (eh->e_ident[EI_DATA] != ELFDATA2LSB) {
		*err_msg = "kernel: ELF file is not little-endian";
		return -ENOEXEC;
	}
	if (eh->e_machine != EM_X86_64) {
		*err_msg = "kernel: ELF file is not for x86_64";
		return -ENOEXEC;
	}
	if (eh->e_type != ET_EXEC) {
		*err_msg = "kernel: ELF file is not an executable (ET_EXEC)";
		return -ENOEXEC;
	}
	if (eh->e_phentsize != sizeof(Elf64_Phdr) || eh->e_phnum == 0 ||
	    eh->e_phnum == PN_XNUM) {
		*err_msg = "kernel: ELF program header table is malformed";
		return -ENOEXEC;
	}
	if (!elf_range_in_file(eh->e_phoff,
			       (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr),
			       len)) {
		*err_msg = "kernel: ELF program headers lie outside the file";
		return -ENOEXEC;
	}
	return 0;
}

/* Program headers may sit unaligned in the buffer: copy them out. */
static void elf_phdr(const uint8_t *buf, const Elf64_Ehdr *eh,
		     unsigned int i, Elf64_Phdr *ph)
{
	memcpy(ph, buf + eh->e_phoff + (uint64_t)i * sizeof(*ph), sizeof(*ph));
}

static int elf_check_load(const struct gmem *mem, const Elf64_Phdr *ph,
			  size_t len, const char **err_msg)
{
	if (!elf_range_in_file(ph->p_offset, ph->p_filesz, len)) {
		*err_msg = "kernel: an ELF segment's data lies beyond the end of the file";
		return -ENOEXEC;
	}
	if (ph->p_filesz > ph->p_memsz) {
		*err_msg = "kernel: an ELF segment's file size exceeds its memory size";
		return -ENOEXEC;
	}
	if (ph->p_paddr + ph->p_memsz < ph->p_paddr) {
		*err_msg = "kernel: an ELF segment's address + size overflows";
		return -ENOEXEC;
	}
	/* Below 1 MiB live the GDT, page tables, zero page and command line. */
	if (ph->p_paddr < X86_HIMEM_START) {
		*err_msg = "kernel: an ELF segment overlaps the boot structures below 1 MiB";
		return -EINVAL;
	}
	if (!gmem_ptr(mem, gpa(ph->p_paddr), ph->p_memsz)) {
		*err_msg = "kernel: an ELF segment lies outside guest memory";
		return -ENOMEM;
	}
	return 0;
}

/*
 * Walks the notes in file bytes [off, off + size), each a 12-byte header,
 * then name and desc, each padded to (align). Looks for Xen's
 * PHYS32_ENTRY, whose desc Linux emits as a pointer-sized value
 * (elfnote.h: "the physical 32-bit entry point") and others as 32 bits.
 */
static int elf_scan_notes(const uint8_t *buf, uint64_t off, uint64_t size,
			  uint64_t align, struct elf_pvh *pvh,
			  const char **err_msg)
{
	uint64_t end = off + size;

	while (end - off >= 12) {
		uint32_t hdr[3];
		uint64_t name, desc, next;

		memcpy(hdr, buf + off, sizeof(hdr));
		name = off + 12;
		desc = name + ((hdr[0] + align - 1) & ~(align - 1));
		next = desc + ((hdr[1] + align - 1) & ~(align - 1));
		if (next > end) {
			*err_msg = "kernel: ELF note is truncated";
			return -ENOEXEC;
		}
		if (hdr[2] == PVH_ELFNOTE_PHYS32_ENTRY && hdr[0] == 4 &&
		    !memcmp(buf + name, PVH_ELFNOTE_NAME, 4)) {
			uint32_t v32;

			if (hdr[1] == 4) {
				memcpy(&v32, buf + desc, 4);
				pvh->entry = v32;
			} else if (hdr[1] == 8) {
				memcpy(&pvh->entry, buf + desc, 8);
			} else {
				*err_msg = "kernel: malformed XEN_ELFNOTE_PHYS32_ENTRY note";
				return -ENOEXEC;
			}
			if (pvh->entry > UINT32_MAX) {
				*err_msg = "kernel: PVH entry point lies above 4 GiB";
				return -ENOEXEC;
			}
			pvh->found = true;
		}
		off = next;
	}
	return 0;
}

/*
 * Whether (entry) is a byte one PT_LOAD segment puts in guest RAM (each
 * was checked to lie in one region): [lowest start, highest end) is not
 * enough, as segments may leave gaps, or sit in two regions with no RAM
 * between them.
 */
static bool elf_entry_loaded(const uint8_t *buf, const Elf64_Ehdr *eh,
			     uint64_t entry)
{
	for (unsigned int i = 0; i < eh->e_phnum; i++) {
		Elf64_Phdr ph;

		elf_phdr(buf, eh, i, &ph);
		if (ph.p_type == PT_LOAD && entry - ph.p_paddr < ph.p_memsz)
			return true;
	}
	return false;
}

/* Note alignment: 4 unless the segment or section asks for 8 (gABI). */
static uint64_t elf_note_align(uint64_t a)
{
	return a == 8 ? 8 : 4;
}

/*
 * PT_NOTE segments are authoritative; without any, fall back to SHT_NOTE
 * sections. A broken section table is ignored: sections are optional for
 * loading, and the loadable part was already validated.
 */
static int elf_find_pvh(const uint8_t *buf, size_t len, const Elf64_Ehdr *eh,
			struct elf_pvh *pvh, const char **err_msg)
{
	bool had_ptnote = false;
	int ret;

	for (unsigned int i = 0; i < eh->e_phnum; i++) {
		Elf64_Phdr ph;

		elf_phdr(buf, eh, i, &ph);
		if (ph.p_type != PT_NOTE)
			continue;
		if (!elf_range_in_file(ph.p_offset, ph.p_filesz, len)) {
			*err_msg = "kernel: ELF note segment lies outside the file";
			return -ENOEXEC;
		}
		had_ptnote = true;
		ret = elf_scan_notes(buf, ph.p_offset, ph.p_filesz,
				     elf_note_align(ph.p_align), pvh, err_msg);
		if (ret)
			return ret;
	}
	if (had_ptnote || eh->e_shentsize != sizeof(Elf64_Shdr) ||
	    !elf_range_in_file(eh->e_shoff,
			       (uint64_t)eh->e_shnum * sizeof(Elf64_Shdr), len))
		return 0;
	for (unsigned int i = 0; i < eh->e_shnum; i++) {
		Elf64_Shdr sh;

		memcpy(&sh, buf + eh->e_shoff + (uint64_t)i * sizeof(sh),
		       sizeof(sh));
		if (sh.sh_type != SHT_NOTE)
			continue;
		if (!elf_range_in_file(sh.sh_offset, sh.sh_size, len)) {
			*err_msg = "kernel: ELF note section lies outside the file";
			return -ENOEXEC;
		}
		ret = elf_scan_notes(buf, sh.sh_offset, sh.sh_size,
				     elf_note_align(sh.sh_addralign), pvh,
				     err_msg);
		if (ret)
			return ret;
	}
	return 0;
}

int x86_elf_load(const struct gmem *mem, const uint8_t *buf, size_t len,
		 struct x86_image *img, const char **err_msg)
{
	struct elf_pvh pvh = { 0 };
	uint64_t start = UINT64_MAX, end = 0;
	Elf64_Ehdr eh;
	int ret;

	if (len < sizeof(eh)) {
		*err_msg = "kernel: truncated ELF header";
		return -ENOEXEC;
	}
	memcpy(&eh, buf, sizeof(eh));
	ret = elf_check_ehdr(&eh, len, err_msg);
	if (ret)
		return ret;

	/* Validate every segment before the first byte reaches the guest. */
	for (unsigned int i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;

		elf_phdr(buf, &eh, i, &ph);
		if (ph.p_type != PT_LOAD || ph.p_memsz == 0)
			continue;
		ret = elf_check_load(mem, &ph, len, err_msg);
		if (ret)
			return ret;
		if (ph.p_paddr < start)
			start = ph.p_paddr;
		if (ph.p_paddr + ph.p_memsz > end)
			end = ph.p_paddr + ph.p_memsz;
	}
	if (end == 0) {
		*err_msg = "kernel: ELF file has no loadable segment";
		return -ENOEXEC;
	}
	ret = elf_find_pvh(buf, len, &eh, &pvh, err_msg);
	if (ret)
		return ret;

	img->protocol = pvh.found ? X86_BOOT_PVH : X86_BOOT_LINUX64;
	/* Linux links e_entry as a physical address (phys_startup_64). */
	img->entry = pvh.found ? pvh.entry : eh.e_entry;
	if (!elf_entry_loaded(buf, &eh, img->entry)) {
		*err_msg = "kernel: ELF entry point lies outside its loaded segments";
		return -ENOEXEC;
	}

	for (unsigned int i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;
		uint8_t *dst;

		elf_phdr(buf, &eh, i, &ph);
		if (ph.p_type != PT_LOAD || ph.p_memsz == 0)
			continue;
		/* Checked above; the range lies in one region. */
		dst = gmem_ptr(mem, gpa(ph.p_paddr), ph.p_memsz);
		if (!dst) {
			*err_msg = "kernel: an ELF segment lies outside guest memory";
			return -ENOMEM;
		}
		memcpy(dst, buf + ph.p_offset, ph.p_filesz);
		memset(dst + ph.p_filesz, 0, ph.p_memsz - ph.p_filesz);
	}

	img->start = start;
	img->end = end;
	img->cmdline_max = X86_ELF_CMDLINE_MAX;
	img->cmdline_err = "command line is longer than 2047 bytes (x86 Linux's COMMAND_LINE_SIZE)";
	/* ramdisk_image is 32 bits wide without ext_ramdisk_image. */
	img->initrd_end_max = 1ULL << 32;
	return 0;
}
