// SPDX-License-Identifier: Apache-2.0
/* devices/virtio/net.c: virtio network device on a tap (virtio 1.2, 5.1). */
#include "net.h"

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <unistd.h>

#include "devices/virtio/queue.h"
#include "devices/virtio/worker.h"
#include "vmm/log.h"

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
#define VIRTIO_F_INDIRECT_DESC 28
#define VIRTIO_F_EVENT_IDX 29

#define VIRTIO_NET_S_LINK_UP 1 /* config status (5.1.4) */

/* virtio_net_hdr.flags and gso_type (5.1.6). */
#define VIRTIO_NET_HDR_F_NEEDS_CSUM 1
#define VIRTIO_NET_HDR_F_DATA_VALID 2
#define VIRTIO_NET_HDR_GSO_NONE 0
#define VIRTIO_NET_HDR_GSO_TCPV4 1
#define VIRTIO_NET_HDR_GSO_TCPV6 4
#define VIRTIO_NET_HDR_GSO_ECN 0x80

#define BIT(n) (UINT64_C(1) << (n))

/*
 * Offered by every instance (MAC is per instance). Not offered: MTU (the
 * tap's MTU is the operator's), CTRL_VQ and MQ (one queue pair, no
 * filtering), UFO/USO (Linux no longer generates UFO; tun's USO is new).
 */
#define NET_FEATURES                                                   \
	(BIT(VIRTIO_NET_F_CSUM) | BIT(VIRTIO_NET_F_GUEST_CSUM) |       \
	 BIT(VIRTIO_NET_F_GUEST_TSO4) | BIT(VIRTIO_NET_F_GUEST_TSO6) | \
	 BIT(VIRTIO_NET_F_GUEST_ECN) | BIT(VIRTIO_NET_F_HOST_TSO4) |   \
	 BIT(VIRTIO_NET_F_HOST_TSO6) | BIT(VIRTIO_NET_F_HOST_ECN) |    \
	 BIT(VIRTIO_NET_F_MRG_RXBUF) | BIT(VIRTIO_NET_F_STATUS) |      \
	 BIT(VIRTIO_F_INDIRECT_DESC) | BIT(VIRTIO_F_EVENT_IDX))

#define NET_RXQ 0 /* receiveq1 */
#define NET_TXQ 1 /* transmitq1 */
#define NET_TX_SLOTS 32 /* tap writes in flight */
#define NET_TX_BUDGET 64 /* transmit chains per on_kick call */
#define NET_RX_BUDGET NET_QUEUE_SIZE /* receive chains per refill */
#define NET_RX_IOV_RING 1024 /* stashed receive buffers */
/* Buffers lent to one read: readv's limit (IOV_MAX) less the overflow
 * byte that tells a truncated frame from one that fits exactly. */
#define NET_RX_READ_IOV 1023
/* SQ: kill and two kick reads, one tap read, the writes. */
#define NET_RING_ENTRIES 64
#define NET_TAG_RX WORKER_TAG_DEVICE /* the tap read */
#define NET_TAG_TX0 (WORKER_TAG_DEVICE + 1) /* + slot: a write */

_Static_assert(NET_QUEUE_SIZE <= VQ_MAX_SIZE, "queues too large");
_Static_assert((NET_QUEUE_SIZE & (NET_QUEUE_SIZE - 1)) == 0, "stash ring");
_Static_assert(NET_RX_IOV_RING >= 2 * VQ_MAX_CHAIN, "stash iov ring");
_Static_assert(NET_RING_ENTRIES >= 4 + NET_TX_SLOTS, "SQ too small");

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

struct net {
	struct vdev vdev; /* the transport's view; priv = this */
	const struct gmem *mem; /* guest RAM, not owned */
	int kick_fds[NET_NR_QUEUES]; /* ioeventfds, not owned */
	int tap; /* /dev/net/tun, attached to the tap */
	char thread_name[16]; /* "vnet-<tap>" */
	struct virtio_net_config config; /* what the guest reads */
	bool active; /* worker running (transport lock) */
	/* Worker thread only, from activate to reset: */
	bool needs_reset; /* error seen: serve nothing */
	bool mrg_rxbuf; /* VIRTIO_NET_F_MRG_RXBUF negotiated */
	uint64_t features; /* negotiated */
	struct vq vq[NET_NR_QUEUES]; /* receiveq1, transmitq1 */
	struct vq_chain chain; /* scratch for vq_pop() */
	/* Receive: chains popped, not yet used (a FIFO stash). */
	bool rx_reading; /* the tap read is in flight */
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
	/* Counters, for a debugger and log_debug(). */
	uint64_t rx_dropped; /* frames or chains dropped */
	uint64_t tx_dropped; /* malformed chains, failed writes */
	struct worker worker; /* the device's thread */
};

/*
 * IORING_OP_READ for kicks is the runtime's. Each entry: who submits it.
 * No POLL_ADD: the tap is O_NONBLOCK, which tells io_uring it may try
 * the read without blocking and park it on the tap's wait queue
 * (internal poll) when empty, instead of blocking an io-wq thread.
 */
static const uint8_t net_opcodes[] = {
	IORING_OP_READV, /* receive: tap -> guest buffers */
	IORING_OP_WRITEV, /* transmit: guest buffers -> tap */
};

static struct net *to_net(struct vdev *d)
{
	return d->priv;
}

/* Device error on the worker thread: serve nothing until a reset (2.1.2). */
static void net_fail(struct net *n, const char *why)
{
	if (n->needs_reset)
		return;
	n->needs_reset = true;
	log_debug("net: %s, device needs reset", why);
	vdev_set_needs_reset(&n->vdev);
}

static void net_push(struct net *n, unsigned int q, uint16_t head, uint32_t len)
{
	if (vq_push(&n->vq[q], n->mem, head, len)) {
		net_fail(n, q == NET_RXQ ? "receiveq push" : "transmitq push");
		return;
	}
	if (q == NET_RXQ)
		n->rx_pushed = true;
	else
		n->tx_pushed = true;
}

/* ---- receive ---- */

static struct net_rx_chain *net_rx_chain(struct net *n, unsigned int i)
{
	return &n->rx_chains[(n->rx_first + i) & (NET_QUEUE_SIZE - 1)];
}

static struct iovec *net_rx_iov(struct net *n, unsigned int i)
{
	return &n->rx_iov[i & (NET_RX_IOV_RING - 1)];
}

/*
 * Whether the stash can take the next frame. Without MRG_RXBUF one chain
 * holds one frame. With it, a read needs room for the largest frame, as
 * the size is known only after it. Fewer bytes are lent only when the
 * driver cannot give more: the stash holds every descriptor of the ring,
 * or its own arrays are full; a frame that then does not fit is dropped.
 */
static bool net_rx_ready(const struct net *n)
{
	if (!n->rx_nr)
		return false;
	if (!n->mrg_rxbuf)
		return true;
	return n->rx_cap >= NET_BUF_MAX || n->rx_nr >= n->vq[NET_RXQ].size ||
	       n->rx_iov_nr >= n->vq[NET_RXQ].size ||
	       NET_RX_IOV_RING - n->rx_iov_nr < VQ_MAX_CHAIN;
}

/*
 * 5.1.6.3: receive buffers are device-writable, and "If
 * VIRTIO_NET_F_MRG_RXBUF is negotiated, each buffer MUST be at least the
 * size of the struct virtio_net_hdr"; we ask that of every chain.
 */
static bool net_rx_chain_ok(const struct vq_chain *c)
{
	return c->readable_len == 0 && c->writable_len >= NET_HDR_LEN;
}

static void net_rx_stash(struct net *n, const struct vq_chain *c)
{
	struct net_rx_chain *rc = net_rx_chain(n, n->rx_nr);

	rc->head = c->head;
	rc->len = c->writable_len;
	rc->first = n->rx_iov_first + n->rx_iov_nr;
	rc->nr = c->nr;
	for (unsigned int i = 0; i < c->nr; i++)
		*net_rx_iov(n, rc->first + i) = (struct iovec){
			.iov_base = c->bufs[i].addr,
			.iov_len = c->bufs[i].len,
		};
	n->rx_iov_nr += c->nr;
	n->rx_cap += rc->len;
	n->rx_nr++;
}

static void net_rx_unstash_first(struct net *n)
{
	struct net_rx_chain *rc = net_rx_chain(n, 0);

	n->rx_iov_first += rc->nr;
	n->rx_iov_nr -= rc->nr;
	n->rx_cap -= rc->len;
	n->rx_first++;
	n->rx_nr--;
}

/*
 * Pops receive chains into the stash until it is ready. Returns 1 (ready),
 * 0 (the driver has to post more: notifications are on) or -EIO.
 */
static int net_rx_refill(struct net *n)
{
	struct vq *q = &n->vq[NET_RXQ];
	unsigned int popped = 0;
	int ret;

	while (!net_rx_ready(n)) {
		if (popped++ == NET_RX_BUDGET)
			return 0; /* a flood of bad chains: next kick */
		ret = vq_pop(q, n->mem, &n->chain);
		if (ret == 0) {
			ret = vq_enable_notification(q, n->mem);
			if (ret == 0)
				return 0;
			if (ret > 0)
				continue;
		}
		if (ret < 0)
			return -EIO;
		if (!net_rx_chain_ok(&n->chain)) {
			n->rx_dropped++;
			log_debug("net: malformed receive chain");
			net_push(n, NET_RXQ, n->chain.head, 0);
			continue;
		}
		net_rx_stash(n, &n->chain);
	}
	/* Until the stash runs low again, kicks would only cost exits. */
	vq_disable_notification(q, n->mem);
	return 1;
}

/*
 * Lends the stash to one tap read: every chain with MRG_RXBUF, else the
 * first, up to NET_BUF_MAX bytes, then the overflow byte. The read is in
 * flight only while a frame is being copied or the tap is empty, and the
 * ring's teardown at reset cancels it (see net_stop()).
 */
static void net_rx_submit(struct net *n)
{
	struct io_uring_sqe *sqe = worker_sqe(&n->worker);
	unsigned int nr = 0;
	uint64_t lent = 0;

	if (!sqe)
		return; /* SQ full: on_pass_end tries again */
	for (unsigned int c = 0; c < n->rx_nr; c++) {
		const struct net_rx_chain *rc = net_rx_chain(n, c);

		for (unsigned int i = 0; i < rc->nr; i++) {
			const struct iovec *v = net_rx_iov(n, rc->first + i);
			uint64_t len = v->iov_len;

			if (lent == NET_BUF_MAX || nr == NET_RX_READ_IOV)
				break;
			if (len > NET_BUF_MAX - lent)
				len = NET_BUF_MAX - lent;
			n->rx_read[nr++] = (struct iovec){ v->iov_base, len };
			lent += len;
		}
		if (!n->mrg_rxbuf)
			break;
	}
	n->rx_read[nr++] = (struct iovec){ &n->rx_overflow, 1 };
	n->rx_lent = lent;
	io_uring_prep_readv(sqe, WORKER_FILE_BACKEND, n->rx_read, nr, 0);
	sqe->flags |= IOSQE_FIXED_FILE;
	io_uring_sqe_set_data64(sqe, NET_TAG_RX);
	n->rx_reading = true;
}

/* Copies the header at the start of the first stashed chain to or from
 * (h); it may span that chain's first buffers. */
static void net_rx_hdr_io(struct net *n, struct virtio_net_hdr *h, bool write)
{
	const struct net_rx_chain *rc = net_rx_chain(n, 0);
	uint8_t *p = (uint8_t *)h;
	size_t left = sizeof(*h);

	for (unsigned int i = 0; left && i < rc->nr; i++) {
		const struct iovec *v = net_rx_iov(n, rc->first + i);
		size_t k = v->iov_len < left ? v->iov_len : left;

		if (write)
			memcpy(v->iov_base, p, k);
		else
			memcpy(p, v->iov_base, k);
		p += k;
		left -= k;
	}
}

/*
 * Checks the tap's header against what the driver negotiated; the tap
 * may still hold frames queued under a previous driver's offloads. "If
 * VIRTIO_NET_F_GUEST_CSUM is not negotiated, the device MUST set flags to
 * zero"; "If none of the VIRTIO_NET_F_GUEST_TSO4, TSO6, UFO, USO options
 * have been negotiated, the device MUST set gso_type to
 * VIRTIO_NET_HDR_GSO_NONE" (5.1.6.4.1). False: drop the frame.
 */
static bool net_rx_hdr_fix(const struct net *n, struct virtio_net_hdr *h)
{
	uint64_t f = n->features;
	uint8_t gso = h->gso_type & ~VIRTIO_NET_HDR_GSO_ECN;

	if (!(f & BIT(VIRTIO_NET_F_GUEST_CSUM))) {
		/* A partial checksum cannot be completed here. */
		if (h->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM)
			return false;
		h->flags = 0;
	}
	h->flags &= VIRTIO_NET_HDR_F_NEEDS_CSUM | VIRTIO_NET_HDR_F_DATA_VALID;
	if ((h->gso_type & VIRTIO_NET_HDR_GSO_ECN) &&
	    !(f & BIT(VIRTIO_NET_F_GUEST_ECN)))
		return false;
	switch (gso) {
	case VIRTIO_NET_HDR_GSO_NONE:
		return true;
	case VIRTIO_NET_HDR_GSO_TCPV4:
		return f & BIT(VIRTIO_NET_F_GUEST_TSO4);
	case VIRTIO_NET_HDR_GSO_TCPV6:
		return f & BIT(VIRTIO_NET_F_GUEST_TSO6);
	default:
		return false;
	}
}

/*
 * The read wrote (len) bytes: header + frame, in order, across the stash.
 * Pushes the chains it filled. "If VIRTIO_NET_F_MRG_RXBUF has been
 * negotiated, the device MUST set num_buffers to the number of descriptors
 * used to hold the incoming packet"; without it, "the device MUST set
 * num_buffers to 1" (5.1.6.4.1), which one chain per frame gives.
 */
static void net_rx_deliver(struct net *n, uint64_t len)
{
	struct virtio_net_hdr h;
	unsigned int k = 0;
	uint64_t left;

	/* The overflow byte was written: the frame did not fit. The stash
	 * is untouched; its chains take the next frame. */
	if (len > n->rx_lent || len < NET_HDR_LEN) {
		n->rx_dropped++;
		log_debug("net: %llu-byte frame dropped: no room",
			  (unsigned long long)len);
		return;
	}
	net_rx_hdr_io(n, &h, false);
	if (!net_rx_hdr_fix(n, &h)) {
		n->rx_dropped++;
		log_debug("net: frame with unnegotiated offloads dropped");
		return;
	}
	for (left = len; left; k++) {
		uint32_t cap = net_rx_chain(n, k)->len;

		left -= left < cap ? left : cap;
	}
	h.num_buffers = htole16((uint16_t)k);
	net_rx_hdr_io(n, &h, true);
	for (left = len; left && !n->needs_reset;) {
		const struct net_rx_chain *rc = net_rx_chain(n, 0);
		uint32_t used = left < rc->len ? (uint32_t)left : rc->len;

		net_push(n, NET_RXQ, rc->head, used);
		left -= used;
		net_rx_unstash_first(n);
	}
}

/* Reads the next frame if the stash is ready, else waits for a kick. */
static void net_rx_run(struct net *n)
{
	int ret;

	if (n->needs_reset || n->rx_reading || n->rx_waiting)
		return;
	ret = net_rx_refill(n);
	if (ret < 0) {
		net_fail(n, "receiveq broken");
		return;
	}
	if (ret == 0) {
		/* Back-pressure: no read, so frames wait in the tap's own
		 * queue (txqueuelen, then dropped by the kernel). */
		n->rx_waiting = true;
		return;
	}
	net_rx_submit(n);
}

static void net_rx_on_cqe(struct net *n, int res)
{
	n->rx_reading = false;
	if (n->needs_reset)
		return;
	if (res < 0) {
		/* The tap is gone or broken: a host problem, not the
		 * guest's, and retrying would spin. */
		log_warn("net: tap read: %s", strerror(-res));
		net_fail(n, "tap read failed");
		return;
	}
	net_rx_deliver(n, (uint64_t)res);
	net_rx_run(n);
}

/* ---- transmit ---- */

/*
 * A transmit chain is the 12-byte header then the frame, all
 * device-readable (5.1.6.2). Anything else, or more than the largest
 * frame, is dropped.
 */
static bool net_tx_chain_ok(const struct vq_chain *c)
{
	return c->writable_len == 0 && c->readable_len >= NET_HDR_LEN &&
	       c->readable_len <= NET_BUF_MAX;
}

/* Writes chain (c) to the tap straight from guest RAM: the header goes
 * to the tap as is (IFF_VNET_HDR); the kernel validates it. */
static void net_tx_submit(struct net *n, const struct vq_chain *c)
{
	struct io_uring_sqe *sqe;
	struct net_tx_slot *s = NULL;
	unsigned int i;

	for (i = 0; i < NET_TX_SLOTS; i++) {
		if (!n->tx[i].busy) {
			s = &n->tx[i];
			break;
		}
	}
	sqe = s ? worker_sqe(&n->worker) : NULL;
	if (!sqe) { /* cannot happen: slots < SQ entries */
		n->tx_dropped++;
		net_push(n, NET_TXQ, c->head, 0);
		return;
	}
	for (unsigned int b = 0; b < c->nr; b++)
		s->iov[b] = (struct iovec){ c->bufs[b].addr, c->bufs[b].len };
	s->head = c->head;
	s->busy = true;
	n->tx_free--;
	io_uring_prep_writev(sqe, WORKER_FILE_BACKEND, s->iov, c->nr, 0);
	sqe->flags |= IOSQE_FIXED_FILE;
	io_uring_sqe_set_data64(sqe, NET_TAG_TX0 + i);
}

/*
 * Pops and sends up to NET_TX_BUDGET chains. Returns > 0 if the budget ran
 * out with chains left, 0 otherwise (ring empty, broken, or every slot
 * busy: then tx_stalled, and on_pass_end resumes once a write completes).
 */
static int net_tx_run(struct net *n)
{
	struct vq *q = &n->vq[NET_TXQ];
	unsigned int done = 0;
	int ret;

	n->tx_stalled = false;
	vq_disable_notification(q, n->mem);
	while (!n->needs_reset) {
		if (done == NET_TX_BUDGET)
			return 1;
		if (!n->tx_free) {
			n->tx_stalled = true;
			return 0;
		}
		ret = vq_pop(q, n->mem, &n->chain);
		if (ret == 0) {
			ret = vq_enable_notification(q, n->mem);
			if (ret == 0)
				return 0;
			if (ret > 0)
				continue;
		}
		if (ret < 0) {
			net_fail(n, "transmitq broken");
			return 0;
		}
		done++;
		if (!net_tx_chain_ok(&n->chain)) {
			n->tx_dropped++;
			log_debug("net: malformed transmit chain (%u bytes)",
				  n->chain.readable_len);
			net_push(n, NET_TXQ, n->chain.head, 0);
			continue;
		}
		net_tx_submit(n, &n->chain);
	}
	return 0;
}

/* The write of slot (i) completed: the chain goes back, used length 0
 * (the device wrote nothing into it). */
static int net_tx_on_cqe(struct net *n, uint64_t i, int res)
{
	struct net_tx_slot *s;

	if (i >= NET_TX_SLOTS || !n->tx[i].busy)
		return -EINVAL; /* not ours: a runtime bug */
	s = &n->tx[i];
	s->busy = false;
	n->tx_free++;
	if (n->needs_reset)
		return 0;
	if (res < 0) {
		/* -EIO while the tap is down, -EINVAL for a header the
		 * kernel refused: the frame is lost, as on a wire. */
		n->tx_dropped++;
		log_debug("net: tap write: %s", strerror(-res));
	}
	net_push(n, NET_TXQ, s->head, 0);
	return 0;
}

/* ---- worker callbacks ---- */

static int net_on_kick(void *ctx, unsigned int queue)
{
	struct net *n = ctx;

	if (n->needs_reset)
		return 0; /* drained and ignored until reset */
	if (queue == NET_RXQ) {
		n->rx_waiting = false;
		net_rx_run(n);
		return 0;
	}
	return net_tx_run(n);
}

static int net_on_cqe(void *ctx, const struct io_uring_cqe *cqe)
{
	struct net *n = ctx;
	uint64_t tag = io_uring_cqe_get_data64(cqe);

	if (tag == NET_TAG_RX) {
		if (!n->rx_reading)
			return -EINVAL;
		net_rx_on_cqe(n, cqe->res);
		return 0;
	}
	return net_tx_on_cqe(n, tag - NET_TAG_TX0, cqe->res);
}

/* Resumes what waited for the ring, then one interrupt per pass for
 * everything both queues completed in it. */
static void net_on_pass_end(void *ctx)
{
	struct net *n = ctx;
	bool irq = false;

	if (n->tx_stalled && n->tx_free && !n->needs_reset && net_tx_run(n) > 0)
		n->tx_stalled = true; /* budget: the next pass goes on */
	net_rx_run(n);
	if (n->needs_reset)
		return;
	if (n->rx_pushed && vq_should_notify(&n->vq[NET_RXQ], n->mem))
		irq = true;
	if (n->tx_pushed && vq_should_notify(&n->vq[NET_TXQ], n->mem))
		irq = true;
	n->rx_pushed = false;
	n->tx_pushed = false;
	if (irq)
		vdev_raise_irq(&n->vdev, VDEV_INT_USED);
}

static const struct worker_ops net_worker_ops = {
	.on_kick = net_on_kick,
	.on_cqe = net_on_cqe,
	.on_pass_end = net_on_pass_end,
};

/* ---- lifecycle ---- */

static int net_config_rw(struct vdev *d, uint32_t off, void *buf, uint32_t len,
			 bool write)
{
	struct net *n = to_net(d);

	/* Nothing here is driver-writable on a modern device (only legacy
	 * drivers wrote mac, 5.1.4): writes are dropped. */
	if (!write)
		memcpy(buf, (const uint8_t *)&n->config + off, len);
	return 0;
}

/*
 * What the tap may hand the guest: only offloads the driver accepted, so
 * the kernel completes checksums and segments everything else before the
 * frame reaches us. tun refuses TSO without CSUM and ECN without TSO.
 */
static unsigned int net_tap_offloads(uint64_t f)
{
	unsigned int off = 0;

	if (!(f & BIT(VIRTIO_NET_F_GUEST_CSUM)))
		return 0;
	off |= TUN_F_CSUM;
	if (f & BIT(VIRTIO_NET_F_GUEST_TSO4))
		off |= TUN_F_TSO4;
	if (f & BIT(VIRTIO_NET_F_GUEST_TSO6))
		off |= TUN_F_TSO6;
	if ((off & (TUN_F_TSO4 | TUN_F_TSO6)) &&
	    (f & BIT(VIRTIO_NET_F_GUEST_ECN)))
		off |= TUN_F_TSO_ECN;
	return off;
}

static int net_set_offload(struct net *n, unsigned int off)
{
	if (ioctl(n->tap, TUNSETOFFLOAD, (unsigned long)off))
		return -errno;
	return 0;
}

/*
 * A notification the device may never get: the driver may fill the
 * queues before DRIVER_OK ("population of virtqueues", 3.1.1 step 7) and
 * only notify later, or not at all for receive buffers. Signalling each
 * queue's eventfd once makes the worker look at both rings on its first
 * pass. The fds stay the caller's; this only bumps their counters.
 */
static void net_kick_self(struct net *n)
{
	uint64_t one = 1;

	for (unsigned int q = 0; q < NET_NR_QUEUES; q++)
		if (write(n->kick_fds[q], &one, sizeof(one)) < 0)
			log_debug("net: kick %u: %s", q, strerror(errno));
}

static void net_clear(struct net *n)
{
	memset(n->vq, 0, sizeof(n->vq));
	n->needs_reset = false;
	n->rx_reading = false;
	n->rx_waiting = false;
	n->rx_pushed = false;
	n->rx_first = 0;
	n->rx_nr = 0;
	n->rx_iov_first = 0;
	n->rx_iov_nr = 0;
	n->rx_cap = 0;
	n->tx_stalled = false;
	n->tx_pushed = false;
	n->tx_free = NET_TX_SLOTS;
	for (unsigned int i = 0; i < NET_TX_SLOTS; i++)
		n->tx[i].busy = false;
}

/* DRIVER_OK (transport lock held): freeze both queues, program the tap's
 * offloads, start the worker. */
static int net_activate(struct vdev *d)
{
	struct net *n = to_net(d);
	const struct worker_config cfg = {
		.name = n->thread_name,
		.cls = JAIL_VIRTIO,
		.nr_kick_fds = NET_NR_QUEUES,
		.kick_fds = n->kick_fds,
		.backend_fd = n->tap,
		.opcodes = net_opcodes,
		.nr_opcodes = sizeof(net_opcodes),
		.entries = NET_RING_ENTRIES,
	};
	bool event_idx = d->features & BIT(VIRTIO_F_EVENT_IDX);
	bool indirect = d->features & BIT(VIRTIO_F_INDIRECT_DESC);
	int ret;

	if (n->active)
		return -EBUSY; /* the transport resets before re-activating */
	net_clear(n);
	for (unsigned int q = 0; q < NET_NR_QUEUES; q++) {
		const struct vdev_queue_cfg *qc = &d->queues[q];

		ret = vq_init(&n->vq[q], n->mem, qc->size, qc->desc, qc->avail,
			      qc->used, event_idx, indirect);
		if (ret)
			goto err_clear;
	}
	n->features = d->features;
	n->mrg_rxbuf = d->features & BIT(VIRTIO_NET_F_MRG_RXBUF);
	ret = net_set_offload(n, net_tap_offloads(d->features));
	if (ret) {
		log_warn("net: TUNSETOFFLOAD: %s", strerror(-ret));
		goto err_clear;
	}
	ret = worker_start(&n->worker, &cfg, &net_worker_ops, n);
	if (ret)
		goto err_offload;
	n->active = true;
	net_kick_self(n);
	return 0;

err_offload:
	net_set_offload(n, 0);
err_clear:
	net_clear(n);
	return ret;
}

static void net_stop(struct net *n)
{
	int ret;

	if (!n->active)
		return;
	/*
	 * The worker returns no chain it holds: after a reset the driver
	 * owns every buffer again and forgets them. No guest buffer is
	 * written after this: a tap read still parked in io_uring's poll is
	 * retried only by its submitter, and once the worker thread has
	 * exited io_uring cancels it instead (PF_EXITING), as does the
	 * ring's teardown; tap writes never park (tun's send buffer is
	 * unbounded), so they all completed inside the worker's last
	 * io_uring_enter.
	 */
	ret = worker_stop(&n->worker);
	if (ret)
		log_warn("net: worker ended with %d", ret);
	n->active = false;
	/* Offloads off again: a reset driver may not take them. */
	ret = net_set_offload(n, 0);
	if (ret)
		log_warn("net: TUNSETOFFLOAD: %s", strerror(-ret));
	net_clear(n);
}

static void net_reset(struct vdev *d)
{
	net_stop(to_net(d));
}

static const struct vdev_ops net_ops = {
	.name = "net",
	.device_id = NET_DEVICE_ID,
	.nr_queues = NET_NR_QUEUES,
	.max_queue_size = NET_QUEUE_SIZE,
	.features = NET_FEATURES, /* + MAC per instance (offered) */
	.config_size = sizeof(struct virtio_net_config),
	.config_rw = net_config_rw,
	.activate = net_activate,
	.reset = net_reset,
};

/*
 * Attaches (n) to tap (name): O_NONBLOCK for io_uring (see net_opcodes);
 * the 12-byte little-endian header of VERSION_1 (5.1.6); no offloads until
 * a driver accepts some.
 */
static int net_open_tap(struct net *n, const char *name)
{
	struct ifreq ifr = { 0 };
	int hdr = NET_HDR_LEN, le = 1;

	int err;

	n->tap = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (n->tap < 0) {
		err = -errno;
		log_error("net %s: /dev/net/tun: %s", name, strerror(-err));
		return err;
	}
	memcpy(ifr.ifr_name, name, strlen(name));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
	if (ioctl(n->tap, TUNSETIFF, &ifr)) {
		/* EBUSY: another process has it; EPERM: no CAP_NET_ADMIN
		 * to create it; EINVAL: a tun, not a tap, of that name. */
		err = -errno;
		log_error("net %s: cannot attach: %s", name, strerror(-err));
		goto err_close;
	}
	if (ioctl(n->tap, TUNSETVNETHDRSZ, &hdr) ||
	    ioctl(n->tap, TUNSETVNETLE, &le) ||
	    ioctl(n->tap, TUNSETOFFLOAD, 0UL)) {
		err = -errno;
		log_error("net %s: set-up: %s", name, strerror(-err));
		goto err_close;
	}
	return 0;

err_close:
	close(n->tap);
	n->tap = -1;
	return err;
}

int net_create(const struct gmem *mem, const int *kick_fds,
	       const struct net_params *p, struct vdev **out)
{
	struct net *n;
	size_t len;
	int ret;

	if (!mem || !kick_fds || !p || !p->tap || !out)
		return -EINVAL;
	for (unsigned int q = 0; q < NET_NR_QUEUES; q++)
		if (kick_fds[q] < 0)
			return -EINVAL;
	/* A '%' would let the kernel pick the name (tap%d): the operator
	 * names the tap it set up. */
	len = strlen(p->tap);
	if (len == 0 || len >= IFNAMSIZ || strchr(p->tap, '%'))
		return -EINVAL;
	n = calloc(1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	ret = net_open_tap(n, p->tap);
	if (ret)
		goto err_free;
	memcpy(n->config.mac, p->mac, NET_MAC_LEN);
	n->config.status = htole16(VIRTIO_NET_S_LINK_UP);
	n->config.max_virtqueue_pairs = htole16(1);
	snprintf(n->thread_name, sizeof(n->thread_name), "vnet-%.10s", p->tap);
	for (unsigned int q = 0; q < NET_NR_QUEUES; q++)
		n->kick_fds[q] = kick_fds[q];
	n->mem = mem;
	n->vdev.ops = &net_ops;
	n->vdev.priv = n;
	n->vdev.offered = p->has_mac ? BIT(VIRTIO_NET_F_MAC) : 0;
	*out = &n->vdev;
	return 0;

err_free:
	free(n);
	return ret;
}

void net_destroy(struct vdev *d)
{
	struct net *n;

	if (!d)
		return;
	n = to_net(d);
	net_stop(n);
	close(n->tap);
	free(n);
}
