// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Field-by-field encoding of device state (include/hover/state.h): every
 * value little-endian and fixed-width, written byte by byte so the stream is
 * the same on any host and with any compiler's struct padding. The section
 * and file framing around these bytes is migration/stream_write.c's.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/state_buf.h"

void state_writer_init(struct state_writer *w)
{
	memset(w, 0, sizeof(*w));
}

void state_writer_release(struct state_writer *w)
{
	free(w->buf);
	memset(w, 0, sizeof(*w));
}

int state_writer_error(const struct state_writer *w)
{
	return w->err;
}

void state_put_bytes(struct state_writer *w, const void *buf, size_t len)
{
	if (w->err || !len)
		return;
	if (len > w->cap - w->len) {
		size_t cap = w->cap ? w->cap : 256;
		u8 *nb;

		while (cap - w->len < len) {
			if (cap > SIZE_MAX / 2) {
				w->err = -ENOMEM;
				return;
			}
			cap *= 2;
		}
		nb = realloc(w->buf, cap);
		if (!nb) {
			w->err = -ENOMEM;
			return;
		}
		w->buf = nb;
		w->cap = cap;
	}
	memcpy(w->buf + w->len, buf, len);
	w->len += len;
}

void state_writer_patch(struct state_writer *w, size_t at, const void *buf, size_t len)
{
	if (w->err || at > w->len || len > w->len - at)
		return;
	memcpy(w->buf + at, buf, len);
}

static void put_le(struct state_writer *w, u64 v, unsigned n)
{
	u8 b[8];

	for (unsigned i = 0; i < n; i++)
		b[i] = (u8)(v >> (8 * i));
	state_put_bytes(w, b, n);
}

void state_put_u8(struct state_writer *w, u8 v) { put_le(w, v, 1); }
void state_put_u16(struct state_writer *w, u16 v) { put_le(w, v, 2); }
void state_put_u32(struct state_writer *w, u32 v) { put_le(w, v, 4); }
void state_put_u64(struct state_writer *w, u64 v) { put_le(w, v, 8); }
void state_put_bool(struct state_writer *w, bool v) { put_le(w, v ? 1 : 0, 1); }

void state_put_time(struct state_writer *w, u64 t, u64 now)
{
	/* Two's complement: a time in the past is a negative distance. */
	put_le(w, t - now, 8);
}

void state_reader_init(struct state_reader *r, const void *buf, size_t len, u32 version)
{
	memset(r, 0, sizeof(*r));
	r->buf = buf;
	r->len = len;
	r->version = version;
}

size_t state_reader_left(const struct state_reader *r)
{
	return r->len - r->pos;
}

u32 state_reader_version(const struct state_reader *r)
{
	return r->version;
}

int state_reader_error(const struct state_reader *r)
{
	return r->err;
}

const char *state_reader_message(const struct state_reader *r)
{
	return r->msg;
}

int state_reader_fail(struct state_reader *r, const char *fmt, ...)
{
	va_list ap;

	/* The first failure is the cause; later ones are consequences. */
	if (r->err)
		return r->err;
	va_start(ap, fmt);
	vsnprintf(r->msg, sizeof(r->msg), fmt, ap);
	va_end(ap);
	r->err = -EINVAL;
	return r->err;
}

void state_get_bytes(struct state_reader *r, void *buf, size_t len)
{
	if (r->err || len > r->len - r->pos) {
		if (!r->err)
			state_reader_fail(r, "the section ends %zu bytes too early",
					  len - (r->len - r->pos));
		memset(buf, 0, len);
		return;
	}
	memcpy(buf, r->buf + r->pos, len);
	r->pos += len;
}

static u64 get_le(struct state_reader *r, unsigned n)
{
	u8 b[8];
	u64 v = 0;

	state_get_bytes(r, b, n);
	for (unsigned i = 0; i < n; i++)
		v |= (u64)b[i] << (8 * i);
	return v;
}

u8 state_get_u8(struct state_reader *r) { return (u8)get_le(r, 1); }
u16 state_get_u16(struct state_reader *r) { return (u16)get_le(r, 2); }
u32 state_get_u32(struct state_reader *r) { return (u32)get_le(r, 4); }
u64 state_get_u64(struct state_reader *r) { return get_le(r, 8); }

bool state_get_bool(struct state_reader *r)
{
	u8 v = state_get_u8(r);

	if (v > 1)
		state_reader_fail(r, "a flag holds %u (0 or 1 expected)", v);
	return v == 1;
}

u64 state_get_time(struct state_reader *r, u64 now)
{
	return now + get_le(r, 8);
}
