/* SPDX-License-Identifier: Apache-2.0 */
/* devices/iommu/viommu_priv.h: state shared by the viommu_*.c files. */
#ifndef IGNIS_VIOMMU_PRIV_H
#define IGNIS_VIOMMU_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "devices/iommu/mapstore.h"
#include "devices/iommu/viommu_core.h"

/*
 * Who does what:
 *  viommu_core.c  lifecycle, lookups, configuration, translation
 *  viommu_view.c  keeping backends equal to what endpoints may reach,
 *                 with rollback
 *  viommu_ops.c   ATTACH, DETACH, MAP, UNMAP on host-order arguments
 *  viommu_req.c   chains: layout, gather, dispatch, PROBE, the tail
 */

/* One domain: a slot that is live while an endpoint is attached. */
struct viommu_domain {
	uint32_t id;			/* the driver's domain id */
	bool live;			/* slot in use */
	bool bypass;			/* created with ATTACH_F_BYPASS */
	unsigned int nr_endpoints;	/* attached endpoints (> 0 if live) */
	unsigned int nr_backed;		/* of which have a backend */
	struct mapstore maps;		/* its mappings (empty if bypass) */
};

/* One endpoint, fixed at creation. */
struct viommu_ep {
	uint32_t id;				/* endpoint id */
	struct viommu_domain *domain;		/* attached to, or NULL */
	const struct dma_backend_ops *backend;	/* NULL: emulated */
	void *backend_ctx;			/* backend's argument */
	unsigned int nr_resv;			/* entries in resv[] */
	struct viommu_resv resv[VIOMMU_MAX_RESV]; /* its own regions */
	uint64_t revocations;			/* viommu_ep_revocations() */
};

struct viommu_core {
	uint64_t page_size_mask;	/* as configured */
	uint64_t granule;		/* lowest bit of page_size_mask */
	uint64_t input_start;		/* input_range */
	uint64_t input_end;
	uint32_t domain_start;		/* domain_range */
	uint32_t domain_end;
	uint32_t probe_size;		/* bytes of PROBE properties */
	size_t max_mappings;		/* per domain */
	bool offer_bypass_config;	/* BYPASS_CONFIG offered */
	bool offer_mmio;		/* MMIO offered */
	bool bypass;			/* config field bypass, 0 or 1 */
	bool broken;			/* a rollback failed */
	uint64_t negotiated;		/* driver features, or 0 */
	unsigned int nr_resv;		/* entries in resv[] */
	struct viommu_resv resv[VIOMMU_MAX_RESV];	/* every endpoint's */
	unsigned int nr_ram;		/* entries in ram[] */
	struct viommu_range ram[VIOMMU_MAX_RAM];	/* bypass identity */
	unsigned int nr_eps;		/* entries in eps[] */
	struct viommu_ep *eps;		/* sorted by id */
	unsigned int nr_doms;		/* slots in doms[]: nr_eps + 1 */
	struct viommu_domain *doms;	/* domain slots */
	struct ms_mapping *scratch;	/* UNMAP's removed mappings, kept
					 * for rollback */
	size_t scratch_cap;		/* entries scratch can hold */
	struct viommu_metrics metrics;	/* counters */
	uint64_t revocations;		/* see viommu_revocations() */
};

/* What an endpoint's backend must hold (see dma_backend.h). */
enum viommu_view_kind {
	VIOMMU_VIEW_NONE,	/* nothing: DMA faults */
	VIOMMU_VIEW_IDENTITY,	/* guest RAM, identity */
	VIOMMU_VIEW_DOMAIN,	/* the mappings of dom */
};

struct viommu_view {
	enum viommu_view_kind kind;	/* which */
	struct viommu_domain *dom;	/* VIOMMU_VIEW_DOMAIN only */
};

/* viommu_core.c */
struct viommu_ep *viommu_ep_find(const struct viommu_core *c, uint32_t id);
struct viommu_domain *viommu_dom_find(const struct viommu_core *c,
				      uint32_t id);
/* A free slot made live as domain (id), empty; NULL never happens while
 * the slot count holds (nr_eps + 1), but is checked. */
struct viommu_domain *viommu_dom_new(struct viommu_core *c, uint32_t id,
				     bool bypass);
/* Frees the slot and its mappings (no backend calls: callers have
 * switched every endpoint away first). */
void viommu_dom_free(struct viommu_domain *d);
/* Whether [start, last] overlaps a reserved region of (ep) or a global
 * one; (msi_only) looks at MSI regions alone. Returns the region or
 * NULL. */
const struct viommu_resv *viommu_resv_hit(const struct viommu_core *c,
					  const struct viommu_ep *ep,
					  uint64_t start, uint64_t last,
					  bool msi_only);

/* Access was taken away from (ep), or from every endpoint attached to
 * (d): counted for viommu_revocations() and viommu_ep_revocations(). */
void viommu_revoke(struct viommu_core *c, struct viommu_ep *ep);
void viommu_revoke_domain(struct viommu_core *c,
			  const struct viommu_domain *d);

/* viommu_view.c */
/* The view (ep) has now; the one it has unattached (bypass or none). */
struct viommu_view viommu_ep_view(const struct viommu_core *c,
				  const struct viommu_ep *ep);
struct viommu_view viommu_unattached_view(const struct viommu_core *c);
struct viommu_view viommu_domain_view(struct viommu_domain *d);
/*
 * Moves (ep)'s backend from view (from) to (to): unmaps the one, maps
 * the other. On failure puts (from) back and returns the -errno; if that
 * fails too, c->broken. 0 with no backend or equal views.
 */
int viommu_view_switch(struct viommu_core *c, struct viommu_ep *ep,
		       struct viommu_view from, struct viommu_view to);
/* Maps (ep)'s view on its backend, all or nothing (-errno). */
int viommu_view_map(struct viommu_core *c, struct viommu_ep *ep,
		    struct viommu_view v);
/* Unmaps it, best effort for teardown: returns the first -errno. */
int viommu_view_teardown(struct viommu_core *c, struct viommu_ep *ep,
			 struct viommu_view v);
/*
 * Adds [iova, last] -> gpa (flags) to (d) and to the backend of every
 * endpoint attached to it. All or nothing: on a backend failure the
 * endpoints already done are unmapped and the mapping leaves the store.
 * Returns 0 or -errno: ms_map()'s (-EEXIST, -ENOMEM, -EINVAL) or the
 * backend's.
 */
int viommu_fanout_map(struct viommu_core *c, struct viommu_domain *d,
		      uint64_t iova, uint64_t last, uint64_t gpa,
		      uint32_t flags);
/*
 * Removes the mappings inside [iova, last] from (d) and from the
 * backends of its endpoints. All or nothing: on a backend failure the
 * removed mappings are put back in the store and on the backends already
 * done. Returns the number removed or -errno: ms_unmap()'s (-ERANGE,
 * -EINVAL), -ENOMEM (no room to keep them for rollback) or the
 * backend's.
 */
long viommu_fanout_unmap(struct viommu_core *c, struct viommu_domain *d,
			 uint64_t iova, uint64_t last);

/* viommu_ops.c: each returns a VIRTIO_IOMMU_S_* status. */
uint8_t viommu_do_attach(struct viommu_core *c, uint32_t domain,
			 uint32_t endpoint, uint32_t flags);
uint8_t viommu_do_detach(struct viommu_core *c, uint32_t domain,
			 uint32_t endpoint);
uint8_t viommu_do_map(struct viommu_core *c, uint32_t domain,
		      uint64_t virt_start, uint64_t virt_end,
		      uint64_t phys_start, uint32_t flags);
uint8_t viommu_do_unmap(struct viommu_core *c, uint32_t domain,
			uint64_t virt_start, uint64_t virt_end);
/* A backend's -errno as the status the guest sees (dma_backend.h). */
uint8_t viommu_status_of(int err);

static inline bool viommu_negotiated(const struct viommu_core *c,
				     unsigned int bit)
{
	return c->negotiated & (1ull << bit);
}

#endif
