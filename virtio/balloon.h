/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * virtio-balloon (virtio 1.2 section 5.5): the host asks the guest to give
 * RAM back (a target), the guest reports its own memory figures, and free
 * page reporting hands the host the pages the guest's allocator has free.
 * Hand virtio_balloon_dev() to a transport.
 */
#ifndef HOVER_VIRTIO_BALLOON_H
#define HOVER_VIRTIO_BALLOON_H

#include "include/hover/virtio.h"

struct vm;
struct virtio_balloon;

/* Statistics tags (5.5.6.3), the index into balloon_info.stat[]. */
enum {
	BALLOON_STAT_SWAP_IN, BALLOON_STAT_SWAP_OUT, BALLOON_STAT_MAJFLT, BALLOON_STAT_MINFLT,
	BALLOON_STAT_MEMFREE, BALLOON_STAT_MEMTOT, BALLOON_STAT_AVAIL, BALLOON_STAT_CACHES,
	BALLOON_STAT_HTLB_PGALLOC, BALLOON_STAT_HTLB_PGFAIL, BALLOON_NSTATS
};
extern const char *const balloon_stat_names[BALLOON_NSTATS];

struct balloon_info {
	u64 ram_bytes;      /* the VM's RAM */
	u64 target_bytes;   /* what the guest should keep: RAM minus the balloon target */
	u64 actual_bytes;   /* RAM minus what the driver says it holds (its `actual`) */
	u64 inflated_bytes; /* pages the inflateq handed over, less those deflated */
	u64 reported_bytes; /* free page reporting: released to the host since start */
	bool driver_ok;     /* the guest's driver is up */
	bool stats_valid;   /* the guest sent statistics (stat[] and stats_age_s) */
	double stats_age_s;
	u32 stats_present;  /* bit i: stat[i] was reported */
	u64 stat[BALLOON_NSTATS];
};

int virtio_balloon_create(struct virtio_balloon **out, struct vm *vm) HOVER_WUR;
struct virtio_dev *virtio_balloon_dev(struct virtio_balloon *b);
void virtio_balloon_destroy(struct virtio_balloon *b);

/*
 * Live, with vm->lock held (the API): ask the guest to keep `bytes` of RAM
 * (rounded down to 4 KiB; -ERANGE above the RAM size or below min_bytes).
 */
int virtio_balloon_set_target(struct virtio_balloon *b, u64 bytes, u64 min_bytes) HOVER_WUR;
/* The figures above; also asks the guest for fresh statistics for the next call. */
void virtio_balloon_info(struct virtio_balloon *b, struct balloon_info *info);

/* Section "virtio-balloon": the virtio core state, the target, the guest's figures. */
extern const struct dev_state_ops virtio_balloon_state_ops;

#endif
