// SPDX-License-Identifier: Apache-2.0
/* tests/integration/test_virtio.c: a polling guest driver against --rng. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "guest_output.h"
#include "run.h"

#define VIRTIO_RNG	GUEST_DIR "/virtio_rng"

TestSuite(virtio, .init = run_need_kvm, .timeout = 60);


static void expect_no(const struct run_result *r, const char *text)
{
	cr_expect_null(strstr(r->out, text),
		       "\"%s\" in the guest's output:\n%s\nstderr:\n%s", text,
		       r->out, r->err);
}

/* The device found, initialized, read twice, left at status 0x0f. */
static void expect_rng_works(const struct run_result *r)
{
	run_expect_line(r, "virtio_rng: found device");
	run_expect_line(r, "virtio_rng: got 64 bytes");
	run_expect_line(r, "virtio_rng: random ok");
	run_expect_line(r, "virtio_rng: two reads differ");
	run_expect_line(r, "virtio_rng: status 0x0f");
	expect_no(r, "virtio_rng: timeout");
	expect_no(r, "virtio_rng: all zero");
	expect_no(r, "virtio_rng: no device");
}

Test(virtio, rng_reads_random_bytes)
{
	const char *const args[] = { "--kernel", VIRTIO_RNG, "--memory", "64M",
				     "--rng", NULL };
	struct run_result r;

	run_boot(&r, args);
	expect_rng_works(&r);
	run_result_free(&r);
}

Test(virtio, rng_with_two_cpus)
{
	const char *const args[] = { "--kernel", VIRTIO_RNG, "--memory", "64M",
				     "--rng", "--cpus", "2", NULL };
	struct run_result r;

	run_boot(&r, args);
	expect_rng_works(&r);
	run_result_free(&r);
}

/* Without --rng nothing answers at 0xd0000000: the guest must notice. */
Test(virtio, no_rng_no_device)
{
	const char *const args[] = { "--kernel", VIRTIO_RNG, "--memory", "64M",
				     NULL };
	struct run_result r;

	run_boot(&r, args);
	run_expect_line(&r, "virtio_rng: no device");
	expect_no(&r, "virtio_rng: found device");
	run_result_free(&r);
}
