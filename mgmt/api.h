/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The JSON API's HTTP layer (HTTP/1.1 over a unix socket, as Firecracker
 * serves its API), shared by `hover run --api-sock` and hoverd. libmicrohttpd
 * parses HTTP; this file turns a request into (method, path, query, JSON
 * body) for a handler and the handler's reply into a response. Paths, the VM
 * object and the error body are described in mgmt/openapi.yaml, which
 * GET /openapi.yaml serves.
 *
 * Two modes: API_EVLOOP (no thread of its own: the owner watches
 * api_server_poll_fd() and calls api_server_dispatch(), so handlers run in the
 * VM's event loop with its lock held) and API_THREADED (a thread per
 * connection, for hoverd: a slow or streaming client never holds up others).
 */
#ifndef HOVER_MGMT_API_H
#define HOVER_MGMT_API_H

#include <jansson.h>
#include <stddef.h>
#include <sys/types.h>

#include "include/hover/types.h"

#define API_BODY_MAX (1u << 20)

struct api_server;

struct api_request {
	const char *method;
	const char *path;
	json_t *body; /* NULL: no body */
	int fd;       /* the client's socket (to notice a hang-up while streaming) */
	void *conn;   /* libmicrohttpd's connection, for api_query() */
	/* The server it came to: api_query() calls libmicrohttpd through it. */
	struct api_server *server;
};

/* Streaming body: fill buf, return bytes; -1 at the end; may block. */
typedef ssize_t api_stream_fn(void *opaque, char *buf, size_t max);

struct api_reply {
	unsigned status;
	json_t *body;             /* sent as application/json; the reply owns it */
	const char *text;         /* or a static text body */
	size_t text_len;
	const char *content_type; /* for text */
	api_stream_fn *stream;    /* or a streamed text body */
	void *stream_opaque;
	void (*stream_free)(void *opaque);
	bool text_owned;          /* text is malloc()ed: the reply frees it */
	const char *headers[8];   /* more response headers: name, value, ..., NULL */
};

typedef void api_handler_fn(void *opaque, const struct api_request *req, struct api_reply *rep);

enum api_mode { API_EVLOOP, API_THREADED };

/* Bind and listen on a unix socket, born mode 0600; a stale socket file is replaced.
 * Sets the umask for a moment: call it before the process starts threads. */
int api_listen_unix(const char *path, int *fd_out, char *err, size_t errlen) HOVER_WUR;
/*
 * Takes ownership of listen_fd. Loads libmicrohttpd (mhd_lib.h): err says
 * what to install if it is missing.
 */
int api_server_create(struct api_server **out, int listen_fd, enum api_mode mode,
		      api_handler_fn *fn, void *opaque, char *err, size_t errlen) HOVER_WUR;
void api_server_destroy(struct api_server *s);
/*
 * An HTTP front (hoverd --http, webui_http.c) sees each request before its
 * body is read, and either hands it to the API under another path (the
 * same handler the unix socket serves), or answers it itself (static files,
 * a refusal, a WebSocket upgrade) through api_front_send().
 */
enum api_front_verdict { API_FRONT_API, API_FRONT_DONE, API_FRONT_FAIL };
struct api_front {
	enum api_front_verdict (*route)(void *opaque, struct api_server *s, void *conn,
					 const char *url, const char *method,
					 const char **api_path);
	void *opaque;
};
/* A threaded server (a thread per connection) with a front; WebSocket upgrades allowed. */
int api_server_create_front(struct api_server **out, int listen_fd, const struct api_front *front,
			    api_handler_fn *fn, void *opaque, char *err, size_t errlen) HOVER_WUR;
/* Queue rep on conn (the front's own replies); frees rep's body. MHD_YES/NO as an int. */
int api_front_send(struct api_server *s, void *conn, struct api_reply *rep);
/* libmicrohttpd as this server loaded it (struct mhd_lib, mhd_lib.h). */
const struct mhd_lib *api_server_mhd(struct api_server *s);
/* A request header, or NULL. */
const char *api_header(struct api_server *s, void *conn, const char *name);

/* API_EVLOOP: the fd to watch for EPOLLIN, and what to call when it fires. */
int api_server_poll_fd(struct api_server *s);
void api_server_dispatch(struct api_server *s);
unsigned long api_server_requests(struct api_server *s);

/* Replies. api_error's body is {"error": {"status": N, "message": "..."}}. */
void api_json(struct api_reply *rep, unsigned status, json_t *body);
void api_error(struct api_reply *rep, unsigned status, const char *fmt, ...) HOVER_PRINTF(3, 4);
/* The same, with "field": the definition key the error is about (forms show it there). */
void api_error_field(struct api_reply *rep, unsigned status, const char *field, const char *fmt,
		     ...) HOVER_PRINTF(4, 5);
void api_openapi(struct api_reply *rep);
/* A query-string argument, or NULL. */
const char *api_query(const struct api_request *req, const char *key);

/*
 * Split "/vms/NAME/ACTION" style paths: fills at most max segments, returns
 * the count, or -1 if there are more. Segments point into buf.
 */
int api_split_path(const char *path, char *buf, size_t buflen, char **seg, int max);

/*
 * A request body as the handlers get it: NULL for an empty or all-blank body,
 * else the JSON value (duplicate keys refused). -EINVAL with the parser's
 * line, column and reason in err. Apart from the server so tests/fuzz can
 * drive it without a socket.
 */
int api_parse_body(const char *buf, size_t len, json_t **body, char *err, size_t errlen) HOVER_WUR;

/* The OpenAPI document, embedded at build time from mgmt/openapi.yaml. */
extern const char api_openapi_yaml[];
extern const size_t api_openapi_yaml_len;

#endif
