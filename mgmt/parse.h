/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Parsing of command-line values shared by the verbs. */
#ifndef HOVER_MGMT_PARSE_H
#define HOVER_MGMT_PARSE_H

#include "include/hover/types.h"

/* "512M", "2G", "1048576K", "4096" (MiB, as QEMU reads a bare number). -EINVAL if not a size. */
int parse_size(const char *s, u64 *out);
/* A decimal integer in [min, max]. */
int parse_uint(const char *s, unsigned min, unsigned max, unsigned *out);

#endif
