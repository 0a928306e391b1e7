/* SPDX-License-Identifier: Apache-2.0 */
/* api/http_server.h: the API's HTTP/1.x server on a Unix socket. */
#ifndef IGNIS_HTTP_SERVER_H
#define IGNIS_HTTP_SERVER_H

#include <stddef.h>
#include <stdint.h>

/*
 * The server runs on its own thread ("fc_api", as Firecracker names its API
 * thread) and owns no VM state: it turns bytes into complete requests,
 * queues them for the VMM thread and writes back what that thread answers.
 * Transport errors (bad framing, limits, deadlines) it answers itself.
 */

/* Firecracker's figures (micro_http: MAX_CONNECTIONS, MAX_PAYLOAD_SIZE). */
#define HTTP_SERVER_DEFAULT_MAX_CONNS		10
#define HTTP_SERVER_DEFAULT_MAX_BODY		51200
#define HTTP_SERVER_DEFAULT_MAX_HEADER		8192
#define HTTP_SERVER_DEFAULT_REQUEST_TIMEOUT_MS	10000
#define HTTP_SERVER_MAX_CONNS			64	/* upper bound of max_conns */

/* What http_server_create() needs; a zero field takes its default. */
struct http_server_config {
	const char *path;	/* the socket's path (--api-sock); required */
	unsigned int max_conns;	/* open connections; one more gets 503 */
	size_t max_body;	/* Content-Length above it gets 400 */
	size_t max_header;	/* request line + headers above it get 400 */
	/* From a request's first byte to its last, and for a response to
	 * leave once started: a client that stalls longer is closed. */
	unsigned int request_timeout_ms;
	/* A connection with no request under way for this long is closed;
	 * 0: never (Firecracker keeps idle connections). */
	unsigned int idle_timeout_ms;
};

/* A complete request, handed to the VMM thread by http_server_next(). */
struct http_request {
	uint64_t id;		/* the server's token; for it only */
	const char *method;	/* "GET", "PUT", "PATCH", ... */
	const char *path;	/* request target as sent: path[?query] */
	const char *body;	/* body_len bytes, NUL-terminated; "" if none */
	size_t body_len;	/* from Content-Length */
};

struct http_server;

/*
 * Creates the socket at (cfg)->path (mode 0600; a stale socket there is
 * removed, a live one or any other file is -EADDRINUSE / -EEXIST) and
 * listens: clients can connect from here on, and wait in the backlog until
 * http_server_start(). Returns 0 and *(out), or -errno.
 */
int http_server_create(const struct http_server_config *cfg,
		       struct http_server **out);

/* Starts the "fc_api" thread, jailed as JAIL_API. Once. 0 or -errno. */
int http_server_start(struct http_server *srv);

/*
 * The eventfd the VMM thread polls for readability: a request is waiting.
 * The server owns it; don't read it, call http_server_next().
 */
int http_server_fd(const struct http_server *srv);

/*
 * Takes the oldest waiting request into *(req): 0, or -EAGAIN when none is
 * left (which also clears the eventfd's readiness). The VMM thread only
 * (one consumer). Every request taken must be answered with
 * http_server_respond(), in any order.
 */
int http_server_next(struct http_server *srv, struct http_request **req);

/*
 * Answers (req) with (status) and (body) (JSON text, or NULL for none; its
 * bytes are copied) and frees (req). If the client went away meanwhile, or
 * the server was stopped, the answer is dropped and (req) freed all the
 * same. Without memory for (body) the client gets a 500 instead: every
 * request is answered. Any thread, before http_server_destroy().
 */
void http_server_respond(struct http_server *srv, struct http_request *req,
			 int status, const char *body);

/*
 * Stops the thread and joins it; clients still connected are
 * disconnected, the socket is closed and unlinked. Requests still queued
 * may yet be taken; answers are dropped from here on. Idempotent; safe if
 * never started. There is no restart.
 */
void http_server_stop(struct http_server *srv);

/*
 * Stops the server if running, closes every descriptor and frees what is
 * queued. NULL is accepted. Requests the VMM thread still holds must be
 * answered before this.
 */
void http_server_destroy(struct http_server *srv);

#endif
