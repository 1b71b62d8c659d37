// SPDX-License-Identifier: GPL-2.0-or-later
/* Line scanner for "Kernel panic - not syncing" (kernel/panic.c). */
#include <string.h>

#include "mgmt/panic_watch.h"

static const char marker[] = "Kernel panic - not syncing";

static void end_line(struct panic_watch *pw)
{
	char *hit;

	pw->line[pw->len] = '\0';
	hit = strstr(pw->line, marker);
	if (hit && !pw->seen) {
		pw->seen = true;
		strncpy(pw->cause, hit, sizeof(pw->cause) - 1);
		pw->cause[sizeof(pw->cause) - 1] = '\0';
	}
	pw->len = 0;
	pw->overflow = false;
}

void panic_watch_feed(struct panic_watch *pw, const u8 *buf, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		char ch = (char)buf[i];

		if (ch == '\n' || ch == '\r') {
			if (pw->len)
				end_line(pw);
			continue;
		}
		if (pw->len < sizeof(pw->line) - 1)
			pw->line[pw->len++] = ch;
		else
			pw->overflow = true;
	}
}
