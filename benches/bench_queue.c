// SPDX-License-Identifier: Apache-2.0
/* benches/bench_queue.c: split-virtqueue device-side costs, ns per operation. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "devices/virtio/queue.h"
#include "vmm/gmem.h"

#define QSIZE		256
#define CHAIN_LEN	16
#define ROUNDS		4000	/* full rings popped and pushed */
#define RING_BASE	0x10000ULL
#define BUF_BASE	0x100000ULL

/* Guest layout (virtio 1.2, 2.7): desc 16 B each, avail 6 + 2n, used 6 + 8n. */
#define DESC_GPA	RING_BASE
#define AVAIL_GPA	(DESC_GPA + 16ULL * QSIZE)
#define USED_GPA	((AVAIL_GPA + 6 + 2ULL * QSIZE + 3) & ~3ULL)

static double now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e9 + t.tv_nsec;
}

static void put16(const struct gmem *m, uint64_t gpa_v, uint16_t v)
{
	gmem_write(m, gpa(gpa_v), &v, sizeof(v));
}

/* The driver's side: one chain of CHAIN_LEN descriptors (15 readable, one
 * writable), made available in every slot of the avail ring. */
static void driver_setup(const struct gmem *m)
{
	for (uint16_t i = 0; i < CHAIN_LEN; i++) {
		struct {
			uint64_t addr;
			uint32_t len;
			uint16_t flags, next;
		} d = {
			.addr = BUF_BASE + i * 4096ULL,
			.len = 4096,
			.flags = (uint16_t)((i + 1 < CHAIN_LEN ? 1 : 0) |
					    (i + 1 == CHAIN_LEN ? 2 : 0)),
			.next = (uint16_t)(i + 1),
		};

		gmem_write(m, gpa(DESC_GPA + 16ULL * i), &d, sizeof(d));
	}
	for (uint16_t i = 0; i < QSIZE; i++)
		put16(m, AVAIL_GPA + 4 + 2ULL * i, 0);
}

int main(void)
{
	struct gmem_region layout = { .start = gpa(0), .size = 4 << 20 };
	static struct vq_chain chain;
	struct gmem mem;
	struct vq q;
	double pop_ns = 0, push_ns = 0, t;
	uint16_t avail_idx = 0;

	if (gmem_create(&mem, &layout, 1) ||
	    vq_init(&q, &mem, QSIZE, gpa(DESC_GPA), gpa(AVAIL_GPA),
		    gpa(USED_GPA), false, false)) {
		fprintf(stderr, "bench_queue: set-up failed\n");
		return 1;
	}
	driver_setup(&mem);
	for (int r = 0; r < ROUNDS; r++) {
		avail_idx = (uint16_t)(avail_idx + QSIZE);
		put16(&mem, AVAIL_GPA + 2, avail_idx);
		t = now_ns();
		for (int i = 0; i < QSIZE; i++) {
			if (vq_pop(&q, &mem, &chain) != 1 ||
			    chain.nr != CHAIN_LEN) {
				fprintf(stderr, "bench_queue: pop failed\n");
				return 1;
			}
		}
		pop_ns += now_ns() - t;
		t = now_ns();
		for (int i = 0; i < QSIZE; i++) {
			if (vq_push(&q, &mem, 0, 4096)) {
				fprintf(stderr, "bench_queue: push failed\n");
				return 1;
			}
		}
		push_ns += now_ns() - t;
	}
	printf("%-16s %10s %12s\n", "name", "ns/op", "iterations");
	printf("%-16s %10.1f %12d\n", "queue_pop_16", pop_ns / (ROUNDS * QSIZE),
	       ROUNDS * QSIZE);
	printf("%-16s %10.1f %12d\n", "add_used", push_ns / (ROUNDS * QSIZE),
	       ROUNDS * QSIZE);
	gmem_destroy(&mem);
	return 0;
}
