// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Address spaces (port I/O, MMIO): a sorted array of non-overlapping regions,
 * looked up by binary search. A VM has a few dozen regions at most, so an
 * array beats a tree here and keeps lookups cache-friendly.
 *
 * Access-size rules: a device declares the smallest and largest access it
 * handles. A wider access is split into max-sized pieces (little-endian);
 * a narrower one is widened to an aligned min-sized access, and for writes
 * the surrounding bytes are read first (read-modify-write).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "include/hover/addrspace.h"

struct region {
	u64 base;
	u64 len;
	const struct io_ops *ops;
	void *opaque;
};

struct addrspace {
	char name[16];
	struct region *r;
	unsigned n, cap;
};

int as_create(struct addrspace **out, const char *name)
{
	struct addrspace *as = calloc(1, sizeof(*as));

	if (!as)
		return -ENOMEM;
	strncpy(as->name, name, sizeof(as->name) - 1);
	*out = as;
	return 0;
}

void as_destroy(struct addrspace *as)
{
	if (!as)
		return;
	free(as->r);
	free(as);
}

/* Index of the first region whose end is above addr. */
static unsigned lower_bound(const struct addrspace *as, u64 addr)
{
	unsigned lo = 0, hi = as->n;

	while (lo < hi) {
		unsigned mid = (lo + hi) / 2;

		if (as->r[mid].base + as->r[mid].len <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static const struct region *find(const struct addrspace *as, u64 addr)
{
	unsigned i = lower_bound(as, addr);

	if (i < as->n && as->r[i].base <= addr)
		return &as->r[i];
	return NULL;
}

int as_register(struct addrspace *as, u64 base, u64 len, const struct io_ops *ops, void *opaque)
{
	unsigned i;

	if (len == 0 || base + len < base || !ops)
		return -EINVAL;
	i = lower_bound(as, base);
	if (i < as->n && as->r[i].base < base + len)
		return -EBUSY;
	if (as->n == as->cap) {
		unsigned cap = as->cap ? as->cap * 2 : 16;
		struct region *r = realloc(as->r, cap * sizeof(*r));

		if (!r)
			return -ENOMEM;
		as->r = r;
		as->cap = cap;
	}
	memmove(&as->r[i + 1], &as->r[i], (as->n - i) * sizeof(*as->r));
	as->r[i] = (struct region){ .base = base, .len = len, .ops = ops, .opaque = opaque };
	as->n++;
	return 0;
}

int as_unregister(struct addrspace *as, u64 base)
{
	unsigned i = lower_bound(as, base);

	if (i >= as->n || as->r[i].base != base)
		return -ENOENT;
	memmove(&as->r[i], &as->r[i + 1], (as->n - i - 1) * sizeof(*as->r));
	as->n--;
	return 0;
}

static unsigned min_size(const struct io_ops *ops) { return ops->min_access ? ops->min_access : 1; }
static unsigned max_size(const struct io_ops *ops) { return ops->max_access ? ops->max_access : 8; }

static u64 region_read(const struct region *rg, u64 off, unsigned size)
{
	unsigned lo = min_size(rg->ops), hi = max_size(rg->ops);
	u64 val = 0;

	if (!rg->ops->read)
		return ~0ULL;
	if (size > hi) {
		for (unsigned done = 0; done < size; done += hi)
			val |= region_read(rg, off + done, hi) << (done * 8);
		return val;
	}
	if (size < lo) {
		u64 aligned = off & ~(u64)(lo - 1);
		u64 wide = rg->ops->read(rg->opaque, aligned, lo);

		return (wide >> ((off - aligned) * 8)) & ((1ULL << (size * 8)) - 1);
	}
	return rg->ops->read(rg->opaque, off, size);
}

static void region_write(const struct region *rg, u64 off, unsigned size, u64 val)
{
	unsigned lo = min_size(rg->ops), hi = max_size(rg->ops);

	if (!rg->ops->write)
		return;
	if (size > hi) {
		for (unsigned done = 0; done < size; done += hi)
			region_write(rg, off + done, hi, val >> (done * 8));
		return;
	}
	if (size < lo) {
		u64 aligned = off & ~(u64)(lo - 1);
		unsigned shift = (unsigned)(off - aligned) * 8;
		u64 mask = ((1ULL << (size * 8)) - 1) << shift;
		u64 wide = rg->ops->read ? rg->ops->read(rg->opaque, aligned, lo) : 0;

		wide = (wide & ~mask) | ((val << shift) & mask);
		rg->ops->write(rg->opaque, aligned, lo, wide);
		return;
	}
	rg->ops->write(rg->opaque, off, size, val);
}

int as_read(struct addrspace *as, u64 addr, unsigned size, u64 *val)
{
	const struct region *rg = find(as, addr);

	if (rg && addr + size <= rg->base + rg->len) {
		*val = region_read(rg, addr - rg->base, size);
		return 0;
	}
	if (!rg && (size == 1 || !find(as, addr + size - 1))) {
		*val = size == 8 ? ~0ULL : (1ULL << (size * 8)) - 1;
		return -ENOENT;
	}
	/* Straddles a region boundary: go byte by byte. */
	*val = 0;
	for (unsigned i = 0; i < size; i++) {
		u64 b;

		as_read(as, addr + i, 1, &b);
		*val |= (b & 0xff) << (i * 8);
	}
	return 0;
}

int as_write(struct addrspace *as, u64 addr, unsigned size, u64 val)
{
	const struct region *rg = find(as, addr);

	if (rg && addr + size <= rg->base + rg->len) {
		region_write(rg, addr - rg->base, size, val);
		return 0;
	}
	if (!rg && (size == 1 || !find(as, addr + size - 1)))
		return -ENOENT;
	for (unsigned i = 0; i < size; i++)
		as_write(as, addr + i, 1, val >> (i * 8));
	return 0;
}
