/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Group 2 shifts/rotates and SHLD/SHRD (Intel SDM Vol. 2B): register forms
 * against the host CPU, memory forms, count 0, counts past the width.
 */
#define CPU_INT_CASES_SHIFT
#include "tests/unit/cpu_int_test.h"
#include "tests/unit/cpu_int_cases.h"

#define CODE(s) s, sizeof(s) - 1

static void test_shift_differential(void **state)
{
	int_run_cases(int_cases, ARRAY_SIZE(int_cases), 200);
}

static void test_shift_memory(void **state)
{
	struct int_regs r = { .gpr[GPR_RDI] = HARNESS_DATA };
	u64 *q = (u64 *)int_data(0);

	/* shl dword [rdi], cl with CL = 32: masked to 0, nothing changes, flags kept */
	q[0] = 0x1234567880000001ULL;
	r.gpr[GPR_RCX] = 32;
	r.flags = X86_OF | X86_ZF | X86_AF;
	assert_int_equal(int_exec(CODE("\xd3\x27"), &r), -1);
	assert_int_equal(q[0], 0x1234567880000001ULL);
	assert_int_equal(int_flags() & FL_ALL, X86_OF | X86_ZF | X86_AF);

	/* CL = 33 -> shift by 1 */
	r.gpr[GPR_RCX] = 33;
	assert_int_equal(int_exec(CODE("\xd3\x27"), &r), -1);
	assert_int_equal(q[0], 0x1234567800000002ULL);
	assert_int_equal(int_flags() & (X86_CF | X86_OF | X86_ZF), X86_CF | X86_OF);

	/* rcl qword [rdi], 1 with CF = 1 */
	q[0] = 0x8000000000000000ULL;
	r.flags = X86_CF;
	assert_int_equal(int_exec(CODE("\x48\xd1\x17"), &r), -1);
	assert_int_equal(q[0], 1);
	assert_int_equal(int_flags() & (X86_CF | X86_OF), X86_CF | X86_OF);

	/* shld dword [rdi], esi, 4 */
	q[0] = 0x12345678;
	r.gpr[GPR_RSI] = 0xabcdef01;
	assert_int_equal(int_exec(CODE("\x0f\xa4\x37\x04"), &r), -1);
	assert_int_equal(q[0], 0x2345678a);
	assert_int_equal(int_flags() & X86_CF, X86_CF);

	/* shr word [rdi], 3 */
	q[0] = 0xffff000f;
	assert_int_equal(int_exec(CODE("\x66\xc1\x2f\x03"), &r), -1);
	assert_int_equal(q[0], 0xffff0001);
	assert_int_equal(int_flags() & X86_CF, X86_CF);
}

/* Byte shifts by counts above 8 (CL masked to 5 bits first). */
static void test_shift_wide_counts(void **state)
{
	struct int_regs r = { 0 };
	struct x86_cpu *cpu = int_h->cpu;

	/* shl bl, cl with CL = 9: 0 */
	r.gpr[GPR_RBX] = 0xff;
	r.gpr[GPR_RCX] = 9;
	assert_int_equal(int_exec(CODE("\xd2\xe3"), &r), -1);
	assert_int_equal(cpu->gpr[GPR_RBX], 0);
	assert_true(int_flags() & X86_ZF);

	/* sar bl, cl with CL = 20: sign fill, CF = sign */
	r.gpr[GPR_RBX] = 0x80;
	r.gpr[GPR_RCX] = 20;
	assert_int_equal(int_exec(CODE("\xd2\xfb"), &r), -1);
	assert_int_equal(cpu->gpr[GPR_RBX], 0xff);
	assert_true(int_flags() & X86_CF);

	/* rol bl, cl with CL = 8: value unchanged, CF = bit 0 */
	r.gpr[GPR_RBX] = 0x81;
	r.gpr[GPR_RCX] = 8;
	assert_int_equal(int_exec(CODE("\xd2\xc3"), &r), -1);
	assert_int_equal(cpu->gpr[GPR_RBX], 0x81);
	assert_true(int_flags() & X86_CF);

	/* shl ebx, cl with CL = 0: the 32-bit register is still zero-extended */
	r.gpr[GPR_RBX] = 0xffffffff00000001ULL;
	r.gpr[GPR_RCX] = 0;
	assert_int_equal(int_exec(CODE("\xd3\xe3"), &r), -1);
	assert_int_equal(cpu->gpr[GPR_RBX], 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shift_differential),
		cmocka_unit_test(test_shift_memory),
		cmocka_unit_test(test_shift_wide_counts),
	};

	return cmocka_run_group_tests(tests, int_setup, int_teardown);
}
