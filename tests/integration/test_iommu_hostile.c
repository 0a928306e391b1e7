// SPDX-License-Identifier: Apache-2.0
/*
 * tests/integration/test_iommu_hostile.c: the hostile virtio-iommu guest
 * (issue 5) against --rng --iommu: every malformed request gets the
 * status ignis promises and the device answers a good one right after,
 * ring abuse ends in DEVICE_NEEDS_RESET and a working device after a
 * reset, the rng's DMA goes only where the mappings let it and each
 * refusal is reported on the eventq, a million MAPs reach the
 * per-domain limit; the VMM exits 0 and says nothing on stderr (in the
 * ASan build: ASan is quiet).
 */
#include <criterion/criterion.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "run.h"

#define IOMMU_HOSTILE GUEST_DIR "/iommu_hostile"

TestSuite(iommu_hostile, .init = run_need_kvm, .timeout = 60);

/* Every check of "ih=checks", in the guest's order (tests/guest/
 * iommu_hostile/short.c, param.c, ring.c). */
static const char *const checks[] = {
	/* short buffers, wrong lengths, unknown types */
	"head_short",
	"head_missing",
	"body_missing",
	"attach_short",
	"detach_short",
	"map_short",
	"unmap_short",
	"probe_short",
	"readable_only",
	"tail_3_bytes",
	"split_everywhere",
	"tail_split",
	"map_bytewise",
	"zero_len_tail",
	"zero_len_amid",
	"probe_room_4",
	"probe_room_100",
	"probe_room_515",
	"probe_split",
	"probe_room_more",
	"map_long",
	"attach_long",
	"unmap_long",
	"map_room_more",
	"type_0",
	"type_6",
	"type_ff",
	"type_6_short",
	/* config space; reserved fields, flags, ranges, ids, reserved
	 * regions, bypass domains */
	"config_bypass_bits",
	"config_readonly",
	"bypass_storm",
	"head_reserved",
	"attach_reserved",
	"detach_reserved",
	"unmap_reserved",
	"probe_reserved",
	"attach_flags",
	"map_flags",
	"map_flags_zero",
	"map_mmio",
	"map_inverted",
	"unmap_inverted",
	"map_phys_wraps",
	"map_past_input",
	"unmap_past_input",
	"map_unaligned",
	"unmap_splits",
	"domain_max",
	"attach_unknown_ep",
	"detach_unknown_ep",
	"probe_unknown_ep",
	"domain_unknown",
	"detach_wrong_domain",
	"detach_twice",
	"attach_moves",
	"map_msi",
	"map_hole",
	"bypass_domain",
	"bypass_mismatch",
	/* features not negotiated */
	"bypass_unnegotiated",
	"map_unnegotiated",
	"bypass_write_unnegotiated",
	/* the request queue itself */
	"ring_desc_outside_ram",
	"ring_desc_spans_ram_end",
	"ring_desc_wraps",
	"ring_desc_in_own_mmio",
	"ring_desc_loop",
	"ring_desc_self_loop",
	"ring_next_out_of_range",
	"ring_head_out_of_range",
	"ring_avail_idx_jump",
	"ring_indirect_loop",
	"ring_indirect_outside_ram",
	"ring_indirect_len_24",
	"ring_readable_after_writable",
	"ring_indirect_not_negotiated",
	"notify_bad_queue",
	"queue_sel_out_of_range",
	"eventq_kicks",
	"reset_forgets",
	"reset_in_flight",
};
#define NR_CHECKS (sizeof(checks) / sizeof(checks[0]))

/* The checks of "ih=dma" (dma.c): the rng's DMA through the iommu. */
static const char *const dma_checks[] = {
	"dma_needs_access_platform",
	"dma_mapped",
	"dma_unmapped",
	"dma_read_only",
	"dma_no_permission",
	"dma_after_unmap",
	"dma_half_mapped",
	"dma_split",
	"dma_to_mmio",
	"dma_to_mmio_flagged",
	"dma_past_ram",
	"dma_msi",
	"dma_unattached",
	"dma_bypass_to_mmio",
	"dma_bypass_domain",
	"dma_unmap_race",
	"evt_short",
	"evt_readable",
	"evt_split",
	"evt_outside_ram",
	"evt_overflow",
	"evt_reset_forgets",
};
#define NR_DMA (sizeof(dma_checks) / sizeof(dma_checks[0]))

/* The flood's checks (flood.c). */
static const char *const flood_checks[] = {
	"flood",
	"flood_limit",
	"flood_unmap",
	"flood_event_idx",
};
#define NR_FLOOD (sizeof(flood_checks) / sizeof(flood_checks[0]))

/* Each of (names) has its ok line, nothing FAILED, the tally says (n)
 * ok; ignis exited 0 on its own with nothing on stderr. */
static void expect_all_ok(const struct run_result *r, const char *const *names,
			  size_t n)
{
	char line[96];

	run_expect_exit0(r);
	for (size_t i = 0; i < n; i++) {
		snprintf(line, sizeof(line), "iommu_hostile: %s ok", names[i]);
		run_expect_line(r, line);
	}
	cr_expect_null(strstr(r->out, "FAILED"), "%s", r->out);
	snprintf(line, sizeof(line), "iommu_hostile: done %zu ok 0 failed", n);
	run_expect_line(r, line);
	/* What a guest does to its own device is logged at debug level
	 * only; under ASan, any report would land here. */
	cr_expect_eq(r->err_len, 0, "stderr:\n%s", r->err);
}

/*
 * ignis's arguments for the guest with (which) as its command line, the
 * checks to run. 64 MiB: ring.c's ring_desc_spans_ram_end aims at the end
 * of RAM, dma.c's dma_past_ram maps its last page.
 */
#define IH_ARGS(which)                                                 \
	{                                                              \
		"--kernel", IOMMU_HOSTILE, "--memory", "64M", "--rng", \
			"--iommu", "--cmdline", which, NULL            \
	}

/* Boots the guest running (which) and expects each of (names) ok. */
static void boot_expect_all_ok(const char *which, const char *const *names,
			       size_t n)
{
	const char *const args[] = IH_ARGS(which);
	struct run_result r;

	run_boot(&r, args);
	expect_all_ok(&r, names, n);
	run_result_free(&r);
}

Test(iommu_hostile, malformed_requests_and_ring_abuse)
{
	boot_expect_all_ok("ih=checks", checks, NR_CHECKS);
}

Test(iommu_hostile, dma_denied_and_faults_reported)
{
	boot_expect_all_ok("ih=dma", dma_checks, NR_DMA);
}

Test(iommu_hostile, million_maps_to_the_limit)
{
	const char *const args[] = IH_ARGS("ih=flood");
	uint64_t maps = 0, ticks = 0, kicks = 0;
	double t_go = 0, t_end = 0;
	struct run_proc p;
	struct run_result r;
	const char *s;
	bool go, end;

	cr_assert_eq(run_start(&p, args), 0, "cannot start " IGNIS_BIN);
	/* The host stamps the lines around the flood as they arrive. */
	go = run_wait_stdout(&p, "iommu_hostile: flood go\n", RUN_TIMEOUT_MS);
	if (go)
		t_go = run_now_s();
	end = go &&
	      run_wait_stdout(&p, "iommu_hostile: flood end\n", RUN_TIMEOUT_MS);
	if (end)
		t_end = run_now_s();
	run_finish(&p, RUN_TIMEOUT_MS, &r);
	expect_all_ok(&r, flood_checks, NR_FLOOD);
	cr_assert(go && end, "no flood lines:\n%s", r.out);
	s = strstr(r.out, "iommu_hostile: flood maps ");
	cr_assert_not_null(s, "%s", r.out);
	cr_assert_eq(sscanf(s,
			    "iommu_hostile: flood maps %" SCNu64
			    " ticks %" SCNu64 " kicks %" SCNu64,
			    &maps, &ticks, &kicks),
		     3);
	/* The limit itself (vmm/builder.c: max_mappings 1 << 20). */
	cr_expect_eq(maps, 1u << 20);
	cr_log_info("iommu_hostile: %" PRIu64 " MAPs in %.3f s by the host's "
		    "clock (%.2f us each, %" PRIu64 " ticks, %" PRIu64
		    " kicks)",
		    maps, t_end - t_go, (t_end - t_go) * 1e6 / (double)maps,
		    ticks, kicks);
	run_result_free(&r);
}
