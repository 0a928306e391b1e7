/* SPDX-License-Identifier: Apache-2.0 */
/* tests/guest/smp/trampoline.S: where a woken AP starts (real mode, CPL0). */

/*
 * Copied to a page below 1 MiB; SIPI starts the AP there with CS = page >>
 * 4 and IP = 0. CPL0 code may be emulated one instruction at a time, so
 * the AP only marks itself up and halts: bit (initial APIC ID) of the
 * mask that follows the code.
 */
	.section .rodata
	.code16
	.globl	smp_tramp_start
smp_tramp_start:
	movl	$1, %eax
	cpuid				/* ebx[31:24]: initial APIC ID */
	shrl	$24, %ebx
	lock btsl %ebx, %cs:(smp_tramp_mask - smp_tramp_start)
1:	hlt				/* IF is 0 after INIT: stays here */
	jmp	1b
	.balign	8
	.globl	smp_tramp_mask
smp_tramp_mask:
	.quad	0			/* APIC IDs 0-63 */
	.globl	smp_tramp_end
smp_tramp_end:
	.code64
