/* SPDX-License-Identifier: Apache-2.0 */
/* tests/fuzz/fuzz.h: what the libFuzzer targets share. */
#ifndef IGNIS_FUZZ_H
#define IGNIS_FUZZ_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/*
 * An invariant the code under test broke: say which, then abort(), which
 * libFuzzer reports as a crash and saves the input for (crash-<sha1>).
 * Not assert(): it must hold in every build type.
 */
#define FUZZ_CHECK(cond, ...)                                              \
	do {                                                               \
		if (!(cond)) {                                             \
			fprintf(stderr,                                    \
				"%s:%d: invariant broken: %s: ", __FILE__, \
				__LINE__, #cond);                          \
			fprintf(stderr, __VA_ARGS__);                      \
			fputc('\n', stderr);                               \
			abort();                                           \
		}                                                          \
	} while (0)

/*
 * With IGNIS_FUZZ_TRACE set in the environment, the device targets say
 * what each operation of an input did: for reading a finding or checking
 * that a seed reaches what it was written for. Off, it costs one test.
 */
static inline int fuzz_tracing(void)
{
	static int on = -1;

	if (on < 0)
		on = getenv("IGNIS_FUZZ_TRACE") != NULL;
	return on;
}

#define FUZZ_TRACE(...)                                                    \
	do {                                                               \
		if (fuzz_tracing()) {                                      \
			fprintf(stderr, __VA_ARGS__);                      \
			fputc('\n', stderr);                               \
		}                                                          \
	} while (0)

/*
 * For a checker's function in a target whose own file is compiled with
 * coverage (fuzz_net_hdr.c includes net.c): its comparisons, traced, are
 * the checker's and cost most of the time. noinline, or the body inlined
 * into an instrumented caller would be traced after all.
 */
#define FUZZ_UNTRACED __attribute__((no_sanitize("coverage"), noinline))

/* libFuzzer's entry point, declared for -Wmissing-prototypes. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
