/* SPDX-License-Identifier: Apache-2.0 */
/* devices/virtio/vsock_conn.h: virtio-vsock's stream protocol, one connection at a time; pure. */
#ifndef IGNIS_VSOCK_CONN_H
#define IGNIS_VSOCK_CONN_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "devices/virtio/vsock_proto.h"

/*
 * One connection is a guest stream flow (guest port, host port) and, on
 * the host, one Unix socket. This module is its protocol (5.10.6.3,
 * 5.10.6.5), in plain memory: no I/O, no clock (times are passed in), so
 * that every rule here is tested without a VM. vsock_table.c holds the
 * connections, vsock_io.c moves the bytes (its fields are at the end of
 * struct vsock_conn), vsock_vq.c carries the packets.
 */

/* Receive space we give each flow: what the guest may send us before
 * the host took it (Firecracker's CONN_TX_BUF_SIZE). */
#define VSOCK_BUF_ALLOC		(64u * 1024)
/* Host bytes held for the guest per flow, waiting for its credit. */
#define VSOCK_STAGE_SIZE	(16u * 1024)
/* How long a peer may take to answer REQUEST, to RST a SHUTDOWN, to
 * drain after its SHUTDOWN, and the host to send its CONNECT line
 * (Firecracker's CONN_REQUEST_TIMEOUT_MS, CONN_SHUTDOWN_TIMEOUT_MS). */
#define VSOCK_TIMEOUT_NS	(2000ull * 1000000)

#define VSOCK_NIL		0xffff	/* no connection (index) */

enum vsock_state {
	VSOCK_FREE,		/* unused */
	VSOCK_ACCEPTING,	/* reserved for the accept in flight */
	VSOCK_LINE,		/* host connected: reading its CONNECT line */
	VSOCK_LOCAL_INIT,	/* REQUEST owed or sent to the guest */
	VSOCK_PEER_INIT,	/* guest REQUEST: connecting to the host */
	VSOCK_ESTABLISHED,	/* data flows */
	VSOCK_CLOSING,		/* torn down: RST owed or not, host socket
				 * shut, entry freed once its I/O drained */
};

/* What a connection owes the guest, besides data (RW). */
#define VSOCK_OWE_RST		0x01	/* tear down */
#define VSOCK_OWE_RESPONSE	0x02	/* host connect done */
#define VSOCK_OWE_REQUEST	0x04	/* host wants guest port */
#define VSOCK_OWE_SHUTDOWN	0x08	/* host closed, after its data */
#define VSOCK_OWE_CREDIT	0x10	/* CREDIT_UPDATE */

struct vsock_conn {
	/* ---- protocol (this module) ---- */
	enum vsock_state state;
	uint32_t local_port;	/* the host's side of the flow */
	uint32_t peer_port;	/* the guest's side */
	uint8_t owe;		/* VSOCK_OWE_* */
	bool peer_no_rcv;	/* guest SHUTDOWN: will not receive */
	bool peer_no_send;	/* guest SHUTDOWN: will not send */
	bool host_eof;		/* the host socket read 0: host is done */
	bool host_half;		/* ... by shutdown(SHUT_WR) alone: it
				 * still reads what the guest sends */
	bool shut_sent;		/* our SHUTDOWN went to the guest */
	bool credit_asked;	/* CREDIT_REQUEST sent; no packet since */
	uint32_t peer_buf_alloc;	/* the guest's, from its last header */
	uint32_t peer_fwd_cnt;	/* the guest's, from its last header */
	uint32_t tx_cnt;	/* payload bytes sent to the guest */
	uint32_t rx_cnt;	/* payload bytes received from it */
	uint32_t fwd_cnt;	/* of those, written to the host */
	uint32_t fwd_told;	/* fwd_cnt in our last header */
	uint64_t deadline;	/* ns (caller's clock) it expires; 0: none */
	struct vsock_ring stage;	/* host bytes for the guest */
	struct vsock_ring txb;	/* guest bytes for the host: always
				 * rx_cnt - fwd_cnt of them */
	/* LINE: the host's CONNECT line so far; ESTABLISHED (host-
	 * initiated): "OK <port>\n", written to the host before any data. */
	char line[VSOCK_LINE_MAX];
	uint8_t line_len;	/* bytes in line */
	uint8_t line_sent;	/* of the OK line, written */
	/* ---- table links (vsock_table.c) ---- */
	uint16_t hnext;		/* hash chain */
	uint16_t qprev, qnext;	/* owed list */
	bool hashed;		/* findable by its ports */
	bool queued;		/* on the owed list */
	/* ---- host I/O (vsock_io.c) ---- */
	unsigned int ops;	/* its requests in the ring */
	bool recv_busy;		/* a recv in flight */
	bool send_busy;		/* a send in flight */
	bool sending_line;	/* that send is of the OK line */
	bool eof_probe;		/* recv read 0: a probe is owed */
	bool probing;		/* that send is the zero-length probe */
	bool ctrl_busy;		/* a SOCKET/CONNECT/SHUTDOWN/release */
	bool connecting;	/* PEER_INIT: its CONNECT in flight */
	bool cancelled;		/* that CONNECT's cancel submitted */
	bool has_sock;		/* its slot holds its socket */
	bool sock_shut;		/* SHUT_RDWR submitted */
	bool wr_shut;		/* SHUT_WR submitted (guest sends no more) */
	bool releasing;		/* its slot is being emptied */
	socklen_t addr_len;	/* PEER_INIT: addr's length */
	struct sockaddr_un addr;	/* PEER_INIT: "<uds_path>_<port>" */
};

/* ACCEPTING -> LINE: the host connected; it has until (now) +
 * VSOCK_TIMEOUT_NS to write its CONNECT line. */
void vsock_conn_accepted(struct vsock_conn *c, uint64_t now);

/*
 * LINE: (n) more bytes arrived at line[line_len]. Returns 1 when the line
 * is complete (the bytes after it move to the stage, *port is the guest
 * port asked for), 0 when more must come, -EINVAL when the line is
 * malformed or too long (the caller closes: vsock_conn_kill()).
 */
int vsock_conn_line_in(struct vsock_conn *c, uint32_t n, uint32_t *port);

/* LINE -> LOCAL_INIT as flow (local_port, peer_port): a REQUEST is owed
 * to the guest. Then hash it (vsock_table_hash()). */
void vsock_conn_init_local(struct vsock_conn *c, uint32_t local_port,
			   uint32_t peer_port);

/* ACCEPTING -> PEER_INIT: the guest's REQUEST (h); the host side must
 * connect by (now) + VSOCK_TIMEOUT_NS. Then hash it. */
void vsock_conn_init_peer(struct vsock_conn *c, const struct vsock_hdr *h,
			  uint64_t now);

/* PEER_INIT -> ESTABLISHED: the host accepted; RESPONSE is owed. */
void vsock_conn_connected(struct vsock_conn *c);

/*
 * A packet the guest sent on (c)'s flow, its header (h) checked
 * (VSOCK_PKT_OK), its h->len payload bytes at (off) of (iov, nr), at
 * time (now). Takes the guest's credit from every packet, RW payload
 * into txb (an RW beyond the credit we gave tears the flow down: the
 * guest broke 5.10.6.3's MUST), and moves the state: RESPONSE
 * establishes a host-initiated flow, SHUTDOWN records its flags, RST
 * closes without an answer, anything out of place is answered RST.
 */
void vsock_conn_recv(struct vsock_conn *c, const struct vsock_hdr *h,
		     const struct iovec *iov, unsigned int nr, size_t off,
		     uint64_t now);

/* Whether the guest is owed a packet now (vsock_conn_emit() has one). */
bool vsock_conn_has_packet(const struct vsock_conn *c);

/*
 * Builds the next packet owed to guest (guest_cid): its header in (h)
 * (host order) and, for RW, up to (room) payload bytes copied from the
 * stage into (iov, nr) at (off). Order: RST, RESPONSE, REQUEST, RW (what
 * the guest's credit allows), CREDIT_REQUEST (data waits, no credit),
 * SHUTDOWN (host gone, its data delivered), CREDIT_UPDATE. Every packet
 * carries our credit, so a pending CREDIT_UPDATE is settled by any.
 * Sent REQUEST and SHUTDOWN start the peer's VSOCK_TIMEOUT_NS from (now).
 * Returns the payload length; h->op is VSOCK_OP_INVALID when nothing is
 * owed.
 */
uint32_t vsock_conn_emit(struct vsock_conn *c, uint64_t guest_cid,
			 struct vsock_hdr *h, const struct iovec *iov,
			 unsigned int nr, size_t off, uint32_t room,
			 uint64_t now);

/* The host took (n) bytes of txb; may owe a CREDIT_UPDATE, or end a flow
 * the guest shut down both ways once txb is empty. */
void vsock_conn_host_sent(struct vsock_conn *c, uint32_t n);

/* The host socket read 0 and the host is gone (closed, or shut down
 * reading too): its staged bytes still go, then SHUTDOWN(RCV|SEND), which
 * the guest answers with RST (or is sent one after VSOCK_TIMEOUT_NS). */
void vsock_conn_host_eof(struct vsock_conn *c);

/*
 * The host socket read 0 but the host still reads (it called
 * shutdown(SHUT_WR), as socat and nc -N do after a request): its staged
 * bytes still go, then SHUTDOWN(SEND) alone, and what the guest sends
 * still reaches the host. The flow ends when the guest shuts down its
 * side too (RST from us once the host has its bytes), or a send to the
 * host fails. If the guest had already shut down its sending side,
 * nothing flows any more: as vsock_conn_host_eof().
 */
void vsock_conn_host_half_close(struct vsock_conn *c);

/* Tears (c) down: CLOSING, with an RST owed if the guest knows the
 * flow. Also what becomes of a connection whose deadline passed. */
void vsock_conn_kill(struct vsock_conn *c);

/* The credit we give the guest now: what it may still send (5.10.6.3). */
uint32_t vsock_conn_our_credit(const struct vsock_conn *c);

#endif
