/* SPDX-License-Identifier: Apache-2.0 */
/* tests/support/recording_backend.h: a DMA backend that records, for tests. */
#ifndef IGNIS_TEST_RECORDING_BACKEND_H
#define IGNIS_TEST_RECORDING_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "devices/iommu/dma_backend.h"

/*
 * Stands in for VFIO behind a virtio-iommu endpoint: records every call
 * in order, keeps the mappings it holds as a real backend would, counts
 * breaches of the contract in dma_backend.h (a range mapped twice, an
 * unmap of something not mapped exactly so), and fails on request.
 */

struct rec_call {
	bool map;		/* map, else unmap */
	uint64_t iova;		/* first IOVA */
	uint64_t size;		/* bytes */
	uint64_t gpa;		/* map: target */
	uint32_t flags;		/* map: DMA_BACKEND_F_* */
	int ret;		/* what the call returned */
};

struct rec_map {
	uint64_t iova;		/* first IOVA */
	uint64_t size;		/* bytes */
	uint64_t gpa;		/* target */
	uint32_t flags;		/* DMA_BACKEND_F_* */
};

struct rec_backend {
	unsigned int calls;		/* calls so far, failed ones too */
	unsigned int fail_at;		/* first failing call (1-based), 0:
					 * none */
	unsigned int fail_count;	/* calls failing from fail_at on */
	int fail_err;			/* what they return */
	unsigned int violations;	/* contract breaches seen */
	struct rec_call *log;		/* every call, in order */
	size_t nr_log;			/* entries in log */
	struct rec_map *live;		/* mapped now, unordered */
	size_t nr_live;			/* entries in live */
	size_t cap_log, cap_live;	/* allocated entries */
};

extern const struct dma_backend_ops rec_backend_ops;

/* A fresh backend that never fails. */
void rec_init(struct rec_backend *r);
void rec_free(struct rec_backend *r);

/* Calls (nth) (1-based, counting from the start) to (nth + count - 1)
 * fail with (err) and change nothing. */
void rec_fail(struct rec_backend *r, unsigned int nth, unsigned int count,
	      int err);

/* The live mapping at exactly (iova), or NULL. */
const struct rec_map *rec_find(const struct rec_backend *r, uint64_t iova);

/* Forgets the log (not the live mappings nor the call count). */
void rec_clear_log(struct rec_backend *r);

#endif
