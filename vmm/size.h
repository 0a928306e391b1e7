/* SPDX-License-Identifier: Apache-2.0 */
/* vmm/size.h: parse numbers and sizes given by users ("64M", "1G", "4"). */
#ifndef IGNIS_SIZE_H
#define IGNIS_SIZE_H

#include <stdint.h>

/*
 * Parses (s) as a byte count: decimal digits, optionally one suffix of
 * K, M, G or T (binary multiples, any case, an optional trailing "iB" or
 * "B"). Returns 0 and stores it in (out), or -EINVAL for anything else
 * (sign, spaces, empty, garbage) and -ERANGE if it does not fit 64 bits.
 */
int size_parse(const char *s, uint64_t *out);

/* Parses (s) as a decimal unsigned integer in [min, max]: 0, -EINVAL or
 * -ERANGE. */
int uint_parse(const char *s, uint64_t min, uint64_t max, uint64_t *out);

#endif
