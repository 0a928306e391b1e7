// SPDX-License-Identifier: Apache-2.0
/*
 * tests/integration/test_hostile.c: the hostile guest (issue 4) against
 * --disk and --rng: every attack gets the error the spec and our policy
 * require, the VMM and the other device keep working, and the image holds
 * only what the guest legitimately wrote.
 */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "guest_output.h"
#include "run.h"
#include "support/tmpfile.h"

#define HOSTILE GUEST_DIR "/hostile"
#define IMG_SIZE (1u << 20)
#define LEGIT_SECTOR 100 /* tests/guest/hostile/blk.c */

TestSuite(hostile, .init = run_need_kvm, .timeout = 120);

/* Byte (off) of the image: tests/guest/hostile/hostile.h pattern(). */
static uint8_t pattern(uint32_t off)
{
	return (uint8_t)(off * 7 + (off >> 9) + 1);
}

/*
 * Attacks whose line must be there: the list of issue 4 and the GUARDS
 * rows. The guest prints more; every line it prints must say ok.
 */
static const char *const required[] = {
	"baseline",
	"blk_desc_loop",
	"rng_desc_loop",
	"blk_desc_self_loop",
	"rng_chain_longer_than_queue",
	"blk_chain_longer_than_queue",
	"blk_indirect_in_indirect",
	"blk_indirect_len_24",
	"blk_indirect_len_0",
	"blk_indirect_len_huge",
	"blk_indirect_longer_than_queue",
	"blk_indirect_with_next",
	"blk_indirect_outside_ram",
	"blk_indirect_in_mmio",
	"rng_indirect_not_negotiated",
	"blk_buf_outside_ram",
	"rng_buf_outside_ram",
	"rng_buf_wraps",
	"blk_buf_wraps",
	"rng_buf_in_own_mmio",
	"blk_buf_in_own_mmio",
	"rng_buf_in_other_mmio",
	"blk_buf_len_ffffffff",
	"rng_buf_len_ffffffff",
	"rng_buf_spans_ram_end",
	"blk_chain_total_over_4g",
	"blk_chain_257_bufs",
	"rng_avail_idx_jump",
	"blk_avail_idx_jump",
	"rng_avail_idx_backwards",
	"rng_head_out_of_range",
	"blk_head_ffff",
	"rng_next_out_of_range",
	"rng_queue_size_0",
	"blk_queue_size_0",
	"rng_queue_size_3",
	"blk_queue_size_over_max",
	"rng_queue_size_65536",
	"rng_ring_outside_ram",
	"blk_ring_desc_misaligned",
	"rng_ring_avail_odd",
	"blk_ring_used_misaligned",
	"blk_ring_in_mmio",
	"rng_ring_wraps",
	"rng_queue_not_ready",
	"blk_queue_not_ready",
	"rng_notify_before_driver_ok",
	"blk_notify_before_driver_ok",
	"rng_notify_bad_queue",
	"blk_notify_bad_queue",
	"blk_config_space",
	"rng_config_space",
	"rng_registers",
	"blk_features_after_features_ok",
	"rng_driver_ok_without_features_ok",
	"blk_driver_ok_without_features_ok",
	"rng_queue_regs_after_driver_ok",
	"blk_queue_regs_after_driver_ok",
	"rng_queue_sel_out_of_range",
	"blk_header_only",
	"blk_status_readable",
	"blk_sector_past_capacity",
	"blk_sector_overflow",
	"blk_read_into_readable",
	"blk_write_from_writable",
	"blk_write_past_capacity",
	"blk_full_ring",
	"blk_reset_in_flight_reads",
	"blk_reset_in_flight_writes",
	"rng_reset_in_flight",
	"reinit_storm",
	"blk_write_legit",
	"blk_disk_intact",
};

Test(hostile, every_attack_is_contained)
{
	static uint8_t img_data[IMG_SIZE], after[IMG_SIZE];
	char disk[256], line[128], *img;
	const char *const args[] = { "--kernel", HOSTILE, "--memory", "64M",
				     "--disk", disk, "--rng", NULL };
	unsigned int nr_ok = 0, done_ok = 0, done_failed = 1;
	struct run_result r;
	const char *p;
	int fd;

	for (uint32_t i = 0; i < IMG_SIZE; i++)
		img_data[i] = pattern(i);
	img = tmpfile_with(img_data, IMG_SIZE);
	cr_assert_not_null(img);
	snprintf(disk, sizeof(disk), "path=%s", img);
	run_boot(&r, args);

	/* One line per attack, each ok; then the tally. */
	for (p = r.out; *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : "") {
		size_t n = strcspn(p, "\n");

		if (strncmp(p, "hostile: ", 9))
			continue;
		cr_expect(!memmem(p, n, " FAILED", 7), "%.*s", (int)n, p);
		if (n > 3 && !memcmp(p + n - 3, " ok", 3))
			nr_ok++;
		sscanf(p, "hostile: done %u ok %u failed", &done_ok,
		       &done_failed);
	}
	cr_expect_eq(done_failed, 0, "guest output:\n%s\nstderr:\n%s", r.out,
		     r.err);
	cr_expect_eq(done_ok, nr_ok, "tally %u, ok lines %u", done_ok, nr_ok);
	for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
		snprintf(line, sizeof(line), "hostile: %s ok", required[i]);
		run_expect_line(&r, line);
	}

	/* Nothing on stderr: whatever a guest does to its own devices is
	 * logged at debug level, or it could flood the host's logs. */
	cr_expect_eq(r.err_len, 0, "unexpected stderr:\n%s", r.err);

	/* The image: as made, but for the one sector the guest wrote. */
	fd = open(img, O_RDONLY | O_CLOEXEC);
	cr_assert_geq(fd, 0);
	cr_assert_eq(pread(fd, after, IMG_SIZE, 0), (ssize_t)IMG_SIZE);
	close(fd);
	for (unsigned int i = 0; i < 512; i++)
		img_data[LEGIT_SECTOR * 512 + i] = (uint8_t)(0x5a ^ i);
	for (uint32_t i = 0; i < IMG_SIZE; i++) {
		if (after[i] != img_data[i]) {
			cr_expect_fail("image byte %u is 0x%02x, want 0x%02x",
				       i, after[i], img_data[i]);
			break;
		}
	}
	run_result_free(&r);
	unlink(img);
	free(img);
}
