/* SPDX-License-Identifier: Apache-2.0 */
/* devices/virtio/vsock_priv.h: virtio-vsock's state, shared by vsock.c, vsock_vq.c and vsock_io.c. */
#ifndef IGNIS_VSOCK_PRIV_H
#define IGNIS_VSOCK_PRIV_H

#include <linux/time_types.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "devices/virtio/queue.h"
#include "devices/virtio/vsock.h"
#include "devices/virtio/vsock_conn.h"
#include "devices/virtio/vsock_table.h"
#include "devices/virtio/worker.h"

/*
 * RSTs owed for packets of no connection (5.10.6.5: "A
 * VIRTIO_VSOCK_OP_RST reply is sent if a listening socket does not
 * exist"). The "additional resources outside the virtqueue" of 5.10.6.1:
 * when they run out, the tx queue waits for the driver to take from rx.
 */
#define VSOCK_RST_QUEUE		64
#define VSOCK_TX_BUDGET		64	/* tx chains per on_kick */
#define VSOCK_RING_ENTRIES	512	/* SQ; the CQ is twice that */
#define VSOCK_TICK_NS		(100ull * 1000000)	/* deadline check */

_Static_assert(VSOCK_QUEUE_SIZE <= VQ_MAX_SIZE, "queues too large");
_Static_assert(VSOCK_MAX_CONNS < WORKER_MAX_SPARE_FILES, "spare files");
_Static_assert(WORKER_MAX_SPARE_FILES < VSOCK_NIL, "connection index");

/* What a CQE completes: its tag is WORKER_TAG_DEVICE + (kind << 16 | i),
 * i a connection index (max_conns: the refusal slot). */
enum vsock_kind {
	VSOCK_K_ACCEPT,		/* a host connection into slot i */
	VSOCK_K_RECV,		/* host -> stage / CONNECT line */
	VSOCK_K_SEND,		/* txb / OK line -> host */
	VSOCK_K_SOCKET,		/* a socket into slot i (connect or release) */
	VSOCK_K_CONNECT,	/* to "<uds_path>_<port>" */
	VSOCK_K_SHUT,		/* shutdown(SHUT_RDWR or SHUT_WR) */
	VSOCK_K_CANCEL,		/* a cancel (its target's CQE comes too) */
	VSOCK_K_TIMER,		/* the deadline tick */
	VSOCK_K_COUNT,
};

#define VSOCK_TAG(kind, i)                                                   \
	(WORKER_TAG_DEVICE + ((uint64_t)(kind) << 16 | (uint64_t)(i)))

/* Firecracker's "vsock" metrics (the ones ignis has a meaning for);
 * bytes are payload bytes, packets include control packets. */
#define VSOCK_METRICS(X)                                                      \
	X(rx_queue_event_count) X(tx_queue_event_count) X(rx_packets_count)   \
	X(rx_bytes_count) X(tx_packets_count) X(tx_bytes_count)               \
	X(conns_added) X(conns_removed) X(rst_count) X(dropped_packets)
METRICS_STRUCT(vsock_metrics, VSOCK_METRICS);

/* An RST for a flow with no connection, the guest's ports swapped. */
struct vsock_rst {
	uint32_t src_port;	/* ours: the guest's dst_port */
	uint32_t dst_port;	/* the guest's src_port */
};

/* Device configuration (5.10.4). */
struct virtio_vsock_config {
	uint64_t guest_cid;	/* le64; the upper half zero */
} __attribute__((packed));

struct vsock {
	struct vdev vdev;		/* the transport's view; priv = this */
	const struct gmem *mem;		/* guest RAM, not owned */
	uint64_t cid;			/* the guest's */
	char *uds_path;			/* Firecracker's uds_path */
	int listen_fd;			/* bound there, listening */
	dev_t uds_dev;			/* the socket file we made, */
	ino_t uds_ino;			/* removed at destroy if still ours */
	unsigned int max_conns;		/* table entries; slot max_conns
					 * takes refused host connections */
	struct virtio_vsock_config config;	/* what the guest reads */
	bool active;			/* worker serving (transport lock) */
	/* Worker thread only, from activate to reset: */
	bool needs_reset;		/* error seen: serve nothing */
	bool accept_busy;		/* an accept in flight */
	unsigned int accept_idx;	/* into that slot */
	bool reject_busy;		/* a refused connection closing */
	bool accept_cancelling;		/* the refusing accept's cancel sent */
	uint64_t accept_after;		/* ns: accept again from then */
	bool accept_warned;		/* an accept failure was logged */
	bool timer_busy;		/* the tick in flight */
	bool tx_stalled;		/* txq waits for room for RSTs */
	bool rx_pushed, tx_pushed;	/* used entries not yet signalled */
	unsigned int io_ops;		/* requests in the ring */
	/* Worker thread only, while stopping (vsock_io_stop()): */
	bool timer_cancelling;		/* the tick's cancel submitted */
	bool reject_owed;		/* a refused host connection came in:
					 * its shutdown is owed */
	struct vq vq[VSOCK_NR_QUEUES];	/* rx, tx, event */
	struct vq_chain chain;		/* scratch for vq_pop() */
	struct iovec iov[VQ_MAX_CHAIN];	/* that chain's buffers */
	struct vsock_table table;	/* the connections */
	struct vsock_rst rsts[VSOCK_RST_QUEUE];	/* owed RSTs, a FIFO */
	unsigned int rst_first, rst_nr;
	struct __kernel_timespec tick;	/* VSOCK_TICK_NS */
	struct worker worker;		/* the device's thread */
	struct vsock_metrics metrics;	/* worker adds, VMM flushes */
	struct metrics_group metrics_group;
};

/* vsock.c: device error on the worker thread: serve nothing until reset
 * (2.1.2). */
void vsock_fail(struct vsock *v, const char *why);

/* vsock_io.c: the host side, on the worker thread. */
uint64_t vsock_now(void);
/* After anything changed (c): submit what its state needs (recv, send,
 * connect, shutdown, release), keep the table and the tick true. */
void vsock_io_sync(struct vsock *v, struct vsock_conn *c);
/* Keeps an accept armed on the listener while the device serves. */
void vsock_io_accept(struct vsock *v);
/* The guest's REQUEST (h) for a flow we do not have: connect to
 * "<uds_path>_<h->dst_port>", or owe an RST when the table is full. */
void vsock_io_request(struct vsock *v, const struct vsock_hdr *h);
int vsock_io_on_cqe(struct vsock *v, const struct io_uring_cqe *cqe);
/* Stopping (worker_ops.on_stop, after every pass until nothing is in
 * the ring): cancel what waits, shut every socket down and release it;
 * each step once, one that found no SQE on the next call. */
void vsock_io_stop(struct vsock *v);
/* Stopping: whether a request is still in the ring, or a socket still
 * to be shut or released (worker_ops.in_flight). */
bool vsock_io_stop_owed(const struct vsock *v);

/* vsock_vq.c: the queues, on the worker thread. */
/* Owes an RST for the guest's packet (h) of no connection (never for an
 * RST). */
void vsock_rst_reply(struct vsock *v, const struct vsock_hdr *h);
/* Delivers what is owed into the guest's rx buffers while it has some. */
void vsock_rx_run(struct vsock *v);
/* Takes up to VSOCK_TX_BUDGET packets from the tx queue: > 0 if more
 * wait, 0 if none (or it waits for room to owe RSTs: tx_stalled). */
int vsock_tx_run(struct vsock *v);

#endif
