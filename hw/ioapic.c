// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * I/O APIC, after the Intel 82093AA datasheet (sections 3.0-3.2):
 *   IOREGSEL (offset 0x00) selects a register, IOWIN (0x10) reads/writes it.
 *   0x00 IOAPICID [27:24], 0x01 IOAPICVER (version 0x11, max redirection
 *   entry [23:16]), 0x02 IOAPICARB [27:24], 0x10 + 2n / 0x11 + 2n the 64-bit
 *   redirection entry for pin n.
 *
 * Edge-triggered pins send one message per rising edge (lost while masked);
 * a level-triggered pin sends a message while asserted and Remote IRR is
 * clear, sets Remote IRR, and is re-evaluated when the local APIC's EOI
 * broadcast for its vector clears Remote IRR (or when it is unmasked).
 */
#include "hw/ioapic.h"

#include <errno.h>
#include <stdlib.h>

#include "include/hover/log.h"

#define REG_ID 0x00
#define REG_VER 0x01
#define REG_ARB 0x02
#define REG_REDTBL 0x10

#define RTE_VECTOR 0xFFULL
#define RTE_DM_SHIFT 8
#define RTE_DEST_LOGICAL (1ULL << 11)
#define RTE_DELIVS (1ULL << 12)
#define RTE_POLARITY (1ULL << 13)
#define RTE_REMOTE_IRR (1ULL << 14)
#define RTE_LEVEL (1ULL << 15)
#define RTE_MASKED (1ULL << 16)
#define RTE_DEST_SHIFT 56
/* Software-writable: all but Delivery Status and Remote IRR. */
#define RTE_WRITABLE (0xFF00000000000000ULL | 0x1AFFFULL)

struct ioapic {
	struct ioapic_config cfg;
	struct ioapic_state s;
};

static void deliver(struct ioapic *io, unsigned pin)
{
	u64 e = io->s.rte[pin];
	bool level = e & RTE_LEVEL;

	if (level)
		io->s.rte[pin] |= RTE_REMOTE_IRR;
	if (io->cfg.deliver)
		io->cfg.deliver(io->cfg.opaque, (u8)(e >> RTE_DEST_SHIFT), e & RTE_DEST_LOGICAL,
				(e >> RTE_DM_SHIFT) & 7, e & RTE_VECTOR, level);
}

/* Level-triggered pin: send if asserted, unmasked and not already in service. */
static void service_level(struct ioapic *io, unsigned pin)
{
	u64 e = io->s.rte[pin];

	if ((e & RTE_LEVEL) && !(e & (RTE_MASKED | RTE_REMOTE_IRR)) && (io->s.irr & (1u << pin)))
		deliver(io, pin);
}

void ioapic_set_irq(void *opaque, unsigned pin, int level)
{
	struct ioapic *io = opaque;
	u32 bit;
	bool was;

	if (pin >= IOAPIC_NUM_PINS) {
		log_ratelimited(LOG_WARN, "ioapic: no pin %u", pin);
		return;
	}
	bit = 1u << pin;
	was = io->s.irr & bit;
	if (level)
		io->s.irr |= bit;
	else
		io->s.irr &= ~bit;
	if (io->s.rte[pin] & RTE_LEVEL)
		service_level(io, pin);
	else if (level && !was && !(io->s.rte[pin] & RTE_MASKED))
		deliver(io, pin);
}

void ioapic_eoi(struct ioapic *io, u8 vector)
{
	for (unsigned pin = 0; pin < IOAPIC_NUM_PINS; pin++) {
		u64 e = io->s.rte[pin];

		if ((e & RTE_VECTOR) != vector || !(e & RTE_REMOTE_IRR))
			continue;
		io->s.rte[pin] &= ~RTE_REMOTE_IRR;
		service_level(io, pin);
	}
}

static u32 reg_read(struct ioapic *io, u32 reg)
{
	unsigned pin;

	switch (reg) {
	case REG_ID:
		return io->s.id;
	case REG_VER:
		return IOAPIC_VERSION | ((IOAPIC_NUM_PINS - 1) << 16);
	case REG_ARB:
		return io->s.id; /* arbitration ID is loaded from the ID */
	}
	if (reg < REG_REDTBL || reg >= REG_REDTBL + 2 * IOAPIC_NUM_PINS)
		return 0;
	pin = (reg - REG_REDTBL) / 2;
	return (reg & 1) ? (u32)(io->s.rte[pin] >> 32) : (u32)io->s.rte[pin];
}

static void reg_write(struct ioapic *io, u32 reg, u32 val)
{
	unsigned pin;
	u64 e, ro;

	if (reg == REG_ID) {
		io->s.id = val & 0x0F000000u;
		return;
	}
	if (reg < REG_REDTBL || reg >= REG_REDTBL + 2 * IOAPIC_NUM_PINS)
		return; /* version, arbitration and unimplemented registers are read-only */
	pin = (reg - REG_REDTBL) / 2;
	e = io->s.rte[pin];
	ro = e & ~RTE_WRITABLE;
	if (reg & 1)
		e = (e & 0xFFFFFFFFULL) | ((u64)val << 32);
	else
		e = (e & 0xFFFFFFFF00000000ULL) | val;
	e = (e & RTE_WRITABLE) | ro;
	/* An edge-triggered pin has no Remote IRR. */
	if (!(e & RTE_LEVEL))
		e &= ~RTE_REMOTE_IRR;
	io->s.rte[pin] = e;
	/* Unmasking (or switching to level) a pin that is asserted delivers it now. */
	service_level(io, pin);
}

static u64 mmio_read(void *opaque, u64 offset, unsigned size)
{
	struct ioapic *io = opaque;

	switch (offset) {
	case 0x00:
		return io->s.ioregsel;
	case 0x10:
		return reg_read(io, io->s.ioregsel);
	default:
		return 0;
	}
}

static void mmio_write(void *opaque, u64 offset, unsigned size, u64 val)
{
	struct ioapic *io = opaque;

	switch (offset) {
	case 0x00:
		io->s.ioregsel = val & 0xFF;
		break;
	case 0x10:
		reg_write(io, io->s.ioregsel, (u32)val);
		break;
	default:
		log_ratelimited(LOG_DEBUG, "ioapic: write to offset %#llx ignored",
				(unsigned long long)offset);
		break;
	}
}

const struct io_ops ioapic_mmio_ops = {
	.read = mmio_read,
	.write = mmio_write,
	.min_access = 4,
	.max_access = 4,
};

void ioapic_reset(struct ioapic *io)
{
	io->s.ioregsel = 0;
	io->s.id = (u32)(io->cfg.id & 0xF) << 24;
	for (unsigned pin = 0; pin < IOAPIC_NUM_PINS; pin++)
		io->s.rte[pin] = RTE_MASKED;
}

int ioapic_create(struct ioapic **out, const struct ioapic_config *cfg)
{
	struct ioapic *io;

	if (cfg->id > 0xF)
		return -EINVAL;
	io = calloc(1, sizeof(*io));
	if (!io)
		return -ENOMEM;
	io->cfg = *cfg;
	ioapic_reset(io);
	*out = io;
	return 0;
}

void ioapic_destroy(struct ioapic *io)
{
	free(io);
}

/* ---- state (include/hover/state.h) ---- */

/*
 * Pin levels (irr) and Remote IRR are saved as they are: a level-triggered
 * pin in service stays in service until the guest's EOI, as it would have.
 */
static int ioapic_save(void *dev, struct state_writer *w)
{
	struct ioapic *io = dev;

	state_put_u32(w, io->s.ioregsel);
	state_put_u32(w, io->s.id);
	for (unsigned i = 0; i < IOAPIC_NUM_PINS; i++)
		state_put_u64(w, io->s.rte[i]);
	state_put_u32(w, io->s.irr);
	return 0;
}

static int ioapic_load(void *dev, struct state_reader *r)
{
	struct ioapic *io = dev;

	io->s.ioregsel = state_get_u32(r);
	io->s.id = state_get_u32(r);
	for (unsigned i = 0; i < IOAPIC_NUM_PINS; i++)
		io->s.rte[i] = state_get_u64(r);
	io->s.irr = state_get_u32(r);
	return state_reader_error(r);
}

const struct dev_state_ops ioapic_state_ops = {
	.section = "ioapic", .version = 1, .save = ioapic_save, .load = ioapic_load,
};
