// SPDX-License-Identifier: Apache-2.0
/* devices/virtio/mmio.c: the virtio-mmio transport, version 2 (virtio 1.2, 4.2). */
#include "mmio.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/log.h"

/* Registers (4.2.2); R: read-only, W: write-only, RW. */
#define REG_MAGIC		0x000	/* R */
#define REG_VERSION		0x004	/* R */
#define REG_DEVICE_ID		0x008	/* R */
#define REG_VENDOR_ID		0x00c	/* R */
#define REG_DEV_FEATURES	0x010	/* R: 32 bits selected by ... */
#define REG_DEV_FEATURES_SEL	0x014	/* W: ... this */
#define REG_DRV_FEATURES	0x020	/* W: 32 bits selected by ... */
#define REG_DRV_FEATURES_SEL	0x024	/* W: ... this */
#define REG_QUEUE_SEL		0x030	/* W: queue the next ones address */
#define REG_QUEUE_NUM_MAX	0x034	/* R */
#define REG_QUEUE_NUM		0x038	/* W */
#define REG_QUEUE_READY		0x044	/* RW */
#define REG_QUEUE_NOTIFY	0x050	/* W: queue index */
#define REG_INT_STATUS		0x060	/* R */
#define REG_INT_ACK		0x064	/* W */
#define REG_STATUS		0x070	/* RW */
#define REG_QUEUE_DESC_LO	0x080	/* W */
#define REG_QUEUE_DESC_HI	0x084	/* W */
#define REG_QUEUE_DRIVER_LO	0x090	/* W */
#define REG_QUEUE_DRIVER_HI	0x094	/* W */
#define REG_QUEUE_DEVICE_LO	0x0a0	/* W */
#define REG_QUEUE_DEVICE_HI	0x0a4	/* W */
#define REG_SHM_SEL		0x0ac	/* W */
#define REG_SHM_LEN_LO		0x0b0	/* R */
#define REG_SHM_LEN_HI		0x0b4	/* R */
#define REG_SHM_BASE_LO		0x0b8	/* R */
#define REG_SHM_BASE_HI		0x0bc	/* R */
#define REG_CONFIG_GEN		0x0fc	/* R */
#define REG_CONFIG		0x100	/* device configuration */

/* Split ring alignments (2.7): descriptor table, avail ring, used ring. */
#define ALIGN_DESC		16
#define ALIGN_AVAIL		2
#define ALIGN_USED		4

struct vmmio {
	pthread_mutex_t lock;	/* vCPU threads: registers and status */
	struct vdev *dev;	/* the device behind it */
	const struct vmmio_hooks *hooks;	/* notify and interrupt */
	void *ctx;		/* their context */
	uint32_t dev_features_sel;	/* DeviceFeaturesSel */
	uint32_t drv_features_sel;	/* DriverFeaturesSel */
	bool drv_features_beyond;	/* accepted bits above 63: refused */
	uint32_t queue_sel;	/* QueueSel, as written (unsigned) */
};

static void vmmio_vdev_raise_irq(struct vdev *d, uint32_t bits)
{
	vmmio_raise_irq(d->transport, bits);
}

/* Status 0: everything the driver configured is forgotten. */
static void vmmio_clear(struct vmmio *m)
{
	struct vdev *d = m->dev;

	d->features = 0;
	d->status = 0;
	d->state = VDEV_RESET;
	for (unsigned int i = 0; i < VDEV_MAX_QUEUES; i++)
		d->queues[i] = (struct vdev_queue_cfg){
			.size = d->ops->max_queue_size,
		};
	atomic_store(&d->interrupt_status, 0);
	m->dev_features_sel = 0;
	m->drv_features_sel = 0;
	m->drv_features_beyond = false;
	m->queue_sel = 0;
}

int vmmio_create(struct vdev *d, const struct vmmio_hooks *hooks, void *ctx,
		 struct vmmio **out)
{
	const struct vdev_ops *ops = d->ops;
	struct vmmio *m;

	/* GUARDS 11: a wrong queue count is refused here, once. */
	if (!ops || !ops->activate || !ops->reset || ops->nr_queues == 0 ||
	    ops->nr_queues > VDEV_MAX_QUEUES || ops->max_queue_size == 0 ||
	    ops->max_queue_size > VDEV_MAX_QUEUE_SIZE)
		return -EINVAL;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	pthread_mutex_init(&m->lock, NULL);
	m->dev = d;
	m->hooks = hooks;
	m->ctx = ctx;
	d->raise_irq = vmmio_vdev_raise_irq;
	d->transport = m;
	atomic_store(&d->config_generation, 0);
	vmmio_clear(m);
	*out = m;
	return 0;
}

void vmmio_destroy(struct vmmio *m)
{
	if (!m)
		return;
	if (m->dev->state != VDEV_RESET)
		vdev_reset(m->dev);
	pthread_mutex_destroy(&m->lock);
	free(m);
}

void vmmio_raise_irq(struct vmmio *m, uint32_t bits)
{
	bits &= VDEV_INT_USED | VDEV_INT_CONFIG;
	if (!bits)
		return;
	atomic_fetch_or(&m->dev->interrupt_status, bits);
	if (m->hooks && m->hooks->irq)
		m->hooks->irq(m->ctx, bits);
}

int vmmio_cmdline(char *buf, size_t size, uint64_t addr, uint32_t irq)
{
	int n;

	_Static_assert(VMMIO_SIZE % 1024 == 0, "size in KiB");
	n = snprintf(buf, size, "virtio_mmio.device=%uK@0x%" PRIx64 ":%" PRIu32,
		     VMMIO_SIZE / 1024, addr, irq);
	if (n < 0 || (size_t)n >= size) {
		if (size)
			buf[0] = '\0';
		return -ENOSPC;
	}
	return n;
}

/* What the device offers: its own bits, and VERSION_1, which a modern
 * device MUST offer (6.1). */
static uint64_t vmmio_offered(const struct vmmio *m)
{
	return m->dev->ops->features | m->dev->offered |
	       (1ULL << VDEV_F_VERSION_1);
}

/* The queue QueueSel selects, or NULL when out of range (GUARDS 5: the
 * index is unsigned and compared once against nr_queues). */
static struct vdev_queue_cfg *vmmio_queue(struct vmmio *m)
{
	if (m->queue_sel >= m->dev->ops->nr_queues)
		return NULL;
	return &m->dev->queues[m->queue_sel];
}

/*
 * FEATURES_OK: "The device SHOULD accept any valid subset of features the
 * driver accepts, otherwise it MUST fail to set the FEATURES_OK device
 * status bit when the driver writes it" (2.2.1); and a modern transport
 * refuses a driver that did not accept VERSION_1 (6.1). Behind an IOMMU,
 * a driver that did not accept VIRTIO_F_ACCESS_PLATFORM would hand us
 * guest-physical addresses past the IOMMU: refused too, as 6.1 allows
 * ("A device MAY fail to operate further if VIRTIO_F_ACCESS_PLATFORM is
 * not accepted").
 */
static bool vmmio_features_are_ok(const struct vmmio *m)
{
	uint64_t f = m->dev->features;

	if (m->dev->dma && !(f & VDEV_BIT(VDEV_F_ACCESS_PLATFORM)))
		return false;
	return !m->drv_features_beyond && !(f & ~vmmio_offered(m)) &&
	       (f & (1ULL << VDEV_F_VERSION_1));
}

/*
 * Every queue our devices have is one the driver must use (none offers an
 * optional queue yet), so a queue left without QueueReady is an error at
 * DRIVER_OK rather than a queue to serve: writing QueueReady "notifies the
 * device that it can execute requests from this virtual queue" (4.2.2),
 * and a device must not read rings the driver never handed over.
 */
static bool vmmio_queue_is_valid(const struct vdev_queue_cfg *q,
				 uint16_t max)
{
	if (!q->ready)
		return false;
	if (q->size == 0 || (q->size & (q->size - 1)) || q->size > max)
		return false;
	return q->desc.v % ALIGN_DESC == 0 && q->avail.v % ALIGN_AVAIL == 0 &&
	       q->used.v % ALIGN_USED == 0;
}

/* DRIVER_OK: validate the frozen queues, then activate. Any failure is a
 * device error: "The device SHOULD set DEVICE_NEEDS_RESET when it enters
 * an error state that a reset is needed. If DRIVER_OK is set, after it
 * sets DEVICE_NEEDS_RESET, the device MUST send a device configuration
 * change notification to the driver" (2.1.2). */
static void vmmio_activate(struct vmmio *m)
{
	struct vdev *d = m->dev;
	int ret = 0;

	d->status |= VDEV_S_DRIVER_OK;
	for (unsigned int i = 0; i < d->ops->nr_queues; i++) {
		if (!vmmio_queue_is_valid(&d->queues[i],
					  d->ops->max_queue_size)) {
			log_debug("%s: queue %u invalid at DRIVER_OK",
				  d->ops->name, i);
			ret = -EINVAL;
			break;
		}
	}
	if (!ret) {
		ret = d->ops->activate(d);
		if (!ret) {
			d->state = VDEV_ACTIVE;
			return;
		}
		/* Rings outside RAM (-EFAULT) or a bad geometry (-EINVAL)
		 * are the guest's doing and logged at debug level, since it
		 * could repeat them at will; anything else is the host's. */
		if (ret == -EFAULT || ret == -EINVAL)
			log_debug("%s: rings refused (%d), device needs reset",
				  d->ops->name, ret);
		else
			log_warn("%s: activation failed (%d), device needs "
				 "reset", d->ops->name, ret);
	}
	d->status |= VDEV_S_NEEDS_RESET;
	d->state = VDEV_NEEDS_RESET;
	vmmio_raise_irq(m, VDEV_INT_CONFIG);
}

/* The status bit that moves the machine on from (s), or 0 for none. */
static uint8_t vmmio_next_bit(enum vdev_state s)
{
	switch (s) {
	case VDEV_RESET:
		return VDEV_S_ACKNOWLEDGE;
	case VDEV_ACKNOWLEDGED:
		return VDEV_S_DRIVER;
	case VDEV_DRIVER:
		return VDEV_S_FEATURES_OK;
	case VDEV_FEATURES_OK:
		return VDEV_S_DRIVER_OK;
	case VDEV_ACTIVE:
	case VDEV_NEEDS_RESET:
	case VDEV_FAILED:
		break;
	}
	return 0;
}

/*
 * A write to Status. 0 resets; FAILED is taken in any state; otherwise the
 * write must keep every bit set so far and add exactly the next one
 * (3.1.1: "The driver MUST NOT clear a device status bit"), or it is
 * dropped and Status keeps its value, as Firecracker does: a driver that
 * breaks the protocol is not a device error, so DEVICE_NEEDS_RESET (which
 * the driver would only learn of after DRIVER_OK) is not set for it.
 * DEVICE_NEEDS_RESET is the device's: the driver writing it back (as
 * Linux's read-modify-write does) changes nothing.
 */
static void vmmio_write_status(struct vmmio *m, uint32_t v)
{
	struct vdev *d = m->dev;
	uint8_t cur = d->status & ~VDEV_S_NEEDS_RESET;
	uint8_t next;

	if (v == 0) {
		vdev_reset(d);
		/* The device's thread stopped serving: nothing sets it again. */
		atomic_store(&d->needs_reset, false);
		vmmio_clear(m);
		return;
	}
	if (v & VDEV_S_FAILED) {
		d->status |= VDEV_S_FAILED;
		d->state = VDEV_FAILED;
		return;
	}
	v &= ~(uint32_t)VDEV_S_NEEDS_RESET;
	if (v == cur)
		return;
	next = vmmio_next_bit(d->state);
	if (!next || v != (uint32_t)(cur | next)) {
		log_debug("%s: status 0x%x -> 0x%x refused", d->ops->name,
			  d->status, v);
		return;
	}
	switch (next) {
	case VDEV_S_ACKNOWLEDGE:
		d->status |= next;
		d->state = VDEV_ACKNOWLEDGED;
		break;
	case VDEV_S_DRIVER:
		d->status |= next;
		d->state = VDEV_DRIVER;
		break;
	case VDEV_S_FEATURES_OK:
		/* Refused: the driver re-reads Status and sees it clear. */
		if (vmmio_features_are_ok(m)) {
			d->status |= next;
			d->state = VDEV_FEATURES_OK;
		}
		break;
	case VDEV_S_DRIVER_OK:
		vmmio_activate(m);
		break;
	}
}

/* Driver features are taken until FEATURES_OK: "the device MUST NOT
 * accept changes" after it (the negotiation is over). */
static void vmmio_write_drv_features(struct vmmio *m, uint32_t v)
{
	struct vdev *d = m->dev;

	if (d->state > VDEV_DRIVER)
		return;
	switch (m->drv_features_sel) {
	case 0:
		d->features = (d->features & ~0xffffffffULL) | v;
		break;
	case 1:
		d->features = (d->features & 0xffffffffULL) |
			      (uint64_t)v << 32;
		break;
	default:
		/* No bit above 63 is offered: accepting one fails
		 * FEATURES_OK. */
		if (v)
			m->drv_features_beyond = true;
		break;
	}
}

static void vmmio_set_lo(gpa_t *a, uint32_t v)
{
	a->v = (a->v & ~0xffffffffULL) | v;
}

static void vmmio_set_hi(gpa_t *a, uint32_t v)
{
	a->v = (a->v & 0xffffffffULL) | (uint64_t)v << 32;
}

/*
 * A write to one of the selected queue's registers. CVE-2026-5747: they
 * are taken only after FEATURES_OK and before DRIVER_OK (3.1.1 step 7);
 * from DRIVER_OK the configuration is frozen until a reset, so what
 * activate() validated is what the device uses.
 */
static void vmmio_write_queue(struct vmmio *m, uint64_t off, uint32_t v)
{
	struct vdev_queue_cfg *q = vmmio_queue(m);

	if (!q || m->dev->state != VDEV_FEATURES_OK)
		return;
	switch (off) {
	case REG_QUEUE_NUM:
		/* Anything a u16 cannot hold is invalid: keep it so. */
		q->size = v <= UINT16_MAX ? (uint16_t)v : 0;
		break;
	case REG_QUEUE_READY:
		q->ready = v & 1;
		break;
	case REG_QUEUE_DESC_LO:
		vmmio_set_lo(&q->desc, v);
		break;
	case REG_QUEUE_DESC_HI:
		vmmio_set_hi(&q->desc, v);
		break;
	case REG_QUEUE_DRIVER_LO:
		vmmio_set_lo(&q->avail, v);
		break;
	case REG_QUEUE_DRIVER_HI:
		vmmio_set_hi(&q->avail, v);
		break;
	case REG_QUEUE_DEVICE_LO:
		vmmio_set_lo(&q->used, v);
		break;
	case REG_QUEUE_DEVICE_HI:
		vmmio_set_hi(&q->used, v);
		break;
	}
}

static void vmmio_write_reg(struct vmmio *m, uint64_t off, uint32_t v)
{
	struct vdev *d = m->dev;

	switch (off) {
	case REG_DEV_FEATURES_SEL:
		m->dev_features_sel = v;
		break;
	case REG_DRV_FEATURES:
		vmmio_write_drv_features(m, v);
		break;
	case REG_DRV_FEATURES_SEL:
		m->drv_features_sel = v;
		break;
	case REG_QUEUE_SEL:
		m->queue_sel = v;
		break;
	case REG_QUEUE_NUM:
	case REG_QUEUE_READY:
	case REG_QUEUE_DESC_LO:
	case REG_QUEUE_DESC_HI:
	case REG_QUEUE_DRIVER_LO:
	case REG_QUEUE_DRIVER_HI:
	case REG_QUEUE_DEVICE_LO:
	case REG_QUEUE_DEVICE_HI:
		vmmio_write_queue(m, off, v);
		break;
	case REG_QUEUE_NOTIFY:
		/* GUARDS 5: unsigned, checked against nr_queues. */
		if (v < d->ops->nr_queues && d->state == VDEV_ACTIVE &&
		    m->hooks && m->hooks->on_notify)
			m->hooks->on_notify(m->ctx, d, v);
		break;
	case REG_INT_ACK:
		atomic_fetch_and(&d->interrupt_status, ~v);
		break;
	case REG_STATUS:
		vmmio_write_status(m, v);
		break;
	default:
		/* Read-only, SHMSel (no regions) or unknown: dropped. */
		break;
	}
}

static uint32_t vmmio_read_reg(struct vmmio *m, uint64_t off)
{
	struct vdev *d = m->dev;
	struct vdev_queue_cfg *q;
	uint64_t f;

	switch (off) {
	case REG_MAGIC:
		return VMMIO_MAGIC;
	case REG_VERSION:
		return VMMIO_VERSION;
	case REG_DEVICE_ID:
		return d->ops->device_id;
	case REG_VENDOR_ID:
		return VMMIO_VENDOR_ID;
	case REG_DEV_FEATURES:
		f = vmmio_offered(m);
		if (m->dev_features_sel == 0)
			return (uint32_t)f;
		if (m->dev_features_sel == 1)
			return (uint32_t)(f >> 32);
		return 0;
	case REG_QUEUE_NUM_MAX:
		/* 0 for a queue that does not exist (4.2.2). */
		return vmmio_queue(m) ? d->ops->max_queue_size : 0;
	case REG_QUEUE_READY:
		q = vmmio_queue(m);
		return q && q->ready;
	case REG_INT_STATUS:
		return atomic_load(&d->interrupt_status);
	case REG_STATUS:
		return d->status;
	case REG_SHM_LEN_LO:
	case REG_SHM_LEN_HI:
	case REG_SHM_BASE_LO:
	case REG_SHM_BASE_HI:
		/* "Reading from a non-existent region ... results in a
		 * length of -1": no shared memory regions at all. */
		return UINT32_MAX;
	case REG_CONFIG_GEN:
		return atomic_load(&d->config_generation);
	default:
		/* Write-only or unknown. */
		return 0;
	}
}

/* Device configuration (4.2.2.2): "8 bit wide accesses for 8 bit wide
 * fields, 16 bit wide and aligned accesses for 16 bit wide fields and 32
 * bit wide and aligned accesses for 32 and 64 bit wide fields". */
static void vmmio_config(struct vmmio *m, uint64_t off, uint8_t *data,
			 uint32_t len, bool is_write)
{
	struct vdev *d = m->dev;
	uint32_t size = d->ops->config_size;

	if ((len != 1 && len != 2 && len != 4) || off % len || off > size ||
	    len > size - off || !d->ops->config_rw)
		return;
	if (d->ops->config_rw(d, (uint32_t)off, data, len, is_write) &&
	    !is_write)
		memset(data, 0, len);
}

/* A device thread reported an error (vdev_set_needs_reset): make it part
 * of the status the driver reads, and stop notifying the device. Lock held. */
static void vmmio_fold_needs_reset(struct vmmio *m)
{
	struct vdev *d = m->dev;

	if (d->state == VDEV_ACTIVE && atomic_load(&d->needs_reset)) {
		d->status |= VDEV_S_NEEDS_RESET;
		d->state = VDEV_NEEDS_RESET;
	}
}

void vmmio_access(void *ctx, uint64_t off, uint8_t *data, uint32_t len,
		  bool is_write)
{
	struct vmmio *m = ctx;
	uint32_t v;

	if (!is_write)
		memset(data, 0, len);
	pthread_mutex_lock(&m->lock);
	vmmio_fold_needs_reset(m);
	if (off >= REG_CONFIG) {
		vmmio_config(m, off - REG_CONFIG, data, len, is_write);
	} else if (len == 4 && off % 4 == 0) {
		/* The guest is little-endian, as virtio-mmio is (4.2.2). */
		if (is_write) {
			v = (uint32_t)data[0] | (uint32_t)data[1] << 8 |
			    (uint32_t)data[2] << 16 | (uint32_t)data[3] << 24;
			vmmio_write_reg(m, off, v);
		} else {
			v = vmmio_read_reg(m, off);
			for (unsigned int i = 0; i < 4; i++)
				data[i] = (uint8_t)(v >> (8 * i));
		}
	}
	pthread_mutex_unlock(&m->lock);
}
