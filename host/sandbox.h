/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The VM process's sandbox: no_new_privs and one seccomp filter per kind of
 * thread (Linux Documentation/userspace-api/seccomp_filter.rst), with a SIGSYS
 * handler that names a refused call in the VM's log and stops the process.
 *
 * Filters stack and are inherited by threads a thread creates. The main thread
 * builds the machine, and rebuilds it on a guest reboot, so it keeps the wider
 * SANDBOX_MAIN filter and runs no guest-facing work while the VM runs: the event
 * loop, the vCPUs and the disk I/O threads are threads of their own, each of
 * which adds its narrow filter first thing (sandbox_enter). The rules per thread
 * are in sandbox_rules.c and the README's "Security" section.
 */
#ifndef HOVER_HOST_SANDBOX_H
#define HOVER_HOST_SANDBOX_H

#include <stddef.h>

#include "host/sandbox_bpf.h"
#include "include/hover/types.h"

enum sandbox_thread {
	SANDBOX_MAIN, /* builds and rebuilds the machine, waits for the others */
	SANDBOX_LOOP, /* the event loop: console, sockets, timers, slirp, tap */
	SANDBOX_VCPU, /* a vCPU: runs the guest and the device models it traps into */
	SANDBOX_IO,   /* a virtio-blk I/O thread: flushes and discards */
	SANDBOX_DISPLAY, /* the VNC server: viewers' sockets, screen updates, input */
	SANDBOX_MIGRATE, /* live migration out: connects to the destination, sends RAM */
};

/* What the VM uses, which decides some rules. */
struct sandbox_config {
	bool kvm;   /* the kvm engine: KVM ioctls (type 0xAE) */
	bool slirp; /* --net user: libslirp opens sockets and reads /etc/resolv.conf */
	/*
	 * The directory snapshots go to (an O_PATH fd), or 0 or -1 for none (fd 0
	 * is stdin, never that directory): the loop may
	 * create, rename and remove files in it, and only in it (openat,
	 * renameat, unlinkat with this fd as their directory).
	 */
	int snapshot_dirfd;
	/* --cdrom: the loop opens a new disc read-only when the API changes the medium. */
	bool cdrom;
};

/* The rules for one kind of thread; returns how many were written (at most max). */
size_t sandbox_rules(enum sandbox_thread kind, const struct sandbox_config *cfg,
		     struct sandbox_rule *out, size_t max);

/*
 * Process set-up, once, in the main thread before any filter: the SIGSYS
 * handler, and PR_SET_NO_NEW_PRIVS (inherited by every thread created later).
 * 0 or -errno.
 */
int sandbox_init(void) HOVER_WUR;

/*
 * Name this thread (shown by ps -T and in the SIGSYS line: "vcpu0", "loop",
 * "io-disk0", "main") and install its filter. With HOVER_SANDBOX_SELFTEST=NAME
 * in the environment, the thread so named then makes one refused call (to show,
 * and test, what a refused call does). 0 or -errno.
 */
int sandbox_enter(enum sandbox_thread kind, unsigned index, const struct sandbox_config *cfg) HOVER_WUR;

/* The thread-name stem of a kind ("vcpu", "loop"...). */
const char *sandbox_thread_name(enum sandbox_thread kind);

#endif
