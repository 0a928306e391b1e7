/* SPDX-License-Identifier: Apache-2.0 */
/* jail/jail.h: the one place where every ignis thread enters its jail. */
#ifndef IGNIS_JAIL_H
#define IGNIS_JAIL_H

#include "vmm/cli.h"

/* The kinds of thread, each with its own seccomp policy (jail/policy.c). */
enum jail_class {
	JAIL_VMM,	/* main thread: event loop, device set-up */
	JAIL_VCPU,	/* one per vCPU: KVM_RUN and exit handling */
	JAIL_API,	/* the API server ("fc_api"): socket I/O, no VM state */
	JAIL_BLK,	/* a virtio-blk worker */
	JAIL_NET,	/* a virtio-net worker */
	JAIL_RNG,	/* the virtio-rng worker */
	JAIL_VSOCK,	/* the virtio-vsock worker */
	JAIL_IOMMU,	/* the virtio-iommu worker */
	JAIL_CLASS_COUNT,
};

/* What --seccomp asks for. */
enum jail_seccomp_mode {
	JAIL_SECCOMP_ON,	/* a forbidden syscall ends ignis (148) */
	JAIL_SECCOMP_LOG,	/* it is allowed and logged by the kernel */
	JAIL_SECCOMP_OFF,	/* no filter (no_new_privs still set) */
};

/*
 * The exit status of a process whose thread made a syscall its filter
 * forbids: Firecracker's (148), after one line on stderr naming the thread
 * and the syscall.
 */
#define JAIL_EXIT_SECCOMP 148

/* --seccomp=on|log|off. */
extern const struct cli_group jail_cli_group;

/* The mode the command line chose (default on). */
enum jail_seccomp_mode jail_seccomp_mode(void);

/* A printable name for (cls): "vmm", "vcpu", "api", "blk", ... */
const char *jail_class_name(enum jail_class cls);

/*
 * Installs the SIGSYS handler that turns a forbidden syscall into one
 * stderr line and exit status JAIL_EXIT_SECCOMP. Once, on the main thread,
 * before any thread is jailed. 0 or -errno.
 */
int jail_init(void);

/*
 * Confines the calling thread to (cls)'s policy: no_new_privs, then the
 * class's seccomp filter (unless --seccomp=off). Called once by every
 * thread that handles guest or client input, after its privileged set-up
 * and before it reads any such input (vmm/thread.c does it for spawned
 * threads). A thread created by a jailed thread inherits its filter too:
 * threads are created by the unjailed main thread only. Returns 0 or
 * -errno.
 */
int jail_thread_enter(enum jail_class cls);

/* The number of syscalls (cls)'s policy allows, for the docs' table. */
unsigned int jail_policy_size(enum jail_class cls);

#endif
