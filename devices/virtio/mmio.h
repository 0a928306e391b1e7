/* SPDX-License-Identifier: Apache-2.0 */
/* devices/virtio/mmio.h: the virtio-mmio transport, version 2 (virtio 1.2, 4.2). */
#ifndef IGNIS_VMMIO_H
#define IGNIS_VMMIO_H

#include <stddef.h>
#include <stdint.h>

#include "devices/virtio/device.h"
#include "vmm/bus.h"

#define VMMIO_SIZE		0x1000		/* bytes of MMIO per device */
#define VMMIO_MAGIC		0x74726976	/* "virt" */
#define VMMIO_VERSION		2		/* modern; no legacy (1) */
/* VendorID is free-form for virtio-mmio (QEMU: "QEMU"); ours reads "IGNS"
 * in little-endian ASCII. Linux drivers match any vendor. */
#define VMMIO_VENDOR_ID		0x534e4749

struct vmmio;

/*
 * How the transport reaches the rest of the VMM. Both are called with the
 * transport's lock held or from a device thread, and must not call back
 * into the transport.
 */
struct vmmio_hooks {
	/*
	 * The driver notified (queue) < nr_queues of active device (d)
	 * through QueueNotify (when no ioeventfd caught it). vCPU thread,
	 * lock held; called only while the device is active. Optional.
	 */
	void (*on_notify)(void *ctx, struct vdev *d, unsigned int queue);
	/*
	 * InterruptStatus gained (bits): fire the device's interrupt line,
	 * edge-triggered (an irqfd), as Firecracker's. Any thread. Optional.
	 */
	void (*irq)(void *ctx, uint32_t bits);
};

/*
 * Creates the transport of device (d), whose ops and priv are set, with
 * (hooks)(ctx); (d) and (hooks) must outlive it. The device starts reset.
 * 0, -EINVAL (ops missing activate/reset, nr_queues not in
 * 1..VDEV_MAX_QUEUES, max_queue_size not in 1..VDEV_MAX_QUEUE_SIZE) or
 * -ENOMEM.
 */
int vmmio_create(struct vdev *d, const struct vmmio_hooks *hooks, void *ctx,
		 struct vmmio **out);

/* Resets the device if the driver had got past status 0 (ops->reset),
 * then frees (m). Accepts NULL. No vCPU may still run. */
void vmmio_destroy(struct vmmio *m);

/*
 * The bus handler for its VMMIO_SIZE bytes (vCPU threads; its own lock).
 * Registers (below 0x100) take 32-bit aligned accesses only, as the spec
 * makes drivers do: any other read returns zeros and any other write is
 * dropped. Device configuration from 0x100 takes naturally aligned 1, 2
 * and 4 byte accesses inside ops->config_size, the same otherwise.
 */
bus_access_fn vmmio_access;

/* Sets (bits) (VDEV_INT_USED, VDEV_INT_CONFIG) in InterruptStatus and
 * fires hooks->irq. Any thread, lock-free. */
void vmmio_raise_irq(struct vmmio *m, uint32_t bits);

/*
 * Writes the kernel command-line announcement of a device at (addr) on
 * (irq), "virtio_mmio.device=4K@0xd0000000:5" (Firecracker's form), into
 * (buf) of (size) bytes, NUL-terminated. Returns its length (without the
 * NUL) or -ENOSPC (buf then holds "" when size > 0).
 */
int vmmio_cmdline(char *buf, size_t size, uint64_t addr, uint32_t irq);

#endif
