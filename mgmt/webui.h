/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * hoverd's web UI (hoverd --http ADDR:PORT): a TCP listener that serves the
 * single-page UI (static files from webui/, built into build/www), the same
 * JSON API as the unix socket under /api/, and WebSockets for the serial
 * console and pushed metrics under /ws/. Every /api/ and /ws/ request needs
 * the token hoverd keeps in STATE_DIR/webui.token (webui_http.c).
 */
#ifndef HOVER_MGMT_WEBUI_H
#define HOVER_MGMT_WEBUI_H

#include <stddef.h>

#include "include/hover/types.h"

struct hoverd;
struct webui;
struct ws_session;

/* Start serving; *url_out (the UI's address with the token in its fragment) for the banner. */
int webui_create(struct webui **out, struct hoverd *d, const char *addr, const char *www_dir,
		 char *url_out, size_t urllen, char *err, size_t errlen) HOVER_WUR;
void webui_destroy(struct webui *w);

/* webui_token.c: STATE_DIR/webui.token, made (0600) at the first start, then read. */
#define WEBUI_TOKEN_LEN 64
int webui_token_load(const char *state_dir, char token[WEBUI_TOKEN_LEN + 1], char *err,
		     size_t errlen) HOVER_WUR;
/* Constant-time: as long for every wrong guess, whatever its length or prefix. */
bool webui_token_equal(const char *token, const char *given);

/* webui_ws.c: one WebSocket connection, served on the thread that upgraded it. */
enum webui_ws_kind { WEBUI_WS_METRICS, WEBUI_WS_CONSOLE };
void webui_ws_serve(struct hoverd *d, int fd, const char *extra, size_t extra_len,
		    enum webui_ws_kind kind, const char *vm_name, const _Atomic bool *stopping);

#endif
