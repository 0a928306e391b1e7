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
};

/*
 * Writes the ACPI tables for (d) into (buf) of (size) bytes, which the guest
 * will see at guest-physical (gpa): the RSDP first (at gpa, so the legacy
 * scan of 0xE0000-0xFFFFF finds it when gpa is in that window), then the
 * XSDT, FADT (hardware-reduced), MADT, DSDT and, with an iommu, the VIOT
 * (a virtio-iommu-on-MMIO node and one MMIO endpoint node per translated
 * device), each 16-byte aligned, every checksum filled. Sets (*rsdp_gpa)
 * to the RSDP's guest address.
 *
 * Returns the bytes used (>= 0) or -errno: -EINVAL for a (d) out of range
 * (0 or more than ACPI_MAX_CPUS vCPUs, an I/O APIC ID that is a vCPU's or
 * 255, a serial IRQ above 15, more than ACPI_MAX_MMIO_DEVS devices, a
 * device window not inside 4 GiB, an iommu index out of range or a
 * translated iommu) or a (gpa) not 16-byte aligned; -ENOSPC
 * when (buf) is too small (its contents are then undefined). Pure: touches
 * nothing but (buf).
 */
int acpi_build(void *buf, size_t size, uint64_t gpa, const struct acpi_desc *d,
	       uint64_t *rsdp_gpa);

#endif
