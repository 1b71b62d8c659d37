/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The VNC server of a VM with --display vnc=... (RFC 6143, libvncserver).
 *
 * It outlives guest reboots: created once per hover run, it is attached to
 * each machine built (vnc_attach) and detached before that machine goes, so
 * viewers stay connected across a reboot. It runs in a thread of its own
 * (sandbox "vnc") that never holds the VM's device lock while it talks to a
 * viewer: a viewer that stops reading stalls at most that thread (and is
 * dropped after a few seconds), never the guest.
 *
 * Updates: in VBE modes the framebuffer lives in VRAM, a RAM region, and the
 * pages the guest wrote come from the dirty log (core/dirty_log.c, the
 * mechanism migration uses); only the lines those pages hold are converted
 * and marked modified. The small legacy modes (text, 320x200, 640x480x16)
 * are re-rendered when the adapter saw a write or register change, and only
 * the 16-line bands that differ are marked. libvncserver sends the marked
 * rectangles, encoded as each viewer asked, when that viewer requests them.
 */
#ifndef HOVER_HOST_VNC_H
#define HOVER_HOST_VNC_H

#include <stddef.h>

#include "host/display.h"
#include "include/hover/vm.h"

struct vnc_server;
struct vga;
struct i8042;

/*
 * Bind the socket and read the password file (before the sandbox and the
 * jail). err says what failed, naming the input.
 */
int vnc_create(struct vnc_server **out, const struct display_config *cfg, char *err,
	       size_t errlen) HOVER_WUR;
/* Start the thread; it calls enter(opaque, VM_THREAD_DISPLAY, 0) first (its seccomp filter). */
int vnc_start(struct vnc_server *v, vm_thread_enter_fn *enter, void *opaque) HOVER_WUR;
void vnc_destroy(struct vnc_server *v);
/* Show this machine (before its vCPUs run: dirty logging starts here). */
int vnc_attach(struct vnc_server *v, struct vm *vm, struct vga *vga, struct i8042 *kbc) HOVER_WUR;
void vnc_detach(struct vnc_server *v);

#endif
