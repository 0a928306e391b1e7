/* SPDX-License-Identifier: Apache-2.0 */
/* devices/legacy/serial.h: a 16550A UART (8250 family) for the guest console. */
#ifndef IGNIS_SERIAL_H
#define IGNIS_SERIAL_H

#include <stddef.h>
#include <stdint.h>

#include "vmm/bus.h"

#define SERIAL_NR_REGS	8	/* bytes of I/O space it decodes */
#define SERIAL_RX_SIZE	64	/* bytes of input buffered for the guest */

struct serial;

/* Raises the UART's interrupt line once (an edge). Any thread. */
typedef void serial_irq_fn(void *ctx);

/*
 * Creates a UART whose transmitted bytes are written to (out_fd) and whose
 * interrupts go to (irq)(irq_ctx). 0 or -errno.
 */
int serial_create(int out_fd, serial_irq_fn *irq, void *irq_ctx,
		  struct serial **out);

/* Frees (s); accepts NULL. */
void serial_destroy(struct serial *s);

/* The bus handler for its SERIAL_NR_REGS registers (vCPU threads). */
bus_access_fn serial_access;

/*
 * Queues up to (len) bytes of (buf) for the guest to read and returns how
 * many it took: never more than the free room of the bounded receive
 * buffer, so a fast producer cannot grow host memory. Any thread.
 */
size_t serial_input(struct serial *s, const uint8_t *buf, size_t len);

/* Free room in the receive buffer, in bytes. Any thread. */
size_t serial_rx_room(struct serial *s);

#endif
