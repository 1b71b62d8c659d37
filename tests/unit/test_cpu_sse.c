/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * SSE/SSE2/MMX (cpu/x86/sse_*.c, mmx.c, cvt.c, fxsave.c).
 *
 * The bulk is differential: every instruction of cpu_fp_cases.h runs on the
 * host CPU (inline asm) and on hover's CPU with the same registers, memory
 * and MXCSR (all four rounding modes, DAZ, FTZ), on special values (zeros,
 * denormals, infinities, QNaN/SNaN, integer limits) and random ones; XMM0,
 * MM0, RAX, MXCSR, memory and (for COMIS*) EFLAGS must match. Directed tests
 * cover what a differential cannot: alignment #GP, unmasked exceptions
 * (#XM/#UD), #NM, LDMXCSR reserved bits, FXSAVE/FXRSTOR layout and round
 * trip, MMX/x87 aliasing.
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

struct sse_state {
	union x86_xmm x0, x1;
	u64 mm0, mm1;
	u64 rax;
	u64 flags;
	u32 mxcsr;
	_Alignas(16) u8 mem[64];
};

struct sse_case {
	const char *text;
	const char *bytes;
	unsigned len;
	unsigned fl;
};

#define X(text, bytes, len, fl) { text, bytes, len, fl },
static const struct sse_case sse_cases[] = { SSE_CASES(X) };
#undef X

/* ---- the host side: one asm statement per case, selected by index ---- */

#define HOST_ASM(text)                                                                     \
	__asm__ volatile("ldmxcsr %[mx]\n\t"                                               \
			 "movdqu %[x0], %%xmm0\n\t"                                        \
			 "movdqu %[x1], %%xmm1\n\t"                                        \
			 "movq %[m0], %%mm0\n\t"                                           \
			 "movq %[m1], %%mm1\n\t"                                           \
			 "mov %[ax], %%rax\n\t" text "\n\t"                                \
			 "movdqu %%xmm0, %[x0]\n\t"                                        \
			 "movq %%mm0, %[m0]\n\t"                                           \
			 "mov %%rax, %[ax]\n\t"                                            \
			 "lahf\n\t"                                                        \
			 "seto %%al\n\t"                                                   \
			 "mov %%rax, %[fl]\n\t"                                            \
			 "stmxcsr %[mx]\n\t"                                               \
			 "emms"                                                            \
			 : [x0] "+m"(s->x0), [x1] "+m"(s->x1), [m0] "+m"(s->mm0),          \
			   [m1] "+m"(s->mm1), [ax] "+m"(s->rax), [fl] "=m"(s->flags),      \
			   [mx] "+m"(s->mxcsr)                                             \
			 : "b"(s->mem)                                                     \
			 : "rax", "xmm0", "xmm1", "mm0", "mm1", "memory", "cc")

enum { SSE_BASE = __COUNTER__ + 1 };

static void host_sse(unsigned idx, struct sse_state *s)
{
	u32 saved;

	__asm__ volatile("stmxcsr %0" : "=m"(saved));
	switch (idx) {
#define X(text, bytes, len, fl)             \
	case __COUNTER__ - SSE_BASE:        \
		HOST_ASM(text);             \
		break;
		SSE_CASES(X)
#undef X
	}
	__asm__ volatile("ldmxcsr %0" : : "m"(saved));
	/* AH = SF ZF - AF - PF - CF, AL = OF */
	s->flags = ((s->flags >> 8) & (X86_CF | X86_PF | X86_AF | X86_ZF | X86_SF)) |
		   ((s->flags & 1) ? X86_OF : 0);
}

/* ---- the guest side ---- */

static void guest_sse(struct cpu_harness *h, struct sse_state *s)
{
	struct x86_cpu *cpu = h->cpu;

	cpu->fpu.xmm[0] = s->x0;
	cpu->fpu.xmm[1] = s->x1;
	cpu->fpu.fpr[0].mant = s->mm0;
	cpu->fpu.fpr[1].mant = s->mm1;
	cpu->fpu.fpr[0].exp = cpu->fpu.fpr[1].exp = 0xffff;
	cpu->fpu.fsw = 0;
	cpu->fpu.ftw = 0;
	cpu->fpu.mxcsr = s->mxcsr;
	cpu->gpr[GPR_RAX] = s->rax;
	cpu->gpr[GPR_RBX] = HARNESS_DATA;
	cpu->rip = HARNESS_CODE;
	harness_write(h, HARNESS_DATA, s->mem, sizeof(s->mem));
	assert_int_equal(harness_run(h), X86_EXIT_HALT);
	assert_int_equal(harness_exception(h), -1);
	s->x0 = cpu->fpu.xmm[0];
	s->mm0 = cpu->fpu.fpr[0].mant;
	s->rax = cpu->gpr[GPR_RAX];
	s->mxcsr = cpu->fpu.mxcsr;
	s->flags = x86_get_rflags(cpu) & ARITH;
	memcpy(s->mem, harness_ptr(h, HARNESS_DATA), sizeof(s->mem));
}

/* ---- inputs ---- */

static u64 rng_state = 0x9e3779b97f4a7c15ULL;

static u64 rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static const u32 f32_pool[] = {
	0x00000000, 0x80000000, 0x3f800000, 0xbf800000, 0x3fc00000, 0x40200000, 0xc0200000,
	0x40600000, 0x3f000000, 0x00000001, 0x807fffff, 0x00400000, 0x00800000, 0x80800001,
	0x7f7fffff, 0xff7fffff, 0x7f800000, 0xff800000, 0x7fc00000, 0xffc00000, 0x7fc12345,
	0x7f800001, 0xff812345, 0x4f000000, 0xcf000000, 0x4effffff, 0x5f000000, 0xdf000001,
	0x3effffff, 0x4b800001, 0x1e3ce508, 0x0c000000, 0x33800000, 0x3f7fffff, 0x47000000,
};

static const u64 f64_pool[] = {
	0x0000000000000000ULL, 0x8000000000000000ULL, 0x3ff0000000000000ULL, 0xbff0000000000000ULL,
	0x3ff8000000000000ULL, 0x4004000000000000ULL, 0xc004000000000000ULL, 0x3fe0000000000000ULL,
	0x0000000000000001ULL, 0x800fffffffffffffULL, 0x0010000000000000ULL, 0x7fefffffffffffffULL,
	0x7ff0000000000000ULL, 0xfff0000000000000ULL, 0x7ff8000000000000ULL, 0xfff8000000000000ULL,
	0x7ff8000000012345ULL, 0x7ff0000000000001ULL, 0xfff4000000000000ULL, 0x41e0000000000000ULL,
	0xc1e0000000000000ULL, 0x41dfffffffc00000ULL, 0xc1e0000000200000ULL, 0x43e0000000000000ULL,
	0xc3e0000000000000ULL, 0x43dfffffffffffffULL, 0x380fffffffffffffULL, 0x36a0000000000000ULL,
	0x47efffffe0000000ULL, 0x3fefffffffffffffULL, 0x4330000000000001ULL, 0x3810000000000000ULL,
};

static void rnd_vec(u8 *v, unsigned len)
{
	unsigned mode = rnd() % 6;

	for (unsigned i = 0; i < len; i += 8) {
		u64 q = rnd();
		switch (mode) {
		case 0:
			q = f32_pool[rnd() % ARRAY_SIZE(f32_pool)] |
			    (u64)f32_pool[rnd() % ARRAY_SIZE(f32_pool)] << 32;
			break;
		case 1: q = f64_pool[rnd() % ARRAY_SIZE(f64_pool)]; break;
		case 2: break;
		case 3: /* small signed words: shift counts, saturation edges */
			for (unsigned j = 0; j < 4; j++)
				q = (q << 16) | (u16)((s16)(rnd() % 41) - 20);
			break;
		case 4: {
			static const u8 e[] = { 0, 0x7f, 0x80, 0xff, 0x01, 0xfe };
			for (unsigned j = 0; j < 8; j++)
				q = (q << 8) | e[rnd() % ARRAY_SIZE(e)];
			break;
		}
		default: /* random float-ish: exponent near 1.0 */
			q = (q & 0x807fffff807fffffULL) | 0x3f0000003f000000ULL;
			break;
		}
		memcpy(v + i, &q, len - i < 8 ? len - i : 8);
	}
}

static u64 rnd_scalar(void)
{
	switch (rnd() % 5) {
	case 0: return (u64)(s64)((s32)(rnd() % 2001) - 1000);
	case 1: return f32_pool[rnd() % ARRAY_SIZE(f32_pool)];
	case 2: return f64_pool[rnd() % ARRAY_SIZE(f64_pool)];
	case 3: {
		static const u64 e[] = { 0x7fffffff, 0x80000000, 0xffffffff, 0x7fffffffffffffffULL,
					 0x8000000000000000ULL, 0xffffffffffffffffULL, 1 << 24,
					 (1 << 24) + 1, (1ULL << 53) + 1 };
		return e[rnd() % ARRAY_SIZE(e)];
	}
	default: return rnd();
	}
}

static void dump(const char *who, const struct sse_state *s)
{
	fprintf(stderr, "  %s: xmm0=%016llx:%016llx mm0=%016llx rax=%016llx mxcsr=%08x fl=%03llx\n",
		who, (unsigned long long)s->x0.q[1], (unsigned long long)s->x0.q[0],
		(unsigned long long)s->mm0, (unsigned long long)s->rax, s->mxcsr,
		(unsigned long long)s->flags);
}

static void test_differential(void **state)
{
	struct cpu_harness *h = harness_create();
	unsigned failures = 0;
	const char *seed = getenv("HOVER_FP_SEED"); /* try other inputs: HOVER_FP_SEED=n */

	if (seed && strtoull(seed, NULL, 0))
		rng_state = strtoull(seed, NULL, 0);

	for (unsigned c = 0; c < ARRAY_SIZE(sse_cases); c++) {
		const struct sse_case *k = &sse_cases[c];
		u8 code[32];

		memcpy(code, k->bytes, k->len);
		code[k->len] = 0xf4;
		harness_load(h, code, k->len + 1);
		for (unsigned mx = 0; mx < 16 && failures < 20; mx++) {
			for (unsigned it = 0; it < 16; it++) {
				struct sse_state in, hs, gs;
				memset(&in, 0, sizeof(in));
				rnd_vec(in.x0.b, 16);
				rnd_vec(in.x1.b, 16);
				in.mm0 = in.x0.q[it & 1];
				in.mm1 = in.x1.q[(it >> 1) & 1];
				in.rax = rnd_scalar();
				rnd_vec(in.mem, 64);
				if (it & 1) {
					u64 sc = rnd_scalar();
					memcpy(in.mem + 16, &sc, 8);
				}
				in.mxcsr = 0x1f80 | ((mx & 3) << 13) | ((mx & 4) ? 0x40 : 0) |
					   ((mx & 8) ? 0x8000 : 0);
				hs = in;
				gs = in;
				host_sse(c, &hs);
				guest_sse(h, &gs);
				if (!(k->fl & FPC_FLAGS))
					hs.flags = gs.flags = 0;
				if (memcmp(&hs.x0, &gs.x0, 16) || hs.mm0 != gs.mm0 || hs.rax != gs.rax ||
				    hs.mxcsr != gs.mxcsr || hs.flags != gs.flags ||
				    memcmp(hs.mem, gs.mem, sizeof(hs.mem))) {
					fprintf(stderr, "MISMATCH %s\n", k->text);
					dump("in   ", &in);
					fprintf(stderr, "  in   : xmm1=%016llx:%016llx mem16=%016llx:%016llx\n",
						(unsigned long long)in.x1.q[1], (unsigned long long)in.x1.q[0],
						(unsigned long long)*(u64 *)(in.mem + 24),
						(unsigned long long)*(u64 *)(in.mem + 16));
					dump("host ", &hs);
					dump("guest", &gs);
					if (memcmp(hs.mem, gs.mem, sizeof(hs.mem)))
						fprintf(stderr, "  memory differs\n");
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

static void test_alignment(void **state)
{
	/* movaps 8(%rbx),%xmm0 ; addps 8(%rbx),%xmm0 ; movdqa %xmm0,8(%rbx): #GP(0) */
	static const struct { const char *c; unsigned len; } gp[] = {
		{ "\x0f\x28\x43\x08", 4 }, { "\x0f\x58\x43\x08", 4 }, { "\x66\x0f\x7f\x43\x08", 5 },
		{ "\x66\x0f\xfe\x43\x08", 5 }, { "\x0f\xae\x43\x08", 4 }, { "\x0f\xae\x4b\x08", 4 },
	};
	for (unsigned i = 0; i < ARRAY_SIZE(gp); i++) {
		struct cpu_harness *h = run_code(gp[i].c, gp[i].len);
		h->cpu->fpu.xmm[0].q[0] = 0x1234;
		harness_run(h);
		assert_int_equal(harness_exception(h), X86_EXC_GP);
		assert_int_equal(h->exc_err, 0);
		assert_int_equal(h->exc_rip, HARNESS_CODE);
		assert_int_equal(h->cpu->fpu.xmm[0].q[0], 0x1234);
		harness_destroy(h);
	}
	/* movups / addss / movsd at 8(%rbx): fine */
	static const struct { const char *c; unsigned len; } ok[] = {
		{ "\x0f\x10\x43\x08", 4 }, { "\xf3\x0f\x58\x43\x08", 5 }, { "\xf2\x0f\x10\x43\x09", 5 },
	};
	for (unsigned i = 0; i < ARRAY_SIZE(ok); i++) {
		struct cpu_harness *h = run_code(ok[i].c, ok[i].len);
		assert_int_equal(harness_run(h), X86_EXIT_HALT);
		assert_int_equal(harness_exception(h), -1);
		harness_destroy(h);
	}
}

/* Unmasked invalid: #XM with CR4.OSXMMEXCPT, else #UD; destination untouched, IE set. */
static void test_unmasked(void **state)
{
	for (int osx = 0; osx < 2; osx++) {
		struct cpu_harness *h = run_code("\xf3\x0f\x58\xc1", 4); /* addss %xmm1,%xmm0 */
		struct x86_cpu *cpu = h->cpu;
		if (!osx)
			cpu->cr4 &= ~X86_CR4_OSXMMEXCPT;
		cpu->fpu.mxcsr = 0x1f80 & ~0x80; /* IM clear */
		cpu->fpu.xmm[0].l[0] = 0x3f800000;
		cpu->fpu.xmm[1].l[0] = 0x7f800001; /* SNaN */
		harness_run(h);
		assert_int_equal(harness_exception(h), osx ? X86_EXC_XM : X86_EXC_UD);
		assert_int_equal(cpu->fpu.xmm[0].l[0], 0x3f800000);
		assert_int_equal(cpu->fpu.mxcsr & 0x3f, 1);
		harness_destroy(h);
	}
	/* Masked: QNaN result, IE set, no fault. */
	struct cpu_harness *h = run_code("\xf3\x0f\x58\xc1", 4);
	h->cpu->fpu.xmm[0].l[0] = 0x3f800000;
	h->cpu->fpu.xmm[1].l[0] = 0x7f800001;
	assert_int_equal(harness_run(h), X86_EXIT_HALT);
	assert_int_equal(harness_exception(h), -1);
	assert_int_equal(h->cpu->fpu.xmm[0].l[0], 0x7fc00001);
	assert_int_equal(h->cpu->fpu.mxcsr, 0x1f81);
	harness_destroy(h);
}

static void test_nm_ud(void **state)
{
	struct cpu_harness *h = run_code("\x0f\x58\xc1", 3);
	h->cpu->cr0 |= X86_CR0_TS;
	harness_run(h);
	assert_int_equal(harness_exception(h), X86_EXC_NM);
	harness_destroy(h);
	h = run_code("\x0f\x58\xc1", 3);
	h->cpu->cr4 &= ~X86_CR4_OSFXSR;
	harness_run(h);
	assert_int_equal(harness_exception(h), X86_EXC_UD);
	harness_destroy(h);
	/* XSAVE (0F AE /4) is not advertised */
	h = run_code("\x0f\xae\x23", 3);
	harness_run(h);
	assert_int_equal(harness_exception(h), X86_EXC_UD);
	harness_destroy(h);
}

static void test_ldmxcsr(void **state)
{
	/* ldmxcsr (%rbx); stmxcsr 4(%rbx) */
	struct cpu_harness *h = run_code("\x0f\xae\x13\x0f\xae\x5b\x04", 7);
	u32 v = 0xffff;
	harness_write(h, HARNESS_DATA, &v, 4);
	assert_int_equal(harness_run(h), X86_EXIT_HALT);
	assert_int_equal(h->cpu->fpu.mxcsr, 0xffff);
	assert_int_equal(*(u32 *)harness_ptr(h, HARNESS_DATA + 4), 0xffff);
	harness_destroy(h);

	h = run_code("\x0f\xae\x13", 3);
	v = 0x11f80;
	harness_write(h, HARNESS_DATA, &v, 4);
	harness_run(h);
	assert_int_equal(harness_exception(h), X86_EXC_GP);
	assert_int_equal(h->cpu->fpu.mxcsr, 0x1f80);
	harness_destroy(h);
}

static void test_fences(void **state)
{
	/* lfence; mfence; sfence; clflush (%rbx) */
	struct cpu_harness *h = run_code("\x0f\xae\xe8\x0f\xae\xf0\x0f\xae\xf8\x0f\xae\x3b", 12);
	assert_int_equal(harness_run(h), X86_EXIT_HALT);
	assert_int_equal(harness_exception(h), -1);
	harness_destroy(h);
	/* clflush of an unmapped page: #PF */
	h = run_code("\x0f\xae\x3b", 3);
	h->cpu->gpr[GPR_RBX] = 0x40000000000ULL;
	harness_run(h);
	assert_int_equal(harness_exception(h), X86_EXC_PF);
	harness_destroy(h);
}

static void test_fxsave_layout(void **state)
{
	/* fxsave64 (%rbx); fxrstor64 0x200(%rbx) */
	struct cpu_harness *h = run_code("\x48\x0f\xae\x03\x48\x0f\xae\x8b\x00\x02\x00\x00", 12);
	struct x86_fpu *f = &h->cpu->fpu;
	f->fcw = 0x027f;
	f->fsw = (u16)(6 << 11) | 0x20;
	f->ftw = 0xffff & ~(3u << 12) & ~(3u << 14); /* R6 valid, R7 zero */
	f->ftw |= 1u << 14;
	f->fpr[6] = (struct x86_fpreg){ 0x8000000000000000ULL, 0x3fff };
	f->fpr[7] = (struct x86_fpreg){ 0, 0 };
	f->fop = 0x123;
	f->fip = 0x1122334455667788ULL;
	f->fdp = 0x99aabbccddeeff00ULL;
	f->mxcsr = 0x1fa0;
	for (unsigned i = 0; i < 16; i++)
		for (unsigned j = 0; j < 16; j++)
			f->xmm[i].b[j] = (u8)(i * 16 + j);
	struct x86_fpu before = *f;
	u8 *a = harness_ptr(h, HARNESS_DATA);
	/* a second image to restore from: a copy we edit below */
	assert_int_equal(harness_run(h), X86_EXIT_HALT); /* fxrstor of zeroes first */
	assert_int_equal(harness_exception(h), -1);
	assert_int_equal(*(u16 *)(a + 0), 0x027f);
	assert_int_equal(*(u16 *)(a + 2), (6 << 11) | 0x20);
	assert_int_equal(a[4], 0xc0);
	assert_int_equal(*(u16 *)(a + 6), 0x123);
	assert_int_equal(*(u64 *)(a + 8), 0x1122334455667788ULL);
	assert_int_equal(*(u64 *)(a + 16), 0x99aabbccddeeff00ULL);
	assert_int_equal(*(u32 *)(a + 24), 0x1fa0);
	assert_int_equal(*(u32 *)(a + 28), 0xffff);
	assert_int_equal(*(u64 *)(a + 32), 0x8000000000000000ULL); /* ST0 = R6 */
	assert_int_equal(*(u16 *)(a + 40), 0x3fff);
	assert_int_equal(*(u64 *)(a + 48), 0);                     /* ST1 = R7 */
	assert_memory_equal(a + 160, before.xmm, 256);
	/* the fxrstor from an all-zero image: empty tags, MXCSR 0 */
	assert_int_equal(f->ftw, 0xffff);
	assert_int_equal(f->mxcsr, 0);
	assert_int_equal(f->fcw, 0);

	/* round trip: restore the saved image */
	memcpy(a + 0x200, a, 512);
	h->cpu->rip = HARNESS_CODE + 4;
	assert_int_equal(harness_run(h), X86_EXIT_HALT);
	assert_int_equal(f->fcw, before.fcw);
	assert_int_equal(f->fsw, before.fsw);
	assert_int_equal(f->ftw, before.ftw);
	assert_int_equal(f->mxcsr, before.mxcsr);
	assert_int_equal(f->fip, before.fip);
	assert_memory_equal(f->fpr, before.fpr, sizeof(before.fpr));
	assert_memory_equal(f->xmm, before.xmm, sizeof(before.xmm));

	/* reserved MXCSR bits in the image: #GP */
	*(u32 *)(a + 0x200 + 24) = 0x10000;
	h->cpu->rip = HARNESS_CODE + 4;
	harness_run(h);
	assert_int_equal(harness_exception(h), X86_EXC_GP);
	harness_destroy(h);
}

/* FXSAVE against the host: same x87/SSE state, same image (FIP/FDP/FOP aside). */
static void test_fxsave_host(void **state)
{
	_Alignas(16) u8 host[512], dflt[512];
	struct cpu_harness *h = run_code("\x48\x0f\xae\x03", 4);
	struct x86_cpu *cpu = h->cpu;
	long double one = 1.0L, pi = 3.14159265358979323846L;
	u32 mx = 0x9fc0;

	__asm__ volatile("fxsave64 %0" : "=m"(dflt));
	__asm__ volatile("fninit\n\tfldt %1\n\tfldt %2\n\tldmxcsr %3\n\tfxsave64 %0\n\tfninit\n\t"
			 "fxrstor64 %4"
			 : "=m"(host)
			 : "m"(one), "m"(pi), "m"(mx), "m"(dflt));
	/* the same on the guest: x87 stack (pi, 1), MXCSR; XMM as the host had them */
	cpu->fpu.fcw = 0x37f;
	cpu->fpu.fsw = 6 << 11;
	cpu->fpu.ftw = 0x0fff;
	memcpy(&cpu->fpu.fpr[6].mant, &pi, 8);
	memcpy(&cpu->fpu.fpr[6].exp, (u8 *)&pi + 8, 2);
	memcpy(&cpu->fpu.fpr[7].mant, &one, 8);
	memcpy(&cpu->fpu.fpr[7].exp, (u8 *)&one + 8, 2);
	cpu->fpu.mxcsr = mx;
	memcpy(cpu->fpu.xmm, host + 160, 256);
	assert_int_equal(harness_run(h), X86_EXIT_HALT);
	u8 *g = harness_ptr(h, HARNESS_DATA);
	memset(host + 6, 0, 18); /* FOP FIP FDP */
	memset(g + 6, 0, 18);
	assert_memory_equal(g, host, 28); /* MXCSR_MASK differs between CPUs */
	for (unsigned i = 0; i < 8; i++)
		assert_memory_equal(g + 32 + 16 * i, host + 32 + 16 * i, 10);
	assert_memory_equal(g + 160, host + 160, 256);
	harness_destroy(h);
}

/* MMX aliasing: movq %rax,%mm3 writes R3 (exponent all ones), TOP = 0, tags valid; EMMS empties. */
static void test_mmx_alias(void **state)
{
	struct cpu_harness *h = run_code("\x48\x0f\x6e\xd8", 4);
	struct x86_cpu *cpu = h->cpu;
	cpu->fpu.fsw = 5 << 11;
	cpu->fpu.ftw = 0xffff;
	cpu->gpr[GPR_RAX] = 0x0123456789abcdefULL;
	assert_int_equal(harness_run(h), X86_EXIT_HALT);
	assert_int_equal(cpu->fpu.fpr[3].mant, 0x0123456789abcdefULL);
	assert_int_equal(cpu->fpu.fpr[3].exp, 0xffff);
	assert_int_equal(cpu->fpu.fsw & 0x3800, 0);
	assert_int_equal(cpu->fpu.ftw, 0);
	harness_destroy(h);

	h = run_code("\x0f\x77", 2); /* emms */
	h->cpu->fpu.ftw = 0;
	assert_int_equal(harness_run(h), X86_EXIT_HALT);
	assert_int_equal(h->cpu->fpu.ftw, 0xffff);
	harness_destroy(h);
}

/* RCP/RSQRT: special values exactly, others within the architectural 1.5*2^-12. */
static void test_rcp(void **state)
{
	static const u32 in[] = { 0x3f800000, 0x40490fdb, 0x00000001, 0x80000000, 0x7f800000,
				  0xff800000, 0x7fc00001, 0xbf800000, 0x7f7fffff, 0x00800000,
				  0x42f60000, 0x3a83126f };
	for (int rs = 0; rs < 2; rs++) {
		for (unsigned i = 0; i < ARRAY_SIZE(in); i++) {
			/* rcpss / rsqrtss %xmm1,%xmm0 */
			struct cpu_harness *h = run_code(rs ? "\xf3\x0f\x52\xc1" : "\xf3\x0f\x53\xc1", 4);
			h->cpu->fpu.xmm[1].l[0] = in[i];
			assert_int_equal(harness_run(h), X86_EXIT_HALT);
			u32 g = h->cpu->fpu.xmm[0].l[0], hv;
			float x;
			memcpy(&x, &in[i], 4);
			if (rs)
				__asm__("rsqrtss %1, %0" : "=x"(x) : "x"(x));
			else
				__asm__("rcpss %1, %0" : "=x"(x) : "x"(x));
			memcpy(&hv, &x, 4);
			float gf, hf;
			memcpy(&gf, &g, 4);
			memcpy(&hf, &hv, 4);
			if ((hv & 0x7f800000) == 0x7f800000 || (hv & 0x7fffffff) == 0 || hv == g) {
				assert_int_equal(g, hv);
			} else {
				double rel = (gf - hf) / (double)hf;
				assert_true(rel < 3.0 / 4096 && rel > -3.0 / 4096);
			}
			assert_int_equal(h->cpu->fpu.mxcsr, 0x1f80);
			harness_destroy(h);
		}
	}
}

/* MASKMOVDQU %xmm1,%xmm0 to (%rdi): only the bytes whose mask byte has bit 7. */
static void test_maskmov(void **state)
{
	struct cpu_harness *h = run_code("\x66\x0f\xf7\xc1", 4);
	u8 before[16];
	memset(before, 0xee, 16);
	harness_write(h, HARNESS_DATA, before, 16);
	h->cpu->gpr[GPR_RDI] = HARNESS_DATA;
	for (unsigned i = 0; i < 16; i++) {
		h->cpu->fpu.xmm[0].b[i] = (u8)i;
		h->cpu->fpu.xmm[1].b[i] = (i & 1) ? 0x80 : 0x7f;
	}
	assert_int_equal(harness_run(h), X86_EXIT_HALT);
	u8 *m = harness_ptr(h, HARNESS_DATA);
	for (unsigned i = 0; i < 16; i++)
		assert_int_equal(m[i], (i & 1) ? i : 0xee);
	harness_destroy(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_alignment),   cmocka_unit_test(test_unmasked),
		cmocka_unit_test(test_nm_ud),       cmocka_unit_test(test_ldmxcsr),
		cmocka_unit_test(test_fences),      cmocka_unit_test(test_fxsave_layout),
		cmocka_unit_test(test_fxsave_host), cmocka_unit_test(test_mmx_alias),
		cmocka_unit_test(test_rcp),         cmocka_unit_test(test_maskmov),
		cmocka_unit_test(test_differential),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
