/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A size cap for a log file a guest writes (the console log under hoverd, a
 * --console-port file): past the cap, the file's contents move to FILE.1 (the
 * one older generation kept) and FILE starts empty, so a guest cannot fill the
 * host's disk. Both files are opened at set-up and rotated by copying through
 * the open descriptors ("copytruncate"): the sandboxed threads that write them
 * may not open or rename files.
 */
#ifndef HOVER_INCLUDE_LOG_CAP_H
#define HOVER_INCLUDE_LOG_CAP_H

#include <stddef.h>

#include "include/hover/types.h"

#define LOG_CAP_DEFAULT (16ull << 20)

struct log_cap {
	int fd;     /* the log, open for appending (not ours to close) */
	int rd_fd;  /* FILE again, for reading (the log may be open write-only) */
	int old_fd; /* FILE.1 (ours); -1: no cap */
	u64 cap;
	u64 unchecked; /* bytes written since the size was last looked at */
};

/* fd is open for appending to path. Not a regular file: no cap, not an error. 0 or -errno. */
int log_cap_init(struct log_cap *lc, int fd, const char *path, u64 cap) HOVER_WUR;
/* Call after writing n bytes to lc->fd. */
void log_cap_wrote(struct log_cap *lc, size_t n);
void log_cap_fini(struct log_cap *lc);

#endif
