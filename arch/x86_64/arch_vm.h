/* SPDX-License-Identifier: Apache-2.0 */
/* arch/x86_64/arch_vm.h: x86_64 state kept in struct vm. */
#ifndef IGNIS_X86_ARCH_VM_H
#define IGNIS_X86_ARCH_VM_H

#include <linux/kvm.h>
#include <pthread.h>
#include <stdbool.h>

#include "boot.h"
#include "cpu.h"

#define X86_IRQ_ROUTES 24	/* one GSI per IOAPIC pin */
#define X86_MSI_ROUTES 128	/* GSIs for PCI MSI-X vectors, after them */

struct ioapic;

/* One GSI's message as KVM's routing table gets it. */
struct x86_route {
	uint64_t addr;	/* MSI address */
	uint32_t data;	/* MSI data */
	bool active;	/* present in the table (unmasked, enabled) */
};

/*
 * KVM's GSI routing table: GSI n < X86_IRQ_ROUTES mirrors IOAPIC pin n's
 * redirection entry; GSI X86_IRQ_ROUTES + i is MSI route i, which a PCI
 * device's MSI-X vector owns. KVM_SET_GSI_ROUTING replaces the whole
 * table, so every change rebuilds it under (lock): the IOAPIC's and the
 * MSI-X tables' writes come from any vCPU thread.
 */
struct x86_irq_routes {
	pthread_mutex_t lock;				/* all below */
	struct x86_route pins[X86_IRQ_ROUTES];		/* IOAPIC pins */
	struct x86_route msi[X86_MSI_ROUTES];		/* MSI routes */
	unsigned int nr_msi;				/* handed out */
	struct {
		struct kvm_irq_routing hdr;	/* nr */
		struct kvm_irq_routing_entry
			entries[X86_IRQ_ROUTES + X86_MSI_ROUTES];
	} table;		/* what KVM_SET_GSI_ROUTING gets */
};

/* A level line driven through ignis (arch_irqfd_resample()): KVM takes
 * KVM_IRQFD_FLAG_RESAMPLE only with its own IOAPIC. */
struct x86_resampler {
	struct vm *vm;
	unsigned int pin;	/* IOAPIC pin = GSI */
	int trigger_fd;		/* counted: hold the line up */
	int resample_fd;	/* written at the guest's EOI */
};

#define X86_MAX_RESAMPLERS 8

struct arch_vm {
	struct x86_cpuid *supported_cpuid;	/* KVM_GET_SUPPORTED_CPUID */
	struct x86_boot_state boot;		/* BSP state at kernel entry */
	struct ioapic *ioapic;			/* userspace IOAPIC */
	struct x86_irq_routes routes;		/* its GSI routes in KVM */
	/* Written while building, read-only once vCPUs run. */
	struct x86_resampler resamplers[X86_MAX_RESAMPLERS];
	unsigned int nr_resamplers;
};

#endif
