// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target for what a user or an API client hands hover as text:
 * the VM definition parser (mgmt/config_json.c, `hover run --config` and
 * hoverd's POST /vms) and the API's request parsing (mgmt/api.c: the body,
 * the path split). The input is a request, "METHOD PATH\n" then the body;
 * without a newline it is all body.
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

#include "mgmt/api.h"
#include "mgmt/config_json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Parse a definition; check the dump round trip. 0 if it parsed. */
static int parse_def(json_t *body)
{
	struct vm_def def, again;
	char err[512];
	json_t *dump, *dump2;

	if (config_json_parse(body, &def, err, sizeof(err)))
		return -1;
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
		size_t n = (size_t)(nl - text) < sizeof(line) - 1 ? (size_t)(nl - text) : sizeof(line) - 1;
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
	if (api_parse_body(body, body_len, &json, err, sizeof(err)))
		return 0;
	if (!json)
		return 0;
	/* the API's POST /vms and `hover run --config` see the same object */
	load_def((const uint8_t *)body, body_len, parse_def(json));
	json_decref(json);
	return 0;
}
