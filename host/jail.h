/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The VM process's jail (as Firecracker's jailer): a root of its own that holds
 * only its files, then an unprivileged uid. The caller (hoverd) has already put
 * the process in new mount, PID, IPC and, where it can, network namespaces
 * (clone3(2)); this runs as root inside them (mount_namespaces(7),
 * pivot_root(2), setresuid(2), setrlimit(2)).
 */
#ifndef HOVER_HOST_JAIL_H
#define HOVER_HOST_JAIL_H

#include <stddef.h>
#include <sys/types.h>

#include "include/hover/types.h"

/* One file the VM needs: bind-mounted from src to /name in the new root. */
struct jail_file {
	const char *src;
	char name[256]; /* "/disk0"; a backing file's absolute path */
	bool writable;
};

#define JAIL_MAX_FILES 24

struct jail_config {
	const char *root; /* an empty directory: a tmpfs is mounted there and becomes / */
	uid_t uid;
	gid_t gid;
	struct jail_file file[JAIL_MAX_FILES];
	unsigned nfiles;
	u64 fsize_limit; /* RLIMIT_FSIZE: the largest file the VM may write */
};

/*
 * Build the root (a read-only tmpfs with the files bind-mounted in, /dev/kvm,
 * /dev/net/tun, /dev/null and /dev/urandom when the host has them), pivot_root into it, drop every
 * privilege to uid/gid, and set the limits (no core dumps: they would hold
 * guest memory). 0, or -errno with err naming the step that failed.
 */
int jail_enter(const struct jail_config *cfg, char *err, size_t errlen) HOVER_WUR;

/* Add a file; returns its path inside the jail ("/name"; name may hold directories), or
 * NULL if full or the name is too long. */
const char *jail_add(struct jail_config *cfg, const char *src, const char *name, bool writable);

#endif
