/* SPDX-License-Identifier: Apache-2.0 */
/* devices/iommu/viommu_dma.h: DMA of emulated devices, translated by the iommu. */
#ifndef IGNIS_VIOMMU_DMA_H
#define IGNIS_VIOMMU_DMA_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "devices/iommu/viommu_core.h"
#include "devices/virtio/queue.h"
#include "vmm/gmem.h"

/*
 * An emulated device behind the iommu (VIRTIO_F_ACCESS_PLATFORM) reaches
 * guest RAM through a view: a struct vq_dma its queues translate with, on
 * the device's own thread, while the iommu's thread changes the core.
 *
 * The rules, and who keeps them:
 *  - The core changes only under the write lock (the iommu thread, or
 *    the transport's thread while the iommu's worker is stopped); a view
 *    reads it under the read lock, on a miss of its small cache.
 *  - Translations belong to a generation (epoch). Whenever the core took
 *    access away (viommu_revocations() moved), the writer moves the epoch
 *    on before it unlocks. A view drops its cache when the epoch moved.
 *  - Each view publishes (held) the oldest epoch its thread's chains in
 *    flight were translated in, UINT64_MAX when it holds none. The
 *    iommu answers a request that took access away (an UNMAP, say) only
 *    once the views of the endpoints it took access from (those in the
 *    domain, for an UNMAP) hold nothing older than the epoch that
 *    request began (viommu_dma_drained()): by then no chain translated
 *    before it is still being served, so the guest never sees a mapping
 *    used after its UNMAP completed (the concurrency rule). The iommu thread
 *    stores (waiting) then reads held; a view stores held then reads
 *    waiting: one of the two sees the other, so no wake-up is lost.
 *  - A translation that fails fails its request and leaves a fault
 *    record; the iommu thread writes records into the event queue
 *    (5.13.6.9). Records wait there for buffers, up to a bound.
 * None of this guards the host: every translation points into guest RAM
 * (gmem regions), whatever the order of events.
 */

#define VIOMMU_DMA_CACHE	8	/* translations a view keeps */
#define VIOMMU_DMA_FAULTS	64	/* fault records waiting for eventq */

/* One cached translation: IOVAs [iova, last] at host (host) on. */
struct viommu_dma_hit {
	uint64_t iova;
	uint64_t last;
	uint8_t *host;
	uint32_t perm;		/* VIRTIO_IOMMU_MAP_F_READ / _WRITE; 0: empty */
};

struct viommu_dma;

/* One endpoint's view: given to its device, used on the device's thread. */
struct viommu_dma_view {
	struct vq_dma dma;		/* what its queues call; ctx = this */
	struct viommu_dma *owner;
	uint32_t endpoint;
	_Atomic uint64_t held;		/* oldest epoch still in use */
	int device_fd;			/* wakes the device's thread, or -1 */
	/* The iommu thread's own: */
	uint64_t revocations;		/* the endpoint's, at the last unlock */
	uint64_t must_reach;		/* epoch its access last went at */
	uint64_t poked;			/* epoch last woken for */
	/* The device thread's own: */
	uint64_t cache_epoch;		/* the cache's generation */
	unsigned int cache_next;	/* round-robin victim */
	struct viommu_dma_hit cache[VIOMMU_DMA_CACHE];
};

/* What device threads share with the iommu's thread. */
struct viommu_dma {
	pthread_rwlock_t lock;		/* over (core) */
	struct viommu_core *core;	/* not owned */
	const struct gmem *mem;		/* guest RAM, not owned */
	uint64_t revocations;		/* the core's count at the last unlock */
	_Atomic uint64_t epoch;		/* current generation, from 1 */
	_Atomic bool waiting;		/* the iommu waits for views */
	int wake_fd;			/* wakes the iommu thread (not owned) */
	int fault_fd;			/* tells it of faults (not owned) */
	pthread_mutex_t fault_lock;	/* over the records below */
	unsigned int nr_faults;		/* records waiting */
	struct virtio_iommu_fault faults[VIOMMU_DMA_FAULTS];	/* host order */
	unsigned int nr_views;
	struct viommu_dma_view *views;	/* one per endpoint id in ids[] */
};

/*
 * Sets up (x) over (core) and guest RAM (mem), with a view for each of
 * the (n) endpoint ids (ids); eventfds (wake_fd) and (fault_fd) wake the
 * iommu's worker for drained views and for fault records. 0 or -errno.
 */
int viommu_dma_init(struct viommu_dma *x, struct viommu_core *core,
		    const struct gmem *mem, const uint32_t *ids, unsigned int n,
		    int wake_fd, int fault_fd);
void viommu_dma_fini(struct viommu_dma *x);

/*
 * The view of endpoint (id), or NULL. (device_fd), if >= 0, is an
 * eventfd that wakes the thread of the device using it (one of its queue
 * kick eventfds: a spurious kick is harmless): the iommu writes it when
 * it starts waiting for that thread, which may be asleep holding chains
 * (virtio-net's receive buffers) and must look again. Main thread.
 */
const struct vq_dma *viommu_dma_view(struct viommu_dma *x, uint32_t id,
				     int device_fd);

/*
 * Around every change of the core: takes the write lock; the unlock
 * moves the epoch on if the core took access away meanwhile and returns
 * the epoch every view must reach before the change may be answered (0:
 * nothing to wait for).
 */
void viommu_dma_lock(struct viommu_dma *x);
uint64_t viommu_dma_unlock(struct viommu_dma *x);

/* Whether every view holds nothing older than (epoch). While not, the
 * views wake the iommu (wake_fd) as they move on, and each view behind
 * is woken once per epoch (its device_fd). Iommu thread. */
bool viommu_dma_drained(struct viommu_dma *x, uint64_t epoch);

/* The oldest fault record into (f), false if none; viommu_dma_consume()
 * then drops it once reported. Iommu thread. */
bool viommu_dma_peek_fault(struct viommu_dma *x, struct virtio_iommu_fault *f);
void viommu_dma_consume_fault(struct viommu_dma *x);
/* At the iommu's reset, its worker stopped: nothing waits any more, and
 * the fault records go, as they name domains the next driver never made
 * (5.13.5: after a reset no endpoint is attached). */
void viommu_dma_reset(struct viommu_dma *x);

#endif
