/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * For tests that drive qemu-img and the shell (test_qcow2.c,
 * test_block_safety.c, test_qcow2_crash.c): run a printf-formatted command
 * line through system(3), return its status.
 */
#ifndef HOVER_TESTS_UNIT_SH_UTIL_H
#define HOVER_TESTS_UNIT_SH_UTIL_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "include/hover/types.h"

static int sh(const char *fmt, ...) HOVER_PRINTF(1, 2);
static int sh(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

#endif
