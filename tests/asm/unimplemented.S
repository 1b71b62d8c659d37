/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * unimplemented: executes an instruction hover's CPU does not implement
 * (CRC32, SSE4.2 — not advertised in CPUID) twice. Each time the CPU must
 * raise #UD in the guest, as hardware without SSE4.2 would; the #UD handler
 * skips the 5-byte instruction. With --debug, hover logs the opcode once.
 * Prints "ud count=2" and powers off.
 */
#define COM1 0x3f8
#define PM1A_CNT 0x604
#define SLP_S5 ((5 << 10) | (1 << 13))

	.section .text.entry, "ax"
	.code64
	.globl _start
_start:
	cli
	/* IDT gate 6 (#UD): 64-bit interrupt gate, selector 0x10 (boot CS), DPL 0. */
	lea	ud_handler(%rip), %rax
	lea	idt(%rip), %rdi
	mov	%ax, 6*16(%rdi)
	movw	$0x10, 6*16+2(%rdi)
	movw	$0x8e00, 6*16+4(%rdi)
	shr	$16, %rax
	mov	%ax, 6*16+6(%rdi)
	shr	$16, %rax
	mov	%eax, 6*16+8(%rdi)
	lidt	idtr(%rip)

	mov	$2, %ecx
1:	.byte 0xf2, 0x0f, 0x38, 0xf1, 0xc1   /* crc32 %ecx, %eax */
	loop	1b

	lea	msg(%rip), %rsi
	call	puts
	movzbl	ud_count(%rip), %eax
	add	$'0', %al
	mov	$COM1, %dx
	outb	%al, %dx
	mov	$'\n', %al
	outb	%al, %dx
	mov	$PM1A_CNT, %dx
	mov	$SLP_S5, %ax
	outw	%ax, %dx
2:	hlt
	jmp	2b

ud_handler:
	incb	ud_count(%rip)
	addq	$5, (%rsp)                   /* return past the 5-byte instruction */
	iretq

puts:
	mov	$COM1, %dx
1:	lodsb
	test	%al, %al
	jz	2f
	outb	%al, %dx
	jmp	1b
2:	ret

	.section .rodata
msg:	.asciz "ud count="

	.data
	.balign 16
idtr:	.word 16*16 - 1
	.quad idt
ud_count: .byte 0
	.balign 16
idt:	.fill 16*16, 1, 0
