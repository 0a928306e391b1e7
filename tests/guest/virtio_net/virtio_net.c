// SPDX-License-Identifier: Apache-2.0
/*
 * tests/guest/virtio_net/virtio_net.c: a polling virtio-net driver (virtio
 * 1.2, 5.1) on the guest virtio core. As 10.0.0.2 it asks for 10.0.0.1's
 * MAC (ARP, RFC 826), then pings it (ICMP echo, RFC 792) and checks the
 * reply. The host side of the tap is 10.0.0.1, and the host's own stack
 * answers both, so every frame crosses the device in both directions.
 */
#include "rt.h"
#include "vio.h"

#define ID_NET		1
#define QSIZE		16
#define RXQ		0
#define TXQ		1
#define NR_RX		8		/* receive buffers kept posted */
#define RX_LEN		2048		/* header + one MTU-sized frame */
#define HDR_LEN		12		/* virtio_net_hdr_mrg_rxbuf (5.1.6) */

#define F_MAC		(1ULL << 5)
#define F_STATUS	(1ULL << 16)

#define ETH_ARP		0x0806
#define ETH_IP		0x0800

static const uint8_t my_ip[4] = { 10, 0, 0, 2 };
static const uint8_t host_ip[4] = { 10, 0, 0, 1 };

static struct vio_ring rx_ring, tx_ring;
static uint8_t rx_buf[NR_RX][RX_LEN] __attribute__((aligned(64)));
static uint8_t tx_buf[RX_LEN] __attribute__((aligned(64)));
static uint8_t my_mac[6], host_mac[6];

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* The Internet checksum (RFC 1071) of (len) bytes. */
static uint16_t csum(const uint8_t *p, size_t len)
{
	uint32_t s = 0;

	for (size_t i = 0; i + 1 < len; i += 2)
		s += get16(p + i);
	if (len & 1)
		s += (uint32_t)p[len - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static void post_rx(struct vio_queue *q, unsigned int n)
{
	const struct vio_buf b = { rx_buf[n], RX_LEN, VIO_DESC_F_WRITE };

	vio_add(q, (uint16_t)n, &b, 1);
}

/* Sends the (len)-byte frame in tx_buf + HDR_LEN (header all zero: no
 * offloads) and waits until the device has taken it. 0 or -1. */
static int send(struct vio_dev *d, struct vio_queue *q, uint32_t len)
{
	const struct vio_buf b = { tx_buf, HDR_LEN + len, 0 };
	uint32_t id, used;

	memset(tx_buf, 0, HDR_LEN);
	vio_add(q, 0, &b, 1);
	vio_notify(d, q);
	if (vio_wait(q, &id, &used)) {
		vio_say(d, "tx timeout");
		return -1;
	}
	return 0;
}

/* Waits for a frame of (type) for us; returns its rx buffer index (the
 * frame starts at HDR_LEN), or -1. Other frames are reposted. */
static int recv(struct vio_dev *d, struct vio_queue *q, uint16_t type,
		uint32_t *len)
{
	for (unsigned int tries = 0; tries < 32; tries++) {
		uint32_t id, used;
		const uint8_t *f;

		if (vio_wait(q, &id, &used)) {
			vio_say(d, "rx timeout");
			return -1;
		}
		vio_ack_irq(d);
		if (id >= NR_RX || used < HDR_LEN + 14 || used > RX_LEN) {
			vio_say_dec(d, "bad rx used len", used);
			return -1;
		}
		f = rx_buf[id] + HDR_LEN;
		/* num_buffers is 1 for a frame in one buffer (5.1.6.4). */
		if (get16(f + 12) == type && !memcmp(f, my_mac, 6) &&
		    rx_buf[id][10] == 1 && rx_buf[id][11] == 0) {
			*len = used - HDR_LEN;
			return (int)id;
		}
		post_rx(q, id);	/* not ours (IPv6 noise, ...): reuse */
		vio_notify(d, q);
	}
	return -1;
}

static int arp(struct vio_dev *d, struct vio_queue *rx, struct vio_queue *tx)
{
	uint8_t *f = tx_buf + HDR_LEN, *a = f + 14;
	uint32_t len;
	int n;

	memset(f, 0xff, 6);			/* broadcast */
	memcpy(f + 6, my_mac, 6);
	put16(f + 12, ETH_ARP);
	put16(a, 1);				/* Ethernet */
	put16(a + 2, ETH_IP);
	a[4] = 6;
	a[5] = 4;
	put16(a + 6, 1);			/* request */
	memcpy(a + 8, my_mac, 6);
	memcpy(a + 14, my_ip, 4);
	memset(a + 18, 0, 6);
	memcpy(a + 24, host_ip, 4);
	if (send(d, tx, 14 + 28))
		return -1;
	n = recv(d, rx, ETH_ARP, &len);
	if (n < 0)
		return -1;
	a = rx_buf[n] + HDR_LEN + 14;
	if (get16(a + 6) != 2 || memcmp(a + 14, host_ip, 4)) {
		vio_say(d, "unexpected arp frame");
		return -1;
	}
	memcpy(host_mac, a + 8, 6);
	vio_say(d, "arp reply from 10.0.0.1");
	post_rx(rx, (unsigned int)n);
	vio_notify(d, rx);
	return 0;
}

/* ICMP echo with (payload) bytes; checks the reply carries them back. */
static int ping(struct vio_dev *d, struct vio_queue *rx, struct vio_queue *tx,
		uint16_t seq, uint32_t payload)
{
	uint8_t *f = tx_buf + HDR_LEN, *ip = f + 14, *ic = ip + 20;
	uint32_t len, iplen = 20 + 8 + payload;
	const uint8_t *r;
	int n;

	memcpy(f, host_mac, 6);
	memcpy(f + 6, my_mac, 6);
	put16(f + 12, ETH_IP);
	memset(ip, 0, 20);
	ip[0] = 0x45;
	put16(ip + 2, (uint16_t)iplen);
	ip[8] = 64;				/* TTL */
	ip[9] = 1;				/* ICMP */
	memcpy(ip + 12, my_ip, 4);
	memcpy(ip + 16, host_ip, 4);
	put16(ip + 10, csum(ip, 20));
	ic[0] = 8;				/* echo request */
	ic[1] = 0;
	put16(ic + 2, 0);
	put16(ic + 4, 0x1915);			/* identifier */
	put16(ic + 6, seq);
	for (uint32_t i = 0; i < payload; i++)
		ic[8 + i] = (uint8_t)(i * 31 + seq);
	put16(ic + 2, csum(ic, 8 + payload));
	if (send(d, tx, 14 + iplen))
		return -1;
	n = recv(d, rx, ETH_IP, &len);
	if (n < 0)
		return -1;
	r = rx_buf[n] + HDR_LEN + 14;
	if (len < 14 + iplen || r[9] != 1 || r[20] != 0 ||
	    get16(r + 24) != 0x1915 || get16(r + 26) != seq ||
	    memcmp(r + 28, ic + 8, payload) || csum(r + 20, 8 + payload)) {
		vio_say(d, "bad echo reply");
		return -1;
	}
	post_rx(rx, (unsigned int)n);
	vio_notify(d, rx);
	return 0;
}

void guest_main(unsigned int proto, uint64_t info)
{
	struct vio_dev d;
	struct vio_queue rx, tx;
	unsigned int ok = 0;

	if (vio_probe(&d, VIO_SLOT_BASE(0), ID_NET, "virtio_net") ||
	    vio_negotiate(&d, F_MAC | F_STATUS) ||
	    vio_queue_setup(&d, &rx, RXQ, QSIZE, &rx_ring) ||
	    vio_queue_setup(&d, &tx, TXQ, QSIZE, &tx_ring) ||
	    vio_driver_ok(&d))
		return;
	if (!(d.features & F_MAC)) {
		vio_fail(&d, "no MAC offered");
		return;
	}
	for (unsigned int i = 0; i < 6; i++)
		my_mac[i] = (uint8_t)(vio_config32(&d, i & ~3u) >> (8 * (i & 3)));
	vio_say_hex(&d, "mac low byte", my_mac[5]);
	if (d.features & F_STATUS)
		vio_say_hex(&d, "link", vio_config32(&d, 4) >> 16 & 1);
	for (unsigned int i = 0; i < NR_RX; i++)
		post_rx(&rx, i);
	vio_notify(&d, &rx);
	if (arp(&d, &rx, &tx))
		goto out;
	for (uint16_t seq = 1; seq <= 3; seq++)
		if (!ping(&d, &rx, &tx, seq, seq == 3 ? 1400 : 56))
			ok++;
	vio_say_dec(&d, "echo replies", ok);
out:
	vio_say_hex(&d, "status", vio_status(&d));
	vio_reset(&d);
}
