/* SPDX-License-Identifier: Apache-2.0 */
/* devices/virtio/queue.c: split virtqueue, device side. */
#include <assert.h>
#include <endian.h>
#include <errno.h>
#include <stdatomic.h>
#include <stddef.h>
#include <string.h>

#include "devices/virtio/queue.h"

/* struct virtq_desc (2.7.5): 16 bytes, little-endian. */
struct vq_desc {
	uint64_t addr; /* guest-physical buffer address */
	uint32_t len; /* buffer bytes */
	uint16_t flags; /* VQ_DESC_F_* */
	uint16_t next; /* next index when VQ_DESC_F_NEXT */
};
_Static_assert(sizeof(struct vq_desc) == 16, "virtq_desc is 16 bytes");

/* struct virtq_avail (2.7.6); used_event follows ring[size]. */
struct vq_avail {
	uint16_t flags; /* VQ_AVAIL_F_NO_INTERRUPT */
	uint16_t idx; /* where the driver puts the next entry */
	uint16_t ring[]; /* chain heads */
};
_Static_assert(sizeof(struct vq_avail) == 4, "virtq_avail header");

/* struct virtq_used_elem (2.7.8) */
struct vq_used_elem {
	uint32_t id; /* head of the completed chain */
	uint32_t len; /* bytes written into its buffers */
};
_Static_assert(sizeof(struct vq_used_elem) == 8, "virtq_used_elem");

/* struct virtq_used (2.7.8); avail_event follows ring[size]. */
struct vq_used {
	uint16_t flags; /* VQ_USED_F_NO_NOTIFY */
	uint16_t idx; /* where the device puts the next entry */
	struct vq_used_elem ring[]; /* completed chains */
};
_Static_assert(sizeof(struct vq_used) == 4, "virtq_used header");

#define VQ_DESC_F_KNOWN (VQ_DESC_F_NEXT | VQ_DESC_F_WRITE | VQ_DESC_F_INDIRECT)

/*
 * Ring indices are shared with a running guest: each is read or written
 * exactly once, as a single untorn access; ordering comes from the fences.
 */
static uint16_t vq_load16(volatile uint16_t *p)
{
	return le16toh(__atomic_load_n(p, __ATOMIC_RELAXED));
}

static void vq_store16(volatile uint16_t *p, uint16_t v)
{
	__atomic_store_n(p, htole16(v), __ATOMIC_RELAXED);
}

static volatile uint16_t *vq_used_event(const struct vq *q)
{
	return &q->avail->ring[q->size];
}

static volatile uint16_t *vq_avail_event(const struct vq *q)
{
	return (volatile uint16_t *)&q->used->ring[q->size];
}

/* Marks (q) broken: every later call fails; the caller resets the device. */
static int vq_break(struct vq *q)
{
	q->broken = true;
	return -EIO;
}

/*
 * Host address of [addr, addr + len) as one piece: a guest-physical range
 * inside one RAM region, or, behind an IOMMU, an IOVA range that
 * translates to one contiguous segment. NULL when it does not.
 */
static void *vq_map_one(const struct vq *q, const struct gmem *mem,
			uint64_t addr, uint64_t len, bool write)
{
	struct vq_seg seg;

	if (!q->dma)
		return gmem_ptr(mem, gpa(addr), len);
	if (q->dma->translate(q->dma->ctx, addr, len, write, &seg, 1) != 1)
		return NULL;
	return seg.addr;
}

int vq_init(struct vq *q, const struct gmem *mem, uint16_t size, gpa_t desc,
	    gpa_t avail, gpa_t used, bool event_idx, bool indirect)
{
	return vq_init_dma(q, mem, NULL, size, desc, avail, used, event_idx,
			   indirect);
}

int vq_init_dma(struct vq *q, const struct gmem *mem, const struct vq_dma *dma,
		uint16_t size, gpa_t desc, gpa_t avail, gpa_t used,
		bool event_idx, bool indirect)
{
	void *d, *a, *u;

	memset(q, 0, sizeof(*q));
	if (size == 0 || size > VQ_MAX_SIZE || (size & (size - 1)))
		return -EINVAL;
	/* 2.7 table: descriptor table 16, available ring 2, used ring 4. */
	if ((desc.v & 15) || (avail.v & 1) || (used.v & 3))
		return -EINVAL;
	/*
	 * Sizes from the same table, trailers included whether or not
	 * VIRTIO_F_EVENT_IDX is negotiated (the driver allocates them). size
	 * is at most 256, so none of these products can overflow; gmem_ptr()
	 * checks addr + len.
	 */
	q->dma = dma;
	d = vq_map_one(q, mem, desc.v, 16ULL * size, false);
	a = vq_map_one(q, mem, avail.v, 6 + 2ULL * size, false);
	u = vq_map_one(q, mem, used.v, 6 + 8ULL * size, true);
	if (!d || !a || !u) {
		q->dma = NULL;
		return -EFAULT;
	}
	q->size = size;
	q->event_idx = event_idx;
	q->indirect = indirect;
	q->desc = d;
	q->avail = a;
	q->used = u;
	q->desc_gpa = desc;
	q->avail_gpa = avail;
	q->used_gpa = used;
	return 0;
}

/*
 * Copies descriptor (i) of (table) once: every check and use works on the
 * copy, so the guest cannot change it between the two (double fetch).
 * memcpy because an indirect table has no alignment rule in the spec.
 */
static void vq_read_desc(const void *table, uint16_t i, struct vq_desc *d)
{
	memcpy(d, (const char *)table + (size_t)i * sizeof(*d), sizeof(*d));
	/* The copy must not be re-read from guest memory later. */
	atomic_signal_fence(memory_order_seq_cst);
	d->addr = le64toh(d->addr);
	d->len = le32toh(d->len);
	d->flags = le16toh(d->flags);
	d->next = le16toh(d->next);
}

/* Where a chain walk is. */
struct vq_walk {
	const void *table; /* descriptor table being walked */
	uint16_t table_len; /* its entries: bound for next */
	unsigned int ttl; /* hops left before it is a loop */
	bool in_indirect; /* walking an indirect table */
};

/*
 * Switches the walk in (w) to the indirect table described by (d). Checks
 * 2.7.5.3: "The driver MUST NOT set the VIRTQ_DESC_F_INDIRECT flag unless
 * the VIRTIO_F_INDIRECT_DESC feature was negotiated", "MUST NOT set both
 * VIRTQ_DESC_F_INDIRECT and VIRTQ_DESC_F_NEXT in flags", "MUST NOT set the
 * VIRTQ_DESC_F_INDIRECT flag within an indirect descriptor (ie. only one
 * table per descriptor)", and "A driver MUST NOT create a descriptor chain
 * longer than the Queue Size of the device". The WRITE flag of the pointer
 * descriptor is ignored ("The device MUST ignore the write-only flag").
 */
static int vq_enter_indirect(const struct vq *q, const struct gmem *mem,
			     const struct vq_desc *d, struct vq_walk *w)
{
	const void *t;

	if (!q->indirect || w->in_indirect || (d->flags & VQ_DESC_F_NEXT))
		return -EINVAL;
	if (d->len == 0 || d->len % sizeof(struct vq_desc) ||
	    d->len / sizeof(struct vq_desc) > q->size)
		return -EINVAL;
	t = vq_map_one(q, mem, d->addr, d->len, false);
	if (!t)
		return -EFAULT;
	w->table = t;
	w->table_len = d->len / sizeof(struct vq_desc);
	w->ttl = w->table_len;
	w->in_indirect = true;
	return 0;
}

/* The IOMMU side of vq_add_bufs(): apart, so that its segment array does
 * not weigh on the stack frame (and stack probes) of the common path. */
static __attribute__((noinline)) int
vq_add_bufs_dma(const struct vq *q, const struct vq_desc *d, struct vq_chain *c)
{
	bool write = d->flags & VQ_DESC_F_WRITE;
	struct vq_seg segs[VQ_MAX_CHAIN];
	unsigned int room = VQ_MAX_CHAIN - c->nr;
	int n;

	n = q->dma->translate(q->dma->ctx, d->addr, d->len, write, segs, room);
	if (n < 0)
		return n == -E2BIG ? -E2BIG : -EFAULT;
	if (n == 0 || (unsigned int)n > room)
		return -EFAULT;	/* a translator bug: refuse the chain */
	for (int i = 0; i < n; i++)
		c->bufs[c->nr++] = (struct vq_buf){
			segs[i].addr, (uint32_t)segs[i].len, write,
		};
	return 0;
}

/*
 * Appends descriptor (d)'s buffer to (c): one vq_buf inside one RAM region,
 * addr + len overflow-checked (CVE-2019-18960); behind an IOMMU, one per
 * translated segment, all within VQ_MAX_CHAIN. 0, -EFAULT (not RAM, or
 * not mapped) or -E2BIG.
 */
static int vq_add_bufs(const struct vq *q, const struct gmem *mem,
		       const struct vq_desc *d, struct vq_chain *c)
{
	void *p;

	if (q->dma)
		return vq_add_bufs_dma(q, d, c);
	p = gmem_ptr(mem, gpa(d->addr), d->len);
	if (!p)
		return -EFAULT;
	c->bufs[c->nr++] = (struct vq_buf){
		p, d->len, d->flags & VQ_DESC_F_WRITE,
	};
	return 0;
}

/* Walks the chain at (head) into (c); 0 or -errno (a violation). */
static int vq_walk_chain(const struct vq *q, const struct gmem *mem,
			 uint16_t head, struct vq_chain *c)
{
	struct vq_walk w = { q->desc, q->size, q->size, false };
	uint64_t rlen = 0, wlen = 0;
	bool seen_write = false, fault = false;
	struct vq_desc d, last = { 0 };
	uint16_t i = head;
	struct vq_seg tail;
	int rc;

	c->head = head;
	c->nr = 0;
	c->fault_tail = NULL;
	for (;;) {
		/* More hops than entries: the chain loops. */
		if (w.ttl-- == 0)
			return -ELOOP;
		vq_read_desc(w.table, i, &d);
		if (d.flags & ~VQ_DESC_F_KNOWN)
			return -EINVAL;
		if (d.flags & VQ_DESC_F_INDIRECT) {
			rc = vq_enter_indirect(q, mem, &d, &w);
			if (rc)
				return rc;
			i = 0;
			continue;
		}
		/* 2.7.4.2: "The driver MUST place any device-writable
		 * descriptor elements after any device-readable descriptor
		 * elements." */
		if (d.flags & VQ_DESC_F_WRITE)
			seen_write = true;
		else if (seen_write)
			return -EINVAL;
		/* Zero-length descriptors carry nothing: skipped (queue.h). */
		if (d.len) {
			if (c->nr == VQ_MAX_CHAIN)
				return -E2BIG;
			if (d.flags & VQ_DESC_F_WRITE)
				wlen += d.len;
			else
				rlen += d.len;
			/* 2.7.5: "The total length of the buffers in a
			 * chain MUST NOT exceed 2^32" (used.len is 32-bit). */
			if (rlen + wlen > UINT32_MAX)
				return -EOVERFLOW;
			rc = fault ? 0 : vq_add_bufs(q, mem, &d, c);
			/* Unmapped behind an IOMMU: the walk goes on, as
			 * the rest must still be well formed and a later
			 * buffer's last byte may tell the driver the request
			 * failed (the one that faulted cannot). */
			if (rc == -EFAULT && q->dma) {
				fault = true;
				last = (struct vq_desc){ 0 };
			} else if (rc) {
				return rc;
			} else {
				last = d;
			}
		}
		if (!(d.flags & VQ_DESC_F_NEXT))
			break;
		if (d.next >= w.table_len)
			return -EINVAL;
		i = d.next;
	}
	if (fault) {
		if ((last.flags & VQ_DESC_F_WRITE) &&
		    q->dma->translate(q->dma->ctx, last.addr + last.len - 1, 1,
				      true, &tail, 1) == 1)
			c->fault_tail = tail.addr;
		return -EFAULT;
	}
	c->readable_len = rlen;
	c->writable_len = wlen;
	return 0;
}

/*
 * Reads avail->idx and returns how many entries are pending, or -EIO when
 * the driver claims more than the ring holds (GUARDS row 4).
 */
static int vq_avail_pending(struct vq *q)
{
	uint16_t avail_idx = vq_load16(&q->avail->idx);
	uint16_t n;

	/*
	 * Acquire: the ring entries and descriptors are read only after the
	 * idx that exposed them. Pairs with the driver's write barrier, 2.7.13:
	 * "The driver MUST perform a suitable memory barrier before the idx
	 * update, to ensure the device sees the most up-to-date copy."
	 */
	atomic_thread_fence(memory_order_acquire);
	n = (uint16_t)(avail_idx - q->last_avail_idx);
	if (n > q->size)
		return vq_break(q);
	return n;
}

/*
 * Walks chain (head) into (c), behind an IOMMU in the generation begin()
 * gives, which the queue keeps for the head. 1, -EFAULT (behind an IOMMU:
 * an address is not mapped; (c) is then empty) or -EIO (broken).
 */
static int vq_take(struct vq *q, const struct gmem *mem, uint16_t head,
		   struct vq_chain *c)
{
	int n;

	if (!q->dma)
		return vq_walk_chain(q, mem, head, c) ? vq_break(q) : 1;
	q->epoch[head] = q->dma->begin(q->dma->ctx);
	n = vq_walk_chain(q, mem, head, c);
	if (n == -EFAULT) {
		/* An unmapped IOVA is a fault of this request, not a broken
		 * ring: popped, to be returned empty (queue.h). */
		c->head = head;
		c->nr = 0;
		c->readable_len = c->writable_len = 0;
		return -EFAULT;
	}
	return n ? vq_break(q) : 1;
}

int vq_pop(struct vq *q, const struct gmem *mem, struct vq_chain *c)
{
	uint16_t head;
	int n;

	assert(q->size);
	if (q->broken)
		return -EIO;
	n = vq_avail_pending(q);
	if (n <= 0)
		return n;
	/* Every head is in flight: the driver reuses them (CVE-2016-5403). */
	if (q->in_flight >= q->size)
		return vq_break(q);
	head = vq_load16(&q->avail->ring[q->last_avail_idx & (q->size - 1)]);
	if (head >= q->size)
		return vq_break(q);
	n = vq_take(q, mem, head, c);
	if (n == -EIO)
		return n;
	q->last_avail_idx++;
	q->in_flight++;
	return n;
}

int vq_repop(struct vq *q, const struct gmem *mem, uint16_t head,
	     struct vq_chain *c)
{
	assert(q->size);
	if (q->broken)
		return -EIO;
	if (!q->dma || head >= q->size || !q->epoch[head])
		return -EINVAL;
	return vq_take(q, mem, head, c);
}

/* The oldest generation among (q)'s chains in flight, or UINT64_MAX. A
 * driver that makes one head available twice at once loses track of its
 * first chain here: it can only hurt itself, every translation points
 * into its own RAM. */
static uint64_t vq_oldest_epoch(const struct vq *q)
{
	uint64_t oldest = UINT64_MAX;

	if (!q->in_flight)
		return oldest;
	for (unsigned int i = 0; i < q->size; i++)
		if (q->epoch[i] && q->epoch[i] < oldest)
			oldest = q->epoch[i];
	return oldest;
}

void vq_dma_pass_end(const struct vq *qs, unsigned int n)
{
	const struct vq_dma *dma = qs[0].dma;
	uint64_t oldest = UINT64_MAX;
	unsigned int busy = 0;

	if (!dma)
		return;
	for (unsigned int i = 0; i < n; i++)
		busy += qs[i].in_flight;
	if (busy) {
		/* Nobody waits: what was told last is still a lower bound. */
		if (!atomic_load(dma->waiting))
			return;
		for (unsigned int i = 0; i < n; i++) {
			uint64_t e = vq_oldest_epoch(&qs[i]);

			if (e < oldest)
				oldest = e;
		}
	}
	dma->release(dma->ctx, oldest);
}

int vq_add_used(struct vq *q, const struct gmem *mem, uint16_t head,
		uint32_t len)
{
	volatile struct vq_used_elem *e;

	assert(q->size);
	if (q->broken)
		return -EIO;
	if (head >= q->size || q->in_flight == 0)
		return -EINVAL;
	e = &q->used->ring[q->next_used_idx & (q->size - 1)];
	e->id = htole32(head);
	e->len = htole32(len);
	if (q->dma)
		q->epoch[head] = 0;
	q->next_used_idx++;
	q->in_flight--;
	return 0;
}

void vq_publish_used(struct vq *q)
{
	assert(q->size);
	if (q->broken)
		return;
	/*
	 * Release: the elements, and the data the device wrote into their
	 * chains' buffers, are visible before the idx that publishes them.
	 * 2.7.8.2: "The device MUST set len prior to updating the used idx"
	 * and "MUST write at least len bytes to descriptor ... prior to
	 * updating the used idx". Pairs with the driver's read barrier after
	 * it reads used->idx (Linux virtqueue_get_buf: "Only get used array
	 * entries after they have been exposed by host").
	 */
	atomic_thread_fence(memory_order_release);
	vq_store16(&q->used->idx, q->next_used_idx);
}

int vq_push(struct vq *q, const struct gmem *mem, uint16_t head, uint32_t len)
{
	int ret = vq_add_used(q, mem, head, len);

	if (!ret)
		vq_publish_used(q);
	return ret;
}

int vq_avail_count(struct vq *q)
{
	assert(q->size);
	if (q->broken)
		return -EIO;
	return vq_avail_pending(q);
}

/* vring_need_event(): whether (event) lies in (old, new], mod 2^16. */
static bool vq_need_event(uint16_t event, uint16_t new_idx, uint16_t old)
{
	return (uint16_t)(new_idx - event - 1) < (uint16_t)(new_idx - old);
}

bool vq_should_notify(struct vq *q, const struct gmem *mem)
{
	uint16_t old = q->signalled_used;
	bool valid = q->signalled_valid;

	assert(q->size);
	if (q->broken)
		return false;
	/*
	 * Full barrier: our used->idx store must be globally visible before
	 * we read the driver's suppression (used_event or flags), else both
	 * sides can miss each other. Pairs with the driver's full barrier
	 * between writing used_event / flags and re-reading used->idx (Linux
	 * virtqueue_enable_cb_delayed / virtqueue_poll).
	 */
	atomic_thread_fence(memory_order_seq_cst);
	q->signalled_used = q->next_used_idx;
	q->signalled_valid = true;
	if (!q->event_idx) {
		/* 2.7.7.2: "If flags is 1, the device SHOULD NOT send a
		 * notification. If flags is 0, the device MUST send a
		 * notification." Other bits are reserved: only bit 0. */
		return !(vq_load16(&q->avail->flags) & VQ_AVAIL_F_NO_INTERRUPT);
	}
	/* First decision: no window to compare against; notify (vhost). */
	if (!valid)
		return true;
	/* 2.7.7.2: "if the idx field in the used ring ... was equal to
	 * used_event, the device MUST send a notification." */
	return vq_need_event(vq_load16(vq_used_event(q)), q->next_used_idx,
			     old);
}

void vq_set_avail_event(struct vq *q, const struct gmem *mem)
{
	assert(q->size);
	if (q->event_idx)
		vq_store16(vq_avail_event(q), q->last_avail_idx);
}

int vq_enable_notification(struct vq *q, const struct gmem *mem)
{
	int n;

	assert(q->size);
	if (q->broken)
		return -EIO;
	if (q->event_idx)
		vq_set_avail_event(q, mem);
	else
		vq_store16(&q->used->flags, 0);
	/*
	 * Full barrier: the request for kicks must be visible before we look
	 * for buffers, or a driver that added one meanwhile and still saw the
	 * old request sends no kick while we sleep. Pairs with the driver's
	 * full barrier between its avail->idx store and reading avail_event /
	 * used flags (2.7.13.4; Linux virtqueue_kick_prepare).
	 */
	atomic_thread_fence(memory_order_seq_cst);
	n = vq_avail_pending(q);
	if (n < 0)
		return n;
	return n > 0;
}

int vq_pop_or_rearm(struct vq *q, const struct gmem *mem, struct vq_chain *c)
{
	for (;;) {
		int ret = vq_pop(q, mem, c);

		if (ret)
			return ret;
		ret = vq_enable_notification(q, mem);
		if (ret <= 0)
			return ret;
	}
}

void vq_disable_notification(struct vq *q, const struct gmem *mem)
{
	assert(q->size);
	if (!q->event_idx)
		vq_store16(&q->used->flags, VQ_USED_F_NO_NOTIFY);
}
