/* SPDX-License-Identifier: Apache-2.0 */
/* vmm/bus.h: address ranges (port I/O or MMIO) dispatched to device handlers. */
#ifndef IGNIS_BUS_H
#define IGNIS_BUS_H

#include <stdbool.h>
#include <stdint.h>

/*
 * A device's access handler: (off) is relative to the range's base, (data)
 * holds (len) bytes (1, 2, 4 or 8) to write, or receives what is read. Runs
 * on the vCPU thread that exited; the device does its own locking.
 */
typedef void bus_access_fn(void *ctx, uint64_t off, uint8_t *data,
			   uint32_t len, bool is_write);

/* One range on a bus. */
struct bus_range {
	uint64_t base;		/* first address */
	uint64_t len;		/* bytes (or ports) */
	bus_access_fn *access;	/* handler */
	void *ctx;		/* its device */
	const char *name;	/* for messages */
};

/* A sorted set of disjoint ranges. Written only while the VM is built,
 * read by every vCPU thread afterwards without locks. */
struct bus {
	struct bus_range *ranges;	/* sorted by base */
	unsigned int nr;		/* used */
	unsigned int cap;		/* allocated */
};

/* Adds (r): 0, -EINVAL (empty or wrapping), -EEXIST (overlap) or -ENOMEM. */
int bus_add(struct bus *bus, const struct bus_range *r);

/* The range holding all of [addr, addr + len), or NULL. */
const struct bus_range *bus_find(const struct bus *bus, uint64_t addr,
				 uint32_t len);

/*
 * Dispatches one access. Returns 0, or -ENOENT when no device claims it,
 * in which case a read returns all ones (as an empty ISA or PCI bus does)
 * and a write is dropped.
 */
int bus_access(const struct bus *bus, uint64_t addr, uint8_t *data,
	       uint32_t len, bool is_write);

/* Frees the range table; accepts an empty bus. */
void bus_destroy(struct bus *bus);

#endif
