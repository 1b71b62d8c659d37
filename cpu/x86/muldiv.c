/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Multiply and divide: MUL/IMUL/DIV/IDIV (group 3 /4../7, dispatched from
 * alu.c), IMUL Gv,Ev (0F AF), IMUL Gv,Ev,Iz/Ib (69/6B).
 *
 * Flags: MUL/IMUL define CF = OF = "the high half is significant"; SF, ZF, AF
 * and PF are undefined, and hover sets SF/ZF/PF from the low half of the
 * product and clears AF (as QEMU does, which the differential harness runs
 * against). DIV/IDIV leave every flag unchanged (all are undefined).
 * #DE on a zero divisor or a quotient that does not fit, including
 * INT_MIN / -1.
 *
 * References: Intel SDM Vol. 2A (DIV, IDIV, IMUL), Vol. 2B (MUL).
 */
#include "cpu/x86/int_ops.h"

typedef unsigned __int128 u128;
typedef __int128 s128;

static void mul_flags(struct x86_cpu *cpu, u64 lo, unsigned size, bool wide)
{
	u64 f = x86_szp(lo, size);

	if (wide)
		f |= X86_CF | X86_OF;
	x86_set_arith_flags(cpu, f);
}

/* Store a double-width result: AX for bytes, else rDX:rAX. */
static void store_pair(struct x86_cpu *cpu, const struct x86_insn *in, unsigned size, u64 lo,
		       u64 hi)
{
	if (size == 1) {
		cpu->gpr[GPR_RAX] = (cpu->gpr[GPR_RAX] & ~0xffffULL) | (lo & 0xff) | ((hi & 0xff) << 8);
		return;
	}
	x86_set_reg(cpu, in, GPR_RAX, size, lo);
	x86_set_reg(cpu, in, GPR_RDX, size, hi);
}

static void mul(struct x86_cpu *cpu, const struct x86_insn *in, unsigned size, u64 src)
{
	u64 a = x86_trunc(cpu->gpr[GPR_RAX], size), lo, hi;

	if (size == 8) {
		u128 p = (u128)a * src;

		lo = (u64)p;
		hi = (u64)(p >> 64);
	} else {
		u64 p = a * src;

		lo = x86_trunc(p, size);
		hi = x86_trunc(p >> (size * 8), size);
	}
	store_pair(cpu, in, size, lo, hi);
	mul_flags(cpu, lo, size, hi != 0);
}

static void imul1(struct x86_cpu *cpu, const struct x86_insn *in, unsigned size, u64 src)
{
	s64 a = (s64)x86_sext(cpu->gpr[GPR_RAX], size), b = (s64)x86_sext(src, size);
	u64 lo, hi;
	bool wide;

	if (size == 8) {
		s128 p = (s128)a * b;

		lo = (u64)p;
		hi = (u64)((u128)p >> 64);
		wide = p != (s128)(s64)lo;
	} else {
		s64 p = a * b;

		lo = x86_trunc((u64)p, size);
		hi = x86_trunc((u64)p >> (size * 8), size);
		wide = p != (s64)x86_sext(lo, size);
	}
	store_pair(cpu, in, size, lo, hi);
	mul_flags(cpu, lo, size, wide);
}

static _Noreturn void divide_error(struct x86_cpu *cpu)
{
	x86_raise(cpu, X86_EXC_DE, X86_NO_ERR);
}

static void div(struct x86_cpu *cpu, const struct x86_insn *in, unsigned size, u64 src)
{
	u64 q, r;

	if (src == 0)
		divide_error(cpu);
	if (size == 8) {
		u128 n = ((u128)cpu->gpr[GPR_RDX] << 64) | cpu->gpr[GPR_RAX];
		u128 q128 = n / src;

		if (q128 >> 64)
			divide_error(cpu);
		q = (u64)q128;
		r = (u64)(n % src);
	} else {
		u64 n;

		if (size == 1)
			n = x86_trunc(cpu->gpr[GPR_RAX], 2);
		else
			n = (x86_trunc(cpu->gpr[GPR_RDX], size) << (size * 8)) |
			    x86_trunc(cpu->gpr[GPR_RAX], size);
		q = n / src;
		r = n % src;
		if (q > int_mask(size))
			divide_error(cpu);
	}
	store_pair(cpu, in, size, q, r);
}

static void idiv(struct x86_cpu *cpu, const struct x86_insn *in, unsigned size, u64 src)
{
	s64 d = (s64)x86_sext(src, size);
	s64 qmax = (s64)(int_mask(size) >> 1), qmin = -qmax - 1;
	s64 q, r;

	if (d == 0)
		divide_error(cpu);
	if (size == 8) {
		s128 n = (s128)(((u128)cpu->gpr[GPR_RDX] << 64) | cpu->gpr[GPR_RAX]);
		s128 q128;

		/* n / -1 overflows __int128 only for its minimum, which #DEs anyway. */
		if (d == -1) {
			if (n == (s128)((u128)1 << 127))
				divide_error(cpu);
			q128 = -n;
			r = 0;
		} else {
			q128 = n / d;
			r = (s64)(n % d);
		}
		if (q128 < qmin || q128 > qmax)
			divide_error(cpu);
		q = (s64)q128;
	} else {
		s64 n;

		if (size == 1)
			n = (s16)cpu->gpr[GPR_RAX];
		else
			n = (s64)x86_sext((x86_trunc(cpu->gpr[GPR_RDX], size) << (size * 8)) |
					  x86_trunc(cpu->gpr[GPR_RAX], size), size * 2);
		/* INT64_MIN / -1 (EDX:EAX = 2^63) would trap in the host. */
		if (d == -1 && n == INT64_MIN)
			divide_error(cpu);
		q = n / d;
		r = n % d;
		if (q < qmin || q > qmax)
			divide_error(cpu);
	}
	store_pair(cpu, in, size, x86_trunc((u64)q, size), x86_trunc((u64)r, size));
}

void x86_muldiv_group3(struct x86_cpu *cpu, const struct x86_insn *in, unsigned size)
{
	u64 src = x86_rm_read(cpu, in, size);

	switch (in->reg & 7) {
	case 4: mul(cpu, in, size, src); break;
	case 5: imul1(cpu, in, size, src); break;
	case 6: div(cpu, in, size, src); break;
	default: idiv(cpu, in, size, src); break;
	}
}

/* Truncating signed multiply to Gv; CF = OF = the product did not fit. */
static void imul_to_reg(struct x86_cpu *cpu, const struct x86_insn *in, u64 a, u64 b)
{
	unsigned size = in->opsize;
	s64 sa = (s64)x86_sext(a, size), sb = (s64)x86_sext(b, size);
	u64 lo;
	bool wide;

	int_no_lock(cpu, in);
	if (size == 8) {
		s128 p = (s128)sa * sb;

		lo = (u64)p;
		wide = p != (s128)(s64)lo;
	} else {
		s64 p = sa * sb;

		lo = x86_trunc((u64)p, size);
		wide = p != (s64)x86_sext(lo, size);
	}
	x86_set_reg(cpu, in, in->reg, size, lo);
	mul_flags(cpu, lo, size, wide);
}

static void op_imul_Gv_Ev(struct x86_cpu *cpu, const struct x86_insn *in)
{
	imul_to_reg(cpu, in, x86_get_reg(cpu, in, in->reg, in->opsize),
		    x86_rm_read(cpu, in, in->opsize));
}

/* 69 (Iz) and 6B (Ib, sign-extended by the decoder). */
static void op_imul_Gv_Ev_I(struct x86_cpu *cpu, const struct x86_insn *in)
{
	imul_to_reg(cpu, in, x86_rm_read(cpu, in, in->opsize), in->imm);
}

void x86_register_muldiv(struct x86_optable *t)
{
	x86_optable_set(t, X86_MAP_1B, 0x69, op_imul_Gv_Ev_I);
	x86_optable_set(t, X86_MAP_1B, 0x6b, op_imul_Gv_Ev_I);
	x86_optable_set(t, X86_MAP_0F, 0xaf, op_imul_Gv_Ev);
}
