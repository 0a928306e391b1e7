/* SPDX-License-Identifier: Apache-2.0 */
/* tests/fuzz/vfio_pci_check.h: fuzz_vfio_pci's model, recording VM and checks. */
#ifndef IGNIS_FUZZ_VFIO_PCI_CHECK_H
#define IGNIS_FUZZ_VFIO_PCI_CHECK_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/pci/pci.h"
#include "devices/vfio/vfio_pci.h"
#include "support/fake_vfio.h"

/*
 * What a guest should see of a passed-through function, worked out
 * apart from devices/vfio and devices/pci: from the fake device as the
 * harness built it (which BARs are exposed, their mappable areas, where
 * MSI-X is, its INTx pin) and from what the guest did (the MSI-X table
 * and Message Control it wrote). The VM side is a recording vfio_pci_host_ops that
 * keeps KVM's books (slots, GSI routes, irqfds) and refuses what KVM
 * would refuse. Every check is a FUZZ_CHECK.
 */

#define VPC_GSI_BASE 32 /* the first GSI handed out */
#define VPC_MAX_VEC 8 /* vectors the fake offers, at most */
#define VPC_MAX_SLOTS 96 /* KVM slots at once */
#define VPC_MAX_AREAS FAKE_MAX_SPARSE /* mappable areas per BAR */

/* A mappable part of a BAR, from its start. */
struct vpc_area {
	uint64_t offset; /* bytes */
	uint64_t size; /* bytes */
};

/* The device as the guest should find it. */
struct vpc_dev {
	uint64_t bar_size[PCI_NR_BARS]; /* exposed memory BARs; 0: hidden */
	uint32_t bar_flags[PCI_NR_BARS]; /* PCI_BAR_MEM64, _PREFETCH */
	bool bar_upper[PCI_NR_BARS]; /* the upper half of a 64-bit BAR */
	bool mappable[PCI_NR_BARS]; /* its areas mmap (all, or none) */
	unsigned int nr_areas[PCI_NR_BARS]; /* entries in areas[] */
	struct vpc_area areas[PCI_NR_BARS][VPC_MAX_AREAS]; /* mmap-able */
	bool msix_found; /* the kernel side found MSI-X: its pages trap */
	unsigned int msix_size; /* table size N, from Message Control */
	unsigned int msix_n; /* vectors emulated; 0: the guest has none */
	unsigned int msix_cap; /* its offset in config space */
	uint32_t table_dw, pba_dw; /* Table/PBA Offset/BIR as found */
	unsigned int table_bar, pba_bar; /* BIRs */
	uint64_t table_off, pba_off; /* offsets in them */
	bool raw_caps; /* config bytes poked: overlapping capabilities
			* may end the list before MSI-X */
	unsigned int intx_pin; /* 1-4: the function has INTx (the
				* kernel's count 1, a pin INTA-INTD, taken
				* at create); 0: none, the pin reads 0 */
};

/* A KVM slot the VM holds. */
struct vpc_slot {
	uint64_t gpa; /* guest-physical start */
	uint64_t size; /* bytes */
	void *host; /* the memory behind it */
};

/* What KVM holds for the device. */
struct vpc_host {
	unsigned int nr_slots; /* entries in slots[] */
	struct vpc_slot slots[VPC_MAX_SLOTS]; /* KVM memory slots */
	unsigned int nr_gsis; /* handed out: VPC_GSI_BASE + i */
	bool routed[VPC_MAX_VEC]; /* a route is set, by GSI */
	bool assigned[VPC_MAX_VEC]; /* an irqfd is assigned, by GSI */
	uint64_t addr[VPC_MAX_VEC]; /* the route's message, by GSI */
	uint32_t data[VPC_MAX_VEC]; /* ditto */
	int fd[VPC_MAX_VEC]; /* the eventfd its irqfd takes, -1: none yet */
	unsigned int fail_map; /* the nth map_mmio from now fails, 0: none */
	bool failed_map; /* one failed since the last check */
	unsigned long injected; /* interrupts "KVM" delivered */
	bool destroying; /* vfio_pci_destroy() runs: no model checks */
};

/* The guest's MSI-X state, as it wrote it. */
struct vpc_msix {
	uint16_t ctrl; /* Function Mask and Enable */
	uint32_t table[VPC_MAX_VEC][4]; /* address lo/hi, data, control */
};

/* The whole world of one input. */
struct vpc {
	struct pci_bus *bus; /* bus 0 */
	struct pci_bus_config win; /* its windows */
	unsigned int slot; /* the function's slot */
	struct fake_vfio *fv; /* the kernel side */
	struct fake_device *fd; /* the device in it */
	struct vpc_dev dev; /* what it should look like */
	struct vpc_msix msix; /* what the guest wrote */
	struct vpc_host host; /* what KVM holds */
	bool trapped_ok[PCI_NR_BARS]; /* may be trapped whole (a map failed
				       * at its present address) */
	uint64_t trapped_at[PCI_NR_BARS]; /* that address */
	bool irqs_diverged; /* a failed SET_IRQS: the kernel's MSI-X
			     * and INTx and the guest's Message Control
			     * may disagree until they agree again, or
			     * a Message Control write goes through
			     * without a failure */
	bool ctrl_written; /* a config write reached Message Control */
	int intx_trigger, intx_unmask; /* vfio_pci_intx()'s, -1: none */
};

/* The VM side, with ctx a struct vpc. */
extern const struct vfio_pci_host_ops vpc_host_ops;

/* Works out (w)->dev from the fake device as it is now (before open);
 * (w)->fd set. INTx as if the kernel takes it: the harness knows when
 * it refuses. */
void vpc_dev_model(struct vpc *w);

/* Resets the guest's MSI-X state, the host's books and INTx's fds. */
void vpc_reset(struct vpc *w);

/* A config write of (len) bytes (data) at (reg) reaches the function:
 * the model follows (ctrl_written set if it is Message Control's).
 * Call before the access. */
void vpc_cfg_write(struct vpc *w, uint32_t reg, const uint8_t *data,
		   uint32_t len);

/* Where a trapped access lands, and what it should read. */
struct vpc_hit {
	int bar; /* the BAR decoding it, -1: none (all ones) */
	uint64_t off; /* from its start */
	enum { VPC_NONE, VPC_TABLE, VPC_PBA, VPC_REGION } kind; /* whose */
	uint32_t len; /* bytes */
	bool write; /* a write */
	uint8_t want[8]; /* a read's bytes, as they should be */
};

/* A trapped access of (len) bytes at guest-physical (gpa), (data) to
 * write: before it reaches the bus, the model follows it into (hit). */
void vpc_mmio_before(struct vpc *w, uint64_t gpa, const uint8_t *data,
		     uint32_t len, bool write, struct vpc_hit *hit);

/* After it: checks what it read (data) or wrote, unless (fault): the
 * kernel side failed a call meanwhile. */
void vpc_mmio_after(struct vpc *w, const struct vpc_hit *hit,
		    const uint8_t *data, bool fault);

/* Reads (len) bytes of config at (reg) of the function through ECAM. */
uint32_t vpc_cfg_read(struct vpc *w, uint32_t reg, uint32_t len);

/* A vector's eventfd (fd) was signalled: "KVM" delivers it if an irqfd
 * is on it. */
void vpc_eventfd_signalled(struct vpc *w, int fd);

/* Every invariant, after an operation (what: for the message). */
void vpc_check(struct vpc *w, const char *what);

#endif
