// SPDX-License-Identifier: Apache-2.0
/* tests/integration/metrics_text.c: reading ignis's metrics lines (Firecracker's JSON) back in tests. */
#include "metrics_text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define METRICS_TEXT_MAX (1 << 20)

char *metrics_text_read(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = calloc(1, METRICS_TEXT_MAX);
	size_t n = 0;

	if (!buf)
		abort();
	if (f) {
		n = fread(buf, 1, METRICS_TEXT_MAX - 1, f);
		fclose(f);
	}
	buf[n] = '\0';
	return buf;
}

unsigned long long metrics_text_sum(const char *text, const char *group,
				    const char *field)
{
	char g[64], f[64];
	unsigned long long sum = 0;

	/* Groups hold flat objects of numbers: the group's '}' ends it. */
	snprintf(g, sizeof(g), "\"%s\":{", group);
	snprintf(f, sizeof(f), "\"%s\":", field);
	for (const char *p = strstr(text, g); p; p = strstr(p + 1, g)) {
		const char *end = strchr(p, '}'), *v = strstr(p, f);

		if (v && end && v < end)
			sum += strtoull(v + strlen(f), NULL, 10);
	}
	return sum;
}
