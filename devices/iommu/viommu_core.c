/* SPDX-License-Identifier: Apache-2.0 */
/* devices/iommu/viommu_core.c: viommu lifecycle, config, translation. */
#include "viommu_priv.h"

#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/log.h"

struct viommu_ep *viommu_ep_find(const struct viommu_core *c, uint32_t id)
{
	unsigned int lo = 0, hi = c->nr_eps;

	/* eps[] is sorted at creation: the translation path looks here. */
	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;

		if (c->eps[mid].id == id)
			return &c->eps[mid];
		if (c->eps[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

struct viommu_domain *viommu_dom_find(const struct viommu_core *c,
				      uint32_t id)
{
	/* At most nr_eps + 1 slots: a scan is as fast as anything here. */
	for (unsigned int i = 0; i < c->nr_doms; i++) {
		if (c->doms[i].live && c->doms[i].id == id)
			return &c->doms[i];
	}
	return NULL;
}

struct viommu_domain *viommu_dom_new(struct viommu_core *c, uint32_t id,
				     bool bypass)
{
	for (unsigned int i = 0; i < c->nr_doms; i++) {
		struct viommu_domain *d = &c->doms[i];

		if (d->live)
			continue;
		memset(d, 0, sizeof(*d));
		if (ms_init(&d->maps, c->max_mappings))
			return NULL;
		d->id = id;
		d->bypass = bypass;
		d->live = true;
		return d;
	}
	return NULL;
}

void viommu_dom_free(struct viommu_domain *d)
{
	ms_destroy(&d->maps);
	memset(d, 0, sizeof(*d));
}

static bool overlaps(const struct viommu_resv *r, uint64_t start,
		     uint64_t last)
{
	return start <= r->last && r->start <= last;
}

const struct viommu_resv *viommu_resv_hit(const struct viommu_core *c,
					  const struct viommu_ep *ep,
					  uint64_t start, uint64_t last,
					  bool msi_only)
{
	for (unsigned int i = 0; i < c->nr_resv; i++) {
		const struct viommu_resv *r = &c->resv[i];

		if (msi_only && r->subtype != VIRTIO_IOMMU_RESV_MEM_T_MSI)
			continue;
		if (overlaps(r, start, last))
			return r;
	}
	for (unsigned int i = 0; ep && i < ep->nr_resv; i++) {
		const struct viommu_resv *r = &ep->resv[i];

		if (msi_only && r->subtype != VIRTIO_IOMMU_RESV_MEM_T_MSI)
			continue;
		if (overlaps(r, start, last))
			return r;
	}
	return NULL;
}

static int check_resv(const struct viommu_resv *r, unsigned int n)
{
	if (n > VIOMMU_MAX_RESV || (n && !r))
		return -EINVAL;
	for (unsigned int i = 0; i < n; i++) {
		if (r[i].last < r[i].start)
			return -EINVAL;
		if (r[i].subtype != VIRTIO_IOMMU_RESV_MEM_T_RESERVED &&
		    r[i].subtype != VIRTIO_IOMMU_RESV_MEM_T_MSI)
			return -EINVAL;
	}
	return 0;
}

/*
 * What one endpoint's PROBE would list: the global regions then its own.
 * 5.13.6.8.1.2: "The device SHOULD NOT present more than one
 * VIRTIO_IOMMU_RESV_MEM_T_MSI property per endpoint" and "SHOULD NOT
 * present multiple RESV_MEM properties that overlap each other".
 */
static int check_probe_list(const struct viommu_config *cfg,
			    const struct viommu_endpoint_config *e)
{
	const struct viommu_resv *all[2 * VIOMMU_MAX_RESV];
	unsigned int n = 0, msi = 0;

	for (unsigned int i = 0; i < cfg->nr_resv; i++)
		all[n++] = &cfg->resv[i];
	for (unsigned int i = 0; i < e->nr_resv; i++)
		all[n++] = &e->resv[i];
	for (unsigned int i = 0; i < n; i++) {
		if (all[i]->subtype == VIRTIO_IOMMU_RESV_MEM_T_MSI)
			msi++;
		for (unsigned int j = i + 1; j < n; j++) {
			if (overlaps(all[i], all[j]->start, all[j]->last))
				return -EINVAL;
		}
	}
	return msi > 1 ? -EINVAL : 0;
}

static int check_config(const struct viommu_config *cfg)
{
	if (!cfg->nr_endpoints || cfg->nr_endpoints > VIOMMU_MAX_ENDPOINTS ||
	    !cfg->endpoints)
		return -EINVAL;
	/* 5.13.4.2: "The device MUST set at least one bit in
	 * page_size_mask". */
	if (!cfg->page_size_mask)
		return -EINVAL;
	if (cfg->input_end < cfg->input_start ||
	    cfg->domain_end < cfg->domain_start)
		return -EINVAL;
	if (!cfg->max_mappings || cfg->probe_size > VIOMMU_MAX_PROBE_SIZE)
		return -EINVAL;
	if (cfg->boot_bypass && !cfg->offer_bypass_config)
		return -EINVAL;
	if (check_resv(cfg->resv, cfg->nr_resv))
		return -EINVAL;
	if (cfg->nr_ram > VIOMMU_MAX_RAM || (cfg->nr_ram && !cfg->ram))
		return -EINVAL;
	for (unsigned int i = 0; i < cfg->nr_ram; i++) {
		/* A backend takes a size: the whole 64-bit space has none. */
		if (cfg->ram[i].last < cfg->ram[i].start ||
		    (cfg->ram[i].start == 0 && cfg->ram[i].last == UINT64_MAX))
			return -EINVAL;
	}
	for (unsigned int i = 0; i < cfg->nr_endpoints; i++) {
		const struct viommu_endpoint_config *e = &cfg->endpoints[i];
		uint64_t props = (uint64_t)(cfg->nr_resv + e->nr_resv) *
				 sizeof(struct virtio_iommu_probe_resv_mem);

		if (check_resv(e->resv, e->nr_resv) ||
		    check_probe_list(cfg, e))
			return -EINVAL;
		/* PROBE never runs out of room: checked once, here. */
		if (props > cfg->probe_size)
			return -EINVAL;
		if (e->backend && (!e->backend->map || !e->backend->unmap))
			return -EINVAL;
	}
	return 0;
}

static int ep_cmp(const void *a, const void *b)
{
	const struct viommu_ep *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

int viommu_create(const struct viommu_config *cfg, struct viommu_core **out)
{
	struct viommu_core *c;
	unsigned int done = 0;
	int ret;

	*out = NULL;
	ret = check_config(cfg);
	if (ret)
		return ret;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->eps = calloc(cfg->nr_endpoints, sizeof(*c->eps));
	c->doms = calloc(cfg->nr_endpoints + 1u, sizeof(*c->doms));
	if (!c->eps || !c->doms) {
		ret = -ENOMEM;
		goto err_free;
	}
	c->page_size_mask = cfg->page_size_mask;
	c->granule = cfg->page_size_mask & -cfg->page_size_mask;
	c->input_start = cfg->input_start;
	c->input_end = cfg->input_end;
	c->domain_start = cfg->domain_start;
	c->domain_end = cfg->domain_end;
	c->probe_size = cfg->probe_size;
	c->max_mappings = cfg->max_mappings;
	c->offer_bypass_config = cfg->offer_bypass_config;
	c->offer_mmio = cfg->offer_mmio;
	c->bypass = cfg->boot_bypass;
	c->nr_resv = cfg->nr_resv;
	if (cfg->nr_resv)
		memcpy(c->resv, cfg->resv, cfg->nr_resv * sizeof(c->resv[0]));
	c->nr_ram = cfg->nr_ram;
	if (cfg->nr_ram)
		memcpy(c->ram, cfg->ram, cfg->nr_ram * sizeof(c->ram[0]));
	c->nr_eps = cfg->nr_endpoints;
	c->nr_doms = cfg->nr_endpoints + 1u;
	for (unsigned int i = 0; i < c->nr_eps; i++) {
		const struct viommu_endpoint_config *e = &cfg->endpoints[i];
		struct viommu_ep *ep = &c->eps[i];

		ep->id = e->id;
		ep->backend = e->backend;
		ep->backend_ctx = e->backend_ctx;
		ep->nr_resv = e->nr_resv;
		if (e->nr_resv)
			memcpy(ep->resv, e->resv,
			       e->nr_resv * sizeof(ep->resv[0]));
	}
	qsort(c->eps, c->nr_eps, sizeof(c->eps[0]), ep_cmp);
	for (unsigned int i = 1; i < c->nr_eps; i++) {
		if (c->eps[i].id == c->eps[i - 1].id) {
			ret = -EINVAL;
			goto err_free;
		}
	}

	/* Power-on: unattached, bypassing or not as boot_bypass says. */
	for (done = 0; done < c->nr_eps; done++) {
		ret = viommu_view_map(c, &c->eps[done],
				      viommu_unattached_view(c));
		if (ret)
			goto err_unmap;
	}
	*out = c;
	return 0;

err_unmap:
	while (done--)
		viommu_view_teardown(c, &c->eps[done],
				     viommu_unattached_view(c));
err_free:
	free(c->doms);
	free(c->eps);
	free(c);
	return ret;
}

void viommu_destroy(struct viommu_core *c)
{
	if (!c)
		return;
	for (unsigned int i = 0; i < c->nr_eps; i++)
		viommu_view_teardown(c, &c->eps[i],
				     viommu_ep_view(c, &c->eps[i]));
	for (unsigned int i = 0; i < c->nr_doms; i++) {
		if (c->doms[i].live)
			viommu_dom_free(&c->doms[i]);
	}
	free(c->scratch);
	free(c->doms);
	free(c->eps);
	free(c);
}

int viommu_reset(struct viommu_core *c)
{
	int first = 0;

	for (unsigned int i = 0; i < c->nr_eps; i++) {
		struct viommu_ep *ep = &c->eps[i];
		int ret;

		if (!ep->domain)
			continue;
		ret = viommu_view_switch(c, ep, viommu_ep_view(c, ep),
					 viommu_unattached_view(c));
		if (ret) {
			/* The reset happens regardless: the driver is gone. */
			log_warn("viommu: endpoint %u: reset: backend error %d",
				 ep->id, ret);
			c->broken = true;
			if (!first)
				first = ret;
		}
		ep->domain = NULL;
	}
	for (unsigned int i = 0; i < c->nr_doms; i++) {
		if (c->doms[i].live)
			viommu_dom_free(&c->doms[i]);
	}
	c->negotiated = 0;
	for (unsigned int i = 0; i < c->nr_eps; i++)
		viommu_revoke(c, &c->eps[i]);
	/* broken stays: what a backend holds is unknown, and only the
	 * device layer can start it afresh (VFIO: a new container). */
	return first;
}

uint64_t viommu_features(const struct viommu_core *c)
{
	uint64_t f = 1ull << VIRTIO_IOMMU_F_INPUT_RANGE |
		     1ull << VIRTIO_IOMMU_F_DOMAIN_RANGE |
		     1ull << VIRTIO_IOMMU_F_MAP_UNMAP |
		     1ull << VIRTIO_IOMMU_F_PROBE;

	/* 5.13.3.2: new devices SHOULD NOT offer VIRTIO_IOMMU_F_BYPASS,
	 * which BYPASS_CONFIG supersedes. */
	if (c->offer_bypass_config)
		f |= 1ull << VIRTIO_IOMMU_F_BYPASS_CONFIG;
	if (c->offer_mmio)
		f |= 1ull << VIRTIO_IOMMU_F_MMIO;
	return f;
}

void viommu_set_features(struct viommu_core *c, uint64_t negotiated)
{
	c->negotiated = negotiated & viommu_features(c);
}

void viommu_config_fill(const struct viommu_core *c,
			struct virtio_iommu_config *out)
{
	memset(out, 0, sizeof(*out));
	out->page_size_mask = htole64(c->page_size_mask);
	out->input_start = htole64(c->input_start);
	out->input_end = htole64(c->input_end);
	out->domain_start = htole32(c->domain_start);
	out->domain_end = htole32(c->domain_end);
	out->probe_size = htole32(c->probe_size);
	out->bypass = c->offer_bypass_config && c->bypass;
}

int viommu_write_bypass(struct viommu_core *c, uint8_t v)
{
	bool want = v & 1;
	struct viommu_view from, to;
	unsigned int i;
	int ret = 0;

	if (!viommu_negotiated(c, VIRTIO_IOMMU_F_BYPASS_CONFIG))
		return 0;
	if (want == c->bypass)
		return 0;
	from = viommu_unattached_view(c);
	to.kind = want ? VIOMMU_VIEW_IDENTITY : VIOMMU_VIEW_NONE;
	to.dom = NULL;
	for (i = 0; i < c->nr_eps; i++) {
		if (c->eps[i].domain)
			continue;
		ret = viommu_view_switch(c, &c->eps[i], from, to);
		if (ret)
			goto err_undo;
	}
	c->bypass = want;
	for (i = 0; !want && i < c->nr_eps; i++)
		if (!c->eps[i].domain)
			viommu_revoke(c, &c->eps[i]);
	return 0;

err_undo:
	while (i--) {
		if (c->eps[i].domain)
			continue;
		if (viommu_view_switch(c, &c->eps[i], to, from))
			c->broken = true;
	}
	return ret;
}

/* The bytes from (start) on that [start, start + len - 1] has inside a
 * range ending at (last) >= start: len, or what is left before last. */
static uint64_t clip(uint64_t start, uint64_t len, uint64_t last)
{
	uint64_t room_m1 = last - start;	/* room - 1: never wraps */

	return len - 1 <= room_m1 ? len : room_m1 + 1;
}

enum viommu_xlate_kind viommu_translate(const struct viommu_core *c,
					uint32_t endpoint, iova_t iova,
					uint64_t len, bool write,
					struct viommu_xlate *out)
{
	const struct viommu_ep *ep = viommu_ep_find(c, endpoint);
	uint32_t access = write ? VIRTIO_IOMMU_FAULT_F_WRITE :
				  VIRTIO_IOMMU_FAULT_F_READ;
	const struct ms_mapping *m;
	const struct viommu_resv *r;
	uint32_t need;

	memset(out, 0, sizeof(*out));
	if (!len)
		len = 1;
	out->fault_flags = access | VIRTIO_IOMMU_FAULT_F_ADDRESS;
	if (!ep) {
		out->reason = VIRTIO_IOMMU_FAULT_R_UNKNOWN;
		return VIOMMU_XLATE_FAULT;
	}
	/* A DMA that wraps the address space reaches nothing. */
	if (len - 1 > UINT64_MAX - iova.v) {
		out->reason = VIRTIO_IOMMU_FAULT_R_MAPPING;
		return VIOMMU_XLATE_FAULT;
	}
	/*
	 * 5.13.6: an endpoint is in bypass mode when BYPASS_CONFIG is
	 * offered and bypass is 1 and it is unattached ("even if the driver
	 * does not accept" the feature), or when its domain is a bypass
	 * one; "all accesses ... are allowed and translated ... using the
	 * identity function".
	 */
	if (!ep->domain) {
		if (!(c->offer_bypass_config && c->bypass)) {
			/* "SHOULD NOT let unattached endpoints that are not
			 * in bypass mode access the guest-physical address
			 * space". */
			out->reason = VIRTIO_IOMMU_FAULT_R_DOMAIN;
			return VIOMMU_XLATE_FAULT;
		}
		goto identity;
	}
	if (ep->domain->bypass)
		goto identity;

	m = ms_lookup(&ep->domain->maps, iova.v);
	if (!m) {
		/* MAP refuses these, so only a miss can land in one. */
		r = viommu_resv_hit(c, ep, iova.v, iova.v, true);
		if (r) {
			out->gpa = gpa(iova.v);
			out->len = clip(iova.v, len, r->last);
			out->fault_flags = 0;
			return VIOMMU_XLATE_MSI;
		}
		out->reason = VIRTIO_IOMMU_FAULT_R_MAPPING;
		return VIOMMU_XLATE_FAULT;
	}
	/* 5.13.6.5.2: "The device MUST NOT allow writes to a range mapped
	 * without the VIRTIO_IOMMU_MAP_F_WRITE flag"; reads need READ too
	 * (write-only mappings exist: Linux maps DMA_FROM_DEVICE so). */
	need = write ? VIRTIO_IOMMU_MAP_F_WRITE : VIRTIO_IOMMU_MAP_F_READ;
	if (!(m->flags & need)) {
		out->reason = VIRTIO_IOMMU_FAULT_R_MAPPING;
		return VIOMMU_XLATE_FAULT;
	}
	out->gpa = gpa(m->gpa + (iova.v - m->iova));
	out->len = clip(iova.v, len, m->last);
	out->map_flags = m->flags;
	out->fault_flags = 0;
	return VIOMMU_XLATE_MAPPED;

identity:
	out->gpa = gpa(iova.v);
	out->len = len;
	out->fault_flags = 0;
	return VIOMMU_XLATE_BYPASS;
}

void viommu_revoke(struct viommu_core *c, struct viommu_ep *ep)
{
	ep->revocations++;
	c->revocations++;
}

void viommu_revoke_domain(struct viommu_core *c,
			  const struct viommu_domain *d)
{
	for (unsigned int i = 0; i < c->nr_eps; i++)
		if (c->eps[i].domain == d)
			viommu_revoke(c, &c->eps[i]);
}

uint64_t viommu_revocations(const struct viommu_core *c)
{
	return c->revocations;
}

uint64_t viommu_ep_revocations(const struct viommu_core *c, uint32_t endpoint)
{
	const struct viommu_ep *ep = viommu_ep_find(c, endpoint);

	return ep ? ep->revocations : 0;
}

bool viommu_is_broken(const struct viommu_core *c)
{
	return c->broken;
}

void viommu_get_stats(const struct viommu_core *c, struct viommu_stats *out)
{
	const struct viommu_metrics *m = &c->metrics;

	out->requests = atomic_load(&m->request_count.count);
	out->errors = atomic_load(&m->error_count.count);
	out->unanswered = atomic_load(&m->unanswered_count.count);
	out->backend_errors = atomic_load(&m->backend_fails.count);
}

struct viommu_metrics *viommu_core_metrics(struct viommu_core *c)
{
	return &c->metrics;
}
