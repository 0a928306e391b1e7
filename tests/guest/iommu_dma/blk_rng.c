// SPDX-License-Identifier: Apache-2.0
/* tests/guest/iommu_dma/blk_rng.c: virtio-blk and -rng behind the iommu. */
#include "iommu_dma.h"
#include "pattern.h"
#include "rt.h"

#define ID_BLK			2
#define ID_RNG			4
#define F_ACCESS_PLATFORM	(1ULL << 33)	/* 6.1 */
#define T_IN			0		/* 5.2.6 */
#define S_OK			0
#define BLK_QSIZE		16
#define RNG_QSIZE		8
#define RNG_LEN			64
#define QUIET_TSC		100000000ULL	/* ~40 ms: no event */

/* virtio_blk_req's device-readable header (5.2.6). */
struct blk_hdr {
	uint32_t type;			/* T_IN */
	uint32_t reserved;		/* zero */
	uint64_t sector;		/* 512-byte units */
};
_Static_assert(sizeof(struct blk_hdr) == 16, "virtio_blk_req header");

static struct vio_dev blk, rng;
static struct vio_queue blkq, rngq;
static struct vio_ring blk_ring;
static struct vio_ring rng_ring __attribute__((aligned(4096)));
_Static_assert(sizeof(struct vio_ring) <= DMA_RING_SPAN, "ring span");
static int blk_mapped;			/* IOVA_BLK maps blk_buf now */

static struct blk_hdr hdr;
static uint8_t blk_status;
static uint8_t blk_buf[DMA_CHUNK] __attribute__((aligned(4096)));
static uint8_t rng_buf[PAGE] __attribute__((aligned(4096)));

/* MAP IOVA_BLK to blk_buf with (flags). */
static int map_blk_window(struct dma_state *s, uint32_t flags)
{
	if (viommu_map(&s->iommu, DOMAIN, IOVA_BLK,
		       (uint64_t)(uintptr_t)blk_buf, DMA_CHUNK, flags))
		return -1;
	blk_mapped = 1;
	return 0;
}

static int unmap_blk_window(struct dma_state *s)
{
	if (viommu_unmap(&s->iommu, DOMAIN, IOVA_BLK, DMA_CHUNK))
		return -1;
	blk_mapped = 0;
	return 0;
}

int dma_map_windows(struct dma_state *s)
{
	const uint32_t rw = VIOMMU_MAP_F_READ | VIOMMU_MAP_F_WRITE;

	if (map_blk_window(s, rw) ||
	    viommu_map(&s->iommu, DOMAIN, IOVA_RNG,
		       (uint64_t)(uintptr_t)rng_buf, PAGE, rw) ||
	    viommu_map(&s->iommu, DOMAIN, IOVA_RNG_RING,
		       (uint64_t)(uintptr_t)&rng_ring, DMA_RING_SPAN, rw))
		return -1;
	dma_say_hex("blk buffer at bus address", IOVA_BLK);
	dma_say_hex("rng buffer at bus address", IOVA_RNG);
	dma_say_hex("rng rings at bus address", IOVA_RNG_RING);
	return 0;
}

/*
 * vio_queue_setup() with the rings (r) given to the device as the bus
 * addresses at (iova) instead of their guest-physical ones: with
 * ACCESS_PLATFORM "the device ... uses the platform's address
 * translation" for the rings too (6.1). Queue 0; 0 or -1.
 */
static int queue_setup_iova(struct vio_dev *d, struct vio_queue *q,
			    uint16_t size, struct vio_ring *r, uint64_t iova)
{
	const uint64_t regs[3][2] = {
		{ VIO_R_QUEUE_DESC_LO, iova },
		{ VIO_R_QUEUE_DRIVER_LO,
		  iova + (uint64_t)((char *)&r->avail - (char *)r) },
		{ VIO_R_QUEUE_DEVICE_LO,
		  iova + (uint64_t)((char *)&r->used - (char *)r) },
	};

	vio_write32(d, VIO_R_QUEUE_SEL, 0);
	if (vio_read32(d, VIO_R_QUEUE_READY) != 0 ||
	    vio_read32(d, VIO_R_QUEUE_NUM_MAX) < size) {
		vio_fail(d, "queue 0 not usable");
		return -1;
	}
	memset(r, 0, sizeof(*r));
	q->r = r;
	q->size = size;
	q->index = 0;
	q->avail_idx = 0;
	q->used_seen = 0;
	vio_write32(d, VIO_R_QUEUE_NUM, size);
	for (unsigned int i = 0; i < 3; i++) {
		vio_write32(d, (uint32_t)regs[i][0], (uint32_t)regs[i][1]);
		vio_write32(d, (uint32_t)regs[i][0] + 4,
			    (uint32_t)(regs[i][1] >> 32));
	}
	vio_write32(d, VIO_R_QUEUE_READY, 1);
	return 0;
}

/* Sets up a device behind the iommu: ACCESS_PLATFORM must be offered
 * (6.1) and is accepted, with VERSION_1. */
static int setup_translated(struct vio_dev *d, struct vio_queue *q,
			    struct vio_ring *r, uint64_t ring_iova,
			    unsigned int slot, uint32_t id, const char *name,
			    uint16_t qsize)
{
	int rc;

	if (vio_probe(d, VIO_SLOT_BASE(slot), id, name) ||
	    vio_negotiate(d, F_ACCESS_PLATFORM))
		return -1;
	if (!(d->features & F_ACCESS_PLATFORM)) {
		vio_fail(d, "VIRTIO_F_ACCESS_PLATFORM not offered");
		return -1;
	}
	rc = ring_iova ? queue_setup_iova(d, q, qsize, r, ring_iova) :
			 vio_queue_setup(d, q, 0, qsize, r);
	return rc || vio_driver_ok(d) ? -1 : 0;
}

int dma_step_blk(struct dma_state *s)
{
	uint64_t sectors;

	if (setup_translated(&blk, &blkq, &blk_ring, 0, SLOT_BLK, ID_BLK,
			     DMA_NAME ".blk", BLK_QSIZE))
		return -1;
	sectors = viommu_config64(&blk, 0);
	dma_say_dec("capacity", sectors);
	if (!s->image_size || s->image_size % DMA_CHUNK ||
	    sectors * 512 != s->image_size) {
		dma_say_dec("capacity does not match iommu_dma.size",
			    s->image_size);
		return -1;
	}
	return 0;
}

int dma_step_rng_init(struct dma_state *s)
{
	return setup_translated(&rng, &rngq, &rng_ring, IOVA_RNG_RING, SLOT_RNG,
				ID_RNG, DMA_NAME ".rng", RNG_QSIZE);
}

/*
 * One T_IN of (len) bytes from (sector) into bus address (iova): the
 * status byte (0xff: not written), or -1 when the chain never came back.
 * The used length lands in (*used).
 */
static int blk_read(uint64_t sector, uint64_t iova, uint32_t len,
		    uint32_t *used)
{
	const struct vio_buf b[3] = {
		{ &hdr, sizeof(hdr), 0 },
		{ (const void *)(uintptr_t)iova, len, VIO_DESC_F_WRITE },
		{ &blk_status, 1, VIO_DESC_F_WRITE },
	};
	uint32_t id;

	hdr.type = T_IN;
	hdr.reserved = 0;
	hdr.sector = sector;
	blk_status = 0xff;
	vio_add(&blkq, 0, b, 3);
	viommu_kick(&blk, &blkq, 0, 0);
	if (vio_wait(&blkq, &id, used) || id != 0) {
		dma_say("blk: request not returned");
		return -1;
	}
	vio_ack_irq(&blk);
	return *(volatile uint8_t *)&blk_status;
}

/* Reads the chunk at (sector) through IOVA_BLK and compares it with the
 * image; adds its bytes to (*fnv) when (fnv) is not NULL. 0 or -1. */
static int read_chunk(const struct dma_state *s, uint64_t sector, uint64_t *fnv)
{
	uint64_t base = sector * 512;
	uint32_t used = 0;
	int status;

	memset(blk_buf, 0xa5, DMA_CHUNK);
	status = blk_read(sector, IOVA_BLK, DMA_CHUNK, &used);
	if (status != S_OK) {
		dma_say_dec("blk: read failed at sector", sector);
		dma_say_dec("blk: status", (uint64_t)(status & 0xff));
		dma_say_dec("blk: used length", used);
		return -1;
	}
	/* 2.7.8.2: the device SHOULD set len to the bytes it wrote. */
	if (used != DMA_CHUNK + 1)
		dma_say_dec("note: blk used length", used);
	for (uint32_t i = 0; i < DMA_CHUNK; i++) {
		uint8_t want = iommu_dma_pattern(s->seed, base + i);

		if (blk_buf[i] != want) {
			dma_say_dec("blk: wrong byte at image offset",
				    base + i);
			dma_say_hex("blk: got", blk_buf[i]);
			dma_say_hex("blk: want", want);
			return -1;
		}
		if (fnv) {
			*fnv ^= blk_buf[i];
			*fnv *= 0x100000001b3ULL;
		}
	}
	return 0;
}

int dma_step_read(struct dma_state *s)
{
	uint64_t fnv = 0xcbf29ce484222325ULL, sectors = s->image_size / 512;
	unsigned int reqs = 0;

	for (uint64_t sec = 0; sec < sectors; sec += DMA_CHUNK / 512, reqs++)
		if (read_chunk(s, sec, &fnv))
			return -1;
	rt_puts(DMA_NAME ": fnv1a ");
	rt_put_hex(fnv, 16);
	rt_putc('\n');
	rt_puts(DMA_NAME ": read ");
	rt_put_dec(s->image_size);
	rt_puts(" bytes in ");
	rt_put_dec(reqs);
	rt_puts(" requests at bus address 0x");
	rt_put_hex(IOVA_BLK, 0);
	rt_putc('\n');
	return 0;
}

int dma_step_rng(struct dma_state *s)
{
	const struct vio_buf b = { (const void *)(uintptr_t)IOVA_RNG, RNG_LEN,
				   VIO_DESC_F_WRITE };
	uint32_t id, len;
	uint8_t any = 0;

	memset(rng_buf, 0, PAGE);
	vio_add(&rngq, 0, &b, 1);
	viommu_kick(&rng, &rngq, 0, 0);
	if (vio_wait(&rngq, &id, &len) || id != 0) {
		dma_say("rng: request not returned");
		return -1;
	}
	vio_ack_irq(&rng);
	dma_say_dec("rng: got bytes", len);
	if (!len || len > RNG_LEN)
		return -1;
	for (uint32_t i = 0; i < len; i++)
		any |= rng_buf[i];
	if (!any) {
		dma_say("rng: all zero");
		return -1;
	}
	for (uint32_t i = len; i < PAGE; i++)
		if (rng_buf[i]) {
			dma_say_dec("rng: wrote past its length at", i);
			return -1;
		}
	return 0;
}

static void print_event(const struct viommu_fault *f)
{
	rt_puts(DMA_NAME ": event reason ");
	rt_put_dec(f->reason);
	rt_puts(" flags 0x");
	rt_put_hex(f->flags, 0);
	rt_puts(" endpoint ");
	rt_put_dec(f->endpoint);
	rt_puts(" address 0x");
	rt_put_hex(f->address, 0);
	rt_putc('\n');
}

/* Correct traffic must not raise events. */
int dma_step_quiet(struct dma_state *s)
{
	struct viommu_fault f;
	int n = viommu_next_event(&s->iommu, QUIET_TSC, &f);

	if (n == 0)
		return 0;
	if (n > 0)
		print_event(&f);
	dma_say("event without a fault");
	return -1;
}

/*
 * Whether (f) is the fault a blk read into the unmapped window makes
 * (5.13.6.9): reserved zero (else the driver MUST ignore the report),
 * reason MAPPING, endpoint 0, a write by the device; the address, which
 * the device MAY omit, within the window when given.
 */
static int fault_matches(const struct viommu_fault *f)
{
	if (f->reserved[0] || f->reserved[1] || f->reserved[2]) {
		dma_say("fault: reserved not zero");
		return 0;
	}
	if (f->reason != VIOMMU_FAULT_R_MAPPING || f->endpoint != EP_BLK ||
	    !(f->flags & VIOMMU_FAULT_F_WRITE)) {
		dma_say("fault: want reason MAPPING, endpoint 0, flag WRITE");
		return 0;
	}
	if ((f->flags & VIOMMU_FAULT_F_ADDRESS) &&
	    (f->address < IOVA_BLK || f->address >= IOVA_BLK + DMA_CHUNK)) {
		dma_say("fault: address outside the unmapped window");
		return 0;
	}
	return 1;
}

/*
 * A blk read into IOVA_BLK, which does not allow the device's write: the
 * chain must come back unwritten (used length 0, status byte untouched,
 * nothing in blk_buf), blk must stay live, and the eventq must carry a
 * MAPPING fault for endpoint 0 (and nothing else).
 */
static int expect_fault(struct dma_state *s)
{
	struct viommu_fault f;
	uint32_t used = 0xdead;
	unsigned int events = 0;
	int status, n;

	memset(blk_buf, 0x5a, DMA_CHUNK);
	status = blk_read(0, IOVA_BLK, DMA_CHUNK, &used);
	if (status < 0)
		return -1;
	/* The data buffer faults; the status byte, mapped 1:1, says IOERR
	 * (5.2.6: VIRTIO_BLK_S_IOERR = 1) in the one byte the device wrote:
	 * a driver that reads the status byte whatever the used length
	 * (Linux) sees the failure too. */
	if (used != 1 || status != 1) {
		dma_say_dec("blk: used length of the faulting read", used);
		dma_say_hex("blk: status byte", (uint64_t)status);
		return -1;
	}
	for (uint32_t i = 0; i < DMA_CHUNK; i++)
		if (blk_buf[i] != 0x5a) {
			dma_say_dec("blk: wrote RAM behind the window at", i);
			return -1;
		}
	if (vio_status(&blk) & VIO_S_NEEDS_RESET) {
		dma_say("blk: DEVICE_NEEDS_RESET after a translation fault");
		return -1;
	}
	/* One report at least; more are allowed if they say the same. */
	n = viommu_next_event(&s->iommu, VIO_POLL_TSC, &f);
	while (n > 0) {
		events++;
		print_event(&f);
		if (!fault_matches(&f))
			return -1;
		n = viommu_next_event(&s->iommu, QUIET_TSC, &f);
	}
	if (n < 0)
		return -1;
	if (!events) {
		dma_say("no fault event");
		return -1;
	}
	dma_say_dec("fault events", events);
	return 0;
}

int dma_step_fault(struct dma_state *s)
{
	if (unmap_blk_window(s))
		return -1;
	return expect_fault(s);
}

int dma_step_remap(struct dma_state *s)
{
	uint64_t last = s->image_size / 512 - DMA_CHUNK / 512;
	const uint32_t rw = VIOMMU_MAP_F_READ | VIOMMU_MAP_F_WRITE;

	if (!blk_mapped && map_blk_window(s, rw))
		return -1;
	return read_chunk(s, 0, 0) || read_chunk(s, last, 0) ? -1 : 0;
}

int dma_step_readonly(struct dma_state *s)
{
	/* 5.13.6.5.2: "The device MUST NOT allow writes to a range mapped
	 * without the VIRTIO_IOMMU_MAP_F_WRITE flag." */
	if ((blk_mapped && unmap_blk_window(s)) ||
	    map_blk_window(s, VIOMMU_MAP_F_READ) || expect_fault(s) ||
	    unmap_blk_window(s) ||
	    map_blk_window(s, VIOMMU_MAP_F_READ | VIOMMU_MAP_F_WRITE))
		return -1;
	return read_chunk(s, 0, 0);
}

void dma_reset_devices(void)
{
	if (blk.base)
		vio_reset(&blk);
	if (rng.base)
		vio_reset(&rng);
}
