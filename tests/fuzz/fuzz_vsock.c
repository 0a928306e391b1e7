// SPDX-License-Identifier: Apache-2.0
/*
 * tests/fuzz/fuzz_vsock.c: virtio-vsock's stream protocol (virtio 1.2,
 * 5.10.6) as the guest and the host drive it: vsock_proto.c's header
 * check, vsock_conn.c's state machine, vsock_table.c's table. No ring and
 * no io_uring: the target dispatches guest packets as vsock_vq.c's
 * tx_one() does and plays vsock_io.c's completions (README.md).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "devices/virtio/vsock.h"
#include "devices/virtio/vsock_conn.h"
#include "devices/virtio/vsock_proto.h"
#include "devices/virtio/vsock_table.h"
#include "fuzz.h"
#include "fuzz_input.h"

/* Small tables, so that a short input fills one; VSOCK_MAX_CONNS is the
 * device's default, the bound checked. */
#define MAX_TABLE 8
#define MAX_OPS 512

/* What the target remembers of each entry between operations. */
struct shadow {
	enum vsock_state state; /* before the operation */
	bool guest_rst; /* the guest's last packet on it was RST */
};

struct fuzz_vsock {
	struct vsock_table t;
	struct shadow sh[MAX_TABLE];
	uint64_t cid; /* the guest's */
	uint64_t now; /* ns */
	unsigned int rsts; /* RSTs to flows without a connection */
};

/* The protocol's edges (vsock_conn.h), FREE -> ACCEPTING by
 * vsock_table_alloc() and CLOSING -> FREE by vsock_table_free(). */
static const uint8_t edges[] = {
	[VSOCK_FREE] = 1u << VSOCK_ACCEPTING,
	[VSOCK_ACCEPTING] =
		1u << VSOCK_LINE | 1u << VSOCK_PEER_INIT | 1u << VSOCK_CLOSING,
	[VSOCK_LINE] = 1u << VSOCK_LOCAL_INIT | 1u << VSOCK_CLOSING,
	[VSOCK_LOCAL_INIT] = 1u << VSOCK_ESTABLISHED | 1u << VSOCK_CLOSING,
	[VSOCK_PEER_INIT] = 1u << VSOCK_ESTABLISHED | 1u << VSOCK_CLOSING,
	[VSOCK_ESTABLISHED] = 1u << VSOCK_CLOSING,
	[VSOCK_CLOSING] = 1u << VSOCK_FREE,
};

/* Whether one operation may take an entry from (a) to (b): along the
 * edges, several in one operation (alloc + init), but never through FREE
 * (a freed entry is not reused within the operation that freed it). */
static bool reachable(enum vsock_state a, enum vsock_state b)
{
	unsigned int seen = 1u << a, before;

	do {
		before = seen;
		for (unsigned int s = 0; s <= VSOCK_CLOSING; s++)
			if ((seen & 1u << s) && (s != VSOCK_FREE || s == a))
				seen |= edges[s];
	} while (seen != before);
	return seen & 1u << b;
}

static void check_table(struct fuzz_vsock *f)
{
	struct vsock_table *t = &f->t;
	unsigned int used = 0, queued = 0, walked = 0;

	FUZZ_CHECK(t->max <= VSOCK_MAX_CONNS, "max %u", t->max);
	for (unsigned int i = 0; i < t->max; i++) {
		struct vsock_conn *c = &t->conns[i];

		FUZZ_CHECK(reachable(f->sh[i].state, c->state),
			   "entry %u went from state %d to %d", i,
			   f->sh[i].state, c->state);
		f->sh[i].state = c->state;
		if (c->state == VSOCK_FREE) {
			FUZZ_CHECK(!c->hashed && !c->queued && !c->txb.buf,
				   "free entry %u still linked", i);
			continue;
		}
		used++;
		queued += c->queued;
		/* The owed list is exactly who has a packet. */
		FUZZ_CHECK(c->queued == vsock_conn_has_packet(c),
			   "entry %u queued %d, owes a packet %d", i, c->queued,
			   vsock_conn_has_packet(c));
		if (c->hashed)
			FUZZ_CHECK(vsock_table_find(t, c->local_port,
						    c->peer_port) == c,
				   "entry %u hashed but not found (or a twin)",
				   i);
		/* Rings within their capacity. */
		FUZZ_CHECK(c->stage.len <= c->stage.cap &&
				   c->stage.head < c->stage.cap &&
				   c->stage.cap == VSOCK_STAGE_SIZE,
			   "stage %u/%u at %u", c->stage.len, c->stage.cap,
			   c->stage.head);
		FUZZ_CHECK(
			c->txb.len <= c->txb.cap && c->txb.head < c->txb.cap &&
				c->txb.cap == VSOCK_BUF_ALLOC,
			"txb %u/%u at %u", c->txb.len, c->txb.cap, c->txb.head);
		/* txb holds what the guest sent and the host did not take;
		 * never more than the credit we gave (5.10.6.3). */
		FUZZ_CHECK(c->txb.len == c->rx_cnt - c->fwd_cnt,
			   "txb %u, rx_cnt %u, fwd_cnt %u", c->txb.len,
			   c->rx_cnt, c->fwd_cnt);
		FUZZ_CHECK(c->rx_cnt - c->fwd_cnt <= VSOCK_BUF_ALLOC,
			   "guest holds %u beyond buf_alloc",
			   c->rx_cnt - c->fwd_cnt);
		/* What we told is what the host had taken then: never
		 * ahead of fwd_cnt. */
		FUZZ_CHECK(c->fwd_cnt - c->fwd_told <= c->rx_cnt - c->fwd_told,
			   "fwd_told %u, fwd_cnt %u, rx_cnt %u", c->fwd_told,
			   c->fwd_cnt, c->rx_cnt);
		FUZZ_CHECK(c->line_len <= VSOCK_LINE_MAX, "line_len %u",
			   c->line_len);
		/* The guest's RST is answered by nothing. */
		FUZZ_CHECK(!(f->sh[i].guest_rst && (c->owe & VSOCK_OWE_RST)),
			   "entry %u owes an RST to the guest's RST", i);
	}
	FUZZ_CHECK(used == t->nr_used && used <= t->max, "used %u, nr_used %u",
		   used, t->nr_used);
	for (uint16_t i = t->qhead; i != VSOCK_NIL; i = t->conns[i].qnext) {
		FUZZ_CHECK(i < t->max && t->conns[i].queued && walked < t->max,
			   "owed list broken at %u", i);
		walked++;
	}
	FUZZ_CHECK(walked == queued, "owed list %u long, %u queued", walked,
		   queued);
}

/* Picks an entry by a byte: the index modulo the table. */
static struct vsock_conn *pick(struct fuzz_vsock *f, uint8_t b)
{
	return &f->t.conns[b % f->t.max];
}

/* A reply RST to a packet without a flow (vsock_vq.c's
 * vsock_rst_reply()): never to an RST. */
static void rst_reply(struct fuzz_vsock *f, const struct vsock_hdr *h)
{
	if (h->op != VSOCK_OP_RST)
		f->rsts++;
}

/*
 * Op 0: a guest packet. A selector byte (bit 0: src_cid not the guest's,
 * bit 1: dst_cid not the host, bit 2: type raw, bit 3: ports raw, else
 * those of entry (byte) reversed, bit 4: the chain's payload shorter
 * than len by a u8, bit 5: len a u32, else a u16), then the fields and
 * the payload (zeros past the input's end: a 64 KiB RW costs nothing).
 */
static void guest_packet(struct fuzz_vsock *f, struct fz *in)
{
	uint8_t sel = fz_u8(in), who = fz_u8(in);
	struct vsock_hdr h = { 0 };
	struct vsock_conn *c;
	uint32_t avail;
	uint8_t *payload;
	struct iovec iov;
	size_t before = f->t.max * sizeof(*f->t.conns);
	struct vsock_conn *snap = malloc(before);

	h.src_cid = sel & 0x01 ? fz_u64(in) : f->cid;
	h.dst_cid = sel & 0x02 ? fz_u64(in) : VSOCK_CID_HOST;
	if (sel & 0x08) {
		h.src_port = fz_u32(in);
		h.dst_port = fz_u32(in);
	} else {
		c = pick(f, who);
		h.src_port = c->peer_port;
		h.dst_port = c->local_port;
	}
	h.type = sel & 0x04 ? fz_u16(in) : VSOCK_TYPE_STREAM;
	h.op = fz_u8(in) & 0x0f;
	h.len = sel & 0x20 ? fz_u32(in) : fz_u16(in);
	h.flags = fz_u8(in);
	h.buf_alloc = fz_u32(in);
	h.fwd_cnt = fz_u32(in);
	avail = h.len;
	if (sel & 0x10) {
		uint8_t cut = fz_u8(in);

		avail = avail > cut ? avail - cut : 0;
	}
	/* Past VSOCK_MAX_PAYLOAD the check refuses whatever the chain. */
	if (avail > VSOCK_MAX_PAYLOAD + 1)
		avail = VSOCK_MAX_PAYLOAD + 1;
	/* The payload is exactly its own allocation: ASan sees a read past
	 * it. */
	payload = malloc(avail ? avail : 1);
	fz_bytes(in, payload, avail);
	iov = (struct iovec){ payload, avail };
	FUZZ_CHECK(snap, "out of memory");
	memcpy(snap, f->t.conns, before);
	FUZZ_TRACE("guest op %u %u:%u len %u/%u flags %x", h.op, h.src_port,
		   h.dst_port, h.len, avail, h.flags);

	switch (vsock_hdr_check(&h, f->cid, avail)) {
	case VSOCK_PKT_DROP:
		/* Not for us: nothing changes at all. */
		FUZZ_CHECK(!memcmp(snap, f->t.conns, before),
			   "a dropped packet changed the table");
		break;
	case VSOCK_PKT_RST:
		/* Refused: it may tear its own flow down, nothing else. */
		c = vsock_table_find(&f->t, h.dst_port, h.src_port);
		if (c) {
			vsock_conn_kill(c);
			vsock_table_update(&f->t, c);
		} else {
			rst_reply(f, &h);
		}
		for (unsigned int i = 0; i < f->t.max; i++) {
			struct vsock_conn now = f->t.conns[i];

			if (&f->t.conns[i] == c)
				continue;
			/* Its neighbours on the owed list and hash chain
			 * are relinked around it. */
			now.qprev = snap[i].qprev;
			now.qnext = snap[i].qnext;
			now.hnext = snap[i].hnext;
			FUZZ_CHECK(!memcmp(&snap[i], &now, sizeof(now)),
				   "a refused packet changed entry %u", i);
		}
		FUZZ_CHECK(!c || c->state == VSOCK_CLOSING,
			   "a refused packet left its flow in state %d",
			   c->state);
		break;
	case VSOCK_PKT_OK:
		c = vsock_table_find(&f->t, h.dst_port, h.src_port);
		if (c) {
			unsigned int i = vsock_table_index(&f->t, c);

			vsock_conn_recv(c, &h, &iov, 1, 0, f->now);
			vsock_table_update(&f->t, c);
			f->sh[i].guest_rst = h.op == VSOCK_OP_RST;
		} else if (h.op == VSOCK_OP_REQUEST) {
			c = vsock_table_alloc(&f->t);
			if (!c) {
				rst_reply(f, &h);
				break;
			}
			vsock_conn_init_peer(c, &h, f->now);
			vsock_table_hash(&f->t, c);
			vsock_table_update(&f->t, c);
			f->sh[vsock_table_index(&f->t, c)].guest_rst = false;
		} else {
			rst_reply(f, &h);
		}
		break;
	}
	free(snap);
	free(payload);
}

/* Op 1: a host connection accepted on the listener (vsock_io.c). */
static void host_accept(struct fuzz_vsock *f)
{
	struct vsock_conn *c = vsock_table_alloc(&f->t);

	FUZZ_TRACE("host accept: %s", c ? "ok" : "table full");
	if (!c)
		return;
	f->sh[vsock_table_index(&f->t, c)].guest_rst = false;
	vsock_conn_accepted(c, f->now);
}

/* Op 2: (n) host bytes arrive on entry (b): its CONNECT line, or data
 * into its stage, as vsock_io.c's on_recv() takes them. */
static void host_bytes(struct fuzz_vsock *f, struct fz *in)
{
	struct vsock_conn *c = pick(f, fz_u8(in));
	uint32_t n = fz_u16(in), port;
	uint8_t *p;

	if (c->state == VSOCK_LINE) {
		int ret;

		n %= sizeof(c->line) - c->line_len + 1u;
		fz_bytes(in, c->line + c->line_len, n);
		ret = vsock_conn_line_in(c, n, &port);
		FUZZ_TRACE("host line %u bytes: %d", n, ret);
		if (ret > 0) {
			vsock_conn_init_local(c, vsock_table_port(&f->t), port);
			vsock_table_hash(&f->t, c);
		} else if (ret < 0) {
			vsock_conn_kill(c);
		}
	} else if (c->state == VSOCK_ESTABLISHED && !c->peer_no_rcv &&
		   !c->host_eof) {
		/* One recv() into the contiguous space. */
		uint32_t room = vsock_ring_space(&c->stage, &p);

		if (n > room)
			n = room;
		fz_bytes(in, p, n);
		vsock_ring_produce(&c->stage, n);
		FUZZ_TRACE("host data %u bytes", n);
	}
	if (c->state != VSOCK_FREE)
		vsock_table_update(&f->t, c);
}

/* Op 3: the host took (n) bytes of txb (a send completed), at most one
 * contiguous piece; or the send failed (n = 0). */
static void host_sent(struct fuzz_vsock *f, struct fz *in)
{
	struct vsock_conn *c = pick(f, fz_u8(in));
	uint32_t n = fz_u32(in);
	uint8_t *p;
	uint32_t have = vsock_ring_data(&c->txb, &p);

	if (c->state == VSOCK_FREE || c->state == VSOCK_ACCEPTING)
		return;
	if (!n) {
		vsock_conn_kill(c);
	} else if (have) {
		uint32_t fwd = c->fwd_cnt;

		n = 1 + (n - 1) % have;
		vsock_conn_host_sent(c, n);
		FUZZ_CHECK(c->fwd_cnt == fwd + n, "fwd_cnt %u after %u + %u",
			   c->fwd_cnt, fwd, n);
	}
	FUZZ_TRACE("host sent %u", n);
	vsock_table_update(&f->t, c);
}

/* Op 4: the host's end: bit 0 of (b) a half-close (SHUT_WR), else EOF;
 * bit 1: the host's connect for a guest REQUEST completes (or fails,
 * bit 2) instead. */
static void host_event(struct fuzz_vsock *f, struct fz *in)
{
	uint8_t b = fz_u8(in);
	struct vsock_conn *c = pick(f, fz_u8(in));

	if (c->state == VSOCK_FREE || c->state == VSOCK_ACCEPTING)
		return;
	if (b & 0x02) {
		if (c->state != VSOCK_PEER_INIT)
			return;
		if (b & 0x04)
			vsock_conn_kill(c);
		else
			vsock_conn_connected(c);
	} else if (c->state == VSOCK_CLOSING) {
		return; /* its socket is shut: no more reads */
	} else if (b & 0x01) {
		vsock_conn_host_half_close(c);
	} else {
		vsock_conn_host_eof(c);
	}
	FUZZ_TRACE("host event %x: state %d", b, c->state);
	vsock_table_update(&f->t, c);
}

/* Op 5: time passes (u32 ms); what expired is killed, as vsock_io.c's
 * tick does. */
static void tick(struct fuzz_vsock *f, struct fz *in)
{
	f->now += (uint64_t)fz_u32(in) % 10000 * 1000000;
	for (unsigned int i = 0; i < f->t.max; i++) {
		struct vsock_conn *c = &f->t.conns[i];

		if (c->state == VSOCK_FREE || !c->deadline ||
		    c->deadline > f->now)
			continue;
		FUZZ_TRACE("entry %u timed out in state %d", i, c->state);
		vsock_conn_kill(c);
		vsock_table_update(&f->t, c);
	}
}

/* Op 6: the host side of CLOSING entries that owe nothing is released
 * (vsock_io.c frees them once their I/O drained). */
static void release(struct fuzz_vsock *f)
{
	for (unsigned int i = 0; i < f->t.max; i++) {
		struct vsock_conn *c = &f->t.conns[i];

		if (c->state == VSOCK_CLOSING && !c->owe) {
			FUZZ_TRACE("entry %u released", i);
			vsock_table_free(&f->t, c);
		}
	}
}

/* Op 7: the guest posts (count) receive buffers of (room) payload bytes;
 * the device fills them from the owed list, as vsock_vq.c's rx_fill(). */
static void emit(struct fuzz_vsock *f, struct fz *in)
{
	unsigned int count = 1 + fz_u8(in) % 16;
	/* vsock_rx_run() refuses a chain without a byte of payload room:
	 * every chain it fills carries whatever is owed. */
	uint32_t room = 1u + fz_u16(in);
	static uint8_t staged[VSOCK_STAGE_SIZE];

	for (unsigned int k = 0; k < count; k++) {
		struct vsock_conn *c = vsock_table_owed(&f->t);
		uint8_t *buf, *p;
		struct iovec iov;
		struct vsock_hdr h;
		uint32_t credit, n, first, had;
		unsigned int i;

		if (!c)
			return;
		i = vsock_table_index(&f->t, c);
		credit = vsock_credit(c->peer_buf_alloc, c->tx_cnt,
				      c->peer_fwd_cnt);
		/* The stage's bytes, to compare with what is sent. */
		had = c->stage.len;
		first = vsock_ring_data(&c->stage, &p);
		if (first)
			memcpy(staged, p, first);
		if (had > first)
			memcpy(staged + first, c->stage.buf, had - first);
		buf = malloc(room);
		FUZZ_CHECK(buf, "out of memory");
		iov = (struct iovec){ buf, room };
		n = vsock_conn_emit(c, f->cid, &h, &iov, 1, 0, room, f->now);
		FUZZ_TRACE("emit entry %u: op %u len %u (credit %u room %u)", i,
			   h.op, n, credit, room);
		FUZZ_CHECK(h.op != VSOCK_OP_INVALID,
			   "entry %u on the owed list sent nothing", i);
		FUZZ_CHECK(h.dst_cid == f->cid && h.src_cid == VSOCK_CID_HOST &&
				   h.type == VSOCK_TYPE_STREAM,
			   "packet %llu -> %llu type %u",
			   (unsigned long long)h.src_cid,
			   (unsigned long long)h.dst_cid, h.type);
		FUZZ_CHECK(h.src_port == c->local_port &&
				   h.dst_port == c->peer_port,
			   "packet's ports %u:%u", h.src_port, h.dst_port);
		FUZZ_CHECK(h.len == n && n <= credit && n <= room &&
				   n <= VSOCK_MAX_PAYLOAD && n <= had,
			   "sent %u: credit %u room %u staged %u", n, credit,
			   room, had);
		FUZZ_CHECK(!memcmp(buf, staged, n), "payload not the host's");
		FUZZ_CHECK(!n || h.op == VSOCK_OP_RW, "op %u with a payload",
			   h.op);
		FUZZ_CHECK(h.op != VSOCK_OP_RW || n, "an empty RW");
		FUZZ_CHECK(h.buf_alloc == VSOCK_BUF_ALLOC &&
				   h.fwd_cnt == c->fwd_cnt,
			   "credit told %u/%u, fwd_cnt %u", h.buf_alloc,
			   h.fwd_cnt, c->fwd_cnt);
		FUZZ_CHECK(h.op != VSOCK_OP_RST || !f->sh[i].guest_rst,
			   "RST in reply to the guest's RST");
		FUZZ_CHECK(h.op != VSOCK_OP_RW ||
				   (c->state == VSOCK_ESTABLISHED &&
				    !c->peer_no_rcv),
			   "data in state %d", c->state);
		free(buf);
		vsock_table_update(&f->t, c);
		vsock_table_rotate(&f->t, c);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz in = fz_make(data, size);
	struct fuzz_vsock f = { 0 };
	unsigned int max;

	/* Byte 0: the table's size; bytes 1-4: the guest's CID, from 3. */
	max = 1 + fz_u8(&in) % MAX_TABLE;
	f.cid = 3 + fz_u32(&in) % 0xfffffffcu;
	f.now = 1;
	FUZZ_CHECK(!vsock_table_init(&f.t, max, 0x5eed), "table init");
	for (unsigned int k = 0; k < MAX_OPS && fz_left(&in); k++) {
		switch (fz_u8(&in) % 8) {
		case 0:
			guest_packet(&f, &in);
			break;
		case 1:
			host_accept(&f);
			break;
		case 2:
			host_bytes(&f, &in);
			break;
		case 3:
			host_sent(&f, &in);
			break;
		case 4:
			host_event(&f, &in);
			break;
		case 5:
			tick(&f, &in);
			break;
		case 6:
			release(&f);
			break;
		default:
			emit(&f, &in);
			break;
		}
		check_table(&f);
	}
	FUZZ_TRACE("%u RSTs to packets without a flow", f.rsts);
	vsock_table_fini(&f.t);
	return 0;
}
