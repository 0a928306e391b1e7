/* SPDX-License-Identifier: Apache-2.0 */
/* api/http_server_priv.h: what the API and the fc_api thread's loop share. */
#ifndef IGNIS_HTTP_SERVER_PRIV_H
#define IGNIS_HTTP_SERVER_PRIV_H

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "http_conn.h"
#include "http_server.h"
#include "vmm/log.h"

/* epoll tags of the server's own fds; connections are tagged by pointer. */
#define TAG_KILL	1	/* http_server_stop() */
#define TAG_LISTEN	2	/* a client is connecting */
#define TAG_ANSWERS	3	/* the VMM thread answered something */

struct http_server {
	char *path;			/* the socket's path, unlinked at destroy */
	unsigned int max_conns;		/* connection slots */
	unsigned int request_timeout_ms;	/* see struct http_server_config */
	unsigned int idle_timeout_ms;	/* ditto; 0: none */
	struct http_conn_limits lim;	/* body and header bounds */
	int listen_fd;			/* the listening socket */
	int epoll_fd;			/* the server thread's loop */
	int kill_fd;			/* eventfd: stop the thread */
	int request_fd;			/* eventfd: requests for the VMM thread */
	int answer_fd;			/* eventfd: answers for the server */
	pthread_t thread;		/* "fc_api" */
	bool started;			/* thread running, to be joined */
	/* Guards the two queues and stopped. The queues hold at most
	 * max_conns messages between them and the VMM thread's hands: a
	 * connection has one request out at a time and keeps its slot
	 * (ORPHAN) until that request is answered. */
	pthread_mutex_t lock;
	struct http_msg *req_head;	/* to the VMM thread, oldest first */
	struct http_msg **req_tail;	/* where the next one goes */
	struct http_msg *ans_head;	/* back from it, oldest first */
	struct http_msg **ans_tail;	/* where the next one goes */
	bool stopped;			/* answers are dropped from now on */
	/* server thread only */
	uint64_t next_id;		/* last request id handed out */
	struct http_conn *conns[HTTP_SERVER_MAX_CONNS];	/* slots, or NULL */
	unsigned int nconns;		/* slots in use */
};

/* The "fc_api" thread's body: serves until http_server_stop(). */
void *http_loop_run(void *srv);

static inline void http_eventfd_signal(int fd)
{
	uint64_t one = 1;

	/* Cannot fail short of a counter at 2^64 - 2: nothing to do. */
	if (write(fd, &one, sizeof(one)) < 0)
		log_debug("api: eventfd write: %s", strerror(errno));
}

static inline void http_eventfd_clear(int fd)
{
	uint64_t v;

	if (read(fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		log_debug("api: eventfd read: %s", strerror(errno));
}

static inline void http_msg_free(struct http_msg *m)
{
	if (m)
		free(m->resp_body);
	free(m);
}

#endif
