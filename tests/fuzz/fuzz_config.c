// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target for what a user or an API client hands hover as text:
 * the VM definition parser (mgmt/config_json.c, `hover run --config` and
 * hoverd's POST /vms), the API's request parsing (mgmt/api.c: the body,
 * the path split) and the option values a definition carries to `hover run`
 * (--net: host/net.c, --console-port: virtio/console.c, --memory/--cpus:
 * mgmt/parse.c). The input is a request, "METHOD PATH\n" then the body;
 * without a newline it is all body. Each line of the body is also tried as
 * each option value.
 *
 * Checked beyond "no crash, no sanitizer report, no leak": a definition
 * that parses dumps to JSON that parses again to the same dump, so what
 * hoverd stores is what it reads back; config_json_load() on the same bytes
 * as a file agrees with config_json_parse() on them.
 */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "host/net.h"
#include "mgmt/api.h"
#include "mgmt/config_json.h"
#include "mgmt/parse.h"
#include "virtio/console.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* One option value as `hover run` parses it, as each option that takes text. */
static void parse_option_value(const char *v)
{
	struct virtio_console_port_config port;
	struct net_config net;
	char err[512];
	unsigned n;
	u64 size;

	if (net_parse(v, &net, err, sizeof(err)) == 0 && net.nfwd > NET_MAX_HOSTFWD)
		abort();
	if (virtio_console_parse_port(v, &port, err, sizeof(err)) == 0 &&
	    (!memchr(port.name, 0, sizeof(port.name)) || !memchr(port.path, 0, sizeof(port.path))))
		abort();
	(void)!parse_size(v, &size);
	if (parse_uint(v, 1, 64, &n) == 0 && (n < 1 || n > 64))
		abort();
}

/* Parse a definition; check the dump round trip. 0 if it parsed. */
static int parse_def(json_t *body)
{
	struct vm_def def, again;
	char err[512];
	json_t *dump, *dump2;

	if (config_json_parse(body, &def, err, sizeof(err)))
		return -1;
	for (size_t i = 0; i < def.nnet; i++)
		parse_option_value(def.net[i]);
	dump = config_json_dump(&def);
	if (!dump || config_json_parse(dump, &again, err, sizeof(err)))
		abort();
	dump2 = config_json_dump(&again);
	if (!dump2 || !json_equal(dump, dump2) || def.memory != again.memory ||
	    def.cpus != again.cpus)
		abort();
	json_decref(dump2);
	json_decref(dump);
	config_json_free(&again);
	config_json_free(&def);
	return 0;
}

/* The same bytes through config_json_load(), from a memfd. */
static void load_def(const uint8_t *data, size_t size, int parsed)
{
	struct vm_def def;
	char path[64], err[512];
	int fd = memfd_create("fuzz-config", MFD_CLOEXEC);
	int ret;

	if (fd < 0)
		return;
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	ret = config_json_load(path, &def, err, sizeof(err));
	close(fd);
	if (ret == 0)
		config_json_free(&def);
	/* json_load_file() and json_loadb() must agree on what is JSON */
	if ((ret == 0) != (parsed == 0))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	const char *nl = memchr(data, '\n', size);
	const char *body = text;
	size_t body_len = size;
	char err[512];
	json_t *json;

	if (nl) {
		char line[600], buf[512], *seg[4];
		size_t n =
		    (size_t)(nl - text) < sizeof(line) - 1 ? (size_t)(nl - text) : sizeof(line) - 1;
		char *sp;

		memcpy(line, text, n);
		line[n] = '\0';
		sp = strchr(line, ' ');
		if (sp) {
			int nseg = api_split_path(sp + 1, buf, sizeof(buf), seg, 4);

			if (nseg > 4)
				abort();
			for (int i = 0; i < nseg; i++)
				if (!seg[i][0] || strchr(seg[i], '/'))
					abort();
		}
		body = nl + 1;
		body_len = size - (size_t)(body - text);
	}
	for (const char *line = body, *end; line < body + body_len; line = end + 1) {
		char v[256];
		size_t n;

		end = memchr(line, '\n', (size_t)(body + body_len - line));
		if (!end)
			end = body + body_len;
		n = (size_t)(end - line) < sizeof(v) - 1 ? (size_t)(end - line) : sizeof(v) - 1;
		memcpy(v, line, n);
		v[n] = '\0';
		parse_option_value(v);
	}
	if (api_parse_body(body, body_len, &json, err, sizeof(err)))
		return 0;
	if (!json)
		return 0;
	/* the API's POST /vms and `hover run --config` see the same object */
	load_def((const uint8_t *)body, body_len, parse_def(json));
	json_decref(json);
	return 0;
}
