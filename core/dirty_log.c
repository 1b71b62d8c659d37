// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Dirty page logging: which 4 KiB pages of guest RAM were written since the
 * last look, for live migration's pre-copy rounds. One bitmap per RAM
 * region, bit i for the region's page i.
 *
 * Two sources feed it. This file keeps the software bitmap that device DMA
 * (vm_ram_written) marks under every engine, and that the emu engine's CPU
 * marks as it makes write TLB entries. The engine adds what only it knows
 * (kvm: KVM_GET_DIRTY_LOG) in its dirty_log_sync.
 *
 * The order in a sync matters: the software bits are taken (read and
 * cleared) first, then the engine makes sure later guest writes are seen
 * again (emu: every vCPU drops its write TLB entries; kvm write-protects in
 * KVM_GET_DIRTY_LOG). A write that lands in between is in a page this sync
 * reports, and the caller copies pages only after the sync returns.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "include/hover/accel.h"
#include "include/hover/vm.h"

#define PAGE_SHIFT 12

size_t vm_dirty_bitmap_words(struct vm *vm, unsigned region)
{
	if (region >= vm->ram.nregions)
		return 0;
	return (size_t)(((vm->ram.region[region].size >> PAGE_SHIFT) + 63) / 64);
}

void vm_dirty_mark(struct vm *vm, u64 gpa, u64 len)
{
	if (!atomic_load_explicit(&vm->dirty.on, memory_order_acquire) || !len)
		return;
	for (unsigned r = 0; r < vm->ram.nregions; r++) {
		const struct ram_region *rr = &vm->ram.region[r];
		u64 first, last;

		if (gpa >= rr->gpa + rr->size || gpa + len <= rr->gpa)
			continue;
		first = ((gpa > rr->gpa ? gpa : rr->gpa) - rr->gpa) >> PAGE_SHIFT;
		last = (((gpa + len < rr->gpa + rr->size) ? gpa + len : rr->gpa + rr->size) - 1 -
			rr->gpa) >> PAGE_SHIFT;
		for (u64 p = first; p <= last; p++) {
			_Atomic u64 *w = &vm->dirty.bits[r][p / 64];
			u64 bit = 1ULL << (p % 64);

			/* Most marks hit a page already marked: look before the locked OR. */
			if (!(atomic_load_explicit(w, memory_order_relaxed) & bit))
				atomic_fetch_or_explicit(w, bit, memory_order_relaxed);
		}
	}
}

int vm_dirty_log_start(struct vm *vm)
{
	int ret;

	if (atomic_load(&vm->dirty.on))
		return 0;
	if (!vm->accel->dirty_log_start || !vm->accel->dirty_log_sync)
		return -ENOTSUP;
	for (unsigned r = 0; r < vm->ram.nregions; r++) {
		if (vm->dirty.bits[r])
			continue;
		vm->dirty.bits[r] = calloc(vm_dirty_bitmap_words(vm, r), sizeof(u64));
		if (!vm->dirty.bits[r]) {
			ret = -ENOMEM;
			goto err;
		}
	}
	/* On before the engine starts, so no page written from then on goes unmarked. */
	atomic_store(&vm->dirty.on, true);
	ret = vm->accel->dirty_log_start(vm);
	if (ret)
		goto err;
	return 0;
err:
	vm_dirty_log_stop(vm);
	return ret;
}

int vm_dirty_log_sync(struct vm *vm, unsigned region, u64 *bitmap)
{
	size_t n = vm_dirty_bitmap_words(vm, region);

	if (!atomic_load(&vm->dirty.on) || !n)
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		bitmap[i] = atomic_exchange_explicit(&vm->dirty.bits[region][i], 0, memory_order_acq_rel);
	return vm->accel->dirty_log_sync(vm, region, bitmap);
}

void vm_dirty_log_stop(struct vm *vm)
{
	bool was = atomic_exchange(&vm->dirty.on, false);

	if (was && vm->accel->dirty_log_stop)
		vm->accel->dirty_log_stop(vm);
	/* Marks may still be in flight on other threads: the bitmaps live until vm_destroy. */
	for (unsigned r = 0; r < vm->ram.nregions; r++)
		if (vm->dirty.bits[r])
			memset((void *)vm->dirty.bits[r], 0, vm_dirty_bitmap_words(vm, r) * sizeof(u64));
}

void vm_dirty_log_destroy(struct vm *vm)
{
	for (unsigned r = 0; r < RAM_MAX_REGIONS; r++) {
		free((void *)vm->dirty.bits[r]);
		vm->dirty.bits[r] = NULL;
	}
}
