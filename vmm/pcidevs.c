// SPDX-License-Identifier: Apache-2.0
/* vmm/pcidevs.c: the VM's PCI bus and the VFIO functions passed through on it. */
#include "pcidevs.h"

#include <errno.h>
#include <stdio.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>

#include "arch.h"
#include "devices/iommu/viommu_core.h"
#include "devices/pci/pci.h"
#include "devices/vfio/vfio_container.h"
#include "devices/vfio/vfio_device.h"
#include "devices/vfio/vfio_pci.h"
#include "devices/vfio/vfio_sys.h"
#include "kvm.h"
#include "log.h"
#include "metrics.h"
#include "vm.h"

/* KVM slots for BAR areas come after guest RAM's. */
#define SLOT_BASE GMEM_MAX_REGIONS

static const char *const vfio_metric_names[] = {
	VFIO_CONTAINER_METRICS(METRIC_NAME)
};

/* ---- what a VFIO function asks of the VM (vfio_pci.h) ---- */

/* vCPU threads, when the guest turns a BAR's decoding on or moves it. */
static int host_map_mmio(void *ctx, uint64_t addr, uint64_t size, void *host)
{
	struct vm *vm = ctx;
	struct pcidevs *p = &vm->pci;
	int ret = -ENOSPC;

	pthread_mutex_lock(&p->slot_lock);
	for (unsigned int i = 0; i < PCIDEVS_MAX_SLOTS; i++) {
		if (p->slots[i].size)
			continue;
		ret = kvm_set_memory(&vm->kvm, SLOT_BASE + i, gpa(addr), size,
				     host);
		if (!ret)
			p->slots[i] = (struct pcidev_slot){ addr, size };
		break;
	}
	pthread_mutex_unlock(&p->slot_lock);
	if (ret)
		log_error("cannot map a BAR at %#llx (%#llx bytes): %s",
			  (unsigned long long)addr, (unsigned long long)size,
			  strerror(-ret));
	return ret;
}

static int host_unmap_mmio(void *ctx, uint64_t addr, uint64_t size)
{
	struct vm *vm = ctx;
	struct pcidevs *p = &vm->pci;
	int ret = -ENOENT;

	pthread_mutex_lock(&p->slot_lock);
	for (unsigned int i = 0; i < PCIDEVS_MAX_SLOTS; i++) {
		if (p->slots[i].gpa != addr || p->slots[i].size != size)
			continue;
		/* A slot of size 0 is deleted (KVM API, 4.35). */
		ret = kvm_set_memory(&vm->kvm, SLOT_BASE + i, gpa(addr), 0,
				     NULL);
		if (!ret)
			p->slots[i] = (struct pcidev_slot){ 0 };
		break;
	}
	pthread_mutex_unlock(&p->slot_lock);
	return ret;
}

static int host_msi_gsi_alloc(void *ctx, unsigned int *gsi)
{
	return arch_msi_route_alloc(ctx, gsi);
}

static int host_msi_route(void *ctx, unsigned int gsi, bool on, uint64_t addr,
			  uint32_t data)
{
	return arch_msi_route_set(ctx, gsi, addr, data, on);
}

static int host_irqfd(void *ctx, int fd, unsigned int gsi, bool assign)
{
	struct vm *vm = ctx;
	struct kvm_irqfd irqfd = {
		.fd = (uint32_t)fd,
		.gsi = gsi,
		.flags = assign ? 0 : KVM_IRQFD_FLAG_DEASSIGN,
	};

	return kvm_ioctl(vm->kvm.vm_fd, KVM_IRQFD, &irqfd);
}

static int host_send_msi(void *ctx, uint64_t addr, uint32_t data)
{
	struct vm *vm = ctx;

	return kvm_signal_msi(&vm->kvm, addr, data);
}

static const struct vfio_pci_host_ops host_ops = {
	.map_mmio = host_map_mmio,
	.unmap_mmio = host_unmap_mmio,
	.msi_gsi_alloc = host_msi_gsi_alloc,
	.msi_route = host_msi_route,
	.irqfd = host_irqfd,
	.send_msi = host_send_msi,
};

/* ---- building ---- */

/* The bus's fixed ranges: config ports, ECAM, the BAR windows. */
static int bus_ranges(struct vm *vm, const struct pci_bus_config *w,
		      uint64_t ecam)
{
	struct pci_bus *bus = vm->pci.bus;
	int err;

	err = bus_add(&vm->pio, &(struct bus_range){
		.base = PCI_CF8_PORT, .len = PCI_CF8_PORTS,
		.access = pci_cf8_access, .ctx = bus, .name = "pci-cf8" });
	if (!err)
		err = bus_add(&vm->mmio, &(struct bus_range){
			.base = ecam, .len = PCI_ECAM_SIZE,
			.access = pci_ecam_access, .ctx = bus,
			.name = "pci-ecam" });
	if (!err)
		err = bus_add(&vm->mmio, &(struct bus_range){
			.base = w->mmio32_base, .len = w->mmio32_size,
			.access = pci_mmio32_access, .ctx = bus,
			.name = "pci-mmio32" });
	if (!err && w->mmio64_size)
		err = bus_add(&vm->mmio, &(struct bus_range){
			.base = w->mmio64_base, .len = w->mmio64_size,
			.access = pci_mmio64_access, .ctx = bus,
			.name = "pci-mmio64" });
	if (err)
		log_error("cannot place the PCI bus: %s", strerror(-err));
	return err;
}

/* The host IOMMU's holes in the guest's IOVA space, which the guest must
 * never map (pcidevs_iommu_endpoints() makes them reserved regions). */
static int vfio_holes(struct pcidev_vfio *v, const char *name)
{
	struct vfio_range r[PCIDEVS_MAX_HOLES];
	int n = vfio_container_holes(v->container, 0, UINT64_MAX, r,
				     PCIDEVS_MAX_HOLES);

	if (n < 0) {
		log_error("%s: cannot read its IOMMU's IOVA ranges: %s", name,
			  strerror(-n));
		return n;
	}
	v->holes = calloc((size_t)n + 1, sizeof(*v->holes));
	v->resv = calloc(VIOMMU_MAX_RESV, sizeof(*v->resv));
	if (!v->holes || !v->resv) {
		log_error("%s: out of memory", name);
		return -ENOMEM;
	}
	memcpy(v->holes, r, (size_t)n * sizeof(r[0]));
	v->nr_holes = (unsigned int)n;
	return 0;
}

int pcidevs_holes_resv(const struct vfio_range *holes, unsigned int nr_holes,
		       const struct viommu_resv *global, unsigned int nr_global,
		       uint64_t input_last, struct viommu_resv *out,
		       unsigned int max)
{
	struct vfio_range piece[2 * VIOMMU_MAX_RESV];
	unsigned int n, nr_out = 0;

	for (unsigned int h = 0; h < nr_holes; h++) {
		if (holes[h].start > input_last)
			continue;
		n = 0;
		piece[n++] = (struct vfio_range){
			holes[h].start,
			holes[h].last < input_last ? holes[h].last : input_last,
		};
		/* Each global region cuts every piece it overlaps into
		 * what lies below it and what lies above. */
		for (unsigned int g = 0; g < nr_global; g++) {
			unsigned int m = n;
			struct vfio_range was[2 * VIOMMU_MAX_RESV];

			memcpy(was, piece, m * sizeof(piece[0]));
			n = 0;
			for (unsigned int i = 0; i < m; i++) {
				struct vfio_range p = was[i];

				if (p.last < global[g].start ||
				    p.start > global[g].last) {
					piece[n++] = p;
					continue;
				}
				if (n + 2 > 2 * VIOMMU_MAX_RESV)
					return -E2BIG;
				if (p.start < global[g].start)
					piece[n++] = (struct vfio_range){
						p.start, global[g].start - 1 };
				if (p.last > global[g].last)
					piece[n++] = (struct vfio_range){
						global[g].last + 1, p.last };
			}
		}
		for (unsigned int i = 0; i < n; i++) {
			if (nr_out == max)
				return -E2BIG;
			out[nr_out++] = (struct viommu_resv){
				piece[i].start, piece[i].last,
				VIRTIO_IOMMU_RESV_MEM_T_RESERVED,
			};
		}
	}
	return (int)nr_out;
}

/* The function's INTx, if it has one, to the GSI its slot and pin lead
 * to (the DSDT's _PRT says the same), as a resampled level line. */
static int vfio_intx_wire(struct vm *vm, struct pcidev_vfio *v,
			  const char *name)
{
	int trigger_fd, unmask_fd, err;
	unsigned int pin = vfio_pci_intx(v->fn, &trigger_fd, &unmask_fd);

	if (!pin)
		return 0;
	err = arch_irqfd_resample(vm, arch_pci_intx_gsi(v->slot, pin - 1),
				  trigger_fd, unmask_fd);
	if (err)
		log_error("--vfio %s: cannot wire its INTx: %s", name,
			  strerror(-err));
	return err;
}

static int vfio_build(struct vm *vm, const struct vfio_config *c)
{
	struct pcidev_vfio *v = &vm->pci.vfio[vm->pci.nr_vfio];
	const char *name = c->path;
	char why[256] = "";
	int err;

	v->translated = vm->cfg->iommu && c->iommu;
	err = vfio_container_create(&vfio_sys_host, &vm->mem, &v->container,
				    why, sizeof(why));
	if (!err)
		err = vfio_device_open(&vfio_sys_host, v->container, name,
				       &v->dev, why, sizeof(why));
	if (!err)
		err = vfio_pci_create(v->dev, &host_ops, vm, &v->fn, why,
				      sizeof(why));
	if (err) {
		log_error("--vfio %s: %s", name, why[0] ? why : strerror(-err));
		goto fail;
	}
	err = pci_bus_add_dev(vm->pci.bus, vfio_pci_dev(v->fn), -1, &v->slot);
	if (err) {
		log_error("--vfio %s: no room on the PCI bus: %s", name,
			  strerror(-err));
		goto fail;
	}
	err = vfio_intx_wire(vm, v, name);
	if (err)
		goto fail;
	if (v->translated) {
		err = vfio_holes(v, name);
		if (err)
			goto fail;	/* said by vfio_holes() */
	} else {
		/* No iommu to ask: the device may reach all of RAM, now. */
		err = vfio_container_map_ram(v->container);
		if (err) {
			log_error("--vfio %s: cannot map guest RAM for its "
				  "DMA: %s", name, strerror(-err));
			goto fail;
		}
	}
	/* Metrics "vfio_<vfio_id>", or "vfio_vfio<N>" for a --vfio
	 * without one. */
	METRICS_GROUP_INIT(&v->metrics, "vfio", vfio_metric_names,
			   vfio_container_metrics(v->container));
	snprintf(why, sizeof(why), "vfio%u", vm->pci.nr_vfio);
	metrics_group_set_id(&v->metrics, c->vfio_id ? c->vfio_id : why);
	metrics_register(&v->metrics);
	v->registered = true;
	vm->pci.nr_vfio++;
	return 0;
fail:
	/* Counted or not, pcidevs_destroy() frees what is set. */
	vm->pci.nr_vfio++;
	return err;
}

int pcidevs_build(struct vm *vm)
{
	const struct vm_config *cfg = vm->cfg;
	struct pci_bus_config w;
	uint64_t ecam;
	int err;

	pthread_mutex_init(&vm->pci.slot_lock, NULL);
	if (!cfg->nr_vfio)
		return 0;
	err = arch_pci_layout(vm, &w, &ecam);
	if (!err)
		err = pci_bus_create(&w, &vm->pci.bus);
	if (err) {
		log_error("cannot create the PCI bus: %s", strerror(-err));
		return err;
	}
	vm->pci.mmio64_base = w.mmio64_base;
	vm->pci.mmio64_size = w.mmio64_size;
	err = bus_ranges(vm, &w, ecam);
	for (unsigned int i = 0; !err && i < cfg->nr_vfio; i++)
		err = vfio_build(vm, &cfg->vfio[i]);
	if (err)
		return err;
	err = pci_bus_assign_bars(vm->pci.bus);
	if (err)
		log_error("the passed-through devices' BARs do not fit the PCI "
			  "windows: %s", strerror(-err));
	return err;
}

int pcidevs_iommu_endpoints(struct vm *vm, struct viommu_endpoint_config *out,
			    unsigned int max, const struct viommu_resv *global,
			    unsigned int nr_global, uint64_t input_last)
{
	unsigned int n = 0;
	int err;

	for (unsigned int i = 0; i < vm->pci.nr_vfio && n < max; i++) {
		struct pcidev_vfio *v = &vm->pci.vfio[i];

		if (!v->translated)
			continue;
		/* PROBE lists the global regions and these: room for both. */
		err = pcidevs_holes_resv(v->holes, v->nr_holes, global,
					 nr_global, input_last, v->resv,
					 VIOMMU_MAX_RESV - nr_global);
		if (err < 0) {
			log_error("--vfio %s: its IOMMU's holes are more "
				  "reserved regions than PROBE lists",
				  vm->cfg->vfio[i].path);
			return err;
		}
		v->nr_resv = (unsigned int)err;
		out[n++] = (struct viommu_endpoint_config){
			.id = PCIDEVS_ENDPOINT(v->slot),
			.backend = &vfio_container_dma_ops,
			.backend_ctx = v->container,
			.resv = v->resv,
			.nr_resv = v->nr_resv,
		};
	}
	return (int)n;
}

uint64_t pcidevs_iommu_pgsizes(const struct vm *vm)
{
	uint64_t mask = UINT64_MAX;

	for (unsigned int i = 0; i < vm->pci.nr_vfio; i++) {
		const struct pcidev_vfio *v = &vm->pci.vfio[i];
		const struct vfio_iommu_limits *l =
			v->translated ? vfio_container_limits(v->container) :
					NULL;

		if (l && l->pgsizes)
			mask &= l->pgsizes;
	}
	return mask;
}

void pcidevs_destroy(struct vm *vm)
{
	struct pcidevs *p = &vm->pci;

	/* The bus first: it calls into the functions' hooks. */
	pci_bus_destroy(p->bus);
	p->bus = NULL;
	for (unsigned int i = 0; i < p->nr_vfio; i++) {
		struct pcidev_vfio *v = &p->vfio[i];

		if (v->registered)
			metrics_unregister(&v->metrics);
		vfio_pci_destroy(v->fn);
		vfio_device_close(v->dev);
		vfio_container_destroy(v->container);
		free(v->holes);
		free(v->resv);
		memset(v, 0, sizeof(*v));
	}
	p->nr_vfio = 0;
	pthread_mutex_destroy(&p->slot_lock);
}
