// SPDX-License-Identifier: Apache-2.0
/* tests/guest/irq/irq.c: takes one real UART interrupt through the IOAPIC. */
#include "rt.h"

/*
 * The path Linux sets up from an MP table's "ISA IRQ 4 -> IOAPIC pin 4,
 * edge, active high" entry: the 8259s masked, the LAPIC software-enabled,
 * redirection entry 4 unmasked and aimed at this CPU, then the UART's
 * transmit-holding-register-empty interrupt enabled. It works the same
 * with the IOAPIC in the kernel (KVM_CREATE_IRQCHIP) or in the VMM (split
 * irqchip), and on QEMU.
 *
 * All of it runs in rt_cpl0_hook(), at CPL0: on PVM hosts an interrupt
 * that arrives at CPL3 never reaches the IDT and ends the VM. That code is
 * emulated there (~1 us an instruction), so it is a few hundred
 * instructions, no printing; guest_main() reports at CPL3.
 */

#define IRQ_VECTOR	0x30	/* first vector Linux gives devices */
#define IRQ_PIN		4	/* COM1: ISA IRQ 4, identity-mapped pin */

/* 8259A PICs: OCW1 on the data ports sets the interrupt mask. */
#define PIC1_DATA	0x21
#define PIC2_DATA	0xa1

/* xAPIC registers (SDM vol. 3, 11.4.1). */
#define LAPIC_BASE	0xfee00000ULL
#define LAPIC_ID	0x020
#define LAPIC_SVR	0x0f0
#define LAPIC_LVT0	0x350
#define LAPIC_SVR_ENABLE	0x100
#define LAPIC_SPURIOUS	0xff	/* spurious vector (its low 4 bits: 1s) */
#define LAPIC_LVT_MASK	0x10000

/* I/O APIC (82093AA datasheet, 3.0). */
#define IOAPIC_BASE	0xfec00000ULL
#define IOAPIC_REGSEL	0x00
#define IOAPIC_IOWIN	0x10
#define IOAPIC_REG_VER	0x01
#define IOAPIC_REG_RTE(pin)	(0x10 + 2 * (pin))
#define RTE_MASK	0x10000

/* 16550 registers, offsets from COM1. */
#define UART_IER	1
#define UART_IIR	2
#define UART_MCR	4
#define UART_IER_THRI	0x02
#define UART_MCR_DTR_RTS_OUT2	0x0b

/* 64-bit interrupt gate: present, DPL 0, type 0xe. */
#define GATE_INTR	0x8e
#define KERNEL_CS	0x08

/* Time to wait for the interrupt, in TSC cycles: ~1 s at 3 GHz. */
#define IRQ_TIMEOUT	3000000000ULL

/* One IDT entry (SDM vol. 3, 6.14.1). */
struct idt_gate {
	uint16_t off_lo;	/* handler bits 0-15 */
	uint16_t sel;		/* code segment */
	uint8_t ist;		/* interrupt stack table index, 0: none */
	uint8_t type;		/* P, DPL, type */
	uint16_t off_mid;	/* handler bits 16-31 */
	uint32_t off_hi;	/* handler bits 32-63 */
	uint32_t reserved;	/* zero */
};
_Static_assert(sizeof(struct idt_gate) == 16, "64-bit IDT gate layout");

/* The operand of lidt. */
struct idt_desc {
	uint16_t limit;		/* bytes - 1 */
	uint64_t base;		/* first gate */
} __attribute__((packed));

/* Vectors 0 to IRQ_VECTOR; all but IRQ_VECTOR stay not-present, so any
 * exception still ends the VM (#NP, #DF, then a triple fault). */
static struct idt_gate irq_idt[IRQ_VECTOR + 1] __attribute__((aligned(16)));

static const struct idt_desc irq_idt_desc = {
	.limit = sizeof(irq_idt) - 1,
	.base = (uint64_t)irq_idt,
};

/* Interrupts taken; irq_entry.S increments it. */
volatile uint32_t irq_count;
/* What the hook saw, for guest_main() to print. */
static uint32_t irq_seen, irq_ioapic_ver;

void irq_handler(void);

static uint32_t lapic_read(uint32_t reg)
{
	return rt_mmio_read32(LAPIC_BASE + reg);
}

static void lapic_write(uint32_t reg, uint32_t v)
{
	rt_mmio_write32(LAPIC_BASE + reg, v);
}

static uint32_t ioapic_read(uint32_t reg)
{
	rt_mmio_write32(IOAPIC_BASE + IOAPIC_REGSEL, reg);
	return rt_mmio_read32(IOAPIC_BASE + IOAPIC_IOWIN);
}

static void ioapic_write(uint32_t reg, uint32_t v)
{
	rt_mmio_write32(IOAPIC_BASE + IOAPIC_REGSEL, reg);
	rt_mmio_write32(IOAPIC_BASE + IOAPIC_IOWIN, v);
}

static void irq_set_gate(unsigned int vector, void (*fn)(void))
{
	uint64_t a = (uint64_t)fn;

	irq_idt[vector] = (struct idt_gate){
		.off_lo = (uint16_t)a,
		.sel = KERNEL_CS,
		.type = GATE_INTR,
		.off_mid = (uint16_t)(a >> 16),
		.off_hi = (uint32_t)(a >> 32),
	};
}

static void irq_setup(void)
{
	uint32_t apic_id = lapic_read(LAPIC_ID) >> 24;

	irq_set_gate(IRQ_VECTOR, irq_handler);
	__asm__ volatile("lidt %0" : : "m"(irq_idt_desc));
	irq_ioapic_ver = ioapic_read(IOAPIC_REG_VER);
	/* With an IOAPIC the 8259s are unused; left open they would also
	 * pass IRQ 4 on as ExtINT with whatever vector base they have. */
	rt_outb(PIC1_DATA, 0xff);
	rt_outb(PIC2_DATA, 0xff);
	lapic_write(LAPIC_LVT0, lapic_read(LAPIC_LVT0) | LAPIC_LVT_MASK);
	lapic_write(LAPIC_SVR, LAPIC_SVR_ENABLE | LAPIC_SPURIOUS);
	/* High half first, so the pin is never live with a stale target.
	 * Low half: fixed, physical, active high, edge, unmasked. */
	ioapic_write(IOAPIC_REG_RTE(IRQ_PIN) + 1, apic_id << 24);
	ioapic_write(IOAPIC_REG_RTE(IRQ_PIN), IRQ_VECTOR);
	rt_outb(RT_COM1 + UART_MCR, UART_MCR_DTR_RTS_OUT2);
}

/* Leaves nothing that could interrupt CPL3 later. */
static void irq_teardown(void)
{
	rt_outb(RT_COM1 + UART_IER, 0);
	(void)rt_inb(RT_COM1 + UART_IIR);	/* acknowledges THRE */
	ioapic_write(IOAPIC_REG_RTE(IRQ_PIN), RTE_MASK | IRQ_VECTOR);
}

void rt_cpl0_hook(void)
{
	uint64_t t0;

	irq_setup();
	__asm__ volatile("sti" ::: "memory");
	/* The holding register is empty, so this raises IRQ 4 at once. */
	rt_outb(RT_COM1 + UART_IER, UART_IER_THRI);
	t0 = rt_rdtsc();
	while (!irq_count && rt_rdtsc() - t0 < IRQ_TIMEOUT)
		__asm__ volatile("pause" ::: "memory");
	__asm__ volatile("cli" ::: "memory");
	irq_seen = irq_count;
	irq_teardown();
}

void guest_main(unsigned int proto, uint64_t info)
{
	rt_puts("irq: ioapic version ");
	rt_put_hex(irq_ioapic_ver & 0xff, 2);
	rt_puts(" pins ");
	rt_put_dec(((irq_ioapic_ver >> 16) & 0xff) + 1);
	rt_putc('\n');
	if (!irq_seen) {
		rt_puts("irq: no interrupt\n");
		return;
	}
	rt_puts("irq: vector ");
	rt_put_dec(IRQ_VECTOR);
	rt_puts(" delivered\n");
}
