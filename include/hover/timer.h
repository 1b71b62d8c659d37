/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Device timers on the host's monotonic clock. Each VM owns a timer list
 * (struct timer_list); the VM's event loop fires expired timers with the VM
 * lock held. timer_mod()/timer_del() are called with the VM lock held too.
 */
#ifndef HOVER_INCLUDE_TIMER_H
#define HOVER_INCLUDE_TIMER_H

#include "include/hover/types.h"

typedef void timer_fn(void *opaque);

struct timer_list;

struct timer {
	struct timer_list *list;
	timer_fn *cb;
	void *opaque;
	u64 deadline_ns; /* absolute, clock_ns() time base */
	bool armed;
	struct timer *next;
};

/* CLOCK_MONOTONIC in nanoseconds. */
u64 clock_ns(void);

int timer_list_create(struct timer_list **out) HOVER_WUR;
void timer_list_destroy(struct timer_list *tl);
/* Earliest armed deadline, or UINT64_MAX if none. */
u64 timer_list_next_deadline(struct timer_list *tl);
/* Run every timer whose deadline is <= now. Callbacks may re-arm themselves. */
void timer_list_run(struct timer_list *tl, u64 now);
/* Called (with the lock held) when the earliest deadline may have moved earlier. */
void timer_list_set_notify(struct timer_list *tl, void (*notify)(void *opaque), void *opaque);

void timer_init(struct timer *t, struct timer_list *tl, timer_fn *cb, void *opaque);
void timer_mod(struct timer *t, u64 deadline_ns);
void timer_del(struct timer *t);

#endif
