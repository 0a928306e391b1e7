// SPDX-License-Identifier: Apache-2.0
/*
 * tests/guest/virtio_rng/virtio_rng.c: a polling virtio-rng driver (virtio
 * 1.2, 5.4) on the guest virtio core: two 64-byte reads, then a reset.
 */
#include "rt.h"
#include "vio.h"

#define ID_RNG		4
#define QSIZE		8
#define BUF_LEN		64

static struct vio_ring ring;
static uint8_t rng_buf[2][BUF_LEN] __attribute__((aligned(64)));

/* One read into rng_buf[n]: 0 if 64 random-looking bytes came. */
static int read_and_check(struct vio_dev *d, struct vio_queue *q,
			  unsigned int n)
{
	const struct vio_buf b = { rng_buf[n], BUF_LEN, VIO_DESC_F_WRITE };
	uint32_t id, len;
	int nonzero = 0;

	memset(rng_buf[n], 0, BUF_LEN);
	vio_add(q, (uint16_t)n, &b, 1);
	vio_notify(d, q);
	if (vio_wait(q, &id, &len)) {
		vio_say(d, "timeout");
		return -1;
	}
	vio_ack_irq(d);
	if (id != n)
		vio_say_dec(d, "used id", id);
	rt_puts("virtio_rng: got ");
	rt_put_dec(len);
	rt_puts(" bytes\n");
	for (unsigned int i = 0; i < BUF_LEN; i++)
		nonzero |= rng_buf[n][i];
	if (nonzero && len == BUF_LEN) {
		vio_say(d, "random ok");
		return 0;
	}
	vio_say(d, "all zero");
	return -1;
}

void guest_main(unsigned int proto, uint64_t info)
{
	struct vio_dev d;
	struct vio_queue q;
	int ok0, ok1;

	if (vio_probe(&d, VIO_SLOT_BASE(0), ID_RNG, "virtio_rng") ||
	    vio_negotiate(&d, 0) || vio_queue_setup(&d, &q, 0, QSIZE, &ring) ||
	    vio_driver_ok(&d))
		return;
	ok0 = read_and_check(&d, &q, 0);
	ok1 = ok0 < 0 ? -1 : read_and_check(&d, &q, 1);
	if (ok0 == 0 && ok1 == 0)
		vio_say(&d, memcmp(rng_buf[0], rng_buf[1], BUF_LEN) ?
			    "two reads differ" : "two reads equal");
	vio_say_hex(&d, "status", vio_status(&d));
	vio_reset(&d);
}
