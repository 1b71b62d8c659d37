// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * CMOS RTC: time against the host's date (real clock) and against a fixed
 * fake date in BCD/binary and 12/24-hour formats, UIP timing, register C
 * read-to-clear, periodic/update/alarm interrupts on IRQ8, setting the time
 * as Linux's mc146818_set_time() does, the memory-size bytes and the NMI mask.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <time.h>

#include <cmocka.h>

#include "hw/rtc_cmos.h"
#include "state_test_util.h"

#define MS 1000000ull
#define SEC 1000000000ll

struct fixture {
	struct addrspace *pio;
	struct timer_list *tl;
	struct rtc_cmos *r;
	u64 now;
	s64 realtime_at_start;
	int level, edges;
};

static void irq_set(void *opaque, unsigned pin, int level)
{
	struct fixture *f = opaque;

	if (level && !f->level)
		f->edges++;
	f->level = level;
}

static u64 fake_now(void *opaque)
{
	return ((struct fixture *)opaque)->now;
}

static s64 fake_realtime(void *opaque)
{
	struct fixture *f = opaque;

	return f->realtime_at_start + (s64)f->now;
}

static u8 cmos(struct fixture *f, u8 idx)
{
	u64 v = 0;

	as_write(f->pio, 0x70, 1, idx);
	as_read(f->pio, 0x71, 1, &v);
	return (u8)v;
}

static void cmos_set(struct fixture *f, u8 idx, u8 val)
{
	as_write(f->pio, 0x70, 1, idx);
	as_write(f->pio, 0x71, 1, val);
}

static void advance(struct fixture *f, u64 ns)
{
	f->now += ns;
	timer_list_run(f->tl, f->now);
}

static struct fixture *make(bool fake)
{
	struct fixture *f = test_calloc(1, sizeof(*f));
	struct rtc_cmos_config cfg = {0};
	struct tm tm = {.tm_year = 124, .tm_mon = 1, .tm_mday = 29, .tm_hour = 13, .tm_min = 45,
			.tm_sec = 30};

	f->now = 0;
	/* 2024-02-29 13:45:30.250 UTC (a Thursday) at now = 0 */
	f->realtime_at_start = (s64)timegm(&tm) * SEC + 250 * (s64)MS;
	assert_int_equal(as_create(&f->pio, "pio"), 0);
	assert_int_equal(timer_list_create(&f->tl), 0);
	irq_line_init(&cfg.irq, irq_set, f, 8);
	cfg.timers = f->tl;
	cfg.ram_below_4g = 3 * 1024 * MiB;
	cfg.ram_above_4g = 2 * GiB;
	if (fake) {
		cfg.now_ns = fake_now;
		cfg.realtime_ns = fake_realtime;
		cfg.clock_opaque = f;
	}
	assert_int_equal(rtc_cmos_create(&f->r, &cfg), 0);
	assert_int_equal(rtc_cmos_attach(f->r, f->pio), 0);
	return f;
}

static int setup_fake(void **state)
{
	*state = make(true);
	return 0;
}

static int setup_real(void **state)
{
	*state = make(false);
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	rtc_cmos_destroy(f->r);
	as_destroy(f->pio);
	timer_list_destroy(f->tl);
	test_free(f);
	return 0;
}

static unsigned bcd(u8 v)
{
	return (v >> 4) * 10u + (v & 15);
}

/* The host's date, read the way Linux does: wait out UIP, read, check seconds. */
static void test_host_date(void **state)
{
	struct fixture *f = *state;
	struct tm tm, rt = {0};
	time_t host, got;
	u8 sec;

	for (;;) {
		while (cmos(f, 0x0A) & 0x80)
			;
		sec = cmos(f, 0x00);
		rt.tm_min = (int)bcd(cmos(f, 0x02));
		rt.tm_hour = (int)bcd(cmos(f, 0x04));
		rt.tm_mday = (int)bcd(cmos(f, 0x07));
		rt.tm_mon = (int)bcd(cmos(f, 0x08)) - 1;
		rt.tm_year = (int)(bcd(cmos(f, 0x32)) * 100 + bcd(cmos(f, 0x09))) - 1900;
		if (!(cmos(f, 0x0A) & 0x80) && cmos(f, 0x00) == sec)
			break;
	}
	rt.tm_sec = (int)bcd(sec);
	host = time(NULL);
	got = timegm(&rt);
	assert_in_range(got, host - 2, host + 1);
	gmtime_r(&got, &tm);
	assert_int_equal(bcd(cmos(f, 0x06)), tm.tm_wday + 1);
	assert_int_equal(cmos(f, 0x0D), 0x80); /* VRT */
	assert_int_equal(cmos(f, 0x0B) & 0x06, 0x02); /* BCD, 24 h */
}

static void test_formats(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(cmos(f, 0x00), 0x30);
	assert_int_equal(cmos(f, 0x02), 0x45);
	assert_int_equal(cmos(f, 0x04), 0x13);
	assert_int_equal(cmos(f, 0x06), 0x05); /* Thursday */
	assert_int_equal(cmos(f, 0x07), 0x29);
	assert_int_equal(cmos(f, 0x08), 0x02);
	assert_int_equal(cmos(f, 0x09), 0x24);
	assert_int_equal(cmos(f, 0x32), 0x20);
	/* 12-hour BCD: 1 PM */
	cmos_set(f, 0x0B, 0x00);
	assert_int_equal(cmos(f, 0x04), 0x81);
	/* binary 24 h */
	cmos_set(f, 0x0B, 0x06);
	assert_int_equal(cmos(f, 0x04), 13);
	assert_int_equal(cmos(f, 0x09), 24);
	assert_int_equal(cmos(f, 0x32), 20);
	/* binary 12 h */
	cmos_set(f, 0x0B, 0x04);
	assert_int_equal(cmos(f, 0x04), 0x81);
	/* the clock advances, across midnight into March */
	cmos_set(f, 0x0B, 0x02);
	f->now += (10 * 3600 + 14 * 60 + 30) * (u64)SEC;
	assert_int_equal(cmos(f, 0x04), 0x00);
	assert_int_equal(cmos(f, 0x07), 0x01);
	assert_int_equal(cmos(f, 0x08), 0x03);
}

static void test_uip(void **state)
{
	struct fixture *f = *state;

	/* now = 0 is .250 past the second */
	assert_int_equal(cmos(f, 0x0A), 0x26);
	f->now = 750 * MS - 200000; /* 200 us before the boundary */
	assert_int_equal(cmos(f, 0x0A), 0xA6);
	assert_int_equal(cmos(f, 0x00), 0x30);
	f->now = 750 * MS;
	assert_int_equal(cmos(f, 0x0A), 0x26);
	assert_int_equal(cmos(f, 0x00), 0x31);
	f->now = 750 * MS - 300000;
	assert_int_equal(cmos(f, 0x0A), 0x26);
}

static void test_periodic_irq(void **state)
{
	struct fixture *f = *state;
	int n = 0;

	cmos_set(f, 0x0B, 0x02 | 0x40); /* PIE */
	advance(f, MS);
	assert_int_equal(f->level, 1);
	assert_int_equal(cmos(f, 0x0C), 0xC0); /* IRQF | PF */
	assert_int_equal(f->level, 0);
	assert_int_equal(cmos(f, 0x0C), 0x00); /* cleared on read */
	/* 1024 Hz for 100 ms, the handler reading C each time */
	for (int i = 0; i < 1000; i++) {
		advance(f, 100000);
		if (f->level) {
			n++;
			cmos(f, 0x0C);
		}
	}
	assert_in_range(n, 101, 103);
	/* PIE off: PF still shows in C, no interrupt */
	cmos_set(f, 0x0B, 0x02);
	cmos(f, 0x0C);
	advance(f, 2 * MS);
	assert_int_equal(f->level, 0);
	assert_int_equal(cmos(f, 0x0C), 0x40);
	/* rate 0 disables it */
	cmos_set(f, 0x0A, 0x20);
	cmos_set(f, 0x0B, 0x02 | 0x40);
	advance(f, 10 * MS);
	assert_int_equal(f->level, 0);
}

static void test_update_and_alarm(void **state)
{
	struct fixture *f = *state;

	cmos_set(f, 0x0B, 0x02 | 0x10); /* UIE */
	advance(f, 700 * MS);
	assert_int_equal(f->level, 0);
	advance(f, 100 * MS); /* the second boundary at 750 ms */
	assert_int_equal(f->level, 1);
	assert_int_equal(cmos(f, 0x0C) & 0xB0, 0x90); /* PF runs regardless of PIE */
	/* alarm at hh:mm:35, any hour/minute */
	cmos_set(f, 0x01, 0x35);
	cmos_set(f, 0x03, 0xC0);
	cmos_set(f, 0x05, 0xFF);
	cmos_set(f, 0x0B, 0x02 | 0x20); /* AIE only */
	advance(f, 3 * SEC);            /* now 13:45:34.x */
	assert_int_equal(f->level, 0);
	advance(f, SEC);
	assert_int_equal(f->level, 1);
	assert_int_equal(cmos(f, 0x0C) & 0xA0, 0xA0);
	assert_int_equal(cmos(f, 0x00), 0x35);
}

/* drivers/rtc/rtc-mc146818-lib.c mc146818_set_time() */
static void test_set_time(void **state)
{
	struct fixture *f = *state;
	u8 ctl = cmos(f, 0x0B), freq = cmos(f, 0x0A);

	cmos_set(f, 0x0B, ctl | 0x80);
	cmos_set(f, 0x0A, freq | 0x60);
	cmos_set(f, 0x09, 0x99);
	cmos_set(f, 0x08, 0x12);
	cmos_set(f, 0x07, 0x31);
	cmos_set(f, 0x04, 0x23);
	cmos_set(f, 0x02, 0x59);
	cmos_set(f, 0x00, 0x50);
	cmos_set(f, 0x32, 0x20);
	f->now += 5 * SEC;
	assert_int_equal(cmos(f, 0x00), 0x50); /* frozen while SET */
	cmos_set(f, 0x0B, ctl);
	cmos_set(f, 0x0A, freq);
	f->now += 10 * SEC;
	assert_int_equal(cmos(f, 0x00), 0x00);
	assert_int_equal(cmos(f, 0x02), 0x00);
	assert_int_equal(cmos(f, 0x04), 0x00);
	assert_int_equal(cmos(f, 0x07), 0x01);
	assert_int_equal(cmos(f, 0x08), 0x01);
	assert_int_equal(cmos(f, 0x09), 0x00);
	assert_int_equal(cmos(f, 0x32), 0x21);
	/* a single field written while running */
	cmos_set(f, 0x02, 0x30);
	assert_int_equal(cmos(f, 0x02), 0x30);
	assert_int_equal(cmos(f, 0x04), 0x00);
}

static void test_memory_bytes_and_nmi(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(cmos(f, 0x15) | cmos(f, 0x16) << 8, 640);
	assert_int_equal(cmos(f, 0x17) | cmos(f, 0x18) << 8, 0xFFFF);
	assert_int_equal(cmos(f, 0x30) | cmos(f, 0x31) << 8, 0xFFFF);
	assert_int_equal(cmos(f, 0x34) | cmos(f, 0x35) << 8, (3072 - 16) * 16);
	assert_int_equal(cmos(f, 0x5B) | cmos(f, 0x5C) << 8 | cmos(f, 0x5D) << 16, 2 * 1024 * 16);
	/* general-purpose RAM */
	cmos_set(f, 0x40, 0x5A);
	assert_int_equal(cmos(f, 0x40), 0x5A);
	/* NMI mask in bit 7 of the index */
	assert_false(rtc_cmos_nmi_masked(f->r));
	as_write(f->pio, 0x70, 1, 0x80 | 0x40);
	assert_true(rtc_cmos_nmi_masked(f->r));
	{
		u64 v = 0;

		as_read(f->pio, 0x71, 1, &v);
		assert_int_equal(v, 0x5A);
	}
	/* register C/D are read-only */
	cmos_set(f, 0x0D, 0x00);
	assert_int_equal(cmos(f, 0x0D), 0x80);
}

/*
 * An RTC at 13:45:31.5 with the alarm set for hh:mm:35 and AIE on, and a
 * byte of CMOS RAM written: one loaded on a host whose date is a day later
 * and whose monotonic clock is elsewhere saves the same bytes, reads the
 * saved time of day (not the host's), and raises the alarm 3.5 s later.
 */
static void test_save_load(void **state)
{
	struct fixture *f = *state, *g;
	struct saved_state s;
	char err[256];
	u8 *payload;
	size_t plen;

	cmos_set(f, 0x01, 0x35);
	cmos_set(f, 0x03, 0xC0);
	cmos_set(f, 0x05, 0xFF);
	cmos_set(f, 0x0B, 0x02 | 0x20); /* AIE only */
	cmos_set(f, 0x40, 0xAB);
	advance(f, 1250 * MS);
	assert_int_equal(cmos(f, 0x00), 0x31);
	as_write(f->pio, 0x70, 1, 0x0C); /* leave the index at register C */
	s = state_save_one(&rtc_cmos_state_ops, f->r);

	g = make(true);
	g->realtime_at_start += 86400 * SEC;
	g->now = 50 * SEC;
	state_load_and_compare(&rtc_cmos_state_ops, g->r, &s);
	assert_int_equal(cmos(g, 0x40), 0xAB);
	assert_int_equal(cmos(g, 0x00), 0x31);
	assert_int_equal(cmos(g, 0x07), 0x29); /* still the 29th */
	advance(g, 3 * SEC);
	assert_int_equal(g->level, 0);
	advance(g, SEC);
	assert_int_equal(g->level, 1);
	assert_int_equal(cmos(g, 0x0C) & 0xA0, 0xA0);
	teardown((void **)&g);

	payload = state_payload(&s, "rtc_cmos", &plen);
	payload[128] = 0x80; /* index */
	state_reseal(&s, "rtc_cmos");
	g = make(true);
	assert_int_equal(state_load_one(&rtc_cmos_state_ops, g->r, &s, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "CMOS index 0x80"));
	teardown((void **)&g);
	free(s.data);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_host_date, setup_real, teardown),
		cmocka_unit_test_setup_teardown(test_formats, setup_fake, teardown),
		cmocka_unit_test_setup_teardown(test_uip, setup_fake, teardown),
		cmocka_unit_test_setup_teardown(test_periodic_irq, setup_fake, teardown),
		cmocka_unit_test_setup_teardown(test_update_and_alarm, setup_fake, teardown),
		cmocka_unit_test_setup_teardown(test_set_time, setup_fake, teardown),
		cmocka_unit_test_setup_teardown(test_memory_bytes_and_nmi, setup_fake, teardown),
		cmocka_unit_test_setup_teardown(test_save_load, setup_fake, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
