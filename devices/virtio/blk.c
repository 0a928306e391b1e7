// SPDX-License-Identifier: Apache-2.0
/* devices/virtio/blk.c: virtio block device on a raw image (virtio 1.2, 5.2). */
#include "blk.h"

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/fs.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "devices/virtio/blk_req.h"
#include "devices/virtio/queue.h"
#include "devices/virtio/worker.h"
#include "vmm/log.h"

/* Feature bits (5.2.3). */
#define VIRTIO_BLK_F_SEG_MAX		2
#define VIRTIO_BLK_F_RO			5
#define VIRTIO_BLK_F_BLK_SIZE		6
#define VIRTIO_BLK_F_FLUSH		9
#define VIRTIO_BLK_F_DISCARD		13
#define VIRTIO_BLK_F_WRITE_ZEROES	14


/*
 * Requests in flight on the host at once. A chain stays in the avail ring
 * until a slot is free, so a guest that posts more simply waits: the host
 * never holds more than this many parsed requests per disk.
 */
#define BLK_MAX_INFLIGHT	128
#define BLK_RING_ENTRIES	256	/* SQ: in-flight I/O plus kick reads */
#define BLK_BUDGET		64	/* chains popped per on_kick call */
/*
 * The worker's longest poll window. A driver that keeps a disk busy finds
 * its next request picked up without a kick (a kick wakes a sleeping
 * thread: ~20 us a round trip on our hosts instead of ~2); an idle disk
 * narrows the window to nothing (worker_adapt_poll). QEMU's default
 * poll-max-ns is 32 us.
 */
#define BLK_POLL_MAX_NS		50000
/* DISCARD / WRITE_ZEROES sizes we advertise: 4 KiB-aligned, 2 GiB max
 * per segment (the backend takes any length; this keeps one fallocate
 * per segment bounded). */
#define BLK_DWZ_MAX_SECTORS	(UINT32_C(1) << 22)
#define BLK_DWZ_ALIGN_SECTORS	8

/* Device configuration layout (5.2.4), little-endian as the guest reads
 * it. Fields past write_zeroes_may_unmap are not offered. */
struct virtio_blk_config {
	uint64_t capacity;		/* 512-byte sectors */
	uint32_t size_max;		/* VIRTIO_BLK_F_SIZE_MAX: not offered */
	uint32_t seg_max;		/* VIRTIO_BLK_F_SEG_MAX */
	uint16_t cylinders;		/* VIRTIO_BLK_F_GEOMETRY: not offered */
	uint8_t heads;
	uint8_t sectors;
	uint32_t blk_size;		/* VIRTIO_BLK_F_BLK_SIZE */
	uint8_t physical_block_exp;	/* VIRTIO_BLK_F_TOPOLOGY: not offered */
	uint8_t alignment_offset;
	uint16_t min_io_size;
	uint32_t opt_io_size;
	uint8_t writeback;		/* VIRTIO_BLK_F_CONFIG_WCE: not offered */
	uint8_t unused0;
	uint16_t num_queues;		/* VIRTIO_BLK_F_MQ: not offered */
	uint32_t max_discard_sectors;	/* VIRTIO_BLK_F_DISCARD */
	uint32_t max_discard_seg;
	uint32_t discard_sector_alignment;
	uint32_t max_write_zeroes_sectors;	/* VIRTIO_BLK_F_WRITE_ZEROES */
	uint32_t max_write_zeroes_seg;
	uint8_t write_zeroes_may_unmap;
	uint8_t unused1[3];
} __attribute__((packed));
_Static_assert(sizeof(struct virtio_blk_config) == 60, "5.2.4 layout");

/* What the one SQE a slot has in flight is doing. */
enum blk_stage {
	BLK_STAGE_RW,		/* readv / writev of the data */
	BLK_STAGE_SYNC,		/* fdatasync: FLUSH, or write-through */
	BLK_STAGE_FALLOC,	/* one DISCARD / WRITE_ZEROES segment */
};

/* One request between pop and push. Worker thread only. */
struct blk_slot {
	struct blk_req req;	/* parsed; data[] advanced on short I/O */
	uint16_t head;		/* chain id for vq_push() */
	bool busy;		/* holds a request */
	enum blk_stage stage;	/* what is in flight */
	unsigned int first;	/* first data[] entry not yet transferred */
	uint64_t done;		/* data bytes transferred so far */
	unsigned int seg;	/* next req.seg[] to execute */
	uint32_t used_len;	/* bytes the device wrote into the chain */
};

/* Firecracker's "block" metrics (the ones ignis has a meaning for). */
#define BLK_METRICS(X)                                                        \
	X(read_count) X(write_count) X(flush_count) X(read_bytes)             \
	X(write_bytes) X(invalid_reqs_count) X(execute_fails)                 \
	X(queue_event_count)
METRICS_STRUCT(blk_metrics, BLK_METRICS);
static const char *const blk_metric_names[] = { BLK_METRICS(METRIC_NAME) };

struct blk {
	struct vdev vdev;		/* the transport's view; priv = this */
	const struct gmem *mem;		/* guest RAM, not owned */
	int fd;				/* the image */
	_Atomic uint64_t capacity;	/* sectors: a new image changes it
					 * under the worker */
	struct virtio_blk_config config;	/* what the guest reads */
	char id[VIRTIO_BLK_ID_BYTES];	/* GET_ID answer, NUL-padded */
	char thread_name[16];		/* "virtio-blkN" */
	bool read_only;			/* opened O_RDONLY */
	bool active;			/* worker serving (transport lock) */
	/* Worker thread only, from activate to reset: */
	bool needs_reset;		/* error seen: serve nothing */
	bool write_through;		/* FLUSH not negotiated: sync writes */
	bool stalled;			/* chains left waiting for a slot */
	bool pushed;			/* used entries not yet published */
	bool kicks_off;			/* the driver was asked not to kick */
	bool zero_range;		/* FALLOC_FL_ZERO_RANGE still tried */
	unsigned int nr_free;		/* free slots */
	struct blk_req_limits lim;	/* negotiated, for the parser */
	struct vq vq;			/* requestq */
	struct vq_chain chain;		/* scratch for vq_pop() */
	struct blk_slot *slots;		/* [BLK_MAX_INFLIGHT] */
	struct worker worker;		/* the device's thread */
	/* A new image for the running disk (blk_update_image()): */
	pthread_mutex_t swap_lock;	/* over fd and config */
	bool direct;			/* opened O_DIRECT */
	struct blk_metrics metrics;	/* worker adds, VMM flushes */
	struct metrics_group metrics_group;
};

static const uint8_t blk_opcodes[] = {
	IORING_OP_READV, IORING_OP_WRITEV, IORING_OP_FSYNC,
	IORING_OP_FALLOCATE,
};

static struct blk *to_blk(struct vdev *d)
{
	return d->priv;
}

/* Device error on the worker thread: serve nothing until a reset (2.1.2). */
static void blk_fail(struct blk *b, const char *why)
{
	if (b->needs_reset)
		return;
	b->needs_reset = true;
	log_debug("blk: %s, device needs reset", why);
	vdev_set_needs_reset(&b->vdev);
}

/* Writes (status) and returns the chain; frees its slot. */
/* Counts a request that ends with (status). */
static void blk_count(struct blk *b, const struct blk_req *req, uint8_t status)
{
	struct blk_metrics *m = &b->metrics;

	if (status == VIRTIO_BLK_S_UNSUPP) {
		metric_inc(&m->invalid_reqs_count);
	} else if (status != VIRTIO_BLK_S_OK) {
		metric_inc(&m->execute_fails);
	} else if (req->type == VIRTIO_BLK_T_IN) {
		metric_inc(&m->read_count);
		metric_add(&m->read_bytes, req->data_len);
	} else if (req->type == VIRTIO_BLK_T_OUT) {
		metric_inc(&m->write_count);
		metric_add(&m->write_bytes, req->data_len);
	} else if (req->type == VIRTIO_BLK_T_FLUSH) {
		metric_inc(&m->flush_count);
	}
}

static void blk_complete(struct blk *b, struct blk_slot *s, uint8_t status)
{
	blk_count(b, &s->req, status);
	*s->req.status = status;
	s->busy = false;
	b->nr_free++;
	/* Published once per pass, in blk_on_pass_end(). */
	if (vq_add_used(&b->vq, b->mem, s->head, s->used_len))
		blk_fail(b, "requestq push failed");
	b->pushed = true;
}

static uint64_t slot_tag(const struct blk *b, const struct blk_slot *s)
{
	return WORKER_TAG_DEVICE + (uint64_t)(s - b->slots);
}

/* After io_uring_prep_*(), which clears the flags: the ring only takes
 * registered files, and the tag finds the slot again. */
static void blk_sqe_mark(struct blk *b, struct blk_slot *s,
			 struct io_uring_sqe *sqe)
{
	sqe->flags |= IOSQE_FIXED_FILE;
	io_uring_sqe_set_data64(sqe, slot_tag(b, s));
}

/* Readv or writev of the data not transferred yet. */
static int blk_submit_rw(struct blk *b, struct blk_slot *s)
{
	struct io_uring_sqe *sqe = worker_sqe(&b->worker);
	uint64_t off = (s->req.sector << BLK_SECTOR_SHIFT) + s->done;
	unsigned int nr = s->req.nr_data - s->first;

	if (!sqe)
		return -EBUSY;
	if (s->req.type == VIRTIO_BLK_T_IN)
		io_uring_prep_readv(sqe, WORKER_FILE_BACKEND,
				    &s->req.data[s->first], nr, off);
	else
		io_uring_prep_writev(sqe, WORKER_FILE_BACKEND,
				     &s->req.data[s->first], nr, off);
	blk_sqe_mark(b, s, sqe);
	s->stage = BLK_STAGE_RW;
	return 0;
}

static int blk_submit_sync(struct blk *b, struct blk_slot *s)
{
	struct io_uring_sqe *sqe = worker_sqe(&b->worker);

	if (!sqe)
		return -EBUSY;
	io_uring_prep_fsync(sqe, WORKER_FILE_BACKEND, IORING_FSYNC_DATASYNC);
	blk_sqe_mark(b, s, sqe);
	s->stage = BLK_STAGE_SYNC;
	return 0;
}

/*
 * The next non-empty DISCARD / WRITE_ZEROES segment as one fallocate.
 * Returns 1 when submitted, 0 when no segment is left, -EBUSY.
 * Discard punches a hole; write-zeroes zeroes the range in place, or
 * punches when the driver allows unmapping (or the file system cannot
 * zero a range): either way later reads return zeroes (5.2.6.1).
 */
static int blk_submit_falloc(struct blk *b, struct blk_slot *s)
{
	const int punch = FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE;
	const struct virtio_blk_dwz_seg *g;
	struct io_uring_sqe *sqe;
	int mode = punch;

	while (s->seg < s->req.nr_seg && !s->req.seg[s->seg].num_sectors)
		s->seg++;
	if (s->seg == s->req.nr_seg)
		return 0;
	g = &s->req.seg[s->seg];
	if (s->req.type == VIRTIO_BLK_T_WRITE_ZEROES && b->zero_range &&
	    !(g->flags & VIRTIO_BLK_WZ_F_UNMAP))
		mode = FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE;
	sqe = worker_sqe(&b->worker);
	if (!sqe)
		return -EBUSY;
	io_uring_prep_fallocate(sqe, WORKER_FILE_BACKEND, mode,
				g->sector << BLK_SECTOR_SHIFT,
				(uint64_t)g->num_sectors << BLK_SECTOR_SHIFT);
	blk_sqe_mark(b, s, sqe);
	s->stage = BLK_STAGE_FALLOC;
	return 1;
}

/* Writes the GET_ID string into the request's data buffers. */
static void blk_get_id(struct blk *b, struct blk_slot *s)
{
	uint32_t copied = 0;

	for (unsigned int i = 0; i < s->req.nr_data; i++) {
		size_t n = s->req.data[i].iov_len;

		if (n > VIRTIO_BLK_ID_BYTES - copied)
			n = VIRTIO_BLK_ID_BYTES - copied;
		memcpy(s->req.data[i].iov_base, b->id + copied, n);
		copied += (uint32_t)n;
	}
	s->used_len = copied + 1;
}

/*
 * Starts a parsed request on slot (s): submits its first SQE or answers
 * it at once. Without an SQE it is answered IOERR rather than held, which
 * cannot happen: in-flight slots are fewer than SQ entries.
 */
static void blk_start(struct blk *b, struct blk_slot *s)
{
	int ret = 0;

	s->first = 0;
	s->done = 0;
	s->seg = 0;
	s->used_len = 1;
	switch (s->req.type) {
	case VIRTIO_BLK_T_IN:
	case VIRTIO_BLK_T_OUT:
		if (!s->req.data_len) {
			blk_complete(b, s, VIRTIO_BLK_S_OK);
			return;
		}
		ret = blk_submit_rw(b, s);
		break;
	case VIRTIO_BLK_T_FLUSH:
		ret = blk_submit_sync(b, s);
		break;
	case VIRTIO_BLK_T_GET_ID:
		blk_get_id(b, s);
		blk_complete(b, s, VIRTIO_BLK_S_OK);
		return;
	case VIRTIO_BLK_T_DISCARD:
	case VIRTIO_BLK_T_WRITE_ZEROES:
		ret = blk_submit_falloc(b, s);
		if (ret == 0) {
			blk_complete(b, s, VIRTIO_BLK_S_OK);
			return;
		}
		ret = ret > 0 ? 0 : ret;
		break;
	default:	/* the parser let nothing else through */
		blk_complete(b, s, VIRTIO_BLK_S_UNSUPP);
		return;
	}
	if (ret) {
		log_debug("blk: no SQE for a request");
		blk_complete(b, s, VIRTIO_BLK_S_IOERR);
	}
}

static struct blk_slot *blk_free_slot(struct blk *b)
{
	for (unsigned int i = 0; i < BLK_MAX_INFLIGHT; i++)
		if (!b->slots[i].busy)
			return &b->slots[i];
	return NULL;
}

/*
 * Pops and starts up to BLK_BUDGET chains. Returns > 0 if the budget ran
 * out with chains left, 0 otherwise (ring empty, broken, or every slot
 * busy: then b->stalled and on_pass_end resumes once a slot frees).
 */
static int blk_process(struct blk *b)
{
	unsigned int n = 0;

	b->stalled = false;
	if (!b->kicks_off) {
		/* No kicks while draining and polling: blk_idle() re-arms. */
		vq_disable_notification(&b->vq, b->mem);
		b->kicks_off = true;
	}
	while (!b->needs_reset) {
		struct blk_slot *s;
		int ret;

		if (n == BLK_BUDGET)
			return 1;
		if (!b->nr_free) {
			b->stalled = true;
			return 0;
		}
		ret = vq_pop(&b->vq, b->mem, &b->chain);
		if (ret == 0)
			return 0;	/* notifications: blk_idle() */
		if (ret == -EFAULT) {
			/* Behind the iommu, a buffer is not mapped (the
			 * iommu reports it): the request fails, with IOERR
			 * when the status byte itself translates, since
			 * Linux reads that byte whatever the used length. */
			uint32_t len = 0;

			if (b->chain.fault_tail) {
				*b->chain.fault_tail = VIRTIO_BLK_S_IOERR;
				len = 1;
			}
			n++;
			if (vq_add_used(&b->vq, b->mem, b->chain.head, len))
				blk_fail(b, "requestq push failed");
			b->pushed = true;
			continue;
		}
		if (ret < 0) {
			blk_fail(b, "requestq broken");
			return 0;
		}
		n++;
		s = blk_free_slot(b);
		if (!s) {	/* nr_free said otherwise: a device bug */
			blk_fail(b, "slot accounting");
			return 0;
		}
		s->busy = true;
		b->nr_free--;
		s->head = b->chain.head;
		ret = blk_req_parse(&b->chain, atomic_load(&b->capacity), &b->lim,
				    &s->req);
		if (ret == -EINVAL) {
			/* No status byte to write: give the chain back empty. */
			s->busy = false;
			b->nr_free++;
			if (vq_add_used(&b->vq, b->mem, s->head, 0))
				blk_fail(b, "requestq push failed");
			b->pushed = true;
			continue;
		}
		if (ret != VIRTIO_BLK_S_OK) {
			s->used_len = 1;
			blk_complete(b, s, (uint8_t)ret);
			continue;
		}
		blk_start(b, s);
	}
	return 0;
}

static int blk_on_kick(void *ctx, unsigned int queue)
{
	struct blk *b = ctx;

	(void)queue;	/* only requestq */
	metric_inc(&b->metrics.queue_event_count);
	if (b->needs_reset)
		return 0;	/* drained and ignored until reset */
	return blk_process(b);
}

/* Drops the data[] entries a short transfer of (n) bytes consumed. */
static void blk_advance(struct blk_slot *s, uint64_t n)
{
	s->done += n;
	while (n && s->first < s->req.nr_data) {
		struct iovec *v = &s->req.data[s->first];

		if (n < v->iov_len) {
			v->iov_base = (uint8_t *)v->iov_base + n;
			v->iov_len -= n;
			return;
		}
		n -= v->iov_len;
		s->first++;
	}
}

/* The slot's SQE completed with (res): next stage or completion. */
static void blk_on_result(struct blk *b, struct blk_slot *s, int res)
{
	int ret;

	if (res < 0) {
		if (res == -EOPNOTSUPP && s->stage == BLK_STAGE_FALLOC &&
		    b->zero_range) {
			/* This file system cannot zero a range: punch. */
			b->zero_range = false;
			ret = blk_submit_falloc(b, s);
			if (ret > 0)
				return;
		}
		log_debug("blk: request type %" PRIu32 " failed: %s",
			  s->req.type, strerror(-res));
		blk_complete(b, s, VIRTIO_BLK_S_IOERR);
		return;
	}
	switch (s->stage) {
	case BLK_STAGE_RW:
		if (res == 0) {	/* EOF inside capacity: truncated image */
			blk_complete(b, s, VIRTIO_BLK_S_IOERR);
			return;
		}
		blk_advance(s, (uint64_t)res);
		if (s->done < s->req.data_len) {
			ret = blk_submit_rw(b, s);
			break;
		}
		if (s->req.type == VIRTIO_BLK_T_IN) {
			s->used_len = (uint32_t)s->req.data_len + 1;
		} else if (b->write_through) {
			ret = blk_submit_sync(b, s);
			break;
		}
		blk_complete(b, s, VIRTIO_BLK_S_OK);
		return;
	case BLK_STAGE_FALLOC:
		s->seg++;
		ret = blk_submit_falloc(b, s);
		if (ret > 0)
			return;
		if (ret == 0 && b->write_through) {
			ret = blk_submit_sync(b, s);
			break;
		}
		if (ret == 0) {
			blk_complete(b, s, VIRTIO_BLK_S_OK);
			return;
		}
		break;
	case BLK_STAGE_SYNC:
	default:
		blk_complete(b, s, VIRTIO_BLK_S_OK);
		return;
	}
	if (ret)
		blk_complete(b, s, VIRTIO_BLK_S_IOERR);
}

static int blk_on_cqe(void *ctx, const struct io_uring_cqe *cqe)
{
	struct blk *b = ctx;
	uint64_t i = io_uring_cqe_get_data64(cqe) - WORKER_TAG_DEVICE;

	if (i >= BLK_MAX_INFLIGHT || !b->slots[i].busy)
		return -EINVAL;	/* not ours: a runtime bug */
	if (b->needs_reset || worker_stopping(&b->worker)) {
		/* The queue is dead, or the device is being reset: retire
		 * the slot, answer nothing. */
		b->slots[i].busy = false;
		b->nr_free++;
		return 0;
	}
	blk_on_result(b, &b->slots[i], cqe->res);
	return 0;
}

/* One interrupt per pass for everything completed in it; resume popping
 * if chains waited for a slot. */
static void blk_on_pass_end(void *ctx)
{
	struct blk *b = ctx;

	if (b->stalled && b->nr_free && !b->needs_reset)
		blk_process(b);
	if (b->pushed) {
		vq_publish_used(&b->vq);
		if (vq_should_notify(&b->vq, b->mem))
			vdev_raise_irq(&b->vdev, VDEV_INT_USED);
		b->pushed = false;
	}
	if (b->needs_reset && b->nr_free == BLK_MAX_INFLIGHT)
		vq_dma_forget(&b->vq);
	else
		vq_dma_pass_end(&b->vq, 1);
}

/* Chains to pop, unless every slot is busy (then a completion, not the
 * driver, is what the worker waits for). */
static uint32_t blk_poll(void *ctx)
{
	struct blk *b = ctx;

	if (b->needs_reset || !b->nr_free)
		return 0;
	return vq_avail_count(&b->vq) != 0;	/* -EIO too: pop reports it */
}

/* The worker is about to sleep: ask the driver for kicks again (they stay
 * off while the worker drains and polls), then look once more. */
static uint32_t blk_idle(void *ctx)
{
	struct blk *b = ctx;
	int ret;

	if (b->needs_reset)
		return 0;
	ret = vq_enable_notification(&b->vq, b->mem);
	b->kicks_off = false;
	if (ret < 0) {
		blk_fail(b, "requestq broken");
		return 0;
	}
	return ret > 0 && b->nr_free;
}

/* A reset waits for the host I/O still in flight: an O_DIRECT read in
 * particular would otherwise land in guest RAM after the reset (2.4.1). */
static bool blk_in_flight(void *ctx)
{
	const struct blk *b = ctx;

	return b->nr_free < BLK_MAX_INFLIGHT;
}

static const struct worker_ops blk_worker_ops = {
	.on_kick = blk_on_kick,
	.on_cqe = blk_on_cqe,
	.on_pass_end = blk_on_pass_end,
	.in_flight = blk_in_flight,
	.poll = blk_poll,
	.idle = blk_idle,
};

static int blk_config_rw(struct vdev *d, uint32_t off, void *buf,
			 uint32_t len, bool write)
{
	struct blk *b = to_blk(d);

	/* Nothing is writable without VIRTIO_BLK_F_CONFIG_WCE. The lock:
	 * a new image changes the capacity under a reading vCPU. */
	if (!write) {
		pthread_mutex_lock(&b->swap_lock);
		memcpy(buf, (const uint8_t *)&b->config + off, len);
		pthread_mutex_unlock(&b->swap_lock);
	}
	return 0;
}

/* DRIVER_OK (transport lock held): freeze requestq, let the worker serve
 * it. */
static int blk_activate(struct vdev *d)
{
	struct blk *b = to_blk(d);
	int ret;

	if (b->active)
		return -EBUSY;
	ret = vdev_queue_init(d, 0, &b->vq, b->mem);
	if (ret)
		return ret;
	b->lim = (struct blk_req_limits){
		.read_only = b->read_only,
		.flush = vdev_negotiated(d, VIRTIO_BLK_F_FLUSH),
		.discard = vdev_negotiated(d, VIRTIO_BLK_F_DISCARD),
		.write_zeroes = vdev_negotiated(d, VIRTIO_BLK_F_WRITE_ZEROES),
		.max_discard_seg = le32toh(b->config.max_discard_seg),
		.max_write_zeroes_seg = le32toh(b->config.max_write_zeroes_seg),
	};
	/* "If VIRTIO_BLK_F_FLUSH is not negotiated, the device SHOULD
	 * ensure that all writes are committed to non-volatile storage
	 * before reporting completion" (5.2.6.2). */
	b->write_through = !b->lim.flush;
	b->needs_reset = false;
	b->stalled = false;
	b->pushed = false;
	b->kicks_off = false;
	b->zero_range = true;
	b->nr_free = BLK_MAX_INFLIGHT;
	memset(b->slots, 0, BLK_MAX_INFLIGHT * sizeof(*b->slots));
	ret = worker_activate(&b->worker);
	if (ret) {
		b->vq = (struct vq){ 0 };
		return ret;
	}
	b->active = true;
	return 0;
}

static void blk_stop(struct blk *b)
{
	int ret;

	if (!b->active)
		return;
	/* The worker retires every request still in flight before it goes
	 * idle (blk_in_flight), so no host I/O lands after the reset. */
	ret = worker_deactivate(&b->worker);
	b->active = false;
	if (ret)
		log_warn("blk: worker ended with %d", ret);
	b->vq = (struct vq){ 0 };
}

static void blk_reset(struct vdev *d)
{
	blk_stop(to_blk(d));
}

static const struct vdev_ops blk_ops = {
	.name = "blk",
	.device_id = BLK_DEVICE_ID,
	.nr_queues = 1,
	.max_queue_size = BLK_QUEUE_SIZE,
	/* Every disk's; a read-only one, or one whose file punches holes,
	 * adds its own (vdev.offered, blk_fill_config()). */
	.features = VDEV_BIT(VIRTIO_BLK_F_SEG_MAX) |
		    VDEV_BIT(VIRTIO_BLK_F_BLK_SIZE) |
		    VDEV_BIT(VIRTIO_BLK_F_FLUSH) |
		    VDEV_BIT(VDEV_F_INDIRECT_DESC) | VDEV_BIT(VDEV_F_EVENT_IDX),
	.config_size = sizeof(struct virtio_blk_config),
	.config_rw = blk_config_rw,
	.activate = blk_activate,
	.reset = blk_reset,
};

/* The image's size in bytes: a regular file or a block device. */
static int blk_image_size(int fd, uint64_t *size)
{
	struct stat st;

	if (fstat(fd, &st))
		return -errno;
	if (S_ISREG(st.st_mode)) {
		*size = (uint64_t)st.st_size;
		return 0;
	}
	if (S_ISBLK(st.st_mode))
		return ioctl(fd, BLKGETSIZE64, size) ? -errno : 0;
	return -EINVAL;
}

/*
 * Opens the image at (path) as a disk does: read-only or not, O_DIRECT
 * or not, locked against other writers, at least one sector. 0 with
 * (*fd) and its size in bytes, or -errno with "<path>: <reason>" in
 * (why).
 */
static int blk_open_image(const char *path, bool read_only, bool direct,
			  int *fd, uint64_t *size, char *why, size_t len)
{
	int flags = O_CLOEXEC | (read_only ? O_RDONLY : O_RDWR) |
		    (direct ? O_DIRECT : 0);
	int ret;

	*fd = open(path, flags);
	if (*fd < 0) {
		ret = -errno;
		snprintf(why, len, "%s: %s", path, strerror(errno));
		return ret;
	}
	/* Two VMs writing one image corrupt it: refuse, as QEMU does. */
	if (flock(*fd, (read_only ? LOCK_SH : LOCK_EX) | LOCK_NB)) {
		ret = -errno;
		snprintf(why, len, "%s: in use by another process (%s)", path,
			 strerror(errno));
		goto err;
	}
	ret = blk_image_size(*fd, size);
	if (ret == -EINVAL)
		snprintf(why, len, "%s: not a regular file or block device",
			 path);
	else if (ret)
		snprintf(why, len, "%s: %s", path, strerror(-ret));
	else if (*size < BLK_SECTOR_SIZE) {
		snprintf(why, len, "%s: smaller than one 512-byte sector",
			 path);
		ret = -EINVAL;
	}
	if (!ret)
		return 0;
err:
	close(*fd);
	*fd = -1;
	return ret;
}

/* Whether the file punches holes: a probe past the end, which with
 * KEEP_SIZE changes nothing. */
static bool blk_can_punch(int fd, uint64_t size)
{
	uint64_t end = (size + 4095) & ~UINT64_C(4095);

	return !fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			  (off_t)end, 4096);
}

static void blk_default_id(struct blk *b)
{
	struct stat st;
	char id[64];

	if (fstat(b->fd, &st))
		memset(&st, 0, sizeof(st));
	/* Stable for one image on one host, as Firecracker's dev/rdev/ino. */
	snprintf(id, sizeof(id), "%" PRIx64 "%" PRIx64 "%" PRIx64,
		 (uint64_t)st.st_dev, (uint64_t)st.st_rdev,
		 (uint64_t)st.st_ino);
	memset(b->id, 0, sizeof(b->id));
	memcpy(b->id, id, strnlen(id, sizeof(b->id)));
}

static void blk_fill_config(struct blk *b, bool punch)
{
	struct virtio_blk_config *c = &b->config;

	c->capacity = htole64(b->capacity);
	c->seg_max = htole32(BLK_REQ_MAX_SEGS - 2);	/* header, status */
	c->blk_size = htole32(BLK_SECTOR_SIZE);
	if (b->read_only) {
		b->vdev.offered = VDEV_BIT(VIRTIO_BLK_F_RO);
		return;
	}
	if (!punch)
		return;
	b->vdev.offered = VDEV_BIT(VIRTIO_BLK_F_DISCARD) |
			  VDEV_BIT(VIRTIO_BLK_F_WRITE_ZEROES);
	c->max_discard_sectors = htole32(BLK_DWZ_MAX_SECTORS);
	c->max_discard_seg = htole32(BLK_REQ_MAX_DWZ_SEGS);
	c->discard_sector_alignment = htole32(BLK_DWZ_ALIGN_SECTORS);
	c->max_write_zeroes_sectors = htole32(BLK_DWZ_MAX_SECTORS);
	c->max_write_zeroes_seg = htole32(BLK_REQ_MAX_DWZ_SEGS);
	c->write_zeroes_may_unmap = 1;
}

/* The thread and its ring, idle until DRIVER_OK, on the image opened. */
static int blk_create_worker(struct blk *b, const int *kick_fds)
{
	const struct worker_config cfg = {
		.name = b->thread_name,
		.cls = JAIL_BLK,
		.nr_kick_fds = 1,
		.kick_fds = kick_fds,
		.backend_fd = b->fd,
		.opcodes = blk_opcodes,
		.nr_opcodes = sizeof(blk_opcodes),
		.entries = BLK_RING_ENTRIES,
		.poll_max_ns = BLK_POLL_MAX_NS,
		.swappable_backend = true,
	};
	int ret = worker_create(&b->worker, &cfg, &blk_worker_ops, b);

	if (ret)
		log_error("%s: cannot create the worker: %s", b->thread_name,
			  strerror(-ret));
	return ret;
}

int blk_create(const struct gmem *mem, const int *kick_fds,
	       const struct blk_params *p, struct vdev **out)
{
	char why[320];
	uint64_t size;
	struct blk *b;
	int ret;

	if (!mem || !kick_fds || kick_fds[0] < 0 || !p || !p->path || !out)
		return -EINVAL;
	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	b->slots = calloc(BLK_MAX_INFLIGHT, sizeof(*b->slots));
	if (!b->slots) {
		ret = -ENOMEM;
		goto err_free;
	}
	b->read_only = p->read_only;
	b->direct = p->direct;
	ret = blk_open_image(p->path, p->read_only, p->direct, &b->fd, &size,
			     why, sizeof(why));
	if (ret) {
		log_error("disk %s", why);
		goto err_free;
	}
	b->capacity = size >> BLK_SECTOR_SHIFT;
	if (size % BLK_SECTOR_SIZE)
		log_warn("disk %s: the last %u bytes (not a whole sector) are "
			 "not visible to the guest", p->path,
			 (unsigned int)(size % BLK_SECTOR_SIZE));
	if (p->id) {
		memset(b->id, 0, sizeof(b->id));
		memcpy(b->id, p->id, strnlen(p->id, sizeof(b->id)));
	} else {
		blk_default_id(b);
	}
	blk_fill_config(b, !p->read_only && blk_can_punch(b->fd, size));
	snprintf(b->thread_name, sizeof(b->thread_name), "virtio-blk%u",
		 p->index % 100);
	b->vdev.ops = &blk_ops;
	b->vdev.priv = b;
	METRICS_GROUP_INIT(&b->metrics_group, "block", blk_metric_names,
			   &b->metrics);
	b->vdev.metrics = &b->metrics_group;
	b->mem = mem;
	ret = blk_create_worker(b, kick_fds);
	if (ret)
		goto err_close;
	pthread_mutex_init(&b->swap_lock, NULL);
	*out = &b->vdev;
	return 0;

err_close:
	flock(b->fd, LOCK_UN);
	close(b->fd);
err_free:
	free(b->slots);
	free(b);
	return ret;
}

void blk_destroy(struct vdev *d)
{
	struct blk *b;
	int ret;

	if (!d)
		return;
	b = to_blk(d);
	blk_stop(b);
	ret = worker_destroy(&b->worker);
	if (ret)
		log_warn("blk: worker ended with %d", ret);
	/* The ring's file table may hold the file a little longer (its
	 * teardown is asynchronous): release the image for others now. */
	flock(b->fd, LOCK_UN);
	close(b->fd);
	pthread_mutex_destroy(&b->swap_lock);
	free(b->slots);
	free(b);
}

int blk_update_image(struct vdev *d, const char *path, char *why, size_t len)
{
	struct blk *b = to_blk(d);
	uint64_t size;
	int fd, old, ret;

	ret = blk_open_image(path, b->read_only, b->direct, &fd, &size, why,
			     len);
	if (ret)
		return ret;
	pthread_mutex_lock(&b->swap_lock);
	/* The worker's ring, serving or idle, holds the file in its table:
	 * requests submitted from now on take the new one, those in flight
	 * finish on the old one, which they hold. */
	ret = worker_set_backend(&b->worker, fd);
	if (!ret) {
		old = b->fd;
		b->fd = fd;
		atomic_store(&b->capacity, size >> BLK_SECTOR_SHIFT);
		b->config.capacity = htole64(size >> BLK_SECTOR_SHIFT);
	} else {
		old = fd;
		snprintf(why, len, "%s: %s", path, strerror(-ret));
	}
	pthread_mutex_unlock(&b->swap_lock);
	flock(old, LOCK_UN);
	close(old);
	/* "The device MUST ... send a configuration change notification"
	 * for the new capacity (virtio 1.2, 2.5.1 and 5.2.4). */
	if (!ret)
		vdev_config_changed(&b->vdev);
	return ret;
}
