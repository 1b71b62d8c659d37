/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Lazy arithmetic flags and condition codes (Intel SDM Vol. 1 3.4.3 and
 * Appendix B; Vol. 2 instruction pages for ADD, ADC, SUB, SBB, AND/OR/XOR,
 * INC, DEC, NEG).
 *
 * Hot instructions do not compute CF/PF/AF/ZF/SF/OF. They call x86_lazy()
 * (or x86_lazy_cf() when a carry-in matters) with the values below; the six
 * flags are derived only when something reads them. All values may carry
 * garbage above `size` bytes: everything here masks to the operand size.
 *
 *   op           res                    src1        src2     cf_in
 *   ADD          src1 + src2            dest        source   -
 *   ADC          src1 + src2 + cf_in    dest        source   old CF
 *   SUB / CMP    src1 - src2            dest        source   -
 *   SBB          src1 - src2 - cf_in    dest        source   old CF
 *   LOGIC        result (AND/OR/XOR/TEST): CF = OF = AF = 0, src1/src2 unused
 *   INC          src1 + 1               dest        1        old CF (kept)
 *   DEC          src1 - 1               dest        1        old CF (kept)
 *   NEG          0 - src2               0           dest     - (CF = src2 != 0)
 *
 * For INC/DEC read the old CF with x86_get_cf() before calling x86_lazy_cf(),
 * since x86_lazy*() overwrite the previous lazy state. Instructions whose
 * flags are not of these shapes (shifts, MUL, BT, ...) set them eagerly
 * with x86_set_arith_flags().
 */
#include "cpu/x86/exec.h"

static inline u64 size_mask(unsigned size)
{
	return size >= 8 ? ~0ULL : (1ULL << (size * 8)) - 1;
}

static inline u64 sign_bit(unsigned size)
{
	return 1ULL << (size * 8 - 1);
}

u64 x86_szp(u64 res, unsigned size)
{
	u64 m = size_mask(size);
	u64 f = 0;

	res &= m;
	if (res == 0)
		f |= X86_ZF;
	if (res & sign_bit(size))
		f |= X86_SF;
	if (x86_parity(res))
		f |= X86_PF;
	return f;
}

static bool lazy_cf(const struct x86_lazy_flags *lf)
{
	u64 m = size_mask(lf->size);
	u64 s1 = lf->src1 & m, s2 = lf->src2 & m, r = lf->res & m;

	switch (lf->op) {
	case X86_LF_ADD: return r < s1;
	case X86_LF_ADC: return lf->cf_in ? r <= s1 : r < s1;
	case X86_LF_SUB: return s1 < s2;
	case X86_LF_SBB: return lf->cf_in ? s1 <= s2 : s1 < s2;
	case X86_LF_LOGIC: return false;
	case X86_LF_INC:
	case X86_LF_DEC: return lf->cf_in;
	case X86_LF_NEG: return s2 != 0;
	default: return false;
	}
}

static bool lazy_of(const struct x86_lazy_flags *lf)
{
	u64 sb = sign_bit(lf->size);
	u64 s1 = lf->src1, s2 = lf->src2, r = lf->res;

	switch (lf->op) {
	case X86_LF_ADD:
	case X86_LF_ADC: return ((s1 ^ r) & (s2 ^ r) & sb) != 0;
	case X86_LF_SUB:
	case X86_LF_SBB: return ((s1 ^ s2) & (s1 ^ r) & sb) != 0;
	case X86_LF_INC: return (r & size_mask(lf->size)) == sb;
	case X86_LF_DEC: return (s1 & size_mask(lf->size)) == sb;
	case X86_LF_NEG: return (s2 & size_mask(lf->size)) == sb;
	default: return false;
	}
}

/* The six arithmetic flags of the pending lazy operation. */
static u64 lazy_compute(const struct x86_lazy_flags *lf)
{
	u64 f = x86_szp(lf->res, lf->size);

	if (lazy_cf(lf))
		f |= X86_CF;
	if (lazy_of(lf))
		f |= X86_OF;
	/* AF: carry out of bit 3; for LOGIC it is 0 (SDM leaves it undefined, hardware clears it). */
	if (lf->op != X86_LF_LOGIC && ((lf->src1 ^ lf->src2 ^ lf->res) & 0x10))
		f |= X86_AF;
	return f;
}

void x86_flags_sync(struct x86_cpu *cpu)
{
	if (cpu->lf.op == X86_LF_NONE)
		return;
	cpu->rflags = (cpu->rflags & ~X86_FLAGS_ARITH) | lazy_compute(&cpu->lf);
	cpu->lf.op = X86_LF_NONE;
}

u64 x86_get_rflags(struct x86_cpu *cpu)
{
	x86_flags_sync(cpu);
	return cpu->rflags | 2; /* bit 1 reads as 1 */
}

bool x86_get_cf(struct x86_cpu *cpu)
{
	if (cpu->lf.op == X86_LF_NONE)
		return (cpu->rflags & X86_CF) != 0;
	return lazy_cf(&cpu->lf);
}

/* Condition from a full flag word, SDM Vol. 1 Appendix B table B-1. */
static bool cond_from_flags(u64 f, unsigned cc)
{
	bool r;

	switch (cc >> 1) {
	case 0: r = f & X86_OF; break;
	case 1: r = f & X86_CF; break;
	case 2: r = f & X86_ZF; break;
	case 3: r = f & (X86_CF | X86_ZF); break;
	case 4: r = f & X86_SF; break;
	case 5: r = f & X86_PF; break;
	case 6: r = !(f & X86_SF) != !(f & X86_OF); break;
	default: r = (f & X86_ZF) || (!(f & X86_SF) != !(f & X86_OF)); break;
	}
	return r ^ (cc & 1);
}

bool x86_cond(struct x86_cpu *cpu, unsigned cc)
{
	const struct x86_lazy_flags *lf = &cpu->lf;
	unsigned size = lf->size;
	bool r;

	/* Fast paths: CMP/SUB and logic results followed by the usual Jcc forms. */
	if (lf->op == X86_LF_SUB) {
		u64 m = size_mask(size);
		u64 a = lf->src1 & m, b = lf->src2 & m;
		s64 sa = (s64)x86_sext(a, size), sb = (s64)x86_sext(b, size);

		switch (cc >> 1) {
		case 1: r = a < b; return r ^ (cc & 1);
		case 2: r = a == b; return r ^ (cc & 1);
		case 3: r = a <= b; return r ^ (cc & 1);
		case 6: r = sa < sb; return r ^ (cc & 1);
		case 7: r = sa <= sb; return r ^ (cc & 1);
		default: break;
		}
	} else if (lf->op == X86_LF_LOGIC) {
		u64 res = lf->res & size_mask(size);
		bool zf = res == 0, sf = (res & sign_bit(size)) != 0;

		switch (cc >> 1) {
		case 0: r = false; return r ^ (cc & 1);
		case 1: r = false; return r ^ (cc & 1);
		case 2: r = zf; return r ^ (cc & 1);
		case 3: r = zf; return r ^ (cc & 1);
		case 4: r = sf; return r ^ (cc & 1);
		case 6: r = sf; return r ^ (cc & 1);
		case 7: r = zf || sf; return r ^ (cc & 1);
		default: break;
		}
	} else if (lf->op == X86_LF_NONE) {
		return cond_from_flags(cpu->rflags, cc);
	} else if ((cc >> 1) == 2) { /* E/NE: ZF depends on the result alone */
		r = (lf->res & size_mask(size)) == 0;
		return r ^ (cc & 1);
	} else if ((cc >> 1) == 4) { /* S/NS */
		r = (lf->res & sign_bit(size)) != 0;
		return r ^ (cc & 1);
	}
	return cond_from_flags(lazy_compute(lf), cc);
}
