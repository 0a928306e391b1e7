/* SPDX-License-Identifier: Apache-2.0 */
/* tests/guest/rt/rt.h: test guest runtime: entry, ports, serial, reset. */
#ifndef IGNIS_GUEST_RT_H
#define IGNIS_GUEST_RT_H

#include <stddef.h>
#include <stdint.h>

/* Which entry point ran (the first argument of guest_main()). */
#define RT_BOOT_PVH	1	/* PVH: 32-bit, ebx = struct hvm_start_info */
#define RT_BOOT_LINUX32	2	/* Linux 32-bit protocol, esi = boot_params */
#define RT_BOOT_LINUX64	3	/* Linux 64-bit protocol, rsi = boot_params */

#define RT_COM1		0x3f8	/* 8250 UART data register */
#define RT_I8042_CMD	0x64	/* i8042 command port: 0xfe pulses reset */

/*
 * The guest's own code: runs at CPL3 with IOPL 3 and interrupts off, on
 * identity-mapped, user-accessible 2 MiB pages covering [0, 4 GiB), the
 * MMIO hole [3 GiB, 4 GiB) uncached. (proto) is an RT_BOOT_*
 * and (info) the boot structure's guest-physical address. Returning resets
 * the VM.
 */
void guest_main(unsigned int proto, uint64_t info);

/*
 * Optional: runs at CPL0 just before the drop to CPL3, on the stack that
 * guest_main() later gets, interrupts off, with the runtime's GDT, TSS and
 * empty IDT loaded. entry.S holds a weak no-op. CPL0 code is emulated on
 * some hosts (~1 us an instruction): keep it short. On PVM hosts an event
 * (interrupt, exception, int n) that arrives at CPL3 never reaches the
 * guest's IDT and ends the VM, so a guest that takes interrupts takes them
 * here, and returns with them off and their sources quiet.
 */
void rt_cpl0_hook(void);

/* First and last+1 byte of the loaded image (from the linker script). */
extern char rt_image_start[], rt_image_end[];

static inline void rt_outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline void rt_outw(uint16_t port, uint16_t v)
{
	__asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(port));
}

static inline void rt_outl(uint16_t port, uint32_t v)
{
	__asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t rt_inb(uint16_t port)
{
	uint8_t v;

	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline uint16_t rt_inw(uint16_t port)
{
	uint16_t v;

	__asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline uint32_t rt_inl(uint16_t port)
{
	uint32_t v;

	__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline uint32_t rt_mmio_read32(uint64_t addr)
{
	return *(volatile uint32_t *)addr;
}

static inline void rt_mmio_write32(uint64_t addr, uint32_t v)
{
	*(volatile uint32_t *)addr = v;
}

static inline uint64_t rt_rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

/* True if [addr, addr + len) lies in the identity map (below 4 GiB), so a
 * guest structure pointer from the VMM can be followed without faulting. */
static inline int rt_is_mapped(uint64_t addr, uint64_t len)
{
	return addr + len >= addr && addr + len <= (4ULL << 30);
}

/* Serial output on COM1, one port write per byte, no LSR polling: the
 * VMM's UART is always ready and each poll would be another VM exit. */
/* Little-endian fields read from a device's bytes (a PROBE buffer). */
static inline uint16_t rt_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static inline uint64_t rt_le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

void rt_putc(char c);
void rt_puts(const char *s);
/* Prints (v) as (digits) lowercase hex digits, zero-padded, no prefix;
 * (digits) 0 prints as many as (v) needs. */
void rt_put_hex(uint64_t v, unsigned int digits);
void rt_put_dec(uint64_t v);

/* Ends the VM: 0xfe to the i8042 command port, then ud2, which with an
 * empty IDT triple-faults a VMM that has no i8042. */
__attribute__((noreturn)) void rt_reset(void);

/* What the compiler may call even in freestanding code. */
void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);

#endif
