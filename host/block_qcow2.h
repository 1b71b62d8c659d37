/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * qcow2 internals shared by host/block_qcow2.c (open, read, write) and
 * host/block_qcow2_meta.c (L2 lookups, refcounts, cluster allocation).
 * Field names follow the qcow2 specification (QEMU docs/interop/qcow2.txt).
 */
#ifndef HOVER_HOST_BLOCK_QCOW2_H
#define HOVER_HOST_BLOCK_QCOW2_H

#include "host/block.h"

#define QCOW2_OFLAG_COPIED (1ULL << 63)
#define QCOW2_OFLAG_COMPRESSED (1ULL << 62)
#define QCOW2_OFLAG_ZERO 1ULL
#define QCOW2_OFFSET_MASK 0x00fffffffffffe00ULL /* bits 9-55 */

struct qcow2 {
	u32 version;
	u32 cluster_bits;
	u64 cluster_size;
	u64 l2_entries; /* per L2 table: cluster_size / 8 */
	u32 l1_size;
	u64 l1_offset;
	u64 *l1; /* host byte order */
	u64 rt_offset;
	u64 rt_entries;
	u64 *rt; /* refcount table, host byte order; NULL when read-only */
	u32 refcount_bits;
	u64 rc_per_block;
	u64 end; /* next free host offset (allocation appends) */
	u64 file_size;
	struct block *backing;
	u8 *cbuf; /* one cluster: copy-on-write and decompression */
	u8 *zbuf; /* compressed input: two clusters */
	u8 *zero; /* one cluster of zeroes, never written */
};

/* What a guest cluster maps to. */
enum qcow2_kind { QCOW2_UNALLOCATED, QCOW2_ZERO, QCOW2_NORMAL, QCOW2_COMPRESSED };

struct qcow2_map {
	enum qcow2_kind kind;
	u64 entry; /* raw L2 entry */
	u64 host;  /* NORMAL: cluster offset; COMPRESSED: data offset */
	u64 csize; /* COMPRESSED: bytes of compressed data (upper bound) */
};

static inline struct qcow2 *qcow2_of(struct block *b) { return b->priv; }

/* L2 lookup for the guest cluster holding byte vaddr; -EIO on corrupt metadata. */
int qcow2_lookup(struct block *b, u64 vaddr, struct qcow2_map *m) HOVER_WUR;
/* Set the L2 entry for vaddr, allocating the L2 table if needed. */
int qcow2_set_l2(struct block *b, u64 vaddr, u64 entry) HOVER_WUR;
/* A new cluster with refcount 1 (appended at the end of the file). */
int qcow2_alloc_cluster(struct block *b, u64 *host) HOVER_WUR;
/* Drop one reference to every host cluster in [host, host+len). */
int qcow2_unref(struct block *b, u64 host, u64 len) HOVER_WUR;
/* Load the refcount table and check it (writable images only). */
int qcow2_refcount_init(struct block *b, u64 rt_offset, u32 rt_clusters, u32 refcount_order,
			char *err, size_t errlen) HOVER_WUR;

u64 qcow2_be64(const u8 *p);
u32 qcow2_be32(const u8 *p);
void qcow2_put_be64(u8 *p, u64 v);

#endif
