// SPDX-License-Identifier: Apache-2.0
/* devices/iommu/viommu.c: the virtio-iommu device on its worker (virtio 1.2, 5.13). */
#include "devices/iommu/viommu.h"

#include <endian.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "devices/iommu/viommu_dma.h"
#include "devices/virtio/queue.h"
#include "devices/virtio/worker.h"
#include "vmm/log.h"

#define VIOMMU_QUEUE_SIZE	256	/* max_queue_size of both queues */
#define VIOMMU_BUDGET		64	/* requests per on_kick call */

/* The bypass field's offset in struct virtio_iommu_config. */
#define VIOMMU_CONFIG_BYPASS	36

static const char *const viommu_metric_names[] = {
	VIOMMU_METRICS(METRIC_NAME)
};

struct viommu_dev {
	struct vdev vdev;		/* the transport's view; priv = this */
	struct viommu_core *core;	/* state and requests */
	struct metrics_group metrics_group;	/* over the core's */
	struct viommu_dma dma;		/* endpoints' translated DMA */
	const struct gmem *mem;		/* guest RAM, not owned */
	int kick_fds[2];		/* requestq, eventq ioeventfds */
	/* As blk: a driver that maps and unmaps in bursts (Linux's strict
	 * mode maps and unmaps around every DMA) finds its next request
	 * picked up without a kick; an idle iommu polls for nothing. */
	uint64_t poll_ns;		/* polling window's bound */
	bool active;			/* worker serving (transport lock) */
	/*
	 * A bypass write while the worker runs: the core belongs to the
	 * worker thread then, so the vCPU thread leaves the value here and
	 * kicks requestq; 0x100 | value, or 0 when none is pending.
	 */
	_Atomic uint32_t bypass_write;
	struct virtio_iommu_config config;	/* what reads show, but: */
	_Atomic uint8_t bypass;		/* the bypass field, as applied */
	/* Worker thread only, from activate to reset: */
	bool needs_reset;		/* error seen: serve nothing */
	bool kicks_off;			/* the driver was asked not to kick */
	bool pushed;			/* used entries not yet published */
	bool evt_pushed;		/* eventq entries not yet published */
	/*
	 * A request that took access away, answered only once no device
	 * thread uses a translation from before it (viommu_dma.h); requests
	 * behind it wait, as Linux's driver waits for each batch anyway.
	 */
	bool holding;
	uint16_t held_head;		/* its chain */
	uint32_t held_len;		/* its used length */
	uint64_t held_epoch;		/* the epoch views must reach */
	struct vq req;			/* requestq */
	struct vq evt;			/* eventq: fault reports */
	struct vq_chain chain;		/* scratch for vq_pop() */
	struct worker worker;		/* the device's thread */
};

static struct viommu_dev *to_dev(struct vdev *d)
{
	return d->priv;
}

static void viommu_fail(struct viommu_dev *v, const char *why)
{
	if (v->needs_reset)
		return;
	v->needs_reset = true;
	log_debug("iommu: %s, device needs reset", why);
	vdev_set_needs_reset(&v->vdev);
}

/* A bypass value the driver wrote while the worker ran. */
static void viommu_apply_bypass(struct viommu_dev *v)
{
	uint32_t w = atomic_exchange(&v->bypass_write, 0);
	struct virtio_iommu_config c;
	int ret;

	if (!w)
		return;
	viommu_dma_lock(&v->dma);
	ret = viommu_write_bypass(v->core, (uint8_t)w);
	/* Switching bypass off is not a request: nothing waits for it. */
	viommu_dma_unlock(&v->dma);
	if (ret)
		viommu_fail(v, "bypass switch failed on a backend");
	viommu_config_fill(v->core, &c);
	atomic_store(&v->bypass, c.bypass);
}

/* Gives request (head) back with (len) bytes of answer; false when the
 * device failed instead. */
static bool viommu_answer(struct viommu_dev *v, uint16_t head, uint32_t len)
{
	if (vq_add_used(&v->req, v->mem, head, len)) {
		viommu_fail(v, "requestq push failed");
		return false;
	}
	v->pushed = true;
	if (viommu_is_broken(v->core)) {
		viommu_fail(v, "a backend could not be rolled back");
		return false;
	}
	return true;
}

/* Answers a held request once the device threads let go of what it
 * took away; false while they still hold it. */
static bool viommu_release_held(struct viommu_dev *v)
{
	if (!v->holding)
		return true;
	if (!viommu_dma_drained(&v->dma, v->held_epoch))
		return false;
	v->holding = false;
	return viommu_answer(v, v->held_head, v->held_len);
}

/* Answers up to VIOMMU_BUDGET requests; > 0 if more are waiting. */
static int viommu_process(struct viommu_dev *v)
{
	unsigned int n = 0;

	viommu_apply_bypass(v);
	if (!viommu_release_held(v))
		return 0;	/* a device thread wakes us (wake_fd) */
	if (!v->kicks_off) {
		vq_disable_notification(&v->req, v->mem);
		v->kicks_off = true;
	}
	while (!v->needs_reset) {
		uint64_t epoch;
		uint32_t len;
		int ret;

		if (n == VIOMMU_BUDGET)
			return 1;
		ret = vq_pop(&v->req, v->mem, &v->chain);
		if (ret == 0)
			return 0;	/* notifications: viommu_idle() */
		if (ret < 0) {
			viommu_fail(v, "requestq broken");
			return 0;
		}
		n++;
		viommu_dma_lock(&v->dma);
		len = viommu_handle_request(v->core, &v->chain);
		epoch = viommu_dma_unlock(&v->dma);
		if (epoch && !viommu_dma_drained(&v->dma, epoch)) {
			v->holding = true;
			v->held_head = v->chain.head;
			v->held_len = len;
			v->held_epoch = epoch;
			return 0;
		}
		if (!viommu_answer(v, v->chain.head, len))
			return 0;
	}
	return 0;
}

/* Writes (f) into an eventq chain's writable buffers; bytes written
 * (0 when they are shorter than a report). */
static uint32_t viommu_put_fault(const struct vq_chain *ch,
				 const struct virtio_iommu_fault *f)
{
	struct virtio_iommu_fault le = {
		.reason = f->reason,
		.flags = htole32(f->flags),
		.endpoint = htole32(f->endpoint),
		.address = htole64(f->address),
	};
	const uint8_t *src = (const uint8_t *)&le;
	size_t done = 0;

	if (ch->writable_len < sizeof(le))
		return 0;
	for (unsigned int i = 0; i < ch->nr && done < sizeof(le); i++) {
		size_t take = sizeof(le) - done;

		if (!ch->bufs[i].writable)
			continue;
		if (take > ch->bufs[i].len)
			take = ch->bufs[i].len;
		memcpy(ch->bufs[i].addr, src + done, take);
		done += take;
	}
	return sizeof(le);
}

/*
 * Fault reports (5.13.6.9), one per eventq buffer, in the order device
 * threads recorded them; with no buffer posted they wait for the driver's
 * next eventq kick (kicks stay on for that queue).
 */
static void viommu_report_faults(struct viommu_dev *v)
{
	struct virtio_iommu_fault f;

	while (!v->needs_reset && viommu_dma_peek_fault(&v->dma, &f)) {
		int ret = vq_pop_or_rearm(&v->evt, v->mem, &v->chain);

		if (ret == 0)
			return;
		if (ret < 0) {
			viommu_fail(v, "eventq broken");
			return;
		}
		viommu_dma_consume_fault(&v->dma);
		if (vq_add_used(&v->evt, v->mem, v->chain.head,
				viommu_put_fault(&v->chain, &f))) {
			viommu_fail(v, "eventq push failed");
			return;
		}
		v->evt_pushed = true;
	}
}

static int viommu_on_kick(void *ctx, unsigned int queue)
{
	struct viommu_dev *v = ctx;

	if (v->needs_reset)
		return 0;
	/* eventq: new buffers for fault reports, or a device thread
	 * recorded a fault (fault_fd is this queue's kick eventfd). */
	if (queue == VIOMMU_QUEUE_EVENT) {
		viommu_report_faults(v);
		return 0;
	}
	return viommu_process(v);
}

/* One interrupt per pass for everything answered in it. */
static void viommu_on_pass_end(void *ctx)
{
	struct viommu_dev *v = ctx;
	bool irq = false;

	if (v->pushed) {
		vq_publish_used(&v->req);
		irq = vq_should_notify(&v->req, v->mem);
		v->pushed = false;
	}
	if (v->evt_pushed) {
		vq_publish_used(&v->evt);
		irq |= vq_should_notify(&v->evt, v->mem);
		v->evt_pushed = false;
	}
	if (irq)
		vdev_raise_irq(&v->vdev, VDEV_INT_USED);
}

static uint32_t viommu_poll(void *ctx)
{
	struct viommu_dev *v = ctx;

	if (v->needs_reset)
		return 0;
	if (atomic_load(&v->bypass_write))
		return 1;
	/* A held request blocks the queue until the views drain. */
	if (v->holding)
		return viommu_dma_drained(&v->dma, v->held_epoch);
	return vq_avail_count(&v->req) != 0;
}

static uint32_t viommu_idle(void *ctx)
{
	struct viommu_dev *v = ctx;
	int ret;

	if (v->needs_reset)
		return 0;
	ret = vq_enable_notification(&v->req, v->mem);
	v->kicks_off = false;
	if (ret < 0) {
		viommu_fail(v, "requestq broken");
		return 0;
	}
	if (atomic_load(&v->bypass_write))
		return 1;
	if (v->holding)
		return viommu_dma_drained(&v->dma, v->held_epoch);
	return ret > 0;
}

static const struct worker_ops viommu_worker_ops = {
	.on_kick = viommu_on_kick,
	.on_pass_end = viommu_on_pass_end,
	.poll = viommu_poll,
	.idle = viommu_idle,
};

/*
 * Config space, on a vCPU thread: the fixed fields from a copy taken at
 * creation, bypass from what was applied last (the core itself belongs to
 * the worker while it runs). A write of bypass, the only writable field
 * (5.13.4.1), is applied by the worker, or here when none runs.
 */
static int viommu_config_rw(struct vdev *d, uint32_t off, void *buf,
			    uint32_t len, bool is_write)
{
	struct viommu_dev *v = to_dev(d);
	struct virtio_iommu_config c = v->config;
	uint32_t pending;
	uint64_t one = 1;

	if (!is_write) {
		pending = atomic_load(&v->bypass_write);
		/* A write not applied yet reads back as written. */
		c.bypass = pending ? (pending & 1) : atomic_load(&v->bypass);
		memcpy(buf, (const uint8_t *)&c + off, len);
		return 0;
	}
	if (off != VIOMMU_CONFIG_BYPASS)
		return 0;	/* read-only fields: writes dropped */
	atomic_store(&v->bypass_write, 0x100u | *(const uint8_t *)buf);
	if (!v->active) {
		/* The driver's features, accepted at FEATURES_OK, decide
		 * whether bypass is writable (BYPASS_CONFIG). */
		viommu_set_features(v->core, d->features);
		viommu_apply_bypass(v);
		return v->needs_reset ? -EIO : 0;
	}
	/* Wakes the worker as a kick would. */
	if (write(v->kick_fds[VIOMMU_QUEUE_REQUEST], &one, sizeof(one)) < 0)
		return -errno;
	return 0;
}

/* DRIVER_OK (transport lock held): both queues, then the worker serves
 * them. */
static int viommu_activate(struct vdev *d)
{
	struct viommu_dev *v = to_dev(d);
	int ret;

	if (v->active)
		return -EBUSY;
	ret = vdev_queue_init(d, VIOMMU_QUEUE_REQUEST, &v->req, v->mem);
	if (!ret)
		ret = vdev_queue_init(d, VIOMMU_QUEUE_EVENT, &v->evt, v->mem);
	if (ret)
		goto err;
	viommu_set_features(v->core, d->features);
	v->needs_reset = false;
	v->kicks_off = false;
	v->pushed = false;
	v->evt_pushed = false;
	v->holding = false;
	ret = worker_activate(&v->worker);
	if (ret)
		goto err;
	v->active = true;
	return 0;
err:
	v->req = (struct vq){ 0 };
	v->evt = (struct vq){ 0 };
	return ret;
}

static void viommu_stop(struct viommu_dev *v)
{
	int ret;

	if (v->active) {
		ret = worker_deactivate(&v->worker);
		if (ret)
			log_warn("iommu: worker ended with %d", ret);
		v->active = false;
	}
	/* A bypass write the worker never took still counts (5.13.4.2:
	 * bypass "SHOULD NOT change on device reset" but a write does). */
	viommu_apply_bypass(v);
	v->req = (struct vq){ 0 };
	v->evt = (struct vq){ 0 };
}

/* Reset (5.13.5): every endpoint detached, every domain gone. */
static void viommu_reset_op(struct vdev *d)
{
	struct viommu_dev *v = to_dev(d);
	int ret;

	viommu_stop(v);
	viommu_dma_reset(&v->dma);
	viommu_dma_lock(&v->dma);
	ret = viommu_reset(v->core);
	viommu_dma_unlock(&v->dma);
	if (ret)
		log_warn("iommu: a backend failed at reset");
}

static const struct vdev_ops viommu_ops = {
	.name = "iommu",
	.device_id = VIOMMU_DEVICE_ID,
	.nr_queues = 2,
	.max_queue_size = VIOMMU_QUEUE_SIZE,
	.features = VDEV_BIT(VDEV_F_EVENT_IDX) | VDEV_BIT(VDEV_F_INDIRECT_DESC),
	.config_size = sizeof(struct virtio_iommu_config),
	.config_rw = viommu_config_rw,
	.activate = viommu_activate,
	.reset = viommu_reset_op,
};

/* The thread and its ring, idle until DRIVER_OK. */
static int viommu_create_worker(struct viommu_dev *v)
{
	const struct worker_config cfg = {
		.name = "virtio-iommu",
		.cls = JAIL_IOMMU,
		.nr_kick_fds = 2,
		.kick_fds = v->kick_fds,
		.backend_fd = -1,
		.poll_max_ns = v->poll_ns,
	};
	int ret = worker_create(&v->worker, &cfg, &viommu_worker_ops, v);

	if (ret)
		log_error("iommu: cannot create the worker: %s",
			  strerror(-ret));
	return ret;
}

int viommu_dev_create(const struct gmem *mem, const int *kick_fds,
		      const struct viommu_config *cfg, uint64_t poll_ns,
		      struct vdev **out)
{
	uint32_t ids[VIOMMU_MAX_ENDPOINTS];
	struct viommu_dev *v;
	int ret;

	if (!mem || !kick_fds || kick_fds[0] < 0 || kick_fds[1] < 0 || !cfg ||
	    !out || cfg->nr_endpoints > VIOMMU_MAX_ENDPOINTS)
		return -EINVAL;
	v = calloc(1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	ret = viommu_create(cfg, &v->core);
	if (ret) {
		free(v);
		return ret;
	}
	for (unsigned int i = 0; i < cfg->nr_endpoints; i++)
		ids[i] = cfg->endpoints[i].id;
	ret = viommu_dma_init(&v->dma, v->core, mem, ids, cfg->nr_endpoints,
			      kick_fds[VIOMMU_QUEUE_REQUEST],
			      kick_fds[VIOMMU_QUEUE_EVENT]);
	if (ret) {
		viommu_destroy(v->core);
		free(v);
		return ret;
	}
	v->mem = mem;
	v->poll_ns = poll_ns;
	v->kick_fds[0] = kick_fds[0];
	v->kick_fds[1] = kick_fds[1];
	v->vdev.ops = &viommu_ops;
	v->vdev.priv = v;
	METRICS_GROUP_INIT(&v->metrics_group, "iommu", viommu_metric_names,
			   viommu_core_metrics(v->core));
	v->vdev.metrics = &v->metrics_group;
	v->vdev.offered = viommu_features(v->core);
	viommu_config_fill(v->core, &v->config);
	atomic_store(&v->bypass, v->config.bypass);
	ret = viommu_create_worker(v);
	if (ret) {
		viommu_dma_fini(&v->dma);
		viommu_destroy(v->core);
		free(v);
		return ret;
	}
	*out = &v->vdev;
	return 0;
}

void viommu_dev_destroy(struct vdev *d)
{
	struct viommu_dev *v;
	int ret;

	if (!d)
		return;
	v = to_dev(d);
	viommu_stop(v);
	ret = worker_destroy(&v->worker);
	if (ret)
		log_warn("iommu: worker ended with %d", ret);
	viommu_dma_fini(&v->dma);
	viommu_destroy(v->core);
	free(v);
}

const struct vq_dma *viommu_dev_dma(struct vdev *d, uint32_t endpoint,
				    int device_fd)
{
	return viommu_dma_view(&to_dev(d)->dma, endpoint, device_fd);
}
