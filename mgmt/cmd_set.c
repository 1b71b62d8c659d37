// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * `hover set NAME KEY VALUE`: change a running VM's resources live, through
 * hoverd (POST /vms/NAME/set, forwarded to the VM's own POST /vm/set):
 * memory (the balloon's target), cpu-weight, cpu-cap, cpu-pin, rt.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mgmt/cmd.h"
#include "mgmt/vm_cli.h"

static const char *const keys[] = { "memory", "cpu-weight", "cpu-cap", "cpu-pin", "rt", NULL };

void cmd_set_help(FILE *f)
{
	fprintf(f,
		"usage: hover set NAME KEY VALUE [--json]\n"
		"\n"
		"Change a running VM's resources, live:\n"
		"  memory SIZE      the RAM the guest keeps (the balloon's target; the VM needs\n"
		"                   --balloon): 1G, 512M...\n"
		"  cpu-weight N     its CPU share against other VMs, 1-10000 (default 100)\n"
		"  cpu-cap P%%|off   at most P%% of one host CPU\n"
		"  cpu-pin LIST|off the host CPUs its vCPUs run on (0-1,3)\n"
		"  rt PRIO          SCHED_FIFO vCPUs at PRIO (1-49; 0: normal scheduling)\n"
		"weight and cap need a VM started with --cpu-weight or --cpu-cap (its cgroup).\n");
}

int cmd_set(int argc, char **argv)
{
	const char *pos[3];
	unsigned npos = 0;
	bool json = false, known = false;
	char path[256];
	json_t *body, *v = NULL;
	char *text;
	int ret;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json")) {
			json = true;
		} else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			cmd_set_help(stdout);
			return EXIT_OK;
		} else if (npos < 3) {
			pos[npos++] = argv[i];
		} else {
			fprintf(stderr, "hover set: unexpected argument '%s' (hover set NAME KEY "
				"VALUE)\n", argv[i]);
			return EXIT_USAGE;
		}
	}
	if (npos != 3) {
		fprintf(stderr, "hover set: needs NAME KEY VALUE, e.g. hover set web memory 1G\n");
		return EXIT_USAGE;
	}
	for (const char *const *k = keys; *k; k++)
		known |= !strcmp(*k, pos[1]);
	if (!known) {
		fprintf(stderr, "hover set: no setting '%s' (memory, cpu-weight, cpu-cap, cpu-pin, "
			"rt)\n", pos[1]);
		return EXIT_USAGE;
	}
	if (strlen(pos[0]) > 100) {
		fprintf(stderr, "hover set: %.20s...: not a VM name\n", pos[0]);
		return EXIT_USAGE;
	}
	body = json_pack("{s:s}", pos[1], pos[2]);
	text = json_dumps(body, JSON_COMPACT);
	snprintf(path, sizeof(path), "/vms/%s/set", pos[0]);
	ret = vm_cli_request("POST", path, text, json, &v);
	free(text);
	json_decref(body);
	if (!ret && !json)
		printf("%s: %s set to %s\n", pos[0], pos[1], pos[2]);
	if (v)
		json_decref(v);
	return ret;
}
