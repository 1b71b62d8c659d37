// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * 8259A pair: Linux's init_8259A() sequence, masking, EOI, priority and
 * nesting, cascade, spurious IRQ7/15, ELCR level triggering, rotation,
 * special mask, poll and AEOI.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "hw/pic8259.h"
#include "state_test_util.h"

struct fixture {
	struct addrspace *pio;
	struct pic8259 *p;
	int intr;
};

static void intr_set(void *opaque, unsigned pin, int level)
{
	((struct fixture *)opaque)->intr = level;
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

/* arch/x86/kernel/i8259.c init_8259A(auto_eoi) */
static void linux_init(struct fixture *f, bool auto_eoi)
{
	out(f, 0x21, 0xFF);
	out(f, 0xA1, 0xFF);
	out(f, 0x20, 0x11);
	out(f, 0x21, 0x30);
	out(f, 0x21, 1u << 2);
	out(f, 0x21, auto_eoi ? 0x03 : 0x01);
	out(f, 0xA0, 0x11);
	out(f, 0xA1, 0x38);
	out(f, 0xA1, 2);
	out(f, 0xA1, 0x01);
	out(f, 0x21, 0xFB); /* everything masked but the cascade */
	out(f, 0xA1, 0xFF);
}

static int setup(void **state)
{
	struct fixture *f = test_calloc(1, sizeof(*f));
	struct pic8259_config cfg = {0};

	assert_int_equal(as_create(&f->pio, "pio"), 0);
	irq_line_init(&cfg.intr, intr_set, f, 0);
	assert_int_equal(pic8259_create(&f->p, &cfg), 0);
	assert_int_equal(pic8259_attach(f->p, f->pio), 0);
	linux_init(f, false);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	pic8259_destroy(f->p);
	as_destroy(f->pio);
	test_free(f);
	return 0;
}

static u8 read_isr(struct fixture *f, u16 port)
{
	u8 v;

	out(f, port, 0x0B);
	v = in(f, port);
	out(f, port, 0x0A);
	return v;
}

static void test_init_and_mask(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(in(f, 0x21), 0xFB);
	assert_int_equal(in(f, 0xA1), 0xFF);
	pic8259_set_irq(f->p, 1, 1);
	assert_int_equal(f->intr, 0); /* masked */
	assert_int_equal(in(f, 0x20) & 0x02, 0x02); /* but visible in IRR */
	out(f, 0x21, 0xF9);
	assert_int_equal(f->intr, 1);
	assert_int_equal(pic8259_ack(f->p), 0x31);
	assert_int_equal(f->intr, 0);
	assert_int_equal(read_isr(f, 0x20), 0x02);
	assert_int_equal(in(f, 0x20) & 0x02, 0); /* IRR cleared for an edge input */
	out(f, 0x20, 0x61); /* specific EOI, as mask_and_ack_8259A does */
	assert_int_equal(read_isr(f, 0x20), 0);
	/* Holding the line high does not re-trigger an edge input. */
	pic8259_set_irq(f->p, 1, 1);
	assert_int_equal(f->intr, 0);
	pic8259_set_irq(f->p, 1, 0);
	pic8259_set_irq(f->p, 1, 1);
	assert_int_equal(f->intr, 1);
}

static void test_priority_and_nesting(void **state)
{
	struct fixture *f = *state;

	out(f, 0x21, 0x00);
	pic8259_set_irq(f->p, 5, 1);
	pic8259_set_irq(f->p, 3, 1);
	assert_int_equal(pic8259_ack(f->p), 0x33);
	assert_int_equal(f->intr, 0); /* IRQ5 waits behind IRQ3 in service */
	pic8259_set_irq(f->p, 1, 1);
	assert_int_equal(f->intr, 1); /* IRQ1 nests */
	assert_int_equal(pic8259_ack(f->p), 0x31);
	assert_int_equal(read_isr(f, 0x20), 0x0A);
	out(f, 0x20, 0x20); /* non-specific EOI ends the highest: IRQ1 */
	assert_int_equal(read_isr(f, 0x20), 0x08);
	assert_int_equal(f->intr, 0);
	out(f, 0x20, 0x20);
	assert_int_equal(f->intr, 1);
	assert_int_equal(pic8259_ack(f->p), 0x35);
}

static void test_cascade(void **state)
{
	struct fixture *f = *state;

	out(f, 0xA1, 0xFB); /* unmask IRQ10 */
	pic8259_set_irq(f->p, 10, 1);
	assert_int_equal(f->intr, 1);
	assert_int_equal(pic8259_ack(f->p), 0x3A);
	assert_int_equal(read_isr(f, 0xA0), 0x04);
	assert_int_equal(read_isr(f, 0x20), 0x04);
	out(f, 0xA0, 0x62);
	out(f, 0x20, 0x62);
	assert_int_equal(read_isr(f, 0xA0), 0);
	assert_int_equal(read_isr(f, 0x20), 0);
	assert_int_equal(f->intr, 0);
	/* A masked slave request does not reach the master. */
	pic8259_set_irq(f->p, 12, 1);
	assert_int_equal(f->intr, 0);
	assert_int_equal(in(f, 0x20) & 0x04, 0);
}

static void test_spurious(void **state)
{
	struct fixture *f = *state;

	/* INTA with nothing pending: IRQ7's vector, ISR untouched. */
	assert_int_equal(pic8259_ack(f->p), 0x37);
	assert_int_equal(read_isr(f, 0x20), 0);
	/* A level request that goes away before INTA. */
	out(f, 0x4D0, 0x20); /* IRQ5 level */
	assert_int_equal(in(f, 0x4D0), 0x20);
	out(f, 0x21, 0x00);
	pic8259_set_irq(f->p, 5, 1);
	assert_int_equal(f->intr, 1);
	pic8259_set_irq(f->p, 5, 0);
	assert_int_equal(f->intr, 0);
	assert_int_equal(pic8259_ack(f->p), 0x37);
	assert_int_equal(read_isr(f, 0x20), 0);
}

static void test_level_elcr(void **state)
{
	struct fixture *f = *state;

	out(f, 0x4D1, 0xFF);
	assert_int_equal(in(f, 0x4D1), 0xDE); /* IRQ8 and IRQ13 cannot be level */
	out(f, 0x4D0, 0xFF);
	assert_int_equal(in(f, 0x4D0), 0xF8);
	out(f, 0xA1, 0xFB);
	pic8259_set_irq(f->p, 10, 1);
	assert_int_equal(pic8259_ack(f->p), 0x3A);
	out(f, 0xA0, 0x20);
	out(f, 0x20, 0x20);
	assert_int_equal(f->intr, 1); /* still asserted: interrupts again */
	assert_int_equal(pic8259_ack(f->p), 0x3A);
	pic8259_set_irq(f->p, 10, 0);
	out(f, 0xA0, 0x20);
	out(f, 0x20, 0x20);
	assert_int_equal(f->intr, 0);
}

static void test_rotation(void **state)
{
	struct fixture *f = *state;

	out(f, 0x21, 0x00);
	out(f, 0x20, 0xC4); /* set priority: IRQ4 lowest, so IRQ5 highest */
	pic8259_set_irq(f->p, 3, 1);
	pic8259_set_irq(f->p, 6, 1);
	assert_int_equal(pic8259_ack(f->p), 0x36);
	out(f, 0x20, 0xA0); /* rotate on non-specific EOI: IRQ6 becomes lowest */
	assert_int_equal(pic8259_ack(f->p), 0x33);
	out(f, 0x20, 0xE3); /* rotate on specific EOI 3 */
	pic8259_set_irq(f->p, 6, 0);
	pic8259_set_irq(f->p, 6, 1);
	pic8259_set_irq(f->p, 3, 0);
	pic8259_set_irq(f->p, 3, 1);
	assert_int_equal(pic8259_ack(f->p), 0x36); /* 4 is highest now: 6 before 3 */
}

static void test_special_mask_poll_aeoi(void **state)
{
	struct fixture *f = *state;

	out(f, 0x21, 0x00);
	pic8259_set_irq(f->p, 1, 1);
	assert_int_equal(pic8259_ack(f->p), 0x31);
	pic8259_set_irq(f->p, 6, 1);
	assert_int_equal(f->intr, 0);
	/* special mask mode, IRQ1 masked: lower priorities get through */
	out(f, 0x21, 0x02);
	out(f, 0x20, 0x68);
	assert_int_equal(f->intr, 1);
	assert_int_equal(pic8259_ack(f->p), 0x36);
	out(f, 0x20, 0x48); /* leave special mask mode */
	out(f, 0x20, 0x66);
	out(f, 0x20, 0x61);
	out(f, 0x21, 0x00);
	/* poll mode */
	pic8259_set_irq(f->p, 4, 1);
	out(f, 0x20, 0x0C);
	assert_int_equal(in(f, 0x20), 0x84);
	assert_int_equal(read_isr(f, 0x20), 0x10);
	out(f, 0x20, 0x20);
	out(f, 0x20, 0x0C);
	assert_int_equal(in(f, 0x20), 0x00);
	/* auto-EOI */
	linux_init(f, true);
	out(f, 0x21, 0x00);
	pic8259_set_irq(f->p, 0, 1);
	assert_int_equal(pic8259_ack(f->p), 0x30);
	assert_int_equal(read_isr(f, 0x20), 0);
}

/*
 * A master with other vectors than Linux's (0x40), slave IRQ10 masked but
 * requested, IRQ3 in service and IRQ5 waiting behind it, the slave in
 * level mode: the loaded pair saves the same bytes and carries on — EOI
 * delivers IRQ5 at 0x45, unmasking delivers IRQ10 through the cascade.
 */
static void test_save_load(void **state)
{
	struct fixture *f = *state, *g;
	struct saved_state s;
	u8 *payload;
	size_t plen;
	void *gs;
	char err[256];

	out(f, 0x20, 0x11);
	out(f, 0x21, 0x40);
	out(f, 0x21, 1u << 2);
	out(f, 0x21, 0x01);
	out(f, 0x21, 0x00);
	out(f, 0x4D1, 0x04); /* IRQ10 level-triggered */
	pic8259_set_irq(f->p, 10, 1);
	pic8259_set_irq(f->p, 5, 1);
	pic8259_set_irq(f->p, 3, 1);
	assert_int_equal(pic8259_ack(f->p), 0x43);
	assert_int_equal(f->intr, 0);
	s = state_save_one(&pic8259_state_ops, f->p);

	setup(&gs);
	g = gs;
	state_load_and_compare(&pic8259_state_ops, g->p, &s);
	assert_int_equal(read_isr(g, 0x20), 0x08);
	assert_int_equal(in(g, 0xA1), 0xFF);
	assert_int_equal(in(g, 0x4D1), 0x04);
	out(g, 0x20, 0x20);
	assert_int_equal(g->intr, 1);
	assert_true(pic8259_intr_pending(g->p));
	assert_int_equal(pic8259_ack(g->p), 0x45);
	out(g, 0x20, 0x20);
	out(g, 0xA1, 0xFB);
	assert_int_equal(pic8259_ack(g->p), 0x3A); /* slave vectors from linux_init */
	teardown(&gs);

	payload = state_payload(&s, "pic8259", &plen);
	payload[8] = 5; /* master init_step */
	state_reseal(&s, "pic8259");
	setup(&gs);
	assert_int_equal(state_load_one(&pic8259_state_ops, ((struct fixture *)gs)->p, &s, err,
					sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "init step 5"));
	teardown(&gs);
	free(s.data);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_init_and_mask, setup, teardown),
		cmocka_unit_test_setup_teardown(test_priority_and_nesting, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cascade, setup, teardown),
		cmocka_unit_test_setup_teardown(test_spurious, setup, teardown),
		cmocka_unit_test_setup_teardown(test_level_elcr, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rotation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_special_mask_poll_aeoi, setup, teardown),
		cmocka_unit_test_setup_teardown(test_save_load, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
