// SPDX-License-Identifier: Apache-2.0
/* devices/pci/pci.c: PCI bus 0: config mechanisms, BAR windows. */
#include "devices/pci/pci.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "devices/pci/pci_priv.h"

/* CONFIG_ADDRESS (PCI Local Bus 3.0, 3.2.2.3.2, figure 3-2). */
#define CF8_ENABLE 0x80000000u /* bit 31: CONFIG_DATA accesses config */
#define CF8_BUS(a) (((a) >> 16) & 0xff) /* bits 23-16 */
#define CF8_DEV(a) (((a) >> 11) & 0x1f) /* bits 15-11 */
#define CF8_FN(a) (((a) >> 8) & 0x7) /* bits 10-8 */
/* Register: bits 7-2, and AMD's extension in bits 27-24 for offsets
 * 0x100-0xfff, which Linux's PCI_CONF1_ADDRESS() also encodes
 * (arch/x86/pci/direct.c). Honouring it keeps such an access off the
 * low 256 bytes instead of aliasing them. */
#define CF8_REG(a) ((((a) >> 16) & 0xf00) | ((a)&0xfc))
#define CF8_DATA 4 /* CONFIG_DATA's offset in our 8 ports */

/* ECAM offsets (PCIe Base 4.0, 7.2.2, table 7-1), bus 0 only. */
#define ECAM_DEV(o) (((o) >> 15) & 0x1f)
#define ECAM_FN(o) (((o) >> 12) & 0x7)
#define ECAM_REG(o) ((o)&0xfff)

/*
 * The host bridge's IDs, as Cloud Hypervisor's and Firecracker's: Linux
 * keys no quirk on them. It is here because Linux's pci_sanity_check()
 * (arch/x86/pci/direct.c) trusts mechanism #1 only when bus 0 holds a
 * host bridge or a VGA device (or an Intel/Compaq vendor ID), unless the
 * DMI BIOS date is 2001 or later; ignis has no DMI tables.
 */
#define PCI_HOST_VENDOR 0x8086
#define PCI_HOST_DEVICE 0x0d57

#define PCI_BAR_ALIGN 0x1000 /* a KVM memory slot's granule */

static const struct pci_dev_ops pci_host_ops; /* default emulation */

/* Not empty, not wrapping, and not at 0, which reads as "unassigned". */
static bool pci_window_is_valid(uint64_t base, uint64_t size)
{
	return base && size && size <= UINT64_MAX - base;
}

int pci_bus_create(const struct pci_bus_config *cfg, struct pci_bus **out)
{
	static const struct pci_dev_config host = {
		.vendor_id = PCI_HOST_VENDOR,
		.device_id = PCI_HOST_DEVICE,
		.class_code = PCI_CLASS_CODE_HOST,
	};
	struct pci_bus *bus;
	int err;

	if (!cfg || !out ||
	    !pci_window_is_valid(cfg->mmio32_base, cfg->mmio32_size) ||
	    cfg->mmio32_base + cfg->mmio32_size > 0x100000000ULL)
		return -EINVAL;
	if (cfg->mmio64_size &&
	    (!pci_window_is_valid(cfg->mmio64_base, cfg->mmio64_size) ||
	     (cfg->mmio64_base < cfg->mmio32_base + cfg->mmio32_size &&
	      cfg->mmio32_base < cfg->mmio64_base + cfg->mmio64_size)))
		return -EINVAL;
	bus = calloc(1, sizeof(*bus));
	if (!bus)
		return -ENOMEM;
	bus->cfg = *cfg;
	if (!cfg->mmio64_size)
		bus->cfg.mmio64_base = 0;
	err = pci_dev_create(&host, &pci_host_ops, NULL, &bus->devs[0]);
	if (err)
		goto err_free_bus;
	pthread_rwlock_init(&bus->lock, NULL);
	bus->devs[0]->bus = bus;
	atomic_init(&bus->cf8, 0);
	*out = bus;
	return 0;

err_free_bus:
	free(bus);
	return err;
}

void pci_bus_destroy(struct pci_bus *bus)
{
	if (!bus)
		return;
	pci_dev_destroy(bus->devs[0]);
	pthread_rwlock_destroy(&bus->lock);
	free(bus);
}

int pci_bus_add_dev(struct pci_bus *bus, struct pci_dev *d, int slot,
		    unsigned int *slot_out)
{
	int err = 0;

	if (!bus || !d || slot == 0 || slot >= PCI_NR_SLOTS)
		return -EINVAL;
	pthread_mutex_lock(&d->lock);
	pthread_rwlock_wrlock(&bus->lock);
	if (d->bus) {
		err = -EBUSY;
		goto out_unlock;
	}
	if (slot < 0) {
		for (slot = 1; slot < PCI_NR_SLOTS && bus->devs[slot]; slot++)
			;
		if (slot == PCI_NR_SLOTS) {
			err = -ENOSPC;
			goto out_unlock;
		}
	} else if (bus->devs[slot]) {
		err = -EBUSY;
		goto out_unlock;
	}
	bus->devs[slot] = d;
	d->bus = bus;
	if (slot_out)
		*slot_out = (unsigned int)slot;
out_unlock:
	pthread_rwlock_unlock(&bus->lock);
	pthread_mutex_unlock(&d->lock);
	return err;
}

/* One BAR to place. */
struct pci_bar_req {
	struct pci_dev *d; /* its device */
	unsigned int bar; /* its index */
	uint64_t size; /* bytes */
	uint32_t flags; /* PCI_BAR_MEM64, PCI_BAR_PREFETCH */
	unsigned int order; /* slot * PCI_NR_REGIONS + bar: a stable sort */
};

/* Largest first, so that every next one is aligned where the last
 * ended; then in slot and BAR order. */
static int pci_bar_req_cmp(const void *a, const void *b)
{
	const struct pci_bar_req *x = a, *y = b;

	if (x->size != y->size)
		return x->size > y->size ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

/* Places (size) at the next (align)ed address of window [base, base +
 * len) after (*next); returns it, or 0 without room. */
static uint64_t pci_window_take(uint64_t base, uint64_t len, uint64_t *next,
				uint64_t size)
{
	uint64_t align = size > PCI_BAR_ALIGN ? size : PCI_BAR_ALIGN;
	uint64_t at;

	if (!len || *next > UINT64_MAX - (align - 1))
		return 0;
	at = (*next + align - 1) & ~(align - 1);
	if (at < base || at - base > len || size > len - (at - base))
		return 0;
	*next = at + size;
	return at;
}

int pci_bus_assign_bars(struct pci_bus *bus)
{
	struct pci_bar_req reqs[PCI_NR_SLOTS * PCI_NR_REGIONS];
	const struct pci_bus_config *w = &bus->cfg;
	uint64_t next32 = w->mmio32_base, next64 = w->mmio64_base;
	unsigned int n = 0;
	int err = 0;

	/* devs[] and the BAR sizes change only while the VM is built. */
	for (unsigned int s = 0; s < PCI_NR_SLOTS; s++) {
		struct pci_dev *d = bus->devs[s];

		for (unsigned int b = 0; d && b < PCI_NR_REGIONS; b++)
			if (d->bar_size[b])
				reqs[n++] = (struct pci_bar_req){
					.d = d,
					.bar = b,
					.size = d->bar_size[b],
					.flags = d->bar_flags[b],
					.order = s * PCI_NR_REGIONS + b,
				};
	}
	qsort(reqs, n, sizeof(reqs[0]), pci_bar_req_cmp);
	for (unsigned int i = 0; i < n; i++) {
		const struct pci_bar_req *r = &reqs[i];
		bool is64 = r->flags & PCI_BAR_MEM64;
		bool pref64 = is64 && (r->flags & PCI_BAR_PREFETCH);
		uint64_t at = 0;

		if (pref64)
			at = pci_window_take(w->mmio64_base, w->mmio64_size,
					     &next64, r->size);
		if (!at)
			at = pci_window_take(w->mmio32_base, w->mmio32_size,
					     &next32, r->size);
		if (!at && is64 && !pref64)
			at = pci_window_take(w->mmio64_base, w->mmio64_size,
					     &next64, r->size);
		if (!at) {
			err = -ENOSPC;
			continue;
		}
		pci_dev_program_bar(r->d, r->bar, at);
	}
	return err;
}

/* The device at (slot), function (fn), or NULL: function 0 only. */
static struct pci_dev *pci_bus_get(struct pci_bus *bus, unsigned int slot,
				   unsigned int fn)
{
	struct pci_dev *d;

	if (fn || slot >= PCI_NR_SLOTS)
		return NULL;
	pthread_rwlock_rdlock(&bus->lock);
	d = bus->devs[slot];
	pthread_rwlock_unlock(&bus->lock);
	return d;
}

/* One config access, (reg, len) inside one dword: the device's hook or
 * the default emulation; all ones from an absent function. */
static void pci_bus_cfg(struct pci_bus *bus, unsigned int slot, unsigned int fn,
			uint32_t reg, uint8_t *data, uint32_t len,
			bool is_write)
{
	struct pci_dev *d = pci_bus_get(bus, slot, fn);

	if (!is_write)
		memset(data, 0xff, len); /* what a hook leaves untouched */
	if (!d)
		return;
	if (is_write && d->ops->cfg_write)
		d->ops->cfg_write(d->ctx, d, reg, data, len);
	else if (is_write)
		pci_dev_cfg_write(d, reg, data, len);
	else if (d->ops->cfg_read)
		d->ops->cfg_read(d->ctx, d, reg, data, len);
	else
		pci_dev_cfg_read(d, reg, data, len);
}

static void pci_unclaimed(uint8_t *data, uint32_t len, bool is_write)
{
	if (!is_write)
		memset(data, 0xff, len);
}

void pci_cf8_access(void *ctx, uint64_t off, uint8_t *data, uint32_t len,
		    bool is_write)
{
	struct pci_bus *bus = ctx;
	uint32_t a, k;

	/* CONFIG_ADDRESS answers dword accesses only; smaller ones go to
	 * other ISA devices on a PC, and here to nobody. */
	if (off == 0 && len == 4) {
		if (is_write) {
			memcpy(&a, data, 4);
			atomic_store(&bus->cf8, a);
		} else {
			a = atomic_load(&bus->cf8);
			memcpy(data, &a, 4);
		}
		return;
	}
	/* CONFIG_DATA: bytes (len) at (k) of the dword the address names. */
	k = off >= CF8_DATA && off < PCI_CF8_PORTS ? (uint32_t)off - CF8_DATA :
						     4;
	if ((len != 1 && len != 2 && len != 4) || k + len > 4) {
		pci_unclaimed(data, len, is_write);
		return;
	}
	a = atomic_load(&bus->cf8);
	if (!(a & CF8_ENABLE) || CF8_BUS(a)) {
		pci_unclaimed(data, len, is_write);
		return;
	}
	pci_bus_cfg(bus, CF8_DEV(a), CF8_FN(a), CF8_REG(a) + k, data, len,
		    is_write);
}

void pci_ecam_access(void *ctx, uint64_t off, uint8_t *data, uint32_t len,
		     bool is_write)
{
	/* Config requests are at most a dword, naturally aligned (PCIe
	 * Base 4.0, 7.2.2); a larger or split one is not claimed. */
	if (off >= PCI_ECAM_SIZE || (len != 1 && len != 2 && len != 4) ||
	    off % len) {
		pci_unclaimed(data, len, is_write);
		return;
	}
	pci_bus_cfg(ctx, ECAM_DEV(off), ECAM_FN(off), ECAM_REG(off), data, len,
		    is_write);
}

/* A trapped access at (addr): the device whose BAR decodes all of it. */
static void pci_bus_mmio(struct pci_bus *bus, uint64_t addr, uint8_t *data,
			 uint32_t len, bool is_write)
{
	struct pci_dev *hit = NULL;
	unsigned int hit_bar = 0;
	uint64_t hit_off = 0;

	if (len != 1 && len != 2 && len != 4 && len != 8) {
		pci_unclaimed(data, len, is_write);
		return;
	}
	pthread_rwlock_rdlock(&bus->lock);
	for (unsigned int s = 0; s < PCI_NR_SLOTS && !hit; s++) {
		struct pci_dev *d = bus->devs[s];

		for (unsigned int b = 0; d && b < PCI_NR_REGIONS; b++) {
			uint64_t at = d->mapped[b], size = d->bar_size[b];

			if (at == PCI_BAR_UNMAPPED || addr < at ||
			    addr - at >= size || len > size - (addr - at))
				continue;
			hit = d;
			hit_bar = b;
			hit_off = addr - at;
			break;
		}
	}
	pthread_rwlock_unlock(&bus->lock);
	/* Called unlocked: the device may take its own locks, and a BAR
	 * move racing this access may leave it at the old place, as a
	 * transaction already on a real bus is. */
	if (!hit || !hit->ops->bar_access) {
		pci_unclaimed(data, len, is_write);
		return;
	}
	hit->ops->bar_access(hit->ctx, hit_bar, hit_off, data, len, is_write);
}

void pci_mmio32_access(void *ctx, uint64_t off, uint8_t *data, uint32_t len,
		       bool is_write)
{
	struct pci_bus *bus = ctx;

	if (off >= bus->cfg.mmio32_size) {
		pci_unclaimed(data, len, is_write);
		return;
	}
	pci_bus_mmio(bus, bus->cfg.mmio32_base + off, data, len, is_write);
}

void pci_mmio64_access(void *ctx, uint64_t off, uint8_t *data, uint32_t len,
		       bool is_write)
{
	struct pci_bus *bus = ctx;

	if (off >= bus->cfg.mmio64_size) {
		pci_unclaimed(data, len, is_write);
		return;
	}
	pci_bus_mmio(bus, bus->cfg.mmio64_base + off, data, len, is_write);
}
