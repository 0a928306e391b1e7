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

	run_boot(&r, args);
	run_expect_line(&r, IRQ_LINE);
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
