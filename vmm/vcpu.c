// SPDX-License-Identifier: Apache-2.0
/* vmm/vcpu.c: one vCPU, its thread, and the exits it handles itself. */
#include "vcpu.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "arch.h"
#include "kvm.h"
#include "log.h"
#include "thread.h"
#include "vm.h"

/* The kvm_run of the vCPU that the calling thread runs, for the handler. */
static _Thread_local struct kvm_run *vcpu_current_run;

/*
 * The kick: interrupts a KVM_RUN in progress (EINTR), and through
 * immediate_exit also the next one, should the signal land just before
 * it; a blocking call elsewhere on the thread (a console write to a
 * stalled reader) returns EINTR too. So a stop is never lost.
 */
static void vcpu_kick_handler(int sig)
{
	(void)sig;
	if (vcpu_current_run)
		vcpu_current_run->immediate_exit = 1;
}

int vcpu_signals_init(void)
{
	struct sigaction sa = { .sa_handler = vcpu_kick_handler };

	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: KVM_RUN must return -EINTR. */
	if (sigaction(VCPU_KICK_SIGNAL, &sa, NULL) < 0)
		return -errno;
	return 0;
}

static const char *const vcpu_metric_names[] = { VCPU_METRICS(METRIC_NAME) };

int vcpu_create(struct vm *vm, unsigned int id, struct vcpu *v)
{
	int err;

	memset(v, 0, sizeof(*v));
	v->fd = -1;
	v->vm = vm;
	v->id = id;
	METRICS_GROUP_INIT(&v->metrics_group, "vcpu", vcpu_metric_names,
			   &v->metrics);
	metrics_register(&v->metrics_group);
	err = kvm_vcpu_create(&vm->kvm, id, &v->fd, &v->run);
	if (err) {
		v->fd = -1;
		v->run = NULL;
	}
	return err;
}

/* Takes kicks on this thread from now on (they are blocked process-wide). */
static int vcpu_accept_kicks(struct vcpu *v)
{
	sigset_t set;

	vcpu_current_run = v->run;
	sigemptyset(&set);
	sigaddset(&set, VCPU_KICK_SIGNAL);
	return -pthread_sigmask(SIG_UNBLOCK, &set, NULL);
}

static void vcpu_handle_io(struct vcpu *v)
{
	struct kvm_run *run = v->run;
	uint8_t *data = (uint8_t *)run + run->io.data_offset;
	bool is_write = run->io.direction == KVM_EXIT_IO_OUT;

	metric_inc(is_write ? &v->metrics.exit_io_out : &v->metrics.exit_io_in);
	/* String I/O (rep ins/outs) hands over (count) items at once. */
	for (uint32_t i = 0; i < run->io.count; i++) {
		if (bus_access(&v->vm->pio, run->io.port, data, run->io.size,
			       is_write))
			log_debug("vcpu %u: unclaimed %s port 0x%x", v->id,
				  is_write ? "write to" : "read of",
				  run->io.port);
		data += run->io.size;
	}
}

static void vcpu_handle_mmio(struct vcpu *v)
{
	struct kvm_run *run = v->run;
	uint32_t len = run->mmio.len;

	metric_inc(run->mmio.is_write ? &v->metrics.exit_mmio_write :
					&v->metrics.exit_mmio_read);
	if (len > sizeof(run->mmio.data))
		len = sizeof(run->mmio.data);
	if (bus_access(&v->vm->mmio, run->mmio.phys_addr, run->mmio.data, len,
		       run->mmio.is_write))
		log_debug("vcpu %u: unclaimed MMIO %s 0x%llx", v->id,
			  run->mmio.is_write ? "write to" : "read of",
			  (unsigned long long)run->mmio.phys_addr);
}

/* Logs where the guest was, for exits that end the VM. */
static void vcpu_log_regs(struct vcpu *v, const char *what)
{
	struct kvm_regs regs;
	struct kvm_sregs sregs;

	if (kvm_ioctl(v->fd, KVM_GET_REGS, &regs) < 0 ||
	    kvm_ioctl(v->fd, KVM_GET_SREGS, &sregs) < 0) {
		log_info("vcpu %u: %s", v->id, what);
		return;
	}
	log_info("vcpu %u: %s at rip 0x%llx (cs 0x%x cr0 0x%llx efer 0x%llx)",
		 v->id, what, (unsigned long long)regs.rip, sregs.cs.selector,
		 (unsigned long long)sregs.cr0, (unsigned long long)sregs.efer);
}

/* Handles one exit. Returns false when this vCPU must stop. */
static bool vcpu_handle_exit(struct vcpu *v)
{
	struct kvm_run *run = v->run;

	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		vcpu_handle_io(v);
		return true;
	case KVM_EXIT_MMIO:
		vcpu_handle_mmio(v);
		return true;
	case KVM_EXIT_INTR:
		return true;
	case KVM_EXIT_SHUTDOWN:
		/* A triple fault: what a PC does with it is reset. */
		vcpu_log_regs(v, "shutdown (triple fault)");
		vm_request_stop(v->vm, VM_STOP_SHUTDOWN);
		return false;
	case KVM_EXIT_SYSTEM_EVENT:
		log_info("vcpu %u: system event %u", v->id,
			 run->system_event.type);
		vm_request_stop(v->vm,
				run->system_event.type == KVM_SYSTEM_EVENT_RESET ?
				VM_STOP_RESET : VM_STOP_SHUTDOWN);
		return false;
	case KVM_EXIT_HLT:
		/* Only without an in-kernel LAPIC; a halted CPU with no way
		 * to wake up is a powered-off guest. */
		vm_request_stop(v->vm, VM_STOP_SHUTDOWN);
		return false;
	case KVM_EXIT_FAIL_ENTRY:
		log_error("vcpu %u: KVM could not enter the guest (reason 0x%llx)",
			  v->id, (unsigned long long)
			  run->fail_entry.hardware_entry_failure_reason);
		break;
	case KVM_EXIT_INTERNAL_ERROR:
		log_error("vcpu %u: KVM internal error, suberror %u", v->id,
			  run->internal.suberror);
		vcpu_log_regs(v, "internal error");
		break;
	default:
		if (!arch_vcpu_exit(v))
			return true;
		log_error("vcpu %u: unexpected KVM exit %u", v->id,
			  run->exit_reason);
		break;
	}
	metric_inc(&v->metrics.failures);
	vm_request_stop(v->vm, VM_STOP_ERROR);
	return false;
}

static void *vcpu_thread(void *arg)
{
	struct vcpu *v = arg;
	int ret = vcpu_accept_kicks(v);

	if (ret) {
		log_error("vcpu %u: cannot unblock its kick signal: %s", v->id,
			  strerror(-ret));
		vm_request_stop(v->vm, VM_STOP_ERROR);
		return THREAD_JAIL_FAILED;
	}
	while (!vm_is_stopping(v->vm)) {
		vm_pause_point(v->vm);
		if (vm_is_stopping(v->vm))
			break;
		ret = kvm_ioctl(v->fd, KVM_RUN, NULL);
		if (ret == -EINTR || ret == -EAGAIN) {
			/* Kicked: the loop re-checks why. */
			v->run->immediate_exit = 0;
			continue;
		}
		if (ret < 0) {
			log_error("vcpu %u: KVM_RUN: %s", v->id,
				  strerror(-ret));
			vm_request_stop(v->vm, VM_STOP_ERROR);
			break;
		}
		if (!vcpu_handle_exit(v))
			break;
	}
	return NULL;
}

int vcpu_start(struct vcpu *v)
{
	char name[16];
	int err;

	snprintf(name, sizeof(name), "fc_vcpu %u", v->id);
	err = thread_spawn(&v->thread, name, JAIL_VCPU, vcpu_thread, v);
	if (!err)
		v->started = true;
	return err;
}

void vcpu_kick(struct vcpu *v)
{
	if (v->started)
		pthread_kill(v->thread, VCPU_KICK_SIGNAL);
}

int vcpu_join(struct vcpu *v)
{
	void *ret = NULL;

	if (!v->started)
		return 0;
	/*
	 * Kick until it is gone: one kick can be swallowed while the thread
	 * waits for a device lock held by another vCPU that is itself
	 * stuck in a console write, so keep kicking rather than trust one.
	 */
	for (;;) {
		struct timespec deadline;

		clock_gettime(CLOCK_REALTIME, &deadline);
		deadline.tv_nsec += 20 * 1000 * 1000;
		if (deadline.tv_nsec >= 1000000000L) {
			deadline.tv_sec++;
			deadline.tv_nsec -= 1000000000L;
		}
		if (pthread_timedjoin_np(v->thread, &ret, &deadline) != ETIMEDOUT)
			break;
		pthread_kill(v->thread, VCPU_KICK_SIGNAL);
	}
	v->started = false;
	return ret == THREAD_JAIL_FAILED ? -EIO : 0;
}

void vcpu_destroy(struct vcpu *v)
{
	if (!v)
		return;
	metrics_unregister(&v->metrics_group);
	if (v->run)
		munmap(v->run, v->vm->kvm.run_size);
	if (v->fd >= 0)
		close(v->fd);
	v->run = NULL;
	v->fd = -1;
}
