// SPDX-License-Identifier: Apache-2.0
/* vmm/term.c: the host terminal in raw mode while a guest owns the console. */
#include "term.h"

#include <stdlib.h>
#include <termios.h>
#include <unistd.h>

static struct termios term_saved;
static int term_fd = -1;

void term_restore(void)
{
	if (term_fd < 0)
		return;
	tcsetattr(term_fd, TCSANOW, &term_saved);
	term_fd = -1;
}

bool term_raw_enter(int fd)
{
	struct termios raw;

	pid_t fg;

	if (!isatty(fd) || tcgetattr(fd, &term_saved) < 0)
		return false;
	/* In the background of our own terminal, tcsetattr() would stop us
	 * with SIGTTOU: leave the terminal to the foreground job. */
	fg = tcgetpgrp(fd);
	if (fg >= 0 && fg != getpgrp())
		return false;
	raw = term_saved;
	cfmakeraw(&raw);
	/* ^C and ^\ still reach ignis as signals and stop the VM cleanly;
	 * output post-processing stays so guest "\n" is not mangled twice. */
	raw.c_lflag |= ISIG;
	raw.c_oflag |= OPOST;
	if (tcsetattr(fd, TCSANOW, &raw) < 0)
		return false;
	term_fd = fd;
	atexit(term_restore);
	return true;
}
