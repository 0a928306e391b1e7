/* SPDX-License-Identifier: Apache-2.0 */
/* tests/integration/guest_output.h: parse what the test guests print. */
#ifndef IGNIS_TEST_GUEST_OUTPUT_H
#define IGNIS_TEST_GUEST_OUTPUT_H

#include <stdbool.h>
#include <stdint.h>

/* A memory map entry, as a guest printed it ("mem <addr> <size> <type>"). */
struct guest_range {
	uint64_t start;		/* first byte */
	uint64_t size;		/* length in bytes */
	uint32_t type;		/* e820 type: 1 RAM, 2 reserved */
};

/* The initrd a guest found ("initrd <addr> <size> <first bytes>"). */
struct guest_initrd {
	uint64_t addr;		/* guest-physical start */
	uint64_t size;		/* length in bytes */
	char head[40];		/* first (up to) 16 bytes, hex */
};

/* True if (out) has a line that is exactly (line). */
bool guest_has_line(const char *out, const char *line);

/*
 * Fills (r) with up to (max) "mem" entries of type (type) from (out),
 * sorted by address, adjacent entries merged (a map may split RAM
 * anywhere). Returns the count.
 */
unsigned int guest_ranges(const char *out, uint32_t type,
			  struct guest_range *r, unsigned int max);

/* Parses the "initrd" line; false if there is none with a size. */
bool guest_initrd(const char *out, struct guest_initrd *i);

/* Value of the "ram <hex>" line, or UINT64_MAX without one. */
uint64_t guest_ram(const char *out);

#endif
