// SPDX-License-Identifier: Apache-2.0
/* tests/guest/lib/pvh.c: the PVH boot's start_info, read by test guests. */
#include "pvh.h"

#include "rt.h"

const struct hvm_start_info *pvh_start_info(unsigned int proto, uint64_t info)
{
	if (proto != RT_BOOT_PVH ||
	    !rt_is_mapped(info, sizeof(struct hvm_start_info)))
		return 0;
	return (const struct hvm_start_info *)(uintptr_t)info;
}

const struct hvm_memmap_entry *pvh_memmap(const struct hvm_start_info *si,
					  uint32_t *n)
{
	*n = si->memmap_entries;
	if (si->version < 1 || *n > PVH_MAX_MEMMAP ||
	    !rt_is_mapped(si->memmap_paddr,
			  *n * sizeof(struct hvm_memmap_entry)))
		return 0;
	return (const struct hvm_memmap_entry *)(uintptr_t)si->memmap_paddr;
}
