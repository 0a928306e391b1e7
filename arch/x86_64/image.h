/* SPDX-License-Identifier: Apache-2.0 */
/* arch/x86_64/image.h: kernel image parsers (ELF, bzImage) used by boot.c. */
#ifndef IGNIS_X86_IMAGE_H
#define IGNIS_X86_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "arch/x86_64/boot.h"
#include "arch/x86_64/bootparam.h"
#include "vmm/gmem.h"

/*
 * The boot page tables identity-map this much with 2 MiB pages (as
 * Firecracker does); a kernel entered by the 64-bit protocol must lie below.
 */
#define X86_IDENTITY_MAP_END	(1ULL << 30)

/* Linux's COMMAND_LINE_SIZE on x86 counts the NUL: 2047 characters. */
#define X86_ELF_CMDLINE_MAX	2047

/* What loading an image learnt about it. */
struct x86_image {
	enum x86_boot_protocol protocol;	/* how to enter it */
	uint64_t entry;			/* guest-physical entry point */
	uint64_t start;			/* first byte the kernel occupies */
	uint64_t end;			/* last + 1, init_size included */
	uint64_t cmdline_max;		/* longest cmdline, NUL excluded */
	const char *cmdline_err;	/* message when that is exceeded */
	uint64_t initrd_end_max;	/* an initrd ends at or below it */
	struct bp_setup_header hdr;	/* bzImage: its header, else 0 */
	bool is_bzimage;		/* hdr came from the image */
};

/* Whether (buf, len) starts like an ELF file / a bzImage. */
bool x86_elf_is(const void *buf, size_t len);
bool x86_bzimage_is(const void *buf, size_t len);

/*
 * Validate the ELF64 x86_64 executable (buf, len), copy every PT_LOAD to
 * its physical address in (mem), zero its bss, and describe it in (img):
 * PVH when it carries XEN_ELFNOTE_PHYS32_ENTRY, else the 64-bit protocol at
 * e_entry. Validates everything before writing guest memory. Returns 0 or
 * -errno with (*err_msg) set.
 */
int x86_elf_load(const struct gmem *mem, const uint8_t *buf, size_t len,
		 struct x86_image *img, const char **err_msg);

/*
 * Validate the bzImage (buf, len), copy its protected-mode kernel to
 * pref_address (or the lowest aligned address from 1 MiB) in the first
 * guest RAM region below X86_IDENTITY_MAP_END, and describe it in (img),
 * setup header included. Returns 0 or -errno with (*err_msg) set.
 */
int x86_bzimage_load(const struct gmem *mem, const uint8_t *buf, size_t len,
		     struct x86_image *img, const char **err_msg);

#endif
