// SPDX-License-Identifier: GPL-2.0-or-later
/* --display parsing (display.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/display.h"
#include "host/keymap.h"

#define VRAM_MIN (4u << 20)
#define VRAM_MAX (256u << 20)

static int fail(char *err, size_t errlen, const char *what, const char *hint)
{
	snprintf(err, errlen, "%s (%s)", what, hint);
	return -EINVAL;
}

static int parse_vram(const char *v, u32 *out, char *err, size_t errlen)
{
	char *end;
	unsigned long long n = strtoull(v, &end, 10);

	if (end == v)
		return fail(err, errlen, "vram: not a size", "try vram=16M");
	if (*end == 'M' || *end == 'm')
		n <<= 20, end++;
	else if (*end == 'K' || *end == 'k')
		n <<= 10, end++;
	else if (*end == 'G' || *end == 'g')
		n <<= 30, end++;
	else if (*end == '\0')
		n <<= 20; /* a bare number is MiB, as elsewhere in hover */
	if (*end || n < VRAM_MIN || n > VRAM_MAX || (n & (n - 1)))
		return fail(err, errlen, "vram: not a power of two from 4M to 256M", "try vram=16M");
	*out = (u32)n;
	return 0;
}

static int parse_vnc(const char *v, struct display_config *c, char *err, size_t errlen)
{
	const char *colon;
	char *end;
	unsigned long port;
	size_t hl;

	c->vnc = true;
	if (strncmp(v, "unix:", 5) == 0) {
		if (!v[5] || strlen(v + 5) >= sizeof(c->path))
			return fail(err, errlen, "vnc=unix:PATH: no path, or a path too long",
				    "at most 107 bytes");
		c->vnc_unix = true;
		snprintf(c->path, sizeof(c->path), "%s", v + 5);
		return 0;
	}
	colon = strrchr(v, ':');
	if (!colon)
		return fail(err, errlen, "vnc: expected HOST:PORT or unix:PATH",
			    "e.g. vnc=127.0.0.1:5901; the port is a TCP port, not a display number");
	port = strtoul(colon + 1, &end, 10);
	if (end == colon + 1 || *end || port == 0 || port > 65535)
		return fail(err, errlen, "vnc: the port is not a TCP port (1-65535)",
			    "e.g. vnc=127.0.0.1:5901");
	hl = (size_t)(colon - v);
	if (hl >= 2 && v[0] == '[' && v[hl - 1] == ']') /* [::1]:5901 */
		v++, hl -= 2;
	if (hl >= sizeof(c->host))
		return fail(err, errlen, "vnc: host name too long", "at most 255 bytes");
	memcpy(c->host, v, hl);
	c->host[hl] = '\0';
	if (!hl)
		snprintf(c->host, sizeof(c->host), "127.0.0.1");
	c->port = (u16)port;
	return 0;
}

int display_parse(const char *arg, struct display_config *c, char *err, size_t errlen)
{
	char *copy = strdup(arg), *save = NULL;
	int ret = 0;

	memset(c, 0, sizeof(*c));
	if (!copy)
		return -ENOMEM;
	c->vram = 16u << 20;
	snprintf(c->keymap, sizeof(c->keymap), "us");
	if (!strcmp(arg, "none")) {
		free(copy);
		return 0;
	}
	c->on = true;
	for (char *tok = strtok_r(copy, ",", &save); tok && !ret; tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '=');
		const char *val = eq ? eq + 1 : "";

		if (eq)
			*eq = '\0';
		if (!strcmp(tok, "vga") && !eq)
			continue;
		if (!strcmp(tok, "vnc") && eq)
			ret = parse_vnc(val, c, err, errlen);
		else if (!strcmp(tok, "vram") && eq)
			ret = parse_vram(val, &c->vram, err, errlen);
		else if (!strcmp(tok, "password-file") && eq && *val) {
			if (strlen(val) >= sizeof(c->password_file))
				ret = fail(err, errlen, "password-file: path too long", "at most 4095 bytes");
			else
				snprintf(c->password_file, sizeof(c->password_file), "%s", val);
		} else if (!strcmp(tok, "keymap") && eq) {
			if (!keymap_find(val))
				ret = fail(err, errlen, "keymap: unknown layout", "us or de");
			else
				snprintf(c->keymap, sizeof(c->keymap), "%s", val);
		} else {
			snprintf(err, errlen, "unknown part '%s%s%s' (none, vga, vnc=HOST:PORT, "
				 "vnc=unix:PATH, password-file=F, keymap=us|de, vram=SIZE)", tok,
				 eq ? "=" : "", val);
			ret = -EINVAL;
		}
	}
	if (!ret && c->password_file[0] && !c->vnc)
		ret = fail(err, errlen, "password-file without vnc=", "a password protects a VNC server");
	free(copy);
	return ret;
}
