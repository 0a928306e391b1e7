// SPDX-License-Identifier: Apache-2.0
/* tests/devices/vfio/test_vfio_pci.c: a VFIO function on a real PCI bus. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <linux/vfio.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "devices/pci/pci.h"
#include "devices/vfio/vfio_pci.h"
#include "support/fake_vfio.h"
#include "vmm/gmem.h"

/*
 * The fake e1000e (tests/support/fake_vfio.h) on bus 0 of devices/pci,
 * seen as the guest sees it: through 0xCF8/0xCFC, ECAM and the 32-bit
 * window. The VM side is a recording vfio_pci_host_ops that also keeps
 * the books (slots, routes, irqfds) and fails on anything the VMM's
 * KVM calls would refuse. Register offsets are the PCI 3.0 spec's.
 */
#define W32_BASE 0xc0000000ULL
#define W32_SIZE 0x10000000ULL
#define W64_BASE 0x1000000000ULL
#define W64_SIZE 0x1000000000ULL
#define SLOT 2
#define KiB 1024ULL
#define GSI_BASE 40
#define MAX_CALLS 256
#define MAX_SLOTS 16
#define NR_VEC 5
#define MSIX_CAP 0xa0
#define MSI_CAP 0xd0
#define UNMAPPED UINT64_MAX

enum kind { MAP, UNMAP, ROUTE, IRQFD, SEND };

struct call {
	enum kind kind; /* which op */
	uint64_t gpa, size; /* MAP, UNMAP */
	void *host; /* MAP */
	unsigned int gsi; /* ROUTE, IRQFD */
	bool on; /* ROUTE: on; IRQFD: assign */
	uint64_t addr; /* ROUTE, SEND */
	uint32_t data; /* ROUTE, SEND */
	int fd; /* IRQFD */
};

struct host {
	unsigned long total; /* calls, all kinds */
	unsigned int nr; /* recorded in calls[] */
	struct call calls[MAX_CALLS];
	unsigned int next_gsi; /* handed out */
	unsigned int nr_slots; /* KVM slots now */
	struct call slots[MAX_SLOTS];
	bool routed[64], assigned[64]; /* by gsi - GSI_BASE */
	int fail_gsi; /* the nth alloc fails, 0: none */
	int fail_map; /* the nth map fails, 0: none */
};

static struct fake_vfio fv;
static struct fake_device *fd0;
static struct gmem mem;
static struct vfio_container *vc;
static struct vfio_device *dev;
static struct pci_bus *bus;
static struct vfio_pci *vp;
static struct host h;
static char why[256];

static void record(const struct call *c)
{
	h.total++;
	if (h.nr < MAX_CALLS)
		h.calls[h.nr++] = *c;
}

static int host_map(void *ctx, uint64_t gpa, uint64_t size, void *host)
{
	struct call c = { .kind = MAP, .gpa = gpa, .size = size, .host = host };

	record(&c);
	if (h.fail_map && !--h.fail_map)
		return -ENOMEM;
	cr_assert(!(gpa % 4096) && size && !(size % 4096), "%#lx+%#lx",
		  (unsigned long)gpa, (unsigned long)size);
	/* vfio-pci faults a BAR's mmap while the device's memory decode is
	 * off: a slot may exist only while the hardware has it on. */
	cr_assert(fd0->config[0x04] & 0x02, "slot before hardware decode");
	/* KVM_SET_USER_MEMORY_REGION refuses overlapping slots; a guest
	 * can ask for them by putting two BARs at one place. */
	for (unsigned int i = 0; i < h.nr_slots; i++)
		if (gpa < h.slots[i].gpa + h.slots[i].size &&
		    h.slots[i].gpa < gpa + size)
			return -EEXIST;
	cr_assert_lt(h.nr_slots, MAX_SLOTS);
	h.slots[h.nr_slots++] = c;
	return 0;
}

static int host_unmap(void *ctx, uint64_t gpa, uint64_t size)
{
	record(&(struct call){ .kind = UNMAP, .gpa = gpa, .size = size });
	cr_assert(fd0->config[0x04] & 0x02, "hardware decode went first");
	for (unsigned int i = 0; i < h.nr_slots; i++) {
		if (h.slots[i].gpa == gpa && h.slots[i].size == size) {
			h.slots[i] = h.slots[--h.nr_slots];
			return 0;
		}
	}
	cr_assert_fail("unmap of %#lx+%#lx: not a slot", (unsigned long)gpa,
		       (unsigned long)size);
	return -EINVAL;
}

static int host_gsi(void *ctx, unsigned int *gsi)
{
	if (h.fail_gsi && !--h.fail_gsi)
		return -ENOSPC;
	*gsi = GSI_BASE + h.next_gsi++;
	return 0;
}

static int host_route(void *ctx, unsigned int gsi, bool on, uint64_t addr,
		      uint32_t data)
{
	record(&(struct call){ .kind = ROUTE,
			       .gsi = gsi,
			       .on = on,
			       .addr = addr,
			       .data = data });
	cr_assert(gsi >= GSI_BASE && gsi < GSI_BASE + h.next_gsi);
	if (!on)
		cr_assert(h.routed[gsi - GSI_BASE], "no route to remove");
	h.routed[gsi - GSI_BASE] = on;
	return 0;
}

static int host_irqfd(void *ctx, int fd, unsigned int gsi, bool assign)
{
	record(&(struct call){
		.kind = IRQFD, .gsi = gsi, .on = assign, .fd = fd });
	cr_assert(gsi >= GSI_BASE && gsi < GSI_BASE + h.next_gsi);
	/* KVM refuses a second irqfd on one eventfd (-EBUSY) and a
	 * deassign of none (-ENOENT). */
	cr_assert_neq(h.assigned[gsi - GSI_BASE], assign);
	/* KVM_IRQFD resolves the GSI's route when it assigns. */
	if (assign)
		cr_assert(h.routed[gsi - GSI_BASE], "irqfd before its route");
	h.assigned[gsi - GSI_BASE] = assign;
	return 0;
}

static int host_send(void *ctx, uint64_t addr, uint32_t data)
{
	record(&(struct call){ .kind = SEND, .addr = addr, .data = data });
	return 0;
}

static const struct vfio_pci_host_ops host_ops = {
	.map_mmio = host_map,
	.unmap_mmio = host_unmap,
	.msi_gsi_alloc = host_gsi,
	.msi_route = host_route,
	.irqfd = host_irqfd,
	.send_msi = host_send,
};

/* Eventfds this process holds. */
static unsigned int count_eventfds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	unsigned int n = 0;
	char path[300], link[64];

	cr_assert_not_null(d);
	while ((e = readdir(d))) {
		ssize_t len;

		snprintf(path, sizeof(path), "/proc/self/fd/%s", e->d_name);
		len = readlink(path, link, sizeof(link) - 1);
		if (len < 0)
			continue;
		link[len] = '\0';
		n += !strcmp(link, "anon_inode:[eventfd]");
	}
	closedir(d);
	return n;
}

static bool is_eventfd(int fd)
{
	char path[64], link[64];
	ssize_t len;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	len = readlink(path, link, sizeof(link) - 1);
	if (len < 0)
		return false;
	link[len] = '\0';
	return !strcmp(link, "anon_inode:[eventfd]");
}

static unsigned int eventfds_before;

static void setup(void)
{
	struct gmem_region layout[] = { { .start = gpa(0), .size = 1 << 20 } };

	memset(&h, 0, sizeof(h));
	fake_vfio_init(&fv);
	fd0 = fake_vfio_device(&fv, FAKE_E1000E_BDF);
	cr_assert_eq(gmem_create(&mem, layout, 1), 0);
	cr_assert_eq(
		vfio_container_create(&fv.sys, &mem, &vc, why, sizeof(why)), 0);
	dev = NULL;
	bus = NULL;
	vp = NULL;
	eventfds_before = count_eventfds();
}

/* What nothing may leave behind. */
static void teardown(void)
{
	pci_bus_destroy(bus);
	vfio_pci_destroy(vp);
	cr_expect_eq(h.nr_slots, 0, "KVM slots left");
	for (unsigned int i = 0; i < 64; i++) {
		cr_expect_not(h.assigned[i], "irqfd left on gsi %u", i);
		cr_expect_not(h.routed[i], "route left on gsi %u", i);
	}
	cr_expect_eq(count_eventfds(), eventfds_before);
	vfio_device_close(dev);
	vfio_container_destroy(vc);
	cr_expect_eq(fake_vfio_open_fds(&fv), 0);
	cr_expect_eq(fake_vfio_live_mmaps(&fv), 0);
	gmem_destroy(&mem);
	fake_vfio_fini(&fv);
}

TestSuite(vfio_pci, .init = setup, .fini = teardown, .timeout = 60);

/* Opens the fake device, makes it a function at SLOT of a fresh bus
 * and places its BARs, as the VMM's recipe does. */
static void attach_with(const struct pci_bus_config *cfg)
{
	unsigned int slot;

	cr_assert_eq(vfio_device_open(&fv.sys, vc, FAKE_E1000E_BDF, &dev, why,
				      sizeof(why)),
		     0, "%s", why);
	cr_assert_eq(
		vfio_pci_create(dev, &host_ops, NULL, &vp, why, sizeof(why)), 0,
		"%s", why);
	cr_assert_eq(pci_bus_create(cfg, &bus), 0);
	cr_assert_eq(pci_bus_add_dev(bus, vfio_pci_dev(vp), SLOT, &slot), 0);
	cr_assert_eq(pci_bus_assign_bars(bus), 0);
}

static void attach(void)
{
	static const struct pci_bus_config cfg = {
		.mmio32_base = W32_BASE,
		.mmio32_size = W32_SIZE,
		.mmio64_base = W64_BASE,
		.mmio64_size = W64_SIZE,
	};

	attach_with(&cfg);
}

static uint32_t cf8_read(uint32_t reg, uint32_t len)
{
	uint32_t a = 0x80000000u | SLOT << 11 | (reg & 0xfc), v = 0;

	pci_cf8_access(bus, 0, (uint8_t *)&a, 4, true);
	pci_cf8_access(bus, 4 + (reg & 3), (uint8_t *)&v, len, false);
	return v;
}

static void cf8_write(uint32_t reg, uint32_t len, uint32_t v)
{
	uint32_t a = 0x80000000u | SLOT << 11 | (reg & 0xfc);

	pci_cf8_access(bus, 0, (uint8_t *)&a, 4, true);
	pci_cf8_access(bus, 4 + (reg & 3), (uint8_t *)&v, len, true);
}

static uint32_t ecam_read(uint32_t reg, uint32_t len)
{
	uint32_t v = 0;

	pci_ecam_access(bus, (uint64_t)SLOT << 15 | reg, (uint8_t *)&v, len,
			false);
	return v;
}

static void ecam_write(uint32_t reg, uint32_t len, uint32_t v)
{
	pci_ecam_access(bus, (uint64_t)SLOT << 15 | reg, (uint8_t *)&v, len,
			true);
}

static uint64_t mmio_read(uint64_t addr, uint32_t len)
{
	uint64_t v = 0;

	cr_assert(addr >= W32_BASE && addr < W32_BASE + W32_SIZE);
	pci_mmio32_access(bus, addr - W32_BASE, (uint8_t *)&v, len, false);
	return v;
}

static void mmio_write(uint64_t addr, uint32_t len, uint64_t v)
{
	cr_assert(addr >= W32_BASE && addr < W32_BASE + W32_SIZE);
	pci_mmio32_access(bus, addr - W32_BASE, (uint8_t *)&v, len, true);
}

/* Host memory as the device stores it: little-endian, maybe unaligned. */
static uint64_t load(const uint8_t *p, size_t len)
{
	uint64_t v = 0;

	memcpy(&v, p, len);
	return v;
}

/* BAR (bar)'s address as the guest reads it. */
static uint64_t bar_addr(unsigned int bar)
{
	return cf8_read(0x10 + 4 * bar, 4) & ~0xfULL;
}

static uint8_t *fake_bar(unsigned int bar)
{
	return fd0->bars + bar * FAKE_BAR_SLOT;
}

/* The slot mapped at (gpa), or NULL. */
static const struct call *slot_at(uint64_t gpa)
{
	for (unsigned int i = 0; i < h.nr_slots; i++)
		if (h.slots[i].gpa == gpa)
			return &h.slots[i];
	return NULL;
}

/* The size of the slot at (gpa), which must be there. */
static uint64_t slot_size(uint64_t gpa)
{
	const struct call *s = slot_at(gpa);

	cr_assert_not_null(s, "no slot at %#lx", (unsigned long)gpa);
	return s ? s->size : 0;
}

static volatile uint8_t *slot_host(uint64_t gpa)
{
	const struct call *s = slot_at(gpa);

	cr_assert_not_null(s, "no slot at %#lx", (unsigned long)gpa);
	return s ? s->host : NULL;
}

static void expect_call(unsigned int i, enum kind k, unsigned int gsi, bool on)
{
	cr_assert_lt(i, h.nr, "call %u missing", i);
	cr_assert_eq(h.calls[i].kind, k, "call %u: kind %d", i,
		     h.calls[i].kind);
	cr_assert_eq(h.calls[i].gsi, gsi, "call %u: gsi", i);
	cr_assert_eq(h.calls[i].on, on, "call %u: on", i);
}

/* ---- identity and BARs ---- */

Test(vfio_pci, identity_is_the_hardware_s)
{
	attach();
	cr_assert_eq(cf8_read(0x00, 4), 0x10d38086);
	cr_assert_eq(ecam_read(0x00, 2), 0x8086);
	cr_assert_eq(ecam_read(0x02, 2), 0x10d3);
	cr_assert_eq(cf8_read(0x08, 4) >> 8, 0x020000);
	cr_assert_eq(cf8_read(0x0e, 1), 0, "single function, type 0");
	cr_assert_eq(cf8_read(0x3d, 1), 1, "the hardware's INTA");
	cr_assert_eq(fd0->config[0x3d], 1);
	/* No expansion ROM: reads 0, sizing included. */
	cf8_write(0x30, 4, 0xffffffff);
	cr_assert_eq(cf8_read(0x30, 4), 0);
	/* The interrupt line is the emulation's, not the hardware's. */
	cf8_write(0x3c, 1, 0x0b);
	cr_assert_eq(cf8_read(0x3c, 1), 0x0b);
	cr_assert_eq(fd0->config[0x3c], 0);
}

Test(vfio_pci, bar_sizing_as_the_guest_sees_it)
{
	static const uint32_t want[6] = { 0xfffe0000, 0, 0, 0xffffc000, 0, 0 };

	attach();
	for (unsigned int b = 0; b < 6; b++) {
		cf8_write(0x10 + 4 * b, 4, 0xffffffff);
		cr_assert_eq(cf8_read(0x10 + 4 * b, 4), want[b], "BAR%u", b);
		ecam_write(0x10 + 4 * b, 4, 0xffffffff);
		cr_assert_eq(ecam_read(0x10 + 4 * b, 4), want[b], "BAR%u", b);
	}
	/* BAR2 is I/O space: hidden, and its register never reached the
	 * hardware. */
	cr_assert_eq(fd0->config[0x18], 0x01);
	cr_assert_eq(fd0->config[0x19], 0xc0);
	cr_assert_eq(fd0->config[0x10], 0x00);
	cr_assert_eq(fd0->config[0x12], 0xbc);
}

Test(vfio_pci, bar_64bit_prefetchable)
{
	fd0->config[0x10] = 0x0c; /* 64-bit, prefetchable */
	attach();
	cf8_write(0x10, 4, 0xffffffff);
	cf8_write(0x14, 4, 0xffffffff);
	cr_assert_eq(cf8_read(0x10, 4), 0xfffe000c);
	cr_assert_eq(cf8_read(0x14, 4), 0xffffffff);
	cr_assert_eq(pci_bus_assign_bars(bus), 0);
	cr_assert_eq(cf8_read(0x14, 4), W64_BASE >> 32, "in the 64-bit window");
	cf8_write(0x04, 2, 0x0002);
	cr_assert_not_null(slot_at(W64_BASE));
	cr_assert_eq(slot_size(W64_BASE), 128 * KiB);
}

/* ---- KVM slots ---- */

Test(vfio_pci, decode_on_maps_all_but_the_msix_pages)
{
	uint64_t b0, b3;

	attach();
	cr_assert_eq(h.nr, 0, "nothing mapped before decode is on");
	b0 = bar_addr(0);
	b3 = bar_addr(3);
	cr_assert_neq(b0, 0);
	cr_assert_neq(b3, 0);
	cf8_write(0x04, 2, 0x0006); /* memory space, bus master */
	cr_assert_eq(h.nr_slots, 3);
	cr_assert_eq(slot_size(b0), 128 * KiB);
	/* BAR3: the table's page (0) and the PBA's (0x2000) stay out. */
	cr_assert_null(slot_at(b3));
	cr_assert_null(slot_at(b3 + 0x2000));
	cr_assert_eq(slot_size(b3 + 0x1000), 0x1000);
	cr_assert_eq(slot_size(b3 + 0x3000), 0x1000);
	/* The slots' host memory is the device's BAR. */
	slot_host(b0)[0x10] = 0x5a;
	cr_assert_eq(fake_bar(0)[0x10], 0x5a);
	slot_host(b3 + 0x3000)[4] = 0xa5;
	cr_assert_eq(fake_bar(3)[0x3004], 0xa5);
	/* The hardware has bus master and memory on, I/O still off. */
	cr_assert_eq(fd0->config[0x04], 0x06);
	cr_assert_eq(cf8_read(0x04, 2), 0x0006);
	cf8_write(0x04, 2, 0x0007); /* I/O space: not here */
	cr_assert_eq(fd0->config[0x04], 0x06);
	cr_assert_eq(cf8_read(0x04, 2), 0x0006);
}

Test(vfio_pci, bar_rewrite_moves_the_slots)
{
	uint64_t b0, to;
	unsigned int n;

	attach();
	cf8_write(0x04, 2, 0x0002);
	b0 = bar_addr(0);
	to = W32_BASE + 0x1000000;
	n = h.nr;
	cf8_write(0x10, 4, (uint32_t)to);
	cr_assert_eq(h.nr, n + 2);
	cr_assert_eq(h.calls[n].kind, UNMAP);
	cr_assert_eq(h.calls[n].gpa, b0);
	cr_assert_eq(h.calls[n].size, 128 * KiB);
	cr_assert_eq(h.calls[n + 1].kind, MAP);
	cr_assert_eq(h.calls[n + 1].gpa, to);
	cr_assert_not_null(slot_at(to));
	cr_assert_null(slot_at(b0));
	/* Sizing with decode on: away (out of the window), then back. */
	cf8_write(0x10, 4, 0xffffffff);
	cr_assert_null(slot_at(to));
	cf8_write(0x10, 4, (uint32_t)b0);
	cr_assert_not_null(slot_at(b0));
	/* Decode off: every slot goes; the hardware's memory bit too. */
	cf8_write(0x04, 2, 0x0000);
	cr_assert_eq(h.nr_slots, 0);
	cr_assert_eq(fd0->config[0x04], 0);
}

Test(vfio_pci, a_bar_without_mmap_is_trapped_whole)
{
	fd0->region_flags[VFIO_PCI_BAR0_REGION_INDEX] &=
		~(uint32_t)VFIO_REGION_INFO_FLAG_MMAP;
	attach();
	cf8_write(0x04, 2, 0x0002);
	cr_assert_null(slot_at(bar_addr(0)));
	cr_assert_eq(h.nr_slots, 2);
	fake_bar(0)[0x1234] = 0x77;
	cr_assert_eq(mmio_read(bar_addr(0) + 0x1234, 1), 0x77);
}

Test(vfio_pci, sparse_areas_are_the_slots)
{
	fd0->nr_sparse[0] = 2;
	fd0->sparse[0][0] = (struct vfio_region_sparse_mmap_area){ 0, 0x8000 };
	fd0->sparse[0][1] =
		(struct vfio_region_sparse_mmap_area){ 0x10000, 0x8000 };
	attach();
	cf8_write(0x04, 2, 0x0002);
	cr_assert_eq(slot_size(bar_addr(0)), 0x8000);
	cr_assert_eq(slot_size(bar_addr(0) + 0x10000), 0x8000);
	cr_assert_eq(h.nr_slots, 4);
}

Test(vfio_pci, a_failed_map_traps_the_bar)
{
	h.fail_map = 3; /* BAR3's second slot */
	attach();
	cf8_write(0x04, 2, 0x0002);
	cr_assert_eq(h.nr_slots, 1, "BAR0 only: BAR3 rolled back");
	cr_assert_not_null(slot_at(bar_addr(0)));
	fake_bar(3)[0x3000] = 0x42;
	cr_assert_eq(mmio_read(bar_addr(3) + 0x3000, 1), 0x42);
}

/* ---- trapped accesses ---- */

Test(vfio_pci, trapped_accesses_reach_the_region)
{
	uint64_t b0, b3;
	uint64_t v = 0x1122334455667788ULL;

	attach();
	cf8_write(0x04, 2, 0x0002);
	b0 = bar_addr(0);
	b3 = bar_addr(3);
	memcpy(fake_bar(0) + 0x100, &v, 8);
	cr_assert_eq(mmio_read(b0 + 0x100, 1), 0x88);
	cr_assert_eq(mmio_read(b0 + 0x100, 2), 0x7788);
	cr_assert_eq(mmio_read(b0 + 0x100, 4), 0x55667788);
	cr_assert_eq(mmio_read(b0 + 0x100, 8), v);
	mmio_write(b0 + 0x200, 4, 0xdeadbeef);
	cr_assert_eq(load(fake_bar(0) + 0x200, 4), 0xdeadbeef);
	mmio_write(b0 + 0x208, 8, v);
	cr_assert_eq(load(fake_bar(0) + 0x208, 8), v);
	/* BAR3 beyond the table, in its page: the hardware's. */
	mmio_write(b3 + 0x800, 4, 0xcafe);
	cr_assert_eq(load(fake_bar(3) + 0x800, 4), 0xcafe);
	/* The table and the PBA: the emulation's, never the hardware's. */
	memset(fake_bar(3), 0xee, 0x50);
	memset(fake_bar(3) + 0x2000, 0xee, 8);
	cr_assert_eq(mmio_read(b3 + 0x0c, 4), 1, "vector 0 masked");
	mmio_write(b3 + 0x00, 4, 0xfee00000);
	cr_assert_eq(mmio_read(b3 + 0x00, 4), 0xfee00000);
	cr_assert_eq(fake_bar(3)[0], 0xee);
	cr_assert_eq(mmio_read(b3 + 0x2000, 8), 0);
	mmio_write(b3 + 0x2000, 8, ~0ULL);
	cr_assert_eq(mmio_read(b3 + 0x2000, 8), 0);
}

/* ---- config space ---- */

/* The IDs of the list as the guest walks it, into (ids); their count.
 * Fails on a loop or a pointer a guest could not follow. */
static unsigned int walk_caps(uint8_t *ids, uint8_t *offs)
{
	unsigned int n = 0, p;

	if (!(cf8_read(0x06, 2) & 0x10))
		return 0;
	for (p = cf8_read(0x34, 1); p; p = cf8_read(p + 1, 1)) {
		cr_assert(p >= 0x40 && p <= 0xfc && !(p & 3), "ptr %#x", p);
		cr_assert_lt(n, 48, "the list loops");
		offs[n] = (uint8_t)p;
		ids[n++] = (uint8_t)cf8_read(p, 1);
	}
	return n;
}

Test(vfio_pci, capability_list_as_the_guest_walks_it)
{
	uint8_t ids[48], offs[48];

	attach();
	cr_assert_eq(walk_caps(ids, offs), 3);
	cr_assert_eq(ids[0], 0x01); /* PM */
	cr_assert_eq(offs[0], 0xc8);
	cr_assert_eq(ids[1], 0x10); /* PCIe, MSI skipped */
	cr_assert_eq(offs[1], 0xe0);
	cr_assert_eq(ids[2], 0x11); /* MSI-X, the last */
	cr_assert_eq(offs[2], MSIX_CAP);
	cr_assert_eq(ecam_read(0xc8, 4) & 0xff00, 0xe000, "PM -> PCIe");
	/* MSI-X: N - 1 = 4, table in BAR3 at 0, PBA in BAR3 at 0x2000. */
	cr_assert_eq(cf8_read(MSIX_CAP + 2, 2), 0x0004);
	cr_assert_eq(cf8_read(MSIX_CAP + 4, 4), 0x00000003);
	cr_assert_eq(cf8_read(MSIX_CAP + 8, 4), 0x00002003);
	/* Extended config space is empty. */
	fd0->config[0x100] = 0x01;
	fd0->config[0x102] = 0x01;
	cr_assert_eq(ecam_read(0x100, 4), 0);
	ecam_write(0x104, 4, 0xffffffff);
	cr_assert_eq(fd0->config[0x104], 0);
}

Test(vfio_pci, a_looping_hardware_list_ends)
{
	uint8_t ids[48], offs[48];

	fd0->config[0xa1] = 0xc8; /* MSI-X -> PM: a loop */
	attach();
	cr_assert_eq(walk_caps(ids, offs), 3);
	cr_assert_eq(ids[2], 0x11);
}

Test(vfio_pci, a_list_into_the_header_ends)
{
	uint8_t ids[48], offs[48];

	fd0->config[0xe1] = 0x10; /* PCIe -> a BAR */
	attach();
	cr_assert_eq(walk_caps(ids, offs), 2);
	cr_assert_eq(ids[0], 0x01);
	cr_assert_eq(ids[1], 0x10);
}

Test(vfio_pci, a_list_of_only_msi_is_no_list)
{
	uint8_t ids[48], offs[48];

	fd0->config[0x34] = MSI_CAP;
	fd0->config[MSI_CAP + 1] = 0;
	attach();
	cr_assert_eq(cf8_read(0x34, 1), 0);
	cr_assert_eq(cf8_read(0x06, 2) & 0x10, 0);
	cr_assert_eq(walk_caps(ids, offs), 0);
}

Test(vfio_pci, config_writes_reach_the_hardware_but_the_virtual_ones)
{
	uint8_t msi[14], msix[12];

	attach();
	memcpy(msi, fd0->config + MSI_CAP, sizeof(msi));
	memcpy(msix, fd0->config + MSIX_CAP, sizeof(msix));
	/* Passed through: device-specific registers, a capability body,
	 * the cache line size. */
	cf8_write(0x40, 4, 0x12345678);
	cr_assert_eq(load(fd0->config + 0x40, 4), 0x12345678);
	cr_assert_eq(cf8_read(0x40, 4), 0x12345678);
	ecam_write(0xe8, 2, 0x2810); /* PCIe Device Control */
	cr_assert_eq(fd0->config[0xe8], 0x10);
	cf8_write(0x0c, 1, 0x10);
	cr_assert_eq(fd0->config[0x0c], 0x10);
	/* Bus master alone: the hardware has it, no slot appears. */
	cf8_write(0x04, 2, 0x0004);
	cr_assert_eq(fd0->config[0x04], 0x04);
	cr_assert_eq(h.nr_slots, 0);
	/* Virtual: MSI (dropped), MSI-X, the list, BARs. */
	for (unsigned int i = 0; i < sizeof(msi); i += 2)
		cf8_write(MSI_CAP + i, 2, 0xffff);
	cr_assert_arr_eq(fd0->config + MSI_CAP, msi, sizeof(msi));
	for (unsigned int i = 0; i < sizeof(msix); i += 4)
		ecam_write(MSIX_CAP + i, 4, 0xffffffff);
	cr_assert_arr_eq(fd0->config + MSIX_CAP, msix, sizeof(msix));
	cr_assert_eq(cf8_read(MSIX_CAP + 4, 4), 0x00000003);
	cr_assert_eq(cf8_read(MSIX_CAP + 2, 2), 0xc004, "enable, mask");
	cf8_write(0x34, 1, 0x40);
	cr_assert_eq(cf8_read(0x34, 1), 0xc8);
	cf8_write(0xc9, 1, 0x40);
	cr_assert_eq(cf8_read(0xc9, 1), 0xe0);
	cr_assert_eq(fd0->config[0xc9], MSI_CAP);
}

/* ---- MSI-X ---- */

/* The last SET_IRQS the device saw. */
static const struct vfio_irq_set *last_set(void)
{
	cr_assert_gt(fd0->nr_irq_sets, 0);
	return (const struct vfio_irq_set *)fd0->irq_sets[fd0->nr_irq_sets - 1]
		.bytes;
}

/* SET_IRQS (i) the device saw; it took it. */
static const struct vfio_irq_set *set_at(unsigned int i)
{
	cr_assert_lt(i, fd0->nr_irq_sets, "SET_IRQS %u missing", i);
	cr_assert_eq(fd0->irq_sets[i].ret, 0, "SET_IRQS %u refused: %d", i,
		     fd0->irq_sets[i].ret);
	return (const struct vfio_irq_set *)fd0->irq_sets[i].bytes;
}

/* Programs vector (v)'s message and mask bit through BAR3. */
static void program(unsigned int v, uint64_t addr, uint32_t data, bool masked)
{
	uint64_t at = bar_addr(3) + 16 * v;

	mmio_write(at, 4, (uint32_t)addr);
	mmio_write(at + 4, 4, (uint32_t)(addr >> 32));
	mmio_write(at + 8, 4, data);
	mmio_write(at + 12, 4, masked);
}

Test(vfio_pci, msix_enable_hands_every_eventfd_to_the_kernel)
{
	const struct vfio_irq_set *s;
	int32_t fds[NR_VEC];

	attach();
	/* One per vector, and INTx's trigger and unmask. */
	cr_assert_eq(count_eventfds(), eventfds_before + NR_VEC + 2);
	cf8_write(0x04, 2, 0x0006);
	cr_assert_eq(fd0->nr_irq_sets, 2, "INTx's only");
	cf8_write(MSIX_CAP + 2, 2, 0xc000); /* enable, function mask */
	cr_assert_eq(fd0->nr_irq_sets, 4, "INTx off, MSI-X on");
	s = last_set();
	cr_assert_eq(s->flags,
		     VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER);
	cr_assert_eq(s->index, VFIO_PCI_MSIX_IRQ_INDEX);
	cr_assert_eq(s->start, 0);
	cr_assert_eq(s->count, NR_VEC);
	memcpy(fds, s->data, sizeof(fds));
	for (unsigned int i = 0; i < NR_VEC; i++) {
		cr_assert(is_eventfd(fds[i]), "fd %d", fds[i]);
		for (unsigned int j = 0; j < i; j++)
			cr_assert_neq(fds[i], fds[j]);
	}
	cr_assert_eq(fd0->msix_enabled, NR_VEC);
	cr_assert_eq(fd0->irq_sets[3].ret, 0);
	/* Masked by function: nothing routed yet. */
	cr_assert_eq(h.nr, 3, "the three slots only");
	/* Enable again (a write that keeps it): no second SET_IRQS. */
	cf8_write(MSIX_CAP + 3, 1, 0xc0);
	cr_assert_eq(fd0->nr_irq_sets, 4);
}

Test(vfio_pci, unmask_and_mask_route_and_assign)
{
	const struct vfio_irq_set *s;
	unsigned int n, sets, gsi = GSI_BASE + 1;
	int fd;

	attach();
	cf8_write(0x04, 2, 0x0006);
	cf8_write(MSIX_CAP + 2, 2, 0xc000);
	fd = ((const int32_t *)last_set()->data)[1];
	program(1, 0xfee01000, 0x4041, false);
	n = h.nr;
	cr_assert_eq(h.total, n, "function masked: nothing yet");
	cf8_write(MSIX_CAP + 2, 2, 0x8000); /* function mask off */
	expect_call(n, ROUTE, gsi, true);
	cr_assert_eq(h.calls[n].addr, 0xfee01000);
	cr_assert_eq(h.calls[n].data, 0x4041);
	expect_call(n + 1, IRQFD, gsi, true);
	cr_assert_eq(h.calls[n + 1].fd, fd);
	cr_assert_eq(h.nr, n + 2, "vector 1 only");
	/* Mask: irqfd off first, then the route. */
	mmio_write(bar_addr(3) + 16 + 12, 4, 1);
	expect_call(n + 2, IRQFD, gsi, false);
	cr_assert_eq(h.calls[n + 2].fd, fd);
	expect_call(n + 3, ROUTE, gsi, false);
	/* Unmask: route, then irqfd (KVM injects what counted meanwhile). */
	mmio_write(bar_addr(3) + 16 + 12, 4, 0);
	expect_call(n + 4, ROUTE, gsi, true);
	expect_call(n + 5, IRQFD, gsi, true);
	/* A new message while on: the route moves, the irqfd stays. */
	mmio_write(bar_addr(3) + 16 + 8, 4, 0x4042);
	expect_call(n + 6, ROUTE, gsi, true);
	cr_assert_eq(h.calls[n + 6].data, 0x4042);
	cr_assert_eq(h.nr, n + 7);
	/* Disable: the vector goes off, then the kernel's MSI-X, then
	 * INTx is back (msix_disable_gives_intx_back checks how). */
	sets = fd0->nr_irq_sets;
	cf8_write(MSIX_CAP + 2, 2, 0x0000);
	expect_call(n + 7, IRQFD, gsi, false);
	expect_call(n + 8, ROUTE, gsi, false);
	cr_assert_eq(fd0->nr_irq_sets, sets + 3);
	s = set_at(sets);
	cr_assert_eq(s->flags,
		     VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER);
	cr_assert_eq(s->index, VFIO_PCI_MSIX_IRQ_INDEX);
	cr_assert_eq(s->count, 0);
	cr_assert_eq(fd0->msix_enabled, 0);
	/* And on again: all of them again, vector 1 routed again. */
	cf8_write(MSIX_CAP + 2, 2, 0x8000);
	cr_assert_eq(last_set()->count, NR_VEC);
	cr_assert_eq(fd0->msix_enabled, NR_VEC);
	cr_assert(h.assigned[1] && h.routed[1]);
}

Test(vfio_pci, a_failed_enable_is_retried_by_the_next_write)
{
	int trig, unmask;

	attach();
	cr_assert_eq(vfio_pci_intx(vp, &trig, &unmask), 1);
	/* SET_IRQS 1 turns INTx off, 2 (failing) would turn MSI-X on. */
	fake_vfio_fail(&fv, FAKE_IOCTL, VFIO_DEVICE_SET_IRQS, 2, -EIO);
	cf8_write(MSIX_CAP + 2, 2, 0xc000);
	cr_assert_eq(fv.fail_nth, 0, "the MSI-X enable was tried");
	cr_assert_eq(fd0->msix_enabled, 0);
	/* INTx back, with its eventfds. */
	cr_assert_eq(fd0->irq_type, FAKE_IRQ_INTX);
	cr_assert_eq(fd0->intx_trigger, trig);
	cr_assert_eq(fd0->intx_unmask, unmask);
	cf8_write(MSIX_CAP + 2, 2, 0x8000);
	cr_assert_eq(fd0->msix_enabled, NR_VEC);
	cr_assert_eq(fd0->irq_type, FAKE_IRQ_MSIX);
}

Test(vfio_pci, a_failed_intx_off_is_retried_by_the_next_write)
{
	int trig, unmask;

	attach();
	cr_assert_eq(vfio_pci_intx(vp, &trig, &unmask), 1);
	fake_vfio_fail(&fv, FAKE_IOCTL, VFIO_DEVICE_SET_IRQS, 1, -EIO);
	cf8_write(MSIX_CAP + 2, 2, 0xc000);
	/* INTx stayed on, so the kernel could not take MSI-X. */
	cr_assert_eq(fd0->msix_enabled, 0);
	cr_assert_eq(fd0->irq_type, FAKE_IRQ_INTX);
	cr_assert_eq(fd0->intx_trigger, trig);
	cf8_write(MSIX_CAP + 2, 2, 0x8000);
	cr_assert_eq(fd0->msix_enabled, NR_VEC);
	cr_assert_eq(fd0->irq_type, FAKE_IRQ_MSIX);
}

Test(vfio_pci, destroy_undoes_a_running_device)
{
	attach();
	cf8_write(0x04, 2, 0x0006);
	cf8_write(MSIX_CAP + 2, 2, 0x8000);
	for (unsigned int v = 0; v < NR_VEC; v++)
		program(v, 0xfee00000, 0x40 + v, false);
	for (unsigned int v = 0; v < NR_VEC; v++)
		cr_assert(h.assigned[v] && h.routed[v]);
	cr_assert_eq(h.nr_slots, 3);
	pci_bus_destroy(bus);
	bus = NULL;
	vfio_pci_destroy(vp);
	vp = NULL;
	cr_assert_eq(fd0->msix_enabled, 0);
	cr_assert_eq(last_set()->count, 0);
	cr_assert_eq(last_set()->index, VFIO_PCI_MSIX_IRQ_INDEX);
	/* INTx was off under MSI-X and stays off. */
	cr_assert_eq(fd0->irq_type, FAKE_IRQ_NONE);
	/* teardown checks slots, routes, irqfds and fds */
}

/* ---- INTx ---- */

/* What eventfd (fd) counted since it was last taken; 0: nothing. */
static uint64_t take(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	uint64_t n = 0;

	if (poll(&p, 1, 0) == 1 && (p.revents & POLLIN))
		cr_assert_eq(read(fd, &n, sizeof(n)), sizeof(n));
	return n;
}

/* The VM writes (fd): the guest's EOI, for the unmask eventfd. */
static void poke(int fd)
{
	uint64_t one = 1;

	cr_assert_eq(write(fd, &one, sizeof(one)), sizeof(one));
}

/* SET_IRQS (i) is (flags) on INTx with one eventfd (fd), or, fd < 0,
 * with none and count 0. */
static void expect_intx_set(unsigned int i, uint32_t flags, int fd)
{
	const struct vfio_irq_set *s = set_at(i);
	int32_t got;

	cr_assert_eq(s->index, VFIO_PCI_INTX_IRQ_INDEX, "SET_IRQS %u", i);
	cr_assert_eq(s->flags, flags, "SET_IRQS %u", i);
	cr_assert_eq(s->start, 0);
	cr_assert_eq(s->count, fd < 0 ? 0 : 1, "SET_IRQS %u", i);
	if (fd < 0)
		return;
	memcpy(&got, s->data, sizeof(got));
	cr_assert_eq(got, fd, "SET_IRQS %u: fd %d", i, got);
}

/* MSI-X on or off with its every vector (SET_IRQS (i)). */
static void expect_msix_set(unsigned int i, bool on)
{
	const struct vfio_irq_set *s = set_at(i);

	cr_assert_eq(s->index, VFIO_PCI_MSIX_IRQ_INDEX, "SET_IRQS %u", i);
	cr_assert_eq(s->flags,
		     (on ? VFIO_IRQ_SET_DATA_EVENTFD : VFIO_IRQ_SET_DATA_NONE) |
			     VFIO_IRQ_SET_ACTION_TRIGGER,
		     "SET_IRQS %u", i);
	cr_assert_eq(s->count, on ? NR_VEC : 0, "SET_IRQS %u", i);
}

#define TRIGGER_FD (VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER)
#define UNMASK_FD (VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_UNMASK)
#define INTX_OFF (VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER)

Test(vfio_pci, interrupt_pin_is_the_kernel_s_and_read_only)
{
	unsigned long pwrites;
	int trig, unmask;

	fd0->config[0x3d] = 2; /* INTB */
	attach();
	cr_assert_eq(vfio_pci_intx(vp, &trig, &unmask), 2);
	cr_assert_eq(cf8_read(0x3d, 1), 2);
	cr_assert_eq(ecam_read(0x3d, 1), 2);
	cr_assert_eq(cf8_read(0x3c, 4) >> 8 & 0xff, 2);
	/* Byte writes to it never reach the hardware... */
	pwrites = fv.calls[FAKE_PWRITE];
	cf8_write(0x3d, 1, 0);
	ecam_write(0x3d, 1, 0xff);
	cr_assert_eq(fv.calls[FAKE_PWRITE], pwrites);
	/* ...and wider ones take the line (the emulation's) only. */
	cf8_write(0x3c, 2, 0x0409);
	ecam_write(0x3c, 4, 0x0000030a);
	cr_assert_eq(cf8_read(0x3d, 1), 2);
	cr_assert_eq(ecam_read(0x3c, 2), 0x020a);
	cr_assert_eq(fd0->config[0x3d], 2);
	cr_assert_eq(fd0->config[0x3c], 0);
}

Test(vfio_pci, intx_is_on_from_create)
{
	int trig = -1, unmask = -1;
	int32_t fds[NR_VEC];

	attach();
	cr_assert_eq(vfio_pci_intx(vp, &trig, &unmask), 1);
	cr_assert(is_eventfd(trig), "fd %d", trig);
	cr_assert(is_eventfd(unmask), "fd %d", unmask);
	cr_assert_neq(trig, unmask);
	cr_assert_eq(fd0->nr_irq_sets, 2);
	expect_intx_set(0, TRIGGER_FD, trig);
	expect_intx_set(1, UNMASK_FD, unmask);
	cr_assert_eq(fd0->irq_type, FAKE_IRQ_INTX);
	cr_assert_eq(fd0->intx_trigger, trig);
	cr_assert_eq(fd0->intx_unmask, unmask);
	cr_assert_eq(take(trig), 0, "nothing signalled yet");
	/* The VM's pair is none of the vectors'. */
	cf8_write(MSIX_CAP + 2, 2, 0xc000);
	memcpy(fds, last_set()->data, sizeof(fds));
	for (unsigned int i = 0; i < NR_VEC; i++)
		cr_assert(fds[i] != trig && fds[i] != unmask, "vector %u", i);
}

Test(vfio_pci, msix_enable_turns_intx_off_first)
{
	int trig, unmask;

	attach();
	cr_assert_eq(vfio_pci_intx(vp, &trig, &unmask), 1);
	cf8_write(MSIX_CAP + 2, 2, 0xc000);
	/* The kernel takes MSI-X only with INTx off (vfio-pci refuses
	 * it with -EINVAL otherwise, and so does the fake). */
	cr_assert_eq(fd0->nr_irq_sets, 4);
	expect_intx_set(2, INTX_OFF, -1);
	expect_msix_set(3, true);
	cr_assert_eq(fd0->irq_type, FAKE_IRQ_MSIX);
	cr_assert_eq(fd0->msix_enabled, NR_VEC);
	cr_assert_eq(fd0->intx_trigger, -1);
	cr_assert_eq(fd0->intx_unmask, -1);
	/* The line rising now is no interrupt of the guest's. */
	fake_vfio_intx_set_line(fd0, true);
	cr_assert_eq(take(trig), 0);
	cr_assert_eq(fd0->intx_signals, 0);
	/* Function mask off: MSI-X stays, INTx too (off). */
	cf8_write(MSIX_CAP + 2, 2, 0x8000);
	cr_assert_eq(fd0->nr_irq_sets, 4);
	/* The pin is still the guest's to read: config, not state. */
	cr_assert_eq(cf8_read(0x3d, 1), 1);
}

Test(vfio_pci, msix_disable_gives_intx_back)
{
	unsigned int n;
	int trig, unmask, t2 = -1, u2 = -1;

	attach();
	cr_assert_eq(vfio_pci_intx(vp, &trig, &unmask), 1);
	for (int round = 0; round < 2; round++) {
		cf8_write(MSIX_CAP + 2, 2, 0x8000);
		cr_assert_eq(fd0->irq_type, FAKE_IRQ_MSIX);
		n = fd0->nr_irq_sets;
		cf8_write(MSIX_CAP + 2, 2, 0x0000);
		/* MSI-X off first: the kernel takes INTx only then. */
		cr_assert_eq(fd0->nr_irq_sets, n + 3, "round %d", round);
		expect_msix_set(n, false);
		expect_intx_set(n + 1, TRIGGER_FD, trig);
		expect_intx_set(n + 2, UNMASK_FD, unmask);
		cr_assert_eq(fd0->irq_type, FAKE_IRQ_INTX);
		cr_assert_eq(fd0->msix_enabled, 0);
		cr_assert_eq(vfio_pci_intx(vp, &t2, &u2), 1);
		cr_assert(t2 == trig && u2 == unmask, "the VM's wiring holds");
	}
	/* Writes that keep MSI-X off leave INTx alone. */
	cf8_write(MSIX_CAP + 2, 2, 0x4000);
	cf8_write(MSIX_CAP + 3, 1, 0x00);
	cr_assert_eq(fd0->nr_irq_sets, n + 3);
}

Test(vfio_pci, intx_trigger_end_to_end)
{
	int trig, unmask;

	attach();
	cr_assert_eq(vfio_pci_intx(vp, &trig, &unmask), 1);
	/* The device asserts: one signal, and INTx masks itself. */
	fake_vfio_intx_set_line(fd0, true);
	cr_assert_eq(take(trig), 1);
	cr_assert(fd0->intx_masked);
	fake_vfio_intx_set_line(fd0, true);
	cr_assert_eq(take(trig), 0, "masked: held up, no more");
	/* The guest's EOI while the device still asserts: again. */
	poke(unmask);
	cr_assert(fake_vfio_intx_service(fd0));
	cr_assert_eq(take(trig), 1);
	cr_assert(fd0->intx_masked);
	cr_assert_not(fake_vfio_intx_service(fd0), "no EOI, no unmask");
	/* The device is served and drops the line; the EOI unmasks. */
	fake_vfio_intx_set_line(fd0, false);
	poke(unmask);
	cr_assert(fake_vfio_intx_service(fd0));
	cr_assert_eq(take(trig), 0);
	cr_assert_not(fd0->intx_masked);
	/* The next assertion is the next interrupt. */
	fake_vfio_intx_set_line(fd0, true);
	cr_assert_eq(take(trig), 1);
	/* Through MSI-X and back: the same trigger, and the line still
	 * up fires as INTx comes back (a level interrupt). */
	cf8_write(MSIX_CAP + 2, 2, 0xc000);
	poke(unmask);
	cr_assert_not(fake_vfio_intx_service(fd0), "INTx is off");
	cr_assert_eq(take(trig), 0);
	cf8_write(MSIX_CAP + 2, 2, 0x0000);
	cr_assert_eq(take(trig), 1);
	cr_assert_eq(fd0->intx_signals, 4);
}

/* A function without INTx: the pin reads 0, the VM gets nothing to
 * wire, MSI-X on and off are one SET_IRQS each, and only the vectors'
 * eventfds are open (an INTx pair the kernel refused is closed). */
static void expect_no_intx(void)
{
	int trig = -7, unmask = -7;
	unsigned int n = fd0->nr_irq_sets;

	cr_assert_eq(cf8_read(0x3d, 1), 0);
	cr_assert_eq(ecam_read(0x3c, 4) >> 8 & 0xff, 0);
	cr_assert_eq(vfio_pci_intx(vp, &trig, &unmask), 0);
	cr_assert(trig == -7 && unmask == -7, "untouched");
	cr_assert_eq(fd0->irq_type, FAKE_IRQ_NONE);
	cr_assert_eq(count_eventfds(), eventfds_before + NR_VEC);
	cf8_write(MSIX_CAP + 2, 2, 0x8000);
	cr_assert_eq(fd0->nr_irq_sets, n + 1);
	expect_msix_set(n, true);
	cf8_write(MSIX_CAP + 2, 2, 0x0000);
	cr_assert_eq(fd0->nr_irq_sets, n + 2);
	expect_msix_set(n + 1, false);
	cr_assert_eq(fd0->irq_type, FAKE_IRQ_NONE);
}

Test(vfio_pci, no_intx_without_a_pin)
{
	fake_vfio_set_intx_pin(fd0, 0);
	attach();
	cr_assert_eq(fd0->nr_irq_sets, 0);
	expect_no_intx();
}

Test(vfio_pci, no_intx_with_a_pin_past_intd)
{
	fake_vfio_set_intx_pin(fd0, 7); /* the kernel counts one INTx */
	attach();
	cr_assert_eq(fd0->nr_irq_sets, 0);
	expect_no_intx();
	cr_assert_eq(fd0->config[0x3d], 7);
}

Test(vfio_pci, no_intx_without_the_kernel_s)
{
	fd0->irq_count[VFIO_PCI_INTX_IRQ_INDEX] = 0; /* pin 1 still */
	attach();
	cr_assert_eq(fd0->nr_irq_sets, 0);
	expect_no_intx();
}

Test(vfio_pci, no_intx_when_the_kernel_refuses_its_trigger)
{
	fake_vfio_fail(&fv, FAKE_IOCTL, VFIO_DEVICE_SET_IRQS, 1, -EBUSY);
	attach();
	cr_assert_eq(fv.fail_nth, 0, "INTx was tried");
	cr_assert_eq(fd0->nr_irq_sets, 0);
	expect_no_intx();
}

Test(vfio_pci, no_intx_when_the_kernel_refuses_its_unmask)
{
	fake_vfio_fail(&fv, FAKE_IOCTL, VFIO_DEVICE_SET_IRQS, 2, -EINVAL);
	attach();
	cr_assert_eq(fv.fail_nth, 0, "INTx was tried");
	/* On, then off again. */
	cr_assert_eq(fd0->nr_irq_sets, 2);
	cr_assert_eq(set_at(0)->index, VFIO_PCI_INTX_IRQ_INDEX);
	expect_intx_set(1, INTX_OFF, -1);
	expect_no_intx();
}

Test(vfio_pci, destroy_turns_intx_off_and_closes_its_fds)
{
	unsigned int n;
	int trig, unmask;

	attach();
	cr_assert_eq(vfio_pci_intx(vp, &trig, &unmask), 1);
	n = fd0->nr_irq_sets;
	pci_bus_destroy(bus);
	bus = NULL;
	vfio_pci_destroy(vp);
	vp = NULL;
	cr_assert_eq(fd0->nr_irq_sets, n + 1);
	expect_intx_set(n, INTX_OFF, -1);
	cr_assert_eq(fd0->irq_type, FAKE_IRQ_NONE);
	cr_assert_eq(fd0->intx_trigger, -1);
	cr_assert_eq(fd0->intx_unmask, -1);
	cr_assert_not(is_eventfd(trig));
	cr_assert_not(is_eventfd(unmask));
	cr_assert_eq(count_eventfds(), eventfds_before);
}

/* ---- create's errors ---- */

Test(vfio_pci, create_refuses_and_leaks_nothing)
{
	struct vfio_pci_host_ops partial = host_ops;
	struct vfio_pci *p = NULL;

	cr_assert_eq(vfio_device_open(&fv.sys, vc, FAKE_E1000E_BDF, &dev, why,
				      sizeof(why)),
		     0, "%s", why);
	partial.send_msi = NULL;
	cr_assert_eq(vfio_pci_create(dev, &partial, NULL, &p, why, sizeof(why)),
		     -EINVAL);
	cr_assert_null(p);
	h.fail_gsi = 3;
	cr_assert_eq(
		vfio_pci_create(dev, &host_ops, NULL, &p, why, sizeof(why)),
		-ENOSPC);
	cr_assert(strstr(why, "GSI"), "%s", why);
	cr_assert_null(p);
	cr_assert_eq(count_eventfds(), eventfds_before);
	fake_vfio_fail(&fv, FAKE_PREAD, 0, 1, -EIO);
	cr_assert_eq(
		vfio_pci_create(dev, &host_ops, NULL, &p, why, sizeof(why)),
		-EIO);
	fd0->config[0] = 0xff;
	fd0->config[1] = 0xff;
	cr_assert_eq(
		vfio_pci_create(dev, &host_ops, NULL, &p, why, sizeof(why)),
		-EINVAL);
	cr_assert_null(p);
}

Test(vfio_pci, no_msix_means_no_interrupts_but_a_device)
{
	uint8_t ids[48], offs[48];
	int trig = -7, unmask = -7;

	fd0->irq_count[VFIO_PCI_MSIX_IRQ_INDEX] = 0;
	fake_vfio_set_intx_pin(fd0, 0);
	attach();
	cr_assert_eq(count_eventfds(), eventfds_before);
	cr_assert_eq(vfio_pci_intx(vp, &trig, &unmask), 0);
	cr_assert_eq(fd0->nr_irq_sets, 0);
	cr_assert_eq(walk_caps(ids, offs), 2, "PM, PCIe");
	cf8_write(0x04, 2, 0x0002);
	/* The table's pages are still not the guest's to map. */
	cr_assert_eq(h.nr_slots, 3);
	cr_assert_eq(mmio_read(bar_addr(3), 4), 0, "the region's");
}

/* ---- a hostile guest ---- */

Test(vfio_pci, hostile_config_and_bar_accesses)
{
	static const uint32_t vals[] = { 0, 0xffffffff, 0x5a5aa5a5 };
	uint64_t b0, b3;

	attach();
	for (unsigned int k = 0; k < 3; k++) {
		for (uint32_t off = 0; off < PCI_CFG_SIZE; off++) {
			for (uint32_t len = 1; len <= 4; len *= 2) {
				ecam_read(off & ~(len - 1), len);
				ecam_write(off & ~(len - 1), len, vals[k]);
				cf8_read(off & 0xff, len);
				cf8_write(off & 0xff, len, vals[k] ^ off);
			}
		}
	}
	/* Whatever that did, the guest's next writes put it right. */
	cr_assert_eq(pci_bus_assign_bars(bus), 0);
	cf8_write(MSIX_CAP + 2, 2, 0x0000);
	cr_assert_eq(fd0->msix_enabled, 0);
	cf8_write(0x04, 2, 0x0000);
	cr_assert_eq(h.nr_slots, 0);
	cf8_write(0x04, 2, 0x0006);
	cr_assert_eq(h.nr_slots, 3);
	b0 = bar_addr(0);
	b3 = bar_addr(3);
	cf8_write(MSIX_CAP + 2, 2, 0x8000);
	cr_assert_eq(fd0->msix_enabled, NR_VEC);
	for (uint64_t off = 0; off < 16 * KiB; off++) {
		for (uint32_t len = 1; len <= 8; len *= 2) {
			mmio_read(b3 + off, len);
			mmio_write(b3 + off, len, 0xffffffffffffffffULL);
			mmio_read(b0 + off * 8, len);
			mmio_write(b0 + off * 8, len, off);
		}
	}
	cr_assert_eq(mmio_read(b0 + 8, 4), 1, "still the hardware's");
	/* The capability list survived. */
	cr_assert_eq(cf8_read(0x34, 1), 0xc8);
	cr_assert_eq(cf8_read(MSIX_CAP, 1), 0x11);
}
