// SPDX-License-Identifier: Apache-2.0
/* vmm/builder.c: the one linear recipe that turns a config into a VM. */
#include "builder.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include "api/fc_api.h"
#include "api/fc_config.h"
#include "arch.h"
#include "devices/iommu/viommu.h"
#include "jail/jail.h"
#include "devices/virtio/blk.h"
#include "devices/virtio/net.h"
#include "devices/virtio/rng.h"
#include "devices/virtio/vsock.h"
#include "log.h"
#include "vcpu.h"

const struct cli_group *const builder_cli_groups[] = {
	&config_cli_group,
	&vdevs_cli_group,
	&config_vfio_cli_group,
	&fc_config_cli_group,
	&fc_api_cli_group,
	&config_log_cli_group,
	&jail_cli_group,
	NULL,
};

/* Room for every device's " virtio_mmio.device=4K@0x...:NN". */
#define BUILD_CMDLINE_EXTRA (VDEVS_MAX * 48)

static int build_check_cpus(const struct vm *vm)
{
	unsigned int max = vm->kvm.max_vcpus;

	if (arch_max_vcpus() < max)
		max = arch_max_vcpus();
	if (vm->cfg->nr_cpus > max) {
		log_error("--cpus %u: this host allows at most %u vCPUs",
			  vm->cfg->nr_cpus, max);
		return -EINVAL;
	}
	return 0;
}

static int build_memory(struct vm *vm)
{
	struct gmem_region layout[GMEM_MAX_REGIONS];
	uint64_t size = vm->cfg->mem_size;
	struct sysinfo si;
	int nr, err;

	/* memfd pages are allocated lazily, so an absurd size would only
	 * fail later, inside the guest; refuse it now. */
	if (sysinfo(&si) == 0 &&
	    size / si.mem_unit > (uint64_t)si.totalram) {
		log_error("--memory %llu MiB is more than the host has (%llu MiB)",
			  (unsigned long long)(size >> 20),
			  (unsigned long long)(((uint64_t)si.totalram *
						si.mem_unit) >> 20));
		return -ENOMEM;
	}
	nr = arch_ram_layout(size, layout, GMEM_MAX_REGIONS);
	if (nr < 0) {
		log_error("cannot lay out %llu bytes of guest memory",
			  (unsigned long long)size);
		return nr;
	}
	err = gmem_create(&vm->mem, layout, (unsigned int)nr);
	if (err) {
		log_error("cannot allocate guest memory: %s", strerror(-err));
		return err;
	}
	for (unsigned int i = 0; i < vm->mem.nr_regions; i++) {
		const struct gmem_region *r = &vm->mem.regions[i];

		err = kvm_set_memory(&vm->kvm, i, r->start, r->size, r->host);
		if (err) {
			log_error("cannot register guest memory with KVM: %s",
				  strerror(-err));
			return err;
		}
	}
	return 0;
}

static struct vdev_slot *last_slot(struct vm *vm)
{
	return &vm->vdevs.slots[vm->vdevs.nr - 1];
}

/* Reserves a slot, creates the device with its kick fds, attaches it. */
static int build_one_device(struct vm *vm, unsigned int nr_queues,
			    int (*create)(struct vm *vm, const int *kick_fds,
					  const void *arg, struct vdev **out),
			    const void *arg, void (*destroy)(struct vdev *d))
{
	struct vdev_slot *slot;
	struct vdev *dev;
	int err;

	err = vdevs_reserve(vm, nr_queues, &slot);
	if (err)
		return err;
	err = create(vm, slot->kick_fds, arg, &dev);
	if (err)
		return err;
	return vdevs_attach(slot, dev, destroy);
}

static int create_disk(struct vm *vm, const int *kick_fds, const void *arg,
		       struct vdev **out)
{
	const struct disk_config *d = arg;
	const struct blk_params p = {
		.path = d->path,
		.id = d->id,
		.read_only = d->read_only,
		.direct = d->direct,
		.index = (unsigned int)(d - vm->cfg->disks),
	};

	char id[16];
	int err;

	/* blk_create() says what is wrong with the image itself. */
	err = blk_create(&vm->mem, kick_fds, &p, out);
	if (err)
		return err;
	/* Metrics "block_<drive_id>" as Firecracker's; "block_drive<N>"
	 * for a --disk. */
	snprintf(id, sizeof(id), "drive%u", p.index);
	metrics_group_set_id((*out)->metrics, d->drive_id ? d->drive_id : id);
	return 0;
}

static int create_net(struct vm *vm, const int *kick_fds, const void *arg,
		      struct vdev **out)
{
	const struct net_config *n = arg;
	struct net_params p = { .tap = n->tap, .has_mac = n->has_mac };

	int err;

	memcpy(p.mac, n->mac, sizeof(p.mac));
	/* net_create() says what is wrong with the tap itself. */
	err = net_create(&vm->mem, kick_fds, &p, out);
	if (err)
		return err;
	/* Metrics "net_<iface_id>", or "net_<tap>" for a --net. */
	metrics_group_set_id((*out)->metrics, n->iface_id ? n->iface_id : n->tap);
	return 0;
}

/*
 * The virtio-iommu, last: every device before it but those exempt
 * (iommu=off) becomes one of its endpoints (id = slot index; emulated,
 * so no DMA backend), translating its DMA through it. Figures as
 * the defaults: 4 KiB pages, a 48-bit input range, every 32-bit
 * domain id (domains are bounded by endpoints, not ids), a million
 * mappings per domain, bypass until the guest's driver attaches, MMIO
 * mappings (for VFIO peers; an emulated device's DMA into one faults).
 */
static int create_iommu(struct vm *vm, const int *kick_fds, const void *arg,
			struct vdev **out)
{
	struct viommu_endpoint_config eps[VIOMMU_MAX_ENDPOINTS];
	struct viommu_range ram[VIOMMU_MAX_RAM];
	struct viommu_resv resv[VIOMMU_MAX_RESV];
	unsigned int nr_eps = 0, nr_virtio, self = vm->vdevs.nr - 1;
	struct viommu_config c = {
		.page_size_mask = ~UINT64_C(0xfff),
		.input_start = 0,
		.input_end = (UINT64_C(1) << 48) - 1,
		.domain_start = 0,
		.domain_end = UINT32_MAX,
		.probe_size = 512,
		.max_mappings = 1u << 20,
		.offer_bypass_config = true,
		.boot_bypass = true,
		.offer_mmio = true,
		.endpoints = eps,
		.ram = ram,
		.resv = resv,
	};
	int err;

	for (unsigned int i = 0; i < self; i++)
		if (!vm->vdevs.slots[i].iommu_exempt)
			eps[nr_eps++] = (struct viommu_endpoint_config){ .id = i };
	nr_virtio = nr_eps;
	c.nr_resv = arch_iommu_reserved(resv, VIOMMU_MAX_RESV);
	/* Passed-through PCI functions, their DMA mapped by VFIO as the
	 * guest maps it; the granule is what every host IOMMU takes. */
	err = pcidevs_iommu_endpoints(vm, eps + nr_eps,
				      VIOMMU_MAX_ENDPOINTS - nr_eps, resv,
				      c.nr_resv, c.input_end);
	if (err < 0)
		return err;
	nr_eps += (unsigned int)err;
	c.page_size_mask &= pcidevs_iommu_pgsizes(vm);
	if (!c.page_size_mask) {
		log_error("--iommu: the passed-through devices' IOMMUs share "
			  "no page size");
		return -EINVAL;
	}
	if (!nr_eps) {
		log_error("--iommu needs a virtio or VFIO device to put behind "
			  "it");
		return -EINVAL;
	}
	c.nr_endpoints = nr_eps;
	vm->vdevs.slots[self].is_iommu = true;
	for (unsigned int i = 0; i < vm->mem.nr_regions && i < VIOMMU_MAX_RAM;
	     i++) {
		const struct gmem_region *r = &vm->mem.regions[i];

		ram[c.nr_ram++] = (struct viommu_range){
			r->start.v, r->start.v + r->size - 1,
		};
	}
	err = viommu_dev_create(&vm->mem, kick_fds, &c,
				vm->cfg->iommu_poll_us * UINT64_C(1000), out);
	if (err) {
		log_error("cannot create the virtio-iommu: %s", strerror(-err));
		return err;
	}
	for (unsigned int i = 0; i < nr_virtio; i++) {
		struct vdev_slot *s = &vm->vdevs.slots[eps[i].id];

		s->translated = true;
		/* Its first queue's kick wakes its thread when the iommu
		 * waits for it. */
		vdev_put_behind_iommu(s->dev, viommu_dev_dma(*out, eps[i].id,
							     s->kick_fds[0]));
	}
	return 0;
}

static int create_vsock(struct vm *vm, const int *kick_fds, const void *arg,
			struct vdev **out)
{
	const struct vsock_config *c = arg;
	const struct vsock_params p = { .cid = c->cid,
					.uds_path = c->uds_path };

	/* vsock_create() says what is wrong with the socket itself. */
	return vsock_create(&vm->mem, kick_fds, &p, out);
}

static int create_rng(struct vm *vm, const int *kick_fds, const void *arg,
		      struct vdev **out)
{
	int err = rng_create(&vm->mem, kick_fds, out);

	if (err)
		log_error("cannot create the virtio-rng device: %s",
			  strerror(-err));
	return err;
}

/* Disks first, as Firecracker orders them (the first is the guest's vda),
 * then network interfaces (eth0...), then the vsock, then the rng. */
static int build_virtio_devices(struct vm *vm)
{
	const struct vm_config *cfg = vm->cfg;
	int err;

	for (unsigned int i = 0; i < cfg->nr_disks; i++) {
		err = build_one_device(vm, 1, create_disk, &cfg->disks[i],
				       blk_destroy);
		if (err)
			return err;
		last_slot(vm)->iommu_exempt = !cfg->disks[i].iommu;
	}
	for (unsigned int i = 0; i < cfg->nr_nets; i++) {
		err = build_one_device(vm, NET_NR_QUEUES, create_net,
				       &cfg->nets[i], net_destroy);
		if (err)
			return err;
		last_slot(vm)->iommu_exempt = !cfg->nets[i].iommu;
	}
	if (cfg->vsock.uds_path) {
		err = build_one_device(vm, VSOCK_NR_QUEUES, create_vsock,
				       &cfg->vsock, vsock_destroy);
		if (err)
			return err;
		last_slot(vm)->iommu_exempt = !cfg->vsock.iommu;
	}
	if (cfg->rng) {
		err = build_one_device(vm, 1, create_rng, NULL, rng_destroy);
		if (err)
			return err;
		last_slot(vm)->iommu_exempt = !cfg->rng_iommu;
	}
	if (cfg->iommu)
		return build_one_device(vm, 2, create_iommu, NULL,
					viommu_dev_destroy);
	return 0;
}

/* The kernel's command line: the user's, the root drive's root= (from a
 * Firecracker config), then how to find each virtio-mmio device
 * (virtio_mmio.device=, as Firecracker announces them). */
static int build_cmdline(struct vm *vm)
{
	size_t size = strlen(vm->cfg->cmdline) + CONFIG_ROOT_ARGS_MAX +
		      BUILD_CMDLINE_EXTRA + 1;
	int err;

	vm->cmdline = malloc(size);
	if (!vm->cmdline)
		return -ENOMEM;
	strcpy(vm->cmdline, vm->cfg->cmdline);
	err = config_root_args_append(vm->cfg, vm->cmdline, size);
	if (err)
		return err;
	if (vm->cfg->no_cmdline_devices)
		return 0;
	return vdevs_cmdline_append(&vm->vdevs, vm->cmdline, size);
}

static int build_vcpus(struct vm *vm)
{
	unsigned int n = vm->cfg->nr_cpus;
	int err;

	vm->vcpus = calloc(n, sizeof(*vm->vcpus));
	if (!vm->vcpus)
		return -ENOMEM;
	for (unsigned int i = 0; i < n; i++) {
		err = vcpu_create(vm, i, &vm->vcpus[i]);
		if (err) {
			log_error("cannot create vCPU %u: %s", i,
				  strerror(-err));
			return err;
		}
		vm->nr_vcpus++;
		err = arch_vcpu_init(vm, &vm->vcpus[i]);
		if (err)
			return err;
	}
	return 0;
}

int builder_build(struct vm *vm, const struct vm_config *cfg)
{
	const char *why = NULL;
	int err;

	memset(vm, 0, sizeof(*vm));
	vm->cfg = cfg;
	vm->kvm.dev_fd = vm->kvm.vm_fd = -1;
	vm->mem.fd = -1;
	atomic_init(&vm->stop_reason, VM_STOP_NONE);
	vm_pause_init(vm);
	vm->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (vm->stop_fd < 0) {
		err = -errno;
		log_error("eventfd: %s", strerror(errno));
		return err;
	}
	err = kvm_open(&vm->kvm, &why);
	if (err) {
		log_error("%s: %s", why, strerror(-err));
		return err;
	}
	err = build_check_cpus(vm);
	if (err)
		return err;
	err = build_memory(vm);
	if (err)
		return err;
	err = arch_vm_init(vm);
	if (err)
		return err;
	err = arch_devices_init(vm);
	if (err) {
		log_error("cannot create the legacy devices: %s",
			  strerror(-err));
		return err;
	}
	/* Before the virtio devices: the iommu, last of them, takes the
	 * passed-through functions as endpoints too. */
	err = pcidevs_build(vm);
	if (err)
		return err;
	err = build_virtio_devices(vm);
	if (err)
		return err;
	err = build_cmdline(vm);
	if (err) {
		log_error("cannot build the kernel command line: %s",
			  strerror(-err));
		return err;
	}
	err = arch_boot_load(vm);
	if (err)
		return err;
	return build_vcpus(vm);
}

struct vdev *builder_disk(const struct vm *vm, unsigned int i)
{
	/* build_virtio_devices() makes the disks first, in order. */
	return i < vm->cfg->nr_disks && i < vm->vdevs.nr ?
		       vm->vdevs.slots[i].dev :
		       NULL;
}

void builder_destroy(struct vm *vm)
{
	for (unsigned int i = 0; i < vm->nr_vcpus; i++)
		vcpu_destroy(&vm->vcpus[i]);
	free(vm->vcpus);
	vm->vcpus = NULL;
	vm->nr_vcpus = 0;
	/* Devices stop their workers before the memory they use goes. */
	vdevs_destroy(&vm->vdevs);
	/* After the iommu, which unmaps through their containers. */
	pcidevs_destroy(vm);
	free(vm->cmdline);
	vm->cmdline = NULL;
	arch_vm_destroy(vm);
	bus_destroy(&vm->pio);
	bus_destroy(&vm->mmio);
	gmem_destroy(&vm->mem);
	kvm_close(&vm->kvm);
	if (vm->stop_fd >= 0)
		close(vm->stop_fd);
	vm->stop_fd = -1;
	vm_pause_fini(vm);
}
