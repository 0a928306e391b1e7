/* SPDX-License-Identifier: Apache-2.0 */
/* vmm/vcpu.h: one vCPU, its thread, and the exits it handles itself. */
#ifndef IGNIS_VCPU_H
#define IGNIS_VCPU_H

#include <linux/kvm.h>
#include <pthread.h>
#include <stdbool.h>

#include "metrics.h"

struct vm;

/* Firecracker's "vcpu" metrics, summed over the vCPUs. */
#define VCPU_METRICS(X)                                                       \
	X(exit_io_in) X(exit_io_out) X(exit_mmio_read) X(exit_mmio_write)     \
	X(failures)
METRICS_STRUCT(vcpu_metrics, VCPU_METRICS);

/* The signal that pulls a vCPU thread out of KVM_RUN. Blocked on every
 * thread but the vCPUs'; its handler also sets kvm_run.immediate_exit, so
 * a kick sent at any moment ends the current or the next KVM_RUN. */
#define VCPU_KICK_SIGNAL SIGUSR1

struct vcpu {
	struct vm *vm;		/* owner */
	unsigned int id;	/* index and APIC ID */
	int fd;			/* KVM vCPU fd */
	struct kvm_run *run;	/* shared page with KVM */
	pthread_t thread;	/* its thread */
	bool started;		/* thread is running and must be joined */
	struct vcpu_metrics metrics;	/* its thread adds, VMM flushes */
	struct metrics_group metrics_group;
};

/* Creates vCPU (id) of (vm) in (v); no thread yet. 0 or -errno. */
int vcpu_create(struct vm *vm, unsigned int id, struct vcpu *v);

/* Starts (v)'s thread, named "fc_vcpu N" as Firecracker's clients expect. */
int vcpu_start(struct vcpu *v);

/* Makes (v) leave KVM_RUN; its thread then sees the VM stopping. */
void vcpu_kick(struct vcpu *v);

/* Joins (v)'s thread if started, kicking it until it has left; returns
 * 0, or -EIO if it failed. */
int vcpu_join(struct vcpu *v);

/* Unmaps and closes (v); accepts a zeroed struct. */
void vcpu_destroy(struct vcpu *v);

/* Installs the (empty) handler of VCPU_KICK_SIGNAL, once per process. */
int vcpu_signals_init(void);

#endif
