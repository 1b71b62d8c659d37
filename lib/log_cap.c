// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Cap and rotate a guest-written log by copying (see log_cap.h). The size is
 * looked at once per 64 KiB written, so the file may pass the cap by that
 * much; rotating a 16 MiB log copies 16 MiB once per 16 MiB the guest writes.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "include/hover/log_cap.h"

#define CHECK_EVERY (64u << 10)

int log_cap_init(struct log_cap *lc, int fd, const char *path, u64 cap)
{
	char old[4200];
	struct stat st;

	*lc = (struct log_cap){ .fd = fd, .rd_fd = -1, .old_fd = -1, .cap = cap };
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || !cap)
		return 0;
	lc->rd_fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (lc->rd_fd < 0)
		return -errno;
	snprintf(old, sizeof(old), "%s.1", path);
	lc->old_fd = open(old, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, st.st_mode & 0666);
	if (lc->old_fd < 0) {
		int e = errno;

		close(lc->rd_fd);
		lc->rd_fd = -1;
		return -e;
	}
	lc->unchecked = CHECK_EVERY; /* look at once: the file may be over the cap already */
	log_cap_wrote(lc, 0);
	return 0;
}

static void rotate(struct log_cap *lc, u64 size)
{
	char buf[64 << 10];
	u64 off = 0;

	if (ftruncate(lc->old_fd, 0) < 0)
		return;
	while (off < size) {
		ssize_t n = pread(lc->rd_fd, buf, sizeof(buf), (off_t)off);

		if (n <= 0 || pwrite(lc->old_fd, buf, (size_t)n, (off_t)off) != n)
			break;
		off += (u64)n;
	}
	if (ftruncate(lc->fd, 0) < 0) {
		/* the log keeps growing until the next try; nothing better to do */
	}
}

void log_cap_wrote(struct log_cap *lc, size_t n)
{
	struct stat st;

	if (lc->old_fd < 0)
		return;
	lc->unchecked += n;
	if (lc->unchecked < CHECK_EVERY)
		return;
	lc->unchecked = 0;
	if (fstat(lc->fd, &st) == 0 && (u64)st.st_size > lc->cap)
		rotate(lc, (u64)st.st_size);
}

void log_cap_fini(struct log_cap *lc)
{
	if (lc->old_fd >= 0)
		close(lc->old_fd);
	if (lc->rd_fd >= 0)
		close(lc->rd_fd);
	lc->old_fd = lc->rd_fd = -1;
}
