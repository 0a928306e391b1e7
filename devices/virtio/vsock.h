/* SPDX-License-Identifier: Apache-2.0 */
/* devices/virtio/vsock.h: virtio socket device on Firecracker's Unix-socket backend (virtio 1.2, 5.10). */
#ifndef IGNIS_VSOCK_H
#define IGNIS_VSOCK_H

#include <stdint.h>

#include "devices/virtio/device.h"
#include "vmm/gmem.h"

#define VSOCK_DEVICE_ID		19	/* socket device (5.10.1) */
#define VSOCK_NR_QUEUES		3	/* rx, tx, event (5.10.2) */
#define VSOCK_QUEUE_SIZE	256	/* max_queue_size of each */
/*
 * Connections at once, by default. Each holds one fixed file of the
 * device's ring, whose table the kernel bounds by RLIMIT_NOFILE (1024 by
 * default): 1000 leaves room for the runtime's slots. Firecracker has
 * 1023.
 */
#define VSOCK_MAX_CONNS		1000
/* uds_path's longest: "<uds_path>_<port>" must fit sun_path (108). */
#define VSOCK_PATH_MAX		96

/* What the VMM asks for; read only during vsock_create(). */
struct vsock_params {
	uint64_t cid;		/* the guest's CID: 3 .. 0xfffffffe */
	const char *uds_path;	/* Firecracker's uds_path */
	unsigned int max_conns;	/* 0: VSOCK_MAX_CONNS; at most 1023 */
};

/*
 * Creates a virtio-vsock device over guest RAM (mem) whose QueueNotify for
 * queue q arrives on eventfd (kick_fds)[q], q < VSOCK_NR_QUEUES (not
 * owned; open while the device lives), with Firecracker's backend
 * (docs/vsock.md): on the calling (unjailed) thread it binds and listens
 * on (p->uds_path), so a path that exists (Firecracker refuses it too:
 * -EADDRINUSE) or cannot be bound fails here, logged. A host process
 * connects there and writes "CONNECT <port>\n" to reach guest port
 * <port>; it reads "OK <local port>\n" once the guest accepted. A guest
 * connection to host port P is forwarded to "<uds_path>_P". Every
 * socket operation after the listen runs on the device's worker thread
 * ("virtio-vsock", JAIL_VSOCK, created here with its io_uring ring),
 * from DRIVER_OK to reset, on that ring. The table holds (p->max_conns)
 * connections, fewer if RLIMIT_NOFILE is lower. Returns 0, -EINVAL (a
 * reserved CID, a path too long or empty), -ENOMEM or the socket's or
 * the worker's -errno. Main thread.
 */
int vsock_create(const struct gmem *mem, const int *kick_fds,
		 const struct vsock_params *p, struct vdev **out);

/* Ends the worker (closing every connection if it serves), closes the
 * listener, removes the socket file it made (unless something else took
 * its name since) and frees (d). Accepts NULL. After vmmio_destroy() of
 * its transport. */
void vsock_destroy(struct vdev *d);

#endif
