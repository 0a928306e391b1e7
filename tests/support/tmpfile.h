/* SPDX-License-Identifier: Apache-2.0 */
/* tests/support/tmpfile.h: scratch files for tests. */
#ifndef IGNIS_TEST_TMPFILE_H
#define IGNIS_TEST_TMPFILE_H

#include <stddef.h>

/* Writes (len) bytes of (data) to a new temporary file and returns its path
 * (malloc'd; the caller unlinks and frees it), or NULL. */
char *tmpfile_with(const void *data, size_t len);

#endif
