// SPDX-License-Identifier: Apache-2.0
/*
 * tests/integration/test_iommu_dma.c: issue 5's acceptance test. A guest
 * driver written from the virtio spec alone (tests/guest/iommu_dma) boots
 * with --disk --rng --iommu, maps RAM 1:1 and the blk buffer outside RAM,
 * reads the image through that translation (and rng, rings included),
 * checks the fault path (unmapped, read-only) and times MAP/UNMAP round
 * trips.
 */
#include <criterion/criterion.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "guest/iommu_dma/pattern.h"
#include "run.h"
#include "support/kvm_tsc.h"
#include "support/tmpfile.h"

#define IOMMU_DMA	GUEST_DIR "/iommu_dma"
#define IMG_SIZE	(64u * 1024)	/* 4 requests of 16 KiB */
#define SEED		0x1ee7c0de5eedULL

/* Every step the guest prints, in its order. */
static const char *const steps[] = {
	"iommu", "probe", "attach", "map",   "blk",	 "rng_init", "read",
	"rng",	 "quiet", "fault",  "remap", "readonly", "timing",
};
#define NR_STEPS (sizeof(steps) / sizeof(steps[0]))

TestSuite(iommu_dma, .init = run_need_kvm, .timeout = 60);

/* The image the guest expects for (seed), in a new temporary file. */
static char *make_image(uint64_t seed, uint64_t *fnv)
{
	uint8_t *data = malloc(IMG_SIZE);
	uint64_t h = 0xcbf29ce484222325ULL;
	char *path;

	cr_assert_not_null(data);
	for (uint32_t i = 0; i < IMG_SIZE; i++) {
		data[i] = iommu_dma_pattern(seed, i);
		h ^= data[i];
		h *= 0x100000001b3ULL;
	}
	path = tmpfile_with(data, IMG_SIZE);
	cr_assert_not_null(path);
	free(data);
	*fnv = h;
	return path;
}

/* Boots the guest on (path), telling it to expect the image of (seed). */
static void boot(const char *path, uint64_t seed, struct run_result *r)
{
	char disk[4200], cmdline[128];
	const char *const args[] = { "--kernel", IOMMU_DMA, "--disk", disk,
				     "--rng", "--iommu", "--cmdline", cmdline,
				     NULL };

	snprintf(disk, sizeof(disk), "path=%s", path);
	snprintf(cmdline, sizeof(cmdline),
		 "iommu_dma.seed=0x%" PRIx64 " iommu_dma.size=%u", seed,
		 IMG_SIZE);
	run_boot(r, args);
	cr_expect_eq(r->err_len, 0, "stderr:\n%s", r->err);
}

/* Checks and logs "iommu_dma: NAME ticks p50 A p90 B p99 C max D", in
 * microseconds when the TSC rate (khz) is known (> 0). */
static void expect_percentiles(const char *out, const char *name, long khz)
{
	uint64_t v[4];
	char key[64];
	const char *p;

	snprintf(key, sizeof(key), "iommu_dma: %s ticks p50 ", name);
	p = strstr(out, key);
	cr_assert_not_null(p, "no %s percentiles:\n%s", name, out);
	cr_assert_eq(sscanf(p + strlen(key),
			    "%" SCNu64 " p90 %" SCNu64 " p99 %" SCNu64
			    " max %" SCNu64,
			    &v[0], &v[1], &v[2], &v[3]),
		     4);
	cr_expect(v[0] > 0 && v[0] <= v[1] && v[1] <= v[2] && v[2] <= v[3],
		  "%s: %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64, name,
		  v[0], v[1], v[2], v[3]);
	if (khz > 0)
		cr_log_info("iommu_dma: %-5s p50 %.3f us  p90 %.3f us  "
			    "p99 %.3f us (TSC %.1f MHz)",
			    name, v[0] * 1e3 / khz, v[1] * 1e3 / khz,
			    v[2] * 1e3 / khz, khz / 1e3);
	else
		cr_log_info("iommu_dma: %-5s p50 %" PRIu64 " p90 %" PRIu64
			    " p99 %" PRIu64 " ticks",
			    name, v[0], v[1], v[2]);
}

Test(iommu_dma, reads_the_image_through_translation)
{
	struct run_result r;
	uint64_t fnv;
	char *path = make_image(SEED, &fnv);
	char line[96];

	boot(path, SEED, &r);
	for (unsigned int i = 0; i < NR_STEPS; i++) {
		snprintf(line, sizeof(line), "iommu_dma: %s ok", steps[i]);
		run_expect_line(&r, line);
	}
	cr_expect_null(strstr(r.out, "FAILED"), "%s", r.out);
	snprintf(line, sizeof(line), "iommu_dma: done %zu ok 0 failed",
		 NR_STEPS);
	run_expect_line(&r, line);

	/* What was read is the file, by the host's hash as well. */
	snprintf(line, sizeof(line), "iommu_dma: fnv1a %016" PRIx64, fnv);
	run_expect_line(&r, line);
	run_expect_line(&r, "iommu_dma: read 65536 bytes in 4 requests at "
			    "bus address 0x8000000000");
	run_expect_line(&r, "iommu_dma: endpoint 0 resv msi "
			    "0xfee00000-0xfeefffff");
	run_expect_line(&r, "iommu_dma: endpoint 1 resv msi "
			    "0xfee00000-0xfeefffff");
	run_expect_line(&r, "iommu_dma.viommu: bypass 1");
	run_expect_line(&r, "iommu_dma: event reason 2 flags 0x102 endpoint 0 "
			    "address 0x8000000000");
	expect_percentiles(r.out, "map", kvm_tsc_khz());
	expect_percentiles(r.out, "unmap", kvm_tsc_khz());
	run_result_free(&r);
	unlink(path);
	free(path);
}

/* The guest's byte check is not vacuous: told another seed, it fails the
 * read (and what needs it), and still ends cleanly. */
Test(iommu_dma, notices_a_different_image)
{
	struct run_result r;
	uint64_t fnv;
	char *path = make_image(SEED, &fnv);

	boot(path, SEED + 1, &r);
	run_expect_line(&r, "iommu_dma: map ok");
	run_expect_line(&r, "iommu_dma: read FAILED");
	run_expect_line(&r, "iommu_dma: blk: wrong byte at image offset 0");
	run_result_free(&r);
	unlink(path);
	free(path);
}
