// SPDX-License-Identifier: Apache-2.0
/* tests/devices/virtio/test_blk_req.c: virtio-blk request parsing. */
#include <criterion/criterion.h>
#include <endian.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "devices/virtio/blk_req.h"

#define CAP 1024ULL	/* disk capacity in sectors */

/* Chains point straight at these: no guest memory needed. */
static struct vq_chain c;
static struct blk_req r;
static struct blk_req_limits lim;
static uint8_t hdr[16];
static uint8_t buf[8192];
static uint8_t st[4];

static void setup(void)
{
	memset(&c, 0, sizeof(c));
	memset(&r, 0xa5, sizeof(r));
	memset(&lim, 0, sizeof(lim));
	lim.flush = lim.discard = lim.write_zeroes = true;
	lim.max_discard_seg = 4;
	lim.max_write_zeroes_seg = 4;
	memset(st, 0xee, sizeof(st));
}

TestSuite(blk_req, .init = setup);

static void add(void *p, uint32_t len, bool w)
{
	c.bufs[c.nr++] = (struct vq_buf){ .addr = p, .len = len, .writable = w };
	if (w)
		c.writable_len += len;
	else
		c.readable_len += len;
}

static void mkhdr(uint32_t type, uint64_t sector)
{
	struct virtio_blk_outhdr h = {
		.type = htole32(type),
		.ioprio = 0,
		.sector = htole64(sector),
	};

	memcpy(hdr, &h, sizeof(h));
}

static void mkseg(void *dst, uint64_t sector, uint32_t n, uint32_t flags)
{
	struct virtio_blk_dwz_seg s = {
		.sector = htole64(sector),
		.num_sectors = htole32(n),
		.flags = htole32(flags),
	};

	memcpy(dst, &s, sizeof(s));
}

static int parse(void)
{
	return blk_req_parse(&c, CAP, &lim, &r);
}

/* header + one data buffer + status */
static void simple(uint32_t type, uint64_t sector, uint32_t len, bool w)
{
	mkhdr(type, sector);
	add(hdr, 16, false);
	if (len)
		add(buf, len, w);
	add(st, 1, true);
}

Test(blk_req, in_valid)
{
	simple(VIRTIO_BLK_T_IN, 8, 4096, true);
	cr_assert_eq(parse(), VIRTIO_BLK_S_OK);
	cr_assert_eq(r.type, VIRTIO_BLK_T_IN);
	cr_assert_eq(r.sector, 8);
	cr_assert_eq(r.nr_data, 1);
	cr_assert_eq(r.data[0].iov_base, buf);
	cr_assert_eq(r.data[0].iov_len, 4096);
	cr_assert_eq(r.data_len, 4096);
	cr_assert_eq(r.status, st);
	cr_assert_eq(r.nr_seg, 0);
}

Test(blk_req, out_valid_multi_buffers)
{
	mkhdr(VIRTIO_BLK_T_OUT, CAP - 3);
	add(hdr, 16, false);
	add(buf, 512, false);
	add(buf + 512, 1024, false);
	add(st, 1, true);
	cr_assert_eq(parse(), VIRTIO_BLK_S_OK);
	cr_assert_eq(r.type, VIRTIO_BLK_T_OUT);
	cr_assert_eq(r.sector, CAP - 3);
	cr_assert_eq(r.nr_data, 2);
	cr_assert_eq(r.data[1].iov_base, buf + 512);
	cr_assert_eq(r.data_len, 1536);
}

Test(blk_req, out_data_in_header_buffer)
{
	/* Header and data in one readable buffer. */
	struct virtio_blk_outhdr h = { .type = htole32(VIRTIO_BLK_T_OUT) };

	memcpy(buf, &h, sizeof(h));
	add(buf, 16 + 512, false);
	add(st, 1, true);
	cr_assert_eq(parse(), VIRTIO_BLK_S_OK);
	cr_assert_eq(r.nr_data, 1);
	cr_assert_eq(r.data[0].iov_base, buf + 16);
	cr_assert_eq(r.data_len, 512);
}

Test(blk_req, flush_valid)
{
	simple(VIRTIO_BLK_T_FLUSH, 12345, 0, false);
	cr_assert_eq(parse(), VIRTIO_BLK_S_OK);
	cr_assert_eq(r.type, VIRTIO_BLK_T_FLUSH);
	cr_assert_eq(r.data_len, 0);
	cr_assert_eq(r.nr_data, 0);
	cr_assert_eq(r.status, st);
}

Test(blk_req, flush_with_data_ioerr)
{
	simple(VIRTIO_BLK_T_FLUSH, 0, 512, true);
	cr_assert_eq(parse(), VIRTIO_BLK_S_IOERR);
}

Test(blk_req, flush_not_negotiated_unsupp)
{
	lim.flush = false;
	simple(VIRTIO_BLK_T_FLUSH, 0, 0, false);
	cr_assert_eq(parse(), VIRTIO_BLK_S_UNSUPP);
}

Test(blk_req, get_id_valid_trimmed)
{
	mkhdr(VIRTIO_BLK_T_GET_ID, 0);
	add(hdr, 16, false);
	add(buf, 8, true);
	add(buf + 100, 64, true);
	add(st, 1, true);
	cr_assert_eq(parse(), VIRTIO_BLK_S_OK);
	cr_assert_eq(r.type, VIRTIO_BLK_T_GET_ID);
	cr_assert_eq(r.data_len, VIRTIO_BLK_ID_BYTES);
	cr_assert_eq(r.nr_data, 2);
	cr_assert_eq(r.data[0].iov_len, 8);
	cr_assert_eq(r.data[1].iov_base, buf + 100);
	cr_assert_eq(r.data[1].iov_len, 12);
}

Test(blk_req, get_id_short)
{
	simple(VIRTIO_BLK_T_GET_ID, 0, 7, true);
	cr_assert_eq(parse(), VIRTIO_BLK_S_OK);
	cr_assert_eq(r.data_len, 7);
	cr_assert_eq(r.nr_data, 1);
}

Test(blk_req, get_id_no_room_ioerr)
{
	simple(VIRTIO_BLK_T_GET_ID, 0, 0, true);
	cr_assert_eq(parse(), VIRTIO_BLK_S_IOERR);
}

Test(blk_req, get_id_readable_data_ioerr)
{
	simple(VIRTIO_BLK_T_GET_ID, 0, 20, false);
	cr_assert_eq(parse(), VIRTIO_BLK_S_IOERR);
}

Test(blk_req, header_split_across_buffers)
{
	mkhdr(VIRTIO_BLK_T_IN, 42);
	add(hdr, 3, false);
	add(hdr + 3, 1, false);
	add(hdr + 4, 12, false);
	add(buf, 512, true);
	add(st, 1, true);
	cr_assert_eq(parse(), VIRTIO_BLK_S_OK);
	cr_assert_eq(r.type, VIRTIO_BLK_T_IN);
	cr_assert_eq(r.sector, 42);
	cr_assert_eq(r.data_len, 512);
}

Test(blk_req, header_split_with_data_tail)
{
	/* Second buffer holds the header's tail and the first data bytes. */
	mkhdr(VIRTIO_BLK_T_OUT, 1);
	memcpy(buf, hdr + 10, 6);
	add(hdr, 10, false);
	add(buf, 6 + 512, false);
	add(st, 1, true);
	cr_assert_eq(parse(), VIRTIO_BLK_S_OK);
	cr_assert_eq(r.sector, 1);
	cr_assert_eq(r.data[0].iov_base, buf + 6);
	cr_assert_eq(r.data_len, 512);
}

Test(blk_req, short_header_ioerr)
{
	mkhdr(VIRTIO_BLK_T_IN, 0);
	add(hdr, 15, false);
	add(buf, 512, true);
	add(st, 1, true);
	cr_assert_eq(parse(), VIRTIO_BLK_S_IOERR);
	cr_assert_eq(r.status, st);
}

Test(blk_req, missing_header_ioerr)
{
	add(buf, 512, true);
	add(st, 1, true);
	cr_assert_eq(parse(), VIRTIO_BLK_S_IOERR);
	cr_assert_eq(r.status, st);
}

Test(blk_req, empty_chain_einval)
{
	cr_assert_eq(parse(), -EINVAL);
	cr_assert_null(r.status);
}

Test(blk_req, no_writable_status_einval)
{
	mkhdr(VIRTIO_BLK_T_OUT, 0);
	add(hdr, 16, false);
	add(buf, 512, false);
	cr_assert_eq(parse(), -EINVAL);
	cr_assert_null(r.status);
}

Test(blk_req, zero_length_status_einval)
{
	mkhdr(VIRTIO_BLK_T_FLUSH, 0);
	add(hdr, 16, false);
	add(st, 0, true);
	cr_assert_eq(parse(), -EINVAL);
}

Test(blk_req, readable_after_writable_einval)
{
	mkhdr(VIRTIO_BLK_T_IN, 0);
	add(hdr, 16, false);
	add(buf, 512, true);
	add(buf + 512, 16, false);
	add(st, 1, true);
	cr_assert_eq(parse(), -EINVAL);
}

Test(blk_req, status_shares_last_data_buffer)
{
	mkhdr(VIRTIO_BLK_T_IN, 0);
	add(hdr, 16, false);
	add(buf, 1024, true);
	add(buf + 2048, 512 + 1, true);
	cr_assert_eq(parse(), VIRTIO_BLK_S_OK);
	cr_assert_eq(r.status, buf + 2048 + 512);
	cr_assert_eq(r.nr_data, 2);
	cr_assert_eq(r.data[1].iov_base, buf + 2048);
	cr_assert_eq(r.data[1].iov_len, 512);
	cr_assert_eq(r.data_len, 1536);
}

Test(blk_req, status_last_byte_of_larger_buffer)
{
	/* A writable status buffer of 4 bytes: status is its last byte. */
	simple(VIRTIO_BLK_T_FLUSH, 0, 0, false);
	c.bufs[1].len = 4;
	cr_assert_eq(parse(), VIRTIO_BLK_S_IOERR);	/* 3 bytes of data */
	cr_assert_eq(r.status, st + 3);
}

Test(blk_req, in_with_readable_data_ioerr)
{
	simple(VIRTIO_BLK_T_IN, 0, 512, false);
	cr_assert_eq(parse(), VIRTIO_BLK_S_IOERR);
}

Test(blk_req, out_with_writable_data_ioerr)
{
	simple(VIRTIO_BLK_T_OUT, 0, 512, true);
	cr_assert_eq(parse(), VIRTIO_BLK_S_IOERR);
}

Test(blk_req, len_not_sector_multiple_ioerr)
{
	simple(VIRTIO_BLK_T_IN, 0, 511, true);
	cr_assert_eq(parse(), VIRTIO_BLK_S_IOERR);
	setup();
	simple(VIRTIO_BLK_T_OUT, 0, 513, false);
	cr_assert_eq(parse(), VIRTIO_BLK_S_IOERR);
}

Test(blk_req, last_sector_ok_beyond_capacity_ioerr)
{
	simple(VIRTIO_BLK_T_IN, CAP - 1, 512, true);
	cr_assert_eq(parse(), VIRTIO_BLK_S_OK);
	setup();
	simple(VIRTIO_BLK_T_IN, CAP - 1, 1024, true);
	cr_assert_eq(parse(), VIRTIO_BLK_S_IOERR);
	setup();
	simple(VIRTIO_BLK_T_OUT, CAP, 512, false);
	cr_assert_eq(parse(), VIRTIO_BLK_S_IOERR);
	setup();
	simple(VIRTIO_BLK_T_IN, CAP + 1, 0, true);
	cr_assert_eq(parse(), VIRTIO_BLK_S_IOERR);
}

Test(blk_req, sector_overflow_ioerr)
{
	simple(VIRTIO_BLK_T_IN, UINT64_MAX, 512, true);
	cr_assert_eq(blk_req_parse(&c, UINT64_MAX, &lim, &r),
		     VIRTIO_BLK_S_IOERR);
	setup();
	simple(VIRTIO_BLK_T_OUT, UINT64_MAX - 1, 1024, false);
	cr_assert_eq(blk_req_parse(&c, UINT64_MAX, &lim, &r),
		     VIRTIO_BLK_S_IOERR);
}

Test(blk_req, read_only_refusals)
{
	lim.read_only = true;
	simple(VIRTIO_BLK_T_OUT, 0, 512, false);
	cr_assert_eq(parse(), VIRTIO_BLK_S_IOERR);
	setup();
	lim.read_only = true;
	simple(VIRTIO_BLK_T_DISCARD, 0, 16, false);
	mkseg(buf, 0, 1, 0);
	cr_assert_eq(parse(), VIRTIO_BLK_S_IOERR);
	setup();
	lim.read_only = true;
	simple(VIRTIO_BLK_T_WRITE_ZEROES, 0, 16, false);
	mkseg(buf, 0, 1, 0);
	cr_assert_eq(parse(), VIRTIO_BLK_S_IOERR);
	setup();
	lim.read_only = true;
	simple(VIRTIO_BLK_T_IN, 0, 512, true);
	cr_assert_eq(parse(), VIRTIO_BLK_S_OK);
	setup();
	lim.read_only = true;
	simple(VIRTIO_BLK_T_FLUSH, 0, 0, false);
	cr_assert_eq(parse(), VIRTIO_BLK_S_OK);
}

Test(blk_req, unknown_type_unsupp)
{
	simple(2, 0, 0, false);
	cr_assert_eq(parse(), VIRTIO_BLK_S_UNSUPP);
	cr_assert_eq(r.status, st);
	setup();
	simple(0xffffffffu, 0, 512, true);
	cr_assert_eq(parse(), VIRTIO_BLK_S_UNSUPP);
}

Test(blk_req, discard_valid)
{
	simple(VIRTIO_BLK_T_DISCARD, 999, 32, false);
	mkseg(buf, 0, 8, 0);
	mkseg(buf + 16, CAP - 4, 4, 0);
	cr_assert_eq(parse(), VIRTIO_BLK_S_OK);
	cr_assert_eq(r.type, VIRTIO_BLK_T_DISCARD);
	cr_assert_eq(r.nr_seg, 2);
	cr_assert_eq(r.seg[0].sector, 0);
	cr_assert_eq(r.seg[0].num_sectors, 8);
	cr_assert_eq(r.seg[1].sector, CAP - 4);
	cr_assert_eq(r.seg[1].num_sectors, 4);
	/* A host copy: the guest rewriting its buffer changes nothing. */
	mkseg(buf, CAP * 2, 1, 1);
	cr_assert_eq(r.seg[0].sector, 0);
	cr_assert_eq(r.seg[0].flags, 0);
}

Test(blk_req, write_zeroes_valid_unmap_split_segments)
{
	/* Segments split across readable buffers, after a split header. */
	uint8_t seg[32];

	mkhdr(VIRTIO_BLK_T_WRITE_ZEROES, 0);
	mkseg(seg, 10, 20, VIRTIO_BLK_WZ_F_UNMAP);
	mkseg(seg + 16, 100, 1, 0);
	memcpy(buf, hdr + 8, 8);
	memcpy(buf + 8, seg, 5);
	add(hdr, 8, false);
	add(buf, 13, false);
	add(seg + 5, 27, false);
	add(st, 1, true);
	cr_assert_eq(parse(), VIRTIO_BLK_S_OK);
	cr_assert_eq(r.nr_seg, 2);
	cr_assert_eq(r.seg[0].sector, 10);
	cr_assert_eq(r.seg[0].num_sectors, 20);
	cr_assert_eq(r.seg[0].flags, VIRTIO_BLK_WZ_F_UNMAP);
	cr_assert_eq(r.seg[1].sector, 100);
}

Test(blk_req, discard_not_negotiated_unsupp)
{
	lim.discard = false;
	simple(VIRTIO_BLK_T_DISCARD, 0, 16, false);
	mkseg(buf, 0, 1, 0);
	cr_assert_eq(parse(), VIRTIO_BLK_S_UNSUPP);
	setup();
	lim.write_zeroes = false;
	simple(VIRTIO_BLK_T_WRITE_ZEROES, 0, 16, false);
	mkseg(buf, 0, 1, 0);
	cr_assert_eq(parse(), VIRTIO_BLK_S_UNSUPP);
}

Test(blk_req, discard_bad_flags_unsupp)
{
	simple(VIRTIO_BLK_T_DISCARD, 0, 16, false);
	mkseg(buf, 0, 1, VIRTIO_BLK_WZ_F_UNMAP);
	cr_assert_eq(parse(), VIRTIO_BLK_S_UNSUPP);
	setup();
	simple(VIRTIO_BLK_T_WRITE_ZEROES, 0, 16, false);
	mkseg(buf, 0, 1, 2);
	cr_assert_eq(parse(), VIRTIO_BLK_S_UNSUPP);
}

Test(blk_req, discard_too_many_segments_unsupp)
{
	simple(VIRTIO_BLK_T_DISCARD, 0, 5 * 16, false);
	for (int i = 0; i < 5; i++)
		mkseg(buf + 16 * i, i, 1, 0);
	cr_assert_eq(parse(), VIRTIO_BLK_S_UNSUPP);
	cr_assert_eq(r.nr_seg, 0);
	/* A device limit above the struct's is capped. */
	setup();
	lim.max_discard_seg = UINT32_MAX;
	simple(VIRTIO_BLK_T_DISCARD, 0, (BLK_REQ_MAX_DWZ_SEGS + 1) * 16,
	       false);
	memset(buf, 0, sizeof(buf));
	cr_assert_eq(parse(), VIRTIO_BLK_S_UNSUPP);
	setup();
	lim.max_discard_seg = UINT32_MAX;
	simple(VIRTIO_BLK_T_DISCARD, 0, BLK_REQ_MAX_DWZ_SEGS * 16, false);
	cr_assert_eq(parse(), VIRTIO_BLK_S_OK);
	cr_assert_eq(r.nr_seg, BLK_REQ_MAX_DWZ_SEGS);
}

Test(blk_req, discard_segment_out_of_bounds_ioerr)
{
	simple(VIRTIO_BLK_T_DISCARD, 0, 32, false);
	mkseg(buf, 0, 1, 0);
	mkseg(buf + 16, CAP - 1, 2, 0);
	cr_assert_eq(parse(), VIRTIO_BLK_S_IOERR);
	setup();
	simple(VIRTIO_BLK_T_WRITE_ZEROES, 0, 16, false);
	mkseg(buf, UINT64_MAX, UINT32_MAX, 0);
	cr_assert_eq(blk_req_parse(&c, UINT64_MAX, &lim, &r),
		     VIRTIO_BLK_S_IOERR);
}

Test(blk_req, discard_not_multiple_of_16_ioerr)
{
	simple(VIRTIO_BLK_T_DISCARD, 0, 17, false);
	mkseg(buf, 0, 1, 0);
	cr_assert_eq(parse(), VIRTIO_BLK_S_IOERR);
	setup();
	simple(VIRTIO_BLK_T_DISCARD, 0, 0, false);
	cr_assert_eq(parse(), VIRTIO_BLK_S_IOERR);
	setup();
	simple(VIRTIO_BLK_T_DISCARD, 0, 16, true);	/* writable segment */
	cr_assert_eq(parse(), VIRTIO_BLK_S_IOERR);
}

Test(blk_req, max_chain_of_data_buffers)
{
	/* header + 254 single-sector buffers + status = VQ_MAX_CHAIN. */
	static uint8_t big[254 * 512];

	mkhdr(VIRTIO_BLK_T_IN, 0);
	add(hdr, 16, false);
	for (int i = 0; i < 254; i++)
		add(big + 512 * i, 512, true);
	add(st, 1, true);
	cr_assert_eq(c.nr, VQ_MAX_CHAIN);
	cr_assert_eq(parse(), VIRTIO_BLK_S_OK);
	cr_assert_eq(r.nr_data, 254);
	cr_assert_eq(r.data_len, 254 * 512);
}

Test(blk_req, oversized_nr_einval)
{
	simple(VIRTIO_BLK_T_FLUSH, 0, 0, false);
	c.nr = VQ_MAX_CHAIN + 1;
	cr_assert_eq(parse(), -EINVAL);
}

Test(blk_req, gather_skip_and_bounds)
{
	uint8_t out[8];
	uint8_t a[3] = { 1, 2, 3 }, b[4] = { 4, 5, 6, 7 }, w[2] = { 9, 9 };

	add(a, 3, false);
	add(b, 4, false);
	add(w, 2, true);
	memset(out, 0, sizeof(out));
	cr_assert_eq(blk_req_gather(&c, 2, out, sizeof(out)), 5);
	cr_assert_eq(out[0], 3);
	cr_assert_eq(out[4], 7);
	cr_assert_eq(out[5], 0);	/* stopped before the writable buffer */
	cr_assert_eq(blk_req_gather(&c, 1, out, 2), 2);
	cr_assert_eq(out[1], 3);
	cr_assert_eq(blk_req_gather(&c, 7, out, 4), 0);
	cr_assert_eq(blk_req_gather(&c, 100, out, 4), 0);
}
