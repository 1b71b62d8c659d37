// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * SHA-1 (FIPS 180-4 section 6.1.2): 512-bit blocks, 80 rounds over a
 * 16-word schedule extended in place, big-endian words and length.
 */
#include <string.h>

#include "mgmt/sha1.h"

static u32 rol(u32 x, unsigned n)
{
	return (x << n) | (x >> (32 - n));
}

static void block(u32 h[5], const u8 *p)
{
	u32 w[80], a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];

	for (unsigned t = 0; t < 16; t++)
		w[t] = (u32)p[4 * t] << 24 | (u32)p[4 * t + 1] << 16 | (u32)p[4 * t + 2] << 8 |
		       p[4 * t + 3];
	for (unsigned t = 16; t < 80; t++)
		w[t] = rol(w[t - 3] ^ w[t - 8] ^ w[t - 14] ^ w[t - 16], 1);
	for (unsigned t = 0; t < 80; t++) {
		u32 f, k, tmp;

		if (t < 20) {
			f = (b & c) | (~b & d);
			k = 0x5a827999;
		} else if (t < 40) {
			f = b ^ c ^ d;
			k = 0x6ed9eba1;
		} else if (t < 60) {
			f = (b & c) | (b & d) | (c & d);
			k = 0x8f1bbcdc;
		} else {
			f = b ^ c ^ d;
			k = 0xca62c1d6;
		}
		tmp = rol(a, 5) + f + e + k + w[t];
		e = d;
		d = c;
		c = rol(b, 30);
		b = a;
		a = tmp;
	}
	h[0] += a;
	h[1] += b;
	h[2] += c;
	h[3] += d;
	h[4] += e;
}

void sha1(const void *data, size_t len, u8 out[SHA1_LEN])
{
	u32 h[5] = { 0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0 };
	const u8 *p = data;
	u8 tail[128] = { 0 };
	size_t rest = len % 64, tlen = rest < 56 ? 64 : 128;
	u64 bits = (u64)len * 8;

	for (size_t i = 0; i + 64 <= len; i += 64)
		block(h, p + i);
	/* The padding: 0x80, zeros, the message length in bits (big-endian). */
	memcpy(tail, p + len - rest, rest);
	tail[rest] = 0x80;
	for (unsigned i = 0; i < 8; i++)
		tail[tlen - 1 - i] = (u8)(bits >> (8 * i));
	block(h, tail);
	if (tlen == 128)
		block(h, tail + 64);
	for (unsigned i = 0; i < 5; i++) {
		out[4 * i] = (u8)(h[i] >> 24);
		out[4 * i + 1] = (u8)(h[i] >> 16);
		out[4 * i + 2] = (u8)(h[i] >> 8);
		out[4 * i + 3] = (u8)h[i];
	}
}
