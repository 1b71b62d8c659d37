/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * An allow-list of system calls, with optional checks on one argument,
 * compiled to a classic BPF program for seccomp (Linux
 * Documentation/userspace-api/seccomp_filter.rst).
 */
#ifndef HOVER_HOST_SANDBOX_BPF_H
#define HOVER_HOST_SANDBOX_BPF_H

#include <linux/filter.h>
#include <stddef.h>

#include "include/hover/types.h"

/* Rule: allow syscall `nr` when arg < 0, or when (args[arg] & mask) == value
 * on the argument's low 32 bits (ints, flags, and ioctl's unsigned int cmd).
 * Several rules may name one syscall: any that matches allows it. */
struct sandbox_rule {
	int nr;
	int arg;
	u32 mask, value;
};

#define SANDBOX_BPF_MAX 1024

/*
 * Build the program: anything not x86-64 (the i386 and x32 ABIs) and any call
 * no rule allows returns SECCOMP_RET_TRAP (a SIGSYS the process handles);
 * allowed calls return SECCOMP_RET_ALLOW. Returns the number of instructions,
 * or -E2BIG if prog[max] is too small.
 */
int sandbox_bpf_build(const struct sandbox_rule *rules, size_t n, struct sock_filter *prog,
		      size_t max) HOVER_WUR;

#endif
