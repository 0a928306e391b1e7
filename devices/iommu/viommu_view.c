/* SPDX-License-Identifier: Apache-2.0 */
/* devices/iommu/viommu_view.c: DMA backends kept equal to the domains. */
#include "viommu_priv.h"

#include <errno.h>
#include <stdlib.h>

#include "vmm/log.h"

/*
 * Cloud Hypervisor's order for external DMA mappings: validate, apply to
 * every endpoint, roll back on failure, record; replay a domain on
 * ATTACH. Here the store is written first (it is the validation: overlap
 * and limit) and taken back on failure, so the guest sees either the
 * whole request done or nothing, and the backends always hold exactly
 * the store. When a rollback itself fails that no longer holds: the core
 * is marked broken and the device layer asks for a reset.
 */

/* Mapping flags pass unchanged from the request to the store to a
 * backend. */
_Static_assert(MS_F_READ == VIRTIO_IOMMU_MAP_F_READ &&
	       MS_F_WRITE == VIRTIO_IOMMU_MAP_F_WRITE &&
	       MS_F_MMIO == VIRTIO_IOMMU_MAP_F_MMIO, "store flags");
_Static_assert(DMA_BACKEND_F_READ == VIRTIO_IOMMU_MAP_F_READ &&
	       DMA_BACKEND_F_WRITE == VIRTIO_IOMMU_MAP_F_WRITE &&
	       DMA_BACKEND_F_MMIO == VIRTIO_IOMMU_MAP_F_MMIO, "backend flags");

static iova_t to_iova(uint64_t v)
{
	return (iova_t){ v };
}

static int bk_map(struct viommu_core *c, struct viommu_ep *ep, uint64_t iova,
		  uint64_t gpa_v, uint64_t size, uint32_t flags)
{
	int ret = ep->backend->map(ep->backend_ctx, to_iova(iova),
				   gpa(gpa_v), size, flags);

	if (ret)
		metric_inc(&c->metrics.backend_fails);
	return ret;
}

static int bk_unmap(struct viommu_core *c, struct viommu_ep *ep,
		    uint64_t iova, uint64_t size)
{
	int ret = ep->backend->unmap(ep->backend_ctx, to_iova(iova), size);

	if (ret)
		metric_inc(&c->metrics.backend_fails);
	return ret;
}

/* A rollback step failed: nothing left to undo with. */
static void mark_broken(struct viommu_core *c, struct viommu_ep *ep, int err)
{
	if (!c->broken)
		log_error("viommu: endpoint %u: rollback failed (%d): "
			  "the device needs a reset", ep->id, err);
	c->broken = true;
}

struct viommu_view viommu_domain_view(struct viommu_domain *d)
{
	struct viommu_view v = { VIOMMU_VIEW_DOMAIN, d };

	/* A bypass domain has no mappings: its endpoints see all of RAM. */
	if (d->bypass) {
		v.kind = VIOMMU_VIEW_IDENTITY;
		v.dom = NULL;
	}
	return v;
}

struct viommu_view viommu_unattached_view(const struct viommu_core *c)
{
	struct viommu_view v = { VIOMMU_VIEW_NONE, NULL };

	if (c->offer_bypass_config && c->bypass)
		v.kind = VIOMMU_VIEW_IDENTITY;
	return v;
}

struct viommu_view viommu_ep_view(const struct viommu_core *c,
				  const struct viommu_ep *ep)
{
	return ep->domain ? viommu_domain_view(ep->domain) :
			    viommu_unattached_view(c);
}

static bool same_view(struct viommu_view a, struct viommu_view b)
{
	return a.kind == b.kind &&
	       (a.kind != VIOMMU_VIEW_DOMAIN || a.dom == b.dom);
}

/* One pass over a view's items: map or unmap the first (limit) of them. */
struct walk {
	struct viommu_core *c;
	struct viommu_ep *ep;
	bool unmap;		/* unmap, else map */
	bool keep_going;	/* teardown: past errors */
	size_t limit;		/* items to touch */
	size_t done;		/* items touched */
	int err;		/* first error */
};

static int walk_one(struct walk *w, uint64_t iova, uint64_t last,
		    uint64_t gpa_v, uint32_t flags)
{
	uint64_t size = last - iova + 1;	/* never the whole space */
	int ret;

	if (w->done == w->limit)
		return 1;
	ret = w->unmap ? bk_unmap(w->c, w->ep, iova, size) :
			 bk_map(w->c, w->ep, iova, gpa_v, size, flags);
	if (ret) {
		if (!w->err)
			w->err = ret;
		if (!w->keep_going)
			return 1;
	}
	w->done++;
	return 0;
}

static int walk_mapping(void *ctx, const struct ms_mapping *m)
{
	return walk_one(ctx, m->iova, m->last, m->gpa, m->flags);
}

static void walk_view(struct walk *w, struct viommu_view v)
{
	const struct viommu_core *c = w->c;

	switch (v.kind) {
	case VIOMMU_VIEW_NONE:
		break;
	case VIOMMU_VIEW_IDENTITY:
		for (unsigned int i = 0; i < c->nr_ram; i++) {
			if (walk_one(w, c->ram[i].start, c->ram[i].last,
				     c->ram[i].start,
				     DMA_BACKEND_F_READ | DMA_BACKEND_F_WRITE))
				break;
		}
		break;
	case VIOMMU_VIEW_DOMAIN:
		ms_for_each(&v.dom->maps, walk_mapping, w);
		break;
	}
}

/* Touches the first (limit) items of (v) on (ep); returns the walk. */
static struct walk apply(struct viommu_core *c, struct viommu_ep *ep,
			 struct viommu_view v, bool unmap, size_t limit)
{
	struct walk w = {
		.c = c, .ep = ep, .unmap = unmap, .limit = limit,
	};

	walk_view(&w, v);
	return w;
}

int viommu_view_map(struct viommu_core *c, struct viommu_ep *ep,
		    struct viommu_view v)
{
	struct walk w, undo;

	if (!ep->backend)
		return 0;
	w = apply(c, ep, v, false, SIZE_MAX);
	if (!w.err)
		return 0;
	/* Items are walked in the same order: the first (done) went in. */
	undo = apply(c, ep, v, true, w.done);
	if (undo.err)
		mark_broken(c, ep, undo.err);
	return w.err;
}

/* Unmaps all of (v) from (ep), or nothing (-errno). */
static int view_unmap(struct viommu_core *c, struct viommu_ep *ep,
		      struct viommu_view v)
{
	struct walk w, undo;

	w = apply(c, ep, v, true, SIZE_MAX);
	if (!w.err)
		return 0;
	undo = apply(c, ep, v, false, w.done);
	if (undo.err)
		mark_broken(c, ep, undo.err);
	return w.err;
}

int viommu_view_teardown(struct viommu_core *c, struct viommu_ep *ep,
			 struct viommu_view v)
{
	struct walk w = {
		.c = c, .ep = ep, .unmap = true, .keep_going = true,
		.limit = SIZE_MAX,
	};

	if (!ep->backend)
		return 0;
	walk_view(&w, v);
	return w.err;
}

int viommu_view_switch(struct viommu_core *c, struct viommu_ep *ep,
		       struct viommu_view from, struct viommu_view to)
{
	int ret, undo;

	if (!ep->backend || same_view(from, to))
		return 0;
	/* A backend cannot hold both: the two may use the same IOVAs. */
	ret = view_unmap(c, ep, from);
	if (ret)
		return ret;
	ret = viommu_view_map(c, ep, to);
	if (ret) {
		undo = viommu_view_map(c, ep, from);
		if (undo)
			mark_broken(c, ep, undo);
	}
	return ret;
}

static bool backed_in(const struct viommu_ep *ep, const struct viommu_domain *d)
{
	return ep->domain == d && ep->backend;
}

int viommu_fanout_map(struct viommu_core *c, struct viommu_domain *d,
		      uint64_t iova, uint64_t last, uint64_t gpa_v,
		      uint32_t flags)
{
	unsigned int i;
	int ret;

	ret = ms_map(&d->maps, iova, last, gpa_v, flags);
	if (ret || !d->nr_backed)
		return ret;
	for (i = 0; i < c->nr_eps; i++) {
		if (!backed_in(&c->eps[i], d))
			continue;
		ret = bk_map(c, &c->eps[i], iova, gpa_v, last - iova + 1,
			     flags);
		if (ret)
			goto err_undo;
	}
	return 0;

err_undo:
	while (i--) {
		int undo;

		if (!backed_in(&c->eps[i], d))
			continue;
		undo = bk_unmap(c, &c->eps[i], iova, last - iova + 1);
		if (undo)
			mark_broken(c, &c->eps[i], undo);
	}
	/* Exactly the mapping just added: it cannot split anything. */
	ms_unmap(&d->maps, iova, last, NULL, NULL);
	return ret;
}

/* ms_unmap() callback state: what leaves, for the backends and rollback. */
struct collector {
	struct ms_mapping *v;	/* room for every live mapping */
	size_t cap;		/* entries in v */
	size_t n;		/* entries filled */
	bool overflow;		/* more than cap: cannot happen */
};

static void collect_one(void *ctx, const struct ms_mapping *m)
{
	struct collector *col = ctx;

	if (col->n == col->cap) {
		col->overflow = true;
		return;
	}
	col->v[col->n++] = *m;
}

/* Room in c->scratch for (need) mappings: 0 or -ENOMEM. */
static int scratch_reserve(struct viommu_core *c, size_t need)
{
	struct ms_mapping *v;
	size_t cap;

	if (need <= c->scratch_cap)
		return 0;
	/* Doubling, but never past what a domain can hold. */
	cap = c->scratch_cap * 2 > need ? c->scratch_cap * 2 : need;
	if (cap > c->max_mappings && need <= c->max_mappings)
		cap = c->max_mappings;
	v = realloc(c->scratch, cap * sizeof(*v));
	if (!v)
		return -ENOMEM;
	c->scratch = v;
	c->scratch_cap = cap;
	return 0;
}

/* Puts the (n) removed mappings back on the first (eps) backed endpoints
 * of (d), the first (k) of them on endpoint (eps) too, and in the store. */
static void unmap_undo(struct viommu_core *c, struct viommu_domain *d,
		       const struct collector *col, unsigned int eps,
		       size_t k)
{
	for (unsigned int i = 0; i <= eps && i < c->nr_eps; i++) {
		struct viommu_ep *ep = &c->eps[i];
		size_t upto = i == eps ? k : col->n;

		if (!backed_in(ep, d))
			continue;
		for (size_t j = 0; j < upto; j++) {
			const struct ms_mapping *m = &col->v[j];
			int ret = bk_map(c, ep, m->iova, m->gpa,
					 m->last - m->iova + 1, m->flags);

			if (ret)
				mark_broken(c, ep, ret);
		}
	}
	for (size_t j = 0; j < col->n; j++) {
		const struct ms_mapping *m = &col->v[j];
		int ret = ms_map(&d->maps, m->iova, m->last, m->gpa, m->flags);

		if (ret)
			mark_broken(c, &c->eps[0], ret);
	}
}

long viommu_fanout_unmap(struct viommu_core *c, struct viommu_domain *d,
			 uint64_t iova, uint64_t last)
{
	struct collector col;
	unsigned int i;
	size_t j = 0;
	long n;
	int ret = 0;

	if (!d->nr_backed)
		return ms_unmap(&d->maps, iova, last, NULL, NULL);
	/*
	 * The backends are told after the store lets go, so what left must
	 * be kept for them and for a rollback. The upper bound is every
	 * live mapping; reserve it first so that nothing can fail halfway.
	 */
	if (scratch_reserve(c, ms_count(&d->maps)))
		return -ENOMEM;
	col = (struct collector){ .v = c->scratch, .cap = c->scratch_cap };
	n = ms_unmap(&d->maps, iova, last, collect_one, &col);
	if (n < 0)
		return n;
	if (col.overflow) {
		mark_broken(c, &c->eps[0], -EOVERFLOW);
		return -EIO;
	}
	for (i = 0; i < c->nr_eps; i++) {
		if (!backed_in(&c->eps[i], d))
			continue;
		for (j = 0; j < col.n; j++) {
			const struct ms_mapping *m = &col.v[j];

			ret = bk_unmap(c, &c->eps[i], m->iova,
				       m->last - m->iova + 1);
			if (ret)
				goto err_undo;
		}
	}
	return n;

err_undo:
	unmap_undo(c, d, &col, i, j);
	return ret;
}
