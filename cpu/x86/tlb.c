/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The software TLB: fill and flush (see tlb.h for the layout).
 *
 * Architecturally (Intel SDM Vol. 3A 4.10) a TLB may cache any translation
 * the page tables allowed until INVLPG, a CR3 load or a paging-mode change
 * flushes it, so caching per 4 KiB page with the permission already checked
 * is allowed. The page walk itself (x86_translate: permissions, A/D bits,
 * #PF) lives in mmu.c. With CR0.PG = 0 linear addresses are physical.
 */
#include <stdlib.h>

#include "cpu/x86/block.h"
#include "cpu/x86/tlb.h"

int x86_tlb_create(struct x86_cpu *cpu)
{
	cpu->tlb = calloc(1, sizeof(*cpu->tlb));
	if (!cpu->tlb)
		return -1;
	cpu->tlb->nfilled = X86_TLB_FILL_LOG + 1; /* calloc's zero tags are not empty: clear them all */
	x86_tlb_flush_all(cpu);
	return 0;
}

void x86_tlb_destroy(struct x86_cpu *cpu)
{
	free(cpu->tlb);
	cpu->tlb = NULL;
}

void x86_tlb_flush_all(struct x86_cpu *cpu)
{
	struct x86_tlb *t = cpu->tlb;

	if (t->nfilled <= X86_TLB_FILL_LOG) {
		for (unsigned k = 0; k < t->nfilled; k++) {
			u32 f = t->filled[k], kind = f >> X86_TLB_BITS;

			t->e[kind / 3][kind % 3][f & (X86_TLB_SIZE - 1)].tag = X86_TLB_EMPTY;
		}
	} else {
		for (unsigned u = 0; u < 2; u++)
			for (unsigned a = 0; a < 3; a++)
				for (unsigned i = 0; i < X86_TLB_SIZE; i++)
					t->e[u][a][i].tag = X86_TLB_EMPTY;
	}
	t->nfilled = 0;
	t->large = false;
	t->gen++;
}

void x86_tlb_flush_page(struct x86_cpu *cpu, u64 linear)
{
	struct x86_tlb *t = cpu->tlb;
	unsigned i = x86_tlb_index(linear);

	/* Pieces of a large page sit at other indexes: only a full flush reaches them all. */
	if (t->large) {
		x86_tlb_flush_all(cpu);
		return;
	}
	for (unsigned u = 0; u < 2; u++)
		for (unsigned a = 0; a < 3; a++)
			t->e[u][a][i].tag = X86_TLB_EMPTY;
	t->gen++;
}

void x86_tlb_note_large(struct x86_cpu *cpu)
{
	cpu->tlb->large = true;
}

void x86_tlb_drop_writes(struct x86_cpu *cpu, u64 gpa)
{
	struct x86_tlb *t = cpu->tlb;

	gpa &= X86_PAGE_MASK;
	if (t->nfilled <= X86_TLB_FILL_LOG) {
		/* Every entry in use is in the fill log: look at those, not the whole table. */
		for (unsigned k = 0; k < t->nfilled; k++) {
			u32 f = t->filled[k], kind = f >> X86_TLB_BITS, i = f & (X86_TLB_SIZE - 1);

			if (kind % 3 == X86_ACC_WRITE && t->gpa[kind / 3][X86_ACC_WRITE][i] == gpa)
				t->e[kind / 3][X86_ACC_WRITE][i].tag = X86_TLB_EMPTY;
		}
		return;
	}
	for (unsigned u = 0; u < 2; u++)
		for (unsigned i = 0; i < X86_TLB_SIZE; i++)
			if (t->gpa[u][X86_ACC_WRITE][i] == gpa)
				t->e[u][X86_ACC_WRITE][i].tag = X86_TLB_EMPTY;
}

void x86_tlb_drop_all_writes(struct x86_cpu *cpu)
{
	struct x86_tlb *t = cpu->tlb;

	if (t->nfilled <= X86_TLB_FILL_LOG) {
		for (unsigned k = 0; k < t->nfilled; k++) {
			u32 f = t->filled[k], kind = f >> X86_TLB_BITS;

			if (kind % 3 == X86_ACC_WRITE)
				t->e[kind / 3][X86_ACC_WRITE][f & (X86_TLB_SIZE - 1)].tag = X86_TLB_EMPTY;
		}
		return;
	}
	for (unsigned u = 0; u < 2; u++)
		for (unsigned i = 0; i < X86_TLB_SIZE; i++)
			t->e[u][X86_ACC_WRITE][i].tag = X86_TLB_EMPTY;
}

u8 *x86_tlb_fill(struct x86_cpu *cpu, u64 lin, enum x86_access acc, bool user, u64 *gpa_out)
{
	struct x86_tlb *t = cpu->tlb;
	unsigned i = x86_tlb_index(lin);
	u64 gpa;
	u8 *host;

	if (cpu->cr0 & X86_CR0_PG)
		gpa = x86_translate(cpu, lin, acc, user) & X86_PAGE_MASK;
	else
		gpa = lin & X86_PAGE_MASK & cpu->a20_mask; /* x86_cpu_set_a20 */
	*gpa_out = gpa;
	host = cpu->bus.ram_page(cpu->bus.opaque, gpa);
	if (!host)
		return NULL;
	if (acc == X86_ACC_WRITE && x86_code_test(cpu, gpa))
		x86_code_invalidate(cpu, gpa);
	/*
	 * Dirty logging: the page is marked before its write entry exists, so
	 * every write through the entry lands in a page already marked. A sync
	 * that clears marks drops the write entries (x86_cpu_poll_requests),
	 * and the next write comes back here.
	 */
	if (acc == X86_ACC_WRITE && unlikely(atomic_load_explicit(&cpu->dirty_log, memory_order_relaxed)))
		cpu->bus.page_dirty(cpu->bus.opaque, gpa);
	/* The inline access path skips the canonical check on a hit: never cache one. */
	if (unlikely((u64)((s64)lin >> 47) + 1 > 1))
		return host;
	if (t->e[user][acc][i].tag == X86_TLB_EMPTY) {
		/* Past the log's end, only the count grows: the next flush clears everything. */
		if (t->nfilled < X86_TLB_FILL_LOG)
			t->filled[t->nfilled] = ((u32)(user * 3 + acc) << X86_TLB_BITS) | i;
		if (t->nfilled <= X86_TLB_FILL_LOG)
			t->nfilled++;
	}
	t->e[user][acc][i].tag = lin & X86_PAGE_MASK;
	t->e[user][acc][i].addend = (uintptr_t)host - (uintptr_t)(lin & X86_PAGE_MASK);
	t->gpa[user][acc][i] = gpa;
	return host;
}

unsigned x86_peek_code(struct x86_cpu *cpu, u64 rip, u8 *buf, unsigned len)
{
	unsigned n = 0;

	while (n < len) {
		u64 lin = x86_fetch_linear(cpu, rip + n);
		u64 gpa = lin & cpu->a20_mask;
		u8 *host;

		if ((cpu->cr0 & X86_CR0_PG) &&
		    !x86_translate_probe(cpu, lin, X86_ACC_EXEC, cpu->cpl == 3, &gpa))
			break;
		host = cpu->bus.ram_page(cpu->bus.opaque, gpa & X86_PAGE_MASK);
		if (!host)
			break;
		buf[n++] = host[gpa & 0xfff];
	}
	return n;
}
