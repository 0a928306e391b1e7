// SPDX-License-Identifier: Apache-2.0
/* tests/fuzz/http_check.c: the bytes a connection sent, checked against what it owed. */
#include "http_check.h"

#include <http_parser.h>
#include <jansson.h>
#include <string.h>

#include "fuzz.h"

void http_check_expect(struct http_check *k, const struct http_expect *e)
{
	struct http_expect *x;

	if (k->n == k->cap) {
		k->cap = k->cap ? 2 * k->cap : 8;
		k->exp = realloc(k->exp, k->cap * sizeof(*k->exp));
		FUZZ_CHECK(k->exp, "out of memory");
	}
	x = &k->exp[k->n++];
	*x = *e;
	if (e->body) {
		/* +1: malloc(0) may return NULL. */
		x->body = malloc(e->body_len + 1);
		FUZZ_CHECK(x->body, "out of memory");
		memcpy(x->body, e->body, e->body_len);
	}
}

void http_check_free(struct http_check *k)
{
	for (unsigned int i = 0; i < k->n; i++)
		free(k->exp[i].body);
	free(k->exp);
	memset(k, 0, sizeof(*k));
}

/* Where the parse of the server's bytes is. */
struct wire {
	const struct http_check *k;
	unsigned int next; /* the expectation the next final answers */
	bool interim; /* the message being parsed is a 100 Continue */
	bool continued; /* a 100 came since the last final response */
	bool in_message; /* a response has begun and not ended */
	size_t reason_len; /* of the status line's reason phrase */
	char *body; /* the body so far */
	size_t body_len, body_cap;
};

static struct wire *wire_of(http_parser *p)
{
	return p->data;
}

static int on_message_begin(http_parser *p)
{
	struct wire *w = wire_of(p);

	w->in_message = true;
	w->reason_len = 0;
	w->body_len = 0;
	return 0;
}

static int on_status(http_parser *p, const char *at, size_t len)
{
	wire_of(p)->reason_len += len;
	return 0;
}

static int on_headers_complete(http_parser *p)
{
	struct wire *w = wire_of(p);
	const struct http_expect *e;
	bool sized;

	FUZZ_CHECK(p->http_major == 1 && p->http_minor <= 1,
		   "answered as HTTP/%u.%u", p->http_major, p->http_minor);
	FUZZ_CHECK(w->reason_len > 0, "status %u without a reason phrase",
		   p->status_code);
	if (p->status_code == 100) {
		/* RFC 7231 5.1.1: once, and never to HTTP/1.0. */
		FUZZ_CHECK(!w->continued, "two 100 Continue for one request");
		FUZZ_CHECK(p->http_minor == 1, "100 Continue in HTTP/1.0");
		FUZZ_CHECK(!(p->flags & F_CONTENTLENGTH),
			   "Content-Length in a 100");
		FUZZ_CHECK(w->next == w->k->n ||
				   w->k->exp[w->next].expect_continue,
			   "100 Continue before answer %u, which owes none",
			   w->next);
		w->interim = w->continued = true;
		return 0;
	}
	FUZZ_CHECK(w->next < w->k->n, "answer %u, but only %u were owed",
		   w->next, w->k->n);
	e = &w->k->exp[w->next];
	FUZZ_CHECK(p->status_code == (unsigned int)e->status,
		   "answer %u: status %u, want %d", w->next, p->status_code,
		   e->status);
	FUZZ_CHECK(w->continued == e->expect_continue,
		   "answer %u: 100 Continue %s", w->next,
		   w->continued ? "not owed" : "missing");
	/* RFC 7230 3.3.2: no Content-Length in a 204; everything else
	 * this server sends is framed by one. */
	sized = p->status_code != 204;
	FUZZ_CHECK(!!(p->flags & F_CONTENTLENGTH) == sized,
		   "answer %u: status %u %s Content-Length", w->next,
		   p->status_code, sized ? "without" : "with");
	if (sized && !e->fault)
		FUZZ_CHECK(p->content_length == e->body_len,
			   "answer %u: Content-Length %llu, body %zu", w->next,
			   (unsigned long long)p->content_length, e->body_len);
	FUZZ_CHECK(!!http_should_keep_alive(p) == e->keep_alive,
		   "answer %u: Connection: %s, want %s", w->next,
		   e->keep_alive ? "close" : "keep-alive",
		   e->keep_alive ? "keep-alive" : "close");
	/* 1: the parser must not look for a body, which a HEAD's answer
	 * announces but does not carry. */
	return e->head ? 1 : 0;
}

static int on_body(http_parser *p, const char *at, size_t len)
{
	struct wire *w = wire_of(p);

	if (w->body_len + len > w->body_cap) {
		w->body_cap = 2 * (w->body_len + len);
		w->body = realloc(w->body, w->body_cap);
		FUZZ_CHECK(w->body, "out of memory");
	}
	memcpy(w->body + w->body_len, at, len);
	w->body_len += len;
	return 0;
}

/* The connection's own refusal: {"fault_message": "<a string>"}. */
static void check_fault_body(const char *body, size_t len, unsigned int i)
{
	json_error_t jerr;
	json_t *v = json_loadb(body, len, 0, &jerr);

	FUZZ_CHECK(v, "answer %u: fault body is not JSON: %s: %.*s", i,
		   jerr.text, (int)len, body);
	FUZZ_CHECK(json_is_object(v) && json_object_size(v) == 1 &&
			   json_is_string(json_object_get(v, "fault_message")),
		   "answer %u: not a fault body: %.*s", i, (int)len, body);
	json_decref(v);
}

static int on_message_complete(http_parser *p)
{
	struct wire *w = wire_of(p);
	const struct http_expect *e;

	w->in_message = false;
	if (w->interim) {
		w->interim = false;
		return 0;
	}
	e = &w->k->exp[w->next];
	if (e->fault) {
		check_fault_body(w->body, w->body_len, w->next);
	} else if (e->head) {
		FUZZ_CHECK(!w->body_len, "answer %u to a HEAD has a body",
			   w->next);
	} else {
		FUZZ_CHECK(w->body_len == e->body_len &&
				   (!w->body_len ||
				    !memcmp(w->body, e->body, w->body_len)),
			   "answer %u: body is not what was answered", w->next);
	}
	w->next++;
	w->continued = false;
	return 0;
}

static const http_parser_settings wire_settings = {
	.on_message_begin = on_message_begin,
	.on_status = on_status,
	.on_headers_complete = on_headers_complete,
	.on_body = on_body,
	.on_message_complete = on_message_complete,
};

void http_check_wire(const struct http_check *k, const char *wire, size_t len,
		     bool closed)
{
	struct wire w = { .k = k };
	http_parser p;
	size_t n;

	http_parser_init(&p, HTTP_RESPONSE);
	p.data = &w;
	n = http_parser_execute(&p, &wire_settings, wire, len);
	/* Bytes after a Connection: close answer are an error here too
	 * (HPE_CLOSED_CONNECTION). */
	FUZZ_CHECK(HTTP_PARSER_ERRNO(&p) == HPE_OK && n == len,
		   "not HTTP at byte %zu of %zu: %s", n, len,
		   http_errno_description(HTTP_PARSER_ERRNO(&p)));
	/* A 100 Continue may be the last thing sent: its body never came. */
	FUZZ_CHECK(!w.in_message, "the last answer is cut short");
	FUZZ_CHECK(w.next == k->n, "%u answers owed, %u sent", k->n, w.next);
	FUZZ_CHECK(closed == (k->n && !k->exp[k->n - 1].keep_alive),
		   "closed %d after an answer that said %s", closed,
		   k->n && k->exp[k->n - 1].keep_alive ? "keep-alive" :
							 "close or nothing");
	free(w.body);
}
