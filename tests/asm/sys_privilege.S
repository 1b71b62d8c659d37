/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sys_privilege: IRETQ and far returns across and within privilege levels,
 * SYSCALL/SYSRET (Intel SDM Vol. 3A 5.8.8), SWAPGS, and privileged
 * instructions from ring 3 (#GP). PASS/FAIL lines on COM1.
 */
#include "sys_defs.h"

#define MSR_EFER 0xc0000080
#define MSR_STAR 0xc0000081
#define MSR_LSTAR 0xc0000082
#define MSR_FMASK 0xc0000084
#define MSR_GS_BASE 0xc0000101
#define MSR_KGS_BASE 0xc0000102

	.section .text.entry, "ax"
	.code64
	.globl _start
_start:
	call	sys_init

	/* far return within ring 0 */
	movq	$0, mark(%rip)
	pushq	$KCODE
	lea	1f(%rip), %rax
	push	%rax
	lretq
	movq	$1, mark(%rip)               /* skipped */
1:	cmpq	$0, mark(%rip)
	CHECK(je, t_lret)

	/* IRETQ within ring 0 loads RFLAGS (here CF) */
	mov	%rsp, %rbx
	pushq	$KDATA
	push	%rbx
	pushq	$0x3                         /* CF */
	pushq	$KCODE
	lea	1f(%rip), %rax
	push	%rax
	iretq
1:	setc	%al
	cmp	$1, %al
	CHECK(je, t_iret0)

	/* IRETQ to ring 3, INT3 back: CS and SS seen by the handler */
	EXPECT_BEGIN(1f)
	lea	user_int3(%rip), %rax
	call	enter_user
1:	cmpq	$3, exc_vec(%rip)
	CHECK(je, t_iret3)
	cmpq	$UCODE, exc_cs(%rip)
	CHECK(je, t_iret3_cs)
	lea	ustack_top(%rip), %rax
	cmp	%rax, exc_rsp(%rip)
	CHECK(je, t_iret3_rsp)
	/* the ring-3 -> ring-0 interrupt ran on TSS.RSP0 */
	mov	exc_on_stack(%rip), %rax
	lea	kstack_top(%rip), %rcx
	sub	%rax, %rcx
	cmp	$64, %rcx
	CHECK(jbe, t_rsp0)

	/* privileged instructions in ring 3: #GP(0) */
	EXPECT_BEGIN(1f)
	lea	user_hlt(%rip), %rax
	call	enter_user
1:	cmpq	$13, exc_vec(%rip)
	CHECK(je, t_hlt3)
	EXPECT_BEGIN(1f)
	lea	user_cli(%rip), %rax
	call	enter_user
1:	cmpq	$13, exc_vec(%rip)
	CHECK(je, t_cli3)
	EXPECT_BEGIN(1f)
	lea	user_movcr(%rip), %rax
	call	enter_user
1:	cmpq	$13, exc_vec(%rip)
	CHECK(je, t_cr3)
	/* INT n through a DPL-0 gate from ring 3: #GP(n*8+2) */
	EXPECT_BEGIN(1f)
	lea	user_int4(%rip), %rax
	call	enter_user
1:	cmpq	$13, exc_vec(%rip)
	CHECK(je, t_intdpl)
	cmpq	$4 * 8 + 2, exc_err(%rip)
	CHECK(je, t_intdpl_err)
	/* the error code seen, for comparing engines (not a check) */
	lea	t_intdpl_seen(%rip), %rsi
	call	puts
	mov	exc_err(%rip), %rax
	call	puthex
	lea	msg_nl(%rip), %rsi
	call	puts

	/* SYSCALL / SYSRET */
	mov	$MSR_EFER, %ecx
	rdmsr
	or	$1, %eax                     /* SCE */
	wrmsr
	mov	$MSR_STAR, %ecx
	xor	%eax, %eax
	mov	$(KCODE | (0x10 << 16)), %edx /* SYSCALL CS=0x08; SYSRET base 0x10 */
	wrmsr
	mov	$MSR_LSTAR, %ecx
	lea	syscall_entry(%rip), %rax
	mov	%rax, %rdx
	shr	$32, %rdx
	wrmsr
	mov	$MSR_FMASK, %ecx
	mov	$0x400, %eax                 /* clear DF */
	xor	%edx, %edx
	wrmsr
	movq	$0, sys_cs(%rip)
	EXPECT_BEGIN(1f)
	lea	user_syscall(%rip), %rax
	call	enter_user
1:	cmpq	$KCODE, sys_cs(%rip)
	CHECK(je, t_syscall_cs)
	cmpq	$KDATA, sys_ss(%rip)
	CHECK(je, t_syscall_ss)
	lea	after_syscall(%rip), %rax
	cmp	%rax, sys_rcx(%rip)
	CHECK(je, t_syscall_rcx)
	testq	$0x400, sys_rflags(%rip)      /* DF masked */
	CHECK(jz, t_syscall_fmask)
	testq	$0x400, sys_r11(%rip)         /* R11 = user RFLAGS with DF */
	CHECK(jnz, t_syscall_r11)
	cmpq	$3, exc_vec(%rip)             /* back in ring 3 after SYSRET, INT3 */
	CHECK(je, t_sysret)
	cmpq	$UCODE, exc_cs(%rip)
	CHECK(je, t_sysret_cs)
	cmpq	$0x77, user_mark(%rip)
	CHECK(je, t_sysret_ran)

	/* SWAPGS exchanges GS.base and IA32_KERNEL_GS_BASE */
	mov	$MSR_GS_BASE, %ecx
	mov	$0x1111, %eax
	xor	%edx, %edx
	wrmsr
	mov	$MSR_KGS_BASE, %ecx
	mov	$0x2222, %eax
	wrmsr
	swapgs
	mov	$MSR_GS_BASE, %ecx
	rdmsr
	cmp	$0x2222, %eax
	CHECK(je, t_swapgs_gs)
	mov	$MSR_KGS_BASE, %ecx
	rdmsr
	cmp	$0x1111, %eax
	CHECK(je, t_swapgs_kgs)
	/* SWAPGS in ring 3: #GP(0) (SDM Vol. 2 SWAPGS) */
	EXPECT_BEGIN(1f)
	lea	user_swapgs(%rip), %rax
	call	enter_user
1:	cmpq	$13, exc_vec(%rip)
	CHECK(je, t_swapgs3)

	jmp	finish

syscall_entry:
	mov	%cs, %rax
	mov	%rax, sys_cs(%rip)
	mov	%ss, %rax
	mov	%rax, sys_ss(%rip)
	mov	%rcx, sys_rcx(%rip)
	mov	%r11, sys_r11(%rip)
	pushfq
	popq	sys_rflags(%rip)
	sysretq

/* enter_user: IRETQ to ring 3 at RAX on ustack (no return) */
enter_user:
	pushq	$UDATA
	lea	ustack_top(%rip), %rcx
	push	%rcx
	pushq	$0x2
	pushq	$UCODE
	push	%rax
	iretq
user_int3:
	int3
user_hlt:
	hlt
user_cli:
	cli
user_movcr:
	mov	%cr3, %rax
user_int4:
	int	$4
user_swapgs:
	swapgs
user_syscall:
	std
	syscall
after_syscall:
	cld
	movq	$0x77, user_mark(%rip)
	int3

#include "sys.h.S"

	.data
mark:		.quad 0
user_mark:	.quad 0
sys_cs:		.quad 0
sys_ss:		.quad 0
sys_rcx:	.quad 0
sys_r11:	.quad 0
sys_rflags:	.quad 0
	.section .rodata
t_lret:		.asciz "priv: far return within ring 0"
t_iret0:	.asciz "priv: IRETQ within ring 0 loads RFLAGS"
t_iret3:	.asciz "priv: IRETQ to ring 3, INT3 back to ring 0"
t_iret3_cs:	.asciz "priv: ... interrupted CS is 0x23"
t_iret3_rsp:	.asciz "priv: ... interrupted RSP is the ring-3 stack"
t_rsp0:		.asciz "priv: ring 3 -> 0 interrupt switches to TSS.RSP0"
t_hlt3:		.asciz "priv: HLT in ring 3 is #GP"
t_cli3:		.asciz "priv: CLI in ring 3 (IOPL 0) is #GP"
t_cr3:		.asciz "priv: MOV from CR3 in ring 3 is #GP"
t_intdpl:	.asciz "priv: INT 4 through a DPL-0 gate from ring 3 is #GP"
t_intdpl_err:	.asciz "priv: ... error code 4*8+2 (IDT, EXT=0)"
t_intdpl_seen:	.asciz "INFO priv: INT 4 #GP error code "
t_syscall_cs:	.asciz "priv: SYSCALL enters CS=STAR[47:32]"
t_syscall_ss:	.asciz "priv: SYSCALL loads SS=STAR[47:32]+8"
t_syscall_rcx:	.asciz "priv: SYSCALL saves the return RIP in RCX"
t_syscall_fmask: .asciz "priv: SYSCALL masks RFLAGS with IA32_FMASK"
t_syscall_r11:	.asciz "priv: SYSCALL saves RFLAGS in R11"
t_sysret:	.asciz "priv: SYSRETQ returns to ring 3"
t_sysret_cs:	.asciz "priv: ... with CS=STAR[63:48]+16|3"
t_sysret_ran:	.asciz "priv: ... at RCX"
t_swapgs_gs:	.asciz "priv: SWAPGS loads GS.base from KERNEL_GS_BASE"
t_swapgs_kgs:	.asciz "priv: SWAPGS saves GS.base in KERNEL_GS_BASE"
t_swapgs3:	.asciz "priv: SWAPGS in ring 3 is #GP"
