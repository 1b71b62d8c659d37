/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The run loop, block cache, TLB/memory paths and self-modifying code
 * (cpu/x86/run.c, block.c, mem.c, tlb.c) on the flat-RAM harness.
 * Uses a handful of ordinary instructions (MOV, ADD, INC/DEC, Jcc, JMP,
 * CALL/RET, STI, HLT) implemented by the instruction-family files.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "cpu/x86/exec.h"
#include "tests/unit/cpu_harness.h"

#define CODE HARNESS_CODE

static int setup(void **state)
{
	*state = harness_create();
	return *state ? 0 : -1;
}

static int teardown(void **state)
{
	harness_destroy(*state);
	return 0;
}

static void put_rel32(u8 *p, u64 insn_end, u64 target)
{
	s32 rel = (s32)(target - insn_end);

	memcpy(p, &rel, 4);
}

static void test_run_basic(void **state)
{
	struct cpu_harness *h = *state;

	harness_load(h, "\x48\x01\xd8\xf4", 4); /* add rax, rbx; hlt */
	h->cpu->gpr[GPR_RAX] = 40;
	h->cpu->gpr[GPR_RBX] = 2;
	assert_int_equal(harness_run(h), X86_EXIT_HALT);
	assert_int_equal(harness_exception(h), -1);
	assert_int_equal(h->cpu->gpr[GPR_RAX], 42);
	assert_int_equal(h->cpu->rip, CODE + 4);
}

static void test_run_loop(void **state)
{
	struct cpu_harness *h = *state;
	/* mov ecx,1000; xor eax,eax; L: inc eax; dec ecx; jnz L; hlt */
	static const u8 code[] = { 0xb9, 0xe8, 0x03, 0x00, 0x00, 0x31, 0xc0, 0xff, 0xc0,
				   0xff, 0xc9, 0x75, 0xfa, 0xf4 };
	u64 before = h->cpu->icount;

	harness_load(h, code, sizeof(code));
	assert_int_equal(harness_run(h), X86_EXIT_HALT);
	assert_int_equal(harness_exception(h), -1);
	assert_int_equal(h->cpu->gpr[GPR_RAX], 1000);
	assert_int_equal(h->cpu->gpr[GPR_RCX], 0);
	assert_true(h->cpu->icount - before >= 3000);

	/* Run the same code again: now from the block cache. */
	h->cpu->rip = CODE;
	assert_int_equal(harness_run(h), X86_EXIT_HALT);
	assert_int_equal(h->cpu->gpr[GPR_RAX], 1000);
}

/* A store patches the very next instruction of the executing block. */
static void test_run_smc_same_block(void **state)
{
	struct cpu_harness *h = *state;
	/* mov byte [rip+1], 2; mov eax, 1; hlt   (the store hits mov's immediate) */
	static const u8 code[] = { 0xc6, 0x05, 0x01, 0x00, 0x00, 0x00, 0x02,
				   0xb8, 0x01, 0x00, 0x00, 0x00, 0xf4 };

	harness_load(h, code, sizeof(code));
	assert_int_equal(harness_run(h), X86_EXIT_HALT);
	assert_int_equal(harness_exception(h), -1);
	assert_int_equal(h->cpu->gpr[GPR_RAX], 2);
}

/* Code executed once, patched through another virtual alias of its page, executed again. */
static void test_run_smc_alias(void **state)
{
	struct cpu_harness *h = *state;
	const u64 fn = 0x101000, alias = 0x40000000;
	u8 code[32], *p = code;

	harness_map(h, alias, fn, HARNESS_PTE_RW);
	harness_load_at(h, fn, "\xb8\x01\x00\x00\x00\xc3", 6); /* fn: mov eax,1; ret */
	*p++ = 0xe8; /* call fn */
	put_rel32(p, CODE + 5, fn);
	p += 4;
	*p++ = 0x89; /* mov ebx, eax */
	*p++ = 0xc3;
	memcpy(p, "\xc6\x04\x25\x01\x00\x00\x40\x02", 8); /* mov byte [alias+1], 2 */
	p += 8;
	*p++ = 0xe8; /* call fn */
	put_rel32(p, CODE + (u64)(p - code) + 4, fn);
	p += 4;
	*p++ = 0xf4;
	harness_load(h, code, (size_t)(p - code));
	assert_int_equal(harness_run(h), X86_EXIT_HALT);
	assert_int_equal(harness_exception(h), -1);
	assert_int_equal(h->cpu->gpr[GPR_RBX], 1);
	assert_int_equal(h->cpu->gpr[GPR_RAX], 2);
}

/* Code rewritten from outside (like device DMA) between two runs. */
static void test_run_smc_external(void **state)
{
	struct cpu_harness *h = *state;

	harness_load(h, "\xb8\x01\x00\x00\x00\xf4", 6);
	assert_int_equal(harness_run(h), X86_EXIT_HALT);
	assert_int_equal(h->cpu->gpr[GPR_RAX], 1);
	harness_write(h, CODE + 1, "\x07", 1);
	h->cpu->rip = CODE;
	assert_int_equal(harness_run(h), X86_EXIT_HALT);
	assert_int_equal(h->cpu->gpr[GPR_RAX], 7);
}

/* An instruction whose bytes straddle two pages. */
static void test_run_page_cross_insn(void **state)
{
	struct cpu_harness *h = *state;

	harness_load_at(h, 0x100ffe, "\xb8\x78\x56\x34\x12\xf4", 6);
	h->cpu->rip = 0x100ffe;
	assert_int_equal(harness_run(h), X86_EXIT_HALT);
	assert_int_equal(harness_exception(h), -1);
	assert_int_equal(h->cpu->gpr[GPR_RAX], 0x12345678);
	assert_int_equal(h->cpu->rip, 0x101004);
}

/* ... and its second page not present: #PF with CR2 on the second page, RIP at the insn. */
static void test_run_page_cross_fault(void **state)
{
	struct cpu_harness *h = *state;

	harness_load_at(h, 0x100ffe, "\xb8\x78\x56\x34\x12\xf4", 6);
	harness_unmap(h, 0x101000);
	h->cpu->rip = 0x100ffe;
	h->cpu->gpr[GPR_RAX] = 0;
	assert_int_equal(harness_run(h), X86_EXIT_HALT);
	assert_int_equal(harness_exception(h), X86_EXC_PF);
	assert_int_equal(h->cpu->cr2, 0x101000);
	assert_int_equal(h->exc_rip, 0x100ffe);
	assert_int_equal(h->cpu->gpr[GPR_RAX], 0);
}

/* 8-byte store and load across a page boundary; a faulting one writes nothing. */
static void test_run_data_cross(void **state)
{
	struct cpu_harness *h = *state;
	/* mov [0x200ffc], rax; mov rbx, [0x200ffc]; hlt */
	static const u8 code[] = { 0x48, 0x89, 0x04, 0x25, 0xfc, 0x0f, 0x20, 0x00,
				   0x48, 0x8b, 0x1c, 0x25, 0xfc, 0x0f, 0x20, 0x00, 0xf4 };

	harness_load(h, code, sizeof(code));
	h->cpu->gpr[GPR_RAX] = 0x1122334455667788ULL;
	assert_int_equal(harness_run(h), X86_EXIT_HALT);
	assert_int_equal(harness_exception(h), -1);
	assert_int_equal(h->cpu->gpr[GPR_RBX], 0x1122334455667788ULL);
	assert_int_equal(harness_read64(h, 0x200ffc), 0x1122334455667788ULL);

	memset(harness_ptr(h, 0x200ff8), 0, 16);
	harness_unmap(h, 0x201000);
	harness_load(h, code, sizeof(code));
	assert_int_equal(harness_run(h), X86_EXIT_HALT);
	assert_int_equal(harness_exception(h), X86_EXC_PF);
	assert_int_equal(h->cpu->cr2, 0x201000);
	assert_int_equal(h->exc_rip, CODE);
	assert_true(h->exc_err & X86_PF_W);
	assert_int_equal(harness_read64(h, 0x200ff8), 0);
	assert_int_equal(harness_read64(h, 0x201000), 0);
}

static void test_run_mmio(void **state)
{
	struct cpu_harness *h = *state;
	/* mov dword [0x50000000], 0x1234; mov eax, [0x50000004]; hlt */
	static const u8 code[] = { 0xc7, 0x04, 0x25, 0x00, 0x00, 0x00, 0x50, 0x34, 0x12, 0x00, 0x00,
				   0x8b, 0x04, 0x25, 0x04, 0x00, 0x00, 0x50, 0xf4 };

	harness_map(h, 0x50000000, 0xfee00000, HARNESS_PTE_RW);
	h->mmio_read_value = 0xabcd;
	harness_load(h, code, sizeof(code));
	assert_int_equal(harness_run(h), X86_EXIT_HALT);
	assert_int_equal(harness_exception(h), -1);
	assert_int_equal(h->n_mmio, 2);
	assert_true(h->mmio[0].write);
	assert_int_equal(h->mmio[0].gpa, 0xfee00000);
	assert_int_equal(h->mmio[0].size, 4);
	assert_int_equal(h->mmio[0].val, 0x1234);
	assert_false(h->mmio[1].write);
	assert_int_equal(h->mmio[1].gpa, 0xfee00004);
	assert_int_equal(h->cpu->gpr[GPR_RAX], 0xabcd);
}

struct delayed {
	struct cpu_harness *h;
	int ms;
	int irq; /* -1: request stop */
};

static void *delayed_main(void *arg)
{
	struct delayed *d = arg;
	struct timespec ts = { 0, d->ms * 1000000L };

	nanosleep(&ts, NULL);
	if (d->irq < 0)
		x86_cpu_request_stop(d->h->cpu);
	else
		harness_raise_irq(d->h, d->irq);
	return NULL;
}

static void test_run_stop(void **state)
{
	struct cpu_harness *h = *state;
	struct delayed d = { h, 50, -1 };
	pthread_t t;

	harness_load(h, "\xeb\xfe", 2); /* jmp $ */
	pthread_create(&t, NULL, delayed_main, &d);
	assert_int_equal(harness_run(h), X86_EXIT_STOP);
	pthread_join(t, NULL);
	assert_int_equal(h->cpu->rip, CODE);
	assert_int_equal(harness_exception(h), -1);
}

static void test_run_interrupt(void **state)
{
	struct cpu_harness *h = *state;
	struct delayed d = { h, 20, 0x40 };
	pthread_t t;

	harness_load(h, "\xfb\xeb\xfe", 3); /* sti; jmp $ */
	pthread_create(&t, NULL, delayed_main, &d);
	assert_int_equal(harness_run(h), X86_EXIT_HALT);
	pthread_join(t, NULL);
	assert_int_equal(harness_exception(h), 0x40);
	assert_int_equal(h->exc_rip, CODE + 1);
}

static void test_run_hlt_wakeup(void **state)
{
	struct cpu_harness *h = *state;
	struct delayed d = { h, 20, 0x41 };
	pthread_t t;

	harness_load(h, "\xfb\xf4\xf4", 3); /* sti; hlt (waits); hlt */
	pthread_create(&t, NULL, delayed_main, &d);
	assert_int_equal(harness_run(h), X86_EXIT_HALT);
	pthread_join(t, NULL);
	assert_int_equal(harness_exception(h), 0x41);
	assert_int_equal(h->exc_rip, CODE + 2);
}

static void test_run_exceptions(void **state)
{
	struct cpu_harness *h = *state;
	u8 buf[16];

	/* push es: invalid in 64-bit mode, logged once as unimplemented */
	harness_load(h, "\x06", 1);
	assert_int_equal(harness_run(h), X86_EXIT_HALT);
	assert_int_equal(harness_exception(h), X86_EXC_UD);
	assert_int_equal(h->exc_rip, CODE);
	assert_true(h->n_unimpl >= 1);

	/* 16 bytes: #GP(0) */
	memset(buf, 0x66, sizeof(buf));
	buf[15] = 0x90;
	harness_load(h, buf, sizeof(buf));
	h->cpu->gpr[GPR_RSP] = HARNESS_STACK;
	assert_int_equal(harness_run(h), X86_EXIT_HALT);
	assert_int_equal(harness_exception(h), X86_EXC_GP);
	assert_int_equal(h->exc_rip, CODE);

	/* non-canonical data address: #GP(0) */
	harness_load(h, "\x48\xb8\x00\x00\x00\x00\x00\x80\x00\x00\x8b\x00\xf4", 13);
	h->cpu->gpr[GPR_RSP] = HARNESS_STACK;
	assert_int_equal(harness_run(h), X86_EXIT_HALT);
	assert_int_equal(harness_exception(h), X86_EXC_GP);
	assert_int_equal(h->exc_rip, CODE + 10);
	assert_int_equal(h->exc_err, 0);
}

/*
 * Single-step and the MOV SS shadow (SDM Vol. 3A 6.8.3; Vol. 2 MOV): the
 * #DB trap of MOV SS is held off and taken after the next instruction.
 * Regression vector (the sys_interrupts payload found it): hover used to
 * trap right after MOV SS.
 */
static void test_run_movss_single_step(void **state)
{
	struct cpu_harness *h = *state;

	/* Control: nop; nop with TF set traps after the first NOP. */
	harness_load(h, "\x90\x90\xf4", 3);
	h->cpu->rflags |= X86_TF;
	h->cpu->dr[6] = 0;
	assert_int_equal(harness_run(h), X86_EXIT_HALT);
	assert_int_equal(harness_exception(h), X86_EXC_DB);
	assert_int_equal(h->exc_rip, CODE + 1);
	assert_true(h->cpu->dr[6] & (1ULL << 14)); /* DR6.BS */

	/* mov ss, ax; nop; nop: no trap after MOV SS, one after the first NOP. */
	harness_load(h, "\x8e\xd0\x90\x90\xf4", 5);
	h->cpu->gpr[GPR_RAX] = HARNESS_SEL_DATA;
	h->cpu->gpr[GPR_RSP] = HARNESS_STACK;
	h->cpu->rflags |= X86_TF;
	h->cpu->dr[6] = 0;
	assert_int_equal(harness_run(h), X86_EXIT_HALT);
	assert_int_equal(harness_exception(h), X86_EXC_DB);
	assert_int_equal(h->exc_rip, CODE + 3);
	assert_true(h->cpu->dr[6] & (1ULL << 14));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_run_basic, setup, teardown),
		cmocka_unit_test_setup_teardown(test_run_loop, setup, teardown),
		cmocka_unit_test_setup_teardown(test_run_smc_same_block, setup, teardown),
		cmocka_unit_test_setup_teardown(test_run_smc_alias, setup, teardown),
		cmocka_unit_test_setup_teardown(test_run_smc_external, setup, teardown),
		cmocka_unit_test_setup_teardown(test_run_page_cross_insn, setup, teardown),
		cmocka_unit_test_setup_teardown(test_run_page_cross_fault, setup, teardown),
		cmocka_unit_test_setup_teardown(test_run_data_cross, setup, teardown),
		cmocka_unit_test_setup_teardown(test_run_mmio, setup, teardown),
		cmocka_unit_test_setup_teardown(test_run_stop, setup, teardown),
		cmocka_unit_test_setup_teardown(test_run_interrupt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_run_hlt_wakeup, setup, teardown),
		cmocka_unit_test_setup_teardown(test_run_exceptions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_run_movss_single_step, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
