/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * BT/BTS/BTR/BTC, BSF/BSR, BSWAP (Intel SDM Vol. 2A): register forms against
 * the host CPU; memory forms with bit offsets outside the addressed word.
 */
#define CPU_INT_CASES_BITOPS
#include "tests/unit/cpu_int_test.h"
#include "tests/unit/cpu_int_cases.h"

#define CODE(s) s, sizeof(s) - 1

static void test_bitops_differential(void **state)
{
	int_run_cases(int_cases, ARRAY_SIZE(int_cases), 200);
}

static void test_bitops_memory(void **state)
{
	struct int_regs r = { .gpr[GPR_RDI] = HARNESS_DATA + 64 };
	struct x86_cpu *cpu = int_h->cpu;
	u8 *b = int_data(0);
	u64 *q = (u64 *)int_data(64);

	memset(b, 0, 256);
	/* bt dword [rdi], esi with ESI = 100: dword at +12, bit 4 */
	b[64 + 12] = 0x10;
	r.gpr[GPR_RSI] = 100;
	assert_int_equal(int_exec(CODE("\x0f\xa3\x37"), &r), -1);
	assert_true(int_flags() & X86_CF);

	/* btr dword [rdi], esi with ESI = -1: dword at -4, bit 31 */
	b[63] = 0x80;
	r.gpr[GPR_RSI] = 0xffffffff;
	assert_int_equal(int_exec(CODE("\x0f\xb3\x37"), &r), -1);
	assert_true(int_flags() & X86_CF);
	assert_int_equal(b[63], 0);

	/* lock bts qword [rdi], rax with RAX = -65: qword at -16, bit 63 */
	r.gpr[GPR_RAX] = (u64)-65;
	assert_int_equal(int_exec(CODE("\xf0\x48\x0f\xab\x07"), &r), -1);
	assert_int_equal(int_flags() & X86_CF, 0);
	assert_int_equal(b[64 - 16 + 7], 0x80);

	/* btc word [rdi], 17: immediate offsets wrap inside the word (bit 1) */
	q[0] = 0;
	assert_int_equal(int_exec(CODE("\x66\x0f\xba\x3f\x11"), &r), -1);
	assert_int_equal(q[0], 2);

	/* bsf eax, [rdi] with a zero source: ZF = 1, EAX untouched (no zero-extension) */
	q[0] = 0;
	r.gpr[GPR_RAX] = 0xdeadbeefcafef00dULL;
	assert_int_equal(int_exec(CODE("\x0f\xbc\x07"), &r), -1);
	assert_true(int_flags() & X86_ZF);
	assert_int_equal(cpu->gpr[GPR_RAX], 0xdeadbeefcafef00dULL);
}

static void test_bitops_ud(void **state)
{
	struct int_regs r = { .gpr[GPR_RDI] = HARNESS_DATA };

	/* 0F BA: /4 is BT, /0 is reserved */
	assert_int_equal(int_exec(CODE("\x0f\xba\x27\x01"), &r), -1);
	assert_int_equal(int_exec(CODE("\x0f\xba\x07\x01"), &r), X86_EXC_UD);
	/* lock bt [rdi], eax */
	assert_int_equal(int_exec(CODE("\xf0\x0f\xa3\x07"), &r), X86_EXC_UD);
	/* lock bts eax, ebx (register destination) */
	assert_int_equal(int_exec(CODE("\xf0\x0f\xab\xd8"), &r), X86_EXC_UD);
	/* F3 0F B8 (POPCNT) is not advertised */
	assert_int_equal(int_exec(CODE("\xf3\x0f\xb8\xc3"), &r), X86_EXC_UD);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bitops_differential),
		cmocka_unit_test(test_bitops_memory),
		cmocka_unit_test(test_bitops_ud),
	};

	return cmocka_run_group_tests(tests, int_setup, int_teardown);
}
