// SPDX-License-Identifier: Apache-2.0
/* tests/fuzz/fuzz_blk_req.c: any chain through the virtio-blk request parser. */
#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "devices/virtio/blk_req.h"
#include "fuzz.h"
#include "fuzz_input.h"

/*
 * The input: the disk (capacity, read-only, negotiated FLUSH / DISCARD /
 * WRITE_ZEROES, advertised segment limits), then a chain, buffer by
 * buffer: direction, length, and for readable ones the bytes (header,
 * data, discard segments). Each buffer is a heap allocation of exactly
 * its length, so a byte read past one is AddressSanitizer's report.
 *
 * The chain keeps struct vq_chain's promises (queue.h: 1..VQ_MAX_CHAIN
 * buffers of at least one byte) but not the queue's order: readable after
 * writable is the parser's to refuse.
 *
 * Invariants (blk_req.h's contract, read independently here):
 *  - -EINVAL exactly when there is no status byte to write: no buffer,
 *    the last one readable, or readable after writable; otherwise the
 *    status is the last byte of the last buffer;
 *  - VIRTIO_BLK_S_OK exactly when none of the contract's IOERR / UNSUPP
 *    conditions holds, and else a status one of them names (5.2.6.2 does
 *    not rank them);
 *  - on OK: the data segments are exactly the bytes the layout gives
 *    (IN / GET_ID: the writable bytes before the status, GET_ID trimmed
 *    to 20; OUT / DISCARD / WRITE_ZEROES: the readable bytes after the
 *    header; FLUSH: none), each inside one buffer and apart from the
 *    status byte; IN/OUT lie within the capacity (overflow-safe); every
 *    discard / write-zeroes segment is copied out, host order, with known
 *    flags only and within the capacity (GUARDS 10: no more than
 *    BLK_REQ_MAX_DWZ_SEGS);
 *  - the parser is pure: no byte of the chain changes;
 *  - blk_req_gather() copies exactly the readable bytes asked for.
 */

#define MAX_ALLOC (256u << 10) /* all buffers of one input */

/* Header flags. */
#define H_READ_ONLY 0x01
#define H_FLUSH 0x02
#define H_DISCARD 0x04
#define H_WRITE_ZEROES 0x08
#define H_RAW_CAPACITY 0x10 /* a u64 capacity, else a u16 */
#define H_LONG_CHAIN 0x20 /* up to 256 buffers, else 32 */

static struct vq_chain chain;
static uint8_t *copy[VQ_MAX_CHAIN]; /* each buffer as built */
static struct blk_req req;

/* The expected verdict: OK, or the set of statuses that may answer. */
struct expect {
	bool einval;
	bool ioerr, unsupp;
};

static bool known_type(uint32_t t)
{
	return t == VIRTIO_BLK_T_IN || t == VIRTIO_BLK_T_OUT ||
	       t == VIRTIO_BLK_T_FLUSH || t == VIRTIO_BLK_T_GET_ID ||
	       t == VIRTIO_BLK_T_DISCARD || t == VIRTIO_BLK_T_WRITE_ZEROES;
}

/* Whether [sector, sector + n) is on a disk of (cap) sectors. */
static bool fits(uint64_t sector, uint64_t n, uint64_t cap)
{
	return n <= cap && sector <= cap - n;
}

/* The readable bytes of the chain from (skip) on, (len) of them, into
 * (dst): how many there were. */
static size_t model_gather(size_t skip, uint8_t *dst, size_t len)
{
	size_t done = 0;

	for (unsigned int i = 0; i < chain.nr && done < len; i++) {
		const struct vq_buf *b = &chain.bufs[i];

		if (b->writable)
			break;
		for (uint32_t k = 0; k < b->len && done < len; k++) {
			if (skip) {
				skip--;
				continue;
			}
			dst[done++] = ((const uint8_t *)b->addr)[k];
		}
	}
	return done;
}

/* One expected data segment: bytes [off, off + len) of buffer (buf). */
struct seg {
	unsigned int buf;
	uint64_t off, len;
};

static struct seg want[VQ_MAX_CHAIN];
static unsigned int nr_want;

/* The data segments the layout gives: readable after the header, or
 * writable before the status byte, at most (limit) bytes. */
static uint64_t layout_data(bool readable, uint64_t limit)
{
	uint64_t skip = readable ? sizeof(struct virtio_blk_outhdr) : 0;
	uint64_t total = 0;

	nr_want = 0;
	for (unsigned int i = 0; i < chain.nr && total < limit; i++) {
		const struct vq_buf *b = &chain.bufs[i];
		uint64_t len = b->len;

		if (b->writable != !readable)
			continue;
		if (!readable && i + 1 == chain.nr)
			len--; /* the status byte */
		if (skip >= len) {
			skip -= len;
			continue;
		}
		len -= skip;
		if (len > limit - total)
			len = limit - total;
		want[nr_want++] = (struct seg){ i, skip, len };
		total += len;
		skip = 0;
	}
	return total;
}

/* The discard / write-zeroes segments: the contract's checks. */
static void expect_dwz(struct expect *e, uint32_t type, uint64_t data_len,
		       uint64_t cap, uint32_t max_seg)
{
	uint32_t allowed =
		type == VIRTIO_BLK_T_WRITE_ZEROES ? VIRTIO_BLK_WZ_F_UNMAP : 0;
	uint8_t raw[sizeof(struct virtio_blk_dwz_seg)];
	uint64_t n = data_len / sizeof(raw);

	if (data_len == 0 || data_len % sizeof(raw)) {
		e->ioerr = true;
		return;
	}
	if (n >
	    (max_seg < BLK_REQ_MAX_DWZ_SEGS ? max_seg : BLK_REQ_MAX_DWZ_SEGS)) {
		e->unsupp = true;
		return;
	}
	for (uint64_t i = 0; i < n; i++) {
		struct virtio_blk_dwz_seg s;

		model_gather(sizeof(struct virtio_blk_outhdr) + i * 16, raw,
			     16);
		memcpy(&s, raw, sizeof(s));
		/* 5.2.6.2: unknown flags, or UNMAP on a discard: UNSUPP. */
		if (le32toh(s.flags) & ~allowed)
			e->unsupp = true;
		if (!fits(le64toh(s.sector), le32toh(s.num_sectors), cap))
			e->ioerr = true;
	}
}

/* What the contract says of this chain. */
static void expect(const struct blk_req_limits *lim, uint64_t cap,
		   struct expect *e, uint32_t *type, uint64_t *sector)
{
	uint64_t rd = 0, wr = 0, data;
	bool seen_w = false;
	uint8_t hdr[16];

	memset(e, 0, sizeof(*e));
	for (unsigned int i = 0; i < chain.nr; i++) {
		if (!chain.bufs[i].writable && seen_w)
			e->einval = true;
		seen_w |= chain.bufs[i].writable;
		*(chain.bufs[i].writable ? &wr : &rd) += chain.bufs[i].len;
	}
	if (!chain.nr || !chain.bufs[chain.nr - 1].writable || e->einval) {
		e->einval = true;
		return;
	}
	if (model_gather(0, hdr, 16) < 16) {
		e->ioerr = true; /* short header */
		return;
	}
	memcpy(type, hdr, 4);
	memcpy(sector, hdr + 8, 8);
	*type = le32toh(*type);
	*sector = le64toh(*sector);
	if (!known_type(*type) ||
	    (*type == VIRTIO_BLK_T_FLUSH && !lim->flush) ||
	    (*type == VIRTIO_BLK_T_DISCARD && !lim->discard) ||
	    (*type == VIRTIO_BLK_T_WRITE_ZEROES && !lim->write_zeroes)) {
		e->unsupp = true;
		return;
	}
	switch (*type) {
	case VIRTIO_BLK_T_IN:
	case VIRTIO_BLK_T_GET_ID:
		e->ioerr |= rd != 16; /* data the wrong way */
		data = wr - 1;
		break;
	case VIRTIO_BLK_T_FLUSH:
		e->ioerr |= rd != 16 || wr != 1;
		return;
	default:
		e->ioerr |= lim->read_only || wr != 1;
		data = rd - 16;
		break;
	}
	switch (*type) {
	case VIRTIO_BLK_T_IN:
	case VIRTIO_BLK_T_OUT:
		e->ioerr |= data % BLK_SECTOR_SIZE ||
			    !fits(*sector, data / BLK_SECTOR_SIZE, cap);
		break;
	case VIRTIO_BLK_T_GET_ID:
		e->ioerr |= data == 0;
		break;
	case VIRTIO_BLK_T_DISCARD:
		expect_dwz(e, *type, data, cap, lim->max_discard_seg);
		break;
	default:
		expect_dwz(e, *type, data, cap, lim->max_write_zeroes_seg);
		break;
	}
}

/* A parsed OK request carries exactly the data the layout gives. */
static void check_ok(uint32_t type, uint64_t sector)
{
	bool readable = type != VIRTIO_BLK_T_IN && type != VIRTIO_BLK_T_GET_ID;
	uint64_t limit =
		type == VIRTIO_BLK_T_GET_ID ? VIRTIO_BLK_ID_BYTES : UINT64_MAX;
	uint64_t total = type == VIRTIO_BLK_T_FLUSH ?
				 (nr_want = 0) :
				 layout_data(readable, limit);

	FUZZ_CHECK(req.type == type, "type %u, header says %u", req.type, type);
	if (type == VIRTIO_BLK_T_IN || type == VIRTIO_BLK_T_OUT)
		FUZZ_CHECK(req.sector == sector, "sector");
	FUZZ_CHECK(req.nr_data == nr_want && req.data_len == total,
		   "type %u: %u segments of %llu bytes, want %u of %llu", type,
		   req.nr_data, (unsigned long long)req.data_len, nr_want,
		   (unsigned long long)total);
	for (unsigned int i = 0; i < nr_want; i++) {
		const struct vq_buf *b = &chain.bufs[want[i].buf];

		FUZZ_CHECK(req.data[i].iov_base ==
					   (uint8_t *)b->addr + want[i].off &&
				   req.data[i].iov_len == want[i].len,
			   "segment %u is not bytes %llu+%llu of buffer %u", i,
			   (unsigned long long)want[i].off,
			   (unsigned long long)want[i].len, want[i].buf);
		/* Never the status byte: the device writes it last. */
		FUZZ_CHECK(
			(uint8_t *)req.data[i].iov_base + req.data[i].iov_len <=
					req.status ||
				(uint8_t *)req.data[i].iov_base > req.status ||
				want[i].buf + 1 != chain.nr,
			"segment %u covers the status byte", i);
	}
	if (type != VIRTIO_BLK_T_DISCARD && type != VIRTIO_BLK_T_WRITE_ZEROES) {
		FUZZ_CHECK(req.nr_seg == 0, "segments on type %u", type);
		return;
	}
	FUZZ_CHECK(req.nr_seg == total / 16 &&
			   req.nr_seg <= BLK_REQ_MAX_DWZ_SEGS,
		   "%u dwz segments for %llu bytes", req.nr_seg,
		   (unsigned long long)total);
	for (unsigned int i = 0; i < req.nr_seg; i++) {
		struct virtio_blk_dwz_seg s;

		model_gather(16 + i * 16ull, (uint8_t *)&s, 16);
		FUZZ_CHECK(req.seg[i].sector == le64toh(s.sector) &&
				   req.seg[i].num_sectors ==
					   le32toh(s.num_sectors) &&
				   req.seg[i].flags == le32toh(s.flags),
			   "dwz segment %u not copied as the guest wrote it",
			   i);
	}
}

/* Builds the chain: at most MAX_ALLOC bytes, then 1-byte buffers. */
static void build(struct fz *in, bool long_chain)
{
	unsigned int nr = long_chain ? 1u + fz_u8(in) : fz_u8(in) % 33u;
	uint64_t alloc = 0;

	memset(&chain, 0, offsetof(struct vq_chain, bufs));
	for (unsigned int i = 0; i < nr; i++) {
		uint8_t d = fz_u8(in);
		uint32_t len;

		switch (d >> 1 & 3) {
		case 0:
			len = 1u + fz_u8(in);
			break;
		case 1:
			len = 1u + fz_u16(in);
			break;
		case 2:
			len = BLK_SECTOR_SIZE * (1u + fz_u8(in) % 8);
			break;
		default:
			len = 16u * (1u + fz_u8(in) % 33);
			break;
		}
		if (alloc + len > MAX_ALLOC)
			len = 1;
		alloc += len;
		copy[i] = malloc(len);
		FUZZ_CHECK(copy[i], "out of memory");
		if (d & 1)
			memset(copy[i], 0xee, len);
		else
			fz_bytes(in, copy[i], len < 640 ? len : 640);
		chain.bufs[i] = (struct vq_buf){ malloc(len), len, d & 1 };
		FUZZ_CHECK(chain.bufs[i].addr, "out of memory");
		memcpy(chain.bufs[i].addr, copy[i], len);
		*(d & 1 ? &chain.writable_len : &chain.readable_len) += len;
		chain.nr++;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz in = fz_make(data, size);
	uint8_t flags = fz_u8(&in);
	struct blk_req_limits lim = {
		.read_only = flags & H_READ_ONLY,
		.flush = flags & H_FLUSH,
		.discard = flags & H_DISCARD,
		.write_zeroes = flags & H_WRITE_ZEROES,
		.max_discard_seg = fz_u8(&in),
		.max_write_zeroes_seg = fz_u8(&in),
	};
	uint64_t cap = flags & H_RAW_CAPACITY ? fz_u64(&in) : fz_u16(&in);
	uint16_t skip = fz_u16(&in), want_len = fz_u16(&in) % 1024;
	uint8_t got[1024], ref[1024];
	uint64_t sector = 0;
	uint32_t type = 0;
	struct expect e;
	size_t n;
	int ret;

	build(&in, flags & H_LONG_CHAIN);
	expect(&lim, cap, &e, &type, &sector);
	ret = blk_req_parse(&chain, cap, &lim, &req);
	FUZZ_TRACE("%u buffers, type %u, cap %llu: %d", chain.nr, type,
		   (unsigned long long)cap, ret);
	if (e.einval) {
		FUZZ_CHECK(ret == -EINVAL, "no status byte, parse %d", ret);
	} else {
		const struct vq_buf *last = &chain.bufs[chain.nr - 1];

		FUZZ_CHECK(req.status == (uint8_t *)last->addr + last->len - 1,
			   "status is not the chain's last byte");
		FUZZ_CHECK((ret == VIRTIO_BLK_S_OK && !e.ioerr && !e.unsupp) ||
				   (ret == VIRTIO_BLK_S_IOERR && e.ioerr) ||
				   (ret == VIRTIO_BLK_S_UNSUPP && e.unsupp),
			   "type %u: parse %d, contract: ioerr %d unsupp %d",
			   type, ret, e.ioerr, e.unsupp);
		if (ret == VIRTIO_BLK_S_OK)
			check_ok(type, sector);
	}
	n = blk_req_gather(&chain, skip, got, want_len);
	FUZZ_CHECK(n == model_gather(skip, ref, want_len) &&
			   (!n || !memcmp(got, ref, n)),
		   "gather(%u, %u)", skip, want_len);
	for (unsigned int i = 0; i < chain.nr; i++) {
		FUZZ_CHECK(
			!memcmp(chain.bufs[i].addr, copy[i], chain.bufs[i].len),
			"the parser wrote into buffer %u", i);
		free(chain.bufs[i].addr);
		free(copy[i]);
	}
	return 0;
}
