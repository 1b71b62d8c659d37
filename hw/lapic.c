// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Local APIC, xAPIC mode. Intel SDM Vol. 3A chapter 10:
 *   10.4   the APIC page, IA32_APIC_BASE, ID/version, software enable (SVR)
 *   10.5   LVT, ESR, the APIC timer (one-shot and periodic; divide configuration)
 *   10.6   ICR, destination modes, IPI messages
 *   10.8   IRR/ISR/TMR, TPR/PPR/APR, EOI
 *
 * How it works: interrupt acceptance only sets IRR (and TMR for level
 * triggered) and calls cfg.notify; the vCPU later calls lapic_ack(), which
 * picks the highest IRR vector whose priority class beats PPR and moves it to
 * ISR. EOI clears the highest ISR bit and, if its TMR bit is set, broadcasts
 * the EOI so the IOAPIC can clear Remote IRR.
 *
 * The timer's counter is not stepped: it is computed from the clock whenever
 * it is read, from the time its current period started (timer_start_ns) and
 * the rate X86_CRYSTAL_HZ / divisor, which is what CPUID 0x15 promises. A
 * struct timer fires at the end of each period; a periodic timer that finds
 * itself late (host stall) skips the missed periods instead of bursting.
 */
#include "hw/lapic.h"
#include "hw/lapic_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "include/hover/log.h"
#include "include/hover/x86_clock.h"

/* Register offsets in the APIC page (SDM table 10-1). */
enum {
	REG_ID = 0x020,
	REG_VERSION = 0x030,
	REG_TPR = 0x080,
	REG_APR = 0x090,
	REG_PPR = 0x0A0,
	REG_EOI = 0x0B0,
	REG_RRD = 0x0C0,
	REG_LDR = 0x0D0,
	REG_DFR = 0x0E0,
	REG_SVR = 0x0F0,
	REG_ISR = 0x100,
	REG_TMR = 0x180,
	REG_IRR = 0x200,
	REG_ESR = 0x280,
	REG_ICR_LO = 0x300,
	REG_ICR_HI = 0x310,
	REG_LVT_TIMER = 0x320,
	REG_LVT_ERROR = 0x370,
	REG_TIMER_ICR = 0x380,
	REG_TIMER_CCR = 0x390,
	REG_TIMER_DCR = 0x3E0,
};

/* LVT entries in register order, 0x320 + 0x10 * index. */
enum { LVT_TIMER, LVT_THERMAL, LVT_PERF, LVT_LINT0, LVT_LINT1, LVT_ERROR, LVT_COUNT };
_Static_assert(LVT_COUNT == LAPIC_LVT_COUNT, "lapic.h counts the LVT entries too");

#define LAPIC_VERSION 0x14
#define LAPIC_VERSION_REG (LAPIC_VERSION | ((LVT_COUNT - 1) << 16))

#define SVR_ENABLE (1u << 8)
#define SVR_WRITABLE 0x3FFu /* vector, APIC enable, focus check: no EOI-broadcast suppression */

#define LVT_VECTOR 0xFFu
#define LVT_DM_SHIFT 8
#define LVT_POLARITY (1u << 13)
#define LVT_LEVEL (1u << 15)
#define LVT_MASKED (1u << 16)
#define LVT_TIMER_PERIODIC (1u << 17)

#define ICR_DEST_LOGICAL (1u << 11)
#define ICR_LEVEL_ASSERT (1u << 14)
#define ICR_TRIGGER_LEVEL (1u << 15)
#define ICR_SHORTHAND_SHIFT 18
#define ICR_LO_WRITABLE 0x000CCFFFu

#define ESR_SEND_ILLEGAL_VECTOR (1u << 5)
#define ESR_RECV_ILLEGAL_VECTOR (1u << 6)
#define ESR_ILLEGAL_REGISTER (1u << 7)

/*
 * A periodic timer is never re-armed faster than this; shorter periods are
 * coalesced (one interrupt per callback), so a guest cannot make the event
 * loop spin. The count read back is still exact.
 */
#define LAPIC_MIN_PERIOD_NS 100000ULL

static const u32 lvt_writable[LVT_COUNT] = {
	[LVT_TIMER] = LVT_VECTOR | LVT_MASKED | LVT_TIMER_PERIODIC,
	[LVT_THERMAL] = LVT_VECTOR | (7u << LVT_DM_SHIFT) | LVT_MASKED,
	[LVT_PERF] = LVT_VECTOR | (7u << LVT_DM_SHIFT) | LVT_MASKED,
	[LVT_LINT0] = LVT_VECTOR | (7u << LVT_DM_SHIFT) | LVT_POLARITY | LVT_LEVEL | LVT_MASKED,
	[LVT_LINT1] = LVT_VECTOR | (7u << LVT_DM_SHIFT) | LVT_POLARITY | LVT_LEVEL | LVT_MASKED,
	[LVT_ERROR] = LVT_VECTOR | LVT_MASKED,
};

static u64 now_ns(const struct lapic *l)
{
	return l->cfg.now ? l->cfg.now() : clock_ns();
}

static void notify(struct lapic *l)
{
	if (l->cfg.notify)
		l->cfg.notify(l->cfg.opaque);
}

static bool hw_enabled(const struct lapic *l)
{
	return l->s.apic_base & LAPIC_BASE_ENABLE;
}

static bool sw_enabled(const struct lapic *l)
{
	return l->s.svr & SVR_ENABLE;
}

/* 256-bit registers (IRR/ISR/TMR) as eight 32-bit words, as the APIC page lays them out. */
static void vec_set(u32 *r, u8 v) { r[v >> 5] |= 1u << (v & 31); }
static void vec_clear(u32 *r, u8 v) { r[v >> 5] &= ~(1u << (v & 31)); }
static bool vec_test(const u32 *r, u8 v) { return r[v >> 5] & (1u << (v & 31)); }

static int vec_highest(const u32 *r)
{
	for (int i = 7; i >= 0; i--)
		if (r[i])
			return i * 32 + 31 - __builtin_clz(r[i]);
	return -1;
}

/* SDM 10.8.3.1: PPR is TPR, or ISRV's class if that is higher. */
static u8 ppr(const struct lapic *l)
{
	int isrv = vec_highest(l->s.isr);
	u8 tpr = l->s.tpr & 0xFF;

	if (isrv < 0 || (tpr >> 4) >= (isrv >> 4))
		return tpr;
	return isrv & 0xF0;
}

/* SDM 10.6.2.4 (P6 family): the arbitration priority. */
u8 lapic_arb_priority(const struct lapic *l)
{
	int irrv = vec_highest(l->s.irr), isrv = vec_highest(l->s.isr);
	u8 tpr = l->s.tpr & 0xFF;
	u8 irrc = irrv < 0 ? 0 : irrv >> 4, isrc = isrv < 0 ? 0 : isrv >> 4;
	u8 m;

	if ((tpr >> 4) >= irrc && (tpr >> 4) > isrc)
		return tpr;
	m = tpr >> 4;
	if (isrc > m)
		m = isrc;
	if (irrc > m)
		m = irrc;
	return m << 4;
}

static bool lint_asserted(const struct lapic *l, unsigned pin)
{
	return (l->s.lint_level[pin] != 0) != ((l->s.lvt[LVT_LINT0 + pin] & LVT_POLARITY) != 0);
}

static bool extint_active(const struct lapic *l)
{
	u32 lvt = l->s.lvt[LVT_LINT0];

	if (l->s.extint_pending)
		return true;
	return !(lvt & LVT_MASKED) && ((lvt >> LVT_DM_SHIFT) & 7) == LAPIC_DM_EXTINT &&
	       lint_asserted(l, 0);
}

/* Interrupt acceptance into IRR (SDM 10.8.4). */
static void accept(struct lapic *l, u8 vector, bool level);

static void raise_error(struct lapic *l, u32 bits)
{
	u32 lvt = l->s.lvt[LVT_ERROR];

	l->s.esr_pending |= bits;
	/* Delivered directly: an illegal error vector must not recurse into another error. */
	if (!(lvt & LVT_MASKED) && (lvt & LVT_VECTOR) >= 16) {
		vec_set(l->s.irr, lvt & LVT_VECTOR);
		vec_clear(l->s.tmr, lvt & LVT_VECTOR);
		notify(l);
	}
}

static void accept(struct lapic *l, u8 vector, bool level)
{
	/* A software-disabled APIC holds what it has but takes no new fixed interrupts. */
	if (!hw_enabled(l) || !sw_enabled(l))
		return;
	if (vector < 16) {
		raise_error(l, ESR_RECV_ILLEGAL_VECTOR);
		return;
	}
	vec_set(l->s.irr, vector);
	if (level)
		vec_set(l->s.tmr, vector);
	else
		vec_clear(l->s.tmr, vector);
	notify(l);
}

/* Deliver a local (LVT) interrupt: LINT pins, timer, thermal, perf. */
static void lvt_fire(struct lapic *l, unsigned idx)
{
	u32 lvt = l->s.lvt[idx];
	unsigned dm = (lvt >> LVT_DM_SHIFT) & 7;

	if (lvt & LVT_MASKED)
		return;
	if (idx == LVT_TIMER || idx == LVT_ERROR)
		dm = LAPIC_DM_FIXED;
	switch (dm) {
	case LAPIC_DM_FIXED:
		accept(l, lvt & LVT_VECTOR, (idx == LVT_LINT0 || idx == LVT_LINT1) && (lvt & LVT_LEVEL));
		break;
	case LAPIC_DM_NMI:
		l->s.nmi_pending = true;
		notify(l);
		break;
	case LAPIC_DM_EXTINT:
		notify(l);
		break;
	default: /* SMI, INIT: no SMM, and INIT from an LVT is reserved */
		break;
	}
}

void lapic_set_irq(struct lapic *l, u8 vector, bool level_triggered)
{
	accept(l, vector, level_triggered);
}

void lapic_deliver(struct lapic *l, u8 delivery_mode, u8 vector, bool level_triggered)
{
	if (!hw_enabled(l))
		return;
	switch (delivery_mode) {
	case LAPIC_DM_FIXED:
	case LAPIC_DM_LOWEST:
		accept(l, vector, level_triggered);
		return;
	case LAPIC_DM_NMI:
		l->s.nmi_pending = true;
		break;
	case LAPIC_DM_INIT:
		l->s.init_pending = true;
		break;
	case LAPIC_DM_STARTUP:
		l->s.sipi_pending = true;
		l->s.sipi_vector = vector;
		break;
	case LAPIC_DM_EXTINT:
		l->s.extint_pending = true;
		break;
	default:
		log_ratelimited(LOG_DEBUG, "lapic %u: delivery mode %u ignored", l->cfg.apic_id,
				delivery_mode);
		return;
	}
	notify(l);
}

void lapic_set_lint(struct lapic *l, unsigned pin, int level)
{
	bool was, now;
	u32 lvt;

	if (pin > 1) {
		log_ratelimited(LOG_WARN, "lapic %u: no LINT%u pin", l->cfg.apic_id, pin);
		return;
	}
	if (!hw_enabled(l)) {
		/* APIC bypassed: LINT0 is the CPU's INTR pin, LINT1 its NMI pin. */
		if (pin == 1 && level && !l->s.lint_level[1])
			l->s.nmi_pending = true;
		l->s.lint_level[pin] = level != 0;
		notify(l);
		return;
	}
	was = lint_asserted(l, pin);
	l->s.lint_level[pin] = level != 0;
	now = lint_asserted(l, pin);
	lvt = l->s.lvt[LVT_LINT0 + pin];
	if (!now)
		return;
	/* Level-triggered fixed LINT keeps asserting; everything else is edge-sensitive. */
	if (!was || (((lvt >> LVT_DM_SHIFT) & 7) == LAPIC_DM_FIXED && (lvt & LVT_LEVEL)))
		lvt_fire(l, LVT_LINT0 + pin);
}

bool lapic_has_intr(const struct lapic *l)
{
	int v;

	if (!hw_enabled(l))
		return l->s.lint_level[0] != 0;
	if (extint_active(l))
		return true;
	v = vec_highest(l->s.irr);
	return v >= 0 && (v & 0xF0) > (ppr(l) & 0xF0);
}

int lapic_ack(void *opaque)
{
	struct lapic *l = opaque;
	int v;

	if (!hw_enabled(l)) {
		if (l->s.lint_level[0] && l->cfg.pic_ack)
			return l->cfg.pic_ack(l->cfg.opaque);
		return -1;
	}
	if (extint_active(l)) {
		l->s.extint_pending = false;
		/* ExtINT bypasses the APIC's priority logic: the 8259 supplies the vector. */
		v = l->cfg.pic_ack ? l->cfg.pic_ack(l->cfg.opaque) : -1;
		if (v >= 0)
			return v;
	}
	v = vec_highest(l->s.irr);
	if (v < 0 || (v & 0xF0) <= (ppr(l) & 0xF0))
		return -1;
	vec_clear(l->s.irr, v);
	vec_set(l->s.isr, v);
	return v;
}

static void eoi(struct lapic *l)
{
	int v = vec_highest(l->s.isr);

	if (v < 0)
		return;
	vec_clear(l->s.isr, v);
	if (vec_test(l->s.tmr, v) && l->cfg.eoi_broadcast)
		l->cfg.eoi_broadcast(l->cfg.opaque, v);
	/* A lower-priority interrupt may be deliverable now. */
	notify(l);
}

bool lapic_take_init(struct lapic *l)
{
	bool r = l->s.init_pending;

	l->s.init_pending = false;
	return r;
}

int lapic_take_sipi(struct lapic *l)
{
	if (!l->s.sipi_pending)
		return -1;
	l->s.sipi_pending = false;
	return l->s.sipi_vector;
}

bool lapic_take_nmi(struct lapic *l)
{
	bool r = l->s.nmi_pending;

	l->s.nmi_pending = false;
	return r;
}

/* --- timer (SDM 10.5.4) --- */

static unsigned timer_divisor(const struct lapic *l)
{
	unsigned v = ((l->s.timer_dcr >> 1) & 4) | (l->s.timer_dcr & 3);

	return v == 7 ? 1 : 2u << v;
}

static u64 ns_to_counts(u64 ns, unsigned div)
{
	return (u64)((unsigned __int128)ns * X86_CRYSTAL_HZ / (1000000000ULL * div));
}

static u64 counts_to_ns(u64 counts, unsigned div)
{
	unsigned __int128 n = (unsigned __int128)counts * div * 1000000000ULL;

	return (u64)((n + X86_CRYSTAL_HZ - 1) / X86_CRYSTAL_HZ);
}

static bool timer_periodic(const struct lapic *l)
{
	return l->s.lvt[LVT_TIMER] & LVT_TIMER_PERIODIC;
}

static u32 timer_current(const struct lapic *l, u64 now)
{
	u64 counts;

	if (!l->s.timer_running || !l->s.timer_initial)
		return 0;
	counts = now > l->s.timer_start_ns ? ns_to_counts(now - l->s.timer_start_ns, timer_divisor(l)) : 0;
	if (timer_periodic(l))
		return l->s.timer_initial - (u32)(counts % l->s.timer_initial);
	return counts >= l->s.timer_initial ? 0 : l->s.timer_initial - (u32)counts;
}

static void timer_arm(struct lapic *l)
{
	u64 period = counts_to_ns(l->s.timer_initial, timer_divisor(l));

	if (timer_periodic(l) && period < LAPIC_MIN_PERIOD_NS)
		period = LAPIC_MIN_PERIOD_NS;
	timer_mod(&l->timer, l->s.timer_start_ns + period);
}

static void timer_expired(void *opaque)
{
	struct lapic *l = opaque;
	u64 now = now_ns(l), period, n;

	if (!l->s.timer_running)
		return;
	period = counts_to_ns(l->s.timer_initial, timer_divisor(l));
	if (timer_periodic(l)) {
		/* Realign to the period grid, skipping periods a host stall swallowed. */
		n = now > l->s.timer_start_ns ? (now - l->s.timer_start_ns) / period : 0;
		l->s.timer_start_ns += n * period;
		timer_arm(l);
	} else {
		if (now < l->s.timer_start_ns + period) { /* early: the divisor changed under us */
			timer_arm(l);
			return;
		}
		l->s.timer_running = false;
	}
	lvt_fire(l, LVT_TIMER);
}

u64 lapic_now(const struct lapic *l)
{
	return now_ns(l);
}

void lapic_timer_restart(struct lapic *l)
{
	if (l->s.timer_running && l->s.timer_initial)
		timer_arm(l);
	else
		timer_del(&l->timer);
}

static void timer_load(struct lapic *l, u32 initial)
{
	l->s.timer_initial = initial;
	if (!initial) {
		l->s.timer_running = false;
		timer_del(&l->timer);
		return;
	}
	l->s.timer_running = true;
	l->s.timer_start_ns = now_ns(l);
	timer_arm(l);
}

/* A new divisor keeps the current count where it is and changes its rate from now on. */
static void timer_set_dcr(struct lapic *l, u32 dcr)
{
	u64 now = now_ns(l);
	u32 cur = timer_current(l, now);

	l->s.timer_dcr = dcr & 0xB;
	if (!l->s.timer_running || !cur)
		return;
	l->s.timer_start_ns = now - counts_to_ns(l->s.timer_initial - cur, timer_divisor(l));
	timer_arm(l);
}

/* --- ICR (SDM 10.6.1) --- */

static void send_ipi(struct lapic *l)
{
	u32 lo = l->s.icr_lo;
	struct lapic_ipi ipi = {
		.src_id = l->s.id >> 24,
		.dest = l->s.icr_hi >> 24,
		.logical = lo & ICR_DEST_LOGICAL,
		.delivery_mode = (lo >> LVT_DM_SHIFT) & 7,
		.vector = lo & 0xFF,
		.level_trig = lo & ICR_TRIGGER_LEVEL,
	};
	unsigned shorthand = (lo >> ICR_SHORTHAND_SHIFT) & 3;

	/* INIT level de-assert only synchronises arbitration IDs: nothing to deliver. */
	if (ipi.delivery_mode == LAPIC_DM_INIT && ipi.level_trig && !(lo & ICR_LEVEL_ASSERT))
		return;
	if ((ipi.delivery_mode == LAPIC_DM_FIXED || ipi.delivery_mode == LAPIC_DM_LOWEST) &&
	    ipi.vector < 16) {
		raise_error(l, ESR_SEND_ILLEGAL_VECTOR);
		return;
	}
	switch (shorthand) {
	case 0:
		if (l->cfg.send_ipi)
			l->cfg.send_ipi(l->cfg.opaque, &ipi);
		else if (lapic_match_dest(l, ipi.dest, ipi.logical))
			lapic_deliver(l, ipi.delivery_mode, ipi.vector, ipi.level_trig);
		break;
	case 1: /* self */
		lapic_deliver(l, ipi.delivery_mode, ipi.vector, ipi.level_trig);
		break;
	case 2: /* all including self */
		lapic_deliver(l, ipi.delivery_mode, ipi.vector, ipi.level_trig);
		/* fallthrough */
	case 3: /* all excluding self */
		ipi.all_but_self = true;
		if (l->cfg.send_ipi)
			l->cfg.send_ipi(l->cfg.opaque, &ipi);
		break;
	}
}

u32 lapic_id(const struct lapic *l)
{
	return l->s.id >> 24;
}

/* SDM 10.6.2: physical (8-bit ID) and logical (flat or cluster LDR) destinations. */
bool lapic_match_dest(const struct lapic *l, u8 dest, bool logical)
{
	u8 ldr = l->s.ldr >> 24;

	if (!hw_enabled(l))
		return false;
	if (dest == 0xFF)
		return true;
	if (!logical)
		return dest == (l->s.id >> 24);
	switch (l->s.dfr >> 28) {
	case 0xF: /* flat */
		return (ldr & dest) != 0;
	case 0x0: /* cluster: [7:4] cluster, [3:0] members */
		return (dest >> 4) == (ldr >> 4) && (dest & ldr & 0xF) != 0;
	default:
		return false;
	}
}

bool lapic_ipi_match(const struct lapic *l, const struct lapic_ipi *ipi)
{
	if (ipi->all_but_self)
		return hw_enabled(l) && (l->s.id >> 24) != ipi->src_id;
	return lapic_match_dest(l, ipi->dest, ipi->logical);
}

u8 lapic_get_cr8(const struct lapic *l)
{
	return (l->s.tpr >> 4) & 0xF;
}

void lapic_set_cr8(struct lapic *l, u8 cr8)
{
	l->s.tpr = (cr8 & 0xF) << 4;
	notify(l);
}

/* --- MMIO --- */

static u64 mmio_read(void *opaque, u64 offset, unsigned size)
{
	struct lapic *l = opaque;
	unsigned idx;

	if (offset & 0xF)
		return 0;
	if (offset >= REG_ISR && offset < REG_ISR + 0x80)
		return l->s.isr[(offset - REG_ISR) >> 4];
	if (offset >= REG_TMR && offset < REG_TMR + 0x80)
		return l->s.tmr[(offset - REG_TMR) >> 4];
	if (offset >= REG_IRR && offset < REG_IRR + 0x80)
		return l->s.irr[(offset - REG_IRR) >> 4];
	if (offset >= REG_LVT_TIMER && offset <= REG_LVT_ERROR) {
		idx = (offset - REG_LVT_TIMER) >> 4;
		return l->s.lvt[idx];
	}
	switch (offset) {
	case REG_ID:
		return l->s.id;
	case REG_VERSION:
		return LAPIC_VERSION_REG;
	case REG_TPR:
		return l->s.tpr;
	case REG_APR:
		return lapic_arb_priority(l);
	case REG_PPR:
		return ppr(l);
	case REG_LDR:
		return l->s.ldr;
	case REG_DFR:
		return l->s.dfr;
	case REG_SVR:
		return l->s.svr;
	case REG_ESR:
		return l->s.esr;
	case REG_ICR_LO:
		return l->s.icr_lo; /* delivery status always idle: messages are sent at once */
	case REG_ICR_HI:
		return l->s.icr_hi;
	case REG_TIMER_ICR:
		return l->s.timer_initial;
	case REG_TIMER_CCR:
		return timer_current(l, now_ns(l));
	case REG_TIMER_DCR:
		return l->s.timer_dcr;
	default: /* EOI, RRD and reserved registers read as 0 */
		return 0;
	}
}

static void write_lvt(struct lapic *l, unsigned idx, u32 val)
{
	val &= lvt_writable[idx];
	if (!sw_enabled(l))
		val |= LVT_MASKED; /* SDM 10.4.7.2: masks cannot be cleared while disabled */
	l->s.lvt[idx] = val;
	if (idx == LVT_LINT0 || idx == LVT_LINT1)
		notify(l); /* an unmasked ExtINT may be waiting */
}

static void mmio_write(void *opaque, u64 offset, unsigned size, u64 val64)
{
	struct lapic *l = opaque;
	u32 val = (u32)val64;

	if (offset & 0xF)
		return;
	if (offset >= REG_LVT_TIMER && offset <= REG_LVT_ERROR) {
		write_lvt(l, (offset - REG_LVT_TIMER) >> 4, val);
		return;
	}
	switch (offset) {
	case REG_ID:
		l->s.id = val & 0xFF000000u;
		break;
	case REG_TPR:
		l->s.tpr = val & 0xFF;
		notify(l);
		break;
	case REG_EOI:
		eoi(l);
		break;
	case REG_LDR:
		l->s.ldr = val & 0xFF000000u;
		break;
	case REG_DFR:
		l->s.dfr = (val & 0xF0000000u) | 0x0FFFFFFFu;
		break;
	case REG_SVR:
		l->s.svr = val & SVR_WRITABLE;
		if (!sw_enabled(l))
			for (unsigned i = 0; i < LVT_COUNT; i++)
				l->s.lvt[i] |= LVT_MASKED;
		notify(l);
		break;
	case REG_ESR:
		/* A write latches the errors collected since the last write (SDM 10.5.3). */
		l->s.esr = l->s.esr_pending;
		l->s.esr_pending = 0;
		break;
	case REG_ICR_LO:
		l->s.icr_lo = val & ICR_LO_WRITABLE;
		send_ipi(l);
		break;
	case REG_ICR_HI:
		l->s.icr_hi = val & 0xFF000000u;
		break;
	case REG_TIMER_ICR:
		timer_load(l, val);
		break;
	case REG_TIMER_DCR:
		timer_set_dcr(l, val);
		break;
	case REG_VERSION:
	case REG_APR:
	case REG_PPR:
	case REG_RRD:
	case REG_TIMER_CCR:
		break; /* read-only: writes ignored */
	default:
		if ((offset >= REG_ISR && offset < REG_IRR + 0x80) || offset == 0x2F0)
			break; /* ISR/TMR/IRR read-only; LVT CMCI not implemented */
		raise_error(l, ESR_ILLEGAL_REGISTER);
		break;
	}
}

const struct io_ops lapic_mmio_ops = {
	.read = mmio_read,
	.write = mmio_write,
	.min_access = 4,
	.max_access = 4,
};

/* --- IA32_APIC_BASE, reset, lifecycle --- */

u64 lapic_get_base(void *opaque)
{
	const struct lapic *l = opaque;

	return l->s.apic_base;
}

void lapic_set_base(void *opaque, u64 val)
{
	struct lapic *l = opaque;
	bool was = hw_enabled(l);

	l->s.apic_base = (val & (LAPIC_BASE_ADDR_MASK | LAPIC_BASE_ENABLE)) |
		       (l->s.apic_base & LAPIC_BASE_BSP);
	/* SDM 10.4.3: a globally disabled APIC loses its state (back to power-up). */
	if (was && !hw_enabled(l))
		lapic_init_reset(l);
	notify(l);
}

void lapic_init_reset(struct lapic *l)
{
	timer_del(&l->timer);
	l->s.tpr = 0;
	l->s.ldr = 0;
	l->s.dfr = 0xFFFFFFFFu;
	l->s.svr = 0xFF;
	memset(l->s.irr, 0, sizeof(l->s.irr));
	memset(l->s.isr, 0, sizeof(l->s.isr));
	memset(l->s.tmr, 0, sizeof(l->s.tmr));
	l->s.esr = l->s.esr_pending = 0;
	l->s.icr_lo = l->s.icr_hi = 0;
	for (unsigned i = 0; i < LVT_COUNT; i++)
		l->s.lvt[i] = LVT_MASKED;
	l->s.timer_initial = 0;
	l->s.timer_dcr = 0;
	l->s.timer_running = false;
	l->s.timer_start_ns = 0;
	l->s.extint_pending = false;
	l->s.nmi_pending = l->s.init_pending = l->s.sipi_pending = false;
	l->s.sipi_vector = 0;
}

void lapic_reset(struct lapic *l)
{
	l->s.apic_base = LAPIC_DEFAULT_BASE | LAPIC_BASE_ENABLE | (l->cfg.bsp ? LAPIC_BASE_BSP : 0);
	l->s.id = l->cfg.apic_id << 24;
	lapic_init_reset(l);
}

void lapic_setup_virtual_wire(struct lapic *l)
{
	l->s.svr = SVR_ENABLE | 0xFF;
	l->s.lvt[LVT_LINT0] = LAPIC_DM_EXTINT << LVT_DM_SHIFT;
	l->s.lvt[LVT_LINT1] = LAPIC_DM_NMI << LVT_DM_SHIFT;
	notify(l);
}

int lapic_create(struct lapic **out, const struct lapic_config *cfg)
{
	struct lapic *l;

	if (!cfg->timers || cfg->apic_id > 0xFE)
		return -EINVAL;
	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	l->cfg = *cfg;
	timer_init(&l->timer, cfg->timers, timer_expired, l);
	lapic_reset(l);
	*out = l;
	return 0;
}

void lapic_destroy(struct lapic *l)
{
	if (!l)
		return;
	timer_del(&l->timer);
	free(l);
}
