/* SPDX-License-Identifier: Apache-2.0 */
/* devices/legacy/cmos.h: an MC146818 real-time clock and its CMOS RAM. */
#ifndef IGNIS_CMOS_H
#define IGNIS_CMOS_H

#include <time.h>

#include "vmm/bus.h"

#define CMOS_INDEX_OFF	0	/* port 0x70: register index, bit 7 NMI mask */
#define CMOS_DATA_OFF	1	/* port 0x71: the indexed register */
#define CMOS_NR_PORTS	2	/* 0x70..0x71 decoded as one range */
#define CMOS_NR_REGS	128	/* clock registers plus NVRAM */

struct cmos;

/* The current UTC time in seconds since the epoch. Called from vCPU
 * threads with the device's lock held. */
typedef time_t cmos_clock_fn(void *ctx);

/*
 * Creates a clock that shows the guest the time (now)(ctx) returns, or the
 * host's CLOCK_REALTIME when (now) is NULL, plus whatever offset the guest
 * sets by writing the time registers. The NVRAM starts zeroed. It raises
 * no interrupts. 0 or -errno.
 */
int cmos_create(cmos_clock_fn *now, void *ctx, struct cmos **out);

/* Frees (c); accepts NULL. */
void cmos_destroy(struct cmos *c);

/* The bus handler for its CMOS_NR_PORTS ports (vCPU threads). */
bus_access_fn cmos_access;

#endif
