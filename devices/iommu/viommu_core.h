/* SPDX-License-Identifier: Apache-2.0 */
/* devices/iommu/viommu_core.h: virtio-iommu state and requests (5.13). */
#ifndef IGNIS_VIOMMU_CORE_H
#define IGNIS_VIOMMU_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "devices/iommu/dma_backend.h"
#include "devices/iommu/viommu_proto.h"
#include "devices/virtio/queue.h"
#include "vmm/gmem.h"
#include "vmm/metrics.h"

/*
 * The virtio-iommu without its transport: endpoints, domains and their
 * mappings, the requests of the request queue, the configuration space
 * and the translation query. Pure code over plain structs and popped
 * chains (struct vq_chain), as blk_req.c: no thread, no KVM, no fd.
 *
 * Threading: one thread at a time (the iommu's worker). The device layer
 * brings config writes (bypass) and resets onto that thread; readers of
 * viommu_translate() on other threads go through the translation layer
 * (viommu_dma.h), which adds the locking and the quiescence rule.
 *
 * Endpoint ids are chosen by the VMM and fixed at creation (5.13.6.3:
 * "platform specific"). ignis's numbering: the virtio-mmio device in
 * slot n has endpoint id n, the id its VIOT MMIO endpoint node carries.
 *
 * Host memory is bounded by the configuration: a domain exists only
 * while an endpoint is attached to it, so there are never more than
 * nr_endpoints + 1 domains (the +1 while one endpoint moves), each with
 * at most max_mappings mappings (beyond: VIRTIO_IOMMU_S_NOMEM).
 */

#define VIOMMU_MAX_ENDPOINTS	256	/* endpoints one iommu serves */
#define VIOMMU_MAX_RESV		16	/* reserved regions, per list */
#define VIOMMU_MAX_RAM		8	/* RAM ranges bypass maps */
#define VIOMMU_MAX_PROBE_SIZE	4096	/* largest probe_size accepted */

/* A reserved IOVA region, announced by PROBE as a RESV_MEM property. */
struct viommu_resv {
	uint64_t start;		/* first byte */
	uint64_t last;		/* last byte (inclusive) */
	uint8_t subtype;	/* VIRTIO_IOMMU_RESV_MEM_T_* */
};

/* A guest-physical range [start, last]. */
struct viommu_range {
	uint64_t start;		/* first byte */
	uint64_t last;		/* last byte (inclusive) */
};

/* One endpoint behind the iommu. */
struct viommu_endpoint_config {
	uint32_t id;				/* unique endpoint id */
	const struct dma_backend_ops *backend;	/* NULL: emulated device */
	void *backend_ctx;			/* (backend)'s first argument */
	const struct viommu_resv *resv;		/* this endpoint's own
						 * reserved regions */
	unsigned int nr_resv;			/* entries in resv[] */
};

/* What viommu_create() builds; every array is copied. */
struct viommu_config {
	uint64_t page_size_mask;	/* >= 1 bit; lowest = granule */
	uint64_t input_start;		/* IOVAs the iommu translates: */
	uint64_t input_end;		/* [input_start, input_end] */
	uint32_t domain_start;		/* domain ids accepted: */
	uint32_t domain_end;		/* [domain_start, domain_end] */
	uint32_t probe_size;		/* <= VIOMMU_MAX_PROBE_SIZE; holds
					 * every endpoint's properties */
	size_t max_mappings;		/* per domain, > 0 */
	bool offer_bypass_config;	/* offer VIRTIO_IOMMU_F_BYPASS_CONFIG */
	bool boot_bypass;		/* bypass's value at power-on (needs
					 * offer_bypass_config) */
	bool offer_mmio;		/* offer VIRTIO_IOMMU_F_MMIO */
	const struct viommu_resv *resv;	/* every endpoint's reserved
					 * regions: x86's MSI window */
	unsigned int nr_resv;		/* entries in resv[] */
	const struct viommu_range *ram;	/* guest RAM, identity-mapped on
					 * backends in bypass mode (none:
					 * bypassing VFIO DMA faults) */
	unsigned int nr_ram;		/* entries in ram[] */
	const struct viommu_endpoint_config *endpoints;	/* behind us */
	unsigned int nr_endpoints;	/* 1..VIOMMU_MAX_ENDPOINTS */
};

/* What a translation found (viommu_translate()). */
enum viommu_xlate_kind {
	VIOMMU_XLATE_MAPPED,	/* a mapping of the endpoint's domain */
	VIOMMU_XLATE_BYPASS,	/* bypass mode: identity */
	VIOMMU_XLATE_MSI,	/* an MSI doorbell region: identity, to the
				 * interrupt controller, never RAM */
	VIOMMU_XLATE_FAULT,	/* no access: report it, fail the DMA */
};

struct viommu_xlate {
	gpa_t gpa;		/* where iova lands (all but FAULT) */
	uint64_t len;		/* bytes from iova that go to gpa on, <= the
				 * length asked: a buffer spanning two
				 * mappings takes two calls */
	uint32_t map_flags;	/* MAPPED: VIRTIO_IOMMU_MAP_F_* (MMIO: the
				 * target is not RAM) */
	uint8_t reason;		/* FAULT: VIRTIO_IOMMU_FAULT_R_* */
	uint32_t fault_flags;	/* FAULT: VIRTIO_IOMMU_FAULT_F_*, ready for
				 * the event queue's report */
};

/*
 * The device's counters, flushed as the "iommu" metrics (an ignis
 * extension of Firecracker's): guest errors are counted, not logged each
 * time. The core counts requests; the translated-DMA side, faults.
 */
#define VIOMMU_METRICS(X)                                                     \
	X(request_count) X(attach_count) X(detach_count) X(map_count)         \
	X(unmap_count) X(probe_count) X(error_count) X(unanswered_count)      \
	X(backend_fails) X(fault_count) X(faults_dropped)
METRICS_STRUCT(viommu_metrics, VIOMMU_METRICS);

/* A copy of the request counters (viommu_get_stats()). */
struct viommu_stats {
	uint64_t requests;	/* chains handled */
	uint64_t errors;	/* answered with a status other than OK */
	uint64_t unanswered;	/* used length 0: malformed or unknown */
	uint64_t backend_errors;	/* backend calls that failed */
};

struct viommu_core;

/*
 * Creates the iommu of (cfg). Checks the configuration (-EINVAL: no
 * endpoint or too many, duplicate ids, an empty page_size_mask, inverted
 * ranges, reserved regions inverted, too many, overlapping in one
 * endpoint's PROBE list or with two MSI windows, probe_size too small
 * for an endpoint's properties or too large, boot_bypass without
 * offer_bypass_config, max_mappings 0), then programs every backend with
 * its power-on view (guest RAM while boot bypass is on). Returns 0,
 * -EINVAL, -ENOMEM or a backend's -errno (nothing left mapped). Main
 * thread, before the worker exists.
 */
int viommu_create(const struct viommu_config *cfg, struct viommu_core **out);

/* Unmaps what backends still hold (best effort) and frees (c). NULL ok. */
void viommu_destroy(struct viommu_core *c);

/*
 * Device reset (5.13.5: "When the device is reset, endpoints are not
 * attached to any domain"): every endpoint detached, every domain and
 * mapping gone, negotiated features cleared; bypass keeps its value
 * ("SHOULD NOT change on device reset", 5.13.4.2). Backends are left
 * with the unattached view. Returns 0, or the first backend -errno (the
 * state is reset anyway and the core is marked broken).
 */
int viommu_reset(struct viommu_core *c);

/* Feature bits the device offers (5.13.3), VERSION_1 excluded: the
 * transport's. */
uint64_t viommu_features(const struct viommu_core *c);

/* The driver's accepted features, at FEATURES_OK; requests check them
 * (MAP_F_MMIO needs MMIO, ATTACH_F_BYPASS needs BYPASS_CONFIG,
 * MAP/UNMAP need MAP_UNMAP). */
void viommu_set_features(struct viommu_core *c, uint64_t negotiated);

/* Fills (out) with the configuration space, little-endian (5.13.4). */
void viommu_config_fill(const struct viommu_core *c,
			struct virtio_iommu_config *out);

/*
 * The driver wrote (v) to config field bypass. Only with BYPASS_CONFIG
 * negotiated (5.13.4.1: "the driver MAY write to bypass"), else ignored;
 * only bit 0 counts, so the field never reads other than 0 or 1
 * (5.13.4.2 MUST). Switches the backends of unattached endpoints.
 * Returns 0 or a backend's -errno (nothing changed: the device layer
 * may set DEVICE_NEEDS_RESET).
 */
int viommu_write_bypass(struct viommu_core *c, uint8_t v);

/*
 * Handles one request chain popped from the request queue: parses it,
 * executes it and writes its answer into the chain's writable buffers.
 * Returns the used length to give vq_push(): bytes written from the
 * start of the writable part. Never fails: every problem is answered in
 * the chain or, when there is nowhere to write (no 4-byte tail) or the
 * type is unknown, by a used length of 0 with nothing written
 * (5.13.6.2). Worker thread only.
 */
uint32_t viommu_handle_request(struct viommu_core *c,
			       const struct vq_chain *chain);

/*
 * Translates a DMA of (len) bytes (0 counts as 1) at (iova) by endpoint
 * (endpoint), a write when (write), through its domain or bypass mode.
 * Fills (out) and returns its kind. A FAULT says why (unknown endpoint:
 * R_UNKNOWN; unattached, not bypassing: R_DOMAIN; no mapping, a wrapping
 * range or a missing permission: R_MAPPING with F_READ/F_WRITE and
 * F_ADDRESS); MAPPED may cover less than (len): call again at iova +
 * out->len. Reads only; same thread rules as the rest.
 */
enum viommu_xlate_kind viommu_translate(const struct viommu_core *c,
					uint32_t endpoint, iova_t iova,
					uint64_t len, bool write,
					struct viommu_xlate *out);

/*
 * How many times the core took access away from endpoints: an ATTACH
 * that moved one, a DETACH, an UNMAP that removed a mapping, bypass
 * switched off, a reset. When it moves, translations taken before may
 * be stale (the translation layer waits for them to go).
 */
uint64_t viommu_revocations(const struct viommu_core *c);

/* The same count for endpoint (endpoint) alone (0 if unknown): the
 * translation layer waits only for the devices whose access went. */
uint64_t viommu_ep_revocations(const struct viommu_core *c, uint32_t endpoint);

/*
 * Whether a rollback failed, leaving a backend unlike the domains: the
 * device layer sets DEVICE_NEEDS_RESET. Sticky, resets included: what
 * the backend holds is unknown until the device layer starts it afresh
 * (for VFIO, a new container) and creates a new core.
 */
bool viommu_is_broken(const struct viommu_core *c);

/* Copies the request counters into (out). */
void viommu_get_stats(const struct viommu_core *c, struct viommu_stats *out);

/* The counters themselves, which other threads add to and the VMM
 * flushes. */
struct viommu_metrics *viommu_core_metrics(struct viommu_core *c);

#endif
