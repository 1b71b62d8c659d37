// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The migration channel's small encoders and checks (format:
 * migration/migrate_wire.h). Everything read here comes from another
 * process, perhaps another host: nothing is used before it is checked.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/un.h>
#include <zlib.h>

#include "migration/migrate_wire.h"

void migrate_hello_encode(u8 out[MIGRATE_HELLO_LEN], u32 version)
{
	memcpy(out, MIGRATE_WIRE_MAGIC, 8);
	migrate_put32(out + 8, version);
	migrate_put32(out + 12, 0);
	migrate_put32(out + 16, (u32)crc32(0L, out, 16));
}

int migrate_hello_decode(const u8 in[MIGRATE_HELLO_LEN], const char *who, char *err,
			 size_t errlen)
{
	u32 version = migrate_get32(in + 8);

	if (memcmp(in, MIGRATE_WIRE_MAGIC, 8)) {
		snprintf(err, errlen, "%s is not a hover migration peer (no HOVERMIG greeting; is "
			 "the address right?)", who);
		return -EPROTO;
	}
	if (migrate_get32(in + 16) != (u32)crc32(0L, in, 16)) {
		snprintf(err, errlen, "%s's greeting fails its checksum (a damaged connection)", who);
		return -EPROTO;
	}
	if (version != MIGRATE_WIRE_VERSION) {
		snprintf(err, errlen, "%s speaks migration version %u, this hover version %u (use "
			 "the same hover on both ends)", who, version, MIGRATE_WIRE_VERSION);
		return -EINVAL;
	}
	if (migrate_get32(in + 12)) {
		snprintf(err, errlen, "%s asks for migration features 0x%x this hover does not "
			 "have", who, migrate_get32(in + 12));
		return -EINVAL;
	}
	return 0;
}

int migrate_addr_parse(const char *text, struct migrate_addr *a, char *err, size_t errlen)
{
	const char *colon;

	memset(a, 0, sizeof(*a));
	if (!strncmp(text, "unix:", 5)) {
		if (!text[5] || strlen(text + 5) >= sizeof(((struct sockaddr_un *)0)->sun_path))
			goto bad;
		a->unix_path = true;
		snprintf(a->host, sizeof(a->host), "%s", text + 5);
		return 0;
	}
	if (strncmp(text, "tcp:", 4))
		goto bad;
	colon = strrchr(text + 4, ':');
	if (!colon || colon == text + 4 || (size_t)(colon - (text + 4)) >= sizeof(a->host) ||
	    !colon[1] || strlen(colon + 1) >= sizeof(a->port) ||
	    strspn(colon + 1, "0123456789") != strlen(colon + 1))
		goto bad;
	memcpy(a->host, text + 4, (size_t)(colon - (text + 4)));
	/* [::1] style: the brackets are for the parser, not the resolver. */
	if (a->host[0] == '[' && a->host[strlen(a->host) - 1] == ']') {
		memmove(a->host, a->host + 1, strlen(a->host));
		a->host[strlen(a->host) - 1] = '\0';
	}
	snprintf(a->port, sizeof(a->port), "%s", colon + 1);
	return 0;
bad:
	snprintf(err, errlen, "%s: not a migration address (try tcp:HOST:PORT or unix:PATH, a "
		 "path shorter than 108 bytes)", text);
	return -EINVAL;
}

long migrate_batch_check(const u64 *entries, u32 count, char *err, size_t errlen)
{
	long data = 0;

	if (count == 0 || count > MIGRATE_BATCH_MAX) {
		snprintf(err, errlen, "a page batch of %u pages (1 to %u allowed; the stream is "
			 "damaged)", count, MIGRATE_BATCH_MAX);
		return -EINVAL;
	}
	for (u32 i = 0; i < count; i++) {
		if (entries[i] & (MIGRATE_PAGE - 1) & ~MIGRATE_ZERO) {
			snprintf(err, errlen, "page entry %#llx is not a page address (the stream "
				 "is damaged)", (unsigned long long)entries[i]);
			return -EINVAL;
		}
		if (!(entries[i] & MIGRATE_ZERO))
			data++;
	}
	return data;
}
