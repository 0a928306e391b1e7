/* SPDX-License-Identifier: Apache-2.0 */
/* vmm/vm.h: one microVM: its KVM handles, memory, buses, devices and vCPUs. */
#ifndef IGNIS_VM_H
#define IGNIS_VM_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "arch_vm.h"
#include "bus.h"
#include "config.h"
#include "gmem.h"
#include "kvm.h"
#include "pcidevs.h"
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
 * (the API server's eventfd, the metrics timer): (fn)(ctx) runs on the
 * VMM thread whenever (fd) is readable. fn NULL: none (builder_build()
 * zeroes them).
 */
struct vm_poll_source {
	int fd;				/* polled for POLLIN */
	void (*fn)(void *ctx);		/* called when it is readable */
	void *ctx;			/* for fn */
};

/* The API server's, the metrics timer's, and one INTx line per VFIO
 * function (arch_irqfd_resample()). */
#define VM_MAX_POLL_SOURCES (2 + CONFIG_MAX_VFIO)

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
	struct pcidevs pci;		/* the PCI bus, VFIO functions */
	char *cmdline;			/* the kernel's: cfg's + device announcements */
	struct arch_vm arch;		/* arch-private state */
	int stop_fd;			/* eventfd: a stop was requested */
	atomic_int stop_reason;		/* enum vm_stop_reason */
	/* PATCH /vm "Paused": vCPU threads park on pause_cond. */
	pthread_mutex_t pause_lock;	/* over nr_parked and the waits */
	pthread_cond_t pause_cond;	/* parked vCPUs, and vm_pause() */
	atomic_bool pause_wanted;	/* vCPUs park at their next exit */
	unsigned int nr_parked;		/* vCPU threads parked */
	struct vm_poll_source extra[VM_MAX_POLL_SOURCES];	/* see
					 * vm_add_poll_source() */
};

/*
 * Records (reason) if no reason was recorded yet and wakes the VMM thread,
 * which stops every vCPU. Any thread, any number of times.
 */
void vm_request_stop(struct vm *vm, enum vm_stop_reason reason);

/* True once a stop was requested. Any thread. */
bool vm_is_stopping(const struct vm *vm);

/* Sets up / tears down the pause state (builder_build(), _destroy()). */
void vm_pause_init(struct vm *vm);
void vm_pause_fini(struct vm *vm);

/*
 * Stops every vCPU (Firecracker's Pause): returns once each started vCPU
 * thread has left KVM_RUN and parked, or the VM is stopping. Devices keep
 * their threads: what is in flight completes, and a paused guest simply
 * does not look. Idempotent. VMM thread.
 */
void vm_pause(struct vm *vm);

/* Lets the parked vCPUs run again. Idempotent. VMM thread. */
void vm_resume(struct vm *vm);

/* A vCPU thread's check before each KVM_RUN: parks while a pause is
 * wanted and the VM is not stopping. */
void vm_pause_point(struct vm *vm);

/*
 * Makes vm_run() also poll (fd) and call (fn)(ctx) on the VMM thread when
 * it is readable; (fn) must consume what made it readable (or the loop
 * spins). At most VM_MAX_POLL_SOURCES; -ENOSPC past them. After
 * builder_build(), before vm_run(). vmm/ knows nothing of what a source
 * is.
 */
int vm_add_poll_source(struct vm *vm, int fd, void (*fn)(void *ctx),
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
