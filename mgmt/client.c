// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * HTTP/1.1 client over a unix socket (client.h); RFC 9112 framing: the status
 * line, Content-Length or chunked transfer coding, or a body up to EOF.
 */
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "mgmt/client.h"

struct body_out {
	http_sink_fn *sink;
	void *opaque;
	char *buf;
	size_t len, cap;
};

static int emit(struct body_out *o, const char *p, size_t n)
{
	if (!n)
		return 0;
	if (o->sink) {
		o->sink(o->opaque, p, n);
		return 0;
	}
	if (o->len + n + 1 > o->cap) {
		size_t cap = (o->len + n + 1) * 2;
		char *nb = realloc(o->buf, cap);

		if (!nb)
			return -ENOMEM;
		o->buf = nb;
		o->cap = cap;
	}
	memcpy(o->buf + o->len, p, n);
	o->len += n;
	o->buf[o->len] = '\0';
	return 0;
}

static int wait_fd(int fd, short ev, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = ev };
	int r;

	do
		r = poll(&p, 1, timeout_ms);
	while (r < 0 && errno == EINTR);
	return r < 0 ? -errno : r == 0 ? -ETIMEDOUT : 0;
}

static int send_all(int fd, const char *p, size_t n, int timeout_ms)
{
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN && wait_fd(fd, POLLOUT, timeout_ms) == 0)
				continue;
			return -errno;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Chunked decoding of what has arrived in raw[*pos..len); returns 1 at the last chunk. */
static int dechunk(const char *raw, size_t len, size_t *pos, size_t *left, struct body_out *o)
{
	while (*pos < len) {
		if (*left && *left != (size_t)-1) {
			size_t n = len - *pos < *left ? len - *pos : *left;

			if (emit(o, raw + *pos, n))
				return -ENOMEM;
			*pos += n;
			*left -= n;
			if (*left == 0)
				*left = (size_t)-1; /* the CRLF after the data */
			continue;
		}
		const char *eol = memmem(raw + *pos, len - *pos, "\r\n", 2);

		if (!eol)
			return 0;
		if (*left == (size_t)-1 || eol == raw + *pos) {
			/* the CRLF ending a chunk's data */
			*pos = (size_t)(eol - raw) + 2;
			*left = 0;
			continue;
		}
		{
			unsigned long sz = strtoul(raw + *pos, NULL, 16);

			*pos = (size_t)(eol - raw) + 2;
			if (sz == 0)
				return 1;
			*left = sz;
		}
	}
	return 0;
}

int http_call(const char *sock, const char *method, const char *path, const char *body,
	      struct http_resp *resp, http_sink_fn *sink, void *opaque, int timeout_ms,
	      char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct body_out out = { .sink = sink, .opaque = opaque };
	char head[1024];
	char *raw = NULL;
	size_t rlen = 0, rcap = 0, hdr_end = 0, pos = 0, left = 0;
	long clen = -1;
	bool chunked = false, done = false;
	int fd, ret, hl;

	memset(resp, 0, sizeof(*resp));
	if (strlen(sock) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "%s: socket path too long", sock);
		return -ENAMETOOLONG;
	}
	strcpy(sa.sun_path, sock);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		ret = -errno;
		snprintf(err, errlen, "cannot connect to %s: %s", sock, strerror(errno));
		if (fd >= 0)
			close(fd);
		return ret;
	}
	hl = snprintf(head, sizeof(head),
		      "%s %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
		      "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n",
		      method, path, body ? strlen(body) : 0);
	ret = send_all(fd, head, (size_t)hl, timeout_ms);
	if (!ret && body)
		ret = send_all(fd, body, strlen(body), timeout_ms);
	if (ret) {
		snprintf(err, errlen, "%s: cannot send the request: %s", sock, strerror(-ret));
		goto out;
	}
	while (!done) {
		ssize_t n;

		if (rcap - rlen < 4096) {
			char *nr = realloc(raw, rcap ? rcap * 2 : 8192);

			if (!nr) {
				ret = -ENOMEM;
				goto out;
			}
			raw = nr;
			rcap = rcap ? rcap * 2 : 8192;
		}
		ret = wait_fd(fd, POLLIN, timeout_ms);
		if (ret) {
			snprintf(err, errlen, "%s: no answer: %s", sock, strerror(-ret));
			goto out;
		}
		n = recv(fd, raw + rlen, rcap - rlen - 1, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = -errno;
			snprintf(err, errlen, "%s: %s", sock, strerror(errno));
			goto out;
		}
		rlen += (size_t)n;
		raw[rlen] = '\0';
		if (!hdr_end) {
			char *e = strstr(raw, "\r\n\r\n"), *l;

			if (!e) {
				if (n == 0) {
					ret = -EPROTO;
					snprintf(err, errlen, "%s: the connection closed without an "
						 "answer", sock);
					goto out;
				}
				continue;
			}
			hdr_end = (size_t)(e - raw) + 4;
			if (sscanf(raw, "HTTP/1.%*d %d", &resp->status) != 1) {
				ret = -EPROTO;
				snprintf(err, errlen, "%s: not an HTTP answer", sock);
				goto out;
			}
			for (l = strstr(raw, "\r\n"); l && l < e; l = strstr(l + 2, "\r\n")) {
				if (strncasecmp(l + 2, "Content-Length:", 15) == 0)
					clen = strtol(l + 17, NULL, 10);
				else if (strncasecmp(l + 2, "Transfer-Encoding:", 18) == 0 &&
					 strstr(l + 2, "chunked") && strstr(l + 2, "chunked") < e)
					chunked = true;
			}
			pos = hdr_end;
		}
		if (chunked) {
			ret = dechunk(raw, rlen, &pos, &left, &out);
			if (ret < 0)
				goto out;
			done = ret == 1;
		} else {
			if (emit(&out, raw + pos, rlen - pos)) {
				ret = -ENOMEM;
				goto out;
			}
			pos = rlen;
			done = clen >= 0 && (long)(pos - hdr_end) >= clen;
		}
		if (n == 0)
			done = true;
		/* Streamed data need not stay in raw: keep only what is unparsed. */
		if (pos > hdr_end && pos == rlen && sink) {
			rlen = hdr_end;
			pos = hdr_end;
		}
	}
	ret = 0;
	if (!sink) {
		if (!out.buf)
			out.buf = calloc(1, 1);
		resp->body = out.buf;
		resp->len = out.len;
		out.buf = NULL;
	}
out:
	free(out.buf);
	free(raw);
	close(fd);
	return ret;
}

void http_resp_free(struct http_resp *r)
{
	free(r->body);
	r->body = NULL;
}
