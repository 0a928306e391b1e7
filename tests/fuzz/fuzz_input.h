/* SPDX-License-Identifier: Apache-2.0 */
/* tests/fuzz/fuzz_input.h: reading a fuzzer's input as little-endian fields. */
#ifndef IGNIS_FUZZ_INPUT_H
#define IGNIS_FUZZ_INPUT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/*
 * The device targets read their input as a stream of fields. Past the end
 * every field reads as zeros, so that any prefix of an input is an input
 * too: libFuzzer's mutations (truncation, insertion) then keep most of
 * what an input meant, and no target needs a "too short" path.
 */
struct fz {
	const uint8_t *p; /* next byte */
	size_t left; /* bytes from p on */
};

static inline struct fz fz_make(const uint8_t *data, size_t size)
{
	return (struct fz){ data, size };
}

static inline size_t fz_left(const struct fz *f)
{
	return f->left;
}

/* Copies up to (len) bytes into (dst), zeros for what is missing; returns
 * how many came from the input. */
static inline size_t fz_bytes(struct fz *f, void *dst, size_t len)
{
	size_t n = len < f->left ? len : f->left;

	if (n)
		memcpy(dst, f->p, n);
	if (n < len)
		memset((uint8_t *)dst + n, 0, len - n);
	f->p += n;
	f->left -= n;
	return n;
}

static inline uint8_t fz_u8(struct fz *f)
{
	uint8_t v;

	fz_bytes(f, &v, 1);
	return v;
}

static inline uint16_t fz_u16(struct fz *f)
{
	uint8_t b[2];

	fz_bytes(f, b, 2);
	return (uint16_t)(b[0] | b[1] << 8);
}

static inline uint32_t fz_u32(struct fz *f)
{
	uint8_t b[4];

	fz_bytes(f, b, 4);
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
	       (uint32_t)b[3] << 24;
}

static inline uint64_t fz_u64(struct fz *f)
{
	uint64_t lo = fz_u32(f);

	return lo | (uint64_t)fz_u32(f) << 32;
}

#endif
