/* SPDX-License-Identifier: Apache-2.0 */
/* arch/x86_64/irqchip.h: split irqchip: LAPICs in KVM, the IOAPIC here. */
#ifndef IGNIS_X86_IRQCHIP_H
#define IGNIS_X86_IRQCHIP_H

#include <stdint.h>

struct vm;

/*
 * Puts (vm) in split-irqchip mode (KVM_CAP_SPLIT_IRQCHIP: LAPICs in the
 * kernel, no PIC, no PIT) and creates the userspace IOAPIC at
 * X86_IOAPIC_ADDR on the MMIO bus. Before any vCPU exists. 0 or -errno,
 * with a message logged.
 */
int x86_irqchip_create(struct vm *vm);

/* Sends an edge on IOAPIC (pin). Any thread. */
void x86_irqchip_pulse(struct vm *vm, unsigned int pin);

/* The guest ended the level-triggered interrupt (vector)
 * (KVM_EXIT_IOAPIC_EOI). vCPU threads. */
void x86_irqchip_eoi(struct vm *vm, uint8_t vector);

/* Frees the IOAPIC; safe after a partial create. */
void x86_irqchip_destroy(struct vm *vm);

#endif
