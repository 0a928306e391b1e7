/* SPDX-License-Identifier: Apache-2.0 */
/* devices/virtio/blk.h: virtio block device on a raw image (virtio 1.2, 5.2). */
#ifndef IGNIS_BLK_H
#define IGNIS_BLK_H

#include <stdbool.h>
#include <stddef.h>

#include "devices/virtio/device.h"
#include "vmm/gmem.h"

#define BLK_DEVICE_ID	2	/* virtio block device (5.2.1) */
#define BLK_QUEUE_SIZE	256	/* max_queue_size of requestq */

/* What the VMM asks for; read only during blk_create(). */
struct blk_params {
	const char *path;	/* raw image */
	const char *id;		/* GET_ID string (<= 20 bytes used); NULL:
				 * derived from the image's device/inode */
	bool read_only;		/* open O_RDONLY, offer VIRTIO_BLK_F_RO */
	bool direct;		/* O_DIRECT: bypass the host page cache */
	unsigned int index;	/* names the thread "virtio-blkN" */
};

/*
 * Creates a virtio-blk device with one queue over guest RAM (mem) whose
 * QueueNotify arrives on eventfd (kick_fds)[0] (not owned). Opens and
 * sizes the image now, on the calling (unjailed) thread, so a missing,
 * unreadable or empty image fails here with its -errno. Creates the
 * device's worker thread and its io_uring ring now too; requests run
 * there from DRIVER_OK to reset. Returns 0 or -errno. Main thread.
 */
int blk_create(const struct gmem *mem, const int *kick_fds,
	       const struct blk_params *p, struct vdev **out);

/*
 * Puts the image at (path) under the disk (d), whether its driver is up
 * or not (Firecracker's PATCH /drives/{id}), opened as the first was
 * (read-only, O_DIRECT): requests from then on read and write it, the
 * driver gets the new capacity and a configuration change interrupt. Requests in flight finish on the old
 * image, which is then closed. Returns once done: 0, or -errno with the
 * reason in (why) and nothing changed. VMM thread, one call at a time.
 */
int blk_update_image(struct vdev *d, const char *path, char *why,
		     size_t len);

/* Ends the worker (draining it if it serves), closes the image and frees
 * (d). Accepts NULL. After vmmio_destroy() of its transport. */
void blk_destroy(struct vdev *d);

#endif
