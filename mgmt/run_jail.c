// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Put `hover run` in the jail hoverd prepared for it (host/jail.c does the
 * mounts and the privilege drop). What goes in: the kernel as /kernel, the
 * initrd as /initrd, disk N as /diskN (writable unless readonly=on),
 * /etc/resolv.conf with --net user (libslirp's DNS forwarder reads it), and
 * the device nodes. A qcow2 disk opened with backing=on brings its backing
 * chain, read-only, each file where the jailed open will look for it (an
 * absolute name at that path, a relative one beside the image that names it),
 * once it is found inside the --confine-dir directories. libslirp is loaded first, since its file is not in the
 * jail; libmicrohttpd and the API/console sockets already are (run_mgmt_open).
 * RLIMIT_FSIZE counts every file the process sizes, memfds too: the largest
 * may be a disk (qcow2: its virtual size, plus room for metadata), guest RAM
 * (a memfd of that size), or the emu translator's 256 MiB code buffer; plus
 * room for the console logs (each capped at 16 MiB).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host/jail.h"
#include "include/hover/path_confined.h"
#include "host/slirp_lib.h"
#include "machine/pc.h"
#include "mgmt/run_jail.h"

#define LOG_ROOM (64ull << 20)
#define JIT_BUFFER (256ull << 20)

/* The most a disk image may grow to: a raw file its size, qcow2 its virtual size and some. */
static u64 disk_limit(const char *path)
{
	unsigned char h[32];
	struct stat st;
	u64 size = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return 0;
	if (fstat(fd, &st) == 0)
		size = (u64)st.st_size;
	if (pread(fd, h, sizeof(h), 0) == (ssize_t)sizeof(h) && !memcmp(h, "QFI\xfb", 4)) {
		u64 virt = 0;

		for (unsigned i = 24; i < 32; i++)
			virt = virt << 8 | h[i];
		virt += virt / 8 + (64ull << 20); /* L1/L2 tables, refcounts */
		if (virt > size)
			size = virt;
	}
	close(fd);
	return size;
}

/* The backing file name a qcow2 header at fd names (header bytes 8..19, big-endian
 * offset and length), or "" when there is none or the file is no qcow2 image. */
static void backing_name(int fd, char *name, size_t len)
{
	unsigned char h[20];
	u64 off = 0;
	u32 n = 0;

	name[0] = '\0';
	if (pread(fd, h, sizeof(h), 0) != (ssize_t)sizeof(h) || memcmp(h, "QFI\xfb", 4))
		return;
	for (unsigned i = 8; i < 16; i++)
		off = off << 8 | h[i];
	for (unsigned i = 16; i < 20; i++)
		n = n << 8 | h[i];
	if (!off || !n || n >= len || pread(fd, name, n, (off_t)off) != (ssize_t)n)
		return;
	name[n] = '\0';
}

/* "dir/of/image" + name: name itself if absolute. */
static void beside(const char *image, const char *name, char *out, size_t len)
{
	const char *slash = strrchr(image, '/');

	if (name[0] == '/' || !slash)
		snprintf(out, len, "%s", name);
	else
		snprintf(out, len, "%.*s/%s", (int)(slash - image), image, name);
}

/* Bind the backing chain of the image at host (seen in the jail as jailed). */
static int add_backing_chain(struct jail_config *cfg, const char *host, const char *jailed,
			     const char *const *confine, char *err, size_t errlen)
{
	char cur[PATH_MAX], in_jail[PATH_MAX];

	snprintf(cur, sizeof(cur), "%s", host);
	snprintf(in_jail, sizeof(in_jail), "%s", jailed);
	for (unsigned depth = 0; depth < 16; depth++) {
		char name[1024], next[PATH_MAX], next_jail[PATH_MAX], real[PATH_MAX];
		const char *at;
		int fd = open(cur, O_RDONLY | O_CLOEXEC);

		if (fd < 0)
			return 0; /* the block layer reports it */
		backing_name(fd, name, sizeof(name));
		close(fd);
		if (!name[0])
			return 0;
		beside(cur, name, next, sizeof(next));
		beside(in_jail, name, next_jail, sizeof(next_jail));
		if (strstr(next_jail, "/../") || !realpath(next, real))
			return 0; /* refused or reported when the block layer opens it */
		if (confine && confine[0] && !path_confined(real, confine)) {
			snprintf(err, errlen, "%s: backing file %s lies outside the --confine-dir "
				 "directories", cur, next);
			return -EACCES;
		}
		at = jail_add(cfg, strdup(real), next_jail + 1, false);
		if (!at) {
			snprintf(err, errlen, "%s: backing file %s: too many files or too long a "
				 "name for the jail", cur, next);
			return -ENAMETOOLONG;
		}
		snprintf(cur, sizeof(cur), "%s", real);
		snprintf(in_jail, sizeof(in_jail), "%s", at);
	}
	return 0;
}

int run_jail_enter(const struct run_jail *j, u64 ram, const char **kernel, const char **initrd,
		   const char **firmware, struct pc_disk *disks, unsigned ndisks, bool slirp,
		   const char *const *confine, char *err, size_t errlen)
{
	struct jail_config cfg = { .root = j->root, .uid = j->uid, .gid = j->gid,
				   .fsize_limit = (ram > JIT_BUFFER ? ram : JIT_BUFFER) + LOG_ROOM };
	const char *k = NULL, *i = NULL, *fw = NULL, *d[PC_MAX_DISKS];
	int ret;

	if (slirp) {
		struct slirp_lib lib;

		ret = slirp_lib_open(&lib, err, errlen);
		if (ret)
			return ret;
		slirp_lib_close(&lib); /* RTLD_NODELETE: it stays mapped */
	}
	if (*kernel)
		k = jail_add(&cfg, *kernel, "kernel", false);
	if (*firmware) /* without a kernel: the firmware image, read when the machine is built */
		fw = jail_add(&cfg, *firmware, "firmware", false);
	if (*initrd)
		i = jail_add(&cfg, *initrd, "initrd", false);
	for (unsigned n = 0; n < ndisks; n++) {
		char name[16];
		u64 lim = disks[n].readonly ? 0 : disk_limit(disks[n].path);

		snprintf(name, sizeof(name), "disk%u", n);
		d[n] = jail_add(&cfg, disks[n].path, name, !disks[n].readonly);
		if (lim + LOG_ROOM > cfg.fsize_limit)
			cfg.fsize_limit = lim + LOG_ROOM;
		if (!d[n]) {
			snprintf(err, errlen, "jail: too many files");
			return -E2BIG;
		}
		if (disks[n].backing) {
			ret = add_backing_chain(&cfg, disks[n].path, d[n], confine, err, errlen);
			if (ret)
				return ret;
		}
	}
	if (slirp && access("/etc/resolv.conf", R_OK) == 0)
		jail_add(&cfg, "/etc/resolv.conf", "etc/resolv.conf", false);
	ret = jail_enter(&cfg, err, errlen);
	if (ret)
		return ret;
	/* The jail's copies replace the host paths (jail_add names are stable: cfg
	 * is local, so copy them out). */
	if (k)
		*kernel = strdup(k);
	if (fw)
		*firmware = strdup(fw);
	if (i)
		*initrd = strdup(i);
	for (unsigned n = 0; n < ndisks; n++)
		disks[n].path = strdup(d[n]);
	return (!k || *kernel) && (!fw || *firmware) ? 0 : -ENOMEM;
}
