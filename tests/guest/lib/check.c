// SPDX-License-Identifier: Apache-2.0
/* tests/guest/lib/check.c: one line per check, its first failure the why. */
#include "check.h"

#include "rt.h"

/* The check running now: its first failure, if any. */
static const char *why;
static uint64_t why_v;
static int why_has_v;
static unsigned int nr_ok, nr_failed;

void fail(const char *what)
{
	if (!why) {
		why = what;
		why_has_v = 0;
	}
}

void fail_hex(const char *what, uint64_t v)
{
	if (!why) {
		why = what;
		why_v = v;
		why_has_v = 1;
	}
}

int failed(void)
{
	return why != 0;
}

void check_start(void)
{
	why = 0;
}

void check_end(const char *guest, const char *name)
{
	rt_puts(guest);
	rt_puts(": ");
	rt_puts(name);
	if (!why) {
		rt_puts(" ok\n");
		nr_ok++;
		return;
	}
	rt_puts(" FAILED ");
	rt_puts(why);
	if (why_has_v) {
		rt_puts(" 0x");
		rt_put_hex(why_v, 0);
	}
	rt_putc('\n');
	nr_failed++;
}

void check_summary(const char *guest)
{
	rt_puts(guest);
	rt_puts(": done ");
	rt_put_dec(nr_ok);
	rt_puts(" ok ");
	rt_put_dec(nr_failed);
	rt_puts(" failed\n");
}
