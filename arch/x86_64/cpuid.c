// SPDX-License-Identifier: Apache-2.0
/* arch/x86_64/cpuid.c: per-vCPU CPUID, boot MSRs and LAPIC LINT setup. */
#include "arch/x86_64/cpu.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

/*
 * The topology every guest sees: one package, nr_cpus cores, one thread per
 * core, APIC ID == vCPU index. Every leaf below must tell the same story,
 * and so must the MP table (mptable.c).
 */

/* 255 is the xAPIC broadcast ID; leaf 1 and the MP table carry 8-bit IDs. */
#define CPUID_MAX_CPUS 254

/* The entry's index (subleaf) matters; the uapi name is misspelt (sic). */
#define CPUID_FLAG_INDEXED KVM_CPUID_FLAG_SIGNIFCANT_INDEX

/* Leaf 0: vendor string, in EBX, EDX, ECX order. */
#define CPUID_VENDOR_LEN 12

/* Leaf 1. */
#define CPUID1_EBX_CLFLUSH_SHIFT 8 /* CLFLUSH line size / 8 */
#define CPUID1_EBX_NLP_SHIFT 16 /* addressable logical CPU IDs */
#define CPUID1_EBX_APIC_SHIFT 24 /* initial APIC ID */
#define CPUID1_CLFLUSH_64B 8 /* 8 * 8 = 64-byte lines */
#define CPUID1_ECX_PDCM (1u << 15) /* IA32_PERF_CAPABILITIES */
#define CPUID1_ECX_TSC_DEADLINE (1u << 24) /* LAPIC TSC-deadline mode */
#define CPUID1_ECX_HYPERVISOR (1u << 31) /* reserved for VMMs */
#define CPUID1_EDX_HTT (1u << 28) /* EBX[23:16] is valid */

/* Leaf 4 and AMD 0x8000001D share the cache-descriptor layout of EAX. */
#define CACHE_EAX_TYPE_MASK 0x1fu /* 0: no more caches */
#define CACHE_EAX_LEVEL_SHIFT 5 /* [7:5] level, from 1 */
#define CACHE_EAX_SHARING_SHIFT 14 /* [25:14] CPUs sharing it - 1 */
#define CACHE_EAX_CORES_SHIFT 26 /* [31:26] cores in package - 1 */
#define CACHE_EAX_CORES_MAX 63 /* what six bits hold */

/* Leaf 6: only what KVM actually provides survives. */
#define CPUID6_EAX_ARAT (1u << 2) /* APIC timer runs in C-states */
#define CPUID6_ECX_APERFMPERF (1u << 0) /* MPERF/APERF MSRs */

/* Leaf 7, subleaf 0. */
#define CPUID7_ECX_WAITPKG (1u << 5) /* UMONITOR/UMWAIT/TPAUSE */

/* Leaves 0xB and 0x1F: extended topology. */
#define TOPO_LEVEL_INVALID 0
#define TOPO_LEVEL_SMT 1
#define TOPO_LEVEL_CORE 2
#define TOPO_ECX_TYPE_SHIFT 8

/* AMD 0x80000001 ECX. */
#define AMD_EXT1_ECX_CMP_LEGACY (1u << 1) /* cores count as HTT logicals */
#define AMD_EXT1_ECX_TOPOEXT (1u << 22) /* 0x8000001D/1E are valid */
#define AMD_EXT1_ECX_PERFCTR_CORE (1u << 23) /* 6 core counters */

/* AMD 0x80000008 ECX. */
#define AMD_EXT8_ECX_NC_MASK 0xffu /* [7:0] cores - 1 */
#define AMD_EXT8_ECX_APICIDSIZE_SHIFT 12 /* [15:12] core bits in APIC ID */
#define AMD_EXT8_ECX_APICIDSIZE_MASK (0xfu << 12)

#define CPUID_LEAF_AMD_EXT_APIC 0x8000001eu
#define CPUID_LEAF_AMD_PERFMON_V2 0x80000022u

/* Boot MSRs (Intel SDM vol. 4; AMD APM vol. 2 for the SYSCALL ones). */
#define MSR_IA32_TSC 0x00000010
#define MSR_IA32_SYSENTER_CS 0x00000174
#define MSR_IA32_SYSENTER_ESP 0x00000175
#define MSR_IA32_SYSENTER_EIP 0x00000176
#define MSR_IA32_MISC_ENABLE 0x000001a0
#define MSR_MTRR_DEF_TYPE 0x000002ff
#define MSR_STAR 0xc0000081
#define MSR_LSTAR 0xc0000082
#define MSR_CSTAR 0xc0000083
#define MSR_SYSCALL_MASK 0xc0000084
#define MSR_KERNEL_GS_BASE 0xc0000102

#define MISC_ENABLE_FAST_STRING (1ull << 0) /* REP MOVS/STOS fast */
#define MTRR_DEF_TYPE_ENABLE (1ull << 11) /* MTRRs on */
#define MTRR_TYPE_WRBACK 6ull /* default type: WB */

/* Local APIC register offsets and LVT delivery modes (SDM vol. 3, 11.5.1). */
#define APIC_LVT_LINT0 0x350
#define APIC_LVT_LINT1 0x360
#define APIC_DM_NMI (0x4u << 8)
#define APIC_DM_EXTINT (0x7u << 8)

static uint32_t field_set(uint32_t reg, unsigned int shift, uint32_t mask,
			  uint32_t val)
{
	return (reg & ~(mask << shift)) | ((val & mask) << shift);
}

/* Smallest n with (1 << n) >= count: the APIC-ID bits that count needs. */
static unsigned int order_of(unsigned int count)
{
	unsigned int n = 0;

	while ((1u << n) < count)
		n++;
	return n;
}

/* The entry for (fn, idx) with KVM's matching rule: an entry without
 * CPUID_FLAG_INDEXED answers every subleaf. */
static struct kvm_cpuid_entry2 *cpuid_find(struct x86_cpuid *c, uint32_t fn,
					   uint32_t idx)
{
	for (uint32_t i = 0; i < c->hdr.nent; i++) {
		struct kvm_cpuid_entry2 *e = &c->entries[i];

		if (e->function != fn)
			continue;
		if (!(e->flags & CPUID_FLAG_INDEXED) || e->index == idx)
			return e;
	}
	return NULL;
}

/* Whether an entry for exactly subleaf (idx) of (fn) is in the set. */
static bool cpuid_has_subleaf(const struct x86_cpuid *c, uint32_t fn,
			      uint32_t idx)
{
	for (uint32_t i = 0; i < c->hdr.nent; i++)
		if (c->entries[i].function == fn && c->entries[i].index == idx)
			return true;
	return false;
}

/*
 * Since Linux 6.2 (backported to 5.10) KVM_GET_SUPPORTED_CPUID reports only
 * subleaf 0 of 0xB and 0x1F. Without subleaf 1 the guest finds no core
 * level, so it would put every vCPU in its own package, contradicting leaf 1
 * and the MP table; and KVM answers subleaves >= 2 (ECX = index, EDX = the
 * x2APIC ID) only when subleaf 1 exists. So subleaf 1 is added.
 */
static bool cpuid_needs_core_level(const struct x86_cpuid *c, uint32_t fn)
{
	return cpuid_has_subleaf(c, fn, 0) && !cpuid_has_subleaf(c, fn, 1);
}

static void cpuid_add_subleaf(struct x86_cpuid *c, uint32_t fn, uint32_t idx)
{
	struct kvm_cpuid_entry2 *e = &c->entries[c->hdr.nent++];

	memset(e, 0, sizeof(*e));
	e->function = fn;
	e->index = idx;
	e->flags = CPUID_FLAG_INDEXED;
}

static bool cpuid_is_amd(struct x86_cpuid *c)
{
	const struct kvm_cpuid_entry2 *e = cpuid_find(c, 0, 0);
	char vendor[CPUID_VENDOR_LEN];

	if (!e)
		return false;
	memcpy(vendor, &e->ebx, 4);
	memcpy(vendor + 4, &e->edx, 4);
	memcpy(vendor + 8, &e->ecx, 4);
	/* Hygon's Dhyana is a Zen derivative with AMD's extended leaves. */
	return !memcmp(vendor, "AuthenticAMD", CPUID_VENDOR_LEN) ||
	       !memcmp(vendor, "HygonGenuine", CPUID_VENDOR_LEN);
}

static void cpuid_leaf1(struct kvm_cpuid_entry2 *e, unsigned int cpu,
			unsigned int nr_cpus)
{
	e->ebx = field_set(e->ebx, CPUID1_EBX_APIC_SHIFT, 0xff, cpu);
	e->ebx = field_set(e->ebx, CPUID1_EBX_NLP_SHIFT, 0xff, nr_cpus);
	if (!((e->ebx >> CPUID1_EBX_CLFLUSH_SHIFT) & 0xff))
		e->ebx = field_set(e->ebx, CPUID1_EBX_CLFLUSH_SHIFT, 0xff,
				   CPUID1_CLFLUSH_64B);
	/* PDCM advertises IA32_PERF_CAPABILITIES, part of the PMU we hide. */
	e->ecx &= ~CPUID1_ECX_PDCM;
	e->ecx |= CPUID1_ECX_HYPERVISOR;
	/* TSC-deadline (ECX[24]) is not in KVM's supported set: arch code adds
	 * it with x86_cpuid_set_tsc_deadline() when KVM can emulate it. */
	if (nr_cpus > 1)
		e->edx |= CPUID1_EDX_HTT;
	else
		e->edx &= ~CPUID1_EDX_HTT;
}

/*
 * Leaf 4 (Intel) and 0x8000001D (AMD): one thread per core, so L1 and L2 are
 * private and L3 (or any outer level) is shared by the whole package. A
 * descriptor of type 0 ends the list and is left as it is.
 */
static void cpuid_cache(struct kvm_cpuid_entry2 *e, unsigned int nr_cpus,
			bool set_cores)
{
	unsigned int level, cores = nr_cpus - 1;

	if (!(e->eax & CACHE_EAX_TYPE_MASK))
		return;
	level = (e->eax >> CACHE_EAX_LEVEL_SHIFT) & 0x7;
	e->eax = field_set(e->eax, CACHE_EAX_SHARING_SHIFT, 0xfff,
			   level <= 2 ? 0 : nr_cpus - 1);
	if (!set_cores)
		return;
	/* More than 64 cores do not fit; real parts then say 63 and leave
	 * the count to leaf 0xB, which is what the guest uses anyway. */
	if (cores > CACHE_EAX_CORES_MAX)
		cores = CACHE_EAX_CORES_MAX;
	e->eax = field_set(e->eax, CACHE_EAX_CORES_SHIFT, 0x3f, cores);
}

/* Leaves 0xB and 0x1F: an SMT level of one thread, a core level holding
 * every vCPU, nothing above; EDX is the x2APIC ID on every subleaf. */
static void cpuid_topology(struct kvm_cpuid_entry2 *e, unsigned int cpu,
			   unsigned int nr_cpus)
{
	uint32_t idx = e->index;

	e->flags |= CPUID_FLAG_INDEXED;
	e->edx = cpu;
	/* ECX[7:0] echoes the input subleaf; ECX[15:8] is the level type. */
	if (idx == 0) {
		e->eax = 0;
		e->ebx = 1;
		e->ecx = TOPO_LEVEL_SMT << TOPO_ECX_TYPE_SHIFT;
	} else if (idx == 1) {
		e->eax = order_of(nr_cpus);
		e->ebx = nr_cpus;
		e->ecx = (TOPO_LEVEL_CORE << TOPO_ECX_TYPE_SHIFT) | 1;
	} else {
		e->eax = 0;
		e->ebx = 0;
		e->ecx = (TOPO_LEVEL_INVALID << TOPO_ECX_TYPE_SHIFT) |
			 (idx & 0xff);
	}
}

static void cpuid_leaf6(struct kvm_cpuid_entry2 *e)
{
	/* No turbo, thermal sensors, HWP or energy-bias MSRs are emulated:
	 * advertising them (as a host dump would) invites #GPs. ARAT is KVM's
	 * own, and APERF/MPERF appear only when KVM passes them through. */
	e->eax &= CPUID6_EAX_ARAT;
	e->ebx = 0;
	e->ecx &= CPUID6_ECX_APERFMPERF;
	e->edx = 0;
}

static void cpuid_amd_ext1(struct kvm_cpuid_entry2 *e, unsigned int nr_cpus,
			   bool has_ext_apic)
{
	/* CmpLegacy tells a guest that the HTT count in leaf 1 is cores, not
	 * threads; it must agree with HTT. */
	if (nr_cpus > 1)
		e->ecx |= AMD_EXT1_ECX_CMP_LEGACY;
	else
		e->ecx &= ~AMD_EXT1_ECX_CMP_LEGACY;
	/* TopologyExtensions promises 0x8000001E; Linux takes the APIC ID
	 * from there, so it must not be claimed without the leaf. */
	if (!has_ext_apic)
		e->ecx &= ~AMD_EXT1_ECX_TOPOEXT;
	/* Part of the PMU we do not advertise (see leaf 0xA). */
	e->ecx &= ~AMD_EXT1_ECX_PERFCTR_CORE;
}

static void cpuid_amd_ext8(struct kvm_cpuid_entry2 *e, unsigned int nr_cpus)
{
	e->ecx &= ~(AMD_EXT8_ECX_APICIDSIZE_MASK | AMD_EXT8_ECX_NC_MASK);
	e->ecx |= order_of(nr_cpus) << AMD_EXT8_ECX_APICIDSIZE_SHIFT;
	e->ecx |= (nr_cpus - 1) & AMD_EXT8_ECX_NC_MASK;
}

static void cpuid_amd_ext_apic(struct kvm_cpuid_entry2 *e, unsigned int cpu)
{
	/* EAX: extended APIC ID. EBX[7:0] core ID, [15:8] threads per core - 1.
	 * ECX[7:0] node ID, [10:8] nodes per package - 1: one node. */
	e->eax = cpu;
	e->ebx = cpu & 0xff;
	e->ecx = 0;
	e->edx = 0;
}

int x86_cpuid_set_tsc_deadline(struct x86_cpuid *c)
{
	struct kvm_cpuid_entry2 *e = cpuid_find(c, 1, 0);

	if (!e)
		return -EINVAL;
	e->ecx |= CPUID1_ECX_TSC_DEADLINE;
	return 0;
}

int x86_cpuid_setup(struct x86_cpuid *c, unsigned int cpu, unsigned int nr_cpus)
{
	unsigned int add = 0;
	bool amd, has_ext_apic;

	if (nr_cpus == 0 || nr_cpus > CPUID_MAX_CPUS || cpu >= nr_cpus)
		return -EINVAL;
	if (c->hdr.nent > X86_CPUID_MAX_ENTRIES)
		return -EINVAL;
	if (!cpuid_find(c, 0, 0) || !cpuid_find(c, 1, 0))
		return -EINVAL;

	/* Check for room first so that a failure leaves (c) untouched. */
	add += cpuid_needs_core_level(c, 0xb);
	add += cpuid_needs_core_level(c, 0x1f);
	if (c->hdr.nent + add > X86_CPUID_MAX_ENTRIES)
		return -ENOSPC;
	if (cpuid_needs_core_level(c, 0xb))
		cpuid_add_subleaf(c, 0xb, 1);
	if (cpuid_needs_core_level(c, 0x1f))
		cpuid_add_subleaf(c, 0x1f, 1);

	amd = cpuid_is_amd(c);
	has_ext_apic = cpuid_has_subleaf(c, CPUID_LEAF_AMD_EXT_APIC, 0);

	for (uint32_t i = 0; i < c->hdr.nent; i++) {
		struct kvm_cpuid_entry2 *e = &c->entries[i];

		switch (e->function) {
		case 0x1:
			cpuid_leaf1(e, cpu, nr_cpus);
			break;
		case 0x4:
			cpuid_cache(e, nr_cpus, true);
			break;
		case 0x6:
			cpuid_leaf6(e);
			break;
		case 0x7:
			/* UMWAIT/TPAUSE would park the physical core on the
			 * guest's behalf; clearing it makes them #UD. */
			if (e->index == 0)
				e->ecx &= ~CPUID7_ECX_WAITPKG;
			break;
		case 0xa:
			/* No architectural PMU is advertised. */
			e->eax = e->ebx = e->ecx = e->edx = 0;
			break;
		case 0xb:
		case 0x1f:
			cpuid_topology(e, cpu, nr_cpus);
			break;
		case 0x80000001:
			if (amd)
				cpuid_amd_ext1(e, nr_cpus, has_ext_apic);
			break;
		case 0x80000008:
			/* ECX is reserved on Intel. */
			if (amd)
				cpuid_amd_ext8(e, nr_cpus);
			break;
		case 0x8000001d:
			if (amd)
				cpuid_cache(e, nr_cpus, false);
			break;
		case CPUID_LEAF_AMD_EXT_APIC:
			if (amd)
				cpuid_amd_ext_apic(e, cpu);
			break;
		case CPUID_LEAF_AMD_PERFMON_V2:
			if (amd)
				e->eax = e->ebx = e->ecx = e->edx = 0;
			break;
		default:
			/* Everything else, 0x40000000 (KVM) included, is
			 * passed as KVM reports it. */
			break;
		}
	}
	return 0;
}

int x86_boot_msrs(struct kvm_msr_entry *out, unsigned int max)
{
	/*
	 * A clean start: no stale SYSENTER/SYSCALL entry points or GS base,
	 * TSC from 0 (KVM treats equal writes close in time as a sync across
	 * vCPUs), fast strings on as firmware leaves them, and MTRRs enabled
	 * with write-back default so that a guest that reads them does not
	 * map all of RAM uncached.
	 */
	static const struct {
		uint32_t index;
		uint64_t data;
	} boot[] = {
		{ MSR_IA32_SYSENTER_CS, 0 },
		{ MSR_IA32_SYSENTER_ESP, 0 },
		{ MSR_IA32_SYSENTER_EIP, 0 },
		{ MSR_STAR, 0 },
		{ MSR_CSTAR, 0 },
		{ MSR_KERNEL_GS_BASE, 0 },
		{ MSR_SYSCALL_MASK, 0 },
		{ MSR_LSTAR, 0 },
		{ MSR_IA32_TSC, 0 },
		{ MSR_IA32_MISC_ENABLE, MISC_ENABLE_FAST_STRING },
		{ MSR_MTRR_DEF_TYPE, MTRR_DEF_TYPE_ENABLE | MTRR_TYPE_WRBACK },
	};
	const unsigned int n = sizeof(boot) / sizeof(boot[0]);

	if (max < n)
		return -ENOSPC;
	for (unsigned int i = 0; i < n; i++) {
		memset(&out[i], 0, sizeof(out[i]));
		out[i].index = boot[i].index;
		out[i].data = boot[i].data;
	}
	return (int)n;
}

static void lapic_set_reg(struct kvm_lapic_state *lapic, unsigned int off,
			  uint32_t val)
{
	/* The register page is raw APIC memory: little-endian, as is the
	 * host (x86_64 only). */
	memcpy(&lapic->regs[off], &val, sizeof(val));
}

void x86_lapic_set_lint(struct kvm_lapic_state *lapic)
{
	/* Unmasked, edge, active high: only the delivery mode is set. The PIC
	 * reaches the CPU through LINT0 (virtual-wire mode, MP spec 3.6.2.2). */
	lapic_set_reg(lapic, APIC_LVT_LINT0, APIC_DM_EXTINT);
	lapic_set_reg(lapic, APIC_LVT_LINT1, APIC_DM_NMI);
}
