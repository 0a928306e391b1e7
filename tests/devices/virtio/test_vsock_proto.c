// SPDX-License-Identifier: Apache-2.0
/* tests/devices/virtio/test_vsock_proto.c: virtio-vsock's header checks, credit, CONNECT line, byte ring. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "devices/virtio/vsock_proto.h"

#define CID 3

/* A packet the guest sent: header fields in host order. */
static struct vsock_hdr pkt(uint16_t op, uint32_t len)
{
	return (struct vsock_hdr){
		.src_cid = CID,
		.dst_cid = 2,
		.src_port = 1000,
		.dst_port = 52,
		.len = len,
		.type = 1,
		.op = op,
		.buf_alloc = 4096,
	};
}

/* The layout of 5.10.6, field by field, not just its size. */
Test(vsock_proto, header_layout)
{
	cr_expect_eq(offsetof(struct vsock_hdr, src_cid), 0);
	cr_expect_eq(offsetof(struct vsock_hdr, dst_cid), 8);
	cr_expect_eq(offsetof(struct vsock_hdr, src_port), 16);
	cr_expect_eq(offsetof(struct vsock_hdr, dst_port), 20);
	cr_expect_eq(offsetof(struct vsock_hdr, len), 24);
	cr_expect_eq(offsetof(struct vsock_hdr, type), 28);
	cr_expect_eq(offsetof(struct vsock_hdr, op), 30);
	cr_expect_eq(offsetof(struct vsock_hdr, flags), 32);
	cr_expect_eq(offsetof(struct vsock_hdr, buf_alloc), 36);
	cr_expect_eq(offsetof(struct vsock_hdr, fwd_cnt), 40);
	cr_expect_eq(sizeof(struct vsock_hdr), 44);
}

/* Little-endian bytes on the wire, whatever the host. */
Test(vsock_proto, header_swap_reads_little_endian)
{
	static const uint8_t wire[44] = {
		3, 0, 0, 0, 0, 0, 0, 0,		/* src_cid 3 */
		2, 0, 0, 0, 0, 0, 0, 0,		/* dst_cid 2 */
		0x34, 0x12, 0, 0,		/* src_port 0x1234 */
		0, 0, 0, 0x40,			/* dst_port 1 << 30 */
		0x00, 0x10, 0, 0,		/* len 4096 */
		1, 0,				/* type STREAM */
		5, 0,				/* op RW */
		3, 0, 0, 0,			/* flags */
		0, 0, 1, 0,			/* buf_alloc 64 KiB */
		0xff, 0xff, 0xff, 0xff,		/* fwd_cnt */
	};
	struct vsock_hdr h;
	uint8_t back[44];

	memcpy(&h, wire, sizeof(h));
	vsock_hdr_swap(&h);
	cr_expect_eq(h.src_cid, 3);
	cr_expect_eq(h.dst_cid, 2);
	cr_expect_eq(h.src_port, 0x1234);
	cr_expect_eq(h.dst_port, UINT32_C(1) << 30);
	cr_expect_eq(h.len, 4096);
	cr_expect_eq(h.type, VSOCK_TYPE_STREAM);
	cr_expect_eq(h.op, VSOCK_OP_RW);
	cr_expect_eq(h.flags, 3);
	cr_expect_eq(h.buf_alloc, 65536);
	cr_expect_eq(h.fwd_cnt, UINT32_MAX);
	vsock_hdr_swap(&h);
	memcpy(back, &h, sizeof(back));
	cr_expect_arr_eq(back, wire, sizeof(wire));
}

Test(vsock_proto, check_accepts_well_formed_packets)
{
	struct vsock_hdr h = pkt(VSOCK_OP_RW, 100);

	cr_expect_eq(vsock_hdr_check(&h, CID, 100), VSOCK_PKT_OK);
	cr_expect_eq(vsock_hdr_check(&h, CID, 4096), VSOCK_PKT_OK);
	h.len = 0;
	cr_expect_eq(vsock_hdr_check(&h, CID, 0), VSOCK_PKT_OK);
	for (uint16_t op = VSOCK_OP_REQUEST; op <= VSOCK_OP_CREDIT_REQUEST;
	     op++) {
		h = pkt(op, 0);
		cr_expect_eq(vsock_hdr_check(&h, CID, 0), VSOCK_PKT_OK,
			     "op %u", op);
	}
	h = pkt(VSOCK_OP_RW, VSOCK_MAX_PAYLOAD);
	cr_expect_eq(vsock_hdr_check(&h, CID, VSOCK_MAX_PAYLOAD),
		     VSOCK_PKT_OK);
}

/* Not from this guest, or not for the host: nobody to answer to. */
Test(vsock_proto, check_drops_foreign_cids)
{
	struct vsock_hdr h = pkt(VSOCK_OP_REQUEST, 0);

	h.src_cid = 4;
	cr_expect_eq(vsock_hdr_check(&h, CID, 0), VSOCK_PKT_DROP);
	h.src_cid = CID | UINT64_C(1) << 32;	/* reserved upper half */
	cr_expect_eq(vsock_hdr_check(&h, CID, 0), VSOCK_PKT_DROP);
	h = pkt(VSOCK_OP_REQUEST, 0);
	h.dst_cid = CID;			/* itself */
	cr_expect_eq(vsock_hdr_check(&h, CID, 0), VSOCK_PKT_DROP);
	h.dst_cid = 1;
	cr_expect_eq(vsock_hdr_check(&h, CID, 0), VSOCK_PKT_DROP);
	h.dst_cid = 2 | UINT64_C(1) << 32;
	cr_expect_eq(vsock_hdr_check(&h, CID, 0), VSOCK_PKT_DROP);
	/* Foreign beats malformed: a bad type from elsewhere is dropped. */
	h = pkt(VSOCK_OP_REQUEST, 0);
	h.src_cid = 9;
	h.type = 7;
	cr_expect_eq(vsock_hdr_check(&h, CID, 0), VSOCK_PKT_DROP);
}

Test(vsock_proto, check_answers_malformed_with_rst)
{
	struct vsock_hdr h = pkt(VSOCK_OP_REQUEST, 0);

	/* "A VIRTIO_VSOCK_OP_RST reply MUST be sent if a packet is
	 * received with an unknown type value": SEQPACKET is one here. */
	h.type = 2;
	cr_expect_eq(vsock_hdr_check(&h, CID, 0), VSOCK_PKT_RST);
	h.type = 0;
	cr_expect_eq(vsock_hdr_check(&h, CID, 0), VSOCK_PKT_RST);
	h = pkt(VSOCK_OP_INVALID, 0);
	cr_expect_eq(vsock_hdr_check(&h, CID, 0), VSOCK_PKT_RST);
	h.op = 8;
	cr_expect_eq(vsock_hdr_check(&h, CID, 0), VSOCK_PKT_RST);
	h.op = 0xffff;
	cr_expect_eq(vsock_hdr_check(&h, CID, 0), VSOCK_PKT_RST);
	/* len beyond the chain, beyond the largest packet, or on a
	 * control packet. */
	h = pkt(VSOCK_OP_RW, 101);
	cr_expect_eq(vsock_hdr_check(&h, CID, 100), VSOCK_PKT_RST);
	h.len = UINT32_MAX;
	cr_expect_eq(vsock_hdr_check(&h, CID, 100), VSOCK_PKT_RST);
	h.len = VSOCK_MAX_PAYLOAD + 1;
	cr_expect_eq(vsock_hdr_check(&h, CID, UINT32_MAX), VSOCK_PKT_RST);
	h = pkt(VSOCK_OP_SHUTDOWN, 4);
	cr_expect_eq(vsock_hdr_check(&h, CID, 4), VSOCK_PKT_RST);
}

/* 5.10.6.3's peer_free, in u32 arithmetic that wraps. */
Test(vsock_proto, credit)
{
	cr_expect_eq(vsock_credit(4096, 0, 0), 4096);
	cr_expect_eq(vsock_credit(4096, 1000, 0), 3096);
	cr_expect_eq(vsock_credit(4096, 5000, 1000), 96);
	cr_expect_eq(vsock_credit(4096, 4096, 0), 0);
	cr_expect_eq(vsock_credit(0, 0, 0), 0);
	/* The counters wrapped: 0x20 bytes in flight across the wrap. */
	cr_expect_eq(vsock_credit(4096, 0x10, 0xfffffff0), 4096 - 0x20);
	cr_expect_eq(vsock_credit(UINT32_MAX, 5, 5), UINT32_MAX);
	/* A peer claiming more consumed than was sent, or holding more
	 * than it allows (it shrank buf_alloc): no credit, not a huge one. */
	cr_expect_eq(vsock_credit(4096, 100, 101), 0);
	cr_expect_eq(vsock_credit(4096, 0, 1), 0);
	cr_expect_eq(vsock_credit(100, 1000, 0), 0);
}

static int scan(const char *s, uint32_t *port)
{
	return vsock_line_scan(s, strlen(s), port);
}

Test(vsock_proto, connect_line_accepted)
{
	char line[64];
	uint32_t port = 0;

	cr_expect_eq(scan("CONNECT 52\n", &port), 11);
	cr_expect_eq(port, 52);
	cr_expect_eq(scan("connect 1234\n", &port), 13);
	cr_expect_eq(port, 1234);
	cr_expect_eq(scan("CoNnEcT\t \t7 \t\r\n", &port), 15);
	cr_expect_eq(port, 7);
	cr_expect_eq(scan("CONNECT 0\n", &port), 10);
	cr_expect_eq(port, 0);
	cr_expect_eq(scan("CONNECT 4294967295\n", &port), 19);
	cr_expect_eq(port, UINT32_MAX);
	/* The bytes after the line are the host's first data. */
	cr_expect_eq(scan("CONNECT 9\nhello\n", &port), 10);
	cr_expect_eq(port, 9);
	/* 32 bytes with its newline: the longest. */
	strcpy(line, "CONNECT 0000000000000000000052\n");
	cr_assert_eq(strlen(line), 31);
	cr_expect_eq(scan(line, &port), 31);
	strcpy(line, "CONNECT  0000000000000000000052\n");
	cr_assert_eq(strlen(line), 32);
	cr_expect_eq(scan(line, &port), 32);
	cr_expect_eq(port, 52);
}

Test(vsock_proto, connect_line_incomplete)
{
	char line[VSOCK_LINE_MAX];
	uint32_t port;

	cr_expect_eq(scan("", &port), 0);
	cr_expect_eq(scan("CONNECT 5", &port), 0);
	memset(line, ' ', sizeof(line));
	cr_expect_eq(vsock_line_scan(line, sizeof(line) - 1, &port), 0);
	/* VSOCK_LINE_MAX bytes without a newline: never a line. */
	cr_expect_eq(vsock_line_scan(line, sizeof(line), &port), -EINVAL);
}

Test(vsock_proto, connect_line_refused)
{
	static const char *const bad[] = {
		"\n",
		"CONNECT\n",
		"CONNECT \n",
		"CONNECT x\n",
		"CONNECT -1\n",
		"CONNECT +1\n",
		"CONNECT 0x10\n",
		"CONNECT 4294967296\n",
		"CONNECT 99999999999999999999\n",
		"CONNECT 52 53\n",
		"CONNECT 52x\n",
		"CONNECT52\n",
		"CONNECTED 52\n",
		" CONNECT 52\n",
		"OK 52\n",
		"GARBAGE\n",
		"CONNECT  00000000000000000000052\n",	/* 33 bytes */
	};
	uint32_t port = 77;

	for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_expect_eq(scan(bad[i], &port), -EINVAL, "'%s'", bad[i]);
	cr_expect_eq(port, 77, "no port from a refused line");
	/* A NUL inside is not a blank. */
	cr_expect_eq(vsock_line_scan("CONNECT \0" "5\n", 11, &port), -EINVAL);
}

/* A ring of (cap) bytes. */
static struct vsock_ring ring(uint8_t *buf, uint32_t cap)
{
	return (struct vsock_ring){ .buf = buf, .cap = cap };
}

Test(vsock_proto, ring_pieces_wrap)
{
	uint8_t buf[8], *p;
	struct vsock_ring r = ring(buf, sizeof(buf));

	cr_expect_eq(vsock_ring_data(&r, &p), 0);
	cr_expect_eq(vsock_ring_space(&r, &p), 8);
	cr_expect_eq(p, buf);
	vsock_ring_produce(&r, 6);
	cr_expect_eq(vsock_ring_space(&r, &p), 2);
	cr_expect_eq(p, buf + 6);
	vsock_ring_consume(&r, 5);
	/* Free: [6, 8) now, [0, 5) after it. */
	cr_expect_eq(vsock_ring_space(&r, &p), 2);
	cr_expect_eq(p, buf + 6);
	vsock_ring_produce(&r, 2);
	cr_expect_eq(vsock_ring_space(&r, &p), 5);
	cr_expect_eq(p, buf);
	vsock_ring_produce(&r, 5);
	cr_expect_eq(vsock_ring_space(&r, &p), 0);
	cr_expect_eq(r.len, 8);
	/* Data: [5, 8) then [0, 5). */
	cr_expect_eq(vsock_ring_data(&r, &p), 3);
	cr_expect_eq(p, buf + 5);
	vsock_ring_consume(&r, 3);
	cr_expect_eq(vsock_ring_data(&r, &p), 5);
	cr_expect_eq(p, buf);
	vsock_ring_consume(&r, 5);
	/* Empty, and the tail stayed where a recv in flight writes. */
	cr_expect_eq(r.len, 0);
	cr_expect_eq(vsock_ring_space(&r, &p), 3);
	cr_expect_eq(p, buf + 5);
}

/* Random puts and gets across scattered buffers against a plain FIFO. */
Test(vsock_proto, ring_put_get_match_a_fifo)
{
	static uint8_t rbuf[97], ref[1 << 16], out[64];
	struct vsock_ring r = ring(rbuf, sizeof(rbuf));
	uint32_t in_pos = 0, out_pos = 0;
	uint8_t src[64];
	unsigned int seed = 1;

	for (unsigned int round = 0; round < 20000; round++) {
		uint32_t n = (uint32_t)rand_r(&seed) % 40;
		/* Three pieces, the first with an offset to skip. */
		struct iovec iov[3] = {
			{ src, 5 }, { src + 5, 7 }, { src + 12, 52 },
		};

		if (rand_r(&seed) & 1) {
			if (n > r.cap - r.len)
				n = r.cap - r.len;
			for (uint32_t i = 0; i < n; i++)
				src[3 + i] = ref[(in_pos + i) & 0xffff] =
					(uint8_t)rand_r(&seed);
			vsock_ring_put(&r, iov, 3, 3, n);
			in_pos += n;
		} else {
			struct iovec o[2] = { { out, 10 }, { out + 10, 54 } };

			if (n > r.len)
				n = r.len;
			vsock_ring_get(&r, o, 2, 1, n);
			for (uint32_t i = 0; i < n; i++)
				cr_assert_eq(out[1 + i],
					     ref[(out_pos + i) & 0xffff],
					     "round %u byte %u", round, i);
			out_pos += n;
		}
		cr_assert_eq(r.len, in_pos - out_pos);
	}
}

Test(vsock_proto, iov_copies_span_buffers)
{
	uint8_t a[3], b[1], c[10], back[9];
	const struct iovec iov[3] = { { a, 3 }, { b, 1 }, { c, 10 } };
	const uint8_t msg[9] = { 1, 2, 3, 4, 5, 6, 7, 8, 9 };

	memset(a, 0, sizeof(a));
	memset(b, 0, sizeof(b));
	memset(c, 0, sizeof(c));
	vsock_iov_write(iov, 3, 2, msg, sizeof(msg));
	cr_expect_eq(a[0], 0);
	cr_expect_eq(a[2], 1);
	cr_expect_eq(b[0], 2);
	cr_expect_eq(c[0], 3);
	cr_expect_eq(c[6], 9);
	cr_expect_eq(c[7], 0);
	vsock_iov_read(iov, 3, 2, back, sizeof(back));
	cr_expect_arr_eq(back, msg, sizeof(msg));
}
