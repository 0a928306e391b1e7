// SPDX-License-Identifier: Apache-2.0
/* tests/guest/rt/serial.c: COM1 output, reset, and the libc bits gcc needs. */
#include "rt.h"

void rt_putc(char c)
{
	rt_outb(RT_COM1, (uint8_t)c);
}

void rt_puts(const char *s)
{
	while (*s)
		rt_putc(*s++);
}

void rt_put_hex(uint64_t v, unsigned int digits)
{
	static const char hex[] = "0123456789abcdef";

	if (!digits)
		for (digits = 1; digits < 16 && v >> (digits * 4); digits++)
			;
	while (digits--)
		rt_putc(hex[(v >> (digits * 4)) & 0xf]);
}

void rt_put_dec(uint64_t v)
{
	char buf[21];
	int i = 0;

	do {
		buf[i++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (i)
		rt_putc(buf[--i]);
}

void rt_reset(void)
{
	rt_outb(RT_I8042_CMD, 0xfe);
	for (;;)
		__asm__ volatile("ud2");
}

void *memset(void *d, int c, size_t n)
{
	unsigned char *p = d;

	while (n--)
		*p++ = (unsigned char)c;
	return d;
}

void *memcpy(void *d, const void *s, size_t n)
{
	unsigned char *p = d;
	const unsigned char *q = s;

	while (n--)
		*p++ = *q++;
	return d;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *p = a, *q = b;

	for (; n; n--, p++, q++)
		if (*p != *q)
			return *p - *q;
	return 0;
}

size_t strlen(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}
