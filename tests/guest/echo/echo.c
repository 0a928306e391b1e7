// SPDX-License-Identifier: Apache-2.0
/* tests/guest/echo/echo.c: echoes console input back until it reads 'q'. */
#include "rt.h"

#define UART_LSR	5	/* line status register */
#define UART_LSR_DR	0x01	/* a received byte is waiting */

void guest_main(unsigned int proto, uint64_t info)
{
	rt_puts("echo: ready\n");
	for (;;) {
		char c;

		/* Interrupts are off at CPL3: poll the line status. */
		while (!(rt_inb(RT_COM1 + UART_LSR) & UART_LSR_DR))
			;
		c = (char)rt_inb(RT_COM1);
		if (c == 'q')
			break;
		rt_putc(c);
	}
	rt_puts("\necho: bye\n");
}
