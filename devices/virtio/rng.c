/* SPDX-License-Identifier: Apache-2.0 */
/* devices/virtio/rng.c: virtio entropy device (virtio 1.2, 5.4). */
#include "rng.h"

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <sys/random.h>

#include "devices/virtio/queue.h"
#include "devices/virtio/worker.h"
#include "vmm/log.h"

/* Firecracker's "entropy" metrics. */
#define RNG_METRICS(X)                                                        \
	X(entropy_event_count) X(entropy_bytes) X(host_rng_fails)             \
	X(entropy_event_fails)
METRICS_STRUCT(rng_metrics, RNG_METRICS);
static const char *const rng_metric_names[] = { RNG_METRICS(METRIC_NAME) };

struct rng {
	struct vdev vdev; /* the transport's view; priv = this */
	const struct gmem *mem; /* guest RAM, not owned */
	bool active; /* worker serving (transport lock) */
	bool needs_reset; /* worker: error seen, serve nothing */
	struct vq vq; /* requestq; worker only once active */
	struct vq_chain chain; /* worker: the chain being answered */
	struct worker worker; /* the device's thread */
	struct rng_metrics metrics; /* worker adds, VMM flushes */
	struct metrics_group metrics_group;
};

_Static_assert(RNG_QUEUE_SIZE <= VQ_MAX_SIZE, "requestq too large");

static struct rng *to_rng(struct vdev *d)
{
	return d->priv;
}

/* Device error on the worker thread: the device needs a reset (2.1.2);
 * the queue is not touched again until then. */
static void rng_fail(struct rng *r, const char *why)
{
	if (r->needs_reset)
		return;
	r->needs_reset = true;
	log_debug("rng: %s, device needs reset", why);
	vdev_set_needs_reset(&r->vdev);
}

/* Fills (len) bytes at (p) from getrandom(2), looping on short reads and
 * EINTR. 0 or -errno. */
static int rng_getrandom(void *p, size_t len)
{
	unsigned char *b = p;

	while (len) {
		ssize_t n = getrandom(b, len, 0);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		b += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * Fills the writable buffers of (c), in order, up to RNG_MAX_CHAIN_BYTES.
 * Readable buffers are skipped: "The driver MUST NOT place driver-readable
 * buffers into the queue" (5.4.6.1) gives the device no rule, and ignoring
 * them harms nothing. Returns the bytes written or -errno.
 */
static int64_t rng_fill(const struct vq_chain *c)
{
	uint32_t done = 0;

	for (unsigned int i = 0; i < c->nr && done < RNG_MAX_CHAIN_BYTES; i++) {
		const struct vq_buf *b = &c->bufs[i];
		uint32_t n = b->len;
		int ret;

		if (!b->writable)
			continue;
		if (n > RNG_MAX_CHAIN_BYTES - done)
			n = RNG_MAX_CHAIN_BYTES - done;
		ret = rng_getrandom(b->addr, n);
		if (ret)
			return ret;
		done += n;
	}
	return done;
}

/*
 * Worker thread: answers up to RNG_BUDGET chains. Notifications stay
 * disabled while draining; re-enabling re-checks the ring, so a chain
 * published in between is not left waiting for a kick that will not come.
 */
static int rng_on_kick(void *ctx, unsigned int queue)
{
	struct rng *r = ctx;
	const struct gmem *mem = r->mem;
	unsigned int done = 0;
	int more = 0;

	(void)queue; /* only requestq */
	metric_inc(&r->metrics.entropy_event_count);
	if (r->needs_reset)
		return 0; /* kicks after an error are drained and ignored */
	vq_disable_notification(&r->vq, mem);
	for (;;) {
		int64_t len;
		int ret;

		if (done == RNG_BUDGET) {
			more = 1;
			break;
		}
		ret = vq_pop_or_rearm(&r->vq, mem, &r->chain);
		if (ret == 0)
			break;
		if (ret == -EFAULT) {
			/* Behind the iommu, the buffer is not mapped: none
			 * filled (the iommu reports the fault). */
			metric_inc(&r->metrics.entropy_event_fails);
			ret = vq_push(&r->vq, mem, r->chain.head, 0);
			if (ret) {
				rng_fail(r, "requestq push failed");
				break;
			}
			done++;
			continue;
		}
		if (ret < 0) {
			rng_fail(r, "requestq broken");
			break;
		}
		len = rng_fill(&r->chain);
		if (len < 0) {
			/* A host failure (seccomp, say), not the guest's. */
			log_warn("rng: getrandom: %d", (int)len);
			metric_inc(&r->metrics.host_rng_fails);
			rng_fail(r, "no entropy");
			break;
		}
		if (vq_push(&r->vq, mem, r->chain.head, (uint32_t)len)) {
			rng_fail(r, "requestq push failed");
			break;
		}
		metric_add(&r->metrics.entropy_bytes, (uint64_t)len);
		done++;
	}
	if (done && vq_should_notify(&r->vq, mem))
		vdev_raise_irq(&r->vdev, VDEV_INT_USED);
	return r->needs_reset ? 0 : more;
}

/* Every chain is answered within on_kick: none is held past a pass. */
static void rng_on_pass_end(void *ctx)
{
	struct rng *r = ctx;

	if (r->needs_reset)
		vq_dma_forget(&r->vq);	/* the chain it failed on */
	else
		vq_dma_pass_end(&r->vq, 1);
}

static const struct worker_ops rng_worker_ops = {
	.on_kick = rng_on_kick,
	.on_pass_end = rng_on_pass_end,
};

/* DRIVER_OK (transport lock held): freeze requestq, let the worker serve
 * it. */
static int rng_activate(struct vdev *d)
{
	struct rng *r = to_rng(d);
	int ret;

	if (r->active)
		return -EBUSY; /* the transport resets before re-activating */
	ret = vdev_queue_init(d, 0, &r->vq, r->mem);
	if (ret)
		return ret;
	r->needs_reset = false;
	ret = worker_activate(&r->worker);
	if (ret) {
		r->vq = (struct vq){ 0 };
		return ret;
	}
	r->active = true;
	return 0;
}

/* Makes the worker idle if it serves; forgets the queue. */
static void rng_stop(struct rng *r)
{
	int ret;

	if (!r->active)
		return;
	ret = worker_deactivate(&r->worker);
	if (ret)
		log_warn("rng: worker ended with %d", ret);
	r->active = false;
	r->needs_reset = false;
	r->vq = (struct vq){ 0 };
}

static void rng_reset(struct vdev *d)
{
	rng_stop(to_rng(d));
}

static const struct vdev_ops rng_ops = {
	.name = "rng",
	.device_id = RNG_DEVICE_ID,
	.nr_queues = 1,
	.max_queue_size = RNG_QUEUE_SIZE,
	/* Ring features only; the transport adds VERSION_1. */
	.features = VDEV_BIT(VDEV_F_EVENT_IDX) | VDEV_BIT(VDEV_F_INDIRECT_DESC),
	.config_size = 0, /* no device configuration (5.4.4) */
	.config_rw = NULL, /* reads as zeros, writes dropped */
	.activate = rng_activate,
	.reset = rng_reset,
};

int rng_create(const struct gmem *mem, const int *kick_fds, struct vdev **out)
{
	const struct worker_config cfg = {
		.name = "virtio-rng",
		.cls = JAIL_RNG,
		.nr_kick_fds = 1,
		.kick_fds = kick_fds,
		.backend_fd = -1,
	};
	struct rng *r;
	int ret;

	if (!mem || !kick_fds || kick_fds[0] < 0 || !out)
		return -EINVAL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->vdev.ops = &rng_ops;
	r->vdev.priv = r;
	METRICS_GROUP_INIT(&r->metrics_group, "entropy", rng_metric_names,
			   &r->metrics);
	r->vdev.metrics = &r->metrics_group;
	r->mem = mem;
	/* Its thread and ring now, on this unjailed thread: DRIVER_OK, on
	 * a vCPU's, only tells it to serve. */
	ret = worker_create(&r->worker, &cfg, &rng_worker_ops, r);
	if (ret) {
		free(r);
		return ret;
	}
	*out = &r->vdev;
	return 0;
}

void rng_destroy(struct vdev *d)
{
	struct rng *r;
	int ret;

	if (!d)
		return;
	r = to_rng(d);
	rng_stop(r);
	ret = worker_destroy(&r->worker);
	if (ret)
		log_warn("rng: worker ended with %d", ret);
	free(r);
}
