/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Save/load helpers for device tests: one device as a one-section state
 * stream, through the same walk the board uses (migration/devstate.c).
 * Include after <cmocka.h>.
 */
#ifndef HOVER_TESTS_UNIT_STATE_TEST_UTIL_H
#define HOVER_TESTS_UNIT_STATE_TEST_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "migration/devstate.h"

struct saved_state {
	u8 *data;
	size_t len;
};

static inline struct saved_state state_save_one(const struct dev_state_ops *ops, void *dev)
{
	struct devstate_entry e = { .ops = ops, .dev = dev, .instance = 0 };
	struct stream_writer *sw;
	struct saved_state s;
	const u8 *data;
	char err[256] = "";

	assert_int_equal(stream_writer_create(&sw), 0);
	if (devstate_save(sw, &e, 1, err, sizeof(err)))
		fail_msg("save: %s", err);
	assert_int_equal(stream_writer_finish(sw, &data, &s.len), 0);
	s.data = malloc(s.len);
	assert_non_null(s.data);
	memcpy(s.data, data, s.len);
	stream_writer_destroy(sw);
	return s;
}

static inline int state_load_one(const struct dev_state_ops *ops, void *dev,
				 const struct saved_state *s, char *err, size_t errlen)
{
	struct devstate_entry e = { .ops = ops, .dev = dev, .instance = 0 };

	return devstate_load(s->data, s->len, &e, 1, err, errlen);
}

/* Load s into dev (which must accept it), save again: the bytes must not change. */
static inline void state_load_and_compare(const struct dev_state_ops *ops, void *dev,
					  const struct saved_state *s)
{
	struct saved_state again;
	char err[256] = "";

	if (state_load_one(ops, dev, s, err, sizeof(err)))
		fail_msg("load: %s", err);
	again = state_save_one(ops, dev);
	assert_int_equal(again.len, s->len);
	assert_memory_equal(again.data, s->data, s->len);
	free(again.data);
}

/*
 * The payload of the one section, for tests that corrupt a field on purpose;
 * state_reseal() then recomputes its checksum so the device's own checks are
 * what refuses it.
 */
static inline u8 *state_payload(struct saved_state *s, const char *name, size_t *len)
{
	size_t at = 16 + 2 + strlen(name) + 8;
	u32 n = (u32)s->data[at] | (u32)s->data[at + 1] << 8 | (u32)s->data[at + 2] << 16 |
		(u32)s->data[at + 3] << 24;

	*len = n;
	return s->data + at + 4;
}

static inline void state_reseal(struct saved_state *s, const char *name)
{
	size_t plen, start = 16;
	u8 *p = state_payload(s, name, &plen);
	size_t end = (size_t)(p - s->data) + plen;
	u32 crc = (u32)crc32(0L, s->data + start, (uInt)(end - start));

	for (unsigned i = 0; i < 4; i++)
		s->data[end + i] = (u8)(crc >> (8 * i));
}

#endif
