/* SPDX-License-Identifier: Apache-2.0 */
/* api/http_conn.h: one API client's byte stream: requests in, responses out. */
#ifndef IGNIS_HTTP_CONN_H
#define IGNIS_HTTP_CONN_H

#include <http_parser.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http_server.h"

/*
 * Internal to api/: the server thread owns every struct http_conn; a
 * struct http_msg travels to the VMM thread and back. None of this does
 * I/O: http_server.c reads into in[] and writes out of out[].
 */

#define HTTP_CONN_IN_SIZE	4096	/* read buffer; bodies go to the msg */

/* A request on its way to the VMM thread and, answered, back. */
struct http_msg {
	struct http_request req;	/* what the VMM thread sees; first */
	struct http_msg *next;		/* queue link, under the server lock */
	int status;			/* the answer's status */
	char *resp_body;		/* the answer's body (malloc'd) or NULL */
	size_t resp_len;		/* its length */
	char data[];			/* path NUL body NUL */
};

/* The limits a connection enforces, from struct http_server_config. */
struct http_conn_limits {
	size_t max_body;	/* Content-Length bound */
	size_t max_header;	/* request line + header bytes bound */
};

/* Where a connection is; the server thread drives the transitions. */
enum http_conn_state {
	HTTP_CONN_IDLE,		/* between requests: nothing under way */
	HTTP_CONN_READING,	/* a request's bytes are arriving */
	HTTP_CONN_WAITING,	/* its request is with the VMM thread */
	HTTP_CONN_WRITING,	/* a response is leaving */
	HTTP_CONN_ORPHAN,	/* client gone while WAITING: fd closed, the
				 * slot kept until the VMM thread answers */
};

struct http_conn {
	int fd;				/* the client socket, or -1 */
	enum http_conn_state state;	/* see above */
	uint32_t events;		/* epoll events registered */
	int64_t deadline_ms;		/* CLOCK_MONOTONIC ms; 0: none */
	uint64_t inflight;		/* id of the request in WAITING */
	const struct http_conn_limits *lim;	/* the server's */
	http_parser parser;		/* incremental request parser */
	/* input not yet parsed: in[in_off, in_len) */
	size_t in_off;			/* first unparsed byte */
	size_t in_len;			/* end of what was read */
	/* the request being parsed */
	char *url;			/* request target so far (malloc'd) */
	size_t url_len;			/* its length */
	size_t url_cap;			/* its allocation */
	size_t hdr_bytes;		/* request line + header bytes seen */
	char field[16];			/* current header name (prefix) */
	size_t field_len;		/* bytes of it seen (may exceed) */
	char value[16];			/* current header value (prefix) */
	size_t value_len;		/* bytes of it seen (may exceed) */
	bool in_value;			/* last callback was a value */
	bool expect_continue;		/* Expect: 100-continue was sent */
	struct http_msg *msg;		/* allocated at end of headers */
	bool msg_done;			/* msg is complete: parser paused */
	int fault_status;		/* set by a callback that refuses */
	char fault[128];		/* its message */
	/* the answer in hand */
	bool keep_alive;		/* the request allows another after */
	bool head;			/* HEAD: the answer carries no body */
	bool close_after;		/* close once out[] has left */
	char *out;			/* bytes to send: out[out_off, out_len) */
	size_t out_off;			/* first unsent byte */
	size_t out_len;			/* end of what is queued */
	size_t out_cap;			/* allocation of out */
	char in[HTTP_CONN_IN_SIZE];	/* read buffer */
};

/* What http_conn_parse() found in the buffered input. */
enum http_conn_result {
	HTTP_CONN_NEED_MORE,	/* all consumed; read more (out may hold
				 * a 100 Continue to send first) */
	HTTP_CONN_REQUEST,	/* a request is complete: http_conn_take() */
	HTTP_CONN_FAULT,	/* refused: an error answer is in out[] and
				 * close_after is set */
};

/* Makes (c) a fresh connection on (fd) under (lim). */
void http_conn_init(struct http_conn *c, int fd,
		    const struct http_conn_limits *lim);

/* Frees what (c) holds (not c itself, not its fd). */
void http_conn_release(struct http_conn *c);

/*
 * Parses in[in_off, in_len), stopping after one complete request (the
 * parser stays paused until http_conn_resume()); bytes of the requests
 * pipelined behind it stay in in[].
 */
enum http_conn_result http_conn_parse(struct http_conn *c);

/* Hands over the complete request; (c) forgets it. After REQUEST only. */
struct http_msg *http_conn_take(struct http_conn *c);

/* After its answer has left: lets parsing go on with the next request. */
void http_conn_resume(struct http_conn *c);

/*
 * Queues the answer to the request in hand: (status), (body) of (len)
 * bytes as JSON (NULL: none), with Connection: keep-alive or close as the
 * request allows. 0 or -ENOMEM.
 */
int http_conn_answer(struct http_conn *c, int status, const char *body,
		     size_t len);

/*
 * Queues a transport error: (status) with {"fault_message": (msg)} and
 * Connection: close; sets close_after. 0 or -ENOMEM.
 */
int http_conn_fault(struct http_conn *c, int status, const char *msg);

#endif
