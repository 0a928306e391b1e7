// SPDX-License-Identifier: Apache-2.0
/* tests/arch/x86_64/test_acpi.c: the ACPI tables, read back as a guest would. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "arch/x86_64/acpi.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/layout.h"

/*
 * Parsed by byte offsets from ACPI 6.5 (5.2.5.3 RSDP, 5.2.6 header, 5.2.9
 * FADT, 5.2.12 MADT, 20.2 AML, 6.4 resource descriptors), not with acpi.c's
 * structs, so that a wrong struct layout cannot hide itself. Then iasl, the
 * reference compiler, disassembles every table and compiles it back, and
 * acpiexec (ACPICA's interpreter, Linux's too) evaluates each device's _CRS.
 */
#define HDR_LEN 36
#define FADT_LEN 276
#define MAX_DEVS (ACPI_MAX_MMIO_DEVS + 4)
#define SETUP_HINT "install acpica-tools (scripts/setup.sh does)"
#define PRT_ROWS (32 * 4) /* every slot of bus 0, INTA..INTD */

/* A build into a buffer of its own, guest-addressed at X86_ACPI_START. */
struct built {
	uint8_t *buf; /* X86_ACPI_SIZE bytes */
	int len; /* what acpi_build() returned */
	uint64_t rsdp; /* its RSDP */
	const struct acpi_desc *d; /* what was described */
};

/* An address space descriptor (6.4.3.5), every field as found. */
struct win {
	uint8_t tag; /* 0x87 DWord, 0x88 Word, 0x8a QWord */
	uint8_t type; /* 0 memory, 2 bus number */
	uint8_t gflags; /* General Flags */
	uint8_t tflags; /* Type Specific Flags */
	uint64_t gran, min, max, tra, len; /* the five numbers */
};

/* One device as the DSDT walk found it. */
struct dev {
	char name[5]; /* NameSeg */
	uint32_t hid_eisa; /* _HID as an EISA ID integer, or 0 */
	uint32_t cid_eisa; /* _CID as an EISA ID integer, or 0 */
	int64_t seg, bbn; /* _SEG, _BBN; -1: none */
	unsigned int nr_win; /* address space descriptors */
	struct win win[4]; /* in template order */
	char hid_str[16]; /* _HID as a string, or "" */
	int64_t uid; /* _UID, -1: none */
	unsigned int nr_io; /* I/O port descriptors */
	uint16_t io_base[2], io_len[2]; /* their ranges */
	uint16_t irq_mask; /* IRQNoFlags() mask, 0: none */
	uint32_t mem_base, mem_len; /* Memory32Fixed, 0: none */
	int mem_rw; /* its ReadWrite bit */
	uint8_t ext_flags; /* Interrupt() flags */
	int64_t gsi; /* Interrupt() number, -1: none */
	const uint8_t *prt; /* _PRT's Package (its PackageOp), or NULL */
};

/* One _PRT row (6.2.13), every field as found. */
struct prt_row {
	uint64_t addr; /* slot << 16 | function, 0xFFFF: any */
	uint64_t pin; /* 0 INTA .. 3 INTD */
	uint64_t src; /* 0: hard-wired, no link device */
	uint64_t gsi; /* Source Index */
};

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)rd16(p) | (uint32_t)rd16(p + 2) << 16;
}

static uint64_t rd64(const uint8_t *p)
{
	return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

static uint8_t sum8(const uint8_t *p, size_t len)
{
	uint8_t s = 0;

	while (len--)
		s += *p++;
	return s;
}

static void build(struct built *b, const struct acpi_desc *d)
{
	b->buf = malloc(X86_ACPI_SIZE);
	cr_assert_not_null(b->buf);
	memset(b->buf, 0xa5, X86_ACPI_SIZE);
	b->d = d;
	b->rsdp = 0;
	b->len = acpi_build(b->buf, X86_ACPI_SIZE, X86_ACPI_START, d, &b->rsdp);
	cr_assert_gt(b->len, 0, "acpi_build: %d", b->len);
	cr_assert_leq(b->len, X86_ACPI_SIZE);
}

/* The bytes at guest address (gpa), which must lie in what was built. */
static const uint8_t *at(const struct built *b, uint64_t gpa, uint64_t len)
{
	cr_assert(gpa >= X86_ACPI_START &&
			  gpa - X86_ACPI_START <= (uint64_t)b->len &&
			  len <= b->len - (gpa - X86_ACPI_START),
		  "guest range %#lx+%lu is outside the tables",
		  (unsigned long)gpa, (unsigned long)len);
	return b->buf + (gpa - X86_ACPI_START);
}

/* A table with a header at (gpa): its signature, length and checksum. */
static const uint8_t *table(const struct built *b, uint64_t gpa,
			    const char *sig, uint8_t rev)
{
	const uint8_t *t = at(b, gpa, HDR_LEN);
	uint32_t len = rd32(t + 4);

	cr_assert_eq(memcmp(t, sig, 4), 0, "signature %.4s, want %s", t, sig);
	cr_assert_eq(gpa % 16, 0, "%s is paragraph-aligned", sig);
	cr_assert_geq(len, HDR_LEN);
	t = at(b, gpa, len);
	cr_assert_eq(t[8], rev, "%s revision %u, want %u", sig, t[8], rev);
	cr_assert_eq(sum8(t, len), 0, "%s checksum", sig);
	cr_assert_eq(memcmp(t + 10, "IGNIS ", 6), 0, "%s OEM ID", sig);
	return t;
}

/* The RSDP: where the legacy scan finds it, both checksums, the XSDT. */
static uint64_t check_rsdp(const struct built *b)
{
	const uint8_t *r;

	cr_assert_eq(b->rsdp, X86_ACPI_START);
	cr_assert_eq(b->rsdp % 16, 0, "on a 16-byte boundary (5.2.5.1)");
	cr_assert(b->rsdp >= 0xe0000 && b->rsdp + 36 <= 0x100000,
		  "in the BIOS area the legacy scan covers");
	r = at(b, b->rsdp, 36);
	cr_assert_eq(memcmp(r, "RSD PTR ", 8), 0);
	cr_assert_eq(sum8(r, 20), 0, "checksum of the first 20 bytes");
	cr_assert_eq(r[15], 2, "revision 2");
	cr_assert_eq(rd32(r + 16), 0, "no RSDT");
	cr_assert_eq(rd32(r + 20), 36, "length");
	cr_assert_eq(sum8(r, 36), 0, "extended checksum");
	cr_assert_eq(memcmp(r + 33, "\0\0\0", 3), 0, "reserved");
	return rd64(r + 24);
}

/*
 * The MCFG by its offsets (PCI Firmware 3.0, 4.1.2): revision 1, 8
 * reserved bytes, then exactly one allocation: the ECAM of segment 0,
 * buses 0 to 0.
 */
static void check_mcfg(const struct built *b, uint64_t gpa)
{
	const uint8_t *m = table(b, gpa, "MCFG", 1);

	cr_assert_eq(rd32(m + 4), 60, "header, reserved, one allocation");
	cr_assert_eq(rd64(m + 36), 0, "reserved");
	cr_assert_eq(rd64(m + 44), b->d->pci->ecam_base, "ECAM base");
	cr_assert_eq(rd16(m + 52), 0, "segment group 0");
	cr_assert_eq(m[54], 0, "start bus");
	cr_assert_eq(m[55], 0, "end bus");
	cr_assert_eq(rd32(m + 56), 0, "reserved");
}

/* Every XSDT entry is a valid table; returns the FADT and MADT. */
static void check_xsdt(const struct built *b, uint64_t xsdt, uint64_t *fadt,
		       uint64_t *madt)
{
	const uint8_t *x = table(b, xsdt, "XSDT", 1);
	uint32_t n = (rd32(x + 4) - HDR_LEN) / 8;

	cr_assert_eq((rd32(x + 4) - HDR_LEN) % 8, 0);
	cr_assert_eq(n, 2u + b->d->has_iommu + !!b->d->pci, "XSDT entries");
	*fadt = *madt = 0;
	for (uint32_t i = 0; i < n; i++) {
		uint64_t t = rd64(x + HDR_LEN + 8 * i);
		const uint8_t *h = at(b, t, HDR_LEN);

		/* table() checks the checksum of whatever it points at. */
		if (!memcmp(h, "FACP", 4))
			*fadt = t;
		else if (!memcmp(h, "APIC", 4))
			*madt = t;
		else if (!memcmp(h, "VIOT", 4) && b->d->has_iommu)
			; /* check_viot() */
		else if (!memcmp(h, "MCFG", 4) && b->d->pci)
			check_mcfg(b, t);
		else
			cr_assert_fail("unexpected table %.4s", h);
		at(b, t, rd32(h + 4));
		cr_assert_eq(sum8(at(b, t, rd32(h + 4)), rd32(h + 4)), 0);
	}
	cr_assert_neq(*fadt, 0, "a FADT");
	cr_assert_neq(*madt, 0, "an MADT");
}

/* The FADT: hardware-reduced, X_DSDT, boot flags, reset register. */
static uint64_t check_fadt(const struct built *b, uint64_t gpa)
{
	const uint8_t *f = table(b, gpa, "FACP", 6);
	uint32_t flags = rd32(f + 112);
	uint16_t boot = rd16(f + 109);

	cr_assert_eq(rd32(f + 4), FADT_LEN, "ACPI 6.x FADT length");
	cr_assert_eq(f[131], 5, "FADT minor version 5 (ACPI 6.5)");
	cr_assert(flags & (1u << 20), "HW_REDUCED_ACPI");
	cr_assert_eq(rd32(f + 36), 0, "no FACS");
	cr_assert_eq(rd64(f + 132), 0, "no X_FACS");
	cr_assert_eq(rd32(f + 40), 0, "DSDT (32-bit) unused");
	cr_assert_eq(rd16(f + 46), 0, "no SCI");
	cr_assert(boot & (1u << 2), "VGA Not Present");
	if (b->d->i8042) {
		cr_assert(boot & (1u << 1), "8042");
		cr_assert(flags & (1u << 10), "RESET_REG_SUP");
		cr_assert_eq(f[116], 1, "RESET_REG in System I/O");
		cr_assert_eq(f[117], 8, "8 bits");
		cr_assert_eq(f[118], 0, "offset 0");
		cr_assert_eq(f[119], 1, "byte access");
		cr_assert_eq(rd64(f + 120), 0x64, "the 8042's command port");
		cr_assert_eq(f[128], 0xfe, "RESET_VALUE: pulse reset");
	} else {
		cr_assert_eq(boot & (1u << 1), 0);
		cr_assert_eq(flags & (1u << 10), 0);
	}
	cr_assert_eq(!!(boot & (1u << 5)), !b->d->rtc, "CMOS RTC Not Present");
	return rd64(f + 140);
}

/* The MADT: one enabled LAPIC per vCPU (APIC ID = UID = index), one I/O
 * APIC with its own ID at GSI 0, LINT1 NMI, entries filling the table. */
static void check_madt(const struct built *b, uint64_t gpa)
{
	const uint8_t *m = table(b, gpa, "APIC", 6);
	const struct acpi_desc *d = b->d;
	unsigned int cpus = 0, ioapics = 0, nmis = 0;
	uint32_t len = rd32(m + 4), off;

	cr_assert_eq(rd32(m + 36), 0xfee00000, "local APIC address");
	cr_assert_eq(rd32(m + 40), 1, "PCAT_COMPAT");
	for (off = 44; off < len; off += m[off + 1]) {
		const uint8_t *e = m + off;

		cr_assert_geq(e[1], 2, "entry length");
		cr_assert_leq(off + e[1], len, "entry within the table");
		switch (e[0]) {
		case 0:
			cr_assert_eq(e[1], 8);
			cr_assert_eq(e[2], cpus, "processor UID");
			cr_assert_eq(e[3], cpus, "APIC ID as cpuid.c gives it");
			cr_assert_eq(rd32(e + 4), 1, "enabled");
			cr_assert_neq(e[3], d->ioapic_id, "APIC ID clash");
			cpus++;
			break;
		case 1:
			cr_assert_eq(e[1], 12);
			cr_assert_eq(e[2], d->ioapic_id, "I/O APIC ID");
			cr_assert_eq(rd32(e + 4), 0xfec00000);
			cr_assert_eq(rd32(e + 8), 0, "GSI base");
			ioapics++;
			break;
		case 4:
			cr_assert_eq(e[1], 6);
			cr_assert_eq(e[2], 0xff, "every processor");
			cr_assert_eq(e[5], 1, "LINT1");
			nmis++;
			break;
		default:
			cr_assert_fail("unexpected MADT entry type %u", e[0]);
		}
	}
	cr_assert_eq(off, len, "entries end exactly at the table's length");
	cr_assert_eq(cpus, d->nr_cpus);
	cr_assert_eq(ioapics, 1);
	cr_assert_eq(nmis, 1);
}

/* A PkgLength (20.2.4) at (p): returns its byte count, sets (*len). */
static unsigned int pkg_len(const uint8_t *p, size_t *len)
{
	unsigned int n = (p[0] >> 6) + 1;

	if (n == 1) {
		*len = p[0] & 0x3f;
		return 1;
	}
	cr_assert_eq(p[0] & 0x30, 0, "PkgLength lead byte bits 5-4 are 0");
	*len = p[0] & 0xf;
	for (unsigned int i = 1; i < n; i++)
		*len |= (size_t)p[i] << (4 + 8 * (i - 1));
	/* Ours are minimal: a shorter form would have held it. */
	cr_assert(n == 2 ? *len >= 0x40 : *len >= 1u << (4 + 8 * (n - 2)),
		  "PkgLength %zu in %u bytes is not minimal", *len, n);
	return n;
}

/* An integer data object at (*p): ZeroOp, OneOp, Byte..QWordConst. */
static uint64_t aml_int(const uint8_t **p)
{
	const uint8_t *q = *p;

	switch (q[0]) {
	case 0x00:
	case 0x01:
		*p += 1;
		return q[0];
	case 0x0a:
		*p += 2;
		return q[1];
	case 0x0b:
		*p += 3;
		return rd16(q + 1);
	case 0x0c:
		*p += 5;
		return rd32(q + 1);
	case 0x0e:
		*p += 9;
		return rd64(q + 1);
	}
	cr_assert_fail("not an integer: opcode %#x", q[0]);
	return 0;
}

/* The descriptors of a resource template, up to an End Tag that makes
 * the whole template sum to 0. */
static void parse_crs(const uint8_t *r, size_t len, struct dev *v)
{
	size_t off = 0;

	for (;;) {
		const uint8_t *e = r + off;

		cr_assert_lt(off, len, "template without an End Tag");
		if (e[0] & 0x80) { /* large item: tag, 16-bit length */
			size_t l = rd16(e + 1);

			cr_assert_leq(off + 3 + l, len);
			if (e[0] == 0x87 || e[0] == 0x88 || e[0] == 0x8a) {
				/* Word, DWord, QWord: 3 bytes, 5 numbers. */
				unsigned int n = e[0] == 0x88 ? 2 :
						 e[0] == 0x87 ? 4 :
								8;
				struct win *x = &v->win[v->nr_win];
				const uint8_t *f = e + 6;
				uint64_t *dst[5] = { &x->gran, &x->min, &x->max,
						     &x->tra, &x->len };

				cr_assert_lt(v->nr_win, 4);
				cr_assert_eq(l, 3 + 5 * n,
					     "no resource source");
				x->tag = e[0];
				x->type = e[3];
				x->gflags = e[4];
				x->tflags = e[5];
				for (unsigned int i = 0; i < 5; i++, f += n)
					*dst[i] = n == 2 ? rd16(f) :
						  n == 4 ? rd32(f) :
							   rd64(f);
				v->nr_win++;
			} else if (e[0] == 0x86) {
				cr_assert_eq(l, 9);
				v->mem_rw = e[3] & 1;
				v->mem_base = rd32(e + 4);
				v->mem_len = rd32(e + 8);
			} else if (e[0] == 0x89) {
				cr_assert_eq(l, 6, "one interrupt, no source");
				cr_assert_eq(e[4], 1, "interrupt count");
				v->ext_flags = e[3];
				v->gsi = rd32(e + 5);
			} else {
				cr_assert_fail("large item %#x", e[0]);
			}
			off += 3 + l;
			continue;
		}
		switch (e[0] >> 3) { /* small item: name, length in 2-0 */
		case 0x08: /* I/O port */
			cr_assert_eq(e[0] & 7, 7);
			cr_assert_lt(v->nr_io, 2);
			cr_assert_eq(e[1], 1, "Decode16");
			cr_assert_eq(rd16(e + 2), rd16(e + 4), "fixed range");
			v->io_base[v->nr_io] = rd16(e + 2);
			v->io_len[v->nr_io++] = e[7];
			break;
		case 0x04: /* IRQ, no flags byte */
			cr_assert_eq(e[0] & 7, 2);
			v->irq_mask = rd16(e + 1);
			break;
		case 0x0f: /* End Tag */
			cr_assert_eq(e[0] & 7, 1);
			cr_assert_eq(off + 2, len, "End Tag ends the buffer");
			cr_assert_eq(sum8(r, len), 0, "End Tag checksum");
			return;
		default:
			cr_assert_fail("small item %#x", e[0]);
		}
		off += 1 + (e[0] & 7);
	}
}

/* A Device's body: Name() objects only, each an integer, a string, an
 * EISA ID or a resource template. */
static void parse_device(const uint8_t *p, const uint8_t *end, struct dev *v)
{
	while (p < end) {
		char seg[5] = { 0 };

		cr_assert_eq(p[0], 0x08, "NameOp");
		memcpy(seg, p + 1, 4);
		p += 5;
		if (!strcmp(seg, "_HID") && p[0] == 0x0d) {
			size_t n = strnlen((const char *)p + 1, end - p - 1);

			cr_assert_lt(n, sizeof(v->hid_str));
			memcpy(v->hid_str, p + 1, n + 1);
			p += n + 2;
		} else if (!strcmp(seg, "_HID")) {
			cr_assert_eq(p[0], 0x0c, "an EISA ID is a DWordConst");
			v->hid_eisa = (uint32_t)aml_int(&p);
		} else if (!strcmp(seg, "_CID")) {
			cr_assert_eq(p[0], 0x0c, "an EISA ID is a DWordConst");
			v->cid_eisa = (uint32_t)aml_int(&p);
		} else if (!strcmp(seg, "_SEG")) {
			v->seg = (int64_t)aml_int(&p);
		} else if (!strcmp(seg, "_BBN")) {
			v->bbn = (int64_t)aml_int(&p);
		} else if (!strcmp(seg, "_UID")) {
			v->uid = (int64_t)aml_int(&p);
		} else if (!strcmp(seg, "_PRT")) {
			size_t len;

			cr_assert_eq(p[0], 0x12, "PackageOp");
			pkg_len(p + 1, &len);
			cr_assert_leq(p + 1 + len, end);
			v->prt = p;
			p += 1 + len;
		} else if (!strcmp(seg, "_CRS")) {
			const uint8_t *body;
			size_t len, size;

			cr_assert_eq(p[0], 0x11, "BufferOp");
			body = p + 1 + pkg_len(p + 1, &len);
			cr_assert_leq(p + 1 + len, end);
			size = aml_int(&body);
			cr_assert_eq(body + size, p + 1 + len, "BufferSize");
			parse_crs(body, size, v);
			p += 1 + len;
		} else {
			cr_assert_fail("unexpected name %s", seg);
		}
	}
	cr_assert_eq(p, end, "names end with the Device");
}

/* The DSDT: Scope (\_SB) { Device () {...} ... }, walked by PkgLength. */
static unsigned int parse_dsdt(const struct built *b, uint64_t gpa,
			       struct dev *devs)
{
	const uint8_t *t = table(b, gpa, "DSDT", 2);
	const uint8_t *end = t + rd32(t + 4), *p = t + HDR_LEN, *scope_end;
	unsigned int n = 0, k;
	size_t len;

	cr_assert_eq(p[0], 0x10, "ScopeOp");
	p += 1;
	k = pkg_len(p, &len);
	scope_end = p + len;
	cr_assert_eq(scope_end, end, "Scope (\\_SB) is the whole table");
	p += k;
	cr_assert_eq(memcmp(p, "\\_SB_", 5), 0);
	p += 5;
	while (p < end) {
		const uint8_t *dev_end;
		struct dev *v = &devs[n];

		cr_assert_lt(n, MAX_DEVS);
		cr_assert(p[0] == 0x5b && p[1] == 0x82, "DeviceOp");
		p += 2;
		k = pkg_len(p, &len);
		dev_end = p + len;
		cr_assert_leq(dev_end, end);
		p += k;
		memset(v, 0, sizeof(*v));
		v->uid = v->gsi = v->seg = v->bbn = -1;
		memcpy(v->name, p, 4);
		parse_device(p + 4, dev_end, v);
		p = dev_end;
		n++;
	}
	return n;
}

/* A Package (20.2.5.4) at (*p) of (n) elements: steps past its header,
 * returns where it ends. */
static const uint8_t *pkg_open(const uint8_t **p, unsigned int n)
{
	const uint8_t *q = *p;
	unsigned int k;
	size_t len;

	cr_assert_eq(q[0], 0x12, "PackageOp");
	k = pkg_len(q + 1, &len);
	cr_assert_eq(q[1 + k], n, "NumElements %u, want %u", q[1 + k], n);
	*p = q + 1 + k + 1;
	return q + 1 + len;
}

static const struct dev *find_dev(const struct dev *devs, unsigned int n,
				  const char *name)
{
	for (unsigned int i = 0; i < n; i++)
		if (!strcmp(devs[i].name, name))
			return &devs[i];
	cr_assert_fail("no Device (%s)", name);
	return NULL;
}

/* One address space descriptor: a producer with both ends fixed and
 * positive decode, granularity and translation 0, (min, len). */
static void check_win(const struct win *x, uint8_t tag, uint8_t type,
		      uint8_t tflags, uint64_t min, uint64_t len)
{
	cr_assert_eq(x->tag, tag, "descriptor %#x, want %#x", x->tag, tag);
	cr_assert_eq(x->type, type, "resource type");
	cr_assert_eq(x->gflags, 0x0c,
		     "producer, MinFixed, MaxFixed, PosDecode");
	cr_assert_eq(x->tflags, tflags, "type specific flags %#x", x->tflags);
	cr_assert_eq(x->gran, 0);
	cr_assert_eq(x->min, min, "minimum %#lx", (unsigned long)x->min);
	cr_assert_eq(x->max, min + len - 1, "maximum");
	cr_assert_eq(x->tra, 0, "no translation");
	cr_assert_eq(x->len, len, "length");
}

/* (v)'s _PRT (6.2.13) into (rows): a Package of PRT_ROWS Packages of
 * four integers each, every one ending where its PkgLength says. */
static void decode_prt(const struct dev *v, struct prt_row *rows)
{
	const uint8_t *p = v->prt, *end;

	cr_assert_not_null(p, "Device (%s) has a _PRT", v->name);
	end = pkg_open(&p, PRT_ROWS);
	for (unsigned int i = 0; i < PRT_ROWS; i++) {
		const uint8_t *row_end = pkg_open(&p, 4);

		rows[i].addr = aml_int(&p);
		rows[i].pin = aml_int(&p);
		rows[i].src = aml_int(&p);
		rows[i].gsi = aml_int(&p);
		cr_assert_eq(p, row_end, "_PRT row %u: 4 integers, no more", i);
	}
	cr_assert_eq(p, end, "_PRT: %u rows, no more", PRT_ROWS);
}

/* Slot by slot, INTA..INTD: any function of the slot, hard-wired (no
 * link device) to the GSI layout.h wires that pin to. */
static void check_prt(const struct dev *v)
{
	static struct prt_row rows[PRT_ROWS];

	decode_prt(v, rows);
	for (unsigned int i = 0; i < PRT_ROWS; i++) {
		unsigned int slot = i / 4, pin = i % 4;
		const struct prt_row *r = &rows[i];

		cr_assert_eq(r->addr, (uint64_t)slot << 16 | 0xffff,
			     "row %u: address %#llx", i,
			     (unsigned long long)r->addr);
		cr_assert_eq(r->pin, pin, "row %u: pin %llu", i,
			     (unsigned long long)r->pin);
		cr_assert_eq(r->src, 0, "row %u: a GSI, not a link", i);
		cr_assert_eq(r->gsi, X86_PCI_INTX_GSI(slot, pin),
			     "row %u: GSI %llu", i, (unsigned long long)r->gsi);
	}
}

/* PCI0 (the host bridge, bus 0, its ports and windows) and MRES (the
 * motherboard resources reserving the ECAM), field by field. */
static void check_pci_devs(const struct dev *devs, unsigned int n,
			   const struct acpi_pci_host *h)
{
	const struct dev *v = find_dev(devs, n, "PCI0");

	cr_assert_eq(v->hid_eisa, 0x080ad041, "PNP0A08: %#x", v->hid_eisa);
	cr_assert_eq(v->cid_eisa, 0x030ad041, "PNP0A03: %#x", v->cid_eisa);
	cr_assert_eq(v->seg, 0, "_SEG");
	cr_assert_eq(v->bbn, 0, "_BBN");
	cr_assert_eq(v->uid, 0, "_UID");
	cr_assert_eq(v->nr_io, 1);
	cr_assert(v->io_base[0] == 0xcf8 && v->io_len[0] == 8, "0xCF8-0xCFF");
	cr_assert_eq(v->irq_mask, 0, "no interrupt");
	cr_assert_eq(v->gsi, -1, "no interrupt");
	cr_assert_eq(v->mem_len, 0, "no fixed memory");
	cr_assert_eq(v->nr_win, h->mmio64_size ? 3 : 2);
	check_win(&v->win[0], 0x88, 2, 0, 0, 1); /* bus 0 only */
	check_win(&v->win[1], 0x87, 0, 0x01, h->mmio32_base, h->mmio32_size);
	if (h->mmio64_size) /* Cacheable, ReadWrite: not Prefetchable */
		check_win(&v->win[2], 0x8a, 0, 0x03, h->mmio64_base,
			  h->mmio64_size);
	check_prt(v);
	v = find_dev(devs, n, "MRES");
	cr_assert_eq(v->hid_eisa, 0x020cd041, "PNP0C02: %#x", v->hid_eisa);
	cr_assert_eq(v->mem_base, h->ecam_base, "the ECAM, reserved");
	cr_assert_eq(v->mem_len, 0x100000, "bus 0's 1 MiB");
	cr_assert_eq(v->mem_rw, 1);
	cr_assert_eq(v->nr_io + v->nr_win, 0);
}

/* The DSDT describes exactly the serial port, 8042, RTC and devices. */
static void check_dsdt(const struct built *b, uint64_t gpa)
{
	static struct dev devs[MAX_DEVS];
	const struct acpi_desc *d = b->d;
	unsigned int n = parse_dsdt(b, gpa, devs);
	const struct dev *v;

	cr_assert_eq(n,
		     !!d->serial_port + 2 * d->i8042 + d->rtc + d->nr_mmio +
			     2 * !!d->pci,
		     "Devices in the DSDT");
	for (unsigned int i = 0; i < n; i++)
		cr_assert(!devs[i].prt || !strcmp(devs[i].name, "PCI0"),
			  "a _PRT in Device (%s)", devs[i].name);
	if (d->pci)
		check_pci_devs(devs, n, d->pci);
	if (d->serial_port) {
		v = find_dev(devs, n, "COM1");
		/* EisaId ("PNP0501") */
		cr_assert_eq(v->hid_eisa, 0x0105d041, "_HID %#x", v->hid_eisa);
		cr_assert_geq(v->uid, 0);
		cr_assert_eq(v->nr_io, 1);
		cr_assert_eq(v->io_base[0], d->serial_port);
		cr_assert_eq(v->io_len[0], 8);
		cr_assert_eq(v->irq_mask, 1u << d->serial_irq);
	}
	if (d->i8042) {
		v = find_dev(devs, n, "PS2K");
		cr_assert_eq(v->hid_eisa, 0x0303d041, "PNP0303");
		cr_assert_eq(v->nr_io, 2);
		cr_assert(v->io_base[0] == 0x60 && v->io_base[1] == 0x64);
		cr_assert_eq(v->irq_mask, 1u << 1);
		v = find_dev(devs, n, "PS2M");
		cr_assert_eq(v->hid_eisa, 0x130fd041, "PNP0F13");
		cr_assert_eq(v->irq_mask, 1u << 12);
	}
	if (d->rtc) {
		v = find_dev(devs, n, "RTC_");
		cr_assert_eq(v->hid_eisa, 0x000bd041, "PNP0B00");
		cr_assert(v->nr_io == 1 && v->io_base[0] == 0x70 &&
			  v->io_len[0] == 2);
		cr_assert_eq(v->irq_mask, 0, "our CMOS raises no interrupt");
	}
	for (unsigned int i = 0; i < d->nr_mmio; i++) {
		char name[12];

		snprintf(name, sizeof(name), "VR%02X", i & 0xff);
		v = find_dev(devs, n, name);
		cr_assert_str_eq(v->hid_str, "LNRO0005");
		cr_assert_eq(v->uid, i);
		cr_assert_eq(v->mem_base, d->mmio[i].base, "%s base", name);
		cr_assert_eq(v->mem_len, d->mmio[i].size);
		cr_assert_eq(v->mem_rw, 1, "ReadWrite");
		cr_assert_eq(v->gsi, d->mmio[i].gsi, "%s GSI", name);
		/* Consumer, edge, active high, exclusive. */
		cr_assert_eq(v->ext_flags, 0x03, "flags %#x", v->ext_flags);
	}
}

/* Every check on one build; (*fadt_out) etc. for the callers that dump. */
static void check_all(const struct built *b, uint64_t *xsdt, uint64_t *fadt,
		      uint64_t *madt, uint64_t *dsdt)
{
	*xsdt = check_rsdp(b);
	check_xsdt(b, *xsdt, fadt, madt);
	*dsdt = check_fadt(b, *fadt);
	check_madt(b, *madt);
	check_dsdt(b, *dsdt);
}

/* A PC like the one arch.c describes, with (cpus) vCPUs and (n) devices. */
static struct acpi_mmio_dev mmio[ACPI_MAX_MMIO_DEVS];

static struct acpi_desc pc(unsigned int cpus, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		mmio[i] = (struct acpi_mmio_dev){
			.base = X86_VIRTIO_MMIO_BASE + i * X86_VIRTIO_MMIO_SIZE,
			.size = 0x1000,
			.gsi = X86_VIRTIO_IRQ_BASE + i,
		};
	return (struct acpi_desc){
		.nr_cpus = cpus,
		.ioapic_id = (uint8_t)cpus,
		.ioapic_addr = (uint32_t)X86_IOAPIC_ADDR,
		.serial_port = X86_COM1_PORT,
		.serial_irq = X86_COM1_IRQ,
		.i8042 = true,
		.rtc = true,
		.mmio = mmio,
		.nr_mmio = n,
	};
}

/* Runs (cmd) through the shell; returns its exit status and output. */
static int run(const char *cmd, char *out, size_t size)
{
	FILE *f = popen(cmd, "r");
	size_t n = 0, got;
	int st;

	cr_assert_not_null(f, "popen %s", cmd);
	while (n + 1 < size && (got = fread(out + n, 1, size - n - 1, f)))
		n += got;
	out[n] = '\0';
	st = pclose(f);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void need_tool(const char *tool)
{
	char cmd[64], out[256];

	snprintf(cmd, sizeof(cmd), "command -v %s 2>&1", tool);
	if (run(cmd, out, sizeof(out)) != 0)
		cr_assert_fail("%s not found: %s", tool, SETUP_HINT);
}

/* Writes the table at (gpa) to (dir)/(name). */
static void dump(const struct built *b, const char *dir, const char *name,
		 uint64_t gpa)
{
	uint32_t len = rd32(at(b, gpa, HDR_LEN) + 4);
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	cr_assert_not_null(f, "%s", path);
	cr_assert_eq(fwrite(at(b, gpa, len), 1, len, f), len);
	cr_assert_eq(fclose(f), 0);
}

/* Whether (word) occurs in (out) other than as a plural ("0 Errors"). */
static bool has_word(const char *out, const char *word)
{
	for (const char *p = out; (p = strstr(p, word)); p++)
		if (p[strlen(word)] != 's')
			return true;
	return false;
}

/* iasl's output must be clean: no error or warning of any kind ("Error
 * 6126", "Firmware Warning (ACPI)", "ACPI Error:"), exit status 0. */
static void expect_clean(const char *what, int rc, const char *out)
{
	cr_assert_eq(rc, 0, "%s exited %d:\n%s", what, rc, out);
	cr_assert_not(has_word(out, "Error"), "%s:\n%s", what, out);
	cr_assert_not(has_word(out, "Warning"), "%s:\n%s", what, out);
}

/* The table with signature (sig) in the XSDT, or 0. */
static uint64_t find_table(const struct built *b, uint64_t xsdt,
			   const char *sig)
{
	const uint8_t *x = table(b, xsdt, "XSDT", 1);
	uint32_t n = (rd32(x + 4) - HDR_LEN) / 8;

	for (uint32_t i = 0; i < n; i++) {
		uint64_t t = rd64(x + HDR_LEN + 8 * i);

		if (!memcmp(at(b, t, 4), sig, 4))
			return t;
	}
	return 0;
}

/* PCI0's _PRT in (out), as AcpiGetIrqRoutingTable() (Linux's
 * acpi_pci_irq_find_prt_entry() reads the same) turned it into rows. */
static void acpiexec_prt(const char *out)
{
	char want[64];
	unsigned int i;

	for (i = 0; i < PRT_ROWS; i++) {
		unsigned int slot = i / 4, pin, gsi;
		unsigned long long addr;
		const char *p;

		snprintf(want, sizeof(want),
			 "[%02X] PCI IRQ Routing Table Package", i);
		p = strstr(out, want);
		cr_assert_not_null(p, "%s in:\n%s", want, out);
		cr_assert_eq(sscanf(p + strlen(want),
				    " Address : %llx Pin : %x Source : "
				    "[NULL NAMESTRING] Source Index : %x",
				    &addr, &pin, &gsi),
			     3, "%.300s", p);
		cr_assert_eq(addr, (unsigned long long)slot << 16 | 0xffff,
			     "%.300s", p);
		cr_assert_eq(pin, i % 4, "%.300s", p);
		cr_assert_eq(gsi, X86_PCI_INTX_GSI(slot, i % 4), "%.300s", p);
	}
	snprintf(want, sizeof(want), "[%02X] PCI IRQ Routing Table Package", i);
	cr_assert_null(strstr(out, want), "%u rows at most", PRT_ROWS);
}

/* acpiexec, ACPICA's interpreter as Linux runs it, on PCI0's and MRES's
 * _CRS: the windows and the ECAM as a kernel would get them. */
static void acpiexec_pci(const struct acpi_pci_host *h, const char *dir)
{
	static char out[1 << 17];
	char cmd[512], want[96];
	int rc;

	need_tool("acpiexec");
	snprintf(cmd, sizeof(cmd),
		 "cd %s && acpiexec -b 'Resources \\_SB.PCI0' facp apic dsdt "
		 "2>&1",
		 dir);
	rc = run(cmd, out, sizeof(out));
	cr_assert_eq(rc, 0, "%s:\n%s", cmd, out);
	cr_assert_not_null(strstr(out, "Resource Type : Bus Number Range"),
			   "%s", out);
	snprintf(want, sizeof(want), "Address Minimum : %08lX",
		 (unsigned long)h->mmio32_base);
	cr_assert_not_null(strstr(out, want), "%s in:\n%s", want, out);
	snprintf(want, sizeof(want), "Address Length : %08lX",
		 (unsigned long)h->mmio32_size);
	cr_assert_not_null(strstr(out, want), "%s in:\n%s", want, out);
	cr_assert_not_null(strstr(out, "Address Minimum : 0CF8"), "%s", out);
	if (h->mmio64_size) {
		snprintf(want, sizeof(want), "Address Minimum : %016llX",
			 (unsigned long long)h->mmio64_base);
		cr_assert_not_null(strstr(out, want), "%s in:\n%s", want, out);
		snprintf(want, sizeof(want), "Address Maximum : %016llX",
			 (unsigned long long)(h->mmio64_base + h->mmio64_size -
					      1));
		cr_assert_not_null(strstr(out, want), "%s in:\n%s", want, out);
	} else {
		cr_assert_null(strstr(out, "QWORD"), "%s", out);
	}
	cr_assert_null(strstr(out, "Prefetchable"), "%s", out);
	acpiexec_prt(out);
	snprintf(cmd, sizeof(cmd),
		 "cd %s && acpiexec -b 'Resources \\_SB.MRES' facp apic dsdt "
		 "2>&1",
		 dir);
	rc = run(cmd, out, sizeof(out));
	cr_assert_eq(rc, 0, "%s:\n%s", cmd, out);
	snprintf(want, sizeof(want), "Address : %08lX",
		 (unsigned long)h->ecam_base);
	cr_assert_not_null(strstr(out, want), "%s in:\n%s", want, out);
	cr_assert_not_null(strstr(out, "Address Length : 00100000"), "%s", out);
}

/*
 * iasl -d on each table, then iasl on each disassembly: both must report
 * no error and no warning ("0 Errors, 0 Warnings"; remarks would be
 * allowed, none come). The RSDP is not a table with a header and iasl
 * 20200925 refuses a bare one, so check_rsdp() alone covers it. Then
 * acpiexec loads the tables and evaluates every virtio device's _CRS.
 */
static void iasl_round_trip(const struct built *b, bool acpiexec)
{
	static const char *const names[] = { "xsdt", "facp", "apic", "dsdt",
					     "mcfg" };
	static char out[1 << 20];
	uint64_t gpas[5];
	unsigned int nr = 4;
	char dir[] = "/tmp/ignis-acpi-XXXXXX", cmd[512];
	int rc;

	need_tool("iasl");
	check_all(b, &gpas[0], &gpas[1], &gpas[2], &gpas[3]);
	if (b->d->pci) {
		gpas[4] = find_table(b, gpas[0], "MCFG");
		nr = 5;
	}
	cr_assert_not_null(mkdtemp(dir));
	for (unsigned int i = 0; i < nr; i++) {
		dump(b, dir, names[i], gpas[i]);
		snprintf(cmd, sizeof(cmd), "cd %s && iasl -d %s 2>&1", dir,
			 names[i]);
		rc = run(cmd, out, sizeof(out));
		expect_clean(cmd, rc, out);
		cr_assert_not_null(strstr(out, i == 3 ?
						       "Disassembly completed" :
						       "decoded"),
				   "%s:\n%s", cmd, out);
		snprintf(cmd, sizeof(cmd), "cd %s && iasl %s.dsl 2>&1", dir,
			 names[i]);
		rc = run(cmd, out, sizeof(out));
		expect_clean(cmd, rc, out);
		cr_assert_not_null(strstr(out, "Compilation successful. "
					       "0 Errors, 0 Warnings"),
				   "%s:\n%s", cmd, out);
	}
	for (unsigned int i = 0; acpiexec && i < b->d->nr_mmio; i++) {
		char want[64];

		need_tool("acpiexec");
		snprintf(cmd, sizeof(cmd),
			 "cd %s && acpiexec -b 'Resources \\_SB.VR%02X' facp "
			 "apic dsdt 2>&1",
			 dir, i);
		rc = run(cmd, out, sizeof(out));
		cr_assert_eq(rc, 0, "%s:\n%s", cmd, out);
		cr_assert_not_null(
			strstr(out, "successfully acquired and loaded"),
			"%s:\n%s", cmd, out);
		snprintf(want, sizeof(want), "Address : %08lX",
			 (unsigned long)b->d->mmio[i].base);
		cr_assert_not_null(strstr(out, want), "%s in:\n%s", want, out);
		snprintf(want, sizeof(want), "Dword00 : %08X",
			 b->d->mmio[i].gsi);
		cr_assert_not_null(strstr(out, want), "%s in:\n%s", want, out);
		cr_assert_not_null(strstr(out, "Triggering : Edge"));
		cr_assert_not_null(strstr(out, "Polarity : ActiveHigh"));
	}
	if (acpiexec && b->d->pci)
		acpiexec_pci(b->d->pci, dir);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	cr_assert_eq(system(cmd), 0);
}

/* The VIOT's address from the XSDT, or 0. */
static uint64_t find_viot(const struct built *b, uint64_t xsdt)
{
	return find_table(b, xsdt, "VIOT");
}

/*
 * The VIOT by its offsets (ACPI 6.5, 5.2.32): node count and offset, the
 * virtio-iommu-on-MMIO node at the iommu's base, then one MMIO endpoint
 * node per translated device with its endpoint ID and base, each naming
 * the iommu node as its output. Debian 12's iasl (20200925) predates the
 * VIOT and cannot disassemble it: viot_through_iasl uses Debian 13's
 * (scripts/fetch-iasl.sh); Linux's own parser reads it in the system
 * tests.
 */
static void check_viot(const struct built *b, uint64_t gpa)
{
	const struct acpi_desc *d = b->d;
	const uint8_t *v = table(b, gpa, "VIOT", 0);
	uint32_t len = rd32(v + 4);
	unsigned int translated = 0, seen = 0;
	uint16_t off = rd16(v + 38), iommu;

	for (unsigned int i = 0; i < d->nr_mmio; i++)
		translated += d->mmio[i].translated;
	cr_assert_eq(rd16(v + 36), 1 + translated + d->nr_pci_ranges,
		     "node count");
	cr_assert_eq(off, 48, "first node right after the header");
	cr_assert_eq(memcmp(v + 40, "\0\0\0\0\0\0\0\0", 8), 0, "reserved");
	/* The iommu node. */
	cr_assert_eq(v[off], 4, "virtio-iommu on MMIO");
	cr_assert_eq(rd16(v + off + 2), 16);
	cr_assert_eq(rd64(v + off + 8), d->mmio[d->iommu].base);
	iommu = off;
	off += 16;
	/* The endpoints, in device order, and nothing after them. */
	for (unsigned int i = 0; i < d->nr_mmio; i++) {
		if (!d->mmio[i].translated)
			continue;
		cr_assert_leq(off + 24u, len);
		cr_assert_eq(v[off], 2, "MMIO endpoint");
		cr_assert_eq(rd16(v + off + 2), 24);
		cr_assert_eq(rd32(v + off + 4), d->mmio[i].endpoint);
		cr_assert_eq(rd64(v + off + 8), d->mmio[i].base);
		cr_assert_eq(rd16(v + off + 16), iommu, "output: the iommu");
		cr_assert_eq(memcmp(v + off + 18, "\0\0\0\0\0\0", 6), 0);
		off += 24;
		seen++;
	}
	cr_assert_eq(seen, translated);
	/* Then a PCI range node (5.2.32.2) per range, in order. */
	for (unsigned int i = 0; i < d->nr_pci_ranges; i++) {
		const struct acpi_pci_range *r = &d->pci_ranges[i];

		cr_assert_leq(off + 24u, len);
		cr_assert_eq(v[off], 1, "PCI range");
		cr_assert_eq(v[off + 1], 0, "reserved");
		cr_assert_eq(rd16(v + off + 2), 24);
		cr_assert_eq(rd32(v + off + 4), r->endpoint_start);
		cr_assert_eq(rd16(v + off + 8), 0, "segment start");
		cr_assert_eq(rd16(v + off + 10), 0, "segment end");
		cr_assert_eq(rd16(v + off + 12), r->bdf_start);
		cr_assert_eq(rd16(v + off + 14), r->bdf_end);
		cr_assert_eq(rd16(v + off + 16), iommu, "output: the iommu");
		cr_assert_eq(memcmp(v + off + 18, "\0\0\0\0\0\0", 6), 0);
		off += 24;
	}
	cr_assert_eq(off, len, "nodes fill the table");
}

/*
 * The VIOT through an iasl that knows it (scripts/fetch-iasl.sh, given as
 * IGNIS_IASL; Debian 12's does not): disassembled without an error or a
 * warning, every node field as built, and compiled back to the same bytes.
 */
static void iasl_viot(const struct built *b, uint64_t gpa, const char *iasl)
{
	const struct acpi_desc *d = b->d;
	static char out[1 << 16], dsl[1 << 16];
	char dir[] = "/tmp/ignis-viot-XXXXXX", cmd[512], want[96];
	unsigned int nodes = 1;
	int rc;

	cr_assert_not_null(mkdtemp(dir));
	dump(b, dir, "viot", gpa);
	snprintf(cmd, sizeof(cmd), "cd %s && %s -d viot 2>&1", dir, iasl);
	rc = run(cmd, out, sizeof(out));
	expect_clean(cmd, rc, out);
	snprintf(cmd, sizeof(cmd), "cat %s/viot.dsl", dir);
	cr_assert_eq(run(cmd, dsl, sizeof(dsl)), 0);
	cr_assert_not_null(strstr(dsl, "Signature : \"VIOT\""), "%s", dsl);
	cr_assert_not_null(strstr(dsl, "Type : 04 [VirtIO-MMIO IOMMU]"),
			   "%s", dsl);
	snprintf(want, sizeof(want), "Base address : %016llX",
		 (unsigned long long)d->mmio[d->iommu].base);
	cr_assert_not_null(strstr(dsl, want), "%s in:\n%s", want, dsl);
	for (unsigned int i = 0; i < d->nr_mmio; i++) {
		if (!d->mmio[i].translated)
			continue;
		nodes++;
		snprintf(want, sizeof(want), "Endpoint : %08X",
			 d->mmio[i].endpoint);
		cr_assert_not_null(strstr(dsl, want), "%s in:\n%s", want, dsl);
		snprintf(want, sizeof(want), "Base address : %016llX",
			 (unsigned long long)d->mmio[i].base);
		cr_assert_not_null(strstr(dsl, want), "%s in:\n%s", want, dsl);
	}
	for (unsigned int i = 0; i < d->nr_pci_ranges; i++) {
		const struct acpi_pci_range *r = &d->pci_ranges[i];

		nodes++;
		snprintf(want, sizeof(want), "Endpoint start : %08X",
			 r->endpoint_start);
		cr_assert_not_null(strstr(dsl, want), "%s in:\n%s", want, dsl);
		snprintf(want, sizeof(want), "PCI BDF start : %04X",
			 r->bdf_start);
		cr_assert_not_null(strstr(dsl, want), "%s in:\n%s", want, dsl);
		snprintf(want, sizeof(want), "PCI BDF end : %04X", r->bdf_end);
		cr_assert_not_null(strstr(dsl, want), "%s in:\n%s", want, dsl);
	}
	if (d->nr_pci_ranges)
		cr_assert_not_null(strstr(dsl, "Type : 01 [PCI Range]"), "%s",
				   dsl);
	snprintf(want, sizeof(want), "Node count : %04X", nodes);
	cr_assert_not_null(strstr(dsl, want), "%s in:\n%s", want, dsl);
	/* Back to binary: the same table, but for the checksum and the
	 * compiler's id and revision, which iasl writes as its own. */
	snprintf(cmd, sizeof(cmd),
		 "cd %s && %s viot.dsl 2>&1 && cmp -n 9 viot viot.aml && "
		 "cmp -n 18 -i 10 viot viot.aml && cmp -i 36 viot viot.aml",
		 dir, iasl);
	rc = run(cmd, out, sizeof(out));
	expect_clean(cmd, rc, out);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(acpi, .timeout = 120);

/* --iommu: two vCPUs and five devices, the first three behind the
 * virtio-iommu (the fourth) with endpoint ids 10-12, the fifth not. */
static struct acpi_desc pc_with_iommu(void)
{
	struct acpi_desc d = pc(2, 5);

	for (unsigned int i = 0; i < 3; i++) {
		mmio[i].translated = true;
		mmio[i].endpoint = 10 + i;
	}
	d.has_iommu = true;
	d.iommu = 3;
	return d;
}

/* A VIOT with a node per endpoint; without an iommu, none. */
Test(acpi, viot_with_iommu)
{
	struct acpi_desc d = pc_with_iommu();
	uint64_t x, f, m, s, v;
	struct built b;

	build(&b, &d);
	check_all(&b, &x, &f, &m, &s);	/* the iommu is a DSDT device too */
	v = find_viot(&b, x);
	cr_assert_neq(v, 0, "a VIOT");
	check_viot(&b, v);
	free(b.buf);
	/* Without an iommu there is none. */
	d = pc(2, 5);
	for (unsigned int i = 0; i < 5; i++)
		mmio[i].translated = false;
	build(&b, &d);
	check_all(&b, &x, &f, &m, &s);
	cr_assert_eq(find_viot(&b, x), 0);
	free(b.buf);
}

Test(acpi, viot_through_iasl)
{
	const char *iasl = getenv("IGNIS_IASL");
	struct acpi_desc d = pc_with_iommu();
	uint64_t x, f, m, s;
	struct built b;

	if (!iasl || !*iasl)
		cr_skip_test("IGNIS_IASL unset: no iasl that knows the VIOT "
			     "(scripts/fetch-iasl.sh)");
	build(&b, &d);
	check_all(&b, &x, &f, &m, &s);
	iasl_viot(&b, find_viot(&b, x), iasl);
	free(b.buf);
	for (unsigned int i = 0; i < 3; i++)
		mmio[i].translated = false;
}

Test(acpi, viot_refuses_bad_iommu)
{
	struct acpi_desc d = pc(1, 2);
	uint8_t buf[8192];
	uint64_t rsdp;

	d.has_iommu = true;
	d.iommu = 2;	/* no such device */
	cr_assert_eq(acpi_build(buf, sizeof(buf), 0xe0000, &d, &rsdp),
		     -EINVAL);
	d.iommu = 1;
	mmio[1].translated = true;	/* behind itself */
	cr_assert_eq(acpi_build(buf, sizeof(buf), 0xe0000, &d, &rsdp),
		     -EINVAL);
	mmio[1].translated = false;
	mmio[0].translated = true;
	cr_assert_gt(acpi_build(buf, sizeof(buf), 0xe0000, &d, &rsdp), 0);
	mmio[0].translated = false;
}

Test(acpi, one_cpu_no_devices)
{
	struct acpi_desc d = pc(1, 0);
	uint64_t x, f, m, s;
	struct built b;

	build(&b, &d);
	check_all(&b, &x, &f, &m, &s);
	iasl_round_trip(&b, false);
	free(b.buf);
}

Test(acpi, four_cpus_three_devices)
{
	struct acpi_desc d = pc(4, 3);
	uint64_t x, f, m, s;
	struct built b;

	build(&b, &d);
	check_all(&b, &x, &f, &m, &s);
	iasl_round_trip(&b, true);
	free(b.buf);
}

/* As many vCPUs as ignis runs today (the MP table's limit) and every
 * virtio-mmio slot. */
Test(acpi, arch_max)
{
	struct acpi_desc d = pc(x86_mptable_max_cpus(), X86_VIRTIO_MMIO_SLOTS);
	struct built b;

	cr_assert_geq(x86_mptable_max_cpus(), 37);
	build(&b, &d);
	iasl_round_trip(&b, false);
	free(b.buf);
}

/* ACPI's own limits: 254 vCPUs (I/O APIC ID 254) and 256 devices, whose
 * Scope needs a 3-byte PkgLength. */
Test(acpi, acpi_max)
{
	struct acpi_desc d = pc(ACPI_MAX_CPUS, ACPI_MAX_MMIO_DEVS);
	struct built b;

	build(&b, &d);
	iasl_round_trip(&b, false);
	free(b.buf);
}

/* Without legacy devices: no reset register, no 8042 flag, RTC absent. */
Test(acpi, no_legacy_devices)
{
	struct acpi_desc d = pc(2, 1);
	uint64_t x, f, m, s;
	struct built b;

	d.serial_port = 0;
	d.i8042 = false;
	d.rtc = false;
	build(&b, &d);
	check_all(&b, &x, &f, &m, &s);
	iasl_round_trip(&b, false);
	free(b.buf);
}

/* Every size short of what (d) needs fails cleanly, with nothing written
 * past the buffer (an exact-size allocation, for ASan). */
static void check_too_small(const struct acpi_desc *dp)
{
	const struct acpi_desc d = *dp;
	uint64_t rsdp;
	uint8_t *big = malloc(X86_ACPI_SIZE);
	int need;

	cr_assert_not_null(big);
	need = acpi_build(big, X86_ACPI_SIZE, X86_ACPI_START, &d, &rsdp);
	cr_assert_gt(need, 0);
	for (int size = 0; size < need; size++) {
		uint8_t *buf = malloc(size ? (size_t)size : 1);

		cr_assert_not_null(buf);
		cr_assert_eq(acpi_build(buf, (size_t)size, X86_ACPI_START, &d,
					&rsdp),
			     -ENOSPC, "size %d", size);
		free(buf);
	}
	{
		uint8_t *buf = malloc((size_t)need);

		cr_assert_not_null(buf);
		cr_assert_eq(acpi_build(buf, (size_t)need, X86_ACPI_START, &d,
					&rsdp),
			     need);
		cr_assert_eq(memcmp(buf, big, (size_t)need), 0, "same tables");
		free(buf);
	}
	free(big);
}

Test(acpi, too_small)
{
	struct acpi_desc d = pc(4, 8);

	check_too_small(&d);
}

Test(acpi, bad_descriptions)
{
	static uint8_t buf[X86_ACPI_SIZE];
	struct acpi_mmio_dev bad;
	struct acpi_desc d;
	uint64_t rsdp;

#define EXPECT_EINVAL(...)                                                    \
	do {                                                                  \
		d = pc(4, 2);                                                 \
		__VA_ARGS__;                                                  \
		cr_assert_eq(acpi_build(buf, sizeof(buf), X86_ACPI_START, &d, \
					&rsdp),                               \
			     -EINVAL, #__VA_ARGS__);                          \
	} while (0)
	EXPECT_EINVAL(d.nr_cpus = 0);
	EXPECT_EINVAL(d.nr_cpus = ACPI_MAX_CPUS + 1, d.ioapic_id = 0);
	EXPECT_EINVAL(d.ioapic_id = 3); /* vCPU 3's APIC ID */
	EXPECT_EINVAL(d.nr_cpus = 254, d.ioapic_id = 255); /* broadcast */
	EXPECT_EINVAL(d.serial_irq = 16);
	EXPECT_EINVAL(d.nr_mmio = ACPI_MAX_MMIO_DEVS + 1);
	EXPECT_EINVAL(d.mmio = NULL);
	EXPECT_EINVAL(bad = (struct acpi_mmio_dev){ .base = 0xfffff000,
						    .size = 0x2000, .gsi = 16 },
		      d.mmio = &bad, d.nr_mmio = 1);
	EXPECT_EINVAL(bad = (struct acpi_mmio_dev){ .base = 0xd0000000,
						    .size = 0, .gsi = 16 },
		      d.mmio = &bad, d.nr_mmio = 1);
#undef EXPECT_EINVAL
	d = pc(1, 0);
	cr_assert_eq(
		acpi_build(buf, sizeof(buf), X86_ACPI_START + 8, &d, &rsdp),
		-EINVAL, "RSDP off a 16-byte boundary");
	cr_assert_eq(acpi_build(NULL, sizeof(buf), X86_ACPI_START, &d, &rsdp),
		     -EINVAL);
	cr_assert_eq(acpi_build(buf, sizeof(buf), X86_ACPI_START, NULL, &rsdp),
		     -EINVAL);
	cr_assert_eq(acpi_build(buf, sizeof(buf), X86_ACPI_START, &d, NULL),
		     -EINVAL);
	/* The edge of 4 GiB is fine. */
	bad = (struct acpi_mmio_dev){ .base = 0xfffff000, .size = 0x1000, .gsi = 23 };
	d.mmio = &bad;
	d.nr_mmio = 1;
	cr_assert_gt(acpi_build(buf, sizeof(buf), X86_ACPI_START, &d, &rsdp),
		     0);
}

/* Where the tables go: the BIOS area, clear of the MP table's KiB, inside
 * what boot.c's e820 map reserves, and big enough for the largest build. */
Test(acpi, layout)
{
	struct acpi_desc d = pc(ACPI_MAX_CPUS, X86_VIRTIO_MMIO_SLOTS);
	struct built b;

	cr_assert_eq(X86_ACPI_START % 16, 0);
	cr_assert_geq(X86_ACPI_START, 0xe0000, "legacy RSDP scan window");
	cr_assert_geq(X86_ACPI_START, X86_EBDA_START + 1024, "MP table");
	cr_assert_leq(X86_ACPI_START + X86_ACPI_SIZE, X86_RESET_VECTOR,
		      "below the reset vector and 1 MiB, in the reserved range");
	build(&b, &d);
	cr_assert_lt(b.len, 0x2000, "a few KiB at most: %d", b.len);
	free(b.buf);
}

/* The PCI host as ignis lays it out, with a 64-bit window at 64 GiB. */
static const struct acpi_pci_host pci_host = {
	.ecam_base = X86_PCI_ECAM_START,
	.mmio32_base = X86_PCI_MMIO32_START,
	.mmio32_size = X86_PCI_MMIO32_SIZE,
	.mmio64_base = 0x1000000000ULL,
	.mmio64_size = 0x1000000000ULL,
};

/* 00:01.0 alone, and 00:02.0-00:05.7, with endpoint IDs of their own. */
static const struct acpi_pci_range pci_ranges[] = {
	{ .bdf_start = 0x08, .bdf_end = 0x08, .endpoint_start = 0x100 },
	{ .bdf_start = 0x10, .bdf_end = 0x2f, .endpoint_start = 0x200 },
};

/* An MCFG, PCI0 and MRES, read byte by byte, through iasl both ways and
 * through acpiexec. */
Test(acpi, pci_host)
{
	struct acpi_desc d = pc(2, 3);
	uint64_t x, f, m, s;
	struct built b;

	d.pci = &pci_host;
	build(&b, &d);
	check_all(&b, &x, &f, &m, &s);
	cr_assert_neq(find_table(&b, x, "MCFG"), 0, "an MCFG");
	iasl_round_trip(&b, true);
	free(b.buf);
	/* Without PCI: none of it. */
	d.pci = NULL;
	build(&b, &d);
	check_all(&b, &x, &f, &m, &s);
	cr_assert_eq(find_table(&b, x, "MCFG"), 0);
	free(b.buf);
}

/* PCI0's _PRT: 128 rows, two of them by hand, the four pins of a slot
 * on four GSIs that no other device in the DSDT has. */
Test(acpi, pci_prt)
{
	static struct dev devs[MAX_DEVS];
	static struct prt_row rows[PRT_ROWS];
	struct acpi_desc d = pc(2, 3);
	uint64_t x, f, m, s;
	struct built b;
	unsigned int n;

	d.pci = &pci_host;
	build(&b, &d);
	check_all(&b, &x, &f, &m, &s);
	n = parse_dsdt(&b, s, devs);
	decode_prt(find_dev(devs, n, "PCI0"), rows);
	/* 00:03 INTA and 00:1f INTD. */
	cr_assert_eq(rows[3 * 4].addr, 0x3ffff);
	cr_assert_eq(rows[3 * 4].pin, 0);
	cr_assert_eq(rows[3 * 4].src, 0);
	cr_assert_eq(rows[3 * 4].gsi, X86_PCI_INTX_GSI(3, 0));
	cr_assert_eq(rows[31 * 4 + 3].addr, 0x1fffff);
	cr_assert_eq(rows[31 * 4 + 3].pin, 3);
	cr_assert_eq(rows[31 * 4 + 3].src, 0);
	cr_assert_eq(rows[31 * 4 + 3].gsi, X86_PCI_INTX_GSI(31, 3));
	for (unsigned int i = 0; i < PRT_ROWS; i++) {
		uint64_t gsi = rows[i].gsi;

		for (unsigned int j = i - i % 4; j < i; j++)
			cr_assert_neq(rows[j].gsi, gsi, "slot %u: a GSI twice",
				      i / 4);
		cr_assert(gsi != d.serial_irq && gsi != 1 && gsi != 12,
			  "GSI %llu: a legacy device's", (unsigned long long)gsi);
		for (unsigned int j = 0; j < d.nr_mmio; j++)
			cr_assert_neq(gsi, d.mmio[j].gsi, "virtio's GSI");
	}
	free(b.buf);
}

/* Without a PCI bus, no Device has a _PRT (check_dsdt() looks). */
Test(acpi, no_pci_no_prt)
{
	static struct dev devs[MAX_DEVS];
	struct acpi_desc d = pc(2, 3);
	uint64_t x, f, m, s;
	struct built b;
	unsigned int n;

	build(&b, &d);
	check_all(&b, &x, &f, &m, &s);
	n = parse_dsdt(&b, s, devs);
	for (unsigned int i = 0; i < n; i++) {
		cr_assert_null(devs[i].prt, "a _PRT in Device (%s)",
			       devs[i].name);
		cr_assert_str_neq(devs[i].name, "PCI0");
	}
	free(b.buf);
}

/* No 64-bit window: no QWordMemory. */
Test(acpi, pci_host_32bit_only)
{
	struct acpi_pci_host h = pci_host;
	struct acpi_desc d = pc(1, 1);
	uint64_t x, f, m, s;
	struct built b;

	h.mmio64_base = 0;
	h.mmio64_size = 0;
	d.pci = &h;
	build(&b, &d);
	check_all(&b, &x, &f, &m, &s);
	iasl_round_trip(&b, true);
	free(b.buf);
}

/* PCI range nodes after the MMIO endpoints, each to the iommu node. */
Test(acpi, viot_pci_ranges)
{
	struct acpi_desc d = pc_with_iommu();
	const char *iasl = getenv("IGNIS_IASL");
	uint64_t x, f, m, s, v;
	struct built b;

	d.pci = &pci_host;
	d.pci_ranges = pci_ranges;
	d.nr_pci_ranges = 2;
	build(&b, &d);
	check_all(&b, &x, &f, &m, &s);
	v = find_viot(&b, x);
	cr_assert_neq(v, 0, "a VIOT");
	check_viot(&b, v);
	iasl_round_trip(&b, true);
	if (iasl && *iasl)
		iasl_viot(&b, v, iasl);
	free(b.buf);
	/* PCI endpoints alone, no MMIO endpoint but the iommu itself. */
	for (unsigned int i = 0; i < 3; i++)
		mmio[i].translated = false;
	build(&b, &d);
	check_all(&b, &x, &f, &m, &s);
	check_viot(&b, find_viot(&b, x));
	free(b.buf);
}

Test(acpi, pci_too_small)
{
	struct acpi_desc d = pc_with_iommu();

	d.pci = &pci_host;
	d.pci_ranges = pci_ranges;
	d.nr_pci_ranges = 2;
	check_too_small(&d);
}

Test(acpi, pci_bad_descriptions)
{
	static uint8_t buf[X86_ACPI_SIZE];
	static struct acpi_pci_range many[ACPI_MAX_PCI_RANGES + 1];
	struct acpi_pci_range r[2];
	struct acpi_pci_host h;
	struct acpi_desc d;
	uint64_t rsdp;

	/* The base case builds: each one below fails for its own change. */
#define PCI_DESC()                                \
	do {                                      \
		d = pc_with_iommu();              \
		h = pci_host;                     \
		memcpy(r, pci_ranges, sizeof(r)); \
		d.pci = &h;                       \
		d.pci_ranges = r;                 \
		d.nr_pci_ranges = 2;              \
	} while (0)
#define EXPECT_EINVAL(...)                                                    \
	do {                                                                  \
		PCI_DESC();                                                   \
		__VA_ARGS__;                                                  \
		cr_assert_eq(acpi_build(buf, sizeof(buf), X86_ACPI_START, &d, \
					&rsdp),                               \
			     -EINVAL, #__VA_ARGS__);                          \
	} while (0)
	PCI_DESC();
	cr_assert_gt(acpi_build(buf, sizeof(buf), X86_ACPI_START, &d, &rsdp),
		     0);
	EXPECT_EINVAL(h.ecam_base += 0x1000); /* not 1 MiB aligned */
	EXPECT_EINVAL(h.ecam_base = 0x100000000ULL); /* above 4 GiB */
	EXPECT_EINVAL(h.ecam_base = 0xc0100000); /* in the 32-bit window */
	EXPECT_EINVAL(h.ecam_base = X86_VIRTIO_MMIO_BASE); /* on a device */
	EXPECT_EINVAL(h.mmio32_size = 0);
	EXPECT_EINVAL(h.mmio32_base = 0xf0000000, h.mmio32_size = 0x20000000);
	EXPECT_EINVAL(h.mmio32_size = 0x20000000); /* over the devices */
	EXPECT_EINVAL(h.mmio64_base = 0x80000000); /* below 4 GiB */
	EXPECT_EINVAL(h.mmio64_base = 0xffffffff00000000ULL,
		      h.mmio64_size = 0x200000000ULL); /* wraps */
	EXPECT_EINVAL(d.pci = NULL); /* ranges without a PCI bus */
	EXPECT_EINVAL(d.has_iommu = false);
	EXPECT_EINVAL(d.pci_ranges = NULL);
	EXPECT_EINVAL(d.pci_ranges = many,
		      d.nr_pci_ranges = ACPI_MAX_PCI_RANGES + 1);
	EXPECT_EINVAL(r[0].bdf_start = 0x09); /* start after end */
	EXPECT_EINVAL(r[1].bdf_end = 0x100); /* bus 1 */
	EXPECT_EINVAL(r[1].endpoint_start = 0xfffffff0); /* IDs wrap */
	EXPECT_EINVAL(r[1].bdf_start = 0x08); /* shares 00:01.0 */
	EXPECT_EINVAL(r[1].endpoint_start = 0xf1); /* shares ID 0x100 */
	EXPECT_EINVAL(r[0].endpoint_start = 11); /* a virtio endpoint's */
#undef EXPECT_EINVAL
#undef PCI_DESC
	/* Edges that are fine: the ECAM just below 4 GiB, a window ending
	 * there, the last endpoint ID, all of bus 0 in one range. */
	d = pc(1, 0);
	h = pci_host;
	h.ecam_base = 0xfff00000;
	h.mmio32_base = 0xc0000000;
	h.mmio32_size = 0x20000000;
	d.pci = &h;
	d.mmio = mmio;
	cr_assert_gt(acpi_build(buf, sizeof(buf), X86_ACPI_START, &d, &rsdp),
		     0);
	d = pc_with_iommu();
	d.pci = &pci_host;
	r[0] = (struct acpi_pci_range){ .bdf_start = 0,
					.bdf_end = 0xff,
					.endpoint_start = 0xffffff00 };
	d.pci_ranges = r;
	d.nr_pci_ranges = 1;
	cr_assert_gt(acpi_build(buf, sizeof(buf), X86_ACPI_START, &d, &rsdp),
		     0);
}

/* Where PCI goes: the 32-bit window from the hole's start up to the
 * virtio-mmio devices, the ECAM clear of every other device. */
Test(acpi, pci_layout)
{
	const uint64_t virtio_end =
		X86_VIRTIO_MMIO_BASE +
		X86_VIRTIO_MMIO_SLOTS * X86_VIRTIO_MMIO_SIZE;

	cr_assert_eq(X86_PCI_MMIO32_START, X86_MMIO_HOLE_START);
	cr_assert_eq(X86_PCI_MMIO32_START + X86_PCI_MMIO32_SIZE,
		     X86_VIRTIO_MMIO_BASE, "up to the virtio-mmio devices");
	cr_assert_eq(X86_PCI_ECAM_SIZE, ACPI_ECAM_BUS_SIZE, "bus 0 only");
	cr_assert_eq(X86_PCI_ECAM_START % X86_PCI_ECAM_SIZE, 0);
	cr_assert_geq(X86_PCI_ECAM_START, virtio_end);
	cr_assert_leq(X86_PCI_ECAM_START + X86_PCI_ECAM_SIZE, X86_IOAPIC_ADDR);
	cr_assert_eq(X86_PCI_MMIO64_ALIGN & (X86_PCI_MMIO64_ALIGN - 1), 0);
	cr_assert_geq(X86_PCI_MMIO64_ALIGN, X86_PCI_MMIO32_SIZE);
}
