// SPDX-License-Identifier: Apache-2.0
/* tests/devices/virtio/test_vsock.c: virtio-vsock on its worker, against real Unix sockets. */
#include <criterion/criterion.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "devices/virtio/vsock.h"
#include "devices/virtio/vsock_proto.h"
#include "support/fds.h"
#include "support/mock_vq.h"
#include "support/need_io_uring.h"
#include "support/vdev_harness.h"

#define RAM_SIZE	(8u << 20)
#define QSIZE		64
#define RING_BASE	0x1000		/* rx, tx, event: a stride apart */
#define RX_BASE		0x100000	/* rx buffer i at + i * RX_STRIDE */
#define RX_STRIDE	0x2000
#define NR_RX		32
#define RX_LEN		(44 + 4096)	/* Linux's rx buffers */
#define TX_HDR		0x200000	/* the packet being sent: header, */
#define TX_DATA		0x201000	/* its payload */
#define EV_BASE		0x300000	/* event buffers */
#define CID		3
#define MAX_CONNS	4
#define F_STREAM	(1ull << 0)
#define F_VERSION_1	(1ull << 32)
#define LOCAL0		(1u << 30)	/* the first host-initiated port */

enum { RXQ, TXQ, EVQ };

static struct vh h;
static struct vdev *dev;
static char dir[32], uds[48];
static uint16_t rx_seen;	/* rx used entries consumed */

/* A packet the guest received. */
struct gpkt {
	struct vsock_hdr h;		/* host order */
	uint8_t data[4096];
};

static void create(void)
{
	const struct vsock_params p = { .cid = CID, .uds_path = uds,
					.max_conns = MAX_CONNS };

	cr_assert_eq(vsock_create(&h.mem, h.kick, &p, &dev), 0);
	vh_attach(&h, dev);
}

static void setup(void)
{
	need_io_uring();
	snprintf(dir, sizeof(dir), "/tmp/ignis-vsock-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(uds, sizeof(uds), "%s/v.sock", dir);
	vh_init(&h, RAM_SIZE, 3);
	create();
}

/* Removes whatever the test made in (dir), then (dir). */
static void teardown(void)
{
	char path[200];

	vsock_destroy(dev);
	dev = NULL;
	vh_fini(&h);
	for (int port = 0; port < 10000; port += 1000) {
		snprintf(path, sizeof(path), "%s_%d", uds, port);
		unlink(path);
	}
	unlink(uds);
	rmdir(dir);
}

TestSuite(vsock, .init = setup, .fini = teardown, .timeout = 60);

/* ---- the guest side, on mock queues ---- */

static void post_rx(uint16_t i)
{
	const struct mock_buf b = { RX_BASE + i * RX_STRIDE, RX_LEN,
				    VQ_DESC_F_WRITE };

	mock_vq_add_chain(&h.mq[RXQ], i, &b, 1);
}

/* DRIVER_OK with every rx buffer posted and a few event buffers. */
static void activate(void)
{
	cr_assert_eq(vh_activate(&h, F_VERSION_1 | F_STREAM, QSIZE, RING_BASE),
		     0);
	rx_seen = 0;
	for (uint16_t i = 0; i < NR_RX; i++)
		post_rx(i);
	for (uint16_t i = 0; i < 4; i++) {
		const struct mock_buf b = { EV_BASE + i * 16, 4,
					    VQ_DESC_F_WRITE };

		mock_vq_add_chain(&h.mq[EVQ], i, &b, 1);
	}
	vh_kick(&h, RXQ);
	vh_kick(&h, EVQ);
}

/* The next packet the device put in rx, within (ns): reposts its buffer. */
static bool rx_poll(struct gpkt *p, uint64_t ns)
{
	uint64_t end = vh_now_ns() + ns;
	uint32_t id, len;
	const uint8_t *b;

	while (mock_vq_used_idx(&h.mq[RXQ]) == rx_seen) {
		if (vh_now_ns() >= end)
			return false;
		vh_nap();
	}
	mock_vq_used_elem(&h.mq[RXQ], rx_seen % QSIZE, &id, &len);
	rx_seen++;
	cr_assert_lt(id, NR_RX);
	cr_assert_geq(len, 44);
	b = vh_ptr(&h, RX_BASE + id * RX_STRIDE, len);
	memcpy(&p->h, b, 44);
	vsock_hdr_swap(&p->h);
	cr_assert_eq(len, 44 + p->h.len, "used len is header + payload");
	cr_assert_leq(p->h.len, sizeof(p->data));
	memcpy(p->data, b + 44, p->h.len);
	/* What every packet from the device must say. */
	cr_assert_eq(p->h.src_cid, 2);
	cr_assert_eq(p->h.dst_cid, CID);
	cr_assert_eq(p->h.type, VSOCK_TYPE_STREAM);
	post_rx((uint16_t)id);
	vh_kick(&h, RXQ);
	return true;
}

static void rx_expect(uint16_t op, struct gpkt *p)
{
	cr_assert(rx_poll(p, VH_WAIT_NS), "no packet (op %u expected)", op);
	cr_assert_eq(p->h.op, op, "op %u, expected %u", p->h.op, op);
}

/* Nothing comes within (ms). */
static void rx_expect_none(unsigned int ms)
{
	struct gpkt p;

	cr_assert_not(rx_poll(&p, ms * 1000000ull), "unexpected op %u",
		      p.h.op);
}

/* A header from the guest: flow (sport -> dport), our credit info. */
static struct vsock_hdr gh(uint16_t op, uint32_t sport, uint32_t dport,
			   uint32_t len, uint32_t buf_alloc, uint32_t fwd_cnt)
{
	return (struct vsock_hdr){
		.src_cid = CID, .dst_cid = 2, .src_port = sport,
		.dst_port = dport, .len = len, .type = VSOCK_TYPE_STREAM,
		.op = op, .buf_alloc = buf_alloc, .fwd_cnt = fwd_cnt,
	};
}

/* Sends a chain: the header in one buffer, (n) payload bytes in another
 * (as Linux does); waits until the device has taken it. */
static void tx_raw(const struct mock_buf *b, unsigned int nr)
{
	uint16_t idx = mock_vq_used_idx(&h.mq[TXQ]);

	mock_vq_add_chain(&h.mq[TXQ], 0, b, nr);
	vh_kick(&h, TXQ);
	vh_wait_used(&h, TXQ, (uint16_t)(idx + 1));
}

static void tx_send(struct vsock_hdr hd, const void *payload, uint32_t n)
{
	const struct mock_buf b[2] = { { TX_HDR, 44, 0 }, { TX_DATA, n, 0 } };

	vsock_hdr_swap(&hd);
	memcpy(vh_ptr(&h, TX_HDR, 44), &hd, 44);
	if (n)
		memcpy(vh_ptr(&h, TX_DATA, n), payload, n);
	tx_raw(b, n ? 2 : 1);
}

/* ---- the host side ---- */

static int host_connect(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	cr_assert_geq(fd, 0);
	cr_assert_lt(strlen(path), sizeof(a.sun_path));
	memcpy(a.sun_path, path, strlen(path) + 1);
	cr_assert_eq(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0,
		     "connect %s: %s", path, strerror(errno));
	return fd;
}

static int host_listen(unsigned int port)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	cr_assert_geq(fd, 0);
	snprintf(a.sun_path, sizeof(a.sun_path), "%s_%u", uds, port);
	cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	cr_assert_eq(listen(fd, 8), 0);
	return fd;
}

static bool host_ready(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, ms) == 1;
}

static int host_accept(int l)
{
	int fd;

	cr_assert(host_ready(l, 5000), "the device never connected");
	fd = accept4(l, NULL, NULL, SOCK_CLOEXEC);
	cr_assert_geq(fd, 0);
	return fd;
}

static void host_write(int fd, const void *p, size_t n)
{
	cr_assert_eq(write(fd, p, n), (ssize_t)n);
}

static void host_read(int fd, void *p, size_t n)
{
	uint8_t *b = p;

	while (n) {
		ssize_t r;

		cr_assert(host_ready(fd, 5000), "host read timed out");
		r = read(fd, b, n);
		cr_assert_gt(r, 0, "host read: %zd", r);
		b += r;
		n -= (size_t)r;
	}
}

/* The device closed the host's socket within (ms): EOF, or ECONNRESET
 * once the socket is gone with bytes the host sent still unread. */
static void host_expect_eof(int fd, int ms)
{
	ssize_t r;
	char c;

	cr_assert(host_ready(fd, ms), "socket still open");
	r = read(fd, &c, 1);
	cr_assert(r == 0 || (r < 0 && errno == ECONNRESET),
		  "data instead of EOF (%zd, %s)", r, strerror(errno));
}

/* A host-initiated flow to guest port (port), established: the guest
 * gives (buf_alloc); returns the host's socket and our local port. */
static int host_flow(uint32_t port, uint32_t buf_alloc, uint32_t *lport)
{
	char line[32], want[32];
	int fd = host_connect(uds);
	struct gpkt p;
	int n;

	n = snprintf(line, sizeof(line), "CONNECT %u\n", port);
	host_write(fd, line, (size_t)n);
	rx_expect(VSOCK_OP_REQUEST, &p);
	cr_assert_eq(p.h.dst_port, port);
	*lport = p.h.src_port;
	tx_send(gh(VSOCK_OP_RESPONSE, port, *lport, 0, buf_alloc, 0), NULL, 0);
	n = snprintf(want, sizeof(want), "OK %u\n", *lport);
	host_read(fd, line, (size_t)n);
	cr_assert_eq(memcmp(line, want, (size_t)n), 0);
	return fd;
}

static uint8_t pattern(uint32_t i, uint8_t salt)
{
	return (uint8_t)(i * 131 + (i >> 8) + salt);
}

/* ---- tests ---- */

Test(vsock, ops_and_config)
{
	const struct vdev_ops *o = dev->ops;
	uint32_t lo, hi;

	cr_assert_str_eq(o->name, "vsock");
	cr_assert_eq(o->device_id, 19);
	cr_assert_eq(o->nr_queues, 3);
	cr_assert_eq(o->max_queue_size, 256);
	cr_assert_eq(o->features, F_STREAM | (1ull << 28) | (1ull << 29));
	cr_assert_eq(o->config_size, 8);
	/* le64 guest_cid, read as the transport reads it. */
	cr_assert_eq(o->config_rw(dev, 0, &lo, 4, false), 0);
	cr_assert_eq(o->config_rw(dev, 4, &hi, 4, false), 0);
	cr_assert_eq(le32toh(lo), CID);
	cr_assert_eq(hi, 0);
	lo = 99;
	o->config_rw(dev, 0, &lo, 4, true);
	o->config_rw(dev, 0, &lo, 4, false);
	cr_assert_eq(le32toh(lo), CID, "guest_cid is read-only");
}

Test(vsock, create_checks_its_arguments)
{
	struct vsock_params p = { .cid = CID, .uds_path = uds };
	char path[200], longp[128];
	struct vdev *d = NULL;
	struct stat st;
	int fd;

	/* Reserved CIDs (5.10.4). */
	for (uint64_t cid = 0; cid <= 2; cid++) {
		p.cid = cid;
		cr_expect_eq(vsock_create(&h.mem, h.kick, &p, &d), -EINVAL);
	}
	p.cid = 0xffffffff;
	cr_expect_eq(vsock_create(&h.mem, h.kick, &p, &d), -EINVAL);
	p.cid = 1ull << 32 | CID;
	cr_expect_eq(vsock_create(&h.mem, h.kick, &p, &d), -EINVAL);
	p.cid = CID;
	p.uds_path = "";
	cr_expect_eq(vsock_create(&h.mem, h.kick, &p, &d), -EINVAL);
	memset(longp, 'a', 97);
	longp[97] = '\0';
	p.uds_path = longp;
	cr_expect_eq(vsock_create(&h.mem, h.kick, &p, &d), -EINVAL);
	/* The path exists (it is this device's): Firecracker's refusal. */
	p.uds_path = uds;
	cr_expect_eq(vsock_create(&h.mem, h.kick, &p, &d), -EADDRINUSE);
	cr_assert_eq(stat(uds, &st), 0, "the live socket stays");
	cr_assert(S_ISSOCK(st.st_mode));
	/* Some other file: refused too, left alone. */
	snprintf(path, sizeof(path), "%s/file", dir);
	fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
	cr_assert_geq(fd, 0);
	close(fd);
	p.uds_path = path;
	cr_expect_eq(vsock_create(&h.mem, h.kick, &p, &d), -EADDRINUSE);
	cr_expect_eq(stat(path, &st), 0);
	unlink(path);
	cr_expect_null(d);
}

/* The device removes its socket at destroy, but not a file that took
 * its name since. */
Test(vsock, destroy_removes_only_its_socket)
{
	struct stat st;
	int fd;

	vsock_destroy(dev);
	dev = NULL;
	cr_expect_neq(stat(uds, &st), 0, "the socket file is gone");
	create();
	unlink(uds);
	fd = open(uds, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
	cr_assert_geq(fd, 0);
	close(fd);
	vsock_destroy(dev);
	dev = NULL;
	cr_expect_eq(stat(uds, &st), 0, "someone else's file stays");
	cr_expect(S_ISREG(st.st_mode));
	unlink(uds);
	create();
}

Test(vsock, host_initiated_connection)
{
	static uint8_t big[10000], got[10005];
	uint32_t rcvd = 0, told = 0, lport;
	int fd = host_connect(uds);
	struct gpkt p;
	char line[32];

	activate();
	/* Bytes after the line are the host's first data. */
	host_write(fd, "CONNECT 52\nearly", 16);
	rx_expect(VSOCK_OP_REQUEST, &p);
	cr_expect_eq(p.h.src_port, LOCAL0);
	cr_expect_eq(p.h.dst_port, 52);
	cr_expect_eq(p.h.buf_alloc, 64 * 1024);
	cr_expect_eq(p.h.len, 0);
	lport = p.h.src_port;
	/* Nothing reaches the host before the guest answers. */
	cr_expect_not(host_ready(fd, 50));
	tx_send(gh(VSOCK_OP_RESPONSE, 52, lport, 0, 4096, 0), NULL, 0);
	host_read(fd, line, 14);
	cr_expect_eq(memcmp(line, "OK 1073741824\n", 14), 0);

	/* Host to guest, 10 KiB more than the guest's 4 KiB of room: the
	 * device stops at its credit and asks; the guest tells. */
	for (uint32_t i = 0; i < sizeof(big); i++)
		big[i] = pattern(i, 1);
	host_write(fd, big, sizeof(big));
	while (rcvd < sizeof(got)) {
		cr_assert(rx_poll(&p, VH_WAIT_NS), "stalled at %u", rcvd);
		if (p.h.op == VSOCK_OP_CREDIT_REQUEST) {
			told = rcvd;
			tx_send(gh(VSOCK_OP_CREDIT_UPDATE, 52, lport, 0, 4096,
				   told), NULL, 0);
			continue;
		}
		cr_assert_eq(p.h.op, VSOCK_OP_RW);
		cr_assert_leq(rcvd + p.h.len - told, 4096, "beyond our credit");
		cr_assert_leq(rcvd + p.h.len, sizeof(got));
		memcpy(got + rcvd, p.data, p.h.len);
		rcvd += p.h.len;
	}
	cr_expect_eq(memcmp(got, "early", 5), 0);
	cr_expect_eq(memcmp(got + 5, big, sizeof(big)), 0);

	/* Guest to host. */
	tx_send(gh(VSOCK_OP_RW, 52, lport, 1000, 4096, rcvd), big, 1000);
	host_read(fd, got, 1000);
	cr_expect_eq(memcmp(got, big, 1000), 0);

	/* The host hangs up: SHUTDOWN both ways, the guest RSTs, the entry
	 * goes; the next flow gets the next port. */
	close(fd);
	rx_expect(VSOCK_OP_SHUTDOWN, &p);
	cr_expect_eq(p.h.flags, VSOCK_SHUTDOWN_RCV | VSOCK_SHUTDOWN_SEND);
	tx_send(gh(VSOCK_OP_RST, 52, lport, 0, 4096, rcvd), NULL, 0);
	fd = host_flow(52, 4096, &lport);
	cr_expect_eq(lport, LOCAL0 + 1);
	close(fd);
	cr_assert(vh_has_thread("virtio-vsock"), "the worker names its device");
}

Test(vsock, guest_initiated_connection)
{
	static uint8_t sent_buf[100 * 1024], host_buf[100 * 1024];
	uint32_t sent = 0, hosted = 0, peer_buf = 0, peer_fwd = 0;
	int l = host_listen(5000), a;
	uint64_t end = vh_now_ns() + 20 * VH_WAIT_NS;
	struct vsock_hdr hd;
	struct gpkt p;
	ssize_t r;

	activate();
	tx_send(gh(VSOCK_OP_REQUEST, 1000, 5000, 0, 4096, 0), NULL, 0);
	a = host_accept(l);
	rx_expect(VSOCK_OP_RESPONSE, &p);
	cr_expect_eq(p.h.src_port, 5000);
	cr_expect_eq(p.h.dst_port, 1000);
	peer_buf = p.h.buf_alloc;
	peer_fwd = p.h.fwd_cnt;
	cr_expect_eq(peer_buf, 64 * 1024);

	/* 100 KiB: more than the device's 64 KiB of credit, so the guest
	 * waits for the device's CREDIT_UPDATE as the host reads. */
	for (uint32_t i = 0; i < sizeof(sent_buf); i++)
		sent_buf[i] = pattern(i, 7);
	fcntl(a, F_SETFL, O_NONBLOCK);
	while (sent < sizeof(sent_buf) || hosted < sizeof(sent_buf)) {
		uint32_t credit = vsock_credit(peer_buf, sent, peer_fwd);
		uint32_t n = sizeof(sent_buf) - sent;

		cr_assert_lt(vh_now_ns(), end, "stuck: sent %u hosted %u", sent,
			     hosted);
		if (credit && n) {
			n = n < credit ? n : credit;
			n = n < 4096 ? n : 4096;
			tx_send(gh(VSOCK_OP_RW, 1000, 5000, n, 4096, 0),
				sent_buf + sent, n);
			sent += n;
			continue;
		}
		r = read(a, host_buf + hosted, sizeof(host_buf) - hosted);
		if (r > 0)
			hosted += (uint32_t)r;
		if (rx_poll(&p, 2000000)) {
			cr_assert_eq(p.h.op, VSOCK_OP_CREDIT_UPDATE);
			peer_buf = p.h.buf_alloc;
			peer_fwd = p.h.fwd_cnt;
		}
	}
	cr_expect_eq(memcmp(host_buf, sent_buf, sizeof(sent_buf)), 0);
	cr_expect_eq(vsock_credit(peer_buf, sent, peer_fwd) <= 64 * 1024, 1);

	/* The guest's SHUTDOWN(SEND) is the host's EOF; the host can still
	 * answer, then hang up. */
	fcntl(a, F_SETFL, 0);
	hd = gh(VSOCK_OP_SHUTDOWN, 1000, 5000, 0, 4096, 0);
	hd.flags = VSOCK_SHUTDOWN_SEND;
	tx_send(hd, NULL, 0);
	host_expect_eof(a, 5000);
	host_write(a, "bye", 3);
	close(a);
	rx_expect(VSOCK_OP_RW, &p);
	cr_expect_eq(p.h.len, 3);
	cr_expect_eq(memcmp(p.data, "bye", 3), 0);
	rx_expect(VSOCK_OP_SHUTDOWN, &p);
	tx_send(gh(VSOCK_OP_RST, 1000, 5000, 0, 4096, 3), NULL, 0);
	close(l);
}

/* 5.10.6.5: "A VIRTIO_VSOCK_OP_RST reply is sent if a listening socket
 * does not exist on the destination". */
Test(vsock, guest_connect_to_nobody_is_reset)
{
	struct gpkt p;
	int l;

	activate();
	tx_send(gh(VSOCK_OP_REQUEST, 1000, 6000, 0, 4096, 0), NULL, 0);
	rx_expect(VSOCK_OP_RST, &p);
	cr_expect_eq(p.h.src_port, 6000);
	cr_expect_eq(p.h.dst_port, 1000);
	/* The same flow works once somebody listens. */
	l = host_listen(6000);
	tx_send(gh(VSOCK_OP_REQUEST, 1000, 6000, 0, 4096, 0), NULL, 0);
	close(host_accept(l));
	rx_expect(VSOCK_OP_RESPONSE, &p);
	close(l);
}

Test(vsock, bad_connect_lines_close_the_socket)
{
	static const char *const bad[] = {
		"GARBAGE\n",
		"CONNECT\n",
		"CONNECT -5\n",
		"CONNECT 99999999999\n",
		"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",	/* too long */
	};
	int fd;

	activate();
	for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		fd = host_connect(uds);
		host_write(fd, bad[i], strlen(bad[i]));
		host_expect_eof(fd, 5000);
		close(fd);
	}
	/* EOF before the newline. */
	fd = host_connect(uds);
	host_write(fd, "CONNECT 5", 9);
	shutdown(fd, SHUT_WR);
	host_expect_eof(fd, 5000);
	close(fd);
	rx_expect_none(100);
	/* The device goes on. */
	close(host_flow(52, 4096, &(uint32_t){ 0 }));
}

/* A host that never sends its line is let go after the timeout. */
Test(vsock, silent_host_times_out)
{
	int fd = host_connect(uds);
	uint64_t t0 = vh_now_ns();

	activate();
	host_expect_eof(fd, 5000);
	cr_expect_geq(vh_now_ns() - t0, 1500000000ull, "not before ~2 s");
	close(fd);
	rx_expect_none(10);
}

/* Nobody listens on the guest port: the guest RSTs the REQUEST, the host
 * is hung up on without an OK. */
Test(vsock, guest_refuses_host_connection)
{
	int fd = host_connect(uds);
	struct gpkt p;

	activate();
	host_write(fd, "CONNECT 99\n", 11);
	rx_expect(VSOCK_OP_REQUEST, &p);
	tx_send(gh(VSOCK_OP_RST, 99, p.h.src_port, 0, 0, 0), NULL, 0);
	host_expect_eof(fd, 5000);
	close(fd);
}

/* A guest that never answers the REQUEST is sent RST after ~2 s. */
Test(vsock, unanswered_request_times_out)
{
	int fd = host_connect(uds);
	struct gpkt p;
	uint32_t lport;

	activate();
	host_write(fd, "CONNECT 52\n", 11);
	rx_expect(VSOCK_OP_REQUEST, &p);
	lport = p.h.src_port;
	rx_expect(VSOCK_OP_RST, &p);
	cr_expect_eq(p.h.src_port, lport);
	host_expect_eof(fd, 5000);
	close(fd);
}

Test(vsock, malformed_packets)
{
	struct mock_buf b[2] = { { TX_HDR, 20, 0 } };
	struct vsock_hdr hd;
	struct gpkt p;

	activate();
	/* No flow: RST, the ports swapped. */
	tx_send(gh(VSOCK_OP_RW, 1000, 7000, 1, 4096, 0), "x", 1);
	rx_expect(VSOCK_OP_RST, &p);
	cr_expect_eq(p.h.src_port, 7000);
	cr_expect_eq(p.h.dst_port, 1000);
	/* Never an RST for an RST. */
	tx_send(gh(VSOCK_OP_RST, 1000, 7000, 0, 4096, 0), NULL, 0);
	/* An unknown type, op, a len beyond the chain: RST. */
	hd = gh(VSOCK_OP_REQUEST, 1001, 7000, 0, 4096, 0);
	hd.type = 2;
	tx_send(hd, NULL, 0);
	rx_expect(VSOCK_OP_RST, &p);
	cr_expect_eq(p.h.dst_port, 1001);
	hd = gh(9, 1002, 7000, 0, 4096, 0);
	tx_send(hd, NULL, 0);
	rx_expect(VSOCK_OP_RST, &p);
	cr_expect_eq(p.h.dst_port, 1002);
	hd = gh(VSOCK_OP_RW, 1003, 7000, 100, 4096, 0);
	tx_send(hd, "abc", 3);
	rx_expect(VSOCK_OP_RST, &p);
	cr_expect_eq(p.h.dst_port, 1003);
	/* Not this guest's, or for another guest: dropped, no answer. */
	hd = gh(VSOCK_OP_REQUEST, 1004, 7000, 0, 4096, 0);
	hd.src_cid = 4;
	tx_send(hd, NULL, 0);
	hd = gh(VSOCK_OP_REQUEST, 1005, 7000, 0, 4096, 0);
	hd.dst_cid = 5;
	tx_send(hd, NULL, 0);
	/* Chains that are no packet: returned empty. */
	tx_raw(b, 1);
	vh_check_used(&h, TXQ, (uint16_t)(mock_vq_used_idx(&h.mq[TXQ]) - 1),
		      0, 0);
	b[0] = (struct mock_buf){ TX_HDR, 44, VQ_DESC_F_WRITE };
	tx_raw(b, 1);
	rx_expect_none(100);
	/* Header split across buffers: still a packet. */
	hd = gh(VSOCK_OP_CREDIT_REQUEST, 1006, 7000, 0, 4096, 0);
	vsock_hdr_swap(&hd);
	memcpy(vh_ptr(&h, TX_HDR, 44), &hd, 44);
	b[0] = (struct mock_buf){ TX_HDR, 10, 0 };
	b[1] = (struct mock_buf){ TX_HDR + 10, 34, 0 };
	tx_raw(b, 2);
	rx_expect(VSOCK_OP_RST, &p);
	cr_expect_eq(p.h.dst_port, 1006);
	/* The event queue is never touched. */
	cr_expect_eq(mock_vq_used_idx(&h.mq[EVQ]), 0);
}

/* 5.10.6.1: RSTs owed for flows that do not exist wait outside the
 * queues, up to a bound; past it the tx queue waits for the driver to
 * take from rx, and goes on by itself once it does. */
Test(vsock, tx_waits_for_rx_when_rsts_pile_up)
{
	const struct mock_buf b = { TX_HDR, 44, 0 };
	struct vsock_hdr hd;
	struct gpkt p;

	/* No rx buffers yet. */
	cr_assert_eq(vh_activate(&h, F_VERSION_1 | F_STREAM, QSIZE, RING_BASE),
		     0);
	rx_seen = 0;
	for (uint32_t i = 0; i < 64; i++)
		tx_send(gh(VSOCK_OP_RW, 1000 + i, 9000, 1, 4096, 0), "x", 1);
	hd = gh(VSOCK_OP_CREDIT_REQUEST, 2000, 9000, 0, 4096, 0);
	vsock_hdr_swap(&hd);
	memcpy(vh_ptr(&h, TX_HDR, 44), &hd, 44);
	mock_vq_add_chain(&h.mq[TXQ], 0, &b, 1);
	vh_kick(&h, TXQ);
	nanosleep(&(struct timespec){ .tv_nsec = 100000000 }, NULL);
	cr_expect_eq(mock_vq_used_idx(&h.mq[TXQ]), 64, "the 65th waits");
	for (uint16_t i = 0; i < NR_RX; i++)
		post_rx(i);
	vh_kick(&h, RXQ);
	for (uint32_t i = 0; i < 65; i++) {
		rx_expect(VSOCK_OP_RST, &p);
		cr_expect_eq(p.h.dst_port, i < 64 ? 1000 + i : 2000);
	}
	vh_wait_used(&h, TXQ, 65);
	rx_expect_none(50);
}

/* A guest that sends beyond its credit loses the flow, not our memory.
 * The host reads nothing: once its socket is full the device's send
 * waits for good, and what the device took from then on stays in its
 * buffer until the credit is gone. Every byte the host does take is
 * reported (the guest's view is low by then), so a quiet second followed
 * by a CREDIT_UPDATE that still shows none means none. */
Test(vsock, guest_beyond_credit_is_reset)
{
	static uint8_t data[4096];
	uint32_t lport, sent = 0, peer_buf = 64 * 1024, peer_fwd = 0;
	uint64_t end = vh_now_ns() + 20 * VH_WAIT_NS;
	struct gpkt p;
	char c;
	int fd;

	activate();
	fd = host_flow(52, 4096, &lport);
	for (;;) {
		uint32_t credit = vsock_credit(peer_buf, sent, peer_fwd);

		cr_assert_lt(vh_now_ns(), end);
		if (credit) {
			credit = credit < sizeof(data) ? credit : sizeof(data);
			tx_send(gh(VSOCK_OP_RW, 52, lport, credit, 4096, 0),
				data, credit);
			sent += credit;
			continue;
		}
		if (rx_poll(&p, 1000000000)) {
			cr_assert_eq(p.h.op, VSOCK_OP_CREDIT_UPDATE);
		} else {
			tx_send(gh(VSOCK_OP_CREDIT_REQUEST, 52, lport, 0, 4096,
				   0), NULL, 0);
			rx_expect(VSOCK_OP_CREDIT_UPDATE, &p);
			if (vsock_credit(p.h.buf_alloc, sent, p.h.fwd_cnt) == 0)
				break;
		}
		peer_buf = p.h.buf_alloc;
		peer_fwd = p.h.fwd_cnt;
	}
	cr_expect_gt(sent, 64 * 1024, "the host's socket took some");
	tx_send(gh(VSOCK_OP_RW, 52, lport, 1, 4096, 0), data, 1);
	rx_expect(VSOCK_OP_RST, &p);
	cr_expect_eq(p.h.src_port, lport);
	/* The host gets what was taken, then EOF. */
	while (host_ready(fd, 5000) && read(fd, &c, 1) == 1)
		continue;
	cr_expect_eq(read(fd, &c, 1), 0);
	close(fd);
}

/* A reset drops every connection: each host reads EOF before reset()
 * returns; the listener stays for the next driver. */
Test(vsock, reset_closes_every_host_socket)
{
	int l = host_listen(5000), a, b;
	uint32_t lport;
	struct gpkt p;

	activate();
	a = host_flow(52, 4096, &lport);
	tx_send(gh(VSOCK_OP_REQUEST, 1000, 5000, 0, 4096, 0), NULL, 0);
	b = host_accept(l);
	rx_expect(VSOCK_OP_RESPONSE, &p);
	dev->ops->reset(dev);
	host_expect_eof(a, 0);
	host_expect_eof(b, 0);
	close(a);
	close(b);
	dev->ops->reset(dev);	/* a second status 0: nothing to do */
	activate();
	a = host_flow(52, 4096, &lport);
	cr_expect_eq(lport, LOCAL0, "a reset starts the ports over");
	close(a);
	close(l);
}

/*
 * The worker thread and its ring exist from creation, idle, with the
 * listener open: a host connection made before DRIVER_OK, or between a
 * reset and the next, waits in its backlog and is served once the driver
 * is up. The thread goes with the device.
 */
Test(vsock, host_connection_waits_for_the_driver)
{
	struct gpkt p;
	int fd;

	vh_wait_thread("virtio-vsock", true);
	for (unsigned int round = 0; round < 2; round++) {
		fd = host_connect(uds);
		host_write(fd, "CONNECT 52\n", 11);
		activate();
		rx_expect(VSOCK_OP_REQUEST, &p);
		cr_expect_eq(p.h.dst_port, 52);
		dev->ops->reset(dev);
		host_expect_eof(fd, 0);
		close(fd);
		cr_assert(vh_has_thread("virtio-vsock"), "idle after a reset");
	}
	vsock_destroy(dev);
	dev = NULL;
	vh_wait_thread("virtio-vsock", false);
}

/* Host connections get accepted and closed at once (Firecracker's
 * policy), guest ones RST, until an entry frees. */
Test(vsock, full_table_refuses_new_connections)
{
	uint32_t lport[MAX_CONNS];
	int fds[MAX_CONNS], fd;
	struct gpkt p;
	bool in = false;

	activate();
	for (unsigned int i = 0; i < MAX_CONNS; i++)
		fds[i] = host_flow(52 + i, 4096, &lport[i]);
	fd = host_connect(uds);
	host_expect_eof(fd, 5000);
	close(fd);
	tx_send(gh(VSOCK_OP_REQUEST, 1000, 5000, 0, 4096, 0), NULL, 0);
	rx_expect(VSOCK_OP_RST, &p);
	cr_expect_eq(p.h.dst_port, 1000);
	rx_expect_none(50);
	/* One flow ends; its entry takes the next host connection. The
	 * entry frees asynchronously: a connection that comes first is
	 * still refused, so try until one is taken. */
	close(fds[0]);
	rx_expect(VSOCK_OP_SHUTDOWN, &p);
	tx_send(gh(VSOCK_OP_RST, 52, lport[0], 0, 4096, 0), NULL, 0);
	for (unsigned int tries = 0; !in && tries < 100; tries++) {
		uint64_t end = vh_now_ns() + VH_WAIT_NS;

		fds[0] = host_connect(uds);
		host_write(fds[0], "CONNECT 60\n", 11);
		/* Taken (a REQUEST comes) or refused (the host sees EOF). */
		while (!host_ready(fds[0], 0) && vh_now_ns() < end &&
		       !(in = rx_poll(&p, 1000000)))
			continue;
		if (!in) {
			host_expect_eof(fds[0], 0);
			close(fds[0]);
		}
	}
	cr_assert(in, "no room after a flow ended");
	cr_expect_eq(p.h.op, VSOCK_OP_REQUEST);
	cr_expect_eq(p.h.dst_port, 60);
	for (unsigned int i = 0; i < MAX_CONNS; i++)
		close(fds[i]);
}

/* Nothing of the device's is left open once it is destroyed. */
Test(vsock, leaves_no_fds)
{
	int l = host_listen(5000), a, b;
	unsigned int before;
	uint32_t lport;
	struct gpkt p;

	vsock_destroy(dev);
	before = count_fds();
	create();
	activate();
	a = host_flow(52, 4096, &lport);
	tx_send(gh(VSOCK_OP_REQUEST, 1000, 5000, 0, 4096, 0), NULL, 0);
	b = host_accept(l);
	rx_expect(VSOCK_OP_RESPONSE, &p);
	vsock_destroy(dev);
	dev = NULL;
	host_expect_eof(a, 0);
	host_expect_eof(b, 0);
	close(a);
	close(b);
	cr_expect_eq(count_fds(), before);
	close(l);
	create();
}

/* A guest sending whatever it likes on flows that exist and flows that
 * do not: the device answers or drops, never breaks, and serves the
 * next connection as before. */
Test(vsock, random_packets_leave_it_working)
{
	static uint8_t data[512];
	int l = host_listen(5000), fd;
	unsigned int seed = 52;
	uint32_t lport;
	struct gpkt p;

	activate();
	fd = host_flow(52, 4096, &lport);
	fcntl(l, F_SETFL, O_NONBLOCK);
	for (unsigned int i = 0; i < 3000; i++) {
		uint32_t r = (uint32_t)rand_r(&seed);
		struct vsock_hdr hd = gh((uint16_t)(r % 9), 1000 + r % 3,
					 r & 8 ? 5000 : lport, 0,
					 (uint32_t)rand_r(&seed),
					 (uint32_t)rand_r(&seed));
		uint32_t n = (uint32_t)rand_r(&seed) % sizeof(data);
		int a;

		if (r & 16)
			hd.dst_port = 52 + r % 2;
		hd.flags = (uint32_t)rand_r(&seed) % 4;
		if (r % 31 == 0)
			hd.type = (uint16_t)(r >> 8);
		hd.len = r % 7 == 0 ? (uint32_t)rand_r(&seed) : n;
		tx_send(hd, data, hd.op == VSOCK_OP_RW ? n : r % 5);
		while (rx_poll(&p, 0))
			continue;
		a = accept4(l, NULL, NULL, SOCK_CLOEXEC);
		if (a >= 0)
			close(a);
	}
	cr_assert_not(atomic_load(&dev->needs_reset));
	close(fd);
	close(l);
	while (rx_poll(&p, 50000000))
		continue;
	fd = host_flow(60, 4096, &lport);
	host_write(fd, "still here", 10);
	rx_expect(VSOCK_OP_RW, &p);
	cr_expect_eq(memcmp(p.data, "still here", 10), 0);
	close(fd);
}
