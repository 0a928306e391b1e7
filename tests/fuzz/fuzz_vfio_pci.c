// SPDX-License-Identifier: Apache-2.0
/* tests/fuzz/fuzz_vfio_pci.c: a hostile guest against a passed-through PCI function. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "devices/pci/pci.h"
#include "devices/vfio/vfio_container.h"
#include "devices/vfio/vfio_device.h"
#include "devices/vfio/vfio_pci.h"
#include "fuzz.h"
#include "fuzz_input.h"
#include "support/fake_vfio.h"
#include "vfio_pci_check.h"
#include "vmm/gmem.h"
#include "vmm/log.h"

/*
 * The fake e1000e of tests/support/fake_vfio.h, reshaped by the input
 * (MSI or not, MSI-X's vectors, table and PBA anywhere, BAR sizes and
 * types, sparse areas, raw config bytes, its INTx pin or none, the
 * kernel refusing INTx at create), opened through devices/vfio,
 * made a function on a real devices/pci bus 0 by vfio_pci_create(), its
 * BARs placed by pci_bus_assign_bars(). Then what a guest can do to it:
 * config accesses of 1, 2 or 4 bytes at any offset through 0xCF8/0xCFC
 * (junk in the address latch too) and ECAM (and the lengths and offsets
 * the bus refuses), trapped accesses of 1 to 8 bytes anywhere in the
 * bus's windows (the MSI-X table and PBA, the BARs' trapped pages); and
 * what the host side does meanwhile: a vector's eventfd signalled, the
 * device's INTx line and the guest's EOI of it, the kernel failing its
 * next calls, KVM refusing a slot.
 *
 * Invariants (vfio_pci_check.c, worked out apart from devices/vfio and
 * devices/pci), after every operation: the guest's config reads (BARs
 * size-aligned with their type bits, no ROM, header type 0, the
 * interrupt pin the device's where it has INTx and the kernel took it,
 * else 0, extended space 0, a capability list that ends, without MSI,
 * with MSI-X exactly when emulated, Message Control as written); KVM's
 * slots exactly the mappable pages of the BARs that decode, less the
 * MSI-X pages, at the BARs' addresses, page aligned, in the windows,
 * never overlapping, unmapped only as mapped; every vector routed and
 * its irqfd assigned exactly while on, with the table's message; the
 * kernel's MSI-X on exactly while the guest enables it, INTx (with the
 * eventfds vfio_pci_intx() gave) exactly while not and the function
 * has INTx, nothing else (after a failed SET_IRQS: once a Message
 * Control write goes through without one); trapped reads
 * as the table, PBA or region hold them; a 0xCF8 read the same as ECAM.
 * At the end, vfio_pci_destroy() leaves no slot, route, irqfd, eventfd,
 * fake fd or mmap behind, and the kernel's interrupts off.
 */

#define MAX_OPS 512
#define W32_BASE 0xc0000000ULL /* the bus's 32-bit window */
#define W32_SIZE 0x10000000ULL
#define W32_SMALL 0x100000ULL /* a window too small for every BAR */
#define W64_BASE 0x1000000000ULL /* and its 64-bit one */
#define W64_SIZE 0x1000000000ULL

/* Header flags. */
#define H_NO_MSI 0x01 /* the MSI capability unlinked */
#define H_MSIX_LAYOUT 0x02 /* table and PBA BIR/offset from the input */
#define H_BAR0_64 0x04 /* BAR0 64-bit */
#define H_BAR0_PREF 0x08 /* BAR0 prefetchable */
#define H_SPARSE 0x10 /* BAR0 mappable in sparse areas only */
#define H_BAR3_NOMMAP 0x20 /* BAR3 trapped whole */
#define H_POKES 0x40 /* raw config bytes */
#define H_SMALL_BUS 0x80 /* a 1 MiB 32-bit window, no 64-bit one */

/* The INTx byte: the pin xor 1 in bits 0-2 (0: INTA, the e1000e's; 5-7
 * no pin ignis takes), then flags. */
#define I_PIN 0x07
#define I_NOINTX 0x08 /* vfio-pci's nointx: no INTx, the pin reads 0 */
#define I_REFUSE 0x10 /* the kernel refuses INTx at create: at its */
#define I_REFUSE_UNMASK 0x20 /* UNMASK (rolled back), else TRIGGER */

static struct gmem mem;
static struct fake_vfio fv;
static struct vpc w;
static char why[256];

/* Whether the fake failed a call since (nth) was read. */
static bool fault_fired(unsigned long nth)
{
	return nth && !fv.fail_nth;
}

static void put32(uint8_t *p, uint32_t v)
{
	for (unsigned int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* A BAR size: 16 bytes to 256 KiB, a power of two or three quarters of
 * one (hidden: the bus takes powers of two only). */
static uint64_t bar_size(uint8_t b)
{
	uint64_t s = 1ULL << (4 + b % 15);

	return b & 0x80 ? s / 4 * 3 : s;
}

/* The device's shape, into the fake before it is opened; its INTx byte
 * into (intx). */
static void shape(struct fz *in, struct fake_device *d, uint8_t flags,
		  uint8_t *intx)
{
	uint8_t *c = d->config;
	uint8_t vec = fz_u8(in);

	d->irq_count[VFIO_PCI_MSIX_IRQ_INDEX] = vec % 9u;
	c[0xa2] = (uint8_t)(vec >> 4); /* table size N - 1 */
	d->region_size[0] = bar_size(fz_u8(in));
	d->region_size[3] = bar_size(fz_u8(in));
	*intx = fz_u8(in);
	c[0x3d] = (*intx & I_PIN) ^ 1;
	if (flags & H_NO_MSI)
		c[0xc9] = 0xe0; /* PM -> PCIe */
	if (flags & H_MSIX_LAYOUT) {
		uint8_t bir = fz_u8(in);

		put32(c + 0xa4, (fz_u16(in) & ~7u) | (bir & 7));
		put32(c + 0xa8, (fz_u16(in) & ~7u) | (bir >> 4 & 7));
	}
	if (flags & H_BAR0_64)
		c[0x10] |= 0x04;
	if (flags & H_BAR0_PREF)
		c[0x10] |= 0x08;
	if (flags & H_SPARSE) {
		/* Two areas inside the region (the kernel's promise), in
		 * pages, or off a page with bit 7. */
		uint64_t size = d->region_size[0];

		d->nr_sparse[0] = 2;
		for (unsigned int i = 0; i < 2; i++) {
			uint8_t o = fz_u8(in), l = fz_u8(in);
			uint64_t off =
				(o & 0x3f) * 4096ULL + (o & 0x80 ? 0x800 : 0);
			uint64_t len = l * 4096ULL;

			if (off > size)
				off = size;
			if (len > size - off)
				len = size - off;
			d->sparse[0][i] =
				(struct vfio_region_sparse_mmap_area){ off,
								       len };
		}
	}
	if (flags & H_BAR3_NOMMAP)
		d->region_flags[3] &= ~(uint32_t)VFIO_REGION_INFO_FLAG_MMAP;
	if (flags & H_POKES) {
		unsigned int n = fz_u8(in) % 9;

		/* Anything but the IDs: a vendor of 0xffff is no device. */
		for (unsigned int i = 0; i < n; i++) {
			uint8_t at = fz_u8(in);

			c[at < 4 ? at + 4 : at] = fz_u8(in);
		}
	}
	/* The kernel's INTx follows the pin, pokes included; nointx
	 * hides both (vfio_config_init()). */
	fake_vfio_set_intx_pin(d, *intx & I_NOINTX ? 0 : c[0x3d]);
}

/* ---- the guest's accesses ---- */

/* The function's register (reg) that a CONFIG_DATA access of (len) at
 * port (port) reaches with CONFIG_ADDRESS (a), if it does (pci.h). */
static bool cf8_reaches(uint32_t a, unsigned int port, uint32_t len,
			uint32_t *reg)
{
	unsigned int k = port - 4;

	if (port < 4 || port > 7 || (len != 1 && len != 2 && len != 4) ||
	    k + len > 4 || !(a & 0x80000000u) || (a >> 16 & 0xff) ||
	    (a >> 11 & 0x1f) != w.slot || (a >> 8 & 7))
		return false;
	*reg = ((a >> 16 & 0xf00) | (a & 0xfc)) + k;
	return true;
}

static bool ecam_reaches(uint64_t off, uint32_t len, uint32_t *reg)
{
	if (off >= PCI_ECAM_SIZE || (len != 1 && len != 2 && len != 4) ||
	    off % len || (off >> 15 & 0x1f) != w.slot || (off >> 12 & 7))
		return false;
	*reg = off & 0xfff;
	return true;
}

static const uint32_t lens[4] = { 1, 2, 4, 8 };

/* After a config access: a failed call may leave the kernel's
 * interrupts apart from what the guest asked; a Message Control write
 * with none puts them right (vfio_pci_cfg.c tries again each time). */
static void settle_irqs(unsigned long nth)
{
	if (fault_fired(nth))
		w.irqs_diverged = true;
	else if (w.ctrl_written)
		w.irqs_diverged = false;
}

/* 0xCF8/0xCFC: ctl bit 0 write, bits 1-2 the length (1, 2, 4, 8),
 * bit 3 junk in CONFIG_ADDRESS, bit 4 keep the latch, bit 5 any port. */
static void op_cf8(struct fz *in)
{
	uint8_t ctl = fz_u8(in), data[8] = { 0 }, port_b = fz_u8(in);
	uint16_t r = fz_u16(in);
	uint32_t junk = fz_u32(in), len = lens[ctl >> 1 & 3], a, reg;
	unsigned int port = ctl & 0x20 ? port_b % 8 : 4 + (r & 3);
	bool write = ctl & 1, reach;
	unsigned long nth = fv.fail_nth;

	fz_bytes(in, data, sizeof(data));
	w.ctrl_written = false;
	if (!(ctl & 0x10)) {
		a = ctl & 0x08 ?
			    junk :
			    0x80000000u | w.slot << 11 |
				    (uint32_t)(r & 0xf00) << 16 | (r & 0xfc);
		pci_cf8_access(w.bus, 0, (uint8_t *)&a, 4, true);
	}
	pci_cf8_access(w.bus, 0, (uint8_t *)&a, 4, false);
	reach = cf8_reaches(a, port, len, &reg);
	if (write && reach)
		vpc_cfg_write(&w, reg, data, len);
	pci_cf8_access(w.bus, port, data, len, write);
	FUZZ_TRACE("cf8 %s %u @%u (addr %#x%s)", write ? "write" : "read", len,
		   port, a, reach ? "" : ", not ours");
	/* Reads have no side effects: ECAM says the same. */
	if (!write && reach && !fault_fired(nth)) {
		uint32_t e;

		fv.fail_nth = 0;
		e = vpc_cfg_read(&w, reg, len);
		fv.fail_nth = nth;
		FUZZ_CHECK(!memcmp(&e, data, len),
			   "0xCFC read of %#x+%u: %#x, ECAM %#x", reg, len,
			   *(uint32_t *)data, e);
	}
	settle_irqs(nth);
}

/* ECAM: ctl bit 0 write, bits 1-2 the length, bit 3 a raw offset, bit 4
 * keep it unaligned. */
static void op_ecam(struct fz *in)
{
	uint8_t ctl = fz_u8(in), data[8] = { 0 };
	uint32_t raw = fz_u32(in), len = lens[ctl >> 1 & 3], reg;
	uint64_t off =
		ctl & 0x08 ? raw : (uint64_t)w.slot << 15 | (raw & 0xfff);
	bool write = ctl & 1, reach;
	unsigned long nth = fv.fail_nth;

	fz_bytes(in, data, sizeof(data));
	w.ctrl_written = false;
	if (!(ctl & 0x10))
		off &= ~(uint64_t)(len - 1);
	reach = ecam_reaches(off, len, &reg);
	if (write && reach)
		vpc_cfg_write(&w, reg, data, len);
	pci_ecam_access(w.bus, off, data, len, write);
	FUZZ_TRACE("ecam %s %u @%#llx%s", write ? "write" : "read", len,
		   (unsigned long long)off, reach ? "" : ", not ours");
	settle_irqs(nth);
}

/* A trapped access: ctl bit 0 write, bits 1-2 the length, bit 3 an
 * offset in a window (bit 4: the 64-bit one), else from a BAR's address
 * (a byte: which) as its registers read. */
static void op_mmio(struct fz *in)
{
	uint8_t ctl = fz_u8(in), bar = fz_u8(in) % PCI_NR_BARS, data[8];
	uint64_t raw = fz_u64(in), gpa;
	uint32_t len = lens[ctl >> 1 & 3];
	bool write = ctl & 1, w64 = ctl & 0x10;
	unsigned long nth = fv.fail_nth;
	struct vpc_hit hit;

	fz_bytes(in, data, sizeof(data));
	if (ctl & 0x08) {
		if (w64 && !w.win.mmio64_size)
			return;
		gpa = w64 ? w.win.mmio64_base + raw % w.win.mmio64_size :
			    w.win.mmio32_base + raw % w.win.mmio32_size;
	} else {
		uint32_t lo, hi = 0;

		fv.fail_nth = 0;
		lo = vpc_cfg_read(&w, 0x10 + 4 * bar, 4);
		if (w.dev.bar_flags[bar] & PCI_BAR_MEM64)
			hi = vpc_cfg_read(&w, 0x14 + 4 * bar, 4);
		fv.fail_nth = nth;
		gpa = ((uint64_t)hi << 32 | (lo & ~0xfu)) + (uint32_t)raw;
	}
	w64 = gpa >= w.win.mmio64_base && w.win.mmio64_size &&
	      gpa - w.win.mmio64_base < w.win.mmio64_size;
	if (!w64 && (gpa < w.win.mmio32_base ||
		     gpa - w.win.mmio32_base >= w.win.mmio32_size))
		return; /* no window: not the bus's */
	fv.fail_nth = 0;
	vpc_mmio_before(&w, gpa, data, len, write, &hit);
	fv.fail_nth = nth;
	if (w64)
		pci_mmio64_access(w.bus, gpa - w.win.mmio64_base, data, len,
				  write);
	else
		pci_mmio32_access(w.bus, gpa - w.win.mmio32_base, data, len,
				  write);
	FUZZ_TRACE("mmio %s %u @%#llx: BAR%d+%#llx kind %d",
		   write ? "write" : "read", len, (unsigned long long)gpa,
		   hit.bar, (unsigned long long)hit.off, hit.kind);
	vpc_mmio_after(&w, &hit, data, fault_fired(nth));
}

/* What eventfd (fd) counted, taken; 0: nothing or no fd. */
static uint64_t take(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	uint64_t n = 0;

	if (fd >= 0 && poll(&p, 1, 0) == 1 && (p.revents & POLLIN))
		FUZZ_CHECK(read(fd, &n, sizeof(n)) == sizeof(n),
			   "eventfd %d read: %s", fd, strerror(errno));
	return n;
}

/* The device's INTx line (bit 6: up), then with bit 5 the guest's EOI:
 * the VM writes the unmask eventfd and the kernel serves it; "KVM"
 * takes what the trigger counted. The fake signals and reads the fds
 * vfio_pci gave it: one closed under it is a finding there. */
static void op_intx(uint8_t v)
{
	uint64_t one = 1, n;

	fake_vfio_intx_set_line(w.fd, v & 0x40);
	if ((v & 0x20) && w.intx_unmask >= 0) {
		FUZZ_CHECK(write(w.intx_unmask, &one, sizeof(one)) ==
				   sizeof(one),
			   "EOI: %s", strerror(errno));
		fake_vfio_intx_service(w.fd);
	}
	n = take(w.intx_trigger);
	/* A level interrupt: an INTx on, unmasked, with its line up has
	 * been signalled and masked itself. */
	FUZZ_CHECK(w.fd->irq_type != FAKE_IRQ_INTX || !w.fd->intx_line ||
			   w.fd->intx_trigger < 0 || w.fd->intx_masked,
		   "INTx line up, unmasked, unsignalled");
	FUZZ_TRACE("INTx line %d%s: %llu signals", !!(v & 0x40),
		   v & 0x20 ? ", EOI" : "", (unsigned long long)n);
}

/* The kernel signals vector (b)'s eventfd, while it has them; with bit
 * 7, INTx instead (op_intx()). */
static void op_signal(struct fz *in)
{
	unsigned int v = fz_u8(in);
	const struct vfio_irq_set *s = NULL;
	uint64_t one = 1;
	int32_t fd;

	if (v & 0x80) {
		op_intx((uint8_t)v);
		return;
	}
	for (unsigned int i = w.fd->nr_irq_sets; i-- > 0 && !s;) {
		s = (const void *)w.fd->irq_sets[i].bytes;
		if (s->index != VFIO_PCI_MSIX_IRQ_INDEX ||
		    !(s->flags & VFIO_IRQ_SET_DATA_EVENTFD))
			s = NULL;
	}
	if (!s || !w.fd->msix_enabled)
		return;
	v %= w.fd->msix_enabled;
	if (v >= s->count || v >= 11)
		return;
	memcpy(&fd, s->data + 4 * v, 4);
	FUZZ_CHECK(write(fd, &one, sizeof(one)) == sizeof(one),
		   "signal vector %u's fd %d: %s", v, fd, strerror(errno));
	FUZZ_TRACE("signal vector %u", v);
	vpc_eventfd_signalled(&w, fd);
}

/* The kernel fails its nth next call of a kind. */
static void op_fail(struct fz *in)
{
	static const enum fake_call kinds[] = { FAKE_PREAD, FAKE_PWRITE,
						FAKE_IOCTL, FAKE_IOCTL,
						FAKE_ANY };
	static const int errs[] = { -EIO, -EINVAL, -ENOMEM, -EBUSY };
	uint8_t k = fz_u8(in), n = fz_u8(in);
	unsigned int kind = k % 5;

	fake_vfio_fail(&fv, kinds[kind], kind == 2 ? VFIO_DEVICE_SET_IRQS : 0,
		       1 + n % 8, errs[k >> 4 & 3]);
	FUZZ_TRACE("fail call %u of kind %u", 1 + n % 8, kind);
}

/* KVM refuses the nth next slot. */
static void op_fail_map(struct fz *in)
{
	w.host.fail_map = 1 + fz_u8(in) % 8;
}

/* ---- one input ---- */

static bool is_eventfd(int fd)
{
	char path[32], link[32];
	ssize_t n;

	if (fcntl(fd, F_GETFD) < 0)
		return false;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, link, sizeof(link) - 1);
	return n > 0 && (link[n] = 0, !strcmp(link, "anon_inode:[eventfd]"));
}

/* Makes the world; false when the shape is one the kernel side refuses
 * (rightly: vfio_device_open()'s -EPROTO). */
static bool create(struct fz *in, struct vfio_container **vc,
		   struct vfio_device **dev, struct vfio_pci **vp)
{
	uint8_t flags = fz_u8(in), slot = fz_u8(in), intx;
	unsigned int pin;
	int err, trig = -1, unmask = -1;

	w.fv = &fv;
	w.fd = fake_vfio_device(&fv, FAKE_E1000E_BDF);
	shape(in, w.fd, flags, &intx);
	vpc_dev_model(&w);
	w.dev.raw_caps = flags & H_POKES;
	vpc_reset(&w);
	w.slot = 1 + slot % (PCI_NR_SLOTS - 1);
	w.win = (struct pci_bus_config){
		.mmio32_base = W32_BASE,
		.mmio32_size = flags & H_SMALL_BUS ? W32_SMALL : W32_SIZE,
		.mmio64_base = flags & H_SMALL_BUS ? 0 : W64_BASE,
		.mmio64_size = flags & H_SMALL_BUS ? 0 : W64_SIZE,
	};
	err = vfio_container_create(&fv.sys, &mem, vc, why, sizeof(why));
	FUZZ_CHECK(!err, "container: %s", why);
	err = vfio_device_open(&fv.sys, *vc, FAKE_E1000E_BDF, dev, why,
			       sizeof(why));
	if (err) {
		FUZZ_CHECK(err == -EPROTO, "open: %d %s", err, why);
		return false;
	}
	/* The first SET_IRQS of create, INTx's trigger, or the second,
	 * its unmask; a function without INTx never asks. */
	if (intx & I_REFUSE)
		fake_vfio_fail(&fv, FAKE_IOCTL, VFIO_DEVICE_SET_IRQS,
			       intx & I_REFUSE_UNMASK ? 2 : 1,
			       intx & I_REFUSE_UNMASK ? -EINVAL : -EBUSY);
	err = vfio_pci_create(*dev, &vpc_host_ops, &w, vp, why, sizeof(why));
	FUZZ_CHECK(!err, "vfio_pci_create: %d %s", err, why);
	FUZZ_CHECK(!(intx & I_REFUSE) || !fv.fail_nth || !w.dev.intx_pin,
		   "INTx (pin %u) never asked for", w.dev.intx_pin);
	if ((intx & I_REFUSE) && !fv.fail_nth)
		w.dev.intx_pin = 0; /* refused: no INTx */
	fake_vfio_fail(&fv, FAKE_ANY, 0, 0, 0);
	pin = vfio_pci_intx(*vp, &trig, &unmask);
	FUZZ_CHECK(pin == w.dev.intx_pin, "vfio_pci_intx: pin %u, model %u",
		   pin, w.dev.intx_pin);
	if (pin) {
		FUZZ_CHECK(is_eventfd(trig) && is_eventfd(unmask) &&
				   trig != unmask,
			   "INTx fds %d, %d", trig, unmask);
		w.intx_trigger = trig;
		w.intx_unmask = unmask;
	}
	FUZZ_CHECK(!pci_bus_create(&w.win, &w.bus), "bus");
	FUZZ_CHECK(
		!pci_bus_add_dev(w.bus, vfio_pci_dev(*vp), (int)w.slot, NULL),
		"add");
	err = pci_bus_assign_bars(w.bus);
	FUZZ_CHECK(!err || (err == -ENOSPC && (flags & H_SMALL_BUS)),
		   "assign_bars: %d", err);
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz in = fz_make(data, size);
	struct vfio_container *vc = NULL;
	struct vfio_device *dev = NULL;
	struct vfio_pci *vp = NULL;
	int lowest;

	log_set_level(LOG_ERROR);
	if (!mem.base) {
		struct gmem_region layout[] = { { .start = gpa(0),
						  .size = 1 << 20 } };

		FUZZ_CHECK(!gmem_create(&mem, layout, 1), "gmem");
	}
	fake_vfio_init(&fv);
	/* The lowest free fd before: vfio_pci's eventfds come after. */
	lowest = fcntl(0, F_DUPFD, 0);
	close(lowest);
	if (!create(&in, &vc, &dev, &vp))
		goto out;
	vpc_check(&w, "create");
	for (unsigned int n = 0; n < MAX_OPS && fz_left(&in); n++) {
		uint8_t op = fz_u8(&in);
		const char *what = "?";

		switch (op % 8) {
		case 0:
		case 1:
			op_cf8(&in);
			what = "a 0xCF8 access";
			break;
		case 2:
			op_ecam(&in);
			what = "an ECAM access";
			break;
		case 3:
		case 4:
			op_mmio(&in);
			what = "a trapped access";
			break;
		case 5:
			op_signal(&in);
			what = "an eventfd signal";
			break;
		case 6:
			op_fail(&in);
			what = "a failure to come";
			break;
		case 7:
			op_fail_map(&in);
			what = "a slot refused";
			break;
		}
		vpc_check(&w, what);
	}
	/* The VMM's order: the bus, then the function (vfio_pci.h). */
	fake_vfio_fail(&fv, FAKE_ANY, 0, 0, 0);
	w.host.destroying = true;
	w.host.fail_map = 0;
	pci_bus_destroy(w.bus);
	w.bus = NULL;
	vfio_pci_destroy(vp);
	FUZZ_CHECK(w.host.nr_slots == 0, "%u KVM slots left", w.host.nr_slots);
	for (unsigned int g = 0; g < VPC_MAX_VEC; g++)
		FUZZ_CHECK(!w.host.routed[g] && !w.host.assigned[g],
			   "GSI %u: route %d irqfd %d left", g,
			   w.host.routed[g], w.host.assigned[g]);
	FUZZ_CHECK(!w.fd->msix_enabled, "the kernel's MSI-X left on");
	FUZZ_CHECK(w.fd->irq_type == FAKE_IRQ_NONE && w.fd->intx_trigger < 0 &&
			   w.fd->intx_unmask < 0,
		   "the kernel's interrupts left on: type %d, INTx fds %d/%d",
		   w.fd->irq_type, w.fd->intx_trigger, w.fd->intx_unmask);
	/* Every eventfd went (the sanitizers may open other files). */
	for (int fd = lowest; fd < lowest + VPC_MAX_VEC + 4; fd++)
		FUZZ_CHECK(!is_eventfd(fd), "eventfd %d left open", fd);
out:
	vfio_device_close(dev);
	vfio_container_destroy(vc);
	FUZZ_CHECK(fake_vfio_open_fds(&fv) == 0, "%u fake fds left",
		   fake_vfio_open_fds(&fv));
	FUZZ_CHECK(fake_vfio_live_mmaps(&fv) == 0, "%u fake mmaps left",
		   fake_vfio_live_mmaps(&fv));
	fake_vfio_fini(&fv);
	return 0;
}
