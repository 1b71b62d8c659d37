/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A small x86-64 machine-code writer for the JIT (jit.c): just the
 * encodings the block translator uses. Every memory operand is
 * [base + disp]; REX, ModRM and SIB are worked out here so the translator
 * reads as a list of instructions (Intel SDM Vol. 2 ch. 2.1-2.2).
 *
 * Writing past the end of the buffer sets `full` and writes nothing; the
 * translator checks it once at the end of a block.
 */
#ifndef HOVER_CPU_X86_JIT_EMIT_H
#define HOVER_CPU_X86_JIT_EMIT_H

#include <string.h>

#include "include/hover/types.h"

/* Host registers by encoding number. */
enum { H_RAX, H_RCX, H_RDX, H_RBX, H_RSP, H_RBP, H_RSI, H_RDI,
       H_R8, H_R9, H_R10, H_R11, H_R12, H_R13, H_R14, H_R15 };

/* Host condition codes (the low nibble of Jcc/SETcc/CMOVcc), same order as the guest's. */
enum { HC_O, HC_NO, HC_B, HC_AE, HC_E, HC_NE, HC_BE, HC_A,
       HC_S, HC_NS, HC_P, HC_NP, HC_L, HC_GE, HC_LE, HC_G };

struct jit_asm {
	u8 *p;    /* next byte (in the writable view) */
	u8 *end;
	bool full;
};

static inline void e_bytes(struct jit_asm *a, const void *b, size_t n)
{
	if (a->full || (size_t)(a->end - a->p) < n) {
		a->full = true;
		return;
	}
	memcpy(a->p, b, n);
	a->p += n;
}

static inline void e_u8(struct jit_asm *a, u8 v) { e_bytes(a, &v, 1); }
static inline void e_u32(struct jit_asm *a, u32 v) { e_bytes(a, &v, 4); }
static inline void e_u64(struct jit_asm *a, u64 v) { e_bytes(a, &v, 8); }

static inline bool fits_s8(s64 v) { return v >= -128 && v <= 127; }
static inline bool fits_s32(s64 v) { return v >= INT32_MIN && v <= INT32_MAX; }

/* REX if any bit is needed (or force, for byte registers SPL..DIL). */
static inline void e_rex(struct jit_asm *a, bool w, unsigned reg, unsigned index, unsigned base,
			 bool force)
{
	u8 rex = (u8)(0x40 | (w << 3) | ((reg >> 3) << 2) | ((index >> 3) << 1) | (base >> 3));

	if (rex != 0x40 || force)
		e_u8(a, rex);
}

/* ModRM (+SIB) + displacement for [base + disp]; reg is the ModRM.reg field (register or /digit). */
static inline void e_modrm_mem(struct jit_asm *a, unsigned reg, unsigned base, s32 disp)
{
	unsigned mod = (disp == 0 && (base & 7) != H_RBP) ? 0 : fits_s8(disp) ? 1 : 2;

	e_u8(a, (u8)((mod << 6) | ((reg & 7) << 3) | (base & 7)));
	if ((base & 7) == H_RSP)
		e_u8(a, 0x24); /* SIB: no index, base */
	if (mod == 1)
		e_u8(a, (u8)(s8)disp);
	else if (mod == 2)
		e_u32(a, (u32)disp);
}

/* op reg, [base + disp]  (or op [base+disp], reg: the opcode decides the direction) */
static inline void e_op_mem(struct jit_asm *a, bool w, u8 op, unsigned reg, unsigned base, s32 disp)
{
	e_rex(a, w, reg, 0, base, false);
	e_u8(a, op);
	e_modrm_mem(a, reg, base, disp);
}

/* Two-byte opcode 0F xx with a memory operand. */
static inline void e_op0f_mem(struct jit_asm *a, bool w, u8 op, unsigned reg, unsigned base,
			      s32 disp)
{
	e_rex(a, w, reg, 0, base, false);
	e_u8(a, 0x0f);
	e_u8(a, op);
	e_modrm_mem(a, reg, base, disp);
}

/* op rm, reg with mod == 3 (e.g. 0x89 mov rm,reg; 0x01 add; 0x39 cmp; 0x85 test). */
static inline void e_op_rr(struct jit_asm *a, bool w, u8 op, unsigned reg, unsigned rm)
{
	e_rex(a, w, reg, 0, rm, false);
	e_u8(a, op);
	e_u8(a, (u8)(0xc0 | ((reg & 7) << 3) | (rm & 7)));
}

static inline void e_load64(struct jit_asm *a, unsigned r, unsigned base, s32 disp)
{
	e_op_mem(a, true, 0x8b, r, base, disp);
}

static inline void e_store64(struct jit_asm *a, unsigned r, unsigned base, s32 disp)
{
	e_op_mem(a, true, 0x89, r, base, disp);
}

static inline void e_lea(struct jit_asm *a, unsigned r, unsigned base, s32 disp)
{
	if (disp == 0) {
		e_op_rr(a, true, 0x89, base, r);
		return;
	}
	e_op_mem(a, true, 0x8d, r, base, disp);
}

static inline void e_mov_imm64(struct jit_asm *a, unsigned r, u64 v)
{
	if (v <= 0xffffffffULL) { /* mov r32, imm32 zero-extends */
		e_rex(a, false, 0, 0, r, false);
		e_u8(a, (u8)(0xb8 | (r & 7)));
		e_u32(a, (u32)v);
		return;
	}
	e_rex(a, true, 0, 0, r, false);
	e_u8(a, (u8)(0xb8 | (r & 7)));
	e_u64(a, v);
}

/* mov qword [base + disp], simm32 */
static inline void e_store_imm32(struct jit_asm *a, bool w, unsigned base, s32 disp, s32 v)
{
	e_op_mem(a, w, 0xc7, 0, base, disp);
	e_u32(a, (u32)v);
}

/* mov byte [base + disp], imm8 / mov word [base + disp], imm16 */
static inline void e_store_imm8(struct jit_asm *a, unsigned base, s32 disp, u8 v)
{
	e_op_mem(a, false, 0xc6, 0, base, disp);
	e_u8(a, v);
}

static inline void e_store_imm16(struct jit_asm *a, unsigned base, s32 disp, u16 v)
{
	e_u8(a, 0x66);
	e_op_mem(a, false, 0xc7, 0, base, disp);
	e_bytes(a, &v, 2);
}

/* cmp byte [base + disp], imm8 */
static inline void e_cmp_mem8_imm(struct jit_asm *a, unsigned base, s32 disp, u8 v)
{
	e_op_mem(a, false, 0x80, 7, base, disp);
	e_u8(a, v);
}

static inline void e_call_reg(struct jit_asm *a, unsigned r)
{
	e_rex(a, false, 0, 0, r, false);
	e_u8(a, 0xff);
	e_u8(a, (u8)(0xd0 | (r & 7)));
}

static inline void e_push(struct jit_asm *a, unsigned r)
{
	e_rex(a, false, 0, 0, r, false);
	e_u8(a, (u8)(0x50 | (r & 7)));
}

static inline void e_pop(struct jit_asm *a, unsigned r)
{
	e_rex(a, false, 0, 0, r, false);
	e_u8(a, (u8)(0x58 | (r & 7)));
}

static inline void e_ret(struct jit_asm *a) { e_u8(a, 0xc3); }

/* Jcc rel32 / JMP rel32 with the displacement to be patched: returns where the rel32 sits. */
static inline u8 *e_jcc32(struct jit_asm *a, unsigned cc)
{
	u8 *at;

	e_u8(a, 0x0f);
	e_u8(a, (u8)(0x80 | cc));
	at = a->p;
	e_u32(a, 0);
	return a->full ? NULL : at;
}

static inline u8 *e_jmp32(struct jit_asm *a)
{
	u8 *at;

	e_u8(a, 0xe9);
	at = a->p;
	e_u32(a, 0);
	return a->full ? NULL : at;
}

/* Point the rel32 at `at` to `target` (both in the writable view: same distance as in the other). */
static inline void e_patch(u8 *at, const u8 *target)
{
	s32 rel;

	if (!at)
		return;
	rel = (s32)(target - (at + 4));
	memcpy(at, &rel, 4);
}

#endif
