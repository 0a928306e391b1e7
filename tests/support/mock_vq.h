/* SPDX-License-Identifier: Apache-2.0 */
/* tests/support/mock_vq.h: the driver side of a split virtqueue, for tests. */
#ifndef IGNIS_TEST_MOCK_VQ_H
#define IGNIS_TEST_MOCK_VQ_H

#include <stdint.h>

#include "vmm/gmem.h"

/*
 * Plays the guest driver (rust-vmm virtio-queue's mock.rs, Firecracker's
 * test_utils::VirtQueue): writes descriptor tables and the avail ring into
 * a gmem and reads the used ring back. Every helper aborts when its guest
 * address is not RAM: a broken test setup, not a case under test.
 */

/* Where a mock queue lives and the driver's own avail idx. */
struct mock_vq {
	const struct gmem *mem;	/* guest RAM holding the rings */
	uint16_t size;		/* entries */
	gpa_t desc;		/* descriptor table, 16-aligned */
	gpa_t avail;		/* driver ring, right after desc */
	gpa_t used;		/* device ring, 4-aligned after avail */
	uint16_t avail_idx;	/* next avail idx the driver publishes */
};

/* One buffer to put in a chain: guest address, length, VQ_DESC_F_* bits
 * other than NEXT (mock_vq_add_chain() links the chain itself). */
struct mock_buf {
	uint64_t addr;		/* guest-physical address */
	uint32_t len;		/* bytes */
	uint16_t flags;		/* VQ_DESC_F_WRITE / _INDIRECT */
};

/* Single-region RAM [0, size) / two regions [0, a) and [b, b + c). */
void mock_gmem_create(struct gmem *mem, uint64_t size);
void mock_gmem_create_split(struct gmem *mem, uint64_t a, uint64_t b,
			    uint64_t c);

/* Lays out a zeroed queue of (size) entries at (base) in (mem). */
void mock_vq_init(struct mock_vq *m, const struct gmem *mem, uint16_t size,
		  gpa_t base);

/* Writes descriptor (i) of the table at (table) (desc table or indirect). */
void mock_desc_write(const struct gmem *mem, gpa_t table, uint16_t i,
		     uint64_t addr, uint32_t len, uint16_t flags,
		     uint16_t next);

/* Writes descriptor (i) of the queue's table. */
void mock_vq_set_desc(struct mock_vq *m, uint16_t i, uint64_t addr,
		      uint32_t len, uint16_t flags, uint16_t next);

/* Writes (n) bufs linked with NEXT into (table) from entry (first) on;
 * the last one has no NEXT. */
void mock_table_chain(const struct gmem *mem, gpa_t table, uint16_t first,
		      const struct mock_buf *bufs, unsigned int n);

/* mock_table_chain() in the queue's table, then publishes head (first). */
void mock_vq_add_chain(struct mock_vq *m, uint16_t first,
		       const struct mock_buf *bufs, unsigned int n);

/* Puts (head) in the next avail slot and bumps avail->idx. */
void mock_vq_publish(struct mock_vq *m, uint16_t head);

/* Raw ring fields, as the driver sees them. */
void mock_vq_set_avail_idx(struct mock_vq *m, uint16_t idx);
void mock_vq_set_avail_flags(struct mock_vq *m, uint16_t flags);
void mock_vq_set_used_event(struct mock_vq *m, uint16_t v);
uint16_t mock_vq_avail_event(const struct mock_vq *m);
uint16_t mock_vq_used_flags(const struct mock_vq *m);
uint16_t mock_vq_used_idx(const struct mock_vq *m);
void mock_vq_set_used_idx(struct mock_vq *m, uint16_t idx);
/* Used ring entry (slot): id and len. */
void mock_vq_used_elem(const struct mock_vq *m, uint16_t slot, uint32_t *id,
		       uint32_t *len);

#endif
