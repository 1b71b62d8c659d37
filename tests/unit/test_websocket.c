// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Tests for mgmt/sha1.c, mgmt/websocket.c and the web UI's token compare
 * (mgmt/webui_token.c): FIPS 180 test vectors, RFC 6455's handshake example,
 * client frames of every length form, and the frames a server must refuse.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mgmt/sha1.h"
#include "mgmt/websocket.h"
#include "mgmt/webui.h"

static void hex(const u8 *d, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", d[i]);
}

static void test_sha1_vectors(void **state)
{
	static const struct { const char *in; const char *out; } v[] = {
		{ "", "da39a3ee5e6b4b0d3255bfef95601890afd80709" },
		{ "abc", "a9993e364706816aba3e25717850c26c9cd0d89d" },
		{ "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
		  "84983e441c3bd26ebaae4aa1f95129e5e54670f1" },
	};
	u8 d[SHA1_LEN];
	char h[41];
	char *million = malloc(1000000);

	(void)state;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		sha1(v[i].in, strlen(v[i].in), d);
		hex(d, SHA1_LEN, h);
		assert_string_equal(h, v[i].out);
	}
	memset(million, 'a', 1000000);
	sha1(million, 1000000, d);
	hex(d, SHA1_LEN, h);
	assert_string_equal(h, "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
	/* 55, 56 and 64 bytes: the padding's edge cases */
	sha1(million, 55, d);
	hex(d, SHA1_LEN, h);
	assert_string_equal(h, "c1c8bbdc22796e28c0e15163d20899b65621d65a");
	sha1(million, 56, d);
	hex(d, SHA1_LEN, h);
	assert_string_equal(h, "c2db330f6083854c99d4b5bfb6e8f29f201be699");
	sha1(million, 64, d);
	hex(d, SHA1_LEN, h);
	assert_string_equal(h, "0098ba824b5c16427bd7a1122a5a442a25ec644d");
	free(million);
}

static void test_accept_key_rfc6455_example(void **state)
{
	char out[WS_ACCEPT_LEN + 1];

	(void)state;
	/* RFC 6455 section 1.3 */
	ws_accept_key("dGhlIHNhbXBsZSBub25jZQ==", out);
	assert_string_equal(out, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
	assert_true(ws_key_valid("dGhlIHNhbXBsZSBub25jZQ=="));
	assert_false(ws_key_valid(NULL));
	assert_false(ws_key_valid("short=="));
	assert_false(ws_key_valid("dGhlIHNhbXBsZSBub25jZQ=x"));
	assert_false(ws_key_valid("dGhlIHNhbXBsZSBub25j!Q=="));
}

/* A client frame: FIN, opcode, masked with key. */
static size_t client_frame(u8 *buf, unsigned op, const u8 *payload, size_t len, bool fin)
{
	static const u8 key[4] = { 0x37, 0xfa, 0x21, 0x3d };
	size_t h = ws_header(buf, op, len);

	if (!fin)
		buf[0] &= 0x7f;
	buf[1] |= 0x80;
	memcpy(buf + h, key, 4);
	for (size_t i = 0; i < len; i++)
		buf[h + 4 + i] = payload[i] ^ key[i & 3];
	return h + 4 + len;
}

static void test_parse_lengths(void **state)
{
	static u8 buf[WS_MAX_PAYLOAD + 32], payload[WS_MAX_PAYLOAD];
	const size_t lens[] = { 0, 5, 125, 126, 1000, 65535, WS_MAX_PAYLOAD };
	struct ws_frame f;

	(void)state;
	for (size_t i = 0; i < sizeof(payload); i++)
		payload[i] = (u8)(i * 7);
	for (size_t k = 0; k < sizeof(lens) / sizeof(lens[0]); k++) {
		size_t n = client_frame(buf, WS_OP_BINARY, payload, lens[k], true);

		/* every prefix is "need more", the whole is one frame */
		for (size_t cut = 0; cut < n; cut += (n > 300 ? 97 : 1))
			assert_int_equal(ws_parse(buf, cut, &f), 0);
		assert_int_equal(ws_parse(buf, n, &f), (int)n);
		assert_true(f.fin);
		assert_int_equal(f.opcode, WS_OP_BINARY);
		assert_int_equal(f.len, lens[k]);
		if (lens[k])
			assert_memory_equal(f.payload, payload, lens[k]);
	}
}

static void test_parse_refuses(void **state)
{
	u8 buf[256], p[200] = { 0 };
	struct ws_frame f;
	size_t n;

	(void)state;
	/* unmasked */
	n = ws_header(buf, WS_OP_TEXT, 3);
	memcpy(buf + n, "abc", 3);
	assert_int_equal(ws_parse(buf, n + 3, &f), -EPROTO);
	/* reserved bits without an extension */
	n = client_frame(buf, WS_OP_TEXT, p, 3, true);
	buf[0] |= 0x40;
	assert_int_equal(ws_parse(buf, n, &f), -EPROTO);
	/* reserved opcodes */
	n = client_frame(buf, 0x3, p, 3, true);
	assert_int_equal(ws_parse(buf, n, &f), -EPROTO);
	n = client_frame(buf, 0xb, p, 3, true);
	assert_int_equal(ws_parse(buf, n, &f), -EPROTO);
	/* a control frame longer than 125 bytes, or fragmented */
	n = client_frame(buf, WS_OP_PING, p, 126, true);
	assert_int_equal(ws_parse(buf, n, &f), -EPROTO);
	n = client_frame(buf, WS_OP_CLOSE, p, 2, false);
	assert_int_equal(ws_parse(buf, n, &f), -EPROTO);
	/* a length past the limit is refused from the header alone */
	buf[0] = 0x82;
	buf[1] = 0x80 | 127;
	memset(buf + 2, 0, 8);
	buf[5] = 0x01; /* 2^32 */
	assert_int_equal(ws_parse(buf, 10, &f), -EMSGSIZE);
	buf[2] = 0x80; /* 2^63 and more: no overflow */
	assert_int_equal(ws_parse(buf, 10, &f), -EMSGSIZE);
}

static void test_header_forms(void **state)
{
	u8 h[10];

	(void)state;
	assert_int_equal(ws_header(h, WS_OP_TEXT, 125), 2);
	assert_int_equal(h[0], 0x81);
	assert_int_equal(h[1], 125);
	assert_int_equal(ws_header(h, WS_OP_BINARY, 126), 4);
	assert_int_equal(h[1], 126);
	assert_int_equal(h[2] << 8 | h[3], 126);
	assert_int_equal(ws_header(h, WS_OP_BINARY, 70000), 10);
	assert_int_equal(h[1], 127);
	assert_int_equal(h[7] << 16 | h[8] << 8 | h[9], 70000);
}

static void test_token_equal(void **state)
{
	const char *t = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
	char other[80];

	(void)state;
	assert_true(webui_token_equal(t, t));
	assert_false(webui_token_equal(t, NULL));
	assert_false(webui_token_equal(t, ""));
	assert_false(webui_token_equal(t, "0123456789abcdef")); /* a prefix */
	snprintf(other, sizeof(other), "%s0", t);              /* longer */
	assert_false(webui_token_equal(t, other));
	snprintf(other, sizeof(other), "%s", t);
	other[63] = 'e'; /* the last digit */
	assert_false(webui_token_equal(t, other));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sha1_vectors),
		cmocka_unit_test(test_accept_key_rfc6455_example),
		cmocka_unit_test(test_parse_lengths),
		cmocka_unit_test(test_parse_refuses),
		cmocka_unit_test(test_header_forms),
		cmocka_unit_test(test_token_equal),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
