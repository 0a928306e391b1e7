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

/* Runs ignis with (args) and requires that it exits 0 on its own. */
static void boot(struct run_result *r, const char *const args[])
{
	cr_assert_eq(run_ignis(args, r), 0, "cannot start " IGNIS_BIN);
	cr_assert(!r->timed_out,
		  "ignis still running after %d ms\nstdout:\n%s\nstderr:\n%s",
		  RUN_TIMEOUT_MS, r->out, r->err);
	cr_assert(WIFEXITED(r->status),
		  "ignis killed by signal %d\nstderr:\n%s", WTERMSIG(r->status),
		  r->err);
	cr_assert_eq(WEXITSTATUS(r->status), 0,
		     "ignis exited %d\nstdout:\n%s\nstderr:\n%s",
		     WEXITSTATUS(r->status), r->out, r->err);
}

static void expect_line(const struct run_result *r, const char *line)
{
	cr_expect(guest_has_line(r->out, line),
		  "no line \"%s\" in the guest's output:\n%s\nstderr:\n%s",
		  line, r->out, r->err);
}

static void expect_no(const struct run_result *r, const char *text)
{
	cr_expect_null(strstr(r->out, text),
		       "\"%s\" in the guest's output:\n%s\nstderr:\n%s", text,
		       r->out, r->err);
}

/* The device found, initialized, read twice, left at status 0x0f. */
static void expect_rng_works(const struct run_result *r)
{
	expect_line(r, "virtio_rng: found device");
	expect_line(r, "virtio_rng: got 64 bytes");
	expect_line(r, "virtio_rng: random ok");
	expect_line(r, "virtio_rng: two reads differ");
	expect_line(r, "virtio_rng: status 0x0f");
	expect_no(r, "virtio_rng: timeout");
	expect_no(r, "virtio_rng: all zero");
	expect_no(r, "virtio_rng: no device");
}

Test(virtio, rng_reads_random_bytes)
{
	const char *const args[] = { "--kernel", VIRTIO_RNG, "--memory", "64M",
				     "--rng", NULL };
	struct run_result r;

	boot(&r, args);
	expect_rng_works(&r);
	run_result_free(&r);
}

Test(virtio, rng_with_two_cpus)
{
	const char *const args[] = { "--kernel", VIRTIO_RNG, "--memory", "64M",
				     "--rng", "--cpus", "2", NULL };
	struct run_result r;

	boot(&r, args);
	expect_rng_works(&r);
	run_result_free(&r);
}

/* Without --rng nothing answers at 0xd0000000: the guest must notice. */
Test(virtio, no_rng_no_device)
{
	const char *const args[] = { "--kernel", VIRTIO_RNG, "--memory", "64M",
				     NULL };
	struct run_result r;

	boot(&r, args);
	expect_line(&r, "virtio_rng: no device");
	expect_no(&r, "virtio_rng: found device");
	run_result_free(&r);
}
