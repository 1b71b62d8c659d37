/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * `hover run`'s outgoing live migration (POST /vm/migrate): a worker thread
 * that connects to the destination and runs machine/pc_migrate_out.c, and the
 * progress GET /vm/migrate reports. The thread is started by the main thread
 * (the event loop's sandbox may not start threads) and sleeps until asked;
 * it puts on its own seccomp filter (sockets and connect, nothing to open).
 */
#ifndef HOVER_MGMT_RUN_MIGRATE_H
#define HOVER_MGMT_RUN_MIGRATE_H

#include <jansson.h>

#include "include/hover/types.h"
#include "include/hover/vm.h"

struct pc;
struct run_migrate;

struct run_migrate_req {
	const char *to;      /* tcp:ADDR:PORT (a numeric address) or unix:PATH */
	u64 max_downtime_ns;
	u64 bandwidth;       /* bytes per second; 0: no limit */
	unsigned max_rounds;
	const char *const *args; /* the machine's options (borrowed: they outlive the VM) */
	unsigned nargs;
};

int run_migrate_create(struct run_migrate **out) HOVER_WUR;
/* Main thread: start the worker; it calls enter(opaque, VM_THREAD_MIGRATE, 0) first. */
int run_migrate_start(struct run_migrate *m, vm_thread_enter_fn *enter, void *opaque) HOVER_WUR;
/* Event loop, vm->lock held: begin. -EBUSY (one at a time), -EINVAL (err says why). */
int run_migrate_request(struct run_migrate *m, struct pc *pc, const struct run_migrate_req *req,
			char *err, size_t errlen) HOVER_WUR;
/* The state and figures of the last or current migration (a new reference). */
json_t *run_migrate_status(struct run_migrate *m);
/* Main thread, once the VM has stopped and before pc_destroy: the worker lets go of pc. */
void run_migrate_release(struct run_migrate *m);
void run_migrate_destroy(struct run_migrate *m);

#endif
