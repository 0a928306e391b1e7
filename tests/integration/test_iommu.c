// SPDX-License-Identifier: Apache-2.0
/* tests/integration/test_iommu.c: a polling guest driver against --iommu. */
#include <criterion/criterion.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "run.h"
#include "support/kvm_tsc.h"

#define VIRTIO_IOMMU	GUEST_DIR "/virtio_iommu"

/* Every check tests/guest/virtio_iommu prints, in its order. */
static const char *const checks[] = {
	"features",	"config",	 "attach",	"probe",
	"map",		"map_overlap",	 "map_msi",	"unmap_split",
	"unmap",	"unmap_again",	 "attach_unknown", "detach",
	"malformed",	"after_malformed", "timing",	"mmio_exit",
	"eventq",
};
#define NR_CHECKS (sizeof(checks) / sizeof(checks[0]))

TestSuite(iommu, .init = run_need_kvm, .timeout = 60);

/* ignis exited 0 on its own (run_boot()'s checks, for a run driven by
 * run_start()) and said nothing on stderr. */
static void expect_clean_exit(const struct run_result *r)
{
	run_expect_exit0(r);
	cr_expect_eq(r->err_len, 0, "stderr:\n%s", r->err);
}

/* The numbers after "virtio_iommu: NAME ticks p50 " (3 of them). */
static bool percentiles(const char *out, const char *name, uint64_t v[3])
{
	char key[64];
	const char *p;

	snprintf(key, sizeof(key), "virtio_iommu: %s ticks p50 ", name);
	p = strstr(out, key);
	return p && sscanf(p + strlen(key),
			   "%" SCNu64 " p90 %" SCNu64 " p99 %" SCNu64, &v[0],
			   &v[1], &v[2]) == 3;
}

/*
 * The percentiles of series (name) in a "bench" run: the 101 numbers
 * after "virtio_iommu: NAME ticks q0-100 ". False if absent or short.
 */
static bool quantiles(const char *out, const char *name, uint64_t q[101])
{
	char key[64];
	const char *p;

	snprintf(key, sizeof(key), "virtio_iommu: %s ticks q0-100 ", name);
	p = strstr(out, key);
	if (!p)
		return false;
	p += strlen(key);
	for (unsigned int i = 0; i <= 100; i++) {
		char *end;

		q[i] = strtoull(p, &end, 10);
		if (end == p || (*end != ' ' && *end != '\n'))
			return false;
		p = end;
	}
	return *p == '\n';
}

/*
 * The guest's TSC rate is unknown at CPL3, so the guest prints ticks and
 * the host converts them with KVM's rate for a vCPU. Cross-check (and
 * fallback where KVM will not tell): the guest brackets the loop with
 * "timing go" and "timing end" lines, stamped here as they arrive (the
 * serial port writes every byte as it comes), and prints the loop's
 * ticks: their ratio is ticks per second (benches/blk_bench.sh's
 * method), late by a pipe wake-up at each end, so rough for a short loop.
 */
static void report_latency(const char *out, double span_s)
{
	const char *names[3] = { "map", "unmap", "mmio_exit" };
	uint64_t pairs = 0, ticks = 0, kicks = 0, v[3];
	const char *p = strstr(out, "virtio_iommu: loop pairs ");
	double per_us, host_per_us;
	long khz = kvm_tsc_khz();

	cr_assert_not_null(p, "no loop line:\n%s", out);
	cr_assert_eq(sscanf(p, "virtio_iommu: loop pairs %" SCNu64
			       " ticks %" SCNu64 " kicks %" SCNu64,
			    &pairs, &ticks, &kicks), 3);
	cr_assert_gt(span_s, 0.0);
	host_per_us = (double)ticks / (span_s * 1e6);
	per_us = khz > 0 ? (double)khz / 1e3 : host_per_us;
	cr_log_info("iommu: %" PRIu64 " MAP/UNMAP pairs, %" PRIu64 " kicks, "
		    "%.2f ms by the TSC at %.1f MHz (KVM), %.2f ms by the "
		    "host's clock",
		    pairs, kicks, (double)ticks / per_us / 1e3, per_us,
		    span_s * 1e3);
	for (unsigned int i = 0; i < 3; i++) {
		cr_assert(percentiles(out, names[i], v),
			  "no %s percentiles:\n%s", names[i], out);
		cr_expect(v[0] > 0 && v[0] <= v[1] && v[1] <= v[2],
			  "%s: p50 %" PRIu64 " p90 %" PRIu64 " p99 %" PRIu64,
			  names[i], v[0], v[1], v[2]);
		cr_log_info("iommu: %-9s p50 %.3f us  p90 %.3f us  p99 %.3f "
			    "us (ticks %" PRIu64 " %" PRIu64 " %" PRIu64 ")",
			    names[i], (double)v[0] / per_us,
			    (double)v[1] / per_us, (double)v[2] / per_us,
			    v[0], v[1], v[2]);
	}
}

/* The "bench" run's extra lines, which benches/iommu_bench.sh reads:
 * every percentile of each series, in order, agreeing with the p50, p90
 * and p99 printed before them. */
Test(iommu, bench_mode_prints_every_percentile)
{
	const char *const args[] = { "--kernel", VIRTIO_IOMMU, "--memory",
				     "64M", "--rng", "--iommu", "--cmdline",
				     "console=ttyS0 bench", NULL };
	const char *names[3] = { "map", "unmap", "mmio_exit" };
	uint64_t q[101], v[3];
	struct run_result r;
	char line[96];

	run_boot(&r, args);
	cr_expect_eq(r.err_len, 0, "stderr:\n%s", r.err);
	snprintf(line, sizeof(line), "virtio_iommu: done %zu ok 0 failed",
		 NR_CHECKS);
	run_expect_line(&r, line);
	for (unsigned int i = 0; i < 3; i++) {
		cr_assert(percentiles(r.out, names[i], v),
			  "no %s percentiles:\n%s", names[i], r.out);
		cr_assert(quantiles(r.out, names[i], q),
			  "no %s q0-100 line:\n%s", names[i], r.out);
		for (unsigned int j = 1; j <= 100; j++)
			cr_expect_leq(q[j - 1], q[j], "%s: q%u > q%u",
				      names[i], j - 1, j);
		cr_expect(q[50] == v[0] && q[90] == v[1] && q[99] == v[2],
			  "%s: q50 %" PRIu64 " q90 %" PRIu64 " q99 %" PRIu64
			  " against p50 %" PRIu64 " p90 %" PRIu64
			  " p99 %" PRIu64, names[i], q[50], q[90], q[99],
			  v[0], v[1], v[2]);
	}
	run_result_free(&r);
}

Test(iommu, requests_answered_and_timed)
{
	const char *const args[] = { "--kernel", VIRTIO_IOMMU, "--memory",
				     "64M", "--rng", "--iommu", NULL };
	struct run_proc p;
	struct run_result r;
	double t_go = 0, t_end = 0;
	char line[96];
	bool go, end;

	cr_assert_eq(run_start(&p, args), 0, "cannot start " IGNIS_BIN);
	go = run_wait_stdout(&p, "virtio_iommu: timing go\n", RUN_TIMEOUT_MS);
	if (go)
		t_go = run_now_s();
	end = go && run_wait_stdout(&p, "virtio_iommu: timing end\n",
				    RUN_TIMEOUT_MS);
	if (end)
		t_end = run_now_s();
	run_finish(&p, RUN_TIMEOUT_MS, &r);
	expect_clean_exit(&r);

	/* rng in slot 0, the iommu after it. */
	cr_expect(strstr(r.out, "virtio_iommu: found at slot 1\n"),
		  "%s", r.out);
	cr_expect(strstr(r.out, "virtio_iommu: page_size_mask "
				"0xfffffffffffff000\n"), "%s", r.out);
	cr_expect(strstr(r.out, "virtio_iommu: input_range "
				"0x0-0xffffffffffff\n"), "%s", r.out);
	cr_expect(strstr(r.out, "virtio_iommu: domain_range "
				"0x0-0xffffffff\n"), "%s", r.out);
	cr_expect(strstr(r.out, "virtio_iommu: probe_size 512\n"), "%s",
		  r.out);
	cr_expect(strstr(r.out, "virtio_iommu: bypass 1\n"), "%s", r.out);
	cr_expect(strstr(r.out, "virtio_iommu: resv msi "
				"0xfee00000-0xfeefffff\n"), "%s", r.out);
	for (unsigned int i = 0; i < NR_CHECKS; i++) {
		snprintf(line, sizeof(line), "virtio_iommu: %s ok", checks[i]);
		run_expect_line(&r, line);
	}
	cr_expect_null(strstr(r.out, "FAILED"), "%s", r.out);
	/* Only "bench" runs print every percentile. */
	cr_expect_null(strstr(r.out, "q0-100"), "%s", r.out);
	snprintf(line, sizeof(line), "virtio_iommu: done %zu ok 0 failed",
		 NR_CHECKS);
	run_expect_line(&r, line);
	cr_assert(go && end, "no timing lines:\n%s", r.out);
	report_latency(r.out, t_end - t_go);
	run_result_free(&r);
}

Test(iommu, absent_without_the_switch)
{
	const char *const args[] = { "--kernel", VIRTIO_IOMMU, "--memory",
				     "64M", "--rng", NULL };
	struct run_result r;

	cr_assert_eq(run_ignis(args, &r), 0, "cannot start " IGNIS_BIN);
	expect_clean_exit(&r);
	run_expect_line(&r, "virtio_iommu: no iommu found");
	cr_expect_null(strstr(r.out, "found at slot"), "%s", r.out);
	run_result_free(&r);
}
