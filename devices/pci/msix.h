/* SPDX-License-Identifier: Apache-2.0 */
/* devices/pci/msix.h: MSI-X capability, table and PBA emulation. Pure. */
#ifndef IGNIS_MSIX_H
#define IGNIS_MSIX_H

#include <stdbool.h>
#include <stdint.h>

#include "vmm/bus.h"

/*
 * MSI-X as PCI Local Bus 3.0 6.8.2 (and PCIe Base 4.0 7.7.2) lays it out.
 * The capability (12 bytes): ID 0x11, Next, Message Control (bits 10-0
 * table size N-1, read-only; bit 14 Function Mask; bit 15 MSI-X Enable),
 * Table Offset/BIR and PBA Offset/BIR (BIR in bits 2-0, a QWORD-aligned
 * offset into that BAR in bits 31-3). The table: N entries of 16 bytes,
 * Message Address low and high, Message Data, Vector Control (bit 0:
 * masked; 1 after reset). The PBA: one pending bit per vector, in QWORDs.
 *
 * This module holds that state and calls its owner back; it knows nothing
 * of config space or BARs. The owner (a device on devices/pci/pci.h) puts
 * msix_cap_bytes() in its config space, routes writes to the Message
 * Control word to msix_ctrl_write(), and serves the table and PBA ranges
 * of its BAR with msix_table_access() and msix_pba_access().
 *
 * A vector is "on" while MSI-X is enabled, the function is not masked and
 * the vector is not masked. An event for a vector that is on is sent; for
 * one that is masked it sets the vector's pending bit instead (6.8.2.9),
 * and the message goes out, the bit cleared, when it is unmasked. With
 * MSI-X disabled events are dropped.
 */

#define MSIX_CAP_ID 0x11 /* capability ID */
#define MSIX_CAP_LEN 12 /* capability bytes, header included */
#define MSIX_CAP_CTRL 2 /* Message Control's offset in it */
#define MSIX_CTRL_MASKALL 0x4000 /* Function Mask */
#define MSIX_CTRL_ENABLE 0x8000 /* MSI-X Enable */
#define MSIX_CTRL_WMASK (MSIX_CTRL_MASKALL | MSIX_CTRL_ENABLE)
#define MSIX_MAX_VECTORS 2048 /* an 11-bit N - 1 */
#define MSIX_ENTRY_SIZE 16 /* bytes per table entry */
#define MSIX_TABLE_BYTES(n) ((uint64_t)(n)*MSIX_ENTRY_SIZE)
#define MSIX_PBA_BYTES(n) ((((uint64_t)(n) + 63) / 64) * 8)

struct msix;

/* How messages leave. Called with the MSI-X lock held, in the order of
 * the events that caused them; they must not call back into it. */
struct msix_ops {
	/*
	 * (vector) became on with message (addr, data), or its message
	 * changed while on; or it went off (!on; addr and data 0). Called on
	 * a change only; every vector starts off. The owner turns this into
	 * a KVM GSI route and irqfd (or removes them). Optional. 0, or
	 * -errno: counted, and the next change is reported anew.
	 */
	int (*route)(void *ctx, unsigned int vector, bool on, uint64_t addr,
		     uint32_t data);
	/* Sends (vector)'s message (addr, data) now, e.g. KVM_SIGNAL_MSI.
	 * Required. 0 or -errno (a pending bit then stays set). */
	int (*send)(void *ctx, unsigned int vector, uint64_t addr,
		    uint32_t data);
};

/*
 * Creates (nr) vectors (1..MSIX_MAX_VECTORS), all masked, MSI-X disabled,
 * which send through (ops)(ctx); (ops) must outlive it. 0, -EINVAL or
 * -ENOMEM.
 */
int msix_create(unsigned int nr, const struct msix_ops *ops, void *ctx,
		struct msix **out);

/* Accepts NULL. */
void msix_destroy(struct msix *m);

/*
 * The capability's bytes for (m) into (out): ID, Next 0 (the owner's
 * list links it), Message Control as now, the table at (table_off) in BAR
 * (table_bir), the PBA at (pba_off) in BAR (pba_bir). 0, or -EINVAL for a
 * BIR above 5 or an offset not QWORD aligned.
 */
int msix_cap_bytes(struct msix *m, unsigned int table_bir, uint32_t table_off,
		   unsigned int pba_bir, uint32_t pba_off,
		   uint8_t out[MSIX_CAP_LEN]);

/* Message Control: table size, Function Mask, MSI-X Enable. */
uint16_t msix_ctrl_read(struct msix *m);

/* A write of (ctrl) to Message Control: only Function Mask and MSI-X
 * Enable take; vectors that go on or off reach route(), then pending
 * vectors now on are sent. */
void msix_ctrl_write(struct msix *m, uint16_t ctrl);

/*
 * bus_access_fn (ctx: the msix) for the table, (off) from its start:
 * dwords and naturally aligned qwords inside it; any other access reads
 * as 0 and writes nothing. A write that changes a vector's mask or
 * message reaches route(); an unmasked pending vector is sent.
 */
bus_access_fn msix_table_access;

/* bus_access_fn for the PBA, read-only, the same shapes as the table. */
bus_access_fn msix_pba_access;

/*
 * An event for (vector): sent if it is on, made pending if masked,
 * dropped with MSI-X disabled. 0, -EINVAL (no such vector), or send()'s
 * error. Any thread.
 */
int msix_fire(struct msix *m, unsigned int vector);

/* Failed route() and send() calls so far. */
uint64_t msix_errors(struct msix *m);

#endif
