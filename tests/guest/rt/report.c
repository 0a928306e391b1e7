// SPDX-License-Identifier: Apache-2.0
/* tests/guest/rt/report.c: print boot information in the tests' format. */
#include "report.h"

#include "rt.h"

/* Longer than any command line a VMM should hand over; stops a runaway
 * print when the string is not terminated. */
#define REPORT_CMDLINE_MAX	8192

static void report_bad(const char *what, uint64_t addr)
{
	rt_puts("bad ");
	rt_puts(what);
	rt_putc(' ');
	rt_put_hex(addr, 16);
	rt_putc('\n');
}

void report_entry(unsigned int proto)
{
	static const char *const names[] = {
		[RT_BOOT_PVH] = "pvh",
		[RT_BOOT_LINUX32] = "linux32",
		[RT_BOOT_LINUX64] = "linux64",
	};

	rt_puts("entry ");
	rt_puts(proto < 4 && names[proto] ? names[proto] : "unknown");
	rt_putc('\n');
}

void report_cmdline(uint64_t paddr)
{
	const char *s = (const char *)paddr;
	unsigned int i;

	if (!paddr) {
		rt_puts("cmdline (none)\n");
		return;
	}
	if (!rt_is_mapped(paddr, REPORT_CMDLINE_MAX)) {
		report_bad("cmdline", paddr);
		return;
	}
	rt_puts("cmdline ");
	for (i = 0; i < REPORT_CMDLINE_MAX && s[i]; i++)
		rt_putc(s[i]);
	rt_putc('\n');
}

void report_mem(uint64_t addr, uint64_t size, uint32_t type, uint64_t *ram)
{
	rt_puts("mem ");
	rt_put_hex(addr, 16);
	rt_putc(' ');
	rt_put_hex(size, 16);
	rt_putc(' ');
	rt_put_dec(type);
	rt_putc('\n');
	if (type == 1)
		*ram += size;
}

void report_ram(uint64_t ram)
{
	rt_puts("ram ");
	rt_put_hex(ram, 0);
	rt_putc('\n');
}

void report_initrd(uint64_t addr, uint64_t size)
{
	const unsigned char *p = (const unsigned char *)addr;
	uint64_t i;

	if (!size) {
		rt_puts("initrd none\n");
		return;
	}
	if (!rt_is_mapped(addr, size)) {
		report_bad("initrd", addr);
		return;
	}
	rt_puts("initrd ");
	rt_put_hex(addr, 0);
	rt_putc(' ');
	rt_put_dec(size);
	rt_putc(' ');
	for (i = 0; i < 16 && i < size; i++)
		rt_put_hex(p[i], 2);
	rt_putc('\n');
	if (addr < (uint64_t)rt_image_end &&
	    addr + size > (uint64_t)rt_image_start)
		rt_puts("initrd overlaps image\n");
}

void report_cpuid(uint32_t ebx, uint32_t ecx)
{
	rt_puts("cpuid apic ");
	rt_put_dec(ebx >> 24);
	rt_puts(" hypervisor ");
	rt_put_dec(ecx >> 31);
	rt_puts(" tsc-deadline ");
	rt_put_dec((ecx >> 24) & 1);
	rt_putc('\n');
}
