// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Save and load of the local APIC (include/hover/state.h): every register of
 * the APIC page the guest can read back (Intel SDM vol. 3A table 10-1), the
 * pending INIT/SIPI/NMI/ExtINT events, and the timer. The timer's count is
 * not a register of its own (hw/lapic.c computes it from when its period
 * started), so saving the period's start relative to the clock keeps the
 * current count, and the expiry is re-armed from it.
 */
#include "hw/lapic_int.h"

static void put_vec(struct state_writer *w, const u32 *r)
{
	for (unsigned i = 0; i < 8; i++)
		state_put_u32(w, r[i]);
}

static void get_vec(struct state_reader *r, u32 *v)
{
	for (unsigned i = 0; i < 8; i++)
		v[i] = state_get_u32(r);
}

static int lapic_save(void *dev, struct state_writer *w)
{
	struct lapic *l = dev;

	state_put_u64(w, l->s.apic_base);
	state_put_u32(w, l->s.id);
	state_put_u32(w, l->s.tpr);
	state_put_u32(w, l->s.ldr);
	state_put_u32(w, l->s.dfr);
	state_put_u32(w, l->s.svr);
	put_vec(w, l->s.irr);
	put_vec(w, l->s.isr);
	put_vec(w, l->s.tmr);
	state_put_u32(w, l->s.esr);
	state_put_u32(w, l->s.esr_pending);
	state_put_u32(w, l->s.icr_lo);
	state_put_u32(w, l->s.icr_hi);
	for (unsigned i = 0; i < LAPIC_LVT_COUNT; i++)
		state_put_u32(w, l->s.lvt[i]);
	state_put_u32(w, l->s.timer_initial);
	state_put_u32(w, l->s.timer_dcr);
	state_put_bool(w, l->s.timer_running);
	state_put_time(w, l->s.timer_start_ns, lapic_now(l));
	state_put_bool(w, l->s.lint_level[0]);
	state_put_bool(w, l->s.lint_level[1]);
	state_put_bool(w, l->s.extint_pending);
	state_put_bool(w, l->s.nmi_pending);
	state_put_bool(w, l->s.init_pending);
	state_put_bool(w, l->s.sipi_pending);
	state_put_u8(w, l->s.sipi_vector);
	return 0;
}

static int lapic_load(void *dev, struct state_reader *r)
{
	struct lapic *l = dev;

	l->s.apic_base = state_get_u64(r);
	l->s.id = state_get_u32(r);
	l->s.tpr = state_get_u32(r);
	l->s.ldr = state_get_u32(r);
	l->s.dfr = state_get_u32(r);
	l->s.svr = state_get_u32(r);
	get_vec(r, l->s.irr);
	get_vec(r, l->s.isr);
	get_vec(r, l->s.tmr);
	l->s.esr = state_get_u32(r);
	l->s.esr_pending = state_get_u32(r);
	l->s.icr_lo = state_get_u32(r);
	l->s.icr_hi = state_get_u32(r);
	for (unsigned i = 0; i < LAPIC_LVT_COUNT; i++)
		l->s.lvt[i] = state_get_u32(r);
	l->s.timer_initial = state_get_u32(r);
	l->s.timer_dcr = state_get_u32(r);
	l->s.timer_running = state_get_bool(r);
	l->s.timer_start_ns = state_get_time(r, lapic_now(l));
	l->s.lint_level[0] = state_get_bool(r);
	l->s.lint_level[1] = state_get_bool(r);
	l->s.extint_pending = state_get_bool(r);
	l->s.nmi_pending = state_get_bool(r);
	l->s.init_pending = state_get_bool(r);
	l->s.sipi_pending = state_get_bool(r);
	l->s.sipi_vector = state_get_u8(r);
	if (state_reader_error(r))
		return state_reader_error(r);
	/* hover's APIC is xAPIC only; a saved x2APIC mode cannot be honoured. */
	if (l->s.apic_base & LAPIC_BASE_EXTD)
		return state_reader_fail(r, "IA32_APIC_BASE 0x%llx has x2APIC mode on (not "
					 "supported)", (unsigned long long)l->s.apic_base);
	if ((l->s.id >> 24) != l->cfg.apic_id)
		return state_reader_fail(r, "APIC ID %u saved, this vCPU's is %u", l->s.id >> 24,
					 l->cfg.apic_id);
	lapic_timer_restart(l);
	return 0;
}

const struct dev_state_ops lapic_state_ops = {
	.section = "lapic", .version = 1, .save = lapic_save, .load = lapic_load,
};
