/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The dispatch-table entries the differential harness does not generate
 * (tests/diff/gen.c, gen_elsewhere()): port I/O, far transfers and
 * compatibility mode, descriptor-table and control instructions, debug
 * registers, SYSENTER/SYSEXIT, segment loads. Each test runs the
 * instructions on the flat harness and checks the result the Intel SDM
 * gives (Vol. 2 instruction pages; Vol. 3A 5.8.7 SYSENTER/SYSEXIT, 6.8.3
 * stack-switch shadow, 17.2 debug registers). Byte sequences were assembled
 * with GNU as; the source is in the comment next to each.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "cpu/x86/exec.h"
#include "tests/unit/cpu_harness.h"

#define CODE	   HARNESS_CODE
#define DATA	   HARNESS_DATA
#define USER_CODE  (HARNESS_CODE + 0x100)
#define USER_STACK 0x7f000ULL

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

/* Load code (at HARNESS_CODE) for a run that starts with a fresh stack. */
static void load(struct cpu_harness *h, const char *code, size_t len)
{
	harness_load(h, code, len);
	h->cpu->halted = false;
	h->cpu->gpr[GPR_RSP] = HARNESS_STACK;
}

static u64 frame(struct cpu_harness *h, unsigned slot)
{
	return harness_read64(h, h->cpu->gpr[GPR_RSP] + slot * 8);
}

/* E4 E6 E7 EC ED EF (IN/OUT) and 6C 6D 6F (INS/OUTS); E5, EE and 6E: test_cpu_system.c. */
static void test_sysinsn_port_io(void **state)
{
	struct cpu_harness *h = *state;
	struct x86_cpu *cpu = h->cpu;
	/*
	 * in $0x60,%al; out %al,$0x61; out %ax,$0x62; in (%dx),%al; in (%dx),%ax;
	 * out %eax,(%dx); insb; insl; outsw; hlt
	 */
	static const char code[] =
	    "\xe4\x60\xe6\x61\x66\xe7\x62\xec\x66\xed\xef\x6c\x6d\x66\x6f\xf4";

	load(h, code, sizeof(code) - 1);
	harness_write(h, DATA, "xyz", 3);
	h->pio_in_value = 0x12345678;
	cpu->gpr[GPR_RAX] = 0;
	cpu->gpr[GPR_RDX] = 0x3f8;
	cpu->gpr[GPR_RSI] = DATA;
	cpu->gpr[GPR_RDI] = DATA + 0x100;
	assert_int_equal(harness_run(h), X86_EXIT_HALT);
	assert_int_equal(harness_exception(h), -1);
	assert_int_equal(h->n_pio, 9);
	assert_true(!h->pio[0].out && h->pio[0].port == 0x60 && h->pio[0].size == 1);
	assert_true(h->pio[1].out && h->pio[1].port == 0x61 && h->pio[1].val == 0x78);
	assert_true(h->pio[2].out && h->pio[2].port == 0x62 && h->pio[2].size == 2 &&
		    h->pio[2].val == 0x78);
	assert_true(!h->pio[3].out && h->pio[3].port == 0x3f8 && h->pio[3].size == 1);
	assert_true(!h->pio[4].out && h->pio[4].size == 2);
	assert_true(h->pio[5].out && h->pio[5].size == 4 && h->pio[5].val == 0x5678);
	assert_true(!h->pio[6].out && h->pio[6].size == 1);
	assert_true(!h->pio[7].out && h->pio[7].size == 4);
	assert_true(h->pio[8].out && h->pio[8].size == 2 && h->pio[8].val == 0x7978); /* "xy" */
	assert_memory_equal(harness_ptr(h, DATA + 0x100), "\x78\x78\x56\x34\x12", 5);
	assert_int_equal(cpu->gpr[GPR_RDI], DATA + 0x105);
	assert_int_equal(cpu->gpr[GPR_RSI], DATA + 2);
}

/* CA: far return with an immediate (CB: the sys_privilege payload). */
static void test_sysinsn_far_ret_imm(void **state)
{
	struct cpu_harness *h = *state;
	/* push $0x11; push $8; lea 1f(%rip),%rax; push %rax; lretq $8; 1: hlt */
	static const char code[] =
	    "\x6a\x11\x6a\x08\x48\x8d\x05\x05\x00\x00\x00\x50\x48\xca\x08\x00"
	    "\xf4";

	load(h, code, sizeof(code) - 1);
	assert_int_equal(harness_run(h), X86_EXIT_HALT);
	assert_int_equal(harness_exception(h), -1);
	assert_int_equal(h->cpu->rip, CODE + 0x11);
	assert_int_equal(h->cpu->gpr[GPR_RSP], HARNESS_STACK); /* RIP, CS and 8 bytes released */
	assert_int_equal(h->cpu->seg[SEG_CS].sel, HARNESS_SEL_CODE64);
}

/*
 * 40-4F (INC/DEC r32, REX prefixes in 64-bit mode), 9A (CALL ptr16:32) and
 * EA (JMP ptr16:32) in compatibility mode, entered by FF /5 through the
 * harness GDT's 32-bit code segment and left by the far JMP.
 */
static void test_sysinsn_compat_mode(void **state)
{
	struct cpu_harness *h = *state;
	struct x86_cpu *cpu = h->cpu;
	/* 64-bit: ljmp *(%rdi) -> 0x18:CODE+0x20 */
	static const char enter[] = "\xff\x2f";
	/*
	 * 32-bit: inc eax..edi; dec eax twice, ecx..edi once (net: eax - 1);
	 * lcall $0x18, $CODE+0x40
	 */
	static const char c32[] =
	    "\x40\x41\x42\x43\x44\x45\x46\x47\x48\x48\x49\x4a\x4b\x4c\x4d\x4e\x4f"
	    "\x9a\x40\x00\x10\x00\x18\x00";
	static const char back[] = "\xea\x60\x00\x10\x00\x08\x00"; /* ljmp $0x08, $CODE+0x60 */
	static const u8 ptr[6] = { 0x20, 0x00, 0x10, 0x00, HARNESS_SEL_CODE32, 0 };

	load(h, enter, sizeof(enter) - 1);
	harness_write(h, CODE + 0x20, c32, sizeof(c32) - 1);
	harness_write(h, CODE + 0x40, back, sizeof(back) - 1);
	harness_write(h, CODE + 0x60, "\xf4", 1);
	harness_write(h, DATA, ptr, sizeof(ptr));
	for (int r = 0; r < 16; r++)
		if (r != GPR_RSP)
			cpu->gpr[r] = 0x1000 * (u64)(r + 1);
	cpu->gpr[GPR_RDI] = DATA;
	assert_int_equal(harness_run(h), X86_EXIT_HALT);
	assert_int_equal(harness_exception(h), -1);
	assert_int_equal(cpu->rip, CODE + 0x61);
	assert_int_equal(cpu->seg[SEG_CS].sel, HARNESS_SEL_CODE64);
	assert_int_equal((u32)cpu->gpr[GPR_RAX], 0x1000 - 1);
	assert_int_equal((u32)cpu->gpr[GPR_RCX], 0x2000);
	assert_int_equal((u32)cpu->gpr[GPR_RBX], 0x4000);
	assert_int_equal((u32)cpu->gpr[GPR_RDI], DATA);
	/* CALL ptr16:32 pushed CS (in 4 bytes) and the 32-bit return EIP. */
	assert_int_equal((u32)cpu->gpr[GPR_RSP], HARNESS_STACK - 8);
	assert_int_equal(harness_read64(h, HARNESS_STACK - 8) & 0xffffffffffffULL,
			 ((u64)HARNESS_SEL_CODE32 << 32) | (CODE + 0x38));
}

/* 0F 00 (SLDT STR VERR VERW), 0F 01 (SGDT SIDT SMSW), 0F 02 LAR, 0F 03 LSL. */
static void test_sysinsn_tables(void **state)
{
	struct cpu_harness *h = *state;
	struct x86_cpu *cpu = h->cpu;
	/*
	 * sgdt (%rdi); sidt 16(%rdi); sldt %eax; str %ebx; smsw %ecx; lar %esi,%edx;
	 * lsl %esi,%r8d; verr %si; sete %r9b; verw %si; sete %r10b; hlt
	 */
	static const char code[] =
	    "\x0f\x01\x07\x0f\x01\x4f\x10\x0f\x00\xc0\x0f\x00\xcb\x0f\x01\xe1"
	    "\x0f\x02\xd6\x44\x0f\x03\xc6\x0f\x00\xe6\x41\x0f\x94\xc1\x0f\x00"
	    "\xee\x41\x0f\x94\xc2\xf4";
	u8 *m = harness_ptr(h, DATA);
	u64 base;

	load(h, code, sizeof(code) - 1);
	cpu->gpr[GPR_RDI] = DATA;
	cpu->gpr[GPR_RAX] = ~0ULL;
	cpu->gpr[GPR_RSI] = HARNESS_SEL_CODE64;
	cpu->gpr[GPR_R9] = cpu->gpr[GPR_R10] = 0x55;
	assert_int_equal(harness_run(h), X86_EXIT_HALT);
	assert_int_equal(harness_exception(h), -1);
	assert_int_equal(m[0] | m[1] << 8, 0x3f);
	memcpy(&base, m + 2, 8);
	assert_int_equal(base, HARNESS_GDT);
	assert_int_equal(m[16] | m[17] << 8, 0xfff);
	memcpy(&base, m + 18, 8);
	assert_int_equal(base, HARNESS_IDT);
	assert_int_equal(cpu->gpr[GPR_RAX], 0);	   /* no LDT; 32-bit destination zero-extends */
	assert_int_equal(cpu->gpr[GPR_RBX], 0x30); /* the harness TSS */
	assert_int_equal(cpu->gpr[GPR_RCX], 0x80010033);
	/* LAR: type/S/DPL/P and G/D/L/AVL of 0x00af9b00'0000ffff; bits 19:16 cleared */
	assert_int_equal(cpu->gpr[GPR_RDX], 0x00a09b00);
	assert_int_equal(cpu->gpr[GPR_R8], 0xffffffff); /* limit 0xfffff, 4 KiB granular */
	assert_int_equal(cpu->gpr[GPR_R9] & 0xff, 1);	/* code, readable */
	assert_int_equal(cpu->gpr[GPR_R10] & 0xff, 0);	/* code is never writable */
}

/* LLDT and LTR type checks: the harness TSS selector is neither an LDT nor an available TSS. */
static void test_sysinsn_lldt_ltr(void **state)
{
	struct cpu_harness *h = *state;

	load(h, "\x0f\x00\xd0\xf4", 4); /* lldt %ax; hlt */
	h->cpu->gpr[GPR_RAX] = 0;	/* a null selector: LDTR unusable, no fault */
	assert_int_equal(harness_run(h), X86_EXIT_HALT);
	assert_int_equal(harness_exception(h), -1);

	load(h, "\x0f\x00\xd0\xf4", 4);
	h->cpu->gpr[GPR_RAX] = 0x30;
	assert_int_equal(harness_run(h), X86_EXIT_HALT);
	assert_int_equal(harness_exception(h), X86_EXC_GP);
	assert_int_equal(h->exc_err, 0x30);

	load(h, "\x0f\x00\xd8\xf4", 4); /* ltr %ax: the TSS is busy */
	h->cpu->gpr[GPR_RAX] = 0x30;
	assert_int_equal(harness_run(h), X86_EXIT_HALT);
	assert_int_equal(harness_exception(h), X86_EXC_GP);
	assert_int_equal(h->exc_err, 0x30);
}

/* LMSW, SMSW r64, CLTS (0F 01 /6, /4; 0F 06). */
static void test_sysinsn_msw(void **state)
{
	struct cpu_harness *h = *state;
	/* lmsw %ax; smsw %rdx; clts; smsw %rbx; hlt */
	static const char code[] = "\x0f\x01\xf0\x48\x0f\x01\xe2\x0f\x06\x48\x0f\x01\xe3\xf4";

	load(h, code, sizeof(code) - 1);
	h->cpu->gpr[GPR_RAX] = 0x003b; /* PE MP TS ET: sets TS */
	assert_int_equal(harness_run(h), X86_EXIT_HALT);
	assert_int_equal(harness_exception(h), -1);
	assert_int_equal(h->cpu->gpr[GPR_RDX], 0x8001003b);
	assert_int_equal(h->cpu->gpr[GPR_RBX], 0x80010033);
	assert_int_equal(h->cpu->cr0, 0x80010033);
}

/* RDTSCP (0F 01 F9), RDPMC (0F 33), INVD (0F 08), WBINVD (0F 09). */
static void test_sysinsn_counters_caches(void **state)
{
	struct cpu_harness *h = *state;
	struct x86_cpu *cpu = h->cpu;

	load(h, "\x0f\x01\xf9\xf4", 4);
	cpu->msr.tsc_aux = 0x55;
	cpu->gpr[GPR_RAX] = cpu->gpr[GPR_RDX] = cpu->gpr[GPR_RCX] = ~0ULL;
	assert_int_equal(harness_run(h), X86_EXIT_HALT);
	assert_int_equal(harness_exception(h), -1);
	assert_int_equal(cpu->gpr[GPR_RCX], 0x55);
	assert_int_equal(cpu->gpr[GPR_RAX] >> 32, 0);
	assert_int_equal(cpu->gpr[GPR_RDX] >> 32, 0);
	assert_true(cpu->gpr[GPR_RAX] | cpu->gpr[GPR_RDX]);

	/* No performance counters are advertised (CPUID leaf 0AH): every ECX is invalid. */
	load(h, "\x0f\x33\xf4", 3);
	cpu->gpr[GPR_RCX] = 0;
	assert_int_equal(harness_run(h), X86_EXIT_HALT);
	assert_int_equal(harness_exception(h), X86_EXC_GP);
	assert_int_equal(h->exc_err, 0);

	load(h, "\x0f\x08\x0f\x09\xf4", 5);
	assert_int_equal(harness_run(h), X86_EXIT_HALT);
	assert_int_equal(harness_exception(h), -1);
	assert_int_equal(cpu->rip, CODE + 5);
}

/* MOV to/from DR7, DR6 and DR4 (an alias of DR6 while CR4.DE = 0): 0F 21, 0F 23. */
static void test_sysinsn_debug_regs(void **state)
{
	struct cpu_harness *h = *state;
	struct x86_cpu *cpu = h->cpu;
	/* mov %rax,%db7; mov %db7,%rcx; mov %db6,%rdx; mov %db4,%rbx; hlt */
	static const char code[] = "\x0f\x23\xf8\x0f\x21\xf9\x0f\x21\xf2\x0f\x21\xe3\xf4";

	load(h, code, sizeof(code) - 1);
	cpu->gpr[GPR_RAX] = 1; /* L0 */
	cpu->dr[6] = 0;
	assert_int_equal(harness_run(h), X86_EXIT_HALT);
	assert_int_equal(harness_exception(h), -1);
	assert_int_equal(cpu->gpr[GPR_RCX], 0x401);	 /* bit 10 reads as 1 */
	assert_int_equal(cpu->gpr[GPR_RDX], 0xffff0ff0); /* reserved bits of DR6 */
	assert_int_equal(cpu->gpr[GPR_RBX], 0xffff0ff0);
}

/* SYSENTER (0F 34) to ring 0 and SYSEXIT with REX.W (0F 35) to 64-bit ring 3. */
static void test_sysinsn_sysenter_sysexit(void **state)
{
	struct cpu_harness *h = *state;
	struct x86_cpu *cpu = h->cpu;

	load(h, "\x0f\x34", 2);
	harness_write(h, CODE + 0x40, "\xf4", 1);
	cpu->msr.sysenter_cs = HARNESS_SEL_CODE64;
	cpu->msr.sysenter_esp = 0x70000;
	cpu->msr.sysenter_eip = CODE + 0x40;
	cpu->rflags |= X86_IF;
	assert_int_equal(harness_run(h), X86_EXIT_HALT);
	assert_int_equal(harness_exception(h), -1);
	assert_int_equal(cpu->rip, CODE + 0x41);
	assert_int_equal(cpu->seg[SEG_CS].sel, HARNESS_SEL_CODE64);
	assert_int_equal(cpu->seg[SEG_SS].sel, HARNESS_SEL_CODE64 + 8);
	assert_int_equal(cpu->gpr[GPR_RSP], 0x70000);
	assert_false(cpu->rflags & X86_IF);

	/* sysexitq to RDX with RSP = RCX; ud2 there traps back with the ring-3 frame */
	load(h, "\x48\x0f\x35", 3);
	harness_write(h, USER_CODE, "\x0f\x0b", 2);
	cpu->gpr[GPR_RDX] = USER_CODE;
	cpu->gpr[GPR_RCX] = USER_STACK;
	assert_int_equal(harness_run(h), X86_EXIT_HALT);
	assert_int_equal(harness_exception(h), X86_EXC_UD);
	assert_int_equal(h->exc_rip, USER_CODE);
	assert_int_equal(frame(h, 1), (HARNESS_SEL_CODE64 + 32) | 3);
	assert_int_equal(frame(h, 3), USER_STACK);
	assert_int_equal(frame(h, 4), (HARNESS_SEL_CODE64 + 40) | 3);
}

/* PUSH/POP FS/GS (0F A0 A1 A8 A9) and LSS/LFS/LGS (0F B2 B4 B5). */
static void test_sysinsn_segment_loads(void **state)
{
	struct cpu_harness *h = *state;
	struct x86_cpu *cpu = h->cpu;
	/* far pointers at DATA: m16:64, at +16 m16:32, at +32 m16:16 */
	static const char fp[] = "\x00\xf0\x07\x00\x00\x00\x00\x00\x10\x00\x00\x00\x00\x00\x00\x00"
				 "\x78\x56\x34\x12\x10\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
				 "\xcd\xab\x10\x00";

	/* push %fs; pop %gs; push %gs; pop %fs; hlt */
	load(h, "\x0f\xa0\x0f\xa9\x0f\xa8\x0f\xa1\xf4", 9);
	cpu->seg[SEG_GS].sel = 0;
	cpu->seg[SEG_GS].base = 0x5000;
	assert_int_equal(harness_run(h), X86_EXIT_HALT);
	assert_int_equal(harness_exception(h), -1);
	assert_int_equal(harness_read64(h, HARNESS_STACK - 8), HARNESS_SEL_DATA); /* 8-byte push */
	assert_int_equal(cpu->gpr[GPR_RSP], HARNESS_STACK);
	assert_int_equal(cpu->seg[SEG_GS].sel, HARNESS_SEL_DATA);
	assert_int_equal(cpu->seg[SEG_GS].base, 0); /* from the descriptor */
	assert_int_equal(cpu->seg[SEG_FS].sel, HARNESS_SEL_DATA);

	/* rex.w lss (%rdi),%rsp; lfs 16(%rdi),%ebx; lgs 32(%rdi),%cx; hlt */
	load(h, "\x48\x0f\xb2\x27\x0f\xb4\x5f\x10\x66\x0f\xb5\x4f\x20\xf4", 14);
	harness_write(h, DATA, fp, sizeof(fp) - 1);
	cpu->gpr[GPR_RDI] = DATA;
	cpu->gpr[GPR_RBX] = ~0ULL;
	cpu->gpr[GPR_RCX] = 0x1111111111111111ULL;
	assert_int_equal(harness_run(h), X86_EXIT_HALT);
	assert_int_equal(harness_exception(h), -1);
	assert_int_equal(cpu->gpr[GPR_RSP], USER_STACK);
	assert_int_equal(cpu->seg[SEG_SS].sel, HARNESS_SEL_DATA);
	assert_int_equal(cpu->gpr[GPR_RBX], 0x12345678);
	assert_int_equal(cpu->gpr[GPR_RCX], 0x111111111111abcdULL);
	assert_int_equal(cpu->seg[SEG_GS].sel, HARNESS_SEL_DATA);
}

/*
 * LSS opens no MOV SS shadow (SDM Vol. 3A 6.8.3 names MOV SS and POP SS
 * only): single-stepping it traps right after it. Regression vector: hover
 * used to share MOV SS's path and hold the trap for one more instruction.
 */
static void test_sysinsn_lss_no_shadow(void **state)
{
	struct cpu_harness *h = *state;
	static const char fp[] = "\x00\xf0\x07\x00\x00\x00\x00\x00\x10\x00"; /* m16:64 */

	load(h, "\x48\x0f\xb2\x27\x90\xf4", 6); /* rex.w lss (%rdi),%rsp; nop; hlt */
	harness_write(h, DATA, fp, sizeof(fp) - 1);
	h->cpu->gpr[GPR_RDI] = DATA;
	h->cpu->rflags |= X86_TF;
	assert_int_equal(harness_run(h), X86_EXIT_HALT);
	assert_int_equal(harness_exception(h), X86_EXC_DB);
	assert_int_equal(h->exc_rip, CODE + 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_sysinsn_port_io, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sysinsn_far_ret_imm, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sysinsn_compat_mode, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sysinsn_tables, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sysinsn_lldt_ltr, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sysinsn_msw, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sysinsn_counters_caches, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sysinsn_debug_regs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sysinsn_sysenter_sysexit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sysinsn_segment_loads, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sysinsn_lss_no_shadow, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
