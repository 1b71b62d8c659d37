// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * epoll-based event loop. One timerfd tracks the earliest device-timer
 * deadline: whenever a timer is armed earlier than the current head, the
 * timer list notifies us and we re-arm the timerfd (timerfd_settime is
 * thread-safe, so vCPU threads can do it under the VM lock). An eventfd lets
 * other threads wake the loop when the VM is stopping.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "include/hover/evloop.h"
#include "include/hover/log.h"
#include "include/hover/vm.h"

#define EVLOOP_MAX_FDS 64

struct fd_handler {
	int fd;
	evloop_fd_fn *fn;
	void *opaque;
};

struct evloop {
	struct vm *vm;
	int epfd;
	int timerfd;
	int wakefd;
	struct fd_handler h[EVLOOP_MAX_FDS];
	unsigned nh;
	bool timers_frozen; /* VM paused: device timers neither fire nor arm the timerfd */
};

static void arm_timerfd(struct evloop *el)
{
	u64 deadline = timer_list_next_host_deadline(el->vm->timers);
	struct itimerspec its = { 0 };

	if (deadline != UINT64_MAX && !el->timers_frozen) {
		/* 0 would disarm: an already-due deadline still needs a nonzero value. */
		if (deadline == 0)
			deadline = 1;
		its.it_value.tv_sec = (time_t)(deadline / 1000000000ULL);
		its.it_value.tv_nsec = (long)(deadline % 1000000000ULL);
	}
	timerfd_settime(el->timerfd, TFD_TIMER_ABSTIME, &its, NULL);
}

static void timers_changed(void *opaque)
{
	arm_timerfd(opaque);
}

int evloop_create(struct evloop **out, struct vm *vm)
{
	struct evloop *el = calloc(1, sizeof(*el));
	struct epoll_event ev = { .events = EPOLLIN };
	int ret;

	if (!el)
		return -ENOMEM;
	el->vm = vm;
	el->epfd = epoll_create1(EPOLL_CLOEXEC);
	el->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	el->wakefd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (el->epfd < 0 || el->timerfd < 0 || el->wakefd < 0) {
		ret = -errno;
		goto err;
	}
	ev.data.fd = el->timerfd;
	if (epoll_ctl(el->epfd, EPOLL_CTL_ADD, el->timerfd, &ev) < 0) {
		ret = -errno;
		goto err;
	}
	ev.data.fd = el->wakefd;
	if (epoll_ctl(el->epfd, EPOLL_CTL_ADD, el->wakefd, &ev) < 0) {
		ret = -errno;
		goto err;
	}
	timer_list_set_notify(vm->timers, timers_changed, el);
	*out = el;
	return 0;
err:
	evloop_destroy(el);
	return ret;
}

void evloop_destroy(struct evloop *el)
{
	if (!el)
		return;
	if (el->vm && el->vm->timers)
		timer_list_set_notify(el->vm->timers, NULL, NULL);
	if (el->epfd >= 0)
		close(el->epfd);
	if (el->timerfd >= 0)
		close(el->timerfd);
	if (el->wakefd >= 0)
		close(el->wakefd);
	free(el);
}

int evloop_add_fd(struct evloop *el, int fd, u32 events, evloop_fd_fn *fn, void *opaque)
{
	struct epoll_event ev = { .events = events, .data.fd = fd };

	if (el->nh == EVLOOP_MAX_FDS)
		return -ENOSPC;
	if (epoll_ctl(el->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		return -errno;
	el->h[el->nh++] = (struct fd_handler){ .fd = fd, .fn = fn, .opaque = opaque };
	return 0;
}

int evloop_mod_fd(struct evloop *el, int fd, u32 events)
{
	struct epoll_event ev = { .events = events, .data.fd = fd };

	return epoll_ctl(el->epfd, EPOLL_CTL_MOD, fd, &ev) < 0 ? -errno : 0;
}

void evloop_del_fd(struct evloop *el, int fd)
{
	epoll_ctl(el->epfd, EPOLL_CTL_DEL, fd, NULL);
	for (unsigned i = 0; i < el->nh; i++) {
		if (el->h[i].fd == fd) {
			el->h[i] = el->h[--el->nh];
			break;
		}
	}
}

void evloop_set_timers_frozen(struct evloop *el, bool frozen)
{
	el->timers_frozen = frozen;
	arm_timerfd(el);
}

void evloop_wake(struct evloop *el)
{
	u64 one = 1;

	if (write(el->wakefd, &one, sizeof(one)) < 0) {
		/* Counter saturated: the loop is already due to wake. */
	}
}

int evloop_run(struct evloop *el)
{
	struct vm *vm = el->vm;

	pthread_mutex_lock(&vm->lock);
	arm_timerfd(el);
	pthread_mutex_unlock(&vm->lock);

	while (vm_stopped(vm) == VM_RUNNING) {
		struct epoll_event evs[16];
		int n = epoll_wait(el->epfd, evs, 16, -1);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		pthread_mutex_lock(&vm->lock);
		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd;
			u64 cnt;

			if (fd == el->timerfd || fd == el->wakefd) {
				if (read(fd, &cnt, sizeof(cnt)) < 0) {
					/* EAGAIN: spurious wake-up, nothing to drain. */
				}
				continue;
			}
			for (unsigned j = 0; j < el->nh; j++) {
				if (el->h[j].fd == fd) {
					el->h[j].fn(el->h[j].opaque, fd, evs[i].events);
					break;
				}
			}
		}
		if (!el->timers_frozen)
			timer_list_run(vm->timers, timer_list_now(vm->timers));
		arm_timerfd(el);
		pthread_mutex_unlock(&vm->lock);
	}
	return 0;
}
