// SPDX-License-Identifier: Apache-2.0
/* tests/integration/test_logging.c: the log and metrics files, from the flags and from a config file. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "metrics_text.h"
#include "run.h"
#include "support/tmpfile.h"

#define SPIN GUEST_DIR "/spin"
#define VIRTIO_RNG GUEST_DIR "/virtio_rng"

TestSuite(logging, .init = run_need_kvm, .timeout = 60);

/* A scratch directory and two paths in it. */
struct scratch {
	char dir[64], log[96], metrics[96];
};

static void scratch_make(struct scratch *s)
{
	strcpy(s->dir, "/tmp/ignis-log-XXXXXX");
	cr_assert_not_null(mkdtemp(s->dir));
	snprintf(s->log, sizeof(s->log), "%s/log", s->dir);
	snprintf(s->metrics, sizeof(s->metrics), "%s/metrics", s->dir);
}

static void scratch_remove(struct scratch *s)
{
	unlink(s->log);
	unlink(s->metrics);
	rmdir(s->dir);
}

/* Reads what (fd) holds now (non-blocking) into a malloc'd string. */
static char *drain(int fd)
{
	size_t cap = 1 << 20, n = 0;
	char *buf = malloc(cap);
	ssize_t got;

	cr_assert_not_null(buf);
	while (n < cap - 1 && (got = read(fd, buf + n, cap - 1 - n)) > 0)
		n += (size_t)got;
	buf[n] = '\0';
	return buf;
}

/* The largest "(field)": N in (text). */
static unsigned long long metric_max(const char *text, const char *field)
{
	char f[64];
	unsigned long long max = 0;

	snprintf(f, sizeof(f), "\"%s\":", field);
	for (const char *p = strstr(text, f); p; p = strstr(p + 1, f)) {
		unsigned long long v = strtoull(p + strlen(f), NULL, 10);

		if (v > max)
			max = v;
	}
	return max;
}

/* Each line a JSON object that starts with the flush's time. */
static void expect_metrics_lines(const char *text)
{
	for (const char *line = text; *line;) {
		const char *nl = strchr(line, '\n');

		cr_assert_not_null(nl, "a torn last line: %s", line);
		cr_expect(!strncmp(line, "{\"utc_timestamp_ms\":", 20) &&
				  nl[-1] == '}',
			  "not a metrics line: %.*s", (int)(nl - line), line);
		line = nl + 1;
	}
}

/* Firecracker's config file "logger" and "metrics" sections: the files
 * fill as the VM runs; the log has lines from arch/x86_64 only (module),
 * each with its level and origin, the metrics the guest's entropy
 * requests. */
Test(logging, config_file_sections)
{
	struct scratch s;
	struct run_result r;
	char text[1024], *path, *log, *metrics;

	scratch_make(&s);
	snprintf(text, sizeof(text),
		 "{\"boot-source\": {\"kernel_image_path\": \"%s\"},"
		 " \"drives\": [], \"entropy\": {},"
		 " \"logger\": {\"log_path\": \"%s\", \"level\": \"Debug\","
		 " \"show_level\": true, \"show_log_origin\": true,"
		 " \"module\": \"arch/x86_64\"},"
		 " \"metrics\": {\"metrics_path\": \"%s\"}}",
		 VIRTIO_RNG, s.log, s.metrics);
	path = tmpfile_with(text, strlen(text));
	cr_assert_not_null(path);
	run_boot(&r, (const char *const[]){ "--config-file", path, NULL });
	run_expect_line(&r, "virtio_rng: random ok");
	log = metrics_text_read(s.log);
	metrics = metrics_text_read(s.metrics);
	cr_expect(strstr(log, ":INFO:arch/x86_64/arch.c:"), "log: %s", log);
	cr_expect(strstr(log, "] guest reset via the i8042\n"), "log: %s", log);
	for (const char *l = log, *nl; (nl = strchr(l, '\n')); l = nl + 1) {
		const char *origin = strstr(l, ":arch/x86_64/");

		cr_expect(origin && origin < nl,
			  "a line from outside the module: %s", l);
	}
	/* The file has the lines, not stderr. */
	cr_expect_null(strstr(r.err, "guest reset"), "stderr: %s", r.err);
	expect_metrics_lines(metrics);
	cr_expect_gt(metric_max(metrics, "entropy_bytes"), 0, "%s", metrics);
	free(log);
	free(metrics);
	unlink(path);
	free(path);
	scratch_remove(&s);
	run_result_free(&r);
}

/* Starts the spin guest with its metrics at (s)'s path every (period)
 * ms, and waits until it runs. */
static void start_spin_with_metrics(struct run_proc *p,
				    const struct scratch *s,
				    const char *period)
{
	cr_assert_eq(run_start(p, (const char *const[]){
				   "--kernel", SPIN, "--metrics-path",
				   s->metrics, "--metrics-period-ms", period,
				   NULL }),
		     0);
	cr_assert(run_wait_stdout(p, "spin: spinning", RUN_TIMEOUT_MS));
}

/* --metrics-path with a short period: lines come on the timer while the
 * guest runs, every one whole; SIGTERM writes the last. */
Test(logging, metrics_timer)
{
	struct scratch s;
	struct run_proc p;
	struct run_result r;
	char *text = NULL;
	unsigned int lines = 0;

	scratch_make(&s);
	start_spin_with_metrics(&p, &s, "50");
	for (int i = 0; i < 100 && lines < 3; i++) {
		free(text);
		usleep(50000);
		text = metrics_text_read(s.metrics);
		lines = run_count_lines(text);
	}
	cr_expect_geq(lines, 3, "%u timed flushes in 5 s", lines);
	free(text);
	kill(p.pid, SIGTERM);
	run_finish(&p, RUN_TIMEOUT_MS, &r);
	run_expect_exit0(&r);
	text = metrics_text_read(s.metrics);
	cr_expect_gt(run_count_lines(text), lines);
	expect_metrics_lines(text);
	cr_expect(strstr(text, "\"vcpu\":{\"exit_io_in\":"), "%s", text);
	free(text);
	scratch_remove(&s);
	run_result_free(&r);
}

/* A metrics FIFO nobody reads: the flushes that find it full are lost
 * and counted, the VM runs on, and the reader that comes later finds
 * whole lines and the count. */
Test(logging, metrics_fifo_without_reader)
{
	struct scratch s;
	struct run_proc p;
	struct run_result r;
	char *first, *text;
	int fd;

	scratch_make(&s);
	cr_assert_eq(mkfifo(s.metrics, 0600), 0);
	start_spin_with_metrics(&p, &s, "1");
	/* A pipe holds 64 KiB: about a hundred lines of a few hundred
	 * bytes, full long before a second has passed. */
	sleep(1);
	fd = open(s.metrics, O_RDONLY | O_NONBLOCK);
	cr_assert_geq(fd, 0);
	first = drain(fd);
	/* The first line that fits again says what was lost: it may
	 * already have slipped into the drain above, or come later, on a
	 * loaded machine much later. */
	text = drain(fd);
	for (int i = 0; i < 100 && !strchr(text, '\n'); i++) {
		usleep(50000);
		free(text);
		text = drain(fd);
	}
	cr_expect_gt(metric_max(first, "missed_metrics_count") +
			     metric_max(text, "missed_metrics_count"),
		     0, "%s", text);
	cr_expect(!strncmp(first, "{\"utc_timestamp_ms\":", 20) &&
			  !strncmp(text, "{\"utc_timestamp_ms\":", 20),
		  "a drained FIFO starts a whole line: %.80s", text);
	free(first);
	free(text);
	close(fd);
	kill(p.pid, SIGTERM);
	run_finish(&p, RUN_TIMEOUT_MS, &r);
	run_expect_exit0(&r);
	scratch_remove(&s);
	run_result_free(&r);
}
