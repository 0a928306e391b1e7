/* SPDX-License-Identifier: Apache-2.0 */
/* devices/legacy/ioapic.h: an 82093AA I/O APIC for a split irqchip. */
#ifndef IGNIS_IOAPIC_H
#define IGNIS_IOAPIC_H

#include <stdbool.h>
#include <stdint.h>

#include "vmm/bus.h"

#define IOAPIC_NR_PINS		24		/* redirection entries 0-23 */
#define IOAPIC_MMIO_SIZE	0x1000		/* bytes of MMIO it decodes */
#define IOAPIC_VERSION		0x11		/* 82093AA: no EOI register */

/*
 * The device models a KVM split irqchip (KVM_CAP_SPLIT_IRQCHIP): the LAPICs
 * are in the kernel, there is no 8259 PIC, and every interrupt leaves the
 * IOAPIC as an MSI composed from the pin's redirection entry (SDM vol. 3,
 * 11.11): address 0xfee00000 | dest << 12 | dest_mode << 2, data vector |
 * delivery_mode << 8 | level << 14 | trigger << 15. Not modelled: the
 * remappable format (bit 48, interrupt remapping: ignis has no IOMMU for
 * interrupts, so the guest never uses it), the reserved bits 17-55 (read as
 * 0), ExtINT and the reserved delivery modes (nothing to deliver without a
 * PIC: dropped). Polarity is stored, not applied: ioapic_set_irq()'s (level)
 * is the line's logical state, as in KVM's and QEMU's IOAPICs.
 */

struct ioapic;

/* How interrupts leave the device. All are called with the IOAPIC's lock
 * held, in the order of the events that caused them, and must not call
 * back into the IOAPIC. */
struct ioapic_ops {
	/*
	 * Delivers one MSI (addr, data) to the LAPICs, e.g. KVM_SIGNAL_MSI.
	 * Returns 0, or -errno (a level pin then keeps remote IRR clear, so
	 * the next assertion or EOI retries). Required.
	 */
	int (*send_msi)(void *ctx, uint64_t addr, uint32_t data);
	/*
	 * Optional (NULL: none): (pin)'s MSI message became (addr, data) or
	 * its mask bit became (masked). Called only on a change; every pin
	 * starts masked with addr 0xfee00000 and data 0, so initial routes
	 * should be absent or masked. With a split irqchip KVM exits with
	 * KVM_EXIT_IOAPIC_EOI only for vectors that it finds in the MSI
	 * routes of GSIs 0..(KVM_CAP_SPLIT_IRQCHIP args[0] - 1), so level
	 * pins need these routes mirrored to get their EOIs. Returns 0 or
	 * -errno (counted, the guest's write still takes effect).
	 */
	int (*set_route)(void *ctx, unsigned int pin, uint64_t addr,
			 uint32_t data, bool masked);
	/*
	 * Optional (NULL: none): the guest ended level pin (pin)'s
	 * interrupt (its remote IRR just cleared). Returns true if the
	 * pin's sources are resampled: the IOAPIC then lowers the line,
	 * and a source that still asserts raises it again later, through
	 * ioapic_set_irq() (what KVM_IRQFD_FLAG_RESAMPLE does).
	 */
	bool (*eoi)(void *ctx, unsigned int pin);
};

/*
 * Creates an IOAPIC with ID 0 and every pin masked, which sends its
 * interrupts through (ops)(ctx); (ops) must outlive it. 0, -EINVAL (no
 * send_msi) or -ENOMEM.
 */
int ioapic_create(const struct ioapic_ops *ops, void *ctx,
		  struct ioapic **out);

/* Frees (io); accepts NULL. */
void ioapic_destroy(struct ioapic *io);

/*
 * The bus handler for its IOAPIC_MMIO_SIZE bytes (vCPU threads):
 * IOREGSEL at 0x00, IOWIN at 0x10, 32-bit accesses only. Any other offset
 * or length reads as zeros and writes are dropped.
 */
bus_access_fn ioapic_access;

/*
 * Sets input (pin)'s line to (level). Edge pins deliver on a rising edge
 * while unmasked (an edge on a masked pin is lost, as the datasheet says);
 * level pins deliver while asserted, unmasked and remote IRR clear, then
 * set remote IRR until ioapic_eoi(). Any thread. Returns 0, -EINVAL for a
 * pin >= IOAPIC_NR_PINS, or send_msi's error.
 */
int ioapic_set_irq(struct ioapic *io, unsigned int pin, bool level);

/*
 * A LAPIC signalled EOI for (vector) (KVM_EXIT_IOAPIC_EOI, run->eoi.vector):
 * clears remote IRR on the level pins with that vector, lowers the lines
 * that ops->eoi() resamples, and redelivers those still asserted and
 * unmasked. vCPU threads.
 */
void ioapic_eoi(struct ioapic *io, uint8_t vector);

/* MSIs that send_msi or set_route failed, or that were dropped for an
 * unsupported delivery mode. Any thread. */
uint64_t ioapic_errors(struct ioapic *io);

#endif
