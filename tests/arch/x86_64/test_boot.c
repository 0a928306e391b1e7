// SPDX-License-Identifier: Apache-2.0
/* tests/arch/x86_64/test_boot.c: kernel loading and boot structures, no KVM. */
#include <criterion/criterion.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "arch/x86_64/boot.h"
#include "arch/x86_64/bootparam.h"
#include "arch/x86_64/layout.h"
#include "support/tmpfile.h"
#include "vmm/gmem.h"

#define MiB (1ULL << 20)
#define GiB (1ULL << 30)

/* The synthetic ELF: two PT_LOADs and an optional Xen note. */
#define ELF_SEG0_PADDR	(1 * MiB)
#define ELF_SEG0_OFF	0x1000
#define ELF_SEG0_FILESZ	0x200
#define ELF_SEG0_MEMSZ	0x3000		/* 0x2e00 bytes of bss */
#define ELF_SEG1_PADDR	(2 * MiB)
#define ELF_SEG1_OFF	0x1200
#define ELF_SEG1_SIZE	0x100
#define ELF_NOTE_OFF	0x800
#define ELF_ENTRY	(ELF_SEG0_PADDR + 0x40)
#define ELF_PVH_ENTRY	(ELF_SEG0_PADDR + 0x80)
#define ELF_LEN		0x1300

/* The synthetic bzImage: 4 setup sectors, then 8 KiB of "kernel". */
#define BZ_PM_OFF	(5 * 512)
#define BZ_PM_SIZE	0x2000
#define BZ_PREF		(16 * MiB)
#define BZ_INIT_SIZE	(8 * MiB)

static struct gmem mem;
static char *paths[8];
static unsigned int nr_paths;
static const char *why;

static void teardown(void)
{
	for (unsigned int i = 0; i < nr_paths; i++) {
		unlink(paths[i]);
		free(paths[i]);
	}
	nr_paths = 0;
	gmem_destroy(&mem);
}

TestSuite(boot, .fini = teardown);

/* A scratch file removed by teardown(). */
static const char *file_with(const void *data, size_t len)
{
	char *p = tmpfile_with(data, len);

	cr_assert_not_null(p);
	cr_assert_lt(nr_paths, sizeof(paths) / sizeof(paths[0]));
	paths[nr_paths++] = p;
	return p;
}

static void mem_one(uint64_t size)
{
	struct gmem_region r = { .start = gpa(0), .size = size };

	cr_assert_eq(gmem_create(&mem, &r, 1), 0);
}

static void *gp(uint64_t addr, uint64_t len)
{
	void *p = gmem_ptr(&mem, gpa(addr), len);

	cr_assert_not_null(p, "gpa 0x%llx + 0x%llx", (unsigned long long)addr,
			   (unsigned long long)len);
	return p;
}

static int load(const char *kernel, const char *initrd, const char *cmdline,
		struct x86_boot_state *st)
{
	struct x86_boot_in in = {
		.kernel_path = kernel,
		.initrd_path = initrd,
		.cmdline = cmdline,
		.nr_cpus = 1,
	};

	why = NULL;
	return x86_boot_load(&mem, &in, st, &why);
}

/* Asserts that loading fails with (err) and says why. */
static void load_fails(const char *kernel, const char *initrd,
		       const char *cmdline, int err)
{
	struct x86_boot_state st;
	int ret = load(kernel, initrd, cmdline, &st);

	cr_assert_eq(ret, err, "got %d (%s), want %d", ret, why ? why : "-",
		     err);
	cr_assert_not_null(why);
	cr_assert_gt(strlen(why), 10);
}

/* --- synthetic images --------------------------------------------------- */

struct elf_img {
	_Alignas(8) uint8_t buf[ELF_LEN];
};

static Elf64_Ehdr *elf_eh(struct elf_img *e)
{
	return (Elf64_Ehdr *)e->buf;
}

static Elf64_Phdr *elf_ph(struct elf_img *e, unsigned int i)
{
	return (Elf64_Phdr *)(e->buf + sizeof(Elf64_Ehdr)) + i;
}

/* A valid image; (note_desc) 0: no Xen note, else its desc size (4, 8). */
static void elf_make(struct elf_img *e, unsigned int note_desc)
{
	Elf64_Ehdr *eh = elf_eh(e);
	uint8_t *n = e->buf + ELF_NOTE_OFF;
	uint32_t nhdr[3] = { 4, note_desc, 18 };
	uint64_t entry = ELF_PVH_ENTRY;

	memset(e, 0, sizeof(*e));
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_ident[EI_VERSION] = EV_CURRENT;
	eh->e_type = ET_EXEC;
	eh->e_machine = EM_X86_64;
	eh->e_version = EV_CURRENT;
	eh->e_entry = ELF_ENTRY;
	eh->e_phoff = sizeof(Elf64_Ehdr);
	eh->e_ehsize = sizeof(Elf64_Ehdr);
	eh->e_phentsize = sizeof(Elf64_Phdr);
	eh->e_phnum = note_desc ? 3 : 2;

	*elf_ph(e, 0) = (Elf64_Phdr){ .p_type = PT_LOAD, .p_flags = PF_R | PF_X,
		.p_offset = ELF_SEG0_OFF, .p_vaddr = ELF_SEG0_PADDR,
		.p_paddr = ELF_SEG0_PADDR, .p_filesz = ELF_SEG0_FILESZ,
		.p_memsz = ELF_SEG0_MEMSZ, .p_align = 0x1000 };
	*elf_ph(e, 1) = (Elf64_Phdr){ .p_type = PT_LOAD, .p_flags = PF_R | PF_W,
		.p_offset = ELF_SEG1_OFF, .p_vaddr = ELF_SEG1_PADDR,
		.p_paddr = ELF_SEG1_PADDR, .p_filesz = ELF_SEG1_SIZE,
		.p_memsz = ELF_SEG1_SIZE, .p_align = 0x1000 };
	for (unsigned int i = 0; i < ELF_SEG0_FILESZ + ELF_SEG1_SIZE; i++)
		e->buf[ELF_SEG0_OFF + i] = (uint8_t)(i * 7 + 1);
	if (!note_desc)
		return;
	/* A foreign note first, so the scan has to step over one. */
	memcpy(n, (uint32_t[]){ 4, 4, 1 }, 12);
	memcpy(n + 12, "GNU\0\x01\x02\x03\x04", 8);
	n += 20;
	memcpy(n, nhdr, sizeof(nhdr));
	memcpy(n + 12, "Xen", 4);
	memcpy(n + 16, &entry, note_desc);
	*elf_ph(e, 2) = (Elf64_Phdr){ .p_type = PT_NOTE, .p_flags = PF_R,
		.p_offset = ELF_NOTE_OFF, .p_filesz = 20 + 16 + note_desc,
		.p_align = 4 };
}

static uint8_t *bz_make(uint32_t init_size)
{
	uint8_t *b = calloc(1, BZ_PM_OFF + BZ_PM_SIZE);
	struct bp_setup_header *h = (void *)(b + BP_SETUP_HDR_OFFSET);

	cr_assert_not_null(b);
	h->setup_sects = 4;
	h->boot_flag = 0xaa55;
	h->jump = 0x6aeb;	/* header ends at 0x202 + 0x6a = 0x26c */
	h->header = 0x53726448;
	h->version = 0x020f;
	h->loadflags = 0x01;	/* LOADED_HIGH */
	h->initrd_addr_max = 0x7fffffff;
	h->kernel_alignment = 2 * MiB;
	h->relocatable_kernel = 1;
	h->min_alignment = 21;
	h->xloadflags = 0x3;	/* KERNEL_64 | CAN_BE_LOADED_ABOVE_4G */
	h->cmdline_size = 2047;
	h->setup_data = 0xdead000;	/* must not reach the guest */
	h->pref_address = BZ_PREF;
	h->init_size = init_size;
	for (unsigned int i = 0; i < BZ_PM_SIZE; i++)
		b[BZ_PM_OFF + i] = (uint8_t)(i * 13 + 5);
	return b;
}

static struct bp_setup_header *bz_hdr(uint8_t *b)
{
	return (void *)(b + BP_SETUP_HDR_OFFSET);
}

static const char *bz_file(uint8_t *b)
{
	const char *p = file_with(b, BZ_PM_OFF + BZ_PM_SIZE);

	free(b);
	return p;
}

/* --- checks shared by the tests ----------------------------------------- */

/* Decodes GDT entry (sel) as the SDM lays out a segment descriptor and
 * compares it with what KVM will be told. */
static void check_seg_vs_gdt(const struct x86_boot_state *st,
			     const struct kvm_segment *s)
{
	uint64_t d, limit;

	cr_assert_leq(s->selector + 7u, st->gdt.limit);
	memcpy(&d, gp(st->gdt.base + s->selector, 8), 8);
	limit = (d & 0xffff) | ((d >> 48) & 0xf) << 16;
	if (d >> 55 & 1)
		limit = limit << 12 | 0xfff;
	cr_assert_eq(s->base, ((d >> 16) & 0xffffff) | ((d >> 56) << 24));
	cr_assert_eq(s->limit, limit);
	cr_assert_eq(s->type, (d >> 40) & 0xf);
	cr_assert_eq(s->s, (d >> 44) & 1);
	cr_assert_eq(s->dpl, (d >> 45) & 3);
	cr_assert_eq(s->present, (d >> 47) & 1);
	cr_assert_eq(s->l, (d >> 53) & 1);
	cr_assert_eq(s->db, (d >> 54) & 1);
	cr_assert_eq(s->g, (d >> 55) & 1);
	cr_assert_eq(s->unusable, 0);
}

/* Flat 4 GiB segments, __BOOT_CS/__BOOT_DS selectors, a busy TSS. */
static void check_segments(const struct x86_boot_state *st, bool long_mode)
{
	uint64_t null_desc;

	cr_assert_eq(st->gdt.base, X86_BOOT_GDT_START);
	cr_assert_eq(st->gdt.limit, 5 * 8 - 1);
	memcpy(&null_desc, gp(X86_BOOT_GDT_START, 8), 8);
	cr_assert_eq(null_desc, 0);
	cr_assert_eq(st->idt.base, X86_BOOT_IDT_START);
	cr_assert_eq(st->idt.limit, 0);

	cr_assert_eq(st->cs.selector, 0x10);
	cr_assert_eq(st->cs.base, 0);
	cr_assert_eq(st->cs.limit, 0xffffffff);
	cr_assert_eq(st->cs.type, 0xb);	/* execute/read, accessed */
	cr_assert_eq(st->cs.s, 1);
	cr_assert_eq(st->cs.present, 1);
	cr_assert_eq(st->cs.dpl, 0);
	cr_assert_eq(st->cs.l, long_mode);
	cr_assert_eq(st->cs.db, !long_mode);
	check_seg_vs_gdt(st, &st->cs);

	cr_assert_eq(st->ds.selector, 0x18);
	cr_assert_eq(st->ds.base, 0);
	cr_assert_eq(st->ds.limit, 0xffffffff);
	cr_assert_eq(st->ds.type, 0x3);	/* read/write, accessed */
	cr_assert_eq(st->ds.s, 1);
	cr_assert_eq(st->ds.db, 1);
	cr_assert_eq(st->ds.present, 1);
	check_seg_vs_gdt(st, &st->ds);

	cr_assert_eq(st->tr.selector, 0x20);
	cr_assert_eq(st->tr.base, 0);
	cr_assert_eq(st->tr.limit, 0x67);
	cr_assert_eq(st->tr.type, 11);	/* busy TSS */
	cr_assert_eq(st->tr.s, 0);
	cr_assert_eq(st->tr.present, 1);
	check_seg_vs_gdt(st, &st->tr);
}

/* Expected map for RAM [0, low) and, if (high), [4G, 4G + high). */
static void check_e820(const struct bp_e820_entry *e, unsigned int nr,
		       uint64_t low, uint64_t high)
{
	cr_assert_eq(nr, high ? 4 : 3);
	cr_assert_eq(e[0].addr, 0);
	cr_assert_eq(e[0].size, 0x9fc00);
	cr_assert_eq(e[0].type, 1);
	cr_assert_eq(e[1].addr, 0x9fc00);	/* EBDA: the MP table */
	cr_assert_eq(e[1].size, 0x100000 - 0x9fc00);
	cr_assert_eq(e[1].type, 2);
	cr_assert_eq(e[2].addr, 1 * MiB);
	cr_assert_eq(e[2].size, low - 1 * MiB);
	cr_assert_eq(e[2].type, 1);
	if (!high)
		return;
	cr_assert_eq(e[3].addr, 4 * GiB);
	cr_assert_eq(e[3].size, high);
	cr_assert_eq(e[3].type, 1);
}

static void check_linux64(const struct x86_boot_state *st, uint64_t entry)
{
	const uint64_t *pml4 = gp(X86_PML4_START, 4096);
	const uint64_t *pdpt = gp(X86_PDPTE_START, 4096);
	const uint64_t *pd = gp(X86_PDE_START, 4096);

	cr_assert_eq(st->protocol, X86_BOOT_LINUX64);
	cr_assert_eq(st->regs.rip, entry);
	cr_assert_eq(st->regs.rsi, X86_ZERO_PAGE_START);
	cr_assert_eq(st->regs.rsp, X86_BOOT_STACK_POINTER);
	cr_assert_eq(st->regs.rbp, X86_BOOT_STACK_POINTER);
	cr_assert_eq(st->regs.rflags, 2);
	cr_assert_eq(st->cr0 & 0x80000011, 0x80000011);	/* PG, ET, PE */
	cr_assert_eq(st->cr3, X86_PML4_START);
	cr_assert_eq(st->cr4, 0x20);			/* PAE */
	cr_assert_eq(st->efer, 0x500);			/* LME | LMA */
	check_segments(st, true);

	cr_assert_eq(pml4[0], X86_PDPTE_START | 3);
	cr_assert_eq(pdpt[0], X86_PDE_START | 3);
	for (unsigned int i = 1; i < 512; i++) {
		cr_assert_eq(pml4[i], 0);
		cr_assert_eq(pdpt[i], 0);
	}
	for (uint64_t i = 0; i < 512; i++)
		cr_assert_eq(pd[i], (i * 2 * MiB) | 0x83, "PD[%llu]",
			     (unsigned long long)i);
}

static const struct bp_boot_params *zero_page(void)
{
	return gp(X86_ZERO_PAGE_START, sizeof(struct bp_boot_params));
}

static const struct pvh_start_info *start_info(void)
{
	return gp(X86_PVH_INFO_START, sizeof(struct pvh_start_info));
}

/* --- PVH ------------------------------------------------------------- */

Test(boot, pvh_elf_registers_segments_and_image)
{
	struct x86_boot_state st;
	struct elf_img e;
	const uint8_t *seg0;

	mem_one(64 * MiB);
	elf_make(&e, 4);
	/* Stale bytes where the bss goes: the loader must clear them. */
	memset(gp(ELF_SEG0_PADDR, ELF_SEG0_MEMSZ), 0xaa, ELF_SEG0_MEMSZ);
	cr_assert_eq(load(file_with(&e, sizeof(e)), NULL, "console=ttyS0", &st),
		     0, "%s", why);

	cr_assert_eq(st.protocol, X86_BOOT_PVH);
	cr_assert_eq(st.regs.rip, ELF_PVH_ENTRY);
	cr_assert_eq(st.regs.rbx, X86_PVH_INFO_START);
	cr_assert_eq(st.regs.rflags, 2);
	cr_assert_eq(st.cr0, 0x11);
	cr_assert_eq(st.cr3, 0);
	cr_assert_eq(st.cr4, 0);
	cr_assert_eq(st.efer, 0);
	check_segments(&st, false);

	seg0 = gp(ELF_SEG0_PADDR, ELF_SEG0_MEMSZ);
	cr_assert_arr_eq(seg0, e.buf + ELF_SEG0_OFF, ELF_SEG0_FILESZ);
	for (unsigned int i = ELF_SEG0_FILESZ; i < ELF_SEG0_MEMSZ; i++)
		cr_assert_eq(seg0[i], 0, "bss byte 0x%x", i);
	cr_assert_arr_eq(gp(ELF_SEG1_PADDR, ELF_SEG1_SIZE),
			 e.buf + ELF_SEG1_OFF, ELF_SEG1_SIZE);
	cr_assert_eq(st.kernel_start, ELF_SEG0_PADDR);
	cr_assert_eq(st.kernel_end, ELF_SEG1_PADDR + ELF_SEG1_SIZE);
	cr_assert_eq(st.initrd_size, 0);
	cr_assert_str_eq(gp(X86_CMDLINE_START, 14), "console=ttyS0");
}

Test(boot, pvh_start_info_and_memmap)
{
	const struct pvh_memmap_entry *mm;
	struct bp_e820_entry e820[4];
	struct x86_boot_state st;
	const struct pvh_start_info *si;
	struct elf_img e;

	mem_one(64 * MiB);
	elf_make(&e, 4);
	cr_assert_eq(load(file_with(&e, sizeof(e)), NULL, "", &st), 0, "%s",
		     why);
	si = start_info();
	cr_assert_eq(si->magic, 0x336ec578);
	cr_assert_eq(si->version, 1);
	cr_assert_eq(si->flags, 0);
	cr_assert_eq(si->nr_modules, 0);
	cr_assert_eq(si->modlist_paddr, 0);
	cr_assert_eq(si->cmdline_paddr, X86_CMDLINE_START);
	cr_assert_eq(*(char *)gp(X86_CMDLINE_START, 1), '\0');
	cr_assert_eq(si->rsdp_paddr, 0);
	cr_assert_eq(si->reserved, 0);
	cr_assert_geq(si->memmap_paddr, X86_PVH_INFO_START + sizeof(*si));
	mm = gp(si->memmap_paddr, si->memmap_entries * sizeof(*mm));
	for (unsigned int i = 0; i < si->memmap_entries && i < 4; i++) {
		e820[i] = (struct bp_e820_entry){ mm[i].addr, mm[i].size,
						  mm[i].type };
		cr_assert_eq(mm[i].reserved, 0);
	}
	check_e820(e820, si->memmap_entries, 64 * MiB, 0);
}

Test(boot, pvh_note_with_linux_style_8_byte_desc)
{
	struct x86_boot_state st;
	struct elf_img e;

	mem_one(64 * MiB);
	elf_make(&e, 8);
	cr_assert_eq(load(file_with(&e, sizeof(e)), NULL, "", &st), 0, "%s",
		     why);
	cr_assert_eq(st.protocol, X86_BOOT_PVH);
	cr_assert_eq(st.regs.rip, ELF_PVH_ENTRY);
}

Test(boot, pvh_note_found_in_sht_note_without_pt_note)
{
	struct x86_boot_state st;
	struct elf_img e;
	Elf64_Shdr sh[2] = { { 0 }, { .sh_type = SHT_NOTE,
		.sh_offset = ELF_NOTE_OFF, .sh_addralign = 4 } };

	mem_one(64 * MiB);
	elf_make(&e, 4);
	sh[1].sh_size = elf_ph(&e, 2)->p_filesz;
	elf_eh(&e)->e_phnum = 2;	/* drop the PT_NOTE */
	elf_eh(&e)->e_shoff = 0x400;
	elf_eh(&e)->e_shentsize = sizeof(Elf64_Shdr);
	elf_eh(&e)->e_shnum = 2;
	memcpy(e.buf + 0x400, sh, sizeof(sh));
	cr_assert_eq(load(file_with(&e, sizeof(e)), NULL, "", &st), 0, "%s",
		     why);
	cr_assert_eq(st.protocol, X86_BOOT_PVH);
	cr_assert_eq(st.regs.rip, ELF_PVH_ENTRY);
}

Test(boot, pvh_initrd_is_a_module_at_the_top_of_low_ram)
{
	static uint8_t rd[10000];
	const struct pvh_modlist_entry *mod;
	const struct pvh_start_info *si;
	struct x86_boot_state st;
	struct elf_img e;
	uint64_t want = (64 * MiB - sizeof(rd)) & ~0xfffULL;

	for (unsigned int i = 0; i < sizeof(rd); i++)
		rd[i] = (uint8_t)(i ^ 0x5a);
	mem_one(64 * MiB);
	elf_make(&e, 4);
	cr_assert_eq(load(file_with(&e, sizeof(e)), file_with(rd, sizeof(rd)),
			  "", &st), 0, "%s", why);
	cr_assert_eq(st.initrd_start, want);
	cr_assert_eq(st.initrd_size, sizeof(rd));
	cr_assert_arr_eq(gp(want, sizeof(rd)), rd, sizeof(rd));
	si = start_info();
	cr_assert_eq(si->nr_modules, 1);
	mod = gp(si->modlist_paddr, sizeof(*mod));
	cr_assert_eq(mod->paddr, want);
	cr_assert_eq(mod->size, sizeof(rd));
	cr_assert_eq(mod->cmdline_paddr, 0);
	cr_assert_eq(mod->reserved, 0);
}

Test(boot, two_regions_around_the_hole)
{
	struct gmem_region r[2] = {
		{ .start = gpa(0), .size = 64 * MiB },
		{ .start = gpa(4 * GiB), .size = 2 * MiB },
	};
	const struct pvh_memmap_entry *mm;
	struct bp_e820_entry e820[4];
	struct x86_boot_state st;
	const struct pvh_start_info *si;
	struct elf_img e;
	static uint8_t rd[4096] = { 1 };

	cr_assert_eq(gmem_create(&mem, r, 2), 0);
	elf_make(&e, 4);
	cr_assert_eq(load(file_with(&e, sizeof(e)), file_with(rd, sizeof(rd)),
			  "", &st), 0, "%s", why);
	/* The initrd stays in the low region, below the hole. */
	cr_assert_eq(st.initrd_start, 64 * MiB - 4096);
	si = start_info();
	mm = gp(si->memmap_paddr, si->memmap_entries * sizeof(*mm));
	for (unsigned int i = 0; i < si->memmap_entries && i < 4; i++)
		e820[i] = (struct bp_e820_entry){ mm[i].addr, mm[i].size,
						  mm[i].type };
	check_e820(e820, si->memmap_entries, 64 * MiB, 2 * MiB);
}

/* --- plain ELF: 64-bit protocol ---------------------------------------- */

Test(boot, plain_elf_uses_the_64bit_protocol)
{
	const struct bp_boot_params *bp;
	struct x86_boot_state st;
	struct elf_img e;

	mem_one(64 * MiB);
	elf_make(&e, 0);
	cr_assert_eq(load(file_with(&e, sizeof(e)), NULL, "root=/dev/vda", &st),
		     0, "%s", why);
	check_linux64(&st, ELF_ENTRY);
	bp = zero_page();
	cr_assert_eq(bp->hdr.boot_flag, 0xaa55);
	cr_assert_eq(bp->hdr.header, 0x53726448);
	cr_assert_eq(bp->hdr.type_of_loader, 0xff);
	cr_assert_eq(bp->hdr.cmd_line_ptr, X86_CMDLINE_START);
	cr_assert_eq(bp->hdr.cmdline_size, 2047);
	cr_assert_eq(bp->hdr.ramdisk_image, 0);
	cr_assert_eq(bp->hdr.ramdisk_size, 0);
	cr_assert_eq(bp->sentinel, 0);
	check_e820(bp->e820_table, bp->e820_entries, 64 * MiB, 0);
	cr_assert_str_eq(gp(X86_CMDLINE_START, 14), "root=/dev/vda");
}

/* --- bzImage ------------------------------------------------------------ */

Test(boot, bzimage_at_pref_address_with_initrd)
{
	static uint8_t rd[3 * 4096 + 1];
	const struct bp_boot_params *bp;
	struct x86_boot_state st;
	uint8_t *b = bz_make(BZ_INIT_SIZE);
	struct bp_setup_header want = *bz_hdr(b);

	memset(rd, 0x77, sizeof(rd));
	mem_one(64 * MiB);
	cr_assert_eq(load(bz_file(b), file_with(rd, sizeof(rd)), "quiet", &st),
		     0, "%s", why);
	check_linux64(&st, BZ_PREF + 0x200);
	cr_assert_eq(st.kernel_start, BZ_PREF);
	cr_assert_eq(st.kernel_end, BZ_PREF + BZ_INIT_SIZE);
	for (unsigned int i = 0; i < BZ_PM_SIZE; i++)
		cr_assert_eq(((uint8_t *)gp(BZ_PREF, BZ_PM_SIZE))[i],
			     (uint8_t)(i * 13 + 5));

	bp = zero_page();
	/* The image's header is copied, then the loader's fields set. */
	cr_assert_eq(bp->hdr.version, want.version);
	cr_assert_eq(bp->hdr.xloadflags, want.xloadflags);
	cr_assert_eq(bp->hdr.pref_address, want.pref_address);
	cr_assert_eq(bp->hdr.init_size, want.init_size);
	cr_assert_eq(bp->hdr.kernel_alignment, want.kernel_alignment);
	cr_assert_eq(bp->hdr.type_of_loader, 0xff);
	cr_assert_eq(bp->hdr.loadflags, 0x81);	/* LOADED_HIGH | CAN_USE_HEAP */
	cr_assert_eq(bp->hdr.heap_end_ptr, 0xfe00);
	cr_assert_eq(bp->hdr.cmd_line_ptr, X86_CMDLINE_START);
	cr_assert_eq(bp->hdr.setup_data, 0);
	cr_assert_eq(bp->ext_cmd_line_ptr, 0);
	cr_assert_eq(bp->sentinel, 0);
	/* Highest page-aligned spot under RAM's top. */
	cr_assert_eq(bp->hdr.ramdisk_image,
		     (64 * MiB - sizeof(rd)) & ~0xfffULL);
	cr_assert_eq(bp->hdr.ramdisk_size, sizeof(rd));
	cr_assert_eq(st.initrd_start, bp->hdr.ramdisk_image);
	cr_assert_arr_eq(gp(st.initrd_start, sizeof(rd)), rd, sizeof(rd));
	check_e820(bp->e820_table, bp->e820_entries, 64 * MiB, 0);
	cr_assert_str_eq(gp(X86_CMDLINE_START, 6), "quiet");
}

Test(boot, bzimage_without_room_at_pref_goes_low_and_aligned)
{
	struct x86_boot_state st;
	uint8_t *b = bz_make(56 * MiB);	/* 16M + 56M > 64M */

	mem_one(64 * MiB);
	cr_assert_eq(load(bz_file(b), NULL, "", &st), 0, "%s", why);
	/* 1 MiB rounded up to kernel_alignment (2 MiB). */
	check_linux64(&st, 2 * MiB + 0x200);
	cr_assert_eq(st.kernel_start, 2 * MiB);
	cr_assert_eq(st.kernel_end, 58 * MiB);
	cr_assert_eq(((uint8_t *)gp(2 * MiB + 1, 1))[0], 13 + 5);
}

Test(boot, bzimage_setup_sects_zero_means_four)
{
	struct x86_boot_state st;
	uint8_t *b = bz_make(BZ_INIT_SIZE);

	bz_hdr(b)->setup_sects = 0;
	mem_one(64 * MiB);
	cr_assert_eq(load(bz_file(b), NULL, "", &st), 0, "%s", why);
	cr_assert_eq(((uint8_t *)gp(BZ_PREF, 2))[1], 13 + 5);
}

Test(boot, bzimage_initrd_obeys_initrd_addr_max_and_init_size)
{
	static uint8_t rd[8192];
	struct x86_boot_state st;
	uint8_t *b = bz_make(BZ_INIT_SIZE);

	bz_hdr(b)->initrd_addr_max = 32 * MiB - 1;
	mem_one(64 * MiB);
	cr_assert_eq(load(bz_file(b), file_with(rd, sizeof(rd)), "", &st), 0,
		     "%s", why);
	cr_assert_eq(st.initrd_start, 32 * MiB - sizeof(rd));
	cr_assert_eq(zero_page()->hdr.ramdisk_image, 32 * MiB - sizeof(rd));
}

Test(boot, bzimage_initrd_that_would_overlap_init_size_fails)
{
	static uint8_t rd[8192];
	uint8_t *b = bz_make(BZ_INIT_SIZE);

	/* Its only room is inside [pref, pref + init_size). */
	bz_hdr(b)->initrd_addr_max = BZ_PREF + BZ_INIT_SIZE - 1;
	mem_one(64 * MiB);
	load_fails(bz_file(b), file_with(rd, sizeof(rd)), "", -ENOMEM);
}

Test(boot, cmdline_limits)
{
	char line[2049];
	struct x86_boot_state st;
	struct elf_img e;
	uint8_t *b = bz_make(BZ_INIT_SIZE);
	const char *bz, *elf;

	bz_hdr(b)->cmdline_size = 255;
	mem_one(64 * MiB);
	bz = bz_file(b);
	elf_make(&e, 4);
	elf = file_with(&e, sizeof(e));
	memset(line, 'a', sizeof(line) - 1);

	line[255] = '\0';
	cr_assert_eq(load(bz, NULL, line, &st), 0, "%s", why);
	cr_assert_eq(strlen(gp(X86_CMDLINE_START, 256)), 255);
	line[255] = 'a';
	line[256] = '\0';
	load_fails(bz, NULL, line, -E2BIG);
	cr_assert(strstr(why, "cmdline_size"));

	line[256] = 'a';
	line[2047] = '\0';
	cr_assert_eq(load(elf, NULL, line, &st), 0, "%s", why);
	line[2047] = 'a';
	line[2048] = '\0';
	load_fails(elf, NULL, line, -E2BIG);
	cr_assert(strstr(why, "2047"));
}

/* --- bad input -------------------------------------------------------- */

Test(boot, missing_empty_and_unknown_kernels)
{
	static const uint8_t junk[600] = "#!/bin/sh\necho not a kernel\n";

	mem_one(64 * MiB);
	load_fails("/nonexistent/ignis/vmlinuz", NULL, "", -ENOENT);
	load_fails(file_with("", 0), NULL, "", -EINVAL);
	load_fails("/tmp", NULL, "", -EINVAL);
	load_fails(file_with(junk, sizeof(junk)), NULL, "", -ENOEXEC);
	cr_assert(strstr(why, "not an ELF or bzImage"));
	load_fails(file_with("\x7f" "ELF", 4), NULL, "", -ENOEXEC);
	cr_assert(strstr(why, "truncated ELF header"));
}

Test(boot, kernel_larger_than_ram)
{
	uint8_t *big = calloc(1, 3 * MiB);

	cr_assert_not_null(big);
	mem_one(2 * MiB);
	load_fails(file_with(big, 3 * MiB), NULL, "", -EFBIG);
	free(big);
}

Test(boot, bad_elf_headers)
{
	struct elf_img e;

	mem_one(64 * MiB);
	elf_make(&e, 4);
	e.buf[EI_CLASS] = ELFCLASS32;
	load_fails(file_with(&e, sizeof(e)), NULL, "", -ENOEXEC);
	elf_make(&e, 4);
	elf_eh(&e)->e_machine = EM_386;
	load_fails(file_with(&e, sizeof(e)), NULL, "", -ENOEXEC);
	elf_make(&e, 4);
	elf_eh(&e)->e_phoff = ELF_LEN - 10;
	load_fails(file_with(&e, sizeof(e)), NULL, "", -ENOEXEC);
	elf_make(&e, 4);
	elf_eh(&e)->e_phnum = 0;
	load_fails(file_with(&e, sizeof(e)), NULL, "", -ENOEXEC);
	elf_make(&e, 4);
	/* The note runs past its segment. */
	elf_ph(&e, 2)->p_filesz -= 2;
	load_fails(file_with(&e, sizeof(e)), NULL, "", -ENOEXEC);
}

Test(boot, bad_elf_segments)
{
	struct elf_img e;

	mem_one(64 * MiB);
	elf_make(&e, 4);
	elf_ph(&e, 1)->p_paddr = 100 * MiB;	/* beyond 64 MiB of RAM */
	load_fails(file_with(&e, sizeof(e)), NULL, "", -ENOMEM);
	cr_assert(strstr(why, "outside guest memory"));
	/* Validation came first: segment 0 was never written. */
	cr_assert_eq(((uint8_t *)gp(ELF_SEG0_PADDR, 1))[0], 0);

	elf_make(&e, 4);
	elf_ph(&e, 1)->p_filesz = 0x200;	/* data runs past EOF */
	elf_ph(&e, 1)->p_memsz = 0x200;
	load_fails(file_with(&e, sizeof(e)), NULL, "", -ENOEXEC);

	elf_make(&e, 4);
	elf_ph(&e, 1)->p_offset = UINT64_MAX - 8;
	load_fails(file_with(&e, sizeof(e)), NULL, "", -ENOEXEC);

	elf_make(&e, 4);
	elf_ph(&e, 1)->p_paddr = UINT64_MAX - 0x10;	/* + memsz wraps */
	load_fails(file_with(&e, sizeof(e)), NULL, "", -ENOEXEC);
	cr_assert(strstr(why, "overflow"));

	elf_make(&e, 4);
	elf_ph(&e, 0)->p_memsz = ELF_SEG0_FILESZ - 1;
	load_fails(file_with(&e, sizeof(e)), NULL, "", -ENOEXEC);

	elf_make(&e, 4);
	elf_ph(&e, 0)->p_paddr = 0x8000;	/* onto the zero page */
	load_fails(file_with(&e, sizeof(e)), NULL, "", -EINVAL);

	elf_make(&e, 0);
	elf_eh(&e)->e_entry = 0xffffffff81000000ULL;	/* a virtual entry */
	load_fails(file_with(&e, sizeof(e)), NULL, "", -ENOEXEC);
}

Test(boot, linux64_elf_above_the_identity_map)
{
	struct gmem_region r = { .start = gpa(0), .size = 2 * GiB };
	struct elf_img e;

	cr_assert_eq(gmem_create(&mem, &r, 1), 0);
	elf_make(&e, 0);
	elf_ph(&e, 1)->p_paddr = 1536 * MiB;
	load_fails(file_with(&e, sizeof(e)), NULL, "", -ENOMEM);
	cr_assert(strstr(why, "1 GiB"));
}

Test(boot, bad_bzimages)
{
	uint8_t *b;

	mem_one(64 * MiB);
	b = bz_make(BZ_INIT_SIZE);
	bz_hdr(b)->header = 0x12345678;
	load_fails(bz_file(b), NULL, "", -ENOEXEC);
	cr_assert(strstr(why, "HdrS"));

	b = bz_make(BZ_INIT_SIZE);
	bz_hdr(b)->header = 0;
	bz_hdr(b)->boot_flag = 0;
	load_fails(bz_file(b), NULL, "", -ENOEXEC);
	cr_assert(strstr(why, "not an ELF or bzImage"));

	b = bz_make(BZ_INIT_SIZE);
	bz_hdr(b)->version = 0x020b;
	load_fails(bz_file(b), NULL, "", -ENOEXEC);
	cr_assert(strstr(why, "2.12"));

	b = bz_make(BZ_INIT_SIZE);
	bz_hdr(b)->xloadflags = 0x2;
	load_fails(bz_file(b), NULL, "", -ENOEXEC);
	cr_assert(strstr(why, "XLF_KERNEL_64"));

	b = bz_make(BZ_INIT_SIZE);
	bz_hdr(b)->setup_sects = 200;	/* pm code would start past EOF */
	load_fails(bz_file(b), NULL, "", -ENOEXEC);

	b = bz_make(BZ_INIT_SIZE);
	bz_hdr(b)->kernel_alignment = 3 * MiB;
	load_fails(bz_file(b), NULL, "", -ENOEXEC);

	b = bz_make(200 * MiB);		/* init_size beyond RAM */
	load_fails(bz_file(b), NULL, "", -ENOMEM);

	b = bz_make(BZ_INIT_SIZE);
	load_fails(file_with(b, 0x210), NULL, "", -ENOEXEC);	/* truncated */
	free(b);
}

Test(boot, bad_initrds_and_memory)
{
	static uint8_t rd[62 * MiB];
	struct gmem_region r = { .start = gpa(2 * MiB), .size = 64 * MiB };
	struct elf_img e;
	const char *k;

	mem_one(64 * MiB);
	elf_make(&e, 4);
	k = file_with(&e, sizeof(e));
	load_fails(k, "/nonexistent/ignis/initrd", "", -ENOENT);
	load_fails(k, file_with("", 0), "", -EINVAL);
	/* 62 MiB does not fit between the kernel's end (2 MiB + 256) and
	 * 64 MiB. */
	load_fails(k, file_with(rd, sizeof(rd)), "", -ENOMEM);
	cr_assert(strstr(why, "initrd"));

	gmem_destroy(&mem);
	cr_assert_eq(gmem_create(&mem, &r, 1), 0);
	load_fails(k, NULL, "", -EINVAL);	/* no RAM at address 0 */
}

/* Loads (img, len) with byte (off) set to (val); returns the result. */
static int load_corrupted(uint8_t *img, size_t len, size_t off, uint8_t val)
{
	struct x86_boot_state st;
	uint8_t saved = img[off];
	char *path;
	int ret;

	img[off] = val;
	path = tmpfile_with(img, len);
	img[off] = saved;
	cr_assert_not_null(path);
	ret = load(path, NULL, "", &st);
	unlink(path);
	free(path);
	cr_assert_leq(ret, 0);
	if (ret < 0)
		cr_assert_not_null(why, "byte 0x%zx = 0x%x", off, val);
	return ret;
}

/* Every single-byte corruption of the headers loads or fails cleanly. */
Test(boot, corrupted_headers_fail_cleanly)
{
	static const uint8_t vals[] = { 0x00, 0xff, 0x80, 0x01 };
	uint8_t *bz = bz_make(BZ_INIT_SIZE);
	unsigned int elf_fails = 0, bz_fails = 0;
	struct elf_img e;

	mem_one(64 * MiB);
	elf_make(&e, 8);
	for (size_t off = 0; off < 0x100; off++)
		for (unsigned int v = 0; v < sizeof(vals); v++)
			elf_fails += !!load_corrupted(e.buf, sizeof(e), off,
						      vals[v]);
	for (size_t off = ELF_NOTE_OFF; off < ELF_NOTE_OFF + 0x40; off++)
		for (unsigned int v = 0; v < sizeof(vals); v++)
			elf_fails += !!load_corrupted(e.buf, sizeof(e), off,
						      vals[v]);
	for (size_t off = 0x1f1; off < 0x270; off++)
		for (unsigned int v = 0; v < sizeof(vals); v++)
			bz_fails += !!load_corrupted(bz, BZ_PM_OFF + BZ_PM_SIZE,
						     off, vals[v]);
	/* Magic, class, machine, flags and the like must have been caught. */
	cr_assert_gt(elf_fails, 100);
	cr_assert_gt(bz_fails, 20);
	free(bz);
}

Test(boot, null_arguments)
{
	struct x86_boot_in in = { .kernel_path = NULL, .cmdline = "" };
	struct x86_boot_state st;

	mem_one(64 * MiB);
	why = NULL;
	cr_assert_eq(x86_boot_load(&mem, &in, &st, &why), -EINVAL);
	cr_assert_not_null(why);
	in.kernel_path = "/nonexistent";
	cr_assert_eq(x86_boot_load(&mem, &in, &st, NULL), -ENOENT);
}

/* --- the real Debian kernel (IGNIS_TEST_BZIMAGE) ----------------------- */

static const char *real_bzimage(void)
{
	const char *p = getenv("IGNIS_TEST_BZIMAGE");

	if (!p || !*p || access(p, R_OK))
		cr_skip_test("IGNIS_TEST_BZIMAGE unset or unreadable: run scripts/fetch-test-kernel.sh");
	return p;
}

static uint8_t *read_whole(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long n;

	cr_assert_not_null(f, "%s", path);
	cr_assert_eq(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	cr_assert_gt(n, 0);
	rewind(f);
	buf = malloc((size_t)n);
	cr_assert_not_null(buf);
	cr_assert_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/* Runs "(tool) -dc <in >out"; its exit status, 127 if it is missing. */
static int run_decompressor(const char *tool, const char *in, const char *out)
{
	int status;
	pid_t pid = fork();

	cr_assert_geq(pid, 0);
	if (pid == 0) {
		int i = open(in, O_RDONLY), o = open(out, O_WRONLY | O_TRUNC);

		if (i < 0 || o < 0 || dup2(i, 0) < 0 || dup2(o, 1) < 0)
			_exit(126);
		execlp(tool, tool, "-dc", (char *)NULL);
		_exit(127);
	}
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/*
 * Extracts the ELF vmlinux from the bzImage (b, len): the payload at
 * payload_offset (from the protected-mode code) is compressed; Linux's
 * build appends the uncompressed size as 4 bytes (gzip's own trailer
 * ends with it too). Returns the path of the ELF file.
 */
static const char *extract_vmlinux(const uint8_t *b, size_t len)
{
	static const struct {
		const char *tool;	/* decompressor */
		const char *magic;	/* stream start */
		size_t magic_len;
		bool own_size_trailer;	/* gzip: size is part of the stream */
	} fmts[] = {
		{ "gzip", "\x1f\x8b", 2, true },
		{ "xz", "\xfd" "7zXZ\0", 6, false },
		{ "zstd", "\x28\xb5\x2f\xfd", 4, false },
		{ "lz4", "\x02\x21\x4c\x18", 4, false },
	};
	const struct bp_setup_header *h = (const void *)(b + 0x1f1);
	size_t pm = ((size_t)(h->setup_sects ? h->setup_sects : 4) + 1) * 512;
	const uint8_t *pl = b + pm + h->payload_offset;
	size_t pl_len = h->payload_length;
	const char *in, *out;
	uint8_t *elf;
	size_t elf_len;
	int rc;

	cr_assert_leq(pm + h->payload_offset + pl_len, len);
	cr_assert_gt(pl_len, 8);
	for (unsigned int i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++) {
		if (memcmp(pl, fmts[i].magic, fmts[i].magic_len))
			continue;
		in = file_with(pl, fmts[i].own_size_trailer ? pl_len :
							       pl_len - 4);
		out = file_with("", 0);
		rc = run_decompressor(fmts[i].tool, in, out);
		if (rc == 127)
			cr_skip_test("%s is not installed", fmts[i].tool);
		cr_assert_eq(rc, 0, "%s -dc failed", fmts[i].tool);
		elf = read_whole(out, &elf_len);
		cr_assert_eq((uint32_t)elf_len, get32(pl + pl_len - 4),
			     "decompressed size differs from the build's");
		cr_assert_arr_eq(elf, ELFMAG, SELFMAG);
		free(elf);
		return out;
	}
	cr_assert_fail("unknown payload compression %02x %02x %02x %02x",
		       pl[0], pl[1], pl[2], pl[3]);
	return NULL;
}

Test(boot, real_bzimage_header)
{
	size_t len;
	uint8_t *b = read_whole(real_bzimage(), &len);
	const struct bp_setup_header *h = (const void *)(b + 0x1f1);
	size_t pm = ((size_t)h->setup_sects + 1) * 512;

	cr_assert_eq(h->boot_flag, 0xaa55);
	cr_assert_eq(h->header, 0x53726448);
	cr_assert_geq(h->version, 0x020f);
	cr_assert_eq(h->relocatable_kernel, 1);
	cr_assert(h->xloadflags & 1, "XLF_KERNEL_64");
	cr_assert_lt(pm, len);
	cr_assert_geq(h->init_size, len - pm);
	cr_assert_leq(h->init_size, 256 * MiB);
	cr_assert_eq(h->kernel_alignment & (h->kernel_alignment - 1), 0);
	cr_assert_geq(h->pref_address, 1 * MiB);
	cr_assert_geq(h->cmdline_size, 255);
	free(b);
}

Test(boot, real_bzimage_loads)
{
	static uint8_t rd[5000];
	const struct bp_boot_params *bp;
	struct x86_boot_state st;
	size_t len;
	uint8_t *b = read_whole(real_bzimage(), &len);
	struct bp_setup_header h = *(struct bp_setup_header *)(b + 0x1f1);
	size_t pm = ((size_t)h.setup_sects + 1) * 512;

	mem_one(512 * MiB);
	cr_assert_eq(load(real_bzimage(), file_with(rd, sizeof(rd)),
			  "console=ttyS0 panic=-1", &st), 0, "%s", why);
	check_linux64(&st, h.pref_address + 0x200);
	cr_assert_eq(st.kernel_start, h.pref_address);
	cr_assert_eq(st.kernel_end, h.pref_address + h.init_size);
	cr_assert_arr_eq(gp(h.pref_address, len - pm), b + pm, len - pm);

	bp = zero_page();
	cr_assert_eq(bp->hdr.version, h.version);
	cr_assert_eq(bp->hdr.init_size, h.init_size);
	cr_assert_eq(bp->hdr.type_of_loader, 0xff);
	cr_assert_eq(bp->hdr.loadflags & 0x81, 0x81);
	cr_assert_eq(bp->hdr.heap_end_ptr, 0xfe00);
	cr_assert_eq(bp->hdr.cmd_line_ptr, X86_CMDLINE_START);
	cr_assert_eq(bp->hdr.setup_data, 0);
	cr_assert_geq(bp->hdr.ramdisk_image, st.kernel_end);
	cr_assert_eq(bp->hdr.ramdisk_image % 4096, 0);
	cr_assert_leq(bp->hdr.ramdisk_image + sizeof(rd), 512 * MiB);
	cr_assert_leq(bp->hdr.ramdisk_image + sizeof(rd) - 1,
		      h.initrd_addr_max);
	cr_assert_eq(bp->hdr.ramdisk_size, sizeof(rd));
	check_e820(bp->e820_table, bp->e820_entries, 512 * MiB, 0);
	cr_assert_str_eq(gp(X86_CMDLINE_START, 23), "console=ttyS0 panic=-1");
	free(b);
}

Test(boot, real_vmlinux_has_pvh_note_and_boots_pvh)
{
	size_t len, elf_len;
	uint8_t *b = read_whole(real_bzimage(), &len);
	const char *vmlinux = extract_vmlinux(b, len);
	uint8_t *elf = read_whole(vmlinux, &elf_len);
	const Elf64_Ehdr *eh = (const void *)elf;
	uint64_t pvh_entry = 0, lowest = UINT64_MAX;
	struct x86_boot_state st;

	free(b);
	cr_assert_eq(eh->e_machine, EM_X86_64);
	for (unsigned int i = 0; i < eh->e_phnum; i++) {
		const Elf64_Phdr *ph =
			(const Elf64_Phdr *)(elf + eh->e_phoff) + i;
		size_t off = ph->p_offset;

		if (ph->p_type == PT_LOAD && ph->p_paddr < lowest)
			lowest = ph->p_paddr;
		if (ph->p_type != PT_NOTE)
			continue;
		while (off + 12 <= ph->p_offset + ph->p_filesz) {
			uint32_t namesz = get32(elf + off);
			uint32_t descsz = get32(elf + off + 4);
			uint32_t type = get32(elf + off + 8);
			size_t desc = off + 12 + ((namesz + 3) & ~3u);

			if (type == 18 && namesz == 4 &&
			    !memcmp(elf + off + 12, "Xen", 4))
				memcpy(&pvh_entry, elf + desc,
				       descsz < 8 ? descsz : 8);
			off = desc + ((descsz + 3) & ~3u);
		}
	}
	free(elf);
	cr_assert_neq(pvh_entry, 0, "no XEN_ELFNOTE_PHYS32_ENTRY note");

	mem_one(512 * MiB);
	cr_assert_eq(load(vmlinux, NULL, "console=ttyS0", &st), 0, "%s", why);
	cr_assert_eq(st.protocol, X86_BOOT_PVH);
	cr_assert_eq(st.regs.rip, pvh_entry);
	cr_assert_eq(st.regs.rbx, X86_PVH_INFO_START);
	cr_assert_eq(st.kernel_start, lowest);
	cr_assert_eq(start_info()->magic, 0x336ec578);
	check_segments(&st, false);
}

/*
 * The reset code at F000:FFF0 is run, not just looked at: a vCPU on KVM
 * starting in real mode at the reset vector of a loaded guest must write
 * 0xfe to the i8042's command port (0x64), the reset ignis acts on. This
 * is the path Linux takes on "reboot" on a hardware-reduced machine when
 * built with CONFIG_EFI. Skipped without /dev/kvm.
 */
Test(boot, reset_vector_code_resets_through_the_i8042)
{
	struct kvm_userspace_memory_region slot = { 0 };
	struct x86_boot_state st;
	struct kvm_sregs sregs;
	struct kvm_regs regs = { .rip = 0xfff0, .rflags = 2 };
	struct kvm_run *run;
	struct elf_img e;
	int kvm, vm, cpu, run_size;

	mem_one(64 * MiB);
	elf_make(&e, 4);
	cr_assert_eq(load(file_with(&e, sizeof(e)), NULL, "", &st), 0, "%s",
		     why);
	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0)
		cr_skip_test("no /dev/kvm");
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	cr_assert_geq(vm, 0);
	slot.memory_size = mem.regions[0].size;
	slot.userspace_addr = (uint64_t)(uintptr_t)mem.regions[0].host;
	cr_assert_eq(ioctl(vm, KVM_SET_USER_MEMORY_REGION, &slot), 0);
	cpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	cr_assert_geq(cpu, 0);
	run_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	run = mmap(NULL, (size_t)run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		   cpu, 0);
	cr_assert_neq(run, MAP_FAILED);
	/* Real mode, CS = F000 (base 0xf0000), IP = 0xfff0: a CPU's reset
	 * state, or a BIOS reboot's far jump. */
	cr_assert_eq(ioctl(cpu, KVM_GET_SREGS, &sregs), 0);
	sregs.cs.selector = 0xf000;
	sregs.cs.base = 0xf0000;
	cr_assert_eq(ioctl(cpu, KVM_SET_SREGS, &sregs), 0);
	cr_assert_eq(ioctl(cpu, KVM_SET_REGS, &regs), 0);
	cr_assert_eq(ioctl(cpu, KVM_RUN, 0), 0);
	cr_assert_eq(run->exit_reason, KVM_EXIT_IO, "exit %u",
		     run->exit_reason);
	cr_assert_eq(run->io.direction, KVM_EXIT_IO_OUT);
	cr_assert_eq(run->io.port, X86_I8042_CMD_PORT);
	cr_assert_eq(run->io.size, 1);
	cr_assert_eq(*((uint8_t *)run + run->io.data_offset), 0xfe);
	munmap(run, (size_t)run_size);
	close(cpu);
	close(vm);
	close(kvm);
}
