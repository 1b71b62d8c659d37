/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Exceptions and interrupts: recording a fault, and delivering it through
 * the IVT (real mode) or the IDT (protected mode, IA-32e mode).
 *
 * How it works: a handler or a memory access that faults calls x86_raise(),
 * which records the event in cpu->exc_* and longjmps to the run loop. The
 * run loop calls x86_exception_dispatch(), which delivers the event under
 * its own setjmp: if delivery itself faults (bad IDT entry, #PF on the
 * handler's stack, ...) the second fault comes back here and is combined
 * with the first per SDM Vol. 3A Table 6-5 (contributory + contributory or
 * #PF + #PF/contributory -> #DF; anything during #DF -> shutdown), else
 * handled serially. Delivery commits no register until all its memory
 * accesses have succeeded, so a retry starts from the original state.
 *
 * References: Intel SDM Vol. 3A 6.4-6.15 (interrupt and exception handling,
 * 6.14 for 64-bit mode), 20.1.4 (real-mode interrupt handling).
 */
#include <string.h>

#include "cpu/x86/sysdesc.h"

enum { EXC_BENIGN, EXC_CONTRIB, EXC_PAGE, EXC_DOUBLE };

static int exc_class(int vec)
{
	switch (vec) {
	case X86_EXC_DE: case X86_EXC_TS: case X86_EXC_NP: case X86_EXC_SS: case X86_EXC_GP:
		return EXC_CONTRIB;
	case X86_EXC_PF:
		return EXC_PAGE;
	case X86_EXC_DF:
		return EXC_DOUBLE;
	default:
		return EXC_BENIGN;
	}
}

_Noreturn void x86_raise(struct x86_cpu *cpu, int vector, u32 error_code)
{
	cpu->exc_vector = (u8)vector;
	cpu->exc_error = error_code;
	cpu->exc_rip = cpu->rip;
	cpu->exc_software = false;
	longjmp(cpu->fault_jmp, 1);
}

_Noreturn void x86_raise_trap(struct x86_cpu *cpu, int vector, bool software)
{
	cpu->exc_vector = (u8)vector;
	cpu->exc_error = X86_NO_ERR;
	cpu->exc_rip = cpu->next_rip;
	cpu->exc_software = software;
	longjmp(cpu->fault_jmp, 1);
}

/* A stack slot written during delivery, at the privilege of the new CPL. */
static void push_at(struct x86_cpu *cpu, u64 linear, unsigned size, u64 v, unsigned cpl)
{
	if (cpl == 3)
		x86_translate(cpu, linear, X86_ACC_WRITE, true);
	x86_write_sys(cpu, linear, size, v);
}

static void deliver_real(struct x86_cpu *cpu, int vector, u64 return_rip)
{
	u64 flags = x86_get_rflags(cpu);
	u32 ent;
	u16 sp;
	u64 ss = cpu->seg[SEG_SS].base;

	if ((u32)vector * 4 + 3 > cpu->idtr.limit)
		x86_raise(cpu, X86_EXC_GP, (u32)vector * 8 + 2);
	ent = (u32)x86_read_sys(cpu, cpu->idtr.base + (u32)vector * 4, 4);
	sp = (u16)cpu->gpr[GPR_RSP];
	x86_write_sys(cpu, ss + (u16)(sp - 2), 2, flags);
	x86_write_sys(cpu, ss + (u16)(sp - 4), 2, cpu->seg[SEG_CS].sel);
	x86_write_sys(cpu, ss + (u16)(sp - 6), 2, return_rip);

	cpu->gpr[GPR_RSP] = (cpu->gpr[GPR_RSP] & ~0xffffULL) | (u16)(sp - 6);
	cpu->seg[SEG_CS].sel = (u16)(ent >> 16);
	cpu->seg[SEG_CS].base = (u64)(ent >> 16) << 4;
	cpu->next_rip = cpu->rip = ent & 0xffff;
	x86_rflags_set_raw(cpu, flags & ~(X86_IF | X86_TF | X86_AC | X86_RF));
}

/* The gate's target code segment: checks common to legacy and IA-32e delivery. */
static void gate_target(struct x86_cpu *cpu, u16 sel, u32 ext, struct seg_reg *cs, u64 *addr,
			u64 *raw)
{
	if ((sel & ~3u) == 0)
		x86_raise(cpu, X86_EXC_GP, ext);
	*raw = x86_desc_fetch(cpu, sel, (sel & ~3u) | ext, addr);
	x86_desc_to_seg(*raw, sel, cs);
	if (!(cs->attr & SEG_ATTR_S) || !(cs->attr & X86_DESC_CODE) ||
	    SEG_ATTR_DPL(cs->attr) > cpu->cpl)
		x86_raise(cpu, X86_EXC_GP, (sel & ~3u) | ext);
	if (!(cs->attr & SEG_ATTR_P))
		x86_raise(cpu, X86_EXC_NP, (sel & ~3u) | ext);
}

static void deliver_long(struct x86_cpu *cpu, int vector, u32 err, u64 return_rip, bool software,
			 u32 ext)
{
	u32 idt_err = (u32)vector * 8 + 2 + ext;
	u64 lo, hi, rsp, flags, off, cs_addr, cs_raw;
	unsigned type, dpl, ist, new_cpl;
	struct seg_reg cs;
	bool priv;

	if ((u32)vector * 16 + 15 > cpu->idtr.limit)
		x86_raise(cpu, X86_EXC_GP, idt_err);
	lo = x86_read_sys(cpu, cpu->idtr.base + (u32)vector * 16, 8);
	hi = x86_read_sys(cpu, cpu->idtr.base + (u32)vector * 16 + 8, 8);
	type = (lo >> 40) & 0x1f; /* S + type */
	dpl = (lo >> 45) & 3;
	if (type != X86_SYS_INTGATE && type != X86_SYS_TRAPGATE)
		x86_raise(cpu, X86_EXC_GP, idt_err);
	if (software && dpl < cpu->cpl)
		x86_raise(cpu, X86_EXC_GP, idt_err);
	if (!(lo & (1ULL << 47)))
		x86_raise(cpu, X86_EXC_NP, idt_err);

	gate_target(cpu, (u16)(lo >> 16), ext, &cs, &cs_addr, &cs_raw);
	if (!(cs.attr & SEG_ATTR_L) || (cs.attr & SEG_ATTR_DB))
		x86_raise(cpu, X86_EXC_GP, (cs.sel & ~3u) | ext);
	off = (lo & 0xffff) | ((lo >> 32) & 0xffff0000ULL) | (hi << 32);
	if (!x86_canonical(off))
		x86_raise(cpu, X86_EXC_GP, ext);

	/* Conforming targets keep CPL; non-conforming ones run at their DPL. */
	new_cpl = (cs.attr & X86_DESC_CONFORM) ? cpu->cpl : SEG_ATTR_DPL(cs.attr);
	priv = new_cpl < cpu->cpl;
	ist = (lo >> 32) & 7;
	rsp = cpu->gpr[GPR_RSP];
	if (ist || priv) {
		if (!(cpu->tr.attr & SEG_ATTR_P))
			x86_raise(cpu, X86_EXC_TS, (cpu->tr.sel & ~3u) | ext);
		u32 o = ist ? X86_TSS64_IST(ist) : X86_TSS64_RSP(new_cpl);
		if (o + 7 > cpu->tr.limit)
			x86_raise(cpu, X86_EXC_TS, (cpu->tr.sel & ~3u) | ext);
		rsp = x86_read_sys(cpu, cpu->tr.base + o, 8);
	}
	if (!x86_canonical(rsp))
		x86_raise(cpu, X86_EXC_SS, ext);
	rsp &= ~0xfULL;

	flags = x86_get_rflags(cpu);
	push_at(cpu, rsp - 8, 8, cpu->seg[SEG_SS].sel, new_cpl);
	push_at(cpu, rsp - 16, 8, cpu->gpr[GPR_RSP], new_cpl);
	push_at(cpu, rsp - 24, 8, flags, new_cpl);
	push_at(cpu, rsp - 32, 8, cpu->seg[SEG_CS].sel, new_cpl);
	push_at(cpu, rsp - 40, 8, return_rip, new_cpl);
	rsp -= 40;
	if (err != X86_NO_ERR) {
		push_at(cpu, rsp - 8, 8, err, new_cpl);
		rsp -= 8;
	}

	/* Commit. */
	x86_desc_set_accessed(cpu, cs_addr, cs_raw);
	cs.sel = (u16)((cs.sel & ~3u) | new_cpl);
	cpu->seg[SEG_CS] = cs;
	if (priv) {
		/* A null SS with RPL = new CPL (Vol. 3A 6.14.4). */
		x86_seg_flat(&cpu->seg[SEG_SS], (u16)new_cpl, false, new_cpl, false, true);
	}
	cpu->gpr[GPR_RSP] = rsp;
	cpu->cpl = (u8)new_cpl;
	flags &= ~(X86_TF | X86_NT | X86_RF | X86_VM);
	if (type == X86_SYS_INTGATE)
		flags &= ~X86_IF;
	x86_rflags_set_raw(cpu, flags);
	cpu->next_rip = cpu->rip = off;
	x86_update_mode(cpu);
}

/* Protected-mode (non-IA-32e) delivery through 16- and 32-bit gates (Vol. 3A 6.12.1). */
static void deliver_legacy(struct x86_cpu *cpu, int vector, u32 err, u64 return_rip,
			   bool software, u32 ext)
{
	u32 idt_err = (u32)vector * 8 + 2 + ext;
	u64 lo, off, cs_addr, cs_raw, flags, base, sp, ss_raw = 0, ss_addr = 0;
	unsigned type, dpl, new_cpl, gsz, n = 0;
	struct seg_reg cs, ss;
	u64 words[10];
	bool priv, v86 = cpu->mode == X86_MODE_V86;
	u32 mask;

	if ((u32)vector * 8 + 7 > cpu->idtr.limit)
		x86_raise(cpu, X86_EXC_GP, idt_err);
	lo = x86_read_sys(cpu, cpu->idtr.base + (u32)vector * 8, 8);
	type = (lo >> 40) & 0x1f;
	dpl = (lo >> 45) & 3;
	/* Task gates (type 5) would need hardware task switching, which hover omits. */
	if (type != 0x6 && type != 0x7 && type != X86_SYS_INTGATE && type != X86_SYS_TRAPGATE)
		x86_raise(cpu, X86_EXC_GP, idt_err);
	if (software && dpl < cpu->cpl)
		x86_raise(cpu, X86_EXC_GP, idt_err);
	if (!(lo & (1ULL << 47)))
		x86_raise(cpu, X86_EXC_NP, idt_err);
	gsz = (type & 8) ? 4 : 2;
	off = (lo & 0xffff) | (gsz == 4 ? ((lo >> 32) & 0xffff0000) : 0);

	gate_target(cpu, (u16)(lo >> 16), ext, &cs, &cs_addr, &cs_raw);
	if (off > cs.limit)
		x86_raise(cpu, X86_EXC_GP, ext);
	new_cpl = (cs.attr & X86_DESC_CONFORM) ? cpu->cpl : SEG_ATTR_DPL(cs.attr);
	priv = new_cpl < cpu->cpl;
	if (v86 && new_cpl != 0)
		x86_raise(cpu, X86_EXC_GP, (cs.sel & ~3u) | ext);

	ss = cpu->seg[SEG_SS];
	sp = cpu->gpr[GPR_RSP];
	if (priv) {
		bool t32 = (cpu->tr.attr & 0x8) != 0;
		u32 o = t32 ? 4 + new_cpl * 8 : 2 + new_cpl * 4;
		u16 ss_sel;

		if (o + (t32 ? 5 : 3) > cpu->tr.limit)
			x86_raise(cpu, X86_EXC_TS, (cpu->tr.sel & ~3u) | ext);
		sp = x86_read_sys(cpu, cpu->tr.base + o, t32 ? 4 : 2);
		ss_sel = (u16)x86_read_sys(cpu, cpu->tr.base + o + (t32 ? 4 : 2), 2);
		if ((ss_sel & ~3u) == 0 || (ss_sel & 3) != new_cpl)
			x86_raise(cpu, X86_EXC_TS, (ss_sel & ~3u) | ext);
		ss_raw = x86_desc_fetch(cpu, ss_sel, (ss_sel & ~3u) | ext, &ss_addr);
		x86_desc_to_seg(ss_raw, ss_sel, &ss);
		if (!(ss.attr & SEG_ATTR_S) || (ss.attr & X86_DESC_CODE) ||
		    !(ss.attr & X86_DESC_WRITE) || SEG_ATTR_DPL(ss.attr) != new_cpl)
			x86_raise(cpu, X86_EXC_TS, (ss_sel & ~3u) | ext);
		if (!(ss.attr & SEG_ATTR_P))
			x86_raise(cpu, X86_EXC_SS, (ss_sel & ~3u) | ext);
		if (v86) {
			words[n++] = cpu->seg[SEG_GS].sel;
			words[n++] = cpu->seg[SEG_FS].sel;
			words[n++] = cpu->seg[SEG_DS].sel;
			words[n++] = cpu->seg[SEG_ES].sel;
		}
		words[n++] = cpu->seg[SEG_SS].sel;
		words[n++] = cpu->gpr[GPR_RSP];
	} else if (v86) {
		x86_raise(cpu, X86_EXC_GP, (cs.sel & ~3u) | ext);
	}
	flags = x86_get_rflags(cpu);
	words[n++] = flags;
	words[n++] = cpu->seg[SEG_CS].sel;
	words[n++] = return_rip;
	if (err != X86_NO_ERR)
		words[n++] = err;

	mask = (ss.attr & SEG_ATTR_DB) ? 0xffffffffu : 0xffffu;
	base = ss.base;
	for (unsigned i = 0; i < n; i++)
		push_at(cpu, base + ((sp - (i + 1) * gsz) & mask), gsz, words[i], new_cpl);
	sp -= n * gsz;

	/* Commit. */
	x86_desc_set_accessed(cpu, cs_addr, cs_raw);
	if (priv) {
		x86_desc_set_accessed(cpu, ss_addr, ss_raw);
		cpu->seg[SEG_SS] = ss;
	}
	if (mask == 0xffff)
		cpu->gpr[GPR_RSP] = (cpu->gpr[GPR_RSP] & ~0xffffULL) | (sp & 0xffff);
	else
		cpu->gpr[GPR_RSP] = (u32)sp;
	if (v86) {
		static const int segs[] = { SEG_ES, SEG_DS, SEG_FS, SEG_GS };
		for (unsigned i = 0; i < ARRAY_SIZE(segs); i++)
			cpu->seg[segs[i]] = (struct seg_reg){ 0 };
	}
	cs.sel = (u16)((cs.sel & ~3u) | new_cpl);
	cpu->seg[SEG_CS] = cs;
	cpu->cpl = (u8)new_cpl;
	flags &= ~(X86_TF | X86_NT | X86_RF | X86_VM);
	if (!(type & 1))
		flags &= ~X86_IF;
	x86_rflags_set_raw(cpu, flags);
	cpu->next_rip = cpu->rip = off;
	x86_update_mode(cpu);
}

void x86_deliver(struct x86_cpu *cpu, int vector, u32 error_code, u64 return_rip, bool software,
		 bool external)
{
	/* EXT (Vol. 3A 6.13): set for external and hardware events, clear for INT n / INT3 / INTO. */
	u32 ext = software ? 0 : 1;

	if (software || external)
		error_code = X86_NO_ERR;
	cpu->intr_shadow = false;
	cpu->movss_shadow = false;
	cpu->halted = false;
	if (!(cpu->cr0 & X86_CR0_PE))
		deliver_real(cpu, vector, return_rip);
	else if (cpu->efer & X86_EFER_LMA)
		deliver_long(cpu, vector, error_code, return_rip, software, ext);
	else
		deliver_legacy(cpu, vector, error_code, return_rip, software, ext);
	cpu->end_block = true;
}

/*
 * Deliver one event with nesting rules. `vec` etc. describe the first
 * event; delivery faults come back through our own setjmp.
 */
static bool deliver_nested(struct x86_cpu *cpu, int vec, u32 err, u64 rip, bool software,
			   bool external)
{
	jmp_buf saved;
	volatile int v = vec;
	volatile u32 e = err;
	volatile u64 r = rip;
	volatile bool sw = software, ext = external;
	volatile bool ok = true;

	memcpy(saved, cpu->fault_jmp, sizeof(saved));
	if (setjmp(cpu->fault_jmp)) {
		int first = exc_class(v), second = exc_class(cpu->exc_vector);

		if (first == EXC_DOUBLE) {
			ok = false;
			goto out;
		}
		if ((first == EXC_CONTRIB && second == EXC_CONTRIB) ||
		    (first == EXC_PAGE && (second == EXC_CONTRIB || second == EXC_PAGE))) {
			v = X86_EXC_DF;
			e = 0;
			r = cpu->rip;
		} else {
			v = cpu->exc_vector;
			e = cpu->exc_error;
			r = cpu->exc_rip;
		}
		sw = false;
		ext = false;
	}
	x86_deliver(cpu, v, e, r, sw, ext);
out:
	memcpy(cpu->fault_jmp, saved, sizeof(saved));
	return ok;
}

bool x86_exception_dispatch(struct x86_cpu *cpu)
{
	if (cpu->triple_fault) {
		/* x86_interrupt() failed and jumped back to the run loop to report it. */
		cpu->triple_fault = false;
		return false;
	}
	return deliver_nested(cpu, cpu->exc_vector, cpu->exc_error, cpu->exc_rip,
			      cpu->exc_software, false);
}

void x86_interrupt(struct x86_cpu *cpu, int vector)
{
	cpu->halted = false;
	/* Shutdown: leave through the run loop's fault path, which asks x86_exception_dispatch(). */
	if (!deliver_nested(cpu, vector, X86_NO_ERR, cpu->rip, false, true)) {
		cpu->triple_fault = true;
		longjmp(cpu->fault_jmp, 1);
	}
}

void x86_inject_pending(struct x86_cpu *cpu)
{
	int vector = cpu->inject_vector;
	u32 err = cpu->inject_error;
	bool external = cpu->inject_kind != X86_INJECT_EXCEPTION;

	cpu->inject_kind = X86_INJECT_NONE;
	cpu->halted = false;
	/* A fault resumes at the faulting instruction: rip is where the other engine stopped. */
	if (!deliver_nested(cpu, vector, err, cpu->rip, false, external)) {
		cpu->triple_fault = true;
		longjmp(cpu->fault_jmp, 1);
	}
}
