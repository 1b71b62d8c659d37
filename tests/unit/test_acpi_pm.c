// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ACPI fixed-hardware tests (ACPI 6.x 4.8): PM timer rate, PM1 status/enable
 * and the SCI level, SLP_EN with the S5 sleep type, the reset register, GPE0,
 * TMR_STS. Accesses go through a port I/O address space as the guest's do.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <errno.h>

#include "hw/acpi_pm.h"
#include "include/hover/addrspace.h"
#include "include/hover/x86_clock.h"
#include "state_test_util.h"

static u64 fake_now;
static u64 fake_clock(void) { return fake_now; }

struct fixture {
	struct addrspace *pio;
	struct timer_list *tl;
	struct acpi_pm *pm;
	int sci;
	unsigned sci_changes, poweroffs, resets;
};

static void sci_set(void *opaque, unsigned pin, int level)
{
	struct fixture *f = opaque;

	assert_int_equal(pin, ACPI_SCI_IRQ);
	f->sci = level;
	f->sci_changes++;
}

static void cb_poweroff(void *opaque) { ((struct fixture *)opaque)->poweroffs++; }
static void cb_reset(void *opaque) { ((struct fixture *)opaque)->resets++; }

static int setup(void **state)
{
	struct fixture *f = test_calloc(1, sizeof(*f));
	struct acpi_pm_config cfg = {
		.opaque = f,
		.poweroff = cb_poweroff,
		.reset = cb_reset,
		.now = fake_clock,
	};

	fake_now = 5000000000ULL;
	assert_int_equal(as_create(&f->pio, "pio"), 0);
	assert_int_equal(timer_list_create(&f->tl), 0);
	cfg.timers = f->tl;
	irq_line_init(&cfg.sci, sci_set, f, ACPI_SCI_IRQ);
	assert_int_equal(acpi_pm_create(&f->pm, &cfg, f->pio), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	acpi_pm_destroy(f->pm);
	timer_list_destroy(f->tl);
	as_destroy(f->pio);
	test_free(f);
	return 0;
}

static u32 in(struct fixture *f, u16 port, unsigned size)
{
	u64 v;

	assert_int_equal(as_read(f->pio, port, size, &v), 0);
	return (u32)v;
}

static void out(struct fixture *f, u16 port, unsigned size, u32 v)
{
	assert_int_equal(as_write(f->pio, port, size, v), 0);
}

static void test_timer_rate(void **state)
{
	struct fixture *f = *state;
	u32 t0 = in(f, ACPI_PM_TMR_PORT, 4), t1;

	fake_now += 1000000000ULL;
	t1 = in(f, ACPI_PM_TMR_PORT, 4);
	assert_int_equal(t1 - t0, X86_PM_TIMER_HZ);
	fake_now += 1000000ULL; /* 1 ms: 3579.545 ticks */
	assert_in_range(in(f, ACPI_PM_TMR_PORT, 4) - t1, 3579, 3580);
	/* 32-bit (TMR_VAL_EXT): wraps at 2^32, about 20 minutes. */
	fake_now += 1000ULL * 1000000000ULL;
	assert_true(in(f, ACPI_PM_TMR_PORT, 4) > 0xFFFFFFu);
	/* Narrow reads see the same counter; writes are ignored. */
	out(f, ACPI_PM_TMR_PORT, 4, 0);
	assert_int_equal(in(f, ACPI_PM_TMR_PORT, 2), in(f, ACPI_PM_TMR_PORT, 4) & 0xFFFF);
	assert_int_equal(acpi_pm_timer_read(f->pm), in(f, ACPI_PM_TMR_PORT, 4));
}

static void test_sci_and_power_button(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(f->sci, 0);
	/* Not enabled: status set, no SCI. */
	assert_false(acpi_pm_power_button(f->pm));
	assert_int_equal(in(f, ACPI_PM1A_EVT_PORT, 2) & ACPI_PM1_PWRBTN, ACPI_PM1_PWRBTN);
	assert_int_equal(f->sci, 0);
	/* Enabling with the status pending raises the SCI. */
	out(f, ACPI_PM1A_EVT_PORT + 2, 2, ACPI_PM1_PWRBTN);
	assert_int_equal(in(f, ACPI_PM1A_EVT_PORT + 2, 2), ACPI_PM1_PWRBTN);
	assert_int_equal(f->sci, 1);
	/* Writing 0 to the status changes nothing; writing 1 clears it and drops the SCI. */
	out(f, ACPI_PM1A_EVT_PORT, 2, 0);
	assert_int_equal(f->sci, 1);
	out(f, ACPI_PM1A_EVT_PORT, 2, ACPI_PM1_PWRBTN);
	assert_int_equal(in(f, ACPI_PM1A_EVT_PORT, 2) & ACPI_PM1_PWRBTN, 0);
	assert_int_equal(f->sci, 0);
	/* Enabled press: SCI at once; a 32-bit write of STS|EN<<16 also works. */
	assert_true(acpi_pm_power_button(f->pm));
	assert_int_equal(f->sci, 1);
	assert_int_equal(in(f, ACPI_PM1A_EVT_PORT, 4), ACPI_PM1_PWRBTN | (ACPI_PM1_PWRBTN << 16));
	out(f, ACPI_PM1A_EVT_PORT, 4, ACPI_PM1_PWRBTN);
	assert_int_equal(f->sci, 0);
	assert_int_equal(in(f, ACPI_PM1A_EVT_PORT + 2, 2), 0);
	/* Byte access to the high status byte. */
	acpi_pm_power_button(f->pm);
	out(f, ACPI_PM1A_EVT_PORT + 1, 1, ACPI_PM1_PWRBTN >> 8);
	assert_int_equal(in(f, ACPI_PM1A_EVT_PORT, 2), 0);
}

static void test_sleep_s5(void **state)
{
	struct fixture *f = *state;

	/* SCI_EN is hard-wired: always in ACPI mode. */
	assert_int_equal(in(f, ACPI_PM1A_CNT_PORT, 2) & ACPI_PM1_CNT_SCI_EN, ACPI_PM1_CNT_SCI_EN);
	out(f, ACPI_PM1A_CNT_PORT, 2, 0);
	assert_int_equal(in(f, ACPI_PM1A_CNT_PORT, 2), ACPI_PM1_CNT_SCI_EN);
	/* ACPICA writes SLP_TYP first, then SLP_TYP | SLP_EN. */
	out(f, ACPI_PM1A_CNT_PORT, 2, ACPI_PM1_CNT_SCI_EN | (ACPI_SLP_TYP_S5 << 10));
	assert_int_equal(f->poweroffs, 0);
	assert_int_equal(in(f, ACPI_PM1A_CNT_PORT, 2), ACPI_PM1_CNT_SCI_EN | (ACPI_SLP_TYP_S5 << 10));
	/* Another sleep type is refused. */
	out(f, ACPI_PM1A_CNT_PORT, 2, ACPI_PM1_CNT_SLP_EN | (3 << 10));
	assert_int_equal(f->poweroffs, 0);
	out(f, ACPI_PM1A_CNT_PORT, 2,
	    ACPI_PM1_CNT_SCI_EN | (ACPI_SLP_TYP_S5 << 10) | ACPI_PM1_CNT_SLP_EN);
	assert_int_equal(f->poweroffs, 1);
	/* SLP_EN reads as 0. */
	assert_int_equal(in(f, ACPI_PM1A_CNT_PORT, 2) & ACPI_PM1_CNT_SLP_EN, 0);
	/* Byte write of the high byte alone also works. */
	out(f, ACPI_PM1A_CNT_PORT + 1, 1, ((ACPI_SLP_TYP_S5 << 10) | ACPI_PM1_CNT_SLP_EN) >> 8);
	assert_int_equal(f->poweroffs, 2);
}

static void test_reset_register(void **state)
{
	struct fixture *f = *state;

	out(f, ACPI_RESET_PORT, 1, 0x02);
	assert_int_equal(f->resets, 0);
	out(f, ACPI_RESET_PORT, 1, ACPI_RESET_VALUE);
	assert_int_equal(f->resets, 1);
	assert_int_equal(in(f, ACPI_RESET_PORT, 1), 0);
}

static void test_gpe(void **state)
{
	struct fixture *f = *state;

	acpi_pm_gpe_set(f->pm, 3);
	acpi_pm_gpe_set(f->pm, 99); /* out of range: ignored */
	assert_int_equal(in(f, ACPI_GPE0_PORT, 1), 0x08);
	assert_int_equal(f->sci, 0);
	out(f, ACPI_GPE0_PORT + 2, 1, 0x08);
	assert_int_equal(f->sci, 1);
	out(f, ACPI_GPE0_PORT, 1, 0x08);
	assert_int_equal(f->sci, 0);
	assert_int_equal(in(f, ACPI_GPE0_PORT, 4), 0x08 << 16);
}

static void test_tmr_sts(void **state)
{
	struct fixture *f = *state;
	u64 half_wrap_ns = (1ULL << 31) * 1000000000ULL / X86_PM_TIMER_HZ;

	/* Bit 31 changes after ~600 s: TMR_STS sets; with TMR_EN the SCI follows. */
	assert_int_equal(in(f, ACPI_PM1A_EVT_PORT, 2) & ACPI_PM1_TMR, 0);
	out(f, ACPI_PM1A_EVT_PORT + 2, 2, ACPI_PM1_TMR);
	assert_true(timer_list_next_deadline(f->tl) != UINT64_MAX);
	fake_now += half_wrap_ns + 1000;
	timer_list_run(f->tl, fake_now);
	assert_int_equal(f->sci, 1);
	assert_int_equal(in(f, ACPI_PM1A_EVT_PORT, 2) & ACPI_PM1_TMR, ACPI_PM1_TMR);
	out(f, ACPI_PM1A_EVT_PORT, 2, ACPI_PM1_TMR);
	assert_int_equal(f->sci, 0);
	/* Disabled: the timer is not kept armed. */
	out(f, ACPI_PM1A_EVT_PORT + 2, 2, 0);
	assert_int_equal(timer_list_next_deadline(f->tl), UINT64_MAX);
}

static void test_port_conflict(void **state)
{
	struct fixture *f = *state;
	struct acpi_pm *pm2;
	struct acpi_pm_config cfg = { .timers = f->tl, .now = fake_clock };

	/* Same ports again: -EBUSY, nothing left registered by the failed one. */
	assert_int_equal(acpi_pm_create(&pm2, &cfg, f->pio), -EBUSY);
	cfg.pm1a_evt = 0x700, cfg.pm1a_cnt = 0x704, cfg.pm_tmr = 0x708, cfg.gpe0 = 0x720;
	cfg.reset_port = 0x70C;
	assert_int_equal(acpi_pm_create(&pm2, &cfg, f->pio), 0);
	acpi_pm_destroy(pm2);
	assert_int_equal(acpi_pm_create(&pm2, &cfg, f->pio), 0);
	acpi_pm_destroy(pm2);
}

/*
 * 100 s after start, TMR_EN and PWRBTN_EN on, GPE0 bit 3 enabled and
 * raised: the loaded block (on a clock 1000 s elsewhere) saves the same
 * bytes, reads the same PM timer value, keeps the SCI asserted by GPE0, and
 * sets TMR_STS when bit 31 flips, half a wrap after the original start.
 */
static void test_save_load(void **state)
{
	struct fixture *f = *state, *g;
	u64 half_wrap_ns = (1ULL << 31) * 1000000000ULL / X86_PM_TIMER_HZ;
	struct saved_state s;
	u32 tmr;
	void *gs;

	out(f, ACPI_PM1A_EVT_PORT + 2, 2, ACPI_PM1_TMR | ACPI_PM1_PWRBTN);
	out(f, ACPI_GPE0_PORT + 2, 2, 0x08);
	acpi_pm_gpe_set(f->pm, 3);
	assert_int_equal(f->sci, 1);
	fake_now += 100000000000ULL;
	tmr = in(f, ACPI_PM_TMR_PORT, 4);
	s = state_save_one(&acpi_pm_state_ops, f->pm);

	setup(&gs);
	g = gs;
	fake_now += 1000000000000ULL;
	state_load_and_compare(&acpi_pm_state_ops, g->pm, &s);
	assert_int_equal(in(g, ACPI_PM_TMR_PORT, 4), tmr);
	assert_int_equal(in(g, ACPI_PM1A_EVT_PORT + 2, 2), ACPI_PM1_TMR | ACPI_PM1_PWRBTN);
	assert_int_equal(in(g, ACPI_GPE0_PORT, 4), 0x08 | 0x08 << 16);
	assert_int_equal(timer_list_next_deadline(g->tl) / 1000,
			 (fake_now + half_wrap_ns - 100000000000ULL) / 1000);
	fake_now += half_wrap_ns - 100000000000ULL + 1000;
	timer_list_run(g->tl, fake_now);
	assert_int_equal(in(g, ACPI_PM1A_EVT_PORT, 2) & ACPI_PM1_TMR, ACPI_PM1_TMR);
	teardown(&gs);
	free(s.data);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_timer_rate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sci_and_power_button, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sleep_s5, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reset_register, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gpe, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tmr_sts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_port_conflict, setup, teardown),
		cmocka_unit_test_setup_teardown(test_save_load, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
