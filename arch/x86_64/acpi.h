/* SPDX-License-Identifier: Apache-2.0 */
/* arch/x86_64/acpi.h: ACPI tables (RSDP ... DSDT, VIOT). Pure code. */
#ifndef IGNIS_X86_ACPI_H
#define IGNIS_X86_ACPI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* 255 is the xAPIC broadcast ID, and the I/O APIC needs an ID of its own. */
#define ACPI_MAX_CPUS 254
/* Device names are "VR" and two hex digits. */
#define ACPI_MAX_MMIO_DEVS 256

/* One virtio-mmio device, as the DSDT announces it ("LNRO0005"). */
struct acpi_mmio_dev {
	uint64_t base; /* first byte of its window; below 4 GiB */
	uint32_t size; /* window bytes */
	uint32_t gsi; /* its interrupt: edge, active high */
	bool translated; /* its DMA goes through the virtio-iommu */
	uint32_t endpoint; /* then: its endpoint ID in iommu requests */
};

/* PCI functions behind the iommu: BDF ranges. */
#define ACPI_MAX_PCI_RANGES 256
/* ECAM bytes per bus (PCIe Base 4.0, 7.2.2): 32 devices x 8 x 4 KiB. */
#define ACPI_ECAM_BUS_SIZE 0x100000ULL

/*
 * A PCI host bridge for segment 0, bus 0 only (devices/pci): the MCFG
 * names its ECAM, the DSDT's PCI0 its windows, a PNP0C02 device reserves
 * the ECAM, and PCI0's _PRT wires each slot's INTx pins to GSIs
 * (X86_PCI_INTX_GSI()).
 */
struct acpi_pci_host {
	uint64_t ecam_base; /* bus 0's 1 MiB of ECAM; aligned, below 4 GiB */
	uint64_t mmio32_base; /* 32-bit BAR window, below 4 GiB */
	uint64_t mmio32_size; /* its bytes, not 0 */
	uint64_t mmio64_base; /* 64-bit BAR window, at or above 4 GiB */
	uint64_t mmio64_size; /* its bytes; 0: none */
};

/*
 * PCI functions behind the virtio-iommu (a VIOT PCI range node, ACPI 6.5
 * 5.2.32.2): BDFs bdf_start..bdf_end of segment 0 have endpoint IDs
 * endpoint_start + (bdf - bdf_start), as Linux's drivers/acpi/viot.c
 * computes them.
 */
struct acpi_pci_range {
	uint16_t bdf_start; /* bus << 8 | device << 3 | function */
	uint16_t bdf_end; /* the last one, inclusive; bus 0 */
	uint32_t endpoint_start; /* endpoint ID of bdf_start */
};

/* The machine the tables describe. */
struct acpi_desc {
	unsigned int nr_cpus; /* vCPUs; APIC ID = processor UID = index */
	uint8_t ioapic_id; /* I/O APIC ID, not any vCPU's */
	uint32_t ioapic_addr; /* its MMIO base; it takes GSIs from 0 */
	uint16_t serial_port; /* 16550's 8 I/O ports; 0: no serial */
	uint8_t serial_irq; /* its ISA IRQ (edge, active high) */
	bool i8042; /* 8042 at 0x60/0x64, IRQ 1 and 12, resets on 0xfe */
	bool rtc; /* CMOS RTC at 0x70/0x71, no interrupt */
	const struct acpi_mmio_dev *mmio; /* virtio-mmio devices */
	unsigned int nr_mmio; /* entries in mmio */
	bool has_iommu; /* mmio[iommu] is a virtio-iommu: a VIOT */
	unsigned int iommu; /* its index in mmio */
	const struct acpi_pci_host *pci; /* NULL: no PCI bus */
	const struct acpi_pci_range *pci_ranges; /* translated PCI BDFs */
	unsigned int nr_pci_ranges; /* entries; needs pci and has_iommu */
};

/*
 * Writes the ACPI tables for (d) into (buf) of (size) bytes, which the guest
 * will see at guest-physical (gpa): the RSDP first (at gpa, so the legacy
 * scan of 0xE0000-0xFFFFF finds it when gpa is in that window), then the
 * XSDT, FADT (hardware-reduced), MADT, with PCI the MCFG, the DSDT and,
 * with an iommu, the VIOT (a virtio-iommu-on-MMIO node, one MMIO endpoint
 * node per translated device, one PCI range node per PCI range), each
 * 16-byte aligned, every checksum filled. Sets (*rsdp_gpa) to the RSDP's
 * guest address.
 *
 * Returns the bytes used (>= 0) or -errno: -EINVAL for a (d) out of range
 * (0 or more than ACPI_MAX_CPUS vCPUs, an I/O APIC ID that is a vCPU's or
 * 255, a serial IRQ above 15, more than ACPI_MAX_MMIO_DEVS devices, a
 * device window not inside 4 GiB, an iommu index out of range or a
 * translated iommu; an ECAM not 1 MiB aligned below 4 GiB, a PCI window
 * empty, wrapping, on the wrong side of 4 GiB or overlapping the ECAM or
 * a device; PCI ranges without PCI or an iommu, more than
 * ACPI_MAX_PCI_RANGES, off bus 0, reversed, or whose BDFs or endpoint IDs
 * overlap each other's or a translated device's) or a (gpa) not 16-byte
 * aligned; -ENOSPC
 * when (buf) is too small (its contents are then undefined). Pure: touches
 * nothing but (buf).
 */
int acpi_build(void *buf, size_t size, uint64_t gpa, const struct acpi_desc *d,
	       uint64_t *rsdp_gpa);

#endif
