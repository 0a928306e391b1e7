// SPDX-License-Identifier: Apache-2.0
/* tests/guest/bootinfo64/bootinfo64.c: prints the boot_params it was given. */
#include "report.h"
#include "rt.h"

/*
 * Offsets into struct boot_params (the zero page), from Linux's
 * arch/x86/include/uapi/asm/bootparam.h and
 * Documentation/arch/x86/zero-page.rst.
 */
#define BP_ACPI_RSDP_ADDR	0x070	/* u64: ACPI RSDP (protocol 2.14+) */
#define BP_EXT_RAMDISK_IMAGE	0x0c0	/* u32: ramdisk_image bits 32-63 */
#define BP_EXT_RAMDISK_SIZE	0x0c4	/* u32: ramdisk_size bits 32-63 */
#define BP_EXT_CMD_LINE_PTR	0x0c8	/* u32: cmd_line_ptr bits 32-63 */
#define BP_E820_ENTRIES		0x1e8	/* u8 */
#define BP_BOOT_FLAG		0x1fe	/* u16: 0xaa55 */
#define BP_HEADER		0x202	/* u32: "HdrS" */
#define BP_VERSION		0x206	/* u16: boot protocol version */
#define BP_TYPE_OF_LOADER	0x210	/* u8 */
#define BP_RAMDISK_IMAGE	0x218	/* u32 */
#define BP_RAMDISK_SIZE		0x21c	/* u32 */
#define BP_CMD_LINE_PTR		0x228	/* u32 */
#define BP_E820_TABLE		0x2d0	/* struct boot_e820_entry[128] */
#define BP_SIZE			0x1000
#define BP_E820_MAX		128

struct boot_e820_entry {
	uint64_t addr;			/* range start */
	uint64_t size;			/* range size */
	uint32_t type;			/* 1 RAM, 2 reserved, ... */
} __attribute__((packed));
_Static_assert(sizeof(struct boot_e820_entry) == 20, "e820 entry layout");

static uint32_t bp32(const unsigned char *bp, unsigned int off)
{
	uint32_t v;

	memcpy(&v, bp + off, sizeof(v));
	return v;
}

static uint16_t bp16(const unsigned char *bp, unsigned int off)
{
	uint16_t v;

	memcpy(&v, bp + off, sizeof(v));
	return v;
}

static void print_header(const unsigned char *bp)
{
	rt_puts("hdr boot_flag ");
	rt_put_hex(bp16(bp, BP_BOOT_FLAG), 4);
	rt_puts(" header ");
	rt_put_hex(bp32(bp, BP_HEADER), 8);
	rt_puts(" version ");
	rt_put_hex(bp16(bp, BP_VERSION), 4);
	rt_puts(" loader ");
	rt_put_hex(bp[BP_TYPE_OF_LOADER], 2);
	rt_putc('\n');
}

static void print_e820(const unsigned char *bp)
{
	const struct boot_e820_entry *e;
	unsigned int i, n = bp[BP_E820_ENTRIES];
	uint64_t ram = 0;

	rt_puts("memmap ");
	rt_put_dec(n);
	rt_putc('\n');
	if (n > BP_E820_MAX) {
		rt_puts("bad memmap\n");
		return;
	}
	e = (const struct boot_e820_entry *)(bp + BP_E820_TABLE);
	for (i = 0; i < n; i++)
		report_mem(e[i].addr, e[i].size, e[i].type, &ram);
	report_ram(ram);
}

static uint8_t sum8(const unsigned char *p, unsigned int len)
{
	uint8_t s = 0;

	while (len--)
		s += *p++;
	return s;
}

/* Where boot_params says the RSDP is, and whether one is there: the
 * signature and both checksums (ACPI 6.5, 5.2.5.3). */
static void print_rsdp(const unsigned char *bp)
{
	uint64_t addr = (uint64_t)bp32(bp, BP_ACPI_RSDP_ADDR + 4) << 32 |
			bp32(bp, BP_ACPI_RSDP_ADDR);
	const unsigned char *r = (const unsigned char *)addr;

	rt_puts("rsdp ");
	rt_put_hex(addr, 0);
	if (addr && rt_is_mapped(addr, 36)) {
		rt_puts(memcmp(r, "RSD PTR ", 8) ? " bad-signature" :
						   " RSD PTR");
		rt_puts(sum8(r, 20) || sum8(r, 36) ? " bad-checksum" :
						     " checksums-ok");
	}
	rt_putc('\n');
}

void guest_main(unsigned int proto, uint64_t info)
{
	const unsigned char *bp = (const unsigned char *)info;

	report_entry(proto);
	if (proto == RT_BOOT_PVH || !rt_is_mapped(info, BP_SIZE)) {
		rt_puts("bad boot_params\n");
		return;
	}
	print_header(bp);
	report_cmdline((uint64_t)bp32(bp, BP_EXT_CMD_LINE_PTR) << 32 |
		       bp32(bp, BP_CMD_LINE_PTR));
	print_e820(bp);
	report_initrd((uint64_t)bp32(bp, BP_EXT_RAMDISK_IMAGE) << 32 |
			      bp32(bp, BP_RAMDISK_IMAGE),
		      (uint64_t)bp32(bp, BP_EXT_RAMDISK_SIZE) << 32 |
			      bp32(bp, BP_RAMDISK_SIZE));
	print_rsdp(bp);
}
