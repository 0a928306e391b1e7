/* SPDX-License-Identifier: Apache-2.0 */
/* vmm/arch.h: what each architecture implements (arch/x86_64, arch/aarch64). */
#ifndef IGNIS_ARCH_H
#define IGNIS_ARCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gmem.h"

struct vm;
struct vcpu;

/*
 * Describes guest RAM of (mem_size) bytes as regions around the
 * architecture's MMIO holes: fills at most (max) entries of (out) (start
 * and size only) and returns their count, or -errno.
 */
int arch_ram_layout(uint64_t mem_size, struct gmem_region *out,
		    unsigned int max);

/* The most vCPUs this architecture's boot tables can describe. */
unsigned int arch_max_vcpus(void);

struct viommu_resv;

/*
 * The IOVA ranges a virtio-iommu must keep DMA away from on this platform
 * (its MSI doorbell, device windows), at most (max) into (out); PROBE
 * announces them as RESV_MEM regions. Returns how many.
 */
unsigned int arch_iommu_reserved(struct viommu_resv *out, unsigned int max);

/* The MMIO window and GSI of virtio-mmio device (index): 0, or -ENOSPC
 * past the last one the platform has room for. */
int arch_virtio_mmio_slot(unsigned int index, uint64_t *base, uint32_t *gsi);

/*
 * GSIs for message-signalled interrupts (a PCI device's MSI-X vectors):
 * arch_msi_route_alloc() hands out a GSI of its own, with no route yet,
 * or -ENOSPC past the platform's; VMM thread, while building. Then
 * arch_msi_route_set() points it at message (addr, data), or removes its
 * route (enabled false: an irqfd on it delivers nothing); any thread,
 * 0 or -errno (-EINVAL: not a GSI from arch_msi_route_alloc()).
 */
int arch_msi_route_alloc(struct vm *vm, unsigned int *gsi);
int arch_msi_route_set(struct vm *vm, unsigned int gsi, uint64_t addr,
		       uint32_t data, bool enabled);

/*
 * PCI INTx. arch_pci_intx_gsi(): the GSI that pin (pin) (0-3: INTA-INTD)
 * of device (slot) on bus 0 raises, as the firmware tables tell the
 * guest. arch_irqfd_resample(): a level line on (gsi) driven as KVM_IRQFD
 * with KVM_IRQFD_FLAG_RESAMPLE drives one: each count on (trigger_fd)
 * holds the line up; the guest's EOI of its interrupt lowers it and
 * writes 1 to (resample_fd), and a source that still asserts then
 * signals again. Sources may share a GSI. VMM thread, while building;
 * both fds stay open while the vCPUs run. 0 or -errno (-EINVAL: not a
 * GSI for INTx, -ENOSPC: no room for another).
 */
unsigned int arch_pci_intx_gsi(unsigned int slot, unsigned int pin);
int arch_irqfd_resample(struct vm *vm, unsigned int gsi, int trigger_fd,
			int resample_fd);

struct pci_bus_config;

/* Where this VM's PCI host bridge puts its BAR windows (the 64-bit one
 * above guest RAM) and its ECAM, after RAM exists. 0 or -errno. */
int arch_pci_layout(const struct vm *vm, struct pci_bus_config *w,
		    uint64_t *ecam);

/* Creates the interrupt controllers and timers, after kvm_open() and
 * before any vCPU. 0 or -errno, with a message logged. */
int arch_vm_init(struct vm *vm);

/* Creates the platform's legacy devices (console UART, reset controller)
 * on the VM's buses. 0 or -errno, with a message logged. */
int arch_devices_init(struct vm *vm);

/* Loads the kernel and initrd from the VM's config into guest memory and
 * writes the boot tables, after RAM exists. 0 or -errno, with a message
 * logged. */
int arch_boot_load(struct vm *vm);

/* Sets up (vcpu) (CPUID, MSRs, interrupt controller, boot registers on
 * the boot CPU), after arch_boot_load(). 0 or -errno, message logged. */
int arch_vcpu_init(struct vm *vm, struct vcpu *vcpu);

/* Handles an exit that the generic vCPU loop does not know, on the vCPU's
 * thread. Returns 0 if handled, -ENOTSUP if it is unknown here too. */
int arch_vcpu_exit(struct vcpu *vcpu);

/* Frees what arch_* allocated for (vm); safe after a partial set-up. */
void arch_vm_destroy(struct vm *vm);

/* Firecracker's SendCtrlAltDel: the key chord a guest takes as a request
 * to reboot (x86: through the i8042). 0, or -errno with the reason in
 * (why). Any thread. */
int arch_send_ctrl_alt_del(struct vm *vm, char *why, size_t len);

#endif
