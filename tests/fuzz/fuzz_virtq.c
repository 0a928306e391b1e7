// SPDX-License-Identifier: Apache-2.0
/* tests/fuzz/fuzz_virtq.c: a hostile driver against the split virtqueue walker. */
#include <endian.h>
#include <errno.h>
#include <string.h>

#include "devices/virtio/queue.h"
#include "fuzz.h"
#include "fuzz_input.h"
#include "fuzz_ram.h"
#include "virtq_ref.h"

/*
 * One queue over 64 KiB of guest RAM in two regions that touch in
 * guest-physical space but not on the host ([0, 32K) and [32K, 64K): a
 * buffer across the boundary is CVE-2019-18960's), optionally behind the
 * fake IOMMU of virtq_ref.h. The input is a header (geometry, features,
 * IOMMU) then operations: the driver writing descriptors, ring entries,
 * avail->idx and any other byte, and the device popping, pushing and
 * asking about notifications, in any order (README.md has the layout).
 *
 * Invariants, on every operation:
 *  - crosvm's: a popped chain's buffers are exactly the bytes its
 *    descriptors name, translated: every vq_buf lies inside one RAM
 *    region, readable ones first, readable_len / writable_len are their
 *    sums, nr <= VQ_MAX_CHAIN, and the list equals what an independent
 *    walk (virtq_ref.c) finds; a chain the walk calls broken breaks the
 *    queue (-EIO from then on), one it calls faulting comes back -EFAULT
 *    with nothing usable;
 *  - the ring: at most `size` chains ahead of the device (GUARDS 4), at
 *    most `size` in flight (GUARDS 3), heads < size; pushes land in the
 *    used ring at the right slot with the right id and length;
 *  - notifications: vq_should_notify() is the spec's rule (2.7.7.2,
 *    2.7.10), avail_event / NO_NOTIFY are what was asked for;
 *  - the queue writes guest memory only in the used ring and its
 *    avail_event / flags (the device's own data writes are this file's);
 *  - behind the IOMMU, the generation it reports held is the oldest of
 *    the chains in flight (queue.h, vq_dma_pass_end());
 *  - the walk ends (libFuzzer's -timeout catches a loop).
 */

#define RAM_HALF 0x8000u
#define RAM_SIZE (2 * RAM_HALF)
#define MAX_OPS 2048

/* Header flags. */
#define H_EVENT_IDX 0x01
#define H_INDIRECT 0x02
#define H_IOMMU 0x04
#define H_EXPLICIT 0x08 /* ring addresses from the input */
#define H_RAW_SIZE 0x10 /* any u16 as the size */

struct inflight {
	uint16_t head;
	struct vq_chain chain; /* as popped (or re-popped) */
};

/* The device side as the harness sees it, and its model of the queue. */
struct harness {
	struct fuzz_ram ram;
	uint8_t shadow[2][RAM_HALF]; /* RAM after the last check */
	struct vqr_iommu io;
	struct vq_dma dma;
	bool iommu;
	_Atomic bool waiting;
	_Atomic uint64_t epoch;
	unsigned int releases; /* release() calls */
	uint64_t released; /* its last argument */
	struct vq q;
	struct vqr_geom geom;
	uint64_t desc, avail, used; /* ring gpas */
	/* Model. */
	uint16_t drv_avail_idx; /* what the driver published */
	uint16_t last_avail; /* chains the device took */
	uint16_t next_used; /* used entries added */
	bool broken;
	bool signalled_valid;
	uint16_t signalled;
	uint64_t head_epoch[VQ_MAX_SIZE];
	unsigned int nr_inflight;
	struct inflight inflight[VQ_MAX_SIZE];
	struct vq_chain chain; /* vq_pop()'s */
	struct vqr_chain ref; /* the reference's */
};

static struct harness h;

/* ---- guest memory, as the driver writes it ---- */

static uint8_t *ram_byte(uint64_t gpa_v)
{
	return gmem_ptr(&h.ram.mem, gpa(gpa_v), 1);
}

/* The driver's writes: RAM and shadow alike, bytes outside RAM dropped. */
static void drv_write(uint64_t gpa_v, const void *src, size_t len)
{
	const uint8_t *s = src;

	for (size_t i = 0; i < len; i++, gpa_v++) {
		uint8_t *p = ram_byte(gpa_v);

		if (p) {
			*p = s[i];
			h.shadow[gpa_v / RAM_HALF][gpa_v % RAM_HALF] = s[i];
		}
	}
}

static void drv_write16(uint64_t gpa_v, uint16_t v)
{
	v = htole16(v);
	drv_write(gpa_v, &v, 2);
}

static uint16_t ram_read16(uint64_t gpa_v)
{
	uint16_t v;

	FUZZ_CHECK(!gmem_read(&h.ram.mem, &v, gpa(gpa_v), 2), "ring not RAM");
	return le16toh(v);
}

static uint32_t ram_read32(uint64_t gpa_v)
{
	uint32_t v;

	FUZZ_CHECK(!gmem_read(&h.ram.mem, &v, gpa(gpa_v), 4), "ring not RAM");
	return le32toh(v);
}

/* Ring field addresses (2.7.6, 2.7.8). */
static uint64_t avail_ring(uint16_t slot)
{
	return h.avail + 4 + 2ull * slot;
}

static uint64_t used_event(void)
{
	return h.avail + 4 + 2ull * h.q.size;
}

static uint64_t used_elem(uint16_t slot)
{
	return h.used + 4 + 8ull * slot;
}

static uint64_t avail_event(void)
{
	return h.used + 4 + 8ull * h.q.size;
}

/*
 * Every byte the queue changed since the last check lies in one of the
 * (n) ranges [start, start + len) it may write; then the shadow follows.
 */
struct range {
	uint64_t start, len;
};

static void check_writes(const struct range *ok, unsigned int n, const char *op)
{
	for (unsigned int r = 0; r < 2; r++) {
		uint8_t *cur = h.ram.buf[r];

		if (!memcmp(cur, h.shadow[r], RAM_HALF))
			continue;
		for (uint64_t i = 0; i < RAM_HALF; i++) {
			uint64_t g = r * RAM_HALF + i;
			bool allowed = false;

			if (cur[i] == h.shadow[r][i])
				continue;
			for (unsigned int k = 0; k < n; k++)
				allowed |= g - ok[k].start < ok[k].len;
			FUZZ_CHECK(allowed, "%s wrote guest byte %#llx", op,
				   (unsigned long long)g);
		}
		memcpy(h.shadow[r], cur, RAM_HALF);
	}
}

/* ---- the IOMMU the queue may be behind ---- */

static int dma_translate(void *ctx, uint64_t iova, uint64_t len, bool write,
			 struct vq_seg *segs, unsigned int max)
{
	struct vqr_seg s[VQ_MAX_CHAIN];
	int n;

	FUZZ_CHECK(max >= 1 && max <= VQ_MAX_CHAIN, "translate max %u", max);
	n = vqr_translate(&h.io, iova, len, write, s, max);
	for (int i = 0; i < n; i++)
		segs[i] = (struct vq_seg){
			gmem_ptr(&h.ram.mem, gpa(s[i].gpa), s[i].len),
			s[i].len,
		};
	return n;
}

static uint64_t dma_begin(void *ctx)
{
	return atomic_load(&h.epoch);
}

static void dma_release(void *ctx, uint64_t oldest)
{
	h.releases++;
	h.released = oldest;
}

/* ---- setting the queue up ---- */

/* Whether (addr, len) is one piece of RAM, as the queue will see it; its
 * guest-physical address in (*out). */
static bool ring_piece(uint64_t addr, uint64_t len, bool write, uint64_t *out)
{
	struct vqr_seg s;

	if (h.iommu) {
		if (vqr_translate(&h.io, addr, len, write, &s, 1) != 1)
			return false;
		*out = s.gpa;
		return true;
	}
	*out = addr;
	return gmem_ptr(&h.ram.mem, gpa(addr), len) != NULL;
}

/* vq_init()'s contract (queue.h), checked both ways. */
static bool setup(struct fz *in)
{
	static const struct gmem_region layout[] = {
		{ .start = { 0 }, .size = RAM_HALF },
		{ .start = { RAM_HALF }, .size = RAM_HALF },
	};
	uint8_t flags = fz_u8(in), size_b = fz_u8(in);
	uint16_t size = flags & H_RAW_SIZE ? fz_u16(in) :
					     (uint16_t)(1u << (size_b % 10));
	uint64_t desc, avail, used, base;
	bool ok;
	int ret;

	fuzz_ram_init(&h.ram, layout, 2, 0);
	memset(h.shadow, 0, sizeof(h.shadow));
	h.iommu = flags & H_IOMMU;
	if (flags & H_EXPLICIT) {
		desc = fz_u64(in);
		avail = fz_u64(in);
		used = fz_u64(in);
	} else {
		/* mock_vq's layout: table, avail ring, used ring 4-aligned. */
		base = fz_u16(in) & ~15ull;
		desc = base;
		avail = desc + 16ull * size;
		used = (avail + 6 + 2ull * size + 3) & ~3ull;
	}
	if (h.iommu) {
		h.io = (struct vqr_iommu){ &h.ram, fz_u8(in) % VQR_IOVA_PAGES,
					   fz_u16(in), fz_u16(in) };
		h.dma = (struct vq_dma){ dma_translate, dma_begin, dma_release,
					 &h.waiting,	&h.epoch,  NULL };
		atomic_store(&h.epoch, 1);
	}
	if (h.iommu)
		ret = vq_init_dma(&h.q, &h.ram.mem, &h.dma, size, gpa(desc),
				  gpa(avail), gpa(used), flags & H_EVENT_IDX,
				  flags & H_INDIRECT);
	else
		ret = vq_init(&h.q, &h.ram.mem, size, gpa(desc), gpa(avail),
			      gpa(used), flags & H_EVENT_IDX,
			      flags & H_INDIRECT);
	FUZZ_TRACE("vq_init: size %u, rings %#llx %#llx %#llx%s: %d", size,
		   (unsigned long long)desc, (unsigned long long)avail,
		   (unsigned long long)used, h.iommu ? " (iommu)" : "", ret);
	ok = size && size <= VQ_MAX_SIZE && !(size & (size - 1)) &&
	     !(desc & 15) && !(avail & 1) && !(used & 3);
	FUZZ_CHECK(ok || ret == -EINVAL, "vq_init took a bad geometry: %d",
		   ret);
	if (!ok)
		return false;
	/* 2.7, table: the trailers are counted whatever the features. */
	ok = ring_piece(desc, 16ull * size, false, &h.desc) &&
	     ring_piece(avail, 6 + 2ull * size, false, &h.avail) &&
	     ring_piece(used, 6 + 8ull * size, true, &h.used);
	FUZZ_CHECK(ok ? ret == 0 : ret == -EFAULT,
		   "vq_init: %d, rings in RAM: %d", ret, ok);
	if (ret)
		return false;
	h.geom = (struct vqr_geom){ &h.ram, h.iommu ? &h.io : NULL, size,
				    flags & H_INDIRECT, h.desc };
	return true;
}

/* ---- the device's operations, each checked against the model ---- */

/* The avail->idx the driver left, as the ring-level checks see it. */
static int model_pending(void)
{
	uint16_t n = (uint16_t)(ram_read16(h.avail + 2) - h.last_avail);

	return n > h.q.size ? -1 : n;
}

static void check_buf_in_ram(const struct vq_buf *b, uint64_t *g)
{
	FUZZ_CHECK(b->len > 0, "empty vq_buf");
	FUZZ_CHECK(fuzz_ram_gpa_of(&h.ram, b->addr, b->len, g),
		   "vq_buf of %u bytes outside one RAM region", b->len);
}

/* (c), as vq_pop()/vq_repop() returned it with (ret), against the
 * reference walk of (head). */
static void check_chain(int ret, uint16_t head, const struct vq_chain *c)
{
	const struct vqr_chain *r = &h.ref;
	uint64_t rd = 0, wr = 0, g;
	bool seen_w = false;

	switch (r->verdict) {
	case VQR_BROKEN:
		FUZZ_CHECK(ret == -EIO, "head %u: %s, but vq_pop %d", head,
			   r->why, ret);
		return;
	case VQR_FAULT:
		FUZZ_CHECK(ret == -EFAULT, "head %u faults, vq_pop %d", head,
			   ret);
		FUZZ_CHECK(c->head == head && c->nr == 0 && !c->readable_len &&
				   !c->writable_len,
			   "a faulting chain carries buffers");
		if (!r->has_tail) {
			FUZZ_CHECK(!c->fault_tail, "fault_tail without one");
			return;
		}
		FUZZ_CHECK(
			c->fault_tail &&
				fuzz_ram_gpa_of(&h.ram, c->fault_tail, 1, &g) &&
				g == r->tail_gpa,
			"fault_tail is not the last byte");
		return;
	case VQR_OK:
		break;
	}
	FUZZ_CHECK(ret == 1, "head %u is well formed, vq_pop %d", head, ret);
	FUZZ_CHECK(c->head == head, "head %u popped as %u", head, c->head);
	FUZZ_CHECK(c->nr <= VQ_MAX_CHAIN && c->nr == r->nr,
		   "%u buffers, the walk found %u", c->nr, r->nr);
	for (unsigned int i = 0; i < c->nr; i++) {
		const struct vq_buf *b = &c->bufs[i];

		check_buf_in_ram(b, &g);
		FUZZ_CHECK(g == r->bufs[i].gpa && b->len == r->bufs[i].len &&
				   b->writable == r->bufs[i].writable,
			   "buffer %u: %#llx+%u w%d, the walk: %#llx+%u w%d", i,
			   (unsigned long long)g, b->len, b->writable,
			   (unsigned long long)r->bufs[i].gpa, r->bufs[i].len,
			   r->bufs[i].writable);
		FUZZ_CHECK(b->writable || !seen_w, "readable after writable");
		seen_w |= b->writable;
		*(b->writable ? &wr : &rd) += b->len;
	}
	FUZZ_CHECK(c->readable_len == rd && c->writable_len == wr,
		   "lengths %u/%u, buffers hold %llu/%llu", c->readable_len,
		   c->writable_len, (unsigned long long)rd,
		   (unsigned long long)wr);
	FUZZ_CHECK(rd == r->readable_len && wr == r->writable_len,
		   "lengths differ from the walk's");
}

/* vq_pop(), or vq_pop_or_rearm() when (rearm). */
static void pop(bool rearm)
{
	int pending = h.broken ? 0 : model_pending();
	uint16_t head = 0;
	int ret;

	if (!h.broken && pending > 0 && h.nr_inflight < h.q.size) {
		head = ram_read16(avail_ring(h.last_avail & (h.q.size - 1)));
		if (head < h.q.size)
			vqr_walk(&h.geom, head, &h.ref);
	}
	ret = rearm ? vq_pop_or_rearm(&h.q, &h.ram.mem, &h.chain) :
		      vq_pop(&h.q, &h.ram.mem, &h.chain);
	FUZZ_TRACE("pop: %d (head %u, %u bufs, %u/%u bytes)", ret, h.chain.head,
		   h.chain.nr, h.chain.readable_len, h.chain.writable_len);
	if (h.broken) {
		FUZZ_CHECK(ret == -EIO, "pop on a broken queue: %d", ret);
	} else if (pending < 0) {
		/* GUARDS 4: the driver claims more than the ring holds. */
		FUZZ_CHECK(ret == -EIO, "avail idx jumped, pop %d", ret);
		h.broken = true;
	} else if (pending == 0) {
		/* Empty; a re-arm wrote avail_event or cleared NO_NOTIFY. */
		FUZZ_CHECK(ret == 0, "empty ring, pop %d", ret);
	} else if (h.nr_inflight >= h.q.size) {
		/* GUARDS 3: every head is already in flight. */
		FUZZ_CHECK(ret == -EIO, "%u in flight, pop %d", h.nr_inflight,
			   ret);
		h.broken = true;
	} else if (head >= h.q.size) {
		FUZZ_CHECK(ret == -EIO, "head %u >= size, pop %d", head, ret);
		h.broken = true;
	} else {
		check_chain(ret, head, &h.chain);
		if (ret == -EIO) {
			h.broken = true;
		} else {
			struct inflight *f = &h.inflight[h.nr_inflight++];

			f->head = head;
			f->chain = h.chain;
			h.last_avail++;
			if (h.iommu)
				h.head_epoch[head] = atomic_load(&h.epoch);
		}
	}
	if (rearm && !h.broken && pending == 0) {
		struct range ok[] = { { avail_event(), 2 }, { h.used, 2 } };

		check_writes(ok, 2, "vq_pop_or_rearm");
	} else {
		check_writes(NULL, 0, "vq_pop");
	}
}

/* The device fills (len) bytes of chain (f)'s writable buffers. */
static void device_fill(const struct inflight *f, uint32_t len)
{
	for (unsigned int i = 0; i < f->chain.nr && len; i++) {
		const struct vq_buf *b = &f->chain.bufs[i];
		uint32_t n = b->len < len ? b->len : len;
		uint64_t g;

		if (!b->writable)
			continue;
		memset(b->addr, 0xd5, n);
		FUZZ_CHECK(fuzz_ram_gpa_of(&h.ram, b->addr, n, &g), "buffer");
		drv_write(g, b->addr, n); /* into the shadow too */
		len -= n;
	}
}

/* vq_add_used() of in-flight chain (k), then vq_publish_used() if
 * (publish): the element and the index land where 2.7.8 says. */
static void push(struct fz *in, bool publish)
{
	uint8_t k = fz_u8(in);
	uint32_t len = fz_u32(in);
	struct inflight f;
	uint16_t slot;
	int ret;

	if (!h.nr_inflight) {
		/* Nothing in flight: a device bug the queue refuses. */
		ret = vq_add_used(&h.q, &h.ram.mem, 0, 0);
		FUZZ_CHECK(ret == (h.broken ? -EIO : -EINVAL),
			   "push with nothing in flight: %d", ret);
		check_writes(NULL, 0, "vq_add_used");
		return;
	}
	f = h.inflight[k % h.nr_inflight];
	if (h.broken) {
		/* Nothing changes, the chain stays in flight. */
		ret = vq_push(&h.q, &h.ram.mem, f.head, 0);
		FUZZ_CHECK(ret == -EIO, "push on a broken queue: %d", ret);
		check_writes(NULL, 0, "vq_push");
		return;
	}
	h.inflight[k % h.nr_inflight] = h.inflight[--h.nr_inflight];
	/* The used length is what the device wrote, at most the chain's
	 * writable bytes (2.7.8.2). */
	len = (uint32_t)(len % ((uint64_t)f.chain.writable_len + 1));
	device_fill(&f, len);
	slot = h.next_used & (h.q.size - 1);
	ret = publish ? vq_push(&h.q, &h.ram.mem, f.head, len) :
			vq_add_used(&h.q, &h.ram.mem, f.head, len);
	FUZZ_CHECK(ret == 0, "push of head %u: %d", f.head, ret);
	FUZZ_TRACE("push: head %u, %u bytes", f.head, len);
	struct range ok[] = { { used_elem(slot), 8 }, { h.used + 2, 2 } };

	check_writes(ok, publish ? 2 : 1, "vq_push");
	FUZZ_CHECK(ram_read32(used_elem(slot)) == f.head &&
			   ram_read32(used_elem(slot) + 4) == len,
		   "used[%u] is not (%u, %u)", slot, f.head, len);
	h.next_used++;
	if (publish)
		FUZZ_CHECK(ram_read16(h.used + 2) == h.next_used,
			   "used->idx %u, want %u", ram_read16(h.used + 2),
			   h.next_used);
	if (h.iommu)
		h.head_epoch[f.head] = 0;
}

static void op_pop(struct fz *in)
{
	pop(false);
}

static void op_pop_or_rearm(struct fz *in)
{
	pop(true);
}

static void op_push(struct fz *in)
{
	push(in, true);
}

static void op_add_used(struct fz *in)
{
	push(in, false);
}

static void op_publish_used(struct fz *in)
{
	vq_publish_used(&h.q);
	struct range ok[] = { { h.used + 2, 2 } };

	check_writes(ok, h.broken ? 0 : 1, "vq_publish_used");
	if (!h.broken)
		FUZZ_CHECK(ram_read16(h.used + 2) == h.next_used,
			   "published used->idx %u, want %u",
			   ram_read16(h.used + 2), h.next_used);
}

/*
 * 2.7.7.2 / 2.7.10: without EVENT_IDX, "If flags is 1, the device SHOULD
 * NOT send a notification. If flags is 0, the device MUST"; with it, notify
 * when the used index moved past used_event since the last decision, i.e.
 * it took the value used_event on the way (written here as a walk over
 * the indices, not vring_need_event()'s arithmetic).
 */
static void op_notify(struct fz *in)
{
	bool got = vq_should_notify(&h.q, &h.ram.mem), want;
	uint16_t old = h.signalled, event;

	check_writes(NULL, 0, "vq_should_notify");
	if (h.broken) {
		FUZZ_CHECK(!got, "a broken queue notifies");
		return;
	}
	if (!h.q.event_idx) {
		want = !(ram_read16(h.avail) & VQ_AVAIL_F_NO_INTERRUPT);
	} else if (!h.signalled_valid) {
		want = true;
	} else {
		event = ram_read16(used_event());
		want = false;
		for (uint16_t x = old; x != h.next_used; x++)
			want |= x == event;
	}
	FUZZ_CHECK(got == want, "should_notify %d, want %d", got, want);
	h.signalled = h.next_used;
	h.signalled_valid = true;
}

/* vq_enable_notification(): asks for kicks, then looks again. */
static void op_enable(struct fz *in)
{
	int ret = vq_enable_notification(&h.q, &h.ram.mem);
	int pending;

	if (h.broken) {
		FUZZ_CHECK(ret == -EIO, "enable on a broken queue: %d", ret);
		check_writes(NULL, 0, "vq_enable_notification");
		return;
	}
	struct range ok[] = { { avail_event(), 2 }, { h.used, 2 } };

	check_writes(h.q.event_idx ? ok : ok + 1, 1, "vq_enable_notification");
	if (h.q.event_idx)
		FUZZ_CHECK(ram_read16(avail_event()) == h.last_avail,
			   "avail_event %u, want %u", ram_read16(avail_event()),
			   h.last_avail);
	else
		FUZZ_CHECK(!(ram_read16(h.used) & VQ_USED_F_NO_NOTIFY),
			   "NO_NOTIFY left set");
	pending = model_pending();
	if (pending < 0) {
		FUZZ_CHECK(ret == -EIO, "avail idx jumped, enable %d", ret);
		h.broken = true;
		return;
	}
	FUZZ_CHECK(ret == (pending > 0), "enable %d, %d pending", ret, pending);
}

static void op_disable(struct fz *in)
{
	vq_disable_notification(&h.q, &h.ram.mem);
	struct range ok[] = { { h.used, 2 } };

	check_writes(ok, h.q.event_idx ? 0 : 1, "vq_disable_notification");
	if (!h.q.event_idx)
		FUZZ_CHECK(ram_read16(h.used) & VQ_USED_F_NO_NOTIFY,
			   "NO_NOTIFY not set");
}

static void op_set_avail_event(struct fz *in)
{
	vq_set_avail_event(&h.q, &h.ram.mem);
	struct range ok[] = { { avail_event(), 2 } };

	check_writes(ok, h.q.event_idx ? 1 : 0, "vq_set_avail_event");
	if (h.q.event_idx)
		FUZZ_CHECK(ram_read16(avail_event()) == h.last_avail,
			   "avail_event %u, want %u", ram_read16(avail_event()),
			   h.last_avail);
}

static void op_avail_count(struct fz *in)
{
	int ret = vq_avail_count(&h.q), pending;

	check_writes(NULL, 0, "vq_avail_count");
	if (h.broken) {
		FUZZ_CHECK(ret == -EIO, "count on a broken queue: %d", ret);
		return;
	}
	pending = model_pending();
	if (pending < 0)
		h.broken = true;
	FUZZ_CHECK(ret == (pending < 0 ? -EIO : pending),
		   "avail count %d, want %d", ret, pending);
}

/* Behind the IOMMU: walk in-flight chain (k) afresh (vq_repop()). */
static void op_repop(struct fz *in)
{
	uint8_t k = fz_u8(in);
	struct inflight *f;
	int ret;

	if (!h.iommu || !h.nr_inflight) {
		ret = vq_repop(&h.q, &h.ram.mem, h.q.size, &h.chain);
		FUZZ_CHECK(ret == (h.broken ? -EIO : -EINVAL),
			   "repop of head %u: %d", h.q.size, ret);
		check_writes(NULL, 0, "vq_repop");
		return;
	}
	f = &h.inflight[k % h.nr_inflight];
	if (!h.broken)
		vqr_walk(&h.geom, f->head, &h.ref);
	ret = vq_repop(&h.q, &h.ram.mem, f->head, &h.chain);
	FUZZ_TRACE("repop: head %u: %d", f->head, ret);
	check_writes(NULL, 0, "vq_repop");
	if (h.broken) {
		FUZZ_CHECK(ret == -EIO, "repop on a broken queue: %d", ret);
		return;
	}
	if (!h.head_epoch[f->head]) {
		/* Its head went back already under another in-flight chain
		 * of the same head (a driver that reuses heads). */
		FUZZ_CHECK(ret == -EINVAL, "repop of a head used: %d", ret);
		return;
	}
	check_chain(ret, f->head, &h.chain);
	if (ret == -EIO) {
		h.broken = true;
		return;
	}
	f->chain = h.chain;
	h.head_epoch[f->head] = atomic_load(&h.epoch);
}

/* queue.h: release() hears nothing held when no chain is in flight; else,
 * only while the IOMMU waits, the oldest generation among the heads. */
static void op_pass_end(struct fz *in)
{
	uint8_t b = fz_u8(in);
	unsigned int before = h.releases;
	uint64_t want = UINT64_MAX;

	if (!h.iommu) {
		/* No IOMMU: nothing to tell. */
		vq_dma_pass_end(&h.q, 1);
		FUZZ_CHECK(h.releases == before, "released without an IOMMU");
		return;
	}
	atomic_store(&h.epoch, atomic_load(&h.epoch) + (b & 3));
	atomic_store(&h.waiting, b & 4);
	vq_dma_pass_end(&h.q, 1);
	FUZZ_TRACE("pass end: %u released, last %llu", h.releases,
		   (unsigned long long)h.released);
	check_writes(NULL, 0, "vq_dma_pass_end");
	/* A broken queue's device stops reporting (it resets, or lets go
	 * with vq_dma_forget()): what it would say is not specified. */
	if (h.broken)
		return;
	if (h.nr_inflight && !atomic_load(&h.waiting)) {
		FUZZ_CHECK(h.releases == before, "released while nobody waits");
		return;
	}
	for (unsigned int i = 0; h.nr_inflight && i < h.q.size; i++)
		if (h.head_epoch[i] && h.head_epoch[i] < want)
			want = h.head_epoch[i];
	FUZZ_CHECK(h.releases == before + 1 && h.released == want,
		   "released %llu, want %llu", (unsigned long long)h.released,
		   (unsigned long long)want);
}

/* Behind the IOMMU, (a byte's bit 0) a re-pop, else the end of a pass. */
static void op_iommu(struct fz *in)
{
	if (h.iommu && fz_u8(in) & 1)
		op_repop(in);
	else
		op_pass_end(in);
}

/* ---- the driver's operations ---- */

/* A descriptor: in the queue's table (entry i), or anywhere (an indirect
 * table's entries). */
static void op_desc(struct fz *in)
{
	uint8_t where = fz_u8(in);
	uint16_t i = fz_u16(in);
	uint8_t d[16];
	uint64_t at;

	fz_bytes(in, d, sizeof(d));
	at = where & 1 ? (uint64_t)i * 16 % RAM_SIZE :
			 h.desc + 16ull * (i % h.q.size);
	drv_write(at, d, sizeof(d));
}

static void op_raw(struct fz *in)
{
	uint16_t at = fz_u16(in);
	uint8_t n = fz_u8(in) % 32, b[32];

	fz_bytes(in, b, n);
	drv_write(at, b, n);
}

/* The driver makes (head) available (2.7.13.2) and bumps avail->idx. */
static void op_publish(struct fz *in)
{
	uint16_t head = fz_u16(in);

	drv_write16(avail_ring(h.drv_avail_idx & (h.q.size - 1)), head);
	drv_write16(h.avail + 2, ++h.drv_avail_idx);
}

static void op_avail_idx(struct fz *in)
{
	h.drv_avail_idx = fz_u16(in);
	drv_write16(h.avail + 2, h.drv_avail_idx);
}

/* avail->flags or used_event. */
static void op_suppress(struct fz *in)
{
	uint8_t which = fz_u8(in);
	uint16_t v = fz_u16(in);

	drv_write16(which & 1 ? used_event() : h.avail, v);
}

/* The operations, by the input's byte mod 16 (README.md). */
static void (*const ops[16])(struct fz *in) = {
	op_desc,	 op_raw,
	op_publish,	 op_avail_idx,
	op_suppress,	 op_pop,
	op_pop_or_rearm, op_push,
	op_add_used,	 op_publish_used,
	op_notify,	 op_enable,
	op_disable,	 op_set_avail_event,
	op_avail_count,	 op_iommu,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz in = fz_make(data, size);

	memset(&h.q, 0, sizeof(h.q));
	h.drv_avail_idx = h.last_avail = h.next_used = 0;
	h.broken = h.signalled_valid = false;
	h.signalled = 0;
	h.nr_inflight = 0;
	h.releases = 0;
	memset(h.head_epoch, 0, sizeof(h.head_epoch));
	atomic_store(&h.waiting, false);
	if (setup(&in)) {
		for (unsigned int n = 0; n < MAX_OPS && fz_left(&in); n++)
			ops[fz_u8(&in) % 16](&in);
		FUZZ_CHECK(vq_is_broken(&h.q) == h.broken,
			   "queue broken %d, model %d", vq_is_broken(&h.q),
			   h.broken);
	}
	fuzz_ram_free(&h.ram);
	return 0;
}
