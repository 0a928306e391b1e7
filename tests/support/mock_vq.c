// SPDX-License-Identifier: Apache-2.0
/* tests/support/mock_vq.c: the driver side of a split virtqueue, for tests. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devices/virtio/queue.h"
#include "support/mock_vq.h"

/* Test support: a bad setup is the test's bug, so stop loudly. */
static void *mock_ptr(const struct gmem *mem, uint64_t addr, uint64_t len)
{
	void *p = gmem_ptr(mem, gpa(addr), len);

	if (!p) {
		fprintf(stderr, "mock_vq: %#llx+%llu not in RAM\n",
			(unsigned long long)addr, (unsigned long long)len);
		abort();
	}
	return p;
}

static void mock_w16(const struct gmem *mem, uint64_t addr, uint16_t v)
{
	memcpy(mock_ptr(mem, addr, 2), &v, 2);
}

static uint16_t mock_r16(const struct gmem *mem, uint64_t addr)
{
	uint16_t v;

	memcpy(&v, mock_ptr(mem, addr, 2), 2);
	return v;
}

void mock_gmem_create(struct gmem *mem, uint64_t size)
{
	struct gmem_region r = { .start = gpa(0), .size = size };

	if (gmem_create(mem, &r, 1))
		abort();
}

void mock_gmem_create_split(struct gmem *mem, uint64_t a, uint64_t b,
			    uint64_t c)
{
	struct gmem_region r[] = {
		{ .start = gpa(0), .size = a },
		{ .start = gpa(b), .size = c },
	};

	if (gmem_create(mem, r, 2))
		abort();
}

void mock_vq_init(struct mock_vq *m, const struct gmem *mem, uint16_t size,
		  gpa_t base)
{
	uint64_t avail_end;

	m->mem = mem;
	m->size = size;
	m->desc = base;
	m->avail = gpa(base.v + 16ULL * size);
	avail_end = m->avail.v + 6 + 2ULL * size;
	m->used = gpa((avail_end + 3) & ~3ULL);
	m->avail_idx = 0;
	memset(mock_ptr(mem, base.v, m->used.v + 6 + 8ULL * size - base.v), 0,
	       m->used.v + 6 + 8ULL * size - base.v);
}

void mock_desc_write(const struct gmem *mem, gpa_t table, uint16_t i,
		     uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
	char *p = mock_ptr(mem, table.v + 16ULL * i, 16);

	memcpy(p, &addr, 8);
	memcpy(p + 8, &len, 4);
	memcpy(p + 12, &flags, 2);
	memcpy(p + 14, &next, 2);
}

void mock_vq_set_desc(struct mock_vq *m, uint16_t i, uint64_t addr,
		      uint32_t len, uint16_t flags, uint16_t next)
{
	mock_desc_write(m->mem, m->desc, i, addr, len, flags, next);
}

void mock_table_chain(const struct gmem *mem, gpa_t table, uint16_t first,
		      const struct mock_buf *bufs, unsigned int n)
{
	for (unsigned int k = 0; k < n; k++) {
		uint16_t i = first + k;
		bool last = k + 1 == n;

		mock_desc_write(mem, table, i, bufs[k].addr, bufs[k].len,
				bufs[k].flags | (last ? 0 : VQ_DESC_F_NEXT),
				last ? 0 : (uint16_t)(i + 1));
	}
}

void mock_vq_add_chain(struct mock_vq *m, uint16_t first,
		       const struct mock_buf *bufs, unsigned int n)
{
	mock_table_chain(m->mem, m->desc, first, bufs, n);
	mock_vq_publish(m, first);
}

void mock_vq_publish(struct mock_vq *m, uint16_t head)
{
	mock_w16(m->mem, m->avail.v + 4 + 2ULL * (m->avail_idx % m->size),
		 head);
	mock_vq_set_avail_idx(m, m->avail_idx + 1);
}

void mock_vq_set_avail_idx(struct mock_vq *m, uint16_t idx)
{
	m->avail_idx = idx;
	mock_w16(m->mem, m->avail.v + 2, idx);
}

void mock_vq_set_avail_flags(struct mock_vq *m, uint16_t flags)
{
	mock_w16(m->mem, m->avail.v, flags);
}

void mock_vq_set_used_event(struct mock_vq *m, uint16_t v)
{
	mock_w16(m->mem, m->avail.v + 4 + 2ULL * m->size, v);
}

uint16_t mock_vq_avail_event(const struct mock_vq *m)
{
	return mock_r16(m->mem, m->used.v + 4 + 8ULL * m->size);
}

uint16_t mock_vq_used_flags(const struct mock_vq *m)
{
	return mock_r16(m->mem, m->used.v);
}

uint16_t mock_vq_used_idx(const struct mock_vq *m)
{
	return mock_r16(m->mem, m->used.v + 2);
}

void mock_vq_set_used_idx(struct mock_vq *m, uint16_t idx)
{
	mock_w16(m->mem, m->used.v + 2, idx);
}

void mock_vq_used_elem(const struct mock_vq *m, uint16_t slot, uint32_t *id,
		       uint32_t *len)
{
	const char *p = mock_ptr(m->mem, m->used.v + 4 + 8ULL * slot, 8);

	memcpy(id, p, 4);
	memcpy(len, p + 4, 4);
}
