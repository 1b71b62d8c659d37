/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Operands for the inline templates (jit_alu.c, jit_inline.c): guest
 * registers, effective addresses, and memory through the TLB fast path
 * inline (tlb.h: one tag compare on the page of the last byte, then host =
 * addend + linear) with x86_read_slow()/x86_write_slow() out of line, after
 * setting cpu->rip to the instruction so a fault reports it. The slow path
 * is a C call that clobbers caller-saved registers: templates load what
 * they need after an access. A store through the fast path never hits a
 * page holding translated code (block.c keeps no write entries for those),
 * but the slow path may invalidate code, so stores are followed by the run
 * loop's end_block test.
 */
#include "cpu/x86/jit_inline.h"

void jit_load_gpr(struct jit_ctx *t, unsigned h, unsigned r, bool w)
{
	e_op_mem(t->a, w, 0x8b, h, H_RBX, JIT_OFF_GPR(r)); /* 32-bit loads zero-extend */
}

void jit_store_gpr(struct jit_ctx *t, unsigned h, unsigned r)
{
	e_store64(t->a, h, H_RBX, JIT_OFF_GPR(r));
}

/* The memory operand's effective address (64-bit addressing) into rsi; false if it cannot be. */
bool jit_emit_ea(struct jit_ctx *t, const struct x86_insn *in)
{
	struct jit_asm *a = t->a;

	if (in->base == X86_REG_RIP) {
		s64 d = (s64)t->off + in->len + in->disp;

		if (!fits_s32(d))
			return false;
		e_lea(a, H_RSI, H_R12, (s32)d);
	} else if (in->base < 16) {
		jit_load_gpr(t, H_RSI, in->base, true);
		if (in->disp)
			e_op_mem(a, true, 0x8d, H_RSI, H_RSI, in->disp); /* lea rsi, [rsi + disp] */
	} else {
		e_mov_imm64(a, H_RSI, (u64)(s64)in->disp);
	}
	if (in->index < 16) {
		jit_load_gpr(t, H_RAX, in->index, true);
		if (in->scale) { /* shl rax, scale */
			e_rex(a, true, 0, 0, H_RAX, false);
			e_u8(a, 0xc1);
			e_u8(a, 0xe0);
			e_u8(a, in->scale);
		}
		e_op_rr(a, true, 0x01, H_RAX, H_RSI); /* add rsi, rax */
	}
	if (in->seg == SEG_FS || in->seg == SEG_GS)
		e_op_mem(a, true, 0x03, H_RSI, H_RBX, JIT_OFF_SEG_BASE(in->seg)); /* add rsi, base */
	return true;
}

/*
 * TLB lookup for [rsi, rsi+size): on a hit leaves the host address in rdx,
 * on a miss jumps to a slow stub (registered by the caller with the
 * returned rel32 address).
 */
static u8 *emit_tlb(struct jit_ctx *t, unsigned size, int acc)
{
	struct jit_asm *a = t->a;
	const struct x86_tlb_entry *e = &t->cpu->tlb->e[t->user][acc][0];
	u8 *at;

	e_op_mem(a, true, 0x8d, H_RAX, H_RSI, (s32)size - 1); /* lea rax, [rsi + size-1] */
	e_rex(a, true, 0, 0, H_RAX, false);                  /* and rax, ~0xfff */
	e_u8(a, 0x25);
	e_u32(a, 0xfffff000u);
	e_op_rr(a, true, 0x89, H_RSI, H_RCX);               /* mov rcx, rsi */
	e_rex(a, true, 0, 0, H_RCX, false);                  /* shr rcx, 12 - log2(entry size) */
	e_u8(a, 0xc1);
	e_u8(a, 0xe9);
	e_u8(a, 12 - 4);
	e_u8(a, 0x81);                                       /* and ecx, (SIZE-1) << 4 */
	e_u8(a, 0xe1);
	e_u32(a, (X86_TLB_SIZE - 1) << 4);
	e_mov_imm64(a, H_RDX, (u64)(uintptr_t)e);
	e_op_rr(a, true, 0x01, H_RCX, H_RDX);               /* add rdx, rcx */
	e_op_mem(a, true, 0x3b, H_RAX, H_RDX, 0);            /* cmp rax, [rdx] (tag) */
	at = e_jcc32(a, HC_NE);
	e_load64(a, H_RDX, H_RDX, (s32)offsetof(struct x86_tlb_entry, addend));
	e_op_rr(a, true, 0x01, H_RSI, H_RDX);               /* add rdx, rsi */
	return at;
}

/*
 * The segment the slow path is told: rsi already holds the linear address
 * (emit_ea added any FS/GS base), and in 64-bit mode DS adds no base and
 * checks what FS and GS check (canonical form, #GP).
 */
static u8 slow_seg(unsigned seg)
{
	return (u8)(seg == SEG_FS || seg == SEG_GS ? SEG_DS : seg);
}

/* rax = zero-extended load of `size` bytes at the address in rsi (seg for the slow path). */
void jit_emit_read(struct jit_ctx *t, unsigned seg, unsigned size)
{
	struct jit_asm *a = t->a;
	u8 *at = emit_tlb(t, size, X86_ACC_READ);

	switch (size) {
	case 1: e_op0f_mem(a, false, 0xb6, H_RAX, H_RDX, 0); break;
	case 2: e_op0f_mem(a, false, 0xb7, H_RAX, H_RDX, 0); break;
	case 4: e_op_mem(a, false, 0x8b, H_RAX, H_RDX, 0); break;
	default: e_op_mem(a, true, 0x8b, H_RAX, H_RDX, 0); break;
	}
	jit_add_slow(t, at, a->p, slow_seg(seg), (u8)size, false);
}

/* Store the low `size` bytes of r8 at the address in rsi. */
void jit_emit_write(struct jit_ctx *t, unsigned seg, unsigned size)
{
	struct jit_asm *a = t->a;
	u8 *at = emit_tlb(t, size, X86_ACC_WRITE);

	switch (size) {
	case 1: e_op_mem(a, false, 0x88, H_R8, H_RDX, 0); break;
	case 2: e_u8(a, 0x66); e_op_mem(a, false, 0x89, H_R8, H_RDX, 0); break;
	case 4: e_op_mem(a, false, 0x89, H_R8, H_RDX, 0); break;
	default: e_op_mem(a, true, 0x89, H_R8, H_RDX, 0); break;
	}
	jit_add_slow(t, at, a->p, slow_seg(seg), (u8)size, true);
}

/* After a template that stored to memory: the slow path may have dropped this block's code. */
void jit_end_block_test(struct jit_ctx *t, const struct x86_insn *in)
{
	e_cmp_mem8_imm(t->a, H_RBX, JIT_OFF_END_BLOCK, 0);
	jit_exit_if_ended(t, HC_NE, t->off + in->len, t->k + 1);
}
