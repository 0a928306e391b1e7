// SPDX-License-Identifier: Apache-2.0
/* tests/support/need_io_uring.c: skip a test where io_uring cannot be had. */
#include "need_io_uring.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <liburing.h>
#include <string.h>

void need_io_uring(void)
{
	struct io_uring ring;
	int ret = io_uring_queue_init(2, &ring, IORING_SETUP_R_DISABLED);

	if (ret == -ENOSYS || ret == -EPERM)
		cr_skip_test("io_uring unavailable: %s", strerror(-ret));
	cr_assert_eq(ret, 0, "io_uring_queue_init: %s", strerror(-ret));
	io_uring_queue_exit(&ring);
}
