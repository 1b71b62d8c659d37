// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * struct vm lifecycle: RAM, address spaces, timers, the engine and its vCPUs,
 * and the one-shot stop request that ends a run.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "include/hover/accel.h"
#include "include/hover/evloop.h"
#include "include/hover/vm.h"

int vm_create(struct vm **out, u64 ram_size, unsigned ncpus, const struct accel_ops *accel)
{
	struct vm *vm;
	int ret;

	if (ncpus == 0 || ncpus > VM_MAX_CPUS)
		return -EINVAL;
	vm = calloc(1, sizeof(*vm));
	if (!vm)
		return -ENOMEM;
	pthread_mutex_init(&vm->lock, NULL);
	vm->accel = accel;
	ret = ram_create(&vm->ram, ram_size);
	if (ret)
		goto err_ram;
	ret = as_create(&vm->pio, "pio");
	if (ret)
		goto err_pio;
	ret = as_create(&vm->mmio, "mmio");
	if (ret)
		goto err_mmio;
	ret = timer_list_create(&vm->timers);
	if (ret)
		goto err_timers;
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
	as_destroy(vm->mmio);
err_mmio:
	as_destroy(vm->pio);
err_pio:
	ram_destroy(&vm->ram);
err_ram:
	pthread_mutex_destroy(&vm->lock);
	free(vm);
	return ret;
}

void vm_destroy(struct vm *vm)
{
	if (!vm)
		return;
	for (unsigned i = 0; i < vm->ncpus; i++) {
		vm->accel->vcpu_destroy(vm->vcpu[i]);
		free(vm->vcpu[i]);
	}
	vm->accel->vm_destroy(vm);
	timer_list_destroy(vm->timers);
	as_destroy(vm->mmio);
	as_destroy(vm->pio);
	ram_destroy(&vm->ram);
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
	for (unsigned i = 0; i < vm->ncpus; i++)
		vcpu_kick(vm->vcpu[i]);
	if (vm->loop)
		evloop_wake(vm->loop);
}

void vcpu_kick(struct vcpu *vcpu)
{
	if (vcpu && vcpu->vm->accel->vcpu_kick)
		vcpu->vm->accel->vcpu_kick(vcpu);
}
