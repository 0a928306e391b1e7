// SPDX-License-Identifier: Apache-2.0
/* vmm/size.c: parse numbers and sizes given by users ("64M", "1G", "4"). */
#include "size.h"

#include <ctype.h>
#include <errno.h>
#include <string.h>
#include <strings.h>

/* Reads the leading decimal digits of (s); strtoull would accept signs,
 * spaces and hex, which a user never means here. */
static int digits_parse(const char **s, uint64_t *out)
{
	const char *p = *s;
	uint64_t v = 0;

	if (!isdigit((unsigned char)*p))
		return -EINVAL;
	for (; isdigit((unsigned char)*p); p++) {
		unsigned int d = (unsigned int)(*p - '0');

		if (v > (UINT64_MAX - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	*s = p;
	*out = v;
	return 0;
}

int size_parse(const char *s, uint64_t *out)
{
	static const char units[] = "KMGT";
	const char *unit;
	unsigned int shift = 0;
	uint64_t v;
	int err;

	if (!s)
		return -EINVAL;
	err = digits_parse(&s, &v);
	if (err)
		return err;
	if (*s) {
		unit = strchr(units, toupper((unsigned char)*s));
		if (!unit)
			return -EINVAL;
		shift = 10 * (unsigned int)(unit - units + 1);
		s++;
		if (!strcasecmp(s, "ib") || !strcasecmp(s, "b"))
			s += strlen(s);
		if (*s)
			return -EINVAL;
	}
	if (shift && v > (UINT64_MAX >> shift))
		return -ERANGE;
	*out = v << shift;
	return 0;
}

int uint_parse(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	uint64_t v;
	int err;

	if (!s)
		return -EINVAL;
	err = digits_parse(&s, &v);
	if (err)
		return err;
	if (*s)
		return -EINVAL;
	if (v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}
