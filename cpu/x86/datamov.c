/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Data movement: MOV, MOVZX/MOVSX/MOVSXD (ARPL outside 64-bit mode), LEA,
 * XCHG, CMPXCHG, CMPXCHG8B/16B, XADD, CMOVcc, SETcc, CBW/CWD families,
 * LAHF/SAHF, the flag instructions, XLAT, MOVNTI, and the NOP/UD opcode space.
 *
 * References: Intel SDM Vol. 2A-2D, the instruction pages of each mnemonic;
 * Vol. 2 Appendix A for the hint-NOP space (0F 18-1F) and UD0/UD1/UD2.
 */
#include "cpu/x86/int_ops.h"

/* ---- MOV ---- */

static void op_mov_Eb_Gb(struct x86_cpu *cpu, const struct x86_insn *in)
{
	int_no_lock(cpu, in);
	x86_rm_write(cpu, in, 1, x86_get_reg(cpu, in, in->reg, 1));
}

static void op_mov_Ev_Gv(struct x86_cpu *cpu, const struct x86_insn *in)
{
	int_no_lock(cpu, in);
	x86_rm_write(cpu, in, in->opsize, x86_get_reg(cpu, in, in->reg, in->opsize));
}

static void op_mov_Gb_Eb(struct x86_cpu *cpu, const struct x86_insn *in)
{
	int_no_lock(cpu, in);
	x86_set_reg(cpu, in, in->reg, 1, x86_rm_read(cpu, in, 1));
}

static void op_mov_Gv_Ev(struct x86_cpu *cpu, const struct x86_insn *in)
{
	int_no_lock(cpu, in);
	x86_set_reg(cpu, in, in->reg, in->opsize, x86_rm_read(cpu, in, in->opsize));
}

static void op_mov_Zb_Ib(struct x86_cpu *cpu, const struct x86_insn *in)
{
	int_no_lock(cpu, in);
	x86_set_reg(cpu, in, in->opreg, 1, in->imm);
}

/* B8+r: with REX.W the immediate is a full imm64. */
static void op_mov_Zv_Iv(struct x86_cpu *cpu, const struct x86_insn *in)
{
	int_no_lock(cpu, in);
	x86_set_reg(cpu, in, in->opreg, in->opsize, in->imm);
}

/* C6 /0 and C7 /0; other /digits are XABORT/XBEGIN (no RTM) or reserved. */
static void op_mov_Eb_Ib(struct x86_cpu *cpu, const struct x86_insn *in)
{
	int_no_lock(cpu, in);
	if (in->reg & 7)
		x86_ud(cpu);
	x86_rm_write(cpu, in, 1, in->imm);
}

static void op_mov_Ev_Iz(struct x86_cpu *cpu, const struct x86_insn *in)
{
	int_no_lock(cpu, in);
	if (in->reg & 7)
		x86_ud(cpu);
	x86_rm_write(cpu, in, in->opsize, in->imm);
}

/* A0-A3: the moffs is in in->imm, as wide as the address size. */
static inline u64 moffs(const struct x86_insn *in)
{
	return x86_trunc(in->imm, in->addrsize);
}

static void op_mov_AL_Ob(struct x86_cpu *cpu, const struct x86_insn *in)
{
	int_no_lock(cpu, in);
	x86_set_reg8(cpu, false, GPR_RAX, x86_read8(cpu, in->seg, moffs(in)));
}

static void op_mov_rAX_Ov(struct x86_cpu *cpu, const struct x86_insn *in)
{
	int_no_lock(cpu, in);
	x86_set_reg(cpu, in, GPR_RAX, in->opsize, x86_read(cpu, in->seg, moffs(in), in->opsize));
}

static void op_mov_Ob_AL(struct x86_cpu *cpu, const struct x86_insn *in)
{
	int_no_lock(cpu, in);
	x86_write8(cpu, in->seg, moffs(in), (u8)cpu->gpr[GPR_RAX]);
}

static void op_mov_Ov_rAX(struct x86_cpu *cpu, const struct x86_insn *in)
{
	int_no_lock(cpu, in);
	x86_write(cpu, in->seg, moffs(in), in->opsize, x86_trunc(cpu->gpr[GPR_RAX], in->opsize));
}

/* ---- MOVZX / MOVSX / MOVSXD / LEA ---- */

static void op_movzx_Gv_Eb(struct x86_cpu *cpu, const struct x86_insn *in)
{
	int_no_lock(cpu, in);
	x86_set_reg(cpu, in, in->reg, in->opsize, x86_rm_read(cpu, in, 1));
}

static void op_movzx_Gv_Ew(struct x86_cpu *cpu, const struct x86_insn *in)
{
	int_no_lock(cpu, in);
	x86_set_reg(cpu, in, in->reg, in->opsize, x86_rm_read(cpu, in, 2));
}

static void op_movsx_Gv_Eb(struct x86_cpu *cpu, const struct x86_insn *in)
{
	int_no_lock(cpu, in);
	x86_set_reg(cpu, in, in->reg, in->opsize, x86_sext(x86_rm_read(cpu, in, 1), 1));
}

static void op_movsx_Gv_Ew(struct x86_cpu *cpu, const struct x86_insn *in)
{
	int_no_lock(cpu, in);
	x86_set_reg(cpu, in, in->reg, in->opsize, x86_sext(x86_rm_read(cpu, in, 2), 2));
}

static void set_zf(struct x86_cpu *cpu, bool zf);

/*
 * ARPL Ew, Gw (SDM Vol. 2 ARPL): raise the RPL of a selector to the
 * caller's. 16-bit whatever the operand size; #UD in real and virtual-8086
 * mode, where selectors have no RPL. The destination is written back even
 * when it does not change, as the read-modify-write it is (QEMU does too).
 */
static void arpl(struct x86_cpu *cpu, const struct x86_insn *in)
{
	u16 dst, src = (u16)x86_get_reg(cpu, in, in->reg, 2);

	if (cpu->mode == X86_MODE_REAL || cpu->mode == X86_MODE_V86)
		x86_ud(cpu);
	if (in->mod != 3)
		x86_check_write(cpu, in->seg, x86_ea(cpu, in), 2);
	dst = (u16)x86_rm_read(cpu, in, 2);
	if ((dst & 3) < (src & 3)) {
		dst = (u16)((dst & ~3u) | (src & 3u));
		set_zf(cpu, true);
	} else {
		set_zf(cpu, false);
	}
	x86_rm_write(cpu, in, 2, dst);
}

/*
 * 63: MOVSXD in 64-bit mode; without REX.W it moves r/m32 (or r/m16 with 66)
 * like MOV. Outside 64-bit mode 63 is ARPL.
 */
static void op_movsxd_Gv_Ed(struct x86_cpu *cpu, const struct x86_insn *in)
{
	int_no_lock(cpu, in);
	if (!x86_long64(cpu)) {
		arpl(cpu, in);
		return;
	}
	if (in->opsize == 8)
		x86_set_reg(cpu, in, in->reg, 8, x86_sext(x86_rm_read(cpu, in, 4), 4));
	else
		x86_set_reg(cpu, in, in->reg, in->opsize, x86_rm_read(cpu, in, in->opsize));
}

static void op_lea_Gv_M(struct x86_cpu *cpu, const struct x86_insn *in)
{
	if ((in->prefix & X86_PFX_LOCK) || in->mod == 3)
		x86_ud(cpu);
	x86_set_reg(cpu, in, in->reg, in->opsize, x86_ea(cpu, in));
}

/* ---- XCHG / CMPXCHG / XADD ---- */

static inline void xchg(struct x86_cpu *cpu, const struct x86_insn *in, unsigned size)
{
	u64 r = x86_get_reg(cpu, in, in->reg, size);

	int_lock_mem(cpu, in);
	if (in->mod == 3) {
		u64 m = x86_get_reg(cpu, in, in->rm, size);

		x86_set_reg(cpu, in, in->rm, size, r);
		x86_set_reg(cpu, in, in->reg, size, m);
	} else {
		u64 ea = x86_ea(cpu, in);
		u64 m = x86_read(cpu, in->seg, ea, size);

		x86_write(cpu, in->seg, ea, size, r);
		x86_set_reg(cpu, in, in->reg, size, m);
	}
}

static void op_xchg_Eb_Gb(struct x86_cpu *cpu, const struct x86_insn *in)
{
	xchg(cpu, in, 1);
}

static void op_xchg_Ev_Gv(struct x86_cpu *cpu, const struct x86_insn *in)
{
	xchg(cpu, in, in->opsize);
}

/* 90+r. 90 itself (no REX.B) is NOP, also with 66/REX.W, and F3 90 is PAUSE: no zero-extension. */
static void op_xchg_Zv_rAX(struct x86_cpu *cpu, const struct x86_insn *in)
{
	unsigned size = in->opsize;
	u64 a, b;

	int_no_lock(cpu, in);
	if (in->opreg == GPR_RAX)
		return;
	a = x86_get_reg(cpu, in, GPR_RAX, size);
	b = x86_get_reg(cpu, in, in->opreg, size);
	x86_set_reg(cpu, in, GPR_RAX, size, b);
	x86_set_reg(cpu, in, in->opreg, size, a);
}

/*
 * CMPXCHG: a memory destination is always written (old value on mismatch).
 * A register destination is written only on a match and the accumulator
 * only on a mismatch, so 32-bit forms zero-extend just the one written.
 */
static inline void cmpxchg(struct x86_cpu *cpu, const struct x86_insn *in, unsigned size)
{
	u64 acc = x86_get_reg(cpu, in, GPR_RAX, size);
	u64 src = x86_get_reg(cpu, in, in->reg, size);
	u64 dst;

	int_lock_mem(cpu, in);
	if (in->mod == 3) {
		dst = x86_get_reg(cpu, in, in->rm, size);
		if (dst == acc)
			x86_set_reg(cpu, in, in->rm, size, src);
	} else {
		u64 ea = x86_ea(cpu, in);

		dst = x86_read(cpu, in->seg, ea, size);
		x86_write(cpu, in->seg, ea, size, dst == acc ? src : dst);
	}
	x86_lazy(cpu, X86_LF_SUB, size, acc - dst, acc, dst);
	if (dst != acc) {
		if (size == 1)
			x86_set_reg8(cpu, false, GPR_RAX, (u8)dst);
		else
			x86_set_reg(cpu, in, GPR_RAX, size, dst);
	}
}

static void op_cmpxchg_Eb_Gb(struct x86_cpu *cpu, const struct x86_insn *in)
{
	cmpxchg(cpu, in, 1);
}

static void op_cmpxchg_Ev_Gv(struct x86_cpu *cpu, const struct x86_insn *in)
{
	cmpxchg(cpu, in, in->opsize);
}

static inline void xadd(struct x86_cpu *cpu, const struct x86_insn *in, unsigned size)
{
	u64 src = x86_get_reg(cpu, in, in->reg, size);
	u64 dst, sum;

	int_lock_mem(cpu, in);
	if (in->mod == 3) {
		dst = x86_get_reg(cpu, in, in->rm, size);
		sum = x86_trunc(dst + src, size);
		x86_set_reg(cpu, in, in->reg, size, dst);
		x86_set_reg(cpu, in, in->rm, size, sum);
	} else {
		u64 ea = x86_ea(cpu, in);

		dst = x86_read(cpu, in->seg, ea, size);
		sum = x86_trunc(dst + src, size);
		x86_write(cpu, in->seg, ea, size, sum);
		x86_set_reg(cpu, in, in->reg, size, dst);
	}
	x86_lazy(cpu, X86_LF_ADD, size, sum, dst, src);
}

static void op_xadd_Eb_Gb(struct x86_cpu *cpu, const struct x86_insn *in)
{
	xadd(cpu, in, 1);
}

static void op_xadd_Ev_Gv(struct x86_cpu *cpu, const struct x86_insn *in)
{
	xadd(cpu, in, in->opsize);
}

/* ZF alone changes; the rest of the arithmetic flags are kept. */
static void set_zf(struct x86_cpu *cpu, bool zf)
{
	x86_flags_sync(cpu);
	if (zf)
		cpu->rflags |= X86_ZF;
	else
		cpu->rflags &= ~X86_ZF;
}

static void cmpxchg8b(struct x86_cpu *cpu, const struct x86_insn *in)
{
	u64 ea = x86_ea(cpu, in);
	u64 old = x86_read64(cpu, in->seg, ea);
	u64 cmp = (u32)cpu->gpr[GPR_RAX] | (cpu->gpr[GPR_RDX] << 32);
	bool eq = old == cmp;

	x86_write64(cpu, in->seg, ea,
		    eq ? ((u32)cpu->gpr[GPR_RBX] | (cpu->gpr[GPR_RCX] << 32)) : old);
	if (!eq) {
		cpu->gpr[GPR_RAX] = (u32)old;
		cpu->gpr[GPR_RDX] = old >> 32;
	}
	set_zf(cpu, eq);
}

/* CMPXCHG16B: the operand must be 16-byte aligned (#GP(0) otherwise). */
static void cmpxchg16b(struct x86_cpu *cpu, const struct x86_insn *in)
{
	u64 ea = x86_ea(cpu, in);
	u64 old[2], neu[2];
	bool eq;

	if (ea & 15)
		x86_gp0(cpu);
	x86_read_bytes(cpu, in->seg, ea, old, 16);
	eq = old[0] == cpu->gpr[GPR_RAX] && old[1] == cpu->gpr[GPR_RDX];
	if (eq) {
		neu[0] = cpu->gpr[GPR_RBX];
		neu[1] = cpu->gpr[GPR_RCX];
	} else {
		neu[0] = old[0];
		neu[1] = old[1];
	}
	x86_write_bytes(cpu, in->seg, ea, neu, 16);
	if (!eq) {
		cpu->gpr[GPR_RAX] = old[0];
		cpu->gpr[GPR_RDX] = old[1];
	}
	set_zf(cpu, eq);
}

/* 0F C7 group 9: only /1 (CMPXCHG8B/16B, memory form) is implemented; RDRAND/RDSEED/RDPID are not advertised. */
static void op_grp9_Mq(struct x86_cpu *cpu, const struct x86_insn *in)
{
	if ((in->reg & 7) != 1 || in->mod == 3)
		x86_ud(cpu);
	if (in->opsize == 8)
		cmpxchg16b(cpu, in);
	else
		cmpxchg8b(cpu, in);
}

/* ---- CMOVcc / SETcc ---- */

/* The source is read (and may fault) whatever the condition; a 32-bit CMOV always zero-extends. */
static void op_cmovcc_Gv_Ev(struct x86_cpu *cpu, const struct x86_insn *in)
{
	u64 v;

	int_no_lock(cpu, in);
	v = x86_rm_read(cpu, in, in->opsize);
	if (x86_cond(cpu, in->opcode & 15))
		x86_set_reg(cpu, in, in->reg, in->opsize, v);
	else if (in->opsize == 4)
		cpu->gpr[in->reg] = (u32)cpu->gpr[in->reg];
}

static void op_setcc_Eb(struct x86_cpu *cpu, const struct x86_insn *in)
{
	int_no_lock(cpu, in);
	x86_rm_write(cpu, in, 1, x86_cond(cpu, in->opcode & 15));
}

/* ---- accumulator conversions ---- */

static void op_cbw(struct x86_cpu *cpu, const struct x86_insn *in)
{
	unsigned half = in->opsize / 2;

	int_no_lock(cpu, in);
	x86_set_reg(cpu, in, GPR_RAX, in->opsize, x86_sext(cpu->gpr[GPR_RAX], half));
}

static void op_cwd(struct x86_cpu *cpu, const struct x86_insn *in)
{
	int_no_lock(cpu, in);
	x86_set_reg(cpu, in, GPR_RDX, in->opsize,
		    int_msb(cpu->gpr[GPR_RAX], in->opsize) ? ~0ULL : 0);
}

/* ---- flags ---- */

/* LAHF/SAHF move SF:ZF:0:AF:0:PF:1:CF (valid in 64-bit mode: CPUID LAHF-SAHF is advertised). */
#define LAHF_MASK (X86_SF | X86_ZF | X86_AF | X86_PF | X86_CF)

static void op_lahf(struct x86_cpu *cpu, const struct x86_insn *in)
{
	int_no_lock(cpu, in);
	x86_set_reg8(cpu, false, 4, (u8)((x86_get_rflags(cpu) & LAHF_MASK) | 2));
}

static void op_sahf(struct x86_cpu *cpu, const struct x86_insn *in)
{
	u64 ah = (cpu->gpr[GPR_RAX] >> 8) & LAHF_MASK;

	int_no_lock(cpu, in);
	x86_flags_sync(cpu);
	x86_set_arith_flags(cpu, (cpu->rflags & X86_OF) | ah);
}

static void op_clc(struct x86_cpu *cpu, const struct x86_insn *in)
{
	int_no_lock(cpu, in);
	x86_flags_sync(cpu);
	cpu->rflags &= ~X86_CF;
}

static void op_stc(struct x86_cpu *cpu, const struct x86_insn *in)
{
	int_no_lock(cpu, in);
	x86_flags_sync(cpu);
	cpu->rflags |= X86_CF;
}

static void op_cmc(struct x86_cpu *cpu, const struct x86_insn *in)
{
	int_no_lock(cpu, in);
	x86_flags_sync(cpu);
	cpu->rflags ^= X86_CF;
}

static void op_cld(struct x86_cpu *cpu, const struct x86_insn *in)
{
	int_no_lock(cpu, in);
	cpu->rflags &= ~X86_DF;
}

static void op_std(struct x86_cpu *cpu, const struct x86_insn *in)
{
	int_no_lock(cpu, in);
	cpu->rflags |= X86_DF;
}

/* ---- miscellaneous ---- */

static void op_xlat(struct x86_cpu *cpu, const struct x86_insn *in)
{
	u64 off = x86_trunc(cpu->gpr[GPR_RBX] + (u8)cpu->gpr[GPR_RAX], in->addrsize);

	int_no_lock(cpu, in);
	x86_set_reg8(cpu, false, GPR_RAX, x86_read8(cpu, in->seg, off));
}

/*
 * MOVNTI My, Gy: the non-temporal hint means nothing here. "y" is a
 * doubleword unless REX.W (SDM Vol. 2 A.2.2), so a 16-bit operand size (real
 * mode, 16-bit code) still moves 32 bits; a 66 prefix selects another slot
 * of the table (#UD).
 */
static void op_movnti_My_Gy(struct x86_cpu *cpu, const struct x86_insn *in)
{
	unsigned size = in->opsize == 8 ? 8 : 4;

	int_no_lock(cpu, in);
	if (in->mod == 3)
		x86_ud(cpu);
	x86_write(cpu, in->seg, x86_ea(cpu, in), size, x86_get_reg(cpu, in, in->reg, size));
}

/*
 * 0F 0D (PREFETCHW), 0F 18 (PREFETCHh), 0F 19-1F (reserved NOP, including
 * NOP Ev and ENDBR64/32): nothing to do, and the memory operand is never
 * accessed, so no fault.
 */
static void op_nop_Ev(struct x86_cpu *cpu, const struct x86_insn *in)
{
	int_no_lock(cpu, in);
}

/* UD2 (0F 0B), UD1 (0F B9), UD0 (0F FF). */
static void op_ud(struct x86_cpu *cpu, const struct x86_insn *in)
{
	x86_ud(cpu);
}

void x86_register_datamov(struct x86_optable *t)
{
	unsigned i;

	x86_optable_set(t, X86_MAP_1B, 0x88, op_mov_Eb_Gb);
	x86_optable_set(t, X86_MAP_1B, 0x89, op_mov_Ev_Gv);
	x86_optable_set(t, X86_MAP_1B, 0x8a, op_mov_Gb_Eb);
	x86_optable_set(t, X86_MAP_1B, 0x8b, op_mov_Gv_Ev);
	x86_optable_set(t, X86_MAP_1B, 0x8d, op_lea_Gv_M);
	x86_optable_set(t, X86_MAP_1B, 0x63, op_movsxd_Gv_Ed);
	x86_optable_set(t, X86_MAP_1B, 0x86, op_xchg_Eb_Gb);
	x86_optable_set(t, X86_MAP_1B, 0x87, op_xchg_Ev_Gv);
	for (i = 0; i < 8; i++) {
		x86_optable_set(t, X86_MAP_1B, 0x90 + i, op_xchg_Zv_rAX);
		x86_optable_set(t, X86_MAP_1B, 0xb0 + i, op_mov_Zb_Ib);
		x86_optable_set(t, X86_MAP_1B, 0xb8 + i, op_mov_Zv_Iv);
	}
	x86_optable_set(t, X86_MAP_1B, 0x98, op_cbw);
	x86_optable_set(t, X86_MAP_1B, 0x99, op_cwd);
	x86_optable_set(t, X86_MAP_1B, 0x9e, op_sahf);
	x86_optable_set(t, X86_MAP_1B, 0x9f, op_lahf);
	x86_optable_set(t, X86_MAP_1B, 0xa0, op_mov_AL_Ob);
	x86_optable_set(t, X86_MAP_1B, 0xa1, op_mov_rAX_Ov);
	x86_optable_set(t, X86_MAP_1B, 0xa2, op_mov_Ob_AL);
	x86_optable_set(t, X86_MAP_1B, 0xa3, op_mov_Ov_rAX);
	x86_optable_set(t, X86_MAP_1B, 0xc6, op_mov_Eb_Ib);
	x86_optable_set(t, X86_MAP_1B, 0xc7, op_mov_Ev_Iz);
	x86_optable_set(t, X86_MAP_1B, 0xd7, op_xlat);
	x86_optable_set(t, X86_MAP_1B, 0xf5, op_cmc);
	x86_optable_set(t, X86_MAP_1B, 0xf8, op_clc);
	x86_optable_set(t, X86_MAP_1B, 0xf9, op_stc);
	x86_optable_set(t, X86_MAP_1B, 0xfc, op_cld);
	x86_optable_set(t, X86_MAP_1B, 0xfd, op_std);

	x86_optable_set(t, X86_MAP_0F, 0x0b, op_ud);
	x86_optable_set(t, X86_MAP_0F, 0xb9, op_ud);
	x86_optable_set(t, X86_MAP_0F, 0xff, op_ud);
	x86_optable_set(t, X86_MAP_0F, 0x0d, op_nop_Ev);
	for (i = 0x18; i <= 0x1f; i++)
		x86_optable_set(t, X86_MAP_0F, i, op_nop_Ev);
	for (i = 0; i < 16; i++) {
		x86_optable_set(t, X86_MAP_0F, 0x40 + i, op_cmovcc_Gv_Ev);
		x86_optable_set(t, X86_MAP_0F, 0x90 + i, op_setcc_Eb);
	}
	x86_optable_set(t, X86_MAP_0F, 0xb0, op_cmpxchg_Eb_Gb);
	x86_optable_set(t, X86_MAP_0F, 0xb1, op_cmpxchg_Ev_Gv);
	x86_optable_set(t, X86_MAP_0F, 0xb6, op_movzx_Gv_Eb);
	x86_optable_set(t, X86_MAP_0F, 0xb7, op_movzx_Gv_Ew);
	x86_optable_set(t, X86_MAP_0F, 0xbe, op_movsx_Gv_Eb);
	x86_optable_set(t, X86_MAP_0F, 0xbf, op_movsx_Gv_Ew);
	x86_optable_set(t, X86_MAP_0F, 0xc0, op_xadd_Eb_Gb);
	x86_optable_set(t, X86_MAP_0F, 0xc1, op_xadd_Ev_Gv);
	x86_optable_set_mp(t, X86_MAP_0F, 0xc3, X86_MP_NONE, op_movnti_My_Gy);
	x86_optable_set(t, X86_MAP_0F, 0xc7, op_grp9_Mq);
}
