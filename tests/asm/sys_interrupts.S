/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sys_interrupts: interrupt masking with the local APIC timer (xAPIC at
 * 0xfee00000, Intel SDM Vol. 3A 10.5.4): no delivery while RFLAGS.IF = 0,
 * delivery after STI only once the instruction in the STI shadow has run
 * (SDM Vol. 2 STI), none inside a MOV SS shadow for single-step traps
 * (Vol. 3A 6.8.3), and EOI. PASS/FAIL lines on COM1.
 */
#include "sys_defs.h"

#define APIC 0xfee00000
#define TIMER_VEC 0x40

	.section .text.entry, "ax"
	.code64
	.globl _start
_start:
	call	sys_init
	mov	$TIMER_VEC, %edi
	lea	timer_isr(%rip), %rsi
	xor	%edx, %edx
	xor	%ecx, %ecx
	call	set_gate

	mov	$APIC, %rbx
	movl	$0x1ff, 0xf0(%rbx)           /* SVR: enable, spurious 0xff */
	movl	$0xb, 0x3e0(%rbx)            /* divide by 1 */
	movl	$TIMER_VEC, 0x320(%rbx)      /* one-shot, unmasked */
	movl	$1000, 0x380(%rbx)           /* initial count */
	/* IF = 0: the interrupt becomes pending (IRR) but is not delivered */
	mov	$50000000, %ecx
1:	testl	$1, 0x220(%rbx)              /* IRR bits 64-95: vector 0x40 is bit 0 */
	jnz	2f
	dec	%ecx
	jnz	1b
2:	testl	$1, 0x220(%rbx)
	CHECK(jnz, t_irr)
	cmpq	$0, ticks(%rip)
	CHECK(je, t_masked)
	/* STI: delivered only after the next instruction */
	movq	$0, shadow(%rip)
	sti
	movq	$1, shadow(%rip)
	nop
	cli
	cmpq	$1, ticks(%rip)
	CHECK(je, t_delivered)
	cmpq	$1, seen_shadow(%rip)
	CHECK(je, t_sti_shadow)
	testl	$1, 0x220(%rbx)
	CHECK(jz, t_irr_clear)
	/* POPF setting IF has no shadow: delivered before the next instruction */
	movl	$1000, 0x380(%rbx)
	mov	$50000000, %ecx
1:	testl	$1, 0x220(%rbx)
	jnz	2f
	dec	%ecx
	jnz	1b
2:	movq	$0, shadow(%rip)
	pushq	$0x202
	popfq
	movq	$1, shadow(%rip)
	cli
	cmpq	$2, ticks(%rip)
	CHECK(je, t_popf)
	cmpq	$0, seen_shadow(%rip)
	CHECK(je, t_popf_noshadow)

	/* Single-step: TF traps after the next instruction, but not inside a MOV SS shadow */
	EXPECT_BEGIN(1f)
	pushfq
	orq	$0x100, (%rsp)
	popfq
	nop
tf_after_nop:
	nop
1:	cmpq	$1, exc_vec(%rip)
	CHECK(je, t_tf)
	lea	tf_after_nop(%rip), %rax
	cmp	%rax, exc_rip(%rip)
	CHECK(je, t_tf_rip)
	EXPECT_BEGIN(1f)
	mov	%ss, %ax
	pushfq
	orq	$0x100, (%rsp)
	popfq
	mov	%ax, %ss
	nop
tf_after_ss:
	nop
1:	lea	tf_after_ss(%rip), %rax
	cmp	%rax, exc_rip(%rip)
	CHECK(je, t_movss)

	jmp	finish

timer_isr:
	push	%rax
	incq	ticks(%rip)
	mov	shadow(%rip), %rax
	mov	%rax, seen_shadow(%rip)
	mov	$APIC, %rax
	movl	$0, 0xb0(%rax)               /* EOI */
	pop	%rax
	iretq

#include "sys.h.S"

	.data
ticks:		.quad 0
shadow:		.quad 0
seen_shadow:	.quad -1
	.section .rodata
t_irr:		.asciz "intr: LAPIC timer interrupt pending in IRR"
t_masked:	.asciz "intr: not delivered while IF=0"
t_delivered:	.asciz "intr: delivered after STI"
t_sti_shadow:	.asciz "intr: ... only after the instruction in the STI shadow"
t_irr_clear:	.asciz "intr: IRR clear after delivery and EOI"
t_popf:		.asciz "intr: delivered after POPF sets IF"
t_popf_noshadow: .asciz "intr: ... before the next instruction (no shadow)"
t_tf:		.asciz "intr: TF single-step raises #DB"
t_tf_rip:	.asciz "intr: ... after the instruction following POPF"
t_movss:	.asciz "intr: no single-step trap inside the MOV SS shadow"
