/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * System instructions: control and debug registers, descriptor-table
 * registers (groups 6 and 7), MSRs, TSC, CPUID, HLT, CLI/STI, PUSHF/POPF,
 * port I/O (IN/OUT/INS/OUTS) with the TSS I/O permission bitmap, and the
 * FPU/SSE availability checks.
 *
 * MSRs not listed in x86_msr_read()/x86_msr_write() raise #GP(0), as on hardware;
 * Linux probes many with rdmsr_safe() and copes.
 *
 * References: Intel SDM Vol. 3A 2.5 (control registers), 2.8 (system
 * instructions), 9.8.5 (IA-32e mode activation), 17.2 (debug registers),
 * 18.5 (I/O permission bitmap, Vol. 1); Vol. 4 (MSRs); Vol. 2 instruction
 * pages for each opcode.
 */
#include <time.h>

#include "cpu/x86/cpuid.h"
#include "cpu/x86/mmu.h"
#include "cpu/x86/sysdesc.h"
#include "include/hover/x86_clock.h"

#define CR0_VALID (X86_CR0_PE | X86_CR0_MP | X86_CR0_EM | X86_CR0_TS | X86_CR0_ET | X86_CR0_NE | \
		   X86_CR0_WP | X86_CR0_AM | X86_CR0_NW | X86_CR0_CD | X86_CR0_PG)
/*
 * CR4 bits for features hover implements and advertises, plus MCE: every
 * x86-64 CPU has it and firmware sets it unconditionally (OVMF's reset
 * vector loads CR4 = 0x640). It only enables #MC, which hover never raises.
 */
#define CR4_VALID (X86_CR4_TSD | X86_CR4_PSE | X86_CR4_PAE | X86_CR4_MCE | X86_CR4_PGE | \
		   X86_CR4_PCE | X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT)
#define EFER_VALID (X86_EFER_SCE | X86_EFER_LME | X86_EFER_LMA | X86_EFER_NXE)

static void need_cpl0(struct x86_cpu *cpu)
{
	if (cpu->cpl != 0)
		x86_gp0(cpu);
}

static bool protected_mode(const struct x86_cpu *cpu)
{
	return cpu->mode != X86_MODE_REAL && cpu->mode != X86_MODE_V86;
}

static unsigned iopl(struct x86_cpu *cpu)
{
	return (unsigned)((x86_get_rflags(cpu) & X86_IOPL) >> 12);
}

/* ---- control and debug registers ---- */

static void write_cr0(struct x86_cpu *cpu, u64 val)
{
	u64 old = cpu->cr0;

	if (val >> 32)
		x86_gp0(cpu);
	val = (val & CR0_VALID) | X86_CR0_ET;
	if (((val & X86_CR0_PG) && !(val & X86_CR0_PE)) ||
	    ((val & X86_CR0_NW) && !(val & X86_CR0_CD)))
		x86_gp0(cpu);
	/* IA-32e activation and deactivation (Vol. 3A 9.8.5). */
	if ((val & X86_CR0_PG) && !(old & X86_CR0_PG) && (cpu->efer & X86_EFER_LME)) {
		if (!(cpu->cr4 & X86_CR4_PAE) || (cpu->seg[SEG_CS].attr & SEG_ATTR_L))
			x86_gp0(cpu);
		cpu->efer |= X86_EFER_LMA;
	} else if (!(val & X86_CR0_PG) && (old & X86_CR0_PG) && (cpu->efer & X86_EFER_LMA)) {
		if (x86_long64(cpu))
			x86_gp0(cpu);
		cpu->efer &= ~X86_EFER_LMA;
	}
	cpu->cr0 = val;
	if ((old ^ val) & (X86_CR0_PG | X86_CR0_PE | X86_CR0_WP))
		x86_tlb_flush_all(cpu);
	x86_update_mode(cpu);
	cpu->end_block = true;
}

static void write_cr4(struct x86_cpu *cpu, u64 val)
{
	if (val & ~CR4_VALID)
		x86_gp0(cpu);
	if ((cpu->efer & X86_EFER_LMA) && !(val & X86_CR4_PAE))
		x86_gp0(cpu);
	cpu->cr4 = val;
	x86_tlb_flush_all(cpu);
	x86_update_mode(cpu);
	cpu->end_block = true;
}

static void op_mov_Rd_Cd(struct x86_cpu *cpu, const struct x86_insn *in)
{
	unsigned size = (cpu->efer & X86_EFER_LMA) ? 8 : 4;
	u64 v;

	need_cpl0(cpu);
	switch (in->reg) {
	case 0: v = cpu->cr0; break;
	case 2: v = cpu->cr2; break;
	case 3: v = cpu->cr3; break;
	case 4: v = cpu->cr4; break;
	case 8: v = cpu->cr8; break;
	default: x86_ud(cpu);
	}
	x86_set_reg(cpu, in, in->rm, size, x86_trunc(v, size));
}

static void op_mov_Cd_Rd(struct x86_cpu *cpu, const struct x86_insn *in)
{
	unsigned size = (cpu->efer & X86_EFER_LMA) ? 8 : 4;
	u64 v = x86_trunc(cpu->gpr[in->rm], size);

	if (in->reg != 0 && in->reg != 2 && in->reg != 3 && in->reg != 4 && in->reg != 8)
		x86_ud(cpu);
	need_cpl0(cpu);
	switch (in->reg) {
	case 0:
		write_cr0(cpu, v);
		break;
	case 2:
		cpu->cr2 = v;
		break;
	case 3:
		if (v >> X86_MAXPHYADDR)
			x86_gp0(cpu);
		cpu->cr3 = v;
		x86_tlb_flush_all(cpu);
		cpu->end_block = true;
		break;
	case 4:
		write_cr4(cpu, v);
		break;
	case 8:
		if (v & ~0xfULL)
			x86_gp0(cpu);
		cpu->cr8 = v;
		cpu->end_block = true;
		break;
	}
}

static unsigned dr_index(struct x86_cpu *cpu, const struct x86_insn *in)
{
	unsigned n = in->reg;

	if (n > 7)
		x86_ud(cpu);
	need_cpl0(cpu);
	if (n == 4 || n == 5) {
		if (cpu->cr4 & X86_CR4_DE)
			x86_ud(cpu);
		n += 2;
	}
	return n;
}

static void op_mov_Rd_Dd(struct x86_cpu *cpu, const struct x86_insn *in)
{
	unsigned size = (cpu->efer & X86_EFER_LMA) ? 8 : 4, n = dr_index(cpu, in);
	u64 v = cpu->dr[n];

	if (n == 6)
		v = (v & 0xe00f) | 0xffff0ff0;
	else if (n == 7)
		v = (v & ~0xd800ULL) | 0x400;
	x86_set_reg(cpu, in, in->rm, size, x86_trunc(v, size));
}

static void op_mov_Dd_Rd(struct x86_cpu *cpu, const struct x86_insn *in)
{
	unsigned size = (cpu->efer & X86_EFER_LMA) ? 8 : 4, n = dr_index(cpu, in);
	u64 v = x86_trunc(cpu->gpr[in->rm], size);

	if ((n == 6 || n == 7) && (v >> 32))
		x86_gp0(cpu);
	cpu->dr[n] = v;
}

static void op_clts(struct x86_cpu *cpu, const struct x86_insn *in)
{
	need_cpl0(cpu);
	cpu->cr0 &= ~X86_CR0_TS;
}

/* INVD, WBINVD: caches are not modelled. */
static void op_wbinvd(struct x86_cpu *cpu, const struct x86_insn *in)
{
	need_cpl0(cpu);
}

/* ---- group 6: LDTR, TR ---- */

/* Load LDTR or TR from a GDT system descriptor (16 bytes in IA-32e mode). */
static void load_sys_seg(struct x86_cpu *cpu, u16 sel, bool tr)
{
	bool lma = (cpu->efer & X86_EFER_LMA) != 0;
	struct seg_reg s;
	u64 raw, addr;
	unsigned type;

	need_cpl0(cpu);
	if ((sel & ~3u) == 0) {
		if (tr)
			x86_gp0(cpu);
		cpu->ldtr = (struct seg_reg){ .sel = sel };
		return;
	}
	if (sel & 4)
		x86_raise(cpu, X86_EXC_GP, sel & ~3u);
	raw = x86_desc_fetch(cpu, sel, sel & ~3u, &addr);
	x86_desc_to_seg(raw, sel, &s);
	type = SEG_ATTR_TYPE(s.attr);
	if ((s.attr & SEG_ATTR_S) ||
	    (tr ? !(type == X86_SYS_TSS_AVAIL || (!lma && type == X86_SYS_TSS16_AVAIL))
		: type != X86_SYS_LDT))
		x86_raise(cpu, X86_EXC_GP, sel & ~3u);
	if (!(s.attr & SEG_ATTR_P))
		x86_raise(cpu, X86_EXC_NP, sel & ~3u);
	if (lma) {
		u64 hi = x86_read_sys(cpu, addr + 8, 8);

		if ((hi >> 40) & 0x1f)
			x86_raise(cpu, X86_EXC_GP, sel & ~3u);
		s.base |= (hi & 0xffffffffULL) << 32;
	}
	if (tr) {
		x86_write_sys(cpu, addr + 5, 1, ((raw >> 40) & 0xff) | 2); /* busy */
		s.attr |= 2;
		cpu->tr = s;
	} else {
		cpu->ldtr = s;
	}
}

static void op_grp6(struct x86_cpu *cpu, const struct x86_insn *in)
{
	unsigned r = in->reg & 7;

	if (!protected_mode(cpu) || r > 5)
		x86_ud(cpu);
	switch (r) {
	case 0:
	case 1: {
		u16 sel = r == 0 ? cpu->ldtr.sel : cpu->tr.sel;

		if (in->mod == 3)
			x86_set_reg(cpu, in, in->rm, in->opsize, sel);
		else
			x86_write16(cpu, in->seg, x86_ea(cpu, in), sel);
		break;
	}
	case 2:
	case 3:
		load_sys_seg(cpu, (u16)x86_rm_read(cpu, in, 2), r == 3);
		break;
	default: {
		bool ok = x86_verify_seg(cpu, (u16)x86_rm_read(cpu, in, 2), r == 5);
		u64 f = x86_get_rflags(cpu);

		x86_set_arith_flags(cpu, ok ? (f | X86_ZF) : (f & ~X86_ZF));
		break;
	}
	}
}

/* ---- group 7 ---- */

/*
 * The TSC counts the guest's time base: the bus clock (the VM clock, which
 * stands still while the VM is paused) or, without one, the host's
 * monotonic clock. IA32_TSC writes only move tsc_offset.
 */
static u64 read_tsc(struct x86_cpu *cpu)
{
	u64 hz = cpu->tsc_hz ? cpu->tsc_hz : X86_TSC_HZ;
	unsigned __int128 ns;

	if (cpu->bus.clock_ns) {
		ns = cpu->bus.clock_ns(cpu->bus.opaque);
	} else {
		struct timespec ts;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		ns = (unsigned __int128)ts.tv_sec * 1000000000u + (u64)ts.tv_nsec;
	}
	return (u64)(ns * hz / 1000000000u) + cpu->msr.tsc_offset;
}

u64 x86_cpu_tsc(struct x86_cpu *cpu)
{
	return read_tsc(cpu);
}

void x86_cpu_set_tsc(struct x86_cpu *cpu, u64 v)
{
	cpu->msr.tsc_offset = 0;
	cpu->msr.tsc_offset = v - read_tsc(cpu);
}

static void rdtsc_to_regs(struct x86_cpu *cpu)
{
	u64 t;

	if ((cpu->cr4 & X86_CR4_TSD) && cpu->cpl != 0)
		x86_gp0(cpu);
	t = read_tsc(cpu);
	cpu->gpr[GPR_RAX] = (u32)t;
	cpu->gpr[GPR_RDX] = t >> 32;
}

static void op_rdtsc(struct x86_cpu *cpu, const struct x86_insn *in)
{
	rdtsc_to_regs(cpu);
}

static void table_store(struct x86_cpu *cpu, const struct x86_insn *in, const struct dtable_reg *t)
{
	u64 ea = x86_ea(cpu, in);
	unsigned bsz = x86_long64(cpu) ? 8 : 4;

	/* Write the base first: a fault on the second piece then leaves nothing half-done. */
	x86_check_write(cpu, in->seg, ea, 2 + bsz);
	x86_write16(cpu, in->seg, ea, t->limit);
	x86_write(cpu, in->seg, x86_trunc(ea + 2, in->addrsize), bsz, x86_trunc(t->base, bsz));
}

static void table_load(struct x86_cpu *cpu, const struct x86_insn *in, struct dtable_reg *t)
{
	u64 ea = x86_ea(cpu, in), base;
	u16 limit;

	need_cpl0(cpu);
	limit = x86_read16(cpu, in->seg, ea);
	if (x86_long64(cpu)) {
		base = x86_read64(cpu, in->seg, x86_trunc(ea + 2, in->addrsize));
		if (!x86_canonical(base))
			x86_gp0(cpu);
	} else {
		base = x86_read32(cpu, in->seg, x86_trunc(ea + 2, in->addrsize));
		if (in->opsize == 2)
			base &= 0xffffff;
	}
	t->base = base;
	t->limit = limit;
}

static void op_grp7(struct x86_cpu *cpu, const struct x86_insn *in)
{
	unsigned r = in->reg & 7, rm = in->rm & 7;

	if (in->mod == 3) {
		switch (r) {
		case 4:
			break; /* SMSW r */
		case 6:
			break; /* LMSW r */
		case 7:
			if (rm == 0) { /* SWAPGS */
				x86_swapgs(cpu);
				return;
			}
			if (rm == 1) { /* RDTSCP */
				rdtsc_to_regs(cpu);
				cpu->gpr[GPR_RCX] = (u32)cpu->msr.tsc_aux;
				return;
			}
			x86_ud(cpu);
		default:
			/* VMX, MONITOR/MWAIT, CLAC/STAC, XGETBV, SVM, PKU...: not advertised. */
			x86_ud(cpu);
		}
	}
	switch (r) {
	case 0:
		table_store(cpu, in, &cpu->gdtr);
		break;
	case 1:
		table_store(cpu, in, &cpu->idtr);
		break;
	case 2:
		table_load(cpu, in, &cpu->gdtr);
		break;
	case 3:
		table_load(cpu, in, &cpu->idtr);
		break;
	case 4:
		if (in->mod == 3)
			x86_set_reg(cpu, in, in->rm, in->opsize, x86_trunc(cpu->cr0, in->opsize));
		else
			x86_write16(cpu, in->seg, x86_ea(cpu, in), (u16)cpu->cr0);
		break;
	case 6: {
		u16 v;

		need_cpl0(cpu);
		v = (u16)x86_rm_read(cpu, in, 2);
		/* LMSW changes PE (set only), MP, EM, TS. */
		write_cr0(cpu, (cpu->cr0 & ~0xeULL) | (v & 0xf) | (cpu->cr0 & X86_CR0_PE));
		break;
	}
	case 7: { /* INVLPG m */
		u64 la = x86_ea(cpu, in);

		need_cpl0(cpu);
		if (!x86_long64(cpu) || in->seg == SEG_FS || in->seg == SEG_GS)
			la += cpu->seg[in->seg].base;
		if (!x86_long64(cpu))
			la = (u32)la;
		x86_tlb_flush_page(cpu, la);
		cpu->end_block = true;
		break;
	}
	default:
		x86_ud(cpu);
	}
}

/* ---- MSRs ---- */

#define MSR_TSC 0x10
#define MSR_PLATFORM_ID 0x17
#define MSR_APIC_BASE 0x1b
#define MSR_UCODE_REV 0x8b
#define MSR_ARCH_CAPABILITIES 0x10a
#define MSR_SYSENTER_CS 0x174
#define MSR_SYSENTER_ESP 0x175
#define MSR_SYSENTER_EIP 0x176
#define MSR_MISC_ENABLE 0x1a0
#define MSR_PAT 0x277
#define MSR_EFER 0xc0000080
#define MSR_STAR 0xc0000081
#define MSR_LSTAR 0xc0000082
#define MSR_CSTAR 0xc0000083
#define MSR_SFMASK 0xc0000084
#define MSR_FS_BASE 0xc0000100
#define MSR_GS_BASE 0xc0000101
#define MSR_KERNEL_GS_BASE 0xc0000102
#define MSR_TSC_AUX 0xc0000103

/* IA32_MISC_ENABLE: fast strings (0), and the bits Linux may clear or set (22 limit CPUID, 34 XD disable). */
#define MISC_ENABLE_WRITABLE ((1ULL << 0) | (1ULL << 22) | (1ULL << 34))

static bool pat_valid(u64 v)
{
	for (unsigned i = 0; i < 8; i++) {
		u8 t = (u8)(v >> (i * 8));

		if (t > 7 || t == 2 || t == 3)
			return false;
	}
	return true;
}

/* Returns false for an MSR hover does not implement (-> #GP). */
bool x86_msr_read(struct x86_cpu *cpu, u32 idx, u64 *v)
{
	switch (idx) {
	case MSR_TSC: *v = read_tsc(cpu); return true;
	case MSR_PLATFORM_ID: *v = 0; return true;
	case MSR_APIC_BASE:
		*v = cpu->bus.apic_base_get ? cpu->bus.apic_base_get(cpu->bus.opaque)
					    : 0xfee00000ULL | (1u << 11) | (cpu->apic_id ? 0 : 1u << 8);
		return true;
	case MSR_UCODE_REV: *v = 1ULL << 32; return true; /* revision in EDX */
	case MSR_ARCH_CAPABILITIES: *v = X86_ARCH_CAPABILITIES; return true;
	case MSR_SYSENTER_CS: *v = cpu->msr.sysenter_cs; return true;
	case MSR_SYSENTER_ESP: *v = cpu->msr.sysenter_esp; return true;
	case MSR_SYSENTER_EIP: *v = cpu->msr.sysenter_eip; return true;
	case MSR_MISC_ENABLE: *v = cpu->msr.misc_enable; return true;
	case MSR_PAT: *v = cpu->msr.pat; return true;
	case MSR_EFER: *v = cpu->efer; return true;
	case MSR_STAR: *v = cpu->msr.star; return true;
	case MSR_LSTAR: *v = cpu->msr.lstar; return true;
	case MSR_CSTAR: *v = cpu->msr.cstar; return true;
	case MSR_SFMASK: *v = cpu->msr.sfmask; return true;
	case MSR_FS_BASE: *v = cpu->seg[SEG_FS].base; return true;
	case MSR_GS_BASE: *v = cpu->seg[SEG_GS].base; return true;
	case MSR_KERNEL_GS_BASE: *v = cpu->msr.kernel_gs_base; return true;
	case MSR_TSC_AUX: *v = cpu->msr.tsc_aux; return true;
	default: return false;
	}
}

static bool write_efer(struct x86_cpu *cpu, u64 v)
{
	if (v & ~EFER_VALID)
		return false;
	/* LME may not change while paging is on; LMA is read-only. */
	if ((cpu->cr0 & X86_CR0_PG) && ((v ^ cpu->efer) & X86_EFER_LME))
		return false;
	v = (v & ~X86_EFER_LMA) | (cpu->efer & X86_EFER_LMA);
	if ((v ^ cpu->efer) & X86_EFER_NXE)
		x86_tlb_flush_all(cpu);
	cpu->efer = v;
	return true;
}

bool x86_msr_write(struct x86_cpu *cpu, u32 idx, u64 v)
{
	switch (idx) {
	case MSR_TSC:
		x86_cpu_set_tsc(cpu, v);
		return true;
	case MSR_APIC_BASE:
		if (v & ~(((1ULL << X86_MAXPHYADDR) - 1) & ~0x6ffULL))
			return false;
		if (cpu->bus.apic_base_set)
			cpu->bus.apic_base_set(cpu->bus.opaque, v);
		return true;
	case MSR_UCODE_REV:
		return true; /* writing 0 before CPUID is how the revision is read */
	case MSR_SYSENTER_CS: cpu->msr.sysenter_cs = v & 0xffff; return true;
	case MSR_SYSENTER_ESP:
	case MSR_SYSENTER_EIP:
	case MSR_LSTAR:
	case MSR_CSTAR:
	case MSR_FS_BASE:
	case MSR_GS_BASE:
	case MSR_KERNEL_GS_BASE:
		if (!x86_canonical(v))
			return false;
		switch (idx) {
		case MSR_SYSENTER_ESP: cpu->msr.sysenter_esp = v; break;
		case MSR_SYSENTER_EIP: cpu->msr.sysenter_eip = v; break;
		case MSR_LSTAR: cpu->msr.lstar = v; break;
		case MSR_CSTAR: cpu->msr.cstar = v; break;
		case MSR_FS_BASE: cpu->seg[SEG_FS].base = v; break;
		case MSR_GS_BASE: cpu->seg[SEG_GS].base = v; break;
		default: cpu->msr.kernel_gs_base = v; break;
		}
		return true;
	case MSR_MISC_ENABLE:
		cpu->msr.misc_enable = (cpu->msr.misc_enable & ~MISC_ENABLE_WRITABLE) |
				       (v & MISC_ENABLE_WRITABLE);
		return true;
	case MSR_PAT:
		if (!pat_valid(v))
			return false;
		cpu->msr.pat = v;
		return true;
	case MSR_EFER: return write_efer(cpu, v);
	case MSR_STAR: cpu->msr.star = v; return true;
	case MSR_SFMASK:
		if (v >> 32)
			return false;
		cpu->msr.sfmask = v;
		return true;
	case MSR_TSC_AUX:
		if (v >> 32)
			return false;
		cpu->msr.tsc_aux = v;
		return true;
	default:
		return false;
	}
}

static void op_rdmsr(struct x86_cpu *cpu, const struct x86_insn *in)
{
	u64 v;

	need_cpl0(cpu);
	if (!x86_msr_read(cpu, (u32)cpu->gpr[GPR_RCX], &v))
		x86_gp0(cpu);
	cpu->gpr[GPR_RAX] = (u32)v;
	cpu->gpr[GPR_RDX] = v >> 32;
}

static void op_wrmsr(struct x86_cpu *cpu, const struct x86_insn *in)
{
	u64 v = (u32)cpu->gpr[GPR_RAX] | (cpu->gpr[GPR_RDX] << 32);

	need_cpl0(cpu);
	if (!x86_msr_write(cpu, (u32)cpu->gpr[GPR_RCX], v))
		x86_gp0(cpu);
	cpu->end_block = true;
}

static void op_rdpmc(struct x86_cpu *cpu, const struct x86_insn *in)
{
	x86_gp0(cpu); /* no performance counters are advertised */
}

static void op_cpuid(struct x86_cpu *cpu, const struct x86_insn *in)
{
	u32 out[4];

	x86_cpuid(cpu, (u32)cpu->gpr[GPR_RAX], (u32)cpu->gpr[GPR_RCX], out);
	cpu->gpr[GPR_RAX] = out[0];
	cpu->gpr[GPR_RBX] = out[1];
	cpu->gpr[GPR_RCX] = out[2];
	cpu->gpr[GPR_RDX] = out[3];
}

/* ---- HLT, CLI, STI, PUSHF, POPF ---- */

static void op_hlt(struct x86_cpu *cpu, const struct x86_insn *in)
{
	need_cpl0(cpu);
	cpu->halted = true;
	cpu->end_block = true;
}

/* CLI/STI/POPF/PUSHF rules without VME/PVI: V86 needs IOPL 3, protected mode CPL <= IOPL. */
static void check_if_change(struct x86_cpu *cpu)
{
	if (cpu->mode == X86_MODE_REAL)
		return;
	if (cpu->cpl > iopl(cpu))
		x86_gp0(cpu);
}

static void op_cli(struct x86_cpu *cpu, const struct x86_insn *in)
{
	check_if_change(cpu);
	cpu->rflags &= ~X86_IF;
	cpu->end_block = true;
}

static void op_sti(struct x86_cpu *cpu, const struct x86_insn *in)
{
	check_if_change(cpu);
	if (!(cpu->rflags & X86_IF))
		cpu->intr_shadow = true;
	cpu->rflags |= X86_IF;
	cpu->end_block = true;
}

static unsigned stack_opsize(const struct x86_cpu *cpu, const struct x86_insn *in)
{
	if (x86_long64(cpu))
		return in->opsize == 2 ? 2 : 8;
	return in->opsize;
}

static void op_pushf(struct x86_cpu *cpu, const struct x86_insn *in)
{
	unsigned size = stack_opsize(cpu, in);

	if (cpu->mode == X86_MODE_V86 && iopl(cpu) != 3)
		x86_gp0(cpu);
	x86_push(cpu, size, x86_trunc(x86_get_rflags(cpu) & ~(X86_RF | X86_VM), size));
}

static void op_popf(struct x86_cpu *cpu, const struct x86_insn *in)
{
	unsigned size = stack_opsize(cpu, in);

	if (cpu->mode == X86_MODE_V86 && iopl(cpu) != 3)
		x86_gp0(cpu);
	x86_write_rflags(cpu, x86_pop(cpu, size), size);
	cpu->end_block = true;
}

/* ---- port I/O ---- */

/* I/O permission (Vol. 1 18.5.2): CPL > IOPL or V86 consults the TSS bitmap. */
static void io_check(struct x86_cpu *cpu, u16 port, unsigned size)
{
	unsigned type = SEG_ATTR_TYPE(cpu->tr.attr);
	u64 base;
	u16 bits;

	if (cpu->mode == X86_MODE_REAL || (cpu->mode != X86_MODE_V86 && cpu->cpl <= iopl(cpu)))
		return;
	if ((type != X86_SYS_TSS_AVAIL && type != X86_SYS_TSS_BUSY) || cpu->tr.limit < 0x67)
		x86_gp0(cpu);
	base = x86_read_sys(cpu, cpu->tr.base + X86_TSS64_IOMAP, 2) + (port >> 3);
	if (base + 1 > cpu->tr.limit)
		x86_gp0(cpu);
	bits = (u16)x86_read_sys(cpu, cpu->tr.base + base, 2);
	if ((bits >> (port & 7)) & ((1u << size) - 1))
		x86_gp0(cpu);
}

static u32 pio_in(struct x86_cpu *cpu, u16 port, unsigned size)
{
	u32 v = 0xffffffffu;

	if (!cpu->bus.pio_in || cpu->bus.pio_in(cpu->bus.opaque, port, size, &v) < 0)
		v = 0xffffffffu;
	return (u32)x86_trunc(v, size);
}

static void pio_out(struct x86_cpu *cpu, u16 port, unsigned size, u32 v)
{
	if (cpu->bus.pio_out)
		cpu->bus.pio_out(cpu->bus.opaque, port, size, (u32)x86_trunc(v, size));
}

static unsigned io_size(const struct x86_insn *in)
{
	return (in->opcode & 1) ? (in->opsize == 2 ? 2 : 4) : 1;
}

/* E4-E7 (imm8 port), EC-EF (DX port). */
static void op_in_out(struct x86_cpu *cpu, const struct x86_insn *in)
{
	unsigned size = io_size(in);
	u16 port = (in->opcode & 8) ? (u16)cpu->gpr[GPR_RDX] : (u8)in->imm;

	io_check(cpu, port, size);
	if (in->opcode & 2)
		pio_out(cpu, port, size, (u32)cpu->gpr[GPR_RAX]);
	else
		x86_set_reg(cpu, in, GPR_RAX, size, pio_in(cpu, port, size));
	cpu->end_block = true; /* a device may have raised an interrupt or stopped the VM */
}

/* Write an address-sized register: 16 bits merge, 32 bits zero-extend. */
static void set_areg(struct x86_cpu *cpu, int reg, unsigned as, u64 v)
{
	if (as == 2)
		cpu->gpr[reg] = (cpu->gpr[reg] & ~0xffffULL) | (v & 0xffff);
	else
		cpu->gpr[reg] = x86_trunc(v, as);
}

/* Iterations of REP INS/OUTS per execution; the rest restarts, so interrupts get in. */
#define IO_REP_CHUNK 4096

/* 6C/6D INS (ES:rDI, no override), 6E/6F OUTS (seg:rSI). */
static void op_ins_outs(struct x86_cpu *cpu, const struct x86_insn *in)
{
	unsigned size = io_size(in), as = in->addrsize;
	bool out = in->opcode & 2, rep = in->prefix & (X86_PFX_REP | X86_PFX_REPNE);
	u16 port = (u16)cpu->gpr[GPR_RDX];
	int reg = out ? GPR_RSI : GPR_RDI;
	s64 step = (x86_get_rflags(cpu) & X86_DF) ? -(s64)size : (s64)size;
	u64 count = rep ? x86_trunc(cpu->gpr[GPR_RCX], as) : 1;

	io_check(cpu, port, size);
	for (unsigned n = 0; count && n < IO_REP_CHUNK; n++) {
		u64 off = x86_trunc(cpu->gpr[reg], as);

		if (out) {
			pio_out(cpu, port, size, (u32)x86_read(cpu, in->seg, off, size));
		} else {
			x86_check_write(cpu, SEG_ES, off, size);
			x86_write(cpu, SEG_ES, off, size, pio_in(cpu, port, size));
		}
		set_areg(cpu, reg, as, off + (u64)step);
		/* Without REP, count (1) must run out too: one access, not IO_REP_CHUNK. */
		count--;
		if (rep)
			set_areg(cpu, GPR_RCX, as, count);
	}
	if (rep && count)
		cpu->next_rip = cpu->rip;
	cpu->end_block = true;
}

/* ---- FPU/SSE availability ---- */

void x86_check_fpu(struct x86_cpu *cpu)
{
	if (cpu->cr0 & (X86_CR0_EM | X86_CR0_TS))
		x86_raise(cpu, X86_EXC_NM, X86_NO_ERR);
}

void x86_check_sse(struct x86_cpu *cpu)
{
	if ((cpu->cr0 & X86_CR0_EM) || !(cpu->cr4 & X86_CR4_OSFXSR))
		x86_ud(cpu);
	if (cpu->cr0 & X86_CR0_TS)
		x86_raise(cpu, X86_EXC_NM, X86_NO_ERR);
}

void x86_register_system(struct x86_optable *t)
{
	x86_optable_set(t, X86_MAP_0F, 0x00, op_grp6);
	x86_optable_set(t, X86_MAP_0F, 0x01, op_grp7);
	x86_optable_set(t, X86_MAP_0F, 0x06, op_clts);
	x86_optable_set(t, X86_MAP_0F, 0x08, op_wbinvd);
	x86_optable_set(t, X86_MAP_0F, 0x09, op_wbinvd);
	x86_optable_set(t, X86_MAP_0F, 0x20, op_mov_Rd_Cd);
	x86_optable_set(t, X86_MAP_0F, 0x21, op_mov_Rd_Dd);
	x86_optable_set(t, X86_MAP_0F, 0x22, op_mov_Cd_Rd);
	x86_optable_set(t, X86_MAP_0F, 0x23, op_mov_Dd_Rd);
	x86_optable_set(t, X86_MAP_0F, 0x30, op_wrmsr);
	x86_optable_set(t, X86_MAP_0F, 0x31, op_rdtsc);
	x86_optable_set(t, X86_MAP_0F, 0x32, op_rdmsr);
	x86_optable_set(t, X86_MAP_0F, 0x33, op_rdpmc);
	x86_optable_set(t, X86_MAP_0F, 0xa2, op_cpuid);
	x86_optable_set(t, X86_MAP_1B, 0xf4, op_hlt);
	x86_optable_set(t, X86_MAP_1B, 0xfa, op_cli);
	x86_optable_set(t, X86_MAP_1B, 0xfb, op_sti);
	x86_optable_set(t, X86_MAP_1B, 0x9c, op_pushf);
	x86_optable_set(t, X86_MAP_1B, 0x9d, op_popf);
	for (int op = 0xe4; op <= 0xe7; op++)
		x86_optable_set(t, X86_MAP_1B, op, op_in_out);
	for (int op = 0xec; op <= 0xef; op++)
		x86_optable_set(t, X86_MAP_1B, op, op_in_out);
	for (int op = 0x6c; op <= 0x6f; op++)
		x86_optable_set(t, X86_MAP_1B, op, op_ins_outs);
}
