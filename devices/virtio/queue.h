/* SPDX-License-Identifier: Apache-2.0 */
/* devices/virtio/queue.h: split virtqueue, device side (virtio 1.2, 2.7). */
#ifndef IGNIS_VQ_H
#define IGNIS_VQ_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "vmm/gmem.h"

/*
 * A queue is the device's frozen view of one split virtqueue: geometry is
 * validated once by vq_init() (at DRIVER_OK) and never re-read from
 * guest-writable config (GUARDS row 1). A queue owns no memory: ring host
 * pointers point into (mem), which must outlive the queue.
 *
 * Threading: after vq_init(), every vq_* call on one queue comes from one
 * thread (the device's worker). The guest is the other side; nothing here
 * trusts what it wrote.
 *
 * Hostile-guest policy (GUARDS checklist): any ring or chain violation marks
 * the queue broken and every later call fails with -EIO; the caller sets
 * DEVICE_NEEDS_RESET and keeps the VMM running. Choices made here:
 *  - zero-length descriptors are skipped: they still count as a hop and
 *    their flags are still checked (readable after writable, unknown bits),
 *    but their address is not translated and no vq_buf is produced;
 *  - a buffer must lie inside one RAM region: one spanning two regions (or
 *    touching MMIO, a hole or beyond RAM) is a violation, not split
 *    (CVE-2019-18960). Linux never builds such buffers: its guest-physical
 *    contiguity ends at a memory hole.
 */

#define VQ_MAX_SIZE	256	/* largest queue size accepted (as Firecracker) */
/*
 * Most buffers one chain may carry. With an indirect table no longer than
 * the queue size, a chain can reach 2 * size - 1 descriptors; the cap keeps
 * struct vq_chain at 4 KiB (worker stack) and makes the bound reachable.
 */
#define VQ_MAX_CHAIN	256

/* virtq_desc.flags (2.7.5) */
#define VQ_DESC_F_NEXT		1	/* chain continues via next */
#define VQ_DESC_F_WRITE		2	/* device writes (else reads) */
#define VQ_DESC_F_INDIRECT	4	/* buffer is a descriptor table */
/* virtq_avail.flags (2.7.6) and virtq_used.flags (2.7.8) */
#define VQ_AVAIL_F_NO_INTERRUPT	1	/* driver: don't interrupt me */
#define VQ_USED_F_NO_NOTIFY	1	/* device: don't kick me */

struct vq_avail;	/* guest layouts, private to queue.c */
struct vq_used;

/* A piece of a translated guest buffer in host memory. */
struct vq_seg {
	void *addr;		/* inside one RAM region */
	uint64_t len;		/* bytes, never 0 */
};

/*
 * How a device behind an IOMMU (VIRTIO_F_ACCESS_PLATFORM, 6.1) reaches
 * guest memory: every address in its rings is an I/O virtual address that
 * the IOMMU translates. NULL in struct vq: addresses are guest-physical.
 */
struct vq_dma {
	/*
	 * Translates [iova, iova + len) for an access by the device (write:
	 * the device writes) into at most (max) host segments, in order,
	 * whose lengths add up to (len): a contiguous IOVA range may map to
	 * pieces of RAM apart from each other. Returns the number of
	 * segments; -EFAULT when a byte is not mapped or not for that access
	 * (the translator reports the fault); -E2BIG when (max) is too few.
	 * Called on the device's thread only.
	 */
	int (*translate)(void *ctx, uint64_t iova, uint64_t len, bool write,
			 struct vq_seg *segs, unsigned int max);
	/*
	 * Quiescence (when a guest's UNMAP may complete): translations
	 * belong to a generation, which the IOMMU moves on whenever it takes
	 * access away. begin() is called by vq_pop() before it translates a
	 * chain and returns the generation the chain's translations belong
	 * to (>= 1, never decreasing); the queue keeps it with the chain
	 * until the chain is used or given back. release() is told by
	 * vq_dma_pass_end() the oldest generation among the chains the
	 * device's thread still holds, UINT64_MAX when it holds none.
	 */
	uint64_t (*begin)(void *ctx);
	void (*release)(void *ctx, uint64_t oldest);
	/* Set while the IOMMU waits for old translations to go; only then
	 * does vq_dma_pass_end() look for the oldest chain held. */
	const _Atomic bool *waiting;
	const _Atomic uint64_t *epoch;	/* the current generation */
	void *ctx;
};

/* One split virtqueue, device side. Zeroed = not initialised. */
struct vq {
	uint16_t size;			/* entries: power of two, 0 = unset */
	bool event_idx;			/* VIRTIO_F_EVENT_IDX negotiated */
	bool indirect;			/* VIRTIO_F_INDIRECT_DESC negotiated */
	bool broken;			/* ring corruption seen: stop */
	bool signalled_valid;		/* signalled_used holds a value */
	uint16_t last_avail_idx;	/* next avail entry the device reads */
	uint16_t next_used_idx;		/* next used entry; the published
					 * idx after vq_publish_used() */
	uint16_t signalled_used;	/* used idx at the last notify */
	unsigned int in_flight;		/* popped, not yet pushed */
	const struct vq_dma *dma;	/* IOMMU translation, or NULL */
	/* Behind an IOMMU: the translation generation of each head in
	 * flight (vq_dma.begin()), 0 for heads not in flight. */
	uint64_t epoch[VQ_MAX_SIZE];
	const void *desc;		/* descriptor table in RAM */
	volatile struct vq_avail *avail;	/* driver ring in RAM */
	volatile struct vq_used *used;	/* device ring in RAM */
	gpa_t desc_gpa, avail_gpa, used_gpa;	/* where they are, for logs */
};

/* One guest buffer of a chain, translated to the host. */
struct vq_buf {
	void *addr;		/* host address, inside one RAM region */
	uint32_t len;		/* bytes, never 0 */
	bool writable;		/* device-writable (VQ_DESC_F_WRITE) */
};

/* A popped descriptor chain: readable buffers first, then writable. */
struct vq_chain {
	uint16_t head;		/* head index: the id for vq_push() */
	unsigned int nr;	/* entries used in bufs[] */
	uint32_t readable_len;	/* sum of readable buffer lengths */
	uint32_t writable_len;	/* sum of writable buffer lengths */
	/* vq_pop() -EFAULT only: the chain's last byte when it is
	 * device-writable and translates, else NULL: where a device with a
	 * status byte (blk) tells the driver the request failed. */
	uint8_t *fault_tail;
	struct vq_buf bufs[VQ_MAX_CHAIN];	/* in chain order */
};

/*
 * Validates and freezes the geometry of queue (q): (size) entries, the
 * descriptor table at (desc), driver ring at (avail), device ring at
 * (used), with VIRTIO_F_EVENT_IDX (event_idx) and VIRTIO_F_INDIRECT_DESC
 * (indirect) negotiated or not. size must be non-zero, a power of two and
 * <= VQ_MAX_SIZE; alignments 16/2/4 (2.7, table); each ring, including the
 * used_event / avail_event trailers, wholly inside one RAM region of (mem).
 * Returns 0, -EINVAL (size, alignment) or -EFAULT (not in RAM); on error
 * (q) is left zeroed. Call at DRIVER_OK, before any other vq_* call.
 */
int vq_init(struct vq *q, const struct gmem *mem, uint16_t size, gpa_t desc,
	    gpa_t avail, gpa_t used, bool event_idx, bool indirect);

/*
 * vq_init() for a device behind an IOMMU: (desc), (avail) and (used) are
 * I/O virtual addresses, translated through (dma), which must outlive the
 * queue; each ring must translate to one contiguous piece of RAM (drivers
 * allocate rings coherent and contiguous), else -EFAULT. A NULL (dma) is
 * vq_init(). The ring translations are taken once, here: a driver that
 * unmaps a live ring keeps reaching its own RAM, never beyond it.
 */
int vq_init_dma(struct vq *q, const struct gmem *mem, const struct vq_dma *dma,
		uint16_t size, gpa_t desc, gpa_t avail, gpa_t used,
		bool event_idx, bool indirect);

/*
 * Pops the next available chain into (c), translating each buffer through
 * (mem), or through the queue's IOMMU translation (vq_init_dma()), where a
 * buffer may become several vq_bufs. Returns 1 (popped: answer it with
 * vq_push(c->head, ...)), 0 (ring empty), -EIO (broken: this or an
 * earlier call saw a violation; nothing popped) or, behind an IOMMU only,
 * -EFAULT: the chain names an address that is not mapped (or not for that
 * access). The chain is popped but none of its buffers may be touched:
 * the device fails the request by pushing c->head with length 0, or, if
 * it has a status byte at the chain's end, by writing it at
 * c->fault_tail when that is set (the translator has reported the
 * fault); the queue stays usable. Worker thread only.
 */
int vq_pop(struct vq *q, const struct gmem *mem, struct vq_chain *c);

/*
 * Returns chain (head) to the driver with (len) bytes written into its
 * writable buffers, and publishes it (used->idx). The caller must have
 * finished writing the chain's buffers. Returns 0, -EINVAL (head >= size,
 * or nothing in flight: a device bug, nothing written) or -EIO (broken).
 * Worker thread only.
 */
int vq_push(struct vq *q, const struct gmem *mem, uint16_t head,
	    uint32_t len);

/*
 * vq_push() in two steps, for a device that completes many chains in one
 * pass: vq_add_used() writes the used element but leaves used->idx alone;
 * vq_publish_used() then publishes every element added since, with one
 * release-ordered store. The driver sees whole batches, and the used
 * index's cache line moves between CPUs once a pass, not once a chain.
 * Same returns as vq_push(). Call vq_publish_used() before
 * vq_should_notify(). Worker thread only.
 */
int vq_add_used(struct vq *q, const struct gmem *mem, uint16_t head,
		uint32_t len);
void vq_publish_used(struct vq *q);

/*
 * The number of chains the driver has made available and the device not
 * yet popped; -EIO when the queue is broken or the index moved by more
 * than the queue size (the queue is then broken). A cheap look at one
 * index, for a worker that polls. Worker thread only.
 */
int vq_avail_count(struct vq *q);

/*
 * After one or more vq_push(): whether the driver wants an interrupt now
 * (used_event with VIRTIO_F_EVENT_IDX, else the NO_INTERRUPT flag). Either
 * way the current used idx is recorded as decided, so the next call only
 * looks at later pushes (vhost's signalled_used). False on a broken queue.
 * Worker thread only.
 */
bool vq_should_notify(struct vq *q, const struct gmem *mem);

/*
 * With VIRTIO_F_EVENT_IDX, writes avail_event = last_avail_idx: "kick me
 * once you make anything past what I have consumed available". No-op
 * without it. Worker thread only.
 */
void vq_set_avail_event(struct vq *q, const struct gmem *mem);

/*
 * Asks the driver for kicks (avail_event, or clears USED_F_NO_NOTIFY), then
 * re-reads avail->idx to close the race with a driver that added buffers
 * before seeing the request. Returns 1 (buffers are available: pop them
 * instead of sleeping), 0 (empty: sleep until a kick) or -EIO (broken).
 * Worker thread only.
 */
int vq_enable_notification(struct vq *q, const struct gmem *mem);

/*
 * vq_pop() for a worker that drains with notifications off and sleeps
 * when the ring is empty: on an empty ring it asks for kicks again
 * (vq_enable_notification()) and pops once more if a chain slipped in
 * meanwhile, so that 0 means "empty, and the driver will kick". Same
 * returns as vq_pop(). Worker thread only.
 */
int vq_pop_or_rearm(struct vq *q, const struct gmem *mem, struct vq_chain *c);

/*
 * Asks the driver not to kick while the worker is draining (sets
 * USED_F_NO_NOTIFY; with VIRTIO_F_EVENT_IDX, avail_event simply stays
 * behind). Only a hint to the driver. Worker thread only.
 */
void vq_disable_notification(struct vq *q, const struct gmem *mem);

/*
 * Walks chain (head), popped earlier and not yet used, again into (c):
 * for a device that holds chains until the outside world acts, to
 * translate them afresh after the IOMMU took access away (vq_dma_stale()).
 * The chain stays in flight whatever happens, in the same place of the
 * ring. Returns 1, -EFAULT (now unmapped: push it empty, as after
 * vq_pop()), -EIO (broken) or -EINVAL (no IOMMU, or not in flight: a
 * device bug). Worker thread only.
 */
int vq_repop(struct vq *q, const struct gmem *mem, uint16_t head,
	     struct vq_chain *c);

/*
 * At the end of a worker pass, for a device whose queues (qs)[0..n-1]
 * (all served by this thread, all behind the same IOMMU, or none) may
 * hold translated chains: tells the IOMMU what they still hold
 * (vq_dma.release()): nothing when no chain is in flight, else, while
 * the IOMMU waits, the oldest generation held. No-op without an IOMMU.
 * Worker thread only.
 */
void vq_dma_pass_end(const struct vq *qs, unsigned int n);

/*
 * For a device that set DEVICE_NEEDS_RESET and whose host I/O has
 * drained: it will not touch the chains it still holds on (q) again, so
 * the IOMMU need not wait for them until the reset. Worker thread only.
 */
static inline void vq_dma_forget(const struct vq *q)
{
	if (q->dma)
		q->dma->release(q->dma->ctx, UINT64_MAX);
}

/*
 * Whether chain (head), in flight on (q), keeps the IOMMU waiting: it
 * waits, and the chain was translated before the current generation. A
 * device that holds chains until the outside world acts (a receive
 * buffer waiting for a frame) walks it afresh (vq_repop()).
 */
static inline bool vq_dma_stale(const struct vq *q, uint16_t head)
{
	return q->dma && head < q->size && atomic_load(q->dma->waiting) &&
	       q->epoch[head] < atomic_load(q->dma->epoch);
}

/* Whether queue (q) saw ring corruption and needs a device reset. */
static inline bool vq_is_broken(const struct vq *q)
{
	return q->broken;
}

#endif
