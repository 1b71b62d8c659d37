/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The local APIC's insides, shared by hw/lapic.c (the APIC, Intel SDM vol. 3A
 * chapter 10) and hw/lapic_state.c (its save/load). Nothing else includes it.
 */
#ifndef HOVER_HW_LAPIC_INT_H
#define HOVER_HW_LAPIC_INT_H

#include "hw/lapic.h"

struct lapic {
	struct lapic_config cfg;
	struct lapic_state s;
	struct timer timer;
};

/* The APIC's clock (cfg.now, or clock_ns()). */
u64 lapic_now(const struct lapic *l);
/* Arm the timer for the end of the current period if it runs, else stop it. */
void lapic_timer_restart(struct lapic *l);

#endif
