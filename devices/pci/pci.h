/* SPDX-License-Identifier: Apache-2.0 */
/* devices/pci/pci.h: PCI bus 0, its config space and BAR windows. */
#ifndef IGNIS_PCI_H
#define IGNIS_PCI_H

#include <stdbool.h>
#include <stdint.h>

#include "vmm/bus.h"

/*
 * One conventional PCI bus (bus 0, segment 0) behind a host bridge at
 * 00:00.0, with up to 32 single-function devices. Config space is reached
 * through configuration mechanism #1 (ports 0xCF8-0xCFF, PCI Local Bus 3.0
 * 3.2.2.3.2) and through ECAM (PCIe Base 4.0 7.2.2); both reach the same
 * registers. Every device has a 4 KiB config space (type 0 header, PCI 3.0
 * 6.1), memory BARs only: 32- or 64-bit, prefetchable or not, and an
 * optional expansion ROM. I/O BARs are not supported (ignis has no I/O
 * window; MSI-X needs none). No INTx: interrupt pin 0, MSI-X only.
 *
 * A BAR is mapped (decoded) while the command register's Memory Space bit
 * is set, its address is not 0 and the BAR lies wholly inside one of the
 * bus's windows (a host bridge forwards only its apertures, so a guest
 * cannot put a BAR over RAM or the LAPIC). The ROM also needs its enable
 * bit. Where a device's BAR is mapped changes only through config writes
 * and pci_bus_assign_bars(); each change reaches the device's bar_moved().
 */

#define PCI_NR_SLOTS 32 /* devices on bus 0 */
#define PCI_CFG_SIZE 4096 /* a function's config space */
#define PCI_NR_BARS 6 /* type 0 header BARs 0-5 */
#define PCI_ROM_BAR 6 /* expansion ROM, in BAR APIs */
#define PCI_NR_REGIONS 7 /* BARs and the ROM */
#define PCI_BAR_UNMAPPED UINT64_MAX /* a BAR that decodes nothing */
#define PCI_CF8_PORT 0xcf8 /* CONFIG_ADDRESS, CONFIG_DATA at +4 */
#define PCI_CF8_PORTS 8 /* 0xCF8-0xCFF */
#define PCI_ECAM_SIZE 0x100000 /* bus 0: 32 x 8 x 4 KiB */

/* Type 0 header registers (PCI 3.0 6.1, 6.2). Names and values that
 * <linux/pci_regs.h> also has are spelt as it spells them, so that a file
 * including both (VFIO) sees identical, legal redefinitions. */
#define PCI_VENDOR_ID 0x00 /* 16 bits */
#define PCI_DEVICE_ID 0x02 /* 16 bits */
#define PCI_COMMAND 0x04 /* 16 bits */
#define PCI_STATUS 0x06 /* 16 bits */
#define PCI_CLASS_REVISION 0x08 /* revision, then class code (24) */
#define PCI_HEADER_TYPE 0x0e /* 0: type 0, single function */
#define PCI_BAR0 0x10 /* 6 dwords */
#define PCI_SUBSYSTEM_VENDOR_ID 0x2c /* 16 bits */
#define PCI_SUBSYSTEM_ID 0x2e /* 16 bits */
#define PCI_ROM_ADDRESS 0x30 /* expansion ROM base */
#define PCI_CAP_PTR 0x34 /* first capability */
#define PCI_INTERRUPT_LINE 0x3c /* for the OS; no INTx here */
#define PCI_INTERRUPT_PIN 0x3d /* 0: none */
#define PCI_CAP_START 0x40 /* capabilities go from here */
#define PCI_CAP_END 0x100 /* to the end of PCI's 256 bytes */

#define PCI_COMMAND_MEMORY 0x2 /* Memory Space enable */
#define PCI_COMMAND_MASTER 0x4 /* Bus Master enable */
#define PCI_STATUS_CAP_LIST 0x10 /* a capability list at 0x34 */

/* Memory BAR flag bits (PCI 3.0 6.2.5.1): what pci_dev_set_bar() takes. */
#define PCI_BAR_MEM64 0x04 /* type 10b: 64-bit, uses 2 BARs */
#define PCI_BAR_PREFETCH 0x08 /* prefetchable */
#define PCI_ROM_ENABLE 0x01 /* ROM address decode enable */

#define PCI_CLASS_CODE_HOST 0x060000 /* host bridge: 06, 00, 00 */

struct pci_bus;
struct pci_dev;

/*
 * What a device model gives the bus; every hook is optional. None is
 * called with a lock of the bus held, but bar_moved() runs with the
 * device's own config lock held: it must not call pci_dev_cfg_*() on the
 * same device.
 *
 * Config overrides: cfg_read/cfg_write get every access to the device
 * first, (off, len) checked to lie in one naturally aligned dword below
 * PCI_CFG_SIZE. A device that owns only some registers (VFIO: hardware
 * registers passed through, BARs/ROM/MSI-X kept virtual) handles those and
 * calls pci_dev_cfg_read()/pci_dev_cfg_write(), the default emulation, for
 * the rest. Without an override the default emulation serves everything.
 */
struct pci_dev_ops {
	/* Reads (len) bytes at (off) into (data). */
	void (*cfg_read)(void *ctx, struct pci_dev *d, uint32_t off,
			 uint8_t *data, uint32_t len);
	/* Writes (len) bytes from (data) at (off). */
	void (*cfg_write)(void *ctx, struct pci_dev *d, uint32_t off,
			  const uint8_t *data, uint32_t len);
	/*
	 * A trapped access to (bar) (0-5, or PCI_ROM_BAR) at (off) from its
	 * base, wholly inside it; as a bus_access_fn. Runs on the vCPU's
	 * thread, concurrently with config accesses and other BAR accesses.
	 * Without it, reads return all ones and writes are dropped.
	 */
	void (*bar_access)(void *ctx, unsigned int bar, uint64_t off,
			   uint8_t *data, uint32_t len, bool is_write);
	/*
	 * (bar) now decodes at (new_addr) instead of (old_addr); either may
	 * be PCI_BAR_UNMAPPED (decode turned on or off). Called once per
	 * change, in order, after the bus's dispatch sees the new address.
	 * VFIO moves the BAR's KVM memory slot here.
	 */
	void (*bar_moved)(void *ctx, unsigned int bar, uint64_t old_addr,
			  uint64_t new_addr);
};

/* Identity of a device (PCI 3.0 6.2.1). */
struct pci_dev_config {
	uint16_t vendor_id; /* not 0xffff */
	uint16_t device_id; /* assigned by the vendor */
	uint32_t class_code; /* base << 16 | sub << 8 | prog-if */
	uint8_t revision; /* revision ID */
	uint16_t subsys_vendor_id; /* subsystem vendor */
	uint16_t subsys_id; /* subsystem */
};

/* The bus's BAR windows: 32-bit below 4 GiB, 64-bit (optional) above. */
struct pci_bus_config {
	uint64_t mmio32_base; /* 32-bit window, ending at or below 4 GiB */
	uint64_t mmio32_size; /* bytes, not 0 */
	uint64_t mmio64_base; /* 64-bit window */
	uint64_t mmio64_size; /* bytes; 0: none */
};

/*
 * Creates bus 0 with the host bridge at slot 0 and windows (cfg), which
 * must not wrap or overlap, the 32-bit one below 4 GiB. 0, -EINVAL or
 * -ENOMEM.
 */
int pci_bus_create(const struct pci_bus_config *cfg, struct pci_bus **out);

/* Frees the bus and its host bridge, not the devices added; accepts
 * NULL. After every vCPU thread has stopped. */
void pci_bus_destroy(struct pci_bus *bus);

/*
 * Puts (d) at (slot) (1-31), or at the lowest free slot when (slot) is
 * negative; sets (*slot_out) when not NULL. A device is on one bus at
 * most. 0, -EINVAL, -EBUSY (slot or device taken) or -ENOSPC (bus full).
 */
int pci_bus_add_dev(struct pci_bus *bus, struct pci_dev *d, int slot,
		    unsigned int *slot_out);

/*
 * Gives every BAR of every device an address: naturally aligned (at least
 * 4 KiB, so that KVM can map it), largest first; 64-bit prefetchable BARs
 * in the 64-bit window when there is one and it has room, other 64-bit
 * BARs in the 32-bit window first, 32-bit BARs and ROMs in the 32-bit one.
 * Memory decode stays as it is (off after creation): the guest turns it
 * on. Linux keeps assignments that fit the host bridge's windows. Before
 * the vCPUs run. 0, or -ENOSPC when they do not fit (some BARs may then
 * hold addresses).
 */
int pci_bus_assign_bars(struct pci_bus *bus);

/*
 * bus_access_fn for ports PCI_CF8_PORT..+7 (ctx: the bus). A dword at
 * 0xCF8 is CONFIG_ADDRESS, read back as written; 0xCFC-0xCFF is
 * CONFIG_DATA, in bytes, words or a dword that stay within it.
 */
bus_access_fn pci_cf8_access;

/* bus_access_fn for the ECAM window of bus 0, PCI_ECAM_SIZE bytes (ctx:
 * the bus). Accesses of 1, 2 or 4 bytes, naturally aligned. */
bus_access_fn pci_ecam_access;

/* bus_access_fns for the 32-bit and the 64-bit window (ctx: the bus):
 * trapped accesses to whichever BAR decodes the address. */
bus_access_fn pci_mmio32_access;
bus_access_fn pci_mmio64_access;

/*
 * Creates a device with identity (cfg) and hooks (ops)(ctx) ((ops) must
 * outlive it): command 0, no BARs, no capabilities. 0, -EINVAL (vendor
 * 0xffff, no ops) or -ENOMEM.
 */
int pci_dev_create(const struct pci_dev_config *cfg,
		   const struct pci_dev_ops *ops, void *ctx,
		   struct pci_dev **out);

/* Frees (d); after its bus is destroyed, or if it never was on one.
 * Accepts NULL. */
void pci_dev_destroy(struct pci_dev *d);

/*
 * Declares BAR (bar) (0-5, or PCI_ROM_BAR) as (size) bytes of memory with
 * (flags) (PCI_BAR_MEM64, PCI_BAR_PREFETCH; 0 for the ROM). (size) is a
 * power of two, at least 16 (2 KiB for the ROM), at most 2 GiB unless
 * 64-bit; a 64-bit BAR takes (bar + 1) too. Before pci_bus_assign_bars().
 * 0, -EINVAL or -EBUSY (that BAR is taken).
 */
int pci_dev_set_bar(struct pci_dev *d, unsigned int bar, uint64_t size,
		    uint32_t flags);

/*
 * Appends a capability with ID (id) of (len) bytes (its 2-byte header
 * included; 2-192) to the list, dword aligned, and sets (*off) to where
 * it starts. Its body reads 0 and is read-only until pci_dev_cfg_set().
 * 0, -EINVAL or -ENOSPC (no room below 0x100).
 */
int pci_dev_add_cap(struct pci_dev *d, uint8_t id, uint32_t len, uint32_t *off);

/*
 * Sets (len) (1, 2 or 4) bytes at (off), naturally aligned: their value
 * (val), which bits the guest may write (wmask) and which it clears by
 * writing 1 (w1c: status bits, not in wmask). For a device model building
 * its config space; no hooks run. 0 or -EINVAL (out of range, overlapping
 * masks, or the command register, a BAR or the ROM, whose semantics the
 * core owns).
 */
int pci_dev_cfg_set(struct pci_dev *d, uint32_t off, uint32_t len, uint32_t val,
		    uint32_t wmask, uint32_t w1c);

/*
 * The default emulation: reads or writes (len) bytes at (off) of (d)'s
 * config space, for the device's own cfg_read/cfg_write hooks (and the
 * bus, when there are none). Out-of-range bytes read as all ones and are
 * not written. A write applies each bit's mask, then BAR sizing and the
 * command register; any BAR whose mapping changed reaches bar_moved()
 * before it returns. Any thread; serialised per device.
 */
void pci_dev_cfg_read(struct pci_dev *d, uint32_t off, uint8_t *data,
		      uint32_t len);
void pci_dev_cfg_write(struct pci_dev *d, uint32_t off, const uint8_t *data,
		       uint32_t len);

/* Where (bar) decodes now, or PCI_BAR_UNMAPPED. */
uint64_t pci_dev_bar_addr(struct pci_dev *d, unsigned int bar);

#endif
