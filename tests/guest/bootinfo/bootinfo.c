// SPDX-License-Identifier: Apache-2.0
/* tests/guest/bootinfo/bootinfo.c: prints the PVH start_info it was given. */
#include "report.h"
#include "rt.h"

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

/* More entries than this means a corrupt count, not a real map. */
#define BOOTINFO_MAX_MEMMAP	128

static void print_memmap(const struct hvm_start_info *si)
{
	const struct hvm_memmap_entry *e;
	uint64_t ram = 0;
	uint32_t i, n = si->memmap_entries;

	rt_puts("memmap ");
	rt_put_dec(n);
	rt_putc('\n');
	if (n > BOOTINFO_MAX_MEMMAP ||
	    !rt_is_mapped(si->memmap_paddr, n * sizeof(*e))) {
		rt_puts("bad memmap\n");
		return;
	}
	e = (const struct hvm_memmap_entry *)si->memmap_paddr;
	for (i = 0; i < n; i++)
		report_mem(e[i].addr, e[i].size, e[i].type, &ram);
	report_ram(ram);
}

static void print_modules(const struct hvm_start_info *si)
{
	const struct hvm_modlist_entry *m;

	rt_puts("modules ");
	rt_put_dec(si->nr_modules);
	rt_putc('\n');
	if (!si->nr_modules) {
		report_initrd(0, 0);
		return;
	}
	if (!rt_is_mapped(si->modlist_paddr, sizeof(*m))) {
		rt_puts("bad modlist\n");
		return;
	}
	m = (const struct hvm_modlist_entry *)si->modlist_paddr;
	report_initrd(m->paddr, m->size);
}

/* CPUID leaf 1 as the VMM set it, read at CPL0 (see report_cpuid()). */
static uint32_t cpuid1_ebx, cpuid1_ecx;

void rt_cpl0_hook(void)
{
	uint32_t eax = 1, ecx = 0, edx;

	__asm__ volatile("cpuid"
			 : "+a"(eax), "=b"(cpuid1_ebx), "+c"(ecx), "=d"(edx));
	cpuid1_ecx = ecx;
}

void guest_main(unsigned int proto, uint64_t info)
{
	const struct hvm_start_info *si = (const void *)info;

	report_entry(proto);
	report_cpuid(cpuid1_ebx, cpuid1_ecx);
	if (proto != RT_BOOT_PVH || !rt_is_mapped(info, sizeof(*si))) {
		rt_puts("bad start_info\n");
		return;
	}
	rt_puts("magic ");
	rt_put_hex(si->magic, 8);
	rt_puts(" version ");
	rt_put_dec(si->version);
	rt_putc('\n');
	if (si->magic != HVM_START_MAGIC)
		return;
	report_cmdline(si->cmdline_paddr);
	if (si->version >= 1)
		print_memmap(si);
	print_modules(si);
	rt_puts("rsdp ");
	rt_put_hex(si->rsdp_paddr, 0);
	rt_putc('\n');
}
