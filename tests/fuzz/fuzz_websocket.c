// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target for what a browser (or anyone who has the web UI's
 * token) sends hoverd on a WebSocket: the client frames mgmt/websocket.c
 * parses, taken as a stream the way webui_ws.c does (frames one after the
 * other, the rest kept for later). The input's first line is also tried as
 * a Sec-WebSocket-Key.
 *
 * Checked beyond "no crash, no sanitizer report": a frame never claims more
 * bytes than it was given, its payload lies inside them and within
 * WS_MAX_PAYLOAD, and a control frame is whole and short.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mgmt/websocket.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	u8 *buf = malloc(size ? size : 1);
	char key[160], accept[WS_ACCEPT_LEN + 1];
	const u8 *nl = memchr(data, '\n', size);
	size_t off = 0, klen = nl ? (size_t)(nl - data) : size;
	struct ws_frame f;
	int used;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	while ((used = ws_parse(buf + off, size - off, &f)) > 0) {
		if ((size_t)used > size - off || f.len > WS_MAX_PAYLOAD ||
		    f.payload < buf + off || f.payload + f.len > buf + off + (size_t)used)
			abort();
		if (f.opcode >= WS_OP_CLOSE && (f.len > 125 || !f.fin))
			abort();
		off += (size_t)used;
	}
	if (klen < sizeof(key)) {
		memcpy(key, data, klen);
		key[klen] = '\0';
		if (ws_key_valid(key)) {
			ws_accept_key(key, accept);
			if (strlen(accept) != WS_ACCEPT_LEN)
				abort();
		}
	}
	free(buf);
	return 0;
}
