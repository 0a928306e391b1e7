/* SPDX-License-Identifier: Apache-2.0 */
/* tests/fuzz/fuzz_ram.h: guest RAM for the device fuzzers, on the heap. */
#ifndef IGNIS_FUZZ_RAM_H
#define IGNIS_FUZZ_RAM_H

#include <stdbool.h>
#include <stdint.h>

#include "vmm/gmem.h"

/*
 * A struct gmem whose regions are separate heap allocations, not windows
 * of one memfd mapping (gmem_create()): AddressSanitizer then reports a
 * byte read or written past a region's end, where the memfd's mapping
 * would silently hold the next region, and no input costs a memfd. Only
 * gmem_*() accessors read a struct gmem's regions, so the code under test
 * cannot tell the difference.
 */
struct fuzz_ram {
	struct gmem mem; /* what the code under test gets */
	uint8_t *buf[GMEM_MAX_REGIONS]; /* each region's bytes */
};

/*
 * Regions of (layout)[0..nr-1] (start and size read; sorted, disjoint,
 * sizes > 0, nr <= GMEM_MAX_REGIONS), each filled with (fill). Aborts when
 * the heap is exhausted: that is the fuzzer's problem, not an input's.
 * The heap blocks outlive fuzz_ram_free(), poisoned, for the next input
 * (fuzz_ram.c): one fuzz_ram at a time.
 */
void fuzz_ram_init(struct fuzz_ram *r, const struct gmem_region *layout,
		   unsigned int nr, uint8_t fill);
void fuzz_ram_free(struct fuzz_ram *r);

/*
 * Whether host bytes [p, p + len) lie inside one region (len 0: p is in
 * one, or one past its end); sets (*gpa_out) to the guest address of p.
 * The targets' independent check of every pointer the code under test
 * hands out.
 */
bool fuzz_ram_gpa_of(const struct fuzz_ram *r, const void *p, uint64_t len,
		     uint64_t *gpa_out);

#endif
