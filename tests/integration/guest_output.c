// SPDX-License-Identifier: Apache-2.0
/* tests/integration/guest_output.c: parse what the test guests print. */
#include "guest_output.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool guest_has_line(const char *out, const char *line)
{
	size_t n = strlen(line);
	const char *p = out;

	while ((p = strstr(p, line))) {
		if ((p == out || p[-1] == '\n') && p[n] == '\n')
			return true;
		p++;
	}
	return false;
}

static int by_start(const void *a, const void *b)
{
	const struct guest_range *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

unsigned int guest_ranges(const char *out, uint32_t type,
			  struct guest_range *r, unsigned int max)
{
	unsigned int i, n = 0;
	const char *p;

	for (p = out; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		struct guest_range g;

		if (sscanf(p, "mem %" SCNx64 " %" SCNx64 " %" SCNu32,
			   &g.start, &g.size, &g.type) != 3 ||
		    g.type != type || !g.size || n == max)
			continue;
		r[n++] = g;
	}
	qsort(r, n, sizeof(*r), by_start);
	for (i = 1; i < n;) {
		if (r[i - 1].start + r[i - 1].size == r[i].start) {
			r[i - 1].size += r[i].size;
			memmove(&r[i], &r[i + 1], (n - i - 1) * sizeof(*r));
			n--;
		} else {
			i++;
		}
	}
	return n;
}

bool guest_initrd(const char *out, struct guest_initrd *i)
{
	const char *p = strstr(out, "\ninitrd ");

	memset(i, 0, sizeof(*i));
	return p && sscanf(p + 1, "initrd %" SCNx64 " %" SCNu64 " %32s",
			   &i->addr, &i->size, i->head) == 3;
}

uint64_t guest_ram(const char *out)
{
	const char *p = strstr(out, "\nram ");
	uint64_t v;

	if (!p || sscanf(p + 1, "ram %" SCNx64, &v) != 1)
		return UINT64_MAX;
	return v;
}
