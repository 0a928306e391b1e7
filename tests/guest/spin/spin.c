// SPDX-License-Identifier: Apache-2.0
/* tests/guest/spin/spin.c: prints a line, then spins at CPL3 for ever. */
#include "rt.h"

void guest_main(unsigned int proto, uint64_t info)
{
	rt_puts("spin: spinning\n");
	/* No exits at all from here on: only a signal to the VMM ends it. */
	for (;;)
		__asm__ volatile("pause");
}
