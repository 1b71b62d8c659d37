/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Local APIC (xAPIC mode), one per vCPU. Intel SDM Vol. 3A chapter 10
 * ("Advanced Programmable Interrupt Controller"); version 0x14 with six LVT
 * entries, no x2APIC, no TSC-deadline timer, no EOI-broadcast suppression.
 *
 * The APIC page is per-CPU, so it is not registered in the VM's MMIO address
 * space: the vCPU's memory path calls lapic_mmio_ops directly with offsets
 * relative to the APIC base (lapic_get_base()).
 *
 * Routing between APICs and from the IOAPIC is the machine's job: it learns
 * about interrupt messages through the callbacks in struct lapic_config and
 * delivers them with lapic_deliver() / lapic_set_irq(), choosing targets with
 * lapic_match_dest() / lapic_ipi_match().
 *
 * Locking: every function here is called with the VM's device lock held;
 * callbacks are invoked with it held too.
 */
#ifndef HOVER_HW_LAPIC_H
#define HOVER_HW_LAPIC_H

#include "include/hover/addrspace.h"
#include "include/hover/state.h"
#include "include/hover/timer.h"
#include "include/hover/types.h"

#define LAPIC_DEFAULT_BASE 0xFEE00000ULL
#define LAPIC_MMIO_SIZE 0x1000ULL

/* IA32_APIC_BASE (MSR 0x1B), SDM 10.4.4 */
#define LAPIC_BASE_BSP (1ULL << 8)
#define LAPIC_BASE_EXTD (1ULL << 10) /* x2APIC enable: not supported */
#define LAPIC_BASE_ENABLE (1ULL << 11)
#define LAPIC_BASE_ADDR_MASK 0x000FFFFFFFFFF000ULL

/* Delivery modes (ICR, LVT, IOAPIC redirection entries, MSI data) */
#define LAPIC_DM_FIXED 0
#define LAPIC_DM_LOWEST 1
#define LAPIC_DM_SMI 2
#define LAPIC_DM_NMI 4
#define LAPIC_DM_INIT 5
#define LAPIC_DM_STARTUP 6
#define LAPIC_DM_EXTINT 7

/* An inter-processor interrupt leaving this APIC (ICR write). */
struct lapic_ipi {
	u32 src_id;        /* sender's APIC ID */
	u8 dest;           /* ICR[63:56] (xAPIC: 8-bit destination) */
	bool logical;      /* ICR[11] destination mode */
	bool all_but_self; /* shorthand 10b/11b: every APIC except src_id; dest unused */
	u8 delivery_mode;  /* LAPIC_DM_* */
	u8 vector;
	bool level_trig;   /* ICR[15] trigger mode */
};

struct lapic_config {
	u32 apic_id;
	bool bsp;
	struct timer_list *timers;
	void *opaque; /* passed to every callback */
	/* An interrupt (or INIT/SIPI/NMI) may have become deliverable: kick the vCPU. */
	void (*notify)(void *opaque);
	/* EOI of a level-triggered vector: tell the IOAPIC(s) (ioapic_eoi). May be NULL. */
	void (*eoi_broadcast)(void *opaque, u8 vector);
	/*
	 * An IPI for other APICs. Self-directed parts (shorthand "self" and the
	 * self half of "all including self") are handled locally and never reach
	 * this. With dest-field addressing the sender may be among the targets.
	 * May be NULL (single CPU).
	 */
	void (*send_ipi)(void *opaque, const struct lapic_ipi *ipi);
	/* INTA cycle on the 8259 (LINT0 in ExtINT mode): the vector, or -1. May be NULL. */
	int (*pic_ack)(void *opaque);
	/* Time source for the timer; NULL means clock_ns(). Tests use a fake clock. */
	u64 (*now)(void);
};

/* LVT entries: timer, thermal, performance counters, LINT0, LINT1, error. */
#define LAPIC_LVT_COUNT 6

/* Architectural state (SDM table 10-1 and the pending events); plain data, saved as is. */
struct lapic_state {
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
};

struct lapic;

int lapic_create(struct lapic **out, const struct lapic_config *cfg) HOVER_WUR;
void lapic_destroy(struct lapic *l);

/* Power-on reset (also restores IA32_APIC_BASE) and INIT reset (SDM 10.4.7.3). */
void lapic_reset(struct lapic *l);
void lapic_init_reset(struct lapic *l);

/*
 * What firmware leaves behind on the BSP (virtual wire mode, MP spec 3.6.2.2):
 * APIC software-enabled, LINT0 = ExtINT, LINT1 = NMI. Call after lapic_reset()
 * when booting a kernel directly, so the 8259 reaches the CPU until Linux
 * sets up the IOAPIC.
 */
void lapic_setup_virtual_wire(struct lapic *l);

extern const struct io_ops lapic_mmio_ops;

/* IA32_APIC_BASE. The BSP bit is read-only; EXTD is ignored (no x2APIC). */
u64 lapic_get_base(void *opaque);
void lapic_set_base(void *opaque, u64 val);

/* Accept a fixed interrupt from the IOAPIC or an MSI (delivery mode Fixed/LowestPri). */
void lapic_set_irq(struct lapic *l, u8 vector, bool level_triggered);
/* Accept any interrupt message (from lapic_ipi / IOAPIC / MSI) by delivery mode. */
void lapic_deliver(struct lapic *l, u8 delivery_mode, u8 vector, bool level_triggered);

/* LINT0 (pin 0, the 8259's INTR) and LINT1 (pin 1, usually NMI) input levels. */
void lapic_set_lint(struct lapic *l, unsigned pin, int level);

/*
 * The vCPU takes an external interrupt: the highest-priority deliverable
 * vector moves IRR -> ISR and is returned; an ExtINT is acknowledged on the
 * 8259 via pic_ack. -1 if nothing is deliverable. With the APIC globally
 * disabled (IA32_APIC_BASE[11] = 0) LINT0 is the CPU's INTR pin.
 */
int lapic_ack(void *opaque);
/* Would lapic_ack() return a vector now? (HLT wake-up test; no side effects) */
bool lapic_has_intr(const struct lapic *l);

/* INIT / SIPI / NMI messages, consumed by the vCPU run loop. */
bool lapic_take_init(struct lapic *l);
int lapic_take_sipi(struct lapic *l); /* start-up vector, or -1 */
bool lapic_take_nmi(struct lapic *l);

/* Routing helpers for the machine. */
u32 lapic_id(const struct lapic *l);
bool lapic_match_dest(const struct lapic *l, u8 dest, bool logical);
bool lapic_ipi_match(const struct lapic *l, const struct lapic_ipi *ipi);
/* Arbitration priority (for lowest-priority delivery: pick the smallest). */
u8 lapic_arb_priority(const struct lapic *l);

/* CR8 is TPR[7:4] (SDM 10.8.6.1). */
u8 lapic_get_cr8(const struct lapic *l);
void lapic_set_cr8(struct lapic *l, u8 cr8);

/*
 * Section "lapic", one instance per vCPU (by index): the APIC page registers,
 * pending INIT/SIPI/NMI/ExtINT, the timer (hw/lapic_state.c).
 */
extern const struct dev_state_ops lapic_state_ops;

#endif
