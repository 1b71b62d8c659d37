/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Lazy flags (cpu/x86/flags.c) against the host CPU: every lazy operation,
 * every operand size, edge and random operands; the expected flags come from
 * running the same instruction natively (the build host is x86-64).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cpu/x86/exec.h"

#define ARITH (X86_CF | X86_PF | X86_AF | X86_ZF | X86_SF | X86_OF)

/* res = op(a, b) on the host with CF = cin first; returns host RFLAGS. */
#define HOST2(name, insn, type)                                                     \
	static u64 name(u64 a, u64 b, bool cin, u64 *res)                           \
	{                                                                           \
		type x = (type)a, y = (type)b;                                      \
		u64 f, c = cin;                                                     \
		__asm__ volatile("bt $0, %[c]\n\t" insn " %[y], %[x]\n\tpushfq\n\tpopq %[f]" \
				 : [x] "+r"(x), [f] "=r"(f)                         \
				 : [y] "r"(y), [c] "r"(c)                           \
				 : "cc");                                           \
		*res = x;                                                           \
		return f;                                                           \
	}
#define HOST1(name, insn, type)                                                     \
	static u64 name(u64 a, u64 b, bool cin, u64 *res)                           \
	{                                                                           \
		type x = (type)a;                                                   \
		u64 f, c = cin;                                                     \
		__asm__ volatile("bt $0, %[c]\n\t" insn " %[x]\n\tpushfq\n\tpopq %[f]" \
				 : [x] "+r"(x), [f] "=r"(f)                         \
				 : [c] "r"(c)                                       \
				 : "cc");                                           \
		*res = x;                                                           \
		return f;                                                           \
	}
#define HOST_ALL(op, insn)                       \
	HOST2(host_##op##_1, insn, u8)           \
	HOST2(host_##op##_2, insn, u16)          \
	HOST2(host_##op##_4, insn, u32)          \
	HOST2(host_##op##_8, insn, u64)
#define HOST_ALL1(op, insn)                      \
	HOST1(host_##op##_1, insn, u8)           \
	HOST1(host_##op##_2, insn, u16)          \
	HOST1(host_##op##_4, insn, u32)          \
	HOST1(host_##op##_8, insn, u64)

HOST_ALL(add, "add")
HOST_ALL(adc, "adc")
HOST_ALL(sub, "sub")
HOST_ALL(sbb, "sbb")
HOST_ALL(and, "and")
HOST_ALL(xor, "xor")
HOST_ALL1(inc, "inc")
HOST_ALL1(dec, "dec")
HOST_ALL1(neg, "neg")

typedef u64 host_fn(u64 a, u64 b, bool cin, u64 *res);

struct op_case {
	const char *name;
	enum x86_lazy_op op;
	host_fn *fn[4];
	u64 ignore; /* flags the SDM leaves undefined */
};

#define FNS(op) { host_##op##_1, host_##op##_2, host_##op##_4, host_##op##_8 }

static const struct op_case ops[] = {
	{ "add", X86_LF_ADD, FNS(add), 0 },
	{ "adc", X86_LF_ADC, FNS(adc), 0 },
	{ "sub", X86_LF_SUB, FNS(sub), 0 },
	{ "sbb", X86_LF_SBB, FNS(sbb), 0 },
	{ "and", X86_LF_LOGIC, FNS(and), X86_AF },
	{ "xor", X86_LF_LOGIC, FNS(xor), X86_AF },
	{ "inc", X86_LF_INC, FNS(inc), 0 },
	{ "dec", X86_LF_DEC, FNS(dec), 0 },
	{ "neg", X86_LF_NEG, FNS(neg), 0 },
};

static const u64 edges[] = {
	0, 1, 2, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff, 0x7fffffff, 0x80000000, 0xffffffff,
	0x7fffffffffffffffULL, 0x8000000000000000ULL, 0xffffffffffffffffULL, 0x0f, 0x10, 0x5a5a5a5a5a5a5a5aULL,
};

static u64 rnd64(void)
{
	return ((u64)rand() << 42) ^ ((u64)rand() << 21) ^ (u64)rand();
}

/* Set up the lazy state exactly as an instruction handler would. */
static void record(struct x86_cpu *cpu, enum x86_lazy_op op, unsigned size, u64 a, u64 b, bool cin,
		   u64 res)
{
	switch (op) {
	case X86_LF_INC:
	case X86_LF_DEC:
		x86_lazy_cf(cpu, op, size, res, a, 1, cin);
		break;
	case X86_LF_NEG:
		x86_lazy_cf(cpu, op, size, res, 0, a, cin);
		break;
	default:
		x86_lazy_cf(cpu, op, size, res, a, b, cin);
		break;
	}
}

static void check_one(const struct op_case *oc, unsigned si, u64 a, u64 b, bool cin)
{
	static const unsigned sizes[] = { 1, 2, 4, 8 };
	unsigned size = sizes[si];
	struct x86_cpu cpu;
	u64 res, want, got;

	memset(&cpu, 0, sizeof(cpu));
	cpu.rflags = 2 | (cin ? X86_CF : 0);
	want = oc->fn[si](a, b, cin, &res) & ARITH & ~oc->ignore;
	record(&cpu, oc->op, size, a, b, cin, res);

	/* condition codes agree with the host flags */
	for (unsigned cc = 0; cc < 16; cc++) {
		u64 f = oc->fn[si](a, b, cin, &res);
		bool host;

		switch (cc >> 1) {
		case 0: host = f & X86_OF; break;
		case 1: host = f & X86_CF; break;
		case 2: host = f & X86_ZF; break;
		case 3: host = f & (X86_CF | X86_ZF); break;
		case 4: host = f & X86_SF; break;
		case 5: host = f & X86_PF; break;
		case 6: host = !(f & X86_SF) != !(f & X86_OF); break;
		default: host = (f & X86_ZF) || (!(f & X86_SF) != !(f & X86_OF)); break;
		}
		host ^= cc & 1;
		if (x86_cond(&cpu, cc) != host)
			fail_msg("%s size %u a=%#llx b=%#llx cin=%d: cc %u got %d", oc->name, size,
				 (unsigned long long)a, (unsigned long long)b, cin, cc, !host);
	}
	assert_int_equal(x86_get_cf(&cpu), !!(want & X86_CF));
	got = x86_get_rflags(&cpu) & ARITH & ~oc->ignore;
	if (got != want)
		fail_msg("%s size %u a=%#llx b=%#llx cin=%d: flags %#llx want %#llx", oc->name, size,
			 (unsigned long long)a, (unsigned long long)b, cin, (unsigned long long)got,
			 (unsigned long long)want);
	assert_int_equal(cpu.lf.op, X86_LF_NONE);
}

static void test_flags_vs_host(void **state)
{
	for (unsigned o = 0; o < ARRAY_SIZE(ops); o++)
		for (unsigned si = 0; si < 4; si++) {
			for (unsigned i = 0; i < ARRAY_SIZE(edges); i++)
				for (unsigned j = 0; j < ARRAY_SIZE(edges); j++)
					for (int c = 0; c < 2; c++)
						check_one(&ops[o], si, edges[i], edges[j], c);
			for (int k = 0; k < 2000; k++)
				check_one(&ops[o], si, rnd64(), rnd64(), rand() & 1);
		}
}

/* A few hand-checked rows, readable as documentation of the convention. */
static void test_flags_table(void **state)
{
	static const struct {
		enum x86_lazy_op op;
		unsigned size;
		u64 res, src1, src2;
		bool cf_in;
		u64 flags;
	} t[] = {
		{ X86_LF_ADD, 1, 0x00, 0xff, 0x01, 0, X86_CF | X86_ZF | X86_PF | X86_AF },
		{ X86_LF_ADD, 1, 0x80, 0x7f, 0x01, 0, X86_OF | X86_SF | X86_AF },
		{ X86_LF_SUB, 4, 0xffffffff, 0, 1, 0, X86_CF | X86_SF | X86_PF | X86_AF },
		{ X86_LF_SUB, 8, 0, 5, 5, 0, X86_ZF | X86_PF },
		{ X86_LF_LOGIC, 2, 0x8000, 0, 0, 0, X86_SF | X86_PF },
		{ X86_LF_INC, 4, 0x80000000, 0x7fffffff, 1, 1, X86_CF | X86_OF | X86_SF | X86_AF | X86_PF },
		{ X86_LF_DEC, 1, 0xff, 0x00, 1, 0, X86_SF | X86_AF | X86_PF },
		{ X86_LF_NEG, 1, 0x80, 0, 0x80, 0, X86_CF | X86_OF | X86_SF },
		{ X86_LF_NEG, 8, 0, 0, 0, 1, X86_ZF | X86_PF },
		{ X86_LF_ADC, 1, 0x00, 0xff, 0x00, 1, X86_CF | X86_ZF | X86_PF | X86_AF },
		{ X86_LF_SBB, 1, 0xff, 0x00, 0x00, 1, X86_CF | X86_SF | X86_PF | X86_AF },
	};
	for (unsigned i = 0; i < ARRAY_SIZE(t); i++) {
		struct x86_cpu cpu;

		memset(&cpu, 0, sizeof(cpu));
		x86_lazy_cf(&cpu, t[i].op, t[i].size, t[i].res, t[i].src1, t[i].src2, t[i].cf_in);
		x86_flags_sync(&cpu);
		if ((cpu.rflags & ARITH) != t[i].flags)
			fail_msg("row %u: %#llx want %#llx", i, (unsigned long long)(cpu.rflags & ARITH),
				 (unsigned long long)t[i].flags);
	}
}

static void test_flags_szp_eager(void **state)
{
	struct x86_cpu cpu;

	assert_int_equal(x86_szp(0, 4), X86_ZF | X86_PF);
	assert_int_equal(x86_szp(0x100, 1), X86_ZF | X86_PF);
	assert_int_equal(x86_szp(0x80, 1), X86_SF);
	assert_int_equal(x86_szp(0x8000000000000003ULL, 8), X86_SF | X86_PF);

	memset(&cpu, 0, sizeof(cpu));
	cpu.rflags = 2 | X86_IF;
	x86_set_arith_flags(&cpu, X86_CF | X86_ZF);
	assert_true(x86_cond(&cpu, 2));  /* B */
	assert_true(x86_cond(&cpu, 6));  /* BE */
	assert_false(x86_cond(&cpu, 7)); /* A */
	assert_true(x86_get_cf(&cpu));
	assert_int_equal(x86_get_rflags(&cpu), 2 | X86_IF | X86_CF | X86_ZF);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_flags_table),
		cmocka_unit_test(test_flags_vs_host),
		cmocka_unit_test(test_flags_szp_eager),
	};

	srand(1);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
