// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * What hoverd prepares, as root, for each VM's jail (hover run does the rest,
 * host/jail.c): namespaces, a uid, the disk images' owner, a cgroup.
 *
 * - Namespaces: hoverd starts `hover run` with clone3(2) in new mount, PID and
 *   IPC namespaces, and a new network namespace when the VM has no network
 *   card (--net user needs the host's sockets for its NAT and port forwards,
 *   --net tap an interface in the host's namespace).
 * - One uid (and gid of the same number) per running VM from --jail-uids
 *   FIRST-LAST (default 900000-965535, above the ranges Debian allocates):
 *   two VM processes of one uid could signal or trace each other; of distinct
 *   uids they cannot, and no setup step has to create users.
 * - The writable disk images are chown'ed to that uid (the process opens them
 *   again on every guest reboot, as that uid); read-only files need only be
 *   readable by others.
 * - cgroup v2 (Documentation/admin-guide/cgroup-v2.rst), where /sys/fs/cgroup
 *   is a writable cgroup2 mount: /sys/fs/cgroup/hover/NAME with memory.max =
 *   guest RAM + HOVERD_JAIL_MEM_OVERHEAD and cpu.weight 100, entered at clone
 *   time (CLONE_INTO_CGROUP). Elsewhere hoverd says once why there are none.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "mgmt/hoverd.h"

#define CGROUP_ROOT "/sys/fs/cgroup"

pid_t hoverd_jail_clone(bool newnet, int cgroup_fd, int *pidfd)
{
	struct clone_args ca = {
		.flags = CLONE_PIDFD | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC |
			 (newnet ? CLONE_NEWNET : 0),
		.pidfd = (u64)(uintptr_t)pidfd,
		.exit_signal = SIGCHLD,
	};

	if (cgroup_fd >= 0) {
		ca.flags |= CLONE_INTO_CGROUP;
		ca.cgroup = (u64)cgroup_fd;
	}
	/* Like fork(2): the child has only this thread, and runs async-signal-safe
	 * code until it execs (glibc's fork handlers do not run). */
	return (pid_t)syscall(SYS_clone3, &ca, sizeof(ca));
}

unsigned hoverd_jail_pick_uid(struct hoverd *d)
{
	for (unsigned uid = d->jail_uid_first; uid <= d->jail_uid_last; uid++) {
		bool used = false;

		for (struct hvm *vm = d->vms; vm && !used; vm = vm->next)
			used = hvm_live(vm) && vm->jail_uid == uid;
		if (!used)
			return uid;
	}
	return 0;
}

int hoverd_jail_prepare(struct hoverd *d, const struct vm_def *def, const char *root,
			unsigned uid, char *err, size_t errlen)
{
	if (mkdir(root, 0700) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "cannot make the jail directory %s: %s", root, strerror(errno));
		return -errno;
	}
	for (size_t i = 0; i < def->ndisk; i++) {
		char file[PATH_MAX], real[PATH_MAX];
		const char *comma = strchr(def->disk[i], ',');
		size_t n = comma ? (size_t)(comma - def->disk[i]) : strlen(def->disk[i]);
		int fd;

		if (comma && strstr(comma, "readonly=on"))
			continue;
		snprintf(file, sizeof(file), "%.*s", (int)n, def->disk[i]);
		/* resolved and checked against --allow-dir; O_NOFOLLOW: no link swapped in since */
		if (!realpath(file, real) || hoverd_path_check(d, "disk", real, err, errlen)) {
			if (!err[0])
				snprintf(err, errlen, "disk %s: %s", file, strerror(errno));
			return -EACCES;
		}
		fd = open(real, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0 || fchown(fd, uid, uid) < 0) {
			snprintf(err, errlen, "disk %s: cannot give it to the VM's uid %u: %s", file, uid,
				 strerror(errno));
			if (fd >= 0)
				close(fd);
			return -EACCES;
		}
		close(fd);
	}
	return 0;
}

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, text, strlen(text));
	close(fd);
	return n == (ssize_t)strlen(text) ? 0 : -EIO;
}

bool hoverd_cgroup_usable(char *why, size_t len)
{
	struct statfs sf;

	if (statfs(CGROUP_ROOT, &sf) < 0 || sf.f_type != CGROUP2_SUPER_MAGIC) {
		snprintf(why, len, "%s is not a cgroup v2 mount (cgroup v1 or none)", CGROUP_ROOT);
		return false;
	}
	if (access(CGROUP_ROOT "/cgroup.subtree_control", W_OK) < 0) {
		snprintf(why, len, "%s is not writable (%s)", CGROUP_ROOT, strerror(errno));
		return false;
	}
	return true;
}

int hoverd_cgroup_open(const char *name, u64 memory, char *err, size_t errlen)
{
	char dir[PATH_MAX], p[PATH_MAX + 32], val[32];
	int ret, fd;

	/* Controllers must be enabled in every parent for the child to use them. */
	write_file(CGROUP_ROOT "/cgroup.subtree_control", "+memory +cpu");
	mkdir(CGROUP_ROOT "/hover", 0755);
	write_file(CGROUP_ROOT "/hover/cgroup.subtree_control", "+memory +cpu");
	snprintf(dir, sizeof(dir), CGROUP_ROOT "/hover/%s", name);
	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "cannot make cgroup %s: %s", dir, strerror(errno));
		return -errno;
	}
	snprintf(p, sizeof(p), "%s/memory.max", dir);
	snprintf(val, sizeof(val), "%llu", (unsigned long long)(memory + HOVERD_JAIL_MEM_OVERHEAD));
	ret = write_file(p, val);
	if (!ret) {
		snprintf(p, sizeof(p), "%s/cpu.weight", dir);
		ret = write_file(p, "100");
	}
	if (ret) {
		snprintf(err, errlen, "cannot set the limits of cgroup %s: %s", dir, strerror(-ret));
		return ret;
	}
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "cannot open cgroup %s: %s", dir, strerror(errno));
		return -errno;
	}
	return fd;
}
