/* SPDX-License-Identifier: Apache-2.0 */
/* arch/x86_64/arch_vm.h: x86_64 state kept in struct vm. */
#ifndef IGNIS_X86_ARCH_VM_H
#define IGNIS_X86_ARCH_VM_H

#include "boot.h"
#include "cpu.h"

struct arch_vm {
	struct x86_cpuid *supported_cpuid;	/* KVM_GET_SUPPORTED_CPUID */
	struct x86_boot_state boot;		/* BSP state at kernel entry */
};

#endif
