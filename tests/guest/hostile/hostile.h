/* SPDX-License-Identifier: Apache-2.0 */
/* tests/guest/hostile/hostile.h: the hostile-guest test's shared parts. */
#ifndef IGNIS_GUEST_HOSTILE_H
#define IGNIS_GUEST_HOSTILE_H

#include <stdint.h>

#include "check.h"
#include "rt.h"
#include "vio.h"

/*
 * A guest that breaks every rule a virtio driver must follow, one attack at
 * a time, against --disk (slot 0) and --rng (slot 1). Each attack starts
 * from a freshly initialised victim, checks the outcome the spec and
 * ignis's policy (devices/virtio/queue.h) require, then proves that the
 * victim works again after a reset and that the other device never
 * stopped working. One line per attack: "hostile: NAME ok" or
 * "hostile: NAME FAILED WHY".
 */

#define ID_BLK 2
#define ID_RNG 4

/* virtio-blk (5.2). */
#define F_BLK_RO (1ULL << 5)
#define F_BLK_FLUSH (1ULL << 9)
#define F_BLK_DISCARD (1ULL << 13)
#define T_IN 0
#define T_OUT 1
#define T_FLUSH 4
#define T_GET_ID 8
#define T_DISCARD 11
#define S_OK 0
#define S_IOERR 1
#define S_UNSUPP 2

#define QSIZE 128 /* queue size of the good drivers */
#define SHORT_TSC 300000000ULL /* ~0.1 s: "nothing came" */
#define IOAPIC_BASE 0xfec00000ULL

struct blk_hdr {
	uint32_t type;
	uint32_t ioprio;
	uint64_t sector;
};

/* One device under test and its queue 0 while it is up. */
struct hdev {
	struct vio_dev d; /* registers, name, negotiated features */
	struct vio_queue q; /* queue 0 */
	struct vio_ring *ring; /* its rings */
	uint32_t id; /* ID_BLK or ID_RNG */
	const char *tag; /* "blk" / "rng": prefix of attack names */
};

extern struct hdev blk, rng;
extern uint64_t ram_end; /* end of the RAM range that holds 1 MiB */
extern uint64_t scratch; /* free RAM after the image, 16 MiB of it */
extern uint64_t capacity; /* blk sectors */

/* Byte (off) of the disk image the host made (test_hostile.c). */
static inline uint8_t pattern(uint64_t off)
{
	return (uint8_t)(off * 7 + (off >> 9) + 1);
}

static inline void fence(void)
{
	__asm__ volatile("mfence" ::: "memory");
}

/* The other device of (h). */
struct hdev *other(struct hdev *h);

/* Reset, ACKNOWLEDGE, DRIVER, accept (features) & offered | VERSION_1,
 * FEATURES_OK: 0 or -1 (silent). */
int to_features_ok(struct hdev *h, uint64_t features);
/* to_features_ok(), queue 0 of (size) on h->ring, DRIVER_OK: 0 or -1. */
int up(struct hdev *h, uint64_t features, uint16_t size);
/* Programs queue 0 raw: QueueNum, the three rings, QueueReady. */
void queue_raw(struct hdev *h, uint32_t size, uint64_t desc, uint64_t avail,
	       uint64_t used, uint32_t ready);
/* Writes Status and returns what the device then shows. */
uint32_t set_status(struct hdev *h, uint32_t v);

/* Descriptor (i) of h's table. */
void setd(struct hdev *h, uint16_t i, uint64_t addr, uint32_t len,
	  uint16_t flags, uint16_t next);
/* Makes chain (head) available and notifies queue 0. */
void post(struct hdev *h, uint16_t head);
/* Waits for h's next used entry: 0 with (*id, *len), -1 on (tsc) timeout. */

/* The device must show DEVICE_NEEDS_RESET and have raised a configuration
 * change interrupt (2.1.2); fails the attack otherwise. */
void expect_needs_reset(struct hdev *h);
/* The device must still be live: Status exactly 0x0f. */
void expect_live(struct hdev *h);

/* Good I/O on the live queue: sector 0 matches the image / 64 random
 * bytes. 0 or -1 (after fail()). */
int blk_good(void);
int rng_good(void);
int good(struct hdev *h);

/* One blk request of (n) buffers at head 0; waits. Returns 0 with the
 * used length, or -1 (timeout, wrong id; after fail()). */
int blk_chain(const struct vio_buf *b, unsigned int n, uint32_t *used);

/* What byte (off) of the disk holds now: the image, but for the sector
 * the guest legitimately rewrote once blk.c has done so. */
uint8_t disk_byte(uint64_t off);

/* The attacks, by file; each runs its own list. */
void transport_attacks(void);
void ring_attacks(void);
void indirect_attacks(void);
void blk_attacks(void);

/*
 * Runs attack (fn) on (victim) as (name), then checks that the other
 * device still works without a reset and the victim after one (NULL:
 * both after one), and prints the attack's line.
 */
void run(const char *name, struct hdev *victim, void (*fn)(struct hdev *h));
/* run() on blk then rng, as "blk_NAME" and "rng_NAME". */
void run_both(const char *name, void (*fn)(struct hdev *h));

#endif
