/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Inline templates for the hottest integer forms: MOV/MOVZX/MOVSXD/LEA,
 * ADD/OR/AND/SUB/XOR/CMP/TEST on 32/64-bit operands, Jcc, JMP, CALL, RET,
 * PUSH, POP. Each is exactly what its handler in fast.c does (that file
 * stays the reference): only instructions for which the decoder picked the
 * fast.c handler get a template, so LOCK, mandatory prefixes, 16-bit
 * operands and non-64-bit addressing never reach here.
 *
 * Memory operands use the TLB fast path inline (tlb.h: one tag compare on
 * the page of the last byte, then host = addend + linear) and fall back to
 * x86_read_slow()/x86_write_slow() out of line, after setting cpu->rip to
 * the instruction so a fault reports it. Templates load what they need
 * after an access, because the slow path is a C call that clobbers
 * caller-saved registers. A store through the fast path never hits a page
 * holding translated code (block.c keeps no write entries for those), but
 * the slow path may invalidate code, so stores are followed by the run
 * loop's end_block test.
 *
 * Flags: ALU templates store the same lazy-flag record as fast.c's alu()
 * and do the host operation last, so the host flags equal the guest's for
 * a Jcc that follows (flags_live): ADD, SUB and CMP set all six flags like
 * the guest's, logic ops clear CF/OF and set SF/ZF/PF from the result.
 */
#include "cpu/x86/jit_inline.h"

enum { F_ADD, F_OR, F_AND, F_SUB, F_XOR, F_CMP, F_TEST };

static void load_gpr(struct jit_ctx *t, unsigned h, unsigned r, bool w)
{
	e_op_mem(t->a, w, 0x8b, h, H_RBX, JIT_OFF_GPR(r)); /* 32-bit loads zero-extend */
}

static void store_gpr(struct jit_ctx *t, unsigned h, unsigned r)
{
	e_store64(t->a, h, H_RBX, JIT_OFF_GPR(r));
}

/* The memory operand's effective address (64-bit addressing) into rsi; false if it cannot be. */
static bool emit_ea(struct jit_ctx *t, const struct x86_insn *in)
{
	struct jit_asm *a = t->a;

	if (in->base == X86_REG_RIP) {
		s64 d = (s64)t->off + in->len + in->disp;

		if (!fits_s32(d))
			return false;
		e_lea(a, H_RSI, H_R12, (s32)d);
	} else if (in->base < 16) {
		load_gpr(t, H_RSI, in->base, true);
		if (in->disp)
			e_op_mem(a, true, 0x8d, H_RSI, H_RSI, in->disp); /* lea rsi, [rsi + disp] */
	} else {
		e_mov_imm64(a, H_RSI, (u64)(s64)in->disp);
	}
	if (in->index < 16) {
		load_gpr(t, H_RAX, in->index, true);
		if (in->scale) { /* shl rax, scale */
			e_rex(a, true, 0, 0, H_RAX, false);
			e_u8(a, 0xc1);
			e_u8(a, 0xe0);
			e_u8(a, in->scale);
		}
		e_op_rr(a, true, 0x01, H_RAX, H_RSI); /* add rsi, rax */
	}
	if (in->seg == SEG_FS || in->seg == SEG_GS)
		e_op_mem(a, true, 0x03, H_RSI, H_RBX, JIT_OFF_SEG_BASE(in->seg)); /* add rsi, base */
	return true;
}

/*
 * TLB lookup for [rsi, rsi+size): on a hit leaves the host address in rdx,
 * on a miss jumps to a slow stub (registered by the caller with the
 * returned rel32 address).
 */
static u8 *emit_tlb(struct jit_ctx *t, unsigned size, int acc)
{
	struct jit_asm *a = t->a;
	const struct x86_tlb_entry *e = &t->cpu->tlb->e[t->user][acc][0];
	u8 *at;

	e_op_mem(a, true, 0x8d, H_RAX, H_RSI, (s32)size - 1); /* lea rax, [rsi + size-1] */
	e_rex(a, true, 0, 0, H_RAX, false);                  /* and rax, ~0xfff */
	e_u8(a, 0x25);
	e_u32(a, 0xfffff000u);
	e_op_rr(a, true, 0x89, H_RSI, H_RCX);               /* mov rcx, rsi */
	e_rex(a, true, 0, 0, H_RCX, false);                  /* shr rcx, 12 - log2(entry size) */
	e_u8(a, 0xc1);
	e_u8(a, 0xe9);
	e_u8(a, 12 - 4);
	e_u8(a, 0x81);                                       /* and ecx, (SIZE-1) << 4 */
	e_u8(a, 0xe1);
	e_u32(a, (X86_TLB_SIZE - 1) << 4);
	e_mov_imm64(a, H_RDX, (u64)(uintptr_t)e);
	e_op_rr(a, true, 0x01, H_RCX, H_RDX);               /* add rdx, rcx */
	e_op_mem(a, true, 0x3b, H_RAX, H_RDX, 0);            /* cmp rax, [rdx] (tag) */
	at = e_jcc32(a, HC_NE);
	e_load64(a, H_RDX, H_RDX, (s32)offsetof(struct x86_tlb_entry, addend));
	e_op_rr(a, true, 0x01, H_RSI, H_RDX);               /* add rdx, rsi */
	return at;
}

/*
 * The segment the slow path is told: rsi already holds the linear address
 * (emit_ea added any FS/GS base), and in 64-bit mode DS adds no base and
 * checks what FS and GS check (canonical form, #GP).
 */
static u8 slow_seg(unsigned seg)
{
	return (u8)(seg == SEG_FS || seg == SEG_GS ? SEG_DS : seg);
}

/* rax = zero-extended load of `size` bytes at the address in rsi (seg for the slow path). */
static void emit_read(struct jit_ctx *t, unsigned seg, unsigned size)
{
	struct jit_asm *a = t->a;
	u8 *at = emit_tlb(t, size, X86_ACC_READ);

	switch (size) {
	case 1: e_op0f_mem(a, false, 0xb6, H_RAX, H_RDX, 0); break;
	case 2: e_op0f_mem(a, false, 0xb7, H_RAX, H_RDX, 0); break;
	case 4: e_op_mem(a, false, 0x8b, H_RAX, H_RDX, 0); break;
	default: e_op_mem(a, true, 0x8b, H_RAX, H_RDX, 0); break;
	}
	jit_add_slow(t, at, a->p, slow_seg(seg), (u8)size, false);
}

/* Store the low `size` bytes of r8 at the address in rsi. */
static void emit_write(struct jit_ctx *t, unsigned seg, unsigned size)
{
	struct jit_asm *a = t->a;
	u8 *at = emit_tlb(t, size, X86_ACC_WRITE);

	switch (size) {
	case 1: e_op_mem(a, false, 0x88, H_R8, H_RDX, 0); break;
	case 2: e_u8(a, 0x66); e_op_mem(a, false, 0x89, H_R8, H_RDX, 0); break;
	case 4: e_op_mem(a, false, 0x89, H_R8, H_RDX, 0); break;
	default: e_op_mem(a, true, 0x89, H_R8, H_RDX, 0); break;
	}
	jit_add_slow(t, at, a->p, slow_seg(seg), (u8)size, true);
}

/* After a template that stored to memory: the slow path may have dropped this block's code. */
static void emit_end_block_test(struct jit_ctx *t, const struct x86_insn *in)
{
	e_cmp_mem8_imm(t->a, H_RBX, JIT_OFF_END_BLOCK, 0);
	jit_exit_if_ended(t, HC_NE, t->off + in->len, t->k + 1);
}

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

	e_store64(a, H_RAX, H_RBX, JIT_OFF_LF(src1));
	e_store64(a, H_RCX, H_RBX, JIT_OFF_LF(src2));
	e_store_imm16(a, H_RBX, JIT_OFF_LF(op), (u16)(lop | (size << 8)));
	e_op_rr(a, w, 0x89, H_RAX, H_RDX);          /* mov rdx, rax */
	/* rdx op= rcx (dl op= cl for bytes: the upper bits of the zero-extended a stay 0) */
	e_op_rr(a, w, (u8)(alu_host_op[op] - (size == 1)), H_RCX, H_RDX);
	e_store64(a, H_RDX, H_RBX, JIT_OFF_LF(res));  /* mov keeps the flags */
	t->flags_live = true;
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
static bool emit_test_cmp8_insn(struct jit_ctx *t, const struct x86_insn *in)
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
		if (reg || (in->reg & 7) != 7 || !emit_ea(t, in))
			return false;
		emit_read(t, in->seg, 1);
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
			load_gpr(t, H_RAX, in->rm, size == 8);
		}
	} else {
		if (!emit_ea(t, in))
			return false;
		emit_read(t, in->seg, size);
	}
	e_mov_imm64(t->a, H_RCX, size == 8 ? in->imm : size == 4 ? (u32)in->imm : in->imm & 0xff);
	emit_alu(t, F_TEST, size);
	return true;
}

static int alu_op_of(u8 opcode)
{
	static const signed char ops[8] = { F_ADD, F_OR, -1, -1, F_AND, F_SUB, F_XOR, F_CMP };

	if (opcode == 0x85)
		return F_TEST;
	if (opcode >= 0x40 || ((opcode & 7) != 1 && (opcode & 7) != 3))
		return -1;
	return ops[opcode >> 3];
}

static bool writes(int op) { return op != F_CMP && op != F_TEST; }

static bool emit_alu_insn(struct jit_ctx *t, const struct x86_insn *in)
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
			load_gpr(t, H_RAX, in->rm, w);
			e_mov_imm64(t->a, H_RCX, w ? in->imm : (u32)in->imm);
			emit_alu(t, op, size);
			if (writes(op))
				store_gpr(t, H_RDX, in->rm);
			return true;
		}
		/* MI: CMP [mem], imm */
		if (!emit_ea(t, in))
			return false;
		emit_read(t, in->seg, size);
		e_mov_imm64(t->a, H_RCX, w ? in->imm : (u32)in->imm);
		emit_alu(t, op, size);
		return true;
	}
	op = alu_op_of(in->opcode);
	if (op < 0)
		return false;
	if (reg) {
		unsigned d = (in->opcode & 2) ? in->reg : in->rm, s = (in->opcode & 2) ? in->rm : in->reg;

		load_gpr(t, H_RAX, d, w);
		load_gpr(t, H_RCX, s, w);
		emit_alu(t, op, size);
		if (writes(op))
			store_gpr(t, H_RDX, d);
		return true;
	}
	if (!emit_ea(t, in))
		return false;
	emit_read(t, in->seg, size);
	if (in->opcode & 2) { /* GM: reg op= [mem] */
		e_op_rr(t->a, true, 0x89, H_RAX, H_RCX); /* rcx = b */
		load_gpr(t, H_RAX, in->reg, w);
		emit_alu(t, op, size);
		if (writes(op))
			store_gpr(t, H_RDX, in->reg);
		return true;
	}
	/* MG: CMP/TEST [mem], reg */
	load_gpr(t, H_RCX, in->reg, w);
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
static bool emit_rmw_insn(struct jit_ctx *t, const struct x86_insn *in)
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
		op = (in->opcode & 7) == 1 ? alu_op_of(in->opcode) : -1;
	if (op < 0 || op == F_CMP || op == F_TEST)
		return false;
	if (!emit_ea(t, in))
		return false;
	e_op_rr(a, true, 0x89, H_RSI, H_R13);                 /* mov r13, rsi */
	emit_read(t, in->seg, size);
	if (in->opcode >= 0x80)
		e_mov_imm64(a, H_RCX, size == 8 ? in->imm : size == 4 ? (u32)in->imm : in->imm & 0xff);
	else
		load_gpr(t, H_RCX, in->reg, w);
	e_push(a, H_RAX);
	e_push(a, H_RCX);
	e_op_rr(a, w, 0x89, H_RAX, H_R8);                     /* mov r8, rax */
	e_op_rr(a, w, (u8)(alu_host_op[op] - (size == 1)), H_RCX, H_R8); /* r8 op= rcx */
	e_op_rr(a, true, 0x89, H_R13, H_RSI);                 /* mov rsi, r13 */
	emit_write(t, in->seg, size);
	e_pop(a, H_RCX);
	e_pop(a, H_RAX);
	emit_alu(t, op, size);
	emit_end_block_test(t, in);
	t->flags_live = false; /* the test above compared */
	return true;
}

/* ADD/OR/AND/SUB/XOR/CMP rAX, Iz (05 0D 25 2D 35 3D), TEST rAX, Iz (A9); CMP/TEST AL, Ib (3C A8). */
static bool emit_acc_imm_insn(struct jit_ctx *t, const struct x86_insn *in)
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
		load_gpr(t, H_RAX, GPR_RAX, size == 8);
	e_mov_imm64(t->a, H_RCX, size == 8 ? in->imm : size == 4 ? (u32)in->imm : in->imm & 0xff);
	emit_alu(t, op, size);
	if (writes(op))
		store_gpr(t, H_RDX, GPR_RAX);
	return true;
}

/*
 * SHL/SHR/SAR r32/r64 by an immediate or 1 (C1 and D1 /4 /5 /7, fast.c's
 * shift()): flags are eager, as there: CF, ZF, SF, PF from the host's own
 * shift, OF by fast.c's rule for every count (SHL: MSB(result) ^ CF; SHR:
 * MSB(source); SAR: 0), AF clear, the lazy record emptied. A zero count
 * only writes (zero-extends) the register.
 */
static bool emit_shift_insn(struct jit_ctx *t, const struct x86_insn *in)
{
	struct jit_asm *a = t->a;
	unsigned g = in->reg & 7, bits = in->opsize * 8;
	bool w = in->opsize == 8;
	unsigned c, digit = g == 6 ? 4 : g; /* /6 is SAL, an alias of SHL */

	if (in->opcode == 0xd3 || in->mod != 3 || (digit != 4 && digit != 5 && digit != 7))
		return false;
	c = in->opcode == 0xd1 ? 1 : (unsigned)in->imm & (bits - 1);
	load_gpr(t, H_RAX, in->rm, w);
	if (c == 0) {
		store_gpr(t, H_RAX, in->rm);
		return true;
	}
	e_op_rr(a, w, 0x89, H_RAX, H_RDX);             /* mov rdx, rax */
	e_rex(a, w, 0, 0, H_RDX, false);                /* shl/shr/sar rdx, c */
	e_u8(a, 0xc1);
	e_u8(a, (u8)(0xc0 | (digit << 3) | H_RDX));
	e_u8(a, (u8)c);
	store_gpr(t, H_RDX, in->rm);
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

			load_gpr(t, H_RAX, s, w);
			store_gpr(t, H_RAX, d);
			return true;
		}
		if (!emit_ea(t, in))
			return false;
		if (in->opcode == 0x8b) {
			emit_read(t, in->seg, w ? 8 : 4);
			store_gpr(t, H_RAX, in->reg);
			return true;
		}
		load_gpr(t, H_R8, in->reg, true);
		emit_write(t, in->seg, w ? 8 : 4);
		emit_end_block_test(t, in);
		return true;
	case 0xc7: /* MOV Ev, Iz (memory) */
		if (!emit_ea(t, in))
			return false;
		e_mov_imm64(a, H_R8, in->imm);
		emit_write(t, in->seg, w ? 8 : 4);
		emit_end_block_test(t, in);
		return true;
	case 0xc6: /* MOV Eb, Ib (memory) */
		if (!emit_ea(t, in))
			return false;
		e_mov_imm64(a, H_R8, in->imm & 0xff);
		emit_write(t, in->seg, 1);
		emit_end_block_test(t, in);
		return true;
	case 0xb8 ... 0xbf:
		e_mov_imm64(a, H_RAX, w ? in->imm : (u32)in->imm);
		store_gpr(t, H_RAX, in->opreg);
		return true;
	case 0x8d: /* LEA: the address without a segment base */
		if (in->seg == SEG_FS || in->seg == SEG_GS)
			return false;
		if (!emit_ea(t, in))
			return false;
		if (!w)
			e_op_rr(a, false, 0x89, H_RSI, H_RSI); /* mov esi, esi */
		store_gpr(t, H_RSI, in->reg);
		return true;
	case 0x63: /* MOVSXD Gq, Ed */
		if (reg) {
			e_op_mem(a, true, 0x63, H_RAX, H_RBX, JIT_OFF_GPR(in->rm));
		} else {
			if (!emit_ea(t, in))
				return false;
			emit_read(t, in->seg, 4);
			e_op_rr(a, true, 0x63, H_RAX, H_RAX); /* movsxd rax, eax */
		}
		store_gpr(t, H_RAX, in->reg);
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
		if (!emit_ea(t, in))
			return false;
		emit_read(t, in->seg, size);
	}
	store_gpr(t, H_RAX, in->reg);
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
static void emit_lazy_cond(struct jit_ctx *t, unsigned cc, u32 target)
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
		emit_lazy_cond(t, cc, (u32)target);
		return true;
	}
	jit_exit_if(t, (int)cc, (u32)target, t->k + 1);
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
		jit_exit_if(t, -1, (u32)target, t->k + 1);
		return true;
	case 0xe8: /* CALL rel: push the return address, then jump */
		if (!fits_s32(target))
			return false;
		load_gpr(t, H_RSI, GPR_RSP, true);
		e_op_mem(a, true, 0x8d, H_RSI, H_RSI, -8);
		e_lea(a, H_R8, H_R12, (s32)fall);
		emit_write(t, SEG_SS, 8);
		e_op_mem(a, true, 0x83, 5, H_RBX, JIT_OFF_GPR(GPR_RSP)); /* sub qword [rsp], 8 */
		e_u8(a, 8);
		/* The stack write may have dropped code; the jump leaves the block either way. */
		jit_exit_if(t, -1, (u32)target, t->k + 1);
		return true;
	case 0xc3: /* RET */
		load_gpr(t, H_RSI, GPR_RSP, true);
		emit_read(t, SEG_SS, 8);
		e_op_mem(a, true, 0x83, 0, H_RBX, JIT_OFF_GPR(GPR_RSP)); /* add qword [rsp], 8 */
		e_u8(a, 8);
		e_store64(a, H_RAX, H_RBX, JIT_OFF_RIP);
		jit_exit_indirect(t, t->k + 1);
		return true;
	case 0x50 ... 0x57: /* PUSH r64 */
		load_gpr(t, H_RSI, GPR_RSP, true);
		e_op_mem(a, true, 0x8d, H_RSI, H_RSI, -8);
		load_gpr(t, H_R8, in->opreg, true);
		emit_write(t, SEG_SS, 8);
		e_op_mem(a, true, 0x83, 5, H_RBX, JIT_OFF_GPR(GPR_RSP));
		e_u8(a, 8);
		emit_end_block_test(t, in);
		return true;
	case 0x58 ... 0x5f: /* POP r64: RSP is incremented before the value lands (POP RSP) */
		load_gpr(t, H_RSI, GPR_RSP, true);
		emit_read(t, SEG_SS, 8);
		e_op_mem(a, true, 0x83, 0, H_RBX, JIT_OFF_GPR(GPR_RSP));
		e_u8(a, 8);
		store_gpr(t, H_RAX, in->opreg);
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
		return true;
	/* TEST Eb/Ev, imm: the generic group 3 handler (no fast.c form), registered in every column. */
	if (in->map == X86_MAP_1B && (in->opcode == 0xf6 || in->opcode == 0xf7) &&
	    !(in->prefix & X86_PFX_LOCK) &&
	    in->op == x86_optable_get()->fn[X86_MAP_1B][in->opcode][X86_MP_NONE])
		return (t->flags_live = emit_test_cmp8_insn(t, in));
	/* Generic handlers with templates: the slot's own handler (no mandatory-prefix variant). */
	if (in->map == X86_MAP_1B && in->op == x86_optable_get()->fn[X86_MAP_1B][in->opcode][X86_MP_NONE]) {
		unsigned o = in->opcode;

		/* Ev,Gv / Ev,Iz / Ev,Ib / Eb,Ib on memory (register forms are fast.c's) */
		if (((o < 0x40 && (o & 7) == 1) || o == 0x80 || o == 0x81 || o == 0x83) &&
		    emit_rmw_insn(t, in))
			return true;
		if (!(in->prefix & X86_PFX_LOCK) &&
		    ((o < 0x40 && (o & 7) == 5) || o == 0x3c || o == 0xa8 || o == 0xa9))
			return (t->flags_live = emit_acc_imm_insn(t, in));
	}
	/* Only the plain forms the decoder gave to fast.c (no LOCK, 64-bit addressing, 32/64-bit). */
	if (in->op != x86_fast_select(in))
		return false;
	if (in->map == X86_MAP_0F) {
		if (in->opcode >= 0x80 && in->opcode <= 0x8f) {
			t->flags_live = live;
			ok = emit_jcc(t, in, in->opcode & 15);
		} else if (in->opcode == 0xb6 || in->opcode == 0xb7) {
			ok = emit_movzx_insn(t, in);
		}
	} else if (in->map == X86_MAP_1B) {
		switch (in->opcode) {
		case 0x70 ... 0x7f:
			t->flags_live = live;
			ok = emit_jcc(t, in, in->opcode & 15);
			break;
		case 0x00 ... 0x3f:
		case 0x81:
		case 0x83:
		case 0x85:
			ok = emit_alu_insn(t, in);
			break;
		case 0x80:
		case 0x84:
			ok = emit_test_cmp8_insn(t, in);
			break;
		case 0xc1:
		case 0xd1:
			ok = emit_shift_insn(t, in);
			break;
		case 0x89: case 0x8b: case 0xc7: case 0xc6: case 0xb8 ... 0xbf: case 0x8d: case 0x63:
			ok = emit_mov_insn(t, in);
			break;
		case 0xeb: case 0xe9: case 0xe8: case 0xc3: case 0x50 ... 0x5f:
			ok = emit_branch_insn(t, in);
			break;
		default:
			break;
		}
	}
	if (!ok)
		t->flags_live = false;
	return ok;
}
