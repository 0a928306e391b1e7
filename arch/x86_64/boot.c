// SPDX-License-Identifier: Apache-2.0
/* arch/x86_64/boot.c: load a kernel and build its boot structures. */
#include "arch/x86_64/boot.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "arch/x86_64/bootparam.h"
#include "arch/x86_64/image.h"
#include "arch/x86_64/layout.h"

#define BOOT_PAGE_SIZE		4096ULL
/* The first region makes three entries (RAM, EBDA hole, RAM), others one. */
#define BOOT_E820_MAX		(GMEM_MAX_REGIONS + 2)

/* Page table entry bits. */
#define BOOT_PTE_PRESENT	0x1ULL
#define BOOT_PTE_RW		0x2ULL
#define BOOT_PTE_PS		0x80ULL	/* 2 MiB page in a PD entry */
#define BOOT_PT_ENTRIES		512

/* Control register bits (SDM vol. 3, 2.5; EFER in 2.2.1). */
#define BOOT_CR0_PE		(1ULL << 0)
#define BOOT_CR0_MP		(1ULL << 1)
#define BOOT_CR0_ET		(1ULL << 4)
#define BOOT_CR0_NE		(1ULL << 5)
#define BOOT_CR0_WP		(1ULL << 16)
#define BOOT_CR0_AM		(1ULL << 18)
#define BOOT_CR0_PG		(1ULL << 31)
#define BOOT_CR4_PAE		(1ULL << 5)
#define BOOT_EFER_LME		(1ULL << 8)
#define BOOT_EFER_LMA		(1ULL << 10)
#define BOOT_RFLAGS_FIXED	0x2ULL	/* bit 1 always reads 1 */

/*
 * GDT slots. Linux's 64-bit protocol names them: "a GDT must be loaded with
 * the descriptors for selectors __BOOT_CS(0x10) and __BOOT_DS(0x18)".
 */
enum boot_gdt_slot {
	BOOT_GDT_NULL,			/* 0x00: required null descriptor */
	BOOT_GDT_UNUSED,		/* 0x08: keeps CS at Linux's 0x10 */
	BOOT_GDT_CODE,			/* 0x10: __BOOT_CS */
	BOOT_GDT_DATA,			/* 0x18: __BOOT_DS */
	BOOT_GDT_TSS,			/* 0x20: TR; VMX wants a usable one */
	BOOT_GDT_ENTRIES,
};

/*
 * Descriptor flags as Linux's GDT_ENTRY() takes them: access byte in bits
 * 0-7, then G, D/B, L, AVL in bits 15-12. Types 0xb and 0x3 have the
 * accessed bit set, so the CPU never writes the GDT back.
 */
#define BOOT_SEG_CODE64		0xa09b	/* G, L, P, S, execute/read */
#define BOOT_SEG_CODE32		0xc09b	/* G, D, P, S, execute/read */
#define BOOT_SEG_DATA		0xc093	/* G, B, P, S, read/write */
#define BOOT_SEG_TSS		0x008b	/* P, busy TSS (32- or 64-bit) */
#define BOOT_TSS_LIMIT		0x67	/* PVH: "a limit of '0x67'" */

/* The e820 map, before it becomes zero-page or PVH memmap entries. */
struct boot_e820 {
	unsigned int nr;		/* entries used */
	struct bp_e820_entry e[BOOT_E820_MAX];	/* sorted by addr */
};

/* A loaded initrd; zero size: none. */
struct boot_initrd {
	uint64_t addr;			/* guest-physical, page-aligned */
	uint64_t size;			/* bytes */
};

_Static_assert(X86_PVH_INFO_START + sizeof(struct pvh_start_info) +
	       sizeof(struct pvh_modlist_entry) +
	       BOOT_E820_MAX * sizeof(struct pvh_memmap_entry) <=
	       X86_ZERO_PAGE_START, "PVH start_info area overflows");
_Static_assert(BOOT_E820_MAX <= BP_E820_MAX_ENTRIES, "zero page e820");

static uint64_t boot_gdt_entry(uint16_t flags, uint32_t base, uint32_t limit)
{
	return ((uint64_t)(base & 0xff000000) << 32) |
	       ((uint64_t)(flags & 0xf0ff) << 40) |
	       ((uint64_t)(limit & 0x000f0000) << 32) |
	       ((uint64_t)(base & 0x00ffffff) << 16) |
	       (uint64_t)(limit & 0x0000ffff);
}

/* Decodes the GDT entry, so KVM's cached segment matches the table. */
static struct kvm_segment boot_seg_from_gdt(uint64_t d, unsigned int slot)
{
	struct kvm_segment s = {
		.base = ((d >> 16) & 0xffffff) | ((d >> 32) & 0xff000000),
		.limit = (uint32_t)((d & 0xffff) | ((d >> 32) & 0xf0000)),
		.selector = (uint16_t)(slot * 8),
		.type = (d >> 40) & 0xf,
		.s = (d >> 44) & 1,
		.dpl = (d >> 45) & 3,
		.present = (d >> 47) & 1,
		.avl = (d >> 52) & 1,
		.l = (d >> 53) & 1,
		.db = (d >> 54) & 1,
		.g = (d >> 55) & 1,
	};

	if (s.g)
		s.limit = (s.limit << 12) | 0xfff;
	s.unusable = !s.present;
	return s;
}

static void boot_e820_add(struct boot_e820 *map, uint64_t addr, uint64_t size,
			  uint32_t type)
{
	struct bp_e820_entry *e = &map->e[map->nr++];

	e->addr = addr;
	e->size = size;
	e->type = type;
}

/*
 * RAM [0, EBDA), reserved [EBDA, 1 MiB) for the MP table and the legacy
 * VGA/BIOS window (ACPI tables, reset vector), RAM [1 MiB, top of the
 * first region), and every other region as RAM. Sets (*low_top) to the
 * first region's end.
 */
static int boot_build_e820(const struct gmem *mem, struct boot_e820 *map,
			   uint64_t *low_top, const char **err_msg)
{
	const struct gmem_region *low = &mem->regions[0];

	if (!mem->nr_regions || low->start.v != 0 ||
	    low->size <= X86_HIMEM_START) {
		*err_msg = "guest memory must start at address 0 and extend beyond 1 MiB";
		return -EINVAL;
	}
	map->nr = 0;
	boot_e820_add(map, 0, X86_EBDA_START, BP_E820_RAM);
	boot_e820_add(map, X86_EBDA_START, X86_HIMEM_START - X86_EBDA_START,
		      BP_E820_RESERVED);
	boot_e820_add(map, X86_HIMEM_START, low->size - X86_HIMEM_START,
		      BP_E820_RAM);
	for (unsigned int i = 1; i < mem->nr_regions; i++)
		boot_e820_add(map, mem->regions[i].start.v,
			      mem->regions[i].size, BP_E820_RAM);
	*low_top = low->size;
	return 0;
}

static int boot_read_all(int fd, void *dst, uint64_t len)
{
	uint8_t *p = dst;

	while (len) {
		size_t chunk = len > (1U << 30) ? (1U << 30) : (size_t)len;
		ssize_t n = read(fd, p, chunk);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;	/* the file shrank under us */
		p += n;
		len -= (uint64_t)n;
	}
	return 0;
}

/* Opens (path) as a regular file and returns its fd and size. */
static int boot_open(const char *path, uint64_t *size)
{
	struct stat st;
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		ret = -errno;
		goto err_close;
	}
	if (!S_ISREG(st.st_mode)) {
		ret = -EINVAL;
		goto err_close;
	}
	*size = (uint64_t)st.st_size;
	return fd;

err_close:
	close(fd);
	return ret;
}

/* Reads the kernel file (at most guest RAM's size) and loads it. */
static int boot_load_kernel(const struct gmem *mem, const char *path,
			    struct x86_image *img, const char **err_msg)
{
	uint64_t size;
	uint8_t *buf;
	int fd, ret;

	fd = boot_open(path, &size);
	if (fd < 0) {
		*err_msg = fd == -EINVAL ? "kernel: not a regular file" :
					   "kernel: cannot open the file";
		return fd;
	}
	if (size == 0) {
		*err_msg = "kernel: file is empty";
		ret = -EINVAL;
		goto out_close;
	}
	if (size > mem->size) {
		*err_msg = "kernel: file is larger than guest memory";
		ret = -EFBIG;
		goto out_close;
	}
	buf = malloc(size);
	if (!buf) {
		*err_msg = "kernel: out of host memory reading the file";
		ret = -ENOMEM;
		goto out_close;
	}
	ret = boot_read_all(fd, buf, size);
	if (ret) {
		*err_msg = "kernel: cannot read the whole file";
		goto out_free;
	}

	memset(img, 0, sizeof(*img));
	if (x86_elf_is(buf, size)) {
		ret = x86_elf_load(mem, buf, size, img, err_msg);
	} else if (x86_bzimage_is(buf, size)) {
		ret = x86_bzimage_load(mem, buf, size, img, err_msg);
	} else {
		*err_msg = "kernel: not an ELF or bzImage kernel";
		ret = -ENOEXEC;
	}

out_free:
	free(buf);
out_close:
	close(fd);
	return ret;
}

static int boot_write_cmdline(const struct gmem *mem, const char *cmdline,
			      const struct x86_image *img,
			      const char **err_msg)
{
	size_t len = strlen(cmdline);

	if (len > img->cmdline_max) {
		*err_msg = img->cmdline_err;
		return -E2BIG;
	}
	if (len >= X86_CMDLINE_MAX_SIZE) {
		*err_msg = "command line is longer than ignis's 64 KiB command line area";
		return -E2BIG;
	}
	if (gmem_write(mem, gpa(X86_CMDLINE_START), cmdline, len + 1)) {
		*err_msg = "guest memory has no room for the command line";
		return -ENOMEM;
	}
	return 0;
}

/*
 * Puts the initrd page-aligned as high as it goes below both the kernel's
 * limit and the first region's top, but above everything the kernel may
 * touch before it reads the e820 map ([start, start + init_size)).
 */
static int boot_load_initrd(const struct gmem *mem, const char *path,
			    const struct x86_image *img, uint64_t low_top,
			    struct boot_initrd *rd, const char **err_msg)
{
	uint64_t size, top, floor, addr;
	void *dst;
	int fd, ret;

	fd = boot_open(path, &size);
	if (fd < 0) {
		*err_msg = fd == -EINVAL ? "initrd: not a regular file" :
					   "initrd: cannot open the file";
		return fd;
	}
	if (size == 0) {
		*err_msg = "initrd: file is empty";
		ret = -EINVAL;
		goto out_close;
	}
	top = img->initrd_end_max < low_top ? img->initrd_end_max : low_top;
	floor = (img->end + BOOT_PAGE_SIZE - 1) & ~(BOOT_PAGE_SIZE - 1);
	addr = size <= top ? (top - size) & ~(BOOT_PAGE_SIZE - 1) : 0;
	dst = gmem_ptr(mem, gpa(addr), size);
	if (size > top || addr < floor || !dst) {
		*err_msg = "initrd: does not fit in guest memory between the kernel and the initrd address limit";
		ret = -ENOMEM;
		goto out_close;
	}
	ret = boot_read_all(fd, dst, size);
	if (ret) {
		*err_msg = "initrd: cannot read the whole file";
		goto out_close;
	}
	rd->addr = addr;
	rd->size = size;

out_close:
	close(fd);
	return ret;
}

/* The 64-bit protocol's struct boot_params, at X86_ZERO_PAGE_START. */
static int boot_write_zero_page(const struct gmem *mem,
				const struct x86_image *img,
				const struct boot_e820 *map,
				const struct boot_initrd *rd, uint64_t rsdp)
{
	struct bp_boot_params bp;

	memset(&bp, 0, sizeof(bp));
	if (img->is_bzimage) {
		bp.hdr = img->hdr;
	} else {
		/* A bare vmlinux has no header: fill in Firecracker's. */
		bp.hdr.boot_flag = BP_BOOT_FLAG;
		bp.hdr.header = BP_HDRS_MAGIC;
		bp.hdr.kernel_alignment = BP_KERNEL_ALIGNMENT;
		bp.hdr.cmdline_size = (uint32_t)img->cmdline_max;
	}
	bp.hdr.type_of_loader = BP_LOADER_UNDEFINED;
	bp.hdr.loadflags |= BP_CAN_USE_HEAP;
	bp.hdr.heap_end_ptr = BP_HEAP_END_PTR;
	bp.hdr.cmd_line_ptr = (uint32_t)X86_CMDLINE_START;
	/* Both below 4 GiB: initrd_end_max is at most 4 GiB for Linux64. */
	bp.hdr.ramdisk_image = (uint32_t)rd->addr;
	bp.hdr.ramdisk_size = (uint32_t)rd->size;
	/* The image's own value would point at nothing of ours. */
	bp.hdr.setup_data = 0;
	bp.acpi_rsdp_addr = rsdp;
	bp.e820_entries = (uint8_t)map->nr;
	memcpy(bp.e820_table, map->e, map->nr * sizeof(map->e[0]));
	return gmem_write(mem, gpa(X86_ZERO_PAGE_START), &bp, sizeof(bp));
}

/* PVH: hvm_start_info, then its modlist and memmap, at X86_PVH_INFO_START. */
static int boot_write_start_info(const struct gmem *mem,
				 const struct boot_e820 *map,
				 const struct boot_initrd *rd, uint64_t rsdp)
{
	const uint64_t mod_gpa = X86_PVH_INFO_START +
				 sizeof(struct pvh_start_info);
	const uint64_t memmap_gpa = mod_gpa + sizeof(struct pvh_modlist_entry);
	struct pvh_memmap_entry memmap[BOOT_E820_MAX];
	struct pvh_modlist_entry mod = { 0 };
	struct pvh_start_info si = {
		.magic = PVH_START_MAGIC,
		.version = PVH_START_VERSION,
		.cmdline_paddr = X86_CMDLINE_START,
		.rsdp_paddr = rsdp,
		.memmap_paddr = memmap_gpa,
		.memmap_entries = map->nr,
	};

	memset(memmap, 0, sizeof(memmap));
	for (unsigned int i = 0; i < map->nr; i++) {
		memmap[i].addr = map->e[i].addr;
		memmap[i].size = map->e[i].size;
		/* hvm_memmap_table_entry types use e820 numbering. */
		memmap[i].type = map->e[i].type;
	}
	if (rd->size) {
		mod.paddr = rd->addr;
		mod.size = rd->size;
		si.nr_modules = 1;
		si.modlist_paddr = mod_gpa;
	}
	if (gmem_write(mem, gpa(X86_PVH_INFO_START), &si, sizeof(si)) ||
	    gmem_write(mem, gpa(mod_gpa), &mod, sizeof(mod)) ||
	    gmem_write(mem, gpa(memmap_gpa), memmap,
		       map->nr * sizeof(memmap[0])))
		return -EFAULT;
	return 0;
}

/*
 * What a real-mode jump to the BIOS reset vector (F000:FFF0) finds: a
 * reset through the i8042, as a BIOS's POST would begin one. Linux goes
 * there on "reboot=b", and on its own on a hardware-reduced ACPI machine
 * (acpi.c) when it has CONFIG_EFI: efi_reboot_required() then sends it to
 * EFI, which is absent, and from there to the BIOS, never to the FADT's
 * reset register. Without this it would execute zeros forever.
 */
static int boot_write_reset_vector(const struct gmem *mem)
{
	static const uint8_t reset_code[] = {
		0xb0, 0xfe,			/* mov al, 0xfe (pulse reset) */
		0xe6, X86_I8042_CMD_PORT,	/* out 0x64, al */
		0xfa,				/* cli */
		0xf4,				/* hlt */
		0xeb, 0xfd,			/* jmp to the hlt */
	};

	_Static_assert(X86_RESET_VECTOR + sizeof(reset_code) <= X86_HIMEM_START,
		       "the reset code ends below 1 MiB");
	return gmem_write(mem, gpa(X86_RESET_VECTOR), reset_code,
			  sizeof(reset_code));
}

/* Identity-maps [0, X86_IDENTITY_MAP_END) with 2 MiB pages. */
static int boot_write_page_tables(const struct gmem *mem)
{
	uint64_t *pml4 = gmem_ptr(mem, gpa(X86_PML4_START), BOOT_PAGE_SIZE);
	uint64_t *pdpt = gmem_ptr(mem, gpa(X86_PDPTE_START), BOOT_PAGE_SIZE);
	uint64_t *pd = gmem_ptr(mem, gpa(X86_PDE_START), BOOT_PAGE_SIZE);

	_Static_assert(X86_IDENTITY_MAP_END == BOOT_PT_ENTRIES * (2ULL << 20),
		       "one PD of 2 MiB pages maps the identity range");
	if (!pml4 || !pdpt || !pd)
		return -EFAULT;
	memset(pml4, 0, BOOT_PAGE_SIZE);
	memset(pdpt, 0, BOOT_PAGE_SIZE);
	pml4[0] = X86_PDPTE_START | BOOT_PTE_PRESENT | BOOT_PTE_RW;
	pdpt[0] = X86_PDE_START | BOOT_PTE_PRESENT | BOOT_PTE_RW;
	for (uint64_t i = 0; i < BOOT_PT_ENTRIES; i++)
		pd[i] = (i << 21) | BOOT_PTE_PRESENT | BOOT_PTE_RW |
			BOOT_PTE_PS;
	return 0;
}

/*
 * Writes the GDT and derives every segment register from it. PVH asks for
 * "a 32-bit read/execute code segment with a base of '0' and a limit of
 * '0xFFFFFFFF'", flat data, and "a 32-bit TSS (active) with a base of '0'
 * and a limit of '0x67'"; Linux64 for 4G flat __BOOT_CS (long mode) and
 * __BOOT_DS.
 */
static int boot_write_gdt(const struct gmem *mem,
			  enum x86_boot_protocol protocol,
			  struct x86_boot_state *out)
{
	uint64_t gdt[BOOT_GDT_ENTRIES] = { 0 };
	uint16_t code = protocol == X86_BOOT_PVH ? BOOT_SEG_CODE32 :
						   BOOT_SEG_CODE64;

	gdt[BOOT_GDT_CODE] = boot_gdt_entry(code, 0, 0xfffff);
	gdt[BOOT_GDT_DATA] = boot_gdt_entry(BOOT_SEG_DATA, 0, 0xfffff);
	gdt[BOOT_GDT_TSS] = boot_gdt_entry(BOOT_SEG_TSS, 0, BOOT_TSS_LIMIT);
	if (gmem_write(mem, gpa(X86_BOOT_GDT_START), gdt, sizeof(gdt)))
		return -EFAULT;

	out->cs = boot_seg_from_gdt(gdt[BOOT_GDT_CODE], BOOT_GDT_CODE);
	out->ds = boot_seg_from_gdt(gdt[BOOT_GDT_DATA], BOOT_GDT_DATA);
	out->tr = boot_seg_from_gdt(gdt[BOOT_GDT_TSS], BOOT_GDT_TSS);
	out->gdt.base = X86_BOOT_GDT_START;
	out->gdt.limit = sizeof(gdt) - 1;
	/* An empty IDT: any exception before the kernel's own IDT is fatal. */
	out->idt.base = X86_BOOT_IDT_START;
	out->idt.limit = 0;
	return 0;
}

static void boot_set_regs(const struct x86_image *img,
			  struct x86_boot_state *out)
{
	out->protocol = img->protocol;
	out->regs.rip = img->entry;
	out->regs.rflags = BOOT_RFLAGS_FIXED;
	if (img->protocol == X86_BOOT_PVH) {
		/* "ebx: ... the boot start info structure"; paging off. */
		out->regs.rbx = X86_PVH_INFO_START;
		out->cr0 = BOOT_CR0_PE | BOOT_CR0_ET;
		return;
	}
	/* "%rsi must hold the base address of the struct boot_params". */
	out->regs.rsi = X86_ZERO_PAGE_START;
	out->regs.rsp = X86_BOOT_STACK_POINTER;
	out->regs.rbp = X86_BOOT_STACK_POINTER;
	/* Linux's own CR0_STATE, which it would load right away anyway. */
	out->cr0 = BOOT_CR0_PE | BOOT_CR0_MP | BOOT_CR0_ET | BOOT_CR0_NE |
		   BOOT_CR0_WP | BOOT_CR0_AM | BOOT_CR0_PG;
	out->cr3 = X86_PML4_START;
	out->cr4 = BOOT_CR4_PAE;
	out->efer = BOOT_EFER_LME | BOOT_EFER_LMA;
}

int x86_boot_load(const struct gmem *mem, const struct x86_boot_in *in,
		  struct x86_boot_state *out, const char **err_msg)
{
	struct boot_initrd rd = { 0 };
	struct boot_e820 map;
	struct x86_image img;
	const char *unused_msg;
	uint64_t low_top;
	int ret;

	if (!err_msg)
		err_msg = &unused_msg;
	*err_msg = NULL;
	if (!mem || !in || !out || !in->kernel_path || !in->cmdline) {
		*err_msg = "no kernel or command line given";
		return -EINVAL;
	}
	memset(out, 0, sizeof(*out));

	ret = boot_build_e820(mem, &map, &low_top, err_msg);
	if (ret)
		return ret;
	ret = boot_load_kernel(mem, in->kernel_path, &img, err_msg);
	if (ret)
		return ret;
	/* The 64-bit protocol: the kernel's range "gets ident mapping". */
	if (img.protocol == X86_BOOT_LINUX64 &&
	    img.end > X86_IDENTITY_MAP_END) {
		*err_msg = "kernel: 64-bit boot protocol kernel must lie below 1 GiB (the boot identity map)";
		return -ENOMEM;
	}
	ret = boot_write_cmdline(mem, in->cmdline, &img, err_msg);
	if (ret)
		return ret;
	if (in->initrd_path) {
		ret = boot_load_initrd(mem, in->initrd_path, &img, low_top,
				       &rd, err_msg);
		if (ret)
			return ret;
	}

	if (img.protocol == X86_BOOT_PVH) {
		ret = boot_write_start_info(mem, &map, &rd, in->rsdp_addr);
	} else {
		ret = boot_write_zero_page(mem, &img, &map, &rd,
					   in->rsdp_addr);
		if (!ret)
			ret = boot_write_page_tables(mem);
	}
	if (!ret)
		ret = boot_write_gdt(mem, img.protocol, out);
	if (!ret)
		ret = boot_write_reset_vector(mem);
	if (ret) {
		*err_msg = "guest memory has no room for the boot structures below 1 MiB";
		return ret;
	}

	boot_set_regs(&img, out);
	out->kernel_start = img.start;
	out->kernel_end = img.end;
	out->initrd_start = rd.addr;
	out->initrd_size = rd.size;
	return 0;
}
