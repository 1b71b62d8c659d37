/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Which instructions get inline code, and the templates for moves, Jcc,
 * JMP, CALL, RET, PUSH and POP (arithmetic: jit_alu.c; operands and memory:
 * jit_mem.c). Each template is exactly what its handler does (fast.c and
 * the family files stay the reference for semantics). Forms are taken only
 * where in->op is the handler the template mirrors: a fast.c handler the
 * decoder picked (so LOCK, mandatory prefixes, 16-bit operands and
 * non-64-bit addressing never reach those), or a generic family handler
 * from the table slot's plain column, with the form checked here.
 */
#include "cpu/x86/jit_inline.h"

/* ---- moves ---- */

static bool emit_mov_insn(struct jit_ctx *t, const struct x86_insn *in)
{
	struct jit_asm *a = t->a;
	bool w = in->opsize == 8, reg = in->mod == 3;

	switch (in->opcode) {
	case 0x89: /* MOV Ev, Gv */
	case 0x8b: /* MOV Gv, Ev */
		if (reg) {
			unsigned d = in->opcode == 0x89 ? in->rm : in->reg;
			unsigned s = in->opcode == 0x89 ? in->reg : in->rm;

			jit_load_gpr(t, H_RAX, s, w);
			jit_store_gpr(t, H_RAX, d);
			return true;
		}
		if (!jit_emit_ea(t, in))
			return false;
		if (in->opcode == 0x8b) {
			jit_emit_read(t, in->seg, w ? 8 : 4);
			jit_store_gpr(t, H_RAX, in->reg);
			return true;
		}
		jit_load_gpr(t, H_R8, in->reg, true);
		jit_emit_write(t, in->seg, w ? 8 : 4);
		jit_end_block_test(t, in);
		return true;
	case 0xc7: /* MOV Ev, Iz (memory) */
		if (!jit_emit_ea(t, in))
			return false;
		e_mov_imm64(a, H_R8, in->imm);
		jit_emit_write(t, in->seg, w ? 8 : 4);
		jit_end_block_test(t, in);
		return true;
	case 0xc6: /* MOV Eb, Ib (memory) */
		if (!jit_emit_ea(t, in))
			return false;
		e_mov_imm64(a, H_R8, in->imm & 0xff);
		jit_emit_write(t, in->seg, 1);
		jit_end_block_test(t, in);
		return true;
	case 0xb8 ... 0xbf:
		e_mov_imm64(a, H_RAX, w ? in->imm : (u32)in->imm);
		jit_store_gpr(t, H_RAX, in->opreg);
		return true;
	case 0x8d: /* LEA: the address without a segment base */
		if (in->seg == SEG_FS || in->seg == SEG_GS)
			return false;
		if (!jit_emit_ea(t, in))
			return false;
		if (!w)
			e_op_rr(a, false, 0x89, H_RSI, H_RSI); /* mov esi, esi */
		jit_store_gpr(t, H_RSI, in->reg);
		return true;
	case 0x63: /* MOVSXD Gq, Ed */
		if (reg) {
			e_op_mem(a, true, 0x63, H_RAX, H_RBX, JIT_OFF_GPR(in->rm));
		} else {
			if (!jit_emit_ea(t, in))
				return false;
			jit_emit_read(t, in->seg, 4);
			e_op_rr(a, true, 0x63, H_RAX, H_RAX); /* movsxd rax, eax */
		}
		jit_store_gpr(t, H_RAX, in->reg);
		return true;
	default:
		return false;
	}
}

static bool emit_movzx_insn(struct jit_ctx *t, const struct x86_insn *in)
{
	unsigned size = in->opcode == 0xb6 ? 1 : 2;

	if (in->mod == 3) {
		if (size == 1)
			return false; /* AH..BH without REX: left to the handler */
		e_op0f_mem(t->a, false, 0xb7, H_RAX, H_RBX, JIT_OFF_GPR(in->rm));
	} else {
		if (!jit_emit_ea(t, in))
			return false;
		jit_emit_read(t, in->seg, size);
	}
	jit_store_gpr(t, H_RAX, in->reg);
	return true;
}

/* ---- control transfer and the stack ---- */

/*
 * A Jcc whose flags come from an earlier instruction: redo the recorded
 * operation on the host for the common records (SUB/CMP, ADD and logic
 * results of 1, 4 or 8 bytes: the host flags of the same-size operation are
 * the guest's, PF included) and let x86_cond() decide the rest. The record
 * at a given Jcc is nearly always the same kind, so the tests predict well.
 */
static void emit_lazy_cond(struct jit_ctx *t, unsigned cc, s64 target)
{
	static const struct { u8 op, size; } kinds[] = {
		{ X86_LF_SUB, 8 }, { X86_LF_SUB, 4 }, { X86_LF_LOGIC, 8 }, { X86_LF_LOGIC, 4 },
		{ X86_LF_SUB, 1 }, { X86_LF_ADD, 8 }, { X86_LF_ADD, 4 }, { X86_LF_LOGIC, 1 },
	};
	struct jit_asm *a = t->a;
	u8 *taken[16], *done[16];
	unsigned nt = 0, nd = 0;

	e_op0f_mem(a, false, 0xb7, H_RDX, H_RBX, JIT_OFF_LF(op)); /* edx = op | size << 8 */
	for (unsigned i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		u8 *next;
		bool w = kinds[i].size == 8;

		e_u8(a, 0x81);                                 /* cmp edx, imm32 */
		e_u8(a, 0xfa);
		e_u32(a, kinds[i].op | (u32)kinds[i].size << 8);
		next = e_jcc32(a, HC_NE);
		if (kinds[i].op == X86_LF_LOGIC) {
			if (kinds[i].size == 1) {
				e_op_mem(a, false, 0x8a, H_RAX, H_RBX, JIT_OFF_LF(res)); /* mov al */
				e_op_rr(a, false, 0x84, H_RAX, H_RAX);                /* test al, al */
			} else {
				e_op_mem(a, w, 0x8b, H_RAX, H_RBX, JIT_OFF_LF(res));
				e_op_rr(a, w, 0x85, H_RAX, H_RAX);
			}
		} else {
			bool add = kinds[i].op == X86_LF_ADD;

			if (kinds[i].size == 1) {
				e_op_mem(a, false, 0x8a, H_RAX, H_RBX, JIT_OFF_LF(src1));
				e_op_mem(a, false, 0x3a, H_RAX, H_RBX, JIT_OFF_LF(src2)); /* cmp al, m8 */
			} else {
				e_op_mem(a, w, 0x8b, H_RAX, H_RBX, JIT_OFF_LF(src1));
				e_op_mem(a, w, add ? 0x03 : 0x3b, H_RAX, H_RBX, JIT_OFF_LF(src2));
			}
		}
		taken[nt++] = e_jcc32(a, cc);
		done[nd++] = e_jmp32(a);
		e_patch(next, a->p);
	}
	e_op_rr(a, true, 0x89, H_RBX, H_RDI);
	e_mov_imm64(a, H_RSI, cc);
	e_mov_imm64(a, H_RAX, (u64)(uintptr_t)x86_cond);
	e_call_reg(a, H_RAX);
	e_op_rr(a, false, 0x84, H_RAX, H_RAX); /* test al, al */
	done[nd++] = e_jcc32(a, HC_E);
	/* One exit for every way of deciding "taken". */
	for (unsigned i = 0; i < nt; i++)
		e_patch(taken[i], a->p);
	jit_exit_if(t, -1, target, t->k + 1);
	for (unsigned i = 0; i < nd; i++)
		e_patch(done[i], a->p);
}

static bool emit_jcc(struct jit_ctx *t, const struct x86_insn *in, unsigned cc)
{
	s64 target = (s64)t->off + in->len + (s64)in->imm;

	if (!fits_s32(target))
		return false;
	if (!t->flags_live) {
		emit_lazy_cond(t, cc, target);
		return true;
	}
	jit_exit_if(t, (int)cc, target, t->k + 1);
	return true; /* flags stay live on the fall-through path */
}

static bool emit_branch_insn(struct jit_ctx *t, const struct x86_insn *in)
{
	struct jit_asm *a = t->a;
	u32 fall = t->off + in->len;
	s64 target = (s64)fall + (s64)in->imm;

	switch (in->opcode) {
	case 0xeb:
	case 0xe9:
		if (!fits_s32(target))
			return false;
		jit_exit_if(t, -1, target, t->k + 1);
		return true;
	case 0xe8: /* CALL rel: push the return address, then jump */
		if (!fits_s32(target))
			return false;
		jit_load_gpr(t, H_RSI, GPR_RSP, true);
		e_op_mem(a, true, 0x8d, H_RSI, H_RSI, -8);
		e_lea(a, H_R8, H_R12, (s32)fall);
		jit_emit_write(t, SEG_SS, 8);
		e_op_mem(a, true, 0x83, 5, H_RBX, JIT_OFF_GPR(GPR_RSP)); /* sub qword [rsp], 8 */
		e_u8(a, 8);
		/* The stack write may have dropped code; the jump leaves the block either way. */
		jit_exit_if(t, -1, target, t->k + 1);
		return true;
	case 0xc3: /* RET */
		jit_load_gpr(t, H_RSI, GPR_RSP, true);
		jit_emit_read(t, SEG_SS, 8);
		e_op_mem(a, true, 0x83, 0, H_RBX, JIT_OFF_GPR(GPR_RSP)); /* add qword [rsp], 8 */
		e_u8(a, 8);
		e_store64(a, H_RAX, H_RBX, JIT_OFF_RIP);
		jit_exit_indirect(t, t->k + 1);
		return true;
	case 0x50 ... 0x57: /* PUSH r64 */
		jit_load_gpr(t, H_RSI, GPR_RSP, true);
		e_op_mem(a, true, 0x8d, H_RSI, H_RSI, -8);
		jit_load_gpr(t, H_R8, in->opreg, true);
		jit_emit_write(t, SEG_SS, 8);
		e_op_mem(a, true, 0x83, 5, H_RBX, JIT_OFF_GPR(GPR_RSP));
		e_u8(a, 8);
		jit_end_block_test(t, in);
		return true;
	case 0x58 ... 0x5f: /* POP r64: RSP is incremented before the value lands (POP RSP) */
		jit_load_gpr(t, H_RSI, GPR_RSP, true);
		jit_emit_read(t, SEG_SS, 8);
		e_op_mem(a, true, 0x83, 0, H_RBX, JIT_OFF_GPR(GPR_RSP));
		e_u8(a, 8);
		jit_store_gpr(t, H_RAX, in->opreg);
		return true;
	default:
		return false;
	}
}

bool jit_inline(struct jit_ctx *t, const struct x86_insn *in)
{
	bool live = t->flags_live;
	bool ok = false;

	t->flags_live = false;
	/* NOP Ev and the hint space (0F 0D, 0F 18-1F): nothing to do, the operand is never accessed. */
	if (in->map == X86_MAP_0F && !(in->prefix & X86_PFX_LOCK) &&
	    in->op == x86_optable_get()->fn[X86_MAP_0F][0x1f][X86_MP_NONE])
		return !(t->skip & JIT_SKIP_NOP);
	/* NOT r (F7 /2), MOV r, imm32 (C7 /0): generic handlers; the host flags are left as they were. */
	if (in->map == X86_MAP_1B && (in->opcode == 0xf7 || in->opcode == 0xc7) && in->mod == 3 &&
	    !(t->skip & JIT_SKIP_REGOPS) &&
	    in->op == x86_optable_get()->fn[X86_MAP_1B][in->opcode][X86_MP_NONE] &&
	    jit_not_movi_insn(t, in)) {
		t->flags_live = live;
		return true;
	}
	/* TEST Eb/Ev, imm: the generic group 3 handler (no fast.c form), registered in every column. */
	if (in->map == X86_MAP_1B && (in->opcode == 0xf6 || in->opcode == 0xf7) &&
	    !(in->prefix & X86_PFX_LOCK) &&
	    in->op == x86_optable_get()->fn[X86_MAP_1B][in->opcode][X86_MP_NONE])
		return !(t->skip & JIT_SKIP_TEST8) && (t->flags_live = jit_test_cmp8_insn(t, in));
	/* Generic handlers with templates: the slot's own handler (no mandatory-prefix variant). */
	if (in->map == X86_MAP_1B && in->op == x86_optable_get()->fn[X86_MAP_1B][in->opcode][X86_MP_NONE]) {
		unsigned o = in->opcode;

		/* Ev,Gv / Ev,Iz / Ev,Ib / Eb,Ib on memory (register forms are fast.c's) */
		if (((o < 0x40 && (o & 7) == 1) || o == 0x80 || o == 0x81 || o == 0x83) &&
		    !(t->skip & JIT_SKIP_RMW) && jit_rmw_insn(t, in))
			return true;
		if ((o == 0xc1 || o == 0xd1) && !(t->skip & JIT_SKIP_SHIFT)) {
			t->flags_live = live; /* jit_sync_flags may use the host's */
			if (jit_rotate_insn(t, in)) {
				t->flags_live = false;
				return true;
			}
			t->flags_live = false;
		}
		if ((o == 0x38 || o == 0x3a) && !(in->prefix & X86_PFX_LOCK) && !(t->skip & JIT_SKIP_TEST8))
			return (t->flags_live = jit_cmp8_rm_insn(t, in));
		if (!(in->prefix & X86_PFX_LOCK) && !(t->skip & JIT_SKIP_ACC) &&
		    ((o < 0x40 && (o & 7) == 5) || o == 0x3c || o == 0xa8 || o == 0xa9))
			return (t->flags_live = jit_acc_imm_insn(t, in));
	}
	/* BSWAP, SETcc, CMOVcc: generic handlers; none touches the host flags, so live ones stay live. */
	if (in->map == X86_MAP_0F && !(in->prefix & X86_PFX_LOCK) && !(t->skip & JIT_SKIP_REGOPS) &&
	    in->op == x86_optable_get()->fn[X86_MAP_0F][in->opcode][X86_MP_NONE]) {
		unsigned o = in->opcode;

		t->flags_live = live;
		if ((o >= 0xc8 && o <= 0xcf && jit_bswap_insn(t, in)) ||
		    (o >= 0x90 && o <= 0x9f && jit_setcc_insn(t, in)) ||
		    (o >= 0x40 && o <= 0x4f && jit_cmovcc_insn(t, in)))
			return true;
		t->flags_live = false;
	}
	/* Only the plain forms the decoder gave to fast.c (no LOCK, 64-bit addressing, 32/64-bit). */
	if (in->op != x86_fast_select(in))
		return false;
	if (in->map == X86_MAP_0F) {
		if (in->opcode >= 0x80 && in->opcode <= 0x8f) {
			t->flags_live = live;
			ok = !(t->skip & JIT_SKIP_JCC) && emit_jcc(t, in, in->opcode & 15);
		} else if (in->opcode == 0xb6 && in->mod == 3) {
			ok = !(t->skip & JIT_SKIP_REGOPS) && jit_movzx_r8_insn(t, in);
			if (ok)
				t->flags_live = live; /* movzx and mov leave the host flags */
			return ok;
		} else if (in->opcode == 0xb6 || in->opcode == 0xb7) {
			ok = !(t->skip & JIT_SKIP_MOVZX) && emit_movzx_insn(t, in);
		} else if (in->opcode == 0xaf) {
			ok = !(t->skip & JIT_SKIP_REGOPS) && jit_imul_insn(t, in);
		}
	} else if (in->map == X86_MAP_1B) {
		switch (in->opcode) {
		case 0x70 ... 0x7f:
			t->flags_live = live;
			ok = !(t->skip & JIT_SKIP_JCC) && emit_jcc(t, in, in->opcode & 15);
			break;
		case 0x00 ... 0x3f:
		case 0x81:
		case 0x83:
		case 0x85:
			ok = !(t->skip & JIT_SKIP_ALU) && jit_alu_insn(t, in);
			break;
		case 0x80:
		case 0x84:
			ok = !(t->skip & JIT_SKIP_TEST8) && jit_test_cmp8_insn(t, in);
			break;
		case 0xc1:
		case 0xd1:
			ok = !(t->skip & JIT_SKIP_SHIFT) && jit_shift_insn(t, in);
			break;
		case 0x69:
		case 0x6b:
			ok = !(t->skip & JIT_SKIP_REGOPS) && jit_imul_insn(t, in);
			break;
		case 0x89: case 0x8b: case 0xc7: case 0xc6: case 0xb8 ... 0xbf: case 0x8d: case 0x63:
			ok = !(t->skip & JIT_SKIP_MOV) && emit_mov_insn(t, in);
			break;
		case 0xeb: case 0xe9: case 0xe8: case 0xc3: case 0x50 ... 0x5f:
			ok = !(t->skip & JIT_SKIP_BRANCH) && emit_branch_insn(t, in);
			break;
		default:
			break;
		}
	}
	if (!ok)
		t->flags_live = false;
	return ok;
}
