// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * 8254 PIT on a fake clock: mode 2/3 periodic IRQ0 (and no catch-up storm
 * after a stall), mode 0/4 one-shots, counter latch and read-back, access
 * modes, BCD, and channel 2 through port 0x61 as Linux's TSC calibration
 * uses it.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "hw/pit8254.h"
#include "state_test_util.h"

#define MS 1000000ull
#define TICK_NS(t) ((u64)(t) * 1000000000ull / PIT8254_HZ)

struct fixture {
	struct addrspace *pio;
	struct timer_list *tl;
	struct pit8254 *p;
	u64 now;
	int pulses;
	int level;
};

static void irq_set(void *opaque, unsigned pin, int level)
{
	struct fixture *f = opaque;

	if (level && !f->level)
		f->pulses++;
	f->level = level;
}

static u64 fake_now(void *opaque)
{
	return ((struct fixture *)opaque)->now;
}

static u8 in(struct fixture *f, u16 port)
{
	u64 v = 0;

	as_read(f->pio, port, 1, &v);
	return (u8)v;
}

static void out(struct fixture *f, u16 port, u8 v)
{
	as_write(f->pio, port, 1, v);
}

/* Advance the clock in steps, firing timers as the event loop would. */
static void run_for(struct fixture *f, u64 ns, u64 step)
{
	u64 end = f->now + ns;

	while (f->now < end) {
		u64 next = timer_list_next_deadline(f->tl);

		f->now = next < end && next > f->now ? next : f->now + step;
		if (f->now > end)
			f->now = end;
		timer_list_run(f->tl, f->now);
	}
}

static int setup(void **state)
{
	struct fixture *f = test_calloc(1, sizeof(*f));
	struct pit8254_config cfg = {0};

	f->now = 5000000000ull;
	assert_int_equal(as_create(&f->pio, "pio"), 0);
	assert_int_equal(timer_list_create(&f->tl), 0);
	irq_line_init(&cfg.irq0, irq_set, f, 0);
	cfg.timers = f->tl;
	cfg.now_ns = fake_now;
	cfg.clock_opaque = f;
	assert_int_equal(pit8254_create(&f->p, &cfg), 0);
	assert_int_equal(pit8254_attach(f->p, f->pio), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	pit8254_destroy(f->p);
	as_destroy(f->pio);
	timer_list_destroy(f->tl);
	test_free(f);
	return 0;
}

/* LSB then MSB, in that order (function arguments have no evaluation order). */
static u16 read16(struct fixture *f, u16 port)
{
	u8 lo = in(f, port);

	return (u16)(lo | in(f, port) << 8);
}

static u16 latch_read(struct fixture *f, unsigned ch)
{
	u8 lo, hi;

	out(f, 0x43, (u8)(ch << 6)); /* counter latch */
	lo = in(f, (u16)(0x40 + ch));
	hi = in(f, (u16)(0x40 + ch));
	return (u16)(lo | hi << 8);
}

static void test_mode2_periodic(void **state)
{
	struct fixture *f = *state;
	u16 latch = (PIT8254_HZ + 125) / 250; /* Linux's LATCH for HZ=250 */

	out(f, 0x43, 0x34);
	out(f, 0x40, latch & 0xFF);
	out(f, 0x40, latch >> 8);
	run_for(f, 100 * MS, MS / 10);
	assert_in_range(f->pulses, 24, 25);
	/* A host stall of 10 s delivers one interrupt, not 2500. */
	f->pulses = 0;
	f->now += 10000 * MS;
	timer_list_run(f->tl, f->now);
	assert_int_equal(f->pulses, 1);
	run_for(f, 40 * MS, MS / 10);
	assert_in_range(f->pulses, 10, 11);
	/* Shutdown as the i8253 clockevent does: mode 0, count 0. */
	out(f, 0x43, 0x30);
	out(f, 0x40, 0);
	out(f, 0x40, 0);
	f->pulses = 0;
	run_for(f, 50 * MS, MS);
	assert_int_equal(f->pulses, 0);
	run_for(f, 10 * MS, MS);
	assert_int_equal(f->pulses, 1); /* terminal count after 65536 clocks, once */
	run_for(f, 200 * MS, MS);
	assert_int_equal(f->pulses, 1);
}

static void test_mode3_and_oneshot(void **state)
{
	struct fixture *f = *state;

	out(f, 0x43, 0x36); /* mode 3 */
	out(f, 0x40, 0x9C);
	out(f, 0x40, 0x2E); /* 11932: 100 Hz */
	run_for(f, 1000 * MS, MS);
	assert_in_range(f->pulses, 99, 100);
	/* mode 4 one-shot, as the oneshot clockevent programs it */
	out(f, 0x43, 0x38);
	f->pulses = 0;
	out(f, 0x40, 0xA9);
	out(f, 0x40, 0x04); /* 1193 clocks, ~1 ms */
	run_for(f, MS / 2, MS / 20);
	assert_int_equal(f->pulses, 0);
	run_for(f, MS, MS / 20);
	assert_int_equal(f->pulses, 1);
	run_for(f, 100 * MS, MS);
	assert_int_equal(f->pulses, 1);
}

static void test_latch_and_readback(void **state)
{
	struct fixture *f = *state;

	out(f, 0x43, 0x34);
	out(f, 0x40, 0x10);
	out(f, 0x40, 0x27); /* 10000 */
	f->now += TICK_NS(1234) + 1;
	assert_int_equal(latch_read(f, 0), 10000 - 1234);
	/* A latched value holds while time moves on. */
	out(f, 0x43, 0x00);
	f->now += TICK_NS(500);
	assert_int_equal(read16(f, 0x40), 10000 - 1234);
	/* read-back: status of channel 0 only (mode 2, LSB+MSB, OUT high) */
	out(f, 0x43, 0xE2);
	assert_int_equal(in(f, 0x40), 0x80 | 0x34);
	/* read-back of status and count: status comes first */
	out(f, 0x43, 0xC2);
	assert_int_equal(in(f, 0x40), 0x80 | 0x34);
	{
		u16 v = read16(f, 0x40);

		assert_in_range(v, 10000 - 1234 - 502, 10000 - 1234 - 498);
	}
	/* null count until a count is written */
	out(f, 0x43, 0x74);
	out(f, 0x43, 0xE4);
	assert_int_equal(in(f, 0x41) & 0x40, 0x40);
}

static void test_access_modes_and_bcd(void **state)
{
	struct fixture *f = *state;

	out(f, 0x43, 0x50 | 0x00); /* channel 1, LSB only, mode 0 */
	out(f, 0x41, 200);
	f->now += TICK_NS(50) + 1;
	assert_int_equal(in(f, 0x41), 150);
	out(f, 0x43, 0x60 | 0x00); /* MSB only */
	out(f, 0x41, 0x02);        /* 0x0200 */
	f->now += TICK_NS(0x100) + 1;
	assert_int_equal(in(f, 0x41), 0x01);
	out(f, 0x43, 0x71); /* LSB+MSB, mode 0, BCD */
	out(f, 0x41, 0x00);
	out(f, 0x41, 0x20); /* 2000 */
	f->now += TICK_NS(1) + 1;
	assert_int_equal(latch_read(f, 1), 0x1999);
	/* live LSB/MSB reads alternate through the flip-flop */
	out(f, 0x43, 0x70);
	out(f, 0x41, 0xFF);
	out(f, 0x41, 0xFF);
	assert_int_equal(in(f, 0x41), 0xFF);
	assert_int_equal(in(f, 0x41), 0xFF);
}

/* arch/x86/kernel/tsc.c pit_calibrate_tsc() */
static void test_channel2_port61(void **state)
{
	struct fixture *f = *state;
	u16 latch = (u16)(PIT8254_HZ / 20); /* 50 ms */
	u64 start;
	bool saw0 = false, saw1 = false;

	out(f, 0x61, (in(f, 0x61) & ~0x02) | 0x01);
	out(f, 0x43, 0xB0);
	out(f, 0x42, latch & 0xFF);
	out(f, 0x42, latch >> 8);
	start = f->now;
	assert_int_equal(in(f, 0x61) & 0x20, 0);
	while (!(in(f, 0x61) & 0x20))
		f->now += 1000; /* each inb costs a microsecond */
	assert_in_range(f->now - start, 50 * MS - 2000, 50 * MS + 2000);
	/* gate low freezes a mode 0 count */
	out(f, 0x43, 0xB0);
	out(f, 0x42, 0xFF);
	out(f, 0x42, 0xFF);
	f->now += TICK_NS(100) + 1;
	out(f, 0x61, 0x00);
	f->now += 10 * MS;
	assert_int_equal(latch_read(f, 2), 0xFFFF - 100);
	out(f, 0x61, 0x01);
	f->now += TICK_NS(100) + 1;
	assert_int_equal(latch_read(f, 2), 0xFFFF - 200);
	/* the refresh bit toggles */
	for (int i = 0; i < 8; i++) {
		if (in(f, 0x61) & 0x10)
			saw1 = true;
		else
			saw0 = true;
		f->now += 7000;
	}
	assert_true(saw0 && saw1);
	assert_int_equal(in(f, 0x61) & 0x0F, 0x01);
}

/* quick_pit_calibrate(): mode 0 count 0xFFFF, MSB read without a latch. */
static void test_quick_calibrate_msb(void **state)
{
	struct fixture *f = *state;
	u8 prev = 0xFF;

	out(f, 0x61, (in(f, 0x61) & ~0x02) | 0x01);
	out(f, 0x43, 0xB0);
	out(f, 0x42, 0xFF);
	out(f, 0x42, 0xFF);
	in(f, 0x42);
	in(f, 0x42);
	for (int i = 0; i < 50; i++) {
		u8 msb;

		f->now += TICK_NS(256);
		in(f, 0x42);
		msb = in(f, 0x42);
		assert_true(msb <= prev);
		prev = msb;
	}
	assert_in_range(prev, 0xFF - 51, 0xFF - 49);
}

/*
 * Channel 0 in mode 2 with a 10000-tick period, 2500 ticks into a period,
 * channel 2 latched mid-read and gated through port 0x61: a PIT loaded from
 * it on a clock 7 s later saves the same bytes, reads the same counts, and
 * fires IRQ0 7500 ticks after the load and every 10000 after that.
 */
static void test_save_load(void **state)
{
	struct fixture *f = *state, *g;
	struct saved_state s;
	u8 *payload;
	size_t plen;
	void *gs;
	char err[256];

	out(f, 0x43, 0x34);
	out(f, 0x40, 10000 & 0xFF);
	out(f, 0x40, 10000 >> 8);
	run_for(f, TICK_NS(22500), MS / 10); /* two edges, 2500 ticks into the third period */
	assert_int_equal(f->pulses, 2);
	out(f, 0x61, 0x01);
	out(f, 0x43, 0xB0);
	out(f, 0x42, 0x34);
	out(f, 0x42, 0x12);
	f->now += TICK_NS(0x100);
	out(f, 0x43, 0x80); /* latch channel 2 */
	assert_in_range(in(f, 0x42), 0x33, 0x35); /* LSB read, MSB still due */
	s = state_save_one(&pit8254_state_ops, f->p);

	setup(&gs);
	g = gs;
	g->now = f->now + 7000 * MS;
	state_load_and_compare(&pit8254_state_ops, g->p, &s);
	assert_int_equal(in(g, 0x42), 0x11); /* the latched MSB */
	assert_in_range(latch_read(g, 0), 10000 - 2500 - 0x100 - 2, 10000 - 2500 - 0x100 + 2);
	assert_int_equal(in(g, 0x61) & 0x03, 0x01);
	run_for(g, TICK_NS(7500 - 0x100) - 2 * TICK_NS(1), MS / 10);
	assert_int_equal(g->pulses, 0);
	run_for(g, TICK_NS(4), MS / 10);
	assert_int_equal(g->pulses, 1);
	run_for(g, TICK_NS(20000), MS / 10);
	assert_int_equal(g->pulses, 3);
	teardown(&gs);

	payload = state_payload(&s, "pit8254", &plen);
	payload[2] = payload[3] = payload[4] = payload[5] = 0; /* channel 0 count 0 */
	state_reseal(&s, "pit8254");
	setup(&gs);
	assert_int_equal(state_load_one(&pit8254_state_ops, ((struct fixture *)gs)->p, &s, err,
					sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "count 0, mode 2"));
	teardown(&gs);
	free(s.data);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_mode2_periodic, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mode3_and_oneshot, setup, teardown),
		cmocka_unit_test_setup_teardown(test_latch_and_readback, setup, teardown),
		cmocka_unit_test_setup_teardown(test_access_modes_and_bcd, setup, teardown),
		cmocka_unit_test_setup_teardown(test_channel2_port61, setup, teardown),
		cmocka_unit_test_setup_teardown(test_quick_calibrate_msb, setup, teardown),
		cmocka_unit_test_setup_teardown(test_save_load, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
