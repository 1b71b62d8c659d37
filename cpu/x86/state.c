// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The software CPU's whole state in the engine-neutral form of struct
 * vcpu_state (include/hover/vcpu_state.h), for snapshots, migration and
 * moving a VM to or from the kvm engine.
 *
 * What maps how:
 * - x87/SSE go through the FXSAVE image (fxsave.c), 64-bit form, as the
 *   legacy region of the XSAVE area (SDM Vol. 1 13.4.1); XSTATE_BV says
 *   which components hold data, a clear bit means the component's initial
 *   state (SDM Vol. 1 13.6). This CPU has no AVX: an XCR0 that enables it
 *   cannot be taken over.
 * - CPL is SS.DPL outside real and virtual-8086 mode (SDM Vol. 3A 5.5; VMX
 *   requires the same of a guest state), so no separate field is needed.
 * - The interrupt shadow is intr_shadow/movss_shadow (SDM Vol. 3A 6.8.3).
 * - Pending events: this CPU finishes every delivery it starts before it
 *   stops, so it never reports one of its own; an event another engine
 *   stopped in the middle of is kept in inject_* and delivered first
 *   (run.c). There is no NMI blocking of its own: nmi_masked is dropped.
 * - MP state: running or halted; the INIT/SIPI wait of an AP is the local
 *   APIC device's business, not this CPU's.
 * - The TSC is set last, against the bus clock (the VM clock).
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "cpu/x86/fpu.h"
#include "cpu/x86/mmu.h"
#include "include/hover/vcpu_state.h"
#include "include/hover/x86_msr.h"

/* The MSRs this CPU keeps as state (x86_msr_read/x86_msr_write), ascending. */
static const struct {
	u32 index;
	size_t off; /* in struct x86_msrs */
} state_msrs[] = {
	{ X86_MSR_SYSENTER_CS, offsetof(struct x86_msrs, sysenter_cs) },
	{ X86_MSR_SYSENTER_ESP, offsetof(struct x86_msrs, sysenter_esp) },
	{ X86_MSR_SYSENTER_EIP, offsetof(struct x86_msrs, sysenter_eip) },
	{ X86_MSR_MISC_ENABLE, offsetof(struct x86_msrs, misc_enable) },
	{ X86_MSR_PAT, offsetof(struct x86_msrs, pat) },
	{ X86_MSR_STAR, offsetof(struct x86_msrs, star) },
	{ X86_MSR_LSTAR, offsetof(struct x86_msrs, lstar) },
	{ X86_MSR_CSTAR, offsetof(struct x86_msrs, cstar) },
	{ X86_MSR_SFMASK, offsetof(struct x86_msrs, sfmask) },
	{ X86_MSR_KERNEL_GS_BASE, offsetof(struct x86_msrs, kernel_gs_base) },
	{ X86_MSR_TSC_AUX, offsetof(struct x86_msrs, tsc_aux) },
};

#define XCR0_SUPPORTED (VCPU_XSTATE_X87 | VCPU_XSTATE_SSE)

static u64 get_le64(const u8 *p)
{
	u64 v = 0;

	for (unsigned i = 0; i < 8; i++)
		v |= (u64)p[i] << (8 * i);
	return v;
}

static void put_le64(u8 *p, u64 v)
{
	for (unsigned i = 0; i < 8; i++)
		p[i] = (u8)(v >> (8 * i));
}

static void get_events(const struct x86_cpu *cpu, struct vcpu_events *e)
{
	memset(e, 0, sizeof(*e));
	if (cpu->intr_shadow)
		e->shadow = cpu->movss_shadow ? VCPU_SHADOW_MOV_SS : VCPU_SHADOW_STI;
	switch (cpu->inject_kind) {
	case X86_INJECT_EXCEPTION:
		e->exception_injected = 1;
		e->exception_vector = cpu->inject_vector;
		e->exception_has_error = cpu->inject_error != X86_NO_ERR;
		e->exception_error = e->exception_has_error ? cpu->inject_error : 0;
		break;
	case X86_INJECT_INTR:
		e->interrupt_injected = 1;
		e->interrupt_vector = cpu->inject_vector;
		break;
	case X86_INJECT_NMI:
		e->nmi_pending = 1;
		break;
	}
}

void x86_cpu_get_state(struct x86_cpu *cpu, struct vcpu_state *s)
{
	u64 apic_base = 0;

	memset(s, 0, sizeof(*s));
	memcpy(s->gpr, cpu->gpr, sizeof(s->gpr));
	s->rip = cpu->rip;
	s->rflags = x86_get_rflags(cpu);
	memcpy(s->seg, cpu->seg, sizeof(s->seg));
	s->ldtr = cpu->ldtr;
	s->tr = cpu->tr;
	s->gdtr = cpu->gdtr;
	s->idtr = cpu->idtr;
	s->cr0 = cpu->cr0;
	s->cr2 = cpu->cr2;
	s->cr3 = cpu->cr3;
	s->cr4 = cpu->cr4;
	s->cr8 = cpu->cr8;
	s->efer = cpu->efer;
	s->xcr0 = cpu->xcr0;
	memcpy(s->dr, cpu->dr, sizeof(s->dr));
	s->dr6 = cpu->dr[6];
	s->dr7 = cpu->dr[7];
	x86_msr_read(cpu, X86_MSR_APIC_BASE, &apic_base);
	s->apic_base = apic_base;

	x86_fpu_to_fxsave(&cpu->fpu, s->xsave, true);
	put_le64(s->xsave + VCPU_XSAVE_XSTATE_BV_OFF, VCPU_XSTATE_X87 | VCPU_XSTATE_SSE);

	for (unsigned i = 0; i < ARRAY_SIZE(state_msrs); i++) {
		u64 v;

		memcpy(&v, (const u8 *)&cpu->msr + state_msrs[i].off, sizeof(v));
		s->msrs[i] = (struct vcpu_msr){ .index = state_msrs[i].index, .value = v };
	}
	s->nmsrs = ARRAY_SIZE(state_msrs);

	get_events(cpu, &s->events);
	s->mp_state = cpu->halted ? VCPU_MP_HALTED : VCPU_MP_RUNNABLE;
	s->tsc = x86_cpu_tsc(cpu);
}

/* The event to hand to inject_*, or -EINVAL for one this CPU cannot finish. */
static int events_to_inject(const struct vcpu_events *e, u8 *kind, u8 *vector, u32 *error)
{
	unsigned n = !!e->exception_injected + !!(e->nmi_injected || e->nmi_pending) +
		     !!e->interrupt_injected;

	*kind = X86_INJECT_NONE;
	*vector = 0;
	*error = X86_NO_ERR;
	/* One event at a time is all a delivery in progress can be; a soft INT n needs its length. */
	if (n > 1 || (e->interrupt_injected && e->interrupt_soft))
		return -EINVAL;
	if (e->exception_injected) {
		if (e->exception_vector >= 32)
			return -EINVAL;
		*kind = X86_INJECT_EXCEPTION;
		*vector = e->exception_vector;
		*error = e->exception_has_error ? e->exception_error : X86_NO_ERR;
	} else if (e->nmi_injected || e->nmi_pending) {
		*kind = X86_INJECT_NMI;
		*vector = X86_EXC_NMI;
	} else if (e->interrupt_injected) {
		*kind = X86_INJECT_INTR;
		*vector = e->interrupt_vector;
	}
	return 0;
}

/* x87 and SSE from the XSAVE area; a component whose XSTATE_BV bit is clear is in its initial state. */
static int fpu_from_xsave(struct x86_fpu *f, const u8 *xsave)
{
	u64 bv = get_le64(xsave + VCPU_XSAVE_XSTATE_BV_OFF);
	struct x86_fpu n;

	memset(&n, 0, sizeof(n));
	if (x86_fpu_from_fxsave(&n, xsave, true, 16) < 0)
		return -EINVAL;
	if (!(bv & VCPU_XSTATE_X87)) {
		u32 mxcsr = n.mxcsr;
		union x86_xmm xmm[16];

		memcpy(xmm, n.xmm, sizeof(xmm));
		memset(&n, 0, sizeof(n));
		n.fcw = 0x37f;
		n.ftw = 0xffff;
		n.mxcsr = mxcsr;
		memcpy(n.xmm, xmm, sizeof(xmm));
	}
	if (!(bv & VCPU_XSTATE_SSE))
		memset(n.xmm, 0, sizeof(n.xmm));
	*f = n;
	return 0;
}

int x86_cpu_set_state(struct x86_cpu *cpu, const struct vcpu_state *s)
{
	struct x86_msrs saved = cpu->msr;
	struct x86_fpu fpu;
	u8 kind, vector;
	u32 error;
	int ret;

	/* Everything that can be refused is checked before anything changes. */
	if ((s->xcr0 & ~XCR0_SUPPORTED) || !(s->xcr0 & VCPU_XSTATE_X87))
		return -EINVAL;
	if (s->mp_state != VCPU_MP_RUNNABLE && s->mp_state != VCPU_MP_HALTED)
		return -EINVAL;
	/* What IA32_APIC_BASE takes here: no x2APIC (EXTD, bit 10), nothing beyond MAXPHYADDR. */
	if (s->apic_base & ~(((1ULL << X86_MAXPHYADDR) - 1) & ~0x6ffULL))
		return -EINVAL;
	ret = events_to_inject(&s->events, &kind, &vector, &error);
	if (ret)
		return ret;
	ret = fpu_from_xsave(&fpu, s->xsave);
	if (ret)
		return ret;
	for (unsigned i = 0; i < s->nmsrs && i < VCPU_STATE_MAX_MSRS; i++) {
		for (unsigned j = 0; j < ARRAY_SIZE(state_msrs); j++) {
			if (state_msrs[j].index != s->msrs[i].index)
				continue;
			if (!x86_msr_write(cpu, s->msrs[i].index, s->msrs[i].value)) {
				cpu->msr = saved;
				return -EINVAL;
			}
		}
	}

	memcpy(cpu->gpr, s->gpr, sizeof(cpu->gpr));
	cpu->rip = s->rip;
	cpu->lf.op = X86_LF_NONE;
	cpu->rflags = s->rflags | 2;
	memcpy(cpu->seg, s->seg, sizeof(cpu->seg));
	cpu->ldtr = s->ldtr;
	cpu->tr = s->tr;
	cpu->gdtr = s->gdtr;
	cpu->idtr = s->idtr;
	cpu->cr0 = s->cr0;
	cpu->cr2 = s->cr2;
	cpu->cr3 = s->cr3;
	cpu->cr4 = s->cr4;
	cpu->cr8 = s->cr8;
	cpu->efer = s->efer;
	cpu->xcr0 = s->xcr0;
	memcpy(cpu->dr, s->dr, sizeof(s->dr));
	cpu->dr[6] = s->dr6;
	cpu->dr[7] = s->dr7;
	cpu->fpu = fpu;

	cpu->intr_shadow = s->events.shadow != 0;
	cpu->movss_shadow = (s->events.shadow & VCPU_SHADOW_MOV_SS) != 0;
	cpu->inject_kind = kind;
	cpu->inject_vector = vector;
	cpu->inject_error = error;
	/* The run loop looks at inject_* (and the interrupt controller) when intr_poll is set. */
	cpu->intr_poll = true;
	cpu->halted = s->mp_state == VCPU_MP_HALTED;
	cpu->fault_depth = 0;
	cpu->triple_fault = false;

	x86_tlb_flush_all(cpu);
	x86_blocks_flush(cpu);
	cpu->mode = X86_MODE_REAL;
	x86_update_mode(cpu);
	if (cpu->mode != X86_MODE_REAL && cpu->mode != X86_MODE_V86)
		cpu->cpl = SEG_ATTR_DPL(cpu->seg[SEG_SS].attr);
	cpu->end_block = false;
	if (cpu->bus.apic_base_set)
		x86_msr_write(cpu, X86_MSR_APIC_BASE, s->apic_base);
	/* Last: the TSC is counted from the VM clock at this moment. */
	x86_cpu_set_tsc(cpu, s->tsc);
	return 0;
}
