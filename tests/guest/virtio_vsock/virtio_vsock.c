// SPDX-License-Identifier: Apache-2.0
/*
 * tests/guest/virtio_vsock/virtio_vsock.c: a polling virtio-vsock driver
 * (virtio 1.2, 5.10) and a tiny stream stack on the guest virtio core,
 * against ignis's Firecracker-style backend, whose host side is the test:
 *  1. connects to host port 9999, where nobody listens: expects RST;
 *  2. connects to host port 5000 (the test listens on <uds>_5000), sends
 *     96 KiB, SHUTDOWN(SEND), and takes 96 KiB back until the host hangs
 *     up; with 64 KiB of device credit and 4 KiB of our own, both sides'
 *     flow control (5.10.6.3) is needed to get through;
 *  3. listens on port 1234: echoes host-initiated connections, refuses
 *     (RST) REQUESTs for other ports, ends after the first echo flow the
 *     host closed.
 * Every packet the device sends is checked: addresses, type, our credit.
 */
#include "rt.h"
#include "vio.h"

#define ID_VSOCK	19
#define QSIZE		32
#define NR_RX		16		/* rx buffers kept posted */
#define HDR		44		/* struct virtio_vsock_hdr */
#define MAX_DATA	4096		/* payload per packet, either way */
#define RX_AREA		0x800000ULL	/* rx buffers, out of the image */
#define RX_STRIDE	0x2000
#define GUEST_BUF	4096		/* our buf_alloc: small on purpose */
#define NR_FLOWS	4

#define F_STREAM	(1ULL << 0)

#define OP_REQUEST	1
#define OP_RESPONSE	2
#define OP_RST		3
#define OP_SHUTDOWN	4
#define OP_RW		5
#define OP_CREDIT_UPDATE 6
#define OP_CREDIT_REQUEST 7
#define SHUT_RCV	1
#define SHUT_SEND	2

#define REFUSED_PORT	9999
#define HOST_PORT	5000
#define LISTEN_PORT	1234
#define MY_PORT		2000		/* first port of our own flows */
#define SEND_BYTES	(96 * 1024)	/* phase 2, each way */
#define SALT_TO_HOST	3
#define SALT_FROM_HOST	101

/* Generous: the host side is a test on a shared machine. At 1-4 GHz. */
#define TSC_PHASE	(40ULL * 1000 * 1000 * 1000)

struct vhdr {
	uint64_t src_cid;
	uint64_t dst_cid;
	uint32_t src_port;
	uint32_t dst_port;
	uint32_t len;
	uint16_t type;
	uint16_t op;
	uint32_t flags;
	uint32_t buf_alloc;
	uint32_t fwd_cnt;
} __attribute__((packed));

enum { F_FREE, F_CONNECTING, F_OPEN, F_CLOSED };

/* One stream flow, guest side. */
struct flow {
	int state;
	uint32_t lport, rport;		/* ours, the host's */
	uint32_t peer_buf, peer_fwd;	/* the device's credit info */
	uint32_t tx_cnt;		/* payload bytes sent */
	uint32_t rx_cnt;		/* payload bytes received */
	uint32_t fwd_cnt;		/* of those, consumed */
	uint32_t told;			/* fwd_cnt in our last header */
	int echo;			/* a listening flow: echo it */
	int rst;			/* ended by the device's RST */
	int shut;			/* the device sent SHUTDOWN */
};

static struct vio_dev d;
static struct vio_queue rxq, txq, evq;
static struct vio_ring rx_ring, tx_ring, ev_ring;
static uint8_t txbuf[HDR + MAX_DATA] __attribute__((aligned(64)));
static uint8_t echo_buf[GUEST_BUF];
static uint32_t echo_len;
static uint8_t evbuf[4][4];
static uint64_t cid;
static struct flow flows[NR_FLOWS];
static unsigned int errors, refused, echo_done;
static uint64_t echoed;

static uint8_t pattern(uint32_t i, uint8_t salt)
{
	return (uint8_t)(i + (i >> 8) * 17 + (i >> 16) * 5 + salt);
}

static uint8_t *rx_buf(unsigned int i)
{
	return (uint8_t *)(uintptr_t)(RX_AREA + i * RX_STRIDE);
}

static void error(const char *what, uint64_t v)
{
	errors++;
	vio_say_dec(&d, what, v);
}

static void post_rx(uint16_t i)
{
	const struct vio_buf b = { rx_buf(i), HDR + MAX_DATA,
				   VIO_DESC_F_WRITE };

	vio_add(&rxq, i, &b, 1);
}

/* One packet on tx: header, then (len) bytes of (data); waits until the
 * device took it. The header carries our credit. */
static void pkt_send(uint32_t lport, uint32_t rport, uint16_t op,
		     uint32_t flags, uint32_t fwd_cnt, const void *data,
		     uint32_t len)
{
	struct vhdr *h = (struct vhdr *)txbuf;
	struct vio_buf b[2] = {
		{ txbuf, HDR, 0 },
		{ txbuf + HDR, len, 0 },
	};
	uint32_t id, used;

	*h = (struct vhdr){
		.src_cid = cid, .dst_cid = 2, .src_port = lport,
		.dst_port = rport, .len = len, .type = 1, .op = op,
		.flags = flags, .buf_alloc = GUEST_BUF, .fwd_cnt = fwd_cnt,
	};
	if (len)
		memcpy(txbuf + HDR, data, len);
	vio_add(&txq, 0, b, len ? 2 : 1);
	vio_notify(&d, &txq);
	if (vio_wait(&txq, &id, &used))
		error("tx timeout, op", op);
}

static void flow_send(struct flow *f, uint16_t op, uint32_t flags,
		      const void *data, uint32_t len)
{
	pkt_send(f->lport, f->rport, op, flags, f->fwd_cnt, data, len);
	f->told = f->fwd_cnt;
	f->tx_cnt += len;
}

/* Room the device may still use on (f): 5.10.6.3's peer_free. */
static uint32_t credit(const struct flow *f)
{
	uint32_t in_flight = f->tx_cnt - f->peer_fwd;

	return in_flight >= f->peer_buf ? 0 : f->peer_buf - in_flight;
}

/* What we consumed since we last said, once the device's view of our
 * room is low: it only sends what it thinks fits. */
static void maybe_update(struct flow *f)
{
	uint32_t view = GUEST_BUF - (f->rx_cnt - f->told);

	if (f->fwd_cnt != f->told && view < GUEST_BUF / 2)
		flow_send(f, OP_CREDIT_UPDATE, 0, 0, 0);
}

static struct flow *find(uint32_t lport, uint32_t rport)
{
	for (unsigned int i = 0; i < NR_FLOWS; i++)
		if (flows[i].state != F_FREE && flows[i].lport == lport &&
		    flows[i].rport == rport)
			return &flows[i];
	return 0;
}

static struct flow *new_flow(uint32_t lport, uint32_t rport)
{
	for (unsigned int i = 0; i < NR_FLOWS; i++) {
		if (flows[i].state == F_FREE || flows[i].state == F_CLOSED) {
			flows[i] = (struct flow){ .lport = lport,
						  .rport = rport };
			return &flows[i];
		}
	}
	return 0;
}

/* A host-initiated REQUEST: ours if for LISTEN_PORT, else refused. */
static void on_request(const struct vhdr *h)
{
	struct flow *f = 0;

	if (h->dst_port == LISTEN_PORT)
		f = new_flow(h->dst_port, h->src_port);
	if (!f) {
		pkt_send(h->dst_port, h->src_port, OP_RST, 0, 0, 0, 0);
		refused++;
		vio_say_dec(&d, "refused a request for port", h->dst_port);
		return;
	}
	f->state = F_OPEN;
	f->echo = 1;
	f->peer_buf = h->buf_alloc;
	f->peer_fwd = h->fwd_cnt;
	if (h->src_port < (1U << 30))
		error("host port below 2^30", h->src_port);
	flow_send(f, OP_RESPONSE, 0, 0, 0);
}

static void on_data(struct flow *f, const uint8_t *data, uint32_t len)
{
	/* The device MUST NOT send beyond our credit (5.10.6.3). */
	if (len > GUEST_BUF - (f->rx_cnt - f->fwd_cnt))
		error("credit exceeded by", len);
	if (f->echo) {
		if (echo_len + len > sizeof(echo_buf)) {
			error("echo overflow", len);
			len = sizeof(echo_buf) - echo_len;
		}
		memcpy(echo_buf + echo_len, data, len);
		echo_len += len;
		f->rx_cnt += len;
		return;	/* consumed as it is echoed */
	}
	for (uint32_t i = 0; i < len; i++) {
		if (data[i] != pattern(f->rx_cnt + i, SALT_FROM_HOST)) {
			error("bad byte at", f->rx_cnt + i);
			break;
		}
	}
	f->rx_cnt += len;
	f->fwd_cnt += len;
	maybe_update(f);
}

static void handle(const struct vhdr *h, const uint8_t *data, uint32_t used)
{
	struct flow *f;

	if (h->src_cid != 2 || h->dst_cid != cid || h->type != 1 ||
	    used != HDR + h->len) {
		error("bad packet from the device, op", h->op);
		return;
	}
	if (h->op == OP_REQUEST) {
		on_request(h);
		return;
	}
	f = find(h->dst_port, h->src_port);
	if (!f || f->state == F_CLOSED) {
		if (h->op != OP_RST)
			pkt_send(h->dst_port, h->src_port, OP_RST, 0, 0, 0, 0);
		return;
	}
	/* Every packet carries the device's credit. */
	f->peer_buf = h->buf_alloc;
	f->peer_fwd = h->fwd_cnt;
	switch (h->op) {
	case OP_RESPONSE:
		if (f->state == F_CONNECTING)
			f->state = F_OPEN;
		else
			error("unexpected RESPONSE on port", f->lport);
		break;
	case OP_RST:
		f->state = F_CLOSED;
		f->rst = 1;
		break;
	case OP_RW:
		on_data(f, data, h->len);
		break;
	case OP_SHUTDOWN:
		/* The host is gone: the clean disconnect's RST is ours. */
		if (h->flags != (SHUT_RCV | SHUT_SEND))
			error("SHUTDOWN flags", h->flags);
		f->shut = 1;
		flow_send(f, OP_RST, 0, 0, 0);
		f->state = F_CLOSED;
		if (f->echo)
			echo_done++;
		break;
	case OP_CREDIT_REQUEST:
		flow_send(f, OP_CREDIT_UPDATE, 0, 0, 0);
		break;
	case OP_CREDIT_UPDATE:
		break;
	default:
		error("unknown op", h->op);
	}
}

/* Handles the next packet the device put in rx, if any: 1, else 0. */
static int step(void)
{
	uint32_t id, len;

	if (vio_wait_tsc(&rxq, 0, &id, &len))
		return 0;
	vio_ack_irq(&d);
	if (id >= NR_RX || len < HDR || len > HDR + MAX_DATA) {
		error("bad rx used entry, len", len);
		if (id < NR_RX)
			post_rx((uint16_t)id);
	} else {
		handle((const struct vhdr *)rx_buf(id), rx_buf(id) + HDR, len);
		post_rx((uint16_t)id);
	}
	vio_notify(&d, &rxq);
	return 1;
}

/* The listening side's work: echo what came, within the device's credit. */
static void echo_work(void)
{
	for (unsigned int i = 0; i < NR_FLOWS && echo_len; i++) {
		struct flow *f = &flows[i];
		uint32_t n = echo_len;

		if (f->state != F_OPEN || !f->echo)
			continue;
		if (n > credit(f))
			n = credit(f);
		if (!n)
			continue;
		f->fwd_cnt += n;	/* consumed: out again */
		flow_send(f, OP_RW, 0, echo_buf, n);
		memcpy(echo_buf, echo_buf + n, echo_len - n);
		echo_len -= n;
		echoed += n;
		maybe_update(f);
	}
}

static int timed_out(uint64_t t0, const char *what)
{
	if (rt_rdtsc() - t0 < TSC_PHASE)
		return 0;
	vio_say(&d, what);
	errors++;
	return 1;
}

/* Phase 1: nobody listens on the host: RST. */
static void refused_port(void)
{
	struct flow *f = new_flow(MY_PORT, REFUSED_PORT);
	uint64_t t0 = rt_rdtsc();

	f->state = F_CONNECTING;
	flow_send(f, OP_REQUEST, 0, 0, 0);
	while (f->state == F_CONNECTING && !timed_out(t0, "timeout on 9999"))
		step();
	if (f->rst)
		vio_say_dec(&d, "refused by host port", REFUSED_PORT);
	else
		error("no RST from port", REFUSED_PORT);
}

/* Phase 2: 96 KiB to the host, 96 KiB back. */
static void to_host(void)
{
	struct flow *f = new_flow(MY_PORT + 1, HOST_PORT);
	static uint8_t chunk[MAX_DATA];
	uint64_t t0 = rt_rdtsc();
	int shut_sent = 0;

	f->state = F_CONNECTING;
	flow_send(f, OP_REQUEST, 0, 0, 0);
	while (f->state == F_CONNECTING && !timed_out(t0, "connect timeout"))
		step();
	if (f->state != F_OPEN) {
		error("not connected to port", HOST_PORT);
		return;
	}
	vio_say_dec(&d, "connected to host port", HOST_PORT);
	while (f->state == F_OPEN && !timed_out(t0, "transfer timeout")) {
		uint32_t n = SEND_BYTES - f->tx_cnt;

		if (n > credit(f))
			n = credit(f);
		if (n > MAX_DATA)
			n = MAX_DATA;
		if (n) {
			for (uint32_t i = 0; i < n; i++)
				chunk[i] = pattern(f->tx_cnt + i, SALT_TO_HOST);
			flow_send(f, OP_RW, 0, chunk, n);
		} else if (f->tx_cnt == SEND_BYTES && !shut_sent) {
			/* The host reads to EOF, then answers. */
			flow_send(f, OP_SHUTDOWN, SHUT_SEND, 0, 0);
			shut_sent = 1;
			vio_say_dec(&d, "sent bytes", f->tx_cnt);
		}
		step();
	}
	if (f->rx_cnt == SEND_BYTES && f->shut)
		vio_say_dec(&d, "received bytes", f->rx_cnt);
	else
		error("received only", f->rx_cnt);
}

/* Phase 3: echo host-initiated flows until the host closes one. */
static void serve_listen(void)
{
	uint64_t t0 = rt_rdtsc();

	vio_say_dec(&d, "listening on port", LISTEN_PORT);
	while (!echo_done && !timed_out(t0, "listen timeout")) {
		step();
		echo_work();
	}
	vio_say_dec(&d, "echoed bytes", echoed);
	vio_say_dec(&d, "refused requests", refused);
}

void guest_main(unsigned int proto, uint64_t info)
{
	if (vio_probe(&d, VIO_SLOT_BASE(0), ID_VSOCK, "virtio_vsock") ||
	    vio_negotiate(&d, F_STREAM) ||
	    vio_queue_setup(&d, &rxq, 0, QSIZE, &rx_ring) ||
	    vio_queue_setup(&d, &txq, 1, QSIZE, &tx_ring) ||
	    vio_queue_setup(&d, &evq, 2, QSIZE, &ev_ring))
		return;
	/* 5.10.5: the CID, event buffers, rx buffers, then DRIVER_OK. */
	cid = vio_config32(&d, 0) | (uint64_t)vio_config32(&d, 4) << 32;
	vio_say_dec(&d, "cid", cid);
	for (uint16_t i = 0; i < 4; i++) {
		const struct vio_buf b = { evbuf[i], 4, VIO_DESC_F_WRITE };

		vio_add(&evq, i, &b, 1);
	}
	for (uint16_t i = 0; i < NR_RX; i++)
		post_rx(i);
	if (vio_driver_ok(&d))
		return;
	vio_notify(&d, &rxq);
	refused_port();
	to_host();
	serve_listen();
	if (evq.r->used.idx)
		error("event used", evq.r->used.idx);
	vio_say_dec(&d, "errors", errors);
	vio_say_hex(&d, "status", vio_status(&d));
	/* A reset drops whatever connection is left (none should be). */
	vio_reset(&d);
}
