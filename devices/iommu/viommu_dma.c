// SPDX-License-Identifier: Apache-2.0
/* devices/iommu/viommu_dma.c: DMA of emulated devices, translated by the iommu. */
#include "devices/iommu/viommu_dma.h"

#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/*
 * A miss asks the core for at least this much, so that one lookup covers
 * a large mapping (Linux's identity or lazy-mode mappings, boot bypass)
 * and the next buffers in it hit the cache.
 */
#define VIOMMU_DMA_FILL_MIN	(UINT64_C(1) << 30)

static void poke(int fd)
{
	uint64_t one = 1;

	/* Only fails when the counter is full, and then it wakes anyway. */
	if (write(fd, &one, sizeof(one)) < 0)
		return;
}

/* A failed translation: a record for the event queue (5.13.6.9). */
static void view_fault(struct viommu_dma_view *v, uint64_t iova, bool write,
		       uint8_t reason)
{
	struct viommu_dma *x = v->owner;
	struct virtio_iommu_fault f = {
		.reason = reason,
		.flags = (write ? VIRTIO_IOMMU_FAULT_F_WRITE :
				  VIRTIO_IOMMU_FAULT_F_READ) |
			 VIRTIO_IOMMU_FAULT_F_ADDRESS,
		.endpoint = v->endpoint,
		.address = iova,
	};

	metric_inc(&viommu_core_metrics(x->core)->fault_count);
	pthread_mutex_lock(&x->fault_lock);
	if (x->nr_faults < VIOMMU_DMA_FAULTS)
		x->faults[x->nr_faults++] = f;
	else
		metric_inc(&viommu_core_metrics(x->core)->faults_dropped);
	pthread_mutex_unlock(&x->fault_lock);
	poke(x->fault_fd);
}

static const struct viommu_dma_hit *view_lookup(const struct viommu_dma_view *v,
						uint64_t iova, uint32_t need)
{
	for (unsigned int i = 0; i < VIOMMU_DMA_CACHE; i++) {
		const struct viommu_dma_hit *h = &v->cache[i];

		if ((h->perm & need) && h->iova <= iova && iova <= h->last)
			return h;
	}
	return NULL;
}

/*
 * A miss: asks the core (read lock) and caches what it found, clipped to
 * the RAM region it lands in. NULL after reporting a fault: no mapping,
 * no permission, or a target that is not RAM (an MSI doorbell or an
 * MMIO mapping: emulated devices write RAM only, GUARDS row 12).
 */
static const struct viommu_dma_hit *view_fill(struct viommu_dma_view *v,
					      uint64_t at, uint64_t want,
					      bool write)
{
	struct viommu_dma *x = v->owner;
	const struct gmem_region *r;
	enum viommu_xlate_kind kind;
	struct viommu_dma_hit *h;
	struct viommu_xlate t;
	uint64_t ask = want > VIOMMU_DMA_FILL_MIN ? want : VIOMMU_DMA_FILL_MIN;
	uint64_t len;

	if (ask - 1 > UINT64_MAX - at)
		ask = UINT64_MAX - at + 1;
	pthread_rwlock_rdlock(&x->lock);
	kind = viommu_translate(x->core, v->endpoint, iova(at), ask, write,
				&t);
	pthread_rwlock_unlock(&x->lock);
	if (kind == VIOMMU_XLATE_FAULT) {
		view_fault(v, at, write, t.reason);
		return NULL;
	}
	r = gmem_region_of(x->mem, t.gpa);
	if (kind == VIOMMU_XLATE_MSI || !r ||
	    (t.map_flags & VIRTIO_IOMMU_MAP_F_MMIO)) {
		view_fault(v, at, write, VIRTIO_IOMMU_FAULT_R_MAPPING);
		return NULL;
	}
	len = r->start.v + r->size - t.gpa.v;
	if (t.len < len)
		len = t.len;
	h = &v->cache[v->cache_next++ % VIOMMU_DMA_CACHE];
	*h = (struct viommu_dma_hit){
		.iova = at,
		.last = at + len - 1,
		.host = (uint8_t *)r->host + (t.gpa.v - r->start.v),
		.perm = kind == VIOMMU_XLATE_BYPASS ?
				VIRTIO_IOMMU_MAP_F_READ |
					VIRTIO_IOMMU_MAP_F_WRITE :
				t.map_flags & (VIRTIO_IOMMU_MAP_F_READ |
					       VIRTIO_IOMMU_MAP_F_WRITE),
	};
	return h;
}

/* struct vq_dma.translate: IOVA range to host segments, merging pieces
 * that happen to be adjacent on the host. */
static int view_translate(void *ctx, uint64_t iova, uint64_t len, bool write,
			  struct vq_seg *segs, unsigned int max)
{
	struct viommu_dma_view *v = ctx;
	uint32_t need = write ? VIRTIO_IOMMU_MAP_F_WRITE :
				VIRTIO_IOMMU_MAP_F_READ;
	unsigned int n = 0;
	uint64_t done = 0;

	if (!len || len - 1 > UINT64_MAX - iova) {
		view_fault(v, iova, write, VIRTIO_IOMMU_FAULT_R_MAPPING);
		return -EFAULT;
	}
	while (done < len) {
		uint64_t at = iova + done, take;
		const struct viommu_dma_hit *h = view_lookup(v, at, need);
		uint8_t *p;

		if (!h)
			h = view_fill(v, at, len - done, write);
		if (!h)
			return -EFAULT;
		take = h->last - at + 1;
		if (take > len - done)
			take = len - done;
		p = h->host + (at - h->iova);
		if (n && (uint8_t *)segs[n - 1].addr + segs[n - 1].len == p) {
			segs[n - 1].len += take;
		} else {
			if (n == max)
				return -E2BIG;
			segs[n++] = (struct vq_seg){ p, take };
		}
		done += take;
	}
	return (int)n;
}

/*
 * struct vq_dma.begin: the generation the next chain is translated in.
 * A thread that held nothing announces it before using anything, then
 * checks the epoch did not move meanwhile: the iommu moves it, then reads
 * held, so either it sees our announcement or we see its new epoch.
 */
static uint64_t view_begin(void *ctx)
{
	struct viommu_dma_view *v = ctx;
	uint64_t e = atomic_load(&v->owner->epoch), seen;

	if (atomic_load_explicit(&v->held, memory_order_relaxed) ==
	    UINT64_MAX) {
		do {
			seen = e;
			atomic_store(&v->held, seen);
			e = atomic_load(&v->owner->epoch);
		} while (e != seen);
	}
	if (e != v->cache_epoch) {
		memset(v->cache, 0, sizeof(v->cache));
		v->cache_epoch = e;
	}
	return e;
}

/* struct vq_dma.release: what the thread still holds. */
static void view_release(void *ctx, uint64_t oldest)
{
	struct viommu_dma_view *v = ctx;

	if (atomic_load_explicit(&v->held, memory_order_relaxed) == oldest)
		return;
	atomic_store(&v->held, oldest);
	if (atomic_load(&v->owner->waiting))
		poke(v->owner->wake_fd);
}

int viommu_dma_init(struct viommu_dma *x, struct viommu_core *core,
		    const struct gmem *mem, const uint32_t *ids, unsigned int n,
		    int wake_fd, int fault_fd)
{
	memset(x, 0, sizeof(*x));
	x->views = calloc(n ? n : 1, sizeof(*x->views));
	if (!x->views)
		return -ENOMEM;
	if (pthread_rwlock_init(&x->lock, NULL)) {
		free(x->views);
		return -ENOMEM;
	}
	pthread_mutex_init(&x->fault_lock, NULL);
	x->core = core;
	x->mem = mem;
	x->revocations = viommu_revocations(core);
	atomic_init(&x->epoch, 1);
	atomic_init(&x->waiting, false);
	x->wake_fd = wake_fd;
	x->fault_fd = fault_fd;
	x->nr_views = n;
	for (unsigned int i = 0; i < n; i++) {
		struct viommu_dma_view *v = &x->views[i];

		v->dma = (struct vq_dma){
			.translate = view_translate,
			.begin = view_begin,
			.release = view_release,
			.waiting = &x->waiting,
			.epoch = &x->epoch,
			.ctx = v,
		};
		v->owner = x;
		v->endpoint = ids[i];
		v->device_fd = -1;
		v->revocations = viommu_ep_revocations(core, ids[i]);
		atomic_init(&v->held, UINT64_MAX);
	}
	return 0;
}

void viommu_dma_fini(struct viommu_dma *x)
{
	if (!x->views)
		return;
	pthread_rwlock_destroy(&x->lock);
	pthread_mutex_destroy(&x->fault_lock);
	free(x->views);
	x->views = NULL;
}

const struct vq_dma *viommu_dma_view(struct viommu_dma *x, uint32_t id,
				     int device_fd)
{
	for (unsigned int i = 0; i < x->nr_views; i++) {
		if (x->views[i].endpoint == id) {
			x->views[i].device_fd = device_fd;
			return &x->views[i].dma;
		}
	}
	return NULL;
}

void viommu_dma_lock(struct viommu_dma *x)
{
	pthread_rwlock_wrlock(&x->lock);
}

uint64_t viommu_dma_unlock(struct viommu_dma *x)
{
	uint64_t r = viommu_revocations(x->core), e = 0;

	if (r != x->revocations) {
		x->revocations = r;
		e = atomic_fetch_add(&x->epoch, 1) + 1;
		/* Whose access went: only their threads are waited for. */
		for (unsigned int i = 0; i < x->nr_views; i++) {
			struct viommu_dma_view *v = &x->views[i];

			r = viommu_ep_revocations(x->core, v->endpoint);
			if (r != v->revocations) {
				v->revocations = r;
				v->must_reach = e;
			}
		}
	}
	pthread_rwlock_unlock(&x->lock);
	return e;
}

bool viommu_dma_drained(struct viommu_dma *x, uint64_t epoch)
{
	bool drained = true;

	atomic_store(&x->waiting, true);
	for (unsigned int i = 0; i < x->nr_views; i++) {
		struct viommu_dma_view *v = &x->views[i];

		if (v->must_reach != epoch || atomic_load(&v->held) >= epoch)
			continue;
		drained = false;
		if (v->device_fd >= 0 && v->poked < epoch) {
			v->poked = epoch;
			poke(v->device_fd);
		}
	}
	if (drained)
		atomic_store(&x->waiting, false);
	return drained;
}

bool viommu_dma_peek_fault(struct viommu_dma *x, struct virtio_iommu_fault *f)
{
	bool any;

	pthread_mutex_lock(&x->fault_lock);
	any = x->nr_faults > 0;
	if (any)
		*f = x->faults[0];
	pthread_mutex_unlock(&x->fault_lock);
	return any;
}

void viommu_dma_reset(struct viommu_dma *x)
{
	atomic_store(&x->waiting, false);
	pthread_mutex_lock(&x->fault_lock);
	x->nr_faults = 0;
	pthread_mutex_unlock(&x->fault_lock);
}

void viommu_dma_consume_fault(struct viommu_dma *x)
{
	pthread_mutex_lock(&x->fault_lock);
	if (x->nr_faults) {
		x->nr_faults--;
		memmove(x->faults, x->faults + 1,
			x->nr_faults * sizeof(x->faults[0]));
	}
	pthread_mutex_unlock(&x->fault_lock);
}
