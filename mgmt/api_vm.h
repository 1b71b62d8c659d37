/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The per-VM API of `hover run --api-sock PATH`: state, configuration,
 * uptime, vCPU and memory figures, pause/resume, power actions and metrics,
 * served from the VM's own event loop. Paths and JSON are hoverd's (see
 * mgmt/openapi.yaml): /vms/NAME/... and the short form /vm/....
 */
#ifndef HOVER_MGMT_API_VM_H
#define HOVER_MGMT_API_VM_H

#include <jansson.h>

#include "include/hover/types.h"

struct pc;
struct api_vm;
struct run_res;
struct run_migrate;

struct api_vm_info {
	const char *name;
	const char *accel;
	u64 memory;
	unsigned cpus;
	json_t *config; /* the definition (config_json_dump); borrowed */
	const char *api_socket;
	const char *console_socket; /* NULL: none */
	/* The options that built the machine, kept in snapshots (hover run --restore). */
	const char *const *machine_args;
	unsigned nmachine_args;
	/* Where snapshots go: an O_PATH fd (-1: none) and its real path. */
	int snapshot_dirfd;
	const char *snapshot_dir;
	/* POST/GET /vm/migrate (mgmt/run_migrate.h); NULL: not offered. */
	struct run_migrate *migrate;
};

int api_vm_create(struct api_vm **out, const struct api_vm_info *info, char *err,
		  size_t errlen) HOVER_WUR;
/* Serve from this machine's event loop; detach before pc_destroy (a reset makes a new pc). */
int api_vm_attach(struct api_vm *a, struct pc *pc) HOVER_WUR;
void api_vm_detach(struct api_vm *a);
void api_vm_destroy(struct api_vm *a);
/* Resource settings (mgmt/run_res.h) for GET /vm/memory, /vm/metrics and POST /vm/set. */
void api_vm_set_res(struct api_vm *a, struct run_res *res);
/* Count console output for the metrics (called with vm->lock held). */
void api_vm_console_bytes(struct api_vm *a, size_t len);

#endif
