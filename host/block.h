/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Block backends: what a disk device (virtio-blk) reads and writes through.
 * One small ops table per image format — raw (host/block_raw.c) and qcow2
 * (host/block_qcow2*.c) — behind block_open(), which probes the format,
 * takes the image lock and reports bad input as one sentence.
 *
 * Locking against other processes: an image opened for writing holds an
 * exclusive OFD lock (fcntl F_OFD_SETLK, F_WRLCK) on the whole file; a
 * read-only image (and every backing file) a shared one. So two VMs can
 * share a read-only base, but never write one image at once.
 *
 * Offsets and lengths are bytes; a request must lie within the virtual
 * size (the device checks). Calls are synchronous and return 0 or -errno.
 */
#ifndef HOVER_HOST_BLOCK_H
#define HOVER_HOST_BLOCK_H

#include <errno.h>
#include <stddef.h>
#include <sys/uio.h>

#include "include/hover/types.h"

struct block;

struct block_ops {
	const char *name;
	int (*preadv)(struct block *b, const struct iovec *iov, int iovcnt, u64 off);
	int (*pwritev)(struct block *b, const struct iovec *iov, int iovcnt, u64 off);
	/* Make every completed write durable (fdatasync of the image, metadata first). */
	int (*flush)(struct block *b);
	/*
	 * Deallocate [off, off+len) if the format can (advisory: what later reads
	 * return is unspecified, as for a virtio-blk DISCARD). Optional.
	 */
	int (*discard)(struct block *b, u64 off, u64 len);
	void (*close)(struct block *b);
};

struct block {
	const struct block_ops *ops;
	char *path;
	int fd;
	bool readonly;
	u64 size; /* virtual size in bytes */
	void *priv; /* format state */
};

enum block_format { BLOCK_FMT_PROBE = 0, BLOCK_FMT_RAW, BLOCK_FMT_QCOW2 };

/* "raw", "qcow2" -> format; -EINVAL for anything else. */
int block_format_parse(const char *name, enum block_format *out) HOVER_WUR;

/*
 * Open an image. On failure: -errno and a sentence naming the file in err
 * ("disk.qcow2: locked by another process (is another hover using it?)").
 */
int block_open(struct block **out, const char *path, enum block_format fmt, bool readonly,
	       char *err, size_t errlen) HOVER_WUR;
void block_close(struct block *b);

static inline int block_preadv(struct block *b, const struct iovec *iov, int n, u64 off)
{
	return b->ops->preadv(b, iov, n, off);
}
static inline int block_pwritev(struct block *b, const struct iovec *iov, int n, u64 off)
{
	return b->readonly ? -EROFS : b->ops->pwritev(b, iov, n, off);
}
static inline int block_flush(struct block *b)
{
	return b->readonly ? 0 : b->ops->flush(b);
}
static inline int block_discard(struct block *b, u64 off, u64 len)
{
	if (b->readonly)
		return -EROFS;
	return b->ops->discard ? b->ops->discard(b, off, len) : -EOPNOTSUPP;
}

/* ---- for the format drivers ---- */

/* Take the OFD lock on fd (shared when readonly); -EAGAIN if someone holds a conflicting one. */
int block_lock_fd(int fd, bool readonly);
/* Full-length pread/pwrite on fd; -EIO on a short transfer past EOF for writes. */
int block_pread_full(int fd, void *buf, size_t len, u64 off);
int block_pwrite_full(int fd, const void *buf, size_t len, u64 off);
/* preadv/pwritev until done (reads past EOF give zeroes). */
int block_preadv_full(int fd, const struct iovec *iov, int n, u64 off);
int block_pwritev_full(int fd, const struct iovec *iov, int n, u64 off);

int block_raw_open(struct block *b, char *err, size_t errlen);
int block_qcow2_open(struct block *b, char *err, size_t errlen);

#endif
