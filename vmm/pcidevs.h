/* SPDX-License-Identifier: Apache-2.0 */
/* vmm/pcidevs.h: the VM's PCI bus and the VFIO functions passed through on it. */
#ifndef IGNIS_PCIDEVS_H
#define IGNIS_PCIDEVS_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "metrics.h"

struct vm;
struct pci_bus;
struct vfio_container;
struct vfio_device;
struct vfio_pci;
struct viommu_endpoint_config;
struct viommu_resv;
struct vfio_range;

/* KVM memory slots for BAR areas: after guest RAM's, this many. */
#define PCIDEVS_MAX_SLOTS 32
/* Reserved IOVA ranges one VFIO endpoint announces (the host IOMMU's
 * holes); more is refused when the VM is built. */
#define PCIDEVS_MAX_HOLES 8

/* One --vfio: a container of its own (one per IOMMU group: type1 cannot
 * share one between two virtio-iommu domains), the device, its function. */
struct pcidev_vfio {
	struct vfio_container *container;
	struct vfio_device *dev;
	struct vfio_pci *fn;
	unsigned int slot;		/* device number on bus 0 */
	bool translated;		/* its DMA goes through the virtio-iommu */
	struct vfio_range *holes;	/* IOVAs its host IOMMU cannot map */
	unsigned int nr_holes;
	struct viommu_resv *resv;	/* the holes as its PROBE says them */
	unsigned int nr_resv;
	struct metrics_group metrics;	/* "vfio_<id>": its map calls */
	bool registered;		/* metrics registered */
};

/* A BAR area mapped into the guest as a KVM slot (size 0: free). */
struct pcidev_slot {
	uint64_t gpa;
	uint64_t size;
};

struct pcidevs {
	struct pci_bus *bus;		/* NULL: no PCI bus at all */
	uint64_t mmio64_base;		/* 64-bit BAR window */
	uint64_t mmio64_size;		/* its bytes; 0: none */
	struct pcidev_vfio vfio[CONFIG_MAX_VFIO];
	unsigned int nr_vfio;
	pthread_mutex_t slot_lock;	/* over slots: BARs move on vCPUs */
	struct pcidev_slot slots[PCIDEVS_MAX_SLOTS];
};

/*
 * Builds the PCI bus when the config passes a device through (--vfio):
 * the bus on the VM's port and MMIO buses, each device opened into a
 * container of its own, reset, its function on the bus, every BAR given
 * an address. A device not behind the virtio-iommu (no --iommu, or
 * iommu=off) has all guest RAM mapped for its DMA now, and pinned. VMM
 * thread, after guest RAM and the irqchip exist and before the virtio
 * devices (the iommu takes the translated ones as endpoints). 0 or
 * -errno, with the reason logged. No --vfio: nothing, 0.
 */
int pcidevs_build(struct vm *vm);

/*
 * The translated VFIO devices as virtio-iommu endpoints, at most (max)
 * into (out): id PCIDEVS_ENDPOINT(slot), the container as DMA backend,
 * its host IOMMU's holes as reserved regions: those below (input_last)
 * and outside the iommu's own (global)[0..nr_global-1] (PROBE lists both,
 * and they must not overlap: 5.13.6.8.1.2). Returns how many, or -E2BIG
 * when a device's holes come to more regions than PROBE may list.
 */
int pcidevs_iommu_endpoints(struct vm *vm, struct viommu_endpoint_config *out,
			    unsigned int max, const struct viommu_resv *global,
			    unsigned int nr_global, uint64_t input_last);

/*
 * The part of host IOMMU holes (holes)[0..nr_holes-1] at or below
 * (input_last) that none of (global)[0..nr_global-1] covers already, as
 * RESERVED regions into (out): each hole clipped, then cut by each
 * global region it overlaps. Returns how many, or -E2BIG past (max).
 * Pure.
 */
int pcidevs_holes_resv(const struct vfio_range *holes, unsigned int nr_holes,
		       const struct viommu_resv *global, unsigned int nr_global,
		       uint64_t input_last, struct viommu_resv *out,
		       unsigned int max);

/* The IOMMU page sizes every translated device's host IOMMU takes
 * (all ones without any). */
uint64_t pcidevs_iommu_pgsizes(const struct vm *vm);

/* Bus 0's BDF of function 0 of device (slot): the requester ID its DMA
 * carries, which the VIOT names it by. */
#define PCIDEVS_BDF(slot) ((uint16_t)((slot) << 3))
/* Endpoint IDs of PCI functions: apart from the virtio-mmio slots'. */
#define PCIDEVS_ENDPOINT_BASE 0x10000u
#define PCIDEVS_ENDPOINT(slot) (PCIDEVS_ENDPOINT_BASE + PCIDEVS_BDF(slot))

/* Frees all of it, devices reset; after the vCPUs and the iommu are
 * gone. Safe after a partial build. */
void pcidevs_destroy(struct vm *vm);

#endif
