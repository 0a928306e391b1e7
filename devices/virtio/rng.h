/* SPDX-License-Identifier: Apache-2.0 */
/* devices/virtio/rng.h: virtio entropy device (virtio 1.2, 5.4). */
#ifndef IGNIS_RNG_H
#define IGNIS_RNG_H

#include "devices/virtio/device.h"
#include "vmm/gmem.h"

#define RNG_DEVICE_ID 4 /* virtio entropy device (5.4.1) */
#define RNG_QUEUE_SIZE 256 /* max_queue_size of "requestq" */
/* Chains answered per on_kick call before yielding to the worker loop. */
#define RNG_BUDGET 64
/*
 * Bytes of entropy put into one chain at most; the rest of its writable
 * space is left untouched. Bounds the getrandom() work per chain, which
 * the spec allows: "the device MUST place one or more random bytes into
 * the buffer, but it MAY use less than the entire buffer length" (5.4.6.1).
 */
#define RNG_MAX_CHAIN_BYTES (64u * 1024)

/*
 * Creates a virtio-rng device with one queue (requestq) over guest RAM
 * (mem), whose QueueNotify for queue 0 arrives on eventfd (kick_fds)[0]
 * (the VMM's KVM ioeventfd; not owned, must stay open while the device
 * lives). The device offers no features of its own and has no
 * configuration. Entropy comes from getrandom(2) on the device's worker
 * thread (JAIL_RNG), created here with its ring, idle until activate
 * and again from reset. Hand (*out) to vmmio_create(). Returns 0,
 * -EINVAL, -ENOMEM or worker_create()'s -errno. Main thread.
 */
int rng_create(const struct gmem *mem, const int *kick_fds, struct vdev **out);

/* Ends the worker (draining it if it serves), then frees (d). Accepts NULL. After
 * vmmio_destroy() of its transport; not from the worker thread. */
void rng_destroy(struct vdev *d);

#endif
