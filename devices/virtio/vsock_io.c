// SPDX-License-Identifier: Apache-2.0
/* devices/virtio/vsock_io.c: virtio-vsock's host side: Unix sockets on the worker's io_uring ring. */
#include "devices/virtio/vsock_priv.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "vmm/log.h"

/*
 * Every socket operation is a request on the device's ring, and every
 * connection's socket lives only in the ring's fixed-file table: ACCEPT
 * and SOCKET put it into the connection's spare slot themselves
 * (file_index), so the jailed thread never holds a plain fd and the
 * table is never registered again.
 *
 * Closing a slot: the kernel refuses IORING_OP_CLOSE of a fixed file
 * with IOSQE_FIXED_FILE set (io_close_prep(): -EBADF), and the worker's
 * ring requires that flag on every SQE. So a connection is closed by
 * SHUTDOWN (the host sees EOF at once, and the recv and send waiting on
 * the socket complete), then, once none of its requests is left, a
 * SOCKET into its slot, which drops the table's reference to the old
 * socket: freed then, with whatever the host had queued on it. The new
 * socket is never used; an unbound AF_UNIX socket waits in the slot for
 * the slot's next connection, which replaces it, or for the ring's end.
 */

uint64_t vsock_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000 + (uint64_t)ts.tv_nsec;
}

static int conn_slot(const struct vsock *v, unsigned int i)
{
	return (int)worker_file_spare(&v->worker, i);
}

/* A free SQE, or NULL: the ring took no more even after a submit, which
 * only a reset cures; stopping, vsock_io_stop() tries again next pass. */
static struct io_uring_sqe *io_get(struct vsock *v)
{
	struct io_uring_sqe *sqe = worker_sqe(&v->worker);

	if (!sqe && !worker_stopping(&v->worker))
		vsock_fail(v, "no room in the io_uring SQ");
	return sqe;
}

/* After the prep: the flag the ring requires, the tag, the counts. (c)
 * is the connection the request belongs to, if any (i < max_conns). */
static void io_commit(struct vsock *v, struct io_uring_sqe *sqe,
		      enum vsock_kind kind, unsigned int i,
		      struct vsock_conn *c)
{
	sqe->flags |= IOSQE_FIXED_FILE;
	io_uring_sqe_set_data64(sqe, VSOCK_TAG(kind, i));
	v->io_ops++;
	if (c)
		c->ops++;
}

static void io_recv(struct vsock *v, struct vsock_conn *c, void *p,
		    uint32_t n)
{
	unsigned int i = vsock_table_index(&v->table, c);
	struct io_uring_sqe *sqe = io_get(v);

	if (!sqe)
		return;
	io_uring_prep_recv(sqe, conn_slot(v, i), p, n, 0);
	io_commit(v, sqe, VSOCK_K_RECV, i, c);
	c->recv_busy = true;
}

static void io_send(struct vsock *v, struct vsock_conn *c, const void *p,
		    uint32_t n, bool line)
{
	unsigned int i = vsock_table_index(&v->table, c);
	struct io_uring_sqe *sqe = io_get(v);

	if (!sqe)
		return;
	/* A host that went away must not SIGPIPE the VMM. */
	io_uring_prep_send(sqe, conn_slot(v, i), p, n, MSG_NOSIGNAL);
	io_commit(v, sqe, VSOCK_K_SEND, i, c);
	c->send_busy = true;
	c->sending_line = line;
}

/* A SOCKET into (c)'s slot: for its CONNECT, or (release) to free the
 * socket the slot holds. Whether it was submitted. */
static bool io_socket(struct vsock *v, struct vsock_conn *c, bool release)
{
	unsigned int i = vsock_table_index(&v->table, c);
	struct io_uring_sqe *sqe = io_get(v);

	if (!sqe)
		return false;
	io_uring_prep_socket_direct(sqe, AF_UNIX, SOCK_STREAM, 0,
				    (unsigned int)conn_slot(v, i), 0);
	io_commit(v, sqe, VSOCK_K_SOCKET, i, c);
	c->ctrl_busy = true;
	c->releasing = release;
	return true;
}

static void io_connect(struct vsock *v, struct vsock_conn *c)
{
	unsigned int i = vsock_table_index(&v->table, c);
	struct io_uring_sqe *sqe = io_get(v);

	if (!sqe)
		return;
	io_uring_prep_connect(sqe, conn_slot(v, i),
			      (const struct sockaddr *)&c->addr, c->addr_len);
	io_commit(v, sqe, VSOCK_K_CONNECT, i, c);
	c->ctrl_busy = true;
	c->connecting = true;
}

/* shutdown(how) of slot (i): a connection's (c), or the refusal slot.
 * Whether it was submitted. */
static bool io_shut(struct vsock *v, struct vsock_conn *c, unsigned int i,
		    int how)
{
	struct io_uring_sqe *sqe = io_get(v);

	if (!sqe)
		return false;
	io_uring_prep_shutdown(sqe, conn_slot(v, i), how);
	io_commit(v, sqe, VSOCK_K_SHUT, i, c);
	if (c)
		c->ctrl_busy = true;
	return true;
}

/* Cancels the request tagged (tag); (c) if it is a connection's. Whether
 * it was submitted. */
static bool io_cancel(struct vsock *v, struct vsock_conn *c, uint64_t tag)
{
	unsigned int i = c ? vsock_table_index(&v->table, c) : v->max_conns;
	struct io_uring_sqe *sqe = io_get(v);

	if (!sqe)
		return false;
	/* A cancel by user_data names no file: the flag the ring demands
	 * changes nothing. */
	io_uring_prep_cancel64(sqe, tag, 0);
	io_commit(v, sqe, VSOCK_K_CANCEL, i, c);
	return true;
}

/* The tick, while any deadline runs. */
static void io_timer(struct vsock *v)
{
	struct io_uring_sqe *sqe;

	if (v->timer_busy)
		return;
	sqe = io_get(v);
	if (!sqe)
		return;
	io_uring_prep_timeout(sqe, &v->tick, 0, 0);
	io_commit(v, sqe, VSOCK_K_TIMER, v->max_conns, NULL);
	v->timer_busy = true;
}

void vsock_io_accept(struct vsock *v)
{
	struct io_uring_sqe *sqe;
	struct vsock_conn *c;
	unsigned int i;

	if (v->accept_busy || v->needs_reset || worker_stopping(&v->worker))
		return;
	if (v->accept_after) {
		if (vsock_now() < v->accept_after)
			return;
		v->accept_after = 0;
	}
	/* The entry is taken now: the accept names its slot. */
	c = vsock_table_alloc(&v->table);
	if (!c && v->reject_busy)
		return;	/* one refusal at a time through its slot */
	i = c ? vsock_table_index(&v->table, c) : v->max_conns;
	sqe = io_get(v);
	if (!sqe) {
		if (c)
			vsock_table_free(&v->table, c);
		return;
	}
	io_uring_prep_accept_direct(sqe, WORKER_FILE_BACKEND, NULL, NULL, 0,
				    (unsigned int)conn_slot(v, i));
	io_commit(v, sqe, VSOCK_K_ACCEPT, i, c);
	v->accept_busy = true;
	v->accept_idx = i;
	v->reject_busy = !c;
}

void vsock_io_request(struct vsock *v, const struct vsock_hdr *h)
{
	struct vsock_conn *c = vsock_table_alloc(&v->table);
	int n;

	if (!c) {
		/* "A VIRTIO_VSOCK_OP_RST reply is sent if ... the
		 * destination has insufficient resources to establish the
		 * connection" (5.10.6.5). */
		log_debug("vsock: no room for a connection to port %u",
			  h->dst_port);
		vsock_rst_reply(v, h);
		return;
	}
	metric_inc(&v->metrics.conns_added);
	vsock_conn_init_peer(c, h, vsock_now());
	vsock_table_hash(&v->table, c);
	/* Fits: uds_path is at most VSOCK_PATH_MAX bytes (vsock_create). */
	c->addr.sun_family = AF_UNIX;
	n = snprintf(c->addr.sun_path, sizeof(c->addr.sun_path), "%s_%u",
		     v->uds_path, h->dst_port);
	c->addr_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
				  (size_t)n + 1);
	vsock_io_sync(v, c);
}

/*
 * Frees (c). If the accept waiting on the listener would refuse the next
 * host connection (the table was full), it is cancelled, to be armed
 * again into the entry just freed.
 */
static void conn_free(struct vsock *v, struct vsock_conn *c)
{
	metric_inc(&v->metrics.conns_removed);
	vsock_table_free(&v->table, c);
	if (v->accept_busy && v->accept_idx == v->max_conns &&
	    !v->accept_cancelling) {
		io_cancel(v, NULL, VSOCK_TAG(VSOCK_K_ACCEPT, v->max_conns));
		v->accept_cancelling = true;
	}
}

/* ESTABLISHED: keep a recv going while the stage has room, a send while
 * txb (after the OK line) has bytes; pass on the guest's SHUTDOWN(SEND)
 * as the host's EOF once all it sent is out. */
static void sync_data(struct vsock *v, struct vsock_conn *c)
{
	uint8_t *p;
	uint32_t n;

	if (!c->recv_busy && !c->host_eof && !c->eof_probe &&
	    !c->probing && !c->peer_no_rcv &&
	    (n = vsock_ring_space(&c->stage, &p)))
		io_recv(v, c, p, n);
	if (c->eof_probe && !c->send_busy) {
		/*
		 * The host socket read 0. A zero-length send tells how
		 * the host left: it fails (EPIPE) once the host closed
		 * its socket (or shut down reading), and returns 0 after
		 * its shutdown(SHUT_WR) alone (unix_stream_sendmsg()
		 * checks SEND_SHUTDOWN before its loop).
		 */
		c->eof_probe = false;
		io_send(v, c, c->line, 0, false);
		c->probing = c->send_busy;
	}
	if (!c->send_busy) {
		if (c->line_sent < c->line_len)
			io_send(v, c, c->line + c->line_sent,
				c->line_len - c->line_sent, true);
		else if ((n = vsock_ring_data(&c->txb, &p)))
			io_send(v, c, p, n, false);
	}
	if (c->peer_no_send && !c->wr_shut && !c->ctrl_busy &&
	    !c->send_busy && !c->txb.len && c->line_sent == c->line_len) {
		io_shut(v, c, vsock_table_index(&v->table, c), SHUT_WR);
		c->wr_shut = true;
	}
}

/* CLOSING: cancel its connect, shut its socket, and once nothing of it is
 * in the ring and no RST is owed, empty its slot and free it. */
static void sync_close(struct vsock *v, struct vsock_conn *c)
{
	unsigned int i = vsock_table_index(&v->table, c);

	if (c->connecting && !c->cancelled) {
		io_cancel(v, c, VSOCK_TAG(VSOCK_K_CONNECT, i));
		c->cancelled = true;
	}
	if (c->has_sock && !c->sock_shut && !c->ctrl_busy) {
		io_shut(v, c, i, SHUT_RDWR);
		c->sock_shut = true;
	}
	if (c->ops || (c->owe & VSOCK_OWE_RST) || c->releasing)
		return;
	if (c->has_sock)
		io_socket(v, c, true);
	else
		conn_free(v, c);
}

void vsock_io_sync(struct vsock *v, struct vsock_conn *c)
{
	if (c->state == VSOCK_FREE)
		return;
	vsock_table_update(&v->table, c);
	if (v->needs_reset || worker_stopping(&v->worker))
		return;
	if (c->deadline)
		io_timer(v);
	switch (c->state) {
	case VSOCK_LINE:
		if (!c->recv_busy)
			io_recv(v, c, c->line + c->line_len,
				VSOCK_LINE_MAX - c->line_len);
		break;
	case VSOCK_PEER_INIT:
		if (c->ctrl_busy)
			break;
		if (!c->has_sock)
			io_socket(v, c, false);
		else
			io_connect(v, c);
		break;
	case VSOCK_ESTABLISHED:
		sync_data(v, c);
		break;
	case VSOCK_CLOSING:
		sync_close(v, c);
		break;
	default:
		/* ACCEPTING; LOCAL_INIT: the host's bytes wait in its
		 * socket until the guest answers. */
		break;
	}
}

/* An accept failed (the host out of files, say): try again a tick
 * later rather than spin; say so once. */
static void accept_failed(struct vsock *v, int res)
{
	if (!v->accept_warned)
		log_warn("vsock: accept on %s: %s (retrying)", v->uds_path,
			 strerror(-res));
	v->accept_warned = true;
	v->accept_after = vsock_now() + VSOCK_TICK_NS;
	io_timer(v);
}

static void on_accept(struct vsock *v, struct vsock_conn *c, int res)
{
	v->accept_busy = false;
	v->accept_cancelling = false;
	if (res < 0) {
		if (c)
			vsock_table_free(&v->table, c);
		else
			v->reject_busy = false;
		/* Cancelled by conn_free(): the pass's end arms it again. */
		if (res != -ECANCELED)
			accept_failed(v, res);
		return;
	}
	if (!c) {
		/* Firecracker's policy with a full table: the host
		 * connection is accepted and closed at once. */
		log_debug("vsock: connection table full, host refused");
		io_shut(v, NULL, v->max_conns, SHUT_RDWR);
		return;
	}
	c->has_sock = true;
	metric_inc(&v->metrics.conns_added);
	vsock_conn_accepted(c, vsock_now());
	vsock_io_sync(v, c);
}

static void on_recv(struct vsock *v, struct vsock_conn *c, int res)
{
	uint32_t port;
	int ret;

	c->recv_busy = false;
	if (c->state == VSOCK_LINE) {
		ret = res > 0 ? vsock_conn_line_in(c, (uint32_t)res, &port) :
				-EPIPE;
		if (ret > 0) {
			vsock_conn_init_local(c, vsock_table_port(&v->table),
					      port);
			vsock_table_hash(&v->table, c);
		} else if (ret < 0) {
			log_debug("vsock: host connection without a valid "
				  "CONNECT line closed");
			vsock_conn_kill(c);
		}
	} else if (c->state == VSOCK_ESTABLISHED) {
		if (res > 0 && !c->peer_no_rcv)
			vsock_ring_produce(&c->stage, (uint32_t)res);
		else if (res == 0)
			c->eof_probe = true;	/* sync_data() asks how */
		else if (res < 0)
			vsock_conn_kill(c);
	}
	/* CLOSING: the bytes go nowhere. */
	vsock_io_sync(v, c);
}

static void on_send(struct vsock *v, struct vsock_conn *c, int res)
{
	c->send_busy = false;
	if (c->probing) {
		c->probing = false;
		if (res == 0)
			vsock_conn_host_half_close(c);
		else
			vsock_conn_host_eof(c);
	} else if (res <= 0) {
		/* EPIPE, ECONNRESET: the host is gone, the guest is told. */
		if (c->state != VSOCK_CLOSING)
			log_debug("vsock: send to the host: %s",
				  strerror(res ? -res : EPIPE));
		vsock_conn_kill(c);
	} else if (c->sending_line) {
		c->line_sent = (uint8_t)(c->line_sent + res);
	} else {
		vsock_conn_host_sent(c, (uint32_t)res);
	}
	vsock_io_sync(v, c);
}

static void on_socket(struct vsock *v, struct vsock_conn *c, int res)
{
	c->ctrl_busy = false;
	if (c->releasing) {
		/* Failed: the old socket, shut already, stays until the
		 * slot's next file or the ring's end. */
		if (res < 0)
			log_debug("vsock: releasing a slot: %s",
				  strerror(-res));
		conn_free(v, c);
		return;
	}
	if (res < 0) {
		log_debug("vsock: socket: %s", strerror(-res));
		vsock_conn_kill(c);
	} else {
		c->has_sock = true;
	}
	vsock_io_sync(v, c);
}

static void on_connect(struct vsock *v, struct vsock_conn *c, int res)
{
	c->ctrl_busy = false;
	c->connecting = false;
	if (c->state == VSOCK_PEER_INIT) {
		if (res == 0) {
			vsock_conn_connected(c);
		} else {
			/* Nobody listens at <uds_path>_<port>: "A
			 * VIRTIO_VSOCK_OP_RST reply is sent if a listening
			 * socket does not exist" (5.10.6.5). */
			log_debug("vsock: connect to %s: %s", c->addr.sun_path,
				  strerror(-res));
			vsock_conn_kill(c);
		}
	}
	vsock_io_sync(v, c);
}

static void on_tick(struct vsock *v)
{
	uint64_t now = vsock_now();
	bool again = false;

	for (unsigned int i = 0; i < v->max_conns; i++) {
		struct vsock_conn *c = &v->table.conns[i];

		if (c->state == VSOCK_FREE || !c->deadline)
			continue;
		if (c->deadline > now) {
			again = true;
			continue;
		}
		log_debug("vsock: flow %u:%u timed out in state %d",
			  c->local_port, c->peer_port, c->state);
		vsock_conn_kill(c);
		vsock_io_sync(v, c);
	}
	if (v->accept_after)
		again = true;
	if (again)
		io_timer(v);
}

/*
 * A CQE while draining: only what vsock_io_stop() must still close. A
 * socket that made it into a slot (an accept or a socket the cancel came
 * too late for) is the connection's to release; a host connection
 * accepted to be refused is shut down.
 */
static void on_stopping_cqe(struct vsock *v, struct vsock_conn *c,
			    unsigned int kind, int res)
{
	if (res < 0)
		return;
	if (c && (kind == VSOCK_K_ACCEPT ||
		  (kind == VSOCK_K_SOCKET && !c->releasing)))
		c->has_sock = true;
	else if (!c && kind == VSOCK_K_ACCEPT)
		v->reject_owed = true;
}

int vsock_io_on_cqe(struct vsock *v, const struct io_uring_cqe *cqe)
{
	uint64_t tag = io_uring_cqe_get_data64(cqe) - WORKER_TAG_DEVICE;
	unsigned int kind = (unsigned int)(tag >> 16);
	unsigned int i = (unsigned int)(tag & 0xffff);
	struct vsock_conn *c = NULL;
	int res = cqe->res;

	if (kind >= VSOCK_K_COUNT || i > v->max_conns || !v->io_ops)
		return -EINVAL;	/* not ours: a runtime bug */
	if (i < v->max_conns) {
		c = &v->table.conns[i];
		if (!c->ops)
			return -EINVAL;
		c->ops--;
	}
	v->io_ops--;
	/* Draining for a reset: the table is cleared once it is done. */
	if (worker_stopping(&v->worker)) {
		on_stopping_cqe(v, c, kind, res);
		return 0;
	}
	switch (kind) {
	case VSOCK_K_ACCEPT:
		on_accept(v, c, res);
		return 0;
	case VSOCK_K_SHUT:
		if (!c) {
			v->reject_busy = false;
			return 0;
		}
		c->ctrl_busy = false;
		vsock_io_sync(v, c);
		return 0;
	case VSOCK_K_CANCEL:
		/* Whatever it found, its target's own CQE says the rest. */
		if (c)
			vsock_io_sync(v, c);
		return 0;
	case VSOCK_K_TIMER:
		v->timer_busy = false;
		on_tick(v);
		return 0;
	default:
		break;
	}
	if (!c)
		return -EINVAL;
	switch (kind) {
	case VSOCK_K_RECV:
		on_recv(v, c, res);
		break;
	case VSOCK_K_SEND:
		on_send(v, c, res);
		break;
	case VSOCK_K_SOCKET:
		on_socket(v, c, res);
		break;
	case VSOCK_K_CONNECT:
		on_connect(v, c, res);
		break;
	default:
		return -EINVAL;
	}
	return 0;
}

/*
 * Stopping, one connection: its connect cancelled, its socket shut down
 * (its recv and send complete, the host reads EOF now), then, once none
 * of its requests is left, the socket released: the ring, whose table
 * holds it, outlives the reset.
 */
static void stop_conn(struct vsock *v, struct vsock_conn *c, unsigned int i)
{
	if (c->state == VSOCK_FREE)
		return;
	if (c->connecting && !c->cancelled &&
	    io_cancel(v, c, VSOCK_TAG(VSOCK_K_CONNECT, i)))
		c->cancelled = true;
	if (!c->has_sock || c->releasing)
		return;
	if (!c->sock_shut) {
		if (io_shut(v, c, i, SHUT_RDWR))
			c->sock_shut = true;
		return;
	}
	if (!c->ops)
		io_socket(v, c, true);
}

void vsock_io_stop(struct vsock *v)
{
	if (v->accept_busy && !v->accept_cancelling &&
	    io_cancel(v, NULL, VSOCK_TAG(VSOCK_K_ACCEPT, v->accept_idx)))
		v->accept_cancelling = true;
	if (v->timer_busy && !v->timer_cancelling &&
	    io_cancel(v, NULL, VSOCK_TAG(VSOCK_K_TIMER, v->max_conns)))
		v->timer_cancelling = true;
	if (v->reject_owed && io_shut(v, NULL, v->max_conns, SHUT_RDWR))
		v->reject_owed = false;
	for (unsigned int i = 0; i < v->max_conns; i++)
		stop_conn(v, &v->table.conns[i], i);
}

bool vsock_io_stop_owed(const struct vsock *v)
{
	if (v->io_ops || v->reject_owed)
		return true;
	for (unsigned int i = 0; i < v->max_conns; i++) {
		const struct vsock_conn *c = &v->table.conns[i];

		if (c->state != VSOCK_FREE && c->has_sock && !c->releasing)
			return true;
	}
	return false;
}
