/* SPDX-License-Identifier: Apache-2.0 */
/* vmm/log.h: one-line messages on stderr, with a level. */
#ifndef IGNIS_LOG_H
#define IGNIS_LOG_H

enum log_level { LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG };

/* Messages above (level) are dropped. Default LOG_WARN. Any thread. */
void log_set_level(enum log_level level);

/* Prints "ignis: <message>\n" to stderr in one write(2), so lines from
 * different threads never interleave. Any thread. */
void log_msg(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

#endif
