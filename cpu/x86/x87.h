/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Private to x87.c and x87_math.c: the register stack, exception commit
 * rules, 80-bit value conversions and the host x87 bracket (the x87 twin of
 * host_sse_enter/leave in fpu.h).
 *
 * References: Intel SDM Vol. 1 ch. 8.
 */
#ifndef HOVER_CPU_X86_X87_H
#define HOVER_CPU_X86_X87_H

#include "cpu/x86/fpu.h"

/* The QNaN "real indefinite" (SDM Vol. 1 4.8.3.7). */
#define X87_INDEFINITE ((struct x86_fpreg){ .mant = 0xc000000000000000ULL, .exp = 0xffff })
#define X87_INDEFINITE_LD (-__builtin_nanl(""))

static inline long double x87_reg_ld(const struct x86_fpreg *r)
{
	long double v = 0;

	memcpy(&v, &r->mant, 8);
	memcpy((u8 *)&v + 8, &r->exp, 2);
	return v;
}

static inline struct x86_fpreg x87_ld_reg(long double v)
{
	struct x86_fpreg r;

	memcpy(&r.mant, &v, 8);
	memcpy(&r.exp, (const u8 *)&v + 8, 2);
	return r;
}

static inline void x87_reg_bytes(const struct x86_fpreg *r, u8 *b)
{
	memcpy(b, &r->mant, 8);
	memcpy(b + 8, &r->exp, 2);
}

static inline long double x87_bytes_ld(const u8 *b)
{
	struct x86_fpreg r;

	memcpy(&r.mant, b, 8);
	memcpy(&r.exp, b + 8, 2);
	return x87_reg_ld(&r);
}

/*
 * Load the host FPU control word with the guest's precision and rounding
 * control and all exceptions masked, exception flags clear; returns the old
 * control word for host_x87_leave.
 */
static inline u16 host_x87_enter(u16 guest_fcw)
{
	u16 old, v = (u16)((guest_fcw & 0x0f00) | 0x7f);

	__asm__ volatile("fnstcw %0" : "=m"(old));
	__asm__ volatile("fnclex\n\tfldcw %0" : : "m"(v));
	return old;
}

/* Restore the host control word; returns the exception flags (FSW bits 0-5) raised. */
static inline u16 host_x87_leave(u16 old)
{
	u16 sw;

	__asm__ volatile("fnstsw %0\n\tfnclex\n\tfldcw %1" : "=m"(sw) : "m"(old));
	return sw & FCW_MASKS;
}

/* Pin a value in memory here so its computation stays inside the bracket. */
#define X87_PIN(x) __asm__ volatile("" : "+m"(x))

/* Stack access (x87.c). i is the ST(i) index, phys a physical register. */
unsigned x87_top(const struct x86_cpu *cpu);
unsigned x87_phys(const struct x86_cpu *cpu, unsigned i);
unsigned x87_tag(const struct x86_cpu *cpu, unsigned phys);
bool x87_empty(const struct x86_cpu *cpu, unsigned i);
long double x87_get(const struct x86_cpu *cpu, unsigned i);
void x87_set(struct x86_cpu *cpu, unsigned i, long double v);
void x87_set_raw(struct x86_cpu *cpu, unsigned i, struct x86_fpreg r);
void x87_pop(struct x86_cpu *cpu);
void x87_push_raw(struct x86_cpu *cpu, struct x86_fpreg r);
/* Push with the stack-overflow check, then commit ex. */
void x87_push(struct x86_cpu *cpu, long double v, u16 ex);
/* Would exceptions ex (FSW bits) stop the destination being written? */
bool x87_blocked(const struct x86_cpu *cpu, u16 ex);
/* Merge ex (FSW exception bits, SF, and C1 for overflow) into FSW; set ES/B if unmasked. */
void x87_commit(struct x86_cpu *cpu, u16 ex);
/* The m32fp/m64fp/m32int/m16int operand of D8/DC/DA/DE, converted. */
struct x86_fpreg x87_read_src(struct x86_cpu *cpu, const struct x86_insn *in, u16 *ex);

/* x87_math.c */
void x87_math_arith(struct x86_cpu *cpu, const struct x86_insn *in);   /* D8 DC DE, DA memory */
void x87_math_d9(struct x86_cpu *cpu, const struct x86_insn *in);      /* D9 E0-FF */
void x87_math_compare(struct x86_cpu *cpu, const struct x86_insn *in); /* register compares */

#endif
