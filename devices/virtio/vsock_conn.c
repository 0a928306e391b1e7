// SPDX-License-Identifier: Apache-2.0
/* devices/virtio/vsock_conn.c: virtio-vsock's stream protocol, one connection at a time; pure. */
#include "vsock_conn.h"

#include <stdio.h>
#include <string.h>

uint32_t vsock_conn_our_credit(const struct vsock_conn *c)
{
	return vsock_credit(VSOCK_BUF_ALLOC, c->rx_cnt, c->fwd_cnt);
}

/*
 * The guest sends only what it believes we have room for, and a guest
 * that believes we have none asks nothing (Linux only waits). So once
 * its view is below half of what we give and we have room it has not
 * been told of, tell it. Checked whenever either side moves: after the
 * host took bytes, and after the guest sent some (its view shrank while
 * ours had grown untold).
 */
static void credit_check(struct vsock_conn *c)
{
	if (c->fwd_cnt != c->fwd_told &&
	    vsock_credit(VSOCK_BUF_ALLOC, c->rx_cnt, c->fwd_told) <
		    VSOCK_BUF_ALLOC / 2)
		c->owe |= VSOCK_OWE_CREDIT;
}

static uint32_t peer_credit(const struct vsock_conn *c)
{
	return vsock_credit(c->peer_buf_alloc, c->tx_cnt, c->peer_fwd_cnt);
}

/* Whether the guest has heard of the flow: then it is owed an RST. */
static bool guest_knows(const struct vsock_conn *c)
{
	switch (c->state) {
	case VSOCK_PEER_INIT:
	case VSOCK_ESTABLISHED:
		return true;
	case VSOCK_LOCAL_INIT:
		return !(c->owe & VSOCK_OWE_REQUEST);
	default:
		return false;
	}
}

void vsock_conn_kill(struct vsock_conn *c)
{
	if (c->state == VSOCK_CLOSING || c->state == VSOCK_FREE)
		return;
	c->owe = guest_knows(c) ? VSOCK_OWE_RST : 0;
	c->state = VSOCK_CLOSING;
	c->deadline = 0;
}

/* The guest's RST: the flow ends, nothing is owed. */
static void conn_drop(struct vsock_conn *c)
{
	c->owe = 0;
	c->state = VSOCK_CLOSING;
	c->deadline = 0;
}

void vsock_conn_accepted(struct vsock_conn *c, uint64_t now)
{
	c->state = VSOCK_LINE;
	c->deadline = now + VSOCK_TIMEOUT_NS;
}

int vsock_conn_line_in(struct vsock_conn *c, uint32_t n, uint32_t *port)
{
	int ret;
	uint32_t rest;

	c->line_len = (uint8_t)(c->line_len + n);
	ret = vsock_line_scan(c->line, c->line_len, port);
	if (ret <= 0)
		return ret;
	/* What the host wrote after its line is its first data. */
	rest = c->line_len - (uint32_t)ret;
	memcpy(c->stage.buf, c->line + ret, rest);
	c->stage.head = 0;
	c->stage.len = rest;
	c->line_len = 0;
	return 1;
}

void vsock_conn_init_local(struct vsock_conn *c, uint32_t local_port,
			   uint32_t peer_port)
{
	c->state = VSOCK_LOCAL_INIT;
	c->local_port = local_port;
	c->peer_port = peer_port;
	/* The line's deadline still runs: a guest that takes no packets
	 * does not keep the host waiting; the REQUEST, once sent, renews
	 * it. */
	c->owe = VSOCK_OWE_REQUEST;
}

void vsock_conn_init_peer(struct vsock_conn *c, const struct vsock_hdr *h,
			  uint64_t now)
{
	c->state = VSOCK_PEER_INIT;
	c->local_port = h->dst_port;
	c->peer_port = h->src_port;
	c->peer_buf_alloc = h->buf_alloc;
	c->peer_fwd_cnt = h->fwd_cnt;
	c->deadline = now + VSOCK_TIMEOUT_NS;
}

void vsock_conn_connected(struct vsock_conn *c)
{
	c->state = VSOCK_ESTABLISHED;
	c->owe |= VSOCK_OWE_RESPONSE;
	c->deadline = 0;
}

/* The guest answered our REQUEST: the host hears "OK <port>\n" first. */
static void conn_established_local(struct vsock_conn *c)
{
	int n = snprintf(c->line, sizeof(c->line), "OK %u\n", c->local_port);

	c->state = VSOCK_ESTABLISHED;
	c->deadline = 0;
	c->line_len = (uint8_t)n;
	c->line_sent = 0;
}

/*
 * Nothing can flow any more: the guest sends nothing, and it receives
 * nothing either or it was told (our SHUTDOWN) that the host sends no
 * more. Then the clean disconnect's RST is ours once the host has all.
 */
static bool conn_finished(const struct vsock_conn *c)
{
	return c->peer_no_send &&
	       (c->peer_no_rcv || (c->host_eof && c->shut_sent));
}

static void conn_shutdown(struct vsock_conn *c, uint32_t flags, uint64_t now)
{
	/* "These hints are permanent once sent and successive packets with
	 * bits clear do not reset them" (5.10.6.5). */
	if (flags & VSOCK_SHUTDOWN_RCV) {
		c->peer_no_rcv = true;
		/* Nobody will read what the host sent. */
		vsock_ring_consume(&c->stage, c->stage.len);
	}
	if (flags & VSOCK_SHUTDOWN_SEND)
		c->peer_no_send = true;
	if (!conn_finished(c))
		return;
	/* "Clean disconnect is achieved by one or more
	 * VIRTIO_VSOCK_OP_SHUTDOWN packets ..., followed by a
	 * VIRTIO_VSOCK_OP_RST response from the peer" (5.10.6.5): ours,
	 * once the host has what the guest sent; not after ever. */
	if (!c->txb.len)
		vsock_conn_kill(c);
	else if (!c->deadline)
		c->deadline = now + VSOCK_TIMEOUT_NS;
}

void vsock_conn_recv(struct vsock_conn *c, const struct vsock_hdr *h,
		     const struct iovec *iov, unsigned int nr, size_t off,
		     uint64_t now)
{
	if (c->state == VSOCK_FREE)
		return;
	/* The guest's RST ends the flow for it, torn down on our side or
	 * not: an RST still owed would answer an RST (5.10.6.5), and could
	 * reset a new flow the guest opens on the same ports. */
	if (h->op == VSOCK_OP_RST) {
		conn_drop(c);
		return;
	}
	/* A flow being torn down takes nothing more; its RST, if owed,
	 * is on its way. */
	if (c->state == VSOCK_CLOSING)
		return;
	/* "All packets associated with a stream flow MUST contain valid
	 * information in buf_alloc and fwd_cnt fields" (5.10.6.3). */
	c->peer_buf_alloc = h->buf_alloc;
	c->peer_fwd_cnt = h->fwd_cnt;
	c->credit_asked = false;
	switch (h->op) {
	case VSOCK_OP_RESPONSE:
		/* Only an answer to a REQUEST we sent. */
		if (c->state == VSOCK_LOCAL_INIT &&
		    !(c->owe & VSOCK_OWE_REQUEST))
			conn_established_local(c);
		else
			vsock_conn_kill(c);
		return;
	case VSOCK_OP_RW:
		/* "VIRTIO_VSOCK_OP_RW data packets MUST only be transmitted
		 * when the peer has sufficient free buffer space for the
		 * payload" (5.10.6.3): a guest that sends more than we gave
		 * loses the flow, never our memory. */
		if (c->state != VSOCK_ESTABLISHED || c->peer_no_send ||
		    h->len > vsock_conn_our_credit(c)) {
			vsock_conn_kill(c);
			return;
		}
		vsock_ring_put(&c->txb, iov, nr, off, h->len);
		c->rx_cnt += h->len;
		credit_check(c);
		return;
	case VSOCK_OP_CREDIT_UPDATE:
		return;	/* taken above */
	case VSOCK_OP_CREDIT_REQUEST:
		if (c->state == VSOCK_ESTABLISHED)
			c->owe |= VSOCK_OWE_CREDIT;
		return;
	case VSOCK_OP_SHUTDOWN:
		if (c->state != VSOCK_ESTABLISHED)
			vsock_conn_kill(c);
		else
			conn_shutdown(c, h->flags, now);
		return;
	default:
		/* REQUEST on a live flow: the guest lost track of it. */
		vsock_conn_kill(c);
		return;
	}
}

/* The op vsock_conn_emit() would send, with (room) for a payload or not. */
static uint16_t next_op(const struct vsock_conn *c, bool room)
{
	if (c->owe & VSOCK_OWE_RST)
		return VSOCK_OP_RST;
	if (c->state == VSOCK_CLOSING || c->state == VSOCK_FREE)
		return VSOCK_OP_INVALID;
	if (c->owe & VSOCK_OWE_RESPONSE)
		return VSOCK_OP_RESPONSE;
	if (c->owe & VSOCK_OWE_REQUEST)
		return VSOCK_OP_REQUEST;
	if (c->state != VSOCK_ESTABLISHED)
		return VSOCK_OP_INVALID;
	if (c->stage.len && !c->peer_no_rcv) {
		if (peer_credit(c)) {
			if (room)
				return VSOCK_OP_RW;
		} else if (!c->credit_asked) {
			/* Data waits and the guest gave no room: ask once;
			 * its next packet of any kind answers. */
			return VSOCK_OP_CREDIT_REQUEST;
		}
	}
	if ((c->owe & VSOCK_OWE_SHUTDOWN) && !c->stage.len)
		return VSOCK_OP_SHUTDOWN;
	if (c->owe & VSOCK_OWE_CREDIT)
		return VSOCK_OP_CREDIT_UPDATE;
	return VSOCK_OP_INVALID;
}

bool vsock_conn_has_packet(const struct vsock_conn *c)
{
	return next_op(c, true) != VSOCK_OP_INVALID;
}

uint32_t vsock_conn_emit(struct vsock_conn *c, uint64_t guest_cid,
			 struct vsock_hdr *h, const struct iovec *iov,
			 unsigned int nr, size_t off, uint32_t room,
			 uint64_t now)
{
	uint16_t op = next_op(c, room > 0);
	uint32_t n = 0;

	memset(h, 0, sizeof(*h));
	h->op = op;
	if (op == VSOCK_OP_INVALID)
		return 0;
	h->src_cid = VSOCK_CID_HOST;
	h->dst_cid = guest_cid;
	h->src_port = c->local_port;
	h->dst_port = c->peer_port;
	h->type = VSOCK_TYPE_STREAM;
	switch (op) {
	case VSOCK_OP_RST:
		c->owe = 0;
		break;
	case VSOCK_OP_RESPONSE:
		c->owe &= (uint8_t)~VSOCK_OWE_RESPONSE;
		break;
	case VSOCK_OP_REQUEST:
		c->owe &= (uint8_t)~VSOCK_OWE_REQUEST;
		c->deadline = now + VSOCK_TIMEOUT_NS;
		break;
	case VSOCK_OP_RW:
		n = c->stage.len;
		if (n > peer_credit(c))
			n = peer_credit(c);
		if (n > room)
			n = room;
		if (n > VSOCK_MAX_PAYLOAD)
			n = VSOCK_MAX_PAYLOAD;
		vsock_ring_get(&c->stage, iov, nr, off, n);
		c->tx_cnt += n;
		h->len = n;
		break;
	case VSOCK_OP_CREDIT_REQUEST:
		c->credit_asked = true;
		break;
	case VSOCK_OP_SHUTDOWN:
		c->owe &= (uint8_t)~VSOCK_OWE_SHUTDOWN;
		c->shut_sent = true;
		if (c->host_half && !c->peer_no_send) {
			/* The host only stopped sending: the guest may
			 * still send, and ends the flow when it is done. */
			h->flags = VSOCK_SHUTDOWN_SEND;
			break;
		}
		h->flags = VSOCK_SHUTDOWN_RCV | VSOCK_SHUTDOWN_SEND;
		/* The guest answers with RST, or is sent one. */
		c->deadline = now + VSOCK_TIMEOUT_NS;
		break;
	default:
		break;
	}
	/* Our credit rides on every packet. */
	h->buf_alloc = VSOCK_BUF_ALLOC;
	h->fwd_cnt = c->fwd_cnt;
	c->fwd_told = c->fwd_cnt;
	c->owe &= (uint8_t)~VSOCK_OWE_CREDIT;
	return n;
}

void vsock_conn_host_sent(struct vsock_conn *c, uint32_t n)
{
	vsock_ring_consume(&c->txb, n);
	c->fwd_cnt += n;
	if (c->state != VSOCK_ESTABLISHED)
		return;
	if (conn_finished(c) && !c->txb.len) {
		vsock_conn_kill(c);	/* the clean disconnect's RST */
		return;
	}
	credit_check(c);
}

void vsock_conn_host_half_close(struct vsock_conn *c)
{
	c->host_half = true;
	vsock_conn_host_eof(c);
}

void vsock_conn_host_eof(struct vsock_conn *c)
{
	c->host_eof = true;
	if (c->state == VSOCK_ESTABLISHED)
		c->owe |= VSOCK_OWE_SHUTDOWN;
	else
		vsock_conn_kill(c);
}
