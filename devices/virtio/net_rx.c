// SPDX-License-Identifier: Apache-2.0
/* devices/virtio/net_rx.c: virtio-net's receive side (virtio 1.2, 5.1.6.3-4). */
#include "devices/virtio/net_priv.h"

#include <endian.h>
#include <errno.h>
#include <string.h>

#include "vmm/log.h"

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
		ret = vq_pop_or_rearm(q, n->mem, &n->chain);
		if (ret == 0)
			return 0;
		if (ret < 0 && ret != -EFAULT)
			return -EIO;
		/* -EFAULT: not mapped behind the iommu; an empty chain. */
		if (!net_rx_chain_ok(&n->chain)) {
			metric_inc(&n->metrics.rx_fails);
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
 * flight only while a frame is being copied or the tap is empty; a reset
 * cancels it and waits for its end (net_on_stop(), net_in_flight()).
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

	if (!(f & VDEV_BIT(VIRTIO_NET_F_GUEST_CSUM))) {
		/* A partial checksum cannot be completed here. */
		if (h->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM)
			return false;
		h->flags = 0;
	}
	h->flags &= VIRTIO_NET_HDR_F_NEEDS_CSUM | VIRTIO_NET_HDR_F_DATA_VALID;
	if ((h->gso_type & VIRTIO_NET_HDR_GSO_ECN) &&
	    !(f & VDEV_BIT(VIRTIO_NET_F_GUEST_ECN)))
		return false;
	switch (gso) {
	case VIRTIO_NET_HDR_GSO_NONE:
		/* ECN only qualifies a segmented TCP frame: on any other,
		 * gso_type must be NONE (5.1.6.4.1), and Linux drops a
		 * frame that says otherwise (virtio_net_hdr_to_skb()). */
		h->gso_type = VIRTIO_NET_HDR_GSO_NONE;
		return true;
	case VIRTIO_NET_HDR_GSO_TCPV4:
		return f & VDEV_BIT(VIRTIO_NET_F_GUEST_TSO4);
	case VIRTIO_NET_HDR_GSO_TCPV6:
		return f & VDEV_BIT(VIRTIO_NET_F_GUEST_TSO6);
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
		metric_inc(&n->metrics.rx_fails);
		log_debug("net: %llu-byte frame dropped: no room",
			  (unsigned long long)len);
		return;
	}
	net_rx_hdr_io(n, &h, false);
	if (!net_rx_hdr_fix(n, &h)) {
		metric_inc(&n->metrics.rx_fails);
		log_debug("net: frame with unnegotiated offloads dropped");
		return;
	}
	for (left = len; left; k++) {
		uint32_t cap = net_rx_chain(n, k)->len;

		left -= left < cap ? left : cap;
	}
	h.num_buffers = htole16((uint16_t)k);
	net_rx_hdr_io(n, &h, true);
	metric_inc(&n->metrics.rx_packets_count);
	metric_add(&n->metrics.rx_bytes_count, len - NET_HDR_LEN);
	for (left = len; left && !n->needs_reset;) {
		const struct net_rx_chain *rc = net_rx_chain(n, 0);
		uint32_t used = left < rc->len ? (uint32_t)left : rc->len;

		net_push(n, NET_RXQ, rc->head, used);
		left -= used;
		net_rx_unstash_first(n);
	}
}

void net_rx_cancel(struct net *n)
{
	struct io_uring_sqe *sqe;

	if (!n->rx_reading || n->rx_cancelling)
		return;
	sqe = worker_sqe(&n->worker);
	if (!sqe)
		return;	/* SQ full: the caller comes back */
	io_uring_prep_cancel64(sqe, NET_TAG_RX, 0);
	/* The ring takes no SQE without it (worker.c); a cancel by
	 * user_data names no file, so it changes nothing else. */
	sqe->flags |= IOSQE_FIXED_FILE;
	io_uring_sqe_set_data64(sqe, NET_TAG_RX_CANCEL);
	n->rx_cancelling = true;
}

/*
 * Behind the iommu, while it waits for translations older than the
 * stash's (an UNMAP, say): the stash is translated afresh, so that the
 * guest's request is answered without waiting for a frame to arrive. A
 * read in flight is cancelled first; its completion (-ECANCELED) brings
 * us back here through the next pass. A buffer now unmapped fails its
 * chain (the iommu reports the fault).
 */
static void net_rx_renew(struct net *n)
{
	struct vq *q = &n->vq[NET_RXQ];
	uint16_t heads[NET_QUEUE_SIZE];
	unsigned int nr = n->rx_nr;

	if (n->needs_reset || !nr || !vq_dma_stale(q, net_rx_chain(n, 0)->head))
		return;
	if (n->rx_reading) {
		net_rx_cancel(n);
		return;
	}
	for (unsigned int i = 0; i < nr; i++)
		heads[i] = net_rx_chain(n, i)->head;
	n->rx_first += nr;
	n->rx_nr = 0;
	n->rx_iov_first += n->rx_iov_nr;
	n->rx_iov_nr = 0;
	n->rx_cap = 0;
	for (unsigned int i = 0; i < nr; i++) {
		int ret = vq_repop(q, n->mem, heads[i], &n->chain);

		if (ret < 0 && ret != -EFAULT) {
			net_fail(n, "receiveq broken");
			return;
		}
		if (!net_rx_chain_ok(&n->chain)) {
			metric_inc(&n->metrics.rx_fails);
			net_push(n, NET_RXQ, heads[i], 0);
			continue;
		}
		net_rx_stash(n, &n->chain);
	}
}

/* Reads the next frame if the stash is ready, else waits for a kick. */
void net_rx_run(struct net *n)
{
	int ret;

	net_rx_renew(n);
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

void net_rx_on_cqe(struct net *n, int res)
{
	n->rx_reading = false;
	/* Stopping: a frame that made it is dropped; the driver, resetting,
	 * owns its buffers again. */
	if (n->needs_reset || worker_stopping(&n->worker))
		return;
	if (res == -ECANCELED) {
		/* net_rx_renew() asked: the stash is renewed next pass. */
		return;
	}
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
