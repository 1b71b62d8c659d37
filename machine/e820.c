// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * E820 memory map builder (ACPI 6.5 section 15; Linux boot protocol,
 * Documentation/x86/zero-page.rst). Every update rebuilds the map into a
 * scratch copy — cut the new range out of the old entries, insert it, sort,
 * merge neighbours of one type — and commits only if it fits, so a failed
 * call leaves the map as it was.
 */
#include "machine/e820.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* An update can split one entry in two and add one more. */
#define SCRATCH_ENTRIES (E820_MAX_ENTRIES + 2)

struct scratch {
	unsigned nr;
	struct e820_entry entry[SCRATCH_ENTRIES];
};

void e820_init(struct e820_map *map)
{
	memset(map, 0, sizeof(*map));
}

static int cmp_addr(const void *a, const void *b)
{
	const struct e820_entry *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static void push(struct scratch *s, u64 addr, u64 end, u32 type)
{
	if (end > addr && s->nr < SCRATCH_ENTRIES)
		s->entry[s->nr++] = (struct e820_entry){ addr, end - addr, type };
}

/* Replace [addr, end) in map by `type` (0: a hole). */
static int update(struct e820_map *map, u64 addr, u64 size, u32 type)
{
	struct scratch s = { 0 };
	u64 end = addr + size;
	unsigned i, n;

	if (size == 0 || end < addr || type > E820_UNUSABLE)
		return -EINVAL;
	for (i = 0; i < map->nr; i++) {
		const struct e820_entry *e = &map->entry[i];
		u64 e_end = e->addr + e->size;

		if (e_end <= addr || e->addr >= end) {
			push(&s, e->addr, e_end, e->type);
			continue;
		}
		push(&s, e->addr, addr, e->type);
		push(&s, end, e_end, e->type);
	}
	if (type)
		push(&s, addr, end, type);
	qsort(s.entry, s.nr, sizeof(s.entry[0]), cmp_addr);

	n = 0;
	for (i = 0; i < s.nr; i++) {
		struct e820_entry *prev = n ? &s.entry[n - 1] : NULL;

		if (prev && prev->type == s.entry[i].type &&
		    prev->addr + prev->size == s.entry[i].addr)
			prev->size += s.entry[i].size;
		else
			s.entry[n++] = s.entry[i];
	}
	if (n > E820_MAX_ENTRIES)
		return -ENOSPC;
	memcpy(map->entry, s.entry, n * sizeof(s.entry[0]));
	map->nr = n;
	return 0;
}

int e820_add(struct e820_map *map, u64 addr, u64 size, u32 type)
{
	if (type < E820_RAM)
		return -EINVAL;
	return update(map, addr, size, type);
}

int e820_remove(struct e820_map *map, u64 addr, u64 size)
{
	return update(map, addr, size, 0);
}

bool e820_is_ram(const struct e820_map *map, u64 addr, u64 size)
{
	u64 end = addr + size;
	unsigned i;

	if (end < addr)
		return false;
	/* Sorted and merged: walk the RAM entries that cover addr onwards. */
	for (i = 0; i < map->nr && addr < end; i++) {
		const struct e820_entry *e = &map->entry[i];

		if (e->type != E820_RAM || e->addr + e->size <= addr)
			continue;
		if (e->addr > addr)
			return false;
		addr = e->addr + e->size;
	}
	return addr >= end;
}

int e820_build_pc(struct e820_map *map, const struct guest_ram *ram)
{
	unsigned i;
	int r;

	e820_init(map);
	for (i = 0; i < ram->nregions; i++) {
		const struct ram_region *rg = &ram->region[i];

		if (rg->size == 0 || rg->device)
			continue;
		r = e820_add(map, rg->gpa, rg->size, E820_RAM);
		if (r)
			return r;
	}
	/* The legacy hole is reserved whether or not RAM backs it. */
	return e820_add(map, E820_PC_LOW_RAM_END, E820_PC_HOLE_END - E820_PC_LOW_RAM_END,
			E820_RESERVED);
}
