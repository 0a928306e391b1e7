// SPDX-License-Identifier: Apache-2.0
/* tests/fuzz/fuzz_viommu.c: request streams into the virtio-iommu core. */
#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "devices/iommu/viommu_core.h"
#include "fuzz.h"
#include "fuzz_input.h"
#include "support/recording_backend.h"
#include "viommu_check.h"
#include "vmm/log.h"

/*
 * One core with four endpoints, as tests/devices/iommu/test_viommu_core.c
 * has them: 0 and 1 emulated, 2 and 3 behind recording DMA backends
 * (tests/support/recording_backend.c, VFIO's stand-in), 3 with a reserved
 * region of its own; the x86 MSI window reserved for all. The input picks
 * the configuration (bypass offered or on at boot, MMIO, a 1-byte or 4 KiB
 * granule, narrow input and domain ranges, the mapping limit), the
 * features the driver accepted, then a stream of requests (ATTACH, DETACH,
 * MAP, UNMAP, PROBE or unknown types; truncated, padded, split across
 * buffers, out of order), bypass writes, resets, backend failures to come
 * and translations.
 *
 * Invariants, after each operation:
 *  - the core's own (viommu_check.c): mapping stores pass ms_check(),
 *    domains and endpoints agree, each backend holds exactly what its
 *    endpoint may reach (unless a rollback failed: broken, sticky);
 *  - the answer is where 5.13.6 puts it: used length 0 when there is no
 *    tail (fewer than 4 writable bytes, readable after writable) or the
 *    type is unknown (5.13.6.2), else 4 (PROBE: probe_size + 4, or the
 *    writable size when it is smaller), a known status, reserved bytes 0,
 *    nothing written past the used length, nothing read-only written;
 *  - the spec's MUSTs on statuses (ATTACH with reserved bytes or unknown
 *    flags: INVAL; an unknown endpoint: NOENT; MAP with unknown flags:
 *    INVAL; MAP/UNMAP without MAP_UNMAP: UNSUPP), and what an OK means
 *    (attached there, detached, mapped as asked and aligned, nothing left
 *    in the range); a request answered otherwise changed nothing;
 *  - PROBE lists the reserved regions of 5.13.6.8.1, then zeros;
 *  - translations agree with the mappings, permissions included.
 */

#define EP_NONE 77
#define NR_EPS 4
#define PROBE_SIZE 128
#define MAX_OPS 256
#define MAX_PIECES 8
#define MAX_REQUESTS 1024 /* per input, batches included */
_Static_assert(1 + 4 * 255 <= VC_MAX_MAPS, "max_mappings from a byte");

static const uint32_t ep_ids[] = { 0, 1, 2, 3, EP_NONE };
static const struct viommu_resv msi = {
	0xfee00000ull,
	0xfeefffffull,
	VIRTIO_IOMMU_RESV_MEM_T_MSI,
};
static const struct viommu_resv ep3_resv = {
	0x40000000ull,
	0x4000ffffull,
	VIRTIO_IOMMU_RESV_MEM_T_RESERVED,
};
static const struct viommu_range ram[] = {
	{ 0, 0xbfffffffull },
	{ 0x100000000ull, 0x13fffffffull },
};
static const int fail_errs[] = { -EIO, -EFAULT, -ENOMEM, -ENOSPC };

/* Request control bits. */
#define R_RESERVED 0x01 /* non-zero reserved bytes */
#define R_SHORT 0x02 /* readable part cut short */
#define R_PAD 0x04 /* readable bytes past the struct */
#define R_WR_SIZE 0x08 /* writable size from the input */
#define R_DISORDER 0x10 /* a readable buffer after a writable one */
#define R_RAW_ADDR 0x20 /* 64-bit addresses from the input */

struct harness {
	struct viommu_core *c;
	struct rec_backend rb[2];
	struct rec_backend *by_ep[NR_EPS];
	struct vq_chain ch;
	size_t src_off[MAX_PIECES]; /* bufs[i] was bytes src_off[i] on
					 * of h.rd or h.wr */
	uint8_t rd[160], wr[PROBE_SIZE + 64], out[PROBE_SIZE + 64];
	struct vc_snap before, after;
	unsigned int requests; /* sent by batches */
	bool dirty; /* the state may have changed */
};

static struct harness h;

/* ---- a request ---- */

struct req {
	uint8_t ctl, type, flags;
	uint32_t domain, endpoint;
	uint64_t vs, ve, ps;
	size_t rd_len, wr_len; /* what the chain carries */
	size_t struct_len; /* the type's readable fields */
	bool disorder; /* a readable buffer came last */
};

static void put32(uint8_t *p, uint32_t v)
{
	v = htole32(v);
	memcpy(p, &v, 4);
}

static void put64(uint8_t *p, uint64_t v)
{
	v = htole64(v);
	memcpy(p, &v, 8);
}

/* The request's readable bytes, as 5.13.6.3-7 lay them out. */
static void encode(struct req *r)
{
	uint8_t rsv = r->ctl & R_RESERVED ? 0xa5 : 0;

	memset(h.rd, 0, sizeof(h.rd));
	h.rd[0] = r->type;
	h.rd[1] = h.rd[2] = h.rd[3] = 0x5a; /* "MUST ignore" */
	switch (r->type) {
	case VIRTIO_IOMMU_T_ATTACH:
		put32(h.rd + 4, r->domain);
		put32(h.rd + 8, r->endpoint);
		put32(h.rd + 12, r->flags);
		memset(h.rd + 16, rsv, 4);
		r->struct_len = 20;
		break;
	case VIRTIO_IOMMU_T_DETACH:
		put32(h.rd + 4, r->domain);
		put32(h.rd + 8, r->endpoint);
		memset(h.rd + 12, rsv, 8);
		r->struct_len = 20;
		break;
	case VIRTIO_IOMMU_T_MAP:
		put32(h.rd + 4, r->domain);
		put64(h.rd + 8, r->vs);
		put64(h.rd + 16, r->ve);
		put64(h.rd + 24, r->ps);
		put32(h.rd + 32, r->flags);
		r->struct_len = 36;
		break;
	case VIRTIO_IOMMU_T_UNMAP:
		put32(h.rd + 4, r->domain);
		put64(h.rd + 8, r->vs);
		put64(h.rd + 16, r->ve);
		memset(h.rd + 24, rsv, 4);
		r->struct_len = 28;
		break;
	case VIRTIO_IOMMU_T_PROBE:
		put32(h.rd + 4, r->endpoint);
		memset(h.rd + 8, rsv, 64);
		r->struct_len = 72;
		break;
	default:
		r->struct_len = 4;
		break;
	}
}

/* Cuts (len) bytes of (src) into the chain at up to two points, each
 * piece its own allocation: ASan sees a byte read past its end. */
static void add_pieces(const uint8_t *src, size_t len, bool writable,
		       uint8_t c1, uint8_t c2)
{
	size_t cut[4] = { 0, c1 % (len + 1), c2 % (len + 1), len };

	if (cut[1] > cut[2]) {
		size_t t = cut[1];

		cut[1] = cut[2];
		cut[2] = t;
	}
	for (unsigned int i = 0; i < 3; i++) {
		size_t n = cut[i + 1] - cut[i];
		uint8_t *p;

		if (!n)
			continue; /* a vq_buf is never empty */
		p = malloc(n);
		FUZZ_CHECK(p, "out of memory");
		memcpy(p, src + cut[i], n);
		h.src_off[h.ch.nr] = cut[i];
		h.ch.bufs[h.ch.nr++] =
			(struct vq_buf){ p, (uint32_t)n, writable };
		*(writable ? &h.ch.writable_len : &h.ch.readable_len) += n;
	}
}

/* The chain of request (r), cut at (c); the R_* extras from (in). */
static void build(struct fz *in, struct req *r, const uint8_t *c)
{
	encode(r);
	r->rd_len = r->struct_len;
	if (r->ctl & R_SHORT)
		r->rd_len -= 1 + fz_u8(in) % r->rd_len;
	if (r->ctl & R_PAD)
		r->rd_len += fz_u8(in) % 16;
	r->wr_len = r->type == VIRTIO_IOMMU_T_PROBE ? PROBE_SIZE + 4 : 4;
	if (r->ctl & R_WR_SIZE)
		r->wr_len = fz_u8(in) % (PROBE_SIZE + 12);
	memset(h.wr, 0xee, sizeof(h.wr));
	memset(&h.ch, 0, offsetof(struct vq_chain, bufs));
	add_pieces(h.rd, r->rd_len, false, c[0], c[1]);
	add_pieces(h.wr, r->wr_len, true, c[2], c[3]);
	r->disorder = false;
	if ((r->ctl & R_DISORDER) && h.ch.nr > 1 && !h.ch.bufs[0].writable &&
	    h.ch.bufs[h.ch.nr - 1].writable) {
		/* The first readable piece goes last. */
		struct vq_buf b = h.ch.bufs[0];
		size_t off = h.src_off[0];

		memmove(h.ch.bufs, h.ch.bufs + 1,
			(h.ch.nr - 1) * sizeof(h.ch.bufs[0]));
		memmove(h.src_off, h.src_off + 1,
			(h.ch.nr - 1) * sizeof(h.src_off[0]));
		h.ch.bufs[h.ch.nr - 1] = b;
		h.src_off[h.ch.nr - 1] = off;
		r->disorder = true;
	}
}

/* The readable pieces are as built; the writable bytes go to h.out. */
static void collect(void)
{
	for (unsigned int i = 0; i < h.ch.nr; i++) {
		const struct vq_buf *b = &h.ch.bufs[i];

		if (b->writable)
			memcpy(h.out + h.src_off[i], b->addr, b->len);
		else
			FUZZ_CHECK(
				!memcmp(b->addr, h.rd + h.src_off[i], b->len),
				"the device wrote into a readable buffer");
		free(b->addr);
	}
}

/* 5.13.6: where the tail goes, hence the used length. */
static uint32_t expected_used(const struct req *r)
{
	bool known = r->type >= VIRTIO_IOMMU_T_ATTACH &&
		     r->type <= VIRTIO_IOMMU_T_PROBE;

	if (r->disorder || r->wr_len < 4)
		return 0; /* no tail to find */
	if (r->rd_len < 4)
		return 4; /* no head: IOERR */
	if (!known)
		return 0; /* 5.13.6.2: "SHOULD NOT write the buffer" */
	if (r->type == VIRTIO_IOMMU_T_PROBE)
		return r->wr_len < PROBE_SIZE + 4 ? (uint32_t)r->wr_len :
						    PROBE_SIZE + 4;
	return 4;
}

static const struct viommu_ep *ep_of(uint32_t id)
{
	return viommu_ep_find(h.c, id);
}

/* 5.13.6.8.1: one RESV_MEM property per region, then zeros. */
static void check_probe(const struct req *r)
{
	const struct viommu_resv *want[2] = { &msi, &ep3_resv };
	unsigned int n = r->endpoint == 3 ? 2 : 1;
	const uint8_t *p = h.out;

	for (unsigned int i = 0; i < n; i++, p += 24) {
		uint64_t start, end;

		memcpy(&start, p + 8, 8);
		memcpy(&end, p + 16, 8);
		FUZZ_CHECK(p[0] == VIRTIO_IOMMU_PROBE_T_RESV_MEM && !p[1] &&
				   p[2] == 20 && !p[3] &&
				   p[4] == want[i]->subtype && !p[5] && !p[6] &&
				   !p[7] && le64toh(start) == want[i]->start &&
				   le64toh(end) == want[i]->last,
			   "PROBE property %u of endpoint %u", i, r->endpoint);
	}
	for (; p < h.out + PROBE_SIZE; p++)
		FUZZ_CHECK(!*p, "PROBE: non-zero byte after the properties");
}

static int outside(void *ctx, const struct ms_mapping *m)
{
	const uint64_t *range = ctx;

	FUZZ_CHECK(m->last < range[0] || m->iova > range[1],
		   "UNMAP OK left %#llx-%#llx", (unsigned long long)m->iova,
		   (unsigned long long)m->last);
	return 0;
}

/* What the spec says an answer must be, and what an OK must mean. */
static void check_status(const struct req *r, uint8_t st, bool light)
{
	const struct viommu_ep *ep = ep_of(r->endpoint);
	bool full = r->rd_len >= r->struct_len;
	bool map_unmap = viommu_negotiated(h.c, VIRTIO_IOMMU_F_MAP_UNMAP);
	uint32_t known;

	FUZZ_CHECK(st <= VIRTIO_IOMMU_S_NOMEM, "status %u", st);
	if (!full) {
		/* Two faults in one PROBE (too little room, too few
		 * fields): either answer. */
		FUZZ_CHECK(st == VIRTIO_IOMMU_S_IOERR ||
				   (r->type == VIRTIO_IOMMU_T_PROBE &&
				    r->wr_len < PROBE_SIZE + 4 &&
				    st == VIRTIO_IOMMU_S_INVAL),
			   "type %u with %zu of %zu bytes: status %u", r->type,
			   r->rd_len, r->struct_len, st);
		return;
	}
	switch (r->type) {
	case VIRTIO_IOMMU_T_ATTACH:
		known = viommu_negotiated(h.c, VIRTIO_IOMMU_F_BYPASS_CONFIG) ?
				VIRTIO_IOMMU_ATTACH_F_BYPASS :
				0;
		/* 5.13.6.3.2: reserved, then flags, then the endpoint. */
		if (r->ctl & R_RESERVED)
			FUZZ_CHECK(st == VIRTIO_IOMMU_S_INVAL,
				   "ATTACH reserved");
		else if (r->flags & ~known)
			FUZZ_CHECK(st == VIRTIO_IOMMU_S_INVAL, "ATTACH flags");
		else if (!ep)
			FUZZ_CHECK(st == VIRTIO_IOMMU_S_NOENT, "ATTACH ep");
		if (st == VIRTIO_IOMMU_S_OK)
			FUZZ_CHECK(ep && ep->domain &&
					   ep->domain->id == r->domain,
				   "ATTACH OK, endpoint %u not there",
				   r->endpoint);
		break;
	case VIRTIO_IOMMU_T_DETACH:
		if (!ep)
			FUZZ_CHECK(st == VIRTIO_IOMMU_S_NOENT, "DETACH ep");
		if (st == VIRTIO_IOMMU_S_OK)
			FUZZ_CHECK(!ep->domain, "DETACH OK, still attached");
		break;
	case VIRTIO_IOMMU_T_MAP:
		known = VIRTIO_IOMMU_MAP_F_READ | VIRTIO_IOMMU_MAP_F_WRITE;
		if (viommu_negotiated(h.c, VIRTIO_IOMMU_F_MMIO))
			known |= VIRTIO_IOMMU_MAP_F_MMIO;
		if (!map_unmap)
			FUZZ_CHECK(st == VIRTIO_IOMMU_S_UNSUPP, "MAP unsupp");
		else if (r->flags & ~known)
			FUZZ_CHECK(st == VIRTIO_IOMMU_S_INVAL, "MAP flags");
		if (st == VIRTIO_IOMMU_S_OK) {
			const struct viommu_domain *d =
				viommu_dom_find(h.c, r->domain);
			const struct ms_mapping *m =
				d ? ms_lookup(&d->maps, r->vs) : NULL;

			FUZZ_CHECK(m && m->iova == r->vs && m->last == r->ve &&
					   m->gpa == r->ps &&
					   m->flags == r->flags,
				   "MAP OK, mapping not there as asked");
			FUZZ_CHECK(!((r->vs | r->ps | (r->ve + 1)) &
				     (h.c->granule - 1)) &&
					   r->vs >= h.c->input_start &&
					   r->ve <= h.c->input_end,
				   "MAP OK out of granule or input range");
		}
		break;
	case VIRTIO_IOMMU_T_UNMAP:
		/* 5.13.6.6.2: non-zero reserved "MAY" be INVAL (viommu_req.c
		 * chooses so, and to remove nothing); unranked against the
		 * feature check. */
		if (!map_unmap)
			FUZZ_CHECK(st == VIRTIO_IOMMU_S_UNSUPP ||
					   ((r->ctl & R_RESERVED) &&
					    st == VIRTIO_IOMMU_S_INVAL),
				   "UNMAP unsupp");
		else if (r->ctl & R_RESERVED)
			FUZZ_CHECK(st == VIRTIO_IOMMU_S_INVAL,
				   "UNMAP reserved");
		if (st == VIRTIO_IOMMU_S_OK) {
			const struct viommu_domain *d =
				viommu_dom_find(h.c, r->domain);
			uint64_t range[2] = { r->vs, r->ve };

			/* 5.13.6.6: all inside the range gone; a mapping
			 * partly inside would have been RANGE. A batch
			 * looks at both ends only. */
			if (d && !light)
				ms_for_each(&d->maps, outside, range);
			FUZZ_CHECK(!d || (!ms_lookup(&d->maps, r->vs) &&
					  !ms_lookup(&d->maps, r->ve)),
				   "UNMAP OK left a mapping at an end");
		}
		break;
	case VIRTIO_IOMMU_T_PROBE:
		if (r->wr_len < PROBE_SIZE + 4)
			FUZZ_CHECK(st == VIRTIO_IOMMU_S_INVAL, "PROBE room");
		else if (!ep)
			FUZZ_CHECK(st == VIRTIO_IOMMU_S_NOENT, "PROBE ep");
		else
			check_probe(r);
		break;
	}
}

/* Sends request (r) in a chain cut at (cuts), and checks the answer;
 * (light): cheaper snapshots, for batches. */
static void send(struct fz *in, struct req *r, const uint8_t *cuts, bool light)
{
	const struct ms_mapping *at = NULL;
	struct ms_mapping was = { 0 };
	uint32_t used, want;
	uint8_t st;

	build(in, r, cuts);
	vc_snapshot(h.c, &h.before, light);
	if (light) {
		/* What lies at the request's start, before. */
		const struct viommu_domain *d = viommu_dom_find(h.c, r->domain);

		at = d ? ms_lookup(&d->maps, r->vs) : NULL;
		if (at)
			was = *at;
	}
	used = viommu_handle_request(h.c, &h.ch);
	vc_snapshot(h.c, &h.after, light);
	if (light) {
		const struct viommu_domain *d = viommu_dom_find(h.c, r->domain);
		const struct ms_mapping *now =
			d ? ms_lookup(&d->maps, r->vs) : NULL;

		/* With the counts, what a light snapshot misses: the
		 * mapping at the start is the same when nothing changed. */
		if (vc_same(&h.before, &h.after))
			FUZZ_CHECK(!at == !now &&
					   (!now || (was.iova == now->iova &&
						     was.last == now->last &&
						     was.gpa == now->gpa &&
						     was.flags == now->flags)),
				   "mapping at %#llx changed, counts did not",
				   (unsigned long long)r->vs);
	}
	memcpy(h.out, h.wr, sizeof(h.out));
	collect();
	want = expected_used(r);
	FUZZ_TRACE("request %u (ctl %#x) dom %u ep %u %#llx-%#llx: used %u, "
		   "status %u",
		   r->type, r->ctl, r->domain, r->endpoint,
		   (unsigned long long)r->vs, (unsigned long long)r->ve, used,
		   used >= 4 ? h.out[used - 4] : 255);
	FUZZ_CHECK(used == want, "type %u: used length %u, want %u", r->type,
		   used, want);
	for (size_t i = used; i < r->wr_len; i++)
		FUZZ_CHECK(h.out[i] == 0xee,
			   "writable byte %zu (past %u) "
			   "written",
			   i, used);
	if (!used) {
		FUZZ_CHECK(vc_same(&h.before, &h.after),
			   "an unanswered request changed the state");
		return;
	}
	h.dirty |= !vc_same(&h.before, &h.after);
	st = h.out[used - 4];
	/* 5.13.6.2: the tail's reserved bytes "SHOULD" be zero: ours are. */
	FUZZ_CHECK(!h.out[used - 3] && !h.out[used - 2] && !h.out[used - 1],
		   "tail reserved bytes");
	if (r->rd_len >= 4)
		check_status(r, st, light);
	/* Whole or nothing: a refusal changes nothing (viommu_view.c). */
	if (st != VIRTIO_IOMMU_S_OK && !viommu_is_broken(h.c))
		FUZZ_CHECK(vc_same(&h.before, &h.after),
			   "type %u refused (%u) but the state changed",
			   r->type, st);
	if (r->type == VIRTIO_IOMMU_T_PROBE)
		FUZZ_CHECK(vc_same(&h.before, &h.after), "PROBE changed state");
	/* A MAP or UNMAP changes what its domain's endpoints see (a batch's:
	 * one of them now, all after the batch); ATTACH and DETACH, what
	 * anyone may see. */
	if (st == VIRTIO_IOMMU_S_OK)
		vc_check_translate(h.c, r->vs, r->ve,
				   r->type == VIRTIO_IOMMU_T_MAP ||
						   r->type == VIRTIO_IOMMU_T_UNMAP ?
					   r->domain :
					   -1,
				   light);
	h.dirty |= st == VIRTIO_IOMMU_S_OK;
}

static void op_request(struct fz *in)
{
	struct req r = {
		.ctl = fz_u8(in),
		.type = fz_u8(in) % 8,
		.flags = fz_u8(in),
		.domain = fz_u8(in) % 12,
	};
	uint8_t e = fz_u8(in), cuts[4];

	r.endpoint = ep_ids[e % 5];
	if (r.ctl & R_RAW_ADDR) {
		r.vs = fz_u64(in);
		r.ve = fz_u64(in);
		r.ps = fz_u64(in);
	} else {
		r.vs = (uint64_t)fz_u8(in) << 12;
		r.ve = r.vs + ((uint64_t)fz_u8(in) % 16 + 1) * 0x1000 - 1;
		r.ps = (uint64_t)fz_u16(in) << 12;
	}
	fz_bytes(in, cuts, sizeof(cuts));
	send(in, &r, cuts, false);
}

/*
 * Many MAPs (or UNMAPs) at a stride, in one domain: what grows a mapping
 * store past one leaf (15 mappings), and its tree past two levels, within
 * a short input. Each request is sent and checked like any other.
 */
static void op_batch(struct fz *in)
{
	static const uint8_t whole[4] = { 0 };
	uint8_t kind = fz_u8(in), dom = fz_u8(in), base = fz_u8(in);
	uint64_t stride = 1u + fz_u8(in) % 16, pages = 1u + fz_u8(in) % 4;
	unsigned int count = fz_u8(in) + 1u;
	uint8_t flags = fz_u8(in);

	for (unsigned int i = 0;
	     i < count && h.requests < MAX_REQUESTS && !viommu_is_broken(h.c);
	     i++, h.requests++) {
		uint64_t page = base + i * stride;
		struct req r = {
			.type = kind & 1 ? VIRTIO_IOMMU_T_UNMAP :
					   VIRTIO_IOMMU_T_MAP,
			.flags = flags,
			.domain = dom % 12,
			.vs = page << 12,
			.ve = ((page + pages) << 12) - 1,
			.ps = (page + 0x100) << 12,
		};

		send(in, &r, whole, true);
	}
}

/* ---- the rest of the device's life ---- */

static void op_bypass(struct fz *in)
{
	uint8_t v = fz_u8(in);
	bool was = h.c->bypass;
	int ret;

	vc_snapshot(h.c, &h.before, false);
	ret = viommu_write_bypass(h.c, v);
	vc_snapshot(h.c, &h.after, false);
	/* 5.13.4.1/2: only with BYPASS_CONFIG, only bit 0; a backend
	 * failure changes nothing. */
	if (ret || !viommu_negotiated(h.c, VIRTIO_IOMMU_F_BYPASS_CONFIG)) {
		FUZZ_CHECK(h.c->bypass == was, "bypass moved");
		if (!viommu_is_broken(h.c))
			FUZZ_CHECK(vc_same(&h.before, &h.after),
				   "a failed bypass write changed the state");
		return;
	}
	FUZZ_CHECK(h.c->bypass == (v & 1), "bypass %d after writing %#x",
		   h.c->bypass, v);
	h.dirty = true;
	vc_check_translate(h.c, 0x1000, 0x1000, -1, false);
}

static void op_reset(struct fz *in)
{
	uint8_t f = fz_u8(in);
	bool was = h.c->bypass;

	viommu_reset(h.c);
	/* 5.13.5: "When the device is reset, endpoints are not attached to
	 * any domain"; bypass "SHOULD NOT change on device reset". */
	vc_snapshot(h.c, &h.after, true);
	FUZZ_CHECK(h.after.nr_dom == 0 && h.c->bypass == was &&
			   !h.c->negotiated,
		   "reset left state behind");
	for (unsigned int i = 0; i < NR_EPS; i++)
		FUZZ_CHECK(h.after.ep_dom[i] == -1, "attached after reset");
	/* The driver's next FEATURES_OK. */
	viommu_set_features(h.c, f & 0x7f);
	h.dirty = true;
}

/* Calls (at) to (at + count - 1) from now on of one backend fail. */
static void op_fail(struct fz *in)
{
	uint8_t which = fz_u8(in), at = fz_u8(in), count = fz_u8(in);
	struct rec_backend *r = &h.rb[which & 1];

	rec_fail(r, r->calls + 1 + at % 8, count % 4,
		 fail_errs[(which >> 1) % 4]);
}

static void op_translate(struct fz *in)
{
	uint8_t e = fz_u8(in), how = fz_u8(in), len = fz_u8(in);
	uint64_t iova = how & 1 ? fz_u64(in) : (uint64_t)fz_u16(in) << 8;

	vc_check_one(h.c, ep_ids[e % 5], iova, len, how & 2);
}

/* ---- setup ---- */

/*
 * After a failed viommu_create() or viommu_destroy(), which promise
 * nothing left on a backend: what is left is what the backend refused to
 * unmap since call (from)[b] of its log.
 */
static void check_left(const size_t *from, const char *what)
{
	for (unsigned int b = 0; b < 2; b++) {
		const struct rec_backend *r = &h.rb[b];

		for (size_t i = 0; i < r->nr_live; i++) {
			bool tried = false;

			for (size_t k = from[b]; k < r->nr_log; k++)
				tried |= !r->log[k].map && r->log[k].ret &&
					 r->log[k].iova == r->live[i].iova &&
					 r->log[k].size == r->live[i].size;
			FUZZ_CHECK(tried, "%s left %#llx+%#llx mapped", what,
				   (unsigned long long)r->live[i].iova,
				   (unsigned long long)r->live[i].size);
		}
	}
}

static bool create(struct fz *in)
{
	static struct viommu_endpoint_config eps[NR_EPS];
	uint8_t flags = fz_u8(in), max = fz_u8(in), feats = fz_u8(in);
	struct viommu_config cfg = {
		.page_size_mask = flags & 0x08 ? 1 : ~0xfffull,
		.input_start = flags & 0x10 ? 0x10000 : 0,
		.input_end = flags & 0x10 ? 0xffffffffull : (1ull << 48) - 1,
		.domain_start = flags & 0x20 ? 1 : 0,
		.domain_end = flags & 0x20 ? 8 : 1000,
		.probe_size = PROBE_SIZE,
		.max_mappings = 1u + 4u * max, /* <= VC_MAX_MAPS */
		.offer_bypass_config = flags & 0x01,
		.boot_bypass = (flags & 0x03) == 0x03,
		.offer_mmio = flags & 0x04,
		.resv = &msi,
		.nr_resv = 1,
		.ram = ram,
		.nr_ram = 2,
		.endpoints = eps,
		.nr_endpoints = NR_EPS,
	};
	int ret;

	for (unsigned int i = 0; i < 2; i++) {
		uint8_t at = fz_u8(in), n = fz_u8(in);

		rec_init(&h.rb[i]);
		if (at % 8)
			rec_fail(&h.rb[i], at % 8, n % 4, fail_errs[n / 4 % 4]);
	}
	memset(eps, 0, sizeof(eps));
	for (unsigned int i = 0; i < NR_EPS; i++) {
		eps[i].id = ep_ids[i];
		h.by_ep[i] = i >= 2 ? &h.rb[i - 2] : NULL;
		if (h.by_ep[i]) {
			eps[i].backend = &rec_backend_ops;
			eps[i].backend_ctx = h.by_ep[i];
		}
	}
	eps[3].resv = &ep3_resv;
	eps[3].nr_resv = 1;
	ret = viommu_create(&cfg, &h.c);
	if (ret) {
		/* A backend failed at power-on: nothing left mapped. */
		FUZZ_CHECK(!h.rb[0].violations && !h.rb[1].violations,
			   "viommu_create failed (%d): backend misused", ret);
		check_left((const size_t[]){ 0, 0 }, "a failed create");
		return false;
	}
	viommu_set_features(h.c, feats & 0x7f);
	vc_check(h.c, h.by_ep);
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz in = fz_make(data, size);

	log_set_level(LOG_OFF); /* a failed rollback logs an error */
	h.requests = 0;
	if (create(&in)) {
		/* A failed rollback breaks the core for good: the device
		 * layer needs a reset and a new core (viommu_core.h); what
		 * the backends hold is unknown from then on. */
		for (unsigned int n = 0;
		     n < MAX_OPS && fz_left(&in) && !viommu_is_broken(h.c);
		     n++) {
			unsigned int calls = h.rb[0].calls + h.rb[1].calls;

			h.dirty = false;
			switch (fz_u8(&in) % 8) {
			case 0:
			case 1:
			case 2:
				op_request(&in);
				break;
			case 3:
				op_bypass(&in);
				break;
			case 4:
				op_reset(&in);
				break;
			case 5:
				op_fail(&in);
				break;
			case 6:
				op_translate(&in);
				break;
			case 7:
				op_batch(&in);
				break;
			}
			/* The whole check is O(mappings): only when something
			 * changed, in the core or on a backend. */
			if (h.dirty || calls != h.rb[0].calls + h.rb[1].calls) {
				vc_check(h.c, h.by_ep);
				vc_check_translate_all(h.c);
			}
		}
		size_t from[2] = { h.rb[0].nr_log, h.rb[1].nr_log };
		bool broken = viommu_is_broken(h.c);

		viommu_destroy(h.c);
		if (!broken)
			check_left(from, "destroy");
	}
	rec_free(&h.rb[0]);
	rec_free(&h.rb[1]);
	return 0;
}
