/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The verb table's entry type and the verbs. */
#ifndef HOVER_MGMT_CMD_H
#define HOVER_MGMT_CMD_H

#include <stdio.h>

#define HOVER_VERSION "0.1.0"

enum { EXIT_OK = 0, EXIT_GUEST_FAILED = 1, EXIT_USAGE = 2, EXIT_HOST_ERROR = 3,
       EXIT_NO_SUCH_VM = 4 /* the hoverd verbs */ };

struct cmd {
	const char *name;
	const char *summary;
	int (*fn)(int argc, char **argv);
	void (*help)(FILE *f);
};

int cmd_run(int argc, char **argv);
void cmd_run_help(FILE *f);

/* The verbs that talk to hoverd (cmd_vm.c, cmd_console.c). */
int cmd_vm(int argc, char **argv);
int cmd_console(int argc, char **argv);
/* hover set NAME KEY VALUE (cmd_set.c) */
int cmd_set(int argc, char **argv);
void cmd_set_help(FILE *f);
/* hover screenshot NAME FILE.png (cmd_screenshot.c). */
int cmd_screenshot(int argc, char **argv);
void cmd_screenshot_help(FILE *f);
/* hoverd's snapshot, restore and migrate verbs (cmd_migrate.c) */
int cmd_snapshot(int argc, char **argv);
int cmd_restore(int argc, char **argv);
int cmd_migrate(int argc, char **argv);
void cmd_snapshot_help(FILE *f);
void cmd_restore_help(FILE *f);
void cmd_migrate_help(FILE *f);
void cmd_vm_help(FILE *f, const char *verb);
/* hover image build|ls|rm, launch, shell: images and VMs from them (cmd_image.c,
 * cmd_launch.c, cmd_shell.c). */
int cmd_image(int argc, char **argv);
void cmd_image_help(FILE *f);
int cmd_launch(int argc, char **argv);
void cmd_launch_help(FILE *f);
int cmd_shell(int argc, char **argv);
void cmd_shell_help(FILE *f);
/* hover --connect SOCKET VERB ...: hoverd's socket (default: hoverd's default). */
void cmd_set_connect(const char *path);
const char *cmd_connect_path(void);

#endif
