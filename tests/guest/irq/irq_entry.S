/* SPDX-License-Identifier: Apache-2.0 */
/* tests/guest/irq/irq_entry.S: the interrupt handler, a few CPL0 insns. */

#define LAPIC_EOI	0xfee000b0	/* xAPIC EOI register */

	/*
	 * Interrupts rt_cpl0_hook()'s wait loop, at CPL0 (no stack switch).
	 * CPL0 code is emulated on some hosts, so it only counts, signals
	 * EOI to the LAPIC (any value does in xAPIC mode) and returns; the
	 * hook acknowledges the UART afterwards.
	 */
	.text
	.code64
	.globl	irq_handler
irq_handler:
	incl	irq_count(%rip)
	pushq	%rax
	xorl	%eax, %eax
	/* The address needs all 64 bits: a 32-bit displacement would be
	 * sign-extended to 0xfffffffffee000b0. */
	movabsl	%eax, LAPIC_EOI
	popq	%rax
	iretq
