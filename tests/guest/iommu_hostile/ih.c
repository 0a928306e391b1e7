// SPDX-License-Identifier: Apache-2.0
/*
 * tests/guest/iommu_hostile/ih.c: the hostile virtio-iommu guest (issue
 * 5): a quiet polling driver, the check runner and guest_main(). short.c
 * sends buffers of the wrong shape, param.c wrong values, ring.c breaks
 * the request queue, dma.c makes the rng's DMA fault through the iommu,
 * flood.c maps until the per-domain limit.
 *
 * The command line picks what runs: "ih=checks" the request and ring
 * checks, "ih=dma" dma.c's, "ih=flood" the flood; none of them: all.
 */
#include "ih.h"

#include "cmdline.h"

struct vio_dev ih_dev;
struct vio_queue ih_rq;
struct vio_ring ih_rq_ring;
uint64_t ih_pa;

struct vio_queue ih_eq;
struct vio_ring ih_eq_ring;
uint8_t ih_events[IH_EQSIZE][VIOMMU_FAULT_LEN] __attribute__((aligned(8)));
static uint8_t target[PAGE] __attribute__((aligned(4096)));
static struct viommu_req_tail tail;
static uint8_t probe_buf[2048] __attribute__((aligned(8)));

int ih_up(uint64_t features, uint16_t qsize)
{
	return ih_up_eq(features, qsize, IH_EQSIZE);
}

int ih_up_eq(uint64_t features, uint16_t qsize, unsigned int nr_evt)
{
	struct vio_dev *d = &ih_dev;

	if (vio_negotiate_quiet(d, features, 0) ||
	    vio_queue_setup(d, &ih_rq, 0, qsize, &ih_rq_ring) ||
	    vio_queue_setup(d, &ih_eq, 1, IH_EQSIZE, &ih_eq_ring))
		return -1;
	vio_write32(d, VIO_R_STATUS, 0x0f);
	if (vio_status(d) != 0x0f)
		return -1;
	/* The eventq's buffers, posted ahead of any fault as Linux does. */
	for (unsigned int i = 0; i < nr_evt && i < IH_EQSIZE; i++) {
		const struct vio_buf b = { ih_events[i], VIOMMU_FAULT_LEN,
					   VIO_DESC_F_WRITE };

		vio_add(&ih_eq, (uint16_t)i, &b, 1);
	}
	vio_notify(d, &ih_eq);
	/* A check that breaks a queue wants to see its own configuration
	 * change interrupt, not one left from before. */
	vio_ack_irq(d);
	return 0;
}

int ih_reinit(uint64_t features, const char *what)
{
	if (ih_up(features, IH_QSIZE)) {
		fail(what);
		return -1;
	}
	return 0;
}

void ih_bypass_write(uint8_t v)
{
	*(volatile uint8_t *)(uintptr_t)(ih_dev.base + VIO_R_CONFIG +
					 VIOMMU_CFG_BYPASS) = v;
}

uint8_t ih_bypass_read(void)
{
	return (uint8_t)vio_config32(&ih_dev, VIOMMU_CFG_BYPASS);
}

int ih_event(uint8_t *ev, uint32_t *len, uint64_t tsc)
{
	uint32_t id;
	struct vio_buf b;

	if (vio_wait_tsc(&ih_eq, tsc, &id, len))
		return -1;
	if (id >= IH_EQSIZE) {
		fail_hex("eventq used id", id);
		return -1;
	}
	memcpy(ev, ih_events[id], VIOMMU_FAULT_LEN);
	/* The same buffer again, for the next report. */
	memset(ih_events[id], 0xa5, VIOMMU_FAULT_LEN);
	b = (struct vio_buf){ ih_events[id], VIOMMU_FAULT_LEN,
			      VIO_DESC_F_WRITE };
	vio_add(&ih_eq, (uint16_t)id, &b, 1);
	vio_notify(&ih_dev, &ih_eq);
	return 0;
}

int ih_chain(const struct vio_buf *b, unsigned int n, uint32_t *used)
{
	uint32_t id;

	vio_add(&ih_rq, 0, b, n);
	vio_notify(&ih_dev, &ih_rq);
	if (vio_wait(&ih_rq, &id, used)) {
		fail_hex("no answer, status", vio_status(&ih_dev));
		return -1;
	}
	vio_ack_irq(&ih_dev);
	if (id != 0) {
		fail_hex("used id", id);
		return -1;
	}
	return 0;
}

static const char *const status_names[] = {
	"status OK",	 "status IOERR", "status UNSUPP",
	"status DEVERR", "status INVAL", "status RANGE",
	"status NOENT",	 "status FAULT", "status NOMEM",
};

/* The tail said (st) where another status was wanted. */
static void fail_status(uint8_t st)
{
	if (st < sizeof(status_names) / sizeof(status_names[0]))
		fail(status_names[st]);
	else
		fail_hex("status", st);
}

static int request(const void *rd, uint32_t rdlen, uint8_t want,
		   const char *what)
{
	const struct vio_buf b[2] = {
		{ rd, rdlen, 0 },
		{ &tail, sizeof(tail), VIO_DESC_F_WRITE },
	};
	uint32_t used;

	tail = (struct viommu_req_tail){ S_NONE, { 0xff, 0xff, 0xff } };
	if (ih_chain(b, 2, &used))
		return -1;
	if (tail.status != want) {
		if (what)
			fail_hex(what, tail.status);
		else
			fail_status(tail.status);
		return -1;
	}
	if (used != sizeof(tail)) {
		fail_hex("used length", used);
		return -1;
	}
	if (tail.reserved[0] | tail.reserved[1] | tail.reserved[2]) {
		fail("tail reserved not zeroed");
		return -1;
	}
	return 0;
}

int expect(const void *rd, uint32_t rdlen, uint8_t want)
{
	return request(rd, rdlen, want, 0);
}

int must(const void *rd, uint32_t rdlen, uint8_t want, const char *what)
{
	return request(rd, rdlen, want, what);
}

struct viommu_req_attach attach_req(uint32_t domain, uint32_t endpoint)
{
	return (struct viommu_req_attach){
		.type = VIOMMU_T_ATTACH,
		.domain = domain,
		.endpoint = endpoint,
	};
}

struct viommu_req_attach detach_req(uint32_t domain, uint32_t endpoint)
{
	return (struct viommu_req_attach){
		.type = VIOMMU_T_DETACH,
		.domain = domain,
		.endpoint = endpoint,
	};
}

struct viommu_req_map map_req(uint32_t domain, uint64_t iova, uint64_t len,
			      uint64_t pa)
{
	return (struct viommu_req_map){
		.type = VIOMMU_T_MAP,
		.domain = domain,
		.virt_start = iova,
		.virt_end = iova + len - 1,
		.phys_start = pa,
		.flags = MAP_F_RW,
	};
}

struct viommu_req_unmap unmap_req(uint32_t domain, uint64_t iova, uint64_t len)
{
	return (struct viommu_req_unmap){
		.type = VIOMMU_T_UNMAP,
		.domain = domain,
		.virt_start = iova,
		.virt_end = iova + len - 1,
	};
}

struct viommu_req_probe probe_req(uint32_t endpoint)
{
	return (struct viommu_req_probe){ .type = VIOMMU_T_PROBE,
					  .endpoint = endpoint };
}

int fresh_domain(uint32_t domain)
{
	/* Through a parking domain: an ATTACH to the domain the endpoint is
	 * in already changes nothing (ignis keeps its mappings). */
	struct viommu_req_attach park = attach_req(PARK, EP);
	struct viommu_req_attach a = attach_req(domain, EP);

	if (must(&park, sizeof(park), VIOMMU_S_OK,
		 "attach to the parking domain"))
		return -1;
	return must(&a, sizeof(a), VIOMMU_S_OK,
		    "attach to a fresh domain, status");
}

uint8_t *probe_into(const struct viommu_req_probe *r, uint32_t rdlen,
		    const uint32_t *lens, unsigned int n, uint32_t *used)
{
	struct vio_buf b[8];
	uint32_t off = 0;

	if (n + 1 > sizeof(b) / sizeof(b[0]))
		return 0;
	b[0] = (struct vio_buf){ r, rdlen, 0 };
	for (unsigned int i = 0; i < n; i++) {
		if (lens[i] > sizeof(probe_buf) - off)
			return 0;
		b[i + 1] = (struct vio_buf){ probe_buf + off, lens[i],
					     VIO_DESC_F_WRITE };
		off += lens[i];
	}
	memset(probe_buf, 0xa5, sizeof(probe_buf));
	if (ih_chain(b, n + 1, used))
		return 0;
	return probe_buf;
}

const char *probe_list_bad(const uint8_t *p)
{
	static const struct {
		uint8_t subtype;
		uint64_t start, end;
	} want[] = {
		{ VIOMMU_RESV_T_RESERVED, HOLE_START, 0xfedfffffULL },
		{ VIOMMU_RESV_T_MSI, MSI_START, MSI_END },
		{ VIOMMU_RESV_T_RESERVED, 0xfef00000ULL, 0xffffffffULL },
	};
	const unsigned int n = sizeof(want) / sizeof(want[0]);

	/* Each a RESV_MEM of 20 bytes after its header (5.13.6.8.1). */
	for (unsigned int i = 0; i < n; i++, p += 24) {
		if (p[0] != VIOMMU_PROBE_T_RESV_MEM || p[1] != 0 ||
		    p[2] != VIOMMU_RESV_MEM_LEN || p[3] != 0)
			return "property header";
		if (p[4] != want[i].subtype || p[5] | p[6] | p[7] ||
		    get64(p + 8) != want[i].start ||
		    get64(p + 16) != want[i].end)
			return "RESV_MEM property";
	}
	/* "the remaining bytes of properties with zeroes" (5.13.6.7.2). */
	for (unsigned int i = n * 24; i < PROBE_SIZE; i++, p++) {
		if (*p)
			return "properties not zero after the list";
	}
	return 0;
}

void expect_probe_list(const uint8_t *p, uint32_t used, const char *what)
{
	const char *bad;

	if (used != PROBE_SIZE + sizeof(struct viommu_req_tail) ||
	    p[PROBE_SIZE] != VIOMMU_S_OK) {
		fail_hex(what, p[PROBE_SIZE]);
		return;
	}
	bad = probe_list_bad(p);
	if (bad)
		fail(bad);
}

/* The device still answers: a PROBE of endpoint 0, whole and right. */
static void good(void)
{
	const struct viommu_req_probe r = probe_req(EP);
	const uint32_t len = PROBE_SIZE + sizeof(struct viommu_req_tail);
	uint32_t used;
	uint8_t *p = probe_into(&r, sizeof(r), &len, 1, &used);

	if (p)
		expect_probe_list(p, used, "good PROBE after, status");
}

/* 2.1.2: DEVICE_NEEDS_RESET, and with DRIVER_OK set a configuration
 * change notification. */
static void expect_needs_reset(void)
{
	uint64_t t0 = rt_rdtsc();
	uint32_t st;

	while (!((st = vio_status(&ih_dev)) & VIO_S_NEEDS_RESET)) {
		if (rt_rdtsc() - t0 > VIO_POLL_TSC) {
			fail_hex("no DEVICE_NEEDS_RESET, status", st);
			return;
		}
		__asm__ volatile("pause");
	}
	if (st != (0x0f | VIO_S_NEEDS_RESET))
		fail_hex("status", st);
	st = vio_read32(&ih_dev, VIO_R_INT_STATUS);
	if (!(st & VIO_INT_CONFIG))
		fail_hex("no config interrupt, InterruptStatus", st);
}

/* What every check starts from: a live device, endpoint 0 unattached. */
static int baseline(void)
{
	if (ih_up(F_ALL, IH_QSIZE)) {
		fail_hex("re-init failed, status", vio_status(&ih_dev));
		return -1;
	}
	return 0;
}

void ih_run(const struct ih_check *c, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		uint32_t st;

		check_start();
		c[i].fn();
		if (c[i].breaks) {
			expect_needs_reset();
			/* A reset and 3.1.1 from the start bring it back. */
			if (!baseline())
				good();
		} else {
			st = vio_status(&ih_dev);
			if (st != 0x0f)
				fail_hex("device not live, status", st);
			else
				good();
			/* A check that lost the queue leaves a fresh one. */
			if (failed())
				baseline();
		}
		check_end("iommu_hostile", c[i].name);
	}
}

/* The configuration the checks rely on (vmm/builder.c create_iommu()). */
static int config_ok(void)
{
	const uint32_t mask_at = VIOMMU_CFG_PAGE_SIZE_MASK;
	uint64_t mask = vio_config32(&ih_dev, mask_at) |
			(uint64_t)vio_config32(&ih_dev, mask_at + 4) << 32;

	return mask == ~0xfffULL &&
	       vio_config32(&ih_dev, VIOMMU_CFG_DOMAIN_START) == 0 &&
	       vio_config32(&ih_dev, VIOMMU_CFG_DOMAIN_END) == 0xffffffffu &&
	       vio_config32(&ih_dev, VIOMMU_CFG_PROBE_SIZE) == PROBE_SIZE;
}

void guest_main(unsigned int proto, uint64_t info)
{
	const char *cmdline = cmdline_get(proto, info);
	int all = !cmdline_has(cmdline, "ih=checks") &&
		  !cmdline_has(cmdline, "ih=dma") &&
		  !cmdline_has(cmdline, "ih=flood");

	rt_puts("iommu_hostile: start\n");
	ih_pa = (uintptr_t)target;
	if (vio_probe(&ih_dev, VIO_SLOT_BASE(IH_SLOT), VIOMMU_DEVICE_ID,
		      "iommu_hostile") ||
	    ih_up(F_ALL, IH_QSIZE) || !config_ok()) {
		rt_puts("iommu_hostile: setup FAILED\n");
		return;
	}
	if (all || cmdline_has(cmdline, "ih=checks")) {
		short_checks();
		param_checks();
		feature_checks();
		ring_checks();
	}
	if (all || cmdline_has(cmdline, "ih=dma")) {
		dma_checks();
		evt_checks();
	}
	if (all || cmdline_has(cmdline, "ih=flood"))
		flood_checks();
	check_summary("iommu_hostile");
	vio_reset(&ih_dev);
}
