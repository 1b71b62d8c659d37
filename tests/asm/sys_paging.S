/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sys_paging: 4-level paging (Intel SDM Vol. 3A 4.5-4.10) on the 4 KiB
 * pages of TEST_REGION: R/W with CR0.WP, U/S from ring 3, NX, accessed and
 * dirty bits, INVLPG and CR3 reloads. PASS/FAIL lines on COM1.
 */
#include "sys_defs.h"

#define PG(n) (TEST_REGION + (n) * 0x1000)

	.section .text.entry, "ax"
	.code64
	.globl _start
_start:
	call	sys_init
	lea	test_pt(%rip), %rbx

	/* R/W: a read-only page, CR0.WP = 1: a ring-0 write faults with P|W */
	movq	$PG(2) | 5, 2 * 8(%rbx)     /* P U, not W */
	invlpg	PG(2)
	mov	%cr0, %rax
	or	$0x10000, %rax
	mov	%rax, %cr0
	EXPECT_BEGIN(1f)
	movl	$0x11, PG(2)
1:	cmpq	$14, exc_vec(%rip)
	CHECK(je, t_wp1)
	cmpq	$3, exc_err(%rip)
	CHECK(je, t_wp1_err)
	/* CR0.WP = 0: the same write succeeds */
	mov	%cr0, %rax
	and	$~0x10000, %rax
	mov	%rax, %cr0
	EXPECT_BEGIN(1f)
	movl	$0x22, PG(2)
1:	cmpq	$-1, exc_vec(%rip)
	CHECK(je, t_wp0)
	cmpl	$0x22, PG(2)
	CHECK(je, t_wp0_val)
	mov	%cr0, %rax
	or	$0x10000, %rax
	mov	%rax, %cr0

	/* NX: fetch from a no-execute page faults with P|I */
	movb	$0xc3, PG(3)                 /* ret */
	mov	$PG(3) | 7, %rax
	bts	$63, %rax
	mov	%rax, 3 * 8(%rbx)
	invlpg	PG(3)
	EXPECT_BEGIN(1f)
	mov	$PG(3), %rax
	call	*%rax
1:	cmpq	$14, exc_vec(%rip)
	CHECK(je, t_nx)
	cmpq	$0x11, exc_err(%rip)
	CHECK(je, t_nx_err)
	/* executable again */
	movq	$PG(3) | 7, 3 * 8(%rbx)
	invlpg	PG(3)
	EXPECT_BEGIN(1f)
	mov	$PG(3), %rax
	call	*%rax
1:	cmpq	$-1, exc_vec(%rip)
	CHECK(je, t_x)

	/* Accessed and dirty bits */
	movq	$PG(4) | 7, 4 * 8(%rbx)
	invlpg	PG(4)
	mov	PG(4), %rax
	mov	4 * 8(%rbx), %rax
	test	$0x20, %al
	CHECK(jnz, t_a)
	test	$0x40, %al
	CHECK(jz, t_d_clear)
	movl	$1, PG(4)
	mov	4 * 8(%rbx), %rax
	test	$0x40, %al
	CHECK(jnz, t_d)
	/* and the A bit in the page-directory entry above it */
	lea	pd0(%rip), %rcx
	mov	(TEST_REGION >> 21) * 8(%rcx), %rax
	test	$0x20, %al
	CHECK(jnz, t_a_pde)

	/* INVLPG: remap page 5 onto page 6's frame */
	movl	$0x5555, PG(5)
	movl	$0x6666, PG(6)
	mov	PG(5), %eax                  /* cached */
	movq	$PG(6) | 7, 5 * 8(%rbx)
	invlpg	PG(5)
	cmpl	$0x6666, PG(5)
	CHECK(je, t_invlpg)
	/* CR3 reload: remap page 7 onto page 6's frame */
	movl	$0x7777, PG(7)
	mov	PG(7), %eax
	movq	$PG(6) | 7, 7 * 8(%rbx)
	mov	%cr3, %rax
	mov	%rax, %cr3
	cmpl	$0x6666, PG(7)
	CHECK(je, t_cr3)

	/* U/S: ring 3 reads a supervisor page: #PF with P|U, error 5 */
	movq	$PG(8) | 3, 8 * 8(%rbx)      /* P W, supervisor */
	invlpg	PG(8)
	EXPECT_BEGIN(1f)
	lea	user_read(%rip), %rax
	jmp	enter_user
1:	cmpq	$14, exc_vec(%rip)
	CHECK(je, t_us)
	cmpq	$5, exc_err(%rip)
	CHECK(je, t_us_err)
	cmpq	$UCODE, exc_cs(%rip)
	CHECK(je, t_us_cs)
	/* ring 3 writes a user read-only page: P|W|U, error 7 */
	movq	$PG(9) | 5, 9 * 8(%rbx)
	invlpg	PG(9)
	EXPECT_BEGIN(1f)
	lea	user_write(%rip), %rax
	jmp	enter_user
1:	cmpq	$7, exc_err(%rip)
	CHECK(je, t_us_ro)
	/* ring 3 reads a user page: fine (then INT3 back) */
	EXPECT_BEGIN(1f)
	lea	user_read_ok(%rip), %rax
	jmp	enter_user
1:	cmpq	$3, exc_vec(%rip)
	CHECK(je, t_us_ok)

	jmp	finish

/* enter_user: IRETQ to ring 3 at RAX on ustack */
enter_user:
	pushq	$UDATA
	lea	ustack_top(%rip), %rcx
	push	%rcx
	pushq	$0x2
	pushq	$UCODE
	push	%rax
	iretq
user_read:
	mov	PG(8), %eax
	int3
user_write:
	movl	$1, PG(9)
	int3
user_read_ok:
	mov	PG(9), %eax
	int3

#include "sys.h.S"

	.section .rodata
t_wp1:		.asciz "paging: CR0.WP=1 ring-0 write to a read-only page faults"
t_wp1_err:	.asciz "paging: ... error code P|W"
t_wp0:		.asciz "paging: CR0.WP=0 ring-0 write to a read-only page succeeds"
t_wp0_val:	.asciz "paging: ... and writes"
t_nx:		.asciz "paging: NX page fetch faults"
t_nx_err:	.asciz "paging: ... error code P|I"
t_x:		.asciz "paging: clearing NX makes it executable"
t_a:		.asciz "paging: accessed bit set by a read"
t_d_clear:	.asciz "paging: dirty bit clear after a read"
t_d:		.asciz "paging: dirty bit set by a write"
t_a_pde:	.asciz "paging: accessed bit set in the PDE"
t_invlpg:	.asciz "paging: INVLPG drops the old translation"
t_cr3:		.asciz "paging: a CR3 reload drops old translations"
t_us:		.asciz "paging: ring 3 read of a supervisor page faults"
t_us_err:	.asciz "paging: ... error code P|U"
t_us_cs:	.asciz "paging: ... from CS=0x23"
t_us_ro:	.asciz "paging: ring 3 write to a read-only user page: P|W|U"
t_us_ok:	.asciz "paging: ring 3 read of a user page works"
