/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The whole vCPU in one engine-neutral form, for snapshots, migration and
 * moving a running VM between engines (emu <-> kvm). Every engine fills and
 * consumes exactly this (accel_ops vcpu_get_state/vcpu_set_state); the byte
 * form is produced only by vcpu_state_encode(), field by field, little-endian
 * and versioned, so it never depends on this struct's layout or padding.
 *
 * Plain data: no pointers, no host state. Names follow the Intel SDM: Vol. 1
 * 3.4 (registers), 13.4 (the XSAVE area), Vol. 3A 2.5 (control registers),
 * 6.8.3 (interrupt shadow), 6.9 (pending events), 8.4 (INIT/SIPI, MP state),
 * 17.2 (debug registers), 10.4.1 Table 10-1 (the xAPIC register page).
 *
 * What is not here: the local APIC of the emu engine is a device (hw/lapic.c)
 * and saves itself with the other devices; only an engine whose LAPIC lives
 * in the kernel fills `lapic` (VCPU_STATE_LAPIC). The VM clock (kvmclock,
 * the emu timers' time base) is VM-wide, not per vCPU.
 */
#ifndef HOVER_INCLUDE_VCPU_STATE_H
#define HOVER_INCLUDE_VCPU_STATE_H

#include "include/hover/regs.h"
#include "include/hover/types.h"

/* Version of the byte form; bump it when a field is added, removed or changes meaning. */
#define VCPU_STATE_VERSION 1

/*
 * The XSAVE area in the standard (non-compacted) format: legacy FXSAVE
 * region (bytes 0-511), XSAVE header (512-575: XSTATE_BV at 512), then the
 * extended components at their CPUID.0DH offsets (AVX's YMM_Hi128 at 576).
 * 4096 bytes is KVM_GET_XSAVE's size and covers x87, SSE and AVX.
 */
#define VCPU_STATE_XSAVE_SIZE 4096
#define VCPU_XSAVE_HDR_OFF 512
#define VCPU_XSAVE_XSTATE_BV_OFF 512
#define VCPU_XSTATE_X87 (1ULL << 0)
#define VCPU_XSTATE_SSE (1ULL << 1)
#define VCPU_XSTATE_AVX (1ULL << 2)

/* Enough for every MSR either engine exposes (kvm: ~30 after intersecting). */
#define VCPU_STATE_MAX_MSRS 96

/*
 * The local APIC as its architectural xAPIC register page (SDM Vol. 3A
 * Table 10-1: each register at its MMIO offset), which is what
 * KVM_GET_LAPIC returns; not an engine's private format, so hw/lapic.c can
 * be taught to read and write it for moves between engines. The current
 * count (0x390) is only a snapshot: the timer restarts from TMICT.
 */
#define VCPU_STATE_LAPIC_SIZE 1024

/* flags */
#define VCPU_STATE_LAPIC (1u << 0) /* lapic[] holds this vCPU's local APIC (in-kernel LAPIC) */

/* MP state (KVM_GET_MP_STATE's values for x86; SDM Vol. 3A 8.4). */
enum vcpu_mp_state {
	VCPU_MP_RUNNABLE = 0,
	VCPU_MP_UNINITIALIZED = 1, /* an AP waiting for INIT */
	VCPU_MP_INIT_RECEIVED = 2, /* waiting for SIPI */
	VCPU_MP_HALTED = 3,        /* HLT: until an interrupt */
	VCPU_MP_SIPI_RECEIVED = 4,
};

/* Interrupt shadow bits (SDM Vol. 3A 6.8.3). */
#define VCPU_SHADOW_MOV_SS (1u << 0) /* after MOV SS / POP SS: also holds back #DB */
#define VCPU_SHADOW_STI (1u << 1)

/*
 * Events caught between "decided" and "delivered" (SDM Vol. 3A 6.9): what a
 * hardware engine can be stopped in the middle of, and what any engine must
 * deliver first when it runs the vCPU again.
 */
struct vcpu_events {
	/* An exception being injected (delivery started, not finished). */
	u8 exception_injected;
	u8 exception_vector;
	u8 exception_has_error;
	u32 exception_error;
	/* An external interrupt already acknowledged from the interrupt controller, not yet delivered. */
	u8 interrupt_injected;
	u8 interrupt_vector;
	u8 interrupt_soft; /* INT n being re-injected after a fault in its delivery */
	u8 nmi_injected;   /* an NMI being delivered */
	u8 nmi_pending;    /* an NMI latched, not yet started */
	u8 nmi_masked;     /* inside an NMI handler: further NMIs blocked until IRET */
	u8 shadow;         /* VCPU_SHADOW_* */
	u8 sipi_vector;    /* with VCPU_MP_SIPI_RECEIVED */
};

struct vcpu_msr {
	u32 index; /* architectural MSR number (SDM Vol. 4) */
	u64 value;
};

struct vcpu_state {
	u32 flags; /* VCPU_STATE_* */

	u64 gpr[16]; /* GPR_* order */
	u64 rip;
	u64 rflags; /* all arithmetic flags materialised */
	struct seg_reg seg[SEG_COUNT];
	struct seg_reg ldtr, tr;
	struct dtable_reg gdtr, idtr;
	u64 cr0, cr2, cr3, cr4, cr8; /* CR8 = TPR[7:4] */
	u64 efer;
	u64 xcr0;
	u64 dr[4]; /* DR0-DR3 */
	u64 dr6, dr7;
	u64 apic_base; /* IA32_APIC_BASE */
	u64 tsc;       /* IA32_TIME_STAMP_COUNTER when the state was taken (set last) */

	u8 xsave[VCPU_STATE_XSAVE_SIZE];

	/*
	 * Every other MSR the engine exposes, by architectural index, in
	 * ascending order. EFER, FS/GS base, APIC_BASE and TSC are not repeated
	 * here: they have fields above. An engine ignores MSRs it does not
	 * implement (a move between engines keeps what both have; CPUID is the
	 * common subset, so the guest never learned about the others).
	 */
	u32 nmsrs;
	struct vcpu_msr msrs[VCPU_STATE_MAX_MSRS];

	struct vcpu_events events;
	u32 mp_state; /* enum vcpu_mp_state */

	u8 lapic[VCPU_STATE_LAPIC_SIZE]; /* with VCPU_STATE_LAPIC */
};

/* Largest byte form vcpu_state_encode() produces, for sizing a buffer. */
size_t vcpu_state_encoded_max(void);

/*
 * Write s into buf (len bytes). Returns the number of bytes written, or
 * -ENOSPC if buf is too small.
 */
long vcpu_state_encode(const struct vcpu_state *s, u8 *buf, size_t len) HOVER_WUR;

/*
 * Read a byte form back. Returns the number of bytes consumed, or -EINVAL
 * for a buffer that is truncated, of another version, or carries values no
 * vCPU can hold (too many MSRs). s is zeroed first.
 */
long vcpu_state_decode(struct vcpu_state *s, const u8 *buf, size_t len) HOVER_WUR;

/* The general registers part (struct vcpu_regs) of a state, and back. */
void vcpu_state_to_regs(const struct vcpu_state *s, struct vcpu_regs *r);
void vcpu_state_from_regs(struct vcpu_state *s, const struct vcpu_regs *r);

/* For a report: the field at byte off of s's byte form ("MSR 0x175", "xsave byte 24"). */
const char *vcpu_state_field_at(const struct vcpu_state *s, size_t off, char *buf, size_t len);

/* Value of MSR index in s->msrs, or false if absent. */
bool vcpu_state_msr_get(const struct vcpu_state *s, u32 index, u64 *value);
/* Add or replace MSR index; -ENOSPC if the table is full. Keeps the order. */
int vcpu_state_msr_set(struct vcpu_state *s, u32 index, u64 value);

#endif
