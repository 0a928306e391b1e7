// SPDX-License-Identifier: Apache-2.0
/* tests/guest/lib/vio.c: a polling virtio-mmio driver core for test guests. */
#include "vio.h"

#include "rt.h"


uint32_t vio_read32(const struct vio_dev *d, uint32_t off)
{
	return rt_mmio_read32(d->base + off);
}

void vio_write32(const struct vio_dev *d, uint32_t off, uint32_t v)
{
	rt_mmio_write32(d->base + off, v);
}

uint32_t vio_config32(const struct vio_dev *d, uint32_t off)
{
	return vio_read32(d, VIO_R_CONFIG + off);
}

static void write64(const struct vio_dev *d, uint32_t lo, uint64_t v)
{
	vio_write32(d, lo, (uint32_t)v);
	vio_write32(d, lo + 4, (uint32_t)(v >> 32));
}

void vio_say(const struct vio_dev *d, const char *what)
{
	rt_puts(d->name);
	rt_puts(": ");
	rt_puts(what);
	rt_putc('\n');
}

void vio_say_hex(const struct vio_dev *d, const char *what, uint64_t v)
{
	rt_puts(d->name);
	rt_puts(": ");
	rt_puts(what);
	rt_puts(" 0x");
	rt_put_hex(v, 2);
	rt_putc('\n');
}

void vio_say_dec(const struct vio_dev *d, const char *what, uint64_t v)
{
	rt_puts(d->name);
	rt_puts(": ");
	rt_puts(what);
	rt_putc(' ');
	rt_put_dec(v);
	rt_putc('\n');
}

uint32_t vio_status(const struct vio_dev *d)
{
	return vio_read32(d, VIO_R_STATUS);
}

void vio_reset(struct vio_dev *d)
{
	vio_write32(d, VIO_R_STATUS, 0);
}

void vio_fail(struct vio_dev *d, const char *why)
{
	vio_say(d, why);
	vio_write32(d, VIO_R_STATUS, vio_read32(d, VIO_R_STATUS) | VIO_S_FAILED);
	vio_reset(d);
}

int vio_is_device(uint64_t base, uint32_t id)
{
	return rt_mmio_read32(base + VIO_R_MAGIC) == VIO_MAGIC &&
	       rt_mmio_read32(base + VIO_R_VERSION) == 2 &&
	       rt_mmio_read32(base + VIO_R_DEVICE_ID) == id;
}

int vio_probe(struct vio_dev *d, uint64_t base, uint32_t id, const char *name)
{
	uint32_t magic, version, got;

	d->base = base;
	d->name = name;
	d->features = 0;
	magic = vio_read32(d, VIO_R_MAGIC);
	if (magic == 0xffffffff || magic == 0) {
		vio_say(d, "no device");
		return -1;
	}
	version = vio_read32(d, VIO_R_VERSION);
	got = vio_read32(d, VIO_R_DEVICE_ID);
	if (magic != VIO_MAGIC || version != 2 || got != id) {
		rt_puts(name);
		rt_puts(": unexpected device magic ");
		rt_put_hex(magic, 8);
		rt_puts(" version ");
		rt_put_dec(version);
		rt_puts(" id ");
		rt_put_dec(got);
		rt_putc('\n');
		return -1;
	}
	vio_say(d, "found device");
	return 0;
}

/* The 64 feature bits the device offers. */
static uint64_t offered_features(const struct vio_dev *d)
{
	uint64_t offered;

	vio_write32(d, VIO_R_DEV_FEATURES_SEL, 0);
	offered = vio_read32(d, VIO_R_DEV_FEATURES);
	vio_write32(d, VIO_R_DEV_FEATURES_SEL, 1);
	return offered | (uint64_t)vio_read32(d, VIO_R_DEV_FEATURES) << 32;
}

/* Takes (want) | VERSION_1 of (offered) into d->features and writes
 * them as the driver's. */
static void accept_features(struct vio_dev *d, uint64_t want,
			    uint64_t offered)
{
	d->features = (want | VIO_F_VERSION_1) & offered;
	vio_write32(d, VIO_R_DRV_FEATURES_SEL, 0);
	vio_write32(d, VIO_R_DRV_FEATURES, (uint32_t)d->features);
	vio_write32(d, VIO_R_DRV_FEATURES_SEL, 1);
	vio_write32(d, VIO_R_DRV_FEATURES, (uint32_t)(d->features >> 32));
}

int vio_negotiate(struct vio_dev *d, uint64_t want)
{
	uint32_t status = VIO_S_ACKNOWLEDGE;
	uint64_t offered;

	vio_reset(d);
	if (vio_read32(d, VIO_R_STATUS) != 0) {
		vio_say(d, "reset failed");
		return -1;
	}
	vio_write32(d, VIO_R_STATUS, status);
	status |= VIO_S_DRIVER;
	vio_write32(d, VIO_R_STATUS, status);
	offered = offered_features(d);
	rt_puts(d->name);
	rt_puts(": features ");
	rt_put_hex(offered, 16);
	rt_putc('\n');
	if (!(offered & VIO_F_VERSION_1)) {
		vio_fail(d, "no VERSION_1");
		return -1;
	}
	accept_features(d, want, offered);
	status |= VIO_S_FEATURES_OK;
	vio_write32(d, VIO_R_STATUS, status);
	if (!(vio_read32(d, VIO_R_STATUS) & VIO_S_FEATURES_OK)) {
		vio_fail(d, "features not accepted");
		return -1;
	}
	return 0;
}

int vio_negotiate_quiet(struct vio_dev *d, uint64_t want, uint32_t *status)
{
	const uint32_t features_ok =
		VIO_S_ACKNOWLEDGE | VIO_S_DRIVER | VIO_S_FEATURES_OK;
	uint32_t st;

	vio_reset(d);
	st = vio_status(d);
	if (st == 0) {
		vio_write32(d, VIO_R_STATUS, VIO_S_ACKNOWLEDGE);
		vio_write32(d, VIO_R_STATUS, VIO_S_ACKNOWLEDGE | VIO_S_DRIVER);
		accept_features(d, want, offered_features(d));
		vio_write32(d, VIO_R_STATUS, features_ok);
		st = vio_status(d);
	}
	if (status)
		*status = st;
	return st == features_ok ? 0 : -1;
}

int vio_queue_setup(struct vio_dev *d, struct vio_queue *q, uint16_t index,
		    uint16_t size, struct vio_ring *r)
{
	uint32_t qmax;

	vio_write32(d, VIO_R_QUEUE_SEL, index);
	if (vio_read32(d, VIO_R_QUEUE_READY) != 0) {
		vio_fail(d, "queue already ready");
		return -1;
	}
	qmax = vio_read32(d, VIO_R_QUEUE_NUM_MAX);
	if (qmax < size || size > VIO_QMAX) {
		vio_say_dec(d, "queue max", qmax);
		vio_fail(d, "queue too small");
		return -1;
	}
	memset(r, 0, sizeof(*r));
	q->r = r;
	q->size = size;
	q->index = index;
	q->avail_idx = 0;
	q->used_seen = 0;
	vio_write32(d, VIO_R_QUEUE_NUM, size);
	write64(d, VIO_R_QUEUE_DESC_LO, (uint64_t)(uintptr_t)r->desc);
	write64(d, VIO_R_QUEUE_DRIVER_LO, (uint64_t)(uintptr_t)&r->avail);
	write64(d, VIO_R_QUEUE_DEVICE_LO, (uint64_t)(uintptr_t)&r->used);
	vio_write32(d, VIO_R_QUEUE_READY, 1);
	return 0;
}

int vio_driver_ok(struct vio_dev *d)
{
	uint32_t status = vio_read32(d, VIO_R_STATUS) | VIO_S_DRIVER_OK;

	vio_write32(d, VIO_R_STATUS, status);
	/* activate() may have failed: DEVICE_NEEDS_RESET instead. */
	status = vio_read32(d, VIO_R_STATUS);
	if (!(status & VIO_S_DRIVER_OK) || (status & VIO_S_NEEDS_RESET)) {
		vio_say_hex(d, "not live, status", status);
		vio_fail(d, "activation failed");
		return -1;
	}
	return 0;
}

void vio_add(struct vio_queue *q, uint16_t head, const struct vio_buf *b,
	     unsigned int n)
{
	struct vio_ring *r = q->r;

	for (unsigned int i = 0; i < n; i++) {
		uint16_t at = (uint16_t)((head + i) % q->size);
		struct vio_desc *dsc = &r->desc[at];

		dsc->addr = (uint64_t)(uintptr_t)b[i].addr;
		dsc->len = b[i].len;
		dsc->flags = b[i].flags;
		dsc->next = (uint16_t)((at + 1) % q->size);
		if (i + 1 < n)
			dsc->flags |= VIO_DESC_F_NEXT;
	}
	r->avail.ring[q->avail_idx % q->size] = head % q->size;
	/* Descriptors and ring entry before the index (2.7.13). */
	__asm__ volatile("sfence; mfence" ::: "memory");
	q->avail_idx++;
	*(volatile uint16_t *)&r->avail.idx = q->avail_idx;
	__asm__ volatile("mfence" ::: "memory");
}

void vio_notify(const struct vio_dev *d, const struct vio_queue *q)
{
	vio_write32(d, VIO_R_QUEUE_NOTIFY, q->index);
}

int vio_wait(struct vio_queue *q, uint32_t *id, uint32_t *len)
{
	return vio_wait_tsc(q, VIO_POLL_TSC, id, len);
}

int vio_wait_tsc(struct vio_queue *q, uint64_t tsc, uint32_t *id,
		 uint32_t *len)
{
	volatile uint16_t *idx = &q->r->used.idx;
	uint64_t t0 = rt_rdtsc();
	uint16_t slot;

	while (*idx == q->used_seen) {
		if (rt_rdtsc() - t0 > tsc)
			return -1;
		__asm__ volatile("pause" ::: "memory");
	}
	/* The used entry and the buffers only after the index. */
	__asm__ volatile("lfence" ::: "memory");
	slot = q->used_seen % q->size;
	*id = ((volatile uint32_t *)&q->r->used.ring[slot].id)[0];
	*len = ((volatile uint32_t *)&q->r->used.ring[slot].len)[0];
	q->used_seen++;
	return 0;
}

void vio_ack_irq(const struct vio_dev *d)
{
	vio_write32(d, VIO_R_INT_ACK, vio_read32(d, VIO_R_INT_STATUS));
}
