// SPDX-License-Identifier: GPL-2.0-or-later
/* Address-space dispatch: registration rules, access-size splitting/widening, unclaimed I/O. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "include/hover/addrspace.h"

/* A device with 16 bytes of registers that records each access it sees. */
struct fake_dev {
	u8 regs[16];
	unsigned nreads, nwrites;
	unsigned last_size;
	u64 last_off;
};

static u64 fake_read(void *opaque, u64 off, unsigned size)
{
	struct fake_dev *d = opaque;
	u64 v = 0;

	d->nreads++;
	d->last_size = size;
	d->last_off = off;
	memcpy(&v, d->regs + off, size);
	return v;
}

static void fake_write(void *opaque, u64 off, unsigned size, u64 val)
{
	struct fake_dev *d = opaque;

	d->nwrites++;
	d->last_size = size;
	d->last_off = off;
	memcpy(d->regs + off, &val, size);
}

static const struct io_ops any_size = { .read = fake_read, .write = fake_write };
static const struct io_ops only_4 = { .read = fake_read, .write = fake_write,
				      .min_access = 4, .max_access = 4 };
static const struct io_ops only_1 = { .read = fake_read, .write = fake_write,
				      .min_access = 1, .max_access = 1 };

static void test_register_overlap_is_ebusy(void **state)
{
	struct addrspace *as;
	struct fake_dev a = { 0 }, b = { 0 };

	(void)state;
	assert_int_equal(as_create(&as, "t"), 0);
	assert_int_equal(as_register(as, 0x100, 16, &any_size, &a), 0);
	assert_int_equal(as_register(as, 0x10f, 1, &any_size, &b), -EBUSY);
	assert_int_equal(as_register(as, 0xf8, 9, &any_size, &b), -EBUSY);
	assert_int_equal(as_register(as, 0xf8, 8, &any_size, &b), 0); /* adjacent is fine */
	assert_int_equal(as_register(as, 0x200, 0, &any_size, &b), -EINVAL);
	assert_int_equal(as_register(as, UINT64_MAX - 1, 4, &any_size, &b), -EINVAL);
	assert_int_equal(as_unregister(as, 0x100), 0);
	assert_int_equal(as_unregister(as, 0x100), -ENOENT);
	assert_int_equal(as_register(as, 0x10f, 1, &any_size, &b), 0);
	as_destroy(as);
}

static void test_offsets_are_region_relative(void **state)
{
	struct addrspace *as;
	struct fake_dev d = { 0 };
	u64 v;

	(void)state;
	assert_int_equal(as_create(&as, "t"), 0);
	assert_int_equal(as_register(as, 0x3f8, 8, &any_size, &d), 0);
	assert_int_equal(as_write(as, 0x3fb, 1, 0x83), 0);
	assert_int_equal(d.last_off, 3);
	assert_int_equal(d.regs[3], 0x83);
	assert_int_equal(as_read(as, 0x3fb, 1, &v), 0);
	assert_int_equal(v, 0x83);
	as_destroy(as);
}

static void test_unclaimed_reads_all_ones(void **state)
{
	struct addrspace *as;
	u64 v = 0;

	(void)state;
	assert_int_equal(as_create(&as, "t"), 0);
	assert_int_equal(as_read(as, 0x80, 1, &v), -ENOENT);
	assert_int_equal(v, 0xff);
	assert_int_equal(as_read(as, 0x80, 4, &v), -ENOENT);
	assert_int_equal(v, 0xffffffffULL);
	assert_int_equal(as_read(as, 0x80, 8, &v), -ENOENT);
	assert_int_equal(v, UINT64_MAX);
	assert_int_equal(as_write(as, 0x80, 2, 0x1234), -ENOENT);
	as_destroy(as);
}

static void test_wide_access_is_split(void **state)
{
	struct addrspace *as;
	struct fake_dev d = { 0 };
	u64 v;

	(void)state;
	assert_int_equal(as_create(&as, "t"), 0);
	assert_int_equal(as_register(as, 0x1000, 16, &only_1, &d), 0);
	assert_int_equal(as_write(as, 0x1004, 4, 0x44332211), 0);
	assert_int_equal(d.nwrites, 4);
	assert_int_equal(d.last_size, 1);
	assert_memory_equal(d.regs + 4, "\x11\x22\x33\x44", 4);
	assert_int_equal(as_read(as, 0x1004, 8, &v), 0);
	assert_int_equal(d.nreads, 8);
	assert_int_equal(v, 0x44332211ULL);
	as_destroy(as);
}

static void test_narrow_access_is_widened_read_modify_write(void **state)
{
	struct addrspace *as;
	struct fake_dev d = { 0 };
	u64 v;

	(void)state;
	assert_int_equal(as_create(&as, "t"), 0);
	assert_int_equal(as_register(as, 0xfec00000, 16, &only_4, &d), 0);
	memcpy(d.regs, "\xaa\xbb\xcc\xdd", 4);
	assert_int_equal(as_read(as, 0xfec00002, 1, &v), 0);
	assert_int_equal(v, 0xcc);
	assert_int_equal(d.last_size, 4);
	assert_int_equal(d.last_off, 0);
	assert_int_equal(as_write(as, 0xfec00001, 2, 0x1122), 0);
	assert_int_equal(d.last_size, 4);
	assert_memory_equal(d.regs, "\xaa\x22\x11\xdd", 4);
	as_destroy(as);
}

static void test_access_straddling_two_regions(void **state)
{
	struct addrspace *as;
	struct fake_dev a = { 0 }, b = { 0 };
	u64 v;

	(void)state;
	assert_int_equal(as_create(&as, "t"), 0);
	assert_int_equal(as_register(as, 0x60, 1, &only_1, &a), 0);
	assert_int_equal(as_register(as, 0x61, 1, &only_1, &b), 0);
	a.regs[0] = 0x12;
	b.regs[0] = 0x34;
	assert_int_equal(as_read(as, 0x60, 2, &v), 0);
	assert_int_equal(v, 0x3412);
	/* Half claimed, half not: the unclaimed byte reads as 0xff. */
	assert_int_equal(as_read(as, 0x61, 2, &v), 0);
	assert_int_equal(v, 0xff34);
	as_destroy(as);
}

static void test_many_regions_stay_sorted(void **state)
{
	struct addrspace *as;
	struct fake_dev d[40];
	u64 v;

	(void)state;
	memset(d, 0, sizeof(d));
	assert_int_equal(as_create(&as, "t"), 0);
	/* Register in a scrambled order; lookups must find each one. */
	for (unsigned i = 0; i < 40; i++) {
		unsigned k = (i * 17) % 40;

		d[k].regs[0] = (u8)k;
		assert_int_equal(as_register(as, 0x1000 + k * 0x10, 0x10, &any_size, &d[k]), 0);
	}
	for (unsigned k = 0; k < 40; k++) {
		assert_int_equal(as_read(as, 0x1000 + k * 0x10, 1, &v), 0);
		assert_int_equal(v, k);
	}
	as_destroy(as);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_register_overlap_is_ebusy),
		cmocka_unit_test(test_offsets_are_region_relative),
		cmocka_unit_test(test_unclaimed_reads_all_ones),
		cmocka_unit_test(test_wide_access_is_split),
		cmocka_unit_test(test_narrow_access_is_widened_read_modify_write),
		cmocka_unit_test(test_access_straddling_two_regions),
		cmocka_unit_test(test_many_regions_stay_sorted),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
