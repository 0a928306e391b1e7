// SPDX-License-Identifier: Apache-2.0
/* tests/arch/x86_64/test_cpuid.c: per-vCPU CPUID, boot MSRs, LAPIC LINTs. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "arch/x86_64/cpu.h"

#define IDX KVM_CPUID_FLAG_SIGNIFCANT_INDEX /* (sic), the uapi name */

/* Register values as KVM_GET_SUPPORTED_CPUID hands them over. */
struct leaf {
	uint32_t fn, idx, flags; /* function, index, flags */
	uint32_t eax, ebx, ecx, edx; /* output */
};

/*
 * A Skylake-SP-like host as seen through KVM with an old kernel: leaf 4 with
 * four caches and the terminating null subleaf, 0xB with both subleaves,
 * host APIC IDs and counts everywhere, a PMU, turbo and EPB.
 */
static const struct leaf intel_leaves[] = {
	{ 0x0, 0, 0, 0x16, 0x756e6547, 0x6c65746e, 0x49656e69 },
	{ 0x1, 0, 0, 0x00050654, 0x05100800, 0x7ffefbff, 0xbfebfbff },
	{ 0x4, 0, IDX, 0x1c004121, 0x01c0003f, 0x0000003f, 0 },
	{ 0x4, 1, IDX, 0x1c004122, 0x01c0003f, 0x0000003f, 0 },
	{ 0x4, 2, IDX, 0x1c004143, 0x03c0003f, 0x000003ff, 0 },
	{ 0x4, 3, IDX, 0x1c03c163, 0x03c0003f, 0x00006fff, 0x6 },
	{ 0x4, 4, IDX, 0, 0, 0, 0 },
	{ 0x6, 0, 0, 0x00000077, 0x00000002, 0x00000009, 0 },
	{ 0x7, 0, IDX, 0, 0xd19f4fbb, 0x00000024, 0xbc000400 },
	{ 0xa, 0, 0, 0x07300404, 0, 0, 0x00000603 },
	{ 0xb, 0, IDX, 0x1, 0x2, 0x100, 0x5 },
	{ 0xb, 1, IDX, 0x6, 0x20, 0x201, 0x5 },
	{ 0xd, 0, IDX, 0x2e7, 0xa88, 0xa88, 0 },
	{ 0xd, 1, IDX, 0xf, 0xa08, 0, 0 },
	{ 0x80000000, 0, 0, 0x80000008, 0, 0, 0 },
	{ 0x80000001, 0, 0, 0, 0, 0x00000121, 0x2c100800 },
	{ 0x80000008, 0, 0, 0x0000302e, 0, 0, 0 },
	{ 0x40000000, 0, 0, 0x40000001, 0x4b4d564b, 0x564b4d56, 0x4d },
	{ 0x40000001, 0, 0, 0x01007efb, 0, 0, 0 },
};

/*
 * A Zen host through KVM: leaf 4 null, 0xB only subleaf 0 and empty,
 * CmpLegacy, TopologyExtensions and PerfCtrExtCore on, 0x8000001D with host
 * sharing counts, 0x8000001E empty, PerfMonV2.
 */
static const struct leaf amd_leaves[] = {
	{ 0x0, 0, 0, 0x10, 0x68747541, 0x444d4163, 0x69746e65 },
	{ 0x1, 0, 0, 0x00a00f11, 0x07400800, 0x7ed8320b, 0x178bfbff },
	{ 0x4, 0, IDX, 0, 0, 0, 0 },
	{ 0x6, 0, 0, 0x4, 0, 0x1, 0 },
	{ 0x7, 0, IDX, 0, 0x219c97a9, 0x00000600, 0x20000010 },
	{ 0xa, 0, 0, 0, 0, 0, 0 },
	{ 0xb, 0, IDX, 0, 0, 0, 0 },
	{ 0xd, 0, IDX, 0x2e7, 0x988, 0x988, 0 },
	{ 0x80000000, 0, 0, 0x80000022, 0x68747541, 0x444d4163, 0x69746e65 },
	{ 0x80000001, 0, 0, 0x00a00f11, 0x40000000, 0x00c003f3, 0x2fd3fbff },
	{ 0x80000008, 0, 0, 0x00003030, 0x0102d005, 0x0001703f, 0 },
	{ 0x8000001d, 0, IDX, 0x00004121, 0x01c0003f, 0x3f, 0 },
	{ 0x8000001d, 1, IDX, 0x00004122, 0x01c0003f, 0x3f, 0 },
	{ 0x8000001d, 2, IDX, 0x00004143, 0x01c0003f, 0x3ff, 0x2 },
	{ 0x8000001d, 3, IDX, 0x0003c163, 0x03c0003f, 0x7fff, 0x1 },
	{ 0x8000001d, 4, IDX, 0, 0, 0, 0 },
	{ 0x8000001e, 0, 0, 0, 0, 0, 0 },
	{ 0x80000022, 0, 0, 0x7, 0x00004306, 0, 0 },
	{ 0x40000000, 0, 0, 0x40000001, 0x4b4d564b, 0x564b4d56, 0x4d },
};

#define NLEAVES(a) (sizeof(a) / sizeof((a)[0]))

static void fill(struct x86_cpuid *c, const struct leaf *l, size_t n)
{
	memset(c, 0, sizeof(*c));
	for (size_t i = 0; i < n; i++) {
		struct kvm_cpuid_entry2 *e = &c->entries[i];

		e->function = l[i].fn;
		e->index = l[i].idx;
		e->flags = l[i].flags;
		e->eax = l[i].eax;
		e->ebx = l[i].ebx;
		e->ecx = l[i].ecx;
		e->edx = l[i].edx;
	}
	c->hdr.nent = (uint32_t)n;
}

/* Drops (fn, idx) from the set. */
static void drop(struct x86_cpuid *c, uint32_t fn, uint32_t idx)
{
	for (uint32_t i = 0; i < c->hdr.nent; i++) {
		if (c->entries[i].function == fn &&
		    c->entries[i].index == idx) {
			memmove(&c->entries[i], &c->entries[i + 1],
				(c->hdr.nent - i - 1) * sizeof(c->entries[0]));
			c->hdr.nent--;
			return;
		}
	}
}

/* The entry for exactly (fn, idx), or NULL. */
static struct kvm_cpuid_entry2 *find(struct x86_cpuid *set, uint32_t fn,
				     uint32_t idx)
{
	for (uint32_t i = 0; i < set->hdr.nent; i++)
		if (set->entries[i].function == fn &&
		    set->entries[i].index == idx)
			return &set->entries[i];
	return NULL;
}

/* The entry for exactly (fn, idx), which must be there. */
static struct kvm_cpuid_entry2 *get(struct x86_cpuid *set, uint32_t fn,
				    uint32_t idx)
{
	struct kvm_cpuid_entry2 *e = find(set, fn, idx);

	cr_assert_not_null(e, "leaf %#x.%u", fn, idx);
	return e;
}

/* The input that (fn, idx) was built from. */
static const struct leaf *orig(const struct leaf *l, size_t n, uint32_t fn,
			       uint32_t idx)
{
	const struct leaf *found = NULL;

	for (size_t i = 0; i < n && !found; i++)
		if (l[i].fn == fn && l[i].idx == idx)
			found = &l[i];
	cr_assert_not_null(found, "no input leaf %#x.%u", fn, idx);
	return found;
}

static uint32_t bits(uint32_t v, unsigned int hi, unsigned int lo)
{
	return (v >> lo) & (uint32_t)((1ull << (hi - lo + 1)) - 1);
}

static struct x86_cpuid c;

/* Rules every vendor shares, for (cpu) of (nr) = 4. */
static void check_common(const struct leaf *l, size_t n, unsigned int cpu)
{
	const struct leaf *o1 = orig(l, n, 1, 0);
	struct kvm_cpuid_entry2 *e;

	e = get(&c, 1, 0);
	cr_assert_not_null(e);
	cr_assert_eq(bits(e->ebx, 31, 24), cpu, "initial APIC ID");
	cr_assert_eq(bits(e->ebx, 23, 16), 4, "logical processor count");
	cr_assert_eq(bits(e->ebx, 15, 8), 8, "CLFLUSH 64 bytes");
	cr_assert_eq(bits(e->ebx, 7, 0), bits(o1->ebx, 7, 0), "brand index");
	cr_assert(e->ecx & (1u << 31), "hypervisor bit");
	cr_assert_eq(e->ecx & (1u << 24), o1->ecx & (1u << 24),
		     "TSC-deadline as KVM reports");
	cr_assert_eq(e->ecx & (1u << 15), 0, "PDCM cleared");
	cr_assert_eq(e->ecx | (1u << 31) | (1u << 15),
		     o1->ecx | (1u << 31) | (1u << 15), "other ECX bits kept");
	cr_assert(e->edx & (1u << 28), "HTT with 4 CPUs");
	cr_assert_eq(e->edx | (1u << 28), o1->edx | (1u << 28));
	cr_assert_eq(e->eax, o1->eax, "signature kept");

	e = get(&c, 6, 0);
	cr_assert_eq(e->eax & ~4u, 0, "only ARAT in leaf 6 EAX");
	cr_assert_eq(e->eax, orig(l, n, 6, 0)->eax & 4u);
	cr_assert_eq(e->ebx, 0);
	cr_assert_eq(e->ecx & ~1u, 0, "no EPB in leaf 6 ECX");
	cr_assert_eq(e->edx, 0);

	e = get(&c, 7, 0);
	cr_assert_eq(e->ecx & (1u << 5), 0, "no WAITPKG");
	cr_assert_eq(e->ebx, orig(l, n, 7, 0)->ebx);

	e = get(&c, 0xa, 0);
	cr_assert(!e->eax && !e->ebx && !e->ecx && !e->edx, "no PMU");

	/* 0xB: SMT level of one, core level of 4 (2 ID bits), no more. */
	e = get(&c, 0xb, 0);
	cr_assert_not_null(e);
	cr_assert(e->flags & IDX);
	cr_assert_eq(e->eax, 0);
	cr_assert_eq(e->ebx, 1);
	cr_assert_eq(e->ecx, 0x100);
	cr_assert_eq(e->edx, cpu);
	e = get(&c, 0xb, 1);
	cr_assert_not_null(e, "core level present");
	cr_assert(e->flags & IDX);
	cr_assert_eq(e->eax, 2);
	cr_assert_eq(e->ebx, 4);
	cr_assert_eq(e->ecx, 0x201);
	cr_assert_eq(e->edx, cpu);
	cr_assert_null(find(&c, 0xb, 2), "no subleaf invented");

	e = get(&c, 0x40000000, 0);
	cr_assert_eq(e->ebx, 0x4b4d564b, "KVM signature kept");
	cr_assert_eq(e->eax, 0x40000001);
	e = get(&c, 0xd, 0);
	cr_assert_eq(e->ebx, orig(l, n, 0xd, 0)->ebx, "XSAVE kept");
}

static void check_intel(unsigned int cpu)
{
	const struct leaf *l = intel_leaves;
	size_t n = NLEAVES(intel_leaves);

	fill(&c, l, n);
	cr_assert_eq(x86_cpuid_setup(&c, cpu, 4), 0);
	cr_assert_eq(c.hdr.nent, n, "nothing added");
	check_common(l, n, cpu);

	for (uint32_t i = 0; i < 4; i++) {
		struct kvm_cpuid_entry2 *e = get(&c, 4, i);
		uint32_t level = bits(e->eax, 7, 5);

		cr_assert_eq(bits(e->eax, 31, 26), 3, "cores - 1");
		cr_assert_eq(bits(e->eax, 25, 14), level == 3 ? 3 : 0,
			     "sharing, level %u", level);
		cr_assert_eq(bits(e->eax, 13, 0),
			     bits(orig(l, n, 4, i)->eax, 13, 0));
		cr_assert_eq(e->ebx, orig(l, n, 4, i)->ebx);
	}
	cr_assert_eq(get(&c, 4, 4)->eax, 0, "null subleaf untouched");

	/* AMD-only leaves are reserved on Intel and left alone. */
	cr_assert_eq(get(&c, 0x80000001, 0)->ecx, 0x121);
	cr_assert_eq(get(&c, 0x80000008, 0)->ecx, 0);
}

static void check_amd(unsigned int cpu)
{
	const struct leaf *l = amd_leaves;
	size_t n = NLEAVES(amd_leaves);
	const struct leaf *o;
	struct kvm_cpuid_entry2 *e;

	fill(&c, l, n);
	cr_assert_eq(x86_cpuid_setup(&c, cpu, 4), 0);
	cr_assert_eq(c.hdr.nent, n + 1, "0xB.1 added");
	check_common(l, n, cpu);

	e = get(&c, 4, 0);
	cr_assert(!e->eax && !e->ebx && !e->ecx && !e->edx, "null leaf 4");

	o = orig(l, n, 0x80000001, 0);
	e = get(&c, 0x80000001, 0);
	cr_assert(e->ecx & (1u << 1), "CmpLegacy");
	cr_assert(e->ecx & (1u << 22), "TopologyExtensions kept");
	cr_assert_eq(e->ecx & (1u << 23), 0, "PerfCtrExtCore hidden");
	cr_assert_eq(e->ecx | (1u << 23), o->ecx | (1u << 23));
	cr_assert_eq(e->edx, o->edx);

	o = orig(l, n, 0x80000008, 0);
	e = get(&c, 0x80000008, 0);
	cr_assert_eq(bits(e->ecx, 7, 0), 3, "NC");
	cr_assert_eq(bits(e->ecx, 15, 12), 2, "ApicIdSize");
	cr_assert_eq(bits(e->ecx, 31, 16), bits(o->ecx, 31, 16), "PerfTsc");
	cr_assert_eq(e->eax, o->eax);
	cr_assert_eq(e->ebx, o->ebx);

	for (uint32_t i = 0; i < 4; i++) {
		uint32_t level;

		o = orig(l, n, 0x8000001d, i);
		e = get(&c, 0x8000001d, i);
		level = bits(e->eax, 7, 5);
		cr_assert_eq(bits(e->eax, 25, 14), level == 3 ? 3 : 0,
			     "sharing, level %u", level);
		cr_assert_eq(bits(e->eax, 31, 26), bits(o->eax, 31, 26));
		cr_assert_eq(bits(e->eax, 13, 0), bits(o->eax, 13, 0));
	}
	cr_assert_eq(get(&c, 0x8000001d, 4)->eax, 0);

	e = get(&c, 0x8000001e, 0);
	cr_assert_eq(e->eax, cpu, "extended APIC ID");
	cr_assert_eq(bits(e->ebx, 7, 0), cpu, "core ID");
	cr_assert_eq(bits(e->ebx, 15, 8), 0, "one thread per core");
	cr_assert_eq(e->ecx, 0, "one node");

	e = get(&c, 0x80000022, 0);
	cr_assert(!e->eax && !e->ebx && !e->ecx && !e->edx, "no PerfMonV2");
}

Test(cpuid, intel_cpu0_of_4)
{
	check_intel(0);
}

Test(cpuid, intel_cpu3_of_4)
{
	check_intel(3);
}

Test(cpuid, amd_cpu0_of_4)
{
	check_amd(0);
}

Test(cpuid, amd_cpu3_of_4)
{
	check_amd(3);
}

Test(cpuid, intel_new_kvm_adds_core_levels)
{
	struct kvm_cpuid_entry2 *e;
	size_t n;

	/* KVM >= 6.2 reports only subleaf 0; a host with 0x1F adds it. */
	fill(&c, intel_leaves, NLEAVES(intel_leaves));
	drop(&c, 0xb, 1);
	c.entries[c.hdr.nent] = (struct kvm_cpuid_entry2){
		.function = 0x1f,
		.index = 0,
		.flags = IDX,
		.eax = 1,
		.ebx = 2,
		.ecx = 0x100,
		.edx = 9,
	};
	c.hdr.nent++;
	n = c.hdr.nent;
	cr_assert_eq(x86_cpuid_setup(&c, 2, 4), 0);
	cr_assert_eq(c.hdr.nent, n + 2);
	for (uint32_t fn = 0xb; fn <= 0x1f; fn += 0x1f - 0xb) {
		e = get(&c, fn, 1);
		cr_assert_not_null(e, "leaf %#x.1", fn);
		cr_assert(e->flags & IDX);
		cr_assert_eq(e->eax, 2);
		cr_assert_eq(e->ebx, 4);
		cr_assert_eq(e->ecx, 0x201);
		cr_assert_eq(e->edx, 2);
		e = get(&c, fn, 0);
		cr_assert_eq(e->ecx, 0x100);
		cr_assert_eq(e->edx, 2);
	}
}

Test(cpuid, old_kvm_extra_subleaves_invalid)
{
	struct kvm_cpuid_entry2 *e;

	fill(&c, intel_leaves, NLEAVES(intel_leaves));
	c.entries[c.hdr.nent++] = (struct kvm_cpuid_entry2){
		.function = 0xb,
		.index = 2,
		.flags = IDX,
		.eax = 7,
		.ebx = 0x40,
		.ecx = 0x302,
		.edx = 5,
	};
	cr_assert_eq(x86_cpuid_setup(&c, 1, 2), 0);
	e = get(&c, 0xb, 2);
	cr_assert_eq(e->eax, 0);
	cr_assert_eq(e->ebx, 0);
	cr_assert_eq(e->ecx, 2, "type 0 (invalid), subleaf echoed");
	cr_assert_eq(e->edx, 1, "x2APIC ID on every subleaf");
}

Test(cpuid, single_cpu)
{
	struct kvm_cpuid_entry2 *e;

	fill(&c, amd_leaves, NLEAVES(amd_leaves));
	cr_assert_eq(x86_cpuid_setup(&c, 0, 1), 0);
	e = get(&c, 1, 0);
	cr_assert_eq(bits(e->ebx, 31, 16), 0x0001, "APIC 0, one logical");
	cr_assert_eq(e->edx & (1u << 28), 0, "no HTT");
	cr_assert_eq(get(&c, 0x80000001, 0)->ecx & (1u << 1), 0,
		     "no CmpLegacy");
	cr_assert_eq(bits(get(&c, 0x80000008, 0)->ecx, 15, 0), 0, "NC 0");
	e = get(&c, 0xb, 1);
	cr_assert_eq(e->eax, 0);
	cr_assert_eq(e->ebx, 1);
}

Test(cpuid, many_cpus_clamp_leaf4_cores)
{
	struct kvm_cpuid_entry2 *e;

	fill(&c, intel_leaves, NLEAVES(intel_leaves));
	cr_assert_eq(x86_cpuid_setup(&c, 99, 100), 0);
	e = get(&c, 4, 3);
	cr_assert_eq(bits(e->eax, 31, 26), 63, "six bits: clamped");
	cr_assert_eq(bits(e->eax, 25, 14), 99, "L3 shared by all");
	e = get(&c, 0xb, 1);
	cr_assert_eq(e->eax, 7);
	cr_assert_eq(e->ebx, 100);
	cr_assert_eq(bits(get(&c, 1, 0)->ebx, 31, 16), (99u << 8) | 100);
}

Test(cpuid, clflush_filled_only_when_zero)
{
	fill(&c, intel_leaves, NLEAVES(intel_leaves));
	get(&c, 1, 0)->ebx &= ~0xff00u;
	cr_assert_eq(x86_cpuid_setup(&c, 0, 2), 0);
	cr_assert_eq(bits(get(&c, 1, 0)->ebx, 15, 8), 8);

	fill(&c, intel_leaves, NLEAVES(intel_leaves));
	get(&c, 1, 0)->ebx = (get(&c, 1, 0)->ebx & ~0xff00u) | 0x1000;
	cr_assert_eq(x86_cpuid_setup(&c, 0, 2), 0);
	cr_assert_eq(bits(get(&c, 1, 0)->ebx, 15, 8), 0x10, "kept");
}

Test(cpuid, amd_topoext_needs_ext_apic_leaf)
{
	fill(&c, amd_leaves, NLEAVES(amd_leaves));
	drop(&c, 0x8000001e, 0);
	cr_assert_eq(x86_cpuid_setup(&c, 1, 2), 0);
	cr_assert_eq(get(&c, 0x80000001, 0)->ecx & (1u << 22), 0);
}

Test(cpuid, setup_again_for_another_cpu)
{
	static struct x86_cpuid fresh;

	fill(&fresh, amd_leaves, NLEAVES(amd_leaves));
	cr_assert_eq(x86_cpuid_setup(&fresh, 3, 4), 0);
	fill(&c, amd_leaves, NLEAVES(amd_leaves));
	cr_assert_eq(x86_cpuid_setup(&c, 0, 4), 0);
	cr_assert_eq(x86_cpuid_setup(&c, 3, 4), 0);
	cr_assert_eq(c.hdr.nent, fresh.hdr.nent);
	cr_assert_eq(memcmp(c.entries, fresh.entries,
			    c.hdr.nent * sizeof(c.entries[0])),
		     0);
}

Test(cpuid, rejects_bad_arguments)
{
	static struct x86_cpuid before;

	fill(&c, intel_leaves, NLEAVES(intel_leaves));
	before = c;
	cr_assert_eq(x86_cpuid_setup(&c, 0, 0), -EINVAL);
	cr_assert_eq(x86_cpuid_setup(&c, 0, 255), -EINVAL);
	cr_assert_eq(x86_cpuid_setup(&c, 4, 4), -EINVAL);
	cr_assert_eq(x86_cpuid_setup(&c, ~0u, 4), -EINVAL);
	cr_assert_eq(memcmp(&c, &before, sizeof(c)), 0, "untouched");
	cr_assert_eq(x86_cpuid_setup(&c, 253, 254), 0, "254 is the most");

	fill(&c, intel_leaves, NLEAVES(intel_leaves));
	c.hdr.nent = X86_CPUID_MAX_ENTRIES + 1;
	cr_assert_eq(x86_cpuid_setup(&c, 0, 1), -EINVAL);

	fill(&c, intel_leaves, NLEAVES(intel_leaves));
	drop(&c, 1, 0);
	cr_assert_eq(x86_cpuid_setup(&c, 0, 1), -EINVAL, "no leaf 1");
}

Test(cpuid, full_table_is_enospc_and_untouched)
{
	static struct x86_cpuid before;

	/* 0xB.1 must be added but there is no room for it. */
	fill(&c, amd_leaves, NLEAVES(amd_leaves));
	for (uint32_t i = c.hdr.nent; i < X86_CPUID_MAX_ENTRIES; i++)
		c.entries[i] = (struct kvm_cpuid_entry2){
			.function = 0x40000100 + i,
		};
	c.hdr.nent = X86_CPUID_MAX_ENTRIES;
	before = c;
	cr_assert_eq(x86_cpuid_setup(&c, 0, 2), -ENOSPC);
	cr_assert_eq(memcmp(&c, &before, sizeof(c)), 0);
}

Test(msrs, boot_values)
{
	static const struct {
		uint32_t index;
		uint64_t data;
	} want[] = {
		{ 0x174, 0 }, /* IA32_SYSENTER_CS */
		{ 0x175, 0 }, /* IA32_SYSENTER_ESP */
		{ 0x176, 0 }, /* IA32_SYSENTER_EIP */
		{ 0xc0000081, 0 }, /* STAR */
		{ 0xc0000082, 0 }, /* LSTAR */
		{ 0xc0000083, 0 }, /* CSTAR */
		{ 0xc0000084, 0 }, /* SYSCALL_MASK */
		{ 0xc0000102, 0 }, /* KERNEL_GS_BASE */
		{ 0x10, 0 }, /* IA32_TSC */
		{ 0x1a0, 1 }, /* IA32_MISC_ENABLE: fast strings */
		{ 0x2ff, 0x806 }, /* MTRRdefType: enabled, WB */
	};
	const int n = (int)(sizeof(want) / sizeof(want[0]));
	struct kvm_msr_entry out[32];

	memset(out, 0xa5, sizeof(out));
	cr_assert_eq(x86_boot_msrs(out, 32), n);
	for (int i = 0; i < n; i++) {
		int found = 0;

		for (int j = 0; j < n; j++) {
			if (out[j].index != want[i].index)
				continue;
			cr_assert_eq(out[j].data, want[i].data, "MSR %#x",
				     want[i].index);
			cr_assert_eq(out[j].reserved, 0);
			found++;
		}
		cr_assert_eq(found, 1, "MSR %#x once", want[i].index);
	}
	cr_assert_eq(x86_boot_msrs(out, (unsigned int)n), n, "exact room");
	cr_assert_eq(x86_boot_msrs(out, (unsigned int)n - 1), -ENOSPC);
	cr_assert_eq(x86_boot_msrs(out, 0), -ENOSPC);
}

static uint32_t lapic_reg(const struct kvm_lapic_state *s, unsigned int off)
{
	uint32_t v;

	memcpy(&v, &s->regs[off], sizeof(v));
	return v;
}

Test(lapic, lint0_extint_lint1_nmi)
{
	struct kvm_lapic_state s;

	/* All ones: every LVT masked, odd modes; only LINT0/1 must change. */
	memset(&s, 0xff, sizeof(s));
	x86_lapic_set_lint(&s);
	cr_assert_eq(lapic_reg(&s, 0x350), 0x700, "LINT0: ExtINT, unmasked");
	cr_assert_eq(lapic_reg(&s, 0x360), 0x400, "LINT1: NMI, unmasked");
	cr_assert_eq(lapic_reg(&s, 0x340), 0xffffffff, "PMC LVT untouched");
	cr_assert_eq(lapic_reg(&s, 0x370), 0xffffffff, "error LVT untouched");
}

/* The real thing: KVM's own set, applied to real vCPUs. */
Test(cpuid_kvm, real_supported_set)
{
	static struct x86_cpuid supported;
	struct kvm_msr_entry msr[16];
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e[16];
	} msrs;
	struct kvm_lapic_state lapic;
	int kvm, vm, nr_msrs;
	bool amd;

	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0)
		cr_skip_test("no /dev/kvm: %s", strerror(errno));
	supported.hdr.nent = X86_CPUID_MAX_ENTRIES;
	cr_assert_eq(ioctl(kvm, KVM_GET_SUPPORTED_CPUID, &supported), 0,
		     "KVM_GET_SUPPORTED_CPUID: %s", strerror(errno));
	amd = get(&supported, 0, 0)->ebx == 0x68747541; /* "Auth" */
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	cr_assert_geq(vm, 0, "KVM_CREATE_VM: %s", strerror(errno));
	cr_assert_eq(ioctl(vm, KVM_CREATE_IRQCHIP, 0), 0);
	nr_msrs = x86_boot_msrs(msr, 16);
	cr_assert_gt(nr_msrs, 0);

	for (unsigned int cpu = 0; cpu < 4; cpu++) {
		struct kvm_cpuid_entry2 *e;
		int vcpu;

		c = supported;
		cr_assert_eq(x86_cpuid_setup(&c, cpu, 4), 0);
		cr_assert_eq(bits(get(&c, 1, 0)->ebx, 31, 24), cpu);
		cr_assert_eq(bits(get(&c, 1, 0)->ebx, 23, 16), 4);
		for (uint32_t fn = 0xb; fn <= 0x1f; fn += 0x1f - 0xb) {
			if (!find(&c, fn, 0))
				continue;
			cr_assert_not_null(find(&c, fn, 1), "%#x.1", fn);
			for (uint32_t i = 0; (e = find(&c, fn, i)); i++)
				cr_assert_eq(e->edx, cpu, "%#x.%u", fn, i);
		}
		e = find(&c, 0x8000001e, 0);
		if (amd && e)
			cr_assert_eq(e->eax, cpu);

		vcpu = ioctl(vm, KVM_CREATE_VCPU, cpu);
		cr_assert_geq(vcpu, 0, "KVM_CREATE_VCPU: %s", strerror(errno));
		cr_assert_eq(ioctl(vcpu, KVM_SET_CPUID2, &c), 0,
			     "KVM_SET_CPUID2 cpu %u: %s", cpu, strerror(errno));

		memset(&msrs, 0, sizeof(msrs));
		msrs.hdr.nmsrs = (uint32_t)nr_msrs;
		memcpy(msrs.e, msr, (size_t)nr_msrs * sizeof(msr[0]));
		cr_assert_eq(ioctl(vcpu, KVM_SET_MSRS, &msrs), nr_msrs,
			     "every boot MSR accepted");

		cr_assert_eq(ioctl(vcpu, KVM_GET_LAPIC, &lapic), 0);
		x86_lapic_set_lint(&lapic);
		cr_assert_eq(ioctl(vcpu, KVM_SET_LAPIC, &lapic), 0);
		memset(&lapic, 0, sizeof(lapic));
		cr_assert_eq(ioctl(vcpu, KVM_GET_LAPIC, &lapic), 0);
		cr_assert_eq(lapic_reg(&lapic, 0x350), 0x700);
		cr_assert_eq(lapic_reg(&lapic, 0x360), 0x400);
		close(vcpu);
	}
	close(vm);
	close(kvm);
}

Test(cpuid, tsc_deadline_added_and_kept_by_setup)
{
	fill(&c, intel_leaves, NLEAVES(intel_leaves));
	get(&c, 1, 0)->ecx &= ~(1u << 24);	/* as KVM reports it */
	cr_assert_eq(x86_cpuid_set_tsc_deadline(&c), 0);
	cr_assert(get(&c, 1, 0)->ecx & (1u << 24));
	cr_assert_eq(x86_cpuid_setup(&c, 1, 2), 0);
	cr_assert(get(&c, 1, 0)->ecx & (1u << 24), "setup keeps it");
	drop(&c, 1, 0);
	cr_assert_eq(x86_cpuid_set_tsc_deadline(&c), -EINVAL);
}
