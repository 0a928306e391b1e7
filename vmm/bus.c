// SPDX-License-Identifier: Apache-2.0
/* vmm/bus.c: address ranges (port I/O or MMIO) dispatched to device handlers. */
#include "bus.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Last byte of a range; ranges are checked not to wrap when added. */
static uint64_t range_last(const struct bus_range *r)
{
	return r->base + r->len - 1;
}

int bus_add(struct bus *bus, const struct bus_range *r)
{
	unsigned int pos = 0;

	if (!r->len || r->base + r->len - 1 < r->base || !r->access)
		return -EINVAL;
	while (pos < bus->nr && bus->ranges[pos].base < r->base)
		pos++;
	if ((pos < bus->nr && bus->ranges[pos].base <= range_last(r)) ||
	    (pos > 0 && range_last(&bus->ranges[pos - 1]) >= r->base))
		return -EEXIST;
	if (bus->nr == bus->cap) {
		unsigned int cap = bus->cap ? bus->cap * 2 : 8;
		struct bus_range *n = realloc(bus->ranges, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		bus->ranges = n;
		bus->cap = cap;
	}
	memmove(&bus->ranges[pos + 1], &bus->ranges[pos],
		(bus->nr - pos) * sizeof(*bus->ranges));
	bus->ranges[pos] = *r;
	bus->nr++;
	return 0;
}

const struct bus_range *bus_find(const struct bus *bus, uint64_t addr,
				 uint32_t len)
{
	unsigned int lo = 0, hi = bus->nr;

	if (!len || addr + len - 1 < addr)
		return NULL;
	/* Binary search for the last range starting at or below addr. */
	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;

		if (bus->ranges[mid].base <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return NULL;
	const struct bus_range *r = &bus->ranges[lo - 1];

	if (addr + len - 1 > range_last(r))
		return NULL;
	return r;
}

int bus_access(const struct bus *bus, uint64_t addr, uint8_t *data,
	       uint32_t len, bool is_write)
{
	const struct bus_range *r = bus_find(bus, addr, len);

	if (!r) {
		if (!is_write)
			memset(data, 0xff, len);
		return -ENOENT;
	}
	r->access(r->ctx, addr - r->base, data, len, is_write);
	return 0;
}

void bus_destroy(struct bus *bus)
{
	if (!bus)
		return;
	free(bus->ranges);
	memset(bus, 0, sizeof(*bus));
}
