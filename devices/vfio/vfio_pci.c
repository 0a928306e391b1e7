// SPDX-License-Identifier: Apache-2.0
/* devices/vfio/vfio_pci.c: a VFIO device as a function on ignis's PCI bus. */
#include "devices/vfio/vfio_pci.h"

#include <errno.h>
#include <linux/vfio.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "devices/pci/msix.h"
#include "devices/vfio/vfio_pci_priv.h"
#include "vmm/log.h"

/* BAR facts (PCI Local Bus 3.0, 6.2.5.1). */
#define BAR_IO 0x1 /* BAR bit 0: I/O space */
#define BAR_TYPE(r) (((r) >> 1) & 0x3) /* memory BAR type, bits 2-1 */
#define BAR_TYPE_64 0x2 /* 10b: 64-bit */
#define BAR_PREFETCH 0x8 /* bit 3 */

static void set_why(char *why, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void set_why(char *why, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (!why || !len)
		return;
	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
}

/* ---- BARs and their KVM slots ---- */

/* Removes (b)'s slots from the guest, if they are there. */
static void bar_unmap(struct vfio_pci *vp, struct vfio_pci_bar *b)
{
	for (unsigned int i = 0; i < b->nr_mapped; i++) {
		int err = vp->host->unmap_mmio(
			vp->host_ctx, b->mapped_at + b->slots[i].offset,
			b->slots[i].size);
		if (err)
			vp_error(vp, "unmap_mmio: %s", strerror(-err));
	}
	b->nr_mapped = 0;
	b->mapped_at = PCI_BAR_UNMAPPED;
}

/* Makes (b)'s slots guest memory at (gpa); all or none: what fails to
 * map is trapped, which is slower but right. */
static void bar_map(struct vfio_pci *vp, unsigned int bar, uint64_t gpa)
{
	struct vfio_pci_bar *b = &vp->bars[bar];
	int err;

	if (!b->nr_slots)
		return;
	/* A KVM slot starts and ends on a page: a BAR the guest put
	 * elsewhere (possible only when it is smaller than a page) is
	 * trapped whole. */
	if (gpa % vp->page || gpa > UINT64_MAX - b->size) {
		log_info("vfio-pci: %s: BAR%u at %#llx: not page aligned, "
			 "trapped",
			 vfio_device_desc(vp->dev)->name, bar,
			 (unsigned long long)gpa);
		return;
	}
	b->mapped_at = gpa;
	for (unsigned int i = 0; i < b->nr_slots; i++) {
		err = vp->host->map_mmio(vp->host_ctx, gpa + b->slots[i].offset,
					 b->slots[i].size, b->slots[i].host);
		if (err) {
			vp_error(vp, "BAR%u: map_mmio: %s: trapped", bar,
				 strerror(-err));
			bar_unmap(vp, b);
			return;
		}
		b->nr_mapped = i + 1;
	}
}

/* bar_moved(): the pci_dev's config lock serialises calls, so (bars)
 * needs no lock of ours. */
static void vfio_pci_bar_moved(void *ctx, unsigned int bar, uint64_t old_addr,
			       uint64_t new_addr)
{
	struct vfio_pci *vp = ctx;

	(void)old_addr; /* mapped_at says what is really there */
	if (bar >= PCI_NR_BARS)
		return; /* the ROM: none */
	bar_unmap(vp, &vp->bars[bar]);
	if (new_addr != PCI_BAR_UNMAPPED)
		bar_map(vp, bar, new_addr);
}

/* [start, end) of a BAR: a range that must trap. */
struct hole {
	uint64_t start, end;
};

/* Adds [s, e) of area (m), less (holes), to (b)'s slots. */
static void bar_add_slots(struct vfio_pci_bar *b, const struct vfio_bar_map *m,
			  uint64_t s, uint64_t e, const struct hole *holes,
			  unsigned int nr)
{
	for (unsigned int i = 0; i < nr; i++) {
		const struct hole *h = &holes[i];

		if (h->start >= e || s >= h->end)
			continue;
		/* Holes before (i) missed [s, e), so they miss its parts. */
		if (s < h->start)
			bar_add_slots(b, m, s, h->start, h + 1, nr - i - 1);
		if (h->end < e)
			bar_add_slots(b, m, h->end, e, h + 1, nr - i - 1);
		return;
	}
	if (s < e)
		b->slots[b->nr_slots++] = (struct vfio_pci_slot){
			s, e - s, (uint8_t *)m->host + (s - m->offset)
		};
}

/* Rounds [off, off + size) out to host pages. */
static struct hole page_hole(const struct vfio_pci *vp, uint64_t off,
			     uint64_t size)
{
	return (struct hole){ off / vp->page * vp->page,
			      (off + size + vp->page - 1) / vp->page *
				      vp->page };
}

/* mmaps BAR (bar)'s areas and cuts them into slots: whole pages, with
 * the pages holding the MSI-X table and PBA left out, because ignis
 * emulates them even where the kernel would let the table be mapped
 * (VFIO_REGION_INFO_CAP_MSIX_MAPPABLE). */
static int bar_make_slots(struct vfio_pci *vp, unsigned int bar)
{
	const struct vfio_device_desc *desc = vfio_device_desc(vp->dev);
	const struct vfio_msix *mx = &desc->msix;
	struct vfio_pci_bar *b = &vp->bars[bar];
	const struct vfio_bar_map *maps;
	struct hole holes[2];
	unsigned int nr_holes = 0;
	int n = vfio_device_map_bar(vp->dev, bar, &maps);

	if (n < 0) {
		log_warn("vfio-pci: %s: BAR%u: mmap: %s: trapped", desc->name,
			 bar, strerror(-n));
		return 0;
	}
	if (!n)
		return 0;
	if (mx->present && mx->table_bar == bar)
		holes[nr_holes++] = page_hole(vp, mx->table_offset,
					      MSIX_TABLE_BYTES(mx->table_size));
	if (mx->present && mx->pba_bar == bar)
		holes[nr_holes++] = page_hole(vp, mx->pba_offset,
					      MSIX_PBA_BYTES(mx->table_size));
	/* Each hole splits an area in two at most: three parts. */
	b->slots = calloc((size_t)n * 3, sizeof(*b->slots));
	if (!b->slots)
		return -ENOMEM;
	for (int i = 0; i < n; i++) {
		uint64_t s =
			(maps[i].offset + vp->page - 1) / vp->page * vp->page;
		uint64_t e =
			(maps[i].offset + maps[i].size) / vp->page * vp->page;

		if (e > b->size)
			e = b->size / vp->page * vp->page;
		if (s < e)
			bar_add_slots(b, &maps[i], s, e, holes, nr_holes);
	}
	return 0;
}

/* Declares BAR (bar) as the hardware has it; returns how many BAR
 * registers it takes (1, or 2 for a 64-bit one). */
static int bar_declare(struct vfio_pci *vp, const uint8_t *cfg,
		       unsigned int bar, unsigned int *used)
{
	const struct vfio_device_desc *desc = vfio_device_desc(vp->dev);
	uint32_t reg = le32(cfg + PCI_BAR0 + 4 * bar), flags = 0;
	uint64_t size = bar < desc->nr_regions ? desc->regions[bar].size : 0;
	int err;

	*used = 1;
	if (!size)
		return 0;
	if (reg & BAR_IO) {
		log_info("vfio-pci: %s: BAR%u is I/O space: hidden (no I/O "
			 "window)",
			 desc->name, bar);
		return 0;
	}
	if (BAR_TYPE(reg) == BAR_TYPE_64) {
		flags |= PCI_BAR_MEM64;
		*used = 2;
	}
	if (reg & BAR_PREFETCH)
		flags |= PCI_BAR_PREFETCH;
	err = pci_dev_set_bar(vp->pdev, bar, size, flags);
	if (err == -ENOMEM)
		return err;
	if (err) {
		/* Not a power of two, too big, a 64-bit BAR5, type 01b:
		 * nothing a guest could place. */
		log_warn("vfio-pci: %s: BAR%u (%#x, %llu bytes): hidden",
			 desc->name, bar, reg, (unsigned long long)size);
		return 0;
	}
	vp->bars[bar].size = size;
	return bar_make_slots(vp, bar);
}

/* ---- BAR accesses that trap ---- */

static void vfio_pci_bar_access(void *ctx, unsigned int bar, uint64_t off,
				uint8_t *data, uint32_t len, bool is_write)
{
	struct vfio_pci *vp = ctx;
	int err;

	if (vp->msix && bar == vp->table_bar && off >= vp->table_off &&
	    off - vp->table_off < MSIX_TABLE_BYTES(vp->nr_vectors)) {
		msix_table_access(vp->msix, off - vp->table_off, data, len,
				  is_write);
		return;
	}
	if (vp->msix && bar == vp->pba_bar && off >= vp->pba_off &&
	    off - vp->pba_off < MSIX_PBA_BYTES(vp->nr_vectors)) {
		msix_pba_access(vp->msix, off - vp->pba_off, data, len,
				is_write);
		return;
	}
	if (bar >= PCI_NR_BARS ||
	    (len != 1 && len != 2 && len != 4 && len != 8))
		err = -EINVAL;
	else if (is_write)
		err = vfio_device_region_write(vp->dev, bar, off, data, len);
	else
		err = vfio_device_region_read(vp->dev, bar, off, data, len);
	if (err) {
		vp_error(vp, "BAR%u %s at %#llx: %s", bar,
			 is_write ? "write" : "read", (unsigned long long)off,
			 strerror(-err));
		if (!is_write)
			memset(data, 0xff, len > 8 ? 8 : len);
	}
}

static const struct pci_dev_ops vfio_pci_ops = {
	.cfg_read = vfio_pci_cfg_read,
	.cfg_write = vfio_pci_cfg_write,
	.bar_access = vfio_pci_bar_access,
	.bar_moved = vfio_pci_bar_moved,
};

/* ---- MSI-X ---- */

/*
 * (vector) on: its route first, then the irqfd, so that the first
 * injection already goes where the guest said. Off: irqfd first, then
 * the route. While the irqfd is off the kernel's signals only count up
 * in the eventfd; KVM_IRQFD assign polls the eventfd and injects at
 * once if it is readable (Linux virt/kvm/eventfd.c, kvm_irqfd_assign():
 * vfs_poll(), then schedule_work(&irqfd->inject) on EPOLLIN), so an
 * event that came while masked is delivered at unmask: the pending bit
 * of PCI 3.0 6.8.2.9, kept by the eventfd. (Deassign clears the count,
 * irqfd_shutdown()'s eventfd_ctx_remove_wait_queue(), but everything
 * counted until then was injected already.) The PBA the guest reads is
 * the emulation's and does not show such events; drivers do not poll
 * it. The msix lock is held.
 */
static int vfio_pci_msix_route(void *ctx, unsigned int vector, bool on,
			       uint64_t addr, uint32_t data)
{
	struct vfio_pci *vp = ctx;
	struct vfio_pci_vector *v = &vp->vecs[vector];
	int fd = vp->efds[vector], err;

	if (on) {
		err = vp->host->msi_route(vp->host_ctx, v->gsi, true, addr,
					  data);
		if (err)
			return err;
		v->routed = true;
		if (!v->irqfd_on) {
			err = vp->host->irqfd(vp->host_ctx, fd, v->gsi, true);
			if (err)
				return err;
			v->irqfd_on = true;
		}
		return 0;
	}
	if (v->irqfd_on) {
		err = vp->host->irqfd(vp->host_ctx, fd, v->gsi, false);
		if (err)
			return err;
		v->irqfd_on = false;
	}
	if (v->routed) {
		err = vp->host->msi_route(vp->host_ctx, v->gsi, false, 0, 0);
		if (err)
			return err;
		v->routed = false;
	}
	return 0;
}

static int vfio_pci_msix_send(void *ctx, unsigned int vector, uint64_t addr,
			      uint32_t data)
{
	struct vfio_pci *vp = ctx;

	(void)vector;
	return vp->host->send_msi(vp->host_ctx, addr, data);
}

static const struct msix_ops vfio_pci_msix_ops = {
	.route = vfio_pci_msix_route,
	.send = vfio_pci_msix_send,
};

/* MSI-X's emulation when the hardware has a usable one: its table and
 * PBA in exposed memory BARs, and vectors the kernel can signal. */
static int msix_setup(struct vfio_pci *vp, char *why, size_t len)
{
	const struct vfio_device_desc *desc = vfio_device_desc(vp->dev);
	const struct vfio_msix *mx = &desc->msix;
	unsigned int n = mx->table_size;
	int err;

	if (desc->irqs[VFIO_PCI_MSIX_IRQ_INDEX].count < n)
		n = desc->irqs[VFIO_PCI_MSIX_IRQ_INDEX].count;
	if (!mx->present || !n || !vp->bars[mx->table_bar].size ||
	    !vp->bars[mx->pba_bar].size)
		return 0;
	vp->efds = malloc(n * sizeof(*vp->efds));
	vp->vecs = calloc(n, sizeof(*vp->vecs));
	if (!vp->efds || !vp->vecs) {
		set_why(why, len, "out of memory");
		return -ENOMEM;
	}
	for (unsigned int i = 0; i < n; i++)
		vp->efds[i] = -1;
	vp->nr_vectors = n;
	for (unsigned int i = 0; i < n; i++) {
		vp->efds[i] = eventfd(0, EFD_CLOEXEC);
		if (vp->efds[i] < 0) {
			err = -errno;
			set_why(why, len, "eventfd: %s", strerror(-err));
			return err;
		}
		err = vp->host->msi_gsi_alloc(vp->host_ctx, &vp->vecs[i].gsi);
		if (err) {
			set_why(why, len, "no GSI for MSI-X vector %u: %s", i,
				strerror(-err));
			return err;
		}
	}
	err = msix_create(n, &vfio_pci_msix_ops, vp, &vp->msix);
	if (err) {
		set_why(why, len, "msix: %s", strerror(-err));
		return err;
	}
	vp->msix_cap = mx->cap;
	vp->table_bar = mx->table_bar;
	vp->table_off = mx->table_offset;
	vp->pba_bar = mx->pba_bar;
	vp->pba_off = mx->pba_offset;
	return 0;
}

/*
 * INTx, where the hardware has it and a pin: on from the start, as on a
 * real function, and off while MSI-X is on (vfio_pci_cfg.c). The line
 * is level: the kernel signals intx_trigger and masks INTx, the VM
 * holds the guest's line up until the guest's EOI, then writes
 * intx_unmask (what KVM_IRQFD_FLAG_RESAMPLE would do with a kernel
 * IOAPIC). If the kernel refuses, the guest only loses INTx: the pin
 * reads 0.
 */
static int intx_setup(struct vfio_pci *vp, const uint8_t *cfg, char *why,
		      size_t len)
{
	const struct vfio_device_desc *desc = vfio_device_desc(vp->dev);
	uint8_t pin = cfg[PCI_INTERRUPT_PIN];
	int err;

	if (desc->irqs[VFIO_PCI_INTX_IRQ_INDEX].count != 1 || pin < 1 ||
	    pin > 4)
		return 0;
	vp->intx_trigger = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	vp->intx_unmask = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (vp->intx_trigger < 0 || vp->intx_unmask < 0) {
		err = -errno;
		set_why(why, len, "eventfd: %s", strerror(-err));
		return err;
	}
	err = vfio_device_set_intx(vp->dev, vp->intx_trigger, vp->intx_unmask);
	if (err) {
		log_warn("vfio-pci: %s: INTx: %s: no INTx", desc->name,
			 strerror(-err));
		close(vp->intx_trigger);
		close(vp->intx_unmask);
		vp->intx_trigger = vp->intx_unmask = -1;
		return 0;
	}
	vp->intx_pin = pin;
	vp->intx_on = true;
	return 0;
}

/* ---- life ---- */

/* Frees what create made; the VM side is already undone. */
static void vfio_pci_free(struct vfio_pci *vp)
{
	msix_destroy(vp->msix);
	for (unsigned int i = 0; vp->efds && i < vp->nr_vectors; i++)
		if (vp->efds[i] >= 0)
			close(vp->efds[i]);
	free(vp->efds);
	free(vp->vecs);
	if (vp->intx_trigger >= 0)
		close(vp->intx_trigger);
	if (vp->intx_unmask >= 0)
		close(vp->intx_unmask);
	for (unsigned int b = 0; b < PCI_NR_BARS; b++)
		free(vp->bars[b].slots);
	pci_dev_destroy(vp->pdev);
	pthread_mutex_destroy(&vp->lock);
	free(vp);
}

static bool host_ops_are_complete(const struct vfio_pci_host_ops *h)
{
	return h && h->map_mmio && h->unmap_mmio && h->msi_gsi_alloc &&
	       h->msi_route && h->irqfd && h->send_msi;
}

int vfio_pci_create(struct vfio_device *d, const struct vfio_pci_host_ops *host,
		    void *host_ctx, struct vfio_pci **out, char *why,
		    size_t len)
{
	struct pci_dev_config id;
	struct vfio_pci *vp;
	uint8_t cfg[CFG_STD];
	unsigned int used;
	long page = sysconf(_SC_PAGESIZE);
	int err;

	if (!d || !out || !host_ops_are_complete(host) || page <= 0) {
		set_why(why, len, "vfio-pci: bad arguments");
		return -EINVAL;
	}
	err = vfio_device_config_read(d, 0, cfg, sizeof(cfg));
	if (err) {
		set_why(why, len, "%s: config space: %s",
			vfio_device_desc(d)->name, strerror(-err));
		return err;
	}
	vp = calloc(1, sizeof(*vp));
	if (!vp) {
		set_why(why, len, "out of memory");
		return -ENOMEM;
	}
	pthread_mutex_init(&vp->lock, NULL);
	vp->intx_trigger = vp->intx_unmask = -1;
	vp->dev = d;
	vp->host = host;
	vp->host_ctx = host_ctx;
	vp->page = (uint64_t)page;
	for (unsigned int b = 0; b < PCI_NR_BARS; b++)
		vp->bars[b].mapped_at = PCI_BAR_UNMAPPED;
	id = (struct pci_dev_config){
		.vendor_id = le16(cfg + PCI_VENDOR_ID),
		.device_id = le16(cfg + PCI_DEVICE_ID),
		.revision = cfg[PCI_CLASS_REVISION],
		.class_code = le32(cfg + PCI_CLASS_REVISION) >> 8,
		.subsys_vendor_id = le16(cfg + PCI_SUBSYSTEM_VENDOR_ID),
		.subsys_id = le16(cfg + PCI_SUBSYSTEM_ID),
	};
	err = pci_dev_create(&id, &vfio_pci_ops, vp, &vp->pdev);
	if (err) {
		set_why(why, len, "%s: %04x:%04x: not a PCI function: %s",
			vfio_device_desc(d)->name, id.vendor_id, id.device_id,
			strerror(-err));
		goto err_free;
	}
	for (unsigned int b = 0; b < PCI_NR_BARS; b += used) {
		err = bar_declare(vp, cfg, b, &used);
		if (err) {
			set_why(why, len, "out of memory");
			goto err_free;
		}
	}
	err = msix_setup(vp, why, len);
	if (!err)
		err = intx_setup(vp, cfg, why, len);
	if (err)
		goto err_free;
	if (!vp->msix && !vp->intx_pin)
		log_warn("vfio-pci: %s: no usable MSI-X and no INTx: no interrupts",
			 vfio_device_desc(d)->name);
	vfio_pci_cfg_layout(vp, cfg);
	*out = vp;
	return 0;

err_free:
	/* Nothing reached the VM yet but GSIs, which the VMM's allocator
	 * keeps for the VM's life anyway. */
	vfio_pci_free(vp);
	return err;
}

struct pci_dev *vfio_pci_dev(struct vfio_pci *vp)
{
	return vp->pdev;
}

unsigned int vfio_pci_intx(const struct vfio_pci *vp, int *trigger_fd,
			   int *unmask_fd)
{
	if (vp->intx_pin) {
		*trigger_fd = vp->intx_trigger;
		*unmask_fd = vp->intx_unmask;
	}
	return vp->intx_pin;
}

void vfio_pci_destroy(struct vfio_pci *vp)
{
	if (!vp)
		return;
	/* KVM first: once the irqfds and routes are gone nothing injects
	 * from our eventfds; then the kernel stops signalling them; then
	 * they can close. */
	for (unsigned int i = 0; i < vp->nr_vectors; i++)
		vfio_pci_msix_route(vp, i, false, 0, 0);
	if (vp->msix_on)
		vfio_device_disable_msix(vp->dev);
	if (vp->intx_on)
		vfio_device_disable_intx(vp->dev);
	/* The bus is gone without telling us: the slots are still there. */
	for (unsigned int b = 0; b < PCI_NR_BARS; b++)
		bar_unmap(vp, &vp->bars[b]);
	vfio_pci_free(vp);
}
