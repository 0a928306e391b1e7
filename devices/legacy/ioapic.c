// SPDX-License-Identifier: Apache-2.0
/* devices/legacy/ioapic.c: an 82093AA I/O APIC for a split irqchip. */
#include "ioapic.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* MMIO registers (82093AA datasheet, 3.0). */
#define IOAPIC_IOREGSEL		0x00	/* selects the register IOWIN shows */
#define IOAPIC_IOWIN		0x10	/* the selected register */

/* Indirect registers, selected through IOREGSEL. */
#define IOAPIC_REG_ID		0x00	/* bits 24-27: the IOAPIC's ID */
#define IOAPIC_REG_VER		0x01	/* version, max redirection entry */
#define IOAPIC_REG_ARB		0x02	/* bits 24-27: arbitration ID */
#define IOAPIC_REG_REDTBL	0x10	/* 2 dwords per pin, low half first */
#define IOAPIC_REG_END		(IOAPIC_REG_REDTBL + 2 * IOAPIC_NR_PINS)

#define IOAPIC_ID_SHIFT		24
#define IOAPIC_ID_MASK		0x0f
#define IOAPIC_VER_MRE_SHIFT	16	/* maximum redirection entry */

/* Redirection entry fields (datasheet 3.2.4). */
#define RTE_VECTOR		0x000000ffULL
#define RTE_DM_SHIFT		8
#define RTE_DM			(7ULL << RTE_DM_SHIFT)	/* delivery mode */
#define RTE_DESTMODE		(1ULL << 11)	/* 1: logical */
#define RTE_DELIVS		(1ULL << 12)	/* send pending (RO) */
#define RTE_POLARITY		(1ULL << 13)	/* 1: active low */
#define RTE_REMOTE_IRR		(1ULL << 14)	/* level: sent, no EOI (RO) */
#define RTE_LEVEL		(1ULL << 15)	/* trigger mode, 1: level */
#define RTE_MASK		(1ULL << 16)	/* 1: masked */
#define RTE_DEST_SHIFT		56
#define RTE_DEST		(0xffULL << RTE_DEST_SHIFT)
/* What the guest may write; bits 17-55 are reserved (bit 48 is the
 * remappable format under interrupt remapping, which is not offered). */
#define RTE_WRITABLE		(RTE_VECTOR | RTE_DM | RTE_DESTMODE | \
				 RTE_POLARITY | RTE_LEVEL | RTE_MASK | RTE_DEST)

/* Delivery modes (datasheet 3.2.4, SDM vol. 3 11.11.2). */
#define DM_FIXED		0
#define DM_LOWEST		1
#define DM_SMI			2
#define DM_NMI			4
#define DM_INIT			5
#define DM_EXTINT		7

/* The MSI message (SDM vol. 3, 11.11.1 and 11.11.2). */
#define MSI_ADDR_BASE		0xfee00000ULL
#define MSI_ADDR_DEST_SHIFT	12
#define MSI_ADDR_DESTMODE	(1ULL << 2)	/* 1: logical */
#define MSI_DATA_DM_SHIFT	8
#define MSI_DATA_ASSERT		(1U << 14)	/* level: assert */
#define MSI_DATA_LEVEL		(1U << 15)	/* trigger mode, 1: level */

/* Vectors 0-15 are reserved: a LAPIC refuses them as illegal. */
#define IOAPIC_MIN_VECTOR	16

/* What set_route last heard about a pin. */
struct ioapic_route {
	uint64_t addr;		/* MSI address */
	uint32_t data;		/* MSI data */
	bool masked;		/* pin masked */
};

/* One input pin. */
struct ioapic_pin {
	uint64_t rte;		/* redirection table entry */
	bool line;		/* input asserted (logical level) */
	struct ioapic_route route;	/* last reported through set_route */
};

struct ioapic {
	pthread_mutex_t lock;	/* vCPU threads and interrupt sources */
	const struct ioapic_ops *ops;	/* where MSIs go */
	void *ctx;		/* their context */
	uint32_t regsel;	/* IOREGSEL: bits 0-7 */
	uint8_t id;		/* IOAPICID bits 24-27 */
	uint64_t errors;	/* MSIs not delivered, routes not set */
	struct ioapic_pin pins[IOAPIC_NR_PINS];	/* the redirection table */
};

int ioapic_create(const struct ioapic_ops *ops, void *ctx,
		  struct ioapic **out)
{
	struct ioapic *io;
	unsigned int i;

	if (!ops || !ops->send_msi)
		return -EINVAL;
	io = calloc(1, sizeof(*io));
	if (!io)
		return -ENOMEM;
	pthread_mutex_init(&io->lock, NULL);
	io->ops = ops;
	io->ctx = ctx;
	/* "IOREDTBL: ... bit 16 ... is set to 1 after reset" (every pin
	 * masked); the routes' starting point matches that. */
	for (i = 0; i < IOAPIC_NR_PINS; i++) {
		io->pins[i].rte = RTE_MASK;
		io->pins[i].route.addr = MSI_ADDR_BASE;
		io->pins[i].route.masked = true;
	}
	*out = io;
	return 0;
}

void ioapic_destroy(struct ioapic *io)
{
	if (!io)
		return;
	pthread_mutex_destroy(&io->lock);
	free(io);
}

static uint64_t ioapic_msi_addr(uint64_t rte)
{
	uint64_t dest = (rte & RTE_DEST) >> RTE_DEST_SHIFT;

	return MSI_ADDR_BASE | dest << MSI_ADDR_DEST_SHIFT |
	       ((rte & RTE_DESTMODE) ? MSI_ADDR_DESTMODE : 0);
}

static uint32_t ioapic_msi_data(uint64_t rte)
{
	uint32_t data = (uint32_t)(rte & (RTE_VECTOR | RTE_DM));

	/* The Level bit only means something for level triggers, where
	 * an IOAPIC message always asserts. */
	if (rte & RTE_LEVEL)
		data |= MSI_DATA_LEVEL | MSI_DATA_ASSERT;
	return data;
}

/* True if (rte)'s message means something to a LAPIC without a PIC. */
static bool ioapic_rte_is_deliverable(uint64_t rte)
{
	unsigned int dm = (unsigned int)((rte & RTE_DM) >> RTE_DM_SHIFT);

	switch (dm) {
	case DM_FIXED:
	case DM_LOWEST:
		return (rte & RTE_VECTOR) >= IOAPIC_MIN_VECTOR;
	case DM_SMI:
	case DM_NMI:
	case DM_INIT:
		return true;
	default:
		/* ExtINT wants an 8259 to supply the vector; 3 and 6 are
		 * reserved. */
		return false;
	}
}

/* Sends (pin)'s message; sets remote IRR for a level pin that the LAPICs
 * took. Lock held. */
static int ioapic_deliver(struct ioapic *io, unsigned int pin)
{
	struct ioapic_pin *p = &io->pins[pin];
	int err;

	if (!ioapic_rte_is_deliverable(p->rte)) {
		io->errors++;
		return 0;	/* a guest mistake, not the caller's */
	}
	err = io->ops->send_msi(io->ctx, ioapic_msi_addr(p->rte),
				ioapic_msi_data(p->rte));
	if (err) {
		io->errors++;
		return err;
	}
	if (p->rte & RTE_LEVEL)
		p->rte |= RTE_REMOTE_IRR;
	return 0;
}

/* A level pin that is asserted, unmasked and not awaiting an EOI gets
 * (re)delivered. Lock held. */
static int ioapic_service_level(struct ioapic *io, unsigned int pin)
{
	const struct ioapic_pin *p = &io->pins[pin];

	if (!(p->rte & RTE_LEVEL) || !p->line || (p->rte & RTE_MASK) ||
	    (p->rte & RTE_REMOTE_IRR))
		return 0;
	return ioapic_deliver(io, pin);
}

/*
 * Tells set_route about (pin) if its message or mask changed. Not while
 * a level pin is owed an EOI: with a split irqchip KVM exits on an EOI
 * only for vectors it finds in these routes, and Linux masks a level pin
 * before its EOI often enough (threaded handlers, disable_irq(), an
 * affinity move): dropping the route then would lose the EOI, leave
 * remote IRR set and the pin dead. ioapic_eoi() catches up. Lock held.
 */
static void ioapic_update_route(struct ioapic *io, unsigned int pin)
{
	struct ioapic_pin *p = &io->pins[pin];
	struct ioapic_route r = {
		.addr = ioapic_msi_addr(p->rte),
		.data = ioapic_msi_data(p->rte),
		.masked = (p->rte & RTE_MASK) != 0,
	};

	if ((p->rte & RTE_LEVEL) && (p->rte & RTE_REMOTE_IRR))
		return;
	if (!io->ops->set_route ||
	    (r.addr == p->route.addr && r.data == p->route.data &&
	     r.masked == p->route.masked))
		return;
	if (io->ops->set_route(io->ctx, pin, r.addr, r.data, r.masked)) {
		io->errors++;
		return;	/* left stale, so the next change retries */
	}
	p->route = r;
}

static void ioapic_write_rte(struct ioapic *io, unsigned int pin, bool high,
			     uint32_t v)
{
	struct ioapic_pin *p = &io->pins[pin];
	uint64_t val = high ? (uint64_t)v << 32 : v;
	uint64_t half = high ? 0xffffffff00000000ULL : 0xffffffffULL;
	uint64_t w = RTE_WRITABLE & half;

	p->rte = (p->rte & ~w) | (val & w);
	/* Remote IRR is "undefined for edge triggered interrupts": keep it
	 * clear so a pin switched back to level is not stuck. */
	if (!(p->rte & RTE_LEVEL))
		p->rte &= ~RTE_REMOTE_IRR;
	ioapic_update_route(io, pin);
	/* Unmasking a level pin whose line is up delivers it now; an edge
	 * seen while masked stays lost. */
	ioapic_service_level(io, pin);
}

static uint32_t ioapic_read_reg(const struct ioapic *io, uint32_t reg)
{
	uint64_t rte;

	switch (reg) {
	case IOAPIC_REG_ID:
	case IOAPIC_REG_ARB:
		return (uint32_t)io->id << IOAPIC_ID_SHIFT;
	case IOAPIC_REG_VER:
		return (IOAPIC_NR_PINS - 1) << IOAPIC_VER_MRE_SHIFT |
		       IOAPIC_VERSION;
	default:
		break;
	}
	if (reg < IOAPIC_REG_REDTBL || reg >= IOAPIC_REG_END)
		return 0;
	rte = io->pins[(reg - IOAPIC_REG_REDTBL) / 2].rte;
	return (reg & 1) ? (uint32_t)(rte >> 32) : (uint32_t)rte;
}

static void ioapic_write_reg(struct ioapic *io, uint32_t reg, uint32_t v)
{
	if (reg == IOAPIC_REG_ID) {
		io->id = (v >> IOAPIC_ID_SHIFT) & IOAPIC_ID_MASK;
		return;
	}
	/* VER and ARB are read-only; the rest of 0x03-0xff is reserved. */
	if (reg < IOAPIC_REG_REDTBL || reg >= IOAPIC_REG_END)
		return;
	ioapic_write_rte(io, (reg - IOAPIC_REG_REDTBL) / 2, reg & 1, v);
}

void ioapic_access(void *ctx, uint64_t off, uint8_t *data, uint32_t len,
		   bool is_write)
{
	struct ioapic *io = ctx;
	uint32_t v = 0;

	/* "These registers ... must be accessed as dwords": anything else
	 * is ignored rather than half-applied. */
	if (len != sizeof(v) ||
	    (off != IOAPIC_IOREGSEL && off != IOAPIC_IOWIN)) {
		if (!is_write)
			memset(data, 0, len);
		return;
	}
	if (is_write)
		memcpy(&v, data, sizeof(v));
	pthread_mutex_lock(&io->lock);
	if (off == IOAPIC_IOREGSEL) {
		if (is_write)
			io->regsel = v & 0xff;
		else
			v = io->regsel;
	} else if (is_write) {
		ioapic_write_reg(io, io->regsel, v);
	} else {
		v = ioapic_read_reg(io, io->regsel);
	}
	pthread_mutex_unlock(&io->lock);
	if (!is_write)
		memcpy(data, &v, sizeof(v));
}

int ioapic_set_irq(struct ioapic *io, unsigned int pin, bool level)
{
	struct ioapic_pin *p;
	bool rising;
	int err = 0;

	if (pin >= IOAPIC_NR_PINS)
		return -EINVAL;
	p = &io->pins[pin];
	pthread_mutex_lock(&io->lock);
	rising = level && !p->line;
	p->line = level;
	if (p->rte & RTE_LEVEL)
		err = ioapic_service_level(io, pin);
	else if (rising && !(p->rte & RTE_MASK))
		err = ioapic_deliver(io, pin);
	pthread_mutex_unlock(&io->lock);
	return err;
}

void ioapic_eoi(struct ioapic *io, uint8_t vector)
{
	unsigned int i;

	pthread_mutex_lock(&io->lock);
	for (i = 0; i < IOAPIC_NR_PINS; i++) {
		struct ioapic_pin *p = &io->pins[i];

		if (!(p->rte & RTE_LEVEL) || (p->rte & RTE_VECTOR) != vector)
			continue;
		p->rte &= ~RTE_REMOTE_IRR;
		ioapic_update_route(io, i);	/* what changed meanwhile */
		if (io->ops->eoi && io->ops->eoi(io->ctx, i))
			p->line = false;
		/* A line still asserted means the device wants service
		 * again: deliver once more (and set remote IRR). */
		ioapic_service_level(io, i);
	}
	pthread_mutex_unlock(&io->lock);
}

uint64_t ioapic_errors(struct ioapic *io)
{
	uint64_t n;

	pthread_mutex_lock(&io->lock);
	n = io->errors;
	pthread_mutex_unlock(&io->lock);
	return n;
}
