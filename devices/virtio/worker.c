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

/*
 * One CQE. Sets *stop on the kill tag and the bit of (q) in *pending on
 * a kick. Returns 0 or the -errno that ends the loop.
 */
static int worker_dispatch(struct worker *w, const struct io_uring_cqe *cqe,
			   bool *stop, uint32_t *pending)
{
	uint64_t tag = io_uring_cqe_get_data64(cqe);
	unsigned int q;
	int err;

	if (tag == WORKER_TAG_KILL) {
		*stop = true;
		w->stopping = true;
		if (w->ops->on_stop)
			w->ops->on_stop(w->ctx);
		return 0;
	}
	if (tag & WORKER_TAG_KICK_BASE) {
		q = (unsigned int)(tag & ~WORKER_TAG_KICK_BASE);
		if (q >= w->nr_kicks)
			return -EINVAL;
		/* A failed eventfd read would fail again if re-armed. */
		if (cqe->res < 0)
			return cqe->res;
		/* Re-arm before the device looks at the queue, so a kick
		 * that comes while it works is not lost. */
		err = worker_arm_kick(w, q);
		if (err)
			return err;
		*pending |= UINT32_C(1) << q;
		return 0;
	}
	if (tag < WORKER_TAG_DEVICE)
		return 0;	/* reserved, not in use */
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

static int worker_loop(struct worker *w)
{
	uint32_t pending = 0;	/* queues whose on_kick wants another go */
	struct io_uring_cqe *cqe;
	unsigned int head, seen;
	bool stop = false;
	int ret;

	while (!stop || (w->ops->in_flight && w->ops->in_flight(w->ctx))) {
		bool sleep;
		uint64_t t0 = 0;

		pending |= w->retry;
		w->retry = 0;
		if (!pending && !stop && w->ops->poll)
			pending = worker_poll(w);
		/* Work left over: only submit and reap, do not sleep. */
		sleep = !(pending && !stop);
		if (sleep && w->poll_max_ns && !io_uring_cq_ready(&w->ring))
			t0 = worker_now_ns();
		ret = io_uring_submit_and_wait(&w->ring, sleep ? 1 : 0);
		if (t0)
			worker_adapt_poll(w, worker_now_ns() - t0);
		/* -EBUSY/-EAGAIN: CQ overflow or no memory; reaping helps. */
		if (ret < 0 && ret != -EINTR && ret != -EBUSY && ret != -EAGAIN)
			return ret;
		seen = 0;
		ret = 0;
		io_uring_for_each_cqe(&w->ring, head, cqe)
		{
			seen++;
			ret = worker_dispatch(w, cqe, &stop, &pending);
			if (ret)
				break;
		}
		io_uring_cq_advance(&w->ring, seen);
		if (ret)
			return ret;
		if (!stop) {
			ret = worker_run_kicks(w, &pending);
			if (ret)
				return ret;
			if (w->ops->on_pass_end)
				w->ops->on_pass_end(w->ctx);
		}
	}
	return 0;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	int ret = worker_loop(w);
	char name[16] = "worker";

	if (ret) {
		pthread_getname_np(pthread_self(), name, sizeof(name));
		log_warn("%s: worker loop ended: %s", name, strerror(-ret));
	}
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
	/* The kill and kick reads must fit in the SQ at start. */
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
	files[WORKER_FILE_KILL] = w->kill_fd;
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
	/* The runtime: kill and kick eventfd reads. */
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

int worker_start(struct worker *w, const struct worker_config *cfg,
		 const struct worker_ops *ops, void *ctx)
{
	unsigned int q, entries;
	int ret;

	memset(w, 0, sizeof(*w));
	w->kill_fd = -1;
	ret = worker_check_config(cfg, ops);
	if (ret)
		return ret;
	w->ops = ops;
	w->ctx = ctx;
	w->nr_kicks = cfg->nr_kick_fds;
	w->nr_spare = cfg->nr_spare_files;
	w->poll_max_ns = cfg->poll_max_ns;

	w->kill_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (w->kill_fd < 0)
		return -errno;
	/* Disabled until restricted: no SQE runs before the allowlist. */
	entries = cfg->entries ? cfg->entries : WORKER_DEFAULT_ENTRIES;
	ret = io_uring_queue_init(entries, &w->ring, IORING_SETUP_R_DISABLED);
	if (ret)
		goto err_close_kill;
	ret = worker_restrict(w, cfg);
	if (ret)
		goto err_exit_ring;

	/* Armed here but submitted by the thread: nothing enters the
	 * kernel for this ring on the caller's behalf. */
	ret = worker_arm_read(w, WORKER_FILE_KILL, &w->kill_buf,
			      WORKER_TAG_KILL);
	for (q = 0; !ret && q < w->nr_kicks; q++)
		ret = worker_arm_kick(w, q);
	if (ret)
		goto err_exit_ring;

	ret = thread_spawn(&w->thread, cfg->name, cfg->cls, worker_main, w);
	if (ret)
		goto err_exit_ring;
	w->has_kill_fd = true;
	w->has_ring = true;
	w->has_thread = true;
	return 0;

err_exit_ring:
	io_uring_queue_exit(&w->ring);
err_close_kill:
	close(w->kill_fd);
	w->kill_fd = -1;
	return ret;
}

int worker_set_backend(struct worker *w, int fd)
{
	int ret;

	if (!w->has_ring)
		return -ENODEV;
	ret = io_uring_register_files_update(&w->ring, WORKER_FILE_BACKEND,
					     &fd, 1);
	return ret == 1 ? 0 : ret < 0 ? ret : -EIO;
}

int worker_stop(struct worker *w)
{
	uint64_t one = 1;
	void *retval;

	if (w->has_thread) {
		/* EAGAIN only if the counter is near overflow: signalled. */
		if (write(w->kill_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
			log_warn("worker: kill: %s", strerror(errno));
		pthread_join(w->thread, &retval);
		w->has_thread = false;
		if (retval == THREAD_JAIL_FAILED)
			w->result = -EPERM;
		else
			w->result = (int)(intptr_t)retval;
	}
	if (w->has_ring) {
		io_uring_queue_exit(&w->ring);
		w->has_ring = false;
	}
	if (w->has_kill_fd) {
		close(w->kill_fd);
		w->has_kill_fd = false;
		w->kill_fd = -1;
	}
	return w->result;
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
