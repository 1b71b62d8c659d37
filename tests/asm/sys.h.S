/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The code and data of the sys_*.S scaffolding; see sys_defs.h. */
	.text
/* ---- console ---- */
puts:
	push	%rdx
	push	%rax
	mov	$COM1, %dx
1:	lodsb
	test	%al, %al
	jz	2f
	outb	%al, %dx
	jmp	1b
2:	pop	%rax
	pop	%rdx
	ret

/* puthex: RAX as 16 hex digits */
puthex:
	push	%rcx
	push	%rdx
	push	%rbx
	mov	%rax, %rbx
	mov	$16, %ecx
	mov	$COM1, %dx
1:	rol	$4, %rbx
	mov	%bl, %al
	and	$15, %al
	add	$'0', %al
	cmp	$'9', %al
	jbe	2f
	add	$('a' - '0' - 10), %al
2:	outb	%al, %dx
	loop	1b
	pop	%rbx
	pop	%rdx
	pop	%rcx
	ret

/* check: EAX = 0 pass, else fail; RSI = test name. Counts failures. */
check:
	push	%rsi
	test	%eax, %eax
	jnz	1f
	lea	msg_pass(%rip), %rsi
	call	puts
	jmp	2f
1:	lea	msg_fail(%rip), %rsi
	call	puts
	incl	fail_count(%rip)
2:	pop	%rsi
	call	puts
	lea	msg_nl(%rip), %rsi
	call	puts
	ret

/* finish: print the summary line and power off. */
finish:
	lea	msg_done(%rip), %rsi
	call	puts
	mov	fail_count(%rip), %eax
	call	puthex
	lea	msg_nl(%rip), %rsi
	call	puts
poweroff:
	mov	$PM1A_CNT, %dx
	mov	$SLP_S5, %ax
	outw	%ax, %dx
1:	cli
	hlt
	jmp	1b

/* ---- exceptions ---- */
	.balign 16
exc_stubs:
	.irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	.balign 16
	.if (\v == 8) || (\v >= 10 && \v <= 14) || (\v == 17) || (\v == 21)
	pushq	$\v
	.else
	pushq	$0
	pushq	$\v
	.endif
	jmp	exc_common
	.endr

/* Frame now: vector, error, RIP, CS, RFLAGS, RSP, SS */
exc_common:
	push	%rax
	mov	8(%rsp), %rax
	mov	%rax, exc_vec(%rip)
	mov	16(%rsp), %rax
	mov	%rax, exc_err(%rip)
	mov	24(%rsp), %rax
	mov	%rax, exc_rip(%rip)
	mov	32(%rsp), %rax
	mov	%rax, exc_cs(%rip)
	mov	48(%rsp), %rax
	mov	%rax, exc_rsp(%rip)
	mov	%rsp, exc_on_stack(%rip)
	mov	%cr2, %rax
	mov	%rax, exc_cr2(%rip)
	/* resume in ring 0 at exc_resume, on the interrupted stack if it was ring 0 */
	mov	exc_resume(%rip), %rax
	mov	%rax, 24(%rsp)
	movq	$KCODE, 32(%rsp)
	cmpq	$KCODE, exc_cs(%rip)
	je	1f
	lea	kstack_top(%rip), %rax
	mov	%rax, 48(%rsp)
1:	movq	$KDATA, 56(%rsp)
	andq	$~0x100, 40(%rsp)            /* TF off */
	pop	%rax
	add	$16, %rsp
	iretq

/* set_gate: RDI = vector, RSI = handler, EDX = IST index, ECX = DPL */
set_gate:
	push	%rax
	push	%rbx
	lea	idt(%rip), %rbx
	shl	$4, %rdi
	add	%rdi, %rbx
	mov	%rsi, %rax
	mov	%ax, (%rbx)
	movw	$KCODE, 2(%rbx)
	mov	%dl, 4(%rbx)
	mov	%cl, %al
	shl	$5, %al
	or	$0x8e, %al
	mov	%al, 5(%rbx)
	shr	$16, %rax
	mov	%ax, 6(%rbx)
	shr	$16, %rax
	mov	%eax, 8(%rbx)
	movl	$0, 12(%rbx)
	pop	%rbx
	pop	%rax
	ret

/* ---- set-up ---- */
/* sys_init switches to kstack: it returns with a jump, not through the old stack. */
sys_init:
	cli
	pop	%r15
	/* page tables: PML4[0] -> pdpt; PDPT[0] -> pd0 (0-1 GiB), PDPT[3] -> pd3 (3-4 GiB) */
	lea	pml4(%rip), %rdi
	lea	pdpt(%rip), %rax
	or	$7, %rax
	mov	%rax, (%rdi)
	lea	pdpt(%rip), %rdi
	lea	pd0(%rip), %rax
	or	$7, %rax
	mov	%rax, (%rdi)
	lea	pd3(%rip), %rax
	or	$7, %rax
	mov	%rax, 24(%rdi)
	lea	pd0(%rip), %rdi
	xor	%ecx, %ecx
1:	mov	%rcx, %rax
	shl	$21, %rax
	or	$0x87, %rax                  /* PS U W P */
	mov	%rax, (%rdi,%rcx,8)
	inc	%ecx
	cmp	$512, %ecx
	jne	1b
	lea	pd3(%rip), %rdi
	xor	%ecx, %ecx
1:	mov	%rcx, %rax
	shl	$21, %rax
	mov	$0xc0000000, %rdx
	add	%rdx, %rax
	or	$0x9f, %rax                  /* PS PCD PWT U W P */
	mov	%rax, (%rdi,%rcx,8)
	inc	%ecx
	cmp	$512, %ecx
	jne	1b
	/* the test region: 4 KiB pages */
	lea	test_pt(%rip), %rdi
	xor	%ecx, %ecx
1:	mov	%rcx, %rax
	shl	$12, %rax
	add	$TEST_REGION, %rax
	or	$7, %rax
	mov	%rax, (%rdi,%rcx,8)
	inc	%ecx
	cmp	$512, %ecx
	jne	1b
	lea	pd0(%rip), %rdi
	lea	test_pt(%rip), %rax
	or	$7, %rax
	mov	%rax, (TEST_REGION >> 21) * 8(%rdi)
	/* EFER.NXE so bit 63 means no-execute */
	mov	$0xc0000080, %ecx
	rdmsr
	or	$0x800, %eax
	wrmsr
	lea	pml4(%rip), %rax
	mov	%rax, %cr3

	/* TSS: RSP0, IST1 */
	lea	tss(%rip), %rdi
	lea	kstack_top(%rip), %rax
	mov	%rax, 4(%rdi)
	lea	IST1_TOP(%rip), %rax
	mov	%rax, 36(%rdi)
	movw	$104, 102(%rdi)              /* I/O map base: none */
	/* TSS descriptor */
	lea	gdt(%rip), %rbx
	lea	tss(%rip), %rax
	movw	$103, TSSSEL(%rbx)
	mov	%ax, TSSSEL+2(%rbx)
	shr	$16, %rax
	mov	%al, TSSSEL+4(%rbx)
	movb	$0x89, TSSSEL+5(%rbx)
	movb	$0, TSSSEL+6(%rbx)
	mov	%ah, TSSSEL+7(%rbx)
	shr	$16, %rax
	mov	%eax, TSSSEL+8(%rbx)
	movl	$0, TSSSEL+12(%rbx)
	lgdt	gdt_ptr(%rip)
	/* reload CS with a far return, then the data segments */
	lea	kstack_top(%rip), %rsp
	pushq	$KCODE
	lea	1f(%rip), %rax
	push	%rax
	lretq
1:	mov	$KDATA, %ax
	mov	%ax, %ds
	mov	%ax, %es
	mov	%ax, %ss
	mov	%ax, %fs
	mov	%ax, %gs
	mov	$TSSSEL, %ax
	ltr	%ax

	/* IDT: vectors 0-31 */
	xor	%edi, %edi
1:	lea	exc_stubs(%rip), %rsi
	mov	%rdi, %rax
	shl	$4, %rax
	add	%rax, %rsi
	push	%rdi
	xor	%edx, %edx
	xor	%ecx, %ecx
	cmp	$3, %edi                     /* INT3 callable from ring 3 */
	jne	2f
	mov	$3, %ecx
2:	call	set_gate
	pop	%rdi
	inc	%edi
	cmp	$32, %edi
	jne	1b
	lidt	idt_ptr(%rip)
	jmp	*%r15

	.data
	.balign 16
gdt:
	.quad	0
	.quad	0x00af9b000000ffff           /* 0x08 ring-0 code64 */
	.quad	0x00cf93000000ffff           /* 0x10 ring-0 data */
	.quad	0x00cff3000000ffff           /* 0x18 ring-3 data */
	.quad	0x00affb000000ffff           /* 0x20 ring-3 code64 */
	.quad	0, 0                         /* 0x28 TSS */
gdt_end:
	.balign 16
gdt_ptr:
	.word	gdt_end - gdt - 1
	.quad	gdt
	.balign 16
idt_ptr:
	.word	256 * 16 - 1
	.quad	idt
exc_resume:	.quad 0
exc_vec:	.quad -1
exc_err:	.quad 0
exc_rip:	.quad 0
exc_cs:		.quad 0
exc_rsp:	.quad 0
exc_cr2:	.quad 0
exc_on_stack:	.quad 0
fail_count:	.long 0

	.section .rodata
msg_pass:	.asciz "PASS "
msg_fail:	.asciz "FAIL "
msg_nl:		.asciz "\n"
msg_done:	.asciz "DONE failures="

	.bss
	.balign 4096
pml4:		.skip 4096
pdpt:		.skip 4096
pd0:		.skip 4096
pd3:		.skip 4096
test_pt:	.skip 4096
idt:		.skip 4096
tss:		.skip 4096
ist1_stack:	.skip 4096
kstack:		.skip 16384
kstack_top:
ustack:		.skip 8192
ustack_top:
	.text
