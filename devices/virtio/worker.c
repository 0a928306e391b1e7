// SPDX-License-Identifier: Apache-2.0
/* devices/virtio/worker.c: the per-device io_uring thread runtime. */
#include "worker.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "vmm/log.h"
#include "vmm/thread.h"

/*
 * Eventfds are waited on with IORING_OP_READ, not POLL_ADD: a completed
 * 8-byte read has also drained the counter, so one opcode both waits and
 * drains, and the jailed thread needs no read(2) of its own. Kicks that
 * land while the device works bump the counter again and complete the
 * re-armed read.
 */
static int worker_arm_read(struct worker *w, unsigned int file, uint64_t *buf,
			   uint64_t tag)
{
	struct io_uring_sqe *sqe = worker_sqe(w);

	if (!sqe)
		return -EBUSY;
	io_uring_prep_read(sqe, (int)file, buf, sizeof(*buf), 0);
	sqe->flags |= IOSQE_FIXED_FILE;
	io_uring_sqe_set_data64(sqe, tag);
	return 0;
}

static int worker_arm_kick(struct worker *w, unsigned int q)
{
	return worker_arm_read(w, WORKER_FILE_KICK0 + q, &w->kick_buf[q],
			       WORKER_TAG_KICK_BASE | q);
}

static int worker_arm_ctl(struct worker *w)
{
	return worker_arm_read(w, WORKER_FILE_CTL, &w->ctl_buf,
			       WORKER_TAG_CTL);
}

/* Wakes the thread to look at want_active and want_exit. */
static void worker_signal(struct worker *w)
{
	uint64_t one = 1;

	/* EAGAIN only if the counter is near overflow: signalled. */
	if (write(w->ctl_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		log_warn("worker: control: %s", strerror(errno));
}

/* Whether the worker is still told to serve. Worker thread. */
static bool worker_wants_serving(struct worker *w)
{
	bool yes;

	pthread_mutex_lock(&w->lock);
	yes = w->want_active && !w->want_exit;
	pthread_mutex_unlock(&w->lock);
	return yes;
}

/*
 * The control read completed: re-armed before anyone looks, so that a
 * signal that comes meanwhile is not lost. Serving, it may say stop;
 * idle, worker_next() looks. 0 or -errno (the thread cannot go on).
 */
static int worker_on_ctl(struct worker *w, int res)
{
	/* A failed eventfd read would fail again if re-armed. */
	int err = res < 0 ? res : worker_arm_ctl(w);

	if (err) {
		w->broken = true;
		return err;
	}
	if (w->serving && !w->stopping && !worker_wants_serving(w))
		w->stopping = true;
	return 0;
}

/* A kick of queue (q): re-armed as the control read is, and counted in
 * *pending unless the worker stops serving. */
static int worker_on_kick(struct worker *w, unsigned int q, int res,
			  uint32_t *pending)
{
	int err;

	if (q >= w->nr_kicks)
		return -EINVAL;
	err = res < 0 ? res : worker_arm_kick(w, q);
	if (err) {
		w->broken = true;
		return err;
	}
	if (!w->stopping)
		*pending |= UINT32_C(1) << q;
	return 0;
}

/*
 * One CQE. (pending) takes the kicks: the pass's while serving,
 * idle_kicks while idle. Returns 0 or the -errno that stops serving.
 */
static int worker_dispatch(struct worker *w, const struct io_uring_cqe *cqe,
			   uint32_t *pending)
{
	uint64_t tag = io_uring_cqe_get_data64(cqe);

	if (tag == WORKER_TAG_CTL)
		return worker_on_ctl(w, cqe->res);
	if (tag & WORKER_TAG_KICK_BASE)
		return worker_on_kick(w, (unsigned int)(tag & ~WORKER_TAG_KICK_BASE),
				      cqe->res, pending);
	if (tag < WORKER_TAG_DEVICE)
		return 0;	/* reserved, not in use */
	if (!w->serving) {
		/* in_flight() said nothing was left: a device bug. */
		log_debug("worker: device CQE %llu while idle, dropped",
			  (unsigned long long)tag);
		return 0;
	}
	if (!w->ops->on_cqe)
		return -EINVAL;
	return w->ops->on_cqe(w->ctx, cqe);
}

/* Calls on_kick for every pending queue; clears those that are done. */
static int worker_run_kicks(struct worker *w, uint32_t *pending)
{
	unsigned int q;
	int ret;

	for (q = 0; q < w->nr_kicks; q++) {
		if (!(*pending & (UINT32_C(1) << q)))
			continue;
		ret = w->ops->on_kick(w->ctx, q);
		if (ret < 0)
			return ret;
		if (ret == 0)
			*pending &= ~(UINT32_C(1) << q);
	}
	return 0;
}

/* The window starts at, and below this drops to, no polling. */
#define WORKER_POLL_MIN_NS	4000

static uint64_t worker_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000 + (uint64_t)ts.tv_nsec;
}

/* A spin-wait hint: lets the sibling hyperthread run, saves power. */
static inline void worker_cpu_relax(void)
{
#if defined(__x86_64__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ volatile("yield" ::: "memory");
#endif
}

/*
 * Nothing to do: spin for up to the poll window, watching the CQ and the
 * device's rings, then let the device re-arm its notifications. Returns
 * the queues with work (the loop then does not sleep), or 0: sleep (at
 * once if a CQE is already there).
 */
static uint32_t worker_poll(struct worker *w)
{
	uint64_t end;
	uint32_t work;

	if (w->poll_ns) {
		/* Queued I/O goes to the kernel before we spin. */
		io_uring_submit(&w->ring);
		end = worker_now_ns() + w->poll_ns;
		do {
			if (io_uring_cq_ready(&w->ring))
				return 0;
			work = w->ops->poll(w->ctx);
			if (work)
				return work;
			worker_cpu_relax();
		} while (worker_now_ns() < end);
	}
	return w->ops->idle(w->ctx);
}

/*
 * After a real sleep of (slept_ns): a wait shorter than the largest
 * window would have been caught by polling, so widen it (QEMU's adaptive
 * polling does the same); a longer one means the driver is idle, so
 * narrow it down to nothing: an idle guest costs no host CPU.
 */
static void worker_adapt_poll(struct worker *w, uint64_t slept_ns)
{
	if (slept_ns <= w->poll_max_ns) {
		w->poll_ns = w->poll_ns ? w->poll_ns * 2 : WORKER_POLL_MIN_NS;
		if (w->poll_ns > w->poll_max_ns)
			w->poll_ns = w->poll_max_ns;
	} else {
		w->poll_ns /= 2;
		if (w->poll_ns < WORKER_POLL_MIN_NS)
			w->poll_ns = 0;
	}
}

/* The errors io_uring_enter returns that reaping cures: CQ overflow, or
 * no memory for the moment; EINTR. */
static bool worker_transient(int ret)
{
	return ret == -EINTR || ret == -EBUSY || ret == -EAGAIN;
}

static bool worker_in_flight(struct worker *w)
{
	return w->ops->in_flight && w->ops->in_flight(w->ctx);
}

/* An error stops serving: the first is what worker_deactivate() gets. */
static void worker_fail(struct worker *w, int *err, int ret)
{
	if (!*err)
		*err = ret;
	w->stopping = true;
}

/* Submits, then sleeps until a CQE comes if (sleep); adapts the poll
 * window to the sleep. 0, or the -errno of a ring that cannot go on. */
static int worker_wait(struct worker *w, bool sleep)
{
	uint64_t t0 = 0;
	int ret;

	if (sleep && !w->stopping && w->poll_max_ns &&
	    !io_uring_cq_ready(&w->ring))
		t0 = worker_now_ns();
	ret = io_uring_submit_and_wait(&w->ring, sleep ? 1 : 0);
	if (t0)
		worker_adapt_poll(w, worker_now_ns() - t0);
	return ret < 0 && !worker_transient(ret) ? ret : 0;
}

/* Dispatches every CQE there is; an error stops serving. */
static void worker_reap(struct worker *w, uint32_t *pending, int *err)
{
	struct io_uring_cqe *cqe;
	unsigned int head, seen = 0;
	int ret;

	io_uring_for_each_cqe(&w->ring, head, cqe)
	{
		seen++;
		ret = worker_dispatch(w, cqe, pending);
		if (ret)
			worker_fail(w, err, ret);
	}
	io_uring_cq_advance(&w->ring, seen);
}

/*
 * After the reaping: serving, the kicks and on_pass_end; stopping,
 * on_stop, once as stopping begins (a device may hold files no request
 * waits on), then while something is in flight.
 */
static void worker_pass_end(struct worker *w, uint32_t *pending, int *err,
			    bool was_stopping)
{
	int ret;

	if (!w->stopping) {
		ret = worker_run_kicks(w, pending);
		if (ret)
			worker_fail(w, err, ret);
		else if (w->ops->on_pass_end)
			w->ops->on_pass_end(w->ctx);
	}
	if (w->stopping && w->ops->on_stop &&
	    (!was_stopping || worker_in_flight(w)))
		w->ops->on_stop(w->ctx);
}

/*
 * Serves from activation until told to stop, or an error, then drains:
 * on_stop, and CQEs until in_flight() says none is left. Returns 0, or
 * the first -errno (w->broken: the thread cannot go on; after a failed
 * io_uring_enter without draining, as nothing can be reaped).
 */
static int worker_serve(struct worker *w)
{
	uint32_t pending = w->idle_kicks;	/* queues to call on_kick for */
	int err = 0, ret;

	w->idle_kicks = 0;
	w->retry = 0;
	w->poll_ns = 0;
	w->stopping = false;
	w->serving = true;
	if (w->ops->on_start) {
		ret = w->ops->on_start(w->ctx);
		if (ret)
			worker_fail(w, &err, ret);
	}
	while (!w->stopping || worker_in_flight(w)) {
		bool was_stopping = w->stopping;

		if (!w->stopping) {
			pending |= w->retry;
			w->retry = 0;
			if (!pending && w->ops->poll)
				pending = worker_poll(w);
		}
		/* Work left over: only submit and reap, do not sleep. */
		ret = worker_wait(w, w->stopping || !pending);
		if (ret) {
			w->broken = true;
			err = ret;
			break;
		}
		worker_reap(w, &pending, &err);
		worker_pass_end(w, &pending, &err, was_stopping);
	}
	w->serving = false;
	w->stopping = false;
	return err;
}

/*
 * What the idle thread does next, from what it is told: 1 serve (the
 * state is SERVING from here), 0 exit, -1 wait on.
 */
static int worker_next(struct worker *w)
{
	int next = -1;

	pthread_mutex_lock(&w->lock);
	if (w->want_exit) {
		next = 0;
	} else if (w->want_active && w->state == WORKER_IDLE) {
		w->state = WORKER_SERVING;
		next = 1;
	}
	pthread_mutex_unlock(&w->lock);
	return next;
}

/*
 * Idle: waits for worker_activate() or worker_destroy(), remembering
 * which queues were kicked meanwhile. 1: serve, 0: exit, or -errno.
 */
static int worker_idle(struct worker *w)
{
	struct io_uring_cqe *cqe;
	unsigned int head, seen;
	int ret;

	for (;;) {
		ret = worker_next(w);
		if (ret >= 0)
			return ret;
		ret = io_uring_submit_and_wait(&w->ring, 1);
		if (ret < 0 && !worker_transient(ret))
			return ret;
		seen = 0;
		ret = 0;
		io_uring_for_each_cqe(&w->ring, head, cqe)
		{
			seen++;
			ret = worker_dispatch(w, cqe, &w->idle_kicks);
			if (ret)
				break;
		}
		io_uring_cq_advance(&w->ring, seen);
		if (ret)
			return ret;
	}
}

/* Publishes the thread's state and why it got there; wakes waiters. */
static void worker_set_state(struct worker *w, enum worker_state state,
			     int err)
{
	pthread_mutex_lock(&w->lock);
	w->state = state;
	if (err && !w->error)
		w->error = err;
	pthread_cond_broadcast(&w->cond);
	pthread_mutex_unlock(&w->lock);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	char name[16] = "worker";
	int ret;

	while ((ret = worker_idle(w)) > 0) {
		ret = worker_serve(w);
		if (w->broken)
			break;
		/* On an error the device (it set NEEDS_RESET) waits for
		 * the driver's reset: no serving until then. */
		worker_set_state(w, ret ? WORKER_FAILED : WORKER_IDLE, ret);
	}
	if (ret) {
		pthread_getname_np(pthread_self(), name, sizeof(name));
		log_warn("%s: worker thread ended: %s", name, strerror(-ret));
	}
	worker_set_state(w, WORKER_DEAD, ret);
	return (void *)(intptr_t)ret;
}

static int worker_check_config(const struct worker_config *cfg,
			       const struct worker_ops *ops)
{
	unsigned int i;

	if (!cfg->name || strlen(cfg->name) > 15 || !ops || !ops->on_kick)
		return -EINVAL;
	if (!cfg->nr_kick_fds || cfg->nr_kick_fds > WORKER_MAX_KICKS ||
	    !cfg->kick_fds)
		return -EINVAL;
	/* The control and kick reads must fit in the SQ at start. */
	if (cfg->entries && cfg->entries < cfg->nr_kick_fds + 1)
		return -EINVAL;
	if (cfg->nr_spare_files > WORKER_MAX_SPARE_FILES)
		return -EINVAL;
	if (cfg->nr_opcodes > WORKER_MAX_OPCODES ||
	    (cfg->nr_opcodes && !cfg->opcodes))
		return -EINVAL;
	for (i = 0; i < cfg->nr_kick_fds; i++)
		if (cfg->kick_fds[i] < 0)
			return -EBADF;
	if (cfg->backend_fd < -1)
		return -EBADF;
	if ((cfg->poll_max_ns || ops->poll || ops->idle) &&
	    (!ops->poll || !ops->idle))
		return -EINVAL;
	return 0;
}

/* Fixed files, opcode allowlist, no more registration: then enable. */
static int worker_restrict(struct worker *w, const struct worker_config *cfg)
{
	struct io_uring_restriction res[WORKER_MAX_OPCODES + 3];
	unsigned int nr_files = WORKER_FILE_KICK0 + cfg->nr_kick_fds +
				cfg->nr_spare_files;
	unsigned int i, n = 0;
	int *files, ret;

	files = malloc(nr_files * sizeof(*files));
	if (!files)
		return -ENOMEM;
	files[WORKER_FILE_CTL] = w->ctl_fd;
	/* -1 leaves a sparse slot: the index stays fixed for devices. */
	files[WORKER_FILE_BACKEND] = cfg->backend_fd;
	for (i = 0; i < cfg->nr_kick_fds; i++)
		files[WORKER_FILE_KICK0 + i] = cfg->kick_fds[i];
	for (i = WORKER_FILE_KICK0 + cfg->nr_kick_fds; i < nr_files; i++)
		files[i] = -1;
	ret = io_uring_register_files(&w->ring, files, nr_files);
	free(files);
	if (ret)
		return ret;

	memset(res, 0, sizeof(res));
	/* The runtime: control and kick eventfd reads. */
	res[n].opcode = IORING_RESTRICTION_SQE_OP;
	res[n++].sqe_op = IORING_OP_READ;
	/* The device: its backend I/O. */
	for (i = 0; i < cfg->nr_opcodes; i++) {
		res[n].opcode = IORING_RESTRICTION_SQE_OP;
		res[n++].sqe_op = cfg->opcodes[i];
	}
	/* Every SQE names a registered file, never a raw fd, so a confused
	 * device cannot reach files outside the table. */
	res[n].opcode = IORING_RESTRICTION_SQE_FLAGS_REQUIRED;
	res[n++].sqe_flags = IOSQE_FIXED_FILE;
	/* No other IORING_RESTRICTION_REGISTER_OP entry: once enabled, the
	 * allowlist cannot be changed by anyone, nor the table but for a
	 * swappable backend's slot (worker_set_backend()). */
	if (cfg->swappable_backend) {
		res[n].opcode = IORING_RESTRICTION_REGISTER_OP;
		res[n++].register_op = IORING_REGISTER_FILES_UPDATE;
	}
	ret = io_uring_register_restrictions(&w->ring, res, n);
	if (ret)
		return ret;
	return io_uring_enable_rings(&w->ring);
}

int worker_create(struct worker *w, const struct worker_config *cfg,
		  const struct worker_ops *ops, void *ctx)
{
	unsigned int q, entries;
	int ret;

	memset(w, 0, sizeof(*w));
	w->ctl_fd = -1;
	ret = worker_check_config(cfg, ops);
	if (ret)
		return ret;
	w->ops = ops;
	w->ctx = ctx;
	w->nr_kicks = cfg->nr_kick_fds;
	w->nr_spare = cfg->nr_spare_files;
	w->poll_max_ns = cfg->poll_max_ns;
	w->state = WORKER_IDLE;

	w->ctl_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (w->ctl_fd < 0)
		return -errno;
	/* Disabled until restricted: no SQE runs before the allowlist. */
	entries = cfg->entries ? cfg->entries : WORKER_DEFAULT_ENTRIES;
	ret = io_uring_queue_init(entries, &w->ring, IORING_SETUP_R_DISABLED);
	if (ret)
		goto err_close_ctl;
	ret = worker_restrict(w, cfg);
	if (ret)
		goto err_exit_ring;

	/* Armed here but submitted by the thread: nothing enters the
	 * kernel for this ring on the caller's behalf. */
	ret = worker_arm_ctl(w);
	for (q = 0; !ret && q < w->nr_kicks; q++)
		ret = worker_arm_kick(w, q);
	if (ret)
		goto err_exit_ring;

	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->cond, NULL);
	ret = thread_spawn(&w->thread, cfg->name, cfg->cls, worker_main, w);
	if (ret)
		goto err_sync;
	w->created = true;
	return 0;

err_sync:
	pthread_cond_destroy(&w->cond);
	pthread_mutex_destroy(&w->lock);
err_exit_ring:
	io_uring_queue_exit(&w->ring);
err_close_ctl:
	close(w->ctl_fd);
	w->ctl_fd = -1;
	return ret;
}

int worker_activate(struct worker *w)
{
	int ret = 0;

	if (!w->created)
		return -ENODEV;
	pthread_mutex_lock(&w->lock);
	if (w->state == WORKER_DEAD)
		ret = -ESRCH;
	else if (w->want_active || w->state != WORKER_IDLE)
		ret = -EBUSY;
	else
		w->want_active = true;
	pthread_mutex_unlock(&w->lock);
	/* The mutex published the device's state; the thread takes it
	 * before it looks at want_active. */
	if (!ret)
		worker_signal(w);
	return ret;
}

int worker_deactivate(struct worker *w)
{
	int ret;

	if (!w->created)
		return 0;
	pthread_mutex_lock(&w->lock);
	w->want_active = false;
	if (w->state == WORKER_SERVING) {
		worker_signal(w);
		/* Drained: no device op runs and no request is in flight
		 * once it is not SERVING. */
		while (w->state == WORKER_SERVING)
			pthread_cond_wait(&w->cond, &w->lock);
	}
	if (w->state == WORKER_FAILED)
		w->state = WORKER_IDLE;
	ret = w->error;
	w->error = 0;
	pthread_mutex_unlock(&w->lock);
	return ret;
}

int worker_destroy(struct worker *w)
{
	void *retval;

	if (!w->created)
		return w->result;
	pthread_mutex_lock(&w->lock);
	w->want_active = false;
	w->want_exit = true;
	pthread_mutex_unlock(&w->lock);
	worker_signal(w);
	pthread_join(w->thread, &retval);
	w->result = retval == THREAD_JAIL_FAILED ? -EPERM : w->error;
	io_uring_queue_exit(&w->ring);
	close(w->ctl_fd);
	w->ctl_fd = -1;
	pthread_cond_destroy(&w->cond);
	pthread_mutex_destroy(&w->lock);
	w->created = false;
	return w->result;
}

int worker_set_backend(struct worker *w, int fd)
{
	int ret;

	if (!w->created)
		return -ENODEV;
	ret = io_uring_register_files_update(&w->ring, WORKER_FILE_BACKEND,
					     &fd, 1);
	return ret == 1 ? 0 : ret < 0 ? ret : -EIO;
}

struct io_uring_sqe *worker_sqe(struct worker *w)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&w->ring);

	if (sqe)
		return sqe;
	if (io_uring_submit(&w->ring) < 0)
		return NULL;
	return io_uring_get_sqe(&w->ring);
}

int worker_submit(struct worker *w)
{
	return io_uring_submit(&w->ring);
}
