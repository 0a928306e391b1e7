// SPDX-License-Identifier: Apache-2.0
/*
 * tests/guest/virtio_rng/virtio_rng.c: a polling virtio-rng driver on
 * virtio-mmio version 2 (virtio 1.2: 4.2.3 initialization, 2.7 split
 * virtqueue, 3.1.1 driver requirements). Two 64-byte reads, then a reset.
 *
 * No interrupts: the guest runs at CPL3, where an interrupt would end the
 * VM on PVM hosts, and the runtime leaves every IOAPIC pin masked, so the
 * used ring is polled instead.
 */
#include "rt.h"

#define VRNG_BASE	0xd0000000ULL	/* ignis's first virtio-mmio slot */

/* virtio-mmio registers (4.2.2). */
#define R_MAGIC			0x000
#define R_VERSION		0x004
#define R_DEVICE_ID		0x008
#define R_DEV_FEATURES		0x010
#define R_DEV_FEATURES_SEL	0x014
#define R_DRV_FEATURES		0x020
#define R_DRV_FEATURES_SEL	0x024
#define R_QUEUE_SEL		0x030
#define R_QUEUE_NUM_MAX		0x034
#define R_QUEUE_NUM		0x038
#define R_QUEUE_READY		0x044
#define R_QUEUE_NOTIFY		0x050
#define R_INT_STATUS		0x060
#define R_INT_ACK		0x064
#define R_STATUS		0x070
#define R_QUEUE_DESC_LO		0x080
#define R_QUEUE_DESC_HI		0x084
#define R_QUEUE_DRIVER_LO	0x090
#define R_QUEUE_DRIVER_HI	0x094
#define R_QUEUE_DEVICE_LO	0x0a0
#define R_QUEUE_DEVICE_HI	0x0a4

#define MMIO_MAGIC	0x74726976	/* "virt" */
#define MMIO_VERSION	2
#define ID_RNG		4

/* Device status bits (2.1). */
#define S_ACKNOWLEDGE	0x01
#define S_DRIVER	0x02
#define S_DRIVER_OK	0x04
#define S_FEATURES_OK	0x08
#define S_NEEDS_RESET	0x40
#define S_FAILED	0x80

#define F_VERSION_1_HI	(1u << 0)	/* feature bit 32, in the high word */

#define QSIZE		8
#define BUF_LEN		64
#define DESC_F_WRITE	2

/* ~2 s at up to 3 GHz TSC: polling the used ring is plain memory reads,
 * no exits, so the bound only matters when the device never answers. */
#define POLL_TSC	6000000000ULL

/* Split virtqueue layout (2.7). */
struct virtq_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

struct virtq_avail {
	uint16_t flags;
	uint16_t idx;
	uint16_t ring[QSIZE];
	uint16_t used_event;
};

struct virtq_used_elem {
	uint32_t id;
	uint32_t len;
};

struct virtq_used {
	uint16_t flags;
	uint16_t idx;
	struct virtq_used_elem ring[QSIZE];
	uint16_t avail_event;
};

/* In the image's .data (zeros): identity-mapped, so virtual = physical. */
static struct virtq_desc vq_desc[QSIZE] __attribute__((aligned(16)));
static struct virtq_avail vq_avail __attribute__((aligned(2)));
static struct virtq_used vq_used __attribute__((aligned(4)));
static uint8_t rng_buf[2][BUF_LEN] __attribute__((aligned(64)));

static uint32_t reg_read(uint32_t off)
{
	return rt_mmio_read32(VRNG_BASE + off);
}

static void reg_write(uint32_t off, uint32_t v)
{
	rt_mmio_write32(VRNG_BASE + off, v);
}

static void reg_write64(uint32_t lo, uint64_t v)
{
	reg_write(lo, (uint32_t)v);
	reg_write(lo + 4, (uint32_t)(v >> 32));
}

static void put_line_hex(const char *what, uint32_t v)
{
	rt_puts("virtio_rng: ");
	rt_puts(what);
	rt_puts(" 0x");
	rt_put_hex(v, 2);
	rt_putc('\n');
}

/* Gives up on the device: FAILED (3.1.1), then a reset. */
static void fail(const char *why)
{
	rt_puts("virtio_rng: ");
	rt_puts(why);
	rt_putc('\n');
	reg_write(R_STATUS, reg_read(R_STATUS) | S_FAILED);
	reg_write(R_STATUS, 0);
}

static uint16_t used_idx(void)
{
	return *(volatile uint16_t *)&vq_used.idx;
}

/* 4.2.3.1 up to DRIVER_OK, with queue 0 of QSIZE entries. 0 or -1. */
static int init_device(void)
{
	uint32_t feat_lo, feat_hi, status, qmax;

	reg_write(R_STATUS, 0);
	if (reg_read(R_STATUS) != 0) {
		rt_puts("virtio_rng: reset failed\n");
		return -1;
	}
	status = S_ACKNOWLEDGE;
	reg_write(R_STATUS, status);
	status |= S_DRIVER;
	reg_write(R_STATUS, status);

	reg_write(R_DEV_FEATURES_SEL, 0);
	feat_lo = reg_read(R_DEV_FEATURES);
	reg_write(R_DEV_FEATURES_SEL, 1);
	feat_hi = reg_read(R_DEV_FEATURES);
	rt_puts("virtio_rng: features ");
	rt_put_hex((uint64_t)feat_hi << 32 | feat_lo, 16);
	rt_putc('\n');
	if (!(feat_hi & F_VERSION_1_HI)) {
		fail("no VERSION_1");
		return -1;
	}
	/* Accept VERSION_1 only. */
	reg_write(R_DRV_FEATURES_SEL, 0);
	reg_write(R_DRV_FEATURES, 0);
	reg_write(R_DRV_FEATURES_SEL, 1);
	reg_write(R_DRV_FEATURES, F_VERSION_1_HI);
	status |= S_FEATURES_OK;
	reg_write(R_STATUS, status);
	if (!(reg_read(R_STATUS) & S_FEATURES_OK)) {
		fail("features not accepted");
		return -1;
	}

	reg_write(R_QUEUE_SEL, 0);
	if (reg_read(R_QUEUE_READY) != 0) {
		fail("queue 0 already ready");
		return -1;
	}
	qmax = reg_read(R_QUEUE_NUM_MAX);
	if (qmax < QSIZE) {
		rt_puts("virtio_rng: queue max ");
		rt_put_dec(qmax);
		rt_putc('\n');
		fail("queue too small");
		return -1;
	}
	reg_write(R_QUEUE_NUM, QSIZE);
	reg_write64(R_QUEUE_DESC_LO, (uint64_t)(uintptr_t)vq_desc);
	reg_write64(R_QUEUE_DRIVER_LO, (uint64_t)(uintptr_t)&vq_avail);
	reg_write64(R_QUEUE_DEVICE_LO, (uint64_t)(uintptr_t)&vq_used);
	reg_write(R_QUEUE_READY, 1);

	status |= S_DRIVER_OK;
	reg_write(R_STATUS, status);
	/* activate() may have failed: DEVICE_NEEDS_RESET instead. */
	status = reg_read(R_STATUS);
	if (!(status & S_DRIVER_OK) || (status & S_NEEDS_RESET)) {
		put_line_hex("not live, status", status);
		fail("activation failed");
		return -1;
	}
	return 0;
}

/*
 * Posts rng_buf[n] (zeroed, device-writable) as descriptor n and waits
 * for the device to return it. Returns the used length, or -1 on timeout.
 */
static int64_t rng_read(unsigned int n)
{
	uint16_t idx = vq_avail.idx;
	struct virtq_used_elem e;
	uint64_t t0;

	memset(rng_buf[n], 0, BUF_LEN);
	vq_desc[n].addr = (uint64_t)(uintptr_t)rng_buf[n];
	vq_desc[n].len = BUF_LEN;
	vq_desc[n].flags = DESC_F_WRITE;
	vq_desc[n].next = 0;
	vq_avail.ring[idx % QSIZE] = (uint16_t)n;
	/* The descriptor and ring entry before the index (2.7.13). */
	__asm__ volatile("sfence; mfence" ::: "memory");
	*(volatile uint16_t *)&vq_avail.idx = (uint16_t)(idx + 1);
	__asm__ volatile("mfence" ::: "memory");
	reg_write(R_QUEUE_NOTIFY, 0);

	t0 = rt_rdtsc();
	while (used_idx() == idx) {
		if (rt_rdtsc() - t0 > POLL_TSC)
			return -1;
		__asm__ volatile("pause" ::: "memory");
	}
	/* The used entry and the buffer only after the index. */
	__asm__ volatile("lfence" ::: "memory");
	e = ((volatile struct virtq_used_elem *)vq_used.ring)[idx % QSIZE];
	/* Quiet the (masked) interrupt the device raised. */
	reg_write(R_INT_ACK, reg_read(R_INT_STATUS));
	if (e.id != n) {
		rt_puts("virtio_rng: used id ");
		rt_put_dec(e.id);
		rt_putc('\n');
	}
	return e.len;
}

/* One read: prints what came back. 0 if 64 random-looking bytes came. */
static int read_and_check(unsigned int n)
{
	int64_t len = rng_read(n);
	unsigned int i;
	int nonzero = 0;

	if (len < 0) {
		rt_puts("virtio_rng: timeout\n");
		return -1;
	}
	rt_puts("virtio_rng: got ");
	rt_put_dec((uint64_t)len);
	rt_puts(" bytes\n");
	for (i = 0; i < BUF_LEN; i++)
		nonzero |= rng_buf[n][i];
	if (nonzero && len == BUF_LEN) {
		rt_puts("virtio_rng: random ok\n");
		return 0;
	}
	rt_puts("virtio_rng: all zero\n");
	return -1;
}

void guest_main(unsigned int proto, uint64_t info)
{
	uint32_t magic, version, id;
	int ok0, ok1;

	magic = reg_read(R_MAGIC);
	if (magic == 0xffffffff || magic == 0) {
		rt_puts("virtio_rng: no device\n");
		return;
	}
	version = reg_read(R_VERSION);
	id = reg_read(R_DEVICE_ID);
	if (magic != MMIO_MAGIC || version != MMIO_VERSION || id != ID_RNG) {
		rt_puts("virtio_rng: unexpected device magic ");
		rt_put_hex(magic, 8);
		rt_puts(" version ");
		rt_put_dec(version);
		rt_puts(" id ");
		rt_put_dec(id);
		rt_putc('\n');
		return;
	}
	rt_puts("virtio_rng: found device\n");
	if (init_device() < 0)
		return;

	ok0 = read_and_check(0);
	ok1 = ok0 < 0 ? -1 : read_and_check(1);
	if (ok0 == 0 && ok1 == 0) {
		if (memcmp(rng_buf[0], rng_buf[1], BUF_LEN) != 0)
			rt_puts("virtio_rng: two reads differ\n");
		else
			rt_puts("virtio_rng: two reads equal\n");
	}
	put_line_hex("status", reg_read(R_STATUS));
	reg_write(R_STATUS, 0);
}
