/* SPDX-License-Identifier: Apache-2.0 */
/* tests/fuzz/virtq_ref.h: fuzz_virtq's reference chain walk and fake IOMMU. */
#ifndef IGNIS_FUZZ_VIRTQ_REF_H
#define IGNIS_FUZZ_VIRTQ_REF_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/virtio/queue.h"
#include "fuzz_ram.h"

/*
 * The IOMMU fuzz_virtq puts a queue behind when the input asks: IOVA page
 * p (4 KiB, p < VQR_IOVA_PAGES) maps to guest page p ^ key, readable
 * unless bit p of deny_read is set, writable unless bit p of deny_write
 * is; anything else faults. Pages that land next to each other in one RAM
 * region merge into one segment, so a buffer becomes several vq_bufs only
 * where RAM really is apart (a region boundary, or pages the key
 * scattered). The queue's translate() and the reference walk both use it:
 * it is the test's model of the IOMMU, not code under test.
 */
#define VQR_PAGE 4096u
#define VQR_IOVA_PAGES 16u /* = RAM pages: 64 KiB */

struct vqr_iommu {
	const struct fuzz_ram *ram;
	unsigned int key; /* < VQR_IOVA_PAGES */
	uint16_t deny_read, deny_write; /* per IOVA page */
};

/* A translated piece, as a guest-physical range. */
struct vqr_seg {
	uint64_t gpa;
	uint64_t len;
};

/* vq_dma.translate()'s contract, in guest-physical terms: the number of
 * segments (<= max), -EFAULT or -E2BIG. */
int vqr_translate(const struct vqr_iommu *io, uint64_t iova, uint64_t len,
		  bool write, struct vqr_seg *segs, unsigned int max);

/* What the queue (as configured) must make of one chain. */
struct vqr_geom {
	const struct fuzz_ram *ram;
	const struct vqr_iommu *io; /* NULL: guest-physical addresses */
	uint16_t size; /* queue size */
	bool indirect; /* VIRTIO_F_INDIRECT_DESC */
	uint64_t desc_gpa; /* where the descriptor table is */
};

enum vqr_verdict {
	VQR_OK, /* popped: the buffers below */
	VQR_FAULT, /* behind the IOMMU: popped, unusable (-EFAULT) */
	VQR_BROKEN, /* a violation: the queue breaks (-EIO) */
};

struct vqr_buf {
	uint64_t gpa;
	uint32_t len;
	bool writable;
};

struct vqr_chain {
	enum vqr_verdict verdict;
	const char *why; /* VQR_BROKEN: which rule */
	unsigned int nr; /* bufs used */
	uint64_t readable_len, writable_len;
	bool has_tail; /* VQR_FAULT: fault_tail is set */
	uint64_t tail_gpa; /* ... to this byte */
	struct vqr_buf bufs[VQ_MAX_CHAIN];
};

/* Walks chain (head) as the spec and queue.h's policies say (2.7.5,
 * 2.7.5.3, 2.7.4.2, GUARDS checklist) into (out). */
void vqr_walk(const struct vqr_geom *g, uint16_t head, struct vqr_chain *out);

#endif
