// SPDX-License-Identifier: Apache-2.0
/* api/http_loop.c: the fc_api thread: connections, deadlines, answers. */
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>

#include "http_server_priv.h"

/*
 * Why epoll and not io_uring as the device workers: this thread is not on
 * any data path (a few sparse JSON requests), its connections come and go
 * (a ring's fixed-file table would be rewritten on every accept), and an
 * incremental parser wants readiness ("read what is there, parse it")
 * rather than completions of reads of a guessed size. The loop is
 * level-triggered; deadlines are the epoll_wait timeout.
 */

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* --- connections (server thread) --------------------------------------- */

static void conn_free(struct http_server *srv, struct http_conn *c);

static int conn_watch(struct http_server *srv, struct http_conn *c)
{
	uint32_t ev = 0;
	struct epoll_event e;

	if (c->state == HTTP_CONN_IDLE || c->state == HTTP_CONN_READING)
		ev |= EPOLLIN;
	if (c->out_off < c->out_len)
		ev |= EPOLLOUT;
	if (ev == c->events)
		return 0;
	e.events = ev;
	e.data.ptr = c;
	if (epoll_ctl(srv->epoll_fd, EPOLL_CTL_MOD, c->fd, &e) < 0)
		return -errno;
	c->events = ev;
	return 0;
}

/* conn_watch(), and on failure the connection goes: 0, or -1 if freed. */
static int conn_rewatch(struct http_server *srv, struct http_conn *c);

static void conn_free(struct http_server *srv, struct http_conn *c)
{
	unsigned int i;

	if (c->fd >= 0) {
		epoll_ctl(srv->epoll_fd, EPOLL_CTL_DEL, c->fd, NULL);
		close(c->fd);
	}
	http_conn_release(c);
	for (i = 0; i < srv->max_conns; i++)
		if (srv->conns[i] == c)
			srv->conns[i] = NULL;
	srv->nconns--;
	free(c);
}

/*
 * The client is gone or broken. A request of its with the VMM thread
 * keeps the slot (its answer will find nobody); anything else frees it.
 */
static void conn_gone(struct http_server *srv, struct http_conn *c)
{
	if (c->state != HTTP_CONN_WAITING) {
		conn_free(srv, c);
		return;
	}
	epoll_ctl(srv->epoll_fd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	c->fd = -1;
	c->state = HTTP_CONN_ORPHAN;
}

/*
 * Closing with unread input makes a Unix socket's peer read ECONNRESET
 * instead of EOF after our last answer: take what is already there
 * (bounded) before closing.
 */
static void drain_shut(int fd)
{
	char sink[4096];
	int i;

	shutdown(fd, SHUT_WR);
	for (i = 0; i < 16; i++)
		if (recv(fd, sink, sizeof(sink), MSG_DONTWAIT) <= 0)
			break;
}

static void conn_close(struct http_server *srv, struct http_conn *c)
{
	drain_shut(c->fd);
	conn_free(srv, c);
}

static int conn_rewatch(struct http_server *srv, struct http_conn *c)
{
	if (!conn_watch(srv, c))
		return 0;
	conn_gone(srv, c);
	return -1;
}

static void conn_set_idle(struct http_server *srv, struct http_conn *c)
{
	c->state = HTTP_CONN_IDLE;
	c->deadline_ms =
		srv->idle_timeout_ms ? now_ms() + srv->idle_timeout_ms : 0;
}

static void conn_set_reading(struct http_server *srv, struct http_conn *c)
{
	c->state = HTTP_CONN_READING;
	c->deadline_ms = now_ms() + srv->request_timeout_ms;
}

static int conn_advance(struct http_server *srv, struct http_conn *c);

/*
 * Sends what out[] holds. Returns 0, or -1 when (c) was freed: its answer
 * has left and it closes, or the client is gone.
 */
static int conn_flush(struct http_server *srv, struct http_conn *c)
{
	while (c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off,
				 c->out_len - c->out_off,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return conn_rewatch(srv, c);
		if (n <= 0) {
			conn_gone(srv, c);
			return -1;
		}
		c->out_off += (size_t)n;
	}
	c->out_off = c->out_len = 0;
	if (c->state != HTTP_CONN_WRITING)
		return conn_rewatch(srv, c);
	if (c->close_after) {
		conn_close(srv, c);
		return -1;
	}
	/* The answer has left: on to what the client pipelined, if any. */
	http_conn_resume(c);
	if (c->in_len) {
		conn_set_reading(srv, c);
		return conn_advance(srv, c);
	}
	conn_set_idle(srv, c);
	return conn_rewatch(srv, c);
}

static void request_push(struct http_server *srv, struct http_msg *m)
{
	pthread_mutex_lock(&srv->lock);
	*srv->req_tail = m;
	srv->req_tail = &m->next;
	/* Under the lock, so that http_server_next() cannot clear the
	 * eventfd between this push and its signal. */
	http_eventfd_signal(srv->request_fd);
	pthread_mutex_unlock(&srv->lock);
}

/* Parses what is buffered and acts on it. 0, or -1 when (c) was freed. */
static int conn_advance(struct http_server *srv, struct http_conn *c)
{
	struct http_msg *m;

	switch (http_conn_parse(c)) {
	case HTTP_CONN_NEED_MORE:
		/* A 100 Continue may be waiting to go out. */
		return conn_flush(srv, c);
	case HTTP_CONN_REQUEST:
		m = http_conn_take(c);
		m->req.id = ++srv->next_id;
		c->inflight = m->req.id;
		c->state = HTTP_CONN_WAITING;
		/* No deadline while the VMM thread works: it is ours. */
		c->deadline_ms = 0;
		request_push(srv, m);
		return conn_rewatch(srv, c);
	case HTTP_CONN_FAULT:
	default:
		log_debug("api: refused a request: %.*s", (int)c->out_len,
			  c->out);
		c->state = HTTP_CONN_WRITING;
		c->deadline_ms = now_ms() + srv->request_timeout_ms;
		return conn_flush(srv, c);
	}
}

static void conn_read(struct http_server *srv, struct http_conn *c)
{
	ssize_t n;

	/* http_conn_parse() consumes everything unless a request is
	 * complete, and then we are not reading: there is room. */
	n = recv(c->fd, c->in + c->in_len, sizeof(c->in) - c->in_len,
		 MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		/* EOF or error: between requests a normal close, within
		 * one a client that gave up; nobody else notices. */
		if (c->state == HTTP_CONN_READING)
			log_debug("api: client left mid-request");
		conn_gone(srv, c);
		return;
	}
	if (c->state == HTTP_CONN_IDLE)
		conn_set_reading(srv, c);
	c->in_len += (size_t)n;
	conn_advance(srv, c);
}

static void conn_event(struct http_server *srv, struct http_conn *c,
		       uint32_t events)
{
	if (events & (EPOLLERR | EPOLLHUP)) {
		/* Both directions are shut: nobody will read an answer. */
		conn_gone(srv, c);
		return;
	}
	if ((events & EPOLLOUT) && conn_flush(srv, c))
		return;
	if ((events & EPOLLIN) &&
	    (c->state == HTTP_CONN_IDLE || c->state == HTTP_CONN_READING))
		conn_read(srv, c);
}

/* Firecracker's answer to one client too many, then the door. */
static void refuse_full(int fd)
{
	struct http_conn_limits lim = { 0 };
	struct http_conn *c = calloc(1, sizeof(*c));

	if (c) {
		http_conn_init(c, fd, &lim);
		if (!http_conn_fault(c, 503, "Too many open connections"))
			(void)!send(fd, c->out, c->out_len,
				    MSG_NOSIGNAL | MSG_DONTWAIT);
		http_conn_release(c);
		free(c);
	}
	drain_shut(fd);
	close(fd);
}

static void accept_clients(struct http_server *srv)
{
	for (;;) {
		struct epoll_event e = { .events = EPOLLIN };
		struct http_conn *c;
		unsigned int i;
		int fd;

		fd = accept4(srv->listen_fd, NULL, NULL,
			     SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno != EAGAIN && errno != EINTR &&
			    errno != ECONNABORTED)
				log_warn("api: accept: %s", strerror(errno));
			return;
		}
		if (srv->nconns >= srv->max_conns) {
			refuse_full(fd);
			continue;
		}
		c = calloc(1, sizeof(*c));
		if (!c) {
			close(fd);
			continue;
		}
		http_conn_init(c, fd, &srv->lim);
		c->events = EPOLLIN;
		e.data.ptr = c;
		if (epoll_ctl(srv->epoll_fd, EPOLL_CTL_ADD, fd, &e) < 0) {
			free(c);
			close(fd);
			continue;
		}
		for (i = 0; srv->conns[i]; i++)
			;
		srv->conns[i] = c;
		srv->nconns++;
		conn_set_idle(srv, c);
	}
}

static struct http_conn *conn_by_request(struct http_server *srv, uint64_t id)
{
	unsigned int i;

	for (i = 0; i < srv->max_conns; i++) {
		struct http_conn *c = srv->conns[i];

		if (c && c->inflight == id &&
		    (c->state == HTTP_CONN_WAITING ||
		     c->state == HTTP_CONN_ORPHAN))
			return c;
	}
	return NULL;
}

static void deliver_answers(struct http_server *srv)
{
	struct http_msg *m, *next;

	pthread_mutex_lock(&srv->lock);
	http_eventfd_clear(srv->answer_fd);
	m = srv->ans_head;
	srv->ans_head = NULL;
	srv->ans_tail = &srv->ans_head;
	pthread_mutex_unlock(&srv->lock);

	for (; m; m = next) {
		struct http_conn *c = conn_by_request(srv, m->req.id);

		next = m->next;
		if (c && c->state == HTTP_CONN_ORPHAN) {
			/* Answered into the void: the slot is free now. */
			conn_free(srv, c);
		} else if (c) {
			c->state = HTTP_CONN_WRITING;
			c->deadline_ms = now_ms() + srv->request_timeout_ms;
			if (http_conn_answer(c, m->status, m->resp_body,
					     m->resp_len))
				conn_free(srv, c);
			else
				conn_flush(srv, c);
		}
		http_msg_free(m);
	}
}

/* Closes every connection whose client has stalled past its deadline;
 * returns the epoll_wait timeout to the next deadline (-1: none). */
static int expire_deadlines(struct http_server *srv)
{
	int64_t now = now_ms(), next = -1;
	unsigned int i;

	for (i = 0; i < srv->max_conns; i++) {
		struct http_conn *c = srv->conns[i];

		if (!c || !c->deadline_ms)
			continue;
		if (c->deadline_ms > now) {
			if (next < 0 || c->deadline_ms - now < next)
				next = c->deadline_ms - now;
			continue;
		}
		if (c->state == HTTP_CONN_READING) {
			/* Best effort: one try, it stalled after all. */
			log_debug("api: request deadline passed; closing");
			c->out_off = c->out_len = 0;
			if (!http_conn_fault(c, 408, "Request timed out."))
				(void)!send(c->fd, c->out, c->out_len,
					    MSG_NOSIGNAL | MSG_DONTWAIT);
		}
		conn_free(srv, c);
	}
	return next > INT32_MAX ? INT32_MAX : (int)next;
}

void *http_loop_run(void *arg)
{
	struct http_server *srv = arg;
	struct epoll_event ev[16];
	unsigned int i;
	int n, timeout = -1;

	for (;;) {
		n = epoll_wait(srv->epoll_fd, ev, 16, timeout);
		if (n < 0 && errno != EINTR) {
			log_error("api: epoll_wait: %s", strerror(errno));
			break;
		}
		if (n < 0)
			n = 0;
		/*
		 * In three passes: answers first (they may free connections:
		 * the second pass skips events of those), then connections,
		 * then new clients last, so that no new connection can take
		 * a freed one's address while this batch still names it.
		 */
		for (i = 0; i < (unsigned int)n; i++) {
			if (ev[i].data.u64 == TAG_KILL)
				goto out;
			if (ev[i].data.u64 == TAG_ANSWERS)
				deliver_answers(srv);
		}
		for (i = 0; i < (unsigned int)n; i++) {
			unsigned int j;

			if (ev[i].data.u64 <= TAG_ANSWERS)
				continue;
			for (j = 0; j < srv->max_conns; j++)
				if (srv->conns[j] == ev[i].data.ptr)
					break;
			if (j < srv->max_conns)
				conn_event(srv, ev[i].data.ptr, ev[i].events);
		}
		for (i = 0; i < (unsigned int)n; i++)
			if (ev[i].data.u64 == TAG_LISTEN)
				accept_clients(srv);
		timeout = expire_deadlines(srv);
	}
out:
	for (i = 0; i < srv->max_conns; i++)
		if (srv->conns[i])
			conn_free(srv, srv->conns[i]);
	return NULL;
}
