// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target for the disk image formats (host/block*.c): the input is
 * a qcow2 image, its backing file and a few requests on them, as a hostile
 * image file or a hostile guest could present them.
 *
 * Input layout (all little-endian):
 *   [0..4)    u32 length of the top image (clamped to what follows)
 *   [4..36)   8 requests of 4 bytes: kind, then 3 bytes of offset (a
 *             fraction of the virtual size) and length (see do_request)
 *   [36..)    the top image, then the rest: its backing file
 * The top image is written to DIR/top and the rest to DIR/base (a qcow2
 * image made by make-corpus.py names "base" as its backing file; the
 * backing file's format is probed as a user's image would be). Then the top
 * image is opened as qcow2 read-only (reads only), read-write (reads,
 * writes, discards, flushes), read-only again to read what the writes left,
 * and once with the format probed.
 *
 * The open goes through open_image() alone, so a change of block_open()'s
 * signature is a one-line change here.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "host/block.h"
#include "include/hover/log.h"

#define NREQ	8
#define HDR_LEN (4 + 4 * NREQ)
#define MAX_IO	(128 * 1024)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct qcow2_fuzz {
	char dir[64], top[80], base[80];
	u8 *buf; /* MAX_IO bytes of I/O buffer */
};

static int open_image(struct block **b, const char *path, enum block_format fmt, bool readonly)
{
	/* Backing files allowed: the chain code (depth, loops, names) is what is fuzzed. */
	struct block_open_opts o = { .fmt = fmt, .readonly = readonly, .backing = true };
	char err[1024];

	return block_open(b, path, &o, err, sizeof(err));
}

static struct qcow2_fuzz *fuzz_env(void)
{
	static struct qcow2_fuzz *env;

	if (env)
		return env;
	env = calloc(1, sizeof(*env));
	if (!env)
		abort();
	snprintf(env->dir, sizeof(env->dir), "/tmp/hover-fuzz-qcow2.XXXXXX");
	if (!mkdtemp(env->dir))
		abort();
	snprintf(env->top, sizeof(env->top), "%s/top", env->dir);
	snprintf(env->base, sizeof(env->base), "%s/base", env->dir);
	env->buf = malloc(MAX_IO);
	if (!env->buf)
		abort();
	log_set_level(LOG_ERROR); /* corrupt images are reported by design */
	return env;
}

static void cleanup(void)
{
	struct qcow2_fuzz *env = fuzz_env();

	unlink(env->top);
	unlink(env->base);
	rmdir(env->dir);
}

static int put_file(const char *path, const u8 *p, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	int ret = 0;

	if (fd < 0)
		return -errno;
	if (len && write(fd, p, len) != (ssize_t)len)
		ret = -EIO;
	close(fd);
	return ret;
}

/*
 * One request. kind: bits 0-1 read/write/discard/flush; bit 2 splits the
 * buffer into two iovecs; bits 3-7 scale the length (0..31 KiB-ish, plus
 * the low offset byte). The offset is a fraction of the virtual size, so
 * requests land inside images of any size, at unaligned places too.
 */
static void do_request(struct qcow2_fuzz *env, struct block *b, const u8 *req)
{
	u64 frac = req[1] | (u64)req[2] << 8;
	u64 off = b->size ? (u64)((unsigned __int128)b->size * frac >> 16) : 0;
	u64 len = (u64)(req[0] >> 3) * 4096 + req[3];
	struct iovec iov[2];
	int n = 1;

	if (off > b->size)
		abort();
	if (len > b->size - off)
		len = b->size - off;
	if (len > MAX_IO)
		len = MAX_IO;
	iov[0] = (struct iovec){ env->buf, len };
	if ((req[0] & 4) && len > 1) {
		iov[0].iov_len = len / 3;
		iov[1] = (struct iovec){ env->buf + len / 3, len - len / 3 };
		n = 2;
	}
	switch (req[0] & 3) {
	case 0: (void)!block_preadv(b, iov, n, off); break;
	case 1:
		memset(env->buf, req[3], len);
		(void)!block_pwritev(b, iov, n, off);
		break;
	case 2: (void)!block_discard(b, off, len); break;
	default: (void)!block_flush(b); break;
	}
}

static void run(struct qcow2_fuzz *env, enum block_format fmt, bool readonly, const u8 *reqs)
{
	struct block *b;

	if (open_image(&b, env->top, fmt, readonly))
		return;
	for (unsigned i = 0; i < NREQ; i++) {
		const u8 *r = reqs + 4 * i;
		u8 ro_req[4] = { (u8)(r[0] & ~3), r[1], r[2], r[3] }; /* reads only */

		do_request(env, b, readonly ? ro_req : r);
	}
	block_close(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool registered;
	struct qcow2_fuzz *env = fuzz_env();
	size_t top_len;

	if (!registered) {
		atexit(cleanup);
		registered = true;
	}
	if (size < HDR_LEN)
		return 0;
	top_len = data[0] | (size_t)data[1] << 8 | (size_t)data[2] << 16 | (size_t)data[3] << 24;
	if (top_len > size - HDR_LEN)
		top_len = size - HDR_LEN;
	if (put_file(env->top, data + HDR_LEN, top_len) ||
	    put_file(env->base, data + HDR_LEN + top_len, size - HDR_LEN - top_len))
		return 0;
	run(env, BLOCK_FMT_QCOW2, true, data + 4);
	run(env, BLOCK_FMT_QCOW2, false, data + 4);
	run(env, BLOCK_FMT_QCOW2, true, data + 4);
	run(env, BLOCK_FMT_PROBE, true, data + 4);
	return 0;
}
