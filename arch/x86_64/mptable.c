// SPDX-License-Identifier: Apache-2.0
/* arch/x86_64/mptable.c: Intel MultiProcessor Specification 1.4 tables. */
#include "arch/x86_64/cpu.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "arch/x86_64/layout.h"

/*
 * All of it lives in the first KiB of the EBDA, the first place the MP spec
 * (4.) tells the OS to search: [X86_EBDA_START, X86_EBDA_START + 1 KiB).
 * Multi-byte fields are little-endian in the guest, as on the host.
 */
#define MP_AREA_SIZE 1024u

#define MP_SPEC_REV 4 /* 1.4 */
#define MP_FLOAT_SIGNATURE "_MP_"
#define MP_TABLE_SIGNATURE "PCMP"
#define MP_OEM_ID "IGNIS   " /* 8 chars, space padded */
#define MP_PRODUCT_ID "MICROVM     " /* 12 chars, space padded */

/* Entry types (MP spec table 4-3). */
enum mp_entry_type {
	MP_PROCESSOR = 0,
	MP_BUS = 1,
	MP_IOAPIC = 2,
	MP_INTSRC = 3,
	MP_LINTSRC = 4,
};

/* Interrupt types (table 4-9). */
enum mp_irq_type {
	MP_IRQ_INT = 0,
	MP_IRQ_NMI = 1,
	MP_IRQ_SMI = 2,
	MP_IRQ_EXTINT = 3,
};

#define MP_CPU_ENABLED 0x01 /* cpuflag EN */
#define MP_CPU_BSP 0x02 /* cpuflag BP */
#define MP_IOAPIC_ENABLED 0x01 /* flags EN */
#define MP_IRQFLAG_CONFORMS 0x0000 /* polarity, trigger as the bus: ISA */
#define MP_APIC_ALL 0xff /* local-interrupt destination: every APIC */

/* What KVM's in-kernel LAPIC and IOAPIC report in their version registers. */
#define MP_LAPIC_VERSION 0x14
#define MP_IOAPIC_VERSION 0x11

/* Processor entries want a CPUID signature and EDX features; Linux ignores
 * both, so a generic family-6 part with an FPU and an APIC is described. */
#define MP_CPU_SIGNATURE (6u << 8) /* family 6, model 0, stepping 0 */
#define MP_CPU_FEATURE_FPU (1u << 0)
#define MP_CPU_FEATURE_APIC (1u << 9)

/* MP floating pointer structure (4.1). */
struct mp_float {
	char signature[4]; /* "_MP_" */
	uint32_t physptr; /* guest address of the configuration table */
	uint8_t length; /* in 16-byte paragraphs: 1 */
	uint8_t spec; /* MP_SPEC_REV */
	uint8_t checksum; /* the 16 bytes sum to 0 */
	uint8_t feature1; /* 0: a configuration table is present */
	uint8_t feature2; /* bit 7 IMCRP clear: virtual-wire mode */
	uint8_t feature_rsvd[3]; /* reserved, 0 */
} __attribute__((packed));

/* MP configuration table header (4.2). */
struct mp_table {
	char signature[4]; /* "PCMP" */
	uint16_t length; /* base table bytes, header included */
	uint8_t spec; /* MP_SPEC_REV */
	uint8_t checksum; /* the base table sums to 0 */
	char oem[8]; /* OEM ID */
	char product[12]; /* product ID */
	uint32_t oem_ptr; /* OEM table: none */
	uint16_t oem_size; /* its size: 0 */
	uint16_t count; /* entries in the base table */
	uint32_t lapic; /* local APIC address */
	uint16_t ext_length; /* extended table: none */
	uint8_t ext_checksum; /* its checksum: 0 */
	uint8_t reserved; /* 0 */
} __attribute__((packed));

/* Processor entry (4.3.1). */
struct mp_cpu {
	uint8_t type; /* MP_PROCESSOR */
	uint8_t apic_id; /* local APIC ID */
	uint8_t apic_version; /* local APIC version */
	uint8_t flags; /* MP_CPU_ENABLED, MP_CPU_BSP */
	uint32_t signature; /* CPUID family/model/stepping */
	uint32_t features; /* CPUID.1:EDX */
	uint32_t reserved[2]; /* 0 */
} __attribute__((packed));

/* Bus entry (4.3.2). */
struct mp_bus {
	uint8_t type; /* MP_BUS */
	uint8_t bus_id; /* 0 */
	char bus_type[6]; /* "ISA   " */
} __attribute__((packed));

/* I/O APIC entry (4.3.3). */
struct mp_ioapic {
	uint8_t type; /* MP_IOAPIC */
	uint8_t apic_id; /* I/O APIC ID, distinct from every CPU's */
	uint8_t apic_version; /* I/O APIC version */
	uint8_t flags; /* MP_IOAPIC_ENABLED */
	uint32_t addr; /* MMIO base */
} __attribute__((packed));

/* I/O interrupt assignment entry (4.3.4). */
struct mp_intsrc {
	uint8_t type; /* MP_INTSRC */
	uint8_t irq_type; /* enum mp_irq_type */
	uint16_t irq_flags; /* polarity [1:0], trigger [3:2] */
	uint8_t src_bus; /* source bus ID */
	uint8_t src_irq; /* IRQ on that bus */
	uint8_t dst_apic; /* I/O APIC ID */
	uint8_t dst_pin; /* its input pin */
} __attribute__((packed));

/* Local interrupt assignment entry (4.3.5). */
struct mp_lintsrc {
	uint8_t type; /* MP_LINTSRC */
	uint8_t irq_type; /* enum mp_irq_type */
	uint16_t irq_flags; /* polarity [1:0], trigger [3:2] */
	uint8_t src_bus; /* source bus ID */
	uint8_t src_irq; /* IRQ on that bus */
	uint8_t dst_apic; /* local APIC ID, MP_APIC_ALL for all */
	uint8_t dst_lint; /* LINT0 or LINT1 */
} __attribute__((packed));

_Static_assert(sizeof(struct mp_float) == 16, "MP floating pointer");
_Static_assert(sizeof(struct mp_table) == 44, "MP table header");
_Static_assert(sizeof(struct mp_cpu) == 20, "MP processor entry");
_Static_assert(sizeof(struct mp_bus) == 8, "MP bus entry");
_Static_assert(sizeof(struct mp_ioapic) == 8, "MP I/O APIC entry");
_Static_assert(sizeof(struct mp_intsrc) == 8, "MP interrupt entry");
_Static_assert(sizeof(struct mp_lintsrc) == 8, "MP local interrupt entry");

/*
 * ISA IRQ i goes to IOAPIC pin i for every pin, 0 included, and 16..23 are
 * listed too:
 * - ignis's IOAPIC (arch/x86_64/irqchip.c) raises ISA IRQ i on pin i, as
 *   KVM's in-kernel one does with its default GSI routing; there is no PIT,
 *   so the PC convention IRQ0 -> pin 2 would only name a silent pin.
 * - Linux (setup_IO_APIC_irqs) only sets up pins that have an entry, and
 *   devices (virtio-mmio) get IRQs above 15 as on Firecracker.
 * Flags "conform to bus" make them ISA-style: edge, active high.
 */
#define MP_NR_INTSRC X86_IOAPIC_PINS
/* LINT0 ExtINT and LINT1 NMI, each for all local APICs. */
#define MP_NR_LINTSRC 2

#define MP_FIXED_SIZE                                        \
	(sizeof(struct mp_float) + sizeof(struct mp_table) + \
	 sizeof(struct mp_bus) + sizeof(struct mp_ioapic) +  \
	 MP_NR_INTSRC * sizeof(struct mp_intsrc) +           \
	 MP_NR_LINTSRC * sizeof(struct mp_lintsrc))
#define MP_MAX_CPUS ((MP_AREA_SIZE - MP_FIXED_SIZE) / sizeof(struct mp_cpu))

_Static_assert(MP_FIXED_SIZE < MP_AREA_SIZE, "MP table fixed part fits");
/* The I/O APIC takes ID nr_cpus; it must stay below the broadcast ID. */
_Static_assert(MP_MAX_CPUS < MP_APIC_ALL, "IOAPIC ID fits in 8 bits");
/* The physptr field is 32 bits. */
_Static_assert(X86_EBDA_START + MP_AREA_SIZE <= 0x100000000ull,
	       "MP table below 4 GiB");

unsigned int x86_mptable_max_cpus(void)
{
	return (unsigned int)MP_MAX_CPUS;
}

static uint8_t mp_checksum(const void *buf, size_t len)
{
	const uint8_t *p = buf;
	uint8_t sum = 0;

	while (len--)
		sum += *p++;
	return (uint8_t)-sum;
}

/* Appends (len) bytes at (*pos) in (buf); the caller sized buf. */
static void mp_put(uint8_t *buf, size_t *pos, const void *entry, size_t len)
{
	memcpy(buf + *pos, entry, len);
	*pos += len;
}

int x86_mptable_write(const struct gmem *mem, unsigned int nr_cpus)
{
	uint8_t buf[MP_AREA_SIZE] = { 0 };
	const size_t table_off = sizeof(struct mp_float);
	const uint8_t ioapic_id = (uint8_t)nr_cpus;
	struct mp_float mpf = { 0 };
	struct mp_table hdr = { 0 };
	size_t pos = table_off + sizeof(hdr);
	uint16_t count = 0;
	void *dst;

	if (nr_cpus == 0)
		return -EINVAL;
	if (nr_cpus > x86_mptable_max_cpus())
		return -E2BIG;
	/* The whole KiB, so that no table can end outside guest RAM. */
	dst = gmem_ptr(mem, gpa(X86_EBDA_START), MP_AREA_SIZE);
	if (!dst)
		return -EFAULT;

	for (unsigned int cpu = 0; cpu < nr_cpus; cpu++) {
		struct mp_cpu e = {
			.type = MP_PROCESSOR,
			.apic_id = (uint8_t)cpu,
			.apic_version = MP_LAPIC_VERSION,
			.flags = MP_CPU_ENABLED | (cpu == 0 ? MP_CPU_BSP : 0),
			.signature = MP_CPU_SIGNATURE,
			.features = MP_CPU_FEATURE_FPU | MP_CPU_FEATURE_APIC,
		};

		mp_put(buf, &pos, &e, sizeof(e));
		count++;
	}

	{
		struct mp_bus e = { .type = MP_BUS, .bus_id = 0 };

		memcpy(e.bus_type, "ISA   ", sizeof(e.bus_type));
		mp_put(buf, &pos, &e, sizeof(e));
		count++;
	}

	{
		struct mp_ioapic e = {
			.type = MP_IOAPIC,
			.apic_id = ioapic_id,
			.apic_version = MP_IOAPIC_VERSION,
			.flags = MP_IOAPIC_ENABLED,
			.addr = (uint32_t)X86_IOAPIC_ADDR,
		};

		mp_put(buf, &pos, &e, sizeof(e));
		count++;
	}

	for (unsigned int irq = 0; irq < MP_NR_INTSRC; irq++) {
		struct mp_intsrc e = {
			.type = MP_INTSRC,
			.irq_type = MP_IRQ_INT,
			.irq_flags = MP_IRQFLAG_CONFORMS,
			.src_bus = 0,
			.src_irq = (uint8_t)irq,
			.dst_apic = ioapic_id,
			.dst_pin = (uint8_t)irq,
		};

		mp_put(buf, &pos, &e, sizeof(e));
		count++;
	}

	for (unsigned int lint = 0; lint < MP_NR_LINTSRC; lint++) {
		/* Matches what x86_lapic_set_lint() programs in every LAPIC. */
		struct mp_lintsrc e = {
			.type = MP_LINTSRC,
			.irq_type = lint == 0 ? MP_IRQ_EXTINT : MP_IRQ_NMI,
			.irq_flags = MP_IRQFLAG_CONFORMS,
			.src_bus = 0,
			.src_irq = 0,
			.dst_apic = MP_APIC_ALL,
			.dst_lint = (uint8_t)lint,
		};

		mp_put(buf, &pos, &e, sizeof(e));
		count++;
	}

	memcpy(hdr.signature, MP_TABLE_SIGNATURE, sizeof(hdr.signature));
	hdr.length = (uint16_t)(pos - table_off);
	hdr.spec = MP_SPEC_REV;
	memcpy(hdr.oem, MP_OEM_ID, sizeof(hdr.oem));
	memcpy(hdr.product, MP_PRODUCT_ID, sizeof(hdr.product));
	hdr.count = count;
	hdr.lapic = (uint32_t)X86_LAPIC_ADDR;
	memcpy(buf + table_off, &hdr, sizeof(hdr));
	/* The checksum byte is still 0, so this sums everything else. */
	buf[table_off + offsetof(struct mp_table, checksum)] =
		mp_checksum(buf + table_off, hdr.length);

	memcpy(mpf.signature, MP_FLOAT_SIGNATURE, sizeof(mpf.signature));
	mpf.physptr = (uint32_t)(X86_EBDA_START + table_off);
	mpf.length = 1;
	mpf.spec = MP_SPEC_REV;
	mpf.checksum = mp_checksum(&mpf, sizeof(mpf));
	memcpy(buf, &mpf, sizeof(mpf));

	/* One copy of the whole KiB: the rest of it is left zeroed, not stale. */
	memcpy(dst, buf, sizeof(buf));
	return 0;
}
