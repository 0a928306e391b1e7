// SPDX-License-Identifier: Apache-2.0
/* tests/devices/iommu/test_viommu_dma.c: translated DMA of emulated devices. */
#include <criterion/criterion.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "devices/iommu/viommu_dma.h"
#include "devices/iommu/viommu_priv.h"

/*
 * A core with two emulated endpoints over two RAM regions, its views,
 * and the requests driven through viommu_do_*() under the write lock as
 * the iommu thread does. The device side calls the views as the queue
 * code would (begin, translate, release).
 */
#define EP_A	0
#define EP_B	1
#define DOM	7
#define LOW	0x0ull			/* RAM region 0: 16 MiB */
#define HIGH	0x40000000ull		/* RAM region 1: 16 MiB */
#define MIB	0x100000ull
#define IOVA	0x8000000000ull		/* outside RAM */
#define RW	(VIRTIO_IOMMU_MAP_F_READ | VIRTIO_IOMMU_MAP_F_WRITE)

static struct gmem mem;
static struct viommu_core *core;
static struct viommu_dma dma;
static const struct vq_dma *va, *vb;
static int wake_fd, fault_fd, dev_fd;

static void setup(void)
{
	const struct gmem_region layout[] = {
		{ .start = { LOW }, .size = 16 * MIB },
		{ .start = { HIGH }, .size = 16 * MIB },
	};
	static const struct viommu_endpoint_config eps[] = {
		{ .id = EP_A }, { .id = EP_B },
	};
	static const struct viommu_resv msi = {
		0xfee00000ull, 0xfeefffffull, VIRTIO_IOMMU_RESV_MEM_T_MSI
	};
	const struct viommu_range ram[] = {
		{ LOW, LOW + 16 * MIB - 1 }, { HIGH, HIGH + 16 * MIB - 1 },
	};
	const struct viommu_config cfg = {
		.page_size_mask = ~0xfffull,
		.input_end = (1ull << 48) - 1,
		.domain_end = UINT32_MAX,
		.probe_size = 512,
		.max_mappings = 1024,
		.offer_bypass_config = true,
		.boot_bypass = true,
		.resv = &msi,
		.nr_resv = 1,
		.ram = ram,
		.nr_ram = 2,
		.endpoints = eps,
		.nr_endpoints = 2,
	};
	const uint32_t ids[] = { EP_A, EP_B };

	cr_assert_eq(gmem_create(&mem, layout, 2), 0);
	cr_assert_eq(viommu_create(&cfg, &core), 0);
	viommu_set_features(core, ~0ull);
	wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	fault_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	dev_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	cr_assert(wake_fd >= 0 && fault_fd >= 0 && dev_fd >= 0);
	cr_assert_eq(viommu_dma_init(&dma, core, &mem, ids, 2, wake_fd,
				     fault_fd), 0);
	va = viommu_dma_view(&dma, EP_A, dev_fd);
	vb = viommu_dma_view(&dma, EP_B, -1);
	cr_assert(va && vb);
	cr_assert_null(viommu_dma_view(&dma, 9, -1));
}

static void teardown(void)
{
	viommu_dma_fini(&dma);
	viommu_destroy(core);
	gmem_destroy(&mem);
	close(wake_fd);
	close(fault_fd);
	close(dev_fd);
}

TestSuite(viommu_dma, .init = setup, .fini = teardown);

/* A request on the iommu thread: the core changes under the write lock;
 * returns the epoch the views must reach before it may be answered. */
static uint64_t attach(uint32_t ep)
{
	viommu_dma_lock(&dma);
	cr_assert_eq(viommu_do_attach(core, DOM, ep, 0), VIRTIO_IOMMU_S_OK);
	return viommu_dma_unlock(&dma);
}

static uint64_t map(uint64_t iova, uint64_t size, uint64_t gpa,
		    uint32_t flags)
{
	viommu_dma_lock(&dma);
	cr_assert_eq(viommu_do_map(core, DOM, iova, iova + size - 1, gpa,
				   flags), VIRTIO_IOMMU_S_OK);
	return viommu_dma_unlock(&dma);
}

static uint64_t unmap(uint64_t iova, uint64_t size)
{
	viommu_dma_lock(&dma);
	cr_assert_eq(viommu_do_unmap(core, DOM, iova, iova + size - 1),
		     VIRTIO_IOMMU_S_OK);
	return viommu_dma_unlock(&dma);
}

static int xlate(const struct vq_dma *v, uint64_t iova, uint64_t len,
		 bool write, struct vq_seg *segs, unsigned int max)
{
	return v->translate(v->ctx, iova, len, write, segs, max);
}

static bool readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	uint64_t v;

	if (poll(&p, 1, 0) != 1)
		return false;
	return read(fd, &v, sizeof(v)) == sizeof(v);
}

/* Boot bypass: identity onto RAM, each region on its own; not RAM (the
 * MSI window, a hole) fails. */
Test(viommu_dma, boot_bypass_is_identity_onto_ram_only)
{
	struct vq_seg s[4];

	va->begin(va->ctx);
	cr_assert_eq(xlate(va, 0x1000, 64, true, s, 4), 1);
	cr_assert_eq(s[0].addr, gmem_ptr(&mem, gpa(0x1000), 1));
	cr_assert_eq(s[0].len, 64);
	cr_assert_eq(xlate(va, 0xfee00000ull, 4, true, s, 4), -EFAULT);
	cr_assert_eq(xlate(va, 16 * MIB, 4, false, s, 4), -EFAULT, "a hole");
}

/* Attached: only mappings translate, with their permissions; a buffer
 * over two mappings apart in RAM is two segments, one over adjacent
 * ones is one; too few segments is -E2BIG. */
Test(viommu_dma, mappings_translate_with_permissions)
{
	struct vq_seg s[4];

	cr_assert_neq(attach(EP_A), 0, "attaching takes bypass away");
	map(IOVA, 0x1000, HIGH + 0x5000, RW);
	map(IOVA + 0x1000, 0x1000, LOW + 0x3000, RW);
	map(IOVA + 0x2000, 0x1000, LOW + 0x4000, RW);
	map(IOVA + 0x3000, 0x1000, LOW + 0x9000, VIRTIO_IOMMU_MAP_F_READ);
	va->begin(va->ctx);
	cr_assert_eq(xlate(va, 0x1000, 8, false, s, 4), -EFAULT,
		     "no identity once attached");
	cr_assert_eq(xlate(va, IOVA + 0xf00, 0x2000, true, s, 4), 2);
	cr_assert_eq(s[0].addr, gmem_ptr(&mem, gpa(HIGH + 0x5f00), 1));
	cr_assert_eq(s[0].len, 0x100);
	cr_assert_eq(s[1].addr, gmem_ptr(&mem, gpa(LOW + 0x3000), 1));
	cr_assert_eq(s[1].len, 0x1f00, "two adjacent pages, one segment");
	cr_assert_eq(xlate(va, IOVA + 0xf00, 0x2000, true, s, 1), -E2BIG);
	cr_assert_eq(xlate(va, IOVA + 0x3000, 16, false, s, 4), 1);
	cr_assert_eq(xlate(va, IOVA + 0x3000, 16, true, s, 4), -EFAULT,
		     "read-only mapping");
	/* Endpoint B is not attached: it still bypasses. */
	vb->begin(vb->ctx);
	cr_assert_eq(xlate(vb, 0x2000, 8, false, s, 4), 1);
}

/* A failed translation leaves a fault record (5.13.6.9) for the eventq
 * and wakes the iommu thread; records wait in order. */
Test(viommu_dma, faults_are_recorded_in_order)
{
	struct virtio_iommu_fault f;
	struct vq_seg s[1];

	attach(EP_A);
	map(IOVA, 0x1000, LOW, VIRTIO_IOMMU_MAP_F_READ);
	va->begin(va->ctx);
	cr_assert_not(viommu_dma_peek_fault(&dma, &f));
	cr_assert_eq(xlate(va, IOVA + 0x10, 4, true, s, 1), -EFAULT);
	cr_assert_eq(xlate(va, IOVA + 0x2000, 4, false, s, 1), -EFAULT);
	cr_assert(readable(fault_fd));
	cr_assert(viommu_dma_peek_fault(&dma, &f));
	cr_assert_eq(f.reason, VIRTIO_IOMMU_FAULT_R_MAPPING);
	cr_assert_eq(f.flags, VIRTIO_IOMMU_FAULT_F_WRITE |
				      VIRTIO_IOMMU_FAULT_F_ADDRESS);
	cr_assert_eq(f.endpoint, EP_A);
	cr_assert_eq(f.address, IOVA + 0x10);
	viommu_dma_consume_fault(&dma);
	cr_assert(viommu_dma_peek_fault(&dma, &f));
	cr_assert_eq(f.flags, VIRTIO_IOMMU_FAULT_F_READ |
				      VIRTIO_IOMMU_FAULT_F_ADDRESS);
	cr_assert_eq(f.address, IOVA + 0x2000);
	viommu_dma_consume_fault(&dma);
	cr_assert_not(viommu_dma_peek_fault(&dma, &f));
}

/* A reset drops the records (they name the old driver's domains) and
 * stops waiting. */
Test(viommu_dma, reset_drops_records_and_stops_waiting)
{
	struct virtio_iommu_fault f;
	struct vq_seg s[1];

	attach(EP_A);
	map(IOVA, 0x1000, LOW, RW);
	va->begin(va->ctx);
	cr_assert_eq(xlate(va, IOVA + 0x1000, 4, false, s, 1), -EFAULT);
	cr_assert_not(viommu_dma_drained(&dma, unmap(IOVA, 0x1000)));
	viommu_dma_reset(&dma);
	cr_assert_not(viommu_dma_peek_fault(&dma, &f));
	cr_assert_not(atomic_load(&dma.waiting));
}

/* The record list is bounded: a flood of faults costs no memory. */
Test(viommu_dma, fault_records_are_bounded)
{
	struct vq_seg s[1];

	attach(EP_A);
	va->begin(va->ctx);
	for (int i = 0; i < 3 * VIOMMU_DMA_FAULTS; i++)
		cr_assert_eq(xlate(va, IOVA, 4, false, s, 1), -EFAULT);
	cr_assert_eq(dma.nr_faults, VIOMMU_DMA_FAULTS);
	cr_assert_eq(atomic_load(&viommu_core_metrics(core)->faults_dropped.count),
		     2 * VIOMMU_DMA_FAULTS);
	cr_assert_eq(atomic_load(&viommu_core_metrics(core)->fault_count.count),
		     3 * VIOMMU_DMA_FAULTS);
}

/* The cache never outlives an UNMAP: once the epoch moved, the next
 * chain sees the mapping gone. A MAP takes nothing away: no new epoch. */
Test(viommu_dma, unmap_invalidates_cached_translations)
{
	struct vq_seg s[1];

	attach(EP_A);
	cr_assert_eq(map(IOVA, 0x1000, LOW + 0x2000, RW), 0);
	va->begin(va->ctx);
	cr_assert_eq(xlate(va, IOVA, 8, false, s, 1), 1);
	cr_assert_eq(xlate(va, IOVA + 8, 8, false, s, 1), 1, "a hit");
	cr_assert_gt(unmap(IOVA, 0x1000), 0);
	cr_assert_eq(unmap(IOVA, 0x1000), 0, "nothing removed");
	va->begin(va->ctx);
	cr_assert_eq(xlate(va, IOVA, 8, false, s, 1), -EFAULT);
}

/*
 * The concurrency rule: an UNMAP is answered only once no device thread
 * holds a chain translated before it. The views are told what their
 * threads hold (release); the iommu is woken when they move on.
 */
Test(viommu_dma, unmap_waits_for_chains_in_flight)
{
	uint64_t e, held;
	struct vq_seg s[1];

	attach(EP_A);
	map(IOVA, 0x1000, LOW + 0x2000, RW);
	held = va->begin(va->ctx);	/* a chain popped on A's thread */
	cr_assert_eq(xlate(va, IOVA, 8, true, s, 1), 1);
	e = unmap(IOVA, 0x1000);
	cr_assert_gt(e, held);
	cr_assert_not(viommu_dma_drained(&dma, e), "A still uses it");
	cr_assert(atomic_load(&dma.waiting));
	/* A's thread may sleep holding the chain (a receive buffer): it is
	 * woken, once for this epoch however often the iommu looks. */
	cr_assert(readable(dev_fd));
	cr_assert_not(viommu_dma_drained(&dma, e));
	cr_assert_not(readable(dev_fd));
	/* A's thread ends a pass, the chain still in flight. */
	va->release(va->ctx, held);
	cr_assert_not(viommu_dma_drained(&dma, e));
	/* The chain is used: A holds nothing and wakes the iommu. */
	va->release(va->ctx, UINT64_MAX);
	cr_assert(readable(wake_fd));
	cr_assert(viommu_dma_drained(&dma, e));
	cr_assert_not(atomic_load(&dma.waiting));
	/* B never held anything: nothing to wait for. */
}

/* An UNMAP waits only for the endpoints of its domain: B's thread,
 * holding a chain in another domain, does not hold A's UNMAP up; a
 * DETACH of B waits for B alone. */
Test(viommu_dma, unmap_waits_only_for_its_domain)
{
	uint64_t e;

	attach(EP_A);
	map(IOVA, 0x1000, LOW, RW);
	viommu_dma_lock(&dma);
	cr_assert_eq(viommu_do_attach(core, DOM + 1, EP_B, 0),
		     VIRTIO_IOMMU_S_OK);
	viommu_dma_unlock(&dma);
	vb->begin(vb->ctx);	/* B holds a chain */
	e = unmap(IOVA, 0x1000);
	cr_assert_gt(e, 0);
	cr_assert(viommu_dma_drained(&dma, e), "B is in another domain");
	viommu_dma_lock(&dma);
	cr_assert_eq(viommu_do_detach(core, DOM + 1, EP_B), VIRTIO_IOMMU_S_OK);
	e = viommu_dma_unlock(&dma);
	cr_assert_not(viommu_dma_drained(&dma, e), "B's own DETACH");
	vb->release(vb->ctx, UINT64_MAX);
	cr_assert(viommu_dma_drained(&dma, e));
}

/* Bypass switched off takes access from the unattached endpoints only;
 * a reset from every one. */
Test(viommu_dma, bypass_off_and_reset_wait_for_whom_they_concern)
{
	uint64_t e;

	attach(EP_A);
	va->begin(va->ctx);	/* both hold a chain */
	vb->begin(vb->ctx);
	viommu_dma_lock(&dma);
	cr_assert_eq(viommu_write_bypass(core, 0), 0);
	e = viommu_dma_unlock(&dma);
	cr_assert_gt(e, 0);
	cr_assert_not(viommu_dma_drained(&dma, e), "B bypassed");
	vb->release(vb->ctx, UINT64_MAX);
	cr_assert(viommu_dma_drained(&dma, e), "A is attached: unaffected");
	vb->begin(vb->ctx);
	viommu_dma_lock(&dma);
	cr_assert_eq(viommu_reset(core), 0);
	e = viommu_dma_unlock(&dma);
	cr_assert_not(viommu_dma_drained(&dma, e));
	va->release(va->ctx, UINT64_MAX);
	cr_assert_not(viommu_dma_drained(&dma, e), "B too");
	vb->release(vb->ctx, UINT64_MAX);
	cr_assert(viommu_dma_drained(&dma, e));
}

/* A chain popped after the UNMAP belongs to the new epoch: it does not
 * hold the UNMAP up. */
Test(viommu_dma, chains_after_the_unmap_do_not_hold_it)
{
	uint64_t e;

	attach(EP_A);
	map(IOVA, 0x1000, LOW, RW);
	va->begin(va->ctx);
	e = unmap(IOVA, 0x1000);
	cr_assert_not(viommu_dma_drained(&dma, e));
	va->release(va->ctx, va->begin(va->ctx));
	cr_assert(viommu_dma_drained(&dma, e));
}

/*
 * Threads: a device thread translates and uses IOVA while the iommu
 * thread unmaps it and maps it again, each time onto a fresh RAM page.
 * Once an UNMAP drained, its page is retired; the device thread, between
 * translating and letting go (where a device reads or writes the
 * buffer), must never find itself on a retired page.
 */
#define ROUNDS	2000

static _Atomic bool retired[ROUNDS];

struct dev_thread {
	_Atomic bool stop;
	_Atomic unsigned long uses, violations;
};

static void *device_loop(void *arg)
{
	struct dev_thread *t = arg;
	uint8_t *base = gmem_ptr(&mem, gpa(LOW), 1);
	struct vq_seg s[1];

	while (!atomic_load(&t->stop)) {
		va->begin(va->ctx);
		if (xlate(va, IOVA, 8, true, s, 1) == 1) {
			size_t page = ((uint8_t *)s[0].addr - base) / 0x1000;

			if (page < ROUNDS && atomic_load(&retired[page]))
				atomic_fetch_add(&t->violations, 1);
			atomic_fetch_add(&t->uses, 1);
		}
		va->release(va->ctx, UINT64_MAX);
	}
	return NULL;
}

Test(viommu_dma, no_use_of_a_page_after_its_unmap_drained)
{
	struct dev_thread t = { 0 };
	pthread_t th;

	attach(EP_A);
	map(IOVA, 0x1000, LOW, RW);
	cr_assert_eq(pthread_create(&th, NULL, device_loop, &t), 0);
	for (unsigned int i = 1; i < ROUNDS; i++) {
		unsigned long seen = atomic_load(&t.uses);
		uint64_t e;

		/* Let the device use the mapping at least once. */
		while (atomic_load(&t.uses) == seen)
			sched_yield();
		e = unmap(IOVA, 0x1000);

		while (!viommu_dma_drained(&dma, e))
			sched_yield();
		atomic_store(&retired[i - 1], true);
		map(IOVA, 0x1000, LOW + i * 0x1000ull, RW);
	}
	atomic_store(&t.stop, true);
	pthread_join(th, NULL);
	cr_assert_gt(atomic_load(&t.uses), 0);
	cr_assert_eq(atomic_load(&t.violations), 0);
}
