/* SPDX-License-Identifier: Apache-2.0 */
/* tests/integration/blk_image.h: the disk image the virtio_blk guest reads. */
#ifndef IGNIS_TEST_BLK_IMAGE_H
#define IGNIS_TEST_BLK_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#define BLK_IMAGE_SIZE	(1u << 20)	/* 2048 sectors */

/* A temporary image of BLK_IMAGE_SIZE known bytes, also copied to (copy);
 * returns its path (malloc'd; the caller unlinks and frees it). */
char *blk_image_make(uint8_t *copy);

/* The line the virtio_blk guest prints for (len) bytes of (data): their
 * FNV-1a 64, into (line) of (n) bytes. */
void blk_image_fnv_line(const uint8_t *data, size_t len, char *line, size_t n);

#endif
