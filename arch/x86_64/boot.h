/* SPDX-License-Identifier: Apache-2.0 */
/* arch/x86_64/boot.h: load a kernel and build its boot structures. */
#ifndef IGNIS_X86_BOOT_H
#define IGNIS_X86_BOOT_H

#include <linux/kvm.h>
#include <stdint.h>

#include "vmm/gmem.h"

/* What to boot. */
struct x86_boot_in {
	const char *kernel_path;	/* PVH ELF, plain ELF vmlinux, or bzImage */
	const char *initrd_path;	/* NULL: none */
	const char *cmdline;		/* never NULL; may be "" */
	unsigned int nr_cpus;		/* vCPUs (for the MP table) */
	uint64_t rsdp_addr;		/* ACPI RSDP to announce; 0: none */
};

/* Which entry protocol the kernel was loaded for. */
enum x86_boot_protocol {
	X86_BOOT_PVH,		/* 32-bit protected mode, paging off, ebx = start_info */
	X86_BOOT_LINUX64,	/* 64-bit boot protocol, rsi = boot_params */
};

/*
 * The BSP's register state at the kernel's entry point: a pure result of
 * loading, applied to the vCPU by arch code (no KVM call happens in boot.c).
 */
struct x86_boot_state {
	enum x86_boot_protocol protocol;	/* how it enters */
	struct kvm_regs regs;		/* rip, rsp, rsi/rbx, rflags */
	struct kvm_segment cs;		/* code segment */
	struct kvm_segment ds;		/* ds, es, fs, gs, ss */
	struct kvm_segment tr;		/* a present busy TSS (VMX wants one) */
	struct kvm_dtable gdt;		/* boot GDT in guest memory */
	struct kvm_dtable idt;		/* empty IDT */
	uint64_t cr0, cr3, cr4, efer;	/* control registers */
	uint64_t kernel_start, kernel_end;	/* guest range the kernel occupies */
	uint64_t initrd_start, initrd_size;	/* 0, 0 without an initrd */
};

/*
 * Loads (in->kernel_path) and (in->initrd_path) into (mem), writes the
 * command line, e820 map, page tables, GDT and the protocol's boot structure
 * (boot_params or hvm_start_info), and fills (out). A nonzero
 * (in->rsdp_addr) goes into boot_params.acpi_rsdp_addr (boot protocol
 * 2.14+; older kernels scan the BIOS area) or hvm_start_info.rsdp_paddr;
 * the tables themselves are the caller's (acpi.h).
 *
 * The kernel is an ELF64 x86_64 executable (PVH when it carries the Xen
 * XEN_ELFNOTE_PHYS32_ENTRY note, else the 64-bit protocol at e_entry) or a
 * bzImage of boot protocol 2.12+ (64-bit protocol). (mem) must have a region
 * at 0 that extends beyond 1 MiB; the initrd goes page-aligned at the top of
 * that region (below the kernel's initrd_addr_max), above the kernel.
 *
 * Returns 0 or -errno: -ENOENT/-EACCES (cannot open), -EINVAL (empty or not
 * a regular file, bad memory layout), -EFBIG (kernel larger than RAM),
 * -ENOEXEC (malformed or unsupported image), -ENOMEM (does not fit),
 * -E2BIG (command line over the kernel's limit). On error (*err_msg), if
 * (err_msg) is not NULL, points at a static one-line reason for the user,
 * and guest memory may hold a partial load: discard the VM. Pure: no KVM
 * call; call before the vCPUs run. In [X86_EBDA_START, 1 MiB), which the
 * e820 map reserves for the MP table and ACPI tables, it writes only the
 * 8-byte real-mode reset code at X86_RESET_VECTOR (F000:FFF0, where a
 * BIOS reboot jumps): an i8042 reset, as ignis's own reset line.
 */
int x86_boot_load(const struct gmem *mem, const struct x86_boot_in *in,
		  struct x86_boot_state *out, const char **err_msg);

#endif
