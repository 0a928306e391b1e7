// SPDX-License-Identifier: Apache-2.0
/*
 * tests/guest/iommu_hostile/evt.c: hostile eventq buffers (5.13.6.9):
 * too short for a fault report, device-readable, split, outside RAM;
 * more faults than the device keeps; faults from before a reset. The
 * faults come from the rng writing to an unmapped IOVA (dma.c).
 */
#include "dma.h"

/* Causes one fault: the rng writes to an unmapped IOVA (HIGH_IOVA + k
 * pages). 0, or -1 after fail(). */
static int cause_fault(uint32_t k)
{
	uint32_t used = 1;

	if (rng_read(HIGH_IOVA + (uint64_t)k * PAGE, 64, &used))
		return -1;
	if (used != 0) {
		fail_hex("rng used length", used);
		return -1;
	}
	return 0;
}

/* Posts eventq buffer (i) as (len) bytes with (flags) at (addr). */
static void post_evt(uint16_t i, const void *addr, uint32_t len, uint16_t flags)
{
	const struct vio_buf b = { addr, len, flags };

	vio_add(&ih_eq, i, &b, 1);
	vio_notify(&ih_dev, &ih_eq);
}

/* The eventq buffer the device returned next: 0 with its used length
 * in (*len), -1 after fail(). Not posted again. */
static int evt_back(uint32_t *len)
{
	uint32_t id;

	if (vio_wait_tsc(&ih_eq, EVT_TSC, &id, len)) {
		fail("eventq buffer not returned");
		return -1;
	}
	if (id != 0) {
		fail_hex("eventq used id", id);
		return -1;
	}
	return 0;
}

/* An eventq buffer shorter than a report: returned with used length 0,
 * nothing written (devices/iommu/viommu.c viommu_put_fault()); the
 * fault is spent on it. */
static void evt_short(void)
{
	uint32_t len = 1;

	if (start(0))
		return;
	memset(ih_events, 0xa5, sizeof(ih_events));
	post_evt(0, ih_events[0], VIOMMU_FAULT_LEN - 1, VIO_DESC_F_WRITE);
	if (cause_fault(0) || evt_back(&len))
		return;
	if (len != 0 || !all_are(ih_events[0], VIOMMU_FAULT_LEN, 0xa5))
		fail_hex("used length", len);
	post_evt(0, ih_events[0], VIOMMU_FAULT_LEN, VIO_DESC_F_WRITE);
	expect_no_fault();
	rng_still_works();
}

/* A device-readable eventq buffer: nowhere to write, used 0, untouched. */
static void evt_readable(void)
{
	uint32_t len = 1;

	if (start(0))
		return;
	memset(ih_events, 0xa5, sizeof(ih_events));
	post_evt(0, ih_events[0], VIOMMU_FAULT_LEN, 0);
	if (cause_fault(0) || evt_back(&len))
		return;
	if (len != 0 || !all_are(ih_events[0], VIOMMU_FAULT_LEN, 0xa5))
		fail_hex("used length", len);
	rng_still_works();
}

/* A report in two pieces (8 + 16 bytes): all of it, in order. */
static void evt_split(void)
{
	const struct vio_buf b[2] = {
		{ ih_events[0], 8, VIO_DESC_F_WRITE },
		{ ih_events[4], 16, VIO_DESC_F_WRITE },
	};
	uint32_t len = 0;
	uint8_t *p = ih_events[4];

	if (start(0))
		return;
	memset(ih_events, 0xa5, sizeof(ih_events));
	vio_add(&ih_eq, 0, b, 2);
	vio_notify(&ih_dev, &ih_eq);
	if (cause_fault(3) || evt_back(&len))
		return;
	if (len != VIOMMU_FAULT_LEN ||
	    ih_events[0][0] != VIOMMU_FAULT_R_MAPPING ||
	    get32(ih_events[0] + 4) !=
		    (VIOMMU_FAULT_F_WRITE | VIOMMU_FAULT_F_ADDRESS) ||
	    get64(p + 8) != HIGH_IOVA + 3 * PAGE || get32(p) != EP)
		fail_hex("split report, used length", len);
	rng_still_works();
}

/* An eventq buffer outside RAM: the eventq is broken, the iommu needs a
 * reset (the runner checks), the rng lives. */
static void evt_outside_ram(void)
{
	if (start(0))
		return;
	post_evt(0, (const void *)0x40000000000ULL, VIOMMU_FAULT_LEN,
		 VIO_DESC_F_WRITE);
	cause_fault(0);
	if (vio_status(&rng) != 0x0f)
		fail_hex("rng status", vio_status(&rng));
}

/*
 * 100 faults with no eventq buffer posted: the device keeps the oldest
 * VIOMMU_DMA_FAULTS (64, devices/iommu/viommu_dma.h) and drops the rest;
 * buffers posted then get those 64, in order, and no more.
 */
static void evt_overflow(void)
{
	uint8_t ev[VIOMMU_FAULT_LEN];
	uint32_t len, n = 0;

	if (start(0))
		return;
	for (uint32_t k = 0; k < 100; k++) {
		if (cause_fault(k))
			return;
	}
	memset(ih_events, 0xa5, sizeof(ih_events));
	for (uint16_t i = 0; i < IH_EQSIZE; i++)
		post_evt(i, ih_events[i], VIOMMU_FAULT_LEN, VIO_DESC_F_WRITE);
	/* The last wait runs out: ~1 s, so a slow host does not lose one. */
	while (!ih_event(ev, &len, EVT_TSC)) {
		if (len != VIOMMU_FAULT_LEN ||
		    get64(ev + 16) != HIGH_IOVA + n * PAGE) {
			fail_hex("report out of order, number", n);
			return;
		}
		n++;
	}
	if (!failed() && n != 64)
		fail_hex("reports", n);
	rng_still_works();
}

/* Faults recorded before a reset of the iommu are not reported after
 * it: the new driver never saw those domains. */
static void evt_reset_forgets(void)
{
	if (start(0))
		return;
	for (uint32_t k = 0; k < 4; k++) {
		if (cause_fault(k))
			return;
	}
	/* Reset and re-init the iommu, buffers posted this time; the rng
	 * keeps running (its rings resolved at its DRIVER_OK). */
	if (ih_reinit(F_ALL, "iommu re-init"))
		return;
	expect_no_fault();
	rng_still_works_reattached();
}

static const struct ih_check checks[] = {
	{ "evt_short", evt_short, 0 },
	{ "evt_readable", evt_readable, 0 },
	{ "evt_split", evt_split, 0 },
	{ "evt_outside_ram", evt_outside_ram, 1 },
	{ "evt_overflow", evt_overflow, 0 },
	{ "evt_reset_forgets", evt_reset_forgets, 0 },
};

void evt_checks(void)
{
	ih_run(checks, sizeof(checks) / sizeof(checks[0]));
	vio_reset(&rng);
}
