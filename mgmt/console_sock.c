// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Console socket (console_sock.h). Runs in the VM's event loop with vm->lock
 * held. Input the UART's 16-byte FIFO cannot take yet waits in a buffer and a
 * device timer feeds it in as the guest drains the FIFO; input beyond that
 * buffer (a paste of more than 4 KiB at once) is dropped.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "include/hover/vm.h"
#include "machine/pc.h"
#include "mgmt/api.h"
#include "mgmt/console_sock.h"

#define CONSOLE_SOCK_MAX_CLIENTS 16
#define CONSOLE_RETRY_NS 5000000ULL /* 5 ms */

struct console_sock {
	char *path;
	int listen_fd;
	int client[CONSOLE_SOCK_MAX_CLIENTS];
	unsigned nclients;
	struct pc *pc;
	u8 pending[4096];
	size_t npending;
	struct timer retry;
};

static void feed(struct console_sock *cs)
{
	size_t n;

	if (!cs->npending)
		return;
	n = pc_console_input(cs->pc, cs->pending, cs->npending);
	memmove(cs->pending, cs->pending + n, cs->npending - n);
	cs->npending -= n;
	if (cs->npending)
		timer_mod(&cs->retry, timer_now(&cs->retry) + CONSOLE_RETRY_NS);
}

static void on_retry(void *opaque)
{
	feed(opaque);
}

static void drop_client(struct console_sock *cs, unsigned i)
{
	pc_del_fd(cs->pc, cs->client[i]);
	close(cs->client[i]);
	cs->client[i] = cs->client[--cs->nclients];
}

static void on_client(void *opaque, int fd, u32 events)
{
	struct console_sock *cs = opaque;
	u8 buf[1024];
	ssize_t n = read(fd, buf, sizeof(buf));

	(void)events;
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		for (unsigned i = 0; i < cs->nclients; i++)
			if (cs->client[i] == fd) {
				drop_client(cs, i);
				break;
			}
		return;
	}
	if ((size_t)n > sizeof(cs->pending) - cs->npending)
		n = (ssize_t)(sizeof(cs->pending) - cs->npending);
	memcpy(cs->pending + cs->npending, buf, (size_t)n);
	cs->npending += (size_t)n;
	feed(cs);
}

static void on_listen(void *opaque, int fd, u32 events)
{
	struct console_sock *cs = opaque;
	int c = accept4(fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

	(void)events;
	if (c < 0)
		return;
	if (cs->nclients == CONSOLE_SOCK_MAX_CLIENTS || pc_add_fd(cs->pc, c, EPOLLIN, on_client, cs)) {
		static const char full[] = "hover: too many console clients\r\n";

		if (write(c, full, sizeof(full) - 1) < 0) {
			/* closing anyway */
		}
		close(c);
		return;
	}
	cs->client[cs->nclients++] = c;
}

int console_sock_create(struct console_sock **out, const char *path, char *err, size_t errlen)
{
	struct console_sock *cs = calloc(1, sizeof(*cs));
	int ret;

	if (!cs)
		return -ENOMEM;
	ret = api_listen_unix(path, &cs->listen_fd, err, errlen);
	if (ret) {
		free(cs);
		return ret;
	}
	cs->path = strdup(path);
	*out = cs;
	return 0;
}

int console_sock_attach(struct console_sock *cs, struct pc *pc)
{
	int ret;

	cs->pc = pc;
	cs->npending = 0;
	timer_init(&cs->retry, pc_vm(pc)->timers, on_retry, cs);
	ret = pc_add_fd(pc, cs->listen_fd, EPOLLIN, on_listen, cs);
	for (unsigned i = 0; !ret && i < cs->nclients; i++)
		ret = pc_add_fd(pc, cs->client[i], EPOLLIN, on_client, cs);
	return ret;
}

void console_sock_detach(struct console_sock *cs)
{
	timer_del(&cs->retry);
	pc_del_fd(cs->pc, cs->listen_fd);
	for (unsigned i = 0; i < cs->nclients; i++)
		pc_del_fd(cs->pc, cs->client[i]);
}

void console_sock_destroy(struct console_sock *cs)
{
	if (!cs)
		return;
	for (unsigned i = 0; i < cs->nclients; i++)
		close(cs->client[i]);
	close(cs->listen_fd);
	unlink(cs->path);
	free(cs->path);
	free(cs);
}

void console_sock_output(struct console_sock *cs, const u8 *buf, size_t len)
{
	for (unsigned i = 0; i < cs->nclients; i++) {
		if (send(cs->client[i], buf, len, MSG_DONTWAIT | MSG_NOSIGNAL) < 0 &&
		    errno != EAGAIN && errno != EWOULDBLOCK) {
			/* Gone: the read side will see the hang-up and drop it. */
		}
	}
}
