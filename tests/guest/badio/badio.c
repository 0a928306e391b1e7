// SPDX-License-Identifier: Apache-2.0
/* tests/guest/badio/badio.c: pokes ports and MMIO nobody emulates. */
#include "rt.h"

/*
 * Ports with no device behind them on ignis (0x80: POST code, 0xcf8/0xcfc:
 * PCI config, 0x510: fw_cfg, 0x2f8: COM2, 0x61: port B, 0xffff: the last
 * port). Not COM1's registers: a write to its LCR would set DLAB and
 * garble the output that follows.
 */
static const uint16_t badio_ports[] = {
	0x80, 0x1234, 0xcf8, 0xcfc, 0x510, 0x2f8, 0x61, 0xffff,
};

/* MMIO: unbacked addresses in the 32-bit hole, and its very last dword. */
static const uint64_t badio_mmio[] = {
	0xd0000000, 0xd0000ffc, 0xdfffff00, 0xfffffffc,
};

static void poke_ports(void)
{
	unsigned int i;
	uint32_t sink = 0;

	for (i = 0; i < sizeof(badio_ports) / sizeof(badio_ports[0]); i++) {
		uint16_t p = badio_ports[i];

		sink += rt_inb(p);
		rt_outb(p, 0xa5);
		if (p < 0xfffe)
			sink += rt_inw(p), rt_outw(p, 0x5aa5);
		if (p < 0xfffc)
			sink += rt_inl(p), rt_outl(p, 0xdeadbeef);
	}
	rt_puts("badio: ports done ");
	rt_put_hex(sink, 8);
	rt_putc('\n');
}

static void poke_strings(void)
{
	static const char msg[] = "badio: string out ok\n";
	unsigned char buf[8];
	const void *src = msg;
	void *dst = buf;
	uint64_t n = sizeof(msg) - 1;

	/* One exit with a count > 1: the VMM must print every byte. */
	__asm__ volatile("rep outsb"
			 : "+S"(src), "+c"(n)
			 : "d"((uint16_t)RT_COM1)
			 : "memory");
	n = sizeof(buf);
	__asm__ volatile("rep insb"
			 : "+D"(dst), "+c"(n)
			 : "d"((uint16_t)0x1234)
			 : "memory");
}

static void poke_mmio(void)
{
	unsigned int i;
	uint32_t sink = 0;

	for (i = 0; i < sizeof(badio_mmio) / sizeof(badio_mmio[0]); i++) {
		uint64_t a = badio_mmio[i];

		sink += rt_mmio_read32(a);
		rt_mmio_write32(a, 0xdeadbeef);
		sink += *(volatile uint8_t *)a;
		*(volatile uint8_t *)a = 0x5a;
		sink += (uint32_t)*(volatile uint64_t *)(a & ~7ULL);
		*(volatile uint64_t *)(a & ~7ULL) = 0x0123456789abcdefULL;
	}
	rt_puts("badio: mmio done ");
	rt_put_hex(sink, 8);
	rt_putc('\n');
}

void guest_main(unsigned int proto, uint64_t info)
{
	rt_puts("badio: start\n");
	poke_ports();
	poke_strings();
	poke_mmio();
	rt_puts("survived\n");
}
