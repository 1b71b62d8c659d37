/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Shared by the verbs that talk to hoverd (cmd_vm.c, cmd_console.c). */
#ifndef HOVER_MGMT_VM_CLI_H
#define HOVER_MGMT_VM_CLI_H

#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

struct vm_cli_spec {
	const char *verb;
	const char *arg; /* the positional argument's name, or NULL */
	void (*help)(FILE *f);
	bool follow, timeout;
};

struct vm_cli_opts {
	bool json, follow, no_wait;
	double timeout;
	long tail;
	const char *arg;
};

const struct vm_cli_spec *vm_cli_spec(const char *verb);
/* 0, -1 after --help, or an exit status. */
int vm_cli_parse(int argc, char **argv, const struct vm_cli_spec *spec, struct vm_cli_opts *o);
/* One request to hoverd; prints the error and returns the exit status on failure. */
int vm_cli_request(const char *method, const char *path, const char *body, bool json_out,
		   json_t **out);

#endif
