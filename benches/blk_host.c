// SPDX-License-Identifier: Apache-2.0
/*
 * benches/blk_host.c: the block benches' physical limit: the phases of
 * tests/guest/blk_bench run by the host itself on the image, through one
 * io_uring ring in one thread (benches/blk_bench.sh).
 *
 *   blk_host make IMG MIB               writes the pattern image
 *   blk_host run IMG LAT RAND SEQ [direct]
 *
 * "run" reads as the guest does: READV of one iovec per request on a
 * registered file, the same depths, sizes and offsets (the same xorshift64
 * sequence), the ring refilled after each reap and submitted once per pass.
 * By default through the page cache, as ignis and QEMU serve the guest
 * here (cache=writeback); "direct" opens the image O_DIRECT. Prints per
 * phase "blk_host: NAME n N errors E bad B s SECONDS" (CLOCK_MONOTONIC
 * around the phase).
 *
 * The image holds, in the first 8 bytes of every 4 KiB block, the block's
 * number (little-endian), the rest pseudo-random bytes: readers check the
 * first and last block of every read.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <liburing.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "tests/guest/lib/blk_phases.h"

#define BLOCK		BLK_BLOCK
#define MAX_DEPTH	BLK_MAX_DEPTH
#define RING_ENTRIES	64

struct run {
	const struct blk_phase *p;
	uint64_t issued;	/* requests submitted */
	uint64_t done;		/* requests completed */
	uint64_t errors;	/* failed or short reads */
	uint64_t bad;		/* data not what the image holds */
	uint64_t rng;		/* xorshift64 state */
	uint64_t next;		/* next block, sequential */
	uint64_t nblocks;	/* 4 KiB blocks in the image */
	uint64_t expect[MAX_DEPTH];	/* first block of each slot's read */
	struct iovec iov[MAX_DEPTH];	/* one buffer per slot */
};

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int make_image(const char *path, uint64_t mib)
{
	uint64_t rng = 0x243f6a8885a308d3ULL, nblocks = mib * 256;
	static uint64_t block[BLOCK / 8];
	FILE *f = fopen(path, "wb");

	if (!f) {
		perror(path);
		return 1;
	}
	for (uint64_t b = 0; b < nblocks; b++) {
		block[0] = htole64(b);
		for (size_t i = 1; i < BLOCK / 8; i++)
			block[i] = blk_xorshift64(&rng);
		if (fwrite(block, BLOCK, 1, f) != 1)
			break;
	}
	/* Written back now, not while a contender runs. */
	if (fflush(f) || fsync(fileno(f)) || ferror(f)) {
		perror(path);
		fclose(f);
		return 1;
	}
	return fclose(f) ? 1 : 0;
}

/* Slot (s)'s next read into the SQ. */
static void post(struct io_uring *ring, struct run *r, unsigned int s)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
	uint64_t b = blk_next_block(r->p, &r->rng, &r->next, r->nblocks);

	/* At most depth <= RING_ENTRIES SQEs are pending: never NULL. */
	r->expect[s] = b;
	io_uring_prep_readv(sqe, 0, &r->iov[s], 1, b * BLOCK);
	sqe->flags |= IOSQE_FIXED_FILE;
	io_uring_sqe_set_data64(sqe, s);
	r->issued++;
}

static void check(struct run *r, unsigned int s, int res)
{
	const uint64_t *data = r->iov[s].iov_base;
	uint64_t per = r->p->len / BLOCK;

	if (res != (int)r->p->len)
		r->errors++;
	else if (le64toh(data[0]) != r->expect[s] ||
		 le64toh(data[(per - 1) * (BLOCK / 8)]) != r->expect[s] + per - 1)
		r->bad++;
}

/* One phase: 0 or -errno from the ring. */
static int run_phase(struct io_uring *ring, struct run *r)
{
	const struct blk_phase *p = r->p;
	struct io_uring_cqe *cqe;
	unsigned int head, seen, s;
	double t0 = now_s();
	int ret;

	for (s = 0; s < p->depth && r->issued < p->count; s++)
		post(ring, r, s);
	while (r->done < p->count) {
		ret = io_uring_submit_and_wait(ring, 1);
		if (ret < 0 && ret != -EINTR)
			return ret;
		seen = 0;
		io_uring_for_each_cqe(ring, head, cqe)
		{
			s = (unsigned int)io_uring_cqe_get_data64(cqe);
			seen++;
			check(r, s, cqe->res);
			r->done++;
			if (r->issued < p->count)
				post(ring, r, s);
		}
		io_uring_cq_advance(ring, seen);
	}
	printf("blk_host: %s n %" PRIu64 " errors %" PRIu64 " bad %" PRIu64
	       " s %.6f\n", p->name, r->done, r->errors, r->bad,
	       now_s() - t0);
	fflush(stdout);
	return 0;
}

static uint64_t parse_count(const char *s)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 10);

	return *s && !*end ? (uint64_t)v : 0;
}

static int run_all(const char *path, char **counts, int direct)
{
	struct blk_phase phases[] = BLK_PHASES_DEFAULT;
	struct io_uring ring;
	static struct run r;
	uint8_t *bufs;
	off_t size;
	int fd, ret = 1;

	fd = open(path, O_RDONLY | O_CLOEXEC | (direct ? O_DIRECT : 0));
	if (fd < 0) {
		perror(path);
		return 1;
	}
	size = lseek(fd, 0, SEEK_END);
	if (size < (off_t)(2 * 128 * 1024)) {
		fprintf(stderr, "blk_host: %s: too small\n", path);
		goto out_close;
	}
	/* Aligned for O_DIRECT; 1 MiB covers the largest phase. */
	if (posix_memalign((void **)&bufs, 4096, 1 << 20)) {
		fprintf(stderr, "blk_host: out of memory\n");
		goto out_close;
	}
	memset(bufs, 0, 1 << 20);
	ret = io_uring_queue_init(RING_ENTRIES, &ring, 0);
	if (ret) {
		fprintf(stderr, "blk_host: io_uring: %s\n", strerror(-ret));
		ret = 1;
		goto out_free;
	}
	/* A registered file, as ignis's device ring uses. */
	ret = io_uring_register_files(&ring, &fd, 1);
	if (ret) {
		fprintf(stderr, "blk_host: io_uring: %s\n", strerror(-ret));
		ret = 1;
		goto out_exit;
	}
	for (size_t i = 0; i < sizeof(phases) / sizeof(phases[0]); i++) {
		memset(&r, 0, sizeof(r));
		r.p = &phases[i];
		r.rng = 0x9e3779b97f4a7c15ULL;
		r.nblocks = (uint64_t)size / BLOCK;
		for (unsigned int s = 0; s < r.p->depth; s++)
			r.iov[s] = (struct iovec){ bufs + (size_t)s * r.p->len,
						   r.p->len };
		if (!r.p->count)
			continue;
		ret = run_phase(&ring, &r);
		if (ret) {
			fprintf(stderr, "blk_host: %s: %s\n", r.p->name,
				strerror(-ret));
			break;
		}
	}
	ret = ret ? 1 : 0;
out_exit:
	io_uring_queue_exit(&ring);
out_free:
	free(bufs);
out_close:
	close(fd);
	return ret;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "make") && parse_count(argv[3]))
		return make_image(argv[2], parse_count(argv[3]));
	if ((argc == 6 || (argc == 7 && !strcmp(argv[6], "direct"))) &&
	    !strcmp(argv[1], "run"))
		return run_all(argv[2], &argv[3], argc == 7);
	fprintf(stderr, "usage: blk_host make IMG MIB\n"
			"       blk_host run IMG LAT RAND SEQ [direct]\n");
	return 2;
}
