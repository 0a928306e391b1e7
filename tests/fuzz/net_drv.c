// SPDX-License-Identifier: Apache-2.0
/* tests/fuzz/net_drv.c: fuzz_net_hdr's guest driver: two queues in fake RAM. */
#include "net_drv.h"

#include <endian.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

static void put(const struct nd *d, uint64_t at, const void *src, size_t len)
{
	FUZZ_CHECK(!gmem_write(&d->ram->mem, gpa(at), src, len),
		   "driver write at %#llx not in RAM", (unsigned long long)at);
}

static void put16(const struct nd *d, uint64_t at, uint16_t v)
{
	v = htole16(v);
	put(d, at, &v, 2);
}

void nd_queue_init(struct nd *d, unsigned int i, uint16_t size, uint64_t base)
{
	struct nd_queue *q = &d->q[i];
	uint64_t end;

	memset(q, 0, sizeof(*q));
	q->size = size;
	q->desc = base;
	q->avail = base + 16ull * size;
	q->used = (q->avail + 6 + 2ull * size + 3) & ~3ull;
	end = q->used + 6 + 8ull * size;
	FUZZ_CHECK(gmem_ptr(&d->ram->mem, gpa(base), end - base), "rings");
	memset(gmem_ptr(&d->ram->mem, gpa(base), end - base), 0, end - base);
}

/* Marks or clears the grains of [at, at + len). */
static void hold(struct nd *d, uint64_t at, uint64_t len, bool on)
{
	for (uint64_t g = at / ND_GRAIN; len && g <= (at + len - 1) / ND_GRAIN;
	     g++)
		d->held[g] = on;
}

static void hold_chain(struct nd *d, const struct nd_chain *c, bool on)
{
	if (c->table)
		hold(d, c->table, 16ull * c->nr, on);
	for (unsigned int k = 0; k < c->nr; k++)
		hold(d, c->b[k].gpa, c->b[k].len, on);
}

/* Whether [at, at + len) overlaps a buffer or table the device holds. */
static bool in_use(const struct nd *d, uint64_t at, uint64_t len)
{
	for (uint64_t g = at / ND_GRAIN; g <= (at + len - 1) / ND_GRAIN; g++)
		if (d->held[g])
			return true;
	return false;
}

uint64_t nd_alloc(struct nd *d, uint64_t len)
{
	/* A bump allocator that wraps, two tries: the end of the area,
	 * then its start. Buffers never cross a region boundary (queue.h
	 * refuses those; fuzz_virtq tries them). */
	for (int tries = 0; tries < 2; tries++) {
		uint64_t at = d->bump;

		if (!gmem_ptr(&d->ram->mem, gpa(at), len))
			at = (at | (ND_REGION - 1)) + 1; /* next region */
		if (at + len > d->data_end) {
			d->bump = d->data_start;
			continue;
		}
		if (!gmem_ptr(&d->ram->mem, gpa(at), len) || in_use(d, at, len))
			return 0;
		d->bump = (at + len + ND_GRAIN - 1) & ~(uint64_t)(ND_GRAIN - 1);
		hold(d, at, len, true);
		return at;
	}
	return 0;
}

/* Writes descriptor (i) of the table at (table). */
static void put_desc(const struct nd *d, uint64_t table, uint16_t i,
		     uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
	uint8_t b[16];
	uint64_t a = htole64(addr);
	uint32_t l = htole32(len);

	flags = htole16(flags);
	next = htole16(next);
	memcpy(b, &a, 8);
	memcpy(b + 8, &l, 4);
	memcpy(b + 12, &flags, 2);
	memcpy(b + 14, &next, 2);
	put(d, table + 16ull * i, b, 16);
}

/* Links (bufs) through entries (idx) of the table at (table). */
static void put_links(const struct nd *d, uint64_t table, const uint16_t *idx,
		      const struct nd_buf *bufs, unsigned int nr)
{
	for (unsigned int k = 0; k < nr; k++) {
		uint16_t f = bufs[k].writable ? VQ_DESC_F_WRITE : 0;

		if (k + 1 < nr)
			f |= VQ_DESC_F_NEXT;
		put_desc(d, table, idx[k], bufs[k].gpa, bufs[k].len, f,
			 k + 1 < nr ? idx[k + 1] : 0);
	}
}

int nd_add_chain(struct nd *d, unsigned int i, const struct nd_buf *bufs,
		 unsigned int nr, bool indirect)
{
	struct nd_queue *q = &d->q[i];
	uint16_t idx[ND_MAX_BUFS + 1];
	unsigned int need = indirect ? 1 : nr, got = 0;
	struct nd_chain *c;
	uint64_t table = 0;

	if (!nr || nr > (indirect ? ND_MAX_BUFS : ND_MAX_DIRECT) ||
	    (indirect && nr > q->size))
		return -1;
	for (uint16_t k = 0; k < q->size && got < need; k++)
		if (!q->busy[k])
			idx[got++] = k;
	if (got < need)
		return -1;
	if (indirect) {
		table = nd_alloc(d, 16ull * nr);
		if (!table)
			return -1;
		for (unsigned int k = 0; k < nr; k++)
			idx[k + 1] = (uint16_t)k; /* table entries */
		put_links(d, table, idx + 1, bufs, nr);
		put_desc(d, q->desc, idx[0], table, 16 * nr, VQ_DESC_F_INDIRECT,
			 0);
	} else {
		put_links(d, q->desc, idx, bufs, nr);
	}
	c = &q->chain[idx[0]];
	memset(c, 0, sizeof(*c));
	c->live = true;
	c->seq = q->seq++;
	c->nr = nr;
	c->nr_desc = need;
	c->table = table;
	for (unsigned int k = 0; k < need; k++) {
		c->desc[k] = idx[k];
		q->busy[idx[k]] = true;
	}
	for (unsigned int k = 0; k < nr; k++) {
		c->b[k] = bufs[k];
		*(bufs[k].writable ? &c->wr : &c->rd) += bufs[k].len;
	}
	/* 2.7.13: the ring entry, then the index that exposes it. */
	put16(d, q->avail + 4 + 2ull * (q->avail_idx % q->size), idx[0]);
	put16(d, q->avail + 2, ++q->avail_idx);
	return idx[0];
}

void nd_free(struct nd *d, uint64_t at, uint64_t len)
{
	hold(d, at, len, false);
}

bool nd_next_used(struct nd *d, unsigned int i, uint32_t *id, uint32_t *len,
		  bool *was_live)
{
	struct nd_queue *q = &d->q[i];
	uint16_t idx;
	uint32_t e[2];
	struct nd_chain *c;

	FUZZ_CHECK(!gmem_read(&d->ram->mem, &idx, gpa(q->used + 2), 2),
		   "used ring");
	if (le16toh(idx) == q->used_seen)
		return false;
	/* More than the ring holds: a device bug, or the target's raw
	 * writes over the used ring. Linux's driver would give up on the
	 * device; this one stops reading it. */
	if ((uint16_t)(le16toh(idx) - q->used_seen) > q->size) {
		q->used_seen = le16toh(idx);
		return false;
	}
	FUZZ_CHECK(
		!gmem_read(&d->ram->mem, e,
			   gpa(q->used + 4 + 8ull * (q->used_seen % q->size)),
			   8),
		"used ring");
	q->used_seen++;
	*id = le32toh(e[0]);
	*len = le32toh(e[1]);
	*was_live = *id < q->size && q->chain[*id].live;
	if (*was_live) {
		c = &q->chain[*id];
		c->live = false;
		for (unsigned int k = 0; k < c->nr_desc; k++)
			q->busy[c->desc[k]] = false;
		hold_chain(d, c, false);
	}
	return true;
}

unsigned int nd_live(const struct nd *d, unsigned int i, uint16_t *heads)
{
	const struct nd_queue *q = &d->q[i];
	unsigned int n = 0;

	for (unsigned int h = 0; h < q->size; h++)
		if (q->chain[h].live)
			heads[n++] = (uint16_t)h;
	/* Oldest first: insertion sort on seq (n <= 256). */
	for (unsigned int a = 1; a < n; a++)
		for (unsigned int b = a;
		     b > 0 &&
		     q->chain[heads[b - 1]].seq > q->chain[heads[b]].seq;
		     b--) {
			uint16_t t = heads[b];

			heads[b] = heads[b - 1];
			heads[b - 1] = t;
		}
	return n;
}
