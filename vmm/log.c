// SPDX-License-Identifier: Apache-2.0
/* vmm/log.c: one-line messages with a level, on stderr or in a log file. */
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "metrics.h"

static atomic_int log_level = LOG_WARN;

/* The sink; every field under the lock, which each line to a file takes
 * (logging is never on a hot path). */
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static int log_fd = -1;			/* -1: stderr */
static bool log_show_level, log_show_origin;
static char *log_module;		/* NULL: every source */

static const char *const level_names[] = { "ERROR", "WARN", "INFO",
					   "DEBUG" };

void log_set_level(enum log_level level)
{
	atomic_store(&log_level, level);
}

int log_level_parse(const char *s, enum log_level *out)
{
	static const struct {
		const char *name;
		enum log_level level;
	} t[] = {
		{ "off", LOG_OFF },	{ "trace", LOG_DEBUG },
		{ "debug", LOG_DEBUG }, { "info", LOG_INFO },
		{ "warn", LOG_WARN },	{ "warning", LOG_WARN },
		{ "error", LOG_ERROR },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		if (!strcasecmp(s, t[i].name)) {
			*out = t[i].level;
			return 0;
		}
	}
	return -EINVAL;
}

int log_configure(const struct log_config *lc, char *why, size_t len)
{
	char *module = NULL;
	int fd = -1, old_fd;

	if (lc->module && !(module = strdup(lc->module))) {
		snprintf(why, len, "out of memory");
		return -ENOMEM;
	}
	/* Read-write, as Firecracker opens it: a FIFO then opens without a
	 * reader, and writes never block. */
	if (lc->path) {
		fd = open(lc->path, O_RDWR | O_APPEND | O_CREAT | O_NONBLOCK |
					    O_CLOEXEC, 0600);
		if (fd < 0) {
			int err = -errno;

			snprintf(why, len, "%s: %s", lc->path, strerror(errno));
			free(module);
			return err;
		}
	}
	pthread_mutex_lock(&log_lock);
	old_fd = log_fd;
	log_fd = fd;
	log_show_level = lc->show_level;
	log_show_origin = lc->show_origin;
	free(log_module);
	log_module = module;
	pthread_mutex_unlock(&log_lock);
	if (old_fd >= 0)
		close(old_fd);
	log_set_level(lc->level);
	return 0;
}

void log_close(void)
{
	struct log_config none = LOG_CONFIG_DEFAULT;
	char why[1];

	none.level = atomic_load(&log_level);
	log_configure(&none, why, sizeof(why));
}

/* Writes (n) bytes at (s) to (fd) in one write(2); a short or failed one
 * is counted, never retried: a log line must not hold a thread up. */
static void write_line(int fd, const char *s, size_t n)
{
	ssize_t w = write(fd, s, n);

	if (w == (ssize_t)n || fd == STDERR_FILENO)
		return;
	metric_inc(w < 0 && errno != EAGAIN ? &logger_metrics.log_fails :
					      &logger_metrics.missed_log_count);
}

/* "<UTC time> [ignis:<thread>[:<LEVEL>][:<file>:<line>]] " into (buf):
 * Firecracker's prefix. Returns its length. Under the lock. */
static int file_prefix(char *buf, size_t size, enum log_level level,
		       const char *file, int line)
{
	char thread[16] = "?";
	struct timespec ts;
	struct tm tm;
	int n;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	pthread_getname_np(pthread_self(), thread, sizeof(thread));
	n = (int)strftime(buf, size, "%Y-%m-%dT%H:%M:%S", &tm);
	n += snprintf(buf + n, size - (size_t)n, ".%09ld [ignis:%s",
		      ts.tv_nsec, thread);
	if (log_show_level)
		n += snprintf(buf + n, size - (size_t)n, ":%s",
			      level_names[level]);
	if (log_show_origin)
		n += snprintf(buf + n, size - (size_t)n, ":%s:%d", file, line);
	n += snprintf(buf + n, size - (size_t)n, "] ");
	return n < (int)size ? n : (int)size - 1;
}

void log_write(enum log_level level, const char *file, int line,
	       const char *fmt, ...)
{
	char msg[512], out[768];
	bool module_ok, to_stderr;
	va_list ap;
	int n;

	if ((int)level > atomic_load(&log_level))
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&log_lock);
	module_ok = !log_module ||
		    !strncmp(file, log_module, strlen(log_module));
	/* stderr: every line without a log file; errors always, so that
	 * whoever started ignis sees why it stopped. */
	to_stderr = (log_fd < 0 && module_ok) || level == LOG_ERROR;
	if (log_fd >= 0 && module_ok) {
		n = file_prefix(out, sizeof(out), level, file, line);
		n += snprintf(out + n, sizeof(out) - (size_t)n, "%s\n", msg);
		if (n >= (int)sizeof(out))
			out[(n = sizeof(out)) - 1] = '\n';
		write_line(log_fd, out, (size_t)n);
	}
	pthread_mutex_unlock(&log_lock);
	if (to_stderr) {
		n = snprintf(out, sizeof(out), "ignis: %s\n", msg);
		if (n >= (int)sizeof(out))
			out[(n = sizeof(out)) - 1] = '\n';
		write_line(STDERR_FILENO, out, (size_t)n);
	}
}
