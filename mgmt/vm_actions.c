// SPDX-License-Identifier: GPL-2.0-or-later
/* The VM action table (vm_actions.h). */
#include <stdio.h>
#include <string.h>

#include "mgmt/vm_actions.h"

#define LIVE (VM_ACT_RUNNING | VM_ACT_PAUSED)

const struct vm_action vm_actions[] = {
	{ "start", NULL, VM_ACT_DOWN, "it is already running", true, "started", "Start",
	  "start the VM (its own hover run process)" },
	{ "pause", "pause", VM_ACT_RUNNING, "it is already paused", true, "paused", "Pause",
	  "stop the vCPUs (devices quiesce); resume continues" },
	{ "resume", "resume", VM_ACT_PAUSED, "it is running, not paused", true, "resumed", "Resume",
	  "continue a paused VM" },
	{ "stop", "shutdown", VM_ACT_RUNNING, "resume it first (or kill it)", true, "stopping",
	  "Stop", "press the ACPI power button; power off after a timeout" },
	{ "shutdown", "shutdown", VM_ACT_RUNNING, "resume it first (or use off)", false, NULL,
	  NULL, "press the ACPI power button, nothing more" },
	{ "off", "off", LIVE, NULL, false, NULL, "Force off",
	  "power off at once, as pulling the plug (the process exits 0)" },
	{ "reset", "reset", LIVE, NULL, false, NULL, "Restart", "hard reset, as the reset line" },
	{ "kill", NULL, LIVE, NULL, true, "killed", NULL,
	  "end the VM's process at once (SIGKILL); returns once it has ended" },
};
const size_t vm_nactions = sizeof(vm_actions) / sizeof(vm_actions[0]);

const struct vm_action *vm_action_find(const char *name)
{
	for (size_t i = 0; i < vm_nactions; i++)
		if (!strcmp(vm_actions[i].name, name))
			return &vm_actions[i];
	return NULL;
}

void vm_action_names(char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < vm_nactions && n < len; i++)
		n += (size_t)snprintf(buf + n, len - n, "%s%s", i ? ", " : "", vm_actions[i].name);
}

json_t *vm_actions_json(void)
{
	json_t *a = json_array();

	for (size_t i = 0; i < vm_nactions; i++) {
		const struct vm_action *v = &vm_actions[i];
		json_t *from = json_array();

		if (v->from & VM_ACT_RUNNING)
			json_array_append_new(from, json_string("running"));
		if (v->from & VM_ACT_PAUSED)
			json_array_append_new(from, json_string("paused"));
		if (v->from & VM_ACT_DOWN) {
			json_array_append_new(from, json_string("stopped"));
			json_array_append_new(from, json_string("crashed"));
		}
		json_array_append_new(a, json_pack("{s:s,s:o,s:b,s:s*,s:s}", "name", v->name,
						   "states", from, "cli", v->cli, "label",
						   v->label, "summary", v->summary));
	}
	return a;
}
