/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Stack instructions: PUSH/POP r (50-5F), PUSH Iz/Ib (68/6A), POP Ev (8F /0),
 * ENTER (C8), LEAVE (C9), and PUSHA/POPA (60/61, not in 64-bit mode).
 * PUSHF/POPF and the segment-register pushes are system.c's.
 *
 * Multi-access instructions (POP to memory, ENTER, LEAVE, PUSHA, POPA) do
 * all their memory accesses from a local copy of rSP and commit registers
 * last, so a #PF or #SS in the middle leaves the instruction restartable.
 *
 * References: Intel SDM Vol. 2B (POP, POPA, PUSH, PUSHA), Vol. 2A (ENTER),
 * Vol. 2A (LEAVE); Vol. 1 6.2 (stack address size).
 */
#include "cpu/x86/int_ops.h"

static void op_push_Zv(struct x86_cpu *cpu, const struct x86_insn *in)
{
	unsigned size = int_stack_opsize(cpu, in);

	int_no_lock(cpu, in);
	/* PUSH rSP pushes the value before the decrement. */
	x86_push(cpu, size, x86_trunc(cpu->gpr[in->opreg], size));
}

static void op_pop_Zv(struct x86_cpu *cpu, const struct x86_insn *in)
{
	unsigned size = int_stack_opsize(cpu, in);
	u64 v;

	int_no_lock(cpu, in);
	/* POP rSP: the increment happens first, then the popped value lands in rSP. */
	v = x86_pop(cpu, size);
	x86_set_reg(cpu, in, in->opreg, size, v);
}

/* 68 Iz, 6A Ib: the decoder sign-extended the immediate. */
static void op_push_I(struct x86_cpu *cpu, const struct x86_insn *in)
{
	unsigned size = int_stack_opsize(cpu, in);

	int_no_lock(cpu, in);
	x86_push(cpu, size, x86_trunc(in->imm, size));
}

/* 8F /0. An rSP-based destination address uses rSP after the pop (SDM POP). */
static void op_pop_Ev(struct x86_cpu *cpu, const struct x86_insn *in)
{
	unsigned size = int_stack_opsize(cpu, in), ss = int_stack_asize(cpu);
	u64 sp, old, v, ea;

	int_no_lock(cpu, in);
	if (in->reg & 7)
		x86_ud(cpu);
	if (in->mod == 3) {
		v = x86_pop(cpu, size);
		x86_set_reg(cpu, in, in->rm, size, v);
		return;
	}
	old = cpu->gpr[GPR_RSP];
	sp = x86_trunc(old, ss);
	v = x86_read(cpu, SEG_SS, sp, size);
	int_set_wide(cpu, GPR_RSP, ss, sp + size);
	ea = x86_ea(cpu, in);
	cpu->gpr[GPR_RSP] = old;
	x86_write(cpu, in->seg, ea, size, v);
	int_set_wide(cpu, GPR_RSP, ss, sp + size);
}

/* ENTER Iw, Ib: allocation size and nesting level (mod 32). */
static void op_enter_Iw_Ib(struct x86_cpu *cpu, const struct x86_insn *in)
{
	unsigned size = int_stack_opsize(cpu, in), ss = int_stack_asize(cpu);
	unsigned level = (unsigned)in->imm2 & 31, i;
	u64 sp = cpu->gpr[GPR_RSP], bp = cpu->gpr[GPR_RBP], frame;

	int_no_lock(cpu, in);
	sp -= size;
	x86_write(cpu, SEG_SS, x86_trunc(sp, ss), size, x86_trunc(bp, size));
	/* FrameTemp is SP, ESP or RSP by the stack size, not the operand size (Vol. 2 ENTER). */
	frame = x86_trunc(sp, ss);
	if (level > 0) {
		for (i = 1; i < level; i++) {
			u64 v;

			bp -= size;
			v = x86_read(cpu, SEG_SS, x86_trunc(bp, ss), size);
			sp -= size;
			x86_write(cpu, SEG_SS, x86_trunc(sp, ss), size, v);
		}
		sp -= size;
		x86_write(cpu, SEG_SS, x86_trunc(sp, ss), size, x86_trunc(frame, size));
	}
	sp -= x86_trunc(in->imm, 2);
	/* The stack size picks BP or EBP too: a 16-bit stack keeps EBP's upper half. */
	x86_set_reg(cpu, in, GPR_RBP, x86_long64(cpu) ? 8 : ss, frame);
	int_set_wide(cpu, GPR_RSP, ss, sp);
}

static void op_leave(struct x86_cpu *cpu, const struct x86_insn *in)
{
	unsigned size = int_stack_opsize(cpu, in), ss = int_stack_asize(cpu);
	u64 sp = x86_trunc(cpu->gpr[GPR_RBP], ss);
	u64 v;

	int_no_lock(cpu, in);
	v = x86_read(cpu, SEG_SS, sp, size);
	int_set_wide(cpu, GPR_RSP, ss, sp + size);
	x86_set_reg(cpu, in, GPR_RBP, size, v);
}

/* PUSHA/PUSHAD: AX CX DX BX (original SP) BP SI DI. */
static void op_pusha(struct x86_cpu *cpu, const struct x86_insn *in)
{
	unsigned size = in->opsize, ss = int_stack_asize(cpu), r;
	u64 sp = cpu->gpr[GPR_RSP];

	int_no_lock(cpu, in);
	if (x86_long64(cpu))
		x86_ud(cpu);
	for (r = GPR_RAX; r <= GPR_RDI; r++) {
		sp -= size;
		x86_write(cpu, SEG_SS, x86_trunc(sp, ss), size, x86_trunc(cpu->gpr[r], size));
	}
	int_set_wide(cpu, GPR_RSP, ss, sp);
}

/* POPA/POPAD: DI SI BP (skip SP) BX DX CX AX. */
static void op_popa(struct x86_cpu *cpu, const struct x86_insn *in)
{
	unsigned size = in->opsize, ss = int_stack_asize(cpu), r;
	u64 sp = cpu->gpr[GPR_RSP], v[8];

	int_no_lock(cpu, in);
	if (x86_long64(cpu))
		x86_ud(cpu);
	for (r = 0; r < 8; r++)
		v[7 - r] = x86_read(cpu, SEG_SS, x86_trunc(sp + r * size, ss), size);
	for (r = GPR_RAX; r <= GPR_RDI; r++)
		if (r != GPR_RSP)
			x86_set_reg(cpu, in, r, size, v[r]);
	int_set_wide(cpu, GPR_RSP, ss, sp + 8 * size);
}

void x86_register_stack(struct x86_optable *t)
{
	unsigned r;

	for (r = 0; r < 8; r++) {
		x86_optable_set(t, X86_MAP_1B, 0x50 + r, op_push_Zv);
		x86_optable_set(t, X86_MAP_1B, 0x58 + r, op_pop_Zv);
	}
	x86_optable_set(t, X86_MAP_1B, 0x60, op_pusha);
	x86_optable_set(t, X86_MAP_1B, 0x61, op_popa);
	x86_optable_set(t, X86_MAP_1B, 0x68, op_push_I);
	x86_optable_set(t, X86_MAP_1B, 0x6a, op_push_I);
	x86_optable_set(t, X86_MAP_1B, 0x8f, op_pop_Ev);
	x86_optable_set(t, X86_MAP_1B, 0xc8, op_enter_Iw_Ib);
	x86_optable_set(t, X86_MAP_1B, 0xc9, op_leave);
}
