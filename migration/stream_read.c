// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Reads the hover state stream (format: migration/stream_write.c). The input
 * is untrusted — a file a user points at, bytes from another host — so every
 * length is checked against what is left before it is used, and a section's
 * payload is handed out only after its CRC-32 matched.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <zlib.h>

#include "migration/stream.h"

static u32 le32(const u8 *p)
{
	return (u32)p[0] | (u32)p[1] << 8 | (u32)p[2] << 16 | (u32)p[3] << 24;
}

static int fail(char *err, size_t errlen, const char *fmt, ...) HOVER_PRINTF(3, 4);
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

int stream_reader_init(struct stream_reader *sr, const void *data, size_t len, char *err,
		       size_t errlen)
{
	const u8 *p = data;
	u32 version;

	memset(sr, 0, sizeof(*sr));
	if (len < STREAM_HEADER_LEN)
		return fail(err, errlen, "not a hover state stream: %zu bytes, shorter than the "
			    "%d-byte header (a truncated file?)", len, STREAM_HEADER_LEN);
	if (memcmp(p, STREAM_MAGIC, STREAM_MAGIC_LEN))
		return fail(err, errlen, "not a hover state stream: the magic is not \"HOVERVM\" "
			    "(some other file?)");
	version = le32(p + 8);
	if (version != STREAM_FORMAT_VERSION)
		return fail(err, errlen, "state stream format version %u is not supported (this "
			    "hover reads version %u; use the hover that wrote it)", version,
			    STREAM_FORMAT_VERSION);
	if (le32(p + 12))
		return fail(err, errlen, "state stream header has unknown flags 0x%x (written by "
			    "a newer hover?)", le32(p + 12));
	sr->buf = p;
	sr->len = len;
	sr->pos = STREAM_HEADER_LEN;
	return 0;
}

static int truncated(char *err, size_t errlen, const struct stream_reader *sr, const char *what)
{
	return fail(err, errlen, "the state stream is truncated: it ends inside %s at byte %zu "
		    "(after %u complete sections)", what, sr->len, sr->nsections);
}

static int read_end(struct stream_reader *sr, char *err, size_t errlen)
{
	const u8 *p = sr->buf + sr->pos;

	if (sr->len - sr->pos < 9)
		return truncated(err, errlen, sr, "the end marker");
	if ((u32)crc32(0L, p, 5) != le32(p + 5))
		return fail(err, errlen, "the state stream's end marker at byte %zu fails its "
			    "checksum (the file is damaged)", sr->pos);
	if (le32(p + 1) != sr->nsections)
		return fail(err, errlen, "the state stream's end marker counts %u sections but %u "
			    "were read (sections are missing)", le32(p + 1), sr->nsections);
	sr->pos += 9;
	sr->ended = true;
	return 0;
}

int stream_reader_next(struct stream_reader *sr, struct stream_section *sec, char *err,
		       size_t errlen)
{
	const u8 *p;
	size_t start = sr->pos, left, name_len, payload_len, total;

	if (sr->ended)
		return 0;
	if (sr->pos >= sr->len)
		return truncated(err, errlen, sr, "a section tag");
	p = sr->buf + sr->pos;
	left = sr->len - sr->pos;
	if (p[0] == STREAM_TAG_END)
		return read_end(sr, err, errlen);
	if (p[0] != STREAM_TAG_SECTION)
		return fail(err, errlen, "the state stream has an unknown record tag 0x%02x at "
			    "byte %zu (damaged, or written by a newer hover)", p[0], start);
	if (left < 2)
		return truncated(err, errlen, sr, "a section header");
	name_len = p[1];
	if (name_len == 0 || name_len > STREAM_NAME_MAX)
		return fail(err, errlen, "the section at byte %zu has a %zu-byte name (1 to %d "
			    "allowed; the file is damaged)", start, name_len, STREAM_NAME_MAX);
	/* tag, name_len, name, instance, version, length */
	if (left < 2 + name_len + 12)
		return truncated(err, errlen, sr, "a section header");
	payload_len = le32(p + 2 + name_len + 8);
	total = 2 + name_len + 12 + payload_len + 4;
	if (left < total) {
		char what[STREAM_NAME_MAX + 32];

		snprintf(what, sizeof(what), "section '%.*s'", (int)name_len, (const char *)p + 2);
		return truncated(err, errlen, sr, what);
	}
	if ((u32)crc32(0L, p, (uInt)(total - 4)) != le32(p + total - 4))
		return fail(err, errlen, "section '%.*s' at byte %zu fails its checksum (the file "
			    "is damaged)", (int)name_len, (const char *)p + 2, start);
	memcpy(sec->name, p + 2, name_len);
	sec->name[name_len] = '\0';
	for (size_t i = 0; i < name_len; i++) {
		char c = sec->name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
		      c == '.'))
			return fail(err, errlen, "the section at byte %zu has a name with byte "
				    "0x%02x in it (the file is damaged)", start, (u8)c);
	}
	sec->instance = le32(p + 2 + name_len);
	sec->version = le32(p + 2 + name_len + 4);
	if (sec->version == 0)
		return fail(err, errlen, "section '%s' has version 0 (versions start at 1; the "
			    "file is damaged)", sec->name);
	state_reader_init(&sec->payload, p + 2 + name_len + 12, payload_len, sec->version);
	sr->pos += total;
	sr->nsections++;
	return 1;
}
