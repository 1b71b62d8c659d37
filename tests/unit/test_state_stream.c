// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The state stream (migration/stream_write.c's format) and the device-list
 * walk over it: a round trip keeps every field and is byte-identical when
 * saved again; a flipped bit, a truncation at any byte, a wrong magic, a
 * wrong format version, a section from the future, an unknown or missing
 * section and left-over payload bytes each give their own error.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "migration/devstate.h"
#include "migration/stream.h"

/* A toy device with one field of each width, a time and a blob. */
struct toy {
	u8 a;
	u16 b;
	u32 c;
	u64 d;
	bool e;
	u64 deadline;
	u8 blob[5];
	u64 now;
	bool quiesced;
	u32 loaded_version;
};

static int toy_save(void *dev, struct state_writer *w)
{
	struct toy *t = dev;

	state_put_u8(w, t->a);
	state_put_u16(w, t->b);
	state_put_u32(w, t->c);
	state_put_u64(w, t->d);
	state_put_bool(w, t->e);
	state_put_time(w, t->deadline, t->now);
	state_put_bytes(w, t->blob, sizeof(t->blob));
	return 0;
}

static int toy_load(void *dev, struct state_reader *r)
{
	struct toy *t = dev;

	t->loaded_version = state_reader_version(r);
	t->a = state_get_u8(r);
	t->b = state_get_u16(r);
	t->c = state_get_u32(r);
	t->d = state_get_u64(r);
	t->e = state_get_bool(r);
	t->deadline = state_get_time(r, t->now);
	state_get_bytes(r, t->blob, sizeof(t->blob));
	if (t->a == 0xEE)
		return state_reader_fail(r, "a = 0x%x is not allowed", t->a);
	return state_reader_error(r);
}

static void toy_quiesce(void *dev)
{
	((struct toy *)dev)->quiesced = true;
}

static const struct dev_state_ops toy_ops = {
	.section = "toy", .version = 2, .save = toy_save, .load = toy_load,
	.quiesce = toy_quiesce,
};

static const struct toy toy0 = {
	.a = 0x12, .b = 0x3456, .c = 0x789abcde, .d = 0x0123456789abcdefULL, .e = true,
	.deadline = 1000 + 250, .blob = { 1, 2, 3, 4, 5 }, .now = 1000,
};

/* Save n toys as instances 0..n-1; returns a malloc'd copy of the stream. */
static u8 *save_toys(struct toy *t, size_t n, size_t *len)
{
	struct devstate_entry e[4];
	struct stream_writer *sw;
	const u8 *data;
	char err[256];
	u8 *copy;

	for (size_t i = 0; i < n; i++)
		e[i] = (struct devstate_entry){ .ops = &toy_ops, .dev = &t[i], .instance = (u32)i };
	assert_int_equal(stream_writer_create(&sw), 0);
	assert_int_equal(devstate_save(sw, e, n, err, sizeof(err)), 0);
	assert_int_equal(stream_writer_finish(sw, &data, len), 0);
	copy = malloc(*len);
	memcpy(copy, data, *len);
	stream_writer_destroy(sw);
	return copy;
}

static int load_toys(const u8 *data, size_t len, struct toy *t, size_t n, char *err,
		     size_t errlen)
{
	struct devstate_entry e[4];

	for (size_t i = 0; i < n; i++)
		e[i] = (struct devstate_entry){ .ops = &toy_ops, .dev = &t[i], .instance = (u32)i };
	err[0] = '\0';
	return devstate_load(data, len, e, n, err, errlen);
}

static void test_round_trip(void **state)
{
	struct toy t[2] = { toy0, toy0 }, u[2] = { { .now = 5000 }, { .now = 5000 } };
	size_t len, len2;
	u8 *s1, *s2;
	char err[256];

	t[1].a = 0x99;
	s1 = save_toys(t, 2, &len);
	assert_true(t[0].quiesced && t[1].quiesced);
	assert_memory_equal(s1, "HOVERVM\0\1\0\0\0\0\0\0\0", 16);
	assert_int_equal(load_toys(s1, len, u, 2, err, sizeof(err)), 0);
	assert_int_equal(u[0].loaded_version, 2);
	assert_int_equal(u[0].a, 0x12);
	assert_int_equal(u[1].a, 0x99);
	assert_int_equal(u[0].b, 0x3456);
	assert_int_equal(u[0].c, 0x789abcde);
	assert_true(u[0].d == 0x0123456789abcdefULL);
	assert_true(u[0].e);
	/* Due 250 ns after the save, so 250 ns after the load. */
	assert_int_equal(u[0].deadline, 5000 + 250);
	assert_memory_equal(u[0].blob, toy0.blob, 5);
	s2 = save_toys(u, 2, &len2);
	assert_int_equal(len, len2);
	assert_memory_equal(s1, s2, len);
	free(s1);
	free(s2);
}

/* A deadline already behind the clock stays behind it (negative distance). */
static void test_time_in_the_past(void **state)
{
	struct toy t = toy0, u = { .now = 1ULL << 40 };
	size_t len;
	u8 *s;
	char err[256];

	t.deadline = t.now - 700;
	s = save_toys(&t, 1, &len);
	assert_int_equal(load_toys(s, len, &u, 1, err, sizeof(err)), 0);
	assert_true(u.deadline == (1ULL << 40) - 700);
	free(s);
}

static void test_flipped_bit(void **state)
{
	struct toy t = toy0, u = { 0 };
	size_t len;
	u8 *s = save_toys(&t, 1, &len);
	char err[256];

	/* Every bit of the section and the end marker, one at a time. */
	for (size_t byte = STREAM_HEADER_LEN; byte < len; byte++) {
		for (unsigned bit = 0; bit < 8; bit++) {
			s[byte] ^= (u8)(1u << bit);
			assert_int_equal(load_toys(s, len, &u, 1, err, sizeof(err)), -EINVAL);
			assert_non_null(err[0]);
			s[byte] ^= (u8)(1u << bit);
		}
	}
	/* A bit in the payload: the checksum says so. */
	s[STREAM_HEADER_LEN + 2 + 3 + 12 + 1] ^= 4;
	assert_int_equal(load_toys(s, len, &u, 1, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "section 'toy' at byte 16 fails its checksum"));
	assert_int_equal(u.a, 0); /* refused before any device was touched */
	free(s);
}

static void test_truncated(void **state)
{
	struct toy t = toy0, u = { 0 };
	size_t len;
	u8 *s = save_toys(&t, 1, &len);
	char err[256];

	for (size_t cut = 0; cut < len; cut++) {
		assert_int_equal(load_toys(s, cut, &u, 1, err, sizeof(err)), -EINVAL);
		assert_non_null(strstr(err, cut < STREAM_HEADER_LEN ? "header" : "truncated"));
	}
	assert_int_equal(load_toys(s, len, &u, 1, err, sizeof(err)), 0);
	free(s);
}

static void test_bad_header(void **state)
{
	struct toy t = toy0, u = { 0 };
	size_t len;
	u8 *s = save_toys(&t, 1, &len);
	char err[256];

	s[0] = 'h';
	assert_int_equal(load_toys(s, len, &u, 1, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "magic"));
	s[0] = 'H';
	s[8] = 2;
	assert_int_equal(load_toys(s, len, &u, 1, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "format version 2 is not supported"));
	s[8] = 1;
	s[12] = 1;
	assert_int_equal(load_toys(s, len, &u, 1, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "unknown flags"));
	free(s);
}

/* Write one section by hand: name, instance, version, payload. */
static u8 *one_section(const char *name, u32 instance, u32 version, const u8 *payload,
		       size_t plen, size_t *len)
{
	struct stream_writer *sw;
	struct state_writer *w;
	const u8 *data;
	u8 *copy;

	assert_int_equal(stream_writer_create(&sw), 0);
	w = stream_begin_section(sw, name, instance, version);
	state_put_bytes(w, payload, plen);
	assert_int_equal(stream_end_section(sw), 0);
	assert_int_equal(stream_writer_finish(sw, &data, len), 0);
	copy = malloc(*len);
	memcpy(copy, data, *len);
	stream_writer_destroy(sw);
	return copy;
}

static void test_section_checks(void **state)
{
	struct toy t = toy0, u = { 0 };
	u8 payload[64];
	size_t len, plen;
	char err[256];
	u8 *s, *good;

	/* The real payload of toy0, reused under other names and versions. */
	good = save_toys(&t, 1, &len);
	plen = len - STREAM_HEADER_LEN - (2 + 3 + 12) - 4 - 9;
	memcpy(payload, good + STREAM_HEADER_LEN + 2 + 3 + 12, plen);
	free(good);

	s = one_section("toy", 0, 3, payload, plen, &len);
	assert_int_equal(load_toys(s, len, &u, 1, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "section 'toy' instance 0 has version 3, newer than the 2"));
	free(s);

	s = one_section("toy", 0, 1, payload, plen, &len); /* older versions load */
	assert_int_equal(load_toys(s, len, &u, 1, err, sizeof(err)), 0);
	assert_int_equal(u.loaded_version, 1);
	free(s);

	s = one_section("gizmo", 0, 1, payload, plen, &len);
	assert_int_equal(load_toys(s, len, &u, 1, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "section 'gizmo' instance 0 that this machine has no device"));
	free(s);

	s = one_section("toy", 7, 1, payload, plen, &len);
	assert_int_equal(load_toys(s, len, &u, 1, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "'toy' instance 7"));
	free(s);

	s = one_section("toy", 0, 2, payload, plen, &len);
	{
		struct toy two[2] = { { 0 }, { 0 } };

		assert_int_equal(load_toys(s, len, two, 2, err, sizeof(err)), -EINVAL);
		assert_non_null(strstr(err, "no section for device 'toy' instance 1"));
	}
	free(s);

	s = one_section("toy", 0, 2, payload, plen + 3, &len);
	assert_int_equal(load_toys(s, len, &u, 1, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "3 bytes after the last field"));
	free(s);

	s = one_section("toy", 0, 2, payload, plen - 1, &len);
	assert_int_equal(load_toys(s, len, &u, 1, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "the section ends 1 bytes too early"));
	free(s);

	payload[15] = 2; /* the bool e */
	s = one_section("toy", 0, 2, payload, plen, &len);
	assert_int_equal(load_toys(s, len, &u, 1, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "a flag holds 2"));
	free(s);
	payload[15] = 1;

	payload[0] = 0xEE; /* the device's own check, in its words */
	s = one_section("toy", 0, 2, payload, plen, &len);
	assert_int_equal(load_toys(s, len, &u, 1, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "section 'toy' instance 0 (version 2): a = 0xee is not"));
	free(s);
}

static void test_writer_misuse(void **state)
{
	struct stream_writer *sw;
	const u8 *data;
	size_t len;

	assert_int_equal(stream_writer_create(&sw), 0);
	stream_begin_section(sw, "Bad Name", 0, 1);
	assert_int_equal(stream_end_section(sw), -EINVAL);
	assert_int_equal(stream_writer_finish(sw, &data, &len), -EINVAL);
	stream_writer_destroy(sw);

	assert_int_equal(stream_writer_create(&sw), 0);
	stream_begin_section(sw, "ok", 0, 1);
	assert_int_equal(stream_writer_finish(sw, &data, &len), -EINVAL); /* still open */
	stream_writer_destroy(sw);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_time_in_the_past),
		cmocka_unit_test(test_flipped_bit),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_bad_header),
		cmocka_unit_test(test_section_checks),
		cmocka_unit_test(test_writer_misuse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
