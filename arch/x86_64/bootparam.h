/* SPDX-License-Identifier: Apache-2.0 */
/* arch/x86_64/bootparam.h: Linux zero page and Xen PVH start_info layouts. */
#ifndef IGNIS_X86_BOOTPARAM_H
#define IGNIS_X86_BOOTPARAM_H

/*
 * Guest ABI, written from Linux's Documentation/arch/x86/boot.rst and
 * zero-page.rst and from Xen's public headers (arch-x86/hvm/start_info.h,
 * elfnote.h). Every struct is fixed-layout and checked below, because the
 * guest reads these bytes at the offsets its documents name.
 */

#include <stddef.h>
#include <stdint.h>

/* Linux boot protocol (boot.rst). */
#define BP_SETUP_HDR_OFFSET	0x1f1	/* header, in image and zero page */
#define BP_BOOT_FLAG		0xaa55	/* setup_header.boot_flag */
#define BP_HDRS_MAGIC		0x53726448	/* "HdrS", little-endian */
#define BP_SECTOR_SIZE		512	/* unit of setup_sects */
#define BP_DEFAULT_SETUP_SECTS	4	/* what setup_sects == 0 means */
#define BP_ENTRY64_OFFSET	0x200	/* 64-bit entry: load + this */
#define BP_LOADER_UNDEFINED	0xff	/* type_of_loader: no id */
#define BP_HEAP_END_PTR		0xfe00	/* heap end 0x10000 - 0x200 */
#define BP_KERNEL_ALIGNMENT	0x1000000	/* Firecracker's, for vmlinux */

/* setup_header.loadflags */
#define BP_LOADED_HIGH		0x01	/* pm code at 0x100000 */
#define BP_CAN_USE_HEAP		0x80	/* heap_end_ptr is valid */

/* setup_header.xloadflags (protocol 2.12+) */
#define BP_XLF_KERNEL_64	0x0001	/* 64-bit entry at +0x200 */
#define BP_XLF_ABOVE_4G		0x0002	/* may be loaded above 4G */

/* e820 types (ACPI address range types). */
#define BP_E820_RAM		1
#define BP_E820_RESERVED	2
#define BP_E820_MAX_ENTRIES	128	/* boot_params.e820_table */

/* The setup header: protocol 2.15's fields, in the image at 0x1f1. */
struct bp_setup_header {
	uint8_t setup_sects;		/* 512-byte setup sectors; 0 means 4 */
	uint16_t root_flags;		/* mount root read-only (obsolete) */
	uint32_t syssize;		/* protected-mode code size / 16 */
	uint16_t ram_size;		/* obsolete */
	uint16_t vid_mode;		/* video mode */
	uint16_t root_dev;		/* default root device (obsolete) */
	uint16_t boot_flag;		/* 0xaa55 */
	uint16_t jump;			/* jmp; its 2nd byte sizes the header */
	uint32_t header;		/* "HdrS" */
	uint16_t version;		/* protocol version, 0x020f = 2.15 */
	uint32_t realmode_swtch;	/* real-mode hook */
	uint16_t start_sys_seg;		/* obsolete */
	uint16_t kernel_version;	/* version string offset - 0x200 */
	uint8_t type_of_loader;		/* loader id; 0xff: undefined */
	uint8_t loadflags;		/* BP_LOADED_HIGH, BP_CAN_USE_HEAP */
	uint16_t setup_move_size;	/* obsolete */
	uint32_t code32_start;		/* 32-bit protocol's entry */
	uint32_t ramdisk_image;		/* initrd address */
	uint32_t ramdisk_size;		/* initrd bytes */
	uint32_t bootsect_kludge;	/* obsolete */
	uint16_t heap_end_ptr;		/* end of setup heap - 0x200 */
	uint8_t ext_loader_ver;		/* loader version extension */
	uint8_t ext_loader_type;	/* loader type extension */
	uint32_t cmd_line_ptr;		/* command line address */
	uint32_t initrd_addr_max;	/* last byte an initrd may occupy */
	uint32_t kernel_alignment;	/* alignment when relocated */
	uint8_t relocatable_kernel;	/* may load at another address */
	uint8_t min_alignment;		/* log2 least alignment (2.10+) */
	uint16_t xloadflags;		/* BP_XLF_* (2.12+) */
	uint32_t cmdline_size;		/* max cmdline, NUL excluded (2.06+) */
	uint32_t hardware_subarch;	/* 0: normal PC */
	uint64_t hardware_subarch_data;	/* subarch specific */
	uint32_t payload_offset;	/* compressed kernel, from pm code */
	uint32_t payload_length;	/* its bytes */
	uint64_t setup_data;		/* struct setup_data list; 0: none */
	uint64_t pref_address;		/* preferred load address (2.10+) */
	uint32_t init_size;		/* memory needed from load (2.10+) */
	uint32_t handover_offset;	/* EFI handover entry (2.11+) */
	uint32_t kernel_info_offset;	/* struct kernel_info (2.15+) */
} __attribute__((packed));

/* One e820 map entry, as the zero page holds it. */
struct bp_e820_entry {
	uint64_t addr;			/* first byte */
	uint64_t size;			/* bytes */
	uint32_t type;			/* BP_E820_* */
} __attribute__((packed));

/*
 * The zero page. Only the fields a loader fills are named; the rest are
 * opaque bytes that ignis leaves zero (the sentinel at 0x1ef included, so
 * the kernel trusts what it finds).
 */
struct bp_boot_params {
	uint8_t screen_info[0x40];	/* 0x000: console/video state */
	uint8_t pad_040[0x30];		/* 0x040: apm, tboot, ist */
	uint64_t acpi_rsdp_addr;	/* 0x070: RSDP; 0: search for it */
	uint8_t pad_078[0x48];		/* 0x078: drive, sys_desc, olpc */
	uint32_t ext_ramdisk_image;	/* 0x0c0: ramdisk_image >> 32 */
	uint32_t ext_ramdisk_size;	/* 0x0c4: ramdisk_size >> 32 */
	uint32_t ext_cmd_line_ptr;	/* 0x0c8: cmd_line_ptr >> 32 */
	uint8_t pad_0cc[0x11c];		/* 0x0cc: edid, efi, alt_mem_k */
	uint8_t e820_entries;		/* 0x1e8: used e820_table slots */
	uint8_t pad_1e9[6];		/* 0x1e9: edd, kbd, secure boot */
	uint8_t sentinel;		/* 0x1ef: set: loader copied junk */
	uint8_t pad_1f0;		/* 0x1f0 */
	struct bp_setup_header hdr;	/* 0x1f1: setup header */
	uint8_t pad_26c[0x64];		/* 0x26c: header growth, edd sigs */
	struct bp_e820_entry e820_table[BP_E820_MAX_ENTRIES];	/* 0x2d0 */
	uint8_t pad_cd0[0x330];		/* 0xcd0: eddbuf */
} __attribute__((packed));

/* Xen PVH (arch-x86/hvm/start_info.h, elfnote.h). */
#define PVH_START_MAGIC		0x336ec578	/* hvm_start_info.magic */
#define PVH_START_VERSION	1	/* has the memmap fields */
#define PVH_ELFNOTE_NAME	"Xen"	/* ELF note owner */
#define PVH_ELFNOTE_PHYS32_ENTRY 18	/* XEN_ELFNOTE_PHYS32_ENTRY */
#define PVH_MEMMAP_RAM		1	/* e820 numbering */
#define PVH_MEMMAP_RESERVED	2

/* What ebx points at on PVH entry. */
struct pvh_start_info {
	uint32_t magic;			/* PVH_START_MAGIC */
	uint32_t version;		/* PVH_START_VERSION */
	uint32_t flags;			/* SIF_*; 0 */
	uint32_t nr_modules;		/* entries at modlist_paddr */
	uint64_t modlist_paddr;		/* pvh_modlist_entry array */
	uint64_t cmdline_paddr;		/* NUL-terminated command line */
	uint64_t rsdp_paddr;		/* ACPI RSDP; 0: none */
	uint64_t memmap_paddr;		/* pvh_memmap_entry array (v1) */
	uint32_t memmap_entries;	/* its length (v1) */
	uint32_t reserved;		/* must be zero */
};

/* One module (the initrd). */
struct pvh_modlist_entry {
	uint64_t paddr;			/* module address */
	uint64_t size;			/* module bytes */
	uint64_t cmdline_paddr;		/* module command line; 0: none */
	uint64_t reserved;		/* must be zero */
};

/* One memory map entry. */
struct pvh_memmap_entry {
	uint64_t addr;			/* first byte */
	uint64_t size;			/* bytes */
	uint32_t type;			/* PVH_MEMMAP_* */
	uint32_t reserved;		/* must be zero */
};

/* Offsets as boot.rst's header table and zero-page.rst list them. */
#define BP_ASSERT_AT(type, field, off) \
	_Static_assert(offsetof(type, field) == (off), #type "." #field)
BP_ASSERT_AT(struct bp_setup_header, boot_flag, 0x1fe - 0x1f1);
BP_ASSERT_AT(struct bp_setup_header, header, 0x202 - 0x1f1);
BP_ASSERT_AT(struct bp_setup_header, version, 0x206 - 0x1f1);
BP_ASSERT_AT(struct bp_setup_header, type_of_loader, 0x210 - 0x1f1);
BP_ASSERT_AT(struct bp_setup_header, loadflags, 0x211 - 0x1f1);
BP_ASSERT_AT(struct bp_setup_header, code32_start, 0x214 - 0x1f1);
BP_ASSERT_AT(struct bp_setup_header, ramdisk_image, 0x218 - 0x1f1);
BP_ASSERT_AT(struct bp_setup_header, heap_end_ptr, 0x224 - 0x1f1);
BP_ASSERT_AT(struct bp_setup_header, cmd_line_ptr, 0x228 - 0x1f1);
BP_ASSERT_AT(struct bp_setup_header, initrd_addr_max, 0x22c - 0x1f1);
BP_ASSERT_AT(struct bp_setup_header, relocatable_kernel, 0x234 - 0x1f1);
BP_ASSERT_AT(struct bp_setup_header, xloadflags, 0x236 - 0x1f1);
BP_ASSERT_AT(struct bp_setup_header, cmdline_size, 0x238 - 0x1f1);
BP_ASSERT_AT(struct bp_setup_header, payload_offset, 0x248 - 0x1f1);
BP_ASSERT_AT(struct bp_setup_header, setup_data, 0x250 - 0x1f1);
BP_ASSERT_AT(struct bp_setup_header, pref_address, 0x258 - 0x1f1);
BP_ASSERT_AT(struct bp_setup_header, init_size, 0x260 - 0x1f1);
BP_ASSERT_AT(struct bp_setup_header, kernel_info_offset, 0x268 - 0x1f1);
_Static_assert(sizeof(struct bp_setup_header) == 0x26c - 0x1f1,
	       "setup_header ends at 0x26c");
_Static_assert(sizeof(struct bp_e820_entry) == 20, "e820 entry");
BP_ASSERT_AT(struct bp_boot_params, acpi_rsdp_addr, 0x070);
BP_ASSERT_AT(struct bp_boot_params, ext_ramdisk_image, 0x0c0);
BP_ASSERT_AT(struct bp_boot_params, ext_cmd_line_ptr, 0x0c8);
BP_ASSERT_AT(struct bp_boot_params, e820_entries, 0x1e8);
BP_ASSERT_AT(struct bp_boot_params, sentinel, 0x1ef);
BP_ASSERT_AT(struct bp_boot_params, hdr, BP_SETUP_HDR_OFFSET);
BP_ASSERT_AT(struct bp_boot_params, e820_table, 0x2d0);
_Static_assert(sizeof(struct bp_boot_params) == 4096, "zero page");
BP_ASSERT_AT(struct pvh_start_info, modlist_paddr, 16);
BP_ASSERT_AT(struct pvh_start_info, memmap_paddr, 40);
_Static_assert(sizeof(struct pvh_start_info) == 56, "start_info v1");
_Static_assert(sizeof(struct pvh_modlist_entry) == 32, "modlist entry");
_Static_assert(sizeof(struct pvh_memmap_entry) == 24, "memmap entry");

#endif
