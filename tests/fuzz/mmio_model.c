// SPDX-License-Identifier: Apache-2.0
/* tests/fuzz/mmio_model.c: what a virtio-mmio device must look like to a driver. */
#include "mmio_model.h"

#include <string.h>

#include "devices/virtio/mmio.h"

/* 4.2.2's register offsets (written out again: the model's own). */
enum {
	R_MAGIC = 0x000,
	R_VERSION = 0x004,
	R_DEVICE_ID = 0x008,
	R_VENDOR_ID = 0x00c,
	R_DEV_FEATURES = 0x010,
	R_DEV_FEATURES_SEL = 0x014,
	R_DRV_FEATURES = 0x020,
	R_DRV_FEATURES_SEL = 0x024,
	R_QUEUE_SEL = 0x030,
	R_QUEUE_NUM_MAX = 0x034,
	R_QUEUE_NUM = 0x038,
	R_QUEUE_READY = 0x044,
	R_QUEUE_NOTIFY = 0x050,
	R_INT_STATUS = 0x060,
	R_INT_ACK = 0x064,
	R_STATUS = 0x070,
	R_DESC_LO = 0x080,
	R_DESC_HI = 0x084,
	R_DRIVER_LO = 0x090,
	R_DRIVER_HI = 0x094,
	R_DEVICE_LO = 0x0a0,
	R_DEVICE_HI = 0x0a4,
	R_SHM_LEN_LO = 0x0b0,
	R_SHM_BASE_HI = 0x0bc,
	R_CONFIG_GEN = 0x0fc,
};

#define S_ACK VDEV_S_ACKNOWLEDGE
#define S_DRIVER VDEV_S_DRIVER
#define S_FEATURES_OK VDEV_S_FEATURES_OK
#define S_DRIVER_OK VDEV_S_DRIVER_OK

void mm_clear(struct mm_model *m)
{
	m->status = 0;
	m->state = VDEV_RESET;
	m->features = 0;
	m->dev_sel = m->drv_sel = m->queue_sel = 0;
	m->beyond = false;
	/* QueueNum reads back nothing, but a queue's size starts at the
	 * device's maximum (4.2.3.2: the driver may leave it so). */
	for (unsigned int i = 0; i < VDEV_MAX_QUEUES; i++)
		m->queues[i] = (struct vdev_queue_cfg){
			.size = m->max_queue_size,
		};
	m->int_status = 0;
	m->needs_reset = false;
}

static struct vdev_queue_cfg *selected(struct mm_model *m)
{
	return m->queue_sel < m->nr_queues ? &m->queues[m->queue_sel] : NULL;
}

uint32_t mm_read_reg(const struct mm_model *m, uint32_t off)
{
	switch (off) {
	case R_MAGIC:
		return VMMIO_MAGIC;
	case R_VERSION:
		return 2;
	case R_VENDOR_ID:
		return VMMIO_VENDOR_ID;
	case R_DEV_FEATURES:
		return m->dev_sel == 0 ? (uint32_t)m->offered :
		       m->dev_sel == 1 ? (uint32_t)(m->offered >> 32) :
					 0;
	case R_QUEUE_NUM_MAX:
		/* "0x0 if the queue is not available" */
		return m->queue_sel < m->nr_queues ? m->max_queue_size : 0;
	case R_QUEUE_READY:
		return m->queue_sel < m->nr_queues &&
		       m->queues[m->queue_sel].ready;
	case R_INT_STATUS:
		return m->int_status;
	case R_STATUS:
		return m->status;
	case R_CONFIG_GEN:
		return m->config_gen;
	default:
		/* No shared memory region: "a length of -1". */
		if (off >= R_SHM_LEN_LO && off <= R_SHM_BASE_HI)
			return UINT32_MAX;
		return 0; /* write-only, reserved, DEVICE_ID: caller */
	}
}

bool mm_features_ok(const struct mm_model *m, uint64_t f)
{
	/* 2.2.1: a subset of what was offered; 6.1: VERSION_1 for a modern
	 * transport, ACCESS_PLATFORM when addresses go through an IOMMU. */
	return !m->beyond && !(f & ~m->offered) &&
	       (f & VDEV_BIT(VDEV_F_VERSION_1)) &&
	       (!m->behind_iommu || (f & VDEV_BIT(VDEV_F_ACCESS_PLATFORM)));
}

bool mm_queue_ok(const struct mm_model *m, const struct vdev_queue_cfg *q)
{
	/* mmio.c's choice: every queue must be ready; 2.7: sizes a power of
	 * two up to the maximum, alignments 16 / 2 / 4. */
	return q->ready && q->size && !(q->size & (q->size - 1)) &&
	       q->size <= m->max_queue_size && !(q->desc.v % 16) &&
	       !(q->avail.v % 2) && !(q->used.v % 4);
}

static void set_lo(gpa_t *a, uint32_t v)
{
	a->v = (a->v >> 32 << 32) | v;
}

static void set_hi(gpa_t *a, uint32_t v)
{
	a->v = (uint32_t)a->v | (uint64_t)v << 32;
}

/* 4.2.3.2: queue registers belong to the driver between FEATURES_OK and
 * DRIVER_OK only (CVE-2026-5747 is what taking them later does). */
static void write_queue(struct mm_model *m, uint32_t off, uint32_t v)
{
	struct vdev_queue_cfg *q = selected(m);

	if (!q || m->state != VDEV_FEATURES_OK)
		return;
	switch (off) {
	case R_QUEUE_NUM:
		q->size = v > UINT16_MAX ? 0 : (uint16_t)v;
		break;
	case R_QUEUE_READY:
		q->ready = v & 1;
		break;
	case R_DESC_LO:
		set_lo(&q->desc, v);
		break;
	case R_DESC_HI:
		set_hi(&q->desc, v);
		break;
	case R_DRIVER_LO:
		set_lo(&q->avail, v);
		break;
	case R_DRIVER_HI:
		set_hi(&q->avail, v);
		break;
	case R_DEVICE_LO:
		set_lo(&q->used, v);
		break;
	case R_DEVICE_HI:
		set_hi(&q->used, v);
		break;
	}
}

/* The device failed at DRIVER_OK: 2.1.2, NEEDS_RESET and a configuration
 * change notification. */
static void needs_reset(struct mm_model *m)
{
	m->status |= VDEV_S_NEEDS_RESET;
	m->state = VDEV_NEEDS_RESET;
	m->int_status |= VDEV_INT_CONFIG;
}

void mm_activated(struct mm_model *m, int ret)
{
	m->activations++;
	if (ret) {
		needs_reset(m);
		return;
	}
	m->state = VDEV_ACTIVE;
	m->active = true;
}

/*
 * 3.1.1: ACKNOWLEDGE, DRIVER, FEATURES_OK, DRIVER_OK, each added to what
 * is set ("The driver MUST NOT clear a device status bit"); 0 resets;
 * FAILED whenever. mmio.h's choice for anything else: dropped.
 */
static void write_status(struct mm_model *m, uint32_t v, bool *activate,
			 bool *reset)
{
	static const uint8_t next_bit[] = {
		[VDEV_RESET] = S_ACK,
		[VDEV_ACKNOWLEDGED] = S_DRIVER,
		[VDEV_DRIVER] = S_FEATURES_OK,
		[VDEV_FEATURES_OK] = S_DRIVER_OK,
	};
	uint8_t cur = m->status & ~VDEV_S_NEEDS_RESET, next;

	if (v == 0) {
		*reset = true;
		m->resets++;
		m->active = false;
		mm_clear(m);
		return;
	}
	if (v & VDEV_S_FAILED) {
		m->status |= VDEV_S_FAILED;
		m->state = VDEV_FAILED;
		return;
	}
	v &= ~(uint32_t)VDEV_S_NEEDS_RESET;
	next = m->state <= VDEV_FEATURES_OK ? next_bit[m->state] : 0;
	if (v == cur || !next || v != (uint32_t)(cur | next))
		return;
	switch (next) {
	case S_ACK:
		m->state = VDEV_ACKNOWLEDGED;
		break;
	case S_DRIVER:
		m->state = VDEV_DRIVER;
		break;
	case S_FEATURES_OK:
		/* Refused: "the device ... MUST fail to set the FEATURES_OK
		 * device status bit" (2.2.1). */
		if (!mm_features_ok(m, m->features))
			return;
		m->state = VDEV_FEATURES_OK;
		break;
	case S_DRIVER_OK:
		m->status |= S_DRIVER_OK;
		for (unsigned int i = 0; i < m->nr_queues; i++) {
			if (!mm_queue_ok(m, &m->queues[i])) {
				needs_reset(m);
				return;
			}
		}
		*activate = true;
		return;
	}
	m->status |= next;
}

void mm_write_reg(struct mm_model *m, uint32_t off, uint32_t v, bool *activate,
		  bool *reset, int *notify)
{
	*activate = *reset = false;
	*notify = -1;
	switch (off) {
	case R_DEV_FEATURES_SEL:
		m->dev_sel = v;
		break;
	case R_DRV_FEATURES:
		/* Until FEATURES_OK: "the device MUST NOT accept changes"
		 * to a negotiation that is over. */
		if (m->state > VDEV_DRIVER)
			break;
		if (m->drv_sel == 0)
			m->features = (m->features >> 32 << 32) | v;
		else if (m->drv_sel == 1)
			m->features = (uint32_t)m->features | (uint64_t)v << 32;
		else if (v)
			m->beyond = true;
		break;
	case R_DRV_FEATURES_SEL:
		m->drv_sel = v;
		break;
	case R_QUEUE_SEL:
		m->queue_sel = v;
		break;
	case R_QUEUE_NUM:
	case R_QUEUE_READY:
	case R_DESC_LO:
	case R_DESC_HI:
	case R_DRIVER_LO:
	case R_DRIVER_HI:
	case R_DEVICE_LO:
	case R_DEVICE_HI:
		write_queue(m, off, v);
		break;
	case R_QUEUE_NOTIFY:
		/* GUARDS 5: an unsigned index, < the queue count. */
		if (v < m->nr_queues && m->state == VDEV_ACTIVE)
			*notify = (int)v;
		break;
	case R_INT_ACK:
		m->int_status &= ~v;
		break;
	case R_STATUS:
		write_status(m, v, activate, reset);
		break;
	}
}

void mm_fold(struct mm_model *m)
{
	if (m->state == VDEV_ACTIVE && m->needs_reset) {
		m->status |= VDEV_S_NEEDS_RESET;
		m->state = VDEV_NEEDS_RESET;
	}
}
