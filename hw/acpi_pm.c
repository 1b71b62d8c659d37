// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ACPI fixed hardware, ACPI 6.x section 4.8 ("ACPI Hardware Model"):
 *   4.8.3.1 PM1 event registers: PM1_STS (write 1 to clear) and PM1_EN
 *   4.8.3.2 PM1 control: SCI_EN, SLP_TYP, SLP_EN
 *   4.8.3.3 the power management timer (32-bit, TMR_VAL_EXT), TMR_STS on
 *           every change of its top bit
 *   4.8.4.1 the GPE0 block: GPE0_STS (write 1 to clear) and GPE0_EN halves
 *   4.8.3.6 the reset register (FADT RESET_REG / RESET_VALUE)
 * The SCI is a level interrupt, asserted while any enabled status bit is set.
 *
 * Each block accepts 1-, 2- and 4-byte accesses itself, byte lane by byte
 * lane, so write-1-to-clear halves and the timer stay exact whatever width
 * the guest uses (ACPICA uses the widths in the FADT's generic addresses).
 */
#include "hw/acpi_pm.h"

#include <errno.h>
#include <stdlib.h>

#include "include/hover/log.h"
#include "include/hover/x86_clock.h"

#define PM1_STS_MASK                                                                               \
	(ACPI_PM1_TMR | ACPI_PM1_GBL | ACPI_PM1_PWRBTN | ACPI_PM1_SLPBTN | ACPI_PM1_RTC | ACPI_PM1_WAK)
#define PM1_EN_MASK (ACPI_PM1_TMR | ACPI_PM1_GBL | ACPI_PM1_PWRBTN | ACPI_PM1_SLPBTN | ACPI_PM1_RTC)
#define PM1_CNT_BM_RLD (1u << 1)
#define PM1_CNT_SLP_TYP_MASK (7u << ACPI_PM1_CNT_SLP_TYP_SHIFT)
/* TMR_STS is set when bit 31 of the (32-bit) timer changes. */
#define PM_TMR_STS_SHIFT 31

struct acpi_pm {
	struct acpi_pm_config cfg;
	struct addrspace *pio;
	u16 ports[5]; /* PM1a_EVT, PM1a_CNT, PM_TMR, GPE0, reset */
	unsigned nregistered;

	struct acpi_pm_state s;

	struct timer tmr_timer;
};

static u64 now_ns(const struct acpi_pm *pm)
{
	return pm->cfg.now ? pm->cfg.now() : clock_ns();
}

static u64 timer_ticks(const struct acpi_pm *pm, u64 now)
{
	u64 ns = now > pm->s.tmr_base_ns ? now - pm->s.tmr_base_ns : 0;

	return (u64)((unsigned __int128)ns * X86_PM_TIMER_HZ / 1000000000ULL);
}

u32 acpi_pm_timer_read(const struct acpi_pm *pm)
{
	return (u32)timer_ticks(pm, now_ns(pm));
}

static void update_sci(struct acpi_pm *pm)
{
	bool level = (pm->s.pm1_sts & pm->s.pm1_en & PM1_EN_MASK) || (pm->s.gpe_sts & pm->s.gpe_en);

	if (level != pm->s.sci_level) {
		pm->s.sci_level = level;
		irq_set_level(&pm->cfg.sci, level);
	}
}

/* Bring TMR_STS up to date and, while TMR_EN is set, arm the next top-bit change. */
static void tmr_sync(struct acpi_pm *pm)
{
	u64 now = now_ns(pm), epoch = timer_ticks(pm, now) >> PM_TMR_STS_SHIFT;
	unsigned __int128 next_ns;

	if (epoch != pm->s.tmr_epoch) {
		pm->s.tmr_epoch = epoch;
		pm->s.pm1_sts |= ACPI_PM1_TMR;
	}
	if (pm->s.pm1_en & ACPI_PM1_TMR) {
		next_ns = ((unsigned __int128)(epoch + 1) << PM_TMR_STS_SHIFT) * 1000000000ULL;
		timer_mod(&pm->tmr_timer,
			  pm->s.tmr_base_ns + (u64)((next_ns + X86_PM_TIMER_HZ - 1) / X86_PM_TIMER_HZ));
	} else {
		timer_del(&pm->tmr_timer);
	}
}

static void tmr_expired(void *opaque)
{
	struct acpi_pm *pm = opaque;

	tmr_sync(pm);
	update_sci(pm);
}

/* Byte lane `i` of a little-endian access. */
static u8 lane(u64 val, unsigned i)
{
	return (u8)(val >> (8 * i));
}

/* --- PM1 event block: PM1_STS at 0, PM1_EN at 2 --- */

static u64 evt_read(void *opaque, u64 offset, unsigned size)
{
	struct acpi_pm *pm = opaque;
	u32 regs;

	tmr_sync(pm);
	regs = pm->s.pm1_sts | ((u32)pm->s.pm1_en << 16);
	return (regs >> (8 * offset)) & (size >= 4 ? 0xFFFFFFFFu : (1u << (8 * size)) - 1);
}

static void evt_write(void *opaque, u64 offset, unsigned size, u64 val)
{
	struct acpi_pm *pm = opaque;

	tmr_sync(pm);
	for (unsigned i = 0; i < size && offset + i < ACPI_PM1_EVT_LEN; i++) {
		unsigned off = offset + i;
		u16 b = lane(val, i);

		if (off < 2)
			pm->s.pm1_sts &= ~(b << (8 * off));
		else
			pm->s.pm1_en = (pm->s.pm1_en & ~(0xFF << (8 * (off - 2)))) | (b << (8 * (off - 2)));
	}
	pm->s.pm1_en &= PM1_EN_MASK;
	tmr_sync(pm); /* TMR_EN may have changed */
	update_sci(pm);
}

/* --- PM1 control block --- */

static u64 cnt_read(void *opaque, u64 offset, unsigned size)
{
	struct acpi_pm *pm = opaque;

	return (u64)(pm->s.pm1_cnt >> (8 * offset)) & ((1u << (8 * size)) - 1);
}

static void cnt_write(void *opaque, u64 offset, unsigned size, u64 val)
{
	struct acpi_pm *pm = opaque;
	u16 v = pm->s.pm1_cnt;
	bool slp_en = false;
	unsigned typ;

	for (unsigned i = 0; i < size && offset + i < ACPI_PM1_CNT_LEN; i++) {
		unsigned sh = 8 * (offset + i);

		v = (v & ~(0xFF << sh)) | (lane(val, i) << sh);
	}
	slp_en = v & ACPI_PM1_CNT_SLP_EN;
	/* SCI_EN is hard-wired to 1 (no SMI, no legacy mode); GBL_RLS and SLP_EN are write-only. */
	pm->s.pm1_cnt = (v & (PM1_CNT_BM_RLD | PM1_CNT_SLP_TYP_MASK)) | ACPI_PM1_CNT_SCI_EN;
	if (!slp_en)
		return;
	typ = (v & PM1_CNT_SLP_TYP_MASK) >> ACPI_PM1_CNT_SLP_TYP_SHIFT;
	if (typ == ACPI_SLP_TYP_S5) {
		if (pm->cfg.poweroff)
			pm->cfg.poweroff(pm->cfg.opaque);
		return;
	}
	log_ratelimited(LOG_WARN, "acpi: guest requested sleep type %u, which is not supported", typ);
}

/* --- PM timer --- */

static u64 tmr_read(void *opaque, u64 offset, unsigned size)
{
	struct acpi_pm *pm = opaque;
	u32 v = acpi_pm_timer_read(pm);

	return (v >> (8 * offset)) & (size >= 4 ? 0xFFFFFFFFu : (1u << (8 * size)) - 1);
}

static void ignore_write(void *opaque, u64 offset, unsigned size, u64 val)
{
}

/* --- GPE0 block: GPE0_STS at 0, GPE0_EN at 2 --- */

static u64 gpe_read(void *opaque, u64 offset, unsigned size)
{
	struct acpi_pm *pm = opaque;
	u32 regs = pm->s.gpe_sts | ((u32)pm->s.gpe_en << 16);

	return (regs >> (8 * offset)) & (size >= 4 ? 0xFFFFFFFFu : (1u << (8 * size)) - 1);
}

static void gpe_write(void *opaque, u64 offset, unsigned size, u64 val)
{
	struct acpi_pm *pm = opaque;

	for (unsigned i = 0; i < size && offset + i < ACPI_GPE0_LEN; i++) {
		unsigned off = offset + i;
		u16 b = lane(val, i);

		if (off < 2)
			pm->s.gpe_sts &= ~(b << (8 * off));
		else
			pm->s.gpe_en = (pm->s.gpe_en & ~(0xFF << (8 * (off - 2)))) | (b << (8 * (off - 2)));
	}
	update_sci(pm);
}

/* --- reset register --- */

static u64 reset_read(void *opaque, u64 offset, unsigned size)
{
	return 0;
}

static void reset_write(void *opaque, u64 offset, unsigned size, u64 val)
{
	struct acpi_pm *pm = opaque;

	if ((val & 0xFF) == ACPI_RESET_VALUE && pm->cfg.reset)
		pm->cfg.reset(pm->cfg.opaque);
}

static const struct io_ops evt_ops = { .read = evt_read, .write = evt_write, .min_access = 1, .max_access = 4 };
static const struct io_ops cnt_ops = { .read = cnt_read, .write = cnt_write, .min_access = 1, .max_access = 2 };
static const struct io_ops tmr_ops = { .read = tmr_read, .write = ignore_write, .min_access = 1, .max_access = 4 };
static const struct io_ops gpe_ops = { .read = gpe_read, .write = gpe_write, .min_access = 1, .max_access = 4 };
static const struct io_ops reset_ops = { .read = reset_read, .write = reset_write, .min_access = 1, .max_access = 1 };

bool acpi_pm_power_button(struct acpi_pm *pm)
{
	pm->s.pm1_sts |= ACPI_PM1_PWRBTN;
	update_sci(pm);
	return pm->s.pm1_en & ACPI_PM1_PWRBTN;
}

void acpi_pm_gpe_set(struct acpi_pm *pm, unsigned gpe)
{
	if (gpe >= 8 * ACPI_GPE0_LEN / 2)
		return;
	pm->s.gpe_sts |= 1u << gpe;
	update_sci(pm);
}

void acpi_pm_reset(struct acpi_pm *pm)
{
	pm->s.pm1_sts = pm->s.pm1_en = 0;
	pm->s.pm1_cnt = ACPI_PM1_CNT_SCI_EN;
	pm->s.gpe_sts = pm->s.gpe_en = 0;
	pm->s.tmr_epoch = timer_ticks(pm, now_ns(pm)) >> PM_TMR_STS_SHIFT;
	timer_del(&pm->tmr_timer);
	update_sci(pm);
}

int acpi_pm_create(struct acpi_pm **out, const struct acpi_pm_config *cfg, struct addrspace *pio)
{
	static const struct io_ops *const ops[5] = { &evt_ops, &cnt_ops, &tmr_ops, &gpe_ops, &reset_ops };
	static const u16 lens[5] = { ACPI_PM1_EVT_LEN, ACPI_PM1_CNT_LEN, ACPI_PM_TMR_LEN, ACPI_GPE0_LEN, 1 };
	struct acpi_pm *pm;
	u16 ports[5];
	int ret = 0;

	if (!cfg->timers)
		return -EINVAL;
	pm = calloc(1, sizeof(*pm));
	if (!pm)
		return -ENOMEM;
	pm->cfg = *cfg;
	pm->pio = pio;
	ports[0] = cfg->pm1a_evt ? cfg->pm1a_evt : ACPI_PM1A_EVT_PORT;
	ports[1] = cfg->pm1a_cnt ? cfg->pm1a_cnt : ACPI_PM1A_CNT_PORT;
	ports[2] = cfg->pm_tmr ? cfg->pm_tmr : ACPI_PM_TMR_PORT;
	ports[3] = cfg->gpe0 ? cfg->gpe0 : ACPI_GPE0_PORT;
	ports[4] = cfg->reset_port ? cfg->reset_port : ACPI_RESET_PORT;
	for (unsigned i = 0; i < 5; i++)
		pm->ports[i] = ports[i];
	timer_init(&pm->tmr_timer, cfg->timers, tmr_expired, pm);
	pm->s.tmr_base_ns = now_ns(pm);
	acpi_pm_reset(pm);
	for (unsigned i = 0; pio && i < 5; i++) {
		ret = as_register(pio, ports[i], lens[i], ops[i], pm);
		if (ret < 0) {
			log_error("acpi: cannot claim I/O ports %#x-%#x (%s): pick other ports in the "
				  "ACPI PM configuration", ports[i], ports[i] + lens[i] - 1,
				  ret == -EBUSY ? "already used by another device" : "invalid range");
			goto err_register;
		}
		pm->nregistered++;
	}
	*out = pm;
	return 0;

err_register:
	acpi_pm_destroy(pm);
	return ret;
}

void acpi_pm_destroy(struct acpi_pm *pm)
{
	if (!pm)
		return;
	for (unsigned i = 0; i < pm->nregistered; i++)
		as_unregister(pm->pio, pm->ports[i]);
	timer_del(&pm->tmr_timer);
	free(pm);
}

/* ---- state (include/hover/state.h) ---- */

/*
 * The PM timer runs from tmr_base_ns, saved relative to the clock so the
 * guest reads on from the value it last saw; the TMR_STS timer is derived
 * and re-armed. The SCI level is restored, not driven (the interrupt
 * controllers hold their own input levels).
 */
static int pm_save(void *dev, struct state_writer *w)
{
	struct acpi_pm *pm = dev;

	state_put_u16(w, pm->s.pm1_sts);
	state_put_u16(w, pm->s.pm1_en);
	state_put_u16(w, pm->s.pm1_cnt);
	state_put_u16(w, pm->s.gpe_sts);
	state_put_u16(w, pm->s.gpe_en);
	state_put_time(w, pm->s.tmr_base_ns, now_ns(pm));
	state_put_u64(w, pm->s.tmr_epoch);
	state_put_bool(w, pm->s.sci_level);
	return 0;
}

static int pm_load(void *dev, struct state_reader *r)
{
	struct acpi_pm *pm = dev;

	pm->s.pm1_sts = state_get_u16(r);
	pm->s.pm1_en = state_get_u16(r);
	pm->s.pm1_cnt = state_get_u16(r);
	pm->s.gpe_sts = state_get_u16(r);
	pm->s.gpe_en = state_get_u16(r);
	pm->s.tmr_base_ns = state_get_time(r, now_ns(pm));
	pm->s.tmr_epoch = state_get_u64(r);
	pm->s.sci_level = state_get_bool(r);
	if (state_reader_error(r))
		return state_reader_error(r);
	tmr_sync(pm);
	return 0;
}

const struct dev_state_ops acpi_pm_state_ops = {
	.section = "acpi_pm", .version = 1, .save = pm_save, .load = pm_load,
};
