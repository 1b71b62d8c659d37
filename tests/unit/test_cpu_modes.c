/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The modes firmware and boot loaders use, and the moves between them, as
 * self-checking guest code (Intel SDM Vol. 3A ch. 9 "Processor Management
 * and Initialization", 20.1 real-address mode, 4.3-4.5 paging):
 *
 *  - the power-up state: CS = F000 with base FFFF0000, IP = FFF0;
 *  - real mode: INT n and a hardware interrupt through the IVT, IRET;
 *    the A20 gate (x86_cpu_set_a20); the 64 KiB limit on a far pointer;
 *  - the boot chain: real -> 32-bit protected (CR0.PE, far JMP) -> 32-bit
 *    paging with 4 MiB pages -> PAE paging -> long mode (EFER.LME, CR0.PG,
 *    far JMP to a 64-bit code segment);
 *  - SeaBIOS's call16 thunk: 32-bit protected -> 16-bit protected -> real
 *    mode (an INT through the IVT there) -> 32-bit protected;
 *  - segment register loads in 32-bit protected mode (PUSH/POP Sreg,
 *    LES/LDS), which the differential harness leaves out (no GDT in Unicorn);
 *  - the block cache: the same bytes run in 64-bit and compatibility mode
 *    decode differently, so a block decoded in one mode must never run in
 *    the other (blocks are keyed by physical address and mode).
 *
 * The guest code is hand-assembled (GNU as) and shown next to its bytes.
 * Fixed places: real-mode code in segment 0x9800 (linear 0x98000), 32-bit
 * code at 0x99000, 64-bit code at 0x9a000, a 32-bit page directory at
 * 0x6e000 and a PAE PDPT at 0x6f000; results go to HARNESS_DATA.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>

#include <cmocka.h>

#include "cpu/x86/exec.h"
#include "tests/unit/cpu_harness.h"

#define REAL_SEG 0x9800
#define REAL_BASE 0x98000ULL
#define CODE32 0x99000ULL
#define CODE64 0x9a000ULL
#define PD32 0x6e000ULL
#define PDPT_PAE 0x6f000ULL
#define SEL_CODE16 0x40 /* 16-bit code, base REAL_BASE (added to the harness GDT) */
#define SEL_DATA16 0x48 /* 16-bit data, base 0, limit 0xffff */

#define CODE(s) s, sizeof(s) - 1

static struct cpu_harness *h;

static int setup(void **state)
{
	h = harness_create();
	return h ? 0 : -1;
}

static int teardown(void **state)
{
	harness_destroy(h);
	return 0;
}

static void put(u64 gpa, const void *bytes, size_t n)
{
	harness_load_at(h, gpa, bytes, n);
}

static u32 rd32(u64 gpa)
{
	u32 v;

	memcpy(&v, harness_ptr(h, gpa), 4);
	return v;
}

/* The harness GDT plus a 16-bit code and a 16-bit data segment, and its descriptor at REAL_BASE + 0xf00. */
static void gdt16(void)
{
	u64 code16 = 0x00009b000000ffffULL | ((REAL_BASE & 0xffffff) << 16);
	u64 data16 = 0x000093000000ffffULL;
	u8 desc[6] = { 0x4f, 0, 0, 0, 0, 0 };
	u32 base = (u32)HARNESS_GDT;

	put(HARNESS_GDT + SEL_CODE16, &code16, 8);
	put(HARNESS_GDT + SEL_DATA16, &data16, 8);
	memcpy(desc + 2, &base, 4);
	put(REAL_BASE + 0xf00, desc, 6);
	/* the real-mode IVT's descriptor, for LIDT on the way back to real mode */
	put(REAL_BASE + 0xf10, (u8[6]){ 0xff, 0x03, 0, 0, 0, 0 }, 6);
}

static void test_modes_reset_state(void **state)
{
	struct x86_cpu *cpu = h->cpu;

	x86_cpu_reset(cpu);
	assert_int_equal(cpu->mode, X86_MODE_REAL);
	assert_int_equal(cpu->seg[SEG_CS].sel, 0xf000);
	assert_int_equal(cpu->seg[SEG_CS].base, 0xffff0000);
	assert_int_equal(cpu->rip, 0xfff0);
	assert_int_equal(cpu->cr0, 0x60000010);
	assert_int_equal(cpu->gpr[GPR_RDX], 0x600);
	/* The first fetch is at FFFFFFF0 (the top of the 4 GiB space, firmware ROM): HLT there. */
	h->mmio_read_value = 0xf4f4f4f4f4f4f4f4ULL;
	h->n_mmio = 0;
	assert_int_equal(harness_run(h), X86_EXIT_HALT);
	assert_true(h->n_mmio > 0);
	assert_int_equal(h->mmio[0].gpa, 0xfffffff0);
	assert_int_equal(cpu->rip, 0xfff1);
	h->mmio_read_value = 0;
}

static void test_modes_real_interrupts(void **state)
{
	struct x86_cpu *cpu = h->cpu;
	u32 vec40 = 0x0400u | (u32)REAL_SEG << 16, vec41 = 0x0401u | (u32)REAL_SEG << 16;

	/* int 0x40; sti; nop; nop; cli; hlt */
	put(REAL_BASE, CODE("\xcd\x40\xfb\x90\x90\xfa\xf4"));
	/* inc bx; inc bx; iret -- INT 0x40 enters at the first INC, IRQ 0x41 at the second */
	put(REAL_BASE + 0x400, CODE("\x43\x43\xcf"));
	harness_real_mode(h, REAL_SEG, 0);
	put(0x40 * 4, &vec40, 4);
	put(0x41 * 4, &vec41, 4);
	cpu->gpr[GPR_RBX] = 0;
	cpu->rflags = 0x2 | X86_CF;
	h->pending_irq = 0x41;
	x86_cpu_kick(cpu);
	assert_int_equal(harness_run(h), X86_EXIT_HALT);
	assert_int_equal(harness_exception(h), -1); /* both went to our handlers, not the stubs */
	/* INT 0x40 ran both INCs; the hardware interrupt, after STI's shadow, one */
	assert_int_equal(cpu->gpr[GPR_RBX], 3);
	assert_int_equal(cpu->rip, 7);
	assert_int_equal(cpu->gpr[GPR_RSP], 0x8000); /* IRET popped IP, CS, FLAGS each time */
	assert_true(x86_get_rflags(cpu) & X86_CF);   /* FLAGS came back from the frame */
	assert_int_equal(cpu->mode, X86_MODE_REAL);

	/* An exception in real mode: #DE through the IVT (the harness's stub records it). */
	put(REAL_BASE, CODE("\x31\xc9\xf6\xf1\xf4")); /* xor cx, cx; div cl; hlt */
	harness_real_mode(h, REAL_SEG, 0);
	assert_int_equal(harness_run(h), X86_EXIT_HALT);
	assert_int_equal(harness_exception(h), X86_EXC_DE);
	assert_int_equal(h->exc_rip, 2); /* the frame's IP: the faulting DIV */
}

static void test_modes_a20(void **state)
{
	struct x86_cpu *cpu = h->cpu;

	/* mov ax, 0xffff; mov es, ax; mov al, es:[0x110]; hlt -- FFFF:0110 is linear 0x100100 */
	put(REAL_BASE, CODE("\xb8\xff\xff\x8e\xc0\x26\xa0\x10\x01\xf4"));
	put(0x000100, CODE("\x11"));
	put(0x100100, CODE("\x22"));
	harness_real_mode(h, REAL_SEG, 0);
	assert_int_equal(harness_run(h), X86_EXIT_HALT);
	assert_int_equal(cpu->gpr[GPR_RAX] & 0xff, 0x22);

	/* Gate closed: bit 20 is masked, the access wraps to 0x000100 as on an 8086. */
	x86_cpu_set_a20(cpu, false);
	harness_real_mode(h, REAL_SEG, 0);
	assert_int_equal(harness_run(h), X86_EXIT_HALT);
	assert_int_equal(cpu->gpr[GPR_RAX] & 0xff, 0x11);
	x86_cpu_set_a20(cpu, true);
	harness_real_mode(h, REAL_SEG, 0);
	assert_int_equal(harness_run(h), X86_EXIT_HALT);
	assert_int_equal(cpu->gpr[GPR_RAX] & 0xff, 0x22);
}

/*
 * A far pointer is one operand: at DS:FFFE its selector lies past the 64 KiB
 * limit, #GP, not wrapped to DS:0000 (diffcpu --mode 16 found the wrap).
 */
static void test_modes_real_far_pointer_limit(void **state)
{
	struct x86_cpu *cpu = h->cpu;
	u16 off, sel;

	put(REAL_BASE, CODE("\xc5\x1e\xfc\xff\xc5\x1e\xfe\xff\xf4")); /* lds bx, [0xfffc]; lds bx, [0xfffe] */
	put(0xfffc, CODE("\x34\x12\x00\x00"));
	harness_real_mode(h, REAL_SEG, 0);
	assert_int_equal(harness_run(h), X86_EXIT_HALT);
	assert_int_equal(harness_exception(h), X86_EXC_GP);
	assert_int_equal(h->exc_rip, 4);
	memcpy(&off, harness_ptr(h, 0xfffc), 2);
	memcpy(&sel, harness_ptr(h, 0xfffe), 2);
	assert_int_equal(cpu->gpr[GPR_RBX] & 0xffff, off); /* the first LDS, at FFFC, ran */
	assert_int_equal(cpu->seg[SEG_DS].sel, sel);
}

static void test_modes_boot_chain(void **state)
{
	struct x86_cpu *cpu = h->cpu;
	u64 pte;

	gdt16();
	/*
	 * real mode (CS = 0x9800):
	 *   cli; lgdtl cs:[0xf00]; mov eax, cr0; or al, 1; mov cr0, eax;
	 *   ljmpl 0x18:0x99000
	 */
	put(REAL_BASE, CODE("\xfa\x2e\x66\x0f\x01\x16\x00\x0f\x0f\x20\xc0\x0c\x01\x0f\x22\xc0"
			    "\x66\xea\x00\x90\x09\x00\x18\x00"));
	/*
	 * 32-bit protected mode:
	 *   mov ax, 0x10; mov ds/es/ss, ax; mov esp, 0x80000
	 *   mov dword [0x200000], 0x11111111
	 *   CR4.PSE; cr3 = 0x6e000; CR0.PG             (32-bit paging, 4 MiB pages)
	 *   mov eax, [0x40000010]; mov [0x200004], eax (an alias of 0x400010)
	 *   CR0.PG off; CR4.PAE; cr3 = 0x6f000; CR0.PG (PAE paging)
	 *   mov eax, [0x300010]; mov [0x200008], eax   (the PTE of 0x300000 names 0x201000)
	 *   CR0.PG off; cr3 = 0x1000; EFER.LME (rdmsr/wrmsr); CR0.PG (IA-32e mode, compatibility)
	 *   ljmp 0x08:0x9a000
	 */
	put(CODE32, CODE("\x66\xb8\x10\x00\x8e\xd8\x8e\xc0\x8e\xd0\xbc\x00\x00\x08\x00\xc7\x05\x00\x00"
			 "\x20\x00\x11\x11\x11\x11\x0f\x20\xe0\x83\xc8\x10\x0f\x22\xe0\xb8\x00\xe0\x06"
			 "\x00\x0f\x22\xd8\x0f\x20\xc0\x0d\x00\x00\x00\x80\x0f\x22\xc0\xa1\x10\x00\x00"
			 "\x40\xa3\x04\x00\x20\x00\x0f\x20\xc0\x25\xff\xff\xff\x7f\x0f\x22\xc0\x0f\x20"
			 "\xe0\x83\xc8\x20\x0f\x22\xe0\xb8\x00\xf0\x06\x00\x0f\x22\xd8\x0f\x20\xc0\x0d"
			 "\x00\x00\x00\x80\x0f\x22\xc0\xa1\x10\x00\x30\x00\xa3\x08\x00\x20\x00\x0f\x20"
			 "\xc0\x25\xff\xff\xff\x7f\x0f\x22\xc0\xb8\x00\x10\x00\x00\x0f\x22\xd8\xb9\x80"
			 "\x00\x00\xc0\x0f\x32\x0d\x00\x01\x00\x00\x0f\x30\x0f\x20\xc0\x0d\x00\x00\x00"
			 "\x80\x0f\x22\xc0\xea\x00\xa0\x09\x00\x08\x00"));
	/* 64-bit mode: mov rax, 0x6464646464646464; mov [0x200010], rax; hlt */
	put(CODE64, CODE("\x48\xb8\x64\x64\x64\x64\x64\x64\x64\x64\x48\x89\x04\x25\x10\x00\x20\x00\xf4"));
	/* 32-bit paging: 4 MiB identity pages for 0-16 MiB, 0x40000000 -> 0x400000 */
	for (u32 i = 0; i < 4; i++)
		put(PD32 + i * 4, &(u32){ i << 22 | 0x83 }, 4);
	put(PD32 + 0x100 * 4, &(u32){ 0x400000 | 0x83 }, 4);
	put(0x400010, CODE("\x32\x32\x32\x32"));
	/* PAE: the PDPT names the harness's page directory; 0x300000 is remapped to 0x201000 */
	put(PDPT_PAE, &(u64){ 0x3000 | HARNESS_PTE_P }, 8);
	pte = 0x201000 | HARNESS_PTE_RW;
	put(0x4000 + (0x300000 >> 12) * 8, &pte, 8);
	put(0x201010, CODE("\xae\xae\xae\xae"));

	harness_real_mode(h, REAL_SEG, 0);
	assert_int_equal(harness_run(h), X86_EXIT_HALT);
	assert_int_equal(harness_exception(h), -1);
	assert_int_equal(rd32(HARNESS_DATA), 0x11111111);
	assert_int_equal(rd32(HARNESS_DATA + 4), 0x32323232);
	assert_int_equal(rd32(HARNESS_DATA + 8), 0xaeaeaeae);
	assert_int_equal(harness_read64(h, HARNESS_DATA + 16), 0x6464646464646464ULL);
	assert_int_equal(cpu->mode, X86_MODE_LONG64);
	assert_true(cpu->efer & X86_EFER_LMA);
	assert_int_equal(cpu->seg[SEG_CS].sel, 0x08);
	/* put the harness's identity mapping back */
	pte = 0x300000 | HARNESS_PTE_RW;
	put(0x4000 + (0x300000 >> 12) * 8, &pte, 8);
}

static void test_modes_call16_thunk(void **state)
{
	struct x86_cpu *cpu = h->cpu;
	u32 vec40 = 0x0400u | (u32)REAL_SEG << 16;

	gdt16();
	/* 32-bit: mov dword [0x200000], 0; ljmp 0x40:0x100 (16-bit protected mode) */
	put(CODE32, CODE("\xc7\x05\x00\x00\x20\x00\x00\x00\x00\x00\xea\x00\x01\x00\x00\x40\x00"));
	/*
	 * 16-bit protected (CS base 0x98000): mov ax, 0x48; mov ds/es/ss, ax;
	 * mov eax, cr0; and eax, ~1; mov cr0, eax; ljmp 0x9800:0x200
	 */
	put(REAL_BASE + 0x100, CODE("\xb8\x48\x00\x8e\xd8\x8e\xc0\x8e\xd0\x0f\x20\xc0\x66\x83\xe0\xfe"
				    "\x0f\x22\xc0\xea\x00\x02\x00\x98"));
	/*
	 * real mode: xor ax, ax; mov ds/es/ss, ax; mov sp, 0x8000; lidtw cs:[0xf10];
	 * int 0x40; mov eax, cr0; or al, 1; mov cr0, eax; ljmpl 0x18:0x99100
	 */
	put(REAL_BASE + 0x200, CODE("\x31\xc0\x8e\xd8\x8e\xc0\x8e\xd0\xbc\x00\x80\x2e\x0f\x01\x1e\x10"
				    "\x0f\xcd\x40\x0f\x20\xc0\x0c\x01\x0f\x22\xc0\x66\xea\x00\x91\x09"
				    "\x00\x18\x00"));
	put(REAL_BASE + 0x400, CODE("\x43\xcf")); /* INT 0x40: inc bx; iret */
	put(0x40 * 4, &vec40, 4);
	/* 32-bit again: mov ax, 0x10; mov ds/es/ss, ax; mov dword [0x200000], 0x32323232; hlt */
	put(CODE32 + 0x100, CODE("\x66\xb8\x10\x00\x8e\xd8\x8e\xc0\x8e\xd0\xc7\x05\x00\x00\x20\x00"
				 "\x32\x32\x32\x32\xf4"));

	harness_prot32(h);
	cpu->rip = CODE32;
	cpu->gdtr.limit = 0x4f;
	cpu->gpr[GPR_RBX] = 0;
	assert_int_equal(cpu->mode, X86_MODE_PROT32);
	assert_int_equal(harness_run(h), X86_EXIT_HALT);
	assert_int_equal(harness_exception(h), -1);
	assert_int_equal(cpu->gpr[GPR_RBX], 1); /* the real-mode INT ran */
	assert_int_equal(rd32(HARNESS_DATA), 0x32323232);
	assert_int_equal(cpu->mode, X86_MODE_PROT32);
	assert_int_equal(cpu->seg[SEG_CS].sel, 0x18);
	assert_int_equal(cpu->gpr[GPR_RSP], 0x88000); /* real mode's MOV SP kept ESP's upper half */
	assert_int_equal(cpu->rip, CODE32 + 0x115);
}

static void test_modes_prot32_segments(void **state)
{
	struct x86_cpu *cpu = h->cpu;

	/*
	 * push es; pop eax; push cs; pop ebx; push ss; pop ecx; push ds; pop edx
	 * push 0x23; pop ds; mov esi, ds; push 0x10; pop ds
	 * les edi, [0x200000]; mov [0x200100], es; lds ebp, [0x200008]
	 * push 0; pop ss  (#GP(0): a null SS); hlt
	 */
	harness_load(h, CODE("\x06\x58\x0e\x5b\x16\x59\x1e\x5a\x6a\x23\x1f\x8c\xde\x6a\x10\x1f\xc4"
			     "\x3d\x00\x00\x20\x00\x8c\x05\x00\x01\x20\x00\xc5\x2d\x08\x00\x20\x00\x6a"
			     "\x00\x17\xf4"));
	put(HARNESS_DATA, CODE("\x78\x56\x34\x12\x23\x00"));
	put(HARNESS_DATA + 8, CODE("\xf0\xde\xbc\x9a\x10\x00"));
	harness_prot32(h);
	assert_int_equal(harness_run(h), X86_EXIT_HALT);
	assert_int_equal(harness_exception(h), X86_EXC_GP);
	assert_int_equal(h->exc_err, 0);
	assert_int_equal(h->exc_rip, HARNESS_CODE + 0x24);
	assert_int_equal(cpu->gpr[GPR_RAX], HARNESS_SEL_DATA);
	assert_int_equal(cpu->gpr[GPR_RBX], HARNESS_SEL_CODE32);
	assert_int_equal(cpu->gpr[GPR_RCX], HARNESS_SEL_DATA);
	assert_int_equal(cpu->gpr[GPR_RDX], HARNESS_SEL_DATA);
	assert_int_equal(cpu->gpr[GPR_RSI], 0x23);
	assert_int_equal(cpu->gpr[GPR_RDI], 0x12345678);
	assert_int_equal(rd32(HARNESS_DATA + 0x100) & 0xffff, 0x23);
	assert_int_equal(cpu->gpr[GPR_RBP], 0x9abcdef0);
	assert_int_equal(cpu->seg[SEG_DS].sel, HARNESS_SEL_DATA);
	assert_int_equal(cpu->seg[SEG_ES].sel, 0x23);
	assert_int_equal(SEG_ATTR_DPL(cpu->seg[SEG_ES].attr), 3);
	assert_int_equal(cpu->seg[SEG_SS].sel, HARNESS_SEL_DATA); /* the faulting POP SS changed nothing */
}

static void test_modes_block_per_mode(void **state)
{
	struct x86_cpu *cpu = h->cpu;

	/*
	 * 64-bit at HARNESS_CODE: mov ecx, 100; 1: call X; dec ecx; jnz 1b;
	 *   ljmp *[0x200000] (-> 0x18:+0x100, compatibility mode)
	 * +0x100 (32-bit): call X; ljmp *[0x200010] (-> 0x08:+0x200)
	 * +0x200 (64-bit): call X; hlt
	 * X = +0x300: 48 FF C0 C3 -- "inc rax; ret" in 64-bit mode,
	 *   "dec eax; inc eax; ret" in compatibility mode
	 */
	static const u8 p64[] = "\xb9\x64\x00\x00\x00\xe8\xf6\x02\x00\x00\xff\xc9\x75\xf7\xff\x2c"
				"\x25\x00\x00\x20\x00";
	static const u8 p32[] = "\xe8\xfb\x01\x00\x00\xff\x2d\x10\x00\x20\x00";
	static const u8 back[] = "\xe8\xfb\x00\x00\x00\xf4";

	for (int jit = 1; jit >= 0; jit--) {
		x86_cpu_set_jit(cpu, jit);
		harness_load(h, p64, sizeof(p64) - 1);
		put(HARNESS_CODE + 0x100, p32, sizeof(p32) - 1);
		put(HARNESS_CODE + 0x200, back, sizeof(back) - 1);
		put(HARNESS_CODE + 0x300, CODE("\x48\xff\xc0\xc3"));
		put(HARNESS_DATA, &(u64){ (HARNESS_CODE + 0x100) | (u64)HARNESS_SEL_CODE32 << 32 }, 8);
		put(HARNESS_DATA + 16, &(u64){ (HARNESS_CODE + 0x200) | (u64)HARNESS_SEL_CODE64 << 32 }, 8);
		cpu->gpr[GPR_RAX] = 0;
		cpu->gpr[GPR_RSP] = HARNESS_STACK;
		assert_int_equal(harness_run(h), X86_EXIT_HALT);
		assert_int_equal(harness_exception(h), -1);
		/* 100 + 0 (compatibility mode: DEC then INC) + 1 */
		assert_int_equal(cpu->gpr[GPR_RAX], 101);
		assert_int_equal(cpu->mode, X86_MODE_LONG64);
	}
	x86_cpu_set_jit(cpu, true);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_modes_reset_state, setup, teardown),
		cmocka_unit_test_setup_teardown(test_modes_real_interrupts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_modes_a20, setup, teardown),
		cmocka_unit_test_setup_teardown(test_modes_real_far_pointer_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_modes_boot_chain, setup, teardown),
		cmocka_unit_test_setup_teardown(test_modes_call16_thunk, setup, teardown),
		cmocka_unit_test_setup_teardown(test_modes_prot32_segments, setup, teardown),
		cmocka_unit_test_setup_teardown(test_modes_block_per_mode, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
