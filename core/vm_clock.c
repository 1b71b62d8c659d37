// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The VM clock (include/hover/vm_clock.h): host monotonic time minus an
 * offset that grows by every pause, under a sequence count.
 *
 * Why a sequence count rather than two plain atomics: a reader that found
 * the clock running could sample the host clock just after a pausing writer
 * did, and return a time later than the one the clock then stands at; the
 * next reader would see time step back. A writer makes the count odd before
 * it samples the host clock and even again after it published, and a reader
 * retries if the count was odd or moved, so every value returned was valid
 * at some instant between two writes.
 */
#include <stdint.h>

#include "include/hover/timer.h"
#include "include/hover/vm_clock.h"

void vm_clock_init(struct vm_clock *c)
{
	atomic_init(&c->seq, 0);
	atomic_init(&c->offset, 0);
	atomic_init(&c->frozen, 0);
	atomic_init(&c->paused, false);
	pthread_mutex_init(&c->lock, NULL);
}

void vm_clock_destroy(struct vm_clock *c)
{
	pthread_mutex_destroy(&c->lock);
}

u64 vm_clock_now(struct vm_clock *c)
{
	for (;;) {
		u64 s1 = atomic_load(&c->seq), v, s2;

		if (s1 & 1)
			continue;
		if (atomic_load(&c->paused))
			v = atomic_load(&c->frozen);
		else
			v = clock_ns() - atomic_load(&c->offset);
		s2 = atomic_load(&c->seq);
		if (s1 == s2)
			return v;
	}
}

/* Writers: with c->lock held, between write_begin() and write_end(). */
static void write_begin(struct vm_clock *c)
{
	atomic_fetch_add(&c->seq, 1);
}

static void write_end(struct vm_clock *c)
{
	atomic_fetch_add(&c->seq, 1);
}

void vm_clock_pause(struct vm_clock *c)
{
	pthread_mutex_lock(&c->lock);
	if (!atomic_load(&c->paused)) {
		write_begin(c);
		atomic_store(&c->frozen, clock_ns() - atomic_load(&c->offset));
		atomic_store(&c->paused, true);
		write_end(c);
	}
	pthread_mutex_unlock(&c->lock);
}

void vm_clock_resume(struct vm_clock *c)
{
	pthread_mutex_lock(&c->lock);
	if (atomic_load(&c->paused)) {
		write_begin(c);
		atomic_store(&c->offset, clock_ns() - atomic_load(&c->frozen));
		atomic_store(&c->paused, false);
		write_end(c);
	}
	pthread_mutex_unlock(&c->lock);
}

bool vm_clock_paused(struct vm_clock *c)
{
	return atomic_load(&c->paused);
}

void vm_clock_set(struct vm_clock *c, u64 ns)
{
	pthread_mutex_lock(&c->lock);
	write_begin(c);
	if (atomic_load(&c->paused))
		atomic_store(&c->frozen, ns);
	else
		atomic_store(&c->offset, clock_ns() - ns);
	write_end(c);
	pthread_mutex_unlock(&c->lock);
}

u64 vm_clock_to_host(struct vm_clock *c, u64 vm_ns)
{
	for (;;) {
		u64 s1 = atomic_load(&c->seq), v, s2;

		if (s1 & 1)
			continue;
		v = atomic_load(&c->paused) ? UINT64_MAX : vm_ns + atomic_load(&c->offset);
		s2 = atomic_load(&c->seq);
		if (s1 == s2)
			return v;
	}
}
