/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A small HTTP/1.1 client over a unix socket: the CLI's way to hoverd, and
 * hoverd's way to each VM's API. One request per connection (Connection:
 * close); Content-Length and chunked bodies; a body can be streamed to a sink
 * (logs --follow) instead of collected.
 */
#ifndef HOVER_MGMT_CLIENT_H
#define HOVER_MGMT_CLIENT_H

#include <stddef.h>

struct http_resp {
	int status;
	char *body; /* NUL-terminated; NULL when streamed */
	size_t len;
};

typedef void http_sink_fn(void *opaque, const char *buf, size_t len);

/*
 * -errno on a transport failure (err says what: no socket, refused, timeout);
 * 0 with resp->status set otherwise. timeout_ms < 0: wait forever.
 */
int http_call(const char *sock, const char *method, const char *path, const char *body,
	      struct http_resp *resp, http_sink_fn *sink, void *opaque, int timeout_ms,
	      char *err, size_t errlen);
void http_resp_free(struct http_resp *r);

#endif
