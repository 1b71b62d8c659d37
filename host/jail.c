// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Enter the VM process's jail (see jail.h). Steps, in this order, all as root
 * in the namespaces hoverd made (mount_namespaces(7), pivot_root(2)):
 *  1. make every mount private, so nothing done here reaches the host;
 *  2. mount a small tmpfs on cfg->root; bind each file onto an empty file of
 *     that name (read-only unless it is a writable disk), and the device nodes
 *     the engines and libraries need (/dev/kvm, /dev/net/tun, /dev/null,
 *     /dev/urandom) where the host has them;
 *  3. pivot_root into it and detach the old root: the host's file system is
 *     gone from this process's view; remount the new root read-only;
 *  4. drop supplementary groups (but /dev/kvm's), then gid, then uid (setresuid: real, effective
 *     and saved), and check the drop cannot be undone;
 *  5. limits: no core dumps (guest memory), at most 1024 open files, files no
 *     bigger than cfg->fsize_limit (the disks' size and the logs' cap).
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "host/jail.h"

#define JAIL_NOFILE 1024

const char *jail_add(struct jail_config *cfg, const char *src, const char *name, bool writable)
{
	struct jail_file *f;

	if (cfg->nfiles == JAIL_MAX_FILES)
		return NULL;
	f = &cfg->file[cfg->nfiles];
	f->src = src;
	f->writable = writable;
	if ((size_t)snprintf(f->name, sizeof(f->name), "/%s", name) >= sizeof(f->name))
		return NULL;
	cfg->nfiles++;
	return f->name;
}

static int fail(char *err, size_t errlen, const char *what, const char *arg)
{
	int e = errno;

	snprintf(err, errlen, "jail: %s %s: %s", what, arg, strerror(e));
	return -e;
}

/* An empty file (or directory) at dst, and src bound onto it. */
static int bind(const char *src, const char *dst, bool writable, char *err, size_t errlen)
{
	struct stat st;
	int fd;

	if (stat(src, &st) < 0)
		return fail(err, errlen, "cannot find", src);
	if (S_ISDIR(st.st_mode)) {
		if (mkdir(dst, 0755) < 0 && errno != EEXIST)
			return fail(err, errlen, "cannot make", dst);
	} else {
		fd = open(dst, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
		if (fd < 0)
			return fail(err, errlen, "cannot make", dst);
		close(fd);
	}
	if (mount(src, dst, NULL, MS_BIND, NULL) < 0)
		return fail(err, errlen, "cannot bind", src);
	if (!writable &&
	    mount(NULL, dst, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID, NULL) < 0)
		return fail(err, errlen, "cannot make read-only", dst);
	return 0;
}

static int build_root(const struct jail_config *cfg, char *err, size_t errlen)
{
	/* /dev/urandom: GLib (under libslirp) seeds its generator from it, else from
	 * getpid/getppid/time, and getppid is no call of a sandboxed VM's. */
	static const char *const devs[] = { "/dev/kvm", "/dev/net/tun", "/dev/null", "/dev/urandom" };
	char dst[4200];
	int ret;

	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return fail(err, errlen, "cannot make the mounts private", "/");
	if (mount("hover-jail", cfg->root, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
		  "size=64k,nr_inodes=64,mode=0755") < 0)
		return fail(err, errlen, "cannot mount a tmpfs on", cfg->root);
	for (unsigned i = 0; i < cfg->nfiles; i++) {
		char *slash;

		snprintf(dst, sizeof(dst), "%s%s", cfg->root, cfg->file[i].name);
		/* "etc/resolv.conf", a backing file's "/var/lib/...": make the directories */
		for (slash = strchr(dst + strlen(cfg->root) + 1, '/'); slash;
		     slash = strchr(slash + 1, '/')) {
			*slash = '\0';
			mkdir(dst, 0755);
			*slash = '/';
		}
		ret = bind(cfg->file[i].src, dst, cfg->file[i].writable, err, errlen);
		if (ret)
			return ret;
	}
	for (unsigned i = 0; i < sizeof(devs) / sizeof(devs[0]); i++) {
		if (access(devs[i], F_OK) < 0)
			continue;
		snprintf(dst, sizeof(dst), "%s/dev", cfg->root);
		mkdir(dst, 0755);
		snprintf(dst, sizeof(dst), "%s/dev/net", cfg->root);
		mkdir(dst, 0755);
		snprintf(dst, sizeof(dst), "%s%s", cfg->root, devs[i]);
		ret = bind(devs[i], dst, true, err, errlen);
		if (ret)
			return ret;
	}
	return 0;
}

static int enter_root(const struct jail_config *cfg, char *err, size_t errlen)
{
	if (chdir(cfg->root) < 0)
		return fail(err, errlen, "cannot enter", cfg->root);
	/* pivot_root(".", "."): the old root is stacked under the new one, then detached. */
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		return fail(err, errlen, "cannot pivot_root into", cfg->root);
	if (umount2(".", MNT_DETACH) < 0)
		return fail(err, errlen, "cannot detach the host's root", "/");
	if (chdir("/") < 0)
		return fail(err, errlen, "cannot enter", "/");
	if (mount(NULL, "/", NULL, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
		  NULL) < 0)
		return fail(err, errlen, "cannot make read-only", "/");
	return 0;
}

static int drop(const struct jail_config *cfg, char *err, size_t errlen)
{
	char id[32];
	struct stat kvm;
	gid_t groups[1];
	size_t ngroups = 0;

	/* Only the group that may open /dev/kvm (the device is in the jail, if any). */
	if (stat("/dev/kvm", &kvm) == 0 && kvm.st_gid != 0)
		groups[ngroups++] = kvm.st_gid;
	snprintf(id, sizeof(id), "%u", (unsigned)cfg->uid);
	if (setgroups(ngroups, groups) < 0)
		return fail(err, errlen, "cannot drop the supplementary groups for uid", id);
	if (setresgid(cfg->gid, cfg->gid, cfg->gid) < 0)
		return fail(err, errlen, "cannot change to gid", id);
	if (setresuid(cfg->uid, cfg->uid, cfg->uid) < 0)
		return fail(err, errlen, "cannot change to uid", id);
	if (setuid(0) == 0 || geteuid() == 0) {
		errno = EPERM;
		return fail(err, errlen, "root could be regained after changing to uid", id);
	}
	return 0;
}

static int limits(const struct jail_config *cfg, char *err, size_t errlen)
{
	struct rlimit core = { 0, 0 }, nofile = { JAIL_NOFILE, JAIL_NOFILE };
	struct rlimit fsize = { cfg->fsize_limit, cfg->fsize_limit };

	if (setrlimit(RLIMIT_CORE, &core) < 0)
		return fail(err, errlen, "cannot set", "RLIMIT_CORE");
	if (setrlimit(RLIMIT_NOFILE, &nofile) < 0)
		return fail(err, errlen, "cannot set", "RLIMIT_NOFILE");
	if (cfg->fsize_limit && setrlimit(RLIMIT_FSIZE, &fsize) < 0)
		return fail(err, errlen, "cannot set", "RLIMIT_FSIZE");
	return 0;
}

int jail_enter(const struct jail_config *cfg, char *err, size_t errlen)
{
	int ret = build_root(cfg, err, errlen);

	if (!ret)
		ret = enter_root(cfg, err, errlen);
	if (!ret)
		ret = limits(cfg, err, errlen);
	if (!ret)
		ret = drop(cfg, err, errlen);
	return ret;
}
