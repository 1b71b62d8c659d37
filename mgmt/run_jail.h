/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * hover run --jail DIR --jail-uid N --jail-gid N (hoverd passes them when it
 * runs as root): move this VM process into its jail (host/jail.h) once its
 * sockets are bound and its optional libraries loaded, and point the kernel,
 * initrd and disk paths at their copies inside it.
 */
#ifndef HOVER_MGMT_RUN_JAIL_H
#define HOVER_MGMT_RUN_JAIL_H

#include <stddef.h>

#include "include/hover/types.h"

struct pc_disk;

struct run_jail {
	const char *root; /* NULL: no jail */
	unsigned uid, gid;
};

/* ram: guest RAM (a memfd that size: RLIMIT_FSIZE must allow it); confine: the
 * --confine-dir directories backing files must lie in (NULL: any). 0, or -errno
 * with one sentence in err. The path pointers are replaced. */
int run_jail_enter(const struct run_jail *j, u64 ram, const char **kernel, const char **initrd,
		   const char **firmware, struct pc_disk *disks, unsigned ndisks, bool slirp,
		   const char *const *confine, char *err, size_t errlen) HOVER_WUR;

#endif
