/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * hello: the smallest guest hover boots like a kernel. Entered in 64-bit mode
 * as Linux's startup_64 is (boot.rst "64-bit Boot Protocol": RSI = boot_params,
 * identity paging, CS = __BOOT_CS), it checks that RSI points at a setup
 * header ("HdrS" at 0x202), writes
 *     hello from payload
 *     cmdline: <the kernel command line>
 * to COM1 (0x3f8), then requests ACPI S5 through PM1a_CNT (SLP_TYP = 5,
 * SLP_EN) and, should that return, halts with interrupts off.
 */
#define COM1 0x3f8
#define PM1A_CNT 0x604                       /* until the ACPI tables name it */
#define SLP_S5 ((5 << 10) | (1 << 13))       /* SLP_TYP = 5, SLP_EN */

	.section .text.entry, "ax"
	.code64
	.globl _start
_start:
	cli
	mov	%rsi, %rbx                   /* boot_params */
	cmpl	$0x53726448, 0x202(%rbx)     /* "HdrS" */
	jne	bad_params
	lea	msg_hello(%rip), %rsi
	call	puts
	lea	msg_cmdline(%rip), %rsi
	call	puts
	mov	0x228(%rbx), %esi            /* hdr.cmd_line_ptr */
	mov	0xc8(%rbx), %eax             /* ext_cmd_line_ptr */
	shl	$32, %rax
	or	%rax, %rsi
	call	puts
	lea	msg_nl(%rip), %rsi
	call	puts
	jmp	poweroff

bad_params:
	lea	msg_bad(%rip), %rsi
	call	puts

poweroff:
	mov	$PM1A_CNT, %dx
	mov	$SLP_S5, %ax
	outw	%ax, %dx
1:	hlt
	jmp	1b

/* puts: write the NUL-terminated string at RSI to COM1. Clobbers AL, DX, RSI. */
puts:
	mov	$COM1, %dx
1:	lodsb
	test	%al, %al
	jz	2f
	outb	%al, %dx
	jmp	1b
2:	ret

	.section .rodata
msg_hello:	.asciz "hello from payload\n"
msg_cmdline:	.asciz "cmdline: "
msg_nl:		.asciz "\n"
msg_bad:	.asciz "hello: FAIL: RSI does not point at boot_params\n"
