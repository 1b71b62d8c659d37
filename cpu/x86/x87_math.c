/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * x87 arithmetic, compares and transcendentals: FADD..FDIVR (all forms),
 * FCOM/FUCOM/FCOMI/FUCOMI (+P, PP), FTST, FXAM, FCHS, FABS, constants,
 * FSQRT, FRNDINT, FSCALE, FXTRACT, FPREM/FPREM1, F2XM1, FYL2X, FYL2XP1,
 * FPTAN, FPATAN, FSIN, FCOS, FSINCOS, FINCSTP/FDECSTP.
 *
 * Everything is computed by the host's x87 unit under the guest's precision
 * and rounding control (x87.h), so results, NaN propagation and exception
 * flags match hardware. The instructions that are x87-only (FSCALE, FPREM,
 * transcendentals) are executed as such with inline asm; the rest are C
 * long double expressions.
 *
 * References: Intel SDM Vol. 1 8.3-8.5, Vol. 2 F* pages.
 */
#include "cpu/x86/x87.h"

/* ---- classification of 80-bit values ---- */

static bool r_is_nan(struct x86_fpreg r)
{
	return (r.exp & 0x7fff) == 0x7fff && (r.mant << 1) != 0;
}

static bool r_is_snan(struct x86_fpreg r)
{
	return r_is_nan(r) && !(r.mant & (1ULL << 62));
}

/* Formats the 387+ refuse (pseudo-NaN/infinity, unnormals): invalid operands. */
static bool r_unsupported(struct x86_fpreg r)
{
	unsigned e = r.exp & 0x7fff;
	return e != 0 && !(r.mant >> 63);
}

static bool r_is_denormal(struct x86_fpreg r)
{
	return (r.exp & 0x7fff) == 0 && r.mant != 0;
}

/* ---- FADD FMUL FSUB FSUBR FDIV FDIVR ---- */

/* dest := dest op src; op is the ModRM.reg of the D8 forms: 0 add 1 mul 4 sub 5 subr 6 div 7 divr. */
static void farith(struct x86_cpu *cpu, unsigned op, unsigned di, long double src, bool src_empty,
		   u16 ex, bool pop)
{
	long double res = X87_INDEFINITE_LD;

	if (x87_empty(cpu, di) || src_empty) {
		ex |= FSW_IE | FSW_SF;
	} else {
		long double a = x87_get(cpu, di);
		u16 h = host_x87_enter(cpu->fpu.fcw);
		X87_PIN(a);
		X87_PIN(src);
		switch (op) {
		case 0: res = a + src; break;
		case 1: res = a * src; break;
		case 4: res = a - src; break;
		case 5: res = src - a; break;
		case 6: res = a / src; break;
		default: res = src / a; break;
		}
		X87_PIN(res);
		ex |= host_x87_leave(h);
	}
	if (!x87_blocked(cpu, ex)) {
		x87_set(cpu, di, res);
		if (pop)
			x87_pop(cpu);
	}
	x87_commit(cpu, ex);
}

/* ---- compares ---- */

/*
 * Compare ST(0) with b. Result as ZF/PF/CF (C3/C2/C0): 000 greater,
 * 001 less, 100 equal, 111 unordered. signaling: invalid on QNaN too (FCOM
 * vs FUCOM). Written to EFLAGS (FCOMI) or the condition codes.
 */
static void fcom_core(struct x86_cpu *cpu, struct x86_fpreg b, bool b_empty, u16 ex,
		      bool signaling, unsigned pops, bool eflags)
{
	u64 fl = X86_ZF | X86_PF | X86_CF;

	if (x87_empty(cpu, 0) || b_empty) {
		ex |= FSW_IE | FSW_SF;
	} else {
		struct x86_fpreg a = cpu->fpu.fpr[x87_phys(cpu, 0)];
		if (r_unsupported(a) || r_unsupported(b)) {
			ex |= FSW_IE;
		} else if (r_is_nan(a) || r_is_nan(b)) {
			ex &= (u16)~FSW_DE;
			if (signaling || r_is_snan(a) || r_is_snan(b))
				ex |= FSW_IE;
		} else {
			long double x = x87_reg_ld(&a), y = x87_reg_ld(&b);
			if (r_is_denormal(a) || r_is_denormal(b))
				ex |= FSW_DE;
			fl = x == y ? X86_ZF : x < y ? X86_CF : 0;
		}
	}
	if (x87_blocked(cpu, ex)) {
		x87_commit(cpu, ex);
		return;
	}
	if (eflags) {
		x86_set_arith_flags(cpu, fl);
	} else {
		cpu->fpu.fsw &= (u16)~(FSW_C0 | FSW_C2 | FSW_C3);
		cpu->fpu.fsw |= (u16)(((fl & X86_CF) ? FSW_C0 : 0) | ((fl & X86_PF) ? FSW_C2 : 0) |
				      ((fl & X86_ZF) ? FSW_C3 : 0));
	}
	while (pops--)
		x87_pop(cpu);
	x87_commit(cpu, ex);
}

static void fcom_st(struct x86_cpu *cpu, unsigned i, bool signaling, unsigned pops, bool eflags)
{
	fcom_core(cpu, cpu->fpu.fpr[x87_phys(cpu, i)], x87_empty(cpu, i), 0, signaling, pops, eflags);
}

/*
 * Register compares outside D8: DA E9 FUCOMPP, DB E8/F0 FUCOMI/FCOMI,
 * DD E0/E8 FUCOM/FUCOMP, DF E8/F0 FUCOMIP/FCOMIP.
 */
void x87_math_compare(struct x86_cpu *cpu, const struct x86_insn *in)
{
	unsigned r = in->reg & 7, i = in->rm & 7;

	switch (in->opcode) {
	case 0xda: fcom_st(cpu, 1, false, 2, false); return;
	case 0xdb: fcom_st(cpu, i, r == 6, 0, true); return;
	case 0xdd: fcom_st(cpu, i, false, r == 5, false); return;
	default: fcom_st(cpu, i, r == 6, 1, true); return;
	}
}

/* D8 DC DE (and DA memory): arithmetic and FCOM/FCOMP/FCOMPP. */
void x87_math_arith(struct x86_cpu *cpu, const struct x86_insn *in)
{
	unsigned r = in->reg & 7, i = in->rm & 7;

	if (in->mod != 3) {
		u16 ex = 0;
		struct x86_fpreg src = x87_read_src(cpu, in, &ex);
		/* A NaN (or empty) ST(0) takes precedence over a denormal source. */
		struct x86_fpreg st0 = cpu->fpu.fpr[x87_phys(cpu, 0)];
		if (x87_empty(cpu, 0) || r_is_nan(st0))
			ex &= (u16)~FSW_DE;
		/* So does division by zero: FDIVR m with ST(0) = 0 reports only ZE. */
		if (r == 7 && (st0.exp & 0x7fff) == 0 && st0.mant == 0)
			ex &= (u16)~FSW_DE;
		if (r == 2 || r == 3)
			fcom_core(cpu, src, false, ex, true, r == 3, false);
		else
			farith(cpu, r, 0, x87_reg_ld(&src), false, ex, false);
		return;
	}
	switch (in->opcode) {
	case 0xd8:
		if (r == 2 || r == 3)
			fcom_st(cpu, i, true, r == 3, false);
		else
			farith(cpu, r, 0, x87_get(cpu, i), x87_empty(cpu, i), 0, false);
		return;
	case 0xdc:
		if (r == 2 || r == 3) /* FCOM2, FCOMP3 aliases */
			fcom_st(cpu, i, true, r == 3, false);
		else
			farith(cpu, r >= 4 ? r ^ 1 : r, i, x87_get(cpu, 0), x87_empty(cpu, 0), 0, false);
		return;
	default: /* DE */
		if (r == 3 && i != 1)
			x86_ud(cpu);
		if (r == 3) /* FCOMPP */
			fcom_st(cpu, 1, true, 2, false);
		else if (r == 2) /* FCOMP5 alias */
			fcom_st(cpu, i, true, 1, false);
		else
			farith(cpu, r >= 4 ? r ^ 1 : r, i, x87_get(cpu, 0), x87_empty(cpu, 0), 0, true);
		return;
	}
}

/* ---- D9 E0-FF ---- */

static void fxam(struct x86_cpu *cpu)
{
	struct x86_fpreg a = cpu->fpu.fpr[x87_phys(cpu, 0)];
	unsigned e = a.exp & 0x7fff;
	u16 cc;

	if (x87_empty(cpu, 0))
		cc = FSW_C3 | FSW_C0;
	else if (r_unsupported(a))
		cc = 0;
	else if (e == 0x7fff)
		cc = (a.mant << 1) ? FSW_C0 : FSW_C2 | FSW_C0;
	else if (e == 0)
		cc = a.mant ? FSW_C3 | FSW_C2 : FSW_C3;
	else
		cc = FSW_C2;
	if (a.exp & 0x8000)
		cc |= FSW_C1;
	cpu->fpu.fsw = (u16)((cpu->fpu.fsw & ~FSW_CC) | cc);
}

/* FCHS/FABS: sign-bit operations, no exceptions but stack underflow. */
static void fsign(struct x86_cpu *cpu, bool abs)
{
	if (x87_empty(cpu, 0)) {
		u16 ex = FSW_IE | FSW_SF;
		if (!x87_blocked(cpu, ex))
			x87_set_raw(cpu, 0, X87_INDEFINITE);
		x87_commit(cpu, ex);
		return;
	}
	struct x86_fpreg a = cpu->fpu.fpr[x87_phys(cpu, 0)];
	a.exp = abs ? (a.exp & 0x7fff) : (a.exp ^ 0x8000);
	x87_set_raw(cpu, 0, a);
	x87_commit(cpu, 0);
}

static void fconst(struct x86_cpu *cpu, unsigned k)
{
	long double v = 0;
	u16 h = host_x87_enter(cpu->fpu.fcw);

	switch (k) {
	case 0: __asm__ volatile("fld1" : "=t"(v)); break;
	case 1: __asm__ volatile("fldl2t" : "=t"(v)); break;
	case 2: __asm__ volatile("fldl2e" : "=t"(v)); break;
	case 3: __asm__ volatile("fldpi" : "=t"(v)); break;
	case 4: __asm__ volatile("fldlg2" : "=t"(v)); break;
	case 5: __asm__ volatile("fldln2" : "=t"(v)); break;
	default: __asm__ volatile("fldz" : "=t"(v)); break;
	}
	host_x87_leave(h);
	x87_push(cpu, v, 0);
}

/* |x| >= 2^63: FSIN/FCOS/FSINCOS/FPTAN leave the operand and set C2. */
static bool trig_out_of_range(struct x86_fpreg a)
{
	unsigned e = a.exp & 0x7fff;
	return e != 0x7fff && e >= 0x3fff + 63;
}

enum { U_F2XM1, U_FSQRT, U_FRNDINT, U_FSIN, U_FCOS };

/* ST(0) := f(ST(0)). */
static void funary(struct x86_cpu *cpu, unsigned k)
{
	long double x = X87_INDEFINITE_LD;
	u16 ex = 0;

	cpu->fpu.fsw &= (u16)~FSW_C2;
	if (x87_empty(cpu, 0)) {
		ex = FSW_IE | FSW_SF;
	} else {
		struct x86_fpreg a = cpu->fpu.fpr[x87_phys(cpu, 0)];
		if ((k == U_FSIN || k == U_FCOS) && trig_out_of_range(a)) {
			cpu->fpu.fsw |= FSW_C2;
			return;
		}
		x = x87_reg_ld(&a);
		u16 h = host_x87_enter(cpu->fpu.fcw);
		switch (k) {
		case U_F2XM1: __asm__ volatile("f2xm1" : "+t"(x)); break;
		case U_FSQRT: __asm__ volatile("fsqrt" : "+t"(x)); break;
		case U_FRNDINT: __asm__ volatile("frndint" : "+t"(x)); break;
		case U_FSIN: __asm__ volatile("fsin" : "+t"(x)); break;
		default: __asm__ volatile("fcos" : "+t"(x)); break;
		}
		ex = host_x87_leave(h);
	}
	if (!x87_blocked(cpu, ex))
		x87_set(cpu, 0, x);
	x87_commit(cpu, ex);
}

enum { B_FYL2X, B_FYL2XP1, B_FPATAN, B_FSCALE, B_FPREM, B_FPREM1 };

/*
 * Two-operand ops on ST(0) and ST(1). FYL2X/FYL2XP1/FPATAN write ST(1) and
 * pop; FSCALE/FPREM/FPREM1 write ST(0). FPREM* also set C0 C1 C3 to the low
 * quotient bits and C2 for a partial remainder.
 */
static void fbinary(struct x86_cpu *cpu, unsigned k)
{
	bool pops = k <= B_FPATAN;
	long double r = X87_INDEFINITE_LD;
	u16 ex = 0, sw = 0;

	if (x87_empty(cpu, 0) || x87_empty(cpu, 1)) {
		ex = FSW_IE | FSW_SF;
	} else {
		long double x = x87_get(cpu, 0), y = x87_get(cpu, 1);
		u16 h = host_x87_enter(cpu->fpu.fcw);
		switch (k) {
		case B_FYL2X: __asm__ volatile("fyl2x" : "=t"(r) : "0"(x), "u"(y) : "st(1)"); break;
		case B_FYL2XP1: __asm__ volatile("fyl2xp1" : "=t"(r) : "0"(x), "u"(y) : "st(1)"); break;
		case B_FPATAN: __asm__ volatile("fpatan" : "=t"(r) : "0"(x), "u"(y) : "st(1)"); break;
		case B_FSCALE: __asm__ volatile("fscale" : "=t"(r) : "0"(x), "u"(y)); break;
		case B_FPREM:
			__asm__ volatile("fprem\n\tfnstsw %1" : "=t"(r), "=m"(sw) : "0"(x), "u"(y));
			break;
		default:
			__asm__ volatile("fprem1\n\tfnstsw %1" : "=t"(r), "=m"(sw) : "0"(x), "u"(y));
			break;
		}
		ex = host_x87_leave(h);
	}
	if (x87_blocked(cpu, ex)) {
		x87_commit(cpu, ex);
		return;
	}
	if (k == B_FPREM || k == B_FPREM1) {
		x87_set(cpu, 0, r);
		x87_commit(cpu, ex);
		cpu->fpu.fsw = (u16)((cpu->fpu.fsw & ~FSW_CC) | (sw & FSW_CC));
		return;
	}
	if (pops) {
		x87_set(cpu, 1, r);
		x87_pop(cpu);
	} else {
		x87_set(cpu, 0, r);
	}
	x87_commit(cpu, ex);
}

enum { P_FPTAN, P_FSINCOS, P_FXTRACT };

/* FPTAN (tan, then push 1), FSINCOS (sin, push cos), FXTRACT (exponent, push significand). */
static void fpushing(struct x86_cpu *cpu, unsigned k)
{
	long double lo = X87_INDEFINITE_LD, hi = X87_INDEFINITE_LD; /* new ST(1), new ST(0) */
	u16 ex = 0;

	cpu->fpu.fsw &= (u16)~FSW_C2;
	if (x87_empty(cpu, 0)) {
		ex = FSW_IE | FSW_SF;
	} else if (!x87_empty(cpu, 7)) {
		ex = FSW_IE | FSW_SF | FSW_C1;
	} else {
		struct x86_fpreg a = cpu->fpu.fpr[x87_phys(cpu, 0)];
		if (k != P_FXTRACT && trig_out_of_range(a)) {
			cpu->fpu.fsw |= FSW_C2;
			return;
		}
		long double x = x87_reg_ld(&a);
		u16 h = host_x87_enter(cpu->fpu.fcw);
		switch (k) {
		case P_FPTAN: __asm__ volatile("fptan" : "=t"(hi), "=u"(lo) : "0"(x)); break;
		case P_FSINCOS: __asm__ volatile("fsincos" : "=t"(hi), "=u"(lo) : "0"(x)); break;
		default: __asm__ volatile("fxtract" : "=t"(hi), "=u"(lo) : "0"(x)); break;
		}
		ex = host_x87_leave(h);
	}
	if (!x87_blocked(cpu, ex)) {
		x87_set(cpu, 0, lo);
		x87_push_raw(cpu, x87_ld_reg(hi));
	}
	x87_commit(cpu, ex);
}

static void fstp_adjust(struct x86_cpu *cpu, int delta)
{
	cpu->fpu.fsw = (u16)((cpu->fpu.fsw & ~FSW_TOP) |
			     (((x87_top(cpu) + (unsigned)delta) & 7) << FSW_TOP_SHIFT));
	cpu->fpu.fsw &= (u16)~FSW_C1;
}

/* D9 with mod == 3 and ModRM.reg 4..7 (E0-FF). */
void x87_math_d9(struct x86_cpu *cpu, const struct x86_insn *in)
{
	unsigned op = ((in->reg & 7) << 3) | (in->rm & 7); /* low 6 bits of the second byte */

	switch (op | 0xc0) {
	case 0xe0: fsign(cpu, false); return;
	case 0xe1: fsign(cpu, true); return;
	case 0xe4: {
		struct x86_fpreg z = { 0, 0 };
		fcom_core(cpu, z, false, 0, true, 0, false); /* FTST */
		return;
	}
	case 0xe5: fxam(cpu); return;
	case 0xe8: case 0xe9: case 0xea: case 0xeb: case 0xec: case 0xed: case 0xee:
		fconst(cpu, op & 7);
		return;
	case 0xf0: funary(cpu, U_F2XM1); return;
	case 0xf1: fbinary(cpu, B_FYL2X); return;
	case 0xf2: fpushing(cpu, P_FPTAN); return;
	case 0xf3: fbinary(cpu, B_FPATAN); return;
	case 0xf4: fpushing(cpu, P_FXTRACT); return;
	case 0xf5: fbinary(cpu, B_FPREM1); return;
	case 0xf6: fstp_adjust(cpu, -1); return; /* FDECSTP */
	case 0xf7: fstp_adjust(cpu, 1); return;  /* FINCSTP */
	case 0xf8: fbinary(cpu, B_FPREM); return;
	case 0xf9: fbinary(cpu, B_FYL2XP1); return;
	case 0xfa: funary(cpu, U_FSQRT); return;
	case 0xfb: fpushing(cpu, P_FSINCOS); return;
	case 0xfc: funary(cpu, U_FRNDINT); return;
	case 0xfd: fbinary(cpu, B_FSCALE); return;
	case 0xfe: funary(cpu, U_FSIN); return;
	case 0xff: funary(cpu, U_FCOS); return;
	default: x86_ud(cpu);
	}
}
