/* SPDX-License-Identifier: Apache-2.0 */
/* devices/iommu/viommu_ops.c: ATTACH, DETACH, MAP, UNMAP semantics. */
#include "viommu_priv.h"

#include <errno.h>

/*
 * Checks come in the order the spec lists them, so that one request with
 * two faults gets the status of the first; where the spec is silent, the
 * cheaper check first. Section numbers: virtio 1.2 / 1.3, 5.13.6.x.
 */

uint8_t viommu_status_of(int err)
{
	switch (err) {
	case 0:
		return VIRTIO_IOMMU_S_OK;
	case -EFAULT:
		return VIRTIO_IOMMU_S_FAULT;
	case -ENOMEM:
	case -ENOSPC:
		return VIRTIO_IOMMU_S_NOMEM;
	default:
		return VIRTIO_IOMMU_S_DEVERR;
	}
}

/*
 * 5.13.6.1: "the driver MUST NOT send requests with domain less than
 * domain_range.start or greater than domain_range.end". The device side
 * names no status; a domain outside the range is an "out-of-range
 * parameter", so RANGE, before any lookup, in every request.
 */
static bool domain_ok(const struct viommu_core *c, uint32_t id)
{
	return id >= c->domain_start && id <= c->domain_end;
}

static void link_ep(struct viommu_ep *ep, struct viommu_domain *d)
{
	ep->domain = d;
	d->nr_endpoints++;
	if (ep->backend)
		d->nr_backed++;
}

/* Takes (ep) off its domain; the domain dies with its last endpoint
 * (5.13.6.4: "After all endpoints have been successfully detached from a
 * domain, it ceases to exist"), and its mappings with it. */
static void unlink_ep(struct viommu_ep *ep)
{
	struct viommu_domain *d = ep->domain;

	ep->domain = NULL;
	d->nr_endpoints--;
	if (ep->backend)
		d->nr_backed--;
	if (!d->nr_endpoints)
		viommu_dom_free(d);
}

struct resv_probe {
	const struct viommu_ep *ep;	/* whose own regions */
	bool hit;			/* a mapping overlaps one */
};

static int resv_check(void *ctx, const struct ms_mapping *m)
{
	struct resv_probe *p = ctx;

	for (unsigned int i = 0; i < p->ep->nr_resv; i++) {
		if (m->iova <= p->ep->resv[i].last &&
		    p->ep->resv[i].start <= m->last) {
			p->hit = true;
			return 1;
		}
	}
	return 0;
}

uint8_t viommu_do_attach(struct viommu_core *c, uint32_t domain,
			 uint32_t endpoint, uint32_t flags)
{
	uint32_t known = 0;
	struct viommu_domain *d;
	struct viommu_ep *ep;
	bool created = false;
	bool bypass;
	uint8_t status;
	int ret;

	/*
	 * 5.13.6.3.2: "If the device does not recognize a flags bit, it
	 * MUST reject the request and set status to VIRTIO_IOMMU_S_INVAL."
	 * ATTACH_F_BYPASS exists only with BYPASS_CONFIG (5.13.6.3: "When
	 * the VIRTIO_IOMMU_F_BYPASS_CONFIG is negotiated, the driver can
	 * set..."); without it the bit is as unknown as any other.
	 */
	if (viommu_negotiated(c, VIRTIO_IOMMU_F_BYPASS_CONFIG))
		known |= VIRTIO_IOMMU_ATTACH_F_BYPASS;
	if (flags & ~known)
		return VIRTIO_IOMMU_S_INVAL;
	/* "If the endpoint ... doesn't exist, the device MUST reject the
	 * request and set status to VIRTIO_IOMMU_S_NOENT." */
	ep = viommu_ep_find(c, endpoint);
	if (!ep)
		return VIRTIO_IOMMU_S_NOENT;
	if (!domain_ok(c, domain))
		return VIRTIO_IOMMU_S_RANGE;
	bypass = flags & VIRTIO_IOMMU_ATTACH_F_BYPASS;
	d = viommu_dom_find(c, domain);
	/* "If the domain already exists and the VIRTIO_IOMMU_ATTACH_F_BYPASS
	 * flag is not consistent with that domain, the device SHOULD reject
	 * the request and set status to VIRTIO_IOMMU_S_INVAL." */
	if (d && d->bypass != bypass)
		return VIRTIO_IOMMU_S_INVAL;
	/*
	 * Already attached there: nothing to do. The detach-then-attach
	 * rule is for "another domain"; applied here it would destroy the
	 * domain's mappings when (ep) is its only endpoint (QEMU does), a
	 * surprise no driver asks for.
	 */
	if (d && ep->domain == d)
		return VIRTIO_IOMMU_S_OK;
	if (!d) {
		d = viommu_dom_new(c, domain, bypass);
		if (!d)
			return VIRTIO_IOMMU_S_NOMEM;
		created = true;
	}
	/*
	 * "If properties of the endpoint (obtained with a PROBE request) are
	 * compatible with properties of other endpoints already attached to
	 * the requested domain, then the device SHOULD attach the endpoint.
	 * Otherwise ... VIRTIO_IOMMU_S_UNSUPP": a mapping that lies in one
	 * of this endpoint's own reserved regions is such a clash. (Global
	 * regions are refused by MAP, so no domain holds one.)
	 */
	if (!d->bypass && ep->nr_resv && ms_count(&d->maps)) {
		struct resv_probe p = { .ep = ep };

		ms_for_each(&d->maps, resv_check, &p);
		if (p.hit) {
			status = VIRTIO_IOMMU_S_UNSUPP;
			goto err_free;
		}
	}
	/*
	 * "If the endpoint ... is already attached to another domain, then
	 * the device SHOULD first detach it from that domain and attach it
	 * to the one identified by domain." The backend moves in one step
	 * (old mappings out, new ones replayed in); if that fails it is
	 * moved back and the endpoint stays where it was, so a failed
	 * ATTACH changes nothing.
	 */
	ret = viommu_view_switch(c, ep, viommu_ep_view(c, ep),
				 viommu_domain_view(d));
	if (ret) {
		status = viommu_status_of(ret);
		goto err_free;
	}
	if (ep->domain)
		unlink_ep(ep);
	link_ep(ep, d);
	viommu_revoke(c, ep);	/* what it reached before is gone */
	return VIRTIO_IOMMU_S_OK;

err_free:
	if (created)
		viommu_dom_free(d);
	return status;
}

uint8_t viommu_do_detach(struct viommu_core *c, uint32_t domain,
			 uint32_t endpoint)
{
	struct viommu_ep *ep;
	int ret;

	/* 5.13.6.4.2: "If the endpoint ... doesn't exist, then the device
	 * MUST reject the request and set status to VIRTIO_IOMMU_S_NOENT." */
	ep = viommu_ep_find(c, endpoint);
	if (!ep)
		return VIRTIO_IOMMU_S_NOENT;
	if (!domain_ok(c, domain))
		return VIRTIO_IOMMU_S_RANGE;
	/* "If the domain ... doesn't exist, or if the endpoint ... isn't
	 * attached to this domain, then the device MAY set the request
	 * status to VIRTIO_IOMMU_S_INVAL." We do: nothing to detach. */
	if (!ep->domain || ep->domain->id != domain)
		return VIRTIO_IOMMU_S_INVAL;
	/* "The device MUST ensure that after being detached from a domain,
	 * the endpoint cannot access any mapping from that domain": the
	 * backend lets go before the answer; it may then bypass. */
	ret = viommu_view_switch(c, ep, viommu_ep_view(c, ep),
				 viommu_unattached_view(c));
	if (ret)
		return viommu_status_of(ret);
	unlink_ep(ep);
	viommu_revoke(c, ep);
	return VIRTIO_IOMMU_S_OK;
}

/* Whether [start, last] touches a region reserved for (d)'s endpoints. */
static bool hits_resv(const struct viommu_core *c,
		      const struct viommu_domain *d, uint64_t start,
		      uint64_t last)
{
	if (viommu_resv_hit(c, NULL, start, last, false))
		return true;
	for (unsigned int i = 0; i < c->nr_eps; i++) {
		const struct viommu_ep *ep = &c->eps[i];

		if (ep->domain != d || !ep->nr_resv)
			continue;
		for (unsigned int j = 0; j < ep->nr_resv; j++) {
			if (start <= ep->resv[j].last &&
			    ep->resv[j].start <= last)
				return true;
		}
	}
	return false;
}

/*
 * What MAP (5.13.6.5) and UNMAP (5.13.6.6.2) check of their domain and
 * range, in this order: the id in domain_range (RANGE); "If domain does
 * not exist, the device SHOULD ... set status to VIRTIO_IOMMU_S_NOENT";
 * "If the domain is a bypass domain, the device SHOULD reject the request
 * and set status to VIRTIO_IOMMU_S_INVAL"; and "virt_end MUST be strictly
 * greater than virt_start" (driver): an inverted range is INVAL (equal
 * passes on, to MAP's alignment check, which it only survives with a
 * one-byte granule). S_OK with the domain in (*out).
 */
static uint8_t mapping_domain(struct viommu_core *c, uint32_t domain,
			      uint64_t virt_start, uint64_t virt_end,
			      struct viommu_domain **out)
{
	if (!domain_ok(c, domain))
		return VIRTIO_IOMMU_S_RANGE;
	*out = viommu_dom_find(c, domain);
	if (!*out)
		return VIRTIO_IOMMU_S_NOENT;
	if ((*out)->bypass || virt_end < virt_start)
		return VIRTIO_IOMMU_S_INVAL;
	return VIRTIO_IOMMU_S_OK;
}

uint8_t viommu_do_map(struct viommu_core *c, uint32_t domain,
		      uint64_t virt_start, uint64_t virt_end,
		      uint64_t phys_start, uint32_t flags)
{
	uint32_t known = VIRTIO_IOMMU_MAP_F_READ | VIRTIO_IOMMU_MAP_F_WRITE;
	uint64_t mask = c->granule - 1;
	struct viommu_domain *d;
	uint8_t st;
	int ret;

	/* 5.13.6.5: "This request is only available when
	 * VIRTIO_IOMMU_F_MAP_UNMAP has been negotiated." */
	if (!viommu_negotiated(c, VIRTIO_IOMMU_F_MAP_UNMAP))
		return VIRTIO_IOMMU_S_UNSUPP;
	/*
	 * 5.13.6.5.2: "If the device doesn't recognize a flags bit, it MUST
	 * reject the request and set status to VIRTIO_IOMMU_S_INVAL." MMIO
	 * "is only available when the VIRTIO_IOMMU_F_MMIO feature has been
	 * negotiated" (and GUARDS row 12: no DMA into device registers
	 * unless asked for).
	 */
	if (viommu_negotiated(c, VIRTIO_IOMMU_F_MMIO))
		known |= VIRTIO_IOMMU_MAP_F_MMIO;
	if (flags & ~known)
		return VIRTIO_IOMMU_S_INVAL;
	st = mapping_domain(c, domain, virt_start, virt_end, &d);
	if (st != VIRTIO_IOMMU_S_OK)
		return st;
	/* "If virt_start, phys_start or (virt_end + 1) is not aligned on
	 * the page granularity, the device SHOULD reject the request and
	 * set status to VIRTIO_IOMMU_S_RANGE." (virt_end + 1 may wrap to 0,
	 * which is aligned.) */
	if ((virt_start | phys_start | (virt_end + 1)) & mask)
		return VIRTIO_IOMMU_S_RANGE;
	/* 5.13.6: with INPUT_RANGE, "Any mapping request to virtual
	 * addresses outside of this range fails". */
	if (virt_start < c->input_start || virt_end > c->input_end)
		return VIRTIO_IOMMU_S_RANGE;
	/* All 2^64 bytes: no size a backend could be given, and what a
	 * bypass domain is for. phys_end = phys_start + virt_end -
	 * virt_start must not wrap either ("should be within the
	 * guest-physical address space"). */
	if ((virt_start == 0 && virt_end == UINT64_MAX) ||
	    virt_end - virt_start > UINT64_MAX - phys_start)
		return VIRTIO_IOMMU_S_RANGE;
	/* 5.13.6.8.1.2: "The device SHOULD reject a MAP request that
	 * overlaps a RESV_MEM region." No status is named; the range is
	 * taken, as by an existing mapping, so INVAL as for that. */
	if (hits_resv(c, d, virt_start, virt_end))
		return VIRTIO_IOMMU_S_INVAL;

	ret = viommu_fanout_map(c, d, virt_start, virt_end, phys_start, flags);
	switch (ret) {
	case 0:
		return VIRTIO_IOMMU_S_OK;
	case -EEXIST:
		/* "If a mapping already exists in the requested range, the
		 * device SHOULD reject the request and set status to
		 * VIRTIO_IOMMU_S_INVAL." */
		return VIRTIO_IOMMU_S_INVAL;
	case -EINVAL:
		return VIRTIO_IOMMU_S_INVAL;
	default:
		/* -ENOMEM: the domain's limit ("Insufficient resources") or
		 * the host's; else a backend's error. */
		return viommu_status_of(ret);
	}
}

uint8_t viommu_do_unmap(struct viommu_core *c, uint32_t domain,
			uint64_t virt_start, uint64_t virt_end)
{
	struct viommu_domain *d;
	uint8_t st;
	long ret;

	/* 5.13.6.6: "only available when VIRTIO_IOMMU_F_MAP_UNMAP has been
	 * negotiated." */
	if (!viommu_negotiated(c, VIRTIO_IOMMU_F_MAP_UNMAP))
		return VIRTIO_IOMMU_S_UNSUPP;
	st = mapping_domain(c, domain, virt_start, virt_end, &d);
	if (st != VIRTIO_IOMMU_S_OK)
		return st;
	/* 5.13.6.1: with INPUT_RANGE "the driver MUST NOT send requests
	 * with virt_start less than input_range.start or virt_end greater
	 * than input_range.end". */
	if (virt_start < c->input_start || virt_end > c->input_end)
		return VIRTIO_IOMMU_S_RANGE;
	/*
	 * "If a mapping affected by the range is not covered in its
	 * entirety by the range (the UNMAP request would split the
	 * mapping), then the device SHOULD set the request status to
	 * VIRTIO_IOMMU_S_RANGE, and SHOULD NOT remove any mapping." A range
	 * over nothing, or partly over nothing, is OK (examples 1, 6, 7).
	 */
	ret = viommu_fanout_unmap(c, d, virt_start, virt_end);
	if (ret > 0)
		viommu_revoke_domain(c, d);
	if (ret >= 0)
		return VIRTIO_IOMMU_S_OK;
	switch (ret) {
	case -ERANGE:
		return VIRTIO_IOMMU_S_RANGE;
	case -EINVAL:
		return VIRTIO_IOMMU_S_INVAL;
	default:
		return viommu_status_of((int)ret);
	}
}
