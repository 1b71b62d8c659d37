// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Writes the hover state stream. This comment is the format's definition;
 * snapshot files and the migration channel are exactly this byte sequence.
 * Every integer is little-endian, fixed-width, unaligned.
 *
 *   header   magic        8 bytes  "HOVERVM\0"
 *            version      u32      STREAM_FORMAT_VERSION (1); a reader refuses others
 *            flags        u32      0 (reserved; a reader refuses others)
 *
 *   section  tag          u8       'S' (0x53)
 *            name_len     u8       1..63
 *            name         name_len bytes of [a-z0-9_.-], no NUL ("pit8254", "virtio-blk")
 *            instance     u32      which one of several same-named devices (0, 1, ...)
 *            version      u32      layout of the payload, >= 1; the device defines it
 *            length       u32      payload bytes
 *            payload      length bytes, the device's fields (include/hover/state.h)
 *            crc          u32      CRC-32 (zlib's crc32, ISO-HDLC) of tag..payload
 *
 *   end      tag          u8       'E' (0x45)
 *            count        u32      number of sections before it
 *            crc          u32      CRC-32 of tag and count
 *
 * Sections follow each other in the order the board lists its devices; a
 * reader accepts them in any order. Anything after the end marker is not
 * part of the stream. Guest RAM will get its own section type (sparse pages)
 * when snapshot files exist; device payloads stay small.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "migration/stream.h"

struct stream_writer {
	struct state_writer w;
	bool in_section;
	bool finished;
	size_t sec_start; /* offset of the open section's tag */
	size_t len_at;    /* offset of its length field */
	u32 nsections;
	int err; /* misuse (nested sections, bad names): sticky like w.err */
};

int stream_writer_create(struct stream_writer **out)
{
	struct stream_writer *sw = calloc(1, sizeof(*sw));

	if (!sw)
		return -ENOMEM;
	state_writer_init(&sw->w);
	state_put_bytes(&sw->w, STREAM_MAGIC, STREAM_MAGIC_LEN);
	state_put_u32(&sw->w, STREAM_FORMAT_VERSION);
	state_put_u32(&sw->w, 0);
	if (sw->w.err) {
		stream_writer_destroy(sw);
		return -ENOMEM;
	}
	*out = sw;
	return 0;
}

void stream_writer_destroy(struct stream_writer *sw)
{
	if (!sw)
		return;
	state_writer_release(&sw->w);
	free(sw);
}

static bool name_ok(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > STREAM_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
		      c == '.'))
			return false;
	}
	return true;
}

struct state_writer *stream_begin_section(struct stream_writer *sw, const char *name,
					  u32 instance, u32 version)
{
	size_t n = name_ok(name) ? strlen(name) : 0;

	/* Misuse is a bug in hover, but it must not corrupt a file: fail at end_section. */
	if (sw->in_section || sw->finished || n == 0 || version == 0)
		sw->err = -EINVAL;
	sw->in_section = true;
	sw->sec_start = sw->w.len;
	state_put_u8(&sw->w, STREAM_TAG_SECTION);
	state_put_u8(&sw->w, (u8)n);
	state_put_bytes(&sw->w, name, n);
	state_put_u32(&sw->w, instance);
	state_put_u32(&sw->w, version);
	sw->len_at = sw->w.len;
	state_put_u32(&sw->w, 0); /* patched by stream_end_section */
	return &sw->w;
}

int stream_end_section(struct stream_writer *sw)
{
	size_t payload;
	u8 le[4];
	uLong crc;

	if (!sw->in_section)
		sw->err = -EINVAL;
	sw->in_section = false;
	if (sw->err || sw->w.err)
		return sw->err ? sw->err : sw->w.err;
	payload = sw->w.len - (sw->len_at + 4);
	if (payload > UINT32_MAX)
		return sw->err = -EFBIG;
	for (unsigned i = 0; i < 4; i++)
		le[i] = (u8)(payload >> (8 * i));
	state_writer_patch(&sw->w, sw->len_at, le, 4);
	crc = crc32(0L, sw->w.buf + sw->sec_start, (uInt)(sw->w.len - sw->sec_start));
	state_put_u32(&sw->w, (u32)crc);
	sw->nsections++;
	return sw->w.err;
}

int stream_writer_finish(struct stream_writer *sw, const u8 **data, size_t *len)
{
	size_t at;

	if (sw->in_section)
		sw->err = -EINVAL;
	if (sw->err)
		return sw->err;
	if (!sw->finished) {
		at = sw->w.len;
		state_put_u8(&sw->w, STREAM_TAG_END);
		state_put_u32(&sw->w, sw->nsections);
		if (sw->w.err)
			return sw->w.err;
		state_put_u32(&sw->w, (u32)crc32(0L, sw->w.buf + at, 5));
		if (sw->w.err)
			return sw->w.err;
		sw->finished = true;
	}
	*data = sw->w.buf;
	*len = sw->w.len;
	return 0;
}
