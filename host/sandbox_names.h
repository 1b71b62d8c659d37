/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * x86-64 system call names by number, generated at build time from the kernel
 * headers (scripts/gen-syscall-names.py), so that the SIGSYS handler can name a
 * refused call with nothing but a table lookup.
 */
#ifndef HOVER_HOST_SANDBOX_NAMES_H
#define HOVER_HOST_SANDBOX_NAMES_H

#define SANDBOX_NR_NAMES 512
/* NULL where the number is unassigned. */
extern const char *const sandbox_syscall_names[SANDBOX_NR_NAMES];

#endif
