// SPDX-License-Identifier: Apache-2.0
/* tests/fuzz/fuzz_net_hdr.c: virtio-net's datapath between a guest and a tap. */

/*
 * The vnet-header checks (net_rx_hdr_fix(), net_tx_chain_ok()) and what
 * feeds them are static in net.c and net_rx.c, so both files are compiled
 * into this one (the archive's copies are then not linked: every symbol
 * they define is defined here first). Their io_uring is replaced at link
 * time: worker_sqe() (-Wl,--wrap, CMakeLists.txt) hands out SQEs that this
 * file reads and completes itself, playing the tap.
 */
#include "devices/virtio/net.c"
#include "devices/virtio/net_rx.c"

#include "fuzz.h"
#include "fuzz_input.h"
#include "fuzz_ram.h"
#include "net_drv.h"

/*
 * The input: the features the driver accepted, the queue sizes, which
 * SQE requests fail, then operations: the driver posting receive and
 * transmit chains (direct or indirect, any lengths and directions) or
 * writing raw bytes over its rings, the device being kicked or ending a
 * pass, the tap completing a write or delivering a frame (its 12-byte
 * vnet header from the input: what a tap queued under a previous driver's
 * offloads may carry) or failing.
 *
 * Invariants:
 *  - transmit: a write hands the tap exactly the chain's buffers, all
 *    device-readable, 12 to NET_BUF_MAX bytes (5.1.6.2); anything else
 *    comes back unsent with used length 0; a chain goes back only after
 *    its write completed;
 *  - receive: a read lends only writable buffers of chains the device
 *    holds, in the order the driver posted them (one chain without
 *    MRG_RXBUF), at most NET_BUF_MAX bytes, then one overflow byte of the
 *    device's own; no chain lent to a read in flight goes back;
 *  - a delivered frame: dropped exactly when too short, too long for what
 *    was lent, or its header asks for an offload the driver did not
 *    accept; else the header obeys 5.1.6.4.1 (flags 0 without
 *    GUEST_CSUM, only NEEDS_CSUM / DATA_VALID with it; gso_type NONE
 *    without a GUEST_TSO feature, TCPV4 / TCPV6 / ECN only with theirs;
 *    num_buffers = the chains used, 1 without MRG_RXBUF), its other
 *    fields and the frame's bytes are the tap's, and the used lengths add
 *    up to the frame;
 *  - every iovec lies inside one RAM region (AddressSanitizer sees the
 *    rest, regions being separate allocations).
 * After a raw write the driver's record may be stale: only the last
 * invariant and the bounds are checked from then on.
 */

#define RX_RING 0x0000u
#define TX_RING 0x2000u
#define DATA_START 0x4000u
#define MAX_OPS 512
#define MAX_SQES 64

/* Feature byte of the header: bit -> feature. */
static const unsigned int feature_bits[] = {
	VIRTIO_NET_F_GUEST_CSUM, VIRTIO_NET_F_GUEST_TSO4,
	VIRTIO_NET_F_GUEST_TSO6, VIRTIO_NET_F_GUEST_ECN,
	VIRTIO_NET_F_MRG_RXBUF,	 VDEV_F_EVENT_IDX,
	VDEV_F_INDIRECT_DESC,	 VIRTIO_NET_F_CSUM,
};

/* A transmit chain's life, in nd_chain.state. */
enum { TX_POSTED, TX_WRITING, TX_WRITTEN };

struct harness {
	struct fuzz_ram ram;
	struct nd drv;
	struct net n;
	bool exact; /* no raw write yet */
	/* SQEs handed out by worker_sqe(), not yet looked at. */
	struct io_uring_sqe sqes[MAX_SQES];
	unsigned int nr_new, sqe_calls;
	uint8_t sqe_fail_mask; /* call k fails if bit k % 8 */
	unsigned int tx_unsent; /* failed SQE requests for writes */
	/* The tap's side: the read and the writes in flight. */
	bool reading;
	const struct iovec *rd_iov;
	unsigned int rd_nr;
	uint64_t lent;
	bool writing[NET_TX_SLOTS];
	uint16_t write_head[NET_TX_SLOTS];
	/* Receive chains used in the current operation, with len > 0. */
	unsigned int nr_rx_used;
	uint16_t rx_used_head[VQ_MAX_SIZE];
	uint32_t rx_used_len[VQ_MAX_SIZE];
};

static struct harness h;

struct io_uring_sqe *__wrap_worker_sqe(struct worker *w);

/* worker.h: a free SQE, or NULL when the SQ is full. */
struct io_uring_sqe *__wrap_worker_sqe(struct worker *w)
{
	struct io_uring_sqe *sqe;

	FUZZ_CHECK(w == &h.n.worker, "an SQE for another worker");
	if (h.sqe_fail_mask & (1u << (h.sqe_calls++ % 8)))
		return NULL;
	FUZZ_CHECK(h.nr_new < MAX_SQES, "more SQEs than the ring has");
	sqe = &h.sqes[h.nr_new++];
	memset(sqe, 0, sizeof(*sqe));
	return sqe;
}

static void fake_raise_irq(struct vdev *d, uint32_t bits)
{
	FUZZ_CHECK(bits == VDEV_INT_USED || bits == VDEV_INT_CONFIG, "irq %#x",
		   bits);
}

/* ---- what the device hands the tap ---- */

static bool tx_chain_good(const struct nd_chain *c)
{
	return c->wr == 0 && c->rd >= NET_HDR_LEN && c->rd <= NET_BUF_MAX;
}

static bool rx_chain_good(const struct nd_chain *c)
{
	return c->rd == 0 && c->wr >= NET_HDR_LEN;
}

/* An iovec of (len) bytes at (base) lies in RAM; its gpa. */
static uint64_t iov_gpa(const struct iovec *v)
{
	uint64_t g;

	FUZZ_CHECK(v->iov_len > 0 &&
			   fuzz_ram_gpa_of(&h.ram, v->iov_base, v->iov_len, &g),
		   "iovec of %zu bytes outside one RAM region", v->iov_len);
	return g;
}

static void check_write(const struct io_uring_sqe *sqe)
{
	uint64_t slot = sqe->user_data - NET_TAG_TX0, total = 0;
	const struct iovec *iov = (const struct iovec *)(uintptr_t)sqe->addr;
	const struct nd_chain *c;
	unsigned int k = 0;

	FUZZ_CHECK(slot < NET_TX_SLOTS && !h.writing[slot] &&
			   iov == h.n.tx[slot].iov && sqe->len <= VQ_MAX_CHAIN,
		   "write SQE: slot %llu, %u iovecs", (unsigned long long)slot,
		   sqe->len);
	for (unsigned int i = 0; i < sqe->len; i++) {
		iov_gpa(&iov[i]);
		total += iov[i].iov_len;
	}
	FUZZ_CHECK(total >= NET_HDR_LEN && total <= NET_BUF_MAX,
		   "a %llu-byte frame went to the tap",
		   (unsigned long long)total);
	h.writing[slot] = true;
	h.write_head[slot] = h.n.tx[slot].head;
	if (!h.exact)
		return;
	c = &h.drv.q[NET_TXQ].chain[h.n.tx[slot].head];
	FUZZ_CHECK(c->live && c->state == TX_POSTED && tx_chain_good(c),
		   "write of head %u (live %d, state %d)", h.n.tx[slot].head,
		   c->live, c->state);
	for (unsigned int i = 0; i < c->nr; i++) {
		if (!c->b[i].len)
			continue; /* the queue skips them */
		FUZZ_CHECK(k < sqe->len && iov_gpa(&iov[k]) == c->b[i].gpa &&
				   iov[k].iov_len == c->b[i].len,
			   "write iovec %u is not the chain's buffer %u", k, i);
		k++;
	}
	FUZZ_CHECK(k == sqe->len, "write of %u iovecs, chain has %u", sqe->len,
		   k);
	h.drv.q[NET_TXQ].chain[h.n.tx[slot].head].state = TX_WRITING;
}

/* The read's iovecs are the writable buffers of the good receive chains
 * the device holds, oldest first, cut at NET_BUF_MAX. */
static void check_read_order(const struct iovec *iov, unsigned int nr)
{
	static uint16_t heads[VQ_MAX_SIZE];
	unsigned int n = nd_live(&h.drv, NET_RXQ, heads), k = 0, chains = 0;

	for (unsigned int c = 0; c < n && k < nr; c++) {
		const struct nd_chain *ch = &h.drv.q[NET_RXQ].chain[heads[c]];

		if (!rx_chain_good(ch))
			continue;
		FUZZ_CHECK(h.n.mrg_rxbuf || chains == 0,
			   "a read across chains without MRG_RXBUF");
		chains++;
		for (unsigned int i = 0; i < ch->nr && k < nr; i++) {
			if (!ch->b[i].len)
				continue;
			FUZZ_CHECK(iov_gpa(&iov[k]) == ch->b[i].gpa &&
					   (iov[k].iov_len == ch->b[i].len ||
					    (k + 1 == nr &&
					     iov[k].iov_len < ch->b[i].len)),
				   "read iovec %u is not head %u's buffer %u",
				   k, heads[c], i);
			k++;
		}
	}
	FUZZ_CHECK(k == nr, "read of %u iovecs, %u from posted chains", nr, k);
}

static void check_read(const struct io_uring_sqe *sqe)
{
	const struct iovec *iov = (const struct iovec *)(uintptr_t)sqe->addr;
	unsigned int nr = sqe->len;

	FUZZ_CHECK(sqe->user_data == NET_TAG_RX && !h.reading &&
			   iov == h.n.rx_read && nr >= 2 &&
			   nr <= NET_RX_READ_IOV + 1,
		   "read SQE: tag %llu, %u iovecs, reading %d",
		   (unsigned long long)sqe->user_data, nr, h.reading);
	/* The last byte is the device's: it tells a frame that did not fit
	 * from one that fits exactly. */
	FUZZ_CHECK(iov[nr - 1].iov_base == &h.n.rx_overflow &&
			   iov[nr - 1].iov_len == 1,
		   "no overflow byte");
	h.lent = 0;
	for (unsigned int i = 0; i + 1 < nr; i++) {
		iov_gpa(&iov[i]);
		h.lent += iov[i].iov_len;
	}
	FUZZ_CHECK(h.lent <= NET_BUF_MAX && h.lent >= NET_HDR_LEN,
		   "%llu bytes lent", (unsigned long long)h.lent);
	h.reading = true;
	h.rd_iov = iov;
	h.rd_nr = nr;
	if (h.exact)
		check_read_order(iov, nr - 1);
}

/* The SQEs the last call asked for. */
static void take_sqes(void)
{
	for (unsigned int i = 0; i < h.nr_new; i++) {
		const struct io_uring_sqe *sqe = &h.sqes[i];

		FUZZ_CHECK((sqe->flags & IOSQE_FIXED_FILE) &&
				   sqe->fd == WORKER_FILE_BACKEND,
			   "SQE on fd %d without a fixed file", sqe->fd);
		if (sqe->opcode == IORING_OP_WRITEV)
			check_write(sqe);
		else if (sqe->opcode == IORING_OP_READV)
			check_read(sqe);
		else
			FUZZ_CHECK(false, "opcode %u without an IOMMU",
				   sqe->opcode);
	}
	h.nr_new = 0;
}

/* ---- what comes back to the driver ---- */

/* Whether head (head) of the receive queue has a buffer in the read. */
static bool in_read(uint16_t head)
{
	const struct nd_chain *c = &h.drv.q[NET_RXQ].chain[head];
	uint64_t g;

	for (unsigned int i = 0; h.reading && i + 1 < h.rd_nr; i++) {
		if (!fuzz_ram_gpa_of(&h.ram, h.rd_iov[i].iov_base, 1, &g))
			continue;
		for (unsigned int k = 0; k < c->nr; k++)
			if (c->b[k].len && g - c->b[k].gpa < c->b[k].len)
				return true;
	}
	return false;
}

static void scan_used_tx(void)
{
	uint32_t id, len;
	bool live;

	while (nd_next_used(&h.drv, NET_TXQ, &id, &len, &live)) {
		const struct nd_chain *c;

		FUZZ_TRACE("transmit used: head %u", id);
		/* A raw write may have hit the used ring too. */
		if (!h.exact)
			continue;
		FUZZ_CHECK(id < h.drv.q[NET_TXQ].size && len == 0,
			   "transmit used entry (%u, %u)", id, len);
		c = &h.drv.q[NET_TXQ].chain[id];
		for (unsigned int s = 0; s < NET_TX_SLOTS; s++)
			FUZZ_CHECK(!h.writing[s] || h.write_head[s] != id,
				   "head %u back while its write is in flight",
				   id);
		FUZZ_CHECK(live, "head %u back twice", id);
		if (!tx_chain_good(c) || c->state == TX_WRITTEN)
			continue;
		/* A good chain goes back unsent only when no SQE came. */
		FUZZ_CHECK(c->state == TX_POSTED && h.tx_unsent,
			   "head %u back unsent", id);
		h.tx_unsent--;
	}
}

static void scan_used_rx(void)
{
	uint32_t id, len;
	bool live;

	while (nd_next_used(&h.drv, NET_RXQ, &id, &len, &live)) {
		const struct nd_chain *c;

		FUZZ_TRACE("receive used: head %u, %u bytes", id, len);
		if (!h.exact)
			continue;
		FUZZ_CHECK(id < h.drv.q[NET_RXQ].size,
			   "receive used entry (%u, %u)", id, len);
		c = &h.drv.q[NET_RXQ].chain[id];
		FUZZ_CHECK(live && !in_read(id),
			   "head %u back (live %d) while lent to a read", id,
			   live);
		FUZZ_CHECK(len <= c->wr, "used length %u of %llu bytes", len,
			   (unsigned long long)c->wr);
		/* A good chain goes back only with a frame in it. */
		FUZZ_CHECK(rx_chain_good(c) == (len > 0),
			   "head %u (%llu writable) back with %u bytes", id,
			   (unsigned long long)c->wr, len);
		if (len) {
			h.rx_used_head[h.nr_rx_used] = (uint16_t)id;
			h.rx_used_len[h.nr_rx_used++] = len;
		}
	}
}

/* After every call into the device. */
static void settle(void)
{
	h.nr_rx_used = 0;
	scan_used_tx();
	scan_used_rx();
	take_sqes();
}

/* ---- the tap delivers a frame ---- */

static bool negotiated(unsigned int bit)
{
	return h.n.features & VDEV_BIT(bit);
}

/* Byte (i) of the frame the tap reads: its header, then a pattern. */
static uint8_t frame_byte(const uint8_t *hdr, uint8_t seed, uint64_t i)
{
	return i < NET_HDR_LEN ? hdr[i] : (uint8_t)(seed + i * 13);
}

/* Whether the driver can take a frame with this header: offloads it did
 * not accept cannot be undone here (net_rx.c drops the frame). */
static bool header_takeable(const uint8_t *hdr)
{
	uint8_t gso = hdr[1] & ~VIRTIO_NET_HDR_GSO_ECN;

	if ((hdr[0] & VIRTIO_NET_HDR_F_NEEDS_CSUM) &&
	    !negotiated(VIRTIO_NET_F_GUEST_CSUM))
		return false;
	if ((hdr[1] & VIRTIO_NET_HDR_GSO_ECN) &&
	    !negotiated(VIRTIO_NET_F_GUEST_ECN))
		return false;
	return gso == VIRTIO_NET_HDR_GSO_NONE ||
	       (gso == VIRTIO_NET_HDR_GSO_TCPV4 &&
		negotiated(VIRTIO_NET_F_GUEST_TSO4)) ||
	       (gso == VIRTIO_NET_HDR_GSO_TCPV6 &&
		negotiated(VIRTIO_NET_F_GUEST_TSO6));
}

/* 5.1.6.4.1, the device's MUSTs on a received header (hdr, the tap's
 * (tap)), then the fields it has no reason to touch. */
static void check_header(const uint8_t *hdr, const uint8_t *tap,
			 unsigned int chains)
{
	uint8_t flags = hdr[0], gso = hdr[1];
	uint8_t base = gso & ~VIRTIO_NET_HDR_GSO_ECN;
	uint16_t num_buffers = (uint16_t)(hdr[10] | hdr[11] << 8);
	bool csum = negotiated(VIRTIO_NET_F_GUEST_CSUM);
	bool tso4 = negotiated(VIRTIO_NET_F_GUEST_TSO4);
	bool tso6 = negotiated(VIRTIO_NET_F_GUEST_TSO6);

	/* "If VIRTIO_NET_F_GUEST_CSUM is not negotiated, the device MUST
	 * set flags to zero". */
	FUZZ_CHECK(csum || flags == 0, "flags %#x without GUEST_CSUM", flags);
	FUZZ_CHECK(!(flags & ~(VIRTIO_NET_HDR_F_NEEDS_CSUM |
			       VIRTIO_NET_HDR_F_DATA_VALID)),
		   "flags %#x", flags);
	/* "If none of the VIRTIO_NET_F_GUEST_TSO4, TSO6, UFO, USO options
	 * have been negotiated, the device MUST set gso_type to
	 * VIRTIO_NET_HDR_GSO_NONE." */
	FUZZ_CHECK(tso4 || tso6 || gso == VIRTIO_NET_HDR_GSO_NONE,
		   "gso_type %#x without a GUEST_TSO feature", gso);
	FUZZ_CHECK(base == VIRTIO_NET_HDR_GSO_NONE ||
			   (base == VIRTIO_NET_HDR_GSO_TCPV4 && tso4) ||
			   (base == VIRTIO_NET_HDR_GSO_TCPV6 && tso6),
		   "gso_type %#x not negotiated", gso);
	FUZZ_CHECK(!(gso & VIRTIO_NET_HDR_GSO_ECN) ||
			   negotiated(VIRTIO_NET_F_GUEST_ECN),
		   "ECN not negotiated");
	/* "If VIRTIO_NET_F_MRG_RXBUF is not negotiated ... MUST set
	 * num_buffers to 1", else to the buffers used. */
	FUZZ_CHECK(num_buffers == chains && (h.n.mrg_rxbuf || chains == 1),
		   "num_buffers %u, %u chains used", num_buffers, chains);
	/* ECN on a frame that is not segmented means nothing: passing it
	 * on or clearing it are both fine where the MUST above allows. */
	FUZZ_CHECK(
		flags == (csum ? tap[0] & 3 : 0) &&
			(gso == tap[1] || (base == VIRTIO_NET_HDR_GSO_NONE &&
					   gso == VIRTIO_NET_HDR_GSO_NONE)) &&
			!memcmp(hdr + 2, tap + 2, 8),
		"header fields changed on the way");
}

/* The frame of (res) bytes went into the good chains (g)[] the device
 * held, oldest first: their used entries and bytes. */
FUZZ_UNTRACED static void check_delivery(const uint8_t *tap, uint8_t seed, uint64_t res,
			   uint64_t lent, const uint16_t *g, unsigned int nr_g)
{
	static uint8_t out[NET_BUF_MAX];
	uint64_t left = res, got = 0;
	unsigned int k = 0;

	if (res < NET_HDR_LEN || res > lent || !header_takeable(tap)) {
		FUZZ_CHECK(h.nr_rx_used == 0, "a dropped frame was delivered");
		return;
	}
	for (; left; k++) {
		uint64_t cap = h.drv.q[NET_RXQ].chain[g[k]].wr;
		uint64_t used = left < cap ? left : cap;

		FUZZ_CHECK(k < nr_g, "the frame outgrew the chains");
		FUZZ_CHECK(
			k < h.nr_rx_used && h.rx_used_head[k] == g[k] &&
				h.rx_used_len[k] == used,
			"chain %u of the frame: used (%u, %u), want (%u, %llu)",
			k, k < h.nr_rx_used ? h.rx_used_head[k] : 0,
			k < h.nr_rx_used ? h.rx_used_len[k] : 0, g[k],
			(unsigned long long)used);
		/* The chain's bytes, as the driver reads them. */
		for (unsigned int i = 0; used; i++) {
			const struct nd_buf *b =
				&h.drv.q[NET_RXQ].chain[g[k]].b[i];
			uint64_t n = b->len < used ? b->len : used;

			FUZZ_CHECK(!gmem_read(&h.ram.mem, out + got,
					      gpa(b->gpa), n),
				   "buffer");
			got += n;
			used -= n;
		}
		left -= h.rx_used_len[k];
	}
	FUZZ_CHECK(h.nr_rx_used == k, "%u chains used for %u", h.nr_rx_used, k);
	check_header(out, tap, k);
	for (uint64_t i = NET_HDR_LEN; i < res; i++)
		FUZZ_CHECK(out[i] == frame_byte(tap, seed, i),
			   "frame byte %llu differs", (unsigned long long)i);
}

/* The tap's readv of a (len)-byte frame into the iovecs the device lent:
 * the bytes it read. */
FUZZ_UNTRACED static uint64_t tap_readv(const uint8_t *tap, uint8_t seed,
					uint64_t len)
{
	uint64_t done = 0;

	for (unsigned int i = 0; i < h.rd_nr && done < len; i++) {
		uint8_t *p = h.rd_iov[i].iov_base;

		for (uint64_t k = 0; k < h.rd_iov[i].iov_len && done < len; k++)
			p[k] = frame_byte(tap, seed, done++);
	}
	return done;
}

static void op_frame(struct fz *in)
{
	static uint16_t g[VQ_MAX_SIZE];
	uint8_t kind = fz_u8(in), seed = fz_u8(in), tap[NET_HDR_LEN];
	uint64_t len = fz_u32(in) % (NET_BUF_MAX + 64), done, lent = h.lent;
	struct io_uring_cqe cqe = { .user_data = NET_TAG_RX };
	unsigned int nr_g = 0, live;

	fz_bytes(in, tap, sizeof(tap));
	if (!h.reading)
		return;
	done = tap_readv(tap, seed, len);
	cqe.res = kind % 4 == 3 ? -EIO : (int32_t)done;
	if (h.exact) {
		live = nd_live(&h.drv, NET_RXQ, g);
		for (unsigned int i = 0; i < live; i++)
			if (rx_chain_good(&h.drv.q[NET_RXQ].chain[g[i]]))
				g[nr_g++] = g[i];
	}
	h.reading = false;
	FUZZ_TRACE("frame: %llu bytes, res %d, %llu lent, header %02x %02x",
		   (unsigned long long)len, cqe.res, (unsigned long long)h.lent,
		   tap[0], tap[1]);
	FUZZ_CHECK(!net_on_cqe(&h.n, &cqe), "receive completion refused");
	settle();
	if (cqe.res < 0) {
		/* The tap is gone: a host problem, a device error. */
		FUZZ_CHECK(h.n.needs_reset, "tap read error ignored");
		return;
	}
	if (h.exact && !h.n.needs_reset)
		check_delivery(tap, seed, done, lent, g, nr_g);
}

/* The tap finished write (k) of those in flight. */
static void op_write_done(struct fz *in)
{
	uint8_t k = fz_u8(in), kind = fz_u8(in);
	struct io_uring_cqe cqe = { 0 };
	unsigned int busy = 0, slot;
	uint16_t head;

	for (slot = 0; slot < NET_TX_SLOTS; slot++)
		busy += h.writing[slot];
	if (!busy)
		return;
	k %= busy;
	for (slot = 0; !h.writing[slot] || k--; slot++)
		;
	head = h.write_head[slot];
	h.writing[slot] = false;
	if (h.exact)
		h.drv.q[NET_TXQ].chain[head].state = TX_WRITTEN;
	cqe.user_data = NET_TAG_TX0 + slot;
	cqe.res = kind & 1 ? -EIO : 64;
	FUZZ_CHECK(!net_on_cqe(&h.n, &cqe), "write completion refused");
	settle();
	if (h.exact && !h.n.needs_reset)
		FUZZ_CHECK(!h.drv.q[NET_TXQ].chain[head].live,
			   "head %u not back after its write", head);
}

/* ---- the driver ---- */

static uint32_t buf_len(struct fz *in, uint8_t d)
{
	switch (d >> 1 & 3) {
	case 0:
		return fz_u8(in);
	case 1:
		return 64u * fz_u8(in);
	case 2:
		return fz_u16(in);
	default:
		return d & 8 ? 1514 : NET_HDR_LEN;
	}
}

/* A chain on queue (d & 1), through an indirect table if (d & 2). */
static void op_add_chain(struct fz *in)
{
	struct nd_buf bufs[ND_MAX_BUFS], sorted[ND_MAX_BUFS];
	uint8_t d = fz_u8(in);
	unsigned int q = d & 1, nr, k = 0;
	bool indirect = (d & 2) && negotiated(VDEV_F_INDIRECT_DESC);
	int head;

	nr = 1u + fz_u8(in) % (indirect ? ND_MAX_BUFS : ND_MAX_DIRECT);
	for (unsigned int i = 0; i < nr; i++) {
		uint8_t b = fz_u8(in);

		/* Receive buffers are writable, transmit ones readable,
		 * unless bit 0 says otherwise. */
		bufs[i].writable = (q == NET_RXQ) != (b & 1);
		bufs[i].len = buf_len(in, b);
		bufs[i].gpa = bufs[i].len ? nd_alloc(&h.drv, bufs[i].len) : 0;
		if (bufs[i].len && !bufs[i].gpa) {
			nr = i;
			goto out_free;
		}
	}
	/* 2.7.4.2: readable first (the queue refuses other orders;
	 * fuzz_virtq tries them). */
	for (unsigned int w = 0; w < 2; w++)
		for (unsigned int i = 0; i < nr; i++)
			if (bufs[i].writable == w)
				sorted[k++] = bufs[i];
	head = nd_add_chain(&h.drv, q, sorted, nr, indirect);
	FUZZ_TRACE("chain on queue %u: head %d, %u buffers%s", q, head, nr,
		   indirect ? ", indirect" : "");
	if (head >= 0) {
		h.drv.q[q].chain[head].state = TX_POSTED;
		return;
	}
out_free:
	for (unsigned int i = 0; i < nr; i++)
		nd_free(&h.drv, bufs[i].gpa, bufs[i].len);
}

/* Raw bytes over the rings: the driver is hostile from now on. */
static void op_raw(struct fz *in)
{
	uint16_t at = fz_u16(in) % DATA_START;
	uint8_t n = fz_u8(in) % 16, b[16];

	fz_bytes(in, b, n);
	if (n && !gmem_write(&h.ram.mem, gpa(at), b, n))
		h.exact = false;
}

/* ---- the device ---- */

/* What net_activate() lets the tap hand the guest: only offloads the
 * driver accepted (the kernel completes the rest), in the combinations
 * tun takes (TSO needs CSUM, ECN needs TSO). */
static void check_offloads(uint64_t f)
{
	unsigned int off = net_tap_offloads(f);
	bool csum = f & VDEV_BIT(VIRTIO_NET_F_GUEST_CSUM);

	FUZZ_CHECK(!!(off & TUN_F_CSUM) == csum &&
			   !!(off & TUN_F_TSO4) ==
				   (csum &&
				    (f & VDEV_BIT(VIRTIO_NET_F_GUEST_TSO4))) &&
			   !!(off & TUN_F_TSO6) ==
				   (csum &&
				    (f & VDEV_BIT(VIRTIO_NET_F_GUEST_TSO6))) &&
			   !!(off & TUN_F_TSO_ECN) ==
				   (!!(off & (TUN_F_TSO4 | TUN_F_TSO6)) &&
				    (f & VDEV_BIT(VIRTIO_NET_F_GUEST_ECN))) &&
			   !(off & ~(TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 |
				     TUN_F_TSO_ECN)),
		   "tap offloads %#x for features %#llx", off,
		   (unsigned long long)f);
}

static void setup(struct fz *in)
{
	static const struct gmem_region layout[] = {
		{ .start = { 0 }, .size = ND_REGION },
		{ .start = { ND_REGION }, .size = ND_REGION },
	};
	uint8_t fb = fz_u8(in), rx = fz_u8(in), tx = fz_u8(in);
	uint64_t features = VDEV_BIT(VDEV_F_VERSION_1);
	uint16_t size[2] = { (uint16_t)(1u << (rx % 9)),
			     (uint16_t)(1u << (tx % 9)) };

	h.sqe_fail_mask = fz_u8(in);
	for (unsigned int i = 0; i < 8; i++)
		if (fb & (1u << i))
			features |= VDEV_BIT(feature_bits[i]);
	fuzz_ram_init(&h.ram, layout, 2, 0);
	memset(&h.drv, 0, sizeof(h.drv));
	h.drv.ram = &h.ram;
	h.drv.data_start = h.drv.bump = DATA_START;
	h.drv.data_end = ND_RAM;
	memset(&h.n, 0, sizeof(h.n));
	h.n.mem = &h.ram.mem;
	h.n.tap = -1;
	h.n.vdev.ops = &net_ops;
	h.n.vdev.priv = &h.n;
	h.n.vdev.raise_irq = fake_raise_irq;
	h.n.vdev.features = features;
	/* net_activate() without the tap and the thread. */
	net_clear(&h.n);
	for (unsigned int q = 0; q < NET_NR_QUEUES; q++) {
		nd_queue_init(&h.drv, q, size[q],
			      q == NET_RXQ ? RX_RING : TX_RING);
		FUZZ_CHECK(!vq_init(&h.n.vq[q], &h.ram.mem, size[q],
				    gpa(h.drv.q[q].desc), gpa(h.drv.q[q].avail),
				    gpa(h.drv.q[q].used),
				    features & VDEV_BIT(VDEV_F_EVENT_IDX),
				    features & VDEV_BIT(VDEV_F_INDIRECT_DESC)),
			   "vq_init");
	}
	h.n.features = features;
	h.n.mrg_rxbuf = features & VDEV_BIT(VIRTIO_NET_F_MRG_RXBUF);
	check_offloads(features);
	h.exact = true;
	h.nr_new = h.sqe_calls = h.tx_unsent = 0;
	h.reading = false;
	memset(h.writing, 0, sizeof(h.writing));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz in = fz_make(data, size);
	unsigned int sqe_calls;

	/* Guest errors are logged at debug level, the tap's at warn. */
	log_set_level(LOG_ERROR);
	setup(&in);
	for (unsigned int n = 0; n < MAX_OPS && fz_left(&in); n++) {
		switch (fz_u8(&in) % 7) {
		case 0:
			op_add_chain(&in);
			break;
		case 1:
			op_raw(&in);
			break;
		case 2:
		case 3:
			sqe_calls = h.sqe_calls;
			net_on_kick(&h.n, fz_u8(&in) & 1);
			/* A write that got no SQE goes back unsent. */
			h.tx_unsent += h.sqe_calls - sqe_calls - h.nr_new;
			settle();
			break;
		case 4:
			op_frame(&in);
			break;
		case 5:
			op_write_done(&in);
			break;
		case 6:
			sqe_calls = h.sqe_calls;
			net_on_pass_end(&h.n);
			h.tx_unsent += h.sqe_calls - sqe_calls - h.nr_new;
			settle();
			break;
		}
	}
	fuzz_ram_free(&h.ram);
	return 0;
}
