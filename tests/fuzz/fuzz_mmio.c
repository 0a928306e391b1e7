// SPDX-License-Identifier: Apache-2.0
/* tests/fuzz/fuzz_mmio.c: a hostile driver against the virtio-mmio transport. */
#include <errno.h>
#include <string.h>

#include "devices/virtio/mmio.h"
#include "fuzz.h"
#include "fuzz_input.h"
#include "mmio_model.h"
#include "vmm/log.h"

/*
 * One transport (devices/virtio/mmio.c) over a fake device whose shape the
 * input picks (queue count and size, features, configuration size, behind
 * an IOMMU or not, which activations fail), then register accesses of any
 * width at any offset of the 4 KiB window, in any order, mixed with what
 * the device's own thread may do (report an error, raise an interrupt,
 * change its configuration).
 *
 * Invariants, after every access (mmio_model.c is the reference):
 *  - every read returns what the model says (4.2.2), zeros for a width or
 *    alignment the register file does not take;
 *  - Status only moves as 3.1.1 allows: bits are cumulative (DRIVER_OK
 *    implies FEATURES_OK implies DRIVER implies ACKNOWLEDGE), FEATURES_OK
 *    only over an acceptable feature set (2.2.1, 6.1), 0 resets;
 *  - driver features change only before FEATURES_OK, queue registers only
 *    between FEATURES_OK and DRIVER_OK (CVE-2026-5747): the device's
 *    struct vdev equals the model, field by field;
 *  - activate() only at DRIVER_OK over valid queues (ready, size a power
 *    of two <= max, aligned), never twice without a reset in between;
 *    a failed activation is DEVICE_NEEDS_RESET plus a config interrupt
 *    (2.1.2); reset() on every write of 0, and at destroy if not reset;
 *  - QueueNotify reaches the device only while active, for a queue it has
 *    (GUARDS 5); config_rw() only for 1, 2 or 4 aligned bytes inside the
 *    configuration (4.2.2.2); the interrupt hook only with bits set.
 */

#define MAX_OPS 1024

/* Header flags. */
#define H_RAW_SHAPE 0x01 /* queue count and size as given: may be bad */
#define H_IOMMU 0x02 /* behind an IOMMU (ACCESS_PLATFORM) */

struct harness {
	struct vdev_ops ops;
	struct vdev dev;
	struct vmmio *mmio;
	struct mm_model m;
	struct vq_dma dma;
	uint8_t config[256];
	uint8_t fail_mask; /* activation k fails if bit k % 8 */
	bool in_access; /* a register access is under way */
	bool want_activate; /* the model expects activate() now */
	unsigned int activate_calls, reset_calls, notify_calls;
	int notified;
};

static struct harness h;

/* ---- the fake device ---- */

static int fake_config_rw(struct vdev *d, uint32_t off, void *buf, uint32_t len,
			  bool write)
{
	FUZZ_CHECK(h.in_access, "config_rw outside an access");
	FUZZ_CHECK((len == 1 || len == 2 || len == 4) && off % len == 0 &&
			   off + len <= h.ops.config_size,
		   "config_rw(%u, %u) of a %u-byte configuration", off, len,
		   h.ops.config_size);
	/* A device may refuse some fields: the transport reads zeros. */
	if (off % 7 == 3)
		return -EINVAL;
	if (write)
		memcpy(h.config + off, buf, len);
	else
		memcpy(buf, h.config + off, len);
	return 0;
}

static int fake_activate(struct vdev *d)
{
	uint64_t f = d->features;
	int ret;

	FUZZ_CHECK(h.want_activate, "activate() the model did not expect");
	FUZZ_CHECK(!h.m.active, "activate() twice without a reset");
	FUZZ_CHECK((d->status & 0x0f) == 0x0f, "activate() at status %#x",
		   d->status);
	FUZZ_CHECK(mm_features_ok(&h.m, f), "activate() with features %#llx",
		   (unsigned long long)f);
	for (unsigned int i = 0; i < h.ops.nr_queues; i++)
		FUZZ_CHECK(mm_queue_ok(&h.m, &d->queues[i]),
			   "activate() with queue %u invalid", i);
	/* The guest's doing (-EINVAL) or the host's (-ENOMEM): mmio.c
	 * logs them apart, both end in NEEDS_RESET. */
	ret = h.fail_mask & (1u << (h.activate_calls % 8)) ?
		      (h.activate_calls & 1 ? -ENOMEM : -EINVAL) :
		      0;
	h.activate_calls++;
	h.want_activate = false;
	return ret;
}

static void fake_reset(struct vdev *d)
{
	h.reset_calls++;
}

static void fake_notify(void *ctx, struct vdev *d, unsigned int queue)
{
	FUZZ_CHECK(h.in_access && h.m.state == VDEV_ACTIVE &&
			   queue < h.ops.nr_queues,
		   "notify of queue %u in state %d", queue, h.m.state);
	h.notify_calls++;
	h.notified = (int)queue;
}

static void fake_irq(void *ctx, uint32_t bits)
{
	FUZZ_CHECK(bits && !(bits & ~(VDEV_INT_USED | VDEV_INT_CONFIG)),
		   "irq with bits %#x", bits);
	FUZZ_CHECK((atomic_load(&h.dev.interrupt_status) & bits) == bits,
		   "irq %#x not in InterruptStatus", bits);
}

static void fake_release(void *ctx, uint64_t oldest)
{
	FUZZ_CHECK(oldest == UINT64_MAX, "a reset released %llu",
		   (unsigned long long)oldest);
}

static const struct vmmio_hooks hooks = {
	.on_notify = fake_notify,
	.irq = fake_irq,
};

/* ---- checks ---- */

static bool same_queue(const struct vdev_queue_cfg *a,
		       const struct vdev_queue_cfg *b)
{
	return a->size == b->size && a->ready == b->ready &&
	       a->desc.v == b->desc.v && a->avail.v == b->avail.v &&
	       a->used.v == b->used.v;
}

/* The device's struct vdev is what the model says the driver made it. */
static void check_state(const char *after)
{
	const struct vdev *d = &h.dev;
	uint8_t s = d->status;

	FUZZ_CHECK(d->status == h.m.status && d->state == h.m.state,
		   "after %s: status %#x state %d, model %#x %d", after,
		   d->status, d->state, h.m.status, h.m.state);
	/* 3.1.1: each bit only on top of the ones before it. */
	FUZZ_CHECK(
		(!(s & VDEV_S_DRIVER_OK) || (s & VDEV_S_FEATURES_OK)) &&
			(!(s & VDEV_S_FEATURES_OK) || (s & VDEV_S_DRIVER)) &&
			(!(s & VDEV_S_DRIVER) || (s & VDEV_S_ACKNOWLEDGE)) &&
			(!(s & VDEV_S_NEEDS_RESET) || (s & VDEV_S_DRIVER_OK)),
		"status %#x skips a step", s);
	FUZZ_CHECK(d->features == h.m.features, "features %#llx, model %#llx",
		   (unsigned long long)d->features,
		   (unsigned long long)h.m.features);
	for (unsigned int i = 0; i < VDEV_MAX_QUEUES; i++)
		FUZZ_CHECK(same_queue(&d->queues[i], &h.m.queues[i]),
			   "after %s: queue %u differs from the model", after,
			   i);
	FUZZ_CHECK(atomic_load(&d->interrupt_status) == h.m.int_status,
		   "InterruptStatus %#x, model %#x",
		   atomic_load(&d->interrupt_status), h.m.int_status);
	FUZZ_CHECK(atomic_load(&d->config_generation) == h.m.config_gen,
		   "ConfigGeneration");
	FUZZ_CHECK(h.m.activations == h.activate_calls &&
			   h.m.resets == h.reset_calls,
		   "%u activations and %u resets, model %u and %u",
		   h.activate_calls, h.reset_calls, h.m.activations,
		   h.m.resets);
}

/* ---- one access ---- */

static void access_config(uint32_t off, uint8_t *data, uint32_t len, bool write,
			  const uint8_t *val)
{
	uint32_t c = off - 0x100;
	bool taken = (len == 1 || len == 2 || len == 4) && c % len == 0 &&
		     c + len <= h.ops.config_size;
	uint8_t before[256], want[8] = { 0 };

	memcpy(before, h.config, sizeof(before));
	if (write)
		memcpy(data, val, len);
	h.in_access = true;
	vmmio_access(h.mmio, off, data, len, write);
	h.in_access = false;
	if (write) {
		if (taken && c % 7 != 3)
			memcpy(before + c, val, len);
		FUZZ_CHECK(!memcmp(before, h.config, sizeof(before)),
			   "config write at %#x+%u", off, len);
		return;
	}
	if (taken && c % 7 != 3)
		memcpy(want, h.config + c, len);
	FUZZ_CHECK(!memcmp(data, want, len), "config read at %#x+%u", off, len);
}

static void access_reg(uint32_t off, uint8_t *data, uint32_t len, bool write,
		       const uint8_t *val)
{
	bool taken = len == 4 && off % 4 == 0, activate = false, reset = false;
	uint32_t v = (uint32_t)val[0] | (uint32_t)val[1] << 8 |
		     (uint32_t)val[2] << 16 | (uint32_t)val[3] << 24,
		 got;
	unsigned int notifies = h.notify_calls;
	int notify = -1;

	if (write && taken)
		mm_write_reg(&h.m, off, v, &activate, &reset, &notify);
	h.want_activate = activate;
	if (write)
		memcpy(data, val, len);
	h.in_access = true;
	vmmio_access(h.mmio, off, data, len, write);
	h.in_access = false;
	if (activate) {
		FUZZ_CHECK(!h.want_activate, "DRIVER_OK did not activate");
		mm_activated(&h.m, h.fail_mask & (1u << (h.m.activations % 8)) ?
					   -EINVAL :
					   0);
	}
	h.want_activate = false;
	FUZZ_CHECK(h.notify_calls == notifies + (notify >= 0) &&
			   (notify < 0 || h.notified == notify),
		   "QueueNotify %u: device notified %u times", v,
		   h.notify_calls - notifies);
	if (write)
		return;
	got = 0;
	for (unsigned int i = 0; i < len; i++)
		got |= (uint32_t)data[i] << (8 * (i % 4)); /* 8: zeros */
	if (!taken) {
		FUZZ_CHECK(got == 0, "%u-byte read at %#x returned %#x", len,
			   off, got);
		return;
	}
	v = off == 0x008 ? h.ops.device_id : mm_read_reg(&h.m, off);
	FUZZ_CHECK(got == v, "read of %#x: %#x, model %#x", off, got, v);
}

/* A driver access of (1 << (kind >> 1 & 3)) bytes: write if kind & 1. */
static void op_access(struct fz *in)
{
	static const char *const names[] = { "read", "write" };
	uint8_t kind = fz_u8(in), val[8], data[8];
	uint32_t len = 1u << (kind >> 1 & 3);
	uint32_t off = fz_u16(in) % (VMMIO_SIZE - len + 1);
	bool write = kind & 1;

	fz_bytes(in, val, sizeof(val));
	/* The bus hands over a range inside the window (bus.h). */
	mm_fold(&h.m);
	memset(data, 0xa5, sizeof(data));
	if (off >= 0x100)
		access_config(off, data, len, write, val);
	else
		access_reg(off, data, len, write, val);
	FUZZ_TRACE("%s %u @%#x: status %#x", names[write], len, off,
		   h.dev.status);
	check_state(names[write]);
}

/* What the device's thread or the VMM may do between accesses. */
static void op_device(struct fz *in)
{
	uint8_t what = fz_u8(in);

	switch (what % 3) {
	case 0:
		/* The worker exists only while active (device.h). */
		if (!h.m.active)
			return;
		vdev_set_needs_reset(&h.dev);
		h.m.needs_reset = true;
		h.m.int_status |= VDEV_INT_CONFIG;
		break;
	case 1:
		vmmio_raise_irq(h.mmio, what >> 2);
		h.m.int_status |=
			(what >> 2) & (VDEV_INT_USED | VDEV_INT_CONFIG);
		break;
	case 2:
		vdev_config_changed(&h.dev);
		h.m.config_gen++;
		h.m.int_status |= VDEV_INT_CONFIG;
		break;
	}
	check_state("a device event");
}

/* The device's shape; false when vmmio_create() refused it, rightly. */
static bool create(struct fz *in)
{
	uint8_t flags = fz_u8(in), nq = fz_u8(in);
	uint16_t qmax = fz_u16(in);
	uint64_t features = fz_u64(in), offered = fz_u64(in);
	uint8_t config_size = fz_u8(in);
	bool valid;
	int ret;

	if (!(flags & H_RAW_SHAPE)) {
		nq = 1 + nq % VDEV_MAX_QUEUES;
		qmax = 1 + qmax % VDEV_MAX_QUEUE_SIZE;
	}
	h.fail_mask = fz_u8(in);
	h.ops = (struct vdev_ops){
		.name = "fuzz",
		.device_id = 0x40 + nq,
		.nr_queues = nq,
		.max_queue_size = qmax,
		.features = features,
		.config_size = config_size,
		.config_rw = fake_config_rw,
		.activate = fake_activate,
		.reset = fake_reset,
	};
	h.dev = (struct vdev){ .ops = &h.ops, .offered = offered };
	if (flags & H_IOMMU) {
		h.dma = (struct vq_dma){ .release = fake_release };
		vdev_put_behind_iommu(&h.dev, &h.dma);
	}
	for (unsigned int i = 0; i < sizeof(h.config); i++)
		h.config[i] = (uint8_t)(i * 37 + 1);
	ret = vmmio_create(&h.dev, &hooks, NULL, &h.mmio);
	valid = nq >= 1 && nq <= VDEV_MAX_QUEUES && qmax >= 1 &&
		qmax <= VDEV_MAX_QUEUE_SIZE;
	FUZZ_CHECK(valid ? ret == 0 : ret == -EINVAL,
		   "vmmio_create(%u queues of %u): %d", nq, qmax, ret);
	if (ret)
		return false;
	h.m = (struct mm_model){
		.nr_queues = nq,
		.max_queue_size = qmax,
		.offered =
			features | h.dev.offered | VDEV_BIT(VDEV_F_VERSION_1),
		.config_size = config_size,
		.behind_iommu = flags & H_IOMMU,
	};
	mm_clear(&h.m);
	check_state("create");
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz in = fz_make(data, size);

	log_set_level(LOG_ERROR); /* a host-side activation failure warns */
	h.activate_calls = h.reset_calls = h.notify_calls = 0;
	h.want_activate = h.in_access = false;
	if (!create(&in))
		return 0;
	for (unsigned int n = 0; n < MAX_OPS && fz_left(&in); n++) {
		if (fz_u8(&in) % 8)
			op_access(&in);
		else
			op_device(&in);
	}
	/* vmmio.h: destroy resets a device the driver got past status 0. */
	vmmio_destroy(h.mmio);
	FUZZ_CHECK(h.reset_calls == h.m.resets + (h.m.state != VDEV_RESET),
		   "destroy: %u resets, model %u in state %d", h.reset_calls,
		   h.m.resets, h.m.state);
	return 0;
}
