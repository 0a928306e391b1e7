/* SPDX-License-Identifier: Apache-2.0 */
/* devices/virtio/device.h: what a virtio device gives its transport. */
#ifndef IGNIS_VDEV_H
#define IGNIS_VDEV_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "devices/virtio/queue.h"
#include "vmm/gmem.h"
#include "vmm/metrics.h"

/* Device status bits (virtio 1.2, 2.1). */
#define VDEV_S_ACKNOWLEDGE	0x01	/* the guest found the device */
#define VDEV_S_DRIVER		0x02	/* the guest has a driver for it */
#define VDEV_S_DRIVER_OK	0x04	/* the driver is ready: activate */
#define VDEV_S_FEATURES_OK	0x08	/* feature negotiation complete */
#define VDEV_S_NEEDS_RESET	0x40	/* device error, set by the device */
#define VDEV_S_FAILED		0x80	/* the driver gave up */

/* Interrupt status bits (4.2.2, InterruptStatus). */
#define VDEV_INT_USED		0x1	/* used buffer notification */
#define VDEV_INT_CONFIG		0x2	/* configuration change */

/* Feature bits every device shares (6). */
#define VDEV_F_INDIRECT_DESC	28	/* descriptor tables (2.7.5.3) */
#define VDEV_F_EVENT_IDX	29	/* used_event / avail_event (2.7.7) */
#define VDEV_F_VERSION_1	32	/* modern device: the only kind we are */
#define VDEV_F_ACCESS_PLATFORM	33	/* addresses go through an IOMMU (6.1) */

#define VDEV_BIT(n)	(UINT64_C(1) << (n))	/* feature bit n as a mask */

#define VDEV_MAX_QUEUES		16	/* most queues one device may have */
#define VDEV_MAX_QUEUE_SIZE	32768	/* split ring limit (2.7) */

/*
 * The transport's state machine (3.1.1), one state per accepted status
 * prefix. Status bits are cumulative: only a write of 0 goes backwards.
 */
enum vdev_state {
	VDEV_RESET,		/* status 0 */
	VDEV_ACKNOWLEDGED,	/* ACKNOWLEDGE */
	VDEV_DRIVER,		/* + DRIVER: driver features writable */
	VDEV_FEATURES_OK,	/* + FEATURES_OK: queue registers writable */
	VDEV_ACTIVE,		/* + DRIVER_OK, activate() succeeded */
	VDEV_NEEDS_RESET,	/* + DEVICE_NEEDS_RESET: only a reset leaves */
	VDEV_FAILED,		/* + FAILED: only a reset leaves */
};

/*
 * One queue as the driver configured it. Guest-writable until DRIVER_OK,
 * then frozen until reset; activate() sees it validated: size a power of
 * two <= max_queue_size, rings aligned (desc 16, avail 2, used 4). Ring
 * placement in RAM is for the queue code to check (gmem_ptr()).
 */
struct vdev_queue_cfg {
	uint16_t size;		/* QueueNum: entries */
	bool ready;		/* QueueReady */
	gpa_t desc;		/* QueueDesc: descriptor table */
	gpa_t avail;		/* QueueDriver: available ring */
	gpa_t used;		/* QueueDevice: used ring */
};

struct vdev;

/*
 * A device's contract, one static const table per device type. The
 * transport calls every op with its own lock held, on a vCPU thread, so an
 * op must not wait for a thread that takes that lock; a device thread
 * reaches the driver only through vdev_raise_irq(), which takes none.
 */
struct vdev_ops {
	const char *name;		/* for messages */
	uint32_t device_id;		/* virtio device ID (5) */
	uint16_t nr_queues;		/* 1..VDEV_MAX_QUEUES */
	uint16_t max_queue_size;	/* 1..VDEV_MAX_QUEUE_SIZE */
	uint64_t features;		/* offered by every instance, with
					 * vdev.offered; VERSION_1 is added */
	uint32_t config_size;		/* bytes of device configuration */
	/*
	 * Reads or writes (len) bytes (1, 2 or 4, naturally aligned) at
	 * (off) of the configuration; the transport has checked that
	 * off + len <= config_size. 0 or -errno (a read then returns zeros).
	 * NULL: reads as zeros, writes are dropped.
	 */
	int (*config_rw)(struct vdev *d, uint32_t off, void *buf,
			 uint32_t len, bool write);
	/*
	 * DRIVER_OK: d->features and d->queues are final. Freezes the
	 * queues and tells the device's thread, made with its ring and
	 * backend at creation, to serve them: on a vCPU thread, which makes
	 * no thread, ring or file (worker_activate()). 0, or -errno: the
	 * device then gets DEVICE_NEEDS_RESET, so it must undo its own
	 * partial work. Required.
	 */
	int (*activate)(struct vdev *d);
	/*
	 * The driver wrote 0 to Status (or the transport is destroyed while
	 * active): the device's thread stops serving and drains what is in
	 * flight (worker_deactivate()), the queues are forgotten; the thread
	 * and its ring stay for the next activation. Called on every reset,
	 * activated or not. Required.
	 */
	void (*reset)(struct vdev *d);
};

/*
 * A device instance, embedded in the device's own struct. The transport
 * owns every field but (ops, priv, offered) between vmmio_create() and
 * vmmio_destroy(); the device reads features and queues in activate().
 */
struct vdev {
	const struct vdev_ops *ops;	/* the device type */
	void *priv;			/* the device's own state */
	const struct vq_dma *dma;	/* set by the VMM at creation for a
					 * device behind an IOMMU (it then
					 * offers and requires
					 * VIRTIO_F_ACCESS_PLATFORM), else
					 * NULL */
	uint64_t offered;		/* set by the device at creation: its
					 * own features beyond ops->features
					 * (those that depend on the instance,
					 * such as a read-only disk) */
	uint64_t features;		/* accepted by the driver (at FEATURES_OK) */
	uint8_t status;			/* Status as the driver reads it */
	enum vdev_state state;		/* where the status machine is */
	struct vdev_queue_cfg queues[VDEV_MAX_QUEUES];	/* [nr_queues] used */
	_Atomic uint32_t config_generation;	/* ConfigGeneration */
	_Atomic uint32_t interrupt_status;	/* VDEV_INT_* pending */
	_Atomic bool needs_reset;	/* set by the device's thread; the
					 * transport folds it into status */
	/* Set by the transport: raises (bits) to the driver. Any thread. */
	void (*raise_irq)(struct vdev *d, uint32_t bits);
	void *transport;		/* the transport's context */
	struct metrics_group *metrics;	/* set by the device at creation:
					 * its counters, which the VMM
					 * names and flushes; NULL: none */
};

/* Whether the driver accepted feature bit (bit) (valid from FEATURES_OK). */
static inline bool vdev_negotiated(const struct vdev *d, unsigned int bit)
{
	return d->features & VDEV_BIT(bit);
}

/*
 * At activate: freezes queue (i) as the driver configured it into (q),
 * with the ring features the driver accepted (EVENT_IDX, INDIRECT_DESC).
 * vq_init()'s returns.
 */
static inline int vdev_queue_init(const struct vdev *d, unsigned int i,
				  struct vq *q, const struct gmem *mem)
{
	const struct vdev_queue_cfg *qc = &d->queues[i];

	/* The transport took FEATURES_OK only with ACCESS_PLATFORM when
	 * (d) is behind an IOMMU. */
	return vq_init_dma(q, mem, d->dma, qc->size, qc->desc, qc->avail,
			   qc->used, vdev_negotiated(d, VDEV_F_EVENT_IDX),
			   vdev_negotiated(d, VDEV_F_INDIRECT_DESC));
}

/* Puts (d), just created, behind the IOMMU translating with (dma). */
static inline void vdev_put_behind_iommu(struct vdev *d,
					 const struct vq_dma *dma)
{
	d->dma = dma;
	d->offered |= VDEV_BIT(VDEV_F_ACCESS_PLATFORM);
}

/*
 * The transport's reset of (d): the device's thread stops serving, and
 * then holds no translated chain, so an IOMMU waiting for it may go on.
 */
static inline void vdev_reset(struct vdev *d)
{
	d->ops->reset(d);
	if (d->dma)
		d->dma->release(d->dma->ctx, UINT64_MAX);
}

/* Raises interrupt (bits), VDEV_INT_*, to the driver. Any thread, no lock:
 * a device thread may call it while reset() waits for that thread. */
static inline void vdev_raise_irq(struct vdev *d, uint32_t bits)
{
	d->raise_irq(d, bits);
}

/* The device changed its configuration: a new ConfigGeneration (4.2.2,
 * "the device MUST change it ... if any part of the configuration space
 * has changed"), then a configuration change interrupt. Any thread. */
/*
 * From the device's own thread (lock-free): it hit an error that only a
 * reset cures, such as a corrupt ring. "The device SHOULD set
 * DEVICE_NEEDS_RESET when it enters an error state that a reset is needed.
 * If DRIVER_OK is set, after it sets DEVICE_NEEDS_RESET, the device MUST
 * send a device configuration change notification to the driver" (2.1.2).
 * The transport, which owns status under its lock, folds the flag in
 * before the driver's next register access; a reset clears it.
 */
static inline void vdev_set_needs_reset(struct vdev *d)
{
	atomic_store(&d->needs_reset, true);
	vdev_raise_irq(d, VDEV_INT_CONFIG);
}

static inline void vdev_config_changed(struct vdev *d)
{
	atomic_fetch_add(&d->config_generation, 1);
	vdev_raise_irq(d, VDEV_INT_CONFIG);
}

#endif
