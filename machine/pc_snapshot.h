/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Snapshots of the PC board: save a running VM to a file, and put one back
 * into a freshly built board (machine/pc_snapshot.c; the file format is
 * migration/snapshot_file.h).
 */
#ifndef HOVER_MACHINE_PC_SNAPSHOT_H
#define HOVER_MACHINE_PC_SNAPSHOT_H

#include <stddef.h>

#include "include/hover/types.h"
#include "machine/pc.h"

struct pc_snapshot;

struct pc_snapshot_stats {
	u64 pause_ns;   /* from the request until every vCPU stood still */
	u64 total_ns;   /* from the request until the file was durable */
	u64 ram_bytes;  /* RAM written (non-zero pages) */
	u64 file_bytes; /* the file's size (RAM holes included) */
};

/*
 * With vm->lock held (the event loop): pause, save everything to the file
 * name in the directory dirfd (made as name.partial, then renamed: a file at
 * name is always whole; only *at() calls on dirfd, which is what the loop's
 * seccomp filter allows), then resume, or stop the VM (stop), or leave it
 * paused if it was. args are the options the machine was built from, stored
 * for the restore. -errno and a sentence in err; the VM runs on as it was
 * after a failure.
 */
int pc_snapshot_save(struct pc *pc, int dirfd, const char *name, const char *const *args,
		     unsigned nargs, bool stop, struct pc_snapshot_stats *st, char *err,
		     size_t errlen) HOVER_WUR;

/* Read and check a snapshot file; -EINVAL with a sentence naming it if it is not a whole one. */
int pc_snapshot_open(struct pc_snapshot **out, const char *path, char *err,
		     size_t errlen) HOVER_WUR;
/* The machine options saved with it (valid until pc_snapshot_close). */
unsigned pc_snapshot_args(const struct pc_snapshot *s, const char *const **args);
/*
 * Put the snapshot into pc, built from those options with pc_config.restore
 * and not yet run. On failure the machine is half restored: destroy it.
 */
int pc_snapshot_restore(struct pc *pc, struct pc_snapshot *s, char *err, size_t errlen) HOVER_WUR;
void pc_snapshot_close(struct pc_snapshot *s);

/*
 * The pieces snapshots and live migration (machine/pc_migrate.c) share.
 * pc_wait_parked: with vm->lock held and a pause requested, wait (the lock
 * dropped meanwhile) until every vCPU stands still; -ETIMEDOUT, -ESHUTDOWN.
 * pc_state_save: with the vCPUs parked and vm->lock held, the meta stream
 * (machine options, clock, vCPUs, disks' identities) and the device stream.
 * pc_state_load: both back into a machine built with pc_config.restore whose
 * RAM is in place (disks checked first); on failure destroy the machine.
 * pc_state_put_args / pc_state_get_args: the "machine" section alone (the
 * options a board is built from), written into or read from a stream.
 */
int pc_wait_parked(struct pc *pc) HOVER_WUR;
int pc_state_save(struct pc *pc, struct stream_writer *meta, struct stream_writer *dev,
		  const char *const *args, unsigned nargs, char *err, size_t errlen) HOVER_WUR;
int pc_state_load(struct pc *pc, const void *meta, size_t meta_len, const void *dev,
		  size_t dev_len, char *err, size_t errlen) HOVER_WUR;
int pc_state_put_args(struct stream_writer *sw, const char *const *args, unsigned nargs) HOVER_WUR;
int pc_state_get_args(const void *data, size_t len, char ***args, unsigned *nargs, char *err,
		      size_t errlen) HOVER_WUR;
void pc_state_free_args(char **args, unsigned nargs);

#endif
