// SPDX-License-Identifier: Apache-2.0
/* tests/support/fds.c: open file descriptors, for leak checks. */
#include "support/fds.h"

#include <criterion/criterion.h>
#include <dirent.h>

unsigned int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	unsigned int n = 0;

	cr_assert_not_null(d);
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}
