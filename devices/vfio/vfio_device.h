/* SPDX-License-Identifier: Apache-2.0 */
/* devices/vfio/vfio_device.h: a VFIO PCI device: regions, IRQs, config. */
#ifndef IGNIS_VFIO_DEVICE_H
#define IGNIS_VFIO_DEVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "devices/vfio/vfio_container.h"
#include "devices/vfio/vfio_sys.h"

/*
 * A host PCI device bound to vfio-pci, opened through its IOMMU group
 * into a container (vfio_container.h), and what the kernel says of it:
 * its regions (BARs, ROM, config space), its interrupts, where its
 * MSI-X table and PBA live. What the device layer (the emulated PCI
 * function the lead glues on) does with them: mmap the BARs' mappable
 * areas and make them KVM memory slots, trap the MSI-X table's pages
 * and emulate them, pass config space through with its own overrides,
 * and route MSI-X vectors to irqfds through vfio_device_set_msix().
 *
 * Threads: open, BAR maps and close on the VMM thread, before the jail
 * (they need open, readlink and mmap); config and region reads and
 * writes, SET_IRQS and reset from any thread afterwards (the device's
 * description is read-only once open: pread/pwrite and ioctl carry no
 * shared state here).
 */

#define VFIO_DEVICE_NAME_MAX 24 /* "dddd:bb:dd.f" and longer domains */
#define VFIO_MSIX_ENTRY_SIZE 16 /* bytes per MSI-X table entry */

/* A part of a region the kernel lets us mmap. */
struct vfio_area {
	uint64_t offset; /* from the region's start */
	uint64_t size; /* bytes */
};

/* One region (VFIO_PCI_*_REGION_INDEX, then device-specific ones). */
struct vfio_region {
	uint32_t flags; /* VFIO_REGION_INFO_FLAG_*; 0: absent */
	uint64_t size; /* bytes (0: absent) */
	uint64_t offset; /* of the region in the device fd */
	bool msix_mappable; /* VFIO_REGION_INFO_CAP_MSIX_MAPPABLE: the
			     * MSI-X table may be mmapped with the rest */
	bool sparse; /* the areas come from a SPARSE_MMAP cap */
	unsigned int nr_areas; /* mmap-able areas (0: trap it all) */
	struct vfio_area *areas; /* sorted as the kernel gave them */
};

/* One interrupt index (VFIO_PCI_INTX_IRQ_INDEX ... _REQ_IRQ_INDEX). */
struct vfio_irq {
	uint32_t flags; /* VFIO_IRQ_INFO_*; 0: absent */
	uint32_t count; /* vectors (0: absent) */
};

/* The MSI-X capability (PCI 3.0, 6.8.2), as found in config space. */
struct vfio_msix {
	bool present; /* found and its table fits its BAR */
	uint8_t cap; /* its offset in config space */
	uint16_t table_size; /* vectors: Message Control's N - 1, + 1 */
	uint8_t table_bar; /* BAR (region index) of the table */
	uint32_t table_offset; /* in that BAR */
	uint8_t pba_bar; /* BAR of the pending bit array */
	uint32_t pba_offset; /* in that BAR */
};

/* What open found; read-only until close. */
struct vfio_device_desc {
	char name[VFIO_DEVICE_NAME_MAX]; /* its BDF */
	unsigned int group; /* its IOMMU group */
	uint32_t flags; /* VFIO_DEVICE_FLAGS_* */
	unsigned int nr_regions; /* entries in regions[] */
	struct vfio_region *regions; /* by region index */
	unsigned int nr_irqs; /* entries in irqs[] */
	struct vfio_irq *irqs; /* by IRQ index */
	uint8_t pcie_cap; /* the PCI Express capability's
			   * offset, 0: none */
	struct vfio_msix msix; /* the MSI-X capability */
};

/* A BAR's area mapped into ignis (vfio_device_map_bar()). */
struct vfio_bar_map {
	uint64_t offset; /* from the BAR's start */
	uint64_t size; /* bytes */
	void *host; /* where it is mapped */
};

struct vfio_device;

/*
 * Opens PCI device (name), a BDF ("0000:00:01.0") or its sysfs directory
 * ("/sys/bus/pci/devices/0000:00:01.0"), into container (c): resolves
 * its IOMMU group from the sysfs iommu_group link, joins the group to
 * (c) (vfio_container_add_group()), gets the device's fd, checks it is
 * PCI, reads every region's and IRQ's info and the MSI-X capability,
 * and resets the device when it can. 0, or -errno with the reason in
 * (why) and nothing left open: -EINVAL (not a BDF), -ENOENT (no such
 * device, or no IOMMU group), -EBUSY (the group is not viable, or (c)
 * holds another), -ENODEV (not a PCI device), -EPROTO (the kernel's
 * answers do not add up). VMM thread.
 */
int vfio_device_open(const struct vfio_sys *sys, struct vfio_container *c,
		     const char *name, struct vfio_device **out, char *why,
		     size_t len);

/* Unmaps its BARs, resets the device when it can, closes it and lets
 * the container's group go. NULL ok. VMM thread. */
void vfio_device_close(struct vfio_device *d);

/* What open found. */
const struct vfio_device_desc *vfio_device_desc(const struct vfio_device *d);

/* Reads/writes (len) bytes at (off) of config space (the config region,
 * through pread/pwrite). 0 or -errno: -EINVAL past the region, -EIO
 * for a short transfer. Any thread. */
int vfio_device_config_read(struct vfio_device *d, uint64_t off, void *buf,
			    size_t len);
int vfio_device_config_write(struct vfio_device *d, uint64_t off,
			     const void *buf, size_t len);

/* The same for any region (index): a BAR's trapped parts. */
int vfio_device_region_read(struct vfio_device *d, unsigned int index,
			    uint64_t off, void *buf, size_t len);
int vfio_device_region_write(struct vfio_device *d, unsigned int index,
			     uint64_t off, const void *buf, size_t len);

/*
 * mmaps the mappable areas of BAR (index) (read-write, shared) once and
 * points (*out) at them. Returns how many (0: nothing mappable, trap
 * it all), or -errno with nothing mapped (-EINVAL: not a BAR). They stay
 * mapped until vfio_device_close(). VMM thread, before the jail.
 */
int vfio_device_map_bar(struct vfio_device *d, unsigned int index,
			const struct vfio_bar_map **out);

/*
 * Routes MSI-X vectors [start, start + count) to (fds) (eventfds; -1
 * disconnects one): SET_IRQS, DATA_EVENTFD | ACTION_TRIGGER. The first
 * call after MSI-X was off enables it with start + count vectors, and
 * Linux 6.1 (VFIO_IRQ_INFO_NORESIZE) cannot grow that later: to add
 * vectors, disable and set them all again. 0 or -errno (-EINVAL: beyond
 * the device's vectors). Any thread.
 */
int vfio_device_set_msix(struct vfio_device *d, uint32_t start, uint32_t count,
			 const int32_t *fds);

/* Turns MSI-X off: SET_IRQS, DATA_NONE | ACTION_TRIGGER, count 0. */
int vfio_device_disable_msix(struct vfio_device *d);

/*
 * Turns INTx on: the kernel signals (trigger_fd) when the line asserts
 * and then masks INTx until (unmask_fd) is written (SET_IRQS,
 * DATA_EVENTFD with ACTION_TRIGGER, then ACTION_UNMASK); an unmask while
 * the device still asserts signals (trigger_fd) again. The kernel takes
 * INTx only while MSI and MSI-X are off, and MSI-X only while INTx is.
 * 0 or -errno (-ENOTSUP: the device has no INTx), INTx off on error.
 * Any thread.
 */
int vfio_device_set_intx(struct vfio_device *d, int trigger_fd,
			 int unmask_fd);

/* Turns INTx off, and with it the unmask eventfd. Any thread. */
int vfio_device_disable_intx(struct vfio_device *d);

/* VFIO_DEVICE_RESET. 0 or -errno (-ENOTSUP: the device cannot). */
int vfio_device_reset(struct vfio_device *d);

#endif
