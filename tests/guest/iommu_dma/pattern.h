/* SPDX-License-Identifier: Apache-2.0 */
/* tests/guest/iommu_dma/pattern.h: the disk image's bytes, for both sides. */
#ifndef IGNIS_GUEST_IOMMU_DMA_PATTERN_H
#define IGNIS_GUEST_IOMMU_DMA_PATTERN_H

#include <stdint.h>

/*
 * The byte at offset (off) of the image that tests/integration/
 * test_iommu_dma.c writes and the guest checks: splitmix64 of (seed) and
 * the 8-byte word's index, little-endian. Included by the freestanding
 * guest and by the host test, so it needs nothing but stdint.
 */
static inline uint8_t iommu_dma_pattern(uint64_t seed, uint64_t off)
{
	uint64_t z = seed + (off >> 3) * 0x9e3779b97f4a7c15ULL;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	z ^= z >> 31;
	return (uint8_t)(z >> ((off & 7) * 8));
}

#endif
