// SPDX-License-Identifier: GPL-2.0-or-later
/* Tests for machine/e820.c: adding, overriding, removing, merging, the PC map. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "include/hover/ram.h"
#include "machine/e820.h"

static void expect_entry(const struct e820_map *m, unsigned i, u64 addr, u64 size, u32 type)
{
	assert_true(i < m->nr);
	assert_int_equal(m->entry[i].addr, addr);
	assert_int_equal(m->entry[i].size, size);
	assert_int_equal(m->entry[i].type, type);
}

static void test_add_sorts_and_merges(void **state)
{
	struct e820_map m;

	e820_init(&m);
	assert_int_equal(e820_add(&m, 0x200000, 0x100000, E820_RAM), 0);
	assert_int_equal(e820_add(&m, 0x0, 0x100000, E820_RAM), 0);
	assert_int_equal(m.nr, 2);
	expect_entry(&m, 0, 0, 0x100000, E820_RAM);
	expect_entry(&m, 1, 0x200000, 0x100000, E820_RAM);
	/* Filling the gap merges all three. */
	assert_int_equal(e820_add(&m, 0x100000, 0x100000, E820_RAM), 0);
	assert_int_equal(m.nr, 1);
	expect_entry(&m, 0, 0, 0x300000, E820_RAM);
}

static void test_add_overrides_and_splits(void **state)
{
	struct e820_map m;

	e820_init(&m);
	assert_int_equal(e820_add(&m, 0, 0x1000000, E820_RAM), 0);
	assert_int_equal(e820_add(&m, 0x400000, 0x1000, E820_ACPI), 0);
	assert_int_equal(m.nr, 3);
	expect_entry(&m, 0, 0, 0x400000, E820_RAM);
	expect_entry(&m, 1, 0x400000, 0x1000, E820_ACPI);
	expect_entry(&m, 2, 0x401000, 0x1000000 - 0x401000, E820_RAM);
	/* Overlapping the tail of one entry and the head of another. */
	assert_int_equal(e820_add(&m, 0x3ff000, 0x3000, E820_RESERVED), 0);
	assert_int_equal(m.nr, 3);
	expect_entry(&m, 0, 0, 0x3ff000, E820_RAM);
	expect_entry(&m, 1, 0x3ff000, 0x3000, E820_RESERVED);
	expect_entry(&m, 2, 0x402000, 0x1000000 - 0x402000, E820_RAM);
}

static void test_remove_makes_a_hole(void **state)
{
	struct e820_map m;

	e820_init(&m);
	assert_int_equal(e820_add(&m, 0, 0x10000, E820_RAM), 0);
	assert_int_equal(e820_remove(&m, 0x4000, 0x1000), 0);
	assert_int_equal(m.nr, 2);
	expect_entry(&m, 0, 0, 0x4000, E820_RAM);
	expect_entry(&m, 1, 0x5000, 0xb000, E820_RAM);
	assert_false(e820_is_ram(&m, 0x3000, 0x2000));
	assert_true(e820_is_ram(&m, 0x5000, 0xb000));
	assert_int_equal(e820_remove(&m, 0, 0x10000), 0);
	assert_int_equal(m.nr, 0);
}

static void test_invalid_and_full(void **state)
{
	struct e820_map m;
	unsigned i;

	e820_init(&m);
	assert_int_equal(e820_add(&m, 0, 0, E820_RAM), -EINVAL);
	assert_int_equal(e820_add(&m, UINT64_MAX - 10, 100, E820_RAM), -EINVAL);
	assert_int_equal(e820_add(&m, 0, 0x1000, 0), -EINVAL);
	assert_int_equal(e820_add(&m, 0, 0x1000, 99), -EINVAL);
	for (i = 0; i < E820_MAX_ENTRIES; i++)
		assert_int_equal(e820_add(&m, (u64)i * 0x2000, 0x1000, E820_RAM), 0);
	assert_int_equal(m.nr, E820_MAX_ENTRIES);
	/* One more separate range does not fit; the map is left unchanged. */
	assert_int_equal(e820_add(&m, 0x10000000, 0x1000, E820_RAM), -ENOSPC);
	assert_int_equal(m.nr, E820_MAX_ENTRIES);
	/* Bridging two entries frees a slot instead. */
	assert_int_equal(e820_add(&m, 0x1000, 0x1000, E820_RAM), 0);
	assert_int_equal(m.nr, E820_MAX_ENTRIES - 1);
}

static void test_is_ram_spans_adjacent_entries(void **state)
{
	struct e820_map m;

	e820_init(&m);
	assert_int_equal(e820_add(&m, 0, 0x10000, E820_RAM), 0);
	assert_int_equal(e820_add(&m, 0x10000, 0x10000, E820_ACPI), 0);
	assert_int_equal(e820_add(&m, 0x20000, 0x10000, E820_RAM), 0);
	assert_true(e820_is_ram(&m, 0, 0x10000));
	assert_false(e820_is_ram(&m, 0x8000, 0x10000));
	assert_false(e820_is_ram(&m, 0x30000, 1));
	assert_false(e820_is_ram(&m, UINT64_MAX, 2));
}

static void test_pc_map(void **state)
{
	struct guest_ram ram;
	struct e820_map m;

	assert_int_equal(ram_create(&ram, 512 * MiB), 0);
	assert_int_equal(e820_build_pc(&m, &ram), 0);
	assert_int_equal(m.nr, 3);
	expect_entry(&m, 0, 0, 0x9fc00, E820_RAM);
	expect_entry(&m, 1, 0x9fc00, 0x100000 - 0x9fc00, E820_RESERVED);
	expect_entry(&m, 2, 0x100000, 512 * MiB - 0x100000, E820_RAM);
	ram_destroy(&ram);
}

static void test_pc_map_above_4g(void **state)
{
	struct guest_ram ram;
	struct e820_map m;

	/* 4 GiB of guest RAM: 3 GiB below the PCI hole, 1 GiB from 4 GiB (sparse memfd). */
	assert_int_equal(ram_create(&ram, 4 * GiB), 0);
	assert_int_equal(e820_build_pc(&m, &ram), 0);
	assert_int_equal(m.nr, 4);
	expect_entry(&m, 2, 0x100000, RAM_LOW_MAX - 0x100000, E820_RAM);
	expect_entry(&m, 3, RAM_HIGH_BASE, 4 * GiB - RAM_LOW_MAX, E820_RAM);
	/* The board marks its ACPI tables in the legacy hole and a reserved MMIO window. */
	assert_int_equal(e820_add(&m, 0xe0000, 0x10000, E820_ACPI), 0);
	assert_int_equal(e820_add(&m, 0xfec00000, 0x1000, E820_RESERVED), 0);
	assert_int_equal(m.nr, 7);
	expect_entry(&m, 1, 0x9fc00, 0xe0000 - 0x9fc00, E820_RESERVED);
	expect_entry(&m, 2, 0xe0000, 0x10000, E820_ACPI);
	expect_entry(&m, 3, 0xf0000, 0x10000, E820_RESERVED);
	expect_entry(&m, 5, 0xfec00000, 0x1000, E820_RESERVED);
	ram_destroy(&ram);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_sorts_and_merges),
		cmocka_unit_test(test_add_overrides_and_splits),
		cmocka_unit_test(test_remove_makes_a_hole),
		cmocka_unit_test(test_invalid_and_full),
		cmocka_unit_test(test_is_ram_spans_adjacent_entries),
		cmocka_unit_test(test_pc_map),
		cmocka_unit_test(test_pc_map_above_4g),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
