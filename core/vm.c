// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * struct vm lifecycle: RAM, address spaces, timers, the engine and its vCPUs,
 * and the one-shot stop request that ends a run.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "include/hover/accel.h"
#include "include/hover/evloop.h"
#include "include/hover/log.h"
#include "include/hover/vm.h"

int vm_create(struct vm **out, u64 ram_size, unsigned ncpus, const struct accel_ops *accel)
{
	return vm_create_backed(out, ram_size, 0, ncpus, accel, NULL, NULL, 0);
}

int vm_create_backed(struct vm **out, u64 ram_size, u64 rom_size, unsigned ncpus,
		     const struct accel_ops *accel, const struct ram_backing *backing, char *why,
		     size_t whylen)
{
	struct vm *vm;
	int ret;

	if (ncpus == 0 || ncpus > VM_MAX_CPUS)
		return -EINVAL;
	vm = calloc(1, sizeof(*vm));
	if (!vm)
		return -ENOMEM;
	pthread_mutex_init(&vm->lock, NULL);
	pthread_mutex_init(&vm->park_lock, NULL);
	pthread_cond_init(&vm->park_cond, NULL);
	vm->accel = accel;
	ret = ram_create_backed(&vm->ram, ram_size, backing, why, whylen);
	if (ret)
		goto err_ram;
	/* Before the engine maps RAM (vm_init), so that it maps this region too. */
	if (rom_size && (ret = ram_add_region(&vm->ram, RAM_HIGH_BASE - rom_size, rom_size))) {
		ram_destroy(&vm->ram);
		goto err_ram;
	}
	ret = as_create(&vm->pio, "pio");
	if (ret)
		goto err_pio;
	ret = as_create(&vm->mmio, "mmio");
	if (ret)
		goto err_mmio;
	vm_clock_init(&vm->clock);
	ret = timer_list_create(&vm->timers);
	if (ret)
		goto err_timers;
	timer_list_set_clock(vm->timers, &vm->clock);
	ret = accel->vm_init(vm);
	if (ret)
		goto err_accel;
	for (unsigned i = 0; i < ncpus; i++) {
		struct vcpu *v = calloc(1, sizeof(*v));

		if (!v) {
			ret = -ENOMEM;
			goto err_vcpu;
		}
		v->vm = vm;
		v->index = i;
		vm->vcpu[i] = v;
		vm->ncpus = i + 1;
		ret = accel->vcpu_init(v);
		if (ret) {
			vm->vcpu[i] = NULL;
			vm->ncpus = i;
			free(v);
			goto err_vcpu;
		}
	}
	*out = vm;
	return 0;

err_vcpu:
	for (unsigned i = 0; i < vm->ncpus; i++) {
		accel->vcpu_destroy(vm->vcpu[i]);
		free(vm->vcpu[i]);
	}
	accel->vm_destroy(vm);
err_accel:
	timer_list_destroy(vm->timers);
err_timers:
	vm_clock_destroy(&vm->clock);
	as_destroy(vm->mmio);
err_mmio:
	as_destroy(vm->pio);
err_pio:
	ram_destroy(&vm->ram);
err_ram:
	pthread_cond_destroy(&vm->park_cond);
	pthread_mutex_destroy(&vm->park_lock);
	pthread_mutex_destroy(&vm->lock);
	free(vm);
	return ret;
}

void vm_destroy(struct vm *vm)
{
	if (!vm)
		return;
	vm_selfcheck_destroy(vm);
	vm_dirty_log_stop(vm);
	for (unsigned i = 0; i < vm->ncpus; i++) {
		vm->accel->vcpu_destroy(vm->vcpu[i]);
		free(vm->vcpu[i]);
	}
	vm->accel->vm_destroy(vm);
	timer_list_destroy(vm->timers);
	vm_clock_destroy(&vm->clock);
	vm_dirty_log_destroy(vm);
	as_destroy(vm->mmio);
	as_destroy(vm->pio);
	ram_destroy(&vm->ram);
	pthread_cond_destroy(&vm->park_cond);
	pthread_mutex_destroy(&vm->park_lock);
	pthread_mutex_destroy(&vm->lock);
	free(vm);
}

void vm_request_stop(struct vm *vm, enum vm_stop why, const char *fmt, ...)
{
	va_list ap;

	/* The one winner writes the detail, then publishes the reason. */
	if (atomic_exchange(&vm->stop_claimed, true))
		return;
	va_start(ap, fmt);
	vsnprintf(vm->stop_detail, sizeof(vm->stop_detail), fmt, ap);
	va_end(ap);
	atomic_store_explicit(&vm->stop, (int)why, memory_order_release);
	/* Parked vCPUs wake up to see the stop. */
	pthread_mutex_lock(&vm->park_lock);
	pthread_cond_broadcast(&vm->park_cond);
	pthread_mutex_unlock(&vm->park_lock);
	for (unsigned i = 0; i < vm->ncpus; i++)
		vcpu_kick(vm->vcpu[i]);
	if (vm->loop)
		evloop_wake(vm->loop);
}

int vm_thread_enter(struct vm *vm, enum vm_thread kind, unsigned index)
{
	int ret;

	if (!vm->thread_enter)
		return 0;
	ret = vm->thread_enter(vm->thread_opaque, kind, index);
	if (ret && kind == VM_THREAD_LOOP)
		vm_request_stop(vm, VM_ERROR, "cannot sandbox the event loop: %s", strerror(-ret));
	else if (ret)
		vm_request_stop(vm, VM_ERROR, "cannot sandbox %s%u's thread: %s",
				kind == VM_THREAD_VCPU ? "vcpu" : "disk", index, strerror(-ret));
	return ret;
}

void vm_ram_written(struct vm *vm, u64 gpa, u64 len)
{
	vm_dirty_mark(vm, gpa, len);
	if (len && vm->accel && vm->accel->ram_written)
		vm->accel->ram_written(vm, gpa, len);
}

int vm_ram_add_device(struct vm *vm, u64 gpa, u64 size, unsigned *region)
{
	int ret = ram_add_device(&vm->ram, gpa, size, region);

	if (ret == 0 && vm->accel->ram_region_added)
		ret = vm->accel->ram_region_added(vm, *region);
	/* Dirty logging already on: the new region needs its bitmap too. */
	if (ret == 0 && atomic_load(&vm->dirty.on) && !vm->dirty.bits[*region]) {
		vm->dirty.bits[*region] = calloc(vm_dirty_bitmap_words(vm, *region), sizeof(u64));
		if (!vm->dirty.bits[*region])
			ret = -ENOMEM;
	}
	return ret;
}

void vcpu_kick(struct vcpu *vcpu)
{
	if (vcpu && vcpu->vm->accel->vcpu_kick)
		vcpu->vm->accel->vcpu_kick(vcpu);
}

/* ---- pause / resume ---- */

void vm_pause(struct vm *vm)
{
	/* Guest time stops now; a vCPU still finishing its instruction sees it stand still. */
	vm_clock_pause(&vm->clock);
	atomic_store_explicit(&vm->pause_req, true, memory_order_release);
	for (unsigned i = 0; i < vm->ncpus; i++)
		vcpu_kick(vm->vcpu[i]);
}

void vm_resume(struct vm *vm)
{
	vm_clock_resume(&vm->clock);
	if (vm->accel->vm_clock_sync && vm->accel->vm_clock_sync(vm) < 0)
		log_warn("%s: the guest clock could not be set after the pause; it jumps by the pause",
			 vm->accel->name);
	pthread_mutex_lock(&vm->park_lock);
	atomic_store_explicit(&vm->pause_req, false, memory_order_release);
	pthread_cond_broadcast(&vm->park_cond);
	pthread_mutex_unlock(&vm->park_lock);
	/* A vCPU asleep in HLT when the pause came must look for interrupts again. */
	for (unsigned i = 0; i < vm->ncpus; i++)
		vcpu_kick(vm->vcpu[i]);
	/* Timers are due on the host later by the pause: the event loop re-arms its timerfd. */
	if (vm->loop)
		evloop_wake(vm->loop);
}

unsigned vm_parked_vcpus(struct vm *vm)
{
	unsigned n;

	pthread_mutex_lock(&vm->park_lock);
	n = vm->parked;
	pthread_mutex_unlock(&vm->park_lock);
	return n;
}

void vcpu_park(struct vcpu *vcpu)
{
	struct vm *vm = vcpu->vm;

	pthread_mutex_lock(&vm->park_lock);
	vm->parked++;
	if (vm->parked == vm->ncpus && vm->on_all_parked && vm_stopped(vm) == VM_RUNNING) {
		void (*fn)(struct vm *) = vm->on_all_parked;

		vm->on_all_parked = NULL;
		pthread_mutex_unlock(&vm->park_lock);
		fn(vm);
		pthread_mutex_lock(&vm->park_lock);
	}
	while (vm_pause_requested(vm) && vm_stopped(vm) == VM_RUNNING)
		pthread_cond_wait(&vm->park_cond, &vm->park_lock);
	vm->parked--;
	pthread_mutex_unlock(&vm->park_lock);
}
