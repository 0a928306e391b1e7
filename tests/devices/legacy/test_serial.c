// SPDX-License-Identifier: Apache-2.0
/* tests/devices/legacy/test_serial.c: the UART and the i8042, register by register. */
#include <criterion/criterion.h>
#include <errno.h>
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

static struct i8042 *kbc;
static unsigned int irq_lines[4];
static int nr_irqs;

static void record_irq(void *ctx, unsigned int line)
{
	if (nr_irqs < 4)
		irq_lines[nr_irqs] = line;
	nr_irqs++;
}

static void kbc_setup(void)
{
	resets = 0;
	nr_irqs = 0;
	cr_assert_eq(i8042_create(count_reset, NULL, &kbc), 0);
}

static void kbc_teardown(void)
{
	i8042_destroy(kbc);
}

static void kbc_cmd(uint8_t v)
{
	i8042_access(kbc, I8042_CMD_OFF, &v, 1, true);
}

static void kbc_write(uint8_t v)
{
	i8042_access(kbc, I8042_DATA_OFF, &v, 1, true);
}

static uint8_t kbc_status(void)
{
	uint8_t v = 0;

	i8042_access(kbc, I8042_CMD_OFF, &v, 1, false);
	return v;
}

static uint8_t kbc_read(void)
{
	uint8_t v = 0;

	i8042_access(kbc, I8042_DATA_OFF, &v, 1, false);
	return v;
}

/* Runs controller command (cmd) and returns its one reply byte, checking
 * that it came as Linux's i8042_command() polls for it. */
static uint8_t kbc_query(uint8_t cmd)
{
	uint8_t v;

	kbc_cmd(cmd);
	cr_assert_eq(kbc_status() & 0x21, 0x01, "cmd %#x: OBF, not AUX", cmd);
	v = kbc_read();
	cr_assert_eq(kbc_status() & 0x01, 0, "reading empties the buffer");
	return v;
}

TestSuite(i8042_cmds, .init = kbc_setup, .fini = kbc_teardown);

Test(i8042_cmds, keylock_and_status_at_reset)
{
	/* Linux warns "Keylock active" when bit 4 is clear. */
	cr_assert_eq(kbc_status(), 0x14);
}

Test(i8042_cmds, self_tests)
{
	cr_assert_eq(kbc_query(0xaa), 0x55, "controller self-test passed");
	cr_assert_eq(kbc_query(0xab), 0x00, "keyboard interface ok");
	/* 0x01: AUX clock stuck, so Linux decides there is no AUX port. */
	cr_assert_eq(kbc_query(0xa9), 0x01);
	cr_assert_eq(kbc_query(0x20), 0x04, "the CTR is untouched");
}

Test(i8042_cmds, port_enable_bits_in_ctr)
{
	kbc_cmd(0xa7);
	cr_assert_eq(kbc_query(0x20), 0x24, "AUX disabled");
	kbc_cmd(0xad);
	cr_assert_eq(kbc_query(0x20), 0x34, "keyboard disabled");
	kbc_cmd(0xa8);
	cr_assert_eq(kbc_query(0x20), 0x14);
	kbc_cmd(0xae);
	cr_assert_eq(kbc_query(0x20), 0x04);
	cr_assert_eq(kbc_status() & 0x01, 0, "no reply to these");
}

Test(i8042_cmds, aux_loop_fails_as_linux_checks_it)
{
	/* i8042_check_aux(): LOOP 0x5a must come back with AUXDATA set and
	 * different data, then AUX_TEST must answer 0x01-0x03. */
	kbc_cmd(0xd3);
	kbc_write(0x5a);
	cr_assert_eq(kbc_status() & 0x21, 0x21, "OBF and AUXDATA");
	cr_assert_neq(kbc_read(), 0x5a);
	cr_assert_eq(kbc_query(0xa9), 0x01);
	/* i8042_set_mux_mode(): its 0xf0 does not come back either. */
	kbc_cmd(0xd3);
	kbc_write(0xf0);
	cr_assert_neq(kbc_read(), 0xf0);
}

Test(i8042_cmds, kbd_loop_echoes)
{
	kbc_cmd(0xd2);
	kbc_write(0x3c);
	cr_assert_eq(kbc_status() & 0x61, 0x01, "keyboard byte, no error");
	cr_assert_eq(kbc_read(), 0x3c);
}

Test(i8042_cmds, absent_devices_time_out)
{
	kbc_cmd(0xd4);	/* to the AUX device */
	kbc_write(0xf4);
	cr_assert_eq(kbc_status() & 0x61, 0x61, "AUX, timeout");
	cr_assert_eq(kbc_read(), 0xfe);
	kbc_write(0xf2);	/* GET ID to the keyboard */
	cr_assert_eq(kbc_status() & 0x61, 0x41, "keyboard, timeout");
	cr_assert_eq(kbc_read(), 0xfe);
	cr_assert_eq(kbc_status() & 0x01, 0);
	cr_assert_eq(kbc_query(0x20), 0x04, "a data byte is not a CTR write");
	cr_assert_eq(resets, 0);
}

Test(i8042_cmds, command_cancels_a_pending_one)
{
	kbc_cmd(0x60);
	kbc_cmd(0xaa);
	cr_assert_eq(kbc_read(), 0x55);
	kbc_write(0x00);	/* now for the keyboard, not the CTR */
	cr_assert_eq(kbc_query(0x20), 0x04);
	kbc_cmd(0xd1);
	kbc_cmd(0xd0);
	kbc_write(0x00);	/* not the output port: no reset */
	cr_assert_eq(resets, 0);
	cr_assert_eq(kbc_query(0xd0), 0x01);
}

Test(i8042_cmds, irqs_follow_the_ctr)
{
	i8042_set_irq(kbc, record_irq, NULL);
	kbc_write(0xf2);
	kbc_cmd(0xd3);
	kbc_write(0x5a);
	cr_assert_eq(nr_irqs, 0, "both interrupts masked at reset");
	kbc_cmd(0x60);
	kbc_write(0x07);	/* KBDINT | AUXINT | SYS */
	kbc_write(0xf2);
	cr_assert_eq(nr_irqs, 1);
	cr_assert_eq(irq_lines[0], I8042_KBD_IRQ);
	kbc_cmd(0xd3);
	kbc_write(0x5a);
	cr_assert_eq(nr_irqs, 2);
	cr_assert_eq(irq_lines[1], I8042_AUX_IRQ);
	kbc_cmd(0xd2);
	kbc_write(0x11);
	cr_assert_eq(irq_lines[2], I8042_KBD_IRQ);
	/* Controller replies are polled for: no interrupt. */
	cr_assert_eq(kbc_query(0x20), 0x07);
	cr_assert_eq(kbc_query(0xaa), 0x55);
	cr_assert_eq(nr_irqs, 3);
}

/* Keys the VMM types (SendCtrlAltDel): one byte per read of the output
 * buffer, each with IRQ 1 while the CTR enables it; a full queue refuses
 * what does not fit whole. */
Test(i8042_cmds, send_keys_one_byte_per_read)
{
	static const uint8_t keys[] = { 0x14, 0x11, 0xe0, 0x71 };
	uint8_t many[I8042_KBD_QUEUE];

	i8042_set_irq(kbc, record_irq, NULL);
	kbc_cmd(0x60);
	kbc_write(0x05); /* SYS | KBDINT */
	cr_assert_eq(i8042_send_keys(kbc, keys, sizeof(keys)), 0);
	for (unsigned int i = 0; i < sizeof(keys); i++) {
		cr_assert_eq(kbc_status() & 0x21, 0x01, "byte %u: OBF, not AUX",
			     i);
		cr_assert_eq(kbc_read(), keys[i]);
	}
	cr_assert_eq(kbc_status() & 0x01, 0, "all read");
	cr_assert_eq(nr_irqs, 4);
	cr_assert_eq(irq_lines[3], I8042_KBD_IRQ);
	/* One byte in the buffer, the rest queued: no room for more. */
	memset(many, 0x1c, sizeof(many));
	cr_assert_eq(i8042_send_keys(kbc, many, sizeof(many)), 0);
	cr_assert_eq(i8042_send_keys(kbc, many, 2), -ENOSPC);
	cr_assert_eq(i8042_send_keys(kbc, many, 1), 0);
}
