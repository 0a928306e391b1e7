// SPDX-License-Identifier: Apache-2.0
/* devices/virtio/vsock_vq.c: virtio-vsock's rx and tx queues (virtio 1.2, 5.10.6). */
#include "devices/virtio/vsock_priv.h"

#include <errno.h>

#include "vmm/log.h"

/* The chain's buffers as iovecs, in order (all one direction: checked). */
static unsigned int chain_iov(struct vsock *v, const struct vq_chain *ch)
{
	for (unsigned int i = 0; i < ch->nr; i++)
		v->iov[i] = (struct iovec){ ch->bufs[i].addr, ch->bufs[i].len };
	return ch->nr;
}

static void vsock_push(struct vsock *v, unsigned int q, uint16_t head,
		       uint32_t len)
{
	if (vq_push(&v->vq[q], v->mem, head, len)) {
		vsock_fail(v, q == VSOCK_RXQ ? "rx push" : "tx push");
		return;
	}
	if (q == VSOCK_RXQ)
		v->rx_pushed = true;
	else
		v->tx_pushed = true;
}

void vsock_rst_reply(struct vsock *v, const struct vsock_hdr *h)
{
	struct vsock_rst *r;

	/* An RST for an RST would ping-pong between the two sides. */
	if (h->op == VSOCK_OP_RST || v->rst_nr == VSOCK_RST_QUEUE)
		return;
	r = &v->rsts[(v->rst_first + v->rst_nr) % VSOCK_RST_QUEUE];
	r->src_port = h->dst_port;
	r->dst_port = h->src_port;
	v->rst_nr++;
	metric_inc(&v->metrics.rst_count);
}

static bool rx_has_work(const struct vsock *v)
{
	return v->rst_nr || vsock_table_owed(&v->table);
}

/* The next packet owed, into rx chain (ch): the header at its start, the
 * payload after. Returns the bytes written. */
static uint32_t rx_fill(struct vsock *v, const struct vq_chain *ch)
{
	unsigned int nr = chain_iov(v, ch);
	struct vsock_conn *c;
	struct vsock_hdr h;
	uint32_t n = 0;

	if (v->rst_nr) {
		const struct vsock_rst *r = &v->rsts[v->rst_first];

		h = (struct vsock_hdr){
			.src_cid = VSOCK_CID_HOST,
			.dst_cid = v->cid,
			.src_port = r->src_port,
			.dst_port = r->dst_port,
			.type = VSOCK_TYPE_STREAM,
			.op = VSOCK_OP_RST,
		};
		v->rst_first = (v->rst_first + 1) % VSOCK_RST_QUEUE;
		v->rst_nr--;
		/* Room for the RSTs a stalled tx queue waits to owe. */
		if (v->tx_stalled)
			worker_retry(&v->worker, VSOCK_TXQ);
	} else {
		c = vsock_table_owed(&v->table);
		n = vsock_conn_emit(c, v->cid, &h, v->iov, nr, sizeof(h),
				    ch->writable_len - (uint32_t)sizeof(h),
				    vsock_now());
		vsock_table_rotate(&v->table, c);
		/* Room in its stage again; the RST sent; a deadline. */
		vsock_io_sync(v, c);
	}
	metric_inc(&v->metrics.rx_packets_count);
	metric_add(&v->metrics.rx_bytes_count, n);
	vsock_hdr_swap(&h);
	vsock_iov_write(v->iov, nr, 0, &h, sizeof(h));
	return (uint32_t)sizeof(h) + n;
}

/*
 * Bounded without a budget: every chain carries something owed, and what
 * is owed is bounded by the table (control packets, staged bytes, RSTs
 * in the queue). Ends when nothing is owed or the driver has no buffer
 * (notifications then on: its next one kicks).
 */
void vsock_rx_run(struct vsock *v)
{
	struct vq *q = &v->vq[VSOCK_RXQ];
	int ret;

	while (!v->needs_reset && rx_has_work(v)) {
		ret = vq_pop_or_rearm(q, v->mem, &v->chain);
		if (ret == 0)
			return;
		if (ret < 0 && ret != -EFAULT) {
			vsock_fail(v, "rx queue broken");
			return;
		}
		/* "Virtqueue buffers for incoming packets are write-only"
		 * (5.10.6.4); one byte of payload room besides the header
		 * keeps every chain useful for whatever is owed. -EFAULT:
		 * not mapped behind the iommu, an empty chain. */
		if (ret == -EFAULT || v->chain.readable_len ||
		    v->chain.writable_len <= sizeof(struct vsock_hdr)) {
			metric_inc(&v->metrics.dropped_packets);
			log_debug("vsock: unusable rx chain (%u bytes)",
				  v->chain.writable_len);
			vsock_push(v, VSOCK_RXQ, v->chain.head, 0);
			continue;
		}
		vsock_push(v, VSOCK_RXQ, v->chain.head, rx_fill(v, &v->chain));
	}
}

/* One packet the driver sent. The header may span buffers; so may the
 * payload. */
static void tx_one(struct vsock *v, const struct vq_chain *ch)
{
	uint32_t avail = ch->readable_len - (uint32_t)sizeof(struct vsock_hdr);
	unsigned int nr = chain_iov(v, ch);
	struct vsock_conn *c;
	struct vsock_hdr h;

	vsock_iov_read(v->iov, nr, 0, &h, sizeof(h));
	vsock_hdr_swap(&h);
	switch (vsock_hdr_check(&h, v->cid, avail)) {
	case VSOCK_PKT_DROP:
		metric_inc(&v->metrics.dropped_packets);
		log_debug("vsock: dropped a packet from cid %llu to %llu",
			  (unsigned long long)h.src_cid,
			  (unsigned long long)h.dst_cid);
		return;
	case VSOCK_PKT_RST:
		metric_inc(&v->metrics.dropped_packets);
		log_debug("vsock: malformed packet (op %u type %u len %u)",
			  h.op, h.type, h.len);
		c = vsock_table_find(&v->table, h.dst_port, h.src_port);
		if (c) {
			vsock_conn_kill(c);
			vsock_io_sync(v, c);
		} else {
			vsock_rst_reply(v, &h);
		}
		return;
	case VSOCK_PKT_OK:
		break;
	}
	metric_inc(&v->metrics.tx_packets_count);
	if (h.op == VSOCK_OP_RW)
		metric_add(&v->metrics.tx_bytes_count, h.len);
	c = vsock_table_find(&v->table, h.dst_port, h.src_port);
	if (c) {
		vsock_conn_recv(c, &h, v->iov, nr, sizeof(h), vsock_now());
		vsock_io_sync(v, c);
	} else if (h.op == VSOCK_OP_REQUEST) {
		vsock_io_request(v, &h);
	} else {
		/* No flow: RST (5.10.6.5), but never for an RST. */
		vsock_rst_reply(v, &h);
	}
}

int vsock_tx_run(struct vsock *v)
{
	struct vq *q = &v->vq[VSOCK_TXQ];
	unsigned int done = 0;
	int ret;

	v->tx_stalled = false;
	vq_disable_notification(q, v->mem);
	while (!v->needs_reset) {
		/* "The tx virtqueue MUST be processed even when the rx
		 * virtqueue is full so long as there are additional
		 * resources available to hold packets outside the rx
		 * virtqueue" (5.10.6.1): ours are the RST queue and each
		 * connection's owed bits; only the queue can run out. The
		 * driver's next rx buffer resumes us (rx_fill()). */
		if (v->rst_nr == VSOCK_RST_QUEUE) {
			v->tx_stalled = true;
			return 0;
		}
		if (done == VSOCK_TX_BUDGET)
			return 1;
		ret = vq_pop_or_rearm(q, v->mem, &v->chain);
		if (ret == 0)
			return 0;
		if (ret < 0 && ret != -EFAULT) {
			vsock_fail(v, "tx queue broken");
			return 0;
		}
		done++;
		/* "Virtqueue buffers for outgoing packets are read-only"
		 * (5.10.6.4), and start with a whole header. */
		if (ret == -EFAULT || v->chain.writable_len ||
		    v->chain.readable_len < sizeof(struct vsock_hdr)) {
			metric_inc(&v->metrics.dropped_packets);
			log_debug("vsock: unusable tx chain (%u bytes)",
				  v->chain.readable_len);
		} else {
			tx_one(v, &v->chain);
		}
		/* Copied out already: the chain goes back at once. */
		vsock_push(v, VSOCK_TXQ, v->chain.head, 0);
	}
	return 0;
}
