// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Intel 8254 programmable interval timer (8254 datasheet: control word,
 * counter latch and read-back commands, modes 0-5, LSB/MSB access with the
 * byte flip-flop, BCD counting, gate behaviour per mode) and the PC's system
 * control port B at 0x61.
 *
 * How it works: nothing ticks. Each channel records when its counting element
 * started (load_ns) and how many input clocks it had counted before a gate
 * pause (base_ticks); the counter value and OUT are computed from the
 * elapsed clocks whenever the guest looks. Channel 0's OUT drives IRQ0 through
 * one host timer armed for the next rising edge; after a host stall it is
 * re-armed for the next edge after "now", so missed periods are dropped, not
 * replayed. Linux's users: the i8253 clockevent (mode 2 periodic, mode 4
 * one-shot, drivers/clocksource/i8253.c), check_timer() in io_apic.c, and
 * TSC calibration in arch/x86/kernel/tsc.c (channel 2, mode 0, gate and OUT
 * through port 0x61).
 */
#include <errno.h>
#include <stdlib.h>

#include "hw/pit8254.h"

#define NS_PER_SEC 1000000000ull
/* Shortest IRQ0 period we honour: a guest cannot turn the host into a busy loop. */
#define PIT_MIN_IRQ_PERIOD_NS 50000ull
/* Port B bit 4 toggles with each DRAM refresh request, every ~15.085 us. */
#define REFRESH_PERIOD_NS 15085ull

#define P61_GATE2 0x01
#define P61_WRITABLE 0x0F
#define P61_REFRESH 0x10
#define P61_OUT2 0x20

static u64 now(const struct pit8254 *p)
{
	return p->cfg.now_ns ? p->cfg.now_ns(p->cfg.clock_opaque) : clock_ns();
}

static u64 ns_to_ticks(u64 ns)
{
	return (u64)((unsigned __int128)ns * PIT8254_HZ / NS_PER_SEC);
}

/* First nanosecond at which at least `ticks` clocks have elapsed. */
static u64 ticks_to_ns(u64 ticks)
{
	return (u64)(((unsigned __int128)ticks * NS_PER_SEC + PIT8254_HZ - 1) / PIT8254_HZ);
}

static u64 elapsed(const struct pit8254_channel *c, u64 t)
{
	if (!c->counting)
		return c->base_ticks;
	return c->base_ticks + (t > c->load_ns ? ns_to_ticks(t - c->load_ns) : 0);
}

static unsigned mode_of(const struct pit8254_channel *c)
{
	return c->mode > 5 ? c->mode - 4 : c->mode; /* modes 6 and 7 alias 2 and 3 */
}

static u32 count_at(const struct pit8254_channel *c, u64 d)
{
	u32 n = c->initial, wrap = c->bcd ? 10000 : 65536, phase, half, v;

	if (!c->loaded)
		return c->initial % wrap;
	switch (mode_of(c)) {
	case 2:
		return n - (u32)(d % n);
	case 3:
		phase = (u32)(d % n);
		half = (n + 1) / 2;
		if (phase >= half)
			phase -= half;
		v = (n & ~1u) - 2 * phase; /* counts down by two, twice per period */
		return v ? v : 2;
	case 1:
	case 5:
		if (!c->triggered)
			return n % wrap;
		/* fall through */
	default: /* 0 and 4 keep counting (and wrapping) after terminal count */
		return (u32)((n + wrap - (u32)(d % wrap)) % wrap);
	}
}

static bool out_at(const struct pit8254_channel *c, u64 d)
{
	u32 n = c->initial;

	if (!c->loaded)
		return mode_of(c) != 0;
	switch (mode_of(c)) {
	case 0:
		return d >= n;
	case 1:
		return !c->triggered || d >= n;
	case 2:
		return !c->gate || d % n != n - 1;
	case 3:
		return !c->gate || d % n < (n + 1) / 2;
	case 4:
		return d != n;
	default: /* 5 */
		return !c->triggered || d != n;
	}
}

static u16 to_bcd(u32 v)
{
	v %= 10000;
	return (u16)((v / 1000) << 12 | (v / 100 % 10) << 8 | (v / 10 % 10) << 4 | (v % 10));
}

static u32 from_bcd(u16 v)
{
	/* Invalid digits are taken at face value: the result is merely odd, never unsafe. */
	return (u32)((v >> 12) * 1000 + ((v >> 8) & 15) * 100 + ((v >> 4) & 15) * 10 + (v & 15));
}

static u16 read_count(const struct pit8254_channel *c, u64 t)
{
	u32 v = count_at(c, elapsed(c, t));

	return c->bcd ? to_bcd(v) : (u16)v;
}

/* Channel 0: arm the timer for OUT's next rising edge after t. */
static void arm_irq(struct pit8254 *p, u64 t)
{
	struct pit8254_channel *c = &p->s.ch[0];
	u64 d, target, deadline;

	if (!p->cfg.timers)
		return;
	timer_del(&p->irq_timer);
	if (!c->loaded || !c->counting)
		return;
	d = elapsed(c, t);
	switch (mode_of(c)) {
	case 0:
	case 4:
		if (d >= c->initial)
			return; /* one shot already delivered */
		target = c->initial;
		break;
	case 2:
	case 3:
		target = (d / c->initial + 1) * c->initial;
		break;
	default:
		return; /* modes 1 and 5 need a gate edge; channel 0's gate never moves */
	}
	deadline = c->load_ns + ticks_to_ns(target - c->base_ticks);
	if ((mode_of(c) == 2 || mode_of(c) == 3) && deadline < t + PIT_MIN_IRQ_PERIOD_NS &&
	    ticks_to_ns(c->initial) < PIT_MIN_IRQ_PERIOD_NS)
		deadline = t + PIT_MIN_IRQ_PERIOD_NS;
	timer_mod(&p->irq_timer, deadline);
}

static void irq_timer_cb(void *opaque)
{
	struct pit8254 *p = opaque;

	irq_pulse(&p->cfg.irq0);
	arm_irq(p, now(p));
}

static void load_count(struct pit8254 *p, unsigned idx, u16 raw, u64 t)
{
	struct pit8254_channel *c = &p->s.ch[idx];

	c->count_reg = raw;
	c->initial = c->bcd ? from_bcd(raw) : raw;
	if (!c->initial)
		c->initial = c->bcd ? 10000 : 65536;
	c->loaded = true;
	c->base_ticks = 0;
	c->load_ns = t;
	switch (mode_of(c)) {
	case 1:
	case 5:
		c->counting = c->triggered; /* a new count is used at the next trigger */
		break;
	default:
		c->counting = c->gate;
		break;
	}
	if (idx == 0)
		arm_irq(p, t);
}

static void set_gate(struct pit8254 *p, unsigned idx, bool gate, u64 t)
{
	struct pit8254_channel *c = &p->s.ch[idx];
	bool rising = gate && !c->gate;

	if (gate == c->gate)
		return;
	if (!gate && c->counting) {
		c->base_ticks = elapsed(c, t);
		c->counting = false;
	}
	c->gate = gate;
	if (rising && c->loaded) {
		switch (mode_of(c)) {
		case 0:
		case 4: /* resume */
			c->load_ns = t;
			c->counting = true;
			break;
		case 1:
		case 5: /* trigger */
			c->triggered = true;
			/* fall through */
		default: /* 2, 3: reload */
			c->base_ticks = 0;
			c->load_ns = t;
			c->counting = true;
			break;
		}
	}
	if (idx == 0)
		arm_irq(p, t);
}

static void latch_count(struct pit8254_channel *c, u64 t)
{
	if (c->count_latched)
		return;
	c->latched_count = read_count(c, t);
	c->count_latched = true;
	c->latch_msb_next = false;
}

static void latch_status(struct pit8254_channel *c, u64 t)
{
	if (c->status_latched)
		return;
	c->status = (u8)((out_at(c, elapsed(c, t)) ? 0x80 : 0) | (c->loaded ? 0 : 0x40) |
			 c->rw << 4 | c->mode << 1 | c->bcd);
	c->status_latched = true;
}

static void write_control(struct pit8254 *p, u8 val, u64 t)
{
	unsigned sel = val >> 6;
	struct pit8254_channel *c;

	if (sel == 3) { /* read-back */
		for (unsigned i = 0; i < 3; i++) {
			if (!(val & (2u << i)))
				continue;
			if (!(val & 0x20))
				latch_count(&p->s.ch[i], t);
			if (!(val & 0x10))
				latch_status(&p->s.ch[i], t);
		}
		return;
	}
	c = &p->s.ch[sel];
	if (!((val >> 4) & 3)) {
		latch_count(c, t);
		return;
	}
	c->rw = (val >> 4) & 3;
	c->mode = (val >> 1) & 7;
	c->bcd = val & 1;
	c->loaded = false;
	c->counting = false;
	c->triggered = false;
	c->base_ticks = 0;
	c->write_msb_next = false;
	c->read_msb_next = false;
	c->count_latched = false;
	c->status_latched = false;
	if (sel == 0)
		arm_irq(p, t);
}

static u64 pit_read(void *opaque, u64 offset, unsigned size)
{
	struct pit8254 *p = opaque;
	struct pit8254_channel *c;
	u16 v;
	u8 out;

	if (offset >= 3)
		return 0xFF; /* the control word register is write-only */
	c = &p->s.ch[offset];
	if (c->status_latched) {
		c->status_latched = false;
		return c->status;
	}
	if (c->count_latched) {
		v = c->latched_count;
		if (c->rw == 3 && !c->latch_msb_next) {
			c->latch_msb_next = true;
			return v & 0xFF;
		}
		c->count_latched = false;
		return c->rw == 1 ? (v & 0xFF) : (v >> 8);
	}
	v = read_count(c, now(p));
	switch (c->rw) {
	case 1:
		out = v & 0xFF;
		break;
	case 2:
		out = v >> 8;
		break;
	default:
		out = c->read_msb_next ? v >> 8 : v & 0xFF;
		c->read_msb_next = !c->read_msb_next;
		break;
	}
	return out;
}

static void pit_write(void *opaque, u64 offset, unsigned size, u64 v)
{
	struct pit8254 *p = opaque;
	struct pit8254_channel *c;
	u8 val = (u8)v;
	u64 t = now(p);

	if (offset == 3) {
		write_control(p, val, t);
		return;
	}
	c = &p->s.ch[offset];
	switch (c->rw) {
	case 1:
		load_count(p, (unsigned)offset, val, t);
		break;
	case 2:
		load_count(p, (unsigned)offset, (u16)(val << 8), t);
		break;
	case 3:
		if (!c->write_msb_next) {
			c->write_lsb = val;
			c->write_msb_next = true;
		} else {
			c->write_msb_next = false;
			load_count(p, (unsigned)offset, (u16)(c->write_lsb | val << 8), t);
		}
		break;
	default:
		break; /* no control word yet */
	}
}

static u64 port61_read(void *opaque, u64 offset, unsigned size)
{
	struct pit8254 *p = opaque;
	struct pit8254_channel *c = &p->s.ch[2];
	u64 t = now(p);
	u8 val = p->s.port61 & P61_WRITABLE;

	if ((t / REFRESH_PERIOD_NS) & 1)
		val |= P61_REFRESH;
	if (out_at(c, elapsed(c, t)))
		val |= P61_OUT2;
	return val;
}

static void port61_write(void *opaque, u64 offset, unsigned size, u64 val)
{
	struct pit8254 *p = opaque;

	p->s.port61 = (u8)val & P61_WRITABLE;
	set_gate(p, 2, val & P61_GATE2, now(p));
}

const struct io_ops pit8254_io_ops = {
	.read = pit_read, .write = pit_write, .min_access = 1, .max_access = 1,
};
const struct io_ops pit8254_port61_ops = {
	.read = port61_read, .write = port61_write, .min_access = 1, .max_access = 1,
};

void pit8254_reset(struct pit8254 *p)
{
	if (p->cfg.timers)
		timer_del(&p->irq_timer);
	for (unsigned i = 0; i < 3; i++) {
		struct pit8254_channel *c = &p->s.ch[i];

		*c = (struct pit8254_channel){0};
		c->rw = 3;
		c->initial = 65536;
		c->gate = i != 2; /* channels 0 and 1 have their gate tied high */
	}
	p->s.port61 = 0;
}

int pit8254_create(struct pit8254 **out, const struct pit8254_config *cfg)
{
	struct pit8254 *p = calloc(1, sizeof(*p));

	if (!p)
		return -ENOMEM;
	p->cfg = *cfg;
	if (cfg->timers)
		timer_init(&p->irq_timer, cfg->timers, irq_timer_cb, p);
	pit8254_reset(p);
	*out = p;
	return 0;
}

int pit8254_attach(struct pit8254 *p, struct addrspace *pio)
{
	int ret = as_register(pio, PIT8254_BASE, 4, &pit8254_io_ops, p);

	if (ret)
		return ret;
	ret = as_register(pio, PIT8254_PORT61, 1, &pit8254_port61_ops, p);
	if (ret) {
		as_unregister(pio, PIT8254_BASE);
		return ret;
	}
	p->pio = pio;
	return 0;
}

void pit8254_destroy(struct pit8254 *p)
{
	if (!p)
		return;
	if (p->pio) {
		as_unregister(p->pio, PIT8254_PORT61);
		as_unregister(p->pio, PIT8254_BASE);
	}
	if (p->cfg.timers)
		timer_del(&p->irq_timer);
	free(p);
}

/* ---- state (include/hover/state.h) ---- */

static void channel_save(struct state_writer *w, const struct pit8254_channel *c, u64 t)
{
	state_put_u16(w, c->count_reg);
	state_put_u32(w, c->initial);
	state_put_u8(w, c->mode);
	state_put_u8(w, c->rw);
	state_put_u8(w, c->bcd);
	state_put_u8(w, c->write_lsb);
	state_put_bool(w, c->write_msb_next);
	state_put_bool(w, c->read_msb_next);
	state_put_bool(w, c->count_latched);
	state_put_bool(w, c->latch_msb_next);
	state_put_u16(w, c->latched_count);
	state_put_bool(w, c->status_latched);
	state_put_u8(w, c->status);
	state_put_bool(w, c->loaded);
	state_put_bool(w, c->gate);
	state_put_bool(w, c->counting);
	state_put_bool(w, c->triggered);
	state_put_time(w, c->load_ns, t);
	state_put_u64(w, c->base_ticks);
}

static void channel_load(struct state_reader *r, struct pit8254_channel *c, u64 t)
{
	c->count_reg = state_get_u16(r);
	c->initial = state_get_u32(r);
	c->mode = state_get_u8(r);
	c->rw = state_get_u8(r);
	c->bcd = state_get_u8(r);
	c->write_lsb = state_get_u8(r);
	c->write_msb_next = state_get_bool(r);
	c->read_msb_next = state_get_bool(r);
	c->count_latched = state_get_bool(r);
	c->latch_msb_next = state_get_bool(r);
	c->latched_count = state_get_u16(r);
	c->status_latched = state_get_bool(r);
	c->status = state_get_u8(r);
	c->loaded = state_get_bool(r);
	c->gate = state_get_bool(r);
	c->counting = state_get_bool(r);
	c->triggered = state_get_bool(r);
	c->load_ns = state_get_time(r, t);
	c->base_ticks = state_get_u64(r);
	/* The counting element divides by initial: 0 would be a division by zero. */
	if (c->initial == 0 || c->initial > 65536 || c->mode > 7 || c->rw == 0 || c->rw > 3 ||
	    c->bcd > 1)
		state_reader_fail(r, "count %u, mode %u, access %u, BCD %u (1-65536, 0-7, 1-3, "
				  "0-1 expected)", c->initial, c->mode, c->rw, c->bcd);
}

/*
 * Times are saved relative to the clock, so a counter mid-count continues
 * from the same count and the IRQ0 timer is re-armed from it, not saved.
 */
static int pit_save(void *dev, struct state_writer *w)
{
	struct pit8254 *p = dev;
	u64 t = now(p);

	for (unsigned i = 0; i < 3; i++)
		channel_save(w, &p->s.ch[i], t);
	state_put_u8(w, p->s.port61);
	return 0;
}

static int pit_load(void *dev, struct state_reader *r)
{
	struct pit8254 *p = dev;
	u64 t = now(p);

	for (unsigned i = 0; i < 3; i++)
		channel_load(r, &p->s.ch[i], t);
	p->s.port61 = state_get_u8(r);
	if (state_reader_error(r))
		return state_reader_error(r);
	arm_irq(p, t);
	return 0;
}

const struct dev_state_ops pit8254_state_ops = {
	.section = "pit8254", .version = 1, .save = pit_save, .load = pit_load,
};
