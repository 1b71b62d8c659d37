/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The software TLB. Its layout and the hit test are visible to every
 * instruction handler through exec.h, which inlines the memory-access fast
 * path (64-bit mode: one tag compare, then a host load or store); filling
 * and flushing are private to the CPU core (mem.c, tlb.c, block.c, run.c).
 *
 * Direct-mapped, X86_TLB_SIZE entries for each of (supervisor, user) x
 * (read, write, exec), so a permission check and the accessed/dirty-bit walk
 * happen once per page and access kind. An entry maps a 4 KiB linear page to
 * a host pointer: host = addend + linear. tag is the linear page address, or
 * X86_TLB_EMPTY. A lookup compares the tag with the page of the access's LAST
 * byte while indexing with its first, so one compare also rejects accesses
 * that cross a page (they take the slow path). MMIO pages are never cached,
 * and neither are non-canonical addresses, so a tag hit also proves the
 * access canonical (the inline fast path relies on this).
 */
#ifndef HOVER_CPU_X86_TLB_H
#define HOVER_CPU_X86_TLB_H

#include "cpu/x86/cpu.h"

enum x86_access { X86_ACC_READ = 0, X86_ACC_WRITE = 1, X86_ACC_EXEC = 2 };

#define X86_TLB_BITS 12
#define X86_TLB_SIZE (1u << X86_TLB_BITS)
#define X86_TLB_FILL_LOG 1024
#define X86_TLB_EMPTY (~0ULL) /* low bits set: never equals a page address */
#define X86_PAGE_MASK (~0xfffULL)

struct x86_tlb_entry {
	u64 tag;
	uintptr_t addend;
};

struct x86_tlb {
	struct x86_tlb_entry e[2][3][X86_TLB_SIZE]; /* [user][enum x86_access][index] */
	u64 gpa[2][3][X86_TLB_SIZE];                /* guest-physical page of each entry */
	bool large;                                 /* a large page was cached since the last full flush */
	/*
	 * Entries filled since the last full flush, so a flush (every CR3
	 * load) clears those instead of the whole table; on overflow it
	 * clears everything. Each is (user * 3 + acc) << X86_TLB_BITS | index.
	 */
	u32 filled[X86_TLB_FILL_LOG];
	unsigned nfilled;
	u32 gen;                                    /* bumped by every flush: block links check it */
};

static inline unsigned x86_tlb_index(u64 lin)
{
	return (unsigned)(lin >> 12) & (X86_TLB_SIZE - 1);
}

/* Host pointer for [lin, lin+size) if cached and within one page, else NULL. */
static inline u8 *x86_tlb_hit(struct x86_tlb *t, u64 lin, unsigned size, int acc, bool user)
{
	const struct x86_tlb_entry *e = &t->e[user][acc][x86_tlb_index(lin)];

	if (likely(e->tag == ((lin + size - 1) & X86_PAGE_MASK)))
		return (u8 *)(e->addend + (uintptr_t)lin);
	return NULL;
}

/*
 * Translate the page holding lin (may raise #PF) and cache it if it is RAM.
 * Returns the host pointer of the page start, or NULL for MMIO; *gpa gets the
 * guest-physical page address either way. A write fill of a page holding
 * translated code drops that code first (self-modifying code).
 */
u8 *x86_tlb_fill(struct x86_cpu *cpu, u64 lin, enum x86_access acc, bool user, u64 *gpa);
/* Forget write entries mapping guest-physical page gpa (it now holds code). */
void x86_tlb_drop_writes(struct x86_cpu *cpu, u64 gpa);
/* Forget every write entry (dirty logging: the next write to each page is seen again). */
void x86_tlb_drop_all_writes(struct x86_cpu *cpu);
int x86_tlb_create(struct x86_cpu *cpu);
void x86_tlb_destroy(struct x86_cpu *cpu);

/* Linear address of CS:rip for instruction fetch (no limit check). */
static inline u64 x86_fetch_linear(const struct x86_cpu *cpu, u64 rip)
{
	if (cpu->mode == X86_MODE_LONG64)
		return rip;
	return (u32)(cpu->seg[SEG_CS].base + rip);
}

/* Copy up to len code bytes at CS:rip without faulting; returns how many were readable. */
unsigned x86_peek_code(struct x86_cpu *cpu, u64 rip, u8 *buf, unsigned len);

#endif
