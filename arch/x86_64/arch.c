// SPDX-License-Identifier: Apache-2.0
/* arch/x86_64/arch.c: the x86_64 side of building a VM (vmm/arch.h). */
#include "vmm/arch.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "acpi.h"
#include "devices/iommu/viommu_core.h"
#include "cpu.h"
#include "irqchip.h"
#include "devices/legacy/cmos.h"
#include "devices/legacy/i8042.h"
#include "devices/legacy/serial.h"
#include "devices/pci/pci.h"
#include "devices/virtio/mmio.h"
#include "layout.h"
#include "vmm/config.h"
#include "vmm/kvm.h"
#include "vmm/log.h"
#include "vmm/pcidevs.h"
#include "vmm/vcpu.h"
#include "vmm/vm.h"

int arch_ram_layout(uint64_t mem_size, struct gmem_region *out,
		    unsigned int max)
{
	uint64_t low = mem_size < X86_MMIO_HOLE_START ? mem_size :
		       X86_MMIO_HOLE_START;

	if (!mem_size || max < 2)
		return -EINVAL;
	out[0] = (struct gmem_region){ .start = gpa(0), .size = low };
	if (low == mem_size)
		return 1;
	out[1] = (struct gmem_region){ .start = gpa(X86_MMIO_HOLE_END),
				       .size = mem_size - low };
	return 2;
}

int arch_virtio_mmio_slot(unsigned int index, uint64_t *base, uint32_t *gsi)
{
	if (index >= X86_VIRTIO_MMIO_SLOTS)
		return -ENOSPC;
	*base = X86_VIRTIO_MMIO_BASE + (uint64_t)index * X86_VIRTIO_MMIO_SIZE;
	*gsi = X86_VIRTIO_IRQ_BASE + index;
	return 0;
}

unsigned int arch_max_vcpus(void)
{
	unsigned int n = x86_mptable_max_cpus();

	return n < CONFIG_MAX_CPUS ? n : CONFIG_MAX_CPUS;
}

static int vm_ioctl_checked(struct vm *vm, unsigned long req, void *arg,
			    const char *what)
{
	int ret = kvm_ioctl(vm->kvm.vm_fd, req, arg);

	if (ret < 0)
		log_error("%s: %s", what, strerror(-ret));
	return ret < 0 ? ret : 0;
}

int arch_vm_init(struct vm *vm)
{
	uint64_t identity = X86_KVM_IDENTITY_MAP;
	struct x86_cpuid *c;
	int err;

	/* Pages KVM needs for real-mode emulation on Intel (VMX). */
	err = vm_ioctl_checked(vm, KVM_SET_IDENTITY_MAP_ADDR, &identity,
			       "KVM_SET_IDENTITY_MAP_ADDR");
	if (err)
		return err;
	err = vm_ioctl_checked(vm, KVM_SET_TSS_ADDR,
			       (void *)(uintptr_t)X86_KVM_TSS_ADDR,
			       "KVM_SET_TSS_ADDR");
	if (err)
		return err;
	/* LAPICs in the kernel, the IOAPIC here (irqchip.c explains why). */
	err = x86_irqchip_create(vm);
	if (err)
		return err;
	/* The guest is told it has no PMU (cpuid.c); where KVM can, turn
	 * the emulation off too, so counters that have no CPUID bit (AMD's
	 * legacy ones) are not there either. Before any vCPU exists. */
	if (kvm_check_cap(&vm->kvm, KVM_CAP_PMU_CAPABILITY) > 0) {
		struct kvm_enable_cap cap = {
			.cap = KVM_CAP_PMU_CAPABILITY,
			.args[0] = KVM_PMU_CAP_DISABLE,
		};

		err = vm_ioctl_checked(vm, KVM_ENABLE_CAP, &cap,
				       "KVM_CAP_PMU_CAPABILITY");
		if (err)
			return err;
	}

	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->hdr.nent = X86_CPUID_MAX_ENTRIES;
	err = kvm_ioctl(vm->kvm.dev_fd, KVM_GET_SUPPORTED_CPUID, c);
	if (err < 0) {
		log_error("KVM_GET_SUPPORTED_CPUID: %s", strerror(-err));
		free(c);
		return err;
	}
	/* No PIT here: Linux's tick needs the TSC-deadline timer (cpu.h). */
	if (kvm_check_cap(&vm->kvm, KVM_CAP_TSC_DEADLINE_TIMER) > 0)
		x86_cpuid_set_tsc_deadline(c);
	vm->arch.supported_cpuid = c;
	return 0;
}

/* The UART's interrupt: an edge on IOAPIC pin 4 (ISA IRQ 4). */
static void com1_irq(void *ctx)
{
	x86_irqchip_pulse(ctx, X86_COM1_IRQ);
}

/* The PS/2 controller's keyboard (1) and AUX (12) interrupts. */
static void i8042_irq(void *ctx, unsigned int line)
{
	x86_irqchip_pulse(ctx, line);
}

static void i8042_reset(void *ctx)
{
	struct vm *vm = ctx;

	log_info("guest reset via the i8042");
	vm_request_stop(vm, VM_STOP_RESET);
}

int arch_send_ctrl_alt_del(struct vm *vm, char *why, size_t len)
{
	/* Scan code set 2 (untranslated: the controller's XLATE bit stays
	 * clear): Ctrl, Alt, Del pressed, then released in reverse. */
	static const uint8_t keys[] = {
		0x14, 0x11, 0xe0, 0x71,			/* make */
		0xe0, 0xf0, 0x71, 0xf0, 0x11, 0xf0, 0x14,	/* break */
	};

	if (i8042_send_keys(vm->i8042, keys, sizeof(keys))) {
		snprintf(why, len, "the guest is not reading its keyboard "
				   "(the i8042's queue is full)");
		return -EBUSY;
	}
	return 0;
}

int arch_devices_init(struct vm *vm)
{
	int err;

	err = serial_create(STDOUT_FILENO, com1_irq, vm, &vm->serial);
	if (err)
		return err;
	err = bus_add(&vm->pio, &(struct bus_range){
		.base = X86_COM1_PORT, .len = SERIAL_NR_REGS,
		.access = serial_access, .ctx = vm->serial, .name = "com1" });
	if (err)
		return err;
	err = i8042_create(i8042_reset, vm, &vm->i8042);
	if (err)
		return err;
	/* Linux reads the keyboard's replies only from its interrupt: with
	 * the line wired, its probe of the absent keyboard ends at once
	 * instead of waiting out two 200 ms timeouts. */
	i8042_set_irq(vm->i8042, i8042_irq, vm);
	err = bus_add(&vm->pio, &(struct bus_range){
		.base = X86_I8042_DATA_PORT, .len = I8042_NR_PORTS,
		.access = i8042_access, .ctx = vm->i8042, .name = "i8042" });
	if (err)
		return err;
	/* Without an RTC, Linux's rtc_cmos reads "update in progress" from
	 * an empty bus and polls for a second before giving up. */
	err = cmos_create(NULL, NULL, &vm->cmos);
	if (err)
		return err;
	return bus_add(&vm->pio, &(struct bus_range){
		.base = X86_CMOS_PORT, .len = CMOS_NR_PORTS,
		.access = cmos_access, .ctx = vm->cmos, .name = "cmos" });
}

/* Errors that come from the system, not from the loader's own checks. */
static bool boot_err_is_system(int err)
{
	switch (-err) {
	case EINVAL:
	case ENOEXEC:
	case E2BIG:
	case ENOMEM:
	case ERANGE:
	case EFBIG:
	case EOVERFLOW:
		return false;
	default:
		return true;
	}
}

/* The guest's physical address width (CPUID 0x80000008 EAX[7:0]), which
 * every BAR must fit in; 36 bits when KVM does not say. */
static unsigned int guest_phys_bits(const struct vm *vm)
{
	const struct x86_cpuid *c = vm->arch.supported_cpuid;

	for (unsigned int i = 0; c && i < c->hdr.nent; i++)
		if (c->entries[i].function == 0x80000008 &&
		    (c->entries[i].eax & 0xff) >= 32)
			return c->entries[i].eax & 0xff;
	return 36;
}

/*
 * The 32-bit window fills the hole below the virtio-mmio devices; the
 * 64-bit one starts at the first GiB above RAM (and 4 GiB) and takes up
 * to 64 GiB of what the guest's address width leaves, none when it
 * leaves nothing.
 */
int arch_pci_layout(const struct vm *vm, struct pci_bus_config *w,
		    uint64_t *ecam)
{
	const struct gmem_region *last =
		&vm->mem.regions[vm->mem.nr_regions - 1];
	uint64_t top = last->start.v + last->size, limit, base;

	if (top < X86_MMIO_HOLE_END)
		top = X86_MMIO_HOLE_END;
	base = (top + X86_PCI_MMIO64_ALIGN - 1) & ~(X86_PCI_MMIO64_ALIGN - 1);
	limit = UINT64_C(1) << guest_phys_bits(vm);
	*w = (struct pci_bus_config){
		.mmio32_base = X86_PCI_MMIO32_START,
		.mmio32_size = X86_PCI_MMIO32_SIZE,
	};
	if (base < limit) {
		uint64_t size = limit - base;

		w->mmio64_base = base;
		w->mmio64_size = size < (UINT64_C(64) << 30) ?
					 size & ~(X86_PCI_MMIO64_ALIGN - 1) :
					 UINT64_C(64) << 30;
	}
	*ecam = X86_PCI_ECAM_START;
	return 0;
}

/* The host bridge and, behind the iommu, one VIOT range per translated
 * function (a range holding only it: its neighbours may not be). */
static void acpi_pci(const struct vm *vm, struct acpi_desc *d,
		     struct acpi_pci_host *host, struct acpi_pci_range *ranges)
{
	if (!vm->pci.bus)
		return;
	*host = (struct acpi_pci_host){
		.ecam_base = X86_PCI_ECAM_START,
		.mmio32_base = X86_PCI_MMIO32_START,
		.mmio32_size = X86_PCI_MMIO32_SIZE,
		.mmio64_base = vm->pci.mmio64_base,
		.mmio64_size = vm->pci.mmio64_size,
	};
	d->pci = host;
	for (unsigned int i = 0; i < vm->pci.nr_vfio; i++) {
		const struct pcidev_vfio *v = &vm->pci.vfio[i];
		uint16_t bdf = PCIDEVS_BDF(v->slot);

		if (!v->translated || !d->has_iommu)
			continue;
		ranges[d->nr_pci_ranges++] = (struct acpi_pci_range){
			bdf, bdf, PCIDEVS_ENDPOINT(v->slot),
		};
	}
	d->pci_ranges = ranges;
}

/*
 * ACPI tables for what arch_devices_init() and the virtio-mmio slots built,
 * at X86_ACPI_START; sets (*rsdp). The I/O APIC takes ID nr_cpus, as in
 * the MP table.
 */
static int acpi_write(struct vm *vm, uint64_t *rsdp)
{
	struct acpi_mmio_dev mmio[VDEVS_MAX];
	struct acpi_desc d = {
		.nr_cpus = vm->cfg->nr_cpus,
		.ioapic_id = (uint8_t)vm->cfg->nr_cpus,
		.ioapic_addr = (uint32_t)X86_IOAPIC_ADDR,
		.serial_port = X86_COM1_PORT,
		.serial_irq = X86_COM1_IRQ,
		.i8042 = true,
		.rtc = true,
		.mmio = mmio,
		.nr_mmio = vm->vdevs.nr,
	};
	struct acpi_pci_range ranges[CONFIG_MAX_VFIO];
	struct acpi_pci_host host;
	void *dst = gmem_ptr(&vm->mem, gpa(X86_ACPI_START), X86_ACPI_SIZE);
	int len;

	for (unsigned int i = 0; i < vm->vdevs.nr; i++) {
		const struct vdev_slot *s = &vm->vdevs.slots[i];

		mmio[i] = (struct acpi_mmio_dev){
			.base = s->base,
			.size = VMMIO_SIZE,
			.gsi = s->gsi,
			.translated = s->translated,
			.endpoint = i,	/* the iommu's endpoint id: the slot */
		};
		if (s->is_iommu) {
			d.has_iommu = true;
			d.iommu = i;
		}
	}
	acpi_pci(vm, &d, &host, ranges);
	len = dst ? acpi_build(dst, X86_ACPI_SIZE, X86_ACPI_START, &d, rsdp) :
		    -EFAULT;
	if (len < 0)
		log_error("cannot write the ACPI tables for %u vCPUs: %s",
			  d.nr_cpus, strerror(-len));
	return len < 0 ? len : 0;
}

/*
 * The 32-bit hole holds the devices (virtio-mmio, IOAPIC, LAPIC), so no
 * IOVA there may reach RAM; the LAPIC page range 0xfee00000-0xfeefffff is
 * where x86 MSIs are written, an MSI region (5.13.6.8.1), as Linux's own
 * IOMMU drivers reserve it.
 */
unsigned int arch_iommu_reserved(struct viommu_resv *out, unsigned int max)
{
	static const struct viommu_resv x86[] = {
		{ X86_MMIO_HOLE_START, 0xfedfffffULL,
		  VIRTIO_IOMMU_RESV_MEM_T_RESERVED },
		{ 0xfee00000ULL, 0xfeefffffULL, VIRTIO_IOMMU_RESV_MEM_T_MSI },
		{ 0xfef00000ULL, X86_MMIO_HOLE_END - 1,
		  VIRTIO_IOMMU_RESV_MEM_T_RESERVED },
	};
	unsigned int n = sizeof(x86) / sizeof(x86[0]);

	if (n > max)
		n = max;
	memcpy(out, x86, n * sizeof(*out));
	return n;
}

int arch_boot_load(struct vm *vm)
{
	const struct vm_config *cfg = vm->cfg;
	struct x86_boot_in in = {
		.kernel_path = cfg->kernel_path,
		.initrd_path = cfg->initrd_path,
		.cmdline = vm->cmdline,
		.nr_cpus = cfg->nr_cpus,
	};
	const char *why = NULL;
	int err;

	/* Before the loader, which announces where the RSDP is. */
	err = acpi_write(vm, &in.rsdp_addr);
	if (err)
		return err;
	err = x86_boot_load(&vm->mem, &in, &vm->arch.boot, &why);
	if (err) {
		/* The loader says what was wrong; for a file the system
		 * refused, errno says why (missing, no permission, ...). */
		if (why && boot_err_is_system(err))
			log_error("%s (%s)", why, strerror(-err));
		else if (why)
			log_error("%s", why);
		else
			log_error("cannot load the kernel: %s", strerror(-err));
		return err;
	}
	/* Kernels without ACPI (or booted with acpi=off) find the CPUs in
	 * the MP table; the others read the MADT. */
	err = x86_mptable_write(&vm->mem, cfg->nr_cpus);
	if (err)
		log_error("cannot write the MP table for %u vCPUs: %s",
			  cfg->nr_cpus, strerror(-err));
	return err;
}

static int vcpu_ioctl_checked(struct vcpu *v, unsigned long req, void *arg,
			      const char *what)
{
	int ret = kvm_ioctl(v->fd, req, arg);

	if (ret < 0)
		log_error("vcpu %u: %s: %s", v->id, what, strerror(-ret));
	return ret < 0 ? ret : 0;
}

static int vcpu_setup_cpuid(struct vm *vm, struct vcpu *v)
{
	struct x86_cpuid *c = malloc(sizeof(*c));
	int err;

	if (!c)
		return -ENOMEM;
	memcpy(c, vm->arch.supported_cpuid, sizeof(*c));
	err = x86_cpuid_setup(c, v->id, vm->cfg->nr_cpus);
	if (err)
		log_error("vcpu %u: cannot build its CPUID: %s", v->id,
			  strerror(-err));
	else
		err = vcpu_ioctl_checked(v, KVM_SET_CPUID2, c, "KVM_SET_CPUID2");
	free(c);
	return err;
}

static int vcpu_setup_msrs(struct vcpu *v)
{
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry entries[32];
	} msrs;
	int n, ret;

	memset(&msrs, 0, sizeof(msrs));
	n = x86_boot_msrs(msrs.entries, 32);
	if (n < 0)
		return n;
	msrs.hdr.nmsrs = (uint32_t)n;
	ret = kvm_ioctl(v->fd, KVM_SET_MSRS, &msrs);
	/* KVM_SET_MSRS returns how many it set; stopping short means one
	 * was refused. */
	if (ret != n) {
		log_error("vcpu %u: KVM_SET_MSRS set %d of %d MSRs", v->id, ret,
			  n);
		return ret < 0 ? ret : -EINVAL;
	}
	return 0;
}

static int vcpu_setup_lapic(struct vcpu *v)
{
	struct kvm_lapic_state lapic;
	int err;

	err = vcpu_ioctl_checked(v, KVM_GET_LAPIC, &lapic, "KVM_GET_LAPIC");
	if (err)
		return err;
	x86_lapic_set_lint(&lapic);
	return vcpu_ioctl_checked(v, KVM_SET_LAPIC, &lapic, "KVM_SET_LAPIC");
}

static int vcpu_setup_fpu(struct vcpu *v)
{
	/* The x87 and SSE state after FNINIT / reset (Intel SDM 9.1.1). */
	struct kvm_fpu fpu = { .fcw = 0x37f, .mxcsr = 0x1f80 };

	return vcpu_ioctl_checked(v, KVM_SET_FPU, &fpu, "KVM_SET_FPU");
}

/* Puts the boot CPU at the kernel's entry point. */
static int vcpu_setup_boot_regs(struct vm *vm, struct vcpu *v)
{
	const struct x86_boot_state *b = &vm->arch.boot;
	struct kvm_sregs sregs;
	struct kvm_regs regs = b->regs;
	int err;

	err = vcpu_ioctl_checked(v, KVM_GET_SREGS, &sregs, "KVM_GET_SREGS");
	if (err)
		return err;
	sregs.cs = b->cs;
	sregs.ds = sregs.es = sregs.fs = sregs.gs = sregs.ss = b->ds;
	sregs.tr = b->tr;
	sregs.gdt = b->gdt;
	sregs.idt = b->idt;
	sregs.cr0 = b->cr0;
	sregs.cr3 = b->cr3;
	sregs.cr4 = b->cr4;
	sregs.efer = b->efer;
	err = vcpu_ioctl_checked(v, KVM_SET_SREGS, &sregs, "KVM_SET_SREGS");
	if (err)
		return err;
	return vcpu_ioctl_checked(v, KVM_SET_REGS, &regs, "KVM_SET_REGS");
}

int arch_vcpu_init(struct vm *vm, struct vcpu *v)
{
	int err;

	err = vcpu_setup_cpuid(vm, v);
	if (!err)
		err = vcpu_setup_msrs(v);
	if (!err)
		err = vcpu_setup_lapic(v);
	if (!err)
		err = vcpu_setup_fpu(v);
	/* The others wait for INIT/SIPI from the boot CPU, in the kernel. */
	if (!err && v->id == 0)
		err = vcpu_setup_boot_regs(vm, v);
	return err;
}

int arch_vcpu_exit(struct vcpu *v)
{
	struct kvm_run *run = v->run;

	switch (run->exit_reason) {
	case KVM_EXIT_IOAPIC_EOI:
		x86_irqchip_eoi(v->vm, run->eoi.vector);
		return 0;
	default:
		return -ENOTSUP;
	}
}

void arch_vm_destroy(struct vm *vm)
{
	x86_irqchip_destroy(vm);
	free(vm->arch.supported_cpuid);
	vm->arch.supported_cpuid = NULL;
	serial_destroy(vm->serial);
	vm->serial = NULL;
	i8042_destroy(vm->i8042);
	vm->i8042 = NULL;
	cmos_destroy(vm->cmos);
	vm->cmos = NULL;
}
