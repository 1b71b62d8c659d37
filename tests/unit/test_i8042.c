// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * i8042: Linux's controller probe (flush, self-test, CTR, AUX loop and
 * enable checks), atkbd's reset/identify/LEDs/scan set, the mouse's reset,
 * IRQ1/IRQ12 edges per byte, disabled interfaces holding data, and the three
 * reset paths (command 0xFE, output port bit 0, port 0x92 bit 0).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "hw/i8042.h"
#include "state_test_util.h"

struct fixture {
	struct addrspace *pio;
	struct i8042 *k;
	int level[2], edges[2];
	int resets;
	int a20_calls, a20; /* what the board was told about the A20 gate */
};

static void irq_set(void *opaque, unsigned pin, int level)
{
	struct fixture *f = opaque;
	unsigned i = pin == 12;

	if (level && !f->level[i])
		f->edges[i]++;
	f->level[i] = level;
}

static void reset_cb(void *opaque)
{
	((struct fixture *)opaque)->resets++;
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

/* i8042_command(): command, parameters, then poll OBF for each reply. */
static int command(struct fixture *f, u8 cmd, const u8 *params, unsigned np, u8 *resp,
		   unsigned nr, u8 *status)
{
	out(f, 0x64, cmd);
	for (unsigned i = 0; i < np; i++) {
		assert_int_equal(in(f, 0x64) & 0x02, 0); /* IBF never sticks */
		out(f, 0x60, params[i]);
	}
	for (unsigned i = 0; i < nr; i++) {
		u8 st = in(f, 0x64);

		if (!(st & 0x01))
			return -1;
		if (status)
			status[i] = st;
		resp[i] = in(f, 0x60);
	}
	return 0;
}

static void a20_cb(void *opaque, bool enabled)
{
	struct fixture *f = opaque;

	f->a20_calls++;
	f->a20 = enabled;
}

static int setup(void **state)
{
	struct fixture *f = test_calloc(1, sizeof(*f));
	struct i8042_config cfg = {0};

	assert_int_equal(as_create(&f->pio, "pio"), 0);
	irq_line_init(&cfg.irq1, irq_set, f, 1);
	irq_line_init(&cfg.irq12, irq_set, f, 12);
	cfg.reset = reset_cb;
	cfg.a20 = a20_cb;
	cfg.opaque = f;
	assert_int_equal(i8042_create(&f->k, &cfg), 0);
	assert_int_equal(i8042_attach(f->k, f->pio), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	i8042_destroy(f->k);
	as_destroy(f->pio);
	test_free(f);
	return 0;
}

static void test_linux_probe(void **state)
{
	struct fixture *f = *state;
	u8 r[2], st[1], p;

	/* i8042_flush: nothing there */
	assert_int_equal(in(f, 0x64) & 0x01, 0);
	assert_int_equal(in(f, 0x64) & 0x10, 0x10); /* no keylock */
	assert_int_equal(command(f, 0xAA, NULL, 0, r, 1, NULL), 0);
	assert_int_equal(r[0], 0x55);
	/* stable CTR */
	assert_int_equal(command(f, 0x20, NULL, 0, &r[0], 1, NULL), 0);
	assert_int_equal(command(f, 0x20, NULL, 0, &r[1], 1, NULL), 0);
	assert_int_equal(r[0], r[1]);
	assert_int_equal(r[0] & 0x40, 0x40); /* translated, like a BIOS leaves it */
	p = (u8)((r[0] | 0x10) & ~0x01);
	assert_int_equal(command(f, 0x60, &p, 1, NULL, 0, NULL), 0);
	assert_int_equal(command(f, 0x20, NULL, 0, r, 1, NULL), 0);
	assert_int_equal(r[0], p);
	/* i8042_check_aux: loop */
	p = 0x5A;
	assert_int_equal(command(f, 0xD3, &p, 1, r, 1, st), 0);
	assert_int_equal(st[0] & 0x20, 0x20);
	assert_int_equal(r[0], 0x5A);
	/* AUX disable/enable show in the CTR */
	assert_int_equal(command(f, 0xA7, NULL, 0, NULL, 0, NULL), 0);
	assert_int_equal(command(f, 0x20, NULL, 0, r, 1, NULL), 0);
	assert_int_equal(r[0] & 0x20, 0x20);
	assert_int_equal(command(f, 0xA8, NULL, 0, NULL, 0, NULL), 0);
	assert_int_equal(command(f, 0x20, NULL, 0, r, 1, NULL), 0);
	assert_int_equal(r[0] & 0x20, 0);
	/* AUX IRQ test: loop with AUXINT on raises IRQ12 */
	p = (u8)(r[0] | 0x02);
	assert_int_equal(command(f, 0x60, &p, 1, NULL, 0, NULL), 0);
	out(f, 0x64, 0xD3);
	out(f, 0x60, 0xA5);
	assert_int_equal(f->level[1], 1);
	assert_int_equal(in(f, 0x60), 0xA5);
	assert_int_equal(f->level[1], 0);
	/* port tests */
	assert_int_equal(command(f, 0xAB, NULL, 0, r, 1, NULL), 0);
	assert_int_equal(r[0], 0x00);
	assert_int_equal(command(f, 0xA9, NULL, 0, r, 1, NULL), 0);
	assert_int_equal(r[0], 0x00);
	assert_int_equal(f->resets, 0);
}

static void test_keyboard(void **state)
{
	struct fixture *f = *state;

	/* reset: two bytes, two IRQ1 edges */
	out(f, 0x60, 0xFF);
	assert_int_equal(f->level[0], 1);
	assert_int_equal(in(f, 0x64) & 0x21, 0x01);
	assert_int_equal(in(f, 0x60), 0xFA);
	assert_int_equal(f->level[0], 1);
	assert_int_equal(in(f, 0x60), 0xAA);
	assert_int_equal(f->level[0], 0);
	assert_int_equal(f->edges[0], 2);
	assert_int_equal(in(f, 0x64) & 0x01, 0);
	/* identify, translated */
	out(f, 0x60, 0xF2);
	assert_int_equal(in(f, 0x60), 0xFA);
	assert_int_equal(in(f, 0x60), 0xAB);
	assert_int_equal(in(f, 0x60), 0x41);
	/* LEDs, scan set, enable, echo */
	out(f, 0x60, 0xED);
	assert_int_equal(in(f, 0x60), 0xFA);
	out(f, 0x60, 0x07);
	assert_int_equal(in(f, 0x60), 0xFA);
	out(f, 0x60, 0xF0);
	assert_int_equal(in(f, 0x60), 0xFA);
	out(f, 0x60, 0x02);
	assert_int_equal(in(f, 0x60), 0xFA);
	out(f, 0x60, 0xF5);
	assert_int_equal(in(f, 0x60), 0xFA);
	out(f, 0x60, 0xF4);
	assert_int_equal(in(f, 0x60), 0xFA);
	out(f, 0x60, 0xEE);
	assert_int_equal(in(f, 0x60), 0xEE);
	/* untranslated identify */
	out(f, 0x64, 0x60);
	out(f, 0x60, 0x05);
	out(f, 0x60, 0xF2);
	assert_int_equal(in(f, 0x60), 0xFA);
	assert_int_equal(in(f, 0x60), 0xAB);
	assert_int_equal(in(f, 0x60), 0x83);
	/* a disabled keyboard interface holds its bytes */
	out(f, 0x64, 0xAD);
	out(f, 0x60, 0xEE);
	assert_int_equal(in(f, 0x64) & 0x01, 0);
	out(f, 0x64, 0xAE);
	assert_int_equal(in(f, 0x64) & 0x01, 0x01);
	assert_int_equal(in(f, 0x60), 0xEE);
	/* no IRQ1 when KBDINT is off */
	out(f, 0x64, 0x60);
	out(f, 0x60, 0x04);
	out(f, 0x60, 0xEE);
	assert_int_equal(f->level[0], 0);
	assert_int_equal(in(f, 0x60), 0xEE);
}

static void test_mouse(void **state)
{
	struct fixture *f = *state;
	u8 r[4], p, st[3];

	p = 0xFF;
	assert_int_equal(command(f, 0xA8, NULL, 0, NULL, 0, NULL), 0);
	assert_int_equal(command(f, 0xD4, &p, 1, r, 3, st), 0);
	assert_int_equal(r[0], 0xFA);
	assert_int_equal(r[1], 0xAA);
	assert_int_equal(r[2], 0x00);
	assert_int_equal(st[0] & 0x20, 0x20);
	p = 0xF2;
	assert_int_equal(command(f, 0xD4, &p, 1, r, 2, NULL), 0);
	assert_int_equal(r[1], 0x00);
	p = 0xF3;
	assert_int_equal(command(f, 0xD4, &p, 1, r, 1, NULL), 0);
	p = 200;
	assert_int_equal(command(f, 0xD4, &p, 1, r, 1, NULL), 0);
	p = 0xE9;
	assert_int_equal(command(f, 0xD4, &p, 1, r, 4, NULL), 0);
	assert_int_equal(r[3], 200);
}

/* Host input: keys in set 1 (through translation) and set 2, mouse packets, full buffers. */
static void test_host_input(void **state)
{
	struct fixture *f = *state;
	u8 r[3], p;
	unsigned n = 0;

	/* Translation on (as the BIOS leaves it): set 1 bytes, E0 prefix, break = make | 0x80. */
	assert_true(i8042_key(f->k, 0x1E, true));
	assert_int_equal(in(f, 0x60), 0x1E);
	assert_true(i8042_key(f->k, I8042_KEY_E0 | 0x48, false));
	assert_int_equal(in(f, 0x60), 0xE0);
	assert_int_equal(in(f, 0x60), 0xC8);
	/* Translation off: the keyboard's own set 2, F0 before a break code. */
	p = 0x01 | 0x04; /* KBDINT, SYS; no XLATE */
	assert_int_equal(command(f, 0x60, &p, 1, NULL, 0, NULL), 0);
	assert_true(i8042_key(f->k, 0x1E, true));
	assert_int_equal(in(f, 0x60), 0x1C);
	assert_true(i8042_key(f->k, 0x1E, false));
	assert_int_equal(in(f, 0x60), 0xF0);
	assert_int_equal(in(f, 0x60), 0x1C);
	/* A full buffer refuses a whole sequence, never half of it. */
	while (i8042_key(f->k, I8042_KEY_E0 | 0x1D, true))
		n++;
	assert_true(n > 0 && n <= 8);
	/* The mouse sends nothing until the guest enables streaming. */
	assert_true(i8042_mouse(f->k, 5, 5, 0));
	assert_int_equal(command(f, 0xA8, NULL, 0, NULL, 0, NULL), 0);
	p = 0xF4;
	while (in(f, 0x64) & 0x01) /* drain the keys */
		in(f, 0x60);
	assert_int_equal(command(f, 0xD4, &p, 1, r, 1, NULL), 0);
	assert_int_equal(r[0], 0xFA);
	/* Right 5, down 3 (PS/2 counts up as positive), left button. */
	assert_true(i8042_mouse(f->k, 5, 3, 1));
	for (unsigned i = 0; i < 3; i++) {
		assert_int_equal(in(f, 0x64) & 0x21, 0x21); /* from the aux side */
		r[i] = in(f, 0x60);
	}
	assert_int_equal(r[0], 0x08 | 0x01 | 0x20);
	assert_int_equal(r[1], 5);
	assert_int_equal(r[2], (u8)-3);
}

static void test_reset_paths(void **state)
{
	struct fixture *f = *state;
	u8 r;

	out(f, 0x64, 0xFE);
	assert_int_equal(f->resets, 1);
	out(f, 0x64, 0xFF); /* pulses nothing */
	assert_int_equal(f->resets, 1);
	assert_int_equal(command(f, 0xD0, NULL, 0, &r, 1, NULL), 0);
	assert_int_equal(r & 0x03, 0x03);
	out(f, 0x64, 0xD1);
	out(f, 0x60, 0x02);
	assert_int_equal(f->resets, 2);
	out(f, 0x64, 0xD1);
	out(f, 0x60, 0x01); /* A20 off, no reset */
	assert_int_equal(f->resets, 2);
	assert_false(i8042_a20_enabled(f->k) && !(in(f, 0x92) & 0x02));
	out(f, 0x92, 0x00);
	assert_false(i8042_a20_enabled(f->k));
	out(f, 0x92, 0x02);
	assert_true(i8042_a20_enabled(f->k));
	assert_int_equal(in(f, 0x92), 0x02);
	out(f, 0x92, 0x03);
	assert_int_equal(f->resets, 3);
}

/*
 * The board hears of every change of the gate (output port bit 1 OR port
 * 0x92 bit 1) and only of changes; a load tells it the loaded gate.
 */
static void test_a20_callback(void **state)
{
	struct fixture *f = *state, *g;
	struct saved_state s;
	void *gs;

	out(f, 0x92, 0x00); /* the output port still holds A20 on: no change */
	assert_int_equal(f->a20_calls, 0);
	out(f, 0x64, 0xDD); /* both off */
	assert_int_equal(f->a20_calls, 1);
	assert_int_equal(f->a20, 0);
	out(f, 0x64, 0xDD);
	assert_int_equal(f->a20_calls, 1);
	out(f, 0x92, 0x02); /* fast A20 on */
	assert_int_equal(f->a20_calls, 2);
	assert_int_equal(f->a20, 1);
	out(f, 0x92, 0x00);
	out(f, 0x64, 0xD1); /* output port write: A20 on, no reset */
	out(f, 0x60, 0x03);
	assert_int_equal(f->a20_calls, 4);
	assert_int_equal(f->a20, 1);
	out(f, 0x64, 0xDD);
	assert_int_equal(f->a20, 0);
	s = state_save_one(&i8042_state_ops, f->k);
	setup(&gs);
	g = gs;
	state_load_and_compare(&i8042_state_ops, g->k, &s);
	assert_int_equal(g->a20_calls, 1);
	assert_int_equal(g->a20, 0);
	teardown(&gs);
	free(s.data);
}

/*
 * Untranslated scan codes, the keyboard's LEDs set, A20 on through port
 * 0x92, and an identify reply half read (0xAB and 0x83 still queued): the
 * loaded controller saves the same bytes and hands out the rest of the
 * reply, then answers with the same command byte.
 */
static void test_save_load(void **state)
{
	struct fixture *f = *state, *g;
	struct saved_state s;
	u8 r, *payload;
	size_t plen;
	void *gs;
	char err[256];

	out(f, 0x64, 0x60);
	out(f, 0x60, 0x05);
	out(f, 0x92, 0x02);
	out(f, 0x60, 0xED);
	assert_int_equal(in(f, 0x60), 0xFA);
	out(f, 0x60, 0x07);
	assert_int_equal(in(f, 0x60), 0xFA);
	out(f, 0x60, 0xF2);
	assert_int_equal(in(f, 0x60), 0xFA);
	s = state_save_one(&i8042_state_ops, f->k);

	setup(&gs);
	g = gs;
	state_load_and_compare(&i8042_state_ops, g->k, &s);
	assert_true(i8042_a20_enabled(g->k));
	assert_int_equal(in(g, 0x64) & 0x01, 0x01);
	assert_int_equal(in(g, 0x60), 0xAB);
	assert_int_equal(in(g, 0x60), 0x83);
	assert_int_equal(in(g, 0x64) & 0x01, 0);
	assert_int_equal(command(g, 0x20, NULL, 0, &r, 1, NULL), 0);
	assert_int_equal(r, 0x05);
	teardown(&gs);

	payload = state_payload(&s, "i8042", &plen);
	payload[1 + 32 + 4 + 5 + 2 * 16 + 1] = 17; /* controller queue count */
	state_reseal(&s, "i8042");
	setup(&gs);
	assert_int_equal(state_load_one(&i8042_state_ops, ((struct fixture *)gs)->k, &s, err,
					sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "queue head 0 count 17"));
	teardown(&gs);
	free(s.data);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_linux_probe, setup, teardown),
		cmocka_unit_test_setup_teardown(test_keyboard, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mouse, setup, teardown),
		cmocka_unit_test_setup_teardown(test_host_input, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reset_paths, setup, teardown),
		cmocka_unit_test_setup_teardown(test_save_load, setup, teardown),
		cmocka_unit_test_setup_teardown(test_a20_callback, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
