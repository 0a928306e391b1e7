// SPDX-License-Identifier: Apache-2.0
/* tests/fuzz/vfio_pci_check.c: fuzz_vfio_pci's model, recording VM and checks. */
#include "vfio_pci_check.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"

/* PCI 3.0 facts, spelt here rather than taken from the code under test. */
#define CMD_MEMORY 0x2 /* Command: Memory Space */
#define STATUS_CAP_LIST 0x10 /* Status: a capability list */
#define CAP_MSI 0x05
#define CAP_MSIX 0x11
#define CTRL_ENABLE 0x8000 /* MSI-X Message Control */
#define CTRL_MASKALL 0x4000
#define ENTRY_MASKED 0x1 /* Vector Control */
#define TABLE_BYTES(n) ((uint64_t)(n)*16)
#define PBA_BYTES(n) (((uint64_t)(n) + 63) / 64 * 8)
#define REGION_SHIFT 40 /* VFIO_PCI_OFFSET_SHIFT */
#define PAGE 4096ULL /* the host's, as the fake's mmap wants it */

static uint64_t rd_page(uint64_t v)
{
	return v / PAGE * PAGE;
}

static uint64_t ru_page(uint64_t v)
{
	return (v + PAGE - 1) / PAGE * PAGE;
}

static uint32_t le(const uint8_t *p, uint32_t len)
{
	uint32_t v = 0;

	for (uint32_t i = 0; i < len && i < 4; i++)
		v |= (uint32_t)p[i] << (8 * i);
	return v;
}

static bool is_pow2(uint64_t v)
{
	return v && !(v & (v - 1));
}

/* ---- the device, from the fake ---- */

/* The hardware's capability walk as the kernel side does it
 * (vfio_device.h: the first MSI-X that fits, its table in a BAR). */
static void model_msix(struct vpc *w, const uint8_t *c)
{
	struct vpc_dev *m = &w->dev;
	bool seen[64] = { false };
	unsigned int ptr, cap = 0;
	uint16_t ctl;

	if (!(c[0x06] & STATUS_CAP_LIST))
		return;
	for (ptr = c[0x34] & 0xfc; ptr; ptr = c[ptr + 1] & 0xfc) {
		if (ptr < 0x40 || ptr > 0xfc || seen[ptr / 4])
			break;
		seen[ptr / 4] = true;
		if (c[ptr] == CAP_MSIX && !cap && ptr <= 256 - 12)
			cap = ptr;
	}
	if (!cap)
		return;
	ctl = (uint16_t)(c[cap + 2] | c[cap + 3] << 8);
	m->msix_cap = cap;
	m->msix_size = (ctl & 0x7ff) + 1u;
	m->table_dw = le(c + cap + 4, 4);
	m->pba_dw = le(c + cap + 8, 4);
	m->table_bar = m->table_dw & 7;
	m->table_off = m->table_dw & ~7u;
	m->pba_bar = m->pba_dw & 7;
	m->pba_off = m->pba_dw & ~7u;
	/* Both inside their BAR's region (exposed or not). */
	if (m->table_bar >= PCI_NR_BARS || m->pba_bar >= PCI_NR_BARS)
		return;
	if (m->table_off > w->fd->region_size[m->table_bar] ||
	    TABLE_BYTES(m->msix_size) >
		    w->fd->region_size[m->table_bar] - m->table_off ||
	    m->pba_off > w->fd->region_size[m->pba_bar] ||
	    PBA_BYTES(m->msix_size) >
		    w->fd->region_size[m->pba_bar] - m->pba_off)
		return;
	m->msix_found = true;
}

/* Whether the fake's mmap takes every area of region (b). */
static bool model_mmap(const struct fake_device *d, unsigned int b,
		       const struct vpc_area *a, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		if ((a[i].offset | a[i].size) & (PAGE - 1))
			return false;
	}
	return d->region_flags[b] & VFIO_REGION_INFO_FLAG_MMAP;
}

void vpc_dev_model(struct vpc *w)
{
	const struct fake_device *d = w->fd;
	const uint8_t *c = d->config;
	struct vpc_dev *m = &w->dev;
	unsigned int used, n;

	memset(m, 0, sizeof(*m));
	/* Memory BARs of a size the bus can place are exposed; I/O BARs
	 * and the rest hidden. A 64-bit one takes the next register. */
	for (unsigned int b = 0; b < PCI_NR_BARS; b += used) {
		uint32_t reg = le(c + 0x10 + 4 * b, 4), flags = 0;
		uint64_t size = d->region_size[b];
		bool ok;

		used = 1;
		if (!size || (reg & 1))
			continue;
		if ((reg >> 1 & 3) == 2) {
			flags |= PCI_BAR_MEM64;
			used = 2;
		}
		if (reg & 8)
			flags |= PCI_BAR_PREFETCH;
		ok = is_pow2(size) && size >= 16 &&
		     (flags & PCI_BAR_MEM64 ? b + 1 < PCI_NR_BARS :
					      size <= 0x80000000ULL);
		if (!ok)
			continue;
		m->bar_size[b] = size;
		m->bar_flags[b] = flags;
		if (flags & PCI_BAR_MEM64)
			m->bar_upper[b + 1] = true;
		if (!(d->region_flags[b] & VFIO_REGION_INFO_FLAG_MMAP))
			continue;
		n = 0;
		if (d->nr_sparse[b]) {
			for (unsigned int i = 0; i < d->nr_sparse[b]; i++)
				if (d->sparse[b][i].size)
					m->areas[b][n++] = (struct vpc_area){
						d->sparse[b][i].offset,
						d->sparse[b][i].size
					};
		} else {
			m->areas[b][n++] = (struct vpc_area){ 0, size };
		}
		m->nr_areas[b] = n;
		m->mappable[b] = model_mmap(d, b, m->areas[b], n);
	}
	model_msix(w, c);
	/* vfio-pci counts one INTx for any pin (vfio_pci_get_irq_count());
	 * ignis takes INTA-INTD only. */
	if (d->irq_count[VFIO_PCI_INTX_IRQ_INDEX] == 1 && c[0x3d] >= 1 &&
	    c[0x3d] <= 4)
		m->intx_pin = c[0x3d];
	n = m->msix_size < d->irq_count[VFIO_PCI_MSIX_IRQ_INDEX] ?
		    m->msix_size :
		    d->irq_count[VFIO_PCI_MSIX_IRQ_INDEX];
	if (m->msix_found && n && m->bar_size[m->table_bar] &&
	    m->bar_size[m->pba_bar])
		m->msix_n = n;
	FUZZ_CHECK(m->msix_n <= VPC_MAX_VEC, "%u vectors", m->msix_n);
}

void vpc_reset(struct vpc *w)
{
	memset(&w->msix, 0, sizeof(w->msix));
	for (unsigned int v = 0; v < VPC_MAX_VEC; v++)
		w->msix.table[v][3] = ENTRY_MASKED;
	memset(&w->host, 0, sizeof(w->host));
	for (unsigned int g = 0; g < VPC_MAX_VEC; g++)
		w->host.fd[g] = -1;
	memset(w->trapped_ok, 0, sizeof(w->trapped_ok));
	w->irqs_diverged = false;
	w->ctrl_written = false;
	w->intx_trigger = w->intx_unmask = -1;
}

/* ---- what the guest reads ---- */

uint32_t vpc_cfg_read(struct vpc *w, uint32_t reg, uint32_t len)
{
	uint8_t b[4] = { 0 };

	pci_ecam_access(w->bus, (uint64_t)w->slot << 15 | reg, b, len, false);
	return le(b, len);
}

/* Where BAR (b) decodes, by its registers as the guest reads them and
 * the bus's windows (pci.h), or PCI_BAR_UNMAPPED. */
static uint64_t bar_decode(struct vpc *w, unsigned int b, uint32_t cmd)
{
	uint64_t size = w->dev.bar_size[b], addr;
	const struct pci_bus_config *c = &w->win;

	if (!size || !(cmd & CMD_MEMORY))
		return PCI_BAR_UNMAPPED;
	addr = vpc_cfg_read(w, 0x10 + 4 * b, 4) & ~0xfULL;
	if (w->dev.bar_flags[b] & PCI_BAR_MEM64)
		addr |= (uint64_t)vpc_cfg_read(w, 0x14 + 4 * b, 4) << 32;
	if (!addr)
		return PCI_BAR_UNMAPPED;
	if (addr >= c->mmio32_base && size <= c->mmio32_size &&
	    addr - c->mmio32_base <= c->mmio32_size - size)
		return addr;
	if (c->mmio64_size && addr >= c->mmio64_base &&
	    size <= c->mmio64_size &&
	    addr - c->mmio64_base <= c->mmio64_size - size)
		return addr;
	return PCI_BAR_UNMAPPED;
}

static bool vec_on(const struct vpc *w, unsigned int v)
{
	return (w->msix.ctrl & CTRL_ENABLE) && !(w->msix.ctrl & CTRL_MASKALL) &&
	       !(w->msix.table[v][3] & ENTRY_MASKED);
}

static uint64_t vec_addr(const struct vpc *w, unsigned int v)
{
	return (uint64_t)w->msix.table[v][1] << 32 | w->msix.table[v][0];
}

/* ---- the guest's writes ---- */

void vpc_cfg_write(struct vpc *w, uint32_t reg, const uint8_t *data,
		   uint32_t len)
{
	unsigned int cap = w->dev.msix_cap;
	uint16_t ctrl;
	bool hit = false;

	/* The function drops an access that is not naturally aligned
	 * (0xCFD with two bytes reaches here): nothing was written. */
	if (!w->dev.msix_n || reg % len)
		return;
	ctrl = (uint16_t)(w->msix.ctrl | (w->dev.msix_n - 1));
	for (uint32_t i = 0; i < len; i++) {
		unsigned int sh;

		if (reg + i != cap + 2 && reg + i != cap + 3)
			continue;
		sh = 8 * (reg + i - cap - 2);
		ctrl = (uint16_t)((ctrl & ~(0xff << sh)) | data[i] << sh);
		hit = true;
	}
	if (hit) {
		w->msix.ctrl = ctrl & (CTRL_ENABLE | CTRL_MASKALL);
		w->ctrl_written = true;
	}
}

/* The fake's region byte (b, off), as the hardware holds it. */
static uint8_t *hw_bar(struct vpc *w, unsigned int b, uint64_t off)
{
	return w->fd->bars + b * FAKE_BAR_SLOT + off;
}

void vpc_mmio_before(struct vpc *w, uint64_t gpa, const uint8_t *data,
		     uint32_t len, bool write, struct vpc_hit *hit)
{
	const struct vpc_dev *m = &w->dev;
	uint32_t cmd = vpc_cfg_read(w, 0x04, 2);
	uint64_t off;

	memset(hit, 0, sizeof(*hit));
	memset(hit->want, 0xff, sizeof(hit->want));
	hit->bar = -1;
	hit->len = len;
	hit->write = write;
	/* The first BAR that decodes all of it (the bus's order). */
	for (unsigned int b = 0; b < PCI_NR_BARS && hit->bar < 0; b++) {
		uint64_t at = bar_decode(w, b, cmd), size = m->bar_size[b];

		if (at == PCI_BAR_UNMAPPED || gpa < at || gpa - at >= size ||
		    len > size - (gpa - at))
			continue;
		hit->bar = (int)b;
		hit->off = gpa - at;
	}
	if (hit->bar < 0)
		return;
	off = hit->off;
	if (m->msix_n && (unsigned int)hit->bar == m->table_bar &&
	    off >= m->table_off &&
	    off - m->table_off < TABLE_BYTES(m->msix_n)) {
		/* msix.h: dwords and aligned qwords inside the table. */
		uint64_t t = off - m->table_off;
		uint32_t *e = &w->msix.table[0][0];

		hit->kind = VPC_TABLE;
		memset(hit->want, 0, sizeof(hit->want));
		if ((len != 4 && len != 8) || t % len ||
		    t + len > TABLE_BYTES(m->msix_n))
			return;
		for (uint32_t i = 0; i < len / 4; i++) {
			uint64_t dw = t / 4 + i;
			uint32_t v = le(data + 4 * i, 4);

			if (!write) {
				memcpy(hit->want + 4 * i, &e[dw], 4);
				continue;
			}
			/* 6.8.2.6: address bits 1-0 are 0; 6.8.2.9:
			 * Vector Control's bits above 0 reserved. */
			if (dw % 4 == 0)
				v &= ~3u;
			else if (dw % 4 == 3)
				v &= ENTRY_MASKED;
			e[dw] = v;
		}
		return;
	}
	if (m->msix_n && (unsigned int)hit->bar == m->pba_bar &&
	    off >= m->pba_off && off - m->pba_off < PBA_BYTES(m->msix_n)) {
		/* Nothing ever pends in the emulation: the kernel's
		 * eventfds keep what comes while masked. */
		hit->kind = VPC_PBA;
		memset(hit->want, 0, sizeof(hit->want));
		return;
	}
	hit->kind = VPC_REGION;
	memcpy(hit->want, hw_bar(w, (unsigned int)hit->bar, off), len);
}

void vpc_mmio_after(struct vpc *w, const struct vpc_hit *hit,
		    const uint8_t *data, bool fault)
{
	if (fault)
		return;
	if (hit->write) {
		if (hit->kind == VPC_REGION)
			FUZZ_CHECK(!memcmp(hw_bar(w, (unsigned int)hit->bar,
						  hit->off),
					   data, hit->len),
				   "BAR%d write at %#llx+%u missed the region",
				   hit->bar, (unsigned long long)hit->off,
				   hit->len);
		return;
	}
	FUZZ_CHECK(!memcmp(hit->want, data, hit->len),
		   "BAR%d read at %#llx+%u (kind %d): %#llx", hit->bar,
		   (unsigned long long)hit->off, hit->len, hit->kind,
		   (unsigned long long)le(data, hit->len));
}

/* ---- the VM: KVM's books ---- */

/* The fake's mmap holding [host, host + size): region and offset. */
static bool host_mem(struct vpc *w, const void *host, uint64_t size,
		     unsigned int *region, uint64_t *off)
{
	const uint8_t *p = host;

	for (unsigned int i = 0; i < FAKE_MAX_MMAPS; i++) {
		const struct fake_mmap *mm = &w->fv->mmaps[i];
		const uint8_t *a = mm->addr;

		if (!a || p < a || (uint64_t)(p - a) >= mm->len ||
		    size > mm->len - (uint64_t)(p - a))
			continue;
		*region = (unsigned int)(mm->offset >> REGION_SHIFT);
		*off = (mm->offset & ((1ULL << REGION_SHIFT) - 1)) +
		       (uint64_t)(p - a);
		return true;
	}
	return false;
}

static bool in_window(uint64_t base, uint64_t len, uint64_t gpa, uint64_t size)
{
	return len && gpa >= base && size <= len && gpa - base <= len - size;
}

/* vfio-pci faults a BAR's mmap while the device's memory decode is off
 * (vfio_pci_mmap_fault()): a slot may exist only while the hardware
 * decodes, even after a command write to it failed. */
static void check_hw_decode(struct vpc *w, const char *what)
{
	FUZZ_CHECK(w->fd->config[0x04] & CMD_MEMORY,
		   "%s with the hardware's memory decode off", what);
}

/* A map that failed leaves its BAR trapped until it moves. */
static void map_failed(struct vpc *w, uint64_t gpa, void *host, uint64_t size)
{
	unsigned int r;
	uint64_t off;

	w->host.failed_map = true;
	if (host_mem(w, host, size, &r, &off) && r < PCI_NR_BARS) {
		w->trapped_ok[r] = true;
		w->trapped_at[r] = gpa - off;
	}
}

static int host_map(void *ctx, uint64_t gpa, uint64_t size, void *host)
{
	struct vpc *w = ctx;
	struct vpc_host *h = &w->host;
	unsigned int r;
	uint64_t off;

	FUZZ_CHECK(!(gpa % PAGE) && size && !(size % PAGE) &&
			   gpa <= UINT64_MAX - size,
		   "map_mmio(%#llx, %#llx)", (unsigned long long)gpa,
		   (unsigned long long)size);
	FUZZ_CHECK(
		in_window(w->win.mmio32_base, w->win.mmio32_size, gpa, size) ||
			in_window(w->win.mmio64_base, w->win.mmio64_size, gpa,
				  size),
		"map_mmio(%#llx, %#llx) outside the windows",
		(unsigned long long)gpa, (unsigned long long)size);
	FUZZ_CHECK(host_mem(w, host, size, &r, &off) && r < PCI_NR_BARS,
		   "map_mmio of memory that is no BAR's mmap");
	check_hw_decode(w, "map_mmio");
	if (h->fail_map && !--h->fail_map) {
		map_failed(w, gpa, host, size);
		return -ENOMEM;
	}
	/* KVM_SET_USER_MEMORY_REGION refuses overlapping slots; a guest
	 * gets there by placing two BARs over each other. */
	for (unsigned int i = 0; i < h->nr_slots; i++) {
		if (gpa < h->slots[i].gpa + h->slots[i].size &&
		    h->slots[i].gpa < gpa + size) {
			map_failed(w, gpa, host, size);
			return -EEXIST;
		}
	}
	FUZZ_CHECK(h->nr_slots < VPC_MAX_SLOTS, "too many slots");
	h->slots[h->nr_slots++] = (struct vpc_slot){ gpa, size, host };
	return 0;
}

static int host_unmap(void *ctx, uint64_t gpa, uint64_t size)
{
	struct vpc *w = ctx;
	struct vpc_host *h = &w->host;

	check_hw_decode(w, "unmap_mmio");
	for (unsigned int i = 0; i < h->nr_slots; i++) {
		if (h->slots[i].gpa == gpa && h->slots[i].size == size) {
			h->slots[i] = h->slots[--h->nr_slots];
			return 0;
		}
	}
	FUZZ_CHECK(false, "unmap_mmio(%#llx, %#llx): no such slot",
		   (unsigned long long)gpa, (unsigned long long)size);
	return -EINVAL;
}

static int host_gsi(void *ctx, unsigned int *gsi)
{
	struct vpc *w = ctx;

	FUZZ_CHECK(w->host.nr_gsis < VPC_MAX_VEC, "more GSIs than vectors");
	*gsi = VPC_GSI_BASE + w->host.nr_gsis++;
	return 0;
}

/* The index of an allocated (gsi): vector i has the ith (vfio_pci
 * allocates them in vector order at create). */
static unsigned int gsi_index(struct vpc *w, unsigned int gsi)
{
	FUZZ_CHECK(gsi >= VPC_GSI_BASE && gsi - VPC_GSI_BASE < w->host.nr_gsis,
		   "GSI %u was never allocated", gsi);
	return gsi - VPC_GSI_BASE;
}

/* KVM delivers what the eventfd of (g) counted, through its route. */
static void inject(struct vpc *w, unsigned int g)
{
	struct pollfd p = { .fd = w->host.fd[g], .events = POLLIN };
	uint64_t n;

	if (poll(&p, 1, 0) != 1 || !(p.revents & POLLIN))
		return;
	FUZZ_CHECK(read(w->host.fd[g], &n, sizeof(n)) == sizeof(n),
		   "eventfd read");
	w->host.injected++;
	FUZZ_TRACE("KVM injects vector %u", g);
	if (w->host.destroying)
		return;
	FUZZ_CHECK(g < w->dev.msix_n && vec_on(w, g),
		   "vector %u injected while off", g);
	FUZZ_CHECK(w->host.addr[g] == vec_addr(w, g) &&
			   w->host.data[g] == w->msix.table[g][2],
		   "vector %u injected with a stale message", g);
}

static int host_route(void *ctx, unsigned int gsi, bool on, uint64_t addr,
		      uint32_t data)
{
	struct vpc *w = ctx;
	unsigned int g = gsi_index(w, gsi);

	if (!on) {
		FUZZ_CHECK(w->host.routed[g], "removing GSI %u's no route",
			   gsi);
		FUZZ_CHECK(!w->host.assigned[g],
			   "GSI %u's route removed under its irqfd", gsi);
	}
	w->host.routed[g] = on;
	w->host.addr[g] = on ? addr : 0;
	w->host.data[g] = on ? data : 0;
	if (w->host.destroying)
		return 0;
	FUZZ_CHECK(on == (g < w->dev.msix_n && vec_on(w, g)),
		   "vector %u routed %d, model %d", g, on,
		   g < w->dev.msix_n && vec_on(w, g));
	if (on)
		FUZZ_CHECK(addr == vec_addr(w, g) &&
				   data == w->msix.table[g][2],
			   "vector %u routed to %#llx/%#x, the table says "
			   "%#llx/%#x",
			   g, (unsigned long long)addr, data,
			   (unsigned long long)vec_addr(w, g),
			   w->msix.table[g][2]);
	return 0;
}

static int host_irqfd(void *ctx, int fd, unsigned int gsi, bool assign)
{
	struct vpc *w = ctx;
	unsigned int g = gsi_index(w, gsi);

	/* KVM: one irqfd per eventfd (-EBUSY), no deassign of none
	 * (-ENOENT); each vector has one eventfd for life. */
	FUZZ_CHECK(w->host.assigned[g] != assign, "irqfd(%d, %u, %d) twice", fd,
		   gsi, assign);
	FUZZ_CHECK(fd >= 0 && (w->host.fd[g] < 0 || w->host.fd[g] == fd),
		   "GSI %u: irqfd with fd %d, before %d", gsi, fd,
		   w->host.fd[g]);
	for (unsigned int i = 0; i < w->host.nr_gsis; i++)
		FUZZ_CHECK(i == g || w->host.fd[i] != fd,
			   "fd %d on GSIs %u and %u", fd, i, g);
	w->host.fd[g] = fd;
	w->host.assigned[g] = assign;
	if (assign) {
		/* KVM_IRQFD resolves the route when it assigns, and
		 * injects at once what the eventfd counted. */
		FUZZ_CHECK(w->host.routed[g], "irqfd before its route");
		inject(w, g);
	} else {
		uint64_t n;
		struct pollfd p = { .fd = fd, .events = POLLIN };

		/* Deassign clears the count (irqfd_shutdown()). */
		if (poll(&p, 1, 0) == 1 && (p.revents & POLLIN))
			FUZZ_CHECK(read(fd, &n, sizeof(n)) == sizeof(n),
				   "eventfd read");
	}
	return 0;
}

static int host_send(void *ctx, uint64_t addr, uint32_t data)
{
	struct vpc *w = ctx;
	bool ok = false;

	for (unsigned int v = 0; v < w->dev.msix_n && !ok; v++)
		ok = vec_on(w, v) && vec_addr(w, v) == addr &&
		     w->msix.table[v][2] == data;
	FUZZ_CHECK(ok || w->host.destroying,
		   "send_msi(%#llx, %#x): no vector on says so",
		   (unsigned long long)addr, data);
	return 0;
}

const struct vfio_pci_host_ops vpc_host_ops = {
	.map_mmio = host_map,
	.unmap_mmio = host_unmap,
	.msi_gsi_alloc = host_gsi,
	.msi_route = host_route,
	.irqfd = host_irqfd,
	.send_msi = host_send,
};

void vpc_eventfd_signalled(struct vpc *w, int fd)
{
	for (unsigned int g = 0; g < w->host.nr_gsis; g++)
		if (w->host.assigned[g] && w->host.fd[g] == fd)
			inject(w, g);
}

/* ---- the checks ---- */

static void check_header(struct vpc *w, const char *what)
{
	const struct vpc_dev *m = &w->dev;

	FUZZ_CHECK(vpc_cfg_read(w, 0x0e, 1) == 0, "after %s: header type",
		   what);
	FUZZ_CHECK(vpc_cfg_read(w, 0x3d, 1) == m->intx_pin,
		   "after %s: interrupt pin %u, model %u", what,
		   vpc_cfg_read(w, 0x3d, 1), m->intx_pin);
	FUZZ_CHECK(vpc_cfg_read(w, 0x30, 4) == 0, "after %s: ROM", what);
	FUZZ_CHECK(vpc_cfg_read(w, 0x100, 4) == 0 &&
			   vpc_cfg_read(w, 0xffc, 4) == 0,
		   "after %s: extended config space", what);
	for (unsigned int b = 0; b < PCI_NR_BARS; b++) {
		uint32_t r = vpc_cfg_read(w, 0x10 + 4 * b, 4);
		uint64_t size = m->bar_size[b];

		if (m->bar_upper[b])
			continue;
		if (!size) {
			FUZZ_CHECK(r == 0, "after %s: hidden BAR%u reads %#x",
				   what, b, r);
			continue;
		}
		/* An address aligned to the size (sizing's mask is one),
		 * and the type bits as declared. */
		FUZZ_CHECK((r & 0xf) == m->bar_flags[b] &&
				   !((r & ~0xfu) & (size - 1)),
			   "after %s: BAR%u (%#llx bytes) reads %#x", what, b,
			   (unsigned long long)size, r);
	}
}

/* The list as the guest walks it: it ends, no MSI, MSI-X as emulated. */
static void check_caps(struct vpc *w, const char *what)
{
	const struct vpc_dev *m = &w->dev;
	bool seen[64] = { false }, msix = false;
	unsigned int p, n = 0;

	if (vpc_cfg_read(w, 0x06, 2) & STATUS_CAP_LIST) {
		for (p = vpc_cfg_read(w, 0x34, 1); p;
		     p = vpc_cfg_read(w, p + 1, 1)) {
			uint32_t id = vpc_cfg_read(w, p, 1);

			FUZZ_CHECK(p >= 0x40 && p <= 0xfc && !(p & 3),
				   "after %s: capability pointer %#x", what, p);
			FUZZ_CHECK(!seen[p / 4],
				   "after %s: the list loops at "
				   "%#x",
				   what, p);
			seen[p / 4] = true;
			n++;
			FUZZ_CHECK(id != CAP_MSI, "after %s: MSI at %#x", what,
				   p);
			if (id != CAP_MSIX)
				continue;
			FUZZ_CHECK(m->msix_n && p == m->msix_cap && !msix,
				   "after %s: an MSI-X at %#x (ours: %#x)",
				   what, p, m->msix_n ? m->msix_cap : 0);
			msix = true;
		}
	}
	FUZZ_CHECK(msix == !!m->msix_n || (!msix && m->raw_caps),
		   "after %s: MSI-X %s", what, msix ? "shown" : "missing");
	if (!msix)
		return;
	FUZZ_CHECK(vpc_cfg_read(w, m->msix_cap + 4, 4) == m->table_dw &&
			   vpc_cfg_read(w, m->msix_cap + 8, 4) == m->pba_dw,
		   "after %s: MSI-X Table/PBA Offset/BIR", what);
	FUZZ_CHECK(vpc_cfg_read(w, m->msix_cap + 2, 2) ==
			   (uint32_t)(w->msix.ctrl | (m->msix_n - 1)),
		   "after %s: Message Control %#x, model %#x", what,
		   vpc_cfg_read(w, m->msix_cap + 2, 2),
		   w->msix.ctrl | (m->msix_n - 1));
}

/* BAR (b)'s slots as they should be, from its start: its mappable
 * areas in whole pages, less the MSI-X table's and PBA's pages. */
static unsigned int want_slots(const struct vpc *w, unsigned int b,
			       struct vpc_area *out)
{
	const struct vpc_dev *m = &w->dev;
	struct vpc_area holes[2];
	unsigned int nh = 0, n = 0;

	if (!m->mappable[b])
		return 0;
	if (m->msix_found && m->table_bar == b)
		holes[nh++] = (struct vpc_area){
			rd_page(m->table_off),
			ru_page(m->table_off + TABLE_BYTES(m->msix_size))
		};
	if (m->msix_found && m->pba_bar == b)
		holes[nh++] = (struct vpc_area){
			rd_page(m->pba_off),
			ru_page(m->pba_off + PBA_BYTES(m->msix_size))
		};
	for (unsigned int i = 0; i < m->nr_areas[b]; i++) {
		uint64_t s = ru_page(m->areas[b][i].offset);
		uint64_t e =
			rd_page(m->areas[b][i].offset + m->areas[b][i].size);
		/* [start, end) pieces, cut by each hole in turn. */
		struct vpc_area piece[3];
		unsigned int np = 0;

		if (e > rd_page(m->bar_size[b]))
			e = rd_page(m->bar_size[b]);
		if (s < e)
			piece[np++] = (struct vpc_area){ s, e };
		for (unsigned int k = 0; k < nh; k++) {
			struct vpc_area next[3];
			unsigned int nn = 0;

			for (unsigned int j = 0; j < np; j++) {
				uint64_t ps = piece[j].offset,
					 pe = piece[j].size;
				uint64_t hs = holes[k].offset,
					 he = holes[k].size;

				if (he <= ps || pe <= hs) {
					next[nn++] = piece[j];
					continue;
				}
				if (ps < hs)
					next[nn++] =
						(struct vpc_area){ ps, hs };
				if (he < pe)
					next[nn++] =
						(struct vpc_area){ he, pe };
			}
			memcpy(piece, next, sizeof(next));
			np = nn;
		}
		for (unsigned int j = 0; j < np; j++)
			out[n++] = (struct vpc_area){
				piece[j].offset, piece[j].size - piece[j].offset
			};
	}
	return n;
}

/* KVM's slots are exactly the mappable pages of the BARs that decode,
 * at their addresses; a BAR is trapped whole only where a map failed. */
static void check_slots(struct vpc *w, const char *what)
{
	const struct vpc_host *h = &w->host;
	uint32_t cmd = vpc_cfg_read(w, 0x04, 2);
	uint64_t at[PCI_NR_BARS];
	unsigned int have[PCI_NR_BARS] = { 0 };

	for (unsigned int b = 0; b < PCI_NR_BARS; b++) {
		at[b] = bar_decode(w, b, cmd);
		if (w->trapped_ok[b] && w->trapped_at[b] != at[b])
			w->trapped_ok[b] = false;
	}
	if (h->nr_slots)
		check_hw_decode(w, what);
	for (unsigned int i = 0; i < h->nr_slots; i++) {
		const struct vpc_slot *s = &h->slots[i];
		unsigned int r;
		uint64_t off;

		FUZZ_CHECK(host_mem(w, s->host, s->size, &r, &off) &&
				   r < PCI_NR_BARS,
			   "after %s: a slot over no BAR's mmap", what);
		FUZZ_CHECK(at[r] != PCI_BAR_UNMAPPED && at[r] % PAGE == 0 &&
				   s->gpa == at[r] + off,
			   "after %s: BAR%u's slot at %#llx, the BAR at %#llx",
			   what, r, (unsigned long long)s->gpa,
			   (unsigned long long)at[r]);
		have[r]++;
	}
	for (unsigned int b = 0; b < PCI_NR_BARS; b++) {
		struct vpc_area want[3 * VPC_MAX_AREAS];
		unsigned int n;

		if (at[b] == PCI_BAR_UNMAPPED || at[b] % PAGE)
			continue;
		n = want_slots(w, b, want);
		if (!have[b] && n && w->trapped_ok[b])
			continue;
		FUZZ_CHECK(have[b] == n,
			   "after %s: BAR%u at %#llx: %u slots, "
			   "model %u",
			   what, b, (unsigned long long)at[b], have[b], n);
		for (unsigned int k = 0; k < n; k++) {
			bool found = false;

			for (unsigned int i = 0; i < h->nr_slots && !found; i++)
				found = h->slots[i].gpa ==
						at[b] + want[k].offset &&
					h->slots[i].size == want[k].size;
			FUZZ_CHECK(found, "after %s: BAR%u: no slot at +%#llx",
				   what, b, (unsigned long long)want[k].offset);
		}
	}
}

/* The last SET_IRQS with eventfds for MSI-X, or NULL. */
static const struct vfio_irq_set *last_msix_set(const struct fake_device *d)
{
	for (unsigned int i = d->nr_irq_sets; i-- > 0;) {
		const struct vfio_irq_set *s =
			(const void *)d->irq_sets[i].bytes;

		if (s->index == VFIO_PCI_MSIX_IRQ_INDEX &&
		    (s->flags & VFIO_IRQ_SET_DATA_EVENTFD))
			return s;
	}
	return NULL;
}

/*
 * The kernel's interrupts: MSI-X with every vector exactly while the
 * guest enables it, else INTx where the function has it, else none;
 * but for a failed SET_IRQS, until they agree again. Failed or not,
 * INTx is on only for a function that has it and with the VM's
 * eventfds, MSI-X only where it is emulated, MSI never.
 */
static void check_irq_type(struct vpc *w, const char *what, uint32_t want)
{
	const struct fake_device *d = w->fd;
	enum fake_irq_type type = FAKE_IRQ_NONE;
	bool agree;

	if (want)
		type = FAKE_IRQ_MSIX;
	else if (w->dev.intx_pin)
		type = FAKE_IRQ_INTX;
	agree = d->msix_enabled == want && d->irq_type == type;

	FUZZ_CHECK(d->irq_type != FAKE_IRQ_INTX ||
			   (w->dev.intx_pin &&
			    d->intx_trigger == w->intx_trigger &&
			    d->intx_unmask == w->intx_unmask),
		   "after %s: INTx on (pin %u) with fds %d/%d, the VM's "
		   "%d/%d",
		   what, w->dev.intx_pin, d->intx_trigger, d->intx_unmask,
		   w->intx_trigger, w->intx_unmask);
	FUZZ_CHECK(d->irq_type != FAKE_IRQ_MSIX || w->dev.msix_n,
		   "after %s: MSI-X on, none emulated", what);
	FUZZ_CHECK(d->irq_type != FAKE_IRQ_MSI, "after %s: MSI on", what);
	if (agree)
		w->irqs_diverged = false;
	FUZZ_CHECK(agree || w->irqs_diverged,
		   "after %s: the kernel has irq type %d with %u MSI-X "
		   "vectors; the guest enabled %u, INTx pin %u",
		   what, d->irq_type, d->msix_enabled, want, w->dev.intx_pin);
}

static void check_vectors(struct vpc *w, const char *what)
{
	const struct vpc_dev *m = &w->dev;
	uint32_t want =
		m->msix_n && (w->msix.ctrl & CTRL_ENABLE) ? m->msix_n : 0;
	const struct vfio_irq_set *s;

	FUZZ_CHECK(w->host.nr_gsis == m->msix_n, "%u GSIs for %u vectors",
		   w->host.nr_gsis, m->msix_n);
	for (unsigned int v = 0; v < m->msix_n; v++) {
		bool on = vec_on(w, v);

		FUZZ_CHECK(w->host.routed[v] == on && w->host.assigned[v] == on,
			   "after %s: vector %u: route %d irqfd %d, model %d",
			   what, v, w->host.routed[v], w->host.assigned[v], on);
		if (on)
			FUZZ_CHECK(w->host.addr[v] == vec_addr(w, v) &&
					   w->host.data[v] ==
						   w->msix.table[v][2],
				   "after %s: vector %u's route is stale", what,
				   v);
	}
	check_irq_type(w, what, want);
	if (!want || w->fd->msix_enabled != want)
		return;
	s = last_msix_set(w->fd);
	FUZZ_CHECK(s && s->start == 0 && s->count == want &&
			   (s->flags & VFIO_IRQ_SET_ACTION_TRIGGER),
		   "after %s: SET_IRQS", what);
	for (unsigned int v = 0; v < want && v < 11; v++) {
		int32_t fd;

		memcpy(&fd, s->data + 4 * v, 4);
		FUZZ_CHECK(fd >= 0 &&
				   (w->host.fd[v] < 0 || w->host.fd[v] == fd),
			   "after %s: vector %u: the kernel signals fd %d, "
			   "KVM listens on %d",
			   what, v, fd, w->host.fd[v]);
	}
}

void vpc_check(struct vpc *w, const char *what)
{
	/* The checks' own config reads must not take an injected
	 * failure meant for the guest's accesses. */
	unsigned long nth = w->fv->fail_nth;

	w->fv->fail_nth = 0;
	check_header(w, what);
	check_caps(w, what);
	check_slots(w, what);
	check_vectors(w, what);
	w->host.failed_map = false;
	w->fv->fail_nth = nth;
}
