// SPDX-License-Identifier: Apache-2.0
/* tests/devices/virtio/test_blk.c: virtio-blk on its worker, over a real file. */
#include <criterion/criterion.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "devices/virtio/blk.h"
#include "devices/virtio/blk_req.h"
#include "support/need_io_uring.h"
#include "support/tmpfile.h"
#include "support/vdev_harness.h"

#define RAM_SIZE	(8u << 20)
#define QSIZE		256
#define RING_BASE	0x1000
#define HDR_BASE	0x10000		/* request i: header at + i * 0x40 */
#define STATUS_OFF	0x20		/* status byte after the header */
#define TABLE_BASE	0x20000		/* indirect table i: + i * 0x40 */
#define DATA_BASE	0x100000	/* data buffers */
#define IMG_SECTORS	2048		/* 1 MiB image */
#define IMG_SIZE	(IMG_SECTORS * 512)

#define F_RO		(1ull << 5)
#define F_FLUSH		(1ull << 9)
#define F_DISCARD	(1ull << 13)
#define F_WZ		(1ull << 14)
#define F_INDIRECT	(1ull << 28)
#define F_EVENT_IDX	(1ull << 29)

static struct vh h;
static struct vdev *dev;
static char *img;		/* image path */
static uint8_t *pattern;	/* its initial bytes */
static uint16_t next_head;	/* next free descriptor */
static uint16_t nr_reqs;	/* requests published */

static uint8_t pattern_byte(size_t i)
{
	return (uint8_t)(i * 7 + (i >> 9) + 1);
}

static void make_image(void)
{
	pattern = malloc(IMG_SIZE);
	cr_assert_not_null(pattern);
	for (size_t i = 0; i < IMG_SIZE; i++)
		pattern[i] = pattern_byte(i);
	img = tmpfile_with(pattern, IMG_SIZE);
	cr_assert_not_null(img);
}

static int create(bool read_only, const char *id, struct vdev **out)
{
	const struct blk_params p = {
		.path = img, .id = id, .read_only = read_only,
	};

	return blk_create(&h.mem, h.kick, &p, out);
}

static void setup(void)
{
	need_io_uring();
	vh_init(&h, RAM_SIZE, 1);
	make_image();
	cr_assert_eq(create(false, NULL, &dev), 0);
	vh_attach(&h, dev);
	next_head = 0;
	nr_reqs = 0;
}

static void teardown(void)
{
	blk_destroy(dev);
	dev = NULL;
	vh_fini(&h);
	if (img)
		unlink(img);
	free(img);
	free(pattern);
	img = NULL;
}

TestSuite(blk, .init = setup, .fini = teardown, .timeout = 30);

/* Swaps in a fresh device on the same image. */
static void recreate(bool read_only, const char *id)
{
	blk_destroy(dev);
	cr_assert_eq(create(read_only, id, &dev), 0);
	vh_attach(&h, dev);
}

static void activate(uint64_t features)
{
	cr_assert_eq(vh_activate(&h, features, QSIZE, RING_BASE), 0);
}

/* Config bytes [off, off + len) as the driver reads them. */
static uint64_t config_read(uint32_t off, uint32_t len)
{
	uint64_t v = 0;

	cr_assert_eq(dev->ops->config_rw(dev, off, &v, len, false), 0);
	return le64toh(v);
}

/*
 * Publishes request (type, sector) whose data is (nr) buffers of (lens)
 * bytes from guest address (data), device-writable when (in). The header
 * and status byte live in per-request slots. With (indirect) the chain is
 * one INDIRECT descriptor. Returns the request's number.
 */
static uint16_t submit(uint32_t type, uint64_t sector, uint64_t data,
		       const uint32_t *lens, unsigned int nr, bool in,
		       bool indirect)
{
	uint16_t r = nr_reqs++;
	uint64_t hdr = HDR_BASE + (uint64_t)r * 0x40;
	struct virtio_blk_outhdr oh = {
		.type = htole32(type), .sector = htole64(sector),
	};
	struct mock_buf b[8];
	unsigned int n = 0;

	cr_assert_leq(nr, 6);
	memcpy(vh_ptr(&h, hdr, sizeof(oh)), &oh, sizeof(oh));
	*(uint8_t *)vh_ptr(&h, hdr + STATUS_OFF, 1) = 0xee;
	b[n++] = (struct mock_buf){ hdr, sizeof(oh), 0 };
	for (unsigned int i = 0; i < nr; i++) {
		b[n++] = (struct mock_buf){ data, lens[i],
					    in ? VQ_DESC_F_WRITE : 0 };
		data += lens[i];
	}
	b[n++] = (struct mock_buf){ hdr + STATUS_OFF, 1, VQ_DESC_F_WRITE };
	if (indirect) {
		uint64_t table = TABLE_BASE + (uint64_t)r * 0x100;
		struct mock_buf ind = { table, n * 16, VQ_DESC_F_INDIRECT };

		mock_table_chain(&h.mem, gpa(table), 0, b, n);
		mock_vq_add_chain(&h.mq[0], next_head, &ind, 1);
		next_head += 1;
	} else {
		mock_vq_add_chain(&h.mq[0], next_head, b, n);
		next_head += (uint16_t)n;
	}
	return r;
}

static uint8_t status_of(uint16_t r)
{
	return *(volatile uint8_t *)vh_ptr(&h, HDR_BASE + r * 0x40u +
					   STATUS_OFF, 1);
}

/* Submits one request, kicks, waits; checks its used length. */
static uint8_t run(uint32_t type, uint64_t sector, uint64_t data,
		   uint32_t len, bool in, uint32_t used_len)
{
	uint16_t r = submit(type, sector, data, &len, len ? 1 : 0, in, false);
	uint32_t id, got;

	vh_kick(&h, 0);
	vh_wait_used(&h, 0, nr_reqs);
	mock_vq_used_elem(&h.mq[0], r, &id, &got);
	cr_assert_eq(got, used_len, "used len %u, want %u", got, used_len);
	return status_of(r);
}

static void file_read(uint64_t off, void *buf, size_t len)
{
	int fd = open(img, O_RDONLY | O_CLOEXEC);

	cr_assert_geq(fd, 0);
	cr_assert_eq(pread(fd, buf, len, (off_t)off), (ssize_t)len);
	close(fd);
}

static bool all_zero(const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i])
			return false;
	return true;
}

/* What the transport offers for (d): the type's features and the
 * instance's own. */
static uint64_t offered(const struct vdev *d)
{
	return d->ops->features | d->offered;
}

Test(blk, config_and_features)
{
	cr_assert_eq(dev->ops->device_id, 2);
	cr_assert_eq(config_read(0, 8), IMG_SECTORS, "capacity");
	cr_assert_eq(config_read(12, 4), 254, "seg_max");
	cr_assert_eq(config_read(20, 4), 512, "blk_size");
	cr_assert(offered(dev) & F_FLUSH);
	cr_assert_not(offered(dev) & F_RO);
	cr_assert(offered(dev) & F_INDIRECT);
	cr_assert(offered(dev) & F_EVENT_IDX);
	/* The test image is on a file system that punches holes. */
	cr_assert(offered(dev) & F_DISCARD);
	cr_assert(offered(dev) & F_WZ);
	cr_assert_eq(config_read(40, 4), BLK_REQ_MAX_DWZ_SEGS);
	recreate(true, NULL);
	cr_assert(offered(dev) & F_RO);
	cr_assert_not(offered(dev) & (F_DISCARD | F_WZ));
	cr_assert_eq(config_read(36, 4), 0, "no discard limits when RO");
}

/* Counter (name) of the device's metrics since creation. */
static uint64_t metric_of(const char *name)
{
	const struct metrics_group *g = dev->metrics;

	cr_assert_not_null(g);
	cr_assert_str_eq(g->kind, "block");
	for (unsigned int i = 0; i < g->nr; i++)
		if (!strcmp(g->names[i], name))
			return atomic_load(&g->m[i].count);
	cr_assert_fail("no metric %s", name);
	return 0;
}

Test(blk, read_returns_the_image_bytes)
{
	const uint32_t lens[] = { 512, 1024, 2560 };
	uint16_t r;
	uint32_t id, got;

	activate(F_FLUSH);
	r = submit(VIRTIO_BLK_T_IN, 3, DATA_BASE, lens, 3, true, false);
	vh_kick(&h, 0);
	vh_wait_used(&h, 0, 1);
	mock_vq_used_elem(&h.mq[0], r, &id, &got);
	cr_assert_eq(id, 0);
	cr_assert_eq(got, 4096 + 1, "data plus status");
	cr_assert_eq(status_of(r), VIRTIO_BLK_S_OK);
	cr_assert_arr_eq(vh_ptr(&h, DATA_BASE, 4096), pattern + 3 * 512, 4096);
	vh_wait_count(&vh_irq_used, 1);
	cr_assert(vh_has_thread("virtio-blk0"), "the worker names its disk");
	cr_expect_eq(metric_of("read_count"), 1);
	cr_expect_eq(metric_of("read_bytes"), 4096);
	cr_expect_eq(metric_of("write_count"), 0);
	cr_expect_geq(metric_of("queue_event_count"), 1);
}

Test(blk, write_reaches_the_image)
{
	uint8_t *src = vh_ptr(&h, DATA_BASE, 8192), back[8192];

	for (int i = 0; i < 8192; i++)
		src[i] = (uint8_t)(0xa5 ^ i);
	activate(F_FLUSH);
	cr_assert_eq(run(VIRTIO_BLK_T_OUT, 100, DATA_BASE, 8192, false, 1),
		     VIRTIO_BLK_S_OK);
	file_read(100 * 512, back, sizeof(back));
	cr_assert_arr_eq(back, src, sizeof(back));
	/* Its neighbours are untouched. */
	file_read(99 * 512, back, 512);
	cr_assert_arr_eq(back, pattern + 99 * 512, 512);
	cr_assert_eq(run(VIRTIO_BLK_T_FLUSH, 0, 0, 0, false, 1),
		     VIRTIO_BLK_S_OK);
	cr_expect_eq(metric_of("write_count"), 1);
	cr_expect_eq(metric_of("write_bytes"), 8192);
	cr_expect_eq(metric_of("flush_count"), 1);
}

/* direct=on: O_DIRECT reads and writes straight between the image and
 * guest pages (page-aligned here, as a Linux guest's bios are). */
Test(blk, direct_io_reads_and_writes)
{
	const struct blk_params p = { .path = img, .direct = true };
	uint8_t *src, back[4096];

	blk_destroy(dev);
	dev = NULL;
	if (blk_create(&h.mem, h.kick, &p, &dev) == -EINVAL)
		cr_skip_test("the test file system refuses O_DIRECT");
	cr_assert_not_null(dev);
	vh_attach(&h, dev);
	activate(F_FLUSH);
	cr_assert_eq(run(VIRTIO_BLK_T_IN, 16, DATA_BASE, 8192, true, 8193),
		     VIRTIO_BLK_S_OK);
	cr_assert_arr_eq(vh_ptr(&h, DATA_BASE, 8192), pattern + 16 * 512, 8192);
	src = vh_ptr(&h, DATA_BASE + 0x10000, 4096);
	memset(src, 0x6b, 4096);
	cr_assert_eq(run(VIRTIO_BLK_T_OUT, 64, DATA_BASE + 0x10000, 4096,
			 false, 1), VIRTIO_BLK_S_OK);
	file_read(64 * 512, back, sizeof(back));
	cr_assert_arr_eq(back, src, sizeof(back));
}

Test(blk, write_through_without_flush_feature)
{
	uint8_t *src = vh_ptr(&h, DATA_BASE, 512), back[512];

	memset(src, 0x3c, 512);
	activate(0);	/* FLUSH not negotiated: every write is synced */
	cr_assert_eq(run(VIRTIO_BLK_T_OUT, 7, DATA_BASE, 512, false, 1),
		     VIRTIO_BLK_S_OK);
	file_read(7 * 512, back, 512);
	cr_assert_arr_eq(back, src, 512);
	/* And FLUSH itself was not negotiated: unsupported. */
	cr_assert_eq(run(VIRTIO_BLK_T_FLUSH, 0, 0, 0, false, 1),
		     VIRTIO_BLK_S_UNSUPP);
}

Test(blk, get_id_default_and_given)
{
	char *id = vh_ptr(&h, DATA_BASE, 20);

	activate(F_FLUSH);
	cr_assert_eq(run(VIRTIO_BLK_T_GET_ID, 0, DATA_BASE, 20, true, 21),
		     VIRTIO_BLK_S_OK);
	cr_assert_neq(id[0], 0, "a derived id");
	recreate(false, "disk-42");
	next_head = 0;
	nr_reqs = 0;
	activate(F_FLUSH);
	memset(id, 0x55, 20);
	cr_assert_eq(run(VIRTIO_BLK_T_GET_ID, 0, DATA_BASE, 20, true, 21),
		     VIRTIO_BLK_S_OK);
	cr_assert_str_eq(id, "disk-42");
	cr_assert(all_zero((uint8_t *)id + 7, 13), "NUL-padded");
}

Test(blk, read_only_refuses_writes)
{
	uint8_t back[512];

	recreate(true, NULL);
	memset(vh_ptr(&h, DATA_BASE, 512), 0x77, 512);
	activate(F_FLUSH);
	cr_assert_eq(run(VIRTIO_BLK_T_OUT, 0, DATA_BASE, 512, false, 1),
		     VIRTIO_BLK_S_IOERR);
	file_read(0, back, 512);
	cr_assert_arr_eq(back, pattern, 512, "image unchanged");
	/* Reads still work. */
	cr_assert_eq(run(VIRTIO_BLK_T_IN, 1, DATA_BASE, 512, true, 513),
		     VIRTIO_BLK_S_OK);
	cr_assert_arr_eq(vh_ptr(&h, DATA_BASE, 512), pattern + 512, 512);
}

Test(blk, bounds_and_bad_requests)
{
	activate(F_FLUSH);
	/* Past the end, straddling the end, not a sector multiple. */
	cr_assert_eq(run(VIRTIO_BLK_T_IN, IMG_SECTORS, DATA_BASE, 512, true,
			 1), VIRTIO_BLK_S_IOERR);
	cr_assert_eq(run(VIRTIO_BLK_T_IN, IMG_SECTORS - 1, DATA_BASE, 1024,
			 true, 1), VIRTIO_BLK_S_IOERR);
	cr_assert_eq(run(VIRTIO_BLK_T_OUT, 0, DATA_BASE, 100, false, 1),
		     VIRTIO_BLK_S_IOERR);
	cr_assert_eq(run(VIRTIO_BLK_T_IN, UINT64_MAX / 256, DATA_BASE, 512,
			 true, 1), VIRTIO_BLK_S_IOERR);
	cr_assert_eq(run(99, 0, 0, 0, false, 1), VIRTIO_BLK_S_UNSUPP);
	/* The device still serves good requests. */
	cr_assert_eq(run(VIRTIO_BLK_T_IN, IMG_SECTORS - 1, DATA_BASE, 512,
			 true, 513), VIRTIO_BLK_S_OK);
	cr_assert_not(atomic_load(&dev->needs_reset));
	cr_expect_eq(metric_of("execute_fails"), 4);
	cr_expect_eq(metric_of("invalid_reqs_count"), 1);
	cr_expect_eq(metric_of("read_count"), 1);
}

Test(blk, chain_without_status_byte_is_returned_empty)
{
	const struct mock_buf b = { HDR_BASE, 16, 0 };	/* header only */

	activate(F_FLUSH);
	mock_vq_add_chain(&h.mq[0], 0, &b, 1);
	vh_kick(&h, 0);
	vh_wait_used(&h, 0, 1);
	vh_check_used(&h, 0, 0, 0, 0);
	cr_assert_not(atomic_load(&dev->needs_reset));
}

/* DISCARD / WRITE_ZEROES: one segment of (n) sectors at (sector). */
static uint8_t dwz(uint32_t type, uint64_t sector, uint32_t n, uint32_t flags)
{
	struct virtio_blk_dwz_seg *g = vh_ptr(&h, DATA_BASE, sizeof(*g));

	g->sector = htole64(sector);
	g->num_sectors = htole32(n);
	g->flags = htole32(flags);
	return run(type, 0, DATA_BASE, sizeof(*g), false, 1);
}

Test(blk, discard_and_write_zeroes_read_back_zeroes)
{
	uint8_t back[4096];

	activate(F_FLUSH | F_DISCARD | F_WZ);
	cr_assert_eq(dwz(VIRTIO_BLK_T_DISCARD, 8, 8, 0), VIRTIO_BLK_S_OK);
	file_read(8 * 512, back, 4096);
	cr_assert(all_zero(back, 4096));
	file_read(16 * 512, back, 512);
	cr_assert_arr_eq(back, pattern + 16 * 512, 512, "next sector kept");

	cr_assert_eq(dwz(VIRTIO_BLK_T_WRITE_ZEROES, 100, 3, 0),
		     VIRTIO_BLK_S_OK);
	file_read(100 * 512, back, 3 * 512);
	cr_assert(all_zero(back, 3 * 512));
	cr_assert_eq(dwz(VIRTIO_BLK_T_WRITE_ZEROES, 200, 8,
			 VIRTIO_BLK_WZ_F_UNMAP), VIRTIO_BLK_S_OK);
	file_read(200 * 512, back, 4096);
	cr_assert(all_zero(back, 4096));
	/* Past the end: refused, nothing changed. */
	cr_assert_eq(dwz(VIRTIO_BLK_T_DISCARD, IMG_SECTORS - 1, 2, 0),
		     VIRTIO_BLK_S_IOERR);
	file_read((IMG_SECTORS - 1) * 512, back, 512);
	cr_assert_arr_eq(back, pattern + (IMG_SECTORS - 1) * 512, 512);
}

Test(blk, more_requests_than_slots_all_complete)
{
	const unsigned int n = 200;	/* > BLK_MAX_INFLIGHT (128) */
	const uint32_t len = 4096;

	activate(F_FLUSH | F_INDIRECT);
	for (unsigned int i = 0; i < n; i++)
		submit(VIRTIO_BLK_T_IN, (i * 8) % IMG_SECTORS,
		       DATA_BASE + i * len, &len, 1, true, true);
	vh_kick(&h, 0);
	vh_wait_used(&h, 0, (uint16_t)n);
	for (unsigned int i = 0; i < n; i++) {
		size_t off = ((size_t)(i * 8) % IMG_SECTORS) * 512;

		cr_assert_eq(status_of((uint16_t)i), VIRTIO_BLK_S_OK);
		cr_assert_arr_eq(vh_ptr(&h, DATA_BASE + i * len, len),
				 pattern + off, len, "request %u", i);
	}
}

Test(blk, corrupt_ring_needs_reset_then_recovers)
{
	activate(F_FLUSH);
	mock_vq_set_avail_idx(&h.mq[0], QSIZE + 3);	/* jumps too far */
	vh_kick(&h, 0);
	vh_wait_count(&vh_irq_config, 1);
	cr_assert(atomic_load(&dev->needs_reset));
	dev->ops->reset(dev);
	atomic_store(&dev->needs_reset, false);
	nr_reqs = 0;
	next_head = 0;
	activate(F_FLUSH);
	cr_assert_eq(run(VIRTIO_BLK_T_IN, 0, DATA_BASE, 512, true, 513),
		     VIRTIO_BLK_S_OK);
}

/* PATCH /drives/{id}: a new image under the running disk. Reads then
 * come from it, the driver is told the new capacity, the old image is
 * unlocked; a path that does not open changes nothing. */
Test(blk, update_image_while_running)
{
	uint8_t other[2 * 4096], *data = vh_ptr(&h, DATA_BASE, 512);
	char *path, why[320];
	int fd;

	memset(other, 0x5a, sizeof(other));
	path = tmpfile_with(other, sizeof(other));
	cr_assert_not_null(path);
	activate(F_FLUSH);
	cr_assert_eq(run(VIRTIO_BLK_T_IN, 0, DATA_BASE, 512, true, 513),
		     VIRTIO_BLK_S_OK);
	cr_assert_arr_eq(data, pattern, 512);

	cr_expect_eq(blk_update_image(dev, "/nonexistent/img", why,
				      sizeof(why)),
		     -ENOENT);
	cr_expect(strstr(why, "/nonexistent/img: No such file"), "%s", why);
	cr_assert_eq(run(VIRTIO_BLK_T_IN, 0, DATA_BASE, 512, true, 513),
		     VIRTIO_BLK_S_OK);
	cr_assert_arr_eq(data, pattern, 512);

	cr_assert_eq(blk_update_image(dev, path, why, sizeof(why)), 0, "%s",
		     why);
	vh_wait_count(&vh_irq_config, 1);
	cr_expect_eq(config_read(0, 8), sizeof(other) / 512, "capacity");
	cr_assert_eq(run(VIRTIO_BLK_T_IN, 0, DATA_BASE, 512, true, 513),
		     VIRTIO_BLK_S_OK);
	cr_assert_arr_eq(data, other, 512);
	/* Past the new end, inside the old one. */
	cr_assert_eq(run(VIRTIO_BLK_T_IN, 16, DATA_BASE, 512, true, 1),
		     VIRTIO_BLK_S_IOERR);
	/* The old image is free for another writer. */
	fd = open(img, O_RDWR);
	cr_assert_geq(fd, 0);
	cr_expect_eq(flock(fd, LOCK_EX | LOCK_NB), 0);
	close(fd);
	unlink(path);
	free(path);
}

/* Before the driver starts the device, the image is simply replaced. */
Test(blk, update_image_before_activation)
{
	uint8_t other[4096], *data = vh_ptr(&h, DATA_BASE, 512);
	char *path, why[320];

	memset(other, 0xc3, sizeof(other));
	path = tmpfile_with(other, sizeof(other));
	cr_assert_not_null(path);
	cr_assert_eq(blk_update_image(dev, path, why, sizeof(why)), 0, "%s",
		     why);
	cr_expect_eq(config_read(0, 8), 8);
	activate(F_FLUSH);
	cr_assert_eq(run(VIRTIO_BLK_T_IN, 0, DATA_BASE, 512, true, 513),
		     VIRTIO_BLK_S_OK);
	cr_assert_arr_eq(data, other, 512);
	unlink(path);
	free(path);
}

/*
 * The worker thread and its ring exist from creation, idle, and outlive a
 * reset: a new image goes into the idle ring's table, and the next
 * activation reads it. The thread goes with the device.
 */
Test(blk, worker_lives_from_create_to_destroy)
{
	uint8_t other[4096], *data = vh_ptr(&h, DATA_BASE, 512);
	char *path, why[320];

	vh_wait_thread("virtio-blk0", true);
	vh_kick(&h, 0);		/* a stray kick before DRIVER_OK */
	activate(F_FLUSH);
	cr_assert_eq(run(VIRTIO_BLK_T_IN, 0, DATA_BASE, 512, true, 513),
		     VIRTIO_BLK_S_OK);
	cr_assert_arr_eq(data, pattern, 512);
	dev->ops->reset(dev);
	cr_assert(vh_has_thread("virtio-blk0"), "idle after a reset");
	memset(other, 0x5a, sizeof(other));
	path = tmpfile_with(other, sizeof(other));
	cr_assert_not_null(path);
	cr_assert_eq(blk_update_image(dev, path, why, sizeof(why)), 0, "%s",
		     why);
	nr_reqs = 0;
	next_head = 0;
	activate(F_FLUSH);
	cr_assert_eq(run(VIRTIO_BLK_T_IN, 0, DATA_BASE, 512, true, 513),
		     VIRTIO_BLK_S_OK);
	cr_assert_arr_eq(data, other, 512);
	blk_destroy(dev);
	dev = NULL;
	vh_wait_thread("virtio-blk0", false);
	unlink(path);
	free(path);
}

Test(blk, reset_and_destroy_with_requests_in_flight)
{
	const uint32_t len = 4096;
	uint16_t used;

	activate(F_FLUSH | F_INDIRECT);
	for (unsigned int i = 0; i < 64; i++)
		submit(i & 1 ? VIRTIO_BLK_T_OUT : VIRTIO_BLK_T_IN, i * 8,
		       DATA_BASE + i * len, &len, 1, !(i & 1), true);
	vh_kick(&h, 0);
	dev->ops->reset(dev);	/* returns after retiring what is in flight */
	used = mock_vq_used_idx(&h.mq[0]);
	for (int i = 0; i < 20; i++)
		vh_nap();
	cr_assert_eq(mock_vq_used_idx(&h.mq[0]), used,
		     "nothing is answered after the reset returned");
	nr_reqs = 0;
	next_head = 0;
	activate(F_FLUSH);
	cr_assert_eq(run(VIRTIO_BLK_T_IN, 0, DATA_BASE, 512, true, 513),
		     VIRTIO_BLK_S_OK);
	submit(VIRTIO_BLK_T_IN, 0, DATA_BASE, &len, 1, true, false);
	vh_kick(&h, 0);
	blk_destroy(dev);	/* while that one may be in flight */
	dev = NULL;
}

Test(blk, create_refuses_bad_images)
{
	struct blk_params p = { .path = "/nonexistent/disk.img" };
	struct vdev *d = NULL;
	char *empty = tmpfile_with("", 0);
	char *small = tmpfile_with("abc", 3);

	cr_assert_not_null(empty);
	cr_assert_not_null(small);
	cr_assert_eq(blk_create(&h.mem, h.kick, &p, &d), -ENOENT);
	p.path = empty;
	cr_assert_eq(blk_create(&h.mem, h.kick, &p, &d), -EINVAL);
	p.path = small;
	cr_assert_eq(blk_create(&h.mem, h.kick, &p, &d), -EINVAL);
	p.path = "/tmp";
	cr_assert_lt(blk_create(&h.mem, h.kick, &p, &d), 0);
	/* The fixture's device holds the image for writing: a second
	 * writer, or a reader, is refused; two readers share it. */
	p.path = img;
	cr_assert_eq(blk_create(&h.mem, h.kick, &p, &d), -EWOULDBLOCK);
	p.read_only = true;
	cr_assert_eq(blk_create(&h.mem, h.kick, &p, &d), -EWOULDBLOCK);
	recreate(true, NULL);
	cr_assert_eq(blk_create(&h.mem, h.kick, &p, &d), 0);
	blk_destroy(d);
	cr_assert_eq(blk_create(NULL, h.kick, &p, &d), -EINVAL);
	cr_assert_eq(blk_create(&h.mem, h.kick, NULL, &d), -EINVAL);
	unlink(empty);
	unlink(small);
	free(empty);
	free(small);
	blk_destroy(NULL);
}
