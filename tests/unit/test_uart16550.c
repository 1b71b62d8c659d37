// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * 16550A UART: register semantics, Linux's 8250 autoconfig and startup
 * sequences, interrupt identification priorities, FIFO trigger/timeout,
 * overrun, flow-controlled input. Driven through the port address space with
 * a fake clock and a fake IRQ line.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "hw/uart16550.h"
#include "state_test_util.h"

#define BASE 0x3F8
enum { RBR = 0, IER = 1, IIR = 2, FCR = 2, LCR = 3, MCR = 4, LSR = 5, MSR = 6, SCR = 7 };

struct fixture {
	struct addrspace *pio;
	struct timer_list *tl;
	struct uart16550 *u;
	u64 now;
	int level, edges;
	u8 tx[256];
	size_t ntx;
	int rx_ready_calls;
};

static void irq_set(void *opaque, unsigned pin, int level)
{
	struct fixture *f = opaque;

	if (level && !f->level)
		f->edges++;
	f->level = level;
}

static void tx(void *opaque, const u8 *buf, size_t len)
{
	struct fixture *f = opaque;

	for (size_t i = 0; i < len && f->ntx < sizeof(f->tx); i++)
		f->tx[f->ntx++] = buf[i];
}

static void rx_ready(void *opaque)
{
	struct fixture *f = opaque;

	f->rx_ready_calls++;
}

static u64 fake_now(void *opaque)
{
	return ((struct fixture *)opaque)->now;
}

static u8 in(struct fixture *f, unsigned reg)
{
	u64 v = 0;

	as_read(f->pio, BASE + reg, 1, &v);
	return (u8)v;
}

static void out(struct fixture *f, unsigned reg, u8 v)
{
	as_write(f->pio, BASE + reg, 1, v);
}

static void advance(struct fixture *f, u64 ns)
{
	f->now += ns;
	timer_list_run(f->tl, f->now);
}

static int setup(void **state)
{
	struct fixture *f = test_calloc(1, sizeof(*f));
	struct uart16550_config cfg = {0};

	f->now = 1000000000ull;
	assert_int_equal(as_create(&f->pio, "pio"), 0);
	assert_int_equal(timer_list_create(&f->tl), 0);
	irq_line_init(&cfg.irq, irq_set, f, 4);
	cfg.timers = f->tl;
	cfg.tx = tx;
	cfg.rx_ready = rx_ready;
	cfg.opaque = f;
	cfg.now_ns = fake_now;
	cfg.clock_opaque = f;
	assert_int_equal(uart16550_create(&f->u, &cfg), 0);
	assert_int_equal(uart16550_attach(f->u, f->pio, BASE), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	uart16550_destroy(f->u);
	as_destroy(f->pio);
	timer_list_destroy(f->tl);
	test_free(f);
	return 0;
}

static void test_registers(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(in(f, LSR), 0x60); /* THRE | TEMT, no data */
	assert_int_equal(in(f, IIR), 0x01);
	out(f, SCR, 0xA5);
	assert_int_equal(in(f, SCR), 0xA5);
	out(f, LCR, 0x80 | 0x03);
	out(f, RBR, 0x0C); /* DLL */
	out(f, IER, 0x00); /* DLM */
	assert_int_equal(in(f, RBR), 0x0C);
	assert_int_equal(in(f, IER), 0x00);
	out(f, LCR, 0x03);
	assert_int_equal(in(f, LCR), 0x03);
	out(f, IER, 0xFF);
	assert_int_equal(in(f, IER), 0x0F); /* bits 7:4 always zero */
	out(f, MCR, 0xFF);
	assert_int_equal(in(f, MCR), 0x1F);
	/* Without loopback a terminal is attached: CTS DSR DCD. */
	out(f, MCR, 0x00);
	assert_int_equal(in(f, MSR) & 0xF0, 0xB0);
}

/* drivers/tty/serial/8250/8250_port.c autoconfig() and autoconfig_16550a(). */
static void test_linux_autoconfig(void **state)
{
	struct fixture *f = *state;
	u8 save_mcr, status1, status2;

	/* IER test */
	out(f, IER, 0);
	assert_int_equal(in(f, IER) & 0x0F, 0);
	out(f, IER, 0x0F);
	assert_int_equal(in(f, IER) & 0x0F, 0x0F);
	out(f, IER, 0);
	/* loopback test */
	save_mcr = in(f, MCR);
	out(f, MCR, 0x10 | 0x0A);
	assert_int_equal(in(f, MSR) & 0xF0, 0x90);
	out(f, MCR, save_mcr);
	/* no EFR: with LCR = 0xBF offset 2 still reads IIR */
	out(f, LCR, 0xBF);
	assert_int_not_equal(in(f, 2), 0);
	out(f, LCR, 0);
	/* FIFO detection */
	out(f, FCR, 0x01);
	assert_int_equal(in(f, IIR) >> 6, 3);
	/* not a NatSemi part: EXCR1 (offset 2 with LCR 0xE0) does not track MCR.LOOP */
	out(f, LCR, 0);
	status1 = in(f, MCR);
	out(f, LCR, 0xE0);
	status2 = in(f, 2);
	out(f, LCR, 0);
	out(f, MCR, status1 ^ 0x10);
	out(f, LCR, 0xE0);
	assert_int_equal((in(f, 2) ^ status2) & 0x10, 0);
	out(f, LCR, 0);
	out(f, MCR, status1);
	/* not a 16750: IIR bit 5 stays clear whatever FCR bit 5 says */
	out(f, FCR, 0x01 | 0x20);
	assert_int_equal(in(f, IIR) >> 5, 6);
	out(f, LCR, 0x80);
	out(f, FCR, 0x01 | 0x20);
	assert_int_equal(in(f, IIR) >> 5, 6);
	out(f, LCR, 0);
	/* not XScale: IER bit 6 does not stick */
	out(f, IER, 0x40);
	assert_int_equal(in(f, IER) & 0x40, 0);
	/* startup: LSR is not 0xFF */
	assert_int_not_equal(in(f, LSR), 0xFF);
}

/* serial8250_do_startup()'s THRE re-assertion test, and the IRQ gating by OUT2. */
static void test_thre_interrupt(void **state)
{
	struct fixture *f = *state;

	out(f, LCR, 0x03);
	out(f, MCR, 0x08); /* OUT2 */
	out(f, IER, 0x02);
	assert_int_equal(f->level, 1);
	assert_int_equal(in(f, IIR) & 0x0F, 0x02);
	assert_int_equal(f->level, 0); /* reading IIR cleared it */
	assert_int_equal(in(f, IIR) & 0x0F, 0x01);
	out(f, IER, 0);
	out(f, IER, 0x02);
	assert_int_equal(in(f, IIR) & 0x0F, 0x02);
	/* Each byte transmitted re-arms THRE. */
	out(f, RBR, 'h');
	out(f, RBR, 'i');
	assert_int_equal(f->ntx, 2);
	assert_memory_equal(f->tx, "hi", 2);
	assert_int_equal(f->level, 1);
	assert_int_equal(in(f, LSR) & 0x60, 0x60);
	/* No OUT2, no interrupt on the bus. */
	out(f, MCR, 0x00);
	assert_int_equal(f->level, 0);
	out(f, MCR, 0x08);
	assert_int_equal(f->level, 1);
	out(f, IER, 0);
	assert_int_equal(f->level, 0);
}

static void test_rx_trigger_and_timeout(void **state)
{
	struct fixture *f = *state;

	out(f, LCR, 0x03);
	out(f, MCR, 0x08);
	out(f, FCR, 0x01 | 0x06 | 0x40); /* enable, clear, trigger 4 */
	out(f, IER, 0x01);
	assert_int_equal(uart16550_receive(f->u, (const u8 *)"ab", 2), 2);
	assert_int_equal(in(f, LSR) & 0x01, 0x01);
	assert_int_equal(in(f, IIR) & 0x0F, 0x01); /* below the trigger level */
	assert_int_equal(f->level, 0);
	/* 4 character times at 115200 8N1 are ~347 us */
	advance(f, 200000);
	assert_int_equal(f->level, 0);
	advance(f, 200000);
	assert_int_equal(f->level, 1);
	assert_int_equal(in(f, IIR) & 0x0F, 0x0C);
	assert_int_equal(in(f, RBR), 'a');
	assert_int_equal(f->level, 0); /* a read resets the timeout */
	assert_int_equal(in(f, RBR), 'b');
	assert_int_equal(in(f, LSR) & 0x01, 0);
	advance(f, 1000000);
	assert_int_equal(f->level, 0);
	/* Reaching the trigger level interrupts at once. */
	assert_int_equal(uart16550_receive(f->u, (const u8 *)"wxyz", 4), 4);
	assert_int_equal(f->level, 1);
	assert_int_equal(in(f, IIR), 0xC4);
	for (int i = 0; i < 4; i++)
		assert_int_equal(in(f, RBR), "wxyz"[i]);
	assert_int_equal(f->level, 0);
}

static void test_non_fifo_mode(void **state)
{
	struct fixture *f = *state;

	out(f, MCR, 0x08);
	out(f, IER, 0x01);
	assert_int_equal(uart16550_receive(f->u, (const u8 *)"xy", 2), 1);
	assert_int_equal(f->level, 1);
	assert_int_equal(in(f, IIR), 0x04);
	assert_int_equal(in(f, RBR), 'x');
	assert_int_equal(f->rx_ready_calls, 1);
}

static void test_flow_control(void **state)
{
	struct fixture *f = *state;
	u8 buf[20];

	memset(buf, 'q', sizeof(buf));
	out(f, FCR, 0x07);
	assert_true(uart16550_can_receive(f->u));
	assert_int_equal(uart16550_receive(f->u, buf, sizeof(buf)), 16);
	assert_false(uart16550_can_receive(f->u));
	assert_int_equal(uart16550_receive(f->u, buf, 4), 0);
	assert_int_equal(f->rx_ready_calls, 0);
	in(f, RBR);
	assert_int_equal(f->rx_ready_calls, 1);
	assert_int_equal(uart16550_receive(f->u, buf, 4), 1);
	assert_int_equal(in(f, LSR) & 0x02, 0); /* no overrun: the backend waited */
}

static void test_loopback_overrun(void **state)
{
	struct fixture *f = *state;

	out(f, LCR, 0x03); /* 8 data bits: at reset LCR selects 5 */
	out(f, FCR, 0x07);
	out(f, MCR, 0x10);
	assert_false(uart16550_can_receive(f->u)); /* input is disconnected in loopback */
	for (int i = 0; i < 17; i++)
		out(f, RBR, (u8)('A' + i));
	assert_int_equal(f->ntx, 0); /* nothing leaves the chip */
	assert_int_equal(in(f, LSR) & 0x03, 0x03); /* DR | OE */
	assert_int_equal(in(f, LSR) & 0x02, 0);    /* OE cleared by the read */
	for (int i = 0; i < 16; i++)
		assert_int_equal(in(f, RBR), 'A' + i);
	assert_int_equal(in(f, LSR) & 0x01, 0);
}

static void test_priorities(void **state)
{
	struct fixture *f = *state;

	out(f, FCR, 0x07); /* trigger level 1 */
	out(f, MCR, 0x10); /* loopback; IRQ not on the bus, IIR still works */
	in(f, MSR);
	out(f, IER, 0x0F);
	/* THRE is pending from enabling ETBEI */
	assert_int_equal(in(f, IIR) & 0x0F, 0x02);
	out(f, MCR, 0x10 | 0x02); /* RTS -> CTS: a modem status change */
	assert_int_equal(in(f, IIR) & 0x0F, 0x00);
	for (int i = 0; i < 17; i++)
		out(f, RBR, 'x');
	assert_int_equal(in(f, IIR) & 0x0F, 0x06); /* line status (overrun) first */
	in(f, LSR);
	assert_int_equal(in(f, IIR) & 0x0F, 0x04); /* then received data */
	out(f, FCR, 0x03);                          /* flush RX */
	assert_int_equal(in(f, IIR) & 0x0F, 0x02);  /* then THRE (re-armed by the writes) */
	assert_int_equal(in(f, IIR) & 0x0F, 0x00);  /* then modem status */
	assert_int_equal(in(f, MSR) & 0x01, 0x01);  /* DCTS */
	assert_int_equal(in(f, IIR) & 0x0F, 0x01);
}

static void test_reset(void **state)
{
	struct fixture *f = *state;

	out(f, MCR, 0x08);
	out(f, IER, 0x02);
	assert_int_equal(f->level, 1);
	uart16550_reset(f->u);
	assert_int_equal(f->level, 0);
	assert_int_equal(in(f, IER), 0);
	assert_int_equal(in(f, MCR), 0);
}

/*
 * Save a UART with the FIFO on, three bytes waiting, ETBEI and ERBFI set and
 * the character timeout armed; a fresh UART loaded from it saves the same
 * bytes, hands out the same characters in order, and raises the timeout
 * interrupt when the original would have.
 */
static void test_save_load(void **state)
{
	struct fixture *f = *state, *g;
	struct saved_state s;
	void *gs;
	char err[256];
	u8 *payload;
	size_t plen;

	out(f, LCR, 0x03);
	out(f, FCR, 0x01 | 0xC0); /* FIFO on, trigger 14: three bytes wait for the timeout */
	out(f, IER, 0x03);
	out(f, MCR, 0x08);
	out(f, SCR, 0x5A);
	assert_int_equal(uart16550_receive(f->u, (const u8 *)"abc", 3), 3);
	advance(f, 1000); /* part of the way to the timeout */
	s = state_save_one(&uart16550_state_ops, f->u);

	setup(&gs);
	g = gs;
	g->now = f->now + 12345678; /* a later clock on the loading side */
	state_load_and_compare(&uart16550_state_ops, g->u, &s);
	assert_int_equal(in(g, SCR), 0x5A);
	assert_int_equal(in(g, IER), 0x03);
	assert_int_equal(in(g, LSR) & 1, 1);
	/* The THRE interrupt was pending (ETBEI set): IIR reports it first. */
	assert_int_equal(in(g, IIR) & 0x0F, 0x02);
	assert_int_equal(in(g, IIR) & 0x0F, 0x01);
	/* No timeout yet: it is due 4 characters after the last receive, not earlier. */
	advance(g, 1000);
	assert_int_equal(in(g, IIR) & 0x0F, 0x01);
	advance(g, 4 * 87000);
	assert_int_equal(in(g, IIR) & 0x0F, 0x0C);
	assert_int_equal(in(g, RBR), 'a');
	assert_int_equal(in(g, RBR), 'b');
	assert_int_equal(in(g, RBR), 'c');
	assert_int_equal(in(g, LSR) & 1, 0);
	assert_true(g->rx_ready_calls > 0); /* the new backend is asked for input */
	teardown(&gs);

	/* A FIFO count the UART cannot have is refused, with the value. */
	payload = state_payload(&s, "uart16550", &plen);
	payload[9 + UART16550_FIFO_SIZE + 1] = 17;
	state_reseal(&s, "uart16550");
	setup(&gs);
	g = gs;
	assert_int_equal(state_load_one(&uart16550_state_ops, g->u, &s, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "RX FIFO head 0 count 17"));
	teardown(&gs);
	free(s.data);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_registers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_linux_autoconfig, setup, teardown),
		cmocka_unit_test_setup_teardown(test_thre_interrupt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rx_trigger_and_timeout, setup, teardown),
		cmocka_unit_test_setup_teardown(test_non_fifo_mode, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flow_control, setup, teardown),
		cmocka_unit_test_setup_teardown(test_loopback_overrun, setup, teardown),
		cmocka_unit_test_setup_teardown(test_priorities, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reset, setup, teardown),
		cmocka_unit_test_setup_teardown(test_save_load, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
