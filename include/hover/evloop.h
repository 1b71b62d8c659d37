/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The VM's event loop (one thread): file descriptors of device backends and
 * the console, and the VM's device timers (one timerfd armed at the earliest
 * deadline). Handlers and timer callbacks run with vm->lock held.
 */
#ifndef HOVER_INCLUDE_EVLOOP_H
#define HOVER_INCLUDE_EVLOOP_H

#include "include/hover/types.h"

struct vm;
struct evloop;

typedef void evloop_fd_fn(void *opaque, int fd, u32 events);

int evloop_create(struct evloop **out, struct vm *vm) HOVER_WUR;
void evloop_destroy(struct evloop *el);
/* events: EPOLLIN/EPOLLOUT bits. */
int evloop_add_fd(struct evloop *el, int fd, u32 events, evloop_fd_fn *fn, void *opaque) HOVER_WUR;
int evloop_mod_fd(struct evloop *el, int fd, u32 events);
void evloop_del_fd(struct evloop *el, int fd);
/* Run until the VM stops (vm_stopped() != VM_RUNNING). */
int evloop_run(struct evloop *el);
/* With vm->lock held: stop (or restart) firing device timers, for a paused VM.
 * Timers that fell due meanwhile fire on thaw. */
void evloop_set_timers_frozen(struct evloop *el, bool frozen);
/* From any thread: make evloop_run re-check the VM state and the timers. */
void evloop_wake(struct evloop *el);

#endif
