/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * SSE/SSE2 floating-point arithmetic and compares: ADD/SUB/MUL/DIV/SQRT
 * (host FPU under the guest MXCSR, see fpu.h), MIN/MAX, CMPccPS/PD/SS/SD,
 * COMISS/UCOMISS/COMISD/UCOMISD (software, integer compares), and
 * RCPPS/RCPSS/RSQRTPS/RSQRTSS.
 *
 * x86 rules done in software: a NaN result is the first source's NaN
 * (quietened) if it is one, else the second's; MIN/MAX return the second
 * source if either is NaN or both are zero and signal invalid on any NaN;
 * compares signal invalid on SNaN, and on QNaN for LT/LE/NLT/NLE and COMIS*.
 * A NaN operand suppresses the denormal exception.
 *
 * References: Intel SDM Vol. 1 11.5 (SIMD FP exceptions), Vol. 2 pages for
 * each instruction (e.g. Table 3-1 CMPPS predicates).
 */
#include <math.h>

#include "cpu/x86/fpu.h"

enum fp_op { FP_ADD, FP_SUB, FP_MUL, FP_DIV, FP_MIN, FP_MAX, FP_SQRT };
enum fp_form { FORM_PS, FORM_PD, FORM_SS, FORM_SD };

void sse_raise_flags(struct x86_cpu *cpu, u32 flags)
{
	u32 unmasked = flags & ~(cpu->fpu.mxcsr >> 7) & MXCSR_FLAGS;

	/* An unmasked pre-computation exception hides the post-computation ones. */
	if (unmasked & (MXCSR_IE | MXCSR_DE | MXCSR_ZE)) {
		flags &= MXCSR_IE | MXCSR_DE | MXCSR_ZE;
		unmasked &= flags;
	}
	cpu->fpu.mxcsr |= flags & MXCSR_FLAGS;
	if (unmasked) {
		if (cpu->cr4 & X86_CR4_OSXMMEXCPT)
			x86_raise(cpu, X86_EXC_XM, X86_NO_ERR);
		x86_ud(cpu);
	}
}

/* The host's SQRTSS/SQRTSD (the libm call the C builtin may make for errno would add flags). */
static inline float host_sqrtf(float x)
{
	float r;
	__asm__("sqrtss %1, %0" : "=x"(r) : "x"(x));
	return r;
}

static inline double host_sqrt(double x)
{
	double r;
	__asm__("sqrtsd %1, %0" : "=x"(r) : "x"(x));
	return r;
}

/*
 * Element operations for one format, instantiated for binary32 (f32) and
 * binary64 (f64). W is the prefix, FT the C type, UT the bit type.
 */
#define DEFINE_FP(W, FT, UT, SIGN, QBIT, SQRT)                                         \
	static inline FT W##_val(UT v) { FT f; memcpy(&f, &v, sizeof(f)); return f; }   \
	static inline UT W##_bits(FT f) { UT v; memcpy(&v, &f, sizeof(v)); return v; } \
                                                                                        \
	/* Denormal source: flushed by DAZ, else the denormal exception. */            \
	static inline UT W##_daz(UT v, u32 mxcsr, u32 *sw)                              \
	{                                                                               \
		if (W##_is_denormal(v)) {                                               \
			if (mxcsr & MXCSR_DAZ)                                          \
				return v & SIGN;                                        \
			*sw |= MXCSR_DE;                                                \
		}                                                                       \
		return v;                                                               \
	}                                                                               \
                                                                                        \
	/* a < b and a == b for non-NaN values; +0 == -0. */                            \
	static inline bool W##_lt(UT a, UT b)                                           \
	{                                                                               \
		UT ma = a & ~SIGN, mb = b & ~SIGN;                                      \
		bool sa = (a & SIGN) != 0, sb = (b & SIGN) != 0;                        \
		if (ma == 0 && mb == 0)                                                 \
			return false;                                                   \
		if (sa != sb)                                                           \
			return sa;                                                      \
		return sa ? ma > mb : ma < mb;                                          \
	}                                                                               \
	static inline bool W##_eq(UT a, UT b)                                           \
	{                                                                               \
		return a == b || ((a & ~SIGN) == 0 && (b & ~SIGN) == 0);                \
	}                                                                               \
                                                                                        \
	/* Called between host_sse_enter and host_sse_leave for ADD..DIV, SQRT. */      \
	static UT W##_arith(enum fp_op op, UT a, UT b, u32 mxcsr, u32 *sw)              \
	{                                                                               \
		if (op == FP_MIN || op == FP_MAX) {                                     \
			/* DAZ applies even to the operand returned for a NaN. */       \
			if (W##_is_nan(a) || W##_is_nan(b)) {                           \
				*sw |= MXCSR_IE;                                        \
				return W##_daz(b, mxcsr | MXCSR_DAZ, sw) == b ||        \
				       !(mxcsr & MXCSR_DAZ) ? b : (b & SIGN);           \
			}                                                               \
			a = W##_daz(a, mxcsr, sw);                                      \
			b = W##_daz(b, mxcsr, sw);                                      \
			if (op == FP_MIN)                                               \
				return W##_lt(a, b) ? a : b;                            \
			return W##_lt(b, a) ? a : b;                                    \
		}                                                                       \
		FT x = W##_val(a), y = W##_val(b), r;                                   \
		FP_PIN(x);                                                              \
		FP_PIN(y);                                                              \
		switch (op) {                                                           \
		case FP_ADD: r = x + y; break;                                          \
		case FP_SUB: r = x - y; break;                                          \
		case FP_MUL: r = x * y; break;                                          \
		case FP_DIV: r = x / y; break;                                          \
		default: r = SQRT(y); break;                                            \
		}                                                                       \
		FP_PIN(r);                                                              \
		if (op == FP_SQRT)                                                      \
			return W##_is_nan(b) ? b | QBIT : W##_bits(r);                  \
		if (W##_is_nan(a))                                                      \
			return a | QBIT;                                                \
		if (W##_is_nan(b))                                                      \
			return b | QBIT;                                                \
		return W##_bits(r);                                                     \
	}                                                                               \
                                                                                        \
	/* CMPcc predicate 0-7: EQ LT LE UNORD NEQ NLT NLE ORD. */                      \
	static bool W##_cmp(unsigned pred, UT a, UT b, u32 mxcsr, u32 *sw)              \
	{                                                                               \
		bool unord = W##_is_nan(a) || W##_is_nan(b);                            \
		if (unord) {                                                            \
			if (W##_is_snan(a) || W##_is_snan(b) || (pred & 3) == 1 ||      \
			    (pred & 3) == 2)                                            \
				*sw |= MXCSR_IE;                                        \
		} else {                                                                \
			a = W##_daz(a, mxcsr, sw);                                      \
			b = W##_daz(b, mxcsr, sw);                                      \
		}                                                                       \
		switch (pred & 7) {                                                     \
		case 0: return !unord && W##_eq(a, b);                                  \
		case 1: return !unord && W##_lt(a, b);                                  \
		case 2: return !unord && (W##_lt(a, b) || W##_eq(a, b));                \
		case 3: return unord;                                                   \
		case 4: return unord || !W##_eq(a, b);                                  \
		case 5: return unord || !W##_lt(a, b);                                  \
		case 6: return unord || !(W##_lt(a, b) || W##_eq(a, b));                \
		default: return !unord;                                                 \
		}                                                                       \
	}                                                                               \
                                                                                        \
	/* COMIS (signaling) / UCOMIS: ZF PF CF = 111 unordered, 000 >, 001 <, 100 =. */ \
	static u64 W##_comi(UT a, UT b, bool signaling, u32 mxcsr, u32 *sw)             \
	{                                                                               \
		if (W##_is_nan(a) || W##_is_nan(b)) {                                   \
			if (signaling || W##_is_snan(a) || W##_is_snan(b))              \
				*sw |= MXCSR_IE;                                        \
			return X86_ZF | X86_PF | X86_CF;                                \
		}                                                                       \
		a = W##_daz(a, mxcsr, sw);                                              \
		b = W##_daz(b, mxcsr, sw);                                              \
		if (W##_eq(a, b))                                                       \
			return X86_ZF;                                                  \
		return W##_lt(a, b) ? X86_CF : 0;                                       \
	}

DEFINE_FP(f32, float, u32, 0x80000000u, 0x00400000u, host_sqrtf)
DEFINE_FP(f64, double, u64, 0x8000000000000000ULL, 0x0008000000000000ULL, host_sqrt)

static unsigned form_len(enum fp_form form)
{
	return form == FORM_SS ? 4 : form == FORM_SD ? 8 : 16;
}

static void arith(struct x86_cpu *cpu, const struct x86_insn *in, enum fp_op op, enum fp_form form)
{
	union x86_xmm s, d;
	u32 mxcsr = cpu->fpu.mxcsr, sw = 0, hw = 0;
	unsigned len = form_len(form);
	bool host = op != FP_MIN && op != FP_MAX;

	x86_check_sse(cpu);
	sse_read_W(cpu, in, &s, len, len == 16);
	d = cpu->fpu.xmm[in->reg];
	u32 saved = host ? host_sse_enter(mxcsr) : 0;
	if (form == FORM_PS || form == FORM_SS) {
		for (unsigned i = 0; i < len / 4; i++)
			d.l[i] = f32_arith(op, d.l[i], s.l[i], mxcsr, &sw);
	} else {
		for (unsigned i = 0; i < len / 8; i++)
			d.q[i] = f64_arith(op, d.q[i], s.q[i], mxcsr, &sw);
	}
	if (host)
		hw = host_sse_leave(saved);
	sse_raise_flags(cpu, hw | sw);
	cpu->fpu.xmm[in->reg] = d;
}

#define ARITH4(name, op)                                                                  \
	static void op_##name##ps_Vps_Wps(struct x86_cpu *cpu, const struct x86_insn *in) \
	{                                                                                 \
		arith(cpu, in, op, FORM_PS);                                              \
	}                                                                                 \
	static void op_##name##pd_Vpd_Wpd(struct x86_cpu *cpu, const struct x86_insn *in) \
	{                                                                                 \
		arith(cpu, in, op, FORM_PD);                                              \
	}                                                                                 \
	static void op_##name##ss_Vss_Wss(struct x86_cpu *cpu, const struct x86_insn *in) \
	{                                                                                 \
		arith(cpu, in, op, FORM_SS);                                              \
	}                                                                                 \
	static void op_##name##sd_Vsd_Wsd(struct x86_cpu *cpu, const struct x86_insn *in) \
	{                                                                                 \
		arith(cpu, in, op, FORM_SD);                                              \
	}

ARITH4(add, FP_ADD)
ARITH4(sub, FP_SUB)
ARITH4(mul, FP_MUL)
ARITH4(div, FP_DIV)
ARITH4(min, FP_MIN)
ARITH4(max, FP_MAX)
ARITH4(sqrt, FP_SQRT)

/* 0F C2: CMPccPS/PD/SS/SD Vx,Wx,Ib: all-ones or zero per element. */
static void cmp(struct x86_cpu *cpu, const struct x86_insn *in, enum fp_form form)
{
	union x86_xmm s, d;
	u32 mxcsr = cpu->fpu.mxcsr, sw = 0;
	unsigned len = form_len(form), pred = in->imm & 7;

	x86_check_sse(cpu);
	sse_read_W(cpu, in, &s, len, len == 16);
	d = cpu->fpu.xmm[in->reg];
	if (form == FORM_PS || form == FORM_SS) {
		for (unsigned i = 0; i < len / 4; i++)
			d.l[i] = f32_cmp(pred, d.l[i], s.l[i], mxcsr, &sw) ? ~0u : 0;
	} else {
		for (unsigned i = 0; i < len / 8; i++)
			d.q[i] = f64_cmp(pred, d.q[i], s.q[i], mxcsr, &sw) ? ~0ULL : 0;
	}
	sse_raise_flags(cpu, sw);
	cpu->fpu.xmm[in->reg] = d;
}

static void op_cmpps_Vps_Wps_Ib(struct x86_cpu *cpu, const struct x86_insn *in) { cmp(cpu, in, FORM_PS); }
static void op_cmppd_Vpd_Wpd_Ib(struct x86_cpu *cpu, const struct x86_insn *in) { cmp(cpu, in, FORM_PD); }
static void op_cmpss_Vss_Wss_Ib(struct x86_cpu *cpu, const struct x86_insn *in) { cmp(cpu, in, FORM_SS); }
static void op_cmpsd_Vsd_Wsd_Ib(struct x86_cpu *cpu, const struct x86_insn *in) { cmp(cpu, in, FORM_SD); }

/* COMISS/UCOMISS (0F 2F/2E) and COMISD/UCOMISD (66 0F 2F/2E): EFLAGS, OF SF AF cleared. */
static void comi(struct x86_cpu *cpu, const struct x86_insn *in, bool dbl, bool signaling)
{
	union x86_xmm s;
	const union x86_xmm *d = &cpu->fpu.xmm[in->reg];
	u32 sw = 0;
	u64 fl;

	x86_check_sse(cpu);
	sse_read_W(cpu, in, &s, dbl ? 8 : 4, false);
	if (dbl)
		fl = f64_comi(d->q[0], s.q[0], signaling, cpu->fpu.mxcsr, &sw);
	else
		fl = f32_comi(d->l[0], s.l[0], signaling, cpu->fpu.mxcsr, &sw);
	sse_raise_flags(cpu, sw);
	x86_set_arith_flags(cpu, fl);
}

static void op_ucomiss_Vss_Wss(struct x86_cpu *cpu, const struct x86_insn *in) { comi(cpu, in, false, false); }
static void op_comiss_Vss_Wss(struct x86_cpu *cpu, const struct x86_insn *in) { comi(cpu, in, false, true); }
static void op_ucomisd_Vsd_Wsd(struct x86_cpu *cpu, const struct x86_insn *in) { comi(cpu, in, true, false); }
static void op_comisd_Vsd_Wsd(struct x86_cpu *cpu, const struct x86_insn *in) { comi(cpu, in, true, true); }

/*
 * RCP/RSQRT: the SDM only bounds the relative error (1.5 * 2^-12); hover
 * returns the correctly rounded value, which is within it. Denormal sources
 * count as zero and tiny results flush to zero; no exceptions are signalled.
 */
static u32 rcp_f32(u32 a, bool rsqrt)
{
	u32 sign = a & 0x80000000u;

	if (f32_is_nan(a))
		return a | 0x00400000u;
	if ((a & 0x7f800000u) == 0) /* zero or denormal */
		return sign | 0x7f800000u;
	if (rsqrt && sign)
		return F32_DEFAULT_NAN;
	if ((a & 0x7fffffffu) == 0x7f800000u)
		return sign;
	double x = (double)u2f(a);
	u32 r = f2u((float)(rsqrt ? 1.0 / sqrt(x) : 1.0 / x));
	if ((r & 0x7f800000u) == 0)
		r &= 0x80000000u;
	return r;
}

static void rcp(struct x86_cpu *cpu, const struct x86_insn *in, bool packed, bool rsqrt)
{
	union x86_xmm s;
	union x86_xmm *d = &cpu->fpu.xmm[in->reg];

	x86_check_sse(cpu);
	sse_read_W(cpu, in, &s, packed ? 16 : 4, packed);
	for (unsigned i = 0; i < (packed ? 4u : 1u); i++)
		d->l[i] = rcp_f32(s.l[i], rsqrt);
}

static void op_rcpps_Vps_Wps(struct x86_cpu *cpu, const struct x86_insn *in) { rcp(cpu, in, true, false); }
static void op_rcpss_Vss_Wss(struct x86_cpu *cpu, const struct x86_insn *in) { rcp(cpu, in, false, false); }
static void op_rsqrtps_Vps_Wps(struct x86_cpu *cpu, const struct x86_insn *in) { rcp(cpu, in, true, true); }
static void op_rsqrtss_Vss_Wss(struct x86_cpu *cpu, const struct x86_insn *in) { rcp(cpu, in, false, true); }

#define REG_ARITH4(opc, name)                                                          \
	do {                                                                           \
		x86_optable_set_mp(t, X86_MAP_0F, opc, X86_MP_NONE, op_##name##ps_Vps_Wps); \
		x86_optable_set_mp(t, X86_MAP_0F, opc, X86_MP_66, op_##name##pd_Vpd_Wpd);   \
		x86_optable_set_mp(t, X86_MAP_0F, opc, X86_MP_F3, op_##name##ss_Vss_Wss);   \
		x86_optable_set_mp(t, X86_MAP_0F, opc, X86_MP_F2, op_##name##sd_Vsd_Wsd);   \
	} while (0)

void x86_register_sse_fp(struct x86_optable *t)
{
	const int M = X86_MAP_0F;

	REG_ARITH4(0x51, sqrt);
	REG_ARITH4(0x58, add);
	REG_ARITH4(0x59, mul);
	REG_ARITH4(0x5c, sub);
	REG_ARITH4(0x5d, min);
	REG_ARITH4(0x5e, div);
	REG_ARITH4(0x5f, max);
	x86_optable_set_mp(t, M, 0x52, X86_MP_NONE, op_rsqrtps_Vps_Wps);
	x86_optable_set_mp(t, M, 0x52, X86_MP_F3, op_rsqrtss_Vss_Wss);
	x86_optable_set_mp(t, M, 0x53, X86_MP_NONE, op_rcpps_Vps_Wps);
	x86_optable_set_mp(t, M, 0x53, X86_MP_F3, op_rcpss_Vss_Wss);
	x86_optable_set_mp(t, M, 0xc2, X86_MP_NONE, op_cmpps_Vps_Wps_Ib);
	x86_optable_set_mp(t, M, 0xc2, X86_MP_66, op_cmppd_Vpd_Wpd_Ib);
	x86_optable_set_mp(t, M, 0xc2, X86_MP_F3, op_cmpss_Vss_Wss_Ib);
	x86_optable_set_mp(t, M, 0xc2, X86_MP_F2, op_cmpsd_Vsd_Wsd_Ib);
	x86_optable_set_mp(t, M, 0x2e, X86_MP_NONE, op_ucomiss_Vss_Wss);
	x86_optable_set_mp(t, M, 0x2e, X86_MP_66, op_ucomisd_Vsd_Wsd);
	x86_optable_set_mp(t, M, 0x2f, X86_MP_NONE, op_comiss_Vss_Wss);
	x86_optable_set_mp(t, M, 0x2f, X86_MP_66, op_comisd_Vsd_Wsd);
}
