// SPDX-License-Identifier: Apache-2.0
/* tests/guest/triple/triple.c: prints a line, then page-faults with no IDT. */
#include "rt.h"

/* PML4 slot 1 is not present in the runtime's page tables. */
#define TRIPLE_UNMAPPED	0x8000000000ULL

void guest_main(unsigned int proto, uint64_t info)
{
	rt_puts("triple: faulting now\n");
	/* #PF -> no IDT entry -> #DF -> triple fault -> shutdown. */
	(void)*(volatile uint64_t *)TRIPLE_UNMAPPED;
	rt_puts("triple: still alive\n");
}
