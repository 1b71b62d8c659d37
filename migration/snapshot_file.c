// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The snapshot file's header: where its three parts lie (layout in
 * migration/snapshot_file.h). Encoded field by field, little-endian, with a
 * CRC-32 over everything before the CRC, so the format does not depend on
 * the compiler and a damaged header is told apart from a foreign file.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <zlib.h>

#include "migration/snapshot_file.h"

#define PAGE 4096ULL

static u64 align_up(u64 v, u64 a)
{
	return (v + a - 1) / a * a;
}

void snapshot_layout(struct snapshot_header *h, u64 meta_len, u64 dev_len, u64 ram_len)
{
	h->meta_off = SNAPSHOT_META_OFF;
	h->meta_len = meta_len;
	h->dev_off = align_up(h->meta_off + meta_len, PAGE);
	h->dev_len = dev_len;
	h->ram_off = align_up(h->dev_off + dev_len, SNAPSHOT_RAM_ALIGN);
	h->ram_len = ram_len;
}

static void put32(u8 *p, u32 v)
{
	for (int i = 0; i < 4; i++)
		p[i] = v >> (8 * i);
}

static void put64(u8 *p, u64 v)
{
	for (int i = 0; i < 8; i++)
		p[i] = v >> (8 * i);
}

static u32 get32(const u8 *p)
{
	return (u32)p[0] | (u32)p[1] << 8 | (u32)p[2] << 16 | (u32)p[3] << 24;
}

static u64 get64(const u8 *p)
{
	return (u64)get32(p) | (u64)get32(p + 4) << 32;
}

void snapshot_header_encode(const struct snapshot_header *h, u8 out[SNAPSHOT_HEADER_LEN])
{
	const u64 f[6] = { h->meta_off, h->meta_len, h->dev_off, h->dev_len, h->ram_off,
			   h->ram_len };

	memcpy(out, SNAPSHOT_MAGIC, 8);
	put32(out + 8, SNAPSHOT_FILE_VERSION);
	put32(out + 12, 0);
	for (int i = 0; i < 6; i++)
		put64(out + 16 + 8 * i, f[i]);
	put32(out + 64, (u32)crc32(0, out, 64));
}

/* [off, off+len) inside [lo, file_size), without wrapping. */
static bool inside(u64 off, u64 len, u64 lo, u64 file_size)
{
	return off >= lo && off <= file_size && len <= file_size - off;
}

int snapshot_header_decode(const u8 *in, size_t len, u64 file_size, struct snapshot_header *h,
			   char *err, size_t errlen)
{
	if (len < SNAPSHOT_HEADER_LEN || memcmp(in, SNAPSHOT_MAGIC, 8)) {
		snprintf(err, errlen, "not a hover snapshot (no HOVERSNP header)");
		return -EINVAL;
	}
	if (get32(in + 8) != SNAPSHOT_FILE_VERSION) {
		snprintf(err, errlen, "snapshot file version %u; this hover reads version %u",
			 get32(in + 8), SNAPSHOT_FILE_VERSION);
		return -EINVAL;
	}
	if (get32(in + 64) != (u32)crc32(0, in, 64) || get32(in + 12)) {
		snprintf(err, errlen, "the snapshot's header is damaged (checksum mismatch)");
		return -EINVAL;
	}
	h->meta_off = get64(in + 16);
	h->meta_len = get64(in + 24);
	h->dev_off = get64(in + 32);
	h->dev_len = get64(in + 40);
	h->ram_off = get64(in + 48);
	h->ram_len = get64(in + 56);
	if (!inside(h->meta_off, h->meta_len, SNAPSHOT_HEADER_LEN, file_size) ||
	    !inside(h->dev_off, h->dev_len, h->meta_off + h->meta_len, file_size) ||
	    !inside(h->ram_off, h->ram_len, h->dev_off + h->dev_len, file_size) ||
	    h->ram_off % PAGE) {
		snprintf(err, errlen, "the snapshot is cut short or damaged: its parts do not lie "
			 "inside its %llu bytes", (unsigned long long)file_size);
		return -EINVAL;
	}
	return 0;
}
