/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Packed integer SIMD on MMX (no prefix, 64-bit) and XMM (66 prefix, 128-bit)
 * registers: PADD/PSUB and saturating forms, multiplies, PAVG, PMIN/PMAX,
 * PSADBW, compares, logic, shifts by register and immediate (groups 12-14),
 * unpacks and packs, PSHUFW/D/HW/LW, PEXTRW/PINSRW, PMOVMSKB; and the
 * bitwise and shuffle forms of the FP types (ANDPS.., UNPCKLPS.., SHUFPS/PD).
 *
 * Each operation is written once over a lane array of n bytes (8 or 16);
 * the PINT() macro makes the MMX and the XMM handler from it.
 *
 * References: Intel SDM Vol. 2 (instruction pages), Vol. 1 ch. 9 and 11.4.3.
 */
#include "cpu/x86/fpu.h"

typedef void pint_fn(union x86_xmm *d, const union x86_xmm *s, unsigned n);

static void pint_xmm(struct x86_cpu *cpu, const struct x86_insn *in, pint_fn *fn)
{
	union x86_xmm s, d;

	x86_check_sse(cpu);
	sse_read_W(cpu, in, &s, 16, true);
	d = cpu->fpu.xmm[in->reg];
	fn(&d, &s, 16);
	cpu->fpu.xmm[in->reg] = d;
}

static void pint_mmx(struct x86_cpu *cpu, const struct x86_insn *in, pint_fn *fn)
{
	union x86_xmm s = { .q = { 0, 0 } }, d = { .q = { 0, 0 } };

	mmx_enter(cpu);
	s.q[0] = mmx_read_Q(cpu, in);
	d.q[0] = mmx_get(cpu, in->reg);
	fn(&d, &s, 8);
	mmx_set(cpu, in->reg, d.q[0]);
}

#define PINT(name)                                                                  \
	static void op_##name##_Pq_Qq(struct x86_cpu *cpu, const struct x86_insn *in) \
	{                                                                           \
		pint_mmx(cpu, in, p_##name);                                        \
	}                                                                           \
	PINT_XMM(name)
#define PINT_XMM(name)                                                              \
	static void op_##name##_Vx_Wx(struct x86_cpu *cpu, const struct x86_insn *in) \
	{                                                                           \
		pint_xmm(cpu, in, p_##name);                                        \
	}

static inline u8 sat_u8(int v) { return v < 0 ? 0 : v > 255 ? 255 : (u8)v; }
static inline s8 sat_s8(int v) { return v < -128 ? -128 : v > 127 ? 127 : (s8)v; }
static inline u16 sat_u16(s32 v) { return v < 0 ? 0 : v > 65535 ? 65535 : (u16)v; }
static inline s16 sat_s16(s32 v) { return v < -32768 ? -32768 : v > 32767 ? 32767 : (s16)v; }

/* Lane-wise operations: B, W, D, Q are the lane widths 8..64. */
#define LANES_B for (unsigned i = 0; i < n; i++)
#define LANES_W for (unsigned i = 0; i < n / 2; i++)
#define LANES_D for (unsigned i = 0; i < n / 4; i++)
#define LANES_Q for (unsigned i = 0; i < n / 8; i++)

#define P_LANE(name, LANES, f, expr)                                                  \
	static void p_##name(union x86_xmm *d, const union x86_xmm *s, unsigned n)  \
	{                                                                           \
		LANES d->f[i] = expr;                                               \
	}                                                                           \
	PINT(name)

P_LANE(paddb, LANES_B, b, (u8)(d->b[i] + s->b[i]))
P_LANE(paddw, LANES_W, w, (u16)(d->w[i] + s->w[i]))
P_LANE(paddd, LANES_D, l, d->l[i] + s->l[i])
P_LANE(paddq, LANES_Q, q, d->q[i] + s->q[i])
P_LANE(psubb, LANES_B, b, (u8)(d->b[i] - s->b[i]))
P_LANE(psubw, LANES_W, w, (u16)(d->w[i] - s->w[i]))
P_LANE(psubd, LANES_D, l, d->l[i] - s->l[i])
P_LANE(psubq, LANES_Q, q, d->q[i] - s->q[i])
P_LANE(paddsb, LANES_B, b, (u8)sat_s8((s8)d->b[i] + (s8)s->b[i]))
P_LANE(paddsw, LANES_W, w, (u16)sat_s16((s16)d->w[i] + (s16)s->w[i]))
P_LANE(paddusb, LANES_B, b, sat_u8(d->b[i] + s->b[i]))
P_LANE(paddusw, LANES_W, w, sat_u16((s32)d->w[i] + s->w[i]))
P_LANE(psubsb, LANES_B, b, (u8)sat_s8((s8)d->b[i] - (s8)s->b[i]))
P_LANE(psubsw, LANES_W, w, (u16)sat_s16((s16)d->w[i] - (s16)s->w[i]))
P_LANE(psubusb, LANES_B, b, sat_u8(d->b[i] - s->b[i]))
P_LANE(psubusw, LANES_W, w, sat_u16((s32)d->w[i] - s->w[i]))
P_LANE(pmullw, LANES_W, w, (u16)((s32)(s16)d->w[i] * (s16)s->w[i]))
P_LANE(pmulhw, LANES_W, w, (u16)(((s32)(s16)d->w[i] * (s16)s->w[i]) >> 16))
P_LANE(pmulhuw, LANES_W, w, (u16)(((u32)d->w[i] * s->w[i]) >> 16))
P_LANE(pavgb, LANES_B, b, (u8)((d->b[i] + s->b[i] + 1) >> 1))
P_LANE(pavgw, LANES_W, w, (u16)(((u32)d->w[i] + s->w[i] + 1) >> 1))
P_LANE(pminub, LANES_B, b, d->b[i] < s->b[i] ? d->b[i] : s->b[i])
P_LANE(pmaxub, LANES_B, b, d->b[i] > s->b[i] ? d->b[i] : s->b[i])
P_LANE(pminsw, LANES_W, w, (s16)d->w[i] < (s16)s->w[i] ? d->w[i] : s->w[i])
P_LANE(pmaxsw, LANES_W, w, (s16)d->w[i] > (s16)s->w[i] ? d->w[i] : s->w[i])
P_LANE(pcmpeqb, LANES_B, b, d->b[i] == s->b[i] ? 0xff : 0)
P_LANE(pcmpeqw, LANES_W, w, d->w[i] == s->w[i] ? 0xffff : 0)
P_LANE(pcmpeqd, LANES_D, l, d->l[i] == s->l[i] ? 0xffffffffu : 0)
P_LANE(pcmpgtb, LANES_B, b, (s8)d->b[i] > (s8)s->b[i] ? 0xff : 0)
P_LANE(pcmpgtw, LANES_W, w, (s16)d->w[i] > (s16)s->w[i] ? 0xffff : 0)
P_LANE(pcmpgtd, LANES_D, l, (s32)d->l[i] > (s32)s->l[i] ? 0xffffffffu : 0)
P_LANE(pand, LANES_Q, q, d->q[i] & s->q[i])
P_LANE(pandn, LANES_Q, q, ~d->q[i] & s->q[i])
P_LANE(por, LANES_Q, q, d->q[i] | s->q[i])
P_LANE(pxor, LANES_Q, q, d->q[i] ^ s->q[i])
P_LANE(pmuludq, LANES_Q, q, (u64)d->l[2 * i] * s->l[2 * i])

static void p_pmaddwd(union x86_xmm *d, const union x86_xmm *s, unsigned n)
{
	LANES_D {
		s32 a = (s32)(s16)d->w[2 * i] * (s16)s->w[2 * i];
		s32 b = (s32)(s16)d->w[2 * i + 1] * (s16)s->w[2 * i + 1];
		d->l[i] = (u32)a + (u32)b; /* 0x8000*0x8000*2 wraps to 0x80000000, as specified */
	}
}
PINT(pmaddwd)

static void p_psadbw(union x86_xmm *d, const union x86_xmm *s, unsigned n)
{
	LANES_Q {
		unsigned sum = 0;
		for (unsigned j = 0; j < 8; j++) {
			int v = d->b[8 * i + j] - s->b[8 * i + j];
			sum += (unsigned)(v < 0 ? -v : v);
		}
		d->q[i] = sum;
	}
}
PINT(psadbw)

/* Unpacks interleave the low (or high) halves of d and s, d's element first. */
static void unpack(union x86_xmm *d, const union x86_xmm *s, unsigned n, unsigned esz, bool high)
{
	union x86_xmm r;
	unsigned half = n / 2, off = high ? half : 0;

	for (unsigned i = 0; i < half / esz; i++) {
		memcpy(&r.b[2 * i * esz], &d->b[off + i * esz], esz);
		memcpy(&r.b[(2 * i + 1) * esz], &s->b[off + i * esz], esz);
	}
	memcpy(d, &r, n);
}

#define P_UNPACK(name, esz, high)                                                   \
	static void p_##name(union x86_xmm *d, const union x86_xmm *s, unsigned n)  \
	{                                                                           \
		unpack(d, s, n, esz, high);                                         \
	}                                                                           \
	PINT(name)

P_UNPACK(punpcklbw, 1, false)
P_UNPACK(punpcklwd, 2, false)
P_UNPACK(punpckldq, 4, false)
P_UNPACK(punpckhbw, 1, true)
P_UNPACK(punpckhwd, 2, true)
P_UNPACK(punpckhdq, 4, true)

/* PUNPCKLQDQ/PUNPCKHQDQ exist for XMM only. */
static void p_punpcklqdq(union x86_xmm *d, const union x86_xmm *s, unsigned n) { unpack(d, s, n, 8, false); }
static void p_punpckhqdq(union x86_xmm *d, const union x86_xmm *s, unsigned n) { unpack(d, s, n, 8, true); }
PINT_XMM(punpcklqdq)
PINT_XMM(punpckhqdq)

/* Packs narrow d's elements into the low half of the result and s's into the high half. */
static void p_packsswb(union x86_xmm *d, const union x86_xmm *s, unsigned n)
{
	union x86_xmm r;
	unsigned k = n / 2; /* words per operand */

	for (unsigned i = 0; i < n; i++)
		r.b[i] = (u8)sat_s8((s16)(i < k ? d->w[i] : s->w[i - k]));
	memcpy(d, &r, n);
}
PINT(packsswb)

static void p_packuswb(union x86_xmm *d, const union x86_xmm *s, unsigned n)
{
	union x86_xmm r;
	unsigned k = n / 2;

	for (unsigned i = 0; i < n; i++)
		r.b[i] = sat_u8((s16)(i < k ? d->w[i] : s->w[i - k]));
	memcpy(d, &r, n);
}
PINT(packuswb)

static void p_packssdw(union x86_xmm *d, const union x86_xmm *s, unsigned n)
{
	union x86_xmm r;
	unsigned k = n / 4; /* dwords per operand */

	for (unsigned i = 0; i < n / 2; i++)
		r.w[i] = (u16)sat_s16((s32)(i < k ? d->l[i] : s->l[i - k]));
	memcpy(d, &r, n);
}
PINT(packssdw)

/* ---- shifts ---- */

enum shift_kind { SH_LL, SH_RL, SH_RA };

static void shift_lanes(union x86_xmm *d, unsigned n, unsigned esz, enum shift_kind k, u64 cnt)
{
	unsigned bits = esz * 8;

	for (unsigned i = 0; i < n / esz; i++) {
		u64 v = 0;
		memcpy(&v, &d->b[i * esz], esz);
		if (k == SH_RA) {
			s64 sv = (s64)x86_sext(v, esz);
			v = (u64)(sv >> (cnt >= bits ? bits - 1 : cnt));
		} else if (cnt >= bits) {
			v = 0;
		} else {
			v = k == SH_LL ? v << cnt : v >> cnt;
		}
		memcpy(&d->b[i * esz], &v, esz);
	}
}

/* Shift by the count in the source operand (all 64 low bits count). */
#define P_SHIFT(name, esz, kind)                                                    \
	static void p_##name(union x86_xmm *d, const union x86_xmm *s, unsigned n)  \
	{                                                                           \
		shift_lanes(d, n, esz, kind, s->q[0]);                              \
	}                                                                           \
	PINT(name)

P_SHIFT(psrlw, 2, SH_RL)
P_SHIFT(psrld, 4, SH_RL)
P_SHIFT(psrlq, 8, SH_RL)
P_SHIFT(psraw, 2, SH_RA)
P_SHIFT(psrad, 4, SH_RA)
P_SHIFT(psllw, 2, SH_LL)
P_SHIFT(pslld, 4, SH_LL)
P_SHIFT(psllq, 8, SH_LL)

/*
 * Groups 12/13/14 (0F 71/72/73): shift the register operand rm by Ib.
 * /2 right logical, /4 right arithmetic, /6 left; 0F 73 /3 and /7 are the
 * 66-only byte shifts PSRLDQ and PSLLDQ.
 */
static void shift_imm(struct x86_cpu *cpu, const struct x86_insn *in, unsigned esz, bool xmm)
{
	unsigned op = in->reg & 7;
	u64 cnt = in->imm & 0xff;
	union x86_xmm v = { .q = { 0, 0 } };
	enum shift_kind k;

	if (in->mod != 3)
		x86_ud(cpu);
	switch (op) {
	case 2: k = SH_RL; break;
	case 4: k = SH_RA; break;
	case 6: k = SH_LL; break;
	case 3: case 7: k = op == 3 ? SH_RL : SH_LL; break;
	default: x86_ud(cpu);
	}
	if ((op == 4 && esz == 8) || ((op == 3 || op == 7) && (esz != 8 || !xmm)))
		x86_ud(cpu);
	if (xmm) {
		x86_check_sse(cpu);
		v = cpu->fpu.xmm[in->rm];
	} else {
		mmx_enter(cpu);
		v.q[0] = mmx_get(cpu, in->rm);
	}
	if (op == 3 || op == 7) {
		union x86_xmm r = { .q = { 0, 0 } };
		if (cnt < 16) {
			if (op == 3)
				memcpy(&r.b[0], &v.b[cnt], 16 - cnt);
			else
				memcpy(&r.b[cnt], &v.b[0], 16 - cnt);
		}
		v = r;
	} else {
		shift_lanes(&v, xmm ? 16 : 8, esz, k, cnt);
	}
	if (xmm)
		cpu->fpu.xmm[in->rm] = v;
	else
		mmx_set(cpu, in->rm, v.q[0]);
}

static void op_grp12_Nq_Ib(struct x86_cpu *cpu, const struct x86_insn *in) { shift_imm(cpu, in, 2, false); }
static void op_grp12_Ux_Ib(struct x86_cpu *cpu, const struct x86_insn *in) { shift_imm(cpu, in, 2, true); }
static void op_grp13_Nq_Ib(struct x86_cpu *cpu, const struct x86_insn *in) { shift_imm(cpu, in, 4, false); }
static void op_grp13_Ux_Ib(struct x86_cpu *cpu, const struct x86_insn *in) { shift_imm(cpu, in, 4, true); }
static void op_grp14_Nq_Ib(struct x86_cpu *cpu, const struct x86_insn *in) { shift_imm(cpu, in, 8, false); }
static void op_grp14_Ux_Ib(struct x86_cpu *cpu, const struct x86_insn *in) { shift_imm(cpu, in, 8, true); }

/* ---- shuffles, inserts, extracts ---- */

static void op_pshufw_Pq_Qq_Ib(struct x86_cpu *cpu, const struct x86_insn *in)
{
	mmx_enter(cpu);
	u64 s = mmx_read_Q(cpu, in), r = 0;
	for (unsigned i = 0; i < 4; i++)
		r |= ((s >> (16 * ((in->imm >> (2 * i)) & 3))) & 0xffff) << (16 * i);
	mmx_set(cpu, in->reg, r);
}

static void op_pshufd_Vx_Wx_Ib(struct x86_cpu *cpu, const struct x86_insn *in)
{
	union x86_xmm s, r;

	x86_check_sse(cpu);
	sse_read_W(cpu, in, &s, 16, true);
	for (unsigned i = 0; i < 4; i++)
		r.l[i] = s.l[(in->imm >> (2 * i)) & 3];
	cpu->fpu.xmm[in->reg] = r;
}

/* PSHUFHW (F3) shuffles words 4-7, PSHUFLW (F2) words 0-3; the other half is copied. */
static void pshufxw(struct x86_cpu *cpu, const struct x86_insn *in, unsigned base)
{
	union x86_xmm s, r;

	x86_check_sse(cpu);
	sse_read_W(cpu, in, &s, 16, true);
	r = s;
	for (unsigned i = 0; i < 4; i++)
		r.w[base + i] = s.w[base + ((in->imm >> (2 * i)) & 3)];
	cpu->fpu.xmm[in->reg] = r;
}

static void op_pshufhw_Vx_Wx_Ib(struct x86_cpu *cpu, const struct x86_insn *in) { pshufxw(cpu, in, 4); }
static void op_pshuflw_Vx_Wx_Ib(struct x86_cpu *cpu, const struct x86_insn *in) { pshufxw(cpu, in, 0); }

/* PINSRW: the word comes from a register (low 16 bits) or m16. */
static u16 pinsrw_src(struct x86_cpu *cpu, const struct x86_insn *in)
{
	if (in->mod == 3)
		return (u16)cpu->gpr[in->rm];
	return x86_read16(cpu, in->seg, x86_ea(cpu, in));
}

static void op_pinsrw_Pq_Ry_Ib(struct x86_cpu *cpu, const struct x86_insn *in)
{
	mmx_enter(cpu);
	u16 w = pinsrw_src(cpu, in);
	unsigned sh = 16 * (in->imm & 3);
	u64 v = mmx_get(cpu, in->reg);
	mmx_set(cpu, in->reg, (v & ~(0xffffULL << sh)) | ((u64)w << sh));
}

static void op_pinsrw_Vdq_Ry_Ib(struct x86_cpu *cpu, const struct x86_insn *in)
{
	x86_check_sse(cpu);
	u16 w = pinsrw_src(cpu, in);
	cpu->fpu.xmm[in->reg].w[in->imm & 7] = w;
}

static void op_pextrw_Gd_Nq_Ib(struct x86_cpu *cpu, const struct x86_insn *in)
{
	if (in->mod != 3)
		x86_ud(cpu);
	mmx_enter(cpu);
	cpu->gpr[in->reg] = (mmx_get(cpu, in->rm) >> (16 * (in->imm & 3))) & 0xffff;
}

static void op_pextrw_Gd_Udq_Ib(struct x86_cpu *cpu, const struct x86_insn *in)
{
	if (in->mod != 3)
		x86_ud(cpu);
	x86_check_sse(cpu);
	cpu->gpr[in->reg] = cpu->fpu.xmm[in->rm].w[in->imm & 7];
}

static void op_pmovmskb_Gd_Nq(struct x86_cpu *cpu, const struct x86_insn *in)
{
	if (in->mod != 3)
		x86_ud(cpu);
	mmx_enter(cpu);
	u64 v = mmx_get(cpu, in->rm), m = 0;
	for (unsigned i = 0; i < 8; i++)
		m |= ((v >> (8 * i + 7)) & 1) << i;
	cpu->gpr[in->reg] = m;
}

static void op_pmovmskb_Gd_Udq(struct x86_cpu *cpu, const struct x86_insn *in)
{
	if (in->mod != 3)
		x86_ud(cpu);
	x86_check_sse(cpu);
	const union x86_xmm *s = &cpu->fpu.xmm[in->rm];
	u64 m = 0;
	for (unsigned i = 0; i < 16; i++)
		m |= (u64)(s->b[i] >> 7) << i;
	cpu->gpr[in->reg] = m;
}

/* ---- FP-typed bitwise ops and shuffles (same bits for PS and PD) ---- */

static void op_andps_Vps_Wps(struct x86_cpu *cpu, const struct x86_insn *in) { pint_xmm(cpu, in, p_pand); }
static void op_andnps_Vps_Wps(struct x86_cpu *cpu, const struct x86_insn *in) { pint_xmm(cpu, in, p_pandn); }
static void op_orps_Vps_Wps(struct x86_cpu *cpu, const struct x86_insn *in) { pint_xmm(cpu, in, p_por); }
static void op_xorps_Vps_Wps(struct x86_cpu *cpu, const struct x86_insn *in) { pint_xmm(cpu, in, p_pxor); }
static void op_unpcklps_Vps_Wps(struct x86_cpu *cpu, const struct x86_insn *in) { pint_xmm(cpu, in, p_punpckldq); }
static void op_unpckhps_Vps_Wps(struct x86_cpu *cpu, const struct x86_insn *in) { pint_xmm(cpu, in, p_punpckhdq); }
static void op_unpcklpd_Vpd_Wpd(struct x86_cpu *cpu, const struct x86_insn *in) { pint_xmm(cpu, in, p_punpcklqdq); }
static void op_unpckhpd_Vpd_Wpd(struct x86_cpu *cpu, const struct x86_insn *in) { pint_xmm(cpu, in, p_punpckhqdq); }

static void op_shufps_Vps_Wps_Ib(struct x86_cpu *cpu, const struct x86_insn *in)
{
	union x86_xmm s, r;
	const union x86_xmm *d = &cpu->fpu.xmm[in->reg];
	unsigned imm = in->imm & 0xff;

	x86_check_sse(cpu);
	sse_read_W(cpu, in, &s, 16, true);
	r.l[0] = d->l[imm & 3];
	r.l[1] = d->l[(imm >> 2) & 3];
	r.l[2] = s.l[(imm >> 4) & 3];
	r.l[3] = s.l[(imm >> 6) & 3];
	cpu->fpu.xmm[in->reg] = r;
}

static void op_shufpd_Vpd_Wpd_Ib(struct x86_cpu *cpu, const struct x86_insn *in)
{
	union x86_xmm s, r;
	const union x86_xmm *d = &cpu->fpu.xmm[in->reg];

	x86_check_sse(cpu);
	sse_read_W(cpu, in, &s, 16, true);
	r.q[0] = d->q[in->imm & 1];
	r.q[1] = s.q[(in->imm >> 1) & 1];
	cpu->fpu.xmm[in->reg] = r;
}

#define REG_PINT(opc, name)                                                         \
	do {                                                                        \
		x86_optable_set_mp(t, X86_MAP_0F, opc, X86_MP_NONE, op_##name##_Pq_Qq); \
		x86_optable_set_mp(t, X86_MAP_0F, opc, X86_MP_66, op_##name##_Vx_Wx);   \
	} while (0)

void x86_register_sse_int(struct x86_optable *t)
{
	const int M = X86_MAP_0F;

	REG_PINT(0x60, punpcklbw);
	REG_PINT(0x61, punpcklwd);
	REG_PINT(0x62, punpckldq);
	REG_PINT(0x63, packsswb);
	REG_PINT(0x64, pcmpgtb);
	REG_PINT(0x65, pcmpgtw);
	REG_PINT(0x66, pcmpgtd);
	REG_PINT(0x67, packuswb);
	REG_PINT(0x68, punpckhbw);
	REG_PINT(0x69, punpckhwd);
	REG_PINT(0x6a, punpckhdq);
	REG_PINT(0x6b, packssdw);
	x86_optable_set_mp(t, M, 0x6c, X86_MP_66, op_punpcklqdq_Vx_Wx);
	x86_optable_set_mp(t, M, 0x6d, X86_MP_66, op_punpckhqdq_Vx_Wx);
	x86_optable_set_mp(t, M, 0x70, X86_MP_NONE, op_pshufw_Pq_Qq_Ib);
	x86_optable_set_mp(t, M, 0x70, X86_MP_66, op_pshufd_Vx_Wx_Ib);
	x86_optable_set_mp(t, M, 0x70, X86_MP_F3, op_pshufhw_Vx_Wx_Ib);
	x86_optable_set_mp(t, M, 0x70, X86_MP_F2, op_pshuflw_Vx_Wx_Ib);
	x86_optable_set_mp(t, M, 0x71, X86_MP_NONE, op_grp12_Nq_Ib);
	x86_optable_set_mp(t, M, 0x71, X86_MP_66, op_grp12_Ux_Ib);
	x86_optable_set_mp(t, M, 0x72, X86_MP_NONE, op_grp13_Nq_Ib);
	x86_optable_set_mp(t, M, 0x72, X86_MP_66, op_grp13_Ux_Ib);
	x86_optable_set_mp(t, M, 0x73, X86_MP_NONE, op_grp14_Nq_Ib);
	x86_optable_set_mp(t, M, 0x73, X86_MP_66, op_grp14_Ux_Ib);
	REG_PINT(0x74, pcmpeqb);
	REG_PINT(0x75, pcmpeqw);
	REG_PINT(0x76, pcmpeqd);
	x86_optable_set_mp(t, M, 0xc4, X86_MP_NONE, op_pinsrw_Pq_Ry_Ib);
	x86_optable_set_mp(t, M, 0xc4, X86_MP_66, op_pinsrw_Vdq_Ry_Ib);
	x86_optable_set_mp(t, M, 0xc5, X86_MP_NONE, op_pextrw_Gd_Nq_Ib);
	x86_optable_set_mp(t, M, 0xc5, X86_MP_66, op_pextrw_Gd_Udq_Ib);
	REG_PINT(0xd1, psrlw);
	REG_PINT(0xd2, psrld);
	REG_PINT(0xd3, psrlq);
	REG_PINT(0xd4, paddq);
	REG_PINT(0xd5, pmullw);
	x86_optable_set_mp(t, M, 0xd7, X86_MP_NONE, op_pmovmskb_Gd_Nq);
	x86_optable_set_mp(t, M, 0xd7, X86_MP_66, op_pmovmskb_Gd_Udq);
	REG_PINT(0xd8, psubusb);
	REG_PINT(0xd9, psubusw);
	REG_PINT(0xda, pminub);
	REG_PINT(0xdb, pand);
	REG_PINT(0xdc, paddusb);
	REG_PINT(0xdd, paddusw);
	REG_PINT(0xde, pmaxub);
	REG_PINT(0xdf, pandn);
	REG_PINT(0xe0, pavgb);
	REG_PINT(0xe1, psraw);
	REG_PINT(0xe2, psrad);
	REG_PINT(0xe3, pavgw);
	REG_PINT(0xe4, pmulhuw);
	REG_PINT(0xe5, pmulhw);
	REG_PINT(0xe8, psubsb);
	REG_PINT(0xe9, psubsw);
	REG_PINT(0xea, pminsw);
	REG_PINT(0xeb, por);
	REG_PINT(0xec, paddsb);
	REG_PINT(0xed, paddsw);
	REG_PINT(0xee, pmaxsw);
	REG_PINT(0xef, pxor);
	REG_PINT(0xf1, psllw);
	REG_PINT(0xf2, pslld);
	REG_PINT(0xf3, psllq);
	REG_PINT(0xf4, pmuludq);
	REG_PINT(0xf5, pmaddwd);
	REG_PINT(0xf6, psadbw);
	REG_PINT(0xf8, psubb);
	REG_PINT(0xf9, psubw);
	REG_PINT(0xfa, psubd);
	REG_PINT(0xfb, psubq);
	REG_PINT(0xfc, paddb);
	REG_PINT(0xfd, paddw);
	REG_PINT(0xfe, paddd);

	x86_optable_set_mp(t, M, 0x14, X86_MP_NONE, op_unpcklps_Vps_Wps);
	x86_optable_set_mp(t, M, 0x14, X86_MP_66, op_unpcklpd_Vpd_Wpd);
	x86_optable_set_mp(t, M, 0x15, X86_MP_NONE, op_unpckhps_Vps_Wps);
	x86_optable_set_mp(t, M, 0x15, X86_MP_66, op_unpckhpd_Vpd_Wpd);
	for (int mp = X86_MP_NONE; mp <= X86_MP_66; mp++) {
		x86_optable_set_mp(t, M, 0x54, mp, op_andps_Vps_Wps);  /* ANDPD */
		x86_optable_set_mp(t, M, 0x55, mp, op_andnps_Vps_Wps); /* ANDNPD */
		x86_optable_set_mp(t, M, 0x56, mp, op_orps_Vps_Wps);   /* ORPD */
		x86_optable_set_mp(t, M, 0x57, mp, op_xorps_Vps_Wps);  /* XORPD */
	}
	x86_optable_set_mp(t, M, 0xc6, X86_MP_NONE, op_shufps_Vps_Wps_Ib);
	x86_optable_set_mp(t, M, 0xc6, X86_MP_66, op_shufpd_Vpd_Wpd_Ib);
}
