/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Logging to stderr. Lines a guest can trigger go through log_ratelimited()
 * so that a hostile guest cannot flood the host's logs.
 */
#ifndef HOVER_INCLUDE_LOG_H
#define HOVER_INCLUDE_LOG_H

#include "include/hover/types.h"

enum log_level { LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG };

/* Messages above this level are dropped; --debug raises it, --quiet lowers it. */
void log_set_level(enum log_level level);
enum log_level log_get_level(void);

void log_msg(enum log_level level, const char *fmt, ...) HOVER_PRINTF(2, 3);

/*
 * Per-call-site token bucket: at most `burst` lines, refilled at one line per
 * second. The state lives in the static struct the macro declares at the call
 * site; it is only a counter, so sharing it between VMs in one process is harmless.
 */
struct log_ratelimit {
	u64 last_ns;
	u32 tokens;
	u32 suppressed;
};
bool log_ratelimit_allow(struct log_ratelimit *rl, u32 burst);

#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...)                                                                             \
	do {                                                                                       \
		if (log_get_level() >= LOG_DEBUG)                                                  \
			log_msg(LOG_DEBUG, __VA_ARGS__);                                           \
	} while (0)
#define log_ratelimited(level, ...)                                                                \
	do {                                                                                       \
		static struct log_ratelimit rl_;                                                   \
		if (log_ratelimit_allow(&rl_, 10))                                                 \
			log_msg(level, __VA_ARGS__);                                               \
	} while (0)

#endif
