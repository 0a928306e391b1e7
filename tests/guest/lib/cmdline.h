/* SPDX-License-Identifier: Apache-2.0 */
/* tests/guest/lib/cmdline.h: the PVH command line, read by test guests. */
#ifndef IGNIS_GUEST_CMDLINE_H
#define IGNIS_GUEST_CMDLINE_H

#include <stdint.h>

/*
 * Words are separated by single or repeated spaces; no quoting. The
 * command line is the VMM's (ignis's --cmdline plus its own
 * virtio_mmio.device= words, or QEMU's -append plus its words).
 */

/*
 * The command line of a PVH boot ((proto) RT_BOOT_PVH, (info) the
 * hvm_start_info: cmdline_paddr is at offset 24), or NULL for other boot
 * protocols, no command line, or one the guest cannot reach.
 */
const char *cmdline_get(unsigned int proto, uint64_t info);

/* Whether (cmdline) holds the word (w). NULL (cmdline) holds nothing. */
int cmdline_has(const char *cmdline, const char *w);

/*
 * The value of the (n)th word (from 0) that starts with (key), say
 * "virtio_mmio.device=": a pointer just past the key, up to the next space
 * or NUL; NULL if there are fewer such words.
 */
const char *cmdline_value(const char *cmdline, const char *key, unsigned int n);

/*
 * Parses an unsigned number at (s): decimal, or hex after 0x, with an
 * optional K/M/G suffix (binary). Sets *end past it when (end) is not
 * NULL (== s when no digit was there). Overflow is not detected.
 */
uint64_t cmdline_num(const char *s, const char **end);

#endif
