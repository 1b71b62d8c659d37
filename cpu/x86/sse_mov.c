/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * SSE/SSE2 data movement: MOVUPS/UPD/SS/SD, MOVAPS/APD, MOVLPS/LPD/HPS/HPD,
 * MOVHLPS/MOVLHPS, MOVD/MOVQ to and from XMM, MOVDQA/MOVDQU, MOVMSKPS/PD,
 * MOVNTPS/PD/DQ, MASKMOVDQU. Also x86_register_sse(), which registers every
 * SSE/SSE2/MMX family file.
 *
 * References: Intel SDM Vol. 2 (instruction pages), Vol. 1 ch. 10-11.
 */
#include "cpu/x86/fpu.h"

#define XMM(cpu, r) ((cpu)->fpu.xmm[(r)])

/* 0F 10 / 0F 28: full-width loads, unaligned and aligned. */
static void load128(struct x86_cpu *cpu, const struct x86_insn *in, bool align)
{
	union x86_xmm v;

	x86_check_sse(cpu);
	sse_read_W(cpu, in, &v, 16, align);
	XMM(cpu, in->reg) = v;
}

/* 0F 11 / 0F 29: full-width stores. */
static void store128(struct x86_cpu *cpu, const struct x86_insn *in, bool align)
{
	x86_check_sse(cpu);
	if (in->mod == 3)
		XMM(cpu, in->rm) = XMM(cpu, in->reg);
	else
		sse_write_M(cpu, in, &XMM(cpu, in->reg), 16, align);
}

static void op_movups_Vps_Wps(struct x86_cpu *cpu, const struct x86_insn *in) { load128(cpu, in, false); }
static void op_movups_Wps_Vps(struct x86_cpu *cpu, const struct x86_insn *in) { store128(cpu, in, false); }
static void op_movaps_Vps_Wps(struct x86_cpu *cpu, const struct x86_insn *in) { load128(cpu, in, true); }
static void op_movaps_Wps_Vps(struct x86_cpu *cpu, const struct x86_insn *in) { store128(cpu, in, true); }

/* MOVNTPS/MOVNTPD/MOVNTDQ: aligned stores, memory only; the hint is meaningless here. */
static void op_movntps_Mps_Vps(struct x86_cpu *cpu, const struct x86_insn *in)
{
	if (in->mod == 3)
		x86_ud(cpu);
	store128(cpu, in, true);
}

/* MOVSS/MOVSD: register to register merges the low element; a load zeroes the rest. */
static void op_movss_Vss_Wss(struct x86_cpu *cpu, const struct x86_insn *in)
{
	x86_check_sse(cpu);
	if (in->mod == 3) {
		XMM(cpu, in->reg).l[0] = XMM(cpu, in->rm).l[0];
		return;
	}
	union x86_xmm v = { .q = { 0, 0 } };
	v.l[0] = x86_read32(cpu, in->seg, x86_ea(cpu, in));
	XMM(cpu, in->reg) = v;
}

static void op_movss_Wss_Vss(struct x86_cpu *cpu, const struct x86_insn *in)
{
	x86_check_sse(cpu);
	if (in->mod == 3)
		XMM(cpu, in->rm).l[0] = XMM(cpu, in->reg).l[0];
	else
		x86_write32(cpu, in->seg, x86_ea(cpu, in), XMM(cpu, in->reg).l[0]);
}

static void op_movsd_Vsd_Wsd(struct x86_cpu *cpu, const struct x86_insn *in)
{
	x86_check_sse(cpu);
	if (in->mod == 3) {
		XMM(cpu, in->reg).q[0] = XMM(cpu, in->rm).q[0];
		return;
	}
	u64 v = x86_read64(cpu, in->seg, x86_ea(cpu, in));
	XMM(cpu, in->reg).q[0] = v;
	XMM(cpu, in->reg).q[1] = 0;
}

static void op_movsd_Wsd_Vsd(struct x86_cpu *cpu, const struct x86_insn *in)
{
	x86_check_sse(cpu);
	if (in->mod == 3)
		XMM(cpu, in->rm).q[0] = XMM(cpu, in->reg).q[0];
	else
		x86_write64(cpu, in->seg, x86_ea(cpu, in), XMM(cpu, in->reg).q[0]);
}

/* 0F 12: MOVLPS Vq,Mq, or MOVHLPS Vq,Uq for a register operand. */
static void op_movlps_Vq_Mq(struct x86_cpu *cpu, const struct x86_insn *in)
{
	x86_check_sse(cpu);
	if (in->mod == 3) {
		XMM(cpu, in->reg).q[0] = XMM(cpu, in->rm).q[1];
		return;
	}
	XMM(cpu, in->reg).q[0] = x86_read64(cpu, in->seg, x86_ea(cpu, in));
}

/* 66 0F 12: MOVLPD Vq,Mq (memory only). */
static void op_movlpd_Vq_Mq(struct x86_cpu *cpu, const struct x86_insn *in)
{
	if (in->mod == 3)
		x86_ud(cpu);
	op_movlps_Vq_Mq(cpu, in);
}

/* 0F 16: MOVHPS Vq,Mq, or MOVLHPS Vq,Uq for a register operand. */
static void op_movhps_Vq_Mq(struct x86_cpu *cpu, const struct x86_insn *in)
{
	x86_check_sse(cpu);
	if (in->mod == 3) {
		XMM(cpu, in->reg).q[1] = XMM(cpu, in->rm).q[0];
		return;
	}
	XMM(cpu, in->reg).q[1] = x86_read64(cpu, in->seg, x86_ea(cpu, in));
}

static void op_movhpd_Vq_Mq(struct x86_cpu *cpu, const struct x86_insn *in)
{
	if (in->mod == 3)
		x86_ud(cpu);
	op_movhps_Vq_Mq(cpu, in);
}

/* 0F 13 / 0F 17: store the low / high quadword (memory only). */
static void op_movlps_Mq_Vq(struct x86_cpu *cpu, const struct x86_insn *in)
{
	if (in->mod == 3)
		x86_ud(cpu);
	x86_check_sse(cpu);
	x86_write64(cpu, in->seg, x86_ea(cpu, in), XMM(cpu, in->reg).q[0]);
}

static void op_movhps_Mq_Vq(struct x86_cpu *cpu, const struct x86_insn *in)
{
	if (in->mod == 3)
		x86_ud(cpu);
	x86_check_sse(cpu);
	x86_write64(cpu, in->seg, x86_ea(cpu, in), XMM(cpu, in->reg).q[1]);
}

/* 0F 50: MOVMSKPS Gd,Ups / 66 0F 50: MOVMSKPD Gd,Upd (sign bits; register only). */
static void op_movmskps_Gd_Ups(struct x86_cpu *cpu, const struct x86_insn *in)
{
	if (in->mod != 3)
		x86_ud(cpu);
	x86_check_sse(cpu);
	const union x86_xmm *s = &XMM(cpu, in->rm);
	u64 m = 0;
	for (unsigned i = 0; i < 4; i++)
		m |= (u64)(s->l[i] >> 31) << i;
	cpu->gpr[in->reg] = m;
}

static void op_movmskpd_Gd_Upd(struct x86_cpu *cpu, const struct x86_insn *in)
{
	if (in->mod != 3)
		x86_ud(cpu);
	x86_check_sse(cpu);
	const union x86_xmm *s = &XMM(cpu, in->rm);
	cpu->gpr[in->reg] = (s->q[0] >> 63) | ((s->q[1] >> 63) << 1);
}

/* 66 0F 6E: MOVD Vx,Ed / MOVQ Vx,Eq (REX.W); zero-extends into the register. */
static void op_movd_Vx_Ey(struct x86_cpu *cpu, const struct x86_insn *in)
{
	x86_check_sse(cpu);
	unsigned size = (in->rex & 8) ? 8 : 4;
	u64 v = x86_rm_read(cpu, in, size);
	union x86_xmm *d = &XMM(cpu, in->reg);
	d->q[0] = v;
	d->q[1] = 0;
}

/* 66 0F 7E: MOVD Ed,Vx / MOVQ Eq,Vx (REX.W). */
static void op_movd_Ey_Vx(struct x86_cpu *cpu, const struct x86_insn *in)
{
	x86_check_sse(cpu);
	unsigned size = (in->rex & 8) ? 8 : 4;
	x86_rm_write(cpu, in, size, x86_trunc(XMM(cpu, in->reg).q[0], size));
}

/* F3 0F 7E: MOVQ Vx,Wq (zero-extends). */
static void op_movq_Vx_Wq(struct x86_cpu *cpu, const struct x86_insn *in)
{
	x86_check_sse(cpu);
	u64 v = in->mod == 3 ? XMM(cpu, in->rm).q[0] : x86_read64(cpu, in->seg, x86_ea(cpu, in));
	XMM(cpu, in->reg).q[0] = v;
	XMM(cpu, in->reg).q[1] = 0;
}

/* 66 0F D6: MOVQ Wq,Vx (a register destination has its high half zeroed). */
static void op_movq_Wq_Vx(struct x86_cpu *cpu, const struct x86_insn *in)
{
	x86_check_sse(cpu);
	if (in->mod == 3) {
		XMM(cpu, in->rm).q[0] = XMM(cpu, in->reg).q[0];
		XMM(cpu, in->rm).q[1] = 0;
	} else {
		x86_write64(cpu, in->seg, x86_ea(cpu, in), XMM(cpu, in->reg).q[0]);
	}
}

/*
 * 66 0F F7: MASKMOVDQU Vdq,Udq: store the bytes of Vdq whose mask byte in
 * Udq has bit 7 set to DS:rDI (segment overridable). All-or-nothing: the
 * destination is checked writable before any byte is stored.
 */
static void op_maskmovdqu_Vdq_Udq(struct x86_cpu *cpu, const struct x86_insn *in)
{
	if (in->mod != 3)
		x86_ud(cpu);
	x86_check_sse(cpu);
	const union x86_xmm *src = &XMM(cpu, in->reg), *mask = &XMM(cpu, in->rm);
	int seg = (in->prefix & X86_PFX_SEG) ? in->seg : SEG_DS;
	u64 di = x86_trunc(cpu->gpr[GPR_RDI], in->addrsize);
	u32 bits = 0;

	for (unsigned i = 0; i < 16; i++)
		bits |= (u32)(mask->b[i] >> 7) << i;
	if (!bits)
		return;
	x86_check_write(cpu, seg, di, 16);
	for (unsigned i = 0; i < 16; i++)
		if (bits & (1u << i))
			x86_write8(cpu, seg, x86_trunc(di + i, in->addrsize), src->b[i]);
}

void x86_register_sse(struct x86_optable *t)
{
	const int M = X86_MAP_0F;

	x86_optable_set_mp(t, M, 0x10, X86_MP_NONE, op_movups_Vps_Wps);
	x86_optable_set_mp(t, M, 0x10, X86_MP_66, op_movups_Vps_Wps);   /* MOVUPD */
	x86_optable_set_mp(t, M, 0x10, X86_MP_F3, op_movss_Vss_Wss);
	x86_optable_set_mp(t, M, 0x10, X86_MP_F2, op_movsd_Vsd_Wsd);
	x86_optable_set_mp(t, M, 0x11, X86_MP_NONE, op_movups_Wps_Vps);
	x86_optable_set_mp(t, M, 0x11, X86_MP_66, op_movups_Wps_Vps);   /* MOVUPD */
	x86_optable_set_mp(t, M, 0x11, X86_MP_F3, op_movss_Wss_Vss);
	x86_optable_set_mp(t, M, 0x11, X86_MP_F2, op_movsd_Wsd_Vsd);
	x86_optable_set_mp(t, M, 0x12, X86_MP_NONE, op_movlps_Vq_Mq);
	x86_optable_set_mp(t, M, 0x12, X86_MP_66, op_movlpd_Vq_Mq);
	x86_optable_set_mp(t, M, 0x13, X86_MP_NONE, op_movlps_Mq_Vq);
	x86_optable_set_mp(t, M, 0x13, X86_MP_66, op_movlps_Mq_Vq);     /* MOVLPD */
	x86_optable_set_mp(t, M, 0x16, X86_MP_NONE, op_movhps_Vq_Mq);
	x86_optable_set_mp(t, M, 0x16, X86_MP_66, op_movhpd_Vq_Mq);
	x86_optable_set_mp(t, M, 0x17, X86_MP_NONE, op_movhps_Mq_Vq);
	x86_optable_set_mp(t, M, 0x17, X86_MP_66, op_movhps_Mq_Vq);     /* MOVHPD */
	x86_optable_set_mp(t, M, 0x28, X86_MP_NONE, op_movaps_Vps_Wps);
	x86_optable_set_mp(t, M, 0x28, X86_MP_66, op_movaps_Vps_Wps);   /* MOVAPD */
	x86_optable_set_mp(t, M, 0x29, X86_MP_NONE, op_movaps_Wps_Vps);
	x86_optable_set_mp(t, M, 0x29, X86_MP_66, op_movaps_Wps_Vps);   /* MOVAPD */
	x86_optable_set_mp(t, M, 0x2b, X86_MP_NONE, op_movntps_Mps_Vps);
	x86_optable_set_mp(t, M, 0x2b, X86_MP_66, op_movntps_Mps_Vps);  /* MOVNTPD */
	x86_optable_set_mp(t, M, 0x50, X86_MP_NONE, op_movmskps_Gd_Ups);
	x86_optable_set_mp(t, M, 0x50, X86_MP_66, op_movmskpd_Gd_Upd);
	x86_optable_set_mp(t, M, 0x6e, X86_MP_66, op_movd_Vx_Ey);
	x86_optable_set_mp(t, M, 0x6f, X86_MP_66, op_movaps_Vps_Wps);   /* MOVDQA */
	x86_optable_set_mp(t, M, 0x6f, X86_MP_F3, op_movups_Vps_Wps);   /* MOVDQU */
	x86_optable_set_mp(t, M, 0x7e, X86_MP_66, op_movd_Ey_Vx);
	x86_optable_set_mp(t, M, 0x7e, X86_MP_F3, op_movq_Vx_Wq);
	x86_optable_set_mp(t, M, 0x7f, X86_MP_66, op_movaps_Wps_Vps);   /* MOVDQA */
	x86_optable_set_mp(t, M, 0x7f, X86_MP_F3, op_movups_Wps_Vps);   /* MOVDQU */
	x86_optable_set_mp(t, M, 0xd6, X86_MP_66, op_movq_Wq_Vx);
	x86_optable_set_mp(t, M, 0xe7, X86_MP_66, op_movntps_Mps_Vps);  /* MOVNTDQ */
	x86_optable_set_mp(t, M, 0xf7, X86_MP_66, op_maskmovdqu_Vdq_Udq);

	x86_register_sse_int(t);
	x86_register_sse_fp(t);
	x86_register_sse_cvt(t);
	x86_register_mmx(t);
	x86_register_fxsave(t);
}
