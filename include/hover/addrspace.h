/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Address spaces: one for port I/O and one for MMIO per VM. Devices register
 * a range with an io_ops table; accesses are dispatched with region-relative
 * offsets. The dispatcher honours each device's access-size rules, splitting a
 * wide access into narrower ones or widening a narrow one, so devices never
 * handle sizes they did not declare.
 *
 * Locking: devices are always called with the owning VM's device lock held
 * (vm->lock). as_read()/as_write() do NOT take it; callers (the accel run
 * loops, timers, the event loop) hold it.
 */
#ifndef HOVER_INCLUDE_ADDRSPACE_H
#define HOVER_INCLUDE_ADDRSPACE_H

#include "include/hover/types.h"

struct io_ops {
	/* offset is relative to the registered base; size is 1, 2, 4 or 8 bytes. */
	u64 (*read)(void *opaque, u64 offset, unsigned size);
	void (*write)(void *opaque, u64 offset, unsigned size, u64 val);
	/* Smallest and largest access the device handles; 0 means 1 and 8. */
	u8 min_access;
	u8 max_access;
};

struct addrspace;

int as_create(struct addrspace **out, const char *name) HOVER_WUR;
void as_destroy(struct addrspace *as);

/* Fails with -EBUSY if [base, base+len) overlaps a registered region, -EINVAL if len is 0. */
int as_register(struct addrspace *as, u64 base, u64 len, const struct io_ops *ops,
		void *opaque) HOVER_WUR;
int as_unregister(struct addrspace *as, u64 base);

/*
 * Dispatch one access. Unclaimed reads return all ones and writes are dropped
 * (as on a PC bus); both return -ENOENT so callers can log at debug level.
 * An access that straddles two regions is split byte-wise.
 */
int as_read(struct addrspace *as, u64 addr, unsigned size, u64 *val);
int as_write(struct addrspace *as, u64 addr, unsigned size, u64 val);

#endif
