// SPDX-License-Identifier: Apache-2.0
/* devices/legacy/i8042.c: the PS/2 controller: no mouse, a keyboard that only sends what the VMM types. */
#include "i8042.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

/* Controller commands written to port 0x64 (the IBM PC/AT reference). */
#define I8042_CMD_READ_CTR	0x20	/* controller config byte -> data */
#define I8042_CMD_WRITE_CTR	0x60	/* next data byte -> config */
#define I8042_CMD_AUX_DISABLE	0xa7	/* set CTR_AUXDIS */
#define I8042_CMD_AUX_ENABLE	0xa8	/* clear CTR_AUXDIS */
#define I8042_CMD_AUX_TEST	0xa9	/* AUX interface test -> data */
#define I8042_CMD_CTL_TEST	0xaa	/* controller self-test -> data */
#define I8042_CMD_KBD_TEST	0xab	/* keyboard interface test -> data */
#define I8042_CMD_KBD_DISABLE	0xad	/* set CTR_KBDDIS */
#define I8042_CMD_KBD_ENABLE	0xae	/* clear CTR_KBDDIS */
#define I8042_CMD_READ_OUTP	0xd0	/* output port -> data */
#define I8042_CMD_WRITE_OUTP	0xd1	/* next data byte -> output port */
#define I8042_CMD_KBD_LOOP	0xd2	/* next data byte -> data, as kbd */
#define I8042_CMD_AUX_LOOP	0xd3	/* next data byte -> data, as AUX */
#define I8042_CMD_AUX_SEND	0xd4	/* next data byte -> AUX device */
#define I8042_CMD_RESET_CPU	0xfe	/* pulse the reset line */

#define I8042_STATUS_OBF	0x01	/* output buffer full */
#define I8042_STATUS_SYS	0x04	/* system flag: POST passed */
#define I8042_STATUS_CMD	0x08	/* last write was a command */
#define I8042_STATUS_KEYLOCK	0x10	/* set: keyboard not inhibited */
#define I8042_STATUS_AUXDATA	0x20	/* output byte came from AUX */
#define I8042_STATUS_TIMEOUT	0x40	/* the device did not answer */
#define I8042_STATUS_PARITY	0x80	/* parity error from the device */
/* The bits that describe the byte in the output buffer. */
#define I8042_STATUS_BYTE \
	(I8042_STATUS_AUXDATA | I8042_STATUS_TIMEOUT | I8042_STATUS_PARITY)

#define I8042_CTR_KBDINT	0x01	/* IRQ 1 on keyboard bytes */
#define I8042_CTR_AUXINT	0x02	/* IRQ 12 on AUX bytes */
#define I8042_CTR_SYS		0x04
#define I8042_CTR_KBDDIS	0x10	/* keyboard clock held low */
#define I8042_CTR_AUXDIS	0x20	/* AUX clock held low */
#define I8042_OUTP_RESET	0x01	/* output port bit 0: CPU not in reset */

/* Replies of the interface tests and the self-test. */
#define I8042_RET_CTL_TEST	0x55	/* controller passed */
#define I8042_RET_KBD_TEST	0x00	/* no error */
#define I8042_RET_AUX_STUCK	0x01	/* AUX clock line stuck low */
/* What the controller puts in the buffer when its device does not answer. */
#define I8042_RET_NO_DEVICE	0xfe

struct i8042 {
	pthread_mutex_t lock;	/* any vCPU may touch it */
	i8042_reset_fn *reset;	/* the guest asked for a reset */
	void *ctx;		/* its context */
	i8042_irq_fn *irq;	/* raises IRQ 1 or 12; NULL: polled only */
	void *irq_ctx;		/* its context */
	uint8_t status;		/* status register */
	uint8_t ctr;		/* controller configuration byte */
	uint8_t outp;		/* output port */
	uint8_t out;		/* output buffer, valid with STATUS_OBF */
	uint8_t pending_cmd;	/* command waiting for its data byte, or 0 */
	/* Key bytes i8042_send_keys() queued, fed one at a time through the
	 * output buffer as the guest reads them. */
	uint8_t kbd[I8042_KBD_QUEUE];
	unsigned int kbd_first, kbd_nr;
};

int i8042_create(i8042_reset_fn *reset, void *ctx, struct i8042 **out)
{
	struct i8042 *dev = calloc(1, sizeof(*dev));

	if (!dev)
		return -ENOMEM;
	pthread_mutex_init(&dev->lock, NULL);
	dev->reset = reset;
	dev->ctx = ctx;
	/* Keylock set: Linux warns "Keylock active" when it reads it clear. */
	dev->status = I8042_STATUS_SYS | I8042_STATUS_KEYLOCK;
	dev->ctr = I8042_CTR_SYS;
	dev->outp = I8042_OUTP_RESET;
	*out = dev;
	return 0;
}

void i8042_set_irq(struct i8042 *dev, i8042_irq_fn *irq, void *ctx)
{
	dev->irq = irq;
	dev->irq_ctx = ctx;
}

void i8042_destroy(struct i8042 *dev)
{
	if (!dev)
		return;
	pthread_mutex_destroy(&dev->lock);
	free(dev);
}

/* Puts (v) in the one-byte output buffer, overwriting it as the real part
 * does. Controller replies use it alone: drivers poll for them, no IRQ. */
static void i8042_output(struct i8042 *dev, uint8_t v, uint8_t flags)
{
	dev->out = v;
	dev->status &= (uint8_t)~I8042_STATUS_BYTE;
	dev->status |= I8042_STATUS_OBF | flags;
}

/*
 * A byte from the keyboard or AUX side, which drivers wait for by
 * interrupt (Linux's libps2 sees an ACK only from its IRQ handler).
 * Returns the ISA line to raise once the lock is dropped, or 0 when the
 * configuration byte masks it.
 */
static unsigned int i8042_output_dev(struct i8042 *dev, uint8_t v,
				     uint8_t flags)
{
	i8042_output(dev, v, flags);
	if (flags & I8042_STATUS_AUXDATA)
		return (dev->ctr & I8042_CTR_AUXINT) ? I8042_AUX_IRQ : 0;
	return (dev->ctr & I8042_CTR_KBDINT) ? I8042_KBD_IRQ : 0;
}

/* The next queued key byte into an empty output buffer; returns the line
 * to raise, or 0. Under the lock. */
static unsigned int i8042_feed_key(struct i8042 *dev)
{
	uint8_t v;

	if (!dev->kbd_nr || (dev->status & I8042_STATUS_OBF))
		return 0;
	v = dev->kbd[dev->kbd_first];
	dev->kbd_first = (dev->kbd_first + 1) % I8042_KBD_QUEUE;
	dev->kbd_nr--;
	return i8042_output_dev(dev, v, 0);
}

int i8042_send_keys(struct i8042 *dev, const uint8_t *bytes, unsigned int n)
{
	unsigned int line;

	pthread_mutex_lock(&dev->lock);
	if (n > I8042_KBD_QUEUE - dev->kbd_nr) {
		pthread_mutex_unlock(&dev->lock);
		return -ENOSPC;
	}
	for (unsigned int i = 0; i < n; i++)
		dev->kbd[(dev->kbd_first + dev->kbd_nr++) % I8042_KBD_QUEUE] =
			bytes[i];
	line = i8042_feed_key(dev);
	pthread_mutex_unlock(&dev->lock);
	if (line && dev->irq)
		dev->irq(dev->irq_ctx, line);
	return 0;
}

/* Returns true when the guest asked for a CPU reset. */
static bool i8042_command(struct i8042 *dev, uint8_t cmd)
{
	dev->status |= I8042_STATUS_CMD;
	dev->pending_cmd = 0;
	switch (cmd) {
	case I8042_CMD_READ_CTR:
		i8042_output(dev, dev->ctr, 0);
		break;
	case I8042_CMD_READ_OUTP:
		i8042_output(dev, dev->outp, 0);
		break;
	case I8042_CMD_CTL_TEST:
		i8042_output(dev, I8042_RET_CTL_TEST, 0);
		break;
	case I8042_CMD_KBD_TEST:
		i8042_output(dev, I8042_RET_KBD_TEST, 0);
		break;
	case I8042_CMD_AUX_TEST:
		/*
		 * Linux's i8042_check_aux() takes 0x01-0x03 ("clock/data
		 * stuck") as "no AUX port" and stops probing it at once.
		 */
		i8042_output(dev, I8042_RET_AUX_STUCK, 0);
		break;
	case I8042_CMD_AUX_DISABLE:
		dev->ctr |= I8042_CTR_AUXDIS;
		break;
	case I8042_CMD_AUX_ENABLE:
		dev->ctr &= (uint8_t)~I8042_CTR_AUXDIS;
		break;
	case I8042_CMD_KBD_DISABLE:
		dev->ctr |= I8042_CTR_KBDDIS;
		break;
	case I8042_CMD_KBD_ENABLE:
		dev->ctr &= (uint8_t)~I8042_CTR_KBDDIS;
		break;
	case I8042_CMD_WRITE_CTR:
	case I8042_CMD_WRITE_OUTP:
	case I8042_CMD_KBD_LOOP:
	case I8042_CMD_AUX_LOOP:
	case I8042_CMD_AUX_SEND:
		dev->pending_cmd = cmd;
		break;
	case I8042_CMD_RESET_CPU:
		return true;
	default:
		break;	/* nothing behind it to act on: ignore */
	}
	return false;
}

/*
 * A data byte (v) for the port named by the pending command, or for the
 * keyboard. Sets *reset when the guest cleared the output port's reset
 * bit; returns the ISA line to raise, or 0.
 */
static unsigned int i8042_data(struct i8042 *dev, uint8_t v, bool *reset)
{
	uint8_t cmd = dev->pending_cmd;

	dev->status &= (uint8_t)~I8042_STATUS_CMD;
	dev->pending_cmd = 0;
	switch (cmd) {
	case I8042_CMD_WRITE_CTR:
		dev->ctr = v;
		return 0;
	case I8042_CMD_WRITE_OUTP:
		dev->outp = v;
		*reset = !(v & I8042_OUTP_RESET);
		return 0;
	case I8042_CMD_KBD_LOOP:
		return i8042_output_dev(dev, v, 0);
	case I8042_CMD_AUX_LOOP:
		/*
		 * A working loop makes Linux's i8042_check_aux() believe in an
		 * AUX port and then wait 250 ms for a test byte on IRQ 12.
		 * The complement, flagged AUXDATA so the command completes,
		 * fails the loop check at once; AUX_TEST then says "stuck".
		 */
		return i8042_output_dev(dev, (uint8_t)~v, I8042_STATUS_AUXDATA);
	case I8042_CMD_AUX_SEND:
		return i8042_output_dev(dev, I8042_RET_NO_DEVICE,
					I8042_STATUS_AUXDATA |
						I8042_STATUS_TIMEOUT);
	default:
		/*
		 * A byte for the keyboard, which is absent: answer as a
		 * controller whose device never clocks a reply, with 0xfe and
		 * the timeout bit. Through IRQ 1 libps2 takes 0xfe as a NAK,
		 * retries once and fails the command at once, so atkbd gives
		 * up in microseconds; staying silent would cost it 200 ms per
		 * command. Polled, the byte is harmless: Linux flushes it.
		 */
		return i8042_output_dev(dev, I8042_RET_NO_DEVICE,
					I8042_STATUS_TIMEOUT);
	}
}

void i8042_access(void *ctx, uint64_t off, uint8_t *data, uint32_t len,
		  bool is_write)
{
	struct i8042 *dev = ctx;
	unsigned int line = 0;
	bool reset = false;

	pthread_mutex_lock(&dev->lock);
	if (off == I8042_CMD_OFF) {
		if (is_write)
			reset = i8042_command(dev, data[0]);
		else
			data[0] = dev->status;
	} else if (off == I8042_DATA_OFF) {
		if (is_write) {
			line = i8042_data(dev, data[0], &reset);
		} else {
			data[0] = dev->out;
			dev->status &= (uint8_t)~I8042_STATUS_OBF;
			line = i8042_feed_key(dev);
		}
	} else if (!is_write) {
		data[0] = 0xff;	/* ports 0x61..0x63 belong to others */
	}
	for (uint32_t i = 1; !is_write && i < len; i++)
		data[i] = 0xff;
	pthread_mutex_unlock(&dev->lock);
	/* Outside the lock: the handler stops every vCPU. */
	if (reset)
		dev->reset(dev->ctx);
	if (line && dev->irq)
		dev->irq(dev->irq_ctx, line);
}
