// SPDX-License-Identifier: Apache-2.0
/*
 * benches/kvm_tsc_khz.c: prints the TSC rate, in kHz, that KVM gives a new
 * vCPU on this host, for scripts that turn a test guest's TSC ticks into
 * time (benches/iommu_bench.sh).
 *
 * A guest at CPL3 cannot learn its own TSC rate, and ignis does not set
 * one (KVM_SET_TSC_KHZ), so every guest of this host runs at the rate a
 * fresh vCPU gets; tests/support/kvm_tsc.c asks KVM for it, for this
 * program and the integration tests alike.
 * Exit status 0 with the rate on stdout; 1, with why on stderr, when KVM
 * cannot be opened or will not tell (KVM_CAP_GET_TSC_KHZ).
 */
#include <stdio.h>
#include <string.h>

#include "support/kvm_tsc.h"

int main(void)
{
	long khz = kvm_tsc_khz();

	if (khz < 0) {
		fprintf(stderr, "kvm_tsc_khz: %s\n", strerror((int)-khz));
		return 1;
	}
	printf("%ld\n", khz);
	return 0;
}
