// SPDX-License-Identifier: Apache-2.0
/* arch/x86_64/aml.c: a small AML encoder for the DSDT (ACPI 6.5, 19-20). */
#include "arch/x86_64/aml.h"

#include <errno.h>
#include <string.h>

#define AML_ZERO_OP 0x00
#define AML_ONE_OP 0x01
#define AML_NAME_OP 0x08
#define AML_BYTE_PREFIX 0x0a
#define AML_WORD_PREFIX 0x0b
#define AML_DWORD_PREFIX 0x0c
#define AML_STRING_PREFIX 0x0d
#define AML_QWORD_PREFIX 0x0e
#define AML_BUFFER_OP 0x11
#define AML_PACKAGE_OP 0x12
#define AML_EXT_OP_PREFIX 0x5b
#define AML_DEVICE_OP 0x82 /* after AML_EXT_OP_PREFIX */
#define AML_ROOT_CHAR 0x5c /* '\' */
#define AML_PKG_MAX 0x0fffffff /* 28 bits of PkgLength */

/* Resource descriptors (6.4). */
#define RES_IRQ_NOFLAGS 0x22 /* small, IRQ (6.4.2.1), length 2 */
#define RES_IO 0x47 /* small, I/O port (6.4.2.5), length 7 */
#define RES_END_TAG 0x79 /* small, End Tag (6.4.2.9), length 1 */
#define RES_MEM32_FIXED 0x86 /* large, 32-bit fixed memory (6.4.3.4) */
#define RES_EXT_IRQ 0x89 /* large, extended interrupt (6.4.3.6) */
#define RES_DWORD_SPACE 0x87 /* large, DWord address space (6.4.3.5.2) */
#define RES_WORD_SPACE 0x88 /* large, Word address space (6.4.3.5.3) */
#define RES_QWORD_SPACE 0x8a /* large, QWord address space (6.4.3.5.1) */
/* Address space descriptors (6.4.3.5.1-3): Resource Type, */
#define RES_SPACE_MEMORY 0
#define RES_SPACE_BUS 2
/* General Flags: bit 0 clear is "produces" (a bridge's window), bit 1
 * clear is positive decode, bits 2 and 3 fix the minimum and maximum. */
#define RES_GEN_MIN_FIXED 0x04
#define RES_GEN_MAX_FIXED 0x08
#define RES_GEN_WINDOW (RES_GEN_MIN_FIXED | RES_GEN_MAX_FIXED)
/* Type Specific Flags for memory: bit 0 is read/write, bits 2-1 _MEM. */
#define RES_MEM_SHIFT 1
#define RES_IO_DECODE16 0x01 /* I/O: decodes 16 address bits */
#define RES_MEM_RW 0x01 /* memory: read/write */
#define RES_IRQ_CONSUMER 0x01 /* extended interrupt flags: consumer, */
#define RES_IRQ_EDGE 0x02 /* edge; 0 bits: active high, exclusive */


void aml_bytes(struct aml *w, const void *p, size_t n)
{
	if (w->err || n > w->size - w->pos) {
		w->err = -ENOSPC;
		return;
	}
	if (w->buf)
		memcpy(w->buf + w->pos, p, n);
	w->pos += n;
}

void aml_byte(struct aml *w, uint8_t b)
{
	aml_bytes(w, &b, 1);
}

/* (n) bytes of (v), least significant first. */
void aml_le(struct aml *w, uint64_t v, unsigned int n)
{
	uint8_t b[8];

	for (unsigned int i = 0; i < n; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	aml_bytes(w, b, n);
}

/* An Integer (20.2.3): the shortest of ZeroOp, OneOp and the Const forms. */
void aml_integer(struct aml *w, uint64_t v)
{
	if (v == 0) {
		aml_byte(w, AML_ZERO_OP);
	} else if (v == 1) {
		aml_byte(w, AML_ONE_OP);
	} else if (v <= 0xff) {
		aml_byte(w, AML_BYTE_PREFIX);
		aml_le(w, v, 1);
	} else if (v <= 0xffff) {
		aml_byte(w, AML_WORD_PREFIX);
		aml_le(w, v, 2);
	} else if (v <= 0xffffffff) {
		aml_byte(w, AML_DWORD_PREFIX);
		aml_le(w, v, 4);
	} else {
		aml_byte(w, AML_QWORD_PREFIX);
		aml_le(w, v, 8);
	}
}

/*
 * A PkgLength (20.2.4) for a (body) of that many bytes. It counts its own
 * bytes too. One byte holds up to 63; longer ones put the count of bytes
 * that follow (1-3) in bits 7-6 of the lead byte, the length's low nibble
 * in its bits 3-0, and the next 8 bits in each following byte.
 */
void aml_pkglength(struct aml *w, size_t body)
{
	uint8_t b[4];
	unsigned int n;
	size_t len;

	for (n = 1; n < 4; n++)
		if (body + n < (n == 1 ? 0x40u : 1u << (4 + 8 * (n - 1))))
			break;
	len = body + n;
	if (len > AML_PKG_MAX) {
		w->err = -ENOSPC; /* 256 MiB of AML: not ours */
		return;
	}
	b[0] = n == 1 ? (uint8_t)len : (uint8_t)((n - 1) << 6 | (len & 0xf));
	for (unsigned int i = 1; i < n; i++)
		b[i] = (uint8_t)(len >> (4 + 8 * (i - 1)));
	aml_bytes(w, b, n);
}

/* A PkgLength and the body (fn) writes: counted first, then written. */
void aml_pkg(struct aml *w, aml_body_fn *fn, const void *ctx)
{
	struct aml count = { .size = SIZE_MAX };

	fn(&count, ctx);
	aml_pkglength(w, count.pos);
	fn(w, ctx);
}

/* A NameSeg (20.2.2): exactly 4 characters, '_'-padded by the caller. */
void aml_nameseg(struct aml *w, const char *seg)
{
	aml_bytes(w, seg, 4);
}

/* Device (...) { ... }: (fn) writes the name and the objects. */
void aml_device(struct aml *w, aml_body_fn *fn, const void *ctx)
{
	aml_byte(w, AML_EXT_OP_PREFIX);
	aml_byte(w, AML_DEVICE_OP);
	aml_pkg(w, fn, ctx);
}

/* What aml_package() hands aml_pkg(): the count and the elements. */
struct aml_package_ctx {
	uint8_t n; /* NumElements */
	aml_body_fn *fn; /* writes them */
	const void *ctx; /* (fn)'s */
};

/* A Package's body: NumElements, then the elements. */
static void aml_package_body(struct aml *w, const void *ctx)
{
	const struct aml_package_ctx *p = ctx;

	aml_byte(w, p->n);
	p->fn(w, p->ctx);
}

/* Package (n) { ... } (DefPackage, 20.2.5.4) */
void aml_package(struct aml *w, uint8_t n, aml_body_fn *fn, const void *ctx)
{
	aml_byte(w, AML_PACKAGE_OP);
	aml_pkg(w, aml_package_body,
		&(struct aml_package_ctx){ .n = n, .fn = fn, .ctx = ctx });
}

/* Name (seg, Package (n) { ... }) */
void aml_name_package(struct aml *w, const char *seg, uint8_t n,
		      aml_body_fn *fn, const void *ctx)
{
	aml_byte(w, AML_NAME_OP);
	aml_nameseg(w, seg);
	aml_package(w, n, fn, ctx);
}

/* Name (seg, v) */
void aml_name_int(struct aml *w, const char *seg, uint64_t v)
{
	aml_byte(w, AML_NAME_OP);
	aml_nameseg(w, seg);
	aml_integer(w, v);
}

/* Name (seg, "s") */
void aml_name_string(struct aml *w, const char *seg, const char *s)
{
	aml_byte(w, AML_NAME_OP);
	aml_nameseg(w, seg);
	aml_byte(w, AML_STRING_PREFIX);
	aml_bytes(w, s, strlen(s) + 1);
}

/*
 * Name (seg, EisaId ("PNPxxxx")) (19.6.35): three letters of 5 bits each
 * ('A' is 1) and four hex digits in a 32-bit value whose bytes are stored
 * most significant first; always a DWordConst, as ASL compilers emit it.
 */
void aml_name_eisaid(struct aml *w, const char *seg, const char *id)
{
	uint32_t v = 0;

	for (unsigned int i = 0; i < 3; i++)
		v = v << 5 | ((uint32_t)(id[i] - '@') & 0x1f);
	for (unsigned int i = 3; i < 7; i++) {
		char c = id[i];

		v = v << 4 | (uint32_t)(c <= '9' ? c - '0' : c - 'A' + 10);
	}
	aml_byte(w, AML_NAME_OP);
	aml_nameseg(w, seg);
	aml_byte(w, AML_DWORD_PREFIX);
	aml_le(w, __builtin_bswap32(v), 4);
}

void res_init(struct aml_res *r)
{
	r->w = (struct aml){ .buf = r->bytes, .size = sizeof(r->bytes) };
}

/* IO (Decode16, port, port, 0x01, len): a fixed range of (len) ports. */
void res_io(struct aml_res *r, uint16_t port, uint8_t len)
{
	aml_byte(&r->w, RES_IO);
	aml_byte(&r->w, RES_IO_DECODE16);
	aml_le(&r->w, port, 2); /* minimum base */
	aml_le(&r->w, port, 2); /* maximum base */
	aml_byte(&r->w, 1); /* alignment */
	aml_byte(&r->w, len);
}

/* IRQNoFlags () {irq}: an ISA IRQ, edge, active high, exclusive. */
void res_irq_noflags(struct aml_res *r, unsigned int irq)
{
	aml_byte(&r->w, RES_IRQ_NOFLAGS);
	aml_le(&r->w, 1u << irq, 2); /* mask of IRQs 0-15 */
}

/* Memory32Fixed (ReadWrite, base, len) */
void res_mem32_fixed(struct aml_res *r, uint32_t base, uint32_t len)
{
	aml_byte(&r->w, RES_MEM32_FIXED);
	aml_le(&r->w, 9, 2); /* length of what follows */
	aml_byte(&r->w, RES_MEM_RW);
	aml_le(&r->w, base, 4);
	aml_le(&r->w, len, 4);
}

/*
 * Interrupt (ResourceConsumer, Edge, ActiveHigh, Exclusive) {gsi}. Edge,
 * because the device's irqfd pulses its pin (a split irqchip delivers the
 * MSI the pin's redirection entry names; nothing resamples a level).
 */
void res_ext_irq(struct aml_res *r, uint32_t gsi)
{
	aml_byte(&r->w, RES_EXT_IRQ);
	aml_le(&r->w, 6, 2); /* flags, count, one interrupt */
	aml_byte(&r->w, RES_IRQ_CONSUMER | RES_IRQ_EDGE);
	aml_byte(&r->w, 1); /* interrupt table length */
	aml_le(&r->w, gsi, 4);
}

/*
 * An address space descriptor (6.4.3.5): (tag), its length, then Resource
 * Type, General Flags, Type Specific Flags and five (n)-byte fields:
 * granularity 0 (as with fixed windows), minimum, maximum, translation 0,
 * length.
 */
static void res_space(struct aml_res *r, uint8_t tag, unsigned int n,
		      uint8_t type, uint8_t tflags, uint64_t min, uint64_t len)
{
	aml_byte(&r->w, tag);
	aml_le(&r->w, 3 + 5 * n, 2); /* what follows this field */
	aml_byte(&r->w, type);
	aml_byte(&r->w, RES_GEN_WINDOW);
	aml_byte(&r->w, tflags);
	aml_le(&r->w, 0, n); /* granularity */
	aml_le(&r->w, min, n);
	aml_le(&r->w, min + len - 1, n); /* maximum */
	aml_le(&r->w, 0, n); /* translation offset */
	aml_le(&r->w, len, n);
}

void res_word_bus_number(struct aml_res *r, uint16_t min, uint16_t max)
{
	res_space(r, RES_WORD_SPACE, 2, RES_SPACE_BUS, 0, min,
		  (uint64_t)max - min + 1);
}

void res_dword_memory(struct aml_res *r, uint32_t base, uint32_t len,
		      unsigned int caching)
{
	res_space(r, RES_DWORD_SPACE, 4, RES_SPACE_MEMORY,
		  (uint8_t)(RES_MEM_RW | caching << RES_MEM_SHIFT), base, len);
}

void res_qword_memory(struct aml_res *r, uint64_t base, uint64_t len,
		      unsigned int caching)
{
	res_space(r, RES_QWORD_SPACE, 8, RES_SPACE_MEMORY,
		  (uint8_t)(RES_MEM_RW | caching << RES_MEM_SHIFT), base, len);
}

/* Buffer () {...}'s body: BufferSize, then the bytes. */
static void aml_buffer_body(struct aml *w, const void *ctx)
{
	const struct aml *res = ctx;

	aml_integer(w, res->pos);
	aml_bytes(w, res->buf, res->pos);
}

/*
 * Name (_CRS, ResourceTemplate () { ... }): a Buffer of (r)'s descriptors
 * and an End Tag, whose checksum makes the template's bytes sum to 0
 * (6.4.2.9; 0 would also mean "valid", but a real sum costs nothing).
 */
void aml_name_crs(struct aml *w, struct aml_res *r)
{
	uint8_t sum = RES_END_TAG;

	for (size_t i = 0; i < r->w.pos; i++)
		sum += r->bytes[i];
	aml_byte(&r->w, RES_END_TAG);
	aml_byte(&r->w, (uint8_t)-sum);
	if (r->w.err) {
		w->err = r->w.err;
		return;
	}
	aml_byte(w, AML_NAME_OP);
	aml_nameseg(w, "_CRS");
	aml_byte(w, AML_BUFFER_OP);
	aml_pkg(w, aml_buffer_body, &r->w);
}
