/* SPDX-License-Identifier: Apache-2.0 */
/* tests/guest/lib/check.h: one line per check, its first failure the why. */
#ifndef IGNIS_GUEST_CHECK_H
#define IGNIS_GUEST_CHECK_H

#include <stdint.h>

/*
 * For guests that run many small checks, each ending in one line the
 * host matches: "GUEST: NAME ok" or "GUEST: NAME FAILED WHY [0xV]", then
 * "GUEST: done N ok M failed". A check calls fail() wherever it finds
 * something wrong and goes on or returns as it likes: only the first
 * failure is printed, the rest usually following from it. The short
 * names are the checks' vocabulary: they are called everywhere.
 */

/* The check running now fails with (what) [and (v)], unless it already
 * failed. */
void fail(const char *what);
void fail_hex(const char *what, uint64_t v);
/* Whether the check running now has failed. */
int failed(void);

/* Starts a check: forgets the last one's failure. */
void check_start(void);

/* Ends the check started last: prints "GUEST: NAME ok" or "GUEST: NAME
 * FAILED WHY [0xV]" for (guest) and (name), and counts it. */
void check_end(const char *guest, const char *name);

/* "GUEST: done N ok M failed": the counts since boot. */
void check_summary(const char *guest);

#endif
