/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * triple_fault: says so on COM1, loads an empty IDT (limit 0) and executes
 * INT3. Vector 3 lies past the IDT limit, so delivery raises #GP, whose
 * delivery fails the same way (#DF), and the third failure shuts the CPU
 * down (Intel SDM vol. 3A, 6.15 "Interrupt 8—Double Fault Exception").
 * hover must report a triple fault and exit non-zero.
 */
#define COM1 0x3f8

	.section .text.entry, "ax"
	.code64
	.globl _start
_start:
	cli
	lea	msg(%rip), %rsi
	mov	$COM1, %dx
1:	lodsb
	test	%al, %al
	jz	2f
	outb	%al, %dx
	jmp	1b
2:	lidt	empty_idt(%rip)
	int3
3:	hlt                                  /* not reached */
	jmp	3b

	.section .rodata
	.balign 16
empty_idt:
	.word	0                            /* limit */
	.quad	0                            /* base */
msg:	.asciz "triple_fault: loading an empty IDT and executing int3\n"
