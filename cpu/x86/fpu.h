/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Private to the x87/MMX/SSE files (x87.c mmx.c sse_*.c cvt.c fxsave.c):
 * operand access for XMM/MMX registers, MXCSR and x87 status bits, and the
 * host-FPU bracket used to compute SIMD floating point.
 *
 * Floating point is computed by the host's own x86-64 FPU: around an
 * operation the host MXCSR (or x87 control word) is loaded with the guest's
 * rounding control, DAZ/FTZ and all exceptions masked, and the exception
 * flags the host raised are read back afterwards. That reproduces rounding,
 * denormal and masked-response behaviour bit for bit. NaN selection, which
 * depends on operand order the C compiler may commute, is done in software.
 *
 * References: Intel SDM Vol. 1 ch. 8 (x87), 9 (MMX), 10-11 (SSE/SSE2),
 * 10.2.3 (MXCSR), 11.5 (SIMD floating-point exceptions).
 */
#ifndef HOVER_CPU_X86_FPU_H
#define HOVER_CPU_X86_FPU_H

#include <string.h>

#include "cpu/x86/exec.h"

#if !defined(__x86_64__)
#error "cpu/x86 SSE and x87 emulation computes with the host's x86-64 FPU"
#endif

/* MXCSR (SDM Vol. 1 10.2.3). */
#define MXCSR_IE (1u << 0)
#define MXCSR_DE (1u << 1)
#define MXCSR_ZE (1u << 2)
#define MXCSR_OE (1u << 3)
#define MXCSR_UE (1u << 4)
#define MXCSR_PE (1u << 5)
#define MXCSR_FLAGS 0x3fu
#define MXCSR_DAZ (1u << 6)
#define MXCSR_MASKS (0x3fu << 7)
#define MXCSR_RC_SHIFT 13
#define MXCSR_RC (3u << MXCSR_RC_SHIFT)
#define MXCSR_FTZ (1u << 15)
#define MXCSR_MASK_SUPPORTED 0xffffu /* the MXCSR_MASK FXSAVE reports */
#define MXCSR_RESET 0x1f80u

/* x87 status word (SDM Vol. 1 8.1.3) and control word (8.1.5). */
#define FSW_IE (1u << 0)
#define FSW_DE (1u << 1)
#define FSW_ZE (1u << 2)
#define FSW_OE (1u << 3)
#define FSW_UE (1u << 4)
#define FSW_PE (1u << 5)
#define FSW_SF (1u << 6)
#define FSW_ES (1u << 7)
#define FSW_C0 (1u << 8)
#define FSW_C1 (1u << 9)
#define FSW_C2 (1u << 10)
#define FSW_TOP_SHIFT 11
#define FSW_TOP (7u << FSW_TOP_SHIFT)
#define FSW_C3 (1u << 14)
#define FSW_B (1u << 15)
#define FSW_CC (FSW_C0 | FSW_C1 | FSW_C2 | FSW_C3)
#define FCW_MASKS 0x3fu
#define FCW_PC_SHIFT 8
#define FCW_RC_SHIFT 10
#define FCW_RESET 0x037fu

/* 2-bit x87 tags. */
enum { FTAG_VALID = 0, FTAG_ZERO = 1, FTAG_SPECIAL = 2, FTAG_EMPTY = 3 };

/* ---- registration helpers (called from x86_register_sse in sse_mov.c) ---- */
void x86_register_sse_int(struct x86_optable *t); /* sse_int.c */
void x86_register_sse_fp(struct x86_optable *t);  /* sse_fp.c */
void x86_register_sse_cvt(struct x86_optable *t); /* cvt.c */
void x86_register_mmx(struct x86_optable *t);     /* mmx.c */
void x86_register_fxsave(struct x86_optable *t);  /* fxsave.c: 0F AE group */

/*
 * The FXSAVE image (SDM Vol. 1 Table 10-2) of an x86_fpu, and back; wide is
 * the REX.W form (64-bit FIP/FDP). to_fxsave writes all 16 XMM registers;
 * from_fxsave reads nxmm and returns -EINVAL (changing nothing) for an MXCSR
 * with reserved bits set. Also the legacy region of the XSAVE area in
 * struct vcpu_state (state.c).
 */
#define FXSAVE_SIZE 512
void x86_fpu_to_fxsave(const struct x86_fpu *f, u8 *a, bool wide);
int x86_fpu_from_fxsave(struct x86_fpu *f, const u8 *a, bool wide, unsigned nxmm);

/* The tag a register's contents call for (FXRSTOR, FLDENV/FRSTOR helpers). */
static inline unsigned x87_tag_of(const struct x86_fpreg *r)
{
	unsigned e = r->exp & 0x7fff;

	if (e == 0x7fff)
		return FTAG_SPECIAL;
	if (e == 0)
		return r->mant == 0 ? FTAG_ZERO : FTAG_SPECIAL;
	return (r->mant >> 63) ? FTAG_VALID : FTAG_SPECIAL;
}

/* ---- operands ---- */

/* Legacy-SSE 128-bit memory operands must be 16-byte aligned (SDM Vol. 1 11.4.1). */
static inline void sse_check_align16(struct x86_cpu *cpu, int seg, u64 off)
{
	if (off & 15)
		x86_gp0(cpu);
	(void)seg;
}

/* Read the W operand: XMM register rm, or `len` bytes of memory (rest zero). */
static inline void sse_read_W(struct x86_cpu *cpu, const struct x86_insn *in, union x86_xmm *v,
			      unsigned len, bool align)
{
	if (in->mod == 3) {
		*v = cpu->fpu.xmm[in->rm];
		return;
	}
	u64 off = x86_ea(cpu, in);
	if (align)
		sse_check_align16(cpu, in->seg, off);
	memset(v, 0, sizeof(*v));
	x86_read_bytes(cpu, in->seg, off, v, len);
}

/* Write `len` bytes of an XMM value to the memory operand. */
static inline void sse_write_M(struct x86_cpu *cpu, const struct x86_insn *in,
			       const union x86_xmm *v, unsigned len, bool align)
{
	u64 off = x86_ea(cpu, in);
	if (align)
		sse_check_align16(cpu, in->seg, off);
	x86_write_bytes(cpu, in->seg, off, v, len);
}

/* Fold the FP exception flags an SSE operation produced into MXCSR; fault if unmasked. */
void sse_raise_flags(struct x86_cpu *cpu, u32 flags); /* sse_fp.c */

/*
 * MMX: any MMX instruction sets TOP = 0 and tags every register valid
 * (SDM Vol. 1 9.5.1); a pending unmasked x87 exception is reported first.
 */
void mmx_enter(struct x86_cpu *cpu); /* mmx.c */
static inline u64 mmx_get(const struct x86_cpu *cpu, unsigned i)
{
	return cpu->fpu.fpr[i & 7].mant;
}
static inline void mmx_set(struct x86_cpu *cpu, unsigned i, u64 v)
{
	cpu->fpu.fpr[i & 7].mant = v;
	cpu->fpu.fpr[i & 7].exp = 0xffff;
}
/* The Q operand: MMX register rm, or 8 bytes of memory. */
static inline u64 mmx_read_Q(struct x86_cpu *cpu, const struct x86_insn *in)
{
	if (in->mod == 3)
		return mmx_get(cpu, in->rm);
	return x86_read64(cpu, in->seg, x86_ea(cpu, in));
}

/* ---- host FPU bracket ---- */

/*
 * Load the host MXCSR with the guest's RC/DAZ/FTZ, flags clear and all
 * exceptions masked; returns the host's previous MXCSR for host_sse_leave.
 */
static inline u32 host_sse_enter(u32 guest_mxcsr)
{
	u32 old, v = (guest_mxcsr & (MXCSR_RC | MXCSR_DAZ | MXCSR_FTZ)) | MXCSR_MASKS;

	__asm__ volatile("stmxcsr %0" : "=m"(old));
	__asm__ volatile("ldmxcsr %0" : : "m"(v));
	return old;
}

/* Restore the host MXCSR; returns the exception flags raised since host_sse_enter. */
static inline u32 host_sse_leave(u32 old)
{
	u32 cur;

	__asm__ volatile("stmxcsr %0" : "=m"(cur));
	__asm__ volatile("ldmxcsr %0" : : "m"(old));
	return cur & MXCSR_FLAGS;
}

/*
 * Pin a value in an SSE register at this point of the instruction stream so
 * the compiler cannot move its computation across host_sse_enter/leave.
 */
#define FP_PIN(x) __asm__ volatile("" : "+x"(x))

/* ---- IEEE helpers ---- */
static inline bool f32_is_nan(u32 v) { return (v & 0x7fffffffu) > 0x7f800000u; }
static inline bool f32_is_snan(u32 v) { return f32_is_nan(v) && !(v & 0x00400000u); }
static inline bool f32_is_denormal(u32 v) { return (v & 0x7f800000u) == 0 && (v & 0x007fffffu); }
static inline bool f64_is_nan(u64 v) { return (v & ~(1ULL << 63)) > 0x7ff0000000000000ULL; }
static inline bool f64_is_snan(u64 v) { return f64_is_nan(v) && !(v & (1ULL << 51)); }
static inline bool f64_is_denormal(u64 v)
{
	return (v & 0x7ff0000000000000ULL) == 0 && (v & 0x000fffffffffffffULL);
}
static inline float u2f(u32 v) { float f; memcpy(&f, &v, 4); return f; }
static inline u32 f2u(float f) { u32 v; memcpy(&v, &f, 4); return v; }
static inline double u2d(u64 v) { double d; memcpy(&d, &v, 8); return d; }
static inline u64 d2u(double d) { u64 v; memcpy(&v, &d, 8); return v; }

#define F32_DEFAULT_NAN 0xffc00000u
#define F64_DEFAULT_NAN 0xfff8000000000000ULL

/*
 * Power-up state of x87/MMX/SSE (SDM Vol. 3A 9.1.1, Table 9-1): FCW 0040H,
 * all registers +0.0 tagged zero, MXCSR 1F80H, XMM zero (x87.c). For
 * x86_cpu_reset.
 */
void x86_fpu_reset(struct x86_fpu *f);

#endif
