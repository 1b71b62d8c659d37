/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The instruction decoder: bytes -> struct x86_insn (Intel SDM Vol. 2 ch. 2
 * instruction format, 2.2.1 REX, 2.2.1.3/2.2.1.6 RIP-relative and 64-bit
 * addressing, tables 2-1..2-3 ModRM/SIB; Appendix A opcode maps; Vol. 1
 * 3.6.1 and table 3-4 operand/address size).
 *
 * One pass, no allocation: legacy prefixes and REX, the opcode (one, two or
 * three bytes), ModRM/SIB/displacement resolved into base/index/scale/disp
 * for every address size, then immediates. Attributes per opcode come from
 * decode_tables.h. The handler is looked up once here, so executing a cached
 * instruction is a single indirect call.
 *
 * Conventions beyond insn.h: moffs (A0-A3) and the offset of a far pointer
 * (9A/EA) are zero-extended addresses in in->imm; imm2 (ENTER's level, a far
 * pointer's selector) is zero-extended. All other immediates are sign-extended.
 */
#include <errno.h>

#include "cpu/x86/decode_tables.h"
#include "cpu/x86/exec.h"
#include "cpu/x86/insn.h"

static const u8 modrm16_base[8] = { GPR_RBX, GPR_RBX, GPR_RBP, GPR_RBP,
				    X86_REG_NONE, X86_REG_NONE, GPR_RBP, GPR_RBX };
static const u8 modrm16_index[8] = { GPR_RSI, GPR_RDI, GPR_RSI, GPR_RDI,
				     GPR_RSI, GPR_RDI, X86_REG_NONE, X86_REG_NONE };

static const struct x86_optable *optable(void)
{
	static const struct x86_optable *t;
	const struct x86_optable *p = __atomic_load_n(&t, __ATOMIC_ACQUIRE);

	if (unlikely(!p)) {
		p = x86_optable_get();
		__atomic_store_n(&t, p, __ATOMIC_RELEASE);
	}
	return p;
}

static inline u64 get_le(const u8 *p, unsigned n)
{
	u64 v = 0;

	for (unsigned k = 0; k < n; k++)
		v |= (u64)p[k] << (8 * k);
	return v;
}

/* Error for "needed more than lim bytes": too long for x86, or just more than we were given. */
static inline int short_of(unsigned need, unsigned avail)
{
	return need > 15 || avail >= 15 ? -EINVAL : -EAGAIN;
}

/*
 * LOCK is allowed only on the read-modify-write forms listed in SDM Vol. 2
 * "LOCK" (ADD..XOR except CMP, BTS/BTR/BTC, XCHG, XADD, CMPXCHG*, INC/DEC,
 * NOT/NEG) with a memory destination; anything else is #UD.
 */
static bool lockable(unsigned map, u8 op, unsigned reg, unsigned mod)
{
	if (mod == 3)
		return false;
	if (map == X86_MAP_1B)
		return (op < 0x38 && (op & 7) < 2) || (op >= 0x80 && op <= 0x83 && reg != 7) ||
		       op == 0x86 || op == 0x87 || ((op == 0xf6 || op == 0xf7) && (reg == 2 || reg == 3)) ||
		       ((op == 0xfe || op == 0xff) && reg < 2);
	if (map == X86_MAP_0F)
		return op == 0xab || op == 0xb3 || op == 0xbb || (op == 0xba && reg >= 5) || op == 0xb0 ||
		       op == 0xb1 || op == 0xc0 || op == 0xc1 || (op == 0xc7 && reg == 1);
	return false;
}

static void op_ud_lock(struct x86_cpu *cpu, const struct x86_insn *in)
{
	x86_raise(cpu, X86_EXC_UD, X86_NO_ERR);
}

#define NEED(n)                                          \
	do {                                             \
		if (unlikely(i + (n) > lim))             \
			return short_of(i + (n), avail); \
	} while (0)

int x86_decode(const u8 *b, unsigned avail, enum x86_mode mode, struct x86_insn *in)
{
	unsigned lim = avail < 15 ? avail : 15;
	unsigned i = 0;
	bool m64 = mode == X86_MODE_LONG64;
	bool def32 = mode == X86_MODE_PROT32 || mode == X86_MODE_COMPAT32 || m64;
	u8 pfx = 0, rex = 0, seg = X86_REG_NONE, rep = 0;
	unsigned map = X86_MAP_1B, attr, os, as, imm;
	u8 op, mp;

	/* Legacy prefixes and REX. A REX not directly before the opcode is ignored. */
	for (;;) {
		NEED(1);
		op = b[i];
		switch (op) {
		case 0x66: pfx |= X86_PFX_OPSIZE; break;
		case 0x67: pfx |= X86_PFX_ADDRSIZE; break;
		case 0xf0: pfx |= X86_PFX_LOCK; break;
		case 0xf2: pfx |= X86_PFX_REPNE; rep = 0xf2; break;
		case 0xf3: pfx |= X86_PFX_REP; rep = 0xf3; break;
		case 0x26: case 0x2e: case 0x36: case 0x3e:
			if (!m64)
				seg = (op >> 3) & 3; /* 26 ES, 2E CS, 36 SS, 3E DS */
			break;
		case 0x64: seg = SEG_FS; break;
		case 0x65: seg = SEG_GS; break;
		default:
			if (m64 && (op & 0xf0) == 0x40) {
				rex = op;
				i++;
				continue;
			}
			goto opcode;
		}
		rex = 0;
		i++;
	}
opcode:
	i++;
	if (op == 0x0f) {
		NEED(1);
		op = b[i++];
		map = X86_MAP_0F;
		if (op == 0x38 || op == 0x3a) {
			map = op == 0x38 ? X86_MAP_0F38 : X86_MAP_0F3A;
			NEED(1);
			op = b[i++];
		}
	}
	switch (map) {
	case X86_MAP_1B: attr = x86_attr_1b[op]; break;
	case X86_MAP_0F: attr = x86_attr_0f[op]; break;
	case X86_MAP_0F38: attr = X86_A_M; break;
	default: attr = X86_A_M | X86_I_B; break;
	}

	*in = (struct x86_insn){ .map = (u8)map, .opcode = op, .prefix = pfx, .rex = rex,
				 .seg = SEG_DS, .base = X86_REG_NONE, .index = X86_REG_NONE };
	in->opreg = (op & 7) | ((rex & 1) << 3);

	/* Operand and address size (SDM Vol. 1 table 3-4, Vol. 2 2.2.1.2). */
	if (m64) {
		if (rex & 8)
			os = 8;
		else if (attr & X86_A_F64)
			os = 8;
		else if (attr & X86_A_D64)
			os = (pfx & X86_PFX_OPSIZE) ? 2 : 8;
		else
			os = (pfx & X86_PFX_OPSIZE) ? 2 : 4;
		as = (pfx & X86_PFX_ADDRSIZE) ? 4 : 8;
	} else {
		os = def32 != !!(pfx & X86_PFX_OPSIZE) ? 4 : 2;
		as = def32 != !!(pfx & X86_PFX_ADDRSIZE) ? 4 : 2;
		if (attr & X86_A_REG)
			os = 4;
	}
	in->addrsize = (u8)as;

	if (attr & X86_A_M) {
		u8 modrm, mod, rm;

		NEED(1);
		modrm = b[i++];
		mod = modrm >> 6;
		rm = modrm & 7;
		in->has_modrm = true;
		in->reg = ((modrm >> 3) & 7) | ((rex & 4) << 1);
		if (attr & X86_A_REG)
			mod = 3;
		in->mod = mod;
		if (mod == 3) {
			in->rm = rm | ((rex & 1) << 3);
		} else if (as == 2) {
			in->rm = rm;
			in->base = modrm16_base[rm];
			in->index = modrm16_index[rm];
			if (mod == 0 && rm == 6) {
				in->base = X86_REG_NONE;
				NEED(2);
				in->disp = (s16)get_le(b + i, 2);
				i += 2;
			} else if (mod == 1) {
				NEED(1);
				in->disp = (s8)b[i++];
			} else if (mod == 2) {
				NEED(2);
				in->disp = (s16)get_le(b + i, 2);
				i += 2;
			}
			if (in->base == GPR_RBP)
				in->seg = SEG_SS;
		} else {
			u8 base = rm;

			in->rm = rm;
			if (rm == 4) {
				u8 sib, idx;

				NEED(1);
				sib = b[i++];
				in->scale = sib >> 6;
				idx = ((sib >> 3) & 7) | ((rex & 2) << 2);
				if (idx != 4)
					in->index = idx;
				base = sib & 7;
				if (base == 5 && mod == 0) {
					NEED(4);
					in->disp = (s32)get_le(b + i, 4);
					i += 4;
				} else {
					in->base = base | ((rex & 1) << 3);
				}
			} else if (rm == 5 && mod == 0) {
				in->base = m64 ? X86_REG_RIP : X86_REG_NONE;
				NEED(4);
				in->disp = (s32)get_le(b + i, 4);
				i += 4;
			} else {
				in->base = base | ((rex & 1) << 3);
			}
			if (mod == 1) {
				NEED(1);
				in->disp = (s8)b[i++];
			} else if (mod == 2) {
				NEED(4);
				in->disp = (s32)get_le(b + i, 4);
				i += 4;
			}
			if (in->base == GPR_RSP || in->base == GPR_RBP)
				in->seg = SEG_SS;
		}
		/* FF /2 /4 /6 (CALL, JMP, PUSH Ev) default to 64-bit operands. */
		if ((attr & X86_A_GRP5) && m64 && !(rex & 8) && ((in->reg & 7) == 2 ||
		    (in->reg & 7) == 4 || (in->reg & 7) == 6))
			os = (pfx & X86_PFX_OPSIZE) ? 2 : 8;
	}
	in->opsize = (u8)os;

	imm = attr & X86_A_IMM_MASK;
	if (imm == X86_I_GRP3B || imm == X86_I_GRP3Z) {
		if ((in->reg & 7) < 2)
			imm = imm == X86_I_GRP3B ? X86_I_B : X86_I_Z;
		else
			imm = X86_I_NONE;
	}
	switch (imm) {
	case X86_I_NONE:
		break;
	case X86_I_B:
		NEED(1);
		in->imm = (u64)(s64)(s8)b[i++];
		break;
	case X86_I_W:
		NEED(2);
		in->imm = (u64)(s64)(s16)get_le(b + i, 2);
		i += 2;
		break;
	case X86_I_Z:
		if (os == 2) {
			NEED(2);
			in->imm = (u64)(s64)(s16)get_le(b + i, 2);
			i += 2;
		} else {
			NEED(4);
			in->imm = (u64)(s64)(s32)get_le(b + i, 4);
			i += 4;
		}
		break;
	case X86_I_V:
		NEED(os);
		in->imm = get_le(b + i, os);
		if (os < 8)
			in->imm = (u64)(os == 2 ? (s64)(s16)in->imm : (s64)(s32)in->imm);
		i += os;
		break;
	case X86_I_AP: {
		unsigned n = os == 2 ? 2 : 4;

		NEED(n + 2);
		in->imm = get_le(b + i, n);
		in->imm2 = get_le(b + i + n, 2);
		i += n + 2;
		break;
	}
	case X86_I_MOFFS:
		NEED(as);
		in->imm = get_le(b + i, as);
		i += as;
		break;
	case X86_I_ENTER:
		NEED(3);
		in->imm = (u64)(s64)(s16)get_le(b + i, 2);
		in->imm2 = b[i + 2];
		i += 3;
		break;
	}

	/* Segment override (64-bit mode kept only FS/GS, above). */
	if (seg != X86_REG_NONE) {
		in->seg = seg;
		in->prefix |= X86_PFX_SEG;
	}

	/* Mandatory-prefix column: the last of F2/F3, else 66. */
	if (rep == 0xf3)
		mp = X86_MP_F3;
	else if (rep == 0xf2)
		mp = X86_MP_F2;
	else if (pfx & X86_PFX_OPSIZE)
		mp = X86_MP_66;
	else
		mp = X86_MP_NONE;
	in->mp = mp;
	in->len = (u8)i;

	in->op = optable()->fn[map][op][mp];
	if (unlikely(!in->op))
		in->op = x86_op_ud;
	if (unlikely(attr & (X86_A_I64 | X86_A_VEX))) {
		/* i64 opcodes, and VEX/EVEX (C4/C5/62 as VEX in 64-bit mode or with mod == 3). */
		if (m64 || ((attr & X86_A_VEX) && in->mod == 3))
			in->op = x86_op_ud;
	}
	if (unlikely(pfx & X86_PFX_LOCK) && in->op != x86_op_ud &&
	    !lockable(map, op, in->reg & 7, in->has_modrm ? in->mod : 3))
		in->op = op_ud_lock;
	/* The hottest 64-bit forms get a handler specialised for them (fast.c). */
	if (m64 && in->op == optable()->fn[map][op][X86_MP_NONE]) {
		x86_op_fn *fast = x86_fast_select(in);

		if (fast)
			in->op = fast;
	}
	return 0;
}
