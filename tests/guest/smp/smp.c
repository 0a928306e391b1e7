// SPDX-License-Identifier: Apache-2.0
/* tests/guest/smp/smp.c: lists the MP table's CPUs, then wakes the APs. */
#include "rt.h"

/* Intel MultiProcessor Specification 1.4, chapter 4. */
struct mpf {
	char signature[4];		/* "_MP_" */
	uint32_t physptr;		/* MP configuration table */
	uint8_t length;			/* in 16-byte units: 1 */
	uint8_t spec_rev;		/* 1 or 4 */
	uint8_t checksum;		/* all bytes sum to 0 */
	uint8_t feature[5];		/* feature[0] 0: a table is present */
};
_Static_assert(sizeof(struct mpf) == 16, "MP floating pointer layout");

struct mpc_table {
	char signature[4];		/* "PCMP" */
	uint16_t length;		/* base table, header included */
	uint8_t spec_rev;		/* 1 or 4 */
	uint8_t checksum;		/* base table sums to 0 */
	char oem[8];			/* OEM ID */
	char product[12];		/* product ID */
	uint32_t oem_ptr;		/* OEM table, 0: none */
	uint16_t oem_size;		/* its size */
	uint16_t count;			/* entries that follow (may be 0) */
	uint32_t lapic;			/* LAPIC MMIO base */
	uint16_t ext_length;		/* extended table size */
	uint8_t ext_checksum;		/* extended table checksum */
	uint8_t reserved;		/* zero */
};
_Static_assert(sizeof(struct mpc_table) == 44, "MP config header layout");

/* Base table entries: a processor takes 20 bytes, every other type 8. */
#define MP_PROCESSOR		0
#define MP_PROCESSOR_SIZE	20
#define MP_ENTRY_SIZE		8
#define MP_CPU_ENABLED		0x01	/* cpu_flags */
#define MP_CPU_BSP		0x02

#define SMP_MAX_CPUS		64	/* APIC IDs the mask below can hold */
#define SMP_TRAMP_ADDR		0x10000	/* SIPI page: free low RAM on ignis */

/* xAPIC registers (SDM vol. 3, 11.4.1). */
#define LAPIC_SVR		0x0f0
#define LAPIC_ICR_LO		0x300
#define LAPIC_ICR_HI		0x310
#define LAPIC_SVR_ENABLE	0x100
#define ICR_INIT_ALL_BUT_SELF	0x000c4500	/* INIT, assert, all-but-self */
#define ICR_SIPI_ALL_BUT_SELF	0x000c4600	/* | the start page number */

/* Time in TSC cycles; only order of magnitude matters (1-4 GHz hosts). */
#define SMP_INIT_DELAY		20000000ULL
#define SMP_AP_TIMEOUT		4000000000ULL

extern const char smp_tramp_start[], smp_tramp_mask[], smp_tramp_end[];

static uint8_t smp_sum(const void *p, uint32_t len)
{
	const uint8_t *b = p;
	uint8_t s = 0;

	while (len--)
		s += *b++;
	return s;
}

static const struct mpf *smp_scan(uint64_t start, uint64_t len)
{
	uint64_t a;

	for (a = start; a + sizeof(struct mpf) <= start + len; a += 16) {
		const struct mpf *f = (const struct mpf *)a;

		if (!memcmp(f->signature, "_MP_", 4) && f->length == 1 &&
		    !smp_sum(f, sizeof(*f)))
			return f;
	}
	return NULL;
}

/* The spec's search order: EBDA's first KiB, the last KiB of base memory
 * (where ignis puts it, 0x9fc00), then the BIOS ROM area. */
static const struct mpf *smp_find(void)
{
	const volatile uint16_t *bda_ebda = (const volatile uint16_t *)0x40e;
	const struct mpf *f = NULL;
	uint64_t ebda;

	/* Launder the constant: gcc 12 takes addresses below 4 KiB for
	 * null-pointer arithmetic and warns. */
	__asm__("" : "+r"(bda_ebda));
	ebda = (uint64_t)*bda_ebda << 4;
	if (ebda)
		f = smp_scan(ebda, 1024);
	if (!f)
		f = smp_scan(0x9fc00, 1024);
	if (!f)
		f = smp_scan(0xf0000, 0x10000);
	return f;
}

/* Prints the processors and returns their APIC IDs as a mask (0: none
 * or a broken table), the BSP's in (*bsp). */
static uint64_t smp_list(const struct mpc_table *t, unsigned int *bsp)
{
	const uint8_t *e = (const uint8_t *)(t + 1);
	const uint8_t *end = (const uint8_t *)t + t->length;
	unsigned int cpus = 0;
	uint64_t mask = 0;

	/* Walked by length, as Linux's smp_read_mpc() does: some tables
	 * (qboot's) leave the entry count 0. */
	while (e < end) {
		if (e[0] != MP_PROCESSOR) {
			e += MP_ENTRY_SIZE;
			continue;
		}
		if (e[3] & MP_CPU_ENABLED) {
			cpus++;
			rt_puts("cpu ");
			rt_put_dec(e[1]);
			if (e[3] & MP_CPU_BSP) {
				rt_puts(" bsp");
				*bsp = e[1];
			}
			rt_putc('\n');
			if (e[1] < SMP_MAX_CPUS)
				mask |= 1ULL << e[1];
		}
		e += MP_PROCESSOR_SIZE;
	}
	rt_puts("cpus ");
	rt_put_dec(cpus);
	rt_putc('\n');
	return mask;
}

static void smp_wait(uint64_t cycles)
{
	uint64_t t0 = rt_rdtsc();

	while (rt_rdtsc() - t0 < cycles)
		__asm__ volatile("pause");
}

/* INIT, then SIPI to every other CPU; each sets its bit in the
 * trampoline's mask. Prints "ap <id> up" for those that did. */
static void smp_wake(uint64_t lapic, uint64_t aps)
{
	volatile uint32_t *mask = (volatile uint32_t *)(SMP_TRAMP_ADDR +
		(smp_tramp_mask - smp_tramp_start));
	uint64_t t0, up = 0;
	unsigned int i;

	memcpy((void *)SMP_TRAMP_ADDR, smp_tramp_start,
	       (size_t)(smp_tramp_end - smp_tramp_start));
	rt_mmio_write32(lapic + LAPIC_SVR, LAPIC_SVR_ENABLE | 0xff);
	rt_mmio_write32(lapic + LAPIC_ICR_HI, 0);
	rt_mmio_write32(lapic + LAPIC_ICR_LO, ICR_INIT_ALL_BUT_SELF);
	smp_wait(SMP_INIT_DELAY);
	rt_mmio_write32(lapic + LAPIC_ICR_LO,
			ICR_SIPI_ALL_BUT_SELF | SMP_TRAMP_ADDR >> 12);
	t0 = rt_rdtsc();
	while ((up & aps) != aps && rt_rdtsc() - t0 < SMP_AP_TIMEOUT) {
		up = mask[0] | (uint64_t)mask[1] << 32;
		__asm__ volatile("pause");
	}
	for (i = 0; i < SMP_MAX_CPUS; i++) {
		if (!(aps & 1ULL << i))
			continue;
		rt_puts("ap ");
		rt_put_dec(i);
		rt_puts(up & 1ULL << i ? " up\n" : " timeout\n");
	}
}

void guest_main(unsigned int proto, uint64_t info)
{
	const struct mpf *f = smp_find();
	const struct mpc_table *t;
	unsigned int bsp = 0;
	uint64_t cpus;

	if (!f) {
		rt_puts("smp: no mp table\n");
		return;
	}
	rt_puts("smp: mp table at ");
	rt_put_hex((uint64_t)f, 0);
	rt_putc('\n');
	t = (const struct mpc_table *)(uint64_t)f->physptr;
	if (!rt_is_mapped(f->physptr, sizeof(*t)) ||
	    memcmp(t->signature, "PCMP", 4) ||
	    !rt_is_mapped(f->physptr, t->length) || smp_sum(t, t->length)) {
		rt_puts("smp: bad config table\n");
		return;
	}
	rt_puts("lapic ");
	rt_put_hex(t->lapic, 0);
	rt_putc('\n');
	cpus = smp_list(t, &bsp);
	/* The runtime maps only [3 GiB, 4 GiB) of the MMIO hole. */
	if (t->lapic < 0xc0000000U || t->lapic > 0xfffff000U) {
		rt_puts("smp: lapic not mapped\n");
		return;
	}
	if (cpus & ~(1ULL << bsp))
		smp_wake(t->lapic, cpus & ~(1ULL << bsp));
}
