/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Is a file inside one of a list of directories, after resolving symbolic
 * links and "..": the check hoverd's --allow-dir and hover run's --confine-dir
 * make on every file a client names (kernel, initrd, disks, backing files).
 */
#ifndef HOVER_INCLUDE_PATH_CONFINED_H
#define HOVER_INCLUDE_PATH_CONFINED_H

#include <stdbool.h>
#include <stddef.h>

/*
 * True if realpath(path) exists and lies in (or is) realpath(dirs[i]) for some
 * i; dirs ends with NULL. A NULL or empty list confines nothing: true. A path
 * that does not resolve (missing, a dangling link) is not confined: false.
 */
bool path_confined(const char *path, const char *const *dirs);

/* The same for an open file, by what /proc/self/fd says it is: no window
 * between the check and the use. */
bool path_fd_confined(int fd, const char *const *dirs);

#endif
