// SPDX-License-Identifier: Apache-2.0
/* tests/support/tmpfile.c: scratch files for tests. */
#include "tmpfile.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

char *tmpfile_with(const void *data, size_t len)
{
	char *path = strdup("/tmp/ignis-test-XXXXXX");
	const char *p = data;
	int fd;

	if (!path)
		return NULL;
	fd = mkstemp(path);
	if (fd < 0)
		goto err_free;
	while (len) {
		ssize_t n = write(fd, p, len);

		if (n <= 0)
			goto err_unlink;
		p += n;
		len -= (size_t)n;
	}
	close(fd);
	return path;

err_unlink:
	close(fd);
	unlink(path);
err_free:
	free(path);
	return NULL;
}
