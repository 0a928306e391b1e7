/* SPDX-License-Identifier: Apache-2.0 */
/* arch/x86_64/arch_vm.h: x86_64 state kept in struct vm. */
#ifndef IGNIS_X86_ARCH_VM_H
#define IGNIS_X86_ARCH_VM_H

#include <linux/kvm.h>
#include <stdbool.h>

#include "boot.h"
#include "cpu.h"

#define X86_IRQ_ROUTES 24	/* one GSI per IOAPIC pin */

struct ioapic;

/* KVM's GSI routing table as the IOAPIC's redirection entries make it. */
struct x86_irq_routes {
	struct {
		uint64_t addr;	/* MSI address of the pin's message */
		uint32_t data;	/* MSI data */
		bool active;	/* unmasked: present in the table */
	} pins[X86_IRQ_ROUTES];
	struct {
		struct kvm_irq_routing hdr;	/* nr */
		struct kvm_irq_routing_entry entries[X86_IRQ_ROUTES];
	} table;		/* what KVM_SET_GSI_ROUTING gets */
};

struct arch_vm {
	struct x86_cpuid *supported_cpuid;	/* KVM_GET_SUPPORTED_CPUID */
	struct x86_boot_state boot;		/* BSP state at kernel entry */
	struct ioapic *ioapic;			/* userspace IOAPIC */
	struct x86_irq_routes routes;		/* its GSI routes in KVM */
};

#endif
