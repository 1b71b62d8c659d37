// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What a hostile guest or a crafted image must not get from host/block*.c
 * (the rules in host/block.h): a writable image is never probed, sector 0 of
 * a raw disk whose format was not given cannot become a qcow2 header,
 * backing files are followed only when allowed, never in a loop and at most
 * BLOCK_MAX_CHAIN deep, header fields cannot wrap, guest data never lands on
 * metadata, a failed flush stays failed, and a killed hover leaves an image
 * that `qemu-img check` finds no corruption in. Skipped without qemu-img.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "host/block.h"
#include "tests/unit/sh_util.h"
#include "host/block_qcow2.h"

static char dir[] = "/tmp/hover-blocksafe-XXXXXX";
static bool have_qemu_img;

static const char *p(const char *name)
{
	static char buf[8][512];
	static int i;

	i = (i + 1) % 8;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", dir, name);
	return buf[i];
}

#define SKIP_WITHOUT_QEMU_IMG()                                                                    \
	do {                                                                                       \
		if (!have_qemu_img)                                                                \
			skip();                                                                    \
	} while (0)

static int try_open(struct block **b, const char *path, enum block_format fmt, bool ro,
		    bool backing, char *err, size_t errlen)
{
	struct block_open_opts o = { .fmt = fmt, .readonly = ro, .backing = backing };

	*b = NULL;
	err[0] = 0;
	return block_open(b, path, &o, err, errlen);
}

static void put_be(const char *path, u64 off, u64 v, unsigned bytes)
{
	u8 raw[8];
	int fd = open(path, O_WRONLY);

	for (unsigned i = 0; i < bytes; i++)
		raw[i] = v >> (8 * (bytes - 1 - i));
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, raw, bytes, off), (ssize_t)bytes);
	close(fd);
}

static u64 get_be(const char *path, u64 off)
{
	u8 raw[8];
	int fd = open(path, O_RDONLY);

	assert_true(fd >= 0);
	assert_int_equal(pread(fd, raw, 8, off), 8);
	close(fd);
	return qcow2_be64(raw);
}

/*
 * The escape of issue 12: a guest's raw disk that holds a qcow2 header
 * naming a host file as its backing file. Writable and format not given:
 * refused, never read as qcow2. Read-only: probed, but the backing file is
 * followed only with backing=on.
 */
static void test_writable_image_never_probed(void **state)
{
	char err[512], secret[512] = { 0 }, got[512] = { 0 };
	enum block_format fmt;
	struct block *b;
	bool guard;
	int fd;

	(void)state;
	SKIP_WITHOUT_QEMU_IMG();
	fd = open(p("secret.txt"), O_WRONLY | O_CREAT | O_TRUNC, 0600);
	snprintf(secret, sizeof(secret), "host secret %d\n", getpid());
	assert_int_equal(write(fd, secret, 512), 512);
	close(fd);
	assert_int_equal(sh("qemu-img create -q -f qcow2 -b %s -F raw %s 64K", p("secret.txt"),
			    p("evil.img")), 0);

	assert_int_equal(try_open(&b, p("evil.img"), BLOCK_FMT_PROBE, false, false, err,
				  sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "never guesses"));
	assert_non_null(strstr(err, "format=qcow2"));
	assert_int_equal(block_choose_format(p("evil.img"), BLOCK_FMT_PROBE, false, &fmt, &guard,
					     err, sizeof(err)), -EINVAL);
	/* Backing files allowed changes nothing for a writable image. */
	assert_int_equal(try_open(&b, p("evil.img"), BLOCK_FMT_PROBE, false, true, err,
				  sizeof(err)), -EINVAL);

	/* Said to be raw: the guest sees its own bytes, the header, and nothing else. */
	assert_int_equal(try_open(&b, p("evil.img"), BLOCK_FMT_RAW, false, false, err,
				  sizeof(err)), 0);
	assert_string_equal(b->ops->name, "raw");
	assert_int_equal(block_preadv(b, &(struct iovec){ got, 4 }, 1, 0), 0);
	assert_memory_equal(got, "QFI\xfb", 4);
	block_close(b);

	/* Read-only: probed as qcow2, and its backing file refused unless allowed. */
	assert_int_equal(try_open(&b, p("evil.img"), BLOCK_FMT_PROBE, true, false, err,
				  sizeof(err)), -EPERM);
	assert_non_null(strstr(err, "backing=on"));
	assert_non_null(strstr(err, "evil.img"));
	assert_int_equal(block_choose_format(p("evil.img"), BLOCK_FMT_PROBE, true, &fmt, &guard,
					     err, sizeof(err)), 0);
	assert_int_equal(fmt, BLOCK_FMT_QCOW2);
	assert_false(guard);
	/* The user allowed it: then, and only then, the chain is read. */
	assert_int_equal(try_open(&b, p("evil.img"), BLOCK_FMT_PROBE, true, true, err,
				  sizeof(err)), 0);
	assert_int_equal(block_preadv(b, &(struct iovec){ got, 512 }, 1, 0), 0);
	assert_memory_equal(got, secret, 512);
	block_close(b);
}

/* A raw disk whose format was not given: the guest cannot write the qcow2 magic at 0. */
static void test_sector0_guard(void **state)
{
	u8 zero[4096] = { 0 }, hdr[512] = { 'Q', 'F', 'I', 0xfb, 0, 0, 0, 3 }, got[8];
	char err[512];
	struct block *b;
	int fd;

	(void)state;
	fd = open(p("raw.img"), O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_int_equal(write(fd, zero, sizeof(zero)), (ssize_t)sizeof(zero));
	close(fd);
	assert_int_equal(try_open(&b, p("raw.img"), BLOCK_FMT_PROBE, false, false, err,
				  sizeof(err)), 0);
	assert_true(b->guard_sector0);
	assert_int_equal(block_pwritev(b, &(struct iovec){ hdr, 512 }, 1, 0), -EPERM);
	/* Split over buffers, as a guest's scatter list may be. */
	assert_int_equal(block_pwritev(b, (struct iovec[]){ { hdr, 2 }, { hdr + 2, 510 } }, 2, 0),
			 -EPERM);
	/* Built up in pieces: "QF" first, then "I\xfb" at offset 2. */
	assert_int_equal(block_pwritev(b, &(struct iovec){ hdr, 2 }, 1, 0), 0);
	assert_int_equal(block_pwritev(b, &(struct iovec){ hdr + 2, 2 }, 1, 2), -EPERM);
	/* Anything else at 0 is the guest's business; so is the magic elsewhere. */
	assert_int_equal(block_pwritev(b, &(struct iovec){ zero, 512 }, 1, 0), 0);
	assert_int_equal(block_pwritev(b, &(struct iovec){ hdr, 512 }, 1, 512), 0);
	assert_int_equal(block_preadv(b, &(struct iovec){ got, 4 }, 1, 0), 0);
	assert_memory_equal(got, zero, 4);
	block_close(b);
	/* format=raw given: the user knows what the disk holds; no guard. */
	assert_int_equal(try_open(&b, p("raw.img"), BLOCK_FMT_RAW, false, false, err,
				  sizeof(err)), 0);
	assert_false(b->guard_sector0);
	assert_int_equal(block_pwritev(b, &(struct iovec){ hdr, 512 }, 1, 0), 0);
	block_close(b);
}

/* Self-backed, A<->B, and chains past BLOCK_MAX_CHAIN: a clear error, no recursion crash. */
static void test_backing_loops_and_depth(void **state)
{
	char err[512], name[32], prev[32];
	struct block *b;

	(void)state;
	SKIP_WITHOUT_QEMU_IMG();
	assert_int_equal(sh("qemu-img create -q -f qcow2 -u -b self.qcow2 -F qcow2 %s 1M",
			    p("self.qcow2")), 0);
	assert_int_equal(try_open(&b, p("self.qcow2"), BLOCK_FMT_PROBE, true, true, err,
				  sizeof(err)), -ELOOP);
	assert_non_null(strstr(err, "loops"));
	assert_int_equal(sh("qemu-img create -q -f qcow2 -u -b b.qcow2 -F qcow2 %s 1M",
			    p("a.qcow2")), 0);
	assert_int_equal(sh("qemu-img create -q -f qcow2 -u -b a.qcow2 -F qcow2 %s 1M",
			    p("b.qcow2")), 0);
	assert_int_equal(try_open(&b, p("a.qcow2"), BLOCK_FMT_QCOW2, false, true, err,
				  sizeof(err)), -ELOOP);
	/* A loop through a symlink is the same file. */
	assert_int_equal(sh("ln -sf a.qcow2 %s && qemu-img create -q -f qcow2 -u -b link.qcow2 "
			    "-F qcow2 %s 1M", p("link.qcow2"), p("b.qcow2")), 0);
	assert_int_equal(try_open(&b, p("a.qcow2"), BLOCK_FMT_PROBE, true, true, err,
				  sizeof(err)), -ELOOP);

	/* c0 <- c1 <- ... : the image plus 16 backing files opens, one more does not. */
	assert_int_equal(sh("qemu-img create -q -f raw %s 1M", p("c0")), 0);
	snprintf(prev, sizeof(prev), "c0");
	for (int i = 1; i <= BLOCK_MAX_CHAIN + 1; i++) {
		snprintf(name, sizeof(name), "c%d", i);
		assert_int_equal(sh("qemu-img create -q -f qcow2 -b %s -F %s %s 1M", prev,
				    i == 1 ? "raw" : "qcow2", p(name)), 0);
		snprintf(prev, sizeof(prev), "%s", name);
	}
	snprintf(name, sizeof(name), "c%d", BLOCK_MAX_CHAIN);
	assert_int_equal(try_open(&b, p(name), BLOCK_FMT_QCOW2, false, true, err, sizeof(err)), 0);
	block_close(b);
	snprintf(name, sizeof(name), "c%d", BLOCK_MAX_CHAIN + 1);
	assert_int_equal(try_open(&b, p(name), BLOCK_FMT_QCOW2, false, true, err, sizeof(err)),
			 -ELOOP);
	assert_non_null(strstr(err, "longer than 16"));
}

/* Header fields chosen to wrap 64-bit sums: refused as corrupt, nothing read out of bounds. */
static void test_header_overflows(void **state)
{
	static const struct { u64 off; u64 v; unsigned bytes; const char *why; } bad[] = {
		{ 8, 0xffffffffffffff00ULL, 8, "bad backing file name" },   /* backing offset */
		{ 8, 65535, 8, "bad backing file name" },                   /* name past the cluster */
		{ 40, 0xfffffffffff00000ULL, 8, "L1 table" },               /* L1 offset */
		{ 48, 0xffffffffffff0000ULL, 8, "refcount table" },          /* refcount table */
		{ 40, 0, 8, "L1 table" },                                   /* L1 on the header */
	};
	char err[512];
	struct block *b;

	(void)state;
	SKIP_WITHOUT_QEMU_IMG();
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(sh("qemu-img create -q -f raw %s 1M", p("base.raw")), 0);
		assert_int_equal(sh("qemu-img create -q -f qcow2 -b base.raw -F raw %s 1M",
				    p("ovf.qcow2")), 0);
		put_be(p("ovf.qcow2"), bad[i].off, bad[i].v, bad[i].bytes);
		if (bad[i].off == 8)
			put_be(p("ovf.qcow2"), 16, 0x100, 4); /* name length */
		assert_int_equal(try_open(&b, p("ovf.qcow2"), BLOCK_FMT_QCOW2, false, true, err,
					  sizeof(err)), -EINVAL);
		if (!strstr(err, bad[i].why))
			fail_msg("case %zu: '%s' does not mention '%s'", i, err, bad[i].why);
	}
}

/*
 * Guest data never lands on metadata: an L2 entry pointing a guest cluster
 * at the L1 table makes that write fail (EIO) and leaves L1 as it was; two
 * tables sharing a cluster make a writable open fail.
 */
static void test_metadata_overlap(void **state)
{
	u8 buf[65536];
	char err[512];
	struct block *b;
	u64 l1_off, l1_0, l2_off, rt_off;

	(void)state;
	SKIP_WITHOUT_QEMU_IMG();
	memset(buf, 0x5a, sizeof(buf));
	assert_int_equal(sh("qemu-img create -q -f qcow2 %s 4M", p("ov.qcow2")), 0);
	assert_int_equal(try_open(&b, p("ov.qcow2"), BLOCK_FMT_QCOW2, false, false, err,
				  sizeof(err)), 0);
	assert_int_equal(block_pwritev(b, &(struct iovec){ buf, sizeof(buf) }, 1, 0), 0);
	block_close(b);
	l1_off = get_be(p("ov.qcow2"), 40);
	rt_off = get_be(p("ov.qcow2"), 48);
	l1_0 = get_be(p("ov.qcow2"), l1_off);
	l2_off = l1_0 & QCOW2_OFFSET_MASK;
	assert_true(l2_off != 0);
	/* Guest cluster 0 -> the L1 table's cluster. */
	put_be(p("ov.qcow2"), l2_off, l1_off | QCOW2_OFLAG_COPIED, 8);
	assert_int_equal(try_open(&b, p("ov.qcow2"), BLOCK_FMT_QCOW2, false, false, err,
				  sizeof(err)), 0);
	assert_int_equal(block_pwritev(b, &(struct iovec){ buf, 512 }, 1, 0), -EIO);
	assert_int_equal(block_discard(b, 0, 65536), -EIO); /* nor freed from under the L1 */
	block_close(b);
	assert_int_equal(get_be(p("ov.qcow2"), l1_off), l1_0);
	/* L1[0] -> the refcount table: the image is refused for writing, readable read-only. */
	put_be(p("ov.qcow2"), l1_off, rt_off | QCOW2_OFLAG_COPIED, 8);
	assert_int_equal(try_open(&b, p("ov.qcow2"), BLOCK_FMT_QCOW2, false, false, err,
				  sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "two metadata structures"));
	assert_int_equal(try_open(&b, p("ov.qcow2"), BLOCK_FMT_QCOW2, true, false, err,
				  sizeof(err)), 0);
	block_close(b);
}

/* ---- a failed flush stays failed ---- */

static int fake_flush_calls;

static int fake_rw(struct block *b, const struct iovec *iov, int n, u64 off)
{
	(void)b, (void)iov, (void)n, (void)off;
	return 0;
}

static int fake_flush(struct block *b)
{
	(void)b;
	/* The kernel reports a lost write once; the next fdatasync "succeeds". */
	return fake_flush_calls++ == 1 ? -EIO : 0;
}

static void test_flush_error_sticks(void **state)
{
	static const struct block_ops ops = { .name = "fake", .preadv = fake_rw,
					      .pwritev = fake_rw, .flush = fake_flush };
	struct block b = { .ops = &ops, .path = "fake.img", .fd = -1, .size = 4096 };

	(void)state;
	fake_flush_calls = 0;
	assert_int_equal(block_flush(&b), 0);
	assert_int_equal(block_flush(&b), -EIO);
	assert_int_equal(block_flush(&b), -EIO);
	assert_int_equal(block_flush(&b), -EIO);
	assert_int_equal(fake_flush_calls, 2);
}

/* 1 MiB of 7s: compresses well, so qemu-img's -c makes compressed clusters of it. */
static void make_src(void)
{
	u8 buf[65536];
	int fd = open(p("src1.raw"), O_WRONLY | O_CREAT | O_TRUNC, 0600);

	assert_true(fd >= 0);
	memset(buf, 7, sizeof(buf));
	for (int i = 0; i < 16; i++)
		assert_int_equal(write(fd, buf, sizeof(buf)), (ssize_t)sizeof(buf));
	close(fd);
}

/* Frees wait for a flush: until the L2 change is durable, the old cluster keeps its data. */
static void test_frees_wait_for_flush(void **state)
{
	u8 buf[4096];
	char err[512];
	struct block *b;

	(void)state;
	SKIP_WITHOUT_QEMU_IMG();
	make_src();
	assert_int_equal(sh("qemu-img convert -c -f raw -O qcow2 %s %s", p("src1.raw"),
			    p("cmp.qcow2")), 0);
	assert_int_equal(try_open(&b, p("cmp.qcow2"), BLOCK_FMT_QCOW2, false, false, err,
				  sizeof(err)), 0);
	memset(buf, 9, sizeof(buf));
	assert_int_equal(block_pwritev(b, &(struct iovec){ buf, sizeof(buf) }, 1, 4096), 0);
	assert_int_equal(block_discard(b, 65536, 65536), 0);
	assert_int_equal(qcow2_of(b)->nfree, 2);
	assert_int_equal(block_flush(b), 0);
	assert_int_equal(qcow2_of(b)->nfree, 0);
	block_close(b);
	assert_int_equal(sh("qemu-img check -q %s", p("cmp.qcow2")), 0);
}

/*
 * hover killed in the middle of allocating writes, copy-on-write over
 * compressed clusters and discards: `qemu-img check` may find leaked
 * clusters (exit 3; `-r leaks` repairs them) but never corruption (exit 2).
 */
static void test_killed_writer_leaves_no_corruption(void **state)
{
	(void)state;
	SKIP_WITHOUT_QEMU_IMG();
	make_src();
	for (int round = 0; round < 4; round++) {
		pid_t pid;
		int st, rc;

		assert_int_equal(sh("qemu-img convert -c -f raw -O qcow2 -o cluster_size=4096 %s %s",
				    p("src1.raw"), p("kill.qcow2")), 0);
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			struct block *b;
			char err[512];
			static u8 buf[128 * 1024];
			u64 seed = 12345 + round;

			if (try_open(&b, p("kill.qcow2"), BLOCK_FMT_QCOW2, false, false, err,
				     sizeof(err)))
				_exit(1);
			for (unsigned i = 0;; i++) {
				u64 len, off;

				seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
				len = 512 + (seed >> 40) % (sizeof(buf) - 512);
				off = ((seed >> 20) % (1 * MiB - len)) & ~511ULL;
				memset(buf, (int)i, len);
				if (block_pwritev(b, &(struct iovec){ buf, len }, 1, off))
					_exit(2);
				if (i % 7 == 0 && block_discard(b, off, len))
					_exit(3);
				if (i % 13 == 0 && block_flush(b))
					_exit(4);
			}
		}
		usleep(50000 + round * 70000);
		kill(pid, SIGKILL);
		assert_int_equal(waitpid(pid, &st, 0), pid);
		assert_true(WIFSIGNALED(st)); /* it was still writing, not failed */
		rc = sh("qemu-img check -q %s >/dev/null 2>&1", p("kill.qcow2"));
		assert_true(WIFEXITED(rc));
		if (WEXITSTATUS(rc) != 0 && WEXITSTATUS(rc) != 3)
			fail_msg("round %d: qemu-img check exit %d (corruption)", round,
				 WEXITSTATUS(rc));
	}
}

/* A FIFO or a directory is refused at once, not read (a FIFO would block forever). */
static void test_not_regular_files(void **state)
{
	char err[512];
	struct block *b;

	(void)state;
	assert_int_equal(mkfifo(p("fifo"), 0600), 0);
	alarm(10); /* a hang fails the test instead of the run */
	assert_int_equal(try_open(&b, p("fifo"), BLOCK_FMT_PROBE, true, false, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "not a regular file"));
	assert_int_equal(try_open(&b, p("fifo"), BLOCK_FMT_RAW, false, false, err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(try_open(&b, dir, BLOCK_FMT_PROBE, true, false, err, sizeof(err)),
			 -EINVAL);
	alarm(0);
}

/* confine: every file of the chain must lie in the directories given, symlinks resolved. */
static void test_confinement(void **state)
{
	const char *dirs[2] = { NULL, NULL };
	struct block_open_opts o = { .fmt = BLOCK_FMT_PROBE, .readonly = true, .backing = true,
				     .confine = dirs };
	char err[512], in[256], path[600];
	struct block *b;

	(void)state;
	SKIP_WITHOUT_QEMU_IMG();
	snprintf(in, sizeof(in), "%s/in", dir);
	assert_int_equal(sh("mkdir -p %s && qemu-img create -q -f raw %s/base.raw 1M && "
			    "qemu-img create -q -f qcow2 -b base.raw -F raw %s/top.qcow2 1M && "
			    "qemu-img create -q -f raw %s 1M && "
			    "qemu-img create -q -f qcow2 -b ../out.raw -F raw %s/esc.qcow2 1M && "
			    "ln -sf ../out.raw %s/link.raw", in, in, in, p("out.raw"), in, in), 0);
	dirs[0] = in;
	snprintf(path, sizeof(path), "%s/top.qcow2", in);
	assert_int_equal(block_open(&b, path, &o, err, sizeof(err)), 0);
	block_close(b);
	assert_int_equal(block_open(&b, p("out.raw"), &o, err, sizeof(err)), -EACCES);
	assert_non_null(strstr(err, "outside the directories"));
	snprintf(path, sizeof(path), "%s/link.raw", in);
	assert_int_equal(block_open(&b, path, &o, err, sizeof(err)), -EACCES);
	snprintf(path, sizeof(path), "%s/esc.qcow2", in);
	assert_int_equal(block_open(&b, path, &o, err, sizeof(err)), -EACCES);
	assert_non_null(strstr(err, "backing file"));
}

static int setup(void **state)
{
	(void)state;
	have_qemu_img = !system("qemu-img --version >/dev/null 2>&1");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	sh("rm -rf %s", dir);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_writable_image_never_probed),
		cmocka_unit_test(test_sector0_guard),
		cmocka_unit_test(test_backing_loops_and_depth),
		cmocka_unit_test(test_header_overflows),
		cmocka_unit_test(test_metadata_overlap),
		cmocka_unit_test(test_flush_error_sticks),
		cmocka_unit_test(test_frees_wait_for_flush),
		cmocka_unit_test(test_killed_writer_leaves_no_corruption),
		cmocka_unit_test(test_not_regular_files),
		cmocka_unit_test(test_confinement),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
