// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Per-VM device timers: a singly linked list sorted by deadline. Few timers
 * exist (PIT, RTC, LAPIC per vCPU, UART), so sorted insertion is cheap, and
 * the earliest deadline — what the event loop sleeps until — is the head.
 */
#include <errno.h>
#include <stdlib.h>
#include <time.h>

#include "include/hover/timer.h"
#include "include/hover/vm_clock.h"

struct timer_list {
	struct timer *head;
	struct vm_clock *clock; /* NULL: deadlines are host monotonic times */
	void (*notify)(void *opaque);
	void *notify_opaque;
};

u64 clock_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (u64)ts.tv_sec * 1000000000ULL + (u64)ts.tv_nsec;
}

int timer_list_create(struct timer_list **out)
{
	struct timer_list *tl = calloc(1, sizeof(*tl));

	if (!tl)
		return -ENOMEM;
	*out = tl;
	return 0;
}

void timer_list_destroy(struct timer_list *tl)
{
	free(tl);
}

void timer_list_set_notify(struct timer_list *tl, void (*notify)(void *opaque), void *opaque)
{
	tl->notify = notify;
	tl->notify_opaque = opaque;
}

void timer_list_set_clock(struct timer_list *tl, struct vm_clock *c)
{
	tl->clock = c;
}

u64 timer_list_now(struct timer_list *tl)
{
	return tl->clock ? vm_clock_now(tl->clock) : clock_ns();
}

u64 timer_now(const struct timer *t)
{
	return timer_list_now(t->list);
}

u64 timer_list_next_deadline(struct timer_list *tl)
{
	return tl->head ? tl->head->deadline_ns : UINT64_MAX;
}

u64 timer_list_next_host_deadline(struct timer_list *tl)
{
	if (!tl->head)
		return UINT64_MAX;
	return tl->clock ? vm_clock_to_host(tl->clock, tl->head->deadline_ns) : tl->head->deadline_ns;
}

void timer_init(struct timer *t, struct timer_list *tl, timer_fn *cb, void *opaque)
{
	t->list = tl;
	t->cb = cb;
	t->opaque = opaque;
	t->deadline_ns = 0;
	t->armed = false;
	t->next = NULL;
}

static void unlink_timer(struct timer *t)
{
	struct timer **pp = &t->list->head;

	while (*pp && *pp != t)
		pp = &(*pp)->next;
	if (*pp)
		*pp = t->next;
	t->next = NULL;
	t->armed = false;
}

void timer_del(struct timer *t)
{
	if (t->armed)
		unlink_timer(t);
}

void timer_mod(struct timer *t, u64 deadline_ns)
{
	struct timer_list *tl = t->list;
	struct timer **pp;

	if (t->armed)
		unlink_timer(t);
	t->deadline_ns = deadline_ns;
	pp = &tl->head;
	while (*pp && (*pp)->deadline_ns <= deadline_ns)
		pp = &(*pp)->next;
	t->next = *pp;
	*pp = t;
	t->armed = true;
	if (tl->head == t && tl->notify)
		tl->notify(tl->notify_opaque);
}

void timer_list_run(struct timer_list *tl, u64 now)
{
	/* Bounded so a timer that keeps re-arming in the past cannot spin us forever. */
	for (unsigned budget = 1000; budget && tl->head && tl->head->deadline_ns <= now; budget--) {
		struct timer *t = tl->head;

		tl->head = t->next;
		t->next = NULL;
		t->armed = false;
		t->cb(t->opaque);
	}
}
