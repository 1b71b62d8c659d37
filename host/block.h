/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Block backends: what a disk device (virtio-blk) reads and writes through.
 * One small ops table per image format — raw (host/block_raw.c) and qcow2
 * (host/block_qcow2*.c) — behind block_open(), which chooses the format,
 * takes the image lock and reports bad input as one sentence.
 *
 * What a guest can write must never decide what the host reads (the class
 * of bug of Cloud Hypervisor's GHSA-jmr4-g2hv-mjj6: a guest writes a qcow2
 * header naming /etc/shadow as backing file into its raw disk, and the next
 * probe follows it). So:
 *  - a writable image is never probed: it is raw unless the user says
 *    format=qcow2, and one that starts with the qcow2 magic is refused
 *    rather than guessed at; only a read-only image is probed (the guest
 *    cannot write it), and callers keep the format for the VM's life;
 *  - a raw image whose format was not given cannot get the qcow2 magic in
 *    its first sector from the guest (guard_sector0), so no later probe by
 *    hover or another tool reads it as qcow2;
 *  - backing files are followed only with backing=on, read-only, at most
 *    BLOCK_MAX_CHAIN deep, never the same file twice (device and inode),
 *    regular files only, and inside `confine` directories when given;
 *  - every file is checked to be a regular file before anything reads it
 *    (a FIFO or a device would block or leak).
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

enum block_format { BLOCK_FMT_PROBE = 0, BLOCK_FMT_RAW, BLOCK_FMT_QCOW2 };

/* A backing chain longer than this is refused (QEMU has no limit; 16 is plenty). */
#define BLOCK_MAX_CHAIN 16

struct block {
	const struct block_ops *ops;
	char *path;
	int fd;
	bool readonly;
	/* Refuse guest writes that put the qcow2 magic into sector 0 (raw, format not given). */
	bool guard_sector0;
	/*
	 * The first failed flush, kept: once fdatasync has failed, the kernel may
	 * have dropped dirty pages, and a later fdatasync that succeeds says
	 * nothing about them. Every later flush fails too (as QEMU's werror).
	 */
	int flush_error;
	u64 size; /* virtual size in bytes */
	void *priv; /* format state */
};

struct block_open_opts {
	enum block_format fmt; /* PROBE: read-only images are probed, writable ones are raw */
	bool readonly;
	bool backing; /* follow a qcow2 image's backing file (the user said backing=on) */
	/* NULL, or a NULL-terminated list of directories every opened file must lie in. */
	const char *const *confine;
	/* Live migration in: a writable image is opened without its lock, which the source
	 * still holds; block_lock() takes it once the source let go (raw only). */
	bool defer_lock;
};

/* "raw", "qcow2" -> format; -EINVAL for anything else. */
int block_format_parse(const char *name, enum block_format *out) HOVER_WUR;
const char *block_format_name(enum block_format fmt);

/*
 * The format block_open() would use for path with this fmt and readonly
 * (see the rules above); *guard says whether sector 0 needs the guard.
 * Callers that reopen images (a reboot) resolve once and pass the result,
 * so a format is chosen once per VM, never re-probed.
 */
int block_choose_format(const char *path, enum block_format fmt, bool readonly,
			enum block_format *out, bool *guard, char *err, size_t errlen) HOVER_WUR;

/*
 * Open an image. On failure: -errno and a sentence naming the file in err
 * ("disk.qcow2: locked by another process (is another hover using it?)").
 */
int block_open(struct block **out, const char *path, const struct block_open_opts *o,
	       char *err, size_t errlen) HOVER_WUR;
void block_close(struct block *b);
/* A writable image's exclusive lock: take it (-EAGAIN: another process has it), or let it go. */
int block_lock(struct block *b) HOVER_WUR;
void block_unlock(struct block *b);

static inline int block_preadv(struct block *b, const struct iovec *iov, int n, u64 off)
{
	return b->ops->preadv(b, iov, n, off);
}
int block_guard_sector0(struct block *b, const struct iovec *iov, int n, u64 off);
static inline int block_pwritev(struct block *b, const struct iovec *iov, int n, u64 off)
{
	if (b->readonly)
		return -EROFS;
	if (b->guard_sector0 && off < 4 && block_guard_sector0(b, iov, n, off))
		return -EPERM;
	return b->ops->pwritev(b, iov, n, off);
}
/* Make completed writes durable; a failure is kept and returned by every later flush. */
int block_flush(struct block *b);
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

/*
 * What an open carries down a backing chain: the options, and the files
 * already in the chain (to refuse loops) and its depth.
 */
struct block_chain {
	const struct block_open_opts *opts;
	unsigned depth; /* 0: the image itself */
	struct { u64 dev, ino; } seen[BLOCK_MAX_CHAIN + 1];
};

int block_raw_open(struct block *b, char *err, size_t errlen);
int block_qcow2_open(struct block *b, struct block_chain *chain, char *err, size_t errlen);
/* Open a backing file of an image at chain->depth (read-only; format PROBE or given). */
int block_open_backing(struct block **out, const char *path, enum block_format fmt,
		       struct block_chain *chain, char *err, size_t errlen) HOVER_WUR;

#endif
