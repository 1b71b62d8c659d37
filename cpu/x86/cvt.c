/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * SSE/SSE2 conversions: CVTSI2SS/SD, CVT(T)SS2SI/SD2SI, CVTSS2SD/CVTSD2SS,
 * CVTPS2PD/CVTPD2PS, CVTDQ2PS/CVT(T)PS2DQ, CVTDQ2PD/CVT(T)PD2DQ, and the
 * MMX forms CVTPI2PS/PD, CVT(T)PS2PI, CVT(T)PD2PI.
 *
 * Integer-to-float and float-to-float conversions run on the host FPU under
 * the guest MXCSR (fpu.h): they are single x86 instructions there, so
 * rounding, DAZ/FTZ, NaN quietening and flags are exact. Float-to-integer
 * rounding is done in integer arithmetic here; NaN or out-of-range sources
 * give the integer indefinite (sign bit only) and signal invalid.
 *
 * References: Intel SDM Vol. 2 CVT* pages, Vol. 1 11.5.2.1 (invalid),
 * 4.8.3.7 (integer indefinite).
 */
#include "cpu/x86/fpu.h"

#define INT_PIN(x) __asm__ volatile("" : "+r"(x))

enum { RC_NEAREST, RC_DOWN, RC_UP, RC_ZERO };

/*
 * Convert a binary32/64 (bits, with `mbits` fraction bits and exponent bias)
 * to a signed integer of `ibits` bits under rounding control rc.
 */
static u64 fp_to_int(u64 v, bool dbl, unsigned ibits, unsigned rc, u32 mxcsr, u32 *sw)
{
	const unsigned mbits = dbl ? 52 : 23, ebits = dbl ? 11 : 8;
	const int bias = dbl ? 1023 : 127;
	const u64 indef = 1ULL << (ibits - 1);
	bool neg = (v >> (mbits + ebits)) & 1;
	int exp = (int)((v >> mbits) & ((1u << ebits) - 1));
	u64 m = v & ((1ULL << mbits) - 1);

	if (exp == (1 << ebits) - 1) { /* Inf, NaN */
		*sw |= MXCSR_IE;
		return indef;
	}
	if (exp == 0) {
		if (m == 0 || (mxcsr & MXCSR_DAZ))
			return 0;
		exp = 1; /* denormal: no implicit bit */
	} else {
		m |= 1ULL << mbits;
	}
	int e = exp - bias; /* value = m * 2^(e - mbits) */
	u64 ip;
	bool inexact = false, round_up = false;

	if (e > 63) {
		*sw |= MXCSR_IE;
		return indef;
	}
	if (e >= (int)mbits) {
		ip = m << (e - (int)mbits);
	} else {
		unsigned sh = (unsigned)((int)mbits - e);
		u64 frac, half;
		if (sh >= 64) { /* below 2^-11: nonzero, less than a half */
			ip = 0;
			frac = 1;
			half = 2;
		} else {
			ip = m >> sh;
			frac = m & ((1ULL << sh) - 1);
			half = 1ULL << (sh - 1);
		}
		inexact = frac != 0;
		switch (rc) {
		case RC_NEAREST: round_up = frac > half || (frac == half && (ip & 1)); break;
		case RC_DOWN: round_up = inexact && neg; break;
		case RC_UP: round_up = inexact && !neg; break;
		default: break;
		}
		ip += round_up;
	}
	if (neg ? ip > indef : ip >= indef) {
		*sw |= MXCSR_IE;
		return indef;
	}
	if (inexact)
		*sw |= MXCSR_PE;
	return x86_trunc(neg ? -ip : ip, ibits / 8);
}

static unsigned cvt_rc(const struct x86_cpu *cpu, bool trunc)
{
	return trunc ? RC_ZERO : (cpu->fpu.mxcsr & MXCSR_RC) >> MXCSR_RC_SHIFT;
}

/* ---- integer to floating point (host FPU) ---- */

static u32 i32_to_f32(s32 i) { INT_PIN(i); float f = (float)i; FP_PIN(f); return f2u(f); }
static u32 i64_to_f32(s64 i) { INT_PIN(i); float f = (float)i; FP_PIN(f); return f2u(f); }
static u64 i32_to_f64(s32 i) { INT_PIN(i); double d = (double)i; FP_PIN(d); return d2u(d); }
static u64 i64_to_f64(s64 i) { INT_PIN(i); double d = (double)i; FP_PIN(d); return d2u(d); }
static u64 f32_to_f64(u32 v) { float f = u2f(v); FP_PIN(f); double d = f; FP_PIN(d); return d2u(d); }
static u32 f64_to_f32(u64 v) { double d = u2d(v); FP_PIN(d); float f = (float)d; FP_PIN(f); return f2u(f); }

/* F3/F2 0F 2A: CVTSI2SS Vss,Ey / CVTSI2SD Vsd,Ey. */
static void cvtsi2s(struct x86_cpu *cpu, const struct x86_insn *in, bool dbl)
{
	x86_check_sse(cpu);
	bool w = in->rex & 8;
	u64 v = x86_rm_read(cpu, in, w ? 8 : 4);
	union x86_xmm *d = &cpu->fpu.xmm[in->reg];
	u32 saved = host_sse_enter(cpu->fpu.mxcsr);
	u64 r = dbl ? (w ? i64_to_f64((s64)v) : i32_to_f64((s32)v))
		    : (w ? i64_to_f32((s64)v) : i32_to_f32((s32)v));
	sse_raise_flags(cpu, host_sse_leave(saved));
	if (dbl)
		d->q[0] = r;
	else
		d->l[0] = (u32)r;
}

static void op_cvtsi2ss_Vss_Ey(struct x86_cpu *cpu, const struct x86_insn *in) { cvtsi2s(cpu, in, false); }
static void op_cvtsi2sd_Vsd_Ey(struct x86_cpu *cpu, const struct x86_insn *in) { cvtsi2s(cpu, in, true); }

/* The Qpi source of CVTPI2PS/PD: an MMX register (MMX transition) or m64. */
static u64 read_Qpi(struct x86_cpu *cpu, const struct x86_insn *in)
{
	if (in->mod == 3) {
		mmx_enter(cpu);
		return mmx_get(cpu, in->rm);
	}
	return x86_read64(cpu, in->seg, x86_ea(cpu, in));
}

static void op_cvtpi2ps_Vps_Qpi(struct x86_cpu *cpu, const struct x86_insn *in)
{
	x86_check_sse(cpu);
	u64 v = read_Qpi(cpu, in);
	u32 saved = host_sse_enter(cpu->fpu.mxcsr);
	u32 lo = i32_to_f32((s32)v), hi = i32_to_f32((s32)(v >> 32));
	sse_raise_flags(cpu, host_sse_leave(saved));
	cpu->fpu.xmm[in->reg].l[0] = lo;
	cpu->fpu.xmm[in->reg].l[1] = hi;
}

static void op_cvtpi2pd_Vpd_Qpi(struct x86_cpu *cpu, const struct x86_insn *in)
{
	x86_check_sse(cpu);
	u64 v = read_Qpi(cpu, in);
	/* Exact: no exceptions possible. */
	cpu->fpu.xmm[in->reg].q[0] = i32_to_f64((s32)v);
	cpu->fpu.xmm[in->reg].q[1] = i32_to_f64((s32)(v >> 32));
}

/* F3 0F E6: CVTDQ2PD Vx,Wq (exact). */
static void op_cvtdq2pd_Vx_Wq(struct x86_cpu *cpu, const struct x86_insn *in)
{
	union x86_xmm s;

	x86_check_sse(cpu);
	sse_read_W(cpu, in, &s, 8, false);
	cpu->fpu.xmm[in->reg].q[1] = i32_to_f64((s32)s.l[1]);
	cpu->fpu.xmm[in->reg].q[0] = i32_to_f64((s32)s.l[0]);
}

/* 0F 5B: CVTDQ2PS Vps,Wdq. */
static void op_cvtdq2ps_Vps_Wdq(struct x86_cpu *cpu, const struct x86_insn *in)
{
	union x86_xmm s, r;

	x86_check_sse(cpu);
	sse_read_W(cpu, in, &s, 16, true);
	u32 saved = host_sse_enter(cpu->fpu.mxcsr);
	for (unsigned i = 0; i < 4; i++)
		r.l[i] = i32_to_f32((s32)s.l[i]);
	sse_raise_flags(cpu, host_sse_leave(saved));
	cpu->fpu.xmm[in->reg] = r;
}

/* ---- floating point to floating point (host FPU) ---- */

static void op_cvtss2sd_Vsd_Wss(struct x86_cpu *cpu, const struct x86_insn *in)
{
	union x86_xmm s;

	x86_check_sse(cpu);
	sse_read_W(cpu, in, &s, 4, false);
	u32 saved = host_sse_enter(cpu->fpu.mxcsr);
	u64 r = f32_to_f64(s.l[0]);
	sse_raise_flags(cpu, host_sse_leave(saved));
	cpu->fpu.xmm[in->reg].q[0] = r;
}

static void op_cvtsd2ss_Vss_Wsd(struct x86_cpu *cpu, const struct x86_insn *in)
{
	union x86_xmm s;

	x86_check_sse(cpu);
	sse_read_W(cpu, in, &s, 8, false);
	u32 saved = host_sse_enter(cpu->fpu.mxcsr);
	u32 r = f64_to_f32(s.q[0]);
	sse_raise_flags(cpu, host_sse_leave(saved));
	cpu->fpu.xmm[in->reg].l[0] = r;
}

/* 0F 5A: CVTPS2PD Vpd,Wps (m64 source). */
static void op_cvtps2pd_Vpd_Wps(struct x86_cpu *cpu, const struct x86_insn *in)
{
	union x86_xmm s, r;

	x86_check_sse(cpu);
	sse_read_W(cpu, in, &s, 8, false);
	u32 saved = host_sse_enter(cpu->fpu.mxcsr);
	r.q[0] = f32_to_f64(s.l[0]);
	r.q[1] = f32_to_f64(s.l[1]);
	sse_raise_flags(cpu, host_sse_leave(saved));
	cpu->fpu.xmm[in->reg] = r;
}

/* 66 0F 5A: CVTPD2PS Vps,Wpd (high half of the result zeroed). */
static void op_cvtpd2ps_Vps_Wpd(struct x86_cpu *cpu, const struct x86_insn *in)
{
	union x86_xmm s, r = { .q = { 0, 0 } };

	x86_check_sse(cpu);
	sse_read_W(cpu, in, &s, 16, true);
	u32 saved = host_sse_enter(cpu->fpu.mxcsr);
	r.l[0] = f64_to_f32(s.q[0]);
	r.l[1] = f64_to_f32(s.q[1]);
	sse_raise_flags(cpu, host_sse_leave(saved));
	cpu->fpu.xmm[in->reg] = r;
}

/* ---- floating point to integer (software rounding) ---- */

/* F3/F2 0F 2C/2D: CVT(T)SS2SI / CVT(T)SD2SI Gy,Wss/Wsd. */
static void cvts2si(struct x86_cpu *cpu, const struct x86_insn *in, bool dbl, bool trunc)
{
	union x86_xmm s;
	u32 sw = 0;
	unsigned size = (in->rex & 8) ? 8 : 4;

	x86_check_sse(cpu);
	sse_read_W(cpu, in, &s, dbl ? 8 : 4, false);
	u64 r = fp_to_int(dbl ? s.q[0] : s.l[0], dbl, size * 8, cvt_rc(cpu, trunc), cpu->fpu.mxcsr, &sw);
	sse_raise_flags(cpu, sw);
	x86_set_reg(cpu, in, in->reg, size, r);
}

static void op_cvtss2si_Gy_Wss(struct x86_cpu *cpu, const struct x86_insn *in) { cvts2si(cpu, in, false, false); }
static void op_cvttss2si_Gy_Wss(struct x86_cpu *cpu, const struct x86_insn *in) { cvts2si(cpu, in, false, true); }
static void op_cvtsd2si_Gy_Wsd(struct x86_cpu *cpu, const struct x86_insn *in) { cvts2si(cpu, in, true, false); }
static void op_cvttsd2si_Gy_Wsd(struct x86_cpu *cpu, const struct x86_insn *in) { cvts2si(cpu, in, true, true); }

/*
 * Packed float to int32: n source elements (binary32 or binary64) from a
 * source of len bytes; the result's unused lanes are zero.
 */
static void cvtp2dq(struct x86_cpu *cpu, const union x86_xmm *s, bool dbl, unsigned n, bool trunc,
		    union x86_xmm *r)
{
	u32 sw = 0;
	unsigned rc = cvt_rc(cpu, trunc);

	r->q[0] = r->q[1] = 0;
	for (unsigned i = 0; i < n; i++)
		r->l[i] = (u32)fp_to_int(dbl ? s->q[i] : s->l[i], dbl, 32, rc, cpu->fpu.mxcsr, &sw);
	sse_raise_flags(cpu, sw);
}

static void cvtp2dq_xmm(struct x86_cpu *cpu, const struct x86_insn *in, bool dbl, bool trunc)
{
	union x86_xmm s, r;

	x86_check_sse(cpu);
	sse_read_W(cpu, in, &s, 16, true);
	cvtp2dq(cpu, &s, dbl, dbl ? 2 : 4, trunc, &r);
	cpu->fpu.xmm[in->reg] = r;
}

static void op_cvtps2dq_Vdq_Wps(struct x86_cpu *cpu, const struct x86_insn *in) { cvtp2dq_xmm(cpu, in, false, false); }
static void op_cvttps2dq_Vdq_Wps(struct x86_cpu *cpu, const struct x86_insn *in) { cvtp2dq_xmm(cpu, in, false, true); }
static void op_cvtpd2dq_Vx_Wpd(struct x86_cpu *cpu, const struct x86_insn *in) { cvtp2dq_xmm(cpu, in, true, false); }
static void op_cvttpd2dq_Vx_Wpd(struct x86_cpu *cpu, const struct x86_insn *in) { cvtp2dq_xmm(cpu, in, true, true); }

/* 0F/66 0F 2C/2D: CVT(T)PS2PI Ppi,Wps (m64) and CVT(T)PD2PI Ppi,Wpd (m128): MMX destination. */
static void cvtp2pi(struct x86_cpu *cpu, const struct x86_insn *in, bool dbl, bool trunc)
{
	union x86_xmm s, r;

	x86_check_sse(cpu);
	sse_read_W(cpu, in, &s, dbl ? 16 : 8, dbl);
	mmx_enter(cpu);
	cvtp2dq(cpu, &s, dbl, 2, trunc, &r);
	mmx_set(cpu, in->reg, r.q[0]);
}

static void op_cvtps2pi_Ppi_Wps(struct x86_cpu *cpu, const struct x86_insn *in) { cvtp2pi(cpu, in, false, false); }
static void op_cvttps2pi_Ppi_Wps(struct x86_cpu *cpu, const struct x86_insn *in) { cvtp2pi(cpu, in, false, true); }
static void op_cvtpd2pi_Ppi_Wpd(struct x86_cpu *cpu, const struct x86_insn *in) { cvtp2pi(cpu, in, true, false); }
static void op_cvttpd2pi_Ppi_Wpd(struct x86_cpu *cpu, const struct x86_insn *in) { cvtp2pi(cpu, in, true, true); }

void x86_register_sse_cvt(struct x86_optable *t)
{
	const int M = X86_MAP_0F;

	x86_optable_set_mp(t, M, 0x2a, X86_MP_NONE, op_cvtpi2ps_Vps_Qpi);
	x86_optable_set_mp(t, M, 0x2a, X86_MP_66, op_cvtpi2pd_Vpd_Qpi);
	x86_optable_set_mp(t, M, 0x2a, X86_MP_F3, op_cvtsi2ss_Vss_Ey);
	x86_optable_set_mp(t, M, 0x2a, X86_MP_F2, op_cvtsi2sd_Vsd_Ey);
	x86_optable_set_mp(t, M, 0x2c, X86_MP_NONE, op_cvttps2pi_Ppi_Wps);
	x86_optable_set_mp(t, M, 0x2c, X86_MP_66, op_cvttpd2pi_Ppi_Wpd);
	x86_optable_set_mp(t, M, 0x2c, X86_MP_F3, op_cvttss2si_Gy_Wss);
	x86_optable_set_mp(t, M, 0x2c, X86_MP_F2, op_cvttsd2si_Gy_Wsd);
	x86_optable_set_mp(t, M, 0x2d, X86_MP_NONE, op_cvtps2pi_Ppi_Wps);
	x86_optable_set_mp(t, M, 0x2d, X86_MP_66, op_cvtpd2pi_Ppi_Wpd);
	x86_optable_set_mp(t, M, 0x2d, X86_MP_F3, op_cvtss2si_Gy_Wss);
	x86_optable_set_mp(t, M, 0x2d, X86_MP_F2, op_cvtsd2si_Gy_Wsd);
	x86_optable_set_mp(t, M, 0x5a, X86_MP_NONE, op_cvtps2pd_Vpd_Wps);
	x86_optable_set_mp(t, M, 0x5a, X86_MP_66, op_cvtpd2ps_Vps_Wpd);
	x86_optable_set_mp(t, M, 0x5a, X86_MP_F3, op_cvtss2sd_Vsd_Wss);
	x86_optable_set_mp(t, M, 0x5a, X86_MP_F2, op_cvtsd2ss_Vss_Wsd);
	x86_optable_set_mp(t, M, 0x5b, X86_MP_NONE, op_cvtdq2ps_Vps_Wdq);
	x86_optable_set_mp(t, M, 0x5b, X86_MP_66, op_cvtps2dq_Vdq_Wps);
	x86_optable_set_mp(t, M, 0x5b, X86_MP_F3, op_cvttps2dq_Vdq_Wps);
	x86_optable_set_mp(t, M, 0xe6, X86_MP_66, op_cvttpd2dq_Vx_Wpd);
	x86_optable_set_mp(t, M, 0xe6, X86_MP_F3, op_cvtdq2pd_Vx_Wq);
	x86_optable_set_mp(t, M, 0xe6, X86_MP_F2, op_cvtpd2dq_Vx_Wpd);
}
