// SPDX-License-Identifier: Apache-2.0
/* tests/support/kvm_tsc.c: the TSC rate KVM gives a guest of this host. */
#include "kvm_tsc.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <sys/ioctl.h>
#include <unistd.h>

long kvm_tsc_khz(void)
{
	int kvm, vm, vcpu;
	long khz;

	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0)
		return -errno;
	if (ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_GET_TSC_KHZ) <= 0) {
		khz = -ENOTSUP;
		goto err_close_kvm;
	}
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0) {
		khz = -errno;
		goto err_close_kvm;
	}
	vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	if (vcpu < 0) {
		khz = -errno;
		goto err_close_vm;
	}
	khz = ioctl(vcpu, KVM_GET_TSC_KHZ, 0);
	if (khz < 0)
		khz = -errno;
	else if (khz == 0)
		khz = -ENOTSUP;
	close(vcpu);
err_close_vm:
	close(vm);
err_close_kvm:
	close(kvm);
	return khz;
}
