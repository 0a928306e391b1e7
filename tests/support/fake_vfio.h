/* SPDX-License-Identifier: Apache-2.0 */
/* tests/support/fake_vfio.h: an in-memory VFIO host behind struct vfio_sys. */
#ifndef IGNIS_TEST_FAKE_VFIO_H
#define IGNIS_TEST_FAKE_VFIO_H

#include <linux/vfio.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "devices/vfio/vfio_sys.h"

/*
 * A VFIO host for machines without an IOMMU (this one has no /dev/vfio):
 * it answers the vfio_sys calls as Linux 6.1 does, from its sysfs links
 * to its type1 IOMMU, so devices/vfio/ runs unchanged on top of it. The
 * rules it keeps are the kernel's (drivers/vfio/container.c,
 * vfio_main.c, vfio_iommu_type1.c, pci/vfio_pci_core.c); where it is
 * stricter (munmap of what it did not map) it says so.
 *
 *  - fake sysfs: /sys/bus/pci/devices/<bdf> (a link) and its
 *    iommu_group link; /sys/devices/pci0000:00/<bdf> (a directory);
 *  - /dev/vfio/vfio (containers) and /dev/vfio/<group> (groups: viable
 *    or not, several devices, opened once at a time);
 *  - type1v2: mappings keyed by iova, -EEXIST on overlap, unmaps that
 *    must not cut a mapping (-EINVAL) and answer size 0 when nothing
 *    was there, dma_entry_limit (-ENOSPC), usable IOVA ranges with a
 *    hole (-EINVAL outside), pinned bytes against a memlock limit
 *    (-ENOMEM), GET_INFO with migration, DMA-avail and IOVA-range caps
 *    packed as 6.1 packs them (unaligned);
 *  - PCI devices: e1000e-like by default (8086:10d3, BAR0 128 KiB
 *    mmap-able, BAR2 32 bytes of I/O space, BAR3 16 KiB with the MSI-X
 *    table at 0 and the PBA at 0x2000 and a MSIX_MAPPABLE cap, INTA
 *    (pin 1, one INTx), PM, MSI (64-bit), PCIe and MSI-X (5 vectors)
 *    capabilities), regions backed by a memfd so that mmap gives real
 *    memory that pread sees, SET_IRQS validated as the kernel does and
 *    recorded byte for byte, resets counted; config writes leave what
 *    is read-only alone (IDs, class, header type, the interrupt pin,
 *    the capability list's pointers and IDs), as vfio-pci's
 *    virtualization;
 *  - interrupts as vfio_pci_intrs.c has them: one index on at a time
 *    (irq_type): INTx's trigger takes an eventfd only while none or
 *    INTx is on, MSI's and MSI-X's only while none or themselves are,
 *    anything else -EINVAL; DATA_NONE with count 0 turns the index on
 *    off (and -EINVAL when it is not the one on); INTx's UNMASK takes
 *    an eventfd (-EBUSY while it has one) or unmasks. The INTx line is
 *    the test's to drive (fake_vfio_intx_set_line()): an unmasked INTx
 *    whose line is up signals its trigger and masks itself
 *    (AUTOMASKED); fake_vfio_intx_service() does what the kernel's
 *    virqfd does when the unmask eventfd is written. INTx eventfds
 *    must be eventfds (-EBADF, -EINVAL); MSI-X's are not looked at
 *    (laxer than Linux: tests pass plain numbers);
 *  - every fd it hands out is its own number (from FAKE_FD_BASE, never
 *    reused): other fds get -EBADF; open fds and live mmaps are counted;
 *  - failure injection: the nth call of a kind (or of one ioctl) fails
 *    with an errno, once; a failing close still closes, as Linux's.
 */

#define FAKE_FD_BASE 1000 /* first fd number handed out */
#define FAKE_MAX_FDS 256 /* fds over the fake's life */
#define FAKE_MAX_GROUPS 4
#define FAKE_MAX_DEVICES 4
#define FAKE_MAX_CONTAINERS 4
#define FAKE_MAX_MMAPS 32
#define FAKE_MAX_MAPPINGS 4096 /* table size; the limit is below */
#define FAKE_MAX_RANGES 8
#define FAKE_MAX_SPARSE 4
#define FAKE_MAX_IRQ_SETS 32
#define FAKE_NR_REGIONS 9 /* VFIO_PCI_NUM_REGIONS */
#define FAKE_NR_IRQS 5 /* VFIO_PCI_NUM_IRQS */
#define FAKE_CFG_SIZE 4096 /* PCIe config space */
#define FAKE_BAR_SLOT (256u << 10) /* backing bytes per BAR */
#define FAKE_E1000E_BDF "0000:00:01.0"
#define FAKE_E1000E_GROUP 1

/* Kinds of call, for counting and failure injection. */
enum fake_call {
	FAKE_OPEN,
	FAKE_CLOSE,
	FAKE_IOCTL,
	FAKE_PREAD,
	FAKE_PWRITE,
	FAKE_MMAP,
	FAKE_MUNMAP,
	FAKE_READLINK,
	FAKE_NR_KINDS,
	FAKE_ANY = FAKE_NR_KINDS, /* failure injection: any call */
};

/* One SET_IRQS as the device received it (past the header checks). */
struct fake_irq_set {
	size_t len; /* bytes kept (argsz, at most 64) */
	uint8_t bytes[64]; /* the struct vfio_irq_set and its data */
	int ret; /* what the fake answered: 0 or -errno */
};

/* The interrupt index the kernel has on (vfio_pci_core_device's
 * irq_type): one at a time. */
enum fake_irq_type {
	FAKE_IRQ_NONE,
	FAKE_IRQ_INTX,
	FAKE_IRQ_MSI,
	FAKE_IRQ_MSIX,
};

struct fake_device {
	char bdf[24]; /* its name */
	unsigned int group; /* its IOMMU group */
	bool has_group; /* an iommu_group link */
	uint32_t flags; /* VFIO_DEVICE_FLAGS_* */
	bool pcie; /* the ERR IRQ index exists */
	uint8_t config[FAKE_CFG_SIZE]; /* config space */
	uint64_t region_size[FAKE_NR_REGIONS]; /* BARs, ROM, config, VGA */
	uint32_t region_flags[FAKE_NR_REGIONS]; /* VFIO_REGION_INFO_FLAG_* */
	bool msix_mappable[FAKE_NR_REGIONS]; /* MSIX_MAPPABLE cap */
	unsigned int nr_sparse[FAKE_NR_REGIONS]; /* SPARSE_MMAP areas */
	struct vfio_region_sparse_mmap_area sparse[FAKE_NR_REGIONS]
						  [FAKE_MAX_SPARSE];
	uint32_t irq_count[FAKE_NR_IRQS]; /* vectors per index */
	int memfd; /* BAR backing */
	uint8_t *bars; /* its mapping: BAR i at
			* i * FAKE_BAR_SLOT */
	unsigned int open_fds; /* device fds open */
	unsigned int resets; /* VFIO_DEVICE_RESET calls */
	enum fake_irq_type irq_type; /* the index on, or none */
	uint32_t msi_enabled; /* MSI vectors enabled, 0: off */
	uint32_t msix_enabled; /* MSI-X vectors enabled, 0: off */
	int intx_trigger; /* eventfd INTx signals, -1: none */
	int intx_unmask; /* eventfd whose write unmasks, -1: none */
	bool intx_masked; /* by a signal (AUTOMASKED) or ACTION_MASK */
	bool intx_line; /* the device asserts INTx */
	unsigned long intx_signals; /* trigger signals so far */
	unsigned int nr_irq_sets; /* entries in irq_sets[] */
	struct fake_irq_set irq_sets[FAKE_MAX_IRQ_SETS];
};

struct fake_group {
	unsigned int id; /* /dev/vfio/<id> */
	bool viable; /* no device bound to a host driver */
	bool open; /* opened (exclusive) */
	int container; /* index in containers[], -1: none */
};

struct fake_mapping {
	uint64_t iova; /* first byte */
	uint64_t size; /* bytes */
	uint64_t vaddr; /* host address */
	uint32_t flags; /* VFIO_DMA_MAP_FLAG_* */
};

struct fake_container {
	bool used; /* slot taken */
	bool fd_open; /* its fd is open */
	unsigned int nr_groups; /* groups set to it */
	bool iommu_set; /* VFIO_SET_IOMMU done */
	uint32_t dma_avail; /* mappings still allowed */
	uint64_t pinned; /* bytes mapped (locked_vm) */
	size_t nr_maps; /* entries in maps[] */
	struct fake_mapping maps[FAKE_MAX_MAPPINGS]; /* sorted by iova */
};

struct fake_fd {
	enum {
		FAKE_FD_NONE,
		FAKE_FD_CONTAINER,
		FAKE_FD_GROUP,
		FAKE_FD_DEVICE
	} kind; /* what it is; NONE: closed */
	int obj; /* index in the matching array */
};

struct fake_mmap {
	void *addr; /* NULL: free slot */
	size_t len; /* bytes */
	uint64_t offset; /* in the device fd: region << 40 | offset */
};

struct fake_vfio {
	struct vfio_sys sys; /* hand this to devices/vfio */
	bool no_vfio; /* /dev/vfio/vfio missing */
	int api_version; /* VFIO_GET_API_VERSION */
	bool has_type1v2; /* CHECK_EXTENSION answer */
	uint64_t pgsizes; /* iova_pgsizes */
	uint32_t dma_entry_limit; /* type1's, 65535 */
	uint64_t memlock_limit; /* bytes; 0: none */
	unsigned int nr_ranges; /* usable IOVA ranges */
	struct vfio_iova_range ranges[FAKE_MAX_RANGES];
	const uint8_t *info_caps; /* non-NULL: GET_INFO answers
				   * these chain bytes instead */
	size_t info_caps_len; /* bytes in info_caps */
	uint32_t info_cap_offset; /* cap_offset it answers */
	unsigned int nr_groups, nr_devices;
	struct fake_group groups[FAKE_MAX_GROUPS];
	struct fake_device devices[FAKE_MAX_DEVICES];
	struct fake_container containers[FAKE_MAX_CONTAINERS];
	unsigned int next_fd; /* fds handed out */
	struct fake_fd fds[FAKE_MAX_FDS];
	struct fake_mmap mmaps[FAKE_MAX_MMAPS];
	unsigned long calls[FAKE_NR_KINDS + 1]; /* per kind; [FAKE_ANY]:
						 * all */
	unsigned long ioctl_calls[256]; /* per ioctl nr (low byte) */
	enum fake_call fail_kind; /* injection: which calls */
	unsigned long fail_request; /* FAKE_IOCTL: this one, 0:
				     * any */
	unsigned long fail_nth; /* the nth matching, 0: off */
	unsigned long fail_seen; /* matching calls so far */
	int fail_err; /* -errno it returns */
};

/*
 * A host with one viable group FAKE_E1000E_GROUP holding an e1000e at
 * FAKE_E1000E_BDF, type1v2 with 4 KiB/2 MiB/1 GiB pages, the x86 MSI
 * window as the IOVA hole ([0, 0xfedfffff] and [0xfef00000, 2^39 - 1]),
 * dma_entry_limit 65535, no memlock limit. Aborts if it cannot.
 */
void fake_vfio_init(struct fake_vfio *f);

/* Frees the BAR backing. What devices/vfio left open stays counted. */
void fake_vfio_fini(struct fake_vfio *f);

/* Adds group (id). */
struct fake_group *fake_vfio_add_group(struct fake_vfio *f, unsigned int id,
				       bool viable);

/* Adds an e1000e-like device (bdf) to group (group) (added if new,
 * viable). */
struct fake_device *fake_vfio_add_device(struct fake_vfio *f, const char *bdf,
					 unsigned int group);

/* The device named (bdf), or NULL. */
struct fake_device *fake_vfio_device(struct fake_vfio *f, const char *bdf);

/* The container slot behind the group (id), or NULL. */
struct fake_container *fake_vfio_container_of(struct fake_vfio *f,
					      unsigned int group);

/* Sets the device's Interrupt Pin to (pin) (0: none, 1-4: INTA-INTD)
 * and with it the INTx count GET_IRQ_INFO answers: 1 with a pin, else
 * 0, as vfio_pci_get_irq_count() reads it (vfio-pci's nointx shows the
 * same: pin 0, count 0). Before the device is opened. */
void fake_vfio_set_intx_pin(struct fake_device *d, uint8_t pin);

/* The device raises (asserted) or drops its INTx line. A line up while
 * INTx is on with a trigger and unmasked signals the trigger once and
 * masks INTx (vfio_intx_handler()); a line down signals nothing. */
void fake_vfio_intx_set_line(struct fake_device *d, bool asserted);

/* What the kernel's virqfd does for INTx's unmask eventfd: reads it
 * (without blocking) and, if it was written, unmasks INTx, unless the
 * line is still up: then INTx stays masked and the trigger is signalled
 * again (vfio_pci_intx_unmask_handler()). Whether it was written. */
bool fake_vfio_intx_service(struct fake_device *d);

/* The nth (1-based) call matching (kind) (and (request), for FAKE_IOCTL;
 * 0: any ioctl) from now on fails with (err) (a negative errno). */
void fake_vfio_fail(struct fake_vfio *f, enum fake_call kind,
		    unsigned long request, unsigned long nth, int err);

/* fds of ours open now; mmaps of ours live now. */
unsigned int fake_vfio_open_fds(const struct fake_vfio *f);
unsigned int fake_vfio_live_mmaps(const struct fake_vfio *f);

#endif
