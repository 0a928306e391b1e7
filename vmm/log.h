/* SPDX-License-Identifier: Apache-2.0 */
/* vmm/log.h: one-line messages with a level, on stderr or in a log file. */
#ifndef IGNIS_LOG_H
#define IGNIS_LOG_H

#include <stdbool.h>
#include <stddef.h>

/* LOG_OFF drops everything (Firecracker's "Off"). */
enum log_level { LOG_OFF = -1, LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG };

/* Messages above (level) are dropped. Default LOG_WARN. Any thread. */
void log_set_level(enum log_level level);

/* Parses Firecracker's level names, in any case: "Off", "Trace" (our
 * DEBUG), "Debug", "Info", "Warn" or "Warning", "Error". 0 or -EINVAL. */
int log_level_parse(const char *s, enum log_level *out);

/* Firecracker's logger settings (PUT /logger, --log-path, --level). */
struct log_config {
	char *path;		/* log file or FIFO; NULL: stderr; owned */
	enum log_level level;
	bool show_level;	/* the level in each line */
	bool show_origin;	/* the source file and line in each line */
	char *module;		/* only messages from sources under this
				 * path ("devices/virtio"); NULL: all;
				 * owned */
};

/* The settings a process starts with: stderr, LOG_WARN. */
#define LOG_CONFIG_DEFAULT ((struct log_config){ .level = LOG_WARN })

/*
 * Sends the messages to (lc)->path from now on (created if missing,
 * appended to; a FIFO is opened non-blocking, so a reader that stops
 * reading costs lines, counted in the "logger" metrics, not a stuck
 * thread), each line as Firecracker writes them:
 *     <UTC time> [ignis:<thread>[:<LEVEL>][:<file>:<line>]] <message>
 * Errors still go to stderr too. Without a path, lines go to stderr as
 * "ignis: <message>". 0, or -errno with the reason in (why): then nothing
 * changed. Any thread.
 */
int log_configure(const struct log_config *lc, char *why, size_t len);

/* Closes the log file (at exit). */
void log_close(void);

/* Writes one message, in one write(2), so lines from different threads
 * never interleave. Any thread; use the macros below. */
void log_write(enum log_level level, const char *file, int line,
	       const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#define log_msg(level, ...) log_write(level, __FILE__, __LINE__, __VA_ARGS__)
#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

#endif
