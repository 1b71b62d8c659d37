/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Private helpers shared by the integer instruction families (alu.c,
 * shift.c, muldiv.c, bitops.c, datamov.c, string.c, stack.c, branch.c).
 * Not a hub header: only those files include it.
 *
 * References: Intel SDM Vol. 2 ch. 2 (operand and address size), Vol. 3A
 * 8.1.2.2 (which instructions accept LOCK).
 */
#ifndef HOVER_CPU_X86_INT_OPS_H
#define HOVER_CPU_X86_INT_OPS_H

#include "cpu/x86/exec.h"

static inline u64 int_mask(unsigned size)
{
	return size >= 8 ? ~0ULL : (1ULL << (size * 8)) - 1;
}

static inline u64 int_msb(u64 v, unsigned size)
{
	return (v >> (size * 8 - 1)) & 1;
}

/* LOCK is only legal on a lockable instruction with a memory destination (SDM Vol. 2 LOCK). */
static inline void int_no_lock(struct x86_cpu *cpu, const struct x86_insn *in)
{
	if (unlikely(in->prefix & X86_PFX_LOCK))
		x86_ud(cpu);
}

static inline void int_lock_mem(struct x86_cpu *cpu, const struct x86_insn *in)
{
	if (unlikely((in->prefix & X86_PFX_LOCK) && in->mod == 3))
		x86_ud(cpu);
}

/* Write a register of width `size` (2, 4, 8) by address-size rules: 4 zero-extends. */
static inline void int_set_wide(struct x86_cpu *cpu, unsigned r, unsigned size, u64 v)
{
	switch (size) {
	case 2: cpu->gpr[r] = (cpu->gpr[r] & ~0xffffULL) | (v & 0xffff); break;
	case 4: cpu->gpr[r] = (u32)v; break;
	default: cpu->gpr[r] = v; break;
	}
}

/* Address size of SS:rSP (SS.B outside 64-bit mode). */
static inline unsigned int_stack_asize(const struct x86_cpu *cpu)
{
	if (x86_long64(cpu))
		return 8;
	return (cpu->seg[SEG_SS].attr & SEG_ATTR_DB) ? 4 : 2;
}

/* Operand size of PUSH/POP and friends: 64 by default in 64-bit mode (d64), 16 with 66. */
static inline unsigned int_stack_opsize(const struct x86_cpu *cpu, const struct x86_insn *in)
{
	if (x86_long64(cpu))
		return in->opsize == 2 ? 2 : 8;
	return in->opsize;
}

/* Operand size of near branches: fixed at 64 in 64-bit mode (f64; Intel ignores 66). */
static inline unsigned int_branch_opsize(const struct x86_cpu *cpu, const struct x86_insn *in)
{
	return x86_long64(cpu) ? 8 : in->opsize;
}

/* Group 3 (F6/F7) /4../7 live in muldiv.c; alu.c dispatches the group. */
void x86_muldiv_group3(struct x86_cpu *cpu, const struct x86_insn *in, unsigned size);

#endif
