// SPDX-License-Identifier: Apache-2.0
/*
 * tests/guest/iommu_dma/iommu_dma.c: virtio-blk and virtio-rng behind a
 * virtio-iommu, driven by a driver written from the spec alone (virtio 1.2
 * 2.7, 4.2, 5.2, 5.4, 5.13, 6.1). Issue 5's acceptance test.
 *
 * Order, and why: the iommu first (features, config, eventq buffers), a
 * PROBE of both endpoints (the MSI window must be reported), ATTACH of
 * both to one domain, MAP of every RAM range 1:1 and of the blk and rng
 * buffers a second time at bus addresses outside RAM. Only then are blk
 * and rng set up, with VIRTIO_F_ACCESS_PLATFORM: their rings are IOVAs
 * that the device resolves at DRIVER_OK, so the mappings they go through
 * (RAM 1:1) exist before that. Then the whole image is read into the high
 * IOVA and checked byte for byte, rng read likewise (its rings too sit
 * at a bus address outside RAM); the blk window is unmapped and a read
 * into it must come back unwritten with a fault event; it is mapped
 * again and read again, then mapped read-only, where a read (a device
 * write) must fault too; last, MAP/UNMAP round trips are timed.
 *
 * Command line: iommu_dma.seed=N iommu_dma.size=BYTES (the image, see
 * pattern.h) [iommu_dma.pairs=N]. Every step prints "iommu_dma: STEP ok"
 * or "iommu_dma: STEP FAILED", then "iommu_dma: done N ok M failed".
 */
#include "cmdline.h"
#include "iommu_dma.h"
#include "pvh.h"
#include "rt.h"

#define DEFAULT_PAIRS		2000
#define MAX_RESV		16
#define MAX_RAM			8
#define MSI_START		0xfee00000ULL	/* the x86 MSI window */
#define MSI_END			0xfeefffffULL

struct ram_range {
	uint64_t start;			/* first byte */
	uint64_t end;			/* last byte + 1 */
};

static struct dma_state st;
static const struct hvm_start_info *start_info;
static const char *cmdline;
static struct viommu_resv resv[MAX_RESV];
static unsigned int nr_resv;
static struct ram_range ram[MAX_RAM];
static unsigned int nr_ram;

void dma_say(const char *what)
{
	rt_puts(DMA_NAME ": ");
	rt_puts(what);
	rt_putc('\n');
}

void dma_say_hex(const char *what, uint64_t v)
{
	rt_puts(DMA_NAME ": ");
	rt_puts(what);
	rt_puts(" 0x");
	rt_put_hex(v, 0);
	rt_putc('\n');
}

void dma_say_dec(const char *what, uint64_t v)
{
	rt_puts(DMA_NAME ": ");
	rt_puts(what);
	rt_putc(' ');
	rt_put_dec(v);
	rt_putc('\n');
}

static int overlaps(uint64_t a0, uint64_t a1, uint64_t b0, uint64_t b1)
{
	return a0 <= b1 && b0 <= a1;	/* both inclusive */
}

/* Whether [iova, iova + size) is usable: in the input range and clear of
 * every reserved region found by PROBE. Prints why not. */
static int iova_usable(const struct dma_state *s, uint64_t iova,
		       uint64_t size)
{
	const struct viommu *v = &s->iommu;
	uint64_t last = iova + size - 1;

	if (iova < v->input_start || last > v->input_end || last < iova) {
		dma_say_hex("outside the input range:", iova);
		return 0;
	}
	for (unsigned int i = 0; i < nr_resv; i++)
		if (overlaps(iova, last, resv[i].start, resv[i].end)) {
			dma_say_hex("overlaps a reserved region:", iova);
			return 0;
		}
	return 1;
}

static int step_iommu(struct dma_state *s)
{
	struct viommu *v = &s->iommu;
	uint64_t granule;

	if (viommu_init(v, VIO_SLOT_BASE(SLOT_IOMMU), DMA_NAME ".viommu"))
		return -1;
	/* The least significant bit of page_size_mask is the granule. */
	granule = v->page_size_mask & -v->page_size_mask;
	if (granule > PAGE) {
		dma_say_hex("granule above 4 KiB:", granule);
		return -1;
	}
	if (DOMAIN < v->domain_start || DOMAIN > v->domain_end) {
		dma_say("domain 1 outside domain_range");
		return -1;
	}
	/* The contract: endpoints bypass until attached. */
	if (v->bypass != 1) {
		dma_say_dec("bypass at boot is", v->bypass);
		return -1;
	}
	return 0;
}

static void print_resv(uint32_t ep, const struct viommu_resv *r)
{
	rt_puts(DMA_NAME ": endpoint ");
	rt_put_dec(ep);
	rt_puts(r->subtype == VIOMMU_RESV_T_MSI ? " resv msi 0x" :
		r->subtype == VIOMMU_RESV_T_RESERVED ? " resv reserved 0x" :
						       " resv unknown 0x");
	rt_put_hex(r->start, 0);
	rt_puts("-0x");
	rt_put_hex(r->end, 0);
	rt_putc('\n');
}

static int step_probe(struct dma_state *s)
{
	static const uint32_t eps[] = { EP_BLK, EP_RNG };
	int bad = 0;

	for (unsigned int e = 0; e < 2; e++) {
		unsigned int msi = 0;
		int n = viommu_probe(&s->iommu, eps[e], resv + nr_resv,
				     MAX_RESV - nr_resv);

		if (n < 0)
			return -1;
		if ((unsigned int)n > MAX_RESV - nr_resv) {
			dma_say("too many reserved regions");
			return -1;
		}
		for (int i = 0; i < n; i++) {
			const struct viommu_resv *r = &resv[nr_resv + i];

			print_resv(eps[e], r);
			if (r->subtype == VIOMMU_RESV_T_MSI &&
			    r->start == MSI_START && r->end == MSI_END)
				msi++;
		}
		nr_resv += (unsigned int)n;
		/* 5.13.6.8.1.2: "The device SHOULD NOT present more than one
		 * VIRTIO_IOMMU_RESV_MEM_T_MSI property per endpoint." */
		if (msi != 1) {
			rt_puts(DMA_NAME ": endpoint ");
			rt_put_dec(eps[e]);
			rt_puts(" MSI window 0xfee00000-0xfeefffff reported ");
			rt_put_dec(msi);
			rt_puts(" times\n");
			bad = 1;
		}
	}
	return bad ? -1 : 0;
}

static int step_attach(struct dma_state *s)
{
	if (viommu_attach(&s->iommu, DOMAIN, EP_BLK) ||
	    viommu_attach(&s->iommu, DOMAIN, EP_RNG))
		return -1;
	return 0;
}

/* RAM from the PVH memory map, shrunk to whole pages. */
static int find_ram(void)
{
	const struct hvm_memmap_entry *e;
	uint32_t n;

	if (!start_info || start_info->magic != HVM_START_MAGIC ||
	    start_info->version < 1) {
		dma_say("no PVH start_info with a memory map");
		return -1;
	}
	e = pvh_memmap(start_info, &n);
	if (!e) {
		dma_say("bad memory map");
		return -1;
	}
	for (uint32_t i = 0; i < n; i++) {
		uint64_t a = (e[i].addr + PAGE - 1) & ~(PAGE - 1);
		uint64_t b = (e[i].addr + e[i].size) & ~(PAGE - 1);

		if (e[i].type != PVH_MEMMAP_RAM || b <= a)
			continue;
		if (nr_ram == MAX_RAM) {
			dma_say("too many RAM ranges");
			return -1;
		}
		ram[nr_ram].start = a;
		ram[nr_ram].end = b;
		nr_ram++;
	}
	return nr_ram ? 0 : -1;
}

/* Whether [iova, iova + size) is outside RAM, as the bus addresses must
 * be for the test to mean anything. */
static int outside_ram(uint64_t iova, uint64_t size)
{
	for (unsigned int i = 0; i < nr_ram; i++)
		if (overlaps(iova, iova + size - 1, ram[i].start,
			     ram[i].end - 1)) {
			dma_say_hex("bus address inside RAM:", iova);
			return 0;
		}
	return 1;
}

static int step_map(struct dma_state *s)
{
	const uint32_t rw = VIOMMU_MAP_F_READ | VIOMMU_MAP_F_WRITE;

	if (find_ram())
		return -1;
	for (unsigned int i = 0; i < nr_ram; i++) {
		uint64_t a = ram[i].start, len = ram[i].end - ram[i].start;

		rt_puts(DMA_NAME ": ram 0x");
		rt_put_hex(a, 0);
		rt_puts("-0x");
		rt_put_hex(ram[i].end - 1, 0);
		rt_puts(" mapped 1:1\n");
		if (!iova_usable(s, a, len) ||
		    viommu_map(&s->iommu, DOMAIN, a, a, len, rw))
			return -1;
	}
	if (!outside_ram(IOVA_BLK, DMA_CHUNK) ||
	    !iova_usable(s, IOVA_BLK, DMA_CHUNK) ||
	    !outside_ram(IOVA_RNG, PAGE) || !iova_usable(s, IOVA_RNG, PAGE) ||
	    !outside_ram(IOVA_TIME, PAGE) || !iova_usable(s, IOVA_TIME, PAGE) ||
	    !outside_ram(IOVA_RNG_RING, DMA_RING_SPAN) ||
	    !iova_usable(s, IOVA_RNG_RING, DMA_RING_SPAN))
		return -1;
	return dma_map_windows(s);
}

static int step_timing(struct dma_state *s)
{
	return dma_time_map_unmap(s);
}

struct step {
	const char *name;		  /* "iommu_dma: NAME ok" */
	int (*run)(struct dma_state *s); /* 0 or -1 */
	int needs;			  /* a step that must have passed */
};

/* In this order; see the top of the file for why. */
static const struct step steps[] = {
	{ "iommu", step_iommu, -1 },		  /* 0 */
	{ "probe", step_probe, 0 },		  /* 1 */
	{ "attach", step_attach, 0 },		  /* 2 */
	{ "map", step_map, 2 },			  /* 3 */
	{ "blk", dma_step_blk, 3 },		  /* 4 */
	{ "rng_init", dma_step_rng_init, 3 },	  /* 5 */
	{ "read", dma_step_read, 4 },		  /* 6 */
	{ "rng", dma_step_rng, 5 },		  /* 7 */
	{ "quiet", dma_step_quiet, 6 },		  /* 8 */
	{ "fault", dma_step_fault, 6 },		  /* 9 */
	{ "remap", dma_step_remap, 4 },		  /* 10 */
	{ "readonly", dma_step_readonly, 10 },	  /* 11 */
	{ "timing", step_timing, 2 },		  /* 12 */
};
#define NR_STEPS (sizeof(steps) / sizeof(steps[0]))

static void parse_cmdline(void)
{
	const char *v;

	v = cmdline_value(cmdline, DMA_NAME ".seed=", 0);
	st.seed = v ? cmdline_num(v, 0) : 0;
	v = cmdline_value(cmdline, DMA_NAME ".size=", 0);
	st.image_size = v ? cmdline_num(v, 0) : 0;
	v = cmdline_value(cmdline, DMA_NAME ".pairs=", 0);
	st.pairs = v ? cmdline_num(v, 0) : DEFAULT_PAIRS;
}

void guest_main(unsigned int proto, uint64_t info)
{
	int passed[NR_STEPS];
	unsigned int ok = 0, failed = 0;

	start_info = pvh_start_info(proto, info);
	cmdline = cmdline_get(proto, info);
	parse_cmdline();
	for (unsigned int i = 0; i < NR_STEPS; i++) {
		const struct step *s = &steps[i];

		rt_puts(DMA_NAME ": ");
		rt_puts(s->name);
		if (s->needs >= 0 && !passed[s->needs]) {
			rt_puts(" FAILED (needs ");
			rt_puts(steps[s->needs].name);
			rt_puts(")\n");
			passed[i] = 0;
			failed++;
			continue;
		}
		rt_puts(" ...\n");
		passed[i] = s->run(&st) == 0;
		rt_puts(DMA_NAME ": ");
		rt_puts(s->name);
		rt_puts(passed[i] ? " ok\n" : " FAILED\n");
		if (passed[i])
			ok++;
		else
			failed++;
	}
	rt_puts(DMA_NAME ": done ");
	rt_put_dec(ok);
	rt_puts(" ok ");
	rt_put_dec(failed);
	rt_puts(" failed\n");
	/* An iommu reset detaches every endpoint (5.13.5): devices first. */
	dma_reset_devices();
	if (st.iommu.dev.base)
		vio_reset(&st.iommu.dev);
}
