// SPDX-License-Identifier: Apache-2.0
/* arch/x86_64/bzimage.c: validate a bzImage, load its protected-mode kernel. */
#include "arch/x86_64/image.h"

#include <errno.h>
#include <string.h>

#include "arch/x86_64/layout.h"

/* Protocol 2.12 brought xloadflags and so XLF_KERNEL_64 (boot.rst). */
#define BZ_MIN_VERSION		0x020c
/* The header must reach at least init_size (2.10) for us to place it. */
#define BZ_MIN_HDR_END	(BP_SETUP_HDR_OFFSET + \
			 offsetof(struct bp_setup_header, init_size) + 4)

static uint16_t bz_get16(const uint8_t *buf, size_t off)
{
	uint16_t v;

	memcpy(&v, buf + off, sizeof(v));
	return v;
}

static uint32_t bz_get32(const uint8_t *buf, size_t off)
{
	uint32_t v;

	memcpy(&v, buf + off, sizeof(v));
	return v;
}

bool x86_bzimage_is(const void *buf, size_t len)
{
	const size_t flag = BP_SETUP_HDR_OFFSET +
			    offsetof(struct bp_setup_header, boot_flag);
	const size_t magic = BP_SETUP_HDR_OFFSET +
			     offsetof(struct bp_setup_header, header);

	/* Either marker is enough to call it a (possibly broken) bzImage. */
	return len >= magic + 4 &&
	       (bz_get16(buf, flag) == BP_BOOT_FLAG ||
		bz_get32(buf, magic) == BP_HDRS_MAGIC);
}

/* Reads and checks the setup header into (img->hdr). */
static int bz_read_header(const uint8_t *buf, size_t len,
			  struct x86_image *img, const char **err_msg)
{
	struct bp_setup_header *hdr = &img->hdr;
	/* The jump's displacement byte, 0x201, sizes the header. */
	size_t jump_disp = BP_SETUP_HDR_OFFSET +
			   offsetof(struct bp_setup_header, jump) + 1;
	size_t hdr_end;

	/* x86_bzimage_is() saw at least the magic, past the jump byte. */
	memset(hdr, 0, sizeof(*hdr));
	memcpy(hdr, buf + BP_SETUP_HDR_OFFSET,
	       offsetof(struct bp_setup_header, version));
	if (hdr->boot_flag != BP_BOOT_FLAG) {
		*err_msg = "kernel: bzImage boot flag at 0x1fe is not 0xAA55";
		return -ENOEXEC;
	}
	if (hdr->header != BP_HDRS_MAGIC) {
		*err_msg = "kernel: bzImage lacks the \"HdrS\" setup header magic";
		return -ENOEXEC;
	}
	if (len < BZ_MIN_HDR_END) {
		*err_msg = "kernel: bzImage setup header is truncated";
		return -ENOEXEC;
	}
	memcpy(&hdr->version, buf + BP_SETUP_HDR_OFFSET +
	       offsetof(struct bp_setup_header, version), 2);
	if (hdr->version < BZ_MIN_VERSION) {
		*err_msg = "kernel: bzImage boot protocol is older than 2.12 (no 64-bit entry point)";
		return -ENOEXEC;
	}
	/* boot.rst: the header ends at 0x202 + the byte at 0x201. */
	hdr_end = jump_disp + 1 + buf[jump_disp];
	if (hdr_end < BZ_MIN_HDR_END || hdr_end > len) {
		*err_msg = "kernel: bzImage setup header is truncated";
		return -ENOEXEC;
	}
	if (hdr_end > BP_SETUP_HDR_OFFSET + sizeof(*hdr))
		hdr_end = BP_SETUP_HDR_OFFSET + sizeof(*hdr);
	memcpy(hdr, buf + BP_SETUP_HDR_OFFSET, hdr_end - BP_SETUP_HDR_OFFSET);
	if (!(hdr->xloadflags & BP_XLF_KERNEL_64)) {
		*err_msg = "kernel: bzImage has no 64-bit entry point (XLF_KERNEL_64 clear)";
		return -ENOEXEC;
	}
	return 0;
}

/*
 * Picks where the protected-mode kernel goes: pref_address when the kernel
 * is relocatable and [pref, pref + extent) fits below (limit), else the
 * first kernel_alignment boundary from 1 MiB. A non-relocatable kernel
 * loads at 1 MiB and moves itself to pref_address (boot.rst), so it needs
 * both ranges. Sets img->start/end.
 */
static int bz_place(const struct bp_setup_header *hdr, uint64_t pm_size,
		    uint64_t limit, struct x86_image *img,
		    const char **err_msg)
{
	uint64_t extent = hdr->init_size > pm_size ? hdr->init_size : pm_size;
	uint64_t align = hdr->kernel_alignment;
	uint64_t load, end;

	if (!hdr->relocatable_kernel) {
		load = X86_HIMEM_START;
		end = load + pm_size;
		if (hdr->pref_address < X86_HIMEM_START ||
		    hdr->pref_address >= limit) {
			*err_msg = "kernel: non-relocatable bzImage runs at a pref_address outside usable guest memory";
			return -ENOMEM;
		}
		/* pref_address < limit <= 1 GiB: no overflow. */
		if (hdr->pref_address + hdr->init_size > end)
			end = hdr->pref_address + hdr->init_size;
		goto check;
	}
	if (align == 0 || (align & (align - 1))) {
		*err_msg = "kernel: bzImage kernel_alignment is not a power of two";
		return -ENOEXEC;
	}
	load = hdr->pref_address;
	if (load >= X86_HIMEM_START && load % align == 0 && load < limit &&
	    extent <= limit - load) {
		end = load + extent;
		goto check;
	}
	load = (X86_HIMEM_START + align - 1) & ~(align - 1);
	end = load + extent;

check:
	if (load >= limit || end > limit || end < load) {
		*err_msg = "kernel: bzImage (init_size from its load address) does not fit in guest memory below 1 GiB";
		return -ENOMEM;
	}
	img->start = load;
	img->end = end;
	return 0;
}

int x86_bzimage_load(const struct gmem *mem, const uint8_t *buf, size_t len,
		     struct x86_image *img, const char **err_msg)
{
	const struct gmem_region *low = gmem_region_of(mem, gpa(0));
	const struct bp_setup_header *hdr = &img->hdr;
	uint64_t limit = X86_IDENTITY_MAP_END, setup_sects, pm_off, pm_size;
	int ret;

	ret = bz_read_header(buf, len, img, err_msg);
	if (ret)
		return ret;

	setup_sects = hdr->setup_sects ? hdr->setup_sects :
					 BP_DEFAULT_SETUP_SECTS;
	pm_off = (setup_sects + 1) * BP_SECTOR_SIZE;
	if (pm_off >= len) {
		*err_msg = "kernel: bzImage is truncated (no protected-mode kernel after the setup sectors)";
		return -ENOEXEC;
	}
	pm_size = len - pm_off;
	/* boot.rst: the 64-bit entry point is the load address + 0x200,
	 * inside the protected-mode code: an image that ends before it would
	 * start the guest on bytes never loaded, or outside RAM. */
	if (pm_size <= BP_ENTRY64_OFFSET) {
		*err_msg = "kernel: bzImage is too short to hold its 64-bit entry point (load address + 0x200)";
		return -ENOEXEC;
	}

	if (!low) {
		*err_msg = "guest memory does not start at address 0";
		return -EINVAL;
	}
	if (low->size < limit)
		limit = low->size;
	ret = bz_place(hdr, pm_size, limit, img, err_msg);
	if (ret)
		return ret;
	if (gmem_write(mem, gpa(img->start), buf + pm_off, pm_size)) {
		*err_msg = "kernel: bzImage does not fit in guest memory";
		return -ENOMEM;
	}

	img->is_bzimage = true;
	img->protocol = X86_BOOT_LINUX64;
	img->entry = img->start + BP_ENTRY64_OFFSET;
	/* cmdline_size exists from 2.06 on; we require 2.12. */
	img->cmdline_max = hdr->cmdline_size;
	img->cmdline_err = "command line is longer than the kernel's cmdline_size";
	img->initrd_end_max = (uint64_t)hdr->initrd_addr_max + 1;
	return 0;
}
