// SPDX-License-Identifier: Apache-2.0
/* tests/support/vdev_harness.c: a transport stand-in for device tests. */
#include "support/vdev_harness.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

_Atomic unsigned int vh_irq_used, vh_irq_config;

static void vh_raise_irq(struct vdev *d, uint32_t bits)
{
	atomic_fetch_or(&d->interrupt_status, bits);
	if (bits & VDEV_INT_USED)
		atomic_fetch_add(&vh_irq_used, 1);
	if (bits & VDEV_INT_CONFIG)
		atomic_fetch_add(&vh_irq_config, 1);
}

void vh_init(struct vh *h, uint64_t ram, unsigned int nr_queues)
{
	memset(h, 0, sizeof(*h));
	cr_assert_leq(nr_queues, VDEV_MAX_QUEUES);
	mock_gmem_create(&h->mem, ram);
	h->nr_queues = nr_queues;
	for (unsigned int q = 0; q < nr_queues; q++) {
		h->kick[q] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		cr_assert_geq(h->kick[q], 0);
	}
	atomic_store(&vh_irq_used, 0);
	atomic_store(&vh_irq_config, 0);
}

void vh_attach(struct vh *h, struct vdev *d)
{
	h->dev = d;
	d->raise_irq = vh_raise_irq;
}

int vh_activate(struct vh *h, uint64_t features, uint16_t size,
		uint64_t ring_base)
{
	struct vdev *d = h->dev;

	d->features = features;
	for (unsigned int q = 0; q < h->nr_queues; q++) {
		struct mock_vq *m = &h->mq[q];

		mock_vq_init(m, &h->mem, size,
			     gpa(ring_base + q * VH_RING_STRIDE));
		d->queues[q] = (struct vdev_queue_cfg){
			.size = size, .ready = true,
			.desc = m->desc, .avail = m->avail, .used = m->used,
		};
	}
	return d->ops->activate(d);
}

void vh_kick(struct vh *h, unsigned int q)
{
	uint64_t one = 1;

	cr_assert_eq(write(h->kick[q], &one, sizeof(one)),
		     (ssize_t)sizeof(one));
}

uint64_t vh_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000 + (uint64_t)ts.tv_nsec;
}

void vh_nap(void)
{
	nanosleep(&(struct timespec){ .tv_nsec = 1000000 }, NULL);
}

void vh_wait_used(struct vh *h, unsigned int q, uint16_t idx)
{
	uint64_t end = vh_now_ns() + VH_WAIT_NS;

	while (mock_vq_used_idx(&h->mq[q]) != idx) {
		cr_assert_lt(vh_now_ns(), end, "queue %u: used idx %u, want %u",
			     q, mock_vq_used_idx(&h->mq[q]), idx);
		vh_nap();
	}
}

void vh_wait_count(_Atomic unsigned int *ctr, unsigned int n)
{
	uint64_t end = vh_now_ns() + VH_WAIT_NS;

	while (atomic_load(ctr) < n) {
		cr_assert_lt(vh_now_ns(), end, "counter %u, want %u",
			     atomic_load(ctr), n);
		vh_nap();
	}
}

void vh_check_used(struct vh *h, unsigned int q, uint16_t slot, uint32_t id,
		   uint32_t len)
{
	uint32_t got_id, got_len;

	mock_vq_used_elem(&h->mq[q], slot, &got_id, &got_len);
	cr_assert_eq(got_id, id, "used[%u].id", slot);
	cr_assert_eq(got_len, len, "used[%u].len", slot);
}

void *vh_ptr(struct vh *h, uint64_t addr, uint32_t len)
{
	void *p = gmem_ptr(&h->mem, gpa(addr), len);

	cr_assert_not_null(p, "0x%llx+%u is not RAM",
			   (unsigned long long)addr, len);
	return p;
}

void vh_fini(struct vh *h)
{
	for (unsigned int q = 0; q < h->nr_queues; q++)
		if (h->kick[q] > 0)
			close(h->kick[q]);
	gmem_destroy(&h->mem);
}

bool vh_has_thread(const char *name)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	bool found = false;

	cr_assert_not_null(d);
	while (!found && (e = readdir(d))) {
		char path[300], comm[32] = "";
		FILE *f;

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/comm",
			 e->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(comm, sizeof(comm), f))
			comm[strcspn(comm, "\n")] = '\0';
		fclose(f);
		found = !strcmp(comm, name);
	}
	closedir(d);
	return found;
}

void vh_wait_thread(const char *name, bool present)
{
	uint64_t end = vh_now_ns() + VH_WAIT_NS;

	while (vh_has_thread(name) != present) {
		cr_assert_lt(vh_now_ns(), end, "thread %s still %s", name,
			     present ? "absent" : "present");
		vh_nap();
	}
}
