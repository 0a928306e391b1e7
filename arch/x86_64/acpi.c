// SPDX-License-Identifier: Apache-2.0
/* arch/x86_64/acpi.c: ACPI tables for x86_64 guests (ACPI 6.5, 5). */
#include "arch/x86_64/acpi.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "arch/x86_64/aml.h"
#include "arch/x86_64/layout.h"
#include "arch/x86_64/acpi_priv.h"

/*
 * Written from the ACPI 6.5 specification; section numbers below are its.
 * The machine is hardware-reduced (4.1): no PM1/GPE blocks, no SCI, no FACS,
 * no fixed-feature buttons. Linux then takes its CPUs and I/O APIC from the
 * MADT and every device, the legacy ISA ones included, from the DSDT.
 * Multi-byte fields are little-endian in the guest, as on the host.
 */

#define ACPI_ALIGN 16 /* every table starts on a paragraph */
#define ACPI_OEM_ID "IGNIS " /* 6 chars, space padded */
#define ACPI_OEM_TABLE_ID "MICROVM " /* 8 chars, space padded */
#define ACPI_OEM_REVISION 1
#define ACPI_CREATOR_ID "IGNS" /* the "compiler" of every table */
#define ACPI_CREATOR_REVISION 1

/* Revisions that ACPI 6.5 defines. */
#define ACPI_RSDP_REVISION 2 /* 5.2.5.3: ACPI 2.0+, has an XSDT */
#define ACPI_XSDT_REVISION 1 /* 5.2.8 */
#define ACPI_FADT_REVISION 6 /* 5.2.9: major version 6, */
#define ACPI_FADT_MINOR 5 /* minor 5 */
#define ACPI_MADT_REVISION 6 /* 5.2.12 */
#define ACPI_DSDT_REVISION 2 /* 5.2.11.1: 2 = 64-bit AML integers */
#define ACPI_VIOT_REVISION 0 /* 5.2.32: VIOT, ACPI 6.4+ */

/* VIOT node types (ACPI 6.5, 5.2.32.1). */
#define VIOT_NODE_MMIO 2 /* an endpoint at an MMIO base */
#define VIOT_NODE_VIRTIO_IOMMU_MMIO 4 /* a virtio-iommu on virtio-mmio */

/* FADT Flags (Table 5.10). */
#define FADT_F_PWR_BUTTON (1u << 4) /* 1: no fixed-feature button */
#define FADT_F_SLP_BUTTON (1u << 5) /* 1: no fixed-feature button */
#define FADT_F_RESET_REG_SUP (1u << 10) /* RESET_REG is valid */
#define FADT_F_HW_REDUCED_ACPI (1u << 20) /* 4.1 hardware-reduced */

/* FADT IA-PC Boot Architecture Flags (5.2.9.3, Table 5.11). */
#define FADT_BOOT_LEGACY_DEVICES (1u << 0) /* ISA/LPC devices */
#define FADT_BOOT_8042 (1u << 1) /* an 8042 is there */
#define FADT_BOOT_VGA_NOT_PRESENT (1u << 2) /* do not probe VGA */
#define FADT_BOOT_CMOS_RTC_NOT_PRESENT (1u << 5) /* no RTC at 0x70 */

/* Generic Address Structure (5.2.3.2, Table 5.1). */
#define GAS_SYSTEM_IO 1 /* Address Space ID */
#define GAS_ACCESS_BYTE 1 /* Access Size */

/* The i8042's reset: "pulse output line" command 0xfe on its command port. */
#define ACPI_I8042_RESET_VALUE 0xfe

/* Written into the FADT so that the guest can tell whose tables these are. */
#define ACPI_HYPERVISOR_ID "IGNISVMM" /* 8 bytes */

/* MADT (5.2.12). */
#define MADT_PCAT_COMPAT (1u << 0) /* Flags: also a PC-AT 8259 layout */
#define MADT_LAPIC 0 /* Processor Local APIC (5.2.12.2) */
#define MADT_IOAPIC 1 /* I/O APIC (5.2.12.3) */
#define MADT_LAPIC_NMI 4 /* Local APIC NMI (5.2.12.7) */
#define MADT_LAPIC_ENABLED (1u << 0) /* usable at boot */
#define MADT_UID_ALL 0xff /* Local APIC NMI: every processor */
#define MADT_INTI_CONFORMS 0 /* MPS INTI flags: as the bus says */
#define MADT_NMI_LINT 1 /* LINT1 is NMI (cpuid.c programs it) */

/* Root System Description Pointer (5.2.5.3, Table 5.3). */
struct acpi_rsdp {
	char signature[8]; /* "RSD PTR " */
	uint8_t checksum; /* the first 20 bytes sum to 0 */
	char oem_id[6]; /* ACPI_OEM_ID */
	uint8_t revision; /* ACPI_RSDP_REVISION */
	uint32_t rsdt_addr; /* 0: no RSDT, the XSDT serves */
	uint32_t length; /* sizeof(struct acpi_rsdp) */
	uint64_t xsdt_addr; /* the XSDT */
	uint8_t ext_checksum; /* all 36 bytes sum to 0 */
	uint8_t reserved[3]; /* 0 */
} __attribute__((packed));

/* Extended System Description Table (5.2.8): the tables OSPM reads first. */
struct acpi_xsdt {
	struct acpi_header hdr; /* "XSDT" */
	uint64_t entry[4]; /* the FADT, the MADT, [the MCFG], [the VIOT] */
} __attribute__((packed));

/* Virtual I/O Translation table (5.2.32): which endpoints an iommu
 * translates. Linux reads it in drivers/acpi/viot.c. */
struct acpi_viot {
	struct acpi_header hdr; /* "VIOT" */
	uint16_t node_count; /* nodes that follow */
	uint16_t node_offset; /* first node, from the table's start */
	uint8_t reserved[8];
} __attribute__((packed));

/* A virtio-iommu on virtio-mmio (5.2.32.5). Linux finds the iommu's
 * device through the DSDT device whose _CRS holds this base. */
struct viot_iommu_mmio {
	uint8_t type; /* VIOT_NODE_VIRTIO_IOMMU_MMIO */
	uint8_t reserved0;
	uint16_t length; /* sizeof */
	uint8_t reserved1[4];
	uint64_t base; /* its virtio-mmio window */
} __attribute__((packed));

/* An MMIO endpoint (5.2.32.3): a virtio-mmio device behind the iommu. */
struct viot_mmio_endpoint {
	uint8_t type; /* VIOT_NODE_MMIO */
	uint8_t reserved0;
	uint16_t length; /* sizeof */
	uint32_t endpoint; /* its ID in the iommu's requests */
	uint64_t base; /* its virtio-mmio window */
	uint16_t output_node; /* the iommu node, from the table's start */
	uint8_t reserved1[6];
} __attribute__((packed));

/* Generic Address Structure (5.2.3.2). */
struct acpi_gas {
	uint8_t space_id; /* GAS_SYSTEM_IO, ... */
	uint8_t bit_width; /* register width */
	uint8_t bit_offset; /* register offset */
	uint8_t access_size; /* GAS_ACCESS_BYTE, ... */
	uint64_t address; /* in that space */
} __attribute__((packed));

/*
 * Fixed ACPI Description Table (5.2.9, Table 5.9). With HW_REDUCED_ACPI,
 * OSPM ignores offsets 46-108 and 148-232 (the PM and GPE blocks), which
 * stay zero.
 */
struct acpi_fadt {
	struct acpi_header hdr; /* "FACP" */
	uint32_t firmware_ctrl; /* FACS: none (optional when reduced) */
	uint32_t dsdt; /* 0: X_DSDT is used */
	uint8_t reserved0; /* was INT_MODEL */
	uint8_t preferred_pm_profile; /* 0: unspecified */
	uint16_t sci_int; /* no SCI */
	uint32_t smi_cmd; /* no SMM */
	uint8_t acpi_enable; /* 0: always in ACPI mode */
	uint8_t acpi_disable; /* 0 */
	uint8_t s4bios_req; /* 0 */
	uint8_t pstate_cnt; /* 0 */
	uint32_t pm_blk[8]; /* PM1a/b EVT, CNT, PM2, TMR, GPE0/1 */
	uint8_t pm_len[6]; /* their lengths */
	uint8_t gpe1_base; /* 0 */
	uint8_t cst_cnt; /* 0 */
	uint16_t p_lvl2_lat; /* 0 */
	uint16_t p_lvl3_lat; /* 0 */
	uint16_t flush_size; /* 0 */
	uint16_t flush_stride; /* 0 */
	uint8_t duty_offset; /* 0 */
	uint8_t duty_width; /* 0 */
	uint8_t day_alrm; /* 0: no RTC day alarm */
	uint8_t mon_alrm; /* 0: no RTC month alarm */
	uint8_t century; /* 0: no RTC century register */
	uint16_t iapc_boot_arch; /* FADT_BOOT_* */
	uint8_t reserved1; /* 0 */
	uint32_t flags; /* FADT_F_* */
	struct acpi_gas reset_reg; /* where a reset is written */
	uint8_t reset_value; /* what */
	uint16_t arm_boot_arch; /* 0 on x86 */
	uint8_t minor_version; /* ACPI_FADT_MINOR */
	uint64_t x_firmware_ctrl; /* FACS: none */
	uint64_t x_dsdt; /* the DSDT */
	struct acpi_gas x_pm_blk[8]; /* as pm_blk: none */
	struct acpi_gas sleep_control_reg; /* none: no S-states */
	struct acpi_gas sleep_status_reg; /* none */
	char hypervisor_vendor[8]; /* ACPI_HYPERVISOR_ID */
} __attribute__((packed));

/* Multiple APIC Description Table header (5.2.12, Table 5.19). */
struct acpi_madt {
	struct acpi_header hdr; /* "APIC" */
	uint32_t lapic_addr; /* every local APIC's MMIO base */
	uint32_t flags; /* MADT_PCAT_COMPAT */
} __attribute__((packed));

/* Processor Local APIC Structure (5.2.12.2, Table 5.21). */
struct madt_lapic {
	uint8_t type; /* MADT_LAPIC */
	uint8_t length; /* 8 */
	uint8_t uid; /* ACPI Processor UID */
	uint8_t apic_id; /* its local APIC ID */
	uint32_t flags; /* MADT_LAPIC_ENABLED */
} __attribute__((packed));

/* I/O APIC Structure (5.2.12.3, Table 5.23). */
struct madt_ioapic {
	uint8_t type; /* MADT_IOAPIC */
	uint8_t length; /* 12 */
	uint8_t id; /* I/O APIC ID */
	uint8_t reserved; /* 0 */
	uint32_t addr; /* MMIO base */
	uint32_t gsi_base; /* GSI of its pin 0 */
} __attribute__((packed));

/* Local APIC NMI Structure (5.2.12.7, Table 5.30). */
struct madt_lapic_nmi {
	uint8_t type; /* MADT_LAPIC_NMI */
	uint8_t length; /* 6 */
	uint8_t uid; /* MADT_UID_ALL */
	uint16_t flags; /* MPS INTI flags */
	uint8_t lint; /* LINT0 or LINT1 */
} __attribute__((packed));

_Static_assert(sizeof(struct acpi_rsdp) == 36, "RSDP (revision 2)");
_Static_assert(sizeof(struct acpi_gas) == 12, "generic address");
_Static_assert(offsetof(struct acpi_fadt, iapc_boot_arch) == 109, "FADT");
_Static_assert(offsetof(struct acpi_fadt, flags) == 112, "FADT flags");
_Static_assert(offsetof(struct acpi_fadt, reset_reg) == 116, "RESET_REG");
_Static_assert(offsetof(struct acpi_fadt, minor_version) == 131, "FADT");
_Static_assert(offsetof(struct acpi_fadt, x_dsdt) == 140, "X_DSDT");
_Static_assert(offsetof(struct acpi_fadt, sleep_control_reg) == 244, "FADT");
_Static_assert(sizeof(struct acpi_fadt) == 276, "FADT (6.5)");
_Static_assert(sizeof(struct acpi_madt) == 44, "MADT header");
_Static_assert(sizeof(struct madt_lapic) == 8, "MADT local APIC");
_Static_assert(sizeof(struct madt_ioapic) == 12, "MADT I/O APIC");
_Static_assert(sizeof(struct madt_lapic_nmi) == 6, "MADT local APIC NMI");

/* COM1: a 16550 (PNP0501) on 8 ports and an ISA IRQ. */
static void dsdt_serial(struct aml *w, const void *ctx)
{
	const struct acpi_desc *d = ctx;
	struct aml_res r;

	aml_nameseg(w, "COM1");
	aml_name_eisaid(w, "_HID", "PNP0501");
	aml_name_int(w, "_UID", 1);
	res_init(&r);
	res_io(&r, d->serial_port, 8);
	res_irq_noflags(&r, d->serial_irq);
	aml_name_crs(w, &r);
}

/*
 * The 8042 as PCs describe it: a keyboard (PNP0303) owning both ports and
 * IRQ 1, a PS/2 mouse (PNP0F13) owning IRQ 12. Without them a
 * hardware-reduced Linux has no legacy IRQs mapped and its i8042 driver
 * cannot get IRQ 1 or 12.
 */
static void dsdt_kbd(struct aml *w, const void *ctx)
{
	struct aml_res r;

	aml_nameseg(w, "PS2K");
	aml_name_eisaid(w, "_HID", "PNP0303");
	aml_name_int(w, "_UID", 0);
	res_init(&r);
	res_io(&r, X86_I8042_DATA_PORT, 1);
	res_io(&r, X86_I8042_CMD_PORT, 1);
	res_irq_noflags(&r, 1);
	aml_name_crs(w, &r);
}

static void dsdt_mouse(struct aml *w, const void *ctx)
{
	struct aml_res r;

	aml_nameseg(w, "PS2M");
	aml_name_eisaid(w, "_HID", "PNP0F13");
	aml_name_int(w, "_UID", 0);
	res_init(&r);
	res_irq_noflags(&r, 12);
	aml_name_crs(w, &r);
}

/* The CMOS RTC (PNP0B00): two ports and no IRQ, as our CMOS raises none;
 * Linux's rtc_cmos then runs without alarms. */
static void dsdt_rtc(struct aml *w, const void *ctx)
{
	struct aml_res r;

	aml_nameseg(w, "RTC_");
	aml_name_eisaid(w, "_HID", "PNP0B00");
	aml_name_int(w, "_UID", 0);
	res_init(&r);
	res_io(&r, X86_CMOS_PORT, 2);
	aml_name_crs(w, &r);
}

/* One virtio-mmio device and its index. */
struct dsdt_vr {
	unsigned int n; /* index: name, _UID */
	const struct acpi_mmio_dev *m; /* window, GSI */
};

/* Device (VRnn): Linux's virtio_mmio binds "LNRO0005". */
static void dsdt_virtio(struct aml *w, const void *ctx)
{
	static const char hex[] = "0123456789ABCDEF";
	const struct dsdt_vr *v = ctx;
	const char name[4] = { 'V', 'R', hex[(v->n >> 4) & 0xf],
			       hex[v->n & 0xf] };
	struct aml_res r;

	aml_nameseg(w, name);
	aml_name_string(w, "_HID", "LNRO0005");
	aml_name_int(w, "_UID", v->n);
	res_init(&r);
	res_mem32_fixed(&r, (uint32_t)v->m->base, v->m->size);
	res_ext_irq(&r, v->m->gsi);
	aml_name_crs(w, &r);
}

/* Scope (\_SB) { ... }'s body: every device belongs on the system bus
 * (5.3.1). */
static void dsdt_sb(struct aml *w, const void *ctx)
{
	const struct acpi_desc *d = ctx;

	aml_byte(w, AML_ROOT_CHAR);
	aml_nameseg(w, "_SB_");
	if (d->serial_port)
		aml_device(w, dsdt_serial, d);
	if (d->i8042) {
		aml_device(w, dsdt_kbd, NULL);
		aml_device(w, dsdt_mouse, NULL);
	}
	if (d->rtc)
		aml_device(w, dsdt_rtc, NULL);
	for (unsigned int i = 0; i < d->nr_mmio; i++)
		aml_device(w, dsdt_virtio,
			   &(struct dsdt_vr){ .n = i, .m = &d->mmio[i] });
	if (d->pci) {
		aml_device(w, acpi_dsdt_pci0, d->pci);
		aml_device(w, acpi_dsdt_mres, d->pci);
	}
}

static uint8_t acpi_checksum(const uint8_t *p, size_t len)
{
	uint8_t sum = 0;

	while (len--)
		sum += *p++;
	return (uint8_t)-sum;
}

void acpi_header_init(struct acpi_header *h, const char *sig, size_t len,
		      uint8_t rev)
{
	memcpy(h->signature, sig, sizeof(h->signature));
	h->length = (uint32_t)len;
	h->revision = rev;
	h->checksum = 0;
	memcpy(h->oem_id, ACPI_OEM_ID, sizeof(h->oem_id));
	memcpy(h->oem_table_id, ACPI_OEM_TABLE_ID, sizeof(h->oem_table_id));
	h->oem_revision = ACPI_OEM_REVISION;
	memcpy(h->creator_id, ACPI_CREATOR_ID, sizeof(h->creator_id));
	h->creator_revision = ACPI_CREATOR_REVISION;
}

/* Sets the checksum of the table at (p), whose header says its length. */
void acpi_table_sum(uint8_t *p)
{
	struct acpi_header h;

	memcpy(&h, p, sizeof(h));
	p[offsetof(struct acpi_header, checksum)] = 0;
	p[offsetof(struct acpi_header, checksum)] = acpi_checksum(p, h.length);
}

/* The DSDT at (p), with (room) bytes: returns its length or -ENOSPC. */
static int acpi_write_dsdt(uint8_t *p, size_t room, const struct acpi_desc *d)
{
	struct aml w = { .buf = p, .size = room };
	struct acpi_header h;

	if (room < sizeof(h))
		return -ENOSPC;
	w.pos = sizeof(h);
	aml_byte(&w, AML_SCOPE_OP);
	aml_pkg(&w, dsdt_sb, d);
	if (w.err)
		return w.err;

	acpi_header_init(&h, "DSDT", w.pos, ACPI_DSDT_REVISION);
	memcpy(p, &h, sizeof(h));
	acpi_table_sum(p);
	return (int)w.pos;
}

static size_t acpi_madt_len(const struct acpi_desc *d)
{
	return sizeof(struct acpi_madt) +
	       d->nr_cpus * sizeof(struct madt_lapic) +
	       sizeof(struct madt_ioapic) + sizeof(struct madt_lapic_nmi);
}

/*
 * The MADT at (p), acpi_madt_len() bytes: the CPUs as cpuid.c and the MP
 * table number them (APIC ID = index; the UID too, so processor objects
 * could be added later), the I/O APIC with GSIs 0-23 on its pins, and
 * LINT1 as NMI on every CPU. No Interrupt Source Overrides: ISA IRQ i is
 * GSI i, as in the MP table; there is no PIT whose IRQ 0 would go to pin 2.
 */
static void acpi_write_madt(uint8_t *p, const struct acpi_desc *d)
{
	size_t pos = sizeof(struct acpi_madt);
	struct acpi_madt madt = {
		.lapic_addr = (uint32_t)X86_LAPIC_ADDR,
		.flags = MADT_PCAT_COMPAT,
	};
	struct madt_ioapic io = {
		.type = MADT_IOAPIC,
		.length = sizeof(io),
		.id = d->ioapic_id,
		.addr = d->ioapic_addr,
		.gsi_base = 0,
	};
	struct madt_lapic_nmi nmi = {
		.type = MADT_LAPIC_NMI,
		.length = sizeof(nmi),
		.uid = MADT_UID_ALL,
		.flags = MADT_INTI_CONFORMS,
		.lint = MADT_NMI_LINT,
	};

	for (unsigned int cpu = 0; cpu < d->nr_cpus; cpu++) {
		struct madt_lapic e = {
			.type = MADT_LAPIC,
			.length = sizeof(e),
			.uid = (uint8_t)cpu,
			.apic_id = (uint8_t)cpu,
			.flags = MADT_LAPIC_ENABLED,
		};

		memcpy(p + pos, &e, sizeof(e));
		pos += sizeof(e);
	}
	memcpy(p + pos, &io, sizeof(io));
	pos += sizeof(io);
	memcpy(p + pos, &nmi, sizeof(nmi));
	pos += sizeof(nmi);

	acpi_header_init(&madt.hdr, "APIC", pos, ACPI_MADT_REVISION);
	memcpy(p, &madt, sizeof(madt));
	acpi_table_sum(p);
}

/*
 * The FADT at (p): hardware-reduced, the DSDT at (dsdt). With an 8042, a
 * write of 0xfe to its command port is the reset register, so that Linux's
 * ACPI reboot (its first choice) resets the VM.
 */
static void acpi_write_fadt(uint8_t *p, const struct acpi_desc *d,
			    uint64_t dsdt)
{
	struct acpi_fadt f;

	memset(&f, 0, sizeof(f));
	acpi_header_init(&f.hdr, "FACP", sizeof(f), ACPI_FADT_REVISION);
	f.minor_version = ACPI_FADT_MINOR;
	f.x_dsdt = dsdt;
	f.flags =
		FADT_F_HW_REDUCED_ACPI | FADT_F_PWR_BUTTON | FADT_F_SLP_BUTTON;
	f.iapc_boot_arch = FADT_BOOT_VGA_NOT_PRESENT;
	if (d->serial_port || d->i8042 || d->rtc)
		f.iapc_boot_arch |= FADT_BOOT_LEGACY_DEVICES;
	if (!d->rtc)
		f.iapc_boot_arch |= FADT_BOOT_CMOS_RTC_NOT_PRESENT;
	if (d->i8042) {
		f.iapc_boot_arch |= FADT_BOOT_8042;
		f.flags |= FADT_F_RESET_REG_SUP;
		f.reset_reg = (struct acpi_gas){
			.space_id = GAS_SYSTEM_IO,
			.bit_width = 8,
			.bit_offset = 0,
			.access_size = GAS_ACCESS_BYTE,
			.address = X86_I8042_CMD_PORT,
		};
		f.reset_value = ACPI_I8042_RESET_VALUE;
	}
	memcpy(f.hypervisor_vendor, ACPI_HYPERVISOR_ID,
	       sizeof(f.hypervisor_vendor));
	memcpy(p, &f, sizeof(f));
	acpi_table_sum(p);
}

/* The XSDT: the FADT, the MADT, then the MCFG and the VIOT where they are
 * not 0. */
static void acpi_write_xsdt(uint8_t *p, uint64_t fadt, uint64_t madt,
			    uint64_t mcfg, uint64_t viot)
{
	struct acpi_xsdt x = { .entry = { fadt, madt } };
	unsigned int n = 2;
	size_t len;

	if (mcfg)
		x.entry[n++] = mcfg;
	if (viot)
		x.entry[n++] = viot;
	len = sizeof(x.hdr) + n * sizeof(x.entry[0]);
	acpi_header_init(&x.hdr, "XSDT", (uint32_t)len, ACPI_XSDT_REVISION);
	memcpy(p, &x, len);
	acpi_table_sum(p);
}

static unsigned int acpi_nr_translated(const struct acpi_desc *d)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < d->nr_mmio; i++)
		n += d->mmio[i].translated;
	return n;
}

static size_t acpi_viot_len(const struct acpi_desc *d)
{
	if (!d->has_iommu)
		return 0;
	return sizeof(struct acpi_viot) + sizeof(struct viot_iommu_mmio) +
	       acpi_nr_translated(d) * sizeof(struct viot_mmio_endpoint) +
	       acpi_viot_pci_len(d);
}

/* The iommu node first, then an endpoint node per translated device and
 * a PCI range node per range, each naming the iommu node as its output. */
static void acpi_write_viot(uint8_t *p, const struct acpi_desc *d)
{
	const uint16_t iommu_off = sizeof(struct acpi_viot);
	struct acpi_viot v = {
		.node_count = (uint16_t)(1 + acpi_nr_translated(d) +
					 d->nr_pci_ranges),
		.node_offset = iommu_off,
	};
	struct viot_iommu_mmio io = {
		.type = VIOT_NODE_VIRTIO_IOMMU_MMIO,
		.length = sizeof(io),
		.base = d->mmio[d->iommu].base,
	};
	size_t off = iommu_off + sizeof(io);

	acpi_header_init(&v.hdr, "VIOT", (uint32_t)acpi_viot_len(d),
			 ACPI_VIOT_REVISION);
	memcpy(p, &v, sizeof(v));
	memcpy(p + iommu_off, &io, sizeof(io));
	for (unsigned int i = 0; i < d->nr_mmio; i++) {
		struct viot_mmio_endpoint e = {
			.type = VIOT_NODE_MMIO,
			.length = sizeof(e),
			.endpoint = d->mmio[i].endpoint,
			.base = d->mmio[i].base,
			.output_node = iommu_off,
		};

		if (!d->mmio[i].translated)
			continue;
		memcpy(p + off, &e, sizeof(e));
		off += sizeof(e);
	}
	acpi_write_viot_pci(p + off, d, iommu_off);
	acpi_table_sum(p);
}

static void acpi_write_rsdp(uint8_t *p, uint64_t xsdt)
{
	struct acpi_rsdp r = {
		.revision = ACPI_RSDP_REVISION,
		.length = sizeof(r),
		.xsdt_addr = xsdt,
	};

	memcpy(r.signature, "RSD PTR ", sizeof(r.signature));
	memcpy(r.oem_id, ACPI_OEM_ID, sizeof(r.oem_id));
	/* The ACPI 1.0 part (20 bytes) has its own checksum. */
	r.checksum = acpi_checksum((const uint8_t *)&r,
				   offsetof(struct acpi_rsdp, rsdt_addr) + 4);
	r.ext_checksum = acpi_checksum((const uint8_t *)&r, sizeof(r));
	memcpy(p, &r, sizeof(r));
}

static int acpi_check_desc(const struct acpi_desc *d)
{
	if (!d->nr_cpus || d->nr_cpus > ACPI_MAX_CPUS)
		return -EINVAL;
	/* APIC IDs are 0..nr_cpus-1 and 255 is broadcast. */
	if (d->ioapic_id < d->nr_cpus || d->ioapic_id == 0xff)
		return -EINVAL;
	if (d->serial_port && d->serial_irq > 15)
		return -EINVAL;
	if (d->nr_mmio > ACPI_MAX_MMIO_DEVS || (d->nr_mmio && !d->mmio))
		return -EINVAL;
	for (unsigned int i = 0; i < d->nr_mmio; i++) {
		const struct acpi_mmio_dev *m = &d->mmio[i];

		/* Memory32Fixed: the whole window below 4 GiB. */
		if (!m->size || m->base > 0x100000000ULL - m->size)
			return -EINVAL;
	}
	/* The iommu is a device of its own, and not behind itself. */
	if (d->has_iommu &&
	    (d->iommu >= d->nr_mmio || d->mmio[d->iommu].translated))
		return -EINVAL;
	if (acpi_check_pci(d))
		return -EINVAL;
	return acpi_check_pci_ranges(d);
}

static size_t acpi_align(size_t off)
{
	return (off + ACPI_ALIGN - 1) & ~(size_t)(ACPI_ALIGN - 1);
}

int acpi_build(void *buf, size_t size, uint64_t gpa, const struct acpi_desc *d,
	       uint64_t *rsdp_gpa)
{
	const size_t xsdt = acpi_align(sizeof(struct acpi_rsdp));
	const size_t fadt = acpi_align(xsdt + sizeof(struct acpi_xsdt));
	const size_t madt = acpi_align(fadt + sizeof(struct acpi_fadt));
	uint8_t *p = buf;
	size_t mcfg, dsdt, viot;
	int len;

	if (!buf || !d || !rsdp_gpa || gpa % ACPI_ALIGN ||
	    gpa > UINT64_MAX - size)
		return -EINVAL;
	len = acpi_check_desc(d);
	if (len)
		return len;
	mcfg = acpi_align(madt + acpi_madt_len(d));
	dsdt = acpi_align(mcfg + acpi_mcfg_len(d));
	if (dsdt > size)
		return -ENOSPC;
	/* The DSDT first: its length is the only one not known yet. */
	len = acpi_write_dsdt(p + dsdt, size - dsdt, d);
	if (len < 0)
		return len;
	viot = acpi_align(dsdt + (size_t)len);
	/* Aligning may have taken (viot) past the end: check that first. */
	if (d->has_iommu && (viot > size || acpi_viot_len(d) > size - viot))
		return -ENOSPC;
	memset(p, 0, dsdt); /* the gaps between tables */
	acpi_write_madt(p + madt, d);
	acpi_write_fadt(p + fadt, d, gpa + dsdt);
	if (d->pci)
		acpi_write_mcfg(p + mcfg, d);
	if (d->has_iommu) {
		memset(p + dsdt + len, 0, viot - dsdt - (size_t)len);
		acpi_write_viot(p + viot, d);
		len = (int)(viot - dsdt + acpi_viot_len(d));
	}
	acpi_write_xsdt(p + xsdt, gpa + fadt, gpa + madt,
			d->pci ? gpa + mcfg : 0, d->has_iommu ? gpa + viot : 0);
	acpi_write_rsdp(p, gpa + xsdt);
	*rsdp_gpa = gpa;
	return (int)dsdt + len;
}
