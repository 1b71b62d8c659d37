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
	{ "help", "show help for hover or for one verb", NULL, NULL },
	{ "version", "print hover's version", NULL, NULL },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: hover VERB [OPTIONS]\n\nverbs:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\n`hover help VERB` describes a verb's options.\n"
		   "exit status: 0 ok, 1 guest failure, 2 bad usage or input, 3 host error\n");
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
