// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Containment of a path in a set of directories, by resolved names
 * (realpath(3): symbolic links, "." and ".." undone). A directory contains
 * itself and everything below it; "/srv/img" does not contain "/srv/images".
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "include/hover/path_confined.h"

static bool under(const char *real, const char *const *dirs)
{
	for (size_t i = 0; dirs[i]; i++) {
		char dir[PATH_MAX];
		size_t n;

		if (!realpath(dirs[i], dir))
			continue;
		n = strlen(dir);
		if (n == 1) /* "/" contains everything */
			return true;
		if (!strncmp(real, dir, n) && (real[n] == '\0' || real[n] == '/'))
			return true;
	}
	return false;
}

bool path_confined(const char *path, const char *const *dirs)
{
	char real[PATH_MAX];

	if (!dirs || !dirs[0])
		return true;
	if (!path || !realpath(path, real))
		return false;
	return under(real, dirs);
}

bool path_fd_confined(int fd, const char *const *dirs)
{
	char link[64], real[PATH_MAX];
	ssize_t n;

	if (!dirs || !dirs[0])
		return true;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, real, sizeof(real) - 1);
	if (n <= 0 || real[0] != '/')
		return false;
	real[n] = '\0';
	return under(real, dirs);
}
