// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Local APIC unit tests: register reset state and semantics (SDM Vol. 3A
 * 10.4-10.8), IRR/ISR/PPR priority and ack/EOI order, the timer on a fake
 * clock with a manually run timer list, ExtINT, IPIs and destinations.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "hw/lapic.h"
#include "state_test_util.h"
#include "include/hover/timer.h"

static u64 fake_now;
static u64 fake_clock(void) { return fake_now; }

struct fixture {
	struct timer_list *tl;
	struct lapic *l;
	unsigned notifies;
	int eoi_vec[8];
	unsigned neoi;
	struct lapic_ipi ipi[8];
	unsigned nipi;
	int pic_vector;
	unsigned pic_acks;
};

static void cb_notify(void *opaque) { ((struct fixture *)opaque)->notifies++; }

static void cb_eoi(void *opaque, u8 vector)
{
	struct fixture *f = opaque;

	if (f->neoi < 8)
		f->eoi_vec[f->neoi++] = vector;
}

static void cb_ipi(void *opaque, const struct lapic_ipi *ipi)
{
	struct fixture *f = opaque;

	if (f->nipi < 8)
		f->ipi[f->nipi++] = *ipi;
}

static int cb_pic_ack(void *opaque)
{
	struct fixture *f = opaque;

	f->pic_acks++;
	return f->pic_vector;
}

static u32 rd(struct fixture *f, u32 off) { return (u32)lapic_mmio_ops.read(f->l, off, 4); }
static void wr(struct fixture *f, u32 off, u32 v) { lapic_mmio_ops.write(f->l, off, 4, v); }

static int setup(void **state)
{
	struct fixture *f = test_calloc(1, sizeof(*f));
	struct lapic_config cfg = {
		.apic_id = 3,
		.bsp = true,
		.opaque = f,
		.notify = cb_notify,
		.eoi_broadcast = cb_eoi,
		.send_ipi = cb_ipi,
		.pic_ack = cb_pic_ack,
		.now = fake_clock,
	};

	fake_now = 1000000000ULL;
	assert_int_equal(timer_list_create(&f->tl), 0);
	cfg.timers = f->tl;
	assert_int_equal(lapic_create(&f->l, &cfg), 0);
	f->pic_vector = 0x28;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	lapic_destroy(f->l);
	timer_list_destroy(f->tl);
	test_free(f);
	return 0;
}

/* Software-enable the APIC with spurious vector 0xFF. */
static void enable(struct fixture *f) { wr(f, 0xF0, 0x1FF); }

static void test_reset_state(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(rd(f, 0x20), 3u << 24);
	assert_int_equal(rd(f, 0x30), 0x00050014);
	assert_int_equal(rd(f, 0xF0), 0xFF);
	assert_int_equal(rd(f, 0xE0), 0xFFFFFFFFu);
	assert_int_equal(rd(f, 0xD0), 0);
	for (u32 off = 0x320; off <= 0x370; off += 0x10)
		assert_int_equal(rd(f, off), 0x10000);
	assert_int_equal(rd(f, 0x380), 0);
	assert_int_equal(rd(f, 0x390), 0);
	assert_int_equal(lapic_get_base(f->l), 0xFEE00000ULL | (1 << 11) | (1 << 8));
	assert_int_equal(lapic_ack(f->l), -1);
}

static void test_register_semantics(void **state)
{
	struct fixture *f = *state;

	wr(f, 0x20, 0x07ABCDEF);
	assert_int_equal(rd(f, 0x20), 0x07000000);
	wr(f, 0x30, 0); /* read-only */
	assert_int_equal(rd(f, 0x30), 0x00050014);
	wr(f, 0xD0, 0x12345678);
	assert_int_equal(rd(f, 0xD0), 0x12000000);
	wr(f, 0xE0, 0x0);
	assert_int_equal(rd(f, 0xE0), 0x0FFFFFFF);
	wr(f, 0x80, 0x1FF);
	assert_int_equal(rd(f, 0x80), 0xFF);
	wr(f, 0xF0, 0xFFFFFFFF);
	assert_int_equal(rd(f, 0xF0), 0x3FF); /* no EOI-broadcast suppression bit */
	wr(f, 0x3E0, 0xFF);
	assert_int_equal(rd(f, 0x3E0), 0xB);
	/* Unaligned (not 16-byte) offsets read as 0 and ignore writes. */
	assert_int_equal(rd(f, 0x24), 0);
	wr(f, 0x84, 0xFFFFFFFF);
	assert_int_equal(rd(f, 0x80), 0xFF);
	/* ICR: delivery status reads idle; destination in the high half. */
	wr(f, 0x310, 0xFFFFFFFF);
	assert_int_equal(rd(f, 0x310), 0xFF000000u);
}

static void test_sw_disabled(void **state)
{
	struct fixture *f = *state;

	/* SVR bit 8 clear: LVT masks stick and fixed interrupts are not accepted. */
	wr(f, 0x350, 0x700);
	assert_int_equal(rd(f, 0x350), 0x10700);
	lapic_set_irq(f->l, 0x40, false);
	assert_int_equal(rd(f, 0x200 + 0x20), 0);
	assert_int_equal(lapic_ack(f->l), -1);

	enable(f);
	wr(f, 0x350, 0x700);
	assert_int_equal(rd(f, 0x350), 0x700);
	wr(f, 0xF0, 0xEF); /* disable again: every LVT gets masked */
	assert_int_equal(rd(f, 0x350), 0x10700);
	assert_int_equal(rd(f, 0xF0), 0xEF);
}

static void test_priority_ack_eoi(void **state)
{
	struct fixture *f = *state;

	enable(f);
	lapic_set_irq(f->l, 0x31, false);
	lapic_set_irq(f->l, 0x51, false);
	lapic_set_irq(f->l, 0x41, false);
	assert_true(f->notifies > 0);
	assert_int_equal(rd(f, 0x200 + 0x10 * (0x51 / 32)), (1u << (0x51 % 32)) | (1u << (0x41 % 32)));
	assert_true(lapic_has_intr(f->l));

	assert_int_equal(lapic_ack(f->l), 0x51);
	assert_int_equal(rd(f, 0xA0), 0x50); /* PPR follows ISRV's class */
	assert_int_equal(rd(f, 0x100 + 0x10 * (0x51 / 32)), 1u << (0x51 % 32));
	assert_int_equal(lapic_ack(f->l), -1); /* 0x41 is below the in-service class */
	assert_false(lapic_has_intr(f->l));

	/* A higher class nests. */
	lapic_set_irq(f->l, 0x61, false);
	assert_int_equal(lapic_ack(f->l), 0x61);
	wr(f, 0xB0, 0); /* EOI clears the highest ISR bit: 0x61 */
	assert_int_equal(rd(f, 0xA0), 0x50);
	wr(f, 0xB0, 0); /* then 0x51 */
	assert_int_equal(rd(f, 0xA0), 0x00);
	assert_int_equal(lapic_ack(f->l), 0x41);
	wr(f, 0xB0, 0);
	assert_int_equal(lapic_ack(f->l), 0x31);
	wr(f, 0xB0, 0);
	assert_int_equal(lapic_ack(f->l), -1);
	wr(f, 0xB0, 0); /* EOI with nothing in service is harmless */
	assert_int_equal(f->neoi, 0); /* all edge-triggered */

	/* TPR blocks its class and below. */
	wr(f, 0x80, 0x40);
	lapic_set_irq(f->l, 0x45, false);
	assert_int_equal(lapic_ack(f->l), -1);
	assert_int_equal(rd(f, 0xA0), 0x40);
	lapic_set_irq(f->l, 0x50, false);
	assert_int_equal(lapic_ack(f->l), 0x50);
	wr(f, 0xB0, 0);
	lapic_set_cr8(f->l, 0);
	assert_int_equal(rd(f, 0x80), 0);
	assert_int_equal(lapic_ack(f->l), 0x45);

	/* Vectors 0-15 are illegal: ESR "receive illegal vector" once latched. */
	lapic_set_irq(f->l, 0x0E, false);
	assert_int_equal(rd(f, 0x280), 0);
	wr(f, 0x280, 0);
	assert_int_equal(rd(f, 0x280), 1u << 6);
	wr(f, 0x280, 0);
	assert_int_equal(rd(f, 0x280), 0);
}

static void test_level_eoi_broadcast(void **state)
{
	struct fixture *f = *state;

	enable(f);
	lapic_set_irq(f->l, 0x70, true);
	assert_int_equal(rd(f, 0x180 + 0x10 * (0x70 / 32)), 1u << (0x70 % 32));
	assert_int_equal(lapic_ack(f->l), 0x70);
	wr(f, 0xB0, 0);
	assert_int_equal(f->neoi, 1);
	assert_int_equal(f->eoi_vec[0], 0x70);

	lapic_set_irq(f->l, 0x71, false);
	assert_int_equal(lapic_ack(f->l), 0x71);
	wr(f, 0xB0, 0);
	assert_int_equal(f->neoi, 1);
}

#define PERIOD_NS(count, div) ((u64)(count) * (div) * 1000000000ULL / 25000000ULL)

static void test_timer_oneshot(void **state)
{
	struct fixture *f = *state;
	u64 start = fake_now;

	enable(f);
	wr(f, 0x3E0, 0x3); /* divide by 16 */
	wr(f, 0x320, 0x40);
	wr(f, 0x380, 1000000); /* 1e6 * 16 / 25 MHz = 640 ms */
	assert_int_equal(rd(f, 0x390), 1000000);
	assert_int_equal(timer_list_next_deadline(f->tl), start + PERIOD_NS(1000000, 16));

	fake_now = start + PERIOD_NS(1000000, 16) / 2;
	assert_int_equal(rd(f, 0x390), 500000);
	timer_list_run(f->tl, fake_now);
	assert_int_equal(lapic_ack(f->l), -1);

	fake_now = start + PERIOD_NS(1000000, 16);
	assert_int_equal(rd(f, 0x390), 0);
	timer_list_run(f->tl, fake_now);
	assert_int_equal(lapic_ack(f->l), 0x40);
	wr(f, 0xB0, 0);
	assert_int_equal(timer_list_next_deadline(f->tl), UINT64_MAX);
	fake_now += 1000000000ULL;
	assert_int_equal(rd(f, 0x390), 0);
	assert_int_equal(rd(f, 0x380), 1000000);

	/* Masked: counts down, no interrupt. Writing 0 stops it. */
	wr(f, 0x320, 0x10040);
	wr(f, 0x380, 100);
	fake_now += PERIOD_NS(100, 16);
	timer_list_run(f->tl, fake_now);
	assert_int_equal(lapic_ack(f->l), -1);
	wr(f, 0x380, 100);
	wr(f, 0x380, 0);
	assert_int_equal(timer_list_next_deadline(f->tl), UINT64_MAX);
	assert_int_equal(rd(f, 0x390), 0);
}

static void test_timer_periodic(void **state)
{
	struct fixture *f = *state;
	u64 start = fake_now, period = PERIOD_NS(250000, 1); /* 10 ms */

	enable(f);
	wr(f, 0x3E0, 0xB); /* divide by 1 */
	wr(f, 0x320, 0x20000 | 0x41);
	wr(f, 0x380, 250000);

	fake_now = start + period;
	timer_list_run(f->tl, fake_now);
	assert_int_equal(lapic_ack(f->l), 0x41);
	wr(f, 0xB0, 0);
	assert_int_equal(rd(f, 0x390), 250000); /* reloaded */
	assert_int_equal(timer_list_next_deadline(f->tl), start + 2 * period);

	fake_now = start + period + period / 4;
	assert_int_equal(rd(f, 0x390), 250000 - 62500);

	/* A host stall of 5.5 periods: one interrupt, the grid is kept, no burst. */
	fake_now = start + 6 * period + period / 2;
	timer_list_run(f->tl, fake_now);
	assert_int_equal(lapic_ack(f->l), 0x41);
	wr(f, 0xB0, 0);
	assert_int_equal(lapic_ack(f->l), -1);
	assert_int_equal(timer_list_next_deadline(f->tl), start + 7 * period);
	assert_int_equal(rd(f, 0x390), 125000);

	/* A new divisor keeps the current count and changes the rate. */
	wr(f, 0x3E0, 0x0); /* divide by 2 */
	assert_int_equal(rd(f, 0x390), 125000);
	fake_now += PERIOD_NS(1000, 2);
	assert_int_equal(rd(f, 0x390), 124000);
	assert_int_equal(timer_list_next_deadline(f->tl),
			 fake_now - PERIOD_NS(1000, 2) + PERIOD_NS(125000, 2));
}

static void test_timer_divisors(void **state)
{
	struct fixture *f = *state;
	static const struct { u32 dcr; unsigned div; } d[] = {
		{ 0x0, 2 }, { 0x1, 4 }, { 0x2, 8 }, { 0x3, 16 },
		{ 0x8, 32 }, { 0x9, 64 }, { 0xA, 128 }, { 0xB, 1 },
	};

	enable(f);
	for (unsigned i = 0; i < sizeof(d) / sizeof(d[0]); i++) {
		wr(f, 0x380, 0);
		wr(f, 0x3E0, d[i].dcr);
		wr(f, 0x380, 0x100000);
		fake_now += PERIOD_NS(1000, d[i].div);
		assert_int_equal(rd(f, 0x390), 0x100000 - 1000);
	}
}

static void test_extint(void **state)
{
	struct fixture *f = *state;

	/* Power-on: LINT0 masked, nothing from the PIC. */
	lapic_set_lint(f->l, 0, 1);
	assert_false(lapic_has_intr(f->l));
	assert_int_equal(lapic_ack(f->l), -1);

	lapic_setup_virtual_wire(f->l);
	assert_int_equal(rd(f, 0x350), 0x700);
	assert_int_equal(rd(f, 0x360), 0x400);
	assert_true(lapic_has_intr(f->l));
	assert_int_equal(lapic_ack(f->l), 0x28);
	assert_int_equal(f->pic_acks, 1);
	assert_int_equal(rd(f, 0x100 + 0x10), 0); /* ExtINT never enters ISR */
	lapic_set_lint(f->l, 0, 0);
	assert_false(lapic_has_intr(f->l));
	assert_int_equal(lapic_ack(f->l), -1);
	assert_int_equal(f->pic_acks, 1);

	/* LINT1 = NMI on a rising edge. */
	lapic_set_lint(f->l, 1, 1);
	lapic_set_lint(f->l, 1, 0);
	assert_true(lapic_take_nmi(f->l));
	assert_false(lapic_take_nmi(f->l));

	/* Globally disabled APIC: LINT0 is INTR, fixed interrupts are not taken. */
	lapic_set_base(f->l, 0xFEE00000ULL);
	assert_int_equal(lapic_get_base(f->l), 0xFEE00000ULL | (1 << 8));
	lapic_set_irq(f->l, 0x60, false);
	assert_int_equal(lapic_ack(f->l), -1);
	lapic_set_lint(f->l, 0, 1);
	assert_int_equal(lapic_ack(f->l), 0x28);
	assert_false(lapic_match_dest(f->l, 0xFF, false));
	/* Re-enabled: power-up state again (SVR 0xFF, LVTs masked). */
	lapic_set_base(f->l, 0xFEE00000ULL | (1 << 11));
	assert_int_equal(rd(f, 0xF0), 0xFF);
	assert_int_equal(rd(f, 0x350), 0x10000);
	assert_int_equal(lapic_ack(f->l), -1);
}

static void test_ipi(void **state)
{
	struct fixture *f = *state;

	enable(f);
	/* Self (shorthand 01). */
	wr(f, 0x300, (1 << 18) | 0x90);
	assert_int_equal(f->nipi, 0);
	assert_int_equal(lapic_ack(f->l), 0x90);
	wr(f, 0xB0, 0);

	/* Physical destination 5, fixed, vector 0x91: goes to the machine. */
	wr(f, 0x310, 5u << 24);
	wr(f, 0x300, 0x91);
	assert_int_equal(f->nipi, 1);
	assert_int_equal(f->ipi[0].dest, 5);
	assert_int_equal(f->ipi[0].vector, 0x91);
	assert_int_equal(f->ipi[0].src_id, 3);
	assert_false(f->ipi[0].logical);
	assert_false(f->ipi[0].all_but_self);
	assert_int_equal(rd(f, 0x300) & (1 << 12), 0);

	/* All excluding self (11), then all including self (10). */
	wr(f, 0x300, (3 << 18) | 0x92);
	assert_int_equal(f->nipi, 2);
	assert_true(f->ipi[1].all_but_self);
	assert_int_equal(lapic_ack(f->l), -1);
	wr(f, 0x300, (2 << 18) | 0x93);
	assert_int_equal(f->nipi, 3);
	assert_true(f->ipi[2].all_but_self);
	assert_int_equal(lapic_ack(f->l), 0x93);
	wr(f, 0xB0, 0);

	/* INIT assert goes out; INIT level de-assert does not. SIPI carries its vector. */
	wr(f, 0x300, (3 << 18) | (1 << 15) | (1 << 14) | (5 << 8));
	assert_int_equal(f->nipi, 4);
	assert_int_equal(f->ipi[3].delivery_mode, LAPIC_DM_INIT);
	wr(f, 0x300, (1 << 15) | (5 << 8));
	assert_int_equal(f->nipi, 4);
	wr(f, 0x300, (3 << 18) | (6 << 8) | 0x9A);
	assert_int_equal(f->ipi[4].delivery_mode, LAPIC_DM_STARTUP);
	assert_int_equal(f->ipi[4].vector, 0x9A);

	/* Illegal vector: not sent, ESR "send illegal vector". */
	wr(f, 0x300, 0x05);
	assert_int_equal(f->nipi, 5);
	wr(f, 0x280, 0);
	assert_int_equal(rd(f, 0x280), 1u << 5);

	/* Received INIT/SIPI are recorded for the run loop. */
	lapic_deliver(f->l, LAPIC_DM_INIT, 0, false);
	lapic_deliver(f->l, LAPIC_DM_STARTUP, 0x9A, false);
	assert_true(lapic_take_init(f->l));
	assert_false(lapic_take_init(f->l));
	assert_int_equal(lapic_take_sipi(f->l), 0x9A);
	assert_int_equal(lapic_take_sipi(f->l), -1);
}

static void test_destinations(void **state)
{
	struct fixture *f = *state;
	struct lapic_ipi ipi = { .src_id = 3, .all_but_self = true };

	assert_true(lapic_match_dest(f->l, 3, false));
	assert_false(lapic_match_dest(f->l, 2, false));
	assert_true(lapic_match_dest(f->l, 0xFF, false));
	/* Flat logical model: LDR bit mask. */
	wr(f, 0xD0, 0x08000000);
	assert_true(lapic_match_dest(f->l, 0x0C, true));
	assert_false(lapic_match_dest(f->l, 0x07, true));
	assert_true(lapic_match_dest(f->l, 0xFF, true));
	/* Cluster model: cluster 2, member bit 1. */
	wr(f, 0xE0, 0x0FFFFFFF);
	wr(f, 0xD0, 0x22000000);
	assert_true(lapic_match_dest(f->l, 0x23, true));
	assert_false(lapic_match_dest(f->l, 0x13, true));
	assert_false(lapic_match_dest(f->l, 0x21, true));
	assert_false(lapic_ipi_match(f->l, &ipi));
	ipi.src_id = 0;
	assert_true(lapic_ipi_match(f->l, &ipi));
}

static void test_lint_fixed_and_error_lvt(void **state)
{
	struct fixture *f = *state;

	enable(f);
	/* LINT1 as a fixed edge interrupt. */
	wr(f, 0x360, 0x55);
	lapic_set_lint(f->l, 1, 1);
	lapic_set_lint(f->l, 1, 1);
	assert_int_equal(lapic_ack(f->l), 0x55);
	wr(f, 0xB0, 0);
	assert_int_equal(lapic_ack(f->l), -1);
	/* Error LVT delivers on an illegal vector. */
	wr(f, 0x370, 0xFE);
	lapic_set_irq(f->l, 0x01, false);
	assert_int_equal(lapic_ack(f->l), 0xFE);
}

/*
 * An enabled APIC with TPR and LDR set, vector 0x51 in service and 0x45
 * waiting behind it, and the periodic timer a quarter into its period: the
 * loaded APIC (1 s later on the clock) saves the same bytes, reads the same
 * current count, fires the timer three quarters of a period after the load,
 * and delivers 0x45 after the EOI of 0x51. Another APIC ID refuses it.
 */
static void test_save_load(void **state)
{
	struct fixture *f = *state, *g;
	u64 period = PERIOD_NS(250000, 1);
	struct saved_state s;
	struct lapic *other;
	char err[256];
	void *gs;

	enable(f);
	wr(f, 0x80, 0x20);
	wr(f, 0xD0, 0x05000000);
	wr(f, 0x3E0, 0xB);
	wr(f, 0x320, 0x20000 | 0x61);
	wr(f, 0x380, 250000);
	lapic_set_irq(f->l, 0x51, false);
	assert_int_equal(lapic_ack(f->l), 0x51);
	lapic_set_irq(f->l, 0x45, false);
	fake_now += period / 4;
	s = state_save_one(&lapic_state_ops, f->l);

	setup(&gs);
	g = gs;
	fake_now += 1000000000ULL;
	state_load_and_compare(&lapic_state_ops, g->l, &s);
	assert_int_equal(rd(g, 0x80), 0x20);
	assert_int_equal(rd(g, 0xD0), 0x05000000);
	assert_int_equal(rd(g, 0x390), 250000 - 62500);
	assert_int_equal(timer_list_next_deadline(g->tl), fake_now + period - period / 4);
	assert_int_equal(lapic_ack(g->l), -1); /* 0x45 waits behind 0x51 */
	wr(g, 0xB0, 0);
	assert_int_equal(lapic_ack(g->l), 0x45);
	fake_now += period - period / 4;
	timer_list_run(g->tl, fake_now);
	wr(g, 0xB0, 0);
	assert_int_equal(lapic_ack(g->l), 0x61);
	teardown(&gs);

	assert_int_equal(lapic_create(&other, &(struct lapic_config){ .apic_id = 4,
		.timers = f->tl, .now = fake_clock }), 0);
	assert_int_equal(state_load_one(&lapic_state_ops, other, &s, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "APIC ID 3 saved, this vCPU's is 4"));
	lapic_destroy(other);
	free(s.data);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_reset_state, setup, teardown),
		cmocka_unit_test_setup_teardown(test_register_semantics, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sw_disabled, setup, teardown),
		cmocka_unit_test_setup_teardown(test_priority_ack_eoi, setup, teardown),
		cmocka_unit_test_setup_teardown(test_level_eoi_broadcast, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timer_oneshot, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timer_periodic, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timer_divisors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_extint, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ipi, setup, teardown),
		cmocka_unit_test_setup_teardown(test_destinations, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lint_fixed_and_error_lvt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_save_load, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
