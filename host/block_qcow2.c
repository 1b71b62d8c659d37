// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * qcow2 images (the qcow2 specification, QEMU docs/interop/qcow2.txt):
 * versions 2 and 3, any cluster size from 512 bytes to 2 MiB, backing files
 * (a read-only base under a writable overlay, the format named by the
 * 0xE2792ACA header extension or probed; followed only with backing=on,
 * see host/block.h), zero clusters (v3), and
 * deflate-compressed clusters on read. Writes allocate clusters with
 * copy-on-write from the backing file, a zero or a compressed cluster;
 * metadata lives in host/block_qcow2_meta.c.
 *
 * Refused with a clear message: encryption, external data files, extended L2
 * entries, zstd compression, the dirty/corrupt bits, and writing an image
 * that has internal snapshots (its clusters may be shared).
 *
 * Every header field is range-checked in a form that cannot wrap (an offset
 * is compared with the room left, never added to a length first): the
 * header comes from a file a user or a guest may have crafted.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "host/block_qcow2.h"
#include "include/hover/log.h"

#define QCOW2_MAGIC "QFI\xfb"
#define HDR_V2_LEN 72
#define HDR_V3_LEN 104
#define EXT_END 0
#define EXT_BACKING_FORMAT 0xE2792ACAu
#define INCOMPAT_DIRTY (1ULL << 0)
#define INCOMPAT_CORRUPT (1ULL << 1)
#define INCOMPAT_DATA_FILE (1ULL << 2)
#define INCOMPAT_COMPRESSION (1ULL << 3)
#define INCOMPAT_EXTL2 (1ULL << 4)

/* ---- iovec helpers: the request's buffers, sliced per cluster ---- */

static int iov_slice(const struct iovec *src, int n, u64 skip, u64 len, struct iovec *dst)
{
	int k = 0;

	for (int i = 0; i < n && len; i++) {
		u64 l = src[i].iov_len;

		if (skip >= l) {
			skip -= l;
			continue;
		}
		dst[k].iov_base = (u8 *)src[i].iov_base + skip;
		dst[k].iov_len = l - skip < len ? l - skip : len;
		len -= dst[k].iov_len;
		skip = 0;
		k++;
	}
	return k;
}

static void iov_fill(const struct iovec *iov, int n, const u8 *buf)
{
	for (int i = 0; i < n; i++) {
		if (buf)
			memcpy(iov[i].iov_base, buf, iov[i].iov_len), buf += iov[i].iov_len;
		else
			memset(iov[i].iov_base, 0, iov[i].iov_len);
	}
}

static void iov_gather(u8 *buf, const struct iovec *iov, int n)
{
	for (int i = 0; i < n; i++)
		memcpy(buf, iov[i].iov_base, iov[i].iov_len), buf += iov[i].iov_len;
}

/* ---- reading ---- */

static int decompress(struct block *b, const struct qcow2_map *m, u8 *out)
{
	struct qcow2 *q = qcow2_of(b);
	z_stream z = { 0 };
	int ret = block_pread_full(b->fd, q->zbuf, m->csize, m->host), zr;

	if (ret)
		return ret;
	if (inflateInit2(&z, -15) != Z_OK)
		return -ENOMEM;
	z.next_in = q->zbuf;
	z.avail_in = m->csize;
	z.next_out = out;
	z.avail_out = q->cluster_size;
	zr = inflate(&z, Z_FINISH);
	inflateEnd(&z);
	if ((zr != Z_STREAM_END && zr != Z_BUF_ERROR) || z.avail_out) {
		log_ratelimited(LOG_ERROR, "%s: compressed cluster at %#llx does not inflate", b->path,
				(unsigned long long)m->host);
		return -EIO;
	}
	return 0;
}

/* Guest bytes [vaddr, vaddr+len) that no cluster of this image holds: backing or zeroes. */
static int read_unallocated(struct block *b, const struct iovec *iov, int n, u64 vaddr, u64 len)
{
	struct qcow2 *q = qcow2_of(b);
	struct block *bk = q->backing;
	struct iovec part[IOV_MAX];
	u64 have;
	int k, ret;

	if (!bk || vaddr >= bk->size) {
		iov_fill(iov, n, NULL);
		return 0;
	}
	have = bk->size - vaddr < len ? bk->size - vaddr : len;
	k = iov_slice(iov, n, 0, have, part);
	ret = block_preadv(bk, part, k, vaddr);
	if (ret || have == len)
		return ret;
	k = iov_slice(iov, n, have, len - have, part);
	iov_fill(part, k, NULL);
	return 0;
}

/* Bytes [off, off+len) of one guest cluster (within it) into iov. */
static int read_chunk(struct block *b, const struct qcow2_map *m, u64 vaddr, u64 off,
		      const struct iovec *iov, int n, u64 len)
{
	struct qcow2 *q = qcow2_of(b);
	int ret;

	switch (m->kind) {
	case QCOW2_NORMAL:
		return block_preadv_full(b->fd, iov, n, m->host + off);
	case QCOW2_ZERO:
		iov_fill(iov, n, NULL);
		return 0;
	case QCOW2_COMPRESSED:
		ret = decompress(b, m, q->cbuf);
		if (!ret)
			iov_fill(iov, n, q->cbuf + off);
		return ret;
	default:
		return read_unallocated(b, iov, n, vaddr, len);
	}
}

static int qcow2_preadv(struct block *b, const struct iovec *iov, int n, u64 pos)
{
	struct qcow2 *q = qcow2_of(b);
	struct iovec part[IOV_MAX];
	u64 total = 0, done = 0;
	int ret;

	for (int i = 0; i < n; i++)
		total += iov[i].iov_len;
	while (done < total) {
		u64 v = pos + done, off = v & (q->cluster_size - 1);
		u64 len = q->cluster_size - off < total - done ? q->cluster_size - off : total - done;
		struct qcow2_map m;
		int k;

		ret = qcow2_lookup(b, v, &m);
		if (ret)
			return ret;
		/* Contiguous host clusters go in one read. */
		while (m.kind == QCOW2_NORMAL && done + len < total) {
			struct qcow2_map nx;
			u64 more = total - done - len < q->cluster_size ? total - done - len
									: q->cluster_size;

			if (qcow2_lookup(b, v + len, &nx) || nx.kind != QCOW2_NORMAL ||
			    nx.host != m.host + off + len)
				break;
			len += more;
		}
		k = iov_slice(iov, n, done, len, part);
		ret = read_chunk(b, &m, v, off, part, k, len);
		if (ret)
			return ret;
		done += len;
	}
	return 0;
}

/* ---- writing ---- */

static int write_chunk(struct block *b, u64 v, u64 off, const struct iovec *iov, int n, u64 len)
{
	struct qcow2 *q = qcow2_of(b);
	u64 base = v - off, host;
	bool full = off == 0 && len == q->cluster_size;
	struct qcow2_map m;
	struct iovec one;
	int ret;

	ret = qcow2_lookup(b, v, &m);
	if (ret)
		return ret;
	if (m.kind == QCOW2_NORMAL && (m.entry & QCOW2_OFLAG_COPIED))
		return block_pwritev_full(b->fd, iov, n, m.host + off);
	/* Copy-on-write: what the cluster read before, with the new bytes on top. */
	if (!full) {
		one = (struct iovec){ .iov_base = q->cbuf, .iov_len = q->cluster_size };
		if (m.kind == QCOW2_COMPRESSED) {
			ret = decompress(b, &m, q->cbuf);
		} else {
			u64 l = b->size - base < q->cluster_size ? b->size - base : q->cluster_size;

			memset(q->cbuf, 0, q->cluster_size);
			one.iov_len = l;
			ret = read_chunk(b, &m, base, 0, &one, 1, l);
		}
		if (ret)
			return ret;
		iov_gather(q->cbuf + off, iov, n);
	}
	ret = qcow2_alloc_cluster(b, &host);
	if (ret)
		return ret;
	if (full)
		ret = block_pwritev_full(b->fd, iov, n, host);
	else
		ret = block_pwrite_full(b->fd, q->cbuf, q->cluster_size, host);
	if (!ret)
		ret = qcow2_set_l2(b, v, host | QCOW2_OFLAG_COPIED);
	if (ret)
		return ret;
	if (m.kind == QCOW2_COMPRESSED)
		return qcow2_free_later(b, m.host, m.csize);
	if (m.kind == QCOW2_NORMAL)
		return qcow2_free_later(b, m.host, q->cluster_size);
	return 0;
}

/* A cluster a whole-cluster write may take fresh without reading anything. */
static bool fresh(const struct qcow2_map *m)
{
	return m->kind == QCOW2_UNALLOCATED || (m->kind == QCOW2_ZERO && !m->host);
}

/*
 * Whole guest clusters from v (cluster-aligned), at most max of them and all
 * in v's L2 table, that are unallocated: they get one run of new host
 * clusters, one data write and one L2 write.
 */
static int write_fresh_run(struct block *b, u64 v, const struct iovec *iov, int n, u64 skip,
			   u64 max, u64 *written)
{
	struct qcow2 *q = qcow2_of(b);
	u64 cs = q->cluster_size, cl = v >> q->cluster_bits;
	u64 in_table = q->l2_entries - cl % q->l2_entries, count = 1, host;
	struct iovec part[IOV_MAX];
	int k, ret;

	if (max > in_table)
		max = in_table;
	while (count < max) {
		struct qcow2_map nx;

		if (qcow2_lookup(b, v + count * cs, &nx) || !fresh(&nx))
			break;
		count++;
	}
	ret = qcow2_alloc_run(b, count, &host, &count);
	if (ret)
		return ret;
	k = iov_slice(iov, n, skip, count * cs, part);
	ret = block_pwritev_full(b->fd, part, k, host);
	if (!ret)
		ret = qcow2_set_l2_run(b, v, count, host, QCOW2_OFLAG_COPIED);
	if (!ret)
		*written = count * cs;
	return ret;
}

static int qcow2_pwritev(struct block *b, const struct iovec *iov, int n, u64 pos)
{
	struct qcow2 *q = qcow2_of(b);
	u64 cs = q->cluster_size;
	struct iovec part[IOV_MAX];
	u64 total = 0, done = 0;
	int ret;

	for (int i = 0; i < n; i++)
		total += iov[i].iov_len;
	while (done < total) {
		u64 v = pos + done, off = v & (cs - 1);
		u64 len = cs - off < total - done ? cs - off : total - done;
		struct qcow2_map m;
		int k;

		ret = qcow2_lookup(b, v, &m);
		if (ret)
			return ret;
		if (m.kind == QCOW2_NORMAL && (m.entry & QCOW2_OFLAG_COPIED)) {
			/* In place; host-contiguous clusters after it go in the same write. */
			while (done + len < total) {
				struct qcow2_map nx;
				u64 more = total - done - len < cs ? total - done - len : cs;

				if (qcow2_lookup(b, v + len, &nx) || nx.kind != QCOW2_NORMAL ||
				    !(nx.entry & QCOW2_OFLAG_COPIED) ||
				    nx.host != m.host + off + len)
					break;
				len += more;
			}
			k = iov_slice(iov, n, done, len, part);
			ret = block_pwritev_full(b->fd, part, k, m.host + off);
		} else if (off == 0 && len == cs && fresh(&m)) {
			ret = write_fresh_run(b, v, iov, n, done, (total - done) / cs, &len);
		} else {
			k = iov_slice(iov, n, done, len, part);
			ret = write_chunk(b, v, off, part, k, len);
		}
		if (ret)
			return ret;
		done += len;
	}
	return 0;
}

static int qcow2_flush(struct block *b)
{
	/* Metadata is written through, so one fdatasync makes data and mapping durable. */
	return qcow2_sync(b);
}

static int qcow2_discard(struct block *b, u64 pos, u64 len)
{
	struct qcow2 *q = qcow2_of(b);
	u64 cs = q->cluster_size, v = (pos + cs - 1) & ~(cs - 1);

	/* Whole clusters only; a partial one keeps its data (discard is advisory). */
	for (; v + cs <= pos + len && v < b->size; v += cs) {
		struct qcow2_map m;
		u64 entry = 0;
		int ret = qcow2_lookup(b, v, &m);

		if (ret)
			return ret;
		if (m.kind != QCOW2_NORMAL && m.kind != QCOW2_COMPRESSED)
			continue;
		if (q->backing) {
			if (q->version < 3)
				continue; /* v2 cannot say "zeroes" over a backing file */
			entry = QCOW2_OFLAG_ZERO;
		}
		ret = qcow2_set_l2(b, v, entry);
		if (!ret)
			ret = qcow2_free_later(b, m.host, m.kind == QCOW2_NORMAL ? cs : m.csize);
		if (ret)
			return ret;
	}
	return 0;
}

static void qcow2_close(struct block *b)
{
	struct qcow2 *q = qcow2_of(b);

	if (!q)
		return;
	if (!b->readonly && q->rt && qcow2_meta_close(b))
		log_msg(LOG_ERROR, "%s: closing the image: the last metadata updates failed; "
			"`qemu-img check -r leaks` reclaims what they leaked", b->path);
	block_close(q->backing);
	free(q->meta.cl);
	free(q->free);
	qcow2_l2_cache_free(&q->l2c);
	free(q->l1);
	free(q->rt);
	free(q->cbuf);
	free(q->zbuf);
	free(q->zero);
	free(q);
	b->priv = NULL;
}

static const struct block_ops qcow2_ops = {
	.name = "qcow2",
	.preadv = qcow2_preadv,
	.pwritev = qcow2_pwritev,
	.flush = qcow2_flush,
	.discard = qcow2_discard,
	.close = qcow2_close,
};

/* ---- opening ---- */

static int open_backing(struct block *b, struct block_chain *chain, const u8 *hdr,
			u64 name_off, u32 name_len, const char *fmt_name, char *err, size_t errlen)
{
	struct qcow2 *q = qcow2_of(b);
	char name[1024], path[PATH_MAX + 1024], sub[768];
	enum block_format fmt = BLOCK_FMT_PROBE;
	const char *slash;
	int ret;

	if (!name_len || name_len >= sizeof(name) || name_off > q->cluster_size ||
	    name_len > q->cluster_size - name_off) {
		snprintf(err, errlen, "%s: corrupt qcow2 header: bad backing file name", b->path);
		return -EINVAL;
	}
	memcpy(name, hdr + name_off, name_len);
	name[name_len] = 0;
	if (strlen(name) != name_len) {
		snprintf(err, errlen, "%s: corrupt qcow2 header: NUL in the backing file name",
			 b->path);
		return -EINVAL;
	}
	/* A relative name is relative to the image's directory (qcow2 spec, QEMU). */
	slash = strrchr(b->path, '/');
	if (name[0] == '/' || !slash)
		snprintf(path, sizeof(path), "%s", name);
	else
		snprintf(path, sizeof(path), "%.*s/%s", (int)(slash - b->path), b->path, name);
	if (fmt_name[0] && block_format_parse(fmt_name, &fmt)) {
		snprintf(err, errlen, "%s: backing file %s has unsupported format '%s'", b->path,
			 path, fmt_name);
		return -ENOTSUP;
	}
	ret = block_open_backing(&q->backing, path, fmt, chain, sub, sizeof(sub));
	/* Only the image the user named prefixes its name: 16 levels of it say nothing. */
	if (ret && chain->depth)
		snprintf(err, errlen, "%s", sub);
	else if (ret)
		snprintf(err, errlen, "%s: backing file: %s", b->path, sub);
	return ret;
}

/* Header extensions (after the header, up to the end of the first cluster). */
static int read_extensions(struct block *b, const u8 *hdr, u32 start, char *fmt, size_t fmtlen)
{
	struct qcow2 *q = qcow2_of(b);
	u64 p = start;

	fmt[0] = 0;
	while (p + 8 <= q->cluster_size) {
		u32 type = qcow2_be32(hdr + p), len = qcow2_be32(hdr + p + 4);

		if (type == EXT_END)
			return 0;
		if (p + 8 + len > q->cluster_size)
			return -EINVAL;
		if (type == EXT_BACKING_FORMAT && len < fmtlen) {
			memcpy(fmt, hdr + p + 8, len);
			fmt[len] = 0;
		}
		p += 8 + ((len + 7) & ~7u);
	}
	return 0;
}

#define BAD(...) do { snprintf(err, errlen, __VA_ARGS__); ret = -EINVAL; goto out; } while (0)

int block_qcow2_open(struct block *b, struct block_chain *chain, char *err, size_t errlen)
{
	struct qcow2 *q = calloc(1, sizeof(*q));
	u8 h[HDR_V3_LEN] = { 0 }, *hdr = NULL;
	u64 size, need, incompat = 0, autoclear = 0, bk_off;
	u32 hdr_len = HDR_V2_LEN, refcount_order = 4, bk_len, nb_snap;
	char fmt[32];
	struct stat st;
	int ret;

	if (!q || fstat(b->fd, &st)) {
		free(q);
		snprintf(err, errlen, "%s: cannot read the image", b->path);
		return -ENOMEM;
	}
	b->priv = q;
	b->ops = &qcow2_ops;
	ret = block_pread_full(b->fd, h, sizeof(h), 0);
	if (ret)
		BAD("%s: cannot read the qcow2 header: %s", b->path, strerror(-ret));
	if (memcmp(h, QCOW2_MAGIC, 4))
		BAD("%s: not a qcow2 image (bad magic; try format=raw)", b->path);
	q->version = qcow2_be32(h + 4);
	if (q->version != 2 && q->version != 3)
		BAD("%s: corrupt qcow2 header: version %u (hover reads 2 and 3)", b->path, q->version);
	bk_off = qcow2_be64(h + 8);
	bk_len = qcow2_be32(h + 16);
	q->cluster_bits = qcow2_be32(h + 20);
	size = qcow2_be64(h + 24);
	if (q->cluster_bits < 9 || q->cluster_bits > 21)
		BAD("%s: corrupt qcow2 header: cluster_bits %u", b->path, q->cluster_bits);
	if (qcow2_be32(h + 32))
		BAD("%s: encrypted qcow2 images are not supported", b->path);
	q->cluster_size = 1ULL << q->cluster_bits;
	q->l2_entries = q->cluster_size / 8;
	q->l1_size = qcow2_be32(h + 36);
	q->l1_offset = qcow2_be64(h + 40);
	nb_snap = qcow2_be32(h + 60);
	if (q->version == 3) {
		incompat = qcow2_be64(h + 72);
		autoclear = qcow2_be64(h + 88);
		refcount_order = qcow2_be32(h + 96);
		hdr_len = qcow2_be32(h + 100);
		if (hdr_len < HDR_V3_LEN || hdr_len > q->cluster_size)
			BAD("%s: corrupt qcow2 header: header_length %u", b->path, hdr_len);
	}
	if (incompat & INCOMPAT_CORRUPT)
		BAD("%s: the qcow2 image is marked corrupt (repair it with qemu-img check -r all)",
		    b->path);
	if (incompat & INCOMPAT_DIRTY && !b->readonly)
		BAD("%s: the qcow2 image is dirty (run qemu-img check -r all first)", b->path);
	if (incompat & ~INCOMPAT_DIRTY)
		BAD("%s: qcow2 features hover lacks (incompatible bits %#llx: external data file, "
		    "zstd compression or extended L2)", b->path, (unsigned long long)incompat);
	if (!size || size > (1ULL << 50))
		BAD("%s: corrupt qcow2 header: size %llu", b->path, (unsigned long long)size);
	need = (size + (q->cluster_size * q->l2_entries) - 1) / (q->cluster_size * q->l2_entries);
	if (q->l1_size < need || (u64)q->l1_size * 8 > 32 * MiB ||
	    (q->l1_offset & (q->cluster_size - 1)) || !q->l1_offset ||
	    q->l1_offset > (u64)st.st_size || 8ULL * q->l1_size > (u64)st.st_size - q->l1_offset)
		BAD("%s: corrupt qcow2 header: L1 table (%u entries at %#llx) does not fit", b->path,
		    q->l1_size, (unsigned long long)q->l1_offset);
	if (nb_snap && !b->readonly)
		BAD("%s: the image has internal snapshots; hover opens it only with readonly=on",
		    b->path);
	b->size = size;
	q->file_size = st.st_size;
	q->end = ((u64)st.st_size + q->cluster_size - 1) & ~(q->cluster_size - 1);
	q->cbuf = malloc(q->cluster_size);
	q->zbuf = malloc(2 * q->cluster_size);
	q->zero = calloc(1, q->cluster_size);
	hdr = malloc(q->cluster_size);
	q->l1 = calloc(q->l1_size ? q->l1_size : 1, 8);
	if (!q->cbuf || !q->zbuf || !q->zero || !hdr || !q->l1 ||
	    qcow2_l2_cache_init(&q->l2c, q->cluster_size)) {
		ret = -ENOMEM;
		snprintf(err, errlen, "%s: out of memory", b->path);
		goto out;
	}
	ret = block_pread_full(b->fd, hdr, q->cluster_size, 0);
	if (!ret)
		ret = block_pread_full(b->fd, (u8 *)q->l1, 8ULL * q->l1_size, q->l1_offset);
	if (ret)
		BAD("%s: cannot read qcow2 metadata: %s", b->path, strerror(-ret));
	for (u32 i = 0; i < q->l1_size; i++) {
		u64 e = qcow2_be64((u8 *)&q->l1[i]), l2 = e & QCOW2_OFFSET_MASK;

		q->l1[i] = e;
		if ((l2 & (q->cluster_size - 1)) || l2 >= q->end)
			BAD("%s: corrupt qcow2 L1 entry %u (%#llx)", b->path, i, (unsigned long long)e);
	}
	if (read_extensions(b, hdr, hdr_len, fmt, sizeof(fmt)))
		BAD("%s: corrupt qcow2 header extensions", b->path);
	if (bk_off) {
		ret = open_backing(b, chain, hdr, bk_off, bk_len, fmt, err, errlen);
		if (ret)
			goto out;
	}
	if (!b->readonly) {
		ret = qcow2_refcount_init(b, qcow2_be64(h + 48), qcow2_be32(h + 56), refcount_order,
					  err, errlen);
		if (!ret)
			ret = qcow2_meta_build(b, err, errlen);
		if (ret)
			goto out;
		/* Autoclear bits name features we do not maintain: clear them (spec). */
		if (autoclear) {
			u8 zero8[8] = { 0 };

			ret = block_pwrite_full(b->fd, zero8, 8, 88);
			if (ret)
				BAD("%s: cannot update the qcow2 header: %s", b->path, strerror(-ret));
		}
	}
	ret = 0;
out:
	free(hdr);
	if (ret)
		qcow2_close(b);
	return ret;
}
