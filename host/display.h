/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * --display: whether the VM has a screen, and how it is shown.
 *
 *   none                      no adapter, no thread (the default)
 *   vga[,vram=SIZE]           the adapter only (screenshots through the API)
 *   vnc=HOST:PORT[,...]       the adapter and a VNC server on a TCP port
 *   vnc=unix:PATH[,...]       ... on a unix socket
 *   options: password-file=F (VNC authentication, the file's first line),
 *            keymap=us|de (the guest's keyboard layout), vram=SIZE (16M)
 *
 * HOST:PORT is a TCP port, not a VNC display number; HOST is an address
 * (127.0.0.1, ::1) or name, and may be left out (":5901" means loopback):
 * hover never listens on every interface unless told (0.0.0.0).
 */
#ifndef HOVER_HOST_DISPLAY_H
#define HOVER_HOST_DISPLAY_H

#include <stddef.h>

#include "include/hover/types.h"

struct display_config {
	bool on;   /* an adapter */
	u32 vram;  /* bytes */
	bool vnc;  /* a VNC server */
	bool vnc_unix;
	char host[256];
	u16 port;
	char path[108];
	char password_file[4096];
	char keymap[8];
};

/* 0, or -EINVAL with a sentence naming the bad part in err. */
int display_parse(const char *arg, struct display_config *c, char *err, size_t errlen) HOVER_WUR;

#endif
