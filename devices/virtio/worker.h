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
 * A worker's life: worker_create() at device creation, on the unjailed
 * VMM thread, makes the ring (fixed files registered, opcodes
 * restricted, enabled) and the thread, which enters its jail and waits,
 * idle, in io_uring_enter. worker_activate() (DRIVER_OK) and
 * worker_deactivate() (reset), from a vCPU thread, take a mutex, write
 * an eventfd and (deactivate) wait on a condition variable: no thread,
 * ring or file is made there. worker_destroy() at device destruction
 * ends the thread and the ring. The thread itself only ever calls
 * io_uring_enter and futex, but for what the device's ops call.
 *
 * Idle, the thread serves nothing: kicks are drained from their
 * eventfds and remembered, and the queues they named get one on_kick
 * call when serving starts. The driver "MUST NOT notify the device
 * before setting DRIVER_OK" (3.1.1), but a kick made just after
 * DRIVER_OK may be reaped in the same batch as the activation, before
 * it; a stray one costs a call that finds nothing.
 */

/*
 * CQE user_data tags. 0-15 are the runtime's; a device tags its own
 * requests with values in [WORKER_TAG_DEVICE, WORKER_TAG_KICK_BASE), which
 * takes in any user-space pointer on x86_64 and aarch64 (bit 63 clear).
 */
#define WORKER_TAG_CTL		0	/* read on the control eventfd */
#define WORKER_TAG_PAUSE	1	/* reserved: pause eventfd (not yet) */
#define WORKER_TAG_DEVICE	16	/* first device tag */
#define WORKER_TAG_KICK_BASE	(UINT64_C(1) << 63)	/* | queue: a kick */

/*
 * Fixed-file indexes the device uses with IOSQE_FIXED_FILE: the ring
 * accepts no other kind of file. Slot WORKER_FILE_BACKEND is empty when
 * the device has no backend fd.
 */
#define WORKER_FILE_CTL		0	/* the control eventfd */
#define WORKER_FILE_BACKEND	1	/* worker_config.backend_fd */
#define WORKER_FILE_KICK0	2	/* kick_fds[q] is at KICK0 + q */
/* Then worker_config.nr_spare_files empty slots: worker_file_spare(). */

#define WORKER_MAX_KICKS	16	/* = VDEV_MAX_QUEUES */
#define WORKER_MAX_SPARE_FILES	1024	/* spare fixed-file slots */
#define WORKER_MAX_OPCODES	32	/* device opcodes in one allowlist */
#define WORKER_DEFAULT_ENTRIES	64	/* SQ entries when config says 0 */

/*
 * What a device does on its worker thread, while the worker serves
 * (from worker_activate() until worker_deactivate() returns). Every op
 * runs on that thread only, never concurrently with another.
 */
struct worker_ops {
	/*
	 * When serving starts, before its first pass: set-up that needs a
	 * syscall the device's own thread may make but a vCPU may not (the
	 * tap's offloads, which the driver negotiated), and worker_retry()
	 * for a queue the driver may have filled before DRIVER_OK without a
	 * notification to come. 0, or -errno as for on_kick. NULL: none.
	 */
	int (*on_start)(void *ctx);
	/*
	 * The driver notified queue (queue) at least once since the last
	 * call: kicks coalesce, so process everything available (a call
	 * may also find nothing: see above). The per-wakeup budget is the
	 * device's: handle a bounded amount (say, queue-size chains) and
	 * return > 0 if work is left; the runtime then calls again after
	 * one pass over the ring (the control fd and the other queues get
	 * served in between) without waiting for a kick. 0: done. -errno:
	 * the device is broken (it should have set NEEDS_RESET itself); the
	 * worker stops serving as for a deactivation (on_stop, in_flight)
	 * and worker_deactivate() returns it.
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
	 * what it batched (one interrupt for many completions). Not called
	 * once stopping. NULL: none.
	 */
	void (*on_pass_end)(void *ctx);
	/*
	 * Once stopping (worker_stopping()): whether requests the device
	 * submitted are still in flight. The loop keeps reaping their CQEs
	 * (on_cqe should then only retire them) until this returns false,
	 * and only then goes idle, so that no backend I/O lands in guest
	 * memory after worker_deactivate() returns: the ring lives on, and
	 * nothing else would wait for them. A CQE of the device's that comes
	 * after this said false is dropped. NULL: the device has nothing
	 * in flight past its ops.
	 */
	bool (*in_flight)(void *ctx);
	/*
	 * Stopping, at the end of the pass that began it and after every
	 * pass while in_flight() says true: where a device whose requests
	 * wait on the outside world (a recv on a socket nobody writes to,
	 * a read of an empty tap) cancels them or shuts their files down,
	 * so that their CQEs come. It is called again until they have, so
	 * it must not repeat what it already submitted, and what found no
	 * SQE it submits next time. NULL: nothing waits.
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

/* What a worker serves; read only during worker_create(). */
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
	 * RLIMIT_NOFILE. They outlive a deactivation: a file left in a
	 * slot stays open until something replaces it or the ring goes.
	 */
	unsigned int nr_spare_files;
	/* The backend may be replaced while the worker lives
	 * (worker_set_backend()): the ring then allows that one
	 * io_uring_register() operation, files update, and no other. */
	bool swappable_backend;
};

/* Where the thread is, as the other threads see it (worker.lock). */
enum worker_state {
	WORKER_IDLE,		/* waits for worker_activate() */
	WORKER_SERVING,		/* device ops run, until it has drained */
	WORKER_FAILED,		/* stopped serving on an error: idle until
				 * worker_deactivate() collects it */
	WORKER_DEAD,		/* the thread ended on an error */
};

/* A worker. Embedded by the device; opaque to it but for worker_*. */
struct worker {
	struct io_uring ring;		/* restricted, fixed files only */
	pthread_t thread;		/* runs the loop */
	const struct worker_ops *ops;	/* the device's callbacks */
	void *ctx;			/* their argument */
	int ctl_fd;			/* eventfd: look at want_* */
	unsigned int nr_kicks;		/* registered kick fds */
	unsigned int nr_spare;		/* spare slots after them */
	uint64_t poll_max_ns;		/* worker_config.poll_max_ns */
	bool created;			/* ring, fds, thread are ours */
	int result;			/* what worker_destroy() returns */
	/* Between the thread and its callers: */
	pthread_mutex_t lock;		/* over the fields below */
	pthread_cond_t cond;		/* state changed */
	bool want_active;		/* worker_activate() .. _deactivate() */
	bool want_exit;			/* worker_destroy() */
	enum worker_state state;	/* set by the thread (and FAILED ->
					 * IDLE by worker_deactivate()) */
	int error;			/* why serving or the thread ended */
	/* The worker thread's own: */
	uint64_t ctl_buf;		/* target of the control fd read */
	uint64_t kick_buf[WORKER_MAX_KICKS];	/* targets of kick reads */
	uint32_t idle_kicks;		/* queues kicked while not serving */
	uint32_t retry;			/* queues worker_retry() asked for */
	uint64_t poll_ns;		/* the current poll window */
	bool serving;			/* device ops may run */
	bool stopping;			/* told to stop serving, draining */
	bool broken;			/* a kick or control read failed */
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

/* Whether the worker is told to stop serving and drains: device CQEs are
 * then retired, not answered. Worker thread only. */
static inline bool worker_stopping(const struct worker *w)
{
	return w->stopping;
}

/*
 * Creates the worker for (cfg) calling (ops) with (ctx), idle. On this
 * (the caller's, unjailed) thread it creates the control eventfd and a
 * disabled ring, registers the control fd, backend fd, kick fds and
 * spare slots as fixed files, restricts the ring to IORING_OP_READ plus
 * (cfg)->opcodes with IOSQE_FIXED_FILE required and no further
 * io_uring_register() (but worker_set_backend()'s), enables it, and then
 * spawns the thread, which enters its jail and waits, idle. (w) must
 * stay at its address until worker_destroy(). The worker holds its own
 * references to the caller's fds until then. Returns 0 or -errno
 * (-EINVAL for a bad config); on failure everything is undone and
 * worker_destroy(w) is a no-op.
 */
int worker_create(struct worker *w, const struct worker_config *cfg,
		  const struct worker_ops *ops, void *ctx);

/*
 * Tells the idle worker to serve: the device's state for its ops is
 * published to the thread with this call. Returns at once, having taken
 * a mutex and written an eventfd; the first pass calls on_kick for the
 * queues kicked while idle. 0, -EBUSY if already told to serve (or not
 * yet deactivated after a failure), -ENODEV without a worker, or -ESRCH
 * if its thread has ended. Any thread but the worker's.
 */
int worker_activate(struct worker *w);

/*
 * Tells the worker to stop serving and returns once it is idle again:
 * on_stop has run and in_flight() said false, so no request of the
 * device's is in flight and no device op runs until the next
 * worker_activate(). Takes a mutex, writes an eventfd and waits on a
 * condition variable: nothing else. A no-op (0) if the worker does not
 * serve. Returns 0, or the -errno that ended serving early (a device
 * op's) or the thread (a failed kick read, say), once. Any thread but
 * the worker's; not one that the worker's ops wait for.
 */
int worker_deactivate(struct worker *w);

/*
 * Ends the worker: the thread stops serving as for worker_deactivate()
 * if it serves, exits and is joined; the ring is torn down and the
 * control fd closed. Idempotent; a no-op on a zeroed struct or after a
 * failed worker_create(). Not from the worker thread. Returns 0, or an
 * -errno not yet returned by worker_deactivate() (-EPERM if the thread
 * could not enter its jail).
 */
int worker_destroy(struct worker *w);

/*
 * Puts (fd) (not owned) in the backend's fixed-file slot
 * (worker_config.swappable_backend), whether or not the worker serves:
 * SQEs submitted from then on use it, those in flight keep the file they
 * started with. For the VMM thread, which serialises it with
 * worker_create() and worker_destroy(): the ring's register call takes
 * the ring's own lock, not the worker's thread. 0 or -errno.
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
