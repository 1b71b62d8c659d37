/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A decoded instruction and the opcode dispatch tables.
 *
 * decode.c turns bytes into struct x86_insn once; the block cache keeps the
 * result, so execution never decodes again. Each instruction family file
 * (alu.c, string.c, x87.c, ...) registers its handlers into struct
 * x86_optable through its x86_register_<family>() function; dispatch.c calls
 * them all once. An empty slot decodes to #UD.
 *
 * Handler signature: void op_<mnemonic>_<SDM operand form>(cpu, in).
 * On entry cpu->rip is the instruction's first byte and cpu->next_rip the
 * byte after it. A handler that branches writes cpu->next_rip. A handler
 * that faults calls x86_raise() (which does not return); because it has not
 * yet written its results, the instruction restarts cleanly after the fault
 * is handled. Write memory before registers when an instruction does both.
 *
 * References: Intel SDM Vol. 2 ch. 2 (instruction format), Appendix A (opcode maps).
 */
#ifndef HOVER_CPU_X86_INSN_H
#define HOVER_CPU_X86_INSN_H

#include "cpu/x86/cpu.h"

/* Opcode maps. */
enum { X86_MAP_1B, X86_MAP_0F, X86_MAP_0F38, X86_MAP_0F3A, X86_MAP_COUNT };

/*
 * Mandatory-prefix column (SSE and friends): F2 or F3 if present (the last
 * one wins), else 66, else none. Integer instructions register the same
 * handler in every column and look at in->opsize instead.
 */
enum { X86_MP_NONE, X86_MP_66, X86_MP_F3, X86_MP_F2, X86_MP_COUNT };

/* in->prefix bits */
#define X86_PFX_LOCK (1u << 0)
#define X86_PFX_REP (1u << 1)   /* F3 */
#define X86_PFX_REPNE (1u << 2) /* F2 */
#define X86_PFX_OPSIZE (1u << 3) /* 66 */
#define X86_PFX_ADDRSIZE (1u << 4) /* 67 */
#define X86_PFX_SEG (1u << 5)   /* explicit segment override present */

/* Special values of in->base / in->index. */
#define X86_REG_NONE 0xff
#define X86_REG_RIP 0xfe

struct x86_insn;
typedef void x86_op_fn(struct x86_cpu *cpu, const struct x86_insn *in);

struct x86_insn {
	x86_op_fn *op;
	u8 len;      /* total length in bytes, prefixes included */
	u8 map;      /* X86_MAP_* */
	u8 opcode;   /* the opcode byte within its map */
	u8 mp;       /* X86_MP_* */
	u8 prefix;   /* X86_PFX_* */
	u8 rex;      /* the REX byte, or 0 */
	u8 opsize;   /* operand size of "v"/"z" operands: 2, 4 or 8 (REX.W, 66, defaults, d64) */
	u8 addrsize; /* 2, 4 or 8 */

	/* ModRM, with REX.R folded into reg and REX.B into rm (for mod == 3) */
	bool has_modrm;
	u8 mod;      /* 0..3 */
	u8 reg;      /* 0..15: register operand, or the /digit of a group (use reg & 7 for groups) */
	u8 rm;       /* 0..15 when mod == 3 */

	/* Memory operand (mod != 3): offset = base + (index << scale) + disp, in seg */
	u8 seg;      /* SEG_*: override, else DS, or SS when the base is rSP/rBP */
	u8 base;     /* 0..15, X86_REG_NONE, or X86_REG_RIP (disp relative to next_rip) */
	u8 index;    /* 0..15 or X86_REG_NONE */
	u8 scale;    /* 0..3 (shift count) */
	s32 disp;

	/* Immediates, sign-extended from their encoded width to 64 bits. */
	u64 imm;
	u64 imm2;    /* second immediate: ENTER's Ib, the selector of a far pointer */

	/*
	 * For opcodes whose operand is a register encoded in the low three
	 * opcode bits (PUSH r, MOV r,imm, XCHG r,rAX, BSWAP): the register
	 * number with REX.B folded in.
	 */
	u8 opreg;
};

struct x86_optable {
	x86_op_fn *fn[X86_MAP_COUNT][256][X86_MP_COUNT];
};

/* Register one handler for every mandatory-prefix column / for one column. */
void x86_optable_set(struct x86_optable *t, int map, int opcode, x86_op_fn *fn);
void x86_optable_set_mp(struct x86_optable *t, int map, int opcode, int mp, x86_op_fn *fn);

/* The table, filled once (thread-safe) and read-only afterwards. */
const struct x86_optable *x86_optable_get(void);

/*
 * Decode one instruction from up to 15 bytes at `bytes` (avail of them are
 * valid) in the given execution mode. Returns 0; -EAGAIN if more than avail
 * bytes are needed; -EINVAL for an invalid encoding (length > 15, LOCK on a
 * non-lockable op is left to the handler). Unknown opcodes decode with
 * in->op = x86_op_ud.
 */
int x86_decode(const u8 *bytes, unsigned avail, enum x86_mode mode, struct x86_insn *in);

/*
 * A handler specialised for this decoded 64-bit-mode instruction's exact
 * form (operand size, register or memory), or NULL to keep the generic one
 * (fast.c). Called by x86_decode() for instructions whose slot holds the
 * plain handler.
 */
x86_op_fn *x86_fast_select(const struct x86_insn *in);

/* Two-operand ALU operations of the fast forms (fast.c; the translator, jit_alu.c). */
enum x86_alu_op { X86_ALU_ADD, X86_ALU_OR, X86_ALU_AND, X86_ALU_SUB, X86_ALU_XOR, X86_ALU_CMP,
		  X86_ALU_TEST };
/* The operation of a 1-byte-map ALU opcode 00-3B in forms Ev,Gv / Gv,Ev, or 85 (TEST); else -1. */
int x86_alu_op_of(u8 opcode);

/* The #UD handler used for every empty table slot. */
void x86_op_ud(struct x86_cpu *cpu, const struct x86_insn *in);

/* Family registration, one per instruction-family file. */
void x86_register_alu(struct x86_optable *t);      /* alu.c: ADD..CMP, TEST, INC/DEC, NOT/NEG, groups 1/3/4/5 integer parts */
void x86_register_shift(struct x86_optable *t);    /* shift.c: group 2, SHLD/SHRD */
void x86_register_muldiv(struct x86_optable *t);   /* muldiv.c: MUL/IMUL/DIV/IDIV */
void x86_register_bitops(struct x86_optable *t);   /* bitops.c: BT*, BSF/BSR, TZCNT/LZCNT/POPCNT, BSWAP */
void x86_register_datamov(struct x86_optable *t);  /* datamov.c: MOV, MOVZX/SX, LEA, XCHG, CMPXCHG*, XADD, CMOVcc, SETcc, CBW.., LAHF/SAHF, flag ops, NOPs */
void x86_register_string(struct x86_optable *t);   /* string.c: MOVS/CMPS/STOS/LODS/SCAS with REP */
void x86_register_stack(struct x86_optable *t);    /* stack.c: PUSH/POP, PUSHA?, ENTER/LEAVE */
void x86_register_branch(struct x86_optable *t);   /* branch.c: Jcc, JMP, CALL, RET, LOOP, JrCXZ */
void x86_register_system(struct x86_optable *t);   /* system.c: CR/DR/MSR/CPUID/descriptor tables/HLT/CLI/STI/IN/OUT/INS/OUTS/PUSHF/POPF */
void x86_register_segment(struct x86_optable *t);  /* segment.c: MOV Sreg, far JMP/CALL/RET, IRET, INT n, SYSCALL/SYSRET, SWAPGS, LSL/LAR */
void x86_register_x87(struct x86_optable *t);      /* x87.c: D8-DF, WAIT */
void x86_register_sse(struct x86_optable *t);      /* sse_*.c, mmx.c: SSE/SSE2/MMX, 0F AE group (FXSAVE.., fences) */

#endif
