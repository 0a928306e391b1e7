// SPDX-License-Identifier: Apache-2.0
/* tests/fuzz/fuzz_ram.c: guest RAM for the device fuzzers, on the heap. */
#include "fuzz_ram.h"

#include <sanitizer/asan_interface.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * One heap block per region slot, kept from input to input: a megabyte
 * malloc()ed and freed per input is a megabyte of fresh pages to fault in
 * each time, which cost fuzz_boot two thirds of its time. A region lies
 * at the end of its block, so that a byte past it is past the block
 * (AddressSanitizer's redzone); what lies before it, and a whole block
 * between inputs, is poisoned: the code under test sees what separate
 * allocations would show it.
 */
static struct {
	uint8_t *p;
	size_t cap;
} block[GMEM_MAX_REGIONS];

static uint8_t *block_get(unsigned int i, size_t size)
{
	if (size > block[i].cap) {
		ASAN_UNPOISON_MEMORY_REGION(block[i].p, block[i].cap);
		free(block[i].p);
		block[i].p = malloc(size);
		block[i].cap = block[i].p ? size : 0;
		if (!block[i].p) {
			fprintf(stderr, "fuzz_ram: out of memory\n");
			abort();
		}
	}
	ASAN_POISON_MEMORY_REGION(block[i].p, block[i].cap - size);
	ASAN_UNPOISON_MEMORY_REGION(block[i].p + block[i].cap - size, size);
	return block[i].p + block[i].cap - size;
}

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

		r->buf[i] = block_get(i, layout[i].size);
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
		ASAN_POISON_MEMORY_REGION(block[i].p, block[i].cap);
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
