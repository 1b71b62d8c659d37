/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Shared between the block translator (jit.c) and its inline instruction
 * templates (jit_inline.c): the translation context, the out-of-line paths
 * a template can ask for, and the offsets of the CPU state they touch.
 */
#ifndef HOVER_CPU_X86_JIT_INLINE_H
#define HOVER_CPU_X86_JIT_INLINE_H

#include <stddef.h>
#include <stdint.h>

#include "cpu/x86/exec.h"
#include "cpu/x86/jit.h"
#include "cpu/x86/jit_emit.h"

#define JIT_OFF_RIP ((s32)offsetof(struct x86_cpu, rip))
#define JIT_OFF_NEXT_RIP ((s32)offsetof(struct x86_cpu, next_rip))
#define JIT_OFF_END_BLOCK ((s32)offsetof(struct x86_cpu, end_block))
#define JIT_OFF(field) ((s32)offsetof(struct x86_cpu, field))
#define JIT_OFF_GPR(r) ((s32)(offsetof(struct x86_cpu, gpr) + 8 * (r)))
#define JIT_OFF_LF(field) ((s32)(offsetof(struct x86_cpu, lf) + offsetof(struct x86_lazy_flags, field)))
#define JIT_OFF_SEG_BASE(s) ((s32)(offsetof(struct x86_cpu, seg) + (s) * sizeof(struct seg_reg) + \
				   offsetof(struct seg_reg, base)))

#define JIT_MAX_EXITS (X86_BLOCK_MAX_INSNS * 3)
#define JIT_MAX_SLOW (X86_BLOCK_MAX_INSNS * 2)
/*
 * An exit that leaves cpu->rip as it is. Outside every offset an exit can
 * have: a branch may go before the block's start (-1 is a real target).
 */
#define JIT_RIP_KEEP INT64_MIN

/* A jump out of the block: cpu->rip = r12 + rip_off (unless JIT_RIP_KEEP), count retired. */
struct jit_exit {
	u8 *at;       /* rel32 of the jump */
	s64 rip_off;  /* within s32 (the lea's displacement), or JIT_RIP_KEEP */
	u32 count;
	bool chain;   /* may jump straight into the next block (constant target, no end_block) */
	bool indirect; /* target only known at run time (RET): chained through the jump cache */
};

/*
 * A TLB miss (or page-crossing, MMIO) access, done by x86_read_slow() /
 * x86_write_slow() out of line: address in rsi, value to store in r8; a
 * read's value comes back in rax, zero-extended.
 */
struct jit_slow {
	u8 *at;       /* rel32 of the jump from the fast path */
	u8 *resume;   /* where the fast path continues */
	u32 rip_off;  /* the instruction's offset: cpu->rip for a fault */
	u8 seg, size;
	bool write;
};

/* Template classes HOVER_EMU_JIT_SKIP can leave to handler calls, to find a mistranslation. */
enum {
	JIT_SKIP_JCC = 1 << 0, JIT_SKIP_ALU = 1 << 1, JIT_SKIP_TEST8 = 1 << 2, JIT_SKIP_RMW = 1 << 3,
	JIT_SKIP_ACC = 1 << 4, JIT_SKIP_SHIFT = 1 << 5, JIT_SKIP_MOV = 1 << 6, JIT_SKIP_MOVZX = 1 << 7,
	JIT_SKIP_BRANCH = 1 << 8, JIT_SKIP_NOP = 1 << 9, JIT_SKIP_PURE = 1 << 10,
	JIT_SKIP_CHAIN = 1 << 11, JIT_SKIP_KERNEL = 1 << 12, JIT_SKIP_USER = 1 << 13,
	JIT_SKIP_DEADFLAGS = 1 << 14, /* compute flags even where no one sees them */
	JIT_SKIP_REGOPS = 1 << 15,    /* jit_regops.c's templates */
};

struct jit_ctx {
	struct jit_asm *a;
	struct x86_cpu *cpu;
	struct x86_block *b;
	unsigned k;        /* index of the instruction being translated */
	u32 off;           /* its offset from the block's first byte */
	u32 rip_off;       /* cpu->rip holds r12 + rip_off (kept lazily) */
	bool user;         /* the CPL the block is translated for is 3 */
	u32 skip;          /* JIT_SKIP_* */
	struct jit_profile *prof; /* HOVER_EMU_PROFILE=helpers counters, or NULL */
	bool flags_dead;   /* no one sees the flags this instruction writes (jit.c's flags_liveness) */
	bool flags_logic;  /* with flags_live: the last op was a logic one (host AF undefined) */
	bool flags_live;   /* host RFLAGS hold the guest's arithmetic flags (last op was inline ALU) */
	struct jit_exit exits[JIT_MAX_EXITS];
	unsigned nexits;
	struct jit_slow slow[JIT_MAX_SLOW];
	unsigned nslow;
};

/* Leave the block when host condition cc holds (HC_* or -1 for always). */
void jit_exit_if(struct jit_ctx *t, int cc, s64 rip_off, u32 count);
/* Leave the block for the RIP already in cpu->rip (RET): chained through the jump cache. */
void jit_exit_indirect(struct jit_ctx *t, u32 count);
/* The same for an exit taken because end_block is set: never chained. */
void jit_exit_if_ended(struct jit_ctx *t, int cc, s64 rip_off, u32 count);
/* Make cpu->rip the current instruction's (before anything that can fault or exit). */
void jit_sync_rip(struct jit_ctx *t);
/* Record an out-of-line slow access for the jne just emitted (rel32 at `at`). */
void jit_add_slow(struct jit_ctx *t, u8 *at, u8 *resume, u8 seg, u8 size, bool write);

/* ---- operands and memory (jit_mem.c) ---- */

/* host register h = guest register r (w: 64 bits, else the low 32 zero-extended) */
void jit_load_gpr(struct jit_ctx *t, unsigned h, unsigned r, bool w);
void jit_store_gpr(struct jit_ctx *t, unsigned h, unsigned r);
/* rsi = the memory operand's linear address (64-bit addressing, FS/GS base added); false if not. */
bool jit_emit_ea(struct jit_ctx *t, const struct x86_insn *in);
/* rax = zero-extended load of size bytes at rsi / store the low size bytes of r8 at rsi. */
void jit_emit_read(struct jit_ctx *t, unsigned seg, unsigned size);
void jit_emit_write(struct jit_ctx *t, unsigned seg, unsigned size);
/* After a store: leave the block if the slow path dropped translated code. */
void jit_end_block_test(struct jit_ctx *t, const struct x86_insn *in);

/* ---- arithmetic templates (jit_alu.c); false: no template for this form ---- */

bool jit_alu_insn(struct jit_ctx *t, const struct x86_insn *in);       /* fast.c ALU forms */
bool jit_test_cmp8_insn(struct jit_ctx *t, const struct x86_insn *in); /* F6/F7 TEST, 84, 80 /7 */
bool jit_rmw_insn(struct jit_ctx *t, const struct x86_insn *in);       /* ALU on memory */
bool jit_acc_imm_insn(struct jit_ctx *t, const struct x86_insn *in);   /* rAX/AL, imm */
bool jit_shift_insn(struct jit_ctx *t, const struct x86_insn *in);     /* SHL/SHR/SAR imm */
bool jit_rotate_insn(struct jit_ctx *t, const struct x86_insn *in);    /* ROL/ROR imm, 1 */
bool jit_cmp8_rm_insn(struct jit_ctx *t, const struct x86_insn *in);   /* CMP Eb,Gb / Gb,Eb */
/* jit_regops.c: BSWAP, MOVZX r,r8, SETcc/CMOVcc on live host flags, IMUL with dead flags */
bool jit_bswap_insn(struct jit_ctx *t, const struct x86_insn *in);
bool jit_not_movi_insn(struct jit_ctx *t, const struct x86_insn *in); /* NOT r, MOV r, imm32 */
bool jit_movzx_r8_insn(struct jit_ctx *t, const struct x86_insn *in);
bool jit_setcc_insn(struct jit_ctx *t, const struct x86_insn *in);
bool jit_cmovcc_insn(struct jit_ctx *t, const struct x86_insn *in);
bool jit_imul_insn(struct jit_ctx *t, const struct x86_insn *in);
/* cpu->rflags = the guest's arithmetic flags, lazy record emptied (for partial-flag templates). */
void jit_sync_flags(struct jit_ctx *t);

/* ---- HOVER_EMU_PROFILE=helpers (jit_profile.c) ---- */

struct jit_profile;
/* The counters if the variable asks for them, else NULL. */
struct jit_profile *jit_profile_create(void);
/* The counter of in's form, bumped by the code of each handler call. */
u64 *jit_profile_counter(struct jit_profile *p, const struct x86_insn *in);
/* Print the forms, most executed first, to stderr. */
void jit_profile_report(struct jit_profile *p);

/* Emit in as inline code if it has a template; false leaves it to a handler call. */
bool jit_inline(struct jit_ctx *t, const struct x86_insn *in);

#endif
