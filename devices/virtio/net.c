// SPDX-License-Identifier: Apache-2.0
/* devices/virtio/net.c: virtio network device on a tap (virtio 1.2, 5.1). */
#include "devices/virtio/net_priv.h"

#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <unistd.h>

#include "vmm/log.h"
static const uint8_t net_opcodes[] = {
	IORING_OP_READV, /* receive: tap -> guest buffers */
	IORING_OP_WRITEV, /* transmit: guest buffers -> tap */
	IORING_OP_ASYNC_CANCEL, /* the tap read: net_rx_renew(), at reset */
};

static const char *const net_metric_names[] = { NET_METRICS(METRIC_NAME) };

static struct net *to_net(struct vdev *d)
{
	return d->priv;
}

/* Device error on the worker thread: serve nothing until a reset (2.1.2). */
void net_fail(struct net *n, const char *why)
{
	if (n->needs_reset)
		return;
	n->needs_reset = true;
	log_debug("net: %s, device needs reset", why);
	vdev_set_needs_reset(&n->vdev);
}

void net_push(struct net *n, unsigned int q, uint16_t head, uint32_t len)
{
	if (vq_push(&n->vq[q], n->mem, head, len)) {
		net_fail(n, q == NET_RXQ ? "receiveq push" : "transmitq push");
		return;
	}
	if (q == NET_RXQ)
		n->rx_pushed = true;
	else
		n->tx_pushed = true;
}

/* ---- transmit ---- */

/*
 * A transmit chain is the 12-byte header then the frame, all
 * device-readable (5.1.6.2). Anything else, or more than the largest
 * frame, is dropped.
 */
static bool net_tx_chain_ok(const struct vq_chain *c)
{
	return c->writable_len == 0 && c->readable_len >= NET_HDR_LEN &&
	       c->readable_len <= NET_BUF_MAX;
}

/* Writes chain (c) to the tap straight from guest RAM: the header goes
 * to the tap as is (IFF_VNET_HDR); the kernel validates it. */
static void net_tx_submit(struct net *n, const struct vq_chain *c)
{
	struct io_uring_sqe *sqe;
	struct net_tx_slot *s = NULL;
	unsigned int i;

	for (i = 0; i < NET_TX_SLOTS; i++) {
		if (!n->tx[i].busy) {
			s = &n->tx[i];
			break;
		}
	}
	sqe = s ? worker_sqe(&n->worker) : NULL;
	if (!sqe) { /* cannot happen: slots < SQ entries */
		metric_inc(&n->metrics.tx_fails);
		net_push(n, NET_TXQ, c->head, 0);
		return;
	}
	for (unsigned int b = 0; b < c->nr; b++)
		s->iov[b] = (struct iovec){ c->bufs[b].addr, c->bufs[b].len };
	s->head = c->head;
	s->busy = true;
	n->tx_free--;
	io_uring_prep_writev(sqe, WORKER_FILE_BACKEND, s->iov, c->nr, 0);
	sqe->flags |= IOSQE_FIXED_FILE;
	io_uring_sqe_set_data64(sqe, NET_TAG_TX0 + i);
}

/*
 * Pops and sends up to NET_TX_BUDGET chains. Returns > 0 if the budget ran
 * out with chains left, 0 otherwise (ring empty, broken, or every slot
 * busy: then tx_stalled, and on_pass_end resumes once a write completes).
 */
static int net_tx_run(struct net *n)
{
	struct vq *q = &n->vq[NET_TXQ];
	unsigned int done = 0;
	int ret;

	n->tx_stalled = false;
	vq_disable_notification(q, n->mem);
	while (!n->needs_reset) {
		if (done == NET_TX_BUDGET)
			return 1;
		if (!n->tx_free) {
			n->tx_stalled = true;
			return 0;
		}
		ret = vq_pop_or_rearm(q, n->mem, &n->chain);
		if (ret == 0)
			return 0;
		if (ret < 0 && ret != -EFAULT) {
			net_fail(n, "transmitq broken");
			return 0;
		}
		done++;
		/* -EFAULT (behind the iommu, a buffer is not mapped: the
		 * iommu reports it) leaves an empty chain: dropped too. */
		if (!net_tx_chain_ok(&n->chain)) {
			metric_inc(&n->metrics.tx_malformed_frames);
			log_debug("net: malformed transmit chain (%u bytes)",
				  n->chain.readable_len);
			net_push(n, NET_TXQ, n->chain.head, 0);
			continue;
		}
		net_tx_submit(n, &n->chain);
	}
	return 0;
}

/* The write of slot (i) completed: the chain goes back, used length 0
 * (the device wrote nothing into it). */
static int net_tx_on_cqe(struct net *n, uint64_t i, int res)
{
	struct net_tx_slot *s;

	if (i >= NET_TX_SLOTS || !n->tx[i].busy)
		return -EINVAL; /* not ours: a runtime bug */
	s = &n->tx[i];
	s->busy = false;
	n->tx_free++;
	/* Stopping: the resetting driver owns the chain again. */
	if (n->needs_reset || worker_stopping(&n->worker))
		return 0;
	if (res < 0) {
		/* -EIO while the tap is down, -EINVAL for a header the
		 * kernel refused: the frame is lost, as on a wire. */
		metric_inc(&n->metrics.tx_fails);
		log_debug("net: tap write: %s", strerror(-res));
	} else {
		metric_inc(&n->metrics.tx_packets_count);
		metric_add(&n->metrics.tx_bytes_count,
			   res > NET_HDR_LEN ? (uint64_t)res - NET_HDR_LEN : 0);
	}
	net_push(n, NET_TXQ, s->head, 0);
	return 0;
}

/* ---- worker callbacks ---- */

static int net_on_kick(void *ctx, unsigned int queue)
{
	struct net *n = ctx;

	metric_inc(queue == NET_RXQ ? &n->metrics.rx_queue_event_count :
				      &n->metrics.tx_queue_event_count);
	if (n->needs_reset)
		return 0; /* drained and ignored until reset */
	if (queue == NET_RXQ) {
		n->rx_waiting = false;
		net_rx_run(n);
		return 0;
	}
	return net_tx_run(n);
}

static int net_on_cqe(void *ctx, const struct io_uring_cqe *cqe)
{
	struct net *n = ctx;
	uint64_t tag = io_uring_cqe_get_data64(cqe);

	if (tag == NET_TAG_RX) {
		if (!n->rx_reading)
			return -EINVAL;
		net_rx_on_cqe(n, cqe->res);
		return 0;
	}
	if (tag == NET_TAG_RX_CANCEL) {
		/* Whatever it found: the read's own completion follows or
		 * came first, and says what happened to it. */
		n->rx_cancelling = false;
		if (cqe->res < 0 && cqe->res != -ENOENT && cqe->res != -EALREADY)
			log_debug("net: cancelling the tap read: %s",
				  strerror(-cqe->res));
		return 0;
	}
	return net_tx_on_cqe(n, tag - NET_TAG_TX0, cqe->res);
}

/* Resumes what waited for the ring, then one interrupt per pass for
 * everything both queues completed in it. */
static void net_on_pass_end(void *ctx)
{
	struct net *n = ctx;
	bool irq = false;

	if (n->tx_stalled && n->tx_free && !n->needs_reset && net_tx_run(n) > 0)
		n->tx_stalled = true; /* budget: the next pass goes on */
	net_rx_run(n);
	if (n->needs_reset) {
		/* One view serves both queues. */
		if (!n->rx_reading && n->tx_free == NET_TX_SLOTS)
			vq_dma_forget(&n->vq[NET_RXQ]);
		return;
	}
	vq_dma_pass_end(n->vq, NET_NR_QUEUES);
	if (n->rx_pushed && vq_should_notify(&n->vq[NET_RXQ], n->mem))
		irq = true;
	if (n->tx_pushed && vq_should_notify(&n->vq[NET_TXQ], n->mem))
		irq = true;
	n->rx_pushed = false;
	n->tx_pushed = false;
	if (irq)
		vdev_raise_irq(&n->vdev, VDEV_INT_USED);
}

/*
 * What the tap may hand the guest: only offloads the driver accepted, so
 * the kernel completes checksums and segments everything else before the
 * frame reaches us. tun refuses TSO without CSUM and ECN without TSO.
 */
static unsigned int net_tap_offloads(uint64_t f)
{
	unsigned int off = 0;

	if (!(f & VDEV_BIT(VIRTIO_NET_F_GUEST_CSUM)))
		return 0;
	off |= TUN_F_CSUM;
	if (f & VDEV_BIT(VIRTIO_NET_F_GUEST_TSO4))
		off |= TUN_F_TSO4;
	if (f & VDEV_BIT(VIRTIO_NET_F_GUEST_TSO6))
		off |= TUN_F_TSO6;
	if ((off & (TUN_F_TSO4 | TUN_F_TSO6)) &&
	    (f & VDEV_BIT(VIRTIO_NET_F_GUEST_ECN)))
		off |= TUN_F_TSO_ECN;
	return off;
}

static int net_set_offload(struct net *n, unsigned int off)
{
	if (ioctl(n->tap, TUNSETOFFLOAD, (unsigned long)off))
		return -errno;
	return 0;
}

/*
 * Serving starts: the tap may now hand over what the driver accepted, and
 * both queues get a first look without a notification: the driver may
 * fill them before DRIVER_OK ("population of virtqueues", 3.1.1 step 7)
 * and only notify later, or not at all for receive buffers.
 */
static int net_on_start(void *ctx)
{
	struct net *n = ctx;
	unsigned int off = net_tap_offloads(n->features);
	int ret;

	if (off != n->tap_offloads) {
		ret = net_set_offload(n, off);
		if (ret) {
			log_warn("net: TUNSETOFFLOAD: %s", strerror(-ret));
			net_fail(n, "cannot program the tap");
			return 0;
		}
		n->tap_offloads = off;
	}
	worker_retry(&n->worker, NET_RXQ);
	worker_retry(&n->worker, NET_TXQ);
	return 0;
}

/*
 * Stopping (a reset, or the end): the tap read waits for a frame that may
 * never come, with the guest's buffers lent to it, and the ring outlives
 * the reset: cancel it. Tap writes never wait (tun's send buffer is
 * unbounded): they complete on their own. On this thread too, the
 * offloads go back to none.
 */
static void net_on_stop(void *ctx)
{
	struct net *n = ctx;
	int ret;

	/* Offloads off again: a reset driver may not take them. */
	if (n->tap_offloads) {
		ret = net_set_offload(n, 0);
		if (ret)
			log_warn("net: TUNSETOFFLOAD: %s", strerror(-ret));
		else
			n->tap_offloads = 0;
	}
	net_rx_cancel(n);
}

/* Until the read, its cancel and every write are back: no guest buffer
 * is written or read after the reset. */
static bool net_in_flight(void *ctx)
{
	const struct net *n = ctx;

	return n->rx_reading || n->rx_cancelling || n->tx_free < NET_TX_SLOTS;
}

static const struct worker_ops net_worker_ops = {
	.on_start = net_on_start,
	.on_kick = net_on_kick,
	.on_cqe = net_on_cqe,
	.on_pass_end = net_on_pass_end,
	.in_flight = net_in_flight,
	.on_stop = net_on_stop,
};

/* ---- lifecycle ---- */

static int net_config_rw(struct vdev *d, uint32_t off, void *buf, uint32_t len,
			 bool write)
{
	struct net *n = to_net(d);

	/* Nothing here is driver-writable on a modern device (only legacy
	 * drivers wrote mac, 5.1.4): writes are dropped. */
	if (!write)
		memcpy(buf, (const uint8_t *)&n->config + off, len);
	return 0;
}

static void net_clear(struct net *n)
{
	memset(n->vq, 0, sizeof(n->vq));
	n->needs_reset = false;
	n->rx_reading = false;
	n->rx_cancelling = false;
	n->rx_waiting = false;
	n->rx_pushed = false;
	n->rx_first = 0;
	n->rx_nr = 0;
	n->rx_iov_first = 0;
	n->rx_iov_nr = 0;
	n->rx_cap = 0;
	n->tx_stalled = false;
	n->tx_pushed = false;
	n->tx_free = NET_TX_SLOTS;
	for (unsigned int i = 0; i < NET_TX_SLOTS; i++)
		n->tx[i].busy = false;
}

/* DRIVER_OK (transport lock held): freeze both queues, let the worker
 * serve them (it programs the tap's offloads: net_on_start()). */
static int net_activate(struct vdev *d)
{
	struct net *n = to_net(d);
	int ret;

	if (n->active)
		return -EBUSY; /* the transport resets before re-activating */
	net_clear(n);
	for (unsigned int q = 0; q < NET_NR_QUEUES; q++) {
		ret = vdev_queue_init(d, q, &n->vq[q], n->mem);
		if (ret)
			goto err_clear;
	}
	n->features = d->features;
	n->mrg_rxbuf = vdev_negotiated(d, VIRTIO_NET_F_MRG_RXBUF);
	ret = worker_activate(&n->worker);
	if (ret)
		goto err_clear;
	n->active = true;
	return 0;

err_clear:
	net_clear(n);
	return ret;
}

static void net_stop(struct net *n)
{
	int ret;

	if (!n->active)
		return;
	/*
	 * The worker returns no chain it holds: after a reset the driver
	 * owns every buffer again and forgets them. No guest buffer is
	 * touched after this: the worker cancels the tap read and waits
	 * for it and every write (net_on_stop(), net_in_flight()), and
	 * turns the tap's offloads off, before it goes idle.
	 */
	ret = worker_deactivate(&n->worker);
	if (ret)
		log_warn("net: worker ended with %d", ret);
	n->active = false;
	net_clear(n);
}

static void net_reset(struct vdev *d)
{
	net_stop(to_net(d));
}

static const struct vdev_ops net_ops = {
	.name = "net",
	.device_id = NET_DEVICE_ID,
	.nr_queues = NET_NR_QUEUES,
	.max_queue_size = NET_QUEUE_SIZE,
	.features = NET_FEATURES, /* + MAC per instance (offered) */
	.config_size = sizeof(struct virtio_net_config),
	.config_rw = net_config_rw,
	.activate = net_activate,
	.reset = net_reset,
};

/*
 * Attaches (n) to tap (name): O_NONBLOCK for io_uring (see net_opcodes);
 * the 12-byte little-endian header of VERSION_1 (5.1.6); no offloads until
 * a driver accepts some.
 */
static int net_open_tap(struct net *n, const char *name)
{
	struct ifreq ifr = { 0 };
	int hdr = NET_HDR_LEN, le = 1;

	int err;

	n->tap = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (n->tap < 0) {
		err = -errno;
		log_error("net %s: /dev/net/tun: %s", name, strerror(-err));
		return err;
	}
	memcpy(ifr.ifr_name, name, strlen(name));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
	if (ioctl(n->tap, TUNSETIFF, &ifr)) {
		/* EBUSY: another process has it; EPERM: no CAP_NET_ADMIN
		 * to create it; EINVAL: a tun, not a tap, of that name. */
		err = -errno;
		log_error("net %s: cannot attach: %s", name, strerror(-err));
		goto err_close;
	}
	if (ioctl(n->tap, TUNSETVNETHDRSZ, &hdr) ||
	    ioctl(n->tap, TUNSETVNETLE, &le) ||
	    ioctl(n->tap, TUNSETOFFLOAD, 0UL)) {
		err = -errno;
		log_error("net %s: set-up: %s", name, strerror(-err));
		goto err_close;
	}
	return 0;

err_close:
	close(n->tap);
	n->tap = -1;
	return err;
}

/* The thread and its ring, idle until DRIVER_OK, on the tap attached. */
static int net_create_worker(struct net *n, const int *kick_fds)
{
	const struct worker_config cfg = {
		.name = n->thread_name,
		.cls = JAIL_NET,
		.nr_kick_fds = NET_NR_QUEUES,
		.kick_fds = kick_fds,
		.backend_fd = n->tap,
		.opcodes = net_opcodes,
		.nr_opcodes = sizeof(net_opcodes),
		.entries = NET_RING_ENTRIES,
	};
	int ret = worker_create(&n->worker, &cfg, &net_worker_ops, n);

	if (ret)
		log_error("%s: cannot create the worker: %s", n->thread_name,
			  strerror(-ret));
	return ret;
}

int net_create(const struct gmem *mem, const int *kick_fds,
	       const struct net_params *p, struct vdev **out)
{
	struct net *n;
	size_t len;
	int ret;

	if (!mem || !kick_fds || !p || !p->tap || !out)
		return -EINVAL;
	for (unsigned int q = 0; q < NET_NR_QUEUES; q++)
		if (kick_fds[q] < 0)
			return -EINVAL;
	/* A '%' would let the kernel pick the name (tap%d): the operator
	 * names the tap it set up. */
	len = strlen(p->tap);
	if (len == 0 || len >= IFNAMSIZ || strchr(p->tap, '%'))
		return -EINVAL;
	n = calloc(1, sizeof(*n));
	if (!n) {
		log_error("net %s: out of memory", p->tap);
		return -ENOMEM;
	}
	ret = net_open_tap(n, p->tap);
	if (ret)
		goto err_free;
	memcpy(n->config.mac, p->mac, NET_MAC_LEN);
	n->config.status = htole16(VIRTIO_NET_S_LINK_UP);
	n->config.max_virtqueue_pairs = htole16(1);
	snprintf(n->thread_name, sizeof(n->thread_name), "vnet-%.10s", p->tap);
	n->mem = mem;
	n->vdev.ops = &net_ops;
	n->vdev.priv = n;
	METRICS_GROUP_INIT(&n->metrics_group, "net", net_metric_names,
			   &n->metrics);
	n->vdev.metrics = &n->metrics_group;
	n->vdev.offered = p->has_mac ? VDEV_BIT(VIRTIO_NET_F_MAC) : 0;
	ret = net_create_worker(n, kick_fds);
	if (ret)
		goto err_close;
	*out = &n->vdev;
	return 0;

err_close:
	close(n->tap);
err_free:
	free(n);
	return ret;
}

void net_destroy(struct vdev *d)
{
	struct net *n;
	int ret;

	if (!d)
		return;
	n = to_net(d);
	net_stop(n);
	ret = worker_destroy(&n->worker);
	if (ret)
		log_warn("net: worker ended with %d", ret);
	close(n->tap);
	free(n);
}
