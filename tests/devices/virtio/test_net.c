// SPDX-License-Identifier: Apache-2.0
/* tests/devices/virtio/test_net.c: virtio-net on its worker, over a real tap. */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/ethtool.h>
#include <linux/if_packet.h>
#include <linux/sockios.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "devices/virtio/net.h"
#include "devices/virtio/queue.h"
#include "support/fds.h"
#include "support/need_io_uring.h"
#include "support/vdev_harness.h"

#define RAM_SIZE (8u << 20)
#define QSIZE 256
#define RING_BASE 0x1000 /* rxq; txq at + VH_RING_STRIDE */
#define TABLE_BASE 0x10000 /* indirect tables */
#define TX_BASE 0x20000 /* transmit buffers */
#define BIG_BASE 0x100000 /* 128 KiB for oversized chains */
#define RX_BASE 0x200000 /* receive buffers */
#define TAP "ignis-t0"
#define TAP2 "ignis-t1"
#define RXQ 0
#define TXQ 1
#define ETYPE 0x88b5 /* IEEE local experimental */

/* Feature bits (virtio 1.2, 5.1.3 and 6), from the spec, not net.c. */
#define F_CSUM (1ull << 0)
#define F_ACCESS_PLATFORM (1ull << VDEV_F_ACCESS_PLATFORM)
#define F_GUEST_CSUM (1ull << 1)
#define F_MTU (1ull << 3)
#define F_MAC (1ull << 5)
#define F_GUEST_TSO4 (1ull << 7)
#define F_GUEST_TSO6 (1ull << 8)
#define F_GUEST_ECN (1ull << 9)
#define F_GUEST_UFO (1ull << 10)
#define F_HOST_TSO4 (1ull << 11)
#define F_HOST_TSO6 (1ull << 12)
#define F_HOST_ECN (1ull << 13)
#define F_HOST_UFO (1ull << 14)
#define F_MRG_RXBUF (1ull << 15)
#define F_STATUS (1ull << 16)
#define F_CTRL_VQ (1ull << 17)
#define F_MQ (1ull << 22)
#define F_INDIRECT (1ull << 28)
#define F_EVENT_IDX (1ull << 29)
#define F_VERSION_1 (1ull << 32)

#define HDR_F_NEEDS_CSUM 1
#define GSO_TCPV4 1

/* struct virtio_net_hdr_mrg_rxbuf, little-endian (5.1.6). */
struct vnet_hdr {
	uint8_t flags;
	uint8_t gso_type;
	uint16_t hdr_len;
	uint16_t gso_size;
	uint16_t csum_start;
	uint16_t csum_offset;
	uint16_t num_buffers;
} __attribute__((packed));

static const uint8_t guest_mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };
static const uint8_t peer_mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x02 };

static struct vh h;
static struct vdev *dev;
static int pkt = -1; /* AF_PACKET on the tap, ETH_P_ALL */
static int ifindex;
static uint16_t next_desc[2]; /* next free descriptor per queue */
static unsigned int nr_rx; /* receive chains posted */
static uint8_t frame[NET_BUF_MAX + 64]; /* scratch */

/* ---- fixture ---- */

static int create(const char *tap, bool has_mac, struct vdev **out)
{
	struct net_params p = { .tap = tap, .has_mac = has_mac };

	memcpy(p.mac, guest_mac, sizeof(p.mac));
	return net_create(&h.mem, h.kick, &p, out);
}

static void write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		return; /* no IPv6 in this kernel: nothing to silence */
	cr_assert_eq(write(fd, s, strlen(s)), (ssize_t)strlen(s));
	close(fd);
}

static int if_ioctl(unsigned long req, struct ifreq *ifr)
{
	memset(ifr->ifr_name, 0, sizeof(ifr->ifr_name));
	memcpy(ifr->ifr_name, TAP, strlen(TAP));
	return ioctl(pkt, req, ifr);
}

static void set_mtu(int mtu)
{
	struct ifreq ifr = { .ifr_mtu = mtu };

	cr_assert_eq(if_ioctl(SIOCSIFMTU, &ifr), 0, "SIOCSIFMTU: %s",
		     strerror(errno));
}

/* A packet socket on the tap: what the host network sees. */
static int open_pkt(uint16_t proto, bool vnet)
{
	int one = 1, s = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET,
		.sll_protocol = htons(proto),
	};

	cr_assert_geq(s, 0, "AF_PACKET: %s", strerror(errno));
	/* Frames sent to the guest from here are not ours to receive. */
	cr_assert_eq(setsockopt(s, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one,
				sizeof(one)),
		     0);
	if (vnet)
		cr_assert_eq(setsockopt(s, SOL_PACKET, PACKET_VNET_HDR, &one,
					sizeof(one)),
			     0);
	if (ifindex) {
		sll.sll_ifindex = ifindex;
		cr_assert_eq(bind(s, (struct sockaddr *)&sll, sizeof(sll)), 0,
			     "bind: %s", strerror(errno));
	}
	return s;
}

static void setup(void)
{
	struct ifreq ifr;

	need_io_uring();
	if (access("/dev/net/tun", R_OK | W_OK))
		cr_skip_test("/dev/net/tun: %s", strerror(errno));
	/* A network namespace of our own: the tap and its traffic. */
	if (unshare(CLONE_NEWNET))
		cr_skip_test("unshare(CLONE_NEWNET): %s", strerror(errno));
	/* No router solicitations or MLD reports on the tap: the only
	 * frames the guest receives are the tests' own. */
	write_file("/proc/sys/net/ipv6/conf/default/disable_ipv6", "1");
	vh_init(&h, RAM_SIZE, 2);
	cr_assert_eq(create(TAP, true, &dev), 0);
	vh_attach(&h, dev);
	ifindex = 0;
	pkt = open_pkt(ETH_P_ALL, false);
	cr_assert_eq(if_ioctl(SIOCGIFINDEX, &ifr), 0);
	ifindex = ifr.ifr_ifindex;
	cr_assert_eq(if_ioctl(SIOCGIFFLAGS, &ifr), 0);
	ifr.ifr_flags |= IFF_UP;
	cr_assert_eq(if_ioctl(SIOCSIFFLAGS, &ifr), 0);
	close(pkt);
	pkt = open_pkt(ETH_P_ALL, false);
	next_desc[0] = next_desc[1] = 0;
	nr_rx = 0;
}

static void teardown(void)
{
	net_destroy(dev);
	dev = NULL;
	if (pkt >= 0)
		close(pkt);
	pkt = -1;
	vh_fini(&h);
}

TestSuite(net, .init = setup, .fini = teardown, .timeout = 60);

/* Counter (name) of the device's metrics since creation. */
static uint64_t metric_of(const char *name)
{
	const struct metrics_group *g = dev->metrics;

	for (unsigned int i = 0; i < g->nr; i++)
		if (!strcmp(g->names[i], name))
			return atomic_load(&g->m[i].count);
	cr_assert_fail("no metric %s", name);
	return 0;
}

/*
 * DRIVER_OK, then until the worker serves: it programs the tap's
 * offloads as it starts, then looks at both queues once (each counts a
 * queue event), so what the test does next meets the negotiated tap.
 */
static void activate(uint64_t features)
{
	uint64_t rx = metric_of("rx_queue_event_count");
	uint64_t tx = metric_of("tx_queue_event_count");
	uint64_t end;

	cr_assert_eq(vh_activate(&h, features | F_VERSION_1, QSIZE, RING_BASE),
		     0);
	end = vh_now_ns() + VH_WAIT_NS;
	while (metric_of("rx_queue_event_count") == rx ||
	       metric_of("tx_queue_event_count") == tx) {
		cr_assert_lt(vh_now_ns(), end, "the worker never served");
		vh_nap();
	}
}

/* What the transport does on a write of 0 to Status. */
static void reset(void)
{
	dev->ops->reset(dev);
	atomic_store(&dev->needs_reset, false);
	dev->status = 0;
	next_desc[0] = next_desc[1] = 0;
	nr_rx = 0;
}

/* ---- frames ---- */

static uint8_t pattern(unsigned int seed, size_t i)
{
	return (uint8_t)(seed * 31 + i * 7 + (i >> 8));
}

/* An Ethernet frame of (len) bytes from the peer to the guest. */
static void make_frame(uint8_t *f, size_t len, unsigned int seed)
{
	memcpy(f, guest_mac, 6);
	memcpy(f + 6, peer_mac, 6);
	f[12] = ETYPE >> 8;
	f[13] = ETYPE & 0xff;
	for (size_t i = 14; i < len; i++)
		f[i] = pattern(seed, i);
}

static void pkt_send(int s, const void *buf, size_t len)
{
	cr_assert_eq(send(s, buf, len, 0), (ssize_t)len, "send: %s",
		     strerror(errno));
}

/* The next frame the host network saw (bounded wait). */
static size_t pkt_recv(int s, void *buf, size_t cap)
{
	struct pollfd p = { .fd = s, .events = POLLIN };
	ssize_t n;

	cr_assert_eq(poll(&p, 1, (int)(VH_WAIT_NS / 1000000)), 1,
		     "no frame on the tap");
	n = recv(s, buf, cap, 0);
	cr_assert_gt(n, 0, "recv: %s", strerror(errno));
	return (size_t)n;
}

/* ---- the driver's side ---- */

/* Writes (len) bytes at guest (addr). */
static void gw(uint64_t addr, const void *src, uint32_t len)
{
	memcpy(vh_ptr(&h, addr, len), src, len);
}

/* Publishes a chain of (n) buffers on queue (q). */
static uint16_t add_chain(unsigned int q, const struct mock_buf *b,
			  unsigned int n)
{
	uint16_t head = next_desc[q];

	cr_assert_leq(head + n, QSIZE);
	mock_vq_add_chain(&h.mq[q], head, b, n);
	next_desc[q] += n;
	return head;
}

/* Posts (n) receive chains of one (size)-byte writable buffer each. */
static void rx_post(unsigned int n, uint32_t size)
{
	for (unsigned int i = 0; i < n; i++, nr_rx++) {
		const struct mock_buf b = { RX_BASE + (uint64_t)nr_rx * size,
					    size, VQ_DESC_F_WRITE };

		cr_assert_leq(RX_BASE + (uint64_t)(nr_rx + 1) * size, RAM_SIZE);
		add_chain(RXQ, &b, 1);
	}
}

/* Bounded wait until queue (q) has used at least (n) chains; returns
 * used->idx (vh_wait_used() wants it exact). */
static uint16_t wait_used_min(unsigned int q, uint16_t n)
{
	uint64_t end = vh_now_ns() + VH_WAIT_NS;
	uint16_t idx;

	while ((idx = mock_vq_used_idx(&h.mq[q])) < n) {
		cr_assert_lt(vh_now_ns(), end, "queue %u: used idx %u, want %u",
			     q, idx, n);
		vh_nap();
	}
	return idx;
}

static struct vnet_hdr rx_hdr(uint64_t addr)
{
	struct vnet_hdr v;

	memcpy(&v, vh_ptr(&h, addr, sizeof(v)), sizeof(v));
	return v;
}

/* Sends (len)-byte frame (seed) to the guest, then checks that it landed
 * in used entry (slot) as one chain at (addr). */
static void check_rx_one(uint16_t slot, uint64_t addr, size_t len,
			 unsigned int seed)
{
	struct vnet_hdr v;
	uint32_t id, used;

	wait_used_min(RXQ, (uint16_t)(slot + 1));
	mock_vq_used_elem(&h.mq[RXQ], slot, &id, &used);
	cr_assert_eq(used, NET_HDR_LEN + len, "used len");
	v = rx_hdr(addr);
	cr_assert_eq(le16toh(v.num_buffers), 1);
	cr_assert_eq(v.flags, 0);
	cr_assert_eq(v.gso_type, 0);
	make_frame(frame, len, seed);
	cr_assert_arr_eq(vh_ptr(&h, addr + NET_HDR_LEN, (uint32_t)len), frame,
			 len, "frame bytes");
}

/* Transmits frame (seed) of (len) bytes split as (lens) (header first),
 * from TX_BASE on; returns the chain's head. */
static uint16_t tx_split(size_t len, unsigned int seed, const uint32_t *lens,
			 unsigned int n)
{
	struct mock_buf b[8];
	uint8_t buf[2048];
	uint32_t off = 0;

	cr_assert_leq(NET_HDR_LEN + len, sizeof(buf));
	cr_assert_lt(TX_BASE + 0x800ull * (seed + 1), BIG_BASE);
	memset(buf, 0, NET_HDR_LEN); /* no offloads */
	make_frame(buf + NET_HDR_LEN, len, seed);
	memset(buf + NET_HDR_LEN, 0xff, 6); /* broadcast */
	for (unsigned int i = 0; i < n; i++) {
		/* Frame (seed) has its own 2 KiB of guest RAM. */
		b[i] = (struct mock_buf){ TX_BASE + 0x800ull * seed + off,
					  lens[i], 0 };
		gw(b[i].addr, buf + off, lens[i]);
		off += lens[i];
	}
	cr_assert_eq(off, NET_HDR_LEN + len);
	return add_chain(TXQ, b, n);
}

/* The next frame on the tap is frame (seed) of (len) bytes. */
static void expect_tx(size_t len, unsigned int seed)
{
	uint8_t want[2048];
	size_t got = pkt_recv(pkt, frame, sizeof(frame));

	make_frame(want, len, seed);
	memset(want, 0xff, 6);
	cr_assert_eq(got, len, "frame length");
	cr_assert_arr_eq(frame, want, len, "frame bytes");
}

/* ---- what the device offers ---- */

Test(net, ops_and_features)
{
	const struct vdev_ops *o = dev->ops;
	const uint64_t want = F_CSUM | F_GUEST_CSUM | F_GUEST_TSO4 |
			      F_GUEST_TSO6 | F_GUEST_ECN | F_HOST_TSO4 |
			      F_HOST_TSO6 | F_HOST_ECN | F_MRG_RXBUF |
			      F_STATUS | F_INDIRECT | F_EVENT_IDX;
	const uint64_t never =
		F_MTU | F_GUEST_UFO | F_HOST_UFO | F_CTRL_VQ | F_MQ;
	struct vdev *d2 = NULL;

	cr_assert_str_eq(o->name, "net");
	cr_assert_eq(o->device_id, 1);
	cr_assert_eq(o->nr_queues, 2);
	cr_assert_eq(o->max_queue_size, 256);
	cr_assert_eq(o->config_size, 10);
	cr_assert_eq((o->features | dev->offered) & want, want);
	cr_assert_eq((o->features | dev->offered) & never, 0);
	cr_assert(dev->offered & F_MAC);
	/* Without a MAC the guest picks one: MAC is not offered. */
	cr_assert_eq(create(TAP2, false, &d2), 0);
	cr_assert_eq((d2->ops->features | d2->offered) & F_MAC, 0);
	net_destroy(d2);
}

Test(net, config_space)
{
	uint8_t b = 0;
	uint16_t w = 0;

	for (uint32_t i = 0; i < 6; i++) {
		cr_assert_eq(dev->ops->config_rw(dev, i, &b, 1, false), 0);
		cr_assert_eq(b, guest_mac[i], "mac[%u]", i);
	}
	cr_assert_eq(dev->ops->config_rw(dev, 6, &w, 2, false), 0);
	cr_assert_eq(le16toh(w), 1, "status: VIRTIO_NET_S_LINK_UP");
	cr_assert_eq(dev->ops->config_rw(dev, 8, &w, 2, false), 0);
	cr_assert_eq(le16toh(w), 1, "max_virtqueue_pairs");
	/* Read-only to the driver. */
	b = 0x55;
	dev->ops->config_rw(dev, 0, &b, 1, true);
	cr_assert_eq(dev->ops->config_rw(dev, 0, &b, 1, false), 0);
	cr_assert_eq(b, guest_mac[0]);
}

Test(net, create_rejects_bad_args)
{
	struct net_params p = { .tap = TAP2 };
	struct vdev *d = NULL;
	int bad[2] = { h.kick[0], -1 };
	unsigned int fds = count_fds();

	cr_assert_eq(net_create(NULL, h.kick, &p, &d), -EINVAL);
	cr_assert_eq(net_create(&h.mem, NULL, &p, &d), -EINVAL);
	cr_assert_eq(net_create(&h.mem, bad, &p, &d), -EINVAL);
	cr_assert_eq(net_create(&h.mem, h.kick, NULL, &d), -EINVAL);
	cr_assert_eq(net_create(&h.mem, h.kick, &p, NULL), -EINVAL);
	p.tap = NULL;
	cr_assert_eq(net_create(&h.mem, h.kick, &p, &d), -EINVAL);
	p.tap = "";
	cr_assert_eq(net_create(&h.mem, h.kick, &p, &d), -EINVAL);
	p.tap = "0123456789abcdef"; /* IFNAMSIZ: one too many */
	cr_assert_eq(net_create(&h.mem, h.kick, &p, &d), -EINVAL);
	p.tap = "tap%d"; /* the kernel would pick the name */
	cr_assert_eq(net_create(&h.mem, h.kick, &p, &d), -EINVAL);
	p.tap = "bad/name"; /* the kernel refuses it */
	cr_assert_eq(net_create(&h.mem, h.kick, &p, &d), -EINVAL);
	/* The first device holds TAP (single queue): busy. */
	p.tap = TAP;
	cr_assert_eq(net_create(&h.mem, h.kick, &p, &d), -EBUSY);
	cr_assert_null(d);
	cr_assert_eq(count_fds(), fds, "an fd leaked");
	net_destroy(NULL);
}

/* ---- transmit ---- */

Test(net, tx_header_in_own_buffer)
{
	const uint32_t lens[] = { NET_HDR_LEN, 20, 80 };
	uint16_t head;

	activate(0);
	head = tx_split(100, 1, lens, 3);
	vh_kick(&h, TXQ);
	expect_tx(100, 1);
	vh_wait_used(&h, TXQ, 1);
	vh_check_used(&h, TXQ, 0, head, 0);
	vh_wait_count(&vh_irq_used, 1);
	cr_assert_eq(atomic_load(&vh_irq_config), 0);
	cr_assert(vh_has_thread("vnet-" TAP), "the worker names its tap");
}

Test(net, tx_header_and_data_in_one_buffer)
{
	const uint32_t lens[] = { NET_HDR_LEN + 1000 };

	activate(F_MRG_RXBUF);
	tx_split(1000, 2, lens, 1);
	vh_kick(&h, TXQ);
	expect_tx(1000, 2);
	vh_wait_used(&h, TXQ, 1);
	vh_check_used(&h, TXQ, 0, 0, 0);
}

Test(net, tx_indirect_chain)
{
	uint8_t buf[NET_HDR_LEN + 300];
	const struct mock_buf ind[] = {
		{ TX_BASE, NET_HDR_LEN + 100, 0 },
		{ TX_BASE + 0x1000, 200, 0 },
	};
	const struct mock_buf head = { TABLE_BASE, 2 * 16, VQ_DESC_F_INDIRECT };

	activate(F_INDIRECT);
	memset(buf, 0, NET_HDR_LEN);
	make_frame(buf + NET_HDR_LEN, 300, 3);
	memset(buf + NET_HDR_LEN, 0xff, 6);
	gw(TX_BASE, buf, NET_HDR_LEN + 100);
	gw(TX_BASE + 0x1000, buf + NET_HDR_LEN + 100, 200);
	mock_table_chain(&h.mem, gpa(TABLE_BASE), 0, ind, 2);
	add_chain(TXQ, &head, 1);
	vh_kick(&h, TXQ);
	expect_tx(300, 3);
	vh_wait_used(&h, TXQ, 1);
}

Test(net, tx_many_frames_one_kick_in_order)
{
	const unsigned int n = 200; /* more than slots and budget */
	const uint32_t lens[] = { NET_HDR_LEN + 60 };

	activate(F_EVENT_IDX);
	for (unsigned int i = 0; i < n; i++)
		tx_split(60, i, lens, 1);
	vh_kick(&h, TXQ);
	for (unsigned int i = 0; i < n; i++)
		expect_tx(60, i);
	vh_wait_used(&h, TXQ, (uint16_t)n);
	for (unsigned int i = 0; i < n; i++)
		vh_check_used(&h, TXQ, (uint16_t)i, i, 0);
	vh_wait_count(&vh_irq_used, 1);
}

/*
 * Hostile chains are returned empty and not sent; the device goes on.
 * The first frame the tap sees is the good one that follows them.
 */
Test(net, tx_malformed_chains_dropped)
{
	const struct mock_buf wr = { TX_BASE, 200, VQ_DESC_F_WRITE };
	const struct mock_buf mixed[] = {
		{ TX_BASE, NET_HDR_LEN + 60, 0 },
		{ TX_BASE + 0x1000, 64, VQ_DESC_F_WRITE },
	};
	const struct mock_buf short_hdr = { TX_BASE, 8, 0 };
	const struct mock_buf huge[] = {
		{ BIG_BASE, 0x10000, 0 },
		{ BIG_BASE + 0x10000, NET_BUF_MAX - 0x10000 + 1, 0 },
	};
	const uint32_t lens[] = { NET_HDR_LEN + 60 };

	activate(0);
	add_chain(TXQ, &wr, 1);
	add_chain(TXQ, mixed, 2);
	add_chain(TXQ, &short_hdr, 1);
	add_chain(TXQ, huge, 2);
	vh_kick(&h, TXQ);
	vh_wait_used(&h, TXQ, 4);
	for (uint16_t i = 0; i < 4; i++) {
		uint32_t id, len;

		mock_vq_used_elem(&h.mq[TXQ], i, &id, &len);
		cr_assert_eq(len, 0);
	}
	tx_split(60, 9, lens, 1);
	vh_kick(&h, TXQ);
	expect_tx(60, 9);
	vh_wait_used(&h, TXQ, 5);
	cr_assert_not(atomic_load(&dev->needs_reset));
}

/* The guest's checksum offload reaches the host stack: the kernel sees
 * a CHECKSUM_PARTIAL frame, which a vnet-header socket reports. */
Test(net, tx_partial_checksum_passes_through)
{
	uint8_t buf[NET_HDR_LEN + 128];
	struct vnet_hdr *v = (struct vnet_hdr *)buf;
	uint8_t *f = buf + NET_HDR_LEN, got[256];
	const struct mock_buf b = { TX_BASE, sizeof(buf), 0 };
	struct vnet_hdr rv;
	int s = open_pkt(ETH_P_IP, true);
	size_t n;

	activate(F_CSUM);
	memset(buf, 0, sizeof(buf));
	v->flags = HDR_F_NEEDS_CSUM;
	v->csum_start = htole16(14 + 20); /* UDP header */
	v->csum_offset = htole16(6); /* its checksum */
	memset(f, 0xff, 6);
	memcpy(f + 6, guest_mac, 6);
	f[12] = 0x08; /* IPv4 */
	f[14] = 0x45;
	f[16] = 0;
	f[17] = 128 - 14; /* total length */
	f[22] = 64; /* TTL */
	f[23] = 17; /* UDP */
	memcpy(f + 26, "\x0a\x00\x00\x01\x0a\x00\x00\x02", 8);
	f[38] = 0;
	f[39] = 128 - 34; /* UDP length */
	gw(TX_BASE, buf, sizeof(buf));
	add_chain(TXQ, &b, 1);
	vh_kick(&h, TXQ);
	n = pkt_recv(s, got, sizeof(got));
	cr_assert_eq(n, 10 + 128, "vnet header + frame");
	memcpy(&rv, got, 10);
	cr_assert_eq(rv.flags & HDR_F_NEEDS_CSUM, HDR_F_NEEDS_CSUM);
	cr_assert_eq(le16toh(rv.csum_start), 34);
	cr_assert_eq(le16toh(rv.csum_offset), 6);
	close(s);
}

/* ---- receive ---- */

/*
 * A TCP frame with a partial checksum, as a local socket makes it, sent
 * to the guest from a vnet-header socket; with (gso), a 20000-byte TSO
 * frame of 1448-byte segments. Returns the frame's length.
 */
static size_t send_tcp(bool gso)
{
	const size_t payload = gso ? 20000 : 500;
	const size_t len = 14 + 20 + 20 + payload;
	uint8_t *b = calloc(1, 10 + len);
	struct vnet_hdr *v = (struct vnet_hdr *)b;
	uint8_t *f = b + 10, *ip = f + 14, *tcp = ip + 20;
	int s = open_pkt(ETH_P_IP, true);

	cr_assert_not_null(b);
	v->flags = HDR_F_NEEDS_CSUM;
	v->csum_start = htole16(14 + 20);
	v->csum_offset = htole16(16); /* tcphdr.check */
	if (gso) {
		v->gso_type = GSO_TCPV4;
		v->gso_size = htole16(1448);
		v->hdr_len = htole16(14 + 20 + 20);
	}
	memcpy(f, guest_mac, 6);
	memcpy(f + 6, peer_mac, 6);
	f[12] = 0x08;
	ip[0] = 0x45;
	ip[2] = (uint8_t)((len - 14) >> 8);
	ip[3] = (uint8_t)(len - 14);
	ip[6] = 0x40; /* DF */
	ip[8] = 64;
	ip[9] = 6; /* TCP */
	memcpy(ip + 12, "\x0a\x00\x00\x02\x0a\x00\x00\x01", 8);
	tcp[1] = 80;
	tcp[3] = 81;
	tcp[12] = 5 << 4;
	tcp[13] = 0x10; /* ACK */
	tcp[14] = 0xff;
	for (size_t i = 0; i < payload; i++)
		tcp[20 + i] = pattern(40, i);
	pkt_send(s, b, 10 + len);
	close(s);
	free(b);
	return len;
}

Test(net, rx_one_chain_without_mrg_rxbuf)
{
	activate(0);
	rx_post(1, NET_BUF_MAX);
	vh_kick(&h, RXQ);
	make_frame(frame, 200, 4);
	pkt_send(pkt, frame, 200);
	check_rx_one(0, RX_BASE, 200, 4);
	vh_check_used(&h, RXQ, 0, 0, NET_HDR_LEN + 200);
	vh_wait_count(&vh_irq_used, 1);
}

Test(net, rx_mergeable_small_frame_one_buffer)
{
	activate(F_MRG_RXBUF);
	rx_post(40, 2048); /* 80 KiB: room for the largest frame */
	vh_kick(&h, RXQ);
	make_frame(frame, 100, 5);
	pkt_send(pkt, frame, 100);
	check_rx_one(0, RX_BASE, 100, 5);
	/* The next frame takes the next chain: none was returned unused. */
	make_frame(frame, 300, 6);
	pkt_send(pkt, frame, 300);
	check_rx_one(1, RX_BASE + 2048, 300, 6);
	vh_check_used(&h, RXQ, 1, 1, NET_HDR_LEN + 300);
}

Test(net, rx_large_frame_spans_chains)
{
	const size_t len = 9014; /* 9000-byte MTU */
	const uint32_t sz = 2048;
	const unsigned int k = (NET_HDR_LEN + len + sz - 1) / sz;
	uint8_t *got = malloc(k * sz);
	struct vnet_hdr v;
	size_t off = 0;

	cr_assert_not_null(got);
	set_mtu(9000);
	activate(F_MRG_RXBUF);
	rx_post(40, sz);
	vh_kick(&h, RXQ);
	make_frame(frame, len, 7);
	pkt_send(pkt, frame, len);
	vh_wait_used(&h, RXQ, (uint16_t)k);
	for (unsigned int i = 0; i < k; i++) {
		uint32_t id, used;

		mock_vq_used_elem(&h.mq[RXQ], (uint16_t)i, &id, &used);
		cr_assert_eq(id, i, "chains used in order");
		cr_assert_eq(used, i + 1 < k ? sz : NET_HDR_LEN + len - off);
		memcpy(got + off, vh_ptr(&h, RX_BASE + (uint64_t)i * sz, used),
		       used);
		off += used;
	}
	cr_assert_eq(off, NET_HDR_LEN + len);
	memcpy(&v, got, sizeof(v));
	cr_assert_eq(le16toh(v.num_buffers), k);
	cr_assert_arr_eq(got + NET_HDR_LEN, frame, len);
	free(got);
}

/*
 * Back-pressure: with no buffers posted the device does not read the
 * tap, so frames wait in the kernel's queue and none is lost; the
 * driver's kick resumes it.
 */
Test(net, rx_backpressure_then_delivery)
{
	const struct mock_buf rd = { RX_BASE + 0x100000, 64, 0 };

	activate(F_MRG_RXBUF);
	/* One unusable chain, returned empty: once it is used the device
	 * has seen the ring with nothing else in it and waits for a kick. */
	add_chain(RXQ, &rd, 1);
	vh_kick(&h, RXQ);
	wait_used_min(RXQ, 1);
	vh_check_used(&h, RXQ, 0, 0, 0);
	for (unsigned int i = 0; i < 3; i++) {
		make_frame(frame, 100 + i, 10 + i);
		pkt_send(pkt, frame, 100 + i);
	}
	rx_post(40, 2048);
	vh_kick(&h, RXQ);
	for (unsigned int i = 0; i < 3; i++)
		check_rx_one((uint16_t)(i + 1), RX_BASE + 2048ull * i, 100 + i,
			     10 + i);
	cr_assert_eq(atomic_load(&vh_irq_config), 0);
}

/*
 * Frames the tap queued under one driver's offloads (here a partial
 * checksum, with GUEST_CSUM) are not handed to the next driver, which did
 * not accept them: dropped, and the following frame is delivered.
 */
Test(net, rx_stale_offloaded_frame_dropped_after_reset)
{
	activate(F_MRG_RXBUF | F_GUEST_CSUM);
	send_tcp(false); /* no buffers: it waits in the tap, NEEDS_CSUM */
	reset();
	activate(F_MRG_RXBUF);
	rx_post(40, 2048);
	vh_kick(&h, RXQ);
	make_frame(frame, 90, 50);
	pkt_send(pkt, frame, 90);
	check_rx_one(0, RX_BASE, 90, 50);
	vh_check_used(&h, RXQ, 0, 0, NET_HDR_LEN + 90);
}

/*
 * Without MRG_RXBUF a frame larger than the chain is dropped, not cut
 * short (the overflow byte tells the two apart); the chain takes the next
 * frame, so nothing of the first leaks into it.
 */
Test(net, rx_frame_too_big_for_chain_dropped)
{
	activate(0);
	rx_post(1, NET_HDR_LEN + 128);
	vh_kick(&h, RXQ);
	make_frame(frame, 129, 20);
	pkt_send(pkt, frame, 129);
	make_frame(frame, 128, 21); /* fits exactly */
	pkt_send(pkt, frame, 128);
	check_rx_one(0, RX_BASE, 128, 21);
}

Test(net, rx_readable_chain_returned_empty)
{
	const struct mock_buf rd = { RX_BASE, 2048, 0 };
	const struct mock_buf tiny = { RX_BASE + 0x1000, NET_HDR_LEN - 1,
				       VQ_DESC_F_WRITE };
	const struct mock_buf good = { RX_BASE + 0x2000, NET_BUF_MAX,
				       VQ_DESC_F_WRITE };

	activate(0);
	add_chain(RXQ, &rd, 1);
	add_chain(RXQ, &tiny, 1);
	add_chain(RXQ, &good, 1);
	vh_kick(&h, RXQ);
	make_frame(frame, 80, 30);
	pkt_send(pkt, frame, 80);
	vh_wait_used(&h, RXQ, 3);
	vh_check_used(&h, RXQ, 0, 0, 0);
	vh_check_used(&h, RXQ, 1, 1, 0);
	check_rx_one(2, RX_BASE + 0x2000, 80, 30);
	cr_assert_not(atomic_load(&dev->needs_reset));
}

/* ethtool's view of the tap: what the kernel may hand the device. */
static bool tap_feature(uint32_t cmd)
{
	struct ethtool_value ev = { .cmd = cmd };
	struct ifreq ifr = { .ifr_data = (void *)&ev };

	cr_assert_eq(if_ioctl(SIOCETHTOOL, &ifr), 0, "SIOCETHTOOL: %s",
		     strerror(errno));
	return ev.data;
}

Test(net, tap_offloads_follow_negotiation)
{
	cr_assert_not(tap_feature(ETHTOOL_GTXCSUM), "off before DRIVER_OK");
	cr_assert_not(tap_feature(ETHTOOL_GTSO));
	activate(F_GUEST_CSUM | F_GUEST_TSO4 | F_GUEST_TSO6 | F_GUEST_ECN);
	cr_assert(tap_feature(ETHTOOL_GTXCSUM));
	cr_assert(tap_feature(ETHTOOL_GTSO));
	reset();
	cr_assert_not(tap_feature(ETHTOOL_GTXCSUM), "off after reset");
	cr_assert_not(tap_feature(ETHTOOL_GTSO));
	/* TSO without GUEST_CSUM is not a usable set: nothing. */
	activate(F_GUEST_TSO4);
	cr_assert_not(tap_feature(ETHTOOL_GTXCSUM));
	cr_assert_not(tap_feature(ETHTOOL_GTSO));
	reset();
	activate(F_GUEST_CSUM);
	cr_assert(tap_feature(ETHTOOL_GTXCSUM));
	cr_assert_not(tap_feature(ETHTOOL_GTSO));
}

/* GUEST_CSUM negotiated: the tap hands over the partial checksum and the
 * guest's header says where to complete it. */
Test(net, rx_partial_checksum_with_guest_csum)
{
	struct vnet_hdr v;
	size_t len;

	activate(F_MRG_RXBUF | F_GUEST_CSUM);
	rx_post(40, 2048);
	vh_kick(&h, RXQ);
	len = send_tcp(false);
	vh_wait_used(&h, RXQ, 1);
	v = rx_hdr(RX_BASE);
	cr_assert_eq(v.flags & HDR_F_NEEDS_CSUM, HDR_F_NEEDS_CSUM);
	cr_assert_eq(le16toh(v.csum_start), 34);
	cr_assert_eq(le16toh(v.csum_offset), 16);
	cr_assert_eq(v.gso_type, 0);
	cr_assert_eq(le16toh(v.num_buffers), 1);
	vh_check_used(&h, RXQ, 0, 0, (uint32_t)(NET_HDR_LEN + len));
}

/* GUEST_TSO4 negotiated: the tap hands over the 20 KB TCP frame whole,
 * with its GSO header, across several merged buffers. */
Test(net, rx_gso_frame_with_guest_tso)
{
	const size_t len = 14 + 20 + 20 + 20000;
	const unsigned int k = (NET_HDR_LEN + len + 4095) / 4096;
	struct vnet_hdr v;

	activate(F_MRG_RXBUF | F_GUEST_CSUM | F_GUEST_TSO4);
	rx_post(40, 4096);
	vh_kick(&h, RXQ);
	cr_assert_eq(send_tcp(true), len);
	wait_used_min(RXQ, (uint16_t)k);
	v = rx_hdr(RX_BASE);
	cr_assert_eq(v.gso_type, GSO_TCPV4);
	cr_assert_eq(le16toh(v.gso_size), 1448);
	cr_assert_eq(v.flags & HDR_F_NEEDS_CSUM, HDR_F_NEEDS_CSUM);
	cr_assert_eq(le16toh(v.num_buffers), k);
	for (unsigned int i = 0; i < k; i++)
		vh_check_used(&h, RXQ, (uint16_t)i, i,
			      i + 1 < k ? 4096 : NET_HDR_LEN + len - 4096 * i);
}

/* Without GUEST_TSO4 the kernel segments the same frame before the tap:
 * the guest gets MTU-sized frames and no GSO header. */
Test(net, rx_gso_frame_segmented_without_guest_tso)
{
	const size_t len = 14 + 20 + 20 + 20000;
	size_t got = 0;

	activate(F_MRG_RXBUF | F_GUEST_CSUM);
	rx_post(64, 2048);
	vh_kick(&h, RXQ);
	send_tcp(true);
	for (uint16_t i = 0; got < len - 54; i++) {
		uint32_t id, used;
		struct vnet_hdr v;

		cr_assert_lt(i, 64, "more segments than expected");
		wait_used_min(RXQ, (uint16_t)(i + 1));
		mock_vq_used_elem(&h.mq[RXQ], i, &id, &used);
		v = rx_hdr(RX_BASE + 2048ull * id);
		cr_assert_eq(v.gso_type, 0, "segment %u", i);
		cr_assert_eq(le16toh(v.num_buffers), 1);
		cr_assert_leq(used, NET_HDR_LEN + 1514);
		got += used - NET_HDR_LEN - 54;
	}
	cr_assert_eq(got, len - 54, "every payload byte, once");
}

/* Without GUEST_CSUM the kernel completes the checksum before the tap:
 * flags stay 0 and the frame carries a real checksum. */
Test(net, rx_without_guest_csum_gets_complete_checksum)
{
	struct vnet_hdr v;
	const uint8_t *f;
	size_t len;

	activate(F_MRG_RXBUF);
	rx_post(40, 2048);
	vh_kick(&h, RXQ);
	len = send_tcp(false);
	vh_wait_used(&h, RXQ, 1);
	v = rx_hdr(RX_BASE);
	cr_assert_eq(v.flags, 0);
	cr_assert_eq(v.gso_type, 0);
	cr_assert_eq(le16toh(v.num_buffers), 1);
	vh_check_used(&h, RXQ, 0, 0, (uint32_t)(NET_HDR_LEN + len));
	f = vh_ptr(&h, RX_BASE + NET_HDR_LEN, (uint32_t)len);
	cr_assert(f[50] || f[51], "TCP checksum filled in");
}

/* ---- errors and lifecycle ---- */

Test(net, corrupt_ring_needs_reset)
{
	const uint32_t lens[] = { NET_HDR_LEN + 60 };

	activate(0);
	mock_vq_set_avail_idx(&h.mq[TXQ], QSIZE + 5); /* > ring size */
	vh_kick(&h, TXQ);
	vh_wait_count(&vh_irq_config, 1);
	cr_assert(atomic_load(&dev->needs_reset));
	cr_assert_eq(mock_vq_used_idx(&h.mq[TXQ]), 0);
	/* Kicks are ignored from now on; the process lives on. */
	mock_vq_set_avail_idx(&h.mq[TXQ], 0);
	tx_split(60, 1, lens, 1);
	vh_kick(&h, TXQ);
	rx_post(1, NET_BUF_MAX);
	vh_kick(&h, RXQ);
	make_frame(frame, 64, 2);
	pkt_send(pkt, frame, 64);
	/* Nothing to wait for: give a wrong answer a chance to show. */
	nanosleep(&(struct timespec){ .tv_nsec = 50000000 }, NULL);
	cr_assert_eq(mock_vq_used_idx(&h.mq[TXQ]), 0);
	cr_assert_eq(mock_vq_used_idx(&h.mq[RXQ]), 0);
	cr_assert_eq(atomic_load(&vh_irq_config), 1, "one config irq");
	/* A reset cures it. */
	reset();
	activate(0);
	tx_split(60, 3, lens, 1);
	vh_kick(&h, TXQ);
	expect_tx(60, 3);
	vh_wait_used(&h, TXQ, 1);
}

Test(net, corrupt_rx_chain_needs_reset)
{
	activate(0);
	/* A descriptor chain that loops on itself. */
	mock_vq_set_desc(&h.mq[RXQ], 0, RX_BASE, 2048,
			 VQ_DESC_F_WRITE | VQ_DESC_F_NEXT, 0);
	mock_vq_publish(&h.mq[RXQ], 0);
	vh_kick(&h, RXQ);
	vh_wait_count(&vh_irq_config, 1);
	cr_assert(atomic_load(&dev->needs_reset));
}

/*
 * Reset while the worker holds receive chains with a read parked on the
 * tap and transmit writes in flight: nothing crashes, nothing is pushed
 * later, and the device works again after re-activation.
 */
Test(net, reset_with_frames_in_flight)
{
	const uint32_t lens[] = { NET_HDR_LEN + 500 };

	activate(F_MRG_RXBUF);
	rx_post(40, 2048);
	vh_kick(&h, RXQ);
	for (unsigned int i = 0; i < 50; i++)
		tx_split(500, i, lens, 1);
	vh_kick(&h, TXQ);
	for (unsigned int i = 0; i < 5; i++) {
		make_frame(frame, 1000, i);
		pkt_send(pkt, frame, 1000);
	}
	reset();
	/* Stale frames may still be queued on the tap: drain the guest
	 * side by activating afresh and reading whatever comes. */
	activate(F_MRG_RXBUF);
	rx_post(64, 2048);
	vh_kick(&h, RXQ);
	make_frame(frame, 777, 99);
	pkt_send(pkt, frame, 777);
	/* Frames sent before the reset and not yet read come first (one
	 * chain each); then ours. */
	for (uint16_t j = 0;; j++) {
		uint32_t id, len;

		cr_assert_leq(j, 5, "our frame never came");
		wait_used_min(RXQ, (uint16_t)(j + 1));
		mock_vq_used_elem(&h.mq[RXQ], j, &id, &len);
		cr_assert_eq(id, j);
		if (len == NET_HDR_LEN + 777) {
			check_rx_one(j, RX_BASE + 2048ull * j, 777, 99);
			break;
		}
		cr_assert_eq(len, NET_HDR_LEN + 1000, "a stale frame");
	}
	cr_assert_not(atomic_load(&dev->needs_reset));
}

Test(net, reset_without_activate_and_reactivate)
{
	const uint32_t lens[] = { NET_HDR_LEN + 60 };

	dev->ops->reset(dev);
	activate(0);
	reset();
	reset(); /* idempotent, as on a second status 0 */
	activate(F_EVENT_IDX | F_INDIRECT);
	tx_split(60, 5, lens, 1);
	vh_kick(&h, TXQ);
	expect_tx(60, 5);
}

Test(net, activate_rejects_ring_outside_ram)
{
	dev->features = F_VERSION_1 | F_GUEST_CSUM;
	for (unsigned int q = 0; q < 2; q++)
		dev->queues[q] = (struct vdev_queue_cfg){
			.size = QSIZE,
			.ready = true,
			.desc = gpa(RAM_SIZE),
			.avail = gpa(RAM_SIZE + 0x1000),
			.used = gpa(RAM_SIZE + 0x2000),
		};
	cr_assert_lt(dev->ops->activate(dev), 0);
	cr_assert_not(tap_feature(ETHTOOL_GTXCSUM), "offloads undone");
	dev->ops->reset(dev);
	activate(0); /* nothing left behind */
}

/* The worker thread and its ring exist from creation, idle; the thread
 * outlives a reset and goes with the device. */
Test(net, worker_lives_from_create_to_destroy)
{
	const uint32_t lens[] = { NET_HDR_LEN + 60 };

	vh_wait_thread("vnet-" TAP, true);
	vh_kick(&h, TXQ);	/* a stray kick before DRIVER_OK */
	activate(0);
	reset();
	cr_assert(vh_has_thread("vnet-" TAP), "idle after a reset");
	activate(0);
	tx_split(60, 7, lens, 1);
	vh_kick(&h, TXQ);
	expect_tx(60, 7);
	net_destroy(dev);
	dev = NULL;
	vh_wait_thread("vnet-" TAP, false);
}

/*
 * A reset while the tap read waits with the driver's buffers lent to it:
 * the ring outlives the reset, so the read is cancelled before reset()
 * returns, and a frame that comes next lands in none of them; it waits
 * in the tap for the next driver.
 */
Test(net, reset_cancels_the_waiting_tap_read)
{
	const uint32_t size = 2048, n = 40; /* room for the largest frame */
	uint8_t *bufs;

	activate(F_MRG_RXBUF);
	rx_post(n, size);
	bufs = vh_ptr(&h, RX_BASE, n * size);
	memset(bufs, 0xee, n * size);
	vh_kick(&h, RXQ);
	vh_nap();		/* the read is likely waiting by now */
	reset();
	make_frame(frame, 80, 33);
	pkt_send(pkt, frame, 80);
	for (int i = 0; i < 20; i++)
		vh_nap();
	for (uint32_t i = 0; i < n * size; i++)
		cr_assert_eq(bufs[i], 0xee, "byte %u written after the reset",
			     i);
	cr_assert_eq(mock_vq_used_idx(&h.mq[RXQ]), 0);
	activate(F_MRG_RXBUF);
	rx_post(n, size);
	vh_kick(&h, RXQ);
	check_rx_one(0, RX_BASE, 80, 33);
}

Test(net, destroy_while_active)
{
	const uint32_t lens[] = { NET_HDR_LEN + 60 };

	activate(F_MRG_RXBUF);
	rx_post(40, 2048);
	vh_kick(&h, RXQ);
	tx_split(60, 1, lens, 1);
	vh_kick(&h, TXQ);
	net_destroy(dev); /* maybe mid-frame: the join waits */
	dev = NULL;
}

/*
 * Behind an IOMMU (identity here) that waits for old translations: the
 * device holds receive chains under a tap read that no frame completes,
 * so when the IOMMU wakes it (a kick on queue 0, as the iommu does) it
 * cancels the read and translates its chains afresh, telling the IOMMU it
 * holds nothing older, and frames still land where they should.
 */
static _Atomic uint64_t iommu_epoch = 1, iommu_released;
static _Atomic bool iommu_waiting;

static int identity_translate(void *ctx, uint64_t iova, uint64_t len,
			      bool write, struct vq_seg *segs, unsigned int max)
{
	void *p = gmem_ptr(&h.mem, gpa(iova), len);

	if (!p)
		return -EFAULT;
	segs[0] = (struct vq_seg){ p, len };
	return 1;
}

static uint64_t identity_begin(void *ctx)
{
	return atomic_load(&iommu_epoch);
}

static void identity_release(void *ctx, uint64_t oldest)
{
	atomic_store(&iommu_released, oldest);
}

static const struct vq_dma identity_iommu = {
	.translate = identity_translate,
	.begin = identity_begin,
	.release = identity_release,
	.waiting = &iommu_waiting,
	.epoch = &iommu_epoch,
};

Test(net, rx_renews_held_chains_when_the_iommu_waits)
{
	uint64_t end = vh_now_ns() + VH_WAIT_NS;

	vdev_put_behind_iommu(dev, &identity_iommu);
	activate(F_MRG_RXBUF | F_ACCESS_PLATFORM);
	rx_post(40, 2048);
	vh_kick(&h, RXQ);
	/* The stash fills and the read parks: nothing is released while
	 * nobody waits, chains are held. */
	vh_nap();
	vh_nap();
	atomic_store(&iommu_epoch, 2);
	atomic_store(&iommu_waiting, true);
	vh_kick(&h, RXQ);
	/* Not < 2: the first pass, before any chain, released everything
	 * (UINT64_MAX); what counts is holding chains of the new epoch. */
	while (atomic_load(&iommu_released) != 2) {
		cr_assert_lt(vh_now_ns(), end, "still holding epoch %llu",
			     (unsigned long long)atomic_load(&iommu_released));
		vh_nap();
	}
	cr_assert_neq(atomic_load(&iommu_released), UINT64_MAX,
		      "chains are still held, in the new epoch");
	atomic_store(&iommu_waiting, false);
	make_frame(frame, 100, 7);
	pkt_send(pkt, frame, 100);
	check_rx_one(0, RX_BASE, 100, 7);
	cr_assert_eq(mock_vq_used_idx(&h.mq[RXQ]), 1, "no chain given back");
}
