/* SPDX-License-Identifier: Apache-2.0 */
/* tests/guest/rt/report.h: print boot information in the tests' format. */
#ifndef IGNIS_GUEST_REPORT_H
#define IGNIS_GUEST_REPORT_H

#include <stdint.h>

/*
 * Lines the integration tests parse (tests/integration/test_guests.c):
 *   entry pvh|linux32|linux64
 *   cmdline <string>           (or "cmdline (none)")
 *   mem <addr:16 hex> <size:16 hex> <type>
 *   ram <sum of type-1 sizes:hex>
 *   initrd <addr:hex> <size:dec> <first 16 bytes:hex>   (or "initrd none")
 * A pointer the guest cannot follow prints "bad <what> <addr>" instead.
 */

/* Prints "entry ..." for (proto), an RT_BOOT_*. */
void report_entry(unsigned int proto);

/* Prints the NUL-terminated command line at guest-physical (paddr). */
void report_cmdline(uint64_t paddr);

/* Prints one memory map entry and adds type-1 (RAM) sizes to (*ram). */
void report_mem(uint64_t addr, uint64_t size, uint32_t type, uint64_t *ram);

/* Prints the "ram" total. */
void report_ram(uint64_t ram);

/* Prints the initrd at (addr, size); size 0 means none. Also reports
 * "initrd overlaps image" when the VMM put it on top of this guest. */
void report_initrd(uint64_t addr, uint64_t size);

/* Prints "cpuid apic N hypervisor B tsc-deadline B" from the EBX and ECX
 * of CPUID leaf 1. Execute CPUID at CPL0 (rt_cpl0_hook): on PVM hosts a
 * CPUID at CPL3 runs on the host CPU and reports the host's values. */
void report_cpuid(uint32_t ebx, uint32_t ecx);

#endif
