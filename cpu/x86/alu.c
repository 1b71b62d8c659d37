/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Integer arithmetic and logic: ADD OR ADC SBB AND SUB XOR CMP in every
 * encoding (00-3D, group 1 80-83), TEST, INC/DEC (FE/FF /0 /1, 40-4F outside
 * 64-bit mode), NOT/NEG (group 3), and the rest of group 5 (FF): near and
 * far indirect CALL/JMP, PUSH Ev.
 *
 * Flags are lazy (see flags.c). A read-modify-write on memory writes the
 * result before it touches the flags: if the write faults (a copy-on-write
 * page, say), the instruction restarts with its inputs, CF included, intact.
 *
 * References: Intel SDM Vol. 2A-2D instruction pages (ADD .. XOR, TEST,
 * INC, DEC, NOT, NEG, CALL, JMP, PUSH); Vol. 2 Appendix A.4 (groups).
 */
#include "cpu/x86/int_ops.h"

enum { ALU_ADD, ALU_OR, ALU_ADC, ALU_SBB, ALU_AND, ALU_SUB, ALU_XOR, ALU_CMP };

/* The result of `a op b`; *cf receives the carry-in ADC/SBB consumed. */
static inline __attribute__((always_inline)) u64 alu_calc(struct x86_cpu *cpu, int op,
							  unsigned size, u64 a, u64 b, bool *cf)
{
	switch (op) {
	case ALU_ADD: return x86_trunc(a + b, size);
	case ALU_OR: return a | b;
	case ALU_ADC: *cf = x86_get_cf(cpu); return x86_trunc(a + b + *cf, size);
	case ALU_SBB: *cf = x86_get_cf(cpu); return x86_trunc(a - b - *cf, size);
	case ALU_AND: return a & b;
	case ALU_XOR: return a ^ b;
	default: return x86_trunc(a - b, size); /* SUB, CMP */
	}
}

static inline __attribute__((always_inline)) void alu_flags(struct x86_cpu *cpu, int op,
							    unsigned size, u64 r, u64 a, u64 b,
							    bool cf)
{
	switch (op) {
	case ALU_ADD: x86_lazy(cpu, X86_LF_ADD, size, r, a, b); break;
	case ALU_ADC: x86_lazy_cf(cpu, X86_LF_ADC, size, r, a, b, cf); break;
	case ALU_SBB: x86_lazy_cf(cpu, X86_LF_SBB, size, r, a, b, cf); break;
	case ALU_SUB:
	case ALU_CMP: x86_lazy(cpu, X86_LF_SUB, size, r, a, b); break;
	default: x86_lazy(cpu, X86_LF_LOGIC, size, r, a, b); break;
	}
}

/* r/m op= b */
static inline __attribute__((always_inline)) void alu_rmw(struct x86_cpu *cpu,
							  const struct x86_insn *in, int op,
							  unsigned size, u64 b)
{
	bool cf = false;
	u64 a, r;

	if (op == ALU_CMP) {
		int_no_lock(cpu, in);
		a = x86_rm_read(cpu, in, size);
		x86_lazy(cpu, X86_LF_SUB, size, x86_trunc(a - b, size), a, b);
		return;
	}
	int_lock_mem(cpu, in);
	if (in->mod == 3) {
		a = x86_get_reg(cpu, in, in->rm, size);
		r = alu_calc(cpu, op, size, a, b, &cf);
		x86_set_reg(cpu, in, in->rm, size, r);
	} else {
		u64 ea = x86_ea(cpu, in);

		a = x86_read(cpu, in->seg, ea, size);
		r = alu_calc(cpu, op, size, a, b, &cf);
		x86_write(cpu, in->seg, ea, size, r);
	}
	alu_flags(cpu, op, size, r, a, b, cf);
}

/* reg op= b */
static inline __attribute__((always_inline)) void alu_reg(struct x86_cpu *cpu,
							  const struct x86_insn *in, int op,
							  unsigned size, unsigned reg, u64 b)
{
	bool cf = false;
	u64 a, r;

	int_no_lock(cpu, in);
	a = x86_get_reg(cpu, in, reg, size);
	r = alu_calc(cpu, op, size, a, b, &cf);
	if (op != ALU_CMP)
		x86_set_reg(cpu, in, reg, size, r);
	alu_flags(cpu, op, size, r, a, b, cf);
}

#define ALU_FORMS(name, OP)                                                                    \
	static void op_##name##_Eb_Gb(struct x86_cpu *cpu, const struct x86_insn *in)          \
	{                                                                                      \
		alu_rmw(cpu, in, OP, 1, x86_get_reg(cpu, in, in->reg, 1));                     \
	}                                                                                      \
	static void op_##name##_Ev_Gv(struct x86_cpu *cpu, const struct x86_insn *in)          \
	{                                                                                      \
		alu_rmw(cpu, in, OP, in->opsize, x86_get_reg(cpu, in, in->reg, in->opsize));   \
	}                                                                                      \
	static void op_##name##_Gb_Eb(struct x86_cpu *cpu, const struct x86_insn *in)          \
	{                                                                                      \
		alu_reg(cpu, in, OP, 1, in->reg, x86_rm_read(cpu, in, 1));                     \
	}                                                                                      \
	static void op_##name##_Gv_Ev(struct x86_cpu *cpu, const struct x86_insn *in)          \
	{                                                                                      \
		alu_reg(cpu, in, OP, in->opsize, in->reg, x86_rm_read(cpu, in, in->opsize));   \
	}                                                                                      \
	static void op_##name##_AL_Ib(struct x86_cpu *cpu, const struct x86_insn *in)          \
	{                                                                                      \
		alu_reg(cpu, in, OP, 1, GPR_RAX, x86_trunc(in->imm, 1));                       \
	}                                                                                      \
	static void op_##name##_rAX_Iz(struct x86_cpu *cpu, const struct x86_insn *in)         \
	{                                                                                      \
		alu_reg(cpu, in, OP, in->opsize, GPR_RAX, x86_trunc(in->imm, in->opsize));     \
	}

ALU_FORMS(add, ALU_ADD)
ALU_FORMS(or, ALU_OR)
ALU_FORMS(adc, ALU_ADC)
ALU_FORMS(sbb, ALU_SBB)
ALU_FORMS(and, ALU_AND)
ALU_FORMS(sub, ALU_SUB)
ALU_FORMS(xor, ALU_XOR)
ALU_FORMS(cmp, ALU_CMP)

#define ALU_ROW(name)                                                                          \
	{ op_##name##_Eb_Gb, op_##name##_Ev_Gv, op_##name##_Gb_Eb,                             \
	  op_##name##_Gv_Ev, op_##name##_AL_Ib, op_##name##_rAX_Iz }

/* Opcode (op << 3) | form, form 0..5. */
static x86_op_fn *const alu_table[8][6] = {
	ALU_ROW(add), ALU_ROW(or), ALU_ROW(adc), ALU_ROW(sbb),
	ALU_ROW(and), ALU_ROW(sub), ALU_ROW(xor), ALU_ROW(cmp),
};

/* ---- group 1: 80, 81, 82 (80 alias outside 64-bit mode), 83 ---- */

static void grp1(struct x86_cpu *cpu, const struct x86_insn *in, unsigned size, u64 imm)
{
	switch (in->reg & 7) {
	case ALU_ADD: alu_rmw(cpu, in, ALU_ADD, size, imm); break;
	case ALU_OR: alu_rmw(cpu, in, ALU_OR, size, imm); break;
	case ALU_ADC: alu_rmw(cpu, in, ALU_ADC, size, imm); break;
	case ALU_SBB: alu_rmw(cpu, in, ALU_SBB, size, imm); break;
	case ALU_AND: alu_rmw(cpu, in, ALU_AND, size, imm); break;
	case ALU_SUB: alu_rmw(cpu, in, ALU_SUB, size, imm); break;
	case ALU_XOR: alu_rmw(cpu, in, ALU_XOR, size, imm); break;
	default: alu_rmw(cpu, in, ALU_CMP, size, imm); break;
	}
}

static void op_grp1_Eb_Ib(struct x86_cpu *cpu, const struct x86_insn *in)
{
	grp1(cpu, in, 1, x86_trunc(in->imm, 1));
}

static void op_grp1_Eb_Ib_82(struct x86_cpu *cpu, const struct x86_insn *in)
{
	if (x86_long64(cpu))
		x86_ud(cpu);
	grp1(cpu, in, 1, x86_trunc(in->imm, 1));
}

/* 81 (Iz) and 83 (Ib): both immediates arrive sign-extended. */
static void op_grp1_Ev_I(struct x86_cpu *cpu, const struct x86_insn *in)
{
	grp1(cpu, in, in->opsize, x86_trunc(in->imm, in->opsize));
}

/* ---- TEST ---- */

static inline void test(struct x86_cpu *cpu, const struct x86_insn *in, unsigned size, u64 a, u64 b)
{
	int_no_lock(cpu, in);
	x86_lazy(cpu, X86_LF_LOGIC, size, a & b, a, b);
}

static void op_test_Eb_Gb(struct x86_cpu *cpu, const struct x86_insn *in)
{
	test(cpu, in, 1, x86_rm_read(cpu, in, 1), x86_get_reg(cpu, in, in->reg, 1));
}

static void op_test_Ev_Gv(struct x86_cpu *cpu, const struct x86_insn *in)
{
	test(cpu, in, in->opsize, x86_rm_read(cpu, in, in->opsize),
	     x86_get_reg(cpu, in, in->reg, in->opsize));
}

static void op_test_AL_Ib(struct x86_cpu *cpu, const struct x86_insn *in)
{
	test(cpu, in, 1, (u8)cpu->gpr[GPR_RAX], x86_trunc(in->imm, 1));
}

static void op_test_rAX_Iz(struct x86_cpu *cpu, const struct x86_insn *in)
{
	test(cpu, in, in->opsize, x86_trunc(cpu->gpr[GPR_RAX], in->opsize),
	     x86_trunc(in->imm, in->opsize));
}

/* ---- INC / DEC / NOT / NEG on r/m ---- */

enum { UN_INC, UN_DEC, UN_NOT, UN_NEG };

static void unary_rm(struct x86_cpu *cpu, const struct x86_insn *in, int op, unsigned size)
{
	u64 ea = 0, a, r;
	bool cf;

	int_lock_mem(cpu, in);
	if (in->mod == 3) {
		a = x86_get_reg(cpu, in, in->rm, size);
	} else {
		ea = x86_ea(cpu, in);
		a = x86_read(cpu, in->seg, ea, size);
	}
	switch (op) {
	case UN_INC: r = a + 1; break;
	case UN_DEC: r = a - 1; break;
	case UN_NOT: r = ~a; break;
	default: r = 0 - a; break;
	}
	r = x86_trunc(r, size);
	if (in->mod == 3)
		x86_set_reg(cpu, in, in->rm, size, r);
	else
		x86_write(cpu, in->seg, ea, size, r);
	switch (op) {
	case UN_INC:
		cf = x86_get_cf(cpu);
		x86_lazy_cf(cpu, X86_LF_INC, size, r, a, 1, cf);
		break;
	case UN_DEC:
		cf = x86_get_cf(cpu);
		x86_lazy_cf(cpu, X86_LF_DEC, size, r, a, 1, cf);
		break;
	case UN_NEG:
		x86_lazy(cpu, X86_LF_NEG, size, r, 0, a);
		break;
	default:
		break; /* NOT changes no flags */
	}
}

/* 40-4F outside 64-bit mode (in 64-bit mode these bytes are REX prefixes). */
static void op_inc_Zv(struct x86_cpu *cpu, const struct x86_insn *in)
{
	unsigned r = in->opcode & 7, size = in->opsize;
	u64 a = x86_get_reg(cpu, in, r, size), res = x86_trunc(a + 1, size);
	bool cf = x86_get_cf(cpu);

	int_no_lock(cpu, in);
	x86_set_reg(cpu, in, r, size, res);
	x86_lazy_cf(cpu, X86_LF_INC, size, res, a, 1, cf);
}

static void op_dec_Zv(struct x86_cpu *cpu, const struct x86_insn *in)
{
	unsigned r = in->opcode & 7, size = in->opsize;
	u64 a = x86_get_reg(cpu, in, r, size), res = x86_trunc(a - 1, size);
	bool cf = x86_get_cf(cpu);

	int_no_lock(cpu, in);
	x86_set_reg(cpu, in, r, size, res);
	x86_lazy_cf(cpu, X86_LF_DEC, size, res, a, 1, cf);
}

/* ---- group 3: F6 / F7 ---- */

static void grp3(struct x86_cpu *cpu, const struct x86_insn *in, unsigned size)
{
	switch (in->reg & 7) {
	case 0:
	case 1: /* /1 is an undocumented alias of TEST */
		test(cpu, in, size, x86_rm_read(cpu, in, size), x86_trunc(in->imm, size));
		break;
	case 2: unary_rm(cpu, in, UN_NOT, size); break;
	case 3: unary_rm(cpu, in, UN_NEG, size); break;
	default:
		int_no_lock(cpu, in);
		x86_muldiv_group3(cpu, in, size);
		break;
	}
}

static void op_grp3_Eb(struct x86_cpu *cpu, const struct x86_insn *in)
{
	grp3(cpu, in, 1);
}

static void op_grp3_Ev(struct x86_cpu *cpu, const struct x86_insn *in)
{
	grp3(cpu, in, in->opsize);
}

/* ---- group 4 (FE) and group 5 (FF) ---- */

static void op_grp4_Eb(struct x86_cpu *cpu, const struct x86_insn *in)
{
	switch (in->reg & 7) {
	case 0: unary_rm(cpu, in, UN_INC, 1); break;
	case 1: unary_rm(cpu, in, UN_DEC, 1); break;
	default: x86_ud(cpu);
	}
}

/* m16:16, m16:32 or m16:64 far pointer: offset first, then the selector. */
static u64 far_pointer(struct x86_cpu *cpu, const struct x86_insn *in, u16 *sel)
{
	u64 ea, off;

	if (in->mod == 3)
		x86_ud(cpu);
	ea = x86_ea(cpu, in);
	off = x86_read(cpu, in->seg, ea, in->opsize);
	*sel = x86_read16(cpu, in->seg, x86_far_sel_off(cpu, in, ea));
	return off;
}

static void op_grp5_Ev(struct x86_cpu *cpu, const struct x86_insn *in)
{
	unsigned size;
	u64 v;
	u16 sel;

	switch (in->reg & 7) {
	case 0: unary_rm(cpu, in, UN_INC, in->opsize); return;
	case 1: unary_rm(cpu, in, UN_DEC, in->opsize); return;
	case 7: x86_ud(cpu);
	default: break;
	}
	int_no_lock(cpu, in);
	switch (in->reg & 7) {
	case 2: /* CALL near, absolute indirect */
		size = int_branch_opsize(cpu, in);
		v = x86_rm_read(cpu, in, size);
		x86_push(cpu, size, x86_trunc(cpu->next_rip, size));
		cpu->next_rip = v;
		break;
	case 3: /* CALL far */
		v = far_pointer(cpu, in, &sel);
		x86_far_call(cpu, sel, v, in->opsize);
		break;
	case 4: /* JMP near, absolute indirect */
		cpu->next_rip = x86_rm_read(cpu, in, int_branch_opsize(cpu, in));
		break;
	case 5: /* JMP far */
		v = far_pointer(cpu, in, &sel);
		x86_far_jmp(cpu, sel, v);
		break;
	default: /* 6: PUSH Ev */
		size = int_stack_opsize(cpu, in);
		x86_push(cpu, size, x86_rm_read(cpu, in, size));
		break;
	}
}

void x86_register_alu(struct x86_optable *t)
{
	unsigned op, form;

	for (op = 0; op < 8; op++)
		for (form = 0; form < 6; form++)
			x86_optable_set(t, X86_MAP_1B, (int)(op << 3 | form), alu_table[op][form]);
	for (op = 0; op < 8; op++) {
		x86_optable_set(t, X86_MAP_1B, 0x40 + op, op_inc_Zv);
		x86_optable_set(t, X86_MAP_1B, 0x48 + op, op_dec_Zv);
	}
	x86_optable_set(t, X86_MAP_1B, 0x80, op_grp1_Eb_Ib);
	x86_optable_set(t, X86_MAP_1B, 0x81, op_grp1_Ev_I);
	x86_optable_set(t, X86_MAP_1B, 0x82, op_grp1_Eb_Ib_82);
	x86_optable_set(t, X86_MAP_1B, 0x83, op_grp1_Ev_I);
	x86_optable_set(t, X86_MAP_1B, 0x84, op_test_Eb_Gb);
	x86_optable_set(t, X86_MAP_1B, 0x85, op_test_Ev_Gv);
	x86_optable_set(t, X86_MAP_1B, 0xa8, op_test_AL_Ib);
	x86_optable_set(t, X86_MAP_1B, 0xa9, op_test_rAX_Iz);
	x86_optable_set(t, X86_MAP_1B, 0xf6, op_grp3_Eb);
	x86_optable_set(t, X86_MAP_1B, 0xf7, op_grp3_Ev);
	x86_optable_set(t, X86_MAP_1B, 0xfe, op_grp4_Eb);
	x86_optable_set(t, X86_MAP_1B, 0xff, op_grp5_Ev);
}
