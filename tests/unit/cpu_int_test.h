/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Shared helpers of the integer-instruction unit tests (test_cpu_alu.c,
 * test_cpu_shift.c, ...). Header-only: each test is one executable.
 *
 * Differential check: a register-only instruction (cpu_int_cases.h, made by
 * gen_cpu_int_cases.py with GNU as) runs natively on the host (which is
 * x86-64) and on hover's CPU with the same registers and flags; the results
 * must agree in every general register and in the flags the SDM defines for
 * it. The host may be Intel or AMD: undefined flags are masked out.
 *
 * Define CPU_INT_CASES_<FAMILY> before including this to get int_cases[].
 */
#ifndef HOVER_TESTS_UNIT_CPU_INT_TEST_H
#define HOVER_TESTS_UNIT_CPU_INT_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include <cmocka.h>

#include "cpu/x86/cpu.h"
#include "tests/unit/cpu_harness.h"

#define FL_ALL (X86_CF | X86_PF | X86_AF | X86_ZF | X86_SF | X86_OF)
#define FL_NOAF (FL_ALL & ~X86_AF)
#define FL_SHIFT (X86_CF | X86_PF | X86_ZF | X86_SF)
#define FL_ROT (FL_ALL & ~X86_OF)
#define FL_CFOF (X86_CF | X86_OF)
#define FL_CF X86_CF
#define FL_ZF X86_ZF

/* How to shape random inputs so that the instruction is defined (and does not #DE). */
enum {
	IN_NONE, IN_CL_LT8, IN_CL_LT16, IN_DIV1, IN_DIV2, IN_DIV4, IN_DIV8,
	IN_IDIV1, IN_IDIV2, IN_IDIV4, IN_IDIV8, IN_CMPXCHG, IN_CMPXCHG_AH, IN_SMALL_RCX,
};

struct int_case {
	const char *text;
	unsigned len;
	u8 bytes[15];
	int kind;
	u64 mask;
};

struct int_regs {
	u64 gpr[16];
	u64 flags;
};

/* ---- the native side ---- */

/*
 * Prologue: save callee-saved registers and the struct pointer, load RFLAGS
 * and every GPR but RSP from the struct int_regs in RDI. Epilogue: store them
 * back (MOV and XCHG do not touch flags), then PUSHFQ.
 */
static const u8 native_pro[] = {
	0x53, 0x55, 0x41, 0x54, 0x41, 0x55, 0x41, 0x56, 0x41, 0x57, 0x57, 0xff,
	0xb7, 0x80, 0x00, 0x00, 0x00, 0x9d, 0x48, 0x8b, 0x07, 0x48, 0x8b, 0x4f,
	0x08, 0x48, 0x8b, 0x57, 0x10, 0x48, 0x8b, 0x5f, 0x18, 0x48, 0x8b, 0x6f,
	0x28, 0x48, 0x8b, 0x77, 0x30, 0x4c, 0x8b, 0x47, 0x40, 0x4c, 0x8b, 0x4f,
	0x48, 0x4c, 0x8b, 0x57, 0x50, 0x4c, 0x8b, 0x5f, 0x58, 0x4c, 0x8b, 0x67,
	0x60, 0x4c, 0x8b, 0x6f, 0x68, 0x4c, 0x8b, 0x77, 0x70, 0x4c, 0x8b, 0x7f,
	0x78, 0x48, 0x8b, 0x7f, 0x38,
};
static const u8 native_epi[] = {
	0x48, 0x87, 0x3c, 0x24, 0x48, 0x89, 0x07,
	0x48, 0x89, 0x4f, 0x08, 0x48, 0x89, 0x57, 0x10, 0x48, 0x89, 0x5f, 0x18,
	0x48, 0x89, 0x6f, 0x28, 0x48, 0x89, 0x77, 0x30, 0x4c, 0x89, 0x47, 0x40,
	0x4c, 0x89, 0x4f, 0x48, 0x4c, 0x89, 0x57, 0x50, 0x4c, 0x89, 0x5f, 0x58,
	0x4c, 0x89, 0x67, 0x60, 0x4c, 0x89, 0x6f, 0x68, 0x4c, 0x89, 0x77, 0x70,
	0x4c, 0x89, 0x7f, 0x78, 0x9c, 0x8f, 0x87, 0x80, 0x00, 0x00, 0x00, 0x8f,
	0x47, 0x38, 0x41, 0x5f, 0x41, 0x5e, 0x41, 0x5d, 0x41, 0x5c, 0x5d, 0x5b,
	0xc3,
};

typedef void native_fn(struct int_regs *r);

static u8 *native_page;

static inline native_fn *native_build(const struct int_case *c)
{
	u8 *p;

	if (!native_page) {
		native_page = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
				   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		assert_true(native_page != MAP_FAILED);
	}
	p = native_page;
	memcpy(p, native_pro, sizeof(native_pro));
	p += sizeof(native_pro);
	memcpy(p, c->bytes, c->len);
	p += c->len;
	memcpy(p, native_epi, sizeof(native_epi));
	__builtin___clear_cache((char *)native_page, (char *)p + sizeof(native_epi));
	return (native_fn *)(void *)native_page;
}

/* ---- the emulated side ---- */

static struct cpu_harness *int_h;

static inline int int_setup(void **state)
{
	int_h = harness_create();
	return int_h ? 0 : -1;
}

static inline int int_teardown(void **state)
{
	harness_destroy(int_h);
	int_h = NULL;
	if (native_page)
		munmap(native_page, 4096);
	native_page = NULL;
	return 0;
}

/* Load `code` followed by HLT. */
static inline void int_load(const void *code, size_t len)
{
	u8 buf[256];

	assert_true(len < sizeof(buf));
	memcpy(buf, code, len);
	buf[len] = 0xf4;
	harness_load(int_h, buf, len + 1);
}

/* Set every GPR but RSP and the arithmetic flags, start at HARNESS_CODE. */
static inline void int_prepare(const struct int_regs *r)
{
	struct x86_cpu *cpu = int_h->cpu;

	memcpy(cpu->gpr, r->gpr, sizeof(cpu->gpr));
	cpu->gpr[GPR_RSP] = HARNESS_STACK;
	cpu->rip = HARNESS_CODE;
	cpu->lf.op = X86_LF_NONE;
	cpu->rflags = 2 | (r->flags & (FL_ALL | X86_DF));
	cpu->halted = false;
}

/* Run to the HLT; returns the exception vector taken, or -1. */
static inline int int_run(void)
{
	enum x86_exit e = harness_run(int_h);

	assert_int_equal(e, X86_EXIT_HALT);
	return harness_exception(int_h);
}

static inline void emu_exec(struct int_regs *r)
{
	int_prepare(r);
	assert_int_equal(int_run(), -1);
	memcpy(r->gpr, int_h->cpu->gpr, sizeof(r->gpr));
	r->flags = x86_get_rflags(int_h->cpu);
}

/* ---- random inputs ---- */

static u64 rng_state = 0x9e3779b97f4a7c15ULL;

static inline u64 rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static const u64 edge_values[] = {
	0, 1, 2, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x10000, 0x7fffffff,
	0x80000000, 0xffffffff, 0x100000000ULL, 0x7fffffffffffffffULL,
	0x8000000000000000ULL, 0xffffffffffffffffULL, 0xfffffffffffffffeULL, 0x8080808080808080ULL,
};

static inline u64 rnd_value(void)
{
	switch (rnd() % 4) {
	case 0: return edge_values[rnd() % ARRAY_SIZE(edge_values)];
	case 1: return rnd() & 0xff;
	case 2: return rnd() % 70;
	default: return rnd();
	}
}

static inline u64 mask_of(unsigned k)
{
	return k == 8 ? ~0ULL : (1ULL << (k * 8)) - 1;
}

static inline u64 sext_of(u64 v, unsigned k)
{
	unsigned sh = 64 - k * 8;

	return (u64)((s64)(v << sh) >> sh);
}

static inline void set_low(u64 *reg, unsigned k, u64 v)
{
	*reg = (*reg & ~mask_of(k)) | (v & mask_of(k));
}

static inline void shape_inputs(int kind, struct int_regs *r)
{
	unsigned k;
	u64 d, lo;

	switch (kind) {
	case IN_CL_LT8: set_low(&r->gpr[GPR_RCX], 1, rnd() % 8); break;
	case IN_CL_LT16: set_low(&r->gpr[GPR_RCX], 1, rnd() % 16); break;
	case IN_DIV1: case IN_DIV2: case IN_DIV4: case IN_DIV8:
		k = kind == IN_DIV1 ? 1 : kind == IN_DIV2 ? 2 : kind == IN_DIV4 ? 4 : 8;
		d = r->gpr[GPR_RBX] & mask_of(k);
		if (!d)
			d = 1;
		set_low(&r->gpr[GPR_RBX], k, d);
		if (k == 1)
			r->gpr[GPR_RAX] = (r->gpr[GPR_RAX] & ~0xff00ULL) | ((rnd() % d) << 8);
		else
			set_low(&r->gpr[GPR_RDX], k, rnd() % d);
		break;
	case IN_IDIV1: case IN_IDIV2: case IN_IDIV4: case IN_IDIV8:
		k = kind == IN_IDIV1 ? 1 : kind == IN_IDIV2 ? 2 : kind == IN_IDIV4 ? 4 : 8;
		d = sext_of(r->gpr[GPR_RBX], k);
		lo = sext_of(r->gpr[GPR_RAX], k);
		if (!d || (d == ~0ULL && lo == sext_of(1ULL << (k * 8 - 1), k)))
			d = 3;
		set_low(&r->gpr[GPR_RBX], k, d);
		if (k == 1)
			r->gpr[GPR_RAX] = (r->gpr[GPR_RAX] & ~0xff00ULL) | ((lo >> 63) ? 0xff00 : 0);
		else
			set_low(&r->gpr[GPR_RDX], k, (lo >> 63) ? ~0ULL : 0);
		break;
	case IN_CMPXCHG:
		if (rnd() & 1)
			r->gpr[GPR_RAX] = r->gpr[GPR_RBX];
		break;
	case IN_SMALL_RCX: {
		static const u64 v[] = { 0, 1, 2, 1ULL << 32, (1ULL << 32) + 1, 0xffffffff };

		r->gpr[GPR_RCX] = v[rnd() % ARRAY_SIZE(v)];
		break;
	}
	case IN_CMPXCHG_AH:
		if (rnd() & 1)
			set_low(&r->gpr[GPR_RAX], 1, r->gpr[GPR_RAX] >> 8);
		break;
	default:
		break;
	}
}

static inline void print_regs(const char *what, const struct int_regs *r)
{
	print_error("  %s:", what);
	for (unsigned i = 0; i < 16; i++)
		if (i != GPR_RSP)
			print_error(" r%u=%llx", i, (unsigned long long)r->gpr[i]);
	print_error(" fl=%llx\n", (unsigned long long)r->flags);
}

/* Run every case `iters` times with random inputs natively and on hover's CPU; fail on a difference. */
static inline void int_run_cases(const struct int_case *cases, size_t n, unsigned iters)
{
	unsigned failures = 0;

#ifndef __x86_64__
	skip(); /* the reference is the host CPU */
#endif
	for (size_t i = 0; i < n; i++) {
		const struct int_case *c = &cases[i];
		native_fn *fn = native_build(c);

		int_load(c->bytes, c->len);
		for (unsigned it = 0; it < iters; it++) {
			struct int_regs in, nat, emu;
			unsigned g;
			bool bad = false;

			for (g = 0; g < 16; g++)
				in.gpr[g] = rnd_value();
			in.flags = rnd() & FL_ALL;
			shape_inputs(c->kind, &in);
			nat = in;
			nat.flags |= 0x202;
			fn(&nat);
			emu = in;
			emu_exec(&emu);
			for (g = 0; g < 16; g++)
				if (g != GPR_RSP && nat.gpr[g] != emu.gpr[g])
					bad = true;
			if ((nat.flags ^ emu.flags) & c->mask)
				bad = true;
			if (bad) {
				if (failures < 10) {
					print_error("%s: mismatch (flag mask %llx)\n", c->text,
						    (unsigned long long)c->mask);
					print_regs("in    ", &in);
					print_regs("native", &nat);
					print_regs("hover ", &emu);
				}
				failures++;
				break;
			}
		}
	}
	assert_int_equal(failures, 0);
}

/* ---- directed tests ---- */

/* Run `code`; returns the exception vector or -1. Registers are left in int_h->cpu. */
static inline int int_exec(const void *code, size_t len, const struct int_regs *r)
{
	int_load(code, len);
	int_prepare(r);
	return int_run();
}

static inline u64 int_flags(void)
{
	return x86_get_rflags(int_h->cpu);
}

static inline u8 *int_data(u64 off)
{
	return harness_ptr(int_h, HARNESS_DATA + off);
}

#endif
