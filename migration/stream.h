/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The hover state stream: a file header and versioned, checksummed sections,
 * the format of snapshot files and of the migration channel. The layout is
 * documented at the top of migration/stream_write.c.
 *
 * Writing:
 *	stream_writer_create(&sw);
 *	w = stream_begin_section(sw, "pit8254", 0, 1);  // then state_put_*(w, ...)
 *	stream_end_section(sw);
 *	...
 *	stream_writer_finish(sw, &data, &len);          // end marker; data stays sw's
 *
 * Reading: stream_reader_init() checks the header, stream_reader_next()
 * returns one section at a time, its payload behind a struct state_reader,
 * after checking its checksum. Any damage is -EINVAL with one sentence in
 * err that names what was wrong and where.
 */
#ifndef HOVER_MIGRATION_STREAM_H
#define HOVER_MIGRATION_STREAM_H

#include "include/hover/types.h"
#include "lib/state_buf.h"

#define STREAM_MAGIC "HOVERVM" /* 8 bytes with its NUL */
#define STREAM_MAGIC_LEN 8
#define STREAM_FORMAT_VERSION 1
#define STREAM_TAG_SECTION 0x53 /* 'S' */
#define STREAM_TAG_END 0x45     /* 'E' */
#define STREAM_NAME_MAX 63
#define STREAM_HEADER_LEN 16

struct stream_writer;

int stream_writer_create(struct stream_writer **out) HOVER_WUR;
void stream_writer_destroy(struct stream_writer *sw);
/* Open a section; the returned writer takes its payload until stream_end_section(). */
struct state_writer *stream_begin_section(struct stream_writer *sw, const char *name,
					  u32 instance, u32 version);
/* Close the open section: patch its length, append its checksum. */
int stream_end_section(struct stream_writer *sw) HOVER_WUR;
/* Append the end marker; data and len stay valid until stream_writer_destroy(). */
int stream_writer_finish(struct stream_writer *sw, const u8 **data, size_t *len) HOVER_WUR;

struct stream_reader {
	const u8 *buf;
	size_t len, pos;
	u32 nsections; /* sections returned so far */
	bool ended;
};

struct stream_section {
	char name[STREAM_NAME_MAX + 1];
	u32 instance;
	u32 version;
	struct state_reader payload; /* bounded to this section */
};

/* Check the header of data[0, len) (which must outlive the reader). */
int stream_reader_init(struct stream_reader *sr, const void *data, size_t len, char *err,
		       size_t errlen) HOVER_WUR;
/* 1: *sec is the next section; 0: the end marker was reached; -EINVAL: damage (err). */
int stream_reader_next(struct stream_reader *sr, struct stream_section *sec, char *err,
		       size_t errlen) HOVER_WUR;

#endif
