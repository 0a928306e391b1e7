/* SPDX-License-Identifier: Apache-2.0 */
/* devices/vfio/vfio_pci.h: a VFIO device as a function on ignis's PCI bus. */
#ifndef IGNIS_VFIO_PCI_H
#define IGNIS_VFIO_PCI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "devices/pci/pci.h"
#include "devices/vfio/vfio_device.h"

/*
 * Glues an open VFIO device (vfio_device.h) to a pci_dev (pci.h) that
 * the guest drives natively:
 *
 *  - identity and most of config space are the hardware's, passed
 *    through; BARs, the ROM (none: reads 0), the header type, the
 *    interrupt line and the command register's Memory Space bit are
 *    the bus's emulation; the interrupt pin is the kernel's where
 *    the function has INTx, else 0;
 *  - the capability list is the hardware's, offsets unchanged, walked
 *    once at create and re-linked without MSI (the guest must use
 *    MSI-X) and without anything a broken list would add (loops,
 *    pointers out of range); MSI-X's Message Control is emulated
 *    (msix.h); config space past 0x100 reads 0: no extended
 *    capabilities;
 *  - memory BARs are the hardware's sizes and types; I/O BARs are
 *    hidden (ignis has no I/O window). Each BAR's mmap-able areas,
 *    less the host pages holding the MSI-X table and PBA, become KVM
 *    memory slots where the guest puts the BAR; the rest traps and is
 *    forwarded to the region (the table and PBA to the emulation);
 *  - every MSI-X vector has an eventfd and a GSI of its own: the kernel
 *    signals the eventfd, KVM's irqfd injects it through the vector's
 *    route, with no trip through ignis;
 *  - INTx, where the function has it, is on while MSI-X is off; the VM
 *    wires it (vfio_pci_intx()).
 *
 * Threads and locks: create and destroy on the VMM thread. Config
 * accesses (the cfg hooks) from any vCPU thread: writes are serialised
 * by a lock of this device, taken before the pci_dev's config lock and
 * the msix lock; BAR accesses from any vCPU thread, lock-free here
 * (the msix takes its own). The host ops below are called with those
 * locks held and must not call back into this device or its bus.
 */

/* What vfio_pci needs of the VM; the VMM implements it. */
struct vfio_pci_host_ops {
	/* Guest-physical [gpa, gpa + size) becomes (host) memory (a KVM
	 * slot); page aligned. 0/-errno. */
	int (*map_mmio)(void *ctx, uint64_t gpa, uint64_t size, void *host);
	/* Removes what map_mmio() put at exactly (gpa, size). */
	int (*unmap_mmio)(void *ctx, uint64_t gpa, uint64_t size);
	/* A GSI of its own for one MSI-X vector (at create, VMM thread). */
	int (*msi_gsi_alloc)(void *ctx, unsigned int *gsi);
	/* Points (gsi) at message (addr, data), or removes its route
	 * (!on). Any thread. */
	int (*msi_route)(void *ctx, unsigned int gsi, bool on, uint64_t addr,
			 uint32_t data);
	/* KVM_IRQFD: (fd) raises (gsi) (assign) or no longer (!assign).
	 * Any thread. */
	int (*irqfd)(void *ctx, int fd, unsigned int gsi, bool assign);
	/* KVM_SIGNAL_MSI now. Any thread. */
	int (*send_msi)(void *ctx, uint64_t addr, uint32_t data);
};

struct vfio_pci;

/*
 * Makes (d) a PCI function whose VM side goes through (host)(host_ctx)
 * (every op required; both must outlive it): reads its config space,
 * declares its memory BARs, mmaps their mappable areas
 * (vfio_device_map_bar()), makes one eventfd and one GSI per MSI-X
 * vector. Maps nothing into the guest yet: that happens when the guest
 * turns memory decode on. 0, or -errno with the reason in (why):
 * -EINVAL (bad arguments, or an identity the bus refuses), -ENOMEM, or
 * what the kernel or (host) answered. Nothing is left behind on error.
 * VMM thread, before the jail (mmap, eventfd).
 */
int vfio_pci_create(struct vfio_device *d, const struct vfio_pci_host_ops *host,
		    void *host_ctx, struct vfio_pci **out, char *why,
		    size_t len);

/* The function, for pci_bus_add_dev(). */
struct pci_dev *vfio_pci_dev(struct vfio_pci *vp);

/*
 * The function's INTx for the VM to wire to the line its slot and pin
 * lead to: returns the pin (1-4: INTA-INTD; 0: no INTx, the fds are not
 * touched) and sets (*trigger_fd), which the kernel signals when the
 * line asserts, and (*unmask_fd), to write once the guest has ended the
 * interrupt (EOI): the pair KVM_IRQFD_FLAG_RESAMPLE takes. The line is
 * level: hold it up from a trigger to the EOI. Both stay open until
 * vfio_pci_destroy().
 */
unsigned int vfio_pci_intx(const struct vfio_pci *vp, int *trigger_fd,
			   int *unmask_fd);

/*
 * Deassigns the irqfds and removes the routes, turns the device's MSI-X
 * off, removes the KVM slots it made, then frees everything create
 * made (eventfds, the msix, the pci_dev). Not the vfio_device: its
 * owner closes it afterwards. After the bus is destroyed and the vCPUs
 * have stopped, before the VM's fd is closed. NULL ok.
 */
void vfio_pci_destroy(struct vfio_pci *vp);

#endif
