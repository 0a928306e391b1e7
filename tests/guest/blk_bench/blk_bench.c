// SPDX-License-Identifier: Apache-2.0
/*
 * tests/guest/blk_bench/blk_bench.c: virtio-blk read benchmark guest
 * (benches/blk_bench.sh). Three phases of reads, each bracketed by two
 * lines the host timestamps as they arrive on the serial console:
 *
 *   lat   4 KiB reads one at a time (queue depth 1): notify -> used
 *   rand  4 KiB reads at random 4 KiB-aligned offsets, depth 32
 *   seq   128 KiB reads in disk order, depth 8 (wrapping at the end)
 *
 * Each phase prints "blk_bench: NAME go" before its first request and
 * "blk_bench: NAME end" after its last completion, then a summary line
 * "blk_bench: NAME n N errors E bad B kicks K tsc T". The figures come
 * from the host's clock between "go" and "end", not from the TSC: this
 * guest runs at CPL3 and cannot learn its TSC frequency here (CPUID at
 * CPL3 reports the host's leaves on PVM, and QEMU and ignis differ in
 * what they expose). T, the phase's TSC delta, is printed for a cross
 * check. The "end" line's own serial exits (about 20 bytes) are inside
 * the timed span: under 0.1% of a phase.
 *
 * Optional command-line words: lat=N rand=N seq=N (requests per phase).
 * The device is the first virtio-blk found among the command line's
 * virtio_mmio.device=SIZE@ADDR:IRQ words (QEMU microvm with acpi=off,
 * and ignis, announce theirs so), else ignis's first slot.
 *
 * The image is expected to hold, in the first 8 bytes of every 4 KiB
 * block, the block's number (benches/blk_host make): every completed read
 * is checked for it in its first and last block ("bad"; a read that wrote
 * nothing leaves the slot's previous, different block numbers), and for
 * status OK and the used length ("errors"). Interrupts are suppressed (VRING_AVAIL_F_NO_INTERRUPT) and
 * the used ring polled; a notification is skipped while the device says
 * VRING_USED_F_NO_NOTIFY (2.7.10, 2.7.7.2). One notification at most per
 * refill pass ("kicks").
 */
#include "blk_phases.h"
#include "cmdline.h"
#include "rt.h"
#include "vio.h"

#define ID_BLK		2
#define QSIZE		256
#define MAX_DEPTH	BLK_MAX_DEPTH
#define DESC_PER_REQ	3	/* header, data, status */

#define T_IN		0
#define S_OK		0

#define AVAIL_F_NO_INTERRUPT	1	/* VRING_AVAIL_F_NO_INTERRUPT */
#define USED_F_NO_NOTIFY	1	/* VRING_USED_F_NO_NOTIFY */

#define BLOCK		BLK_BLOCK	/* bytes; the unit of offsets */
#define SECTORS_PER_BLOCK	(BLOCK / 512)
#define MMIO_LO		0xc0000000ULL	/* rt maps [3 GiB, 4 GiB) uncached */
#define MMIO_HI		0x100000000ULL

struct blk_hdr {
	uint32_t type;
	uint32_t ioprio;
	uint64_t sector;
};

/* One request slot's driver-side memory: a line of its own, so the
 * device's status write does not share a line with another slot. */
struct slot_mem {
	struct blk_hdr hdr;	/* device-readable */
	uint8_t status;		/* device-writable */
} __attribute__((aligned(64)));

/* One phase's progress. */
struct run {
	const struct blk_phase *p;
	uint64_t issued;	/* requests made available */
	uint64_t done;		/* requests completed */
	uint64_t errors;	/* status not OK, or wrong used length */
	uint64_t bad;		/* data not what the image holds */
	uint64_t kicks;		/* QueueNotify writes */
	uint64_t rng;		/* xorshift64 state */
	uint64_t next;		/* next block, sequential */
	uint64_t nblocks;	/* 4 KiB blocks on the disk */
	uint64_t expect[MAX_DEPTH];	/* first block of each slot's read */
};

static struct vio_ring ring;
static struct slot_mem slots[MAX_DEPTH];
static uint8_t *bufs;	/* data buffers, past the image */

/* A command-line word "NAME=N" overrides a phase's count. */
static struct blk_phase phases[] = BLK_PHASES_DEFAULT;

static inline void barrier(void)
{
	__asm__ volatile("" ::: "memory");
}


/* Whether a version-2 virtio-blk answers at (base), quietly. */
static int is_blk(uint64_t base)
{
	if (base < MMIO_LO || base >= MMIO_HI || base & 3)
		return 0;
	return vio_is_device(base, ID_BLK);
}

static int find_blk(struct vio_dev *d, const char *cl)
{
	const char *v;

	for (unsigned int n = 0;
	     (v = cmdline_value(cl, "virtio_mmio.device=", n)); n++) {
		uint64_t base;

		while (*v && *v != ' ' && *v != '@')
			v++;
		if (*v != '@')
			continue;
		base = cmdline_num(v + 1, 0);
		if (is_blk(base))
			return vio_probe(d, base, ID_BLK, "blk_bench");
	}
	return vio_probe(d, VIO_SLOT_BASE(0), ID_BLK, "blk_bench");
}

/* The chains never change within a phase: slot s is descriptors
 * 3s..3s+2, data at bufs + s * len. */
static void setup_chains(struct vio_queue *q, const struct blk_phase *p)
{
	for (unsigned int s = 0; s < p->depth; s++) {
		struct vio_desc *dsc = &q->r->desc[s * DESC_PER_REQ];
		uint16_t head = (uint16_t)(s * DESC_PER_REQ);

		slots[s].hdr = (struct blk_hdr){ .type = T_IN };
		dsc[0] = (struct vio_desc){
			(uint64_t)(uintptr_t)&slots[s].hdr,
			sizeof(struct blk_hdr), VIO_DESC_F_NEXT,
			(uint16_t)(head + 1) };
		dsc[1] = (struct vio_desc){
			(uint64_t)(uintptr_t)(bufs + (uint64_t)s * p->len),
			p->len, VIO_DESC_F_WRITE | VIO_DESC_F_NEXT,
			(uint16_t)(head + 2) };
		dsc[2] = (struct vio_desc){
			(uint64_t)(uintptr_t)&slots[s].status, 1,
			VIO_DESC_F_WRITE, 0 };
	}
}

/* Puts slot (s)'s next read in the avail ring; publish() makes it
 * visible. */
static void post(struct vio_queue *q, struct run *r, unsigned int s)
{
	uint64_t b = blk_next_block(r->p, &r->rng, &r->next, r->nblocks);

	r->expect[s] = b;
	slots[s].hdr.sector = b * SECTORS_PER_BLOCK;
	slots[s].status = 0xff;
	q->r->avail.ring[q->avail_idx % q->size] =
		(uint16_t)(s * DESC_PER_REQ);
	q->avail_idx++;
	r->issued++;
}

/* Publishes the avail index and notifies unless the device asked not. */
static void publish(const struct vio_dev *d, struct vio_queue *q,
		    struct run *r)
{
	/* Headers and ring entries before the index (2.7.13): x86 keeps
	 * stores in order, so only the compiler must not reorder. */
	barrier();
	*(volatile uint16_t *)&q->r->avail.idx = q->avail_idx;
	/* The index store before the flags load; pairs with the device's
	 * barrier between clearing NO_NOTIFY and re-reading avail.idx. */
	__asm__ volatile("mfence" ::: "memory");
	if (!(*(volatile uint16_t *)&q->r->used.flags & USED_F_NO_NOTIFY)) {
		vio_notify(d, q);
		r->kicks++;
	}
}

/* Checks the completed read of slot (s), used length (len). */
static void check(struct run *r, unsigned int s, uint32_t len)
{
	const volatile uint64_t *data =
		(const volatile uint64_t *)(bufs + (uint64_t)s * r->p->len);
	uint64_t last = (r->p->len / BLOCK - 1) * (BLOCK / 8);

	if (*(volatile uint8_t *)&slots[s].status != S_OK ||
	    len != r->p->len + 1)
		r->errors++;
	else if (data[0] != r->expect[s] ||
		 data[last] != r->expect[s] + r->p->len / BLOCK - 1)
		r->bad++;
}

static void say_line(const char *name, const char *what)
{
	rt_puts("blk_bench: ");
	rt_puts(name);
	rt_putc(' ');
	rt_puts(what);
	rt_putc('\n');
}

static void say_field(const char *name, uint64_t v)
{
	rt_putc(' ');
	rt_puts(name);
	rt_putc(' ');
	rt_put_dec(v);
}

/* Runs one phase: 0, or -1 on a timeout or a used entry we never made. */
static int run_phase(const struct vio_dev *d, struct vio_queue *q,
		     struct run *r)
{
	const struct blk_phase *p = r->p;
	volatile uint16_t *used_idx = &q->r->used.idx;
	uint64_t t0, idle;
	unsigned int s;

	setup_chains(q, p);
	say_line(p->name, "go");
	t0 = rt_rdtsc();
	for (s = 0; s < p->depth && r->issued < p->count; s++)
		post(q, r, s);
	publish(d, q, r);
	idle = rt_rdtsc();
	while (r->done < p->count) {
		uint16_t end = *used_idx;
		int posted = 0;

		if (end == q->used_seen) {
			if (rt_rdtsc() - idle > VIO_POLL_TSC) {
				say_line(p->name, "timeout");
				return -1;
			}
			__asm__ volatile("pause" ::: "memory");
			continue;
		}
		/* Used entries after the index: loads stay in order on
		 * x86; only the compiler must not hoist them. */
		barrier();
		while (q->used_seen != end) {
			uint16_t at = q->used_seen % q->size;
			uint32_t id = *(volatile uint32_t *)&q->r->used.ring[at].id;
			uint32_t len = *(volatile uint32_t *)&q->r->used.ring[at].len;

			q->used_seen++;
			s = id / DESC_PER_REQ;
			if (id % DESC_PER_REQ || s >= p->depth) {
				say_line(p->name, "foreign used id");
				return -1;
			}
			check(r, s, len);
			r->done++;
			if (r->issued < p->count) {
				post(q, r, s);
				posted = 1;
			}
		}
		if (posted)
			publish(d, q, r);
		idle = rt_rdtsc();
	}
	say_line(p->name, "end");
	idle = rt_rdtsc() - t0;
	rt_puts("blk_bench: ");
	rt_puts(p->name);
	say_field("n", r->done);
	say_field("errors", r->errors);
	say_field("bad", r->bad);
	say_field("kicks", r->kicks);
	say_field("tsc", idle);
	rt_putc('\n');
	return 0;
}

void guest_main(unsigned int proto, uint64_t info)
{
	const char *cl = cmdline_get(proto, info);
	uint64_t sectors, nblocks;
	struct vio_dev d;
	struct vio_queue q;

	if (find_blk(&d, cl) || vio_negotiate(&d, 0) ||
	    vio_queue_setup(&d, &q, 0, QSIZE, &ring))
		return;
	/* Polled: no interrupts wanted (2.7.7.1). */
	ring.avail.flags = AVAIL_F_NO_INTERRUPT;
	if (vio_driver_ok(&d))
		return;
	sectors = vio_config32(&d, 0) | (uint64_t)vio_config32(&d, 4) << 32;
	vio_say_dec(&d, "capacity", sectors);
	nblocks = sectors / SECTORS_PER_BLOCK;
	if (nblocks < 2 * 128 * 1024 / BLOCK) {
		vio_fail(&d, "disk too small");
		return;
	}
	/* 2 MiB past the image: the largest phase takes 1 MiB. */
	bufs = (uint8_t *)(((uintptr_t)rt_image_end + (2u << 20)) &
			   ~(uintptr_t)((2u << 20) - 1));
	for (unsigned int i = 0; i < sizeof(phases) / sizeof(phases[0]); i++) {
		struct blk_phase *p = &phases[i];
		char key[8];
		const char *v;
		struct run r;

		/* "lat=", "rand=", "seq=" */
		memset(key, 0, sizeof(key));
		memcpy(key, p->name, strlen(p->name));
		key[strlen(p->name)] = '=';
		v = cmdline_value(cl, key, 0);

		if (v && cmdline_num(v, 0))
			p->count = cmdline_num(v, 0);
		memset(&r, 0, sizeof(r));
		r.p = p;
		r.rng = 0x9e3779b97f4a7c15ULL;
		r.nblocks = nblocks;
		if (run_phase(&d, &q, &r))
			break;
	}
	vio_say(&d, "done");
	vio_reset(&d);
}
