// SPDX-License-Identifier: Apache-2.0
/* tests/devices/virtio/test_worker.c: the per-device io_uring thread runtime. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "support/fds.h"
#include "support/need_io_uring.h"
#include "devices/virtio/worker.h"

#define NAME		"wk-test"
#define NR_Q		2
#define TAG_READ	(WORKER_TAG_DEVICE + 0)
#define TAG_WRITE	(WORKER_TAG_DEVICE + 1)
#define TAG_OPENAT	(WORKER_TAG_DEVICE + 2)
#define TAG_RAWFD	(WORKER_TAG_DEVICE + 3)
#define MAX_CQES	8

/* What the device under test is told to do, and what it saw. */
enum fake_action {
	ACT_NONE,	/* count the kick */
	ACT_READ,	/* read the backend (fixed) */
	ACT_WRITE,	/* write the backend (fixed) */
	ACT_FORBIDDEN,	/* WRITE, OPENAT, READ of a raw fd: all refused */
	ACT_FAIL,	/* return -EIO */
	ACT_BUDGET,	/* ask to be called again (budget) 3 times */
};

struct fake {
	pthread_mutex_t lock;		/* guards all below */
	pthread_cond_t cond;		/* signalled on every call */
	struct worker *w;		/* for worker_sqe() */
	enum fake_action action;	/* what on_kick does */
	unsigned int kicks[NR_Q];	/* on_kick calls per queue */
	bool wrong_thread;		/* on_kick not on the worker's thread */
	unsigned int left;		/* ACT_BUDGET: more-work returns left */
	int raw_fd;			/* ACT_FORBIDDEN: a non-fixed fd */
	char buf[32];			/* backend I/O buffer */
	struct io_uring_cqe cqes[MAX_CQES];	/* seen by on_cqe */
	unsigned int nr_cqes;		/* entries in cqes */
	bool reading;			/* ACT_READ: its read in flight */
	bool cqe_stopping;		/* worker_stopping() at the last CQE */
	unsigned int stops;		/* on_stop calls */
	int wake_fd;			/* on_stop writes here (a pipe's end) */
};

static struct fake f = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.cond = PTHREAD_COND_INITIALIZER,
	.wake_fd = -1,
};
static struct worker w;
static int kick[NR_Q] = {-1, -1};

static struct io_uring_sqe *sqe_for(uint64_t tag)
{
	struct io_uring_sqe *sqe = worker_sqe(f.w);

	cr_assert_not_null(sqe);
	io_uring_sqe_set_data64(sqe, tag);
	return sqe;
}

static int fake_on_kick(void *ctx, unsigned int q)
{
	struct fake *d = ctx;
	struct io_uring_sqe *sqe;
	int ret = 0;

	pthread_mutex_lock(&d->lock);
	/* Its own thread id, not its name: the thread is jailed, and
	 * prctl(PR_GET_NAME) is not among what it may call. */
	if (!pthread_equal(pthread_self(), d->w->thread))
		d->wrong_thread = true;
	d->kicks[q]++;
	switch (d->action) {
	case ACT_NONE:
		break;
	case ACT_READ:
		sqe = sqe_for(TAG_READ);
		io_uring_prep_read(sqe, WORKER_FILE_BACKEND, d->buf,
				   sizeof(d->buf), 0);
		sqe->flags |= IOSQE_FIXED_FILE;
		io_uring_sqe_set_data64(sqe, TAG_READ);
		d->reading = true;
		break;
	case ACT_WRITE:
		sqe = sqe_for(TAG_WRITE);
		io_uring_prep_write(sqe, WORKER_FILE_BACKEND, "ping", 4, 0);
		sqe->flags |= IOSQE_FIXED_FILE;
		io_uring_sqe_set_data64(sqe, TAG_WRITE);
		break;
	case ACT_FORBIDDEN:
		sqe = sqe_for(TAG_WRITE);
		io_uring_prep_write(sqe, WORKER_FILE_BACKEND, "ping", 4, 0);
		sqe->flags |= IOSQE_FIXED_FILE;
		io_uring_sqe_set_data64(sqe, TAG_WRITE);
		sqe = sqe_for(TAG_OPENAT);
		io_uring_prep_openat(sqe, AT_FDCWD, "/etc/passwd", O_RDONLY, 0);
		io_uring_sqe_set_data64(sqe, TAG_OPENAT);
		sqe = sqe_for(TAG_RAWFD);
		io_uring_prep_read(sqe, d->raw_fd, d->buf, sizeof(d->buf), 0);
		io_uring_sqe_set_data64(sqe, TAG_RAWFD);
		/* Submission stops at the first refused SQE (no
		 * IORING_SETUP_SUBMIT_ALL); the loop submits the rest. */
		cr_assert_geq(worker_submit(f.w), 1);
		break;
	case ACT_FAIL:
		ret = -EIO;
		break;
	case ACT_BUDGET:
		if (d->left) {
			d->left--;
			ret = 1;
		}
		break;
	}
	pthread_cond_broadcast(&d->cond);
	pthread_mutex_unlock(&d->lock);
	return ret;
}

static int fake_on_cqe(void *ctx, const struct io_uring_cqe *cqe)
{
	struct fake *d = ctx;

	pthread_mutex_lock(&d->lock);
	if (d->nr_cqes < MAX_CQES)
		d->cqes[d->nr_cqes++] = *cqe;
	if (cqe->user_data == TAG_READ)
		d->reading = false;
	d->cqe_stopping = worker_stopping(d->w);
	pthread_cond_broadcast(&d->cond);
	pthread_mutex_unlock(&d->lock);
	return 0;
}

static const struct worker_ops fake_ops = {
	.on_kick = fake_on_kick,
	.on_cqe = fake_on_cqe,
};

/* A device whose read waits on the outside world: on_stop is where it
 * makes the read complete (as a real one cancels it), in_flight says
 * whether it has. */
static bool fake_in_flight(void *ctx)
{
	struct fake *d = ctx;
	bool busy;

	pthread_mutex_lock(&d->lock);
	busy = d->reading;
	pthread_mutex_unlock(&d->lock);
	return busy;
}

static void fake_on_stop(void *ctx)
{
	struct fake *d = ctx;

	pthread_mutex_lock(&d->lock);
	/* Once: on_stop must not repeat itself (it runs every pass). */
	if (!d->stops++ && d->wake_fd >= 0)
		cr_assert_eq(write(d->wake_fd, "bye", 3), 3);
	pthread_cond_broadcast(&d->cond);
	pthread_mutex_unlock(&d->lock);
}

static const struct worker_ops fake_drain_ops = {
	.on_kick = fake_on_kick,
	.on_cqe = fake_on_cqe,
	.in_flight = fake_in_flight,
	.on_stop = fake_on_stop,
};

/* Waits (with f.lock held) until (c) holds; fails after 5 s. */
#define WAIT_FOR(c)                                                            \
	do {                                                                   \
		struct timespec dl;                                            \
		clock_gettime(CLOCK_REALTIME, &dl);                            \
		dl.tv_sec += 5;                                                \
		while (!(c)) {                                                 \
			int e = pthread_cond_timedwait(&f.cond, &f.lock, &dl); \
			cr_assert_neq(e, ETIMEDOUT, "timed out: " #c);         \
		}                                                              \
	} while (0)

static void do_kick(unsigned int q)
{
	uint64_t one = 1;

	cr_assert_eq(write(kick[q], &one, sizeof(one)), sizeof(one));
}

static struct worker_config config(int backend_fd)
{
	return (struct worker_config){
		.name = NAME,
		.cls = JAIL_RNG,
		.nr_kick_fds = NR_Q,
		.kick_fds = kick,
		.backend_fd = backend_fd,
	};
}

static void create(const struct worker_config *cfg,
		   const struct worker_ops *ops)
{
	int ret = worker_create(&w, cfg, ops, &f);

	cr_assert_eq(ret, 0, "worker_create: %s", strerror(-ret));
}

/* Created and serving. */
static void start(const struct worker_config *cfg)
{
	create(cfg, &fake_ops);
	cr_assert_eq(worker_activate(&w), 0);
}

/* No on_kick call for a while: what a device op must not do shows up
 * here if it happens at all (no false failure, only a late catch). */
static void expect_no_kick_call(void)
{
	unsigned int before, after;

	pthread_mutex_lock(&f.lock);
	before = f.kicks[0] + f.kicks[1];
	pthread_mutex_unlock(&f.lock);
	usleep(20000);
	pthread_mutex_lock(&f.lock);
	after = f.kicks[0] + f.kicks[1];
	pthread_mutex_unlock(&f.lock);
	cr_assert_eq(after, before, "a device op ran while not serving");
}

/* Skips when the kernel has no io_uring (or it is forbidden here). */
static void setup(void)
{
	need_io_uring();
	f.w = &w;
	for (unsigned int q = 0; q < NR_Q; q++) {
		kick[q] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		cr_assert_geq(kick[q], 0);
	}
}

static void teardown(void)
{
	worker_destroy(&w);
	for (unsigned int q = 0; q < NR_Q; q++)
		if (kick[q] >= 0)
			close(kick[q]);
}

TestSuite(worker, .init = setup, .fini = teardown, .timeout = 30);

Test(worker, create_activate_deactivate_destroy)
{
	struct worker_config cfg = config(-1);

	start(&cfg);
	cr_assert_eq(worker_deactivate(&w), 0);
	cr_assert_eq(worker_deactivate(&w), 0, "deactivate is idempotent");
	cr_assert_eq(worker_destroy(&w), 0);
	cr_assert_eq(worker_destroy(&w), 0, "destroy is idempotent");
	cr_assert_eq(f.kicks[0] + f.kicks[1], 0);
}

Test(worker, zeroed_worker_is_a_noop)
{
	struct worker z;

	memset(&z, 0, sizeof(z));
	cr_assert_eq(worker_activate(&z), -ENODEV);
	cr_assert_eq(worker_deactivate(&z), 0);
	cr_assert_eq(worker_destroy(&z), 0);
}

/* The thread exists from creation, named, and idles: a kick before
 * activation runs nothing, and is served once the worker serves. */
Test(worker, thread_idles_from_creation_until_activated)
{
	struct worker_config cfg = config(-1);
	char name[16] = "";

	create(&cfg, &fake_ops);
	/* Named by the thread itself as it starts: wait for it. */
	for (int i = 0; i < 5000 && strcmp(name, NAME); i++) {
		cr_assert_eq(pthread_getname_np(w.thread, name, sizeof(name)),
			     0);
		if (strcmp(name, NAME))
			usleep(1000);
	}
	cr_assert_str_eq(name, NAME);
	do_kick(0);
	expect_no_kick_call();
	cr_assert_eq(worker_activate(&w), 0);
	cr_assert_eq(worker_activate(&w), -EBUSY, "already serving");
	pthread_mutex_lock(&f.lock);
	WAIT_FOR(f.kicks[0] == 1);
	cr_assert_eq(f.kicks[1], 0, "only the queue kicked");
	cr_assert_not(f.wrong_thread);
	pthread_mutex_unlock(&f.lock);
	cr_assert_eq(worker_destroy(&w), 0);
}

/* Deactivated, it serves nothing again until the next activation; the
 * same thread and ring serve every activation. */
Test(worker, serves_again_after_deactivation)
{
	struct worker_config cfg = config(-1);
	pthread_t thread;

	start(&cfg);
	thread = w.thread;
	for (unsigned int round = 1; round <= 3; round++) {
		do_kick(1);
		pthread_mutex_lock(&f.lock);
		WAIT_FOR(f.kicks[1] == round);
		pthread_mutex_unlock(&f.lock);
		cr_assert_eq(worker_deactivate(&w), 0);
		do_kick(0);
		expect_no_kick_call();
		cr_assert_eq(worker_activate(&w), 0);
		pthread_mutex_lock(&f.lock);
		WAIT_FOR(f.kicks[0] == round);
		pthread_mutex_unlock(&f.lock);
		cr_assert(pthread_equal(w.thread, thread));
	}
	cr_assert_eq(worker_destroy(&w), 0);
}

/* A serving worker whose device has a read of pipe (p) in flight, which
 * its on_stop completes by writing the pipe's other end. */
static void serve_with_a_read_in_flight(int p[2])
{
	struct worker_config cfg;

	cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
	cfg = config(p[0]);
	f.action = ACT_READ;
	f.wake_fd = p[1];
	create(&cfg, &fake_drain_ops);
	cr_assert_eq(worker_activate(&w), 0);
	do_kick(0);
	pthread_mutex_lock(&f.lock);
	WAIT_FOR(f.kicks[0] == 1);
	pthread_mutex_unlock(&f.lock);
}

/* worker_deactivate() returns only once the device's request is back:
 * on_stop made it complete, in_flight() said so, and its CQE was seen
 * as stopping. */
Test(worker, deactivate_drains_what_is_in_flight)
{
	int p[2];

	serve_with_a_read_in_flight(p);
	cr_assert_eq(worker_deactivate(&w), 0);
	pthread_mutex_lock(&f.lock);
	cr_assert_geq(f.stops, 1);
	cr_assert_eq(f.nr_cqes, 1, "the read came back before");
	cr_assert_eq(f.cqes[0].res, 3);
	cr_assert(f.cqe_stopping, "retired as stopping");
	cr_assert_not(f.reading);
	pthread_mutex_unlock(&f.lock);

	/* Serving again: the read is answered as such. */
	f.stops = 0;
	f.wake_fd = -1;
	cr_assert_eq(worker_activate(&w), 0);
	do_kick(0);
	pthread_mutex_lock(&f.lock);
	WAIT_FOR(f.kicks[0] == 2);
	pthread_mutex_unlock(&f.lock);
	cr_assert_eq(write(p[1], "hi", 2), 2);
	pthread_mutex_lock(&f.lock);
	WAIT_FOR(f.nr_cqes == 2);
	cr_assert_not(f.cqe_stopping);
	pthread_mutex_unlock(&f.lock);
	cr_assert_eq(worker_destroy(&w), 0);
	close(p[0]);
	close(p[1]);
}

/* Destroyed while serving: it drains as for a deactivation first. */
Test(worker, destroy_while_serving_drains)
{
	int p[2];

	serve_with_a_read_in_flight(p);
	cr_assert_eq(worker_destroy(&w), 0);
	cr_assert_geq(f.stops, 1);
	cr_assert_eq(f.nr_cqes, 1);
	cr_assert_not(f.reading);
	close(p[0]);
	close(p[1]);
}

/* Activation and deactivation back to back, without waiting for the
 * thread in between: it ends idle or serving as told last. */
Test(worker, quick_toggles_settle)
{
	struct worker_config cfg = config(-1);

	create(&cfg, &fake_ops);
	for (int i = 0; i < 200; i++) {
		cr_assert_eq(worker_activate(&w), 0);
		cr_assert_eq(worker_deactivate(&w), 0);
	}
	do_kick(0);
	expect_no_kick_call();
	cr_assert_eq(worker_activate(&w), 0);
	pthread_mutex_lock(&f.lock);
	WAIT_FOR(f.kicks[0] == 1);
	pthread_mutex_unlock(&f.lock);
	cr_assert_eq(worker_destroy(&w), 0);
}

Test(worker, kick_calls_on_kick_on_worker_thread)
{
	struct worker_config cfg = config(-1);

	start(&cfg);
	do_kick(1);
	pthread_mutex_lock(&f.lock);
	WAIT_FOR(f.kicks[1] == 1);
	cr_assert_eq(f.kicks[0], 0);
	cr_assert_not(f.wrong_thread);
	pthread_mutex_unlock(&f.lock);

	/* The read was re-armed: a second kick is seen too. */
	do_kick(1);
	do_kick(0);
	pthread_mutex_lock(&f.lock);
	WAIT_FOR(f.kicks[1] == 2 && f.kicks[0] == 1);
	pthread_mutex_unlock(&f.lock);
	cr_assert_eq(worker_destroy(&w), 0);
}

Test(worker, kicks_coalesce)
{
	struct worker_config cfg = config(-1);
	unsigned int seen;

	start(&cfg);
	for (int i = 0; i < 1000; i++)
		do_kick(0);
	pthread_mutex_lock(&f.lock);
	WAIT_FOR(f.kicks[0] >= 1);
	pthread_mutex_unlock(&f.lock);
	usleep(20000);
	pthread_mutex_lock(&f.lock);
	seen = f.kicks[0];
	pthread_mutex_unlock(&f.lock);
	cr_assert_leq(seen, 1000);
	/* The counter was drained: one more kick is exactly one call. */
	do_kick(0);
	pthread_mutex_lock(&f.lock);
	WAIT_FOR(f.kicks[0] == seen + 1);
	pthread_mutex_unlock(&f.lock);
	usleep(20000);
	pthread_mutex_lock(&f.lock);
	cr_assert_eq(f.kicks[0], seen + 1);
	pthread_mutex_unlock(&f.lock);
	cr_assert_eq(worker_destroy(&w), 0);
}

static atomic_bool hammering;

static void *hammer(void *arg)
{
	uint64_t one = 1;

	(void)arg;
	while (atomic_load(&hammering)) {
		for (unsigned int q = 0; q < NR_Q; q++)
			if (write(kick[q], &one, sizeof(one)) < 0 &&
			    errno != EAGAIN)
				return (void *)1;
	}
	return NULL;
}

Test(worker, stop_while_kicks_arrive)
{
	struct worker_config cfg = config(-1);
	pthread_t t;
	void *ret;

	for (int round = 0; round < 20; round++) {
		start(&cfg);
		atomic_store(&hammering, true);
		cr_assert_eq(pthread_create(&t, NULL, hammer, NULL), 0);
		usleep(1000);
		cr_assert_eq(worker_deactivate(&w), 0);
		usleep(1000);
		cr_assert_eq(worker_activate(&w), 0);
		usleep(1000);
		cr_assert_eq(worker_destroy(&w), 0);
		atomic_store(&hammering, false);
		pthread_join(t, &ret);
		cr_assert_null(ret);
	}
}

Test(worker, backend_read_completes_via_on_cqe)
{
	struct worker_config cfg;
	int p[2];

	cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
	cfg = config(p[0]);
	f.action = ACT_READ;
	start(&cfg);
	do_kick(0);
	pthread_mutex_lock(&f.lock);
	WAIT_FOR(f.kicks[0] == 1);
	cr_assert_eq(f.nr_cqes, 0, "the read waits for data");
	pthread_mutex_unlock(&f.lock);
	cr_assert_eq(write(p[1], "hello", 5), 5);
	pthread_mutex_lock(&f.lock);
	WAIT_FOR(f.nr_cqes == 1);
	cr_assert_eq(f.cqes[0].user_data, TAG_READ);
	cr_assert_eq(f.cqes[0].res, 5);
	cr_assert_arr_eq(f.buf, "hello", 5);
	pthread_mutex_unlock(&f.lock);
	cr_assert_eq(worker_destroy(&w), 0);
	close(p[0]);
	close(p[1]);
}

/* A swappable backend: the one register operation the ring allows, and
 * reads after it go to the new file. A ring without it refuses even
 * that. */
Test(worker, swappable_backend_and_nothing_else)
{
	struct worker_config cfg;
	int a[2], b[2];

	cr_assert_eq(pipe2(a, O_CLOEXEC), 0);
	cr_assert_eq(pipe2(b, O_CLOEXEC), 0);
	cfg = config(a[0]);
	start(&cfg);
	cr_expect_eq(worker_set_backend(&w, b[0]), -EACCES);
	cr_assert_eq(worker_destroy(&w), 0);

	/* Swapped while idle, before DRIVER_OK: the ring is there. */
	cfg.swappable_backend = true;
	f.action = ACT_READ;
	create(&cfg, &fake_ops);
	cr_assert_eq(worker_set_backend(&w, b[0]), 0);
	cr_assert_eq(worker_activate(&w), 0);
	cr_assert_eq(write(a[1], "stale", 5), 5);
	cr_assert_eq(write(b[1], "fresh", 5), 5);
	do_kick(0);
	pthread_mutex_lock(&f.lock);
	WAIT_FOR(f.nr_cqes == 1);
	cr_assert_eq(f.cqes[0].res, 5);
	cr_assert_arr_eq(f.buf, "fresh", 5);
	pthread_mutex_unlock(&f.lock);
	/* Any other register operation is still refused. */
	cr_expect_eq(io_uring_register_buffers(&w.ring,
					       &(struct iovec){ f.buf, 8 }, 1),
		     -EACCES);
	cr_assert_eq(worker_destroy(&w), 0);
	for (int i = 0; i < 2; i++) {
		close(a[i]);
		close(b[i]);
	}
}

Test(worker, device_opcode_in_allowlist_runs)
{
	static const uint8_t ops[] = {IORING_OP_WRITE};
	struct worker_config cfg;
	char buf[8];
	int p[2];

	cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
	cfg = config(p[1]);
	cfg.opcodes = ops;
	cfg.nr_opcodes = 1;
	f.action = ACT_WRITE;
	start(&cfg);
	do_kick(0);
	pthread_mutex_lock(&f.lock);
	WAIT_FOR(f.nr_cqes == 1);
	cr_assert_eq(f.cqes[0].user_data, TAG_WRITE);
	cr_assert_eq(f.cqes[0].res, 4);
	pthread_mutex_unlock(&f.lock);
	cr_assert_eq(read(p[0], buf, sizeof(buf)), 4);
	cr_assert_arr_eq(buf, "ping", 4);
	cr_assert_eq(worker_destroy(&w), 0);
	close(p[0]);
	close(p[1]);
}

Test(worker, restricted_ring_refuses_other_opcodes_and_raw_fds)
{
	struct worker_config cfg;
	int p[2];

	cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
	cr_assert_eq(write(p[1], "data", 4), 4);
	/* The write end is the backend: WRITE would work if allowed. */
	cfg = config(p[1]);
	f.action = ACT_FORBIDDEN;
	f.raw_fd = p[0];	/* readable, but not a fixed file */
	start(&cfg);
	do_kick(0);
	pthread_mutex_lock(&f.lock);
	WAIT_FOR(f.nr_cqes == 3);
	for (unsigned int i = 0; i < 3; i++)
		cr_assert_eq(f.cqes[i].res, -EACCES, "tag %llu: res %d",
			     (unsigned long long)f.cqes[i].user_data,
			     f.cqes[i].res);
	pthread_mutex_unlock(&f.lock);
	cr_assert_eq(worker_destroy(&w), 0);
	close(p[0]);
	close(p[1]);
}

Test(worker, on_kick_budget_calls_again_without_kick)
{
	struct worker_config cfg = config(-1);

	f.action = ACT_BUDGET;
	f.left = 3;
	start(&cfg);
	do_kick(0);
	pthread_mutex_lock(&f.lock);
	WAIT_FOR(f.kicks[0] == 4);
	pthread_mutex_unlock(&f.lock);
	usleep(20000);
	pthread_mutex_lock(&f.lock);
	cr_assert_eq(f.kicks[0], 4, "done after the device said so");
	pthread_mutex_unlock(&f.lock);
	cr_assert_eq(worker_destroy(&w), 0);
}

/* A device op's error ends serving until the reset, which reports it
 * (once); the thread lives on and serves the next activation. */
Test(worker, device_error_stops_serving_and_is_reported)
{
	struct worker_config cfg = config(-1);

	f.action = ACT_FAIL;
	start(&cfg);
	do_kick(0);
	pthread_mutex_lock(&f.lock);
	WAIT_FOR(f.kicks[0] == 1);
	pthread_mutex_unlock(&f.lock);
	do_kick(0);
	expect_no_kick_call();
	cr_assert_eq(worker_activate(&w), -EBUSY, "not reset yet");
	cr_assert_eq(worker_deactivate(&w), -EIO);
	cr_assert_eq(worker_deactivate(&w), 0, "reported once");

	f.action = ACT_NONE;
	cr_assert_eq(worker_activate(&w), 0);
	do_kick(0);
	pthread_mutex_lock(&f.lock);
	WAIT_FOR(f.kicks[0] >= 2);
	pthread_mutex_unlock(&f.lock);
	cr_assert_eq(worker_destroy(&w), 0);
}

/* An error not collected by a deactivation is destroy's to report. */
Test(worker, destroy_reports_an_error_left_over)
{
	struct worker_config cfg = config(-1);

	f.action = ACT_FAIL;
	start(&cfg);
	do_kick(0);
	pthread_mutex_lock(&f.lock);
	WAIT_FOR(f.kicks[0] == 1);
	pthread_mutex_unlock(&f.lock);
	cr_assert_eq(worker_destroy(&w), -EIO);
	cr_assert_eq(worker_destroy(&w), -EIO, "idempotent");
}

Test(worker, start_rejects_bad_config_and_cleans_up)
{
	struct worker_config cfg = config(-1);
	int bad[NR_Q] = {kick[0], -1};
	int closed[NR_Q];
	unsigned int before = count_fds();
	int ret;

	cfg.nr_kick_fds = 0;
	cr_assert_eq(worker_create(&w, &cfg, &fake_ops, &f), -EINVAL);
	cfg = config(-1);
	cfg.name = "a-name-too-long-for-linux";
	cr_assert_eq(worker_create(&w, &cfg, &fake_ops, &f), -EINVAL);
	cfg = config(-1);
	cfg.kick_fds = bad;
	cr_assert_eq(worker_create(&w, &cfg, &fake_ops, &f), -EBADF);

	/* Passes the checks, fails at registration: unwinds the ring. */
	/* Not a fresh close(): worker_create()'s eventfd would reuse it. */
	closed[0] = kick[0];
	closed[1] = 1000;
	cr_assert_eq(fcntl(closed[1], F_GETFD), -1, "fd 1000 is closed");
	cfg = config(closed[1]);
	ret = worker_create(&w, &cfg, &fake_ops, &f);
	cr_assert_eq(ret, -EBADF, "%d", ret);
	cfg = config(-1);
	cfg.kick_fds = closed;
	cr_assert_eq(worker_create(&w, &cfg, &fake_ops, &f), -EBADF);
	cr_assert_eq(worker_activate(&w), -ENODEV);
	cr_assert_eq(worker_deactivate(&w), 0);
	cr_assert_eq(worker_destroy(&w), 0, "no-op after a failed create");
	cr_assert_eq(count_fds(), before, "no fd leaked");

	/* And a worker is still created afterwards. */
	cfg = config(-1);
	start(&cfg);
	cr_assert_eq(worker_destroy(&w), 0);
	cr_assert_eq(count_fds(), before, "none left by a destroyed one");
}

/* Polling: a fake device that counts the looks the worker takes, and
 * whose idle() reports work once when idle_work is set; consumed_at is
 * the number of on_kick calls made by then (+1 once consumed). */
static atomic_uint fake_polls, fake_idles, idle_work, nkicks, consumed_at;

static uint32_t fake_poll(void *ctx)
{
	atomic_fetch_add(&fake_polls, 1);
	return 0;
}

static uint32_t fake_idle(void *ctx)
{
	unsigned int one = 1;

	atomic_fetch_add(&fake_idles, 1);
	if (!atomic_compare_exchange_strong(&idle_work, &one, 0))
		return 0;
	atomic_store(&consumed_at, atomic_load(&nkicks) + 1);
	return 1;
}

static int fake_poll_on_kick(void *ctx, unsigned int q)
{
	atomic_fetch_add(&nkicks, 1);
	return fake_on_kick(ctx, q);
}

static const struct worker_ops fake_poll_ops = {
	.on_kick = fake_poll_on_kick,
	.on_cqe = fake_on_cqe,
	.poll = fake_poll,
	.idle = fake_idle,
};

Test(worker, polls_then_rearms_before_sleeping)
{
	struct worker_config cfg = config(-1);
	uint64_t end;

	/* Longer than the gaps between kicks here, even on a loaded host,
	 * and short enough that a full window ends well within the waits. */
	cfg.poll_max_ns = 100000000ull;
	create(&cfg, &fake_poll_ops);
	cr_assert_eq(worker_activate(&w), 0);
	/* Kicks a millisecond apart widen the window (4 us, doubling); the
	 * pause lets the worker reach its window before the next kick, as
	 * an already-completed kick read ends polling at once. */
	for (unsigned int i = 1; i <= 12; i++) {
		do_kick(0);
		pthread_mutex_lock(&f.lock);
		WAIT_FOR(f.kicks[0] >= i);
		pthread_mutex_unlock(&f.lock);
		nanosleep(&(struct timespec){ .tv_nsec = 1000000 }, NULL);
	}
	cr_assert_gt(atomic_load(&fake_polls), 0, "the worker polled");
	/* Before it sleeps the worker asks idle(); work found there (a
	 * driver that added buffers as the device re-armed its kicks) gets
	 * an on_kick call after it, with no kick of its own. The kick here
	 * only makes sure the worker passes through idle() once more; it
	 * may be served by the same call (kicks coalesce). */
	atomic_store(&idle_work, 1);
	do_kick(0);
	end = (uint64_t)time(NULL) + 5;
	while (atomic_load(&idle_work) ||
	       atomic_load(&nkicks) < atomic_load(&consumed_at)) {
		cr_assert_lt((uint64_t)time(NULL), end,
			     "idle() work never served (idle_work %u)",
			     atomic_load(&idle_work));
		nanosleep(&(struct timespec){ .tv_nsec = 1000000 }, NULL);
	}
	cr_assert_gt(atomic_load(&fake_idles), 0);
	cr_assert_eq(worker_destroy(&w), 0);
}

Test(worker, poll_needs_both_ops)
{
	static const struct worker_ops poll_only = {
		.on_kick = fake_on_kick, .poll = fake_poll,
	};
	struct worker_config cfg = config(-1);

	cfg.poll_max_ns = 1000;
	cr_assert_eq(worker_create(&w, &cfg, &fake_ops, &f), -EINVAL);
	cfg.poll_max_ns = 0;
	cr_assert_eq(worker_create(&w, &cfg, &poll_only, &f), -EINVAL);
	cr_assert_eq(worker_destroy(&w), 0);
}
