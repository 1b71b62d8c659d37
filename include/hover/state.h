/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Device state: how a device saves and restores what the guest can see.
 *
 * A device keeps its guest-visible state in a plain struct (no host pointers,
 * fds, threads or config) and exports one struct dev_state_ops at the end of
 * its file. Its save() writes that state field by field with the state_put_*
 * helpers below, its load() reads it back with state_get_* in the same order.
 * Fields are encoded explicitly, little-endian and fixed-width, so the bytes
 * depend neither on the compiler's struct layout nor on the host.
 *
 * The section framing (name, instance, version, length, checksum) and the
 * file header belong to migration/; a device sees only an opaque writer or a
 * reader bounded to its own section. The helpers live in lib/state.c, so
 * devices depend on lib only.
 *
 * Errors are sticky: a put that cannot grow the buffer, or a get past the end
 * of the section, records the error and later calls do nothing (gets return
 * 0). A load() therefore reads everything, validates what it must, and ends
 * with `return state_reader_error(r);`. A value the device cannot accept (a
 * queue size that is not a power of two, an index out of range) is reported
 * with state_reader_fail(), which keeps the sentence for the person loading.
 *
 * Time: a timer deadline or a "counting since" timestamp is saved relative to
 * the device's clock at save time (state_put_time) and rebuilt against its
 * clock at load time (state_get_time), so a restored timer fires as long
 * after the load as it was due after the save.
 */
#ifndef HOVER_INCLUDE_STATE_H
#define HOVER_INCLUDE_STATE_H

#include "include/hover/types.h"

struct state_writer;
struct state_reader;

void state_put_u8(struct state_writer *w, u8 v);
void state_put_u16(struct state_writer *w, u16 v);
void state_put_u32(struct state_writer *w, u32 v);
void state_put_u64(struct state_writer *w, u64 v);
void state_put_bool(struct state_writer *w, bool v);
void state_put_bytes(struct state_writer *w, const void *buf, size_t len);
/* A clock value `t` as the signed distance from `now` (both on the device's clock). */
void state_put_time(struct state_writer *w, u64 t, u64 now);
int state_writer_error(const struct state_writer *w);

u8 state_get_u8(struct state_reader *r);
u16 state_get_u16(struct state_reader *r);
u32 state_get_u32(struct state_reader *r);
u64 state_get_u64(struct state_reader *r);
/* Anything but 0 or 1 is a corrupt stream. */
bool state_get_bool(struct state_reader *r);
void state_get_bytes(struct state_reader *r, void *buf, size_t len);
/* The inverse of state_put_time against the loading side's `now`. */
u64 state_get_time(struct state_reader *r, u64 now);
/* The version the section was saved with (<= the device's ops version). */
u32 state_reader_version(const struct state_reader *r);
/* Reject the section: records "what was wrong" and returns -EINVAL. */
int state_reader_fail(struct state_reader *r, const char *fmt, ...) HOVER_PRINTF(2, 3);
/* 0, or the first error (-EINVAL: truncated or rejected section). */
int state_reader_error(const struct state_reader *r);

/*
 * What a device registers. `section` names the state in the stream (one
 * section per instance; the board numbers instances), `version` is the
 * newest layout save() writes and load() accepts every version up to it.
 */
struct dev_state_ops {
	const char *section;
	u32 version;
	int (*save)(void *dev, struct state_writer *w);
	/* Called on a freshly created device (same config); not on a running one. */
	int (*load)(void *dev, struct state_reader *r);
	/*
	 * Optional: finish in-flight work (an I/O thread's requests) so that
	 * save() sees a state with nothing half done. The VM is paused.
	 */
	void (*quiesce)(void *dev);
};

#endif
