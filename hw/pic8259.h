/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The PC's cascaded pair of Intel 8259A PICs: master at 0x20/0x21 (IRQ 0-7),
 * slave at 0xA0/0xA1 (IRQ 8-15) on the master's IR2, and the edge/level
 * control registers (ELCR) at 0x4D0/0x4D1.
 */
#ifndef HOVER_HW_PIC8259_H
#define HOVER_HW_PIC8259_H

#include "include/hover/addrspace.h"
#include "include/hover/irq.h"
#include "include/hover/state.h"
#include "include/hover/types.h"

#define PIC8259_NR_IRQS 16
#define PIC8259_CASCADE_IRQ 2

/* One 8259A; plain data so it can be saved and restored. */
struct pic8259_chip {
	u8 irr, isr, imr;
	u8 pins;          /* current input levels (slave INT on master pin 2) */
	u8 elcr;          /* 1 = level triggered */
	u8 elcr_mask;     /* ELCR bits that are writable */
	u8 icw1, icw3;
	u8 vector_base;   /* ICW2 & 0xF8 */
	u8 init_step;     /* 0: operational, 2/3/4: next byte on port 1 is ICW2/3/4 */
	u8 priority_add;  /* IR level with the highest priority (rotation) */
	bool auto_eoi;
	bool rotate_on_aeoi;
	bool sfnm;        /* special fully nested mode (ICW4 bit 4) */
	bool special_mask;
	bool read_isr;    /* OCW3 RR/RIS: port 0 reads ISR instead of IRR */
	bool poll;        /* OCW3 P: next port 0 read is a poll */
};

struct pic8259_state {
	struct pic8259_chip chip[2]; /* 0 master, 1 slave */
	bool intr_level;             /* last level on the INTR output */
};

struct pic8259_config {
	/* The master's INT pin: wire to the local APIC's LINT0 (ExtINT) or the CPU. */
	struct irq_line intr;
};

struct pic8259 {
	struct pic8259_state s;
	struct irq_line intr;
	struct addrspace *pio; /* where attached, for destroy */
};

int pic8259_create(struct pic8259 **out, const struct pic8259_config *cfg) HOVER_WUR;
/* Unregisters the ports if attached: destroy devices before the address space. */
void pic8259_destroy(struct pic8259 *p);
void pic8259_reset(struct pic8259 *p);
/* Registers 0x20-0x21, 0xA0-0xA1 and 0x4D0-0x4D1. */
int pic8259_attach(struct pic8259 *p, struct addrspace *pio) HOVER_WUR;

/* An irq_set_fn: opaque is the struct pic8259, irq is 0-15. */
void pic8259_set_irq(void *opaque, unsigned irq, int level);
/* INTA cycle: returns the vector and moves the request IRR -> ISR. Spurious: IRQ7/15's vector. */
int pic8259_ack(struct pic8259 *p);
/* True while INTR is asserted (an unmasked request beats the in-service level). */
bool pic8259_intr_pending(const struct pic8259 *p);

/* Port handlers (opaque: the struct pic8259) for machines that register by hand. */
extern const struct io_ops pic8259_master_io_ops;
extern const struct io_ops pic8259_slave_io_ops;
extern const struct io_ops pic8259_elcr_io_ops;

/* Section "pic8259": both chips (IRR, ISR, IMR, ICW/OCW state, ELCR, input levels). */
extern const struct dev_state_ops pic8259_state_ops;

#endif
