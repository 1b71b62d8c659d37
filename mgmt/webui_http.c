// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hoverd --http (webui.h): the front of a TCP API server (api.h's
 * api_front). For each request, before its body is read:
 *
 *   /api/...   the token, then the JSON API that the unix socket serves
 *              (hoverd_api_handle) with "/api" taken off the path;
 *   /ws/metrics, /ws/console/NAME   the token, then a WebSocket (RFC 6455)
 *              on libmicrohttpd's upgrade, served by webui_ws.c;
 *   /login     POST with "Authorization: Bearer TOKEN": sets an HttpOnly,
 *              SameSite=Strict cookie, which the browser then sends with
 *              every request (WebSockets cannot carry headers);
 *   otherwise  GET of the UI's static files (no secret in them).
 *
 * The token reaches the browser in the URL's fragment (#token=...), which
 * browsers never send, so it shows in no server or proxy log. A request
 * that carries the cookie from another origin (Origin header) is refused:
 * the cookie alone must not let another site act.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mgmt/api.h"
#include "mgmt/config_json.h"
#include "mgmt/hoverd.h"
#include "mgmt/mhd_lib.h"
#include "mgmt/webui.h"
#include "mgmt/websocket.h"

#define WEBUI_FILE_MAX (8u << 20)
#define WEBUI_COOKIE "hover_token"

struct webui {
	struct hoverd *d;
	struct api_server *srv;
	char token[WEBUI_TOKEN_LEN + 1];
	int www_fd;
	_Atomic bool stopping;
};

/* What an upgraded connection is for; freed by the upgrade handler. */
struct ws_req {
	struct webui *w;
	struct api_server *s;
	enum webui_ws_kind kind;
	char name[72];
};

static bool authorized(struct webui *w, struct api_server *s, void *conn, bool *by_cookie)
{
	const char *auth = api_header(s, conn, "Authorization");
	const char *cookie = api_server_mhd(s)->lookup_connection_value(conn, MHD_COOKIE_KIND,
									  WEBUI_COOKIE);

	*by_cookie = false;
	if (auth && !strncmp(auth, "Bearer ", 7))
		return webui_token_equal(w->token, auth + 7);
	*by_cookie = true;
	return cookie && webui_token_equal(w->token, cookie);
}

/* A browser names the page's origin; it must be this server's own (Host). */
static bool same_origin(struct webui *w, struct api_server *s, void *conn)
{
	const char *origin = api_header(s, conn, "Origin");
	const char *host = api_header(s, conn, "Host");

	if (!origin)
		return true; /* not a browser's cross-site request */
	return host && !strncmp(origin, "http://", 7) && !strcmp(origin + 7, host);
}

static enum api_front_verdict reply_error(struct webui *w, struct api_server *s, void *conn, unsigned status,
					  const char *msg)
{
	struct api_reply rep = { 0 };

	api_error(&rep, status, "%s", msg);
	if (status == 401) {
		rep.headers[0] = "WWW-Authenticate";
		rep.headers[1] = "Bearer realm=\"hoverd\"";
	}
	return api_front_send(s, conn, &rep) == MHD_YES ? API_FRONT_DONE : API_FRONT_FAIL;
}

static const char *content_type(const char *name)
{
	static const char *const types[][2] = {
		{ ".html", "text/html; charset=utf-8" }, { ".js", "text/javascript; charset=utf-8" },
		{ ".css", "text/css; charset=utf-8" },   { ".svg", "image/svg+xml" },
		{ ".png", "image/png" },                 { ".json", "application/json" },
		{ ".ico", "image/x-icon" },
	};
	const char *dot = strrchr(name, '.');

	for (size_t i = 0; dot && i < sizeof(types) / sizeof(types[0]); i++)
		if (!strcmp(dot, types[i][0]))
			return types[i][1];
	return "application/octet-stream";
}

/* A static file's name: one or two segments of [A-Za-z0-9._-], none starting with '.'. */
static bool static_name_ok(const char *p)
{
	unsigned segs = 1;

	if (!*p || *p == '.' || *p == '/')
		return false;
	for (; *p; p++) {
		if (*p == '/') {
			if (++segs > 2 || p[1] == '.' || p[1] == '/' || !p[1])
				return false;
		} else if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			     (*p >= '0' && *p <= '9') || *p == '.' || *p == '_' || *p == '-')) {
			return false;
		}
	}
	return true;
}

static enum api_front_verdict serve_static(struct webui *w, struct api_server *s, void *conn, const char *url)
{
	const char *name = !strcmp(url, "/") ? "index.html" : url + 1;
	struct api_reply rep = { .status = 200 };
	struct stat st;
	char *buf;
	ssize_t n;
	int fd;

	if (w->www_fd < 0)
		return reply_error(w, s, conn, 404, "this hoverd has no web UI files (make builds "
				   "build/www; or give hoverd --www DIR)");
	if (!static_name_ok(name))
		return reply_error(w, s, conn, 404, "no such page");
	fd = openat(w->www_fd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > WEBUI_FILE_MAX) {
		if (fd >= 0)
			close(fd);
		return reply_error(w, s, conn, 404, "no such page");
	}
	buf = malloc((size_t)st.st_size + 1);
	n = buf ? pread(fd, buf, (size_t)st.st_size, 0) : -1;
	close(fd);
	if (n != st.st_size) {
		free(buf);
		return reply_error(w, s, conn, 500, "cannot read the page");
	}
	rep.text = buf;
	rep.text_len = (size_t)n;
	rep.text_owned = true;
	rep.content_type = content_type(name);
	rep.headers[0] = "X-Content-Type-Options";
	rep.headers[1] = "nosniff";
	rep.headers[2] = "Content-Security-Policy";
	rep.headers[3] = "default-src 'self'; connect-src 'self'; frame-ancestors 'none'";
	rep.headers[4] = "Referrer-Policy";
	rep.headers[5] = "no-referrer";
	rep.headers[6] = "Cache-Control";
	rep.headers[7] = "no-cache";
	return api_front_send(s, conn, &rep) == MHD_YES ? API_FRONT_DONE : API_FRONT_FAIL;
}

static void on_upgraded(void *cls, struct MHD_Connection *c, void *req_cls, const char *extra,
			size_t extra_len, MHD_socket sock, struct MHD_UpgradeResponseHandle *urh)
{
	struct ws_req *r = cls;
	struct webui *w = r->w;

	(void)c;
	(void)req_cls;
	/* This connection's own thread (thread per connection): serve it to the end here. */
	webui_ws_serve(w->d, sock, extra, extra_len, r->kind, r->name, &w->stopping);
	api_server_mhd(r->s)->upgrade_action(urh, MHD_UPGRADE_ACTION_CLOSE);
	free(r);
}

static enum api_front_verdict upgrade(struct webui *w, struct api_server *s, void *conn, const char *url)
{
	const struct mhd_lib *lib = api_server_mhd(s);
	const char *key = api_header(s, conn, "Sec-WebSocket-Key");
	const char *ver = api_header(s, conn, "Sec-WebSocket-Version");
	const char *up = api_header(s, conn, "Upgrade");
	char accept[WS_ACCEPT_LEN + 1];
	struct MHD_Response *resp;
	struct ws_req *r;
	enum MHD_Result ret;

	if (!up || strcasecmp(up, "websocket") || !ws_key_valid(key) || !ver || strcmp(ver, "13"))
		return reply_error(w, s, conn, 400, "a WebSocket handshake (RFC 6455, version 13) "
				   "is expected here");
	r = calloc(1, sizeof(*r));
	if (!r)
		return API_FRONT_FAIL;
	r->w = w;
	r->s = s;
	if (!strcmp(url, "/ws/metrics")) {
		r->kind = WEBUI_WS_METRICS;
	} else if (!strncmp(url, "/ws/console/", 12) && config_json_valid_name(url + 12)) {
		bool found;

		r->kind = WEBUI_WS_CONSOLE;
		snprintf(r->name, sizeof(r->name), "%s", url + 12);
		pthread_mutex_lock(&w->d->lock);
		found = hvm_find(w->d, r->name) != NULL;
		pthread_mutex_unlock(&w->d->lock);
		if (!found) {
			free(r);
			return reply_error(w, s, conn, 404, "no such VM");
		}
	} else {
		free(r);
		return reply_error(w, s, conn, 404, "no such WebSocket (/ws/metrics, /ws/console/NAME)");
	}
	ws_accept_key(key, accept);
	resp = lib->create_response_for_upgrade(on_upgraded, r);
	if (!resp) {
		free(r);
		return API_FRONT_FAIL;
	}
	lib->add_response_header(resp, "Upgrade", "websocket");
	lib->add_response_header(resp, "Sec-WebSocket-Accept", accept);
	ret = lib->queue_response(conn, MHD_HTTP_SWITCHING_PROTOCOLS, resp);
	lib->destroy_response(resp);
	if (ret != MHD_YES) {
		/* never queued: the handler will not run */
		free(r);
		return API_FRONT_FAIL;
	}
	return API_FRONT_DONE;
}

static enum api_front_verdict login(struct webui *w, struct api_server *s, void *conn, const char *method)
{
	struct api_reply rep = { .status = 200 };
	const char *auth = api_header(s, conn, "Authorization");
	char cookie[160];

	if (strcmp(method, "POST"))
		return reply_error(w, s, conn, 405, "POST /login with Authorization: Bearer TOKEN");
	if (!auth || strncmp(auth, "Bearer ", 7) || !webui_token_equal(w->token, auth + 7))
		return reply_error(w, s, conn, 401, "wrong or missing token (hoverd prints the UI's "
				   "address with it; it is in STATE_DIR/webui.token)");
	snprintf(cookie, sizeof(cookie), WEBUI_COOKIE "=%s; HttpOnly; SameSite=Strict; Path=/",
		 w->token);
	api_json(&rep, 200, json_pack("{s:b}", "ok", 1));
	rep.headers[0] = "Set-Cookie";
	rep.headers[1] = cookie;
	rep.headers[2] = "Cache-Control";
	rep.headers[3] = "no-store";
	return api_front_send(s, conn, &rep) == MHD_YES ? API_FRONT_DONE : API_FRONT_FAIL;
}

static enum api_front_verdict route(void *opaque, struct api_server *s, void *conn,
				    const char *url, const char *method, const char **api_path)
{
	struct webui *w = opaque;
	bool cookie;

	if (!strcmp(url, "/login"))
		return login(w, s, conn, method);
	if (!strncmp(url, "/api/", 5) || !strncmp(url, "/ws/", 4)) {
		if (!authorized(w, s, conn, &cookie))
			return reply_error(w, s, conn, 401, "wrong or missing token (Authorization: "
					   "Bearer TOKEN, or POST /login first)");
		if (cookie && !same_origin(w, s, conn))
			return reply_error(w, s, conn, 403, "a request from another site's page");
		if (url[1] == 'w')
			return upgrade(w, s, conn, url);
		*api_path = url + 4;
		return API_FRONT_API;
	}
	if (strcmp(method, "GET") && strcmp(method, "HEAD"))
		return reply_error(w, s, conn, 405, "the UI's pages take GET");
	return serve_static(w, s, conn, url);
}

/* ADDR:PORT, [V6]:PORT, or PORT alone (loopback). */
static int http_listen(const char *addr, int *fd_out, bool *loopback, char *err, size_t errlen)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV };
	struct addrinfo *ai = NULL;
	char host[256], *port;
	int fd, one = 1, ret;

	if (!strchr(addr, ':'))
		snprintf(host, sizeof(host), "127.0.0.1:%s", addr);
	else
		snprintf(host, sizeof(host), "%s", addr);
	port = strrchr(host, ':');
	*port++ = '\0';
	if (host[0] == '[' && host[strlen(host) - 1] == ']') {
		memmove(host, host + 1, strlen(host));
		host[strlen(host) - 1] = '\0';
	}
	ret = getaddrinfo(host, port, &hints, &ai);
	if (ret || !ai) {
		snprintf(err, errlen, "--http %s: not an address and port (%s; try 127.0.0.1:8006)",
			 addr, gai_strerror(ret));
		return -EINVAL;
	}
	if (ai->ai_family == AF_INET)
		*loopback = (ntohl(((struct sockaddr_in *)ai->ai_addr)->sin_addr.s_addr) >> 24) == 127;
	else
		*loopback = IN6_IS_ADDR_LOOPBACK(&((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr);
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, 128) < 0) {
		snprintf(err, errlen, "--http %s: cannot listen: %s", addr, strerror(errno));
		if (fd >= 0)
			close(fd);
		freeaddrinfo(ai);
		return -EADDRINUSE;
	}
	freeaddrinfo(ai);
	*fd_out = fd;
	return 0;
}

int webui_create(struct webui **out, struct hoverd *d, const char *addr, const char *www_dir,
		 char *url_out, size_t urllen, char *err, size_t errlen)
{
	struct webui *w = calloc(1, sizeof(*w));
	struct api_front front = { route, w };
	char msg[512];
	bool loopback;
	int fd, ret;

	if (!w)
		return -ENOMEM;
	w->d = d;
	ret = webui_token_load(d->state_dir, w->token, err, errlen);
	if (ret)
		goto err;
	w->www_fd = www_dir ? open(www_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
	if (www_dir && w->www_fd < 0)
		fprintf(stderr, "hoverd: %s: %s: the web UI's pages are missing (run make)\n",
			www_dir, strerror(errno));
	ret = http_listen(addr, &fd, &loopback, err, errlen);
	if (ret)
		goto err_www;
	if (!loopback)
		fprintf(stderr, "hoverd: WARNING: --http %s is reachable from other machines; only "
			"the token guards it, and plain HTTP shows it to anyone on the path\n", addr);
	ret = api_server_create_front(&w->srv, fd, &front, hoverd_api_handle, d, msg, sizeof(msg));
	if (ret) {
		snprintf(err, errlen, "--http %s: %s", addr, msg);
		goto err_www;
	}
	{
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		char h[INET6_ADDRSTRLEN] = "127.0.0.1";
		unsigned port = 0;

		if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0) {
			if (ss.ss_family == AF_INET) {
				inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, h, sizeof(h));
				port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
			} else {
				inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, h, sizeof(h));
				port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
			}
		}
		snprintf(url_out, urllen, "http://%s%s%s:%u/#token=%s",
			 ss.ss_family == AF_INET6 ? "[" : "", h, ss.ss_family == AF_INET6 ? "]" : "",
			 port, w->token);
	}
	*out = w;
	return 0;
err_www:
	if (w->www_fd >= 0)
		close(w->www_fd);
err:
	free(w);
	return ret;
}

void webui_destroy(struct webui *w)
{
	if (!w)
		return;
	w->stopping = true; /* WebSocket loops notice within their poll interval */
	api_server_destroy(w->srv);
	if (w->www_fd >= 0)
		close(w->www_fd);
	free(w);
}
