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

/*
 * Recently used L2 tables, as on disk (host/block_qcow2_l2cache.c). Write-through:
 * never newer than the image, so eviction writes nothing.
 */
struct qcow2_l2_cache {
	unsigned nslots;
	u64 table_bytes; /* one cluster */
	u64 *offset;     /* host offset of each slot's table; 0: empty */
	u64 *last_use;   /* clock value at the last get, for LRU eviction */
	u64 clock;
	u8 *data; /* nslots tables */
	u64 hits, misses;
};

/* Fresh clusters get their refcounts in pools of up to this much (one fdatasync each). */
#define QCOW2_POOL_BYTES (64 * MiB)
#define QCOW2_POOL_MAX_CLUSTERS 65536
/* Frees waiting for a flush; past this many, hover flushes by itself. */
#define QCOW2_MAX_PENDING_FREES 4096

/*
 * Where the image's metadata lives (header, L1, refcount table, refcount
 * blocks, L2 tables), as sorted cluster indices: a data cluster found there
 * is corruption, and writing guest data over it is refused (QEMU's
 * "overlap checks"). Only kept for writable images.
 */
struct qcow2_meta_index {
	u64 *cl;
	u64 n, cap;
};

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
	struct qcow2_l2_cache l2c;
	struct qcow2_meta_index meta;
	/*
	 * Crash safety (block_qcow2_meta.c): clusters [pool_next, pool_end) have
	 * a durable refcount of 1 and no user yet, so an L2 entry never points
	 * at a cluster whose refcount could be lost; clusters a write or discard
	 * dropped wait in free[] until the next flush made that drop durable.
	 */
	u64 pool_next, pool_end, pool_grow;
	struct { u64 host, len; } *free;
	unsigned nfree, free_cap;
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
/* Drop one reference to every host cluster in [host, host+len), now. */
int qcow2_unref(struct block *b, u64 host, u64 len) HOVER_WUR;
/* The same, after the next flush (the L2 change that dropped them must be durable first). */
int qcow2_free_later(struct block *b, u64 host, u64 len) HOVER_WUR;
/* fdatasync, then the frees that waited for it. */
int qcow2_sync(struct block *b) HOVER_WUR;
/* On close of a writable image: sync, give the unused pool back, sync. */
int qcow2_meta_close(struct block *b);

/* The metadata index: build it at open (-EINVAL: two metadata structures share a cluster). */
int qcow2_meta_build(struct block *b, char *err, size_t errlen) HOVER_WUR;
/* Record [off, off+len) as metadata (new tables go at the end: the index stays sorted). */
void qcow2_meta_add(struct qcow2 *q, u64 off, u64 len);
/* True if any cluster of [off, off+len) holds metadata. */
bool qcow2_meta_overlap(const struct qcow2 *q, u64 off, u64 len);
/* Load the refcount table and check it (writable images only). */
int qcow2_refcount_init(struct block *b, u64 rt_offset, u32 rt_clusters, u32 refcount_order,
			char *err, size_t errlen) HOVER_WUR;

/* A cache of about 1 MiB of L2 tables of table_bytes each (at least 2, at most 32 slots). */
int qcow2_l2_cache_init(struct qcow2_l2_cache *c, u64 table_bytes) HOVER_WUR;
void qcow2_l2_cache_free(struct qcow2_l2_cache *c);
/* The L2 table at host offset off (non-zero), read from fd on a miss; valid until the next get. */
int qcow2_l2_cache_get(struct qcow2_l2_cache *c, int fd, u64 off, const u8 **table) HOVER_WUR;
/*
 * The image's bytes [byte, byte+len) of the L2 table at off were just written
 * with raw (written) or a write of them failed (!written: the slot is dropped).
 * A table not in the cache is left alone.
 */
void qcow2_l2_cache_update(struct qcow2_l2_cache *c, u64 off, u64 byte, const u8 *raw, u64 len,
			   bool written);

/*
 * Allocate up to n (at most one L2 table's worth) host clusters in one run,
 * refcount 1 each and durable (block_qcow2_meta.c); *host is the first,
 * *got how many (at least 1). A failure leaks clusters at worst.
 */
int qcow2_alloc_run(struct block *b, u64 n, u64 *host, u64 *got) HOVER_WUR;
/*
 * Point n consecutive guest clusters from vaddr (all in one L2 table) at
 * consecutive host clusters from host, with flags (QCOW2_OFLAG_COPIED) added:
 * one write, allocating the L2 table first if needed.
 */
int qcow2_set_l2_run(struct block *b, u64 vaddr, u64 n, u64 host, u64 flags) HOVER_WUR;

u64 qcow2_be64(const u8 *p);
u32 qcow2_be32(const u8 *p);
void qcow2_put_be64(u8 *p, u64 v);

#endif
