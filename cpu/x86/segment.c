/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Segmentation and privilege transfers: execution mode, descriptor loads,
 * MOV/PUSH/POP Sreg, LDS..LGS, far JMP/CALL/RET, IRET, INT n, SYSCALL/SYSRET,
 * SYSENTER/SYSEXIT, SWAPGS, LAR/LSL/VERR/VERW.
 *
 * Every transfer reads and checks everything (stack slots, descriptors)
 * before it writes any register, so a fault leaves the instruction
 * restartable. Task switches and call gates are not implemented (#GP).
 *
 * References: Intel SDM Vol. 3A 3.4-3.5 (segments, descriptors), 5.5-5.8
 * (privilege checks, control transfers), 6.14.3 (IRET in IA-32e mode);
 * Vol. 2 (IRET, RET, JMP, CALL, MOV, SYSCALL, SYSRET, SYSENTER, SYSEXIT,
 * SWAPGS, LAR, LSL, VERR/VERW instruction pages).
 */
#include "cpu/x86/sysdesc.h"

/* ---- descriptors ---- */

static bool desc_locate(struct x86_cpu *cpu, u16 sel, u64 *addr)
{
	u64 base, limit;

	if (sel & 4) {
		if ((cpu->ldtr.sel & ~3u) == 0 || !(cpu->ldtr.attr & SEG_ATTR_P))
			return false;
		base = cpu->ldtr.base;
		limit = cpu->ldtr.limit;
	} else {
		base = cpu->gdtr.base;
		limit = cpu->gdtr.limit;
	}
	if ((u64)(sel | 7) > limit)
		return false;
	*addr = base + (sel & ~7u);
	if (!x86_long64(cpu) && !(cpu->efer & X86_EFER_LMA))
		*addr = (u32)*addr;
	return true;
}

u64 x86_desc_fetch(struct x86_cpu *cpu, u16 sel, u32 err, u64 *addr)
{
	if (!desc_locate(cpu, sel, addr))
		x86_raise(cpu, X86_EXC_GP, err);
	return x86_read_sys(cpu, *addr, 8);
}

bool x86_desc_try(struct x86_cpu *cpu, u16 sel, u64 *raw, u64 *addr)
{
	if ((sel & ~3u) == 0 || !desc_locate(cpu, sel, addr))
		return false;
	*raw = x86_read_sys(cpu, *addr, 8);
	return true;
}

void x86_desc_to_seg(u64 raw, u16 sel, struct seg_reg *s)
{
	u32 limit = (u32)((raw & 0xffff) | ((raw >> 32) & 0xf0000));

	s->sel = sel;
	s->base = ((raw >> 16) & 0xffffff) | ((raw >> 32) & 0xff000000);
	s->attr = (u16)(((raw >> 40) & 0xff) | (((raw >> 52) & 0xf) << 12));
	s->limit = (s->attr & SEG_ATTR_G) ? (limit << 12) | 0xfff : limit;
}

void x86_desc_set_accessed(struct x86_cpu *cpu, u64 addr, u64 raw)
{
	/* Only for code/data; Linux keeps A preset because its GDT is mapped read-only. */
	if ((raw & (1ULL << 44)) && !(raw & (1ULL << 40)))
		x86_write_sys(cpu, addr + 5, 1, ((raw >> 40) & 0xff) | 1);
}

void x86_seg_flat(struct seg_reg *s, u16 sel, bool code, unsigned dpl, bool l, bool db)
{
	s->sel = sel;
	s->base = 0;
	s->limit = 0xffffffff;
	s->attr = (u16)((code ? 0xb : 0x3) | SEG_ATTR_S | (dpl << 5) | SEG_ATTR_P | SEG_ATTR_G |
			(l ? SEG_ATTR_L : 0) | (db ? SEG_ATTR_DB : 0));
}

static bool is_code(u16 attr) { return (attr & SEG_ATTR_S) && (attr & X86_DESC_CODE); }
static bool is_conforming(u16 attr) { return is_code(attr) && (attr & X86_DESC_CONFORM); }

/* ---- mode ---- */

void x86_update_mode(struct x86_cpu *cpu)
{
	u8 old = cpu->mode, mode;
	u16 cs_attr = cpu->seg[SEG_CS].attr;

	if (!(cpu->cr0 & X86_CR0_PE)) {
		mode = X86_MODE_REAL;
		cpu->cpl = 0;
	} else if (cpu->efer & X86_EFER_LMA) {
		if (cs_attr & SEG_ATTR_L)
			mode = X86_MODE_LONG64;
		else
			mode = (cs_attr & SEG_ATTR_DB) ? X86_MODE_COMPAT32 : X86_MODE_COMPAT16;
		cpu->cpl = cpu->seg[SEG_CS].sel & 3;
	} else if (cpu->rflags & X86_VM) {
		mode = X86_MODE_V86;
		cpu->cpl = 3;
	} else {
		mode = (cs_attr & SEG_ATTR_DB) ? X86_MODE_PROT32 : X86_MODE_PROT16;
		/* Right after MOV CR0 sets PE, CS still holds a real-mode selector: CPL stays 0. */
		if (old != X86_MODE_REAL)
			cpu->cpl = cpu->seg[SEG_CS].sel & 3;
		else
			cpu->cpl = 0;
	}
	if (mode != old)
		cpu->end_block = true;
	cpu->mode = mode;
}

/* ---- data segment loads ---- */

/*
 * Check `sel` for segment register `seg` at privilege `cpl` and build its
 * image in *s (Vol. 2 MOV, POP; Vol. 3A 5.6, 5.7). Protected mode only.
 */
static void seg_check(struct x86_cpu *cpu, int seg, u16 sel, unsigned cpl, bool long64,
		      struct seg_reg *s)
{
	u16 err = sel & ~3u;
	u64 addr, raw;

	if (err == 0) {
		if (seg == SEG_SS) {
			/* 64-bit mode allows a null SS below ring 3 (Vol. 3A 5.6). */
			if (!long64 || cpl == 3 || (sel & 3) != cpl)
				x86_raise(cpu, X86_EXC_GP, 0);
			x86_seg_flat(s, sel, false, cpl, false, true);
			return;
		}
		*s = (struct seg_reg){ .sel = sel };
		return;
	}
	raw = x86_desc_fetch(cpu, sel, err, &addr);
	x86_desc_to_seg(raw, sel, s);
	if (seg == SEG_SS) {
		if ((sel & 3) != cpl || !(s->attr & SEG_ATTR_S) || (s->attr & X86_DESC_CODE) ||
		    !(s->attr & X86_DESC_WRITE) || SEG_ATTR_DPL(s->attr) != cpl)
			x86_raise(cpu, X86_EXC_GP, err);
		if (!(s->attr & SEG_ATTR_P))
			x86_raise(cpu, X86_EXC_SS, err);
	} else {
		if (!(s->attr & SEG_ATTR_S) || (is_code(s->attr) && !(s->attr & X86_DESC_READ)))
			x86_raise(cpu, X86_EXC_GP, err);
		if (!is_conforming(s->attr) &&
		    ((sel & 3) > SEG_ATTR_DPL(s->attr) || cpl > SEG_ATTR_DPL(s->attr)))
			x86_raise(cpu, X86_EXC_GP, err);
		if (!(s->attr & SEG_ATTR_P))
			x86_raise(cpu, X86_EXC_NP, err);
	}
	x86_desc_set_accessed(cpu, addr, raw);
	s->attr |= X86_DESC_ACCESSED;
}

void x86_load_seg(struct x86_cpu *cpu, int seg, u16 sel)
{
	struct seg_reg *s = &cpu->seg[seg];

	if (cpu->mode == X86_MODE_REAL) {
		s->sel = sel;
		s->base = (u64)sel << 4;
		return;
	}
	if (cpu->mode == X86_MODE_V86) {
		s->sel = sel;
		s->base = (u64)sel << 4;
		s->limit = 0xffff;
		s->attr = 0xf3;
		return;
	}
	seg_check(cpu, seg, sel, cpu->cpl, x86_long64(cpu), s);
}

/* ---- stack access with the current stack address size ---- */

static u64 sp_mask(const struct x86_cpu *cpu)
{
	if (x86_long64(cpu))
		return ~0ULL;
	return (cpu->seg[SEG_SS].attr & SEG_ATTR_DB) ? 0xffffffffULL : 0xffffULL;
}

static unsigned stack_opsize(const struct x86_cpu *cpu, const struct x86_insn *in)
{
	if (x86_long64(cpu))
		return in->opsize == 2 ? 2 : 8;
	return in->opsize;
}

/* Read `size` bytes at SS:rSP + k. */
static u64 stk_read(struct x86_cpu *cpu, u64 k, unsigned size)
{
	return x86_read(cpu, SEG_SS, (cpu->gpr[GPR_RSP] + k) & sp_mask(cpu), size);
}

/* Write `size` bytes at SS:rSP - k. */
static void stk_write(struct x86_cpu *cpu, u64 k, unsigned size, u64 v)
{
	x86_write(cpu, SEG_SS, (cpu->gpr[GPR_RSP] - k) & sp_mask(cpu), size, v);
}

static void set_sp(struct x86_cpu *cpu, u64 v)
{
	u64 m = sp_mask(cpu);

	cpu->gpr[GPR_RSP] = (cpu->gpr[GPR_RSP] & ~m) | (v & m);
}

/* ---- RFLAGS ---- */

static void write_flags(struct x86_cpu *cpu, u64 val, unsigned opsize, bool iret, unsigned cpl)
{
	u64 cur = x86_get_rflags(cpu);
	u64 m = X86_FLAGS_ARITH | X86_TF | X86_DF | X86_NT;
	bool real = cpu->mode == X86_MODE_REAL;

	if (opsize >= 4)
		m |= X86_AC | X86_ID | (iret ? X86_RF : 0);
	if (real || cpl <= ((cur & X86_IOPL) >> 12))
		m |= X86_IF;
	if (cpl == 0 && cpu->mode != X86_MODE_V86)
		m |= X86_IOPL;
	if (iret && !real && cpl == 0 && opsize >= 4)
		m |= X86_VIF | X86_VIP;
	if (opsize == 2)
		m &= 0xffff;
	x86_rflags_set_raw(cpu, ((cur & ~m) | (val & m)) & ~(iret ? 0 : X86_RF));
	cpu->end_block = true;
}

void x86_write_rflags(struct x86_cpu *cpu, u64 val, unsigned opsize)
{
	write_flags(cpu, val, opsize, false, cpu->cpl);
}

/* ---- far transfers ---- */

static void load_cs_real(struct x86_cpu *cpu, u16 sel)
{
	struct seg_reg *cs = &cpu->seg[SEG_CS];

	cs->sel = sel;
	cs->base = (u64)sel << 4;
	if (cpu->mode == X86_MODE_V86) {
		cs->limit = 0xffff;
		cs->attr = 0xfb;
	}
}

/*
 * Check a code-segment target for JMP/CALL (ret = false: same privilege
 * only) or RET/IRET (ret = true: RPL >= CPL, runs at RPL). Builds the image.
 */
static void code_check(struct x86_cpu *cpu, u16 sel, bool ret, struct seg_reg *cs, u64 *addr,
		       u64 *raw)
{
	u16 err = sel & ~3u;
	unsigned rpl = sel & 3, dpl;

	if (err == 0)
		x86_raise(cpu, X86_EXC_GP, 0);
	if (ret && rpl < cpu->cpl)
		x86_raise(cpu, X86_EXC_GP, err);
	*raw = x86_desc_fetch(cpu, sel, err, addr);
	x86_desc_to_seg(*raw, sel, cs);
	/* System descriptors (call gates, TSS, task gates) are not supported. */
	if (!is_code(cs->attr))
		x86_raise(cpu, X86_EXC_GP, err);
	dpl = SEG_ATTR_DPL(cs->attr);
	if (ret) {
		if (is_conforming(cs->attr) ? dpl > rpl : dpl != rpl)
			x86_raise(cpu, X86_EXC_GP, err);
	} else {
		if (is_conforming(cs->attr) ? dpl > cpu->cpl : (rpl > cpu->cpl || dpl != cpu->cpl))
			x86_raise(cpu, X86_EXC_GP, err);
	}
	if (!(cs->attr & SEG_ATTR_P))
		x86_raise(cpu, X86_EXC_NP, err);
	if ((cpu->efer & X86_EFER_LMA) && (cs->attr & SEG_ATTR_L) && (cs->attr & SEG_ATTR_DB))
		x86_raise(cpu, X86_EXC_GP, err);
	/* The only memory write of a far transfer's CS load: do it before any register changes. */
	x86_desc_set_accessed(cpu, *addr, *raw);
	cs->attr |= X86_DESC_ACCESSED;
}

static bool target64(const struct x86_cpu *cpu, const struct seg_reg *cs)
{
	return (cpu->efer & X86_EFER_LMA) && (cs->attr & SEG_ATTR_L);
}

static void check_target_ip(struct x86_cpu *cpu, const struct seg_reg *cs, u64 ip)
{
	if (target64(cpu, cs) ? !x86_canonical(ip) : ip > cs->limit)
		x86_raise(cpu, X86_EXC_GP, 0);
}

static void commit_cs(struct x86_cpu *cpu, struct seg_reg *cs, unsigned cpl, u64 ip)
{
	cs->sel = (u16)((cs->sel & ~3u) | cpl);
	cpu->seg[SEG_CS] = *cs;
	cpu->cpl = (u8)cpl;
	cpu->next_rip = ip;
	x86_update_mode(cpu);
	cpu->end_block = true;
}

void x86_far_jmp(struct x86_cpu *cpu, u16 sel, u64 off)
{
	struct seg_reg cs;
	u64 addr, raw;

	if (cpu->mode == X86_MODE_REAL || cpu->mode == X86_MODE_V86) {
		load_cs_real(cpu, sel);
		cpu->next_rip = off;
		cpu->end_block = true;
		return;
	}
	code_check(cpu, sel, false, &cs, &addr, &raw);
	check_target_ip(cpu, &cs, off);
	commit_cs(cpu, &cs, cpu->cpl, off);
}

void x86_far_call(struct x86_cpu *cpu, u16 sel, u64 off, unsigned opsize)
{
	struct seg_reg cs;
	u64 addr, raw;
	bool legacy = cpu->mode == X86_MODE_REAL || cpu->mode == X86_MODE_V86;

	if (!legacy) {
		code_check(cpu, sel, false, &cs, &addr, &raw);
		check_target_ip(cpu, &cs, off);
	}
	stk_write(cpu, opsize, opsize, cpu->seg[SEG_CS].sel);
	stk_write(cpu, 2 * opsize, opsize, x86_trunc(cpu->next_rip, opsize));
	set_sp(cpu, cpu->gpr[GPR_RSP] - 2 * opsize);
	if (legacy) {
		load_cs_real(cpu, sel);
		cpu->next_rip = off;
		cpu->end_block = true;
		return;
	}
	commit_cs(cpu, &cs, cpu->cpl, off);
}

/* Returning to an outer ring: data segments the new CPL may not use become null. */
static void null_inner_segs(struct x86_cpu *cpu, unsigned cpl)
{
	static const int segs[] = { SEG_ES, SEG_DS, SEG_FS, SEG_GS };

	for (unsigned i = 0; i < ARRAY_SIZE(segs); i++) {
		struct seg_reg *s = &cpu->seg[segs[i]];

		if ((s->attr & SEG_ATTR_S) && !is_conforming(s->attr) &&
		    SEG_ATTR_DPL(s->attr) < cpl) {
			s->sel = 0;
			s->attr = 0;
		}
	}
}

/* Load SS:rSP popped by RET/IRET to privilege `cpl`; 64-bit-mode null SS rules. */
static void outer_stack(struct x86_cpu *cpu, u16 ss_sel, unsigned cpl, bool to64,
			struct seg_reg *ss)
{
	if ((ss_sel & ~3u) == 0 && to64 && cpl != 3 && (ss_sel & 3) == cpl) {
		x86_seg_flat(ss, ss_sel, false, cpl, false, true);
		return;
	}
	if ((ss_sel & 3) != cpl)
		x86_raise(cpu, X86_EXC_GP, ss_sel & ~3u);
	seg_check(cpu, SEG_SS, ss_sel, cpl, false, ss);
}

static void set_rsp_after(struct x86_cpu *cpu, u64 sp, unsigned opsize, const struct seg_reg *ss)
{
	if (opsize == 8)
		cpu->gpr[GPR_RSP] = sp;
	else if (ss->attr & SEG_ATTR_DB)
		cpu->gpr[GPR_RSP] = (u32)sp;
	else
		cpu->gpr[GPR_RSP] = (cpu->gpr[GPR_RSP] & ~0xffffULL) | (u16)sp;
}

static void far_ret(struct x86_cpu *cpu, unsigned op, u16 imm)
{
	u64 ip = stk_read(cpu, 0, op), addr, raw;
	u16 sel = (u16)stk_read(cpu, op, op);
	struct seg_reg cs, ss;
	unsigned rpl = sel & 3;

	if (cpu->mode == X86_MODE_REAL || cpu->mode == X86_MODE_V86) {
		set_sp(cpu, cpu->gpr[GPR_RSP] + 2 * op + imm);
		load_cs_real(cpu, sel);
		cpu->next_rip = ip;
		cpu->end_block = true;
		return;
	}
	code_check(cpu, sel, true, &cs, &addr, &raw);
	check_target_ip(cpu, &cs, ip);
	if (rpl > cpu->cpl) {
		u64 sp = stk_read(cpu, 2 * op + imm, op);
		u16 ss_sel = (u16)stk_read(cpu, 3 * op + imm, op);

		outer_stack(cpu, ss_sel, rpl, target64(cpu, &cs), &ss);
		commit_cs(cpu, &cs, rpl, ip);
		cpu->seg[SEG_SS] = ss;
		set_rsp_after(cpu, sp + imm, op, &ss);
		null_inner_segs(cpu, rpl);
		return;
	}
	set_sp(cpu, cpu->gpr[GPR_RSP] + 2 * op + imm);
	commit_cs(cpu, &cs, cpu->cpl, ip);
}

static void op_retf(struct x86_cpu *cpu, const struct x86_insn *in)
{
	far_ret(cpu, in->opsize, in->opcode == 0xca ? (u16)in->imm : 0);
}

static void iret_to_v86(struct x86_cpu *cpu, u64 ip, u16 sel, u64 fl)
{
	static const int segs[] = { SEG_ES, SEG_DS, SEG_FS, SEG_GS };
	u64 sp = stk_read(cpu, 12, 4);
	u16 ss = (u16)stk_read(cpu, 16, 4), s[4];

	for (unsigned i = 0; i < 4; i++)
		s[i] = (u16)stk_read(cpu, 20 + 4 * i, 4);
	x86_rflags_set_raw(cpu, fl);
	cpu->mode = X86_MODE_V86;
	load_cs_real(cpu, sel);
	x86_load_seg(cpu, SEG_SS, ss);
	for (unsigned i = 0; i < 4; i++)
		x86_load_seg(cpu, segs[i], s[i]);
	cpu->gpr[GPR_RSP] = (u32)sp;
	cpu->next_rip = ip & 0xffff;
	x86_update_mode(cpu);
	cpu->end_block = true;
}

static void op_iret(struct x86_cpu *cpu, const struct x86_insn *in)
{
	unsigned op = in->opsize, cpl = cpu->cpl, rpl;
	bool lma = (cpu->efer & X86_EFER_LMA) != 0;
	u64 ip, fl, addr, raw;
	struct seg_reg cs, ss;
	u16 sel;
	bool pop_ss;

	if (cpu->mode == X86_MODE_V86 && (x86_get_rflags(cpu) & X86_IOPL) != X86_IOPL)
		x86_gp0(cpu);
	ip = stk_read(cpu, 0, op);
	sel = (u16)stk_read(cpu, op, op);
	fl = stk_read(cpu, 2 * op, op);
	if (cpu->mode == X86_MODE_REAL || cpu->mode == X86_MODE_V86) {
		set_sp(cpu, cpu->gpr[GPR_RSP] + 3 * op);
		load_cs_real(cpu, sel);
		write_flags(cpu, fl, op, true, cpl);
		cpu->next_rip = ip;
		cpu->end_block = true;
		return;
	}
	/* NT set: a task return, which needs hardware task switching (not in IA-32e mode at all). */
	if (x86_get_rflags(cpu) & X86_NT)
		x86_gp0(cpu);
	if (!lma && op == 4 && (fl & X86_VM) && cpl == 0) {
		iret_to_v86(cpu, ip, sel, fl);
		return;
	}
	code_check(cpu, sel, true, &cs, &addr, &raw);
	rpl = sel & 3;
	pop_ss = x86_long64(cpu) || rpl > cpl;
	if (pop_ss) {
		u64 sp = stk_read(cpu, 3 * op, op);
		u16 ss_sel = (u16)stk_read(cpu, 4 * op, op);

		outer_stack(cpu, ss_sel, rpl, target64(cpu, &cs), &ss);
		check_target_ip(cpu, &cs, ip);
		write_flags(cpu, fl, op, true, cpl);
		commit_cs(cpu, &cs, rpl, ip);
		cpu->seg[SEG_SS] = ss;
		set_rsp_after(cpu, sp, op, &ss);
	} else {
		check_target_ip(cpu, &cs, ip);
		set_sp(cpu, cpu->gpr[GPR_RSP] + 3 * op);
		write_flags(cpu, fl, op, true, cpl);
		commit_cs(cpu, &cs, rpl, ip);
	}
	if (rpl > cpl)
		null_inner_segs(cpu, rpl);
}

static void op_jmpf_Ap(struct x86_cpu *cpu, const struct x86_insn *in)
{
	if (x86_long64(cpu))
		x86_ud(cpu);
	x86_far_jmp(cpu, (u16)in->imm2, x86_trunc(in->imm, in->opsize));
}

static void op_callf_Ap(struct x86_cpu *cpu, const struct x86_insn *in)
{
	if (x86_long64(cpu))
		x86_ud(cpu);
	x86_far_call(cpu, (u16)in->imm2, x86_trunc(in->imm, in->opsize), in->opsize);
}

/* ---- software interrupts ---- */

static void op_int_Ib(struct x86_cpu *cpu, const struct x86_insn *in)
{
	if (cpu->mode == X86_MODE_V86 && (x86_get_rflags(cpu) & X86_IOPL) != X86_IOPL)
		x86_gp0(cpu);
	x86_raise_trap(cpu, (u8)in->imm, true);
}

static void op_int3(struct x86_cpu *cpu, const struct x86_insn *in)
{
	x86_raise_trap(cpu, X86_EXC_BP, true);
}

static void op_into(struct x86_cpu *cpu, const struct x86_insn *in)
{
	if (x86_long64(cpu))
		x86_ud(cpu);
	if (x86_get_rflags(cpu) & X86_OF)
		x86_raise_trap(cpu, X86_EXC_OF, true);
}

static void op_int1(struct x86_cpu *cpu, const struct x86_insn *in)
{
	x86_raise_trap(cpu, X86_EXC_DB, false);
}

/* ---- fast system calls ---- */

static void op_syscall(struct x86_cpu *cpu, const struct x86_insn *in)
{
	u16 sel = (u16)(cpu->msr.star >> 32) & ~3u;
	u64 fl;

	/* Intel: only in 64-bit mode (compatibility-mode SYSCALL is AMD's). */
	if (!x86_long64(cpu) || !(cpu->efer & X86_EFER_SCE))
		x86_ud(cpu);
	fl = x86_get_rflags(cpu);
	cpu->gpr[GPR_RCX] = cpu->next_rip;
	cpu->gpr[GPR_R11] = fl & ~X86_RF;
	x86_rflags_set_raw(cpu, fl & ~(cpu->msr.sfmask | X86_RF));
	x86_seg_flat(&cpu->seg[SEG_CS], sel, true, 0, true, false);
	x86_seg_flat(&cpu->seg[SEG_SS], (u16)(sel + 8), false, 0, false, true);
	cpu->cpl = 0;
	cpu->next_rip = cpu->msr.lstar;
	x86_update_mode(cpu);
	cpu->end_block = true;
}

static void op_sysret(struct x86_cpu *cpu, const struct x86_insn *in)
{
	u16 sel = (u16)(cpu->msr.star >> 48);
	bool to64 = in->opsize == 8;

	if (!x86_long64(cpu) || !(cpu->efer & X86_EFER_SCE))
		x86_ud(cpu);
	if (cpu->cpl != 0)
		x86_gp0(cpu);
	/* Intel raises #GP in ring 0 for a non-canonical return RIP. */
	if (to64 && !x86_canonical(cpu->gpr[GPR_RCX]))
		x86_gp0(cpu);
	if (to64) {
		x86_seg_flat(&cpu->seg[SEG_CS], (u16)((sel + 16) | 3), true, 3, true, false);
		cpu->next_rip = cpu->gpr[GPR_RCX];
	} else {
		x86_seg_flat(&cpu->seg[SEG_CS], (u16)(sel | 3), true, 3, false, true);
		cpu->next_rip = (u32)cpu->gpr[GPR_RCX];
	}
	/* SS.sel = STAR[63:48] + 8 with RPL 3; the hidden part is fixed, not read from the GDT. */
	x86_seg_flat(&cpu->seg[SEG_SS], (u16)((sel + 8) | 3), false, 3, false, true);
	x86_rflags_set_raw(cpu, (cpu->gpr[GPR_R11] & ~(X86_RF | X86_VM)));
	cpu->cpl = 3;
	x86_update_mode(cpu);
	cpu->end_block = true;
}

static void op_sysenter(struct x86_cpu *cpu, const struct x86_insn *in)
{
	u16 sel = (u16)cpu->msr.sysenter_cs & ~3u;
	bool lma = (cpu->efer & X86_EFER_LMA) != 0;

	if (cpu->mode == X86_MODE_REAL || sel == 0)
		x86_gp0(cpu);
	x86_rflags_set_raw(cpu, x86_get_rflags(cpu) & ~(X86_VM | X86_IF | X86_RF));
	x86_seg_flat(&cpu->seg[SEG_CS], sel, true, 0, lma, !lma);
	x86_seg_flat(&cpu->seg[SEG_SS], (u16)(sel + 8), false, 0, false, true);
	cpu->gpr[GPR_RSP] = lma ? cpu->msr.sysenter_esp : (u32)cpu->msr.sysenter_esp;
	cpu->next_rip = lma ? cpu->msr.sysenter_eip : (u32)cpu->msr.sysenter_eip;
	cpu->cpl = 0;
	x86_update_mode(cpu);
	cpu->end_block = true;
}

static void op_sysexit(struct x86_cpu *cpu, const struct x86_insn *in)
{
	u16 sel = (u16)cpu->msr.sysenter_cs & ~3u;
	bool to64 = in->opsize == 8;

	if (cpu->mode == X86_MODE_REAL || cpu->mode == X86_MODE_V86 || sel == 0 || cpu->cpl != 0)
		x86_gp0(cpu);
	if (to64 && (!x86_canonical(cpu->gpr[GPR_RDX]) || !x86_canonical(cpu->gpr[GPR_RCX])))
		x86_gp0(cpu);
	if (to64) {
		x86_seg_flat(&cpu->seg[SEG_CS], (u16)((sel + 32) | 3), true, 3, true, false);
		x86_seg_flat(&cpu->seg[SEG_SS], (u16)((sel + 40) | 3), false, 3, false, true);
		cpu->gpr[GPR_RSP] = cpu->gpr[GPR_RCX];
		cpu->next_rip = cpu->gpr[GPR_RDX];
	} else {
		x86_seg_flat(&cpu->seg[SEG_CS], (u16)((sel + 16) | 3), true, 3, false, true);
		x86_seg_flat(&cpu->seg[SEG_SS], (u16)((sel + 24) | 3), false, 3, false, true);
		cpu->gpr[GPR_RSP] = (u32)cpu->gpr[GPR_RCX];
		cpu->next_rip = (u32)cpu->gpr[GPR_RDX];
	}
	cpu->cpl = 3;
	x86_update_mode(cpu);
	cpu->end_block = true;
}

void x86_swapgs(struct x86_cpu *cpu)
{
	u64 t;

	if (!x86_long64(cpu))
		x86_ud(cpu);
	if (cpu->cpl != 0)
		x86_gp0(cpu);
	t = cpu->seg[SEG_GS].base;
	cpu->seg[SEG_GS].base = cpu->msr.kernel_gs_base;
	cpu->msr.kernel_gs_base = t;
}

/* ---- LAR, LSL, VERR, VERW ---- */

static void set_zf(struct x86_cpu *cpu, bool zf)
{
	u64 f = x86_get_rflags(cpu);

	x86_set_arith_flags(cpu, zf ? (f | X86_ZF) : (f & ~X86_ZF));
}

/* The descriptor for sel if it is visible at CPL/RPL (the shared part of LAR/LSL/VERR/VERW). */
static bool desc_visible(struct x86_cpu *cpu, u16 sel, u64 *raw)
{
	u64 addr;
	struct seg_reg s;

	if (!x86_desc_try(cpu, sel, raw, &addr))
		return false;
	x86_desc_to_seg(*raw, sel, &s);
	if (!is_conforming(s.attr) &&
	    (SEG_ATTR_DPL(s.attr) < cpu->cpl || SEG_ATTR_DPL(s.attr) < (sel & 3u)))
		return false;
	return true;
}

bool x86_verify_seg(struct x86_cpu *cpu, u16 sel, bool write)
{
	u64 raw;
	u16 attr;

	if (!desc_visible(cpu, sel, &raw))
		return false;
	attr = (u16)((raw >> 40) & 0xff);
	if (!(attr & SEG_ATTR_S))
		return false;
	if (write)
		return !(attr & X86_DESC_CODE) && (attr & X86_DESC_WRITE);
	return !(attr & X86_DESC_CODE) || (attr & X86_DESC_READ);
}

static void lar_lsl(struct x86_cpu *cpu, const struct x86_insn *in, bool lsl)
{
	bool lma = (cpu->efer & X86_EFER_LMA) != 0;
	u16 sel = (u16)x86_rm_read(cpu, in, 2);
	unsigned type;
	struct seg_reg s;
	u64 raw;
	bool ok;

	if (cpu->mode == X86_MODE_REAL || cpu->mode == X86_MODE_V86)
		x86_ud(cpu);
	if (!desc_visible(cpu, sel, &raw)) {
		set_zf(cpu, false);
		return;
	}
	x86_desc_to_seg(raw, sel, &s);
	type = SEG_ATTR_TYPE(s.attr);
	if (s.attr & SEG_ATTR_S)
		ok = true;
	else if (lsl)
		ok = type == 2 || type == 9 || type == 11 || (!lma && (type == 1 || type == 3));
	else
		ok = type == 2 || type == 9 || type == 11 || type == 12 ||
		     (!lma && (type == 1 || type == 3 || type == 4 || type == 5));
	set_zf(cpu, ok);
	if (!ok)
		return;
	if (lsl)
		x86_set_reg(cpu, in, in->reg, in->opsize, x86_trunc(s.limit, in->opsize));
	else
		x86_set_reg(cpu, in, in->reg, in->opsize,
			    (raw >> 32) & (in->opsize == 2 ? 0xff00 : 0x00f0ff00));
}

static void op_lar_Gv_Ew(struct x86_cpu *cpu, const struct x86_insn *in) { lar_lsl(cpu, in, false); }
static void op_lsl_Gv_Ew(struct x86_cpu *cpu, const struct x86_insn *in) { lar_lsl(cpu, in, true); }

/* ---- segment register moves ---- */

static void op_mov_Ev_Sw(struct x86_cpu *cpu, const struct x86_insn *in)
{
	unsigned s = in->reg & 7;

	if (s >= SEG_COUNT)
		x86_ud(cpu);
	if (in->mod == 3)
		x86_set_reg(cpu, in, in->rm, in->opsize, cpu->seg[s].sel);
	else
		x86_write16(cpu, in->seg, x86_ea(cpu, in), cpu->seg[s].sel);
}

static void load_seg_insn(struct x86_cpu *cpu, int s, u16 sel)
{
	x86_load_seg(cpu, s, sel);
	if (s == SEG_SS) {
		cpu->intr_shadow = true;
		cpu->movss_shadow = true;
	}
	cpu->end_block = true;
}

static void op_mov_Sw_Ew(struct x86_cpu *cpu, const struct x86_insn *in)
{
	unsigned s = in->reg & 7;

	if (s >= SEG_COUNT || s == SEG_CS)
		x86_ud(cpu);
	load_seg_insn(cpu, (int)s, (u16)x86_rm_read(cpu, in, 2));
}

static int opcode_seg(u8 opcode)
{
	switch (opcode) {
	case 0x06: case 0x07: return SEG_ES;
	case 0x0e: return SEG_CS;
	case 0x16: case 0x17: return SEG_SS;
	case 0x1e: case 0x1f: return SEG_DS;
	case 0xa0: case 0xa1: return SEG_FS;
	default: return SEG_GS; /* 0F A8, A9 */
	}
}

static void op_push_seg(struct x86_cpu *cpu, const struct x86_insn *in)
{
	if (in->map == X86_MAP_1B && x86_long64(cpu))
		x86_ud(cpu);
	x86_push(cpu, stack_opsize(cpu, in), cpu->seg[opcode_seg(in->opcode)].sel);
}

static void op_pop_seg(struct x86_cpu *cpu, const struct x86_insn *in)
{
	unsigned size = stack_opsize(cpu, in);
	u16 sel;

	if (in->map == X86_MAP_1B && x86_long64(cpu))
		x86_ud(cpu);
	sel = (u16)stk_read(cpu, 0, size);
	load_seg_insn(cpu, opcode_seg(in->opcode), sel);
	set_sp(cpu, cpu->gpr[GPR_RSP] + size);
}

/* LSS/LFS/LGS (0F B2/B4/B5), LES/LDS (C4/C5, not in 64-bit mode): load a far pointer. */
static void op_lfp_Gv_Mp(struct x86_cpu *cpu, const struct x86_insn *in)
{
	int s;
	u64 ea, off;
	u16 sel;

	switch (in->map == X86_MAP_1B ? in->opcode : in->opcode | 0x100) {
	case 0xc4: s = SEG_ES; break;
	case 0xc5: s = SEG_DS; break;
	case 0x1b2: s = SEG_SS; break;
	case 0x1b4: s = SEG_FS; break;
	default: s = SEG_GS; break;
	}
	if (in->mod == 3 || (in->map == X86_MAP_1B && x86_long64(cpu)))
		x86_ud(cpu);
	ea = x86_ea(cpu, in);
	off = x86_read(cpu, in->seg, ea, in->opsize);
	sel = x86_read16(cpu, in->seg, x86_far_sel_off(cpu, in, ea));
	/*
	 * Not load_seg_insn(): LSS loads SS and rSP in one instruction, so it
	 * opens no interrupt/single-step shadow (SDM Vol. 3A 6.8.3 names only
	 * MOV SS and POP SS).
	 */
	x86_load_seg(cpu, s, sel);
	cpu->end_block = true;
	x86_set_reg(cpu, in, in->reg, in->opsize, off);
}

void x86_register_segment(struct x86_optable *t)
{
	static const u8 push1b[] = { 0x06, 0x0e, 0x16, 0x1e }, pop1b[] = { 0x07, 0x17, 0x1f };

	for (unsigned i = 0; i < ARRAY_SIZE(push1b); i++)
		x86_optable_set(t, X86_MAP_1B, push1b[i], op_push_seg);
	for (unsigned i = 0; i < ARRAY_SIZE(pop1b); i++)
		x86_optable_set(t, X86_MAP_1B, pop1b[i], op_pop_seg);
	x86_optable_set(t, X86_MAP_0F, 0xa0, op_push_seg);
	x86_optable_set(t, X86_MAP_0F, 0xa8, op_push_seg);
	x86_optable_set(t, X86_MAP_0F, 0xa1, op_pop_seg);
	x86_optable_set(t, X86_MAP_0F, 0xa9, op_pop_seg);
	x86_optable_set(t, X86_MAP_1B, 0x8c, op_mov_Ev_Sw);
	x86_optable_set(t, X86_MAP_1B, 0x8e, op_mov_Sw_Ew);
	x86_optable_set(t, X86_MAP_1B, 0xc4, op_lfp_Gv_Mp);
	x86_optable_set(t, X86_MAP_1B, 0xc5, op_lfp_Gv_Mp);
	x86_optable_set(t, X86_MAP_0F, 0xb2, op_lfp_Gv_Mp);
	x86_optable_set(t, X86_MAP_0F, 0xb4, op_lfp_Gv_Mp);
	x86_optable_set(t, X86_MAP_0F, 0xb5, op_lfp_Gv_Mp);
	x86_optable_set(t, X86_MAP_1B, 0xea, op_jmpf_Ap);
	x86_optable_set(t, X86_MAP_1B, 0x9a, op_callf_Ap);
	x86_optable_set(t, X86_MAP_1B, 0xca, op_retf);
	x86_optable_set(t, X86_MAP_1B, 0xcb, op_retf);
	x86_optable_set(t, X86_MAP_1B, 0xcf, op_iret);
	x86_optable_set(t, X86_MAP_1B, 0xcc, op_int3);
	x86_optable_set(t, X86_MAP_1B, 0xcd, op_int_Ib);
	x86_optable_set(t, X86_MAP_1B, 0xce, op_into);
	x86_optable_set(t, X86_MAP_1B, 0xf1, op_int1);
	x86_optable_set(t, X86_MAP_0F, 0x02, op_lar_Gv_Ew);
	x86_optable_set(t, X86_MAP_0F, 0x03, op_lsl_Gv_Ew);
	x86_optable_set(t, X86_MAP_0F, 0x05, op_syscall);
	x86_optable_set(t, X86_MAP_0F, 0x07, op_sysret);
	x86_optable_set(t, X86_MAP_0F, 0x34, op_sysenter);
	x86_optable_set(t, X86_MAP_0F, 0x35, op_sysexit);
}
