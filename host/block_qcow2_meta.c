// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * qcow2 metadata (qcow2 spec: "Host cluster management", "Cluster mapping"):
 * two-level L1/L2 lookups, refcount blocks, and cluster allocation.
 *
 * Metadata is written through at once, in an order that keeps the image
 * consistent after a crash of hover or of the host at any point:
 *  - a new cluster's refcount is durable before anything points at it:
 *    clusters are handed out from a pool whose refcounts were written and
 *    fdatasync'ed when it was made (one sync per pool, pools grow to 64 MiB);
 *  - a cluster that a write or discard stops using is freed only after the
 *    next flush made the L2 change durable (qcow2_free_later);
 *  - a new refcount table is durable before the header names it.
 * Fresh clusters are appended past every byte the file ever held, so they
 * read as zeroes after a crash whatever reached the disk; that is why a new
 * L2 table or refcount block needs no sync of its own. The worst outcome of
 * a crash is leaked clusters (`qemu-img check -r leaks` repairs them; hover
 * re-counts those past the end of the file itself), never a cluster in use
 * with refcount 0. Freed clusters are punched out of the file, not reused.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "host/block_qcow2.h"
#include "include/hover/log.h"

u64 qcow2_be64(const u8 *p)
{
	u64 v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

u32 qcow2_be32(const u8 *p)
{
	return (u32)p[0] << 24 | (u32)p[1] << 16 | (u32)p[2] << 8 | p[3];
}

void qcow2_put_be64(u8 *p, u64 v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = v;
}

static int corrupt(struct block *b, const char *what, u64 v)
{
	log_ratelimited(LOG_ERROR, "%s: corrupt qcow2 metadata: %s (%#llx); request failed",
			b->path, what, (unsigned long long)v);
	return -EIO;
}

/* ---- L1/L2 ---- */

int qcow2_lookup(struct block *b, u64 vaddr, struct qcow2_map *m)
{
	struct qcow2 *q = qcow2_of(b);
	u64 cl = vaddr >> q->cluster_bits, i1 = cl / q->l2_entries, i2 = cl % q->l2_entries;
	const u8 *table;
	u64 l2, e;
	int ret;

	*m = (struct qcow2_map){ .kind = QCOW2_UNALLOCATED };
	if (i1 >= q->l1_size)
		return corrupt(b, "offset beyond the L1 table", vaddr);
	l2 = q->l1[i1] & QCOW2_OFFSET_MASK;
	if (!l2)
		return 0;
	if (l2 & (q->cluster_size - 1) || l2 >= q->end)
		return corrupt(b, "L2 table offset", l2);
	ret = qcow2_l2_cache_get(&q->l2c, b->fd, l2, &table);
	if (ret)
		return ret;
	e = qcow2_be64(table + 8 * i2);
	m->entry = e;
	if (e & QCOW2_OFLAG_COMPRESSED) {
		/* x = 62 - (cluster_bits - 8): offset below bit x, extra 512-byte sectors above. */
		unsigned x = 62 - (q->cluster_bits - 8);
		u64 off = e & ((1ULL << x) - 1);
		u64 nsec = (e & ~QCOW2_OFLAG_COMPRESSED & ~QCOW2_OFLAG_COPIED) >> x;

		m->kind = QCOW2_COMPRESSED;
		m->host = off;
		m->csize = (nsec + 1) * 512 - (off & 511);
		if (m->csize > 2 * q->cluster_size || off >= q->end)
			return corrupt(b, "compressed cluster descriptor", e);
		if (qcow2_meta_overlap(q, off, m->csize))
			return corrupt(b, "compressed cluster overlaps the image's metadata", e);
		return 0;
	}
	m->host = e & QCOW2_OFFSET_MASK;
	if (q->version >= 3 && (e & QCOW2_OFLAG_ZERO))
		m->kind = QCOW2_ZERO; /* a preallocated zero cluster reads as zeroes too */
	else if (m->host)
		m->kind = QCOW2_NORMAL;
	if (m->host && ((m->host & (q->cluster_size - 1)) || m->host >= q->end))
		return corrupt(b, "data cluster offset", e);
	if (m->kind == QCOW2_NORMAL && qcow2_meta_overlap(q, m->host, q->cluster_size))
		return corrupt(b, "data cluster overlaps the image's metadata", e);
	return 0;
}

static int write_be64(struct block *b, u64 off, u64 v)
{
	u8 raw[8];

	qcow2_put_be64(raw, v);
	return block_pwrite_full(b->fd, raw, 8, off);
}

/* A zeroed cluster written at a fresh offset. */
static int alloc_zeroed(struct block *b, u64 *host)
{
	struct qcow2 *q = qcow2_of(b);
	int ret = qcow2_alloc_cluster(b, host);

	if (ret)
		return ret;
	return block_pwrite_full(b->fd, q->zero, q->cluster_size, *host);
}

/* Write n raw L2 entries from vaddr's (all in one table), allocating the table if needed. */
static int write_l2(struct block *b, u64 vaddr, const u8 *raw, u64 n)
{
	struct qcow2 *q = qcow2_of(b);
	u64 cl = vaddr >> q->cluster_bits, i1 = cl / q->l2_entries, i2 = cl % q->l2_entries;
	u64 l2 = q->l1[i1] & QCOW2_OFFSET_MASK;
	int ret;

	if (!n || n > q->l2_entries - i2)
		return -EINVAL;
	if (!l2) {
		/* The L2 table exists (zeroed, refcounted) before L1 points at it. */
		ret = alloc_zeroed(b, &l2);
		if (ret)
			return ret;
		qcow2_meta_add(q, l2, q->cluster_size);
		ret = write_be64(b, q->l1_offset + 8 * i1, l2 | QCOW2_OFLAG_COPIED);
		if (ret)
			return ret;
		q->l1[i1] = l2 | QCOW2_OFLAG_COPIED;
	} else if (!(q->l1[i1] & QCOW2_OFLAG_COPIED)) {
		return corrupt(b, "shared L2 table in a writable image", q->l1[i1]);
	}
	ret = block_pwrite_full(b->fd, raw, 8 * n, l2 + 8 * i2);
	qcow2_l2_cache_update(&q->l2c, l2, 8 * i2, raw, 8 * n, !ret);
	return ret;
}

int qcow2_set_l2(struct block *b, u64 vaddr, u64 entry)
{
	u8 raw[8];

	qcow2_put_be64(raw, entry);
	return write_l2(b, vaddr, raw, 1);
}

int qcow2_set_l2_run(struct block *b, u64 vaddr, u64 n, u64 host, u64 flags)
{
	struct qcow2 *q = qcow2_of(b);
	u8 *raw;
	int ret;

	if (!n || n > q->l2_entries)
		return -EINVAL;
	raw = malloc(8 * n);
	if (!raw)
		return -ENOMEM;
	for (u64 i = 0; i < n; i++)
		qcow2_put_be64(raw + 8 * i, (host + i * q->cluster_size) | flags);
	ret = write_l2(b, vaddr, raw, n);
	free(raw);
	return ret;
}

/* ---- refcounts ---- */

static int rc_locate(struct qcow2 *q, u64 host, u64 *blk_idx, u64 *byte_off)
{
	u64 cl = host >> q->cluster_bits;

	*blk_idx = cl / q->rc_per_block;
	*byte_off = (cl % q->rc_per_block) * (q->refcount_bits / 8);
	return *blk_idx < q->rt_entries ? 0 : -ENOSPC;
}

static int rc_read(struct block *b, u64 off, u64 *v)
{
	struct qcow2 *q = qcow2_of(b);
	unsigned n = q->refcount_bits / 8;
	u8 raw[8];
	int ret = block_pread_full(b->fd, raw, n, off);

	*v = 0;
	for (unsigned i = 0; i < n && !ret; i++)
		*v = *v << 8 | raw[i];
	return ret;
}

static int rc_write(struct block *b, u64 off, u64 v)
{
	struct qcow2 *q = qcow2_of(b);
	unsigned n = q->refcount_bits / 8;
	u8 raw[8];

	for (int i = n - 1; i >= 0; i--, v >>= 8)
		raw[i] = v;
	return block_pwrite_full(b->fd, raw, n, off);
}

static int set_refcount(struct block *b, u64 host, u64 v, int depth);

/*
 * The refcount table is full: write a bigger copy at the end of the file,
 * point the header at it (one 12-byte write: offset and cluster count),
 * then free the old one. Until the header write the old table stays valid,
 * so a crash leaks clusters at worst.
 */
static int grow_table(struct block *b, u64 min_entries, int depth)
{
	struct qcow2 *q = qcow2_of(b);
	u64 per = q->cluster_size / 8, old_off = q->rt_offset, old_n = q->rt_entries;
	u64 n = old_n * 2 > min_entries + per ? old_n * 2 : min_entries + per, nclus, off, *rt;
	u8 *raw, hdr[12];
	int ret;

	n = (n + per - 1) / per * per;
	nclus = n / per;
	if (nclus > 0xffffffffULL || n * 8 > 64 * MiB)
		return -ENOSPC;
	rt = realloc(q->rt, n * 8);
	raw = malloc(n * 8);
	if (!rt || !raw) {
		free(raw);
		if (rt)
			q->rt = rt;
		return -ENOMEM;
	}
	memset(rt + old_n, 0, (n - old_n) * 8);
	q->rt = rt;
	off = q->end;
	q->end += nclus * q->cluster_size;
	q->rt_offset = off;
	q->rt_entries = n;
	ret = 0;
	for (u64 i = 0; i < nclus && !ret; i++)
		ret = set_refcount(b, off + i * q->cluster_size, 1, depth + 1);
	for (u64 i = 0; i < n; i++)
		qcow2_put_be64(raw + 8 * i, q->rt[i]);
	if (!ret)
		ret = block_pwrite_full(b->fd, raw, n * 8, off);
	free(raw);
	/* The new table is durable before the header names it (power loss). */
	if (!ret && fdatasync(b->fd))
		ret = -errno;
	if (!ret) {
		qcow2_put_be64(hdr, off);
		hdr[8] = nclus >> 24, hdr[9] = nclus >> 16, hdr[10] = nclus >> 8, hdr[11] = nclus;
		ret = block_pwrite_full(b->fd, hdr, 12, 48);
	}
	if (ret) {
		q->rt_offset = old_off; /* the header still names the old table */
		q->rt_entries = old_n;
		return ret;
	}
	qcow2_meta_add(q, off, nclus * q->cluster_size);
	return qcow2_free_later(b, old_off, old_n * 8);
}

static int set_refcount(struct block *b, u64 host, u64 v, int depth)
{
	struct qcow2 *q = qcow2_of(b);
	u64 bi, bo, rb;
	int ret;

	if (rc_locate(q, host, &bi, &bo)) {
		ret = depth > 2 ? -ENOSPC : grow_table(b, bi + 1, depth);
		if (ret || rc_locate(q, host, &bi, &bo)) {
			log_ratelimited(LOG_ERROR, "%s: cannot grow the qcow2 refcount table; "
					"write failed", b->path);
			return ret ? ret : -ENOSPC;
		}
	}
	if (!q->rt[bi]) {
		u8 raw[8];

		if (depth > 2)
			return -EIO;
		/* A new refcount block at the end of the file; it counts itself when it can. */
		rb = q->end;
		q->end += q->cluster_size;
		ret = block_pwrite_full(b->fd, q->zero, q->cluster_size, rb);
		if (ret)
			return ret;
		qcow2_put_be64(raw, rb);
		ret = block_pwrite_full(b->fd, raw, 8, q->rt_offset + 8 * bi);
		if (ret)
			return ret;
		q->rt[bi] = rb;
		qcow2_meta_add(q, rb, q->cluster_size);
		ret = set_refcount(b, rb, 1, depth + 1);
		if (ret)
			return ret;
	}
	rb = q->rt[bi];
	return rc_write(b, rb + bo, v);
}

int qcow2_alloc_cluster(struct block *b, u64 *host)
{
	u64 got;

	return qcow2_alloc_run(b, 1, host, &got);
}

/*
 * Set the refcounts of the n clusters from h (at the end of the file, already
 * reserved) to v, in as few writes as the refcount blocks allow. Refcount
 * blocks made on the way go after the reserved run.
 */
static int refcount_run(struct block *b, u64 h, u64 n, u8 v)
{
	struct qcow2 *q = qcow2_of(b);
	unsigned width = q->refcount_bits / 8;
	u64 i = 0;
	u8 *vals = calloc(n, width);
	int ret = 0;

	if (!vals)
		return -ENOMEM;
	for (u64 k = 0; k < n; k++)
		vals[k * width + width - 1] = v; /* big-endian */
	while (i < n && !ret) {
		u64 c = h + i * q->cluster_size, idx = (c >> q->cluster_bits) % q->rc_per_block;
		u64 more = q->rc_per_block - idx - 1, bi, bo;

		if (more > n - i - 1)
			more = n - i - 1;
		/* The first of each refcount block's share finds (or makes) the block... */
		ret = set_refcount(b, c, v, 0);
		if (ret || !more) {
			i++;
			continue;
		}
		/* ...and the rest of that share is one write next to it. */
		if (rc_locate(q, c, &bi, &bo) || !q->rt[bi]) {
			ret = -EIO;
			break;
		}
		ret = block_pwrite_full(b->fd, vals, more * width, q->rt[bi] + bo + width);
		i += 1 + more;
	}
	free(vals);
	return ret;
}

/* Give the pool's unused clusters back (refcount 0): nothing points at them. */
static int pool_release(struct block *b)
{
	struct qcow2 *q = qcow2_of(b);
	u64 n = (q->pool_end - q->pool_next) >> q->cluster_bits;
	int ret = n ? refcount_run(b, q->pool_next, n, 0) : 0;

	q->pool_next = q->pool_end = 0;
	return ret;
}

/*
 * A new pool of at least n clusters at the end of the file, their refcounts
 * 1 and durable (fdatasync) before any of them is handed out.
 */
static int pool_refill(struct block *b, u64 n)
{
	struct qcow2 *q = qcow2_of(b);
	u64 max = QCOW2_POOL_BYTES >> q->cluster_bits, h;
	int ret;

	ret = pool_release(b);
	if (ret)
		return ret;
	if (max > QCOW2_POOL_MAX_CLUSTERS)
		max = QCOW2_POOL_MAX_CLUSTERS;
	q->pool_grow = q->pool_grow ? q->pool_grow * 2 : 16;
	if (q->pool_grow > max)
		q->pool_grow = max;
	if (n < q->pool_grow)
		n = q->pool_grow;
	h = q->end;
	q->end += n * q->cluster_size;
	ret = refcount_run(b, h, n, 1);
	if (!ret && fdatasync(b->fd))
		ret = -errno;
	if (ret)
		return ret; /* a failure leaks the run at worst */
	q->pool_next = h;
	q->pool_end = h + n * q->cluster_size;
	return 0;
}

int qcow2_alloc_run(struct block *b, u64 n, u64 *host, u64 *got)
{
	struct qcow2 *q = qcow2_of(b);
	u64 left = (q->pool_end - q->pool_next) >> q->cluster_bits;
	int ret;

	if (!n || n > q->l2_entries)
		return -EINVAL;
	if (!left) {
		ret = pool_refill(b, n);
		if (ret)
			return ret;
		left = (q->pool_end - q->pool_next) >> q->cluster_bits;
	}
	/* The rest of the pool first, even if short: a new pool would leave it a hole. */
	*got = n < left ? n : left;
	*host = q->pool_next;
	q->pool_next += *got * q->cluster_size;
	return 0;
}

int qcow2_free_later(struct block *b, u64 host, u64 len)
{
	struct qcow2 *q = qcow2_of(b);

	if (q->nfree == q->free_cap) {
		unsigned cap = q->free_cap ? q->free_cap * 2 : 64;
		void *p = realloc(q->free, cap * sizeof(*q->free));

		if (!p)
			return -ENOMEM;
		q->free = p;
		q->free_cap = cap;
	}
	q->free[q->nfree].host = host;
	q->free[q->nfree].len = len;
	q->nfree++;
	/* A guest that never flushes must not grow this without bound. */
	return q->nfree >= QCOW2_MAX_PENDING_FREES ? qcow2_sync(b) : 0;
}

int qcow2_sync(struct block *b)
{
	struct qcow2 *q = qcow2_of(b);
	int ret = 0;

	if (fdatasync(b->fd))
		return -errno;
	/* The L2 entries that dropped these clusters are durable now. */
	for (unsigned i = 0; i < q->nfree && !ret; i++)
		ret = qcow2_unref(b, q->free[i].host, q->free[i].len);
	q->nfree = 0;
	return ret;
}

int qcow2_meta_close(struct block *b)
{
	struct qcow2 *q = qcow2_of(b);
	/* A pool at the very end of the file: the file ends where its used part does. */
	bool trim = q->pool_end && q->pool_end == q->end && q->pool_next < q->pool_end;
	u64 cut = q->pool_next;
	int ret = qcow2_sync(b), r2 = pool_release(b);

	if (!ret && !r2 && trim && cut >= q->file_size && !ftruncate(b->fd, cut))
		q->end = cut;

	if (!ret && r2)
		ret = r2;
	if (!r2 && fdatasync(b->fd) && !ret)
		ret = -errno;
	return ret;
}

int qcow2_unref(struct block *b, u64 host, u64 len)
{
	struct qcow2 *q = qcow2_of(b);
	u64 first = host & ~(q->cluster_size - 1);

	for (u64 c = first; c < host + len; c += q->cluster_size) {
		u64 bi, bo, v;
		int ret;

		if (rc_locate(q, c, &bi, &bo) || !q->rt[bi])
			return corrupt(b, "cluster without a refcount block", c);
		ret = rc_read(b, q->rt[bi] + bo, &v);
		if (ret)
			return ret;
		if (!v)
			return corrupt(b, "refcount already zero", c);
		ret = rc_write(b, q->rt[bi] + bo, v - 1);
		if (ret)
			return ret;
		/* Give the space back to the host; the cluster is not reused. */
		if (v == 1)
			fallocate(b->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, c, q->cluster_size);
	}
	return 0;
}

int qcow2_refcount_init(struct block *b, u64 rt_offset, u32 rt_clusters, u32 refcount_order,
			char *err, size_t errlen)
{
	struct qcow2 *q = qcow2_of(b);
	u64 bytes = (u64)rt_clusters << q->cluster_bits;
	u8 *raw;
	int ret;

	*err = 0;
	if (refcount_order < 3 || refcount_order > 6) {
		snprintf(err, errlen, "%s: qcow2 refcount width %u bits is not supported for writing "
			 "(use readonly=on, or convert with qemu-img)", b->path, 1u << refcount_order);
		return -ENOTSUP;
	}
	if (!rt_clusters || bytes > 64 * MiB || (rt_offset & (q->cluster_size - 1)) ||
	    !rt_offset || rt_offset > q->end || bytes > q->end - rt_offset) {
		snprintf(err, errlen, "%s: corrupt qcow2 header: bad refcount table (offset %#llx, "
			 "%u clusters)", b->path, (unsigned long long)rt_offset, rt_clusters);
		return -EINVAL;
	}
	q->refcount_bits = 1u << refcount_order;
	q->rc_per_block = q->cluster_size * 8 / q->refcount_bits;
	q->rt_offset = rt_offset;
	q->rt_entries = bytes / 8;
	q->rt = calloc(q->rt_entries, sizeof(u64));
	raw = malloc(bytes);
	if (!q->rt || !raw) {
		free(raw);
		snprintf(err, errlen, "%s: out of memory", b->path);
		return -ENOMEM;
	}
	ret = block_pread_full(b->fd, raw, bytes, rt_offset);
	for (u64 i = 0; i < q->rt_entries && !ret; i++) {
		q->rt[i] = qcow2_be64(raw + 8 * i) & ~511ULL;
		if (q->rt[i] & (q->cluster_size - 1) || q->rt[i] >= q->end) {
			snprintf(err, errlen, "%s: corrupt qcow2 refcount table entry %llu", b->path,
				 (unsigned long long)i);
			ret = -EINVAL;
		}
	}
	free(raw);
	if (ret && !*err)
		snprintf(err, errlen, "%s: cannot read the refcount table: %s", b->path,
			 strerror(-ret));
	return ret;
}
