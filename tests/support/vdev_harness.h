/* SPDX-License-Identifier: Apache-2.0 */
/* tests/support/vdev_harness.h: a transport stand-in for device tests. */
#ifndef IGNIS_TEST_VDEV_HARNESS_H
#define IGNIS_TEST_VDEV_HARNESS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "devices/virtio/device.h"
#include "support/mock_vq.h"

/*
 * Does for one device what virtio-mmio and the VMM do: guest RAM, one kick
 * eventfd per queue, a raise_irq that counts, and DRIVER_OK (fresh rings,
 * then activate()). The test plays the driver through mock_vq.
 */
struct vh {
	struct gmem mem;			/* guest RAM [0, ram) */
	unsigned int nr_queues;			/* kick[] and mq[] used */
	int kick[VDEV_MAX_QUEUES];		/* the device's kick_fds */
	struct mock_vq mq[VDEV_MAX_QUEUES];	/* the driver's queues */
	struct vdev *dev;			/* after vh_attach() */
};

#define VH_WAIT_NS	(5ull * 1000000000)	/* bound on every wait */
#define VH_RING_STRIDE	0x4000			/* queue q's rings */

/* Interrupts the device raised (VDEV_INT_USED, VDEV_INT_CONFIG). */
extern _Atomic unsigned int vh_irq_used, vh_irq_config;

/* RAM of (ram) bytes and (nr_queues) kick eventfds; counters zeroed. */
void vh_init(struct vh *h, uint64_t ram, unsigned int nr_queues);
/* The device created with h->kick: hooks its interrupts. */
void vh_attach(struct vh *h, struct vdev *d);
/* DRIVER_OK with (features) accepted: queue q of (size) entries at
 * ring_base + q * VH_RING_STRIDE; returns activate()'s result. */
int vh_activate(struct vh *h, uint64_t features, uint16_t size,
		uint64_t ring_base);
/* QueueNotify of queue (q), as KVM's ioeventfd delivers it. */
void vh_kick(struct vh *h, unsigned int q);
/* Bounded waits: used->idx of queue (q) reaches (idx); (*ctr) >= n. */
void vh_wait_used(struct vh *h, unsigned int q, uint16_t idx);
void vh_wait_count(_Atomic unsigned int *ctr, unsigned int n);
/* Used entry (slot) of queue (q) is (id, len). */
void vh_check_used(struct vh *h, unsigned int q, uint16_t slot, uint32_t id,
		   uint32_t len);
/* A host pointer to guest bytes [addr, addr + len); asserts RAM. */
void *vh_ptr(struct vh *h, uint64_t addr, uint32_t len);
/* Closes the kick fds and frees RAM; after the device is destroyed. */
void vh_fini(struct vh *h);

/* Whether a thread of this process is named (name) (/proc/self/task). */
bool vh_has_thread(const char *name);
/* Waits (bounded) until it is (present) or not: a new thread names itself
 * as it starts, a joined one leaves the task list a moment later. */
void vh_wait_thread(const char *name, bool present);

uint64_t vh_now_ns(void);
void vh_nap(void);	/* 1 ms */

#endif
