/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Bit instructions: BT/BTS/BTR/BTC with a register bit offset (0F A3/AB/B3/BB)
 * or an immediate one (group 8, 0F BA /4../7), BSF/BSR (0F BC/BD), BSWAP
 * (0F C8+r).
 *
 * With a register offset and a memory operand the offset is signed and may
 * reach outside the addressed word: the access moves by (offset >> log2(width))
 * words. An immediate offset is taken modulo the operand width.
 *
 * Undefined flags: BT* change only CF. BSF/BSR set the flags as a logic
 * result of the source (ZF = source is zero, as defined; CF = OF = 0, SF/PF
 * from the source) and leave the destination unchanged for a zero source.
 * TZCNT/LZCNT (F3 0F BC/BD) execute as BSF/BSR, as on a CPU without
 * BMI1/ABM, because CPUID does not advertise them; POPCNT is not advertised
 * and stays #UD. BSWAP with a 16-bit operand clears the low word.
 *
 * References: Intel SDM Vol. 2A (BSF, BSR, BSWAP, BT, BTC, BTR, BTS).
 */
#include "cpu/x86/int_ops.h"

enum { BT_BT, BT_BTS, BT_BTR, BT_BTC };

static inline u64 bt_apply(int op, u64 a, unsigned bit)
{
	switch (op) {
	case BT_BTS: return a | (1ULL << bit);
	case BT_BTR: return a & ~(1ULL << bit);
	case BT_BTC: return a ^ (1ULL << bit);
	default: return a;
	}
}

static inline void bt_set_cf(struct x86_cpu *cpu, bool cf)
{
	x86_flags_sync(cpu);
	if (cf)
		cpu->rflags |= X86_CF;
	else
		cpu->rflags &= ~X86_CF;
}

/* `offset` is the bit offset: a register value (signed, may leave the word) or an immediate. */
static void bt_common(struct x86_cpu *cpu, const struct x86_insn *in, int op, u64 offset,
		      bool reg_offset)
{
	unsigned size = in->opsize, n = size * 8, bit = (unsigned)offset & (n - 1);
	u64 a, ea;

	if (op == BT_BT)
		int_no_lock(cpu, in);
	else
		int_lock_mem(cpu, in);
	if (in->mod == 3) {
		a = x86_get_reg(cpu, in, in->rm, size);
		if (op != BT_BT)
			x86_set_reg(cpu, in, in->rm, size, bt_apply(op, a, bit));
	} else {
		ea = x86_ea(cpu, in);
		if (reg_offset) {
			s64 words = (s64)x86_sext(offset, size) >> __builtin_ctz(n);

			ea = x86_trunc(ea + (u64)words * size, in->addrsize);
		}
		a = x86_read(cpu, in->seg, ea, size);
		if (op != BT_BT)
			x86_write(cpu, in->seg, ea, size, bt_apply(op, a, bit));
	}
	bt_set_cf(cpu, (a >> bit) & 1);
}

static void op_bt_Ev_Gv(struct x86_cpu *cpu, const struct x86_insn *in)
{
	bt_common(cpu, in, BT_BT, x86_get_reg(cpu, in, in->reg, in->opsize), true);
}

static void op_bts_Ev_Gv(struct x86_cpu *cpu, const struct x86_insn *in)
{
	bt_common(cpu, in, BT_BTS, x86_get_reg(cpu, in, in->reg, in->opsize), true);
}

static void op_btr_Ev_Gv(struct x86_cpu *cpu, const struct x86_insn *in)
{
	bt_common(cpu, in, BT_BTR, x86_get_reg(cpu, in, in->reg, in->opsize), true);
}

static void op_btc_Ev_Gv(struct x86_cpu *cpu, const struct x86_insn *in)
{
	bt_common(cpu, in, BT_BTC, x86_get_reg(cpu, in, in->reg, in->opsize), true);
}

/* 0F BA group 8: /4 BT, /5 BTS, /6 BTR, /7 BTC; /0../3 are reserved. */
static void op_grp8_Ev_Ib(struct x86_cpu *cpu, const struct x86_insn *in)
{
	unsigned r = in->reg & 7;

	if (r < 4)
		x86_ud(cpu);
	bt_common(cpu, in, (int)(r - 4), in->imm & 0xff, false);
}

static void op_bsf_Gv_Ev(struct x86_cpu *cpu, const struct x86_insn *in)
{
	unsigned size = in->opsize;
	u64 src;

	int_no_lock(cpu, in);
	src = x86_rm_read(cpu, in, size);
	if (src)
		x86_set_reg(cpu, in, in->reg, size, (u64)__builtin_ctzll(src));
	x86_lazy(cpu, X86_LF_LOGIC, size, src, src, 0);
}

static void op_bsr_Gv_Ev(struct x86_cpu *cpu, const struct x86_insn *in)
{
	unsigned size = in->opsize;
	u64 src;

	int_no_lock(cpu, in);
	src = x86_rm_read(cpu, in, size);
	if (src)
		x86_set_reg(cpu, in, in->reg, size, (u64)(63 - __builtin_clzll(src)));
	x86_lazy(cpu, X86_LF_LOGIC, size, src, src, 0);
}

static void op_bswap_Zv(struct x86_cpu *cpu, const struct x86_insn *in)
{
	unsigned r = in->opreg;

	int_no_lock(cpu, in);
	switch (in->opsize) {
	case 8: cpu->gpr[r] = __builtin_bswap64(cpu->gpr[r]); break;
	case 4: cpu->gpr[r] = __builtin_bswap32((u32)cpu->gpr[r]); break;
	default: cpu->gpr[r] &= ~0xffffULL; break;
	}
}

void x86_register_bitops(struct x86_optable *t)
{
	unsigned r;

	x86_optable_set(t, X86_MAP_0F, 0xa3, op_bt_Ev_Gv);
	x86_optable_set(t, X86_MAP_0F, 0xab, op_bts_Ev_Gv);
	x86_optable_set(t, X86_MAP_0F, 0xb3, op_btr_Ev_Gv);
	x86_optable_set(t, X86_MAP_0F, 0xbb, op_btc_Ev_Gv);
	x86_optable_set(t, X86_MAP_0F, 0xba, op_grp8_Ev_Ib);
	x86_optable_set(t, X86_MAP_0F, 0xbc, op_bsf_Gv_Ev);
	x86_optable_set(t, X86_MAP_0F, 0xbd, op_bsr_Gv_Ev);
	for (r = 0; r < 8; r++)
		x86_optable_set(t, X86_MAP_0F, 0xc8 + r, op_bswap_Zv);
}
