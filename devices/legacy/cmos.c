// SPDX-License-Identifier: Apache-2.0
/* devices/legacy/cmos.c: an MC146818 real-time clock and its CMOS RAM. */
#include "cmos.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

/*
 * Register indices (Motorola MC146818A datasheet; the century byte is the
 * IBM PC/AT convention, which ACPI's FADT names by default). The other
 * bytes are plain NVRAM: the memory-size bytes 0x34/0x35 and 0x5b-0x5d
 * that SeaBIOS reads are not filled, as no firmware runs here.
 */
#define CMOS_SEC	0x00
#define CMOS_MIN	0x02
#define CMOS_HOUR	0x04
#define CMOS_WDAY	0x06	/* 1-7, Sunday = 1 */
#define CMOS_MDAY	0x07
#define CMOS_MON	0x08
#define CMOS_YEAR	0x09	/* two digits */
#define CMOS_REG_A	0x0a
#define CMOS_REG_B	0x0b
#define CMOS_REG_C	0x0c
#define CMOS_REG_D	0x0d
#define CMOS_CENTURY	0x32

#define CMOS_A_UIP	0x80	/* update in progress: never set here */
#define CMOS_A_DEFAULT	0x26	/* 32.768 kHz time base, 1024 Hz rate */
#define CMOS_B_SET	0x80	/* updates halted so the guest can set */
#define CMOS_B_DM	0x04	/* binary, not BCD */
#define CMOS_B_24H	0x02	/* 24-hour, not 12-hour with a PM bit */
#define CMOS_B_DEFAULT	CMOS_B_24H
#define CMOS_D_VRT	0x80	/* valid RAM and time: the battery is good */
#define CMOS_HOUR_PM	0x80	/* in 12-hour mode */
#define CMOS_INDEX_MASK	0x7f	/* bit 7 of port 0x70 gates NMI */

struct cmos {
	pthread_mutex_t lock;		/* any vCPU may touch it */
	cmos_clock_fn *now;		/* the time source */
	void *ctx;			/* its context */
	int64_t offset;			/* guest time minus source time (s) */
	uint8_t index;			/* selected register */
	uint8_t regs[CMOS_NR_REGS];	/* time bytes valid while SET */
};

static time_t cmos_host_now(void *ctx)
{
	struct timespec ts;

	/* CLOCK_REALTIME cannot fail with a valid pointer. */
	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec;
}

int cmos_create(cmos_clock_fn *now, void *ctx, struct cmos **out)
{
	struct cmos *c = calloc(1, sizeof(*c));

	if (!c)
		return -ENOMEM;
	pthread_mutex_init(&c->lock, NULL);
	c->now = now ? now : cmos_host_now;
	c->ctx = ctx;
	c->regs[CMOS_REG_A] = CMOS_A_DEFAULT;
	c->regs[CMOS_REG_B] = CMOS_B_DEFAULT;
	c->regs[CMOS_REG_D] = CMOS_D_VRT;
	*out = c;
	return 0;
}

void cmos_destroy(struct cmos *c)
{
	if (!c)
		return;
	pthread_mutex_destroy(&c->lock);
	free(c);
}

static bool cmos_is_time_reg(uint8_t idx)
{
	switch (idx) {
	case CMOS_SEC:
	case CMOS_MIN:
	case CMOS_HOUR:
	case CMOS_WDAY:
	case CMOS_MDAY:
	case CMOS_MON:
	case CMOS_YEAR:
	case CMOS_CENTURY:
		return true;
	default:
		return false;
	}
}

/* (v), 0..99, in the mode register B selects. */
static uint8_t cmos_to(const struct cmos *c, int v)
{
	if (c->regs[CMOS_REG_B] & CMOS_B_DM)
		return (uint8_t)v;
	return (uint8_t)((v / 10) << 4 | v % 10);
}

/* The guest's byte (v) as a number; bad BCD is not rejected, the date
 * arithmetic below normalises whatever it makes. */
static int cmos_from(const struct cmos *c, uint8_t v)
{
	if (c->regs[CMOS_REG_B] & CMOS_B_DM)
		return v;
	return (v >> 4) * 10 + (v & 0x0f);
}

/* (v) mod 100, never negative. */
static int cmos_mod100(int v)
{
	return (v % 100 + 100) % 100;
}

static int64_t cmos_time(struct cmos *c)
{
	return (int64_t)c->now(c->ctx) + c->offset;
}

/* Fills the time registers with (t) in the current modes. */
static void cmos_encode(struct cmos *c, int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	int year, hour;

	if (!gmtime_r(&tt, &tm))
		return;	/* beyond struct tm: keep the last value */
	year = tm.tm_year + 1900;
	hour = tm.tm_hour;
	c->regs[CMOS_SEC] = cmos_to(c, tm.tm_sec);
	c->regs[CMOS_MIN] = cmos_to(c, tm.tm_min);
	if (c->regs[CMOS_REG_B] & CMOS_B_24H)
		c->regs[CMOS_HOUR] = cmos_to(c, hour);
	else
		c->regs[CMOS_HOUR] = cmos_to(c, hour % 12 ? hour % 12 : 12) |
				     (hour >= 12 ? CMOS_HOUR_PM : 0);
	c->regs[CMOS_WDAY] = cmos_to(c, tm.tm_wday + 1);
	c->regs[CMOS_MDAY] = cmos_to(c, tm.tm_mday);
	c->regs[CMOS_MON] = cmos_to(c, tm.tm_mon + 1);
	c->regs[CMOS_YEAR] = cmos_to(c, cmos_mod100(year));
	c->regs[CMOS_CENTURY] = cmos_to(c, cmos_mod100(year / 100));
}

/*
 * Makes the time the registers hold the guest's time from now on. The
 * weekday byte is not read: it follows from the date. A date beyond
 * time_t leaves the clock as it was.
 */
static void cmos_commit(struct cmos *c)
{
	uint8_t hour = c->regs[CMOS_HOUR];
	struct tm tm = { 0 };
	time_t t;

	tm.tm_sec = cmos_from(c, c->regs[CMOS_SEC]);
	tm.tm_min = cmos_from(c, c->regs[CMOS_MIN]);
	tm.tm_hour = cmos_from(c, hour & (uint8_t)~CMOS_HOUR_PM);
	if (!(c->regs[CMOS_REG_B] & CMOS_B_24H))
		tm.tm_hour = tm.tm_hour % 12 + (hour & CMOS_HOUR_PM ? 12 : 0);
	tm.tm_mday = cmos_from(c, c->regs[CMOS_MDAY]);
	tm.tm_mon = cmos_from(c, c->regs[CMOS_MON]) - 1;
	tm.tm_year = cmos_from(c, c->regs[CMOS_CENTURY]) * 100 +
		     cmos_from(c, c->regs[CMOS_YEAR]) - 1900;
	errno = 0;
	t = timegm(&tm);
	if (t == (time_t)-1 && errno)
		return;
	c->offset = (int64_t)t - (int64_t)c->now(c->ctx);
}

/*
 * Register B. SET freezes the time registers (the datasheet's "update
 * cycle inhibited") at the current time, in the modes written with it, so
 * the guest can rewrite them one by one, as Linux's mc146818_set_time()
 * does; clearing SET starts the clock from them, read in the modes they
 * were written in. Mode bits change how the time reads, not the time.
 */
static void cmos_write_b(struct cmos *c, uint8_t v)
{
	bool was_set = c->regs[CMOS_REG_B] & CMOS_B_SET;

	if (was_set && !(v & CMOS_B_SET))
		cmos_commit(c);
	c->regs[CMOS_REG_B] = v;
	if (!was_set && (v & CMOS_B_SET))
		cmos_encode(c, cmos_time(c));
}

static uint8_t cmos_read(struct cmos *c, uint8_t idx)
{
	uint8_t v;

	if (cmos_is_time_reg(idx) && !(c->regs[CMOS_REG_B] & CMOS_B_SET))
		cmos_encode(c, cmos_time(c));
	v = c->regs[idx];
	if (idx == CMOS_REG_C)
		c->regs[CMOS_REG_C] = 0;	/* reading acknowledges */
	return v;
}

static void cmos_write(struct cmos *c, uint8_t idx, uint8_t v)
{
	switch (idx) {
	case CMOS_REG_A:
		/* UIP is read-only; the divider bits are kept but the clock
		 * runs whatever they say. */
		c->regs[CMOS_REG_A] = v & (uint8_t)~CMOS_A_UIP;
		break;
	case CMOS_REG_B:
		cmos_write_b(c, v);
		break;
	case CMOS_REG_C:
	case CMOS_REG_D:
		break;	/* read-only */
	default:
		if (!cmos_is_time_reg(idx) ||
		    (c->regs[CMOS_REG_B] & CMOS_B_SET)) {
			c->regs[idx] = v;
			break;
		}
		/* A time byte while the clock runs: as if SET framed it. */
		cmos_encode(c, cmos_time(c));
		c->regs[idx] = v;
		cmos_commit(c);
		break;
	}
}

void cmos_access(void *ctx, uint64_t off, uint8_t *data, uint32_t len,
		 bool is_write)
{
	struct cmos *c = ctx;

	pthread_mutex_lock(&c->lock);
	if (off == CMOS_INDEX_OFF) {
		if (is_write)
			c->index = data[0] & CMOS_INDEX_MASK;
		else
			data[0] = 0xff;	/* write-only on the PC/AT */
	} else if (off == CMOS_DATA_OFF) {
		if (is_write)
			cmos_write(c, c->index, data[0]);
		else
			data[0] = cmos_read(c, c->index);
	} else if (!is_write) {
		data[0] = 0xff;	/* outside the range it was given */
	}
	for (uint32_t i = 1; !is_write && i < len; i++)
		data[i] = 0xff;
	pthread_mutex_unlock(&c->lock);
}
