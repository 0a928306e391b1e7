// SPDX-License-Identifier: Apache-2.0
/*
 * tests/guest/iommu_hostile/param.c: well-shaped requests with values a
 * driver must not send: reserved fields set, unknown flags, ranges that
 * wrap or are unaligned, ids that do not exist, MAPs over reserved
 * regions, bypass domains, and requests for features not negotiated.
 * Statuses: the spec's MUSTs, and where it leaves the choice ignis's
 * (devices/iommu/viommu_ops.c): an inverted range is INVAL, a reserved
 * region taken by a MAP is INVAL, UNMAP's reserved set is INVAL.
 */
#include "ih.h"

#define DOM 20 /* these checks' domain */

/* The head's reserved bytes: "The device MUST ignore" them (5.13.6.2). */
static void head_reserved(void)
{
	struct viommu_req_attach a = attach_req(DOM, EP);
	struct viommu_req_map m = map_req(DOM, IOVA, PAGE, ih_pa);

	if (fresh_domain(DOM + 1))
		return;
	a.reserved[0] = a.reserved[1] = a.reserved[2] = 0xff;
	m.reserved[0] = m.reserved[2] = 0x5a;
	if (!expect(&a, sizeof(a), VIOMMU_S_OK))
		expect(&m, sizeof(m), VIOMMU_S_OK);
}

/* 5.13.6.3.2: "If the reserved field of an ATTACH request is not zero,
 * the device MUST reject the request and set status to
 * VIRTIO_IOMMU_S_INVAL." Nothing attached. */
static void attach_reserved(void)
{
	struct viommu_req_attach a = attach_req(DOM + 1, EP);
	struct viommu_req_map m = map_req(DOM + 1, IOVA, PAGE, ih_pa);

	a.reserved2[3] = 1;
	if (fresh_domain(DOM) || expect(&a, sizeof(a), VIOMMU_S_INVAL))
		return;
	must(&m, sizeof(m), VIOMMU_S_NOENT, "MAP into it after, status");
}

/* 5.13.6.4.2: "The device MUST ignore reserved" (DETACH). */
static void detach_reserved(void)
{
	struct viommu_req_attach d = detach_req(DOM, EP);
	struct viommu_req_map m = map_req(DOM, IOVA, PAGE, ih_pa);

	memset(d.reserved2, 0xff, sizeof(d.reserved2));
	if (fresh_domain(DOM) || expect(&d, sizeof(d), VIOMMU_S_OK))
		return;
	must(&m, sizeof(m), VIOMMU_S_NOENT, "MAP into it after, status");
}

/* The UNMAP (u), sent once a fresh DOM holds the page at IOVA, is INVAL
 * and removes nothing: a MAP of that page still overlaps after it. */
static void expect_unmap_refused(const struct viommu_req_unmap *u)
{
	struct viommu_req_map m = map_req(DOM, IOVA, PAGE, ih_pa);

	if (fresh_domain(DOM) ||
	    must(&m, sizeof(m), VIOMMU_S_OK, "MAP, status") ||
	    expect(u, sizeof(*u), VIOMMU_S_INVAL))
		return;
	must(&m, sizeof(m), VIOMMU_S_INVAL,
	     "MAP again (was it removed?), status");
}

/* 5.13.6.6.2: UNMAP's reserved set "MAY" be INVAL, and then "MAY" be
 * done; ignis answers INVAL and removes nothing. */
static void unmap_reserved(void)
{
	struct viommu_req_unmap u = unmap_req(DOM, IOVA, PAGE);

	u.reserved2[0] = 0x80;
	expect_unmap_refused(&u);
}

/* 5.13.6.7.2: PROBE's reserved bytes, "The device MUST ignore". */
static void probe_reserved(void)
{
	struct viommu_req_probe r = probe_req(EP);
	const uint32_t len = PROBE_SIZE + 4;
	uint32_t used;
	uint8_t *p;

	memset(r.reserved, 0xff, sizeof(r.reserved));
	memset(r.reserved2, 0xff, sizeof(r.reserved2));
	p = probe_into(&r, sizeof(r), &len, 1, &used);
	if (p)
		expect_probe_list(p, used, "want OK used 516; status");
}

/* 5.13.6.3.2: "If the device does not recognize a flags bit, it MUST
 * reject the request and set status to VIRTIO_IOMMU_S_INVAL." */
static void attach_flags(void)
{
	static const uint32_t bad[] = { 2, 0x80000000u, 0xfffffffeu };
	struct viommu_req_attach a = attach_req(DOM + 1, EP);
	struct viommu_req_map m = map_req(DOM + 1, IOVA, PAGE, ih_pa);

	if (fresh_domain(DOM))
		return;
	for (unsigned int i = 0; i < 3 && !failed(); i++) {
		a.flags = bad[i];
		expect(&a, sizeof(a), VIOMMU_S_INVAL);
	}
	if (!failed())
		must(&m, sizeof(m), VIOMMU_S_NOENT,
		     "MAP into it after, status");
}

/* 5.13.6.5.2: the same MUST for MAP's flags. */
static void map_flags(void)
{
	static const uint32_t bad[] = { 8 | MAP_F_RW, 0x80000000u, ~0u };
	struct viommu_req_map m = map_req(DOM, IOVA, PAGE, ih_pa);

	if (fresh_domain(DOM))
		return;
	for (unsigned int i = 0; i < 3 && !failed(); i++) {
		m.flags = bad[i];
		expect(&m, sizeof(m), VIOMMU_S_INVAL);
	}
	m.flags = MAP_F_RW;
	if (!failed())
		must(&m, sizeof(m), VIOMMU_S_OK, "good MAP after, status");
}

/* No known bit at all is no unknown bit: a mapping nothing may use. */
static void map_flags_zero(void)
{
	struct viommu_req_map m = map_req(DOM, IOVA, PAGE, ih_pa);

	m.flags = 0;
	if (fresh_domain(DOM) || expect(&m, sizeof(m), VIOMMU_S_OK))
		return;
	m.flags = MAP_F_RW;
	must(&m, sizeof(m), VIOMMU_S_INVAL, "MAP over it, status");
}

/* MAP_F_MMIO "is only available when the VIRTIO_IOMMU_F_MMIO feature has
 * been negotiated", which F_ALL leaves out: an unknown bit then (GUARDS
 * row 12; dma.c's dma_to_mmio_flagged negotiates it). */
static void map_mmio(void)
{
	struct viommu_req_map m = map_req(DOM, IOVA, PAGE, 0xd0001000ULL);

	m.flags = MAP_F_RW | VIOMMU_MAP_F_MMIO;
	if (fresh_domain(DOM) || expect(&m, sizeof(m), VIOMMU_S_INVAL))
		return;
	m.phys_start = ih_pa;
	m.flags = MAP_F_RW;
	must(&m, sizeof(m), VIOMMU_S_OK, "good MAP after, status");
}

/* virt_end below virt_start: ignis answers INVAL (viommu_ops.c
 * mapping_domain()). */
static void map_inverted(void)
{
	struct viommu_req_map m = map_req(DOM, IOVA + PAGE, PAGE, ih_pa);

	m.virt_end = IOVA - 1;
	if (!fresh_domain(DOM))
		expect(&m, sizeof(m), VIOMMU_S_INVAL);
}

static void unmap_inverted(void)
{
	struct viommu_req_unmap u = unmap_req(DOM, IOVA + PAGE, PAGE);

	u.virt_end = IOVA;
	expect_unmap_refused(&u);
}

/* phys_start + size wraps the 64-bit space: RANGE. */
static void map_phys_wraps(void)
{
	struct viommu_req_map m = map_req(DOM, IOVA, 2 * PAGE, ~0xfffULL);

	if (!fresh_domain(DOM))
		expect(&m, sizeof(m), VIOMMU_S_RANGE);
}

/* Beyond input_range (48 bits): RANGE (5.13.6: "Any mapping request to
 * virtual addresses outside of this range fails"). */
static void map_past_input(void)
{
	struct viommu_req_map end =
		map_req(DOM, (1ULL << 48) - PAGE, 2 * PAGE, ih_pa);
	struct viommu_req_map far = map_req(DOM, 1ULL << 48, PAGE, ih_pa);
	struct viommu_req_map top = map_req(DOM, ~0xfffULL, PAGE, ih_pa);
	struct viommu_req_map all = map_req(DOM, 0, 0, 0);

	all.virt_end = ~0ULL;
	if (fresh_domain(DOM) || expect(&end, sizeof(end), VIOMMU_S_RANGE) ||
	    expect(&far, sizeof(far), VIOMMU_S_RANGE) ||
	    expect(&top, sizeof(top), VIOMMU_S_RANGE))
		return;
	/* virt_end + 1 wraps to 0, which is aligned. */
	expect(&all, sizeof(all), VIOMMU_S_RANGE);
}

static void unmap_past_input(void)
{
	struct viommu_req_unmap u =
		unmap_req(DOM, (1ULL << 48) - PAGE, 2 * PAGE);

	if (!fresh_domain(DOM))
		expect(&u, sizeof(u), VIOMMU_S_RANGE);
}

/* 5.13.6.5.2: "If virt_start, phys_start or (virt_end + 1) is not
 * aligned on the page granularity, the device SHOULD reject the request
 * and set status to VIRTIO_IOMMU_S_RANGE." Nothing mapped by any. */
static void map_unaligned(void)
{
	struct viommu_req_map start = map_req(DOM, IOVA + 0x800, PAGE, ih_pa);
	struct viommu_req_map end = map_req(DOM, IOVA, PAGE + 1, ih_pa);
	struct viommu_req_map phys = map_req(DOM, IOVA, PAGE, ih_pa + 0x10);
	struct viommu_req_map one = map_req(DOM, IOVA, 1, ih_pa);
	struct viommu_req_map good = map_req(DOM, IOVA, 2 * PAGE, ih_pa);

	if (fresh_domain(DOM) ||
	    expect(&start, sizeof(start), VIOMMU_S_RANGE) ||
	    expect(&end, sizeof(end), VIOMMU_S_RANGE) ||
	    expect(&phys, sizeof(phys), VIOMMU_S_RANGE) ||
	    expect(&one, sizeof(one), VIOMMU_S_RANGE))
		return;
	must(&good, sizeof(good), VIOMMU_S_OK, "aligned MAP after, status");
}

/* An UNMAP that would split a mapping (here at an unaligned end):
 * RANGE, and nothing removed (5.13.6.6.2). */
static void unmap_splits(void)
{
	struct viommu_req_map m = map_req(DOM, IOVA, 2 * PAGE, ih_pa);
	struct viommu_req_unmap half = unmap_req(DOM, IOVA, PAGE + 0x800);
	struct viommu_req_unmap whole = unmap_req(DOM, IOVA, 2 * PAGE);

	if (fresh_domain(DOM) ||
	    must(&m, sizeof(m), VIOMMU_S_OK, "MAP, status") ||
	    expect(&half, sizeof(half), VIOMMU_S_RANGE) ||
	    must(&m, sizeof(m), VIOMMU_S_INVAL, "MAP again (was it removed?)"))
		return;
	must(&whole, sizeof(whole), VIOMMU_S_OK, "whole UNMAP after, status");
}

/* domain_range is all of u32 (vmm/builder.c), so no id is out of it:
 * the last one works as any other. */
static void domain_max(void)
{
	struct viommu_req_map m = map_req(0xffffffffu, IOVA, PAGE, ih_pa);

	if (!fresh_domain(0xffffffffu))
		expect(&m, sizeof(m), VIOMMU_S_OK);
}

/* Endpoint 1 is the iommu's own slot, not behind it; 0xffffffff none.
 * 5.13.6.3.2 / 5.13.6.4.2: "MUST ... VIRTIO_IOMMU_S_NOENT". */
static void attach_unknown_ep(void)
{
	struct viommu_req_attach a1 = attach_req(DOM, 1);
	struct viommu_req_attach an = attach_req(DOM, 0xffffffffu);
	struct viommu_req_map m = map_req(DOM, IOVA, PAGE, ih_pa);

	if (fresh_domain(DOM + 1) || expect(&a1, sizeof(a1), VIOMMU_S_NOENT) ||
	    expect(&an, sizeof(an), VIOMMU_S_NOENT))
		return;
	must(&m, sizeof(m), VIOMMU_S_NOENT, "MAP into it after, status");
}

static void detach_unknown_ep(void)
{
	struct viommu_req_attach d = detach_req(DOM, 7);

	if (!fresh_domain(DOM))
		expect(&d, sizeof(d), VIOMMU_S_NOENT);
}

/* 5.13.6.7.2: an endpoint that doesn't exist "SHOULD" get NOENT; the
 * tail still after probe_size bytes, those zeroed. */
static void probe_unknown_ep(void)
{
	const struct viommu_req_probe r = probe_req(1);
	const uint32_t len = PROBE_SIZE + 4;
	uint32_t used;
	uint8_t *p = probe_into(&r, sizeof(r), &len, 1, &used);

	if (!p)
		return;
	if (used != len || p[PROBE_SIZE] != VIOMMU_S_NOENT) {
		fail_hex("want NOENT used 516; status", p[PROBE_SIZE]);
		return;
	}
	for (unsigned int i = 0; i < PROBE_SIZE; i++) {
		if (p[i]) {
			fail_hex("property byte written at", i);
			return;
		}
	}
}

/* MAP and UNMAP in a domain that does not exist: "SHOULD ... NOENT". */
static void domain_unknown(void)
{
	struct viommu_req_map m = map_req(DOM + 1, IOVA, PAGE, ih_pa);
	struct viommu_req_unmap u = unmap_req(DOM + 1, IOVA, PAGE);

	if (!fresh_domain(DOM) && !expect(&m, sizeof(m), VIOMMU_S_NOENT))
		expect(&u, sizeof(u), VIOMMU_S_NOENT);
}

/* DETACH from a domain the endpoint is not in: "MAY" INVAL; ignis does,
 * and the endpoint stays where it is. */
static void detach_wrong_domain(void)
{
	struct viommu_req_attach d = detach_req(DOM + 1, EP);
	struct viommu_req_map m = map_req(DOM, IOVA, PAGE, ih_pa);

	if (fresh_domain(DOM) || expect(&d, sizeof(d), VIOMMU_S_INVAL))
		return;
	must(&m, sizeof(m), VIOMMU_S_OK, "MAP into its domain after, status");
}

static void detach_twice(void)
{
	struct viommu_req_attach d = detach_req(DOM, EP);

	if (!fresh_domain(DOM) && !must(&d, sizeof(d), VIOMMU_S_OK, "DETACH"))
		expect(&d, sizeof(d), VIOMMU_S_INVAL);
}

/* Moving to another domain ends the one left (5.13.6.4: "After all
 * endpoints have been successfully detached from a domain, it ceases to
 * exist"), mappings and all. */
static void attach_moves(void)
{
	struct viommu_req_map m = map_req(DOM, IOVA, PAGE, ih_pa);
	struct viommu_req_attach a = attach_req(DOM + 1, EP);

	if (fresh_domain(DOM) ||
	    must(&m, sizeof(m), VIOMMU_S_OK, "MAP, status") ||
	    expect(&a, sizeof(a), VIOMMU_S_OK))
		return;
	must(&m, sizeof(m), VIOMMU_S_NOENT, "MAP into the old domain, status");
}

/* 5.13.6.8.1.2: "The device SHOULD reject a MAP request that overlaps a
 * RESV_MEM region"; ignis: INVAL, as for a range already taken. */
static void map_msi(void)
{
	struct viommu_req_map page = map_req(DOM, MSI_START, PAGE, ih_pa);
	struct viommu_req_map last =
		map_req(DOM, MSI_END + 1 - PAGE, PAGE, ih_pa);
	struct viommu_req_map straddle =
		map_req(DOM, MSI_START - PAGE, 2 * PAGE, ih_pa);
	struct viommu_req_map cover =
		map_req(DOM, 0xfe000000ULL, 0x1000000ULL, ih_pa);

	if (fresh_domain(DOM) || expect(&page, sizeof(page), VIOMMU_S_INVAL) ||
	    expect(&last, sizeof(last), VIOMMU_S_INVAL) ||
	    expect(&straddle, sizeof(straddle), VIOMMU_S_INVAL))
		return;
	expect(&cover, sizeof(cover), VIOMMU_S_INVAL);
}

/* The rest of the reserved hole too; just below it is free. */
static void map_hole(void)
{
	struct viommu_req_map in = map_req(DOM, HOLE_START, PAGE, ih_pa);
	struct viommu_req_map top =
		map_req(DOM, 0xfffff000ULL, 2 * PAGE, ih_pa);
	struct viommu_req_map below =
		map_req(DOM, HOLE_START - PAGE, PAGE, ih_pa);

	if (fresh_domain(DOM) || expect(&in, sizeof(in), VIOMMU_S_INVAL) ||
	    expect(&top, sizeof(top), VIOMMU_S_INVAL))
		return;
	expect(&below, sizeof(below), VIOMMU_S_OK);
}

/* With BYPASS_CONFIG: a bypass domain takes no MAP or UNMAP ("SHOULD
 * ... VIRTIO_IOMMU_S_INVAL"), and an ATTACH inconsistent with an
 * existing domain's bypass flag is INVAL. */
static void bypass_domain(void)
{
	struct viommu_req_attach b = attach_req(DOM, EP);
	struct viommu_req_map m = map_req(DOM, IOVA, PAGE, ih_pa);
	struct viommu_req_unmap u = unmap_req(DOM, IOVA, PAGE);
	struct viommu_req_attach plain = attach_req(DOM, EP);

	b.flags = VIOMMU_ATTACH_F_BYPASS;
	if (fresh_domain(DOM + 1) || expect(&b, sizeof(b), VIOMMU_S_OK) ||
	    expect(&m, sizeof(m), VIOMMU_S_INVAL) ||
	    expect(&u, sizeof(u), VIOMMU_S_INVAL))
		return;
	expect(&plain, sizeof(plain), VIOMMU_S_INVAL);
}

static void bypass_mismatch(void)
{
	struct viommu_req_attach b = attach_req(DOM, EP);

	b.flags = VIOMMU_ATTACH_F_BYPASS;
	if (!fresh_domain(DOM))
		expect(&b, sizeof(b), VIOMMU_S_INVAL);
}

/* The bypass field the driver writes is applied by the device's worker:
 * what it reads once it shows (want), or after ~1 s. */
static uint32_t bypass_settled(uint8_t want)
{
	uint64_t t0 = rt_rdtsc();
	uint32_t v;

	while ((v = vio_config32(&ih_dev, VIOMMU_CFG_BYPASS)) != want &&
	       rt_rdtsc() - t0 < 3000000000ULL)
		__asm__ volatile("pause");
	return v;
}

/* 5.13.4.2: bypass "MUST" read 0 or 1 whatever was written: only bit 0
 * counts; the reserved bytes after it stay zero. */
static void config_bypass_bits(void)
{
	uint32_t v;

	ih_bypass_write(0xfe);
	v = bypass_settled(0);
	if (v != 0) {
		fail_hex("after 0xfe, bypass word", v);
		goto out;
	}
	vio_write32(&ih_dev, VIO_R_CONFIG + VIOMMU_CFG_BYPASS, 0xffffffffu);
	v = bypass_settled(1);
	if (v != 1)
		fail_hex("after 0xffffffff, bypass word", v);
out:
	ih_bypass_write(1);
	if (bypass_settled(1) != 1)
		fail("bypass not restored to 1");
}

/* Bypass flipped while requests flow: each write goes to the worker
 * (viommu.c) between requests; the requests keep their answers. */
static void bypass_storm(void)
{
	struct viommu_req_map m = map_req(DOM, IOVA, PAGE, ih_pa);
	struct viommu_req_unmap u = unmap_req(DOM, IOVA, PAGE);

	if (fresh_domain(DOM))
		return;
	for (unsigned int i = 0; i < 200 && !failed(); i++) {
		ih_bypass_write((uint8_t)(i & 1));
		if (!expect(&m, sizeof(m), VIOMMU_S_OK))
			expect(&u, sizeof(u), VIOMMU_S_OK);
	}
	ih_bypass_write(1);
	if (bypass_settled(1) != 1)
		fail("bypass not back to 1");
}

/* Every other field is read-only (5.13.4.1): writes change nothing. */
static void config_readonly(void)
{
	uint32_t before[9], after;

	for (unsigned int i = 0; i < 9; i++)
		before[i] = vio_config32(&ih_dev, 4 * i);
	for (unsigned int i = 0; i < 9; i++)
		vio_write32(&ih_dev, VIO_R_CONFIG + 4 * i, 0x5a5a5a5au);
	for (unsigned int i = 0; i < 9; i++) {
		after = vio_config32(&ih_dev, 4 * i);
		if (after != before[i]) {
			fail_hex("config word changed at", 4 * i);
			return;
		}
	}
	if (ih_bypass_read() != 1)
		fail("bypass changed");
}

static const struct ih_check checks[] = {
	{ "config_bypass_bits", config_bypass_bits, 0 },
	{ "config_readonly", config_readonly, 0 },
	{ "bypass_storm", bypass_storm, 0 },
	{ "head_reserved", head_reserved, 0 },
	{ "attach_reserved", attach_reserved, 0 },
	{ "detach_reserved", detach_reserved, 0 },
	{ "unmap_reserved", unmap_reserved, 0 },
	{ "probe_reserved", probe_reserved, 0 },
	{ "attach_flags", attach_flags, 0 },
	{ "map_flags", map_flags, 0 },
	{ "map_flags_zero", map_flags_zero, 0 },
	{ "map_mmio", map_mmio, 0 },
	{ "map_inverted", map_inverted, 0 },
	{ "unmap_inverted", unmap_inverted, 0 },
	{ "map_phys_wraps", map_phys_wraps, 0 },
	{ "map_past_input", map_past_input, 0 },
	{ "unmap_past_input", unmap_past_input, 0 },
	{ "map_unaligned", map_unaligned, 0 },
	{ "unmap_splits", unmap_splits, 0 },
	{ "domain_max", domain_max, 0 },
	{ "attach_unknown_ep", attach_unknown_ep, 0 },
	{ "detach_unknown_ep", detach_unknown_ep, 0 },
	{ "probe_unknown_ep", probe_unknown_ep, 0 },
	{ "domain_unknown", domain_unknown, 0 },
	{ "detach_wrong_domain", detach_wrong_domain, 0 },
	{ "detach_twice", detach_twice, 0 },
	{ "attach_moves", attach_moves, 0 },
	{ "map_msi", map_msi, 0 },
	{ "map_hole", map_hole, 0 },
	{ "bypass_domain", bypass_domain, 0 },
	{ "bypass_mismatch", bypass_mismatch, 0 },
};

void param_checks(void)
{
	ih_run(checks, sizeof(checks) / sizeof(checks[0]));
}

/* Without BYPASS_CONFIG, ATTACH_F_BYPASS is as unknown as any flag
 * (5.13.6.3: "When the VIRTIO_IOMMU_F_BYPASS_CONFIG is negotiated, the
 * driver can set..."): INVAL, MUST. */
static void bypass_unnegotiated(void)
{
	struct viommu_req_attach b = attach_req(DOM, EP);
	struct viommu_req_map m = map_req(DOM, IOVA, PAGE, ih_pa);

	b.flags = VIOMMU_ATTACH_F_BYPASS;
	if (ih_reinit(F_ALL & ~VIOMMU_F_BYPASS_CONFIG,
		      "setup without BYPASS_CONFIG"))
		return;
	if (expect(&b, sizeof(b), VIOMMU_S_INVAL))
		return;
	must(&m, sizeof(m), VIOMMU_S_NOENT, "MAP into it after, status");
}

/* 5.13.4.1: the driver "MAY write to bypass" only with BYPASS_CONFIG;
 * without it ignis ignores the write (viommu_write_bypass()). */
static void bypass_write_unnegotiated(void)
{
	uint32_t v;

	if (ih_reinit(F_ALL & ~VIOMMU_F_BYPASS_CONFIG,
		      "setup without BYPASS_CONFIG"))
		return;
	ih_bypass_write(0);
	/* Until the worker takes the write it reads back as written
	 * (devices/iommu/viommu.c); once taken and dropped, 1 again. */
	v = bypass_settled(1);
	if (v != 1)
		fail_hex("bypass word", v);
}

/* MAP and UNMAP are "only available when VIRTIO_IOMMU_F_MAP_UNMAP has
 * been negotiated" (5.13.6.5/6): ignis answers UNSUPP; ATTACH works. */
static void map_unnegotiated(void)
{
	struct viommu_req_attach a = attach_req(DOM, EP);
	struct viommu_req_map m = map_req(DOM, IOVA, PAGE, ih_pa);
	struct viommu_req_unmap u = unmap_req(DOM, IOVA, PAGE);

	if (ih_reinit(F_ALL & ~VIOMMU_F_MAP_UNMAP, "setup without MAP_UNMAP"))
		return;
	if (!expect(&a, sizeof(a), VIOMMU_S_OK) &&
	    !expect(&m, sizeof(m), VIOMMU_S_UNSUPP))
		expect(&u, sizeof(u), VIOMMU_S_UNSUPP);
}

/* Each check re-inits the device with fewer features; the runner's good
 * PROBE then runs on that device, and the next check starts afresh. */
static const struct ih_check feature_list[] = {
	{ "bypass_unnegotiated", bypass_unnegotiated, 0 },
	{ "map_unnegotiated", map_unnegotiated, 0 },
	{ "bypass_write_unnegotiated", bypass_write_unnegotiated, 0 },
};

void feature_checks(void)
{
	ih_run(feature_list, sizeof(feature_list) / sizeof(feature_list[0]));
	/* Every feature again for what follows. */
	if (ih_up(F_ALL, IH_QSIZE))
		rt_puts("iommu_hostile: setup FAILED re-init\n");
}
