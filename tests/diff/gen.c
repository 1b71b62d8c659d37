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
 *  - relative branches always go forward, past the end of the sequence, so
 *    no case can loop; RET and indirect branches mostly do the same;
 *  - floating-point state mixes normal, denormal, zero, infinity, QNaN and
 *    SNaN values, random rounding modes, FZ/DAZ and precision control.
 *
 * With probability 1/3 one or two flag-producing integer instructions come
 * first, so the target consumes lazily computed flags.
 *
 * Everything is a function of (seed, case number): a case can be rebuilt
 * and rerun alone.
 */
#include <string.h>

#include "cpu/x86/decode_tables.h"
#include "cpu/x86/insn.h"
#include "tests/diff/diff.h"

struct gen {
	u64 rng;
	struct diff_case *c;
};

static u64 rnd(struct gen *g) { return diff_rand(&g->rng); }
static unsigned below(struct gen *g, unsigned n) { return (unsigned)(rnd(g) % n); }
static bool chance(struct gen *g, unsigned n) { return below(g, n) == 0; }

/*
 * Dispatch-table entries the generator does not produce, and the test that
 * exercises each instead: a test function of a unit test or a check of a
 * self-checking payload, named by a string diffcpu looks for in that file
 * (so a renamed or deleted test shows up as uncovered). Every mandatory-
 * prefix slot of the opcodes lo..hi is covered by the entry.
 */
static const struct diff_elsewhere elsewhere[] = {
#define UNIT(f) "tests/unit/" f
#define ASM(f) "tests/asm/" f
	{ X86_MAP_1B, 0x40, 0x4f, "INC/DEC r32", "REX prefixes in 64-bit mode",
	  UNIT("test_cpu_sysinsn.c"), "test_sysinsn_compat_mode" },
	{ X86_MAP_1B, 0x6c, 0x6f, "INS/OUTS", "port I/O: Unicorn has no ports",
	  UNIT("test_cpu_sysinsn.c"), "test_sysinsn_port_io" },
	{ X86_MAP_1B, 0x8c, 0x8c, "MOV Ev,Sreg", "selectors differ (no GDT in Unicorn)",
	  ASM("sys_interrupts.S"), "t_movss" },
	{ X86_MAP_1B, 0x8e, 0x8e, "MOV Sreg,Ew", "needs a GDT",
	  UNIT("test_cpu_run.c"), "test_run_movss_single_step" },
	{ X86_MAP_1B, 0x9a, 0x9a, "CALL ptr16:32", "#UD in 64-bit mode; compatibility mode",
	  UNIT("test_cpu_sysinsn.c"), "test_sysinsn_compat_mode" },
	{ X86_MAP_1B, 0xca, 0xca, "RETF imm16", "needs a GDT",
	  UNIT("test_cpu_sysinsn.c"), "test_sysinsn_far_ret_imm" },
	{ X86_MAP_1B, 0xcb, 0xcb, "RETF", "needs a GDT", ASM("sys_privilege.S"), "t_lret" },
	{ X86_MAP_1B, 0xcf, 0xcf, "IRET", "needs a GDT",
	  UNIT("test_cpu_system.c"), "test_iretq_same_privilege" },
	{ X86_MAP_1B, 0xe4, 0xe7, "IN/OUT imm8", "port I/O: Unicorn has no ports",
	  UNIT("test_cpu_sysinsn.c"), "test_sysinsn_port_io" },
	{ X86_MAP_1B, 0xea, 0xea, "JMP ptr16:32", "#UD in 64-bit mode; compatibility mode",
	  UNIT("test_cpu_sysinsn.c"), "test_sysinsn_compat_mode" },
	{ X86_MAP_1B, 0xec, 0xef, "IN/OUT DX", "port I/O: Unicorn has no ports",
	  UNIT("test_cpu_sysinsn.c"), "test_sysinsn_port_io" },
	{ X86_MAP_1B, 0xf4, 0xf4, "HLT", "ends every case", UNIT("test_cpu_run.c"), "test_run_basic" },
	{ X86_MAP_1B, 0xfb, 0xfb, "STI", "interrupt shadow; no interrupts in the harness",
	  UNIT("test_cpu_run.c"), "test_run_interrupt" },
	{ X86_MAP_0F, 0x00, 0x00, "group 6 (SLDT STR LLDT LTR VERR VERW)", "descriptor tables",
	  UNIT("test_cpu_sysinsn.c"), "test_sysinsn_tables" },
	{ X86_MAP_0F, 0x01, 0x01, "group 7 (SGDT SIDT LGDT LIDT SMSW LMSW INVLPG SWAPGS RDTSCP)",
	  "descriptor tables, CR0", UNIT("test_cpu_sysinsn.c"), "test_sysinsn_tables" },
	{ X86_MAP_0F, 0x02, 0x03, "LAR/LSL", "descriptor tables",
	  UNIT("test_cpu_sysinsn.c"), "test_sysinsn_tables" },
	{ X86_MAP_0F, 0x05, 0x05, "SYSCALL", "MSRs and a GDT",
	  UNIT("test_cpu_system.c"), "test_syscall_sysret" },
	{ X86_MAP_0F, 0x06, 0x06, "CLTS", "CR0", UNIT("test_cpu_sysinsn.c"), "test_sysinsn_msw" },
	{ X86_MAP_0F, 0x07, 0x07, "SYSRET", "MSRs and a GDT",
	  UNIT("test_cpu_system.c"), "test_syscall_sysret" },
	{ X86_MAP_0F, 0x08, 0x09, "INVD/WBINVD", "caches",
	  UNIT("test_cpu_sysinsn.c"), "test_sysinsn_counters_caches" },
	{ X86_MAP_0F, 0x20, 0x20, "MOV r,CR", "control registers",
	  UNIT("test_cpu_system.c"), "test_cr4_reserved" },
	{ X86_MAP_0F, 0x21, 0x21, "MOV r,DR", "debug registers",
	  UNIT("test_cpu_sysinsn.c"), "test_sysinsn_debug_regs" },
	{ X86_MAP_0F, 0x22, 0x22, "MOV CR,r", "control registers",
	  UNIT("test_cpu_system.c"), "test_cr4_reserved" },
	{ X86_MAP_0F, 0x23, 0x23, "MOV DR,r", "debug registers",
	  UNIT("test_cpu_sysinsn.c"), "test_sysinsn_debug_regs" },
	{ X86_MAP_0F, 0x30, 0x30, "WRMSR", "MSRs", UNIT("test_cpu_system.c"), "test_msrs" },
	{ X86_MAP_0F, 0x31, 0x31, "RDTSC", "not deterministic", ASM("sys_cpuid.S"), "t_tsc" },
	{ X86_MAP_0F, 0x32, 0x32, "RDMSR", "MSRs", UNIT("test_cpu_system.c"), "test_msrs" },
	{ X86_MAP_0F, 0x33, 0x33, "RDPMC", "performance counters",
	  UNIT("test_cpu_sysinsn.c"), "test_sysinsn_counters_caches" },
	{ X86_MAP_0F, 0x34, 0x35, "SYSENTER/SYSEXIT", "MSRs and a GDT",
	  UNIT("test_cpu_sysinsn.c"), "test_sysinsn_sysenter_sysexit" },
	{ X86_MAP_0F, 0xa0, 0xa1, "PUSH/POP FS", "needs a GDT",
	  UNIT("test_cpu_sysinsn.c"), "test_sysinsn_segment_loads" },
	{ X86_MAP_0F, 0xa2, 0xa2, "CPUID", "hover's and Unicorn's CPU models differ",
	  UNIT("test_cpu_system.c"), "test_cpuid" },
	{ X86_MAP_0F, 0xa8, 0xa9, "PUSH/POP GS", "needs a GDT",
	  UNIT("test_cpu_sysinsn.c"), "test_sysinsn_segment_loads" },
	{ X86_MAP_0F, 0xb2, 0xb2, "LSS", "needs a GDT",
	  UNIT("test_cpu_sysinsn.c"), "test_sysinsn_segment_loads" },
	{ X86_MAP_0F, 0xb4, 0xb5, "LFS/LGS", "needs a GDT",
	  UNIT("test_cpu_sysinsn.c"), "test_sysinsn_segment_loads" },
#undef UNIT
#undef ASM
};

const struct diff_elsewhere *gen_elsewhere(int map, int op)
{
	for (unsigned i = 0; i < ARRAY_SIZE(elsewhere); i++)
		if (elsewhere[i].map == map && op >= elsewhere[i].lo && op <= elsewhere[i].hi)
			return &elsewhere[i];
	return NULL;
}

unsigned gen_slots(struct diff_slot *slots, unsigned cap)
{
	const struct x86_optable *t = x86_optable_get();
	unsigned n = 0;

	for (int map = 0; map < X86_MAP_COUNT; map++)
		for (int op = 0; op < 256; op++)
			for (int mp = 0; mp < X86_MP_COUNT; mp++) {
				if (!t->fn[map][op][mp] || t->fn[map][op][mp] == x86_op_ud)
					continue;
				if (n < cap)
					slots[n] = (struct diff_slot){ (u8)map, (u8)op, (u8)mp };
				n++;
			}
	return n;
}

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
	for (int i = 0; i < 16; i++)
		st->gpr[i] = rand_gpr(g);
	st->gpr[GPR_RSP] = DIFF_STACK + 0x800 + (below(g, 0x1000) & (chance(g, 4) ? ~0u : ~7u));
	st->rflags = 2 | (rnd(g) & (X86_FLAGS_ARITH | (chance(g, 4) ? X86_DF : 0)));
	st->fs_base = chance(g, 2) ? 0 : below(g, 0x1000) & ~15u;
	st->gs_base = chance(g, 2) ? 0 : below(g, 0x1000) & ~15u;
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
	for (unsigned i = 0; i < DIFF_DATA_SIZE; i += 8) {
		u64 v = chance(g, 3) ? rand_f64(g) : rnd(g);
		memcpy(st->data + i, &v, 8);
	}
	for (unsigned i = 0; i < DIFF_STACK_SIZE; i += 8) {
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

static bool reg_excluded(int map, int op, unsigned reg)
{
	if (map == X86_MAP_1B && op == 0xff)
		return reg == 3 || reg == 5; /* far CALL/JMP */
	return false;
}

static u8 *put_le(u8 *p, u64 v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (u8)(v >> (8 * i));
	return p + n;
}

static void store_data(struct diff_state *st, u64 lin, const void *v, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		u64 a = lin + i;

		if (a >= DIFF_DATA && a < DIFF_DATA + DIFF_DATA_SIZE)
			st->data[a - DIFF_DATA] = ((const u8 *)v)[i];
		else if (a >= DIFF_STACK && a < DIFF_STACK + DIFF_STACK_SIZE)
			st->stack[a - DIFF_STACK] = ((const u8 *)v)[i];
	}
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
	unsigned dst, src, n = 0, w = chance(g, 2), b = chance(g, 6), reg, rm;
	u8 op, modrm_reg;

	do
		dst = below(g, 16);
	while (!(allowed & (1u << dst)));
	src = below(g, 16);
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
	if (w || (reg & 8) || (rm & 8) || (b && chance(g, 2)))
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

/* Where the target instruction should point its memory operand. */
static u64 pick_target(struct gen *g, unsigned align)
{
	u64 t;

	if (chance(g, 16)) /* near the end of the window: page-crossing faults */
		return DIFF_DATA + DIFF_DATA_SIZE - 1 - below(g, 16);
	t = DIFF_DATA + 0x40 + below(g, DIFF_DATA_SIZE - 0x600);
	if (align > 1 && !chance(g, 5))
		t &= ~(u64)(align - 1);
	return t;
}

void gen_case(struct diff_case *c, u64 seed, u64 n, const struct diff_slot *s)
{
	struct gen g = { .rng = (seed * 0x9e3779b97f4a7c15ULL) ^ (n * 0xd1b54a32d192ed03ULL) ^ 0x1234567,
			 .c = c };
	u8 buf[32];
	unsigned attr = attr_of(s->map, s->opcode), bl, disp_off = 0, pre = 0;
	unsigned modrm_reg = 0, tries = 0;
	struct x86_insn in;
	struct diff_state *st = &c->init;
	bool sse_like = s->map != X86_MAP_1B;

	memset(c, 0, sizeof(*c));
	c->seed = seed;
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

		if (chance(&g, 8))
			legacy[nl++] = chance(&g, 2) ? 0x64 : 0x65;
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
	if (chance(&g, 2))
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
		while (reg_excluded(s->map, s->opcode, reg));
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
	if (x86_decode(buf, bl, X86_MODE_LONG64, &in) < 0 || in.len > 15) {
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
		x86_decode(buf, in.len + 1u, X86_MODE_LONG64, &in);
	}

	/* Flag-producing instructions first (they may not touch pointer registers). */
	if (chance(&g, 3) && !(s->map == X86_MAP_1B && (s->opcode == 0xd2 || s->opcode == 0xd3))) {
		unsigned allowed = (1u << GPR_RAX) | (1u << GPR_RDX) | 0xff00u;

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
		u64 next = DIFF_CODE + c->len;
		u8 *ib = c->code + pre;
		u64 segbase = in.seg == SEG_FS ? st->fs_base : in.seg == SEG_GS ? st->gs_base : 0;
		unsigned align = sse_like ? 16 : 8;
		u64 exit_target = DIFF_CODE + c->len + below(&g, 12);

		if (chance(&g, 10))
			exit_target = chance(&g, 2) ? rnd(&g) : DIFF_DATA + below(&g, DIFF_DATA_SIZE);

		if (in.has_modrm && in.mod != 3) {
			u64 t = pick_target(&g, align), off = t - segbase, idx = 0;

			c->has_mem = true;
			c->ea = t;
			unsigned sc = in.scale;
			u64 amask = in.addrsize == 8 ? ~0ULL : 0xffffffffULL;

			if (in.index < 16) {
				idx = below(&g, 0x40) - (chance(&g, 4) ? 0x20 : 0);
				if (in.addrsize == 4)
					idx = (u32)idx | (rnd(&g) & ~0xffffffffULL);
				st->gpr[in.index] = idx;
			}
			if (in.base == X86_REG_RIP) {
				put_le(c->code + pre + disp_off, (u32)(off - next), 4);
			} else if (in.base < 16) {
				if (in.base == in.index) {
					u64 v = (off - (u64)(s64)in.disp) / (1 + (1ULL << sc));

					st->gpr[in.base] = v;
					c->ea = segbase + ((v + (v << sc) + (u64)(s64)in.disp) & amask);
				} else {
					st->gpr[in.base] = (off - (u64)(s64)in.disp - (idx << sc)) & amask;
					if (in.addrsize == 4)
						st->gpr[in.base] |= rnd(&g) << 32;
				}
			} else if (disp_off) {
				put_le(c->code + pre + disp_off, (off - (idx << sc)) & 0xffffffff, 4);
			}
			/* Values the instruction's memory operand should sometimes hold. */
			if (s->map == X86_MAP_1B && s->opcode == 0xff &&
			    (modrm_reg == 2 || modrm_reg == 4) && !chance(&g, 5))
				store_data(st, t, &exit_target, 8);
			if (s->map == X86_MAP_0F && (s->opcode == 0xb0 || s->opcode == 0xb1) && chance(&g, 2))
				store_data(st, t, &st->gpr[GPR_RAX], 8);
			if (s->map == X86_MAP_0F && s->opcode == 0xc7 && chance(&g, 2)) {
				store_data(st, t, &st->gpr[GPR_RAX], 4);
				store_data(st, t + 4, &st->gpr[GPR_RDX], 4);
				if (in.opsize == 8) {
					store_data(st, t, &st->gpr[GPR_RAX], 8);
					store_data(st, t + 8, &st->gpr[GPR_RDX], 8);
				}
			}
			if (s->map == X86_MAP_0F && s->opcode == 0xae && chance(&g, 2)) {
				u32 m = 0x1f80 | (chance(&g, 2) ? (u32)below(&g, 4) << 13 : 0);

				store_data(st, t + (modrm_reg == 1 ? 24 : 0), &m, 4); /* FXRSTOR / LDMXCSR */
			}
			if (s->map == X86_MAP_0F && (s->opcode == 0xa3 || s->opcode == 0xab ||
						     s->opcode == 0xb3 || s->opcode == 0xbb) &&
			    !chance(&g, 4)) {
				u64 v = (u64)(s64)(below(&g, 1280) - 256);

				if (in.reg != in.base && in.reg != in.index)
					st->gpr[in.reg] = v;
			}
			c->init.gpr[GPR_RSP] = st->gpr[GPR_RSP];
		}
		if (in.has_modrm && in.mod == 3 && s->map == X86_MAP_1B && s->opcode == 0xff &&
		    (modrm_reg == 2 || modrm_reg == 4) && !chance(&g, 5))
			st->gpr[in.rm] = exit_target;
		if (s->map == X86_MAP_1B && s->opcode >= 0xa0 && s->opcode <= 0xa3) { /* moffs */
			u64 t = pick_target(&g, 8) - segbase;

			put_le(ib + in.len - in.addrsize, t, in.addrsize);
		}
		if (is_rel_branch(s->map, s->opcode)) {
			unsigned w = s->map == X86_MAP_1B && s->opcode != 0xe8 && s->opcode != 0xe9 ? 1 : 4;
			u64 rel = exit_target - next;

			if (w == 1 && rel > 127)
				rel = below(&g, 12);
			/*
			 * With a 66 prefix QEMU reads rel16 (AMD) and decodes the
			 * upper half of the rel32 as the next instruction; random
			 * bytes there can abort Unicorn's TCG (FF /5 with a register
			 * operand: seed 1 case 2550894). Keep that half zero.
			 */
			if (w == 4 && (in.prefix & X86_PFX_OPSIZE) && (u32)rel > 0xffff)
				rel = below(&g, 12);
			put_le(c->code + c->len - w, rel, w);
		}
		if (s->map == X86_MAP_1B && (s->opcode == 0xc3 || s->opcode == 0xc2) && !chance(&g, 5))
			store_data(st, st->gpr[GPR_RSP], &exit_target, 8);
		if (s->map == X86_MAP_1B && s->opcode == 0x9d) { /* POPF: no TF/IF/NT/AC/RF/ID */
			u64 v;

			memcpy(&v, st->stack + (st->gpr[GPR_RSP] - DIFF_STACK), 8);
			v = (v & 0x3cd5) | 2;
			store_data(st, st->gpr[GPR_RSP], &v, 8);
		}
		if (is_string(s->map, s->opcode) || (s->map == X86_MAP_0F && s->opcode == 0xf7)) {
			u64 src = DIFF_DATA + 0x300 + below(&g, 0xa00), dst = DIFF_DATA + 0x1000 + below(&g, 0xa00);

			if (chance(&g, 3))
				dst = src + below(&g, 32) - 16; /* overlapping */
			st->gpr[GPR_RSI] = src - segbase;
			st->gpr[GPR_RDI] = s->opcode == 0xf7 ? dst - segbase : dst;
			st->gpr[GPR_RCX] = chance(&g, 8) ? 0 : below(&g, 24);
			if (chance(&g, 2))
				memcpy(st->data + (dst - DIFF_DATA), st->data + (src - DIFF_DATA), 64);
			if (chance(&g, 2)) /* SCAS finds AL/AX/EAX/RAX somewhere */
				store_data(st, dst + 8 * below(&g, 8), &st->gpr[GPR_RAX], 8);
		}
		if (s->map == X86_MAP_1B && s->opcode == 0xd7) /* XLAT */
			st->gpr[GPR_RBX] = DIFF_DATA + 0x100 + below(&g, 0x1000) - segbase;
		if (s->map == X86_MAP_1B && (s->opcode == 0xc8 || s->opcode == 0xc9))
			st->gpr[GPR_RBP] = DIFF_STACK + 0x800 + (below(&g, 0x800) & ~7u);
		if (s->map == X86_MAP_1B && (s->opcode == 0xd2 || s->opcode == 0xd3))
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
			else
				st->gpr[GPR_RDX] = neg ? ~0ULL : 0;
			if (neg)
				st->gpr[GPR_RAX] |= 0x8000000000000000ULL | 0x80000000 | 0x8000 | 0x80;
		}
	}
}
