/* SPDX-License-Identifier: Apache-2.0 */
/* tests/support/need_io_uring.h: skip a test where io_uring cannot be had. */
#ifndef IGNIS_TEST_NEED_IO_URING_H
#define IGNIS_TEST_NEED_IO_URING_H

/* Skips the calling Criterion test (cr_skip_test) when the kernel has no
 * io_uring or forbids it (ENOSYS, EPERM); fails it on any other error. */
void need_io_uring(void);

#endif
