// SPDX-License-Identifier: Apache-2.0
/* tests/devices/legacy/test_cmos.c: the MC146818 clock and NVRAM, pinned. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <time.h>

#include "devices/legacy/cmos.h"

#define T_LEAP_DAY	1709214307	/* 2024-02-29 13:45:07 UTC, Thursday */
#define T_CENTURY_END	4102444799	/* 2099-12-31 23:59:59 UTC, Thursday */
#define T_SUNDAY_0005	1709424300	/* 2024-03-03 00:05:00 UTC */
#define T_SUNDAY_1205	1709467500	/* 2024-03-03 12:05:00 UTC */

static struct cmos *rtc;
static time_t pinned;

static time_t pinned_now(void *ctx)
{
	return *(time_t *)ctx;
}

static void setup(void)
{
	pinned = T_LEAP_DAY;
	cr_assert_eq(cmos_create(pinned_now, &pinned, &rtc), 0);
}

static void teardown(void)
{
	cmos_destroy(rtc);
}

static uint8_t rd(uint8_t reg)
{
	uint8_t v = reg;

	cmos_access(rtc, CMOS_INDEX_OFF, &v, 1, true);
	v = 0xee;
	cmos_access(rtc, CMOS_DATA_OFF, &v, 1, false);
	return v;
}

static void wr(uint8_t reg, uint8_t v)
{
	cmos_access(rtc, CMOS_INDEX_OFF, &reg, 1, true);
	cmos_access(rtc, CMOS_DATA_OFF, &v, 1, true);
}

/* sec, min, hour, weekday, day, month, year, century */
static void assert_time(const uint8_t want[8])
{
	static const uint8_t regs[8] = { 0x00, 0x02, 0x04, 0x06,
					 0x07, 0x08, 0x09, 0x32 };

	for (int i = 0; i < 8; i++)
		cr_assert_eq(rd(regs[i]), want[i], "reg %#x: %#x, want %#x",
			     regs[i], rd(regs[i]), want[i]);
}

TestSuite(cmos, .init = setup, .fini = teardown);

Test(cmos, bcd_fields_century_and_weekday)
{
	static const uint8_t want[8] = { 0x07, 0x45, 0x13, 0x05,
					 0x29, 0x02, 0x24, 0x20 };

	cr_assert_eq(rd(0x0b), 0x02, "24-hour BCD at reset");
	assert_time(want);
}

Test(cmos, binary_mode)
{
	static const uint8_t want[8] = { 7, 45, 13, 5, 29, 2, 24, 20 };

	wr(0x0b, 0x06);
	assert_time(want);
	wr(0x0b, 0x02);
	cr_assert_eq(rd(0x00), 0x07, "back to BCD");
}

Test(cmos, twelve_hour_mode_with_pm_bit)
{
	wr(0x0b, 0x00);	/* BCD, 12-hour */
	cr_assert_eq(rd(0x04), 0x81, "13h is 1 PM");
	wr(0x0b, 0x04);	/* binary, 12-hour */
	cr_assert_eq(rd(0x04), 0x81);
	pinned = T_SUNDAY_0005;
	cr_assert_eq(rd(0x04), 12, "midnight is 12 AM");
	cr_assert_eq(rd(0x06), 1, "Sunday is 1");
	pinned = T_SUNDAY_1205;
	cr_assert_eq(rd(0x04), 12 | 0x80, "noon is 12 PM");
	wr(0x0b, 0x00);
	cr_assert_eq(rd(0x04), 0x92);
}

Test(cmos, status_registers)
{
	cr_assert_eq(rd(0x0a), 0x26);
	cr_assert_eq(rd(0x0a) & 0x80, 0, "UIP never set");
	wr(0x0a, 0xa6);
	cr_assert_eq(rd(0x0a), 0x26, "UIP is read-only");
	cr_assert_eq(rd(0x0d), 0x80, "VRT: time and RAM valid");
	wr(0x0d, 0x00);
	cr_assert_eq(rd(0x0d), 0x80);
	cr_assert_eq(rd(0x0c), 0, "no interrupt flags");
	wr(0x0c, 0xf0);
	cr_assert_eq(rd(0x0c), 0);
}

Test(cmos, nvram_and_alarm_round_trip)
{
	static const uint8_t alarms[3] = { 0x01, 0x03, 0x05 };

	for (unsigned int i = 0x0e; i < CMOS_NR_REGS; i++)
		if (i != 0x32)
			cr_assert_eq(rd((uint8_t)i), 0, "reg %#x at reset", i);
	for (unsigned int i = 0x0e; i < CMOS_NR_REGS; i++)
		if (i != 0x32)
			wr((uint8_t)i, (uint8_t)(i ^ 0x5a));
	for (int i = 0; i < 3; i++)
		wr(alarms[i], (uint8_t)(0x10 + i));
	for (unsigned int i = 0x0e; i < CMOS_NR_REGS; i++)
		if (i != 0x32)
			cr_assert_eq(rd((uint8_t)i), (uint8_t)(i ^ 0x5a));
	for (int i = 0; i < 3; i++)
		cr_assert_eq(rd(alarms[i]), 0x10 + i);
	cr_assert_eq(rd(0x00), 0x07, "the clock is untouched");
}

Test(cmos, index_masks_the_nmi_bit)
{
	uint8_t v = 0x80 | 0x40;

	wr(0x40, 0x77);
	cmos_access(rtc, CMOS_INDEX_OFF, &v, 1, true);
	v = 0;
	cmos_access(rtc, CMOS_DATA_OFF, &v, 1, false);
	cr_assert_eq(v, 0x77);
	cr_assert_eq(rd(0x80 | 0x09), 0x24, "0x89 is the year");
	v = 0;
	cmos_access(rtc, CMOS_INDEX_OFF, &v, 1, false);
	cr_assert_eq(v, 0xff, "the index port is write-only");
}

Test(cmos, bad_offsets_and_wide_accesses_are_harmless)
{
	uint8_t w[8] = { 0x20, 0x55, 0x66, 0x77, 0, 0, 0, 0 };

	for (uint64_t off = 2; off < 8; off++) {
		uint8_t v = 0x11;

		cmos_access(rtc, off, &v, 1, true);
		v = 0;
		cmos_access(rtc, off, &v, 1, false);
		cr_assert_eq(v, 0xff);
	}
	cmos_access(rtc, UINT64_MAX, w, 8, false);
	/* A wide write uses its first byte only. */
	w[0] = 0x20;
	cmos_access(rtc, CMOS_INDEX_OFF, w, 4, true);
	w[0] = 0x99;
	cmos_access(rtc, CMOS_DATA_OFF, w, 2, true);
	cr_assert_eq(rd(0x20), 0x99);
	cr_assert_eq(rd(0x21), 0, "no spill into the next byte");
	cmos_access(rtc, CMOS_INDEX_OFF, (uint8_t[]){ 0x20 }, 1, true);
	cmos_access(rtc, CMOS_DATA_OFF, w, 4, false);
	cr_assert_eq(w[0], 0x99);
	cr_assert_eq(w[1] & w[2] & w[3], 0xff);
	cr_assert_eq(rd(0x00), 0x07);
}

Test(cmos, rolls_over_a_century)
{
	static const uint8_t before[8] = { 0x59, 0x59, 0x23, 0x05,
					   0x31, 0x12, 0x99, 0x20 };
	static const uint8_t after[8] = { 0x00, 0x00, 0x00, 0x06,
					  0x01, 0x01, 0x00, 0x21 };

	pinned = T_CENTURY_END;
	assert_time(before);
	pinned++;
	assert_time(after);
}

Test(cmos, set_bit_freezes_then_sets_the_time)
{
	/* 2030-06-15 08:30:00, a Saturday, as mc146818_set_time writes it. */
	static const uint8_t set[8] = { 0x00, 0x30, 0x08, 0x07,
					0x15, 0x06, 0x30, 0x20 };
	static const uint8_t later[8] = { 0x10, 0x30, 0x08, 0x07,
					  0x15, 0x06, 0x30, 0x20 };

	wr(0x0b, 0x82);
	pinned += 100;
	cr_assert_eq(rd(0x00), 0x07, "frozen while SET");
	wr(0x00, 0x00);
	wr(0x02, 0x30);
	wr(0x04, 0x08);
	wr(0x07, 0x15);
	wr(0x08, 0x06);
	wr(0x09, 0x30);
	wr(0x32, 0x20);
	cr_assert_eq(rd(0x02), 0x30, "reads what was written while SET");
	pinned += 5;
	wr(0x0b, 0x02);
	assert_time(set);
	pinned += 10;
	assert_time(later);
}

Test(cmos, set_in_binary_twelve_hour_mode)
{
	wr(0x0b, 0x80 | 0x04);	/* SET, binary, 12-hour */
	wr(0x04, 0x80 | 11);	/* 11 PM */
	wr(0x0b, 0x02);		/* run, BCD, 24-hour */
	cr_assert_eq(rd(0x04), 0x23);
	cr_assert_eq(rd(0x02), 0x45);
	cr_assert_eq(rd(0x07), 0x29, "same day");
}

Test(cmos, time_write_without_set_moves_the_clock)
{
	wr(0x09, 0x25);	/* 2025 is no leap year: Feb 29 becomes Mar 1 */
	cr_assert_eq(rd(0x09), 0x25);
	cr_assert_eq(rd(0x08), 0x03);
	cr_assert_eq(rd(0x07), 0x01);
	wr(0x06, 0x02);	/* the weekday follows from the date */
	cr_assert_eq(rd(0x06), 0x07, "2025-03-01 is a Saturday");
	pinned += 3;
	cr_assert_eq(rd(0x00), 0x10);
}

Test(cmos, real_clock_by_default)
{
	struct cmos *host;
	struct tm tm;
	time_t t = time(NULL);
	uint8_t v = 0x09;

	cr_assert_eq(cmos_create(NULL, NULL, &host), 0);
	gmtime_r(&t, &tm);
	cmos_access(host, CMOS_INDEX_OFF, &v, 1, true);
	cmos_access(host, CMOS_DATA_OFF, &v, 1, false);
	cr_assert_eq((v >> 4) * 10 + (v & 0xf), (tm.tm_year + 1900) % 100);
	cmos_destroy(host);
	cmos_destroy(NULL);
}
