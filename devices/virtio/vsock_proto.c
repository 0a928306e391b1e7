// SPDX-License-Identifier: Apache-2.0
/* devices/virtio/vsock_proto.c: virtio-vsock's wire format and pure helpers (virtio 1.2, 5.10). */
#include "vsock_proto.h"

#include <endian.h>
#include <errno.h>
#include <string.h>

enum vsock_verdict vsock_hdr_check(const struct vsock_hdr *h,
				   uint64_t guest_cid, uint32_t payload)
{
	if (h->src_cid != guest_cid || h->dst_cid != VSOCK_CID_HOST)
		return VSOCK_PKT_DROP;
	if (h->type != VSOCK_TYPE_STREAM)
		return VSOCK_PKT_RST;
	if (h->op == VSOCK_OP_INVALID || h->op > VSOCK_OP_MAX)
		return VSOCK_PKT_RST;
	if (h->len > payload || h->len > VSOCK_MAX_PAYLOAD)
		return VSOCK_PKT_RST;
	/* Only RW carries data; a control packet with a payload is not one
	 * any driver builds. */
	if (h->len && h->op != VSOCK_OP_RW)
		return VSOCK_PKT_RST;
	return VSOCK_PKT_OK;
}

void vsock_hdr_swap(struct vsock_hdr *h)
{
	h->src_cid = le64toh(h->src_cid);
	h->dst_cid = le64toh(h->dst_cid);
	h->src_port = le32toh(h->src_port);
	h->dst_port = le32toh(h->dst_port);
	h->len = le32toh(h->len);
	h->type = le16toh(h->type);
	h->op = le16toh(h->op);
	h->flags = le32toh(h->flags);
	h->buf_alloc = le32toh(h->buf_alloc);
	h->fwd_cnt = le32toh(h->fwd_cnt);
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* "connect", any case, at (s). */
static bool is_connect(const char *s)
{
	static const char word[] = "connect";

	for (size_t i = 0; i < sizeof(word) - 1; i++) {
		char c = s[i];

		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (c != word[i])
			return false;
	}
	return true;
}

int vsock_line_scan(const char *buf, size_t len, uint32_t *port)
{
	const char *nl = memchr(buf, '\n', len);
	size_t i = 7, digits = 0, end;
	uint64_t v = 0;

	if (!nl)
		return len < VSOCK_LINE_MAX ? 0 : -EINVAL;
	end = (size_t)(nl - buf);
	if (end >= VSOCK_LINE_MAX || end < 9 || !is_connect(buf) ||
	    !is_blank(buf[i]))
		return -EINVAL;
	while (i < end && is_blank(buf[i]))
		i++;
	for (; i < end && buf[i] >= '0' && buf[i] <= '9'; i++, digits++) {
		v = v * 10 + (uint64_t)(buf[i] - '0');
		if (v > UINT32_MAX)
			return -EINVAL;
	}
	if (!digits)
		return -EINVAL;
	while (i < end && (is_blank(buf[i]) || buf[i] == '\r'))
		i++;
	if (i != end)
		return -EINVAL;
	*port = (uint32_t)v;
	return (int)end + 1;
}

uint32_t vsock_ring_space(const struct vsock_ring *r, uint8_t **p)
{
	uint32_t tail = r->head + r->len;

	if (r->len == r->cap) {
		*p = NULL;
		return 0;
	}
	if (tail >= r->cap) {
		/* The data wraps: free space is between its end and head. */
		tail -= r->cap;
		*p = r->buf + tail;
		return r->head - tail;
	}
	*p = r->buf + tail;
	return r->cap - tail;
}

uint32_t vsock_ring_data(const struct vsock_ring *r, uint8_t **p)
{
	uint32_t n = r->cap - r->head;

	*p = r->len ? r->buf + r->head : NULL;
	return r->len < n ? r->len : n;
}

void vsock_ring_produce(struct vsock_ring *r, uint32_t n)
{
	r->len += n;
}

void vsock_ring_consume(struct vsock_ring *r, uint32_t n)
{
	r->len -= n;
	r->head += n;
	if (r->head >= r->cap)
		r->head -= r->cap;
	/* Even when empty the ring does not start over at 0: a recv() in
	 * flight writes at the tail it was given, which must stay put. */
}

/* Calls (fn) on each piece of [off, off + n) of (iov, nr), in order. */
static void iov_walk(const struct iovec *iov, unsigned int nr, size_t off,
		     size_t n, void (*fn)(void *ctx, uint8_t *p, size_t k),
		     void *ctx)
{
	for (unsigned int i = 0; i < nr && n; i++) {
		size_t k;

		if (off >= iov[i].iov_len) {
			off -= iov[i].iov_len;
			continue;
		}
		k = iov[i].iov_len - off;
		if (k > n)
			k = n;
		fn(ctx, (uint8_t *)iov[i].iov_base + off, k);
		n -= k;
		off = 0;
	}
}

static void put_piece(void *ctx, uint8_t *p, size_t k)
{
	struct vsock_ring *r = ctx;

	while (k) {
		uint8_t *dst;
		uint32_t room = vsock_ring_space(r, &dst);
		uint32_t m = k < room ? (uint32_t)k : room;

		memcpy(dst, p, m);
		vsock_ring_produce(r, m);
		p += m;
		k -= m;
	}
}

static void get_piece(void *ctx, uint8_t *p, size_t k)
{
	struct vsock_ring *r = ctx;

	while (k) {
		uint8_t *src;
		uint32_t have = vsock_ring_data(r, &src);
		uint32_t m = k < have ? (uint32_t)k : have;

		memcpy(p, src, m);
		vsock_ring_consume(r, m);
		p += m;
		k -= m;
	}
}

void vsock_ring_put(struct vsock_ring *r, const struct iovec *iov,
		    unsigned int nr, size_t off, uint32_t n)
{
	iov_walk(iov, nr, off, n, put_piece, r);
}

void vsock_ring_get(struct vsock_ring *r, const struct iovec *iov,
		    unsigned int nr, size_t off, uint32_t n)
{
	iov_walk(iov, nr, off, n, get_piece, r);
}

struct iov_cursor {
	uint8_t *p;	/* the flat side, advancing */
	bool to_iov;	/* direction */
};

static void copy_piece(void *ctx, uint8_t *p, size_t k)
{
	struct iov_cursor *c = ctx;

	if (c->to_iov)
		memcpy(p, c->p, k);
	else
		memcpy(c->p, p, k);
	c->p += k;
}

void vsock_iov_write(const struct iovec *iov, unsigned int nr, size_t off,
		     const void *src, size_t n)
{
	struct iov_cursor c = { (uint8_t *)(uintptr_t)src, true };

	iov_walk(iov, nr, off, n, copy_piece, &c);
}

void vsock_iov_read(const struct iovec *iov, unsigned int nr, size_t off,
		    void *dst, size_t n)
{
	struct iov_cursor c = { dst, false };

	iov_walk(iov, nr, off, n, copy_piece, &c);
}
