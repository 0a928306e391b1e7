// SPDX-License-Identifier: Apache-2.0
/* devices/virtio/vsock_table.c: virtio-vsock's connection table: hash, owed list, local ports; pure. */
#include "vsock_table.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int vsock_table_init(struct vsock_table *t, unsigned int max, uint32_t seed)
{
	memset(t, 0, sizeof(*t));
	if (!max || max >= VSOCK_NIL)
		return -EINVAL;
	t->conns = calloc(max, sizeof(*t->conns));
	t->buckets = malloc(VSOCK_HASH_SIZE * sizeof(*t->buckets));
	if (!t->conns || !t->buckets) {
		vsock_table_fini(t);
		return -ENOMEM;
	}
	t->max = (uint16_t)max;
	t->seed = seed;
	vsock_table_clear(t);
	return 0;
}

void vsock_table_fini(struct vsock_table *t)
{
	if (t->conns && t->buckets)
		vsock_table_clear(t);
	free(t->conns);
	free(t->buckets);
	memset(t, 0, sizeof(*t));
}

void vsock_table_clear(struct vsock_table *t)
{
	for (unsigned int i = 0; i < t->max; i++) {
		/* txb holds both buffers (vsock_table_alloc()). */
		free(t->conns[i].txb.buf);
		memset(&t->conns[i], 0, sizeof(t->conns[i]));
	}
	for (unsigned int i = 0; i < VSOCK_HASH_SIZE; i++)
		t->buckets[i] = VSOCK_NIL;
	t->nr_used = 0;
	t->qhead = t->qtail = VSOCK_NIL;
	/* The first host-initiated flow gets VSOCK_LOCAL_PORT_MIN, as in
	 * Firecracker after its muxer is (re)made. */
	t->port_last = VSOCK_LOCAL_PORT_MIN - 1;
}

/* The guest chooses both ports of the flows it opens: a seeded mix, so
 * that it cannot aim them all at one chain. */
static unsigned int bucket(const struct vsock_table *t, uint32_t local,
			   uint32_t peer)
{
	uint32_t h = (local ^ t->seed) * 0x9e3779b1u;

	h = (h ^ peer ^ (h >> 16)) * 0x85ebca77u;
	h ^= h >> 13;
	return h & (VSOCK_HASH_SIZE - 1);
}

void vsock_table_hash(struct vsock_table *t, struct vsock_conn *c)
{
	unsigned int b = bucket(t, c->local_port, c->peer_port);

	c->hnext = t->buckets[b];
	t->buckets[b] = (uint16_t)vsock_table_index(t, c);
	c->hashed = true;
}

static void hash_del(struct vsock_table *t, struct vsock_conn *c)
{
	uint16_t *link = &t->buckets[bucket(t, c->local_port, c->peer_port)];
	uint16_t me = (uint16_t)vsock_table_index(t, c);

	if (!c->hashed)
		return;
	while (*link != VSOCK_NIL && *link != me)
		link = &t->conns[*link].hnext;
	if (*link == me)
		*link = c->hnext;
	c->hashed = false;
}

struct vsock_conn *vsock_table_find(const struct vsock_table *t,
				    uint32_t local_port, uint32_t peer_port)
{
	uint16_t i = t->buckets[bucket(t, local_port, peer_port)];

	/* A chain is at most t->max long: entries are hashed once. */
	while (i != VSOCK_NIL) {
		struct vsock_conn *c = &t->conns[i];

		if (c->local_port == local_port && c->peer_port == peer_port)
			return c;
		i = c->hnext;
	}
	return NULL;
}

static void queue_add(struct vsock_table *t, struct vsock_conn *c)
{
	uint16_t me = (uint16_t)vsock_table_index(t, c);

	c->qnext = VSOCK_NIL;
	c->qprev = t->qtail;
	if (t->qtail == VSOCK_NIL)
		t->qhead = me;
	else
		t->conns[t->qtail].qnext = me;
	t->qtail = me;
	c->queued = true;
}

static void queue_del(struct vsock_table *t, struct vsock_conn *c)
{
	if (!c->queued)
		return;
	if (c->qprev == VSOCK_NIL)
		t->qhead = c->qnext;
	else
		t->conns[c->qprev].qnext = c->qnext;
	if (c->qnext == VSOCK_NIL)
		t->qtail = c->qprev;
	else
		t->conns[c->qnext].qprev = c->qprev;
	c->queued = false;
}

struct vsock_conn *vsock_table_owed(const struct vsock_table *t)
{
	return t->qhead == VSOCK_NIL ? NULL : &t->conns[t->qhead];
}

void vsock_table_rotate(struct vsock_table *t, struct vsock_conn *c)
{
	if (!c->queued)
		return;
	queue_del(t, c);
	queue_add(t, c);
}

struct vsock_conn *vsock_table_alloc(struct vsock_table *t)
{
	struct vsock_conn *c = NULL;
	uint8_t *buf;

	if (t->nr_used == t->max)
		return NULL;
	for (unsigned int i = 0; i < t->max && !c; i++)
		if (t->conns[i].state == VSOCK_FREE)
			c = &t->conns[i];
	if (!c)
		return NULL;
	/* Both buffers in one piece; the pages are touched only as bytes
	 * flow, so an idle flow costs little but its table entry. */
	buf = malloc(VSOCK_BUF_ALLOC + VSOCK_STAGE_SIZE);
	if (!buf)
		return NULL;
	memset(c, 0, sizeof(*c));
	c->state = VSOCK_ACCEPTING;
	c->hnext = c->qprev = c->qnext = VSOCK_NIL;
	c->txb = (struct vsock_ring){ .buf = buf, .cap = VSOCK_BUF_ALLOC };
	c->stage = (struct vsock_ring){ .buf = buf + VSOCK_BUF_ALLOC,
					.cap = VSOCK_STAGE_SIZE };
	t->nr_used++;
	return c;
}

void vsock_table_free(struct vsock_table *t, struct vsock_conn *c)
{
	if (c->state == VSOCK_FREE)
		return;
	hash_del(t, c);
	queue_del(t, c);
	free(c->txb.buf);
	memset(c, 0, sizeof(*c));
	t->nr_used--;
}

static bool local_port_used(const struct vsock_table *t, uint32_t port)
{
	for (unsigned int i = 0; i < t->max; i++)
		if (t->conns[i].hashed && t->conns[i].local_port == port)
			return true;
	return false;
}

uint32_t vsock_table_port(struct vsock_table *t)
{
	/* At most t->max ports are taken: this ends within t->max + 1. */
	for (;;) {
		uint32_t p = t->port_last + 1;

		if (p < VSOCK_LOCAL_PORT_MIN || p >= VSOCK_LOCAL_PORT_END)
			p = VSOCK_LOCAL_PORT_MIN;
		t->port_last = p;
		if (!local_port_used(t, p))
			return p;
	}
}

void vsock_table_update(struct vsock_table *t, struct vsock_conn *c)
{
	bool owed;

	if (c->state == VSOCK_FREE)
		return;
	if (c->state == VSOCK_CLOSING && !(c->owe & VSOCK_OWE_RST))
		hash_del(t, c);
	owed = vsock_conn_has_packet(c);
	if (owed && !c->queued)
		queue_add(t, c);
	else if (!owed && c->queued)
		queue_del(t, c);
}

