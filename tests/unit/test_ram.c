// SPDX-License-Identifier: GPL-2.0-or-later
/* Guest RAM layout and the bounds check every DMA and loader goes through. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_small_ram_is_one_region),
		cmocka_unit_test(test_large_ram_skips_the_pci_hole),
		cmocka_unit_test(test_bad_sizes_are_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
