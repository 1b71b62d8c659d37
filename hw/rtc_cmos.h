/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * MC146818 / DS12887 real-time clock and 128 bytes of CMOS RAM at 0x70
 * (index, bit 7 = NMI mask) and 0x71 (data), interrupting on IRQ8.
 */
#ifndef HOVER_HW_RTC_CMOS_H
#define HOVER_HW_RTC_CMOS_H

#include "include/hover/addrspace.h"
#include "include/hover/irq.h"
#include "include/hover/state.h"
#include "include/hover/timer.h"
#include "include/hover/types.h"

#define RTC_CMOS_BASE 0x70
#define RTC_CMOS_IRQ 8
#define RTC_CMOS_CENTURY 0x32 /* the FADT's century index should point here */

/* Plain data: the RAM image plus the clock's relation to the host's clock. */
struct rtc_cmos_state {
	u8 cmos[128];
	u8 index;
	bool nmi_masked;
	bool irq_level;
	/* Guest wall-clock time in ns = monotonic now + epoch_ns. */
	s64 epoch_ns;
	s64 last_uf_sec;  /* guest second of the last update cycle seen */
	u64 last_c_read;  /* monotonic time of the last register C read (lazy PF) */
};

struct rtc_cmos_config {
	struct irq_line irq;        /* IRQ8 */
	struct timer_list *timers;
	u64 ram_below_4g;           /* bytes of RAM below 4 GiB (incl. the first MiB) */
	u64 ram_above_4g;           /* bytes of RAM above 4 GiB */
	/* Optional clocks (tests); NULL means clock_ns() and CLOCK_REALTIME. */
	u64 (*now_ns)(void *clock_opaque);
	s64 (*realtime_ns)(void *clock_opaque);
	void *clock_opaque;
};

struct rtc_cmos {
	struct rtc_cmos_state s;
	struct rtc_cmos_config cfg;
	struct timer periodic_timer;
	struct timer update_timer;
	struct addrspace *pio; /* where attached, for destroy */
};

int rtc_cmos_create(struct rtc_cmos **out, const struct rtc_cmos_config *cfg) HOVER_WUR;
/* Unregisters the ports if attached: destroy devices before the address space. */
void rtc_cmos_destroy(struct rtc_cmos *r);
/* The RESET pin: interrupt enables and flags clear; time and RAM are battery-backed. */
void rtc_cmos_reset(struct rtc_cmos *r);
/* Registers 0x70-0x71. */
int rtc_cmos_attach(struct rtc_cmos *r, struct addrspace *pio) HOVER_WUR;

/* Port 0x70 bit 7: true while the guest masks NMIs. */
bool rtc_cmos_nmi_masked(const struct rtc_cmos *r);

extern const struct io_ops rtc_cmos_io_ops;

/* Section "rtc_cmos": CMOS RAM, the guest's time of day, update/periodic phase. */
extern const struct dev_state_ops rtc_cmos_state_ops;

#endif
