// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * qcow2 metadata overlap checks (the idea of QEMU's "overlap-check", qcow2
 * spec "Host cluster management"): a writable image's header, L1 table,
 * refcount table, refcount blocks and L2 tables must each own their
 * clusters. A corrupt or hostile image whose L2 entry points a guest
 * cluster at, say, the L1 table would let the guest rewrite the image's
 * mapping; so the index of metadata clusters is built at open (two
 * structures sharing a cluster: the image is refused), and every data
 * cluster a lookup returns is checked against it.
 *
 * The index is a sorted array of cluster indices. Allocation only appends
 * at the end of the file, so tables made later always sort last and
 * qcow2_meta_add() appends.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "host/block_qcow2.h"

static int push(struct qcow2_meta_index *m, u64 cl)
{
	if (m->n == m->cap) {
		u64 cap = m->cap ? m->cap * 2 : 256;
		u64 *p = realloc(m->cl, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		m->cl = p;
		m->cap = cap;
	}
	m->cl[m->n++] = cl;
	return 0;
}

static int push_range(struct qcow2 *q, u64 off, u64 len)
{
	u64 first = off >> q->cluster_bits, last = (off + len - 1) >> q->cluster_bits;
	int ret = 0;

	for (u64 c = first; c <= last && !ret; c++)
		ret = push(&q->meta, c);
	return ret;
}

void qcow2_meta_add(struct qcow2 *q, u64 off, u64 len)
{
	u64 first = off >> q->cluster_bits;

	if (!q->meta.cl || !len)
		return;
	/* Out of memory here only weakens a check on a file we are allocating at the end of. */
	if (!q->meta.n || q->meta.cl[q->meta.n - 1] < first)
		(void)push_range(q, off, len);
}

static int cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

int qcow2_meta_build(struct block *b, char *err, size_t errlen)
{
	struct qcow2 *q = qcow2_of(b);
	int ret = push(&q->meta, 0); /* the header */

	if (!ret && q->l1_size)
		ret = push_range(q, q->l1_offset, 8ULL * q->l1_size);
	if (!ret)
		ret = push_range(q, q->rt_offset, q->rt_entries * 8);
	for (u64 i = 0; i < q->rt_entries && !ret; i++)
		if (q->rt[i])
			ret = push(&q->meta, q->rt[i] >> q->cluster_bits);
	for (u32 i = 0; i < q->l1_size && !ret; i++) {
		u64 l2 = q->l1[i] & QCOW2_OFFSET_MASK;

		if (l2)
			ret = push(&q->meta, l2 >> q->cluster_bits);
	}
	if (ret) {
		snprintf(err, errlen, "%s: out of memory", b->path);
		return ret;
	}
	qsort(q->meta.cl, q->meta.n, sizeof(u64), cmp_u64);
	for (u64 i = 1; i < q->meta.n; i++) {
		if (q->meta.cl[i] == q->meta.cl[i - 1]) {
			snprintf(err, errlen, "%s: corrupt qcow2 image: cluster %#llx is used by two "
				 "metadata structures (repair it with qemu-img check -r all, or use "
				 "readonly=on)", b->path,
				 (unsigned long long)(q->meta.cl[i] << q->cluster_bits));
			return -EINVAL;
		}
	}
	return 0;
}

bool qcow2_meta_overlap(const struct qcow2 *q, u64 off, u64 len)
{
	u64 first = off >> q->cluster_bits, last = (off + len - 1) >> q->cluster_bits;
	u64 lo = 0, hi = q->meta.n;

	if (!q->meta.cl || !len)
		return false;
	/* The first index entry >= first. */
	while (lo < hi) {
		u64 mid = lo + (hi - lo) / 2;

		if (q->meta.cl[mid] < first)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < q->meta.n && q->meta.cl[lo] <= last;
}
