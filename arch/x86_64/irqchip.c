// SPDX-License-Identifier: Apache-2.0
/* arch/x86_64/irqchip.c: split irqchip: LAPICs in KVM, the IOAPIC here. */
#include "irqchip.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "devices/legacy/ioapic.h"
#include "layout.h"
#include "vmm/arch.h"
#include "vmm/kvm.h"
#include "vmm/log.h"
#include "vmm/vm.h"

/*
 * Why split: the IOAPIC is a small, slow-path device that a guest programs
 * a few times at boot, and the kernel's full irqchip (PIC, IOAPIC, PIT)
 * costs every VM a long teardown (measured 15-24 ms on the development
 * hosts, against 0.15 ms split). Cloud Hypervisor made the same choice.
 * Interrupts still never need this process on their hot path: device
 * irqfds target GSI routes that mirror the IOAPIC's redirection table.
 */

_Static_assert(X86_IRQ_ROUTES == IOAPIC_NR_PINS, "one route per IOAPIC pin");

static int irqchip_send_msi(void *ctx, uint64_t addr, uint32_t data)
{
	struct vm *vm = ctx;

	return kvm_signal_msi(&vm->kvm, addr, data);
}

/* One table entry routing (gsi) to (r)'s message. */
static void route_entry(struct kvm_irq_routing_entry *e, unsigned int gsi,
			const struct x86_route *r)
{
	e->gsi = gsi;
	e->type = KVM_IRQ_ROUTING_MSI;
	e->u.msi.address_lo = (uint32_t)r->addr;
	e->u.msi.address_hi = (uint32_t)(r->addr >> 32);
	e->u.msi.data = r->data;
}

/* Hands KVM the whole table again: pins, then MSI routes, active ones
 * only (an irqfd on a GSI without a route delivers nothing). Under
 * (r)->lock. */
static int routes_commit(struct vm *vm)
{
	struct x86_irq_routes *r = &vm->arch.routes;
	unsigned int n = 0;

	memset(&r->table, 0, sizeof(r->table));
	for (unsigned int p = 0; p < X86_IRQ_ROUTES; p++)
		if (r->pins[p].active)
			route_entry(&r->table.entries[n++], p, &r->pins[p]);
	for (unsigned int i = 0; i < r->nr_msi; i++)
		if (r->msi[i].active)
			route_entry(&r->table.entries[n++], X86_IRQ_ROUTES + i,
				    &r->msi[i]);
	r->table.hdr.nr = n;
	return kvm_ioctl(vm->kvm.vm_fd, KVM_SET_GSI_ROUTING, &r->table);
}

/*
 * Mirrors pin (pin)'s message into KVM's GSI routes (GSI = pin). KVM exits
 * with KVM_EXIT_IOAPIC_EOI only for vectors it finds in these routes, and
 * irqfds on these GSIs deliver without a trip here. Called under the
 * IOAPIC's lock, which is taken before the routes' lock.
 */
static int irqchip_set_route(void *ctx, unsigned int pin, uint64_t addr,
			     uint32_t data, bool masked)
{
	struct vm *vm = ctx;
	struct x86_irq_routes *r = &vm->arch.routes;
	int ret;

	if (pin >= IOAPIC_NR_PINS)
		return -EINVAL;
	pthread_mutex_lock(&r->lock);
	r->pins[pin] = (struct x86_route){ addr, data, !masked };
	ret = routes_commit(vm);
	pthread_mutex_unlock(&r->lock);
	return ret;
}

/* The guest ended pin (pin)'s level interrupt: its resampled sources
 * learn it (a write to an eventfd, as KVM's resampler does), and the
 * IOAPIC lowers the line until one signals again. */
static bool irqchip_eoi(void *ctx, unsigned int pin)
{
	struct vm *vm = ctx;
	bool resampled = false;

	for (unsigned int i = 0; i < vm->arch.nr_resamplers; i++) {
		struct x86_resampler *r = &vm->arch.resamplers[i];

		if (r->pin != pin)
			continue;
		eventfd_write(r->resample_fd, 1);
		resampled = true;
	}
	return resampled;
}

static const struct ioapic_ops irqchip_ioapic_ops = {
	.send_msi = irqchip_send_msi,
	.set_route = irqchip_set_route,
	.eoi = irqchip_eoi,
};

int x86_irqchip_create(struct vm *vm)
{
	struct kvm_enable_cap cap = {
		.cap = KVM_CAP_SPLIT_IRQCHIP,
		.args[0] = IOAPIC_NR_PINS,	/* GSIs the IOAPIC's routes use */
	};
	int err;

	pthread_mutex_init(&vm->arch.routes.lock, NULL);
	if (kvm_check_cap(&vm->kvm, KVM_CAP_SPLIT_IRQCHIP) <= 0 ||
	    kvm_check_cap(&vm->kvm, KVM_CAP_SIGNAL_MSI) <= 0) {
		log_error("KVM lacks a split irqchip or KVM_SIGNAL_MSI");
		return -ENOTSUP;
	}
	err = kvm_ioctl(vm->kvm.vm_fd, KVM_ENABLE_CAP, &cap);
	if (err < 0) {
		log_error("KVM_CAP_SPLIT_IRQCHIP: %s", strerror(-err));
		return err;
	}
	err = ioapic_create(&irqchip_ioapic_ops, vm, &vm->arch.ioapic);
	if (err) {
		log_error("cannot create the IOAPIC: %s", strerror(-err));
		return err;
	}
	err = bus_add(&vm->mmio, &(struct bus_range){
		.base = X86_IOAPIC_ADDR, .len = IOAPIC_MMIO_SIZE,
		.access = ioapic_access, .ctx = vm->arch.ioapic,
		.name = "ioapic" });
	if (err)
		log_error("cannot map the IOAPIC: %s", strerror(-err));
	return err;
}

void x86_irqchip_pulse(struct vm *vm, unsigned int pin)
{
	ioapic_set_irq(vm->arch.ioapic, pin, true);
	ioapic_set_irq(vm->arch.ioapic, pin, false);
}

void x86_irqchip_eoi(struct vm *vm, uint8_t vector)
{
	ioapic_eoi(vm->arch.ioapic, vector);
}

/* A resampled source asserted: hold its line up until the guest's EOI
 * (irqchip_eoi()). On the VMM thread. */
static void resampler_trigger(void *ctx)
{
	struct x86_resampler *r = ctx;
	uint64_t count;

	/* Non-blocking: a spurious wake-up reads nothing. */
	if (read(r->trigger_fd, &count, sizeof(count)) != sizeof(count))
		return;
	ioapic_set_irq(r->vm->arch.ioapic, r->pin, true);
}

unsigned int arch_pci_intx_gsi(unsigned int slot, unsigned int pin)
{
	return X86_PCI_INTX_GSI(slot, pin);
}

int arch_irqfd_resample(struct vm *vm, unsigned int gsi, int trigger_fd,
			int resample_fd)
{
	struct x86_resampler *r;
	int err;

	if (gsi >= IOAPIC_NR_PINS || trigger_fd < 0 || resample_fd < 0)
		return -EINVAL;
	if (vm->arch.nr_resamplers == X86_MAX_RESAMPLERS)
		return -ENOSPC;
	r = &vm->arch.resamplers[vm->arch.nr_resamplers];
	*r = (struct x86_resampler){ vm, gsi, trigger_fd, resample_fd };
	err = vm_add_poll_source(vm, trigger_fd, resampler_trigger, r);
	if (!err)
		vm->arch.nr_resamplers++;
	return err;
}

int arch_msi_route_alloc(struct vm *vm, unsigned int *gsi)
{
	struct x86_irq_routes *r = &vm->arch.routes;
	int ret = -ENOSPC;

	pthread_mutex_lock(&r->lock);
	if (r->nr_msi < X86_MSI_ROUTES) {
		r->msi[r->nr_msi] = (struct x86_route){ 0 };
		*gsi = X86_IRQ_ROUTES + r->nr_msi++;
		ret = 0;
	}
	pthread_mutex_unlock(&r->lock);
	return ret;
}

int arch_msi_route_set(struct vm *vm, unsigned int gsi, uint64_t addr,
		       uint32_t data, bool enabled)
{
	struct x86_irq_routes *r = &vm->arch.routes;
	struct x86_route *m, old;
	int ret = 0;

	pthread_mutex_lock(&r->lock);
	if (gsi < X86_IRQ_ROUTES || gsi - X86_IRQ_ROUTES >= r->nr_msi) {
		ret = -EINVAL;
		goto out;
	}
	m = &r->msi[gsi - X86_IRQ_ROUTES];
	/* A vector's table entry is written a dword at a time: skip the
	 * ioctl when nothing KVM sees changed. */
	if (m->active == enabled &&
	    (!enabled || (m->addr == addr && m->data == data)))
		goto out;
	old = *m;
	*m = (struct x86_route){ addr, data, enabled };
	ret = routes_commit(vm);
	/* What KVM has, so that a retry of the same route commits. */
	if (ret)
		*m = old;
out:
	pthread_mutex_unlock(&r->lock);
	return ret;
}

void x86_irqchip_destroy(struct vm *vm)
{
	ioapic_destroy(vm->arch.ioapic);
	vm->arch.ioapic = NULL;
	pthread_mutex_destroy(&vm->arch.routes.lock);
}
