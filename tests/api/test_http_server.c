// SPDX-License-Identifier: Apache-2.0
/* tests/api/test_http_server.c: the API's HTTP server, from real clients. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "api/http_server.h"

#define WAIT_MS 5000 /* bound of every wait on the server */

/* One server per test, with a consumer thread playing the VMM thread. */
static struct {
	char dir[64]; /* scratch directory */
	char path[128]; /* the socket */
	struct http_server *srv; /* under test */
	pthread_t consumer; /* answers its requests */
	bool consumer_up; /* consumer to be joined */
	int stop_fd; /* eventfd: consumer, stop */
	pthread_mutex_t lock; /* guards held */
	pthread_cond_t cond; /* held changed */
	struct http_request *held; /* a /hold request, answered later */
	atomic_int served; /* requests the consumer answered */
	atomic_int midbody; /* requests for /midbody it saw */
} fx = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.cond = PTHREAD_COND_INITIALIZER,
};

static void answer(struct http_request *req)
{
	char body[512];

	if (!strcmp(req->path, "/hold")) {
		pthread_mutex_lock(&fx.lock);
		fx.held = req;
		pthread_cond_broadcast(&fx.cond);
		pthread_mutex_unlock(&fx.lock);
		return;
	}
	if (!strcmp(req->path, "/midbody"))
		atomic_fetch_add(&fx.midbody, 1);
	atomic_fetch_add(&fx.served, 1);
	if (!strncmp(req->path, "/unknown", strlen("/unknown"))) {
		http_server_respond(fx.srv, req, 400,
				    "{\"fault_message\": \"unknown path\"}");
		return;
	}
	if (!strcmp(req->path, "/empty")) {
		http_server_respond(fx.srv, req, 204, NULL);
		return;
	}
	snprintf(body, sizeof(body),
		 "{\"echo\": \"%s\", \"method\": \"%s\", \"len\": %zu}",
		 req->path, req->method, req->body_len);
	http_server_respond(fx.srv, req, 200, body);
}

static void *consumer(void *arg)
{
	struct pollfd p[2] = {
		{ .fd = http_server_fd(fx.srv), .events = POLLIN },
		{ .fd = fx.stop_fd, .events = POLLIN },
	};
	struct http_request *req;

	(void)arg;
	for (;;) {
		if (poll(p, 2, -1) < 0 && errno != EINTR)
			break;
		if (p[1].revents)
			break;
		while (!http_server_next(fx.srv, &req))
			answer(req);
	}
	return NULL;
}

static void server_up(const struct http_server_config *base)
{
	struct http_server_config cfg = { 0 };

	if (base)
		cfg = *base;
	strcpy(fx.dir, "/tmp/ignis-http-XXXXXX");
	cr_assert_not_null(mkdtemp(fx.dir));
	snprintf(fx.path, sizeof(fx.path), "%s/api.sock", fx.dir);
	cfg.path = fx.path;
	cr_assert_eq(http_server_create(&cfg, &fx.srv), 0);
	cr_assert_eq(http_server_start(fx.srv), 0);
	fx.stop_fd = eventfd(0, EFD_CLOEXEC);
	cr_assert_geq(fx.stop_fd, 0);
	cr_assert_eq(pthread_create(&fx.consumer, NULL, consumer, NULL), 0);
	fx.consumer_up = true;
}

static void server_down(void)
{
	uint64_t one = 1;

	if (fx.consumer_up) {
		cr_assert_eq(write(fx.stop_fd, &one, sizeof(one)), 8);
		pthread_join(fx.consumer, NULL);
		close(fx.stop_fd);
		fx.consumer_up = false;
	}
	if (!fx.srv)
		return;
	http_server_stop(fx.srv);
	if (fx.held) {
		/* After stop: dropped, and freed all the same. */
		http_server_respond(fx.srv, fx.held, 200, "{}");
		fx.held = NULL;
	}
	http_server_destroy(fx.srv);
	fx.srv = NULL;
	rmdir(fx.dir);
}

TestSuite(http_server, .fini = server_down, .timeout = 60);

/* --- raw clients -------------------------------------------------------- */

static int client(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	cr_assert_geq(fd, 0);
	strcpy(sa.sun_path, fx.path);
	cr_assert_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0,
		     "connect: %s", strerror(errno));
	return fd;
}

static void send_str(int fd, const char *s)
{
	size_t len = strlen(s);

	while (len) {
		ssize_t n = send(fd, s, len, MSG_NOSIGNAL);

		cr_assert_gt(n, 0, "send: %s", strerror(errno));
		s += n;
		len -= (size_t)n;
	}
}

/* Bytes read from one connection, parsed one response at a time. */
struct reader {
	int fd; /* the connection */
	size_t len; /* bytes in buf */
	char head[2048]; /* the last response's status line + headers */
	char buf[128 * 1024]; /* what arrived */
};

/* Reads more into (r) within WAIT_MS. Returns bytes read, 0 at EOF or
 * reset, -1 on timeout. */
static ssize_t reader_fill(struct reader *r)
{
	struct pollfd p = { .fd = r->fd, .events = POLLIN };
	ssize_t n;

	if (poll(&p, 1, WAIT_MS) <= 0)
		return -1;
	n = recv(r->fd, r->buf + r->len, sizeof(r->buf) - 1 - r->len, 0);
	if (n < 0)
		return errno == ECONNRESET ? 0 : -1;
	r->len += (size_t)n;
	r->buf[r->len] = '\0';
	return n;
}

/*
 * The next response's status; its status line in (line) and body in
 * (body) (NUL-terminated, both optional). -1 if none arrives.
 */
static int reader_next(struct reader *r, char *line, char *body,
		       size_t body_cap)
{
	char *end, *cl;
	size_t head, len = 0, total;
	int status;

	while (!(end = strstr(r->buf, "\r\n\r\n")))
		if (reader_fill(r) <= 0)
			return -1;
	head = (size_t)(end - r->buf) + 4;
	*end = '\0';
	cl = strcasestr(r->buf, "\r\nContent-Length:");
	if (cl)
		len = strtoul(cl + strlen("\r\nContent-Length:"), NULL, 10);
	total = head + len;
	*end = '\r';
	while (r->len < total)
		if (reader_fill(r) <= 0)
			return -1;
	if (sscanf(r->buf, "HTTP/1.%*d %d", &status) != 1)
		return -1;
	cr_assert_lt(head, sizeof(r->head));
	memcpy(r->head, r->buf, head);
	r->head[head] = '\0';
	if (line) {
		size_t l = strcspn(r->buf, "\r");

		memcpy(line, r->buf, l);
		line[l] = '\0';
	}
	if (body) {
		cr_assert_lt(len, body_cap);
		memcpy(body, r->buf + head, len);
		body[len] = '\0';
	}
	memmove(r->buf, r->buf + total, r->len - total);
	r->len -= total;
	r->buf[r->len] = '\0';
	return status;
}

static struct reader *reader_new(int fd)
{
	struct reader *r = calloc(1, sizeof(*r));

	cr_assert_not_null(r);
	r->fd = fd;
	return r;
}

/* A new connection to the server, and its reader. */
static struct reader *reader_connect(void)
{
	return reader_new(client());
}

static void reader_close(struct reader *r)
{
	close(r->fd);
	free(r);
}

/* Whether the server closes (fd) within WAIT_MS (after what it sent). */
static bool closed_by_server(struct reader *r)
{
	for (;;) {
		ssize_t n = reader_fill(r);

		if (n == 0)
			return true;
		if (n < 0)
			return false;
	}
}

/* One request on a fresh connection; returns the status. */
static int round_trip(const char *request, char *body, size_t cap)
{
	int fd = client(), status;
	struct reader *r = reader_new(fd);

	send_str(fd, request);
	status = reader_next(r, NULL, body, cap);
	free(r);
	close(fd);
	return status;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/*
 * Opens (n) connections at once and asks each for a page; true if all
 * were served. Slots are given back asynchronously, so callers retry
 * (a bounded wait, no timing assertion).
 */
static bool all_served(int n)
{
	int fds[HTTP_SERVER_MAX_CONNS];
	bool ok = true;
	int i;

	for (i = 0; i < n; i++)
		fds[i] = client();
	for (i = 0; i < n; i++) {
		struct reader *r = reader_new(fds[i]);

		static const char req[] = "GET /slot HTTP/1.1\r\n\r\n";

		/* A connection refused with 503 may be closed already. */
		if (send(fds[i], req, strlen(req), MSG_NOSIGNAL) !=
			    (ssize_t)strlen(req) ||
		    reader_next(r, NULL, NULL, 0) != 200)
			ok = false;
		free(r);
	}
	for (i = 0; i < n; i++)
		close(fds[i]);
	return ok;
}

static bool eventually_all_served(int n)
{
	int tries;

	for (tries = 0; tries < 100; tries++) {
		if (all_served(n))
			return true;
		sleep_ms(50);
	}
	return false;
}

/* --- curl: the real client ---------------------------------------------- */

static bool have_curl(void)
{
	return system("command -v curl >/dev/null 2>&1") == 0;
}

/* Runs curl on the socket with (args); its stdout+stderr into (out). */
static void curl(const char *args, char *out, size_t cap)
{
	char cmd[1024];
	size_t len = 0;
	FILE *p;

	snprintf(cmd, sizeof(cmd),
		 "curl -s --max-time 10 --unix-socket '%s' %s 2>&1", fx.path,
		 args);
	p = popen(cmd, "r");
	cr_assert_not_null(p);
	while (len < cap - 1) {
		size_t n = fread(out + len, 1, cap - 1 - len, p);

		if (!n)
			break;
		len += n;
	}
	out[len] = '\0';
	pclose(p);
}

Test(http_server, curl_get)
{
	char out[4096];

	if (!have_curl())
		cr_skip_test("no curl");
	server_up(NULL);
	curl("-w ' %{http_code}' http://localhost/machine-config", out,
	     sizeof(out));
	cr_assert_str_eq(out, "{\"echo\": \"/machine-config\", "
			      "\"method\": \"GET\", \"len\": 0} 200");
}

Test(http_server, curl_put_with_body)
{
	char out[4096];

	if (!have_curl())
		cr_skip_test("no curl");
	server_up(NULL);
	curl("-X PUT -H 'Content-Type: application/json' "
	     "-d '{\"vcpu_count\": 2, \"mem_size_mib\": 256}' "
	     "-w ' %{http_code}' http://localhost/machine-config",
	     out, sizeof(out));
	cr_assert_str_eq(out, "{\"echo\": \"/machine-config\", "
			      "\"method\": \"PUT\", \"len\": 38} 200");
}

Test(http_server, curl_unknown_path_is_400_with_fault_message)
{
	char out[4096];

	if (!have_curl())
		cr_skip_test("no curl");
	server_up(NULL);
	curl("-X PUT -d '{}' -w ' %{http_code}' http://localhost/unknown", out,
	     sizeof(out));
	cr_assert_str_eq(out, "{\"fault_message\": \"unknown path\"} 400");
}

Test(http_server, curl_expect_100_continue)
{
	char out[16384], file[128], args[512];
	char big[4000];
	FILE *f;

	if (!have_curl())
		cr_skip_test("no curl");
	server_up(NULL);
	memset(big, 'a', sizeof(big));
	snprintf(file, sizeof(file), "%s/body", fx.dir);
	f = fopen(file, "w");
	cr_assert_not_null(f);
	cr_assert_eq(fwrite(big, 1, sizeof(big), f), sizeof(big));
	fclose(f);
	/* As curl sends bodies over 1 MiB (forced here, under the limit):
	 * headers, wait for 100, then the body. */
	snprintf(args, sizeof(args),
		 "-v -X PUT -H 'Expect: 100-continue' --data-binary @%s "
		 "http://localhost/drives/rootfs",
		 file);
	curl(args, out, sizeof(out));
	unlink(file);
	cr_assert_not_null(strstr(out, "< HTTP/1.1 100 Continue"), "%s", out);
	cr_assert_not_null(strstr(out, "< HTTP/1.1 200 OK"), "%s", out);
	cr_assert_not_null(strstr(out, "{\"echo\": \"/drives/rootfs\", "
				       "\"method\": \"PUT\", \"len\": 4000}"),
			   "%s", out);
}

Test(http_server, curl_body_over_the_limit_is_refused_before_it_is_sent)
{
	char out[16384], file[128], args[512];
	FILE *f;
	int i;

	if (!have_curl())
		cr_skip_test("no curl");
	server_up(NULL);
	snprintf(file, sizeof(file), "%s/body", fx.dir);
	f = fopen(file, "w");
	cr_assert_not_null(f);
	for (i = 0; i < 2 * 1024; i++)
		cr_assert_eq(fprintf(f, "%01023d\n", i), 1024);
	fclose(f);
	/* curl adds Expect: 100-continue by itself above 1 MiB; the final
	 * answer comes instead of the 100, and no body is read. */
	snprintf(args, sizeof(args),
		 "-v -X PUT --data-binary @%s http://localhost/drives/rootfs",
		 file);
	curl(args, out, sizeof(out));
	unlink(file);
	cr_assert_not_null(strstr(out, "> Expect: 100-continue"), "%s", out);
	cr_assert_null(strstr(out, "< HTTP/1.1 100 Continue"), "%s", out);
	cr_assert_not_null(strstr(out, "< HTTP/1.1 400 Bad Request"), "%s",
			   out);
	cr_assert_not_null(strstr(out, "limit of 51200 allowed by server"),
			   "%s", out);
	cr_assert_eq(atomic_load(&fx.served), 0);
}

Test(http_server, curl_keep_alive_two_urls_one_connection)
{
	char out[4096];

	if (!have_curl())
		cr_skip_test("no curl");
	server_up(NULL);
	/* num_connects is 0 for a transfer that reused the connection. */
	curl("-o /dev/null -o /dev/null "
	     "-w '%{http_code} %{num_connects}\\n' "
	     "http://localhost/a http://localhost/b",
	     out, sizeof(out));
	cr_assert_str_eq(out, "200 1\n200 0\n");
}

/* --- framing and limits, from raw sockets ------------------------------- */

Test(http_server, body_over_the_limit_is_400_as_firecracker)
{
	char body[1024], line[128];
	struct reader *r;

	server_up(NULL);
	r = reader_connect();
	send_str(r->fd,
		 "PUT /drives/x HTTP/1.1\r\nContent-Length: 51201\r\n\r\n");
	cr_assert_eq(reader_next(r, line, body, sizeof(body)), 400, "%s", line);
	cr_assert_not_null(strstr(body, "\"fault_message\": \"Request payload "
					"with size 51201 is larger than the "
					"limit of 51200 allowed by server."),
			   "%s", body);
	cr_assert(closed_by_server(r));
	reader_close(r);
}

Test(http_server, body_limit_is_configurable)
{
	struct http_server_config cfg = { .max_body = 100 };
	char req[512], body[256];

	server_up(&cfg);
	snprintf(req, sizeof(req),
		 "PUT /x HTTP/1.1\r\nContent-Length: 100\r\n\r\n%0100d", 0);
	cr_assert_eq(round_trip(req, body, sizeof(body)), 200);
	cr_assert_str_eq(body, "{\"echo\": \"/x\", \"method\": \"PUT\", "
			       "\"len\": 100}");
	snprintf(req, sizeof(req),
		 "PUT /x HTTP/1.1\r\nContent-Length: 101\r\n\r\n%0101d", 0);
	cr_assert_eq(round_trip(req, body, sizeof(body)), 400);
	cr_assert_not_null(strstr(body, "limit of 100 allowed"), "%s", body);
}

Test(http_server, body_at_the_default_limit_is_taken)
{
	size_t len = HTTP_SERVER_DEFAULT_MAX_BODY;
	char *req = malloc(len + 128), body[256];
	int n;

	cr_assert_not_null(req);
	server_up(NULL);
	n = sprintf(req, "PUT /big HTTP/1.1\r\nContent-Length: %zu\r\n\r\n",
		    len);
	memset(req + n, 'x', len);
	req[n + len] = '\0';
	cr_assert_eq(round_trip(req, body, sizeof(body)), 200);
	cr_assert_not_null(strstr(body, "\"len\": 51200"), "%s", body);
	free(req);
}

Test(http_server, malformed_request_lines_are_400)
{
	static const char *const bad[] = {
		"NOT A REQUEST\r\n\r\n",
		"GET\r\n\r\n",
		"GET /x HTTP/9.9\r\n\r\n",
		"GET /x HTTP/1.1\r\nBad Header\r\n\r\n",
		"PUT /x HTTP/1.1\r\nContent-Length: nope\r\n\r\n",
	};
	char body[512];
	size_t i;

	server_up(NULL);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_assert_eq(round_trip(bad[i], body, sizeof(body)), 400, "%s",
			     bad[i]);
		cr_assert_eq(strncmp(body, "{\"fault_message\": \"", 19), 0,
			     "%s", body);
	}
	/* And the server goes on. */
	cr_assert_eq(round_trip("GET /ok HTTP/1.1\r\n\r\n", NULL, 0), 200);
}

Test(http_server, chunked_bodies_are_refused)
{
	char body[512];

	server_up(NULL);
	cr_assert_eq(round_trip("PUT /x HTTP/1.1\r\n"
				"Transfer-Encoding: chunked\r\n\r\n"
				"5\r\nhello\r\n0\r\n\r\n",
				body, sizeof(body)),
		     400);
	cr_assert_not_null(strstr(body, "Transfer-Encoding"), "%s", body);
	cr_assert_eq(atomic_load(&fx.served), 0);
}

Test(http_server, headers_over_the_limit_are_400)
{
	struct http_server_config cfg = { .max_header = 1024 };
	char req[4096], body[512];

	server_up(&cfg);
	snprintf(req, sizeof(req), "GET /x HTTP/1.1\r\nX-Big: %02000d\r\n\r\n",
		 0);
	cr_assert_eq(round_trip(req, body, sizeof(body)), 400);
	cr_assert_not_null(strstr(body, "headers are larger"), "%s", body);
}

Test(http_server, http_1_0_closes_after_the_answer)
{
	char line[128];
	struct reader *r;

	server_up(NULL);
	r = reader_connect();
	send_str(r->fd, "GET /old HTTP/1.0\r\n\r\n");
	cr_assert_eq(reader_next(r, line, NULL, 0), 200);
	cr_assert_str_eq(line, "HTTP/1.0 200 OK");
	cr_assert_not_null(strstr(r->head, "\r\nConnection: close\r\n"), "%s",
			   r->head);
	cr_assert(closed_by_server(r));
	reader_close(r);
}

Test(http_server, http_1_0_keep_alive_stays_open)
{
	struct reader *r;

	server_up(NULL);
	r = reader_connect();
	send_str(r->fd, "GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
	cr_assert_eq(reader_next(r, NULL, NULL, 0), 200);
	send_str(r->fd, "GET /b HTTP/1.0\r\n\r\n");
	cr_assert_eq(reader_next(r, NULL, NULL, 0), 200);
	cr_assert(closed_by_server(r));
	reader_close(r);
}

Test(http_server, expect_100_continue_before_the_body)
{
	char line[128], body[256];
	struct reader *r;

	server_up(NULL);
	r = reader_connect();
	send_str(r->fd, "PUT /x HTTP/1.1\r\nContent-Length: 5\r\n"
			"Expect: 100-continue\r\n\r\n");
	/* Nothing of the body is sent until the server says so. */
	cr_assert_eq(reader_next(r, line, NULL, 0), 100);
	cr_assert_str_eq(line, "HTTP/1.1 100 Continue");
	send_str(r->fd, "hello");
	cr_assert_eq(reader_next(r, NULL, body, sizeof(body)), 200);
	cr_assert_not_null(strstr(body, "\"len\": 5"), "%s", body);
	reader_close(r);
}

Test(http_server, no_content_has_no_length)
{
	char line[128];
	struct reader *r;

	server_up(NULL);
	r = reader_connect();
	send_str(r->fd, "PUT /empty HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}");
	cr_assert_eq(reader_next(r, line, NULL, 0), 204);
	cr_assert_null(strcasestr(r->head, "Content-Length"), "%s", r->head);
	/* Still usable. */
	send_str(r->fd, "GET /again HTTP/1.1\r\n\r\n");
	cr_assert_eq(reader_next(r, NULL, NULL, 0), 200);
	reader_close(r);
}

Test(http_server, pipelined_requests_are_answered_in_order)
{
	char body[256];
	struct reader *r;

	server_up(NULL);
	r = reader_connect();
	send_str(r->fd, "GET /p1 HTTP/1.1\r\nHost: x\r\n\r\n"
			"PUT /p2 HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc"
			"GET /unknown/p3 HTTP/1.1\r\n\r\n"
			"PATCH /p4 HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}");
	cr_assert_eq(reader_next(r, NULL, body, sizeof(body)), 200);
	cr_assert_str_eq(body, "{\"echo\": \"/p1\", \"method\": \"GET\", "
			       "\"len\": 0}");
	cr_assert_eq(reader_next(r, NULL, body, sizeof(body)), 200);
	cr_assert_str_eq(body, "{\"echo\": \"/p2\", \"method\": \"PUT\", "
			       "\"len\": 3}");
	cr_assert_eq(reader_next(r, NULL, body, sizeof(body)), 400);
	cr_assert_eq(reader_next(r, NULL, body, sizeof(body)), 200);
	cr_assert_str_eq(body, "{\"echo\": \"/p4\", \"method\": \"PATCH\", "
			       "\"len\": 2}");
	reader_close(r);
}

/* --- connections and deadlines ------------------------------------------ */

Test(http_server, eleventh_connection_gets_503)
{
	int fds[HTTP_SERVER_DEFAULT_MAX_CONNS], extra, i;
	char body[256];
	struct reader *r;

	server_up(NULL);
	/* A round trip on each: the server has taken them all. */
	for (i = 0; i < HTTP_SERVER_DEFAULT_MAX_CONNS; i++) {
		fds[i] = client();
		r = reader_new(fds[i]);
		send_str(fds[i], "GET /hi HTTP/1.1\r\n\r\n");
		cr_assert_eq(reader_next(r, NULL, NULL, 0), 200);
		free(r);
	}
	extra = client();
	r = reader_new(extra);
	cr_assert_eq(reader_next(r, NULL, body, sizeof(body)), 503);
	cr_assert_str_eq(body,
			 "{\"fault_message\": \"Too many open connections\"}");
	cr_assert(closed_by_server(r));
	free(r);
	close(extra);
	/* One leaves: there is room again. */
	close(fds[0]);
	for (i = 0; i < 100; i++) {
		int status = round_trip("GET /again HTTP/1.1\r\n\r\n", NULL, 0);

		if (status == 200)
			break;
		cr_assert_eq(status, 503);
		sleep_ms(50);
	}
	cr_assert_lt(i, 100);
	for (i = 1; i < HTTP_SERVER_DEFAULT_MAX_CONNS; i++)
		close(fds[i]);
}

Test(http_server, stalled_client_is_closed_and_hurts_nobody)
{
	struct http_server_config cfg = { .request_timeout_ms = 200 };
	char line[128];
	int stalled;
	struct reader *r;

	server_up(&cfg);
	stalled = client();
	send_str(stalled, "PUT /x HTTP/1.1\r\nHost: x\r\nContent-Le");
	/* Others are served meanwhile. */
	cr_assert_eq(round_trip("GET /other HTTP/1.1\r\n\r\n", NULL, 0), 200);
	/* The staller is told and closed once its deadline passes. */
	r = reader_new(stalled);
	cr_assert_eq(reader_next(r, line, NULL, 0), 408, "%s", line);
	cr_assert(closed_by_server(r));
	free(r);
	close(stalled);
	cr_assert_eq(round_trip("GET /after HTTP/1.1\r\n\r\n", NULL, 0), 200);
}

Test(http_server, stalled_body_is_closed_too)
{
	struct http_server_config cfg = { .request_timeout_ms = 200 };
	int stalled;
	struct reader *r;

	server_up(&cfg);
	stalled = client();
	send_str(stalled, "PUT /x HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc");
	r = reader_new(stalled);
	cr_assert_eq(reader_next(r, NULL, NULL, 0), 408);
	cr_assert(closed_by_server(r));
	free(r);
	close(stalled);
	cr_assert_eq(atomic_load(&fx.served), 0);
}

Test(http_server, idle_timeout_closes_idle_connections)
{
	struct http_server_config cfg = { .idle_timeout_ms = 200 };
	struct reader *r;

	server_up(&cfg);
	r = reader_connect();
	send_str(r->fd, "GET /a HTTP/1.1\r\n\r\n");
	cr_assert_eq(reader_next(r, NULL, NULL, 0), 200);
	cr_assert(closed_by_server(r));
	reader_close(r);
}

Test(http_server, client_leaving_mid_body_hurts_nobody)
{
	int i;

	server_up(NULL);
	/* As many as there are slots: each must give its slot back. */
	for (i = 0; i < HTTP_SERVER_DEFAULT_MAX_CONNS; i++) {
		int fd = client();

		send_str(fd, "PUT /midbody HTTP/1.1\r\nContent-Length: 100\r\n"
			     "\r\n{\"half\": ");
		close(fd);
	}
	cr_assert(eventually_all_served(HTTP_SERVER_DEFAULT_MAX_CONNS));
	cr_assert_eq(atomic_load(&fx.midbody), 0);
}

Test(http_server, answer_to_a_client_that_left_goes_nowhere)
{
	struct timespec until;
	int fd;

	server_up(NULL);
	fd = client();
	send_str(fd, "PUT /hold HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}");
	/* Wait (bounded) until the consumer holds it, then leave. */
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += WAIT_MS / 1000;
	pthread_mutex_lock(&fx.lock);
	while (!fx.held)
		if (pthread_cond_timedwait(&fx.cond, &fx.lock, &until))
			break;
	pthread_mutex_unlock(&fx.lock);
	cr_assert_not_null(fx.held);
	close(fd);
	/* Others are served while that request is out. */
	cr_assert_eq(round_trip("GET /other HTTP/1.1\r\n\r\n", NULL, 0), 200);
	pthread_mutex_lock(&fx.lock);
	http_server_respond(fx.srv, fx.held, 200, "{\"late\": true}");
	fx.held = NULL;
	pthread_mutex_unlock(&fx.lock);
	/* Its slot comes back once the answer found nobody. */
	cr_assert(eventually_all_served(HTTP_SERVER_DEFAULT_MAX_CONNS));
}

Test(http_server, thread_is_named_as_firecracker_names_it)
{
	char path[300], comm[32];
	bool found = false;
	FILE *f;
	int tries;

	server_up(NULL);
	/* The thread names itself after it starts: look a few times. */
	for (tries = 0; tries < 100 && !found; tries++) {
		DIR *d = opendir("/proc/self/task");
		struct dirent *de;

		cr_assert_not_null(d);
		while (!found && (de = readdir(d))) {
			if (de->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "/proc/self/task/%s/comm",
				 de->d_name);
			f = fopen(path, "r");
			if (!f)
				continue;
			found = fgets(comm, sizeof(comm), f) &&
				!strcmp(comm, "fc_api\n");
			fclose(f);
		}
		closedir(d);
		if (!found)
			sleep_ms(10);
	}
	cr_assert(found);
}

/* --- the socket's life -------------------------------------------------- */

Test(http_server, socket_is_private_and_removed_at_the_end)
{
	struct stat st;

	server_up(NULL);
	cr_assert_eq(stat(fx.path, &st), 0);
	cr_assert(S_ISSOCK(st.st_mode));
	cr_assert_eq(st.st_mode & 0777, 0600);
	server_down();
	cr_assert_eq(stat(fx.path, &st), -1);
	cr_assert_eq(errno, ENOENT);
}

Test(http_server, stop_disconnects_clients)
{
	struct reader *r;

	server_up(NULL);
	r = reader_connect();
	send_str(r->fd, "GET /a HTTP/1.1\r\n\r\n");
	cr_assert_eq(reader_next(r, NULL, NULL, 0), 200);
	send_str(r->fd, "GET /half");
	http_server_stop(fx.srv);
	cr_assert(closed_by_server(r));
	/* And nobody new gets in. */
	cr_assert_eq(access(fx.path, F_OK), -1);
	reader_close(r);
}

Test(http_server, stale_socket_is_replaced_live_one_and_files_are_not)
{
	struct http_server_config cfg = { 0 };
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct http_server *other;
	char file[160];
	int fd;

	server_up(NULL);
	cfg.path = fx.path;
	/* A live server owns the path. */
	cr_assert_eq(http_server_create(&cfg, &other), -EADDRINUSE);
	/* A socket nobody listens on is stale. */
	snprintf(file, sizeof(file), "%s/stale.sock", fx.dir);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	strcpy(sa.sun_path, file);
	cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);
	cfg.path = file;
	cr_assert_eq(http_server_create(&cfg, &other), 0);
	http_server_destroy(other);
	/* Anything else is left alone. */
	snprintf(file, sizeof(file), "%s/file", fx.dir);
	fd = creat(file, 0600);
	cr_assert_geq(fd, 0);
	close(fd);
	cr_assert_eq(http_server_create(&cfg, &other), -EEXIST);
	unlink(file);
}
