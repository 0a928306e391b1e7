// SPDX-License-Identifier: Apache-2.0
/*
 * tests/guest/vfio_flood/vfio_flood.c: MAP requests past the host's VFIO
 * mapping limit, for a passed-through PCI function behind ignis's
 * virtio-iommu (issue 8: "a guest that floods MAP requests past the limit
 * gets NOMEM"). Run by the nested system case vfio_map_limit.
 *
 * VFIO's type1 IOMMU allows dma_entry_limit (65535 by default) mappings
 * per container; past it VFIO_IOMMU_MAP_DMA fails with ENOSPC, which the
 * iommu must answer as VIRTIO_IOMMU_S_NOMEM, roll back, and keep
 * working. So: the virtio-iommu (slot 0 with only --iommu --vfio, else
 * the first slot that has one) set up (features, configuration, both
 * queues), a PROBE of the endpoint (its reserved regions must leave the
 * flooded IOVAs alone), ATTACH of the endpoint to a domain, then 4 KiB
 * MAPs at successive IOVAs, all to one page of RAM, read and write,
 * until one is answered other than OK. The request queue is kept full
 * (two descriptors per request, QSIZE / 2 in flight, each answer
 * refilled at once) and the device is kicked only when it asks (used
 * flags without NO_NOTIFY), so the flood costs few exits. Then one UNMAP
 * of the whole range (OK), one MAP again (OK), and a reset of the iommu.
 *
 * Command line (all optional): vfio_flood.ep=N (endpoint, 0x10008: PCI
 * slot 1, PCIDEVS_ENDPOINT), vfio_flood.domain=N (1), vfio_flood.iova=A
 * (first IOVA, 4 GiB), vfio_flood.max=N (most MAPs sent, 131072).
 *
 * Lines (the case reads them; the host stamps each as it comes):
 *   vfio_flood: flood go
 *   vfio_flood: maps_ok=N first_fail_status=S   (S a status, or none)
 *   vfio_flood: answered=N failed=N ok_after_fail=N kicks=N
 *   vfio_flood: unmap_all status=S
 *   vfio_flood: remap status=S
 *   vfio_flood: done                 (or vfio_flood: FAILED <why>)
 */
#include "cmdline.h"
#include "rt.h"
#include "vio.h"
#include "viommu_wire.h"

#define NAME		"vfio_flood"
#define PAGE		4096ULL
#define QSIZE		256		/* requestq: the device's maximum */
#define INFLIGHT	(QSIZE / 2)	/* two descriptors per request */
#define EVT_QSIZE	8
#define NR_EVENTS	4		/* buffers kept on the eventq */
#define EVENT_LEN	64
#define PROBE_MAX	4096		/* largest probe_size taken */
#define MAX_SLOTS	8		/* virtio-mmio slots searched */

#define DEFAULT_EP	0x10008u	/* PCI slot 1: 0x10000 + (1 << 3) */
#define DEFAULT_DOMAIN	1u
#define DEFAULT_IOVA	0x100000000ULL	/* above the 4 GiB hole */
#define DEFAULT_MAX	131072u		/* twice type1's default limit */

#define S_NONE		0xff		/* a tail before the answer */
#define USED_F_NO_NOTIFY 1		/* 2.7.10 */
#define CFG_RETRIES	16
/* No answer for this long (~30 s at 3 GHz) is a hang: the whole-range
 * UNMAP is 65535 VFIO unmaps in the nested stack. */
#define WAIT_TSC	(15 * VIO_POLL_TSC)

struct resv {
	uint64_t start, end;	/* inclusive */
	uint8_t subtype;
};

static struct vio_dev dev;
static struct vio_queue rq, eq;
static struct vio_ring rq_ring, eq_ring;

/* The flood's requests: slot i is descriptors 2i (request) and 2i + 1
 * (its tail). */
static struct viommu_req_map reqs[INFLIGHT] __attribute__((aligned(64)));
static struct viommu_req_tail tails[INFLIGHT] __attribute__((aligned(64)));

/* One request at a time, before and after the flood. */
static union {
	struct viommu_req_attach attach;
	struct viommu_req_map map;
	struct viommu_req_unmap unmap;
	struct viommu_req_probe probe;
} one __attribute__((aligned(64)));
static struct viommu_req_tail one_tail __attribute__((aligned(64)));
static uint8_t probe_out[PROBE_MAX + sizeof(struct viommu_req_tail)]
	__attribute__((aligned(64)));
static uint8_t events[NR_EVENTS][EVENT_LEN] __attribute__((aligned(64)));

/* What every MAP points at. */
static uint8_t target[PAGE] __attribute__((aligned(4096)));

static uint64_t kicks;
static uint64_t page_size_mask, input_start, input_end;
static uint32_t domain_start, domain_end, probe_size;

static void say(const char *what)
{
	rt_puts(NAME ": ");
	rt_puts(what);
	rt_putc('\n');
}

static void say_hex(const char *what, uint64_t v)
{
	rt_puts(NAME ": ");
	rt_puts(what);
	rt_puts(" 0x");
	rt_put_hex(v, 0);
	rt_putc('\n');
}

static void say_dec(const char *what, uint64_t v)
{
	rt_puts(NAME ": ");
	rt_puts(what);
	rt_putc(' ');
	rt_put_dec(v);
	rt_putc('\n');
}

static void fail(const char *why)
{
	rt_puts(NAME ": FAILED ");
	rt_puts(why);
	rt_putc('\n');
}

/* 64-bit configuration field at (off), under the generation counter
 * (2.5.1). */
static uint64_t config64(uint32_t off)
{
	uint32_t gen, lo = 0, hi = 0;

	for (unsigned int i = 0; i < CFG_RETRIES; i++) {
		gen = vio_read32(&dev, VIO_R_CONFIG_GEN);
		lo = vio_config32(&dev, off);
		hi = vio_config32(&dev, off + 4);
		if (vio_read32(&dev, VIO_R_CONFIG_GEN) == gen)
			break;
	}
	return lo | (uint64_t)hi << 32;
}

/* A notification for what was just published, unless the device said
 * it needs none (2.7.10, no EVENT_IDX). vio_add() ends with an mfence
 * after the avail idx store, which pairs with the device's barrier
 * between clearing the flag and its last look at avail idx. */
static void kick(struct vio_queue *q)
{
	if (*(volatile uint16_t *)&q->r->used.flags & USED_F_NO_NOTIFY)
		return;
	vio_notify(&dev, q);
	kicks++;
}

static int setup(void)
{
	const uint64_t want = VIOMMU_F_MAP_UNMAP | VIOMMU_F_PROBE |
			      VIOMMU_F_BYPASS_CONFIG | VIOMMU_F_INPUT_RANGE |
			      VIOMMU_F_DOMAIN_RANGE;
	unsigned int slot = 0;
	uint64_t f;

	/* The iommu is slot 0 with only --iommu --vfio; else the first
	 * slot that holds one (the other devices come before it). */
	while (slot < MAX_SLOTS - 1 &&
	       !vio_is_device(VIO_SLOT_BASE(slot), VIOMMU_DEVICE_ID))
		slot++;
	if (vio_probe(&dev, VIO_SLOT_BASE(slot), VIOMMU_DEVICE_ID,
		      NAME ".viommu") ||
	    vio_negotiate(&dev, want))
		return -1;
	f = dev.features;
	if (!(f & VIOMMU_F_MAP_UNMAP)) {
		vio_fail(&dev, "MAP_UNMAP not offered");
		return -1;
	}
	page_size_mask = config64(VIOMMU_CFG_PAGE_SIZE_MASK);
	input_start = 0;
	input_end = ~0ULL;
	if (f & VIOMMU_F_INPUT_RANGE) {
		input_start = config64(VIOMMU_CFG_INPUT_START);
		input_end = config64(VIOMMU_CFG_INPUT_END);
	}
	domain_start = 0;
	domain_end = ~0u;
	if (f & VIOMMU_F_DOMAIN_RANGE) {
		domain_start = vio_config32(&dev, VIOMMU_CFG_DOMAIN_START);
		domain_end = vio_config32(&dev, VIOMMU_CFG_DOMAIN_END);
	}
	probe_size = f & VIOMMU_F_PROBE ?
			     vio_config32(&dev, VIOMMU_CFG_PROBE_SIZE) : 0;
	say_hex("page_size_mask", page_size_mask);
	say_hex("input_end", input_end);
	/* The lowest bit is the granule: 4 KiB pages need it <= 4 KiB. */
	if (!page_size_mask || (page_size_mask & -page_size_mask) > PAGE) {
		vio_fail(&dev, "no 4 KiB granule");
		return -1;
	}
	if (probe_size > PROBE_MAX) {
		vio_fail(&dev, "probe_size too large");
		return -1;
	}
	if (vio_queue_setup(&dev, &rq, 0, QSIZE, &rq_ring) ||
	    vio_queue_setup(&dev, &eq, 1, EVT_QSIZE,
			    &eq_ring) ||
	    vio_driver_ok(&dev))
		return -1;
	/* 5.13.6.9: the driver populates the eventq; nothing reads it
	 * here, a fault report would only be counted. */
	for (uint16_t i = 0; i < NR_EVENTS; i++) {
		const struct vio_buf b = { events[i], EVENT_LEN,
					   VIO_DESC_F_WRITE };

		vio_add(&eq, i, &b, 1);
	}
	kick(&eq);
	return 0;
}

/*
 * One request on its own: (rd_len) readable bytes at (rd), then (wr_len)
 * writable bytes at (wr) whose last 4 are the tail. The tail's status,
 * or -1 when no answer came within (tsc) ticks or it came unwritten
 * (5.13.6.2: used length 0 is a failure).
 */
static int send1(const void *rd, uint32_t rd_len, void *wr, uint32_t wr_len,
		 uint64_t tsc)
{
	const struct vio_buf b[2] = {
		{ rd, rd_len, 0 },
		{ wr, wr_len, VIO_DESC_F_WRITE },
	};
	struct viommu_req_tail *tail =
		(struct viommu_req_tail *)((uint8_t *)wr + wr_len - 4);
	uint32_t id, len;

	tail->status = S_NONE;
	vio_add(&rq, 0, b, 2);
	kick(&rq);
	if (vio_wait_tsc(&rq, tsc, &id, &len)) {
		say("no answer");
		return -1;
	}
	vio_ack_irq(&dev);
	if (id != 0 || !len) {
		say_dec("answer unwritten or misplaced, used len", len);
		return -1;
	}
	return *(volatile uint8_t *)&tail->status;
}

static int send_map(uint32_t domain, uint64_t iova, uint64_t gpa)
{
	memset(&one.map, 0, sizeof(one.map));
	one.map.type = VIOMMU_T_MAP;
	one.map.domain = domain;
	one.map.virt_start = iova;
	one.map.virt_end = iova + PAGE - 1;
	one.map.phys_start = gpa;
	one.map.flags = VIOMMU_MAP_F_READ | VIOMMU_MAP_F_WRITE;
	return send1(&one.map, sizeof(one.map), &one_tail, sizeof(one_tail),
		     VIO_POLL_TSC);
}

/*
 * PROBE (ep): prints its RESV_MEM regions; 0 when none of them touches
 * [first, last], else -1. Nothing to do without PROBE.
 */
static int probe_clear(uint32_t ep, uint64_t first, uint64_t last)
{
	uint32_t off = 0;
	int st, hit = 0;

	if (!(dev.features & VIOMMU_F_PROBE))
		return 0;
	memset(&one.probe, 0, sizeof(one.probe));
	one.probe.type = VIOMMU_T_PROBE;
	one.probe.endpoint = ep;
	memset(probe_out, 0, sizeof(probe_out));
	st = send1(&one.probe, sizeof(one.probe), probe_out, probe_size + 4,
		   VIO_POLL_TSC);
	if (st != VIOMMU_S_OK) {
		say_dec("probe status", st < 0 ? 255 : (uint64_t)st);
		return -1;
	}
	/* 5.13.6.8: properties until type 0 or the end, each (length + 4)
	 * bytes. */
	while (off + 4 <= probe_size) {
		uint16_t type = rt_le16(probe_out + off) & 0xfff;
		uint16_t len = rt_le16(probe_out + off + 2);
		const uint8_t *val = probe_out + off + 4;

		if (type == VIOMMU_PROBE_T_NONE)
			break;
		if (len > probe_size - off - 4)
			break;
		if (type == VIOMMU_PROBE_T_RESV_MEM &&
		    len >= VIOMMU_RESV_MEM_LEN) {
			struct resv r = { rt_le64(val + 4), rt_le64(val + 12),
					  val[0] };

			rt_puts(NAME ": resv 0x");
			rt_put_hex(r.start, 0);
			rt_puts("-0x");
			rt_put_hex(r.end, 0);
			rt_puts(r.subtype == VIOMMU_RESV_T_MSI ? " msi\n" :
								 " reserved\n");
			if (r.start <= last && first <= r.end)
				hit = 1;
		}
		off += 4u + len;
	}
	if (hit) {
		fail("the flooded IOVAs overlap a reserved region");
		return -1;
	}
	return 0;
}

static int attach(uint32_t domain, uint32_t ep)
{
	int st;

	memset(&one.attach, 0, sizeof(one.attach));
	one.attach.type = VIOMMU_T_ATTACH;
	one.attach.domain = domain;
	one.attach.endpoint = ep;
	st = send1(&one.attach, sizeof(one.attach), &one_tail,
		   sizeof(one_tail), VIO_POLL_TSC);
	if (st != VIOMMU_S_OK) {
		say_dec("attach status", st < 0 ? 255 : (uint64_t)st);
		return -1;
	}
	say_hex("attached endpoint", ep);
	return 0;
}

/* Results of the flood. */
struct flood {
	uint64_t issued;	/* MAPs sent: IOVAs base .. base + issued pages */
	uint64_t ok;		/* answered OK */
	uint64_t answered;	/* answered at all */
	uint64_t failed;	/* answered other than OK */
	uint64_t ok_after_fail;	/* OK after the first failure: none expected */
	int first_fail;		/* the first failure's status, -1: none */
};

/* Slot (slot) becomes the MAP of page (k) of the flood. */
static void issue(uint16_t slot, uint32_t domain, uint64_t iova)
{
	const struct vio_buf b[2] = {
		{ &reqs[slot], sizeof(reqs[slot]), 0 },
		{ &tails[slot], sizeof(tails[slot]), VIO_DESC_F_WRITE },
	};

	reqs[slot] = (struct viommu_req_map){
		.type = VIOMMU_T_MAP,
		.domain = domain,
		.virt_start = iova,
		.virt_end = iova + PAGE - 1,
		.phys_start = (uint64_t)(uintptr_t)target,
		.flags = VIOMMU_MAP_F_READ | VIOMMU_MAP_F_WRITE,
	};
	tails[slot].status = S_NONE;
	vio_add(&rq, (uint16_t)(2 * slot), b, 2);
}

/*
 * MAPs of pages (base), (base) + 4 KiB, ... in (domain), at most (max),
 * the queue kept full, until one is answered other than OK; then waits
 * for every MAP in flight. 0, or -1 after printing why (no answer, a bad
 * used entry).
 */
static int flood_run(uint32_t domain, uint64_t base, uint64_t max,
		     struct flood *fl)
{
	uint64_t inflight = 0, t_last;
	volatile uint16_t *idx = &rq_ring.used.idx;

	*fl = (struct flood){ .first_fail = -1 };
	for (uint16_t s = 0; s < INFLIGHT && fl->issued < max; s++) {
		issue(s, domain, base + fl->issued * PAGE);
		fl->issued++;
		inflight++;
	}
	kick(&rq);
	t_last = rt_rdtsc();
	while (inflight) {
		int refilled = 0;

		if (*idx == rq.used_seen) {
			if (rt_rdtsc() - t_last > WAIT_TSC) {
				say_dec("flood stalled, answers", fl->answered);
				return -1;
			}
			__asm__ volatile("pause" ::: "memory");
			continue;
		}
		/* Used entries and tails only after the index. */
		__asm__ volatile("lfence" ::: "memory");
		while (*idx != rq.used_seen) {
			uint16_t at = rq.used_seen % QSIZE;
			uint32_t id = rq_ring.used.ring[at].id;
			uint32_t len = rq_ring.used.ring[at].len;
			uint16_t slot = (uint16_t)(id / 2);
			uint8_t st;

			rq.used_seen++;
			inflight--;
			if ((id & 1) || slot >= INFLIGHT ||
			    len != sizeof(struct viommu_req_tail)) {
				say_dec("bad used entry, id", id);
				say_dec("bad used entry, len", len);
				return -1;
			}
			st = *(volatile uint8_t *)&tails[slot].status;
			fl->answered++;
			if (st == VIOMMU_S_OK) {
				fl->ok++;
				if (fl->first_fail >= 0)
					fl->ok_after_fail++;
			} else {
				fl->failed++;
				if (fl->first_fail < 0)
					fl->first_fail = st;
			}
			if (fl->first_fail < 0 && fl->issued < max) {
				issue(slot, domain,
				      base + fl->issued * PAGE);
				fl->issued++;
				inflight++;
				refilled = 1;
			}
		}
		if (refilled)
			kick(&rq);
		t_last = rt_rdtsc();
	}
	vio_ack_irq(&dev);
	return 0;
}

static void say_status(const char *what, int st)
{
	rt_puts(NAME ": ");
	rt_puts(what);
	rt_puts(" status=");
	if (st < 0)
		rt_puts("none");
	else
		rt_put_dec((uint64_t)st);
	rt_putc('\n');
}

static uint64_t arg(const char *cmdline, const char *key, uint64_t dflt)
{
	const char *v = cmdline_value(cmdline, key, 0);

	return v ? cmdline_num(v, 0) : dflt;
}

void guest_main(unsigned int proto, uint64_t info)
{
	const char *cmdline = cmdline_get(proto, info);
	uint32_t ep = (uint32_t)arg(cmdline, NAME ".ep=", DEFAULT_EP);
	uint32_t domain = (uint32_t)arg(cmdline, NAME ".domain=",
					DEFAULT_DOMAIN);
	uint64_t base = arg(cmdline, NAME ".iova=", DEFAULT_IOVA);
	uint64_t max = arg(cmdline, NAME ".max=", DEFAULT_MAX);
	uint64_t last;
	struct flood fl;
	int st;

	if (!max || max > (1ULL << 24) || (base & (PAGE - 1))) {
		fail("bad vfio_flood.max or vfio_flood.iova");
		return;
	}
	last = base + max * PAGE - 1;
	if (setup())
		return;
	if (domain < domain_start || domain > domain_end ||
	    base < input_start || last > input_end) {
		fail("domain or IOVAs outside the device's ranges");
		goto out;
	}
	if (probe_clear(ep, base, last) || attach(domain, ep))
		goto out;
	rt_puts(NAME ": flood go: up to ");
	rt_put_dec(max);
	rt_puts(" MAPs from 0x");
	rt_put_hex(base, 0);
	rt_puts(", endpoint 0x");
	rt_put_hex(ep, 0);
	rt_putc('\n');
	kicks = 0;
	if (flood_run(domain, base, max, &fl)) {
		fail("flood");
		goto out;
	}
	rt_puts(NAME ": maps_ok=");
	rt_put_dec(fl.ok);
	rt_puts(" first_fail_status=");
	if (fl.first_fail < 0)
		rt_puts("none");
	else
		rt_put_dec((uint64_t)fl.first_fail);
	rt_putc('\n');
	rt_puts(NAME ": answered=");
	rt_put_dec(fl.answered);
	rt_puts(" failed=");
	rt_put_dec(fl.failed);
	rt_puts(" ok_after_fail=");
	rt_put_dec(fl.ok_after_fail);
	rt_puts(" kicks=");
	rt_put_dec(kicks);
	rt_putc('\n');

	/* Everything the flood sent, in one UNMAP: OK, mapped or not. */
	memset(&one.unmap, 0, sizeof(one.unmap));
	one.unmap.type = VIOMMU_T_UNMAP;
	one.unmap.domain = domain;
	one.unmap.virt_start = base;
	one.unmap.virt_end = base + fl.issued * PAGE - 1;
	st = send1(&one.unmap, sizeof(one.unmap), &one_tail, sizeof(one_tail),
		   WAIT_TSC);
	say_status("unmap_all", st);
	if (st != VIOMMU_S_OK) {
		fail("unmap of the whole range");
		goto out;
	}
	/* Room again: one MAP works. */
	st = send_map(domain, base, (uint64_t)(uintptr_t)target);
	say_status("remap", st);
	if (st != VIOMMU_S_OK) {
		fail("map after the unmap");
		goto out;
	}
	say("done");
out:
	/* Every endpoint detached, its mappings gone (5.13.5). */
	vio_reset(&dev);
}
