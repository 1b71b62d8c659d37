/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Private to the CPU core: the decoded-block cache and the map of
 * guest-physical pages that hold translated code (block.c), used by the run
 * loop (run.c) and by the write paths (mem.c, tlb.c) for self-modifying code.
 */
#ifndef HOVER_CPU_X86_BLOCK_H
#define HOVER_CPU_X86_BLOCK_H

#include <pthread.h>

#include "cpu/x86/exec.h"

#define X86_BLOCK_MAX_INSNS 48
/* Code pages are tracked for guest-physical addresses below this; code above is never cached. */
#define X86_CODE_MAP_LIMIT (1ULL << 40)

struct x86_block {
	u64 key;                   /* guest-physical address of the first byte | mode << 56 */
	struct x86_block *hnext;   /* lookup hash chain */
	struct x86_block *pnext;   /* blocks starting in the same physical page */
	struct x86_insn *insns;
	/* Host code for the block (jit.c), made on its first run in 64-bit mode; NULL until then. */
	void (*jit)(struct x86_cpu *cpu);
	u8 jit_cpl;                /* the CPL it was translated for (TLB half it uses) */
	bool no_jit;               /* translation failed: always interpreted */
	/* Successors seen (64-bit mode), to skip the lookup: valid while TLB gen, mode and CPL match. */
	struct x86_block *link[2];
	u64 link_rip[2];
	u32 link_gen[2];
	u8 link_ctx[2];
	u8 link_next;
	u16 n;
	bool valid;
};

/*
 * A remembered successor: block b runs at rip while the TLB generation is
 * gen (blocks are keyed physically: a TLB flush may change what rip maps
 * to). Used for the jump cache below and for the translator's chain slots.
 */
struct x86_block_link {
	struct x86_block *b;
	u64 rip;
	u32 gen;
	u32 ctx;  /* mode | cpl << 4 */
};

/* Jump cache: 64-bit-mode RIP -> block, for returns and indirect jumps. */
#define X86_JC_BITS 12

static inline unsigned x86_jc_index(u64 rip)
{
	return (unsigned)((rip ^ (rip >> 12)) & ((1u << X86_JC_BITS) - 1));
}

#define X86_BLOCK_HASH_BITS 15
#define X86_CODE_PAGE_HASH_BITS 13
#define X86_CODE_MAX_PENDING 64

struct code_page {
	u64 gpa;
	struct x86_block *head;
	struct code_page *next;
};

struct x86_block_cache {
	struct x86_block *hash[1u << X86_BLOCK_HASH_BITS];
	struct x86_block_link jc[1u << X86_JC_BITS];
	struct code_page *page_hash[1u << X86_CODE_PAGE_HASH_BITS];
	struct x86_block *blocks;
	struct x86_insn *insns;
	struct code_page *pages;
	unsigned nblocks, ninsns, npages;
	struct x86_block *cur;  /* the block being executed (run.c) */
	struct x86_block scratch;
	struct x86_insn scratch_insn;

	/* Pages written behind this CPU's back (x86_cpu_phys_written), any thread. */
	pthread_mutex_t lock;
	u64 pending[X86_CODE_MAX_PENDING];
	unsigned npending;
	bool overflow;
	_Atomic bool has_pending;
};

struct x86_code_map {
	u64 *bits; /* one bit per 4 KiB page below X86_CODE_MAP_LIMIT; accessed with atomics */
};

static inline bool x86_code_test(const struct x86_cpu *cpu, u64 gpa)
{
	u64 pfn = gpa >> 12;

	if (gpa >= X86_CODE_MAP_LIMIT)
		return false;
	return (__atomic_load_n(&cpu->code->bits[pfn >> 6], __ATOMIC_RELAXED) >> (pfn & 63)) & 1;
}

/* Drop every block decoded from guest-physical page gpa (ends the current block if hit). */
void x86_code_invalidate(struct x86_cpu *cpu, u64 gpa);

/*
 * The block starting at CS:rip, found or decoded (may raise #PF/#GP for the
 * fetch). Instructions that cannot be cached (crossing a page, fetched from
 * MMIO) come back as a one-instruction scratch block.
 */
struct x86_block *x86_block_get(struct x86_cpu *cpu);

/*
 * x86_block_get() for the run loop: first follow a link from the block just
 * executed (64-bit mode: no CS base to track), inline; a link is valid while
 * the TLB generation, mode and CPL match and its target is still valid.
 */
static inline struct x86_block *x86_block_next(struct x86_cpu *cpu)
{
	struct x86_block_cache *c = cpu->blocks;
	struct x86_block *prev = c->cur, *b;
	u8 ctx = (u8)(cpu->mode | (cpu->cpl << 4));

	if (likely(prev && cpu->mode == X86_MODE_LONG64)) {
		for (unsigned k = 0; k < 2; k++) {
			b = prev->link[k];
			if (b && prev->link_rip[k] == cpu->rip && prev->link_gen[k] == cpu->tlb->gen &&
			    prev->link_ctx[k] == ctx && b->valid) {
				c->cur = b;
				return b;
			}
		}
	}
	return x86_block_get(cpu);
}
/* Set the block being executed (x86_block_get does this itself; NULL after a fault). */
void x86_blocks_set_current(struct x86_cpu *cpu, struct x86_block *b);
/* Apply invalidations queued by x86_cpu_phys_written() (vCPU thread). */
void x86_code_apply_pending(struct x86_cpu *cpu);

int x86_blocks_create(struct x86_cpu *cpu);
void x86_blocks_destroy(struct x86_cpu *cpu);

#endif
