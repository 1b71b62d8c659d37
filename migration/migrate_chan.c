// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The migration connection (migrate_chan.h). Sockets stay blocking for
 * connect and accept; transfers wait in poll() with a time limit, and a send
 * never raises SIGPIPE (MSG_NOSIGNAL): a vanished peer is an error code.
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "migration/migrate_chan.h"

static int unix_addr(const struct migrate_addr *a, struct sockaddr_un *sun)
{
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	if (strlen(a->host) >= sizeof(sun->sun_path))
		return -ENAMETOOLONG;
	memcpy(sun->sun_path, a->host, strlen(a->host));
	return 0;
}

static void tcp_tune(int fd)
{
	int one = 1, buf = 4 << 20;

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
}

int migrate_chan_connect(const struct migrate_addr *a, int *out, char *err, size_t errlen)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM }, *res, *ai;
	int fd = -1, ret, gai;

	if (a->unix_path) {
		struct sockaddr_un sun;

		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0 || unix_addr(a, &sun) ||
		    connect(fd, (struct sockaddr *)&sun, sizeof(sun))) {
			ret = -errno;
			snprintf(err, errlen, "unix:%s: cannot connect: %s (is `hover run --incoming "
				 "unix:%s` waiting there?)", a->host, strerror(errno), a->host);
			if (fd >= 0)
				close(fd);
			return ret;
		}
		*out = fd;
		return 0;
	}
	gai = getaddrinfo(a->host, a->port, &hints, &res);
	if (gai) {
		snprintf(err, errlen, "tcp:%s:%s: %s", a->host, a->port, gai_strerror(gai));
		return -EHOSTUNREACH;
	}
	ret = -ECONNREFUSED;
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
		if (fd < 0)
			continue;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		ret = -errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0) {
		snprintf(err, errlen, "tcp:%s:%s: cannot connect: %s (is `hover run --incoming "
			 "tcp:...:%s` waiting there?)", a->host, a->port, strerror(-ret), a->port);
		return ret;
	}
	tcp_tune(fd);
	*out = fd;
	return 0;
}

int migrate_chan_listen(const struct migrate_addr *a, int *out, char *err, size_t errlen)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_PASSIVE }, *res;
	int fd, one = 1, ret, gai;

	if (a->unix_path) {
		struct sockaddr_un sun;

		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0 || unix_addr(a, &sun) ||
		    bind(fd, (struct sockaddr *)&sun, sizeof(sun)) || listen(fd, 1)) {
			ret = -errno;
			snprintf(err, errlen, "unix:%s: cannot listen: %s%s", a->host, strerror(errno),
				 errno == EADDRINUSE ? " (remove the stale socket file)" : "");
			if (fd >= 0)
				close(fd);
			return ret;
		}
		*out = fd;
		return 0;
	}
	gai = getaddrinfo(a->host, a->port, &hints, &res);
	if (gai) {
		snprintf(err, errlen, "tcp:%s:%s: %s", a->host, a->port, gai_strerror(gai));
		return -EINVAL;
	}
	fd = socket(res->ai_family, res->ai_socktype | SOCK_CLOEXEC, res->ai_protocol);
	if (fd >= 0)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fd < 0 || bind(fd, res->ai_addr, res->ai_addrlen) || listen(fd, 1)) {
		ret = -errno;
		snprintf(err, errlen, "tcp:%s:%s: cannot listen: %s", a->host, a->port,
			 strerror(errno));
		if (fd >= 0)
			close(fd);
		freeaddrinfo(res);
		return ret;
	}
	freeaddrinfo(res);
	*out = fd;
	return 0;
}

int migrate_chan_accept(int lfd, int timeout_ms, int *out)
{
	struct pollfd p = { .fd = lfd, .events = POLLIN };
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	int fd, n;

	do
		n = poll(&p, 1, timeout_ms);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if (n == 0)
		return -ETIMEDOUT;
	fd = accept4(lfd, (struct sockaddr *)&ss, &sl, SOCK_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (ss.ss_family != AF_UNIX)
		tcp_tune(fd);
	*out = fd;
	return 0;
}

static int wait_for(int fd, short ev, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = ev };
	int n;

	do
		n = poll(&p, 1, timeout_ms);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return n == 0 ? -ETIMEDOUT : 0;
}

int migrate_chan_send(int fd, const void *buf, size_t len, int timeout_ms)
{
	const u8 *p = buf;

	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			int ret = wait_for(fd, POLLOUT, timeout_ms);

			if (ret)
				return ret;
			continue;
		}
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int migrate_chan_recv(int fd, void *buf, size_t len, int timeout_ms)
{
	u8 *p = buf;

	while (len) {
		ssize_t n = recv(fd, p, len, MSG_DONTWAIT);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			int ret = wait_for(fd, POLLIN, timeout_ms);

			if (ret)
				return ret;
			continue;
		}
		if (n == 0)
			return -ECONNRESET;
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

bool migrate_chan_readable(int fd)
{
	return wait_for(fd, POLLIN, 0) == 0;
}
