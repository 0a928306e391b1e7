// SPDX-License-Identifier: Apache-2.0
/* devices/legacy/i8042.c: the PS/2 controller, for its reset line. */
#include "i8042.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

/* Controller commands written to port 0x64 (the IBM PC/AT reference). */
#define I8042_CMD_READ_CTR	0x20	/* controller config byte -> data */
#define I8042_CMD_WRITE_CTR	0x60	/* next data byte -> config */
#define I8042_CMD_READ_OUTP	0xd0	/* output port -> data */
#define I8042_CMD_WRITE_OUTP	0xd1	/* next data byte -> output port */
#define I8042_CMD_RESET_CPU	0xfe	/* pulse the reset line */

#define I8042_STATUS_OBF	0x01	/* output buffer full */
#define I8042_STATUS_SYS	0x04	/* system flag: POST passed */
#define I8042_STATUS_CMD	0x08	/* last write was a command */

#define I8042_CTR_SYS		0x04
#define I8042_OUTP_RESET	0x01	/* output port bit 0: CPU not in reset */

struct i8042 {
	pthread_mutex_t lock;	/* any vCPU may touch it */
	i8042_reset_fn *reset;	/* the guest asked for a reset */
	void *ctx;		/* its context */
	uint8_t status;		/* status register */
	uint8_t ctr;		/* controller configuration byte */
	uint8_t outp;		/* output port */
	uint8_t out;		/* output buffer, valid with STATUS_OBF */
	uint8_t pending_cmd;	/* command waiting for its data byte, or 0 */
};

int i8042_create(i8042_reset_fn *reset, void *ctx, struct i8042 **out)
{
	struct i8042 *dev = calloc(1, sizeof(*dev));

	if (!dev)
		return -ENOMEM;
	pthread_mutex_init(&dev->lock, NULL);
	dev->reset = reset;
	dev->ctx = ctx;
	dev->status = I8042_STATUS_SYS;
	dev->ctr = I8042_CTR_SYS;
	dev->outp = I8042_OUTP_RESET;
	*out = dev;
	return 0;
}

void i8042_destroy(struct i8042 *dev)
{
	if (!dev)
		return;
	pthread_mutex_destroy(&dev->lock);
	free(dev);
}

static void i8042_output(struct i8042 *dev, uint8_t v)
{
	dev->out = v;
	dev->status |= I8042_STATUS_OBF;
}

/* Returns true when the guest asked for a CPU reset. */
static bool i8042_command(struct i8042 *dev, uint8_t cmd)
{
	dev->status |= I8042_STATUS_CMD;
	switch (cmd) {
	case I8042_CMD_READ_CTR:
		i8042_output(dev, dev->ctr);
		break;
	case I8042_CMD_READ_OUTP:
		i8042_output(dev, dev->outp);
		break;
	case I8042_CMD_WRITE_CTR:
	case I8042_CMD_WRITE_OUTP:
		dev->pending_cmd = cmd;
		break;
	case I8042_CMD_RESET_CPU:
		return true;
	default:
		break;	/* no keyboard or mouse behind it: ignore */
	}
	return false;
}

/* Returns true when the guest cleared the output port's reset bit. */
static bool i8042_data(struct i8042 *dev, uint8_t v)
{
	uint8_t cmd = dev->pending_cmd;

	dev->status &= (uint8_t)~I8042_STATUS_CMD;
	dev->pending_cmd = 0;
	if (cmd == I8042_CMD_WRITE_CTR) {
		dev->ctr = v;
	} else if (cmd == I8042_CMD_WRITE_OUTP) {
		dev->outp = v;
		return !(v & I8042_OUTP_RESET);
	}
	return false;
}

void i8042_access(void *ctx, uint64_t off, uint8_t *data, uint32_t len,
		  bool is_write)
{
	struct i8042 *dev = ctx;
	bool reset = false;

	pthread_mutex_lock(&dev->lock);
	if (off == I8042_CMD_OFF) {
		if (is_write)
			reset = i8042_command(dev, data[0]);
		else
			data[0] = dev->status;
	} else if (off == I8042_DATA_OFF) {
		if (is_write) {
			reset = i8042_data(dev, data[0]);
		} else {
			data[0] = dev->out;
			dev->status &= (uint8_t)~I8042_STATUS_OBF;
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
}
