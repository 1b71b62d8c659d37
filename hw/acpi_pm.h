/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ACPI fixed hardware (ACPI 6.x chapter 4.8): PM1a event and control blocks,
 * the 32-bit PM timer, a GPE0 block, the FADT reset register and the SCI.
 * No SMI: the machine is always in ACPI mode (FADT SMI_CMD = 0, SCI_EN reads 1).
 *
 * The port addresses below are what machine/acpi_tables.c advertises in the
 * FADT by default; both sides take them from struct acpi_pm_config /
 * struct acpi_config, so keep those equal.
 *
 * Locking: called with the VM's device lock held.
 */
#ifndef HOVER_HW_ACPI_PM_H
#define HOVER_HW_ACPI_PM_H

#include "include/hover/addrspace.h"
#include "include/hover/irq.h"
#include "include/hover/state.h"
#include "include/hover/timer.h"
#include "include/hover/types.h"

#define ACPI_PM1A_EVT_PORT 0x600 /* PM1_STS (2) + PM1_EN (2) */
#define ACPI_PM1_EVT_LEN 4
#define ACPI_PM1A_CNT_PORT 0x604
#define ACPI_PM1_CNT_LEN 2
#define ACPI_PM_TMR_PORT 0x608
#define ACPI_PM_TMR_LEN 4
#define ACPI_RESET_PORT 0x60C    /* FADT RESET_REG: 8-bit system I/O */
#define ACPI_RESET_VALUE 0x06
#define ACPI_GPE0_PORT 0x620     /* GPE0_STS (2) + GPE0_EN (2) */
#define ACPI_GPE0_LEN 4
#define ACPI_SCI_IRQ 9

/* SLP_TYP for S5 (soft off): the DSDT's \_S5 package carries this value. */
#define ACPI_SLP_TYP_S5 5

/* PM1 status/enable bits (ACPI 6.x tables 4-16..4-19) */
#define ACPI_PM1_TMR (1u << 0)
#define ACPI_PM1_GBL (1u << 5)
#define ACPI_PM1_PWRBTN (1u << 8)
#define ACPI_PM1_SLPBTN (1u << 9)
#define ACPI_PM1_RTC (1u << 10)
#define ACPI_PM1_WAK (1u << 15)
/* PM1 control bits */
#define ACPI_PM1_CNT_SCI_EN (1u << 0)
#define ACPI_PM1_CNT_SLP_TYP_SHIFT 10
#define ACPI_PM1_CNT_SLP_EN (1u << 13)

struct acpi_pm_config {
	u16 pm1a_evt, pm1a_cnt, pm_tmr, gpe0, reset_port; /* 0: use the defaults above */
	struct irq_line sci; /* level-triggered, asserted while an enabled status is set */
	struct timer_list *timers; /* for TMR_STS when the guest enables TMR_EN */
	void *opaque;
	void (*poweroff)(void *opaque); /* SLP_EN with SLP_TYP = S5 */
	void (*reset)(void *opaque);    /* RESET_VALUE written to the reset register */
	/* Time source; NULL means clock_ns(). Tests use a fake clock. */
	u64 (*now)(void);
};

/* Guest-visible state; plain data so it can be saved and restored. */
struct acpi_pm_state {
	u16 pm1_sts, pm1_en, pm1_cnt;
	u16 gpe_sts, gpe_en;
	u64 tmr_base_ns; /* clock time at which the PM timer read 0 */
	u64 tmr_epoch;   /* timer value >> 31 when TMR_STS was last brought up to date */
	bool sci_level;
};

struct acpi_pm;
struct addrspace;

/* Creates the device and registers its port ranges in pio. */
int acpi_pm_create(struct acpi_pm **out, const struct acpi_pm_config *cfg,
		   struct addrspace *pio) HOVER_WUR;
void acpi_pm_destroy(struct acpi_pm *pm);
void acpi_pm_reset(struct acpi_pm *pm);

/*
 * The fixed-feature power button was pressed (a "stop" request): sets
 * PWRBTN_STS. Returns whether the guest has enabled PWRBTN_EN, i.e. whether
 * anyone will see it (false before the guest's ACPI button driver is up).
 */
bool acpi_pm_power_button(struct acpi_pm *pm);
/* Set a GPE0 status bit (0..15), e.g. for hotplug later. */
void acpi_pm_gpe_set(struct acpi_pm *pm, unsigned gpe);
/* The PM timer's current value (32 bits at X86_PM_TIMER_HZ). */
u32 acpi_pm_timer_read(const struct acpi_pm *pm);

/* Section "acpi_pm": PM1/GPE0 status, enable and control, the PM timer's phase. */
extern const struct dev_state_ops acpi_pm_state_ops;

#endif
