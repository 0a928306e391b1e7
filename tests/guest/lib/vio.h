/* SPDX-License-Identifier: Apache-2.0 */
/* tests/guest/lib/vio.h: a polling virtio-mmio driver core for test guests. */
#ifndef IGNIS_GUEST_VIO_H
#define IGNIS_GUEST_VIO_H

#include <stdint.h>

/*
 * What every test-guest driver shares: virtio-mmio version 2 (virtio 1.2,
 * 4.2), the initialization sequence of 3.1.1 and split virtqueues (2.7),
 * driven by polling. Test guests run at CPL3 with interrupts off (an
 * interrupt at CPL3 ends the VM on PVM hosts) and every IOAPIC pin masked,
 * so the used rings are polled instead. Memory is identity-mapped:
 * a pointer is a guest-physical address.
 */

#define VIO_SLOT_BASE(n)	(0xd0000000ULL + (n) * 0x1000ULL)  /* ignis */

/* virtio-mmio registers (4.2.2), offsets from a device's base. */
#define VIO_R_MAGIC		0x000
#define VIO_R_VERSION		0x004
#define VIO_R_DEVICE_ID		0x008
#define VIO_R_DEV_FEATURES	0x010
#define VIO_R_DEV_FEATURES_SEL	0x014
#define VIO_R_DRV_FEATURES	0x020
#define VIO_R_DRV_FEATURES_SEL	0x024
#define VIO_R_QUEUE_SEL		0x030
#define VIO_R_QUEUE_NUM_MAX	0x034
#define VIO_R_QUEUE_NUM		0x038
#define VIO_R_QUEUE_READY	0x044
#define VIO_R_QUEUE_NOTIFY	0x050
#define VIO_R_INT_STATUS	0x060
#define VIO_R_INT_ACK		0x064
#define VIO_R_STATUS		0x070
#define VIO_R_QUEUE_DESC_LO	0x080
#define VIO_R_QUEUE_DRIVER_LO	0x090
#define VIO_R_QUEUE_DEVICE_LO	0x0a0
#define VIO_R_SHM_LEN_LO	0x0b0
#define VIO_R_CONFIG_GEN	0x0fc
#define VIO_R_CONFIG		0x100

#define VIO_MAGIC		0x74726976	/* "virt" */
#define VIO_INT_CONFIG		0x2	/* InterruptStatus: config change */
#define VIO_QMAX		256	/* largest queue a guest sets up */

/* Device status bits (2.1). */
#define VIO_S_ACKNOWLEDGE	0x01
#define VIO_S_DRIVER		0x02
#define VIO_S_DRIVER_OK		0x04
#define VIO_S_FEATURES_OK	0x08
#define VIO_S_NEEDS_RESET	0x40
#define VIO_S_FAILED		0x80

#define VIO_F_VERSION_1		(1ULL << 32)
#define VIO_F_INDIRECT_DESC	(1ULL << 28)
#define VIO_F_EVENT_IDX		(1ULL << 29)

#define VIO_DESC_F_NEXT		1
#define VIO_DESC_F_WRITE	2
#define VIO_DESC_F_INDIRECT	4

/* ~2 s at up to 3 GHz TSC: a device that never answers. */
#define VIO_POLL_TSC		6000000000ULL

struct vio_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

/* The rings of one queue, laid out as 2.7 requires (used 4-aligned). */
struct vio_ring {
	struct vio_desc desc[VIO_QMAX] __attribute__((aligned(16)));
	struct {
		uint16_t flags;
		uint16_t idx;
		uint16_t ring[VIO_QMAX];
		uint16_t used_event;
	} avail __attribute__((aligned(2)));
	struct {
		uint16_t flags;
		uint16_t idx;
		struct {
			uint32_t id;
			uint32_t len;
		} ring[VIO_QMAX];
		uint16_t avail_event;
	} used __attribute__((aligned(4)));
};

/* One device, and what its guest driver prints as "NAME: ...". */
struct vio_dev {
	uint64_t base;		/* MMIO registers */
	const char *name;	/* prefix of every line */
	uint64_t features;	/* negotiated */
};

/* One queue the driver set up. */
struct vio_queue {
	struct vio_ring *r;	/* its rings */
	uint16_t size;		/* entries */
	uint16_t index;		/* queue number for QueueNotify */
	uint16_t avail_idx;	/* next avail idx to publish */
	uint16_t used_seen;	/* used entries consumed */
};

/* One buffer of a chain. */
struct vio_buf {
	const void *addr;
	uint32_t len;
	uint16_t flags;		/* VIO_DESC_F_WRITE or 0 */
};

uint32_t vio_read32(const struct vio_dev *d, uint32_t off);
void vio_write32(const struct vio_dev *d, uint32_t off, uint32_t v);
/* Device configuration space, (off) from its start (0x100). */
uint32_t vio_config32(const struct vio_dev *d, uint32_t off);

/* Prints "NAME: WHAT" and a newline; with a number "NAME: WHAT 0xHH"
 * (its low byte: status registers and bytes) or "NAME: WHAT DEC". */
void vio_say(const struct vio_dev *d, const char *what);
void vio_say_hex(const struct vio_dev *d, const char *what, uint64_t v);
void vio_say_dec(const struct vio_dev *d, const char *what, uint64_t v);

/* Whether a version-2 device of type (id) answers at (base), quietly. */
int vio_is_device(uint64_t base, uint32_t id);

/*
 * Checks for a version-2 device of type (id) at (base): 0, or -1 after
 * printing "NAME: no device" (nothing there) or "NAME: unexpected ...".
 */
int vio_probe(struct vio_dev *d, uint64_t base, uint32_t id, const char *name);

/*
 * Reset, ACKNOWLEDGE, DRIVER, then accepts (want) & offered (VERSION_1
 * required) and sets FEATURES_OK: 0, or -1 after failing the device. The
 * offer is printed as "NAME: features HEX".
 */
int vio_negotiate(struct vio_dev *d, uint64_t want);

/*
 * vio_negotiate() without a word and without insisting on VERSION_1, for
 * guests that judge the device's answers themselves: reset, ACKNOWLEDGE,
 * DRIVER, (want) & offered | VERSION_1, FEATURES_OK. 0 when the device
 * then shows exactly those three bits, else -1 (a reset that did not
 * take stops there); what Status then shows goes to (*status) if
 * (status) is not NULL.
 */
int vio_negotiate_quiet(struct vio_dev *d, uint64_t want, uint32_t *status);

/* Sets up queue (index) of (size) entries on rings (r). 0 or -1. */
int vio_queue_setup(struct vio_dev *d, struct vio_queue *q, uint16_t index,
		    uint16_t size, struct vio_ring *r);

/* DRIVER_OK, then checks the device took it: 0 or -1. */
int vio_driver_ok(struct vio_dev *d);

/* Writes the chain of (n) buffers at descriptors head.. head+n-1 and makes
 * it available; does not notify. */
void vio_add(struct vio_queue *q, uint16_t head, const struct vio_buf *b,
	     unsigned int n);

/* QueueNotify for (q). */
void vio_notify(const struct vio_dev *d, const struct vio_queue *q);

/* Waits for the next used entry: 0 with (*id, *len), -1 after (tsc)
 * ticks (vio_wait: VIO_POLL_TSC). */
int vio_wait_tsc(struct vio_queue *q, uint64_t tsc, uint32_t *id,
		 uint32_t *len);
int vio_wait(struct vio_queue *q, uint32_t *id, uint32_t *len);

/* Acknowledges whatever interrupt the device raised (pins are masked). */
void vio_ack_irq(const struct vio_dev *d);

/* Sets FAILED (3.1.1) after printing "NAME: WHY", then resets. */
void vio_fail(struct vio_dev *d, const char *why);

/* The Status register. */
uint32_t vio_status(const struct vio_dev *d);

/* Status 0. */
void vio_reset(struct vio_dev *d);

#endif
