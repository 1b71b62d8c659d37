/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * MOVS/STOS/LODS/CMPS/SCAS with REP/REPE/REPNE (Intel SDM Vol. 2A/2B):
 * bulk copies across pages, overlap semantics, DF=1, RCX=0, address size,
 * segment override, restart after a #PF, long runs, and MMIO.
 */
#include <stdlib.h>

#include "tests/unit/cpu_int_test.h"

#define CODE(s) s, sizeof(s) - 1

static struct x86_cpu *cpu(void)
{
	return int_h->cpu;
}

static void fill_random(u8 *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (u8)rnd();
}

static void test_string_movs_bulk(void **state)
{
	const size_t n = 10000;
	struct int_regs r = { 0 };
	u8 *src = int_data(3), *dst = int_data(0x10000 + 0x7ff);

	fill_random(src, n);
	memset(dst, 0, n + 16);
	r.gpr[GPR_RSI] = HARNESS_DATA + 3;
	r.gpr[GPR_RDI] = HARNESS_DATA + 0x10000 + 0x7ff;
	r.gpr[GPR_RCX] = n;
	assert_int_equal(int_exec(CODE("\xf3\xa4"), &r), -1);
	assert_memory_equal(src, dst, n);
	assert_int_equal(dst[n], 0);
	assert_int_equal(cpu()->gpr[GPR_RCX], 0);
	assert_int_equal(cpu()->gpr[GPR_RSI], HARNESS_DATA + 3 + n);
	assert_int_equal(cpu()->gpr[GPR_RDI], HARNESS_DATA + 0x10000 + 0x7ff + n);
	assert_int_equal(cpu()->rip, HARNESS_CODE + 3);

	/* rep movsq, 1 MiB: more than one call's budget */
	src = int_data(0x100000);
	dst = int_data(0x300000);
	fill_random(src, 1 << 20);
	r.gpr[GPR_RSI] = HARNESS_DATA + 0x100000;
	r.gpr[GPR_RDI] = HARNESS_DATA + 0x300000;
	r.gpr[GPR_RCX] = (1 << 20) / 8;
	assert_int_equal(int_exec(CODE("\xf3\x48\xa5"), &r), -1);
	assert_memory_equal(src, dst, 1 << 20);
	assert_int_equal(cpu()->gpr[GPR_RCX], 0);
}

/* A forward copy onto itself one element up replicates, as element-by-element execution does. */
static void test_string_movs_overlap(void **state)
{
	static const u8 pattern[3] = { 0xab, 0xcd, 0xef };
	struct int_regs r = { 0 };
	u8 *p = int_data(0);
	u64 *q = (u64 *)int_data(0x8000);
	size_t i;

	memset(p, 0, 5000);
	p[0] = 0xab;
	p[1] = 0xcd;
	p[2] = 0xef;
	r.gpr[GPR_RSI] = HARNESS_DATA;
	r.gpr[GPR_RDI] = HARNESS_DATA + 3;
	r.gpr[GPR_RCX] = 4000;
	assert_int_equal(int_exec(CODE("\xf3\xa4"), &r), -1);
	for (i = 0; i < 4003; i++)
		assert_int_equal(p[i], pattern[i % 3]);
	assert_int_equal(p[4003], 0);

	/* std; rep movsq; cld: a backward memmove of 10 qwords one qword up */
	for (i = 0; i < 11; i++)
		q[i] = i + 100;
	r.gpr[GPR_RSI] = HARNESS_DATA + 0x8000 + 9 * 8;
	r.gpr[GPR_RDI] = HARNESS_DATA + 0x8000 + 10 * 8;
	r.gpr[GPR_RCX] = 10;
	assert_int_equal(int_exec(CODE("\xfd\xf3\x48\xa5\xfc"), &r), -1);
	assert_int_equal(q[0], 100);
	for (i = 1; i < 11; i++)
		assert_int_equal(q[i], i + 99);
	assert_int_equal(cpu()->gpr[GPR_RSI], HARNESS_DATA + 0x8000 - 8);
	assert_int_equal(cpu()->gpr[GPR_RDI], HARNESS_DATA + 0x8000);
}

static void test_string_stos(void **state)
{
	struct int_regs r = { 0 };
	u8 *p = int_data(0);
	u64 *q = (u64 *)int_data(0);
	size_t i;

	memset(p, 0, 20000);
	r.gpr[GPR_RAX] = 0x5a;
	r.gpr[GPR_RDI] = HARNESS_DATA + 1;
	r.gpr[GPR_RCX] = 9999;
	assert_int_equal(int_exec(CODE("\xf3\xaa"), &r), -1);
	assert_int_equal(p[0], 0);
	for (i = 1; i < 10000; i++)
		assert_int_equal(p[i], 0x5a);
	assert_int_equal(p[10000], 0);

	r.gpr[GPR_RAX] = 0x1122334455667788ULL;
	r.gpr[GPR_RDI] = HARNESS_DATA + 2; /* elements straddle page boundaries */
	r.gpr[GPR_RCX] = 3000;
	assert_int_equal(int_exec(CODE("\xf3\xab"), &r), -1);
	for (i = 0; i < 3000; i++) {
		u32 v;

		memcpy(&v, p + 2 + 4 * i, 4);
		assert_int_equal(v, 0x55667788);
	}

	/* 1 MiB of rep stosq */
	r.gpr[GPR_RDI] = HARNESS_DATA;
	r.gpr[GPR_RCX] = (1 << 20) / 8;
	assert_int_equal(int_exec(CODE("\xf3\x48\xab"), &r), -1);
	for (i = 0; i < (1 << 20) / 8; i++)
		assert_int_equal(q[i], 0x1122334455667788ULL);

	/* DF = 1: stosb downwards */
	r.gpr[GPR_RAX] = 0x77;
	r.gpr[GPR_RDI] = HARNESS_DATA + 9;
	r.gpr[GPR_RCX] = 10;
	r.flags = X86_DF;
	assert_int_equal(int_exec(CODE("\xf3\xaa"), &r), -1);
	for (i = 0; i < 10; i++)
		assert_int_equal(p[i], 0x77);
	assert_int_equal(cpu()->gpr[GPR_RDI], HARNESS_DATA - 1);
}

static void test_string_rcx_zero(void **state)
{
	struct int_regs r = { 0 };

	r.gpr[GPR_RSI] = 0x40000000; /* unmapped: must not be touched */
	r.gpr[GPR_RDI] = 0x40000000;
	r.gpr[GPR_RCX] = 0;
	r.flags = X86_CF | X86_ZF;
	assert_int_equal(int_exec(CODE("\xf3\xa4\xf3\xa6\xf2\xae\xf3\xab"), &r), -1);
	assert_int_equal(cpu()->gpr[GPR_RSI], 0x40000000);
	assert_int_equal(cpu()->gpr[GPR_RDI], 0x40000000);
	assert_int_equal(int_flags() & FL_ALL, X86_CF | X86_ZF);
	/* 67: only ECX counts */
	r.gpr[GPR_RCX] = 1ULL << 32;
	assert_int_equal(int_exec(CODE("\x67\xf3\xa4"), &r), -1);
	assert_int_equal(cpu()->gpr[GPR_RCX], 1ULL << 32);
}

static void test_string_compare(void **state)
{
	struct int_regs r = { 0 };
	u8 *a = int_data(0), *b = int_data(0x1000 - 20);
	static const char s[] = "hello, world";

	fill_random(a, 100);
	memcpy(b, a, 100);
	b[37] = (u8)(a[37] + 1);
	r.gpr[GPR_RSI] = HARNESS_DATA;
	r.gpr[GPR_RDI] = HARNESS_DATA + 0x1000 - 20;
	r.gpr[GPR_RCX] = 100;
	assert_int_equal(int_exec(CODE("\xf3\xa6"), &r), -1);
	assert_int_equal(cpu()->gpr[GPR_RCX], 100 - 38);
	assert_int_equal(cpu()->gpr[GPR_RSI], HARNESS_DATA + 38);
	assert_false(int_flags() & X86_ZF);
	assert_true(int_flags() & X86_CF); /* a[37] < a[37] + 1 (unless it wrapped) */

	/* repne scasb: strlen */
	memcpy(a, s, sizeof(s));
	r.gpr[GPR_RAX] = 0xff00;
	r.gpr[GPR_RDI] = HARNESS_DATA;
	r.gpr[GPR_RCX] = ~0ULL;
	assert_int_equal(int_exec(CODE("\xf2\xae"), &r), -1);
	assert_int_equal(~cpu()->gpr[GPR_RCX] - 1, strlen(s));
	assert_true(int_flags() & X86_ZF);

	/* repne cmpsd stops on the first equal pair */
	memset(a, 0, 64);
	memset(b, 1, 64);
	b[12] = 0;
	b[13] = 0;
	b[14] = 0;
	b[15] = 0;
	r.gpr[GPR_RSI] = HARNESS_DATA;
	r.gpr[GPR_RDI] = HARNESS_DATA + 0x1000 - 20;
	r.gpr[GPR_RCX] = 16;
	assert_int_equal(int_exec(CODE("\xf2\xa7"), &r), -1);
	assert_int_equal(cpu()->gpr[GPR_RCX], 12);
	assert_true(int_flags() & X86_ZF);
}

static void test_string_lods_and_sizes(void **state)
{
	struct int_regs r = { 0 };
	u8 *p = int_data(0);

	p[0] = 0x34;
	p[1] = 0x12;
	/* lodsw */
	r.gpr[GPR_RAX] = 0xffffffffffffffffULL;
	r.gpr[GPR_RSI] = HARNESS_DATA;
	assert_int_equal(int_exec(CODE("\x66\xad"), &r), -1);
	assert_int_equal(cpu()->gpr[GPR_RAX], 0xffffffffffff1234ULL);
	assert_int_equal(cpu()->gpr[GPR_RSI], HARNESS_DATA + 2);
	/* rep lodsb: the last byte wins */
	p[2] = 0x99;
	r.gpr[GPR_RCX] = 3;
	assert_int_equal(int_exec(CODE("\xf3\xac"), &r), -1);
	assert_int_equal(cpu()->gpr[GPR_RAX], 0xffffffffffffff99ULL);

	/* 67 rep movsb: ESI/EDI, and the registers are written as 32-bit */
	memset(p + 0x100, 0, 16);
	r.gpr[GPR_RSI] = 0xffffffff00000000ULL | HARNESS_DATA;
	r.gpr[GPR_RDI] = 0xffffffff00000000ULL | (HARNESS_DATA + 0x100);
	r.gpr[GPR_RCX] = 0xffffffff00000003ULL;
	assert_int_equal(int_exec(CODE("\x67\xf3\xa4"), &r), -1);
	assert_memory_equal(p, p + 0x100, 3);
	assert_int_equal(cpu()->gpr[GPR_RSI], HARNESS_DATA + 3);
	assert_int_equal(cpu()->gpr[GPR_RCX], 0);

	/* movsb with an FS override on the source */
	cpu()->seg[SEG_FS].base = HARNESS_DATA;
	p[0x200] = 0x42;
	r.gpr[GPR_RSI] = 0x200;
	r.gpr[GPR_RDI] = HARNESS_DATA + 0x300;
	assert_int_equal(int_exec(CODE("\x64\xa4"), &r), -1);
	cpu()->seg[SEG_FS].base = 0;
	assert_int_equal(p[0x300], 0x42);
}

/* A #PF part-way leaves the registers at the faulting element; the instruction then restarts. */
static void test_string_fault_restart(void **state)
{
	const u64 hole = HARNESS_DATA + 0x20000;
	struct int_regs r = { 0 };
	u8 *src = int_data(0), *dst = int_data(0x20000 - 100);

	fill_random(src, 300);
	harness_unmap(int_h, hole);
	r.gpr[GPR_RSI] = HARNESS_DATA;
	r.gpr[GPR_RDI] = hole - 100;
	r.gpr[GPR_RCX] = 300;
	assert_int_equal(int_exec(CODE("\xf3\xa4"), &r), X86_EXC_PF);
	assert_int_equal(int_h->exc_rip, HARNESS_CODE);
	assert_int_equal(cpu()->cr2, hole);
	assert_int_equal(cpu()->gpr[GPR_RCX], 200);
	assert_int_equal(cpu()->gpr[GPR_RSI], HARNESS_DATA + 100);
	assert_int_equal(cpu()->gpr[GPR_RDI], hole);
	assert_memory_equal(src, dst, 100);

	/* map it back and resume from the saved registers */
	harness_map(int_h, hole, hole, HARNESS_PTE_RW);
	r.gpr[GPR_RSI] = cpu()->gpr[GPR_RSI];
	r.gpr[GPR_RDI] = cpu()->gpr[GPR_RDI];
	r.gpr[GPR_RCX] = cpu()->gpr[GPR_RCX];
	assert_int_equal(int_exec(CODE("\xf3\xa4"), &r), -1);
	assert_memory_equal(src, dst, 300);
}

/* REP STOSD to MMIO: one device write per element. */
static void test_string_mmio(void **state)
{
	const u64 lin = 0x3000000, gpa = 0x1000000;
	struct int_regs r = { 0 };
	unsigned i;

	harness_map(int_h, lin, gpa, HARNESS_PTE_RW);
	int_h->n_mmio = 0;
	r.gpr[GPR_RAX] = 0xcafef00d;
	r.gpr[GPR_RDI] = lin;
	r.gpr[GPR_RCX] = 4;
	assert_int_equal(int_exec(CODE("\xf3\xab"), &r), -1);
	assert_int_equal(int_h->n_mmio, 4);
	for (i = 0; i < 4; i++) {
		assert_true(int_h->mmio[i].write);
		assert_int_equal(int_h->mmio[i].size, 4);
		assert_int_equal(int_h->mmio[i].gpa, gpa + 4 * i);
		assert_int_equal(int_h->mmio[i].val, 0xcafef00d);
	}
	harness_unmap(int_h, lin);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_string_movs_bulk),
		cmocka_unit_test(test_string_movs_overlap),
		cmocka_unit_test(test_string_stos),
		cmocka_unit_test(test_string_rcx_zero),
		cmocka_unit_test(test_string_compare),
		cmocka_unit_test(test_string_lods_and_sizes),
		cmocka_unit_test(test_string_fault_restart),
		cmocka_unit_test(test_string_mmio),
	};

	return cmocka_run_group_tests(tests, int_setup, int_teardown);
}
