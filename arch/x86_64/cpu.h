/* SPDX-License-Identifier: Apache-2.0 */
/* arch/x86_64/cpu.h: per-vCPU CPUID, MSRs, LAPIC; the MP table. Pure code. */
#ifndef IGNIS_X86_CPU_H
#define IGNIS_X86_CPU_H

#include <linux/kvm.h>
#include <stdint.h>

#include "vmm/gmem.h"

#define X86_CPUID_MAX_ENTRIES	256

/* A kvm_cpuid2 with room for its entries. */
struct x86_cpuid {
	struct kvm_cpuid2 hdr;					/* nent */
	struct kvm_cpuid_entry2 entries[X86_CPUID_MAX_ENTRIES];	/* leaves */
};

/*
 * Rewrites KVM's supported CPUID set (c), in place, for vCPU (cpu) of
 * (nr_cpus). The guest sees one package of nr_cpus cores, one thread each,
 * with APIC ID == cpu: so the vCPU must have been created with
 * KVM_CREATE_VCPU id (cpu). Touches leaves 1 (APIC ID, count, HTT,
 * hypervisor bit), 4, 6, 7.0 (WAITPKG), 0xA (zeroed: no PMU advertised),
 * 0xB and 0x1F, and on AMD/Hygon 0x80000001, 0x80000008, 0x8000001D,
 * 0x8000001E and 0x80000022; everything else, the 0x40000000 KVM leaves
 * included, passes as KVM reported it. Only subleaf 1 of 0xB / 0x1F is ever
 * added, and only where subleaf 0 is present (recent KVMs omit it).
 * Every field set depends on (cpu, nr_cpus) alone, so the result may be
 * set up again for another cpu. Returns 0; -EINVAL for nr_cpus 0 or > 254,
 * cpu >= nr_cpus, or a set without leaves 0 and 1; -ENOSPC when the added
 * subleaves do not fit (then (c) is unchanged).
 */
int x86_cpuid_setup(struct x86_cpuid *c, unsigned int cpu,
		    unsigned int nr_cpus);

/*
 * Announces the TSC-deadline timer (leaf 1 ECX[24]) in (c). KVM emulates it
 * whenever KVM_CAP_TSC_DEADLINE_TIMER is present but never reports it in
 * KVM_GET_SUPPORTED_CPUID (Documentation/virt/kvm/api.rst), so the VMM must
 * add it. Without it and without a PIT, Linux verifies the LAPIC timer
 * against a PIT that never ticks, disables it, and has no timer at all.
 * Returns 0, or -EINVAL if (c) has no leaf 1.
 */
int x86_cpuid_set_tsc_deadline(struct x86_cpuid *c);

/*
 * Fills (out) with the MSR values every vCPU starts with (SYSENTER and
 * SYSCALL MSRs and TSC zeroed, fast strings on, MTRRs on with write-back
 * default), for KVM_SET_MSRS; returns the count (at most (max)) or -ENOSPC
 * when (max) is too small.
 */
int x86_boot_msrs(struct kvm_msr_entry *out, unsigned int max);

/* Sets LINT0 to ExtINT and LINT1 to NMI, unmasked, in (lapic) as read by
 * KVM_GET_LAPIC: the virtual-wire mode that Linux expects at boot. */
void x86_lapic_set_lint(struct kvm_lapic_state *lapic);

/*
 * Writes an MP table (Intel MP spec 1.4) for (nr_cpus) into the KiB at
 * X86_EBDA_START, which the e820 map must reserve: CPUs with APIC ID ==
 * index (0 is the BSP), the ISA bus, the IOAPIC (ID nr_cpus) with ISA IRQ
 * i on pin i for all X86_IOAPIC_PINS pins (KVM's default GSI routing), and
 * LINT0 ExtINT / LINT1 NMI on every LAPIC. Returns 0; -EINVAL for 0 CPUs,
 * -E2BIG above x86_mptable_max_cpus(), -EFAULT when that KiB is not all in
 * guest RAM (nothing is written then).
 */
int x86_mptable_write(const struct gmem *mem, unsigned int nr_cpus);

/* The most vCPUs an MP table in the KiB at X86_EBDA_START can describe. */
unsigned int x86_mptable_max_cpus(void);

#endif
