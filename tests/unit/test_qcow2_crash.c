// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * qcow2 crash consistency under power loss, simulated: the test binary is
 * linked with --wrap for pwrite64, pwritev64, fallocate64 and fdatasync (what
 * glibc's headers turn the calls into with 64-bit offsets), so every write the
 * qcow2 driver makes goes through here. The wrappers do the write and keep
 * an undo record of it until the next fdatasync. A "power cut" at write k
 * stops the writer there and then, for the writes since the last sync,
 * keeps a random subset and reverts the rest (as a disk cache may persist
 * any of them, in any order, but not what was synced). `qemu-img check`
 * must then find no corruption: leaks (exit 3) are allowed, a cluster in use
 * with refcount 0 or a table pointing at garbage (exit 2) is not.
 *
 * The workload (allocating writes, copy-on-write over compressed clusters,
 * discards, flushes) is deterministic, so crash point k is the same write
 * in every run. Skipped without qemu-img.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "host/block.h"
#include "tests/unit/sh_util.h"

ssize_t __real_pwrite64(int fd, const void *buf, size_t n, off_t off);
ssize_t __real_pwritev64(int fd, const struct iovec *iov, int cnt, off_t off);
int __real_fallocate64(int fd, int mode, off_t off, off_t len);
int __real_fdatasync(int fd);
ssize_t __wrap_pwrite64(int fd, const void *buf, size_t n, off_t off);
ssize_t __wrap_pwritev64(int fd, const struct iovec *iov, int cnt, off_t off);
int __wrap_fallocate64(int fd, int mode, off_t off, off_t len);
int __wrap_fdatasync(int fd);

static char dir[] = "/tmp/hover-qcow2crash-XXXXXX";
static bool have_qemu_img;

/* ---- the simulated disk cache (only in the writer child) ---- */

struct undo {
	off_t off;
	size_t len;
	u8 *old, *new;
};

static struct {
	bool on;
	long writes;   /* writes so far */
	long crash_at; /* power cut before this write; -1: never */
	unsigned seed; /* which unsynced writes survive */
	struct undo log[4096];
	unsigned n;
	int fd; /* the image */
} sim;

static void power_cut(void)
{
	bool keep[4096];
	unsigned r = sim.seed;

	for (unsigned i = 0; i < sim.n; i++) {
		r = r * 1103515245u + 12345u;
		/* seed 0: nothing since the last sync survives; else a random half. */
		keep[i] = sim.seed && (r >> 16) & 1;
	}
	for (unsigned i = sim.n; i-- > 0;)
		if (!keep[i])
			__real_pwrite64(sim.fd, sim.log[i].old, sim.log[i].len, sim.log[i].off);
	for (unsigned i = 0; i < sim.n; i++)
		if (keep[i])
			__real_pwrite64(sim.fd, sim.log[i].new, sim.log[i].len, sim.log[i].off);
	_exit(0);
}

/* Before a write of len bytes at off: the cut, if due, and the undo record. */
static void record(int fd, off_t off, size_t len, const struct iovec *iov, int cnt,
		   const void *buf, bool zero)
{
	struct undo *u;
	size_t done = 0;

	if (!sim.on || fd != sim.fd)
		return;
	if (sim.writes++ == sim.crash_at)
		power_cut();
	if (sim.n == sizeof(sim.log) / sizeof(sim.log[0]))
		abort(); /* the workload syncs often enough; a test bug otherwise */
	u = &sim.log[sim.n++];
	u->off = off;
	u->len = len;
	u->old = calloc(1, len);
	u->new = calloc(1, len);
	if (pread(fd, u->old, len, off) < 0)
		abort();
	if (buf)
		memcpy(u->new, buf, len);
	for (int i = 0; iov && i < cnt; i++) {
		memcpy(u->new + done, iov[i].iov_base, iov[i].iov_len);
		done += iov[i].iov_len;
	}
	(void)zero; /* a punched hole reads back zeroes: new stays zeroed */
}

ssize_t __wrap_pwrite64(int fd, const void *buf, size_t n, off_t off)
{
	record(fd, off, n, NULL, 0, buf, false);
	return __real_pwrite64(fd, buf, n, off);
}

ssize_t __wrap_pwritev64(int fd, const struct iovec *iov, int cnt, off_t off)
{
	size_t len = 0;

	for (int i = 0; i < cnt; i++)
		len += iov[i].iov_len;
	record(fd, off, len, iov, cnt, NULL, false);
	return __real_pwritev64(fd, iov, cnt, off);
}

int __wrap_fallocate64(int fd, int mode, off_t off, off_t len)
{
	record(fd, off, len, NULL, 0, NULL, true);
	return __real_fallocate64(fd, mode, off, len);
}

int __wrap_fdatasync(int fd)
{
	if (sim.on && fd == sim.fd) {
		for (unsigned i = 0; i < sim.n; i++) {
			free(sim.log[i].old);
			free(sim.log[i].new);
		}
		sim.n = 0;
	}
	return __real_fdatasync(fd);
}

/* ---- the writer ---- */

/* Runs in a child: the workload, cut at write crash_at; the number of writes to a pipe. */
static void writer(const char *img, long crash_at, unsigned seed, int report)
{
	struct block_open_opts o = { .fmt = BLOCK_FMT_QCOW2 };
	static u8 buf[96 * 1024];
	struct block *b;
	char err[512];
	u64 lcg = 99;

	if (block_open(&b, img, &o, err, sizeof(err)))
		_exit(10);
	sim.fd = b->fd;
	sim.crash_at = crash_at;
	sim.seed = seed;
	sim.on = true;
	for (unsigned i = 0; i < 120; i++) {
		u64 len, off;

		lcg = lcg * 6364136223846793005ULL + 1442695040888963407ULL;
		len = 512 + ((lcg >> 40) % (sizeof(buf) - 512) & ~511ULL);
		off = ((lcg >> 16) % (2 * MiB - len)) & ~511ULL;
		memset(buf, (int)i + 1, len);
		if (block_pwritev(b, &(struct iovec){ buf, len }, 1, off))
			_exit(11);
		if (i % 5 == 4 && block_discard(b, off, len))
			_exit(12);
		if (i % 9 == 8 && block_flush(b))
			_exit(13);
	}
	block_close(b); /* a clean close: the image must then be fully clean */
	if (write(report, &sim.writes, sizeof(sim.writes)) < 0)
		_exit(14);
	_exit(0);
}

static long run_writer(const char *img, long crash_at, unsigned seed)
{
	long writes = -1;
	int pfd[2], st;
	pid_t pid;

	assert_int_equal(pipe(pfd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(pfd[0]);
		writer(img, crash_at, seed, pfd[1]);
	}
	close(pfd[1]);
	if (read(pfd[0], &writes, sizeof(writes)) != sizeof(writes))
		writes = -1;
	close(pfd[0]);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		fail_msg("writer (cut at %ld) exited %d", crash_at, WEXITSTATUS(st));
	return writes;
}

static void fresh_image(const char *img)
{
	/* 2 MiB of a compressible pattern, compressed, 4 KiB clusters: many allocations. */
	if (sh("test -f %s/base.qcow2", dir))
		assert_int_equal(sh("cd %s && head -c 2097152 /dev/zero | tr '\\0' 'x' > src.raw "
				    "&& qemu-img convert -c -f raw -O qcow2 -o cluster_size=4096 "
				    "src.raw base.qcow2", dir), 0);
	assert_int_equal(sh("cp %s/base.qcow2 %s", dir, img), 0);
}

static void test_power_cut_at_every_stage(void **state)
{
	char img[256];
	long total;
	unsigned bad = 0, leaks = 0, runs = 0;

	(void)state;
	if (!have_qemu_img)
		skip();
	snprintf(img, sizeof(img), "%s/img.qcow2", dir);
	fresh_image(img);
	total = run_writer(img, -1, 0);
	assert_true(total > 100);
	assert_int_equal(sh("qemu-img check -q %s", img), 0);
	/* About 50 cut points spread over the run, two survivor patterns each. */
	for (long k = 1; k < total; k += total / 50 + 1) {
		for (unsigned seed = 0; seed < 2; seed++) {
			int rc;

			fresh_image(img);
			assert_int_equal(run_writer(img, k, seed * 7 + (unsigned)k), -1);
			rc = sh("qemu-img check -q %s >/dev/null 2>&1", img);
			runs++;
			if (WEXITSTATUS(rc) == 3)
				leaks++;
			else if (WEXITSTATUS(rc) != 0) {
				bad++;
				print_message("cut at write %ld of %ld (survivors %u): qemu-img check "
					      "exit %d\n", k, total, seed, WEXITSTATUS(rc));
			}
		}
	}
	print_message("%u power cuts: %u clean, %u with leaked clusters, %u corrupt\n", runs,
		      runs - leaks - bad, leaks, bad);
	assert_int_equal(bad, 0);
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
		cmocka_unit_test(test_power_cut_at_every_stage),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
