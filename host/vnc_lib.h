/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libvncserver, loaded when a VNC server starts (--display vnc=...) and not
 * before. Linked, it brings gnutls, gcrypt, libjpeg, lzo and their chain
 * into every hover process; a VM without a VNC server should carry none of
 * that. vnc.c calls it through this table, filled from dlopen(); entries
 * take their types from rfb/rfb.h, so calls are checked as if linked.
 */
#ifndef HOVER_HOST_VNC_LIB_H
#define HOVER_HOST_VNC_LIB_H

#include <rfb/rfb.h>
#include <stddef.h>

#include "include/hover/types.h"

/* The soname Debian's libvncserver1 installs. */
#define VNC_LIB_SONAME "libvncserver.so.1"

struct vnc_lib {
	void *handle;
	__typeof__(rfbGetScreen) *GetScreen;
	__typeof__(rfbInitServer) *InitServer;
	__typeof__(rfbProcessEvents) *ProcessEvents;
	__typeof__(rfbNewClient) *NewClient;
	__typeof__(rfbMarkRectAsModified) *MarkRectAsModified;
	__typeof__(rfbNewFramebuffer) *NewFramebuffer;
	__typeof__(rfbShutdownServer) *ShutdownServer;
	__typeof__(rfbScreenCleanup) *ScreenCleanup;
	__typeof__(rfbGetClientIterator) *GetClientIterator;
	__typeof__(rfbClientIteratorNext) *ClientIteratorNext;
	__typeof__(rfbReleaseClientIterator) *ReleaseClientIterator;
	__typeof__(rfbCheckPasswordByList) *CheckPasswordByList;
	/* The library's log hooks (variables). */
	rfbLogProc *Log, *Err;
};

/* 0, or -errno with what to install in err. */
int vnc_lib_open(struct vnc_lib *lib, char *err, size_t errlen) HOVER_WUR;
void vnc_lib_close(struct vnc_lib *lib);

#endif
