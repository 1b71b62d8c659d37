/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * `hover run --incoming tcp:ADDR:PORT|unix:PATH`: wait for a live migration
 * (machine/pc_migrate_in.c) and run the VM it brings. Like --restore, the
 * machine's options come from the source and go in front of the command
 * line's (which adds the engine, name, sockets...).
 */
#ifndef HOVER_MGMT_RUN_INCOMING_H
#define HOVER_MGMT_RUN_INCOMING_H

#include <stddef.h>

#include "include/hover/types.h"

struct pc;
struct pc_migrate_in;

struct run_incoming {
	int fd; /* the source's connection; -1: no --incoming */
	struct pc_migrate_in *in;
	char **argv; /* the options, the source's first */
};

/*
 * If argv has --incoming ADDR: listen there, accept the source, read the
 * machine's options. 0 (with argc2 and argv2 to parse, the source's options
 * first), or an exit status after saying why.
 */
int run_incoming_begin(struct run_incoming *ri, int argc, char **argv, int *argc2,
		       char ***argv2);
/* Receive the VM into pc (built with pc_config.restore). 0, or an exit status after telling the source. */
int run_incoming_receive(struct run_incoming *ri, struct pc *pc, char *err, size_t errlen);
/* Building the machine failed: tell the source why (it resumes). */
void run_incoming_refuse(struct run_incoming *ri, const char *why);
/* Close the connection (the options stay: parsed options point into them). */
void run_incoming_end(struct run_incoming *ri);

#endif
