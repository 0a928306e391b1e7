/* SPDX-License-Identifier: Apache-2.0 */
/* arch/x86_64/aml.h: a small AML encoder for the DSDT (ACPI 6.5, 19-20). */
#ifndef IGNIS_X86_AML_H
#define IGNIS_X86_AML_H

#include <stddef.h>
#include <stdint.h>

/*
 * AML (20.2 is its grammar). A writer that fails softly: once something
 * does not fit, (err) holds -ENOSPC and nothing more is written, so the
 * encoders below need no checks of their own. A writer without a buffer
 * only counts, which is how a PkgLength learns what follows it.
 */
#define AML_SCOPE_OP 0x10
#define AML_ROOT_CHAR 0x5c /* '\' */
#define RES_TEMPLATE_MAX 128 /* our longest template (PCI0), and room */

struct aml {
	uint8_t *buf; /* output; NULL: only count */
	size_t size; /* its capacity */
	size_t pos; /* bytes written (or counted) */
	int err; /* 0, or -ENOSPC once a write failed */
};

/* Writes the body of a package into (w), from (ctx). */
typedef void aml_body_fn(struct aml *w, const void *ctx);

/* A resource template is built apart, in a small buffer, because its size
 * comes before it in the Buffer. */
struct aml_res {
	struct aml w; /* over bytes */
	uint8_t bytes[RES_TEMPLATE_MAX]; /* the descriptors */
};

void aml_bytes(struct aml *w, const void *p, size_t n);

void aml_byte(struct aml *w, uint8_t b);

/* (n) bytes of (v), least significant first. */
void aml_le(struct aml *w, uint64_t v, unsigned int n);

/* An Integer (20.2.3): the shortest of ZeroOp, OneOp and the Const forms. */
void aml_integer(struct aml *w, uint64_t v);

/*
 * A PkgLength (20.2.4) for a (body) of that many bytes. It counts its own
 * bytes too. One byte holds up to 63; longer ones put the count of bytes
 * that follow (1-3) in bits 7-6 of the lead byte, the length's low nibble
 * in its bits 3-0, and the next 8 bits in each following byte.
 */
void aml_pkglength(struct aml *w, size_t body);

/* A PkgLength and the body (fn) writes: counted first, then written. */
void aml_pkg(struct aml *w, aml_body_fn *fn, const void *ctx);

/* A NameSeg (20.2.2): exactly 4 characters, '_'-padded by the caller. */
void aml_nameseg(struct aml *w, const char *seg);

/* Device (...) { ... }: (fn) writes the name and the objects. */
void aml_device(struct aml *w, aml_body_fn *fn, const void *ctx);

/*
 * Package (n) { ... } (DefPackage, 20.2.5.4): PackageOp, a PkgLength,
 * NumElements and the (n) elements (fn) writes. NumElements is a byte, so
 * 255 at most (VarPackage would go further); the _PRT's 128 fit.
 */
void aml_package(struct aml *w, uint8_t n, aml_body_fn *fn, const void *ctx);

/* Name (seg, Package (n) { ... }) */
void aml_name_package(struct aml *w, const char *seg, uint8_t n,
		      aml_body_fn *fn, const void *ctx);

/* Name (seg, v) */
void aml_name_int(struct aml *w, const char *seg, uint64_t v);

/* Name (seg, "s") */
void aml_name_string(struct aml *w, const char *seg, const char *s);

/*
 * Name (seg, EisaId ("PNPxxxx")) (19.6.35): three letters of 5 bits each
 * ('A' is 1) and four hex digits in a 32-bit value whose bytes are stored
 * most significant first; always a DWordConst, as ASL compilers emit it.
 */
void aml_name_eisaid(struct aml *w, const char *seg, const char *id);

void res_init(struct aml_res *r);

/* IO (Decode16, port, port, 0x01, len): a fixed range of (len) ports. */
void res_io(struct aml_res *r, uint16_t port, uint8_t len);

/* IRQNoFlags () {irq}: an ISA IRQ, edge, active high, exclusive. */
void res_irq_noflags(struct aml_res *r, unsigned int irq);

/* Memory32Fixed (ReadWrite, base, len) */
void res_mem32_fixed(struct aml_res *r, uint32_t base, uint32_t len);

/*
 * Interrupt (ResourceConsumer, Edge, ActiveHigh, Exclusive) {gsi}. Edge,
 * because the device's irqfd pulses its pin (a split irqchip delivers the
 * MSI the pin's redirection entry names; nothing resamples a level).
 */
void res_ext_irq(struct aml_res *r, uint32_t gsi);

/* Memory attributes of an address space descriptor (6.4.3.5.1, Table
 * "Memory Resource Flag": _MEM in bits 2-1). */
#define RES_MEM_NON_CACHEABLE 0
#define RES_MEM_CACHEABLE 1

/*
 * WordBusNumber (ResourceProducer, MinFixed, MaxFixed, PosDecode, 0, min,
 * max, 0, max - min + 1) (6.4.3.5.3): the buses a host bridge decodes.
 */
void res_word_bus_number(struct aml_res *r, uint16_t min, uint16_t max);

/*
 * DWordMemory (ResourceProducer, PosDecode, MinFixed, MaxFixed, caching,
 * ReadWrite, 0, base, base + len - 1, 0, len) (6.4.3.5.2): a host
 * bridge's window below 4 GiB. (len) is not 0 and the window ends below
 * 4 GiB.
 */
void res_dword_memory(struct aml_res *r, uint32_t base, uint32_t len,
		      unsigned int caching);

/* QWordMemory (...) (6.4.3.5.1): the same, for a window anywhere. */
void res_qword_memory(struct aml_res *r, uint64_t base, uint64_t len,
		      unsigned int caching);

/*
 * Name (_CRS, ResourceTemplate () { ... }): a Buffer of (r)'s descriptors
 * and an End Tag, whose checksum makes the template's bytes sum to 0
 * (6.4.2.9; 0 would also mean "valid", but a real sum costs nothing).
 */
void aml_name_crs(struct aml *w, struct aml_res *r);

#endif
