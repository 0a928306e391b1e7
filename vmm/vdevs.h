/* SPDX-License-Identifier: Apache-2.0 */
/* vmm/vdevs.h: a VM's virtio-mmio devices: slots, ioeventfds, irqfds, announcements. */
#ifndef IGNIS_VDEVS_H
#define IGNIS_VDEVS_H

#include <stddef.h>
#include <stdint.h>

#include "cli.h"
#include "devices/virtio/device.h"

struct vm;
struct vmmio;

#define VDEVS_MAX 8	/* virtio-mmio devices per VM */

/* One device's place in the VM: its MMIO window, its interrupt and the
 * eventfds that KVM signals and listens to on its behalf. */
struct vdev_slot {
	struct vm *vm;			/* owner */
	struct vdev *dev;		/* the device, once attached */
	struct vmmio *mmio;		/* its transport, once attached */
	void (*destroy)(struct vdev *d);	/* frees dev */
	uint64_t base;			/* MMIO base, VMMIO_SIZE bytes */
	uint32_t gsi;			/* interrupt: GSI = IOAPIC pin */
	unsigned int nr_queues;		/* kick_fds used */
	int kick_fds[VDEV_MAX_QUEUES];	/* KVM_IOEVENTFD on QueueNotify = q */
	int irq_fd;			/* KVM_IRQFD on gsi */
	bool iommu_exempt;		/* iommu=off: never behind it */
	bool translated;		/* behind the virtio-iommu: endpoint
					 * id = slot index; ACPI only */
	bool is_iommu;			/* the virtio-iommu itself */
};

/* The virtio-mmio devices of one VM. */
struct vdevs {
	struct vdev_slot slots[VDEVS_MAX];	/* [nr] used */
	unsigned int nr;			/* slots reserved */
};

/*
 * Reserves the next slot for a device with (nr_queues) queues: its MMIO
 * window and GSI (arch_virtio_mmio_slot), one eventfd per queue that KVM
 * signals when the driver writes that queue's index to QueueNotify (no exit
 * to this process), and an irqfd that raises the GSI. The device is created
 * next with the slot's kick_fds, then vdevs_attach(). 0 or -errno, logged.
 */
int vdevs_reserve(struct vm *vm, unsigned int nr_queues,
		  struct vdev_slot **out);

/* Puts (dev) behind a virtio-mmio transport in (slot) and on the MMIO bus;
 * (slot) owns it from now on, even on error, and (destroy) frees it in
 * vdevs_destroy(). 0 or -errno, logged. */
int vdevs_attach(struct vdev_slot *slot, struct vdev *dev,
		 void (*destroy)(struct vdev *d));

/* Appends " virtio_mmio.device=4K@BASE:GSI" for every device to (buf)
 * holding a NUL-terminated string of capacity (size), but for the
 * virtio-iommu and the devices behind it: Linux puts a device behind an
 * iommu only when ACPI describes it (FACTS.md), so those are announced in
 * ACPI alone. 0 or -E2BIG. */
int vdevs_cmdline_append(const struct vdevs *v, char *buf, size_t size);

/* Resets and frees every device, then closes the eventfds. After every
 * vCPU has stopped. */
void vdevs_destroy(struct vdevs *v);

/* The CLI options that add virtio devices (--disk, --net, --vsock, --rng,
 * --iommu). */
extern const struct cli_group vdevs_cli_group;

#endif
