/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Intel 8254 programmable interval timer at 0x40-0x43 (channel 0 -> IRQ0,
 * channel 2 -> PC speaker / calibration), plus port 0x61 (system control
 * port B: channel 2 gate and output, refresh toggle), which it owns.
 */
#ifndef HOVER_HW_PIT8254_H
#define HOVER_HW_PIT8254_H

#include "include/hover/addrspace.h"
#include "include/hover/irq.h"
#include "include/hover/state.h"
#include "include/hover/timer.h"
#include "include/hover/types.h"

#define PIT8254_HZ 1193182ull
#define PIT8254_BASE 0x40
#define PIT8254_PORT61 0x61

/* One counter; plain data. Times are clock_ns() values. */
struct pit8254_channel {
	u16 count_reg;     /* last count written (raw, BCD if bcd) */
	u32 initial;       /* decoded count: 1..65536 (binary) or 1..10000 (BCD) */
	u8 mode, rw, bcd;  /* control word fields; rw 1 = LSB, 2 = MSB, 3 = LSB then MSB */
	u8 write_lsb;      /* LSB held until the MSB arrives (rw 3) */
	bool write_msb_next, read_msb_next;
	bool count_latched, latch_msb_next;
	u16 latched_count;
	bool status_latched;
	u8 status;
	bool loaded;       /* a count was written since the control word */
	bool gate;
	bool counting;     /* the counting element runs */
	bool triggered;    /* modes 1 and 5: a gate edge started the count */
	u64 load_ns;       /* when counting (re)started */
	u64 base_ticks;    /* ticks counted before load_ns (gate pauses) */
};

struct pit8254_state {
	struct pit8254_channel ch[3];
	u8 port61; /* bits 0-3 as written: gate 2, speaker data, parity/IOCHK enables */
};

struct pit8254_config {
	struct irq_line irq0;      /* channel 0 output (pulsed on each rising edge) */
	struct timer_list *timers;
	/* Optional clock (tests, virtual time); NULL means clock_ns(). */
	u64 (*now_ns)(void *clock_opaque);
	void *clock_opaque;
};

struct pit8254 {
	struct pit8254_state s;
	struct pit8254_config cfg;
	struct timer irq_timer;
	struct addrspace *pio; /* where attached, for destroy */
};

int pit8254_create(struct pit8254 **out, const struct pit8254_config *cfg) HOVER_WUR;
/* Unregisters the ports if attached: destroy devices before the address space. */
void pit8254_destroy(struct pit8254 *p);
void pit8254_reset(struct pit8254 *p);
/* Registers 0x40-0x43 and 0x61. */
int pit8254_attach(struct pit8254 *p, struct addrspace *pio) HOVER_WUR;

extern const struct io_ops pit8254_io_ops;   /* 4 ports at 0x40 */
extern const struct io_ops pit8254_port61_ops; /* 1 port at 0x61 */

/* Section "pit8254": the three counters (count start times relative to the clock), port 0x61. */
extern const struct dev_state_ops pit8254_state_ops;

#endif
