// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Block backend front door: choosing the format (a qcow2 image starts with
 * "QFI\xfb", qcow2 spec "Header"; the rules of host/block.h: writable images
 * are never probed), opening a backing chain safely (depth, loops, regular
 * files, confinement), image locking with open file description locks
 * (fcntl(2) F_OFD_SETLK: released when the last descriptor of this open
 * goes, and never confused between two opens in one process), the sticky
 * flush error, and the full-transfer I/O helpers the format drivers share.
 */
#include "host/block.h"
#include "include/hover/log.h"
#include "include/hover/path_confined.h"

#define QCOW2_MAGIC "QFI\xfb"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>
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

const char *block_format_name(enum block_format fmt)
{
	return fmt == BLOCK_FMT_QCOW2 ? "qcow2" : fmt == BLOCK_FMT_RAW ? "raw" : "probe";
}

int block_lock_fd(int fd, bool readonly)
{
	struct flock fl = { .l_type = readonly ? F_RDLCK : F_WRLCK, .l_whence = SEEK_SET };

	if (fcntl(fd, F_OFD_SETLK, &fl) < 0)
		return errno == EACCES ? -EAGAIN : -errno;
	return 0;
}

int block_lock(struct block *b)
{
	return b->readonly ? 0 : block_lock_fd(b->fd, false);
}

void block_unlock(struct block *b)
{
	struct flock fl = { .l_type = F_UNLCK, .l_whence = SEEK_SET };

	if (!b->readonly)
		fcntl(b->fd, F_OFD_SETLK, &fl);
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

/*
 * Open path for reading (and writing unless readonly) without ever blocking
 * on it or following it when it is not a regular file: O_NONBLOCK for the
 * open, so a FIFO or a tty cannot hang us, then fstat before any read.
 */
static int open_regular(const char *path, bool readonly, struct stat *st, char *err,
			size_t errlen)
{
	int fd = open(path, (readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);

	if (fd < 0) {
		int e = errno;

		snprintf(err, errlen, "%s: cannot open the disk image: %s%s", path, strerror(e),
			 e == EACCES || e == EROFS ? " (try readonly=on)" : "");
		return -e;
	}
	if (fstat(fd, st) || !S_ISREG(st->st_mode)) {
		snprintf(err, errlen, "%s: not a regular file (hover takes image files)", path);
		close(fd);
		return -EINVAL;
	}
	if (fcntl(fd, F_SETFL, 0) < 0) { /* back to blocking I/O */
		int e = errno;

		close(fd);
		snprintf(err, errlen, "%s: %s", path, strerror(e));
		return -e;
	}
	return fd;
}

static int read_magic(int fd, const char *path, bool *qcow2, char *err, size_t errlen)
{
	u8 magic[4] = { 0 };
	int ret = block_pread_full(fd, magic, sizeof(magic), 0);

	if (ret)
		snprintf(err, errlen, "%s: cannot read the image: %s", path, strerror(-ret));
	*qcow2 = !memcmp(magic, QCOW2_MAGIC, 4);
	return ret;
}

/* The rules of host/block.h, on an open file. */
static int choose(int fd, const char *path, enum block_format fmt, bool readonly,
		  enum block_format *out, bool *guard, char *err, size_t errlen)
{
	bool qcow2;
	int ret;

	*guard = false;
	*out = fmt;
	if (fmt != BLOCK_FMT_PROBE)
		return 0;
	ret = read_magic(fd, path, &qcow2, err, errlen);
	if (ret)
		return ret;
	if (readonly) {
		*out = qcow2 ? BLOCK_FMT_QCOW2 : BLOCK_FMT_RAW;
		return 0;
	}
	if (qcow2) {
		snprintf(err, errlen, "%s: starts like a qcow2 image, but hover never guesses the "
			 "format of a writable disk (add format=qcow2, or format=raw if it is raw)",
			 path);
		return -EINVAL;
	}
	*out = BLOCK_FMT_RAW;
	*guard = true;
	return 0;
}

int block_choose_format(const char *path, enum block_format fmt, bool readonly,
			enum block_format *out, bool *guard, char *err, size_t errlen)
{
	struct stat st;
	int fd, ret;

	if (fmt != BLOCK_FMT_PROBE) {
		*out = fmt;
		*guard = false;
		return 0;
	}
	fd = open_regular(path, true, &st, err, errlen);
	if (fd < 0)
		return fd;
	ret = choose(fd, path, fmt, readonly, out, guard, err, errlen);
	close(fd);
	return ret;
}

int block_guard_sector0(struct block *b, const struct iovec *iov, int n, u64 off)
{
	u8 head[4];
	size_t got = 0;

	/* Gather the bytes that would land in [off, 4). */
	for (int i = 0; i < n && off + got < 4; i++) {
		size_t take = iov[i].iov_len < 4 - off - got ? iov[i].iov_len : 4 - off - got;

		memcpy(head + off + got, iov[i].iov_base, take);
		got += take;
	}
	if (off + got < 4) { /* a short write: the rest of the magic is what the disk holds */
		u8 disk[4];

		if (block_pread_full(b->fd, disk, 4, 0))
			return -EIO;
		memcpy(head + off + got, disk + off + got, 4 - off - got);
	}
	if (off) {
		u8 disk[4];

		if (block_pread_full(b->fd, disk, 4, 0))
			return -EIO;
		memcpy(head, disk, off);
	}
	if (memcmp(head, QCOW2_MAGIC, 4))
		return 0;
	log_ratelimited(LOG_WARN, "%s: refused a guest write of a qcow2 header into sector 0 of "
			"a raw image whose format was not given (say format=raw to allow it)",
			b->path);
	return -EPERM;
}

int block_flush(struct block *b)
{
	int ret;

	if (b->readonly)
		return 0;
	if (b->flush_error)
		return b->flush_error;
	ret = b->ops->flush(b);
	if (ret) {
		b->flush_error = ret;
		log_msg(LOG_ERROR, "%s: flushing the image failed (%s); written data may be lost, "
			"so every later flush of this disk fails too (check the host's storage, "
			"then restart the VM)", b->path, strerror(-ret));
	}
	return ret;
}

static int chain_add(struct block_chain *chain, const struct stat *st, const char *path,
		     char *err, size_t errlen)
{
	for (unsigned i = 0; i < chain->depth; i++) {
		if (chain->seen[i].dev == st->st_dev && chain->seen[i].ino == st->st_ino) {
			snprintf(err, errlen, "%s: the backing chain loops back to this file", path);
			return -ELOOP;
		}
	}
	chain->seen[chain->depth].dev = st->st_dev;
	chain->seen[chain->depth].ino = st->st_ino;
	return 0;
}

static int open_at_depth(struct block **out, const char *path, enum block_format fmt,
			 bool readonly, struct block_chain *chain, char *err, size_t errlen)
{
	const struct block_open_opts *o = chain->opts;
	struct block *b;
	struct stat st;
	bool guard;
	int ret;

	if (o->confine && !path_confined(path, o->confine)) {
		snprintf(err, errlen, "%s: outside the directories this VM may use (%s%s)", path,
			 o->confine[0] ? o->confine[0] : "none",
			 o->confine[0] && o->confine[1] ? ", ..." : "");
		return -EACCES;
	}
	b = calloc(1, sizeof(*b));
	if (!b) {
		snprintf(err, errlen, "%s: out of memory", path);
		return -ENOMEM;
	}
	b->readonly = readonly;
	b->path = strdup(path);
	b->fd = open_regular(path, readonly, &st, err, errlen);
	if (b->fd < 0) {
		ret = b->fd;
		goto err;
	}
	ret = chain_add(chain, &st, path, err, errlen);
	if (ret)
		goto err;
	ret = o->defer_lock && !readonly ? 0 : block_lock_fd(b->fd, readonly);
	if (ret) {
		if (ret == -EAGAIN)
			snprintf(err, errlen, "%s: the image is locked by another process (is another "
				 "hover using it?)", path);
		else
			snprintf(err, errlen, "%s: cannot lock the image: %s", path, strerror(-ret));
		goto err;
	}
	ret = choose(b->fd, path, fmt, readonly, &fmt, &guard, err, errlen);
	if (ret)
		goto err;
	/* qcow2 metadata read now would be stale once the source writes on (migration). */
	if (o->defer_lock && !readonly && fmt == BLOCK_FMT_QCOW2) {
		snprintf(err, errlen, "%s: a writable qcow2 image cannot migrate yet (raw images "
			 "and read-only ones can)", path);
		ret = -EINVAL;
		goto err;
	}
	b->guard_sector0 = guard;
	ret = fmt == BLOCK_FMT_QCOW2 ? block_qcow2_open(b, chain, err, errlen)
				     : block_raw_open(b, err, errlen);
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

int block_open(struct block **out, const char *path, const struct block_open_opts *o,
	       char *err, size_t errlen)
{
	struct block_chain chain = { .opts = o };

	return open_at_depth(out, path, o->fmt, o->readonly, &chain, err, errlen);
}

int block_open_backing(struct block **out, const char *path, enum block_format fmt,
		       struct block_chain *chain, char *err, size_t errlen)
{
	struct block_chain next = *chain;

	if (!chain->opts->backing) {
		snprintf(err, errlen, "it has a backing file (%s); hover follows backing files only "
			 "when asked (add backing=on)", path);
		return -EPERM;
	}
	if (chain->depth + 1 > BLOCK_MAX_CHAIN) {
		snprintf(err, errlen, "the backing chain is longer than %d images", BLOCK_MAX_CHAIN);
		return -ELOOP;
	}
	next.depth = chain->depth + 1;
	return open_at_depth(out, path, fmt, true, &next, err, errlen);
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
