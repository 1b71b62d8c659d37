/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * struct vm: one virtual machine — its RAM, address spaces, timers, vCPUs and
 * the engine running them. No globals: two VMs could share a process.
 *
 * Locking: vm->lock is the device lock. Every device callback (port I/O,
 * MMIO, timer, event-loop handler) runs with it held.
 */
#ifndef HOVER_INCLUDE_VM_H
#define HOVER_INCLUDE_VM_H

#include <pthread.h>
#include <stdatomic.h>

#include "include/hover/addrspace.h"
#include "include/hover/ram.h"
#include "include/hover/regs.h"
#include "include/hover/timer.h"
#include "include/hover/types.h"
#include "include/hover/vm_clock.h"

#define VM_MAX_CPUS 64

struct accel_ops;
struct evloop;

/* Why the VM stopped running. VM_RUNNING while it runs. */
enum vm_stop {
	VM_RUNNING = 0,
	VM_POWEROFF,     /* ACPI S5 or equivalent: exit 0 */
	VM_RESET,        /* guest asked for a reboot */
	VM_TRIPLE_FAULT, /* shutdown: report registers, exit non-zero */
	VM_PANIC,        /* guest kernel panicked */
	VM_QUIT,         /* the user quit (Ctrl-A x) */
	VM_ERROR,        /* host-side failure */
	VM_MIGRATED,     /* handed to a destination that now runs it: exit 0 */
};

/*
 * The interrupt controller a vCPU takes external interrupts from. With the
 * emu engine this is hover's local APIC (hw/lapic.c); with an in-kernel
 * irqchip it is unused.
 */
struct vcpu_intc {
	/* Highest-priority deliverable vector, acknowledged (IRR->ISR); -1 if none. */
	int (*ack)(void *opaque);
	/* The local APIC's MMIO page for this vCPU (per-CPU, so not in vm->mmio). */
	const struct io_ops *mmio_ops;
	void *opaque;
	/* IA32_APIC_BASE MSR access, so the APIC can be relocated or disabled. */
	u64 (*get_base)(void *opaque);
	void (*set_base)(void *opaque, u64 val);
};

/* The threads a VM starts besides the one that built it (see vm_thread_enter). */
enum vm_thread { VM_THREAD_LOOP, VM_THREAD_VCPU, VM_THREAD_IO, VM_THREAD_DISPLAY, VM_THREAD_MIGRATE };
typedef int vm_thread_enter_fn(void *opaque, enum vm_thread kind, unsigned index);

struct vcpu {
	struct vm *vm;
	unsigned index;
	void *accel_data;
	struct vcpu_intc intc;
	pthread_t thread;
};

struct vm {
	pthread_mutex_t lock;
	struct guest_ram ram;
	struct addrspace *pio;
	struct addrspace *mmio;
	struct timer_list *timers; /* on `clock` */
	struct vm_clock clock;     /* guest time: stands still while paused (vm_pause) */
	struct evloop *loop; /* set by whoever runs the event loop; woken on stop */

	const struct accel_ops *accel;
	void *accel_data;

	unsigned ncpus;
	struct vcpu *vcpu[VM_MAX_CPUS];

	/* Set once by whoever stops the VM first; vCPUs and the event loop poll it. */
	_Atomic int stop;
	_Atomic bool stop_claimed;
	char stop_detail[512];
	struct vcpu_regs stop_regs; /* registers at a triple fault */
	bool stop_regs_valid;

	bool debug; /* --debug: log unimplemented opcodes, unclaimed I/O */

	/* Dirty page logging (core/dirty_log.c): one bitmap per RAM region while on. */
	struct {
		_Atomic bool on;
		_Atomic u64 *bits[RAM_MAX_REGIONS];
	} dirty;

	/* Run once by the last vCPU to park, with every vCPU parked (vm_selfcheck.c). */
	void (*on_all_parked)(struct vm *vm);
	struct vm_selfcheck *selfcheck;

	/* Pause (vm_pause/vm_resume): vCPUs park in vcpu_park() at an instruction boundary. */
	_Atomic bool pause_req;
	pthread_mutex_t park_lock;
	pthread_cond_t park_cond;
	unsigned parked; /* vCPUs currently parked, under park_lock */

	/* Called first thing in each thread the VM starts (the sandbox puts that
	 * thread's seccomp filter on there). NULL: nothing to do. */
	vm_thread_enter_fn *thread_enter;
	void *thread_opaque;
};

int vm_create(struct vm **out, u64 ram_size, unsigned ncpus, const struct accel_ops *accel) HOVER_WUR;
/*
 * The same with RAM backed as b says (ram_create_backed: why gets a sentence;
 * b NULL: plain memfd RAM) and a firmware region of rom_size bytes ending at
 * 4 GiB (0: none).
 */
int vm_create_backed(struct vm **out, u64 ram_size, u64 rom_size, unsigned ncpus,
		     const struct accel_ops *accel, const struct ram_backing *b, char *why,
		     size_t whylen) HOVER_WUR;
void vm_destroy(struct vm *vm);

/*
 * A thread of this VM starts (the event loop, vCPU `index`, disk `index`'s I/O
 * thread): run the owner's hook before any guest-facing work. On failure the
 * VM is asked to stop (the thread must not run unconfined) and -errno returned.
 */
int vm_thread_enter(struct vm *vm, enum vm_thread kind, unsigned index);

/* Record why the VM stops (first caller wins) and kick every vCPU. Thread-safe,
 * lock-free: devices call it with vm->lock held. */
void vm_request_stop(struct vm *vm, enum vm_stop why, const char *fmt, ...) HOVER_PRINTF(3, 4);
static inline enum vm_stop vm_stopped(struct vm *vm)
{
	return (enum vm_stop)atomic_load_explicit(&vm->stop, memory_order_acquire);
}

/*
 * Device DMA wrote guest RAM [gpa, gpa+len): tell the engine (the software
 * CPU drops code it decoded from those bytes) and, while dirty logging is
 * on, mark the pages. Any thread.
 */
void vm_ram_written(struct vm *vm, u64 gpa, u64 len);

/*
 * A device's memory mapped like RAM (ram_add_device) at gpa: add the region
 * and have the engine map it. Before the vCPUs run. *region: its number.
 */
int vm_ram_add_device(struct vm *vm, u64 gpa, u64 size, unsigned *region) HOVER_WUR;

/* The guest's time in ns (vm_clock.h): does not advance while the VM is paused. */
static inline u64 vm_clock_ns(struct vm *vm)
{
	return vm_clock_now(&vm->clock);
}

/*
 * Dirty page logging, for live migration (core/dirty_log.c). start: from now
 * on every guest RAM write (by a vCPU or device DMA) marks its 4 KiB page;
 * -ENOTSUP if the engine cannot. sync: get and clear the marks of RAM region
 * `region` into bitmap (vm_dirty_bitmap_words() u64s; bit i = page i of the
 * region); any thread but without vm->lock held (it may wait for running
 * vCPUs to reach an instruction boundary, and one may be waiting for the
 * lock); copy the pages after it returned.
 * stop: no more marking. When logging is off, nothing is tracked and guest
 * writes cost nothing extra.
 */
int vm_dirty_log_start(struct vm *vm) HOVER_WUR;
int vm_dirty_log_sync(struct vm *vm, unsigned region, u64 *bitmap) HOVER_WUR;
void vm_dirty_log_stop(struct vm *vm);
size_t vm_dirty_bitmap_words(struct vm *vm, unsigned region);
/* Mark [gpa, gpa+len) written (engines; vm_ram_written does it for DMA). Any thread. */
void vm_dirty_mark(struct vm *vm, u64 gpa, u64 len);
/* vm_destroy's: free the bitmaps. */
void vm_dirty_log_destroy(struct vm *vm);

/*
 * --debug self-check of vcpu_get_state/vcpu_set_state and the dirty log on
 * the running guest, every every_ns of VM time, a few times
 * (core/vm_selfcheck.c). Call with the event loop not yet running.
 */
int vm_selfcheck_arm(struct vm *vm, u64 every_ns) HOVER_WUR;
void vm_selfcheck_destroy(struct vm *vm);

/* Wake a vCPU: a new interrupt may be deliverable, or the VM is stopping. */
void vcpu_kick(struct vcpu *vcpu);

/*
 * Pause and resume, shared by every engine. vm_pause() asks each vCPU to stop
 * at its next instruction boundary and returns at once (it may be called with
 * vm->lock held, which a running vCPU may be waiting for). An engine's
 * vcpu_run, when kicked, calls vcpu_park() whenever vm_pause_requested(): the
 * vCPU thread sleeps there until vm_resume() or a stop request. The VM clock
 * stops with vm_pause() and goes on with vm_resume().
 */
void vm_pause(struct vm *vm);
void vm_resume(struct vm *vm);
static inline bool vm_pause_requested(struct vm *vm)
{
	return atomic_load_explicit(&vm->pause_req, memory_order_acquire);
}
/* Number of vCPUs parked right now (all of them once a pause has taken effect). */
unsigned vm_parked_vcpus(struct vm *vm);
void vcpu_park(struct vcpu *vcpu);

#endif
