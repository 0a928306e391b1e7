// SPDX-License-Identifier: Apache-2.0
/*
 * tests/guest/iommu_hostile/dma.c: the rng (endpoint 0) writes through
 * the iommu where the guest says it may not: no mapping, a read-only
 * one, one just unmapped, one onto device registers, the MSI window or
 * past RAM, an unattached endpoint with bypass off. Each such DMA must
 * write nothing (the rng answers used length 0: devices/virtio/rng.c)
 * and leave a fault report on the eventq (5.13.6.9) saying what and
 * where. evt.c then abuses the eventq those reports go to.
 *
 * The rng sets up its queue while endpoint 0 bypasses (unattached,
 * bypass 1), so its rings resolve 1:1 at DRIVER_OK and stay so
 * (devices/virtio/queue.h vq_init_dma()); its buffers are translated at
 * each request, through whatever the iommu says then.
 */
#include "dma.h"

struct vio_dev rng = { .base = VIO_SLOT_BASE(0), .name = "iommu_hostile-rng" };
struct vio_queue rng_q;
static struct vio_ring rng_ring;
uint8_t buf[2 * PAGE] __attribute__((aligned(4096)));
uint8_t buf2[PAGE] __attribute__((aligned(4096)));

/* The rng through 3.1.1 with (features); 0, or -1 after fail(). */
static int rng_up(uint64_t features)
{
	uint32_t st;

	if (vio_negotiate_quiet(&rng, features, &st)) {
		fail_hex("rng FEATURES_OK refused, status", st);
		return -1;
	}
	if (vio_queue_setup(&rng, &rng_q, 0, RNG_QSIZE, &rng_ring)) {
		fail("rng queue setup");
		return -1;
	}
	vio_write32(&rng, VIO_R_STATUS, 0x0f);
	st = vio_status(&rng);
	if (st != 0x0f) {
		fail_hex("rng DRIVER_OK, status", st);
		return -1;
	}
	return 0;
}

/* One rng request: (len) writable bytes at bus address (addr). 0 with
 * the used length in (*used), or -1 after fail(). */
int rng_read(uint64_t addr, uint32_t len, uint32_t *used)
{
	const struct vio_buf b = { (const void *)(uintptr_t)addr, len,
				   VIO_DESC_F_WRITE };
	uint32_t id;

	vio_add(&rng_q, 0, &b, 1);
	vio_notify(&rng, &rng_q);
	if (vio_wait(&rng_q, &id, used)) {
		fail_hex("rng no answer, status", vio_status(&rng));
		return -1;
	}
	vio_ack_irq(&rng);
	if (id != 0) {
		fail_hex("rng used id", id);
		return -1;
	}
	return 0;
}

/*
 * What every check starts from: a fresh iommu with endpoint 0 unattached
 * and bypassing, the rng up with ACCESS_PLATFORM, then endpoint 0 in
 * DOM, empty, and (buf, buf2) cleared. 0 or -1 after fail().
 */
int start(unsigned int nr_evt)
{
	return start_with(F_ALL, nr_evt);
}

int start_with(uint64_t features, unsigned int nr_evt)
{
	struct viommu_req_attach a = attach_req(DOM, EP);

	if (ih_up_eq(features, IH_QSIZE, nr_evt)) {
		fail("iommu re-init");
		return -1;
	}
	if (ih_bypass_read() != 1) {
		fail("bypass is not 1");
		return -1;
	}
	if (rng_up(F_ACCESS_PLATFORM) ||
	    must(&a, sizeof(a), VIOMMU_S_OK, "ATTACH, status"))
		return -1;
	memset(buf, 0, sizeof(buf));
	memset(buf2, 0, sizeof(buf2));
	return 0;
}

int start_mapped(const struct viommu_req_map *m)
{
	if (start(IH_EQSIZE))
		return -1;
	return must(m, sizeof(*m), VIOMMU_S_OK, "MAP, status");
}

/* The next report must be (reason) for a write at (addr) by endpoint 0,
 * in a whole 24-byte report with its reserved fields zero. */
void expect_fault(uint8_t reason, uint64_t addr)
{
	uint8_t ev[VIOMMU_FAULT_LEN];
	uint32_t len;

	if (ih_event(ev, &len, EVT_TSC)) {
		fail("no fault report");
		return;
	}
	if (len != VIOMMU_FAULT_LEN)
		fail_hex("report used length", len);
	else if (ev[0] != reason)
		fail_hex("report reason", ev[0]);
	else if (get32(ev + 4) !=
		 (VIOMMU_FAULT_F_WRITE | VIOMMU_FAULT_F_ADDRESS))
		fail_hex("report flags", get32(ev + 4));
	else if (get32(ev + 8) != EP)
		fail_hex("report endpoint", get32(ev + 8));
	else if (get64(ev + 16) != addr)
		fail_hex("report address", get64(ev + 16));
	else if (ev[1] | ev[2] | ev[3] | get32(ev + 12))
		fail("report reserved fields not zero");
}

/* No further report comes. */
void expect_no_fault(void)
{
	uint8_t ev[VIOMMU_FAULT_LEN];
	uint32_t len;

	if (!ih_event(ev, &len, QUIET_TSC))
		fail_hex("unexpected report, address", get64(ev + 16));
}

/* The rng still works, 1:1 after a DETACH (bypass 1). */
void rng_still_works(void)
{
	struct viommu_req_attach d = detach_req(DOM, EP);
	uint32_t used;

	if (failed() || must(&d, sizeof(d), VIOMMU_S_OK, "DETACH, status"))
		return;
	memset(buf2, 0, sizeof(buf2));
	if (rng_read((uintptr_t)buf2, 64, &used))
		return;
	if (used != 64 || all_are(buf2, 64, 0))
		fail_hex("rng in bypass after, used", used);
	else if (vio_status(&rng) != 0x0f)
		fail_hex("rng status", vio_status(&rng));
}

void rng_still_works_reattached(void)
{
	if (!failed() && !fresh_domain(DOM))
		rng_still_works();
}

/* A DMA that must not happen: used 0, nothing written, one report of
 * (reason) at (at). */
void denied_at(uint64_t addr, uint32_t len, uint8_t reason, uint64_t at)
{
	uint32_t used = 1;

	if (rng_read(addr, len, &used))
		return;
	if (used != 0)
		fail_hex("rng used length", used);
	else if (!all_are(buf, sizeof(buf), 0) || !all_are(buf2, PAGE, 0))
		fail("RAM written");
	expect_fault(reason, at);
}

void denied(uint64_t addr, uint32_t len, uint8_t reason)
{
	denied_at(addr, len, reason, addr);
}

/* 6.1: a device behind an iommu needs ACCESS_PLATFORM; without it ignis
 * refuses FEATURES_OK (devices/virtio/device.h). */
static void dma_needs_access_platform(void)
{
	uint32_t st;

	if (ih_reinit(F_ALL, "iommu re-init"))
		return;
	vio_negotiate_quiet(&rng, 0, &st);
	if (st & VIO_S_FEATURES_OK) {
		fail_hex("FEATURES_OK without ACCESS_PLATFORM, status", st);
		return;
	}
	if (rng_up(F_ACCESS_PLATFORM) || fresh_domain(DOM))
		return;
	rng_still_works();
}

/* The good path first: a page mapped read-write is written. */
static void dma_mapped(void)
{
	struct viommu_req_map m =
		map_req(DOM, HIGH_IOVA, PAGE, (uintptr_t)buf2);
	uint32_t used;

	if (start_mapped(&m) || rng_read(HIGH_IOVA + 8, 64, &used))
		return;
	if (used != 64 || all_are(buf2 + 8, 64, 0) || !all_are(buf2, 8, 0) ||
	    !all_are(buf2 + 72, PAGE - 72, 0))
		fail_hex("want 64 bytes at 8; used", used);
	expect_no_fault();
	rng_still_works();
}

static void dma_unmapped(void)
{
	if (start(IH_EQSIZE))
		return;
	denied(HIGH_IOVA, 64, VIOMMU_FAULT_R_MAPPING);
	rng_still_works();
}

/* 5.13.6.5.2: "The device MUST NOT allow writes to a range mapped
 * without the VIRTIO_IOMMU_MAP_F_WRITE flag." */
static void dma_read_only(void)
{
	struct viommu_req_map m = map_req(DOM, HIGH_IOVA, PAGE, (uintptr_t)buf);

	m.flags = VIOMMU_MAP_F_READ;
	if (start_mapped(&m))
		return;
	denied(HIGH_IOVA, 64, VIOMMU_FAULT_R_MAPPING);
	rng_still_works();
}

/* A mapping with no permission at all. */
static void dma_no_permission(void)
{
	struct viommu_req_map m = map_req(DOM, HIGH_IOVA, PAGE, (uintptr_t)buf);

	m.flags = 0;
	if (start_mapped(&m))
		return;
	denied(HIGH_IOVA + 0x100, 64, VIOMMU_FAULT_R_MAPPING);
	rng_still_works();
}

/* Written once through a mapping, then UNMAPped: the next write there
 * faults (the device's translation cache forgot it). */
static void dma_after_unmap(void)
{
	struct viommu_req_map m = map_req(DOM, HIGH_IOVA, PAGE, (uintptr_t)buf);
	struct viommu_req_unmap u = unmap_req(DOM, HIGH_IOVA, PAGE);
	uint32_t used;

	if (start_mapped(&m) || rng_read(HIGH_IOVA, 64, &used))
		return;
	if (used != 64 || all_are(buf, 64, 0)) {
		fail_hex("mapped write, used", used);
		return;
	}
	if (must(&u, sizeof(u), VIOMMU_S_OK, "UNMAP, status"))
		return;
	memset(buf, 0, sizeof(buf));
	denied(HIGH_IOVA, 64, VIOMMU_FAULT_R_MAPPING);
	rng_still_works();
}

/* One buffer over a mapped page and an unmapped one: nothing written,
 * not even the mapped half; the report names the first byte missing. */
static void dma_half_mapped(void)
{
	struct viommu_req_map m = map_req(DOM, HIGH_IOVA, PAGE, (uintptr_t)buf);

	if (start_mapped(&m))
		return;
	/* The report names the first byte that does not translate. */
	denied_at(HIGH_IOVA + PAGE - 32, 64, VIOMMU_FAULT_R_MAPPING,
		  HIGH_IOVA + PAGE);
	rng_still_works();
}

/* Two IOVA-adjacent pages on RAM pages apart: one buffer over both is
 * written in two pieces, each where its mapping says. */
static void dma_split(void)
{
	struct viommu_req_map a =
		map_req(DOM, HIGH_IOVA, PAGE, (uintptr_t)buf2);
	struct viommu_req_map b =
		map_req(DOM, HIGH_IOVA + PAGE, PAGE, (uintptr_t)buf);
	uint32_t used;

	if (start(IH_EQSIZE) ||
	    must(&a, sizeof(a), VIOMMU_S_OK, "MAP a, status") ||
	    must(&b, sizeof(b), VIOMMU_S_OK, "MAP b, status") ||
	    rng_read(HIGH_IOVA + PAGE - 32, 64, &used))
		return;
	if (used != 64 || all_are(buf2 + PAGE - 32, 32, 0) ||
	    all_are(buf, 32, 0) || !all_are(buf + 32, sizeof(buf) - 32, 0) ||
	    !all_are(buf2, PAGE - 32, 0))
		fail_hex("want 32 + 32 bytes; used", used);
	expect_no_fault();
	rng_still_works();
}

/* GUARDS row 12: a mapping onto device registers (without MAP_F_MMIO)
 * gets no DMA: the rng's own slot. */
static void dma_to_mmio(void)
{
	struct viommu_req_map m =
		map_req(DOM, HIGH_IOVA, PAGE, VIO_SLOT_BASE(0));

	if (start_mapped(&m))
		return;
	denied(HIGH_IOVA + 0x70, 4, VIOMMU_FAULT_R_MAPPING);
	if (vio_status(&rng) != 0x0f)
		fail_hex("rng status changed", vio_status(&rng));
	rng_still_works();
}

/* With VIRTIO_IOMMU_F_MMIO negotiated, a MAP_F_MMIO mapping is accepted
 * (5.13.6.5), but it names device registers, never RAM: an emulated
 * device's DMA into it faults (GUARDS row 12). */
static void dma_to_mmio_flagged(void)
{
	struct viommu_req_map m =
		map_req(DOM, HIGH_IOVA, PAGE, VIO_SLOT_BASE(0));

	m.flags = MAP_F_RW | VIOMMU_MAP_F_MMIO;
	if (start_with(F_ALL | VIOMMU_F_MMIO, IH_EQSIZE) ||
	    must(&m, sizeof(m), VIOMMU_S_OK, "MAP_F_MMIO, status"))
		return;
	denied(HIGH_IOVA + 0x70, 4, VIOMMU_FAULT_R_MAPPING);
	if (vio_status(&rng) != 0x0f)
		fail_hex("rng status changed", vio_status(&rng));
	rng_still_works();
}

/* A mapping past the end of RAM, and one that runs off it. */
static void dma_past_ram(void)
{
	struct viommu_req_map far =
		map_req(DOM, HIGH_IOVA, PAGE, 0x10000000000ULL);
	struct viommu_req_map edge =
		map_req(DOM, HIGH_IOVA + 0x100000, 2 * PAGE, RAM_END - PAGE);

	if (start_mapped(&far) ||
	    must(&edge, sizeof(edge), VIOMMU_S_OK, "MAP edge, status"))
		return;
	denied(HIGH_IOVA, 64, VIOMMU_FAULT_R_MAPPING);
	/* The report names the first byte past RAM. */
	if (!failed())
		denied_at(HIGH_IOVA + 0x100000 + PAGE - 16, 64,
			  VIOMMU_FAULT_R_MAPPING, HIGH_IOVA + 0x100000 + PAGE);
	rng_still_works();
}

/* A buffer in the MSI window, in a domain: the doorbell, never RAM. */
static void dma_msi(void)
{
	if (start(IH_EQSIZE))
		return;
	denied(MSI_START, 64, VIOMMU_FAULT_R_MAPPING);
	rng_still_works();
}

/* Unattached with bypass 0: "SHOULD NOT let unattached endpoints that
 * are not in bypass mode access the guest-physical address space":
 * R_DOMAIN. */
static void dma_unattached(void)
{
	struct viommu_req_attach d = detach_req(DOM, EP);

	if (start(IH_EQSIZE) ||
	    must(&d, sizeof(d), VIOMMU_S_OK, "DETACH, status"))
		return;
	ih_bypass_write(0);
	/* The worker applies a bypass write before the next request it
	 * answers (devices/iommu/viommu.c viommu_process()): one request,
	 * and the endpoint is sure to be out of bypass. */
	if (must(&d, sizeof(d), VIOMMU_S_INVAL, "DETACH again, status"))
		goto out;
	if (ih_bypass_read() != 0)
		fail("bypass not 0");
	else
		denied((uintptr_t)buf, 64, VIOMMU_FAULT_R_DOMAIN);
out:
	ih_bypass_write(1);
	if (ih_bypass_read() != 1) {
		fail("bypass not back to 1");
		return;
	}
	rng_still_works_reattached();
}

/* Bypass is 1:1 onto RAM only: an unattached endpoint's DMA at the
 * iommu's own registers (GUARDS row 12) or past RAM faults. */
static void dma_bypass_to_mmio(void)
{
	struct viommu_req_attach d = detach_req(DOM, EP);

	if (start(IH_EQSIZE) ||
	    must(&d, sizeof(d), VIOMMU_S_OK, "DETACH, status"))
		return;
	denied(VIO_SLOT_BASE(IH_SLOT) + 0x70, 4, VIOMMU_FAULT_R_MAPPING);
	/* The report names the first byte past RAM. */
	if (!failed())
		denied_at(RAM_END - 16, 64, VIOMMU_FAULT_R_MAPPING, RAM_END);
	if (vio_status(&ih_dev) != 0x0f)
		fail_hex("iommu status changed", vio_status(&ih_dev));
	rng_still_works_reattached();
}

/* A bypass domain (ATTACH_F_BYPASS) lets the endpoint at RAM 1:1. */
static void dma_bypass_domain(void)
{
	struct viommu_req_attach b = attach_req(DOM + 1, EP);
	uint32_t used;

	b.flags = VIOMMU_ATTACH_F_BYPASS;
	if (start(IH_EQSIZE) ||
	    must(&b, sizeof(b), VIOMMU_S_OK, "ATTACH, status") ||
	    rng_read((uintptr_t)buf2, 64, &used))
		return;
	if (used != 64 || all_are(buf2, 64, 0))
		fail_hex("rng through a bypass domain, used", used);
	expect_no_fault();
	rng_still_works_reattached();
}

/*
 * The concurrency rule: once an UNMAP is answered, no DMA lands
 * through the mapping it removed. The rng has a full queue of requests
 * into the page when the UNMAP goes out; after its answer the page is
 * cleared, and whatever the rng then completes must have written
 * nothing: each request either wrote before the answer or faulted.
 */
static void dma_unmap_race(void)
{
	struct viommu_req_map m = map_req(DOM, HIGH_IOVA, PAGE, (uintptr_t)buf);
	struct viommu_req_unmap u = unmap_req(DOM, HIGH_IOVA, PAGE);
	uint8_t ev[VIOMMU_FAULT_LEN];
	uint32_t id, len, wrote = 0, faulted = 0;

	if (start(IH_EQSIZE))
		return;
	for (unsigned int round = 0; round < 200 && !failed(); round++) {
		if (must(&m, sizeof(m), VIOMMU_S_OK, "MAP, status"))
			return;
		for (uint16_t j = 0; j < RNG_QSIZE; j++) {
			const struct vio_buf b = {
				(const void *)(uintptr_t)HIGH_IOVA, PAGE,
				VIO_DESC_F_WRITE
			};

			vio_add(&rng_q, j, &b, 1);
		}
		vio_notify(&rng, &rng_q);
		if (must(&u, sizeof(u), VIOMMU_S_OK, "UNMAP, status"))
			return;
		memset(buf, 0, PAGE);
		ih_fence();
		for (uint16_t j = 0; j < RNG_QSIZE; j++) {
			if (vio_wait(&rng_q, &id, &len)) {
				fail("rng no answer");
				return;
			}
			if (len)
				wrote++;
			else
				faulted++;
		}
		vio_ack_irq(&rng);
		if (!all_are(buf, PAGE, 0))
			fail_hex("written after the UNMAP answer, round",
				 round);
		/* The reports of those that faulted: taken, not checked. */
		while (!ih_event(ev, &len, 0))
			;
	}
	while (!ih_event(ev, &len, QUIET_TSC))
		;
	rt_puts("iommu_hostile: dma_unmap_race wrote ");
	rt_put_dec(wrote);
	rt_puts(" faulted ");
	rt_put_dec(faulted);
	rt_putc('\n');
	rng_still_works_reattached();
}

static const struct ih_check checks[] = {
	{ "dma_needs_access_platform", dma_needs_access_platform, 0 },
	{ "dma_mapped", dma_mapped, 0 },
	{ "dma_unmapped", dma_unmapped, 0 },
	{ "dma_read_only", dma_read_only, 0 },
	{ "dma_no_permission", dma_no_permission, 0 },
	{ "dma_after_unmap", dma_after_unmap, 0 },
	{ "dma_half_mapped", dma_half_mapped, 0 },
	{ "dma_split", dma_split, 0 },
	{ "dma_to_mmio", dma_to_mmio, 0 },
	{ "dma_to_mmio_flagged", dma_to_mmio_flagged, 0 },
	{ "dma_past_ram", dma_past_ram, 0 },
	{ "dma_msi", dma_msi, 0 },
	{ "dma_unattached", dma_unattached, 0 },
	{ "dma_bypass_to_mmio", dma_bypass_to_mmio, 0 },
	{ "dma_bypass_domain", dma_bypass_domain, 0 },
	{ "dma_unmap_race", dma_unmap_race, 0 },
};

void dma_checks(void)
{
	ih_run(checks, sizeof(checks) / sizeof(checks[0]));
	vio_reset(&rng);
}
