/* SPDX-License-Identifier: Apache-2.0 */
/* devices/vfio/vfio_info.h: VFIO info queries and their capability chains. */
#ifndef IGNIS_VFIO_INFO_H
#define IGNIS_VFIO_INFO_H

#include <stddef.h>
#include <stdint.h>

#include "devices/vfio/vfio_sys.h"

/*
 * VFIO's GET_INFO ioctls (container, device region) answer a fixed
 * struct and, after it, a chain of capabilities (struct
 * vfio_info_cap_header: id, version, next = offset from the start of the
 * buffer, 0 ends it). When the caller's argsz is too small for the
 * chain, the kernel sets the flag for capabilities, raises argsz to what
 * it needs and leaves cap_offset 0 (vfio_iommu_type1_get_info(),
 * vfio_pci_ioctl_get_region_info()): the caller asks again with a
 * bigger buffer. The chain is the kernel's, but ignis walks it as
 * untrusted input anyway: a walk that loops or runs past the buffer on
 * a buggy (or fake) kernel must not hang or overread.
 */

#define VFIO_INFO_MAX 65536 /* the largest info buffer accepted */

/*
 * Issues (request) on (fd) with a buffer starting with (tmpl) of (minsz)
 * bytes (argsz is set here; the input fields, such as a region's index,
 * come from tmpl), and again with the size the kernel asks for until it
 * fits (at most VFIO_INFO_MAX). On 0, (*out) is a malloc'd buffer of
 * (*len) bytes (>= minsz) the caller frees. -errno from the ioctl,
 * -ENOMEM, or -EPROTO when the kernel keeps asking for more.
 */
int vfio_info_get(const struct vfio_sys *sys, int fd, unsigned long request,
		  const void *tmpl, size_t minsz, void **out, size_t *len);

/*
 * Finds capability (id) in the chain of (buf, len) starting at (first)
 * (0: no chain), and checks that (min_size) bytes of it lie in the
 * buffer. Forward only: each next must point past the current header,
 * so the walk ends within len / 8 steps. Returns the capability's
 * offset (> 0), 0 when absent, -EPROTO when the chain is malformed (a
 * next pointing backwards or out of the buffer, a capability cut
 * short).
 */
int vfio_info_find_cap(const void *buf, size_t len, uint32_t first, uint16_t id,
		       size_t min_size);

#endif
