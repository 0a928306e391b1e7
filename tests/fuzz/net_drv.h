/* SPDX-License-Identifier: Apache-2.0 */
/* tests/fuzz/net_drv.h: fuzz_net_hdr's guest driver: two queues in fake RAM. */
#ifndef IGNIS_FUZZ_NET_DRV_H
#define IGNIS_FUZZ_NET_DRV_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/virtio/queue.h"
#include "fuzz_ram.h"

/*
 * A well-behaved driver (readable buffers first, descriptors reused only
 * once their chain came back, buffers that never overlap one in the
 * device's hands) that fuzz_net_hdr drives: what comes back can then be
 * checked exactly. Its hostile side is the target's raw writes.
 */
#define ND_MAX_BUFS 64 /* per chain (indirect); 8 direct */
#define ND_MAX_DIRECT 8
#define ND_REGION 0x20000u /* RAM: two regions of this */
#define ND_RAM (2 * ND_REGION)
#define ND_GRAIN 16u /* allocation unit */

struct nd_buf {
	uint64_t gpa;
	uint32_t len; /* may be 0: the queue skips it */
	bool writable;
};

/* A chain the driver made available, by head. */
struct nd_chain {
	bool live; /* the device has it */
	uint64_t seq; /* publish order, per queue */
	unsigned int nr; /* bufs */
	unsigned int nr_desc; /* descriptors of the queue's table */
	uint16_t desc[ND_MAX_DIRECT];
	uint64_t table; /* indirect table's gpa, or 0 */
	uint64_t rd, wr; /* readable / writable bytes */
	struct nd_buf b[ND_MAX_BUFS];
	int state; /* the target's */
};

struct nd_queue {
	uint16_t size;
	uint64_t desc, avail, used; /* mock_vq's layout */
	uint16_t avail_idx; /* published */
	uint16_t used_seen; /* used entries read back */
	uint64_t seq;
	bool busy[VQ_MAX_SIZE]; /* descriptors in the device's hands */
	struct nd_chain chain[VQ_MAX_SIZE];
};

struct nd {
	const struct fuzz_ram *ram;
	uint64_t data_start, data_end; /* where buffers go */
	uint64_t bump;
	uint8_t held[ND_RAM / ND_GRAIN]; /* grains the device holds */
	struct nd_queue q[2];
};

/* Queue (i) of (size) entries at (base), zeroed. */
void nd_queue_init(struct nd *d, unsigned int i, uint16_t size, uint64_t base);

/* (len) bytes for a buffer, inside one region and apart from every
 * buffer the device holds or nd_alloc() gave since; 0 when there is no
 * room now. They are held until their chain comes back (nd_next_used())
 * or nd_free(). */
uint64_t nd_alloc(struct nd *d, uint64_t len);
void nd_free(struct nd *d, uint64_t at, uint64_t len);

/*
 * Makes a chain of (bufs)[0..nr-1] available on queue (i), through an
 * indirect table if (indirect) (the feature must be negotiated). Returns
 * its head, or -1 when descriptors or memory run out (nothing changed).
 */
int nd_add_chain(struct nd *d, unsigned int i, const struct nd_buf *bufs,
		 unsigned int nr, bool indirect);

/* The next used entry of queue (i) the device published: true and
 * (*id, *len), and whether (id) named a chain the device held, or false.
 * The chain's descriptors and buffers are the driver's again; its record
 * stays readable until its head is reused. */
bool nd_next_used(struct nd *d, unsigned int i, uint32_t *id, uint32_t *len,
		  bool *was_live);

/* The live chains of queue (i), oldest first: fills (heads), returns
 * how many. */
unsigned int nd_live(const struct nd *d, unsigned int i, uint16_t *heads);

#endif
