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

/* libFuzzer's entry point, declared for -Wmissing-prototypes. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
