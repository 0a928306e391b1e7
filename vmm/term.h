/* SPDX-License-Identifier: Apache-2.0 */
/* vmm/term.h: the host terminal in raw mode while a guest owns the console. */
#ifndef IGNIS_TERM_H
#define IGNIS_TERM_H

#include <stdbool.h>

/*
 * If (fd) is a terminal, switches it to raw mode (keeping ISIG, so ^C still
 * stops the VM) and arranges for its settings to come back at exit, on every
 * path. Returns true if (fd) is a terminal now in raw mode.
 */
bool term_raw_enter(int fd);

/* Restores the terminal saved by term_raw_enter(); idempotent. */
void term_restore(void);

#endif
