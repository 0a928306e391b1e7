/* SPDX-License-Identifier: Apache-2.0 */
/* vmm/vm.h: one microVM: its KVM handles, memory, buses, devices and vCPUs. */
#ifndef IGNIS_VM_H
#define IGNIS_VM_H

#include <stdatomic.h>
#include <stdbool.h>

#include "arch_vm.h"
#include "bus.h"
#include "config.h"
#include "gmem.h"
#include "kvm.h"
#include "vdevs.h"

struct vcpu;
struct serial;
struct i8042;
struct cmos;

/* Why a VM stopped; the first reason reported wins. */
enum vm_stop_reason {
	VM_STOP_NONE,		/* still running */
	VM_STOP_RESET,		/* the guest reset itself */
	VM_STOP_SHUTDOWN,	/* triple fault or a power-off request */
	VM_STOP_SIGNAL,		/* SIGINT or SIGTERM */
	VM_STOP_ERROR,		/* KVM or ignis failed */
};

/*
 * A descriptor the VMM thread polls while the VM runs, besides its own
 * (the API server's eventfd): (fn)(ctx) runs on the VMM thread whenever
 * (fd) is readable. fn NULL: none (builder_build() zeroes it).
 */
struct vm_poll_source {
	int fd;				/* polled for POLLIN; -1: none */
	void (*fn)(void *ctx);		/* called when it is readable */
	void *ctx;			/* for fn */
};

struct vm {
	const struct vm_config *cfg;	/* what was asked for */
	struct kvm kvm;			/* /dev/kvm and the VM fd */
	struct gmem mem;		/* guest RAM */
	struct bus pio;			/* port I/O space */
	struct bus mmio;		/* MMIO space outside RAM */
	struct vcpu *vcpus;		/* nr_vcpus of them */
	unsigned int nr_vcpus;		/* created so far */
	struct serial *serial;		/* console UART */
	struct i8042 *i8042;		/* reset controller */
	struct cmos *cmos;		/* real-time clock and NVRAM */
	struct vdevs vdevs;		/* virtio-mmio devices */
	char *cmdline;			/* the kernel's: cfg's + device announcements */
	struct arch_vm arch;		/* arch-private state */
	int stop_fd;			/* eventfd: a stop was requested */
	atomic_int stop_reason;		/* enum vm_stop_reason */
	struct vm_poll_source extra;	/* see vm_set_poll_source() */
};

/*
 * Records (reason) if no reason was recorded yet and wakes the VMM thread,
 * which stops every vCPU. Any thread, any number of times.
 */
void vm_request_stop(struct vm *vm, enum vm_stop_reason reason);

/* True once a stop was requested. Any thread. */
bool vm_is_stopping(const struct vm *vm);

/*
 * Makes vm_run() also poll (fd) and call (fn)(ctx) on the VMM thread when
 * it is readable; (fn) must consume what made it readable (or the loop
 * spins). One source; a later call replaces it. After builder_build(),
 * before vm_run(). vmm/ knows nothing of what the source is.
 */
void vm_set_poll_source(struct vm *vm, int fd, void (*fn)(void *ctx),
			void *ctx);

/*
 * Runs (vm): starts its vCPU threads, then serves signals, the console's
 * input and stop requests on the calling (VMM) thread until the VM stops;
 * every vCPU thread is joined before it returns. Returns the process exit
 * status: 0 after a guest reset, shutdown or SIGINT/SIGTERM, 1 on error.
 * (sig_fd) is a signalfd for SIGINT and SIGTERM.
 */
int vm_run(struct vm *vm, int sig_fd);

#endif
