/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The differential CPU harness: shared types of the generator (gen.c), the
 * two engines (hover_backend.c, uc_backend.c) and the driver (diffcpu.c).
 *
 * A case is a short instruction sequence (the "target" instruction last,
 * optionally preceded by one or two flag-producing integer instructions so
 * that lazy flags are consumed) plus a complete initial state. Both engines
 * start from that state at CPL 0 in the case's mode (64-bit, 32-bit
 * protected with flat segments, or real mode), with the same three memory
 * windows mapped, run until execution leaves the sequence or an exception is
 * raised, and report a struct diff_state and the exception.
 *
 * Memory windows in 64-bit and 32-bit mode (linear = physical in both
 * engines; everything else is unmapped in Unicorn and not-present in hover's
 * page tables, 4-level in 64-bit mode, PAE in 32-bit mode):
 *   DIFF_CODE  0x100000, 4 KiB, executable; the sequence, then 0xF4 padding
 *   DIFF_DATA  0x200000, 8 KiB, no-execute; random bytes, memory operands
 *   DIFF_STACK 0x07e000, 8 KiB, no-execute; random bytes, RSP points inside
 * In real mode each window is one whole 64 KiB segment (CS = 0x4000,
 * DS = ES = FS = GS = 0x5000, SS = 0x6000), so that no 16-bit offset can
 * leave its window: real mode has no paging to make a stray access fault.
 * 16-bit protected mode uses the same windows through GDT descriptors
 * (CS 0x50: 16-bit code, DS..GS 0x58, SS 0x60: 16-bit stack), paging off.
 *
 * References: Intel SDM Vol. 1 ch. 3 (state), Vol. 3A 6.15 (exceptions),
 * Vol. 3A 20.1 (real-address mode).
 */
#ifndef HOVER_TESTS_DIFF_DIFF_H
#define HOVER_TESTS_DIFF_DIFF_H

#include <stdbool.h>

#include "include/hover/types.h"

#define DIFF_CODE 0x100000ULL
#define DIFF_CODE_SIZE 0x1000u
#define DIFF_DATA 0x200000ULL
#define DIFF_DATA_SIZE 0x2000u
#define DIFF_STACK 0x7e000ULL
#define DIFF_STACK_SIZE 0x2000u
#define DIFF_MAX_BYTES 48
/* The largest window (real mode's 64 KiB segments). */
#define DIFF_WIN_MAX 0x10000u

/* The modes a case runs in (diffcpu --mode 16|16p|32|64); 16P is 16-bit protected mode. */
enum { DIFF_MODE16 = 16, DIFF_MODE16P = 17, DIFF_MODE32 = 32, DIFF_MODE64 = 64 };

/* Real mode and 16-bit protected mode: 16-bit code, each window a whole 64 KiB segment. */
static inline bool diff_seg16(int mode)
{
	return mode == DIFF_MODE16 || mode == DIFF_MODE16P;
}

/* 16-bit protected mode's selectors, in a GDT at DIFF16P_GDT both engines share (the harness's). */
#define DIFF16P_GDT 0x10000ULL
#define DIFF16P_SEL_CODE 0x50  /* 16-bit code, base 0x40000, limit 0xffff */
#define DIFF16P_SEL_DATA 0x58  /* data, base 0x50000, limit 0xffff */
#define DIFF16P_SEL_STACK 0x60 /* 16-bit stack (B = 0), base 0x60000, limit 0xffff */
#define DIFF16P_GDT_LIMIT 0x67

/* The three descriptors (Intel SDM Vol. 3A 3.4.5), indexed by selector >> 3. */
static inline u64 diff16p_desc(unsigned sel)
{
	u64 base = sel == DIFF16P_SEL_CODE ? 0x40000 : sel == DIFF16P_SEL_DATA ? 0x50000 : 0x60000;
	u64 type = sel == DIFF16P_SEL_CODE ? 0x9b : 0x93;

	return 0xffff | (base & 0xffffff) << 16 | type << 40 | (base >> 24) << 56;
}

/* "real mode", "16-bit protected mode", ... */
const char *diff_mode_name(int mode);

/* Where a mode's windows are, and the segments that reach them. */
struct diff_layout {
	u64 code, data, stack;       /* linear bases */
	u32 code_size, data_size, stack_size;
	u64 ip0;                     /* RIP/EIP/IP of the first byte of the code window */
	u16 cs, ds, ss;              /* real-mode selectors (base = selector * 16); 0 otherwise */
};

const struct diff_layout *diff_layout(int mode);

/* No exception. */
#define DIFF_NO_EXC (-1)

struct diff_fpreg {
	u64 mant;
	u16 exp;
};

struct diff_state {
	u64 gpr[16];
	u64 rip;
	u64 rflags;
	u64 fs_base, gs_base;
	u8 xmm[16][16];
	u32 mxcsr;
	struct diff_fpreg fpr[8]; /* physical registers R0..R7 */
	u16 fcw, fsw;             /* fsw includes TOP */
	u8 ftag;                  /* bit i: R(i) is empty */
	u16 sel[6];               /* ES CS SS DS FS GS selectors (compared in real mode) */
	u8 data[DIFF_WIN_MAX];    /* the first data_size bytes are used */
	u8 stack[DIFF_WIN_MAX];
};

struct diff_result {
	struct diff_state st;
	int exc;    /* vector, or DIFF_NO_EXC */
	u64 cr2;    /* for #PF */
	u64 fault_addr_valid;
};

/* Byte ranges of each instruction of a case. */
struct diff_insn_pos {
	u8 off, len;
};

struct diff_case {
	u64 seed;
	int mode;                     /* DIFF_MODE16/32/64 */
	u8 code[DIFF_MAX_BYTES];
	unsigned len;                 /* bytes of code in the sequence */
	struct diff_insn_pos insn[4];
	unsigned ninsn;               /* the target is insn[ninsn - 1] */
	int map, opcode, mp;          /* dispatch-table entry of the target */
	bool has_mem;                 /* the target has a ModRM memory operand ... */
	u64 ea;                       /* ... at this linear address */
	u64 ea_off;                   /* ... and this offset in its segment (also a moffs) */
	struct diff_state init;
};

/* One engine. */
struct diff_engine {
	const char *name;
	void *priv;
	int (*run)(void *priv, const struct diff_case *c, struct diff_result *out);
	void (*destroy)(void *priv);
};

int hover_engine_create(struct diff_engine *e, int mode);
int uc_engine_create(struct diff_engine *e, int mode);

/* ---- generator (gen.c; its slots, elsewhere table and layouts: slots.c) ---- */

/* Dispatch-table entries the generator can produce, one per (map, opcode, mp) slot. */
struct diff_slot {
	u8 map, opcode, mp;
};

/* Fill `slots` (cap entries) with every non-NULL slot of hover's table; return the count. */
unsigned gen_slots(struct diff_slot *slots, unsigned cap);
/* hover's decoder mode for a case mode. */
int gen_x86_mode(int mode);
/* Table entries the generator leaves out, each with the test that exercises it. */
struct diff_elsewhere {
	u8 map, lo, hi;   /* opcodes lo..hi of one map, every mandatory prefix */
	const char *what; /* the instructions */
	const char *why;  /* why the generator leaves them out */
	const char *file; /* the test, from the source root ... */
	const char *test; /* ... and a string naming it there (function or payload check) */
	unsigned modes;   /* the modes it is left out in (gen.c's M64 | M32 | M16) */
};

/* The entry for an opcode the generator leaves out in `mode`, or NULL if it generates it. */
const struct diff_elsewhere *gen_elsewhere(int map, int opcode, int mode);
/* The SDM's list of LOCK-able instructions (with a memory destination). */
bool gen_lockable(int map, int op, unsigned reg);
/* Build case number `n` of seed `seed` for slot `s` in `mode` (deterministic). */
void gen_case(struct diff_case *c, u64 seed, u64 n, const struct diff_slot *s, int mode);

/* xorshift64* PRNG shared by the generator. */
static inline u64 diff_rand(u64 *s)
{
	u64 x = *s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545f4914f6cdd1dULL;
}

#endif
