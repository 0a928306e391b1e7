/* SPDX-License-Identifier: Apache-2.0 */
/* tests/fuzz/http_check.h: the bytes a connection sent, checked against what it owed. */
#ifndef IGNIS_FUZZ_HTTP_CHECK_H
#define IGNIS_FUZZ_HTTP_CHECK_H

#include <stdbool.h>
#include <stddef.h>

/* One final response the connection owes, in the order owed. */
struct http_expect {
	int status; /* its status code */
	bool fault; /* the connection's own refusal: the body must be
		     * {"fault_message": "..."}, of any length */
	bool head; /* it answers a HEAD: Content-Length, but no body */
	bool keep_alive; /* Connection: keep-alive, else close */
	bool expect_continue; /* a 100 Continue must come before it */
	char *body; /* what the answer carries (owned); NULL: nothing */
	size_t body_len; /* its length */
};

/* Everything owed over one connection's life. */
struct http_check {
	struct http_expect *exp; /* [n], oldest first */
	unsigned int n; /* entries in use */
	unsigned int cap; /* entries allocated */
};

/* Notes one more answer owed; (e)'s body is copied. */
void http_check_expect(struct http_check *k, const struct http_expect *e);

/*
 * Parses (wire), all the bytes the connection sent, as HTTP/1.x responses
 * and aborts unless it is exactly the answers owed, in order, well formed:
 * status line, Content-Length present unless 204 or 1xx and equal to the
 * body's length, Connection as owed, a 100 Continue only where owed, and
 * nothing after a Connection: close. (closed): the connection closed
 * itself after its last answer.
 */
void http_check_wire(const struct http_check *k, const char *wire, size_t len,
		     bool closed);

/* Frees what (k) holds and empties it. */
void http_check_free(struct http_check *k);

#endif
