// SPDX-License-Identifier: Apache-2.0
/* devices/virtio/vsock.c: virtio socket device on Firecracker's Unix-socket backend (virtio 1.2, 5.10). */
#include "devices/virtio/vsock_priv.h"

#include <endian.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "vmm/log.h"

/* Each entry: who submits it. IORING_OP_READ for the eventfds is the
 * runtime's. */
static const uint8_t vsock_opcodes[] = {
	IORING_OP_ACCEPT,	/* host connections, into a slot */
	IORING_OP_RECV,		/* host bytes; the CONNECT line */
	IORING_OP_SEND,		/* guest bytes; "OK <port>\n" */
	IORING_OP_SOCKET,	/* guest-initiated flows; emptying a slot */
	IORING_OP_CONNECT,	/* to "<uds_path>_<port>" */
	IORING_OP_SHUTDOWN,	/* closing a flow; the guest's SHUTDOWN */
	IORING_OP_ASYNC_CANCEL,	/* a late CONNECT; at reset, accept, tick */
	IORING_OP_TIMEOUT,	/* the deadline tick */
};

/* Fixed files besides the spare slots: control, backend, three kicks. */
#define VSOCK_BASE_FILES	(WORKER_FILE_KICK0 + VSOCK_NR_QUEUES)
/* Backlog of host connections not yet accepted: while the driver is
 * not up, or the table is full. */
#define VSOCK_BACKLOG		128

static struct vsock *to_vsock(struct vdev *d)
{
	return d->priv;
}

void vsock_fail(struct vsock *v, const char *why)
{
	if (v->needs_reset)
		return;
	v->needs_reset = true;
	log_warn("vsock: %s, device needs reset", why);
	vdev_set_needs_reset(&v->vdev);
}

/* ---- worker callbacks ---- */

static const char *const vsock_metric_names[] = {
	VSOCK_METRICS(METRIC_NAME)
};

static int vsock_on_kick(void *ctx, unsigned int queue)
{
	struct vsock *v = ctx;

	if (queue == VSOCK_RXQ)
		metric_inc(&v->metrics.rx_queue_event_count);
	else if (queue == VSOCK_TXQ)
		metric_inc(&v->metrics.tx_queue_event_count);
	if (v->needs_reset)
		return 0;	/* drained and ignored until reset */
	switch (queue) {
	case VSOCK_RXQ:
		vsock_rx_run(v);
		return 0;
	case VSOCK_TXQ:
		return vsock_tx_run(v);
	default:
		/* The event queue: the only event, TRANSPORT_RESET, follows
		 * a migration (5.10.6.7); its buffers stay the driver's. */
		return 0;
	}
}

/*
 * Serving starts: a first pass without a notification, as the driver may
 * have filled the queues before DRIVER_OK (3.1.1 step 7); the accept is
 * armed at the end of it (vsock_on_pass_end()).
 */
static int vsock_on_start(void *ctx)
{
	struct vsock *v = ctx;

	for (unsigned int q = 0; q < VSOCK_NR_QUEUES; q++)
		worker_retry(&v->worker, q);
	return 0;
}

static int vsock_on_cqe(void *ctx, const struct io_uring_cqe *cqe)
{
	return vsock_io_on_cqe(ctx, cqe);
}

/* What the pass's CQEs made owed goes out; one interrupt for all. */
static void vsock_on_pass_end(void *ctx)
{
	struct vsock *v = ctx;
	bool irq = false;

	if (v->needs_reset) {
		/* Host I/O never reaches guest memory, and one view serves
		 * every queue: nothing held needs the iommu to wait. */
		vq_dma_forget(&v->vq[VSOCK_RXQ]);
		return;
	}
	vsock_io_accept(v);
	vsock_rx_run(v);
	/* Every chain is used within the pass that popped it. */
	vq_dma_pass_end(v->vq, VSOCK_NR_QUEUES);
	if (v->rx_pushed && vq_should_notify(&v->vq[VSOCK_RXQ], v->mem))
		irq = true;
	if (v->tx_pushed && vq_should_notify(&v->vq[VSOCK_TXQ], v->mem))
		irq = true;
	v->rx_pushed = false;
	v->tx_pushed = false;
	if (irq)
		vdev_raise_irq(&v->vdev, VDEV_INT_USED);
}

/* Until every request is back (the recvs and sends point into the
 * connections' buffers, freed once the worker is idle) and every socket
 * let go of: the ring's table, which holds them, outlives the reset. */
static bool vsock_in_flight(void *ctx)
{
	return vsock_io_stop_owed(ctx);
}

static void vsock_on_stop(void *ctx)
{
	vsock_io_stop(ctx);
}

static const struct worker_ops vsock_worker_ops = {
	.on_start = vsock_on_start,
	.on_kick = vsock_on_kick,
	.on_cqe = vsock_on_cqe,
	.on_pass_end = vsock_on_pass_end,
	.in_flight = vsock_in_flight,
	.on_stop = vsock_on_stop,
};

/* ---- lifecycle ---- */

static int vsock_config_rw(struct vdev *d, uint32_t off, void *buf,
			   uint32_t len, bool write)
{
	struct vsock *v = to_vsock(d);

	/* guest_cid is the device's: writes are dropped. */
	if (!write)
		memcpy(buf, (const uint8_t *)&v->config + off, len);
	return 0;
}

/* Back to nothing: no connection, empty queues and counters. */
static void vsock_clear(struct vsock *v)
{
	memset(v->vq, 0, sizeof(v->vq));
	vsock_table_clear(&v->table);
	v->needs_reset = false;
	v->accept_busy = false;
	v->reject_busy = false;
	v->accept_cancelling = false;
	v->accept_after = 0;
	v->accept_warned = false;
	v->timer_busy = false;
	v->tx_stalled = false;
	v->rx_pushed = false;
	v->tx_pushed = false;
	v->io_ops = 0;
	v->timer_cancelling = false;
	v->reject_owed = false;
	v->rst_first = 0;
	v->rst_nr = 0;
}

/* DRIVER_OK (transport lock held): freeze the queues, let the worker
 * serve them. */
static int vsock_activate(struct vdev *d)
{
	struct vsock *v = to_vsock(d);
	int ret;

	if (v->active)
		return -EBUSY; /* the transport resets before re-activating */
	vsock_clear(v);
	for (unsigned int q = 0; q < VSOCK_NR_QUEUES; q++) {
		ret = vdev_queue_init(d, q, &v->vq[q], v->mem);
		if (ret)
			goto err_clear;
	}
	ret = worker_activate(&v->worker);
	if (ret) {
		log_warn("vsock: the worker cannot serve: %s", strerror(-ret));
		goto err_clear;
	}
	v->active = true;
	return 0;

err_clear:
	vsock_clear(v);
	return ret;
}

static void vsock_stop(struct vsock *v)
{
	int ret;

	if (!v->active)
		return;
	/*
	 * The worker shuts down every connection's socket (its host peer
	 * reads EOF before this returns), cancels the accept, the connects
	 * and the tick, releases the sockets from the ring's table, and
	 * drains it all (vsock_io_stop(), vsock_in_flight()) before it
	 * goes idle: no request points into a connection's buffers when
	 * vsock_clear() frees them. The listener stays: host connections
	 * wait in its backlog until the next activation.
	 */
	ret = worker_deactivate(&v->worker);
	if (ret)
		log_warn("vsock: worker ended with %d", ret);
	v->active = false;
	vsock_clear(v);
}

static void vsock_reset(struct vdev *d)
{
	vsock_stop(to_vsock(d));
}

static const struct vdev_ops vsock_ops = {
	.name = "vsock",
	.device_id = VSOCK_DEVICE_ID,
	.nr_queues = VSOCK_NR_QUEUES,
	.max_queue_size = VSOCK_QUEUE_SIZE,
	/* Stream sockets, no SEQPACKET; the transport adds VERSION_1. */
	.features = VDEV_BIT(VSOCK_F_STREAM) | VDEV_BIT(VDEV_F_EVENT_IDX) |
		    VDEV_BIT(VDEV_F_INDIRECT_DESC),
	.config_size = sizeof(struct virtio_vsock_config),
	.config_rw = vsock_config_rw,
	.activate = vsock_activate,
	.reset = vsock_reset,
};

/*
 * Firecracker's backend starts with the VM: bind and listen on uds_path.
 * A path that exists is refused, as Firecracker's UnixListener::bind()
 * refuses it (EADDRINUSE): it may be another VM's live socket.
 */
static int vsock_listen(struct vsock *v)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	size_t len = strlen(v->uds_path);
	struct stat st;
	int fd, err;

	memcpy(a.sun_path, v->uds_path, len);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		err = -errno;
		log_error("vsock: socket: %s", strerror(-err));
		return err;
	}
	if (bind(fd, (const struct sockaddr *)&a,
		 (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len +
			     1))) {
		err = -errno;
		if (err == -EADDRINUSE)
			log_error("vsock: %s exists; remove it first",
				  v->uds_path);
		else
			log_error("vsock: cannot bind %s: %s", v->uds_path,
				  strerror(-err));
		goto err_close;
	}
	/* What we made, so that destroy removes it only if it is ours. */
	if (stat(v->uds_path, &st) || listen(fd, VSOCK_BACKLOG)) {
		err = -errno;
		log_error("vsock: cannot listen on %s: %s", v->uds_path,
			  strerror(-err));
		goto err_unlink;
	}
	v->uds_dev = st.st_dev;
	v->uds_ino = st.st_ino;
	v->listen_fd = fd;
	return 0;

err_unlink:
	unlink(v->uds_path);
err_close:
	close(fd);
	return err;
}

/* Removes the socket file if it is still the one we bound. */
static void vsock_unlink(const struct vsock *v)
{
	struct stat st;

	if (!stat(v->uds_path, &st) && st.st_dev == v->uds_dev &&
	    st.st_ino == v->uds_ino && unlink(v->uds_path))
		log_warn("vsock: cannot remove %s: %s", v->uds_path,
			 strerror(errno));
}

/*
 * The ring's file table (the runtime's slots, one per connection, one
 * for refusals) must fit RLIMIT_NOFILE, or registering it fails with
 * EMFILE: fewer connections, then. 0 if none fit.
 */
static unsigned int vsock_fit_conns(unsigned int want)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur == RLIM_INFINITY ||
	    rl.rlim_cur >= (rlim_t)want + VSOCK_BASE_FILES + 1)
		return want;
	if (rl.rlim_cur <= VSOCK_BASE_FILES + 1)
		return 0;
	log_debug("vsock: RLIMIT_NOFILE %llu: %llu connections",
		  (unsigned long long)rl.rlim_cur,
		  (unsigned long long)(rl.rlim_cur - VSOCK_BASE_FILES - 1));
	return (unsigned int)(rl.rlim_cur - VSOCK_BASE_FILES - 1);
}

static int vsock_check(const struct vsock_params *p)
{
	size_t len = strlen(p->uds_path);

	/* "The guest_cid configuration field MUST NOT contain a reserved
	 * CID" (5.10.6.4): 0, 1, 2, 0xffffffff, and no upper half. */
	if (p->cid <= VSOCK_CID_HOST || p->cid >= UINT32_MAX) {
		log_error("vsock: guest CID %llu is reserved",
			  (unsigned long long)p->cid);
		return -EINVAL;
	}
	if (!len || len > VSOCK_PATH_MAX) {
		log_error("vsock: uds_path must be 1 to %d bytes",
			  VSOCK_PATH_MAX);
		return -EINVAL;
	}
	/* One spare fixed file per connection, one for refusals. */
	if (p->max_conns >= WORKER_MAX_SPARE_FILES)
		return -EINVAL;
	return 0;
}

/* The thread and its ring, idle until DRIVER_OK: the listener and a
 * spare slot per connection and for refusals in its table. */
static int vsock_create_worker(struct vsock *v, const int *kick_fds)
{
	const struct worker_config cfg = {
		.name = "virtio-vsock",
		.cls = JAIL_VSOCK,
		.nr_kick_fds = VSOCK_NR_QUEUES,
		.kick_fds = kick_fds,
		.backend_fd = v->listen_fd,
		.opcodes = vsock_opcodes,
		.nr_opcodes = sizeof(vsock_opcodes),
		.entries = VSOCK_RING_ENTRIES,
		.nr_spare_files = v->max_conns + 1,
	};
	int ret = worker_create(&v->worker, &cfg, &vsock_worker_ops, v);

	if (ret)
		log_error("vsock: cannot create the worker: %s",
			  strerror(-ret));
	return ret;
}

int vsock_create(const struct gmem *mem, const int *kick_fds,
		 const struct vsock_params *p, struct vdev **out)
{
	unsigned int max;
	struct vsock *v;
	uint32_t seed;
	int ret;

	if (!mem || !kick_fds || !p || !p->uds_path || !out)
		return -EINVAL;
	for (unsigned int q = 0; q < VSOCK_NR_QUEUES; q++)
		if (kick_fds[q] < 0)
			return -EINVAL;
	ret = vsock_check(p);
	if (ret)
		return ret;
	max = vsock_fit_conns(p->max_conns ? p->max_conns : VSOCK_MAX_CONNS);
	if (!max) {
		log_error("vsock: RLIMIT_NOFILE leaves no room for "
			  "connections");
		return -EMFILE;
	}
	v = calloc(1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	v->listen_fd = -1;
	/* The hash seed need not be secret from the host, only from the
	 * guest; a clock does if the pool is not ready. */
	if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) != sizeof(seed))
		seed = (uint32_t)vsock_now();
	ret = vsock_table_init(&v->table, max, seed);
	if (ret)
		goto err_free;
	v->uds_path = strdup(p->uds_path);
	if (!v->uds_path) {
		ret = -ENOMEM;
		goto err_table;
	}
	ret = vsock_listen(v);
	if (ret)
		goto err_path;
	v->max_conns = max;
	v->cid = p->cid;
	v->config.guest_cid = htole64(p->cid);
	v->tick = (struct __kernel_timespec){ .tv_nsec = VSOCK_TICK_NS };
	v->mem = mem;
	v->vdev.ops = &vsock_ops;
	v->vdev.priv = v;
	METRICS_GROUP_INIT(&v->metrics_group, "vsock", vsock_metric_names,
			   &v->metrics);
	v->vdev.metrics = &v->metrics_group;
	ret = vsock_create_worker(v, kick_fds);
	if (ret)
		goto err_listen;
	*out = &v->vdev;
	return 0;

err_listen:
	vsock_unlink(v);
	close(v->listen_fd);
err_path:
	free(v->uds_path);
err_table:
	vsock_table_fini(&v->table);
err_free:
	free(v);
	return ret;
}

void vsock_destroy(struct vdev *d)
{
	struct vsock *v;
	int ret;

	if (!d)
		return;
	v = to_vsock(d);
	vsock_stop(v);
	ret = worker_destroy(&v->worker);
	if (ret)
		log_warn("vsock: worker ended with %d", ret);
	vsock_unlink(v);
	close(v->listen_fd);
	vsock_table_fini(&v->table);
	free(v->uds_path);
	free(v);
}
