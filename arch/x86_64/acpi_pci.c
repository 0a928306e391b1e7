// SPDX-License-Identifier: Apache-2.0
/* arch/x86_64/acpi_pci.c: the PCI host's ACPI: the MCFG, the DSDT's PCI0
 * and PNP0C02 devices, the VIOT's PCI range nodes and the checks on them.
 * Section numbers are ACPI 6.5's, as in acpi.c, unless they say whose. */
#include "arch/x86_64/acpi_priv.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "arch/x86_64/aml.h"
#include "arch/x86_64/layout.h"

/* MCFG: PCI Firmware Specification 3.0, 4.1.2 (ACPI 6.5 5.2.6 reserves
 * the signature); revision 1. */
#define ACPI_MCFG_REVISION 1

/* _PRT (6.2.13): a row per INTx pin of every device on bus 0. */
#define PCI_SLOTS 32
#define PCI_INTX_PINS 4 /* INTA..INTD */
#define PRT_ADDR_ANY_FN 0xffff /* Address bits 15-0: every function */

/* VIOT node type (ACPI 6.5, 5.2.32.1). */
#define VIOT_NODE_PCI_RANGE 1 /* PCI endpoints, by BDF range */

/* PCI Express memory mapped configuration space base address description
 * table (PCI Firmware 3.0, 4.1.2, Table 4-2). */
struct acpi_mcfg {
	struct acpi_header hdr; /* "MCFG" */
	uint8_t reserved[8]; /* 0 */
} __attribute__((packed));

/* One ECAM region (Table 4-3). */
struct mcfg_alloc {
	uint64_t base; /* ECAM of bus start_bus */
	uint16_t segment; /* PCI segment group */
	uint8_t start_bus; /* first bus decoded */
	uint8_t end_bus; /* last bus decoded */
	uint32_t reserved; /* 0 */
} __attribute__((packed));

/* A PCI range node (5.2.32.2): BDFs bdf_start..bdf_end of segments
 * segment_start..segment_end are endpoints from endpoint_start on. */
struct viot_pci_range {
	uint8_t type; /* VIOT_NODE_PCI_RANGE */
	uint8_t reserved0;
	uint16_t length; /* sizeof */
	uint32_t endpoint_start; /* ID of the first BDF */
	uint16_t segment_start; /* first segment */
	uint16_t segment_end; /* last segment */
	uint16_t bdf_start; /* first BDF */
	uint16_t bdf_end; /* last BDF */
	uint16_t output_node; /* the iommu node, from the table's start */
	uint8_t reserved1[6];
} __attribute__((packed));

_Static_assert(sizeof(struct acpi_mcfg) == 44, "MCFG header");
_Static_assert(sizeof(struct mcfg_alloc) == 16, "MCFG allocation");
_Static_assert(sizeof(struct viot_pci_range) == 24, "VIOT PCI range");

/* _PRT row (*ctx), Package () { Address, Pin, Source, Source Index }:
 * pin row % 4 of slot row / 4, hard-wired (Source 0) to its GSI. */
static void acpi_prt_entry(struct aml *w, const void *ctx)
{
	unsigned int i = *(const unsigned int *)ctx;
	unsigned int slot = i / PCI_INTX_PINS, pin = i % PCI_INTX_PINS;

	aml_integer(w, (uint64_t)slot << 16 | PRT_ADDR_ANY_FN);
	aml_integer(w, pin);
	aml_integer(w, 0);
	aml_integer(w, X86_PCI_INTX_GSI(slot, pin));
}

/* The _PRT's rows: slot by slot, INTA..INTD, all of them, as QEMU does,
 * so that whatever slot a device is put in, its pin has a GSI. */
static void acpi_prt_rows(struct aml *w, const void *ctx)
{
	for (unsigned int i = 0; i < PCI_SLOTS * PCI_INTX_PINS; i++)
		aml_package(w, 4, acpi_prt_entry, &i);
}

/*
 * Device (PCI0): the host bridge of segment 0, bus 0 (PNP0A08, PCI
 * Express, compatible with PNP0A03; 6.1.2, 6.5.5 _BBN, 6.5.6 _SEG). _CRS
 * (6.2.2): the bus number, the config ports 0xCF8-0xCFF (which Linux takes
 * back out of the windows: resource_is_pcicfg_ioport() in
 * arch/x86/pci/acpi.c), and the windows it forwards. No I/O window: no
 * device has I/O BARs. _PRT (6.2.13): pin INTx of each slot is wired to
 * GSI X86_PCI_INTX_GSI(), with no link device; Linux takes such a GSI as
 * level, active low and shareable, and our IOAPIC ignores polarity. No
 * _OSC: it is optional for PNP0A03-compatible bridges, and Linux then keeps
 * native PCIe services and ASPM off, which ignis does not offer anyway.
 * The windows are not Prefetchable: Linux refuses a non-prefetchable BAR
 * inside a prefetchable window (pci_find_parent_resource()), and our 64-bit
 * window may hold either kind.
 */
void acpi_dsdt_pci0(struct aml *w, const void *ctx)
{
	const struct acpi_pci_host *h = ctx;
	struct aml_res r;

	aml_nameseg(w, "PCI0");
	aml_name_eisaid(w, "_HID", "PNP0A08");
	aml_name_eisaid(w, "_CID", "PNP0A03");
	aml_name_int(w, "_SEG", 0);
	aml_name_int(w, "_BBN", 0);
	aml_name_int(w, "_UID", 0);
	res_init(&r);
	res_word_bus_number(&r, 0, 0);
	res_io(&r, 0xcf8, 8);
	res_dword_memory(&r, (uint32_t)h->mmio32_base, (uint32_t)h->mmio32_size,
			 RES_MEM_NON_CACHEABLE);
	if (h->mmio64_size)
		res_qword_memory(&r, h->mmio64_base, h->mmio64_size,
				 RES_MEM_CACHEABLE);
	aml_name_crs(w, &r);
	aml_name_package(w, "_PRT", PCI_SLOTS * PCI_INTX_PINS, acpi_prt_rows,
			 NULL);
}

/*
 * Device (MRES): motherboard resources (PNP0C02) holding the ECAM. Linux
 * uses the MCFG's ECAM only once it finds that range reserved in E820 or
 * in a PNP0C01/PNP0C02 device's _CRS (is_acpi_reserved() in
 * arch/x86/pci/mmconfig-shared.c); otherwise it stays on the 0xCF8 ports.
 */
void acpi_dsdt_mres(struct aml *w, const void *ctx)
{
	const struct acpi_pci_host *h = ctx;
	struct aml_res r;

	aml_nameseg(w, "MRES");
	aml_name_eisaid(w, "_HID", "PNP0C02");
	aml_name_int(w, "_UID", 0);
	res_init(&r);
	res_mem32_fixed(&r, (uint32_t)h->ecam_base, ACPI_ECAM_BUS_SIZE);
	aml_name_crs(w, &r);
}

size_t acpi_mcfg_len(const struct acpi_desc *d)
{
	return d->pci ? sizeof(struct acpi_mcfg) + sizeof(struct mcfg_alloc) :
			0;
}

/* The MCFG: one region, segment 0, bus 0. */
void acpi_write_mcfg(uint8_t *p, const struct acpi_desc *d)
{
	struct acpi_mcfg m = { .reserved = { 0 } };
	struct mcfg_alloc a = {
		.base = d->pci->ecam_base,
		.segment = 0,
		.start_bus = 0,
		.end_bus = 0,
	};

	acpi_header_init(&m.hdr, "MCFG", acpi_mcfg_len(d), ACPI_MCFG_REVISION);
	memcpy(p, &m, sizeof(m));
	memcpy(p + sizeof(m), &a, sizeof(a));
	acpi_table_sum(p);
}

size_t acpi_viot_pci_len(const struct acpi_desc *d)
{
	return d->nr_pci_ranges * sizeof(struct viot_pci_range);
}

/* A PCI range node per range at (p), acpi_viot_pci_len() bytes, each
 * naming the iommu node at (output_node) as its output. */
void acpi_write_viot_pci(uint8_t *p, const struct acpi_desc *d,
			 uint16_t output_node)
{
	size_t off = 0;

	for (unsigned int i = 0; i < d->nr_pci_ranges; i++) {
		const struct acpi_pci_range *pr = &d->pci_ranges[i];
		struct viot_pci_range e = {
			.type = VIOT_NODE_PCI_RANGE,
			.length = sizeof(e),
			.endpoint_start = pr->endpoint_start,
			.segment_start = 0,
			.segment_end = 0,
			.bdf_start = pr->bdf_start,
			.bdf_end = pr->bdf_end,
			.output_node = output_node,
		};

		memcpy(p + off, &e, sizeof(e));
		off += sizeof(e);
	}
}

/* Whether [a, a + alen) and [b, b + blen) meet; neither wraps. */
static bool acpi_overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a < b + blen && b < a + alen;
}

/* The PCI host: an ECAM and windows that fit their descriptors and no
 * other device's registers. */
int acpi_check_pci(const struct acpi_desc *d)
{
	const struct acpi_pci_host *h = d->pci;
	const uint64_t four_g = 0x100000000ULL;

	if (!h)
		return 0;
	if (h->ecam_base % ACPI_ECAM_BUS_SIZE ||
	    h->ecam_base > four_g - ACPI_ECAM_BUS_SIZE)
		return -EINVAL;
	if (!h->mmio32_size || h->mmio32_size > four_g ||
	    h->mmio32_base > four_g - h->mmio32_size)
		return -EINVAL;
	if (h->mmio64_size &&
	    (h->mmio64_base < four_g ||
	     h->mmio64_size - 1 > UINT64_MAX - h->mmio64_base))
		return -EINVAL;
	if (acpi_overlaps(h->ecam_base, ACPI_ECAM_BUS_SIZE, h->mmio32_base,
			  h->mmio32_size))
		return -EINVAL;
	for (unsigned int i = 0; i < d->nr_mmio; i++) {
		const struct acpi_mmio_dev *m = &d->mmio[i];

		if (acpi_overlaps(m->base, m->size, h->ecam_base,
				  ACPI_ECAM_BUS_SIZE) ||
		    acpi_overlaps(m->base, m->size, h->mmio32_base,
				  h->mmio32_size))
			return -EINVAL;
	}
	return 0;
}

/* How many BDFs (and endpoint IDs) (r) covers. */
static uint64_t acpi_range_len(const struct acpi_pci_range *r)
{
	return (uint64_t)r->bdf_end - r->bdf_start + 1;
}

/* Whether range (i) shares a BDF or an endpoint ID with a later range or
 * an endpoint ID with a translated device. */
static bool acpi_range_clashes(const struct acpi_desc *d, unsigned int i)
{
	const struct acpi_pci_range *r = &d->pci_ranges[i];
	uint64_t n = acpi_range_len(r);

	for (unsigned int j = i + 1; j < d->nr_pci_ranges; j++) {
		const struct acpi_pci_range *o = &d->pci_ranges[j];

		if (acpi_overlaps(r->bdf_start, n, o->bdf_start,
				  acpi_range_len(o)) ||
		    acpi_overlaps(r->endpoint_start, n, o->endpoint_start,
				  acpi_range_len(o)))
			return true;
	}
	for (unsigned int j = 0; j < d->nr_mmio; j++)
		if (d->mmio[j].translated &&
		    acpi_overlaps(r->endpoint_start, n, d->mmio[j].endpoint, 1))
			return true;
	return false;
}

/* PCI ranges: on bus 0 of a PCI host, behind an iommu, each BDF and
 * endpoint ID named once. Ranges are checked before their lengths. */
int acpi_check_pci_ranges(const struct acpi_desc *d)
{
	if (!d->nr_pci_ranges)
		return 0;
	if (!d->pci || !d->has_iommu || !d->pci_ranges ||
	    d->nr_pci_ranges > ACPI_MAX_PCI_RANGES)
		return -EINVAL;
	for (unsigned int i = 0; i < d->nr_pci_ranges; i++) {
		const struct acpi_pci_range *r = &d->pci_ranges[i];

		/* Bus 0 is all the host decodes (BDF bits 15-8). */
		if (r->bdf_start > r->bdf_end || r->bdf_end > 0xff ||
		    r->endpoint_start > UINT32_MAX - (acpi_range_len(r) - 1))
			return -EINVAL;
	}
	for (unsigned int i = 0; i < d->nr_pci_ranges; i++)
		if (acpi_range_clashes(d, i))
			return -EINVAL;
	return 0;
}
