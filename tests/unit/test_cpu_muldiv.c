/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * MUL/IMUL/DIV/IDIV (Intel SDM Vol. 2A/2B): register forms against the host
 * CPU, memory forms, and #DE for zero divisors and quotient overflow.
 */
#define CPU_INT_CASES_MULDIV
#include "tests/unit/cpu_int_test.h"
#include "tests/unit/cpu_int_cases.h"

#define CODE(s) s, sizeof(s) - 1

static void test_muldiv_differential(void **state)
{
	int_run_cases(int_cases, ARRAY_SIZE(int_cases), 300);
}

/* #DE is a fault: RIP of the DIV, registers untouched. */
static void expect_de(const char *code, size_t len, struct int_regs *r)
{
	struct x86_cpu *cpu = int_h->cpu;

	assert_int_equal(int_exec(code, len, r), X86_EXC_DE);
	assert_int_equal(int_h->exc_rip, HARNESS_CODE);
	assert_int_equal(cpu->gpr[GPR_RAX], r->gpr[GPR_RAX]);
	assert_int_equal(cpu->gpr[GPR_RDX], r->gpr[GPR_RDX]);
}

static void test_muldiv_faults(void **state)
{
	struct int_regs r = { 0 };
	struct x86_cpu *cpu = int_h->cpu;

	/* div ebx by zero */
	r.gpr[GPR_RAX] = 10;
	r.gpr[GPR_RBX] = 0xffffffff00000000ULL;
	expect_de(CODE("\xf7\xf3"), &r);
	/* div bl: AX = 0x1000 / 1 does not fit in AL */
	r.gpr[GPR_RAX] = 0x1000;
	r.gpr[GPR_RBX] = 1;
	expect_de(CODE("\xf6\xf3"), &r);
	/* idiv rbx: INT64_MIN / -1 */
	r.gpr[GPR_RAX] = 0x8000000000000000ULL;
	r.gpr[GPR_RDX] = ~0ULL;
	r.gpr[GPR_RBX] = ~0ULL;
	expect_de(CODE("\x48\xf7\xfb"), &r);
	/* idiv ebx: EDX:EAX = INT64_MIN / -1 (would trap in a naive host division) */
	r.gpr[GPR_RAX] = 0;
	r.gpr[GPR_RDX] = 0x80000000;
	r.gpr[GPR_RBX] = 0xffffffff;
	expect_de(CODE("\xf7\xfb"), &r);
	/* idiv ebx: -2^31 / -1 = 2^31 does not fit */
	r.gpr[GPR_RAX] = 0x80000000;
	r.gpr[GPR_RDX] = 0xffffffff;
	expect_de(CODE("\xf7\xfb"), &r);
	/* idiv bl: AX = -128 / -1 */
	r.gpr[GPR_RAX] = 0xff80;
	r.gpr[GPR_RBX] = 0xff;
	expect_de(CODE("\xf6\xfb"), &r);

	/* idiv ebx: 2^31 / -1 = -2^31 fits */
	r.gpr[GPR_RAX] = 0x80000000;
	r.gpr[GPR_RDX] = 0;
	r.gpr[GPR_RBX] = 0xffffffff;
	assert_int_equal(int_exec(CODE("\xf7\xfb"), &r), -1);
	assert_int_equal(cpu->gpr[GPR_RAX], 0x80000000);
	assert_int_equal(cpu->gpr[GPR_RDX], 0);
	/* idiv rbx: -7 / 2 = -3 rem -1 (truncation toward zero) */
	r.gpr[GPR_RAX] = (u64)-7;
	r.gpr[GPR_RDX] = ~0ULL;
	r.gpr[GPR_RBX] = 2;
	assert_int_equal(int_exec(CODE("\x48\xf7\xfb"), &r), -1);
	assert_int_equal(cpu->gpr[GPR_RAX], (u64)-3);
	assert_int_equal(cpu->gpr[GPR_RDX], (u64)-1);
	/* div rbx with a 128-bit dividend */
	r.gpr[GPR_RAX] = 0;
	r.gpr[GPR_RDX] = 1;
	r.gpr[GPR_RBX] = 2;
	assert_int_equal(int_exec(CODE("\x48\xf7\xf3"), &r), -1);
	assert_int_equal(cpu->gpr[GPR_RAX], 0x8000000000000000ULL);
	assert_int_equal(cpu->gpr[GPR_RDX], 0);
}

static void test_muldiv_memory(void **state)
{
	struct int_regs r = { .gpr[GPR_RDI] = HARNESS_DATA };
	struct x86_cpu *cpu = int_h->cpu;
	u64 *q = (u64 *)int_data(0);

	/* mul qword [rdi] */
	q[0] = 0x100000000ULL;
	r.gpr[GPR_RAX] = 0x300000000ULL;
	assert_int_equal(int_exec(CODE("\x48\xf7\x27"), &r), -1);
	assert_int_equal(cpu->gpr[GPR_RAX], 0);
	assert_int_equal(cpu->gpr[GPR_RDX], 3);
	assert_int_equal(int_flags() & FL_CFOF, FL_CFOF);

	/* imul eax, [rdi], -2 */
	q[0] = 0x40000000;
	r.gpr[GPR_RAX] = 0xdeadbeefdeadbeefULL;
	assert_int_equal(int_exec(CODE("\x6b\x07\xfe"), &r), -1);
	assert_int_equal(cpu->gpr[GPR_RAX], 0x80000000);
	assert_int_equal(int_flags() & FL_CFOF, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_muldiv_differential),
		cmocka_unit_test(test_muldiv_faults),
		cmocka_unit_test(test_muldiv_memory),
	};

	return cmocka_run_group_tests(tests, int_setup, int_teardown);
}
