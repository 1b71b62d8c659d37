/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ADD..CMP, TEST, INC/DEC, NOT/NEG and group 5 (Intel SDM Vol. 2): register
 * forms against the host CPU, memory forms, LOCK rules and the FF group.
 */
#define CPU_INT_CASES_ALU
#include "tests/unit/cpu_int_test.h"
#include "tests/unit/cpu_int_cases.h"

#define CODE(s) s, sizeof(s) - 1

static void test_alu_differential(void **state)
{
	int_run_cases(int_cases, ARRAY_SIZE(int_cases), 200);
}

static void test_alu_memory(void **state)
{
	struct int_regs r = { .gpr[GPR_RDI] = HARNESS_DATA };
	u64 *q = (u64 *)int_data(0);

	/* 128-bit add through memory: adc [rdi], rsi; adc [rdi+8], rax with CF=1 in. */
	q[0] = ~0ULL;
	q[1] = 5;
	r.gpr[GPR_RSI] = 0;
	r.gpr[GPR_RAX] = 0;
	r.flags = X86_CF;
	assert_int_equal(int_exec(CODE("\x48\x11\x37\x48\x11\x47\x08"), &r), -1);
	assert_int_equal(q[0], 0);
	assert_int_equal(q[1], 6);
	assert_int_equal(int_flags() & X86_CF, 0);

	/* neg byte [rdi]; not word [rdi+2]; inc qword [rdi+8]; dec dword [rdi+16] */
	q[0] = 0x00001234000000ffULL;
	q[1] = ~0ULL;
	q[2] = 0x0000000100000000ULL;
	r.flags = X86_CF;
	assert_int_equal(int_exec(CODE("\xf6\x1f\x66\xf7\x57\x02\x48\xff\x47\x08\xff\x4f\x10"), &r), -1);
	assert_int_equal(q[0], 0x00001234ffff0001ULL);
	assert_int_equal(q[1], 0);
	assert_int_equal(q[2], 0x00000001ffffffffULL);
	/* DEC of 0 -> SF, AF; CF kept from before the INC/DEC (NEG set it). */
	assert_int_equal(int_flags() & FL_ALL, X86_SF | X86_AF | X86_PF | X86_CF);

	/* cmp dword [rdi], 7 leaves memory alone */
	q[0] = 7;
	assert_int_equal(int_exec(CODE("\x83\x3f\x07"), &r), -1);
	assert_int_equal(q[0], 7);
	assert_true(int_flags() & X86_ZF);

	/* lock add dword [rdi+8], 5 */
	q[1] = 0xfffffffe;
	assert_int_equal(int_exec(CODE("\xf0\x83\x47\x08\x05"), &r), -1);
	assert_int_equal(q[1], 3);
	assert_true(int_flags() & X86_CF);
}

static void test_alu_lock_ud(void **state)
{
	struct int_regs r = { .gpr[GPR_RDI] = HARNESS_DATA };

	/* lock add eax, ebx: register destination */
	assert_int_equal(int_exec(CODE("\xf0\x01\xd8"), &r), X86_EXC_UD);
	/* lock cmp [rdi], eax: CMP is not lockable */
	assert_int_equal(int_exec(CODE("\xf0\x39\x07"), &r), X86_EXC_UD);
	/* lock test [rdi], eax */
	assert_int_equal(int_exec(CODE("\xf0\x85\x07"), &r), X86_EXC_UD);
	/* 82 /0 is invalid in 64-bit mode */
	assert_int_equal(int_exec(CODE("\x82\xc0\x01"), &r), X86_EXC_UD);
	/* FF /7, FE /2 */
	assert_int_equal(int_exec(CODE("\xff\xf8"), &r), X86_EXC_UD);
	assert_int_equal(int_exec(CODE("\xfe\xd0"), &r), X86_EXC_UD);
	/* FF /3 with a register operand */
	assert_int_equal(int_exec(CODE("\xff\xd8"), &r), X86_EXC_UD);
}

static void test_alu_inc_keeps_cf(void **state)
{
	struct int_regs r = { .gpr[GPR_RAX] = 0x7fffffff };

	/* stc; inc eax: OF set, CF still 1 */
	assert_int_equal(int_exec(CODE("\xf9\xff\xc0"), &r), -1);
	assert_int_equal(int_h->cpu->gpr[GPR_RAX], 0x80000000);
	assert_int_equal(int_flags() & (X86_CF | X86_OF | X86_SF | X86_ZF), X86_CF | X86_OF | X86_SF);
}

/*
 * Regression vector from the differential harness (seed 7 case 251948):
 * sbb rdx, rcx; sbb r11, rdx (66 REX.W: 64-bit); setg byte [rdi]. The second
 * SBB computes 0xffffffffffff8000 - 0x200959 - 0: the low nibble borrows
 * (0 - 9), so AF = 1 (SDM Vol. 1 3.4.3.1: borrow out of bit 3, with the
 * incoming CF). When SETG then faults, the flags in the #PF frame must
 * still be SBB's: SF and AF. Unicorn reported AF = 0 there (a QEMU 5.0
 * lazy-flags rollback error, tests/diff/deviations.md).
 */
static void test_alu_sbb_af_then_fault(void **state)
{
	struct int_regs r = { .gpr[GPR_RCX] = 0x17, .gpr[GPR_RDX] = 0x200970,
			      .gpr[GPR_R11] = 0xffffffffffff8000ULL };
	static const char code[] = "\x48\x1b\xd1\x66\x4c\x1b\xda\x0f\x9f\x07";

	/* SETG to a mapped byte: G is false (SF != OF), flags are SBB's. */
	r.gpr[GPR_RDI] = HARNESS_DATA;
	r.flags = X86_SF | X86_AF | X86_PF; /* the case's initial RFLAGS 0x96: CF = 0 */
	*int_data(0) = 0x55;
	assert_int_equal(int_exec(CODE(code), &r), -1);
	assert_int_equal(int_h->cpu->gpr[GPR_RDX], 0x200959);
	assert_int_equal(int_h->cpu->gpr[GPR_R11], 0xffffffffffdf76a7ULL);
	assert_int_equal(*int_data(0), 0);
	assert_int_equal(int_flags() & FL_ALL, X86_SF | X86_AF);

	/* SETG to an unmapped page: #PF on SETG, flags as SBB left them. */
	r.gpr[GPR_RDI] = 0x40000000;
	assert_int_equal(int_exec(CODE(code), &r), X86_EXC_PF);
	assert_int_equal(int_h->exc_rip, HARNESS_CODE + 7);
	assert_int_equal(int_h->cpu->gpr[GPR_R11], 0xffffffffffdf76a7ULL);
	assert_int_equal(int_flags() & FL_ALL, X86_SF | X86_AF);
}

static void test_alu_group5(void **state)
{
	struct int_regs r = { .gpr[GPR_RDI] = HARNESS_DATA };
	struct x86_cpu *cpu = int_h->cpu;
	u64 *q = (u64 *)int_data(0);

	/* call [rdi] -> the HLT at +3 (skipping the one at +2) */
	q[0] = HARNESS_CODE + 3;
	assert_int_equal(int_exec(CODE("\xff\x17\xf4\xf4\xf4\xf4"), &r), -1);
	assert_int_equal(cpu->rip, HARNESS_CODE + 4);
	assert_int_equal(cpu->gpr[GPR_RSP], HARNESS_STACK - 8);
	assert_int_equal(harness_read64(int_h, HARNESS_STACK - 8), HARNESS_CODE + 2);

	/* jmp rax -> +3 */
	r.gpr[GPR_RAX] = HARNESS_CODE + 3;
	assert_int_equal(int_exec(CODE("\xff\xe0\xf4\xf4"), &r), -1);
	assert_int_equal(cpu->rip, HARNESS_CODE + 4);

	/* push qword [rdi]; pop rbx */
	q[0] = 0x1122334455667788ULL;
	assert_int_equal(int_exec(CODE("\xff\x37\x5b"), &r), -1);
	assert_int_equal(cpu->gpr[GPR_RBX], 0x1122334455667788ULL);
	assert_int_equal(cpu->gpr[GPR_RSP], HARNESS_STACK);

	/* 66 push word [rdi]: 2 bytes */
	assert_int_equal(int_exec(CODE("\x66\xff\x37"), &r), -1);
	assert_int_equal(cpu->gpr[GPR_RSP], HARNESS_STACK - 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_alu_differential),
		cmocka_unit_test(test_alu_memory),
		cmocka_unit_test(test_alu_lock_ud),
		cmocka_unit_test(test_alu_inc_keeps_cf),
		cmocka_unit_test(test_alu_group5),
		cmocka_unit_test(test_alu_sbb_af_then_fault),
	};

	return cmocka_run_group_tests(tests, int_setup, int_teardown);
}
