/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The snapshot file (issue 13): one VM, paused, in three parts behind a
 * fixed header.
 *
 *   offset 0         header (SNAPSHOT_HEADER_LEN bytes, little-endian):
 *                      "HOVERSNP" magic, u32 file version, u32 flags (0),
 *                      u64 meta_off, meta_len, dev_off, dev_len, ram_off, ram_len,
 *                      u32 CRC-32 (zlib) of the bytes before it
 *   meta_off         a state stream (migration/stream_write.c): how to rebuild
 *                      the machine (its options), the VM clock, each vCPU, the
 *                      disks as they were, host-side state such as user networking
 *   dev_off          a state stream: every device of the board (pc_save_devices)
 *   ram_off          guest RAM, region after region, zero pages as holes
 *                      (core/ram_image.c); page-aligned, so a restore maps it
 *
 * Each stream carries its own per-section checksums; the header's CRC covers
 * the offsets, and decoding checks that the parts lie inside the file, in
 * this order, without overlap. Nothing in the file is trusted beyond that:
 * every section is checked again by the code that reads it.
 */
#ifndef HOVER_MIGRATION_SNAPSHOT_FILE_H
#define HOVER_MIGRATION_SNAPSHOT_FILE_H

#include <stddef.h>

#include "include/hover/types.h"

#define SNAPSHOT_MAGIC "HOVERSNP"
#define SNAPSHOT_FILE_VERSION 1
#define SNAPSHOT_HEADER_LEN 68
#define SNAPSHOT_META_OFF 4096
#define SNAPSHOT_RAM_ALIGN (2 * 1024 * 1024ULL) /* huge-page aligned: maps well */

struct snapshot_header {
	u64 meta_off, meta_len;
	u64 dev_off, dev_len;
	u64 ram_off, ram_len;
};

/* Lay the parts out: meta at SNAPSHOT_META_OFF, devices after it, RAM aligned after that. */
void snapshot_layout(struct snapshot_header *h, u64 meta_len, u64 dev_len, u64 ram_len);
void snapshot_header_encode(const struct snapshot_header *h, u8 out[SNAPSHOT_HEADER_LEN]);
/*
 * Check and decode the first len bytes of a file of file_size bytes. -EINVAL
 * with a sentence in err: not a snapshot, another version, damaged, cut short.
 */
int snapshot_header_decode(const u8 *in, size_t len, u64 file_size, struct snapshot_header *h,
			   char *err, size_t errlen) HOVER_WUR;

#endif
