// SPDX-License-Identifier: Apache-2.0
/* tests/devices/legacy/test_serial.c: the UART and the i8042, register by register. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "devices/legacy/i8042.h"
#include "devices/legacy/serial.h"

static struct serial *uart;
static int pipefd[2];
static int irqs;

static void count_irq(void *ctx)
{
	irqs++;
}

static void setup(void)
{
	cr_assert_eq(pipe2(pipefd, O_NONBLOCK), 0);
	cr_assert_eq(serial_create(pipefd[1], count_irq, NULL, &uart), 0);
	irqs = 0;
}

static void teardown(void)
{
	serial_destroy(uart);
	close(pipefd[0]);
	close(pipefd[1]);
}

static uint8_t rd(uint64_t reg)
{
	uint8_t v = 0xee;

	serial_access(uart, reg, &v, 1, false);
	return v;
}

static void wr(uint64_t reg, uint8_t v)
{
	serial_access(uart, reg, &v, 1, true);
}

TestSuite(serial, .init = setup, .fini = teardown);

Test(serial, transmit_reaches_the_fd)
{
	char out[8] = { 0 };

	wr(0, 'h');
	wr(0, 'i');
	cr_assert_eq(read(pipefd[0], out, sizeof(out)), 2);
	cr_assert_str_eq(out, "hi");
	/* Holding register and transmitter always empty. */
	cr_assert_eq(rd(5) & 0x60, 0x60);
}

Test(serial, divisor_latch_hides_thr_and_ier)
{
	char out[4];

	wr(3, 0x83);	/* DLAB */
	wr(0, 0x0c);
	wr(1, 0x00);
	cr_assert_eq(rd(0), 0x0c);
	cr_assert_eq(read(pipefd[0], out, sizeof(out)), -1, "DLL went out");
	wr(3, 0x03);
	cr_assert_eq(rd(1), 0);
}

Test(serial, thr_empty_interrupt)
{
	cr_assert_eq(rd(2) & 0x0f, 0x01, "no interrupt at reset");
	wr(1, 0x02);	/* enable THRI: raised at once */
	cr_assert_eq(irqs, 1);
	cr_assert_eq(rd(2) & 0x0f, 0x02);
	cr_assert_eq(rd(2) & 0x0f, 0x01, "IIR read acknowledges THRI");
	wr(0, 'x');
	cr_assert_eq(irqs, 2);
	cr_assert_eq(rd(2) & 0x0f, 0x02);
}

Test(serial, receive_with_interrupt_and_bound)
{
	uint8_t big[SERIAL_RX_SIZE + 10];

	wr(1, 0x01);	/* enable RDI */
	cr_assert_eq(serial_input(uart, (const uint8_t *)"ab", 2), 2);
	cr_assert_eq(irqs, 1);
	cr_assert_eq(rd(5) & 0x01, 0x01);
	cr_assert_eq(rd(2) & 0x0f, 0x04);
	cr_assert_eq(rd(0), 'a');
	cr_assert_eq(rd(0), 'b');
	cr_assert_eq(rd(5) & 0x01, 0);
	cr_assert_eq(rd(2) & 0x0f, 0x01);
	/* The buffer is bounded: what does not fit is not taken. */
	memset(big, 'z', sizeof(big));
	cr_assert_eq(serial_input(uart, big, sizeof(big)), SERIAL_RX_SIZE);
	cr_assert_eq(serial_rx_room(uart), 0);
	cr_assert_eq(serial_input(uart, big, 1), 0);
	wr(2, 0x03);	/* FIFO enable + clear RX */
	cr_assert_eq(serial_rx_room(uart), SERIAL_RX_SIZE);
	cr_assert_eq(rd(2) & 0xc0, 0xc0, "16550A FIFO bits");
}

Test(serial, loopback_as_linux_probes_it)
{
	char out[4];

	/* drivers/tty/serial/8250: MCR = LOOP | 0x0a must read MSR 0x90. */
	wr(4, 0x1a);
	cr_assert_eq(rd(6) & 0xf0, 0x90);
	wr(4, 0x1f);
	cr_assert_eq(rd(6) & 0xf0, 0xf0);
	wr(0, 'q');
	cr_assert_eq(rd(0), 'q', "loopback returns the byte");
	cr_assert_eq(read(pipefd[0], out, sizeof(out)), -1);
	wr(4, 0x08);
	cr_assert_eq(rd(6) & 0xb0, 0xb0);
}

Test(serial, scratch_and_wide_access)
{
	uint8_t v[4] = { 0x11, 0x22, 0x33, 0x44 };

	wr(7, 0xa5);
	cr_assert_eq(rd(7), 0xa5);
	serial_access(uart, 7, v, 4, false);
	cr_assert_eq(v[0], 0xa5);
	cr_assert_eq(v[1] | v[2] | v[3], 0);
}

static int resets;

static void count_reset(void *ctx)
{
	resets++;
}

Test(i8042, reset_command_and_ctr)
{
	struct i8042 *kbd;
	uint8_t v;

	resets = 0;
	cr_assert_eq(i8042_create(count_reset, NULL, &kbd), 0);
	v = 0x20;	/* read the configuration byte */
	i8042_access(kbd, I8042_CMD_OFF, &v, 1, true);
	i8042_access(kbd, I8042_CMD_OFF, &v, 1, false);
	cr_assert_eq(v & 0x01, 0x01, "output buffer full");
	i8042_access(kbd, I8042_DATA_OFF, &v, 1, false);
	cr_assert_eq(v, 0x04);
	i8042_access(kbd, I8042_CMD_OFF, &v, 1, false);
	cr_assert_eq(v & 0x01, 0);
	cr_assert_eq(resets, 0);
	v = 0xfe;
	i8042_access(kbd, I8042_CMD_OFF, &v, 1, true);
	cr_assert_eq(resets, 1);
	/* Pulling bit 0 of the output port low also resets the CPU. */
	v = 0xd1;
	i8042_access(kbd, I8042_CMD_OFF, &v, 1, true);
	v = 0x00;
	i8042_access(kbd, I8042_DATA_OFF, &v, 1, true);
	cr_assert_eq(resets, 2);
	i8042_destroy(kbd);
}
