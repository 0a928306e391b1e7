/* SPDX-License-Identifier: Apache-2.0 */
/* vmm/metrics.h: Firecracker-style metrics: counters, groups, a JSON line per flush. */
#ifndef IGNIS_METRICS_H
#define IGNIS_METRICS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define METRICS_DEFAULT_PERIOD_MS 60000	/* Firecracker's flush period */
#define METRICS_NAME_MAX	48	/* a group's name in the JSON */

/*
 * One counter. Any thread adds to it (relaxed: a count needs no order);
 * only the flush, on the VMM thread, reads it and remembers what it wrote,
 * so that each flush reports what happened since the last one, as
 * Firecracker's IncMetric does.
 */
struct metric {
	_Atomic uint64_t count;	/* since creation */
	uint64_t flushed;	/* count at the last flush (VMM thread) */
};

static inline void metric_add(struct metric *m, uint64_t n)
{
	atomic_fetch_add_explicit(&m->count, n, memory_order_relaxed);
}

static inline void metric_inc(struct metric *m)
{
	metric_add(m, 1);
}

/*
 * A device's (or vCPU's) counters under one kind: the flush writes each
 * kind once, as the sum over its groups ("block"), then each group that has
 * an id on its own ("block_rootfs"), Firecracker's layout. The counters are
 * a struct of struct metric in the owner, (names) in the same order.
 */
struct metrics_group {
	const char *kind;		/* "block", "net", "entropy", ... */
	char id[METRICS_NAME_MAX];	/* "" : only in the kind's sum */
	const char *const *names;	/* [nr] JSON field names */
	struct metric *m;		/* [nr] */
	unsigned int nr;
	struct metrics_group *next;	/* registry (VMM thread) */
};

/* Declares the counters of a kind from an X-macro list of names: a struct
 * (type) of struct metric, and its names in order. */
#define METRIC_FIELD(name) struct metric name;
#define METRIC_NAME(name) #name,
#define METRICS_STRUCT(type, list)                                            \
	struct type {                                                         \
		list(METRIC_FIELD)                                            \
	}

/* Points (g) at (counters), a struct of (nr) metrics named (names). */
void metrics_group_init(struct metrics_group *g, const char *kind,
			const char *const *names, void *counters,
			unsigned int nr);

/* metrics_group_init() from a METRICS_STRUCT (counters: a pointer to one)
 * and its names array, which must match it. */
#define METRICS_GROUP_INIT(g, kind, names, counters)                          \
	do {                                                                  \
		_Static_assert(sizeof(*(counters)) ==                         \
				       sizeof(names) / sizeof((names)[0]) *   \
					       sizeof(struct metric),         \
			       "a name for every counter");                   \
		metrics_group_init(g, kind, names, counters,                  \
				   sizeof(names) / sizeof((names)[0]));       \
	} while (0)

/* Names the group "<kind>_<id>" in the flushes (id: [A-Za-z0-9_], as
 * Firecracker's ids are; longer ones are cut). */
void metrics_group_set_id(struct metrics_group *g, const char *id);

/* Adds (g) to what the flushes write / takes it out. VMM thread; (g)
 * must stay valid while registered. Removing an unregistered group is a
 * no-op. */
void metrics_register(struct metrics_group *g);
void metrics_unregister(struct metrics_group *g);

/* Firecracker's metrics settings (PUT /metrics, --metrics-path). */
struct metrics_config {
	char *path;		/* file or FIFO; NULL: no metrics; owned */
	unsigned int period_ms;	/* between timed flushes */
};

/*
 * Opens (mc)->path (created if missing, appended to; a FIFO is opened
 * non-blocking, so a reader that stops reading costs lines, not a stuck
 * VMM) and arms the flush timer. Once per process, as Firecracker allows.
 * 0, or -errno with the reason in (why).
 */
int metrics_configure(const struct metrics_config *mc, char *why,
		      size_t len);

/* Whether metrics_configure() succeeded. */
bool metrics_configured(void);

/* A timerfd readable when a timed flush is due; -1 before
 * metrics_configure(). Poll it on the VMM thread, then call
 * metrics_on_timer(). */
int metrics_timer_fd(void);
void metrics_on_timer(void);

/*
 * Writes one JSON line with every registered group's counters since the
 * last flush, and "utc_timestamp_ms". VMM thread. 0 (also when metrics are
 * not configured: nothing to do), or -errno (counted in
 * logger.metrics_fails; a full FIFO in logger.missed_metrics_count).
 */
int metrics_flush(void);

/*
 * Writes the flush's JSON (without the newline) into a malloc'd string:
 * what metrics_flush() writes, for the tests. Marks the counters flushed.
 * NULL without memory.
 */
char *metrics_flush_json(void);

/* Closes the file and stops the timer (at exit, after a last flush). */
void metrics_close(void);

/* The counters of the logger and metrics themselves (Firecracker's
 * "logger" group), for vmm/log.c. */
#define LOGGER_METRICS(X)                                                     \
	X(missed_log_count) X(log_fails) X(missed_metrics_count)              \
	X(metrics_fails)
METRICS_STRUCT(logger_metrics, LOGGER_METRICS);
extern struct logger_metrics logger_metrics;

#endif
