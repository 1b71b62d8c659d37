// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * host/block_qcow2*.c against images qemu-img makes, and qemu-img's verdict
 * on images hover wrote: `qemu-img check` clean, `qemu-img convert` giving
 * back exactly the bytes written. Skipped where qemu-img is not installed.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "host/block.h"
#include "tests/unit/sh_util.h"
#include "host/block_qcow2.h"

#define IMG_SIZE (8 * MiB)

static char dir[] = "/tmp/hover-qcow2-XXXXXX";
static u8 *expect;

static const char *p(const char *name)
{
	static char buf[4][512];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", dir, name);
	return buf[i];
}

static void pattern(u8 *buf, u64 len, u32 seed)
{
	for (u64 i = 0; i < len; i++)
		buf[i] = (u8)((i * 2654435761u + seed) >> 13) ^ (u8)(i >> 9);
}

static void write_file(const char *path, const u8 *buf, u64 len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, buf, len), (ssize_t)len);
	close(fd);
}

/* A qcow2 image the tests made: probed when read-only, named when writable, backing allowed. */
static struct block *open_img(const char *path, bool ro)
{
	struct block_open_opts o = { .fmt = ro ? BLOCK_FMT_PROBE : BLOCK_FMT_QCOW2, .readonly = ro,
				     .backing = true };
	struct block *b = NULL;
	char err[512];
	int ret = block_open(&b, path, &o, err, sizeof(err));

	if (ret)
		fail_msg("open %s: %s", path, err);
	return b;
}

static void rd(struct block *b, u64 off, u8 *buf, u64 len)
{
	struct iovec iov[2] = { { buf, len / 2 }, { buf + len / 2, len - len / 2 } };

	assert_int_equal(block_preadv(b, iov, 2, off), 0);
}

static void wr(struct block *b, u64 off, const u8 *buf, u64 len)
{
	struct iovec iov = { (void *)buf, len };

	assert_int_equal(block_pwritev(b, &iov, 1, off), 0);
	memcpy(expect + off, buf, len);
}

/* qemu-img check clean, and convert gives back `expect`. */
static void verify_with_qemu(const char *img)
{
	u8 *got = malloc(IMG_SIZE);
	int fd;

	assert_int_equal(sh("qemu-img check -q %s", img), 0);
	assert_int_equal(sh("qemu-img convert -O raw %s %s", img, p("out.raw")), 0);
	fd = open(p("out.raw"), O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(read(fd, got, IMG_SIZE), IMG_SIZE);
	close(fd);
	assert_memory_equal(got, expect, IMG_SIZE);
	free(got);
}

static void do_writes(struct block *b)
{
	u8 *buf = malloc(512 * KiB);

	pattern(buf, 512 * KiB, 7);
	wr(b, 0, buf, 4096);                    /* head of cluster 0 */
	wr(b, 65536 - 512, buf + 1000, 1024);   /* straddles clusters 0 and 1 */
	wr(b, 3 * 65536, buf, 65536);           /* one whole cluster */
	wr(b, 5 * 65536 + 4096, buf, 300 * KiB); /* partial, whole, partial */
	wr(b, 0, buf + 77, 512);                /* overwrite in place */
	wr(b, IMG_SIZE - 4096, buf, 4096);      /* the last cluster */
	assert_int_equal(block_flush(b), 0);
	free(buf);
}

static void test_read_qemu_made(void **state)
{
	u8 *got = malloc(IMG_SIZE);

	(void)state;
	pattern(expect, IMG_SIZE, 1);
	memset(expect + 2 * MiB, 0, MiB); /* a hole qemu-img leaves unallocated */
	write_file(p("src.raw"), expect, IMG_SIZE);
	assert_int_equal(sh("qemu-img convert -f raw -O qcow2 %s %s", p("src.raw"), p("a.qcow2")), 0);
	assert_int_equal(sh("qemu-img convert -c -f raw -O qcow2 %s %s", p("src.raw"),
			    p("c.qcow2")), 0);
	assert_int_equal(sh("qemu-img convert -f raw -O qcow2 -o compat=0.10,cluster_size=4096 "
			    "%s %s", p("src.raw"), p("v2.qcow2")), 0);
	for (int i = 0; i < 3; i++) {
		struct block *b = open_img(p(i == 0 ? "a.qcow2" : i == 1 ? "c.qcow2" : "v2.qcow2"),
					   true);

		assert_int_equal(b->size, IMG_SIZE);
		memset(got, 0xAA, IMG_SIZE);
		rd(b, 0, got, IMG_SIZE);
		assert_memory_equal(got, expect, IMG_SIZE);
		rd(b, 12345, got, 100000); /* unaligned */
		assert_memory_equal(got, expect + 12345, 100000);
		block_close(b);
	}
	free(got);
}

static void test_write_empty(void **state)
{
	struct block *b;

	(void)state;
	memset(expect, 0, IMG_SIZE);
	assert_int_equal(sh("qemu-img create -q -f qcow2 %s 8M", p("w.qcow2")), 0);
	b = open_img(p("w.qcow2"), false);
	do_writes(b);
	block_close(b);
	verify_with_qemu(p("w.qcow2"));
}

static void test_write_small_clusters(void **state)
{
	struct block *b;
	u8 *buf = malloc(IMG_SIZE);

	(void)state;
	/* 512-byte clusters: a refcount block covers 128 KiB, so writing 8 MiB adds many. */
	memset(expect, 0, IMG_SIZE);
	assert_int_equal(sh("qemu-img create -q -f qcow2 -o cluster_size=512 %s 8M",
			    p("s.qcow2")), 0);
	b = open_img(p("s.qcow2"), false);
	pattern(buf, IMG_SIZE, 3);
	wr(b, 0, buf, IMG_SIZE);
	do_writes(b);
	block_close(b);
	verify_with_qemu(p("s.qcow2"));
	free(buf);
}

static void test_write_compressed_and_backing(void **state)
{
	struct block *b;
	u8 *got = malloc(IMG_SIZE);

	(void)state;
	/* Overwrite parts of compressed clusters. */
	pattern(expect, IMG_SIZE, 1);
	memset(expect + 2 * MiB, 0, MiB);
	assert_int_equal(sh("cp %s %s", p("c.qcow2"), p("cw.qcow2")), 0);
	b = open_img(p("cw.qcow2"), false);
	do_writes(b);
	block_close(b);
	verify_with_qemu(p("cw.qcow2"));

	/* A qcow2 overlay over a raw base: reads fall through, writes copy up. */
	pattern(expect, IMG_SIZE, 1);
	memset(expect + 2 * MiB, 0, MiB);
	assert_int_equal(sh("qemu-img create -q -f qcow2 -b src.raw -F raw %s", p("ov.qcow2")), 0);
	b = open_img(p("ov.qcow2"), false);
	rd(b, 0, got, IMG_SIZE);
	assert_memory_equal(got, expect, IMG_SIZE);
	do_writes(b);
	rd(b, 0, got, IMG_SIZE);
	assert_memory_equal(got, expect, IMG_SIZE);
	/* Discard over a backing file reads back zeroes (v3 zero clusters). */
	assert_int_equal(block_discard(b, 3 * 65536, 65536), 0);
	memset(expect + 3 * 65536, 0, 65536);
	block_close(b);
	verify_with_qemu(p("ov.qcow2"));
	free(got);
}

/* The L2 cache: least recently used out, write-through updates, a failed write drops the slot. */
static void test_l2_cache(void **state)
{
	const u64 tb = 512 * KiB; /* 1 MiB budget: two slots */
	struct qcow2_l2_cache c;
	const u8 *t;
	u8 *file = malloc(4 * tb), raw[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	int fd;

	(void)state;
	pattern(file, 4 * tb, 11);
	write_file(p("l2.bin"), file, 4 * tb);
	fd = open(p("l2.bin"), O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(qcow2_l2_cache_init(&c, tb), 0);
	assert_int_equal(c.nslots, 2);
	assert_int_equal(qcow2_l2_cache_get(&c, fd, 0, &t), -EINVAL);
	assert_int_equal(qcow2_l2_cache_get(&c, fd, tb, &t), 0); /* A: miss */
	assert_memory_equal(t, file + tb, tb);
	assert_int_equal(qcow2_l2_cache_get(&c, fd, 2 * tb, &t), 0); /* B: miss */
	assert_int_equal(qcow2_l2_cache_get(&c, fd, tb, &t), 0);     /* A: hit */
	assert_int_equal(c.misses, 2);
	assert_int_equal(c.hits, 1);
	assert_int_equal(qcow2_l2_cache_get(&c, fd, 3 * tb, &t), 0); /* C evicts B, not A */
	assert_memory_equal(t, file + 3 * tb, tb);
	assert_int_equal(qcow2_l2_cache_get(&c, fd, tb, &t), 0);
	assert_int_equal(c.misses, 3);
	assert_int_equal(qcow2_l2_cache_get(&c, fd, 2 * tb, &t), 0); /* B again: evicts C */
	assert_int_equal(c.misses, 4);
	assert_memory_equal(t, file + 2 * tb, tb);
	/* Write-through: the cached copy takes what was written (the file here is not). */
	qcow2_l2_cache_update(&c, 2 * tb, 64, raw, 8, true);
	assert_int_equal(qcow2_l2_cache_get(&c, fd, 2 * tb, &t), 0);
	assert_int_equal(c.misses, 4);
	assert_memory_equal(t + 64, raw, 8);
	assert_memory_equal(t, file + 2 * tb, 64);
	/* A table that is not cached is not made up; one whose write failed is read again. */
	qcow2_l2_cache_update(&c, 3 * tb, 0, raw, 8, true);
	qcow2_l2_cache_update(&c, 2 * tb, 64, raw, 8, false);
	assert_int_equal(qcow2_l2_cache_get(&c, fd, 2 * tb, &t), 0);
	assert_int_equal(c.misses, 5);
	assert_memory_equal(t, file + 2 * tb, tb);
	assert_int_equal(qcow2_l2_cache_get(&c, fd, 3 * tb, &t), 0);
	assert_memory_equal(t, file + 3 * tb, tb);
	qcow2_l2_cache_free(&c);
	close(fd);
	free(file);
}

/*
 * One large write into an empty image allocates runs: with 4 KiB clusters an
 * L2 table maps 2 MiB and a refcount block counts 8 MiB of the file, so an
 * 8 MiB write crosses both. The data lands in few host runs (the file grows
 * by little more than the data), qemu-img agrees, and a sequential read back
 * misses the L2 cache at most once per table.
 */
static void test_write_runs(void **state)
{
	struct iovec iov[3];
	struct block *b;
	u8 *buf = malloc(IMG_SIZE), *got = malloc(IMG_SIZE);
	struct stat st;

	(void)state;
	pattern(buf, IMG_SIZE, 5);
	memcpy(expect, buf, IMG_SIZE);
	assert_int_equal(sh("qemu-img create -q -f qcow2 -o cluster_size=4096 %s 8M",
			    p("run.qcow2")), 0);
	b = open_img(p("run.qcow2"), false);
	/* Buffers split off the cluster grid, as a guest's pages are. */
	iov[0] = (struct iovec){ buf, 1000 };
	iov[1] = (struct iovec){ buf + 1000, 3 * MiB };
	iov[2] = (struct iovec){ buf + 1000 + 3 * MiB, IMG_SIZE - 1000 - 3 * MiB };
	assert_int_equal(block_pwritev(b, iov, 3, 0), 0);
	/* Allocated: a crash-safe pool of fresh clusters is reserved ahead, not written. */
	assert_int_equal(stat(p("run.qcow2"), &st), 0);
	assert_true((u64)st.st_blocks * 512 < IMG_SIZE + 256 * KiB);
	qcow2_of(b)->l2c.misses = 0;
	rd(b, 0, got, IMG_SIZE);
	assert_memory_equal(got, expect, IMG_SIZE);
	/* At most once per table (tables the writes looked up may still be cached). */
	assert_in_range(qcow2_of(b)->l2c.misses, 1, IMG_SIZE / (2 * MiB));
	/* Rewrites in place, partly over the grid. */
	wr(b, 4096 * 3 + 100, buf + 7, 3 * MiB);
	assert_int_equal(block_flush(b), 0);
	block_close(b);
	/* Closed: what the pool did not use is cut off the end again. */
	assert_int_equal(stat(p("run.qcow2"), &st), 0);
	assert_true((u64)st.st_size < IMG_SIZE + 256 * KiB);
	verify_with_qemu(p("run.qcow2"));
	free(buf);
	free(got);
}

static void test_bad_images(void **state)
{
	struct block *b, *b2;
	char err[512];
	u8 hdr[512];

	(void)state;
	/* Not a qcow2 at all, but called one. */
	write_file(p("junk.img"), (const u8 *)"hello, world", 12);
	assert_int_not_equal(block_open(&b, p("junk.img"), &(struct block_open_opts){
		.fmt = BLOCK_FMT_QCOW2, .readonly = true }, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "junk.img"));
	assert_non_null(strstr(err, "not a qcow2"));
	/* A corrupt header: cluster_bits 40. */
	assert_int_equal(sh("qemu-img create -q -f qcow2 %s 1M", p("bad.qcow2")), 0);
	memset(hdr, 0, sizeof(hdr));
	hdr[23] = 40;
	{
		int fd = open(p("bad.qcow2"), O_WRONLY);

		assert_int_equal(pwrite(fd, hdr + 20, 4, 20), 4);
		close(fd);
	}
	assert_int_not_equal(block_open(&b, p("bad.qcow2"), &(struct block_open_opts){
		.readonly = true }, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "corrupt qcow2 header"));
	/* Missing file. */
	assert_int_equal(block_open(&b, p("nope.qcow2"), &(struct block_open_opts){
		.readonly = true }, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "nope.qcow2"));
	/* Locked: a second writer is refused, and so is a reader. */
	b = open_img(p("w.qcow2"), false);
	assert_int_equal(block_open(&b2, p("w.qcow2"), &(struct block_open_opts){
		.fmt = BLOCK_FMT_QCOW2 }, err, sizeof(err)), -EAGAIN);
	assert_non_null(strstr(err, "locked"));
	assert_int_equal(block_open(&b2, p("w.qcow2"), &(struct block_open_opts){
		.readonly = true }, err, sizeof(err)), -EAGAIN);
	block_close(b);
	/* Two readers share. */
	b = open_img(p("w.qcow2"), true);
	b2 = open_img(p("w.qcow2"), true);
	assert_int_equal(block_pwritev(b, &(struct iovec){ hdr, 512 }, 1, 0), -EROFS);
	block_close(b2);
	block_close(b);
}

static int setup(void **state)
{
	(void)state;
	if (system("qemu-img --version >/dev/null 2>&1"))
		return 0;
	if (!mkdtemp(dir))
		return -1;
	expect = malloc(IMG_SIZE);
	return expect ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	if (expect)
		sh("rm -rf %s", dir);
	free(expect);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_read_qemu_made),
		cmocka_unit_test(test_write_empty),
		cmocka_unit_test(test_write_small_clusters),
		cmocka_unit_test(test_write_compressed_and_backing),
		cmocka_unit_test(test_l2_cache),
		cmocka_unit_test(test_write_runs),
		cmocka_unit_test(test_bad_images),
	};

	if (system("qemu-img --version >/dev/null 2>&1")) {
		printf("qemu-img not installed: skipping\n");
		return 77;
	}
	return cmocka_run_group_tests(tests, setup, teardown);
}
