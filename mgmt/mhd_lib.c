// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libmicrohttpd through dlopen() (see mhd_lib.h). dlopen() counts
 * references, so every API server opens its own handle and no state is
 * shared here.
 *
 * RTLD_NODELETE: gnutls, which libmicrohttpd pulls in, keeps global state
 * and thread-local data that do not survive being unloaded; once loaded the
 * libraries stay mapped, and mhd_lib_close() only drops the reference.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "mgmt/mhd_lib.h"

#define MHD_SYM(fn)                                                                                \
	{                                                                                          \
		"MHD_" #fn, offsetof(struct mhd_lib, fn)                                           \
	}

static const struct {
	const char *name;
	size_t offset; /* of its function pointer in struct mhd_lib */
} mhd_syms[] = {
	MHD_SYM(start_daemon),
	MHD_SYM(stop_daemon),
	MHD_SYM(get_daemon_info),
	MHD_SYM(run),
	MHD_SYM(get_timeout),
	MHD_SYM(get_connection_info),
	MHD_SYM(lookup_connection_value),
	MHD_SYM(create_response_from_callback),
	MHD_SYM(create_response_from_buffer),
	MHD_SYM(add_response_header),
	MHD_SYM(queue_response),
	MHD_SYM(destroy_response),
	MHD_SYM(create_response_for_upgrade),
	MHD_SYM(upgrade_action),
};

int mhd_lib_open(struct mhd_lib *lib, char *err, size_t errlen)
{
	memset(lib, 0, sizeof(*lib));
	lib->handle = dlopen(MHD_LIB_SONAME, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
	if (!lib->handle) {
		snprintf(err, errlen,
			 "the JSON API needs libmicrohttpd12 (apt-get install libmicrohttpd12): %s",
			 dlerror());
		return -ENOENT;
	}
	for (size_t i = 0; i < sizeof(mhd_syms) / sizeof(mhd_syms[0]); i++) {
		void *fn = dlsym(lib->handle, mhd_syms[i].name);

		if (!fn) {
			snprintf(err, errlen,
				 "the JSON API: %s has no %s (too old a libmicrohttpd?)",
				 MHD_LIB_SONAME, mhd_syms[i].name);
			mhd_lib_close(lib);
			return -ENOSYS;
		}
		/* POSIX lets a data pointer from dlsym() hold a function's address. */
		memcpy((char *)lib + mhd_syms[i].offset, &fn, sizeof(fn));
	}
	return 0;
}

void mhd_lib_close(struct mhd_lib *lib)
{
	if (lib->handle)
		dlclose(lib->handle);
	memset(lib, 0, sizeof(*lib));
}
