// SPDX-License-Identifier: Apache-2.0
/*
 * tests/guest/virtio_blk/virtio_blk.c: a polling virtio-blk driver (virtio
 * 1.2, 5.2) on the guest virtio core. Reads the whole disk and prints its
 * FNV-1a hash (the host compares it with the image's), reads the id,
 * writes sectors 8-15 and reads them back, flushes, and checks that a read
 * past the end is refused. On a read-only disk the write must fail.
 * "hold" on the command line: then spin, so the host can look at us.
 */
#include "cmdline.h"
#include "rt.h"
#include "vio.h"

#define ID_BLK		2
#define QSIZE		16

#define F_RO		(1ULL << 5)
#define F_FLUSH		(1ULL << 9)

#define T_IN		0
#define T_OUT		1
#define T_FLUSH		4
#define T_GET_ID	8
#define S_OK		0
#define S_IOERR		1

#define CHUNK		(64 * 1024)	/* bytes per read request */
#define WRITE_SECTOR	8		/* first sector written */
#define WRITE_LEN	4096

struct blk_hdr {
	uint32_t type;
	uint32_t ioprio;
	uint64_t sector;
};

static struct vio_ring ring;
static struct blk_hdr hdr;
static uint8_t status;
static uint8_t buf[CHUNK] __attribute__((aligned(4096)));

/* One request with (len) data bytes at (data) (device-writable if (in)).
 * Returns the status byte, or -1 on timeout / a short used length. */
static int blk_rw(struct vio_dev *d, struct vio_queue *q, uint32_t type,
		  uint64_t sector, void *data, uint32_t len, int in)
{
	struct vio_buf b[3];
	unsigned int n = 0;
	uint32_t id, used;

	hdr.type = type;
	hdr.ioprio = 0;
	hdr.sector = sector;
	status = 0xff;
	b[n++] = (struct vio_buf){ &hdr, sizeof(hdr), 0 };
	if (len)
		b[n++] = (struct vio_buf){ data, len,
					   in ? VIO_DESC_F_WRITE : 0 };
	b[n++] = (struct vio_buf){ &status, 1, VIO_DESC_F_WRITE };
	vio_add(q, 0, b, n);
	vio_notify(d, q);
	if (vio_wait(q, &id, &used)) {
		vio_say(d, "timeout");
		return -1;
	}
	vio_ack_irq(d);
	if (id != 0 || used < 1) {
		vio_say_dec(d, "bad used len", used);
		return -1;
	}
	return *(volatile uint8_t *)&status;
}

static uint8_t written_byte(unsigned int i)
{
	return (uint8_t)((i * 13 + 5) ^ 0xa5);
}

/* FNV-1a, 64-bit, over every sector of the disk. */
static int hash_disk(struct vio_dev *d, struct vio_queue *q, uint64_t sectors)
{
	uint64_t h = 0xcbf29ce484222325ULL, s = 0;

	while (s < sectors) {
		uint64_t n = sectors - s;

		if (n > CHUNK / 512)
			n = CHUNK / 512;
		if (blk_rw(d, q, T_IN, s, buf, (uint32_t)n * 512, 1) != S_OK) {
			vio_say_dec(d, "read failed at sector", s);
			return -1;
		}
		for (uint32_t i = 0; i < n * 512; i++) {
			h ^= buf[i];
			h *= 0x100000001b3ULL;
		}
		s += n;
	}
	rt_puts("virtio_blk: fnv1a ");
	rt_put_hex(h, 16);
	rt_putc('\n');
	return 0;
}

static void write_and_read_back(struct vio_dev *d, struct vio_queue *q,
				int read_only)
{
	int st;

	for (unsigned int i = 0; i < WRITE_LEN; i++)
		buf[i] = written_byte(i);
	st = blk_rw(d, q, T_OUT, WRITE_SECTOR, buf, WRITE_LEN, 0);
	if (read_only) {
		vio_say(d, st == S_IOERR ? "write refused" : "write allowed");
		return;
	}
	if (st != S_OK) {
		vio_say_dec(d, "write failed, status", (uint64_t)st);
		return;
	}
	vio_say(d, "write ok");
	memset(buf, 0, WRITE_LEN);
	if (blk_rw(d, q, T_IN, WRITE_SECTOR, buf, WRITE_LEN, 1) != S_OK) {
		vio_say(d, "readback failed");
		return;
	}
	for (unsigned int i = 0; i < WRITE_LEN; i++)
		if (buf[i] != written_byte(i)) {
			vio_say_dec(d, "readback differs at", i);
			return;
		}
	vio_say(d, "readback ok");
}

void guest_main(unsigned int proto, uint64_t info)
{
	struct vio_dev d;
	struct vio_queue q;
	uint64_t sectors;
	char id[21];
	int ro;

	if (vio_probe(&d, VIO_SLOT_BASE(0), ID_BLK, "virtio_blk") ||
	    vio_negotiate(&d, F_RO | F_FLUSH) ||
	    vio_queue_setup(&d, &q, 0, QSIZE, &ring) || vio_driver_ok(&d))
		return;
	sectors = vio_config32(&d, 0) | (uint64_t)vio_config32(&d, 4) << 32;
	vio_say_dec(&d, "capacity", sectors);
	ro = !!(d.features & F_RO);
	if (ro)
		vio_say(&d, "read-only");

	memset(id, 0, sizeof(id));
	if (blk_rw(&d, &q, T_GET_ID, 0, id, 20, 1) == S_OK) {
		rt_puts("virtio_blk: id ");
		rt_puts(id);
		rt_putc('\n');
	}
	if (hash_disk(&d, &q, sectors))
		goto out;
	write_and_read_back(&d, &q, ro);
	if (d.features & F_FLUSH)
		vio_say(&d, blk_rw(&d, &q, T_FLUSH, 0, 0, 0, 0) == S_OK ?
			    "flush ok" : "flush failed");
	vio_say(&d, blk_rw(&d, &q, T_IN, sectors, buf, 512, 1) == S_IOERR ?
		    "bad sector refused" : "bad sector served");
out:
	vio_say_hex(&d, "status", vio_status(&d));
	if (cmdline_has(cmdline_get(proto, info), "hold")) {
		vio_say(&d, "holding");
		for (;;)
			__asm__ volatile("pause");
	}
	vio_reset(&d);
}
