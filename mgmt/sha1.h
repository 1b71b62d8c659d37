/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * SHA-1 (FIPS 180-4, section 6.1) for the WebSocket handshake only (RFC 6455
 * section 4.2.2 derives Sec-WebSocket-Accept with it). Not for anything that
 * needs collision resistance.
 */
#ifndef HOVER_MGMT_SHA1_H
#define HOVER_MGMT_SHA1_H

#include <stddef.h>

#include "include/hover/types.h"

#define SHA1_LEN 20

void sha1(const void *data, size_t len, u8 out[SHA1_LEN]);

#endif
