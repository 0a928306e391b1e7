/* SPDX-License-Identifier: Apache-2.0 */
/* tests/guest/rt/entry.S: PVH and Linux entries -> long mode -> CPL3. */

/*
 * CPL0 code is instruction-emulated on some hosts (PVM: ~1 us each), so
 * every path below runs a few dozen instructions at most: the page tables,
 * GDT and TSS are prebuilt data, and the guest drops to CPL3 at once.
 */

#define KERNEL_CS	0x08
#define KERNEL_DS	0x10
#define USER_CS		(0x18 | 3)
#define USER_DS		(0x20 | 3)
#define TSS_SEL		0x28

#define CR0_PE		(1 << 0)
#define CR0_ET		(1 << 4)
#define CR0_PG		(1 << 31)
#define CR4_PAE		(1 << 5)
#define MSR_EFER	0xc0000080
#define EFER_LME	(1 << 8)
#define RFLAGS_USER	0x3002	/* IOPL 3 (port I/O at CPL3), IF 0 */

#define RT_BOOT_PVH	1
#define RT_BOOT_LINUX32	2
#define RT_BOOT_LINUX64	3

/* 2 MiB page flags: present, writable, user, page size. */
#define PDE_RAM		0x87
/* The same plus PWT|PCD: the MMIO hole must not be cached. */
#define PDE_MMIO	0x9f

	/*
	 * The head sits at the image's first byte (1 MiB), where a bzImage's
	 * protected-mode part puts startup_32, and startup_64 follows at
	 * +0x200 as Documentation/arch/x86/boot.rst requires.
	 */
	.section .text.head, "ax"
	.code32
	.globl	startup_32
startup_32:
	movl	$RT_BOOT_LINUX32, rt_boot_proto
	movl	%esi, rt_boot_info
	jmp	long_mode

	.org	0x200
	.code64
	.globl	startup_64
startup_64:
	movl	$RT_BOOT_LINUX64, rt_boot_proto(%rip)
	movq	%rsi, rt_boot_info(%rip)
	/* Already in long mode: swap in our GDT (user segments, TSS) and
	 * page tables (user bit, MMIO hole) in place of the loader's. */
	lgdt	gdt_desc(%rip)
	movl	$pml4, %eax
	movq	%rax, %cr3
	jmp	to_user

	.text
	.code32
	.globl	pvh_start32
pvh_start32:
	movl	$RT_BOOT_PVH, rt_boot_proto
	movl	%ebx, rt_boot_info
long_mode:
	lgdt	gdt_desc
	movl	$CR4_PAE, %eax
	movl	%eax, %cr4
	movl	$pml4, %eax
	movl	%eax, %cr3
	movl	$MSR_EFER, %ecx
	movl	$EFER_LME, %eax
	xorl	%edx, %edx
	wrmsr
	movl	$(CR0_PG | CR0_ET | CR0_PE), %eax
	movl	%eax, %cr0
	ljmp	$KERNEL_CS, $to_user

	.code64
to_user:
	/* An empty IDT: any exception escalates to a triple fault, which
	 * ends the VM, so a test never hangs in a fault loop. */
	lidt	idt_desc(%rip)
	movw	$TSS_SEL, %ax
	ltr	%ax
	/* The loader's SS selector may name another descriptor in our GDT
	 * (Linux's __BOOT_DS 0x18 is our user code), and an iretq to CPL0
	 * after an interrupt reloads SS from its frame. */
	movw	$KERNEL_DS, %ax
	movw	%ax, %ss
	/* rsp first: the hook and iretq's frame use it. */
	movq	$user_stack_top, %rsp
	call	rt_cpl0_hook
	pushq	$USER_DS
	pushq	$user_stack_top
	pushq	$RFLAGS_USER
	pushq	$USER_CS
	pushq	$user_start
	iretq

	/* The default hook (rt.h): nothing to do at CPL0. */
	.weak	rt_cpl0_hook
rt_cpl0_hook:
	ret

user_start:
	movl	rt_boot_proto(%rip), %edi
	movq	rt_boot_info(%rip), %rsi
	call	guest_main
	call	rt_reset

	.data
	.balign	8
rt_boot_proto:
	.long	0
	.balign	8
rt_boot_info:
	.quad	0

gdt:
	.quad	0
	.quad	0x00af9a000000ffff	/* 0x08 kernel code, 64-bit */
	.quad	0x00cf92000000ffff	/* 0x10 kernel data */
	.quad	0x00affa000000ffff	/* 0x18 user code, 64-bit */
	.quad	0x00cff2000000ffff	/* 0x20 user data */
	/* 0x28 available 64-bit TSS; the linker script splits its base
	 * into the descriptor's fields, which the assembler cannot. */
	.quad	rt_tss_desc_lo
	.quad	0
gdt_end:
gdt_desc:
	.word	gdt_end - gdt - 1
	.quad	gdt
idt_desc:
	.word	0			/* limit 0: no vectors at all */
	.quad	0

	/*
	 * 64-bit TSS: RSP0 is the stack a CPL3 -> CPL0 event switches to.
	 * IOPL 3 alone should allow port I/O at CPL3, but PVM hosts check
	 * the I/O bitmap anyway, so it is there and allows every port.
	 */
	.balign	16
	.globl	rt_tss
rt_tss:
	.long	0
	.quad	kernel_stack_top	/* rsp0 */
	.fill	88, 1, 0
	.word	104			/* I/O bitmap right after the TSS */
	.fill	8192, 1, 0		/* ports 0-0xffff: allowed */
	.byte	0xff			/* the bitmap's required end byte */
	.globl	rt_tss_end
rt_tss_end:

	.balign	4096
pml4:
	.quad	pdpt + 7
	.fill	511, 8, 0
pdpt:
	.quad	pd_ram + 7		/* [0, 1 GiB) */
	.quad	pd_ram + 0x1000 + 7	/* [1 GiB, 2 GiB) */
	.quad	pd_ram + 0x2000 + 7	/* [2 GiB, 3 GiB) */
	.quad	pd_hole + 7		/* [3 GiB, 4 GiB): MMIO hole */
	.fill	508, 8, 0
	/* Identity map of everything below 4 GiB in 2 MiB pages (the host
	 * may lack 1 GiB pages), user-accessible so CPL3 code can read boot
	 * structures, the MP table and an initrd wherever a VMM put them. */
pd_ram:
	.set	i, 0
	.rept	3 * 512
	.quad	(i << 21) | PDE_RAM
	.set	i, i + 1
	.endr
pd_hole:
	.set	i, 0
	.rept	512
	.quad	(0xc0000000 + (i << 21)) | PDE_MMIO
	.set	i, i + 1
	.endr

	.balign	4096
	.fill	4096, 1, 0
kernel_stack_top:
	.fill	16384, 1, 0
user_stack_top:
