// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The live-migration channel's checks (migration/migrate_wire.h): greetings
 * of this version pass and any other version, magic or a damaged checksum is
 * refused with a sentence naming the peer; addresses parse as tcp:HOST:PORT
 * (brackets for IPv6) or unix:PATH and nothing else; a page batch's entries
 * are refused when the count is out of range or an address is not a page
 * address, and the number of pages with data is counted right.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "migration/migrate_wire.h"

static void test_hello(void **state)
{
	u8 h[MIGRATE_HELLO_LEN];
	char err[256];

	(void)state;
	migrate_hello_encode(h, MIGRATE_WIRE_VERSION);
	assert_int_equal(migrate_hello_decode(h, "the source", err, sizeof(err)), 0);

	migrate_hello_encode(h, 7);
	assert_int_equal(migrate_hello_decode(h, "the source", err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "the source speaks migration version 7"));

	migrate_hello_encode(h, MIGRATE_WIRE_VERSION);
	h[12] ^= 1; /* a flag: the checksum catches it before the flags are read */
	assert_int_equal(migrate_hello_decode(h, "the destination", err, sizeof(err)), -EPROTO);
	assert_non_null(strstr(err, "checksum"));

	memcpy(h, "GET / HT", 8);
	assert_int_equal(migrate_hello_decode(h, "the destination", err, sizeof(err)), -EPROTO);
	assert_non_null(strstr(err, "not a hover migration peer"));
}

static void test_addresses(void **state)
{
	struct migrate_addr a;
	char err[256];

	(void)state;
	assert_int_equal(migrate_addr_parse("tcp:127.0.0.1:4444", &a, err, sizeof(err)), 0);
	assert_false(a.unix_path);
	assert_string_equal(a.host, "127.0.0.1");
	assert_string_equal(a.port, "4444");
	assert_int_equal(migrate_addr_parse("tcp:[::1]:80", &a, err, sizeof(err)), 0);
	assert_string_equal(a.host, "::1");
	assert_string_equal(a.port, "80");
	assert_int_equal(migrate_addr_parse("unix:/run/m.sock", &a, err, sizeof(err)), 0);
	assert_true(a.unix_path);
	assert_string_equal(a.host, "/run/m.sock");

	static const char *const bad[] = { "127.0.0.1:4444", "tcp:host", "tcp::4444",
					   "tcp:host:", "tcp:host:44a", "unix:", "udp:h:1", "" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = 0;
		assert_int_equal(migrate_addr_parse(bad[i], &a, err, sizeof(err)), -EINVAL);
		assert_non_null(strstr(err, "tcp:HOST:PORT or unix:PATH"));
	}
	char longpath[200] = "unix:/";
	memset(longpath + 6, 'a', 150);
	longpath[156] = 0;
	assert_int_equal(migrate_addr_parse(longpath, &a, err, sizeof(err)), -EINVAL);
}

static void test_batch(void **state)
{
	u64 e[MIGRATE_BATCH_MAX + 1];
	char err[256];

	(void)state;
	e[0] = 0x1000;
	e[1] = 0x2000 | MIGRATE_ZERO;
	e[2] = 0x7fff000;
	assert_int_equal(migrate_batch_check(e, 3, err, sizeof(err)), 2);
	assert_int_equal(migrate_batch_check(e, 0, err, sizeof(err)), -EINVAL);
	assert_int_equal(migrate_batch_check(e, MIGRATE_BATCH_MAX + 1, err, sizeof(err)), -EINVAL);
	e[1] = 0x2008; /* not a page address */
	assert_int_equal(migrate_batch_check(e, 3, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "0x2008"));
	e[1] = 0x2000 | 2; /* an unknown flag */
	assert_int_equal(migrate_batch_check(e, 3, err, sizeof(err)), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hello),
		cmocka_unit_test(test_addresses),
		cmocka_unit_test(test_batch),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
