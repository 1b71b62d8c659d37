// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Dirty page logging under kvm: KVM_MEM_LOG_DIRTY_PAGES on the memory slots
 * (one per RAM region, slot number = region index, as kvm.c maps them) and
 * KVM_GET_DIRTY_LOG, which hands back the slot's bitmap and clears it, write-
 * protecting the pages again so the next guest write is seen (the classic
 * protocol, without KVM_CAP_MANUAL_DIRTY_LOG_PROTECT2). Device DMA is marked
 * by core/dirty_log.c, as under every engine.
 *
 * Reference: Documentation/virt/kvm/api.rst 4.35 KVM_SET_USER_MEMORY_REGION
 * (KVM_MEM_LOG_DIRTY_PAGES), 4.8 KVM_GET_DIRTY_LOG.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "accel/kvm/kvm_int.h"
#include "include/hover/log.h"

int accel_kvm_map_slot(struct kvma_vm *kv, const struct guest_ram *ram, unsigned i, u32 flags)
{
	const struct ram_region *r = &ram->region[i];
	struct kvm_userspace_memory_region slot = {
		.slot = i,
		.flags = flags,
		.guest_phys_addr = r->gpa,
		.memory_size = r->size,
		.userspace_addr = (u64)(uintptr_t)r->hva,
	};

	return ioctl(kv->vm_fd, KVM_SET_USER_MEMORY_REGION, &slot) < 0 ? -errno : 0;
}

static int set_logging(struct vm *vm, u32 flags)
{
	struct kvma_vm *kv = kvma_vm_of(vm);

	for (unsigned i = 0; i < vm->ram.nregions; i++) {
		int ret = accel_kvm_map_slot(kv, &vm->ram, i, flags);

		if (ret) {
			log_error("kvm: cannot %s dirty logging on RAM slot %u: %s",
				  flags ? "start" : "stop", i, strerror(-ret));
			return ret;
		}
	}
	return 0;
}

int accel_kvm_dirty_log_start(struct vm *vm)
{
	int ret = set_logging(vm, KVM_MEM_LOG_DIRTY_PAGES);

	if (ret)
		set_logging(vm, 0);
	return ret;
}

int accel_kvm_dirty_log_sync(struct vm *vm, unsigned region, u64 *bitmap)
{
	struct kvma_vm *kv = kvma_vm_of(vm);
	size_t words = vm_dirty_bitmap_words(vm, region);
	u64 *kbits = calloc(words, sizeof(u64));
	struct kvm_dirty_log log = { .slot = region };
	int ret = 0;

	if (!kbits)
		return -ENOMEM;
	log.dirty_bitmap = kbits;
	/* KVM's bitmap is in host longs, bit i = page i of the slot: on x86-64, our u64 words. */
	if (ioctl(kv->vm_fd, KVM_GET_DIRTY_LOG, &log) < 0)
		ret = -errno;
	else
		for (size_t i = 0; i < words; i++)
			bitmap[i] |= kbits[i];
	free(kbits);
	return ret;
}

void accel_kvm_dirty_log_stop(struct vm *vm)
{
	set_logging(vm, 0);
}
