/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The guest's serial console on a unix socket (`hover run --console-sock`),
 * for hoverd's log keeper and for `hover console`. Every connected client sees
 * what the guest writes; what any client sends goes to the guest. The socket
 * belongs to the VM process, so a console outlives the daemon that watched it.
 */
#ifndef HOVER_MGMT_CONSOLE_SOCK_H
#define HOVER_MGMT_CONSOLE_SOCK_H

#include <stddef.h>

#include "include/hover/types.h"

struct pc;
struct console_sock;

int console_sock_create(struct console_sock **out, const char *path, char *err,
			size_t errlen) HOVER_WUR;
/* Serve from this machine's event loop; detach before pc_destroy. */
int console_sock_attach(struct console_sock *cs, struct pc *pc) HOVER_WUR;
void console_sock_detach(struct console_sock *cs);
void console_sock_destroy(struct console_sock *cs);
/* Guest output (with vm->lock held): to every client; a client that cannot keep up misses it. */
void console_sock_output(struct console_sock *cs, const u8 *buf, size_t len);

#endif
