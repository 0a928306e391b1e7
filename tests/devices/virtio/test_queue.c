// SPDX-License-Identifier: Apache-2.0
/* tests/devices/virtio/test_queue.c: split virtqueue, device side. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdint.h>

#include "devices/virtio/queue.h"
#include "support/mock_vq.h"

#define MiB (1ULL << 20)
#define GiB (1ULL << 30)
#define RAM (4 * MiB)
#define RING 0x1000ULL		/* rings of the queue under test */
#define TABLE 0x20000ULL	/* an indirect table */
#define BUF 0x100000ULL		/* data buffers */
#define QSZ 16

static struct gmem mem;
static struct mock_vq m;
static struct vq q;
static struct vq_chain c;

static void setup(void)
{
	mock_gmem_create(&mem, RAM);
	mock_vq_init(&m, &mem, QSZ, gpa(RING));
}

static void teardown(void)
{
	gmem_destroy(&mem);
}

TestSuite(vq, .init = setup, .fini = teardown);

static void init_q(bool event_idx, bool indirect)
{
	cr_assert_eq(vq_init(&q, &mem, m.size, m.desc, m.avail, m.used,
			     event_idx, indirect), 0);
}

/* Pops once from a fresh queue with both features: the chain must break
 * the queue, and it stays broken. */
static void expect_broken(void)
{
	init_q(true, true);
	cr_assert_eq(vq_pop(&q, &mem, &c), -EIO);
	cr_assert(vq_is_broken(&q));
	cr_assert_eq(vq_pop(&q, &mem, &c), -EIO);
	cr_assert_eq(q.last_avail_idx, 0);
	cr_assert_eq(q.in_flight, 0);
}

static void *host(uint64_t addr)
{
	return gmem_ptr(&mem, gpa(addr), 1);
}

/* ---- geometry ---- */

Test(vq, init_accepts_good_geometry)
{
	init_q(false, false);
	cr_assert_eq(q.size, QSZ);
	cr_assert_eq(q.desc, host(RING));
	cr_assert_eq(vq_init(&q, &mem, VQ_MAX_SIZE, gpa(0x10000),
			     gpa(0x11000), gpa(0x12000), true, true), 0);
	cr_assert_eq(vq_init(&q, &mem, 1, gpa(0x10), gpa(0x22), gpa(0x2c),
			     false, false), 0);
}

Test(vq, init_rejects_bad_size)
{
	static const uint16_t bad[] = { 0, 3, 12, 255, 512, 32768, 65535 };

	for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_assert_eq(vq_init(&q, &mem, bad[i], m.desc, m.avail,
				     m.used, false, false), -EINVAL, "size %u",
			     bad[i]);
		cr_assert_eq(q.size, 0);
	}
}

Test(vq, init_rejects_misalignment)
{
	cr_assert_eq(vq_init(&q, &mem, QSZ, gpa(RING + 8), m.avail, m.used,
			     false, false), -EINVAL);
	cr_assert_eq(vq_init(&q, &mem, QSZ, m.desc, gpa(m.avail.v + 1),
			     m.used, false, false), -EINVAL);
	cr_assert_eq(vq_init(&q, &mem, QSZ, m.desc, m.avail,
			     gpa(m.used.v + 2), false, false), -EINVAL);
	cr_assert_eq(q.size, 0);
}

Test(vq, init_rejects_rings_outside_ram)
{
	/* Past the end, and straddling it by the used ring's trailer. */
	cr_assert_eq(vq_init(&q, &mem, QSZ, gpa(RAM), m.avail, m.used, false,
			     false), -EFAULT);
	cr_assert_eq(vq_init(&q, &mem, QSZ, gpa(RAM - 16 * QSZ + 16), m.avail,
			     m.used, false, false), -EFAULT);
	cr_assert_eq(vq_init(&q, &mem, QSZ, m.desc, gpa(RAM - 4 - 2 * QSZ),
			     m.used, false, false), -EFAULT);
	cr_assert_eq(vq_init(&q, &mem, QSZ, m.desc, m.avail,
			     gpa(RAM - 4 - 8 * QSZ), false, false), -EFAULT);
	cr_assert_eq(vq_init(&q, &mem, QSZ, gpa(UINT64_MAX & ~15ULL), m.avail,
			     m.used, false, false), -EFAULT);
	cr_assert_eq(q.size, 0);
}

Test(vq, init_rejects_ring_across_regions)
{
	struct gmem split;

	mock_gmem_create_split(&split, MiB, MiB, MiB);
	/* Contiguous in GPA, two regions: still refused. */
	cr_assert_eq(vq_init(&q, &split, QSZ, gpa(MiB - 128), gpa(0x2000),
			     gpa(0x3000), false, false), -EFAULT);
	cr_assert_eq(vq_init(&q, &split, QSZ, gpa(MiB - 256), gpa(0x2000),
			     gpa(0x3000), false, false), 0);
	gmem_destroy(&split);
}

/* ---- popping ---- */

Test(vq, pop_empty)
{
	init_q(false, false);
	cr_assert_eq(vq_pop(&q, &mem, &c), 0);
	cr_assert_not(vq_is_broken(&q));
}

Test(vq, pop_simple_chain)
{
	struct mock_buf b[] = { { BUF, 512, 0 } };

	mock_vq_add_chain(&m, 3, b, 1);
	init_q(false, false);
	cr_assert_eq(vq_pop(&q, &mem, &c), 1);
	cr_assert_eq(c.head, 3);
	cr_assert_eq(c.nr, 1);
	cr_assert_eq(c.bufs[0].addr, host(BUF));
	cr_assert_eq(c.bufs[0].len, 512);
	cr_assert_not(c.bufs[0].writable);
	cr_assert_eq(c.readable_len, 512);
	cr_assert_eq(c.writable_len, 0);
	cr_assert_eq(q.in_flight, 1);
	cr_assert_eq(vq_pop(&q, &mem, &c), 0);
}

Test(vq, pop_readable_then_writable)
{
	struct mock_buf b[] = {
		{ BUF, 16, 0 },
		{ BUF + 0x1000, 4096, 0 },
		{ BUF + 0x2000, 1, VQ_DESC_F_WRITE },
		{ BUF + 0x3000, 100, VQ_DESC_F_WRITE },
	};

	mock_vq_add_chain(&m, 0, b, 4);
	mock_vq_add_chain(&m, 8, b, 1);
	init_q(false, false);
	cr_assert_eq(vq_pop(&q, &mem, &c), 1);
	cr_assert_eq(c.head, 0);
	cr_assert_eq(c.nr, 4);
	for (unsigned int i = 0; i < 4; i++) {
		cr_assert_eq(c.bufs[i].addr, host(b[i].addr));
		cr_assert_eq(c.bufs[i].len, b[i].len);
		cr_assert_eq(c.bufs[i].writable, i >= 2);
	}
	cr_assert_eq(c.readable_len, 4112);
	cr_assert_eq(c.writable_len, 101);
	cr_assert_eq(vq_pop(&q, &mem, &c), 1);
	cr_assert_eq(c.head, 8);
	cr_assert_eq(q.in_flight, 2);
}

Test(vq, pop_chain_as_long_as_the_queue)
{
	struct mock_buf b[QSZ];

	for (unsigned int i = 0; i < QSZ; i++)
		b[i] = (struct mock_buf){ BUF + i, 1, 0 };
	mock_vq_add_chain(&m, 0, b, QSZ);
	init_q(false, false);
	cr_assert_eq(vq_pop(&q, &mem, &c), 1);
	cr_assert_eq(c.nr, QSZ);
}

Test(vq, pop_skips_zero_length)
{
	/* A zero-length descriptor is skipped even with an address that is
	 * not RAM; its flags still count (readable before writable). */
	struct mock_buf b[] = {
		{ BUF, 8, 0 },
		{ UINT64_MAX, 0, 0 },
		{ BUF + 8, 0, VQ_DESC_F_WRITE },
		{ BUF + 16, 8, VQ_DESC_F_WRITE },
	};

	mock_vq_add_chain(&m, 0, b, 4);
	init_q(false, false);
	cr_assert_eq(vq_pop(&q, &mem, &c), 1);
	cr_assert_eq(c.nr, 2);
	cr_assert_eq(c.bufs[1].addr, host(BUF + 16));
	cr_assert(c.bufs[1].writable);
}

Test(vq, pop_indirect)
{
	struct mock_buf t[] = {
		{ BUF, 64, 0 },
		{ BUF + 0x100, 32, VQ_DESC_F_WRITE },
		{ BUF + 0x200, 1, VQ_DESC_F_WRITE },
	};
	/* One direct readable descriptor, then the table (its WRITE bit is
	 * ignored). */
	struct mock_buf b[] = {
		{ BUF + 0x1000, 10, 0 },
		{ TABLE, 3 * 16, VQ_DESC_F_INDIRECT | VQ_DESC_F_WRITE },
	};

	mock_table_chain(&mem, gpa(TABLE), 0, t, 3);
	mock_vq_add_chain(&m, 5, b, 2);
	init_q(false, true);
	cr_assert_eq(vq_pop(&q, &mem, &c), 1);
	cr_assert_eq(c.head, 5);
	cr_assert_eq(c.nr, 4);
	cr_assert_eq(c.bufs[0].addr, host(BUF + 0x1000));
	cr_assert_eq(c.bufs[1].addr, host(BUF));
	cr_assert_eq(c.bufs[3].addr, host(BUF + 0x200));
	cr_assert_eq(c.readable_len, 74);
	cr_assert_eq(c.writable_len, 33);
}

Test(vq, indirect_table_of_queue_size)
{
	struct mock_buf t[QSZ];
	struct mock_buf b[] = { { TABLE, QSZ * 16, VQ_DESC_F_INDIRECT } };

	for (unsigned int i = 0; i < QSZ; i++)
		t[i] = (struct mock_buf){ BUF + i, 1, 0 };
	mock_table_chain(&mem, gpa(TABLE), 0, t, QSZ);
	mock_vq_add_chain(&m, 0, b, 1);
	init_q(false, true);
	cr_assert_eq(vq_pop(&q, &mem, &c), 1);
	cr_assert_eq(c.nr, QSZ);
}

/* ---- hostile rings: each breaks the queue ---- */

Test(vq, loop_in_next_breaks)
{
	mock_vq_set_desc(&m, 0, BUF, 8, VQ_DESC_F_NEXT, 1);
	mock_vq_set_desc(&m, 1, BUF, 8, VQ_DESC_F_NEXT, 0);
	mock_vq_publish(&m, 0);
	expect_broken();
}

Test(vq, zero_length_loop_breaks)
{
	/* Skipped descriptors add no buffer: only the hop budget stops it. */
	mock_vq_set_desc(&m, 0, BUF, 0, VQ_DESC_F_NEXT, 1);
	mock_vq_set_desc(&m, 1, BUF, 0, VQ_DESC_F_NEXT, 0);
	mock_vq_publish(&m, 0);
	expect_broken();
}

Test(vq, self_loop_breaks)
{
	mock_vq_set_desc(&m, 7, BUF, 8, VQ_DESC_F_NEXT, 7);
	mock_vq_publish(&m, 7);
	expect_broken();
}

Test(vq, avail_idx_jump_breaks)
{
	mock_vq_set_avail_idx(&m, QSZ + 1);
	expect_broken();
}

Test(vq, avail_idx_backwards_breaks)
{
	mock_vq_set_avail_idx(&m, 0xffff);
	expect_broken();
}

/* A ring full of one-buffer chains, all popped: QSZ heads in flight. */
static void pop_full_ring(void)
{
	struct mock_buf b[] = { { BUF, 8, 0 } };

	for (unsigned int i = 0; i < QSZ; i++)
		mock_vq_add_chain(&m, i, b, 1);
	init_q(false, false);
	for (unsigned int i = 0; i < QSZ; i++)
		cr_assert_eq(vq_pop(&q, &mem, &c), 1);
}

Test(vq, avail_idx_full_ring_is_fine)
{
	pop_full_ring();
	cr_assert_eq(vq_pop(&q, &mem, &c), 0);
}

Test(vq, head_out_of_range_breaks)
{
	mock_vq_publish(&m, QSZ);
	expect_broken();
}

Test(vq, next_out_of_range_breaks)
{
	mock_vq_set_desc(&m, 0, BUF, 8, VQ_DESC_F_NEXT, QSZ);
	mock_vq_publish(&m, 0);
	expect_broken();
}

Test(vq, unknown_flag_breaks)
{
	mock_vq_set_desc(&m, 0, BUF, 8, 8, 0);
	mock_vq_publish(&m, 0);
	expect_broken();
}

Test(vq, readable_after_writable_breaks)
{
	struct mock_buf b[] = {
		{ BUF, 8, VQ_DESC_F_WRITE },
		{ BUF + 8, 8, 0 },
	};

	mock_vq_add_chain(&m, 0, b, 2);
	expect_broken();
}

Test(vq, readable_in_table_after_writable_direct_breaks)
{
	struct mock_buf t[] = { { BUF, 8, 0 } };
	struct mock_buf b[] = {
		{ BUF, 8, VQ_DESC_F_WRITE },
		{ TABLE, 16, VQ_DESC_F_INDIRECT },
	};

	mock_table_chain(&mem, gpa(TABLE), 0, t, 1);
	mock_vq_add_chain(&m, 0, b, 2);
	expect_broken();
}

Test(vq, indirect_without_feature_breaks)
{
	struct mock_buf t[] = { { BUF, 8, 0 } };
	struct mock_buf b[] = { { TABLE, 16, VQ_DESC_F_INDIRECT } };

	mock_table_chain(&mem, gpa(TABLE), 0, t, 1);
	mock_vq_add_chain(&m, 0, b, 1);
	init_q(true, false);
	cr_assert_eq(vq_pop(&q, &mem, &c), -EIO);
	cr_assert(vq_is_broken(&q));
}

Test(vq, nested_indirect_breaks)
{
	struct mock_buf t[] = { { TABLE + 0x100, 16, VQ_DESC_F_INDIRECT } };
	struct mock_buf b[] = { { TABLE, 16, VQ_DESC_F_INDIRECT } };

	mock_table_chain(&mem, gpa(TABLE), 0, t, 1);
	mock_desc_write(&mem, gpa(TABLE + 0x100), 0, BUF, 8, 0, 0);
	mock_vq_add_chain(&m, 0, b, 1);
	expect_broken();
}

Test(vq, indirect_with_next_breaks)
{
	mock_desc_write(&mem, gpa(TABLE), 0, BUF, 8, 0, 0);
	mock_vq_set_desc(&m, 0, TABLE, 16,
			 VQ_DESC_F_INDIRECT | VQ_DESC_F_NEXT, 1);
	mock_vq_set_desc(&m, 1, BUF, 8, 0, 0);
	mock_vq_publish(&m, 0);
	expect_broken();
}

static void indirect_len_breaks(uint32_t len)
{
	mock_vq_set_desc(&m, 0, TABLE, len, VQ_DESC_F_INDIRECT, 0);
	mock_vq_publish(&m, 0);
	expect_broken();
}

Test(vq, indirect_len_zero_breaks)
{
	indirect_len_breaks(0);
}

Test(vq, indirect_len_not_multiple_breaks)
{
	indirect_len_breaks(24);
}

Test(vq, indirect_longer_than_queue_breaks)
{
	indirect_len_breaks((QSZ + 1) * 16);
}

Test(vq, indirect_table_outside_ram_breaks)
{
	mock_vq_set_desc(&m, 0, RAM - 16, 32, VQ_DESC_F_INDIRECT, 0);
	mock_vq_publish(&m, 0);
	expect_broken();
}

Test(vq, indirect_next_beyond_table_breaks)
{
	/* next = 2 is inside the queue but not inside a 2-entry table. */
	mock_desc_write(&mem, gpa(TABLE), 0, BUF, 8, VQ_DESC_F_NEXT, 2);
	mock_desc_write(&mem, gpa(TABLE), 1, BUF, 8, 0, 0);
	mock_vq_set_desc(&m, 0, TABLE, 32, VQ_DESC_F_INDIRECT, 0);
	mock_vq_publish(&m, 0);
	expect_broken();
}

Test(vq, indirect_loop_breaks)
{
	mock_desc_write(&mem, gpa(TABLE), 0, BUF, 8, VQ_DESC_F_NEXT, 1);
	mock_desc_write(&mem, gpa(TABLE), 1, BUF, 8, VQ_DESC_F_NEXT, 0);
	mock_vq_set_desc(&m, 0, TABLE, 32, VQ_DESC_F_INDIRECT, 0);
	mock_vq_publish(&m, 0);
	expect_broken();
}

Test(vq, buffer_outside_ram_breaks)
{
	struct mock_buf b[] = { { RAM, 1, 0 } };

	mock_vq_add_chain(&m, 0, b, 1);
	expect_broken();
}

Test(vq, buffer_past_end_of_ram_breaks)
{
	struct mock_buf b[] = { { RAM - 8, 9, VQ_DESC_F_WRITE } };

	mock_vq_add_chain(&m, 0, b, 1);
	expect_broken();
}

Test(vq, buffer_addr_len_overflow_breaks)
{
	struct mock_buf b[] = { { UINT64_MAX - 10, 100, 0 } };

	mock_vq_add_chain(&m, 0, b, 1);
	expect_broken();
}

Test(vq, buffer_across_regions_breaks)
{
	struct gmem split;
	struct mock_vq sm;
	/* [0, 1M) and [1M, 2M): contiguous GPAs, two regions. */
	struct mock_buf ok[] = { { MiB - 8, 8, 0 } };
	struct mock_buf bad[] = { { MiB - 8, 16, 0 } };

	mock_gmem_create_split(&split, MiB, MiB, MiB);
	mock_vq_init(&sm, &split, QSZ, gpa(RING));
	mock_vq_add_chain(&sm, 0, ok, 1);
	mock_vq_add_chain(&sm, 1, bad, 1);
	cr_assert_eq(vq_init(&q, &split, QSZ, sm.desc, sm.avail, sm.used,
			     false, false), 0);
	cr_assert_eq(vq_pop(&q, &split, &c), 1);
	cr_assert_eq(vq_pop(&q, &split, &c), -EIO);
	cr_assert(vq_is_broken(&q));
	gmem_destroy(&split);
}

Test(vq, too_many_buffers_breaks)
{
	/* 255 direct + a table of 2: 257 buffers > VQ_MAX_CHAIN; with a
	 * table of 1 the chain has exactly VQ_MAX_CHAIN and is fine. */
	static struct mock_buf b[VQ_MAX_SIZE];
	struct mock_vq bm;

	_Static_assert(VQ_MAX_CHAIN < 2 * VQ_MAX_SIZE - 1, "reachable");
	mock_vq_init(&bm, &mem, VQ_MAX_SIZE, gpa(0x40000));
	for (unsigned int i = 0; i < VQ_MAX_SIZE - 1; i++)
		b[i] = (struct mock_buf){ BUF + i, 1, 0 };
	b[VQ_MAX_SIZE - 1] = (struct mock_buf){ TABLE, 16,
						VQ_DESC_F_INDIRECT };
	mock_desc_write(&mem, gpa(TABLE), 0, BUF, 8, 0, 0);
	mock_vq_add_chain(&bm, 0, b, VQ_MAX_SIZE);
	cr_assert_eq(vq_init(&q, &mem, VQ_MAX_SIZE, bm.desc, bm.avail,
			     bm.used, false, true), 0);
	cr_assert_eq(vq_pop(&q, &mem, &c), 1);
	cr_assert_eq(c.nr, VQ_MAX_CHAIN);
	mock_desc_write(&mem, gpa(TABLE + 0x1000), 0, BUF, 8, VQ_DESC_F_NEXT,
			1);
	mock_desc_write(&mem, gpa(TABLE + 0x1000), 1, BUF, 8, 0, 0);
	mock_vq_set_desc(&bm, VQ_MAX_SIZE - 1, TABLE + 0x1000, 32,
			 VQ_DESC_F_INDIRECT, 0);
	mock_vq_publish(&bm, 0);
	cr_assert_eq(vq_pop(&q, &mem, &c), -EIO);
	cr_assert(vq_is_broken(&q));
}

Test(vq, total_length_over_u32_breaks)
{
	/* Sparse RAM: untouched pages cost nothing. */
	struct gmem big;
	struct mock_vq bm;
	struct mock_buf ok[] = {
		{ 2 * GiB, 0x80000000u, 0 },
		{ GiB, 0x7fffffffu, VQ_DESC_F_WRITE },
	};
	struct mock_buf bad[] = {
		{ 2 * GiB, 0x80000000u, 0 },
		{ GiB, 0x80000000u, VQ_DESC_F_WRITE },
	};

	mock_gmem_create(&big, 4 * GiB);
	mock_vq_init(&bm, &big, QSZ, gpa(RING));
	mock_vq_add_chain(&bm, 0, ok, 2);
	mock_vq_add_chain(&bm, 2, bad, 2);
	cr_assert_eq(vq_init(&q, &big, QSZ, bm.desc, bm.avail, bm.used,
			     false, false), 0);
	cr_assert_eq(vq_pop(&q, &big, &c), 1);
	cr_assert_eq(c.readable_len + (uint64_t)c.writable_len, UINT32_MAX);
	cr_assert_eq(vq_pop(&q, &big, &c), -EIO);
	gmem_destroy(&big);
}

Test(vq, in_flight_beyond_size_breaks)
{
	pop_full_ring();
	/* The driver republishes heads the device still holds. */
	mock_vq_publish(&m, 0);
	cr_assert_eq(vq_pop(&q, &mem, &c), -EIO);
	cr_assert(vq_is_broken(&q));
}

Test(vq, in_flight_frees_on_push)
{
	pop_full_ring();
	cr_assert_eq(vq_push(&q, &mem, 4, 0), 0);
	mock_vq_publish(&m, 4);
	cr_assert_eq(vq_pop(&q, &mem, &c), 1);
	cr_assert_eq(c.head, 4);
}

/* ---- completing ---- */

Test(vq, push_writes_used_ring)
{
	struct mock_buf b[] = { { BUF, 8, VQ_DESC_F_WRITE } };
	uint32_t id, len;

	mock_vq_add_chain(&m, 9, b, 1);
	init_q(false, false);
	cr_assert_eq(vq_pop(&q, &mem, &c), 1);
	cr_assert_eq(vq_push(&q, &mem, c.head, 8), 0);
	cr_assert_eq(mock_vq_used_idx(&m), 1);
	mock_vq_used_elem(&m, 0, &id, &len);
	cr_assert_eq(id, 9);
	cr_assert_eq(len, 8);
	cr_assert_eq(q.in_flight, 0);
}

/* vq_add_used() writes elements; only vq_publish_used() moves used->idx,
 * once for all of them. */
Test(vq, add_used_then_publish_once)
{
	struct mock_buf b[] = { { BUF, 8, VQ_DESC_F_WRITE } };
	uint32_t id, len;

	mock_vq_add_chain(&m, 3, b, 1);
	mock_vq_add_chain(&m, 5, b, 1);
	init_q(false, false);
	cr_assert_eq(vq_avail_count(&q), 2);
	cr_assert_eq(vq_pop(&q, &mem, &c), 1);
	cr_assert_eq(vq_add_used(&q, &mem, c.head, 4), 0);
	cr_assert_eq(vq_pop(&q, &mem, &c), 1);
	cr_assert_eq(vq_avail_count(&q), 0);
	cr_assert_eq(vq_add_used(&q, &mem, c.head, 6), 0);
	cr_assert_eq(mock_vq_used_idx(&m), 0, "nothing published yet");
	cr_assert_eq(q.in_flight, 0);
	vq_publish_used(&q);
	cr_assert_eq(mock_vq_used_idx(&m), 2);
	mock_vq_used_elem(&m, 0, &id, &len);
	cr_assert(id == 3 && len == 4);
	mock_vq_used_elem(&m, 1, &id, &len);
	cr_assert(id == 5 && len == 6);
	/* A jump past the queue size breaks the queue, as vq_pop would. */
	mock_vq_set_avail_idx(&m, (uint16_t)(2 + QSZ + 1));
	cr_assert_eq(vq_avail_count(&q), -EIO);
	cr_assert(vq_is_broken(&q));
	cr_assert_eq(vq_add_used(&q, &mem, 0, 1), -EIO);
}

Test(vq, push_rejects_bad_id_and_nothing_in_flight)
{
	struct mock_buf b[] = { { BUF, 8, 0 } };

	init_q(false, false);
	cr_assert_eq(vq_push(&q, &mem, 0, 0), -EINVAL);
	mock_vq_add_chain(&m, 0, b, 1);
	cr_assert_eq(vq_pop(&q, &mem, &c), 1);
	cr_assert_eq(vq_push(&q, &mem, QSZ, 0), -EINVAL);
	cr_assert_eq(mock_vq_used_idx(&m), 0);
	cr_assert_not(vq_is_broken(&q));
}

Test(vq, push_on_broken_queue_fails)
{
	mock_vq_set_avail_idx(&m, QSZ + 1);
	expect_broken();
	cr_assert_eq(vq_push(&q, &mem, 0, 0), -EIO);
	cr_assert_not(vq_should_notify(&q, &mem));
	cr_assert_eq(vq_enable_notification(&q, &mem), -EIO);
}

Test(vq, indices_wrap_at_65535)
{
	struct mock_buf b[] = { { BUF, 8, 0 } };
	uint32_t id, len;

	/* Device and driver both near the wrap (as after 65534 requests). */
	init_q(false, false);
	q.last_avail_idx = 0xfffe;
	q.next_used_idx = 0xfffe;
	m.avail_idx = 0xfffe;
	mock_vq_set_used_idx(&m, 0xfffe);
	mock_vq_add_chain(&m, 1, b, 1);
	mock_vq_add_chain(&m, 2, b, 1);
	mock_vq_add_chain(&m, 3, b, 1);
	cr_assert_eq(m.avail_idx, 1);
	for (uint16_t want = 1; want <= 3; want++) {
		cr_assert_eq(vq_pop(&q, &mem, &c), 1);
		cr_assert_eq(c.head, want);
		cr_assert_eq(vq_push(&q, &mem, c.head, want * 10), 0);
	}
	cr_assert_eq(vq_pop(&q, &mem, &c), 0);
	cr_assert_eq(q.last_avail_idx, 1);
	cr_assert_eq(mock_vq_used_idx(&m), 1);
	/* 0xfffe % 16 = 14, then 15, then 0. */
	mock_vq_used_elem(&m, 15, &id, &len);
	cr_assert_eq(id, 2);
	cr_assert_eq(len, 20);
	mock_vq_used_elem(&m, 0, &id, &len);
	cr_assert_eq(id, 3);
	cr_assert_eq(len, 30);
}

/* ---- notifications ---- */

/* Pops and pushes (n) one-descriptor chains. */
static void complete(unsigned int n)
{
	struct mock_buf b[] = { { BUF, 8, 0 } };

	for (unsigned int i = 0; i < n; i++) {
		mock_vq_add_chain(&m, i % QSZ, b, 1);
		cr_assert_eq(vq_pop(&q, &mem, &c), 1);
		cr_assert_eq(vq_push(&q, &mem, c.head, 0), 0);
	}
}

Test(vq, no_interrupt_flag)
{
	init_q(false, false);
	complete(1);
	cr_assert(vq_should_notify(&q, &mem));
	mock_vq_set_avail_flags(&m, VQ_AVAIL_F_NO_INTERRUPT);
	complete(1);
	cr_assert_not(vq_should_notify(&q, &mem));
	/* With EVENT_IDX the flag is ignored: used_event rules. */
	mock_vq_init(&m, &mem, QSZ, gpa(RING));
	mock_vq_set_avail_flags(&m, VQ_AVAIL_F_NO_INTERRUPT);
	init_q(true, false);
	complete(1);
	cr_assert(vq_should_notify(&q, &mem));
}

Test(vq, event_idx_notifies_when_used_event_is_crossed)
{
	init_q(true, false);
	mock_vq_set_used_event(&m, 2);
	complete(1);			/* first decision always notifies */
	cr_assert(vq_should_notify(&q, &mem));
	complete(1);			/* used idx 2: entry 1 written */
	cr_assert_not(vq_should_notify(&q, &mem));
	complete(1);			/* entry 2 written: crossed */
	cr_assert(vq_should_notify(&q, &mem));
	complete(2);			/* 3, 4: event stays at 2 */
	cr_assert_not(vq_should_notify(&q, &mem));
	cr_assert_not(vq_should_notify(&q, &mem));	/* nothing new */
	mock_vq_set_used_event(&m, 5);
	complete(3);			/* 5, 6, 7 */
	cr_assert(vq_should_notify(&q, &mem));
}

Test(vq, event_idx_around_wrap)
{
	/* Last decision at 0xfffe; three pushes make used idx 1: entries
	 * 0xfffe, 0xffff, 0 were written. */
	static const struct {
		uint16_t event;
		bool notify;
	} cases[] = {
		{ 0xfffd, false }, { 0xfffe, true }, { 0xffff, true },
		{ 0, true }, { 1, false }, { 0x8000, false },
	};

	for (unsigned int i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		mock_vq_init(&m, &mem, QSZ, gpa(RING));
		init_q(true, false);
		q.last_avail_idx = q.next_used_idx = 0xfffe;
		m.avail_idx = 0xfffe;
		q.signalled_used = 0xfffe;
		q.signalled_valid = true;
		mock_vq_set_used_event(&m, cases[i].event);
		complete(3);
		cr_assert_eq(q.next_used_idx, 1);
		cr_assert_eq(vq_should_notify(&q, &mem), cases[i].notify,
			     "used_event %#x", cases[i].event);
		cr_assert_eq(q.signalled_used, 1);
	}
}

/* Pops while there is a chain; on an empty ring it re-arms kicks, and a
 * 0 leaves them armed. */
Test(vq, pop_or_rearm)
{
	struct mock_buf b[] = { { BUF, 8, 0 } };

	mock_vq_add_chain(&m, 0, b, 1);
	init_q(false, false);
	vq_disable_notification(&q, &mem);
	cr_assert_eq(vq_pop_or_rearm(&q, &mem, &c), 1);
	cr_assert_eq(mock_vq_used_flags(&m), VQ_USED_F_NO_NOTIFY,
		     "still draining: kicks stay off");
	cr_assert_eq(vq_pop_or_rearm(&q, &mem, &c), 0);
	cr_assert_eq(mock_vq_used_flags(&m), 0, "empty: kicks armed");
	mock_vq_set_avail_idx(&m, (uint16_t)(1 + QSZ + 1));
	cr_assert_eq(vq_pop_or_rearm(&q, &mem, &c), -EIO);
}

Test(vq, enable_notification_flag)
{
	struct mock_buf b[] = { { BUF, 8, 0 } };

	init_q(false, false);
	vq_disable_notification(&q, &mem);
	cr_assert_eq(mock_vq_used_flags(&m), VQ_USED_F_NO_NOTIFY);
	cr_assert_eq(vq_enable_notification(&q, &mem), 0);
	cr_assert_eq(mock_vq_used_flags(&m), 0);
	/* Added while we were enabling: the caller must not sleep. */
	mock_vq_add_chain(&m, 0, b, 1);
	cr_assert_eq(vq_enable_notification(&q, &mem), 1);
	cr_assert_eq(vq_pop(&q, &mem, &c), 1);
	cr_assert_eq(vq_enable_notification(&q, &mem), 0);
	/* avail_event is not touched without EVENT_IDX. */
	vq_set_avail_event(&q, &mem);
	cr_assert_eq(mock_vq_avail_event(&m), 0);
}

Test(vq, enable_notification_event_idx)
{
	struct mock_buf b[] = { { BUF, 8, 0 } };

	init_q(true, false);
	complete(3);
	vq_disable_notification(&q, &mem);
	cr_assert_eq(mock_vq_used_flags(&m), 0);
	cr_assert_eq(vq_enable_notification(&q, &mem), 0);
	cr_assert_eq(mock_vq_avail_event(&m), 3);
	mock_vq_add_chain(&m, 0, b, 1);
	cr_assert_eq(vq_enable_notification(&q, &mem), 1);
	cr_assert_eq(vq_pop(&q, &mem, &c), 1);
	vq_set_avail_event(&q, &mem);
	cr_assert_eq(mock_vq_avail_event(&m), 4);
	/* A jump seen while re-checking breaks the queue too. */
	mock_vq_set_avail_idx(&m, 4 + QSZ + 1);
	cr_assert_eq(vq_enable_notification(&q, &mem), -EIO);
	cr_assert(vq_is_broken(&q));
}

/*
 * Behind an IOMMU (vq_init_dma): a fake translator with a few mappings.
 * IOVA_RINGS maps the ring area 1:1 onto RING; two IOVA pages map to RAM
 * pages apart from each other; one IOVA page is read-only.
 */
#define IOVA_RINGS	0x100000000ULL
#define IOVA_A		0x200000000ULL	/* -> BUF + 0x8000 */
#define IOVA_B		(IOVA_A + 0x1000)	/* -> BUF + 0x2000 */
#define IOVA_RO		0x300000000ULL	/* -> BUF + 0x4000, read-only */

struct fake_map {
	uint64_t iova, len, gpa;
	bool ro;
};

static const struct fake_map fake_maps[] = {
	{ IOVA_RINGS, 0x4000, RING, false },
	{ IOVA_A, 0x1000, BUF + 0x8000, false },
	{ IOVA_B, 0x1000, BUF + 0x2000, false },
	{ IOVA_RO, 0x1000, BUF + 0x4000, true },
};
static unsigned int faults;

static int fake_translate(void *ctx, uint64_t iova, uint64_t len, bool write,
			  struct vq_seg *segs, unsigned int max)
{
	const struct gmem *g = ctx;
	unsigned int n = 0;

	while (len) {
		const struct fake_map *f = NULL;
		uint64_t take;

		for (size_t i = 0; i < sizeof(fake_maps) / sizeof(*f); i++)
			if (iova >= fake_maps[i].iova &&
			    iova - fake_maps[i].iova < fake_maps[i].len)
				f = &fake_maps[i];
		if (!f || (write && f->ro)) {
			faults++;
			return -EFAULT;
		}
		if (n == max)
			return -E2BIG;
		take = f->len - (iova - f->iova);
		if (take > len)
			take = len;
		segs[n].addr = gmem_ptr(g, gpa(f->gpa + (iova - f->iova)),
					take);
		segs[n++].len = take;
		len -= take;
		iova += take;
	}
	return (int)n;
}

/* The generation the fake IOMMU is in, whether it waits, and what the
 * queue told it last (vq_dma_pass_end()). */
static _Atomic uint64_t fake_epoch;
static _Atomic bool fake_waiting;
static uint64_t fake_released;
static unsigned int fake_releases;

static uint64_t fake_begin(void *ctx)
{
	return atomic_load(&fake_epoch);
}

static void fake_release(void *ctx, uint64_t oldest)
{
	fake_released = oldest;
	fake_releases++;
}

static struct vq_dma fake_dma = {
	.translate = fake_translate,
	.begin = fake_begin,
	.release = fake_release,
	.waiting = &fake_waiting,
	.epoch = &fake_epoch,
};

static void init_q_dma(void)
{
	fake_dma.ctx = &mem;
	faults = 0;
	atomic_store(&fake_epoch, 1);
	atomic_store(&fake_waiting, false);
	fake_released = 0;
	fake_releases = 0;
	cr_assert_eq(vq_init_dma(&q, &mem, &fake_dma, m.size,
				 gpa(IOVA_RINGS + (m.desc.v - RING)),
				 gpa(IOVA_RINGS + (m.avail.v - RING)),
				 gpa(IOVA_RINGS + (m.used.v - RING)), false,
				 true), 0);
}

/* A buffer contiguous in IOVA space but not in RAM comes out as two
 * buffers, each at its own host address. */
Test(vq, iommu_buffer_split_across_mappings)
{
	struct mock_buf b[] = {
		{ IOVA_A + 0x800, 0x1000, VQ_DESC_F_WRITE },
	};

	mock_vq_add_chain(&m, 0, b, 1);
	init_q_dma();
	cr_assert_eq(vq_pop(&q, &mem, &c), 1);
	cr_assert_eq(c.nr, 2);
	cr_assert_eq(c.bufs[0].addr, gmem_ptr(&mem, gpa(BUF + 0x8800), 1));
	cr_assert_eq(c.bufs[0].len, 0x800);
	cr_assert_eq(c.bufs[1].addr, gmem_ptr(&mem, gpa(BUF + 0x2000), 1));
	cr_assert_eq(c.bufs[1].len, 0x800);
	cr_assert(c.bufs[0].writable && c.bufs[1].writable);
	cr_assert_eq(c.writable_len, 0x1000);
	cr_assert_eq(vq_push(&q, &mem, c.head, 0x1000), 0);
	cr_assert_eq(mock_vq_used_idx(&m), 1, "used ring reached by IOVA");
}

/* An unmapped IOVA, or a write to a read-only mapping, fails that request
 * only: popped with -EFAULT, returned empty, the queue goes on. */
Test(vq, iommu_fault_fails_the_request_not_the_queue)
{
	struct mock_buf unmapped[] = { { 0x400000000ULL, 64, 0 } };
	struct mock_buf ro_write[] = { { IOVA_RO, 64, VQ_DESC_F_WRITE } };
	struct mock_buf good[] = { { IOVA_RO, 64, 0 } };
	uint32_t id, len;

	mock_vq_add_chain(&m, 0, unmapped, 1);
	mock_vq_add_chain(&m, 1, ro_write, 1);
	mock_vq_add_chain(&m, 2, good, 1);
	init_q_dma();
	cr_assert_eq(vq_pop(&q, &mem, &c), -EFAULT);
	cr_assert_eq(c.head, 0);
	cr_assert_eq(c.nr, 0);
	cr_assert_eq(vq_push(&q, &mem, c.head, 0), 0);
	cr_assert_eq(vq_pop(&q, &mem, &c), -EFAULT);
	cr_assert_eq(c.head, 1);
	cr_assert_eq(vq_push(&q, &mem, c.head, 0), 0);
	cr_assert_eq(faults, 2);
	cr_assert_not(vq_is_broken(&q));
	cr_assert_eq(vq_pop(&q, &mem, &c), 1);
	cr_assert_eq(c.head, 2);
	cr_assert_eq(c.bufs[0].addr, gmem_ptr(&mem, gpa(BUF + 0x4000), 1));
	cr_assert_eq(vq_push(&q, &mem, c.head, 0), 0);
	mock_vq_used_elem(&m, 0, &id, &len);
	cr_assert(id == 0 && len == 0);
}

/* Rings must each translate to one piece of RAM, and be mapped at all. */
Test(vq, iommu_rings_must_be_mapped_and_contiguous)
{
	fake_dma.ctx = &mem;
	cr_assert_eq(vq_init_dma(&q, &mem, &fake_dma, 16, gpa(IOVA_A + 0xf80),
				 gpa(IOVA_RINGS + 0x1000),
				 gpa(IOVA_RINGS + 0x2000), false, false),
		     -EFAULT, "descriptor table split across two mappings");
	cr_assert_eq(vq_init_dma(&q, &mem, &fake_dma, 16,
				 gpa(0x500000000ULL), gpa(IOVA_RINGS + 0x1000),
				 gpa(IOVA_RINGS + 0x2000), false, false),
		     -EFAULT, "unmapped");
	cr_assert_eq(vq_init_dma(&q, &mem, &fake_dma, 16, gpa(IOVA_RINGS),
				 gpa(IOVA_RINGS + 0x1000), gpa(IOVA_RO), false,
				 false),
		     -EFAULT, "used ring read-only");
	cr_assert_null(q.dma, "nothing kept after a failure");
}

/*
 * Quiescence: each chain keeps the generation it was translated in until
 * it is used; the thread reports nothing held when no chain is in
 * flight, and, only while the IOMMU waits, the oldest generation held.
 */
Test(vq, iommu_pass_end_reports_the_oldest_chain_held)
{
	struct mock_buf buf[] = { { IOVA_A, 64, VQ_DESC_F_WRITE } };
	struct vq_chain c2;

	mock_vq_add_chain(&m, 0, buf, 1);
	mock_vq_add_chain(&m, 1, buf, 1);
	init_q_dma();
	cr_assert_eq(vq_pop(&q, &mem, &c), 1);	/* head 0, generation 1 */
	atomic_store(&fake_epoch, 2);
	cr_assert_eq(vq_pop(&q, &mem, &c2), 1);	/* head 1, generation 2 */
	vq_dma_pass_end(&q, 1);
	cr_assert_eq(fake_releases, 0, "nobody waits: nothing to say");
	atomic_store(&fake_waiting, true);
	cr_assert(vq_dma_stale(&q, 0));
	cr_assert_not(vq_dma_stale(&q, 1));
	vq_dma_pass_end(&q, 1);
	cr_assert_eq(fake_released, 1);
	cr_assert_eq(vq_push(&q, &mem, c.head, 0), 0);
	vq_dma_pass_end(&q, 1);
	cr_assert_eq(fake_released, 2, "head 0 used: head 1 is the oldest");
	cr_assert_eq(vq_push(&q, &mem, c2.head, 0), 0);
	atomic_store(&fake_waiting, false);
	vq_dma_pass_end(&q, 1);
	cr_assert_eq(fake_released, UINT64_MAX, "idle: holds nothing");
}

/* vq_repop() translates a held chain afresh, in the current generation,
 * and fails it alone when its buffer is no longer mapped. */
Test(vq, iommu_repop_retranslates_a_held_chain)
{
	struct mock_buf buf[] = { { IOVA_A, 64, VQ_DESC_F_WRITE } };
	struct mock_buf gone[] = { { 0x400000000ULL, 64, VQ_DESC_F_WRITE } };

	mock_vq_add_chain(&m, 0, buf, 1);
	init_q_dma();
	cr_assert_eq(vq_pop(&q, &mem, &c), 1);
	atomic_store(&fake_epoch, 5);
	atomic_store(&fake_waiting, true);
	cr_assert(vq_dma_stale(&q, 0));
	cr_assert_eq(vq_repop(&q, &mem, 0, &c), 1);
	cr_assert_eq(c.head, 0);
	cr_assert_eq(c.bufs[0].addr, gmem_ptr(&mem, gpa(BUF + 0x8000), 1));
	cr_assert_not(vq_dma_stale(&q, 0));
	vq_dma_pass_end(&q, 1);
	cr_assert_eq(fake_released, 5);
	/* The driver rewrote the descriptor to an unmapped IOVA. */
	mock_table_chain(&mem, m.desc, 0, gone, 1);
	cr_assert_eq(vq_repop(&q, &mem, 0, &c), -EFAULT);
	cr_assert_eq(c.nr, 0);
	cr_assert_not(vq_is_broken(&q));
	cr_assert_eq(vq_repop(&q, &mem, 1, &c), -EINVAL, "not in flight");
	cr_assert_eq(vq_push(&q, &mem, 0, 0), 0);
	cr_assert_eq(q.in_flight, 0);
}

/*
 * A chain that faults is still walked to its end: when its last buffer
 * (a status byte) is device-writable and mapped, fault_tail points at
 * its last byte; the buffer that faulted never counts as that tail.
 */
Test(vq, iommu_fault_keeps_a_writable_tail)
{
	struct mock_buf data_then_status[] = {
		{ 0x400000000ULL, 512, VQ_DESC_F_WRITE },	/* unmapped */
		{ IOVA_A + 16, 1, VQ_DESC_F_WRITE },
	};
	struct mock_buf lone[] = { { 0x400000000ULL, 64, VQ_DESC_F_WRITE } };
	struct mock_buf ro_tail[] = {
		{ 0x400000000ULL, 512, 0 },
		{ IOVA_RO, 1, 0 },				/* readable */
	};

	mock_vq_add_chain(&m, 0, data_then_status, 2);
	mock_vq_add_chain(&m, 2, lone, 1);
	mock_vq_add_chain(&m, 3, ro_tail, 2);
	init_q_dma();
	cr_assert_eq(vq_pop(&q, &mem, &c), -EFAULT);
	cr_assert_eq(c.fault_tail, gmem_ptr(&mem, gpa(BUF + 0x8000 + 16), 1));
	cr_assert_eq(c.nr, 0);
	cr_assert_eq(vq_pop(&q, &mem, &c), -EFAULT);
	cr_assert_null(c.fault_tail, "the faulting buffer is no tail");
	cr_assert_eq(vq_pop(&q, &mem, &c), -EFAULT);
	cr_assert_null(c.fault_tail, "a readable tail is no status byte");
	cr_assert_eq(faults, 3, "one report per faulting chain");
	cr_assert_not(vq_is_broken(&q));
}
