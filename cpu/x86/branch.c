/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Near control transfers: Jcc (70-7F, 0F 80-8F), JMP rel (EB/E9), CALL rel
 * (E8), RET near (C3, C2 Iw), LOOP/LOOPE/LOOPNE (E0-E2) and JrCXZ (E3).
 * Far transfers, IRET and INT n are segment.c's; indirect CALL/JMP (FF /2
 * /4) sit in alu.c with the rest of group 5.
 *
 * A branch only writes cpu->next_rip; the run loop ends the block when
 * next_rip is not the fall-through address. The target is truncated to the
 * operand size: 16-bit code wraps IP at 64 KiB, and in 64-bit mode the
 * operand size of near branches is fixed at 64 bits (Intel ignores 66).
 * CS limit checks outside 64-bit mode are not done (flat segments only).
 *
 * References: Intel SDM Vol. 2A (CALL, Jcc, JMP), Vol. 2A/2B (LOOP, RET).
 */
#include "cpu/x86/int_ops.h"

static inline u64 rel_target(const struct x86_cpu *cpu, const struct x86_insn *in)
{
	return x86_trunc(cpu->next_rip + in->imm, int_branch_opsize(cpu, in));
}

static void op_jcc_Jb(struct x86_cpu *cpu, const struct x86_insn *in)
{
	int_no_lock(cpu, in);
	if (x86_cond(cpu, in->opcode & 15))
		cpu->next_rip = rel_target(cpu, in);
}

static void op_jmp_Jb(struct x86_cpu *cpu, const struct x86_insn *in)
{
	int_no_lock(cpu, in);
	cpu->next_rip = rel_target(cpu, in);
}

static void op_call_Jz(struct x86_cpu *cpu, const struct x86_insn *in)
{
	unsigned size = int_branch_opsize(cpu, in);
	u64 target = rel_target(cpu, in);

	int_no_lock(cpu, in);
	x86_push(cpu, size, x86_trunc(cpu->next_rip, size));
	cpu->next_rip = target;
}

static void op_ret(struct x86_cpu *cpu, const struct x86_insn *in)
{
	int_no_lock(cpu, in);
	cpu->next_rip = x86_pop(cpu, int_branch_opsize(cpu, in));
}

/* RET Iw: pop, then release Iw bytes of parameters. */
static void op_ret_Iw(struct x86_cpu *cpu, const struct x86_insn *in)
{
	unsigned ss = int_stack_asize(cpu);
	u64 rip;

	int_no_lock(cpu, in);
	rip = x86_pop(cpu, int_branch_opsize(cpu, in));
	int_set_wide(cpu, GPR_RSP, ss, cpu->gpr[GPR_RSP] + x86_trunc(in->imm, 2));
	cpu->next_rip = rip;
}

/* E0 LOOPNE, E1 LOOPE, E2 LOOP: the count register is CX/ECX/RCX by address size. */
static void op_loop_Jb(struct x86_cpu *cpu, const struct x86_insn *in)
{
	unsigned as = in->addrsize;
	u64 count = x86_trunc(cpu->gpr[GPR_RCX] - 1, as);
	bool take = count != 0;

	int_no_lock(cpu, in);
	int_set_wide(cpu, GPR_RCX, as, count);
	if (take && in->opcode != 0xe2)
		take = x86_cond(cpu, 4) == (in->opcode == 0xe1); /* ZF */
	if (take)
		cpu->next_rip = rel_target(cpu, in);
}

static void op_jrcxz_Jb(struct x86_cpu *cpu, const struct x86_insn *in)
{
	int_no_lock(cpu, in);
	if (x86_trunc(cpu->gpr[GPR_RCX], in->addrsize) == 0)
		cpu->next_rip = rel_target(cpu, in);
}

void x86_register_branch(struct x86_optable *t)
{
	unsigned cc;

	for (cc = 0; cc < 16; cc++) {
		x86_optable_set(t, X86_MAP_1B, 0x70 + cc, op_jcc_Jb);
		x86_optable_set(t, X86_MAP_0F, 0x80 + cc, op_jcc_Jb);
	}
	x86_optable_set(t, X86_MAP_1B, 0xe0, op_loop_Jb);
	x86_optable_set(t, X86_MAP_1B, 0xe1, op_loop_Jb);
	x86_optable_set(t, X86_MAP_1B, 0xe2, op_loop_Jb);
	x86_optable_set(t, X86_MAP_1B, 0xe3, op_jrcxz_Jb);
	x86_optable_set(t, X86_MAP_1B, 0xe8, op_call_Jz);
	x86_optable_set(t, X86_MAP_1B, 0xe9, op_jmp_Jb);
	x86_optable_set(t, X86_MAP_1B, 0xeb, op_jmp_Jb);
	x86_optable_set(t, X86_MAP_1B, 0xc2, op_ret_Iw);
	x86_optable_set(t, X86_MAP_1B, 0xc3, op_ret);
}
