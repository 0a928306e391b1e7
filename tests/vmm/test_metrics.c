// SPDX-License-Identifier: Apache-2.0
/* tests/vmm/test_metrics.c: metrics groups and flushes; the log file's lines. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "support/tmpfile.h"
#include "vmm/log.h"
#include "vmm/metrics.h"

#define DEV_METRICS(X) X(reqs) X(bytes)
METRICS_STRUCT(dev_metrics, DEV_METRICS);
static const char *const dev_names[] = { DEV_METRICS(METRIC_NAME) };

/* Criterion runs each test in its own process: the registry starts
 * empty every time. */
TestSuite(metrics);

/* The flush as JSON (each test's flush is a parse away from it). */
static json_t *flush(void)
{
	char *text = metrics_flush_json();
	json_error_t err;
	json_t *v;

	cr_assert_not_null(text);
	v = json_loads(text, 0, &err);
	cr_assert_not_null(v, "%s: %s", err.text, text);
	free(text);
	return v;
}

static json_int_t field(const json_t *root, const char *group,
			const char *name)
{
	const json_t *g = json_object_get(root, group);

	cr_assert(json_is_object(g), "no group %s", group);
	cr_assert(json_is_integer(json_object_get(g, name)), "no %s.%s",
		  group, name);
	return json_integer_value(json_object_get(g, name));
}

/* Each kind's sum, then each group with an id on its own; each flush
 * reports what happened since the one before. */
Test(metrics, sums_ids_and_deltas)
{
	struct dev_metrics a = { 0 }, b = { 0 }, c = { 0 };
	struct metrics_group ga, gb, gc;
	json_t *j;

	METRICS_GROUP_INIT(&ga, "block", dev_names, &a);
	METRICS_GROUP_INIT(&gb, "block", dev_names, &b);
	METRICS_GROUP_INIT(&gc, "entropy", dev_names, &c);
	metrics_group_set_id(&ga, "rootfs");
	metrics_group_set_id(&gb, "scratch");
	metrics_register(&ga);
	metrics_register(&gb);
	metrics_register(&gc);
	metric_inc(&a.reqs);
	metric_add(&a.bytes, 4096);
	metric_add(&b.reqs, 2);
	metric_add(&c.bytes, 64);

	j = flush();
	cr_expect_gt(json_integer_value(json_object_get(j, "utc_timestamp_ms")),
		     0);
	cr_expect_eq(field(j, "block", "reqs"), 3);
	cr_expect_eq(field(j, "block", "bytes"), 4096);
	cr_expect_eq(field(j, "block_rootfs", "reqs"), 1);
	cr_expect_eq(field(j, "block_scratch", "reqs"), 2);
	cr_expect_eq(field(j, "entropy", "bytes"), 64);
	cr_expect_null(json_object_get(j, "entropy_"));
	json_decref(j);

	metric_inc(&b.reqs);
	metrics_unregister(&gc);
	metrics_unregister(&gc); /* a second time is nothing */
	j = flush();
	cr_expect_eq(field(j, "block", "reqs"), 1);
	cr_expect_eq(field(j, "block_rootfs", "reqs"), 0);
	cr_expect_eq(field(j, "block_scratch", "reqs"), 1);
	cr_expect_null(json_object_get(j, "entropy"));
	json_decref(j);
}

/* Keys come out in the order kinds first appear: Firecracker's readers
 * do not care, people reading the file do. */
Test(metrics, kinds_in_registration_order)
{
	struct dev_metrics a = { 0 }, b = { 0 };
	struct metrics_group ga, gb;
	char *text;

	METRICS_GROUP_INIT(&ga, "net", dev_names, &a);
	METRICS_GROUP_INIT(&gb, "block", dev_names, &b);
	metrics_register(&ga);
	metrics_register(&gb);
	text = metrics_flush_json();
	cr_assert_not_null(text);
	cr_expect_lt(strstr(text, "\"net\""), strstr(text, "\"block\""), "%s",
		     text);
	free(text);
}

/* An id longer than the name allows is cut, not overflowed. */
Test(metrics, long_id_is_cut)
{
	struct metrics_group g;
	char id[200];

	memset(id, 'x', sizeof(id) - 1);
	id[sizeof(id) - 1] = '\0';
	metrics_group_set_id(&g, id);
	cr_expect_eq(strlen(g.id), METRICS_NAME_MAX - 1);
}

/* Configured once, as Firecracker allows; the file gets one line per
 * flush, with the logger's own counters. */
Test(metrics, file_once_and_lines)
{
	struct metrics_config mc = { .period_ms = 60000 };
	char why[128], buf[4096];
	int fd;
	ssize_t n;

	mc.path = tmpfile_with("", 0);
	cr_assert_not_null(mc.path);
	cr_expect_eq(metrics_flush(), 0, "no file: nothing to do");
	cr_assert_eq(metrics_configure(&mc, why, sizeof(why)), 0, "%s", why);
	cr_expect(metrics_configured());
	cr_expect_geq(metrics_timer_fd(), 0);
	cr_expect_eq(metrics_configure(&mc, why, sizeof(why)), -EALREADY);
	cr_expect_eq(metrics_flush(), 0);
	cr_expect_eq(metrics_flush(), 0);
	fd = open(mc.path, O_RDONLY);
	cr_assert_geq(fd, 0);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	cr_assert_gt(n, 0);
	buf[n] = '\0';
	cr_expect_eq(strchr(strchr(buf, '\n') + 1, '\n') - buf, n - 1,
		     "two lines: %s", buf);
	cr_expect(strstr(buf, "\"logger\":{\"missed_log_count\":0,"), "%s",
		  buf);
	metrics_close();
	cr_expect_not(metrics_configured());
	unlink(mc.path);
	free(mc.path);
}

Test(metrics, unopenable_file)
{
	struct metrics_config mc = { .path = "/nonexistent/m",
				     .period_ms = 1000 };
	char why[128];

	cr_expect_eq(metrics_configure(&mc, why, sizeof(why)), -ENOENT);
	cr_expect(strstr(why, "/nonexistent/m"), "%s", why);
	cr_expect_not(metrics_configured());
}

TestSuite(log);

Test(log, level_names)
{
	enum log_level l;

	cr_expect_eq(log_level_parse("Off", &l), 0);
	cr_expect_eq(l, LOG_OFF);
	cr_expect_eq(log_level_parse("TRACE", &l), 0);
	cr_expect_eq(l, LOG_DEBUG);
	cr_expect_eq(log_level_parse("warning", &l), 0);
	cr_expect_eq(l, LOG_WARN);
	cr_expect_eq(log_level_parse("Error", &l), 0);
	cr_expect_eq(l, LOG_ERROR);
	cr_expect_eq(log_level_parse("Warnings", &l), -EINVAL);
	cr_expect_eq(log_level_parse("", &l), -EINVAL);
}

/* Reads the whole log file. */
static char *read_log(const char *path)
{
	char *buf = calloc(1, 8192);
	int fd = open(path, O_RDONLY);

	cr_assert(buf && fd >= 0);
	cr_assert_geq(read(fd, buf, 8191), 0);
	close(fd);
	return buf;
}

/* Firecracker's line: time, [instance:thread:LEVEL:file:line], message;
 * the level and the module filter drop what they should. */
Test(log, file_lines_level_and_module)
{
	struct log_config lc = { .level = LOG_INFO,
				 .show_level = true,
				 .show_origin = true,
				 .module = "devices/" };
	char why[128], *text;

	lc.path = tmpfile_with("", 0);
	cr_assert_not_null(lc.path);
	cr_assert_eq(log_configure(&lc, why, sizeof(why)), 0, "%s", why);
	log_write(LOG_INFO, "devices/virtio/blk.c", 42, "hello %d", 7);
	log_write(LOG_DEBUG, "devices/virtio/blk.c", 43, "too detailed");
	log_write(LOG_WARN, "vmm/main.c", 44, "outside the module");
	text = read_log(lc.path);
	cr_expect(strstr(text, ":INFO:devices/virtio/blk.c:42] hello 7\n"),
		  "%s", text);
	cr_expect(strstr(text, " [ignis:"), "%s", text);
	cr_expect(text[4] == '-' && text[10] == 'T' && text[19] == '.' &&
			  text[29] == ' ',
		  "time: %s", text);
	cr_expect_null(strstr(text, "too detailed"), "%s", text);
	cr_expect_null(strstr(text, "outside"), "%s", text);
	free(text);
	log_close();
	unlink(lc.path);
	free(lc.path);
}

/* A log file that does not open changes nothing: the level stays. */
Test(log, unopenable_file_changes_nothing)
{
	struct log_config lc = { .path = "/nonexistent/log",
				 .level = LOG_OFF };
	char why[128];

	cr_expect_eq(log_configure(&lc, why, sizeof(why)), -ENOENT);
	cr_expect(strstr(why, "/nonexistent/log"), "%s", why);
}

/* A FIFO nobody drains: lines past its room are counted as missed, and
 * the writer never blocks. */
Test(log, full_fifo_counts_missed_lines)
{
	char dir[] = "/tmp/ignis-log-XXXXXX", path[64], why[128];
	struct log_config lc = { .level = LOG_INFO };
	char big[400];

	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/fifo", dir);
	cr_assert_eq(mkfifo(path, 0600), 0);
	lc.path = path;
	cr_assert_eq(log_configure(&lc, why, sizeof(why)), 0, "%s", why);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	/* 64 KiB of pipe: 300 lines of ~450 bytes overflow it. */
	for (int i = 0; i < 300; i++)
		log_write(LOG_INFO, "t.c", 1, "%s", big);
	cr_expect_gt(atomic_load(&logger_metrics.missed_log_count.count), 0);
	log_close();
	unlink(path);
	rmdir(dir);
}
