/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The actions on one of hoverd's VMs, in one table (STYLE.md): hoverd's API
 * (POST /vms/NAME/ACTION: which states allow it, what the VM's own API is
 * asked), the CLI (which are verbs, what they print), the web UI (GET
 * /actions: its buttons), and the check that the OpenAPI file and the bash
 * completion name every one (tests/integration/test_vm_actions.py). A new
 * action is one entry here, and its handling in hoverd_api.c if hoverd does
 * it itself.
 */
#ifndef HOVER_MGMT_VM_ACTIONS_H
#define HOVER_MGMT_VM_ACTIONS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* The states an action is allowed in (hoverd's running, paused, and stopped or crashed). */
enum { VM_ACT_RUNNING = 1, VM_ACT_PAUSED = 2, VM_ACT_DOWN = 4 };

struct vm_action {
	const char *name;    /* POST /vms/NAME/<name>, and the CLI verb if cli */
	const char *forward; /* the VM's own API action it becomes (POST /vm/<forward>); NULL:
				hoverd does it itself (start, kill) */
	unsigned from;       /* VM_ACT_*: the states it is allowed in */
	const char *refusal; /* in the live state it is not allowed in: why, and what to do */
	bool cli;            /* a `hover` verb */
	const char *done;    /* what the CLI prints once it worked ("paused web") */
	const char *label;   /* the web UI's button */
	const char *summary; /* one line: `hover help VERB`, the UI's tooltip */
};

extern const struct vm_action vm_actions[];
extern const size_t vm_nactions;

const struct vm_action *vm_action_find(const char *name);
/* The names, comma-separated ("start, pause, ..."), for error messages. */
void vm_action_names(char *buf, size_t len);
/* The table as JSON, for GET /actions (the web UI's buttons). */
json_t *vm_actions_json(void);

#endif
