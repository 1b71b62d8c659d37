/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Inline templates for register-only forms compilers emit in hot loops
 * (issue 14's list): BSWAP r32/r64, MOVZX r, r8, SETcc r8 and CMOVcc r, r
 * on flags the host holds, IMUL r, r(, imm) whose flags no one sees. Each
 * does what its handler does (bitops.c, datamov.c, fast.c, muldiv.c: the
 * reference); jit_inline.c picks the forms. The host instruction is the
 * guest's (Intel SDM Vol. 2: BSWAP, MOVZX, SETcc, CMOVcc, IMUL), so only
 * the operand plumbing is ours: a 32-bit destination zero-extends, as the
 * host's does.
 */
#include "cpu/x86/jit_inline.h"

/* Offset in struct x86_cpu of byte register r (AH..BH without REX: byte 1 of rAX..rBX). */
static s32 reg8_off(const struct x86_insn *in, unsigned r)
{
	if (!in->rex && r >= 4 && r < 8)
		return JIT_OFF_GPR(r - 4) + 1;
	return JIT_OFF_GPR(r);
}

/* BSWAP r32/r64 (0F C8+r); the 16-bit form (undefined, zeroed by bitops.c) stays a call. */
bool jit_bswap_insn(struct jit_ctx *t, const struct x86_insn *in)
{
	bool w = in->opsize == 8;

	if (in->opsize != 4 && !w)
		return false;
	jit_load_gpr(t, H_RAX, in->opreg, w);
	e_rex(t->a, w, 0, 0, H_RAX, false);
	e_u8(t->a, 0x0f);
	e_u8(t->a, 0xc8 | H_RAX);
	jit_store_gpr(t, H_RAX, in->opreg);
	return true;
}

/* NOT r32/r64 (F7 /2) and MOV r32/r64, imm32 (C7 /0): no flags, no fault. */
bool jit_not_movi_insn(struct jit_ctx *t, const struct x86_insn *in)
{
	bool w = in->opsize == 8;

	if (in->mod != 3 || (in->opsize != 4 && !w) || (in->prefix & X86_PFX_LOCK))
		return false;
	if (in->opcode == 0xc7) {
		if (in->reg & 7)
			return false;
		e_mov_imm64(t->a, H_RAX, w ? in->imm : (u32)in->imm);
	} else {
		if ((in->reg & 7) != 2)
			return false;
		jit_load_gpr(t, H_RAX, in->rm, w);
		e_rex(t->a, w, 0, 0, H_RAX, false);     /* not rax/eax */
		e_u8(t->a, 0xf7);
		e_u8(t->a, 0xd0 | H_RAX);
	}
	jit_store_gpr(t, H_RAX, in->rm);
	return true;
}

/* MOVZX r32/r64, r8 (0F B6 with a register operand). */
bool jit_movzx_r8_insn(struct jit_ctx *t, const struct x86_insn *in)
{
	e_op0f_mem(t->a, false, 0xb6, H_RAX, H_RBX, reg8_off(in, in->rm));
	jit_store_gpr(t, H_RAX, in->reg);
	return true;
}

/* SETcc r8 (0F 90+cc, register operand) while the host flags are the guest's. */
bool jit_setcc_insn(struct jit_ctx *t, const struct x86_insn *in)
{
	if (!t->flags_live || in->mod != 3)
		return false;
	e_u8(t->a, 0x0f);                         /* setcc al */
	e_u8(t->a, (u8)(0x90 | (in->opcode & 15)));
	e_u8(t->a, 0xc0);
	e_op_mem(t->a, false, 0x88, H_RAX, H_RBX, reg8_off(in, in->rm)); /* mov byte [reg], al */
	return true;
}

/* CMOVcc r32/r64, r (0F 40+cc, register operand) while the host flags are the guest's. */
bool jit_cmovcc_insn(struct jit_ctx *t, const struct x86_insn *in)
{
	bool w = in->opsize == 8;

	if (!t->flags_live || in->mod != 3 || (in->opsize != 4 && !w))
		return false;
	jit_load_gpr(t, H_RAX, in->reg, w);
	/* cmovcc rax/eax, [gpr rm]: a 32-bit CMOV zero-extends whatever the condition */
	e_op0f_mem(t->a, w, (u8)(0x40 | (in->opcode & 15)), H_RAX, H_RBX, JIT_OFF_GPR(in->rm));
	jit_store_gpr(t, H_RAX, in->reg);
	return true;
}

/*
 * IMUL r, r (0F AF) and IMUL r, r, imm (69, 6B) on registers, 32/64-bit,
 * when no one sees the flags (fast.c's imul() sets CF/OF from the overflow
 * and SF/ZF/PF from the result; the host leaves SF/ZF/PF undefined).
 */
bool jit_imul_insn(struct jit_ctx *t, const struct x86_insn *in)
{
	bool w = in->opsize == 8;

	if (!t->flags_dead || in->mod != 3 || (in->opsize != 4 && !w))
		return false;
	if (in->map == X86_MAP_0F) {
		jit_load_gpr(t, H_RAX, in->reg, w);
		e_op0f_mem(t->a, w, 0xaf, H_RAX, H_RBX, JIT_OFF_GPR(in->rm)); /* imul rax, [rm] */
	} else {
		e_op_mem(t->a, w, 0x69, H_RAX, H_RBX, JIT_OFF_GPR(in->rm));   /* imul rax, [rm], imm32 */
		e_u32(t->a, (u32)in->imm);
	}
	jit_store_gpr(t, H_RAX, in->reg);
	return true;
}
