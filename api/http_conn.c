// SPDX-License-Identifier: Apache-2.0
/* api/http_conn.c: one API client's byte stream: requests in, responses out. */
#include "http_conn.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static struct http_conn *conn_of(http_parser *p)
{
	return p->data;
}

/* A callback refuses the request: the parser stops with HPE_CB_*. */
static int conn_refuse(struct http_conn *c, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int conn_refuse(struct http_conn *c, int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->fault, sizeof(c->fault), fmt, ap);
	va_end(ap);
	c->fault_status = status;
	return -1;
}

/* Counts request-line and header bytes against the configured bound. */
static int conn_count_header(struct http_conn *c, size_t len)
{
	c->hdr_bytes += len;
	if (c->hdr_bytes > c->lim->max_header)
		return conn_refuse(c, 400,
				   "Request headers are larger than the limit "
				   "of %zu bytes allowed by server.",
				   c->lim->max_header);
	return 0;
}

/* Keeps the first sizeof(buf) - 1 bytes of a header name or value: only
 * short ones (Expect, 100-continue) matter; the length says if it was
 * longer. */
static void conn_keep_prefix(char *buf, size_t size, size_t *have,
			     const char *at, size_t len)
{
	if (*have < size - 1) {
		size_t n = size - 1 - *have;

		if (n > len)
			n = len;
		memcpy(buf + *have, at, n);
		buf[*have + n] = '\0';
	}
	*have += len;
}

/* A complete header line has been seen: note the ones we act on. */
static void conn_end_header(struct http_conn *c)
{
	if (c->field_len == strlen("Expect") &&
	    !strcasecmp(c->field, "Expect") &&
	    c->value_len == strlen("100-continue") &&
	    !strcasecmp(c->value, "100-continue"))
		c->expect_continue = true;
	c->field_len = 0;
	c->value_len = 0;
	c->field[0] = '\0';
	c->value[0] = '\0';
	c->in_value = false;
}

static int on_message_begin(http_parser *p)
{
	struct http_conn *c = conn_of(p);

	c->url_len = 0;
	c->hdr_bytes = 0;
	c->field_len = 0;
	c->value_len = 0;
	c->in_value = false;
	c->expect_continue = false;
	return 0;
}

static int on_url(http_parser *p, const char *at, size_t len)
{
	struct http_conn *c = conn_of(p);

	if (conn_count_header(c, len))
		return -1;
	if (c->url_len + len + 1 > c->url_cap) {
		size_t cap = c->url_cap ? c->url_cap : 64;
		char *url;

		while (cap < c->url_len + len + 1)
			cap *= 2;
		url = realloc(c->url, cap);
		if (!url)
			return conn_refuse(c, 500, "Out of memory.");
		c->url = url;
		c->url_cap = cap;
	}
	memcpy(c->url + c->url_len, at, len);
	c->url_len += len;
	c->url[c->url_len] = '\0';
	return 0;
}

static int on_header_field(http_parser *p, const char *at, size_t len)
{
	struct http_conn *c = conn_of(p);

	if (conn_count_header(c, len))
		return -1;
	if (c->in_value)
		conn_end_header(c);
	conn_keep_prefix(c->field, sizeof(c->field), &c->field_len, at, len);
	return 0;
}

static int on_header_value(http_parser *p, const char *at, size_t len)
{
	struct http_conn *c = conn_of(p);

	if (conn_count_header(c, len))
		return -1;
	c->in_value = true;
	conn_keep_prefix(c->value, sizeof(c->value), &c->value_len, at, len);
	return 0;
}

/* Appends (len) bytes to out[], growing it. 0 or -ENOMEM. */
static int conn_put(struct http_conn *c, const void *data, size_t len)
{
	if (c->out_len + len > c->out_cap) {
		size_t cap = c->out_cap ? c->out_cap : 512;
		char *out;

		while (cap < c->out_len + len)
			cap *= 2;
		out = realloc(c->out, cap);
		if (!out)
			return -ENOMEM;
		c->out = out;
		c->out_cap = cap;
	}
	memcpy(c->out + c->out_len, data, len);
	c->out_len += len;
	return 0;
}

static int on_headers_complete(http_parser *p)
{
	struct http_conn *c = conn_of(p);
	size_t body_len = 0, path_len;
	struct http_msg *m;

	if (c->in_value)
		conn_end_header(c);
	/* RFC 7230 6.7: a server may ignore Upgrade and go on in HTTP/1.1
	 * (curl --http2 asks for h2c). The parser reads the flag after this
	 * callback: cleared, the request is an ordinary one, and the flag
	 * cannot outlive it into the next request, which it used to refuse
	 * or not depending on how the stream was split. */
	p->upgrade = 0;
	if (p->http_major != 1 || p->http_minor > 1)
		return conn_refuse(c, 400, "Unsupported HTTP version.");
	/* Firecracker's micro_http frames bodies by Content-Length only;
	 * a chunked body would be read as the next request. Say so. */
	if ((p->flags & F_CHUNKED) || p->uses_transfer_encoding)
		return conn_refuse(c, 400,
				   "Transfer-Encoding is not supported: send "
				   "the body with a Content-Length.");
	if (p->flags & F_CONTENTLENGTH)
		body_len = p->content_length;
	/* micro_http's words and status for the same refusal. */
	if (body_len > c->lim->max_body)
		return conn_refuse(c, 400,
				   "Request payload with size %zu is larger "
				   "than the limit of %zu allowed by server.",
				   body_len, c->lim->max_body);
	if (!c->url_len)
		return conn_refuse(c, 400, "Invalid URI.");
	path_len = c->url_len;
	m = calloc(1, sizeof(*m) + path_len + 1 + body_len + 1);
	if (!m)
		return conn_refuse(c, 500, "Out of memory.");
	memcpy(m->data, c->url, path_len + 1);
	m->req.method = http_method_str((enum http_method)p->method);
	m->req.path = m->data;
	m->req.body = m->data + path_len + 1;
	m->req.body_len = 0;
	c->msg = m;
	c->keep_alive = http_should_keep_alive(p);
	c->head = p->method == HTTP_HEAD;
	/*
	 * RFC 7231 5.1.1: a server that receives 100-continue "ought to"
	 * answer 100 before reading the body, and MUST NOT send it to an
	 * HTTP/1.0 client. curl waits a second for it otherwise.
	 */
	if (c->expect_continue && body_len && p->http_minor == 1) {
		static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";

		if (conn_put(c, cont, sizeof(cont) - 1))
			return conn_refuse(c, 500, "Out of memory.");
	}
	return 0;
}

static int on_body(http_parser *p, const char *at, size_t len)
{
	struct http_conn *c = conn_of(p);
	char *body = (char *)c->msg->req.body;

	/* The parser hands out no more than Content-Length bytes, which
	 * on_headers_complete allocated. */
	memcpy(body + c->msg->req.body_len, at, len);
	c->msg->req.body_len += len;
	return 0;
}

static int on_message_complete(http_parser *p)
{
	struct http_conn *c = conn_of(p);

	((char *)c->msg->req.body)[c->msg->req.body_len] = '\0';
	c->msg_done = true;
	/* One request at a time: its answer goes out before the next
	 * pipelined one is parsed, which keeps answers in order and the
	 * VMM thread's queue bounded by the number of connections. */
	http_parser_pause(p, 1);
	return 0;
}

static const http_parser_settings conn_settings = {
	.on_message_begin = on_message_begin,
	.on_url = on_url,
	.on_header_field = on_header_field,
	.on_header_value = on_header_value,
	.on_headers_complete = on_headers_complete,
	.on_body = on_body,
	.on_message_complete = on_message_complete,
};

void http_conn_init(struct http_conn *c, int fd,
		    const struct http_conn_limits *lim)
{
	memset(c, 0, offsetof(struct http_conn, in));
	c->fd = fd;
	c->lim = lim;
	c->state = HTTP_CONN_IDLE;
	http_parser_init(&c->parser, HTTP_REQUEST);
	c->parser.data = c;
}

void http_conn_release(struct http_conn *c)
{
	free(c->url);
	free(c->msg);
	free(c->out);
	c->url = NULL;
	c->msg = NULL;
	c->out = NULL;
	c->url_cap = c->out_cap = 0;
}

enum http_conn_result http_conn_parse(struct http_conn *c)
{
	size_t avail = c->in_len - c->in_off;
	enum http_errno err;
	size_t n;

	if (c->msg_done)
		return HTTP_CONN_REQUEST;
	n = http_parser_execute(&c->parser, &conn_settings, c->in + c->in_off,
				avail);
	c->in_off += n;
	err = HTTP_PARSER_ERRNO(&c->parser);
	if (err == HPE_PAUSED && c->msg_done)
		return HTTP_CONN_REQUEST;
	if (err != HPE_OK) {
		const char *msg = c->fault_status ? c->fault :
						    http_errno_description(err);
		int status = c->fault_status ? c->fault_status : 400;

		/* Nothing is parsed after a refusal: drop what is left. */
		c->in_off = c->in_len = 0;
		if (http_conn_fault(c, status, msg))
			c->close_after = true;
		return HTTP_CONN_FAULT;
	}
	c->in_off = c->in_len = 0;
	return HTTP_CONN_NEED_MORE;
}

struct http_msg *http_conn_take(struct http_conn *c)
{
	struct http_msg *m = c->msg;

	c->msg = NULL;
	return m;
}

void http_conn_resume(struct http_conn *c)
{
	c->msg_done = false;
	c->fault_status = 0;
	http_parser_pause(&c->parser, 0);
	/* Move what is left to the front so that reads have room. */
	if (c->in_off) {
		memmove(c->in, c->in + c->in_off, c->in_len - c->in_off);
		c->in_len -= c->in_off;
		c->in_off = 0;
	}
}

/* The reason phrases of the statuses this server and the API use. */
static const struct {
	int status; /* the code */
	const char *reason; /* its RFC 7231 phrase */
} status_reasons[] = {
	{ 100, "Continue" },
	{ 200, "OK" },
	{ 204, "No Content" },
	{ 400, "Bad Request" },
	{ 408, "Request Timeout" },
	{ 500, "Internal Server Error" },
	{ 503, "Service Unavailable" },
};

static const char *status_reason(int status)
{
	size_t i;

	for (i = 0; i < sizeof(status_reasons) / sizeof(status_reasons[0]); i++)
		if (status_reasons[i].status == status)
			return status_reasons[i].reason;
	return "";
}

static int conn_queue(struct http_conn *c, int status, const char *body,
		      size_t len, bool keep_alive)
{
	/* Answer in the request's version, as micro_http does: 1.0 to a
	 * 1.0 client, else 1.1 (before a version was parsed, and for the
	 * "HTTP/1.9" the parser takes but RFC 7230 2.6 does not). */
	unsigned int minor =
		c->parser.http_major == 1 && c->parser.http_minor == 0 ? 0 : 1;
	/* RFC 7230 3.3.2: no Content-Length in a 204 or 1xx. */
	bool sized = status >= 200 && status != 204;
	char head[256];
	int n;

	n = snprintf(head, sizeof(head),
		     "HTTP/1.%u %d %s\r\n"
		     "Server: ignis\r\n"
		     "Connection: %s\r\n"
		     "%s",
		     minor, status, status_reason(status),
		     keep_alive ? "keep-alive" : "close",
		     body && sized ? "Content-Type: application/json\r\n" : "");
	if (sized)
		n += snprintf(head + n, sizeof(head) - (size_t)n,
			      "Content-Length: %zu\r\n", body ? len : 0);
	n += snprintf(head + n, sizeof(head) - (size_t)n, "\r\n");
	if (conn_put(c, head, (size_t)n))
		return -ENOMEM;
	if (body && sized && !c->head && conn_put(c, body, len))
		return -ENOMEM;
	if (!keep_alive)
		c->close_after = true;
	return 0;
}

int http_conn_answer(struct http_conn *c, int status, const char *body,
		     size_t len)
{
	return conn_queue(c, status, body, len, c->keep_alive);
}

int http_conn_fault(struct http_conn *c, int status, const char *msg)
{
	char body[256];
	size_t n = 0;

	/* Our own messages: escape what JSON requires all the same. */
	n += (size_t)snprintf(body, sizeof(body), "{\"fault_message\": \"");
	for (; *msg && n < sizeof(body) - 8; msg++) {
		unsigned char ch = (unsigned char)*msg;

		if (ch == '"' || ch == '\\')
			body[n++] = '\\';
		body[n++] = ch < 0x20 ? ' ' : (char)ch;
	}
	n += (size_t)snprintf(body + n, sizeof(body) - n, "\"}");
	c->head = false;
	c->close_after = true;
	return conn_queue(c, status, body, n, false);
}
