/* SPDX-License-Identifier: Apache-2.0 */
/* devices/legacy/i8042.h: the PS/2 controller, for its reset line. */
#ifndef IGNIS_I8042_H
#define IGNIS_I8042_H

#include "vmm/bus.h"

#define I8042_DATA_OFF	0	/* port 0x60 relative to the data base */
#define I8042_CMD_OFF	4	/* port 0x64 relative to the data base */
#define I8042_NR_PORTS	5	/* 0x60..0x64 decoded as one range */

struct i8042;

/* Called once per guest request to pulse the CPU reset line. */
typedef void i8042_reset_fn(void *ctx);

/* Creates a controller with no keyboard attached. 0 or -errno. */
int i8042_create(i8042_reset_fn *reset, void *ctx, struct i8042 **out);

/* Frees (dev); accepts NULL. */
void i8042_destroy(struct i8042 *dev);

/* The bus handler for ports 0x60..0x64 (vCPU threads). */
bus_access_fn i8042_access;

#endif
