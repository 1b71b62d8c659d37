// SPDX-License-Identifier: GPL-2.0-or-later
/* Guest RAM layout, the bounds check every DMA and loader goes through, the RAM image. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "include/hover/ram.h"

static void test_small_ram_is_one_region(void **state)
{
	struct guest_ram ram;
	u8 buf[4] = { 1, 2, 3, 4 }, out[4];

	(void)state;
	assert_int_equal(ram_create(&ram, 64 * MiB), 0);
	assert_int_equal(ram.nregions, 1);
	assert_int_equal(ram.total, 64 * MiB);
	assert_non_null(ram_ptr(&ram, 0, 64 * MiB));
	assert_null(ram_ptr(&ram, 0, 64 * MiB + 1));
	assert_null(ram_ptr(&ram, 64 * MiB, 1));
	assert_null(ram_ptr(&ram, 64 * MiB - 2, 4)); /* straddles the end */
	assert_int_equal(ram_write(&ram, 0x1000, buf, 4), 0);
	assert_int_equal(ram_read(&ram, 0x1000, out, 4), 0);
	assert_memory_equal(buf, out, 4);
	assert_int_equal(ram_write(&ram, 64 * MiB - 2, buf, 4), -EFAULT);
	ram_destroy(&ram);
}

static void test_large_ram_skips_the_pci_hole(void **state)
{
	struct guest_ram ram;

	(void)state;
	/* memfd + MAP_NORESERVE: nothing is touched, so this costs no host memory. */
	assert_int_equal(ram_create(&ram, 4 * GiB), 0);
	assert_int_equal(ram.nregions, 2);
	assert_int_equal(ram.region[0].gpa, 0);
	assert_int_equal(ram.region[0].size, RAM_LOW_MAX);
	assert_int_equal(ram.region[1].gpa, RAM_HIGH_BASE);
	assert_int_equal(ram.region[1].size, 4 * GiB - RAM_LOW_MAX);
	assert_null(ram_ptr(&ram, RAM_LOW_MAX, 1));          /* the hole */
	assert_null(ram_ptr(&ram, RAM_LOW_MAX - 1, 2));      /* into the hole */
	assert_non_null(ram_ptr(&ram, RAM_HIGH_BASE, 4096));
	assert_null(ram_ptr(&ram, UINT64_MAX - 10, 20));     /* wrap-around */
	ram_destroy(&ram);
}

static void test_bad_sizes_are_refused(void **state)
{
	struct guest_ram ram;

	(void)state;
	assert_int_equal(ram_create(&ram, 0), -EINVAL);
	assert_int_equal(ram_create(&ram, 4097), -EINVAL);
}

/*
 * The RAM image of a snapshot: zero pages become holes, non-zero pages are
 * written where they belong, a map gives the same bytes back lazily and
 * copy-on-write (the file is not changed by guest writes after restore),
 * and a short file is refused rather than left to SIGBUS.
 */
static void test_image_save_and_map(void **state)
{
	char path[] = "/tmp/hover-ramimg-XXXXXX";
	struct guest_ram a, b;
	u64 written, off = 8192;
	struct stat st;
	u8 page[4096];
	int fd;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	unlink(path);
	assert_int_equal(ram_create(&a, 16 * MiB), 0);
	assert_int_equal(ram_create(&b, 16 * MiB), 0);
	memset(a.region[0].hva + 4096, 0x11, 4096);        /* page 1 */
	a.region[0].hva[5 * MiB + 17] = 0x22;               /* one byte in a page */
	memset(a.region[0].hva + 16 * MiB - 8192, 0x33, 8192); /* the last two pages */
	assert_int_equal(ram_image_save(&a, fd, off, &written), 0);
	assert_int_equal(written, 4 * 4096);
	assert_int_equal(fstat(fd, &st), 0);
	assert_int_equal(st.st_size, off + 16 * MiB);
	assert_true((u64)st.st_blocks * 512 <= 64 * 1024); /* sparse */
	assert_int_equal(ram_image_map(&b, fd, off), 0);
	assert_memory_equal(a.region[0].hva, b.region[0].hva, 16 * MiB);
	/* Copy-on-write: the guest's writes stay in memory, the image keeps its bytes. */
	b.region[0].hva[4096] = 0x44;
	assert_int_equal(pread(fd, page, 4096, off + 4096), 4096);
	assert_int_equal(page[0], 0x11);
	ram_destroy(&b);
	/* A file cut short is refused, before anything is mapped. */
	assert_int_equal(ram_create(&b, 16 * MiB), 0);
	assert_int_equal(ftruncate(fd, off + 8 * MiB), 0);
	assert_int_equal(ram_image_map(&b, fd, off), -ENODATA);
	assert_int_equal(ram_image_map(&b, fd, 100), -EINVAL);
	ram_destroy(&b);
	ram_destroy(&a);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_small_ram_is_one_region),
		cmocka_unit_test(test_large_ram_skips_the_pci_hole),
		cmocka_unit_test(test_bad_sizes_are_refused),
		cmocka_unit_test(test_image_save_and_map),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
