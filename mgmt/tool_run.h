/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Run a host tool (qemu-img, ssh-keygen, mkfs.vfat, mcopy, the image build
 * script) and wait for it: the image and launch verbs drive Debian's tools
 * rather than reimplement them.
 */
#ifndef HOVER_MGMT_TOOL_RUN_H
#define HOVER_MGMT_TOOL_RUN_H

#include <stdbool.h>

/* argv[0] is looked up in PATH, then /usr/sbin and /sbin (mkfs.vfat).
 * quiet: its stdout and stderr go to /dev/null unless it fails (then its
 * stderr, kept in a buffer, is printed). to_stderr: its stdout goes to our
 * stderr (progress while --json keeps stdout for the answer). Returns its
 * exit status, 127 if it could not be run (and says which package to install,
 * pkg, when not NULL). */
int tool_run(char *const argv[], bool quiet, bool to_stderr, const char *pkg);
/* True if argv0 can be found as tool_run looks. */
bool tool_exists(const char *argv0);

#endif
