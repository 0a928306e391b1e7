// SPDX-License-Identifier: Apache-2.0
/* benches/bench_viommu.c: a virtio-iommu MAP and UNMAP through the whole request path. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "benches/bench_timer.h"
#include "devices/iommu/viommu_core.h"
#include "devices/virtio/queue.h"
#include "support/mock_vq.h"

/*
 * The issue-5 headline, in process: ns per MAP and per UNMAP from the
 * device's side of the request queue to its answer: vq_pop (descriptors
 * walked and checked), viommu_handle_request (request parsed, domain
 * found, mapping store, backends, status written) and vq_push. The guest's
 * side is played by mock_vq between the timed regions. At 1, 1 000 and
 * 1 000 000 live mappings (every other 4 KiB page, mapped beforehand
 * through the same requests), each measured MAP goes to a hole (random,
 * or "_local": near the last ones, as an IOVA allocator hands them out)
 * and the UNMAP after it removes it again: the domain keeps its size.
 * Target (issue 5): under 200 ns per request at a million mappings.
 */

#define PAGE		4096ULL
#define QSIZE		256
#define RAM		(64ULL << 20)
#define RING		0x10000ULL
#define REQ		0x100000ULL	/* the request, 64 bytes */
#define TAIL		0x100100ULL	/* its tail */
#define TARGET		0x200000ULL	/* where every mapping points */
#define IOVA_BASE	0x100000000ULL
#define ITERS		100000

static struct gmem mem;
static struct mock_vq mq;
static struct vq q;
static struct vq_chain chain;
static struct viommu_core *core;
static void die(const char *what)
{
	fprintf(stderr, "bench_viommu: %s\n", what);
	exit(1);
}

/* The driver posts (req) of (len) bytes and a 4-byte tail; head 0. */
static void post(const void *req, uint32_t len)
{
	const struct mock_buf b[] = {
		{ REQ, len, 0 },
		{ TAIL, 4, VQ_DESC_F_WRITE },
	};

	gmem_write(&mem, gpa(REQ), req, len);
	mock_vq_add_chain(&mq, 0, b, 2);
}

/* The device's side, timed: pop, handle, push. Returns the status. */
static uint8_t serve(uint64_t *ticks)
{
	uint64_t t0 = tsc(), t1;
	uint32_t used;
	uint8_t st;

	if (vq_pop(&q, &mem, &chain) != 1)
		die("pop");
	used = viommu_handle_request(core, &chain);
	if (vq_push(&q, &mem, chain.head, used))
		die("push");
	t1 = tsc();
	if (ticks)
		*ticks = t1 - t0;
	gmem_read(&mem, &st, gpa(TAIL), 1);
	return st;
}

static uint8_t map(uint64_t iova, uint64_t *ticks)
{
	struct virtio_iommu_req_map r = {
		.head = { .type = VIRTIO_IOMMU_T_MAP },
		.domain = 1,
		.virt_start = iova,
		.virt_end = iova + PAGE - 1,
		.phys_start = TARGET,
		.flags = VIRTIO_IOMMU_MAP_F_READ | VIRTIO_IOMMU_MAP_F_WRITE,
	};

	post(&r, offsetof(struct virtio_iommu_req_map, tail));
	return serve(ticks);
}

static uint8_t unmap(uint64_t iova, uint64_t *ticks)
{
	struct virtio_iommu_req_unmap r = {
		.head = { .type = VIRTIO_IOMMU_T_UNMAP },
		.domain = 1,
		.virt_start = iova,
		.virt_end = iova + PAGE - 1,
	};

	post(&r, offsetof(struct virtio_iommu_req_unmap, tail));
	return serve(ticks);
}

static void setup(void)
{
	static const struct viommu_endpoint_config ep = { .id = 0 };
	const struct viommu_range ram = { 0, RAM - 1 };
	const struct viommu_config cfg = {
		.page_size_mask = ~0xfffULL,
		.input_end = (1ULL << 48) - 1,
		.domain_end = UINT32_MAX,
		.probe_size = 512,
		.max_mappings = 2u << 20,
		.ram = &ram,
		.nr_ram = 1,
		.endpoints = &ep,
		.nr_endpoints = 1,
	};
	struct virtio_iommu_req_attach a = {
		.head = { .type = VIRTIO_IOMMU_T_ATTACH },
		.domain = 1,
		.endpoint = 0,
	};

	mock_gmem_create(&mem, RAM);
	mock_vq_init(&mq, &mem, QSIZE, gpa(RING));
	if (vq_init(&q, &mem, QSIZE, mq.desc, mq.avail, mq.used, false, false))
		die("vq_init");
	if (viommu_create(&cfg, &core))
		die("viommu_create");
	viommu_set_features(core, (1ULL << VIRTIO_IOMMU_F_MAP_UNMAP) |
					   (1ULL << VIRTIO_IOMMU_F_INPUT_RANGE) |
					   (1ULL << VIRTIO_IOMMU_F_DOMAIN_RANGE));
	post(&a, offsetof(struct virtio_iommu_req_attach, tail));
	if (serve(NULL) != VIRTIO_IOMMU_S_OK)
		die("attach");
}

/* Grows the domain to (live) mappings at even pages, in random order. */
static void grow(size_t *have, size_t live)
{
	static uint32_t order[1u << 20];

	shuffled(order, live);
	for (size_t i = 0; i < live; i++) {
		if (order[i] < *have)
			continue;	/* there from a smaller size */
		if (map(IOVA_BASE + 2 * PAGE * order[i], NULL) !=
		    VIRTIO_IOMMU_S_OK)
			die("grow");
	}
	*have = live;
}

int main(void)
{
	static const size_t sizes[] = { 1, 1000, 1000000 };
	static uint64_t t_map[ITERS], t_unmap[ITERS];
	size_t have = 0;
	char name[32];

	rng_state = 7;
	calibrate();
	setup();
	printf("%-22s %8s %8s %8s %10s\n", "name", "p50 ns", "p99 ns",
	       "mean ns", "samples");
	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		size_t live = sizes[k];

		grow(&have, live);
		for (int local = 0; local < 2; local++) {
			for (size_t i = 0; i < ITERS; i++) {
				uint64_t hole = IOVA_BASE +
						2 * PAGE * pick(live, i, local != 0) +
						PAGE;

				if (map(hole, &t_map[i]) != VIRTIO_IOMMU_S_OK ||
				    unmap(hole, &t_unmap[i]) !=
					    VIRTIO_IOMMU_S_OK)
					die("map/unmap");
			}
			if (local && live <= 256)
				continue;
			snprintf(name, sizeof(name), "map_%zu%s", live,
				 local ? "_local" : "");
			report(name, t_map, ITERS);
			snprintf(name, sizeof(name), "unmap_%zu%s", live,
				 local ? "_local" : "");
			report(name, t_unmap, ITERS);
		}
	}
	viommu_destroy(core);
	gmem_destroy(&mem);
	return 0;
}
