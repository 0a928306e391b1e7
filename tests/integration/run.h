/* SPDX-License-Identifier: Apache-2.0 */
/* tests/integration/run.h: run the ignis binary as a child, with a deadline. */
#ifndef IGNIS_TEST_RUN_H
#define IGNIS_TEST_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Deadline after which a run is killed and counted as a failure. */
#define RUN_TIMEOUT_MS	20000

/* What a finished run left behind. */
struct run_result {
	int status;		/* wait status (WIFEXITED, WTERMSIG, ...) */
	bool timed_out;		/* killed at the deadline */
	char *out;		/* stdout, NUL-terminated (malloc'd) */
	size_t out_len;		/* its length without the NUL */
	char *err;		/* stderr, NUL-terminated (malloc'd) */
	size_t err_len;		/* its length without the NUL */
	double elapsed_s;	/* wall time from run_start() or signal */
};

/* A running child. */
struct run_proc {
	pid_t pid;		/* the child */
	int out_fd, err_fd;	/* read ends; -1 once at EOF */
	struct run_result res;	/* output collected so far */
	double t0;		/* monotonic start, seconds */
};

/*
 * Starts IGNIS_BIN with the NULL-terminated (args) (argv[1...]), stdin
 * from /dev/null, stdout and stderr piped. Returns 0 or -errno.
 */
int run_start(struct run_proc *p, const char *const args[]);

/* Reads the child's output until stdout contains (needle) or (timeout_ms)
 * passes. Returns true if the needle was seen. */
bool run_wait_stdout(struct run_proc *p, const char *needle, int timeout_ms);

/* Restarts (p)'s clock: run_finish() then measures from now (e.g. from a
 * signal sent to the child). */
void run_reset_clock(struct run_proc *p);

/*
 * Collects all output and the exit status, SIGKILLing the child if it
 * is still running after (timeout_ms). Moves the result to (*r), which
 * the caller releases with run_result_free().
 */
void run_finish(struct run_proc *p, int timeout_ms, struct run_result *r);

/* run_start() + run_finish(RUN_TIMEOUT_MS). Returns 0 or -errno. */
int run_ignis(const char *const args[], struct run_result *r);

void run_result_free(struct run_result *r);

/* Runs ignis with (args) into (r) and asserts that it exits 0 on its own:
 * started, not timed out, not killed. */
void run_boot(struct run_result *r, const char *const args[]);

/* What run_boot() asserts of a finished run: not timed out, not killed,
 * exit status 0. For runs driven by run_start() / run_finish(). */
void run_expect_exit0(const struct run_result *r);

/* CLOCK_MONOTONIC, in seconds. */
double run_now_s(void);

/* Expects (line) as a whole line of the guest's output in (r). */
void run_expect_line(const struct run_result *r, const char *line);

/* A Criterion suite .init: skips the test when /dev/kvm cannot be opened
 * (no KVM here is not a failure). */
void run_need_kvm(void);

/* Number of '\n'-terminated lines in (s), counting a final unterminated
 * fragment as one. */
unsigned int run_count_lines(const char *s);

#endif
