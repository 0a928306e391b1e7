/* SPDX-License-Identifier: Apache-2.0 */
/* devices/virtio/net.h: virtio network device on a tap (virtio 1.2, 5.1). */
#ifndef IGNIS_NET_H
#define IGNIS_NET_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/virtio/device.h"
#include "vmm/gmem.h"

#define NET_DEVICE_ID	1	/* virtio network device (5.1.1) */
#define NET_NR_QUEUES	2	/* receiveq1 (0), transmitq1 (1) */
#define NET_QUEUE_SIZE	256	/* max_queue_size of each queue */
#define NET_MAC_LEN	6
/* struct virtio_net_hdr_mrg_rxbuf: with VERSION_1 every frame on either
 * queue starts with this 12-byte header (5.1.6). */
#define NET_HDR_LEN	12
/* Largest frame either way: a 64 KiB GSO packet plus its Ethernet
 * header, as Linux's and Firecracker's 65562-byte buffers assume. */
#define NET_FRAME_MAX	(65536 + 14)
#define NET_BUF_MAX	(NET_HDR_LEN + NET_FRAME_MAX)	/* 65562 */

/* What the VMM asks for; read only during net_create(). */
struct net_params {
	const char *tap;		/* tap interface name (IFNAMSIZ - 1 max) */
	uint8_t mac[NET_MAC_LEN];	/* the guest's MAC, in config */
	bool has_mac;			/* false: VIRTIO_NET_F_MAC not offered */
};

/*
 * Creates a virtio-net device over guest RAM (mem) whose QueueNotify for
 * queue q arrives on eventfd (kick_fds)[q], q < NET_NR_QUEUES (not owned;
 * open while the device lives). Attaches to tap (p->tap) now, on the
 * calling (unjailed) thread: /dev/net/tun with IFF_TAP | IFF_NO_PI |
 * IFF_VNET_HDR, so a missing or busy tap fails here with a clear -errno.
 * The tap name must be 1..IFNAMSIZ - 1 characters without '%' (-EINVAL).
 * The datapath runs on the device's worker thread ("vnet-<tap>",
 * JAIL_NET), created here with its ring, from DRIVER_OK to reset; that
 * thread also sets the tap's offloads (ioctl TUNSETOFFLOAD) to what the
 * driver accepted, and back to none at reset. Returns 0, -EINVAL,
 * -ENOMEM or the tap's or the worker's -errno. Main thread.
 */
int net_create(const struct gmem *mem, const int *kick_fds,
	       const struct net_params *p, struct vdev **out);

/* Ends the worker (draining it if it serves), closes the tap and frees
 * (d). Accepts NULL. After vmmio_destroy() of its transport. */
void net_destroy(struct vdev *d);

#endif
