/* SPDX-License-Identifier: Apache-2.0 */
/* tests/support/fds.h: open file descriptors, for leak checks. */
#ifndef IGNIS_TEST_FDS_H
#define IGNIS_TEST_FDS_H

/* Entries in /proc/self/fd now (the directory's own fd and . .. included:
 * compare two counts, never one with a constant). */
unsigned int count_fds(void);

#endif
