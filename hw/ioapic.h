/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * I/O APIC (Intel 82093AA, version 0x11), 24 input pins, registered in the
 * VM's MMIO address space at IOAPIC_DEFAULT_BASE. Interrupt messages go to a
 * machine callback that routes them to the local APIC(s).
 *
 * Pin levels are logical: 1 = asserted, whatever the wiring's polarity. The
 * polarity bit of a redirection entry is stored for the guest to read back
 * but does not invert the input (the board, not the device, knows whether a
 * line is active-low).
 *
 * Locking: called with the VM's device lock held.
 */
#ifndef HOVER_HW_IOAPIC_H
#define HOVER_HW_IOAPIC_H

#include "include/hover/addrspace.h"
#include "include/hover/state.h"
#include "include/hover/types.h"

#define IOAPIC_DEFAULT_BASE 0xFEC00000ULL
#define IOAPIC_MMIO_SIZE 0x1000ULL
#define IOAPIC_NUM_PINS 24
#define IOAPIC_VERSION 0x11

struct ioapic_config {
	u8 id; /* IOAPIC ID register [27:24]; the MADT must say the same */
	void *opaque;
	/*
	 * An interrupt message: dest is the 8-bit destination field, dest_mode 1 =
	 * logical; delivery_mode is LAPIC_DM_* (Fixed, LowestPri, SMI, NMI, INIT,
	 * ExtINT). For a level-triggered pin, Remote IRR stays set until an EOI
	 * with this vector reaches ioapic_eoi().
	 */
	void (*deliver)(void *opaque, u8 dest, bool dest_mode, u8 delivery_mode, u8 vector,
			bool level_triggered);
};

/* Guest-visible state; plain data so it can be saved and restored. */
struct ioapic_state {
	u32 ioregsel;
	u32 id; /* register value, ID in [27:24] */
	u64 rte[IOAPIC_NUM_PINS];
	u32 irr; /* pin levels (asserted = 1) */
};

struct ioapic;

int ioapic_create(struct ioapic **out, const struct ioapic_config *cfg) HOVER_WUR;
void ioapic_destroy(struct ioapic *io);
void ioapic_reset(struct ioapic *io);

extern const struct io_ops ioapic_mmio_ops;

/* irq_set_fn-compatible: opaque is the struct ioapic. */
void ioapic_set_irq(void *opaque, unsigned pin, int level);
/* A local APIC's EOI broadcast for a level-triggered vector. */
void ioapic_eoi(struct ioapic *io, u8 vector);

/* Section "ioapic": IOREGSEL, ID, the redirection table, pin levels. */
extern const struct dev_state_ops ioapic_state_ops;

#endif
