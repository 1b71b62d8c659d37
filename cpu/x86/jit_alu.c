/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Inline templates for integer arithmetic: ADD/OR/AND/SUB/XOR/CMP/TEST on
 * 32/64-bit registers and memory, the byte and immediate tests, memory
 * read-modify-write, accumulator-immediate forms, and SHL/SHR/SAR by an
 * immediate. Each does what its handler does (fast.c, alu.c: the
 * reference); see jit_inline.c for how forms are chosen.
 *
 * Flags: templates store the same lazy-flag record as fast.c's alu() and do
 * the host operation last, so the host flags equal the guest's for a Jcc
 * that follows (flags_live): ADD, SUB and CMP set all six flags like the
 * guest's, logic ops clear CF/OF and set SF/ZF/PF from the result.
 */
#include "cpu/x86/jit_inline.h"

enum { F_ADD = X86_ALU_ADD, F_OR = X86_ALU_OR, F_AND = X86_ALU_AND, F_SUB = X86_ALU_SUB,
       F_XOR = X86_ALU_XOR, F_CMP = X86_ALU_CMP, F_TEST = X86_ALU_TEST };

/* ---- ALU ---- */

static const u8 alu_host_op[] = {
	[F_ADD] = 0x01, [F_OR] = 0x09, [F_AND] = 0x21, [F_SUB] = 0x29, [F_XOR] = 0x31,
	[F_CMP] = 0x29, [F_TEST] = 0x21,
};

/*
 * a in rax, b in rcx (both already truncated to the operand size, 1, 4 or
 * 8 bytes): the lazy record, then rdx = a op b with the host flags left as
 * the guest's.
 */
static void emit_alu(struct jit_ctx *t, int op, unsigned size)
{
	struct jit_asm *a = t->a;
	bool arith = op == F_ADD || op == F_SUB || op == F_CMP, w = size == 8;
	u8 lop = op == F_ADD ? X86_LF_ADD : arith ? X86_LF_SUB : X86_LF_LOGIC;

	if (t->flags_dead) { /* only the result */
		e_op_rr(a, w, 0x89, H_RAX, H_RDX);
		e_op_rr(a, w, (u8)(alu_host_op[op] - (size == 1)), H_RCX, H_RDX);
		t->flags_live = false;
		return;
	}
	e_store64(a, H_RAX, H_RBX, JIT_OFF_LF(src1));
	e_store64(a, H_RCX, H_RBX, JIT_OFF_LF(src2));
	e_store_imm16(a, H_RBX, JIT_OFF_LF(op), (u16)(lop | (size << 8)));
	e_op_rr(a, w, 0x89, H_RAX, H_RDX);          /* mov rdx, rax */
	/* rdx op= rcx (dl op= cl for bytes: the upper bits of the zero-extended a stay 0) */
	e_op_rr(a, w, (u8)(alu_host_op[op] - (size == 1)), H_RCX, H_RDX);
	e_store64(a, H_RDX, H_RBX, JIT_OFF_LF(res));  /* mov keeps the flags */
	t->flags_live = true;
	t->flags_logic = lop == X86_LF_LOGIC;
}

/*
 * Make cpu->rflags hold the six arithmetic flags and empty the lazy record,
 * as x86_flags_sync() does, for a template that changes only some flags.
 * Right after an inline ALU template the host flags are the guest's (AF
 * aside after a logic op: undefined on the host, 0 in the guest), so they
 * are stored as they are; otherwise the record is computed by a call when
 * one is pending.
 */
void jit_sync_flags(struct jit_ctx *t)
{
	struct jit_asm *a = t->a;
	u8 *skip;

	if (t->flags_live) {
		u32 keep = (u32)(t->flags_logic ? X86_FLAGS_ARITH & ~X86_AF : X86_FLAGS_ARITH);

		e_u8(a, 0x9c);                                  /* pushfq; pop rcx */
		e_u8(a, 0x59);
		e_u8(a, 0x81);                                  /* and ecx, keep */
		e_u8(a, 0xe1);
		e_u32(a, keep);
		e_load64(a, H_RAX, H_RBX, JIT_OFF(rflags));
		e_rex(a, true, 0, 0, H_RAX, false);             /* and rax, ~ARITH */
		e_u8(a, 0x25);
		e_u32(a, (u32)~X86_FLAGS_ARITH);
		e_op_rr(a, true, 0x09, H_RCX, H_RAX);          /* or rax, rcx */
		e_store64(a, H_RAX, H_RBX, JIT_OFF(rflags));
		e_store_imm8(a, H_RBX, JIT_OFF_LF(op), X86_LF_NONE);
		t->flags_live = false;
		return;
	}
	e_cmp_mem8_imm(a, H_RBX, JIT_OFF_LF(op), X86_LF_NONE);
	skip = e_jcc32(a, HC_E);
	e_op_rr(a, true, 0x89, H_RBX, H_RDI);
	e_mov_imm64(a, H_RAX, (u64)(uintptr_t)x86_flags_sync);
	e_call_reg(a, H_RAX);
	e_patch(skip, a->p);
}

/* rax = the byte register r (AH..BH without REX are not handled: false). */
static bool load_reg8(struct jit_ctx *t, const struct x86_insn *in, unsigned h, unsigned r)
{
	if (!in->rex && r >= 4)
		return false;
	e_op0f_mem(t->a, false, 0xb6, h, H_RBX, JIT_OFF_GPR(r)); /* movzx h, byte [gpr] */
	return true;
}

/*
 * TEST Eb/Ev, imm (F6/F7 /0 and its alias /1), TEST Eb, Gb (84), CMP Eb, imm
 * on memory (80 /7): the byte and immediate compares of flag tests.
 */
bool jit_test_cmp8_insn(struct jit_ctx *t, const struct x86_insn *in)
{
	unsigned size = in->opcode == 0xf7 ? in->opsize : 1;
	bool reg = in->mod == 3;

	if (in->opcode == 0x84) {
		if (!reg || (!in->rex && (in->rm >= 4 || in->reg >= 4)))
			return false;
		load_reg8(t, in, H_RAX, in->rm);
		load_reg8(t, in, H_RCX, in->reg);
		emit_alu(t, F_TEST, 1);
		return true;
	}
	if (in->opcode == 0x80) {
		if (reg || (in->reg & 7) != 7 || !jit_emit_ea(t, in))
			return false;
		jit_emit_read(t, in->seg, 1);
		e_mov_imm64(t->a, H_RCX, in->imm & 0xff);
		emit_alu(t, F_CMP, 1);
		return true;
	}
	/* F6 / F7 */
	if ((in->reg & 7) > 1 || (size != 1 && size != 4 && size != 8))
		return false;
	if (!reg && in->addrsize != 8)
		return false;
	if (reg) {
		if (size == 1) {
			if (!load_reg8(t, in, H_RAX, in->rm))
				return false;
		} else {
			jit_load_gpr(t, H_RAX, in->rm, size == 8);
		}
	} else {
		if (!jit_emit_ea(t, in))
			return false;
		jit_emit_read(t, in->seg, size);
	}
	e_mov_imm64(t->a, H_RCX, size == 8 ? in->imm : size == 4 ? (u32)in->imm : in->imm & 0xff);
	emit_alu(t, F_TEST, size);
	return true;
}


static bool writes(int op) { return op != F_CMP && op != F_TEST; }

bool jit_alu_insn(struct jit_ctx *t, const struct x86_insn *in)
{
	static const signed char grp1[8] = { F_ADD, F_OR, -1, -1, F_AND, F_SUB, F_XOR, F_CMP };
	bool w = in->opsize == 8, reg = in->mod == 3;
	unsigned size = w ? 8 : 4;
	int op;

	if (in->opcode == 0x81 || in->opcode == 0x83) {
		op = grp1[in->reg & 7];
		if (op < 0)
			return false;
		if (reg) { /* EI: rm op= imm */
			jit_load_gpr(t, H_RAX, in->rm, w);
			e_mov_imm64(t->a, H_RCX, w ? in->imm : (u32)in->imm);
			emit_alu(t, op, size);
			if (writes(op))
				jit_store_gpr(t, H_RDX, in->rm);
			return true;
		}
		/* MI: CMP [mem], imm */
		if (!jit_emit_ea(t, in))
			return false;
		jit_emit_read(t, in->seg, size);
		e_mov_imm64(t->a, H_RCX, w ? in->imm : (u32)in->imm);
		emit_alu(t, op, size);
		return true;
	}
	op = x86_alu_op_of(in->opcode);
	if (op < 0)
		return false;
	if (reg) {
		unsigned d = (in->opcode & 2) ? in->reg : in->rm, s = (in->opcode & 2) ? in->rm : in->reg;

		jit_load_gpr(t, H_RAX, d, w);
		jit_load_gpr(t, H_RCX, s, w);
		emit_alu(t, op, size);
		if (writes(op))
			jit_store_gpr(t, H_RDX, d);
		return true;
	}
	if (!jit_emit_ea(t, in))
		return false;
	jit_emit_read(t, in->seg, size);
	if (in->opcode & 2) { /* GM: reg op= [mem] */
		e_op_rr(t->a, true, 0x89, H_RAX, H_RCX); /* rcx = b */
		jit_load_gpr(t, H_RAX, in->reg, w);
		emit_alu(t, op, size);
		if (writes(op))
			jit_store_gpr(t, H_RDX, in->reg);
		return true;
	}
	/* MG: CMP/TEST [mem], reg */
	jit_load_gpr(t, H_RCX, in->reg, w);
	emit_alu(t, op, size);
	return true;
}

/*
 * Read-modify-write on memory: ADD/OR/AND/SUB/XOR Ev,Gv (01 09 21 29 31),
 * Ev,Iz/Ib (81/83) and Eb,Ib (80), as alu.c's alu_rmw() does them: read,
 * compute, write, then the flag record, so a faulting write leaves the
 * flags alone. LOCK changes nothing here: the interpreter does the same
 * plain read and write (one vCPU; device threads never share a locked
 * location with the guest). The address is kept in r13 and the operands on
 * the stack (two pushes keep calls aligned) across the out-of-line paths.
 */
bool jit_rmw_insn(struct jit_ctx *t, const struct x86_insn *in)
{
	static const signed char grp1[8] = { F_ADD, F_OR, -1, -1, F_AND, F_SUB, F_XOR, -1 };
	struct jit_asm *a = t->a;
	unsigned size = in->opcode == 0x80 ? 1 : in->opsize;
	bool w = size == 8;
	int op;

	if (in->mod == 3 || in->addrsize != 8 || (size != 1 && size != 4 && size != 8))
		return false;
	if (in->opcode >= 0x80)
		op = grp1[in->reg & 7];
	else
		op = (in->opcode & 7) == 1 ? x86_alu_op_of(in->opcode) : -1;
	if (op < 0 || op == F_CMP || op == F_TEST)
		return false;
	if (!jit_emit_ea(t, in))
		return false;
	e_op_rr(a, true, 0x89, H_RSI, H_R13);                 /* mov r13, rsi */
	jit_emit_read(t, in->seg, size);
	if (in->opcode >= 0x80)
		e_mov_imm64(a, H_RCX, size == 8 ? in->imm : size == 4 ? (u32)in->imm : in->imm & 0xff);
	else
		jit_load_gpr(t, H_RCX, in->reg, w);
	e_push(a, H_RAX);
	e_push(a, H_RCX);
	e_op_rr(a, w, 0x89, H_RAX, H_R8);                     /* mov r8, rax */
	e_op_rr(a, w, (u8)(alu_host_op[op] - (size == 1)), H_RCX, H_R8); /* r8 op= rcx */
	e_op_rr(a, true, 0x89, H_R13, H_RSI);                 /* mov rsi, r13 */
	jit_emit_write(t, in->seg, size);
	e_pop(a, H_RCX);
	e_pop(a, H_RAX);
	t->flags_dead = false; /* the end_block test below may leave the block */
	emit_alu(t, op, size);
	jit_end_block_test(t, in);
	t->flags_live = false; /* the test above compared */
	return true;
}

/* ADD/OR/AND/SUB/XOR/CMP rAX, Iz (05 0D 25 2D 35 3D), TEST rAX, Iz (A9); CMP/TEST AL, Ib (3C A8). */
bool jit_acc_imm_insn(struct jit_ctx *t, const struct x86_insn *in)
{
	static const signed char ops[8] = { F_ADD, F_OR, -1, -1, F_AND, F_SUB, F_XOR, F_CMP };
	bool byte = in->opcode == 0x3c || in->opcode == 0xa8;
	unsigned size = byte ? 1 : in->opsize;
	int op = (in->opcode & 0xf8) == 0xa8 ? F_TEST : ops[in->opcode >> 3];

	if (op < 0 || (size != 1 && size != 4 && size != 8))
		return false;
	if (byte)
		e_op0f_mem(t->a, false, 0xb6, H_RAX, H_RBX, JIT_OFF_GPR(GPR_RAX)); /* movzx eax, al */
	else
		jit_load_gpr(t, H_RAX, GPR_RAX, size == 8);
	e_mov_imm64(t->a, H_RCX, size == 8 ? in->imm : size == 4 ? (u32)in->imm : in->imm & 0xff);
	emit_alu(t, op, size);
	if (writes(op))
		jit_store_gpr(t, H_RDX, GPR_RAX);
	return true;
}

/*
 * SHL/SHR/SAR r32/r64 by an immediate or 1 (C1 and D1 /4 /5 /7, fast.c's
 * shift()): flags are eager, as there: CF, ZF, SF, PF from the host's own
 * shift, OF by fast.c's rule for every count (SHL: MSB(result) ^ CF; SHR:
 * MSB(source); SAR: 0), AF clear, the lazy record emptied. A zero count
 * only writes (zero-extends) the register.
 */
bool jit_shift_insn(struct jit_ctx *t, const struct x86_insn *in)
{
	struct jit_asm *a = t->a;
	unsigned g = in->reg & 7, bits = in->opsize * 8;
	bool w = in->opsize == 8;
	unsigned c, digit = g == 6 ? 4 : g; /* /6 is SAL, an alias of SHL */

	if (in->opcode == 0xd3 || in->mod != 3 || (digit != 4 && digit != 5 && digit != 7))
		return false;
	c = in->opcode == 0xd1 ? 1 : (unsigned)in->imm & (bits - 1);
	jit_load_gpr(t, H_RAX, in->rm, w);
	if (c == 0) {
		jit_store_gpr(t, H_RAX, in->rm);
		return true;
	}
	e_op_rr(a, w, 0x89, H_RAX, H_RDX);             /* mov rdx, rax */
	e_rex(a, w, 0, 0, H_RDX, false);                /* shl/shr/sar rdx, c */
	e_u8(a, 0xc1);
	e_u8(a, (u8)(0xc0 | (digit << 3) | H_RDX));
	e_u8(a, (u8)c);
	jit_store_gpr(t, H_RDX, in->rm);
	if (t->flags_dead)
		return true;
	e_u8(a, 0x9c);                                  /* pushfq; pop rcx */
	e_u8(a, 0x59);
	e_u8(a, 0x81);                                  /* and ecx, CF|PF|ZF|SF */
	e_u8(a, 0xe1);
	e_u32(a, (u32)(X86_CF | X86_PF | X86_ZF | X86_SF));
	if (digit != 7) {
		if (digit == 4)
			e_op_rr(a, w, 0x89, H_RDX, H_RAX);     /* SHL: MSB of the result */
		e_rex(a, w, 0, 0, H_RAX, false);        /* shr rax, bits-1 */
		e_u8(a, 0xc1);
		e_u8(a, 0xe8);
		e_u8(a, (u8)(bits - 1));
		if (digit == 4)
			e_op_rr(a, false, 0x31, H_RCX, H_RAX); /* xor eax, ecx: ^ CF */
		e_u8(a, 0x83);                          /* and eax, 1 */
		e_u8(a, 0xe0);
		e_u8(a, 1);
		e_u8(a, 0xc1);                          /* shl eax, 11 (OF) */
		e_u8(a, 0xe0);
		e_u8(a, 11);
		e_op_rr(a, false, 0x09, H_RAX, H_RCX);  /* or ecx, eax */
	}
	e_load64(a, H_RAX, H_RBX, JIT_OFF(rflags));
	e_rex(a, true, 0, 0, H_RAX, false);             /* and rax, ~ARITH */
	e_u8(a, 0x25);
	e_u32(a, (u32)~X86_FLAGS_ARITH);
	e_op_rr(a, true, 0x09, H_RCX, H_RAX);          /* or rax, rcx */
	e_store64(a, H_RAX, H_RBX, JIT_OFF(rflags));
	e_store_imm8(a, H_RBX, JIT_OFF_LF(op), X86_LF_NONE);
	return true;
}

/*
 * ROL/ROR r32/r64 by an immediate or 1 (C1 and D1 /0 /1, shift.c's
 * shift_calc()): the other four flags stay, so the lazy record is
 * materialised first (jit_sync_flags); then CF and OF by shift.c's rule for
 * every count (ROL: CF = bit 0 of the result, OF = MSB ^ CF; ROR: CF = MSB,
 * OF = MSB ^ the bit below it). A zero count only writes (zero-extends)
 * the register and changes no flag.
 */
bool jit_rotate_insn(struct jit_ctx *t, const struct x86_insn *in)
{
	struct jit_asm *a = t->a;
	unsigned g = in->reg & 7, bits = in->opsize * 8, c;
	bool w = in->opsize == 8;

	if (in->mod != 3 || g > 1 || (in->opsize != 4 && in->opsize != 8) ||
	    (in->prefix & X86_PFX_LOCK))
		return false;
	c = in->opcode == 0xd1 ? 1 : (unsigned)in->imm & (bits - 1);
	if (c == 0) {
		jit_load_gpr(t, H_RAX, in->rm, w);
		jit_store_gpr(t, H_RAX, in->rm);
		return true;
	}
	if (!t->flags_dead)
		jit_sync_flags(t);
	jit_load_gpr(t, H_RAX, in->rm, w);
	e_rex(a, w, 0, 0, H_RAX, false);                /* rol/ror rax, c */
	e_u8(a, 0xc1);
	e_u8(a, (u8)(0xc0 | (g << 3) | H_RAX));
	e_u8(a, (u8)c);
	jit_store_gpr(t, H_RAX, in->rm);
	if (t->flags_dead)
		return true;
	e_op_rr(a, w, 0x89, H_RAX, H_RDX);             /* rdx = result >> (bits - 2): MSB, next bit */
	e_rex(a, w, 0, 0, H_RDX, false);
	e_u8(a, 0xc1);
	e_u8(a, 0xea);
	e_u8(a, (u8)(bits - 2));
	if (g == 0) {                                   /* ROL: ecx = CF = bit 0 */
		e_op_rr(a, false, 0x89, H_RAX, H_RCX);
		e_u8(a, 0x83);                          /* and ecx, 1 */
		e_u8(a, 0xe1);
		e_u8(a, 1);
		e_u8(a, 0xd1);                          /* shr edx, 1: edx = MSB */
		e_u8(a, 0xea);
	} else {                                        /* ROR: ecx = CF = MSB */
		e_op_rr(a, false, 0x89, H_RDX, H_RCX);
		e_u8(a, 0xd1);                          /* shr ecx, 1 */
		e_u8(a, 0xe9);
	}
	e_op_rr(a, false, 0x31, H_RCX, H_RDX);         /* xor edx, ecx: OF in bit 0 */
	e_u8(a, 0x83);                                  /* and edx, 1 */
	e_u8(a, 0xe2);
	e_u8(a, 1);
	e_u8(a, 0xc1);                                  /* shl edx, 11 */
	e_u8(a, 0xe2);
	e_u8(a, 11);
	e_op_rr(a, false, 0x09, H_RDX, H_RCX);         /* or ecx, edx */
	e_load64(a, H_RAX, H_RBX, JIT_OFF(rflags));
	e_rex(a, true, 0, 0, H_RAX, false);             /* and rax, ~(CF|OF) */
	e_u8(a, 0x25);
	e_u32(a, (u32)~(X86_CF | X86_OF));
	e_op_rr(a, true, 0x09, H_RCX, H_RAX);          /* or rax, rcx */
	e_store64(a, H_RAX, H_RBX, JIT_OFF(rflags));
	return true;
}

/*
 * CMP Eb, Gb / CMP Gb, Eb (38, 3A) on a register or memory (64-bit
 * addressing): string and byte-table loops (alu.c's handler: the lazy SUB
 * record of the byte operands).
 */
bool jit_cmp8_rm_insn(struct jit_ctx *t, const struct x86_insn *in)
{
	s32 r_off = !in->rex && in->reg >= 4 && in->reg < 8 ? JIT_OFF_GPR(in->reg - 4) + 1
							   : JIT_OFF_GPR(in->reg);
	unsigned first = in->opcode == 0x38 ? H_RAX : H_RCX, second = first == H_RAX ? H_RCX : H_RAX;

	if (in->mod == 3) {
		s32 m_off = !in->rex && in->rm >= 4 && in->rm < 8 ? JIT_OFF_GPR(in->rm - 4) + 1
								  : JIT_OFF_GPR(in->rm);

		e_op0f_mem(t->a, false, 0xb6, first, H_RBX, m_off);
	} else {
		if (in->addrsize != 8 || !jit_emit_ea(t, in))
			return false;
		jit_emit_read(t, in->seg, 1);
		if (first != H_RAX)
			e_op_rr(t->a, false, 0x89, H_RAX, first);
	}
	e_op0f_mem(t->a, false, 0xb6, second, H_RBX, r_off);
	emit_alu(t, F_CMP, 1);
	return true;
}
