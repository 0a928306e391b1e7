// SPDX-License-Identifier: Apache-2.0
/* tests/support/fake_vfio.c: an in-memory VFIO host behind struct vfio_sys. */
#include "support/fake_vfio.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define PAGE 4096ull
#define REGION_SHIFT 40 /* VFIO_PCI_OFFSET_SHIFT */
#define REGION_MASK ((1ull << REGION_SHIFT) - 1)

/* Test support: a setup that cannot be built is the test's problem. */
static void die(const char *what)
{
	fprintf(stderr, "fake_vfio: %s\n", what);
	abort();
}

/* ---- fds, mmaps, failure injection ---- */

static int new_fd(struct fake_vfio *f, int kind, int obj)
{
	if (f->next_fd == FAKE_MAX_FDS)
		return -EMFILE;
	f->fds[f->next_fd] = (struct fake_fd){ kind, obj };
	return FAKE_FD_BASE + (int)f->next_fd++;
}

static struct fake_fd *get_fd(struct fake_vfio *f, int fd)
{
	if (fd < FAKE_FD_BASE || fd >= FAKE_FD_BASE + (int)f->next_fd)
		return NULL;
	if (f->fds[fd - FAKE_FD_BASE].kind == FAKE_FD_NONE)
		return NULL;
	return &f->fds[fd - FAKE_FD_BASE];
}

/* Counts a call; returns the injected error when it is the chosen one. */
static int count_call(struct fake_vfio *f, enum fake_call kind,
		      unsigned long request)
{
	bool match;

	f->calls[kind]++;
	f->calls[FAKE_ANY]++;
	if (kind == FAKE_IOCTL)
		f->ioctl_calls[request & 0xff]++;
	if (!f->fail_nth)
		return 0;
	match = f->fail_kind == FAKE_ANY ||
		(f->fail_kind == kind &&
		 (kind != FAKE_IOCTL || !f->fail_request ||
		  f->fail_request == request));
	if (match && ++f->fail_seen == f->fail_nth) {
		f->fail_nth = 0;
		return f->fail_err;
	}
	return 0;
}

void fake_vfio_fail(struct fake_vfio *f, enum fake_call kind,
		    unsigned long request, unsigned long nth, int err)
{
	f->fail_kind = kind;
	f->fail_request = request;
	f->fail_nth = nth;
	f->fail_seen = 0;
	f->fail_err = err;
}

unsigned int fake_vfio_open_fds(const struct fake_vfio *f)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < f->next_fd; i++)
		n += f->fds[i].kind != FAKE_FD_NONE;
	return n;
}

unsigned int fake_vfio_live_mmaps(const struct fake_vfio *f)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < FAKE_MAX_MMAPS; i++)
		n += f->mmaps[i].addr != NULL;
	return n;
}

/* ---- the host's objects ---- */

static struct fake_group *find_group(struct fake_vfio *f, unsigned int id)
{
	for (unsigned int i = 0; i < f->nr_groups; i++) {
		if (f->groups[i].id == id)
			return &f->groups[i];
	}
	return NULL;
}

struct fake_group *fake_vfio_add_group(struct fake_vfio *f, unsigned int id,
				       bool viable)
{
	struct fake_group *g = find_group(f, id);

	if (!g) {
		if (f->nr_groups == FAKE_MAX_GROUPS)
			die("too many groups");
		g = &f->groups[f->nr_groups++];
		g->id = id;
		g->container = -1;
	}
	g->viable = viable;
	return g;
}

struct fake_device *fake_vfio_device(struct fake_vfio *f, const char *bdf)
{
	for (unsigned int i = 0; i < f->nr_devices; i++) {
		if (!strcmp(f->devices[i].bdf, bdf))
			return &f->devices[i];
	}
	return NULL;
}

struct fake_container *fake_vfio_container_of(struct fake_vfio *f,
					      unsigned int group)
{
	struct fake_group *g = find_group(f, group);

	return g && g->container >= 0 ? &f->containers[g->container] : NULL;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)v);
	put16(p + 2, (uint16_t)(v >> 16));
}

/* An 82574L (e1000e) as QEMU shows it: PM -> MSI -> PCIe -> MSI-X. */
static void e1000e_config(struct fake_device *d)
{
	uint8_t *c = d->config;

	memset(c, 0, sizeof(d->config));
	put16(c + 0x00, 0x8086); /* vendor */
	put16(c + 0x02, 0x10d3); /* device */
	put16(c + 0x06, 0x0010); /* status: capabilities list */
	c[0x0b] = 0x02; /* class: network */
	put32(c + 0x10, 0xfebc0000); /* BAR0, 32-bit memory */
	put32(c + 0x18, 0x0000c001); /* BAR2, I/O space */
	put32(c + 0x1c, 0xfebe0000); /* BAR3 */
	c[0x3d] = 0x01; /* interrupt pin INTA */
	c[0x34] = 0xc8; /* first capability */
	c[0xc8] = 0x01; /* power management */
	c[0xc9] = 0xd0;
	c[0xd0] = 0x05; /* MSI */
	c[0xd1] = 0xe0;
	put16(c + 0xd2, 0x0080); /* MSI: 64-bit, 14 bytes */
	c[0xe0] = 0x10; /* PCI Express */
	c[0xe1] = 0xa0;
	c[0xa0] = 0x11; /* MSI-X */
	c[0xa1] = 0x00; /* last */
	put16(c + 0xa2, 5 - 1); /* table size N - 1 */
	put32(c + 0xa4, 0x00000000 | 3); /* table: BAR3 + 0 */
	put32(c + 0xa8, 0x00002000 | 3); /* PBA: BAR3 + 0x2000 */
}

struct fake_device *fake_vfio_add_device(struct fake_vfio *f, const char *bdf,
					 unsigned int group)
{
	struct fake_device *d;
	const uint32_t rw =
		VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE;

	if (f->nr_devices == FAKE_MAX_DEVICES)
		die("too many devices");
	if (!find_group(f, group))
		fake_vfio_add_group(f, group, true);
	d = &f->devices[f->nr_devices++];
	memset(d, 0, sizeof(*d));
	snprintf(d->bdf, sizeof(d->bdf), "%s", bdf);
	d->group = group;
	d->has_group = true;
	d->flags = VFIO_DEVICE_FLAGS_PCI | VFIO_DEVICE_FLAGS_RESET;
	d->pcie = true;
	e1000e_config(d);
	d->region_size[VFIO_PCI_BAR0_REGION_INDEX] = 128u << 10;
	d->region_flags[VFIO_PCI_BAR0_REGION_INDEX] =
		rw | VFIO_REGION_INFO_FLAG_MMAP;
	d->region_size[VFIO_PCI_BAR2_REGION_INDEX] = 32; /* I/O: no mmap */
	d->region_flags[VFIO_PCI_BAR2_REGION_INDEX] = rw;
	d->region_size[VFIO_PCI_BAR3_REGION_INDEX] = 16u << 10;
	d->region_flags[VFIO_PCI_BAR3_REGION_INDEX] =
		rw | VFIO_REGION_INFO_FLAG_MMAP;
	d->msix_mappable[VFIO_PCI_BAR3_REGION_INDEX] = true;
	d->region_size[VFIO_PCI_CONFIG_REGION_INDEX] = FAKE_CFG_SIZE;
	d->region_flags[VFIO_PCI_CONFIG_REGION_INDEX] = rw;
	d->irq_count[VFIO_PCI_INTX_IRQ_INDEX] = 1;
	d->irq_count[VFIO_PCI_MSI_IRQ_INDEX] = 1;
	d->irq_count[VFIO_PCI_MSIX_IRQ_INDEX] = 5;
	d->irq_count[VFIO_PCI_ERR_IRQ_INDEX] = 1;
	d->irq_count[VFIO_PCI_REQ_IRQ_INDEX] = 1;
	d->intx_trigger = -1;
	d->intx_unmask = -1;
	d->memfd = memfd_create("fake_vfio_bars", MFD_CLOEXEC);
	if (d->memfd < 0 || ftruncate(d->memfd, 6 * FAKE_BAR_SLOT))
		die("memfd");
	d->bars = mmap(NULL, 6 * FAKE_BAR_SLOT, PROT_READ | PROT_WRITE,
		       MAP_SHARED, d->memfd, 0);
	if (d->bars == MAP_FAILED)
		die("mmap");
	return d;
}

void fake_vfio_set_intx_pin(struct fake_device *d, uint8_t pin)
{
	d->config[0x3d] = pin;
	d->irq_count[VFIO_PCI_INTX_IRQ_INDEX] = pin ? 1 : 0;
}

static int fake_open(void *ctx, const char *path, int flags);
static int fake_close(void *ctx, int fd);
static int fake_ioctl(void *ctx, int fd, unsigned long request,
		      unsigned long arg);
static ssize_t fake_pread(void *ctx, int fd, void *buf, size_t len,
			  uint64_t offset);
static ssize_t fake_pwrite(void *ctx, int fd, const void *buf, size_t len,
			   uint64_t offset);
static int fake_mmap(void *ctx, int fd, size_t len, int prot, uint64_t offset,
		     void **out);
static int fake_munmap(void *ctx, void *addr, size_t len);
static ssize_t fake_readlink(void *ctx, const char *path, char *buf,
			     size_t len);

static const struct vfio_sys_ops fake_ops = {
	.open = fake_open,
	.close = fake_close,
	.ioctl = fake_ioctl,
	.pread = fake_pread,
	.pwrite = fake_pwrite,
	.mmap = fake_mmap,
	.munmap = fake_munmap,
	.readlink = fake_readlink,
};

void fake_vfio_init(struct fake_vfio *f)
{
	memset(f, 0, sizeof(*f));
	f->sys = (struct vfio_sys){ &fake_ops, f };
	f->api_version = VFIO_API_VERSION;
	f->has_type1v2 = true;
	f->pgsizes = (1ull << 12) | (1ull << 21) | (1ull << 30);
	f->dma_entry_limit = 65535; /* U16_MAX, type1's default */
	f->nr_ranges = 2;
	f->ranges[0] = (struct vfio_iova_range){ 0, 0xfedfffffull };
	f->ranges[1] =
		(struct vfio_iova_range){ 0xfef00000ull, (1ull << 39) - 1 };
	fake_vfio_add_group(f, FAKE_E1000E_GROUP, true);
	fake_vfio_add_device(f, FAKE_E1000E_BDF, FAKE_E1000E_GROUP);
}

void fake_vfio_fini(struct fake_vfio *f)
{
	for (unsigned int i = 0; i < f->nr_devices; i++) {
		munmap(f->devices[i].bars, 6 * FAKE_BAR_SLOT);
		close(f->devices[i].memfd);
	}
	for (unsigned int i = 0; i < FAKE_MAX_MMAPS; i++) {
		if (f->mmaps[i].addr)
			munmap(f->mmaps[i].addr, f->mmaps[i].len);
	}
	f->nr_devices = 0;
}

/* ---- interrupts (drivers/vfio/pci/vfio_pci_intrs.c) ---- */

/* eventfd_ctx_fdget(): an open fd (-EBADF) that is an eventfd
 * (-EINVAL). */
static int eventfd_check(int fd)
{
	char path[40], link[32];
	ssize_t n;

	if (fd < 0 || fcntl(fd, F_GETFD) < 0)
		return -EBADF;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return -EBADF;
	link[n] = '\0';
	return strcmp(link, "anon_inode:[eventfd]") ? -EINVAL : 0;
}

/* eventfd_signal(): the kernel never fails it, so neither may we; an
 * fd closed under the kernel is the code under test's bug. */
static void intx_signal(struct fake_device *d)
{
	uint64_t one = 1;

	if (d->intx_trigger < 0)
		return;
	if (write(d->intx_trigger, &one, sizeof(one)) != sizeof(one))
		die("INTx trigger: not a writable eventfd (closed under "
		    "the kernel?)");
	d->intx_signals++;
}

/* vfio_intx_handler(): a level interrupt comes while the line is up and
 * INTx is unmasked, with a handler (a trigger) to take it; the handler
 * masks INTx and signals. */
static void intx_fire(struct fake_device *d)
{
	if (d->irq_type != FAKE_IRQ_INTX || d->intx_trigger < 0 ||
	    !d->intx_line || d->intx_masked)
		return;
	d->intx_masked = true;
	intx_signal(d);
}

/* vfio_pci_intx_unmask_handler(): a line still up is re-sent rather
 * than taken again, and INTx stays masked. */
static void intx_unmask(struct fake_device *d)
{
	if (d->irq_type != FAKE_IRQ_INTX || !d->intx_masked)
		return;
	if (d->intx_line)
		intx_signal(d);
	else
		d->intx_masked = false;
}

/* vfio_intx_disable(): the unmask eventfd goes too. */
static void intx_disable(struct fake_device *d)
{
	d->intx_unmask = -1;
	d->intx_trigger = -1;
	d->intx_masked = false;
	d->irq_type = FAKE_IRQ_NONE;
}

/* What vfio_pci_core_disable() leaves: nothing on. */
static void irqs_off(struct fake_device *d)
{
	intx_disable(d);
	d->msi_enabled = 0;
	d->msix_enabled = 0;
}

void fake_vfio_intx_set_line(struct fake_device *d, bool asserted)
{
	d->intx_line = asserted;
	intx_fire(d);
}

bool fake_vfio_intx_service(struct fake_device *d)
{
	struct pollfd p = { .fd = d->intx_unmask, .events = POLLIN };
	uint64_t n;

	if (d->intx_unmask < 0 || poll(&p, 1, 0) != 1 || !(p.revents & POLLIN))
		return false;
	if (read(d->intx_unmask, &n, sizeof(n)) != sizeof(n))
		return false;
	intx_unmask(d);
	return true;
}

/* vfio_intx_set_signal(): the old trigger goes; (fd) < 0 leaves none. */
static int intx_set_signal(struct fake_device *d, int32_t fd)
{
	int ret;

	d->intx_trigger = -1;
	if (fd < 0)
		return 0;
	ret = eventfd_check(fd);
	if (ret)
		return ret;
	d->intx_trigger = fd;
	intx_fire(d); /* request_irq() on a line already up */
	return 0;
}

/* vfio_pci_set_intx_trigger(). */
static int intx_trigger(struct fake_device *d, const struct vfio_irq_set *h,
			const uint8_t *data)
{
	uint32_t type = h->flags & VFIO_IRQ_SET_DATA_TYPE_MASK;
	bool on = d->irq_type == FAKE_IRQ_INTX;
	int32_t fd;
	int ret;

	if (on && !h->count && type == VFIO_IRQ_SET_DATA_NONE) {
		intx_disable(d);
		return 0;
	}
	if (!(on || d->irq_type == FAKE_IRQ_NONE) || h->start || h->count != 1)
		return -EINVAL;
	if (type == VFIO_IRQ_SET_DATA_EVENTFD) {
		memcpy(&fd, data, sizeof(fd));
		if (on)
			return intx_set_signal(d, fd);
		d->irq_type = FAKE_IRQ_INTX; /* vfio_intx_enable() */
		d->intx_masked = false;
		ret = intx_set_signal(d, fd);
		if (ret)
			intx_disable(d);
		return ret;
	}
	if (!on)
		return -EINVAL;
	if (type == VFIO_IRQ_SET_DATA_NONE || data[0])
		intx_signal(d); /* a loopback: no masking */
	return 0;
}

/* vfio_pci_set_intx_unmask() and vfio_virqfd_enable(). */
static int intx_unmask_action(struct fake_device *d,
			      const struct vfio_irq_set *h, const uint8_t *data)
{
	uint32_t type = h->flags & VFIO_IRQ_SET_DATA_TYPE_MASK;
	int32_t fd;
	int ret;

	if (d->irq_type != FAKE_IRQ_INTX || h->start || h->count != 1)
		return -EINVAL;
	if (type != VFIO_IRQ_SET_DATA_EVENTFD) {
		if (type == VFIO_IRQ_SET_DATA_NONE || data[0])
			intx_unmask(d);
		return 0;
	}
	memcpy(&fd, data, sizeof(fd));
	if (fd < 0) {
		d->intx_unmask = -1;
		return 0;
	}
	ret = eventfd_check(fd);
	if (ret)
		return ret;
	if (d->intx_unmask >= 0)
		return -EBUSY;
	d->intx_unmask = fd;
	return 0;
}

/* vfio_pci_set_intx_mask(). */
static int intx_mask_action(struct fake_device *d, const struct vfio_irq_set *h,
			    const uint8_t *data)
{
	uint32_t type = h->flags & VFIO_IRQ_SET_DATA_TYPE_MASK;

	if (d->irq_type != FAKE_IRQ_INTX || h->start || h->count != 1)
		return -EINVAL;
	if (type == VFIO_IRQ_SET_DATA_EVENTFD)
		return -ENOTTY; /* "XXX implement me" */
	if (type == VFIO_IRQ_SET_DATA_NONE || data[0])
		d->intx_masked = true;
	return 0;
}

/* vfio_pci_set_msi_trigger(), for MSI and MSI-X: enabled with start +
 * count vectors by the first eventfds, never grown after
 * (VFIO_IRQ_INFO_NORESIZE). */
static int msi_trigger(struct fake_device *d, const struct vfio_irq_set *h)
{
	bool msix = h->index == VFIO_PCI_MSIX_IRQ_INDEX;
	enum fake_irq_type t = msix ? FAKE_IRQ_MSIX : FAKE_IRQ_MSI;
	uint32_t *nvec = msix ? &d->msix_enabled : &d->msi_enabled;
	uint32_t type = h->flags & VFIO_IRQ_SET_DATA_TYPE_MASK;
	bool on = d->irq_type == t;

	if (on && !h->count && type == VFIO_IRQ_SET_DATA_NONE) {
		*nvec = 0;
		d->irq_type = FAKE_IRQ_NONE;
		return 0;
	}
	if (!(on || d->irq_type == FAKE_IRQ_NONE))
		return -EINVAL;
	if (type == VFIO_IRQ_SET_DATA_EVENTFD) {
		if (!on) {
			if (!h->start && !h->count)
				return -EINVAL; /* no vector to enable */
			*nvec = h->start + h->count; /* vfio_msi_enable() */
			d->irq_type = t;
		}
		if (h->start >= *nvec || h->start + h->count > *nvec) {
			if (!on) { /* vfio_msi_set_block() failed */
				*nvec = 0;
				d->irq_type = FAKE_IRQ_NONE;
			}
			return -EINVAL;
		}
		return 0;
	}
	if (!on || h->start + h->count > *nvec)
		return -EINVAL;
	return 0; /* loopback signals: not modelled */
}

/* vfio_pci_set_irqs_ioctl(): who takes an index's action. */
static int irqs_dispatch(struct fake_device *d, const struct vfio_irq_set *h,
			 const uint8_t *data)
{
	uint32_t action = h->flags & VFIO_IRQ_SET_ACTION_TYPE_MASK;

	switch (h->index) {
	case VFIO_PCI_INTX_IRQ_INDEX:
		if (action == VFIO_IRQ_SET_ACTION_TRIGGER)
			return intx_trigger(d, h, data);
		if (action == VFIO_IRQ_SET_ACTION_UNMASK)
			return intx_unmask_action(d, h, data);
		if (action == VFIO_IRQ_SET_ACTION_MASK)
			return intx_mask_action(d, h, data);
		return -ENOTTY;
	case VFIO_PCI_MSI_IRQ_INDEX:
	case VFIO_PCI_MSIX_IRQ_INDEX:
		if (action == VFIO_IRQ_SET_ACTION_TRIGGER)
			return msi_trigger(d, h);
		return -ENOTTY;
	default:
		return 0; /* ERR, REQ: taken, not modelled */
	}
}

/* ---- sysfs and /dev/vfio ---- */

static ssize_t fake_readlink(void *ctx, const char *path, char *buf, size_t len)
{
	struct fake_vfio *f = ctx;
	char want[160], link[160];
	int ret = count_call(f, FAKE_READLINK, 0);

	if (ret)
		return ret;
	link[0] = '\0';
	for (unsigned int i = 0; i < f->nr_devices && !link[0]; i++) {
		const struct fake_device *d = &f->devices[i];

		snprintf(want, sizeof(want), "/sys/bus/pci/devices/%s", d->bdf);
		if (!strcmp(path, want))
			snprintf(link, sizeof(link),
				 "../../../devices/pci0000:00/%s", d->bdf);
		snprintf(want, sizeof(want), "/sys/devices/pci0000:00/%s",
			 d->bdf);
		if (!strcmp(path, want))
			return -EINVAL; /* a directory, not a link */
		if (!d->has_group)
			continue;
		snprintf(want, sizeof(want),
			 "/sys/bus/pci/devices/%s/iommu_group", d->bdf);
		if (strcmp(path, want))
			snprintf(want, sizeof(want),
				 "/sys/devices/pci0000:00/%s/iommu_group",
				 d->bdf);
		if (!strcmp(path, want))
			snprintf(link, sizeof(link),
				 "../../../../kernel/iommu_groups/%u",
				 d->group);
	}
	if (!link[0])
		return -ENOENT;
	if (!len || strlen(link) >= len - 1)
		return -ENAMETOOLONG; /* vfio_sys_host's contract */
	strcpy(buf, link);
	return (ssize_t)strlen(link);
}

static int fake_open(void *ctx, const char *path, int flags)
{
	struct fake_vfio *f = ctx;
	struct fake_group *g;
	unsigned int id;
	char end;
	int ret = count_call(f, FAKE_OPEN, 0), fd;

	if (ret)
		return ret;
	if (!strcmp(path, "/dev/vfio/vfio")) {
		if (f->no_vfio)
			return -ENOENT;
		for (int i = 0; i < FAKE_MAX_CONTAINERS; i++) {
			struct fake_container *c = &f->containers[i];

			if (c->used)
				continue;
			fd = new_fd(f, FAKE_FD_CONTAINER, i);
			if (fd < 0)
				return fd;
			memset(c, 0, sizeof(*c));
			c->used = true;
			c->fd_open = true;
			return fd;
		}
		return -ENOMEM;
	}
	if (sscanf(path, "/dev/vfio/%u%c", &id, &end) != 1 ||
	    !(g = find_group(f, id)))
		return -ENOENT;
	if (g->open)
		return -EBUSY; /* a group is opened once at a time */
	fd = new_fd(f, FAKE_FD_GROUP, (int)(g - f->groups));
	if (fd >= 0)
		g->open = true;
	return fd;
}

/* The container loses a group; with none left its IOMMU goes, and every
 * mapping with it (__vfio_group_unset_container()). */
static void container_drop_group(struct fake_vfio *f, struct fake_group *g)
{
	struct fake_container *c = &f->containers[g->container];

	g->container = -1;
	if (--c->nr_groups)
		return;
	c->iommu_set = false;
	c->nr_maps = 0;
	c->pinned = 0;
	if (!c->fd_open)
		c->used = false;
}

static int fake_close(void *ctx, int fd)
{
	struct fake_vfio *f = ctx;
	struct fake_fd *e = get_fd(f, fd);
	int ret = count_call(f, FAKE_CLOSE, 0);

	if (!e)
		return -EBADF;
	switch (e->kind) {
	case FAKE_FD_CONTAINER: {
		struct fake_container *c = &f->containers[e->obj];

		c->fd_open = false;
		if (!c->nr_groups)
			c->used = false;
		break;
	}
	case FAKE_FD_GROUP: {
		struct fake_group *g = &f->groups[e->obj];

		if (g->container >= 0)
			container_drop_group(f, g);
		g->open = false;
		break;
	}
	case FAKE_FD_DEVICE: {
		struct fake_device *d = &f->devices[e->obj];

		/* The last close disables what is on
		 * (vfio_pci_core_disable()). */
		if (!--d->open_fds)
			irqs_off(d);
		break;
	}
	default:
		break;
	}
	e->kind = FAKE_FD_NONE; /* closed even when "failing", as Linux */
	return ret;
}

/* ---- type1 ---- */

static bool iova_valid(const struct fake_vfio *f, uint64_t start, uint64_t last)
{
	for (unsigned int i = 0; i < f->nr_ranges; i++) {
		if (start >= f->ranges[i].start && last <= f->ranges[i].end)
			return true;
	}
	return !f->nr_ranges;
}

/* The mapping holding (iova), or NULL. */
static struct fake_mapping *find_map(struct fake_container *c, uint64_t iova)
{
	for (size_t i = 0; i < c->nr_maps; i++) {
		if (iova >= c->maps[i].iova &&
		    iova - c->maps[i].iova < c->maps[i].size)
			return &c->maps[i];
	}
	return NULL;
}

/* vfio_dma_do_map(), less the pinning. */
static int type1_map(struct fake_vfio *f, struct fake_container *c,
		     struct vfio_iommu_type1_dma_map *m)
{
	uint64_t pg = f->pgsizes & -f->pgsizes;
	uint32_t prot =
		m->flags & (VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE);
	size_t i;

	if (m->argsz < sizeof(*m) || m->flags & ~prot || !prot)
		return -EINVAL;
	if (!m->size || (m->size | m->iova | m->vaddr) & (pg - 1))
		return -EINVAL;
	if (m->iova + m->size - 1 < m->iova ||
	    m->vaddr + m->size - 1 < m->vaddr)
		return -EINVAL;
	for (i = 0; i < c->nr_maps; i++) {
		if (m->iova <= c->maps[i].iova + c->maps[i].size - 1 &&
		    c->maps[i].iova <= m->iova + m->size - 1)
			return -EEXIST;
	}
	if (!c->dma_avail || c->nr_maps == FAKE_MAX_MAPPINGS)
		return -ENOSPC;
	if (!iova_valid(f, m->iova, m->iova + m->size - 1))
		return -EINVAL;
	if (f->memlock_limit && c->pinned + m->size > f->memlock_limit)
		return -ENOMEM; /* vfio_pin_pages_remote() */
	for (i = c->nr_maps; i > 0 && c->maps[i - 1].iova > m->iova; i--)
		c->maps[i] = c->maps[i - 1];
	c->maps[i] =
		(struct fake_mapping){ m->iova, m->size, m->vaddr, m->flags };
	c->nr_maps++;
	c->dma_avail--;
	c->pinned += m->size;
	return 0;
}

/* vfio_dma_do_unmap() for v2: whole mappings only. */
static int type1_unmap(struct fake_vfio *f, struct fake_container *c,
		       struct vfio_iommu_type1_dma_unmap *u)
{
	uint64_t pg = f->pgsizes & -f->pgsizes, size = u->size, done = 0;
	struct fake_mapping *m;
	size_t i, j;

	if (u->argsz < sizeof(*u) || u->flags & ~VFIO_DMA_UNMAP_FLAG_ALL ||
	    u->iova & (pg - 1))
		return -EINVAL;
	if (u->flags & VFIO_DMA_UNMAP_FLAG_ALL) {
		if (u->iova || u->size)
			return -EINVAL;
		size = UINT64_MAX - u->iova;
	} else if (!size || size & (pg - 1) || u->iova + size - 1 < u->iova) {
		return -EINVAL;
	} else {
		u->size = 0;
		m = find_map(c, u->iova);
		if (m && m->iova != u->iova)
			return -EINVAL; /* would cut a mapping */
		m = find_map(c, u->iova + size - 1);
		if (m && m->iova + m->size != u->iova + size)
			return -EINVAL;
	}
	for (i = j = 0; i < c->nr_maps; i++) {
		m = &c->maps[i];
		if (m->iova >= u->iova && m->iova - u->iova <= size - 1) {
			done += m->size;
			c->pinned -= m->size;
			c->dma_avail++;
			continue;
		}
		c->maps[j++] = *m;
	}
	c->nr_maps = j;
	u->size = done;
	return 0;
}

/* Appends a capability to (buf) at (*len) and links it from (*prev). */
static void add_cap(uint8_t *buf, size_t *len, size_t *prev, uint16_t id,
		    const void *body, size_t body_len)
{
	struct vfio_info_cap_header h = { id, 1, 0 };

	if (*prev) {
		uint32_t next = (uint32_t)*len;

		memcpy(buf + *prev + 4, &next, sizeof(next));
	}
	memcpy(buf + *len, &h, sizeof(h));
	if (body_len)
		memcpy(buf + *len + sizeof(h), body, body_len);
	*prev = *len;
	*len += sizeof(h) + body_len;
}

/* Answers an info query: (info, minsz) then the chain (caps, caps_len)
 * built at offset (base), or argsz raised when it does not fit. */
static int answer_info(void *arg, void *info, size_t minsz, const uint8_t *caps,
		       size_t caps_len, uint32_t cap_off, uint32_t *flags,
		       uint32_t caps_flag, uint32_t *cap_offset)
{
	uint32_t argsz;

	memcpy(&argsz, arg, sizeof(argsz));
	if (caps_len) {
		*flags |= caps_flag;
		if (argsz < cap_off + caps_len) {
			memcpy(info,
			       &(uint32_t){ (uint32_t)(cap_off + caps_len) },
			       sizeof(argsz));
			*cap_offset = 0;
		} else {
			memcpy((uint8_t *)arg + cap_off, caps, caps_len);
			*cap_offset = cap_off;
		}
	}
	memcpy(arg, info, minsz);
	return 0;
}

static int type1_get_info(struct fake_vfio *f, struct fake_container *c,
			  void *arg)
{
	struct vfio_iommu_type1_info info;
	uint8_t caps[512];
	size_t len = sizeof(info), prev = 0;
	struct {
		uint32_t flags, pad;
		uint64_t pgsize, max;
	} mig = { 0, 0, f->pgsizes & -f->pgsizes, 256ull << 20 };
	struct {
		uint32_t nr, reserved;
		struct vfio_iova_range r[FAKE_MAX_RANGES];
	} iova = { f->nr_ranges, 0, { { 0, 0 } } };

	memcpy(&info, arg, sizeof(info));
	if (info.argsz < offsetof(struct vfio_iommu_type1_info, cap_offset))
		return -EINVAL;
	info.flags = VFIO_IOMMU_INFO_PGSIZES;
	info.iova_pgsizes = f->pgsizes;
	info.cap_offset = 0;
	if (f->info_caps) {
		/* Chain bytes as given, malformed or not, after the info,
		 * with the cap_offset given. */
		answer_info(arg, &info, sizeof(info), f->info_caps,
			    f->info_caps_len, sizeof(info), &info.flags,
			    VFIO_IOMMU_INFO_CAPS, &info.cap_offset);
		if (info.cap_offset)
			memcpy((uint8_t *)arg +
				       offsetof(struct vfio_iommu_type1_info,
						cap_offset),
			       &f->info_cap_offset, sizeof(uint32_t));
		return 0;
	}
	memset(caps, 0, sizeof(caps));
	/* 6.1's order, packed with no padding (vfio_info_cap_add()). */
	add_cap(caps, &len, &prev, VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION, &mig,
		sizeof(mig));
	add_cap(caps, &len, &prev, VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL,
		&c->dma_avail, sizeof(c->dma_avail));
	memcpy(iova.r, f->ranges, sizeof(iova.r));
	if (f->nr_ranges)
		add_cap(caps, &len, &prev, VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE,
			&iova, 8 + f->nr_ranges * sizeof(iova.r[0]));
	return answer_info(arg, &info, sizeof(info), caps + sizeof(info),
			   len - sizeof(info), sizeof(info), &info.flags,
			   VFIO_IOMMU_INFO_CAPS, &info.cap_offset);
}

static int container_ioctl(struct fake_vfio *f, struct fake_container *c,
			   unsigned long request, unsigned long arg)
{
	switch (request) {
	case VFIO_GET_API_VERSION:
		return f->api_version;
	case VFIO_CHECK_EXTENSION:
		return (arg == VFIO_TYPE1v2_IOMMU || arg == VFIO_TYPE1_IOMMU) &&
		       f->has_type1v2;
	case VFIO_SET_IOMMU:
		if (!c->nr_groups || c->iommu_set)
			return -EINVAL;
		if (arg != VFIO_TYPE1v2_IOMMU || !f->has_type1v2)
			return -ENODEV;
		c->iommu_set = true;
		c->dma_avail = f->dma_entry_limit;
		return 0;
	}
	if (!c->iommu_set)
		return -EINVAL; /* no driver: vfio_fops_unl_ioctl() */
	switch (request) {
	case VFIO_IOMMU_GET_INFO:
		return type1_get_info(f, c, (void *)arg);
	case VFIO_IOMMU_MAP_DMA:
		return type1_map(f, c, (void *)arg);
	case VFIO_IOMMU_UNMAP_DMA:
		return type1_unmap(f, c, (void *)arg);
	}
	return -ENOTTY;
}

static int group_ioctl(struct fake_vfio *f, struct fake_group *g,
		       unsigned long request, unsigned long arg)
{
	switch (request) {
	case VFIO_GROUP_GET_STATUS: {
		struct vfio_group_status *s = (void *)arg;

		if (s->argsz < sizeof(*s))
			return -EINVAL;
		s->flags = 0;
		if (g->container >= 0)
			s->flags = VFIO_GROUP_FLAGS_CONTAINER_SET |
				   VFIO_GROUP_FLAGS_VIABLE;
		else if (g->viable)
			s->flags = VFIO_GROUP_FLAGS_VIABLE;
		return 0;
	}
	case VFIO_GROUP_SET_CONTAINER: {
		struct fake_fd *e = get_fd(f, *(const int *)arg);

		if (!e)
			return -EBADF;
		if (g->container >= 0 || e->kind != FAKE_FD_CONTAINER)
			return -EINVAL;
		if (!g->viable)
			return -EBUSY; /* iommu_group_claim_dma_owner() */
		g->container = e->obj;
		f->containers[e->obj].nr_groups++;
		return 0;
	}
	case VFIO_GROUP_UNSET_CONTAINER:
		if (g->container < 0)
			return -EINVAL;
		container_drop_group(f, g);
		return 0;
	case VFIO_GROUP_GET_DEVICE_FD: {
		struct fake_device *d = fake_vfio_device(f, (const char *)arg);
		int fd;

		if (g->container < 0 || !f->containers[g->container].iommu_set)
			return -EINVAL;
		if (!d || d->group != g->id)
			return -ENODEV;
		fd = new_fd(f, FAKE_FD_DEVICE, (int)(d - f->devices));
		if (fd >= 0)
			d->open_fds++;
		return fd;
	}
	}
	return -ENOTTY;
}

/* ---- the PCI device ---- */

static int region_info(struct fake_device *d, void *arg)
{
	struct vfio_region_info info;
	uint8_t caps[256];
	size_t len = sizeof(info), prev = 0;
	unsigned int i;

	memcpy(&info, arg, sizeof(info));
	if (info.argsz < sizeof(info))
		return -EINVAL;
	i = info.index;
	if (i >= FAKE_NR_REGIONS || i == VFIO_PCI_VGA_REGION_INDEX)
		return -EINVAL; /* no VGA here */
	info.offset = (uint64_t)i << REGION_SHIFT;
	info.size = d->region_size[i];
	info.flags = info.size ? d->region_flags[i] : 0;
	info.cap_offset = 0;
	if (d->msix_mappable[i])
		add_cap(caps, &len, &prev, VFIO_REGION_INFO_CAP_MSIX_MAPPABLE,
			NULL, 0);
	if (d->nr_sparse[i]) {
		struct {
			uint32_t nr, reserved;
			struct vfio_region_sparse_mmap_area a[FAKE_MAX_SPARSE];
		} sp = { d->nr_sparse[i], 0, { { 0, 0 } } };

		memcpy(sp.a, d->sparse[i], sizeof(sp.a));
		add_cap(caps, &len, &prev, VFIO_REGION_INFO_CAP_SPARSE_MMAP,
			&sp, 8 + d->nr_sparse[i] * sizeof(sp.a[0]));
	}
	return answer_info(arg, &info, sizeof(info), caps + sizeof(info),
			   len - sizeof(info), sizeof(info), &info.flags,
			   VFIO_REGION_INFO_FLAG_CAPS, &info.cap_offset);
}

/* vfio_set_irqs_validate_and_prepare(), then the index's rules; what
 * passes the first is recorded with the answer. */
static int set_irqs(struct fake_device *d, void *arg)
{
	struct vfio_irq_set h;
	uint32_t max, size = 0;
	struct fake_irq_set *rec = NULL;
	int ret;

	memcpy(&h, arg, sizeof(h));
	if (h.argsz < sizeof(h) || h.index >= FAKE_NR_IRQS ||
	    h.count >= UINT32_MAX - h.start ||
	    h.flags & ~(VFIO_IRQ_SET_DATA_TYPE_MASK |
			VFIO_IRQ_SET_ACTION_TYPE_MASK))
		return -EINVAL;
	max = d->irq_count[h.index];
	if (h.start >= max || h.start + h.count > max)
		return -EINVAL;
	switch (h.flags & VFIO_IRQ_SET_DATA_TYPE_MASK) {
	case VFIO_IRQ_SET_DATA_NONE:
		break;
	case VFIO_IRQ_SET_DATA_BOOL:
		size = 1;
		break;
	case VFIO_IRQ_SET_DATA_EVENTFD:
		size = 4;
		break;
	default:
		return -EINVAL;
	}
	if (h.argsz - sizeof(h) < (uint64_t)h.count * size)
		return -EINVAL;
	if (d->nr_irq_sets < FAKE_MAX_IRQ_SETS) {
		rec = &d->irq_sets[d->nr_irq_sets++];
		rec->len = h.argsz < sizeof(rec->bytes) ? h.argsz :
							  sizeof(rec->bytes);
		memcpy(rec->bytes, arg, rec->len);
	}
	ret = irqs_dispatch(d, &h, (const uint8_t *)arg + sizeof(h));
	if (rec)
		rec->ret = ret;
	return ret;
}

static int device_ioctl(struct fake_vfio *f, struct fake_device *d,
			unsigned long request, unsigned long arg)
{
	switch (request) {
	case VFIO_DEVICE_GET_INFO: {
		struct vfio_device_info *i = (void *)arg;

		if (i->argsz < offsetof(struct vfio_device_info, cap_offset))
			return -EINVAL;
		i->flags = d->flags;
		i->num_regions = FAKE_NR_REGIONS;
		i->num_irqs = FAKE_NR_IRQS;
		if (i->argsz >= sizeof(*i))
			i->cap_offset = 0;
		return 0;
	}
	case VFIO_DEVICE_GET_REGION_INFO:
		return region_info(d, (void *)arg);
	case VFIO_DEVICE_GET_IRQ_INFO: {
		struct vfio_irq_info *i = (void *)arg;

		if (i->argsz < sizeof(*i) || i->index >= FAKE_NR_IRQS ||
		    (i->index == VFIO_PCI_ERR_IRQ_INDEX && !d->pcie))
			return -EINVAL;
		i->flags = VFIO_IRQ_INFO_EVENTFD;
		i->flags |= i->index == VFIO_PCI_INTX_IRQ_INDEX ?
				    VFIO_IRQ_INFO_MASKABLE |
					    VFIO_IRQ_INFO_AUTOMASKED :
				    VFIO_IRQ_INFO_NORESIZE;
		i->count = d->irq_count[i->index];
		return 0;
	}
	case VFIO_DEVICE_SET_IRQS:
		return set_irqs(d, (void *)arg);
	case VFIO_DEVICE_RESET:
		if (!(d->flags & VFIO_DEVICE_FLAGS_RESET))
			return -EINVAL;
		d->resets++;
		return 0;
	}
	return -ENOTTY;
}

static int fake_ioctl(void *ctx, int fd, unsigned long request,
		      unsigned long arg)
{
	struct fake_vfio *f = ctx;
	struct fake_fd *e = get_fd(f, fd);
	int ret = count_call(f, FAKE_IOCTL, request);

	if (!e)
		return -EBADF;
	if (ret)
		return ret;
	switch (e->kind) {
	case FAKE_FD_CONTAINER:
		return container_ioctl(f, &f->containers[e->obj], request, arg);
	case FAKE_FD_GROUP:
		return group_ioctl(f, &f->groups[e->obj], request, arg);
	case FAKE_FD_DEVICE:
		return device_ioctl(f, &f->devices[e->obj], request, arg);
	default:
		return -EBADF;
	}
}

/* Where (offset, len) of a device fd lands: config bytes or a BAR's. */
static ssize_t region_io(struct fake_vfio *f, int fd, uint64_t offset,
			 size_t len, uint8_t **p)
{
	struct fake_fd *e = get_fd(f, fd);
	struct fake_device *d;
	unsigned int i = (unsigned int)(offset >> REGION_SHIFT);
	uint64_t off = offset & REGION_MASK;

	if (!e || e->kind != FAKE_FD_DEVICE)
		return -EBADF;
	d = &f->devices[e->obj];
	if (i >= FAKE_NR_REGIONS || off >= d->region_size[i])
		return -EINVAL;
	if (len > d->region_size[i] - off)
		len = (size_t)(d->region_size[i] - off); /* short */
	if (i == VFIO_PCI_CONFIG_REGION_INDEX)
		*p = d->config + off;
	else if (i <= VFIO_PCI_BAR5_REGION_INDEX)
		*p = d->bars + i * FAKE_BAR_SLOT + off;
	else
		return -EINVAL;
	return (ssize_t)len;
}

static ssize_t fake_pread(void *ctx, int fd, void *buf, size_t len,
			  uint64_t offset)
{
	struct fake_vfio *f = ctx;
	uint8_t *p;
	ssize_t n;
	int ret = count_call(f, FAKE_PREAD, 0);

	if (ret)
		return ret;
	n = region_io(f, fd, offset, len, &p);
	if (n > 0)
		memcpy(buf, p, (size_t)n);
	return n;
}

/*
 * The config bits a write leaves alone, as hardware and vfio-pci's
 * virtualized registers have them (drivers/vfio/pci/vfio_pci_config.c):
 * the IDs, class and revision, the header type, the Capabilities List
 * bit and pointer, and each capability's ID and Next byte (the list as
 * it is now, walked with a bound).
 */
static uint8_t config_ro(const struct fake_device *d, uint64_t at)
{
	const uint8_t *c = d->config;
	unsigned int ptr, n = 0;

	if (at < 4 || (at >= 0x08 && at < 0x0c) || at == 0x0e || at == 0x34 ||
	    at == 0x3d)
		return 0xff;
	if (at == 0x06)
		return 0x10;
	if (at >= 0x100 || !(c[0x06] & 0x10))
		return 0;
	for (ptr = c[0x34] & 0xfc; ptr >= 0x40 && n < 48;
	     ptr = c[ptr + 1] & 0xfc, n++) {
		if (at == ptr || at == ptr + 1)
			return 0xff;
	}
	return 0;
}

static ssize_t fake_pwrite(void *ctx, int fd, const void *buf, size_t len,
			   uint64_t offset)
{
	struct fake_vfio *f = ctx;
	const struct fake_fd *e;
	uint8_t *p;
	ssize_t n;
	int ret = count_call(f, FAKE_PWRITE, 0);

	if (ret)
		return ret;
	n = region_io(f, fd, offset, len, &p);
	if (n <= 0)
		return n;
	e = get_fd(f, fd); /* a device's: region_io() took it */
	for (ssize_t i = 0; i < n; i++) {
		uint64_t at = (offset & REGION_MASK) + (uint64_t)i;
		uint8_t ro = 0;

		if (e &&
		    (offset >> REGION_SHIFT) == VFIO_PCI_CONFIG_REGION_INDEX)
			ro = config_ro(&f->devices[e->obj], at);
		p[i] = (uint8_t)((p[i] & ro) |
				 (((const uint8_t *)buf)[i] & ~ro));
	}
	return n;
}

static int fake_mmap(void *ctx, int fd, size_t len, int prot, uint64_t offset,
		     void **out)
{
	struct fake_vfio *f = ctx;
	struct fake_fd *e = get_fd(f, fd);
	unsigned int i = (unsigned int)(offset >> REGION_SHIFT), slot;
	uint64_t off = offset & REGION_MASK;
	struct fake_device *d;
	void *p;
	int ret = count_call(f, FAKE_MMAP, 0);

	if (!e || e->kind != FAKE_FD_DEVICE)
		return -EBADF;
	if (ret)
		return ret;
	d = &f->devices[e->obj];
	/* vfio_pci_core_mmap(): a BAR that allows it, pages inside it. */
	if (i > VFIO_PCI_BAR5_REGION_INDEX ||
	    !(d->region_flags[i] & VFIO_REGION_INFO_FLAG_MMAP) || !len ||
	    (off | len) & (PAGE - 1) || off > d->region_size[i] ||
	    len > d->region_size[i] - off)
		return -EINVAL;
	for (slot = 0; slot < FAKE_MAX_MMAPS && f->mmaps[slot].addr; slot++)
		;
	if (slot == FAKE_MAX_MMAPS)
		return -ENOMEM;
	p = mmap(NULL, len, prot, MAP_SHARED, d->memfd,
		 (off_t)(i * FAKE_BAR_SLOT + off));
	if (p == MAP_FAILED)
		return -errno;
	f->mmaps[slot] = (struct fake_mmap){ p, len, offset };
	*out = p;
	return 0;
}

/* Stricter than Linux: only exactly what fake_mmap() mapped. */
static int fake_munmap(void *ctx, void *addr, size_t len)
{
	struct fake_vfio *f = ctx;
	int ret = count_call(f, FAKE_MUNMAP, 0);

	if (ret)
		return ret;
	for (unsigned int i = 0; i < FAKE_MAX_MMAPS; i++) {
		if (f->mmaps[i].addr == addr && f->mmaps[i].len == len) {
			munmap(addr, len);
			f->mmaps[i].addr = NULL;
			return 0;
		}
	}
	return -EINVAL;
}
