/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Recognises a Linux kernel panic in the console stream. With panic=-1 a
 * panicking kernel resets the machine at once, which on the bus looks just
 * like `reboot -f`; the console line "Kernel panic - not syncing: ..." is what
 * tells them apart, so hover can report the panic and its cause.
 */
#ifndef HOVER_MGMT_PANIC_WATCH_H
#define HOVER_MGMT_PANIC_WATCH_H

#include "include/hover/types.h"

struct panic_watch {
	char line[256];
	size_t len;
	bool overflow;
	bool seen;
	char cause[256]; /* the panic line, without the prefix's trailing newline */
};

void panic_watch_feed(struct panic_watch *pw, const u8 *buf, size_t len);

#endif
