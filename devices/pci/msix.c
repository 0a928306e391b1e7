// SPDX-License-Identifier: Apache-2.0
/* devices/pci/msix.c: MSI-X capability, table and PBA emulation. */
#include "devices/pci/msix.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* Table entry dwords (PCI 3.0 6.8.2.6-6.8.2.9). */
#define ENTRY_ADDR_LO 0 /* Message Address, bits 1-0 are 0 */
#define ENTRY_ADDR_HI 1 /* Message Upper Address */
#define ENTRY_DATA 2 /* Message Data */
#define ENTRY_CTRL 3 /* Vector Control */
#define ENTRY_DWORDS 4
#define VECTOR_MASKED 0x1u /* Vector Control bit 0; the rest reserved */
/* "For proper DWORD alignment, software must always write zeroes to
 * these two bits" (6.8.2.6): kept 0 whatever it writes. */
#define ADDR_LO_MASK 0xfffffffcu

#define MSIX_BIR_MAX 5 /* BARs 0-5 */
#define MSIX_BIR_MASK 0x7u /* Offset/BIR bits 2-0 */

/* What route() last heard of a vector. */
struct msix_route {
	bool on; /* deliverable */
	uint64_t addr; /* its message, when on */
	uint32_t data; /* ditto */
};

struct msix {
	pthread_mutex_t lock; /* everything below */
	const struct msix_ops *ops; /* where messages go */
	void *ctx; /* their context */
	unsigned int nr; /* vectors */
	uint16_t ctrl; /* Function Mask, MSI-X Enable */
	uint64_t errors; /* failed route() and send() calls */
	uint32_t *table; /* nr entries of ENTRY_DWORDS */
	uint64_t *pba; /* nr pending bits */
	struct msix_route *routes; /* nr */
};

int msix_create(unsigned int nr, const struct msix_ops *ops, void *ctx,
		struct msix **out)
{
	struct msix *m;

	if (!nr || nr > MSIX_MAX_VECTORS || !ops || !ops->send || !out)
		return -EINVAL;
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->table = calloc(nr, ENTRY_DWORDS * sizeof(*m->table));
	m->pba = calloc(MSIX_PBA_BYTES(nr) / 8, sizeof(*m->pba));
	m->routes = calloc(nr, sizeof(*m->routes));
	if (!m->table || !m->pba || !m->routes) {
		msix_destroy(m);
		return -ENOMEM;
	}
	pthread_mutex_init(&m->lock, NULL);
	m->ops = ops;
	m->ctx = ctx;
	m->nr = nr;
	/* "Mask bit ... default value of each is 1 (masked)" (6.8.2.9). */
	for (unsigned int v = 0; v < nr; v++)
		m->table[v * ENTRY_DWORDS + ENTRY_CTRL] = VECTOR_MASKED;
	*out = m;
	return 0;
}

void msix_destroy(struct msix *m)
{
	if (!m)
		return;
	if (m->ops)
		pthread_mutex_destroy(&m->lock);
	free(m->routes);
	free(m->pba);
	free(m->table);
	free(m);
}

static void put32(uint8_t *p, uint32_t v)
{
	for (unsigned int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

int msix_cap_bytes(struct msix *m, unsigned int table_bir, uint32_t table_off,
		   unsigned int pba_bir, uint32_t pba_off,
		   uint8_t out[MSIX_CAP_LEN])
{
	uint16_t ctrl;

	if (table_bir > MSIX_BIR_MAX || pba_bir > MSIX_BIR_MAX ||
	    (table_off & MSIX_BIR_MASK) || (pba_off & MSIX_BIR_MASK))
		return -EINVAL;
	ctrl = msix_ctrl_read(m);
	out[0] = MSIX_CAP_ID;
	out[1] = 0;
	out[2] = (uint8_t)ctrl;
	out[3] = (uint8_t)(ctrl >> 8);
	put32(out + 4, table_off | table_bir);
	put32(out + 8, pba_off | pba_bir);
	return 0;
}

uint16_t msix_ctrl_read(struct msix *m)
{
	uint16_t v;

	pthread_mutex_lock(&m->lock);
	v = (uint16_t)(m->ctrl | (m->nr - 1));
	pthread_mutex_unlock(&m->lock);
	return v;
}

static bool msix_is_pending(const struct msix *m, unsigned int v)
{
	return m->pba[v / 64] >> (v % 64) & 1;
}

/* Vector (v)'s state now, in (r). Lock held. */
static void msix_effective(const struct msix *m, unsigned int v,
			   struct msix_route *r)
{
	const uint32_t *e = &m->table[v * ENTRY_DWORDS];

	r->on = (m->ctrl & MSIX_CTRL_ENABLE) &&
		!(m->ctrl & MSIX_CTRL_MASKALL) &&
		!(e[ENTRY_CTRL] & VECTOR_MASKED);
	r->addr =
		r->on ? (uint64_t)e[ENTRY_ADDR_HI] << 32 | e[ENTRY_ADDR_LO] : 0;
	r->data = r->on ? e[ENTRY_DATA] : 0;
}

/* Sends (v), on; clears its pending bit once sent. Lock held. */
static int msix_send(struct msix *m, unsigned int v, const struct msix_route *r)
{
	int err = m->ops->send(m->ctx, v, r->addr, r->data);

	if (err) {
		m->errors++;
		return err;
	}
	m->pba[v / 64] &= ~(1ULL << (v % 64));
	return 0;
}

/* Reports (v)'s change, if any, then sends it if it is on and pending.
 * Lock held. */
static void msix_update(struct msix *m, unsigned int v)
{
	struct msix_route r;
	struct msix_route *last = &m->routes[v];

	msix_effective(m, v, &r);
	if (r.on != last->on || r.addr != last->addr || r.data != last->data) {
		if (m->ops->route &&
		    m->ops->route(m->ctx, v, r.on, r.addr, r.data))
			m->errors++; /* left stale: the next change retries */
		else
			*last = r;
	}
	if (r.on && msix_is_pending(m, v))
		msix_send(m, v, &r);
}

void msix_ctrl_write(struct msix *m, uint16_t ctrl)
{
	pthread_mutex_lock(&m->lock);
	m->ctrl = ctrl & MSIX_CTRL_WMASK;
	for (unsigned int v = 0; v < m->nr; v++)
		msix_update(m, v);
	pthread_mutex_unlock(&m->lock);
}

/* Whether (off, len) is a dword, or an aligned qword, in [0, size). */
static bool msix_is_access_ok(uint64_t off, uint32_t len, uint64_t size)
{
	return (len == 4 || len == 8) && !(off % len) && off < size &&
	       len <= size - off;
}

static void msix_table_write(struct msix *m, uint64_t dw, uint32_t v)
{
	if (dw % ENTRY_DWORDS == ENTRY_ADDR_LO)
		v &= ADDR_LO_MASK;
	else if (dw % ENTRY_DWORDS == ENTRY_CTRL)
		v &= VECTOR_MASKED;
	m->table[dw] = v;
}

void msix_table_access(void *ctx, uint64_t off, uint8_t *data, uint32_t len,
		       bool is_write)
{
	struct msix *m = ctx;
	uint64_t dw = off / 4;
	uint32_t v[2];

	if (!msix_is_access_ok(off, len, MSIX_TABLE_BYTES(m->nr))) {
		if (!is_write)
			memset(data, 0, len);
		return;
	}
	pthread_mutex_lock(&m->lock);
	if (is_write) {
		memcpy(v, data, len);
		for (uint32_t i = 0; i < len / 4; i++)
			msix_table_write(m, dw + i, v[i]);
		/* A qword stays within one entry: one update covers it. */
		msix_update(m, (unsigned int)(dw / ENTRY_DWORDS));
	} else {
		memcpy(data, &m->table[dw], len);
	}
	pthread_mutex_unlock(&m->lock);
}

void msix_pba_access(void *ctx, uint64_t off, uint8_t *data, uint32_t len,
		     bool is_write)
{
	struct msix *m = ctx;

	/* Read-only (6.8.2.10): writes are ignored. */
	if (is_write)
		return;
	if (!msix_is_access_ok(off, len, MSIX_PBA_BYTES(m->nr))) {
		memset(data, 0, len);
		return;
	}
	pthread_mutex_lock(&m->lock);
	memcpy(data, (const uint8_t *)m->pba + off, len);
	pthread_mutex_unlock(&m->lock);
}

int msix_fire(struct msix *m, unsigned int vector)
{
	struct msix_route r;
	int err = 0;

	if (vector >= m->nr)
		return -EINVAL;
	pthread_mutex_lock(&m->lock);
	msix_effective(m, vector, &r);
	if (r.on) {
		/* Set first: a failed send leaves it pending, not lost. */
		m->pba[vector / 64] |= 1ULL << (vector % 64);
		err = msix_send(m, vector, &r);
	} else if (m->ctrl & MSIX_CTRL_ENABLE) {
		m->pba[vector / 64] |= 1ULL << (vector % 64);
	}
	pthread_mutex_unlock(&m->lock);
	return err;
}

uint64_t msix_errors(struct msix *m)
{
	uint64_t n;

	pthread_mutex_lock(&m->lock);
	n = m->errors;
	pthread_mutex_unlock(&m->lock);
	return n;
}
