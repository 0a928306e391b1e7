/* SPDX-License-Identifier: Apache-2.0 */
/* arch/x86_64/layout.h: where ignis puts things in an x86_64 guest. */
#ifndef IGNIS_X86_LAYOUT_H
#define IGNIS_X86_LAYOUT_H

/*
 * Low memory, below 1 MiB (the boot structures; numbers as Firecracker's so
 * that its guests find things where they expect them):
 */
#define X86_BOOT_GDT_START	0x500ULL	/* boot GDT: null, ..., code, data */
#define X86_BOOT_IDT_START	0x540ULL	/* empty IDT (limit 0), after the 5-entry GDT */
#define X86_PVH_INFO_START	0x6000ULL	/* hvm_start_info, then modlist, memmap */
#define X86_ZERO_PAGE_START	0x7000ULL	/* struct boot_params */
#define X86_BOOT_STACK_POINTER	0x8ff0ULL	/* initial rsp for the 64-bit protocol */
#define X86_PML4_START		0x9000ULL	/* identity page tables: PML4, */
#define X86_PDPTE_START		0xa000ULL	/* PDPT, */
#define X86_PDE_START		0xb000ULL	/* PD (2 MiB pages, first 1 GiB) */
#define X86_CMDLINE_START	0x20000ULL	/* kernel command line */
#define X86_CMDLINE_MAX_SIZE	0x10000ULL	/* room for it */
#define X86_EBDA_START		0x9fc00ULL	/* MP table lives here; reserved in e820 */
/* ACPI tables, RSDP first: the BIOS area where ACPI 6.5 5.2.5.1 tells OSPM
 * to search for the RSDP; inside the reserved [EBDA, 1 MiB). */
#define X86_ACPI_START		0xe0000ULL
#define X86_ACPI_SIZE		0x10000ULL	/* a few KiB used at most */
#define X86_RESET_VECTOR	0xffff0ULL	/* F000:FFF0: i8042 reset code (boot.c) */
#define X86_HIMEM_START		0x100000ULL	/* 1 MiB: kernels load here or above */

/*
 * The 32-bit MMIO hole: RAM stops at 3 GiB and resumes at 4 GiB. Devices
 * (IOAPIC, LAPIC, virtio-mmio, later PCI windows) live in [hole start, 4G).
 */
#define X86_MMIO_HOLE_START	0xc0000000ULL
#define X86_MMIO_HOLE_END	0x100000000ULL
#define X86_VIRTIO_MMIO_BASE	0xd0000000ULL	/* virtio-mmio device 0, */
#define X86_VIRTIO_MMIO_SIZE	0x1000ULL	/* then one page each */
#define X86_VIRTIO_MMIO_SLOTS	8		/* IOAPIC pins 16..23 */
#define X86_VIRTIO_IRQ_BASE	16		/* above the ISA IRQs */
#define X86_IOAPIC_ADDR		0xfec00000ULL

/*
 * PCI bus 0 (devices/pci): the 32-bit BAR window fills the hole below the
 * virtio-mmio devices; ECAM covers bus 0 only (32 devices x 8 functions x
 * 4 KiB). The 64-bit window goes above RAM, where the builder puts it,
 * aligned so that a BAR as large as the alignment can be naturally aligned
 * (and backed by 1 GiB host pages).
 */
#define X86_PCI_MMIO32_START	0xc0000000ULL	/* = X86_MMIO_HOLE_START */
#define X86_PCI_MMIO32_SIZE	0x10000000ULL	/* 256 MiB, to virtio-mmio */
#define X86_PCI_ECAM_START	0xe0000000ULL	/* MCFG base, bus 0 */
#define X86_PCI_ECAM_SIZE	0x100000ULL	/* 1 MiB: bus 0 */
#define X86_PCI_MMIO64_ALIGN	0x40000000ULL	/* 1 GiB */
/*
 * PCI INTx, level and shareable: pin INTA..INTD (0..3) of slot (s) is
 * wired to GSI X86_PCI_INTX_GSI(s, pin), the usual swizzle over the four
 * ISA pins that PC chipsets give their PIRQ links (5, 9, 10, 11) and no
 * device of ours uses. The DSDT's _PRT says the same to the guest.
 */
#define X86_PCI_INTX_GSI(slot, pin) \
	((const unsigned char[]){ 5, 9, 10, 11 }[((slot) + (pin)) % 4])
#define X86_LAPIC_ADDR		0xfee00000ULL

/* KVM's private pages below the hole's top (KVM_SET_TSS_ADDR etc.). */
#define X86_KVM_TSS_ADDR	0xfffbd000ULL
#define X86_KVM_IDENTITY_MAP	0xfffbc000ULL

/* Legacy ISA devices. */
#define X86_COM1_PORT		0x3f8
#define X86_COM1_IRQ		4
#define X86_CMOS_PORT		0x70	/* index; data at 0x71 */
#define X86_I8042_DATA_PORT	0x60
#define X86_I8042_CMD_PORT	0x64
#define X86_IOAPIC_PINS		24

#endif
