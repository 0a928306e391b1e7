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
	IORING_OP_ASYNC_CANCEL, /* behind the iommu: net_rx_renew() */
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
	if (n->needs_reset)
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

static const struct worker_ops net_worker_ops = {
	.on_kick = net_on_kick,
	.on_cqe = net_on_cqe,
	.on_pass_end = net_on_pass_end,
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
 * A notification the device may never get: the driver may fill the
 * queues before DRIVER_OK ("population of virtqueues", 3.1.1 step 7) and
 * only notify later, or not at all for receive buffers. Signalling each
 * queue's eventfd once makes the worker look at both rings on its first
 * pass. The fds stay the caller's; this only bumps their counters.
 */
static void net_kick_self(struct net *n)
{
	uint64_t one = 1;

	for (unsigned int q = 0; q < NET_NR_QUEUES; q++)
		if (write(n->kick_fds[q], &one, sizeof(one)) < 0)
			log_debug("net: kick %u: %s", q, strerror(errno));
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

/* DRIVER_OK (transport lock held): freeze both queues, program the tap's
 * offloads, start the worker. */
static int net_activate(struct vdev *d)
{
	struct net *n = to_net(d);
	const struct worker_config cfg = {
		.name = n->thread_name,
		.cls = JAIL_VIRTIO,
		.nr_kick_fds = NET_NR_QUEUES,
		.kick_fds = n->kick_fds,
		.backend_fd = n->tap,
		.opcodes = net_opcodes,
		.nr_opcodes = sizeof(net_opcodes),
		.entries = NET_RING_ENTRIES,
	};
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
	ret = net_set_offload(n, net_tap_offloads(d->features));
	if (ret) {
		log_warn("net: TUNSETOFFLOAD: %s", strerror(-ret));
		goto err_clear;
	}
	ret = worker_start(&n->worker, &cfg, &net_worker_ops, n);
	if (ret)
		goto err_offload;
	n->active = true;
	net_kick_self(n);
	return 0;

err_offload:
	net_set_offload(n, 0);
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
	 * written after this: a tap read still parked in io_uring's poll is
	 * retried only by its submitter, and once the worker thread has
	 * exited io_uring cancels it instead (PF_EXITING), as does the
	 * ring's teardown; tap writes never park (tun's send buffer is
	 * unbounded), so they all completed inside the worker's last
	 * io_uring_enter.
	 */
	ret = worker_stop(&n->worker);
	if (ret)
		log_warn("net: worker ended with %d", ret);
	n->active = false;
	/* Offloads off again: a reset driver may not take them. */
	ret = net_set_offload(n, 0);
	if (ret)
		log_warn("net: TUNSETOFFLOAD: %s", strerror(-ret));
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
	for (unsigned int q = 0; q < NET_NR_QUEUES; q++)
		n->kick_fds[q] = kick_fds[q];
	n->mem = mem;
	n->vdev.ops = &net_ops;
	n->vdev.priv = n;
	METRICS_GROUP_INIT(&n->metrics_group, "net", net_metric_names,
			   &n->metrics);
	n->vdev.metrics = &n->metrics_group;
	n->vdev.offered = p->has_mac ? VDEV_BIT(VIRTIO_NET_F_MAC) : 0;
	*out = &n->vdev;
	return 0;

err_free:
	free(n);
	return ret;
}

void net_destroy(struct vdev *d)
{
	struct net *n;

	if (!d)
		return;
	n = to_net(d);
	net_stop(n);
	close(n->tap);
	free(n);
}
