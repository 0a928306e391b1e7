// SPDX-License-Identifier: Apache-2.0
/* tests/fuzz/fuzz_ram.c: guest RAM for the device fuzzers, on the heap. */
#include "fuzz_ram.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void fuzz_ram_init(struct fuzz_ram *r, const struct gmem_region *layout,
		   unsigned int nr, uint8_t fill)
{
	memset(r, 0, sizeof(*r));
	r->mem.fd = -1;
	if (nr == 0 || nr > GMEM_MAX_REGIONS) {
		fprintf(stderr, "fuzz_ram: %u regions\n", nr);
		abort();
	}
	for (unsigned int i = 0; i < nr; i++) {
		struct gmem_region *g = &r->mem.regions[i];

		r->buf[i] = malloc(layout[i].size);
		if (!r->buf[i]) {
			fprintf(stderr, "fuzz_ram: out of memory\n");
			abort();
		}
		memset(r->buf[i], fill, layout[i].size);
		g->start = layout[i].start;
		g->size = layout[i].size;
		g->offset = r->mem.size;
		g->host = r->buf[i];
		r->mem.size += layout[i].size;
	}
	r->mem.nr_regions = nr;
}

void fuzz_ram_free(struct fuzz_ram *r)
{
	for (unsigned int i = 0; i < GMEM_MAX_REGIONS; i++)
		free(r->buf[i]);
	memset(r, 0, sizeof(*r));
}

bool fuzz_ram_gpa_of(const struct fuzz_ram *r, const void *p, uint64_t len,
		     uint64_t *gpa_out)
{
	uintptr_t a = (uintptr_t)p;

	for (unsigned int i = 0; i < r->mem.nr_regions; i++) {
		const struct gmem_region *g = &r->mem.regions[i];
		uintptr_t base = (uintptr_t)g->host;

		if (a < base || a - base > g->size ||
		    len > g->size - (a - base))
			continue;
		*gpa_out = g->start.v + (a - base);
		return true;
	}
	return false;
}
