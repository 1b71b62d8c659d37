/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Live migration of the PC board (issue 13) over a connected socket, in the
 * channel format of migration/migrate_wire.h: the source side (pre-copy) and
 * the destination side. Addresses, listening and the worker thread are the
 * caller's (mgmt/run_migrate.c, mgmt/cmd_run.c).
 */
#ifndef HOVER_MACHINE_PC_MIGRATE_H
#define HOVER_MACHINE_PC_MIGRATE_H

#include <stddef.h>

#include "include/hover/types.h"
#include "machine/pc.h"

#define PC_MIGRATE_MAX_ROUNDS 30

struct pc_migrate_params {
	int fd;              /* connected to the destination */
	u64 max_downtime_ns; /* stop and copy once the rest is expected to take this long */
	u64 bandwidth;       /* bytes per second, 0: as fast as the link goes */
	unsigned max_rounds; /* rounds of dirty pages before stop-and-copy regardless */
	const char *const *args; /* the options the machine was built from */
	unsigned nargs;
};

struct pc_migrate_progress {
	const char *phase;        /* "connecting", "precopy", "stop-and-copy", "handshake" */
	unsigned rounds;          /* rounds of dirty pages after the first full copy */
	u64 bytes_sent;           /* on the wire, all records */
	u64 pages_sent;           /* with data */
	u64 remaining_bytes;      /* dirty at the last look, not yet sent */
	u64 rate;                 /* bytes per second, measured over the last round */
	u64 expected_downtime_ns; /* remaining_bytes at that rate */
	u64 downtime_ns;          /* measured: from the pause to the commit (when done) */
	u64 total_ns;
	bool converged;           /* the expected downtime fell under the limit */
};

/* Called from the migrating thread as things move (the caller copies it under its lock). */
typedef void pc_migrate_report_fn(void *opaque, const struct pc_migrate_progress *p);

/*
 * Migrate the running machine to the destination on p->fd, from a thread of
 * its own that does not hold vm->lock (it takes it for the final phase). 0:
 * the destination runs the VM, and this one is stopped (VM_MIGRATED). On
 * failure: -errno and a sentence in err, and the VM runs on as before.
 * *cancel (may be NULL) is polled between batches.
 */
int pc_migrate_out(struct pc *pc, const struct pc_migrate_params *p, pc_migrate_report_fn *report,
		   void *opaque, const _Atomic bool *cancel, char *err, size_t errlen) HOVER_WUR;

/* The destination: the greeting and the machine's options, then everything else. */
struct pc_migrate_in;

struct pc_migrate_in_stats {
	u64 bytes, pages;
	u64 final_ns; /* from the final record's first byte until the commit */
};

/* Greet the source on fd and read its setup record. -EINVAL/-EPROTO: refused (err says why). */
int pc_migrate_in_open(struct pc_migrate_in **out, int fd, char *err, size_t errlen) HOVER_WUR;
unsigned pc_migrate_in_args(const struct pc_migrate_in *m, const char *const **args);
/*
 * Receive RAM, then the vCPUs and devices, into pc (built from those options
 * with pc_config.restore, not yet run); say ready, and return 0 once the
 * source commits. On failure the machine is half loaded: destroy it.
 */
int pc_migrate_in_run(struct pc *pc, struct pc_migrate_in *m, struct pc_migrate_in_stats *st,
		      char *err, size_t errlen) HOVER_WUR;
/* Tell the source why this end gives up (best effort). */
void pc_migrate_in_refuse(int fd, const char *why);
void pc_migrate_in_close(struct pc_migrate_in *m);

#endif
