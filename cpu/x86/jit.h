/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Private to the CPU core: the block translator (jit.c). A decoded 64-bit
 * mode block (block.c) is turned into host x86-64 code once and run from
 * then on by the run loop (run.c) instead of being interpreted.
 *
 * The translated code does exactly what the interpreter loop does for the
 * block, instruction by instruction: hot integer forms are written out
 * inline, every other instruction is a direct call of its decoded handler
 * with cpu->rip and cpu->next_rip set as the handler contract (insn.h)
 * requires, followed by the loop's own exit test (branch taken or
 * end_block). So handlers, faults (longjmp out of translated code, with
 * cpu->rip at the faulting instruction) and self-modifying-code handling
 * are the interpreter's.
 *
 * Chaining: an exit to a constant target (a taken Jcc, JMP, CALL, the end of
 * the block) jumps straight into the next block's code when its chain slot
 * (filled by the run loop the first time, x86_jit_link) still names a valid
 * block for that RIP, TLB generation and CPL, and nothing needs the run
 * loop: no kick, interrupt poll, interrupt shadow, HLT or single-step.
 *
 * Code lives in a buffer mapped twice from one memfd: writable for the
 * translator, executable for the CPU, never both at one address (W^X). It
 * is reclaimed all at once with the block cache (x86_blocks_flush).
 */
#ifndef HOVER_CPU_X86_JIT_H
#define HOVER_CPU_X86_JIT_H

#include "cpu/x86/block.h"

/*
 * Runs the block from cpu->rip, and the blocks chained after it, adding the
 * instructions retired to cpu->icount.
 */
typedef void x86_jit_fn(struct x86_cpu *cpu);

/* The translation of b, made now if needed; NULL to interpret it (no room: the cache was flushed). */
x86_jit_fn *x86_jit_translate(struct x86_cpu *cpu, struct x86_block *b);
/*
 * Chain the exit the last translated block left by (cpu->jit_slot) to b, the
 * block the run loop found at that exit's target, so the next time that
 * exit jumps straight into b's code. Call right after looking b up.
 */
void x86_jit_link(struct x86_cpu *cpu, struct x86_block *b);
/* Forget every translation (called by x86_blocks_flush; storage is reused from the start). */
void x86_jit_reset(struct x86_cpu *cpu);
void x86_jit_destroy(struct x86_cpu *cpu);

#endif
