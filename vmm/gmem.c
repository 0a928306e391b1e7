// SPDX-License-Identifier: Apache-2.0
/* vmm/gmem.c: guest memory: one memfd, mapped once, split into RAM regions. */
#include "gmem.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static bool layout_is_valid(const struct gmem_region *layout, unsigned int nr)
{
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
	uint64_t prev_end = 0;

	if (nr == 0 || nr > GMEM_MAX_REGIONS)
		return false;
	for (unsigned int i = 0; i < nr; i++) {
		uint64_t start = layout[i].start.v, size = layout[i].size;

		if (size == 0 || start % page || size % page)
			return false;
		if (start + size < start || (i && start < prev_end))
			return false;
		prev_end = start + size;
	}
	return true;
}

int gmem_create(struct gmem *mem, const struct gmem_region *layout,
		unsigned int nr)
{
	uint64_t total = 0;
	int err;

	memset(mem, 0, sizeof(*mem));
	mem->fd = -1;
	if (!layout_is_valid(layout, nr))
		return -EINVAL;
	for (unsigned int i = 0; i < nr; i++) {
		if (total + layout[i].size < total)
			return -EOVERFLOW;
		total += layout[i].size;
	}
	if (total > (uint64_t)SIZE_MAX || (off_t)total < 0)
		return -EOVERFLOW;

	/* A memfd, not anonymous memory: device threads, VFIO and snapshots
	 * can map or hand on the same pages by fd. */
	mem->fd = memfd_create("ignis-ram", MFD_CLOEXEC);
	if (mem->fd < 0)
		return -errno;
	if (ftruncate(mem->fd, (off_t)total) < 0) {
		err = -errno;
		goto err_close;
	}
	mem->base = mmap(NULL, total, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_NORESERVE, mem->fd, 0);
	if (mem->base == MAP_FAILED) {
		err = -errno;
		mem->base = NULL;
		goto err_close;
	}
	/* Guest RAM must not end up in a host core dump. */
	madvise(mem->base, total, MADV_DONTDUMP);

	mem->size = total;
	mem->nr_regions = nr;
	for (uint64_t off = 0, i = 0; i < nr; i++) {
		mem->regions[i].start = layout[i].start;
		mem->regions[i].size = layout[i].size;
		mem->regions[i].offset = off;
		mem->regions[i].host = (char *)mem->base + off;
		off += layout[i].size;
	}
	return 0;

err_close:
	close(mem->fd);
	mem->fd = -1;
	return err;
}

void gmem_destroy(struct gmem *mem)
{
	if (!mem)
		return;
	if (mem->base)
		munmap(mem->base, mem->size);
	if (mem->fd >= 0)
		close(mem->fd);
	memset(mem, 0, sizeof(*mem));
	mem->fd = -1;
}

const struct gmem_region *gmem_region_of(const struct gmem *mem, gpa_t addr)
{
	for (unsigned int i = 0; i < mem->nr_regions; i++) {
		const struct gmem_region *r = &mem->regions[i];

		if (addr.v >= r->start.v && addr.v - r->start.v < r->size)
			return r;
	}
	return NULL;
}

void *gmem_ptr(const struct gmem *mem, gpa_t addr, uint64_t len)
{
	const struct gmem_region *r = gmem_region_of(mem, addr);
	uint64_t off;

	if (!r)
		return NULL;
	off = addr.v - r->start.v;
	/* off < size holds, so size - off cannot underflow. */
	if (len > r->size - off)
		return NULL;
	return (char *)r->host + off;
}

int gmem_read(const struct gmem *mem, void *dst, gpa_t src, uint64_t len)
{
	void *p = gmem_ptr(mem, src, len);

	if (!p)
		return -EFAULT;
	memcpy(dst, p, len);
	return 0;
}

int gmem_write(const struct gmem *mem, gpa_t dst, const void *src,
	       uint64_t len)
{
	void *p = gmem_ptr(mem, dst, len);

	if (!p)
		return -EFAULT;
	memcpy(p, src, len);
	return 0;
}

uint64_t gmem_end(const struct gmem *mem)
{
	const struct gmem_region *last;

	if (!mem->nr_regions)
		return 0;
	last = &mem->regions[mem->nr_regions - 1];
	return last->start.v + last->size;
}
