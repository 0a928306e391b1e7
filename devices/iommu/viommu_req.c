/* SPDX-License-Identifier: Apache-2.0 */
/* devices/iommu/viommu_req.c: virtio-iommu request chains, pure. */
#include "viommu_priv.h"

#include <endian.h>
#include <stddef.h>
#include <string.h>

/*
 * Where the answer goes (5.13.6: "All requests are split in two parts:
 * one device-readable, one device-writable"). The structs put the tail
 * right after the device-readable fields, and after probe_size bytes of
 * properties for PROBE, so the tail is at writable offset 0 (probe_size
 * for PROBE), and the used length is 4 (probe_size + 4): Linux's driver
 * copies the answer back only when the used length equals the writable
 * size it gave (drivers/iommu/virtio-iommu.c, __viommu_sync_req), and it
 * gives exactly that. Writable bytes past the struct are left alone and
 * not counted. Readable bytes past the struct are ignored, as padding
 * for future fields would be.
 *
 * Malformed chains, decided here:
 *  - fewer than 4 writable bytes, or a readable buffer after a writable
 *    one: nowhere to put a status ("the device cannot find the tail ...
 *    it returns the buffers without writing to them", 5.13.6): used
 *    length 0, which the driver "SHOULD interpret ... as a request
 *    failure" (5.13.6.1);
 *  - an unknown type: the same, as 5.13.6.2 asks ("SHOULD NOT write the
 *    buffer and SHOULD set the used length to zero");
 *  - fewer readable bytes than the head, or than the type's fields: the
 *    buffers are wrong, not the values in them, so VIRTIO_IOMMU_S_IOERR
 *    ("Virtio communication error"); QEMU answers INVAL for the latter.
 */

#define TAIL_SIZE sizeof(struct virtio_iommu_req_tail)

/* The shape of a chain: readable buffers first, then writable. */
struct req_layout {
	unsigned int nr_rd;	/* readable buffers, at the front */
	uint64_t rd_len;	/* their bytes */
	uint64_t wr_len;	/* writable bytes */
};

static int layout_of(const struct vq_chain *ch, struct req_layout *l)
{
	memset(l, 0, sizeof(*l));
	if (ch->nr > VQ_MAX_CHAIN)
		return -1;
	/* Lengths are summed here, not taken from the chain's counters. */
	for (unsigned int i = 0; i < ch->nr; i++) {
		const struct vq_buf *b = &ch->bufs[i];

		if (b->writable) {
			l->wr_len += b->len;
			continue;
		}
		if (i != l->nr_rd)
			return -1;	/* readable after writable */
		l->nr_rd++;
		l->rd_len += b->len;
	}
	return 0;
}

/* Copies up to (len) readable bytes into (dst); returns how many. */
static size_t gather(const struct vq_chain *ch, const struct req_layout *l,
		     void *dst, size_t len)
{
	uint8_t *out = dst;
	size_t done = 0;

	for (unsigned int i = 0; i < l->nr_rd && done < len; i++) {
		size_t take = ch->bufs[i].len;

		if (take > len - done)
			take = len - done;
		memcpy(out + done, ch->bufs[i].addr, take);
		done += take;
	}
	return done;
}

/* Writes (len) bytes of (src), or zeros when NULL, at writable offset
 * (off); the caller has checked off + len <= l->wr_len. */
static void scatter(const struct vq_chain *ch, const struct req_layout *l,
		    uint64_t off, const void *src, size_t len)
{
	const uint8_t *in = src;
	size_t done = 0;

	for (unsigned int i = l->nr_rd; i < ch->nr && done < len; i++) {
		const struct vq_buf *b = &ch->bufs[i];
		size_t take;

		if (off >= b->len) {
			off -= b->len;
			continue;
		}
		take = b->len - off;
		if (take > len - done)
			take = len - done;
		if (in)
			memcpy((uint8_t *)b->addr + off, in + done, take);
		else
			memset((uint8_t *)b->addr + off, 0, take);
		done += take;
		off = 0;
	}
}

/* Writes the tail at writable offset (off); returns the used length. */
static uint32_t finish(struct viommu_core *c, const struct vq_chain *ch,
		       const struct req_layout *l, uint64_t off,
		       uint8_t status)
{
	/* 5.13.6.2: the device "SHOULD set field reserved of struct
	 * virtio_iommu_req_tail to zero". */
	struct virtio_iommu_req_tail t = { .status = status };

	if (status != VIRTIO_IOMMU_S_OK)
		metric_inc(&c->metrics.error_count);
	scatter(ch, l, off, &t, sizeof(t));
	return (uint32_t)(off + sizeof(t));
}

static bool all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (p[i])
			return false;
	}
	return true;
}

/* Gathers the (len) device-readable bytes of a request's struct, those
 * before its tail; false when the chain has fewer. */
static bool gather_req(const struct vq_chain *ch, const struct req_layout *l,
		       void *dst, size_t len)
{
	return gather(ch, l, dst, len) == len;
}

static uint8_t req_attach(struct viommu_core *c, const struct vq_chain *ch,
			  const struct req_layout *l)
{
	struct virtio_iommu_req_attach r;

	if (!gather_req(ch, l, &r,
			offsetof(struct virtio_iommu_req_attach, tail)))
		return VIRTIO_IOMMU_S_IOERR;
	/* 5.13.6.3.2: "If the reserved field of an ATTACH request is not
	 * zero, the device MUST reject the request and set status to
	 * VIRTIO_IOMMU_S_INVAL." */
	if (!all_zero(r.reserved, sizeof(r.reserved)))
		return VIRTIO_IOMMU_S_INVAL;
	return viommu_do_attach(c, le32toh(r.domain), le32toh(r.endpoint),
				le32toh(r.flags));
}

static uint8_t req_detach(struct viommu_core *c, const struct vq_chain *ch,
			  const struct req_layout *l)
{
	struct virtio_iommu_req_detach r;

	if (!gather_req(ch, l, &r,
			offsetof(struct virtio_iommu_req_detach, tail)))
		return VIRTIO_IOMMU_S_IOERR;
	/* 5.13.6.4.2: "The device MUST ignore reserved." */
	return viommu_do_detach(c, le32toh(r.domain), le32toh(r.endpoint));
}

static uint8_t req_map(struct viommu_core *c, const struct vq_chain *ch,
		       const struct req_layout *l)
{
	struct virtio_iommu_req_map r;

	if (!gather_req(ch, l, &r,
			offsetof(struct virtio_iommu_req_map, tail)))
		return VIRTIO_IOMMU_S_IOERR;
	return viommu_do_map(c, le32toh(r.domain), le64toh(r.virt_start),
			     le64toh(r.virt_end), le64toh(r.phys_start),
			     le32toh(r.flags));
}

static uint8_t req_unmap(struct viommu_core *c, const struct vq_chain *ch,
			 const struct req_layout *l)
{
	struct virtio_iommu_req_unmap r;

	if (!gather_req(ch, l, &r,
			offsetof(struct virtio_iommu_req_unmap, tail)))
		return VIRTIO_IOMMU_S_IOERR;
	/*
	 * 5.13.6.6.2: "If the reserved field of an UNMAP request is not
	 * zero, the device MAY set the request status to
	 * VIRTIO_IOMMU_S_INVAL, in which case the device MAY perform the
	 * UNMAP operation." We do the first and not the second: a request
	 * we call invalid changes nothing.
	 */
	if (!all_zero(r.reserved, sizeof(r.reserved)))
		return VIRTIO_IOMMU_S_INVAL;
	return viommu_do_unmap(c, le32toh(r.domain), le64toh(r.virt_start),
			       le64toh(r.virt_end));
}

#define RESV_SIZE sizeof(struct virtio_iommu_probe_resv_mem)

/* Writes one RESV_MEM property at writable offset (off). */
static void put_resv(const struct vq_chain *ch, const struct req_layout *l,
		     uint64_t off, const struct viommu_resv *r)
{
	struct virtio_iommu_probe_resv_mem p;

	memset(&p, 0, sizeof(p));
	p.head.type = htole16(VIRTIO_IOMMU_PROBE_T_RESV_MEM);
	/* 5.13.6.7.2: "The device MUST write the size of a property without
	 * the struct virtio_iommu_probe_property header ... into length." */
	p.head.length = htole16(sizeof(p) - sizeof(p.head));
	p.subtype = r->subtype;
	p.start = htole64(r->start);
	p.end = htole64(r->last);
	scatter(ch, l, off, &p, sizeof(p));
}

static uint32_t req_probe(struct viommu_core *c, const struct vq_chain *ch,
			  const struct req_layout *l)
{
	struct virtio_iommu_req_probe r;
	const struct viommu_ep *ep;
	uint64_t off = 0;
	uint8_t status;

	/*
	 * 5.13.6.7.2: "If the properties list is smaller than probe_size,
	 * the device SHOULD NOT write any property. It SHOULD reject the
	 * request and set status to VIRTIO_IOMMU_S_INVAL." The tail then
	 * ends the writable part; what is before it is zeroed (no property:
	 * type 0 ends a list), so the used length is true (2.7.8: the
	 * device writes at least len bytes). At most probe_size bytes.
	 */
	if (l->wr_len < (uint64_t)c->probe_size + TAIL_SIZE) {
		off = l->wr_len - TAIL_SIZE;
		scatter(ch, l, 0, NULL, (size_t)off);
		return finish(c, ch, l, off, VIRTIO_IOMMU_S_INVAL);
	}
	/* Readable part: endpoint, then 64 reserved bytes that "The device
	 * MUST ignore". */
	if (gather(ch, l, &r, sizeof(r)) != sizeof(r)) {
		status = VIRTIO_IOMMU_S_IOERR;
	} else {
		/* "If the endpoint ... doesn't exist, then the device SHOULD
		 * reject the request and set status to
		 * VIRTIO_IOMMU_S_NOENT." */
		ep = viommu_ep_find(c, le32toh(r.endpoint));
		status = ep ? VIRTIO_IOMMU_S_OK : VIRTIO_IOMMU_S_NOENT;
	}
	if (status == VIRTIO_IOMMU_S_OK) {
		/* viommu_create() checked that these fit in probe_size. */
		for (unsigned int i = 0; i < c->nr_resv; i++, off += RESV_SIZE)
			put_resv(ch, l, off, &c->resv[i]);
		for (unsigned int i = 0; i < ep->nr_resv; i++, off += RESV_SIZE)
			put_resv(ch, l, off, &ep->resv[i]);
	}
	/* "If the device doesn't fill all probe_size bytes with properties,
	 * it SHOULD fill the remaining bytes of properties with zeroes":
	 * the first four of them are the list's terminating NONE property. */
	scatter(ch, l, off, NULL, (size_t)(c->probe_size - off));
	return finish(c, ch, l, c->probe_size, status);
}

uint32_t viommu_handle_request(struct viommu_core *c,
			       const struct vq_chain *ch)
{
	struct virtio_iommu_req_head head;
	struct req_layout l;
	uint8_t status;

	metric_inc(&c->metrics.request_count);
	if (layout_of(ch, &l) || l.wr_len < TAIL_SIZE)
		goto unanswered;
	if (gather(ch, &l, &head, sizeof(head)) != sizeof(head))
		return finish(c, ch, &l, 0, VIRTIO_IOMMU_S_IOERR);

	/* 5.13.6.2: "The device MUST ignore field reserved of struct
	 * virtio_iommu_req_head". */
	switch (head.type) {
	case VIRTIO_IOMMU_T_ATTACH:
		metric_inc(&c->metrics.attach_count);
		status = req_attach(c, ch, &l);
		break;
	case VIRTIO_IOMMU_T_DETACH:
		metric_inc(&c->metrics.detach_count);
		status = req_detach(c, ch, &l);
		break;
	case VIRTIO_IOMMU_T_MAP:
		metric_inc(&c->metrics.map_count);
		status = req_map(c, ch, &l);
		break;
	case VIRTIO_IOMMU_T_UNMAP:
		metric_inc(&c->metrics.unmap_count);
		status = req_unmap(c, ch, &l);
		break;
	case VIRTIO_IOMMU_T_PROBE:
		/* PROBE is always offered, so always served (5.13.6.7.2
		 * asks for used length 0 only when it is not). */
		metric_inc(&c->metrics.probe_count);
		return req_probe(c, ch, &l);
	default:
		goto unanswered;
	}
	return finish(c, ch, &l, 0, status);

unanswered:
	metric_inc(&c->metrics.unanswered_count);
	return 0;
}
