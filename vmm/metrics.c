// SPDX-License-Identifier: Apache-2.0
/* vmm/metrics.c: Firecracker-style metrics: counters, groups, a JSON line per flush. */
#include "metrics.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

struct logger_metrics logger_metrics;

static const char *const logger_names[] = { LOGGER_METRICS(METRIC_NAME) };

/* The registry and the sink: VMM thread only. */
static struct metrics_group *groups;
static struct metrics_group logger_group;
static int metrics_fd = -1;
static int timer_fd = -1;

void metrics_group_init(struct metrics_group *g, const char *kind,
			const char *const *names, void *counters,
			unsigned int nr)
{
	memset(g, 0, sizeof(*g));
	g->kind = kind;
	g->names = names;
	g->m = counters;
	g->nr = nr;
}

void metrics_group_set_id(struct metrics_group *g, const char *id)
{
	snprintf(g->id, sizeof(g->id), "%s", id);
}

void metrics_register(struct metrics_group *g)
{
	struct metrics_group **p = &groups;

	/* At the end: the JSON lists devices in the order they were made. */
	while (*p)
		p = &(*p)->next;
	g->next = NULL;
	*p = g;
}

void metrics_unregister(struct metrics_group *g)
{
	for (struct metrics_group **p = &groups; *p; p = &(*p)->next) {
		if (*p == g) {
			*p = g->next;
			g->next = NULL;
			return;
		}
	}
}

/* Whether an earlier group than (g) has (g)'s kind: its sum is written. */
static bool kind_seen_before(const struct metrics_group *g)
{
	for (const struct metrics_group *o = groups; o != g; o = o->next)
		if (!strcmp(o->kind, g->kind))
			return true;
	return false;
}

/* The counters of (g) since the last flush, as a JSON object; they are
 * then flushed. */
static json_t *group_take(struct metrics_group *g, json_t *sum)
{
	json_t *o = json_object();

	for (unsigned int i = 0; o && i < g->nr; i++) {
		struct metric *m = &g->m[i];
		uint64_t now = atomic_load_explicit(&m->count,
						    memory_order_relaxed);
		uint64_t delta = now - m->flushed;
		json_t *s = json_object_get(sum, g->names[i]);

		m->flushed = now;
		json_object_set_new(o, g->names[i], json_integer(delta));
		json_object_set_new(sum, g->names[i],
				    json_integer(json_integer_value(s) + delta));
	}
	return o;
}

char *metrics_flush_json(void)
{
	struct timespec ts;
	json_t *root = json_object(), *ids = json_object();
	char *out = NULL;

	if (!root || !ids)
		goto out;
	clock_gettime(CLOCK_REALTIME, &ts);
	json_object_set_new(root, "utc_timestamp_ms",
			    json_integer((json_int_t)ts.tv_sec * 1000 +
					 ts.tv_nsec / 1000000));
	/* Each kind's sum first (in the order kinds first appear), then
	 * the groups that have ids: "block", "block_rootfs", ... */
	for (struct metrics_group *g = groups; g; g = g->next) {
		json_t *sum;

		if (!kind_seen_before(g))
			json_object_set_new(root, g->kind, json_object());
		sum = json_object_get(root, g->kind);
		if (!g->id[0]) {
			json_decref(group_take(g, sum));
		} else {
			char name[2 * METRICS_NAME_MAX];

			snprintf(name, sizeof(name), "%s_%s", g->kind, g->id);
			json_object_set_new(ids, name, group_take(g, sum));
		}
	}
	json_object_update(root, ids);
	out = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
out:
	json_decref(ids);
	json_decref(root);
	return out;
}

int metrics_flush(void)
{
	char *line;
	size_t n, done = 0;
	int err = 0;

	if (metrics_fd < 0)
		return 0;
	line = metrics_flush_json();
	if (!line) {
		metric_inc(&logger_metrics.metrics_fails);
		return -ENOMEM;
	}
	n = strlen(line);
	line[n++] = '\n';	/* over the NUL: json_dumps() left room */
	while (done < n) {
		ssize_t w = write(metrics_fd, line + done, n - done);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			err = -errno;
			/* A FIFO nobody drains: the line is lost, counted
			 * (the rest of a torn one too). */
			metric_inc(err == -EAGAIN ?
					   &logger_metrics.missed_metrics_count :
					   &logger_metrics.metrics_fails);
			break;
		}
		done += (size_t)w;
	}
	free(line);
	return err;
}

int metrics_configure(const struct metrics_config *mc, char *why, size_t len)
{
	struct itimerspec its = { 0 };
	int fd, tfd;

	if (metrics_fd >= 0) {
		/* Firecracker: "Reinitialization of metrics not allowed." */
		snprintf(why, len, "metrics are configured already");
		return -EALREADY;
	}
	/* Read-write, as Firecracker opens it: a FIFO then opens without a
	 * reader, and writes never block. */
	fd = open(mc->path, O_RDWR | O_APPEND | O_CREAT | O_NONBLOCK |
				    O_CLOEXEC, 0600);
	if (fd < 0) {
		snprintf(why, len, "%s: %s", mc->path, strerror(errno));
		return -errno;
	}
	tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (tfd < 0) {
		int err = -errno;

		snprintf(why, len, "timerfd: %s", strerror(errno));
		close(fd);
		return err;
	}
	its.it_value.tv_sec = mc->period_ms / 1000;
	its.it_value.tv_nsec = (long)(mc->period_ms % 1000) * 1000000;
	its.it_interval = its.it_value;
	timerfd_settime(tfd, 0, &its, NULL);
	metrics_fd = fd;
	timer_fd = tfd;
	METRICS_GROUP_INIT(&logger_group, "logger", logger_names,
			   &logger_metrics);
	metrics_register(&logger_group);
	return 0;
}

bool metrics_configured(void)
{
	return metrics_fd >= 0;
}

int metrics_timer_fd(void)
{
	return timer_fd;
}

void metrics_on_timer(void)
{
	uint64_t expirations;

	if (read(timer_fd, &expirations, sizeof(expirations)) > 0)
		metrics_flush();
}

void metrics_close(void)
{
	if (metrics_fd < 0)
		return;
	metrics_unregister(&logger_group);
	close(metrics_fd);
	close(timer_fd);
	metrics_fd = timer_fd = -1;
}
