/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Shifts and rotates: group 2 (C0/C1 Ib, D0/D1 by 1, D2/D3 by CL) with ROL
 * ROR RCL RCR SHL SHR SAL(/6, an alias of SHL) SAR, and SHLD/SHRD (0F A4/A5,
 * 0F AC/AD).
 *
 * The count is masked to 5 bits (6 with a 64-bit operand). A masked count
 * of 0 changes no flag; the operand is still read (and may fault), and a
 * 32-bit register operand is still written, i.e. zero-extended.
 * Flags the SDM leaves undefined: OF uses the count-1 formula for every
 * count; AF is cleared by shifts; CF is 0 when every bit was shifted out;
 * SHLD/SHRD with a 16-bit operand and a count above 16 shift the 48-bit
 * dest:src:dest pattern, as Intel processors do.
 *
 * References: Intel SDM Vol. 2B (RCL/RCR/ROL/ROR, SAL/SAR/SHL/SHR, SHLD, SHRD).
 */
#include "cpu/x86/int_ops.h"

typedef unsigned __int128 u128;

enum { SH_ROL, SH_ROR, SH_RCL, SH_RCR, SH_SHL, SH_SHR, SH_SAL, SH_SAR };

/*
 * `a` shifted by the masked non-zero count `c`; *flags receives the six
 * arithmetic flags to set once the result is stored.
 */
static u64 shift_calc(struct x86_cpu *cpu, int op, unsigned size, u64 a, unsigned c, u64 *flags)
{
	unsigned n = size * 8;
	u64 r, f, cf;

	switch (op) {
	case SH_ROL:
	case SH_ROR:
	case SH_RCL:
	case SH_RCR: {
		unsigned k;

		x86_flags_sync(cpu);
		f = cpu->rflags & ~(X86_CF | X86_OF);
		if (op == SH_ROL || op == SH_ROR) {
			k = c % n;
			if (k == 0)
				r = a;
			else if (op == SH_ROL)
				r = x86_trunc((a << k) | (a >> (n - k)), size);
			else
				r = x86_trunc((a >> k) | (a << (n - k)), size);
			cf = op == SH_ROL ? r & 1 : int_msb(r, size);
		} else {
			/* Rotate through carry: an (n + 1)-bit rotation of CF:a. */
			u128 m = ((u128)1 << (n + 1)) - 1;
			u128 v = ((u128)((cpu->rflags & X86_CF) != 0) << n) | a;

			k = c % (n + 1);
			if (k != 0) {
				if (op == SH_RCL)
					v = ((v << k) | (v >> (n + 1 - k))) & m;
				else
					v = ((v >> k) | (v << (n + 1 - k))) & m;
			}
			r = x86_trunc((u64)v, size);
			cf = (u64)(v >> n) & 1;
		}
		if (cf)
			f |= X86_CF;
		if (op == SH_ROL || op == SH_RCL) {
			if (int_msb(r, size) ^ cf)
				f |= X86_OF;
		} else if (int_msb(r, size) ^ ((r >> (n - 2)) & 1)) {
			f |= X86_OF;
		}
		*flags = f;
		return r;
	}
	case SH_SHR:
		r = c < n ? a >> c : 0;
		cf = c <= n ? (a >> (c - 1)) & 1 : 0;
		f = x86_szp(r, size) | (cf ? X86_CF : 0) | (int_msb(a, size) ? X86_OF : 0);
		break;
	case SH_SAR: {
		s64 sa = (s64)x86_sext(a, size);

		r = x86_trunc((u64)(sa >> (c < n ? c : n - 1)), size);
		cf = ((u64)(sa >> (c - 1 < n ? c - 1 : n - 1))) & 1;
		f = x86_szp(r, size) | (cf ? X86_CF : 0);
		break;
	}
	default: /* SHL, SAL */
		r = c < n ? x86_trunc(a << c, size) : 0;
		cf = c <= n ? (a >> (n - c)) & 1 : 0;
		f = x86_szp(r, size) | (cf ? X86_CF : 0) | ((int_msb(r, size) ^ cf) ? X86_OF : 0);
		break;
	}
	*flags = f;
	return r;
}

static void shift_rm(struct x86_cpu *cpu, const struct x86_insn *in, unsigned size, unsigned count)
{
	int op = in->reg & 7;
	unsigned c = count & (size == 8 ? 63 : 31);
	u64 a, r, ea, f;

	int_no_lock(cpu, in);
	if (in->mod == 3) {
		a = x86_get_reg(cpu, in, in->rm, size);
		if (!c) {
			x86_set_reg(cpu, in, in->rm, size, a);
			return;
		}
		r = shift_calc(cpu, op, size, a, c, &f);
		x86_set_reg(cpu, in, in->rm, size, r);
	} else {
		ea = x86_ea(cpu, in);
		a = x86_read(cpu, in->seg, ea, size);
		if (!c)
			return;
		r = shift_calc(cpu, op, size, a, c, &f);
		x86_write(cpu, in->seg, ea, size, r);
	}
	x86_set_arith_flags(cpu, f);
}

static void op_grp2_Eb_Ib(struct x86_cpu *cpu, const struct x86_insn *in)
{
	shift_rm(cpu, in, 1, (unsigned)in->imm & 0xff);
}

static void op_grp2_Ev_Ib(struct x86_cpu *cpu, const struct x86_insn *in)
{
	shift_rm(cpu, in, in->opsize, (unsigned)in->imm & 0xff);
}

static void op_grp2_Eb_1(struct x86_cpu *cpu, const struct x86_insn *in)
{
	shift_rm(cpu, in, 1, 1);
}

static void op_grp2_Ev_1(struct x86_cpu *cpu, const struct x86_insn *in)
{
	shift_rm(cpu, in, in->opsize, 1);
}

static void op_grp2_Eb_CL(struct x86_cpu *cpu, const struct x86_insn *in)
{
	shift_rm(cpu, in, 1, (u8)cpu->gpr[GPR_RCX]);
}

static void op_grp2_Ev_CL(struct x86_cpu *cpu, const struct x86_insn *in)
{
	shift_rm(cpu, in, in->opsize, (u8)cpu->gpr[GPR_RCX]);
}

/* ---- SHLD / SHRD ---- */

/* `a` double-shifted by the non-zero masked count `c`, with bits from `b`; flags in *flags. */
static u64 dshift_calc(bool left, unsigned size, u64 a, u64 b, unsigned c, u64 *flags)
{
	unsigned n = size * 8;
	u64 r, cf;

	if (size == 2) {
		u64 t = left ? (a << 32) | (b << 16) | a : a | (b << 16) | (a << 32);

		if (left) {
			r = (t >> (32 - c)) & 0xffff;
			cf = (t >> (48 - c)) & 1;
		} else {
			r = (t >> c) & 0xffff;
			cf = (t >> (c - 1)) & 1;
		}
	} else if (left) {
		r = x86_trunc((a << c) | (c < n ? b >> (n - c) : 0), size);
		cf = (a >> (n - c)) & 1;
	} else {
		r = x86_trunc((a >> c) | (c < n ? b << (n - c) : 0), size);
		cf = (a >> (c - 1)) & 1;
	}
	*flags = x86_szp(r, size) | (cf ? X86_CF : 0) |
		 ((int_msb(r, size) ^ int_msb(a, size)) ? X86_OF : 0);
	return r;
}

static void dshift(struct x86_cpu *cpu, const struct x86_insn *in, bool left, unsigned count)
{
	unsigned size = in->opsize, c = count & (size == 8 ? 63 : 31);
	u64 b = x86_get_reg(cpu, in, in->reg, size), a, r, ea, f;

	int_no_lock(cpu, in);
	if (in->mod == 3) {
		a = x86_get_reg(cpu, in, in->rm, size);
		if (!c) {
			x86_set_reg(cpu, in, in->rm, size, a);
			return;
		}
		r = dshift_calc(left, size, a, b, c, &f);
		x86_set_reg(cpu, in, in->rm, size, r);
	} else {
		ea = x86_ea(cpu, in);
		a = x86_read(cpu, in->seg, ea, size);
		if (!c)
			return;
		r = dshift_calc(left, size, a, b, c, &f);
		x86_write(cpu, in->seg, ea, size, r);
	}
	x86_set_arith_flags(cpu, f);
}

static void op_shld_Ev_Gv_Ib(struct x86_cpu *cpu, const struct x86_insn *in)
{
	dshift(cpu, in, true, (unsigned)in->imm & 0xff);
}

static void op_shld_Ev_Gv_CL(struct x86_cpu *cpu, const struct x86_insn *in)
{
	dshift(cpu, in, true, (u8)cpu->gpr[GPR_RCX]);
}

static void op_shrd_Ev_Gv_Ib(struct x86_cpu *cpu, const struct x86_insn *in)
{
	dshift(cpu, in, false, (unsigned)in->imm & 0xff);
}

static void op_shrd_Ev_Gv_CL(struct x86_cpu *cpu, const struct x86_insn *in)
{
	dshift(cpu, in, false, (u8)cpu->gpr[GPR_RCX]);
}

void x86_register_shift(struct x86_optable *t)
{
	x86_optable_set(t, X86_MAP_1B, 0xc0, op_grp2_Eb_Ib);
	x86_optable_set(t, X86_MAP_1B, 0xc1, op_grp2_Ev_Ib);
	x86_optable_set(t, X86_MAP_1B, 0xd0, op_grp2_Eb_1);
	x86_optable_set(t, X86_MAP_1B, 0xd1, op_grp2_Ev_1);
	x86_optable_set(t, X86_MAP_1B, 0xd2, op_grp2_Eb_CL);
	x86_optable_set(t, X86_MAP_1B, 0xd3, op_grp2_Ev_CL);
	x86_optable_set(t, X86_MAP_0F, 0xa4, op_shld_Ev_Gv_Ib);
	x86_optable_set(t, X86_MAP_0F, 0xa5, op_shld_Ev_Gv_CL);
	x86_optable_set(t, X86_MAP_0F, 0xac, op_shrd_Ev_Gv_Ib);
	x86_optable_set(t, X86_MAP_0F, 0xad, op_shrd_Ev_Gv_CL);
}
