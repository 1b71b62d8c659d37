// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libvncserver through dlopen() (see vnc_lib.h). RTLD_NODELETE, as for
 * libmicrohttpd: gnutls, which it pulls in, does not survive being unloaded.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "host/vnc_lib.h"

#define VNC_SYM(fn) { "rfb" #fn, offsetof(struct vnc_lib, fn) }
/* rfb.h makes rfbInitServer a macro naming the variant the library was built as. */
#define XSTR(x) STR(x)
#define STR(x) #x

static const struct {
	const char *name;
	size_t offset; /* of its pointer in struct vnc_lib */
} vnc_syms[] = {
	VNC_SYM(GetScreen), { XSTR(rfbInitServer), offsetof(struct vnc_lib, InitServer) },
	VNC_SYM(ProcessEvents), VNC_SYM(NewClient),
	VNC_SYM(MarkRectAsModified), VNC_SYM(NewFramebuffer), VNC_SYM(ShutdownServer),
	VNC_SYM(ScreenCleanup), VNC_SYM(GetClientIterator), VNC_SYM(ClientIteratorNext),
	VNC_SYM(ReleaseClientIterator), VNC_SYM(CheckPasswordByList), VNC_SYM(Log), VNC_SYM(Err),
};

int vnc_lib_open(struct vnc_lib *lib, char *err, size_t errlen)
{
	memset(lib, 0, sizeof(*lib));
	lib->handle = dlopen(VNC_LIB_SONAME, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
	if (!lib->handle) {
		snprintf(err, errlen, "the VNC server needs libvncserver1 (apt-get install "
			 "libvncserver1): %s", dlerror());
		return -ENOENT;
	}
	for (size_t i = 0; i < sizeof(vnc_syms) / sizeof(vnc_syms[0]); i++) {
		void *p = dlsym(lib->handle, vnc_syms[i].name);

		if (!p) {
			snprintf(err, errlen, "%s has no %s (too old a libvncserver?)", VNC_LIB_SONAME,
				 vnc_syms[i].name);
			vnc_lib_close(lib);
			return -ENOSYS;
		}
		memcpy((char *)lib + vnc_syms[i].offset, &p, sizeof(p));
	}
	return 0;
}

void vnc_lib_close(struct vnc_lib *lib)
{
	if (lib->handle)
		dlclose(lib->handle);
	memset(lib, 0, sizeof(*lib));
}
