// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * `hover VERB ...`: the command table. Each verb lives in its own
 * cmd_<verb>.c. Only this file exits the process.
 *
 * Exit status: 0 success (guest powered off), 1 the guest failed (triple
 * fault, kernel panic, halted for good), 2 bad usage or input, 3 a host-side
 * error.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "mgmt/cmd.h"

static const struct cmd commands[] = {
	{ "run", "boot a VM in this process, console on stdin/stdout", cmd_run, cmd_run_help },
	/* hoverd's verbs (cmd_vm.c, cmd_console.c); their help comes from cmd_vm_help() */
	{ "create", "define a VM from a JSON file", cmd_vm, NULL },
	{ "ls", "list VMs and their state", cmd_vm, NULL },
	{ "info", "a VM's state, configuration, uptime, vCPUs, memory", cmd_vm, NULL },
	{ "start", "start a VM (its own hover run process)", cmd_vm, NULL },
	{ "console", "attach to a VM's console (Ctrl-] detaches)", cmd_console, NULL },
	{ "logs", "a VM's console output (--follow)", cmd_vm, NULL },
	{ "pause", "stop a VM's vCPUs", cmd_vm, NULL },
	{ "resume", "continue a paused VM", cmd_vm, NULL },
	{ "stop", "ACPI power button, power off after --timeout", cmd_vm, NULL },
	{ "kill", "end a VM's process at once", cmd_vm, NULL },
	{ "rm", "delete a stopped VM", cmd_vm, NULL },
	{ "set", "change a running VM's memory target, CPU weight/cap/pinning, rt", cmd_set,
	  cmd_set_help },
	{ "screenshot", "save a VM's screen as a PNG", cmd_screenshot, cmd_screenshot_help },
	{ "snapshot", "save a running VM to a file", cmd_snapshot, cmd_snapshot_help },
	{ "restore", "start a VM from a snapshot", cmd_restore, cmd_restore_help },
	{ "migrate", "move a running VM live to hover run --incoming", cmd_migrate, cmd_migrate_help },
	{ "image", "build, list and remove base images (debian-12)", cmd_image, cmd_image_help },
	{ "launch", "a VM from a base image, defined and started", cmd_launch, cmd_launch_help },
	{ "shell", "SSH into a launched VM, or run a command there", cmd_shell, cmd_shell_help },
	{ "help", "show help for hover or for one verb", NULL, NULL },
	{ "version", "print hover's version", NULL, NULL },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: hover [--connect SOCKET] VERB [OPTIONS]\n\nverbs:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\n`hover help VERB` describes a verb's options.\n"
		   "--connect SOCKET: hoverd's API socket (default: $HOVER_CONNECT, else\n"
		   "/run/hover/hoverd.sock as root, $XDG_RUNTIME_DIR/hover/hoverd.sock otherwise)\n"
		   "Every hoverd verb takes --json for machine-readable output.\n"
		   "exit status: 0 ok, 1 failure (run: the guest failed; hoverd verbs: the request\n"
		   "failed or hoverd is unreachable), 2 bad usage or input, 3 host error, 4 no such VM\n");
}

static const struct cmd *find(const char *name)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

int main(int argc, char **argv)
{
	const struct cmd *c;

	/* A closed stdout (the reader of the console went away) must not kill a running VM. */
	signal(SIGPIPE, SIG_IGN);
	/* hover --connect SOCKET VERB ... */
	while (argc >= 2 && strncmp(argv[1], "--connect", 9) == 0) {
		if (argv[1][9] == '=') {
			cmd_set_connect(argv[1] + 10);
			argv++;
			argc--;
		} else if (argv[1][9] == '\0' && argc >= 3) {
			cmd_set_connect(argv[2]);
			argv += 2;
			argc -= 2;
		} else {
			fprintf(stderr, "hover: --connect needs a socket path\n");
			return EXIT_USAGE;
		}
	}
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : 0;
	}
	if (strcmp(argv[1], "version") == 0 || strcmp(argv[1], "--version") == 0) {
		printf("hover %s\n", HOVER_VERSION);
		return 0;
	}
	if (strcmp(argv[1], "help") == 0) {
		if (argc < 3) {
			usage(stdout);
			return 0;
		}
		c = find(argv[2]);
		if (c && !c->help && c->fn) {
			cmd_vm_help(stdout, c->name);
			return 0;
		}
		if (!c || !c->help) {
			fprintf(stderr, "hover: help: unknown verb '%s' (try `hover help`)\n", argv[2]);
			return EXIT_USAGE;
		}
		c->help(stdout);
		return 0;
	}
	c = find(argv[1]);
	if (!c || !c->fn) {
		fprintf(stderr, "hover: unknown verb '%s' (try `hover help`)\n", argv[1]);
		return EXIT_USAGE;
	}
	return c->fn(argc - 1, argv + 1);
}
