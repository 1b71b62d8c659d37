/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * MOV and friends, XCHG, CMPXCHG/8B/16B, XADD, CMOVcc, SETcc, LAHF/SAHF,
 * XLAT, NOPs and UDs (Intel SDM Vol. 2): register forms against the host
 * CPU, memory forms, faults.
 */
#define CPU_INT_CASES_DATAMOV
#include "tests/unit/cpu_int_test.h"
#include "tests/unit/cpu_int_cases.h"

#define CODE(s) s, sizeof(s) - 1
#define UNMAPPED 0x40000000ULL /* above the harness's identity map: #PF */

static void test_datamov_differential(void **state)
{
	int_run_cases(int_cases, ARRAY_SIZE(int_cases), 100);
}

static void test_datamov_memory(void **state)
{
	struct int_regs r = { .gpr[GPR_RDI] = HARNESS_DATA };
	struct x86_cpu *cpu = int_h->cpu;
	u64 *q = (u64 *)int_data(0);

	/* mov eax, [moffs64]; mov [moffs64], rax */
	q[0] = 0x1122334455667788ULL;
	r.gpr[GPR_RAX] = ~0ULL;
	assert_int_equal(int_exec(CODE("\xa1\x00\x00\x20\x00\x00\x00\x00\x00"), &r), -1);
	assert_int_equal(cpu->gpr[GPR_RAX], 0x55667788);
	assert_int_equal(int_exec(CODE("\x48\xa3\x08\x00\x20\x00\x00\x00\x00\x00"), &r), -1);
	assert_int_equal(q[1], ~0ULL);

	/* mov qword [rdi], -2 (imm32 sign-extended) */
	assert_int_equal(int_exec(CODE("\x48\xc7\x07\xfe\xff\xff\xff"), &r), -1);
	assert_int_equal(q[0], (u64)-2);

	/* movzx eax, word [rdi] */
	assert_int_equal(int_exec(CODE("\x0f\xb7\x07"), &r), -1);
	assert_int_equal(cpu->gpr[GPR_RAX], 0xfffe);

	/* xchg [rdi], rsi */
	q[0] = 5;
	r.gpr[GPR_RSI] = 9;
	assert_int_equal(int_exec(CODE("\x48\x87\x37"), &r), -1);
	assert_int_equal(q[0], 9);
	assert_int_equal(cpu->gpr[GPR_RSI], 5);

	/* lock xadd [rdi], esi */
	q[0] = 0xffffffff;
	r.gpr[GPR_RSI] = 1;
	assert_int_equal(int_exec(CODE("\xf0\x0f\xc1\x37"), &r), -1);
	assert_int_equal(q[0], 0);
	assert_int_equal(cpu->gpr[GPR_RSI], 0xffffffff);
	assert_int_equal(int_flags() & (X86_CF | X86_ZF), X86_CF | X86_ZF);

	/* setnz [rdi]; xlat; movnti [rdi], rsi */
	q[0] = ~0ULL;
	r.flags = X86_ZF;
	assert_int_equal(int_exec(CODE("\x0f\x95\x07"), &r), -1);
	assert_int_equal(q[0], ~0ULL << 8);
	q[0] = 0x0f0e0d0c0b0a0908ULL;
	r.gpr[GPR_RBX] = HARNESS_DATA;
	r.gpr[GPR_RAX] = 0x1234505;
	assert_int_equal(int_exec(CODE("\xd7"), &r), -1);
	assert_int_equal(cpu->gpr[GPR_RAX], 0x123450d);
	r.gpr[GPR_RSI] = 42;
	assert_int_equal(int_exec(CODE("\x48\x0f\xc3\x37"), &r), -1);
	assert_int_equal(q[0], 42);
}

static void test_datamov_cmpxchg(void **state)
{
	struct int_regs r = { .gpr[GPR_RDI] = HARNESS_DATA };
	struct x86_cpu *cpu = int_h->cpu;
	u64 *q = (u64 *)int_data(0);

	/* lock cmpxchg [rdi], esi: equal */
	q[0] = 0xaaaaaaaa00000007ULL;
	r.gpr[GPR_RAX] = 7;
	r.gpr[GPR_RSI] = 9;
	assert_int_equal(int_exec(CODE("\xf0\x0f\xb1\x37"), &r), -1);
	assert_int_equal(q[0], 0xaaaaaaaa00000009ULL);
	assert_true(int_flags() & X86_ZF);
	/* not equal: EAX = old value (zero-extended) */
	r.gpr[GPR_RAX] = 0xffffffff00000001ULL;
	assert_int_equal(int_exec(CODE("\xf0\x0f\xb1\x37"), &r), -1);
	assert_int_equal(q[0], 0xaaaaaaaa00000009ULL);
	assert_int_equal(cpu->gpr[GPR_RAX], 9);
	assert_false(int_flags() & X86_ZF);

	/* cmpxchg8b [rdi] */
	q[0] = 0x1111111122222222ULL;
	r.gpr[GPR_RDX] = 0x11111111;
	r.gpr[GPR_RAX] = 0x22222222;
	r.gpr[GPR_RCX] = 0x33333333;
	r.gpr[GPR_RBX] = 0x44444444;
	assert_int_equal(int_exec(CODE("\x0f\xc7\x0f"), &r), -1);
	assert_int_equal(q[0], 0x3333333344444444ULL);
	assert_true(int_flags() & X86_ZF);
	assert_int_equal(int_exec(CODE("\x0f\xc7\x0f"), &r), -1);
	assert_false(int_flags() & X86_ZF);
	assert_int_equal(cpu->gpr[GPR_RDX], 0x33333333);
	assert_int_equal(cpu->gpr[GPR_RAX], 0x44444444);

	/* cmpxchg16b [rdi] */
	q[0] = 1;
	q[1] = 2;
	r.gpr[GPR_RAX] = 1;
	r.gpr[GPR_RDX] = 2;
	r.gpr[GPR_RBX] = 3;
	r.gpr[GPR_RCX] = 4;
	assert_int_equal(int_exec(CODE("\x48\x0f\xc7\x0f"), &r), -1);
	assert_int_equal(q[0], 3);
	assert_int_equal(q[1], 4);
	assert_true(int_flags() & X86_ZF);
	/* misaligned: #GP(0) */
	r.gpr[GPR_RDI] = HARNESS_DATA + 8;
	assert_int_equal(int_exec(CODE("\x48\x0f\xc7\x0f"), &r), X86_EXC_GP);
	/* register operand: #UD */
	assert_int_equal(int_exec(CODE("\x0f\xc7\xc8"), &r), X86_EXC_UD);
}

static void test_datamov_faults(void **state)
{
	struct int_regs r = { .gpr[GPR_RDI] = UNMAPPED };

	/* cmovz with a false condition still reads its memory operand */
	assert_int_equal(int_exec(CODE("\x48\x0f\x44\x07"), &r), X86_EXC_PF);
	/* hint NOPs never touch memory */
	assert_int_equal(int_exec(CODE("\x0f\x1f\x07"), &r), -1);
	assert_int_equal(int_exec(CODE("\x0f\x0d\x0f"), &r), -1);
	assert_int_equal(int_exec(CODE("\x0f\x18\x0f"), &r), -1);
	/* UD2, UD1, UD0 */
	assert_int_equal(int_exec(CODE("\x0f\x0b"), &r), X86_EXC_UD);
	assert_int_equal(int_exec(CODE("\x0f\xb9\xc3"), &r), X86_EXC_UD);
	assert_int_equal(int_exec(CODE("\x0f\xff\xc3"), &r), X86_EXC_UD);
	/* lea with a register operand; lock mov */
	assert_int_equal(int_exec(CODE("\x8d\xc0"), &r), X86_EXC_UD);
	r.gpr[GPR_RDI] = HARNESS_DATA;
	assert_int_equal(int_exec(CODE("\xf0\x89\x07"), &r), X86_EXC_UD);
	/* lock xchg with a register destination */
	assert_int_equal(int_exec(CODE("\xf0\x87\xc3"), &r), X86_EXC_UD);
}

/*
 * Outside 64-bit mode (own harness: the group's stays in 64-bit mode). 63 is
 * ARPL there (diffcpu --mode 32 found it #UD); MOVNTI with a 16-bit operand
 * size still stores 32 bits ("y" operands, SDM Vol. 2 A.2.2; diffcpu
 * --mode 16 found it #UD).
 */
static void test_datamov_legacy_modes(void **state)
{
	struct cpu_harness *h = harness_create();
	struct x86_cpu *cpu;
	u32 v;

	assert_non_null(h);
	cpu = h->cpu;
	/* arpl ax, cx; pushf; pop ebx; arpl [0x200000], cx; hlt */
	harness_load(h, CODE("\x63\xc8\x9c\x5b\x63\x0d\x00\x00\x20\x00\xf4"));
	harness_write(h, HARNESS_DATA, "\x13\x00", 2);
	harness_prot32(h);
	cpu->gpr[GPR_RAX] = 0xffff0010;
	cpu->gpr[GPR_RCX] = 0x0003;
	assert_int_equal(harness_run(h), X86_EXIT_HALT);
	assert_int_equal(harness_exception(h), -1);
	assert_int_equal(cpu->gpr[GPR_RAX], 0xffff0013); /* RPL raised, bits 16-31 kept */
	assert_true(cpu->gpr[GPR_RBX] & X86_ZF);
	assert_false(x86_get_rflags(cpu) & X86_ZF);       /* [mem] had RPL 3 already */
	assert_int_equal(*(u16 *)harness_ptr(h, HARNESS_DATA), 0x13);

	/* real mode: ARPL is #UD; movnti [0x100], eax stores 4 bytes */
	harness_write(h, 0x98000, "\x0f\xc3\x06\x00\x01\x63\xc8\xf4", 8);
	harness_real_mode(h, 0x9800, 0);
	cpu->seg[SEG_DS].sel = 0x9000;
	cpu->seg[SEG_DS].base = 0x90000;
	cpu->gpr[GPR_RAX] = 0x12345678;
	assert_int_equal(harness_run(h), X86_EXIT_HALT);
	assert_int_equal(harness_exception(h), X86_EXC_UD);
	assert_int_equal(h->exc_rip, 5);
	memcpy(&v, harness_ptr(h, 0x90100), 4);
	assert_int_equal(v, 0x12345678);
	harness_destroy(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_datamov_differential),
		cmocka_unit_test(test_datamov_memory),
		cmocka_unit_test(test_datamov_cmpxchg),
		cmocka_unit_test(test_datamov_faults),
		cmocka_unit_test(test_datamov_legacy_modes),
	};

	return cmocka_run_group_tests(tests, int_setup, int_teardown);
}
