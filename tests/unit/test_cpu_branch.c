/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Jcc, JMP, CALL, RET, LOOP*, JrCXZ (Intel SDM Vol. 2A/2B): conditions
 * against the host CPU, calls and returns, address-size of the count.
 */
#define CPU_INT_CASES_BRANCH
#include "tests/unit/cpu_int_test.h"
#include "tests/unit/cpu_int_cases.h"

#define CODE(s) s, sizeof(s) - 1

static void test_branch_differential(void **state)
{
	int_run_cases(int_cases, ARRAY_SIZE(int_cases), 100);
}

static void test_branch_call_ret(void **state)
{
	struct int_regs r = { 0 };
	struct x86_cpu *cpu = int_h->cpu;

	/* call 1f; hlt; 1: ret -> back to the HLT after the call */
	assert_int_equal(int_exec(CODE("\xe8\x01\x00\x00\x00\xf4\xc3"), &r), -1);
	assert_int_equal(cpu->rip, HARNESS_CODE + 6);
	assert_int_equal(cpu->gpr[GPR_RSP], HARNESS_STACK);

	/* ret 8 releases 8 more bytes */
	assert_int_equal(int_exec(CODE("\xe8\x01\x00\x00\x00\xf4\xc2\x08\x00"), &r), -1);
	assert_int_equal(cpu->rip, HARNESS_CODE + 6);
	assert_int_equal(cpu->gpr[GPR_RSP], HARNESS_STACK + 8);
}

/* A counted loop: mov ecx, 1000; xor eax, eax; 1: inc eax; loop 1b */
static void test_branch_loop(void **state)
{
	struct int_regs r = { 0 };
	struct x86_cpu *cpu = int_h->cpu;

	assert_int_equal(int_exec(CODE("\xb9\xe8\x03\x00\x00\x31\xc0\xff\xc0\xe2\xfc"), &r), -1);
	assert_int_equal(cpu->gpr[GPR_RAX], 1000);
	assert_int_equal(cpu->gpr[GPR_RCX], 0);

	/* jmp backwards over a taken jcc chain: 1: dec ebx; jnz 1b */
	r.gpr[GPR_RBX] = 5000;
	assert_int_equal(int_exec(CODE("\xff\xcb\x75\xfc"), &r), -1);
	assert_int_equal(cpu->gpr[GPR_RBX], 0);
}

/*
 * In 64-bit mode an operand-size prefix on a near JMP, Jcc or CALL is
 * ignored on Intel processors (SDM Vol. 2 JMP, Jcc, CALL: 64-bit operand
 * size, rel32). The differential harness cannot check this: Unicorn follows
 * AMD (16-bit IP, rel16) and such cases count as a known deviation.
 * rel32 = 0x10002 lands on a HLT placed 64 KiB + 2 past the instruction.
 */
static void test_branch_opsize_ignored(void **state)
{
	struct int_regs r = { 0 };
	struct x86_cpu *cpu = int_h->cpu;

	/* 66 jmp rel32 */
	harness_write(int_h, HARNESS_CODE + 6 + 0x10002, "\xf4", 1);
	assert_int_equal(int_exec(CODE("\x66\xe9\x02\x00\x01\x00"), &r), -1);
	assert_int_equal(cpu->rip, HARNESS_CODE + 6 + 0x10003);

	/* 66 je rel32, taken (ZF = 1) */
	harness_write(int_h, HARNESS_CODE + 7 + 0x10002, "\xf4", 1);
	r.flags = X86_ZF;
	assert_int_equal(int_exec(CODE("\x66\x0f\x84\x02\x00\x01\x00"), &r), -1);
	assert_int_equal(cpu->rip, HARNESS_CODE + 7 + 0x10003);

	/* 66 call rel32: pushes an 8-byte return address */
	r.flags = 0;
	assert_int_equal(int_exec(CODE("\x66\xe8\x02\x00\x01\x00"), &r), -1);
	assert_int_equal(cpu->rip, HARNESS_CODE + 6 + 0x10003);
	assert_int_equal(cpu->gpr[GPR_RSP], HARNESS_STACK - 8);
	assert_int_equal(harness_read64(int_h, HARNESS_STACK - 8), HARNESS_CODE + 6);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_branch_differential),
		cmocka_unit_test(test_branch_call_ret),
		cmocka_unit_test(test_branch_loop),
		cmocka_unit_test(test_branch_opsize_ignored),
	};

	return cmocka_run_group_tests(tests, int_setup, int_teardown);
}
