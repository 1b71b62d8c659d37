// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The JSON API's HTTP layer over libmicrohttpd (see api.h), which each
 * server loads for itself through mhd_lib.h's table. Request bodies
 * are collected per connection (at most API_BODY_MAX bytes), parsed with
 * jansson, and handed to the owner's handler once complete; malformed JSON is
 * answered here with 400 and the parser's line and column.
 */
#include <errno.h>
#include <microhttpd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "mgmt/api.h"
#include "mgmt/mhd_lib.h"

struct api_server {
	struct mhd_lib lib; /* libmicrohttpd, loaded for this server */
	struct MHD_Daemon *mhd;
	enum api_mode mode;
	api_handler_fn *fn;
	void *opaque;
	int listen_fd;
	_Atomic unsigned long requests;
	struct api_front front; /* route == NULL: none */
};

struct conn_state {
	char *buf;
	size_t len, cap;
	bool too_big;
	bool front_done;      /* the front answered this request itself */
	const char *api_path; /* the path the API sees (the front may strip a prefix) */
};

struct stream_ctx {
	api_stream_fn *fn;
	void *opaque;
	void (*free_fn)(void *opaque);
};

int api_listen_unix(const char *path, int *fd_out, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	mode_t old_mask;
	int fd, ret;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "%s: socket path too long (at most %zu bytes)", path,
			 sizeof(sa.sun_path) - 1);
		return -ENAMETOOLONG;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		goto fail;
	/* A socket file left by a process that died: nobody answers, so replace it. */
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
		close(fd);
		snprintf(err, errlen, "%s: another process is already serving this socket", path);
		return -EADDRINUSE;
	}
	close(fd);
	unlink(path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		goto fail;
	/* The socket file is born 0600: a chmod after bind would leave a moment in
	 * which anyone could connect. umask is per process; this runs at start-up,
	 * before the process has other threads. */
	old_mask = umask(0177);
	ret = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old_mask);
	if (ret < 0 || listen(fd, 512) < 0) {
		int e = errno;

		close(fd);
		errno = e;
		goto fail;
	}
	*fd_out = fd;
	return 0;
fail:
	snprintf(err, errlen, "%s: cannot listen: %s", path, strerror(errno));
	return -errno;
}

void api_json(struct api_reply *rep, unsigned status, json_t *body)
{
	if (rep->body)
		json_decref(rep->body);
	rep->status = status;
	rep->body = body;
}

void api_error(struct api_reply *rep, unsigned status, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	api_json(rep, status, json_pack("{s:{s:i,s:s}}", "error", "status", (int)status,
					"message", msg));
}

void api_error_field(struct api_reply *rep, unsigned status, const char *field, const char *fmt,
		     ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!field)
		return api_error(rep, status, "%s", msg);
	api_json(rep, status, json_pack("{s:{s:i,s:s,s:s}}", "error", "status", (int)status,
					"message", msg, "field", field));
}

void api_openapi(struct api_reply *rep)
{
	rep->status = 200;
	rep->text = api_openapi_yaml;
	rep->text_len = api_openapi_yaml_len;
	rep->content_type = "application/yaml";
}

const char *api_query(const struct api_request *req, const char *key)
{
	return req->server->lib.lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, key);
}

int api_split_path(const char *path, char *buf, size_t buflen, char **seg, int max)
{
	int n = 0;
	char *p, *save = NULL;

	if (strlen(path) >= buflen)
		return -1;
	strcpy(buf, path);
	for (p = strtok_r(buf, "/", &save); p; p = strtok_r(NULL, "/", &save)) {
		if (n == max)
			return -1;
		seg[n++] = p;
	}
	return n;
}

int api_parse_body(const char *buf, size_t len, json_t **body, char *err, size_t errlen)
{
	json_error_t jerr;
	size_t i;

	*body = NULL;
	/* not strchr(), which finds a NUL byte too: a body of NULs is malformed, not blank */
	for (i = 0; i < len && (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\r' || buf[i] == '\n');
	     i++)
		;
	if (i == len)
		return 0;
	*body = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!*body) {
		snprintf(err, errlen, "malformed JSON at line %d, column %d: %s", jerr.line,
			 jerr.column, jerr.text);
		return -EINVAL;
	}
	return 0;
}

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct stream_ctx *sc = cls;
	ssize_t n = sc->fn(sc->opaque, buf, max);

	(void)pos;
	return n < 0 ? MHD_CONTENT_READER_END_OF_STREAM : n;
}

static void stream_free(void *cls)
{
	struct stream_ctx *sc = cls;

	if (sc->free_fn)
		sc->free_fn(sc->opaque);
	free(sc);
}

static enum MHD_Result send_reply(const struct mhd_lib *lib, struct MHD_Connection *c,
				  struct api_reply *rep)
{
	struct MHD_Response *r = NULL;
	const char *ctype = "application/json";
	enum MHD_Result ret;

	if (rep->stream) {
		struct stream_ctx *sc = malloc(sizeof(*sc));

		if (sc) {
			*sc = (struct stream_ctx){ rep->stream, rep->stream_opaque, rep->stream_free };
			r = lib->create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, stream_read,
							       sc, stream_free);
			if (!r)
				free(sc);
		}
		ctype = rep->content_type ? rep->content_type : "text/plain";
	} else if (rep->text) {
		r = lib->create_response_from_buffer(rep->text_len, (void *)rep->text,
						     rep->text_owned ? MHD_RESPMEM_MUST_FREE
								     : MHD_RESPMEM_PERSISTENT);
		if (r)
			rep->text_owned = false; /* MHD frees it now */
		ctype = rep->content_type ? rep->content_type : "text/plain";
	} else {
		char *s = rep->body ? json_dumps(rep->body, JSON_COMPACT | JSON_REAL_PRECISION(10)) : strdup("{}");
		size_t len;

		if (!s)
			return MHD_NO;
		len = strlen(s);
		s = realloc(s, len + 2);
		if (!s)
			return MHD_NO;
		s[len++] = '\n';
		r = lib->create_response_from_buffer(len, s, MHD_RESPMEM_MUST_FREE);
		if (!r)
			free(s);
	}
	if (!r)
		return MHD_NO;
	lib->add_response_header(r, "Content-Type", ctype);
	for (unsigned i = 0; i + 1 < sizeof(rep->headers) / sizeof(rep->headers[0]) &&
			     rep->headers[i]; i += 2)
		lib->add_response_header(r, rep->headers[i], rep->headers[i + 1]);
	ret = lib->queue_response(c, rep->status ? rep->status : 200, r);
	lib->destroy_response(r);
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version,
				  const char *upload_data, size_t *upload_size, void **con_cls)
{
	struct api_server *s = cls;
	struct conn_state *cs = *con_cls;
	struct api_reply rep = { 0 };
	const union MHD_ConnectionInfo *ci;
	enum MHD_Result ret;

	(void)version;
	if (!cs) {
		cs = calloc(1, sizeof(*cs));
		if (!cs)
			return MHD_NO;
		*con_cls = cs;
		cs->api_path = url;
		if (s->front.route) {
			switch (s->front.route(s->front.opaque, s, c, url, method, &cs->api_path)) {
			case API_FRONT_API: break;
			case API_FRONT_DONE: cs->front_done = true; break;
			case API_FRONT_FAIL: return MHD_NO;
			}
		}
		return MHD_YES;
	}
	if (cs->front_done) {
		*upload_size = 0; /* answered already: the body is not ours to read */
		return MHD_YES;
	}
	if (*upload_size) {
		if (cs->len + *upload_size > API_BODY_MAX) {
			cs->too_big = true;
		} else {
			if (cs->len + *upload_size > cs->cap) {
				size_t cap = (cs->len + *upload_size) * 2;
				char *nb = realloc(cs->buf, cap);

				if (!nb)
					return MHD_NO;
				cs->buf = nb;
				cs->cap = cap;
			}
			memcpy(cs->buf + cs->len, upload_data, *upload_size);
			cs->len += *upload_size;
		}
		*upload_size = 0;
		return MHD_YES;
	}
	s->requests++;
	if (cs->too_big) {
		api_error(&rep, 413, "request body larger than %u bytes", API_BODY_MAX);
	} else {
		struct api_request req = {
			.method = method,
			.path = cs->api_path,
			.conn = c,
			.server = s,
			.fd = -1,
		};
		char why[256];

		if (api_parse_body(cs->buf, cs->len, &req.body, why, sizeof(why))) {
			api_error(&rep, 400, "%s", why);
			goto reply;
		}
		ci = s->lib.get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
		if (ci)
			req.fd = ci->connect_fd;
		s->fn(s->opaque, &req, &rep);
		if (req.body)
			json_decref(req.body);
		if (!rep.status && !rep.body && !rep.text && !rep.stream)
			api_error(&rep, 500, "no reply");
	}
reply:
	ret = send_reply(&s->lib, c, &rep);
	if (rep.body)
		json_decref(rep.body);
	if (rep.text_owned)
		free((void *)rep.text);
	return ret;
}

int api_front_send(struct api_server *s, void *conn, struct api_reply *rep)
{
	enum MHD_Result ret = send_reply(&s->lib, conn, rep);

	if (rep->body)
		json_decref(rep->body);
	rep->body = NULL;
	if (rep->text_owned)
		free((void *)rep->text);
	rep->text_owned = false;
	return ret;
}

const struct mhd_lib *api_server_mhd(struct api_server *s)
{
	return &s->lib;
}

const char *api_header(struct api_server *s, void *conn, const char *name)
{
	return s->lib.lookup_connection_value(conn, MHD_HEADER_KIND, name);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct conn_state *cs = *con_cls;

	(void)cls;
	(void)c;
	(void)toe;
	if (cs) {
		free(cs->buf);
		free(cs);
		*con_cls = NULL;
	}
}

static int server_create(struct api_server **out, int listen_fd, enum api_mode mode,
			 const struct api_front *front, api_handler_fn *fn, void *opaque,
			 char *err, size_t errlen)
{
	struct api_server *s = calloc(1, sizeof(*s));
	unsigned flags;
	int ret;

	if (!s) {
		close(listen_fd);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	ret = mhd_lib_open(&s->lib, err, errlen);
	if (ret) {
		close(listen_fd);
		free(s);
		return ret;
	}
	s->mode = mode;
	s->fn = fn;
	s->opaque = opaque;
	s->listen_fd = listen_fd;
	if (front)
		s->front = *front;
	/*
	 * EVLOOP: epoll without a thread; the VM's event loop watches MHD's epoll
	 * fd. THREADED: a thread per connection (blocking handlers, streaming logs);
	 * poll() rather than select() so that fds past 1024 work.
	 */
	flags = mode == API_EVLOOP ? MHD_USE_EPOLL
				   : MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL_INTERNAL_THREAD;
	if (front)
		flags |= MHD_ALLOW_UPGRADE;
	s->mhd = s->lib.start_daemon(flags, 0, NULL, NULL, on_request, s, MHD_OPTION_LISTEN_SOCKET,
				     listen_fd, MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
				     MHD_OPTION_CONNECTION_LIMIT,
				     /* a TCP front is open to every local user: fewer threads */
				     front ? (unsigned)256 : (unsigned)4000, MHD_OPTION_END);
	if (!s->mhd) {
		snprintf(err, errlen, "libmicrohttpd cannot serve on this socket");
		close(listen_fd);
		mhd_lib_close(&s->lib);
		free(s);
		return -EIO;
	}
	*out = s;
	return 0;
}

int api_server_create(struct api_server **out, int listen_fd, enum api_mode mode,
		      api_handler_fn *fn, void *opaque, char *err, size_t errlen)
{
	return server_create(out, listen_fd, mode, NULL, fn, opaque, err, errlen);
}

int api_server_create_front(struct api_server **out, int listen_fd, const struct api_front *front,
			    api_handler_fn *fn, void *opaque, char *err, size_t errlen)
{
	return server_create(out, listen_fd, API_THREADED, front, fn, opaque, err, errlen);
}

void api_server_destroy(struct api_server *s)
{
	if (!s)
		return;
	s->lib.stop_daemon(s->mhd);
	close(s->listen_fd);
	mhd_lib_close(&s->lib);
	free(s);
}

int api_server_poll_fd(struct api_server *s)
{
	const union MHD_DaemonInfo *di = s->lib.get_daemon_info(s->mhd, MHD_DAEMON_INFO_EPOLL_FD);

	return di ? di->epoll_fd : -1;
}

void api_server_dispatch(struct api_server *s)
{
	MHD_UNSIGNED_LONG_LONG to;

	s->lib.run(s->mhd);
	/* MHD keeps connections it can still make progress on; run until none is due now. */
	for (int i = 0; i < 32 && s->lib.get_timeout(s->mhd, &to) == MHD_YES && to == 0; i++)
		s->lib.run(s->mhd);
}

unsigned long api_server_requests(struct api_server *s)
{
	return s->requests;
}
