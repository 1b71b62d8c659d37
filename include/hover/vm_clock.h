/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The VM clock: the time the guest sees, in nanoseconds. It runs with the
 * host's monotonic clock while the VM runs, stands still while it is paused
 * (or in flight between hosts), and can be set, so a restored guest finds
 * time going on from where its snapshot left it instead of jumping by the
 * time the snapshot sat on disk. Device timers (struct timer_list), the emu
 * engine's TSC and the emu LAPIC timer, PIT, RTC periodic interrupt and ACPI
 * PM timer all count on it; under kvm, kvmclock and the TSC follow the same
 * rule (accel/kvm/state.c).
 *
 * It starts equal to the host's monotonic clock, so until the first pause
 * or set the two agree.
 */
#ifndef HOVER_INCLUDE_VM_CLOCK_H
#define HOVER_INCLUDE_VM_CLOCK_H

#include <pthread.h>
#include <stdatomic.h>

#include "include/hover/types.h"

struct vm_clock {
	/*
	 * A sequence count (odd while a writer changes the rest) lets readers —
	 * vCPU threads reading the TSC, the event loop — go without a lock and
	 * never see time step back across a pause.
	 */
	_Atomic u64 seq;
	_Atomic u64 offset;  /* running: VM time = host monotonic - offset */
	_Atomic u64 frozen;  /* paused: the VM time it stands at */
	_Atomic bool paused;
	pthread_mutex_t lock; /* serialises writers */
};

void vm_clock_init(struct vm_clock *c);
void vm_clock_destroy(struct vm_clock *c);

/* The VM's time now. Any thread. */
u64 vm_clock_now(struct vm_clock *c);
/* Stop and restart it; both idempotent. */
void vm_clock_pause(struct vm_clock *c);
void vm_clock_resume(struct vm_clock *c);
bool vm_clock_paused(struct vm_clock *c);
/*
 * Make the VM time now be ns (restoring a snapshot), paused or not. A
 * restore sets the clock first and the vCPUs' state after: the emu TSC is
 * kept as an offset from this clock, and kvmclock is re-synced to it when
 * the VM resumes (accel_ops.vm_clock_sync).
 */
void vm_clock_set(struct vm_clock *c, u64 ns);
/*
 * The host monotonic time at which the VM clock will read vm_ns, if it keeps
 * running (for arming a host timer); UINT64_MAX while paused.
 */
u64 vm_clock_to_host(struct vm_clock *c, u64 vm_ns);

#endif
