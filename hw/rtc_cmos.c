// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * MC146818A / DS12887 RTC and CMOS RAM (DS12887 datasheet: time, alarm and
 * control registers A-D, BCD/binary and 12/24-hour formats, UIP timing,
 * periodic rates, interrupt flags).
 *
 * How it works: the clock is not ticked. Guest wall-clock time is the host's
 * monotonic clock plus epoch_ns (seeded from CLOCK_REALTIME at creation,
 * moved when the guest sets the time), so the time registers are computed
 * when read. While register B.SET is 1 or the divider is held in reset
 * (register A DV = 11x) the registers hold what the guest wrote; when both
 * are released the written time becomes the new epoch. UIP reads 1 during
 * the 244 us before each second boundary. Timers run only when an interrupt
 * is enabled: one for the periodic rate (PIE), one at each second boundary
 * (UIE/AIE); with interrupts off, register C's PF/UF are computed on read.
 * Linux's user: drivers/rtc/rtc-mc146818-lib.c (mc146818_avoid_UIP, get/set
 * time with SET and DV reset) and rtc-cmos.c (IRQ8 handler reads C).
 */
#include <errno.h>
#include <stdlib.h>
#include <time.h>

#include "hw/rtc_cmos.h"

#define NS_PER_SEC 1000000000ll
#define UIP_WINDOW_NS 244000ll

enum {
	REG_SEC = 0x00, REG_SEC_ALARM = 0x01, REG_MIN = 0x02, REG_MIN_ALARM = 0x03,
	REG_HOUR = 0x04, REG_HOUR_ALARM = 0x05, REG_WDAY = 0x06, REG_MDAY = 0x07,
	REG_MON = 0x08, REG_YEAR = 0x09, REG_A = 0x0A, REG_B = 0x0B, REG_C = 0x0C, REG_D = 0x0D,
};

#define A_UIP 0x80
#define A_DV_MASK 0x70
#define A_DV_RESET 0x60 /* DV2:DV1 = 11: divider chain held in reset */
#define A_RS_MASK 0x0F
#define B_SET 0x80
#define B_PIE 0x40
#define B_AIE 0x20
#define B_UIE 0x10
#define B_DM_BINARY 0x04
#define B_24H 0x02
#define C_IRQF 0x80
#define C_PF 0x40
#define C_AF 0x20
#define C_UF 0x10
#define D_VRT 0x80

static u64 mono(const struct rtc_cmos *r)
{
	return r->cfg.now_ns ? r->cfg.now_ns(r->cfg.clock_opaque) : clock_ns();
}

static s64 host_realtime(const struct rtc_cmos *r)
{
	struct timespec ts;

	if (r->cfg.realtime_ns)
		return r->cfg.realtime_ns(r->cfg.clock_opaque);
	clock_gettime(CLOCK_REALTIME, &ts);
	return (s64)ts.tv_sec * NS_PER_SEC + ts.tv_nsec;
}

static s64 guest_ns(const struct rtc_cmos *r, u64 t)
{
	return (s64)t + r->s.epoch_ns;
}

static s64 floor_div(s64 a, s64 b)
{
	return a / b - (a % b < 0);
}

static bool running(const struct rtc_cmos *r)
{
	const u8 *c = r->s.cmos;

	return !(c[REG_B] & B_SET) && (c[REG_A] & A_DV_RESET) != A_DV_RESET;
}

static u8 bin2bcd(unsigned v)
{
	return (u8)((v / 10 % 10) << 4 | v % 10);
}

static u8 to_reg(const struct rtc_cmos *r, unsigned v)
{
	return (r->s.cmos[REG_B] & B_DM_BINARY) ? (u8)v : bin2bcd(v);
}

static unsigned from_reg(const struct rtc_cmos *r, u8 v)
{
	return (r->s.cmos[REG_B] & B_DM_BINARY) ? v : (v >> 4) * 10u + (v & 15);
}

static u8 hour_to_reg(const struct rtc_cmos *r, unsigned h)
{
	if (r->s.cmos[REG_B] & B_24H)
		return to_reg(r, h);
	return to_reg(r, h % 12 ? h % 12 : 12) | (h >= 12 ? 0x80 : 0);
}

static unsigned hour_from_reg(const struct rtc_cmos *r, u8 v)
{
	if (r->s.cmos[REG_B] & B_24H)
		return from_reg(r, v);
	return from_reg(r, v & 0x7F) % 12 + ((v & 0x80) ? 12 : 0);
}

/* Write the time at guest time g (ns) into the time registers. */
static void store_time(struct rtc_cmos *r, s64 g)
{
	time_t secs = (time_t)floor_div(g, NS_PER_SEC);
	struct tm tm;
	u8 *c = r->s.cmos;

	if (!gmtime_r(&secs, &tm))
		return;
	c[REG_SEC] = to_reg(r, (unsigned)tm.tm_sec);
	c[REG_MIN] = to_reg(r, (unsigned)tm.tm_min);
	c[REG_HOUR] = hour_to_reg(r, (unsigned)tm.tm_hour);
	c[REG_WDAY] = to_reg(r, (unsigned)tm.tm_wday + 1);
	c[REG_MDAY] = to_reg(r, (unsigned)tm.tm_mday);
	c[REG_MON] = to_reg(r, (unsigned)tm.tm_mon + 1);
	c[REG_YEAR] = to_reg(r, (unsigned)(tm.tm_year + 1900) % 100);
	c[RTC_CMOS_CENTURY] = to_reg(r, (unsigned)(tm.tm_year + 1900) / 100);
}

/* Guest seconds since the epoch described by the time registers. */
static s64 regs_to_secs(const struct rtc_cmos *r)
{
	const u8 *c = r->s.cmos;
	unsigned yy = from_reg(r, c[REG_YEAR]) % 100, cent = from_reg(r, c[RTC_CMOS_CENTURY]);
	struct tm tm = {0};

	if (cent < 19 || cent > 99)
		cent = yy < 70 ? 20 : 19;
	tm.tm_sec = (int)from_reg(r, c[REG_SEC]);
	tm.tm_min = (int)from_reg(r, c[REG_MIN]);
	tm.tm_hour = (int)hour_from_reg(r, c[REG_HOUR]);
	tm.tm_mday = (int)from_reg(r, c[REG_MDAY]);
	tm.tm_mon = (int)from_reg(r, c[REG_MON]) - 1;
	tm.tm_year = (int)(cent * 100 + yy) - 1900;
	return (s64)timegm(&tm); /* normalises out-of-range fields */
}

static void update_irq(struct rtc_cmos *r)
{
	u8 *c = r->s.cmos;
	bool irqf = ((c[REG_C] & C_PF) && (c[REG_B] & B_PIE)) ||
		    ((c[REG_C] & C_AF) && (c[REG_B] & B_AIE)) ||
		    ((c[REG_C] & C_UF) && (c[REG_B] & B_UIE));

	if (irqf)
		c[REG_C] |= C_IRQF;
	else
		c[REG_C] &= (u8)~C_IRQF;
	if (irqf != r->s.irq_level) {
		r->s.irq_level = irqf;
		irq_set_level(&r->cfg.irq, irqf);
	}
}

/* Periodic interrupt period from register A's rate select; 0 = none. */
static s64 periodic_ns(const struct rtc_cmos *r)
{
	unsigned rs = r->s.cmos[REG_A] & A_RS_MASK;

	if (!rs || (r->s.cmos[REG_A] & A_DV_MASK) != 0x20)
		return 0;
	if (rs < 3)
		rs += 7;
	return (s64)((1ll << (rs - 1)) * NS_PER_SEC / 32768);
}

static bool alarm_field_matches(const struct rtc_cmos *r, u8 alarm, u8 now, bool hour)
{
	if ((alarm & 0xC0) == 0xC0)
		return true; /* don't care */
	if (hour)
		return hour_from_reg(r, alarm) == hour_from_reg(r, now);
	return from_reg(r, alarm) == from_reg(r, now);
}

/* The update cycle that ends at guest second `sec`: UF, and AF on an alarm match. */
static void update_cycle(struct rtc_cmos *r, s64 sec)
{
	u8 *c = r->s.cmos;

	r->s.last_uf_sec = sec;
	c[REG_C] |= C_UF;
	store_time(r, sec * NS_PER_SEC);
	if (alarm_field_matches(r, c[REG_SEC_ALARM], c[REG_SEC], false) &&
	    alarm_field_matches(r, c[REG_MIN_ALARM], c[REG_MIN], false) &&
	    alarm_field_matches(r, c[REG_HOUR_ALARM], c[REG_HOUR], true))
		c[REG_C] |= C_AF;
}

static void arm_timers(struct rtc_cmos *r)
{
	u64 t;
	s64 g, p;

	if (!r->cfg.timers)
		return;
	t = mono(r);
	g = guest_ns(r, t);
	p = periodic_ns(r);
	if (p && (r->s.cmos[REG_B] & B_PIE) && running(r))
		timer_mod(&r->periodic_timer, (u64)((floor_div(g, p) + 1) * p - r->s.epoch_ns));
	else
		timer_del(&r->periodic_timer);
	if ((r->s.cmos[REG_B] & (B_UIE | B_AIE)) && running(r))
		timer_mod(&r->update_timer,
			  (u64)((floor_div(g, NS_PER_SEC) + 1) * NS_PER_SEC - r->s.epoch_ns));
	else
		timer_del(&r->update_timer);
}

static void periodic_cb(void *opaque)
{
	struct rtc_cmos *r = opaque;

	r->s.cmos[REG_C] |= C_PF;
	update_irq(r);
	arm_timers(r);
}

static void update_cb(void *opaque)
{
	struct rtc_cmos *r = opaque;
	s64 sec = floor_div(guest_ns(r, mono(r)), NS_PER_SEC);

	if (running(r) && sec != r->s.last_uf_sec) {
		update_cycle(r, sec);
		update_irq(r);
	}
	arm_timers(r);
}

/* Flags for events nobody asked to be interrupted for, computed when C is read. */
static void lazy_flags(struct rtc_cmos *r, u64 t)
{
	s64 p = periodic_ns(r), sec;

	if (!running(r))
		return;
	if (p && !(r->s.cmos[REG_B] & B_PIE) &&
	    floor_div(guest_ns(r, t), p) != floor_div(guest_ns(r, r->s.last_c_read), p))
		r->s.cmos[REG_C] |= C_PF;
	sec = floor_div(guest_ns(r, t), NS_PER_SEC);
	if (!(r->s.cmos[REG_B] & (B_UIE | B_AIE)) && sec != r->s.last_uf_sec) {
		r->s.last_uf_sec = sec;
		r->s.cmos[REG_C] |= C_UF;
	}
}

/* Leaving SET / divider reset: the registers become the time from now on. */
static void set_epoch_from_regs(struct rtc_cmos *r)
{
	u64 t = mono(r);

	r->s.epoch_ns = regs_to_secs(r) * NS_PER_SEC - (s64)t;
	r->s.last_uf_sec = floor_div(guest_ns(r, t), NS_PER_SEC);
}

static u8 read_data(struct rtc_cmos *r)
{
	u8 *c = r->s.cmos;
	u8 idx = r->s.index, val;
	u64 t;
	s64 g;

	switch (idx) {
	case REG_A:
		val = c[REG_A] & (u8)~A_UIP;
		if (running(r)) {
			g = guest_ns(r, mono(r));
			if (g - floor_div(g, NS_PER_SEC) * NS_PER_SEC >= NS_PER_SEC - UIP_WINDOW_NS)
				val |= A_UIP;
		}
		return val;
	case REG_C:
		t = mono(r);
		lazy_flags(r, t);
		r->s.last_c_read = t;
		val = c[REG_C];
		c[REG_C] = 0;
		update_irq(r);
		return val;
	case REG_D:
		return D_VRT;
	case REG_SEC: case REG_MIN: case REG_HOUR: case REG_WDAY: case REG_MDAY: case REG_MON:
	case REG_YEAR: case RTC_CMOS_CENTURY:
		if (running(r))
			store_time(r, guest_ns(r, mono(r)));
		return c[idx];
	default:
		return c[idx];
	}
}

static void write_data(struct rtc_cmos *r, u8 val)
{
	u8 *c = r->s.cmos;
	u8 idx = r->s.index;
	bool was_running = running(r);

	switch (idx) {
	case REG_A:
		c[REG_A] = val & (u8)~A_UIP;
		break;
	case REG_B:
		if (val & B_SET)
			val &= (u8)~B_UIE; /* SET clears UIE (DS12887) */
		c[REG_B] = val;
		break;
	case REG_C:
	case REG_D:
		return; /* read-only */
	case REG_SEC: case REG_MIN: case REG_HOUR: case REG_WDAY: case REG_MDAY: case REG_MON:
	case REG_YEAR: case RTC_CMOS_CENTURY:
		if (was_running) /* a field set while running: the others keep ticking */
			store_time(r, guest_ns(r, mono(r)));
		c[idx] = val;
		if (was_running)
			set_epoch_from_regs(r);
		return;
	default:
		c[idx] = val;
		return;
	}
	if (was_running && !running(r))
		store_time(r, guest_ns(r, mono(r))); /* freeze what the guest will edit */
	else if (!was_running && running(r))
		set_epoch_from_regs(r);
	update_irq(r);
	arm_timers(r);
}

static u64 rtc_read(void *opaque, u64 offset, unsigned size)
{
	struct rtc_cmos *r = opaque;

	if (offset == 0)
		return 0xFF; /* the index register is write-only */
	return read_data(r);
}

static void rtc_write(void *opaque, u64 offset, unsigned size, u64 val)
{
	struct rtc_cmos *r = opaque;

	if (offset == 0) {
		r->s.index = val & 0x7F;
		r->s.nmi_masked = (val & 0x80) != 0;
		return;
	}
	write_data(r, (u8)val);
}

const struct io_ops rtc_cmos_io_ops = {
	.read = rtc_read, .write = rtc_write, .min_access = 1, .max_access = 1,
};

bool rtc_cmos_nmi_masked(const struct rtc_cmos *r)
{
	return r->s.nmi_masked;
}

static void put16(u8 *c, unsigned idx, u64 v)
{
	if (v > 0xFFFF)
		v = 0xFFFF;
	c[idx] = (u8)v;
	c[idx + 1] = (u8)(v >> 8);
}

/* The memory-size bytes PC firmware and loaders read (IBM AT layout, SeaBIOS extensions). */
static void fill_memory_bytes(struct rtc_cmos *r)
{
	u8 *c = r->s.cmos;
	u64 below = r->cfg.ram_below_4g, above = r->cfg.ram_above_4g;
	unsigned sum = 0;

	put16(c, 0x15, 640);                                   /* base memory, KiB */
	put16(c, 0x17, below > 1 * MiB ? (below - 1 * MiB) / KiB : 0); /* above 1M, KiB */
	put16(c, 0x30, below > 1 * MiB ? (below - 1 * MiB) / KiB : 0);
	put16(c, 0x34, below > 16 * MiB ? (below - 16 * MiB) / (64 * KiB) : 0); /* 64K units */
	above /= 64 * KiB;
	if (above > 0xFFFFFF)
		above = 0xFFFFFF;
	c[0x5B] = (u8)above;
	c[0x5C] = (u8)(above >> 8);
	c[0x5D] = (u8)(above >> 16);
	c[0x14] = 0x02; /* equipment: coprocessor present, no floppy, no video BIOS */
	for (unsigned i = 0x10; i <= 0x2D; i++)
		sum += c[i];
	c[0x2E] = (u8)(sum >> 8);
	c[0x2F] = (u8)sum;
}

void rtc_cmos_reset(struct rtc_cmos *r)
{
	r->s.cmos[REG_B] &= (u8)~(B_PIE | B_AIE | B_UIE | 0x08 /* SQWE */);
	r->s.cmos[REG_C] = 0;
	update_irq(r);
	arm_timers(r);
}

int rtc_cmos_create(struct rtc_cmos **out, const struct rtc_cmos_config *cfg)
{
	struct rtc_cmos *r = calloc(1, sizeof(*r));
	u64 t;

	if (!r)
		return -ENOMEM;
	r->cfg = *cfg;
	if (cfg->timers) {
		timer_init(&r->periodic_timer, cfg->timers, periodic_cb, r);
		timer_init(&r->update_timer, cfg->timers, update_cb, r);
	}
	t = mono(r);
	r->s.epoch_ns = host_realtime(r) - (s64)t;
	r->s.last_uf_sec = floor_div(guest_ns(r, t), NS_PER_SEC);
	r->s.last_c_read = t;
	r->s.cmos[REG_A] = 0x26; /* 32.768 kHz time base, 1024 Hz periodic rate */
	r->s.cmos[REG_B] = B_24H;
	r->s.cmos[REG_D] = D_VRT;
	store_time(r, guest_ns(r, t));
	fill_memory_bytes(r);
	*out = r;
	return 0;
}

int rtc_cmos_attach(struct rtc_cmos *r, struct addrspace *pio)
{
	int ret = as_register(pio, RTC_CMOS_BASE, 2, &rtc_cmos_io_ops, r);

	if (ret)
		return ret;
	r->pio = pio;
	return 0;
}

void rtc_cmos_destroy(struct rtc_cmos *r)
{
	if (!r)
		return;
	if (r->pio)
		as_unregister(r->pio, RTC_CMOS_BASE);
	if (r->cfg.timers) {
		timer_del(&r->periodic_timer);
		timer_del(&r->update_timer);
	}
	free(r);
}

/* ---- state (include/hover/state.h) ---- */

/*
 * The guest's time of day is saved as such (not as an offset from this
 * host's clock), so a restored guest continues from the time it was saved at,
 * whatever the clocks of the loading host say; the update and periodic
 * timers are derived from it and re-armed, not saved.
 */
static int rtc_save(void *dev, struct state_writer *w)
{
	struct rtc_cmos *r = dev;
	u64 t = mono(r);

	state_put_bytes(w, r->s.cmos, sizeof(r->s.cmos));
	state_put_u8(w, r->s.index);
	state_put_bool(w, r->s.nmi_masked);
	state_put_bool(w, r->s.irq_level);
	state_put_u64(w, (u64)guest_ns(r, t));
	state_put_u64(w, (u64)r->s.last_uf_sec);
	state_put_time(w, r->s.last_c_read, t);
	return 0;
}

static int rtc_load(void *dev, struct state_reader *r)
{
	struct rtc_cmos *rtc = dev;
	u64 t = mono(rtc);

	state_get_bytes(r, rtc->s.cmos, sizeof(rtc->s.cmos));
	rtc->s.index = state_get_u8(r);
	rtc->s.nmi_masked = state_get_bool(r);
	rtc->s.irq_level = state_get_bool(r);
	rtc->s.epoch_ns = (s64)state_get_u64(r) - (s64)t;
	rtc->s.last_uf_sec = (s64)state_get_u64(r);
	rtc->s.last_c_read = state_get_time(r, t);
	if (state_reader_error(r))
		return state_reader_error(r);
	if (rtc->s.index >= sizeof(rtc->s.cmos))
		return state_reader_fail(r, "CMOS index 0x%x (at most 0x7f)", rtc->s.index);
	arm_timers(rtc);
	return 0;
}

const struct dev_state_ops rtc_cmos_state_ops = {
	.section = "rtc_cmos", .version = 1, .save = rtc_save, .load = rtc_load,
};
