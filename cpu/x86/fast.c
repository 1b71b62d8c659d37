/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Specialised handlers for the hottest integer forms in 64-bit mode, chosen
 * once at decode time (x86_fast_select, called by decode.c) in place of the
 * generic family handlers, which switch on operand size, ModRM form and
 * mode on every execution.
 *
 * Each handler here does exactly what the generic one does for the one
 * form it serves (same results, same lazy-flag record, same fault order:
 * memory is written before registers), just without the switches: the
 * operand size, register-or-memory and mode are known. Only forms without
 * LOCK, in 64-bit mode, whose table slot holds the plain (no mandatory
 * prefix) handler are specialised; everything else keeps the generic path,
 * so the family files stay the reference for semantics.
 *
 * This is also the natural seam for a later JIT: the same selection can
 * pick code templates instead of functions.
 *
 * References: Intel SDM Vol. 2A-2D instruction pages for MOV, MOVZX, MOVSXD,
 * LEA, ADD, SUB, CMP, AND, OR, XOR, TEST, IMUL, SAL/SAR/SHL/SHR, Jcc, JMP,
 * CALL, RET, PUSH, POP;
 * Vol. 1 3.4.3 (flags), 6.2-6.3 (stack, near calls).
 */
#include "cpu/x86/exec.h"

/* ---- MOV / MOVZX / MOVSXD / LEA ---- */

static void op_mov_r64_r64(struct x86_cpu *cpu, const struct x86_insn *in)
{
	cpu->gpr[in->rm] = cpu->gpr[in->reg];
}

static void op_mov_G64_rm(struct x86_cpu *cpu, const struct x86_insn *in)
{
	cpu->gpr[in->reg] = cpu->gpr[in->rm];
}

static void op_mov_G32_rm(struct x86_cpu *cpu, const struct x86_insn *in)
{
	cpu->gpr[in->reg] = (u32)cpu->gpr[in->rm];
}

static void op_mov_E32_reg(struct x86_cpu *cpu, const struct x86_insn *in)
{
	cpu->gpr[in->rm] = (u32)cpu->gpr[in->reg];
}

static void op_mov_G64_M(struct x86_cpu *cpu, const struct x86_insn *in)
{
	cpu->gpr[in->reg] = x86_read64(cpu, in->seg, x86_ea(cpu, in));
}

static void op_mov_G32_M(struct x86_cpu *cpu, const struct x86_insn *in)
{
	cpu->gpr[in->reg] = x86_read32(cpu, in->seg, x86_ea(cpu, in));
}

static void op_mov_M64_G(struct x86_cpu *cpu, const struct x86_insn *in)
{
	x86_write64(cpu, in->seg, x86_ea(cpu, in), cpu->gpr[in->reg]);
}

static void op_mov_M32_G(struct x86_cpu *cpu, const struct x86_insn *in)
{
	x86_write32(cpu, in->seg, x86_ea(cpu, in), (u32)cpu->gpr[in->reg]);
}

static void op_mov_M8_G(struct x86_cpu *cpu, const struct x86_insn *in)
{
	x86_write8(cpu, in->seg, x86_ea(cpu, in), x86_get_reg8(cpu, in->rex != 0, in->reg));
}

static void op_mov_G8_M(struct x86_cpu *cpu, const struct x86_insn *in)
{
	u8 v = x86_read8(cpu, in->seg, x86_ea(cpu, in));

	x86_set_reg8(cpu, in->rex != 0, in->reg, v);
}

static void op_mov_M64_I(struct x86_cpu *cpu, const struct x86_insn *in)
{
	x86_write64(cpu, in->seg, x86_ea(cpu, in), in->imm);
}

static void op_mov_M32_I(struct x86_cpu *cpu, const struct x86_insn *in)
{
	x86_write32(cpu, in->seg, x86_ea(cpu, in), (u32)in->imm);
}

static void op_mov_M8_I(struct x86_cpu *cpu, const struct x86_insn *in)
{
	x86_write8(cpu, in->seg, x86_ea(cpu, in), (u8)in->imm);
}

static void op_mov_r64_I(struct x86_cpu *cpu, const struct x86_insn *in)
{
	cpu->gpr[in->opreg] = in->imm;
}

static void op_mov_r32_I(struct x86_cpu *cpu, const struct x86_insn *in)
{
	cpu->gpr[in->opreg] = (u32)in->imm;
}

/* MOVZX Gv, Eb and Gv, Ew with a 32- or 64-bit destination: both zero-extend fully. */
static void op_movzx_G_M8(struct x86_cpu *cpu, const struct x86_insn *in)
{
	cpu->gpr[in->reg] = x86_read8(cpu, in->seg, x86_ea(cpu, in));
}

static void op_movzx_G_r8(struct x86_cpu *cpu, const struct x86_insn *in)
{
	cpu->gpr[in->reg] = x86_get_reg8(cpu, in->rex != 0, in->rm);
}

static void op_movzx_G_M16(struct x86_cpu *cpu, const struct x86_insn *in)
{
	cpu->gpr[in->reg] = x86_read16(cpu, in->seg, x86_ea(cpu, in));
}

static void op_movzx_G_r16(struct x86_cpu *cpu, const struct x86_insn *in)
{
	cpu->gpr[in->reg] = (u16)cpu->gpr[in->rm];
}

static void op_movsxd_G64_M(struct x86_cpu *cpu, const struct x86_insn *in)
{
	cpu->gpr[in->reg] = (u64)(s64)(s32)x86_read32(cpu, in->seg, x86_ea(cpu, in));
}

static void op_movsxd_G64_r(struct x86_cpu *cpu, const struct x86_insn *in)
{
	cpu->gpr[in->reg] = (u64)(s64)(s32)cpu->gpr[in->rm];
}

static void op_lea_G64(struct x86_cpu *cpu, const struct x86_insn *in)
{
	cpu->gpr[in->reg] = x86_ea(cpu, in);
}

static void op_lea_G32(struct x86_cpu *cpu, const struct x86_insn *in)
{
	cpu->gpr[in->reg] = (u32)x86_ea(cpu, in);
}

/* ---- ADD SUB CMP AND OR XOR TEST, 32/64-bit ---- */

enum { F_ADD = X86_ALU_ADD, F_OR = X86_ALU_OR, F_AND = X86_ALU_AND, F_SUB = X86_ALU_SUB,
       F_XOR = X86_ALU_XOR, F_CMP = X86_ALU_CMP, F_TEST = X86_ALU_TEST };

static inline __attribute__((always_inline)) u64 fmask(unsigned size)
{
	return size == 8 ? ~0ULL : 0xffffffffULL;
}

/* a op b with the lazy-flag record alu.c makes; returns the result (unused for CMP/TEST). */
static inline __attribute__((always_inline)) u64 alu(struct x86_cpu *cpu, int op, unsigned size,
						     u64 a, u64 b)
{
	u64 r;

	switch (op) {
	case F_ADD:
		r = (a + b) & fmask(size);
		x86_lazy(cpu, X86_LF_ADD, size, r, a, b);
		return r;
	case F_SUB:
	case F_CMP:
		r = (a - b) & fmask(size);
		x86_lazy(cpu, X86_LF_SUB, size, r, a, b);
		return r;
	case F_OR: r = a | b; break;
	case F_AND:
	case F_TEST: r = a & b; break;
	default: r = a ^ b; break;
	}
	x86_lazy(cpu, X86_LF_LOGIC, size, r, a, b);
	return r;
}

static inline __attribute__((always_inline)) bool writes(int op)
{
	return op != F_CMP && op != F_TEST;
}

/*
 * Forms: ER  Ev,Gv with mod == 3 (dest rm)     GE  Gv,Ev with mod == 3 (dest reg)
 *        GM  Gv,Ev from memory (dest reg)      MG  CMP/TEST Ev,Gv on memory (no write)
 *        EI  group 1 on a register             MI  CMP Ev,I on memory
 */
#define ALU_FAST(name, OP, bits)                                                               \
	static void op_##name##_ER##bits(struct x86_cpu *cpu, const struct x86_insn *in)      \
	{                                                                                      \
		u64 r = alu(cpu, OP, bits / 8, cpu->gpr[in->rm] & fmask(bits / 8),            \
			    cpu->gpr[in->reg] & fmask(bits / 8));                              \
		if (writes(OP))                                                                \
			cpu->gpr[in->rm] = r;                                                  \
	}                                                                                      \
	static void op_##name##_GE##bits(struct x86_cpu *cpu, const struct x86_insn *in)      \
	{                                                                                      \
		u64 r = alu(cpu, OP, bits / 8, cpu->gpr[in->reg] & fmask(bits / 8),           \
			    cpu->gpr[in->rm] & fmask(bits / 8));                               \
		if (writes(OP))                                                                \
			cpu->gpr[in->reg] = r;                                                 \
	}                                                                                      \
	static void op_##name##_GM##bits(struct x86_cpu *cpu, const struct x86_insn *in)      \
	{                                                                                      \
		u64 b = x86_read##bits(cpu, in->seg, x86_ea(cpu, in));                         \
		u64 r = alu(cpu, OP, bits / 8, cpu->gpr[in->reg] & fmask(bits / 8), b);        \
		if (writes(OP))                                                                \
			cpu->gpr[in->reg] = r;                                                 \
	}                                                                                      \
	static void op_##name##_MG##bits(struct x86_cpu *cpu, const struct x86_insn *in)      \
	{                                                                                      \
		u64 a = x86_read##bits(cpu, in->seg, x86_ea(cpu, in));                         \
		alu(cpu, OP, bits / 8, a, cpu->gpr[in->reg] & fmask(bits / 8));                \
	}                                                                                      \
	static void op_##name##_EI##bits(struct x86_cpu *cpu, const struct x86_insn *in)      \
	{                                                                                      \
		u64 r = alu(cpu, OP, bits / 8, cpu->gpr[in->rm] & fmask(bits / 8),            \
			    in->imm & fmask(bits / 8));                                        \
		if (writes(OP))                                                                \
			cpu->gpr[in->rm] = r;                                                  \
	}                                                                                      \
	static void op_##name##_MI##bits(struct x86_cpu *cpu, const struct x86_insn *in)      \
	{                                                                                      \
		u64 a = x86_read##bits(cpu, in->seg, x86_ea(cpu, in));                         \
		alu(cpu, OP, bits / 8, a, in->imm & fmask(bits / 8));                          \
	}

#define ALU_FAST_BOTH(name, OP) ALU_FAST(name, OP, 32) ALU_FAST(name, OP, 64)
ALU_FAST_BOTH(add, F_ADD)
ALU_FAST_BOTH(or, F_OR)
ALU_FAST_BOTH(and, F_AND)
ALU_FAST_BOTH(sub, F_SUB)
ALU_FAST_BOTH(xor, F_XOR)
ALU_FAST_BOTH(cmp, F_CMP)
ALU_FAST_BOTH(test, F_TEST)

/* One row per operation: [form][size 32, 64]. */
struct alu_row {
	x86_op_fn *er[2], *ge[2], *gm[2], *mg[2], *ei[2], *mi[2];
};
#define ALU_ROW(name)                                                                          \
	{ { op_##name##_ER32, op_##name##_ER64 }, { op_##name##_GE32, op_##name##_GE64 },       \
	  { op_##name##_GM32, op_##name##_GM64 }, { op_##name##_MG32, op_##name##_MG64 },       \
	  { op_##name##_EI32, op_##name##_EI64 }, { op_##name##_MI32, op_##name##_MI64 } }
static const struct alu_row alu_rows[] = {
	[F_ADD] = ALU_ROW(add), [F_OR] = ALU_ROW(or),   [F_AND] = ALU_ROW(and),
	[F_SUB] = ALU_ROW(sub), [F_XOR] = ALU_ROW(xor), [F_CMP] = ALU_ROW(cmp),
	[F_TEST] = ALU_ROW(test),
};

/* TEST Eb, Gb and CMP Eb, Ib: byte forms common in string and flag loops. */
static void op_test_r8_r8(struct x86_cpu *cpu, const struct x86_insn *in)
{
	u64 a = x86_get_reg8(cpu, in->rex != 0, in->rm), b = x86_get_reg8(cpu, in->rex != 0, in->reg);

	x86_lazy(cpu, X86_LF_LOGIC, 1, a & b, a, b);
}

static void op_cmp_M8_I(struct x86_cpu *cpu, const struct x86_insn *in)
{
	u64 a = x86_read8(cpu, in->seg, x86_ea(cpu, in)), b = in->imm & 0xff;

	x86_lazy(cpu, X86_LF_SUB, 1, (a - b) & 0xff, a, b);
}

/* ---- IMUL and shifts: eager flags as muldiv.c and shift.c set them ---- */

/* SF, ZF, PF of a result masked to `size` bytes; AF and the rest are 0. */
static inline __attribute__((always_inline)) u64 szp(u64 r, unsigned size)
{
	u64 f = 0;

	if (r == 0)
		f |= X86_ZF;
	if ((r >> (size * 8 - 1)) & 1)
		f |= X86_SF;
	if (x86_parity(r))
		f |= X86_PF;
	return f;
}

/* CF = OF = the signed product did not fit the destination. */
static inline __attribute__((always_inline)) void imul(struct x86_cpu *cpu, unsigned r,
						      unsigned size, u64 a, u64 b)
{
	u64 lo;
	bool wide;

	if (size == 8) {
		s64 p;

		wide = __builtin_mul_overflow((s64)a, (s64)b, &p);
		lo = (u64)p;
	} else {
		s64 p = (s64)(s32)a * (s64)(s32)b;

		lo = (u32)p;
		wide = p != (s64)(s32)lo;
	}
	cpu->gpr[r] = lo;
	x86_set_arith_flags(cpu, szp(lo, size) | (wide ? X86_CF | X86_OF : 0));
}

#define IMUL_FAST(bits)                                                                        \
	static void op_imul_G_r##bits(struct x86_cpu *cpu, const struct x86_insn *in)         \
	{                                                                                      \
		imul(cpu, in->reg, bits / 8, cpu->gpr[in->reg], cpu->gpr[in->rm]);             \
	}                                                                                      \
	static void op_imul_G_M##bits(struct x86_cpu *cpu, const struct x86_insn *in)         \
	{                                                                                      \
		u64 b = x86_read##bits(cpu, in->seg, x86_ea(cpu, in));                         \
		imul(cpu, in->reg, bits / 8, cpu->gpr[in->reg], b);                            \
	}                                                                                      \
	static void op_imul_G_r##bits##_I(struct x86_cpu *cpu, const struct x86_insn *in)     \
	{                                                                                      \
		imul(cpu, in->reg, bits / 8, cpu->gpr[in->rm], in->imm);                       \
	}                                                                                      \
	static void op_imul_G_M##bits##_I(struct x86_cpu *cpu, const struct x86_insn *in)     \
	{                                                                                      \
		u64 a = x86_read##bits(cpu, in->seg, x86_ea(cpu, in));                         \
		imul(cpu, in->reg, bits / 8, a, in->imm);                                      \
	}
IMUL_FAST(32)
IMUL_FAST(64)

enum { S_SHL = 4, S_SHR = 5, S_SAR = 7 };

/*
 * SHL/SHR/SAR of a register by a count already masked to 5 or 6 bits, so
 * 0 <= c < operand width. A zero count changes no flag but still writes
 * (zero-extends) a 32-bit register. OF uses the count-1 formula for every
 * count and AF is cleared, as shift.c does.
 */
static inline __attribute__((always_inline)) void shift(struct x86_cpu *cpu, unsigned rm, int op,
						       unsigned size, unsigned c)
{
	unsigned n = size * 8;
	u64 a = cpu->gpr[rm] & fmask(size), r, f;

	if (!c) {
		cpu->gpr[rm] = a;
		return;
	}
	switch (op) {
	case S_SHR:
		r = a >> c;
		f = ((a >> (c - 1)) & 1) | (((a >> (n - 1)) & 1) ? X86_OF : 0);
		break;
	case S_SAR:
		r = (u64)(size == 8 ? (s64)a >> c : (s64)(s32)a >> c) & fmask(size);
		f = size == 8 ? ((u64)((s64)a >> (c - 1)) & 1) : ((u64)((s64)(s32)a >> (c - 1)) & 1);
		break;
	default: {
		u64 cf = (a >> (n - c)) & 1;

		r = (a << c) & fmask(size);
		f = cf | ((((r >> (n - 1)) & 1) ^ cf) ? X86_OF : 0);
		break;
	}
	}
	cpu->gpr[rm] = r;
	x86_set_arith_flags(cpu, szp(r, size) | f);
}

#define SHIFT_FAST(name, OP, bits)                                                             \
	static void op_##name##_r##bits##_Ib(struct x86_cpu *cpu, const struct x86_insn *in)  \
	{                                                                                      \
		shift(cpu, in->rm, OP, bits / 8, (unsigned)in->imm & (bits - 1));              \
	}                                                                                      \
	static void op_##name##_r##bits##_1(struct x86_cpu *cpu, const struct x86_insn *in)   \
	{                                                                                      \
		shift(cpu, in->rm, OP, bits / 8, 1);                                           \
	}                                                                                      \
	static void op_##name##_r##bits##_CL(struct x86_cpu *cpu, const struct x86_insn *in)  \
	{                                                                                      \
		shift(cpu, in->rm, OP, bits / 8, (unsigned)cpu->gpr[GPR_RCX] & (bits - 1));    \
	}
SHIFT_FAST(shl, S_SHL, 32)
SHIFT_FAST(shl, S_SHL, 64)
SHIFT_FAST(shr, S_SHR, 32)
SHIFT_FAST(shr, S_SHR, 64)
SHIFT_FAST(sar, S_SAR, 32)
SHIFT_FAST(sar, S_SAR, 64)

/* [op: SHL, SHR, SAR][count form: Ib, 1, CL][size 32, 64] */
static x86_op_fn *const shift_fast[3][3][2] = {
	{ { op_shl_r32_Ib, op_shl_r64_Ib }, { op_shl_r32_1, op_shl_r64_1 },
	  { op_shl_r32_CL, op_shl_r64_CL } },
	{ { op_shr_r32_Ib, op_shr_r64_Ib }, { op_shr_r32_1, op_shr_r64_1 },
	  { op_shr_r32_CL, op_shr_r64_CL } },
	{ { op_sar_r32_Ib, op_sar_r64_Ib }, { op_sar_r32_1, op_sar_r64_1 },
	  { op_sar_r32_CL, op_sar_r64_CL } },
};

/* ---- Jcc, JMP, CALL, RET, PUSH, POP ---- */

static inline __attribute__((always_inline)) u64 lmask(unsigned size)
{
	return size >= 8 ? ~0ULL : (1ULL << (size * 8)) - 1;
}

/* x86_cond() for a constant cc, with the CMP/SUB and logic cases inline. */
static inline __attribute__((always_inline)) bool cond(struct x86_cpu *cpu, unsigned cc)
{
	const struct x86_lazy_flags *lf = &cpu->lf;
	unsigned size = lf->size;
	bool r;

	if (lf->op == X86_LF_SUB) {
		u64 m = lmask(size), a = lf->src1 & m, b = lf->src2 & m;
		unsigned sh = 64 - size * 8;

		switch (cc >> 1) {
		case 1: r = a < b; return r ^ (cc & 1);
		case 2: r = a == b; return r ^ (cc & 1);
		case 3: r = a <= b; return r ^ (cc & 1);
		case 6: r = (s64)(a << sh) < (s64)(b << sh); return r ^ (cc & 1);
		case 7: r = (s64)(a << sh) <= (s64)(b << sh); return r ^ (cc & 1);
		default: break;
		}
	} else if (lf->op == X86_LF_LOGIC) {
		u64 res = lf->res & lmask(size);

		switch (cc >> 1) {
		case 2: r = res == 0; return r ^ (cc & 1);
		case 4:
		case 6: r = (res >> (size * 8 - 1)) & 1; return r ^ (cc & 1);
		default: break;
		}
	}
	return x86_cond(cpu, cc);
}

#define JCC_FAST(cc)                                                                           \
	static void op_jcc_##cc(struct x86_cpu *cpu, const struct x86_insn *in)                \
	{                                                                                      \
		if (cond(cpu, cc))                                                             \
			cpu->next_rip += in->imm;                                              \
	}
JCC_FAST(0) JCC_FAST(1) JCC_FAST(2) JCC_FAST(3) JCC_FAST(4) JCC_FAST(5) JCC_FAST(6) JCC_FAST(7)
JCC_FAST(8) JCC_FAST(9) JCC_FAST(10) JCC_FAST(11) JCC_FAST(12) JCC_FAST(13) JCC_FAST(14)
JCC_FAST(15)
static x86_op_fn *const jcc_fast[16] = {
	op_jcc_0, op_jcc_1, op_jcc_2,  op_jcc_3,  op_jcc_4,  op_jcc_5,  op_jcc_6,  op_jcc_7,
	op_jcc_8, op_jcc_9, op_jcc_10, op_jcc_11, op_jcc_12, op_jcc_13, op_jcc_14, op_jcc_15,
};

static void op_jmp_rel(struct x86_cpu *cpu, const struct x86_insn *in)
{
	cpu->next_rip += in->imm;
}

/* Write the stack before moving RSP, so a #PF leaves RSP as it was. */
static void op_call_rel(struct x86_cpu *cpu, const struct x86_insn *in)
{
	u64 sp = cpu->gpr[GPR_RSP] - 8;

	x86_write64(cpu, SEG_SS, sp, cpu->next_rip);
	cpu->gpr[GPR_RSP] = sp;
	cpu->next_rip += in->imm;
}

static void op_ret_near(struct x86_cpu *cpu, const struct x86_insn *in)
{
	u64 sp = cpu->gpr[GPR_RSP];

	cpu->next_rip = x86_read64(cpu, SEG_SS, sp);
	cpu->gpr[GPR_RSP] = sp + 8;
}

static void op_push_r64(struct x86_cpu *cpu, const struct x86_insn *in)
{
	u64 sp = cpu->gpr[GPR_RSP] - 8;

	x86_write64(cpu, SEG_SS, sp, cpu->gpr[in->opreg]);
	cpu->gpr[GPR_RSP] = sp;
}

/* POP RSP: the increment happens first, then the popped value lands in RSP. */
static void op_pop_r64(struct x86_cpu *cpu, const struct x86_insn *in)
{
	u64 sp = cpu->gpr[GPR_RSP], v = x86_read64(cpu, SEG_SS, sp);

	cpu->gpr[GPR_RSP] = sp + 8;
	cpu->gpr[in->opreg] = v;
}

/* ---- selection ---- */

/* Map 1B ALU opcodes 00-3B (forms 1 and 3 only) and 85 to the fast rows. */
int x86_alu_op_of(u8 opcode)
{
	static const signed char ops[8] = { F_ADD, F_OR, -1, -1, F_AND, F_SUB, F_XOR, F_CMP };

	if (opcode == 0x85)
		return F_TEST;
	if (opcode >= 0x40 || ((opcode & 7) != 1 && (opcode & 7) != 3))
		return -1;
	return ops[opcode >> 3];
}

x86_op_fn *x86_fast_select(const struct x86_insn *in)
{
	bool reg = in->has_modrm && in->mod == 3;
	bool mem = in->has_modrm && in->mod != 3 && in->addrsize == 8;
	unsigned os = in->opsize, w = os == 8;
	bool v = os == 4 || os == 8;
	int op;

	if (in->prefix & X86_PFX_LOCK)
		return NULL;
	if (in->map == X86_MAP_0F) {
		switch (in->opcode) {
		case 0x80 ... 0x8f:
			return jcc_fast[in->opcode & 15];
		case 0xaf:
			if (!v)
				return NULL;
			return reg ? (w ? op_imul_G_r64 : op_imul_G_r32)
				   : mem ? (w ? op_imul_G_M64 : op_imul_G_M32) : NULL;
		case 0xb6:
			if (!v)
				return NULL;
			return reg ? op_movzx_G_r8 : mem ? op_movzx_G_M8 : NULL;
		case 0xb7:
			if (!v)
				return NULL;
			return reg ? op_movzx_G_r16 : mem ? op_movzx_G_M16 : NULL;
		default:
			return NULL;
		}
	}
	if (in->map != X86_MAP_1B)
		return NULL;
	switch (in->opcode) {
	case 0x70 ... 0x7f:
		return jcc_fast[in->opcode & 15];
	case 0xeb:
	case 0xe9:
		return op_jmp_rel;
	case 0xe8:
		return op_call_rel;
	case 0xc3:
		return op_ret_near;
	case 0x50 ... 0x57:
		return os != 2 ? op_push_r64 : NULL;
	case 0x58 ... 0x5f:
		return os != 2 ? op_pop_r64 : NULL;
	case 0x89:
		if (!v)
			return NULL;
		if (reg)
			return w ? op_mov_r64_r64 : op_mov_E32_reg;
		return mem ? (w ? op_mov_M64_G : op_mov_M32_G) : NULL;
	case 0x8b:
		if (!v)
			return NULL;
		if (reg)
			return w ? op_mov_G64_rm : op_mov_G32_rm;
		return mem ? (w ? op_mov_G64_M : op_mov_G32_M) : NULL;
	case 0x88:
		return mem ? op_mov_M8_G : NULL;
	case 0x8a:
		return mem ? op_mov_G8_M : NULL;
	case 0xc6:
		return mem && (in->reg & 7) == 0 ? op_mov_M8_I : NULL;
	case 0xc7:
		if (!v || !mem || (in->reg & 7))
			return NULL;
		return w ? op_mov_M64_I : op_mov_M32_I;
	case 0xb8 ... 0xbf:
		if (!v)
			return NULL;
		return w ? op_mov_r64_I : op_mov_r32_I;
	case 0x8d:
		if (!v || !mem)
			return NULL;
		return w ? op_lea_G64 : op_lea_G32;
	case 0x63:
		if (!w)
			return NULL;
		return reg ? op_movsxd_G64_r : mem ? op_movsxd_G64_M : NULL;
	case 0x84:
		return reg ? op_test_r8_r8 : NULL;
	case 0x69:
	case 0x6b:
		if (!v)
			return NULL;
		return reg ? (w ? op_imul_G_r64_I : op_imul_G_r32_I)
			   : mem ? (w ? op_imul_G_M64_I : op_imul_G_M32_I) : NULL;
	case 0xc1:
	case 0xd1:
	case 0xd3: {
		unsigned g = in->reg & 7;
		int k = g == 4 || g == 6 ? 0 : g == 5 ? 1 : g == 7 ? 2 : -1;

		if (!v || !reg || k < 0)
			return NULL;
		return shift_fast[k][in->opcode == 0xc1 ? 0 : in->opcode == 0xd1 ? 1 : 2][w];
	}
	case 0x80:
		return mem && (in->reg & 7) == 7 ? op_cmp_M8_I : NULL;
	case 0x81:
	case 0x83: {
		static const signed char grp[8] = { F_ADD, F_OR, -1, -1, F_AND, F_SUB, F_XOR, F_CMP };

		op = grp[in->reg & 7];
		if (!v || op < 0)
			return NULL;
		if (reg)
			return alu_rows[op].ei[w];
		return mem && op == F_CMP ? alu_rows[op].mi[w] : NULL;
	}
	default:
		break;
	}
	op = x86_alu_op_of(in->opcode);
	if (op < 0 || !v)
		return NULL;
	if (in->opcode & 2) /* Gv, Ev */
		return reg ? alu_rows[op].ge[w] : mem ? alu_rows[op].gm[w] : NULL;
	if (reg)
		return alu_rows[op].er[w];
	return mem && !writes(op) ? alu_rows[op].mg[w] : NULL;
}
