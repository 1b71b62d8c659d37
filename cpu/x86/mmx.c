/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * MMX state handling and data movement: MOVD/MOVQ to and from MMX
 * registers, EMMS, MOVNTQ, MASKMOVQ, MOVQ2DQ/MOVDQ2Q. The packed integer
 * arithmetic on MMX registers lives in sse_int.c beside its XMM twin.
 *
 * MMi aliases the mantissa of physical x87 register Ri; executing an MMX
 * instruction sets TOP to 0 and tags all eight registers valid, and writing
 * MMi sets Ri's sign/exponent to all ones (SDM Vol. 1 9.5).
 *
 * References: Intel SDM Vol. 1 ch. 9, Vol. 2 instruction pages.
 */
#include "cpu/x86/fpu.h"

void mmx_enter(struct x86_cpu *cpu)
{
	if (cpu->cr0 & X86_CR0_EM) /* MMX with CR0.EM: #UD, not the x87's #NM */
		x86_ud(cpu);
	x86_check_fpu(cpu);
	if (cpu->fpu.fsw & FSW_ES)
		x86_raise(cpu, X86_EXC_MF, X86_NO_ERR);
	cpu->fpu.fsw &= (u16)~FSW_TOP;
	cpu->fpu.ftw = 0;
}

/* 0F 6E: MOVD Pq,Ed / MOVQ Pq,Eq (REX.W). */
static void op_movd_Pq_Ey(struct x86_cpu *cpu, const struct x86_insn *in)
{
	mmx_enter(cpu);
	u64 v = x86_rm_read(cpu, in, (in->rex & 8) ? 8 : 4);
	mmx_set(cpu, in->reg, v);
}

/* 0F 7E: MOVD Ed,Pq / MOVQ Eq,Pq (REX.W). */
static void op_movd_Ey_Pq(struct x86_cpu *cpu, const struct x86_insn *in)
{
	mmx_enter(cpu);
	unsigned size = (in->rex & 8) ? 8 : 4;
	x86_rm_write(cpu, in, size, x86_trunc(mmx_get(cpu, in->reg), size));
}

/* 0F 6F: MOVQ Pq,Qq. */
static void op_movq_Pq_Qq(struct x86_cpu *cpu, const struct x86_insn *in)
{
	mmx_enter(cpu);
	mmx_set(cpu, in->reg, mmx_read_Q(cpu, in));
}

/* 0F 7F: MOVQ Qq,Pq. */
static void op_movq_Qq_Pq(struct x86_cpu *cpu, const struct x86_insn *in)
{
	mmx_enter(cpu);
	u64 v = mmx_get(cpu, in->reg);
	if (in->mod == 3)
		mmx_set(cpu, in->rm, v);
	else
		x86_write64(cpu, in->seg, x86_ea(cpu, in), v);
}

/* 0F E7: MOVNTQ Mq,Pq (memory only). */
static void op_movntq_Mq_Pq(struct x86_cpu *cpu, const struct x86_insn *in)
{
	if (in->mod == 3)
		x86_ud(cpu);
	op_movq_Qq_Pq(cpu, in);
}

/* 0F 77: EMMS: every x87 register tagged empty. */
static void op_emms(struct x86_cpu *cpu, const struct x86_insn *in)
{
	if (cpu->cr0 & X86_CR0_EM)
		x86_ud(cpu);
	x86_check_fpu(cpu);
	if (cpu->fpu.fsw & FSW_ES)
		x86_raise(cpu, X86_EXC_MF, X86_NO_ERR);
	cpu->fpu.ftw = 0xffff;
}

/* F3 0F D6: MOVQ2DQ Vdq,Nq. */
static void op_movq2dq_Vdq_Nq(struct x86_cpu *cpu, const struct x86_insn *in)
{
	if (in->mod != 3)
		x86_ud(cpu);
	x86_check_sse(cpu);
	mmx_enter(cpu);
	cpu->fpu.xmm[in->reg].q[0] = mmx_get(cpu, in->rm);
	cpu->fpu.xmm[in->reg].q[1] = 0;
}

/* F2 0F D6: MOVDQ2Q Pq,Uq. */
static void op_movdq2q_Pq_Uq(struct x86_cpu *cpu, const struct x86_insn *in)
{
	if (in->mod != 3)
		x86_ud(cpu);
	x86_check_sse(cpu);
	mmx_enter(cpu);
	mmx_set(cpu, in->reg, cpu->fpu.xmm[in->rm].q[0]);
}

/* 0F F7: MASKMOVQ Pq,Nq: bytes of Pq selected by bit 7 of Nq's bytes go to DS:rDI. */
static void op_maskmovq_Pq_Nq(struct x86_cpu *cpu, const struct x86_insn *in)
{
	if (in->mod != 3)
		x86_ud(cpu);
	mmx_enter(cpu);
	u64 src = mmx_get(cpu, in->reg), mask = mmx_get(cpu, in->rm);
	int seg = (in->prefix & X86_PFX_SEG) ? in->seg : SEG_DS;
	u64 di = x86_trunc(cpu->gpr[GPR_RDI], in->addrsize);

	if (!(mask & 0x8080808080808080ULL))
		return;
	x86_check_write(cpu, seg, di, 8);
	for (unsigned i = 0; i < 8; i++)
		if ((mask >> (8 * i + 7)) & 1)
			x86_write8(cpu, seg, x86_trunc(di + i, in->addrsize), (u8)(src >> (8 * i)));
}

void x86_register_mmx(struct x86_optable *t)
{
	const int M = X86_MAP_0F;

	x86_optable_set_mp(t, M, 0x6e, X86_MP_NONE, op_movd_Pq_Ey);
	x86_optable_set_mp(t, M, 0x6f, X86_MP_NONE, op_movq_Pq_Qq);
	x86_optable_set_mp(t, M, 0x77, X86_MP_NONE, op_emms);
	x86_optable_set_mp(t, M, 0x7e, X86_MP_NONE, op_movd_Ey_Pq);
	x86_optable_set_mp(t, M, 0x7f, X86_MP_NONE, op_movq_Qq_Pq);
	x86_optable_set_mp(t, M, 0xd6, X86_MP_F3, op_movq2dq_Vdq_Nq);
	x86_optable_set_mp(t, M, 0xd6, X86_MP_F2, op_movdq2q_Pq_Uq);
	x86_optable_set_mp(t, M, 0xe7, X86_MP_NONE, op_movntq_Mq_Pq);
	x86_optable_set_mp(t, M, 0xf7, X86_MP_NONE, op_maskmovq_Pq_Nq);
}
