// SPDX-License-Identifier: Apache-2.0
/* tests/integration/blk_image.c: the disk image the virtio_blk guest reads. */
#include "blk_image.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "support/tmpfile.h"

char *blk_image_make(uint8_t *copy)
{
	uint8_t *data = malloc(BLK_IMAGE_SIZE);
	char *path;

	cr_assert_not_null(data);
	for (uint32_t i = 0; i < BLK_IMAGE_SIZE; i++)
		data[i] = (uint8_t)(i * 7 + (i >> 9) + 1);
	path = tmpfile_with(data, BLK_IMAGE_SIZE);
	cr_assert_not_null(path);
	memcpy(copy, data, BLK_IMAGE_SIZE);
	free(data);
	return path;
}

void blk_image_fnv_line(const uint8_t *data, size_t len, char *line, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < len; i++) {
		h ^= data[i];
		h *= 0x100000001b3ULL;
	}
	snprintf(line, n, "virtio_blk: fnv1a %016llx", (unsigned long long)h);
}
