// SPDX-License-Identifier: Apache-2.0
/* tests/guest/lib/cmdline.c: the PVH command line, read by test guests. */
#include "cmdline.h"

#include "pvh.h"
#include "rt.h"

#define HVM_CMDLINE_OFF	offsetof(struct hvm_start_info, cmdline_paddr)

const char *cmdline_get(unsigned int proto, uint64_t info)
{
	uint64_t p;

	if (proto != RT_BOOT_PVH || !rt_is_mapped(info, HVM_CMDLINE_OFF + 8))
		return 0;
	p = *(const uint64_t *)(uintptr_t)(info + HVM_CMDLINE_OFF);
	/* One page is the most any VMM here passes (ignis checks 2 KiB). */
	if (!p || !rt_is_mapped(p, 4096))
		return 0;
	return (const char *)(uintptr_t)p;
}

/* Whether (c) starts a word of (start). */
static int word_start(const char *start, const char *c)
{
	return c == start || c[-1] == ' ';
}

int cmdline_has(const char *cmdline, const char *w)
{
	size_t n = strlen(w);

	if (!cmdline)
		return 0;
	for (const char *c = cmdline; *c; c++)
		if (word_start(cmdline, c) && !memcmp(c, w, n) &&
		    (c[n] == ' ' || c[n] == '\0'))
			return 1;
	return 0;
}

const char *cmdline_value(const char *cmdline, const char *key, unsigned int n)
{
	size_t len = strlen(key);

	if (!cmdline)
		return 0;
	for (const char *c = cmdline; *c; c++) {
		if (!word_start(cmdline, c) || memcmp(c, key, len))
			continue;
		if (n-- == 0)
			return c + len;
	}
	return 0;
}

uint64_t cmdline_num(const char *s, const char **end)
{
	const char *c = s;
	uint64_t v = 0;
	unsigned int base = 10;

	if (c[0] == '0' && (c[1] == 'x' || c[1] == 'X') &&
	    ((c[2] >= '0' && c[2] <= '9') ||
	     ((c[2] | 0x20) >= 'a' && (c[2] | 0x20) <= 'f'))) {
		base = 16;
		c += 2;
	}
	for (;; c++) {
		unsigned int d;

		if (*c >= '0' && *c <= '9')
			d = (unsigned int)(*c - '0');
		else if (base == 16 && (*c | 0x20) >= 'a' && (*c | 0x20) <= 'f')
			d = (unsigned int)((*c | 0x20) - 'a' + 10);
		else
			break;
		v = v * base + d;
	}
	if (c != s) {
		unsigned int shift = 0;

		switch (*c | 0x20) {
		case 'k':
			shift = 10;
			break;
		case 'm':
			shift = 20;
			break;
		case 'g':
			shift = 30;
			break;
		default:
			break;
		}
		if (shift) {
			v <<= shift;
			c++;
		}
	}
	if (end)
		*end = c;
	return v;
}
