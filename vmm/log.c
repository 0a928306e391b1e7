// SPDX-License-Identifier: Apache-2.0
/* vmm/log.c: one-line messages on stderr, with a level. */
#include "log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <unistd.h>

static atomic_int log_level = LOG_WARN;

void log_set_level(enum log_level level)
{
	atomic_store(&log_level, level);
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n;

	if ((int)level > atomic_load(&log_level))
		return;
	n = snprintf(line, sizeof(line), "ignis: ");
	va_start(ap, fmt);
	n += vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	/* One write: a line is never split between threads. Nothing to do
	 * if stderr is gone. */
	if (write(STDERR_FILENO, line, (size_t)n) < 0)
		return;
}
