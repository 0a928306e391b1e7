// SPDX-License-Identifier: Apache-2.0
/* benches/bench_vfio.c: VFIO map/unmap via the virtio-iommu against bare. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/vfio.h>

#include "benches/bench_timer.h"
#include "devices/iommu/viommu_core.h"
#include "devices/vfio/vfio_container.h"
#include "devices/vfio/vfio_device.h"
#include "devices/vfio/vfio_sys.h"

/*
 * The issue-8 headline, in process: what ignis's virtio-iommu adds to a
 * VFIO DMA map and unmap. A PCI device bound to vfio-pci is opened into
 * a type1v2 container over 64 MiB of guest RAM, then each iteration
 * maps and unmaps one 4 KiB page (the same IOVA and guest page) twice:
 *  - bare: ioctl(2) VFIO_IOMMU_MAP_DMA, then VFIO_IOMMU_UNMAP_DMA, on
 *    the container's fd, with the request's struct filled beforehand:
 *    the very call vfio_container_dma_ops makes, and the floor;
 *  - iommu: viommu_handle_request() on a MAP, then an UNMAP request
 *    chain, as the iommu's worker calls it once vq_pop() gave it the
 *    chain (request parsed, domain found, mapping store updated, the
 *    endpoint's backend vfio_container_dma_ops called, which makes the
 *    same ioctl, status written). The chains are built once in memory,
 *    as tests/fuzz/fuzz_viommu.c builds them; vq_pop()/vq_push() are
 *    not timed (bench_viommu has them: tens of ns).
 * Each call is timed on its own (benches/bench_timer.h). Target (issue
 * 8): iommu within 1.3x of bare, map and unmap.
 *
 * The container's fd is not in vfio_container.h's API: bench_vfio
 * hands vfio_container_create() the host's vfio_sys with open() wrapped
 * to note the fd of /dev/vfio/vfio; every other call is the host's own
 * function, so the iommu path runs exactly ignis's code.
 *
 * type1 pins what it maps and charges it to the process's locked_vm
 * (VmLck in /proc/self/status). The pinned-memory series: VmLck as the
 * guest maps more through the iommu (1 to 8192 pages, then none again),
 * against what ignis pins without --iommu, all of RAM at start
 * (vfio_container_map_ram(), measured last on the same container),
 * whatever the guest maps.
 *
 * Exit 0 after printing the figures (a missed target included), 77 when
 * the kernel has no VFIO (/dev/vfio/vfio), 1 on any other error, 2 on
 * bad arguments.
 */

#define PAGE 4096ULL
#define RAM (64ULL << 20)
#define GPA_BENCH 0x200000ULL /* the page every timed mapping maps */
#define GPA_PINS 0x400000ULL /* NR_PINS pages for the VmLck check */
#define NR_PINS 8192 /* the series' last point: 32 MiB */
#define WARMUP 100
#define ITERS 10000
#define TARGET 1.3 /* iommu / bare, issue 8 */
#define DOMAIN 1
#define CONTAINER_PATH "/dev/vfio/vfio"

static int container_fd = -1; /* noted by spy_open() */
static struct vfio_sys_ops spy_ops;
static const struct vfio_sys spy_sys = { .ops = &spy_ops, .ctx = NULL };

static struct viommu_core *core;
static struct vq_chain chain;
static union {
	struct virtio_iommu_req_map map;
	struct virtio_iommu_req_unmap unmap;
	struct virtio_iommu_req_attach attach;
} req;
static struct virtio_iommu_req_tail tail;

static void fail(const char *what, int err)
{
	fprintf(stderr, "bench_vfio: %s: %s\n", what, strerror(-err));
	exit(1);
}

/* vfio_sys_host's open(), noting which fd is the container. */
static int spy_open(void *ctx, const char *path, int flags)
{
	int fd = vfio_sys_host.ops->open(vfio_sys_host.ctx, path, flags);

	if (fd >= 0 && !strcmp(path, CONTAINER_PATH))
		container_fd = fd;
	return fd;
}

/* The process's VmLck in kB, -1 when /proc does not say. */
static long vmlck_kb(void)
{
	char line[128];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "VmLck: %ld kB", &kb) == 1)
			break;
	}
	fclose(f);
	return kb;
}

/* The chain of (len) readable request bytes and the 4-byte tail. */
static void chain_of(size_t len)
{
	memset(&tail, 0xff, sizeof(tail));
	chain.head = 0;
	chain.nr = 2;
	chain.readable_len = (uint32_t)len;
	chain.writable_len = sizeof(tail);
	chain.bufs[0] = (struct vq_buf){ &req, (uint32_t)len, false };
	chain.bufs[1] = (struct vq_buf){ &tail, sizeof(tail), true };
}

/* Handles the chain built, timing viommu_handle_request() alone into
 * (*ticks) when given. Returns the status it answered. */
static uint8_t handle(uint64_t *ticks)
{
	uint64_t t0 = tsc(), t1;
	uint32_t used;

	used = viommu_handle_request(core, &chain);
	t1 = tsc();
	if (ticks)
		*ticks = t1 - t0;
	return used == sizeof(tail) ? tail.status : 0xff;
}

static uint8_t iommu_map(uint64_t iova, uint64_t gpa, uint64_t *ticks)
{
	req.map = (struct virtio_iommu_req_map){
		.head = { .type = VIRTIO_IOMMU_T_MAP },
		.domain = DOMAIN,
		.virt_start = iova,
		.virt_end = iova + PAGE - 1,
		.phys_start = gpa,
		.flags = VIRTIO_IOMMU_MAP_F_READ | VIRTIO_IOMMU_MAP_F_WRITE,
	};
	chain_of(offsetof(struct virtio_iommu_req_map, tail));
	return handle(ticks);
}

static uint8_t iommu_unmap(uint64_t iova, uint64_t *ticks)
{
	req.unmap = (struct virtio_iommu_req_unmap){
		.head = { .type = VIRTIO_IOMMU_T_UNMAP },
		.domain = DOMAIN,
		.virt_start = iova,
		.virt_end = iova + PAGE - 1,
	};
	chain_of(offsetof(struct virtio_iommu_req_unmap, tail));
	return handle(ticks);
}

/* An IOVA for (bytes) at a granule boundary inside the usable ranges,
 * above the first MiB when it can be; 0 when none is large enough. */
static uint64_t pick_iova(const struct vfio_iommu_limits *l, uint64_t bytes)
{
	if (!l->nr_ranges)
		return 1ULL << 20;
	for (unsigned int i = 0; i < l->nr_ranges; i++) {
		uint64_t s =
			l->ranges[i].start < (1ULL << 20) ?
				1ULL << 20 :
				(l->ranges[i].start + PAGE - 1) & ~(PAGE - 1);

		if (s <= l->ranges[i].last &&
		    l->ranges[i].last - s >= bytes - 1)
			return s;
	}
	return 0;
}

struct row {
	double p50, p99, mean; /* ns */
};

/* Sorts (n) samples in TSC ticks and prints their row, as report() does,
 * returning the figures for the ratios. */
static struct row summarize(const char *name, uint64_t *s, size_t n)
{
	struct row r;
	double sum = 0;

	for (size_t i = 0; i < n; i++) {
		s[i] = s[i] > tsc_overhead ? s[i] - tsc_overhead : 0;
		sum += (double)s[i];
	}
	qsort(s, n, sizeof(s[0]), cmp_u64);
	r.p50 = s[n / 2] / tsc_per_ns;
	r.p99 = s[n * 99 / 100] / tsc_per_ns;
	r.mean = sum / n / tsc_per_ns;
	printf("%-22s %10.1f %10.1f %10.1f %10zu\n", name, r.p50, r.p99, r.mean,
	       n);
	return r;
}

static const char *verdict(double ratio)
{
	return ratio <= TARGET ? "PASS" : "MISS";
}

static void ratio(const char *op, const struct row *iommu,
		  const struct row *bare)
{
	double m = iommu->mean / bare->mean, p = iommu->p50 / bare->p50;

	printf("ratio %-5s iommu/bare: mean %.3fx %s, p50 %.3fx %s "
	       "(target %.1fx; +%.0f ns mean)\n",
	       op, m, verdict(m), p, verdict(p), TARGET,
	       iommu->mean - bare->mean);
}

/* The series' points: pages the guest has mapped; the last one, none,
 * after unmapping them all. */
static const unsigned int pin_steps[] = { 0, 1, 16, 256, 1024, 4096, NR_PINS };
#define NR_STEPS (sizeof(pin_steps) / sizeof(pin_steps[0]))
static long pins_iommu[NR_STEPS + 1]; /* VmLck, kB, per point */

/* Maps more and more pages through the iommu, noting VmLck at each point
 * of pin_steps (type1 pins on MAP_DMA), then unmaps them all (and
 * unpins). */
static void pin_series(uint64_t base)
{
	unsigned int mapped = 0;

	for (unsigned int k = 0; k < NR_STEPS; k++) {
		for (; mapped < pin_steps[k]; mapped++) {
			if (iommu_map(base + mapped * PAGE,
				      GPA_PINS + mapped * PAGE,
				      NULL) != VIRTIO_IOMMU_S_OK)
				fail("MAP for the pinned-memory series", -EIO);
		}
		pins_iommu[k] = vmlck_kb();
	}
	for (unsigned int i = 0; i < mapped; i++) {
		if (iommu_unmap(base + i * PAGE, NULL) != VIRTIO_IOMMU_S_OK)
			fail("UNMAP for the pinned-memory series", -EIO);
	}
	pins_iommu[NR_STEPS] = vmlck_kb();
}

/* The series beside what is pinned without --iommu: all of RAM, mapped
 * at start, whatever the guest maps later (so one figure). */
static void pin_table(long all_ram_kb)
{
	printf("pinned (VmLck, kB) as the guest maps more: %-10s %14s %16s\n",
	       "mapped", "behind --iommu", "without --iommu");
	for (unsigned int k = 0; k <= NR_STEPS; k++) {
		char what[32];

		if (k < NR_STEPS)
			snprintf(what, sizeof(what), "%u x 4K",
				 pin_steps[k]);
		else
			snprintf(what, sizeof(what), "unmapped");
		printf("pinned (VmLck, kB) as the guest maps more: %-10s %14ld "
		       "%16ld\n",
		       what, pins_iommu[k], all_ram_kb);
	}
}

int main(int argc, char **argv)
{
	static const struct gmem_region layout = { .size = RAM };
	const struct viommu_range ram = { 0, RAM - 1 };
	struct viommu_endpoint_config ep = { .id = 0 };
	struct viommu_config cfg = {
		.page_size_mask = ~(PAGE - 1),
		.input_end = (1ULL << 48) - 1,
		.domain_end = UINT32_MAX,
		.probe_size = 512,
		.max_mappings = 2 * NR_PINS,
		.ram = &ram,
		.nr_ram = 1,
		.endpoints = &ep,
		.nr_endpoints = 1,
	};
	const struct vfio_iommu_limits *lim;
	struct vfio_iommu_type1_dma_map dmap = { .argsz = sizeof(dmap) };
	struct vfio_iommu_type1_dma_unmap dunmap = { .argsz = sizeof(dunmap) };
	struct vfio_container *c;
	struct vfio_device *d;
	struct gmem mem;
	struct row bm, bu, im, iu;
	uint64_t *t_bm, *t_bu, *t_im, *t_iu, iova;
	unsigned long iters = ITERS;
	char why[256], *end;
	int ret;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: bench_vfio BDF [iterations]\n");
		return 2;
	}
	if (argc == 3) {
		errno = 0;
		iters = strtoul(argv[2], &end, 0);
		if (errno || *end || !iters || iters > 100000000UL) {
			fprintf(stderr, "bench_vfio: bad iteration count %s\n",
				argv[2]);
			return 2;
		}
	}
	if (access(CONTAINER_PATH, F_OK)) {
		printf("bench_vfio: SKIP: no %s (no VFIO in this kernel)\n",
		       CONTAINER_PATH);
		return 77;
	}

	spy_ops = *vfio_sys_host.ops;
	spy_ops.open = spy_open;
	ret = gmem_create(&mem, &layout, 1);
	if (ret)
		fail("gmem_create", ret);
	ret = vfio_container_create(&spy_sys, &mem, &c, why, sizeof(why));
	if (ret == -ENOENT) {
		printf("bench_vfio: SKIP: %s\n", why);
		return 77;
	}
	if (ret)
		fail(why, ret);
	if (container_fd < 0)
		fail("the container's fd was not seen", -EPROTO);
	ret = vfio_device_open(&spy_sys, c, argv[1], &d, why, sizeof(why));
	if (ret)
		fail(why, ret);
	lim = vfio_container_limits(c);
	if (!lim || (lim->pgsizes & (PAGE - 1)) || !(lim->pgsizes & PAGE))
		fail("the IOMMU cannot map 4 KiB pages", -ENOTSUP);
	iova = pick_iova(lim, (NR_PINS + 1) * PAGE);
	if (!iova)
		fail("no usable IOVA range of 32 MiB", -ENOSPC);

	t_bm = calloc(iters, sizeof(*t_bm));
	t_bu = calloc(iters, sizeof(*t_bu));
	t_im = calloc(iters, sizeof(*t_im));
	t_iu = calloc(iters, sizeof(*t_iu));
	if (!t_bm || !t_bu || !t_im || !t_iu)
		fail("samples", -ENOMEM);

	/* The endpoint behind ignis's iommu, its backend the container. */
	ep.backend = &vfio_container_dma_ops;
	ep.backend_ctx = c;
	ret = viommu_create(&cfg, &core);
	if (ret)
		fail("viommu_create", ret);
	viommu_set_features(core, viommu_features(core));
	req.attach = (struct virtio_iommu_req_attach){
		.head = { .type = VIRTIO_IOMMU_T_ATTACH },
		.domain = DOMAIN,
		.endpoint = 0,
	};
	chain_of(offsetof(struct virtio_iommu_req_attach, tail));
	if (handle(NULL) != VIRTIO_IOMMU_S_OK)
		fail("ATTACH", -EIO);

	printf("bench_vfio: %s (IOMMU group %u), iova_pgsizes %#llx, %lu x "
	       "4 KiB at IOVA %#llx -> GPA %#llx\n",
	       argv[1], vfio_device_desc(d)->group,
	       (unsigned long long)lim->pgsizes, iters,
	       (unsigned long long)iova, GPA_BENCH);
	printf("bench_vfio: bare = ioctl(2) VFIO_IOMMU_MAP_DMA / "
	       "VFIO_IOMMU_UNMAP_DMA on the container fd; iommu = "
	       "viommu_handle_request() on a MAP / UNMAP chain, backend "
	       "vfio_container_dma_ops\n");
	pin_series(iova + PAGE);

	calibrate();
	dmap.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
	dmap.vaddr = (uint64_t)(uintptr_t)gmem_ptr(&mem, gpa(GPA_BENCH), PAGE);
	dmap.iova = iova;
	dmap.size = PAGE;
	dunmap.iova = iova;
	dunmap.size = PAGE;
	/* Alternating, so that a slow stretch of a shared host weighs on
	 * both alike; the warm-up rounds are not recorded. */
	for (unsigned long i = 0; i < WARMUP + iters; i++) {
		unsigned long k = i < WARMUP ? 0 : i - WARMUP;
		uint64_t t0, t1, t2, tb, tc = 0;
		int r1, r2;

		t0 = tsc();
		r1 = ioctl(container_fd, VFIO_IOMMU_MAP_DMA, &dmap);
		t1 = tsc();
		r2 = ioctl(container_fd, VFIO_IOMMU_UNMAP_DMA, &dunmap);
		t2 = tsc();
		if (r1 < 0 || r2 < 0)
			fail("bare MAP_DMA/UNMAP_DMA", -errno);
		if (dunmap.size != PAGE)
			fail("bare UNMAP_DMA unmapped another size", -EIO);
		if (iommu_map(iova, GPA_BENCH, &tb) != VIRTIO_IOMMU_S_OK ||
		    iommu_unmap(iova, &tc) != VIRTIO_IOMMU_S_OK)
			fail("iommu MAP/UNMAP", -EIO);
		if (i < WARMUP)
			continue;
		t_bm[k] = t1 - t0;
		t_bu[k] = t2 - t1;
		t_im[k] = tb;
		t_iu[k] = tc;
	}

	printf("%-22s %10s %10s %10s %10s\n", "name", "p50 ns", "p99 ns",
	       "mean ns", "samples");
	bm = summarize("bare_map", t_bm, iters);
	bu = summarize("bare_unmap", t_bu, iters);
	im = summarize("iommu_map", t_im, iters);
	iu = summarize("iommu_unmap", t_iu, iters);
	ratio("map", &im, &bm);
	ratio("unmap", &iu, &bu);
	/* Last: the no-iommu case maps all RAM, identity, on this
	 * container, and nothing else runs on it afterwards. */
	ret = vfio_container_map_ram(c);
	if (ret)
		fail("vfio_container_map_ram", ret);
	pin_table(vmlck_kb());
	printf("summary: map bare %.0f iommu %.0f ns (%.2fx %s), unmap bare "
	       "%.0f iommu %.0f ns (%.2fx %s), means of %lu, target %.1fx\n",
	       bm.mean, im.mean, im.mean / bm.mean, verdict(im.mean / bm.mean),
	       bu.mean, iu.mean, iu.mean / bu.mean, verdict(iu.mean / bu.mean),
	       iters, TARGET);

	viommu_destroy(core);
	vfio_device_close(d);
	vfio_container_destroy(c);
	gmem_destroy(&mem);
	free(t_bm);
	free(t_bu);
	free(t_im);
	free(t_iu);
	return 0;
}
