/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sys_exceptions: every exception the CPU raises on its own, with its
 * vector, error code, saved RIP and CR2 (Intel SDM Vol. 3A 6.15), and IST
 * stack switching (6.14.5). Prints PASS/FAIL lines on COM1, then powers off.
 */
#include "sys_defs.h"

	.section .text.entry, "ax"
	.code64
	.globl _start
_start:
	call	sys_init

	/* #DE: DIV by zero; fault, RIP at the DIV */
	EXPECT_BEGIN(1f)
	xor	%ecx, %ecx
de_insn:
	div	%ecx
1:	cmpq	$0, exc_vec(%rip)
	CHECK(je, t_de_vec)
	lea	de_insn(%rip), %rax
	cmp	%rax, exc_rip(%rip)
	CHECK(je, t_de_rip)

	/* #UD: UD2 */
	EXPECT_BEGIN(1f)
ud_insn:
	ud2
1:	cmpq	$6, exc_vec(%rip)
	CHECK(je, t_ud_vec)
	lea	ud_insn(%rip), %rax
	cmp	%rax, exc_rip(%rip)
	CHECK(je, t_ud_rip)

	/* #UD: LOCK on a non-lockable instruction */
	EXPECT_BEGIN(1f)
	.byte	0xf0, 0x89, 0xc0             /* lock mov %eax, %eax */
1:	cmpq	$6, exc_vec(%rip)
	CHECK(je, t_ud_lock)

	/* #BP: INT3 is a trap, RIP after it */
	EXPECT_BEGIN(1f)
	int3
bp_after:
1:	cmpq	$3, exc_vec(%rip)
	CHECK(je, t_bp_vec)
	lea	bp_after(%rip), %rax
	cmp	%rax, exc_rip(%rip)
	CHECK(je, t_bp_rip)

	/* #GP(0): non-canonical data access */
	EXPECT_BEGIN(1f)
	mov	$0x8000000000000000, %rbx
	mov	(%rbx), %rax
1:	cmpq	$13, exc_vec(%rip)
	CHECK(je, t_gp_vec)
	cmpq	$0, exc_err(%rip)
	CHECK(je, t_gp_err)

	/* #GP(sel): loading a selector beyond the GDT limit into DS */
	EXPECT_BEGIN(1f)
	mov	$0x80, %ax
	mov	%ax, %ds
1:	cmpq	$13, exc_vec(%rip)
	CHECK(je, t_gp_sel)
	cmpq	$0x80, exc_err(%rip)
	CHECK(je, t_gp_sel_err)
	mov	$KDATA, %ax
	mov	%ax, %ds

	/* #PF: read of a not-present page: error code 0, CR2 the address */
	lea	test_pt(%rip), %rbx
	movq	$0, 8(%rbx)                  /* page TEST_REGION + 0x1000 not present */
	mov	$TEST_REGION + 0x1000, %rdi
	invlpg	(%rdi)
	EXPECT_BEGIN(1f)
	mov	0x123(%rdi), %rax
1:	cmpq	$14, exc_vec(%rip)
	CHECK(je, t_pf_vec)
	cmpq	$0, exc_err(%rip)
	CHECK(je, t_pf_err_read)
	lea	0x123(%rdi), %rax
	cmp	%rax, exc_cr2(%rip)
	CHECK(je, t_pf_cr2)
	/* write: error code W */
	EXPECT_BEGIN(1f)
	movb	$1, 0x10(%rdi)
1:	cmpq	$2, exc_err(%rip)
	CHECK(je, t_pf_err_write)
	/* a 4-byte access straddling into the missing page: CR2 = first byte in that page */
	EXPECT_BEGIN(1f)
	movl	-2(%rdi), %eax
1:	cmp	%rdi, exc_cr2(%rip)
	CHECK(je, t_pf_split_cr2)
	/* instruction fetch from a not-present page: error code I */
	EXPECT_BEGIN(1f)
	call	*%rdi
1:	cmpq	$0x10, exc_err(%rip)
	CHECK(je, t_pf_err_fetch)
	cmp	%rdi, exc_rip(%rip)
	CHECK(je, t_pf_fetch_rip)
	mov	$TEST_REGION + 0x1000 + 7, %rax
	movq	%rax, 8(%rbx)                /* present again */
	invlpg	(%rdi)

	/* #NM: x87 instruction with CR0.TS */
	mov	%cr0, %rax
	or	$8, %rax
	mov	%rax, %cr0
	EXPECT_BEGIN(1f)
	fninit
1:	cmpq	$7, exc_vec(%rip)
	CHECK(je, t_nm)
	clts

	/* #XM: unmasked SSE divide-by-zero (CR4.OSXMMEXCPT) */
	mov	%cr4, %rax
	or	$0x600, %rax
	mov	%rax, %cr4
	movl	$0x1f80 & ~0x200, mxcsr_val(%rip)   /* ZM unmasked */
	ldmxcsr	mxcsr_val(%rip)
	mov	$1, %eax
	cvtsi2ss %eax, %xmm0
	xorps	%xmm1, %xmm1
	EXPECT_BEGIN(1f)
	divss	%xmm1, %xmm0
1:	cmpq	$19, exc_vec(%rip)
	CHECK(je, t_xm)
	stmxcsr	mxcsr_val(%rip)
	testl	$4, mxcsr_val(%rip)          /* ZE set */
	CHECK(jnz, t_xm_flag)
	movl	$0x1f80, mxcsr_val(%rip)
	ldmxcsr	mxcsr_val(%rip)

	/* #AC is off (CR0.AM = 0): a misaligned access just works */
	EXPECT_BEGIN(1f)
	mov	kstack+1(%rip), %rax
1:	cmpq	$-1, exc_vec(%rip)
	CHECK(je, t_no_ac)

	/* #BR/#OF-style opcodes are #UD in 64-bit mode: INTO (CE) */
	EXPECT_BEGIN(1f)
	.byte	0xce
1:	cmpq	$6, exc_vec(%rip)
	CHECK(je, t_into_ud)

	/* IST: #UD through a gate with IST1 runs on the IST1 stack */
	mov	$6, %edi
	lea	exc_stubs + 6 * 16(%rip), %rsi
	mov	$1, %edx
	xor	%ecx, %ecx
	call	set_gate
	EXPECT_BEGIN(1f)
	ud2
1:	mov	exc_on_stack(%rip), %rax
	lea	ist1_stack(%rip), %rbx
	sub	%rbx, %rax
	cmp	$4096, %rax
	CHECK(jb, t_ist)

	/* a software INT n through a DPL-0 gate from ring 0 works (no error code pushed) */
	EXPECT_BEGIN(1f)
	int	$4
1:	cmpq	$4, exc_vec(%rip)
	CHECK(je, t_int_n)

	jmp	finish

#include "sys.h.S"

	.data
mxcsr_val:	.long 0x1f80
	.section .rodata
t_de_vec:	.asciz "exc: #DE vector"
t_de_rip:	.asciz "exc: #DE saved RIP is the faulting DIV"
t_ud_vec:	.asciz "exc: #UD on UD2"
t_ud_rip:	.asciz "exc: #UD saved RIP"
t_ud_lock:	.asciz "exc: #UD on LOCK MOV"
t_bp_vec:	.asciz "exc: #BP on INT3"
t_bp_rip:	.asciz "exc: #BP is a trap (RIP after INT3)"
t_gp_vec:	.asciz "exc: #GP on a non-canonical address"
t_gp_err:	.asciz "exc: #GP error code 0"
t_gp_sel:	.asciz "exc: #GP loading DS beyond the GDT limit"
t_gp_sel_err:	.asciz "exc: #GP error code is the selector"
t_pf_vec:	.asciz "exc: #PF on a not-present page"
t_pf_err_read:	.asciz "exc: #PF error code, read"
t_pf_cr2:	.asciz "exc: #PF CR2"
t_pf_err_write:	.asciz "exc: #PF error code, write"
t_pf_split_cr2:	.asciz "exc: #PF CR2 of a page-split access"
t_pf_err_fetch:	.asciz "exc: #PF error code, instruction fetch"
t_pf_fetch_rip:	.asciz "exc: #PF on fetch saves the target RIP"
t_nm:		.asciz "exc: #NM with CR0.TS"
t_xm:		.asciz "exc: #XM on unmasked SSE divide by zero"
t_xm_flag:	.asciz "exc: MXCSR.ZE set by the faulting DIVSS"
t_no_ac:	.asciz "exc: no #AC with CR0.AM clear"
t_into_ud:	.asciz "exc: INTO is #UD in 64-bit mode"
t_ist:		.asciz "exc: IST1 stack switch"
t_int_n:	.asciz "exc: INT 4 delivers vector 4"
