// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * I/O APIC unit tests (82093AA datasheet 3.2): ID/version/arbitration
 * registers, redirection-table programming, edge and level pins, Remote IRR
 * and EOI, masking. Accesses go through the MMIO address space as the guest's do.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "hw/ioapic.h"
#include "hw/lapic.h"
#include "include/hover/addrspace.h"
#include "state_test_util.h"

struct msg {
	u8 dest, dm, vector;
	bool logical, level;
};

struct fixture {
	struct addrspace *mmio;
	struct ioapic *io;
	struct msg m[16];
	unsigned n;
};

static void cb_deliver(void *opaque, u8 dest, bool dest_mode, u8 delivery_mode, u8 vector,
		       bool level_triggered)
{
	struct fixture *f = opaque;

	if (f->n < 16)
		f->m[f->n++] = (struct msg){ dest, delivery_mode, vector, dest_mode, level_triggered };
}

static int setup(void **state)
{
	struct fixture *f = test_calloc(1, sizeof(*f));
	struct ioapic_config cfg = { .id = 4, .opaque = f, .deliver = cb_deliver };

	assert_int_equal(as_create(&f->mmio, "mmio"), 0);
	assert_int_equal(ioapic_create(&f->io, &cfg), 0);
	assert_int_equal(as_register(f->mmio, IOAPIC_DEFAULT_BASE, IOAPIC_MMIO_SIZE, &ioapic_mmio_ops,
				     f->io), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	as_destroy(f->mmio);
	ioapic_destroy(f->io);
	test_free(f);
	return 0;
}

static u32 reg_rd(struct fixture *f, u32 reg)
{
	u64 v;

	assert_int_equal(as_write(f->mmio, IOAPIC_DEFAULT_BASE, 4, reg), 0);
	assert_int_equal(as_read(f->mmio, IOAPIC_DEFAULT_BASE + 0x10, 4, &v), 0);
	return (u32)v;
}

static void reg_wr(struct fixture *f, u32 reg, u32 val)
{
	assert_int_equal(as_write(f->mmio, IOAPIC_DEFAULT_BASE, 4, reg), 0);
	assert_int_equal(as_write(f->mmio, IOAPIC_DEFAULT_BASE + 0x10, 4, val), 0);
}

/* Program pin: high half first, then low half (as Linux does). */
static void rte(struct fixture *f, unsigned pin, u32 lo, u8 dest)
{
	reg_wr(f, 0x11 + 2 * pin, (u32)dest << 24);
	reg_wr(f, 0x10 + 2 * pin, lo);
}

#define LEVEL (1u << 15)
#define MASKED (1u << 16)
#define REMOTE_IRR (1u << 14)

static void test_id_version(void **state)
{
	struct fixture *f = *state;
	u64 v;

	assert_int_equal(reg_rd(f, 0x00), 4u << 24);
	assert_int_equal(reg_rd(f, 0x01), 0x00170011);
	assert_int_equal(reg_rd(f, 0x02), 4u << 24);
	reg_wr(f, 0x00, 0xFFFFFFFF);
	assert_int_equal(reg_rd(f, 0x00), 0x0F000000);
	reg_wr(f, 0x01, 0);
	assert_int_equal(reg_rd(f, 0x01), 0x00170011);
	/* IOREGSEL reads back. */
	assert_int_equal(as_write(f->mmio, IOAPIC_DEFAULT_BASE, 4, 0x12), 0);
	assert_int_equal(as_read(f->mmio, IOAPIC_DEFAULT_BASE, 4, &v), 0);
	assert_int_equal(v, 0x12);
	/* Beyond the last pin: reads 0. */
	assert_int_equal(reg_rd(f, 0x10 + 2 * 24), 0);
}

static void test_redirection_programming(void **state)
{
	struct fixture *f = *state;

	for (unsigned pin = 0; pin < 24; pin++)
		assert_int_equal(reg_rd(f, 0x10 + 2 * pin), MASKED);
	rte(f, 4, MASKED | LEVEL | (1 << 13) | (1 << 11) | (LAPIC_DM_LOWEST << 8) | 0x34, 0x0F);
	assert_int_equal(reg_rd(f, 0x10 + 8), MASKED | LEVEL | (1 << 13) | (1 << 11) | 0x100 | 0x34);
	assert_int_equal(reg_rd(f, 0x11 + 8), 0x0F000000);
	/* Delivery Status and Remote IRR are read-only. */
	reg_wr(f, 0x10 + 8, (1 << 12) | REMOTE_IRR | MASKED | 0x34);
	assert_int_equal(reg_rd(f, 0x10 + 8), MASKED | 0x34);
	assert_int_equal(f->n, 0);
}

static void test_edge(void **state)
{
	struct fixture *f = *state;

	ioapic_set_irq(f->io, 2, 1); /* masked: the edge is lost */
	ioapic_set_irq(f->io, 2, 0);
	assert_int_equal(f->n, 0);
	rte(f, 2, 0x30, 0x01);
	ioapic_set_irq(f->io, 2, 1);
	ioapic_set_irq(f->io, 2, 1); /* still high: no new edge */
	assert_int_equal(f->n, 1);
	assert_int_equal(f->m[0].vector, 0x30);
	assert_int_equal(f->m[0].dest, 0x01);
	assert_int_equal(f->m[0].dm, LAPIC_DM_FIXED);
	assert_false(f->m[0].logical);
	assert_false(f->m[0].level);
	ioapic_set_irq(f->io, 2, 0);
	ioapic_set_irq(f->io, 2, 1);
	assert_int_equal(f->n, 2);
	assert_int_equal(reg_rd(f, 0x10 + 4) & REMOTE_IRR, 0);
	/* EOI does nothing to an edge pin. */
	ioapic_eoi(f->io, 0x30);
	assert_int_equal(f->n, 2);
}

static void test_level_remote_irr(void **state)
{
	struct fixture *f = *state;

	rte(f, 9, LEVEL | (1 << 11) | 0x41, 0x02);
	ioapic_set_irq(f->io, 9, 1);
	assert_int_equal(f->n, 1);
	assert_true(f->m[0].level);
	assert_true(f->m[0].logical);
	assert_int_equal(f->m[0].dest, 0x02);
	assert_int_equal(reg_rd(f, 0x10 + 18) & REMOTE_IRR, REMOTE_IRR);
	/* Asserting again while in service sends nothing. */
	ioapic_set_irq(f->io, 9, 1);
	assert_int_equal(f->n, 1);
	/* EOI of another vector: no effect. */
	ioapic_eoi(f->io, 0x42);
	assert_int_equal(reg_rd(f, 0x10 + 18) & REMOTE_IRR, REMOTE_IRR);
	/* EOI while the line is still asserted: delivered again. */
	ioapic_eoi(f->io, 0x41);
	assert_int_equal(f->n, 2);
	assert_int_equal(reg_rd(f, 0x10 + 18) & REMOTE_IRR, REMOTE_IRR);
	/* Line dropped, then EOI: Remote IRR clear, nothing sent. */
	ioapic_set_irq(f->io, 9, 0);
	ioapic_eoi(f->io, 0x41);
	assert_int_equal(f->n, 2);
	assert_int_equal(reg_rd(f, 0x10 + 18) & REMOTE_IRR, 0);
}

static void test_mask(void **state)
{
	struct fixture *f = *state;

	rte(f, 11, MASKED | LEVEL | 0x50, 0);
	ioapic_set_irq(f->io, 11, 1);
	assert_int_equal(f->n, 0);
	/* Unmasking an asserted level pin delivers it. */
	rte(f, 11, LEVEL | 0x50, 0);
	assert_int_equal(f->n, 1);
	assert_int_equal(f->m[0].vector, 0x50);
	/* Masked while in service: EOI clears Remote IRR but sends nothing. */
	rte(f, 11, MASKED | LEVEL | 0x50, 0);
	ioapic_eoi(f->io, 0x50);
	assert_int_equal(f->n, 1);
	assert_int_equal(reg_rd(f, 0x10 + 22) & REMOTE_IRR, 0);
	rte(f, 11, LEVEL | 0x50, 0);
	assert_int_equal(f->n, 2);
	/* Switching to edge drops Remote IRR. */
	rte(f, 11, 0x50, 0);
	assert_int_equal(reg_rd(f, 0x10 + 22) & REMOTE_IRR, 0);
}

static void test_bad_pin_and_reset(void **state)
{
	struct fixture *f = *state;

	ioapic_set_irq(f->io, 24, 1);
	ioapic_set_irq(f->io, 1000, 1);
	assert_int_equal(f->n, 0);
	rte(f, 3, 0x60, 0);
	ioapic_reset(f->io);
	assert_int_equal(reg_rd(f, 0x10 + 6), MASKED);
	assert_int_equal(reg_rd(f, 0x00), 4u << 24);
}

/*
 * Pin 9 level-triggered and in service (Remote IRR set, line still high),
 * pin 4 masked edge with another destination, the ID changed: the loaded
 * IOAPIC saves the same bytes, sends nothing by itself, and re-sends pin 9
 * after the EOI because its line is still asserted.
 */
static void test_save_load(void **state)
{
	struct fixture *f = *state, *g;
	struct saved_state s;
	void *gs;

	reg_wr(f, 0x00, 0x07000000);
	rte(f, 9, LEVEL | 0x39, 1);
	rte(f, 4, MASKED | 0x34, 2);
	ioapic_set_irq(f->io, 9, 1);
	assert_int_equal(f->n, 1);
	s = state_save_one(&ioapic_state_ops, f->io);

	setup(&gs);
	g = gs;
	state_load_and_compare(&ioapic_state_ops, g->io, &s);
	assert_int_equal(g->n, 0);
	assert_int_equal(reg_rd(g, 0x00), 0x07000000);
	assert_int_equal(reg_rd(g, 0x10 + 2 * 9), LEVEL | REMOTE_IRR | 0x39);
	assert_int_equal(reg_rd(g, 0x11 + 2 * 4), 2u << 24);
	ioapic_eoi(g->io, 0x39);
	assert_int_equal(g->n, 1);
	assert_int_equal(g->m[0].vector, 0x39);
	assert_true(g->m[0].level);
	teardown(&gs);
	free(s.data);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_id_version, setup, teardown),
		cmocka_unit_test_setup_teardown(test_redirection_programming, setup, teardown),
		cmocka_unit_test_setup_teardown(test_edge, setup, teardown),
		cmocka_unit_test_setup_teardown(test_level_remote_irr, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mask, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_pin_and_reset, setup, teardown),
		cmocka_unit_test_setup_teardown(test_save_load, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
