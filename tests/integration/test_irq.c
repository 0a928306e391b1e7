// SPDX-License-Identifier: Apache-2.0
/* tests/integration/test_irq.c: a guest takes a UART IRQ via the IOAPIC. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "guest_output.h"
#include "run.h"

#define IRQ_GUEST	GUEST_DIR "/irq"
#define IRQ_LINE	"irq: vector 48 delivered"

TestSuite(irq, .init = run_need_kvm, .timeout = 60);

/* Boots the irq guest with (args) and requires the delivery line and a
 * clean exit: THR empty -> IRQ 4 -> IOAPIC pin 4 -> LAPIC -> vector 48. */
static void expect_delivery(const char *const args[])
{
	struct run_result r;

	cr_assert_eq(run_ignis(args, &r), 0, "cannot start " IGNIS_BIN);
	cr_assert(!r.timed_out, "ignis still running after %d ms\n%s",
		  RUN_TIMEOUT_MS, r.out);
	cr_assert(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0,
		  "ignis did not exit 0 (status %#x)\nstdout:\n%s\nstderr:\n%s",
		  r.status, r.out, r.err);
	cr_expect(guest_has_line(r.out, IRQ_LINE),
		  "no line \"%s\" in the guest's output:\n%s", IRQ_LINE, r.out);
	cr_expect(guest_has_line(r.out, "irq: ioapic version 11 pins 24") ||
		  guest_has_line(r.out, "irq: ioapic version 20 pins 24"),
		  "not a 24-pin 82093AA-style IOAPIC:\n%s", r.out);
	run_result_free(&r);
}

Test(irq, uart_interrupt_reaches_the_cpu)
{
	const char *const args[] = { "--kernel", IRQ_GUEST, NULL };

	expect_delivery(args);
}

/* The boot CPU is still the target with idle APs beside it. */
Test(irq, delivered_with_secondary_vcpus)
{
	const char *const args[] = { "--kernel", IRQ_GUEST, "--cpus", "2",
				     NULL };

	expect_delivery(args);
}
