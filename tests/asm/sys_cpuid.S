/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sys_cpuid: CPUID and MSRs agree with each other and with what the CPU
 * does (Intel SDM Vol. 2 CPUID, Vol. 4 MSRs): the baseline x86-64 feature
 * bits, features advertised are usable, IA32_APIC_BASE and the APIC ID,
 * EFER bits allowed by CPUID, #GP on an unknown MSR, RDTSC advancing.
 * PASS/FAIL lines on COM1.
 */
#include "sys_defs.h"

	.section .text.entry, "ax"
	.code64
	.globl _start
_start:
	call	sys_init

	xor	%eax, %eax
	cpuid
	cmp	$1, %eax
	CHECK(jae, t_max)
	mov	%ebx, vendor(%rip)
	mov	%edx, vendor+4(%rip)
	mov	%ecx, vendor+8(%rip)
	cmpb	$0x20, vendor(%rip)
	CHECK(ja, t_vendor)

	mov	$1, %eax
	cpuid
	mov	%ecx, l1_ecx(%rip)
	mov	%ebx, l1_ebx(%rip)
	/* FPU TSC MSR PAE CX8 APIC CMOV FXSR SSE SSE2 */
	mov	%edx, %eax
	and	$0x07008171, %eax
	cmp	$0x07008171, %eax
	CHECK(je, t_baseline)
	/* IA32_APIC_BASE: enabled, at 0xfee00000, BSP */
	mov	$0x1b, %ecx
	rdmsr
	mov	%eax, %r12d                  /* CHECK clobbers EAX */
	and	$0xfffff000, %eax
	cmp	$0xfee00000, %eax
	CHECK(je, t_apicbase)
	test	$0x800, %r12d
	CHECK(jnz, t_apic_en)
	/* APIC ID register = CPUID.1:EBX[31:24] */
	mov	$0xfee00020, %rbx
	mov	(%rbx), %eax
	shr	$24, %eax
	mov	l1_ebx(%rip), %edx
	shr	$24, %edx
	cmp	%edx, %eax
	CHECK(je, t_apicid)

	mov	$0x80000000, %eax
	cpuid
	cmp	$0x80000001, %eax
	CHECK(jae, t_extmax)
	mov	$0x80000001, %eax
	cpuid
	mov	%ecx, e1_ecx(%rip)
	/* SYSCALL NX LM */
	mov	%edx, %eax
	and	$0x20100800, %eax
	cmp	$0x20100800, %eax
	CHECK(je, t_ext)
	/* EFER: LMA set, NXE writable (set by sys_init) */
	mov	$0xc0000080, %ecx
	rdmsr
	mov	%eax, %r12d
	test	$0x400, %r12d
	CHECK(jnz, t_lma)
	test	$0x800, %r12d
	CHECK(jnz, t_nxe)

	/* advertised optional features work */
	movq	$-1, exc_vec(%rip)
	testl	$1, e1_ecx(%rip)             /* LAHF-SAHF in 64-bit mode */
	jz	1f
	EXPECT_BEGIN(1f)
	lahf
	sahf
1:	cmpq	$-1, exc_vec(%rip)
	CHECK(je, t_lahf)
	movq	$-1, exc_vec(%rip)
	testl	$1 << 23, l1_ecx(%rip)       /* POPCNT */
	jz	1f
	EXPECT_BEGIN(1f)
	popcnt	%rax, %rax
1:	cmpq	$-1, exc_vec(%rip)
	CHECK(je, t_popcnt)
	movq	$-1, exc_vec(%rip)
	testl	$1 << 13, l1_ecx(%rip)       /* CMPXCHG16B */
	jz	1f
	EXPECT_BEGIN(1f)
	lea	cx16_buf(%rip), %rdi
	cmpxchg16b (%rdi)
1:	cmpq	$-1, exc_vec(%rip)
	CHECK(je, t_cx16)
	movq	$-1, exc_vec(%rip)
	/* SSE instructions #UD unless the OS has enabled FXSAVE/SSE (CR4.OSFXSR). */
	mov	%cr4, %rax
	or	$0x600, %rax                 /* OSFXSR | OSXMMEXCPT */
	mov	%rax, %cr4
	testl	$1, l1_ecx(%rip)             /* SSE3 */
	jz	1f
	EXPECT_BEGIN(1f)
	haddps	%xmm0, %xmm0
1:	cmpq	$-1, exc_vec(%rip)
	CHECK(je, t_sse3)

	/* an MSR nobody implements: #GP(0) */
	EXPECT_BEGIN(1f)
	mov	$0x4b564dff, %ecx
	rdmsr
1:	cmpq	$13, exc_vec(%rip)
	CHECK(je, t_badmsr)
	cmpq	$0, exc_err(%rip)
	CHECK(je, t_badmsr_err)
	/* writing a reserved EFER bit: #GP(0) */
	EXPECT_BEGIN(1f)
	mov	$0xc0000080, %ecx
	rdmsr
	or	$0x2, %eax
	wrmsr
1:	cmpq	$13, exc_vec(%rip)
	CHECK(je, t_efer_rsvd)

	/* RDTSC advances */
	rdtsc
	shl	$32, %rdx
	or	%rax, %rdx
	mov	%rdx, %rbx
	mov	$1000, %ecx
1:	loop	1b
	rdtsc
	shl	$32, %rdx
	or	%rax, %rdx
	cmp	%rbx, %rdx
	CHECK(ja, t_tsc)

	jmp	finish

#include "sys.h.S"

	.data
	.balign 16
cx16_buf:	.quad 0, 0
vendor:		.long 0, 0, 0
l1_ecx:		.long 0
l1_ebx:		.long 0
e1_ecx:		.long 0
	.section .rodata
t_max:		.asciz "cpuid: max basic leaf >= 1"
t_vendor:	.asciz "cpuid: vendor string"
t_baseline:	.asciz "cpuid: FPU TSC MSR PAE CX8 APIC CMOV FXSR SSE SSE2"
t_apicbase:	.asciz "cpuid: IA32_APIC_BASE at 0xfee00000"
t_apic_en:	.asciz "cpuid: IA32_APIC_BASE enabled"
t_apicid:	.asciz "cpuid: APIC ID register matches CPUID.1:EBX[31:24]"
t_extmax:	.asciz "cpuid: extended leaf 0x80000001 present"
t_ext:		.asciz "cpuid: SYSCALL NX LM advertised"
t_lma:		.asciz "cpuid: EFER.LMA set in 64-bit mode"
t_nxe:		.asciz "cpuid: EFER.NXE writable as NX says"
t_lahf:		.asciz "cpuid: LAHF/SAHF work if advertised"
t_popcnt:	.asciz "cpuid: POPCNT works if advertised"
t_cx16:		.asciz "cpuid: CMPXCHG16B works if advertised"
t_sse3:		.asciz "cpuid: SSE3 works if advertised"
t_badmsr:	.asciz "cpuid: RDMSR of an unknown MSR is #GP"
t_badmsr_err:	.asciz "cpuid: ... error code 0"
t_efer_rsvd:	.asciz "cpuid: WRMSR of a reserved EFER bit is #GP"
t_tsc:		.asciz "cpuid: RDTSC advances"
