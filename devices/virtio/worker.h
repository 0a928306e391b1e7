/* SPDX-License-Identifier: Apache-2.0 */
/* devices/virtio/worker.h: the per-device io_uring thread runtime. */
#ifndef IGNIS_WORKER_H
#define IGNIS_WORKER_H

#include <liburing.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "jail/jail.h"

/*
 * CQE user_data tags. 0-15 are the runtime's; a device tags its own
 * requests with values in [WORKER_TAG_DEVICE, WORKER_TAG_KICK_BASE), which
 * takes in any user-space pointer on x86_64 and aarch64 (bit 63 clear).
 */
#define WORKER_TAG_KILL		0	/* read on the kill eventfd */
#define WORKER_TAG_PAUSE	1	/* reserved: pause eventfd (not yet) */
#define WORKER_TAG_DEVICE	16	/* first device tag */
#define WORKER_TAG_KICK_BASE	(UINT64_C(1) << 63)	/* | queue: a kick */

/*
 * Fixed-file indexes the device uses with IOSQE_FIXED_FILE: the ring
 * accepts no other kind of file. Slot WORKER_FILE_BACKEND is empty when
 * the device has no backend fd.
 */
#define WORKER_FILE_KILL	0	/* the kill eventfd */
#define WORKER_FILE_BACKEND	1	/* worker_config.backend_fd */
#define WORKER_FILE_KICK0	2	/* kick_fds[q] is at KICK0 + q */
/* Then worker_config.nr_spare_files empty slots: worker_file_spare(). */

#define WORKER_MAX_KICKS	16	/* = VDEV_MAX_QUEUES */
#define WORKER_MAX_SPARE_FILES	1024	/* spare fixed-file slots */
#define WORKER_MAX_OPCODES	32	/* device opcodes in one allowlist */
#define WORKER_DEFAULT_ENTRIES	64	/* SQ entries when config says 0 */

/*
 * What a device does on its worker thread. Both ops run on that thread
 * only, never concurrently with each other.
 */
struct worker_ops {
	/*
	 * The driver notified queue (queue) at least once since the last
	 * call: kicks coalesce, so process everything available. The
	 * per-wakeup budget is the device's: handle a bounded amount (say,
	 * queue-size chains) and return > 0 if work is left; the runtime
	 * then calls again after one pass over the ring (the kill fd and the
	 * other queues get served in between) without waiting for a kick.
	 * 0: done. -errno: the device is broken (it should have set
	 * NEEDS_RESET itself); the loop ends and worker_stop() returns it.
	 */
	int (*on_kick)(void *ctx, unsigned int queue);
	/*
	 * A device request completed: (cqe)->user_data is one of the
	 * device's tags. 0, or -errno as for on_kick. NULL: the device
	 * submits nothing.
	 */
	int (*on_cqe)(void *ctx, const struct io_uring_cqe *cqe);
	/*
	 * After each pass over the completion queue and the pending kicks,
	 * before the loop submits and may sleep: where a device publishes
	 * what it batched (one interrupt for many completions). NULL: none.
	 */
	void (*on_pass_end)(void *ctx);
	/*
	 * After the kill: whether requests the device submitted are still
	 * in flight. The loop then keeps reaping their CQEs (on_cqe sees
	 * worker_stopping() true and should only retire them) until this
	 * returns false, so that no backend I/O lands in guest memory after
	 * worker_stop() returns: the ring's own teardown is asynchronous and
	 * a thread's exit cancels only what can be cancelled. NULL: the
	 * device has nothing that outlives its thread.
	 */
	bool (*in_flight)(void *ctx);
	/*
	 * Once, when the kill arrives, before the loop drains with
	 * in_flight(): where a device whose requests wait on the outside
	 * world (a recv on a socket nobody writes to) cancels them or shuts
	 * their files down, so that their CQEs come. NULL: nothing waits.
	 */
	void (*on_stop)(void *ctx);
	/*
	 * Polling, for a device whose worker_config.poll_max_ns is set (both
	 * ops then, or neither). While the loop has nothing to do it spins
	 * for up to its current poll window (adapted between 0 and
	 * poll_max_ns), calling poll(): the mask of queues the driver has put
	 * buffers on, from a cheap look at the rings; the device keeps the
	 * driver's notifications off meanwhile, so a busy driver needs no
	 * kicks at all. Before every sleep the loop calls idle(): the device
	 * turns notifications back on and returns the mask of queues that
	 * got buffers in between (then the loop does not sleep).
	 */
	uint32_t (*poll)(void *ctx);
	uint32_t (*idle)(void *ctx);
};

/* What a worker serves; read only during worker_start(). */
struct worker_config {
	const char *name;	/* thread name, at most 15 characters */
	enum jail_class cls;	/* the jail the thread enters */
	unsigned int nr_kick_fds;	/* queues: 1..WORKER_MAX_KICKS */
	const int *kick_fds;	/* eventfds, [nr_kick_fds]; not owned */
	int backend_fd;		/* the device's file, not owned; -1: none */
	const uint8_t *opcodes;	/* IORING_OP_* the device submits */
	unsigned int nr_opcodes;	/* 0..WORKER_MAX_OPCODES */
	unsigned int entries;	/* SQ size; 0: WORKER_DEFAULT_ENTRIES */
	uint64_t poll_max_ns;	/* longest poll window; 0: never poll */
	/*
	 * Empty fixed-file slots after the kicks (worker_file_spare()),
	 * 0..WORKER_MAX_SPARE_FILES: for a device whose files come and go
	 * (sockets), which the ring installs itself with IORING_OP_ACCEPT
	 * or IORING_OP_SOCKET and a file_index, so that the jailed thread
	 * never holds a plain fd and the table never needs
	 * io_uring_register(). The kernel bounds the whole table by
	 * RLIMIT_NOFILE.
	 */
	unsigned int nr_spare_files;
	/* The backend may be replaced while the worker runs
	 * (worker_set_backend()): the ring then allows that one
	 * io_uring_register() operation, files update, and no other. */
	bool swappable_backend;
};

/* A running worker. Embedded by the device; opaque to it but for worker_*. */
struct worker {
	struct io_uring ring;		/* restricted, fixed files only */
	pthread_t thread;		/* runs the loop */
	const struct worker_ops *ops;	/* the device's callbacks */
	void *ctx;			/* their argument */
	int kill_fd;			/* eventfd; valid if has_kill_fd */
	unsigned int nr_kicks;		/* registered kick fds */
	unsigned int nr_spare;		/* spare slots after them */
	uint64_t kill_buf;		/* target of the kill fd read */
	uint64_t kick_buf[WORKER_MAX_KICKS];	/* targets of kick reads */
	uint32_t retry;			/* queues worker_retry() asked for */
	int result;			/* why the loop ended; set by join */
	uint64_t poll_max_ns;		/* worker_config.poll_max_ns */
	uint64_t poll_ns;		/* the current poll window */
	bool has_kill_fd;		/* kill_fd is ours to close */
	bool has_ring;			/* ring is ours to tear down */
	bool has_thread;		/* thread is ours to join */
	bool stopping;			/* the kill arrived (worker thread) */
};

/* The fixed-file index of spare slot (i) < worker_config.nr_spare_files. */
static inline unsigned int worker_file_spare(const struct worker *w,
					     unsigned int i)
{
	return WORKER_FILE_KICK0 + w->nr_kicks + i;
}

/*
 * From the worker thread: on_kick(queue) runs again in the next pass, as
 * if the driver had kicked, and the loop does not sleep before it. For a
 * device that stopped serving a queue for want of room elsewhere (its
 * notifications off) and has the room again.
 */
static inline void worker_retry(struct worker *w, unsigned int queue)
{
	w->retry |= UINT32_C(1) << queue;
}

/* Whether the worker is draining after its kill: device CQEs are then
 * retired, not answered. Worker thread only. */
static inline bool worker_stopping(const struct worker *w)
{
	return w->stopping;
}

/*
 * Starts a worker for (cfg) calling (ops) with (ctx). On this (the
 * caller's, unjailed) thread it creates the kill eventfd and a disabled
 * ring, registers the kill fd, backend fd, kick fds and spare slots as
 * fixed files,
 * restricts the ring to IORING_OP_READ plus (cfg)->opcodes with
 * IOSQE_FIXED_FILE required and no further io_uring_register(), enables
 * it, and then spawns the thread, which only ever calls io_uring_enter.
 * (w) must stay at its address until worker_stop(). The worker holds its
 * own references to the caller's fds until worker_stop(). Returns 0 or
 * -errno (-EINVAL for a bad config); on failure everything is undone and
 * worker_stop(w) is a no-op.
 */
int worker_start(struct worker *w, const struct worker_config *cfg,
		 const struct worker_ops *ops, void *ctx);

/*
 * Stops the worker: signals the kill eventfd, joins the thread, tears the
 * ring down and closes the kill fd. Idempotent; a no-op on a zeroed
 * struct or after a failed worker_start(). Not from the worker thread.
 * Returns 0, or the -errno that ended the loop early (a device op's error,
 * a failed kick read, or -EPERM if the jail could not be entered).
 */
int worker_stop(struct worker *w);

/*
 * Puts (fd) (not owned) in the backend's fixed-file slot of the running
 * worker (worker_config.swappable_backend): SQEs submitted from then on
 * use it, those in flight keep the file they started with. For the VMM
 * thread, which serialises it with worker_start() and worker_stop(): the
 * ring's register call takes the ring's own lock, not the worker's
 * thread. 0 or -errno.
 */
int worker_set_backend(struct worker *w, int fd);

/*
 * A free SQE for a device request, submitting queued ones first if the SQ
 * is full; NULL if there is still none (return > 0 from on_kick and retry
 * later). The device must set IOSQE_FIXED_FILE and a device tag. The loop
 * submits at its next pass. Worker thread only.
 */
struct io_uring_sqe *worker_sqe(struct worker *w);

/* Submits queued SQEs now. Returns the number submitted or -errno. Worker
 * thread only. */
int worker_submit(struct worker *w);

#endif
