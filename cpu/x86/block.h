/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Private to the CPU core: the decoded-block cache and the map of
 * guest-physical pages that hold translated code (block.c), used by the run
 * loop (run.c) and by the write paths (mem.c, tlb.c) for self-modifying code.
 */
#ifndef HOVER_CPU_X86_BLOCK_H
#define HOVER_CPU_X86_BLOCK_H

#include "cpu/x86/exec.h"

#define X86_BLOCK_MAX_INSNS 48
/* Code pages are tracked for guest-physical addresses below this; code above is never cached. */
#define X86_CODE_MAP_LIMIT (1ULL << 40)

struct x86_block {
	u64 key;                   /* guest-physical address of the first byte | mode << 56 */
	struct x86_block *hnext;   /* lookup hash chain */
	struct x86_block *pnext;   /* blocks starting in the same physical page */
	struct x86_insn *insns;
	/* Successors seen (64-bit mode), to skip the lookup: valid while TLB gen, mode and CPL match. */
	struct x86_block *link[2];
	u64 link_rip[2];
	u32 link_gen[2];
	u8 link_ctx[2];
	u8 link_next;
	u16 n;
	bool valid;
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
/* Set the block being executed (x86_block_get does this itself; NULL after a fault). */
void x86_blocks_set_current(struct x86_cpu *cpu, struct x86_block *b);
/* Apply invalidations queued by x86_cpu_phys_written() (vCPU thread). */
void x86_code_apply_pending(struct x86_cpu *cpu);

int x86_blocks_create(struct x86_cpu *cpu);
void x86_blocks_destroy(struct x86_cpu *cpu);

#endif
