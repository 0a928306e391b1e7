/* SPDX-License-Identifier: Apache-2.0 */
/* devices/virtio/blk_req.h: virtio-blk request parsing (virtio 1.2, 5.2.6). */
#ifndef IGNIS_BLK_REQ_H
#define IGNIS_BLK_REQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "devices/virtio/queue.h"

/* Request types (5.2.6). */
#define VIRTIO_BLK_T_IN			0	/* read */
#define VIRTIO_BLK_T_OUT		1	/* write */
#define VIRTIO_BLK_T_FLUSH		4	/* VIRTIO_BLK_F_FLUSH */
#define VIRTIO_BLK_T_GET_ID		8	/* device id string */
#define VIRTIO_BLK_T_DISCARD		11	/* VIRTIO_BLK_F_DISCARD */
#define VIRTIO_BLK_T_WRITE_ZEROES	13	/* VIRTIO_BLK_F_WRITE_ZEROES */

/* Status byte values (5.2.6). */
#define VIRTIO_BLK_S_OK		0
#define VIRTIO_BLK_S_IOERR	1
#define VIRTIO_BLK_S_UNSUPP	2

#define BLK_SECTOR_SHIFT	9	/* virtio-blk sectors are always 512 B */
#define BLK_SECTOR_SIZE		(1u << BLK_SECTOR_SHIFT)
#define VIRTIO_BLK_ID_BYTES	20	/* GET_ID string length */

/* virtio_blk_discard_write_zeroes.flags */
#define VIRTIO_BLK_WZ_F_UNMAP	1u	/* write zeroes may deallocate */

/* Iovecs one request may carry: a chain never has more buffers. */
#define BLK_REQ_MAX_SEGS	VQ_MAX_CHAIN
/*
 * Discard / write-zeroes segments one request may carry. The device must
 * advertise max_discard_seg / max_write_zeroes_seg no larger than this.
 */
#define BLK_REQ_MAX_DWZ_SEGS	32

/* The request header, first in every chain (5.2.6): little-endian. */
struct virtio_blk_outhdr {
	uint32_t type;		/* VIRTIO_BLK_T_* */
	uint32_t ioprio;	/* "reserved" in 1.2; ignored */
	uint64_t sector;	/* 512-byte offset, IN/OUT only */
};
_Static_assert(sizeof(struct virtio_blk_outhdr) == 16, "outhdr is 16 bytes");

/* One discard / write-zeroes segment (5.2.6): little-endian in the guest. */
struct virtio_blk_dwz_seg {
	uint64_t sector;	/* first sector */
	uint32_t num_sectors;	/* sectors, may be 0 */
	uint32_t flags;		/* VIRTIO_BLK_WZ_F_*; reserved bits 0 */
};
_Static_assert(sizeof(struct virtio_blk_dwz_seg) == 16, "dwz seg is 16 bytes");

/* What the device offers and negotiated; frozen at activation. */
struct blk_req_limits {
	bool read_only;			/* VIRTIO_BLK_F_RO offered */
	bool flush;			/* VIRTIO_BLK_F_FLUSH negotiated */
	bool discard;			/* VIRTIO_BLK_F_DISCARD negotiated */
	bool write_zeroes;		/* VIRTIO_BLK_F_WRITE_ZEROES negotiated */
	uint32_t max_discard_seg;	/* config; capped at BLK_REQ_MAX_DWZ_SEGS */
	uint32_t max_write_zeroes_seg;	/* config; same cap */
};

/*
 * One parsed request. Pointers point into the chain's buffers (guest RAM);
 * everything the parser validated (type, sector, segments) is a host copy,
 * so the guest cannot change it after validation.
 */
struct blk_req {
	uint32_t type;			/* VIRTIO_BLK_T_*, host order */
	uint64_t sector;		/* IN/OUT start sector, host order */
	struct iovec data[BLK_REQ_MAX_SEGS];	/* data buffers, chain order */
	unsigned int nr_data;		/* entries used in data[] */
	uint64_t data_len;		/* sum of data[] lengths */
	uint8_t *status;		/* the status byte, or NULL */
	struct virtio_blk_dwz_seg seg[BLK_REQ_MAX_DWZ_SEGS]; /* host order */
	unsigned int nr_seg;		/* entries used in seg[] */
};

/*
 * Parses chain (c) as a virtio-blk request for a disk of (capacity_sectors)
 * under (lim) into (r). Pure: reads the chain's readable buffers, writes
 * nothing into guest memory.
 *
 * Layout (5.2.6): the header is the first 16 readable bytes, gathered
 * across buffers; the status is the last byte of the last buffer, which
 * must be writable. Data: IN and GET_ID = the writable bytes before the
 * status byte; OUT, DISCARD and WRITE_ZEROES = the readable bytes after
 * the header; FLUSH has none.
 *
 * Returns:
 *  - VIRTIO_BLK_S_OK: valid; execute it, then write the status. r->data
 *    holds data_len bytes (GET_ID: trimmed to min(len, 20): the driver
 *    "MUST provide 20 bytes", we accept 1..20+ and write that many, the
 *    string NUL-padded); r->seg holds nr_seg validated segments.
 *  - VIRTIO_BLK_S_IOERR / VIRTIO_BLK_S_UNSUPP: answer with that status in
 *    *r->status without touching the backend (used len 1).
 *  - -EINVAL: no status byte to write (empty chain, last buffer readable,
 *    readable after writable); complete the chain with used len 0.
 *
 * IOERR: short header; data in the wrong direction; FLUSH with data;
 * IN/OUT length not a multiple of 512 or past capacity; GET_ID without
 * room; write, discard or write-zeroes on a read-only disk; discard /
 * write-zeroes data empty, not a multiple of 16 or a segment past capacity.
 * UNSUPP: unknown or not-negotiated type; more segments than advertised
 * (as QEMU); discard with any flag, write-zeroes with a reserved flag
 * (5.2.6.2 MUST). A segment's num_sectors is not checked against
 * max_discard_sectors: only capacity bounds the backend.
 */
int blk_req_parse(const struct vq_chain *c, uint64_t capacity_sectors,
		  const struct blk_req_limits *lim, struct blk_req *r);

/*
 * Copies up to (len) bytes into (dst) from the readable buffers of (c),
 * starting (skip) bytes in; stops at the first writable buffer. Returns
 * the bytes copied (< len when the readable bytes run out).
 */
size_t blk_req_gather(const struct vq_chain *c, size_t skip, void *dst,
		      size_t len);

#endif
