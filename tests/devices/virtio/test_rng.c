// SPDX-License-Identifier: Apache-2.0
/* tests/devices/virtio/test_rng.c: virtio entropy device on its worker. */
#include <criterion/criterion.h>
#include <errno.h>
#include <liburing.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "devices/virtio/queue.h"
#include "devices/virtio/rng.h"
#include "support/mock_vq.h"
#include "support/vdev_harness.h"
#include "support/need_io_uring.h"

#define RAM_SIZE (1024 * 1024) /* guest RAM of the tests */
#define QSIZE 256 /* requestq entries */
#define RING_BASE 0x1000 /* where the rings lie */
#define BUF_BASE 0x10000 /* first guest buffer */

static struct vh h;
static struct vdev *dev;

static void setup(void)
{
	need_io_uring();
	vh_init(&h, RAM_SIZE, 1);
	cr_assert_eq(rng_create(&h.mem, h.kick, &dev), 0);
	vh_attach(&h, dev);
}

static void teardown(void)
{
	rng_destroy(dev);
	dev = NULL;
	vh_fini(&h);
}

/* What the transport does at DRIVER_OK: a fresh ring, then activate. */
static void activate(void)
{
	cr_assert_eq(vh_activate(&h, 0, QSIZE, RING_BASE), 0);
}

static bool all_zero(uint64_t addr, uint32_t len)
{
	const unsigned char *p = vh_ptr(&h, addr, len);

	for (uint32_t i = 0; i < len; i++)
		if (p[i])
			return false;
	return true;
}

TestSuite(rng, .init = setup, .fini = teardown, .timeout = 30);

Test(rng, ops_table)
{
	const struct vdev_ops *o = dev->ops;

	cr_assert_str_eq(o->name, "rng");
	cr_assert_eq(o->device_id, 4);
	cr_assert_eq(o->nr_queues, 1);
	cr_assert_eq(o->max_queue_size, 256);
	cr_assert_eq(o->features, (1ull << 28) | (1ull << 29));
	cr_assert_eq(o->config_size, 0);
	cr_assert_not_null(o->activate);
	cr_assert_not_null(o->reset);
}

Test(rng, create_rejects_bad_args)
{
	struct vdev *d = NULL;
	int bad = -1;

	cr_assert_eq(rng_create(NULL, h.kick, &d), -EINVAL);
	cr_assert_eq(rng_create(&h.mem, NULL, &d), -EINVAL);
	cr_assert_eq(rng_create(&h.mem, &bad, &d), -EINVAL);
	cr_assert_eq(rng_create(&h.mem, h.kick, NULL), -EINVAL);
	rng_destroy(NULL);
}

Test(rng, fills_writable_buffer)
{
	const struct mock_buf b = { BUF_BASE, 512, VQ_DESC_F_WRITE };

	activate();
	mock_vq_add_chain(&h.mq[0], 0, &b, 1);
	vh_kick(&h, 0);
	vh_wait_used(&h, 0, 1);
	vh_check_used(&h, 0, 0, 0, 512);
	cr_assert_not(all_zero(BUF_BASE, 512));
	vh_wait_count(&vh_irq_used, 1);
	cr_assert_eq(atomic_load(&vh_irq_config), 0);
	cr_assert(vh_has_thread("virtio-rng"), "the worker names its device");
}

/*
 * The worker thread and its ring exist from creation, idle: a stray kick
 * before DRIVER_OK is no request. The thread outlives a reset, serves the
 * next activation, and goes with the device.
 */
Test(rng, worker_lives_from_create_to_destroy)
{
	const struct mock_buf b = { BUF_BASE, 64, VQ_DESC_F_WRITE };

	vh_wait_thread("virtio-rng", true);
	vh_kick(&h, 0);
	for (unsigned int round = 0; round < 2; round++) {
		activate();
		mock_vq_add_chain(&h.mq[0], 0, &b, 1);
		vh_kick(&h, 0);
		vh_wait_used(&h, 0, 1);
		vh_check_used(&h, 0, 0, 0, 64);
		dev->ops->reset(dev);
		cr_assert(vh_has_thread("virtio-rng"), "idle after a reset");
	}
	rng_destroy(dev);
	dev = NULL;
	vh_wait_thread("virtio-rng", false);
}

Test(rng, skips_readable_fills_every_writable)
{
	const struct mock_buf b[] = {
		{ BUF_BASE, 64, 0 },
		{ BUF_BASE + 0x1000, 100, VQ_DESC_F_WRITE },
		{ BUF_BASE + 0x2000, 200, VQ_DESC_F_WRITE },
	};

	activate();
	mock_vq_add_chain(&h.mq[0], 0, b, 3);
	vh_kick(&h, 0);
	vh_wait_used(&h, 0, 1);
	vh_check_used(&h, 0, 0, 0, 300);
	cr_assert(all_zero(BUF_BASE, 64), "readable buffer untouched");
	cr_assert_not(all_zero(BUF_BASE + 0x1000, 100));
	cr_assert_not(all_zero(BUF_BASE + 0x2000, 200));
}

Test(rng, caps_bytes_per_chain)
{
	const uint32_t big = 2 * RNG_MAX_CHAIN_BYTES;
	const struct mock_buf b = { BUF_BASE, big, VQ_DESC_F_WRITE };

	activate();
	mock_vq_add_chain(&h.mq[0], 0, &b, 1);
	vh_kick(&h, 0);
	vh_wait_used(&h, 0, 1);
	vh_check_used(&h, 0, 0, 0, RNG_MAX_CHAIN_BYTES);
	cr_assert(all_zero(BUF_BASE + RNG_MAX_CHAIN_BYTES,
			   big - RNG_MAX_CHAIN_BYTES),
		  "past the cap untouched");
}

Test(rng, more_chains_than_budget_all_answered)
{
	const unsigned int n = 3 * RNG_BUDGET + 5;

	cr_assert_leq(n, QSIZE);
	activate();
	for (unsigned int i = 0; i < n; i++) {
		const struct mock_buf b = { BUF_BASE + 64 * i, 16,
					    VQ_DESC_F_WRITE };

		mock_vq_add_chain(&h.mq[0], (uint16_t)i, &b, 1);
	}
	vh_kick(&h, 0); /* one kick: the budget must not strand the rest */
	vh_wait_used(&h, 0, (uint16_t)n);
	for (unsigned int i = 0; i < n; i++)
		vh_check_used(&h, 0, (uint16_t)i, i, 16);
	vh_wait_count(&vh_irq_used, 1);
}

Test(rng, no_interrupt_flag_respected)
{
	const struct mock_buf b = { BUF_BASE, 32, VQ_DESC_F_WRITE };

	activate();
	mock_vq_set_avail_flags(&h.mq[0], VQ_AVAIL_F_NO_INTERRUPT);
	mock_vq_add_chain(&h.mq[0], 0, &b, 1);
	vh_kick(&h, 0);
	vh_wait_used(&h, 0, 1);
	cr_assert_eq(atomic_load(&vh_irq_used), 0);
}

Test(rng, broken_ring_needs_reset)
{
	const struct mock_buf b = { BUF_BASE, 32, VQ_DESC_F_WRITE };

	activate();
	mock_vq_set_avail_idx(&h.mq[0], QSIZE + 5); /* more than the ring holds */
	vh_kick(&h, 0);
	vh_wait_count(&vh_irq_config, 1);
	cr_assert(atomic_load(&dev->needs_reset));
	cr_assert_eq(mock_vq_used_idx(&h.mq[0]), 0);
	/* Later kicks are ignored, and nothing crashes. */
	mock_vq_set_avail_idx(&h.mq[0], 0);
	mock_vq_add_chain(&h.mq[0], 0, &b, 1);
	vh_kick(&h, 0);
	nanosleep(&(struct timespec){ .tv_nsec = 50000000 }, NULL);
	cr_assert_eq(mock_vq_used_idx(&h.mq[0]), 0);
	cr_assert_eq(atomic_load(&vh_irq_config), 1, "one config irq");
}

Test(rng, reset_then_reactivate)
{
	const struct mock_buf b = { BUF_BASE, 128, VQ_DESC_F_WRITE };

	activate();
	mock_vq_set_avail_idx(&h.mq[0], QSIZE + 5);
	vh_kick(&h, 0);
	vh_wait_count(&vh_irq_config, 1);
	dev->ops->reset(dev);
	dev->ops->reset(dev); /* idempotent, as on a second status 0 */
	/* What the transport does at reset. */
	dev->status = 0;
	atomic_store(&dev->needs_reset, false);
	activate();
	mock_vq_add_chain(&h.mq[0], 0, &b, 1);
	vh_kick(&h, 0);
	vh_wait_used(&h, 0, 1);
	vh_check_used(&h, 0, 0, 0, 128);
	cr_assert_not(all_zero(BUF_BASE, 128));
	cr_assert_not(atomic_load(&dev->needs_reset));
}

Test(rng, reset_without_activate)
{
	dev->ops->reset(dev);
	activate();
}

Test(rng, activate_rejects_ring_outside_ram)
{
	dev->queues[0] = (struct vdev_queue_cfg){
		.size = QSIZE,
		.ready = true,
		.desc = gpa(RAM_SIZE),
		.avail = gpa(RAM_SIZE + 0x1000),
		.used = gpa(RAM_SIZE + 0x2000),
	};
	cr_assert_lt(dev->ops->activate(dev), 0);
	dev->ops->reset(dev);
	activate(); /* nothing left behind */
}

Test(rng, destroy_while_active)
{
	const struct mock_buf b = { BUF_BASE, 64, VQ_DESC_F_WRITE };

	activate();
	mock_vq_add_chain(&h.mq[0], 0, &b, 1);
	vh_kick(&h, 0);
	rng_destroy(dev); /* maybe mid-chain: the join waits for it */
	dev = NULL;
}

/* With VIRTIO_F_EVENT_IDX the driver's used_event decides (2.7.10). The
 * first used entry after activation always interrupts (vhost's rule: no
 * signalled index to compare with yet); then none until the used index
 * passes used_event. */
Test(rng, event_idx_used_event_respected)
{
	const struct mock_buf b = { BUF_BASE, 32, VQ_DESC_F_WRITE };

	cr_assert_eq(vh_activate(&h, 1ull << 29, QSIZE, RING_BASE), 0);
	mock_vq_add_chain(&h.mq[0], 0, &b, 1);
	vh_kick(&h, 0);
	vh_wait_used(&h, 0, 1);
	vh_wait_count(&vh_irq_used, 1);
	mock_vq_set_used_event(&h.mq[0], 2);	/* after the 3rd entry */
	mock_vq_add_chain(&h.mq[0], 1, &b, 1);
	vh_kick(&h, 0);
	vh_wait_used(&h, 0, 2);
	/* Give a wrong interrupt time to show up. */
	for (int i = 0; i < 20; i++)
		vh_nap();
	cr_assert_eq(atomic_load(&vh_irq_used), 1, "suppressed by used_event");
	mock_vq_add_chain(&h.mq[0], 2, &b, 1);
	vh_kick(&h, 0);
	vh_wait_used(&h, 0, 3);
	vh_wait_count(&vh_irq_used, 2);
	/* The device asks to be kicked for anything past what it took. */
	cr_assert_eq(mock_vq_avail_event(&h.mq[0]), 3);
}
