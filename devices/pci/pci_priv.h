/* SPDX-License-Identifier: Apache-2.0 */
/* devices/pci/pci_priv.h: what pci.c (the bus) and pci_dev.c share. */
#ifndef IGNIS_PCI_PRIV_H
#define IGNIS_PCI_PRIV_H

#include <pthread.h>
#include <stdatomic.h>

#include "devices/pci/pci.h"

/*
 * Locks: a device's (lock) covers its config space and BAR state and is
 * held across bar_moved(); the bus's (lock) covers devs[] and every
 * device's mapped[], which is written with both held (device lock
 * first) and read with either. No hook runs under the bus's lock, so a
 * device's bar_access() may take its own locks freely.
 */

/* One device: its config space and how its BARs decode. */
struct pci_dev {
	pthread_mutex_t lock; /* cfg, wmask, w1c, BAR state */
	const struct pci_dev_ops *ops; /* its hooks */
	void *ctx; /* their context */
	struct pci_bus *bus; /* set once by pci_bus_add_dev(), or NULL */
	uint8_t cfg[PCI_CFG_SIZE]; /* what reads return */
	uint8_t wmask[PCI_CFG_SIZE]; /* bits the guest may write */
	uint8_t w1c[PCI_CFG_SIZE]; /* bits a 1 clears */
	uint64_t bar_size[PCI_NR_REGIONS]; /* 0: none, or the upper half */
	uint32_t bar_flags[PCI_NR_REGIONS]; /* PCI_BAR_MEM64, _PREFETCH */
	uint64_t mapped[PCI_NR_REGIONS]; /* decoded at, or UNMAPPED */
	uint32_t cap_next; /* where the next capability goes */
	uint32_t cap_last; /* the last capability, 0: none yet */
};

/* Bus 0. */
struct pci_bus {
	pthread_rwlock_t lock; /* devs[], every device's mapped[] */
	struct pci_bus_config cfg; /* its windows */
	struct pci_dev *devs[PCI_NR_SLOTS]; /* by slot; [0]: host bridge */
	_Atomic uint32_t cf8; /* CONFIG_ADDRESS as last written */
};

/* Where BAR (bar) of (d) would decode now. Device lock held. */
uint64_t pci_dev_decode(const struct pci_dev *d, unsigned int bar);

/* Writes (addr) into BAR (bar) of (d) and tells the hooks. */
void pci_dev_program_bar(struct pci_dev *d, unsigned int bar, uint64_t addr);

#endif
