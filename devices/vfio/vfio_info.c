// SPDX-License-Identifier: Apache-2.0
/* devices/vfio/vfio_info.c: VFIO info queries and their capability chains. */
#include "devices/vfio/vfio_info.h"

#include <errno.h>
#include <linux/vfio.h>
#include <stdlib.h>
#include <string.h>

/* Each answer may grow the buffer once (caps added between two calls
 * are possible: a device region added by a driver); more is a loop. */
#define VFIO_INFO_TRIES 4

int vfio_info_get(const struct vfio_sys *sys, int fd, unsigned long request,
		  const void *tmpl, size_t minsz, void **out, size_t *len)
{
	size_t size = minsz;
	uint32_t argsz;
	void *buf = NULL;
	int ret;

	if (minsz < sizeof(argsz) || minsz > VFIO_INFO_MAX)
		return -EINVAL;
	for (int i = 0; i < VFIO_INFO_TRIES; i++) {
		void *nbuf = realloc(buf, size);

		if (!nbuf) {
			ret = -ENOMEM;
			goto err_free;
		}
		buf = nbuf;
		memset(buf, 0, size);
		memcpy(buf, tmpl, minsz);
		argsz = (uint32_t)size;
		memcpy(buf, &argsz, sizeof(argsz)); /* argsz comes first */
		ret = vfio_sys_ioctl_ptr(sys, fd, request, buf);
		if (ret < 0)
			goto err_free;
		memcpy(&argsz, buf, sizeof(argsz));
		if (argsz <= size) {
			*out = buf;
			*len = size;
			return 0;
		}
		if (argsz > VFIO_INFO_MAX)
			break;
		size = argsz;
	}
	ret = -EPROTO;
err_free:
	free(buf);
	return ret;
}

int vfio_info_find_cap(const void *buf, size_t len, uint32_t first, uint16_t id,
		       size_t min_size)
{
	const unsigned char *p = buf;
	size_t off = first;
	struct vfio_info_cap_header h;

	if (min_size < sizeof(h))
		min_size = sizeof(h);
	while (off) {
		if (off > len || len - off < sizeof(h))
			return -EPROTO;
		memcpy(&h, p + off, sizeof(h)); /* buf may be unaligned */
		if (h.id == id) {
			if (len - off < min_size || off > INT32_MAX)
				return -EPROTO;
			return (int)off;
		}
		/* Strictly forward: no loop, whatever the chain says. */
		if (h.next && h.next < off + sizeof(h))
			return -EPROTO;
		off = h.next;
	}
	return 0;
}
