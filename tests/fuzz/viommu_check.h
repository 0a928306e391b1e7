/* SPDX-License-Identifier: Apache-2.0 */
/* tests/fuzz/viommu_check.h: fuzz_viommu's checks of a virtio-iommu core. */
#ifndef IGNIS_FUZZ_VIOMMU_CHECK_H
#define IGNIS_FUZZ_VIOMMU_CHECK_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/iommu/viommu_priv.h"
#include "support/recording_backend.h"

#define VC_MAX_MAPS 1024 /* largest max_mappings fuzz_viommu sets */
#define VC_MAX_EPS 4

/* What the guest can observe of a core: attachments, and each domain's
 * mappings as a count and a hash (FNV-1a over iova, last, gpa, flags in
 * IOVA order): two states are told apart without copying a tree. */
struct vc_snap {
	bool bypass; /* config field */
	int64_t ep_dom[VC_MAX_EPS]; /* domain id, or -1 */
	unsigned int nr_dom;
	struct vc_dom {
		uint32_t id;
		bool bypass;
		size_t nr;
		uint64_t hash;
	} dom[VC_MAX_EPS + 1]; /* by id */
};

/* (light): counts only, no hash: O(domains), for the batches, whose
 * requests touch one domain and are checked by lookups too. */
void vc_snapshot(const struct viommu_core *c, struct vc_snap *s, bool light);
bool vc_same(const struct vc_snap *a, const struct vc_snap *b);

/*
 * The core's own invariants after any request: every live domain's
 * store passes ms_check() (devices/iommu/mapstore_check.c) within its
 * limit, with no mapping in a reserved region; domains and endpoints
 * agree on who is attached where (5.13.6.4: a domain lives while an
 * endpoint is attached); and, unless a rollback failed (the core is then
 * broken and the device resets), each recording backend (rb[i] for
 * endpoint slot i, NULL: emulated) holds exactly what its endpoint may
 * reach (dma_backend.h) and saw no breach of the map/unmap contract.
 */
void vc_check(const struct viommu_core *c, struct rec_backend *const *rb);

/*
 * Translation agrees with the mappings: for every attached endpoint and
 * every mapping of its domain (an even sample of 64 in a larger one),
 * both ends translate to their gpa when the
 * flags allow the access, and fault otherwise (5.13.6.5.2: "The device
 * MUST NOT allow writes to a range mapped without the
 * VIRTIO_IOMMU_MAP_F_WRITE flag"). O(mappings).
 */
void vc_check_translate_all(const struct viommu_core *c);

/* The same around one request's range [lo, hi]: lo - 1, lo, hi, hi + 1,
 * reads and writes of 1 and 2 bytes, for every endpoint; or (domain >= 0)
 * for those attached to that domain, what a MAP or UNMAP there changes.
 * (quick): the first of them only (they share the domain's mappings), one
 * 2-byte access at each point, the check after each request of a batch.
 * O(log mappings). */
void vc_check_translate(const struct viommu_core *c, uint64_t lo, uint64_t hi,
			int64_t domain, bool quick);

/* One translation of (len) bytes at (addr) by endpoint (id), against
 * the mapping stores and reserved regions (5.13.6, 5.13.6.8). */
void vc_check_one(const struct viommu_core *c, uint32_t id, uint64_t addr,
		  uint64_t len, bool write);

#endif
