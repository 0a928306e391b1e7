/* SPDX-License-Identifier: Apache-2.0 */
/* vmm/kvm.h: thin wrappers over the KVM ioctls: 0 or -errno, nothing more. */
#ifndef IGNIS_KVM_H
#define IGNIS_KVM_H

#include <linux/kvm.h>
#include <stddef.h>
#include <stdint.h>

#include "gmem.h"

/* /dev/kvm and one VM. */
struct kvm {
	int dev_fd;		/* /dev/kvm */
	int vm_fd;		/* KVM_CREATE_VM */
	size_t run_size;	/* KVM_GET_VCPU_MMAP_SIZE */
	unsigned int max_vcpus;	/* KVM_CAP_MAX_VCPUS (or NR_VCPUS) */
};

/*
 * Opens /dev/kvm, checks the API version and the capabilities ignis needs
 * (irqchip, ioeventfd, irqfd, user memory, immediate exit), and creates a
 * VM. Returns 0 or -errno; on error (*why) names what is missing.
 */
int kvm_open(struct kvm *kvm, const char **why);

/* Closes the VM and /dev/kvm; accepts a zeroed or closed struct. */
void kvm_close(struct kvm *kvm);

/* KVM_CHECK_EXTENSION on the VM: the value (>= 0) or -errno. */
int kvm_check_cap(const struct kvm *kvm, long cap);

/* Maps guest range [addr, addr + size) to (host) as memory slot (slot). */
int kvm_set_memory(const struct kvm *kvm, uint32_t slot, gpa_t addr,
		   uint64_t size, void *host);

/* KVM_SIGNAL_MSI: message (addr, data) to the guest's LAPICs now. 0
 * (also when the guest blocked it, which KVM reports as 0) or -errno. */
int kvm_signal_msi(const struct kvm *kvm, uint64_t addr, uint32_t data);

/* ioctl(fd, req, arg) with the result or -errno (EINTR not retried). */
int kvm_ioctl(int fd, unsigned long req, void *arg);

/* Creates vCPU (id) and maps its kvm_run: 0 or -errno. */
int kvm_vcpu_create(const struct kvm *kvm, unsigned int id, int *fd,
		    struct kvm_run **run);

#endif
