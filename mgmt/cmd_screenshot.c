// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * hover screenshot NAME FILE.png: what a VM's display shows, as a PNG, via
 * hoverd's GET /vms/NAME/screen.png (which asks the VM's own API for
 * GET /vm/screen.png). The file is written whole or not at all.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mgmt/client.h"
#include "mgmt/cmd.h"
#include "mgmt/vm_cli.h"

void cmd_screenshot_help(FILE *f)
{
	fprintf(f, "usage: hover screenshot NAME FILE.png\n\nSave what the VM's display shows "
		"now as a PNG (the VM needs --display; its\ntext screen is rendered with the VGA "
		"font, the text cursor drawn).\n");
}

static int write_file(const char *path, const char *buf, size_t len)
{
	char tmp[4096];
	FILE *f;

	if (snprintf(tmp, sizeof(tmp), "%s.partial", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	f = fopen(tmp, "wbx");
	if (!f)
		return -errno;
	if (fwrite(buf, 1, len, f) != len || fclose(f)) {
		int e = errno ? errno : EIO;

		unlink(tmp);
		return -e;
	}
	if (rename(tmp, path)) {
		int e = errno;

		unlink(tmp);
		return -e;
	}
	return 0;
}

int cmd_screenshot(int argc, char **argv)
{
	struct http_resp r;
	char path[256], err[512];
	int ret;

	if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		cmd_screenshot_help(stdout);
		return EXIT_OK;
	}
	if (argc != 3 || argv[1][0] == '-' || strlen(argv[1]) > 100) {
		cmd_screenshot_help(stderr);
		return EXIT_USAGE;
	}
	snprintf(path, sizeof(path), "/vms/%s/screen.png", argv[1]);
	ret = http_call(cmd_connect_path(), "GET", path, NULL, &r, NULL, NULL, 30000, err,
			sizeof(err));
	if (ret) {
		fprintf(stderr, "hover: %s\n", err);
		return EXIT_GUEST_FAILED;
	}
	if (r.status != 200) {
		json_t *e = r.body ? json_loads(r.body, 0, NULL) : NULL;
		const char *msg = json_string_value(
			json_object_get(json_object_get(e, "error"), "message"));

		fprintf(stderr, "hover: %s\n", msg ? msg : "screenshot failed");
		ret = r.status == 404 && msg && !strncmp(msg, "no such VM", 10) ? EXIT_NO_SUCH_VM
										 : EXIT_GUEST_FAILED;
		json_decref(e);
		http_resp_free(&r);
		return ret;
	}
	ret = write_file(argv[2], r.body, r.len);
	http_resp_free(&r);
	if (ret) {
		fprintf(stderr, "hover: %s: %s\n", argv[2], strerror(-ret));
		return EXIT_USAGE;
	}
	return EXIT_OK;
}
