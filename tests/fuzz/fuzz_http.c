// SPDX-License-Identifier: Apache-2.0
/* tests/fuzz/fuzz_http.c: a client's byte stream, cut anywhere, into one API connection. */
#include <string.h>

#include "api/http_server_priv.h"
#include "fuzz.h"
#include "http_check.h"

/*
 * The input: byte 0 picks the limits, bytes 1-3 how the stream is cut
 * into reads, the rest is what the client sends. The connection is driven
 * as api/http_loop.c drives it (read what fits, parse, answer a request
 * before parsing what was pipelined behind it, close after a refusal or a
 * Connection: close), with this file playing the VMM thread.
 *
 * Each input runs twice: in reads as large as the buffer allows, and in
 * the cuts the input asks for. Both runs must hand the VMM thread the same
 * requests and send the same bytes back (an answer must not depend on how
 * the kernel split the stream), and each run's bytes must be exactly one
 * well-formed response per request (http_check.c).
 */
#define FUZZ_HTTP_HDR 4

/* [0]: the server's defaults; [1]: small, so that short inputs reach the
 * body and header refusals. */
static const struct http_conn_limits fuzz_limits[] = {
	{ .max_body = HTTP_SERVER_DEFAULT_MAX_BODY,
	  .max_header = HTTP_SERVER_DEFAULT_MAX_HEADER },
	{ .max_body = 16, .max_header = 64 },
};

/* How the stream is cut: max 0 reads all that fits, else 1 to max bytes
 * at a time, as a xorshift32 picks. */
struct cuts {
	uint32_t max;
	uint32_t state;
};

/* Whether (a) and (b) hold the same bytes; either may be NULL when empty. */
static bool same(const char *a, size_t a_len, const char *b, size_t b_len)
{
	return a_len == b_len && (!a_len || !memcmp(a, b, a_len));
}

/* One run over the stream: what the VMM thread saw and what was sent. */
struct run {
	const struct http_conn_limits *lim;
	struct http_check check; /* the answers owed */
	char *wire; /* every byte sent */
	size_t wire_len, wire_cap;
	char *reqs; /* each request: method NUL path NUL length body */
	size_t reqs_len, reqs_cap;
	bool closed; /* the server closed the connection */
	size_t fault_at; /* where in wire its refusal begins; or SIZE_MAX */
};

static void append(char **buf, size_t *len, size_t *cap, const void *data,
		   size_t n)
{
	/* memcpy() from or to NULL is undefined even for 0 bytes. */
	if (!n)
		return;
	if (*len + n > *cap) {
		*cap = 2 * (*len + n);
		*buf = realloc(*buf, *cap);
		FUZZ_CHECK(*buf, "out of memory");
	}
	memcpy(*buf + *len, data, n);
	*len += n;
}

static size_t next_read(struct cuts *k, size_t room)
{
	size_t n;

	if (!k->max)
		return room;
	k->state ^= k->state << 13;
	k->state ^= k->state >> 17;
	k->state ^= k->state << 5;
	n = 1 + k->state % k->max;
	return n < room ? n : room;
}

/* What conn_flush() does: out[] leaves, whole (the client reads it all). */
static void send_out(struct run *r, struct http_conn *c)
{
	FUZZ_CHECK(c->out_off <= c->out_len, "out_off %zu > out_len %zu",
		   c->out_off, c->out_len);
	/* out is NULL until the first answer: no pointer arithmetic on it. */
	if (c->out_len > c->out_off)
		append(&r->wire, &r->wire_len, &r->wire_cap,
		       c->out + c->out_off, c->out_len - c->out_off);
	c->out_off = c->out_len = 0;
}

/* The VMM thread's half: takes the request, answers it. The status is
 * picked by the path's length, so that the fuzzer reaches each kind of
 * answer; a body, when there is one, echoes the request's. */
static void answer(struct run *r, struct http_conn *c)
{
	static const int statuses[] = { 200, 204, 400, 500 };
	struct http_msg *m = http_conn_take(c);
	const struct http_request *q = &m->req;
	struct http_expect e = { 0 };
	uint64_t body_len;
	size_t path_len;

	FUZZ_CHECK(m && !c->msg, "take left the request behind");
	FUZZ_CHECK(q->method && q->path && q->body, "request lacks a part");
	path_len = strlen(q->path);
	FUZZ_CHECK(path_len, "empty path handed over");
	FUZZ_CHECK(q->body_len <= r->lim->max_body, "body %zu > limit %zu",
		   q->body_len, r->lim->max_body);
	FUZZ_CHECK(q->body[q->body_len] == '\0', "body not NUL-terminated");
	body_len = q->body_len;
	append(&r->reqs, &r->reqs_len, &r->reqs_cap, q->method,
	       strlen(q->method) + 1);
	append(&r->reqs, &r->reqs_len, &r->reqs_cap, q->path, path_len + 1);
	append(&r->reqs, &r->reqs_len, &r->reqs_cap, &body_len,
	       sizeof(body_len));
	append(&r->reqs, &r->reqs_len, &r->reqs_cap, q->body, q->body_len);

	e.status = statuses[path_len % 4];
	e.head = c->head;
	e.keep_alive = c->keep_alive;
	/* RFC 7231 5.1.1: owed to an HTTP/1.1 client that asked and sent a
	 * body (the server sends it before reading the body). */
	e.expect_continue =
		c->expect_continue && q->body_len && c->parser.http_minor == 1;
	/* 204 carries nothing; 500 with nothing is the VMM thread's answer
	 * when it is out of memory (fc_api_serve()). */
	if (e.status != 204 && e.status != 500) {
		e.body = (char *)q->body;
		e.body_len = q->body_len;
	}
	http_check_expect(&r->check, &e);
	FUZZ_CHECK(!http_conn_answer(c, e.status, e.body, e.body_len),
		   "answer failed");
	FUZZ_CHECK(c->close_after == !c->keep_alive,
		   "close_after %d with keep_alive %d", c->close_after,
		   c->keep_alive);
	http_msg_free(m);
	send_out(r, c);
}

/* conn_advance() and conn_flush() in a loop: true when the server closes. */
static bool advance(struct run *r, struct http_conn *c)
{
	struct http_expect e = { 0 };

	for (;;) {
		switch (http_conn_parse(c)) {
		case HTTP_CONN_NEED_MORE:
			/* conn_read() counts on room in in[] for the next
			 * read: nothing may be left unparsed. */
			FUZZ_CHECK(!c->in_off && !c->in_len,
				   "NEED_MORE left in[%zu, %zu)", c->in_off,
				   c->in_len);
			send_out(r, c);
			return false;
		case HTTP_CONN_REQUEST:
			answer(r, c);
			if (c->close_after)
				return true;
			http_conn_resume(c);
			if (!c->in_len)
				return false;
			break;
		case HTTP_CONN_FAULT:
			FUZZ_CHECK(c->close_after, "fault without close");
			e.status = c->fault_status ? c->fault_status : 400;
			e.fault = true;
			http_check_expect(&r->check, &e);
			r->fault_at = r->wire_len;
			send_out(r, c);
			return true;
		default:
			FUZZ_CHECK(0, "unknown result");
		}
	}
}

static void run(struct run *r, struct cuts k, const uint8_t *data, size_t size)
{
	/* On the heap, as the server has it: ASan sees past in[]'s end. */
	struct http_conn *c = malloc(sizeof(*c));
	size_t pos = 0;

	FUZZ_CHECK(c, "out of memory");
	http_conn_init(c, -1, r->lim);
	while (!r->closed && pos < size) {
		size_t room = sizeof(c->in) - c->in_len, n;

		FUZZ_CHECK(room, "in[] full while reading");
		n = next_read(&k, room < size - pos ? room : size - pos);
		memcpy(c->in + c->in_len, data + pos, n);
		c->in_len += n;
		pos += n;
		r->closed = advance(r, c);
	}
	/* EOF: a request cut short is dropped unanswered, as conn_gone()
	 * drops it. */
	http_conn_release(c);
	free(c);
	http_check_wire(&r->check, r->wire, r->wire_len, r->closed);
}

static void run_free(struct run *r)
{
	http_check_free(&r->check);
	free(r->wire);
	free(r->reqs);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const unsigned int nlim = sizeof(fuzz_limits) / sizeof(fuzz_limits[0]);
	struct run whole = { .fault_at = SIZE_MAX }, cut = whole;
	struct cuts k = { 0 };
	size_t end;

	if (size < FUZZ_HTTP_HDR)
		return 0;
	whole.lim = cut.lim = &fuzz_limits[data[0] % nlim];
	run(&whole, k, data + FUZZ_HTTP_HDR, size - FUZZ_HTTP_HDR);
	if (data[1]) {
		k.max = 1u << ((data[1] - 1) % 12); /* 1 to 2048 */
		k.state = (uint32_t)data[1] << 16 | (uint32_t)data[2] << 8 |
			  data[3];
		run(&cut, k, data + FUZZ_HTTP_HDR, size - FUZZ_HTTP_HDR);
		FUZZ_CHECK(same(cut.reqs, cut.reqs_len, whole.reqs,
				whole.reqs_len),
			   "the requests depend on how the stream was cut");
		/* Up to a refusal, byte for byte. A request with two faults
		 * (an invalid character, and too many header bytes) may be
		 * refused for either: the parser hands a header to its
		 * callback when a read ends, so a cut can count the bytes
		 * before the parser meets the character. Both are refusals
		 * of the same request, answered and closed alike. */
		end = whole.fault_at < whole.wire_len ? whole.fault_at :
							whole.wire_len;
		FUZZ_CHECK(cut.fault_at == whole.fault_at &&
				   cut.wire_len >= end &&
				   same(cut.wire, end, whole.wire, end) &&
				   (whole.fault_at != SIZE_MAX ||
				    cut.wire_len == whole.wire_len),
			   "the answers depend on how the stream was cut:\n"
			   "%.*s\n---\n%.*s",
			   (int)whole.wire_len, whole.wire, (int)cut.wire_len,
			   cut.wire);
		FUZZ_CHECK(cut.closed == whole.closed, "closed %d vs %d",
			   cut.closed, whole.closed);
	}
	run_free(&whole);
	run_free(&cut);
	return 0;
}
