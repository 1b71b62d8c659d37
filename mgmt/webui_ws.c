// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The web UI's WebSockets (webui.h), each on the thread libmicrohttpd gave
 * its connection:
 *
 *   metrics  every second, a text frame {"vms": [...]} (hoverd_vms_metrics):
 *            the list and its live counters, so the page polls nothing;
 *   console  the VM's console: what the ring holds (its last lines, then what
 *            comes: the ring hoverd fills from the VM's console socket), and
 *            what the browser sends goes to the VM through a console socket
 *            connection of its own (whose copy of the output is dropped).
 *
 * Client frames are parsed with websocket.c; a ping gets its pong, a close
 * its close, a malformed or oversized frame ends the connection (1002/1009).
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "mgmt/hoverd.h"
#include "mgmt/webui.h"
#include "mgmt/websocket.h"

#define WS_SEND_TIMEOUT_MS 5000
#define METRICS_PERIOD_MS 1000
#define CONSOLE_HISTORY_LINES 300

struct ws_session {
	int fd;
	u8 in[WS_MAX_PAYLOAD + 14];
	size_t inlen;
	bool closed;
	/* A console's input goes here (-1: input is dropped). */
	int sink_fd;
};

static void close_with(struct ws_session *ws, unsigned code)
{
	u8 body[2] = { (u8)(code >> 8), (u8)code };

	if (!ws->closed && ws_send(ws->fd, WS_OP_CLOSE, body, 2, 500)) {
		/* the peer is gone anyway */
	}
	ws->closed = true;
}

static void deliver(struct ws_session *ws, const u8 *data, size_t len)
{
	while (ws->sink_fd >= 0 && len) {
		ssize_t n = write(ws->sink_fd, data, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			struct pollfd p = { .fd = ws->sink_fd, .events = POLLOUT };

			if (poll(&p, 1, 1000) <= 0)
				return; /* the VM is not taking input: drop it */
			continue;
		}
		if (n <= 0)
			return;
		data += n;
		len -= (size_t)n;
	}
}

/* Read what the browser sent and act on whole frames. false: the session ended. */
static bool read_frames(struct ws_session *ws)
{
	ssize_t n = recv(ws->fd, ws->in + ws->inlen, sizeof(ws->in) - ws->inlen, MSG_DONTWAIT);
	struct ws_frame f;
	int used;

	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
		return false;
	if (n > 0)
		ws->inlen += (size_t)n;
	while ((used = ws_parse(ws->in, ws->inlen, &f)) > 0) {
		switch (f.opcode) {
		case WS_OP_CLOSE:
			close_with(ws, 1000);
			return false;
		case WS_OP_PING:
			if (ws_send(ws->fd, WS_OP_PONG, f.payload, f.len, WS_SEND_TIMEOUT_MS))
				return false;
			break;
		case WS_OP_PONG:
			break;
		default: /* text, binary and their continuations: a byte stream */
			deliver(ws, f.payload, f.len);
		}
		memmove(ws->in, ws->in + used, ws->inlen - (size_t)used);
		ws->inlen -= (size_t)used;
	}
	if (used < 0) {
		close_with(ws, used == -EMSGSIZE ? 1009 : 1002);
		return false;
	}
	return true;
}

static u64 mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (u64)ts.tv_sec * 1000 + (u64)ts.tv_nsec / 1000000;
}

static void serve_metrics(struct hoverd *d, struct ws_session *ws, const _Atomic bool *stopping)
{
	u64 next = 0;

	while (!*stopping && !ws->closed) {
		struct pollfd p = { .fd = ws->fd, .events = POLLIN };
		u64 now = mono_ms();

		if (now >= next) {
			json_t *o = json_pack("{s:o,s:f}", "vms", hoverd_vms_metrics(d), "time",
					      (double)now / 1000.0);
			char *s = json_dumps(o, JSON_COMPACT);
			int ret = s ? ws_send(ws->fd, WS_OP_TEXT, s, strlen(s), WS_SEND_TIMEOUT_MS)
				    : -ENOMEM;

			free(s);
			json_decref(o);
			if (ret)
				return;
			next = now + METRICS_PERIOD_MS;
			continue;
		}
		/* at most 500 ms, so that a stopping hoverd is noticed */
		if (poll(&p, 1, (int)(next - now < 500 ? next - now : 500)) > 0 && !read_frames(ws))
			return;
	}
	close_with(ws, 1001);
}

static int connect_unix(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	if (fd < 0)
		return -1;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void serve_console(struct hoverd *d, struct ws_session *ws, const char *name,
			  const _Atomic bool *stopping)
{
	char sock[HOVERD_SOCK_MAX], buf[16384];
	struct ring *ring;
	struct hvm *vm;
	bool live;
	u64 pos;

	pthread_mutex_lock(&d->lock);
	vm = hvm_find(d, name);
	if (!vm) {
		pthread_mutex_unlock(&d->lock);
		return close_with(ws, 1011);
	}
	ring = vm->ring;
	ring_get(ring);
	live = hvm_live(vm);
	snprintf(sock, sizeof(sock), "%s", vm->console_sock);
	pthread_mutex_unlock(&d->lock);

	ws->sink_fd = live ? connect_unix(sock) : -1;
	if (ws->inlen && !read_frames(ws)) /* frames that came with the handshake */
		ws->closed = true;
	pos = ring_tail_lines(ring, CONSOLE_HISTORY_LINES);
	while (!*stopping && !ws->closed) {
		struct pollfd p[2] = { { .fd = ws->fd, .events = POLLIN },
				       { .fd = ws->sink_fd, .events = POLLIN } };
		size_t n = ring_read(ring, &pos, buf, sizeof(buf), 0);

		if (n) {
			if (ws_send(ws->fd, WS_OP_BINARY, buf, n, WS_SEND_TIMEOUT_MS))
				break;
			continue;
		}
		if (ring_closed(ring) && ws->sink_fd < 0) {
			close_with(ws, 1000); /* the VM stopped: all it wrote was sent */
			break;
		}
		if (poll(p, ws->sink_fd >= 0 ? 2 : 1, 40) <= 0)
			continue;
		if ((p[0].revents & (POLLIN | POLLHUP | POLLERR)) && !read_frames(ws))
			break;
		if (p[1].revents & (POLLIN | POLLHUP | POLLERR)) {
			/* our copy of the output: the ring has it already */
			ssize_t k = read(ws->sink_fd, buf, sizeof(buf));

			if (k == 0 || (k < 0 && errno != EAGAIN && errno != EINTR)) {
				close(ws->sink_fd);
				ws->sink_fd = -1;
			}
		}
	}
	if (ws->sink_fd >= 0)
		close(ws->sink_fd);
	ring_put(ring);
	close_with(ws, 1001);
}

void webui_ws_serve(struct hoverd *d, int fd, const char *extra, size_t extra_len,
		    enum webui_ws_kind kind, const char *vm_name, const _Atomic bool *stopping)
{
	struct ws_session *ws = calloc(1, sizeof(*ws));

	if (!ws)
		return;
	ws->fd = fd;
	ws->sink_fd = -1;
	if (extra_len > sizeof(ws->in))
		extra_len = sizeof(ws->in);
	memcpy(ws->in, extra, extra_len);
	ws->inlen = extra_len;
	if (kind == WEBUI_WS_METRICS)
		serve_metrics(d, ws, stopping);
	else
		serve_console(d, ws, vm_name, stopping);
	free(ws);
}
