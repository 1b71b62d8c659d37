/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * `hover run`'s resource options (mgmt/run_res.c): the balloon, how guest
 * RAM is backed, and the CPU share of the VM — weight and cap through a
 * cgroup of its own, vCPU pinning, real-time vCPUs. Parsed with the other
 * options, applied before the sandbox goes on, changeable live through the
 * API (run_res_set, from the event loop).
 */
#ifndef HOVER_MGMT_RUN_RES_H
#define HOVER_MGMT_RUN_RES_H

#include <jansson.h>
#include <sched.h>
#include <sys/types.h>

#include "include/hover/ram.h"
#include "include/hover/types.h"
#include "include/hover/vm.h"

#define RUN_RES_RT_MAX 49 /* above it the kernel's own threaded IRQs and watchdogs run */

struct run_res {
	/* Options. */
	bool balloon;
	u64 balloon_target; /* --balloon=SIZE: the guest starts asked to keep SIZE; 0: all */
	struct ram_backing ram;
	unsigned cpu_weight;  /* 1..10000; 0: not given */
	unsigned cpu_cap;     /* percent of one host CPU; 0: no cap */
	cpu_set_t pin;        /* --cpu-pin */
	bool pinned;
	char pin_text[128];
	unsigned rt_prio;     /* --rt[=PRIO]: SCHED_FIFO priority; 0: normal scheduling */
	bool jailed;          /* --jail: the VM gives up its capabilities before its threads start */

	/* The host, read once at start (the sandboxed loop cannot look again). */
	long host_ncpu;
	cpu_set_t allowed; /* this process's affinity at start */

	/* Applied state. */
	int cg_version;       /* 1 or 2; 0: no cgroup of our own */
	char cg_dir[320];
	char cg_parent_procs[320]; /* to leave it again at exit (not when jailed) */
	int cg_weight_fd, cg_max_fd;
	char cg_why[768];     /* why weight/cap cannot be applied (cgroups not writable...) */
	pid_t vcpu_tid[VM_MAX_CPUS];
	unsigned nvcpus;
};

void run_res_init(struct run_res *r);
/* One option (its long name without "--", and value or NULL): 0, or -EINVAL after printing why. */
int run_res_option(struct run_res *r, const char *name, const char *val);
/* Checks between options once all are parsed (memory, vCPUs); 0 or -EINVAL after printing why. */
int run_res_check(struct run_res *r, u64 memory, unsigned cpus);
/*
 * Before the jail and the sandbox: the cgroup (with --cpu-weight/--cpu-cap)
 * and the checks --rt needs. err names what failed and what to do.
 */
int run_res_apply(struct run_res *r, const char *name, char *err, size_t errlen) HOVER_WUR;
/* First thing in each machine thread (vm_thread_enter): pinning, SCHED_FIFO. */
int run_res_thread(struct run_res *r, enum vm_thread kind, unsigned index);
/*
 * Live change (the API, in the event loop): key "cpu-weight", "cpu-cap",
 * "cpu-pin" or "rt", value as on the command line. 0; or an HTTP-ish status
 * (400 bad value, 409 cannot here) with err saying why.
 */
int run_res_set(struct run_res *r, const char *key, const char *val, char *err, size_t errlen);
/* {"cpu_weight":..., "cpu_cap_percent":..., "cpu_pin":..., "rt_priority":..., "cgroup":...} */
json_t *run_res_json(const struct run_res *r);
/* Leave the cgroup and remove it (best effort; nothing when jailed). */
void run_res_close(struct run_res *r);

#endif
