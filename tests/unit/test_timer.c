// SPDX-License-Identifier: GPL-2.0-or-later
/* Device timers: ordering, re-arming, deletion, the earliest-deadline notify. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "include/hover/timer.h"

struct rec {
	int order[8];
	int n;
};

struct tctx {
	struct rec *rec;
	int id;
	struct timer t;
	u64 rearm_period; /* re-arm from the callback, like a periodic PIT */
	unsigned fired;
};

static void fire(void *opaque)
{
	struct tctx *c = opaque;

	c->fired++;
	if (c->rec->n < 8)
		c->rec->order[c->rec->n++] = c->id;
	if (c->rearm_period)
		timer_mod(&c->t, c->t.deadline_ns + c->rearm_period);
}

static void test_fires_in_deadline_order(void **state)
{
	struct timer_list *tl;
	struct rec rec = { 0 };
	struct tctx c[3] = { { .rec = &rec, .id = 0 }, { .rec = &rec, .id = 1 }, { .rec = &rec, .id = 2 } };

	(void)state;
	assert_int_equal(timer_list_create(&tl), 0);
	for (int i = 0; i < 3; i++)
		timer_init(&c[i].t, tl, fire, &c[i]);
	timer_mod(&c[0].t, 300);
	timer_mod(&c[1].t, 100);
	timer_mod(&c[2].t, 200);
	assert_int_equal(timer_list_next_deadline(tl), 100);
	timer_list_run(tl, 250);
	assert_int_equal(rec.n, 2);
	assert_int_equal(rec.order[0], 1);
	assert_int_equal(rec.order[1], 2);
	assert_int_equal(timer_list_next_deadline(tl), 300);
	timer_list_run(tl, 1000);
	assert_int_equal(rec.n, 3);
	assert_int_equal(timer_list_next_deadline(tl), UINT64_MAX);
	timer_list_destroy(tl);
}

static void test_mod_moves_and_del_cancels(void **state)
{
	struct timer_list *tl;
	struct rec rec = { 0 };
	struct tctx a = { .rec = &rec, .id = 1 }, b = { .rec = &rec, .id = 2 };

	(void)state;
	assert_int_equal(timer_list_create(&tl), 0);
	timer_init(&a.t, tl, fire, &a);
	timer_init(&b.t, tl, fire, &b);
	timer_mod(&a.t, 100);
	timer_mod(&b.t, 200);
	timer_mod(&a.t, 300); /* re-arming moves it, never duplicates it */
	timer_del(&b.t);
	timer_del(&b.t); /* deleting twice is harmless */
	timer_list_run(tl, 1000);
	assert_int_equal(rec.n, 1);
	assert_int_equal(rec.order[0], 1);
	assert_int_equal(a.fired, 1);
	assert_int_equal(b.fired, 0);
	timer_list_destroy(tl);
}

static void test_periodic_rearm_from_callback(void **state)
{
	struct timer_list *tl;
	struct rec rec = { 0 };
	struct tctx p = { .rec = &rec, .id = 7 };

	(void)state;
	p.rearm_period = 10;
	assert_int_equal(timer_list_create(&tl), 0);
	timer_init(&p.t, tl, fire, &p);
	timer_mod(&p.t, 10);
	timer_list_run(tl, 45); /* deadlines 10, 20, 30, 40 are due */
	assert_int_equal(p.fired, 4);
	assert_int_equal(timer_list_next_deadline(tl), 50);
	timer_list_destroy(tl);
}

static void test_runaway_rearm_is_bounded(void **state)
{
	struct timer_list *tl;
	struct rec rec = { 0 };
	struct tctx p = { .rec = &rec, .id = 1 };

	(void)state;
	p.rearm_period = 1; /* always due again: must not spin forever */
	assert_int_equal(timer_list_create(&tl), 0);
	timer_init(&p.t, tl, fire, &p);
	timer_mod(&p.t, 1);
	timer_list_run(tl, UINT64_MAX - 1);
	assert_true(p.fired > 0 && p.fired <= 1000);
	timer_list_destroy(tl);
}

static int notified;
static void on_notify(void *opaque)
{
	(void)opaque;
	notified++;
}

static void test_notify_when_head_moves_earlier(void **state)
{
	struct timer_list *tl;
	struct rec rec = { 0 };
	struct tctx a = { .rec = &rec, .id = 1 }, b = { .rec = &rec, .id = 2 };

	(void)state;
	assert_int_equal(timer_list_create(&tl), 0);
	timer_list_set_notify(tl, on_notify, NULL);
	timer_init(&a.t, tl, fire, &a);
	timer_init(&b.t, tl, fire, &b);
	notified = 0;
	timer_mod(&a.t, 100);
	assert_int_equal(notified, 1);
	timer_mod(&b.t, 200); /* later than the head: the event loop need not re-arm */
	assert_int_equal(notified, 1);
	timer_mod(&b.t, 50);
	assert_int_equal(notified, 2);
	timer_list_destroy(tl);
}

static void test_clock_is_monotonic(void **state)
{
	u64 a = clock_ns(), b = clock_ns();

	(void)state;
	assert_true(a > 0);
	assert_true(b >= a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fires_in_deadline_order),
		cmocka_unit_test(test_mod_moves_and_del_cancels),
		cmocka_unit_test(test_periodic_rearm_from_callback),
		cmocka_unit_test(test_runaway_rearm_is_bounded),
		cmocka_unit_test(test_notify_when_head_moves_earlier),
		cmocka_unit_test(test_clock_is_monotonic),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
