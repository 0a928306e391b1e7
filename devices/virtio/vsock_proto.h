/* SPDX-License-Identifier: Apache-2.0 */
/* devices/virtio/vsock_proto.h: virtio-vsock's wire format and pure helpers (virtio 1.2, 5.10). */
#ifndef IGNIS_VSOCK_PROTO_H
#define IGNIS_VSOCK_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

/* Queues (5.10.2). */
#define VSOCK_RXQ		0	/* device -> driver packets */
#define VSOCK_TXQ		1	/* driver -> device packets */
#define VSOCK_EVQ		2	/* device events: none sent */

#define VSOCK_F_STREAM		0	/* stream sockets (5.10.3) */

#define VSOCK_CID_HOST		2	/* the well-known host CID (5.10.4) */
#define VSOCK_TYPE_STREAM	1	/* the only type we serve (5.10.6.2) */

/* op (5.10.6). */
#define VSOCK_OP_INVALID	0
#define VSOCK_OP_REQUEST	1	/* connect */
#define VSOCK_OP_RESPONSE	2	/* connected */
#define VSOCK_OP_RST		3	/* refused, or torn down */
#define VSOCK_OP_SHUTDOWN	4	/* flags: no more rx / tx */
#define VSOCK_OP_RW		5	/* payload */
#define VSOCK_OP_CREDIT_UPDATE	6	/* here is my buffer space */
#define VSOCK_OP_CREDIT_REQUEST	7	/* tell me yours */
#define VSOCK_OP_MAX		7

/* SHUTDOWN flags: "bit 0 ... the peer will not receive any more data
 * and bit 1 ... the peer will not send any more data" (5.10.6.5). */
#define VSOCK_SHUTDOWN_RCV	1
#define VSOCK_SHUTDOWN_SEND	2

/* Largest payload of one packet either way: Linux's and Firecracker's
 * 64 KiB (VIRTIO_VSOCK_MAX_PKT_BUF_SIZE, MAX_PKT_BUF_SIZE). */
#define VSOCK_MAX_PAYLOAD	(64u * 1024)

/* "CONNECT <port>\n" is at most this long, as Firecracker's buffer. */
#define VSOCK_LINE_MAX		32

/* struct virtio_vsock_hdr (5.10.6), little-endian on the wire. */
struct vsock_hdr {
	uint64_t src_cid;	/* upper 32 bits reserved, zero */
	uint64_t dst_cid;
	uint32_t src_port;
	uint32_t dst_port;
	uint32_t len;		/* payload bytes after the header */
	uint16_t type;		/* VSOCK_TYPE_* */
	uint16_t op;		/* VSOCK_OP_* */
	uint32_t flags;		/* SHUTDOWN: VSOCK_SHUTDOWN_* */
	uint32_t buf_alloc;	/* sender's receive buffer for this flow */
	uint32_t fwd_cnt;	/* payload bytes it has consumed, wrapping */
} __attribute__((packed));
_Static_assert(sizeof(struct vsock_hdr) == 44, "5.10.6 virtio_vsock_hdr");

/* What to do with a packet the driver sent, by its header alone. */
enum vsock_verdict {
	VSOCK_PKT_OK,		/* well-formed: dispatch it */
	VSOCK_PKT_DROP,		/* not from this guest or not for the host */
	VSOCK_PKT_RST,		/* malformed: answer RST (never to an RST) */
};

/*
 * Judges header (h) (host byte order) of a packet the driver sent with
 * (payload) bytes after the header in its chain, for a guest whose CID
 * is (guest_cid):
 *  - src_cid not the guest's or dst_cid not the host: DROP ("The
 *    guest_cid configuration field MUST be used as the source CID",
 *    5.10.6.4; there is nobody but the host to deliver to);
 *  - an unknown type: RST ("A VIRTIO_VSOCK_OP_RST reply MUST be sent if
 *    a packet is received with an unknown type value", 5.10.6.4);
 *  - an unknown op, len beyond the chain or VSOCK_MAX_PAYLOAD, or a
 *    payload on any op but RW: RST;
 *  - else OK. Pure.
 */
enum vsock_verdict vsock_hdr_check(const struct vsock_hdr *h,
				   uint64_t guest_cid, uint32_t payload);

/* Converts (h) between little-endian (the wire) and host order, in place;
 * the same swap both ways. */
void vsock_hdr_swap(struct vsock_hdr *h);

/*
 * The free receive space a peer still has, by 5.10.6.3: "u32 peer_free =
 * peer_buf_alloc - (tx_cnt - peer_fwd_cnt)", all u32 and wrapping. A
 * peer that claims to have consumed more than was sent, or to hold more
 * than it allows, has none: credit is never negative and never comes
 * from a bogus counter.
 */
static inline uint32_t vsock_credit(uint32_t buf_alloc, uint32_t tx_cnt,
				    uint32_t fwd_cnt)
{
	uint32_t in_flight = tx_cnt - fwd_cnt;

	return in_flight >= buf_alloc ? 0 : buf_alloc - in_flight;
}

/*
 * Scans the first (len) bytes the host wrote on a new connection for
 * Firecracker's request line "CONNECT <port>\n" (docs/vsock.md): the word
 * in any case, one or more spaces or tabs, a decimal port that fits 32
 * bits, optional trailing spaces, tabs or '\r', then '\n'. Returns the
 * line's length with its '\n' (the bytes after it are the first data)
 * and sets (*port); 0 when no '\n' has come yet and (len) <
 * VSOCK_LINE_MAX; -EINVAL for anything else: a line Firecracker would
 * not take, or VSOCK_LINE_MAX bytes without a '\n'. Stricter than
 * Firecracker, which ignores words after the port. Pure.
 */
int vsock_line_scan(const char *buf, size_t len, uint32_t *port);

/*
 * A byte ring: (len) bytes from (head), wrapping at (cap). Owns no
 * memory; pure. Producers write into vsock_ring_space() and then
 * vsock_ring_produce(); consumers read vsock_ring_data() and then
 * vsock_ring_consume(): each is one contiguous piece, for a single
 * recv() or send() straight from the ring.
 */
struct vsock_ring {
	uint8_t *buf;		/* [cap] bytes */
	uint32_t cap;		/* size */
	uint32_t head;		/* first byte held */
	uint32_t len;		/* bytes held */
};

/* The contiguous free space after the data: its start in (*p) and its
 * length (0: full). */
uint32_t vsock_ring_space(const struct vsock_ring *r, uint8_t **p);
/* The contiguous data from the head: its start in (*p) and its length
 * (0: empty). */
uint32_t vsock_ring_data(const struct vsock_ring *r, uint8_t **p);
/* (n) bytes written after the data (n <= space) become data. */
void vsock_ring_produce(struct vsock_ring *r, uint32_t n);
/* (n) bytes at the head (n <= len) are gone. The tail never moves but
 * by vsock_ring_produce(), so a producer may write there asynchronously. */
void vsock_ring_consume(struct vsock_ring *r, uint32_t n);

/*
 * Copies (n) bytes between the ring and the scattered buffer (iov, nr),
 * starting (off) bytes into it: vsock_ring_put() appends them to the
 * ring, vsock_ring_get() takes them from its head. The caller has
 * checked that the ring has the room (put) or the bytes (get) and that
 * the buffer holds off + n bytes. Pure.
 */
void vsock_ring_put(struct vsock_ring *r, const struct iovec *iov,
		    unsigned int nr, size_t off, uint32_t n);
void vsock_ring_get(struct vsock_ring *r, const struct iovec *iov,
		    unsigned int nr, size_t off, uint32_t n);

/* Copies (n) bytes from (src) into (iov, nr) at offset (off), or from
 * there into (dst); the buffer must hold off + n bytes. Pure. */
void vsock_iov_write(const struct iovec *iov, unsigned int nr, size_t off,
		     const void *src, size_t n);
void vsock_iov_read(const struct iovec *iov, unsigned int nr, size_t off,
		    void *dst, size_t n);

#endif
