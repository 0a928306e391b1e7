/* SPDX-License-Identifier: Apache-2.0 */
/* tests/support/kvm_tsc.h: the TSC rate KVM gives a guest of this host. */
#ifndef IGNIS_TEST_KVM_TSC_H
#define IGNIS_TEST_KVM_TSC_H

/*
 * The TSC rate, in kHz, that KVM gives a new vCPU on this host: the rate
 * every ignis guest runs at, since ignis sets none (KVM_SET_TSC_KHZ) and
 * a guest at CPL3 cannot learn its own. For turning a test guest's TSC
 * ticks into time. Returns the rate (> 0), or -errno: -ENOTSUP when KVM
 * will not tell (no KVM_CAP_GET_TSC_KHZ, or a rate of 0).
 */
long kvm_tsc_khz(void);

#endif
