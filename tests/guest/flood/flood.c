// SPDX-License-Identifier: Apache-2.0
/* tests/guest/flood/flood.c: writes to the console forever, for stop tests
 * with a reader that never reads. */
#include "rt.h"

void guest_main(unsigned int proto, uint64_t info)
{
	for (;;)
		rt_puts("flood: the quick brown fox jumps over the lazy dog\n");
}
