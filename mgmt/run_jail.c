// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Put `hover run` in the jail hoverd prepared for it (host/jail.c does the
 * mounts and the privilege drop). What goes in: the kernel as /kernel, the
 * initrd as /initrd, disk N as /diskN (writable unless readonly=on),
 * /etc/resolv.conf with --net user (libslirp's DNS forwarder reads it), and
 * the device nodes. libslirp is loaded first, since its file is not in the
 * jail; libmicrohttpd and the API/console sockets already are (run_mgmt_open).
 * RLIMIT_FSIZE counts every file the process sizes, memfds too: the largest
 * may be a disk (qcow2: its virtual size, plus room for metadata), guest RAM
 * (a memfd of that size), or the emu translator's 256 MiB code buffer; plus
 * room for the console logs (each capped at 16 MiB).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host/jail.h"
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

int run_jail_enter(const struct run_jail *j, u64 ram, const char **kernel, const char **initrd,
		   const char **firmware,
		   struct pc_disk *disks, unsigned ndisks, bool slirp, char *err, size_t errlen)
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
