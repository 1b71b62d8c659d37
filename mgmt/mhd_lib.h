/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libmicrohttpd, loaded when an API server starts (hover run --api-sock,
 * hoverd) and not before.
 *
 * Linked, libmicrohttpd brings gnutls and its chain (p11-kit, nettle,
 * hogweed, gmp, idn2, unistring, tasn1, ffi) into every hover process: their
 * relocated pages and constructors cost about 2 MiB of resident memory in a
 * VMM that serves no API. api.c calls it through this table instead, filled
 * from the library loaded with dlopen(). The entries take their types from
 * microhttpd.h (__typeof__), so every call is checked as if it were linked.
 */
#ifndef HOVER_MGMT_MHD_LIB_H
#define HOVER_MGMT_MHD_LIB_H

#include <microhttpd.h>
#include <stddef.h>

#include "include/hover/types.h"

/* The soname Debian's libmicrohttpd12 installs. */
#define MHD_LIB_SONAME "libmicrohttpd.so.12"

struct mhd_lib {
	void *handle;
	__typeof__(MHD_start_daemon) *start_daemon;
	__typeof__(MHD_stop_daemon) *stop_daemon;
	__typeof__(MHD_get_daemon_info) *get_daemon_info;
	__typeof__(MHD_run) *run;
	__typeof__(MHD_get_timeout) *get_timeout;
	__typeof__(MHD_get_connection_info) *get_connection_info;
	__typeof__(MHD_lookup_connection_value) *lookup_connection_value;
	__typeof__(MHD_create_response_from_callback) *create_response_from_callback;
	__typeof__(MHD_create_response_from_buffer) *create_response_from_buffer;
	__typeof__(MHD_add_response_header) *add_response_header;
	__typeof__(MHD_queue_response) *queue_response;
	__typeof__(MHD_destroy_response) *destroy_response;
	/* WebSocket upgrades (hoverd --http) */
	__typeof__(MHD_create_response_for_upgrade) *create_response_for_upgrade;
	__typeof__(MHD_upgrade_action) *upgrade_action;
};

/*
 * Load libmicrohttpd and fill lib. Fails with -ENOENT (the library is
 * missing: err says which package to install) or -ENOSYS (a function is
 * missing). Each successful open is paired with mhd_lib_close().
 */
int mhd_lib_open(struct mhd_lib *lib, char *err, size_t errlen) HOVER_WUR;
void mhd_lib_close(struct mhd_lib *lib);

#endif
