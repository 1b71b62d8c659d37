/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The insides of struct state_writer / state_reader (include/hover/state.h),
 * for the code that frames them into a stream (migration/) and for tests.
 * Devices only see the opaque types.
 */
#ifndef HOVER_LIB_STATE_BUF_H
#define HOVER_LIB_STATE_BUF_H

#include "include/hover/state.h"

/* A growable byte buffer that the put helpers append to. */
struct state_writer {
	u8 *buf;
	size_t len, cap;
	int err; /* sticky: -ENOMEM */
};

/* A cursor over one section's payload. */
struct state_reader {
	const u8 *buf;
	size_t len, pos;
	u32 version;
	int err;       /* sticky: -EINVAL */
	char msg[256]; /* why, when err is set */
};

void state_writer_init(struct state_writer *w);
void state_writer_release(struct state_writer *w);
/* Overwrite bytes already written (a length or checksum patched in later). */
void state_writer_patch(struct state_writer *w, size_t at, const void *buf, size_t len);

void state_reader_init(struct state_reader *r, const void *buf, size_t len, u32 version);
/* Bytes not consumed yet. */
size_t state_reader_left(const struct state_reader *r);
/* Error message of a failed reader ("" if none). */
const char *state_reader_message(const struct state_reader *r);

#endif
