/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The guest's serial console on hover's stdin/stdout. Input is read in the
 * VM's event loop and handed to a frontend (the UART); Ctrl-A x quits and
 * Ctrl-A Ctrl-A sends a literal Ctrl-A, as people know from QEMU.
 */
#ifndef HOVER_HOST_CONSOLE_STDIO_H
#define HOVER_HOST_CONSOLE_STDIO_H

#include "include/hover/types.h"

struct evloop;
struct console_stdio;

/*
 * What must survive a guest reboot (a new VM, a new console object): a
 * Ctrl-A typed just before the reboot still pairs with the x after it.
 */
struct log_cap;

struct console_stdio_session {
	bool escape; /* the previous byte was Ctrl-A */
	struct log_cap *out_cap; /* out_fd is a capped log file (host/log_cap.h); may be NULL */
};

struct console_stdio_config {
	int in_fd;  /* -1: no input */
	int out_fd;
	/* Hand bytes to the guest; returns how many it took (0 when its FIFO is full). */
	size_t (*deliver)(void *opaque, const u8 *buf, size_t len);
	/* The user pressed Ctrl-A x. */
	void (*quit)(void *opaque);
	void *opaque;
	/* Caller-owned state that outlives this object; NULL: private to it. */
	struct console_stdio_session *session;
};

int console_stdio_create(struct console_stdio **out, struct evloop *el,
			 const struct console_stdio_config *cfg) HOVER_WUR;
void console_stdio_destroy(struct console_stdio *c);
/* Guest output to the terminal. */
void console_stdio_write(struct console_stdio *c, const u8 *buf, size_t len);
/* The frontend has room again: deliver what was held back and resume reading. */
void console_stdio_resume(struct console_stdio *c);

/* Process-wide terminal handling (only main calls these). */
void term_raw_enter(int fd);
void term_restore(void);

#endif
