// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * stderr logging with levels and a per-call-site rate limit for messages a
 * guest can trigger.
 */
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <time.h>

#include "include/hover/log.h"

/* The level is process-wide by nature: it mirrors the command line of this process. */
static _Atomic int current_level = LOG_INFO;

void log_set_level(enum log_level level)
{
	atomic_store(&current_level, (int)level);
}

enum log_level log_get_level(void)
{
	return (enum log_level)atomic_load(&current_level);
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	static const char *const prefix[] = { "error: ", "warning: ", "", "debug: " };
	char buf[2048];
	va_list ap;
	int n;

	if ((int)level > atomic_load(&current_level))
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	/* One write per line so concurrent threads do not interleave mid-line;
	 * \r\n because the terminal may be in raw mode while a guest runs. */
	fprintf(stderr, "hover: %s%s\r\n", prefix[level], buf);
}

bool log_ratelimit_allow(struct log_ratelimit *rl, u32 burst)
{
	struct timespec ts;
	u64 now;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (u64)ts.tv_sec * 1000000000ULL + (u64)ts.tv_nsec;
	if (rl->last_ns == 0) {
		rl->tokens = burst;
		rl->last_ns = now;
	}
	while (now - rl->last_ns >= 1000000000ULL && rl->tokens < burst) {
		rl->tokens++;
		rl->last_ns += 1000000000ULL;
	}
	if (rl->tokens >= burst)
		rl->last_ns = now;
	if (rl->tokens == 0) {
		rl->suppressed++;
		return false;
	}
	rl->tokens--;
	return true;
}
