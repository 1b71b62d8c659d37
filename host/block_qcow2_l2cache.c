// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A small cache of qcow2 L2 tables (qcow2 spec: "Cluster mapping"), so a
 * lookup costs a memory read instead of an 8-byte pread per cluster.
 *
 * Tables are kept as they are on disk (big-endian entries) in a handful of
 * slots, least recently used out first. The cache is write-through: the
 * metadata code writes an L2 entry to the image first and then tells the
 * cache (qcow2_l2_cache_update), so nothing in it is ever newer than the
 * file. Eviction therefore writes nothing back, and the crash-consistency
 * order of block_qcow2_meta.c (refcount, then data, then L2) is untouched.
 * A failed write drops the slot, so a torn write is read back from disk.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "host/block_qcow2.h"

#define L2_CACHE_MAX_SLOTS 32
#define L2_CACHE_BUDGET (1 * MiB)

int qcow2_l2_cache_init(struct qcow2_l2_cache *c, u64 table_bytes)
{
	u64 n = L2_CACHE_BUDGET / table_bytes;

	memset(c, 0, sizeof(*c));
	if (n < 2)
		n = 2; /* a lookup and the table being filled may differ */
	if (n > L2_CACHE_MAX_SLOTS)
		n = L2_CACHE_MAX_SLOTS;
	c->nslots = n;
	c->table_bytes = table_bytes;
	c->offset = calloc(n, sizeof(*c->offset));
	c->last_use = calloc(n, sizeof(*c->last_use));
	c->data = malloc(n * table_bytes);
	if (!c->offset || !c->last_use || !c->data) {
		qcow2_l2_cache_free(c);
		return -ENOMEM;
	}
	return 0;
}

void qcow2_l2_cache_free(struct qcow2_l2_cache *c)
{
	free(c->offset);
	free(c->last_use);
	free(c->data);
	memset(c, 0, sizeof(*c));
}

static int find(const struct qcow2_l2_cache *c, u64 off)
{
	for (unsigned i = 0; i < c->nslots; i++)
		if (c->offset[i] == off)
			return i;
	return -1;
}

int qcow2_l2_cache_get(struct qcow2_l2_cache *c, int fd, u64 off, const u8 **table)
{
	int i = off ? find(c, off) : -1;
	unsigned victim = 0;
	int ret;

	if (!off)
		return -EINVAL; /* offset 0 is the header, never an L2 table; it marks free slots */
	if (i < 0) {
		for (unsigned k = 1; k < c->nslots && c->offset[victim]; k++)
			if (!c->offset[k] || c->last_use[k] < c->last_use[victim])
				victim = k;
		c->offset[victim] = 0;
		ret = block_pread_full(fd, c->data + victim * c->table_bytes, c->table_bytes, off);
		if (ret)
			return ret;
		c->offset[victim] = off;
		c->misses++;
		i = victim;
	} else {
		c->hits++;
	}
	c->last_use[i] = ++c->clock;
	*table = c->data + i * c->table_bytes;
	return 0;
}

void qcow2_l2_cache_update(struct qcow2_l2_cache *c, u64 off, u64 byte, const u8 *raw, u64 len,
			   bool written)
{
	int i = find(c, off);

	if (i < 0 || !off)
		return;
	if (!written || byte > c->table_bytes || len > c->table_bytes - byte) {
		c->offset[i] = 0; /* the file may hold part of it: read it again when needed */
		return;
	}
	memcpy(c->data + i * c->table_bytes + byte, raw, len);
}
