/* SPDX-License-Identifier: Apache-2.0 */
/* tests/guest/lib/pvh.h: the PVH boot's start_info, read by test guests. */
#ifndef IGNIS_GUEST_PVH_H
#define IGNIS_GUEST_PVH_H

#include <stdint.h>

/* xen/include/public/arch-x86/hvm/start_info.h, version 1. */
#define HVM_START_MAGIC	0x336ec578

struct hvm_start_info {
	uint32_t magic;			/* HVM_START_MAGIC */
	uint32_t version;		/* 1: has the memmap fields */
	uint32_t flags;			/* SIF_* */
	uint32_t nr_modules;		/* entries at modlist_paddr */
	uint64_t modlist_paddr;		/* struct hvm_modlist_entry[] */
	uint64_t cmdline_paddr;		/* NUL-terminated command line */
	uint64_t rsdp_paddr;		/* ACPI RSDP, 0: none */
	uint64_t memmap_paddr;		/* struct hvm_memmap_entry[] */
	uint32_t memmap_entries;	/* their count */
	uint32_t reserved;		/* must be zero */
};
_Static_assert(sizeof(struct hvm_start_info) == 56, "start_info v1 layout");

struct hvm_modlist_entry {
	uint64_t paddr;			/* module start */
	uint64_t size;			/* its size in bytes */
	uint64_t cmdline_paddr;		/* module command line, 0: none */
	uint64_t reserved;		/* must be zero */
};
_Static_assert(sizeof(struct hvm_modlist_entry) == 32, "modlist layout");

struct hvm_memmap_entry {
	uint64_t addr;			/* range start */
	uint64_t size;			/* range size */
	uint32_t type;			/* e820 type: 1 RAM, 2 reserved */
	uint32_t reserved;		/* must be zero */
};
_Static_assert(sizeof(struct hvm_memmap_entry) == 24, "memmap layout");

#define PVH_MEMMAP_RAM		1	/* hvm_memmap_entry.type: usable RAM */
/* More entries than this means a corrupt count, not a real map. */
#define PVH_MAX_MEMMAP		128

/*
 * The start_info of a PVH boot ((proto) RT_BOOT_PVH, (info) its
 * guest-physical address), or NULL for another boot protocol or one the
 * guest cannot reach. Its magic is the caller's to check.
 */
const struct hvm_start_info *pvh_start_info(unsigned int proto,
					    uint64_t info);

/*
 * The memory map of (si), a version 1 start_info, with its entries'
 * count in (*n); NULL for an older version, a count over PVH_MAX_MEMMAP
 * or a map the guest cannot reach.
 */
const struct hvm_memmap_entry *pvh_memmap(const struct hvm_start_info *si,
					  uint32_t *n);

#endif
