/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The live-migration channel (issue 13): what goes over the connection
 * between `hover migrate` (the source) and `hover run --incoming` (the
 * destination). This comment is the format's definition. Integers are
 * little-endian, fixed-width.
 *
 *   hello     both ways, first: "HOVERMIG" u32 version (MIGRATE_WIRE_VERSION)
 *             u32 flags (0) u32 CRC-32 of the 16 bytes before it. Each side
 *             refuses a peer of another version, naming both.
 *   'S'       source: u32 length, then a state stream (migration/stream.h)
 *             with a "machine" section (the options the machine was built
 *             from) and a "ram" section (its regions): the destination builds
 *             the same board from it before any page arrives.
 *   'P'       source: a batch of pages. u32 count (1..MIGRATE_BATCH_MAX),
 *             count u64 entries (the page's guest-physical address; bit 0 set:
 *             the page is all zeroes and has no data), the 4 KiB of every
 *             non-zero page in entry order, u32 CRC-32 of the record from the
 *             tag on. Pages come round after round: a later copy of a page
 *             replaces the earlier one.
 *   'F'       source, once, with the VM paused: u32 length + the meta stream
 *             (clock, vCPUs, disks: machine/pc_snapshot.c), u32 length + the
 *             device stream (pc_save_devices). Both carry their sections'
 *             checksums and versions, exactly as in a snapshot file.
 *   'R'       destination: everything is loaded, it is ready to run.
 *   'N'       destination, at any time: u32 length + a sentence; it gives up.
 *   'C'       source, after 'R': commit. The source stops for good ("migrated")
 *             and the destination runs. Without 'C' the destination runs
 *             nothing and exits, so the VM never runs twice; on any failure
 *             before 'R' the source resumes.
 */
#ifndef HOVER_MIGRATION_MIGRATE_WIRE_H
#define HOVER_MIGRATION_MIGRATE_WIRE_H

#include <stddef.h>

#include "include/hover/types.h"

#define MIGRATE_WIRE_MAGIC "HOVERMIG"
#define MIGRATE_WIRE_VERSION 1
#define MIGRATE_HELLO_LEN 20
#define MIGRATE_BATCH_MAX 512
#define MIGRATE_PAGE 4096u
#define MIGRATE_ZERO 1ULL /* entry flag: an all-zero page, no data follows */
#define MIGRATE_STATE_MAX (64u * 1024 * 1024) /* a state stream's bound (snapshots' too) */

enum migrate_tag {
	MIGRATE_TAG_SETUP = 'S',
	MIGRATE_TAG_PAGES = 'P',
	MIGRATE_TAG_FINAL = 'F',
	MIGRATE_TAG_READY = 'R',
	MIGRATE_TAG_NACK = 'N',
	MIGRATE_TAG_COMMIT = 'C',
};

void migrate_hello_encode(u8 out[MIGRATE_HELLO_LEN], u32 version);
/* 0, or -EINVAL / -EPROTO with a sentence (who is "the source"/"the destination"). */
int migrate_hello_decode(const u8 in[MIGRATE_HELLO_LEN], const char *who, char *err,
			 size_t errlen) HOVER_WUR;

/*
 * An address: tcp:HOST:PORT or unix:PATH. -EINVAL with a sentence naming
 * the address and the forms that work.
 */
struct migrate_addr {
	bool unix_path;
	char host[256]; /* unix: the path */
	char port[16];
};
int migrate_addr_parse(const char *text, struct migrate_addr *a, char *err, size_t errlen) HOVER_WUR;

/*
 * Check a page batch's entries (after its count and entries arrived): every
 * address page-aligned, no unknown flag bits. Returns the number of pages
 * with data, or -EINVAL with a sentence.
 */
long migrate_batch_check(const u64 *entries, u32 count, char *err, size_t errlen);

static inline void migrate_put32(u8 *p, u32 v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (u8)(v >> (8 * i));
}

static inline void migrate_put64(u8 *p, u64 v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (u8)(v >> (8 * i));
}

static inline u32 migrate_get32(const u8 *p)
{
	return (u32)p[0] | (u32)p[1] << 8 | (u32)p[2] << 16 | (u32)p[3] << 24;
}

static inline u64 migrate_get64(const u8 *p)
{
	return (u64)migrate_get32(p) | (u64)migrate_get32(p + 4) << 32;
}

#endif
