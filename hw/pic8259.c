// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Two cascaded Intel 8259A programmable interrupt controllers (8259A
 * datasheet: ICW1-4, OCW1-3, priority resolution, rotation, special mask,
 * poll, AEOI, special fully nested mode) plus the PIIX/ICH ELCR registers.
 *
 * How it works: each chip keeps IRR/ISR/IMR and the level of its eight input
 * pins. An edge-triggered input sets its IRR bit on a rising edge; a level
 * input's IRR bit follows the pin. A chip's INT output is high when the
 * highest-priority unmasked request beats the highest in-service level. The
 * slave's INT drives the master's IR2 pin; the master's INT drives `intr`.
 * pic8259_ack() is the INTA cycle. Linux's use of it: arch/x86/kernel/i8259.c
 * (init_8259A, mask_and_ack_8259A with specific EOIs, i8259A_irq_real reading
 * ISR through OCW3 to spot spurious IRQ7/15).
 */
#include <errno.h>
#include <stdlib.h>

#include "hw/pic8259.h"

#define ICW1_IC4 0x01
#define ICW1_SNGL 0x02
#define ICW1_LTIM 0x08
#define ICW1_INIT 0x10
#define OCW3_SEL 0x08
#define ICW4_AEOI 0x02
#define ICW4_SFNM 0x10

static u8 level_mask(const struct pic8259_chip *c)
{
	return c->elcr | ((c->icw1 & ICW1_LTIM) ? 0xFF : 0);
}

/* Priority rank (0 = highest) of the best bit in mask, 8 if none. */
static unsigned best_priority(const struct pic8259_chip *c, u8 mask)
{
	for (unsigned p = 0; p < 8; p++)
		if (mask & (1u << ((p + c->priority_add) & 7)))
			return p;
	return 8;
}

/* IR level this chip would present on INTA, or -1 if its INT is low. */
static int chip_pending(const struct pic8259_chip *c, bool master)
{
	unsigned req = best_priority(c, c->irr & (u8)~c->imr);
	u8 in_service = c->isr;

	if (req == 8)
		return -1;
	if (c->special_mask)
		in_service &= (u8)~c->imr;
	if (master && c->sfnm)
		in_service &= (u8)~(1u << PIC8259_CASCADE_IRQ);
	if (req < best_priority(c, in_service))
		return (int)((req + c->priority_add) & 7);
	return -1;
}

static void chip_set_pin(struct pic8259_chip *c, unsigned pin, int level)
{
	u8 bit = (u8)(1u << pin);

	if (level) {
		if (!(c->pins & bit) || (level_mask(c) & bit))
			c->irr |= bit;
		c->pins |= bit;
	} else {
		c->pins &= (u8)~bit;
		if (level_mask(c) & bit)
			c->irr &= (u8)~bit;
	}
}

static void update(struct pic8259 *p)
{
	struct pic8259_chip *m = &p->s.chip[0];
	bool level;

	/*
	 * The cascade input follows the slave's INT like a level input, so a
	 * request the slave withdrew (masked) leaves no stale IRR2 behind and
	 * causes no spurious IRQ15.
	 */
	if (chip_pending(&p->s.chip[1], false) >= 0) {
		m->pins |= 1u << PIC8259_CASCADE_IRQ;
		m->irr |= 1u << PIC8259_CASCADE_IRQ;
	} else {
		m->pins &= (u8)~(1u << PIC8259_CASCADE_IRQ);
		m->irr &= (u8)~(1u << PIC8259_CASCADE_IRQ);
	}
	level = chip_pending(m, true) >= 0;
	if (level != p->s.intr_level) {
		p->s.intr_level = level;
		irq_set_level(&p->intr, level);
	}
}

void pic8259_set_irq(void *opaque, unsigned irq, int level)
{
	struct pic8259 *p = opaque;

	if (irq >= PIC8259_NR_IRQS)
		return;
	chip_set_pin(&p->s.chip[irq >> 3], irq & 7, level);
	update(p);
}

bool pic8259_intr_pending(const struct pic8259 *p)
{
	return p->s.intr_level;
}

static void chip_ack(struct pic8259_chip *c, unsigned irq)
{
	u8 bit = (u8)(1u << irq);

	if (c->auto_eoi) {
		if (c->rotate_on_aeoi)
			c->priority_add = (irq + 1) & 7;
	} else {
		c->isr |= bit;
	}
	if (!(level_mask(c) & bit))
		c->irr &= (u8)~bit;
}

int pic8259_ack(struct pic8259 *p)
{
	struct pic8259_chip *m = &p->s.chip[0], *s = &p->s.chip[1];
	int irq = chip_pending(m, true), irq2, vec;

	if (irq < 0)
		return m->vector_base + 7; /* spurious: request went away before INTA */
	chip_ack(m, (unsigned)irq);
	if (irq == PIC8259_CASCADE_IRQ && !(m->icw1 & ICW1_SNGL)) {
		irq2 = chip_pending(s, false);
		if (irq2 >= 0) {
			chip_ack(s, (unsigned)irq2);
			vec = s->vector_base + irq2;
		} else {
			vec = s->vector_base + 7;
		}
	} else {
		vec = m->vector_base + irq;
	}
	update(p);
	return vec;
}

static u8 chip_poll(struct pic8259_chip *c, bool master)
{
	int irq = chip_pending(c, master);

	if (irq < 0)
		return 0;
	chip_ack(c, (unsigned)irq);
	return 0x80 | (u8)irq;
}

static void chip_icw1(struct pic8259_chip *c, u8 val)
{
	c->icw1 = val;
	c->init_step = 2;
	c->imr = 0;
	c->isr = 0;
	/* Edge sense is reset: an edge input must see a new rising edge. */
	c->irr = c->pins & level_mask(c);
	c->priority_add = 0;
	c->auto_eoi = false;
	c->rotate_on_aeoi = false;
	c->sfnm = false;
	c->special_mask = false;
	c->read_isr = false;
	c->poll = false;
}

static void chip_ocw2(struct pic8259_chip *c, u8 val)
{
	unsigned prio, irq;

	switch (val >> 5) {
	case 0: /* rotate in AEOI mode: clear */
		c->rotate_on_aeoi = false;
		break;
	case 4: /* rotate in AEOI mode: set */
		c->rotate_on_aeoi = true;
		break;
	case 1: /* non-specific EOI */
	case 5: /* rotate on non-specific EOI */
		prio = best_priority(c, c->isr);
		if (prio == 8)
			break;
		irq = (prio + c->priority_add) & 7;
		c->isr &= (u8)~(1u << irq);
		if (val >> 5 == 5)
			c->priority_add = (irq + 1) & 7;
		break;
	case 3: /* specific EOI */
		c->isr &= (u8)~(1u << (val & 7));
		break;
	case 7: /* rotate on specific EOI */
		c->isr &= (u8)~(1u << (val & 7));
		c->priority_add = ((val & 7) + 1) & 7;
		break;
	case 6: /* set priority: L2-L0 becomes the lowest */
		c->priority_add = ((val & 7) + 1) & 7;
		break;
	default: /* 2: no operation */
		break;
	}
}

static void chip_write(struct pic8259 *p, unsigned idx, u64 offset, u8 val)
{
	struct pic8259_chip *c = &p->s.chip[idx];

	if (offset == 0) {
		if (val & ICW1_INIT)
			chip_icw1(c, val);
		else if (val & OCW3_SEL) {
			if (val & 0x04)
				c->poll = true;
			if (val & 0x02)
				c->read_isr = val & 0x01;
			if (val & 0x40)
				c->special_mask = (val & 0x20) != 0;
		} else {
			chip_ocw2(c, val);
		}
	} else {
		switch (c->init_step) {
		case 2:
			c->vector_base = val & 0xF8;
			if (!(c->icw1 & ICW1_SNGL))
				c->init_step = 3;
			else
				c->init_step = (c->icw1 & ICW1_IC4) ? 4 : 0;
			break;
		case 3:
			c->icw3 = val;
			c->init_step = (c->icw1 & ICW1_IC4) ? 4 : 0;
			break;
		case 4:
			c->auto_eoi = (val & ICW4_AEOI) != 0;
			c->sfnm = (val & ICW4_SFNM) != 0;
			c->init_step = 0;
			break;
		default:
			c->imr = val;
			break;
		}
	}
	update(p);
}

static u8 chip_read(struct pic8259 *p, unsigned idx, u64 offset)
{
	struct pic8259_chip *c = &p->s.chip[idx];
	u8 val;

	if (offset != 0)
		return c->imr;
	if (c->poll) {
		c->poll = false;
		val = chip_poll(c, idx == 0);
		update(p);
		return val;
	}
	return c->read_isr ? c->isr : c->irr;
}

static u64 master_read(void *opaque, u64 offset, unsigned size)
{
	return chip_read(opaque, 0, offset);
}

static void master_write(void *opaque, u64 offset, unsigned size, u64 val)
{
	chip_write(opaque, 0, offset, (u8)val);
}

static u64 slave_read(void *opaque, u64 offset, unsigned size)
{
	return chip_read(opaque, 1, offset);
}

static void slave_write(void *opaque, u64 offset, unsigned size, u64 val)
{
	chip_write(opaque, 1, offset, (u8)val);
}

static u64 elcr_read(void *opaque, u64 offset, unsigned size)
{
	struct pic8259 *p = opaque;

	return p->s.chip[offset & 1].elcr;
}

static void elcr_write(void *opaque, u64 offset, unsigned size, u64 val)
{
	struct pic8259 *p = opaque;
	struct pic8259_chip *c = &p->s.chip[offset & 1];

	c->elcr = (u8)val & c->elcr_mask;
	/* Inputs now level-triggered report their pin level. */
	c->irr = (c->irr & (u8)~c->elcr) | (c->pins & c->elcr);
	update(p);
}

const struct io_ops pic8259_master_io_ops = {
	.read = master_read, .write = master_write, .min_access = 1, .max_access = 1,
};
const struct io_ops pic8259_slave_io_ops = {
	.read = slave_read, .write = slave_write, .min_access = 1, .max_access = 1,
};
const struct io_ops pic8259_elcr_io_ops = {
	.read = elcr_read, .write = elcr_write, .min_access = 1, .max_access = 1,
};

void pic8259_reset(struct pic8259 *p)
{
	for (unsigned i = 0; i < 2; i++) {
		struct pic8259_chip *c = &p->s.chip[i];
		u8 pins = c->pins; /* input levels belong to the devices */

		*c = (struct pic8259_chip){0};
		c->pins = pins;
	}
	/* IRQ0-2 (timer, keyboard, cascade) and IRQ8/13 are always edge (PIIX4 ELCR). */
	p->s.chip[0].elcr_mask = 0xF8;
	p->s.chip[1].elcr_mask = 0xDE;
	p->s.chip[0].vector_base = 0x08;
	p->s.chip[1].vector_base = 0x70;
	p->s.chip[0].imr = 0xFF;
	p->s.chip[1].imr = 0xFF;
	update(p);
}

int pic8259_create(struct pic8259 **out, const struct pic8259_config *cfg)
{
	struct pic8259 *p = calloc(1, sizeof(*p));

	if (!p)
		return -ENOMEM;
	p->intr = cfg->intr;
	pic8259_reset(p);
	*out = p;
	return 0;
}

int pic8259_attach(struct pic8259 *p, struct addrspace *pio)
{
	int ret;

	ret = as_register(pio, 0x20, 2, &pic8259_master_io_ops, p);
	if (ret)
		return ret;
	ret = as_register(pio, 0xA0, 2, &pic8259_slave_io_ops, p);
	if (ret)
		goto err_slave;
	ret = as_register(pio, 0x4D0, 2, &pic8259_elcr_io_ops, p);
	if (ret)
		goto err_elcr;
	p->pio = pio;
	return 0;

err_elcr:
	as_unregister(pio, 0xA0);
err_slave:
	as_unregister(pio, 0x20);
	return ret;
}

void pic8259_destroy(struct pic8259 *p)
{
	if (!p)
		return;
	if (p->pio) {
		as_unregister(p->pio, 0x4D0);
		as_unregister(p->pio, 0xA0);
		as_unregister(p->pio, 0x20);
	}
	free(p);
}

/* ---- state (include/hover/state.h) ---- */

static void chip_save(struct state_writer *w, const struct pic8259_chip *c)
{
	state_put_u8(w, c->irr);
	state_put_u8(w, c->isr);
	state_put_u8(w, c->imr);
	state_put_u8(w, c->pins);
	state_put_u8(w, c->elcr);
	state_put_u8(w, c->icw1);
	state_put_u8(w, c->icw3);
	state_put_u8(w, c->vector_base);
	state_put_u8(w, c->init_step);
	state_put_u8(w, c->priority_add);
	state_put_bool(w, c->auto_eoi);
	state_put_bool(w, c->rotate_on_aeoi);
	state_put_bool(w, c->sfnm);
	state_put_bool(w, c->special_mask);
	state_put_bool(w, c->read_isr);
	state_put_bool(w, c->poll);
}

/* elcr_mask is wiring (which lines can be level-triggered), kept from create. */
static void chip_load(struct state_reader *r, struct pic8259_chip *c)
{
	c->irr = state_get_u8(r);
	c->isr = state_get_u8(r);
	c->imr = state_get_u8(r);
	c->pins = state_get_u8(r);
	c->elcr = state_get_u8(r) & c->elcr_mask;
	c->icw1 = state_get_u8(r);
	c->icw3 = state_get_u8(r);
	c->vector_base = state_get_u8(r);
	c->init_step = state_get_u8(r);
	c->priority_add = state_get_u8(r);
	c->auto_eoi = state_get_bool(r);
	c->rotate_on_aeoi = state_get_bool(r);
	c->sfnm = state_get_bool(r);
	c->special_mask = state_get_bool(r);
	c->read_isr = state_get_bool(r);
	c->poll = state_get_bool(r);
	if (c->init_step == 1 || c->init_step > 4 || c->priority_add > 7)
		state_reader_fail(r, "init step %u, lowest priority IR%u (0, 2-4 and 0-7 expected)",
				  c->init_step, c->priority_add);
}

/*
 * The INTR level is restored, not driven: the local APIC's LINT0 level is
 * its own saved state.
 */
static int pic_save(void *dev, struct state_writer *w)
{
	struct pic8259 *p = dev;

	chip_save(w, &p->s.chip[0]);
	chip_save(w, &p->s.chip[1]);
	state_put_bool(w, p->s.intr_level);
	return 0;
}

static int pic_load(void *dev, struct state_reader *r)
{
	struct pic8259 *p = dev;

	chip_load(r, &p->s.chip[0]);
	chip_load(r, &p->s.chip[1]);
	p->s.intr_level = state_get_bool(r);
	return state_reader_error(r);
}

const struct dev_state_ops pic8259_state_ops = {
	.section = "pic8259", .version = 1, .save = pic_save, .load = pic_load,
};
