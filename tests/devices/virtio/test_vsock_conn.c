// SPDX-License-Identifier: Apache-2.0
/* tests/devices/virtio/test_vsock_conn.c: virtio-vsock's connection table and stream protocol. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "devices/virtio/vsock_conn.h"
#include "devices/virtio/vsock_table.h"

#define CID	3
#define T0	1000000000ull	/* "now" of the tests */
#define MAX	4

static struct vsock_table t;

static void setup(void)
{
	cr_assert_eq(vsock_table_init(&t, MAX, 0x1234), 0);
}

static void teardown(void)
{
	vsock_table_fini(&t);
}

TestSuite(vsock_conn, .init = setup, .fini = teardown);

/* A host-initiated flow in (tt), hashed. */
static void local_flow(struct vsock_table *tt, struct vsock_conn *c,
		       uint32_t local_port, uint32_t peer_port)
{
	vsock_conn_init_local(c, local_port, peer_port);
	vsock_table_hash(tt, c);
}

/* A guest-initiated flow from REQUEST (h) in (tt), hashed. */
static void peer_flow_init(struct vsock_table *tt, struct vsock_conn *c,
			   const struct vsock_hdr *h, uint64_t now)
{
	vsock_conn_init_peer(c, h, now);
	vsock_table_hash(tt, c);
}

/* A packet from the guest on flow (guest port 1000, host port 52). */
static struct vsock_hdr from_guest(uint16_t op, uint32_t len,
				   uint32_t buf_alloc, uint32_t fwd_cnt)
{
	return (struct vsock_hdr){
		.src_cid = CID, .dst_cid = 2, .src_port = 1000,
		.dst_port = 52, .len = len, .type = 1, .op = op,
		.buf_alloc = buf_alloc, .fwd_cnt = fwd_cnt,
	};
}

static void recv_pkt(struct vsock_conn *c, uint16_t op, uint32_t flags,
		     uint32_t buf_alloc, uint32_t fwd_cnt)
{
	struct vsock_hdr h = from_guest(op, 0, buf_alloc, fwd_cnt);

	h.flags = flags;
	vsock_conn_recv(c, &h, NULL, 0, 0, T0);
}

/* An RW of (len) bytes of (byte) from the guest. */
static void recv_rw(struct vsock_conn *c, uint32_t len, uint8_t byte,
		    uint32_t buf_alloc, uint32_t fwd_cnt)
{
	static uint8_t data[VSOCK_MAX_PAYLOAD];
	struct iovec iov = { data, sizeof(data) };
	struct vsock_hdr h = from_guest(VSOCK_OP_RW, len, buf_alloc, fwd_cnt);

	memset(data, byte, len);
	vsock_conn_recv(c, &h, &iov, 1, 0, T0);
}

/* The next packet owed to the guest into (payload), with (room). */
static struct vsock_hdr emit(struct vsock_conn *c, uint8_t *payload,
			     uint32_t room, uint32_t *n)
{
	static uint8_t scratch[VSOCK_MAX_PAYLOAD];
	struct iovec iov = { payload ? payload : scratch, room };
	struct vsock_hdr h;
	uint32_t len = vsock_conn_emit(c, CID, &h, &iov, 1, 0, room, T0);

	if (n)
		*n = len;
	cr_assert_eq(h.len, len);
	vsock_table_update(&t, c);
	return h;
}

/* A guest-initiated flow, established: the guest gives (buf_alloc). */
static struct vsock_conn *peer_flow(uint32_t buf_alloc)
{
	struct vsock_conn *c = vsock_table_alloc(&t);
	struct vsock_hdr h = from_guest(VSOCK_OP_REQUEST, 0, buf_alloc, 0);

	cr_assert_not_null(c);
	peer_flow_init(&t, c, &h, T0);
	vsock_conn_connected(c);
	cr_assert_eq(emit(c, NULL, 4096, NULL).op, VSOCK_OP_RESPONSE);
	return c;
}

/* (n) host bytes of (byte) in the stage, as a recv would put them. */
static void host_bytes(struct vsock_conn *c, uint32_t n, uint8_t byte)
{
	uint8_t *p;

	cr_assert_geq(vsock_ring_space(&c->stage, &p), n);
	memset(p, byte, n);
	vsock_ring_produce(&c->stage, n);
	vsock_table_update(&t, c);
}

Test(vsock_conn, table_fills_and_frees)
{
	struct vsock_conn *c[MAX];

	for (unsigned int i = 0; i < MAX; i++) {
		c[i] = vsock_table_alloc(&t);
		cr_assert_not_null(c[i]);
		cr_expect_eq(c[i]->state, VSOCK_ACCEPTING);
		cr_expect_eq(c[i]->txb.cap, VSOCK_BUF_ALLOC);
		cr_expect_eq(c[i]->stage.cap, VSOCK_STAGE_SIZE);
	}
	cr_expect_eq(t.nr_used, MAX);
	cr_expect_null(vsock_table_alloc(&t), "the table is full");
	vsock_table_free(&t, c[2]);
	cr_expect_eq(c[2]->state, VSOCK_FREE);
	cr_expect_eq(vsock_table_alloc(&t), c[2]);
	cr_expect_eq(vsock_table_init(&(struct vsock_table){ 0 }, 0, 0),
		     -EINVAL);
}

Test(vsock_conn, find_by_both_ports)
{
	struct vsock_conn *a = vsock_table_alloc(&t), *b = vsock_table_alloc(&t);

	local_flow(&t, a, 1u << 30, 52);
	local_flow(&t, b, 52, 1u << 30);
	cr_expect_eq(vsock_table_find(&t, 1u << 30, 52), a);
	cr_expect_eq(vsock_table_find(&t, 52, 1u << 30), b);
	cr_expect_null(vsock_table_find(&t, 1u << 30, 53));
	/* Killed before its REQUEST went out: nothing owed, unhashed. */
	vsock_conn_kill(a);
	vsock_table_update(&t, a);
	cr_expect_null(vsock_table_find(&t, 1u << 30, 52));
	cr_expect_eq(vsock_table_find(&t, 52, 1u << 30), b);
	vsock_table_free(&t, b);
	cr_expect_null(vsock_table_find(&t, 52, 1u << 30));
}

/* Many flows in a small table's chains: every one is found. */
Test(vsock_conn, hash_chains_hold)
{
	struct vsock_table big;
	struct vsock_conn *c;

	cr_assert_eq(vsock_table_init(&big, 600, 7), 0);
	for (uint32_t i = 0; i < 600; i++) {
		c = vsock_table_alloc(&big);
		cr_assert_not_null(c);
		local_flow(&big, c, 1u << 30, i * 4096);
	}
	for (uint32_t i = 0; i < 600; i++) {
		c = vsock_table_find(&big, 1u << 30, i * 4096);
		cr_assert_not_null(c);
		cr_assert_eq(c->peer_port, i * 4096);
	}
	for (uint32_t i = 0; i < 600; i += 2)
		vsock_table_free(&big,
				vsock_table_find(&big, 1u << 30, i * 4096));
	for (uint32_t i = 0; i < 600; i++)
		cr_assert_eq(vsock_table_find(&big, 1u << 30, i * 4096) != NULL,
			     i % 2 == 1);
	vsock_table_fini(&big);
}

/* Firecracker's round robin in [2^30, 2^31), skipping ports in use. */
Test(vsock_conn, local_ports)
{
	struct vsock_conn *c = vsock_table_alloc(&t);

	cr_expect_eq(vsock_table_port(&t), 1u << 30);
	cr_expect_eq(vsock_table_port(&t), (1u << 30) + 1);
	local_flow(&t, c, (1u << 30) + 2, 52);
	cr_expect_eq(vsock_table_port(&t), (1u << 30) + 3);
	t.port_last = (1u << 31) - 1;
	vsock_table_free(&t, c);
	c = vsock_table_alloc(&t);
	local_flow(&t, c, 1u << 30, 52);
	cr_expect_eq(vsock_table_port(&t), (1u << 30) + 1,
		     "wrapped past a used one");
	vsock_table_clear(&t);
	cr_expect_eq(vsock_table_port(&t), 1u << 30, "a reset starts over");
}

/* The whole host-initiated handshake, then data both ways. */
Test(vsock_conn, host_initiated_flow)
{
	static const char in[] = "CONNECT 52\nhi";
	struct vsock_conn *c = vsock_table_alloc(&t);
	uint8_t payload[16];
	struct vsock_hdr h;
	uint32_t port, n;

	vsock_conn_accepted(c, T0);
	cr_expect_eq(c->state, VSOCK_LINE);
	cr_expect_eq(c->deadline, T0 + VSOCK_TIMEOUT_NS);
	memcpy(c->line, in, 5);
	cr_expect_eq(vsock_conn_line_in(c, 5, &port), 0);
	memcpy(c->line + 5, in + 5, sizeof(in) - 1 - 5);
	cr_assert_eq(vsock_conn_line_in(c, sizeof(in) - 1 - 5, &port), 1);
	cr_expect_eq(port, 52);
	cr_expect_eq(c->stage.len, 2, "bytes after the line are data");
	local_flow(&t, c, vsock_table_port(&t), port);
	vsock_table_update(&t, c);
	cr_expect_eq(vsock_table_owed(&t), c);

	h = emit(c, NULL, 100, NULL);
	cr_expect_eq(h.op, VSOCK_OP_REQUEST);
	cr_expect_eq(h.src_cid, 2);
	cr_expect_eq(h.dst_cid, CID);
	cr_expect_eq(h.src_port, 1u << 30);
	cr_expect_eq(h.dst_port, 52);
	cr_expect_eq(h.type, VSOCK_TYPE_STREAM);
	cr_expect_eq(h.buf_alloc, VSOCK_BUF_ALLOC);
	cr_expect_eq(c->deadline, T0 + VSOCK_TIMEOUT_NS);
	/* Nothing more until the guest answers; its data waits. */
	cr_expect_not(vsock_conn_has_packet(c));
	cr_expect_null(vsock_table_owed(&t));

	recv_pkt(c, VSOCK_OP_RESPONSE, 0, 4096, 0);
	cr_expect_eq(c->state, VSOCK_ESTABLISHED);
	cr_expect_eq(c->deadline, 0);
	cr_expect_eq(c->line_len, strlen("OK 1073741824\n"));
	cr_expect_eq(memcmp(c->line, "OK 1073741824\n", c->line_len), 0);
	vsock_table_update(&t, c);
	h = emit(c, payload, sizeof(payload), &n);
	cr_expect_eq(h.op, VSOCK_OP_RW);
	cr_expect_eq(n, 2);
	cr_expect_eq(memcmp(payload, "hi", 2), 0);
	cr_expect_eq(c->tx_cnt, 2);

	recv_rw(c, 300, 0xab, 4096, 2);
	cr_expect_eq(c->txb.len, 300);
	cr_expect_eq(c->rx_cnt, 300);
	cr_expect_eq(vsock_conn_our_credit(c), VSOCK_BUF_ALLOC - 300);
	vsock_conn_host_sent(c, 300);
	cr_expect_eq(c->fwd_cnt, 300);
	cr_expect_eq(vsock_conn_our_credit(c), VSOCK_BUF_ALLOC);
}

/* The guest's RESPONSE answers our REQUEST only once it was sent. */
Test(vsock_conn, response_before_request_is_killed_quietly)
{
	struct vsock_conn *c = vsock_table_alloc(&t);

	vsock_conn_accepted(c, T0);
	local_flow(&t, c, vsock_table_port(&t), 1000);
	recv_pkt(c, VSOCK_OP_RESPONSE, 0, 4096, 0);
	cr_expect_eq(c->state, VSOCK_CLOSING);
	cr_expect_eq(c->owe, 0, "the guest never heard of it: no RST");
}

Test(vsock_conn, guest_initiated_flow)
{
	struct vsock_conn *c = vsock_table_alloc(&t);
	struct vsock_hdr h = from_guest(VSOCK_OP_REQUEST, 0, 8192, 0);

	peer_flow_init(&t, c, &h, T0);
	cr_expect_eq(c->state, VSOCK_PEER_INIT);
	cr_expect_eq(c->local_port, 52);
	cr_expect_eq(c->peer_port, 1000);
	cr_expect_eq(c->peer_buf_alloc, 8192);
	cr_expect_eq(c->deadline, T0 + VSOCK_TIMEOUT_NS);
	cr_expect_eq(vsock_table_find(&t, 52, 1000), c);
	cr_expect_not(vsock_conn_has_packet(c));
	vsock_conn_connected(c);
	vsock_table_update(&t, c);
	cr_expect_eq(vsock_table_owed(&t), c);
	h = emit(c, NULL, 100, NULL);
	cr_expect_eq(h.op, VSOCK_OP_RESPONSE);
	cr_expect_eq(h.src_port, 52);
	cr_expect_eq(h.dst_port, 1000);
	cr_expect_eq(c->deadline, 0);
	/* A connect that fails: the guest is told. */
	c = vsock_table_alloc(&t);
	h.src_port = 1001;
	peer_flow_init(&t, c, &h, T0);
	vsock_conn_kill(c);
	cr_expect_eq(emit(c, NULL, 100, NULL).op, VSOCK_OP_RST);
	cr_expect_null(vsock_table_find(&t, 52, 1001), "unhashed once sent");
}

/* A guest that sends beyond the credit we gave loses the flow. */
Test(vsock_conn, guest_must_respect_our_credit)
{
	struct vsock_conn *c = peer_flow(4096);

	recv_rw(c, VSOCK_MAX_PAYLOAD, 1, 4096, 0);
	cr_expect_eq(vsock_conn_our_credit(c), 0);
	cr_expect_eq(c->txb.len, VSOCK_BUF_ALLOC);
	cr_expect_eq(c->state, VSOCK_ESTABLISHED, "exactly the credit is fine");
	recv_rw(c, 1, 2, 4096, 0);
	cr_expect_eq(c->state, VSOCK_CLOSING);
	cr_expect_eq(c->owe, VSOCK_OWE_RST);
	cr_expect_eq(c->txb.len, VSOCK_BUF_ALLOC, "nothing beyond was taken");
}

/* Credit updates once the guest's view of our room falls below half. */
Test(vsock_conn, credit_update_when_the_guest_may_starve)
{
	struct vsock_conn *c = peer_flow(4096);
	struct vsock_hdr h;

	recv_rw(c, 20000, 1, 4096, 0);
	vsock_conn_host_sent(c, 20000);
	cr_expect_not(c->owe & VSOCK_OWE_CREDIT, "it still sees 45 KiB");
	recv_rw(c, 20000, 1, 4096, 0);
	vsock_conn_host_sent(c, 20000);
	cr_expect(c->owe & VSOCK_OWE_CREDIT, "it sees 24 KiB of 64");
	vsock_table_update(&t, c);
	h = emit(c, NULL, 100, NULL);
	cr_expect_eq(h.op, VSOCK_OP_CREDIT_UPDATE);
	cr_expect_eq(h.fwd_cnt, 40000);
	cr_expect_eq(h.buf_alloc, VSOCK_BUF_ALLOC);
	cr_expect_not(vsock_conn_has_packet(c));
	/* Its CREDIT_REQUEST is always answered. */
	recv_pkt(c, VSOCK_OP_CREDIT_REQUEST, 0, 4096, 0);
	cr_expect_eq(emit(c, NULL, 100, NULL).op, VSOCK_OP_CREDIT_UPDATE);
}

/* Room the host made while the guest still saw plenty is reported once
 * the guest's view runs low: a guest out of credit never waits on room
 * we have. */
Test(vsock_conn, untold_room_is_reported_when_the_guest_runs_low)
{
	struct vsock_conn *c = peer_flow(4096);

	recv_rw(c, 10000, 1, 4096, 0);
	vsock_conn_host_sent(c, 10000);
	cr_expect_not(c->owe & VSOCK_OWE_CREDIT, "it still sees 54 KiB");
	recv_rw(c, 20000, 1, 4096, 0);
	cr_expect_not(c->owe & VSOCK_OWE_CREDIT, "it still sees 35 KiB");
	recv_rw(c, 34000, 1, 4096, 0);
	/* Its view: 1536 bytes; ours: 11536. */
	cr_expect(c->owe & VSOCK_OWE_CREDIT);
	cr_expect_eq(emit(c, NULL, 100, NULL).fwd_cnt, 10000);
	/* Told: nothing new until the host takes more. */
	recv_rw(c, 1536, 1, 4096, 0);
	cr_expect_not(c->owe & VSOCK_OWE_CREDIT);
	cr_expect_eq(vsock_conn_our_credit(c), 10000);
}

/* Every counter is u32 and wraps (5.10.6.3): flows outlive 4 GiB. */
Test(vsock_conn, counters_wrap)
{
	struct vsock_conn *c = peer_flow(0x100);
	uint32_t n;

	c->rx_cnt = c->fwd_cnt = c->fwd_told = 0xffffff00;
	recv_rw(c, 0x300, 7, 0x100, 0);
	cr_expect_eq(c->state, VSOCK_ESTABLISHED);
	cr_expect_eq(c->rx_cnt, 0x200);
	cr_expect_eq(vsock_conn_our_credit(c), VSOCK_BUF_ALLOC - 0x300);
	vsock_conn_host_sent(c, 0x300);
	cr_expect_eq(c->fwd_cnt, 0x200);
	cr_expect_eq(vsock_conn_our_credit(c), VSOCK_BUF_ALLOC);

	/* Toward the guest: 0x100 of room across tx_cnt's wrap. */
	c->tx_cnt = 0xffffffc0;
	recv_pkt(c, VSOCK_OP_CREDIT_UPDATE, 0, 0x100, 0xffffffc0);
	host_bytes(c, 0x400, 9);
	emit(c, NULL, 0x1000, &n);
	cr_expect_eq(n, 0x100);
	cr_expect_eq(c->tx_cnt, 0xc0);
	cr_expect_eq(emit(c, NULL, 0x1000, &n).op, VSOCK_OP_CREDIT_REQUEST);
	recv_pkt(c, VSOCK_OP_CREDIT_UPDATE, 0, 0x100, 0x40);
	emit(c, NULL, 0x1000, &n);
	cr_expect_eq(n, 0x80, "0x80 still in flight across the wrap");
}

/* Data waits for credit: one CREDIT_REQUEST, then silence. */
Test(vsock_conn, guest_credit_bounds_what_we_send)
{
	struct vsock_conn *c = peer_flow(100);
	uint8_t payload[512];
	uint32_t n;

	host_bytes(c, 300, 0x5a);
	cr_expect_eq(emit(c, payload, 512, &n).op, VSOCK_OP_RW);
	cr_expect_eq(n, 100);
	cr_expect_eq(payload[99], 0x5a);
	cr_expect_eq(emit(c, NULL, 512, &n).op, VSOCK_OP_CREDIT_REQUEST);
	cr_expect_not(vsock_conn_has_packet(c));
	cr_expect_null(vsock_table_owed(&t));
	recv_pkt(c, VSOCK_OP_CREDIT_UPDATE, 0, 100, 60);
	cr_expect(vsock_conn_has_packet(c));
	/* The chain's room bounds it too. */
	cr_expect_eq(emit(c, payload, 10, &n).op, VSOCK_OP_RW);
	cr_expect_eq(n, 10);
	cr_expect_eq(emit(c, payload, 512, &n).op, VSOCK_OP_RW);
	cr_expect_eq(n, 50);
	/* A guest that shrinks buf_alloc below what is in flight: none. */
	recv_pkt(c, VSOCK_OP_CREDIT_UPDATE, 0, 10, 60);
	cr_expect_eq(emit(c, NULL, 512, &n).op, VSOCK_OP_CREDIT_REQUEST);
}

/* Host EOF: its staged bytes first, then SHUTDOWN; then the guest RSTs. */
Test(vsock_conn, host_close_is_a_clean_shutdown)
{
	struct vsock_conn *c = peer_flow(4096);
	struct vsock_hdr h;

	host_bytes(c, 10, 1);
	vsock_conn_host_eof(c);
	vsock_table_update(&t, c);
	cr_expect_eq(emit(c, NULL, 100, NULL).op, VSOCK_OP_RW);
	h = emit(c, NULL, 100, NULL);
	cr_expect_eq(h.op, VSOCK_OP_SHUTDOWN);
	cr_expect_eq(h.flags, VSOCK_SHUTDOWN_RCV | VSOCK_SHUTDOWN_SEND);
	cr_expect_eq(c->deadline, T0 + VSOCK_TIMEOUT_NS);
	recv_pkt(c, VSOCK_OP_RST, 0, 4096, 0);
	cr_expect_eq(c->state, VSOCK_CLOSING);
	cr_expect_eq(c->owe, 0);
	vsock_table_update(&t, c);
	cr_expect_null(vsock_table_find(&t, 52, 1000));
}

/* The host's shutdown(SHUT_WR) alone: SHUTDOWN(SEND) after its bytes, and
 * the guest's bytes still go to the host until the guest is done too. */
Test(vsock_conn, host_half_close_lets_the_guest_answer)
{
	struct vsock_conn *c = peer_flow(4096);
	struct vsock_hdr h;

	host_bytes(c, 10, 1);
	vsock_conn_host_half_close(c);
	vsock_table_update(&t, c);
	cr_expect_eq(emit(c, NULL, 100, NULL).op, VSOCK_OP_RW);
	h = emit(c, NULL, 100, NULL);
	cr_expect_eq(h.op, VSOCK_OP_SHUTDOWN);
	cr_expect_eq(h.flags, VSOCK_SHUTDOWN_SEND, "the host still reads");
	cr_expect_eq(c->deadline, 0, "the guest answers in its own time");
	recv_rw(c, 100, 7, 4096, 10);
	cr_expect_eq(c->state, VSOCK_ESTABLISHED);
	cr_expect_eq(c->txb.len, 100);
	vsock_conn_host_sent(c, 60);
	cr_expect_eq(c->state, VSOCK_ESTABLISHED);
	/* The guest is done: RST once the host has the rest. */
	recv_pkt(c, VSOCK_OP_SHUTDOWN, VSOCK_SHUTDOWN_SEND, 4096, 10);
	cr_expect_eq(c->state, VSOCK_ESTABLISHED, "40 bytes still to go");
	cr_expect_eq(c->deadline, T0 + VSOCK_TIMEOUT_NS);
	vsock_conn_host_sent(c, 40);
	cr_expect_eq(c->state, VSOCK_CLOSING);
	cr_expect_eq(emit(c, NULL, 100, NULL).op, VSOCK_OP_RST);
	cr_expect_null(vsock_table_find(&t, 52, 1000));
}

/* A half-close after the guest's own SHUTDOWN(SEND): nothing flows any
 * more, so it is a close. */
Test(vsock_conn, host_half_close_after_the_guest_is_a_close)
{
	struct vsock_conn *c = peer_flow(4096);
	struct vsock_hdr h;

	recv_pkt(c, VSOCK_OP_SHUTDOWN, VSOCK_SHUTDOWN_SEND, 4096, 0);
	cr_expect_eq(c->state, VSOCK_ESTABLISHED, "the host may still send");
	vsock_conn_host_half_close(c);
	vsock_table_update(&t, c);
	h = emit(c, NULL, 100, NULL);
	cr_expect_eq(h.op, VSOCK_OP_SHUTDOWN);
	cr_expect_eq(h.flags, VSOCK_SHUTDOWN_RCV | VSOCK_SHUTDOWN_SEND);
	cr_expect_eq(c->deadline, T0 + VSOCK_TIMEOUT_NS);
}

/* The guest's SHUTDOWN both ways: we answer RST once the host has all. */
Test(vsock_conn, guest_shutdown_waits_for_the_host)
{
	struct vsock_conn *c = peer_flow(4096);

	recv_rw(c, 100, 3, 4096, 0);
	recv_pkt(c, VSOCK_OP_SHUTDOWN, VSOCK_SHUTDOWN_SEND, 4096, 0);
	cr_expect(c->peer_no_send);
	cr_expect_eq(c->state, VSOCK_ESTABLISHED);
	recv_pkt(c, VSOCK_OP_SHUTDOWN, VSOCK_SHUTDOWN_RCV, 4096, 0);
	cr_expect(c->peer_no_send, "hints are permanent");
	cr_expect_eq(c->state, VSOCK_ESTABLISHED, "100 bytes still to go");
	cr_expect_eq(c->deadline, T0 + VSOCK_TIMEOUT_NS);
	vsock_conn_host_sent(c, 100);
	cr_expect_eq(c->state, VSOCK_CLOSING);
	cr_expect_eq(emit(c, NULL, 100, NULL).op, VSOCK_OP_RST);
	/* Nothing owed, nothing findable: the entry can go. */
	cr_expect_null(vsock_table_owed(&t));
	cr_expect_null(vsock_table_find(&t, 52, 1000));
}

Test(vsock_conn, guest_shutdown_rules)
{
	struct vsock_conn *c = peer_flow(4096);

	/* Will not receive: what the host sent is dropped, none goes. */
	host_bytes(c, 10, 1);
	recv_pkt(c, VSOCK_OP_SHUTDOWN, VSOCK_SHUTDOWN_RCV, 4096, 0);
	cr_expect_eq(c->stage.len, 0);
	cr_expect_not(vsock_conn_has_packet(c));
	recv_pkt(c, VSOCK_OP_SHUTDOWN, 0, 4096, 0);
	cr_expect_eq(c->state, VSOCK_ESTABLISHED);
	cr_expect(c->peer_no_rcv, "hints are permanent");
	/* Will not send: a later RW breaks the flow. */
	vsock_table_free(&t, c);
	c = peer_flow(4096);
	recv_pkt(c, VSOCK_OP_SHUTDOWN, VSOCK_SHUTDOWN_SEND, 4096, 0);
	recv_rw(c, 1, 1, 4096, 0);
	cr_expect_eq(c->state, VSOCK_CLOSING);
	cr_expect_eq(c->owe, VSOCK_OWE_RST);
}

/* Out-of-place packets on a live flow are answered RST. */
Test(vsock_conn, protocol_violations_reset_the_flow)
{
	static const uint16_t ops[] = { VSOCK_OP_REQUEST, VSOCK_OP_RESPONSE };

	for (unsigned int i = 0; i < 2; i++) {
		struct vsock_conn *c = peer_flow(4096);

		recv_pkt(c, ops[i], 0, 4096, 0);
		cr_expect_eq(c->state, VSOCK_CLOSING, "op %u", ops[i]);
		cr_expect_eq(emit(c, NULL, 100, NULL).op, VSOCK_OP_RST);
		vsock_table_free(&t, c);
	}
	/* Data before the connection is up. */
	struct vsock_conn *c = vsock_table_alloc(&t);
	struct vsock_hdr h = from_guest(VSOCK_OP_REQUEST, 0, 4096, 0);

	peer_flow_init(&t, c, &h, T0);
	recv_rw(c, 1, 1, 4096, 0);
	cr_expect_eq(c->owe, VSOCK_OWE_RST);
	/* A closing flow takes nothing more. */
	recv_pkt(c, VSOCK_OP_CREDIT_REQUEST, 0, 4096, 0);
	cr_expect_eq(c->owe, VSOCK_OWE_RST);
}

/* Who is told when a flow dies depends on what the guest knows. */
Test(vsock_conn, kill_tells_the_guest_only_what_it_knows)
{
	struct vsock_conn *c = vsock_table_alloc(&t);

	vsock_conn_accepted(c, T0);
	vsock_conn_kill(c);
	cr_expect_eq(c->owe, 0, "LINE");
	c = vsock_table_alloc(&t);
	vsock_conn_accepted(c, T0);
	local_flow(&t, c, vsock_table_port(&t), 52);
	vsock_conn_kill(c);
	cr_expect_eq(c->owe, 0, "REQUEST not sent yet");
	c = vsock_table_alloc(&t);
	vsock_conn_accepted(c, T0);
	local_flow(&t, c, vsock_table_port(&t), 53);
	cr_expect_eq(emit(c, NULL, 100, NULL).op, VSOCK_OP_REQUEST);
	vsock_conn_host_eof(c);
	cr_expect_eq(c->owe, VSOCK_OWE_RST, "REQUEST sent, host gone");
	cr_expect_eq(c->state, VSOCK_CLOSING);
}

/* Flows with something owed take turns. */
Test(vsock_conn, owed_flows_take_turns)
{
	struct vsock_conn *a = peer_flow(4096), *b;
	struct vsock_hdr h = from_guest(VSOCK_OP_REQUEST, 0, 4096, 0);

	b = vsock_table_alloc(&t);
	h.src_port = 2000;
	peer_flow_init(&t, b, &h, T0);
	vsock_conn_connected(b);
	emit(b, NULL, 100, NULL);
	host_bytes(a, 100, 1);
	host_bytes(b, 100, 2);
	cr_expect_eq(vsock_table_owed(&t), a);
	vsock_table_rotate(&t, a);
	cr_expect_eq(vsock_table_owed(&t), b);
	emit(b, NULL, 10, NULL);
	vsock_table_rotate(&t, b);
	cr_expect_eq(vsock_table_owed(&t), a);
	vsock_table_free(&t, a);
	cr_expect_eq(vsock_table_owed(&t), b);
}
