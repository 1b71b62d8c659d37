/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The system side of the software CPU: page walks (cpu/x86/mmu.c), event
 * delivery (exception.c), privilege transfers (segment.c), system
 * instructions and MSRs (system.c), CPUID (cpuid.c). Guest snippets were
 * assembled with GNU as; the source is in the comment next to each.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "cpu/x86/exec.h"
#include "include/hover/x86_clock.h"
#include "tests/unit/cpu_harness.h"

#define PTE_A (1ULL << 5)
#define PTE_D (1ULL << 6)
#define PTE_PS (1ULL << 7)
#define USER_CODE (HARNESS_CODE + 0x100)
#define USER_STACK 0x7f000ULL
#define KERNEL_ENTRY (HARNESS_CODE + 0x200)

static int setup(void **state)
{
	struct cpu_harness *h = harness_create();

	*state = h;
	return h ? 0 : -1;
}

static int teardown(void **state)
{
	harness_destroy(*state);
	return 0;
}

/* x86_translate() with the fault caught: returns false and the #PF error code. */
static bool translate(struct cpu_harness *h, u64 la, enum x86_access acc, bool user, u64 *gpa,
		      u32 *err)
{
	struct x86_cpu *cpu = h->cpu;

	if (setjmp(cpu->fault_jmp)) {
		assert_int_equal(cpu->exc_vector, X86_EXC_PF);
		*err = cpu->exc_error;
		return false;
	}
	*gpa = x86_translate(cpu, la, acc, user);
	return true;
}

static u64 *pte_of(struct cpu_harness *h, u64 la)
{
	/* The harness maps 0..16 MiB with page tables at 0x4000 + 0x1000 * (la >> 21). */
	return harness_ptr(h, 0x4000 + (la >> 21) * 0x1000 + ((la >> 12) & 511) * 8);
}

static void test_walk_permissions(void **state)
{
	struct cpu_harness *h = *state;
	u64 gpa = 0;
	u32 err = 0;

	harness_map(h, 0x400000, 0x300000, HARNESS_PTE_P | HARNESS_PTE_U);     /* user, read-only */
	harness_map(h, 0x402000, 0x302000, HARNESS_PTE_RW | HARNESS_PTE_NX);   /* no-execute */
	harness_map(h, 0x403000, 0x303000, HARNESS_PTE_P | HARNESS_PTE_W);     /* supervisor */
	harness_unmap(h, 0x404000);

	assert_true(translate(h, 0x400123, X86_ACC_READ, true, &gpa, &err));
	assert_int_equal(gpa, 0x300123);
	assert_false(translate(h, 0x400000, X86_ACC_WRITE, true, &gpa, &err));
	assert_int_equal(err, X86_PF_P | X86_PF_W | X86_PF_U);
	assert_int_equal(h->cpu->cr2, 0x400000);

	/* Supervisor writes to read-only pages: #PF with CR0.WP, allowed without. */
	assert_false(translate(h, 0x400008, X86_ACC_WRITE, false, &gpa, &err));
	assert_int_equal(err, X86_PF_P | X86_PF_W);
	h->cpu->cr0 &= ~X86_CR0_WP;
	assert_true(translate(h, 0x400008, X86_ACC_WRITE, false, &gpa, &err));
	h->cpu->cr0 |= X86_CR0_WP;

	/* NX: instruction fetches fault with I set; data reads are fine. */
	assert_false(translate(h, 0x402010, X86_ACC_EXEC, false, &gpa, &err));
	assert_int_equal(err, X86_PF_P | X86_PF_I);
	assert_true(translate(h, 0x402010, X86_ACC_READ, false, &gpa, &err));
	assert_true(translate(h, 0x400010, X86_ACC_EXEC, true, &gpa, &err));

	/* User access to a supervisor page; not-present page. */
	assert_false(translate(h, 0x403000, X86_ACC_READ, true, &gpa, &err));
	assert_int_equal(err, X86_PF_P | X86_PF_U);
	assert_true(translate(h, 0x403000, X86_ACC_WRITE, false, &gpa, &err));
	assert_false(translate(h, 0x404abc, X86_ACC_WRITE, true, &gpa, &err));
	assert_int_equal(err, X86_PF_W | X86_PF_U);
	assert_int_equal(h->cpu->cr2, 0x404abc);
	assert_false(translate(h, 0x404abc, X86_ACC_EXEC, false, &gpa, &err));
	assert_int_equal(err, X86_PF_I);
}

static void test_walk_reserved_bits(void **state)
{
	struct cpu_harness *h = *state;
	u64 *pd = harness_ptr(h, 0x3000), *pdpt = harness_ptr(h, 0x2000);
	u64 gpa = 0;
	u32 err = 0;

	/* Physical-address bit 51 (above MAXPHYADDR 40) in a PTE. */
	harness_map(h, 0x405000, 0x305000, HARNESS_PTE_RW | (1ULL << 51));
	assert_false(translate(h, 0x405000, X86_ACC_READ, false, &gpa, &err));
	assert_int_equal(err, X86_PF_P | X86_PF_RSVD);

	/* XD with EFER.NXE = 0 is reserved. */
	harness_map(h, 0x406000, 0x306000, HARNESS_PTE_RW | HARNESS_PTE_NX);
	h->cpu->efer &= ~X86_EFER_NXE;
	assert_false(translate(h, 0x406000, X86_ACC_READ, false, &gpa, &err));
	assert_int_equal(err, X86_PF_P | X86_PF_RSVD);
	/* ... and then I is not reported for fetches. */
	harness_unmap(h, 0x404000);
	assert_false(translate(h, 0x404000, X86_ACC_EXEC, false, &gpa, &err));
	assert_int_equal(err, 0);
	h->cpu->efer |= X86_EFER_NXE;

	/* 2 MiB page: fine; with bit 13 (reserved in a 2 MiB PDE) set: RSVD. */
	pd[8] = 0x200000 | PTE_PS | HARNESS_PTE_RW;
	assert_true(translate(h, 0x1001234, X86_ACC_WRITE, false, &gpa, &err));
	assert_int_equal(gpa, 0x201234);
	assert_true(pd[8] & PTE_A);
	assert_true(pd[8] & PTE_D);
	pd[9] = 0x200000 | PTE_PS | HARNESS_PTE_RW | (1ULL << 13);
	assert_false(translate(h, 0x1200000, X86_ACC_READ, false, &gpa, &err));
	assert_int_equal(err, X86_PF_P | X86_PF_RSVD);

	/* No 1 GiB pages are advertised: PS in a PDPTE is reserved. */
	pdpt[1] = 0x40000000 | PTE_PS | HARNESS_PTE_RW;
	assert_false(translate(h, 0x40000000, X86_ACC_READ, false, &gpa, &err));
	assert_int_equal(err, X86_PF_P | X86_PF_RSVD);
}

static void test_walk_accessed_dirty(void **state)
{
	struct cpu_harness *h = *state;
	u64 *pml4e = harness_ptr(h, 0x1000), *pdpte = harness_ptr(h, 0x2000);
	u64 *pde = harness_ptr(h, 0x3000 + 2 * 8), *pte;
	u64 gpa = 0;
	u32 err = 0;

	harness_map(h, 0x401000, 0x301000, HARNESS_PTE_RW);
	pte = pte_of(h, 0x401000);
	*pml4e &= ~PTE_A;
	*pdpte &= ~PTE_A;
	*pde &= ~PTE_A;
	assert_true(translate(h, 0x401000, X86_ACC_READ, false, &gpa, &err));
	assert_true(*pml4e & PTE_A);
	assert_true(*pdpte & PTE_A);
	assert_true(*pde & PTE_A);
	assert_true(*pte & PTE_A);
	assert_false(*pte & PTE_D);
	assert_true(translate(h, 0x401000, X86_ACC_WRITE, false, &gpa, &err));
	assert_true(*pte & PTE_D);

	/* A failed access sets nothing; a probe sets nothing either. */
	harness_map(h, 0x400000, 0x300000, HARNESS_PTE_P | HARNESS_PTE_U);
	pte = pte_of(h, 0x400000);
	assert_false(translate(h, 0x400000, X86_ACC_WRITE, true, &gpa, &err));
	assert_false(*pte & (PTE_A | PTE_D));
	assert_true(x86_translate_probe(h->cpu, 0x400000, X86_ACC_READ, true, &gpa));
	assert_false(*pte & PTE_A);
	assert_false(x86_translate_probe(h->cpu, 0x400000, X86_ACC_WRITE, true, &gpa));
}

/* The frame the CPU pushed, as 64-bit slots from the handler's RSP. */
static u64 frame(struct cpu_harness *h, unsigned slot)
{
	return harness_read64(h, h->cpu->gpr[GPR_RSP] + slot * 8);
}

static void test_fault_same_privilege(void **state)
{
	struct cpu_harness *h = *state;
	/* mov rax, [0x400000]; hlt */
	static const u8 code[] = { 0x48, 0x8b, 0x04, 0x25, 0x00, 0x00, 0x40, 0x00, 0xf4 };

	harness_unmap(h, 0x400000);
	harness_load(h, code, sizeof(code));
	assert_int_equal(harness_run(h), X86_EXIT_HALT);
	assert_int_equal(harness_exception(h), X86_EXC_PF);
	assert_int_equal(h->exc_err, 0);
	assert_int_equal(h->exc_rip, HARNESS_CODE);
	assert_int_equal(h->cpu->cr2, 0x400000);
	/* No stack switch: the frame sits 16-byte aligned below the old RSP. */
	assert_int_equal(h->cpu->gpr[GPR_RSP], HARNESS_STACK - 48);
	assert_int_equal(frame(h, 2), HARNESS_SEL_CODE64);
	assert_int_equal(frame(h, 4), HARNESS_STACK);
	assert_int_equal(frame(h, 5), HARNESS_SEL_DATA);
}

/* push 0x23; push USER_STACK; push 2; push 0x2b; push USER_CODE; iretq */
static const u8 to_user[] = { 0x6a, 0x23, 0x68, 0x00, 0xf0, 0x07, 0x00, 0x6a, 0x02, 0x6a,
			      0x2b, 0x68, 0x00, 0x01, 0x10, 0x00, 0x48, 0xcf };

/* Load code for another run (the previous one ended in HLT). */
static void reload(struct cpu_harness *h, const u8 *code, size_t len)
{
	harness_load(h, code, len);
	h->cpu->halted = false;
	h->cpu->gpr[GPR_RSP] = HARNESS_STACK;
}

static void run_user(struct cpu_harness *h, const u8 *user, size_t len)
{
	reload(h, to_user, sizeof(to_user));
	harness_load_at(h, USER_CODE, user, len);
	assert_int_equal(harness_run(h), X86_EXIT_HALT);
}

static void test_iret_to_user_and_gp_with_stack_switch(void **state)
{
	struct cpu_harness *h = *state;
	static const u8 user[] = { 0xcc }; /* int3: the harness gate has DPL 0 -> #GP */

	run_user(h, user, sizeof(user));
	assert_int_equal(harness_exception(h), X86_EXC_GP);
	assert_int_equal(h->exc_err, X86_EXC_BP * 8 + 2);
	assert_int_equal(h->exc_rip, USER_CODE);
	/* Stack from TSS.RSP0, SS:RSP of ring 3 saved. */
	assert_int_equal(h->cpu->gpr[GPR_RSP], HARNESS_STACK - 48);
	assert_int_equal(frame(h, 2), HARNESS_SEL_UCODE64);
	assert_int_equal(frame(h, 4), USER_STACK);
	assert_int_equal(frame(h, 5), HARNESS_SEL_UDATA);
	assert_int_equal(h->cpu->cpl, 0);
	assert_int_equal(h->cpu->seg[SEG_SS].sel, 0);
}

static void test_user_page_fault(void **state)
{
	struct cpu_harness *h = *state;
	/* mov dword ptr [0x400000], 1 */
	static const u8 user[] = { 0xc7, 0x04, 0x25, 0x00, 0x00, 0x40, 0x00, 0x01, 0x00, 0x00, 0x00 };

	harness_map(h, 0x400000, 0x300000, HARNESS_PTE_P | HARNESS_PTE_U);
	run_user(h, user, sizeof(user));
	assert_int_equal(harness_exception(h), X86_EXC_PF);
	assert_int_equal(h->exc_err, X86_PF_P | X86_PF_W | X86_PF_U);
	assert_int_equal(h->exc_rip, USER_CODE);
	assert_int_equal(h->cpu->cr2, 0x400000);
}

static void test_ist(void **state)
{
	struct cpu_harness *h = *state;
	static const u8 code[] = { 0x0f, 0x0b }; /* ud2 */
	u64 *gate = harness_ptr(h, HARNESS_IDT + X86_EXC_UD * 16);
	u64 ist1 = 0x70000;

	*gate |= 1ULL << 32;
	memcpy(harness_ptr(h, 0x14000 + 0x24), &ist1, 8);
	harness_load(h, code, sizeof(code));
	assert_int_equal(harness_run(h), X86_EXIT_HALT);
	assert_int_equal(harness_exception(h), X86_EXC_UD);
	assert_int_equal(h->exc_rip, HARNESS_CODE);
	assert_int_equal(h->cpu->gpr[GPR_RSP], 0x70000 - 40);
	assert_int_equal(frame(h, 3), HARNESS_STACK);
}

static void test_iretq_same_privilege(void **state)
{
	struct cpu_harness *h = *state;
	/* push 0x10; lea rax,[rsp+8]; push rax; pushfq; push 8; lea rax,[rip+done]; push rax; iretq; done: hlt */
	static const u8 code[] = { 0x6a, 0x10, 0x48, 0x8d, 0x44, 0x24, 0x08, 0x50, 0x9c, 0x6a, 0x08,
				   0x48, 0x8d, 0x05, 0x03, 0x00, 0x00, 0x00, 0x50, 0x48, 0xcf, 0xf4 };

	harness_load(h, code, sizeof(code));
	assert_int_equal(harness_run(h), X86_EXIT_HALT);
	assert_int_equal(harness_exception(h), -1);
	assert_int_equal(h->cpu->gpr[GPR_RSP], HARNESS_STACK);
	assert_int_equal(h->cpu->rip, HARNESS_CODE + sizeof(code));
	assert_int_equal(h->cpu->cpl, 0);
	assert_int_equal(h->cpu->seg[SEG_SS].sel, HARNESS_SEL_DATA);
}

static void test_syscall_sysret(void **state)
{
	struct cpu_harness *h = *state;
	/* syscall; mov eax, 1; syscall */
	static const u8 user[] = { 0x0f, 0x05, 0xb8, 0x01, 0x00, 0x00, 0x00, 0x0f, 0x05 };
	/* cmp rax, 1; je 1f; inc rbx; sysretq; 1: hlt */
	static const u8 entry[] = { 0x48, 0x83, 0xf8, 0x01, 0x74, 0x06, 0x48, 0xff, 0xc3,
				    0x48, 0x0f, 0x07, 0xf4 };
	struct x86_cpu *cpu = h->cpu;

	cpu->msr.star = (0x1bULL << 48) | ((u64)HARNESS_SEL_CODE64 << 32);
	cpu->msr.lstar = KERNEL_ENTRY;
	cpu->msr.sfmask = X86_IF | X86_DF;
	cpu->gpr[GPR_RAX] = 0;
	cpu->gpr[GPR_RBX] = 0;
	harness_load_at(h, KERNEL_ENTRY, entry, sizeof(entry));
	run_user(h, user, sizeof(user));
	assert_int_equal(harness_exception(h), -1);
	assert_int_equal(cpu->gpr[GPR_RBX], 1);
	assert_int_equal(cpu->gpr[GPR_RCX], USER_CODE + sizeof(user));
	assert_int_equal(cpu->gpr[GPR_R11] & ~X86_FLAGS_ARITH, 2);
	assert_int_equal(cpu->cpl, 0);
	assert_int_equal(cpu->seg[SEG_CS].sel, HARNESS_SEL_CODE64);
	assert_int_equal(cpu->seg[SEG_SS].sel, HARNESS_SEL_DATA);
	assert_int_equal(cpu->gpr[GPR_RSP], USER_STACK);
	assert_int_equal(cpu->mode, X86_MODE_LONG64);
}

static void test_swapgs(void **state)
{
	struct cpu_harness *h = *state;
	static const u8 code[] = { 0x0f, 0x01, 0xf8, 0xf4 }; /* swapgs; hlt */

	h->cpu->seg[SEG_GS].base = 0x1111;
	h->cpu->msr.kernel_gs_base = 0x2222;
	harness_load(h, code, sizeof(code));
	assert_int_equal(harness_run(h), X86_EXIT_HALT);
	assert_int_equal(harness_exception(h), -1);
	assert_int_equal(h->cpu->seg[SEG_GS].base, 0x2222);
	assert_int_equal(h->cpu->msr.kernel_gs_base, 0x1111);

	/* Ring 3: #GP(0). */
	run_user(h, code, 3);
	assert_int_equal(harness_exception(h), X86_EXC_GP);
	assert_int_equal(h->exc_err, 0);
	assert_int_equal(h->cpu->seg[SEG_GS].base, 0x2222);
}

static void test_external_interrupt(void **state)
{
	struct cpu_harness *h = *state;
	static const u8 code[] = { 0xfb, 0xeb, 0xfe }; /* sti; 1: jmp 1b */

	harness_load(h, code, sizeof(code));
	harness_raise_irq(h, 0x40);
	assert_int_equal(harness_run(h), X86_EXIT_HALT);
	assert_int_equal(harness_exception(h), 0x40);
	assert_int_equal(h->exc_rip, HARNESS_CODE + 1);
	assert_true(frame(h, 2) & X86_IF);
}

static void test_port_io(void **state)
{
	struct cpu_harness *h = *state;
	/* mov dx, 0x3f8; mov al, 0x41; out dx, al; in eax, 0x71; mov esi, HARNESS_DATA; mov ecx, 3; rep outsb; hlt */
	static const u8 code[] = { 0x66, 0xba, 0xf8, 0x03, 0xb0, 0x41, 0xee, 0xe5, 0x71, 0xbe,
				   0x00, 0x00, 0x20, 0x00, 0xb9, 0x03, 0x00, 0x00, 0x00, 0xf3,
				   0x6e, 0xf4 };

	harness_write(h, HARNESS_DATA, "xyz", 3);
	h->pio_in_value = 0x12345678;
	harness_load(h, code, sizeof(code));
	assert_int_equal(harness_run(h), X86_EXIT_HALT);
	assert_int_equal(harness_exception(h), -1);
	assert_int_equal(h->n_pio, 5);
	assert_true(h->pio[0].out);
	assert_int_equal(h->pio[0].port, 0x3f8);
	assert_int_equal(h->pio[0].val, 0x41);
	assert_false(h->pio[1].out);
	assert_int_equal(h->pio[1].port, 0x71);
	assert_int_equal(h->pio[1].size, 4);
	assert_int_equal(h->cpu->gpr[GPR_RAX], 0x12345678);
	assert_int_equal(h->pio[2].val, 'x');
	assert_int_equal(h->pio[4].val, 'z');
	assert_int_equal(h->cpu->gpr[GPR_RCX], 0);
	assert_int_equal(h->cpu->gpr[GPR_RSI], HARNESS_DATA + 3);
}

static void test_user_int80_and_io_denied(void **state)
{
	struct cpu_harness *h = *state;
	static const u8 user[] = { 0xcd, 0x80, 0xe6, 0x80 }; /* int 0x80; out 0x80, al */
	u64 *gate = harness_ptr(h, HARNESS_IDT + 0x80 * 16);
	static const u8 cli[] = { 0xfa };
	u16 iomap = 0x68;

	*gate |= 3ULL << 45; /* DPL 3: callable from user space */
	run_user(h, user, sizeof(user));
	assert_int_equal(harness_exception(h), 0x80);
	assert_int_equal(h->exc_rip, USER_CODE + 2); /* a trap: returns after INT */
	assert_int_equal(h->cpu->gpr[GPR_RSP], HARNESS_STACK - 40);
	assert_int_equal(frame(h, 4), HARNESS_SEL_UDATA);

	/* OUT at CPL 3 > IOPL 0, I/O bitmap base beyond the TSS limit: #GP(0). */
	harness_write(h, 0x14000 + 0x66, &iomap, 2);
	run_user(h, user + 2, 2);
	assert_int_equal(harness_exception(h), X86_EXC_GP);
	assert_int_equal(h->exc_rip, USER_CODE);
	assert_int_equal(h->n_pio, 0);

	run_user(h, cli, sizeof(cli));
	assert_int_equal(harness_exception(h), X86_EXC_GP);
}

static void test_double_fault(void **state)
{
	struct cpu_harness *h = *state;
	/* mov ecx, 0x12345; rdmsr; hlt */
	static const u8 code[] = { 0xb9, 0x45, 0x23, 0x01, 0x00, 0x0f, 0x32, 0xf4 };
	u64 *gate = harness_ptr(h, HARNESS_IDT + X86_EXC_GP * 16);

	*gate &= ~(1ULL << 47); /* #GP gate not present -> #NP during #GP delivery -> #DF */
	harness_load(h, code, sizeof(code));
	assert_int_equal(harness_run(h), X86_EXIT_HALT);
	assert_int_equal(harness_exception(h), X86_EXC_DF);
	assert_int_equal(h->exc_err, 0);
}

static void test_triple_fault(void **state)
{
	struct cpu_harness *h = *state;
	static const u8 code[] = { 0x0f, 0x0b }; /* ud2 */

	h->cpu->idtr.limit = 0; /* every delivery: #GP, then #DF, then shutdown */
	harness_load(h, code, sizeof(code));
	assert_int_equal(harness_run(h), X86_EXIT_SHUTDOWN);
}

static void test_msrs(void **state)
{
	struct cpu_harness *h = *state;
	/* mov ecx, 0x12345; rdmsr; hlt */
	static const u8 bad[] = { 0xb9, 0x45, 0x23, 0x01, 0x00, 0x0f, 0x32, 0xf4 };
	/* mov ecx, 0xc0000080; rdmsr; hlt */
	static const u8 efer[] = { 0xb9, 0x80, 0x00, 0x00, 0xc0, 0x0f, 0x32, 0xf4 };
	/* mov ecx, 0x10a; rdmsr; hlt */
	static const u8 archcap[] = { 0xb9, 0x0a, 0x01, 0x00, 0x00, 0x0f, 0x32, 0xf4 };

	harness_load(h, bad, sizeof(bad));
	assert_int_equal(harness_run(h), X86_EXIT_HALT);
	assert_int_equal(harness_exception(h), X86_EXC_GP);
	assert_int_equal(h->exc_err, 0);
	assert_int_equal(h->exc_rip, HARNESS_CODE + 5);

	reload(h, efer, sizeof(efer));
	assert_int_equal(harness_run(h), X86_EXIT_HALT);
	assert_int_equal(harness_exception(h), -1);
	assert_int_equal(h->cpu->gpr[GPR_RAX], 0xd01);
	assert_int_equal(h->cpu->gpr[GPR_RDX], 0);

	reload(h, archcap, sizeof(archcap));
	assert_int_equal(harness_run(h), X86_EXIT_HALT);
	assert_int_equal(harness_exception(h), -1);
	assert_true(h->cpu->gpr[GPR_RAX] & 1); /* RDCL_NO: no page-table isolation */
}

static void test_cr4_reserved(void **state)
{
	struct cpu_harness *h = *state;
	/* mov rax, cr4; or eax, 0x4000 (SMXE, not advertised); mov cr4, rax; hlt */
	static const u8 code[] = { 0x0f, 0x20, 0xe0, 0x0d, 0x00, 0x40, 0x00, 0x00,
				   0x0f, 0x22, 0xe0, 0xf4 };

	harness_load(h, code, sizeof(code));
	assert_int_equal(harness_run(h), X86_EXIT_HALT);
	assert_int_equal(harness_exception(h), X86_EXC_GP);
	assert_int_equal(h->exc_rip, HARNESS_CODE + 8);
	assert_int_equal(h->cpu->cr4, 0x620);
}

/* OVMF's reset vector: mov eax, 0x640 (MCE | OSFXSR | OSXMMEXCPT); mov cr4, eax. */
static void test_cr4_mce_accepted(void **state)
{
	struct cpu_harness *h = *state;
	/* mov rax, cr4; or eax, 0x40 (MCE); mov cr4, rax; hlt */
	static const u8 code[] = { 0x0f, 0x20, 0xe0, 0x0d, 0x40, 0x00, 0x00, 0x00,
				   0x0f, 0x22, 0xe0, 0xf4 };

	harness_load(h, code, sizeof(code));
	assert_int_equal(harness_run(h), X86_EXIT_HALT);
	assert_int_equal(harness_exception(h), -1);
	assert_int_equal(h->cpu->cr4, 0x660);
}

static void test_update_mode(void **state)
{
	struct cpu_harness *h = *state;
	struct x86_cpu *cpu = h->cpu;

	assert_int_equal(cpu->mode, X86_MODE_LONG64);
	cpu->seg[SEG_CS].attr = 0xc09b; /* D = 1, L = 0 */
	x86_update_mode(cpu);
	assert_int_equal(cpu->mode, X86_MODE_COMPAT32);
	cpu->seg[SEG_CS].attr = 0x00fb;
	cpu->seg[SEG_CS].sel = 0x1b;
	x86_update_mode(cpu);
	assert_int_equal(cpu->mode, X86_MODE_COMPAT16);
	assert_int_equal(cpu->cpl, 3);
	cpu->efer &= ~X86_EFER_LMA;
	x86_update_mode(cpu);
	assert_int_equal(cpu->mode, X86_MODE_PROT16);
	cpu->cr0 &= ~(X86_CR0_PE | X86_CR0_PG);
	x86_update_mode(cpu);
	assert_int_equal(cpu->mode, X86_MODE_REAL);
	assert_int_equal(cpu->cpl, 0);
}

static void test_cpuid(void **state)
{
	struct cpu_harness *h = *state;
	struct x86_cpu *cpu = h->cpu;
	u32 r[4];
	char s[49] = { 0 };

	x86_cpuid(cpu, 0, 0, r);
	assert_true(r[0] >= 0x16);
	memcpy(s, &r[1], 4);
	memcpy(s + 4, &r[3], 4);
	memcpy(s + 8, &r[2], 4);
	assert_string_equal(s, "GenuineIntel");

	x86_cpuid(cpu, 1, 0, r);
	assert_int_equal((r[0] >> 8) & 0xf, 6);
	assert_int_equal(r[1] >> 24, cpu->apic_id);
	assert_int_equal((r[1] >> 8) & 0xff, 8);
	assert_int_equal(r[2], 1u << 31); /* only HYPERVISOR until SSE3+ are implemented */
	/* FPU PSE TSC MSR PAE CX8 APIC SEP PGE CMOV PAT CLFSH MMX FXSR SSE SSE2; not VME DE MCE MTRR MCA HTT. */
	assert_int_equal(r[3], 0x0789ab79u);

	x86_cpuid(cpu, 7, 0, r);
	assert_int_equal(r[1], 0); /* no SMEP, SMAP, FSGSBASE, ... */
	assert_int_equal(r[2], 0);
	assert_int_equal(r[3], 1u << 29);

	x86_cpuid(cpu, 0x15, 0, r);
	assert_int_equal((u64)r[2] * r[1] / r[0], X86_TSC_HZ);
	x86_cpuid(cpu, 0x16, 0, r);
	assert_int_equal(r[0], X86_TSC_HZ / 1000000);

	x86_cpuid(cpu, 0x80000000, 0, r);
	assert_true(r[0] >= 0x80000008);
	x86_cpuid(cpu, 0x80000001, 0, r);
	assert_int_equal(r[3], (1u << 11) | (1u << 20) | (1u << 27) | (1u << 29));
	assert_int_equal(r[2], 1);
	for (u32 i = 0; i < 3; i++) {
		x86_cpuid(cpu, 0x80000002 + i, 0, r);
		memcpy(s + 16 * i, r, 16);
	}
	assert_string_equal(s, "hover virtual CPU");
	x86_cpuid(cpu, 0x80000007, 0, r);
	assert_true(r[3] & (1u << 8));
	x86_cpuid(cpu, 0x80000008, 0, r);
	assert_int_equal(r[0] & 0xffff, 0x3028);

	/* Leaves beyond the maximum, XSAVE and topology leaves are zero. */
	x86_cpuid(cpu, 0xd, 0, r);
	assert_int_equal(r[0] | r[1] | r[2] | r[3], 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_walk_permissions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_walk_reserved_bits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_walk_accessed_dirty, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fault_same_privilege, setup, teardown),
		cmocka_unit_test_setup_teardown(test_iret_to_user_and_gp_with_stack_switch, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_user_page_fault, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ist, setup, teardown),
		cmocka_unit_test_setup_teardown(test_iretq_same_privilege, setup, teardown),
		cmocka_unit_test_setup_teardown(test_syscall_sysret, setup, teardown),
		cmocka_unit_test_setup_teardown(test_swapgs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_external_interrupt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_port_io, setup, teardown),
		cmocka_unit_test_setup_teardown(test_user_int80_and_io_denied, setup, teardown),
		cmocka_unit_test_setup_teardown(test_double_fault, setup, teardown),
		cmocka_unit_test_setup_teardown(test_triple_fault, setup, teardown),
		cmocka_unit_test_setup_teardown(test_msrs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cr4_reserved, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cr4_mce_accepted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_update_mode, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cpuid, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
