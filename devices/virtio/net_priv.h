/* SPDX-License-Identifier: Apache-2.0 */
/* devices/virtio/net_priv.h: virtio-net's state, shared by net.c and net_rx.c. */
#ifndef IGNIS_NET_PRIV_H
#define IGNIS_NET_PRIV_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "devices/virtio/net.h"
#include "devices/virtio/queue.h"
#include "devices/virtio/worker.h"

/* Feature bits (5.1.3). */
#define VIRTIO_NET_F_CSUM 0 /* device takes partial csums */
#define VIRTIO_NET_F_GUEST_CSUM 1 /* driver takes partial csums */
#define VIRTIO_NET_F_MAC 5 /* mac in config */
#define VIRTIO_NET_F_GUEST_TSO4 7 /* driver takes TSOv4 */
#define VIRTIO_NET_F_GUEST_TSO6 8 /* driver takes TSOv6 */
#define VIRTIO_NET_F_GUEST_ECN 9 /* ... with ECN */
#define VIRTIO_NET_F_HOST_TSO4 11 /* device takes TSOv4 */
#define VIRTIO_NET_F_HOST_TSO6 12 /* device takes TSOv6 */
#define VIRTIO_NET_F_HOST_ECN 13 /* ... with ECN */
#define VIRTIO_NET_F_MRG_RXBUF 15 /* frames span receive chains */
#define VIRTIO_NET_F_STATUS 16 /* status in config */

#define VIRTIO_NET_S_LINK_UP 1 /* config status (5.1.4) */

/* virtio_net_hdr.flags and gso_type (5.1.6). */
#define VIRTIO_NET_HDR_F_NEEDS_CSUM 1
#define VIRTIO_NET_HDR_F_DATA_VALID 2
#define VIRTIO_NET_HDR_GSO_NONE 0
#define VIRTIO_NET_HDR_GSO_TCPV4 1
#define VIRTIO_NET_HDR_GSO_TCPV6 4
#define VIRTIO_NET_HDR_GSO_ECN 0x80


/*
 * Offered by every instance (MAC is per instance). Not offered: MTU (the
 * tap's MTU is the operator's), CTRL_VQ and MQ (one queue pair, no
 * filtering), UFO/USO (Linux no longer generates UFO; tun's USO is new).
 */
#define NET_FEATURES                                                   \
	(VDEV_BIT(VIRTIO_NET_F_CSUM) | VDEV_BIT(VIRTIO_NET_F_GUEST_CSUM) |       \
	 VDEV_BIT(VIRTIO_NET_F_GUEST_TSO4) | VDEV_BIT(VIRTIO_NET_F_GUEST_TSO6) | \
	 VDEV_BIT(VIRTIO_NET_F_GUEST_ECN) | VDEV_BIT(VIRTIO_NET_F_HOST_TSO4) |   \
	 VDEV_BIT(VIRTIO_NET_F_HOST_TSO6) | VDEV_BIT(VIRTIO_NET_F_HOST_ECN) |    \
	 VDEV_BIT(VIRTIO_NET_F_MRG_RXBUF) | VDEV_BIT(VIRTIO_NET_F_STATUS) |      \
	 VDEV_BIT(VDEV_F_INDIRECT_DESC) | VDEV_BIT(VDEV_F_EVENT_IDX))

#define NET_RXQ 0 /* receiveq1 */
#define NET_TXQ 1 /* transmitq1 */
#define NET_TX_SLOTS 32 /* tap writes in flight */
#define NET_TX_BUDGET 64 /* transmit chains per on_kick call */
#define NET_RX_BUDGET NET_QUEUE_SIZE /* receive chains per refill */
#define NET_RX_IOV_RING 1024 /* stashed receive buffers */
/* Buffers lent to one read: readv's limit (IOV_MAX) less the overflow
 * byte that tells a truncated frame from one that fits exactly. */
#define NET_RX_READ_IOV 1023
/* SQ: control and two kick reads, one tap read and its cancel, the
 * writes. */
#define NET_RING_ENTRIES 64
#define NET_TAG_RX WORKER_TAG_DEVICE /* the tap read */
#define NET_TAG_RX_CANCEL (WORKER_TAG_DEVICE + 1) /* its cancellation */
#define NET_TAG_TX0 (WORKER_TAG_DEVICE + 2) /* + slot: a write */

_Static_assert(NET_QUEUE_SIZE <= VQ_MAX_SIZE, "queues too large");
_Static_assert((NET_QUEUE_SIZE & (NET_QUEUE_SIZE - 1)) == 0, "stash ring");
_Static_assert(NET_RX_IOV_RING >= 2 * VQ_MAX_CHAIN, "stash iov ring");
_Static_assert(NET_RING_ENTRIES >= 5 + NET_TX_SLOTS, "SQ too small");

/* Device configuration (5.1.4), as the guest reads it; mtu and later
 * fields exist only with features we do not offer. */
struct virtio_net_config {
	uint8_t mac[NET_MAC_LEN]; /* VIRTIO_NET_F_MAC */
	uint16_t status; /* VIRTIO_NET_F_STATUS: LINK_UP */
	uint16_t max_virtqueue_pairs; /* 1 */
} __attribute__((packed));
_Static_assert(sizeof(struct virtio_net_config) == 10, "5.1.4 layout");

/* struct virtio_net_hdr (5.1.6), little-endian; with VERSION_1 it always
 * carries num_buffers, so the tap's header size is 12. */
struct virtio_net_hdr {
	uint8_t flags; /* VIRTIO_NET_HDR_F_* */
	uint8_t gso_type; /* VIRTIO_NET_HDR_GSO_* */
	uint16_t hdr_len; /* headers to copy per segment */
	uint16_t gso_size; /* segment payload bytes */
	uint16_t csum_start; /* where checksumming starts */
	uint16_t csum_offset; /* where the csum goes, from start */
	uint16_t num_buffers; /* receive chains of this frame */
} __attribute__((packed));
_Static_assert(sizeof(struct virtio_net_hdr) == NET_HDR_LEN, "5.1.6 hdr");

/* A receive chain held between pop and push. */
struct net_rx_chain {
	uint16_t head; /* id for vq_push() */
	uint32_t len; /* writable bytes */
	unsigned int first; /* first buffer in rx_iov (ring index) */
	unsigned int nr; /* buffers */
};

/* A transmit chain whose write is in flight. */
struct net_tx_slot {
	uint16_t head; /* id for vq_push() */
	bool busy; /* write in flight */
	struct iovec iov[VQ_MAX_CHAIN]; /* header + frame, in guest RAM */
};

/* Firecracker's "net" metrics (the ones ignis has a meaning for); bytes
 * are frame bytes, without the virtio-net header. */
#define NET_METRICS(X)                                                        \
	X(rx_bytes_count) X(rx_packets_count) X(rx_fails) X(tx_bytes_count)   \
	X(tx_packets_count) X(tx_fails) X(tx_malformed_frames)                \
	X(rx_queue_event_count) X(tx_queue_event_count)
METRICS_STRUCT(net_metrics, NET_METRICS);

struct net {
	struct vdev vdev; /* the transport's view; priv = this */
	const struct gmem *mem; /* guest RAM, not owned */
	int tap; /* /dev/net/tun, attached to the tap */
	char thread_name[16]; /* "vnet-<tap>" */
	struct virtio_net_config config; /* what the guest reads */
	bool active; /* worker serving (transport lock) */
	/* Worker thread only, from activate to reset: */
	bool needs_reset; /* error seen: serve nothing */
	bool mrg_rxbuf; /* VIRTIO_NET_F_MRG_RXBUF negotiated */
	unsigned int tap_offloads; /* TUN_F_* the tap has (worker only) */
	uint64_t features; /* negotiated */
	struct vq vq[NET_NR_QUEUES]; /* receiveq1, transmitq1 */
	struct vq_chain chain; /* scratch for vq_pop() */
	/* Receive: chains popped, not yet used (a FIFO stash). */
	bool rx_reading; /* the tap read is in flight */
	bool rx_cancelling; /* its cancellation is in flight */
	bool rx_waiting; /* waiting for the driver's buffers */
	bool rx_pushed; /* used entries not yet signalled */
	unsigned int rx_first, rx_nr; /* stash: rx_chains ring */
	unsigned int rx_iov_first, rx_iov_nr; /* their buffers: rx_iov */
	uint64_t rx_cap; /* writable bytes in the stash */
	uint64_t rx_lent; /* bytes lent to the read in flight */
	uint8_t rx_overflow; /* one byte past what was lent */
	struct net_rx_chain rx_chains[NET_QUEUE_SIZE]; /* stashed chains */
	struct iovec rx_iov[NET_RX_IOV_RING]; /* their buffers, in order */
	struct iovec rx_read[NET_RX_READ_IOV + 1]; /* the read's iovecs */
	/* Transmit. */
	bool tx_stalled; /* chains wait for a free slot */
	bool tx_pushed; /* used entries not yet signalled */
	unsigned int tx_free; /* free slots */
	struct net_tx_slot tx[NET_TX_SLOTS]; /* writes in flight */
	struct worker worker; /* the device's thread */
	struct net_metrics metrics; /* worker adds, VMM flushes */
	struct metrics_group metrics_group;
};

/*
 * IORING_OP_READ for kicks is the runtime's. Each entry: who submits it.
 * No POLL_ADD: the tap is O_NONBLOCK, which tells io_uring it may try
 * the read without blocking and park it on the tap's wait queue
 * (internal poll) when empty, instead of blocking an io-wq thread.
 */

/* net.c: device error on the worker thread; a used entry on queue (q). */
void net_fail(struct net *n, const char *why);
void net_push(struct net *n, unsigned int q, uint16_t head, uint32_t len);

/* net_rx.c: the receive side, on the worker thread. */
void net_rx_run(struct net *n);
void net_rx_on_cqe(struct net *n, int res);
/* Cancels the tap read in flight, unless that is under way already; with
 * no SQE free, nothing (call again). */
void net_rx_cancel(struct net *n);

#endif
