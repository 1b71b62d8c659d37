// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * WebSocket framing (websocket.h, RFC 6455 section 5.2):
 *
 *   byte 0: FIN, RSV1-3, opcode     byte 1: MASK, payload length (7 bits)
 *   126: 16-bit length follows; 127: 64-bit length follows (big-endian)
 *   then, from a client, a 4-byte masking key; payload byte i ^= key[i % 4]
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "mgmt/sha1.h"
#include "mgmt/websocket.h"

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void ws_accept_key(const char *key, char out[WS_ACCEPT_LEN + 1])
{
	/* RFC 6455 section 1.3: the GUID every server appends. */
	static const char guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
	char cat[128 + sizeof(guid)];
	u8 d[SHA1_LEN + 1] = { 0 }; /* one spare zero byte: 20 is not a multiple of 3 */
	size_t n = strnlen(key, 128);
	unsigned o = 0;

	memcpy(cat, key, n);
	memcpy(cat + n, guid, sizeof(guid) - 1);
	sha1(cat, n + sizeof(guid) - 1, d);
	for (unsigned i = 0; i < SHA1_LEN; i += 3) {
		u32 v = (u32)d[i] << 16 | (u32)d[i + 1] << 8 | (i + 2 < SHA1_LEN ? d[i + 2] : 0);

		out[o++] = b64[v >> 18 & 63];
		out[o++] = b64[v >> 12 & 63];
		out[o++] = b64[v >> 6 & 63];
		out[o++] = i + 2 < SHA1_LEN ? b64[v & 63] : '=';
	}
	out[o] = '\0';
}

bool ws_key_valid(const char *key)
{
	/* 16 bytes in base64: 22 characters and "==". */
	if (!key || strlen(key) != 24 || strcmp(key + 22, "=="))
		return false;
	for (unsigned i = 0; i < 22; i++)
		if (!strchr(b64, key[i]) || !key[i])
			return false;
	return true;
}

int ws_parse(u8 *buf, size_t len, struct ws_frame *f)
{
	size_t hlen = 2, plen;
	u8 *mask;

	if (len < 2)
		return 0;
	f->fin = buf[0] & 0x80;
	f->opcode = buf[0] & 0x0f;
	if (buf[0] & 0x70)
		return -EPROTO; /* no extension was negotiated */
	if (!(buf[1] & 0x80))
		return -EPROTO; /* section 5.1: a client masks every frame */
	if (f->opcode > WS_OP_BINARY && f->opcode < WS_OP_CLOSE)
		return -EPROTO;
	if (f->opcode > WS_OP_PONG)
		return -EPROTO;
	plen = buf[1] & 0x7f;
	if (f->opcode >= WS_OP_CLOSE && (plen > 125 || !f->fin))
		return -EPROTO; /* section 5.5: control frames are short and whole */
	if (plen == 126) {
		if (len < 4)
			return 0;
		plen = (size_t)buf[2] << 8 | buf[3];
		hlen = 4;
	} else if (plen == 127) {
		u64 v = 0;

		if (len < 10)
			return 0;
		for (unsigned i = 0; i < 8; i++)
			v = v << 8 | buf[2 + i];
		if (v > WS_MAX_PAYLOAD)
			return -EMSGSIZE;
		plen = (size_t)v;
		hlen = 10;
	}
	if (plen > WS_MAX_PAYLOAD)
		return -EMSGSIZE;
	if (len < hlen + 4 + plen)
		return 0;
	mask = buf + hlen;
	f->payload = buf + hlen + 4;
	f->len = plen;
	for (size_t i = 0; i < plen; i++)
		f->payload[i] ^= mask[i & 3];
	return (int)(hlen + 4 + plen);
}

size_t ws_header(u8 hdr[10], unsigned opcode, size_t len)
{
	hdr[0] = 0x80 | (u8)(opcode & 0x0f);
	if (len < 126) {
		hdr[1] = (u8)len;
		return 2;
	}
	if (len <= 0xffff) {
		hdr[1] = 126;
		hdr[2] = (u8)(len >> 8);
		hdr[3] = (u8)len;
		return 4;
	}
	hdr[1] = 127;
	for (unsigned i = 0; i < 8; i++)
		hdr[2 + i] = (u8)((u64)len >> (56 - 8 * i));
	return 10;
}

int ws_send(int fd, unsigned opcode, const void *data, size_t len, int timeout_ms)
{
	u8 hdr[10];
	struct iovec iov[2] = { { hdr, ws_header(hdr, opcode, len) }, { (void *)data, len } };
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = 2 };

	while (iov[0].iov_len || iov[1].iov_len) {
		ssize_t n = sendmsg(fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			struct pollfd p = { .fd = fd, .events = POLLOUT };

			if (errno == EAGAIN && poll(&p, 1, timeout_ms) <= 0)
				return -ETIMEDOUT; /* a reader that stopped reading */
			continue;
		}
		if (n < 0)
			return -errno;
		for (unsigned i = 0; i < 2; i++) {
			size_t k = (size_t)n < iov[i].iov_len ? (size_t)n : iov[i].iov_len;

			iov[i].iov_base = (u8 *)iov[i].iov_base + k;
			iov[i].iov_len -= k;
			n -= (ssize_t)k;
		}
		mh.msg_iov = iov[0].iov_len ? iov : iov + 1;
		mh.msg_iovlen = iov[0].iov_len ? 2 : 1;
	}
	return 0;
}
