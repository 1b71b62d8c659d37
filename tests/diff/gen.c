/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Case generator of the differential harness: for one slot of hover's
 * dispatch table ([map][opcode][mandatory prefix], Intel SDM Vol. 2
 * Appendix A), build an encoding with random legacy prefixes (segment FS/GS,
 * 67, LOCK), REX.W/R/X/B, ModRM/SIB/displacement and immediates (SDM Vol. 2
 * 2.1-2.2), and a random initial state shaped so that the instruction does
 * something worth comparing:
 *
 *  - a memory operand is made to land in the data window: after decoding
 *    the bytes with hover's decoder, the base register is solved for (or the
 *    RIP-relative / absolute displacement patched) so that seg base + base +
 *    index * scale + disp is a chosen address, sometimes near the end of the
 *    window so that the access crosses into an unmapped page (#PF);
 *  - implicit operands get pointers or small counts (string ops, XLAT,
 *    LEAVE/ENTER, MASKMOV*, shift counts in CL including 0, 1 and >= width,
 *    dividends that do and do not overflow);
 *  - relative branches always go forward, past the end of the sequence, or
 *    (64-bit) to the unmapped byte just before it, so no case can loop; RET
 *    and indirect branches mostly do the same;
 *  - floating-point state mixes normal, denormal, zero, infinity, QNaN and
 *    SNaN values, random rounding modes, FZ/DAZ and precision control.
 *
 * With probability 1/3 one or two flag-producing integer instructions come
 * first, so the target consumes lazily computed flags.
 *
 * In 32-bit protected mode (flat segments) and real mode the same slots
 * are generated without REX, with the segment prefixes 26/36/3E and 66/67
 * toggling operand and address size, so 16-bit ModRM forms (BX+SI...) and
 * the slots that are #UD in 64-bit mode (PUSHA/POPA, BOUND, LES/LDS, DAA..AAD,
 * INTO, one-byte INC/DEC, PUSH/POP Sreg, ARPL) run for real. In real mode
 * offsets are relative to the window's segment (diff.h); far transfers go to
 * the code segment, segment loads take random selectors (any selector is
 * valid in real mode), and SP sometimes sits near 0 so the stack wraps
 * (Intel SDM Vol. 3A 20.1).
 *
 * Everything is a function of (seed, mode, case number): a case can be
 * rebuilt and rerun alone.
 */
#include <stddef.h>
#include <string.h>

#include "cpu/x86/decode_tables.h"
#include "cpu/x86/insn.h"
#include "tests/diff/diff.h"

struct gen {
	u64 rng;
	struct diff_case *c;
	const struct diff_layout *L;
	int mode;
};

static u64 rnd(struct gen *g) { return diff_rand(&g->rng); }
static unsigned below(struct gen *g, unsigned n) { return (unsigned)(rnd(g) % n); }
static bool chance(struct gen *g, unsigned n) { return below(g, n) == 0; }

/* ---- random values ---- */

static u64 rand_gpr(struct gen *g)
{
	static const u64 edge[] = {
		0, 1, 2, ~0ULL, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff, 0x7fffffff, 0x80000000,
		0xffffffff, 0x100000000ULL, 0x7fffffffffffffffULL, 0x8000000000000000ULL,
		0xffffffff80000000ULL, 0xffffffffffff8000ULL,
	};

	switch (below(g, 8)) {
	case 0: return below(g, 256);
	case 1: case 2: return rnd(g);
	case 3: return edge[below(g, ARRAY_SIZE(edge))];
	case 4: return (u32)rnd(g);
	case 5: return DIFF_DATA + 0x100 + below(g, DIFF_DATA_SIZE - 0x200);
	case 6: return (u64)(s64)(s32)(rnd(g) >> 32) >> below(g, 64);
	default: return rnd(g) & (0xffULL << (8 * below(g, 8)));
	}
}

static u32 rand_f32(struct gen *g)
{
	static const u32 sp[] = {
		0x00000000, 0x80000000, 0x7f800000, 0xff800000, 0x7fc00000, 0xffc00000,
		0x7f800001, 0x7fa00000, 0x00000001, 0x807fffff, 0x00400000, 0x3f800000,
		0xbf800000, 0x4f000000, 0xcf000000, 0x5f000000, 0x7f7fffff, 0x3f000000,
		0x4effffff, 0xdf000000, 0x3fc00000, 0x40200000,
	};

	switch (below(g, 4)) {
	case 0: return sp[below(g, ARRAY_SIZE(sp))];
	case 1: return (u32)rnd(g);
	default: /* moderate exponents: meaningful arithmetic */
		return ((u32)rnd(g) & 0x807fffff) | ((u32)(110 + below(g, 40)) << 23);
	}
}

static u64 rand_f64(struct gen *g)
{
	static const u64 sp[] = {
		0, 0x8000000000000000ULL, 0x7ff0000000000000ULL, 0xfff0000000000000ULL,
		0x7ff8000000000000ULL, 0xfff8000000000000ULL, 0x7ff0000000000001ULL,
		0x7ff4000000000000ULL, 1, 0x800fffffffffffffULL, 0x0008000000000000ULL,
		0x3ff0000000000000ULL, 0xbff0000000000000ULL, 0x41e0000000000000ULL,
		0xc1e0000000000000ULL, 0x43e0000000000000ULL, 0xc3e0000000000000ULL,
		0x7fefffffffffffffULL, 0x3fe0000000000000ULL, 0x41dfffffffc00000ULL,
		0x3ff8000000000000ULL, 0x4004000000000000ULL, 0x47efffffe0000000ULL,
		0x36a0000000000000ULL,
	};

	switch (below(g, 4)) {
	case 0: return sp[below(g, ARRAY_SIZE(sp))];
	case 1: return rnd(g);
	default:
		return (rnd(g) & 0x800fffffffffffffULL) | ((u64)(1000 + below(g, 48)) << 52);
	}
}

static void rand_xmm(struct gen *g, u8 *x)
{
	switch (below(g, 3)) {
	case 0:
		for (int i = 0; i < 4; i++) {
			u32 v = rand_f32(g);
			memcpy(x + 4 * i, &v, 4);
		}
		break;
	case 1:
		for (int i = 0; i < 2; i++) {
			u64 v = rand_f64(g);
			memcpy(x + 8 * i, &v, 8);
		}
		break;
	default:
		for (int i = 0; i < 2; i++) {
			u64 v = below(g, 4) ? rnd(g) : rand_gpr(g);
			memcpy(x + 8 * i, &v, 8);
		}
	}
}

static struct diff_fpreg rand_f80(struct gen *g)
{
	u64 m = rnd(g);
	u16 s = chance(g, 2) ? 0x8000 : 0;

	switch (below(g, 12)) {
	case 0: return (struct diff_fpreg){ 0, s };                              /* zero */
	case 1: return (struct diff_fpreg){ 1ULL << 63, s | 0x7fff };            /* infinity */
	case 2: return (struct diff_fpreg){ 3ULL << 62 | (m >> 2), s | 0x7fff }; /* QNaN */
	case 3: return (struct diff_fpreg){ (1ULL << 63) | (m >> 3) | 1, s | 0x7fff }; /* SNaN */
	case 4: return (struct diff_fpreg){ m >> 1, s };                         /* denormal */
	case 5: /* small integers (FIST, FBSTP, FRNDINT) */
	{
		u64 v = below(g, 100000) + 1;
		int sh = __builtin_clzll(v);

		return (struct diff_fpreg){ v << sh, (u16)(s | (16383 + 63 - sh)) };
	}
	case 6: return (struct diff_fpreg){ m | (1ULL << 63), (u16)(s | below(g, 0x7fff)) };
	case 7: return (struct diff_fpreg){ m | (1ULL << 63), (u16)(s | (16383 + 62 + below(g, 4))) };
	default:
		return (struct diff_fpreg){ m | (1ULL << 63), (u16)(s | (16383 - 20 + below(g, 60))) };
	}
}

static void rand_state(struct gen *g, struct diff_state *st)
{
	const struct diff_layout *L = g->L;

	for (int i = 0; i < 16; i++)
		st->gpr[i] = rand_gpr(g);
	for (int i = 0; i < 16 && diff_seg16(g->mode); i++) /* pointers into the windows' segments */
		if (st->gpr[i] >= DIFF_DATA && st->gpr[i] < DIFF_DATA + DIFF_DATA_SIZE)
			st->gpr[i] = (st->gpr[i] & ~0xffffULL) | below(g, 0x10000);
	if (diff_seg16(g->mode)) {
		/* SP is an offset in SS; sometimes near 0 so that pushes wrap to 0xFFFE. */
		u64 sp = chance(g, 12) ? below(g, 8) & ~1u : 0x800 + (below(g, 0x1000) & ~1u);

		st->gpr[GPR_RSP] = sp | (chance(g, 2) ? rnd(g) & 0xffff0000ULL : 0);
	} else {
		st->gpr[GPR_RSP] = DIFF_STACK + 0x800 + (below(g, 0x1000) & (chance(g, 4) ? ~0u : ~7u));
	}
	st->rflags = 2 | (rnd(g) & (X86_FLAGS_ARITH | (chance(g, 4) ? X86_DF : 0)));
	st->fs_base = chance(g, 2) ? 0 : below(g, 0x1000) & ~15u;
	st->gs_base = chance(g, 2) ? 0 : below(g, 0x1000) & ~15u;
	if (g->mode != DIFF_MODE64) /* segment bases are the layout's */
		st->fs_base = st->gs_base = 0;
	st->sel[SEG_ES] = st->sel[SEG_DS] = st->sel[SEG_FS] = st->sel[SEG_GS] = L->ds;
	st->sel[SEG_CS] = L->cs;
	st->sel[SEG_SS] = L->ss;
	for (int i = 0; i < 16; i++)
		rand_xmm(g, st->xmm[i]);
	st->mxcsr = 0x1f80;
	if (chance(g, 4))
		st->mxcsr |= rnd(g) & 0x3f;
	if (chance(g, 3))
		st->mxcsr |= (u32)below(g, 4) << 13;
	if (chance(g, 6))
		st->mxcsr |= 0x8000; /* FZ */
	if (chance(g, 6))
		st->mxcsr |= 0x40; /* DAZ */
	if (chance(g, 8))
		st->mxcsr &= ~((u32)rnd(g) & 0x1f80);
	st->fcw = 0x037f;
	if (chance(g, 3))
		st->fcw = (u16)((st->fcw & ~0xc00) | (below(g, 4) << 10));
	if (chance(g, 5))
		st->fcw = (u16)((st->fcw & ~0x300) | ((u16)(below(g, 3) ? 3 - below(g, 2) : 0) << 8));
	if (chance(g, 10))
		st->fcw &= (u16)~(rnd(g) & 0x3f);
	st->fsw = (u16)((below(g, 8) << 11) | (rnd(g) & 0x4700));
	st->ftag = 0;
	for (int i = 0; i < 8; i++) {
		st->fpr[i] = rand_f80(g);
		if (chance(g, 4))
			st->ftag |= (u8)(1u << i);
	}
	for (unsigned i = 0; i < L->data_size; i += 8) {
		u64 v = chance(g, 3) ? rand_f64(g) : rnd(g);
		memcpy(st->data + i, &v, 8);
	}
	for (unsigned i = 0; i < L->stack_size; i += 8) {
		u64 v = rnd(g);
		memcpy(st->stack + i, &v, 8);
	}
}

/* ---- encodings ---- */

static unsigned attr_of(int map, int op)
{
	switch (map) {
	case X86_MAP_1B: return x86_attr_1b[op];
	case X86_MAP_0F: return x86_attr_0f[op];
	case X86_MAP_0F38: return X86_A_M;
	default: return X86_A_M | X86_I_B;
	}
}

bool gen_lockable(int map, int op, unsigned reg)
{
	if (map == X86_MAP_1B)
		return (op < 0x38 && (op & 7) < 2) || (op >= 0x80 && op <= 0x83 && reg != 7) ||
		       op == 0x86 || op == 0x87 || ((op == 0xfe || op == 0xff) && reg < 2) ||
		       ((op == 0xf6 || op == 0xf7) && (reg == 2 || reg == 3));
	return map == X86_MAP_0F && (op == 0xb0 || op == 0xb1 || op == 0xc0 || op == 0xc1 ||
				     op == 0xab || op == 0xb3 || op == 0xbb || (op == 0xba && reg >= 5) ||
				     (op == 0xc7 && reg == 1));
}

static bool reg_excluded(int map, int op, unsigned reg, int mode)
{
	if (map == X86_MAP_1B && op == 0xff && mode != DIFF_MODE16)
		return reg == 3 || reg == 5; /* far CALL/JMP: a GDT outside real mode */
	return false;
}

static u8 *put_le(u8 *p, u64 v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (u8)(v >> (8 * i));
	return p + n;
}

static void store_data(struct gen *g, u64 lin, const void *v, unsigned n)
{
	const struct diff_layout *L = g->L;
	struct diff_state *st = &g->c->init;

	for (unsigned i = 0; i < n; i++) {
		u64 a = lin + i;

		if (a >= L->data && a < L->data + L->data_size)
			st->data[a - L->data] = ((const u8 *)v)[i];
		else if (a >= L->stack && a < L->stack + L->stack_size)
			st->stack[a - L->stack] = ((const u8 *)v)[i];
	}
}

/* Linear address of the stack top (real mode: SS:SP, wrapping in the segment). */
static u64 stack_lin(struct gen *g, unsigned off)
{
	u64 sp = g->c->init.gpr[GPR_RSP];

	if (diff_seg16(g->mode))
		return g->L->stack + (u16)(sp + off);
	return sp + off;
}

static const u8 shift_counts[] = { 0, 1, 1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65,
				   255 };

/*
 * Flag-producing prefix instruction (ADD/ADC/SUB/SBB/CMP/NEG/INC/DEC with
 * register operands) writing only a register from `allowed` (a bit mask).
 */
static unsigned gen_flag_insn(struct gen *g, u8 *p, unsigned allowed)
{
	static const u8 ops[] = { 0x01, 0x11, 0x19, 0x29, 0x39, 0x03, 0x2b, 0x13, 0x1b };
	bool m64 = g->mode == DIFF_MODE64;
	unsigned nregs = m64 ? 16 : 8;
	unsigned dst, src, n = 0, w = m64 && chance(g, 2), b = chance(g, 6), reg, rm;
	u8 op, modrm_reg;

	do
		dst = below(g, nregs);
	while (!(allowed & (1u << dst)));
	src = below(g, nregs);
	if (!b && chance(g, 6))
		p[n++] = 0x66;
	if (chance(g, 4)) { /* NEG/INC/DEC r */
		static const u8 grp[][2] = { { 0xf7, 3 }, { 0xff, 0 }, { 0xff, 1 } };
		unsigned k = below(g, 3);

		op = (u8)(grp[k][0] - b);
		modrm_reg = grp[k][1];
		reg = modrm_reg;
		rm = dst;
	} else {
		op = (u8)(ops[below(g, ARRAY_SIZE(ops))] - b);
		if (op & 2) { /* Gv, Ev: the reg field is the destination */
			reg = dst;
			rm = src;
		} else {
			reg = src;
			rm = dst;
		}
		modrm_reg = (u8)reg;
	}
	if (m64 && (w || (reg & 8) || (rm & 8) || (b && chance(g, 2))))
		p[n++] = (u8)(0x40 | (w ? 8 : 0) | (((modrm_reg >> 3) & 1) << 2) | (rm >> 3));
	p[n++] = op;
	p[n++] = (u8)(0xc0 | ((modrm_reg & 7) << 3) | (rm & 7));
	return n;
}

static bool is_rel_branch(int map, int op)
{
	if (map == X86_MAP_1B)
		return (op >= 0x70 && op <= 0x7f) || (op >= 0xe0 && op <= 0xe3) || op == 0xe8 ||
		       op == 0xe9 || op == 0xeb;
	return map == X86_MAP_0F && op >= 0x80 && op <= 0x8f;
}

static bool is_string(int map, int op)
{
	return map == X86_MAP_1B && op >= 0xa4 && op <= 0xaf && op != 0xa8 && op != 0xa9;
}

/*
 * Where the target instruction should point its memory operand: in the data
 * window, or in real mode in the window of the operand's segment (BP-based
 * forms and 36 use SS, the stack window).
 */
static u64 pick_target(struct gen *g, unsigned align, int seg)
{
	const struct diff_layout *L = g->L;
	u64 base = L->data, size = L->data_size, t;

	if (diff_seg16(g->mode) && seg == SEG_SS) {
		base = L->stack;
		size = L->stack_size;
	}
	if (chance(g, 16)) /* near the end of the window: page-crossing faults, segment limit */
		return base + size - 1 - below(g, 16);
	t = base + 0x40 + below(g, (unsigned)size - 0x600);
	if (align > 1 && !chance(g, 5))
		t &= ~(u64)(align - 1);
	return t;
}

/* Segment base of `seg` at the start of a case. */
static u64 seg_base(struct gen *g, int seg)
{
	const struct diff_case *c = g->c;

	if (diff_seg16(g->mode))
		return seg == SEG_SS ? g->L->stack : seg == SEG_CS ? g->L->code : g->L->data;
	if (g->mode == DIFF_MODE64)
		return seg == SEG_FS ? c->init.fs_base : seg == SEG_GS ? c->init.gs_base : 0;
	return 0;
}

/* Store bytes at SS:SP + off onwards (wrapping in real mode's stack segment). */
static void store_stack(struct gen *g, unsigned off, const u8 *p, unsigned n)
{
	for (unsigned k = 0; k < n; k++)
		store_data(g, stack_lin(g, off + k), &p[k], 1);
}

/*
 * Real mode: far pointers, far-return and IRET frames name the code segment
 * and an offset past the sequence, so that far transfers land in the HLT
 * padding (a random selector would leave the windows: real mode has no
 * paging to make that fault on hover as it does in Unicorn). With a 32-bit
 * operand size the offset's upper half is 0: beyond the 64 KiB limit
 * hardware raises #GP, and QEMU checks no limit (deviations.md).
 */
static void real_mode_operands(struct gen *g, const struct diff_slot *s, const struct x86_insn *in,
			       u8 *ib, u64 target)
{
	unsigned os = in->opsize, r = in->reg & 7;
	int op = s->opcode;
	u8 p[16] = { 0 };

	if (s->map != X86_MAP_1B)
		return;
	if (op == 0x9a || op == 0xea) { /* ptr16:16 / ptr16:32: the immediate ends the insn */
		put_le(ib + in->len - 2 - os, target, os);
		put_le(ib + in->len - 2, g->L->cs, 2);
	}
	if (op == 0xff && in->mod != 3 && (r == 3 || r == 5)) {
		put_le(p, target, os);
		put_le(p + os, g->L->cs, 2);
		store_data(g, g->c->ea, p, os + 2);
	}
	if (op == 0xca || op == 0xcb || op == 0xcf) {
		put_le(p, target, os);
		put_le(p + os, g->L->cs, os);
		if (op == 0xcf) /* IRET's FLAGS: no TF/IF/NT, as for POPF */
			put_le(p + 2 * os, (rnd(g) & 0x3cd5) | 2, os);
		store_stack(g, 0, p, 3 * os);
	}
}

void gen_case(struct diff_case *c, u64 seed, u64 n, const struct diff_slot *s, int mode)
{
	/* 64-bit cases keep the seeds they had before modes existed. */
	struct gen g = { .rng = (seed * 0x9e3779b97f4a7c15ULL) ^ (n * 0xd1b54a32d192ed03ULL) ^ 0x1234567 ^
				(mode == DIFF_MODE64 ? 0 : (u64)mode << 40),
			 .c = c, .L = diff_layout(mode), .mode = mode };
	const struct diff_layout *L = g.L;
	enum x86_mode xm = (enum x86_mode)gen_x86_mode(mode);
	bool m64 = mode == DIFF_MODE64;
	u8 buf[32];
	unsigned attr = attr_of(s->map, s->opcode), bl, disp_off = 0, pre = 0;
	unsigned modrm_reg = 0, tries = 0;
	struct x86_insn in;
	struct diff_state *st = &c->init;
	bool sse_like = s->map != X86_MAP_1B;

	memset(c, 0, offsetof(struct diff_case, init));
	memset(&c->init, 0, offsetof(struct diff_state, data));
	c->seed = seed;
	c->mode = mode;
	c->map = s->map;
	c->opcode = s->opcode;
	c->mp = s->mp;
	for (int k = 0; k < 4; k++)
		diff_rand(&g.rng);
	rand_state(&g, st);

again:
	bl = 0;
	disp_off = 0;
	{
		u8 legacy[4];
		unsigned nl = 0;

		if (chance(&g, 8)) {
			/* 2E (CS) is left out: a write through CS faults on hover, not in QEMU. */
			static const u8 segp[] = { 0x64, 0x65, 0x26, 0x36, 0x3e };

			legacy[nl++] = segp[below(&g, m64 ? 2 : 5)];
		}
		if (chance(&g, 12))
			legacy[nl++] = 0x67;
		/* shuffle */
		for (unsigned i = nl; i > 1; i--) {
			unsigned j = below(&g, i);
			u8 t = legacy[i - 1];

			legacy[i - 1] = legacy[j];
			legacy[j] = t;
		}
		/* The mandatory prefix last, as assemblers emit it (Capstone needs that). */
		if (s->mp == X86_MP_66)
			legacy[nl++] = 0x66;
		else if (s->mp == X86_MP_F3)
			legacy[nl++] = 0xf3;
		else if (s->mp == X86_MP_F2)
			legacy[nl++] = 0xf2;
		memcpy(buf, legacy, nl);
		bl = nl;
	}
	if (m64 && chance(&g, 2))
		buf[bl++] = (u8)(0x40 | below(&g, 16));
	if (s->map != X86_MAP_1B)
		buf[bl++] = 0x0f;
	if (s->map == X86_MAP_0F38)
		buf[bl++] = 0x38;
	if (s->map == X86_MAP_0F3A)
		buf[bl++] = 0x3a;
	buf[bl++] = s->opcode;
	if (attr & X86_A_M) {
		unsigned mod = chance(&g, 2) ? 3 : below(&g, 3), reg, rm = below(&g, 8);

		do
			reg = below(&g, 8);
		while (reg_excluded(s->map, s->opcode, reg, mode));
		/* FF /3, /5 with a register operand (#UD) abort Unicorn's TCG: memory only. */
		if (s->map == X86_MAP_1B && s->opcode == 0xff && (reg == 3 || reg == 5) && mod == 3)
			mod = below(&g, 3);
		modrm_reg = reg;
		buf[bl++] = (u8)((mod << 6) | (reg << 3) | rm);
		if (mod != 3) {
			bool d32 = mod == 2;

			if (rm == 4) {
				u8 sib = (u8)rnd(&g);

				buf[bl++] = sib;
				d32 |= (sib & 7) == 5 && mod == 0;
			} else {
				d32 |= rm == 5 && mod == 0;
			}
			if (mod == 1) {
				buf[bl++] = (u8)(below(&g, 256) - 128);
			} else if (d32) {
				u32 d = chance(&g, 2) ? below(&g, 0x400) - 0x200 : (u32)rnd(&g);

				if (mod == 0)
					disp_off = bl; /* patched below: RIP-relative or absolute */
				put_le(buf + bl, d, 4);
				bl += 4;
			}
		}
	}
	/* Immediate bytes: random; the decoder takes what it needs. */
	{
		unsigned imm_at = bl;

		for (unsigned i = 0; i < 10; i++)
			buf[bl++] = (u8)rnd(&g);
		if (s->map == X86_MAP_1B && (s->opcode == 0xc0 || s->opcode == 0xc1))
			buf[imm_at] = shift_counts[below(&g, sizeof(shift_counts))];
		if (s->map == X86_MAP_0F && (s->opcode == 0xa4 || s->opcode == 0xac))
			buf[imm_at] = shift_counts[below(&g, sizeof(shift_counts))];
		if (s->map == X86_MAP_1B && s->opcode == 0xc8) { /* ENTER size, level */
			buf[imm_at] = (u8)below(&g, 0x40);
			buf[imm_at + 1] = 0;
			buf[imm_at + 2] = (u8)(chance(&g, 2) ? 0 : below(&g, 4));
		}
		if (s->map == X86_MAP_1B && s->opcode == 0xc2) { /* RET imm16 */
			buf[imm_at] = (u8)below(&g, 0x40);
			buf[imm_at + 1] = 0;
		}
	}
	if (x86_decode(buf, bl, xm, &in) < 0 || in.len > 15) {
		if (++tries < 50)
			goto again;
		in.len = 1; /* give up: a lone opcode byte (still a valid comparison) */
	}
	/* Optional LOCK in front (always #UD unless lockable with memory). */
	/*
	 * LOCK only where it is allowed: LOCK on other instructions aborts
	 * Unicorn 2.0.1's TCG (deviations.md); hover's #UD for those is
	 * covered by test_cpu_decode.c.
	 */
	if (in.len < 15 && in.has_modrm && in.mod != 3 &&
	    gen_lockable(s->map, s->opcode, modrm_reg) && chance(&g, 3)) {
		memmove(buf + 1, buf, in.len);
		buf[0] = 0xf0;
		disp_off += disp_off ? 1 : 0;
		x86_decode(buf, in.len + 1u, xm, &in);
	}

	/* Flag-producing instructions first (they may not touch pointer registers). */
	if (chance(&g, 3) && !(s->map == X86_MAP_1B && (s->opcode == 0xd2 || s->opcode == 0xd3))) {
		unsigned allowed = (1u << GPR_RAX) | (1u << GPR_RDX) | (m64 ? 0xff00u : 0);

		if (in.has_modrm && in.mod != 3) {
			if (in.base < 16)
				allowed &= ~(1u << in.base);
			if (in.index < 16)
				allowed &= ~(1u << in.index);
		}
		if (in.has_modrm && in.mod == 3)
			allowed &= ~(1u << in.rm); /* may be a branch target or a divisor */
		for (unsigned k = below(&g, 2) + 1; k && allowed; k--) {
			unsigned len = gen_flag_insn(&g, c->code + pre, allowed);

			c->insn[c->ninsn++] = (struct diff_insn_pos){ (u8)pre, (u8)len };
			pre += len;
		}
	}
	memcpy(c->code + pre, buf, in.len);
	c->insn[c->ninsn++] = (struct diff_insn_pos){ (u8)pre, in.len };
	c->len = pre + in.len;

	/* ---- make the operands meaningful ---- */
	{
		u64 next = L->ip0 + c->len;
		u8 *ib = c->code + pre;
		u64 segbase = seg_base(&g, in.seg);
		unsigned align = sse_like ? 16 : 8;
		u64 exit_target = L->ip0 + c->len + below(&g, 12);

		if (chance(&g, 10))
			exit_target = chance(&g, 2) ? rnd(&g) : DIFF_DATA + below(&g, DIFF_DATA_SIZE);
		else if (m64 && chance(&g, 24))
			/*
			 * The byte before the block (not mapped: #PF): the
			 * translator once took offset -1 for "keep RIP" and
			 * re-ran the block forever.
			 */
			exit_target = L->ip0 - 1;
		if (diff_seg16(mode)) { /* any IP lands in the code segment's HLT padding ... */
			exit_target &= 0xffff;
			if (exit_target < next) /* ... but not back in the sequence: it would loop */
				exit_target = next + below(&g, 12);
		}
		else if (mode == DIFF_MODE32)
			exit_target &= 0xffffffff;

		if (in.has_modrm && in.mod != 3) {
			u64 t = pick_target(&g, align, in.seg), off = t - segbase, idx = 0;

			c->has_mem = true;
			c->ea = t;
			c->ea_off = off;
			unsigned sc = in.scale;
			u64 amask = in.addrsize == 8 ? ~0ULL : in.addrsize == 4 ? 0xffffffffULL : 0xffff;

			if (in.index < 16) {
				idx = below(&g, 0x40) - (chance(&g, 4) ? 0x20 : 0);
				if (in.addrsize == 4 && m64)
					idx = (u32)idx | (rnd(&g) & ~0xffffffffULL);
				st->gpr[in.index] = idx;
			}
			if (!m64 && (in.base == GPR_RSP || in.index == GPR_RSP)) {
				/*
				 * ESP stays in the stack window: without an IST the
				 * exception frame goes there. The index (if any) is
				 * solved for the target instead; else the operand
				 * lands where ESP + disp is.
				 */
				u64 sp = st->gpr[GPR_RSP], m = (1ULL << sc) - 1;

				if (in.index < 16 && in.index != GPR_RSP) {
					t -= (t - segbase - (u64)(s64)in.disp - sp) & m;
					off = t - segbase;
					st->gpr[in.index] = ((off - (u64)(s64)in.disp - sp) & amask) >> sc;
				} else if (in.base < 16 && in.base != GPR_RSP) {
					st->gpr[in.base] = (off - (u64)(s64)in.disp - (sp << sc)) & amask;
				}
			} else if (in.base == X86_REG_RIP) {
				put_le(c->code + pre + disp_off, (u32)(off - next), 4);
			} else if (in.base < 16) {
				if (in.base == in.index) {
					u64 v = (off - (u64)(s64)in.disp) / (1 + (1ULL << sc));

					st->gpr[in.base] = v;
					c->ea = segbase + ((v + (v << sc) + (u64)(s64)in.disp) & amask);
				} else {
					st->gpr[in.base] = (off - (u64)(s64)in.disp - (idx << sc)) & amask;
					if (in.addrsize == 4 && m64)
						st->gpr[in.base] |= rnd(&g) << 32;
					if (in.addrsize == 2 && chance(&g, 2)) /* 16-bit forms ignore bits 16-31 */
						st->gpr[in.base] |= rnd(&g) & 0xffff0000ULL;
				}
			} else if (disp_off) {
				put_le(c->code + pre + disp_off, (off - (idx << sc)) & 0xffffffff, 4);
			} else if (in.addrsize == 2 && in.index < 16) { /* [si+disp], [di+disp] */
				st->gpr[in.index] = ((off - (u64)(s64)in.disp) & 0xffff) |
						    (chance(&g, 2) ? rnd(&g) & 0xffff0000ULL : 0);
			} else if (in.addrsize == 2 && in.base == X86_REG_NONE && in.index == X86_REG_NONE) {
				/* [disp16]: the displacement ends the ModRM bytes, before any immediate */
				unsigned at = 1 + (s->map != X86_MAP_1B) + (s->map >= X86_MAP_0F38);

				for (unsigned k = 0; k < in.len; k++)
					if (ib[k] == s->opcode && k + 1 < in.len && (ib[k + 1] & 0xc7) == 6) {
						at = k + 2;
						break;
					}
				put_le(ib + at, off, 2);
			}
			if (!m64 && (in.base < 16 || (in.addrsize == 2 && in.index < 16))) {
				/* where the operand really is (16-bit forms in 32-bit mode cannot reach) */
				u64 ea = (u64)(s64)in.disp;

				if (in.base < 16)
					ea += st->gpr[in.base];
				if (in.index < 16)
					ea += st->gpr[in.index] << sc;
				c->ea_off = ea & amask;
				c->ea = t = segbase + c->ea_off;
			}
			/* Values the instruction's memory operand should sometimes hold. */
			if (s->map == X86_MAP_1B && s->opcode == 0xff &&
			    (modrm_reg == 2 || modrm_reg == 4) && (!chance(&g, 5) || diff_seg16(mode)))
				store_data(&g, t, &exit_target, 8);
			if (!m64 && s->map == X86_MAP_1B && s->opcode == 0x62 && chance(&g, 2)) {
				/* BOUND: bounds around the index, so that #BR is not the rule */
				u64 v = st->gpr[in.reg], lo = v - below(&g, 4), hi = v + below(&g, 4);

				store_data(&g, t, &lo, in.opsize);
				store_data(&g, t + in.opsize, &hi, in.opsize);
			}
			if (s->map == X86_MAP_0F && (s->opcode == 0xb0 || s->opcode == 0xb1) && chance(&g, 2))
				store_data(&g, t, &st->gpr[GPR_RAX], 8);
			if (s->map == X86_MAP_0F && s->opcode == 0xc7 && chance(&g, 2)) {
				store_data(&g, t, &st->gpr[GPR_RAX], 4);
				store_data(&g, t + 4, &st->gpr[GPR_RDX], 4);
				if (in.opsize == 8) {
					store_data(&g, t, &st->gpr[GPR_RAX], 8);
					store_data(&g, t + 8, &st->gpr[GPR_RDX], 8);
				}
			}
			if (s->map == X86_MAP_0F && s->opcode == 0xae && chance(&g, 2)) {
				u32 m = 0x1f80 | (chance(&g, 2) ? (u32)below(&g, 4) << 13 : 0);

				store_data(&g, t + (modrm_reg == 1 ? 24 : 0), &m, 4); /* FXRSTOR / LDMXCSR */
			}
			if (s->map == X86_MAP_0F && (s->opcode == 0xa3 || s->opcode == 0xab ||
						     s->opcode == 0xb3 || s->opcode == 0xbb) &&
			    !chance(&g, 4)) {
				u64 v = (u64)(s64)(below(&g, 1280) - 256);

				/* ESP stays a stack pointer outside 64-bit mode (no IST) */
				if (in.reg != in.base && in.reg != in.index && (m64 || in.reg != GPR_RSP))
					st->gpr[in.reg] = v;
			}
		}
		if (in.has_modrm && in.mod == 3 && s->map == X86_MAP_1B && s->opcode == 0xff &&
		    (modrm_reg == 2 || modrm_reg == 4) && (!chance(&g, 5) || diff_seg16(mode)) &&
		    (m64 || in.rm != GPR_RSP)) /* ESP stays a stack pointer: the frame goes there */
			st->gpr[in.rm] = exit_target;
		else if (in.has_modrm && in.mod == 3 && s->map == X86_MAP_1B && s->opcode == 0xff &&
			 diff_seg16(mode) && in.rm == GPR_RSP && (u16)st->gpr[GPR_RSP] < next)
			st->gpr[GPR_RSP] += 0x800; /* JMP/CALL SP must not land back in the sequence */
		if (s->map == X86_MAP_1B && s->opcode >= 0xa0 && s->opcode <= 0xa3) { /* moffs */
			u64 t = pick_target(&g, 8, in.seg) - segbase;

			c->ea_off = t;
			put_le(ib + in.len - in.addrsize, t, in.addrsize);
		}
		if (is_rel_branch(s->map, s->opcode)) {
			unsigned w = s->map == X86_MAP_1B && s->opcode != 0xe8 && s->opcode != 0xe9 ? 1 :
				     !m64 && in.opsize == 2 ? 2 : 4;
			u64 rel = exit_target - next;

			if (w == 1 && (s64)rel != (s8)rel)
				rel = below(&g, 12);
			/*
			 * With a 66 prefix QEMU reads rel16 (AMD) and decodes the
			 * upper half of the rel32 as the next instruction; random
			 * bytes there can abort Unicorn's TCG (FF /5 with a register
			 * operand: seed 1 case 2550894). Keep that half zero.
			 */
			if (w == 4 && m64 && (in.prefix & X86_PFX_OPSIZE) && (u32)rel > 0xffff)
				rel = below(&g, 12);
			put_le(c->code + c->len - w, rel, w);
		}
		if (s->map == X86_MAP_1B && (s->opcode == 0xc3 || s->opcode == 0xc2) && !chance(&g, 5))
			store_data(&g, stack_lin(&g, 0), &exit_target, m64 ? 8 : in.opsize);
		if (s->map == X86_MAP_1B && s->opcode == 0x9d) { /* POPF: no TF/IF/NT/AC/RF/ID */
			u64 v = 0;

			for (unsigned k = 0; k < 8; k++)
				v |= (u64)st->stack[stack_lin(&g, k) - L->stack] << (8 * k);
			v = (v & 0x3cd5) | 2;
			store_data(&g, stack_lin(&g, 0), &v, m64 ? 8 : in.opsize);
		}
		if (mode == DIFF_MODE16)
			real_mode_operands(&g, s, &in, ib, exit_target);
		if (is_string(s->map, s->opcode) || (s->map == X86_MAP_0F && s->opcode == 0xf7)) {
			u64 src = L->data + 0x300 + below(&g, 0xa00), dst = L->data + 0x1000 + below(&g, 0xa00);

			if (chance(&g, 3))
				dst = src + below(&g, 32) - 16; /* overlapping */
			st->gpr[GPR_RSI] = src - segbase;
			st->gpr[GPR_RDI] = s->opcode == 0xf7 ? dst - segbase : dst - seg_base(&g, SEG_ES);
			if (diff_seg16(mode)) { /* offsets in their segments */
				st->gpr[GPR_RSI] &= 0xffff;
				st->gpr[GPR_RDI] &= 0xffff;
			}
			st->gpr[GPR_RCX] = chance(&g, 8) ? 0 : below(&g, 24);
			if (chance(&g, 2))
				memcpy(st->data + (dst - L->data), st->data + (src - L->data), 64);
			if (chance(&g, 2)) /* SCAS finds AL/AX/EAX/RAX somewhere */
				store_data(&g, dst + 8 * below(&g, 8), &st->gpr[GPR_RAX], 8);
		}
		if (s->map == X86_MAP_1B && s->opcode == 0xd7) /* XLAT */
			st->gpr[GPR_RBX] = (L->data + 0x100 + below(&g, 0x1000) - segbase) &
					   (diff_seg16(mode) ? 0xffff : ~0ULL);
		if (s->map == X86_MAP_1B && (s->opcode == 0xc8 || s->opcode == 0xc9))
			st->gpr[GPR_RBP] = DIFF_STACK + 0x800 + (below(&g, 0x800) & ~7u) -
					   (diff_seg16(mode) ? DIFF_STACK : 0);
		if (s->map == X86_MAP_1B && (s->opcode == 0xd2 || s->opcode == 0xd3) &&
		    (!c->has_mem || (in.base != GPR_RCX && in.index != GPR_RCX)))
			st->gpr[GPR_RCX] = (st->gpr[GPR_RCX] & ~0xffULL) |
					   shift_counts[below(&g, sizeof(shift_counts))];
		if (s->map == X86_MAP_0F && (s->opcode == 0xa5 || s->opcode == 0xad))
			st->gpr[GPR_RCX] = (st->gpr[GPR_RCX] & ~0xffULL) |
					   shift_counts[below(&g, sizeof(shift_counts))];
		if (s->map == X86_MAP_1B && (s->opcode == 0xf6 || s->opcode == 0xf7) &&
		    (in.reg & 7) >= 6 && chance(&g, 2)) {
			/* A dividend that does not overflow: high half 0 or the sign extension. */
			bool neg = (in.reg & 7) == 7 && chance(&g, 2);

			if (s->opcode == 0xf6)
				st->gpr[GPR_RAX] = (st->gpr[GPR_RAX] & ~0xff00ULL) | (neg ? 0xff00 : 0);
			else if (!in.has_modrm || in.mod == 3 || (in.base != GPR_RDX && in.index != GPR_RDX))
				st->gpr[GPR_RDX] = neg ? ~0ULL : 0; /* (not when RDX addresses the divisor) */
			if (neg)
				st->gpr[GPR_RAX] |= 0x8000000000000000ULL | 0x80000000 | 0x8000 | 0x80;
		}
	}
	if (!m64) /* no 64-bit registers outside 64-bit mode; R8-R15 are never named */
		for (int i = 0; i < 16; i++)
			st->gpr[i] = i < 8 ? (u32)st->gpr[i] : 0;
}
