/* SPDX-License-Identifier: Apache-2.0 */
/* devices/virtio/vsock_table.h: virtio-vsock's connection table: hash, owed list, local ports; pure. */
#ifndef IGNIS_VSOCK_TABLE_H
#define IGNIS_VSOCK_TABLE_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/virtio/vsock_conn.h"

/*
 * The connections of one device, in one array allocated once: a hash of
 * the flows the guest can name (a seeded one: the guest picks the ports
 * of the flows it opens), the FIFO of those owing it a packet, and the
 * round robin of local ports. No I/O; tested without a VM.
 */
struct vsock_table {
	struct vsock_conn *conns;	/* [max] */
	uint16_t *buckets;	/* [VSOCK_HASH_SIZE] heads; VSOCK_NIL */
	uint16_t max;		/* entries */
	uint16_t nr_used;	/* entries not FREE */
	uint16_t qhead, qtail;	/* owed list, FIFO */
	uint32_t seed;		/* hash seed: a guest picks ports */
	uint32_t port_last;	/* last local port handed out */
};

#define VSOCK_HASH_SIZE		2048
/* Firecracker's round robin of local ports for host-initiated flows,
 * [2^30, 2^31): far from the ports guests and hosts pick. */
#define VSOCK_LOCAL_PORT_MIN	(UINT32_C(1) << 30)
#define VSOCK_LOCAL_PORT_END	(UINT32_C(1) << 31)

/*
 * Allocates a table of (max) connections (1..VSOCK_NIL - 1), hashing
 * with (seed). 0 or -ENOMEM / -EINVAL. Frees with vsock_table_fini(),
 * which also frees what live connections hold.
 */
int vsock_table_init(struct vsock_table *t, unsigned int max, uint32_t seed);
void vsock_table_fini(struct vsock_table *t);

/* Frees every connection (a device reset). */
void vsock_table_clear(struct vsock_table *t);

/*
 * A FREE entry, made ACCEPTING with its buffers allocated, or NULL when
 * the table is full or out of memory. The caller sets it up with one of
 * vsock_conn_accepted() / vsock_conn_init_peer().
 */
struct vsock_conn *vsock_table_alloc(struct vsock_table *t);
/* Back to FREE: buffers freed, unhashed, off the owed list. */
void vsock_table_free(struct vsock_table *t, struct vsock_conn *c);

static inline unsigned int vsock_table_index(const struct vsock_table *t,
					     const struct vsock_conn *c)
{
	return (unsigned int)(c - t->conns);
}

/* Makes (c), set up as a flow (vsock_conn_init_local() or _peer()),
 * findable by its ports. */
void vsock_table_hash(struct vsock_table *t, struct vsock_conn *c);

/* The hashed connection of flow (local_port, peer_port), or NULL. */
struct vsock_conn *vsock_table_find(const struct vsock_table *t,
				    uint32_t local_port, uint32_t peer_port);

/*
 * A local port for a host-initiated flow: the next after the last one
 * handed out in [VSOCK_LOCAL_PORT_MIN, VSOCK_LOCAL_PORT_END), wrapping,
 * that no hashed connection uses (Firecracker's order).
 */
uint32_t vsock_table_port(struct vsock_table *t);

/*
 * After anything changed (c): keeps the table true to it. Unhashes a
 * CLOSING connection that owes no RST (the flow is over for the guest, a
 * new REQUEST may reuse its ports), and puts (c) on the owed list exactly
 * while vsock_conn_has_packet() says so.
 */
void vsock_table_update(struct vsock_table *t, struct vsock_conn *c);

/* The first connection on the owed list, or NULL. */
struct vsock_conn *vsock_table_owed(const struct vsock_table *t);

/* Moves (c), if on the owed list, to its end: after each packet, so that
 * flows take turns at the guest's buffers. */
void vsock_table_rotate(struct vsock_table *t, struct vsock_conn *c);

#endif
