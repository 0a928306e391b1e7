// SPDX-License-Identifier: Apache-2.0
/* tests/devices/virtio/test_mmio.c: the virtio-mmio registers and status machine. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "devices/virtio/mmio.h"

#define MAGIC		0x000
#define VERSION		0x004
#define DEVICE_ID	0x008
#define VENDOR_ID	0x00c
#define DEV_FEAT	0x010
#define DEV_FEAT_SEL	0x014
#define DRV_FEAT	0x020
#define DRV_FEAT_SEL	0x024
#define QUEUE_SEL	0x030
#define QUEUE_NUM_MAX	0x034
#define QUEUE_NUM	0x038
#define QUEUE_READY	0x044
#define QUEUE_NOTIFY	0x050
#define INT_STATUS	0x060
#define INT_ACK		0x064
#define STATUS		0x070
#define DESC_LO		0x080
#define DESC_HI		0x084
#define DRIVER_LO	0x090
#define DRIVER_HI	0x094
#define DEVICE_LO	0x0a0
#define DEVICE_HI	0x0a4
#define SHM_SEL		0x0ac
#define SHM_LEN_LO	0x0b0
#define SHM_LEN_HI	0x0b4
#define CONFIG_GEN	0x0fc
#define CONFIG		0x100

#define ACK		VDEV_S_ACKNOWLEDGE
#define DRV		(ACK | VDEV_S_DRIVER)
#define FOK		(DRV | VDEV_S_FEATURES_OK)
#define DOK		(FOK | VDEV_S_DRIVER_OK)

#define FAKE_ID		42
#define FAKE_QMAX	256
#define FAKE_CFG_SIZE	8
#define FAKE_FEATURES	((1ULL << 0) | (1ULL << 35))
#define MAX_CALLS	16

/* The fake device and what the transport did to it. */
static struct vdev dev;
static struct vmmio *m;
static uint8_t cfg[FAKE_CFG_SIZE];
static unsigned int nr_activate, nr_reset, nr_irqs;
static int activate_ret;
static struct vdev_queue_cfg seen[2];	/* queues as activate() saw them */
static uint64_t seen_features;
static unsigned int notified[MAX_CALLS], nr_notified;
static uint32_t irq_bits;

static int fake_config_rw(struct vdev *d, uint32_t off, void *buf,
			  uint32_t len, bool write)
{
	cr_assert_eq(d, &dev);
	cr_assert_leq(off + len, sizeof(cfg));
	if (write)
		memcpy(cfg + off, buf, len);
	else
		memcpy(buf, cfg + off, len);
	return 0;
}

static int fake_activate(struct vdev *d)
{
	nr_activate++;
	memcpy(seen, d->queues, sizeof(seen));
	seen_features = d->features;
	return activate_ret;
}

static void fake_reset(struct vdev *d)
{
	nr_reset++;
}

static const struct vdev_ops fake_ops = {
	.name = "fake",
	.device_id = FAKE_ID,
	.nr_queues = 2,
	.max_queue_size = FAKE_QMAX,
	.features = FAKE_FEATURES,
	.config_size = FAKE_CFG_SIZE,
	.config_rw = fake_config_rw,
	.activate = fake_activate,
	.reset = fake_reset,
};

static void record_notify(void *ctx, struct vdev *d, unsigned int queue)
{
	cr_assert_eq(ctx, &dev);
	cr_assert_eq(d, &dev);
	cr_assert_lt(nr_notified, MAX_CALLS);
	notified[nr_notified++] = queue;
}

static void record_irq(void *ctx, uint32_t bits)
{
	nr_irqs++;
	irq_bits |= bits;
}

static const struct vmmio_hooks hooks = {
	.on_notify = record_notify,
	.irq = record_irq,
};

static void setup(void)
{
	memset(&dev, 0, sizeof(dev));
	dev.ops = &fake_ops;
	for (unsigned int i = 0; i < sizeof(cfg); i++)
		cfg[i] = (uint8_t)(0x10 + i);
	cr_assert_eq(vmmio_create(&dev, &hooks, &dev, &m), 0);
}

static void teardown(void)
{
	vmmio_destroy(m);
}

TestSuite(vmmio, .init = setup, .fini = teardown);

static void wr(uint64_t off, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16),
			 (uint8_t)(v >> 24) };

	vmmio_access(m, off, b, 4, true);
}

static uint32_t rd(uint64_t off)
{
	uint8_t b[4] = { 0xaa, 0xaa, 0xaa, 0xaa };

	vmmio_access(m, off, b, 4, false);
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
	       (uint32_t)b[3] << 24;
}

static void accept_features(uint64_t f)
{
	wr(DRV_FEAT_SEL, 0);
	wr(DRV_FEAT, (uint32_t)f);
	wr(DRV_FEAT_SEL, 1);
	wr(DRV_FEAT, (uint32_t)(f >> 32));
}

/* Up to FEATURES_OK with VERSION_1 and bit 0. */
static void to_features_ok(void)
{
	wr(STATUS, ACK);
	wr(STATUS, DRV);
	accept_features((1ULL << VDEV_F_VERSION_1) | 1);
	wr(STATUS, FOK);
	cr_assert_eq(rd(STATUS), FOK);
}

static void setup_queue(uint32_t q, uint32_t num, uint64_t base)
{
	wr(QUEUE_SEL, q);
	wr(QUEUE_NUM, num);
	wr(DESC_LO, (uint32_t)base);
	wr(DESC_HI, (uint32_t)(base >> 32));
	wr(DRIVER_LO, (uint32_t)(base + 0x1000));
	wr(DRIVER_HI, (uint32_t)((base + 0x1000) >> 32));
	wr(DEVICE_LO, (uint32_t)(base + 0x2000));
	wr(DEVICE_HI, (uint32_t)((base + 0x2000) >> 32));
	wr(QUEUE_READY, 1);
}

/* Two queues set up and DRIVER_OK written. */
static void to_active(void)
{
	to_features_ok();
	setup_queue(0, 128, 0x100000000ULL);
	setup_queue(1, 64, 0x200000);
	wr(STATUS, DOK);
}

Test(vmmio, identity)
{
	cr_assert_eq(rd(MAGIC), 0x74726976);
	cr_assert_eq(rd(VERSION), 2);
	cr_assert_eq(rd(DEVICE_ID), FAKE_ID);
	cr_assert_eq(rd(VENDOR_ID), VMMIO_VENDOR_ID);
	cr_assert_eq(rd(STATUS), 0);
	cr_assert_eq(rd(INT_STATUS), 0);
	cr_assert_eq(rd(CONFIG_GEN), 0);
}

Test(vmmio, create_refuses_bad_ops)
{
	struct vdev_ops ops = fake_ops;
	struct vdev d = { .ops = &ops };
	struct vmmio *x = NULL;

	ops.nr_queues = 0;
	cr_assert_eq(vmmio_create(&d, &hooks, NULL, &x), -EINVAL);
	ops.nr_queues = VDEV_MAX_QUEUES + 1;
	cr_assert_eq(vmmio_create(&d, &hooks, NULL, &x), -EINVAL);
	ops = fake_ops;
	ops.max_queue_size = 0;
	cr_assert_eq(vmmio_create(&d, &hooks, NULL, &x), -EINVAL);
	ops.max_queue_size = 65535;
	cr_assert_eq(vmmio_create(&d, &hooks, NULL, &x), -EINVAL);
	ops = fake_ops;
	ops.activate = NULL;
	cr_assert_eq(vmmio_create(&d, &hooks, NULL, &x), -EINVAL);
	cr_assert_null(x);
}

Test(vmmio, device_feature_windows)
{
	uint64_t f = FAKE_FEATURES | (1ULL << VDEV_F_VERSION_1);

	cr_assert_eq(rd(DEV_FEAT), (uint32_t)f);
	wr(DEV_FEAT_SEL, 1);
	cr_assert_eq(rd(DEV_FEAT), (uint32_t)(f >> 32));
	wr(DEV_FEAT_SEL, 2);
	cr_assert_eq(rd(DEV_FEAT), 0);
	wr(DEV_FEAT_SEL, 0xffffffff);
	cr_assert_eq(rd(DEV_FEAT), 0);
	wr(DEV_FEAT_SEL, 0);
	cr_assert_eq(rd(DEV_FEAT), (uint32_t)f);
}

Test(vmmio, negotiation_accepted)
{
	to_features_ok();
	cr_assert_eq(dev.state, VDEV_FEATURES_OK);
	cr_assert_eq(dev.features, (1ULL << VDEV_F_VERSION_1) | 1);
	/* Frozen from FEATURES_OK on. */
	wr(DRV_FEAT_SEL, 0);
	wr(DRV_FEAT, 0);
	cr_assert_eq(dev.features, (1ULL << VDEV_F_VERSION_1) | 1);
}

Test(vmmio, negotiation_refuses_unoffered_feature)
{
	wr(STATUS, ACK);
	wr(STATUS, DRV);
	accept_features((1ULL << VDEV_F_VERSION_1) | (1ULL << 1));
	wr(STATUS, FOK);
	cr_assert_eq(rd(STATUS), DRV);
	/* The driver may try again with a subset. */
	accept_features(1ULL << VDEV_F_VERSION_1);
	wr(STATUS, FOK);
	cr_assert_eq(rd(STATUS), FOK);
}

Test(vmmio, negotiation_refuses_legacy_driver)
{
	wr(STATUS, ACK);
	wr(STATUS, DRV);
	accept_features(1);
	wr(STATUS, FOK);
	cr_assert_eq(rd(STATUS), DRV);
	cr_assert_eq(dev.state, VDEV_DRIVER);
}

Test(vmmio, negotiation_refuses_bits_above_63)
{
	wr(STATUS, ACK);
	wr(STATUS, DRV);
	accept_features(1ULL << VDEV_F_VERSION_1);
	wr(DRV_FEAT_SEL, 2);
	wr(DRV_FEAT, 1);
	wr(STATUS, FOK);
	cr_assert_eq(rd(STATUS), DRV);
}

Test(vmmio, status_must_be_cumulative)
{
	/* Skipping ACKNOWLEDGE. */
	wr(STATUS, VDEV_S_DRIVER);
	cr_assert_eq(rd(STATUS), 0);
	/* Two steps at once. */
	wr(STATUS, DRV);
	cr_assert_eq(rd(STATUS), 0);
	wr(STATUS, ACK);
	/* Skipping DRIVER. */
	wr(STATUS, ACK | VDEV_S_FEATURES_OK);
	cr_assert_eq(rd(STATUS), ACK);
	wr(STATUS, DRV);
	accept_features(1ULL << VDEV_F_VERSION_1);
	/* Skipping FEATURES_OK. */
	wr(STATUS, DRV | VDEV_S_DRIVER_OK);
	cr_assert_eq(rd(STATUS), DRV);
	cr_assert_eq(nr_activate, 0);
	wr(STATUS, FOK);
	/* Clearing a bit. */
	wr(STATUS, ACK | VDEV_S_FEATURES_OK);
	cr_assert_eq(rd(STATUS), FOK);
	/* Rewriting the same value is harmless. */
	wr(STATUS, FOK);
	cr_assert_eq(rd(STATUS), FOK);
	cr_assert_eq(dev.state, VDEV_FEATURES_OK);
}

Test(vmmio, activation_sees_frozen_queues)
{
	to_active();
	cr_assert_eq(rd(STATUS), DOK);
	cr_assert_eq(dev.state, VDEV_ACTIVE);
	cr_assert_eq(nr_activate, 1);
	cr_assert_eq(seen_features, (1ULL << VDEV_F_VERSION_1) | 1);
	cr_assert_eq(seen[0].size, 128);
	cr_assert(seen[0].ready);
	cr_assert_eq(seen[0].desc.v, 0x100000000ULL);
	cr_assert_eq(seen[0].avail.v, 0x100001000ULL);
	cr_assert_eq(seen[0].used.v, 0x100002000ULL);
	cr_assert_eq(seen[1].size, 64);
	cr_assert_eq(seen[1].desc.v, 0x200000);
	/* DRIVER_OK again: no second activation. */
	wr(STATUS, DOK);
	cr_assert_eq(nr_activate, 1);
}

/* CVE-2026-5747: queue registers written after DRIVER_OK change nothing. */
Test(vmmio, queue_config_frozen_after_driver_ok)
{
	struct vdev_queue_cfg before[2];

	to_active();
	memcpy(before, dev.queues, sizeof(before));
	for (uint32_t q = 0; q < 2; q++) {
		wr(QUEUE_SEL, q);
		wr(QUEUE_NUM, 0);
		wr(QUEUE_NUM, 0x8000);
		wr(QUEUE_READY, 0);
		wr(DESC_LO, 0xdead0000);
		wr(DESC_HI, 0xffffffff);
		wr(DRIVER_LO, 0xdead1000);
		wr(DRIVER_HI, 0xffffffff);
		wr(DEVICE_LO, 0xdead2000);
		wr(DEVICE_HI, 0xffffffff);
		cr_assert_eq(rd(QUEUE_READY), 1);
	}
	cr_assert_eq(memcmp(before, dev.queues, sizeof(before)), 0);
	cr_assert_eq(rd(STATUS), DOK);
	cr_assert_eq(nr_activate, 1);
}

Test(vmmio, queue_registers_refused_before_features_ok)
{
	wr(STATUS, ACK);
	wr(STATUS, DRV);
	wr(QUEUE_SEL, 0);
	wr(QUEUE_NUM, 16);
	wr(QUEUE_READY, 1);
	wr(DESC_LO, 0x1000);
	cr_assert_eq(dev.queues[0].size, FAKE_QMAX);
	cr_assert_not(dev.queues[0].ready);
	cr_assert_eq(dev.queues[0].desc.v, 0);
	cr_assert_eq(rd(QUEUE_READY), 0);
}

Test(vmmio, queue_select_out_of_range)
{
	to_features_ok();
	wr(QUEUE_SEL, 0);
	cr_assert_eq(rd(QUEUE_NUM_MAX), FAKE_QMAX);
	wr(QUEUE_SEL, 1);
	cr_assert_eq(rd(QUEUE_NUM_MAX), FAKE_QMAX);
	static const uint32_t sels[] = { 2, 3, VDEV_MAX_QUEUES, 0x7fffffff,
					 0x80000000, 0xffffffff };

	for (unsigned int i = 0; i < sizeof(sels) / sizeof(sels[0]); i++) {
		uint32_t sel = sels[i];

		wr(QUEUE_SEL, sel);
		cr_assert_eq(rd(QUEUE_NUM_MAX), 0, "sel %u", sel);
		wr(QUEUE_NUM, 2);
		wr(QUEUE_READY, 1);
		wr(DESC_LO, 0x1000);
		cr_assert_eq(rd(QUEUE_READY), 0);
	}
	for (unsigned int i = 0; i < VDEV_MAX_QUEUES; i++) {
		cr_assert_eq(dev.queues[i].size, FAKE_QMAX);
		cr_assert_not(dev.queues[i].ready);
		cr_assert_eq(dev.queues[i].desc.v, 0);
	}
}

Test(vmmio, notify_range_checked)
{
	wr(QUEUE_NOTIFY, 0);
	cr_assert_eq(nr_notified, 0, "notify before activation");
	to_active();
	wr(QUEUE_NOTIFY, 1);
	wr(QUEUE_NOTIFY, 0);
	wr(QUEUE_NOTIFY, 2);
	wr(QUEUE_NOTIFY, 0xffffffff);
	wr(QUEUE_NOTIFY, 0x80000000);
	cr_assert_eq(nr_notified, 2);
	cr_assert_eq(notified[0], 1);
	cr_assert_eq(notified[1], 0);
}

/* Drives the device to the (n)th state of the machine. */
static void drive_to(unsigned int n)
{
	switch (n) {
	case 0:
		break;
	case 1:
		wr(STATUS, ACK);
		break;
	case 2:
		wr(STATUS, ACK);
		wr(STATUS, DRV);
		accept_features(1);
		break;
	case 3:
		to_features_ok();
		setup_queue(0, 16, 0x4000);
		break;
	case 4:
		to_active();
		vmmio_raise_irq(m, VDEV_INT_USED);
		break;
	case 5:
		activate_ret = -EIO;
		to_active();
		break;
	case 6:
		to_features_ok();
		wr(STATUS, FOK | VDEV_S_FAILED);
		break;
	}
}

Test(vmmio, reset_from_every_state)
{
	static const enum vdev_state states[] = {
		VDEV_RESET, VDEV_ACKNOWLEDGED, VDEV_DRIVER, VDEV_FEATURES_OK,
		VDEV_ACTIVE, VDEV_NEEDS_RESET, VDEV_FAILED,
	};

	for (unsigned int n = 0; n < 7; n++) {
		drive_to(n);
		cr_assert_eq(dev.state, states[n], "state %u", n);
		wr(DEV_FEAT_SEL, 1);
		wr(QUEUE_SEL, 1);
		nr_reset = 0;
		activate_ret = 0;
		wr(STATUS, 0);
		cr_assert_eq(nr_reset, 1, "state %u", n);
		cr_assert_eq(rd(STATUS), 0);
		cr_assert_eq(dev.state, VDEV_RESET);
		cr_assert_eq(dev.features, 0);
		cr_assert_eq(rd(INT_STATUS), 0);
		cr_assert_eq(rd(DEV_FEAT), (uint32_t)FAKE_FEATURES);
		cr_assert_eq(rd(QUEUE_READY), 0);
		for (unsigned int q = 0; q < VDEV_MAX_QUEUES; q++) {
			cr_assert_eq(dev.queues[q].size, FAKE_QMAX);
			cr_assert_not(dev.queues[q].ready);
			cr_assert_eq(dev.queues[q].desc.v, 0);
			cr_assert_eq(dev.queues[q].avail.v, 0);
			cr_assert_eq(dev.queues[q].used.v, 0);
		}
	}
	/* And the device works again. */
	to_active();
	cr_assert_eq(dev.state, VDEV_ACTIVE);
}

Test(vmmio, activate_failure_needs_reset)
{
	activate_ret = -ENOMEM;
	to_active();
	cr_assert_eq(nr_activate, 1);
	cr_assert_eq(rd(STATUS), DOK | VDEV_S_NEEDS_RESET);
	cr_assert_eq(dev.state, VDEV_NEEDS_RESET);
	cr_assert_eq(rd(INT_STATUS), VDEV_INT_CONFIG);
	cr_assert_eq(nr_irqs, 1);
	cr_assert_eq(irq_bits, VDEV_INT_CONFIG);
	/* Notifies go nowhere; the driver may still say FAILED (Linux
	 * writes Status back with NEEDS_RESET in it). */
	wr(QUEUE_NOTIFY, 0);
	cr_assert_eq(nr_notified, 0);
	wr(STATUS, DOK | VDEV_S_NEEDS_RESET);
	cr_assert_eq(rd(STATUS), DOK | VDEV_S_NEEDS_RESET);
	wr(STATUS, DOK | VDEV_S_NEEDS_RESET | VDEV_S_FAILED);
	cr_assert_eq(rd(STATUS), DOK | VDEV_S_NEEDS_RESET | VDEV_S_FAILED);
}

/* A device thread's error (vdev_set_needs_reset) reaches the driver's next
 * Status read, stops notifications, and a reset clears it. */
Test(vmmio, device_thread_sets_needs_reset)
{
	to_active();
	vdev_set_needs_reset(&dev);
	cr_assert_eq(irq_bits, VDEV_INT_CONFIG);
	cr_assert_eq(rd(STATUS), DOK | VDEV_S_NEEDS_RESET);
	cr_assert_eq(dev.state, VDEV_NEEDS_RESET);
	wr(QUEUE_NOTIFY, 0);
	cr_assert_eq(nr_notified, 0);
	wr(STATUS, 0);
	cr_assert_eq(rd(STATUS), 0);
	cr_assert_not(atomic_load(&dev.needs_reset));
}

Test(vmmio, invalid_queue_needs_reset)
{
	static const struct {
		uint32_t num;	/* QueueNum */
		uint64_t base;	/* desc base; avail +0x1000, used +0x2000 */
	} bad[] = {
		{ 0, 0x1000 },		/* empty */
		{ 24, 0x1000 },		/* not a power of two */
		{ 512, 0x1000 },	/* above QueueNumMax */
		{ 0x10010, 0x1000 },	/* truncates to 16: still refused */
		{ 16, 0x1008 },		/* descriptors misaligned */
	};

	for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		wr(STATUS, 0);
		to_features_ok();
		setup_queue(1, bad[i].num, bad[i].base);
		wr(STATUS, DOK);
		cr_assert_eq(rd(STATUS), DOK | VDEV_S_NEEDS_RESET, "case %u",
			     i);
		cr_assert_eq(nr_activate, 0, "case %u", i);
	}
	/* A queue never made ready is refused too: its rings were never
	 * handed over (4.2.2, QueueReady), so the device must not serve it. */
	wr(STATUS, 0);
	to_features_ok();
	wr(QUEUE_SEL, 1);
	wr(QUEUE_NUM, 3);
	wr(STATUS, DOK);
	cr_assert_eq(rd(STATUS), DOK | VDEV_S_NEEDS_RESET);
	cr_assert_eq(nr_activate, 0);
}

Test(vmmio, failed_accepted_anytime)
{
	wr(STATUS, VDEV_S_FAILED);
	cr_assert_eq(rd(STATUS), VDEV_S_FAILED);
	wr(STATUS, 0);
	wr(STATUS, ACK);
	wr(STATUS, ACK | VDEV_S_FAILED);
	cr_assert_eq(rd(STATUS), ACK | VDEV_S_FAILED);
	/* Nothing moves on from FAILED but a reset. */
	wr(STATUS, DRV | VDEV_S_FAILED);
	wr(STATUS, DRV);
	cr_assert_eq(rd(STATUS), ACK | VDEV_S_FAILED);
}

Test(vmmio, interrupt_status_and_ack)
{
	to_active();
	vmmio_raise_irq(m, VDEV_INT_USED);
	cr_assert_eq(rd(INT_STATUS), VDEV_INT_USED);
	cr_assert_eq(nr_irqs, 1);
	vdev_raise_irq(&dev, VDEV_INT_CONFIG);
	cr_assert_eq(rd(INT_STATUS), VDEV_INT_USED | VDEV_INT_CONFIG);
	cr_assert_eq(nr_irqs, 2);
	/* Unknown bits are not raised. */
	vmmio_raise_irq(m, 0x4);
	cr_assert_eq(nr_irqs, 2);
	wr(INT_ACK, VDEV_INT_USED);
	cr_assert_eq(rd(INT_STATUS), VDEV_INT_CONFIG);
	wr(INT_ACK, 0xffffffff);
	cr_assert_eq(rd(INT_STATUS), 0);
	/* InterruptStatus is read-only. */
	wr(INT_STATUS, 3);
	cr_assert_eq(rd(INT_STATUS), 0);
}

Test(vmmio, config_generation)
{
	uint32_t g = rd(CONFIG_GEN);

	/* The driver's writes are not device changes. */
	vmmio_access(m, CONFIG, (uint8_t[]){ 1 }, 1, true);
	cr_assert_eq(rd(CONFIG_GEN), g);
	cfg[0] = 0x55;
	vdev_config_changed(&dev);
	cr_assert_neq(rd(CONFIG_GEN), g);
	cr_assert_eq(rd(INT_STATUS), VDEV_INT_CONFIG);
	cr_assert_eq(irq_bits, VDEV_INT_CONFIG);
	/* A reset keeps it moving forwards, not back to a seen value. */
	g = rd(CONFIG_GEN);
	wr(STATUS, 0);
	cr_assert_eq(rd(CONFIG_GEN), g);
}

Test(vmmio, config_space_widths)
{
	uint8_t b[8];

	memset(b, 0xaa, sizeof(b));
	vmmio_access(m, CONFIG + 3, b, 1, false);
	cr_assert_eq(b[0], 0x13);
	vmmio_access(m, CONFIG + 2, b, 2, false);
	cr_assert_eq(b[0], 0x12);
	cr_assert_eq(b[1], 0x13);
	vmmio_access(m, CONFIG + 4, b, 4, false);
	cr_assert_eq(memcmp(b, (uint8_t[]){ 0x14, 0x15, 0x16, 0x17 }, 4), 0);

	vmmio_access(m, CONFIG + 1, (uint8_t[]){ 0xee }, 1, true);
	vmmio_access(m, CONFIG + 6, (uint8_t[]){ 0xc0, 0xc1 }, 2, true);
	vmmio_access(m, CONFIG + 0, (uint8_t[]){ 1, 2, 3, 4 }, 4, true);
	cr_assert_eq(memcmp(cfg, (uint8_t[]){ 1, 2, 3, 4, 0x14, 0x15, 0xc0,
					      0xc1 }, 8), 0);
}

Test(vmmio, config_space_bad_accesses)
{
	static const struct {
		uint64_t off;	/* from CONFIG */
		uint32_t len;	/* bytes */
	} bad[] = {
		{ 1, 2 }, { 2, 4 }, { 3, 4 },	/* misaligned */
		{ 0, 8 }, { 0, 3 }, { 0, 0 },	/* widths */
		{ 8, 1 }, { 6, 4 }, { 8, 4 },	/* past the end */
		{ 0xefc, 4 }, { 0xfff, 1 },	/* end of the window */
		{ UINT64_MAX - CONFIG, 1 },	/* overflow */
	};
	uint8_t before[sizeof(cfg)];

	memcpy(before, cfg, sizeof(cfg));
	for (unsigned int i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint8_t b[8];

		memset(b, 0xaa, sizeof(b));
		vmmio_access(m, CONFIG + bad[i].off, b, bad[i].len, false);
		for (unsigned int j = 0; j < bad[i].len; j++)
			cr_assert_eq(b[j], 0, "case %u", i);
		memset(b, 0x77, sizeof(b));
		vmmio_access(m, CONFIG + bad[i].off, b, bad[i].len, true);
	}
	cr_assert_eq(memcmp(before, cfg, sizeof(cfg)), 0);
}

Test(vmmio, odd_register_accesses_harmless)
{
	uint8_t b[8];

	/* Reads of other widths or misaligned return zeros. */
	for (uint32_t len = 1; len <= 8; len *= 2) {
		for (uint64_t off = 0; off < CONFIG; off++) {
			if (len == 4 && off % 4 == 0)
				continue;
			memset(b, 0xaa, sizeof(b));
			vmmio_access(m, off, b, len, false);
			for (unsigned int j = 0; j < len; j++)
				cr_assert_eq(b[j], 0, "off 0x%lx len %u",
					     (unsigned long)off, len);
		}
	}
	/* Writes of them are dropped: Status and the selectors stay. */
	memset(b, 0xff, sizeof(b));
	for (uint32_t len = 1; len <= 8; len *= 2)
		for (uint64_t off = 0; off < CONFIG; off++)
			if (len != 4 || off % 4)
				vmmio_access(m, off, b, len, true);
	cr_assert_eq(rd(STATUS), 0);
	cr_assert_eq(nr_reset, 0);
	cr_assert_eq(rd(DEV_FEAT), (uint32_t)(FAKE_FEATURES));
	wr(STATUS, ACK);
	vmmio_access(m, STATUS, (uint8_t[]){ 0 }, 1, true);
	cr_assert_eq(rd(STATUS), ACK);
	/* Read-only and unknown registers ignore writes. */
	wr(MAGIC, 0);
	wr(VERSION, 1);
	wr(QUEUE_NUM_MAX, 1);
	wr(0x0f0, 1);
	cr_assert_eq(rd(MAGIC), 0x74726976);
	cr_assert_eq(rd(VERSION), 2);
	cr_assert_eq(rd(0x0f0), 0);
}

Test(vmmio, no_shared_memory_regions)
{
	for (uint32_t sel = 0; sel < 3; sel++) {
		wr(SHM_SEL, sel);
		cr_assert_eq(rd(SHM_LEN_LO), 0xffffffff);
		cr_assert_eq(rd(SHM_LEN_HI), 0xffffffff);
	}
}

Test(vmmio, destroy_resets_active_device)
{
	to_active();
	vmmio_destroy(m);
	m = NULL;
	cr_assert_eq(nr_reset, 1);
}

Test(vmmio_cmdline, formats_like_firecracker)
{
	char buf[64];

	cr_assert_eq(vmmio_cmdline(buf, sizeof(buf), 0xd0000000, 5),
		     (int)strlen("virtio_mmio.device=4K@0xd0000000:5"));
	cr_assert_str_eq(buf, "virtio_mmio.device=4K@0xd0000000:5");
	cr_assert_gt(vmmio_cmdline(buf, sizeof(buf), 0x100000000ULL, 23), 0);
	cr_assert_str_eq(buf, "virtio_mmio.device=4K@0x100000000:23");
}

Test(vmmio_cmdline, too_small)
{
	char buf[40];

	/* 34 bytes: one short of room for the 34 characters and the NUL. */
	memset(buf, 'x', sizeof(buf));
	cr_assert_eq(vmmio_cmdline(buf, 34, 0xd0000000, 5), -ENOSPC);
	cr_assert_str_eq(buf, "");
	cr_assert_eq(vmmio_cmdline(NULL, 0, 0xd0000000, 5), -ENOSPC);
	cr_assert_eq(vmmio_cmdline(buf, 35, 0xd0000000, 5), 34);
}
