// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Block backend front door: format probing (a qcow2 image starts with
 * "QFI\xfb", qcow2 spec "Header"), image locking with open file description
 * locks (fcntl(2) F_OFD_SETLK: released when the last descriptor of this
 * open goes, and never confused between two opens in one process), and the
 * full-transfer I/O helpers the format drivers share.
 */
#include "host/block.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int block_format_parse(const char *name, enum block_format *out)
{
	if (!strcmp(name, "raw"))
		*out = BLOCK_FMT_RAW;
	else if (!strcmp(name, "qcow2"))
		*out = BLOCK_FMT_QCOW2;
	else
		return -EINVAL;
	return 0;
}

int block_lock_fd(int fd, bool readonly)
{
	struct flock fl = { .l_type = readonly ? F_RDLCK : F_WRLCK, .l_whence = SEEK_SET };

	if (fcntl(fd, F_OFD_SETLK, &fl) < 0)
		return errno == EACCES ? -EAGAIN : -errno;
	return 0;
}

int block_pread_full(int fd, void *buf, size_t len, u64 off)
{
	while (len) {
		ssize_t n = pread(fd, buf, len, off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0) { /* past EOF: zeroes, as a sparse file would read */
			memset(buf, 0, len);
			return 0;
		}
		buf = (u8 *)buf + n;
		len -= n;
		off += n;
	}
	return 0;
}

int block_pwrite_full(int fd, const void *buf, size_t len, u64 off)
{
	while (len) {
		ssize_t n = pwrite(fd, buf, len, off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		buf = (const u8 *)buf + n;
		len -= n;
		off += n;
	}
	return 0;
}

/* Advance a private copy of the iovec array by n bytes. */
static int iov_advance(struct iovec **iov, int *cnt, size_t n)
{
	while (n && *cnt) {
		if (n < (*iov)->iov_len) {
			(*iov)->iov_base = (u8 *)(*iov)->iov_base + n;
			(*iov)->iov_len -= n;
			return 0;
		}
		n -= (*iov)->iov_len;
		(*iov)++;
		(*cnt)--;
	}
	/* Skip empty segments so the next call makes progress. */
	while (*cnt && !(*iov)->iov_len) {
		(*iov)++;
		(*cnt)--;
	}
	return 0;
}

static int rw_full(int fd, const struct iovec *in, int n, u64 off, bool write)
{
	struct iovec local[IOV_MAX], *iov = local;
	int cnt = n;

	if (n > IOV_MAX)
		return -EINVAL;
	memcpy(local, in, n * sizeof(*in));
	iov_advance(&iov, &cnt, 0);
	while (cnt) {
		ssize_t r = write ? pwritev(fd, iov, cnt, off) : preadv(fd, iov, cnt, off);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0) {
			if (write)
				return -EIO;
			for (int i = 0; i < cnt; i++) /* past EOF: zeroes */
				memset(iov[i].iov_base, 0, iov[i].iov_len);
			return 0;
		}
		off += r;
		iov_advance(&iov, &cnt, r);
	}
	return 0;
}

int block_preadv_full(int fd, const struct iovec *iov, int n, u64 off)
{
	return rw_full(fd, iov, n, off, false);
}

int block_pwritev_full(int fd, const struct iovec *iov, int n, u64 off)
{
	return rw_full(fd, iov, n, off, true);
}

int block_open(struct block **out, const char *path, enum block_format fmt, bool readonly,
	       char *err, size_t errlen)
{
	struct block *b = calloc(1, sizeof(*b));
	u8 magic[4] = { 0 };
	int ret;

	if (!b) {
		snprintf(err, errlen, "%s: out of memory", path);
		return -ENOMEM;
	}
	b->readonly = readonly;
	b->path = strdup(path);
	b->fd = open(path, (readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	if (b->fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "%s: cannot open the disk image: %s%s", path, strerror(errno),
			 errno == EACCES || errno == EROFS ? " (try readonly=on)" : "");
		goto err;
	}
	ret = block_lock_fd(b->fd, readonly);
	if (ret) {
		if (ret == -EAGAIN)
			snprintf(err, errlen, "%s: the image is locked by another process (is another "
				 "hover using it?)", path);
		else
			snprintf(err, errlen, "%s: cannot lock the image: %s", path, strerror(-ret));
		goto err;
	}
	if (fmt == BLOCK_FMT_PROBE) {
		ret = block_pread_full(b->fd, magic, sizeof(magic), 0);
		if (ret) {
			snprintf(err, errlen, "%s: cannot read the image: %s", path, strerror(-ret));
			goto err;
		}
		fmt = !memcmp(magic, "QFI\xfb", 4) ? BLOCK_FMT_QCOW2 : BLOCK_FMT_RAW;
	}
	ret = fmt == BLOCK_FMT_QCOW2 ? block_qcow2_open(b, err, errlen) : block_raw_open(b, err, errlen);
	if (ret)
		goto err;
	*out = b;
	return 0;

err:
	if (b->fd >= 0)
		close(b->fd);
	free(b->path);
	free(b);
	return ret;
}

void block_close(struct block *b)
{
	if (!b)
		return;
	if (b->ops && b->ops->close)
		b->ops->close(b);
	close(b->fd);
	free(b->path);
	free(b);
}
