// SPDX-License-Identifier: Apache-2.0
/* devices/vfio/vfio_device.c: a VFIO PCI device: regions, IRQs, config. */
#include "devices/vfio/vfio_device.h"

#include <ctype.h>
#include <errno.h>
#include <linux/vfio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "devices/vfio/vfio_info.h"
#include "vmm/log.h"

#define VFIO_MAX_REGIONS 64 /* 9 for PCI, a few device-specific */
#define VFIO_MAX_IRQS 16 /* 5 for PCI */
#define VFIO_MAX_AREAS 64 /* sparse areas in one region */

/* PCI config space (PCI 3.0, 6.1 and 6.7). */
#define PCI_CFG_STD 256 /* the standard header and caps */
#define PCI_STATUS 0x06
#define PCI_STATUS_CAP_LIST 0x10
#define PCI_CAP_PTR 0x34
#define PCI_CAP_FIRST 0x40 /* caps live after the header */
#define PCI_CAP_ID_EXP 0x10
#define PCI_CAP_ID_MSIX 0x11
#define PCI_MSIX_SIZE 12 /* bytes of the MSI-X capability */
#define PCI_MSIX_QSIZE_MASK 0x7ff /* Message Control: table size-1 */
#define PCI_MSIX_BIR_MASK 0x7 /* BIR in the offset registers */
#define PCI_MSIX_MAX_VECTORS 2048 /* 11 bits of table size */
#define PCI_NUM_BARS 6

struct vfio_device {
	const struct vfio_sys *sys; /* the kernel's calls */
	struct vfio_container *container; /* holds our group */
	int fd; /* the device's fd */
	struct vfio_device_desc desc; /* what open found */
	unsigned int nr_maps[PCI_NUM_BARS]; /* maps[] entries, per BAR */
	struct vfio_bar_map *maps[PCI_NUM_BARS]; /* NULL: not mapped */
	bool mapped[PCI_NUM_BARS]; /* map_bar() done for the BAR */
};

/* "dddd:bb:dd.f": hex domain (4 to 8 digits), bus, device, function. */
static bool is_bdf(const char *s)
{
	size_t n = 0;

	while (isxdigit((unsigned char)s[n]))
		n++;
	if (n < 4 || n > 8 || s[n] != ':')
		return false;
	s += n + 1;
	return isxdigit((unsigned char)s[0]) && isxdigit((unsigned char)s[1]) &&
	       s[2] == ':' && isxdigit((unsigned char)s[3]) &&
	       isxdigit((unsigned char)s[4]) && s[5] == '.' && s[6] >= '0' &&
	       s[6] <= '7' && s[7] == '\0';
}

/* The BDF and sysfs directory of (name): a BDF or a sysfs path. */
static int parse_name(const char *name, char *bdf, char *dir, size_t dirlen,
		      char *why, size_t len)
{
	const char *base = name;
	size_t n = strlen(name);

	if (name[0] == '/') {
		while (n > 1 && name[n - 1] == '/')
			n--; /* "/sys/.../0000:00:01.0/" */
		base = name + n;
		while (base > name && base[-1] != '/')
			base--;
		if (n >= dirlen)
			goto bad;
		memcpy(dir, name, n);
		dir[n] = '\0';
	} else if ((size_t)snprintf(dir, dirlen, "/sys/bus/pci/devices/%s",
				    name) >= dirlen) {
		goto bad;
	}
	n -= (size_t)(base - name);
	if (n >= VFIO_DEVICE_NAME_MAX)
		goto bad;
	memcpy(bdf, base, n);
	bdf[n] = '\0';
	if (!is_bdf(bdf))
		goto bad;
	return 0;

bad:
	snprintf(why, len,
		 "%s: not a PCI address (dddd:bb:dd.f) nor its "
		 "sysfs directory",
		 name);
	return -EINVAL;
}

/* The IOMMU group of the device in sysfs directory (dir). */
static int find_group(const struct vfio_sys *sys, const char *dir,
		      const char *bdf, unsigned int *group, char *why,
		      size_t len)
{
	char path[320], link[256];
	const char *num;
	unsigned long v = 0;
	ssize_t n;

	snprintf(path, sizeof(path), "%s/iommu_group", dir);
	n = sys->ops->readlink(sys->ctx, path, link, sizeof(link));
	if (n == -ENOENT) {
		/* Is the device missing, or only its group? The device's
		 * own entry is a link under /sys/bus/pci/devices, a
		 * directory elsewhere (-EINVAL): either way it exists. */
		n = sys->ops->readlink(sys->ctx, dir, link, sizeof(link));
		if (n == -ENOENT)
			snprintf(why, len, "no PCI device %s (%s)", bdf, dir);
		else
			snprintf(why, len,
				 "%s has no IOMMU group: is the "
				 "host's IOMMU on (intel_iommu=on)?",
				 bdf);
		return -ENOENT;
	}
	if (n < 0) {
		snprintf(why, len, "%s: %s", path, strerror((int)-n));
		return (int)n;
	}
	/* ".../kernel/iommu_groups/<N>" */
	num = strrchr(link, '/');
	num = num ? num + 1 : link;
	if (!*num)
		goto bad;
	for (const char *p = num; *p; p++) {
		if (!isdigit((unsigned char)*p) || v > 100000000)
			goto bad;
		v = v * 10 + (unsigned long)(*p - '0');
	}
	*group = (unsigned int)v;
	return 0;

bad:
	snprintf(why, len, "%s: unexpected link '%s'", path, link);
	return -EPROTO;
}

static int read_region(struct vfio_device *d, uint32_t index, char *why,
		       size_t len)
{
	struct vfio_region_info tmpl = { .argsz = sizeof(tmpl),
					 .index = index };
	struct vfio_region_info_cap_sparse_mmap sp;
	const struct vfio_region_info *info;
	struct vfio_region *r = &d->desc.regions[index];
	void *buf;
	size_t size;
	int off = 0, ret;

	ret = vfio_info_get(d->sys, d->fd, VFIO_DEVICE_GET_REGION_INFO, &tmpl,
			    sizeof(tmpl), &buf, &size);
	if (ret == -EINVAL)
		return 0; /* no such region here: VGA on most devices */
	if (ret) {
		snprintf(why, len, "%s: region %u: %s", d->desc.name, index,
			 strerror(-ret));
		return ret;
	}
	info = buf;
	r->flags = info->flags;
	r->size = info->size;
	r->offset = info->offset;
	ret = -EPROTO;
	if (info->flags & VFIO_REGION_INFO_FLAG_CAPS && info->cap_offset) {
		off = vfio_info_find_cap(buf, size, info->cap_offset,
					 VFIO_REGION_INFO_CAP_MSIX_MAPPABLE, 0);
		if (off < 0)
			goto bad;
		r->msix_mappable = off > 0;
		off = vfio_info_find_cap(buf, size, info->cap_offset,
					 VFIO_REGION_INFO_CAP_SPARSE_MMAP,
					 sizeof(sp));
		if (off < 0)
			goto bad;
		r->sparse = off > 0;
	}
	if (!(r->flags & VFIO_REGION_INFO_FLAG_MMAP) || !r->size) {
		ret = 0;
		goto out;
	}
	if (!r->sparse) {
		/* No sparse cap: the whole region may be mmapped. */
		r->areas = calloc(1, sizeof(*r->areas));
		if (!r->areas)
			goto nomem;
		r->areas[0] = (struct vfio_area){ 0, r->size };
		r->nr_areas = 1;
		ret = 0;
		goto out;
	}
	/* Copied out: 6.1 packs capabilities unaligned (vfio_container.c). */
	memcpy(&sp, (const unsigned char *)buf + off, sizeof(sp));
	if (sp.nr_areas > VFIO_MAX_AREAS ||
	    sp.nr_areas > (size - (size_t)off - sizeof(sp)) /
				  sizeof(struct vfio_region_sparse_mmap_area))
		goto bad;
	r->areas = calloc(sp.nr_areas ? sp.nr_areas : 1, sizeof(*r->areas));
	if (!r->areas)
		goto nomem;
	for (uint32_t i = 0; i < sp.nr_areas; i++) {
		struct vfio_region_sparse_mmap_area a;

		memcpy(&a,
		       (const unsigned char *)buf + off + sizeof(sp) +
			       i * sizeof(a),
		       sizeof(a));
		if (a.offset > r->size || a.size > r->size - a.offset)
			goto bad;
		if (a.size) /* an empty area maps nothing */
			r->areas[r->nr_areas++] =
				(struct vfio_area){ a.offset, a.size };
	}
	ret = 0;
	goto out;

nomem:
	ret = -ENOMEM;
	snprintf(why, len, "out of memory");
	goto out;
bad:
	snprintf(why, len, "%s: region %u: malformed capabilities",
		 d->desc.name, index);
out:
	free(buf);
	return ret;
}

static int read_irq(struct vfio_device *d, uint32_t index, char *why,
		    size_t len)
{
	struct vfio_irq_info info = { .argsz = sizeof(info), .index = index };
	int ret = vfio_sys_ioctl_ptr(d->sys, d->fd, VFIO_DEVICE_GET_IRQ_INFO,
				     &info);

	/* The ERR index exists only on PCI Express devices
	 * (vfio_pci_ioctl_get_irq_info()). */
	if (ret == -EINVAL)
		return 0;
	if (ret < 0) {
		snprintf(why, len, "%s: IRQ index %u: %s", d->desc.name, index,
			 strerror(-ret));
		return ret;
	}
	d->desc.irqs[index] = (struct vfio_irq){ info.flags, info.count };
	return 0;
}

/*
 * Walks the capability list of (cfg) (the standard 256 bytes) for the
 * PCI Express and MSI-X capabilities. The device is not trusted to
 * keep a sane list: a pointer into the header or past the end ends the
 * walk, and so does a capability seen twice (a loop), so the walk takes
 * at most (256 - 64) / 4 steps.
 */
static void find_caps(struct vfio_device *d, const uint8_t *cfg)
{
	struct vfio_msix *m = &d->desc.msix;
	bool seen[PCI_CFG_STD / 4] = { false };
	unsigned int ptr;

	if (!(cfg[PCI_STATUS] & PCI_STATUS_CAP_LIST))
		return;
	for (ptr = cfg[PCI_CAP_PTR] & 0xfc; ptr; ptr = cfg[ptr + 1] & 0xfc) {
		if (ptr < PCI_CAP_FIRST || ptr > PCI_CFG_STD - 4 ||
		    seen[ptr / 4])
			return;
		seen[ptr / 4] = true;
		if (cfg[ptr] == PCI_CAP_ID_EXP && !d->desc.pcie_cap)
			d->desc.pcie_cap = (uint8_t)ptr;
		if (cfg[ptr] == PCI_CAP_ID_MSIX && !m->cap &&
		    ptr <= PCI_CFG_STD - PCI_MSIX_SIZE) {
			uint16_t ctl =
				(uint16_t)(cfg[ptr + 2] | cfg[ptr + 3] << 8);
			uint32_t t, p;

			memcpy(&t, cfg + ptr + 4, 4); /* little-endian host */
			memcpy(&p, cfg + ptr + 8, 4);
			m->cap = (uint8_t)ptr;
			m->table_size = (ctl & PCI_MSIX_QSIZE_MASK) + 1;
			m->table_bar = t & PCI_MSIX_BIR_MASK;
			m->table_offset = t & ~(uint32_t)PCI_MSIX_BIR_MASK;
			m->pba_bar = p & PCI_MSIX_BIR_MASK;
			m->pba_offset = p & ~(uint32_t)PCI_MSIX_BIR_MASK;
		}
	}
}

/* Whether [off, off + size) lies in BAR (bar) of (d). */
static bool in_bar(const struct vfio_device *d, unsigned int bar, uint64_t off,
		   uint64_t size)
{
	const struct vfio_region *r;

	if (bar >= PCI_NUM_BARS || bar >= d->desc.nr_regions)
		return false;
	r = &d->desc.regions[bar];
	return r->size && off <= r->size && size <= r->size - off;
}

static int read_msix(struct vfio_device *d, char *why, size_t len)
{
	struct vfio_msix *m = &d->desc.msix;
	uint8_t cfg[PCI_CFG_STD];
	int ret;

	if (d->desc.regions[VFIO_PCI_CONFIG_REGION_INDEX].size < PCI_CFG_STD) {
		snprintf(why, len, "%s: config space too small", d->desc.name);
		return -EPROTO;
	}
	ret = vfio_device_config_read(d, 0, cfg, sizeof(cfg));
	if (ret) {
		snprintf(why, len, "%s: config space: %s", d->desc.name,
			 strerror(-ret));
		return ret;
	}
	find_caps(d, cfg);
	if (!m->cap)
		return 0;
	/* The lead traps these bytes of the BARs: they must be there. */
	if (!in_bar(d, m->table_bar, m->table_offset,
		    (uint64_t)m->table_size * VFIO_MSIX_ENTRY_SIZE) ||
	    !in_bar(d, m->pba_bar, m->pba_offset,
		    ((uint64_t)m->table_size + 63) / 64 * 8)) {
		log_warn("vfio: %s: MSI-X table or PBA outside its BAR: "
			 "MSI-X ignored",
			 d->desc.name);
		return 0;
	}
	m->present = true;
	return 0;
}

static int read_desc(struct vfio_device *d, char *why, size_t len)
{
	struct vfio_device_info info = { .argsz = sizeof(info) };
	int ret;

	ret = vfio_sys_ioctl_ptr(d->sys, d->fd, VFIO_DEVICE_GET_INFO, &info);
	if (ret < 0) {
		snprintf(why, len, "%s: GET_INFO: %s", d->desc.name,
			 strerror(-ret));
		return ret;
	}
	if (!(info.flags & VFIO_DEVICE_FLAGS_PCI)) {
		snprintf(why, len, "%s is not a PCI device (flags %#x)",
			 d->desc.name, info.flags);
		return -ENODEV;
	}
	if (info.num_regions <= VFIO_PCI_CONFIG_REGION_INDEX ||
	    info.num_regions > VFIO_MAX_REGIONS ||
	    info.num_irqs <= VFIO_PCI_MSIX_IRQ_INDEX ||
	    info.num_irqs > VFIO_MAX_IRQS) {
		snprintf(why, len, "%s: %u regions, %u IRQ indexes?",
			 d->desc.name, info.num_regions, info.num_irqs);
		return -EPROTO;
	}
	d->desc.flags = info.flags;
	d->desc.regions = calloc(info.num_regions, sizeof(*d->desc.regions));
	d->desc.irqs = calloc(info.num_irqs, sizeof(*d->desc.irqs));
	if (!d->desc.regions || !d->desc.irqs) {
		snprintf(why, len, "out of memory");
		return -ENOMEM;
	}
	d->desc.nr_regions = info.num_regions;
	d->desc.nr_irqs = info.num_irqs;
	for (uint32_t i = 0; i < info.num_regions; i++) {
		ret = read_region(d, i, why, len);
		if (ret)
			return ret;
	}
	for (uint32_t i = 0; i < info.num_irqs; i++) {
		ret = read_irq(d, i, why, len);
		if (ret)
			return ret;
	}
	return read_msix(d, why, len);
}

static void free_desc(struct vfio_device_desc *desc)
{
	for (unsigned int i = 0; i < desc->nr_regions; i++)
		free(desc->regions[i].areas);
	free(desc->regions);
	free(desc->irqs);
}

int vfio_device_open(const struct vfio_sys *sys, struct vfio_container *c,
		     const char *name, struct vfio_device **out, char *why,
		     size_t len)
{
	struct vfio_device *d;
	char dir[256];
	int ret;

	d = calloc(1, sizeof(*d));
	if (!d) {
		snprintf(why, len, "out of memory");
		return -ENOMEM;
	}
	d->sys = sys;
	d->container = c;
	ret = parse_name(name, d->desc.name, dir, sizeof(dir), why, len);
	if (ret)
		goto err_free;
	ret = find_group(sys, dir, d->desc.name, &d->desc.group, why, len);
	if (ret)
		goto err_free;
	ret = vfio_container_add_group(c, d->desc.group, why, len);
	if (ret)
		goto err_free;
	d->fd = vfio_sys_ioctl_ptr(sys, vfio_container_group_fd(c),
				   VFIO_GROUP_GET_DEVICE_FD, d->desc.name);
	if (d->fd < 0) {
		ret = d->fd;
		snprintf(why, len, "%s: GET_DEVICE_FD: %s", d->desc.name,
			 strerror(-ret));
		goto err_put_group;
	}
	ret = read_desc(d, why, len);
	if (ret)
		goto err_close;
	/* A device fresh from its last user (the kernel resets at first
	 * open too, when it can; a failure here is not fatal). */
	if (d->desc.flags & VFIO_DEVICE_FLAGS_RESET) {
		ret = vfio_device_reset(d);
		if (ret)
			log_warn("vfio: %s: reset at open failed: %s",
				 d->desc.name, strerror(-ret));
	}
	*out = d;
	return 0;

err_close:
	free_desc(&d->desc);
	vfio_sys_close(sys, d->fd);
err_put_group:
	vfio_container_put_group(c);
err_free:
	free(d);
	return ret;
}

void vfio_device_close(struct vfio_device *d)
{
	if (!d)
		return;
	for (unsigned int b = 0; b < PCI_NUM_BARS; b++) {
		for (unsigned int i = 0; i < d->nr_maps[b]; i++)
			d->sys->ops->munmap(d->sys->ctx, d->maps[b][i].host,
					    d->maps[b][i].size);
		free(d->maps[b]);
	}
	/* Leave the device quiet for the next user: no DMA, no IRQs. */
	if (d->desc.flags & VFIO_DEVICE_FLAGS_RESET)
		vfio_device_reset(d);
	vfio_sys_close(d->sys, d->fd);
	vfio_container_put_group(d->container);
	free_desc(&d->desc);
	free(d);
}

const struct vfio_device_desc *vfio_device_desc(const struct vfio_device *d)
{
	return &d->desc;
}

static int region_rw(struct vfio_device *d, unsigned int index, uint64_t off,
		     void *buf, size_t len, bool write)
{
	const struct vfio_region *r;
	uint32_t need = write ? VFIO_REGION_INFO_FLAG_WRITE :
				VFIO_REGION_INFO_FLAG_READ;
	ssize_t n;

	if (index >= d->desc.nr_regions)
		return -EINVAL;
	r = &d->desc.regions[index];
	if (!(r->flags & need) || off > r->size || len > r->size - off)
		return -EINVAL;
	n = write ? d->sys->ops->pwrite(d->sys->ctx, d->fd, buf, len,
					r->offset + off) :
		    d->sys->ops->pread(d->sys->ctx, d->fd, buf, len,
				       r->offset + off);
	if (n < 0)
		return (int)n;
	return (size_t)n == len ? 0 : -EIO;
}

int vfio_device_config_read(struct vfio_device *d, uint64_t off, void *buf,
			    size_t len)
{
	return region_rw(d, VFIO_PCI_CONFIG_REGION_INDEX, off, buf, len, false);
}

int vfio_device_config_write(struct vfio_device *d, uint64_t off,
			     const void *buf, size_t len)
{
	return region_rw(d, VFIO_PCI_CONFIG_REGION_INDEX, off, (void *)buf, len,
			 true);
}

int vfio_device_region_read(struct vfio_device *d, unsigned int index,
			    uint64_t off, void *buf, size_t len)
{
	return region_rw(d, index, off, buf, len, false);
}

int vfio_device_region_write(struct vfio_device *d, unsigned int index,
			     uint64_t off, const void *buf, size_t len)
{
	return region_rw(d, index, off, (void *)buf, len, true);
}

int vfio_device_map_bar(struct vfio_device *d, unsigned int index,
			const struct vfio_bar_map **out)
{
	const struct vfio_region *r;
	struct vfio_bar_map *maps;
	unsigned int i;
	int ret;

	if (index >= PCI_NUM_BARS || index >= d->desc.nr_regions)
		return -EINVAL;
	r = &d->desc.regions[index];
	if (d->mapped[index])
		goto done;
	maps = calloc(r->nr_areas ? r->nr_areas : 1, sizeof(*maps));
	if (!maps)
		return -ENOMEM;
	for (i = 0; i < r->nr_areas; i++) {
		void *host;

		ret = d->sys->ops->mmap(d->sys->ctx, d->fd, r->areas[i].size,
					PROT_READ | PROT_WRITE,
					r->offset + r->areas[i].offset, &host);
		if (ret)
			goto err_unmap;
		maps[i] = (struct vfio_bar_map){ r->areas[i].offset,
						 r->areas[i].size, host };
	}
	d->maps[index] = maps;
	d->nr_maps[index] = r->nr_areas;
	d->mapped[index] = true;
done:
	*out = d->maps[index];
	return (int)d->nr_maps[index];

err_unmap:
	while (i--)
		d->sys->ops->munmap(d->sys->ctx, maps[i].host, maps[i].size);
	free(maps);
	return ret;
}

/* SET_IRQS, DATA_EVENTFD | (action), of (count) eventfds from (fds) for
 * vectors [start, start + count) of index (index). */
static int irq_set_eventfds(struct vfio_device *d, uint32_t index,
			    uint32_t action, uint32_t start, uint32_t count,
			    const int32_t *fds)
{
	/* On the stack: the vCPU threads call this, and their seccomp
	 * policy need not let malloc's mmap through. */
	union {
		struct vfio_irq_set set;
		uint8_t bytes[sizeof(struct vfio_irq_set) +
			      PCI_MSIX_MAX_VECTORS * sizeof(int32_t)];
	} u;
	size_t size = sizeof(u.set) + (size_t)count * sizeof(int32_t);
	int ret;

	u.set = (struct vfio_irq_set){
		.argsz = (uint32_t)size,
		.flags = VFIO_IRQ_SET_DATA_EVENTFD | action,
		.index = index,
		.start = start,
		.count = count,
	};
	memcpy(u.set.data, fds, (size_t)count * sizeof(int32_t));
	ret = vfio_sys_ioctl_ptr(d->sys, d->fd, VFIO_DEVICE_SET_IRQS, &u.set);
	return ret < 0 ? ret : 0;
}

int vfio_device_set_msix(struct vfio_device *d, uint32_t start, uint32_t count,
			 const int32_t *fds)
{
	const struct vfio_irq *irq = &d->desc.irqs[VFIO_PCI_MSIX_IRQ_INDEX];

	if (!count || start > irq->count || count > irq->count - start ||
	    count > PCI_MSIX_MAX_VECTORS)
		return -EINVAL;
	return irq_set_eventfds(d, VFIO_PCI_MSIX_IRQ_INDEX,
				VFIO_IRQ_SET_ACTION_TRIGGER, start, count, fds);
}

/* SET_IRQS, DATA_NONE | ACTION_TRIGGER, count 0: index (index) off. */
static int irq_disable(struct vfio_device *d, uint32_t index)
{
	struct vfio_irq_set set = {
		.argsz = sizeof(set),
		.flags = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER,
		.index = index,
	};
	int ret = vfio_sys_ioctl_ptr(d->sys, d->fd, VFIO_DEVICE_SET_IRQS, &set);

	return ret < 0 ? ret : 0;
}

int vfio_device_disable_msix(struct vfio_device *d)
{
	return irq_disable(d, VFIO_PCI_MSIX_IRQ_INDEX);
}

int vfio_device_set_intx(struct vfio_device *d, int trigger_fd,
			 int unmask_fd)
{
	const int32_t trigger = trigger_fd, unmask = unmask_fd;
	int ret;

	if (d->desc.irqs[VFIO_PCI_INTX_IRQ_INDEX].count != 1)
		return -ENOTSUP;
	if (trigger_fd < 0 || unmask_fd < 0)
		return -EINVAL;
	ret = irq_set_eventfds(d, VFIO_PCI_INTX_IRQ_INDEX,
			       VFIO_IRQ_SET_ACTION_TRIGGER, 0, 1, &trigger);
	if (ret)
		return ret;
	ret = irq_set_eventfds(d, VFIO_PCI_INTX_IRQ_INDEX,
			       VFIO_IRQ_SET_ACTION_UNMASK, 0, 1, &unmask);
	if (ret)
		irq_disable(d, VFIO_PCI_INTX_IRQ_INDEX);
	return ret;
}

int vfio_device_disable_intx(struct vfio_device *d)
{
	return irq_disable(d, VFIO_PCI_INTX_IRQ_INDEX);
}

int vfio_device_reset(struct vfio_device *d)
{
	int ret;

	if (!(d->desc.flags & VFIO_DEVICE_FLAGS_RESET))
		return -ENOTSUP;
	ret = vfio_sys_ioctl(d->sys, d->fd, VFIO_DEVICE_RESET, 0);
	return ret < 0 ? ret : 0;
}
