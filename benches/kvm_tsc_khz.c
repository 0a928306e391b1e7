// SPDX-License-Identifier: Apache-2.0
/*
 * benches/kvm_tsc_khz.c: prints the TSC rate, in kHz, that KVM gives a new
 * vCPU on this host, for scripts that turn a test guest's TSC ticks into
 * time (benches/iommu_bench.sh).
 *
 * A guest at CPL3 cannot learn its own TSC rate, and ignis does not set
 * one (KVM_SET_TSC_KHZ), so every guest of this host runs at the rate a
 * fresh vCPU gets: the same way as tests/integration/test_iommu.c.
 * Exit status 0 with the rate on stdout; 1, with why on stderr, when KVM
 * cannot be opened or will not tell (KVM_CAP_GET_TSC_KHZ).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

/* The rate in kHz (> 0), or -errno. */
static long tsc_khz(void)
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

int main(void)
{
	long khz = tsc_khz();

	if (khz < 0) {
		fprintf(stderr, "kvm_tsc_khz: %s\n", strerror((int)-khz));
		return 1;
	}
	printf("%ld\n", khz);
	return 0;
}
