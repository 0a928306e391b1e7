/* SPDX-License-Identifier: Apache-2.0 */
/* devices/virtio/blk_req.c: virtio-blk request parsing, pure. */
#include "blk_req.h"

#include <endian.h>
#include <errno.h>
#include <string.h>

size_t blk_req_gather(const struct vq_chain *c, size_t skip, void *dst,
		      size_t len)
{
	uint8_t *out = dst;
	size_t done = 0;
	unsigned int n = c->nr < VQ_MAX_CHAIN ? c->nr : VQ_MAX_CHAIN;

	for (unsigned int i = 0; i < n && done < len; i++) {
		const struct vq_buf *b = &c->bufs[i];
		size_t take;

		if (b->writable)
			break;
		if (skip >= b->len) {
			skip -= b->len;
			continue;
		}
		take = b->len - skip;
		if (take > len - done)
			take = len - done;
		memcpy(out + done, (const uint8_t *)b->addr + skip, take);
		done += take;
		skip = 0;
	}
	return done;
}

/* Appends [p, p + len) to r->data; 0, or -1 when data[] is full. */
static int add_data(struct blk_req *r, void *p, uint64_t len)
{
	if (len == 0)
		return 0;
	if (r->nr_data >= BLK_REQ_MAX_SEGS)
		return -1;
	r->data[r->nr_data].iov_base = p;
	r->data[r->nr_data].iov_len = len;
	r->nr_data++;
	r->data_len += len;
	return 0;
}

/* r->data = the readable bytes after the header. */
static int take_readable(const struct vq_chain *c, unsigned int nr_rd,
			 struct blk_req *r)
{
	uint64_t skip = sizeof(struct virtio_blk_outhdr);

	for (unsigned int i = 0; i < nr_rd; i++) {
		const struct vq_buf *b = &c->bufs[i];

		if (skip >= b->len) {
			skip -= b->len;
			continue;
		}
		if (add_data(r, (uint8_t *)b->addr + skip, b->len - skip))
			return -1;
		skip = 0;
	}
	return 0;
}

/* r->data = the writable bytes before the status byte (the last one). */
static int take_writable(const struct vq_chain *c, unsigned int nr_rd,
			 struct blk_req *r)
{
	for (unsigned int i = nr_rd; i < c->nr; i++) {
		const struct vq_buf *b = &c->bufs[i];
		uint64_t len = i + 1 == c->nr ? b->len - 1u : b->len;

		if (add_data(r, b->addr, len))
			return -1;
	}
	return 0;
}

/* Whether [sector, sector + n) lies within the disk, overflow-safe. */
static bool in_bounds(uint64_t sector, uint64_t n, uint64_t capacity)
{
	return sector <= capacity && n <= capacity - sector;
}

/* Copies out and checks the discard / write-zeroes segments in r->data. */
static int parse_dwz(const struct vq_chain *c, uint64_t capacity,
		     uint32_t max_seg, struct blk_req *r)
{
	bool wz = r->type == VIRTIO_BLK_T_WRITE_ZEROES;
	uint32_t allowed = wz ? VIRTIO_BLK_WZ_F_UNMAP : 0;
	uint64_t n;

	if (r->data_len == 0 || r->data_len % sizeof(r->seg[0]))
		return VIRTIO_BLK_S_IOERR;
	if (max_seg > BLK_REQ_MAX_DWZ_SEGS)
		max_seg = BLK_REQ_MAX_DWZ_SEGS;
	n = r->data_len / sizeof(r->seg[0]);
	if (n > max_seg)
		return VIRTIO_BLK_S_UNSUPP;
	/* GUARDS row 10: the copy size is bounded by seg[], not the guest. */
	if (blk_req_gather(c, sizeof(struct virtio_blk_outhdr), r->seg,
			   n * sizeof(r->seg[0])) != n * sizeof(r->seg[0]))
		return VIRTIO_BLK_S_IOERR;
	r->nr_seg = (unsigned int)n;
	for (unsigned int i = 0; i < r->nr_seg; i++) {
		struct virtio_blk_dwz_seg *s = &r->seg[i];

		s->sector = le64toh(s->sector);
		s->num_sectors = le32toh(s->num_sectors);
		s->flags = le32toh(s->flags);
		/*
		 * 5.2.6.2: "The device MUST set the status byte to
		 * VIRTIO_BLK_S_UNSUPP for discard and write zeroes commands
		 * if any unknown flag is set. Furthermore, the device MUST
		 * set the status byte to VIRTIO_BLK_S_UNSUPP for discard
		 * commands if the unmap flag is set."
		 */
		if (s->flags & ~allowed)
			return VIRTIO_BLK_S_UNSUPP;
		if (!in_bounds(s->sector, s->num_sectors, capacity))
			return VIRTIO_BLK_S_IOERR;
	}
	return VIRTIO_BLK_S_OK;
}

int blk_req_parse(const struct vq_chain *c, uint64_t capacity_sectors,
		  const struct blk_req_limits *lim, struct blk_req *r)
{
	struct virtio_blk_outhdr h;
	const struct vq_buf *last;
	unsigned int nr_rd = 0;
	uint64_t rd_len = 0;
	uint64_t wr_data_len;
	uint64_t rd_data_len;
	int ret;

	r->type = 0;
	r->sector = 0;
	r->nr_data = 0;
	r->data_len = 0;
	r->status = NULL;
	r->nr_seg = 0;

	/* Lengths are summed here, not taken from the chain's counters. */
	if (c->nr == 0 || c->nr > VQ_MAX_CHAIN)
		return -EINVAL;
	for (unsigned int i = 0; i < c->nr; i++) {
		if (!c->bufs[i].writable) {
			if (i != nr_rd)
				return -EINVAL; /* readable after writable */
			nr_rd++;
			rd_len += c->bufs[i].len;
		}
	}
	last = &c->bufs[c->nr - 1];
	if (!last->writable || last->len == 0)
		return -EINVAL;
	r->status = (uint8_t *)last->addr + last->len - 1;

	if (blk_req_gather(c, 0, &h, sizeof(h)) != sizeof(h))
		return VIRTIO_BLK_S_IOERR;
	r->type = le32toh(h.type);

	rd_data_len = rd_len - sizeof(h);
	wr_data_len = 0;
	for (unsigned int i = nr_rd; i < c->nr; i++)
		wr_data_len += c->bufs[i].len;
	wr_data_len -= 1; /* the status byte */

	switch (r->type) {
	case VIRTIO_BLK_T_IN:
	case VIRTIO_BLK_T_OUT:
		break;
	case VIRTIO_BLK_T_FLUSH:
		if (!lim->flush)
			return VIRTIO_BLK_S_UNSUPP;
		break;
	case VIRTIO_BLK_T_GET_ID:
		break;
	case VIRTIO_BLK_T_DISCARD:
		if (!lim->discard)
			return VIRTIO_BLK_S_UNSUPP;
		break;
	case VIRTIO_BLK_T_WRITE_ZEROES:
		if (!lim->write_zeroes)
			return VIRTIO_BLK_S_UNSUPP;
		break;
	default:
		return VIRTIO_BLK_S_UNSUPP;
	}

	/*
	 * 5.2.6.2: "A device MUST set the status byte to VIRTIO_BLK_S_IOERR
	 * for a write request if the VIRTIO_BLK_F_RO feature if offered, and
	 * MUST NOT write any data." Discard and write zeroes write too.
	 */
	if (lim->read_only &&
	    (r->type == VIRTIO_BLK_T_OUT || r->type == VIRTIO_BLK_T_DISCARD ||
	     r->type == VIRTIO_BLK_T_WRITE_ZEROES))
		return VIRTIO_BLK_S_IOERR;

	switch (r->type) {
	case VIRTIO_BLK_T_IN:
	case VIRTIO_BLK_T_GET_ID:
		if (rd_data_len != 0)
			return VIRTIO_BLK_S_IOERR;
		if (take_writable(c, nr_rd, r))
			return VIRTIO_BLK_S_IOERR;
		break;
	case VIRTIO_BLK_T_FLUSH:
		if (rd_data_len != 0 || wr_data_len != 0)
			return VIRTIO_BLK_S_IOERR;
		return VIRTIO_BLK_S_OK;
	default: /* OUT, DISCARD, WRITE_ZEROES */
		if (wr_data_len != 0)
			return VIRTIO_BLK_S_IOERR;
		if (take_readable(c, nr_rd, r))
			return VIRTIO_BLK_S_IOERR;
		break;
	}

	switch (r->type) {
	case VIRTIO_BLK_T_GET_ID:
		if (r->data_len == 0)
			return VIRTIO_BLK_S_IOERR;
		ret = VIRTIO_BLK_S_OK;
		/* Trim to the 20 bytes the device writes. */
		if (r->data_len > VIRTIO_BLK_ID_BYTES) {
			uint64_t left = VIRTIO_BLK_ID_BYTES;
			unsigned int i;

			for (i = 0; left > r->data[i].iov_len; i++)
				left -= r->data[i].iov_len;
			r->data[i].iov_len = left;
			r->nr_data = i + 1;
			r->data_len = VIRTIO_BLK_ID_BYTES;
		}
		break;
	case VIRTIO_BLK_T_IN:
	case VIRTIO_BLK_T_OUT:
		r->sector = le64toh(h.sector);
		if (r->data_len % BLK_SECTOR_SIZE)
			return VIRTIO_BLK_S_IOERR;
		if (!in_bounds(r->sector, r->data_len >> BLK_SECTOR_SHIFT,
			       capacity_sectors))
			return VIRTIO_BLK_S_IOERR;
		ret = VIRTIO_BLK_S_OK;
		break;
	case VIRTIO_BLK_T_DISCARD:
		ret = parse_dwz(c, capacity_sectors, lim->max_discard_seg, r);
		break;
	default: /* WRITE_ZEROES */
		ret = parse_dwz(c, capacity_sectors, lim->max_write_zeroes_seg,
				r);
		break;
	}
	return ret;
}
