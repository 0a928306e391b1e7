// SPDX-License-Identifier: Apache-2.0
/* tests/arch/x86_64/test_mptable.c: the MP table, read back as a guest would. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/layout.h"
#include "vmm/gmem.h"

/*
 * The table is parsed here by byte offsets from the MP spec 1.4, not with
 * mptable.c's structs, so that a wrong struct layout cannot hide itself.
 */
#define MP_AREA_END (X86_EBDA_START + 1024)
#define MPF_SIZE 16
#define MPC_HDR_SIZE 44

static struct gmem mem;

static void mem_setup(uint64_t start, uint64_t size)
{
	struct gmem_region r = { .start = gpa(start), .size = size };

	cr_assert_eq(gmem_create(&mem, &r, 1), 0);
}

static void mem_1m(void)
{
	mem_setup(0, 1 << 20);
}

static void mem_teardown(void)
{
	gmem_destroy(&mem);
}

static uint8_t *at(uint64_t addr, uint64_t len)
{
	uint8_t *p = gmem_ptr(&mem, gpa(addr), len);

	cr_assert_not_null(p, "guest range %#lx+%lu", (unsigned long)addr,
			   (unsigned long)len);
	return p;
}

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint8_t sum8(const uint8_t *p, size_t len)
{
	uint8_t s = 0;

	while (len--)
		s += *p++;
	return s;
}

static size_t entry_size(uint8_t type)
{
	switch (type) {
	case 0:
		return 20; /* processor */
	case 1: /* bus */
	case 2: /* I/O APIC */
	case 3: /* I/O interrupt */
	case 4: /* local interrupt */
		return 8;
	default:
		return 0;
	}
}

/* What a walk of the base table found. */
struct mp_seen {
	unsigned int entries; /* all entries */
	unsigned int cpus; /* processor entries */
	unsigned int bsps; /* ... with the BP flag */
	uint8_t cpu_ids[256]; /* their APIC IDs, in order */
	unsigned int buses; /* bus entries */
	unsigned int ioapics; /* I/O APIC entries */
	uint8_t ioapic_id; /* the last one's ID */
	unsigned int intsrcs; /* I/O interrupt entries */
	unsigned int lintsrcs; /* local interrupt entries */
	uint64_t end; /* guest address after the table */
};

/* Checks the floating pointer and the header, then walks every entry. */
static void mp_parse(struct mp_seen *s)
{
	const uint8_t *mpf = at(X86_EBDA_START, MPF_SIZE);
	const uint8_t *hdr, *p;
	uint32_t table;
	uint16_t len;
	size_t off;

	memset(s, 0, sizeof(*s));
	cr_assert_eq(memcmp(mpf, "_MP_", 4), 0);
	cr_assert_eq(mpf[8], 1, "length in paragraphs");
	cr_assert_eq(mpf[9], 4, "spec rev 1.4");
	cr_assert_eq(sum8(mpf, MPF_SIZE), 0, "floating pointer checksum");
	cr_assert_eq(mpf[11], 0, "feature1: table present");
	cr_assert_eq(mpf[12] & 0x80, 0, "virtual-wire mode");

	table = rd32(mpf + 4);
	cr_assert_eq(table, X86_EBDA_START + MPF_SIZE);
	hdr = at(table, MPC_HDR_SIZE);
	len = rd16(hdr + 4);
	cr_assert_eq(memcmp(hdr, "PCMP", 4), 0);
	cr_assert_eq(hdr[6], 4, "spec rev 1.4");
	cr_assert_geq(len, MPC_HDR_SIZE);
	cr_assert_leq(table + len, MP_AREA_END, "table within the KiB");
	hdr = at(table, len);
	cr_assert_eq(sum8(hdr, len), 0, "base table checksum");
	cr_assert_eq(rd32(hdr + 36), X86_LAPIC_ADDR);
	cr_assert_eq(rd16(hdr + 40), 0, "no extended table");

	for (off = MPC_HDR_SIZE; off < len; off += entry_size(p[0])) {
		p = hdr + off;
		cr_assert_neq(entry_size(p[0]), 0, "entry type %u", p[0]);
		cr_assert_leq(off + entry_size(p[0]), len);
		s->entries++;
		switch (p[0]) {
		case 0:
			cr_assert_eq(p[2], 0x14, "LAPIC version");
			cr_assert(p[3] & 1, "enabled");
			if (p[3] & 2)
				s->bsps++;
			s->cpu_ids[s->cpus++] = p[1];
			break;
		case 1:
			cr_assert_eq(p[1], 0);
			cr_assert_eq(memcmp(p + 2, "ISA   ", 6), 0);
			s->buses++;
			break;
		case 2:
			cr_assert_eq(p[2], 0x11, "IOAPIC version");
			cr_assert(p[3] & 1, "enabled");
			cr_assert_eq(rd32(p + 4), X86_IOAPIC_ADDR);
			s->ioapic_id = p[1];
			s->ioapics++;
			break;
		case 3:
			s->intsrcs++;
			break;
		case 4:
			s->lintsrcs++;
			break;
		}
	}
	cr_assert_eq(off, len, "entries end exactly at the table's length");
	cr_assert_eq(rd16(hdr + 34), s->entries, "entry count");
	s->end = table + len;
}

static void check_cpus(unsigned int nr)
{
	struct mp_seen s;

	cr_assert_eq(x86_mptable_write(&mem, nr), 0);
	mp_parse(&s);
	cr_assert_eq(s.cpus, nr);
	cr_assert_eq(s.bsps, 1);
	for (unsigned int i = 0; i < nr; i++) {
		cr_assert_eq(s.cpu_ids[i], i);
		cr_assert_neq(s.cpu_ids[i], s.ioapic_id, "IOAPIC ID clash");
	}
	cr_assert_eq(s.buses, 1);
	cr_assert_eq(s.ioapics, 1);
	cr_assert_eq(s.intsrcs, X86_IOAPIC_PINS);
	cr_assert_eq(s.lintsrcs, 2);
	cr_assert_geq(s.end, X86_EBDA_START);
	cr_assert_leq(s.end, MP_AREA_END);
}

TestSuite(mptable, .init = mem_1m, .fini = mem_teardown);

Test(mptable, one_cpu)
{
	check_cpus(1);
}

Test(mptable, two_cpus)
{
	check_cpus(2);
}

Test(mptable, max_cpus)
{
	check_cpus(x86_mptable_max_cpus());
}

Test(mptable, max_is_what_fits)
{
	unsigned int max = x86_mptable_max_cpus();
	/* floating pointer, header, bus, IOAPIC, 24 IRQs, 2 LINTs */
	size_t fixed = 16 + 44 + 8 + 8 + X86_IOAPIC_PINS * 8 + 2 * 8;

	cr_assert_geq(max, 32, "at least as many as Firecracker");
	cr_assert_leq(fixed + max * 20, 1024);
	cr_assert_gt(fixed + (max + 1) * 20, 1024);
}

Test(mptable, bsp_is_cpu0)
{
	const uint8_t *cpu0 = at(X86_EBDA_START + MPF_SIZE + MPC_HDR_SIZE, 20);

	cr_assert_eq(x86_mptable_write(&mem, 4), 0);
	cr_assert_eq(cpu0[0], 0, "first entry is a processor");
	cr_assert_eq(cpu0[1], 0);
	cr_assert_eq(cpu0[3], 3, "enabled | BSP");
	cr_assert_eq(cpu0[20 + 3], 1, "cpu 1 enabled, not BSP");
}

Test(mptable, irq_routing)
{
	const uint8_t *hdr = at(X86_EBDA_START + MPF_SIZE, MPC_HDR_SIZE);
	unsigned int nr = 3, irq = 0, lint = 0;
	uint8_t ioapic_id = 0;
	uint16_t len;

	cr_assert_eq(x86_mptable_write(&mem, nr), 0);
	len = rd16(hdr + 4);
	hdr = at(X86_EBDA_START + MPF_SIZE, len);
	for (size_t off = MPC_HDR_SIZE; off < len;
	     off += entry_size(hdr[off])) {
		const uint8_t *p = hdr + off;

		if (p[0] == 2)
			ioapic_id = p[1];
		if (p[0] == 3) {
			cr_assert_eq(p[1], 0, "INT");
			cr_assert_eq(rd16(p + 2), 0, "conforms to bus");
			cr_assert_eq(p[4], 0, "ISA bus");
			cr_assert_eq(p[5], irq, "source IRQ");
			cr_assert_eq(p[6], ioapic_id, "to the IOAPIC");
			cr_assert_eq(p[7], irq, "IRQ i on pin i");
			irq++;
		}
		if (p[0] == 4) {
			cr_assert_eq(p[1], lint == 0 ? 3 : 1, "ExtINT, NMI");
			cr_assert_eq(p[6], 0xff, "all local APICs");
			cr_assert_eq(p[7], lint, "LINT0, LINT1");
			lint++;
		}
	}
	cr_assert_eq(ioapic_id, nr);
	cr_assert_eq(irq, X86_IOAPIC_PINS);
	cr_assert_eq(lint, 2);
}

Test(mptable, rejects_zero_and_too_many)
{
	const uint8_t *area = at(X86_EBDA_START, 1024);

	cr_assert_eq(x86_mptable_write(&mem, 0), -EINVAL);
	cr_assert_eq(x86_mptable_write(&mem, x86_mptable_max_cpus() + 1),
		     -E2BIG);
	cr_assert_eq(x86_mptable_write(&mem, 255), -E2BIG);
	cr_assert_eq(x86_mptable_write(&mem, ~0u), -E2BIG);
	for (size_t i = 0; i < 1024; i++)
		cr_assert_eq(area[i], 0, "nothing written on error");
}

Test(mptable, rewrite_leaves_no_stale_bytes)
{
	struct mp_seen s;
	const uint8_t *area = at(X86_EBDA_START, 1024);

	cr_assert_eq(x86_mptable_write(&mem, x86_mptable_max_cpus()), 0);
	cr_assert_eq(x86_mptable_write(&mem, 1), 0);
	mp_parse(&s);
	cr_assert_eq(s.cpus, 1);
	for (uint64_t a = s.end; a < MP_AREA_END; a++)
		cr_assert_eq(area[a - X86_EBDA_START], 0);
}

Test(mptable_mem, small_guest_is_an_error)
{
	mem_setup(0, 256 << 10);
	cr_assert_eq(x86_mptable_write(&mem, 1), -EFAULT);
	mem_teardown();
}

Test(mptable_mem, ram_ending_below_the_ebda_page)
{
	mem_setup(0, 0x9f000);
	cr_assert_eq(x86_mptable_write(&mem, 2), -EFAULT);
	mem_teardown();
}

Test(mptable_mem, ram_holding_just_the_ebda_page)
{
	struct mp_seen s;

	mem_setup(0x9f000, 0x1000);
	cr_assert_eq(x86_mptable_write(&mem, 2), 0);
	mp_parse(&s);
	cr_assert_eq(s.cpus, 2);
	mem_teardown();
}
