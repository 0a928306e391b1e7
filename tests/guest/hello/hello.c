// SPDX-License-Identifier: Apache-2.0
/* tests/guest/hello/hello.c: prints one line and resets the VM. */
#include "rt.h"

void guest_main(unsigned int proto, uint64_t info)
{
	rt_puts("Hello from an ignis guest!\n");
}
