/* SPDX-License-Identifier: Apache-2.0 */
/* jail/jail.h: the one place where every ignis thread enters its jail. */
#ifndef IGNIS_JAIL_H
#define IGNIS_JAIL_H

/* The kinds of thread, each with its own policy. */
enum jail_class {
	JAIL_VMM,	/* main thread: event loop, device set-up */
	JAIL_VCPU,	/* one per vCPU: KVM_RUN and exit handling */
	JAIL_VIRTIO,	/* one per virtio device: its io_uring worker */
	JAIL_API,	/* the API server ("fc_api"): socket I/O, no VM state */
	JAIL_CLASS_COUNT,
};

/* A printable name for (cls), "vmm", "vcpu", "virtio", "api". */
const char *jail_class_name(enum jail_class cls);

/*
 * Confines the calling thread to (cls)'s policy. Called once by every
 * thread that handles guest or client input, after its privileged set-up
 * and before it reads any such input (vmm/thread.c does it for spawned
 * threads). Today it sets no_new_privs, the precondition of a seccomp
 * filter; the per-class filters are installed here by the jail work
 * (issue 7). Returns 0 or -errno.
 */
int jail_thread_enter(enum jail_class cls);

#endif
