// SPDX-License-Identifier: Apache-2.0
/* devices/legacy/serial.c: a 16550A UART (8250 family) for the guest console. */
#include "serial.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <unistd.h>

/* Register offsets (National Semiconductor PC16550D datasheet). */
#define UART_RBR_THR	0	/* receive buffer / transmit holding; DLL */
#define UART_IER	1	/* interrupt enable; DLM when DLAB */
#define UART_IIR_FCR	2	/* interrupt identification / FIFO control */
#define UART_LCR	3	/* line control */
#define UART_MCR	4	/* modem control */
#define UART_LSR	5	/* line status */
#define UART_MSR	6	/* modem status */
#define UART_SCR	7	/* scratch */

#define UART_IER_RDI	0x01	/* receive data available */
#define UART_IER_THRI	0x02	/* transmit holding register empty */
#define UART_IER_MASK	0x0f

#define UART_IIR_NO_INT	0x01
#define UART_IIR_THRI	0x02
#define UART_IIR_RDI	0x04
#define UART_IIR_FIFO	0xc0	/* FIFOs enabled, as a 16550A reports */

#define UART_FCR_ENABLE	0x01
#define UART_FCR_CLR_RX	0x02

#define UART_LCR_DLAB	0x80

#define UART_MCR_DTR	0x01
#define UART_MCR_RTS	0x02
#define UART_MCR_OUT1	0x04
#define UART_MCR_OUT2	0x08
#define UART_MCR_LOOP	0x10
#define UART_MCR_MASK	0x1f

#define UART_LSR_DR	0x01	/* data ready */
#define UART_LSR_THRE	0x20	/* holding register empty */
#define UART_LSR_TEMT	0x40	/* transmitter empty */

#define UART_MSR_CTS	0x10
#define UART_MSR_DSR	0x20
#define UART_MSR_RI	0x40
#define UART_MSR_DCD	0x80

struct serial {
	pthread_mutex_t lock;	/* vCPU threads and the input thread */
	int out_fd;		/* where transmitted bytes go */
	serial_irq_fn *irq;	/* raises the interrupt line */
	void *irq_ctx;		/* its context */
	uint8_t ier, lcr, mcr, scr, fcr;	/* guest-written registers */
	uint8_t dll, dlm;	/* divisor latch */
	bool thri_pending;	/* THR-empty interrupt not yet identified */
	uint8_t rx[SERIAL_RX_SIZE];	/* receive FIFO (ring) */
	unsigned int rx_head, rx_count;	/* first byte, bytes queued */
};

int serial_create(int out_fd, serial_irq_fn *irq, void *irq_ctx,
		  struct serial **out)
{
	struct serial *s = calloc(1, sizeof(*s));

	if (!s)
		return -ENOMEM;
	pthread_mutex_init(&s->lock, NULL);
	s->out_fd = out_fd;
	s->irq = irq;
	s->irq_ctx = irq_ctx;
	/* Firmware leaves the port at 115200 8N1 with OUT2 set. */
	s->dll = 1;
	s->lcr = 0x03;
	s->mcr = UART_MCR_OUT2;
	*out = s;
	return 0;
}

void serial_destroy(struct serial *s)
{
	if (!s)
		return;
	pthread_mutex_destroy(&s->lock);
	free(s);
}

/* The highest-priority pending interrupt, as IIR reports it. */
static uint8_t serial_iir(const struct serial *s)
{
	if ((s->ier & UART_IER_RDI) && s->rx_count)
		return UART_IIR_RDI;
	if ((s->ier & UART_IER_THRI) && s->thri_pending)
		return UART_IIR_THRI;
	return UART_IIR_NO_INT;
}

/* Sends an edge when an interrupt is pending; called with the lock held.
 * In loopback mode OUT2 is disconnected from the line, as on real parts. */
static void serial_update_irq(struct serial *s)
{
	if (serial_iir(s) != UART_IIR_NO_INT && !(s->mcr & UART_MCR_LOOP))
		s->irq(s->irq_ctx);
}

static void serial_rx_push(struct serial *s, uint8_t byte)
{
	if (s->rx_count == SERIAL_RX_SIZE)
		return;	/* overrun: the byte is lost, as on a real UART */
	s->rx[(s->rx_head + s->rx_count) % SERIAL_RX_SIZE] = byte;
	s->rx_count++;
}

static uint8_t serial_rx_pop(struct serial *s)
{
	uint8_t byte;

	if (!s->rx_count)
		return 0;
	byte = s->rx[s->rx_head];
	s->rx_head = (s->rx_head + 1) % SERIAL_RX_SIZE;
	s->rx_count--;
	return byte;
}

static void serial_transmit(struct serial *s, uint8_t byte)
{
	if (s->mcr & UART_MCR_LOOP) {
		serial_rx_push(s, byte);
	} else if (write(s->out_fd, &byte, 1) < 0) {
		/* The console reader went away; the guest must not notice. */
	}
	/* Transmission is instant: the holding register is empty again. */
	s->thri_pending = true;
}

static uint8_t serial_msr(const struct serial *s)
{
	uint8_t m = s->mcr;

	if (!(m & UART_MCR_LOOP))
		return UART_MSR_DCD | UART_MSR_DSR | UART_MSR_CTS;
	/* Loopback wires the modem outputs to the inputs; Linux's 8250
	 * probe checks exactly this mapping. */
	return (uint8_t)(((m & UART_MCR_RTS) ? UART_MSR_CTS : 0) |
			 ((m & UART_MCR_DTR) ? UART_MSR_DSR : 0) |
			 ((m & UART_MCR_OUT1) ? UART_MSR_RI : 0) |
			 ((m & UART_MCR_OUT2) ? UART_MSR_DCD : 0));
}

static uint8_t serial_read(struct serial *s, uint64_t reg)
{
	uint8_t v;

	switch (reg) {
	case UART_RBR_THR:
		if (s->lcr & UART_LCR_DLAB)
			return s->dll;
		return serial_rx_pop(s);
	case UART_IER:
		if (s->lcr & UART_LCR_DLAB)
			return s->dlm;
		return s->ier;
	case UART_IIR_FCR:
		v = serial_iir(s);
		/* Reading IIR acknowledges a THR-empty interrupt. */
		if (v == UART_IIR_THRI)
			s->thri_pending = false;
		return v | ((s->fcr & UART_FCR_ENABLE) ? UART_IIR_FIFO : 0);
	case UART_LCR:
		return s->lcr;
	case UART_MCR:
		return s->mcr;
	case UART_LSR:
		return UART_LSR_THRE | UART_LSR_TEMT |
		       (s->rx_count ? UART_LSR_DR : 0);
	case UART_MSR:
		return serial_msr(s);
	default:
		return s->scr;
	}
}

static void serial_write(struct serial *s, uint64_t reg, uint8_t v)
{
	switch (reg) {
	case UART_RBR_THR:
		if (s->lcr & UART_LCR_DLAB)
			s->dll = v;
		else
			serial_transmit(s, v);
		break;
	case UART_IER:
		if (s->lcr & UART_LCR_DLAB) {
			s->dlm = v;
			break;
		}
		/* Enabling the THR-empty interrupt raises it at once: the
		 * holding register is always empty. */
		if (!(s->ier & UART_IER_THRI) && (v & UART_IER_THRI))
			s->thri_pending = true;
		s->ier = v & UART_IER_MASK;
		break;
	case UART_IIR_FCR:
		s->fcr = v;
		if (v & UART_FCR_CLR_RX)
			s->rx_count = 0;
		break;
	case UART_LCR:
		s->lcr = v;
		break;
	case UART_MCR:
		s->mcr = v & UART_MCR_MASK;
		break;
	case UART_SCR:
		s->scr = v;
		break;
	default:
		break;	/* LSR and MSR are read-only */
	}
}

void serial_access(void *ctx, uint64_t off, uint8_t *data, uint32_t len,
		   bool is_write)
{
	struct serial *s = ctx;

	/* The registers are bytes; a wider access touches the first one. */
	pthread_mutex_lock(&s->lock);
	if (is_write) {
		serial_write(s, off, data[0]);
	} else {
		data[0] = serial_read(s, off);
		for (uint32_t i = 1; i < len; i++)
			data[i] = 0;
	}
	serial_update_irq(s);
	pthread_mutex_unlock(&s->lock);
}

size_t serial_input(struct serial *s, const uint8_t *buf, size_t len)
{
	size_t taken = 0;

	pthread_mutex_lock(&s->lock);
	while (taken < len && s->rx_count < SERIAL_RX_SIZE)
		serial_rx_push(s, buf[taken++]);
	if (taken)
		serial_update_irq(s);
	pthread_mutex_unlock(&s->lock);
	return taken;
}

size_t serial_rx_room(struct serial *s)
{
	size_t room;

	pthread_mutex_lock(&s->lock);
	room = SERIAL_RX_SIZE - s->rx_count;
	pthread_mutex_unlock(&s->lock);
	return room;
}
