/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The local APIC's insides, shared by hw/lapic.c (the APIC, Intel SDM vol. 3A
 * chapter 10) and hw/lapic_state.c (its save/load). Nothing else includes it.
 */
#ifndef HOVER_HW_LAPIC_INT_H
#define HOVER_HW_LAPIC_INT_H

#include "hw/lapic.h"

/* LVT entries: timer, thermal, performance counters, LINT0, LINT1, error. */
#define LAPIC_LVT_COUNT 6

struct lapic {
	struct lapic_config cfg;

	/* Architectural state (plain data: saved and restored as is). */
	u64 apic_base;
	u32 id; /* the ID register: APIC ID in bits 31:24 */
	u32 tpr, ldr, dfr, svr;
	u32 irr[8], isr[8], tmr[8];
	u32 esr, esr_pending; /* ESR as last latched; errors since the last ESR write */
	u32 icr_lo, icr_hi;
	u32 lvt[LAPIC_LVT_COUNT];
	u32 timer_initial, timer_dcr;
	bool timer_running;
	u64 timer_start_ns; /* start of the current count-down period */
	u8 lint_level[2];   /* input pin levels as driven */
	bool extint_pending; /* ExtINT message (IOAPIC pin in ExtINT mode) */
	bool nmi_pending, init_pending, sipi_pending;
	u8 sipi_vector;

	struct timer timer;
};

/* The APIC's clock (cfg.now, or clock_ns()). */
u64 lapic_now(const struct lapic *l);
/* Arm the timer for the end of the current period if it runs, else stop it. */
void lapic_timer_restart(struct lapic *l);

#endif
