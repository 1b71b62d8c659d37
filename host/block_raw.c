// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Raw images: the file is the disk, byte for byte. The virtual size is the
 * file size rounded down to whole 512-byte sectors; discard punches a hole
 * (fallocate(2) FALLOC_FL_PUNCH_HOLE keeps the size and reads back zeroes).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host/block.h"

static int raw_preadv(struct block *b, const struct iovec *iov, int n, u64 off)
{
	return block_preadv_full(b->fd, iov, n, off);
}

static int raw_pwritev(struct block *b, const struct iovec *iov, int n, u64 off)
{
	return block_pwritev_full(b->fd, iov, n, off);
}

static int raw_flush(struct block *b)
{
	return fdatasync(b->fd) ? -errno : 0;
}

static int raw_discard(struct block *b, u64 off, u64 len)
{
	if (fallocate(b->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off, len))
		return -errno;
	return 0;
}

static const struct block_ops raw_ops = {
	.name = "raw",
	.preadv = raw_preadv,
	.pwritev = raw_pwritev,
	.flush = raw_flush,
	.discard = raw_discard,
};

int block_raw_open(struct block *b, char *err, size_t errlen)
{
	struct stat st;

	if (fstat(b->fd, &st)) {
		snprintf(err, errlen, "%s: %s", b->path, strerror(errno));
		return -errno;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file (hover takes image files)", b->path);
		return -EINVAL;
	}
	b->size = (u64)st.st_size & ~511ULL;
	if (!b->size) {
		snprintf(err, errlen, "%s: the image is empty (smaller than one 512-byte sector)",
			 b->path);
		return -EINVAL;
	}
	b->ops = &raw_ops;
	return 0;
}
