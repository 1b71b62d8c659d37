/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libslirp, loaded when a VM asks for --net user and not before.
 *
 * Linking libslirp would map it and its dependencies (glib, pcre2) into every
 * hover process and have the dynamic linker relocate them at start: a few
 * hundred KiB of resident memory in a VMM that never uses them. Instead
 * net_slirp.c calls libslirp through this table, filled from the library
 * loaded with dlopen(). The entries take their types from libslirp.h itself
 * (__typeof__), so the compiler checks every call as if it were linked.
 */
#ifndef HOVER_HOST_SLIRP_LIB_H
#define HOVER_HOST_SLIRP_LIB_H

#include <libslirp.h>
#include <stddef.h>

#include "include/hover/types.h"

/* The soname Debian's libslirp0 installs (ABI 0 since libslirp 4.0). */
#define SLIRP_LIB_SONAME "libslirp.so.0"

struct slirp_lib {
	void *handle;
	__typeof__(slirp_new) *new;
	__typeof__(slirp_cleanup) *cleanup;
	__typeof__(slirp_pollfds_fill) *pollfds_fill;
	__typeof__(slirp_pollfds_poll) *pollfds_poll;
	__typeof__(slirp_input) *input;
	__typeof__(slirp_handle_timer) *handle_timer;
	__typeof__(slirp_add_hostfwd) *add_hostfwd;
};

/*
 * Load libslirp and fill lib. Fails with -ENOENT (the library is missing:
 * err says which package to install) or -ENOSYS (too old: a function is
 * missing). Each successful open is paired with slirp_lib_close().
 */
int slirp_lib_open(struct slirp_lib *lib, char *err, size_t errlen) HOVER_WUR;
void slirp_lib_close(struct slirp_lib *lib);

#endif
