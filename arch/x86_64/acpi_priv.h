/* SPDX-License-Identifier: Apache-2.0 */
/* arch/x86_64/acpi_priv.h: what acpi.c (the tables, acpi_build()) and
 * acpi_pci.c (the PCI host's parts) share. */
#ifndef IGNIS_X86_ACPI_PRIV_H
#define IGNIS_X86_ACPI_PRIV_H

#include <stddef.h>
#include <stdint.h>

#include "arch/x86_64/acpi.h"
#include "arch/x86_64/aml.h"

/* System Description Table Header (5.2.6, Table 5.4). */
struct acpi_header {
	char signature[4]; /* e.g. "APIC" */
	uint32_t length; /* whole table, header included */
	uint8_t revision; /* of this table's layout */
	uint8_t checksum; /* the whole table sums to 0 */
	char oem_id[6]; /* ACPI_OEM_ID */
	char oem_table_id[8]; /* ACPI_OEM_TABLE_ID */
	uint32_t oem_revision; /* ACPI_OEM_REVISION */
	char creator_id[4]; /* ACPI_CREATOR_ID */
	uint32_t creator_revision; /* ACPI_CREATOR_REVISION */
} __attribute__((packed));

_Static_assert(sizeof(struct acpi_header) == 36, "table header");

/* acpi.c: (h) for a table (sig) of (len) bytes and revision (rev), with
 * ignis's OEM and creator IDs and the checksum 0. */
void acpi_header_init(struct acpi_header *h, const char *sig, size_t len,
		      uint8_t rev);

/* acpi.c: sets the checksum of the table at (p), whose header says its
 * length. */
void acpi_table_sum(uint8_t *p);

/* acpi_pci.c: DSDT device bodies for aml_device(), (ctx) the
 * acpi_pci_host: Device (PCI0), the host bridge; Device (MRES), the
 * PNP0C02 that reserves the ECAM. */
void acpi_dsdt_pci0(struct aml *w, const void *ctx);
void acpi_dsdt_mres(struct aml *w, const void *ctx);

/* acpi_pci.c: the MCFG's bytes (0 without PCI), and the MCFG at (p). */
size_t acpi_mcfg_len(const struct acpi_desc *d);
void acpi_write_mcfg(uint8_t *p, const struct acpi_desc *d);

/* acpi_pci.c: the VIOT's PCI range nodes' bytes, and the nodes at (p),
 * naming the iommu node at (output_node), from the VIOT's start. */
size_t acpi_viot_pci_len(const struct acpi_desc *d);
void acpi_write_viot_pci(uint8_t *p, const struct acpi_desc *d,
			 uint16_t output_node);

/* acpi_pci.c: 0, or -EINVAL for a PCI host, or PCI ranges, that
 * acpi_build() refuses (acpi.h). */
int acpi_check_pci(const struct acpi_desc *d);
int acpi_check_pci_ranges(const struct acpi_desc *d);

#endif
