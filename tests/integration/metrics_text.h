/* SPDX-License-Identifier: Apache-2.0 */
/* tests/integration/metrics_text.h: reading ignis's metrics lines (Firecracker's JSON) back in tests. */
#ifndef IGNIS_TEST_METRICS_TEXT_H
#define IGNIS_TEST_METRICS_TEXT_H

/* The whole of the file at (path), NUL-terminated and malloc'd ("" if it
 * is missing). */
char *metrics_text_read(const char *path);

/* The sum over every line of (text) of "(group)": {... "(field)": N ...}:
 * what the flushes counted in all (each line holds what changed since the
 * one before). */
unsigned long long metrics_text_sum(const char *text, const char *group,
				    const char *field);

#endif
