/* SPDX-License-Identifier: Apache-2.0 */
/* devices/vfio/vfio_pci_priv.h: what vfio_pci.c (BARs, MSI-X, life) and
 * vfio_pci_cfg.c (config space) share. */
#ifndef IGNIS_VFIO_PCI_PRIV_H
#define IGNIS_VFIO_PCI_PRIV_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "devices/pci/msix.h"
#include "devices/pci/pci.h"
#include "devices/vfio/vfio_device.h"
#include "devices/vfio/vfio_pci.h"
#include "vmm/log.h"

/* Config space facts (PCI Local Bus 3.0, 6.1). */
#define CFG_STD 256 /* header and capabilities */

/* Where each config byte below 0x100 comes from and where writes go. */
enum cfg_src {
	SRC_HW, /* the hardware's, both ways */
	SRC_HW_RO, /* the hardware's; writes dropped */
	SRC_EMU, /* the bus's emulation: BARs, ROM, header type, line */
	SRC_CMD, /* the command register: both (see cfg_write_cmd) */
	SRC_VIRT, /* virt[]: list pointers, MSI-X's fixed bytes; RO */
	SRC_ZERO, /* reads 0, writes dropped */
	SRC_MSIX, /* MSI-X Message Control: the msix */
};

/* A part of a BAR that can be a KVM slot. */
struct vfio_pci_slot {
	uint64_t offset; /* from the BAR's start; page aligned */
	uint64_t size; /* bytes; whole pages */
	void *host; /* its mmap */
};

/* One BAR as the guest sees it. */
struct vfio_pci_bar {
	uint64_t size; /* bytes; 0: not exposed */
	unsigned int nr_slots; /* entries in slots[] */
	struct vfio_pci_slot *slots; /* mappable, MSI-X pages left out */
	uint64_t mapped_at; /* where slots are KVM memory, or UNMAPPED */
	unsigned int nr_mapped; /* slots[0, nr_mapped) are there */
};

/* One MSI-X vector; irqfd_on and routed change only in route(), which
 * the msix calls with its lock held. */
struct vfio_pci_vector {
	unsigned int gsi; /* its own */
	bool irqfd_on; /* KVM_IRQFD assigned */
	bool routed; /* a route is set for gsi */
};

struct vfio_pci {
	struct vfio_device *dev; /* the hardware; not ours */
	const struct vfio_pci_host_ops *host; /* the VM */
	void *host_ctx; /* its context */
	struct pci_dev *pdev; /* the function on the bus */
	uint64_t page; /* host page size */
	struct vfio_pci_bar bars[PCI_NR_BARS]; /* by BAR index */
	uint8_t src[CFG_STD]; /* enum cfg_src per byte */
	uint8_t virt[CFG_STD]; /* values of SRC_VIRT bytes */
	unsigned int msix_cap; /* MSI-X capability, 0: none */
	struct msix *msix; /* its emulation, NULL: none */
	unsigned int table_bar, pba_bar; /* BARs of the table, PBA */
	uint64_t table_off, pba_off; /* their offsets there */
	unsigned int nr_vectors; /* emulated MSI-X vectors */
	int32_t *efds; /* eventfd per vector, -1: none */
	struct vfio_pci_vector *vecs; /* per vector */
	pthread_mutex_t lock; /* config writes; msix_on, intx_on */
	bool msix_on; /* the kernel has our eventfds */
	unsigned int intx_pin; /* 1-4: INTA-INTD; 0: no INTx */
	int intx_trigger; /* eventfd: the line asserted; -1: none */
	int intx_unmask; /* eventfd: the guest's EOI unmasks; -1 */
	bool intx_on; /* the kernel has those two */
	_Atomic uint64_t errors; /* failed hardware/host calls */
};

/* Logs at most at powers of two of the error count: a guest that makes
 * every access fail costs log lines logarithmically. */
#define vp_error(vp, fmt, ...)                                          \
	do {                                                            \
		uint64_t n_ = atomic_fetch_add(&(vp)->errors, 1) + 1;   \
		if (!(n_ & (n_ - 1)))                                   \
			log_warn("vfio-pci: %s: " fmt " (%llu errors)", \
				 vfio_device_desc((vp)->dev)->name,     \
				 __VA_ARGS__, (unsigned long long)n_);  \
	} while (0)

static inline uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static inline uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

/* vfio_pci_cfg.c: lays config space out from the hardware's (cfg), its
 * first CFG_STD bytes; once, at create, after msix_setup(). */
void vfio_pci_cfg_layout(struct vfio_pci *vp, const uint8_t *cfg);

/* vfio_pci_cfg.c: the pci_dev_ops config hooks; (ctx) is the vfio_pci. */
void vfio_pci_cfg_read(void *ctx, struct pci_dev *d, uint32_t off,
		       uint8_t *data, uint32_t len);
void vfio_pci_cfg_write(void *ctx, struct pci_dev *d, uint32_t off,
			const uint8_t *data, uint32_t len);

#endif
