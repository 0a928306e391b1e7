/* SPDX-License-Identifier: Apache-2.0 */
/* devices/legacy/i8042.h: the PS/2 controller: no mouse, a keyboard that only sends what the VMM types. */
#ifndef IGNIS_I8042_H
#define IGNIS_I8042_H

#include "vmm/bus.h"

#define I8042_DATA_OFF	0	/* port 0x60 relative to the data base */
#define I8042_CMD_OFF	4	/* port 0x64 relative to the data base */
#define I8042_NR_PORTS	5	/* 0x60..0x64 decoded as one range */

#define I8042_KBD_IRQ	1	/* ISA line of keyboard-port bytes */
#define I8042_AUX_IRQ	12	/* ISA line of AUX-port bytes */
#define I8042_KBD_QUEUE	16	/* key bytes waiting for the guest */

struct i8042;

/* Called once per guest request to pulse the CPU reset line. */
typedef void i8042_reset_fn(void *ctx);

/* Raises ISA interrupt (line), I8042_KBD_IRQ or I8042_AUX_IRQ, once (an
 * edge). Called from vCPU threads, outside the device's lock. */
typedef void i8042_irq_fn(void *ctx, unsigned int line);

/*
 * Creates a controller with no keyboard and no AUX device attached: it
 * answers the controller's own commands and says "no device" to bytes
 * meant for the keyboard. 0 or -errno.
 */
int i8042_create(i8042_reset_fn *reset, void *ctx, struct i8042 **out);

/*
 * Lets (dev) interrupt the guest through (irq)(ctx) when it puts a byte in
 * its output buffer and the configuration byte enables that port's
 * interrupt, as the real part does. Optional: without it the guest sees
 * bytes only by polling the status register, which Linux does for
 * controller commands but not for keyboard replies (atkbd then waits out
 * 200 ms for each of GET ID and SET LEDS). Call before any vCPU runs.
 */
void i8042_set_irq(struct i8042 *dev, i8042_irq_fn *irq, void *ctx);

/*
 * Types (n) scan-code bytes on the keyboard port: each goes through the
 * output buffer with IRQ 1 once the guest has read the one before, as
 * Firecracker's SendCtrlAltDel does. The keyboard answers no commands, so
 * Linux binds atkbd to it only with i8042.dumbkbd (Firecracker's usual
 * command line has it); without it the bytes are read and dropped. Any
 * thread. 0, or -ENOSPC when the queue has no room for all of them (the
 * guest is not reading its keyboard).
 */
int i8042_send_keys(struct i8042 *dev, const uint8_t *bytes, unsigned int n);

/* Frees (dev); accepts NULL. */
void i8042_destroy(struct i8042 *dev);

/* The bus handler for ports 0x60..0x64 (vCPU threads). */
bus_access_fn i8042_access;

#endif
