// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libslirp through dlopen() (see slirp_lib.h). dlopen() counts references,
 * so every backend opens its own handle and no state is shared here.
 *
 * RTLD_NODELETE: libslirp pulls in glib, which registers thread-local data
 * and cannot be unloaded safely; once a VM has used user networking the
 * library stays mapped, and slirp_lib_close() only drops the reference.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "host/slirp_lib.h"

#define SLIRP_SYM(fn)                                                                              \
	{                                                                                          \
		"slirp_" #fn, offsetof(struct slirp_lib, fn)                                       \
	}

static const struct {
	const char *name;
	size_t offset; /* of its function pointer in struct slirp_lib */
} slirp_syms[] = {
	SLIRP_SYM(new),	  SLIRP_SYM(cleanup),	   SLIRP_SYM(pollfds_fill), SLIRP_SYM(pollfds_poll),
	SLIRP_SYM(input), SLIRP_SYM(handle_timer), SLIRP_SYM(add_hostfwd),
};

int slirp_lib_open(struct slirp_lib *lib, char *err, size_t errlen)
{
	memset(lib, 0, sizeof(*lib));
	lib->handle = dlopen(SLIRP_LIB_SONAME, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
	if (!lib->handle) {
		snprintf(err, errlen,
			 "user networking needs libslirp0 (apt-get install libslirp0): %s",
			 dlerror());
		return -ENOENT;
	}
	for (size_t i = 0; i < sizeof(slirp_syms) / sizeof(slirp_syms[0]); i++) {
		void *fn = dlsym(lib->handle, slirp_syms[i].name);

		if (!fn) {
			snprintf(
			    err, errlen,
			    "user networking: %s has no %s (hover needs libslirp 4.7 or later)",
			    SLIRP_LIB_SONAME, slirp_syms[i].name);
			slirp_lib_close(lib);
			return -ENOSYS;
		}
		/* POSIX lets a data pointer from dlsym() hold a function's address. */
		memcpy((char *)lib + slirp_syms[i].offset, &fn, sizeof(fn));
	}
	return 0;
}

void slirp_lib_close(struct slirp_lib *lib)
{
	if (lib->handle)
		dlclose(lib->handle);
	memset(lib, 0, sizeof(*lib));
}
