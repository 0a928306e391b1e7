// SPDX-License-Identifier: Apache-2.0
/* tests/fuzz/virtq_ref.c: fuzz_virtq's reference chain walk and fake IOMMU. */
#include "virtq_ref.h"

#include <endian.h>
#include <errno.h>
#include <string.h>

#include "fuzz.h"

int vqr_translate(const struct vqr_iommu *io, uint64_t iova, uint64_t len,
		  bool write, struct vqr_seg *segs, unsigned int max)
{
	unsigned int n = 0;

	if (len == 0 || iova + len - 1 < iova)
		return -EFAULT;
	while (len) {
		uint64_t page = iova / VQR_PAGE, off = iova % VQR_PAGE;
		uint64_t take = VQR_PAGE - off < len ? VQR_PAGE - off : len;
		uint64_t gpa_v;

		if (page >= VQR_IOVA_PAGES)
			return -EFAULT;
		if ((write ? io->deny_write : io->deny_read) & (1u << page))
			return -EFAULT;
		gpa_v = (page ^ io->key) * VQR_PAGE + off;
		/* One segment while the bytes stay in one region, in order. */
		if (n && segs[n - 1].gpa + segs[n - 1].len == gpa_v &&
		    gmem_ptr(&io->ram->mem, gpa(segs[n - 1].gpa),
			     segs[n - 1].len + take)) {
			segs[n - 1].len += take;
		} else {
			if (n == max)
				return -E2BIG;
			segs[n++] = (struct vqr_seg){ gpa_v, take };
		}
		iova += take;
		len -= take;
	}
	return (int)n;
}

/* One descriptor as the guest wrote it (2.7.5: little-endian). */
struct vqr_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags, next;
};

static void read_desc(const struct vqr_geom *g, uint64_t table, uint16_t i,
		      struct vqr_desc *d)
{
	uint8_t b[16];

	/* The table was checked to be RAM: the harness's bug if not. */
	FUZZ_CHECK(!gmem_read(&g->ram->mem, b, gpa(table + 16ull * i), 16),
		   "descriptor %u of table %#llx not in RAM", i,
		   (unsigned long long)table);
	memcpy(&d->addr, b, 8);
	memcpy(&d->len, b + 8, 4);
	memcpy(&d->flags, b + 12, 2);
	memcpy(&d->next, b + 14, 2);
	d->addr = le64toh(d->addr);
	d->len = le32toh(d->len);
	d->flags = le16toh(d->flags);
	d->next = le16toh(d->next);
}

/* (addr, len) as guest-physical pieces for an access: through the IOMMU,
 * or one piece that must lie inside one RAM region (CVE-2019-18960). */
static int pieces(const struct vqr_geom *g, uint64_t addr, uint64_t len,
		  bool write, struct vqr_seg *segs, unsigned int max)
{
	if (g->io)
		return vqr_translate(g->io, addr, len, write, segs, max);
	if (!gmem_ptr(&g->ram->mem, gpa(addr), len))
		return -EFAULT;
	if (max == 0)
		return -E2BIG;
	segs[0] = (struct vqr_seg){ addr, len };
	return 1;
}

static void broken(struct vqr_chain *out, const char *why)
{
	out->verdict = VQR_BROKEN;
	out->why = why;
}

void vqr_walk(const struct vqr_geom *g, uint16_t head, struct vqr_chain *out)
{
	static struct vqr_seg segs[VQ_MAX_CHAIN];
	uint64_t table = g->desc_gpa;
	unsigned int table_len = g->size, hops = g->size;
	bool in_indirect = false, seen_write = false, fault = false;
	struct vqr_desc d, last = { 0 };
	uint16_t i = head;
	int n;

	memset(out, 0, offsetof(struct vqr_chain, bufs));
	out->verdict = VQR_OK;
	for (;;) {
		/* "A driver MUST NOT create a descriptor chain longer than
		 * the Queue Size": one hop more than that is a loop. */
		if (hops-- == 0)
			return broken(out, "loop");
		read_desc(g, table, i, &d);
		if (d.flags &
		    ~(VQ_DESC_F_NEXT | VQ_DESC_F_WRITE | VQ_DESC_F_INDIRECT))
			return broken(out, "unknown flag");
		if (d.flags & VQ_DESC_F_INDIRECT) {
			/* 2.7.5.3.1: feature negotiated, no nesting, not
			 * with NEXT; the table is whole descriptors, no more
			 * than the queue size, in one piece of RAM. */
			if (!g->indirect || in_indirect ||
			    (d.flags & VQ_DESC_F_NEXT))
				return broken(out, "indirect not allowed");
			if (d.len == 0 || d.len % 16 || d.len / 16 > g->size)
				return broken(out, "indirect table length");
			n = pieces(g, d.addr, d.len, false, segs, 1);
			if (n != 1) {
				if (!g->io)
					return broken(out, "table not RAM");
				/* Behind the IOMMU: a fault of this request,
				 * whose buffers are then not looked at. */
				out->verdict = VQR_FAULT;
				return;
			}
			table = segs[0].gpa;
			table_len = hops = d.len / 16;
			in_indirect = true;
			i = 0;
			continue;
		}
		/* 2.7.4.2: device-writable elements after readable ones. */
		if (d.flags & VQ_DESC_F_WRITE)
			seen_write = true;
		else if (seen_write)
			return broken(out, "readable after writable");
		if (d.len) {
			if (out->nr == VQ_MAX_CHAIN)
				return broken(out, "too many buffers");
			if (d.flags & VQ_DESC_F_WRITE)
				out->writable_len += d.len;
			else
				out->readable_len += d.len;
			/* 2.7.5: "The total length of the buffers in a chain
			 * MUST NOT exceed 2^32" (used.len is 32 bits). */
			if (out->readable_len + out->writable_len > UINT32_MAX)
				return broken(out, "chain over 4 GiB");
			if (!fault) {
				bool w = d.flags & VQ_DESC_F_WRITE;

				n = pieces(g, d.addr, d.len, w, segs,
					   VQ_MAX_CHAIN - out->nr);
				if (n == -E2BIG)
					return broken(out, "too many segments");
				if (n < 0 && !g->io)
					return broken(out, "buffer not RAM");
				if (n < 0) {
					fault = true;
					last = (struct vqr_desc){ 0 };
				} else {
					for (int k = 0; k < n; k++)
						out->bufs
							[out->nr++] = (struct
								       vqr_buf){
							segs[k].gpa,
							(uint32_t)segs[k].len,
							w,
						};
					last = d;
				}
			} else {
				last = d;
			}
		}
		if (!(d.flags & VQ_DESC_F_NEXT))
			break;
		if (d.next >= table_len)
			return broken(out, "next out of the table");
		i = d.next;
	}
	if (fault) {
		/* queue.h: the status byte a device may still write is the
		 * chain's last byte, when the last buffer is writable and
		 * that byte translates. */
		out->verdict = VQR_FAULT;
		out->nr = 0;
		if ((last.flags & VQ_DESC_F_WRITE) &&
		    vqr_translate(g->io, last.addr + last.len - 1, 1, true,
				  segs, 1) == 1) {
			out->has_tail = true;
			out->tail_gpa = segs[0].gpa;
		}
	}
}
