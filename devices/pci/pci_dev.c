// SPDX-License-Identifier: Apache-2.0
/* devices/pci/pci_dev.c: a PCI function's config space and BARs. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "devices/pci/pci_priv.h"

/* Command bits a guest may set (PCI 3.0 6.2.2): memory space, bus master,
 * parity error response, SERR# enable, interrupt disable. I/O space stays
 * 0: there are no I/O BARs. */
#define PCI_COMMAND_WMASK 0x0546
/* Status bits that a 1 clears (6.2.3): master data parity error (8),
 * signaled/received target abort, received master abort, signaled system
 * error, detected parity error (11-15). */
#define PCI_STATUS_W1C 0xf900
#define PCI_CACHE_LINE_SIZE 0x0c /* read/write, unused by us */

#define PCI_BAR_ADDR_MASK 0xfffffff0u /* memory BAR: bits 31-4 */
#define PCI_ROM_ADDR_MASK 0xfffff800u /* ROM: bits 31-11 */
#define PCI_ROM_MIN_SIZE 0x800 /* 2 KiB: bits 10-1 are reserved */
#define PCI_BAR_MIN_SIZE 16 /* bits 3-0 are flags */
#define PCI_BAR_UPPER 0x100 /* bar_flags: upper half of a 64-bit BAR */

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static void wr(uint8_t *p, uint32_t v, uint32_t len)
{
	for (uint32_t i = 0; i < len; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t bar_reg(unsigned int bar)
{
	return bar == PCI_ROM_BAR ? PCI_ROM_ADDRESS : PCI_BAR0 + 4 * bar;
}

int pci_dev_create(const struct pci_dev_config *cfg,
		   const struct pci_dev_ops *ops, void *ctx,
		   struct pci_dev **out)
{
	struct pci_dev *d;

	if (!cfg || !ops || !out || cfg->vendor_id == 0xffff ||
	    cfg->class_code > 0xffffff)
		return -EINVAL;
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	pthread_mutex_init(&d->lock, NULL);
	d->ops = ops;
	d->ctx = ctx;
	wr(d->cfg + PCI_VENDOR_ID, cfg->vendor_id, 2);
	wr(d->cfg + PCI_DEVICE_ID, cfg->device_id, 2);
	wr(d->cfg + PCI_CLASS_REVISION, cfg->class_code << 8 | cfg->revision,
	   4);
	wr(d->cfg + PCI_SUBSYSTEM_VENDOR_ID, cfg->subsys_vendor_id, 2);
	wr(d->cfg + PCI_SUBSYSTEM_ID, cfg->subsys_id, 2);
	wr(d->wmask + PCI_COMMAND, PCI_COMMAND_WMASK, 2);
	wr(d->w1c + PCI_STATUS, PCI_STATUS_W1C, 2);
	d->wmask[PCI_CACHE_LINE_SIZE] = 0xff;
	d->wmask[PCI_INTERRUPT_LINE] = 0xff;
	for (unsigned int i = 0; i < PCI_NR_REGIONS; i++)
		d->mapped[i] = PCI_BAR_UNMAPPED;
	d->cap_next = PCI_CAP_START;
	*out = d;
	return 0;
}

void pci_dev_destroy(struct pci_dev *d)
{
	if (!d)
		return;
	pthread_mutex_destroy(&d->lock);
	free(d);
}

static bool pci_is_pow2(uint64_t v)
{
	return v && !(v & (v - 1));
}

/* Whether (size, flags) make a valid BAR (bar). */
static bool pci_bar_is_valid(unsigned int bar, uint64_t size, uint32_t flags)
{
	if (!pci_is_pow2(size))
		return false;
	if (bar == PCI_ROM_BAR)
		return !flags && size >= PCI_ROM_MIN_SIZE &&
		       size <= 0x80000000ULL;
	if (bar >= PCI_NR_BARS || (flags & ~(PCI_BAR_MEM64 | PCI_BAR_PREFETCH)))
		return false;
	if (size < PCI_BAR_MIN_SIZE)
		return false;
	if (flags & PCI_BAR_MEM64)
		return bar + 1 < PCI_NR_BARS && size <= 1ULL << 63;
	return size <= 0x80000000ULL;
}

int pci_dev_set_bar(struct pci_dev *d, unsigned int bar, uint64_t size,
		    uint32_t flags)
{
	uint32_t reg = bar_reg(bar);
	uint64_t wmask = ~(size - 1);
	bool is64 = flags & PCI_BAR_MEM64;

	if (!d || !pci_bar_is_valid(bar, size, flags))
		return -EINVAL;
	pthread_mutex_lock(&d->lock);
	if (d->bar_size[bar] || (d->bar_flags[bar] & PCI_BAR_UPPER) ||
	    (is64 && (d->bar_size[bar + 1] ||
		      (d->bar_flags[bar + 1] & PCI_BAR_UPPER)))) {
		pthread_mutex_unlock(&d->lock);
		return -EBUSY;
	}
	d->bar_size[bar] = size;
	d->bar_flags[bar] = flags;
	/* Sizing (6.2.5.1): the address bits below the size are read-only
	 * 0, so writing all ones reads back ~(size - 1) | flags. */
	if (bar == PCI_ROM_BAR) {
		wr(d->cfg + reg, 0, 4);
		wr(d->wmask + reg,
		   ((uint32_t)wmask & PCI_ROM_ADDR_MASK) | PCI_ROM_ENABLE, 4);
	} else {
		wr(d->cfg + reg, flags, 4);
		wr(d->wmask + reg, (uint32_t)wmask & PCI_BAR_ADDR_MASK, 4);
	}
	if (is64) {
		d->bar_flags[bar + 1] = PCI_BAR_UPPER;
		wr(d->cfg + reg + 4, 0, 4);
		wr(d->wmask + reg + 4, (uint32_t)(wmask >> 32), 4);
	}
	pthread_mutex_unlock(&d->lock);
	return 0;
}

int pci_dev_add_cap(struct pci_dev *d, uint8_t id, uint32_t len, uint32_t *off)
{
	uint32_t at;

	if (!d || !off || len < 2 || len > PCI_CAP_END - PCI_CAP_START)
		return -EINVAL;
	pthread_mutex_lock(&d->lock);
	at = d->cap_next;
	if (len > PCI_CAP_END - at) {
		pthread_mutex_unlock(&d->lock);
		return -ENOSPC;
	}
	/* ID, then Next (0: the last); the previous one now points here
	 * (6.7). Both bytes are read-only. */
	d->cfg[at] = id;
	d->cfg[at + 1] = 0;
	if (d->cap_last)
		d->cfg[d->cap_last + 1] = (uint8_t)at;
	else
		d->cfg[PCI_CAP_PTR] = (uint8_t)at;
	d->cfg[PCI_STATUS] |= PCI_STATUS_CAP_LIST;
	d->cap_last = at;
	d->cap_next = (at + len + 3) & ~3u;
	*off = at;
	pthread_mutex_unlock(&d->lock);
	return 0;
}

/* Whether [off, off + len) touches [start, end). */
static bool pci_overlaps(uint32_t off, uint32_t len, uint32_t start,
			 uint32_t end)
{
	return off < end && start < off + len;
}

int pci_dev_cfg_set(struct pci_dev *d, uint32_t off, uint32_t len, uint32_t val,
		    uint32_t wmask, uint32_t w1c)
{
	if (!d || (len != 1 && len != 2 && len != 4) || off % len ||
	    off >= PCI_CFG_SIZE || (wmask & w1c))
		return -EINVAL;
	if (pci_overlaps(off, len, PCI_COMMAND, PCI_COMMAND + 2) ||
	    pci_overlaps(off, len, PCI_BAR0, PCI_BAR0 + 4 * PCI_NR_BARS) ||
	    pci_overlaps(off, len, PCI_ROM_ADDRESS, PCI_ROM_ADDRESS + 4))
		return -EINVAL;
	pthread_mutex_lock(&d->lock);
	wr(d->cfg + off, val, len);
	wr(d->wmask + off, wmask, len);
	wr(d->w1c + off, w1c, len);
	pthread_mutex_unlock(&d->lock);
	return 0;
}

void pci_dev_cfg_read(struct pci_dev *d, uint32_t off, uint8_t *data,
		      uint32_t len)
{
	uint32_t n = off < PCI_CFG_SIZE ? PCI_CFG_SIZE - off : 0;

	if (n > len)
		n = len;
	pthread_mutex_lock(&d->lock);
	memcpy(data, d->cfg + (n ? off : 0), n);
	pthread_mutex_unlock(&d->lock);
	memset(data + n, 0xff, len - n);
}

uint64_t pci_dev_decode(const struct pci_dev *d, unsigned int bar)
{
	const struct pci_bus_config *w;
	uint64_t size = d->bar_size[bar], addr;
	uint32_t lo = rd32(d->cfg + bar_reg(bar));

	if (!size || !d->bus || !(d->cfg[PCI_COMMAND] & PCI_COMMAND_MEMORY))
		return PCI_BAR_UNMAPPED;
	if (bar == PCI_ROM_BAR) {
		if (!(lo & PCI_ROM_ENABLE))
			return PCI_BAR_UNMAPPED;
		addr = lo & PCI_ROM_ADDR_MASK;
	} else {
		addr = lo & PCI_BAR_ADDR_MASK;
		if (d->bar_flags[bar] & PCI_BAR_MEM64)
			addr |= (uint64_t)rd32(d->cfg + bar_reg(bar + 1)) << 32;
	}
	/* 0 is where firmware leaves a BAR it did not assign; and only what
	 * lies inside a window reaches the bus. */
	w = &d->bus->cfg;
	if (!addr)
		return PCI_BAR_UNMAPPED;
	if (addr >= w->mmio32_base && size <= w->mmio32_size &&
	    addr - w->mmio32_base <= w->mmio32_size - size)
		return addr;
	if (addr >= w->mmio64_base && size <= w->mmio64_size &&
	    addr - w->mmio64_base <= w->mmio64_size - size)
		return addr;
	return PCI_BAR_UNMAPPED;
}

/* Publishes every BAR whose decode changed and tells the device, in BAR
 * order. Device lock held. */
static void pci_dev_update_maps(struct pci_dev *d)
{
	for (unsigned int bar = 0; bar < PCI_NR_REGIONS; bar++) {
		uint64_t now = pci_dev_decode(d, bar), was = d->mapped[bar];

		if (now == was)
			continue;
		/* The dispatch sees the new place before the device hears of
		 * it: an access trapped there meanwhile still finds it. */
		if (d->bus)
			pthread_rwlock_wrlock(&d->bus->lock);
		d->mapped[bar] = now;
		if (d->bus)
			pthread_rwlock_unlock(&d->bus->lock);
		if (d->ops->bar_moved)
			d->ops->bar_moved(d->ctx, bar, was, now);
	}
}

void pci_dev_cfg_write(struct pci_dev *d, uint32_t off, const uint8_t *data,
		       uint32_t len)
{
	uint32_t n = off < PCI_CFG_SIZE ? PCI_CFG_SIZE - off : 0;

	if (n > len)
		n = len;
	pthread_mutex_lock(&d->lock);
	for (uint32_t i = 0; i < n; i++) {
		uint8_t *c = &d->cfg[off + i], m = d->wmask[off + i];

		*c = (uint8_t)(((*c & ~m) | (data[i] & m)) &
			       ~(data[i] & d->w1c[off + i]));
	}
	pci_dev_update_maps(d);
	pthread_mutex_unlock(&d->lock);
}

void pci_dev_program_bar(struct pci_dev *d, unsigned int bar, uint64_t addr)
{
	uint32_t reg = bar_reg(bar);

	pthread_mutex_lock(&d->lock);
	if (bar == PCI_ROM_BAR) {
		/* The enable bit stays the guest's. */
		wr(d->cfg + reg,
		   ((uint32_t)addr & PCI_ROM_ADDR_MASK) |
			   (d->cfg[reg] & PCI_ROM_ENABLE),
		   4);
	} else {
		wr(d->cfg + reg,
		   ((uint32_t)addr & PCI_BAR_ADDR_MASK) | d->bar_flags[bar], 4);
		if (d->bar_flags[bar] & PCI_BAR_MEM64)
			wr(d->cfg + reg + 4, (uint32_t)(addr >> 32), 4);
	}
	pci_dev_update_maps(d);
	pthread_mutex_unlock(&d->lock);
}

uint64_t pci_dev_bar_addr(struct pci_dev *d, unsigned int bar)
{
	uint64_t addr;

	/* The bus's lock, not the device's: bar_moved() may ask. */
	if (!d || bar >= PCI_NR_REGIONS || !d->bus)
		return PCI_BAR_UNMAPPED;
	pthread_rwlock_rdlock(&d->bus->lock);
	addr = d->mapped[bar];
	pthread_rwlock_unlock(&d->bus->lock);
	return addr;
}
