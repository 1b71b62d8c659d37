/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Interrupt lines. A device holds a struct irq_line and raises or lowers it;
 * it never knows what sits at the other end (PIC, IOAPIC, a fan-out of both,
 * or an accelerator's in-kernel irqchip). Called with the VM lock held.
 */
#ifndef HOVER_INCLUDE_IRQ_H
#define HOVER_INCLUDE_IRQ_H

#include "include/hover/types.h"

typedef void irq_set_fn(void *opaque, unsigned pin, int level);

struct irq_line {
	irq_set_fn *set;
	void *opaque;
	unsigned pin;
};

static inline void irq_line_init(struct irq_line *l, irq_set_fn *set, void *opaque, unsigned pin)
{
	l->set = set;
	l->opaque = opaque;
	l->pin = pin;
}

static inline void irq_set_level(const struct irq_line *l, int level)
{
	if (l->set)
		l->set(l->opaque, l->pin, level);
}

static inline void irq_raise(const struct irq_line *l) { irq_set_level(l, 1); }
static inline void irq_lower(const struct irq_line *l) { irq_set_level(l, 0); }

/* An edge: raise then lower (for edge-triggered sinks such as the PIT on IRQ0). */
static inline void irq_pulse(const struct irq_line *l)
{
	irq_set_level(l, 1);
	irq_set_level(l, 0);
}

#endif
