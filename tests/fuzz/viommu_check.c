// SPDX-License-Identifier: Apache-2.0
/* tests/fuzz/viommu_check.c: fuzz_viommu's checks of a virtio-iommu core. */
#include "viommu_check.h"

#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

/* ---- snapshots ---- */

static uint64_t fnv(uint64_t h, uint64_t v)
{
	for (int i = 0; i < 8; i++, v >>= 8)
		h = (h ^ (v & 0xff)) * 0x100000001b3ull;
	return h;
}

static int hash_one(void *ctx, const struct ms_mapping *m)
{
	struct vc_dom *d = ctx;

	d->hash =
		fnv(fnv(fnv(fnv(d->hash, m->iova), m->last), m->gpa), m->flags);
	d->nr++;
	return 0;
}

void vc_snapshot(const struct viommu_core *c, struct vc_snap *s, bool light)
{
	memset(s, 0, sizeof(*s));
	s->bypass = c->bypass;
	for (unsigned int i = 0; i < c->nr_eps && i < VC_MAX_EPS; i++)
		s->ep_dom[i] =
			c->eps[i].domain ? (int64_t)c->eps[i].domain->id : -1;
	for (unsigned int i = 0; i < c->nr_doms; i++) {
		const struct viommu_domain *d = &c->doms[i];
		struct vc_dom *v;
		unsigned int k;

		if (!d->live)
			continue;
		FUZZ_CHECK(s->nr_dom <= VC_MAX_EPS, "more domains than slots");
		/* By id, so that slot reuse does not tell two states apart. */
		for (k = s->nr_dom; k > 0 && s->dom[k - 1].id > d->id; k--)
			s->dom[k] = s->dom[k - 1];
		v = &s->dom[k];
		*v = (struct vc_dom){ d->id, d->bypass, 0,
				      0xcbf29ce484222325ull };
		if (light)
			v->nr = ms_count(&d->maps);
		else
			ms_for_each(&d->maps, hash_one, v);
		s->nr_dom++;
	}
}

bool vc_same(const struct vc_snap *a, const struct vc_snap *b)
{
	if (a->bypass != b->bypass || a->nr_dom != b->nr_dom ||
	    memcmp(a->ep_dom, b->ep_dom, sizeof(a->ep_dom)))
		return false;
	for (unsigned int i = 0; i < a->nr_dom; i++)
		if (a->dom[i].id != b->dom[i].id ||
		    a->dom[i].bypass != b->dom[i].bypass ||
		    a->dom[i].nr != b->dom[i].nr ||
		    a->dom[i].hash != b->dom[i].hash)
			return false;
	return true;
}

/* ---- backends ---- */

static int by_iova(const void *a, const void *b)
{
	const struct rec_map *x = a, *y = b;

	return x->iova < y->iova ? -1 : x->iova > y->iova;
}

struct view {
	struct rec_map *m;
	size_t n;
};

static int view_one(void *ctx, const struct ms_mapping *m)
{
	struct view *v = ctx;

	v->m[v->n++] = (struct rec_map){ m->iova, m->last - m->iova + 1, m->gpa,
					 m->flags };
	return 0;
}

/* What endpoint (ep)'s backend must hold (dma_backend.h), into (out). */
static size_t expected_view(const struct viommu_core *c,
			    const struct viommu_ep *ep, struct rec_map *out)
{
	const struct viommu_domain *d = ep->domain;
	struct view v = { out, 0 };

	if ((d && d->bypass) || (!d && c->offer_bypass_config && c->bypass)) {
		for (unsigned int i = 0; i < c->nr_ram; i++)
			out[v.n++] = (struct rec_map){
				c->ram[i].start,
				c->ram[i].last - c->ram[i].start + 1,
				c->ram[i].start,
				DMA_BACKEND_F_READ | DMA_BACKEND_F_WRITE,
			};
		return v.n;
	}
	if (d)
		ms_for_each(&d->maps, view_one, &v);
	return v.n;
}

static void check_backend(const struct viommu_core *c,
			  const struct viommu_ep *ep, struct rec_backend *r)
{
	static struct rec_map want[VC_MAX_MAPS + VIOMMU_MAX_RAM];
	static struct rec_map have[VC_MAX_MAPS + VIOMMU_MAX_RAM];
	size_t n = expected_view(c, ep, want);

	FUZZ_CHECK(r->violations == 0,
		   "endpoint %u: the backend saw %u breaches of its contract",
		   ep->id, r->violations);
	FUZZ_CHECK(r->nr_live == n, "endpoint %u: backend holds %zu, want %zu",
		   ep->id, r->nr_live, n);
	if (!n)
		return;
	memcpy(have, r->live, n * sizeof(have[0]));
	qsort(have, n, sizeof(have[0]), by_iova);
	for (size_t i = 0; i < n; i++)
		FUZZ_CHECK(have[i].iova == want[i].iova &&
				   have[i].size == want[i].size &&
				   have[i].gpa == want[i].gpa &&
				   have[i].flags == want[i].flags,
			   "endpoint %u: backend mapping %zu is %#llx+%#llx -> "
			   "%#llx (%u), want %#llx+%#llx -> %#llx (%u)",
			   ep->id, i, (unsigned long long)have[i].iova,
			   (unsigned long long)have[i].size,
			   (unsigned long long)have[i].gpa, have[i].flags,
			   (unsigned long long)want[i].iova,
			   (unsigned long long)want[i].size,
			   (unsigned long long)want[i].gpa, want[i].flags);
}

/* ---- the core's own state ---- */

static int no_resv(void *ctx, const struct ms_mapping *m)
{
	const struct viommu_core *c = ctx;

	/* MAP refuses a range over a region reserved for all endpoints
	 * (5.13.6.8.1.2). */
	FUZZ_CHECK(!viommu_resv_hit(c, NULL, m->iova, m->last, false),
		   "mapping %#llx-%#llx in a reserved region",
		   (unsigned long long)m->iova, (unsigned long long)m->last);
	return 0;
}

void vc_check(const struct viommu_core *c, struct rec_backend *const *rb)
{
	unsigned int live = 0;

	for (unsigned int i = 0; i < c->nr_doms; i++) {
		const struct viommu_domain *d = &c->doms[i];
		unsigned int eps = 0, backed = 0;
		const char *err;

		if (!d->live)
			continue;
		live++;
		err = ms_check(&d->maps);
		FUZZ_CHECK(!err, "domain %u: mapping store: %s", d->id, err);
		FUZZ_CHECK(ms_count(&d->maps) <= c->max_mappings,
			   "domain %u over its limit", d->id);
		FUZZ_CHECK(!d->bypass || !ms_count(&d->maps),
			   "bypass domain %u with mappings", d->id);
		for (unsigned int k = 0; k < i; k++)
			FUZZ_CHECK(!c->doms[k].live || c->doms[k].id != d->id,
				   "domain %u twice", d->id);
		for (unsigned int k = 0; k < c->nr_eps; k++) {
			eps += c->eps[k].domain == d;
			backed += c->eps[k].domain == d && c->eps[k].backend;
		}
		/* 5.13.6.4: "After all endpoints have been successfully
		 * detached from a domain, it ceases to exist". */
		FUZZ_CHECK(
			eps && eps == d->nr_endpoints && backed == d->nr_backed,
			"domain %u: %u endpoints (says %u), %u backed (says %u)",
			d->id, eps, d->nr_endpoints, backed, d->nr_backed);
		ms_for_each(&d->maps, no_resv, (void *)c);
	}
	FUZZ_CHECK(live <= c->nr_eps, "%u domains for %u endpoints", live,
		   c->nr_eps);
	for (unsigned int k = 0; k < c->nr_eps; k++) {
		const struct viommu_ep *ep = &c->eps[k];

		FUZZ_CHECK(!ep->domain || ep->domain->live,
			   "endpoint %u attached to a dead domain", ep->id);
		if (rb[k] && !c->broken)
			check_backend(c, ep, rb[k]);
	}
}

/* ---- translation ---- */

static const char *const kinds[] = { "mapped", "bypass", "msi", "fault" };

void vc_check_one(const struct viommu_core *c, uint32_t id, uint64_t addr,
		  uint64_t len, bool write)
{
	const struct viommu_ep *ep = viommu_ep_find(c, id);
	enum viommu_xlate_kind want = VIOMMU_XLATE_FAULT, got;
	uint64_t want_gpa = 0, want_len = 0, n = len ? len : 1;
	const struct viommu_domain *d = ep ? ep->domain : NULL;
	const struct ms_mapping *m;
	const struct viommu_resv *r;
	struct viommu_xlate x;

	got = viommu_translate(c, id, iova(addr), len, write, &x);
	if (!ep || n - 1 > UINT64_MAX - addr)
		goto check; /* unknown, or a DMA that wraps: a fault */
	/* 5.13.6: bypass mode (BYPASS_CONFIG offered, bypass 1, not
	 * attached; or a bypass domain) is the identity. */
	if ((!d && c->offer_bypass_config && c->bypass) || (d && d->bypass)) {
		want = VIOMMU_XLATE_BYPASS;
		want_gpa = addr;
		want_len = n;
		goto check;
	}
	if (!d)
		goto check;
	m = ms_lookup(&d->maps, addr);
	if (m) {
		FUZZ_CHECK(addr >= m->iova && addr <= m->last, "ms_lookup");
		if (m->flags & (write ? VIRTIO_IOMMU_MAP_F_WRITE :
					VIRTIO_IOMMU_MAP_F_READ)) {
			want = VIOMMU_XLATE_MAPPED;
			want_gpa = m->gpa + (addr - m->iova);
			want_len = n - 1 <= m->last - addr ? n :
							     m->last - addr + 1;
		}
		goto check;
	}
	/* A miss in an MSI doorbell region goes to the interrupt
	 * controller (5.13.6.8.1: VIRTIO_IOMMU_RESV_MEM_T_MSI). */
	r = viommu_resv_hit(c, ep, addr, addr, true);
	if (r) {
		want = VIOMMU_XLATE_MSI;
		want_gpa = addr;
		want_len = n - 1 <= r->last - addr ? n : r->last - addr + 1;
	}
check:
	FUZZ_CHECK(got == want, "endpoint %u, %#llx+%llu %s: %s, want %s", id,
		   (unsigned long long)addr, (unsigned long long)len,
		   write ? "write" : "read", kinds[got], kinds[want]);
	if (want != VIOMMU_XLATE_FAULT)
		FUZZ_CHECK(x.gpa.v == want_gpa && x.len == want_len,
			   "endpoint %u, %#llx: to %#llx+%llu, want %#llx+%llu",
			   id, (unsigned long long)addr,
			   (unsigned long long)x.gpa.v,
			   (unsigned long long)x.len,
			   (unsigned long long)want_gpa,
			   (unsigned long long)want_len);
}

/* Mappings checked per endpoint: all of a small domain, an even sample
 * of a large one (the per-request checks look at each one's ends). */
#define VC_SAMPLE 64

struct one_ep {
	const struct viommu_core *c;
	uint32_t id;
	size_t every, seen;
};

static int check_mapping(void *ctx, const struct ms_mapping *m)
{
	struct one_ep *e = ctx;

	if (e->seen++ % e->every)
		return 0;
	for (int wr = 0; wr < 2; wr++) {
		vc_check_one(e->c, e->id, m->iova, 1, wr);
		/* Two bytes from the last: clipped to one, or a fault when
		 * it wraps. */
		vc_check_one(e->c, e->id, m->last, 2, wr);
	}
	return 0;
}

void vc_check_translate_all(const struct viommu_core *c)
{
	for (unsigned int k = 0; k < c->nr_eps; k++) {
		const struct viommu_ep *ep = &c->eps[k];
		struct one_ep e = { c, ep->id, 1, 0 };

		if (!ep->domain || ep->domain->bypass)
			continue;
		e.every = ms_count(&ep->domain->maps) / VC_SAMPLE + 1;
		ms_for_each(&ep->domain->maps, check_mapping, &e);
	}
}

void vc_check_translate(const struct viommu_core *c, uint64_t lo, uint64_t hi,
			int64_t domain, bool quick)
{
	const uint64_t at[] = { lo - 1, lo, hi, hi + 1 };

	for (unsigned int k = 0; k < c->nr_eps; k++) {
		const struct viommu_domain *d = c->eps[k].domain;

		if (domain >= 0 && (!d || d->id != domain))
			continue;
		for (unsigned int i = 0; i < 4; i++) {
			if (quick) {
				/* Two bytes, clipped or not, read then write. */
				vc_check_one(c, c->eps[k].id, at[i], 2, i & 1);
				continue;
			}
			for (int wr = 0; wr < 2; wr++) {
				vc_check_one(c, c->eps[k].id, at[i], 1, wr);
				vc_check_one(c, c->eps[k].id, at[i], 2, wr);
			}
		}
		if (quick)
			break;
	}
}
