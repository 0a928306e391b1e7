// SPDX-License-Identifier: Apache-2.0
/* tests/devices/iommu/test_viommu_core.c: virtio-iommu requests, state, backends. */
#include <criterion/criterion.h>
#include <endian.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "devices/iommu/viommu_core.h"
#include "support/mock_vq.h"
#include "support/recording_backend.h"

/*
 * Endpoints: 0 and 1 are emulated (no backend), 2 and 3 stand for VFIO
 * devices (recording backends); 3 also has a reserved region of its own.
 * Chains point straight at host buffers, as in test_blk_req.c; one test
 * goes through a real queue in guest memory.
 */
#define EP_A	0
#define EP_B	1
#define EP_V1	2
#define EP_V2	3
#define EP_NONE	77

#define PG	0x1000ull
#define MSI_START	0xfee00000ull
#define MSI_LAST	0xfeefffffull
#define V2_RESV_START	0x40000000ull
#define V2_RESV_LAST	0x4000ffffull
#define INPUT_END	((1ull << 48) - 1)
#define DOM_MIN	1
#define DOM_MAX	1000
#define PROBE_SIZE	128
#define LIMIT	64

#define RW	(VIRTIO_IOMMU_MAP_F_READ | VIRTIO_IOMMU_MAP_F_WRITE)
#define RD	VIRTIO_IOMMU_MAP_F_READ
#define WR	VIRTIO_IOMMU_MAP_F_WRITE
#define ALL_FEATURES	0xffull

static struct viommu_core *core;
static struct rec_backend rb1, rb2;
static struct viommu_config cfg;
static struct viommu_endpoint_config eps[4];
static const struct viommu_resv msi = {
	MSI_START, MSI_LAST, VIRTIO_IOMMU_RESV_MEM_T_MSI
};
static const struct viommu_resv v2_resv = {
	V2_RESV_START, V2_RESV_LAST, VIRTIO_IOMMU_RESV_MEM_T_RESERVED
};
static const struct viommu_range ram[] = {
	{ 0, 0xbfffffffull }, { 0x100000000ull, 0x13fffffffull },
};

/* The request's readable bytes, the writable bytes, the chain over them. */
static uint8_t rd[256];
static uint8_t wr[4096];
static struct vq_chain ch;

static void default_config(void)
{
	memset(eps, 0, sizeof(eps));
	eps[0].id = EP_A;
	eps[1].id = EP_B;
	eps[2].id = EP_V1;
	eps[2].backend = &rec_backend_ops;
	eps[2].backend_ctx = &rb1;
	eps[3].id = EP_V2;
	eps[3].backend = &rec_backend_ops;
	eps[3].backend_ctx = &rb2;
	eps[3].resv = &v2_resv;
	eps[3].nr_resv = 1;
	memset(&cfg, 0, sizeof(cfg));
	cfg.page_size_mask = ~0xfffull;
	cfg.input_start = 0;
	cfg.input_end = INPUT_END;
	cfg.domain_start = DOM_MIN;
	cfg.domain_end = DOM_MAX;
	cfg.probe_size = PROBE_SIZE;
	cfg.max_mappings = LIMIT;
	cfg.offer_bypass_config = true;
	cfg.boot_bypass = false;
	cfg.offer_mmio = true;
	cfg.resv = &msi;
	cfg.nr_resv = 1;
	cfg.ram = ram;
	cfg.nr_ram = 2;
	cfg.endpoints = eps;
	cfg.nr_endpoints = 4;
}

static void make_core(void)
{
	viommu_destroy(core);
	core = NULL;
	cr_assert_eq(viommu_create(&cfg, &core), 0);
	viommu_set_features(core, ALL_FEATURES);
}

static void setup(void)
{
	core = NULL;
	rec_init(&rb1);
	rec_init(&rb2);
	default_config();
	make_core();
}

static void teardown(void)
{
	viommu_destroy(core);
	core = NULL;
	/* Whatever happened, destroy left no mapping on a backend. */
	cr_expect_eq(rb1.nr_live, 0);
	cr_expect_eq(rb2.nr_live, 0);
	cr_expect_eq(rb1.violations, 0);
	cr_expect_eq(rb2.violations, 0);
	rec_free(&rb1);
	rec_free(&rb2);
}

TestSuite(viommu, .init = setup, .fini = teardown);

/* ---- building and sending requests ---- */

static void chain_reset(void)
{
	memset(&ch, 0, sizeof(ch));
	memset(wr, 0xee, sizeof(wr));
}

static void add_buf(void *p, uint32_t len, bool w)
{
	ch.bufs[ch.nr++] = (struct vq_buf){ .addr = p, .len = len,
					    .writable = w };
	if (w)
		ch.writable_len += len;
	else
		ch.readable_len += len;
}

/* One readable buffer holding (req), one writable of (wr_len) bytes. */
static uint32_t send(const void *req, size_t rd_len, size_t wr_len)
{
	chain_reset();
	memcpy(rd, req, rd_len);
	if (rd_len)
		add_buf(rd, (uint32_t)rd_len, false);
	if (wr_len)
		add_buf(wr, (uint32_t)wr_len, true);
	return viommu_handle_request(core, &ch);
}

/* Sends a request whose readable part is its struct before the tail and
 * checks the answer's shape: used length 4, reserved bytes zero. */
static uint8_t send_simple(const void *req, size_t rd_len)
{
	cr_assert_eq(send(req, rd_len, 4), 4);
	cr_assert_eq(wr[1] | wr[2] | wr[3], 0, "tail reserved not zero");
	return wr[0];
}

static struct virtio_iommu_req_attach mk_attach(uint32_t dom, uint32_t ep,
						uint32_t flags)
{
	struct virtio_iommu_req_attach r;

	memset(&r, 0, sizeof(r));
	r.head.type = VIRTIO_IOMMU_T_ATTACH;
	r.domain = htole32(dom);
	r.endpoint = htole32(ep);
	r.flags = htole32(flags);
	return r;
}

static uint8_t attach_f(uint32_t dom, uint32_t ep, uint32_t flags)
{
	struct virtio_iommu_req_attach r = mk_attach(dom, ep, flags);

	return send_simple(&r, offsetof(struct virtio_iommu_req_attach, tail));
}

static uint8_t attach(uint32_t dom, uint32_t ep)
{
	return attach_f(dom, ep, 0);
}

static uint8_t detach(uint32_t dom, uint32_t ep)
{
	struct virtio_iommu_req_detach r;

	memset(&r, 0, sizeof(r));
	r.head.type = VIRTIO_IOMMU_T_DETACH;
	r.domain = htole32(dom);
	r.endpoint = htole32(ep);
	return send_simple(&r, offsetof(struct virtio_iommu_req_detach, tail));
}

static struct virtio_iommu_req_map mk_map(uint32_t dom, uint64_t va,
					  uint64_t va_end, uint64_t pa,
					  uint32_t flags)
{
	struct virtio_iommu_req_map r;

	memset(&r, 0, sizeof(r));
	r.head.type = VIRTIO_IOMMU_T_MAP;
	r.domain = htole32(dom);
	r.virt_start = htole64(va);
	r.virt_end = htole64(va_end);
	r.phys_start = htole64(pa);
	r.flags = htole32(flags);
	return r;
}

static uint8_t map(uint32_t dom, uint64_t va, uint64_t va_end, uint64_t pa,
		   uint32_t flags)
{
	struct virtio_iommu_req_map r = mk_map(dom, va, va_end, pa, flags);

	return send_simple(&r, offsetof(struct virtio_iommu_req_map, tail));
}

static struct virtio_iommu_req_unmap mk_unmap(uint32_t dom, uint64_t va,
					      uint64_t va_end)
{
	struct virtio_iommu_req_unmap r;

	memset(&r, 0, sizeof(r));
	r.head.type = VIRTIO_IOMMU_T_UNMAP;
	r.domain = htole32(dom);
	r.virt_start = htole64(va);
	r.virt_end = htole64(va_end);
	return r;
}

static uint8_t unmap(uint32_t dom, uint64_t va, uint64_t va_end)
{
	struct virtio_iommu_req_unmap r = mk_unmap(dom, va, va_end);

	return send_simple(&r, offsetof(struct virtio_iommu_req_unmap, tail));
}

static struct virtio_iommu_req_probe mk_probe(uint32_t ep)
{
	struct virtio_iommu_req_probe r;

	memset(&r, 0, sizeof(r));
	r.head.type = VIRTIO_IOMMU_T_PROBE;
	r.endpoint = htole32(ep);
	return r;
}

/* What viommu_translate() says for one access. */
static enum viommu_xlate_kind xl(uint32_t ep, uint64_t va, uint64_t len,
				 bool write, struct viommu_xlate *out)
{
	return viommu_translate(core, ep, iova(va), len, write, out);
}

/* Whether endpoint (ep) reads (va) at (pa) through a mapping. */
static bool maps_to(uint32_t ep, uint64_t va, uint64_t pa)
{
	struct viommu_xlate x;

	return xl(ep, va, 1, false, &x) == VIOMMU_XLATE_MAPPED && x.gpa.v == pa;
}

static uint8_t fault_reason(uint32_t ep, uint64_t va, bool write)
{
	struct viommu_xlate x;

	cr_assert_eq(xl(ep, va, 1, write, &x), VIOMMU_XLATE_FAULT);
	return x.reason;
}


/* ---- configuration space and features (5.13.3, 5.13.4) ---- */

Test(viommu, config_space_little_endian)
{
	struct virtio_iommu_config c;
	uint8_t raw[40];

	viommu_config_fill(core, &c);
	memcpy(raw, &c, sizeof(raw));
	cr_assert_eq(le64toh(c.page_size_mask), ~0xfffull);
	cr_assert_eq(raw[0], 0x00);
	cr_assert_eq(raw[1], 0xf0);	/* little-endian in the guest */
	cr_assert_eq(le64toh(c.input_start), 0);
	cr_assert_eq(le64toh(c.input_end), INPUT_END);
	cr_assert_eq(le32toh(c.domain_start), DOM_MIN);
	cr_assert_eq(le32toh(c.domain_end), DOM_MAX);
	cr_assert_eq(le32toh(c.probe_size), PROBE_SIZE);
	cr_assert_eq(c.bypass, 0);
	cr_assert_eq(c.reserved[0] | c.reserved[1] | c.reserved[2], 0);
	cr_assert_eq(offsetof(struct virtio_iommu_config, bypass), 36);
}

Test(viommu, features_offered)
{
	uint64_t f = viommu_features(core);

	cr_assert(f & 1ull << VIRTIO_IOMMU_F_INPUT_RANGE);
	cr_assert(f & 1ull << VIRTIO_IOMMU_F_DOMAIN_RANGE);
	cr_assert(f & 1ull << VIRTIO_IOMMU_F_MAP_UNMAP);
	cr_assert(f & 1ull << VIRTIO_IOMMU_F_PROBE);
	cr_assert(f & 1ull << VIRTIO_IOMMU_F_BYPASS_CONFIG);
	cr_assert(f & 1ull << VIRTIO_IOMMU_F_MMIO);
	/* Superseded (5.13.3.2); VERSION_1 is the transport's. */
	cr_assert_not(f & 1ull << VIRTIO_IOMMU_F_BYPASS);
	cr_assert_not(f & 1ull << 32);

	cfg.offer_mmio = false;
	cfg.offer_bypass_config = false;
	make_core();
	f = viommu_features(core);
	cr_assert_not(f & 1ull << VIRTIO_IOMMU_F_MMIO);
	cr_assert_not(f & 1ull << VIRTIO_IOMMU_F_BYPASS_CONFIG);
}

Test(viommu, create_rejects_bad_config)
{
	struct viommu_core *c2 = (void *)1;
	struct viommu_endpoint_config dup[2] = { { .id = 5 }, { .id = 5 } };
	struct viommu_resv bad = { 10, 9, VIRTIO_IOMMU_RESV_MEM_T_MSI };
	struct viommu_resv badtype = { 0, 9, 7 };
	struct dma_backend_ops half = { .map = rec_backend_ops.map };
	struct viommu_config b;

#define EXPECT_EINVAL(stmt)                                             \
	do {                                                            \
		b = cfg;                                                \
		stmt;                                                   \
		cr_expect_eq(viommu_create(&b, &c2), -EINVAL, #stmt);   \
		cr_expect_null(c2);                                     \
	} while (0)

	EXPECT_EINVAL(b.nr_endpoints = 0);
	EXPECT_EINVAL(b.nr_endpoints = VIOMMU_MAX_ENDPOINTS + 1);
	EXPECT_EINVAL((b.endpoints = dup, b.nr_endpoints = 2));
	EXPECT_EINVAL(b.page_size_mask = 0);
	EXPECT_EINVAL((b.input_start = 2, b.input_end = 1));
	EXPECT_EINVAL((b.domain_start = 2, b.domain_end = 1));
	EXPECT_EINVAL(b.max_mappings = 0);
	EXPECT_EINVAL(b.probe_size = VIOMMU_MAX_PROBE_SIZE + 1);
	/* Endpoint 3 has two properties (MSI + its own): 48 bytes. */
	EXPECT_EINVAL(b.probe_size = 47);
	EXPECT_EINVAL((b.offer_bypass_config = false, b.boot_bypass = true));
	EXPECT_EINVAL(b.resv = &bad);
	EXPECT_EINVAL(b.resv = &badtype);
	EXPECT_EINVAL(b.nr_resv = VIOMMU_MAX_RESV + 1);
	EXPECT_EINVAL(b.nr_ram = VIOMMU_MAX_RAM + 1);
	eps[0].backend = &half;
	EXPECT_EINVAL((void)0);
	eps[0].backend = NULL;
	/* PROBE lists: no overlapping regions, at most one MSI window. */
	{
		struct viommu_resv two[2] = { msi, msi };

		two[1].subtype = VIRTIO_IOMMU_RESV_MEM_T_RESERVED;
		EXPECT_EINVAL((b.resv = two, b.nr_resv = 2));
		two[1].start = two[1].last = 0x1000;
		EXPECT_EINVAL((b.resv = two, b.nr_resv = 1,
			       eps[0].resv = two, eps[0].nr_resv = 1));
		two[1].subtype = VIRTIO_IOMMU_RESV_MEM_T_MSI;
		EXPECT_EINVAL((eps[0].resv = &two[1], eps[0].nr_resv = 1));
		eps[0].resv = NULL;
		eps[0].nr_resv = 0;
	}
#undef EXPECT_EINVAL
	b = cfg;
	b.probe_size = 48;
	cr_assert_eq(viommu_create(&b, &c2), 0);
	viommu_destroy(c2);
	viommu_destroy(NULL);
}

/* ---- ATTACH (5.13.6.3) ---- */

Test(viommu, attach_then_map_translates)
{
	struct viommu_xlate x;

	cr_assert_eq(attach(1, EP_A), VIRTIO_IOMMU_S_OK);
	cr_assert_eq(map(1, 0x10000, 0x1ffff, 0x200000, RW), VIRTIO_IOMMU_S_OK);
	cr_assert_eq(xl(EP_A, 0x10010, 16, true, &x), VIOMMU_XLATE_MAPPED);
	cr_assert_eq(x.gpa.v, 0x200010);
	cr_assert_eq(x.len, 16);
	cr_assert_eq(x.map_flags, RW);
	/* Another endpoint, not attached: no bypass configured. */
	cr_assert_eq(fault_reason(EP_B, 0x10010, false),
		     VIRTIO_IOMMU_FAULT_R_DOMAIN);
}

Test(viommu, attach_status_paths)
{
	struct virtio_iommu_req_attach r;

	/* 5.13.6.3.2 MUST: unknown endpoint -> NOENT. */
	cr_assert_eq(attach(1, EP_NONE), VIRTIO_IOMMU_S_NOENT);
	/* Domain outside domain_range -> RANGE, below and above. */
	cr_assert_eq(attach(DOM_MIN - 1, EP_A), VIRTIO_IOMMU_S_RANGE);
	cr_assert_eq(attach(DOM_MAX + 1, EP_A), VIRTIO_IOMMU_S_RANGE);
	cr_assert_eq(attach(UINT32_MAX, EP_A), VIRTIO_IOMMU_S_RANGE);
	/* MUST: an unknown flag -> INVAL. */
	cr_assert_eq(attach_f(1, EP_A, 2), VIRTIO_IOMMU_S_INVAL);
	cr_assert_eq(attach_f(1, EP_A, 0x80000000u), VIRTIO_IOMMU_S_INVAL);
	/* MUST: reserved not zero -> INVAL, each byte. */
	for (int i = 0; i < 4; i++) {
		r = mk_attach(1, EP_A, 0);
		r.reserved[i] = 1;
		cr_assert_eq(send_simple(&r, offsetof(struct
						      virtio_iommu_req_attach,
						      tail)),
			     VIRTIO_IOMMU_S_INVAL);
	}
	/* Nothing above attached anything. */
	cr_assert_eq(fault_reason(EP_A, 0, false), VIRTIO_IOMMU_FAULT_R_DOMAIN);
	cr_assert_eq(map(1, 0, PG - 1, 0, RW), VIRTIO_IOMMU_S_NOENT);
	/* The head's reserved bytes are ignored (5.13.6.2 MUST). */
	r = mk_attach(1, EP_A, 0);
	r.head.reserved[0] = r.head.reserved[2] = 0xff;
	cr_assert_eq(send_simple(&r, offsetof(struct virtio_iommu_req_attach,
					      tail)),
		     VIRTIO_IOMMU_S_OK);
}

Test(viommu, attach_bypass_flag_needs_bypass_config)
{
	viommu_set_features(core, ALL_FEATURES &
			    ~(1ull << VIRTIO_IOMMU_F_BYPASS_CONFIG));
	cr_assert_eq(attach_f(1, EP_A, VIRTIO_IOMMU_ATTACH_F_BYPASS),
		     VIRTIO_IOMMU_S_INVAL);
}

Test(viommu, bypass_domain)
{
	struct viommu_xlate x;

	cr_assert_eq(attach_f(7, EP_A, VIRTIO_IOMMU_ATTACH_F_BYPASS),
		     VIRTIO_IOMMU_S_OK);
	cr_assert_eq(xl(EP_A, 0x123456, 100, true, &x), VIOMMU_XLATE_BYPASS);
	cr_assert_eq(x.gpa.v, 0x123456);
	cr_assert_eq(x.len, 100);
	/* 5.13.6.5.2 / 5.13.6.6.2: MAP and UNMAP on it -> INVAL. */
	cr_assert_eq(map(7, 0, PG - 1, 0, RW), VIRTIO_IOMMU_S_INVAL);
	cr_assert_eq(unmap(7, 0, PG - 1), VIRTIO_IOMMU_S_INVAL);
	/* The flag must match the domain, both ways. */
	cr_assert_eq(attach(7, EP_B), VIRTIO_IOMMU_S_INVAL);
	cr_assert_eq(attach(8, EP_B), VIRTIO_IOMMU_S_OK);
	cr_assert_eq(attach_f(8, EP_A, VIRTIO_IOMMU_ATTACH_F_BYPASS),
		     VIRTIO_IOMMU_S_INVAL);
	cr_assert_eq(attach_f(7, EP_B, VIRTIO_IOMMU_ATTACH_F_BYPASS),
		     VIRTIO_IOMMU_S_OK);
	cr_assert_eq(xl(EP_B, 0x1000, 1, false, &x), VIOMMU_XLATE_BYPASS);
}

Test(viommu, attach_same_domain_keeps_mappings)
{
	cr_assert_eq(attach(1, EP_A), VIRTIO_IOMMU_S_OK);
	cr_assert_eq(map(1, 0x10000, 0x10fff, 0x5000, RW), VIRTIO_IOMMU_S_OK);
	cr_assert_eq(attach(1, EP_A), VIRTIO_IOMMU_S_OK);
	cr_assert(maps_to(EP_A, 0x10000, 0x5000));
}

Test(viommu, move_kills_old_domain_when_last)
{
	cr_assert_eq(attach(1, EP_A), VIRTIO_IOMMU_S_OK);
	cr_assert_eq(map(1, 0x10000, 0x10fff, 0x5000, RW), VIRTIO_IOMMU_S_OK);
	cr_assert_eq(attach(2, EP_A), VIRTIO_IOMMU_S_OK);
	cr_assert_eq(map(2, 0x10000, 0x10fff, 0x9000, RW), VIRTIO_IOMMU_S_OK);
	cr_assert(maps_to(EP_A, 0x10000, 0x9000));
	/* Domain 1 died with its last endpoint, and its mappings too. */
	cr_assert_eq(map(1, 0x20000, 0x20fff, 0, RW), VIRTIO_IOMMU_S_NOENT);
	cr_assert_eq(unmap(1, 0, PG - 1), VIRTIO_IOMMU_S_NOENT);
	/* Its id may be reused: a new, empty domain. */
	cr_assert_eq(attach(1, EP_B), VIRTIO_IOMMU_S_OK);
	cr_assert_eq(fault_reason(EP_B, 0x10000, false),
		     VIRTIO_IOMMU_FAULT_R_MAPPING);
}

Test(viommu, move_keeps_old_domain_with_others)
{
	cr_assert_eq(attach(1, EP_A), VIRTIO_IOMMU_S_OK);
	cr_assert_eq(attach(1, EP_B), VIRTIO_IOMMU_S_OK);
	cr_assert_eq(map(1, 0x10000, 0x10fff, 0x5000, RW), VIRTIO_IOMMU_S_OK);
	cr_assert(maps_to(EP_B, 0x10000, 0x5000));
	cr_assert_eq(attach(2, EP_A), VIRTIO_IOMMU_S_OK);
	cr_assert_eq(fault_reason(EP_A, 0x10000, false),
		     VIRTIO_IOMMU_FAULT_R_MAPPING);
	cr_assert(maps_to(EP_B, 0x10000, 0x5000));
	cr_assert_eq(map(1, 0x20000, 0x20fff, 0, RW), VIRTIO_IOMMU_S_OK);
}

Test(viommu, every_endpoint_alone_then_one_moves)
{
	/* nr_endpoints domains live, then a move needs one more slot. */
	cr_assert_eq(attach(10, EP_A), VIRTIO_IOMMU_S_OK);
	cr_assert_eq(attach(11, EP_B), VIRTIO_IOMMU_S_OK);
	cr_assert_eq(attach(12, EP_V1), VIRTIO_IOMMU_S_OK);
	cr_assert_eq(attach(13, EP_V2), VIRTIO_IOMMU_S_OK);
	cr_assert_eq(attach(14, EP_A), VIRTIO_IOMMU_S_OK);
	cr_assert_eq(attach(15, EP_A), VIRTIO_IOMMU_S_OK);
	cr_assert_eq(map(10, 0, PG - 1, 0, RW), VIRTIO_IOMMU_S_NOENT);
	cr_assert_eq(map(14, 0, PG - 1, 0, RW), VIRTIO_IOMMU_S_NOENT);
	cr_assert_eq(map(15, 0, PG - 1, 0, RW), VIRTIO_IOMMU_S_OK);
}

/* ---- DETACH (5.13.6.4) ---- */

Test(viommu, detach_status_paths)
{
	struct virtio_iommu_req_detach r;

	cr_assert_eq(detach(1, EP_NONE), VIRTIO_IOMMU_S_NOENT);
	cr_assert_eq(detach(1, EP_A), VIRTIO_IOMMU_S_INVAL);	/* unattached */
	cr_assert_eq(attach(1, EP_A), VIRTIO_IOMMU_S_OK);
	cr_assert_eq(detach(2, EP_A), VIRTIO_IOMMU_S_INVAL);	/* elsewhere */
	cr_assert_eq(detach(DOM_MAX + 1, EP_A), VIRTIO_IOMMU_S_RANGE);
	cr_assert_eq(map(1, 0x10000, 0x10fff, 0x5000, RW), VIRTIO_IOMMU_S_OK);
	/* "The device MUST ignore reserved." */
	memset(&r, 0, sizeof(r));
	r.head.type = VIRTIO_IOMMU_T_DETACH;
	r.domain = htole32(1);
	r.endpoint = htole32(EP_A);
	memset(r.reserved, 0xab, sizeof(r.reserved));
	cr_assert_eq(send_simple(&r, offsetof(struct virtio_iommu_req_detach,
					      tail)),
		     VIRTIO_IOMMU_S_OK);
	/* "cannot access any mapping from that domain" */
	cr_assert_eq(fault_reason(EP_A, 0x10000, false),
		     VIRTIO_IOMMU_FAULT_R_DOMAIN);
	/* The domain ceased to exist. */
	cr_assert_eq(map(1, 0x10000, 0x10fff, 0x5000, RW),
		     VIRTIO_IOMMU_S_NOENT);
	cr_assert_eq(detach(1, EP_A), VIRTIO_IOMMU_S_INVAL);
}

/* ---- MAP (5.13.6.5) ---- */

Test(viommu, map_status_paths)
{
	cr_assert_eq(attach(1, EP_A), VIRTIO_IOMMU_S_OK);
	/* MUST: unknown flags -> INVAL. */
	cr_assert_eq(map(1, 0, PG - 1, 0, 8), VIRTIO_IOMMU_S_INVAL);
	cr_assert_eq(map(1, 0, PG - 1, 0, 0x80000000u), VIRTIO_IOMMU_S_INVAL);
	/* Domain: out of range, then absent. */
	cr_assert_eq(map(0, 0, PG - 1, 0, RW), VIRTIO_IOMMU_S_RANGE);
	cr_assert_eq(map(DOM_MAX + 1, 0, PG - 1, 0, RW), VIRTIO_IOMMU_S_RANGE);
	cr_assert_eq(map(2, 0, PG - 1, 0, RW), VIRTIO_IOMMU_S_NOENT);
	/* Inverted range. */
	cr_assert_eq(map(1, 2 * PG, PG - 1, 0, RW), VIRTIO_IOMMU_S_INVAL);
	/* virt_start, phys_start, virt_end + 1 off the 4 KiB granule. */
	cr_assert_eq(map(1, 0x10, PG - 1, 0, RW), VIRTIO_IOMMU_S_RANGE);
	cr_assert_eq(map(1, 0, PG - 1, 0x800, RW), VIRTIO_IOMMU_S_RANGE);
	cr_assert_eq(map(1, 0, PG - 2, 0, RW), VIRTIO_IOMMU_S_RANGE);
	cr_assert_eq(map(1, 0, PG, 0, RW), VIRTIO_IOMMU_S_RANGE);
	cr_assert_eq(map(1, PG, PG, 0, RW), VIRTIO_IOMMU_S_RANGE);
	/* Outside input_range. */
	cr_assert_eq(map(1, INPUT_END + 1, INPUT_END + PG, 0, RW),
		     VIRTIO_IOMMU_S_RANGE);
	cr_assert_eq(map(1, INPUT_END + 1 - PG, INPUT_END + PG, 0, RW),
		     VIRTIO_IOMMU_S_RANGE);
	/* phys_end wraps. */
	cr_assert_eq(map(1, 0, 2 * PG - 1, UINT64_MAX - PG + 1, RW),
		     VIRTIO_IOMMU_S_RANGE);
	/* The last granule of the input range is fine. */
	cr_assert_eq(map(1, INPUT_END + 1 - PG, INPUT_END, 0, RW),
		     VIRTIO_IOMMU_S_OK);
	/* Overlap with an existing mapping -> INVAL (SHOULD). */
	cr_assert_eq(map(1, 0x10000, 0x1ffff, 0, RW), VIRTIO_IOMMU_S_OK);
	cr_assert_eq(map(1, 0x10000, 0x1ffff, 0, RW), VIRTIO_IOMMU_S_INVAL);
	cr_assert_eq(map(1, 0x1f000, 0x20fff, 0, RW), VIRTIO_IOMMU_S_INVAL);
	cr_assert_eq(map(1, 0x0f000, 0x10fff, 0, RW), VIRTIO_IOMMU_S_INVAL);
	cr_assert_eq(map(1, 0x00000, 0xfffff, 0, RW), VIRTIO_IOMMU_S_INVAL);
	/* Neighbours are not overlaps. */
	cr_assert_eq(map(1, 0x0f000, 0x0ffff, 0, RW), VIRTIO_IOMMU_S_OK);
	cr_assert_eq(map(1, 0x20000, 0x20fff, 0, RW), VIRTIO_IOMMU_S_OK);
}

Test(viommu, map_whole_space_refused)
{
	cfg.input_end = UINT64_MAX;
	make_core();
	cr_assert_eq(attach(1, EP_A), VIRTIO_IOMMU_S_OK);
	cr_assert_eq(map(1, 0, UINT64_MAX, 0, RW), VIRTIO_IOMMU_S_RANGE);
	/* The top granule: virt_end + 1 wraps to 0, which is aligned. */
	cr_assert_eq(map(1, UINT64_MAX - PG + 1, UINT64_MAX, 0, RW),
		     VIRTIO_IOMMU_S_OK);
	cr_assert(maps_to(EP_A, UINT64_MAX, PG - 1));
}

Test(viommu, map_over_msi_window_refused)
{
	cr_assert_eq(attach(1, EP_A), VIRTIO_IOMMU_S_OK);
	/* 5.13.6.8.1.2: reject a MAP that overlaps a RESV_MEM region. */
	cr_assert_eq(map(1, MSI_START, MSI_LAST, MSI_START, RW),
		     VIRTIO_IOMMU_S_INVAL);
	cr_assert_eq(map(1, MSI_START - PG, MSI_START + PG - 1, 0, RW),
		     VIRTIO_IOMMU_S_INVAL);
	cr_assert_eq(map(1, MSI_LAST + 1 - PG, MSI_LAST + PG, 0, RW),
		     VIRTIO_IOMMU_S_INVAL);
	cr_assert_eq(map(1, 0, 0xffffffffull, 0, RW), VIRTIO_IOMMU_S_INVAL);
	/* Right beside it is fine. */
	cr_assert_eq(map(1, MSI_START - PG, MSI_START - 1, 0, RW),
		     VIRTIO_IOMMU_S_OK);
	cr_assert_eq(map(1, MSI_LAST + 1, MSI_LAST + PG, 0, RW),
		     VIRTIO_IOMMU_S_OK);
}

Test(viommu, map_mmio_flag_needs_feature)
{
	struct viommu_xlate x;

	cr_assert_eq(attach(1, EP_A), VIRTIO_IOMMU_S_OK);
	viommu_set_features(core, ALL_FEATURES &
			    ~(1ull << VIRTIO_IOMMU_F_MMIO));
	cr_assert_eq(map(1, 0, PG - 1, 0xd0000000,
			 RW | VIRTIO_IOMMU_MAP_F_MMIO),
		     VIRTIO_IOMMU_S_INVAL);
	viommu_set_features(core, ALL_FEATURES);
	cr_assert_eq(map(1, 0, PG - 1, 0xd0000000,
			 RW | VIRTIO_IOMMU_MAP_F_MMIO),
		     VIRTIO_IOMMU_S_OK);
	cr_assert_eq(xl(EP_A, 0, 4, false, &x), VIOMMU_XLATE_MAPPED);
	cr_assert(x.map_flags & VIRTIO_IOMMU_MAP_F_MMIO);
}

Test(viommu, map_unmap_need_map_unmap_feature)
{
	cr_assert_eq(attach(1, EP_A), VIRTIO_IOMMU_S_OK);
	viommu_set_features(core, 1ull << VIRTIO_IOMMU_F_PROBE);
	cr_assert_eq(map(1, 0, PG - 1, 0, RW), VIRTIO_IOMMU_S_UNSUPP);
	cr_assert_eq(unmap(1, 0, PG - 1), VIRTIO_IOMMU_S_UNSUPP);
}

Test(viommu, map_flood_to_limit_then_nomem)
{
	cr_assert_eq(attach(1, EP_A), VIRTIO_IOMMU_S_OK);
	for (uint64_t i = 0; i < LIMIT; i++)
		cr_assert_eq(map(1, i * PG, i * PG + PG - 1, i * PG, RW),
			     VIRTIO_IOMMU_S_OK, "map %lu", (unsigned long)i);
	cr_assert_eq(map(1, LIMIT * PG, LIMIT * PG + PG - 1, 0, RW),
		     VIRTIO_IOMMU_S_NOMEM);
	/* The limit is per domain. */
	cr_assert_eq(attach(2, EP_B), VIRTIO_IOMMU_S_OK);
	cr_assert_eq(map(2, 0, PG - 1, 0, RW), VIRTIO_IOMMU_S_OK);
	/* Room again after an UNMAP. */
	cr_assert_eq(unmap(1, 0, PG - 1), VIRTIO_IOMMU_S_OK);
	cr_assert_eq(map(1, LIMIT * PG, LIMIT * PG + PG - 1, 0, RW),
		     VIRTIO_IOMMU_S_OK);
}

Test(viommu, map_flood_large)
{
	const size_t n = 50000;

	cfg.max_mappings = n;
	make_core();
	cr_assert_eq(attach(1, EP_A), VIRTIO_IOMMU_S_OK);
	for (uint64_t i = 0; i < n; i++) {
		struct virtio_iommu_req_map r = mk_map(1, i * PG, i * PG + PG - 1,
						       (n - i) * PG, RW);

		cr_assert_eq(send(&r, offsetof(struct virtio_iommu_req_map,
					       tail), 4), 4);
		cr_assert_eq(wr[0], VIRTIO_IOMMU_S_OK);
	}
	cr_assert_eq(map(1, n * PG, n * PG + PG - 1, 0, RW),
		     VIRTIO_IOMMU_S_NOMEM);
	cr_assert(maps_to(EP_A, 1234 * PG + 5, (n - 1234) * PG + 5));
	/* One UNMAP over everything clears the domain. */
	cr_assert_eq(unmap(1, 0, INPUT_END), VIRTIO_IOMMU_S_OK);
	cr_assert_eq(fault_reason(EP_A, 1234 * PG, false),
		     VIRTIO_IOMMU_FAULT_R_MAPPING);
	cr_assert_eq(map(1, 0, PG - 1, 0, RW), VIRTIO_IOMMU_S_OK);
}

/* ---- UNMAP (5.13.6.6) ---- */

/* The spec's seven examples, in 4 KiB units: map(0, 4) is pages 0-4. */
#define U(x)	((uint64_t)(x) * PG)
#define MAPU(a, b)	map(1, U(a), U((b) + 1) - 1, U(a), RW)
#define UNMAPU(a, b)	unmap(1, U(a), U((b) + 1) - 1)

static void fresh_domain(void)
{
	cr_assert_eq(attach(1, EP_A), VIRTIO_IOMMU_S_OK);
	cr_assert_eq(unmap(1, 0, INPUT_END), VIRTIO_IOMMU_S_OK);
}

static bool mapped(uint64_t unit)
{
	struct viommu_xlate x;

	return xl(EP_A, U(unit), 1, false, &x) == VIOMMU_XLATE_MAPPED;
}

Test(viommu, unmap_spec_examples)
{
	/* (1) nothing there: succeeds. */
	fresh_domain();
	cr_assert_eq(UNMAPU(0, 4), VIRTIO_IOMMU_S_OK);
	/* (2) exact. */
	fresh_domain();
	cr_assert_eq(MAPU(0, 9), VIRTIO_IOMMU_S_OK);
	cr_assert_eq(UNMAPU(0, 9), VIRTIO_IOMMU_S_OK);
	cr_assert_not(mapped(0));
	/* (3) two at once. */
	fresh_domain();
	cr_assert_eq(MAPU(0, 4), VIRTIO_IOMMU_S_OK);
	cr_assert_eq(MAPU(5, 9), VIRTIO_IOMMU_S_OK);
	cr_assert_eq(UNMAPU(0, 9), VIRTIO_IOMMU_S_OK);
	cr_assert_not(mapped(0));
	cr_assert_not(mapped(5));
	/* (4) would split: RANGE, nothing removed. */
	fresh_domain();
	cr_assert_eq(MAPU(0, 9), VIRTIO_IOMMU_S_OK);
	cr_assert_eq(UNMAPU(0, 4), VIRTIO_IOMMU_S_RANGE);
	cr_assert(mapped(0));
	cr_assert(mapped(9));
	/* (5) one of two. */
	fresh_domain();
	cr_assert_eq(MAPU(0, 4), VIRTIO_IOMMU_S_OK);
	cr_assert_eq(MAPU(5, 9), VIRTIO_IOMMU_S_OK);
	cr_assert_eq(UNMAPU(0, 4), VIRTIO_IOMMU_S_OK);
	cr_assert_not(mapped(0));
	cr_assert(mapped(5));
	/* (6) spilling over unmapped space. */
	fresh_domain();
	cr_assert_eq(MAPU(0, 4), VIRTIO_IOMMU_S_OK);
	cr_assert_eq(UNMAPU(0, 9), VIRTIO_IOMMU_S_OK);
	cr_assert_not(mapped(0));
	/* (7) with a hole between. */
	fresh_domain();
	cr_assert_eq(MAPU(0, 4), VIRTIO_IOMMU_S_OK);
	cr_assert_eq(MAPU(10, 14), VIRTIO_IOMMU_S_OK);
	cr_assert_eq(UNMAPU(0, 14), VIRTIO_IOMMU_S_OK);
	cr_assert_not(mapped(0));
	cr_assert_not(mapped(10));
	/* Splitting at the far end: RANGE, the first one stays too. */
	fresh_domain();
	cr_assert_eq(MAPU(0, 4), VIRTIO_IOMMU_S_OK);
	cr_assert_eq(MAPU(5, 9), VIRTIO_IOMMU_S_OK);
	cr_assert_eq(UNMAPU(0, 7), VIRTIO_IOMMU_S_RANGE);
	cr_assert(mapped(0));
	cr_assert(mapped(5));
}

Test(viommu, unmap_status_paths)
{
	struct virtio_iommu_req_unmap r;

	cr_assert_eq(attach(1, EP_A), VIRTIO_IOMMU_S_OK);
	cr_assert_eq(map(1, 0, PG - 1, 0, RW), VIRTIO_IOMMU_S_OK);
	cr_assert_eq(unmap(DOM_MAX + 1, 0, PG - 1), VIRTIO_IOMMU_S_RANGE);
	cr_assert_eq(unmap(2, 0, PG - 1), VIRTIO_IOMMU_S_NOENT);
	cr_assert_eq(unmap(1, PG, 0), VIRTIO_IOMMU_S_INVAL);
	cr_assert_eq(unmap(1, 0, UINT64_MAX), VIRTIO_IOMMU_S_RANGE);
	/* Reserved not zero: INVAL, and (our choice) nothing removed. */
	r = mk_unmap(1, 0, PG - 1);
	r.reserved[3] = 1;
	cr_assert_eq(send_simple(&r, offsetof(struct virtio_iommu_req_unmap,
					      tail)),
		     VIRTIO_IOMMU_S_INVAL);
	cr_assert(maps_to(EP_A, 0, 0));
	/* UNMAP need not be aligned: it spills over nothing. */
	cr_assert_eq(unmap(1, 0, PG + 5), VIRTIO_IOMMU_S_OK);
	cr_assert_eq(fault_reason(EP_A, 0, false),
		     VIRTIO_IOMMU_FAULT_R_MAPPING);
}

/* ---- PROBE (5.13.6.7, 5.13.6.8) ---- */

#define PROBE_RD	sizeof(struct virtio_iommu_req_probe)
#define PROBE_WR	(PROBE_SIZE + 4)

static const uint8_t prop_msi[24] = {
	0x01, 0x00, 0x14, 0x00,	/* type RESV_MEM, length 20 */
	0x01, 0x00, 0x00, 0x00,	/* subtype MSI, reserved */
	0x00, 0x00, 0xe0, 0xfe, 0x00, 0x00, 0x00, 0x00,	/* start */
	0xff, 0xff, 0xef, 0xfe, 0x00, 0x00, 0x00, 0x00,	/* end */
};
static const uint8_t prop_v2[24] = {
	0x01, 0x00, 0x14, 0x00,
	0x00, 0x00, 0x00, 0x00,	/* subtype RESERVED */
	0x00, 0x00, 0x00, 0x40, 0x00, 0x00, 0x00, 0x00,
	0xff, 0xff, 0x00, 0x40, 0x00, 0x00, 0x00, 0x00,
};

static bool zero_bytes(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (p[i])
			return false;
	}
	return true;
}

Test(viommu, probe_output_byte_for_byte)
{
	struct virtio_iommu_req_probe r = mk_probe(EP_V2);

	cr_assert_eq(send(&r, PROBE_RD, PROBE_WR), PROBE_WR);
	cr_assert_arr_eq(wr, prop_msi, 24);
	cr_assert_arr_eq(wr + 24, prop_v2, 24);
	/* Zeros to probe_size: the first four are the NONE property. */
	cr_assert(zero_bytes(wr + 48, PROBE_SIZE - 48));
	cr_assert(zero_bytes(wr + PROBE_SIZE, 4));	/* tail: OK */
}

Test(viommu, probe_endpoint_without_own_regions)
{
	struct virtio_iommu_req_probe r = mk_probe(EP_A);

	cr_assert_eq(send(&r, PROBE_RD, PROBE_WR), PROBE_WR);
	cr_assert_arr_eq(wr, prop_msi, 24);
	cr_assert(zero_bytes(wr + 24, PROBE_SIZE - 24 + 4));
}

Test(viommu, probe_status_paths)
{
	struct virtio_iommu_req_probe r = mk_probe(EP_NONE);

	/* Unknown endpoint: NOENT, no property. */
	cr_assert_eq(send(&r, PROBE_RD, PROBE_WR), PROBE_WR);
	cr_assert(zero_bytes(wr, PROBE_SIZE));
	cr_assert_eq(wr[PROBE_SIZE], VIRTIO_IOMMU_S_NOENT);

	/* Reserved bytes are ignored (MUST). */
	r = mk_probe(EP_A);
	memset(r.reserved, 0x5a, sizeof(r.reserved));
	cr_assert_eq(send(&r, PROBE_RD, PROBE_WR), PROBE_WR);
	cr_assert_eq(wr[PROBE_SIZE], VIRTIO_IOMMU_S_OK);
	cr_assert_arr_eq(wr, prop_msi, 24);

	/* Readable part short of the 72 bytes: IOERR, no property. */
	r = mk_probe(EP_A);
	cr_assert_eq(send(&r, 8, PROBE_WR), PROBE_WR);
	cr_assert(zero_bytes(wr, PROBE_SIZE));
	cr_assert_eq(wr[PROBE_SIZE], VIRTIO_IOMMU_S_IOERR);
}

Test(viommu, probe_buffer_smaller_than_probe_size)
{
	struct virtio_iommu_req_probe r = mk_probe(EP_A);

	/* "SHOULD NOT write any property ... INVAL": the tail ends the
	 * writable part, zeros before it. */
	cr_assert_eq(send(&r, PROBE_RD, 64), 64);
	cr_assert(zero_bytes(wr, 60));
	cr_assert_eq(wr[60], VIRTIO_IOMMU_S_INVAL);
	cr_assert(zero_bytes(wr + 61, 3));
	cr_assert_eq(wr[64], 0xee);
	/* Just the tail. */
	cr_assert_eq(send(&r, PROBE_RD, 4), 4);
	cr_assert_eq(wr[0], VIRTIO_IOMMU_S_INVAL);
	/* One byte short. */
	cr_assert_eq(send(&r, PROBE_RD, PROBE_WR - 1), PROBE_WR - 1);
	cr_assert_eq(wr[PROBE_WR - 5], VIRTIO_IOMMU_S_INVAL);
}

Test(viommu, probe_buffer_larger_than_needed)
{
	struct virtio_iommu_req_probe r = mk_probe(EP_V2);

	cr_assert_eq(send(&r, PROBE_RD, PROBE_WR + 100), PROBE_WR);
	cr_assert_arr_eq(wr + 24, prop_v2, 24);
	cr_assert_eq(wr[PROBE_SIZE], VIRTIO_IOMMU_S_OK);
	for (size_t i = PROBE_WR; i < PROBE_WR + 100; i++)
		cr_assert_eq(wr[i], 0xee, "byte %zu written", i);
}

Test(viommu, probe_spread_over_buffers)
{
	struct virtio_iommu_req_probe r = mk_probe(EP_V2);
	static const uint32_t wr_split[] = { 1, 22, 3, 40, 7, 55, 2, 2 };
	uint32_t used, off = 0;

	chain_reset();
	memcpy(rd, &r, sizeof(r));
	add_buf(rd, 1, false);
	add_buf(rd + 1, 6, false);
	add_buf(rd + 7, PROBE_RD - 7, false);
	for (size_t i = 0; i < sizeof(wr_split) / sizeof(wr_split[0]); i++) {
		add_buf(wr + off + 8 * i, wr_split[i], true); /* gaps of 8 */
		off += wr_split[i];
	}
	cr_assert_eq(off, PROBE_WR);
	used = viommu_handle_request(core, &ch);
	cr_assert_eq(used, PROBE_WR);
	/* Reassemble what the guest sees, buffer by buffer. */
	{
		uint8_t seen[PROBE_WR];
		uint32_t at = 0;

		off = 0;
		for (size_t i = 0; i < sizeof(wr_split) / sizeof(wr_split[0]);
		     i++) {
			memcpy(seen + at, wr + off + 8 * i, wr_split[i]);
			at += wr_split[i];
			off += wr_split[i];
			cr_assert_eq(wr[off + 8 * i], 0xee);	/* gap */
		}
		cr_assert_arr_eq(seen, prop_msi, 24);
		cr_assert_arr_eq(seen + 24, prop_v2, 24);
		cr_assert(zero_bytes(seen + 48, PROBE_WR - 48));
	}
}

/* ---- malformed chains (5.13.6, 5.13.6.2) ---- */

Test(viommu, nowhere_to_write_gets_used_len_0)
{
	struct virtio_iommu_req_attach r = mk_attach(1, EP_A, 0);
	size_t n = offsetof(struct virtio_iommu_req_attach, tail);

	/* No buffer at all. */
	chain_reset();
	cr_assert_eq(viommu_handle_request(core, &ch), 0);
	/* No writable bytes, or fewer than the tail's 4. */
	cr_assert_eq(send(&r, n, 0), 0);
	cr_assert_eq(send(&r, n, 3), 0);
	cr_assert_eq(wr[0], 0xee);
	/* Two writable bytes in two buffers: still not 4. */
	chain_reset();
	memcpy(rd, &r, n);
	add_buf(rd, (uint32_t)n, false);
	add_buf(wr, 1, true);
	add_buf(wr + 1, 1, true);
	cr_assert_eq(viommu_handle_request(core, &ch), 0);
	cr_assert_eq(wr[0], 0xee);
	/* None of it was executed. */
	cr_assert_eq(fault_reason(EP_A, 0, false), VIRTIO_IOMMU_FAULT_R_DOMAIN);
}

Test(viommu, readable_after_writable_gets_used_len_0)
{
	struct virtio_iommu_req_attach r = mk_attach(1, EP_A, 0);

	chain_reset();
	memcpy(rd, &r, sizeof(r));
	add_buf(rd, 8, false);
	add_buf(wr, 4, true);
	add_buf(rd + 8, 12, false);
	cr_assert_eq(viommu_handle_request(core, &ch), 0);
	cr_assert_eq(wr[0], 0xee);
	cr_assert_eq(fault_reason(EP_A, 0, false), VIRTIO_IOMMU_FAULT_R_DOMAIN);
}

Test(viommu, unknown_type_gets_used_len_0)
{
	static const uint8_t types[] = { 0, 6, 7, 0x80, 0xff };
	struct viommu_stats st;

	for (size_t i = 0; i < sizeof(types); i++) {
		struct virtio_iommu_req_attach r = mk_attach(1, EP_A, 0);

		r.head.type = types[i];
		cr_assert_eq(send(&r, sizeof(r) - 4, 4), 0, "type %u",
			     types[i]);
		cr_assert_eq(wr[0], 0xee);
	}
	viommu_get_stats(core, &st);
	cr_assert_eq(st.unanswered, sizeof(types));
	cr_assert_eq(st.requests, sizeof(types));
}

Test(viommu, short_readable_part_is_ioerr)
{
	struct virtio_iommu_req_map m = mk_map(1, 0, PG - 1, 0, RW);
	size_t n = offsetof(struct virtio_iommu_req_map, tail);

	cr_assert_eq(attach(1, EP_A), VIRTIO_IOMMU_S_OK);
	/* No head at all: status IOERR at the start of the writable part. */
	cr_assert_eq(send(&m, 0, 4), 4);
	cr_assert_eq(wr[0], VIRTIO_IOMMU_S_IOERR);
	cr_assert_eq(send(&m, 3, 4), 4);
	cr_assert_eq(wr[0], VIRTIO_IOMMU_S_IOERR);
	/* A head, but a body one byte short, for every type. */
	cr_assert_eq(send(&m, n - 1, 4), 4);
	cr_assert_eq(wr[0], VIRTIO_IOMMU_S_IOERR);
	{
		struct virtio_iommu_req_attach a = mk_attach(2, EP_B, 0);
		struct virtio_iommu_req_detach d;
		struct virtio_iommu_req_unmap u = mk_unmap(1, 0, PG - 1);

		memset(&d, 0, sizeof(d));
		d.head.type = VIRTIO_IOMMU_T_DETACH;
		cr_assert_eq(send(&a, sizeof(a) - 5, 4), 4);
		cr_assert_eq(wr[0], VIRTIO_IOMMU_S_IOERR);
		cr_assert_eq(send(&d, sizeof(d) - 5, 4), 4);
		cr_assert_eq(wr[0], VIRTIO_IOMMU_S_IOERR);
		cr_assert_eq(send(&u, sizeof(u) - 5, 4), 4);
		cr_assert_eq(wr[0], VIRTIO_IOMMU_S_IOERR);
	}
	/* Nothing was done. */
	cr_assert_eq(fault_reason(EP_A, 0, false),
		     VIRTIO_IOMMU_FAULT_R_MAPPING);
	cr_assert_eq(fault_reason(EP_B, 0, false),
		     VIRTIO_IOMMU_FAULT_R_DOMAIN);
}

Test(viommu, request_spread_over_one_byte_buffers)
{
	struct virtio_iommu_req_map m = mk_map(1, 0x7000, 0x7fff, 0x3000, RD);
	size_t n = offsetof(struct virtio_iommu_req_map, tail);

	cr_assert_eq(attach(1, EP_A), VIRTIO_IOMMU_S_OK);
	chain_reset();
	memcpy(rd, &m, n);
	for (size_t i = 0; i < n; i++)
		add_buf(rd + i, 1, false);
	/* The tail across four writable buffers, with gaps. */
	for (size_t i = 0; i < 4; i++)
		add_buf(wr + 2 * i, 1, true);
	wr[0] = wr[2] = wr[4] = wr[6] = 0xee;
	cr_assert_eq(viommu_handle_request(core, &ch), 4);
	cr_assert_eq(wr[0], VIRTIO_IOMMU_S_OK);
	cr_assert_eq(wr[2] | wr[4] | wr[6], 0);
	cr_assert_eq(wr[1], 0xee);
	cr_assert(maps_to(EP_A, 0x7abc, 0x3abc));
}

Test(viommu, extra_bytes_are_ignored)
{
	struct virtio_iommu_req_attach r = mk_attach(1, EP_A, 0);
	uint8_t big[64];

	/* Readable bytes past the struct: ignored (room for future fields). */
	memset(big, 0x77, sizeof(big));
	memcpy(big, &r, offsetof(struct virtio_iommu_req_attach, tail));
	cr_assert_eq(send(big, sizeof(big), 4), 4);
	cr_assert_eq(wr[0], VIRTIO_IOMMU_S_OK);
	/* Writable bytes past the tail: not written, not counted. */
	cr_assert_eq(send(&r, offsetof(struct virtio_iommu_req_attach, tail),
			  64), 4);
	cr_assert_eq(wr[0], VIRTIO_IOMMU_S_OK);
	cr_assert_eq(wr[4], 0xee);
	cr_assert_eq(wr[63], 0xee);
}

Test(viommu, oversized_chain_gets_used_len_0)
{
	chain_reset();
	ch.nr = VQ_MAX_CHAIN + 1;	/* a corrupt chain struct */
	cr_assert_eq(viommu_handle_request(core, &ch), 0);
}

/* ---- endpoints' own reserved regions ---- */

Test(viommu, endpoint_reserved_region)
{
	/* A domain without EP_V2 may map there... */
	cr_assert_eq(attach(1, EP_A), VIRTIO_IOMMU_S_OK);
	cr_assert_eq(map(1, V2_RESV_START, V2_RESV_START + PG - 1, 0, RW),
		     VIRTIO_IOMMU_S_OK);
	/* ...and then EP_V2 cannot join it (5.13.6.3.2: UNSUPP). */
	cr_assert_eq(attach(1, EP_V2), VIRTIO_IOMMU_S_UNSUPP);
	cr_assert_eq(rb2.calls, 0);
	cr_assert_eq(fault_reason(EP_V2, 0, false),
		     VIRTIO_IOMMU_FAULT_R_DOMAIN);
	/* A domain with EP_V2 refuses maps over its region. */
	cr_assert_eq(attach(2, EP_V2), VIRTIO_IOMMU_S_OK);
	cr_assert_eq(attach(2, EP_B), VIRTIO_IOMMU_S_OK);
	cr_assert_eq(map(2, V2_RESV_LAST + 1 - PG, V2_RESV_LAST + PG, 0, RW),
		     VIRTIO_IOMMU_S_INVAL);
	cr_assert_eq(map(2, V2_RESV_LAST + 1, V2_RESV_LAST + PG, 0, RW),
		     VIRTIO_IOMMU_S_OK);
}

/* ---- DMA backends: replay, fan-out, rollback ---- */

static void three_mappings_in_domain_1(void)
{
	cr_assert_eq(attach(1, EP_A), VIRTIO_IOMMU_S_OK);
	cr_assert_eq(map(1, 0x10000, 0x10fff, 0x100000, RW),
		     VIRTIO_IOMMU_S_OK);
	cr_assert_eq(map(1, 0x20000, 0x21fff, 0x200000, RD),
		     VIRTIO_IOMMU_S_OK);
	cr_assert_eq(map(1, 0x30000, 0x30fff, 0x300000, WR),
		     VIRTIO_IOMMU_S_OK);
}

static void expect_live(const struct rec_backend *r, uint64_t va,
			uint64_t size, uint64_t pa, uint32_t flags)
{
	const struct rec_map *m = rec_find(r, va);

	cr_assert_not_null(m, "%#lx not mapped", (unsigned long)va);
	cr_assert_eq(m->size, size);
	cr_assert_eq(m->gpa, pa);
	cr_assert_eq(m->flags, flags);
}

Test(viommu, attach_replays_and_requests_fan_out)
{
	three_mappings_in_domain_1();
	cr_assert_eq(rb1.calls, 0);
	cr_assert_eq(attach(1, EP_V1), VIRTIO_IOMMU_S_OK);
	cr_assert_eq(rb1.nr_live, 3);
	expect_live(&rb1, 0x10000, PG, 0x100000, DMA_BACKEND_F_READ |
						    DMA_BACKEND_F_WRITE);
	expect_live(&rb1, 0x20000, 2 * PG, 0x200000, DMA_BACKEND_F_READ);
	expect_live(&rb1, 0x30000, PG, 0x300000, DMA_BACKEND_F_WRITE);
	/* Replayed in IOVA order. */
	cr_assert_eq(rb1.log[0].iova, 0x10000);
	cr_assert_eq(rb1.log[2].iova, 0x30000);

	cr_assert_eq(map(1, 0x40000, 0x40fff, 0x400000, RW), VIRTIO_IOMMU_S_OK);
	cr_assert_eq(rb1.nr_live, 4);
	cr_assert_eq(attach(1, EP_V2), VIRTIO_IOMMU_S_OK);
	cr_assert_eq(rb2.nr_live, 4);
	cr_assert_eq(map(1, 0x50000, 0x50fff, 0x500000, RW), VIRTIO_IOMMU_S_OK);
	cr_assert_eq(rb1.nr_live, 5);
	cr_assert_eq(rb2.nr_live, 5);
	/* One UNMAP removing two mappings: two calls per backend. */
	rec_clear_log(&rb1);
	cr_assert_eq(unmap(1, 0x10000, 0x21fff), VIRTIO_IOMMU_S_OK);
	cr_assert_eq(rb1.nr_log, 2);
	cr_assert_eq(rb1.nr_live, 3);
	cr_assert_eq(rb2.nr_live, 3);
	cr_assert_null(rec_find(&rb2, 0x20000));
	/* A split UNMAP touches no backend. */
	rec_clear_log(&rb1);
	cr_assert_eq(map(1, 0x60000, 0x61fff, 0x600000, RW), VIRTIO_IOMMU_S_OK);
	rec_clear_log(&rb1);
	cr_assert_eq(unmap(1, 0x60000, 0x60fff), VIRTIO_IOMMU_S_RANGE);
	cr_assert_eq(rb1.nr_log, 0);
	/* DETACH empties the backend; the others keep theirs. */
	cr_assert_eq(detach(1, EP_V1), VIRTIO_IOMMU_S_OK);
	cr_assert_eq(rb1.nr_live, 0);
	cr_assert_eq(rb2.nr_live, 4);
	/* A MAP now reaches only the endpoint still there. */
	rec_clear_log(&rb1);
	cr_assert_eq(map(1, 0x70000, 0x70fff, 0, RW), VIRTIO_IOMMU_S_OK);
	cr_assert_eq(rb1.nr_log, 0);
	cr_assert_eq(rb2.nr_live, 5);
	cr_assert_eq(detach(1, EP_V2), VIRTIO_IOMMU_S_OK);
	cr_assert_eq(rb2.nr_live, 0);
}

Test(viommu, map_rolls_back_when_second_endpoint_fails)
{
	cr_assert_eq(attach(1, EP_V1), VIRTIO_IOMMU_S_OK);
	cr_assert_eq(attach(1, EP_V2), VIRTIO_IOMMU_S_OK);
	rec_fail(&rb2, rb2.calls + 1, 1, -EIO);
	cr_assert_eq(map(1, 0x10000, 0x10fff, 0x5000, RW),
		     VIRTIO_IOMMU_S_DEVERR);
	/* The first endpoint got it and lost it again. */
	cr_assert_eq(rb1.nr_log, 2);
	cr_assert(rb1.log[0].map);
	cr_assert_not(rb1.log[1].map);
	cr_assert_eq(rb1.log[1].iova, 0x10000);
	cr_assert_eq(rb1.nr_live, 0);
	cr_assert_eq(rb2.nr_live, 0);
	/* The store is as before: no mapping, and the range is free. */
	cr_assert_eq(fault_reason(EP_V1, 0x10000, false),
		     VIRTIO_IOMMU_FAULT_R_MAPPING);
	cr_assert_eq(map(1, 0x10000, 0x10fff, 0x5000, RW), VIRTIO_IOMMU_S_OK);
	cr_assert_eq(rb1.nr_live, 1);
	cr_assert_eq(rb2.nr_live, 1);
	cr_assert_not(viommu_is_broken(core));
}

Test(viommu, backend_errno_to_status)
{
	cr_assert_eq(attach(1, EP_V1), VIRTIO_IOMMU_S_OK);
	rec_fail(&rb1, rb1.calls + 1, 1, -EFAULT);
	cr_assert_eq(map(1, 0, PG - 1, 0, RW), VIRTIO_IOMMU_S_FAULT);
	rec_fail(&rb1, rb1.calls + 1, 1, -ENOMEM);
	cr_assert_eq(map(1, 0, PG - 1, 0, RW), VIRTIO_IOMMU_S_NOMEM);
	rec_fail(&rb1, rb1.calls + 1, 1, -ENOSPC);
	cr_assert_eq(map(1, 0, PG - 1, 0, RW), VIRTIO_IOMMU_S_NOMEM);
	rec_fail(&rb1, rb1.calls + 1, 1, -EBUSY);
	cr_assert_eq(map(1, 0, PG - 1, 0, RW), VIRTIO_IOMMU_S_DEVERR);
	cr_assert_eq(map(1, 0, PG - 1, 0, RW), VIRTIO_IOMMU_S_OK);
}

Test(viommu, unmap_rolls_back_on_backend_failure)
{
	cr_assert_eq(attach(1, EP_V1), VIRTIO_IOMMU_S_OK);
	cr_assert_eq(attach(1, EP_V2), VIRTIO_IOMMU_S_OK);
	cr_assert_eq(map(1, 0x10000, 0x10fff, 0x1000, RW), VIRTIO_IOMMU_S_OK);
	cr_assert_eq(map(1, 0x20000, 0x20fff, 0x2000, RD), VIRTIO_IOMMU_S_OK);
	/* EP_V1 unmaps both, EP_V2 the first, then fails. */
	rec_fail(&rb2, rb2.calls + 2, 1, -EIO);
	cr_assert_eq(unmap(1, 0, 0xfffff), VIRTIO_IOMMU_S_DEVERR);
	/* Everything is back: backends and store. */
	cr_assert_eq(rb1.nr_live, 2);
	cr_assert_eq(rb2.nr_live, 2);
	expect_live(&rb1, 0x20000, PG, 0x2000, DMA_BACKEND_F_READ);
	expect_live(&rb2, 0x10000, PG, 0x1000,
		    DMA_BACKEND_F_READ | DMA_BACKEND_F_WRITE);
	cr_assert(maps_to(EP_V1, 0x10000, 0x1000));
	cr_assert(maps_to(EP_V2, 0x20000, 0x2000));
	cr_assert_eq(map(1, 0x10000, 0x10fff, 0, RW), VIRTIO_IOMMU_S_INVAL);
	/* And a second try goes through. */
	cr_assert_eq(unmap(1, 0, 0xfffff), VIRTIO_IOMMU_S_OK);
	cr_assert_eq(rb1.nr_live, 0);
	cr_assert_eq(rb2.nr_live, 0);
	cr_assert_not(viommu_is_broken(core));
}

Test(viommu, attach_replay_failure_changes_nothing)
{
	three_mappings_in_domain_1();
	rec_fail(&rb1, 2, 1, -EIO);	/* the second replayed map */
	cr_assert_eq(attach(1, EP_V1), VIRTIO_IOMMU_S_DEVERR);
	cr_assert_eq(rb1.nr_live, 0);
	cr_assert_eq(fault_reason(EP_V1, 0x10000, false),
		     VIRTIO_IOMMU_FAULT_R_DOMAIN);
	cr_assert(maps_to(EP_A, 0x10000, 0x100000));
	cr_assert_eq(attach(1, EP_V1), VIRTIO_IOMMU_S_OK);
	cr_assert_eq(rb1.nr_live, 3);
}

Test(viommu, failed_move_stays_in_old_domain)
{
	cr_assert_eq(attach(1, EP_V1), VIRTIO_IOMMU_S_OK);
	cr_assert_eq(map(1, 0x10000, 0x10fff, 0x1000, RW), VIRTIO_IOMMU_S_OK);
	cr_assert_eq(map(1, 0x20000, 0x20fff, 0x2000, RW), VIRTIO_IOMMU_S_OK);
	cr_assert_eq(attach(2, EP_A), VIRTIO_IOMMU_S_OK);
	cr_assert_eq(map(2, 0x50000, 0x50fff, 0x5000, RW), VIRTIO_IOMMU_S_OK);
	/* Two unmaps of domain 1 go through, domain 2's map fails. */
	rec_fail(&rb1, rb1.calls + 3, 1, -EIO);
	cr_assert_eq(attach(2, EP_V1), VIRTIO_IOMMU_S_DEVERR);
	cr_assert_eq(rb1.nr_live, 2);
	expect_live(&rb1, 0x10000, PG, 0x1000,
		    DMA_BACKEND_F_READ | DMA_BACKEND_F_WRITE);
	cr_assert(maps_to(EP_V1, 0x20000, 0x2000));
	cr_assert_eq(fault_reason(EP_V1, 0x50000, false),
		     VIRTIO_IOMMU_FAULT_R_MAPPING);
	/* Domain 1 still lives (EP_V1 is in it); the move works later. */
	cr_assert_eq(map(1, 0x30000, 0x30fff, 0, RW), VIRTIO_IOMMU_S_OK);
	cr_assert_eq(attach(2, EP_V1), VIRTIO_IOMMU_S_OK);
	cr_assert_eq(rb1.nr_live, 1);
	expect_live(&rb1, 0x50000, PG, 0x5000,
		    DMA_BACKEND_F_READ | DMA_BACKEND_F_WRITE);
	cr_assert_eq(map(1, 0x30000, 0x30fff, 0, RW), VIRTIO_IOMMU_S_NOENT);
}

Test(viommu, detach_failure_keeps_endpoint_attached)
{
	cr_assert_eq(attach(1, EP_V1), VIRTIO_IOMMU_S_OK);
	cr_assert_eq(map(1, 0x10000, 0x10fff, 0x1000, RW), VIRTIO_IOMMU_S_OK);
	cr_assert_eq(map(1, 0x20000, 0x20fff, 0x2000, RW), VIRTIO_IOMMU_S_OK);
	rec_fail(&rb1, rb1.calls + 2, 1, -EIO);
	cr_assert_eq(detach(1, EP_V1), VIRTIO_IOMMU_S_DEVERR);
	cr_assert_eq(rb1.nr_live, 2);
	cr_assert(maps_to(EP_V1, 0x10000, 0x1000));
	cr_assert_eq(detach(1, EP_V1), VIRTIO_IOMMU_S_OK);
	cr_assert_eq(rb1.nr_live, 0);
}

Test(viommu, failed_rollback_marks_broken)
{
	cr_assert_eq(attach(1, EP_V1), VIRTIO_IOMMU_S_OK);
	cr_assert_eq(attach(1, EP_V2), VIRTIO_IOMMU_S_OK);
	/* EP_V2's map fails, then EP_V1's unmap in the rollback too. */
	rec_fail(&rb2, rb2.calls + 1, 1, -EIO);
	rec_fail(&rb1, rb1.calls + 2, 1, -EIO);
	cr_assert_eq(map(1, 0x10000, 0x10fff, 0, RW), VIRTIO_IOMMU_S_DEVERR);
	cr_assert(viommu_is_broken(core));
	/* Sticky: the backend holds a mapping nobody knows of. */
	cr_assert_eq(viommu_reset(core), 0);
	cr_assert(viommu_is_broken(core));
	cr_assert_eq(rb1.nr_live, 1);
	rb1.nr_live = 0;	/* what the device layer's recovery would do */
}

/* ---- bypass: boot, config field, reset (5.13.4, 5.13.5, 5.13.6) ---- */

static uint8_t config_bypass(void)
{
	struct virtio_iommu_config c;

	viommu_config_fill(core, &c);
	return c.bypass;
}

Test(viommu, boot_bypass_maps_ram_on_backends)
{
	struct viommu_xlate x;

	cfg.boot_bypass = true;
	make_core();
	cr_assert_eq(config_bypass(), 1);
	/* Unattached endpoints bypass, before any driver. */
	cr_assert_eq(xl(EP_A, 0x12345, 8, true, &x), VIOMMU_XLATE_BYPASS);
	cr_assert_eq(x.gpa.v, 0x12345);
	/* VFIO endpoints see guest RAM, identity-mapped. */
	cr_assert_eq(rb1.nr_live, 2);
	expect_live(&rb1, 0, 0xc0000000ull, 0,
		    DMA_BACKEND_F_READ | DMA_BACKEND_F_WRITE);
	expect_live(&rb2, 0x100000000ull, 0x40000000ull, 0x100000000ull,
		    DMA_BACKEND_F_READ | DMA_BACKEND_F_WRITE);
	/* Attaching trades RAM for the domain's mappings... */
	cr_assert_eq(attach(1, EP_V1), VIRTIO_IOMMU_S_OK);
	cr_assert_eq(rb1.nr_live, 0);
	cr_assert_eq(fault_reason(EP_V1, 0x1000, false),
		     VIRTIO_IOMMU_FAULT_R_MAPPING);
	/* ...and detaching gives RAM back: bypass is still 1. */
	cr_assert_eq(detach(1, EP_V1), VIRTIO_IOMMU_S_OK);
	cr_assert_eq(rb1.nr_live, 2);
	cr_assert_eq(xl(EP_V1, 0x1000, 1, false, &x), VIOMMU_XLATE_BYPASS);
}

Test(viommu, driver_writes_bypass)
{
	cfg.boot_bypass = true;
	make_core();
	/* Without BYPASS_CONFIG negotiated the write is ignored. */
	viommu_set_features(core, 1ull << VIRTIO_IOMMU_F_MAP_UNMAP);
	cr_assert_eq(viommu_write_bypass(core, 0), 0);
	cr_assert_eq(config_bypass(), 1);
	viommu_set_features(core, ALL_FEATURES);
	cr_assert_eq(viommu_write_bypass(core, 0), 0);
	cr_assert_eq(config_bypass(), 0);
	cr_assert_eq(rb1.nr_live, 0);
	cr_assert_eq(rb2.nr_live, 0);
	cr_assert_eq(fault_reason(EP_A, 0x1000, false),
		     VIRTIO_IOMMU_FAULT_R_DOMAIN);
	/* Only bit 0 counts: the field never reads other than 0 or 1. */
	cr_assert_eq(viommu_write_bypass(core, 2), 0);
	cr_assert_eq(config_bypass(), 0);
	cr_assert_eq(viommu_write_bypass(core, 0xff), 0);
	cr_assert_eq(config_bypass(), 1);
	cr_assert_eq(rb1.nr_live, 2);
	/* Attached endpoints are not affected. */
	cr_assert_eq(attach(1, EP_V1), VIRTIO_IOMMU_S_OK);
	cr_assert_eq(viommu_write_bypass(core, 0), 0);
	cr_assert_eq(rb2.nr_live, 0);
	cr_assert_eq(viommu_write_bypass(core, 1), 0);
	cr_assert_eq(rb1.nr_live, 0);
	cr_assert_eq(rb2.nr_live, 2);
}

Test(viommu, bypass_write_failure_changes_nothing)
{
	cfg.boot_bypass = true;
	make_core();
	/* EP_V1 lets go of RAM, EP_V2 fails on its second range. */
	rec_fail(&rb2, rb2.calls + 2, 1, -EIO);
	cr_assert_eq(viommu_write_bypass(core, 0), -EIO);
	cr_assert_eq(config_bypass(), 1);
	cr_assert_eq(rb1.nr_live, 2);
	cr_assert_eq(rb2.nr_live, 2);
	cr_assert_not(viommu_is_broken(core));
}

Test(viommu, bypass_field_needs_the_feature_offered)
{
	struct viommu_xlate x;

	cfg.offer_bypass_config = false;
	make_core();
	cr_assert_eq(config_bypass(), 0);
	cr_assert_eq(xl(EP_A, 0, 1, false, &x), VIOMMU_XLATE_FAULT);
	cr_assert_eq(x.reason, VIRTIO_IOMMU_FAULT_R_DOMAIN);
}

Test(viommu, create_failure_leaves_backends_empty)
{
	struct viommu_core *c2 = NULL;

	cfg.boot_bypass = true;
	viommu_destroy(core);
	core = NULL;
	/* EP_V2's identity map of the second RAM range fails. */
	rec_fail(&rb2, 2, 1, -EIO);
	cr_assert_eq(viommu_create(&cfg, &c2), -EIO);
	cr_assert_null(c2);
	cr_assert_eq(rb1.nr_live, 0);
	cr_assert_eq(rb2.nr_live, 0);
	make_core();
}

Test(viommu, new_domain_dropped_when_attach_fails)
{
	cfg.boot_bypass = true;
	make_core();
	rec_fail(&rb1, rb1.calls + 1, 1, -EIO);	/* unmapping RAM */
	cr_assert_eq(attach(5, EP_V1), VIRTIO_IOMMU_S_DEVERR);
	cr_assert_eq(map(5, 0, PG - 1, 0, RW), VIRTIO_IOMMU_S_NOENT);
	cr_assert_eq(rb1.nr_live, 2);
}

Test(viommu, reset_detaches_everything_keeps_bypass)
{
	cfg.boot_bypass = true;
	make_core();
	cr_assert_eq(viommu_write_bypass(core, 0), 0);
	cr_assert_eq(attach(1, EP_A), VIRTIO_IOMMU_S_OK);
	cr_assert_eq(attach(2, EP_V1), VIRTIO_IOMMU_S_OK);
	cr_assert_eq(map(2, 0x10000, 0x10fff, 0x1000, RW), VIRTIO_IOMMU_S_OK);
	cr_assert_eq(rb1.nr_live, 1);
	cr_assert_eq(viommu_reset(core), 0);
	/* 5.13.4.2: bypass "SHOULD NOT change on device reset". */
	cr_assert_eq(config_bypass(), 0);
	cr_assert_eq(rb1.nr_live, 0);
	cr_assert_eq(fault_reason(EP_A, 0x10000, false),
		     VIRTIO_IOMMU_FAULT_R_DOMAIN);
	/* Features are renegotiated; then the domains are gone. */
	cr_assert_eq(map(2, 0, PG - 1, 0, RW), VIRTIO_IOMMU_S_UNSUPP);
	viommu_set_features(core, ALL_FEATURES);
	cr_assert_eq(map(2, 0, PG - 1, 0, RW), VIRTIO_IOMMU_S_NOENT);
	cr_assert_eq(map(1, 0, PG - 1, 0, RW), VIRTIO_IOMMU_S_NOENT);
}

/* ---- translation ---- */

Test(viommu, translate_faults_say_why)
{
	struct viommu_xlate x;

	cr_assert_eq(xl(EP_NONE, 0x1000, 4, false, &x), VIOMMU_XLATE_FAULT);
	cr_assert_eq(x.reason, VIRTIO_IOMMU_FAULT_R_UNKNOWN);
	cr_assert_eq(x.fault_flags,
		     VIRTIO_IOMMU_FAULT_F_READ | VIRTIO_IOMMU_FAULT_F_ADDRESS);
	cr_assert_eq(xl(EP_A, 0x1000, 4, true, &x), VIOMMU_XLATE_FAULT);
	cr_assert_eq(x.reason, VIRTIO_IOMMU_FAULT_R_DOMAIN);
	cr_assert_eq(x.fault_flags,
		     VIRTIO_IOMMU_FAULT_F_WRITE | VIRTIO_IOMMU_FAULT_F_ADDRESS);

	cr_assert_eq(attach(1, EP_A), VIRTIO_IOMMU_S_OK);
	cr_assert_eq(map(1, 0x10000, 0x10fff, 0x1000, RD), VIRTIO_IOMMU_S_OK);
	cr_assert_eq(map(1, 0x20000, 0x20fff, 0x2000, WR), VIRTIO_IOMMU_S_OK);
	/* Read-only: reads pass, writes fault (5.13.6.5.2 MUST). */
	cr_assert_eq(xl(EP_A, 0x10008, 8, false, &x), VIOMMU_XLATE_MAPPED);
	cr_assert_eq(x.gpa.v, 0x1008);
	cr_assert_eq(xl(EP_A, 0x10008, 8, true, &x), VIOMMU_XLATE_FAULT);
	cr_assert_eq(x.reason, VIRTIO_IOMMU_FAULT_R_MAPPING);
	cr_assert_eq(x.fault_flags,
		     VIRTIO_IOMMU_FAULT_F_WRITE | VIRTIO_IOMMU_FAULT_F_ADDRESS);
	/* Write-only: the other way round. */
	cr_assert_eq(xl(EP_A, 0x20000, 8, true, &x), VIOMMU_XLATE_MAPPED);
	cr_assert_eq(xl(EP_A, 0x20000, 8, false, &x), VIOMMU_XLATE_FAULT);
	cr_assert_eq(x.fault_flags,
		     VIRTIO_IOMMU_FAULT_F_READ | VIRTIO_IOMMU_FAULT_F_ADDRESS);
	/* A hole. */
	cr_assert_eq(fault_reason(EP_A, 0x11000, false),
		     VIRTIO_IOMMU_FAULT_R_MAPPING);
	/* A DMA that wraps the address space. */
	cr_assert_eq(xl(EP_A, UINT64_MAX - 1, 4, false, &x),
		     VIOMMU_XLATE_FAULT);
	cr_assert_eq(x.reason, VIRTIO_IOMMU_FAULT_R_MAPPING);
}

Test(viommu, translate_across_mappings)
{
	struct viommu_xlate x;

	cr_assert_eq(attach(1, EP_A), VIRTIO_IOMMU_S_OK);
	cr_assert_eq(map(1, 0x20000, 0x20fff, 0x100000, RW), VIRTIO_IOMMU_S_OK);
	cr_assert_eq(map(1, 0x21000, 0x21fff, 0x500000, RW), VIRTIO_IOMMU_S_OK);
	cr_assert_eq(xl(EP_A, 0x20ff0, 0x20, false, &x), VIOMMU_XLATE_MAPPED);
	cr_assert_eq(x.gpa.v, 0x100ff0);
	cr_assert_eq(x.len, 0x10);
	cr_assert_eq(xl(EP_A, 0x20ff0 + x.len, 0x10, false, &x),
		     VIOMMU_XLATE_MAPPED);
	cr_assert_eq(x.gpa.v, 0x500000);
	cr_assert_eq(x.len, 0x10);
	/* Length 0 counts as one byte. */
	cr_assert_eq(xl(EP_A, 0x21fff, 0, false, &x), VIOMMU_XLATE_MAPPED);
	cr_assert_eq(x.len, 1);
	/* Past the last mapping: the second call faults. */
	cr_assert_eq(xl(EP_A, 0x21ff8, 0x10, false, &x), VIOMMU_XLATE_MAPPED);
	cr_assert_eq(x.len, 8);
	cr_assert_eq(fault_reason(EP_A, 0x22000, false),
		     VIRTIO_IOMMU_FAULT_R_MAPPING);
}

Test(viommu, translate_msi_window)
{
	struct viommu_xlate x;

	cr_assert_eq(attach(1, EP_A), VIRTIO_IOMMU_S_OK);
	cr_assert_eq(xl(EP_A, MSI_START + 0x40, 4, true, &x), VIOMMU_XLATE_MSI);
	cr_assert_eq(x.gpa.v, MSI_START + 0x40);
	cr_assert_eq(x.len, 4);
	cr_assert_eq(xl(EP_A, MSI_LAST - 1, 8, true, &x), VIOMMU_XLATE_MSI);
	cr_assert_eq(x.len, 2);
	/* EP_V2's own RESERVED region is no doorbell: a plain fault. */
	cr_assert_eq(attach(1, EP_V2), VIRTIO_IOMMU_S_OK);
	cr_assert_eq(fault_reason(EP_V2, V2_RESV_START, false),
		     VIRTIO_IOMMU_FAULT_R_MAPPING);
}

/* ---- a real queue in guest memory ---- */

Test(viommu, through_a_virtqueue)
{
	static struct vq_chain c;
	struct virtio_iommu_req_attach a = mk_attach(3, EP_B, 0);
	struct virtio_iommu_req_map m = mk_map(3, 0x9000, 0x9fff, 0x4000, RW);
	struct mock_buf bufs[3] = {
		{ 0x20000, 20, 0 },
		{ 0x21000, 4, VQ_DESC_F_WRITE },
	};
	struct mock_vq mq;
	struct gmem mem;
	struct vq q;
	uint32_t id, len;
	uint8_t st[4];

	mock_gmem_create(&mem, 1 << 20);
	mock_vq_init(&mq, &mem, 16, gpa(0x10000));
	cr_assert_eq(gmem_write(&mem, gpa(0x20000), &a, 20), 0);
	mock_vq_add_chain(&mq, 0, bufs, 2);
	/* MAP: head and fields in two descriptors. */
	cr_assert_eq(gmem_write(&mem, gpa(0x22000), &m, 36), 0);
	bufs[0] = (struct mock_buf){ 0x22000, 10, 0 };
	bufs[1] = (struct mock_buf){ 0x22000 + 10, 26, 0 };
	bufs[2] = (struct mock_buf){ 0x23000, 4, VQ_DESC_F_WRITE };
	mock_vq_add_chain(&mq, 2, bufs, 3);
	cr_assert_eq(vq_init(&q, &mem, 16, mq.desc, mq.avail, mq.used, false,
			     false), 0);
	for (int i = 0; i < 2; i++) {
		cr_assert_eq(vq_pop(&q, &mem, &c), 1);
		len = viommu_handle_request(core, &c);
		cr_assert_eq(len, 4);
		cr_assert_eq(vq_push(&q, &mem, c.head, len), 0);
	}
	cr_assert_eq(mock_vq_used_idx(&mq), 2);
	mock_vq_used_elem(&mq, 1, &id, &len);
	cr_assert_eq(id, 2);
	cr_assert_eq(len, 4);
	cr_assert_eq(gmem_read(&mem, st, gpa(0x21000), 4), 0);
	cr_assert_eq(st[0], VIRTIO_IOMMU_S_OK);
	cr_assert_eq(gmem_read(&mem, st, gpa(0x23000), 4), 0);
	cr_assert_eq(st[0], VIRTIO_IOMMU_S_OK);
	cr_assert(maps_to(EP_B, 0x9abc, 0x4abc));
	gmem_destroy(&mem);
}

Test(viommu, stats_count_requests_and_errors)
{
	struct viommu_stats st;

	cr_assert_eq(attach(1, EP_A), VIRTIO_IOMMU_S_OK);
	cr_assert_eq(attach(1, EP_NONE), VIRTIO_IOMMU_S_NOENT);
	cr_assert_eq(map(1, 1, PG, 0, RW), VIRTIO_IOMMU_S_RANGE);
	cr_assert_eq(send(&st, 0, 0), 0);
	viommu_get_stats(core, &st);
	cr_assert_eq(st.requests, 4);
	cr_assert_eq(st.errors, 2);
	cr_assert_eq(st.unanswered, 1);
	cr_assert_eq(st.backend_errors, 0);
}
