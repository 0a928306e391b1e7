// SPDX-License-Identifier: Apache-2.0
/* tests/support/recording_backend.c: a DMA backend that records, for tests. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/recording_backend.h"

/* Test support: out of memory is the test's problem, so stop loudly. */
static void *grow(void *p, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return p;
	*cap = *cap ? *cap * 2 : 64;
	if (*cap < need)
		*cap = need;
	p = realloc(p, *cap * elem);
	if (!p) {
		fprintf(stderr, "recording_backend: out of memory\n");
		abort();
	}
	return p;
}

static int record(struct rec_backend *r, bool map, uint64_t iova,
		  uint64_t size, uint64_t gpa_v, uint32_t flags)
{
	unsigned int n = ++r->calls;
	int ret = 0;

	if (r->fail_at && n >= r->fail_at && n - r->fail_at < r->fail_count)
		ret = r->fail_err;
	r->log = grow(r->log, &r->cap_log, r->nr_log + 1, sizeof(*r->log));
	r->log[r->nr_log++] = (struct rec_call){
		.map = map, .iova = iova, .size = size, .gpa = gpa_v,
		.flags = flags, .ret = ret,
	};
	return ret;
}

static int rec_map_fn(void *ctx, iova_t iova, gpa_t gpa, uint64_t size,
		      uint32_t flags)
{
	struct rec_backend *r = ctx;
	int ret = record(r, true, iova.v, size, gpa.v, flags);

	if (ret)
		return ret;
	if (!size || iova.v + size - 1 < iova.v)
		r->violations++;
	for (size_t i = 0; i < r->nr_live; i++) {
		const struct rec_map *m = &r->live[i];

		if (iova.v <= m->iova + m->size - 1 &&
		    m->iova <= iova.v + size - 1)
			r->violations++;	/* mapped twice */
	}
	r->live = grow(r->live, &r->cap_live, r->nr_live + 1,
		       sizeof(*r->live));
	r->live[r->nr_live++] = (struct rec_map){
		.iova = iova.v, .size = size, .gpa = gpa.v, .flags = flags,
	};
	return 0;
}

static int rec_unmap_fn(void *ctx, iova_t iova, uint64_t size)
{
	struct rec_backend *r = ctx;
	int ret = record(r, false, iova.v, size, 0, 0);

	if (ret)
		return ret;
	for (size_t i = 0; i < r->nr_live; i++) {
		if (r->live[i].iova == iova.v && r->live[i].size == size) {
			r->live[i] = r->live[--r->nr_live];
			return 0;
		}
	}
	r->violations++;	/* not mapped, or not exactly so */
	return 0;
}

const struct dma_backend_ops rec_backend_ops = {
	.map = rec_map_fn,
	.unmap = rec_unmap_fn,
};

void rec_init(struct rec_backend *r)
{
	memset(r, 0, sizeof(*r));
	r->fail_err = -EIO;
}

void rec_free(struct rec_backend *r)
{
	free(r->log);
	free(r->live);
	memset(r, 0, sizeof(*r));
}

void rec_fail(struct rec_backend *r, unsigned int nth, unsigned int count,
	      int err)
{
	r->fail_at = nth;
	r->fail_count = count;
	r->fail_err = err;
}

const struct rec_map *rec_find(const struct rec_backend *r, uint64_t iova)
{
	for (size_t i = 0; i < r->nr_live; i++) {
		if (r->live[i].iova == iova)
			return &r->live[i];
	}
	return NULL;
}

void rec_clear_log(struct rec_backend *r)
{
	r->nr_log = 0;
}
