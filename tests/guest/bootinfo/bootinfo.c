// SPDX-License-Identifier: Apache-2.0
/* tests/guest/bootinfo/bootinfo.c: prints the PVH start_info it was given. */
#include "pvh.h"
#include "report.h"
#include "rt.h"

static void print_memmap(const struct hvm_start_info *si)
{
	uint64_t ram = 0;
	uint32_t i, n;
	const struct hvm_memmap_entry *e = pvh_memmap(si, &n);

	rt_puts("memmap ");
	rt_put_dec(n);
	rt_putc('\n');
	if (!e) {
		rt_puts("bad memmap\n");
		return;
	}
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
	const struct hvm_start_info *si = pvh_start_info(proto, info);

	report_entry(proto);
	report_cpuid(cpuid1_ebx, cpuid1_ecx);
	if (!si) {
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
