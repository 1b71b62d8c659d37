/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * PUSH/POP, POP Ev, ENTER, LEAVE (Intel SDM Vol. 2A/2B): operand sizes,
 * rSP-relative corner cases, nesting levels, restart after a fault.
 */
#include "tests/unit/cpu_int_test.h"

#define CODE(s) s, sizeof(s) - 1
#define SP HARNESS_STACK

static void test_stack_push_pop(void **state)
{
	struct int_regs r = { 0 };
	struct x86_cpu *cpu = int_h->cpu;

	/* push rsp pushes the old value */
	assert_int_equal(int_exec(CODE("\x54\x58"), &r), -1);
	assert_int_equal(cpu->gpr[GPR_RAX], SP);
	assert_int_equal(cpu->gpr[GPR_RSP], SP);

	/* push -5 (Ib); push 0x12345678 (Iz); pop rbx; pop rcx */
	assert_int_equal(int_exec(CODE("\x6a\xfb\x68\x78\x56\x34\x12\x5b\x59"), &r), -1);
	assert_int_equal(cpu->gpr[GPR_RBX], 0x12345678);
	assert_int_equal(cpu->gpr[GPR_RCX], (u64)-5);

	/* 66 push ax; 66 pop bx: 16-bit, upper bits of RBX kept */
	r.gpr[GPR_RAX] = 0xaaaa;
	r.gpr[GPR_RBX] = 0xffffffffffff0000ULL;
	assert_int_equal(int_exec(CODE("\x66\x50\x66\x5b"), &r), -1);
	assert_int_equal(cpu->gpr[GPR_RBX], 0xffffffffffffaaaaULL);
	assert_int_equal(harness_read64(int_h, SP - 8) >> 48, 0xaaaa);

	/* push r12; pop r13 */
	r.gpr[GPR_R12] = 0x1234;
	assert_int_equal(int_exec(CODE("\x41\x54\x41\x5d"), &r), -1);
	assert_int_equal(cpu->gpr[GPR_R13], 0x1234);

	/* pop rsp: RSP gets the popped value */
	*(u64 *)harness_ptr(int_h, SP) = 0x70000;
	assert_int_equal(int_exec(CODE("\x5c"), &r), -1);
	assert_int_equal(cpu->gpr[GPR_RSP], 0x70000);
}

static void test_stack_pop_ev(void **state)
{
	struct int_regs r = { 0 };
	struct x86_cpu *cpu = int_h->cpu;

	/* pop qword [rsp+8]: the address uses RSP after the pop */
	*(u64 *)harness_ptr(int_h, SP) = 0xfeed;
	*(u64 *)harness_ptr(int_h, SP + 16) = 0;
	assert_int_equal(int_exec(CODE("\x8f\x44\x24\x08"), &r), -1);
	assert_int_equal(harness_read64(int_h, SP + 16), 0xfeed);
	assert_int_equal(cpu->gpr[GPR_RSP], SP + 8);

	/* pop qword [rax] with RAX unmapped: #PF, RSP unchanged (as saved in the frame: err rip cs rflags rsp) */
	r.gpr[GPR_RAX] = 0x40000000;
	assert_int_equal(int_exec(CODE("\x8f\x00"), &r), X86_EXC_PF);
	assert_int_equal(harness_read64(int_h, cpu->gpr[GPR_RSP] + 32), SP);
	/* 8F /1 is not POP */
	assert_int_equal(int_exec(CODE("\x8f\xc8"), &r), X86_EXC_UD);
}

static void test_stack_enter_leave(void **state)
{
	struct int_regs r = { 0 };
	struct x86_cpu *cpu = int_h->cpu;

	/* enter 16, 0 */
	r.gpr[GPR_RBP] = 0xbbbb;
	assert_int_equal(int_exec(CODE("\xc8\x10\x00\x00"), &r), -1);
	assert_int_equal(harness_read64(int_h, SP - 8), 0xbbbb);
	assert_int_equal(cpu->gpr[GPR_RBP], SP - 8);
	assert_int_equal(cpu->gpr[GPR_RSP], SP - 8 - 16);

	/* enter 32, 3: copies two outer frame pointers, then pushes the new frame */
	*(u64 *)harness_ptr(int_h, 0x70000 - 8) = 0x1111;
	*(u64 *)harness_ptr(int_h, 0x70000 - 16) = 0x2222;
	r.gpr[GPR_RBP] = 0x70000;
	assert_int_equal(int_exec(CODE("\xc8\x20\x00\x03"), &r), -1);
	assert_int_equal(harness_read64(int_h, SP - 8), 0x70000);
	assert_int_equal(harness_read64(int_h, SP - 16), 0x1111);
	assert_int_equal(harness_read64(int_h, SP - 24), 0x2222);
	assert_int_equal(harness_read64(int_h, SP - 32), SP - 8);
	assert_int_equal(cpu->gpr[GPR_RBP], SP - 8);
	assert_int_equal(cpu->gpr[GPR_RSP], SP - 32 - 32);

	/* leave */
	*(u64 *)harness_ptr(int_h, 0x70000) = 0xcccc;
	r.gpr[GPR_RBP] = 0x70000;
	assert_int_equal(int_exec(CODE("\xc9"), &r), -1);
	assert_int_equal(cpu->gpr[GPR_RBP], 0xcccc);
	assert_int_equal(cpu->gpr[GPR_RSP], 0x70008);
}

/*
 * ENTER with a 32-bit operand size on a 16-bit stack (real mode, diffcpu
 * --mode 16): FrameTemp is SP, and the stack size picks BP, so EBP keeps
 * its upper half and the pushed frame pointer is SP zero-extended (SDM
 * Vol. 2 ENTER). Own harness: the group's stays in 64-bit mode.
 */
static void test_stack_enter_16bit_stack(void **state)
{
	struct cpu_harness *h = harness_create();
	struct x86_cpu *cpu;
	u32 v;

	assert_non_null(h);
	cpu = h->cpu;
	harness_write(h, 0x98000, "\x66\xc8\x08\x00\x01\xf4", 6); /* enter 8, 1 (o32); hlt */
	harness_real_mode(h, 0x9800, 0);
	cpu->seg[SEG_SS].sel = 0x9000;
	cpu->seg[SEG_SS].base = 0x90000;
	cpu->gpr[GPR_RSP] = 0xabcd8000;
	cpu->gpr[GPR_RBP] = 0x55557000;
	assert_int_equal(harness_run(h), X86_EXIT_HALT);
	assert_int_equal(harness_exception(h), -1);
	assert_int_equal(cpu->gpr[GPR_RBP], 0x55557ffc);
	assert_int_equal(cpu->gpr[GPR_RSP], 0xabcd7ff0);
	memcpy(&v, harness_ptr(h, 0x97ffc), 4);
	assert_int_equal(v, 0x55557000); /* old EBP, a doubleword */
	memcpy(&v, harness_ptr(h, 0x97ff8), 4);
	assert_int_equal(v, 0x7ffc);     /* FrameTemp = SP, zero-extended */
	harness_destroy(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stack_push_pop),
		cmocka_unit_test(test_stack_pop_ev),
		cmocka_unit_test(test_stack_enter_leave),
		cmocka_unit_test(test_stack_enter_16bit_stack),
	};

	return cmocka_run_group_tests(tests, int_setup, int_teardown);
}
