/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The x87 FPU (cpu/x86/x87.c, x87_math.c).
 *
 * Differential: every x87 instruction of cpu_fp_cases.h runs on the host
 * (after FNINIT; FLDCW; FLD b; FLD a) and on hover's CPU with the same stack,
 * control word (each precision and rounding control), RAX and memory at
 * (%rbx); FCW, FSW (but C1's round-up report), the abridged tags, the stack
 * registers, RAX, memory and (FCOMI*) EFLAGS must match. Inputs are special
 * values (zeros, denormals, infinities, QNaN/SNaN/indefinite, integer and BCD
 * limits) and random ones. Directed tests: stack overflow/underflow masked
 * responses, unmasked exceptions and #MF on the next waiting instruction,
 * FNSTENV/FLDENV/FNSAVE/FRSTOR, FNINIT state, #NM.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cpu/x86/exec.h"
#include "tests/unit/cpu_fp_cases.h"
#include "tests/unit/cpu_harness.h"

#define ARITH (X86_CF | X86_PF | X86_AF | X86_ZF | X86_SF | X86_OF)

struct x87_state {
	struct x86_fpreg a, b; /* ST(0), ST(1) before */
	u16 fcw;
	u64 rax;
	u64 flags_in; /* CF PF AF ZF SF before the instruction (FCMOVcc) */
	u64 flags;
	_Alignas(16) u8 mem[64];
	_Alignas(16) u8 fx[512]; /* result: an FXSAVE image */
};

struct x87_case {
	const char *text;
	const char *bytes;
	unsigned len;
	unsigned fl;
};

#define X(text, bytes, len, fl) { text, bytes, len, fl },
static const struct x87_case x87_cases[] = { X87_CASES(X) };
#undef X

#define HOST_ASM(text)                                                                     \
	__asm__ volatile("fninit\n\t"                                                      \
			 "fldcw %[cw]\n\t"                                                 \
			 "fldt %[b]\n\t"                                                   \
			 "fldt %[a]\n\t"                                                   \
			 "mov %[fin], %%rax\n\t"                                          \
			 "shl $8, %%rax\n\t"                                              \
			 "sahf\n\t"                                                       \
			 "mov %[ax], %%rax\n\t" text "\n\t"                                \
			 "mov %%rax, %[ax]\n\t"                                            \
			 "lahf\n\t"                                                        \
			 "seto %%al\n\t"                                                   \
			 "mov %%rax, %[fl]\n\t"                                            \
			 "fxsave64 %[fx]\n\t"                                              \
			 "fninit"                                                          \
			 : [ax] "+m"(s->rax), [fl] "=m"(s->flags), [fx] "=m"(s->fx)        \
			 : [cw] "m"(s->fcw), [a] "m"(s->a), [b] "m"(s->b), "b"(s->mem),    \
			   [fin] "m"(s->flags_in)                                          \
			 : "rax", "memory", "cc", "st", "st(1)", "st(2)", "st(3)", "st(4)", \
			   "st(5)", "st(6)", "st(7)")

enum { X87_BASE = __COUNTER__ + 1 };

static void host_x87(unsigned idx, struct x87_state *s)
{
	switch (idx) {
#define X(text, bytes, len, fl)             \
	case __COUNTER__ - X87_BASE:        \
		HOST_ASM(text);             \
		break;
		X87_CASES(X)
#undef X
	}
	s->flags = ((s->flags >> 8) & (X86_CF | X86_PF | X86_AF | X86_ZF | X86_SF)) |
		   ((s->flags & 1) ? X86_OF : 0);
}

static unsigned tag_of(struct x86_fpreg r)
{
	unsigned e = r.exp & 0x7fff;
	if (e == 0x7fff)
		return 2;
	if (e == 0)
		return r.mant ? 2 : 1;
	return (r.mant >> 63) ? 0 : 2;
}

/* Run on the guest and produce the same FXSAVE-style summary as the host. */
static void guest_x87(struct cpu_harness *h, struct x87_state *s)
{
	struct x86_cpu *cpu = h->cpu;
	struct x86_fpu *f = &cpu->fpu;

	memset(f->fpr, 0, sizeof(f->fpr));
	f->fcw = s->fcw;
	f->fsw = 6 << 11;
	f->fpr[6] = s->a;
	f->fpr[7] = s->b;
	f->ftw = (u16)(0x0fff | tag_of(s->a) << 12 | tag_of(s->b) << 14);
	cpu->gpr[GPR_RAX] = s->rax;
	cpu->gpr[GPR_RBX] = HARNESS_DATA;
	cpu->rip = HARNESS_CODE;
	x86_set_arith_flags(cpu, s->flags_in);
	harness_write(h, HARNESS_DATA, s->mem, sizeof(s->mem));
	assert_int_equal(harness_run(h), X86_EXIT_HALT);
	assert_int_equal(harness_exception(h), -1);
	s->rax = cpu->gpr[GPR_RAX];
	s->flags = x86_get_rflags(cpu) & ARITH;
	memcpy(s->mem, harness_ptr(h, HARNESS_DATA), sizeof(s->mem));
	memset(s->fx, 0, sizeof(s->fx));
	memcpy(s->fx + 0, &f->fcw, 2);
	memcpy(s->fx + 2, &f->fsw, 2);
	unsigned top = (f->fsw >> 11) & 7;
	for (unsigned p = 0; p < 8; p++)
		if (((f->ftw >> (2 * p)) & 3) != 3)
			s->fx[4] |= (u8)(1u << p);
	for (unsigned i = 0; i < 8; i++) {
		memcpy(s->fx + 32 + 16 * i, &f->fpr[(top + i) & 7].mant, 8);
		memcpy(s->fx + 40 + 16 * i, &f->fpr[(top + i) & 7].exp, 2);
	}
}

/* Compare what is defined: FCW, FSW but C1, tags, non-empty registers. */
static bool same(const struct x87_state *hs, const struct x87_state *gs, bool flags)
{
	u16 hsw, gsw;
	memcpy(&hsw, hs->fx + 2, 2);
	memcpy(&gsw, gs->fx + 2, 2);
	if (memcmp(hs->fx, gs->fx, 2) || (hsw & ~0x200) != (gsw & ~0x200) || hs->fx[4] != gs->fx[4])
		return false;
	unsigned top = (hsw >> 11) & 7;
	for (unsigned i = 0; i < 8; i++)
		if ((hs->fx[4] >> ((top + i) & 7)) & 1)
			if (memcmp(hs->fx + 32 + 16 * i, gs->fx + 32 + 16 * i, 10))
				return false;
	if (hs->rax != gs->rax || memcmp(hs->mem, gs->mem, sizeof(hs->mem)))
		return false;
	return !flags || hs->flags == gs->flags;
}

static u64 rng_state = 0x2545f4914f6cdd1dULL;

static u64 rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static const struct x86_fpreg pool[] = {
	{ 0, 0 }, { 0, 0x8000 }, { 1ULL << 63, 0x3fff }, { 1ULL << 63, 0xbfff },
	{ 1ULL << 63, 0x4000 }, { 1ULL << 63, 0x3ffe }, { 0xc000000000000000ULL, 0x4000 },
	{ 0xe000000000000000ULL, 0xc000 }, { 0xa000000000000000ULL, 0x4000 },
	{ 0xc90fdaa22168c235ULL, 0x4000 }, { 0x9502f90000000000ULL, 0x4020 },
	{ 0xdbe6fecebdedd5bfULL, 0xbfdd }, { 0x8000000000001234ULL, 0x43fe },
	{ 0x0000000000001234ULL, 0 }, { 0x8000000000000000ULL, 0x0001 },
	{ 1ULL << 63, 0x7fff }, { 1ULL << 63, 0xffff }, { 0xc000000000000001ULL, 0x7fff },
	{ 0xa000000000000000ULL, 0x7fff }, { 0xc000000000000000ULL, 0xffff },
	{ 0x8000800000000000ULL, 0x400f }, { 1ULL << 63, 0x403e }, { 1ULL << 63, 0xc03e },
	{ 0xfffffffeULL << 32, 0x401d }, { 0xde0b6b3a76400000ULL, 0x403a },
	{ 0xeb79a2a3f35ba000ULL, 0x4019 }, { 0xffffffffffffffffULL, 0x3ffe },
	{ 0x8000000000000001ULL, 0x3fff }, { 0xc90fdaa22168c235ULL, 0x4040 },
	{ 0xb17217f7d1cf79acULL, 0x3ffe },
};

static struct x86_fpreg rnd_reg(void)
{
	if (rnd() % 3)
		return pool[rnd() % ARRAY_SIZE(pool)];
	struct x86_fpreg r = { rnd() | (1ULL << 63), (u16)(0x3fff - 40 + rnd() % 80) };
	if (rnd() & 1)
		r.exp |= 0x8000;
	return r;
}

static void rnd_mem(u8 *m, bool bcd)
{
	for (unsigned i = 0; i < 64; i += 8) {
		u64 q = rnd();
		memcpy(m + i, &q, 8);
	}
	switch (bcd ? 9 : rnd() % 6) {
	case 0: {
		static const u32 f32[] = { 0, 0x80000000, 0x3f800000, 0x00000001, 0x7f800000,
					   0x7fc00000, 0x7f800001, 0x7f7fffff, 0xc0200000 };
		memcpy(m + 16, &f32[rnd() % ARRAY_SIZE(f32)], 4);
		break;
	}
	case 1: {
		static const u64 f64[] = { 0, 0x3ff0000000000000ULL, 0x0000000000000001ULL,
					   0x7ff0000000000000ULL, 0x7ff0000000000001ULL,
					   0xfff8000000000000ULL, 0x7fefffffffffffffULL };
		memcpy(m + 16, &f64[rnd() % ARRAY_SIZE(f64)], 8);
		break;
	}
	case 2: {
		struct x86_fpreg r = rnd_reg();
		memcpy(m + 16, &r.mant, 8);
		memcpy(m + 24, &r.exp, 2);
		break;
	}
	case 3: {
		static const u64 ints[] = { 0, 1, 0x7fff, 0x8000, 0x7fffffff, 0x80000000,
					    0x8000000000000000ULL, 0xffffffffffffffffULL };
		memcpy(m + 16, &ints[rnd() % ARRAY_SIZE(ints)], 8);
		break;
	}
	case 9:
		for (unsigned i = 0; i < 9; i++)
			m[16 + i] = (u8)((rnd() % 10) << 4 | (rnd() % 10));
		m[25] = (rnd() & 1) ? 0x80 : 0;
		break;
	default: break;
	}
}

static void test_differential(void **state)
{
	struct cpu_harness *h = harness_create();
	unsigned failures = 0;
	const char *seed = getenv("HOVER_FP_SEED"); /* try other inputs: HOVER_FP_SEED=n */

	if (seed && strtoull(seed, NULL, 0))
		rng_state = strtoull(seed, NULL, 0);

	for (unsigned c = 0; c < ARRAY_SIZE(x87_cases); c++) {
		const struct x87_case *k = &x87_cases[c];
		u8 code[32];

		memcpy(code, k->bytes, k->len);
		code[k->len] = 0xf4;
		harness_load(h, code, k->len + 1);
		for (unsigned cw = 0; cw < 12 && failures < 20; cw++) {
			for (unsigned it = 0; it < 16; it++) {
				struct x87_state in, hs, gs;
				memset(&in, 0, sizeof(in));
				in.a = rnd_reg();
				in.b = rnd_reg();
				in.fcw = (u16)(0x007f | (cw / 4 == 0 ? 0 : cw / 4 == 1 ? 2 : 3) << 8 |
					       (cw & 3) << 10);
				in.rax = rnd();
				in.flags_in = rnd() & (X86_CF | X86_PF | X86_AF | X86_ZF | X86_SF);
				rnd_mem(in.mem, !strncmp(k->text, "fbld", 4));
				hs = in;
				gs = in;
				host_x87(c, &hs);
				guest_x87(h, &gs);
				if (!strncmp(k->text, "fnstenv", 7)) { /* FIP FCS FOP FDP FDS: not compared */
					memset(hs.mem + 16 + 12, 0, 16);
					memset(gs.mem + 16 + 12, 0, 16);
				}
				if (!same(&hs, &gs, k->fl & FPC_FLAGS)) {
					u16 hsw, gsw;
					memcpy(&hsw, hs.fx + 2, 2);
					memcpy(&gsw, gs.fx + 2, 2);
					fprintf(stderr, "MISMATCH %s fcw=%04x\n", k->text, in.fcw);
					fprintf(stderr, "  in: a=%04x:%016llx b=%04x:%016llx mem=%016llx:%016llx\n",
						in.a.exp, (unsigned long long)in.a.mant, in.b.exp,
						(unsigned long long)in.b.mant,
						(unsigned long long)*(u64 *)(in.mem + 24),
						(unsigned long long)*(u64 *)(in.mem + 16));
					fprintf(stderr, "  host : fsw=%04x tags=%02x st0=%04x:%016llx st1=%04x:%016llx rax=%llx fl=%llx mem=%016llx:%016llx\n",
						hsw, hs.fx[4], *(u16 *)(hs.fx + 40), *(unsigned long long *)(hs.fx + 32),
						*(u16 *)(hs.fx + 56), *(unsigned long long *)(hs.fx + 48),
						(unsigned long long)hs.rax, (unsigned long long)hs.flags,
						(unsigned long long)*(u64 *)(hs.mem + 24),
						(unsigned long long)*(u64 *)(hs.mem + 16));
					fprintf(stderr, "  guest: fsw=%04x tags=%02x st0=%04x:%016llx st1=%04x:%016llx rax=%llx fl=%llx mem=%016llx:%016llx\n",
						gsw, gs.fx[4], *(u16 *)(gs.fx + 40), *(unsigned long long *)(gs.fx + 32),
						*(u16 *)(gs.fx + 56), *(unsigned long long *)(gs.fx + 48),
						(unsigned long long)gs.rax, (unsigned long long)gs.flags,
						(unsigned long long)*(u64 *)(gs.mem + 24),
						(unsigned long long)*(u64 *)(gs.mem + 16));
					failures++;
					break;
				}
			}
		}
	}
	harness_destroy(h);
	assert_int_equal(failures, 0);
}

/* ---- directed tests ---- */

static struct cpu_harness *run_code(const char *code, unsigned len)
{
	struct cpu_harness *h = harness_create();
	u8 buf[64];

	memcpy(buf, code, len);
	buf[len] = 0xf4;
	harness_load(h, buf, len + 1);
	h->cpu->gpr[GPR_RBX] = HARNESS_DATA;
	return h;
}

/* Nine FLD1s: the ninth overflows; masked, it pushes the indefinite with IE SF C1. */
static void test_stack_overflow(void **state)
{
	struct cpu_harness *h = run_code("\xd9\xe8\xd9\xe8\xd9\xe8\xd9\xe8\xd9\xe8\xd9\xe8\xd9\xe8"
					 "\xd9\xe8\xd9\xe8", 18);
	struct x86_fpu *f = &h->cpu->fpu;
	assert_int_equal(harness_run(h), X86_EXIT_HALT);
	assert_int_equal(f->fsw & 0x7ff, 0x0241);
	assert_int_equal((f->fsw >> 11) & 7, 7);
	assert_int_equal(f->fpr[7].exp, 0xffff);
	assert_int_equal(f->fpr[7].mant, 0xc000000000000000ULL);
	harness_destroy(h);

	/* fadd %st(1),%st on an empty stack: underflow, IE SF, C1 = 0, ST0 := indefinite */
	h = run_code("\xd8\xc1", 2);
	f = &h->cpu->fpu;
	f->fsw = 0;
	f->ftw = 0xffff;
	assert_int_equal(harness_run(h), X86_EXIT_HALT);
	assert_int_equal(f->fsw, 0x0041);
	harness_destroy(h);
}

/*
 * Unmasked zero-divide: fdiv leaves ST0 alone and sets ZE ES B; the next
 * waiting instruction (fwait) raises #MF; FNCLEX clears it without faulting.
 */
static void test_unmasked_mf(void **state)
{
	/* fld1; fldz; fdivr %st(1),%st (1/0) ; fwait */
	struct cpu_harness *h = run_code("\xd9\xe8\xd9\xee\xd8\xf9\x9b", 7);
	struct x86_fpu *f = &h->cpu->fpu;
	f->fcw = 0x037b; /* ZM clear */
	harness_run(h);
	assert_int_equal(harness_exception(h), X86_EXC_MF);
	assert_int_equal(h->exc_rip, HARNESS_CODE + 6);
	assert_int_equal(f->fsw & 0x80ff, 0x8084);
	assert_int_equal(f->fpr[6].exp, 0); /* ST0 still +0 */
	assert_int_equal(f->fpr[6].mant, 0);
	harness_destroy(h);

	/* fnclex; fwait: no fault */
	h = run_code("\xdb\xe2\x9b", 3);
	h->cpu->fpu.fsw = 0x8084;
	h->cpu->fpu.fcw = 0x037b;
	assert_int_equal(harness_run(h), X86_EXIT_HALT);
	assert_int_equal(harness_exception(h), -1);
	assert_int_equal(h->cpu->fpu.fsw, 0);
	harness_destroy(h);

	/* A pending exception faults at the next x87 arithmetic instruction too, not at FNSTSW. */
	h = run_code("\xdf\xe0\xd9\xe8", 4); /* fnstsw %ax; fld1 */
	h->cpu->fpu.fsw = 0x8084;
	h->cpu->fpu.fcw = 0x037b;
	harness_run(h);
	assert_int_equal(harness_exception(h), X86_EXC_MF);
	assert_int_equal(h->exc_rip, HARNESS_CODE + 2);
	assert_int_equal(h->cpu->gpr[GPR_RAX] & 0xffff, 0x8084);
	harness_destroy(h);
}

static void test_nm(void **state)
{
	struct cpu_harness *h = run_code("\xd9\xe8", 2);
	h->cpu->cr0 |= X86_CR0_TS;
	harness_run(h);
	assert_int_equal(harness_exception(h), X86_EXC_NM);
	harness_destroy(h);
	/* WAIT: #NM only with MP and TS */
	h = run_code("\x9b", 1);
	h->cpu->cr0 |= X86_CR0_TS;
	harness_run(h);
	assert_int_equal(harness_exception(h), X86_EXC_NM);
	harness_destroy(h);
}

/* FNSAVE stores the state and reinitialises; FRSTOR brings it back. FNINIT values. */
static void test_save_restore(void **state)
{
	/* fldpi; fld1; fnsave (%rbx); fnstcw 0x80(%rbx); frstor (%rbx) */
	struct cpu_harness *h = run_code("\xd9\xeb\xd9\xe8\xdd\x33\xd9\xbb\x80\x00\x00\x00\xdd\x23", 14);
	struct x86_fpu *f = &h->cpu->fpu;
	u64 st0_mant;
	f->fcw = 0x0f7f;
	assert_int_equal(harness_run(h), X86_EXIT_HALT);
	u8 *m = harness_ptr(h, HARNESS_DATA);
	assert_int_equal(*(u32 *)(m + 0), 0xffff0f7f);
	assert_int_equal(*(u16 *)(m + 4), 6 << 11);
	assert_int_equal(*(u16 *)(m + 8), 0x0fff);
	memcpy(&st0_mant, m + 28, 8); /* the FNSAVE image packs ST0 at a 4-byte boundary */
	assert_int_equal(st0_mant, 0x8000000000000000ULL); /* ST0 = 1.0 */
	assert_int_equal(*(u16 *)(m + 36), 0x3fff);
	assert_int_equal(*(u16 *)(m + 0x80), 0x037f); /* FNINIT control word */
	assert_int_equal(f->fcw, 0x0f7f);
	assert_int_equal((f->fsw >> 11) & 7, 6);
	assert_int_equal(f->ftw, 0x0fff);
	assert_int_equal(f->fpr[6].mant, 0x8000000000000000ULL);
	assert_int_equal(f->fpr[7].mant, 0xc90fdaa22168c234ULL); /* RC = chop */
	harness_destroy(h);

	/* fnstenv masks all exceptions afterwards; fldenv restores the image */
	h = run_code("\xd9\x33\xd9\x23", 4);
	f = &h->cpu->fpu;
	f->fcw = 0x0340;
	assert_int_equal(harness_run(h), X86_EXIT_HALT);
	assert_int_equal(f->fcw, 0x0340);
	harness_destroy(h);
}

/*
 * FSW.B is not state of its own: it mirrors ES (SDM Vol. 1 8.1.3.1), also
 * when FXRSTOR, FRSTOR or FLDENV load an image whose B disagrees with its ES.
 * Regression vector from the differential harness: FXRSTOR used to load B
 * verbatim. Each image is followed by FNSTSW AX (no wait, so no #MF).
 */
static u16 fsw_after_load(const char *code, unsigned len, u16 fcw, u16 fsw, bool fx)
{
	struct cpu_harness *h = run_code(code, len);
	u8 img[512];
	u32 v;
	u16 w;

	memset(img, 0, sizeof(img));
	if (fx) {
		memcpy(img + 0, &fcw, 2);
		memcpy(img + 2, &fsw, 2); /* abridged tags at +4: 0, all empty */
		v = 0x1f80;
		memcpy(img + 24, &v, 4); /* MXCSR */
	} else {
		v = fcw;
		memcpy(img + 0, &v, 4);
		v = fsw;
		memcpy(img + 4, &v, 4);
		v = 0xffff; /* all empty */
		memcpy(img + 8, &v, 4);
	}
	harness_write(h, HARNESS_DATA, img, sizeof(img));
	assert_int_equal(harness_run(h), X86_EXIT_HALT);
	assert_int_equal(harness_exception(h), -1);
	w = (u16)h->cpu->gpr[GPR_RAX];
	harness_destroy(h);
	return w;
}

static void test_fsw_b_mirrors_es(void **state)
{
	static const struct { const char *name, *code; unsigned len; bool fx; } ld[] = {
		{ "fxrstor", "\x0f\xae\x0b\xdf\xe0", 5, true },
		{ "frstor", "\xdd\x23\xdf\xe0", 4, false },
		{ "fldenv", "\xd9\x23\xdf\xe0", 4, false },
	};

	for (unsigned i = 0; i < ARRAY_SIZE(ld); i++) {
		/* B set, ES clear, no exception: B reads as 0. */
		u16 a = fsw_after_load(ld[i].code, ld[i].len, 0x037f, 0x8000, ld[i].fx);
		/* IE unmasked and pending with ES, B clear: B reads as 1. */
		u16 b = fsw_after_load(ld[i].code, ld[i].len, 0x037e, 0x0081, ld[i].fx);

		if (a != 0 || b != 0x8081)
			fail_msg("%s: fsw %#x (want 0), %#x (want 0x8081)", ld[i].name, a, b);
	}
}

/* FXCH/FCMOV/FCOMI sanity on the guest alone (flags through EFLAGS). */
static void test_fcomi(void **state)
{
	/* fld1; fldz; fcomi %st(1),%st -> 0 < 1: CF */
	struct cpu_harness *h = run_code("\xd9\xe8\xd9\xee\xdb\xf1", 6);
	assert_int_equal(harness_run(h), X86_EXIT_HALT);
	assert_int_equal(x86_get_rflags(h->cpu) & ARITH, X86_CF);
	harness_destroy(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stack_overflow), cmocka_unit_test(test_unmasked_mf),
		cmocka_unit_test(test_nm),             cmocka_unit_test(test_save_restore),
		cmocka_unit_test(test_fcomi),          cmocka_unit_test(test_differential),
		cmocka_unit_test(test_fsw_b_mirrors_es),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
