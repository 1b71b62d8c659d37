/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * WebSocket (RFC 6455) framing for hoverd's web UI: the handshake's accept
 * key (section 4.2.2), parsing the client's masked frames (section 5.2) and
 * writing the server's unmasked ones. The socket itself comes from
 * libmicrohttpd's upgrade (webui_http.c); nothing here knows HTTP.
 */
#ifndef HOVER_MGMT_WEBSOCKET_H
#define HOVER_MGMT_WEBSOCKET_H

#include <stddef.h>

#include "include/hover/types.h"

enum {
	WS_OP_CONT = 0x0, WS_OP_TEXT = 0x1, WS_OP_BINARY = 0x2,
	WS_OP_CLOSE = 0x8, WS_OP_PING = 0x9, WS_OP_PONG = 0xa,
};

/* The largest client frame hoverd takes (console keystrokes, pastes); more is an error. */
#define WS_MAX_PAYLOAD 65536u
#define WS_ACCEPT_LEN 28

struct ws_frame {
	bool fin;
	unsigned opcode;
	u8 *payload; /* unmasked in place, inside the parsed buffer */
	size_t len;
};

/* Sec-WebSocket-Accept for a Sec-WebSocket-Key: base64(SHA-1(key + the RFC's GUID)). */
void ws_accept_key(const char *key, char out[WS_ACCEPT_LEN + 1]);
/* Is this a Sec-WebSocket-Key (base64 of 16 bytes)? */
bool ws_key_valid(const char *key);

/*
 * One client frame from buf[0..len): the bytes it takes (> 0), 0 if more are
 * needed, -EPROTO for a frame a client must not send (unmasked, reserved bits,
 * an unknown opcode, a fragmented or long control frame), -EMSGSIZE past
 * WS_MAX_PAYLOAD.
 */
int ws_parse(u8 *buf, size_t len, struct ws_frame *f) HOVER_WUR;

/* A server frame's header for len payload bytes into hdr (at most 10 bytes); its length. */
size_t ws_header(u8 hdr[10], unsigned opcode, size_t len);

/* Send one whole frame on fd, waiting up to timeout_ms for a slow reader. 0 or -errno. */
int ws_send(int fd, unsigned opcode, const void *data, size_t len, int timeout_ms) HOVER_WUR;

#endif
