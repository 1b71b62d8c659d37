/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The 0F AE group: FXSAVE/FXRSTOR (and their REX.W 64-bit forms),
 * LDMXCSR/STMXCSR, CLFLUSH, and the fences LFENCE/MFENCE/SFENCE. XSAVE and
 * friends, RDFSBASE.. are not advertised and raise #UD.
 *
 * FXSAVE area (SDM Vol. 1 10.5.1, Table 10-2): FCW, FSW, abridged FTW (one
 * bit per physical register, 1 = not empty), FOP, FIP/FDP (64-bit offsets
 * with REX.W, else 32-bit offset + selector), MXCSR, MXCSR_MASK at 24/28;
 * ST0..ST7 in stack order at 32 + 16*i; XMM0.. at 160 + 16*i (16 registers
 * in 64-bit mode, 8 otherwise). Bytes 464-511 belong to software.
 *
 * References: Intel SDM Vol. 2 FXSAVE, FXRSTOR, LDMXCSR, CLFLUSH.
 */
#include <errno.h>

#include "cpu/x86/fpu.h"

#define FXSAVE_ST 32
#define FXSAVE_XMM 160

static inline void put16(u8 *p, u16 v) { memcpy(p, &v, 2); }
static inline void put32(u8 *p, u32 v) { memcpy(p, &v, 4); }
static inline void put64(u8 *p, u64 v) { memcpy(p, &v, 8); }
static inline u16 get16(const u8 *p) { u16 v; memcpy(&v, p, 2); return v; }
static inline u32 get32(const u8 *p) { u32 v; memcpy(&v, p, 4); return v; }
static inline u64 get64(const u8 *p) { u64 v; memcpy(&v, p, 8); return v; }

static unsigned fx_top(const struct x86_fpu *f)
{
	return (f->fsw & FSW_TOP) >> FSW_TOP_SHIFT;
}

static u64 fx_area(struct x86_cpu *cpu, const struct x86_insn *in)
{
	u64 off = x86_ea(cpu, in);

	if (off & 15)
		x86_gp0(cpu);
	return off;
}

void x86_fpu_to_fxsave(const struct x86_fpu *f, u8 *a, bool wide)
{
	u8 ftw = 0;

	memset(a, 0, FXSAVE_SIZE);
	for (unsigned i = 0; i < 8; i++)
		if (((f->ftw >> (2 * i)) & 3) != FTAG_EMPTY)
			ftw |= (u8)(1u << i);
	put16(a + 0, f->fcw);
	put16(a + 2, f->fsw);
	a[4] = ftw;
	put16(a + 6, f->fop & 0x7ff);
	if (wide) {
		put64(a + 8, f->fip);
		put64(a + 16, f->fdp);
	} else {
		put32(a + 8, (u32)f->fip);
		put32(a + 16, (u32)f->fdp);
	}
	put32(a + 24, f->mxcsr);
	put32(a + 28, MXCSR_MASK_SUPPORTED);
	for (unsigned i = 0; i < 8; i++) {
		const struct x86_fpreg *r = &f->fpr[(fx_top(f) + i) & 7];
		put64(a + FXSAVE_ST + 16 * i, r->mant);
		put16(a + FXSAVE_ST + 16 * i + 8, r->exp);
	}
	memcpy(a + FXSAVE_XMM, f->xmm, sizeof(f->xmm));
}

static void op_fxsave_M(struct x86_cpu *cpu, const struct x86_insn *in)
{
	u8 a[FXSAVE_SIZE];
	unsigned nxmm = x86_long64(cpu) ? 16 : 8, len = FXSAVE_XMM + 16 * nxmm;

	x86_check_fpu(cpu);
	u64 off = fx_area(cpu, in);
	x86_fpu_to_fxsave(&cpu->fpu, a, in->rex & 8);
	x86_check_write(cpu, in->seg, off, FXSAVE_SIZE);
	x86_write_bytes(cpu, in->seg, off, a, len);
}

int x86_fpu_from_fxsave(struct x86_fpu *f, const u8 *a, bool wide, unsigned nxmm)
{
	u32 mxcsr = get32(a + 24);

	if (mxcsr & ~MXCSR_MASK_SUPPORTED)
		return -EINVAL;
	f->fcw = get16(a + 0);
	f->fsw = get16(a + 2);
	/* B is not state of its own: it mirrors ES (SDM Vol. 1 8.1.3.1) */
	f->fsw = (u16)((f->fsw & ~FSW_B) | ((f->fsw & FSW_ES) ? FSW_B : 0));
	f->fop = get16(a + 6) & 0x7ff;
	if (wide) {
		f->fip = get64(a + 8);
		f->fdp = get64(a + 16);
	} else {
		f->fip = get32(a + 8);
		f->fdp = get32(a + 16);
	}
	f->mxcsr = mxcsr;
	for (unsigned i = 0; i < 8; i++) {
		struct x86_fpreg *r = &f->fpr[(fx_top(f) + i) & 7];
		r->mant = get64(a + FXSAVE_ST + 16 * i);
		r->exp = get16(a + FXSAVE_ST + 16 * i + 8);
	}
	f->ftw = 0;
	for (unsigned i = 0; i < 8; i++) {
		unsigned tag = (a[4] >> i) & 1 ? x87_tag_of(&f->fpr[i]) : FTAG_EMPTY;
		f->ftw |= (u16)(tag << (2 * i));
	}
	memcpy(f->xmm, a + FXSAVE_XMM, 16 * nxmm);
	return 0;
}

static void op_fxrstor_M(struct x86_cpu *cpu, const struct x86_insn *in)
{
	u8 a[FXSAVE_SIZE];
	unsigned nxmm = x86_long64(cpu) ? 16 : 8, len = FXSAVE_XMM + 16 * nxmm;

	x86_check_fpu(cpu);
	u64 off = fx_area(cpu, in);
	x86_read_bytes(cpu, in->seg, off, a, len);
	/* A bad MXCSR faults before anything changes. */
	if (get32(a + 24) & ~MXCSR_MASK_SUPPORTED)
		x86_gp0(cpu);
	x86_fpu_from_fxsave(&cpu->fpu, a, in->rex & 8, nxmm);
}

static void op_ldmxcsr_Md(struct x86_cpu *cpu, const struct x86_insn *in)
{
	x86_check_sse(cpu);
	u32 v = x86_read32(cpu, in->seg, x86_ea(cpu, in));
	if (v & ~MXCSR_MASK_SUPPORTED)
		x86_gp0(cpu);
	cpu->fpu.mxcsr = v;
}

static void op_stmxcsr_Md(struct x86_cpu *cpu, const struct x86_insn *in)
{
	x86_check_sse(cpu);
	x86_write32(cpu, in->seg, x86_ea(cpu, in), cpu->fpu.mxcsr);
}

/*
 * CLFLUSH: there is no cache to flush, but the access is checked like a
 * read (#PF/#GP for an unmapped line) without touching the memory, which
 * might be a device register.
 */
static void op_clflush_Mb(struct x86_cpu *cpu, const struct x86_insn *in)
{
	u64 lin = x86_ea(cpu, in);

	if (!x86_long64(cpu) || in->seg == SEG_FS || in->seg == SEG_GS)
		lin += cpu->seg[in->seg].base;
	if (!x86_long64(cpu))
		lin = (u32)lin;
	x86_translate(cpu, lin, X86_ACC_READ, cpu->cpl == 3);
}

/*
 * Fences: vCPUs are host threads, so MFENCE keeps its store-load ordering
 * meaning with a host full barrier; LFENCE/SFENCE are already implied by
 * the host's TSO ordering.
 */
static void op_mfence(struct x86_cpu *cpu, const struct x86_insn *in)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

static void op_lfence(struct x86_cpu *cpu, const struct x86_insn *in)
{
}

static void op_grp15(struct x86_cpu *cpu, const struct x86_insn *in)
{
	unsigned op = in->reg & 7;

	if (in->mod == 3) {
		switch (op) {
		case 5: op_lfence(cpu, in); return;
		case 6: op_mfence(cpu, in); return;
		case 7: op_lfence(cpu, in); return; /* SFENCE */
		default: x86_ud(cpu);
		}
	}
	switch (op) {
	case 0: op_fxsave_M(cpu, in); return;
	case 1: op_fxrstor_M(cpu, in); return;
	case 2: op_ldmxcsr_Md(cpu, in); return;
	case 3: op_stmxcsr_Md(cpu, in); return;
	case 7: op_clflush_Mb(cpu, in); return;
	default: x86_ud(cpu); /* XSAVE, XRSTOR, XSAVEOPT: not advertised */
	}
}

void x86_register_fxsave(struct x86_optable *t)
{
	x86_optable_set_mp(t, X86_MAP_0F, 0xae, X86_MP_NONE, op_grp15);
}
