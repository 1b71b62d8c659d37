/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What `hover run` adds for management: --config FILE (a VM definition, see
 * config_json.h), --name, --api-sock (the per-VM JSON API) and --console-sock
 * (the console on a unix socket). Kept apart from cmd_run.c's boot logic.
 */
#ifndef HOVER_MGMT_RUN_MGMT_H
#define HOVER_MGMT_RUN_MGMT_H

#include "include/hover/types.h"
#include "include/hover/vm.h"
#include "mgmt/config_json.h"

struct pc;
struct api_vm;
struct console_sock;
struct run_res;
struct run_migrate;

struct run_mgmt {
	struct vm_def def; /* from --config */
	bool have_def;
	const char *name, *api_sock, *console_sock;
	/* The options that built the machine (cmd_run.c), for snapshots through the API. */
	const char *const *machine_args;
	unsigned nmachine_args;
	int snapshot_dirfd; /* -1: none */
	const char *snapshot_dir;
	struct api_vm *api;
	struct console_sock *csock;
	/* Outgoing live migration (POST /vm/migrate): its worker, started by the first
	 * attach, puts its sandbox on through thread_enter (NULL: none). */
	struct run_migrate *migrate;
	vm_thread_enter_fn *thread_enter;
	void *thread_opaque;
	json_t *config;
};

/* Find --config FILE (or --config=FILE) in argv and load it; other options override it. */
int run_mgmt_load_config(struct run_mgmt *m, int argc, char **argv, char *err,
			 size_t errlen) HOVER_WUR;
/* Open the API and console sockets, if asked for. The effective settings go in the API's config. */
int run_mgmt_open(struct run_mgmt *m, const struct vm_def *effective, char *err,
		  size_t errlen) HOVER_WUR;
int run_mgmt_attach(struct run_mgmt *m, struct pc *pc) HOVER_WUR;
void run_mgmt_detach(struct run_mgmt *m);
void run_mgmt_close(struct run_mgmt *m);
/* The VM's resource settings, for the API's info and live changes (hover set). */
void run_mgmt_set_res(struct run_mgmt *m, struct run_res *res);
/* Guest console output (console tap). */
void run_mgmt_output(struct run_mgmt *m, const u8 *buf, size_t len);

#endif
