/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Device timers. Each VM owns a timer list (struct timer_list); the VM's
 * event loop fires expired timers with the VM lock held. timer_mod()/
 * timer_del() are called with the VM lock held too.
 *
 * Deadlines are on the list's clock: the VM clock (vm_clock.h) once
 * timer_list_set_clock() gave it one, so device timers stand still while the
 * VM is paused; else the host's monotonic clock. Whoever arms a timer takes
 * "now" from timer_now()/timer_list_now(), never from clock_ns().
 */
#ifndef HOVER_INCLUDE_TIMER_H
#define HOVER_INCLUDE_TIMER_H

#include "include/hover/types.h"

typedef void timer_fn(void *opaque);

struct timer_list;
struct vm_clock;

struct timer {
	struct timer_list *list;
	timer_fn *cb;
	void *opaque;
	u64 deadline_ns; /* absolute, on the list's clock */
	bool armed;
	struct timer *next;
};

/* CLOCK_MONOTONIC in nanoseconds. */
u64 clock_ns(void);

int timer_list_create(struct timer_list **out) HOVER_WUR;
void timer_list_destroy(struct timer_list *tl);
/* Count deadlines on c from now on (NULL: the host's monotonic clock). */
void timer_list_set_clock(struct timer_list *tl, struct vm_clock *c);
/* The list's time now. */
u64 timer_list_now(struct timer_list *tl);
/* Earliest armed deadline, or UINT64_MAX if none. */
u64 timer_list_next_deadline(struct timer_list *tl);
/* The same as a host monotonic time, for a timerfd; UINT64_MAX if none or the clock is paused. */
u64 timer_list_next_host_deadline(struct timer_list *tl);
/* Run every timer whose deadline is <= now. Callbacks may re-arm themselves. */
void timer_list_run(struct timer_list *tl, u64 now);
/* Called (with the lock held) when the earliest deadline may have moved earlier. */
void timer_list_set_notify(struct timer_list *tl, void (*notify)(void *opaque), void *opaque);

void timer_init(struct timer *t, struct timer_list *tl, timer_fn *cb, void *opaque);
/* Now on t's list's clock (t must have been timer_init()ed). */
u64 timer_now(const struct timer *t);
void timer_mod(struct timer *t, u64 deadline_ns);
void timer_del(struct timer *t);

#endif
